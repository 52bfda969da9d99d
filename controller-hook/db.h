/*
 * db.h - the hook's registry in SQLite: join tokens, nodes, and the nonces
 * of recent requests.  Only the master key derived from a secret is stored,
 * never the secret.
 */
#ifndef VNODE_HOOK_DB_H
#define VNODE_HOOK_DB_H

#include <stddef.h>

#include <json-c/json.h>

#include "crypto.h"

struct db;

struct db_token {
	char id[17];
	unsigned char master[CRYPTO_KEY_LEN];
	long uses;		/* how many instances may join with it */
	long used;		/* how many have: kept in the row, one more
				 * for every node made with it */
	long expires;		/* unix time */
	long created;
	char features[1100];	/* the node features its instances may
				 * claim, comma-separated; "" none */
};

struct db_node {
	long id;
	char name[64];
	char instance[65];
	char token[17];
	char addr[64];
	char hostname[254];
	char state[16];		/* joining, admitted, left, reaped */
	unsigned char master[CRYPTO_KEY_LEN];
	int has_master;
	long created;
	long updated;
	long last_seen;		/* last heartbeat, unix time; 0: none yet */
	int held;		/* drained by its admission until its agent
				 * says its mounts are verified (SL_HOLD_...) */
};

struct db_order {
	long id;
	char kind[16];		/* "retire", "checkpoint", "forget" */
	char arg[64];		/* checkpoint: "JOB" or "JOB NODE"; forget:
				 * "JOB" */
};

/* One line of the events table; see ckpt/README.md for the kinds. */
#define DB_DETAIL_MAX	200
struct db_event {
	long id;
	double time;		/* unix time */
	char node[64];		/* "" when none */
	long job;		/* 0 when none */
	char kind[24];
	char detail[DB_DETAIL_MAX + 1];
};

/* A requeued job the mover is to release: wait (until PENDING), released
 * (until it runs), ran (it ran on target: ReqNodeList to be cleared when
 * it is pending again). */
struct db_release {
	long job;
	char target[64];	/* "" when none */
	double created;
	char state[16];
};

/* A checkpoint order delivered this long ago with nothing heard of it
 * since is taken as lost. */
#define DB_CHECKPOINT_STALE	600

int db_open(const char *path, struct db **out, char *err, size_t errlen);
void db_close(struct db *db);

/* A power saving request that vnodectl left for the hook (Slurm's
 * ResumeProgram, SuspendProgram, ResumeFailProgram, or an admin's
 * provision/deprovision). */
struct db_power {
	long id;
	char action[16];	/* resume, suspend, resume-fail */
	char nodes[4096];	/* a Slurm host list expression */
	char detail[1024];	/* jobs of SLURM_RESUME_FILE, who asked */
	double created;
};

/* An instance elastic vnode made (or is making) for a node. */
struct db_instance {
	long id;
	char node[64];		/* the Slurm node it is for */
	char provider[16];
	char cloud_id[128];	/* the cloud's id; "" until known */
	char state[16];		/* DB_INSTANCE_LIVE, or deleted, failed */
	char token[17];		/* its single-use join token */
	char instance[65];	/* the agent's instance id, once joined */
	double requested;	/* unix time of the resume */
	double updated;
	double joined;		/* 0 until then */
	char detail[256];	/* the cloud's or the hook's last word */
	char why[256];		/* who asked: the jobs, an admin */
};
/* The states of an instance that is there or on its way */
#define DB_INSTANCE_LIVE \
    "('requested', 'booting', 'joined', 'retiring', 'deleting')"

/* BEGIN IMMEDIATE: one writer at a time, so two joins racing for a token's
 * last use are serialised. */
int db_begin(struct db *db, char *err, size_t errlen);
int db_commit(struct db *db, char *err, size_t errlen);
void db_rollback(struct db *db);

int db_token_add(struct db *db, const struct db_token *t, char *err,
    size_t errlen);
