/*
 * overlay.c - see overlay.h.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "overlay.h"
#include "privd.h"
#include "util.h"

#define PRIVD_TIMEOUT	20.0		/* seconds, one request */
#define JOINING_STALE	600.0		/* a join takes less than that */

static pthread_mutex_t ctl_mu = PTHREAD_MUTEX_INITIALIZER;
static struct overlay_ctl ctl_cached;
static int ctl_known;

/* One request to vnode-privd: 0 with rp filled, or -1 with err (vnode-
 * privd unreachable, or its refusal). */
static int
ask(const struct hook_config *c, enum privd_op op, const char *data,
    struct privd_rep **rpp, char *err, size_t errlen)
{
	struct privd_req *rq;
	struct privd_rep *rp;
	int rc = -1;

	*rpp = NULL;
	rq = calloc(1, sizeof(*rq));
	rp = calloc(1, sizeof(*rp));
	if (rq == NULL || rp == NULL) {
		errf(err, errlen, "out of memory");
		goto out;
	}
	rq->magic = PRIVD_MAGIC;
	rq->op = op;
	if (data != NULL) {
		if (strlen(data) > PRIVD_DATA_MAX) {
			errf(err, errlen, "internal: request too long");
			goto out;
		}
		rq->len = (uint32_t)strlen(data);
		memcpy(rq->data, data, rq->len);
	}
	if (privd_call(c->local_socket, rq, rp, PRIVD_TIMEOUT, err,
	    errlen) != 0)
		goto out;
	if (rp->status != 0) {
		errf(err, errlen, "vnode-privd: %s", rp->msg);
		goto out;
	}
	*rpp = rp;
	rp = NULL;
	rc = 0;
out:
	free(rq);
	free(rp);
	return rc;
}

/* Asks vnode-privd again, and keeps the answer. */
static int
ctl_refresh(const struct hook_config *c, struct overlay_ctl *oc, char *err,
    size_t errlen)
{
	struct privd_rep *rp;
	char key[64], net[40];
	long hub;
	int rc = -1;

	if (ask(c, PRIVD_WG_INFO, NULL, &rp, err, errlen) != 0)
		return -1;
	memset(oc, 0, sizeof(*oc));
	if (sscanf(rp->data, "%63s %ld %39s %ld %ld", key, &oc->port, net,
	    &oc->max_peers, &hub) != 5 || !wg_key_valid(key) ||
	    oc->port < 1 || oc->port > 65535 || wg_net_parse(net,
	    &oc->net) != 0 || oc->max_peers < 1) {
		errf(err, errlen, "vnode-privd: the interface's information is "
		    "not understood");
		goto out;
	}
	memcpy(oc->pubkey, key, sizeof(oc->pubkey));
	oc->hub = hub != 0;
	/* the pool must be part of the interface's network, and leave the
	 * controller's own address out of it or be able to skip it */
	if (!wg_net_contains(&oc->net, wg_net_first(&c->overlay_pool)) ||
	    c->overlay_pool.prefix < oc->net.prefix) {
		char pool[40];

		wg_net_format(&c->overlay_pool, pool, sizeof(pool));
		errf(err, errlen, "overlay_pool %s is not inside the controller's "
		    "overlay network %s (vnode-privd's wg_address)", pool, net);
		goto out;
	}
	pthread_mutex_lock(&ctl_mu);
	ctl_cached = *oc;
	ctl_known = 1;
	pthread_mutex_unlock(&ctl_mu);
	rc = 0;
out:
	free(rp);
	return rc;
}

int
overlay_ctl_get(const struct hook_config *c, struct overlay_ctl *oc,
    char *err, size_t errlen)
{
	int known;

	pthread_mutex_lock(&ctl_mu);
	known = ctl_known;
	*oc = ctl_cached;
	pthread_mutex_unlock(&ctl_mu);
	if (known)
		return 0;
	return ctl_refresh(c, oc, err, errlen);
}

/* ---- the registry ---- */

struct used {
	const struct wg_net *pool;
	unsigned char *bits;		/* one per address of the pool */
	long busy;			/* joining or active rows */
	long self_busy;			/* of which the node's own */
	long node;
	struct db_overlay oldest;	/* inactive, to take back */
	int have_oldest;
};

