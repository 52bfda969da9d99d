/*
 * jobs.h - checkpointing this node's jobs (ckpt/dump.h does the dump):
 * on the hook's order (move a job), and at leave (all of them, in
 * parallel, within the stop budget).  A job that cannot be checkpointed
 * is requeued the ordinary way at leave, and stays where it is on an
 * order; either way the reason reaches the hook's event record.
 */
#ifndef VNODE_AGENT_JOBS_H
#define VNODE_AGENT_JOBS_H

#include "nodeapi.h"
#include "settings.h"
#include "state.h"

/* Can this node checkpoint (ckpt_selftest, bounded by ckpt_timeout, the
 * time one job's dump may take)?  1 yes, 0 no, with one line in line
 * either way; -1 when no ckpt_dir is set.  A "no" is kept: orders and the
 * leave then skip CRIU and say why (the leave requeues the jobs the
 * ordinary way). */
int jobs_selftest(const struct settings *s, char *line, size_t linelen);

/* A "checkpoint" order, arg "JOB" or "JOB NODE": dump, then the hook
 * requeues it (for NODE).  0 when requeued after a checkpoint. */
int jobs_order(const struct settings *s, const struct node_state *st,
    const char *arg);
/* A "forget" order, arg "JOB": the job has ended for good (the hook saw
 * it), so its files in the store go.  Refused while the job runs here.
 * 0 when removed (or there was nothing). */
int jobs_forget(const struct settings *s, const char *arg);
/* At leave: dump each checkpointable job of jobs[] in parallel, within
 * budget seconds.  One entry of out[] (room for n) for each job tried,
 * dumped (image) or not (error); how many. */
int jobs_checkpoint_all(const struct settings *s, const char *node,
    const unsigned long *jobs, int n, double budget, struct node_ckpt *out);
/* A job the hook could not requeue: if cp[] (ncp of them) has it dumped,
 * it goes on here. */
void jobs_resume(const struct settings *s, const struct node_ckpt *cp,
    int ncp, unsigned long job);

#endif
