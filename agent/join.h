/*
 * join.h - the join step: a signed POST /v1/join with the join token,
 * retried with backoff while the controller is unreachable or answers 5xx,
 * and a strict reading of the signed answer.
 */
#ifndef VNODE_AGENT_JOIN_H
#define VNODE_AGENT_JOIN_H

#include <signal.h>
#include <stddef.h>

#include "settings.h"
#include "sig.h"
#include "state.h"
#include "wg.h"

#define JOIN_MAX_ROUTES 16

struct join_facts {
	char local_addr[16];		/* ours towards the hook, or "" */
	char wg_key[WG_KEY_LEN + 1];	/* overlay: our public key, or "" */
	int wg_required;		/* overlay = yes */
	char hostname[256];
	long cpus;
	long memory_mb;
};

#define JOIN_MAX_MOUNTS 8

struct join_mount {
	char name[33];
	char source[256];
	char target[201];
	char type[17];
	char options[256];
};

/* The overlay, as the hook's answer has it (all checked). */
struct join_overlay {
	int used;			/* 0: no overlay for this node */
	char address[16];		/* ours, Slurm's NodeAddr */
	struct wg_net network;
	char controller[16];		/* the controller's overlay address */
	char public_key[WG_KEY_LEN + 1];	/* the controller's */
	char endpoint[300];		/* host:port */
	long keepalive;
	struct wg_net routes[JOIN_MAX_ROUTES];	/* through the controller */
	int nroutes;
};

struct join_result {
	char node[64];
	char addr[64];
	char mode[16];
	char conf_server[300];
	long cpus;
	long memory_mb;
	char features[1100];		/* comma-separated */
	int rejoin;
	int held;			/* drained until POST /v1/ready (an
					 * older hook: never) */
	struct join_mount mounts[JOIN_MAX_MOUNTS];
	int nmounts;
	unsigned char *munge_key;	/* wiped and freed by join_result_free */
	size_t munge_len;
	char credential[SECRET_LEN + 1];
	int attempts;
	struct join_overlay overlay;
};

/* The machine's CPUs and memory, unless the settings fix them. */
int join_facts_gather(const struct settings *s, struct join_facts *f,
    char *err, size_t errlen);

/* note() is told of each retry; *stop ends the retrying.  On failure *refused is 1 when the hook
 * said no (4xx: retrying would not help), 0 when it could not be reached
 * within join_timeout. */
/* prev: what an earlier run kept (state.h), or NULL: its credential is
 * tried first, the token after it if the hook refuses the credential. */
int join_run(const struct settings *s, const struct join_facts *f,
    const struct node_state *prev, void (*note)(const char *msg),
    volatile sig_atomic_t *stop, struct join_result *r, int *refused, char *err,
    size_t errlen);
void join_result_free(struct join_result *r);

/* Read a join answer (exposed for tests and fuzzing). */
int join_parse_answer(const char *body, size_t len, const struct sig_keys *k,
    const char *nonce, struct join_result *r, char *err, size_t errlen);

#endif