static void
mark_used(void *arg, const struct db_overlay *o)
{
	struct used *u = arg;
	uint32_t a, off;

	if (strcmp(o->state, "inactive") != 0) {
		u->busy++;
		if (o->node == u->node && u->node > 0)
			u->self_busy++;
	}
	if (wg_addr_parse(o->addr, &a) == 0 && wg_net_contains(u->pool, a)) {
		off = a - wg_net_first(u->pool);
		u->bits[off / 8] |= (unsigned char)(1u << (off % 8));
	}
	/* rows come least recently updated first: the first inactive one
	 * of a node that is gone (or of nobody) is the oldest */
	if (!u->have_oldest && strcmp(o->state, "inactive") == 0 &&
	    o->host[0] == '\0' && (strcmp(o->node_state, "left") == 0 ||
	    strcmp(o->node_state, "reaped") == 0 ||
	    o->node_state[0] == '\0')) {
		u->oldest = *o;
		u->have_oldest = 1;
	}
}

/* The pool's first free address into out; 1 when none is free (u->oldest
 * may be taken back), -1 on error. */
static int
pool_free(const struct wg_net *pool, uint32_t ctl_addr, struct used *u,
    char *out, size_t outsz)
{
	uint32_t first = wg_net_first(pool), last = wg_net_last(pool), a, off;

	for (a = first + 1; a < last; a++) {
		off = a - first;
		if (a == ctl_addr || (u->bits[off / 8] & (1u << (off % 8))))
			continue;
		wg_addr_format(a, out, outsz);
		return 0;
	}
	return 1;
}

