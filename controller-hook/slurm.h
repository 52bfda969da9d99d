/*
 * slurm.h - everything vnode-hookd asks of slurmctld.  All libslurm use is
 * in slurm.c, because its API changes between Slurm releases.  The calls
 * may come from any thread; they are made one at a time.
 */
#ifndef VNODE_HOOK_SLURM_H
#define VNODE_HOOK_SLURM_H

#include <stddef.h>

struct sl_node {
	const char *name;		/* checked by name_node_valid() */
	const char *addr;		/* IPv4 address */
	const char *hostname;		/* checked by name_host_valid() */
	long cpus;
	long memory_mb;
	const char *features;		/* comma-separated, each checked */
};

/* The longest features text: the site's 16 and a node's 16, each of up
 * to 63 characters, and the commas; and the longest node line, with the
 * longest host name (253) and the rest. */
#define SL_FEATURES_MAX	(32 * 64)
#define SL_LINE_MAX	(SL_FEATURES_MAX + 512)

struct sl_status {
	int exists;
	char state[64];		/* Slurm's own words, e.g. IDLE, DRAINED */
	int usable;		/* IDLE/ALLOCATED/MIXED and not DRAIN/DOWN */
	int busy;		/* jobs still on it (allocated or completing) */
	int responding;
	int drained_by_vnode;	/* drained with SL_DRAIN_REASON */
	int drained;		/* DRAIN, by whoever */
	int held_by_vnode;	/* drained with a reason SL_HOLD_PREFIX... */
	int no_reason;		/* no reason at all (a pool slot's drain
				 * loses it when its slurmd registers) */
	int down;
	int reaped_by_vnode;	/* DOWN with a reason SL_REAP_REASON... */
	int future;		/* State=FUTURE: declared, not in use */
	int cloud;		/* State=CLOUD (power saving) */
	int powered_down;	/* POWERED_DOWN */
	int powering_up;	/* POWERING_UP: a resume, not registered yet */
	int powering_down;	/* POWERING_DOWN */
	char addr[64];		/* NodeAddr */
};

/* Slurm's power saving settings (slurm.conf), seconds; programs "" when
 * not set. */
struct sl_power_conf {
	long resume_timeout;
	long suspend_timeout;
	long suspend_time;		/* -1: power saving off (INFINITE) */
	char resume_program[256];
	char suspend_program[256];
	char resume_fail_program[256];
	char prolog_slurmctld[256];
};

/* A job as one poll saw it. */
enum sl_job_state { SL_JOB_PENDING, SL_JOB_RUNNING, SL_JOB_SUSPENDED,
    SL_JOB_DONE, SL_JOB_OTHER };

struct sl_job {
	unsigned long id;
	enum sl_job_state state;
	char state_text[32];	/* Slurm's words, like RUNNING, COMPLETED */
	int completing;		/* still completing, or being requeued */
	char node[64];		/* its batch host (or first node); "" none */
	char nodes[256];	/* all its nodes, a host list expression */
	char partition[64];
	char req_nodes[256];	/* ReqNodeList */
	int exit_status;	/* exit code, or -1 when killed by a signal */
	int exit_signal;
	long start;		/* unix time of its latest start; 0 none */
};

/* What vnodectl check-slurm weighs of the running slurmctld's
 * configuration. */
struct sl_conf {
	char version[32];		/* slurmctld's, like 24.11.5 */
	char lib_version[32];		/* the libslurm we were built with */
	char sched_params[1024];	/* SchedulerParameters; "" none */
	char slurmctld_params[1024];	/* SlurmctldParameters */
	char preempt_type[64];		/* like preempt/partition_prio */
	char preempt_mode[64];		/* like SUSPEND,GANG; OFF */
	char select_type[64];
	char suspend_exc_states[256];	/* SuspendExcStates; "" none */
	char suspend_exc_parts[256];	/* SuspendExcParts; "" none */
	char suspend_exc_nodes[256];	/* SuspendExcNodes; "" none */
	int has_suspend_exc_states;	/* this Slurm knows the key (23.02+) */
	long suspend_time;		/* SuspendTime, s; -1 power saving off */
	int job_requeue;		/* JobRequeue */
	char control_addr[256];		/* SlurmctldHost's address (the first) */
	long slurmctld_port;		/* SlurmctldPort, the first */
	int slurmctld_port_count;	/* 1 unless SlurmctldPort is a range */
};

#define SL_DRAIN_REASON "vnode: node is leaving"
#define SL_REAP_REASON "vnode: reaped"
/* A node held until its agent says its mounts are verified (the agent's
 * POST /v1/ready): drained with this reason, or with SL_HOLD_FAILED and
 * the mount's error when they failed. */
