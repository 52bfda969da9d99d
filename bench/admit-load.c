/*
 * admit-load - the load client of bench/admit: N signed joins sent to
 * vnode-hookd at once, as N agents booting together would send them, each
 * answer reported as it comes.
 *
 *   admit-load [-c CPUS] [-m MEMORY_MB] [-w SECONDS] HOST:PORT TOKEN TARGETS
 *
 * TARGETS holds one join a line: INSTANCE HOSTNAME SOURCE.  SOURCE says
 * where the join comes from, which is where the hook (addr = source) will
 * have Slurm reach the node:
 *   netns:PATH   a socket made in that network namespace (a node
 *                sandbox's), so the join comes from the sandbox's address
 *   addr:A.B.C.D a socket bound to that address of our own namespace
 *   -            whatever the kernel picks
 *
 * All requests are built and signed first (the way vnode-agent signs them,
 * common/sig.c), with the token's secret.  Then every connection is opened
 * at once (non-blocking), each request is written as soon as its
 * connection is up, and the answers are read as they come (poll).  Each
 * answer's signature is checked and its sealed secrets opened, as the
 * agent does, before the join counts as admitted.  One line a join, on
 * standard output, when its answer is in (times are Unix seconds):
 *   ok IDX NODE SENT ANSWERED
 *   fail IDX STATUS REASON
 * and at the end:
 *   summary JOINS ADMITTED FIRST_SENT LAST_ANSWER
 * Exit status 0 when every join was admitted, 1 when some were not, 2 on
 * a usage or set-up error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "jsonutil.h"
#include "names.h"
#include "sig.h"
#include "util.h"

#define MAX_JOINS	4096
#define MAX_ANSWER	(64 * 1024)
#define JOIN_PATH	"/v1/join"

enum state { CONNECTING, WRITING, READING, DONE };

struct join {
	char instance[65];
	char hostname[254];
	char source[300];
	int fd;
	enum state st;
	char *req;
	size_t reqlen, reqoff;
	char *ans;
	size_t anslen;
	char nonce[SIG_NONCE_LEN + 1];
	double sent, answered;
	int ok;
};

static struct sig_keys keys;
static char keyid[6 + TOKEN_ID_LEN + 1];

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: admit-load [-c cpus] [-m memory_mb] "
	    "[-w seconds] host:port token targets\n");
	exit(2);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "admit-load: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static double
real_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t
read_targets(const char *path, struct join *j, size_t max)
{
	char line[1024];
	size_t n = 0, lineno = 0;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (n == max)
			die("%s: more than %zu joins", path, max);
		if (sscanf(line, "%64s %253s %299s", j[n].instance,
		    j[n].hostname, j[n].source) != 3 ||
		    !name_instance_valid(j[n].instance) ||
		    !name_host_valid(j[n].hostname))
			die("%s:%zu: expected INSTANCE HOSTNAME SOURCE", path,
			    lineno);
		n++;
	}
	fclose(f);
	return n;
}

/* The request, signed now with a fresh nonce. */
static void
build(struct join *j, const char *hostport, long cpus, long mem)
{
	struct json_object *o;
	const char *body;
	char sig[SIG_HEX_LEN + 1];
	long ts = wall_now();
	size_t blen;
	int len;

	o = json_object_new_object();
	json_object_object_add(o, "instance", json_object_new_string(j->instance));
	json_object_object_add(o, "hostname", json_object_new_string(j->hostname));
	json_object_object_add(o, "cpus", json_object_new_int64(cpus));
	json_object_object_add(o, "memory_mb", json_object_new_int64(mem));
	json_object_object_add(o, "features", json_object_new_array());
	body = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	blen = strlen(body);
	if (sig_new_nonce(j->nonce) != 0 ||
	    sig_request(&keys, "POST", JOIN_PATH, keyid, ts, j->nonce, body,
	    blen, sig) != 0)
		die("cannot sign a request");
	len = asprintf(&j->req, "POST " JOIN_PATH " HTTP/1.1\r\n"
	    "Host: %s\r\nConnection: close\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
	    SIG_HDR_KEY ": %s\r\n" SIG_HDR_TIME ": %ld\r\n"
	    SIG_HDR_NONCE ": %s\r\n" SIG_HDR_SIG ": %s\r\n\r\n%s", hostport,
	    blen, keyid, ts, j->nonce, sig, body);
	if (len < 0)
		die("out of memory");
	j->reqlen = (size_t)len;
	json_object_put(o);
}

/* A non-blocking socket for the join, made where its source says, and
 * its connect started. */
