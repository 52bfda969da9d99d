/*
 * test_http - the agent's HTTP client: the response parser on whole and
 * cut-up answers, good and malformed (one case per bad condition, each
 * with its error); and the client against a server on the loopback: a
 * round trip, a refused connection, a silent server (the timeout), and the
 * abort flag set by a signal while it waits.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "http.h"

#define MAX 1000

struct result {
	int rc;
	long status;
	char body[MAX + 1];
	size_t len;
	char time[32];
	char sig[80];
	char err[256];
};

/* Parse resp, fed in pieces of step bytes (0: all at once), then EOF
 * unless it was complete before. */
static void
parse(const char *resp, size_t rlen, size_t step, size_t max,
    struct result *r)
{
	struct http_parser p;
	struct http_header want[2] = {
		{ "X-Vnode-Time", r->time, sizeof(r->time) },
		{ "x-vnode-signature", r->sig, sizeof(r->sig) },
	};
	size_t off = 0, n;

	memset(r, 0, sizeof(*r));
	http_parser_init(&p, max, want, 2);
	r->rc = HTTP_MORE;
	while (off < rlen && r->rc == HTTP_MORE) {
		n = step == 0 || step > rlen - off ? rlen - off : step;
		r->rc = http_parser_feed(&p, resp + off, n, r->err,
		    sizeof(r->err));
		off += n;
	}
	if (r->rc == HTTP_MORE)
		r->rc = http_parser_eof(&p, r->err, sizeof(r->err));
	if (r->rc == HTTP_DONE) {
		assert_non_null(p.body);
		assert_true(p.len <= max);
		assert_int_equal(p.body[p.len], '\0');
		memcpy(r->body, p.body, p.len + 1);
		r->len = p.len;
		r->status = p.status;
	}
	http_parser_free(&p);
}

static void
parse_str(const char *resp, struct result *r)
{
	parse(resp, strlen(resp), 0, MAX, r);
}

static void
expect_error(const char *resp, size_t max, const char *err)
{
	struct result r;

	parse(resp, strlen(resp), 0, max, &r);
	if (r.rc != -1 || strstr(r.err, err) == NULL)
		fail_msg("%s: rc %d, \"%s\", not \"%s\"", resp, r.rc, r.err, err);
}

static void
test_content_length(void **state)
{
	struct result r;

	(void)state;
	parse_str("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
	    "x-vnode-time:  1700000000 \r\nX-VNODE-SIGNATURE:\tabc\r\n"
	    "\r\nhello", &r);
	assert_int_equal(r.rc, HTTP_DONE);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.len, 5);
	assert_string_equal(r.body, "hello");
	assert_string_equal(r.time, "1700000000");
	assert_string_equal(r.sig, "abc");
	/* bare LF line ends; HTTP/1.0; no reason phrase */
	parse_str("HTTP/1.0 404\nContent-Length: 2\n\n{}", &r);
	assert_int_equal(r.rc, HTTP_DONE);
	assert_int_equal(r.status, 404);
	assert_string_equal(r.body, "{}");
	assert_string_equal(r.time, "");
	/* nothing after the headers */
	parse_str("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", &r);
	assert_int_equal(r.rc, HTTP_DONE);
	assert_int_equal(r.len, 0);
	assert_string_equal(r.body, "");
}

static void
test_chunked(void **state)
{
	struct result r;

	(void)state;
	parse_str("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n"
	    "5\r\nhello\r\n1;ext=\"x\"\r\n,\r\nA \r\n0123456789\r\n"
	    "0\r\nTrailer: x\r\n\r\nignored", &r);
	assert_int_equal(r.rc, HTTP_DONE);
	assert_string_equal(r.body, "hello,0123456789");
	assert_int_equal(r.len, 16);
	/* an empty chunked body */
	parse_str("HTTP/1.1 503 x\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n",
	    &r);
	assert_int_equal(r.rc, HTTP_DONE);
	assert_int_equal(r.status, 503);
	assert_int_equal(r.len, 0);
}

static void
test_until_close(void **state)
{
	struct result r;

	(void)state;
	parse_str("HTTP/1.0 200 OK\r\nServer: x\r\n\r\nall of it\n", &r);
	assert_int_equal(r.rc, HTTP_DONE);
	assert_string_equal(r.body, "all of it\n");
	/* a 1xx answer first, then the real one */
	parse_str("HTTP/1.1 100 Continue\r\nX-Vnode-Time: 1\r\n\r\n"
	    "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", &r);
	assert_int_equal(r.rc, HTTP_DONE);
	assert_int_equal(r.status, 201);
	assert_string_equal(r.time, "");
	assert_string_equal(r.body, "ok");
	/* 204 and 304 have no body, whatever the headers say */
	parse_str("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n", &r);
	assert_int_equal(r.rc, HTTP_DONE);
	assert_int_equal(r.len, 0);
}