#define SL_HOLD_PREFIX "vnode: held: "
#define SL_HOLD_REASON SL_HOLD_PREFIX "mounts not verified yet"
#define SL_HOLD_FAILED SL_HOLD_PREFIX "mount failed: "

int sl_init(char *err, size_t errlen);
void sl_fini(void);

/* Create a dynamic node, State=FUTURE, with its address; if a node of that
 * name exists already (a rejoin), update its address instead. */
int sl_node_create(const struct sl_node *n, char *err, size_t errlen);
/* Many at once: new nodes with the same CPUs, memory and features in one
 * request, rejoins each on its own.  err[i] is "" for each node made,
 * else why not; returns how many failed. */
size_t sl_nodes_create(const struct sl_node *n, size_t count,
    char (*err)[256]);
/* Pool mode: give declared slots their instance's address and host name,
 * in one request. */
int sl_nodes_address(const struct sl_node *n, size_t count, char *err,
    size_t errlen);
/* Pool mode: the slot is free again (State=FUTURE). */
int sl_node_future(const char *name, char *err, size_t errlen);
int sl_node_delete(const char *name, char *err, size_t errlen);
/* slurmctld answers. */
int sl_ping(void);
int sl_reconfigure(char *err, size_t errlen);
/* DOWN, with reason: Slurm requeues (or ends) the jobs on it. */
int sl_node_down(const char *name, const char *reason, char *err,
    size_t errlen);
int sl_node_drain(const char *name, const char *reason, char *err,
    size_t errlen);
int sl_node_status(const char *name, struct sl_status *st, char *err,
    size_t errlen);
/* The state of each of n nodes (st[i] for names[i]), with one request
 * for them all. */
int sl_nodes_status(const char *const *names, size_t n,
    struct sl_status *st, char *err, size_t errlen);
/* fn for every node Slurm has, with one request. */
int sl_node_each(void (*fn)(void *arg, const char *name,
    const struct sl_status *st), void *arg, char *err, size_t errlen);
int sl_node_resume(const char *name, char *err, size_t errlen);
/* Requeue every running or suspended job that uses the node.  Fills
 * *requeued and *failed with counts, and calls report() for each job. */
int sl_requeue_node_jobs(const char *name,
    void (*report)(void *arg, unsigned long jobid, const char *error),
    void *arg, int *requeued, int *failed, char *err, size_t errlen);

/* The running slurmctld's configuration, with one request. */
int sl_conf_load(struct sl_conf *c, char *err, size_t errlen);
/* Power saving (elastic vnode). */
int sl_power_conf(struct sl_power_conf *pc, char *err, size_t errlen);
/* POWER_DOWN_FORCE (force: the node's jobs requeued, the node powered
 * down at once; from DOWN too), or POWER_DOWN; with a reason, if any. */
int sl_node_power_down(const char *name, int force, const char *reason,
    char *err, size_t errlen);
/* POWER_UP: Slurm resumes the node (it runs ResumeProgram). */
int sl_node_power_up(const char *name, char *err, size_t errlen);
/* The DRAIN flag off, whatever else the node is. */
int sl_node_undrain(const char *name, char *err, size_t errlen);
/* The node list (host list expression) of partition part, into out;
 * 1 when there is no such partition. */
int sl_partition_nodes(const char *part, char *out, size_t outsz, char *err,
    size_t errlen);
/* fn for each host name of a Slurm host list expression ("vm-[1-3,7]"),
 * until it returns non-zero; -1 with err when expr is not one. */
int sl_hostlist_each(const char *expr, int (*fn)(void *arg,
    const char *name), void *arg, char *err, size_t errlen);

/* Every job Slurm has, with one request: an allocated array. */
int sl_jobs(struct sl_job **out, size_t *n, char *err, size_t errlen);
/* One job: 0, 1 when Slurm does not know it, -1 error. */
int sl_job(unsigned long id, struct sl_job *j, char *err, size_t errlen);
/* Does the job's node list hold node?  (No request to Slurm.) */
int sl_job_uses(const struct sl_job *j, const char *node);
int sl_job_requeue(unsigned long id, char *err, size_t errlen);
/* A pending job: StartTime=now when start_now, and ReqNodeList=nodes
 * (NULL: unchanged; "": cleared). */
int sl_job_release(unsigned long id, int start_now, const char *nodes,
    char *err, size_t errlen);
/* The running or suspended jobs that use the node: up to max ids in ids,
 * how many in *n. */
int sl_node_jobs(const char *name, unsigned long *ids, size_t max,
    size_t *n, char *err, size_t errlen);

#endif
