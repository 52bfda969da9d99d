/*
 * tls.h - the hook's certificate for https: the site's (tls_cert and
 * tls_key) or one the hook makes and keeps beside its database, and the
 * pin of its public key, which tokens and user data carry to the nodes.
 *
 * The pin is "sha256:" and the hex SHA-256 of the certificate's
 * SubjectPublicKeyInfo (DER), as kubeadm's discovery-token-ca-cert-hash;
 * curl's --pinnedpubkey takes the same digest in base64.  A certificate the
 * hook makes is renewed with the same key, so the pin outlives it.
 */
#ifndef VNODE_HOOK_TLS_H
#define VNODE_HOOK_TLS_H

#include <stddef.h>
#include <time.h>

#include "config.h"

#define TLS_PIN_LEN	(7 + 64)	/* "sha256:" and 64 hex digits */
#define TLS_RENEW_DAYS	30		/* a made certificate's renewal */
#define TLS_MADE_DAYS	825		/* and its life */

struct hook_tls {
	char cert_path[4096];
	char key_path[4096];
	int made;			/* the hook's own, not the site's */
	char *cert_pem;			/* what libmicrohttpd serves */
	char *key_pem;
	char pin[TLS_PIN_LEN + 1];
	time_t not_before, not_after;
};

/* Where the certificate and key are: the site's, or hook.crt and hook.key
 * in the database's directory. */
void tls_paths(const struct hook_config *c, char *cert, size_t certsz,
    char *key, size_t keysz);

/*
 * Load the certificate and key; with make set, a missing pair is made and
 * a made certificate near its end is renewed (the hook's own only).  The
 * key must match the certificate and be readable by its owner alone.
 * err names the file and what is wrong.
 */
int tls_load(const struct hook_config *c, int make, struct hook_tls *t,
    char *err, size_t errlen);
void tls_free(struct hook_tls *t);

/* The pin of the first certificate in a PEM text. */
int tls_pin_of_pem(const char *pem, size_t len, char pin[TLS_PIN_LEN + 1],
    char *err, size_t errlen);

/* The certificate's state at now: NULL when valid, else a warning for the
 * admin (expired, not yet valid, expiring within TLS_RENEW_DAYS) in buf. */
const char *tls_warning(const struct hook_tls *t, time_t now, char *buf,
    size_t bufsz);

#endif
