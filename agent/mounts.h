/*
 * mounts.h - the mounts step: the shared file systems the hook names (NFS
 * home and software trees), through mount(8), each checked afterwards to
 * be really the file system asked for, not the empty directory under it.
 */
#ifndef VNODE_AGENT_MOUNTS_H
#define VNODE_AGENT_MOUNTS_H

#include <stddef.h>

#include "join.h"

/* Mount each that is not mounted already; bounded retries.  *done says
 * how many were mounted now. */
int mounts_apply(const struct join_mount *m, int n, int *done, char *err,
    size_t errlen);
/* Is source of type mounted on target (the topmost mount there)? */
int mount_present(const char *target, const char *source, const char *type);
/* Unmount target (lazily, when it is busy).  0 when it is not mounted
 * any more. */
int mount_remove(const char *target, char *err, size_t errlen);

#endif
