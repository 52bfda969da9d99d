/*
 * http.h - the agent's HTTP client, for its two peers: the hook and the
 * metadata service.  One request per connection (Connection: close), and
 * every wait, the name lookup included, bounded by the caller's timeout.
 *
 * http:// is spoken here, so that the agent's normal path maps no TLS
 * library.  https:// goes to libcurl (https.h), which is loaded only when
 * such a URL is first used.
 */
#ifndef VNODE_AGENT_HTTP_H
#define VNODE_AGENT_HTTP_H

#include <netdb.h>
#include <signal.h>
#include <stddef.h>

#define HTTP_MAX_LINE	4096		/* one status, header or chunk line */
#define HTTP_MAX_HEAD	16384		/* all the header lines of an answer */

/* A response header the caller wants: its value (blanks trimmed) is
 * copied to value, "" when the answer has none.  A longer value, or the
 * header twice, makes the answer malformed. */
struct http_header {
	const char *name;		/* matched without regard to case */
	char *value;
	size_t size;
};

struct http_request {
	const char *key;		/* the setting the URL came from */
	const char *method;		/* "GET" or "POST" */
	const char *url;		/* http:// or https:// */
	const char *pin;		/* https: the server's key must have
					 * this pin (certpin.h); NULL: none,
					 * the CAs vouch for it */
	const char *const *headers;	/* "Name: value", NULL-ended; or NULL */
	const char *body;		/* sent when not NULL */
	size_t body_len;
	double timeout;			/* the whole call, in seconds */
	double connect_timeout;		/* of connecting, within it; 0: all */
	size_t max_body;		/* a longer answer is an error */
	struct http_header *want;	/* nwant of them */
	size_t nwant;
};

struct http_response {
	long status;
	char *body;			/* NUL-terminated, allocated */
	size_t len;
};

/* 0 when an answer came back (any status); -1 when none did, or it was
 * malformed or larger than max_body (err says which, without the URL);
 * HTTP_UNTRUSTED when the server's key is not the pinned one (nothing was
 * sent to it). */
#define HTTP_UNTRUSTED (-3)
int http_request(const struct http_request *rq, struct http_response *rs,
    char *err, size_t errlen);
/* Wipes the body (it may hold a secret) and frees it. */
void http_response_free(struct http_response *rs);
/* host (a name or an address) and port to addresses, within timeout
 * seconds (the abort flag stops it too); freeaddrinfo() the result. */
int http_lookup(const char *host, const char *port, double timeout,
    struct addrinfo **res, char *err, size_t errlen);

/* Calls end early ("stopped") once *flag is set: a signal handler's flag.
 * NULL: they run to the end. */
void http_abort_on(volatile sig_atomic_t *flag);
/* Frees what is left of abandoned name lookups, and libcurl if loaded. */
void http_fini(void);

/*
 * The response parser, on its own for tests and fuzzing.  Fed the bytes as
 * they arrive, in pieces of any size; the answer is the same however they
 * are cut.  The body ends at Content-Length, at the last chunk, or, with
 * neither, when the connection closes (http_parser_eof).  Bytes after the
 * end are ignored: the connection is closed after one answer.
 */
#define HTTP_MORE	0		/* the answer is not complete */
#define HTTP_DONE	1		/* p->status, p->body, p->len */

struct http_parser {
	int state;
	int interim;			/* in a 1xx answer's head */
	int chunked;
	int have_length;
	unsigned long long length;	/* Content-Length */
	unsigned long long left;	/* of the current chunk or the body */
	size_t head;			/* bytes of header lines so far */
	long status;
	size_t max_body;
	struct http_header *want;
	size_t nwant;
	char *body;			/* NUL-terminated once HTTP_DONE */
	size_t len;
	size_t cap;
	size_t linelen;
	char line[HTTP_MAX_LINE];
};

void http_parser_init(struct http_parser *p, size_t max_body,
    struct http_header *want, size_t nwant);
/* HTTP_MORE, HTTP_DONE or -1 (err says why; the parser is then done). */
int http_parser_feed(struct http_parser *p, const char *data, size_t len,
    char *err, size_t errlen);
/* The connection closed: HTTP_DONE or -1. */
int http_parser_eof(struct http_parser *p, char *err, size_t errlen);
/* Frees the body unless the caller took it (set p->body to NULL). */
void http_parser_free(struct http_parser *p);

#endif
