/*
 * hookclient.c - see hookclient.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hookclient.h"
#include "http.h"
#include "jsonutil.h"
#include "util.h"

#define MAX_ANSWER	(1024 * 1024)
#define CONNECT_TIMEOUT	5.0

int
hook_key_token(struct hook_key *k, const char *token)
{
	char id[TOKEN_ID_LEN + 1], secret[SECRET_LEN + 1];
	int rc;

	if (token_parse(token, id, secret) != 0)
		return -1;
	snprintf(k->id, sizeof(k->id), "token:%s", id);
	rc = sig_keys_from_secret(SIG_TOKEN, secret, &k->keys);
	explicit_bzero(secret, sizeof(secret));
	return rc;
}

int
hook_key_node(struct hook_key *k, const char *node, const char *credential)
{
	snprintf(k->id, sizeof(k->id), "node:%s", node);
	return sig_keys_from_secret(SIG_NODE, credential, &k->keys);
}

/* The hook's reason, printable ASCII only. */
static void
take_reason(struct hook_answer *a)
{
	struct json_object *o;
	const char *r = NULL;
	char jerr[64];
	size_t i;

	a->reason[0] = '\0';
	if (a->body == NULL || (o = js_parse(a->body, a->len, jerr,
	    sizeof(jerr))) == NULL)
		return;
	if (js_str(o, "error", 1, 1024, &r, jerr, sizeof(jerr)) == 0) {
		for (i = 0; r[i] != '\0' && i + 1 < sizeof(a->reason); i++)
			a->reason[i] = (r[i] >= 0x20 && r[i] < 0x7f) ? r[i] : '?';
		a->reason[i] = '\0';
	}
	json_object_put(o);
}

int
hook_post(const char *base_url, const char *pin, const char *path,
    const struct hook_key *key,
    const char *body, double timeout, struct hook_answer *ans, char *err,
    size_t errlen)
{
	struct http_request rq;
	struct http_response rs;
	struct http_header want[2];
	char url[512], e[512], sig[SIG_HEX_LEN + 1];
	char hkey[128], htime[64], hnonce[64], hsig[128];
	char rtime[32], rsig[SIG_HEX_LEN + 1];
	const char *hdrs[] = { hkey, htime, hnonce, hsig,
	    "Content-Type: application/json", NULL };
	size_t blen = strlen(body), bl;
	long ts = wall_now(), rts;
	int rc = -1;

	memset(ans, 0, sizeof(*ans));
	bl = strlen(base_url);
	if (bl > 0 && base_url[bl - 1] == '/')
		bl--;
	snprintf(url, sizeof(url), "%.*s%s", (int)bl, base_url, path);
	if (sig_new_nonce(ans->nonce) != 0)
		return errf(err, errlen, "no random numbers");
	if (sig_request(&key->keys, "POST", path, key->id, ts, ans->nonce, body,
	    blen, sig) != 0)
		return errf(err, errlen, "cannot sign the request");
	snprintf(hkey, sizeof(hkey), "%s: %s", SIG_HDR_KEY, key->id);
	snprintf(htime, sizeof(htime), "%s: %ld", SIG_HDR_TIME, ts);
	snprintf(hnonce, sizeof(hnonce), "%s: %s", SIG_HDR_NONCE, ans->nonce);
	snprintf(hsig, sizeof(hsig), "%s: %s", SIG_HDR_SIG, sig);
	want[0].name = SIG_HDR_TIME;
	want[0].value = rtime;
	want[0].size = sizeof(rtime);
	want[1].name = SIG_HDR_SIG;
	want[1].value = rsig;
	want[1].size = sizeof(rsig);
	memset(&rq, 0, sizeof(rq));
	rq.key = "hook_url";
	rq.method = "POST";
	rq.url = url;
	rq.pin = pin;
	rq.headers = hdrs;
	rq.body = body;
	rq.body_len = blen;
	rq.timeout = timeout;
	rq.connect_timeout = CONNECT_TIMEOUT;
	rq.max_body = MAX_ANSWER;
	rq.want = want;
	rq.nwant = 2;
	if ((rc = http_request(&rq, &rs, e, sizeof(e))) != 0) {
		errf(err, errlen, "%s: %s", url, e);
		/* the pin says it is not the controller: as a forged answer */
		return rc == HTTP_UNTRUSTED ? HOOK_FORGED : -1;
	}
	rc = -1;
	ans->status = rs.status;
	ans->body = rs.body;
	ans->len = rs.len;
	if (rsig[0] != '\0') {
		if (parse_long(rtime, 0, 999999999999L, &rts) != 0 ||
		    sig_response_check(&key->keys, ans->nonce, (int)ans->status,
		    rts, ans->body, ans->len, rsig) != 0) {
			errf(err, errlen, "%s: the answer's signature does not "
			    "verify: this is not the controller that issued the "
			    "key", url);
			rc = HOOK_FORGED;
			goto out;
		}
		ans->is_signed = 1;
	}
	if (ans->status >= 400)
		take_reason(ans);
	rc = 0;
out:
	if (rc != 0)
		hook_answer_free(ans);
	return rc;
}

void
hook_answer_free(struct hook_answer *ans)
{
	if (ans->body != NULL) {
		explicit_bzero(ans->body, ans->len);
		free(ans->body);
	}
	ans->body = NULL;
	ans->len = 0;
}
