/*
 * kvconf.h - the "key = value" file syntax that agent.conf and hookd.conf
 * share: one setting per line, '#' starts a comment anywhere (no value
 * holds one), blanks around keys and values are ignored, and a key given
 * twice is an error.
 */
#ifndef VNODE_KVCONF_H
#define VNODE_KVCONF_H

#include <stddef.h>

/* fn gets each setting with its line number; it returns 0, or -1 with err
 * filled (without the "SRC:LINE: " prefix, which kv_parse adds). */
typedef int (*kv_fn)(void *arg, const char *key, const char *value,
    int lineno, char *err, size_t errlen);

/* text is changed in place.  0, or -1 with err naming src and the line. */
int kv_parse(char *text, const char *src, kv_fn fn, void *arg, char *err,
    size_t errlen);

#endif
