/*
 * join.c - see join.h.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hookclient.h"
#include "http.h"
#include "join.h"
#include "jsonutil.h"
#include "mungekey.h"
#include "names.h"
#include "util.h"

#define BACKOFF_FIRST	0.5
#define BACKOFF_MAX	10.0
#define CALL_TIMEOUT	30.0
#define LOOKUP_TIMEOUT	5.0	/* the hook's name, for local_address() */

/* The address this machine sends from towards the hook: a UDP socket
 * connected there (no packet is sent) says which one the kernel picks.
 * What the hook sees may differ (NAT); addr = reported uses this one. */
static void
local_address(const char *url, char *out, size_t outsz)
{
	struct addrinfo *res = NULL, *ai;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	char host[256], e[256];
	int fd = -1;

	out[0] = '\0';
	if (settings_hook_host(url, host, sizeof(host)) != 0 ||
	    http_lookup(host, "9", LOOKUP_TIMEOUT, &res, e, sizeof(e)) != 0)
		return;
	for (ai = res; ai != NULL && ai->ai_family != AF_INET; ai = ai->ai_next)
		;
	if (ai != NULL &&
	    (fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) >= 0 &&
	    connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		inet_ntop(AF_INET, &sin.sin_addr, out, (socklen_t)outsz);
	if (fd >= 0)
		close(fd);
	freeaddrinfo(res);
}

int
join_facts_gather(const struct settings *s, struct join_facts *f, char *err,
    size_t errlen)
{
	long pages, psize, ncpu;

	memset(f, 0, sizeof(*f));
	snprintf(f->hostname, sizeof(f->hostname), "%s", s->hostname);
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	pages = sysconf(_SC_PHYS_PAGES);
	psize = sysconf(_SC_PAGESIZE);
	if (ncpu < 1 || pages < 1 || psize < 1)
		return errf(err, errlen, "cannot tell this machine's CPUs and "
		    "memory");
	local_address(s->hook_url, f->local_addr, sizeof(f->local_addr));
	f->cpus = s->cpus ? s->cpus : ncpu;
	f->memory_mb = s->memory_mb ? s->memory_mb :
	    (long)((double)pages * (double)psize / (1024.0 * 1024.0));
	if (f->cpus > ncpu)
		return errf(err, errlen, "cpus = %ld, but this machine has %ld",
		    f->cpus, ncpu);
	return 0;
}

static char *
request_body(const struct settings *s, const struct join_facts *f)
{
	struct json_object *o, *arr;
	char *out;
	int i;

	o = json_object_new_object();
	json_object_object_add(o, "instance",
	    json_object_new_string(s->instance_id));
	json_object_object_add(o, "hostname", json_object_new_string(f->hostname));
	json_object_object_add(o, "cpus", json_object_new_int64(f->cpus));
	json_object_object_add(o, "memory_mb",
	    json_object_new_int64(f->memory_mb));
	arr = json_object_new_array();
	for (i = 0; i < s->nfeatures; i++)
		json_object_array_add(arr, json_object_new_string(s->features[i]));
	json_object_object_add(o, "features", arr);
	if (f->local_addr[0] != '\0')
		json_object_object_add(o, "local_addr",
		    json_object_new_string(f->local_addr));
	if (s->address[0] != '\0')
		json_object_object_add(o, "address",
		    json_object_new_string(s->address));
	/* this agent can be held until its mounts are verified: it starts
	 * slurmd beside the mounts, and POST /v1/ready releases the node */
	json_object_object_add(o, "hold", json_object_new_boolean(1));
	if (f->wg_key[0] != '\0') {
		struct json_object *ov = json_object_new_object();

		json_object_object_add(ov, "public_key",
		    json_object_new_string(f->wg_key));
		json_object_object_add(ov, "required",
		    json_object_new_boolean(f->wg_required));
		json_object_object_add(o, "overlay", ov);
	}
	out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return out;
}

static int
copy_str(struct json_object *o, const char *key, char *dst, size_t dstsz,
    int (*valid)(const char *), char *err, size_t errlen)
{
	const char *v;

	if (js_str(o, key, 1, dstsz - 1, &v, err, errlen) != 0)
		return -1;
	if (valid != NULL && !valid(v))
		return errf(err, errlen, "\"%s\": not valid", key);
	snprintf(dst, dstsz, "%s", v);
	return 0;
}

static int
open_secrets(struct json_object *o, const struct sig_keys *k,
    const char *nonce, struct join_result *r, char *err, size_t errlen)
{
	struct json_object *sec, *inner = NULL;
	const char *iv, *data, *mk, *cred;
	unsigned char *pt = NULL;
	size_t ptlen = 0, mlen;
	int rc = -1;

	if (!json_object_object_get_ex(o, "secrets", &sec) || sec == NULL ||
	    !json_object_is_type(sec, json_type_object))
		return errf(err, errlen, "\"secrets\": missing");
	if (js_str(sec, "iv", 1, 64, &iv, err, errlen) != 0 ||
	    js_str(sec, "data", 1, 16384, &data, err, errlen) != 0)
		return -1;
	if (sig_open(k, nonce, r->node, iv, data, &pt, &ptlen) != 0)
		return errf(err, errlen, "\"secrets\": do not decrypt with our "
		    "key");
	if ((inner = js_parse((const char *)pt, ptlen, err, errlen)) == NULL)
		goto out;
	if (js_str(inner, "munge_key", 1, 2 * MUNGE_KEY_MAX, &mk, err,
	    errlen) != 0 ||
	    js_str(inner, "credential", 1, SECRET_LEN, &cred, err, errlen) != 0)
		goto out;
	mlen = strlen(mk) / 2;
	if (strlen(mk) % 2 != 0 || mlen < MUNGE_KEY_MIN) {
		errf(err, errlen, "\"munge_key\": not %d to %d bytes in hex",
		    MUNGE_KEY_MIN, MUNGE_KEY_MAX);
		goto out;
	}
	if (!secret_valid(cred)) {
		errf(err, errlen, "\"credential\": not valid");
		goto out;
	}
	if ((r->munge_key = malloc(mlen)) == NULL ||
	    hex_decode(mk, r->munge_key, mlen) != 0) {
		errf(err, errlen, "\"munge_key\": not hex");
		goto out;
	}
	r->munge_len = mlen;
	snprintf(r->credential, sizeof(r->credential), "%s", cred);
	rc = 0;
out:
	if (inner != NULL) {
		/* json-c's copies of the secrets */
		if (js_str(inner, "munge_key", 1, 2 * MUNGE_KEY_MAX, &mk, NULL,
		    0) == 0)
			explicit_bzero((void *)(uintptr_t)mk, strlen(mk));
		if (js_str(inner, "credential", 1, SECRET_LEN, &cred, NULL, 0) == 0)
			explicit_bzero((void *)(uintptr_t)cred, strlen(cred));
		json_object_put(inner);
	}
	if (pt != NULL) {
		explicit_bzero(pt, ptlen);
		free(pt);
	}
	return rc;
}

static int
read_mounts(struct json_object *o, struct join_result *r, char *err,
    size_t errlen)
{
	struct json_object *arr, *m;
	struct join_mount *jm;
	const char *name, *src, *tgt, *type, *opt, *what;
	size_t i, n;

	if (!json_object_object_get_ex(o, "mounts", &arr) || arr == NULL ||
	    !json_object_is_type(arr, json_type_array))
		return errf(err, errlen, "\"mounts\": missing");
	n = json_object_array_length(arr);
	if (n > JOIN_MAX_MOUNTS)
		return errf(err, errlen, "\"mounts\": more than %d",
		    JOIN_MAX_MOUNTS);
	for (i = 0; i < n; i++) {
		m = json_object_array_get_idx(arr, i);
		if (m == NULL || !json_object_is_type(m, json_type_object))
			return errf(err, errlen, "\"mounts\"[%zu]: not an object",
			    i);
		jm = &r->mounts[i];
		if (js_str(m, "name", 1, sizeof(jm->name) - 1, &name, err,
		    errlen) != 0 ||
		    js_str(m, "source", 1, sizeof(jm->source) - 1, &src, err,
		    errlen) != 0 ||
		    js_str(m, "target", 1, sizeof(jm->target) - 1, &tgt, err,
		    errlen) != 0 ||
		    js_str(m, "type", 1, sizeof(jm->type) - 1, &type, err,
		    errlen) != 0 ||
		    js_str(m, "options", 1, sizeof(jm->options) - 1, &opt, err,
		    errlen) != 0)
			return -1;
		if (!name_feature_valid(name) ||
		    name_mount_valid(src, tgt, type, opt, &what) != 0)
			return errf(err, errlen, "\"mounts\"[%zu]: not valid", i);
		snprintf(jm->name, sizeof(jm->name), "%s", name);
		snprintf(jm->source, sizeof(jm->source), "%s", src);
		snprintf(jm->target, sizeof(jm->target), "%s", tgt);
		snprintf(jm->type, sizeof(jm->type), "%s", type);
		snprintf(jm->options, sizeof(jm->options), "%s", opt);
		r->nmounts++;
	}
	return 0;
}

/* The answer's "overlay", when there is one: every field checked, the
 * addresses inside the overlay's network. */
static int
read_overlay(struct json_object *o, const char *addr, struct join_overlay *ov,
    char *err, size_t errlen)
{
	struct json_object *obj, *arr = NULL;
	const char *a, *net, *ctl, *key, *ep;
	uint32_t mine, theirs;
	size_t i, n;

	memset(ov, 0, sizeof(*ov));
	if (!json_object_object_get_ex(o, "overlay", &obj) || obj == NULL)
		return 0;
	if (!json_object_is_type(obj, json_type_object))
		return errf(err, errlen, "\"overlay\": not an object");
	if (js_str(obj, "address", 1, 15, &a, err, errlen) != 0 ||
	    js_str(obj, "network", 1, 18, &net, err, errlen) != 0 ||
	    js_str(obj, "controller", 1, 15, &ctl, err, errlen) != 0 ||
	    js_str(obj, "public_key", 1, WG_KEY_LEN, &key, err, errlen) != 0 ||
	    js_str(obj, "endpoint", 1, sizeof(ov->endpoint) - 1, &ep, err,
	    errlen) != 0 ||
	    js_int(obj, "keepalive", 1, 0, 3600, &ov->keepalive, err,
	    errlen) != 0 ||
	    js_str_array(obj, "routes", 1, JOIN_MAX_ROUTES, 18, &arr, err,
	    errlen) != 0)
		return errf(err, errlen, "\"overlay\": %s", err);
	if (wg_net_parse(net, &ov->network) != 0 || ov->network.prefix < 8 ||
	    ov->network.prefix > 30)
		return errf(err, errlen, "\"overlay\": \"network\": not valid");
	if (wg_addr_parse(a, &mine) != 0 || !wg_net_contains(&ov->network,
	    mine) || mine == wg_net_first(&ov->network) ||
	    mine == wg_net_last(&ov->network) || strcmp(a, addr) != 0)
		return errf(err, errlen, "\"overlay\": \"address\": not an "
		    "address in the overlay's network, or not the node's");
	if (wg_addr_parse(ctl, &theirs) != 0 || !wg_net_contains(&ov->network,
	    theirs) || theirs == mine)
		return errf(err, errlen, "\"overlay\": \"controller\": not valid");
	if (!wg_key_valid(key))
		return errf(err, errlen, "\"overlay\": \"public_key\": not valid");
	if (!name_hostport_valid(ep))
		return errf(err, errlen, "\"overlay\": \"endpoint\": not "
		    "host:port");
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		struct wg_net *r = &ov->routes[ov->nroutes];

		if (wg_net_parse_strict(json_object_get_string(
		    json_object_array_get_idx(arr, i)), r) != 0 ||
		    r->prefix < 8 || wg_net_overlap(r, &ov->network))
			return errf(err, errlen, "\"overlay\": \"routes\"[%zu]: "
			    "not valid", i);
		ov->nroutes++;
	}
	snprintf(ov->address, sizeof(ov->address), "%s", a);
	wg_addr_format(theirs, ov->controller, sizeof(ov->controller));
	memcpy(ov->public_key, key, WG_KEY_LEN + 1);
	snprintf(ov->endpoint, sizeof(ov->endpoint), "%s", ep);
	ov->used = 1;
	return 0;
}

