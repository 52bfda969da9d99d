/*
 * reaper.h - nodes that vanished: no heartbeat (or join) for reap_after
 * seconds, and DOWN or not responding in Slurm.  They are set DOWN (Slurm
 * requeues their jobs), removed from Slurm, and marked reaped in the
 * registry, their credential void.  A node only late with its heartbeat
 * but still answering Slurm, or one suspended for less than reap_after, is
 * left alone.
 */
#ifndef VNODE_HOOK_REAPER_H
#define VNODE_HOOK_REAPER_H

#include "config.h"
#include "db.h"

/* One pass; report() is told what was done, one line each. */
int reaper_pass(struct db *db, const struct hook_config *cfg, long now,
    void (*report)(const char *line), char *err, size_t errlen);

#endif
