/*
 * leave.h - the node's leave (vnode-agent leave, SIGTERM to run, a retire
 * order): drain; with a checkpoint store, checkpoint the jobs; requeue
 * them (those dumped and not requeued go on here); wait until none is
 * left; stop slurmd; unmount; deregister; the overlay down.  One line
 * per step (step.h).
 */
#ifndef VNODE_AGENT_LEAVE_H
#define VNODE_AGENT_LEAVE_H

#include "settings.h"

/* 0 when the node left (or had not joined), EXIT_LEAVE when it could
 * not: then it stays drained, and slurmd keeps running while jobs are
 * on it. */
int leave_node(const struct settings *s);
/* What this machine still does as the node, when the hook and slurmctld
 * have forgotten it: slurmd, the mounts, the overlay, node.json. */
void leave_local(void);

#endif