int
join_parse_answer(const char *body, size_t len, const struct sig_keys *k,
    const char *nonce, struct join_result *r, char *err, size_t errlen)
{
	struct json_object *o, *arr = NULL;
	char e[256];
	size_t i, n;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if ((o = js_parse(body, len, e, sizeof(e))) == NULL)
		return errf(err, errlen, "answer: %s", e);
	if (copy_str(o, "node", r->node, sizeof(r->node), name_node_valid, e,
	    sizeof(e)) != 0 ||
	    copy_str(o, "addr", r->addr, sizeof(r->addr), name_ipv4_valid, e,
	    sizeof(e)) != 0 ||
	    copy_str(o, "mode", r->mode, sizeof(r->mode), NULL, e,
	    sizeof(e)) != 0 ||
	    copy_str(o, "conf_server", r->conf_server, sizeof(r->conf_server),
	    name_hostport_valid, e, sizeof(e)) != 0 ||
	    js_int(o, "cpus", 1, 1, 4096, &r->cpus, e, sizeof(e)) != 0 ||
	    js_int(o, "memory_mb", 1, 1, 1L << 30, &r->memory_mb, e,
	    sizeof(e)) != 0 ||
	    js_bool(o, "rejoin", 1, &r->rejoin, e, sizeof(e)) != 0 ||
	    js_bool(o, "held", 0, &r->held, e, sizeof(e)) < 0 ||
	    js_str_array(o, "features", 1, 32, 63, &arr, e, sizeof(e)) != 0) {
		errf(err, errlen, "answer: %s", e);
		goto out;
	}
	if (strcmp(r->mode, "dynamic") != 0 && strcmp(r->mode, "pool") != 0 &&
	    strcmp(r->mode, "conf") != 0 && strcmp(r->mode, "cloud") != 0) {
		errf(err, errlen, "answer: \"mode\": %s is not supported by this "
		    "agent", r->mode);
		goto out;
	}
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		const char *f = json_object_get_string(
		    json_object_array_get_idx(arr, i));

		if (!name_feature_valid(f)) {
			errf(err, errlen, "answer: \"features\"[%zu]: not valid", i);
			goto out;
		}
		snprintf(r->features + strlen(r->features),
		    sizeof(r->features) - strlen(r->features), "%s%s",
		    i ? "," : "", f);
	}
	if (n == 0) {
		errf(err, errlen, "answer: \"features\": empty");
		goto out;
	}
	if (read_mounts(o, r, e, sizeof(e)) != 0 ||
	    read_overlay(o, r->addr, &r->overlay, e, sizeof(e)) != 0) {
		errf(err, errlen, "answer: %s", e);
		goto out;
	}
	if (open_secrets(o, k, nonce, r, e, sizeof(e)) != 0) {
		errf(err, errlen, "answer: %s", e);
		goto out;
	}
	rc = 0;