/* 0 found, 1 not found, -1 error. */
int db_token_get(struct db *db, const char *id, struct db_token *t, char *err,
    size_t errlen);
/* [{id, uses, used, expires, created, instances: [..]}] */
struct json_object *db_token_list(struct db *db, char *err, size_t errlen);

/* 0 new (and recorded), 1 seen before, -1 error. */
int db_nonce_record(struct db *db, const char *nonce, long ts, char *err,
    size_t errlen);
int db_nonce_purge(struct db *db, long before, char *err, size_t errlen);

int db_node_by_instance(struct db *db, const char *instance,
    struct db_node *n, char *err, size_t errlen);
int db_node_by_name(struct db *db, const char *name, struct db_node *n,
    char *err, size_t errlen);
/* Insert a new node named prefix<id>, and fill n->id and n->name. */
int db_node_insert(struct db *db, const char *prefix, struct db_node *n,
    char *err, size_t errlen);
/* Pool mode: the node takes a slot's name; a node that left that slot
 * keeps its row under the name SLOT~ID. */
int db_node_rename(struct db *db, long id, const char *name, char *err,
    size_t errlen);
/* Write back state, addr, hostname, master (all of n's mutable fields). */
int db_node_update(struct db *db, const struct db_node *n, char *err,
    size_t errlen);
/* GET /v1/nodes's answer, {"nodes": [{name, instance, addr, hostname,
 * state, created, updated, last_seen}...]} in id order (no token: what
 * sinfo would show), as text written straight from the rows (20,000
 * nodes through json-c objects took 107-148 ms).  0 with t filled, or -1
 * with err (t freed). */
struct text;
int db_nodes_json(struct db *db, struct text *t, char *err, size_t errlen);
/* fn for each node, oldest first (vnodectl nodes: no JSON in between, at
 * 20,000 nodes half its time) */
int db_node_each(struct db *db, void (*fn)(void *arg,
    const struct db_node *n), void *arg, char *err, size_t errlen);
int db_node_seen(struct db *db, const char *name, long now, char *err,
    size_t errlen);
/* The nodes in state; "held": those admitted and held (nodes.held). */
int db_node_count(struct db *db, const char *state, long *n, char *err,
    size_t errlen);
/* fn for each node in state not heard from (heartbeat, join) since
 * before (now + 1: every node in that state). */
int db_node_stale(struct db *db, const char *state, long before,
    void (*fn)(void *arg, const struct db_node *n), void *arg, char *err,
    size_t errlen);

/* Orders for nodes, delivered on their heartbeat. */
int db_order_add(struct db *db, const char *node, const char *kind,
    const char *arg, long now, char *err, size_t errlen);
/* The node's oldest order not yet delivered, marked delivered: 0, or 1
 * when there is none. */
int db_order_take(struct db *db, const char *node, long now,
    struct db_order *o, char *err, size_t errlen);
/* Forget the node's orders not yet delivered (it left). */
int db_order_drop(struct db *db, const char *node, char *err,
    size_t errlen);
/* fn for each node with an order waiting. */
int db_order_pending(struct db *db, void (*fn)(void *arg, const char *node),
    void *arg, char *err, size_t errlen);

/* Power requests: added by vnodectl; taken (all waiting ones, oldest
 * first, fn for each) by the provisioner. */
int db_power_add(struct db *db, const char *action, const char *nodes,
    const char *detail, double now, char *err, size_t errlen);
int db_power_take(struct db *db, void (*fn)(void *arg,
    const struct db_power *p), void *arg, char *err, size_t errlen);

/* Instances: 0 found, 1 none, -1 error. */
int db_instance_live(struct db *db, const char *node, struct db_instance *in,
    char *err, size_t errlen);
int db_instance_by_token(struct db *db, const char *token,
    struct db_instance *in, char *err, size_t errlen);
int db_instance_by_cloud_id(struct db *db, const char *cloud_id,
    struct db_instance *in, char *err, size_t errlen);
/* Insert (in->id set); write back cloud_id, state, token, instance,
 * updated, joined, detail, why. */
