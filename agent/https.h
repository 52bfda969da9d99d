/*
 * https.h - https:// URLs for http.c, through libcurl, which is loaded
 * (dlopen) when the first such URL is used: a node that talks http:// only
 * never maps it, nor the TLS, Kerberos and LDAP libraries it brings.  The
 * server's certificate is verified against libcurl's default CAs, or its
 * key against a pin.
 */
#ifndef VNODE_AGENT_HTTPS_H
#define VNODE_AGENT_HTTPS_H

#include <signal.h>
#include <stddef.h>

#include "http.h"

#define HTTPS_LIBCURL	"libcurl.so.4"

/* As http_request() (HTTP_UNTRUSTED included); *stop (when not NULL)
 * ends the call early.  When libcurl cannot be loaded, err names rq->key
 * and what to install.  With rq->pin the server's key must have that pin
 * and its certificate be valid now; no CA is asked. */
int https_request(const struct http_request *rq, struct http_response *rs,
    volatile sig_atomic_t *stop, char *err, size_t errlen);
void https_fini(void);

#endif