static void
start(struct join *j, const struct sockaddr_in *to, int home)
{
	struct sockaddr_in sa;
	int fd, ns = -1, one = 1;

	if (strncmp(j->source, "netns:", 6) == 0) {
		if ((ns = open(j->source + 6, O_RDONLY | O_CLOEXEC)) < 0 ||
		    setns(ns, CLONE_NEWNET) != 0)
			die("%s: %s", j->source, strerror(errno));
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ns >= 0) {
		if (setns(home, CLONE_NEWNET) != 0)
			die("back to our network namespace: %s", strerror(errno));
		close(ns);
	}
	if (fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (strncmp(j->source, "addr:", 5) == 0) {
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		if (inet_pton(AF_INET, j->source + 5, &sa.sin_addr) != 1)
			die("%s: not an IPv4 address", j->source);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
			die("bind %s: %s", j->source + 5, strerror(errno));
	} else if (strcmp(j->source, "-") != 0 &&
	    strncmp(j->source, "netns:", 6) != 0)
		die("%s: not netns:PATH, addr:A.B.C.D or -", j->source);
	j->fd = fd;
	j->st = CONNECTING;
	j->sent = real_now();
	if (connect(fd, (const struct sockaddr *)to, sizeof(*to)) != 0 &&
	    errno != EINPROGRESS)
		die("connect: %s", strerror(errno));
}

static const char *
header(const char *head, const char *name, char *out, size_t outsz)
{
	size_t nl = strlen(name);
	const char *p = head, *e;

	out[0] = '\0';
	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			p += nl + 1;
			while (*p == ' ')
				p++;
			if ((e = strstr(p, "\r\n")) == NULL ||
			    (size_t)(e - p) >= outsz)
				return NULL;
			memcpy(out, p, (size_t)(e - p));
			out[e - p] = '\0';
			return out;
		}
	}
	return NULL;
}

/* The whole answer is in: its length is known and reached. */
static int
complete(const struct join *j)
{
	const char *end;
	char cl[32];
	long n;

	if (j->ans == NULL || (end = strstr(j->ans, "\r\n\r\n")) == NULL)
		return 0;
	if (header(j->ans, "Content-Length", cl, sizeof(cl)) == NULL ||
	    parse_long(cl, 0, MAX_ANSWER, &n) != 0)
		return 0;
	return j->anslen >= (size_t)(end + 4 - j->ans) + (size_t)n;
}

/* Check the answer as the agent would; print its line. */
static void
finish(struct join *j, size_t idx)
{
	struct json_object *o = NULL, *sec;
	const char *end, *body, *node = NULL, *iv, *data, *reason = "?";
	char ts[32], sig[SIG_HEX_LEN + 8], jerr[128];
	unsigned char *pt = NULL;
	size_t blen, ptlen = 0;
	long status = 0, t;

	j->answered = real_now();
	j->st = DONE;
	close(j->fd);
	if (j->ans == NULL || sscanf(j->ans, "HTTP/1.%*d %ld", &status) != 1 ||
	    (end = strstr(j->ans, "\r\n\r\n")) == NULL) {
		printf("fail %zu 0 %s\n", idx, j->ans == NULL ? "no answer" :
		    "not an HTTP answer");
		return;
	}
	body = end + 4;
	blen = j->anslen - (size_t)(body - j->ans);
	if (header(j->ans, SIG_HDR_TIME, ts, sizeof(ts)) == NULL ||
	    header(j->ans, SIG_HDR_SIG, sig, sizeof(sig)) == NULL ||
	    parse_long(ts, 0, 999999999999L, &t) != 0 ||
	    sig_response_check(&keys, j->nonce, (int)status, t, body, blen,
	    sig) != 0) {
		printf("fail %zu %ld the answer's signature does not verify\n",
		    idx, status);
		return;
	}
	if ((o = js_parse(body, blen, jerr, sizeof(jerr))) == NULL) {
		printf("fail %zu %ld body: %s\n", idx, status, jerr);
		return;
	}
	if (status != 200) {
		js_str(o, "error", 1, 1024, &reason, jerr, sizeof(jerr));
		printf("fail %zu %ld %s\n", idx, status, reason);
		goto out;
	}
	if (js_str(o, "node", 1, 63, &node, jerr, sizeof(jerr)) != 0 ||
	    !name_node_valid(node) ||
	    !json_object_object_get_ex(o, "secrets", &sec) ||
	    js_str(sec, "iv", 1, 64, &iv, jerr, sizeof(jerr)) != 0 ||
	    js_str(sec, "data", 1, 16384, &data, jerr, sizeof(jerr)) != 0 ||
	    sig_open(&keys, j->nonce, node, iv, data, &pt, &ptlen) != 0) {
		printf("fail %zu %ld the answer's node or secrets are wrong\n",
		    idx, status);
		goto out;
	}
	explicit_bzero(pt, ptlen);
	free(pt);
	j->ok = 1;
	printf("ok %zu %s %.6f %.6f\n", idx, node, j->sent, j->answered);
out:
	json_object_put(o);
}