out:
	json_object_put(o);
	if (rc != 0)
		join_result_free(r);
	return rc;
}

void
join_result_free(struct join_result *r)
{
	if (r->munge_key != NULL) {
		explicit_bzero(r->munge_key, r->munge_len);
		free(r->munge_key);
	}
	r->munge_key = NULL;
	r->munge_len = 0;
	explicit_bzero(r->credential, sizeof(r->credential));
}

/* Exponential backoff with full jitter: uniform in [d/2, d]. */
static double
backoff(int attempt)
{
	unsigned int rnd = 0;
	double d = BACKOFF_FIRST;

	while (attempt-- > 0 && d < BACKOFF_MAX)
		d *= 2;
	if (d > BACKOFF_MAX)
		d = BACKOFF_MAX;
	crypto_random(&rnd, sizeof(rnd));
	return d / 2 + (d / 2) * ((double)rnd / (double)UINT32_MAX);
}

int
join_run(const struct settings *s, const struct join_facts *f,
    const struct node_state *prev, void (*note)(const char *msg),
    volatile sig_atomic_t *stop, struct join_result *r, int *refused, char *err,
    size_t errlen)
{
	struct hook_key key;
	struct hook_answer ans;
	char *body, why[600], msg[700];
	double start = mono_now(), left, wait;
	int attempt = 0, rc = -1, got, with_credential = 0;

	*refused = 0;
	memset(r, 0, sizeof(*r));
	/* The node's own credential first, when it joined this hook before as
	 * this instance: it outlives the join token. */
	if (prev != NULL && strcmp(prev->hook_url, s->hook_url) == 0 &&
	    strcmp(prev->instance, s->instance_id) == 0 &&
	    hook_key_node(&key, prev->node, prev->credential) == 0)
		with_credential = 1;
	else if (hook_key_token(&key, s->join_token) != 0)
		return errf(err, errlen, "join_token: not valid");
	if ((body = request_body(s, f)) == NULL) {
		explicit_bzero(&key, sizeof(key));
		return errf(err, errlen, "out of memory");
	}
	for (;;) {
		left = s->join_timeout - (mono_now() - start);
		attempt++;
		got = hook_post(s->hook_url, s->hook_pin, "/v1/join", &key, body,
		    left < CALL_TIMEOUT ? (left > 1 ? left : 1) : CALL_TIMEOUT,
		    &ans, why, sizeof(why));
		if (got == HOOK_FORGED) {
			/* someone else answered: no use asking again */
			*refused = 1;
			errf(err, errlen, "%s", why);
			break;
		}
		if (got == 0 && ans.status == 200) {
			if (ans.is_signed) {
				rc = join_parse_answer(ans.body, ans.len, &key.keys,
				    ans.nonce, r, err, errlen);
				r->attempts = attempt;
			} else
				errf(err, errlen, "the hook's answer is not signed: "
				    "not trusting it");
			hook_answer_free(&ans);
			*refused = rc != 0;
			break;
		}
		if (got == 0 && with_credential && (ans.status == 401 ||
		    ans.status == 403)) {
			/* the hook no longer knows that credential */
			snprintf(msg, sizeof(msg), "join: the credential of %s is "
			    "refused (%s); joining with the token", prev->node,
			    ans.reason);
			note(msg);
			hook_answer_free(&ans);
			with_credential = 0;
			if (hook_key_token(&key, s->join_token) != 0) {
				errf(err, errlen, "join_token: not valid");
				break;
			}
			continue;
		}
		if (got == 0 && ans.status >= 400 && ans.status < 500) {
			*refused = 1;
			errf(err, errlen, "refused by the hook (%ld): %s", ans.status,
			    ans.reason[0] ? ans.reason : "no reason given");
			hook_answer_free(&ans);
			break;
		}
		if (got == 0) {
			snprintf(why, sizeof(why), "hook answered %ld%s%s",
			    ans.status, ans.reason[0] ? ": " : "", ans.reason);
			hook_answer_free(&ans);
		}
		wait = backoff(attempt - 1);
		left = s->join_timeout - (mono_now() - start);
		if (*stop) {
			errf(err, errlen, "stopped after %d attempts; last: %s",
			    attempt, why);
			break;
		}
		if (left <= wait) {
			errf(err, errlen, "no admission after %d attempts in "
			    "%.0f s; last: %s", attempt, s->join_timeout, why);
			break;
		}
		snprintf(msg, sizeof(msg), "join: attempt %d: %s; retrying in "
		    "%.1f s", attempt, why, wait);
		note(msg);
		sleep_seconds(wait, stop);
	}
	explicit_bzero(&key, sizeof(key));
	free(body);
	return rc;
}
