/*
 * api.c - see api.h.
 *
 * Every signed request is checked in the same order: headers present and
 * well formed, key known, signature right, timestamp within the window,
 * nonce not seen.  All of that, and the registry changes a request makes,
 * happen in one transaction that is rolled back on any refusal, so a
 * refused request changes nothing.  Only then does the hook talk to Slurm.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "jsonutil.h"
#include "names.h"
#include "slurm.h"
#include "util.h"

#define MUNGE_KEY_MIN	32
#define MUNGE_KEY_MAX	1024
#define MAX_FEATURES	16

struct auth {
	enum sig_kind kind;
	struct sig_keys keys;
	struct db_token token;
	struct db_node node;
	const char *nonce;
	int ok;				/* signature verified: sign the answer */
};

static long
real_now(void)
{
	return wall_now();
}

int
api_init(struct api *a, const struct hook_config *cfg, struct db *db,
    char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;

	memset(a, 0, sizeof(*a));
	a->cfg = cfg;
	a->db = db;
	a->now = real_now;
	if (lstat(cfg->munge_key, &st) != 0)
		return errf(err, errlen, "munge key %s: %s", cfg->munge_key,
		    strerror(errno));
	if (!S_ISREG(st.st_mode))
		return errf(err, errlen, "munge key %s: not a regular file",
		    cfg->munge_key);
	if (st.st_mode & 077)
		return errf(err, errlen, "munge key %s: readable by group or "
		    "others (mode %04o); make it 0400 or 0600", cfg->munge_key,
		    (unsigned)(st.st_mode & 07777));
	if (st.st_uid != geteuid())
		return errf(err, errlen, "munge key %s: owned by uid %u, not by "
		    "uid %u that the hook runs as", cfg->munge_key,
		    (unsigned)st.st_uid, (unsigned)geteuid());
	if (read_file(cfg->munge_key, MUNGE_KEY_MAX, &buf, &len, err,
	    errlen) != 0)
		return -1;
	if (len < MUNGE_KEY_MIN) {
		explicit_bzero(buf, len);
		free(buf);
		return errf(err, errlen, "munge key %s: only %zu bytes (at least "
		    "%d)", cfg->munge_key, len, MUNGE_KEY_MIN);
	}
	a->munge_key = (unsigned char *)buf;
	a->munge_len = len;
	return 0;
}

void
api_fini(struct api *a)
{
	if (a->munge_key != NULL) {
		explicit_bzero(a->munge_key, a->munge_len);
		free(a->munge_key);
		a->munge_key = NULL;
	}
}

void
api_response_free(struct api_response *rs)
{
	free(rs->body);
	rs->body = NULL;
}

static void
set_body(struct api_response *rs, struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

	free(rs->body);
	rs->body = strdup(s);
	rs->bodylen = rs->body != NULL ? strlen(rs->body) : 0;
}