/* The same answer whether it comes at once, a byte at a time, or cut
 * anywhere in two. */
static void
test_split_reads(void **state)
{
	static const char *const answers[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-Vnode-Time: 42\r\n"
		    "X-Vnode-Signature: 0123\r\n\r\nhello world",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "3\r\nabc\r\n10;a=b\r\n0123456789abcdef\r\n0\r\nT: 1\r\n\r\n",
		"HTTP/1.0 200 OK\n\nuntil close",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
		    "Content-Length: 1\r\n\r\nx",
		"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\nshort",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX",
	};
	struct result whole, part;
	size_t i, step, cut, len;
	char *copy;

	(void)state;
	for (i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
		len = strlen(answers[i]);
		parse(answers[i], len, 0, MAX, &whole);
		for (step = 1; step <= 7; step++) {
			parse(answers[i], len, step, MAX, &part);
			assert_int_equal(part.rc, whole.rc);
			assert_int_equal(part.status, whole.status);
			assert_int_equal(part.len, whole.len);
			assert_memory_equal(part.body, whole.body, whole.len);
			assert_string_equal(part.time, whole.time);
			assert_string_equal(part.sig, whole.sig);
			assert_string_equal(part.err, whole.err);
		}
		/* in two at every place: the first piece fed from a copy of
		 * its own, so that reading past it would show under ASan */
		for (cut = 1; cut < len; cut++) {
			struct http_parser p;
			struct http_header want[2] = {
				{ "X-Vnode-Time", part.time, sizeof(part.time) },
				{ "X-Vnode-Signature", part.sig,
				    sizeof(part.sig) },
			};
			int rc;

			assert_non_null(copy = malloc(cut));
			memcpy(copy, answers[i], cut);
			http_parser_init(&p, MAX, want, 2);
			rc = http_parser_feed(&p, copy, cut, part.err,
			    sizeof(part.err));
			if (rc == HTTP_MORE)
				rc = http_parser_feed(&p, answers[i] + cut,
				    len - cut, part.err, sizeof(part.err));
			if (rc == HTTP_MORE)
				rc = http_parser_eof(&p, part.err,
				    sizeof(part.err));
			assert_int_equal(rc, whole.rc);
			if (rc == HTTP_DONE) {
				assert_int_equal(p.len, whole.len);
				assert_memory_equal(p.body, whole.body, p.len);
				assert_string_equal(part.time, whole.time);
			}
			http_parser_free(&p);
			free(copy);
		}
	}
}

static void
test_bad_status_line(void **state)
{
	(void)state;
	expect_error("SSH-2.0-OpenSSH_9.2p1\r\n", MAX,
	    "not an HTTP/1 answer: \"SSH-2.0-OpenSSH_9.2p1\"");
	expect_error("HTTP/2 200\r\n\r\n", MAX, "not an HTTP/1 answer");
	expect_error("HTTP/1.1 20 OK\r\n\r\n", MAX, "not an HTTP/1 answer");
	expect_error("HTTP/1.1 2000 OK\r\n\r\n", MAX, "not an HTTP/1 answer");
	expect_error("HTTP/1.1  200 OK\r\n\r\n", MAX, "not an HTTP/1 answer");
	expect_error("http/1.1 200 OK\r\n\r\n", MAX, "not an HTTP/1 answer");
	expect_error("HTTP/1.1 099 x\r\n\r\n", MAX, "HTTP status 99");
	expect_error("HTTP/1.1 600 x\r\n\r\n", MAX, "HTTP status 600");
	expect_error("HTTP/1.1 101 Switching\r\n\r\n", MAX, "status 101");
	expect_error("", MAX, "the connection closed without an answer");
	expect_error("HTTP/1.1 200 OK\r\nContent-Len", MAX,
	    "the connection closed in the answer's headers");
	/* a NUL in the status line: unprintable shown as '?' */
	{
		struct result r;

		parse("HTTP/1.1\0 200\r\n\r\n", 17, 0, MAX, &r);
		assert_int_equal(r.rc, -1);
		assert_non_null(strstr(r.err, "control character"));
	}
}

