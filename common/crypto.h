/*
 * crypto.h - the few primitives vnode needs, from NSS: SHA-256,
 * HMAC-SHA256, AES-256-GCM and the system's random numbers.
 */
#ifndef VNODE_CRYPTO_H
#define VNODE_CRYPTO_H

#include <stddef.h>

#define CRYPTO_SHA256_LEN 32
#define CRYPTO_KEY_LEN 32
#define CRYPTO_GCM_IV_LEN 12
#define CRYPTO_GCM_TAG_LEN 16

int crypto_init(char *err, size_t errlen);
void crypto_shutdown(void);

int crypto_random(void *buf, size_t len);
int crypto_sha256(const void *data, size_t len,
    unsigned char out[CRYPTO_SHA256_LEN]);
int crypto_hmac_sha256(const unsigned char *key, size_t keylen,
    const void *data, size_t len, unsigned char out[CRYPTO_SHA256_LEN]);
/* out receives ptlen + CRYPTO_GCM_TAG_LEN bytes. */
int crypto_gcm_seal(const unsigned char key[CRYPTO_KEY_LEN],
    const unsigned char iv[CRYPTO_GCM_IV_LEN], const void *aad, size_t aadlen,
    const void *pt, size_t ptlen, unsigned char *out);
/* out receives ctlen - CRYPTO_GCM_TAG_LEN bytes; -1 when the tag does not
 * verify (wrong key, changed data or changed aad). */
int crypto_gcm_open(const unsigned char key[CRYPTO_KEY_LEN],
    const unsigned char iv[CRYPTO_GCM_IV_LEN], const void *aad, size_t aadlen,
    const void *ct, size_t ctlen, unsigned char *out);

#endif
