/*
 * sig.c - see sig.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sig.h"
#include "util.h"

#define MAX_SEALED	(64 * 1024)

static int
lower_hex(const char *s, size_t len)
{
	size_t i;

	if (strlen(s) != len)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int
secret_valid(const char *secret)
{
	return secret != NULL && lower_hex(secret, SECRET_LEN);
}

int
token_parse(const char *token, char id[TOKEN_ID_LEN + 1],
    char secret[SECRET_LEN + 1])
{
	if (token == NULL || strlen(token) != TOKEN_LEN ||
	    token[TOKEN_ID_LEN] != '.')
		return -1;
	memcpy(id, token, TOKEN_ID_LEN);
	id[TOKEN_ID_LEN] = '\0';
	memcpy(secret, token + TOKEN_ID_LEN + 1, SECRET_LEN + 1);
	if (!lower_hex(id, TOKEN_ID_LEN) || !secret_valid(secret)) {
		explicit_bzero(secret, SECRET_LEN + 1);
		return -1;
	}
	return 0;
}

static int
random_hex(char *out, size_t hexlen)
{
	unsigned char b[64];

	if (hexlen / 2 > sizeof(b) || crypto_random(b, hexlen / 2) != 0)
		return -1;
	hex_encode(b, hexlen / 2, out);
	explicit_bzero(b, sizeof(b));
	return 0;
}

int
sig_new_secret(char out[SECRET_LEN + 1])
{
	return random_hex(out, SECRET_LEN);
}

int
sig_new_token_id(char out[TOKEN_ID_LEN + 1])
{
	return random_hex(out, TOKEN_ID_LEN);
}

int
sig_new_nonce(char out[SIG_NONCE_LEN + 1])
{
	return random_hex(out, SIG_NONCE_LEN);
}

int
sig_master(enum sig_kind kind, const char *secret,
    unsigned char master[CRYPTO_KEY_LEN])
{
	char buf[32 + SECRET_LEN + 1];
	int n, rc;

	if (!secret_valid(secret))
		return -1;
	n = snprintf(buf, sizeof(buf), "%s%s",
	    kind == SIG_TOKEN ? "vnode token v1:" : "vnode node v1:", secret);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -1;
	rc = crypto_sha256(buf, (size_t)n, master);
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

int
sig_derive(const unsigned char master[CRYPTO_KEY_LEN], struct sig_keys *k)
{
	static const char lsign[] = "vnode sign v1", lenc[] = "vnode enc v1";

	if (crypto_hmac_sha256(master, CRYPTO_KEY_LEN, lsign, sizeof(lsign) - 1,
	    k->sign) != 0 ||
	    crypto_hmac_sha256(master, CRYPTO_KEY_LEN, lenc, sizeof(lenc) - 1,
	    k->enc) != 0) {
		explicit_bzero(k, sizeof(*k));
		return -1;
	}
	return 0;
}

int
sig_keys_from_secret(enum sig_kind kind, const char *secret, struct sig_keys *k)
{
	unsigned char m[CRYPTO_KEY_LEN];
	int rc;

	rc = sig_master(kind, secret, m) == 0 ? sig_derive(m, k) : -1;
	explicit_bzero(m, sizeof(m));
	return rc;
}

/* HMAC over a canonical text whose last line is the body's SHA-256. */
static int
mac_text(const struct sig_keys *k, const char *head, const void *body,
    size_t bodylen, char out[SIG_HEX_LEN + 1])
{
	unsigned char h[CRYPTO_SHA256_LEN], mac[CRYPTO_SHA256_LEN];
	char hh[2 * CRYPTO_SHA256_LEN + 1];
	char *text;
	size_t len;
	int rc = -1;

	if (crypto_sha256(body, bodylen, h) != 0)
		return -1;
	hex_encode(h, sizeof(h), hh);
	len = strlen(head) + sizeof(hh) + 1;
	if ((text = malloc(len)) == NULL)
		return -1;
	snprintf(text, len, "%s%s", head, hh);
	if (crypto_hmac_sha256(k->sign, sizeof(k->sign), text, strlen(text),
	    mac) == 0) {
		hex_encode(mac, sizeof(mac), out);
		rc = 0;
	}
	free(text);
	return rc;
}

/* Fields may not contain the separator, or two texts could collide. */
static int
field_ok(const char *s, size_t max)
{
	size_t n;

	if (s == NULL || (n = strlen(s)) == 0 || n > max)
		return 0;
	return strchr(s, '\n') == NULL;
}

int
sig_request(const struct sig_keys *k, const char *method, const char *path,
    const char *keyid, long ts, const char *nonce, const void *body,
    size_t bodylen, char out[SIG_HEX_LEN + 1])
{
	char head[1024];
	int n;

	if (!field_ok(method, 16) || !field_ok(path, 256) ||
	    !field_ok(keyid, 128) || !field_ok(nonce, SIG_NONCE_LEN))
		return -1;
	n = snprintf(head, sizeof(head), "vnode-request-v1\n%s\n%s\n%s\n%ld\n%s\n",
	    method, path, keyid, ts, nonce);
	if (n < 0 || (size_t)n >= sizeof(head))
		return -1;
	return mac_text(k, head, body, bodylen, out);
}

