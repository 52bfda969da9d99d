/*
 * nodeapi.c - see nodeapi.h.
 */
#include <stdio.h>
#include <string.h>

#include "hookclient.h"
#include "jsonutil.h"
#include "nodeapi.h"
#include "util.h"

#define CALL_TIMEOUT 30.0

/* POST path with "{}" as node st; the signed 200 answer's JSON in *out. */
static int
call(const struct node_state *st, const char *path, struct json_object **out,
    char *err, size_t errlen)
{
	struct hook_key key;
	struct hook_answer ans;
	char e[512];
	int rc = -1;

	*out = NULL;
	if (hook_key_node(&key, st->node, st->credential) != 0)
		return errf(err, errlen, "%s: bad credential", STATE_FILE);
	if (hook_post(st->hook_url, path, &key, "{}", CALL_TIMEOUT, &ans, err,
	    errlen) != 0)
		goto out;
	if (ans.status != 200) {
		errf(err, errlen, "%s: the hook answered %ld: %s", path,
		    ans.status, ans.reason[0] ? ans.reason : "no reason given");
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

int
node_drain(const struct node_state *st, struct node_status *ns,
    int *requeued, int *failed, char *detail, size_t detailsz, char *err,
    size_t errlen)
{
	struct json_object *o, *req, *fl, *f;
	size_t i, len;
	int rc = -1;

	*requeued = *failed = 0;
	detail[0] = '\0';
	if (call(st, "/v1/drain", &o, err, errlen) != 0)
		return -1;
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
		(*failed)++;
	}
	rc = 0;
out:
	json_object_put(o);
	return rc;
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
