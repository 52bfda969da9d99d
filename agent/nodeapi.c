/*
 * nodeapi.c - see nodeapi.h.
 */
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
		if (ans.status == 401 && strncmp(ans.reason,
		    "unknown node credential", 23) == 0)
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
node_drain(const struct node_state *st, struct json_object *checkpoints,
    struct node_status *ns, int *requeued, int *failed,
    unsigned long *failed_jobs, char *detail, size_t detailsz, char *err,
    size_t errlen)
{
	struct json_object *o, *req, *fl, *f, *b;
	char *body;
	size_t i, len;
	int rc = -1;

	*requeued = *failed = 0;
	detail[0] = '\0';
	b = json_object_new_object();
	if (checkpoints != NULL)
		json_object_object_add(b, "checkpoints",
		    json_object_get(checkpoints));
	if ((body = body_text(b)) == NULL)
		return errf(err, errlen, "out of memory");
	rc = call_body(st, "/v1/drain", body, CALL_TIMEOUT, &o, err, errlen);
	free(body);
	if (rc != 0)
		return rc;
	rc = -1;
	if (read_status(o, ns, err, errlen) != 0)
		goto out;
	if (!json_object_object_get_ex(o, "requeued", &req) ||
	    !json_object_is_type(req, json_type_array) ||
	    !json_object_object_get_ex(o, "failed", &fl) ||
	    !json_object_is_type(fl, json_type_array)) {
		errf(err, errlen, "drain answer: no job lists");
		goto out;
	}
	for (i = 0; i < json_object_array_length(req); i++) {
		len = strlen(detail);
		snprintf(detail + len, detailsz - len, "%sjob %lld requeued",
		    len ? ", " : "", (long long)json_object_get_int64(
		    json_object_array_get_idx(req, i)));
		(*requeued)++;
	}
	for (i = 0; i < json_object_array_length(fl); i++) {
		f = json_object_array_get_idx(fl, i);
		len = strlen(detail);
		snprintf(detail + len, detailsz - len, "%sjob %lld NOT requeued "
		    "(%.100s)", len ? ", " : "", (long long)json_object_get_int64(
		    json_object_object_get(f, "job")), json_object_get_string(
		    json_object_object_get(f, "error")));
		if (failed_jobs != NULL && *failed < NODE_MAX_JOBS)
			failed_jobs[*failed] = (unsigned long)
			    json_object_get_int64(json_object_object_get(f,
			    "job"));
		(*failed)++;
	}
	rc = 0;
out:
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
