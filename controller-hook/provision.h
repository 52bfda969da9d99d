/*
 * provision.h - elastic vnode: one thread of vnode-hookd that makes and
 * deletes instances as Slurm's power saving asks (hookd.conf(5)
 * "provider").
 *
 * Slurm runs vnodectl as its ResumeProgram, SuspendProgram and
 * ResumeFailProgram; vnodectl writes the request (the host list, the jobs
 * of SLURM_RESUME_FILE) into the registry and returns at once.  This
 * thread takes the requests and:
 *
 *   resume       a node with no live instance gets one: a single-use join
 *                token bound to the node's name, in the instance's user
 *                data; the provider's create (in bulk); the instance
 *                joins as exactly that node (api.c), at the address it
 *                joins from.  A node that has an instance already is left
 *                alone (Slurm resumes again after a slurmctld restart).
 *   suspend      the node's agent is told to retire (it leaves: drains,
 *                checkpoints, requeues, deregisters), then the instance
 *                is deleted; one that never joined is deleted at once.
 *   resume-fail  the instance is deleted and the node powered down, so
 *                that it is usable again (never DOWN for good).
 *
 * and, on its own clock: an instance not joined within join_timeout is
 * deleted and its node powered down (its jobs go back to the queue); a
 * refused create backs the provider off for provider_backoff, the nodes
 * powered down at once meanwhile; every sync_interval the cloud's list is
 * compared with the registry: instances nobody knows are deleted after
 * orphan_grace, nodes whose instance vanished are powered down (their
 * jobs requeued).  All state is in the registry: a hook that restarts in
 * the middle of a resume carries on.
 */
#ifndef VNODE_HOOK_PROVISION_H
#define VNODE_HOOK_PROVISION_H

#include <stddef.h>

#include "config.h"
#include "db.h"

#define PROVISION_TICK		0.2	/* seconds between looks */
#define PROVISION_BATCH		100	/* instances per create call */
#define PROVISION_RETIRE_MAX	180	/* seconds an agent has to leave */

/* The cumulative counts of /metrics. */
struct provision_stats {
	unsigned long resumes, suspends, resume_fails;
	unsigned long created, create_failed, refused;
	unsigned long deleted, join_timeouts, orphans, vanished;
	unsigned long calls[3];		/* create, destroy, list */
	double call_secs[3];		/* their time, summed */
	double call_max[3];
	int backing_off;		/* now */
};

/* The thread, on its own database handle; report() gets one line for
 * each thing done, and for each error. */
int provision_start(const struct hook_config *cfg, struct db *db,
    void (*report)(const char *line), char *err, size_t errlen);
void provision_stop(void);
void provision_stats_get(struct provision_stats *st);

/*
 * A node leaves (its agent's leave, or the reaper): when it is an elastic
 * node (a live instance of it, of that agent's instance id when instance
 * is not NULL), the CLOUD node stays in Slurm, powered down at once and
 * undrained (usable for the next resume), and its instance is marked for
 * deletion.  1 when it was one, 0 when not (the caller removes the node as
 * its mode has it), -1 with err.  From any thread, on its database handle;
 * the caller owns the transaction.
 */
int provision_node_left(struct db *db, const char *node,
    const char *instance, const char *why, double now, char *err,
    size_t errlen);

#endif