/* An error answer: {"error": reason}, and the log line. */
static void __attribute__((format(printf, 4, 5)))
fail(struct api_response *rs, const struct api_request *rq, int status,
    const char *fmt, ...)
{
	struct json_object *o;
	char reason[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	rs->status = status;
	o = json_object_new_object();
	json_object_object_add(o, "error", json_object_new_string(reason));
	set_body(rs, o);
	json_object_put(o);
	snprintf(rs->log, sizeof(rs->log), "%s %s from %s: %d %s", rq->method,
	    rq->path, rq->peer != NULL ? rq->peer : "?", status, reason);
}

static void
ok(struct api_response *rs, const struct api_request *rq,
    struct json_object *o, const char *what)
{
	rs->status = 200;
	set_body(rs, o);
	snprintf(rs->log, sizeof(rs->log), "%s %s from %s: 200 %s", rq->method,
	    rq->path, rq->peer != NULL ? rq->peer : "?", what);
}

static int
digits(const char *s, size_t max)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Headers, key, signature, clock, nonce.  0, or -1 with rs filled. */
static int
authenticate(struct api *a, const struct api_request *rq, struct auth *au,
    struct api_response *rs)
{
	char err[256];
	long ts, now, skew;
	int rc;

	memset(au, 0, sizeof(*au));
	if (rq->key == NULL) {
		fail(rs, rq, 400, "missing header " SIG_HDR_KEY);
		return -1;
	}
	if (rq->time == NULL) {
		fail(rs, rq, 400, "missing header " SIG_HDR_TIME);
		return -1;
	}
	if (rq->nonce == NULL) {
		fail(rs, rq, 400, "missing header " SIG_HDR_NONCE);
		return -1;
	}
	if (rq->sig == NULL) {
		fail(rs, rq, 400, "missing header " SIG_HDR_SIG);
		return -1;
	}
	if (!digits(rq->time, 12) || parse_long(rq->time, 0, 999999999999L,
	    &ts) != 0) {
		fail(rs, rq, 400, "bad header " SIG_HDR_TIME
		    ": not a Unix time in seconds");
		return -1;
	}
	if (!hex_valid(rq->nonce, SIG_NONCE_LEN)) {
		fail(rs, rq, 400, "bad header " SIG_HDR_NONCE ": not %d hex digits",
		    SIG_NONCE_LEN);
		return -1;
	}
	if (!hex_valid(rq->sig, SIG_HEX_LEN)) {
		fail(rs, rq, 400, "bad header " SIG_HDR_SIG ": not %d hex digits",
		    SIG_HEX_LEN);
		return -1;
	}

	if (strncmp(rq->key, "token:", 6) == 0) {
		const char *id = rq->key + 6;

		au->kind = SIG_TOKEN;
		if (!hex_valid(id, TOKEN_ID_LEN)) {
			fail(rs, rq, 400, "bad header " SIG_HDR_KEY
			    ": token id is not %d hex digits", TOKEN_ID_LEN);
			return -1;
		}
		rc = db_token_get(a->db, id, &au->token, err, sizeof(err));
		if (rc < 0) {
			fail(rs, rq, 500, "%s", err);
			return -1;
		}
		if (rc > 0) {
			fail(rs, rq, 401, "unknown token %s", id);
			return -1;
		}
		rc = sig_derive(au->token.master, &au->keys);
	} else if (strncmp(rq->key, "node:", 5) == 0) {
		const char *name = rq->key + 5;

		au->kind = SIG_NODE;
		if (!name_node_valid(name)) {
			fail(rs, rq, 400, "bad header " SIG_HDR_KEY
			    ": not a valid node name");
			return -1;
		}
		rc = db_node_by_name(a->db, name, &au->node, err, sizeof(err));
		if (rc < 0) {
			fail(rs, rq, 500, "%s", err);
			return -1;
		}
		if (rc > 0 || !au->node.has_master) {
			fail(rs, rq, 401, "unknown node credential for %s", name);
			return -1;
		}
		rc = sig_derive(au->node.master, &au->keys);
	} else {
		fail(rs, rq, 400, "bad header " SIG_HDR_KEY
		    ": expected token:ID or node:NAME");
		return -1;
	}
	if (rc != 0) {
		fail(rs, rq, 500, "key derivation failed");
		return -1;
	}
	if (sig_request_check(&au->keys, rq->method, rq->path, rq->key, ts,
	    rq->nonce, rq->body, rq->bodylen, rq->sig) != 0) {
		fail(rs, rq, 401, "bad signature");
		return -1;
	}
	/* From here on the caller holds the key: answers are signed. */
	au->ok = 1;
	au->nonce = rq->nonce;
	now = a->now();
	skew = ts > now ? ts - now : now - ts;
	if (skew > a->cfg->clock_skew) {
		fail(rs, rq, 401, "request time is %ld s %s the controller's "
		    "clock (allowed: %ld s); is the node's time synchronised?",
		    skew, ts > now ? "ahead of" : "behind", a->cfg->clock_skew);
		return -1;
	}
	rc = db_nonce_record(a->db, rq->nonce, now, err, sizeof(err));
	if (rc < 0) {
		fail(rs, rq, 500, "%s", err);
		return -1;
	}
	if (rc > 0) {
		fail(rs, rq, 401, "replayed request (nonce seen before)");
		return -1;
	}
	if (db_nonce_purge(a->db, now - 2 * a->cfg->clock_skew - 1, err,
	    sizeof(err)) != 0) {
		fail(rs, rq, 500, "%s", err);
		return -1;
	}
	return 0;
}

static struct json_object *
parse_body(const struct api_request *rq, struct api_response *rs)
{
	struct json_object *o;
	char err[256];

	o = js_parse(rq->body != NULL ? rq->body : "", rq->bodylen, err,
	    sizeof(err));
	if (o == NULL)
		fail(rs, rq, 400, "body: %s", err);
	return o;
}

struct join_req {
	const char *instance;
	const char *hostname;
	long cpus;
	long memory_mb;
	const char *features[MAX_FEATURES];
	int nfeatures;
};

static int
join_fields(struct json_object *o, struct join_req *j,
    const struct api_request *rq, struct api_response *rs)
{
	struct json_object *arr = NULL;
	char err[256];
	size_t i, n;

	memset(j, 0, sizeof(*j));
	if (js_str(o, "instance", 1, 64, &j->instance, err, sizeof(err)) != 0 ||
	    js_str(o, "hostname", 1, 253, &j->hostname, err, sizeof(err)) != 0 ||
	    js_int(o, "cpus", 1, 1, 4096, &j->cpus, err, sizeof(err)) != 0 ||
	    js_int(o, "memory_mb", 1, 1, 1L << 30, &j->memory_mb, err,
	    sizeof(err)) != 0 ||
	    js_str_array(o, "features", 0, MAX_FEATURES, NAME_MAX_LEN, &arr,
	    err, sizeof(err)) < 0) {
		fail(rs, rq, 400, "body: %s", err);
		return -1;
	}
	if (!name_instance_valid(j->instance)) {
		fail(rs, rq, 400, "body: \"instance\": only letters, digits and "
		    "'-', 1 to 64 of them");
		return -1;
	}
	if (!name_host_valid(j->hostname)) {
		fail(rs, rq, 400, "body: \"hostname\": not a valid host name");
		return -1;
	}
	n = arr != NULL ? json_object_array_length(arr) : 0;
	for (i = 0; i < n; i++) {
		const char *f = json_object_get_string(
		    json_object_array_get_idx(arr, i));

		if (!name_feature_valid(f)) {
			fail(rs, rq, 400, "body: \"features\"[%zu]: a feature is "
			    "[A-Za-z0-9_.-], starting with a letter or digit, "
			    "at most %d characters", i, NAME_MAX_LEN);
			return -1;
		}
		j->features[j->nfeatures++] = f;
	}
	return 0;
}

/* The site's features, then the node's own, without repeats. */
static void
features_text(const struct hook_config *c, const struct join_req *j,
    char *out, size_t outsz, struct json_object *arr)
{
	const char *all[CONFIG_MAX_FEATURES + MAX_FEATURES];
	int i, k, n = 0, dup;

	for (i = 0; i < c->nfeatures; i++)
		all[n++] = c->features[i];
	for (i = 0; i < j->nfeatures; i++) {
		for (dup = 0, k = 0; k < n; k++)
			dup |= strcmp(all[k], j->features[i]) == 0;
		if (!dup)
			all[n++] = j->features[i];
	}
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		size_t len = strlen(out);

		snprintf(out + len, outsz - len, "%s%s", i ? "," : "", all[i]);
		json_object_array_add(arr, json_object_new_string(all[i]));
	}
}

