/*
 * nodeapi.c - see nodeapi.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hookclient.h"
#include "jsonutil.h"
#include "nodeapi.h"
#include "util.h"

#define CALL_TIMEOUT 30.0

/* POST path with body as node st; the signed 200 answer's JSON in *out.
 * NODE_UNKNOWN when the hook does not know the node's credential. */
static int
call_body(const struct node_state *st, const char *path, const char *body,
    double timeout, struct json_object **out, char *err, size_t errlen)
{
	struct hook_key key;
	struct hook_answer ans;
	char e[512];
	int rc = -1;

	*out = NULL;
	if (hook_key_node(&key, st->node, st->credential) != 0)
		return errf(err, errlen, "%s: bad credential", STATE_FILE);
	if (hook_post(st->hook_url, st->hook_pin, path, &key, body, timeout, &ans, err,
	    errlen) != 0)
		goto out;
	if (ans.status != 200) {
		errf(err, errlen, "%s: the hook answered %ld: %s", path,
		    ans.status, ans.reason[0] ? ans.reason : "no reason given");
		if (ans.status == 401 && strcmp(ans.code, "unknown_node") == 0)
			rc = NODE_UNKNOWN;
		else if (ans.status >= 400 && ans.status < 500)
			rc = NODE_REFUSED;
		goto out_ans;
	}
	if (!ans.is_signed) {
		errf(err, errlen, "%s: unsigned answer: not trusting it", path);
		goto out_ans;
	}
	if ((*out = js_parse(ans.body, ans.len, e, sizeof(e))) == NULL) {
		errf(err, errlen, "%s: answer: %s", path, e);
		goto out_ans;
	}
	rc = 0;
out_ans:
	hook_answer_free(&ans);
out:
	explicit_bzero(&key, sizeof(key));
	return rc;
}

static int
call(const struct node_state *st, const char *path, struct json_object **out,
    char *err, size_t errlen)
{
	return call_body(st, path, "{}", CALL_TIMEOUT, out, err, errlen);
}

static int
read_status(struct json_object *o, struct node_status *ns, char *err,
    size_t errlen)
{
	const char *state;
	char e[256];

	memset(ns, 0, sizeof(*ns));
	if (js_str(o, "state", 1, sizeof(ns->state) - 1, &state, e,
	    sizeof(e)) != 0 ||
	    js_bool(o, "exists", 1, &ns->exists, e, sizeof(e)) != 0 ||
	    js_bool(o, "usable", 1, &ns->usable, e, sizeof(e)) != 0 ||
	    js_bool(o, "busy", 1, &ns->busy, e, sizeof(e)) != 0 ||
	    js_bool(o, "responding", 1, &ns->responding, e, sizeof(e)) != 0)
		return errf(err, errlen, "status answer: %s", e);
	snprintf(ns->state, sizeof(ns->state), "%s", state);
	return 0;
}

int
node_status(const struct node_state *st, struct node_status *ns, char *err,
    size_t errlen)
{
	struct json_object *o;
	int rc;

	if (call(st, "/v1/status", &o, err, errlen) != 0)
		return -1;
	rc = read_status(o, ns, err, errlen);
	json_object_put(o);
	return rc;
}

/* body as a string for call_body; NULL when out of memory */
static char *
body_text(struct json_object *o)
{
	char *text;

	text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return text;
}

int
node_ready(const struct node_state *st, const char *why,
    struct node_status *ns, int *released, char *err, size_t errlen)
{
	struct json_object *o, *b = json_object_new_object();
	char *body, e[256];
	int rc;

	json_object_object_add(b, "mounts", json_object_new_string(why ==
	    NULL ? "ok" : "failed"));
	if (why != NULL)	/* (the hook keeps 200 bytes of it) */
		json_object_object_add(b, "error", json_object_new_string_len(
		    why, (int)(strlen(why) < 200 ? strlen(why) : 200)));
	if ((body = body_text(b)) == NULL)
		return errf(err, errlen, "out of memory");
	rc = call_body(st, "/v1/ready", body, CALL_TIMEOUT, &o, err, errlen);
	free(body);
	if (rc != 0)
		return rc;
	if ((rc = read_status(o, ns, err, errlen)) == 0 && js_bool(o,
	    "released", 1, released, e, sizeof(e)) != 0)
		rc = errf(err, errlen, "ready answer: %s", e);
	json_object_put(o);
	return rc;
}