int db_instance_add(struct db *db, struct db_instance *in, char *err,
    size_t errlen);
int db_instance_update(struct db *db, const struct db_instance *in,
    char *err, size_t errlen);
/* fn for each instance (live_only: those in DB_INSTANCE_LIVE), oldest
 * first. */
int db_instance_each(struct db *db, int live_only,
    void (*fn)(void *arg, const struct db_instance *in), void *arg,
    char *err, size_t errlen);
/* Insert a node under the name n->name (elastic: the name Slurm asked
 * for); an older row of that name is renamed NAME~ID. */
int db_node_insert_named(struct db *db, struct db_node *n, char *err,
    size_t errlen);

/* The events table. */
int db_event_add(struct db *db, double time, const char *node, long job,
    const char *kind, const char *detail, char *err, size_t errlen);
/* fn for each event with time >= since and id > after, of job (0: all),
 * oldest first; fn returning non-zero stops the walk. */
int db_event_list(struct db *db, double since, long after, long job,
    int (*fn)(void *arg, const struct db_event *e), void *arg, char *err,
    size_t errlen);
/* The job's latest event of one of kinds (NULL-terminated, at most 16):
 * 0, 1 when there is none, -1 error. */
int db_event_last(struct db *db, long job, const char *const *kinds,
    struct db_event *e, char *err, size_t errlen);
/* fn for each job whose files the checkpoint store may hold: it has a
 * checkpoint or checkpoint-failed event and no forget event after it;
 * node is where the latest of those happened. */
int db_store_jobs(struct db *db, void (*fn)(void *arg, long job,
    const char *node), void *arg, char *err, size_t errlen);
/* The id of the newest event, 0 when there is none. */
int db_event_newest(struct db *db, long *id, char *err, size_t errlen);
/* 1 when a checkpoint order for job is pending, or delivered (within
 * DB_CHECKPOINT_STALE) without an outcome yet; 0 when not, -1 error. */
int db_checkpoint_open(struct db *db, long job, long now, char *err,
    size_t errlen);

/* Releases: one row per job; adding one replaces the job's old row. */
int db_release_add(struct db *db, long job, const char *target, double now,
    char *err, size_t errlen);
/* All rows, allocated into *out (free it). */
int db_release_list(struct db *db, struct db_release **out, size_t *n,
    char *err, size_t errlen);
/* A new state, or the row removed (state NULL). */
int db_release_set(struct db *db, long job, const char *state, char *err,
    size_t errlen);

/* The overlay's addresses (hookd.conf overlay_pool): each is a node's,
 * kept across its rejoins, or a host's. */
struct db_overlay {
	char addr[16];
	long node;		/* nodes.id; 0 for a host */
	char host[64];		/* a host's name; "" for a node */
	char pubkey[45];	/* "" when none */
	char state[12];		/* joining, active (a peer of the
				 * controller), inactive */
	double updated;
	/* read only: the node's name (or the host's) and its state */
	char name[64];
	char node_state[16];
};

/* 0 found, 1 none, -1 error. */
int db_overlay_by_node(struct db *db, long node, struct db_overlay *o,
    char *err, size_t errlen);
int db_overlay_by_key(struct db *db, const char *key, struct db_overlay *o,
    char *err, size_t errlen);
int db_overlay_by_host(struct db *db, const char *host, struct db_overlay *o,
    char *err, size_t errlen);
int db_overlay_by_addr(struct db *db, const char *addr, struct db_overlay *o,
    char *err, size_t errlen);
/* Insert, or update the row of that address; a key, node or host that
 * another row holds is an error. */
int db_overlay_put(struct db *db, const struct db_overlay *o, char *err,
    size_t errlen);
int db_overlay_delete(struct db *db, const char *addr, char *err,
    size_t errlen);
/* fn for each row, the least recently updated first. */
int db_overlay_each(struct db *db, void (*fn)(void *arg,
    const struct db_overlay *o), void *arg, char *err, size_t errlen);

#endif