static int
refuse(int *status, int code, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int
refuse(int *status, int code, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	*status = code;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int
overlay_join(struct db *db, const struct hook_config *c, long node,
    const char *key, double now, struct overlay_join *oj, int *status,
    char *err, size_t errlen)
{
	struct overlay_ctl oc;
	struct db_overlay mine, other;
	struct used u;
	uint32_t a;
	size_t nbits = (size_t)1 << (32 - c->overlay_pool.prefix);
	char e[512], pool[40];
	long limit;
	int rc, have_mine;

	memset(oj, 0, sizeof(*oj));
	memset(&u, 0, sizeof(u));
	*status = 500;
	if (!wg_key_valid(key))
		return refuse(status, 400, err, errlen, "overlay: \"public_key\" "
		    "is not a WireGuard public key (44 characters of base64)");
	if (overlay_ctl_get(c, &oc, e, sizeof(e)) != 0)
		return refuse(status, 503, err, errlen, "overlay: %s", e);
	if (strcmp(key, oc.pubkey) == 0)
		return refuse(status, 409, err, errlen, "overlay: the public key "
		    "is the controller's");
	/* a key is one node's: another's that is here is refused; one of a
	 * node that is gone is let go of */
	if ((rc = db_overlay_by_key(db, key, &other, e, sizeof(e))) < 0)
		return refuse(status, 500, err, errlen, "%s", e);
	if (rc == 0 && (other.node != node || other.host[0] != '\0')) {
		if (strcmp(other.state, "inactive") != 0)
			return refuse(status, 409, err, errlen, "overlay: the "
			    "public key is another %s's", other.host[0] ? "host" :
			    "node");
		other.pubkey[0] = '\0';
		other.updated = now;
		if (db_overlay_put(db, &other, e, sizeof(e)) != 0)
			return refuse(status, 500, err, errlen, "%s", e);
	}
	if ((rc = db_overlay_by_node(db, node, &mine, e, sizeof(e))) < 0)
		return refuse(status, 500, err, errlen, "%s", e);
	have_mine = rc == 0;
	/* an address from before that the pool no longer has goes */
	if (have_mine && (wg_addr_parse(mine.addr, &a) != 0 ||
	    !wg_net_contains(&c->overlay_pool, a) || a == oc.net.addr ||
	    a == wg_net_first(&c->overlay_pool) ||
	    a == wg_net_last(&c->overlay_pool))) {
		if (db_overlay_delete(db, mine.addr, e, sizeof(e)) != 0)
			return refuse(status, 500, err, errlen, "%s", e);
		if (mine.pubkey[0] != '\0' && strcmp(mine.pubkey, key) != 0)
			memcpy(oj->old_key, mine.pubkey, sizeof(oj->old_key));
		have_mine = 0;
	}
	if ((u.bits = calloc(nbits / 8 + 1, 1)) == NULL)
		return refuse(status, 500, err, errlen, "out of memory");
	u.pool = &c->overlay_pool;
	u.node = node;
	if (db_overlay_each(db, mark_used, &u, e, sizeof(e)) != 0) {
		refuse(status, 500, err, errlen, "%s", e);
		goto fail;
	}
	limit = c->overlay_max_peers < oc.max_peers ? c->overlay_max_peers :
	    oc.max_peers;
	if (u.busy - u.self_busy >= limit) {
		refuse(status, 409, err, errlen, "overlay: the controller has %ld "
		    "peers already, the most it takes (%s %ld)", u.busy -
		    u.self_busy, limit == c->overlay_max_peers ?
		    "overlay_max_peers" : "vnode-privd's wg_max_peers", limit);
		goto fail;
	}
	if (have_mine) {
		snprintf(oj->addr, sizeof(oj->addr), "%s", mine.addr);
		if (mine.pubkey[0] != '\0' && strcmp(mine.pubkey, key) != 0)
			memcpy(oj->old_key, mine.pubkey, sizeof(oj->old_key));
		oj->was_active = strcmp(mine.state, "active") == 0 &&
		    strcmp(mine.pubkey, key) == 0;
	} else if ((rc = pool_free(&c->overlay_pool, oc.net.addr, &u, oj->addr,
	    sizeof(oj->addr))) != 0) {
		if (!u.have_oldest) {
			wg_net_format(&c->overlay_pool, pool, sizeof(pool));
			refuse(status, 409, err, errlen, "overlay: the address pool "
			    "%s is exhausted (every address is a node's that is "
			    "here, or a host's)", pool);
			goto fail;
		}
		/* the node that left longest ago gives its address up */
		if (db_overlay_delete(db, u.oldest.addr, e, sizeof(e)) != 0) {
			refuse(status, 500, err, errlen, "%s", e);
			goto fail;
		}
		snprintf(oj->addr, sizeof(oj->addr), "%s", u.oldest.addr);
	}
	memset(&mine, 0, sizeof(mine));
	snprintf(mine.addr, sizeof(mine.addr), "%s", oj->addr);
	mine.node = node;
	memcpy(mine.pubkey, key, WG_KEY_LEN + 1);
	snprintf(mine.state, sizeof(mine.state), "%s", oj->was_active ?
	    "active" : "joining");
	mine.updated = now;
	if (db_overlay_put(db, &mine, e, sizeof(e)) != 0) {
		refuse(status, 500, err, errlen, "%s", e);
		goto fail;
	}
	memcpy(oj->key, key, WG_KEY_LEN + 1);
	free(u.bits);
	return 0;
fail:
	free(u.bits);
	memset(oj, 0, sizeof(*oj));
	return -1;
}

static int
set_state(struct db *db, long node, const char *state, double now,
    struct db_overlay *o, char *err, size_t errlen)
{
	int rc = db_overlay_by_node(db, node, o, err, errlen);

	if (rc != 0)
		return rc;
	snprintf(o->state, sizeof(o->state), "%s", state);
	o->updated = now;
	return db_overlay_put(db, o, err, errlen);
}

int
overlay_joined(struct db *db, long node, double now, char *err,
    size_t errlen)
{
	struct db_overlay o;
	int rc = set_state(db, node, "active", now, &o, err, errlen);

	return rc > 0 ? errf(err, errlen, "overlay: the node's address is no "
	    "longer in the registry") : rc;
}

/* Keys, one a line, removed from the interface. */
static int
remove_keys(const struct hook_config *c, const char *lines, char *err,
    size_t errlen)
{
	struct privd_rep *rp;

	if (lines[0] == '\0')
		return 0;
	if (ask(c, PRIVD_WG_PEERS_REMOVE, lines, &rp, err, errlen) != 0)
		return -1;
	free(rp);
	return 0;
}

int
overlay_join_undo(struct db *db, const struct hook_config *c, long node,
    const char *key, int was_active, double now, char *err, size_t errlen)
{
	struct db_overlay o;
	char line[WG_KEY_LEN + 2], e[256];
	int rc;

	if (was_active)
		return 0;
	rc = set_state(db, node, "inactive", now, &o, e, sizeof(e));
	if (rc < 0)
		return errf(err, errlen, "%s", e);
	snprintf(line, sizeof(line), "%s\n", key);
	return remove_keys(c, line, err, errlen);
}

int
overlay_node_gone(struct db *db, const struct hook_config *c, long node,
    double now, char *err, size_t errlen)
{
	struct db_overlay o;
	char line[WG_KEY_LEN + 2];
	int rc;

	if ((rc = set_state(db, node, "inactive", now, &o, err, errlen)) != 0)
		return rc < 0 ? -1 : 0;
	if (o.pubkey[0] == '\0')
		return 0;
	snprintf(line, sizeof(line), "%s\n", o.pubkey);
	return remove_keys(c, line, err, errlen);
}

/* ---- the admission batch ---- */

void
overlay_admit(const struct hook_config *c, struct api_admission **v,
    size_t n)
{
	char *set, *gone, err[600];
	size_t i, from, used, gused;

	set = malloc(PRIVD_DATA_MAX + 1);
	gone = malloc(PRIVD_DATA_MAX + 1);
	if (set == NULL || gone == NULL) {
		for (i = 0; i < n; i++)
			if (v[i]->overlay)
				snprintf(v[i]->error, sizeof(v[i]->error),
				    "overlay: out of memory");
		goto out;
	}
	for (from = 0; from < n; from = i) {
		set[0] = gone[0] = '\0';
		used = gused = 0;
		/* a chunk: at most PRIVD_WG_BATCH peers of the batch */
		for (i = from; i < n && i - from < PRIVD_WG_BATCH; i++) {
			if (!v[i]->overlay || v[i]->error[0] != '\0')
				continue;
			used += (size_t)snprintf(set + used, PRIVD_DATA_MAX + 1 -
			    used, "%s %s\n", v[i]->wg_key, v[i]->addr);
			if (v[i]->wg_old_key[0] != '\0')
				gused += (size_t)snprintf(gone + gused,
				    PRIVD_DATA_MAX + 1 - gused, "%s\n",
				    v[i]->wg_old_key);
		}
		if (used == 0)
			continue;
		/* a rejoin's former key first: its address moves to the new
		 * one (when that fails, the set below says why, or
		 * overlay_sync puts it right) */
		if (remove_keys(c, gone, err, sizeof(err)) != 0)
			err[0] = '\0';
		{
			struct privd_rep *rp;

			if (ask(c, PRIVD_WG_PEERS_SET, set, &rp, err,
			    sizeof(err)) == 0) {
				free(rp);
				continue;
			}
		}
		for (i = from; i < n && i - from < PRIVD_WG_BATCH; i++)
			if (v[i]->overlay && v[i]->error[0] == '\0')
				snprintf(v[i]->error, sizeof(v[i]->error),
				    "overlay: %s", err);
	}
out:
	free(set);
	free(gone);
}

/* ---- the answer ---- */

struct json_object *
overlay_answer(const struct hook_config *c, const char *addr)
{
	struct json_object *o, *routes;
	struct overlay_ctl oc;
	char buf[340], e[256];
	int i;

	if (overlay_ctl_get(c, &oc, e, sizeof(e)) != 0)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "address", json_object_new_string(addr));
	wg_net_format(&oc.net, buf, sizeof(buf));
	json_object_object_add(o, "network", json_object_new_string(buf));
	wg_addr_format(oc.net.addr, buf, sizeof(buf));
	json_object_object_add(o, "controller", json_object_new_string(buf));
	json_object_object_add(o, "public_key",
	    json_object_new_string(oc.pubkey));
	if (strchr(c->overlay_endpoint, ':') != NULL)
		snprintf(buf, sizeof(buf), "%s", c->overlay_endpoint);
	else
		snprintf(buf, sizeof(buf), "%s:%ld", c->overlay_endpoint, oc.port);
	json_object_object_add(o, "endpoint", json_object_new_string(buf));
	json_object_object_add(o, "keepalive",
	    json_object_new_int64(c->overlay_keepalive));
	routes = json_object_new_array();
	for (i = 0; i < c->noverlay_routes; i++) {
		wg_net_format(&c->overlay_routes[i], buf, sizeof(buf));
		json_object_array_add(routes, json_object_new_string(buf));
	}
	json_object_object_add(o, "routes", routes);
	return o;
}

/* ---- keeping the interface right ---- */

struct peers {
	struct overlay_peer *p;
	size_t n, cap;
	int failed;
};

static void
add_peer(void *arg, const struct overlay_peer *p)
{
	struct peers *ps = arg;
	struct overlay_peer *np;

	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? 2 * ps->cap : 64;
		if ((np = realloc(ps->p, ps->cap * sizeof(*np))) == NULL) {
			ps->failed = 1;
			return;
		}
		ps->p = np;
	}
	ps->p[ps->n++] = *p;
}

