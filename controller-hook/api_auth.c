/*
 * api_auth.c - who signed a request (api_int.h): its headers, the token's
 * or node's key, the signature, the clock and the nonce, in that order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "names.h"
#include "util.h"

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
int
api_authenticate(struct api *a, const struct api_request *rq, struct auth *au,
    struct api_response *rs)
{
	char err[256];
	long ts, now, skew;
	int rc;

	memset(au, 0, sizeof(*au));
	if (rq->key == NULL) {
		api_fail(rs, rq, 400, "missing header " SIG_HDR_KEY);
		return -1;
	}
	if (rq->time == NULL) {
		api_fail(rs, rq, 400, "missing header " SIG_HDR_TIME);
		return -1;
	}
	if (rq->nonce == NULL) {
		api_fail(rs, rq, 400, "missing header " SIG_HDR_NONCE);
		return -1;
	}
	if (rq->sig == NULL) {
		api_fail(rs, rq, 400, "missing header " SIG_HDR_SIG);
		return -1;
	}
	if (!digits(rq->time, 12) || parse_long(rq->time, 0, 999999999999L,
	    &ts) != 0) {
		api_fail(rs, rq, 400, "bad header " SIG_HDR_TIME
		    ": not a Unix time in seconds");
		return -1;
	}
	if (!hex_valid(rq->nonce, SIG_NONCE_LEN)) {
		api_fail(rs, rq, 400, "bad header " SIG_HDR_NONCE ": not %d hex digits",
		    SIG_NONCE_LEN);
		return -1;
	}
	if (!hex_valid(rq->sig, SIG_HEX_LEN)) {
		api_fail(rs, rq, 400, "bad header " SIG_HDR_SIG ": not %d hex digits",
		    SIG_HEX_LEN);
		return -1;
	}

	if (strncmp(rq->key, "token:", 6) == 0) {
		const char *id = rq->key + 6;

		au->kind = SIG_TOKEN;
		if (!hex_valid(id, TOKEN_ID_LEN)) {
			api_fail(rs, rq, 400, "bad header " SIG_HDR_KEY
			    ": token id is not %d hex digits", TOKEN_ID_LEN);
			return -1;
		}
		rc = db_token_get(a->db, id, &au->token, err, sizeof(err));
		if (rc < 0) {
			api_fail(rs, rq, 500, "%s", err);
			return -1;
		}
		if (rc > 0) {
			api_failc(rs, rq, 401, "unknown_token", "unknown token %s", id);
			return -1;
		}
		rc = sig_derive(au->token.master, &au->keys);
	} else if (strncmp(rq->key, "node:", 5) == 0) {
		const char *name = rq->key + 5;

		au->kind = SIG_NODE;
		if (!name_node_valid(name)) {
			api_fail(rs, rq, 400, "bad header " SIG_HDR_KEY ": a node "
			    "name is [a-z][a-z0-9-]*, not ending with '-', at "
			    "most %d characters", NAME_MAX_LEN);
			return -1;
		}
		rc = db_node_by_name(a->db, name, &au->node, err, sizeof(err));
		if (rc < 0) {
			api_fail(rs, rq, 500, "%s", err);
			return -1;
		}
		if (rc > 0 || !au->node.has_master) {
			api_failc(rs, rq, 401, "unknown_node",
			    "unknown node credential for %s", name);
			return -1;
		}
		rc = sig_derive(au->node.master, &au->keys);
	} else {
		api_fail(rs, rq, 400, "bad header " SIG_HDR_KEY
		    ": expected token:ID or node:NAME");
		return -1;
	}
	if (rc != 0) {
		api_fail(rs, rq, 500, "key derivation failed");
		return -1;
	}
	if (sig_request_check(&au->keys, rq->method, rq->path, rq->key, ts,
	    rq->nonce, rq->body, rq->bodylen, rq->sig) != 0) {
		api_failc(rs, rq, 401, "bad_signature", "bad signature");
		return -1;
	}
	/* From here on the caller holds the key: answers are signed. */
	au->ok = 1;
	au->nonce = rq->nonce;
	now = a->now();
	skew = ts > now ? ts - now : now - ts;
	if (skew > a->cfg->clock_skew) {
		api_failc(rs, rq, 401, "clock_skew", "request time is %ld s %s "
		    "the controller's clock (allowed: %ld s); is the node's "
		    "time synchronised?",
		    skew, ts > now ? "ahead of" : "behind", a->cfg->clock_skew);
		return -1;
	}
	rc = db_nonce_record(a->db, rq->nonce, now, err, sizeof(err));
	if (rc < 0) {
		api_fail(rs, rq, 500, "%s", err);
		return -1;
	}
	if (rc > 0) {
		api_failc(rs, rq, 401, "replayed", "replayed request (nonce seen before)");
		return -1;
	}
	if (db_nonce_purge(a->db, now - 2 * a->cfg->clock_skew - 1, err,
	    sizeof(err)) != 0) {
		api_fail(rs, rq, 500, "%s", err);
		return -1;
	}
	return 0;
}
