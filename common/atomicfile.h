/*
 * atomicfile.h - replace a file atomically: a temporary file beside it,
 * created exclusively with its final mode and owner, written in full,
 * synced, renamed over the old one, and the directory synced.  Readers see
 * the old file or the new one, never a part.
 */
#ifndef VNODE_ATOMICFILE_H
#define VNODE_ATOMICFILE_H

#include <stddef.h>
#include <sys/types.h>

/* uid or gid (uid_t)-1 / (gid_t)-1: leave as created. */
int af_write(const char *path, const void *data, size_t len, mode_t mode,
    uid_t uid, gid_t gid, char *err, size_t errlen);

#endif