static void
step(struct join *j, size_t idx, short revents)
{
	ssize_t n;
	int e = 0;
	socklen_t el = sizeof(e);
	char *nb;

	if (j->st == CONNECTING) {
		if (getsockopt(j->fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0 ||
		    e != 0) {
			j->st = DONE;
			j->answered = real_now();
			close(j->fd);
			printf("fail %zu 0 connect: %s\n", idx, strerror(e));
			return;
		}
		j->st = WRITING;
	}
	if (j->st == WRITING && (revents & (POLLOUT | POLLERR | POLLHUP))) {
		n = send(j->fd, j->req + j->reqoff, j->reqlen - j->reqoff,
		    MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN) {
			j->st = DONE;
			j->answered = real_now();
			close(j->fd);
			printf("fail %zu 0 send: %s\n", idx, strerror(errno));
			return;
		}
		if (n > 0 && (j->reqoff += (size_t)n) == j->reqlen)
			j->st = READING;
		return;
	}
	if (j->st == READING && (revents & (POLLIN | POLLHUP | POLLERR))) {
		if ((nb = realloc(j->ans, j->anslen + 4096 + 1)) == NULL)
			die("out of memory");
		j->ans = nb;
		n = read(j->fd, j->ans + j->anslen, 4096);
		if (n < 0 && errno == EAGAIN)
			return;
		if (n > 0) {
			j->anslen += (size_t)n;
			j->ans[j->anslen] = '\0';
			if (j->anslen > MAX_ANSWER) {
				j->st = DONE;
				close(j->fd);
				printf("fail %zu 0 answer too large\n", idx);
				return;
			}
			if (!complete(j))
				return;
		}
		finish(j, idx);
	}
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in to;
	struct pollfd *pf;
	struct join *j;
	struct rlimit rl;
	char id[TOKEN_ID_LEN + 1], secret[SECRET_LEN + 1], host[64], err[256];
	const char *colon;
	double wait = 120, deadline, first = 0, last = 0;
	long cpus = 1, mem = 1000, port;
	size_t n, i, left, np, nok = 0;
	int ch, home, *map;

	while ((ch = getopt(argc, argv, "c:m:w:")) != -1) {
		switch (ch) {
		case 'c':
			if (parse_long(optarg, 1, 4096, &cpus) != 0)
				usage();
			break;
		case 'm':
			if (parse_long(optarg, 1, 1L << 30, &mem) != 0)
				usage();
			break;
		case 'w':
			if (parse_seconds(optarg, 1, 3600, &wait) != 0)
				usage();
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 3)
		usage();
	if ((colon = strchr(argv[optind], ':')) == NULL ||
	    (size_t)(colon - argv[optind]) >= sizeof(host) ||
	    parse_long(colon + 1, 1, 65535, &port) != 0)
		usage();
	snprintf(host, sizeof(host), "%.*s", (int)(colon - argv[optind]),
	    argv[optind]);
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &to.sin_addr) != 1)
		die("%s: not an IPv4 address", host);
	if (crypto_init(err, sizeof(err)) != 0)
		die("%s", err);
	if (token_parse(argv[optind + 1], id, secret) != 0 ||
	    sig_keys_from_secret(SIG_TOKEN, secret, &keys) != 0)
		die("not a join token (id.secret)");
	explicit_bzero(secret, sizeof(secret));
	snprintf(keyid, sizeof(keyid), "token:%s", id);

	if ((j = calloc(MAX_JOINS, sizeof(*j))) == NULL)
		die("out of memory");
	n = read_targets(argv[optind + 2], j, MAX_JOINS);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < n + 64) {
		rl.rlim_cur = rl.rlim_max < n + 64 ? rl.rlim_max : n + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if ((home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
		die("/proc/self/ns/net: %s", strerror(errno));
	for (i = 0; i < n; i++)
		build(&j[i], argv[optind], cpus, mem);
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* all at once */
	for (i = 0; i < n; i++)
		start(&j[i], &to, home);
	first = j[0].sent;
	pf = calloc(n, sizeof(*pf));
	map = calloc(n, sizeof(*map));
	if (pf == NULL || map == NULL)
		die("out of memory");
	deadline = mono_now() + wait;
	for (;;) {
		for (np = 0, i = 0; i < n; i++) {
			if (j[i].st == DONE)
				continue;
			pf[np].fd = j[i].fd;
			pf[np].events = j[i].st == READING ? POLLIN : POLLOUT;
			map[np++] = (int)i;
		}
		if (np == 0 || mono_now() >= deadline)
			break;
		if (poll(pf, np, 200) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		for (i = 0; i < np; i++)
			if (pf[i].revents != 0)
				step(&j[map[i]], (size_t)map[i], pf[i].revents);
	}
	for (left = 0, i = 0; i < n; i++) {
		if (j[i].st != DONE) {
			left++;
			close(j[i].fd);
			printf("fail %zu 0 no answer within %.0f s\n", i, wait);
			continue;
		}
		if (j[i].ok) {
			nok++;
			if (j[i].answered > last)
				last = j[i].answered;
		}
	}
	printf("summary %zu %zu %.6f %.6f\n", n, nok, first, last);
	for (i = 0; i < n; i++) {
		free(j[i].req);
		free(j[i].ans);
	}
	free(j);
	free(pf);
	free(map);
	explicit_bzero(&keys, sizeof(keys));
	crypto_shutdown();
	return nok == n ? 0 : 1;
}
