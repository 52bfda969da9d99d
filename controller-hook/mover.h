/*
 * mover.h - vnode-hookd's mover: one thread that polls Slurm's jobs every
 * move_interval (one request; the node list only when a job may move) and
 *
 *   - records what the jobs on registry nodes do: run, suspend, resume,
 *     end (and requeue, when Slurm did it by itself);
 *   - releases jobs the hook requeued (POST /v1/requeue, a drain with
 *     checkpoints): once PENDING, StartTime=now and, with a target,
 *     ReqNodeList=target, which is cleared again when the job is pending
 *     after it ran there; gives up after MOVER_RELEASE_TIMEOUT; while a
 *     release waits for its job, it polls every MOVER_RELEASE_POLL;
 *   - with ckpt_partitions: orders a checkpoint of a job suspended in one
 *     of them to a registry node that is IDLE ("checkpoint JOB NODE" to the
 *     agent of the job's node), once per job until that order has an
 *     outcome.
 *
 * ckpt/README.md has the events and orders.
 */
#ifndef VNODE_HOOK_MOVER_H
#define VNODE_HOOK_MOVER_H

#include <stddef.h>

#include "config.h"
#include "db.h"
#include "slurm.h"

#define MOVER_RELEASE_TIMEOUT	60.0	/* seconds */
#define MOVER_RELEASE_POLL	0.05	/* seconds */

struct mover;

/* A mover on its own database handle; report() gets one line for each
 * thing done, and for each error. */
struct mover *mover_new(const struct hook_config *cfg, struct db *db,
    void (*report)(const char *line));
void mover_free(struct mover *m);
/* One poll, given Slurm's jobs (as sl_jobs() made them) at time now; how
 * many releases wait for their job to be PENDING. */
int mover_pass(struct mover *m, const struct sl_job *jobs, size_t njobs,
    double now);

/* The thread: a pass every move_interval; db is its own. */
int mover_start(const struct hook_config *cfg, struct db *db,
    void (*report)(const char *line), char *err, size_t errlen);
void mover_stop(void);

#endif
