/*
 * munge.h - the munge step: install the cluster's key, (re)start munged,
 * and prove it works with a local encode and decode.
 */
#ifndef VNODE_AGENT_MUNGE_H
#define VNODE_AGENT_MUNGE_H

#include <stddef.h>

#define MUNGE_KEY_PATH	"/etc/munge/munge.key"

/* Written atomically, mode 0400, owner munge.  *changed: 0 when the same
 * key was there already, 1 when there was none, 2 when a different key
 * was replaced.  A key path that is a symlink or not a regular file is
 * refused. */
int munge_key_install(const unsigned char *key, size_t len, int *changed,
    char *err, size_t errlen);
/* munged running with the installed key: restarted when restart is set or
 * when it is not running.  *how says what was done. */
int munge_start(int restart, const char **how, char *err, size_t errlen);
/* munge -n | unmunge: 0 when a credential round-trips. */
int munge_check(char *err, size_t errlen);

#endif
