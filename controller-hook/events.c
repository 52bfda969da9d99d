/*
 * events.c - see events.h.  Every field is checked for its type and range,
 * and a field the hook does not know is refused: what a node sends is
 * input, never trusted.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "events.h"
#include "names.h"
#include "util.h"

static const char *const node_kinds[] = { "checkpoint", "checkpoint-failed",
    "restore", "restore-failed", NULL };
static const char *const hook_kinds[] = { "join", "leave", "run", "suspend",
    "resume", "end", "requeue", "release", "release-failed", "move", "ready",
    NULL };

static int
in_list(const char *const *list, const char *s)
{
	size_t i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

int
ev_kind_by_node(const char *kind)
{
	return in_list(node_kinds, kind);
}

int
ev_kind_known(const char *kind)
{
	return in_list(node_kinds, kind) || in_list(hook_kinds, kind);
}

int
ev_text_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= EV_DETAIL_MAX || s[i] < ' ' || s[i] > '~')
			return 0;
	return 1;
}

/* Only the keys in allowed: else an error naming the first other one. */
static int
known_keys(struct json_object *o, const char *const *allowed,
    const char *where, char *err, size_t errlen)
{
	json_object_object_foreach(o, key, val) {
		(void)val;
		if (!in_list(allowed, key))
			return errf(err, errlen, "%s: unknown field \"%.40s\"",
			    where, key);
	}
	return 0;
}

static int
get_int(struct json_object *o, const char *key, int required, long min,
    long max, long *out, const char *where, char *err, size_t errlen)
{
	struct json_object *v;
	int64_t x;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL) {
		if (!required)
			return 1;
		return errf(err, errlen, "%s\"%s\": missing", where, key);
	}
	if (!json_object_is_type(v, json_type_int))
		return errf(err, errlen, "%s\"%s\": not an integer", where, key);
	x = json_object_get_int64(v);
	if (x < min || x > max)
		return errf(err, errlen, "%s\"%s\": %lld is not from %ld to %ld",
		    where, key, (long long)x, min, max);
	*out = (long)x;
	return 0;
}

static int
get_text(struct json_object *o, const char *key, int required,
    const char **out, const char *where, char *err, size_t errlen)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL) {
		if (!required)
			return 1;
		return errf(err, errlen, "%s\"%s\": missing", where, key);
	}
	if (!json_object_is_type(v, json_type_string))
		return errf(err, errlen, "%s\"%s\": not a string", where, key);
	s = json_object_get_string(v);
	if (strlen(s) != (size_t)json_object_get_string_len(v) ||
	    !ev_text_valid(s))
		return errf(err, errlen, "%s\"%s\": not printable ASCII of at "
		    "most %d bytes", where, key, EV_DETAIL_MAX);
	*out = s;
	return 0;
}

/* An array under key: 1 when absent, -1 when not an array or too long. */
static int
get_array(struct json_object *o, const char *key, struct json_object **out,
    size_t *n, char *err, size_t errlen)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return 1;
	if (!json_object_is_type(v, json_type_array))
		return errf(err, errlen, "\"%s\": not an array", key);
	*n = json_object_array_length(v);
	if (*n > EV_BATCH_MAX)
		return errf(err, errlen, "\"%s\": %zu entries, at most %d", key,
		    *n, EV_BATCH_MAX);
	*out = v;
	return 0;
}

int
ev_parse_batch(struct json_object *body, double now, double skew,
    struct ev_in *out, size_t *n, char *err, size_t errlen)
{
	static const char *const top[] = { "events", NULL };
	static const char *const fields[] = { "time", "job", "kind", "detail",
	    NULL };
	struct json_object *arr = NULL, *e, *t;
	char where[64];
	size_t i, len = 0;
	int rc;

