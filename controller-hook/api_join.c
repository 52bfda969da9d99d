/*
 * api_join.c - POST /v1/join (api_int.h): the registry's part in the
 * request's transaction, Slurm's in a batch (admit.c), then the answer
 * (api_join_finish) with the node's sealed secrets.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admit.h"
#include "api_int.h"
#include "jsonutil.h"
#include "log.h"
#include "names.h"
#include "overlay.h"
#include "provision.h"
#include "slurm.h"
#include "util.h"

#define MAX_FEATURES	16

_Static_assert((CONFIG_MAX_FEATURES + MAX_FEATURES) * (NAME_MAX_LEN + 1) <=
    SL_FEATURES_MAX, "SL_FEATURES_MAX too small for every feature");

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
	int hold;			/* the agent can be held until its
					 * mounts are verified (POST /v1/ready) */
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
	    js_str(o, "address", 0, 15, &j->address, err, sizeof(err)) < 0 ||
	    js_bool(o, "hold", 0, &j->hold, err, sizeof(err)) < 0) {
		api_fail(rs, rq, 400, "body: %s", err);
		return -1;
	}
	if (json_object_object_get_ex(o, "overlay", &ov) && ov != NULL &&
	    (!json_object_is_type(ov, json_type_object) ||
	    js_str(ov, "public_key", 1, 64, &j->wg_key, err, sizeof(err)) != 0 ||
	    js_bool(ov, "required", 0, &j->wg_required, err, sizeof(err)) < 0)) {
		api_fail(rs, rq, 400, "body: \"overlay\": %s",
		    json_object_is_type(ov, json_type_object) ? err :
		    "not an object");
		return -1;
	}
	if (!name_instance_valid(j->instance)) {
		api_fail(rs, rq, 400, "body: \"instance\": only letters, digits and "
		    "'-', 1 to 64 of them");
		return -1;
	}
	if (!name_host_valid(j->hostname)) {
		api_fail(rs, rq, 400, "body: \"hostname\": a host name is labels of "
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
		api_fail(rs, rq, 400, "body: \"hostname\": %s is not a host name a "
		    "node can have in Slurm", j->hostname);
		return -1;
	}
	n = arr != NULL ? json_object_array_length(arr) : 0;
	for (i = 0; i < n; i++) {
		const char *f = json_object_get_string(
		    json_object_array_get_idx(arr, i));

		if (!name_feature_valid(f)) {
			api_fail(rs, rq, 400, "body: \"features\"[%zu]: a feature is "
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
			api_fail(rs, rq, 500, "%s", err);
		return rc;
	}
	if (strcmp(in.state, "requested") != 0 &&
	    strcmp(in.state, "booting") != 0 && strcmp(in.state, "joined") != 0) {
		api_fail(rs, rq, 403, "token %s is for an instance of %s that is %s",
		    au->token.id, in.node, in.state);
		return -1;
	}
	if (in.instance[0] != '\0' && strcmp(in.instance, j->instance) != 0) {
		api_fail(rs, rq, 409, "the instance of %s joined already as %s, not "
		    "%s", in.node, in.instance, j->instance);
		return -1;
	}
	*cloud = 1;
	rc = db_node_by_instance(a->db, j->instance, n, err, sizeof(err));
	if (rc < 0) {
		api_fail(rs, rq, 500, "%s", err);
		return -1;
	}
	if (rc == 0) {
		if (strcmp(n->name, in.node) != 0) {
			api_fail(rs, rq, 409, "instance %s is node %s in the registry, "
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
			api_fail(rs, rq, 500, "%s", err);
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
			api_fail(rs, rq, 500, "%s", err);
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
			api_fail(rs, rq, 500, "%s", err);
		else
			api_fail(rs, rq, 403, "the features of token %s are not known "
			    "any more: the node may claim none", token);
		return -1;
	}
	explicit_bzero(t.master, sizeof(t.master));
	snprintf(allowed, sizeof(allowed), ",%s,", t.features);
	for (i = 0; i < j->nfeatures; i++) {
		snprintf(want, sizeof(want), ",%s,", j->features[i]);
		if (strstr(allowed, want) == NULL) {
			api_failc(rs, rq, 403, "feature_not_allowed", "feature %s "
			    "is not one token %s allows (%s)", j->features[i], token, t.features[0] ?
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
		api_failc(rs, rq, 403, "token_expired", "token %s expired %ld s "
		    "ago", au->token.id, now - au->token.expires);
		return -1;
	}
	if ((rc = join_elastic(a, rq, au, j, n, rejoin, cloud, rs)) <= 0)
		return rc;
	rc = db_node_by_instance(a->db, j->instance, n, err, sizeof(err));
	if (rc < 0) {
		api_fail(rs, rq, 500, "%s", err);
		return -1;
	}
	if (rc == 0 && strcmp(n->token, au->token.id) != 0) {
		api_fail(rs, rq, 409, "instance %s joined already with another "
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
		api_failc(rs, rq, 403, "token_used_up", "token %s has no uses "
		    "left (%ld of %ld used)", au->token.id, au->token.used, au->token.uses);
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
		api_fail(rs, rq, 500, "%s", err);
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
		api_fail(rs, rq, 400, "body: \"%s\" missing: the hook takes node "
		    "addresses from it (addr = %s)", key,
		    a->cfg->addr == ADDR_REPORTED ? "reported" : "metadata");
		return -1;
	}
	if (!name_ipv4_valid(v)) {
		api_fail(rs, rq, 400, "%s%s%s: not an IPv4 address", key ? "body: \""
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
		api_fail(rs, rq, 400, "overlay: the node asks for the overlay, and "
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
		api_fail(rs, rq, 400, "overlay: no public key in the join: this "
		    "site's nodes join through the overlay (overlay = on in "
		    "hookd.conf); the node needs wireguard-tools, and overlay "
		    "not set to no in its agent.conf");
		return -1;
	}
	return 1;
}

void
api_do_join(struct api *a, const struct api_request *rq, struct auth *au,
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
	if ((body = api_parse_body(rq, rs)) == NULL ||
	    join_fields(body, &j, rq, rs) != 0)
		goto out;
	if ((ad = calloc(1, sizeof(*ad))) == NULL) {
		api_fail(rs, rq, 500, "out of memory");
		goto out;
	}
	/* through the overlay, Slurm reaches the node at its overlay address */
	if ((overlay = overlay_wanted(a, rq, &j, rs)) < 0 || (!overlay &&
	    node_address(a, rq, &j, ad->addr, sizeof(ad->addr), rs) != 0))
		goto out;
	if (au->kind == SIG_TOKEN) {
		if (join_by_token(a, rq, au, &j, &n, &rejoin, &cloud, rs) != 0)
			goto out;
	} else {
		/* A node that joined before, with its own credential: after
		 * a reboot, when its token may be long expired. */
		n = au->node;
		if (strcmp(n.instance, j.instance) != 0) {
			api_fail(rs, rq, 403, "the credential of %s is not for instance "
			    "%s", n.name, j.instance);
			goto out;
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
		api_fail(rs, rq, 500, "policy made an invalid node name");
		goto out;
	}
	if (token_features(a, rq, au->kind == SIG_TOKEN ? au->token.id :
	    n.token, &j, rs) != 0)
		goto out;
	/* nor another node's name: Slurm would take one for the other */
	if (strcasecmp(j.hostname, n.name) != 0) {
		struct db_node other;
		int orc = db_node_by_name(a->db, j.hostname, &other, err,
		    sizeof(err));

		explicit_bzero(&other, sizeof(other));
		if (orc < 0) {
			api_fail(rs, rq, 500, "%s", err);
			goto out;
		}
		if (orc == 0) {
			api_fail(rs, rq, 409, "body: \"hostname\": %s is another "
			    "node's name", j.hostname);
			goto out;
		}
	}
	/* the node's overlay address and key, decided last; its peer is
	 * set by the admission (admit.c), with Slurm's part */
	if (overlay) {
		if (overlay_join(a->db, a->cfg, n.id, j.wg_key, a->now_exact(),
		    &oj, &status, err, sizeof(err)) != 0) {
			api_fail(rs, rq, status, "%s", err);
			goto out;
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
		api_fail(rs, rq, 500, "no random numbers");
		goto out;
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
	/* held only where there are mounts to verify, and not an elastic
	 * node: Slurm gave it its job before it booted, and a drain would
	 * not keep the job off (that agent mounts before slurmd instead) */
	ad->hold = j.hold && a->cfg->nmounts > 0 && !cloud;
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
out:
	if (ad != NULL) {
		explicit_bzero(ad, sizeof(*ad));
		free(ad);
	}
	explicit_bzero(&n, sizeof(n));
	json_object_put(body);
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
		api_fail(rs, &rq, 503, "%s%s", strncmp(ad->error, "overlay: ", 9) ?
		    "slurm: " : "", ad->error);
		a->m.joins_failed++;
		goto undo;
	}
	/* admitted: so the registry says, under the node's final name, in
	 * a transaction of its own (the request's ended when its registry
	 * part was done, before Slurm's) */
	if (api_tx_begin(a, &rq, rs) != 0)
		goto fail;
	if ((rc = db_node_by_instance(a->db, ad->instance, &n, err,
	    sizeof(err))) < 0)
		api_fail(rs, &rq, 500, "%s", err);
	else if (rc != 0 || n.id != ad->id || strcmp(n.name, ad->name) != 0)
		api_fail(rs, &rq, 409, "instance %s changed while it was being "
		    "admitted", ad->instance);
	else {
		snprintf(n.state, sizeof(n.state), "admitted");
		snprintf(n.addr, sizeof(n.addr), "%s", ad->addr);
		snprintf(n.hostname, sizeof(n.hostname), "%s", ad->hostname);
		memcpy(n.master, ad->master, sizeof(n.master));
		n.has_master = 1;
		n.held = ad->held;
		n.updated = a->now();
		if (db_node_update(a->db, &n, err, sizeof(err)) != 0 ||
		    (ad->overlay && overlay_joined(a->db, ad->id,
		    a->now_exact(), err, sizeof(err)) != 0))
			api_fail(rs, &rq, 500, "%s", err);
	}
	if (api_tx_end(a, &rq, rs) != 0)
		goto fail;
	if (ad->overlay && (ov = overlay_answer(a->cfg, ad->addr)) == NULL) {
		/* (the node is admitted: its next join answers it) */
		api_fail(rs, &rq, 503, "overlay: vnode-privd's answer is gone");
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
	json_object_object_add(answer, "held",
	    json_object_new_boolean(ad->held));
	if (ov != NULL) {
		json_object_object_add(answer, "overlay", ov);
		ov = NULL;
	}
	if (seal_secrets(a, &ad->keys, ad->nonce, n.name, ad->secret,
	    answer) != 0) {
		api_fail(rs, &rq, 500, "sealing the answer failed");
		a->m.joins_failed++;
		goto out;
	}
	api_ok(rs, &rq, answer, "");
	api_note(a, n.name, 0, "join", "%s as %s, address %s%s",
	    ad->rejoin ? "readmitted" : "admitted", n.name, ad->addr,
	    ad->held ? "; held (drained) until its mounts are verified" : "");
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
	a->m.joins_failed++;
undo:
	/* nothing half-made on the controller: a peer set for this join
	 * goes again */
	if (ad->overlay && overlay_join_undo(a->db, a->cfg, ad->id, ad->wg_key,
	    ad->wg_was_active, a->now_exact(), err, sizeof(err)) != 0)
		log_warnx("join of %s: its overlay peer stays until the next "
		    "sync: %s", ad->name, err);
out:
	api_sign_with(a, &ad->keys, ad->nonce, rs);
	json_object_put(answer);
	json_object_put(ov);
	explicit_bzero(&n, sizeof(n));
	explicit_bzero(ad, sizeof(*ad));
	free(ad);
}