static int
seal_secrets(struct api *a, const struct auth *au, const char *node,
    const char *credential, struct json_object *answer)
{
	struct json_object *s, *sec;
	char *hex = NULL, *iv = NULL, *ct = NULL;
	const char *text;
	int rc = -1;

	if ((hex = malloc(2 * a->munge_len + 1)) == NULL)
		return -1;
	hex_encode(a->munge_key, a->munge_len, hex);
	s = json_object_new_object();
	json_object_object_add(s, "munge_key", json_object_new_string(hex));
	json_object_object_add(s, "credential",
	    json_object_new_string(credential));
	text = json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN);
	if (sig_seal(&au->keys, au->nonce, node, text, strlen(text), &iv,
	    &ct) == 0) {
		sec = json_object_new_object();
		json_object_object_add(sec, "iv", json_object_new_string(iv));
		json_object_object_add(sec, "data", json_object_new_string(ct));
		json_object_object_add(answer, "secrets", sec);
		rc = 0;
	}
	/* json-c keeps its own copies: wipe them before letting go. */
	explicit_bzero((void *)(uintptr_t)text, strlen(text));
	explicit_bzero((void *)(uintptr_t)json_object_get_string(
	    json_object_object_get(s, "munge_key")), 2 * a->munge_len);
	json_object_put(s);
	explicit_bzero(hex, 2 * a->munge_len);
	free(hex);
	free(iv);
	free(ct);
	return rc;
}

