/*
 * certpin.h - what the agent needs of the hook's certificate, read from
 * its PEM (libcurl hands it over; no X.509 library in the agent): the pin
 * of its public key and its validity.  The pin is "sha256:" and the hex
 * SHA-256 of the DER SubjectPublicKeyInfo, as vnodectl pin prints it.
 */
#ifndef VNODE_AGENT_CERTPIN_H
#define VNODE_AGENT_CERTPIN_H

#include <stddef.h>
#include <time.h>

#define CERTPIN_LEN	(7 + 64)

struct cert_facts {
	char pin[CERTPIN_LEN + 1];
	time_t not_before, not_after;
};

/* The first certificate of a PEM text.  -1 with err saying what is not
 * as X.509 has it. */
int cert_facts(const char *pem, size_t len, struct cert_facts *f, char *err,
    size_t errlen);

/* "sha256:HEX" as libcurl's CURLOPT_PINNEDPUBLICKEY takes it:
 * "sha256//BASE64".  -1 when pin is not of that form. */
int cert_pin_curl(const char *pin, char *out, size_t outsz);

#endif
