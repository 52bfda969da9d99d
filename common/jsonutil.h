/*
 * jsonutil.h - strict reading of JSON objects with json-c: a depth limit,
 * an object at the top, typed fields whose errors name the field.
 */
#ifndef VNODE_JSONUTIL_H
#define VNODE_JSONUTIL_H

#include <stddef.h>

#include <json-c/json.h>

#define JS_MAX_DEPTH 8

/* A JSON object from exactly len bytes; NULL with err filled otherwise. */
struct json_object *js_parse(const char *buf, size_t len, char *err,
    size_t errlen);

/* Each returns 0 and sets *out, 1 when the field is absent and not
 * required, -1 with err naming the field otherwise.  Strings may not hold
 * NUL bytes, and must be at most max bytes long. */
int js_str(struct json_object *o, const char *key, int required, size_t max,
    const char **out, char *err, size_t errlen);
int js_int(struct json_object *o, const char *key, int required, long min,
    long max, long *out, char *err, size_t errlen);
int js_bool(struct json_object *o, const char *key, int required, int *out,
    char *err, size_t errlen);
/* An array of strings, each at most max bytes, at most maxn of them. */
int js_str_array(struct json_object *o, const char *key, int required,
    size_t maxn, size_t max, struct json_object **out, char *err,
    size_t errlen);

#endif