	*n = 0;
	if (known_keys(body, top, "body", err, errlen) != 0)
		return -1;
	if ((rc = get_array(body, "events", &arr, &len, err, errlen)) < 0)
		return -1;
	if (rc > 0)
		return errf(err, errlen, "\"events\": missing");
	for (i = 0; i < len; i++) {
		struct ev_in *ev = &out[i];

		e = json_object_array_get_idx(arr, i);
		snprintf(where, sizeof(where), "\"events\"[%zu]", i);
		if (e == NULL || !json_object_is_type(e, json_type_object))
			return errf(err, errlen, "%s: not an object", where);
		if (known_keys(e, fields, where, err, errlen) != 0)
			return -1;
		snprintf(where, sizeof(where), "\"events\"[%zu].", i);
		if (!json_object_object_get_ex(e, "time", &t) || t == NULL)
			return errf(err, errlen, "%s\"time\": missing", where);
		if (!json_object_is_type(t, json_type_double) &&
		    !json_object_is_type(t, json_type_int))
			return errf(err, errlen, "%s\"time\": not a number",
			    where);
		ev->time = json_object_get_double(t);
		if (!isfinite(ev->time) || ev->time < now - EV_PAST_MAX ||
		    ev->time > now + skew)
			return errf(err, errlen, "%s\"time\": not a Unix time "
			    "from %.0f days ago to %.0f s ahead", where,
			    EV_PAST_MAX / 86400, skew);
		if (get_int(e, "job", 1, 1, EV_JOB_MAX, &ev->job, where, err,
		    errlen) != 0 ||
		    get_text(e, "kind", 1, &ev->kind, where, err, errlen) != 0)
			return -1;
		if (!ev_kind_by_node(ev->kind))
			return errf(err, errlen, "%s\"kind\": \"%.40s\" is not "
			    "checkpoint, checkpoint-failed, restore or "
			    "restore-failed", where, ev->kind);
		ev->detail = "";
		if (get_text(e, "detail", 0, &ev->detail, where, err,
		    errlen) < 0)
			return -1;
	}
	*n = len;
	return 0;
}

/* {"job": J, "image": n} or {"job": J, "error": "why"}, exactly one of
 * image and error. */
static int
checkpoint_fields(struct json_object *o, struct ev_checkpoint *cp,
    const char *where, char *err, size_t errlen)
{
	int hi, he;

	memset(cp, 0, sizeof(*cp));
	if (get_int(o, "job", 1, 1, EV_JOB_MAX, &cp->job, where, err,
	    errlen) != 0)
		return -1;
	if ((hi = get_int(o, "image", 0, 1, EV_IMAGE_MAX, &cp->image, where,
	    err, errlen)) < 0 ||
	    (he = get_text(o, "error", 0, &cp->error, where, err, errlen)) < 0)
		return -1;
	if (hi == he)
		return errf(err, errlen, "%s\"image\" or \"error\": exactly one "
		    "of them", where);
	if (he == 0 && cp->error[0] == '\0')
		return errf(err, errlen, "%s\"error\": empty", where);
	return 0;
}

int
ev_parse_requeue(struct json_object *body, struct ev_requeue *r, char *err,
    size_t errlen)
{
	static const char *const fields[] = { "job", "image", "error", "to",
	    NULL };
	int rc;

	memset(r, 0, sizeof(*r));
	if (known_keys(body, fields, "body", err, errlen) != 0 ||
	    checkpoint_fields(body, &r->cp, "", err, errlen) != 0)
		return -1;
	if ((rc = get_text(body, "to", 0, &r->to, "", err, errlen)) < 0)
		return -1;
	if (rc == 0 && !name_node_valid(r->to))
		return errf(err, errlen, "\"to\": \"%.64s\" is not a node name",
		    r->to);
	return 0;
}

int
ev_parse_drain(struct json_object *body, struct ev_drain *d, char *err,
    size_t errlen)
{
	static const char *const top[] = { "requeue", "checkpoints", NULL };
	static const char *const fields[] = { "job", "image", "error", NULL };
	struct json_object *arr = NULL, *v, *e;
	char where[64];
	size_t i, k;
	int rc;

	memset(d, 0, sizeof(*d));
	d->requeue = 1;
	if (known_keys(body, top, "body", err, errlen) != 0)
		return -1;
	if (json_object_object_get_ex(body, "requeue", &v) && v != NULL) {
		if (!json_object_is_type(v, json_type_boolean))
			return errf(err, errlen, "\"requeue\": not true or false");
		d->requeue = json_object_get_boolean(v);
	}
	if ((rc = get_array(body, "checkpoints", &arr, &d->ncp, err,
	    errlen)) < 0)
		return -1;
	d->with_checkpoints = rc == 0;
	if (d->with_checkpoints && !d->requeue)
		return errf(err, errlen, "\"checkpoints\": only with requeueing "
		    "(not with \"requeue\": false)");
	for (i = 0; i < d->ncp; i++) {
		e = json_object_array_get_idx(arr, i);
		snprintf(where, sizeof(where), "\"checkpoints\"[%zu]", i);
		if (e == NULL || !json_object_is_type(e, json_type_object))
			return errf(err, errlen, "%s: not an object", where);
		if (known_keys(e, fields, where, err, errlen) != 0)
			return -1;
		snprintf(where, sizeof(where), "\"checkpoints\"[%zu].", i);
		if (checkpoint_fields(e, &d->cp[i], where, err, errlen) != 0)
			return -1;
		for (k = 0; k < i; k++)
			if (d->cp[k].job == d->cp[i].job)
				return errf(err, errlen, "%s\"job\": %ld twice",
				    where, d->cp[i].job);
	}
	return 0;
}