static void
test_bad_headers(void **state)
{
	char *big;
	size_t i, n;

	(void)state;
	/* one line over HTTP_MAX_LINE */
	n = HTTP_MAX_LINE + 100;
	assert_non_null(big = malloc(n + 64));
	n = (size_t)sprintf(big, "HTTP/1.1 200 OK\r\nX-Long: ");
	for (i = 0; i < HTTP_MAX_LINE; i++)
		big[n++] = 'a';
	strcpy(big + n, "\r\n\r\n");
	expect_error(big, MAX, "header line longer than 4095 bytes");
	free(big);
	/* lines each short, too many of them */
	assert_non_null(big = malloc(HTTP_MAX_HEAD + 2048));
	n = (size_t)sprintf(big, "HTTP/1.1 200 OK\r\n");
	while (n < HTTP_MAX_HEAD + 100)
		n += (size_t)sprintf(big + n, "X-Pad: %0100d\r\n", 0);
	strcpy(big + n, "\r\n");
	expect_error(big, MAX, "headers longer than 16384 bytes");
	free(big);
	/* each of these ends the exchange */
	expect_error("HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n", MAX,
	    "header line without a colon");
	expect_error("HTTP/1.1 200 OK\r\nBad name: x\r\n\r\n", MAX,
	    "bad header name");
	expect_error("HTTP/1.1 200 OK\r\n: x\r\n\r\n", MAX, "bad header name");
	expect_error("HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", MAX,
	    "folded header line");
	expect_error("HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", MAX,
	    "control character");
	expect_error("HTTP/1.1 200 OK\r\nA: \x01\r\n\r\n", MAX,
	    "control character");
	expect_error("HTTP/1.1 200 OK\r\nX-Vnode-Time: 1\r\nx-vnode-time: 2\r\n"
	    "\r\n", MAX, "header X-Vnode-Time twice");
	expect_error("HTTP/1.1 200 OK\r\nX-Vnode-Time: "
	    "123456789012345678901234567890123\r\n\r\n", MAX,
	    "header X-Vnode-Time: longer than 31 bytes");
	expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n"
	    "\r\n", MAX, "transfer coding \"gzip, chunked\" is not supported");
	expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", MAX,
	    "Transfer-Encoding twice");
	expect_error("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", MAX,
	    "both Content-Length and Transfer-Encoding");
	expect_error("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", MAX,
	    "bad Content-Length \"-1\"");
	expect_error("HTTP/1.1 200 OK\r\nContent-Length: 1, 1\r\n\r\n", MAX,
	    "bad Content-Length");
	expect_error("HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n", MAX,
	    "bad Content-Length");
	expect_error("HTTP/1.1 200 OK\r\nContent-Length: "
	    "99999999999999999999999\r\n\r\n", MAX, "bad Content-Length");
}

static void
test_body_too_large(void **state)
{
	(void)state;
	expect_error("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world",
	    10, "answer larger than 10 bytes (Content-Length 11)");
	expect_error("HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615"
	    "\r\n\r\n", 10, "bad Content-Length");
	expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n", 10,
	    "answer larger than 10 bytes");
	expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "fffffffffffffff\r\n", 10, "answer larger than 10 bytes");
	expect_error("HTTP/1.0 200 OK\r\n\r\nhello world", 10,
	    "answer larger than 10 bytes");
	/* exactly the limit is fine */
	{
		struct result r;

		parse_str("HTTP/1.0 200 OK\r\n\r\n", &r);
		assert_int_equal(r.rc, HTTP_DONE);
		parse("HTTP/1.0 200 OK\r\n\r\n0123456789", 29, 3, 10, &r);
		assert_int_equal(r.rc, HTTP_DONE);
		assert_int_equal(r.len, 10);
	}
}

static void
test_bad_chunks(void **state)
{
	(void)state;
	expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "zz\r\n", MAX, "bad chunk size line \"zz\"");
	expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "\r\n", MAX, "bad chunk size line");
	expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "3 x\r\n", MAX, "bad chunk size line");
	expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "0000000000000000003\r\nabc\r\n0\r\n\r\n", MAX,
	    "bad chunk size line");
	expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "3\r\nabcd\r\n0\r\n\r\n", MAX, "chunk not followed by CRLF");
	expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "3\r\nabc\r\n", MAX, "the connection closed in the chunked body");
}

static void
test_length_mismatch(void **state)
{
	struct result r;

	(void)state;
	/* fewer bytes than announced: an error, never a short body */
	expect_error("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", MAX,
	    "the answer was cut short: 3 of 10 bytes");
	expect_error("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
	    "Content-Length: 4\r\n\r\nabcd", MAX,
	    "two different Content-Length values");
	/* the same value twice is one value */
	parse_str("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3"
	    "\r\n\r\nabc", &r);
	assert_int_equal(r.rc, HTTP_DONE);
	/* more than announced: the body ends where it said; the rest is not
	 * read as anything (the connection is closed) */
	parse_str("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 200",
	    &r);
	assert_int_equal(r.rc, HTTP_DONE);
	assert_int_equal(r.len, 3);
	assert_string_equal(r.body, "abc");
}

