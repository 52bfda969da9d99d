/*
 * api.h - vnode-hookd's HTTP API, apart from the HTTP server: one request
 * in, one response out.  See vnode-hookd(8) for the endpoints.
 */
#ifndef VNODE_HOOK_API_H
#define VNODE_HOOK_API_H

#include <stddef.h>

#include "config.h"
#include "db.h"
#include "sig.h"
#include "slurm.h"

#define API_WAIT_MAX	25	/* seconds a heartbeat may wait for an order */
#define API_PHASES	9
#define API_BUCKETS	12
#define API_CALLS	5	/* join, heartbeat, status, leave, other */

struct api_histogram {
	unsigned long bucket[API_BUCKETS];	/* cumulative counts */
	unsigned long count;
	double sum;
};

struct api_metrics {
	unsigned long joins_admitted, joins_readmitted, joins_refused,
	    joins_failed;
	unsigned long heartbeats;
	unsigned long suspensions;	/* nodes that said they were suspended */
	struct api_histogram phase[API_PHASES];
	struct api_histogram call[API_CALLS];	/* the hook's own time per
						 * request, by kind */
};

struct api {
	const struct hook_config *cfg;
	struct db *db;
	unsigned char *munge_key;
	size_t munge_len;
	long (*now)(void);		/* the clock; tests may replace it */
	double (*now_exact)(void);	/* the same, with the fraction */
	struct api_metrics m;
};

/* A request answered: seconds from its headers in to its answer queued,
 * not counting a heartbeat's wait for an order (vnode_request_seconds). */
void api_observe_call(struct api *a, const char *path, double secs);

/* A heartbeat that waits for an order: what answering it later needs. */
struct api_pending {
	char node[64];
	struct sig_keys keys;
	char nonce[SIG_NONCE_LEN + 1];
	double wait;			/* seconds */
};

/* A join that waits for its node to be made in Slurm: the registry part
 * is done; admit.c makes the node (in a batch with others), then
 * api_join_finish() answers.  Holds the node's new credential until then. */
struct api_admission {
	struct sl_node sn;		/* points into the fields below */
	long id;			/* registry row */
	char name[64];			/* pool mode: admit.c picks the slot */
	char addr[16];
	char hostname[254];
	char features[SL_FEATURES_MAX];
	char instance[65];
	int rejoin;
	int need_slot;			/* pool mode: new, or its slot went */
	int cloud;			/* elastic: a CLOUD node of slurm.conf
					 * that power saving resumed */
	int hold;			/* to be held (drained) until its agent
					 * says its mounts are verified */
	int held;			/* admit.c's answer: it is */
	/* the overlay (overlay.h): addr is the node's overlay address */
	int overlay;
	char wg_key[45];		/* the node's public key */
	char wg_old_key[45];		/* a rejoin's former one, or "" */
	int wg_was_active;		/* the same key was a peer before */
	unsigned char master[CRYPTO_KEY_LEN];	/* of the new credential */
	/* what the answer needs */
	struct sig_keys keys;
	char nonce[SIG_NONCE_LEN + 1];
	char secret[SECRET_LEN + 1];
	int with_token;
	char token[17];
	char peer[16];
	double queued;			/* mono_now() */
	/* admit.c's answer: "" when the node is in Slurm */
	char error[600];
	void *conn;			/* the HTTP server's, while suspended */
	struct api_admission *next;
};

/* A status request that waits for Slurm's answer: authenticated, its
 * nonce kept; status.c asks Slurm (in its own thread, not the HTTP
 * server's), then api_status_finish() answers. */
enum { API_READY_OK = 1, API_READY_FAILED = 2 };
struct api_status_ask {
	struct db_node node;		/* as it authenticated (wiped after) */
	struct sig_keys keys;
	char nonce[SIG_NONCE_LEN + 1];
	char peer[16];
	/* POST /v1/ready: the agent's word on its mounts, for a node held
	 * since its join (SL_HOLD_...) */
	int ready;			/* API_READY_..., 0 for a status */
	char why[DB_DETAIL_MAX + 1];	/* the failed mount's error */
	int released;			/* status.c: the hold is over */
	char outcome[512];		/* status.c: what it did */
	struct sl_status st;		/* status.c's part: Slurm's view */
	char error[300];		/* or why there is none; "" */
	void *conn;			/* the HTTP server's, while suspended */
	struct api_status_ask *next;
};

struct api_request {
	const char *method;
	const char *path;
	const char *key;		/* headers, or NULL when absent */
	const char *time;
	const char *nonce;
	const char *sig;
	const char *body;
	size_t bodylen;
	const char *peer;		/* client's IPv4 address */
};

struct api_response {
	int status;
	char *body;			/* JSON, allocated */
	size_t bodylen;
	int is_signed;
	long ts;
	char sig[SIG_HEX_LEN + 1];
	char log[512];			/* one line for the daemon's log */
	int notable;			/* log it even for a status or heartbeat */
	int suspend;			/* no answer yet: wait with pending */
	struct api_pending pending;
	struct api_admission *admission;	/* or for this admission */
	struct api_status_ask *status_ask;	/* or for Slurm's answer */
};

/* The code of an error answer of this HTTP status, where the call gives
 * none of its own ("bad_request", "unauthorized", ...). */
const char *api_error_code(int status);

/* Reads the munge key the hook hands out; err names what was wrong. */
int api_init(struct api *a, const struct hook_config *cfg, struct db *db,
    char *err, size_t errlen);
void api_fini(struct api *a);
void api_handle(struct api *a, const struct api_request *rq,
    struct api_response *rs);
void api_response_free(struct api_response *rs);
/* Answer a heartbeat that waited (rs->suspend was set): with the node's
 * next order, or none.  p is wiped. */
void api_heartbeat_finish(struct api *a, struct api_pending *p,
    struct api_response *rs);
/* Answer a join once admit.c has done its part; frees ad. */
void api_join_finish(struct api *a, struct api_admission *ad,
    struct api_response *rs);
/* Answer a status request once status.c has asked Slurm; q is wiped
 * (the caller frees it). */
void api_status_finish(struct api *a, struct api_status_ask *q,
    struct api_response *rs);
/* GET /metrics, Prometheus text; waiting: heartbeats waiting now. */
void api_metrics(struct api *a, int waiting, struct api_response *rs);

#endif
