/*
 * jsonutil.c - see jsonutil.h.
 */
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "util.h"

static int
trailing_space(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
			return 0;
	return 1;
}

/* The number of keys of each object of the text, in the order their '{'
 * come (a text json-c has parsed: valid, nested at most JS_MAX_DEPTH). */
static size_t
raw_counts(const char *buf, size_t len, size_t *counts, size_t max)
{
	size_t stack[JS_MAX_DEPTH + 2], n = 0, i;
	int depth = 0, isobj[JS_MAX_DEPTH + 2], expect_key = 0;

	for (i = 0; i < len; i++) {
		char c = buf[i];

		if (c == '"') {
			if (depth > 0 && isobj[depth - 1] && expect_key)
				counts[stack[depth - 1]]++;
			expect_key = 0;
			for (i++; i < len && buf[i] != '"'; i++)
				if (buf[i] == '\\')
					i++;
			continue;
		}
		if (c == '{' || c == '[') {
			if (depth == JS_MAX_DEPTH + 2)
				return n;	/* (json-c refused it already) */
			isobj[depth] = c == '{';
			if (c == '{' && n < max) {
				counts[n] = 0;
				stack[depth] = n++;
			} else if (c == '{')
				return n;
			depth++;
			expect_key = c == '{';
		} else if (c == '}' || c == ']') {
			depth--;
			expect_key = 0;
		} else if (c == ',')
			expect_key = depth > 0 && isobj[depth - 1];
	}
	return n;
}

/* The same, of the parsed tree, depth first (json-c keeps an object's
 * keys in the order they came; a key given twice is there once). */
static void
tree_counts(struct json_object *o, size_t *counts, size_t max, size_t *n)
{
	size_t i, me;

	if (json_object_is_type(o, json_type_array)) {
		for (i = 0; i < json_object_array_length(o); i++)
			tree_counts(json_object_array_get_idx(o, i), counts, max,
			    n);
		return;
	}
	if (!json_object_is_type(o, json_type_object) || *n >= max)
		return;
	me = (*n)++;
	counts[me] = (size_t)json_object_object_length(o);
	json_object_object_foreach(o, key, val) {
		(void)key;
		tree_counts(val, counts, max, n);
	}
}

/* 1 when some object of the text has a key twice (json-c keeps the last
 * silently), 0 when not, -1 out of memory. */
static int
duplicate_keys(const char *buf, size_t len, struct json_object *o)
{
	size_t *raw, *tree, nraw, ntree = 0, max = 1, i;
	int rc;

	for (i = 0; i < len; i++)
		max += buf[i] == '{';
	raw = calloc(max, sizeof(*raw));
	tree = calloc(max, sizeof(*tree));
	if (raw == NULL || tree == NULL) {
		free(raw);
		free(tree);
		return -1;
	}
	nraw = raw_counts(buf, len, raw, max);
	tree_counts(o, tree, max, &ntree);
	rc = nraw != ntree || memcmp(raw, tree, nraw * sizeof(*raw)) != 0;
	free(raw);
	free(tree);
	return rc;
}

struct json_object *
js_parse(const char *buf, size_t len, char *err, size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error jerr;

	if (len > (size_t)0x7fffffff) {
		errf(err, errlen, "document too large");
		return NULL;
	}
	if (memchr(buf, '\0', len) != NULL) {
		errf(err, errlen, "NUL byte in document");
		return NULL;
	}
	if ((tok = json_tokener_new_ex(JS_MAX_DEPTH)) == NULL) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	if (o == NULL && jerr == json_tokener_continue)
		errf(err, errlen, "not valid JSON: unexpected end of document");
	else if (o == NULL)
		errf(err, errlen, "not valid JSON: %s at byte %zu",
		    json_tokener_error_desc(jerr),
		    json_tokener_get_parse_end(tok));
	else if (!trailing_space(buf + json_tokener_get_parse_end(tok),
	    len - json_tokener_get_parse_end(tok))) {
		errf(err, errlen, "not valid JSON: trailing data at byte %zu",
		    json_tokener_get_parse_end(tok));
		json_object_put(o);
		o = NULL;
	} else if (!json_object_is_type(o, json_type_object)) {
		errf(err, errlen, "not a JSON object");
		json_object_put(o);
		o = NULL;
	} else if (duplicate_keys(buf, len, o) != 0) {
		/* one reader would take the first, another the last */
		errf(err, errlen, "not valid here: a key given twice in an "
		    "object");
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

static int
field(struct json_object *o, const char *key, int required,
    struct json_object **v, char *err, size_t errlen)
{
	if (!json_object_object_get_ex(o, key, v) || *v == NULL) {
		if (required)
			return errf(err, errlen, "\"%s\": missing", key);
		return 1;
	}
	return 0;
}

int
js_str(struct json_object *o, const char *key, int required, size_t max,
    const char **out, char *err, size_t errlen)
{
	struct json_object *v;
	const char *s;
	int rc;

	if ((rc = field(o, key, required, &v, err, errlen)) != 0)
		return rc;
	if (!json_object_is_type(v, json_type_string))
		return errf(err, errlen, "\"%s\": not a string", key);
	s = json_object_get_string(v);
	if ((size_t)json_object_get_string_len(v) != strlen(s))
		return errf(err, errlen, "\"%s\": NUL byte in string", key);
	if (strlen(s) > max)
		return errf(err, errlen, "\"%s\": longer than %zu bytes", key, max);
	*out = s;
	return 0;
}

int
js_int(struct json_object *o, const char *key, int required, long min,
    long max, long *out, char *err, size_t errlen)
{
	struct json_object *v;
	int64_t n;
	int rc;

	if ((rc = field(o, key, required, &v, err, errlen)) != 0)
		return rc;
	if (!json_object_is_type(v, json_type_int))
		return errf(err, errlen, "\"%s\": not an integer", key);
	n = json_object_get_int64(v);
	if (n < min || n > max)
		return errf(err, errlen, "\"%s\": %lld out of range %ld..%ld",
		    key, (long long)n, min, max);
	*out = (long)n;
	return 0;
}

int
js_bool(struct json_object *o, const char *key, int required, int *out,
    char *err, size_t errlen)
{
	struct json_object *v;
	int rc;

	if ((rc = field(o, key, required, &v, err, errlen)) != 0)
		return rc;
	if (!json_object_is_type(v, json_type_boolean))
		return errf(err, errlen, "\"%s\": not true or false", key);
	*out = json_object_get_boolean(v) ? 1 : 0;
	return 0;
}

int
js_str_array(struct json_object *o, const char *key, int required,
    size_t maxn, size_t max, struct json_object **out, char *err,
    size_t errlen)
{
	struct json_object *v, *e;
	size_t i, n;
	int rc;

	if ((rc = field(o, key, required, &v, err, errlen)) != 0)
		return rc;
	if (!json_object_is_type(v, json_type_array))
		return errf(err, errlen, "\"%s\": not an array", key);
	n = json_object_array_length(v);
	if (n > maxn)
		return errf(err, errlen, "\"%s\": more than %zu entries", key, maxn);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(v, i);
		if (e == NULL || !json_object_is_type(e, json_type_string))
			return errf(err, errlen, "\"%s\"[%zu]: not a string", key, i);
		if ((size_t)json_object_get_string_len(e) !=
		    strlen(json_object_get_string(e)))
			return errf(err, errlen, "\"%s\"[%zu]: NUL byte in string",
			    key, i);
		if (strlen(json_object_get_string(e)) > max)
			return errf(err, errlen, "\"%s\"[%zu]: longer than %zu bytes",
			    key, i, max);
	}
	*out = v;
	return 0;
}
