/*
 * selftest.h - can this node checkpoint?
 *
 * A leaf module (files.h).
 */
#ifndef VNODE_CKPT_SELFTEST_H
#define VNODE_CKPT_SELFTEST_H

#include <stddef.h>

#include "store.h"

/*
 * A job-shaped test: a process that leads its session as pid 1 of a PID
 * namespace of its own (/bin/sleep), dumped with c->criu and restored
 * beside the caller (--restore-sibling), as the plugin restores jobs;
 * then killed.  Images in <runtime>/ckpt/selftest (node-local), removed
 * after (CRIU's log of a failed step is kept as
 * <runtime>/ckpt/selftest.log).  Every criu call bounded by timeout
 * seconds in all.  0 with info ("criu 4.2.1: a test process dumped and
 * restored in 0.12 s"), or -1 with err saying what failed (CRIU's own
 * error line where it gave one).  Root only.
 */
int ckpt_selftest(const struct ckpt_conf *c, double timeout, char *info,
    size_t infolen, char *err, size_t errlen);

#endif
