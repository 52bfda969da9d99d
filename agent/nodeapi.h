/*
 * nodeapi.h - the calls a joined node makes to vnode-hookd with its own
 * credential: status, drain (with requeue), leave, heartbeat, requeue of a
 * checkpointed job, events.
 */
#ifndef VNODE_AGENT_NODEAPI_H
#define VNODE_AGENT_NODEAPI_H

#include <stddef.h>

#include "state.h"

struct node_status {
	char state[64];			/* Slurm's, e.g. IDLE, MIXED+DRAIN */
	int exists;
	int usable;
	int busy;
	int responding;
};

int node_status(const struct node_state *st, struct node_status *ns,
    char *err, size_t errlen);
/* A held node's word on its mounts (why NULL: verified; else the
 * failed mount's error): the hook releases the node, or keeps it
 * drained with why as the reason.  *released: the hold is over. */
int node_ready(const struct node_state *st, const char *why,
    struct node_status *ns, int *released, char *err, size_t errlen);
/* A job's checkpoint at leave, as the drain tells the hook: image > 0
 * when it was dumped (and is held stopped for the requeue), else error
 * says why not. */
struct node_ckpt {
	unsigned long job;
	long image;
	char error[300];
};

/* What the hook did with a job at the drain: requeued (error ""), or
 * not, and why. */
struct node_requeued {
	unsigned long job;
	char error[128];
};

#define NODE_MAX_JOBS 256
struct node_drained {
	struct node_status status;	/* the node's after the requeue */
	/* those not requeued first, then those requeued */
	struct node_requeued jobs[NODE_MAX_JOBS];
	int njobs;			/* in jobs[] */
	int requeued;			/* all the hook listed, each way */
	int failed;
};

/* Drain the node and requeue its jobs.  cp: the checkpoints tried
 * (ncp of them), for the hook's record; ncp < 0: none were tried (the
 * body has no "checkpoints").  NODE_UNKNOWN when the hook no longer
 * knows the node. */
int node_drain(const struct node_state *st, const struct node_ckpt *cp,
    int ncp, struct node_drained *d, char *err, size_t errlen);
/* Drain only: no new jobs start here; the jobs on the node in jobs[]
 * (at most max; *njobs may say more were there). */
int node_drain_only(const struct node_state *st, unsigned long *jobs,
    int max, int *njobs, char *err, size_t errlen);
/* After a checkpoint (image > 0) or none (image 0, why says so): the hook
 * requeues job and, with to, starts it there. */
int node_requeue(const struct node_state *st, unsigned long job, long image,
    const char *why, const char *to, char *err, size_t errlen);
/* Events for the hook's record: body {"events": [...]}; *stored how many
 * it kept. */
int node_events(const struct node_state *st, const char *body, int *stored,
    char *err, size_t errlen);
/* Remove the node from Slurm and the registry; its credential ends. */
int node_leave(const struct node_state *st, char *err, size_t errlen);

struct node_order {
	long id;			/* 0: no order */
	char kind[16];			/* "retire", "checkpoint" */
	char arg[64];
};

struct step_time {
	const char *name;		/* a boot step: "time", "join", ... */
	double secs;
};

/* A heartbeat's body: how long it may wait at the hook, the boot steps'
 * times and the whole (t may be NULL), seconds suspended since the last;
 * orders 0 makes it a report only (the hook keeps any order). */
char *node_heartbeat_body(long wait, const struct step_time *t, int n,
    double total, long resumed, int orders);
/* A heartbeat: body as node_heartbeat_body() makes it; the hook answers
 * at once with an order, or after up to wait seconds with none.
 * NODE_UNKNOWN when the hook no longer knows the node (it was reaped, or
 * removed). */
#define NODE_UNKNOWN (-2)
/* Any call: the hook answered 4xx (other than an unknown credential):
 * the same request would be refused again. */
#define NODE_REFUSED (-3)
int node_heartbeat(const struct node_state *st, const char *body, long wait,
    struct node_order *order, char *err, size_t errlen);

#endif