/* ---- against a server on the loopback ---- */

static int
listener(int family, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_addr.s_addr =
		    htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
	if ((fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)) != 0 ||
	    listen(fd, 4) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
	    : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

/* A child that takes one connection, reads the request's head and body,
 * checks it holds each of expect's lines, then answers in pieces.  Exits 0
 * when the request was as expected. */
static pid_t
serve(int lfd, const char *const *expect, const char *const *answer)
{
	char req[4096], *end;
	size_t got = 0;
	ssize_t n;
	pid_t pid;
	int fd, ok = 1;

	if ((pid = fork()) != 0)
		return pid;
	if ((fd = accept(lfd, NULL, NULL)) < 0)
		_exit(2);
	while (got < sizeof(req) - 1 && (n = read(fd, req + got,
	    sizeof(req) - 1 - got)) > 0) {
		got += (size_t)n;
		req[got] = '\0';
		if ((end = strstr(req, "\r\n\r\n")) != NULL &&
		    strstr(req, "Content-Length: ") != NULL &&
		    strlen(end + 4) >= (size_t)atoi(strstr(req,
		    "Content-Length: ") + 16))
			break;
		if (end != NULL && strncmp(req, "GET ", 4) == 0)
			break;
	}
	req[got] = '\0';
	for (; expect != NULL && *expect != NULL; expect++)
		if (strstr(req, *expect) == NULL) {
			fprintf(stderr, "request without \"%s\":\n%s\n", *expect,
			    req);
			ok = 0;
		}
	for (; answer != NULL && *answer != NULL; answer++) {
		if (write(fd, *answer, strlen(*answer)) < 0)
			_exit(3);
		usleep(20000);
	}
	close(fd);
	_exit(ok ? 0 : 1);
}

static int
reaped(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void
round_trip(int family, const char *host)
{
	static const char *const expect[] = {
		"POST /v1/join HTTP/1.1\r\n", "\r\nContent-Length: 7\r\n",
		"\r\nConnection: close\r\n", "\r\nX-Test: yes\r\n",
		"\r\n\r\n{\"a\":1}", NULL };
	static const char *const answer[] = {
		"HTTP/1.1 200 OK\r\nTransfer-", "Encoding: chunked\r\n"
		"X-Vnode-Time: 17\r\n\r\n4\r\n", "{\"ok", "\r\n2\r\n\":\r\n",
		"4\r\ntrue\r\n1\r\n}\r\n0\r\n\r\n", NULL };
	const char *hdrs[] = { "X-Test: yes", NULL };
	struct http_header want[1];
	struct http_request rq;
	struct http_response rs;
	char url[128], host_hdr[128], time[16], err[256];
	const char *expect_host[] = { host_hdr, NULL };
	struct addrinfo *ai = NULL;
	int lfd, port;
	pid_t pid, pid2;

	/* a minimal system may have no /etc/hosts: no name to look up */
	if (host[0] != '[' && (host[0] < '0' || host[0] > '9')) {
		if (getaddrinfo(host, NULL, NULL, &ai) != 0) {
			fprintf(stderr, "%s does not resolve here (no /etc/hosts "
			    "entry?): the name lookup case skipped\n", host);
			return;
		}
		freeaddrinfo(ai);
	}
	if ((lfd = listener(family, &port)) < 0) {
		fprintf(stderr, "no %s loopback here: skipped\n", host);
		return;
	}
	snprintf(url, sizeof(url), "http://%s:%d/v1/join", host, port);
	snprintf(host_hdr, sizeof(host_hdr), "\r\nHost: %s:%d\r\n", host, port);
	want[0].name = "X-Vnode-Time";
	want[0].value = time;
	want[0].size = sizeof(time);
	memset(&rq, 0, sizeof(rq));
	rq.key = "hook_url";
	rq.method = "POST";
	rq.url = url;
	rq.headers = hdrs;
	rq.body = "{\"a\":1}";
	rq.body_len = 7;
	rq.timeout = 10;
	rq.max_body = MAX;
	rq.want = want;
	rq.nwant = 1;
	pid = serve(lfd, expect, answer);
	if (http_request(&rq, &rs, err, sizeof(err)) != 0)
		fail_msg("%s: %s", url, err);
	assert_int_equal(rs.status, 200);
	assert_string_equal(rs.body, "{\"ok\":true}");
	assert_int_equal(rs.len, 11);
	assert_string_equal(time, "17");
	http_response_free(&rs);
	assert_int_equal(reaped(pid), 0);
	/* and the Host header as written in the URL */
	pid2 = serve(lfd, expect_host, (const char *const[]){
	    "HTTP/1.0 200 OK\r\n\r\nfine", NULL });
	rq.method = "GET";
	rq.body = NULL;
	rq.nwant = 0;
	if (http_request(&rq, &rs, err, sizeof(err)) != 0)
		fail_msg("%s: %s", url, err);
	assert_string_equal(rs.body, "fine");
	http_response_free(&rs);
	assert_int_equal(reaped(pid2), 0);
	close(lfd);
}

static void
test_round_trip(void **state)
{
	(void)state;
	round_trip(AF_INET, "127.0.0.1");
	round_trip(AF_INET, "localhost");	/* a name: getaddrinfo_a */
	round_trip(AF_INET6, "[::1]");
}

static void
get(const char *url, double timeout, int *rc, double *took, char *err,
    size_t errlen)
{
	struct http_request rq;
	struct http_response rs;
	struct timespec a, b;

	memset(&rq, 0, sizeof(rq));
	rq.key = "metadata_url";
	rq.method = "GET";
	rq.url = url;
	rq.timeout = timeout;
	rq.max_body = MAX;
	clock_gettime(CLOCK_MONOTONIC, &a);
	*rc = http_request(&rq, &rs, err, errlen);
	clock_gettime(CLOCK_MONOTONIC, &b);
	*took = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	if (*rc == 0)
		http_response_free(&rs);
}

static void
test_refused(void **state)
{
	char url[64], err[256];
	double took;
	int lfd, port, rc;

	(void)state;
	assert_true((lfd = listener(AF_INET, &port)) >= 0);
	close(lfd);			/* nobody there now */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	get(url, 5, &rc, &took, err, sizeof(err));
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "cannot connect to 127.0.0.1 port "));
	assert_non_null(strstr(err, ": Connection refused"));
	assert_true(took < 1);
	get("http://no-such-host.invalid/", 5, &rc, &took, err, sizeof(err));
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "cannot look up no-such-host.invalid"));
	get("ftp://127.0.0.1/", 5, &rc, &took, err, sizeof(err));
	assert_int_equal(rc, -1);
	assert_string_equal(err, "not an http:// or https:// URL");
	get("http://127.0.0.1:0/", 5, &rc, &took, err, sizeof(err));
	assert_string_equal(err, "bad port in the URL");
	get("http://127.0.0.1/a b", 5, &rc, &took, err, sizeof(err));
	assert_string_equal(err, "bad character in the URL's path");
}