int
overlay_peers(const struct hook_config *c, void (*fn)(void *arg,
    const struct overlay_peer *p), void *arg, char *err, size_t errlen)
{
	struct privd_rep *rp;
	char *line, *save = NULL;

	if (ask(c, PRIVD_WG_LIST, NULL, &rp, err, errlen) != 0)
		return -1;
	for (line = strtok_r(rp->data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		struct overlay_peer p;
		char key[64];

		memset(&p, 0, sizeof(p));
		if (sscanf(line, "%63s %63s %63s %ld %lld %lld", key, p.allowed,
		    p.endpoint, &p.handshake, &p.rx, &p.tx) != 6 ||
		    !wg_key_valid(key))
			continue;
		memcpy(p.key, key, sizeof(p.key));
		fn(arg, &p);
	}
	free(rp);
	return 0;
}

struct rows {
	struct db_overlay *o;
	size_t n, cap;
	int failed;
};

static void
add_row(void *arg, const struct db_overlay *o)
{
	struct rows *r = arg;
	struct db_overlay *no;

	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		if ((no = realloc(r->o, r->cap * sizeof(*no))) == NULL) {
			r->failed = 1;
			return;
		}
		r->o = no;
	}
	r->o[r->n++] = *o;
}

int
overlay_sync(struct db *db, const struct hook_config *c, double now,
    void (*report)(const char *line), char *err, size_t errlen)
{
	struct overlay_ctl oc;
	struct peers ps = { NULL, 0, 0, 0 };
	struct rows r = { NULL, 0, 0, 0 };
	char *set = NULL, *gone = NULL, line[700], e[512];
	size_t i, k, used = 0, gused = 0, nset = 0, ngone = 0;
	int rc = -1, found;

	if (c->overlay == OVERLAY_OFF)
		return 0;
	if (ctl_refresh(c, &oc, err, errlen) != 0)
		return -1;
	if (overlay_peers(c, add_peer, &ps, err, errlen) != 0 ||
	    db_overlay_each(db, add_row, &r, err, errlen) != 0)
		goto out;
	if (ps.failed || r.failed || (set = malloc(PRIVD_DATA_MAX + 1)) ==
	    NULL || (gone = malloc(PRIVD_DATA_MAX + 1)) == NULL) {
		errf(err, errlen, "out of memory");
		goto out;
	}
	set[0] = gone[0] = '\0';
	for (i = 0; i < r.n; i++) {
		struct db_overlay *o = &r.o[i];

		/* a join that never ended (the hook stopped under it) */
		if (strcmp(o->state, "joining") == 0 &&
		    now - o->updated > JOINING_STALE) {
			snprintf(o->state, sizeof(o->state), "inactive");
			o->updated = now;
			if (db_overlay_put(db, o, e, sizeof(e)) != 0) {
				errf(err, errlen, "%s", e);
				goto out;
			}
		}
		if (strcmp(o->state, "active") != 0 || o->pubkey[0] == '\0' ||
		    nset == PRIVD_WG_BATCH)
			continue;
		for (found = 0, k = 0; k < ps.n && !found; k++)
			found = strcmp(ps.p[k].key, o->pubkey) == 0 &&
			    strncmp(ps.p[k].allowed, o->addr, strlen(o->addr)) == 0 &&
			    strcmp(ps.p[k].allowed + strlen(o->addr), "/32") == 0;
		if (found)
			continue;
		used += (size_t)snprintf(set + used, PRIVD_DATA_MAX + 1 - used,
		    "%s %s\n", o->pubkey, o->addr);
		nset++;
		snprintf(line, sizeof(line), "overlay: %s (%s) put back on the "
		    "controller's interface", o->name[0] ? o->name : "?", o->addr);
		report(line);
	}
	for (k = 0; k < ps.n && ngone < PRIVD_WG_BATCH; k++) {
		for (found = 0, i = 0; i < r.n && !found; i++)
			found = strcmp(r.o[i].pubkey, ps.p[k].key) == 0 &&
			    strcmp(r.o[i].state, "inactive") != 0;
		if (found)
			continue;
		gused += (size_t)snprintf(gone + gused, PRIVD_DATA_MAX + 1 -
		    gused, "%s\n", ps.p[k].key);
		ngone++;
		snprintf(line, sizeof(line), "overlay: a peer at %s that is no "
		    "node's or host's here any more removed", ps.p[k].allowed);
		report(line);
	}
	/* removals first: an address may move from a stale peer to its
	 * node's new key */
	if (remove_keys(c, gone, err, errlen) != 0)
		goto out;
	if (nset > 0) {
		struct privd_rep *rp;

		if (ask(c, PRIVD_WG_PEERS_SET, set, &rp, err, errlen) != 0)
			goto out;
		free(rp);
	}
	rc = 0;
out:
	free(ps.p);
	free(r.o);
	free(set);
	free(gone);
	return rc;
}