/* One id of the hook's job lists: a positive integer. */
static int
job_id(struct json_object *v, unsigned long *job)
{
	int64_t n;

	if (!json_object_is_type(v, json_type_int) ||
	    (n = json_object_get_int64(v)) <= 0)
		return -1;
	*job = (unsigned long)n;
	return 0;
}

/* "failed": [{"job": J, "error": "why"}, ...] and "requeued": [J, ...],
 * into d->jobs[] in that order: the jobs not requeued are the ones that
 * must not be missed (a dumped one goes on here), so they come first. */
static int
read_requeued(struct json_object *o, struct node_drained *d, char *err,
    size_t errlen)
{
	struct json_object *req, *fl, *f, *v;
	struct node_requeued *r, over;
	const char *why;
	char e[256];
	size_t i;

	if (!json_object_object_get_ex(o, "requeued", &req) ||
	    !json_object_is_type(req, json_type_array) ||
	    !json_object_object_get_ex(o, "failed", &fl) ||
	    !json_object_is_type(fl, json_type_array))
		return errf(err, errlen, "drain answer: no job lists");
	for (i = 0; i < json_object_array_length(fl); i++, d->failed++) {
		r = d->njobs < NODE_MAX_JOBS ? &d->jobs[d->njobs] : &over;
		f = json_object_array_get_idx(fl, i);
		if (!json_object_is_type(f, json_type_object) ||
		    !json_object_object_get_ex(f, "job", &v) ||
		    job_id(v, &r->job) != 0)
			return errf(err, errlen, "drain answer: failed[%zu]: no "
			    "job id", i);
		if (js_str(f, "error", 1, 4096, &why, e, sizeof(e)) != 0)
			return errf(err, errlen, "drain answer: failed[%zu]: %s",
			    i, e);
		snprintf(r->error, sizeof(r->error), "%s", why[0] != '\0' ?
		    why : "no reason given");
		if (d->njobs < NODE_MAX_JOBS)
			d->njobs++;
	}
	for (i = 0; i < json_object_array_length(req); i++, d->requeued++) {
		r = d->njobs < NODE_MAX_JOBS ? &d->jobs[d->njobs] : &over;
		if (job_id(json_object_array_get_idx(req, i), &r->job) != 0)
			return errf(err, errlen, "drain answer: requeued[%zu] is "
			    "not a job id", i);
		r->error[0] = '\0';
		if (d->njobs < NODE_MAX_JOBS)
			d->njobs++;
	}
	return 0;
}

int
node_drain(const struct node_state *st, const struct node_ckpt *cp,
    int ncp, struct node_drained *d, char *err, size_t errlen)
{
	struct json_object *o, *b, *arr, *c;
	char *body;
	int i, rc;

	memset(d, 0, sizeof(*d));
	b = json_object_new_object();
	if (ncp >= 0) {
		arr = json_object_new_array();
		for (i = 0; i < ncp; i++) {
			c = json_object_new_object();
			json_object_object_add(c, "job", json_object_new_int64(
			    (int64_t)cp[i].job));
			if (cp[i].image > 0)
				json_object_object_add(c, "image",
				    json_object_new_int64(cp[i].image));
			else
				json_object_object_add(c, "error",
				    json_object_new_string(cp[i].error));
			json_object_array_add(arr, c);
		}
		json_object_object_add(b, "checkpoints", arr);
	}
	if ((body = body_text(b)) == NULL)
		return errf(err, errlen, "out of memory");
	rc = call_body(st, "/v1/drain", body, CALL_TIMEOUT, &o, err, errlen);
	free(body);
	if (rc != 0)
		return rc;
	rc = -1;
	if (read_status(o, &d->status, err, errlen) == 0 &&
	    read_requeued(o, d, err, errlen) == 0)
		rc = 0;
	json_object_put(o);
	return rc;
}

int
node_drain_only(const struct node_state *st, unsigned long *jobs, int max,
    int *njobs, char *err, size_t errlen)
{
	struct json_object *o, *arr, *j;
	size_t i;
	int rc;

	*njobs = 0;
	if ((rc = call_body(st, "/v1/drain", "{\"requeue\":false}",
	    CALL_TIMEOUT, &o, err, errlen)) != 0)
		return rc;
	if (!json_object_object_get_ex(o, "jobs", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		json_object_put(o);
		return errf(err, errlen, "drain answer: no \"jobs\" (a hook "
		    "older than checkpointing?)");
	}
	for (i = 0; i < json_object_array_length(arr); i++) {
		j = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(j, json_type_int) ||
		    json_object_get_int64(j) <= 0) {
			json_object_put(o);
			return errf(err, errlen, "drain answer: jobs[%zu] is "
			    "not a job id", i);
		}
		if (*njobs < max)
			jobs[*njobs] = (unsigned long)json_object_get_int64(j);
		(*njobs)++;
	}
	json_object_put(o);
	return 0;
}

