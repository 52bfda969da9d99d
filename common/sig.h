/*
 * sig.h - the wire protocol's signatures and sealed secrets, shared by
 * vnode-agent and vnode-hookd.  See vnode-hookd(8), PROTOCOL.
 *
 * A credential is a secret string: a join token's secret part, or a node's
 * own secret handed out at join.  From it comes a master key
 * M = SHA-256(label || secret), which is all the hook stores, and from M two
 * keys: one signs requests and answers (HMAC-SHA256), one seals secrets in
 * answers (AES-256-GCM, with a fresh key per request).
 */
#ifndef VNODE_SIG_H
#define VNODE_SIG_H

#include <stddef.h>

#include "crypto.h"

#define SIG_HDR_KEY	"X-Vnode-Key"
#define SIG_HDR_TIME	"X-Vnode-Time"
#define SIG_HDR_NONCE	"X-Vnode-Nonce"
#define SIG_HDR_SIG	"X-Vnode-Signature"

#define SIG_HEX_LEN	64	/* hex HMAC-SHA256 */
#define SIG_NONCE_LEN	32	/* hex characters (16 random bytes) */
#define TOKEN_ID_LEN	16	/* hex characters */
#define SECRET_LEN	64	/* hex characters (32 random bytes) */
#define TOKEN_LEN	(TOKEN_ID_LEN + 1 + SECRET_LEN)

enum sig_kind { SIG_TOKEN, SIG_NODE };

struct sig_keys {
	unsigned char sign[CRYPTO_KEY_LEN];
	unsigned char enc[CRYPTO_KEY_LEN];
};

/* "id.secret": 16 and 64 lowercase hex digits. */
int token_parse(const char *token, char id[TOKEN_ID_LEN + 1],
    char secret[SECRET_LEN + 1]);
int secret_valid(const char *secret);

/* Fresh random hex strings. */
int sig_new_secret(char out[SECRET_LEN + 1]);
int sig_new_token_id(char out[TOKEN_ID_LEN + 1]);
int sig_new_nonce(char out[SIG_NONCE_LEN + 1]);

int sig_master(enum sig_kind kind, const char *secret,
    unsigned char master[CRYPTO_KEY_LEN]);
int sig_derive(const unsigned char master[CRYPTO_KEY_LEN], struct sig_keys *k);
int sig_keys_from_secret(enum sig_kind kind, const char *secret,
    struct sig_keys *k);

int sig_request(const struct sig_keys *k, const char *method, const char *path,
    const char *keyid, long ts, const char *nonce, const void *body,
    size_t bodylen, char out[SIG_HEX_LEN + 1]);
/* 0 when sig (hex) is the request's signature. */
int sig_request_check(const struct sig_keys *k, const char *method,
    const char *path, const char *keyid, long ts, const char *nonce,
    const void *body, size_t bodylen, const char *sig);

int sig_response(const struct sig_keys *k, const char *req_nonce, int status,
    long ts, const void *body, size_t bodylen, char out[SIG_HEX_LEN + 1]);
int sig_response_check(const struct sig_keys *k, const char *req_nonce,
    int status, long ts, const void *body, size_t bodylen, const char *sig);

/* Seal pt for the answer to request req_nonce, bound to aad (the node's
 * name).  *iv_hex and *ct_hex are allocated; the caller frees them. */
int sig_seal(const struct sig_keys *k, const char *req_nonce, const char *aad,
    const void *pt, size_t ptlen, char **iv_hex, char **ct_hex);
/* The reverse; *pt is allocated, NUL-terminated, and to be wiped and freed
 * by the caller. */
int sig_open(const struct sig_keys *k, const char *req_nonce, const char *aad,
    const char *iv_hex, const char *ct_hex, unsigned char **pt, size_t *ptlen);

#endif