static void
do_join(struct api *a, const struct api_request *rq, struct auth *au,
    struct api_response *rs)
{
	struct json_object *body = NULL, *answer = NULL, *farr;
	struct join_req j;
	struct db_node n;
	struct sl_node sn;
	char err[512], secret[SECRET_LEN + 1], features[1200];
	long now = a->now();
	int rc, rejoin = 0;

	if (au->kind != SIG_TOKEN) {
		fail(rs, rq, 403, "join needs a join token");
		goto rollback;
	}
	if ((body = parse_body(rq, rs)) == NULL ||
	    join_fields(body, &j, rq, rs) != 0)
		goto rollback;
	if (now >= au->token.expires) {
		fail(rs, rq, 403, "token %s expired %ld s ago", au->token.id,
		    now - au->token.expires);
		goto rollback;
	}
	rc = db_node_by_instance(a->db, j.instance, &n, err, sizeof(err));
	if (rc < 0) {
		fail(rs, rq, 500, "%s", err);
		goto rollback;
	}
	if (rc == 0 && strcmp(n.token, au->token.id) != 0) {
		fail(rs, rq, 409, "instance %s joined already with another "
		    "token", j.instance);
		goto rollback;
	}
	if (rc == 0) {
		/* the same instance again; a rejoin if it was admitted before
		 * (not when its first join is only being retried) */
		rejoin = strcmp(n.state, "joining") != 0;
	} else {
		if (au->token.used >= au->token.uses) {
			fail(rs, rq, 403, "token %s has no uses left (%ld of %ld "
			    "used)", au->token.id, au->token.used,
			    au->token.uses);
			goto rollback;
		}
		memset(&n, 0, sizeof(n));
		snprintf(n.instance, sizeof(n.instance), "%s", j.instance);
		snprintf(n.token, sizeof(n.token), "%s", au->token.id);
		snprintf(n.state, sizeof(n.state), "joining");
		n.created = n.updated = now;
		if (db_node_insert(a->db, a->cfg->name_prefix, &n, err,
		    sizeof(err)) != 0) {
			fail(rs, rq, 500, "%s", err);
			goto rollback;
		}
	}
	if (!name_node_valid(n.name)) {
		fail(rs, rq, 500, "policy made an invalid node name");
		goto rollback;
	}
	/* A fresh credential each join; the old one stops working. */
	if (sig_new_secret(secret) != 0 ||
	    sig_master(SIG_NODE, secret, n.master) != 0) {
		fail(rs, rq, 500, "no random numbers");
		goto rollback;
	}
	n.has_master = 1;
	snprintf(n.addr, sizeof(n.addr), "%s", rq->peer);
	snprintf(n.hostname, sizeof(n.hostname), "%s", j.hostname);
	if (strcmp(n.state, "admitted") != 0)
		snprintf(n.state, sizeof(n.state), "joining");
	n.updated = now;
	if (db_node_update(a->db, &n, err, sizeof(err)) != 0 ||
	    db_commit(a->db, err, sizeof(err)) != 0) {
		fail(rs, rq, 500, "%s", err);
		goto rollback;
	}

	answer = json_object_new_object();
	farr = json_object_new_array();
	features_text(a->cfg, &j, features, sizeof(features), farr);
	sn.name = n.name;
	sn.addr = n.addr;
	sn.hostname = n.hostname;
	sn.cpus = j.cpus;
	sn.memory_mb = j.memory_mb;
	sn.features = features;
	if (sl_node_create(&sn, err, sizeof(err)) != 0) {
		json_object_put(farr);
		fail(rs, rq, 503, "slurm: %s", err);
		goto out;
	}
	snprintf(n.state, sizeof(n.state), "admitted");
	if (db_node_update(a->db, &n, err, sizeof(err)) != 0) {
		json_object_put(farr);
		fail(rs, rq, 500, "%s", err);
		goto out;
	}
	json_object_object_add(answer, "node", json_object_new_string(n.name));
	json_object_object_add(answer, "addr", json_object_new_string(n.addr));
	json_object_object_add(answer, "mode",
	    json_object_new_string(a->cfg->admit));
	json_object_object_add(answer, "conf_server",
	    json_object_new_string(a->cfg->conf_server));
	json_object_object_add(answer, "cpus", json_object_new_int64(j.cpus));
	json_object_object_add(answer, "memory_mb",
	    json_object_new_int64(j.memory_mb));
	json_object_object_add(answer, "features", farr);
	json_object_object_add(answer, "rejoin", json_object_new_boolean(rejoin));
	if (seal_secrets(a, au, n.name, secret, answer) != 0) {
		fail(rs, rq, 500, "sealing the answer failed");
		goto out;
	}
	ok(rs, rq, answer, "");
	snprintf(rs->log, sizeof(rs->log), "join from %s: %s %s (instance %s, "
	    "token %s)", rq->peer, rejoin ? "readmitted" : "admitted", n.name,
	    j.instance, au->token.id);
	goto out;
rollback:
	db_rollback(a->db);
out:
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(&n, sizeof(n));
	json_object_put(answer);
	json_object_put(body);
}

