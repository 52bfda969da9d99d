/*
 * http.c - see http.h.
 *
 * Name lookups: getaddrinfo() has no timeout of its own (the resolver's is
 * timeout x attempts x servers from resolv.conf, 30 s and more).  A host
 * that is an address is converted on the spot (AI_NUMERICHOST: no lookup);
 * a name is looked up with getaddrinfo_a(), in glibc's helper thread, and
 * waited for with gai_suspend() in slices until the call's deadline or the
 * abort flag.  A lookup still running then is cancelled if glibc can; if it
 * cannot, it is left to finish on its own, its memory freed by a later call
 * or http_fini() (or not at all, a few hundred bytes, if it never ends).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "https.h"
#include "util.h"

#define SLICE		0.5		/* longest wait without a look at the flag */
#define MAX_CHUNK_LINE	256		/* chunk size and extensions */
#define MAX_REQ_HEAD	2048

enum {
	ST_STATUS, ST_HEADER, ST_BODY, ST_CLOSE, ST_CHUNK_SIZE, ST_CHUNK_DATA,
	ST_CHUNK_END, ST_TRAILER, ST_DONE, ST_FAILED
};

static volatile sig_atomic_t *abort_flag;

void
http_abort_on(volatile sig_atomic_t *flag)
{
	abort_flag = flag;
}

static int
stopped(void)
{
	return abort_flag != NULL && *abort_flag;
}

/* ---- the response parser ---- */

void
http_parser_init(struct http_parser *p, size_t max_body,
    struct http_header *want, size_t nwant)
{
	size_t i;

	memset(p, 0, offsetof(struct http_parser, line));
	p->line[0] = '\0';
	p->state = ST_STATUS;
	p->max_body = max_body;
	p->want = want;
	p->nwant = nwant;
	for (i = 0; i < nwant; i++)
		if (want[i].size > 0)
			want[i].value[0] = '\0';
}

void
http_parser_free(struct http_parser *p)
{
	if (p->body != NULL) {
		explicit_bzero(p->body, p->len);
		free(p->body);
	}
	p->body = NULL;
	p->len = p->cap = 0;
}