/* A server that takes the connection (the kernel does, from the listen
 * queue) and never answers: the call ends at its timeout. */
static void
test_timeout(void **state)
{
	char url[64], err[256];
	double took;
	int lfd, port, rc;

	(void)state;
	assert_true((lfd = listener(AF_INET, &port)) >= 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	get(url, 0.7, &rc, &took, err, sizeof(err));
	assert_int_equal(rc, -1);
	assert_string_equal(err, "no answer within 0.7 s");
	assert_true(took >= 0.69 && took < 1.5);
	close(lfd);
}

static volatile int stop;

static void
on_alarm(int sig)
{
	(void)sig;
	stop = 1;
}

/* SIGTERM while joining: the flag a signal handler sets ends the call. */
static void
test_abort(void **state)
{
	struct sigaction sa;
	struct itimerval it;
	char url[64], err[256];
	double took;
	int lfd, port, rc;

	(void)state;
	assert_true((lfd = listener(AF_INET, &port)) >= 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	memset(&it, 0, sizeof(it));
	it.it_value.tv_usec = 300000;
	stop = 0;
	http_abort_on(&stop);
	setitimer(ITIMER_REAL, &it, NULL);
	get(url, 30, &rc, &took, err, sizeof(err));
	assert_int_equal(rc, -1);
	assert_string_equal(err, "stopped");
	assert_true(took < 1.0);
	/* set before the call: nothing is even tried */
	get(url, 30, &rc, &took, err, sizeof(err));
	assert_string_equal(err, "stopped");
	assert_true(took < 0.1);
	http_abort_on(NULL);
	close(lfd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_content_length),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_until_close),
		cmocka_unit_test(test_split_reads),
		cmocka_unit_test(test_bad_status_line),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_body_too_large),
		cmocka_unit_test(test_bad_chunks),
		cmocka_unit_test(test_length_mismatch),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_abort),
	};
	int rc;

	signal(SIGPIPE, SIG_IGN);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	http_fini();
	return rc;
}