int
node_requeue(const struct node_state *st, unsigned long job, long image,
    const char *why, const char *to, char *err, size_t errlen)
{
	struct json_object *o, *b;
	char *body;
	int rc;

	b = json_object_new_object();
	json_object_object_add(b, "job", json_object_new_int64((int64_t)job));
	if (image > 0)
		json_object_object_add(b, "image", json_object_new_int64(image));
	else
		json_object_object_add(b, "error", json_object_new_string(why));
	if (to != NULL && to[0] != '\0')
		json_object_object_add(b, "to", json_object_new_string(to));
	if ((body = body_text(b)) == NULL)
		return errf(err, errlen, "out of memory");
	rc = call_body(st, "/v1/requeue", body, CALL_TIMEOUT, &o, err, errlen);
	free(body);
	if (rc == 0)
		json_object_put(o);
	return rc;
}

int
node_events(const struct node_state *st, const char *body, int *stored,
    char *err, size_t errlen)
{
	struct json_object *o;
	char e[256];
	long n;
	int rc;

	*stored = 0;
	if ((rc = call_body(st, "/v1/events", body, CALL_TIMEOUT, &o, err,
	    errlen)) != 0)
		return rc;
	rc = js_int(o, "stored", 1, 0, 1024, &n, e, sizeof(e));
	json_object_put(o);
	if (rc != 0)
		return errf(err, errlen, "events answer: %s", e);
	*stored = (int)n;
	return 0;
}

int
node_leave(const struct node_state *st, char *err, size_t errlen)
{
	struct json_object *o;

	if (call(st, "/v1/leave", &o, err, errlen) != 0)
		return -1;
	json_object_put(o);
	return 0;
}

int
node_heartbeat(const struct node_state *st, const char *body, long wait,
    struct node_order *order, char *err, size_t errlen)
{
	struct json_object *o, *ord;
	const char *kind, *arg;
	char e[256] = "not an object";
	long id;
	int rc = -1;

	memset(order, 0, sizeof(*order));
	if ((rc = call_body(st, "/v1/heartbeat", body, (double)wait +
	    CALL_TIMEOUT, &o, err, errlen)) != 0)
		return rc;
	rc = -1;
	if (!json_object_object_get_ex(o, "order", &ord)) {
		errf(err, errlen, "heartbeat answer: no \"order\"");
		goto out;
	}
	if (ord == NULL) {
		rc = 0;
		goto out;
	}
	if (!json_object_is_type(ord, json_type_object) ||
	    js_int(ord, "id", 1, 1, 1L << 53, &id, e, sizeof(e)) != 0 ||
	    js_str(ord, "kind", 1, sizeof(order->kind) - 1, &kind, e,
	    sizeof(e)) != 0 ||
	    js_str(ord, "arg", 1, sizeof(order->arg) - 1, &arg, e,
	    sizeof(e)) != 0) {
		errf(err, errlen, "heartbeat answer: order: %s", e);
		goto out;
	}
	order->id = id;
	snprintf(order->kind, sizeof(order->kind), "%s", kind);
	snprintf(order->arg, sizeof(order->arg), "%s", arg);
	rc = 0;
out:
	json_object_put(o);
	return rc;
}

char *
node_heartbeat_body(long wait, const struct step_time *t, int n,
    double total, long resumed, int orders)
{
	struct json_object *o, *tim;
	char *out;
	int i;

	o = json_object_new_object();
	json_object_object_add(o, "wait", json_object_new_int64(wait));
	if (t != NULL) {
		tim = json_object_new_object();
		for (i = 0; i < n; i++)
			json_object_object_add(tim, t[i].name,
			    json_object_new_double(t[i].secs));
		json_object_object_add(tim, "total", json_object_new_double(total));
		json_object_object_add(o, "timings", tim);
	}
	if (resumed > 0)
		json_object_object_add(o, "resumed", json_object_new_int64(resumed));
	if (!orders)
		json_object_object_add(o, "orders", json_object_new_boolean(0));
	out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return out;
}
