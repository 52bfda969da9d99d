/*
 * hold.h - holding a dumped tree.
 *
 * Slurm sends SIGCONT before SIGTERM when it requeues a job, which would
 * let a tree left stopped by the dump run on for a moment after its image
 * was taken.  So after a dump the shim traces every process of the tree
 * (ptrace-stopped processes ignore SIGCONT) and kills the tree at once on
 * the requeue's SIGTERM; after a failed requeue it lets go again.
 * ckpt_dump and ckpt_resume ask the shim with sigqueue(CKPT_SIG) carrying
 * CKPT_HOLD or CKPT_RELEASE, from root, and wait until it has done so.
 *
 * A leaf module (files.h).
 */
#ifndef VNODE_CKPT_HOLD_H
#define VNODE_CKPT_HOLD_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#include "runtime.h"

#define CKPT_SIG	SIGUSR2
#define CKPT_HOLD	0x766e6801
#define CKPT_RELEASE	0x766e6802

/* In the shim: trace (attach 1) or let go of (0) every process of the
 * tree; the number of processes done, or -1. */
int ckpt_trace_tree(pid_t root, int attach);
/* Ask rt's shim to hold (CKPT_HOLD) or let go of (CKPT_RELEASE) the tree,
 * and wait (bounded) until every process of it is held (in a tracing
 * stop) or free. */
int ckpt_hold_ask(const struct ckpt_runtime *rt, int what, char *err,
    size_t errlen);

#endif