/* s, at most 60 characters, with anything unprintable as '?'. */
static const char *
shown(const char *s, char *buf, size_t bufsz)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < bufsz && i < 60; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* RFC 9110 tchar */
static int
is_tchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    is_digit(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Room for n more body bytes, within max_body.  A bigger buffer is a new
 * one: the old is wiped, not left to realloc(). */
static int
reserve(struct http_parser *p, size_t n, char *err, size_t errlen)
{
	size_t cap;
	char *nb;

	if (n > p->max_body - p->len)
		return errf(err, errlen, "answer larger than %zu bytes",
		    p->max_body);
	if (p->len + n + 1 <= p->cap)
		return 0;
	cap = p->cap < 1024 ? 1024 : p->cap;
	while (cap < p->len + n + 1)
		cap = cap > ((size_t)-1) / 2 ? p->len + n + 1 : cap * 2;
	if (cap > p->max_body + 1)
		cap = p->max_body + 1;
	if ((nb = malloc(cap)) == NULL)
		return errf(err, errlen, "out of memory");
	if (p->body != NULL) {
		memcpy(nb, p->body, p->len);
		explicit_bzero(p->body, p->len);
		free(p->body);
	}
	p->body = nb;
	p->cap = cap;
	return 0;
}

static int
append(struct http_parser *p, const char *d, size_t n, char *err,
    size_t errlen)
{
	if (reserve(p, n, err, errlen) != 0)
		return -1;
	memcpy(p->body + p->len, d, n);
	p->len += n;
	return 0;
}

static int
finish(struct http_parser *p, char *err, size_t errlen)
{
	if (p->body == NULL && reserve(p, 0, err, errlen) != 0)
		return -1;
	p->body[p->len] = '\0';
	p->state = ST_DONE;
	return 0;
}

/*
 * Gather a line ending in LF into p->line, without the LF nor a CR just
 * before it.  1: a whole line; 0: the data ran out first; -1: longer than
 * max.  *used: the bytes taken.
 */
static int
gather(struct http_parser *p, const char **data, size_t *len, size_t max,
    size_t *used)
{
	const char *nl = memchr(*data, '\n', *len);
	size_t n = nl != NULL ? (size_t)(nl - *data) : *len;

	if (n > max - p->linelen)
		return -1;
	memcpy(p->line + p->linelen, *data, n);
	p->linelen += n;
	*used = n + (nl != NULL);
	*data += *used;
	*len -= *used;
	if (nl == NULL)
		return 0;
	if (p->linelen > 0 && p->line[p->linelen - 1] == '\r')
		p->linelen--;
	p->line[p->linelen] = '\0';
	return 1;
}

/* No NUL, CR or other control character but tab in a head line. */
static int
line_clean(const struct http_parser *p)
{
	size_t i;

	for (i = 0; i < p->linelen; i++)
		if (((unsigned char)p->line[i] < 0x20 && p->line[i] != '\t') ||
		    p->line[i] == 0x7f)
			return 0;
	return 1;
}

static int
status_line(struct http_parser *p, char *err, size_t errlen)
{
	const char *l = p->line;
	char b[64];

	if (strncmp(l, "HTTP/1.", 7) != 0 || !is_digit(l[7]) || l[8] != ' ' ||
	    !is_digit(l[9]) || !is_digit(l[10]) || !is_digit(l[11]) ||
	    (l[12] != ' ' && l[12] != '\0'))
		return errf(err, errlen, "not an HTTP/1 answer: \"%s\"",
		    shown(l, b, sizeof(b)));
	p->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	if (p->status < 100 || p->status > 599)
		return errf(err, errlen, "HTTP status %ld", p->status);
	if (p->status == 101)
		return errf(err, errlen, "HTTP status 101: no protocol switch "
		    "was asked for");
	p->interim = p->status < 200;
	p->state = ST_HEADER;
	return 0;
}

static int
content_length(struct http_parser *p, const char *v, char *err, size_t errlen)
{
	unsigned long long n = 0;
	char b[64];
	size_t i;

	for (i = 0; is_digit(v[i]) && i < 19; i++)
		n = n * 10 + (unsigned long long)(v[i] - '0');
	if (i == 0 || v[i] != '\0')
		return errf(err, errlen, "bad Content-Length \"%s\"",
		    shown(v, b, sizeof(b)));
	if (p->have_length && n != p->length)
		return errf(err, errlen, "two different Content-Length values");
	if (n > p->max_body)
		return errf(err, errlen, "answer larger than %zu bytes "
		    "(Content-Length %llu)", p->max_body, n);
	p->have_length = 1;
	p->length = n;
	return 0;
}

static int
header_line(struct http_parser *p, char *err, size_t errlen)
{
	char *l = p->line, *colon, *v, *e, b[64];
	size_t i, n;

	if (l[0] == ' ' || l[0] == '\t')
		return errf(err, errlen, "folded header line");
	if ((colon = strchr(l, ':')) == NULL)
		return errf(err, errlen, "header line without a colon: \"%s\"",
		    shown(l, b, sizeof(b)));
	n = (size_t)(colon - l);
	for (i = 0; i < n; i++)
		if (!is_tchar(l[i]))
			break;
	if (n == 0 || i < n)
		return errf(err, errlen, "bad header name \"%s\"",
		    shown(l, b, sizeof(b)));
	*colon = '\0';
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	for (e = v + strlen(v); e > v && (e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	*e = '\0';
	if (p->interim)
		return 0;
	if (strcasecmp(l, "Content-Length") == 0)
		return content_length(p, v, err, errlen);
	if (strcasecmp(l, "Transfer-Encoding") == 0) {
		if (p->chunked)
			return errf(err, errlen, "Transfer-Encoding twice");
		if (strcasecmp(v, "chunked") != 0)
			return errf(err, errlen, "transfer coding \"%s\" is not "
			    "supported", shown(v, b, sizeof(b)));
		p->chunked = 1;
		return 0;
	}
	for (i = 0; i < p->nwant; i++) {
		if (strcasecmp(l, p->want[i].name) != 0)
			continue;
		if (p->want[i].value[0] != '\0')
			return errf(err, errlen, "header %s twice",
			    p->want[i].name);
		if ((size_t)(e - v) >= p->want[i].size)
			return errf(err, errlen, "header %s: longer than %zu "
			    "bytes", p->want[i].name, p->want[i].size - 1);
		memcpy(p->want[i].value, v, (size_t)(e - v) + 1);
	}
	return 0;
}

/* The empty line after the headers: how the body is delimited. */
static int
end_of_head(struct http_parser *p, char *err, size_t errlen)
{
	if (p->interim) {
		p->interim = 0;
		p->state = ST_STATUS;
		return 0;
	}
	if (p->chunked && p->have_length)
		return errf(err, errlen, "both Content-Length and "
		    "Transfer-Encoding");
	if (p->status == 204 || p->status == 304)
		return finish(p, err, errlen);
	if (p->chunked) {
		p->state = ST_CHUNK_SIZE;
		return 0;
	}
	if (!p->have_length) {
		p->state = ST_CLOSE;
		return 0;
	}
	if (p->length == 0)
		return finish(p, err, errlen);
	p->left = p->length;
	p->state = ST_BODY;
	return reserve(p, (size_t)p->length, err, errlen);
}

static int
chunk_size(struct http_parser *p, char *err, size_t errlen)
{
	const char *l = p->line;
	unsigned long long n = 0;
	char b[64];
	size_t i;

	for (i = 0; hex_digit(l[i]) >= 0 && i < 15; i++)
		n = n * 16 + (unsigned long long)hex_digit(l[i]);
	while (l[i] == ' ' || l[i] == '\t')
		i++;
	if (hex_digit(l[0]) < 0 || (l[i] != '\0' && l[i] != ';'))
		return errf(err, errlen, "bad chunk size line \"%s\"",
		    shown(l, b, sizeof(b)));
	if (n == 0) {
		p->state = ST_TRAILER;
		return 0;
	}
	if (n > p->max_body - p->len)
		return errf(err, errlen, "answer larger than %zu bytes",
		    p->max_body);
	p->left = n;
	p->state = ST_CHUNK_DATA;
	return 0;
}

/* One step on the data; -1 on an error. */
static int
step(struct http_parser *p, const char **data, size_t *len, char *err,
    size_t errlen)
{
	size_t used, n;
	int r;

	switch (p->state) {
	case ST_STATUS:
	case ST_HEADER:
	case ST_TRAILER:
		r = gather(p, data, len, HTTP_MAX_LINE - 1, &used);
		if (r < 0)
			return errf(err, errlen, "%s line longer than %d bytes",
			    p->state == ST_TRAILER ? "trailer" : "header",
			    HTTP_MAX_LINE - 1);
		p->head += used;
		if (p->head > HTTP_MAX_HEAD)
			return errf(err, errlen, "headers longer than %d bytes",
			    HTTP_MAX_HEAD);
		if (r == 0)
			return 0;
		if (!line_clean(p))
			return errf(err, errlen, "control character in a "
			    "header line");
		p->linelen = 0;
		if (p->state == ST_STATUS)
			return status_line(p, err, errlen);
		if (p->line[0] == '\0')
			return p->state == ST_TRAILER ? finish(p, err, errlen) :
			    end_of_head(p, err, errlen);
		return p->state == ST_TRAILER ? 0 : header_line(p, err, errlen);
	case ST_CHUNK_SIZE:
		r = gather(p, data, len, MAX_CHUNK_LINE, &used);
		if (r < 0 || (r > 0 && !line_clean(p)))
			return errf(err, errlen, "bad chunk size line");
		if (r == 0)
			return 0;
		p->linelen = 0;
		return chunk_size(p, err, errlen);
	case ST_CHUNK_END:
		r = gather(p, data, len, 1, &used);
		if (r < 0 || (r > 0 && p->linelen != 0))
			return errf(err, errlen, "chunk not followed by CRLF");
		if (r > 0)
			p->state = ST_CHUNK_SIZE;
		return 0;
	case ST_BODY:
	case ST_CHUNK_DATA:
		n = *len < p->left ? *len : (size_t)p->left;
		if (append(p, *data, n, err, errlen) != 0)
			return -1;
		*data += n;
		*len -= n;
		if ((p->left -= n) > 0)
			return 0;
		if (p->state == ST_CHUNK_DATA) {
			p->state = ST_CHUNK_END;
			return 0;
		}
		return finish(p, err, errlen);
	case ST_CLOSE:
		if (append(p, *data, *len, err, errlen) != 0)
			return -1;
		*data += *len;
		*len = 0;
		return 0;
	default:
		return errf(err, errlen, "malformed answer");
	}
}

int
http_parser_feed(struct http_parser *p, const char *data, size_t len,
    char *err, size_t errlen)
{
	while (p->state != ST_DONE && (len > 0 || p->state == ST_FAILED))
		if (step(p, &data, &len, err, errlen) != 0) {
			p->state = ST_FAILED;
			return -1;
		}
	return p->state == ST_DONE ? HTTP_DONE : HTTP_MORE;
}

int
http_parser_eof(struct http_parser *p, char *err, size_t errlen)
{
	int st = p->state;

	if (st == ST_CLOSE && finish(p, err, errlen) != 0)
		st = ST_FAILED;
	else if (st == ST_CLOSE || st == ST_DONE)
		return HTTP_DONE;
	else if (st == ST_STATUS && p->head == 0)
		errf(err, errlen, "the connection closed without an answer");
	else if (st == ST_STATUS || st == ST_HEADER)
		errf(err, errlen, "the connection closed in the answer's "
		    "headers");
	else if (st == ST_BODY)
		errf(err, errlen, "the answer was cut short: %zu of %llu "
		    "bytes", p->len, p->length);
	else if (st != ST_FAILED)
		errf(err, errlen, "the connection closed in the chunked body");
	else
		errf(err, errlen, "malformed answer");
	p->state = ST_FAILED;
	return -1;
}

/* ---- the client ---- */

enum { W_READY = 1, W_TIMEOUT = 0, W_ERROR = -1, W_STOPPED = -2 };

/* Wait for events on fd until deadline (mono_now()), in slices, looking
 * at the abort flag between them: a signal ends poll() at once, and the
 * slice bounds the wait when it came just before poll() was entered. */
static int
wait_fd(int fd, short events, double deadline)
{
	struct pollfd pfd;
	double left;
	int n;

	for (;;) {
		if (stopped())
			return W_STOPPED;
		if ((left = deadline - mono_now()) <= 0)
			return W_TIMEOUT;
		if (left > SLICE)
			left = SLICE;
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (n > 0)
			return W_READY;
		if (n < 0 && errno != EINTR)
			return W_ERROR;
	}
}

struct url {
	int https;
	char host[256];			/* without the brackets of [v6] */
	char port[6];
	char authority[300];		/* as written: for Host: */
	const char *path;
};

static int
url_parse(const char *url, struct url *u, char *err, size_t errlen)
{
	const char *a, *end, *h, *he, *p;
	size_t n, i;
	long port;

	memset(u, 0, sizeof(*u));
	if (strncmp(url, "http://", 7) == 0)
		a = url + 7;
	else if (strncmp(url, "https://", 8) == 0) {
		a = url + 8;
		u->https = 1;
	} else
		return errf(err, errlen, "not an http:// or https:// URL");
	end = a + strcspn(a, "/");
	if ((n = (size_t)(end - a)) == 0 || n >= sizeof(u->authority))
		return errf(err, errlen, "no host in the URL");
	memcpy(u->authority, a, n);
	if (*a == '[') {
		h = a + 1;
		if ((he = memchr(h, ']', (size_t)(end - h))) == NULL)
			return errf(err, errlen, "no ']' after an IPv6 address");
		p = he + 1;
	} else {
		h = a;
		he = memchr(a, ':', n);
		p = he = he != NULL ? he : end;
	}
	if ((n = (size_t)(he - h)) == 0 || n >= sizeof(u->host))
		return errf(err, errlen, "no host in the URL");
	for (i = 0; i < n; i++)
		if (!is_tchar(h[i]) && !(a[0] == '[' && h[i] == ':'))
			return errf(err, errlen, "bad host in the URL");
	memcpy(u->host, h, n);
	snprintf(u->port, sizeof(u->port), "%s", u->https ? "443" : "80");
	if (p < end) {
		if (*p != ':' || (n = (size_t)(end - p - 1)) == 0 ||
		    n >= sizeof(u->port))
			return errf(err, errlen, "bad port in the URL");
		memcpy(u->port, p + 1, n);
		u->port[n] = '\0';
		if (parse_long(u->port, 1, 65535, &port) != 0)
			return errf(err, errlen, "bad port in the URL");
	}
	u->path = *end != '\0' ? end : "/";
	for (p = u->path; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return errf(err, errlen, "bad character in the URL's path");
	return 0;
}

/*
 * Name lookups that may outlive their call: glibc's helper thread still
 * owns them.
 */
struct lookup {
	struct gaicb cb;
	struct addrinfo hints;
	char host[256];
	char port[8];
	struct lookup *next;
};

/* lookups given up on, freed once done; the agent's event thread makes
 * calls too */
static struct lookup *abandoned;
static pthread_mutex_t abandoned_mu = PTHREAD_MUTEX_INITIALIZER;

static void
lookup_free(struct lookup *l)
{
	if (l->cb.ar_result != NULL)
		freeaddrinfo(l->cb.ar_result);
	free(l);
}

static void
reap_lookups(void)
{
	struct lookup **lp = &abandoned, *l;

	pthread_mutex_lock(&abandoned_mu);
	while ((l = *lp) != NULL) {
		if (gai_error(&l->cb) == EAI_INPROGRESS) {
			lp = &l->next;
			continue;
		}
		*lp = l->next;
		lookup_free(l);
	}
	pthread_mutex_unlock(&abandoned_mu);
}

/* host and port to addresses, by deadline (mono_now()). */
static int
lookup(const char *host, const char *port, double deadline,
    struct addrinfo **res, char *err, size_t errlen)
{
	struct addrinfo hints;
	struct gaicb *list[1];
	const struct gaicb *wait[1];
	struct lookup *l;
	struct timespec ts;
	double left;
	int rc;

	reap_lookups();
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, res)) == 0)
		return 0;
	if (rc != EAI_NONAME)
		return errf(err, errlen, "%s: %s", host, gai_strerror(rc));
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return errf(err, errlen, "out of memory");
	snprintf(l->host, sizeof(l->host), "%s", host);
	snprintf(l->port, sizeof(l->port), "%s", port);
	l->hints = hints;
	l->hints.ai_flags = AI_NUMERICSERV;
	l->cb.ar_name = l->host;
	l->cb.ar_service = l->port;
	l->cb.ar_request = &l->hints;
	list[0] = &l->cb;
	wait[0] = &l->cb;
	if ((rc = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL)) != 0) {
		free(l);
		return errf(err, errlen, "cannot look up %s: %s", host,
		    gai_strerror(rc));
	}
	while ((rc = gai_error(&l->cb)) == EAI_INPROGRESS) {
		left = deadline - mono_now();
		if (stopped() || left <= 0)
			break;
		if (left > SLICE)
			left = SLICE;
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		gai_suspend(wait, 1, &ts);
	}
	if (rc == EAI_INPROGRESS) {
		if (gai_cancel(&l->cb) == EAI_NOTCANCELED) {
			pthread_mutex_lock(&abandoned_mu);
			l->next = abandoned;
			abandoned = l;
			pthread_mutex_unlock(&abandoned_mu);
		} else
			lookup_free(l);
		if (stopped())
			return errf(err, errlen, "stopped");
		return errf(err, errlen, "cannot look up %s: no answer in time",
		    host);
	}
	if (rc != 0) {
		lookup_free(l);
		return errf(err, errlen, "cannot look up %s: %s", host,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
	}
	*res = l->cb.ar_result;
	l->cb.ar_result = NULL;
	lookup_free(l);
	return 0;
}

int
http_lookup(const char *host, const char *port, double timeout,
    struct addrinfo **res, char *err, size_t errlen)
{
	return lookup(host, port, mono_now() + timeout, res, err, errlen);
}

/* Each address in turn, the time left shared among those not tried. */
static int
connect_any(const struct url *u, struct addrinfo *res, double deadline,
    int *fdp, char *err, size_t errlen)
{
	struct addrinfo *ai;
	char addr[INET6_ADDRSTRLEN] = "", why[128] = "no address";
	double now, until;
	socklen_t elen;
	int fd, n = 0, e, w;

	for (ai = res; ai != NULL; ai = ai->ai_next)
		n++;
	for (ai = res; ai != NULL; ai = ai->ai_next, n--) {
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, sizeof(addr),
		    NULL, 0, NI_NUMERICHOST) != 0)
			snprintf(addr, sizeof(addr), "?");
		if ((now = mono_now()) >= deadline) {
			snprintf(why, sizeof(why), "no time left");
			break;
		}
		until = now + (deadline - now) / n;
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			snprintf(why, sizeof(why), "%s", strerror(errno));
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			*fdp = fd;
			return 0;
		}
		e = errno;
		if (e == EINPROGRESS) {
			w = wait_fd(fd, POLLOUT, until);
			elen = sizeof(e);
			if (w == W_STOPPED) {
				close(fd);
				return errf(err, errlen, "stopped");
			}
			if (w == W_TIMEOUT)
				e = ETIMEDOUT;
			else if (w == W_ERROR || getsockopt(fd, SOL_SOCKET,
			    SO_ERROR, &e, &elen) != 0)
				e = errno;
		}
		if (e == 0) {
			*fdp = fd;
			return 0;
		}
		close(fd);
		if (e == ETIMEDOUT)
			snprintf(why, sizeof(why), "no answer within %.1f s",
			    until - now);
		else
			snprintf(why, sizeof(why), "%s", strerror(e));
	}
	if (strcmp(addr, u->host) == 0 || addr[0] == '\0')
		return errf(err, errlen, "cannot connect to %s port %s: %s",
		    u->host, u->port, why);
	return errf(err, errlen, "cannot connect to %s (%s) port %s: %s",
	    u->host, addr, u->port, why);
}