static int
sig_equal(const char *want, const char *got)
{
	unsigned char a[CRYPTO_SHA256_LEN], b[CRYPTO_SHA256_LEN];

	if (got == NULL || hex_decode(want, a, sizeof(a)) != 0 ||
	    hex_decode(got, b, sizeof(b)) != 0)
		return 0;
	return ct_equal(a, b, sizeof(a));
}

int
sig_request_check(const struct sig_keys *k, const char *method,
    const char *path, const char *keyid, long ts, const char *nonce,
    const void *body, size_t bodylen, const char *sig)
{
	char want[SIG_HEX_LEN + 1];

	if (sig_request(k, method, path, keyid, ts, nonce, body, bodylen,
	    want) != 0)
		return -1;
	return sig_equal(want, sig) ? 0 : -1;
}

int
sig_response(const struct sig_keys *k, const char *req_nonce, int status,
    long ts, const void *body, size_t bodylen, char out[SIG_HEX_LEN + 1])
{
	char head[256];
	int n;

	if (!field_ok(req_nonce, SIG_NONCE_LEN))
		return -1;
	n = snprintf(head, sizeof(head), "vnode-response-v1\n%s\n%d\n%ld\n",
	    req_nonce, status, ts);
	if (n < 0 || (size_t)n >= sizeof(head))
		return -1;
	return mac_text(k, head, body, bodylen, out);
}

int
sig_response_check(const struct sig_keys *k, const char *req_nonce,
    int status, long ts, const void *body, size_t bodylen, const char *sig)
{
	char want[SIG_HEX_LEN + 1];

	if (sig_response(k, req_nonce, status, ts, body, bodylen, want) != 0)
		return -1;
	return sig_equal(want, sig) ? 0 : -1;
}

static int
seal_key(const struct sig_keys *k, const char *req_nonce,
    unsigned char key[CRYPTO_KEY_LEN])
{
	char label[64 + SIG_NONCE_LEN];
	int n;

	if (!field_ok(req_nonce, SIG_NONCE_LEN))
		return -1;
	n = snprintf(label, sizeof(label), "vnode secrets v1\n%s", req_nonce);
	if (n < 0 || (size_t)n >= sizeof(label))
		return -1;
	return crypto_hmac_sha256(k->enc, sizeof(k->enc), label, (size_t)n, key);
}

int
sig_seal(const struct sig_keys *k, const char *req_nonce, const char *aad,
    const void *pt, size_t ptlen, char **iv_hex, char **ct_hex)
{
	unsigned char key[CRYPTO_KEY_LEN], iv[CRYPTO_GCM_IV_LEN];
	unsigned char *ct = NULL;
	char *ivh = NULL, *cth = NULL;
	size_t ctlen = ptlen + CRYPTO_GCM_TAG_LEN;
	int rc = -1;

	if (ptlen > MAX_SEALED || seal_key(k, req_nonce, key) != 0)
		goto out;
	if (crypto_random(iv, sizeof(iv)) != 0)
		goto out;
	if ((ct = malloc(ctlen)) == NULL || (cth = malloc(2 * ctlen + 1)) == NULL ||
	    (ivh = malloc(2 * sizeof(iv) + 1)) == NULL)
		goto out;
	if (crypto_gcm_seal(key, iv, aad, strlen(aad), pt, ptlen, ct) != 0)
		goto out;
	hex_encode(iv, sizeof(iv), ivh);
	hex_encode(ct, ctlen, cth);
	*iv_hex = ivh;
	*ct_hex = cth;
	ivh = cth = NULL;
	rc = 0;
out:
	explicit_bzero(key, sizeof(key));
	free(ct);
	free(ivh);
	free(cth);
	return rc;
}

int
sig_open(const struct sig_keys *k, const char *req_nonce, const char *aad,
    const char *iv_hex, const char *ct_hex, unsigned char **pt, size_t *ptlen)
{
	unsigned char key[CRYPTO_KEY_LEN], iv[CRYPTO_GCM_IV_LEN];
	unsigned char *ct = NULL, *out = NULL;
	size_t hexlen, ctlen;
	int rc = -1;

	if (iv_hex == NULL || ct_hex == NULL)
		return -1;
	hexlen = strlen(ct_hex);
	if (hexlen % 2 != 0 || hexlen / 2 < CRYPTO_GCM_TAG_LEN ||
	    hexlen / 2 > MAX_SEALED + CRYPTO_GCM_TAG_LEN)
		return -1;
	ctlen = hexlen / 2;
	if (hex_decode(iv_hex, iv, sizeof(iv)) != 0)
		return -1;
	if ((ct = malloc(ctlen)) == NULL ||
	    (out = malloc(ctlen - CRYPTO_GCM_TAG_LEN + 1)) == NULL)
		goto out;
	if (hex_decode(ct_hex, ct, ctlen) != 0 ||
	    seal_key(k, req_nonce, key) != 0)
		goto out;
	if (crypto_gcm_open(key, iv, aad, strlen(aad), ct, ctlen, out) != 0)
		goto out;
	out[ctlen - CRYPTO_GCM_TAG_LEN] = '\0';
	*pt = out;
	*ptlen = ctlen - CRYPTO_GCM_TAG_LEN;
	out = NULL;
	rc = 0;
out:
	explicit_bzero(key, sizeof(key));
	if (out != NULL) {
		explicit_bzero(out, ctlen - CRYPTO_GCM_TAG_LEN + 1);
		free(out);
	}
	free(ct);
	return rc;
}
