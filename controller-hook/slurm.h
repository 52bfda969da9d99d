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
	int down;
	int reaped_by_vnode;	/* DOWN with a reason SL_REAP_REASON... */
	int future;		/* State=FUTURE: declared, not in use */
	char addr[64];		/* NodeAddr */
};

#define SL_DRAIN_REASON "vnode: node is leaving"
#define SL_REAP_REASON "vnode: reaped"

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
/* fn for every node Slurm has, with one request. */
int sl_node_each(void (*fn)(void *arg, const char *name,
    const struct sl_status *st), void *arg, char *err, size_t errlen);
int sl_node_resume(const char *name, char *err, size_t errlen);
/* Requeue every running or suspended job that uses the node.  Fills
 * *requeued and *failed with counts, and calls report() for each job. */
int sl_requeue_node_jobs(const char *name,
    void (*report)(void *arg, unsigned long jobid, const char *error),
    void *arg, int *requeued, int *failed, char *err, size_t errlen);

#endif