static struct json_object *
status_object(const struct db_node *n, const struct sl_status *st)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "node", json_object_new_string(n->name));
	json_object_object_add(o, "registry", json_object_new_string(n->state));
	json_object_object_add(o, "state", json_object_new_string(st->state));
	json_object_object_add(o, "exists", json_object_new_boolean(st->exists));
	json_object_object_add(o, "usable", json_object_new_boolean(st->usable));
	json_object_object_add(o, "busy", json_object_new_boolean(st->busy));
	json_object_object_add(o, "responding",
	    json_object_new_boolean(st->responding));
	return o;
}

static int
node_call(struct api *a, const struct api_request *rq, struct auth *au,
    struct api_response *rs)
{
	char err[256];

	if (au->kind != SIG_NODE) {
		fail(rs, rq, 403, "%s needs the node's credential", rq->path);
		db_rollback(a->db);
		return -1;
	}
	if (db_commit(a->db, err, sizeof(err)) != 0) {
		fail(rs, rq, 500, "%s", err);
		db_rollback(a->db);
		return -1;
	}
	return 0;
}

static void
do_status(struct api *a, const struct api_request *rq, struct auth *au,
    struct api_response *rs)
{
	struct json_object *o;
	struct sl_status st;
	char err[256];

	if (node_call(a, rq, au, rs) != 0)
		return;
	if (sl_node_status(au->node.name, &st, err, sizeof(err)) != 0) {
		fail(rs, rq, 503, "slurm: %s", err);
		return;
	}
	o = status_object(&au->node, &st);
	ok(rs, rq, o, au->node.name);
	json_object_put(o);
}

struct requeue_report {
	struct json_object *requeued;
	struct json_object *failed;
};

static void
requeue_report(void *arg, unsigned long jobid, const char *error)
{
	struct requeue_report *r = arg;
	struct json_object *f;

	if (error == NULL) {
		json_object_array_add(r->requeued, json_object_new_int64(
		    (int64_t)jobid));
		return;
	}
	f = json_object_new_object();
	json_object_object_add(f, "job", json_object_new_int64((int64_t)jobid));
	json_object_object_add(f, "error", json_object_new_string(error));
	json_object_array_add(r->failed, f);
}

static void
do_drain(struct api *a, const struct api_request *rq, struct auth *au,
    struct api_response *rs)
{
	struct requeue_report r;
	struct json_object *o;
	struct sl_status st;
	char err[256], what[128];
	int nreq, nfail;

	if (node_call(a, rq, au, rs) != 0)
		return;
	if (sl_node_drain(au->node.name, "vnode: node is leaving", err,
	    sizeof(err)) != 0) {
		fail(rs, rq, 503, "slurm: %s", err);
		return;
	}
	r.requeued = json_object_new_array();
	r.failed = json_object_new_array();
	if (sl_requeue_node_jobs(au->node.name, requeue_report, &r, &nreq,
	    &nfail, err, sizeof(err)) != 0 ||
	    sl_node_status(au->node.name, &st, err, sizeof(err)) != 0) {
		json_object_put(r.requeued);
		json_object_put(r.failed);
		fail(rs, rq, 503, "slurm: %s", err);
		return;
	}
	o = status_object(&au->node, &st);
	json_object_object_add(o, "requeued", r.requeued);
	json_object_object_add(o, "failed", r.failed);
	snprintf(what, sizeof(what), "%s drained, %d job(s) requeued, %d failed",
	    au->node.name, nreq, nfail);
	ok(rs, rq, o, what);
	json_object_put(o);
}

