/*
 * overlay.h - the overlay at the hook (hookd.conf(5) overlay): nodes on
 * networks the controller cannot reach join it through WireGuard.  Each
 * node has an address from overlay_pool, kept in the registry across its
 * rejoins, and is a peer of the controller's WireGuard interface, which
 * vnode-privd keeps (privd.h): the hook itself stays unprivileged.
 *
 * The registry is the truth.  A peer belongs on the interface while its
 * row is active (or joining, for a join under way); overlay_sync puts the
 * interface right (vnode-privd restarted, a removal that failed).
 */
#ifndef VNODE_HOOK_OVERLAY_H
#define VNODE_HOOK_OVERLAY_H

#include <stddef.h>

#include <json-c/json.h>

#include "api.h"
#include "config.h"
#include "db.h"
#include "wg.h"

/* What vnode-privd says of the controller's interface. */
struct overlay_ctl {
	char pubkey[WG_KEY_LEN + 1];
	long port;
	struct wg_net net;		/* the controller's address, and the
					 * overlay's network */
	long max_peers;			/* vnode-privd's limit */
	int hub;			/* peers reach each other through it */
};

/* A join's part of the overlay: what do_join decided. */
struct overlay_join {
	char addr[16];
	char key[WG_KEY_LEN + 1];
	char old_key[WG_KEY_LEN + 1];	/* a rejoin's former key, or "" */
	int was_active;			/* the same key was a peer already */
};

/* The interface, as vnode-privd says (asked once, then kept until
 * overlay_sync asks again). */
int overlay_ctl_get(const struct hook_config *c, struct overlay_ctl *oc,
    char *err, size_t errlen);

/*
 * The registry's part of a join, inside the join's transaction: key
 * checked (well formed, not the controller's, not another node's that is
 * here), the node's address (its own from before, else the pool's first
 * free one, else the one of the node that left longest ago), the peer
 * limit.  0 with oj filled, or -1 with *status (400, 409, 503) and err.
 */
int overlay_join(struct db *db, const struct hook_config *c, long node,
    const char *key, double now, struct overlay_join *oj, int *status,
    char *err, size_t errlen);

/*
 * The admission thread's part, for a batch: the former keys of rejoins
 * removed, then the peers set, one request per PRIVD_WG_BATCH.  A peer
 * that could not be set gets its admission's error.
 */
void overlay_admit(const struct hook_config *c, struct api_admission **v,
    size_t n);

/* The join is answered: the row is active. */
int overlay_joined(struct db *db, long node, double now, char *err,
    size_t errlen);
/* The join failed: a peer that was not there before is removed, the row
 * inactive.  -1 with err when vnode-privd could not be told (overlay_sync
 * removes it later). */
int overlay_join_undo(struct db *db, const struct hook_config *c, long node,
    const char *key, int was_active, double now, char *err, size_t errlen);
/* The node left or was reaped: its row inactive (it keeps the address),
 * its peer removed.  -1 with err as overlay_join_undo. */
int overlay_node_gone(struct db *db, const struct hook_config *c, long node,
    double now, char *err, size_t errlen);

/* The answer's "overlay" object for a node at addr. */
struct json_object *overlay_answer(const struct hook_config *c,
    const char *addr);

/*
 * The interface put right: active peers it lacks are set, peers of no
 * active or joining row are removed, joining rows older than a join can
 * take are made inactive.  report gets one line per change.
 */
int overlay_sync(struct db *db, const struct hook_config *c, double now,
    void (*report)(const char *line), char *err, size_t errlen);

/* The peers as vnode-privd lists them: fn for each. */
struct overlay_peer {
	char key[WG_KEY_LEN + 1];
	char allowed[64];
	char endpoint[64];
	long handshake;			/* unix time; 0 none yet */
	long long rx, tx;
};
int overlay_peers(const struct hook_config *c, void (*fn)(void *arg,
    const struct overlay_peer *p), void *arg, char *err, size_t errlen);

/* A host (a bare-metal node, a login host) as a peer: an address from the
 * pool and its key in the registry (active); overlay_sync, or the next
 * join, puts it on the interface.  0, or -1 with err. */
int overlay_host_add(struct db *db, const struct hook_config *c,
    const char *host, const char *key, double now, char *addr, size_t addrsz,
    char *err, size_t errlen);
int overlay_host_remove(struct db *db, const char *host, char *err,
    size_t errlen);

#endif
