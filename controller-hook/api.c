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
#include <fcntl.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admit.h"
#include "api.h"
#include "events.h"
#include "jsonutil.h"
#include "log.h"
#include "mungekey.h"
#include "names.h"
#include "overlay.h"
#include "provision.h"
#include "slurm.h"
#include "util.h"

#define MAX_FEATURES	16

_Static_assert((CONFIG_MAX_FEATURES + MAX_FEATURES) * (NAME_MAX_LEN + 1) <=
    SL_FEATURES_MAX, "SL_FEATURES_MAX too small for every feature");

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

static double
real_now_exact(void)
{
	return wall_time();
}

int
api_init(struct api *a, const struct hook_config *cfg, struct db *db,
    char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd;

	memset(a, 0, sizeof(*a));
	a->cfg = cfg;
	a->db = db;
	a->now = real_now;
	a->now_exact = real_now_exact;
	/* opened once, never through a link, and checked on what was
	 * opened: the file read is the file checked */
	if ((fd = open(cfg->munge_key, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NOCTTY)) < 0)
		return errf(err, errlen, "munge key %s: %s", cfg->munge_key,
		    errno == ELOOP ? "a symbolic link (name the file itself)" :
		    strerror(errno));
	if (fstat(fd, &st) != 0) {
		errf(err, errlen, "munge key %s: %s", cfg->munge_key,
		    strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		errf(err, errlen, "munge key %s: not a regular file",
		    cfg->munge_key);
		goto fail;
	}
	if (st.st_mode & 077) {
		errf(err, errlen, "munge key %s: readable by group or others "
		    "(mode %04o); make it 0400 or 0600", cfg->munge_key,
		    (unsigned)(st.st_mode & 07777));
		goto fail;
	}
	if (st.st_uid != geteuid()) {
		errf(err, errlen, "munge key %s: owned by uid %u, not by uid %u "
		    "that the hook runs as", cfg->munge_key, (unsigned)st.st_uid,
		    (unsigned)geteuid());
		goto fail;
	}
	if (st.st_size > MUNGE_KEY_MAX) {
		errf(err, errlen, "munge key %s: %lld bytes, more than %d",
		    cfg->munge_key, (long long)st.st_size, MUNGE_KEY_MAX);
		goto fail;
	}
	if ((buf = malloc(MUNGE_KEY_MAX + 1)) == NULL) {
		errf(err, errlen, "out of memory");
		goto fail;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, MUNGE_KEY_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			errf(err, errlen, "munge key %s: %s", cfg->munge_key,
			    strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > MUNGE_KEY_MAX) {
			errf(err, errlen, "munge key %s: more than %d bytes",
			    cfg->munge_key, MUNGE_KEY_MAX);
			goto fail;
		}
	}
	close(fd);
	fd = -1;
	if (len < MUNGE_KEY_MIN) {
		explicit_bzero(buf, len);
		free(buf);
		return errf(err, errlen, "munge key %s: only %zu bytes (at least "
		    "%d)", cfg->munge_key, len, MUNGE_KEY_MIN);
	}
	a->munge_key = (unsigned char *)buf;
	a->munge_len = len;
	return 0;
fail:
	if (buf != NULL) {
		explicit_bzero(buf, len);
		free(buf);
	}
	close(fd);
	return -1;
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

/* An event in the registry; one that cannot be stored is only logged
 * (the hook's answer does not depend on it). */
static void __attribute__((format(printf, 5, 6)))
note(struct api *a, const char *node, long job, const char *kind,
    const char *fmt, ...)
{
	char detail[DB_DETAIL_MAX + 1], err[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (db_event_add(a->db, a->now_exact(), node, job, kind, detail, err,
	    sizeof(err)) != 0)
		log_warnx("event %s of %s: %s", kind, node, err);
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
			fail(rs, rq, 400, "bad header " SIG_HDR_KEY ": a node "
			    "name is [a-z][a-z0-9-]*, not ending with '-', at "
			    "most %d characters", NAME_MAX_LEN);
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
	const char *local_addr;		/* the agent's own address, or NULL */
	const char *address;		/* from the instance's metadata */
	const char *wg_key;		/* overlay: the node's public key */
	int wg_required;		/* overlay: the node asks for it */
};

static int
join_fields(struct json_object *o, struct join_req *j,
    const struct api_request *rq, struct api_response *rs)
{
	struct json_object *arr = NULL, *ov = NULL;
	char err[256];
	size_t i, n;

	memset(j, 0, sizeof(*j));
	if (js_str(o, "instance", 1, 64, &j->instance, err, sizeof(err)) != 0 ||
	    js_str(o, "hostname", 1, 253, &j->hostname, err, sizeof(err)) != 0 ||
	    js_int(o, "cpus", 1, 1, 4096, &j->cpus, err, sizeof(err)) != 0 ||
	    js_int(o, "memory_mb", 1, 1, 1L << 30, &j->memory_mb, err,
	    sizeof(err)) != 0 ||
	    js_str_array(o, "features", 0, MAX_FEATURES, NAME_MAX_LEN, &arr,
	    err, sizeof(err)) < 0 ||
	    js_str(o, "local_addr", 0, 15, &j->local_addr, err,
	    sizeof(err)) < 0 ||
	    js_str(o, "address", 0, 15, &j->address, err, sizeof(err)) < 0) {
		fail(rs, rq, 400, "body: %s", err);
		return -1;
	}
	if (json_object_object_get_ex(o, "overlay", &ov) && ov != NULL &&
	    (!json_object_is_type(ov, json_type_object) ||
	    js_str(ov, "public_key", 1, 64, &j->wg_key, err, sizeof(err)) != 0 ||
	    js_bool(ov, "required", 0, &j->wg_required, err, sizeof(err)) < 0)) {
		fail(rs, rq, 400, "body: \"overlay\": %s",
		    json_object_is_type(ov, json_type_object) ? err :
		    "not an object");
		return -1;
	}
	if (!name_instance_valid(j->instance)) {
		fail(rs, rq, 400, "body: \"instance\": only letters, digits and "
		    "'-', 1 to 64 of them");
		return -1;
	}
	if (!name_host_valid(j->hostname)) {
		fail(rs, rq, 400, "body: \"hostname\": a host name is labels of "
		    "[A-Za-z0-9-] joined by '.', each 1 to %d characters and "
		    "not starting or ending with '-', at most 253 characters",
		    NAME_MAX_LEN);
		return -1;
	}
	/* Slurm takes NodeHostname as given: loopback, or its own keyword,
	 * would send it elsewhere */
	if (strcasecmp(j->hostname, "localhost") == 0 ||
	    strncasecmp(j->hostname, "localhost.", 10) == 0 ||
	    strcasecmp(j->hostname, "ALL") == 0) {
		fail(rs, rq, 400, "body: \"hostname\": %s is not a host name a "
		    "node can have in Slurm", j->hostname);
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
    char *out, size_t outsz)
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
	}
}

static int
seal_secrets(struct api *a, const struct sig_keys *keys, const char *nonce,
    const char *node, const char *credential, struct json_object *answer)
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
	if (sig_seal(keys, nonce, node, text, strlen(text), &iv, &ct) == 0) {
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

/* The registry side of a join with a token: the instance's node, made
 * when it is new.  0, or -1 with rs filled. */
/*
 * Elastic vnode: the token was minted for one instance of one node (the
 * provisioner's instances row names it), and the instance joins as
 * exactly that node, whatever its own name.  0 (n filled, the instance
 * marked joined), 1 when the token is not an instance's, -1 with rs
 * filled.
 */
static int
join_elastic(struct api *a, const struct api_request *rq,
    const struct auth *au, const struct join_req *j, struct db_node *n,
    int *rejoin, int *cloud, struct api_response *rs)
{
	struct db_instance in;
	char err[512];
	long now = a->now();
	int rc;

	if ((rc = db_instance_by_token(a->db, au->token.id, &in, err,
	    sizeof(err))) != 0) {
		if (rc < 0)
			fail(rs, rq, 500, "%s", err);
		return rc;
	}
	if (strcmp(in.state, "requested") != 0 &&
	    strcmp(in.state, "booting") != 0 && strcmp(in.state, "joined") != 0) {
		fail(rs, rq, 403, "token %s is for an instance of %s that is %s",
		    au->token.id, in.node, in.state);
		return -1;
	}
	if (in.instance[0] != '\0' && strcmp(in.instance, j->instance) != 0) {
		fail(rs, rq, 409, "the instance of %s joined already as %s, not "
		    "%s", in.node, in.instance, j->instance);
		return -1;
	}
	*cloud = 1;
	rc = db_node_by_instance(a->db, j->instance, n, err, sizeof(err));
	if (rc < 0) {
		fail(rs, rq, 500, "%s", err);
		return -1;
	}
	if (rc == 0) {
		if (strcmp(n->name, in.node) != 0) {
			fail(rs, rq, 409, "instance %s is node %s in the registry, "
			    "not %s", j->instance, n->name, in.node);
			return -1;
		}
		*rejoin = strcmp(n->state, "joining") != 0;
	} else {
		memset(n, 0, sizeof(*n));
		snprintf(n->name, sizeof(n->name), "%s", in.node);
		snprintf(n->instance, sizeof(n->instance), "%s", j->instance);
		snprintf(n->token, sizeof(n->token), "%s", au->token.id);
		snprintf(n->state, sizeof(n->state), "joining");
		n->created = n->updated = now;
		if (db_node_insert_named(a->db, n, err, sizeof(err)) != 0) {
			fail(rs, rq, 500, "%s", err);
			return -1;
		}
		*rejoin = 0;
	}
	if (strcmp(in.state, "joined") != 0) {
		snprintf(in.state, sizeof(in.state), "joined");
		snprintf(in.instance, sizeof(in.instance), "%s", j->instance);
		in.joined = a->now_exact();
		in.updated = in.joined;
		if (db_instance_update(a->db, &in, err, sizeof(err)) != 0) {
			fail(rs, rq, 500, "%s", err);
			return -1;
		}
	}
	return 0;
}

/* The features a node claims of its own must be ones its token allows
 * (vnodectl token create --features): a feature routes jobs, and a
 * node that claims "gpu" attracts jobs that need one. */
static int
token_features(struct api *a, const struct api_request *rq,
    const char *token, const struct join_req *j, struct api_response *rs)
{
	struct db_token t;
	char allowed[sizeof(t.features) + 2], want[NAME_MAX_LEN + 3];
	char err[256];
	int i, rc;

	if (j->nfeatures == 0)
		return 0;
	if ((rc = db_token_get(a->db, token, &t, err, sizeof(err))) != 0) {
		explicit_bzero(&t, sizeof(t));
		if (rc < 0)
			fail(rs, rq, 500, "%s", err);
		else
			fail(rs, rq, 403, "the features of token %s are not known "
			    "any more: the node may claim none", token);
		return -1;
	}
	explicit_bzero(t.master, sizeof(t.master));
	snprintf(allowed, sizeof(allowed), ",%s,", t.features);
	for (i = 0; i < j->nfeatures; i++) {
		snprintf(want, sizeof(want), ",%s,", j->features[i]);
		if (strstr(allowed, want) == NULL) {
			fail(rs, rq, 403, "feature %s is not one token %s allows "
			    "(%s)", j->features[i], token, t.features[0] ?
			    t.features : "none: vnodectl token create --features");
			return -1;
		}
	}
	return 0;
}

static int
join_by_token(struct api *a, const struct api_request *rq,
    const struct auth *au, const struct join_req *j, struct db_node *n,
    int *rejoin, int *cloud, struct api_response *rs)
{
	char err[512];
	long now = a->now();
	int rc;

	if (now >= au->token.expires) {
		fail(rs, rq, 403, "token %s expired %ld s ago", au->token.id,
		    now - au->token.expires);
		return -1;
	}
	if ((rc = join_elastic(a, rq, au, j, n, rejoin, cloud, rs)) <= 0)
		return rc;
	rc = db_node_by_instance(a->db, j->instance, n, err, sizeof(err));
	if (rc < 0) {
		fail(rs, rq, 500, "%s", err);
		return -1;
	}
	if (rc == 0 && strcmp(n->token, au->token.id) != 0) {
		fail(rs, rq, 409, "instance %s joined already with another "
		    "token", j->instance);
		return -1;
	}
	if (rc == 0) {
		/* the same instance again; a rejoin if it was admitted before
		 * (not when its first join is only being retried) */
		*rejoin = strcmp(n->state, "joining") != 0;
		return 0;
	}
	if (au->token.used >= au->token.uses) {
		fail(rs, rq, 403, "token %s has no uses left (%ld of %ld used)",
		    au->token.id, au->token.used, au->token.uses);
		return -1;
	}
	memset(n, 0, sizeof(*n));
	snprintf(n->instance, sizeof(n->instance), "%s", j->instance);
	snprintf(n->token, sizeof(n->token), "%s", au->token.id);
	snprintf(n->state, sizeof(n->state), "joining");
	n->created = n->updated = now;
	if (db_node_insert(a->db, a->cfg->mode == ADMIT_POOL ?
	    ADMIT_PENDING_PREFIX : a->cfg->name_prefix, n, err,
	    sizeof(err)) != 0) {
		fail(rs, rq, 500, "%s", err);
		return -1;
	}
	*rejoin = 0;
	return 0;
}

static struct json_object *
mounts_json(const struct hook_config *c)
{
	struct json_object *arr = json_object_new_array(), *m;
	int i;

	for (i = 0; i < c->nmounts; i++) {
		m = json_object_new_object();
		json_object_object_add(m, "name",
		    json_object_new_string(c->mounts[i].name));
		json_object_object_add(m, "source",
		    json_object_new_string(c->mounts[i].source));
		json_object_object_add(m, "target",
		    json_object_new_string(c->mounts[i].target));
		json_object_object_add(m, "type",
		    json_object_new_string(c->mounts[i].type));
		json_object_object_add(m, "options",
		    json_object_new_string(c->mounts[i].options));
		json_object_array_add(arr, m);
	}
	return arr;
}

/* The address Slurm is to reach the node on, as hookd.conf's addr says:
 * where the join came from, what the agent saw as its own, or what the
 * instance's metadata says.  0, or -1 with rs filled. */
static int
node_address(struct api *a, const struct api_request *rq,
    const struct join_req *j, char *out, size_t outsz,
    struct api_response *rs)
{
	const char *v = rq->peer, *key = NULL;

	if (a->cfg->addr == ADDR_REPORTED) {
		v = j->local_addr;
		key = "local_addr";
	} else if (a->cfg->addr == ADDR_METADATA) {
		v = j->address;
		key = "address";
	}
	if (v == NULL) {
		fail(rs, rq, 400, "body: \"%s\" missing: the hook takes node "
		    "addresses from it (addr = %s)", key,
		    a->cfg->addr == ADDR_REPORTED ? "reported" : "metadata");
		return -1;
	}
	if (!name_ipv4_valid(v)) {
		fail(rs, rq, 400, "%s%s%s: not an IPv4 address", key ? "body: \""
		    : "source address", key ? key : "", key ? "\"" : "");
		return -1;
	}
	snprintf(out, outsz, "%s", v);
	return 0;
}

/* Does this join go through the overlay (hookd.conf overlay, and what
 * the node asks)?  1 yes, 0 no, -1 refused with rs filled. */
static int
overlay_wanted(const struct api *a, const struct api_request *rq,
    const struct join_req *j, struct api_response *rs)
{
	switch (a->cfg->overlay) {
	case OVERLAY_OFF:
		if (!j->wg_required)
			return 0;
		fail(rs, rq, 400, "overlay: the node asks for the overlay, and "
		    "this site has none (overlay = off in hookd.conf)");
		return -1;
	case OVERLAY_ALLOW:
		if (!j->wg_required)
			return 0;
		break;
	default:
		break;
	}
	if (j->wg_key == NULL) {
		fail(rs, rq, 400, "overlay: no public key in the join: this "
		    "site's nodes join through the overlay (overlay = on in "
		    "hookd.conf); the node needs wireguard-tools, and overlay "
		    "not set to no in its agent.conf");
		return -1;
	}
	return 1;
}

static void
do_join(struct api *a, const struct api_request *rq, struct auth *au,
    struct api_response *rs)
{
	struct json_object *body = NULL;
	struct api_admission *ad = NULL;
	struct join_req j;
	struct db_node n;
	struct db_instance in;
	struct overlay_join oj;
	char err[512];
	int rejoin = 0, cloud = 0, overlay, status;

	memset(&n, 0, sizeof(n));
	if ((body = parse_body(rq, rs)) == NULL ||
	    join_fields(body, &j, rq, rs) != 0)
		goto rollback;
	if ((ad = calloc(1, sizeof(*ad))) == NULL) {
		fail(rs, rq, 500, "out of memory");
		goto rollback;
	}
	/* through the overlay, Slurm reaches the node at its overlay address */
	if ((overlay = overlay_wanted(a, rq, &j, rs)) < 0 || (!overlay &&
	    node_address(a, rq, &j, ad->addr, sizeof(ad->addr), rs) != 0))
		goto rollback;
	if (au->kind == SIG_TOKEN) {
		if (join_by_token(a, rq, au, &j, &n, &rejoin, &cloud, rs) != 0)
			goto rollback;
	} else {
		/* A node that joined before, with its own credential: after
		 * a reboot, when its token may be long expired. */
		n = au->node;
		if (strcmp(n.instance, j.instance) != 0) {
			fail(rs, rq, 403, "the credential of %s is not for instance "
			    "%s", n.name, j.instance);
			goto rollback;
		}
		rejoin = 1;
		/* an elastic node's instance, back after a reboot */
		cloud = db_instance_live(a->db, n.name, &in, err,
		    sizeof(err)) == 0 && strcmp(in.instance, n.instance) == 0;
	}
	/* pool mode: a new node, or one whose slot went back to the pool
	 * when it left, is given a slot by admit.c (an elastic node has the
	 * name Slurm asked for) */
	ad->cloud = cloud;
	ad->need_slot = !cloud && a->cfg->mode == ADMIT_POOL &&
	    (strncmp(n.name, ADMIT_PENDING_PREFIX,
	    strlen(ADMIT_PENDING_PREFIX)) == 0 || strcmp(n.state, "left") == 0 ||
	    strcmp(n.state, "reaped") == 0);
	if (!ad->need_slot && !name_node_valid(n.name)) {
		fail(rs, rq, 500, "policy made an invalid node name");
		goto rollback;
	}
	if (token_features(a, rq, au->kind == SIG_TOKEN ? au->token.id :
	    n.token, &j, rs) != 0)
		goto rollback;
	/* nor another node's name: Slurm would take one for the other */
	if (strcasecmp(j.hostname, n.name) != 0) {
		struct db_node other;
		int orc = db_node_by_name(a->db, j.hostname, &other, err,
		    sizeof(err));

		explicit_bzero(&other, sizeof(other));
		if (orc < 0) {
			fail(rs, rq, 500, "%s", err);
			goto rollback;
		}
		if (orc == 0) {
			fail(rs, rq, 409, "body: \"hostname\": %s is another "
			    "node's name", j.hostname);
			goto rollback;
		}
	}
	/* the node's overlay address and key, decided last; its peer is
	 * set by the admission (admit.c), with Slurm's part */
	if (overlay) {
		if (overlay_join(a->db, a->cfg, n.id, j.wg_key, a->now_exact(),
		    &oj, &status, err, sizeof(err)) != 0) {
			fail(rs, rq, status, "%s", err);
			goto rollback;
		}
		ad->overlay = 1;
		snprintf(ad->addr, sizeof(ad->addr), "%s", oj.addr);
		memcpy(ad->wg_key, oj.key, sizeof(ad->wg_key));
		memcpy(ad->wg_old_key, oj.old_key, sizeof(ad->wg_old_key));
		ad->wg_was_active = oj.was_active;
	}
	/* A fresh credential each join; it replaces the old one only once
	 * the node is in Slurm (api_join_finish), so a join that fails
	 * there leaves the node's credential as it was. */
	if (sig_new_secret(ad->secret) != 0 ||
	    sig_master(SIG_NODE, ad->secret, ad->master) != 0) {
		fail(rs, rq, 500, "no random numbers");
		goto rollback;
	}
	if (db_commit(a->db, err, sizeof(err)) != 0) {
		fail(rs, rq, 500, "%s", err);
		goto rollback;
	}

	/* Slurm's part comes in a batch (admit.c); the answer after it. */
	features_text(a->cfg, &j, ad->features, sizeof(ad->features));
	ad->id = n.id;
	if (ad->need_slot)
		snprintf(ad->name, sizeof(ad->name), "%s%ld",
		    ADMIT_PENDING_PREFIX, n.id);
	else
		snprintf(ad->name, sizeof(ad->name), "%s", n.name);
	snprintf(ad->hostname, sizeof(ad->hostname), "%s", j.hostname);
	snprintf(ad->instance, sizeof(ad->instance), "%s", j.instance);
	ad->sn.addr = ad->addr;
	ad->sn.hostname = ad->hostname;
	ad->sn.cpus = j.cpus;
	ad->sn.memory_mb = j.memory_mb;
	ad->sn.features = ad->features;
	ad->rejoin = rejoin;
	ad->keys = au->keys;
	snprintf(ad->nonce, sizeof(ad->nonce), "%s", au->nonce);
	ad->with_token = au->kind == SIG_TOKEN;
	if (ad->with_token)
		snprintf(ad->token, sizeof(ad->token), "%s", au->token.id);
	snprintf(ad->peer, sizeof(ad->peer), "%s", rq->peer);
	ad->queued = mono_now();
	rs->suspend = 1;
	rs->admission = ad;
	ad = NULL;
	snprintf(rs->log, sizeof(rs->log), "join from %s: %s %s, to be "
	    "admitted", rq->peer, rejoin ? "rejoin of" : "new node", n.name);
	goto out;
rollback:
	db_rollback(a->db);
out:
	if (ad != NULL) {
		explicit_bzero(ad, sizeof(*ad));
		free(ad);
	}
	explicit_bzero(&n, sizeof(n));
	json_object_put(body);
}

/* An answer, signed with the keys of the request it answers. */
static void
sign_with(struct api *a, const struct sig_keys *keys, const char *nonce,
    struct api_response *rs)
{
	rs->ts = a->now();
	if (sig_response(keys, nonce, rs->status, rs->ts, rs->body,
	    rs->bodylen, rs->sig) == 0)
		rs->is_signed = 1;
}

void
api_join_finish(struct api *a, struct api_admission *ad,
    struct api_response *rs)
{
	struct json_object *answer = NULL, *farr, *ov = NULL;
	struct api_request rq;
	struct db_node n;
	char err[512], *save = NULL, *f, feat[sizeof(ad->features)];
	int rc;

	memset(rs, 0, sizeof(*rs));
	memset(&rq, 0, sizeof(rq));
	memset(&n, 0, sizeof(n));
	rq.method = "POST";
	rq.path = "/v1/join";
	rq.peer = ad->peer;
	if (ad->error[0] != '\0') {
		fail(rs, &rq, 503, "%s%s", strncmp(ad->error, "overlay: ", 9) ?
		    "slurm: " : "", ad->error);
		a->m.joins_failed++;
		goto undo;
	}
	/* admitted: so the registry says, under the node's final name */
	if (db_begin(a->db, err, sizeof(err)) != 0 ||
	    (rc = db_node_by_instance(a->db, ad->instance, &n, err,
	    sizeof(err))) < 0) {
		fail(rs, &rq, 500, "%s", err);
		goto fail;
	}
	if (rc != 0 || n.id != ad->id || strcmp(n.name, ad->name) != 0) {
		fail(rs, &rq, 409, "instance %s changed while it was being "
		    "admitted", ad->instance);
		goto fail;
	}
	snprintf(n.state, sizeof(n.state), "admitted");
	snprintf(n.addr, sizeof(n.addr), "%s", ad->addr);
	snprintf(n.hostname, sizeof(n.hostname), "%s", ad->hostname);
	memcpy(n.master, ad->master, sizeof(n.master));
	n.has_master = 1;
	n.updated = a->now();
	if (db_node_update(a->db, &n, err, sizeof(err)) != 0 ||
	    (ad->overlay && overlay_joined(a->db, ad->id, a->now_exact(), err,
	    sizeof(err)) != 0) ||
	    db_commit(a->db, err, sizeof(err)) != 0) {
		fail(rs, &rq, 500, "%s", err);
		goto fail;
	}
	if (ad->overlay && (ov = overlay_answer(a->cfg, ad->addr)) == NULL) {
		/* (the node is admitted: its next join answers it) */
		fail(rs, &rq, 503, "overlay: vnode-privd's answer is gone");
		a->m.joins_failed++;
		goto out;
	}
	answer = json_object_new_object();
	farr = json_object_new_array();
	snprintf(feat, sizeof(feat), "%s", ad->features);
	for (f = strtok_r(feat, ",", &save); f != NULL;
	    f = strtok_r(NULL, ",", &save))
		json_object_array_add(farr, json_object_new_string(f));
	json_object_object_add(answer, "node", json_object_new_string(n.name));
	json_object_object_add(answer, "addr", json_object_new_string(ad->addr));
	json_object_object_add(answer, "mode",
	    json_object_new_string(ad->cloud ? "cloud" : a->cfg->admit));
	json_object_object_add(answer, "conf_server",
	    json_object_new_string(a->cfg->conf_server));
	json_object_object_add(answer, "cpus",
	    json_object_new_int64(ad->sn.cpus));
	json_object_object_add(answer, "memory_mb",
	    json_object_new_int64(ad->sn.memory_mb));
	json_object_object_add(answer, "features", farr);
	json_object_object_add(answer, "mounts", mounts_json(a->cfg));
	json_object_object_add(answer, "rejoin",
	    json_object_new_boolean(ad->rejoin));
	if (ov != NULL) {
		json_object_object_add(answer, "overlay", ov);
		ov = NULL;
	}
	if (seal_secrets(a, &ad->keys, ad->nonce, n.name, ad->secret,
	    answer) != 0) {
		fail(rs, &rq, 500, "sealing the answer failed");
		a->m.joins_failed++;
		goto out;
	}
	ok(rs, &rq, answer, "");
	note(a, n.name, 0, "join", "%s as %s, address %s",
	    ad->rejoin ? "readmitted" : "admitted", n.name, ad->addr);
	if (ad->rejoin)
		a->m.joins_readmitted++;
	else
		a->m.joins_admitted++;
	snprintf(rs->log, sizeof(rs->log), "join from %s: %s %s (instance %s, "
	    "%s%s, address %s)", ad->peer, ad->rejoin ? "readmitted" :
	    "admitted", n.name, ad->instance, ad->with_token ? "token " :
	    "its own credential", ad->token, ad->addr);
	goto out;
fail:
	db_rollback(a->db);
	a->m.joins_failed++;
undo:
	/* nothing half-made on the controller: a peer set for this join
	 * goes again */
	if (ad->overlay && overlay_join_undo(a->db, a->cfg, ad->id, ad->wg_key,
	    ad->wg_was_active, a->now_exact(), err, sizeof(err)) != 0)
		log_warnx("join of %s: its overlay peer stays until the next "
		    "sync: %s", ad->name, err);
out:
	sign_with(a, &ad->keys, ad->nonce, rs);
	json_object_put(answer);
	json_object_put(ov);
	explicit_bzero(&n, sizeof(n));
	explicit_bzero(ad, sizeof(*ad));
	free(ad);
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

/* A node's word on a checkpoint, as an event. */
static void
note_checkpoint(struct api *a, const char *node,
    const struct ev_checkpoint *cp)
{
	if (cp->error != NULL)
		note(a, node, cp->job, "checkpoint-failed", "%s", cp->error);
	else
		note(a, node, cp->job, "checkpoint", "image %ld", cp->image);
}

/* The mover records a job's run at its next look (move_interval): a job
 * requeued sooner after its start would have no run in the record, nor a
 * bar in the timeline.  The requeue knows it ran: it says so first. */
static void
note_run(struct api *a, const char *node, const struct sl_job *j)
{
	static const char *const kinds[] = { "run", "requeue", "end", NULL };
	struct db_event e;
	char err[256], detail[96];

	if (j->start <= 0 || (db_event_last(a->db, (long)j->id, kinds, &e,
	    err, sizeof(err)) == 0 && strcmp(e.kind, "run") == 0 &&
	    strcmp(e.node, node) == 0 && (long)e.time == j->start))
		return;
	snprintf(detail, sizeof(detail), "partition %s", j->partition);
	if (db_event_add(a->db, (double)j->start, node, (long)j->id, "run",
	    detail, err, sizeof(err)) != 0)
		log_warnx("event run of %s: %s", node, err);
}

/* The body of a drain, a requeue: {} when there is none. */
static struct json_object *
parse_optional_body(const struct api_request *rq, struct api_response *rs)
{
	size_t i;

	for (i = 0; i < rq->bodylen; i++)
		if (rq->body[i] != ' ' && rq->body[i] != '\t' &&
		    rq->body[i] != '\r' && rq->body[i] != '\n')
			return parse_body(rq, rs);
	return json_object_new_object();
}

static void
do_drain(struct api *a, const struct api_request *rq, struct auth *au,
    struct api_response *rs)
{
	struct requeue_report r;
	struct json_object *o, *body, *jobs;
	struct sl_status st;
	struct ev_drain d;
	unsigned long ids[EV_BATCH_MAX * 4];
	char err[256], what[128];
	size_t i, n;
	int nreq, nfail;

	/* {} or none: drain and requeue, as the first agents do */
	if ((body = parse_optional_body(rq, rs)) == NULL) {
		db_rollback(a->db);
		return;
	}
	if (ev_parse_drain(body, &d, err, sizeof(err)) != 0) {
		fail(rs, rq, 400, "body: %s", err);
		json_object_put(body);
		db_rollback(a->db);
		return;
	}
	if (node_call(a, rq, au, rs) != 0) {
		json_object_put(body);
		return;
	}
	if (sl_node_drain(au->node.name, SL_DRAIN_REASON, err,
	    sizeof(err)) != 0) {
		fail(rs, rq, 503, "slurm: %s", err);
		goto out;
	}
	if (!d.requeue) {
		/* drain only: the agent checkpoints what it can first */
		if (sl_node_jobs(au->node.name, ids, sizeof(ids) / sizeof(ids[0]),
		    &n, err, sizeof(err)) != 0 ||
		    sl_node_status(au->node.name, &st, err, sizeof(err)) != 0) {
			fail(rs, rq, 503, "slurm: %s", err);
			goto out;
		}
		o = status_object(&au->node, &st);
		jobs = json_object_new_array();
		for (i = 0; i < n; i++)
			json_object_array_add(jobs, json_object_new_int64(
			    (int64_t)ids[i]));
		json_object_object_add(o, "jobs", jobs);
		snprintf(what, sizeof(what), "%s drained, %zu job(s) on it",
		    au->node.name, n);
		ok(rs, rq, o, what);
		json_object_put(o);
		goto out;
	}
	for (i = 0; i < d.ncp; i++)
		note_checkpoint(a, au->node.name, &d.cp[i]);
	r.requeued = json_object_new_array();
	r.failed = json_object_new_array();
	if (sl_requeue_node_jobs(au->node.name, requeue_report, &r, &nreq,
	    &nfail, err, sizeof(err)) != 0 ||
	    sl_node_status(au->node.name, &st, err, sizeof(err)) != 0) {
		json_object_put(r.requeued);
		json_object_put(r.failed);
		fail(rs, rq, 503, "slurm: %s", err);
		goto out;
	}
	for (i = 0; i < json_object_array_length(r.requeued); i++) {
		long job = (long)json_object_get_int64(
		    json_object_array_get_idx(r.requeued, i));

		note(a, au->node.name, job, "requeue", "leave of %s",
		    au->node.name);
		/* with checkpoints, the agent's new way: the jobs start again
		 * at once, not after Slurm's requeue delay */
		if (d.with_checkpoints && db_release_add(a->db, job, NULL,
		    a->now_exact(), err, sizeof(err)) != 0)
			log_warnx("release of job %ld: %s", job, err);
	}
	o = status_object(&au->node, &st);
	json_object_object_add(o, "requeued", r.requeued);
	json_object_object_add(o, "failed", r.failed);
	snprintf(what, sizeof(what), "%s drained, %d job(s) requeued, %d failed",
	    au->node.name, nreq, nfail);
	ok(rs, rq, o, what);
	json_object_put(o);
out:
	json_object_put(body);
}

static void
do_events(struct api *a, const struct api_request *rq, struct auth *au,
    struct api_response *rs)
{
	struct ev_in ev[EV_BATCH_MAX];
	struct json_object *body, *o;
	char err[256], what[96];
	size_t i, n;

	if ((body = parse_body(rq, rs)) == NULL) {
		db_rollback(a->db);
		return;
	}
	if (ev_parse_batch(body, a->now_exact(), (double)a->cfg->clock_skew,
	    ev, &n, err, sizeof(err)) != 0) {
		fail(rs, rq, 400, "body: %s", err);
		goto rollback;
	}
	if (au->kind != SIG_NODE) {
		fail(rs, rq, 403, "%s needs the node's credential", rq->path);
		goto rollback;
	}
	/* with the nonce, in one transaction: all of them or none */
	for (i = 0; i < n; i++)
		if (db_event_add(a->db, ev[i].time, au->node.name, ev[i].job,
		    ev[i].kind, ev[i].detail, err, sizeof(err)) != 0) {
			fail(rs, rq, 500, "%s", err);
			goto rollback;
		}
	if (db_commit(a->db, err, sizeof(err)) != 0) {
		fail(rs, rq, 500, "%s", err);
		goto rollback;
	}
	o = json_object_new_object();
	json_object_object_add(o, "stored", json_object_new_int64((int64_t)n));
	snprintf(what, sizeof(what), "%zu event(s) of %s", n, au->node.name);
	ok(rs, rq, o, what);
	rs->notable = n > 0;
	json_object_put(o);
	json_object_put(body);
	return;
rollback:
	db_rollback(a->db);
	json_object_put(body);
}

static void
do_requeue(struct api *a, const struct api_request *rq, struct auth *au,
    struct api_response *rs)
{
	struct json_object *body, *o;
	struct ev_requeue r;
	struct db_node to;
	struct sl_job j;
	char err[256], what[160];
	int rc;

	memset(&to, 0, sizeof(to));
	if ((body = parse_body(rq, rs)) == NULL) {
		db_rollback(a->db);
		return;
	}
	if (ev_parse_requeue(body, &r, err, sizeof(err)) != 0) {
		fail(rs, rq, 400, "body: %s", err);
		json_object_put(body);
		db_rollback(a->db);
		return;
	}
	if (node_call(a, rq, au, rs) != 0)
		goto out;
	if (r.to != NULL) {
		rc = db_node_by_name(a->db, r.to, &to, err, sizeof(err));
		explicit_bzero(to.master, sizeof(to.master));
		if (rc < 0) {
			fail(rs, rq, 500, "%s", err);
			goto out;
		}
		if (rc > 0 || strcmp(to.state, "admitted") != 0) {
			fail(rs, rq, 409, "\"to\": %s is not an admitted node",
			    r.to);
			goto out;
		}
		if (strcmp(r.to, au->node.name) == 0) {
			fail(rs, rq, 409, "\"to\": %s is the job's own node",
			    r.to);
			goto out;
		}
	}
	if ((rc = sl_job((unsigned long)r.cp.job, &j, err,
	    sizeof(err))) < 0) {
		fail(rs, rq, 503, "slurm: %s", err);
		goto out;
	}
	if (rc > 0) {
		fail(rs, rq, 404, "job %ld: Slurm does not know it", r.cp.job);
		goto out;
	}
	if ((j.state != SL_JOB_RUNNING && j.state != SL_JOB_SUSPENDED) ||
	    !sl_job_uses(&j, au->node.name)) {
		fail(rs, rq, 409, "job %ld is %s on %s, not running on %s",
		    r.cp.job, j.state_text, j.nodes[0] != '\0' ? j.nodes :
		    "no node", au->node.name);
		goto out;
	}
	note_run(a, au->node.name, &j);
	note_checkpoint(a, au->node.name, &r.cp);
	if (sl_job_requeue((unsigned long)r.cp.job, err, sizeof(err)) != 0) {
		fail(rs, rq, 503, "slurm: %s", err);
		goto out;
	}
	if (r.to != NULL)
		note(a, au->node.name, r.cp.job, "requeue", "migrate to %s",
		    r.to);
	else
		note(a, au->node.name, r.cp.job, "requeue", "%s",
		    r.cp.error != NULL ? "checkpoint failed" : "checkpointed");
	if (db_release_add(a->db, r.cp.job, r.to, a->now_exact(), err,
	    sizeof(err)) != 0) {
		/* requeued all the same: Slurm starts it after its delay */
		fail(rs, rq, 500, "job %ld requeued, but its release was not "
		    "queued: %s", r.cp.job, err);
		goto out;
	}
	o = json_object_new_object();
	json_object_object_add(o, "job", json_object_new_int64(r.cp.job));
	json_object_object_add(o, "requeued", json_object_new_boolean(1));
	snprintf(what, sizeof(what), "job %ld on %s requeued%s%s", r.cp.job,
	    au->node.name, r.to != NULL ? ", to " : "",
	    r.to != NULL ? r.to : "");
	ok(rs, rq, o, what);
	rs->notable = 1;
	json_object_put(o);
out:
	json_object_put(body);
}

static void
do_leave(struct api *a, const struct api_request *rq, struct auth *au,
    struct api_response *rs)
{
	struct json_object *o;
	struct sl_status st;
	struct db_node n;
	char err[256];
	int rc;

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
	/* elastic: the CLOUD node stays in slurm.conf, powered down (usable
	 * for the next resume), and its instance goes */
	if ((rc = provision_node_left(a->db, n.name, n.instance,
	    "its agent left", a->now_exact(), err, sizeof(err))) < 0) {
		fail(rs, rq, 503, "%s", err);
		goto out;
	} else if (rc == 0 && admit_remove(n.name, err, sizeof(err)) != 0) {
		/* Only nodes in the registry get here: the hook never deletes
		 * a node it did not admit itself. */
		fail(rs, rq, 503, "slurm: %s", err);
		goto out;
	}
	/* orders for a node that is gone are void */
	if (db_order_drop(a->db, n.name, err, sizeof(err)) != 0) {
		fail(rs, rq, 500, "%s", err);
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
	/* its overlay peer goes (the address stays the node's) */
	if (a->cfg->overlay != OVERLAY_OFF && overlay_node_gone(a->db, a->cfg,
	    n.id, a->now_exact(), err, sizeof(err)) != 0)
		log_warnx("leave of %s: its overlay peer stays until the next "
		    "sync: %s", n.name, err);
	note(a, n.name, 0, "leave", "left");
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

static const char *const phases[API_PHASES] = { "settings", "time", "join",
    "mounts", "munge", "slurmd", "ready", "total", "overlay" };
static const double bounds[API_BUCKETS] = { 0.01, 0.025, 0.05, 0.1, 0.25,
    0.5, 1, 2.5, 5, 10, 30, 60 };

static void
observe(struct api_histogram *h, double v)
{
	int i;

	for (i = 0; i < API_BUCKETS; i++)
		if (v <= bounds[i])
			h->bucket[i]++;
	h->count++;
	h->sum += v;
}

/* "timings": {"time": 0.41, ...}, each a known phase, 0 to 1 day. */
static int
read_timings(struct json_object *o, double *t, char *err, size_t errlen)
{
	struct json_object *tim;
	int i;

	for (i = 0; i < API_PHASES; i++)
		t[i] = -1;
	if (!json_object_object_get_ex(o, "timings", &tim) || tim == NULL)
		return 0;
	if (!json_object_is_type(tim, json_type_object))
		return errf(err, errlen, "\"timings\": not an object");
	json_object_object_foreach(tim, key, val) {
		double v;

		for (i = 0; i < API_PHASES; i++)
			if (strcmp(key, phases[i]) == 0)
				break;
		if (i == API_PHASES)
			return errf(err, errlen, "\"timings\": unknown phase");
		if (!json_object_is_type(val, json_type_double) &&
		    !json_object_is_type(val, json_type_int))
			return errf(err, errlen, "\"timings\".%s: not a number",
			    phases[i]);
		v = json_object_get_double(val);
		if (!(v >= 0 && v <= 86400))
			return errf(err, errlen, "\"timings\".%s: out of range",
			    phases[i]);
		t[i] = v;
	}
	return 0;
}

/* The answer to a heartbeat: the next order, or null.  1 when an order
 * went out, 0 when none was waiting, -1 on error. */
static int
heartbeat_answer(struct api *a, const char *node, struct api_response *rs,
    char *err, size_t errlen)
{
	struct json_object *o, *ord = NULL;
	struct db_order order;
	int rc;

	rc = db_order_take(a->db, node, a->now(), &order, err, errlen);
	if (rc < 0)
		return -1;
	o = json_object_new_object();
	json_object_object_add(o, "node", json_object_new_string(node));
	if (rc == 0) {
		ord = json_object_new_object();
		json_object_object_add(ord, "id", json_object_new_int64(order.id));
		json_object_object_add(ord, "kind",
		    json_object_new_string(order.kind));
		json_object_object_add(ord, "arg",
		    json_object_new_string(order.arg));
	}
	json_object_object_add(o, "order", ord);
	rs->status = 200;
	set_body(rs, o);
	json_object_put(o);
	if (rc == 0)
		snprintf(rs->log, sizeof(rs->log), "heartbeat of %s: order %ld "
		    "(%s) delivered", node, order.id, order.kind);
	else
		snprintf(rs->log, sizeof(rs->log), "heartbeat of %s", node);
	return rc == 0;
}

static void
report_answer(const char *node, struct api_response *rs)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "node", json_object_new_string(node));
	json_object_object_add(o, "order", NULL);
	rs->status = 200;
	set_body(rs, o);
	json_object_put(o);
	snprintf(rs->log, sizeof(rs->log), "report of %s", node);
}

static void
do_heartbeat(struct api *a, const struct api_request *rq, struct auth *au,
    struct api_response *rs)
{
	struct json_object *body;
	double t[API_PHASES];
	char err[256];
	long wait = 0, resumed = 0;
	int i, sent = 0, orders = 1;

	if ((body = parse_body(rq, rs)) == NULL) {
		db_rollback(a->db);
		return;
	}
	if (js_int(body, "wait", 0, 0, API_WAIT_MAX, &wait, err,
	    sizeof(err)) < 0 ||
	    js_int(body, "resumed", 0, 0, 365L * 86400, &resumed, err,
	    sizeof(err)) < 0 ||
	    js_bool(body, "orders", 0, &orders, err, sizeof(err)) < 0 ||
	    read_timings(body, t, err, sizeof(err)) != 0) {
		fail(rs, rq, 400, "body: %s", err);
		json_object_put(body);
		db_rollback(a->db);
		return;
	}
	json_object_put(body);
	if (node_call(a, rq, au, rs) != 0)
		return;
	if (db_node_seen(a->db, au->node.name, a->now(), err,
	    sizeof(err)) != 0) {
		fail(rs, rq, 500, "%s", err);
		return;
	}
	a->m.heartbeats++;
	for (i = 0; i < API_PHASES; i++)
		if (t[i] >= 0)
			observe(&a->m.phase[i], t[i]);
	if (resumed > 0)
		a->m.suspensions++;
	/* "orders": false: only a report (the step times of a join); any
	 * order stays for the node's next heartbeat */
	if (!orders)
		report_answer(au->node.name, rs);
	else if ((sent = heartbeat_answer(a, au->node.name, rs, err,
	    sizeof(err))) < 0) {
		fail(rs, rq, 500, "%s", err);
		return;
	}
	rs->notable = sent > 0 || resumed > 0;
	if (resumed > 0)
		snprintf(rs->log, sizeof(rs->log), "heartbeat of %s: back after "
		    "%ld s suspended%s", au->node.name, resumed,
		    sent > 0 ? "; an order delivered" : "");
	if (orders && !sent && wait > 0) {
		/* nothing to do yet: the answer waits for an order */
		rs->suspend = 1;
		snprintf(rs->pending.node, sizeof(rs->pending.node), "%s",
		    au->node.name);
		rs->pending.keys = au->keys;
		snprintf(rs->pending.nonce, sizeof(rs->pending.nonce), "%s",
		    au->nonce);
		rs->pending.wait = (double)wait;
	}
}

void
api_heartbeat_finish(struct api *a, struct api_pending *p,
    struct api_response *rs)
{
	char err[256];
	int rc;

	memset(rs, 0, sizeof(*rs));
	/* the node was there all along: that counts as hearing from it */
	if (db_node_seen(a->db, p->node, a->now(), err, sizeof(err)) != 0)
		rc = -1;
	else
		rc = heartbeat_answer(a, p->node, rs, err, sizeof(err));
	if (rc < 0) {
		struct api_request rq;

		memset(&rq, 0, sizeof(rq));
		rq.method = "POST";
		rq.path = "/v1/heartbeat";
		fail(rs, &rq, 500, "%s", err);
	}
	rs->notable = rc > 0;
	rs->ts = a->now();
	if (sig_response(&p->keys, p->nonce, rs->status, rs->ts, rs->body,
	    rs->bodylen, rs->sig) == 0)
		rs->is_signed = 1;
	explicit_bzero(p, sizeof(*p));
}

static void
metric_text(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
metric_text(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < *cap - *len) {
			*len += (size_t)n;
			return;
		}
		char *nb = realloc(*buf, *cap * 2 + (size_t)n);
		if (nb == NULL)
			return;
		*buf = nb;
		*cap = *cap * 2 + (size_t)n;
	}
}

static void
admission_histogram(char **b, size_t *len, size_t *cap, const char *name,
    const double *bounds_, const unsigned long *bucket, unsigned long count,
    double sum)
{
	int j;

	for (j = 0; j < ADMIT_BUCKETS; j++)
		metric_text(b, len, cap, "%s_bucket{le=\"%g\"} %lu\n", name,
		    bounds_[j], bucket[j]);
	metric_text(b, len, cap, "%s_bucket{le=\"+Inf\"} %lu\n%s_sum %.6f\n"
	    "%s_count %lu\n", name, count, name, sum, name, count);
}

static void
admission_metrics(struct api *a, char **b, size_t *len, size_t *cap)
{
	struct admit_stats st;

	admit_stats_get(&st);
	metric_text(b, len, cap, "# HELP vnode_admission_batch_size Joins "
	    "admitted together, per batch (mode %s).\n"
	    "# TYPE vnode_admission_batch_size histogram\n", a->cfg->admit);
	admission_histogram(b, len, cap, "vnode_admission_batch_size",
	    admit_size_bounds, st.size_bucket, st.batches,
	    (double)st.size_sum);
	metric_text(b, len, cap, "# HELP vnode_admission_batch_seconds Time "
	    "to make a batch's nodes known to Slurm.\n"
	    "# TYPE vnode_admission_batch_seconds histogram\n");
	admission_histogram(b, len, cap, "vnode_admission_batch_seconds",
	    admit_secs_bounds, st.secs_bucket, st.batches, st.secs_sum);
	metric_text(b, len, cap, "# HELP vnode_admission_restarts_total "
	    "slurmctld restarts for a changed node fragment (conf mode).\n"
	    "# TYPE vnode_admission_restarts_total counter\n"
	    "vnode_admission_restarts_total %lu\n"
	    "# HELP vnode_admission_failures_total Joins Slurm's part failed "
	    "for.\n# TYPE vnode_admission_failures_total counter\n"
	    "vnode_admission_failures_total %lu\n", st.restarts, st.failed);
}

struct inst_count {
	long n[8];
};

static const char *const inst_states[] = { "requested", "booting",
    "joined", "retiring", "deleting" };

static void
count_instance(void *arg, const struct db_instance *in)
{
	struct inst_count *c = arg;
	size_t i;

	for (i = 0; i < sizeof(inst_states) / sizeof(inst_states[0]); i++)
		if (strcmp(in->state, inst_states[i]) == 0)
			c->n[i]++;
}

/* Elastic vnode: instances, power saving requests, provider calls. */
static void
elastic_metrics(struct api *a, char **b, size_t *len, size_t *cap)
{
	static const char *const calls[] = { "create", "delete", "list" };
	struct provision_stats ps;
	struct inst_count c;
	char err[256];
	size_t i;

	if (a->cfg->provider[0] == '\0')
		return;
	memset(&c, 0, sizeof(c));
	if (db_instance_each(a->db, 1, count_instance, &c, err,
	    sizeof(err)) != 0)
		for (i = 0; i < sizeof(c.n) / sizeof(c.n[0]); i++)
			c.n[i] = -1;		/* unknown */
	provision_stats_get(&ps);
	metric_text(b, len, cap, "# HELP vnode_instances Live instances of "
	    "elastic vnode, by state.\n# TYPE vnode_instances gauge\n");
	for (i = 0; i < sizeof(inst_states) / sizeof(inst_states[0]); i++)
		metric_text(b, len, cap, "vnode_instances{state=\"%s\"} %ld\n",
		    inst_states[i], c.n[i]);
	metric_text(b, len, cap, "# HELP vnode_power_requests_total Power "
	    "saving requests (per node), by kind.\n"
	    "# TYPE vnode_power_requests_total counter\n"
	    "vnode_power_requests_total{kind=\"resume\"} %lu\n"
	    "vnode_power_requests_total{kind=\"suspend\"} %lu\n"
	    "vnode_power_requests_total{kind=\"resume_fail\"} %lu\n"
	    "# HELP vnode_instance_events_total What became of instances.\n"
	    "# TYPE vnode_instance_events_total counter\n"
	    "vnode_instance_events_total{event=\"created\"} %lu\n"
	    "vnode_instance_events_total{event=\"create_failed\"} %lu\n"
	    "vnode_instance_events_total{event=\"resume_refused\"} %lu\n"
	    "vnode_instance_events_total{event=\"deleted\"} %lu\n"
	    "vnode_instance_events_total{event=\"join_timeout\"} %lu\n"
	    "vnode_instance_events_total{event=\"orphan_deleted\"} %lu\n"
	    "vnode_instance_events_total{event=\"vanished\"} %lu\n"
	    "# HELP vnode_provider_backing_off 1 while the provider rests after "
	    "a refused create.\n# TYPE vnode_provider_backing_off gauge\n"
	    "vnode_provider_backing_off{provider=\"%s\"} %d\n",
	    ps.resumes, ps.suspends, ps.resume_fails, ps.created,
	    ps.create_failed, ps.refused, ps.deleted, ps.join_timeouts,
	    ps.orphans, ps.vanished, a->cfg->provider, ps.backing_off);
	metric_text(b, len, cap, "# HELP vnode_provider_call_seconds Provider "
	    "calls: count, time summed, longest.\n"
	    "# TYPE vnode_provider_call_seconds summary\n");
	for (i = 0; i < 3; i++)
		metric_text(b, len, cap, "vnode_provider_call_seconds_count"
		    "{call=\"%s\"} %lu\nvnode_provider_call_seconds_sum"
		    "{call=\"%s\"} %.6f\nvnode_provider_call_seconds_max"
		    "{call=\"%s\"} %.6f\n", calls[i], ps.calls[i], calls[i],
		    ps.call_secs[i], calls[i], ps.call_max[i]);
}

void
api_metrics(struct api *a, int waiting, struct api_response *rs)
{
	static const char *const states[] = { "joining", "admitted", "left",
	    "reaped" };
	size_t len = 0, cap = 4096, k;
	char *b, err[256];
	long n;
	int i, j;

	memset(rs, 0, sizeof(*rs));
	if ((b = malloc(cap)) == NULL) {
		rs->status = 500;
		return;
	}
	b[0] = '\0';
	metric_text(&b, &len, &cap, "# HELP vnode_nodes Nodes in the hook's "
	    "registry, by state.\n# TYPE vnode_nodes gauge\n");
	for (k = 0; k < sizeof(states) / sizeof(states[0]); k++) {
		if (db_node_count(a->db, states[k], &n, err, sizeof(err)) != 0)
			n = -1;
		metric_text(&b, &len, &cap, "vnode_nodes{state=\"%s\"} %ld\n",
		    states[k], n);
	}
	metric_text(&b, &len, &cap, "# HELP vnode_joins_total Join requests, by "
	    "result.\n# TYPE vnode_joins_total counter\n"
	    "vnode_joins_total{result=\"admitted\"} %lu\n"
	    "vnode_joins_total{result=\"readmitted\"} %lu\n"
	    "vnode_joins_total{result=\"refused\"} %lu\n"
	    "vnode_joins_total{result=\"failed\"} %lu\n",
	    a->m.joins_admitted, a->m.joins_readmitted, a->m.joins_refused,
	    a->m.joins_failed);
	metric_text(&b, &len, &cap, "# HELP vnode_heartbeats_total Heartbeats "
	    "received.\n# TYPE vnode_heartbeats_total counter\n"
	    "vnode_heartbeats_total %lu\n"
	    "# HELP vnode_suspensions_total Nodes back from a suspension.\n"
	    "# TYPE vnode_suspensions_total counter\n"
	    "vnode_suspensions_total %lu\n"
	    "# HELP vnode_heartbeats_waiting Heartbeats waiting for an order.\n"
	    "# TYPE vnode_heartbeats_waiting gauge\n"
	    "vnode_heartbeats_waiting %d\n", a->m.heartbeats, a->m.suspensions,
	    waiting);
	metric_text(&b, &len, &cap, "# HELP vnode_join_phase_seconds Time of "
	    "each step of a node's join, as its agent reports it.\n"
	    "# TYPE vnode_join_phase_seconds histogram\n");
	for (i = 0; i < API_PHASES; i++) {
		const struct api_histogram *h = &a->m.phase[i];

		for (j = 0; j < API_BUCKETS; j++)
			metric_text(&b, &len, &cap, "vnode_join_phase_seconds_bucket"
			    "{phase=\"%s\",le=\"%g\"} %lu\n", phases[i],
			    bounds[j], h->bucket[j]);
		metric_text(&b, &len, &cap, "vnode_join_phase_seconds_bucket"
		    "{phase=\"%s\",le=\"+Inf\"} %lu\n"
		    "vnode_join_phase_seconds_sum{phase=\"%s\"} %.6f\n"
		    "vnode_join_phase_seconds_count{phase=\"%s\"} %lu\n",
		    phases[i], h->count, phases[i], h->sum, phases[i], h->count);
	}
	admission_metrics(a, &b, &len, &cap);
	elastic_metrics(a, &b, &len, &cap);
	rs->status = 200;
	rs->body = b;
	rs->bodylen = len;
	snprintf(rs->log, sizeof(rs->log), "GET /metrics");
}

static void
sign_answer(struct api *a, const struct auth *au, struct api_response *rs)
{
	sign_with(a, &au->keys, au->nonce, rs);
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
		{ "/v1/heartbeat", do_heartbeat },
		{ "/v1/events", do_events },
		{ "/v1/requeue", do_requeue },
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
	if (strcmp(rq->path, "/v1/join") == 0 && rs->status >= 500)
		a->m.joins_failed++;
	else if (strcmp(rq->path, "/v1/join") == 0 && rs->status >= 400)
		a->m.joins_refused++;
	if (au.ok && !rs->suspend)
		sign_answer(a, &au, rs);
	explicit_bzero(&au, sizeof(au));
}