static void
do_leave(struct api *a, const struct api_request *rq, struct auth *au,
    struct api_response *rs)
{
	struct json_object *o;
	struct sl_status st;
	struct db_node n;
	char err[256];

	if (node_call(a, rq, au, rs) != 0)
		return;
	n = au->node;
	if (sl_node_status(n.name, &st, err, sizeof(err)) != 0) {
		fail(rs, rq, 503, "slurm: %s", err);
		goto out;
	}
	if (st.busy) {
		fail(rs, rq, 409, "node %s still has jobs (%s); drain it first",
		    n.name, st.state);
		goto out;
	}
	/* Only nodes in the registry get here: the hook never deletes a node
	 * it did not admit itself. */
	if (sl_node_delete(n.name, err, sizeof(err)) != 0) {
		fail(rs, rq, 503, "slurm: %s", err);
		goto out;
	}
	snprintf(n.state, sizeof(n.state), "left");
	n.has_master = 0;
	explicit_bzero(n.master, sizeof(n.master));
	n.updated = a->now();
	if (db_node_update(a->db, &n, err, sizeof(err)) != 0) {
		fail(rs, rq, 500, "%s", err);
		goto out;
	}
	o = json_object_new_object();
	json_object_object_add(o, "node", json_object_new_string(n.name));
	json_object_object_add(o, "left", json_object_new_boolean(1));
	ok(rs, rq, o, n.name);
	snprintf(rs->log, sizeof(rs->log), "leave from %s: %s removed",
	    rq->peer, n.name);
	json_object_put(o);
out:
	explicit_bzero(&n, sizeof(n));
}

static void
do_nodes(struct api *a, const struct api_request *rq, struct api_response *rs)
{
	struct json_object *o, *list;
	char err[256];
	size_t i;

	if ((list = db_node_list(a->db, err, sizeof(err))) == NULL) {
		fail(rs, rq, 500, "%s", err);
		return;
	}
	/* Unauthenticated: what sinfo would show, not which token let whom
	 * in (vnodectl shows that to the admin). */
	for (i = 0; i < json_object_array_length(list); i++)
		json_object_object_del(json_object_array_get_idx(list, i),
		    "token");
	o = json_object_new_object();
	json_object_object_add(o, "nodes", list);
	ok(rs, rq, o, "node list");
	json_object_put(o);
}

static void
sign_answer(struct api *a, const struct auth *au, struct api_response *rs)
{
	rs->ts = a->now();
	if (sig_response(&au->keys, au->nonce, rs->status, rs->ts, rs->body,
	    rs->bodylen, rs->sig) == 0)
		rs->is_signed = 1;
}

void
api_handle(struct api *a, const struct api_request *rq,
    struct api_response *rs)
{
	static const struct {
		const char *path;
		void (*fn)(struct api *, const struct api_request *,
		    struct auth *, struct api_response *);
	} routes[] = {
		{ "/v1/join", do_join },
		{ "/v1/status", do_status },
		{ "/v1/drain", do_drain },
		{ "/v1/leave", do_leave },
	};
	struct auth au;
	char err[256];
	size_t i;

	memset(rs, 0, sizeof(*rs));
	memset(&au, 0, sizeof(au));
	if (strcmp(rq->path, "/v1/nodes") == 0) {
		if (strcmp(rq->method, "GET") != 0)
			fail(rs, rq, 405, "use GET");
		else
			do_nodes(a, rq, rs);
		return;
	}
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (strcmp(rq->path, routes[i].path) == 0)
			break;
	if (i == sizeof(routes) / sizeof(routes[0])) {
		fail(rs, rq, 404, "no such endpoint");
		return;
	}
	if (strcmp(rq->method, "POST") != 0) {
		fail(rs, rq, 405, "use POST");
		return;
	}
	if (db_begin(a->db, err, sizeof(err)) != 0) {
		fail(rs, rq, 503, "%s", err);
		return;
	}
	if (authenticate(a, rq, &au, rs) != 0)
		db_rollback(a->db);
	else
		routes[i].fn(a, rq, &au, rs);
	if (au.ok)
		sign_answer(a, &au, rs);
	explicit_bzero(&au, sizeof(au));
}