/* 0 sent; -1 not; 1 the server closed its end, and may have answered */
static int
send_all(int fd, struct iovec *iov, int iovcnt, double deadline,
    char *err, size_t errlen)
{
	struct msghdr mh;
	ssize_t n;
	int w;

	while (iovcnt > 0) {
		if (iov->iov_len == 0) {
			iov++;
			iovcnt--;
			continue;
		}
		if (stopped())
			return errf(err, errlen, "stopped");
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = (size_t)iovcnt;
		if ((n = sendmsg(fd, &mh, MSG_NOSIGNAL)) >= 0) {
			while (n > 0 && (size_t)n >= iov->iov_len) {
				n -= (ssize_t)iov->iov_len;
				iov++;
				iovcnt--;
			}
			if (n > 0) {
				iov->iov_base = (char *)iov->iov_base + n;
				iov->iov_len -= (size_t)n;
			}
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EPIPE || errno == ECONNRESET) {
			errf(err, errlen, "sending: %s", strerror(errno));
			return 1;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return errf(err, errlen, "sending: %s", strerror(errno));
		if ((w = wait_fd(fd, POLLOUT, deadline)) == W_STOPPED)
			return errf(err, errlen, "stopped");
		if (w == W_TIMEOUT)
			return errf(err, errlen, "sending: no progress in time");
		if (w == W_ERROR)
			return errf(err, errlen, "poll: %s", strerror(errno));
	}
	return 0;
}

static int
receive(int fd, struct http_parser *p, double deadline, double timeout,
    char *err, size_t errlen)
{
	char buf[8192];
	ssize_t n;
	int w, rc = -1;

	for (;;) {
		if (stopped()) {
			errf(err, errlen, "stopped");
			break;
		}
		if ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
			w = http_parser_feed(p, buf, (size_t)n, err, errlen);
			if (w == HTTP_DONE)
				rc = 0;
			if (w != HTTP_MORE)
				break;
			continue;
		}
		if (n == 0) {
			if (http_parser_eof(p, err, errlen) == HTTP_DONE)
				rc = 0;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			errf(err, errlen, "receiving: %s", strerror(errno));
			break;
		}
		if ((w = wait_fd(fd, POLLIN, deadline)) == W_STOPPED) {
			errf(err, errlen, "stopped");
			break;
		}
		if (w == W_TIMEOUT) {
			errf(err, errlen, "no %sanswer within %.1f s",
			    p->head > 0 ? "complete " : "", timeout);
			break;
		}
		if (w == W_ERROR) {
			errf(err, errlen, "poll: %s", strerror(errno));
			break;
		}
	}
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

/* Append to the request's head; -1 when it does not fit. */
static int
add(char *buf, size_t bufsz, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
add(char *buf, size_t bufsz, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *len, bufsz - *len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= bufsz - *len)
		return -1;
	*len += (size_t)n;
	return 0;
}

static int
request_head(const struct http_request *rq, const struct url *u, char *buf,
    size_t bufsz, size_t *len, char *err, size_t errlen)
{
	const char *const *h;
	const char *c;

	*len = 0;
	for (c = rq->method; *c != '\0'; c++)
		if (!is_tchar(*c))
			return errf(err, errlen, "bad method");
	if (add(buf, bufsz, len, "%s %s HTTP/1.1\r\nHost: %s\r\n", rq->method,
	    u->path, u->authority) != 0)
		return errf(err, errlen, "request too long");
	for (h = rq->headers; h != NULL && *h != NULL; h++) {
		if (strpbrk(*h, "\r\n") != NULL)
			return errf(err, errlen, "bad request header");
		if (add(buf, bufsz, len, "%s\r\n", *h) != 0)
			return errf(err, errlen, "request too long");
	}
	if (rq->body != NULL && add(buf, bufsz, len,
	    "Content-Length: %zu\r\n", rq->body_len) != 0)
		return errf(err, errlen, "request too long");
	if (add(buf, bufsz, len, "Connection: close\r\n\r\n") != 0)
		return errf(err, errlen, "request too long");
	return 0;
}

int
http_request(const struct http_request *rq, struct http_response *rs,
    char *err, size_t errlen)
{
	struct http_parser p;
	struct addrinfo *res = NULL;
	struct iovec iov[2];
	struct url u;
	char head[MAX_REQ_HEAD], serr[128];
	double deadline, cdeadline;
	size_t hlen;
	int fd = -1, rc = -1, sent;

	memset(rs, 0, sizeof(*rs));
	if (stopped())
		return errf(err, errlen, "stopped");
	http_parser_init(&p, rq->max_body, rq->want, rq->nwant);
	deadline = mono_now() + rq->timeout;
	cdeadline = deadline;
	if (rq->connect_timeout > 0 && rq->connect_timeout < rq->timeout)
		cdeadline = deadline - rq->timeout + rq->connect_timeout;
	if (url_parse(rq->url, &u, err, errlen) != 0)
		return -1;
	if (u.https)
		return https_request(rq, rs, abort_flag, err, errlen);
	if (rq->pin != NULL && rq->pin[0] != '\0')
		return errf(err, errlen, "a pinned key, and an http:// URL: "
		    "nothing would check it");
	if (request_head(rq, &u, head, sizeof(head), &hlen, err, errlen) != 0 ||
	    lookup(u.host, u.port, cdeadline, &res, err, errlen) != 0 ||
	    connect_any(&u, res, cdeadline, &fd, err, errlen) != 0)
		goto out;
	iov[0].iov_base = head;
	iov[0].iov_len = hlen;
	iov[1].iov_base = (void *)(uintptr_t)rq->body;
	iov[1].iov_len = rq->body != NULL ? rq->body_len : 0;
	/* a server may answer and close before it read all: its answer
	 * counts, if it gave one */
	if ((sent = send_all(fd, iov, 2, deadline, serr, sizeof(serr))) < 0) {
		errf(err, errlen, "%s", serr);
		goto out;
	}
	if (receive(fd, &p, deadline, rq->timeout, err, errlen) != 0) {
		if (sent != 0)
			errf(err, errlen, "%s", serr);
		goto out;
	}
	rs->status = p.status;
	rs->body = p.body;
	rs->len = p.len;
	p.body = NULL;
	rc = 0;
out:
	http_parser_free(&p);
	if (fd >= 0)
		close(fd);
	if (res != NULL)
		freeaddrinfo(res);
	return rc;
}

void
http_response_free(struct http_response *rs)
{
	if (rs->body != NULL) {
		explicit_bzero(rs->body, rs->len);
		free(rs->body);
	}
	rs->body = NULL;
	rs->len = 0;
}

void
http_fini(void)
{
	reap_lookups();
	https_fini();
}