/* ---- hosts ---- */

int
overlay_host_add(struct db *db, const struct hook_config *c,
    const char *host, const char *key, double now, char *addr, size_t addrsz,
    char *err, size_t errlen)
{
	struct overlay_ctl oc;
	struct db_overlay o, other;
	struct used u;
	size_t nbits = (size_t)1 << (32 - c->overlay_pool.prefix);
	char e[512];
	int rc;

	if (c->overlay == OVERLAY_OFF)
		return errf(err, errlen, "the overlay is off (hookd.conf overlay)");
	if (!name_host_valid(host) || strlen(host) >= sizeof(o.host))
		return errf(err, errlen, "\"%s\" is not a host name", host);
	if (!wg_key_valid(key))
		return errf(err, errlen, "not a WireGuard public key (44 "
		    "characters of base64, as wg pubkey prints it)");
	if (overlay_ctl_get(c, &oc, e, sizeof(e)) != 0)
		return errf(err, errlen, "%s", e);
	if (strcmp(key, oc.pubkey) == 0)
		return errf(err, errlen, "that is the controller's key");
	if ((rc = db_overlay_by_key(db, key, &other, e, sizeof(e))) < 0)
		return errf(err, errlen, "%s", e);
	if (rc == 0 && strcmp(other.host, host) != 0)
		return errf(err, errlen, "that key is %s's", other.name[0] ?
		    other.name : "another peer");
	if ((rc = db_overlay_by_host(db, host, &o, e, sizeof(e))) < 0)
		return errf(err, errlen, "%s", e);
	if (rc == 1) {
		memset(&u, 0, sizeof(u));
		if ((u.bits = calloc(nbits / 8 + 1, 1)) == NULL)
			return errf(err, errlen, "out of memory");
		u.pool = &c->overlay_pool;
		rc = db_overlay_each(db, mark_used, &u, e, sizeof(e));
		if (rc == 0)
			rc = pool_free(&c->overlay_pool, oc.net.addr, &u, o.addr,
			    sizeof(o.addr));
		free(u.bits);
		if (rc != 0)
			return errf(err, errlen, "%s", rc < 0 ? e :
			    "the address pool is exhausted");
		snprintf(o.host, sizeof(o.host), "%s", host);
		o.node = 0;
	}
	memcpy(o.pubkey, key, WG_KEY_LEN + 1);
	snprintf(o.state, sizeof(o.state), "active");
	o.updated = now;
	if (db_overlay_put(db, &o, e, sizeof(e)) != 0)
		return errf(err, errlen, "%s", e);
	snprintf(addr, addrsz, "%s", o.addr);
	return 0;
}

int
overlay_host_remove(struct db *db, const char *host, char *err, size_t errlen)
{
	struct db_overlay o;
	int rc = db_overlay_by_host(db, host, &o, err, errlen);

	if (rc < 0)
		return -1;
	if (rc > 0)
		return errf(err, errlen, "no host %s in the overlay", host);
	return db_overlay_delete(db, o.addr, err, errlen);
}
