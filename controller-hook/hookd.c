/*
 * vnode-hookd - admits virtual nodes into a Slurm cluster.  See
 * vnode-hookd(8).
 *
 * main() reads like a start-up script: configuration, crypto, registry,
 * Slurm, the HTTP listener; then it ticks until a signal, and undoes it all
 * in reverse.  The HTTP server runs one thread, so requests are handled one
 * at a time, in order.  A heartbeat with nothing to tell its node is
 * suspended (libmicrohttpd's suspend/resume), not answered: the main
 * thread's tick resumes it when an order for the node comes, or when it has
 * waited long enough.  So waiting nodes cost a connection each (see
 * max_connections and the open file limit), not a thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>
#include <pthread.h>

#include "admit.h"
#include "api.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "log.h"
#include "mover.h"
#include "overlay.h"
#include "provision.h"
#include "reaper.h"
#include "sig.h"
#include "tls.h"
#include "slurm.h"
#include "status.h"
#include "util.h"

#define TICK 0.2			/* seconds */
#define REAP_EVERY 5.0			/* seconds */

struct upload {
	char *buf;
	size_t len;
	int too_big;
	char bad[96];			/* headers that make it ambiguous */
	int waiting;			/* suspended, in the waiters list */
	int resumed;			/* resumed: answer from pending */
	struct api_pending pending;
	struct api_admission *admission;	/* a join being admitted */
	struct api_status_ask *status_ask;	/* a status asked of Slurm */
	double start;			/* mono_now(): its headers in */
	double wait_from;		/* a heartbeat's wait began */
};

struct waiter {
	struct MHD_Connection *c;
	struct upload *up;
	double deadline;		/* mono_now() */
	struct waiter *next;
};

static struct api api;
static struct hook_config cfg;
static pthread_mutex_t waiters_mu = PTHREAD_MUTEX_INITIALIZER;
static struct waiter *waiters;
static int nwaiting;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: vnode-hookd [-dn] [-f config]\n");
	exit(1);
}

static enum MHD_Result
send_json(struct MHD_Connection *c, const struct api_response *rs)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char ts[32];

	r = MHD_create_response_from_buffer(rs->bodylen, rs->body,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	if (rs->is_signed) {
		snprintf(ts, sizeof(ts), "%ld", rs->ts);
		MHD_add_response_header(r, SIG_HDR_TIME, ts);
		MHD_add_response_header(r, SIG_HDR_SIG, rs->sig);
	}
	ret = MHD_queue_response(c, (unsigned int)rs->status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
send_text(struct MHD_Connection *c, const struct api_response *rs)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(rs->bodylen, rs->body,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type",
	    "text/plain; version=0.0.4");
	ret = MHD_queue_response(c, (unsigned int)rs->status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Park a heartbeat until an order comes or its wait is over. */
static void
wait_for_order(struct MHD_Connection *c, struct upload *up,
    struct api_response *rs)
{
	struct waiter *w;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		/* no room to wait: answer at once, with no order */
		up->resumed = 1;
		up->pending = rs->pending;
		return;
	}
	up->pending = rs->pending;
	up->waiting = 1;
	up->wait_from = mono_now();
	w->c = c;
	w->up = up;
	w->deadline = mono_now() + rs->pending.wait;
	explicit_bzero(&rs->pending, sizeof(rs->pending));
	MHD_suspend_connection(c);
	pthread_mutex_lock(&waiters_mu);
	w->next = waiters;
	waiters = w;
	nwaiting++;
	pthread_mutex_unlock(&waiters_mu);
}

struct pending_nodes {
	char (*names)[64];
	size_t n, cap;
};

static void
add_pending(void *arg, const char *node)
{
	struct pending_nodes *p = arg;

	if (array_grow(&p->names, &p->cap, p->n, sizeof(*p->names), 16) != 0)
		return;
	snprintf(p->names[p->n++], sizeof(p->names[0]), "%s", node);
}

/* Resume the heartbeats whose node has an order, or whose wait is over;
 * all of them when everything stops. */
static void
tick(struct db *ticker, int all)
{
	struct pending_nodes p = { NULL, 0, 0 };
	struct waiter **wp, *w;
	double now = mono_now();
	char err[256];
	size_t i;
	int wake;

	pthread_mutex_lock(&waiters_mu);
	if (waiters != NULL && !all &&
	    db_order_pending(ticker, add_pending, &p, err, sizeof(err)) != 0)
		log_warnx("orders: %s", err);
	for (wp = &waiters; (w = *wp) != NULL;) {
		wake = all || now >= w->deadline;
		for (i = 0; !wake && i < p.n; i++)
			wake = strcmp(p.names[i], w->up->pending.node) == 0;
		if (!wake) {
			wp = &w->next;
			continue;
		}
		*wp = w->next;
		nwaiting--;
		w->up->waiting = 0;
		w->up->resumed = 1;
		MHD_resume_connection(w->c);
		free(w);
	}
	pthread_mutex_unlock(&waiters_mu);
	free(p.names);
}

/* From the admission thread: the join's node is in Slurm, or not. */
static void
admitted(struct api_admission *ad)
{
	MHD_resume_connection(ad->conn);
}

/* From the status thread: Slurm has answered for the node, or not. */
static void
statused(struct api_status_ask *q)
{
	MHD_resume_connection(q->conn);
}

/* The reaper's and the mover's lines. */
static void
reaped(const char *line)
{
	log_info("%s", line);
}

/* The overlay's interface put right (overlay_sync); a failure is said
 * once, until it works again. */
static void
overlay_tick(struct db *ticker, int *failing)
{
	char err[512];

	if (cfg.overlay == OVERLAY_OFF)
		return;
	if (overlay_sync(ticker, &cfg, wall_time(), reaped, err,
	    sizeof(err)) != 0) {
		if (!*failing)
			log_warnx("overlay: %s; trying again every %.0f s", err,
			    REAP_EVERY);
		*failing = 1;
	} else if (*failing) {
		log_info("overlay: vnode-privd answers again");
		*failing = 0;
	}
}

/* Refusals always; status and heartbeats (routine) come all the time, so
 * only with -d unless something happened; the rest always. */
static void
log_answer(const struct api_response *rs, int routine)
{
	if (rs->status >= 500)
		log_errx("%s", rs->log);
	else if (rs->status >= 400)
		log_warnx("%s", rs->log);
	else if (rs->notable || !routine)
		log_info("%s", rs->log);
	else
		log_debug("%s", rs->log);
}

static enum MHD_Result
send_error(struct MHD_Connection *c, int status, const char *reason)
{
	struct api_response rs;
	char body[256];

	memset(&rs, 0, sizeof(rs));
	snprintf(body, sizeof(body), "{\"error\":\"%s\",\"code\":\"%s\"}",
	    reason, api_error_code(status));
	rs.status = status;
	rs.body = body;
	rs.bodylen = strlen(body);
	return send_json(c, &rs);
}

static void
peer_of(struct MHD_Connection *c, char *out, size_t outsz)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr_in *sin;

	snprintf(out, outsz, "?");
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || ci->client_addr == NULL ||
	    ci->client_addr->sa_family != AF_INET)
		return;
	sin = (const struct sockaddr_in *)(const void *)ci->client_addr;
	inet_ntop(AF_INET, &sin->sin_addr, out, (socklen_t)outsz);
}

/* The headers that must come once: a second one would have two readers
 * (here, and a proxy in front) read two different requests. */
struct header_count {
	int clen, te, key, time, nonce, sig;
};

static enum MHD_Result
count_header(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct header_count *h = cls;

	(void)kind;
	(void)value;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
		h->clen++;
	else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
		h->te++;
	else if (strcasecmp(key, SIG_HDR_KEY) == 0)
		h->key++;
	else if (strcasecmp(key, SIG_HDR_TIME) == 0)
		h->time++;
	else if (strcasecmp(key, SIG_HDR_NONCE) == 0)
		h->nonce++;
	else if (strcasecmp(key, SIG_HDR_SIG) == 0)
		h->sig++;
	return MHD_YES;
}

static void
check_headers(struct MHD_Connection *c, char *bad, size_t badsz)
{
	struct header_count h;

	memset(&h, 0, sizeof(h));
	MHD_get_connection_values(c, MHD_HEADER_KIND, count_header, &h);
	if (h.clen > 1)
		snprintf(bad, badsz, "Content-Length given %d times", h.clen);
	else if (h.clen > 0 && h.te > 0)
		snprintf(bad, badsz, "both Content-Length and "
		    "Transfer-Encoding");
	else if (h.key > 1 || h.time > 1 || h.nonce > 1 || h.sig > 1)
		snprintf(bad, badsz, "a signature header given twice");
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct upload *up = *con_cls;
	struct api_request rq;
	struct api_response rs;
	char peer[INET_ADDRSTRLEN];
	const char *clen;
	enum MHD_Result ret;
	long n;

	(void)cls;
	(void)version;
	if (up == NULL) {
		if ((up = calloc(1, sizeof(*up))) == NULL)
			return MHD_NO;
		*con_cls = up;
		up->start = mono_now();
		check_headers(c, up->bad, sizeof(up->bad));
		clen = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (clen != NULL && (parse_long(clen, 0, cfg.max_body, &n) != 0))
			up->too_big = 1;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (!up->too_big && up->len + *upload_data_size <=
		    (size_t)cfg.max_body) {
			char *nb = realloc(up->buf, up->len + *upload_data_size + 1);

			if (nb == NULL)
				return MHD_NO;
			up->buf = nb;
			memcpy(up->buf + up->len, upload_data, *upload_data_size);
			up->len += *upload_data_size;
			up->buf[up->len] = '\0';
		} else
			up->too_big = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (up->admission != NULL) {
		/* a join whose node admit.c has made, or failed to */
		api_join_finish(&api, up->admission, &rs);
		up->admission = NULL;
		log_answer(&rs, 0);
		api_observe_call(&api, url, mono_now() - up->start);
		ret = send_json(c, &rs);
		api_response_free(&rs);
		return ret;
	}
	if (up->status_ask != NULL) {
		/* a status whose node Slurm has been asked about (a ready
		 * call's outcome is worth the log) */
		int quiet = !up->status_ask->ready;

		api_status_finish(&api, up->status_ask, &rs);
		free(up->status_ask);
		up->status_ask = NULL;
		log_answer(&rs, quiet);
		api_observe_call(&api, url, mono_now() - up->start);
		ret = send_json(c, &rs);
		api_response_free(&rs);
		return ret;
	}
	if (up->resumed) {
		/* a heartbeat that waited: its answer now */
		api_heartbeat_finish(&api, &up->pending, &rs);
		up->resumed = 0;
		log_answer(&rs, 1);
		api_observe_call(&api, url, mono_now() - up->start -
		    (up->wait_from > 0 ? mono_now() - up->wait_from : 0));
		ret = send_json(c, &rs);
		api_response_free(&rs);
		return ret;
	}
	peer_of(c, peer, sizeof(peer));
	if (up->bad[0] != '\0') {
		log_warnx("%s %s from %s: 400 %s", method, url, peer, up->bad);
		return send_error(c, 400, up->bad);
	}
	if (up->too_big) {
		char reason[80];

		/* the limit, so that the sender's log says what to change */
		snprintf(reason, sizeof(reason), "request body larger than %ld "
		    "bytes (max_body)", cfg.max_body);
		log_warnx("%s %s from %s: 413 %s", method, url, peer, reason);
		return send_error(c, 413, reason);
	}
	memset(&rq, 0, sizeof(rq));
	rq.method = method;
	rq.path = url;
	rq.key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, SIG_HDR_KEY);
	rq.time = MHD_lookup_connection_value(c, MHD_HEADER_KIND, SIG_HDR_TIME);
	rq.nonce = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    SIG_HDR_NONCE);
	rq.sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND, SIG_HDR_SIG);
	rq.body = up->buf != NULL ? up->buf : "";
	rq.bodylen = up->len;
	rq.peer = peer;
	if (strcmp(url, "/metrics") == 0 && strcmp(method, "GET") == 0) {
		pthread_mutex_lock(&waiters_mu);
		n = nwaiting;
		pthread_mutex_unlock(&waiters_mu);
		api_metrics(&api, (int)n, &rs);
		ret = send_text(c, &rs);
		api_response_free(&rs);
		return ret;
	}
	api_handle(&api, &rq, &rs);
	if (rs.admission != NULL) {
		log_debug("%s", rs.log);
		up->admission = rs.admission;
		up->admission->conn = c;
		MHD_suspend_connection(c);
		admit_submit(up->admission);
		api_response_free(&rs);
		return MHD_YES;
	}
	if (rs.status_ask != NULL) {
		log_debug("%s", rs.log);
		up->status_ask = rs.status_ask;
		up->status_ask->conn = c;
		MHD_suspend_connection(c);
		status_submit(up->status_ask);
		api_response_free(&rs);
		return MHD_YES;
	}
	if (rs.suspend) {
		log_answer(&rs, 1);
		wait_for_order(c, up, &rs);
		api_response_free(&rs);
		return MHD_YES;
	}
	log_answer(&rs, strcmp(url, "/v1/status") == 0 ||
	    strcmp(url, "/v1/heartbeat") == 0);
	api_observe_call(&api, url, mono_now() - up->start);
	ret = send_json(c, &rs);
	api_response_free(&rs);
	return ret;
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct upload *up = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (up != NULL) {
		if (up->admission != NULL) {
			/* never answered (the server is stopping) */
			explicit_bzero(up->admission, sizeof(*up->admission));
			free(up->admission);
		}
		if (up->status_ask != NULL) {
			explicit_bzero(up->status_ask, sizeof(*up->status_ask));
			free(up->status_ask);
		}
		explicit_bzero(&up->pending, sizeof(up->pending));
		free(up->buf);
		free(up);
		*con_cls = NULL;
	}
}

/* Each waiting heartbeat holds a connection: room for max_connections. */
static void
raise_nofile(void)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)cfg.max_connections + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want) {
		getrlimit(RLIMIT_NOFILE, &rl);
		log_warnx("open files limited to %lu: fewer than max_connections "
		    "(%ld) nodes can wait at once", (unsigned long)rl.rlim_cur,
		    cfg.max_connections);
	}
}

/* An expired certificate, or one near its end, is said: at start, then
 * hourly (journalctl -p err shows it). */
static void
tls_check(const struct hook_tls *t)
{
	char buf[700];
	time_t now = time(NULL);

	if (tls_warning(t, now, buf, sizeof(buf)) == NULL)
		return;
	if (now >= t->not_after || now < t->not_before)
		log_errx("tls: %s", buf);
	else
		log_warnx("tls: %s", buf);
}

static struct MHD_Daemon *
listen_start(const struct hook_tls *tls, char *err, size_t errlen)
{
	struct sockaddr_in sa;
	struct MHD_Daemon *d;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)cfg.listen_port);
	if (strcmp(cfg.listen_host, "*") == 0)
		sa.sin_addr.s_addr = htonl(INADDR_ANY);
	else if (inet_pton(AF_INET, cfg.listen_host, &sa.sin_addr) != 1) {
		errf(err, errlen, "listen address %s", cfg.listen_host);
		return NULL;
	}
	/* TLS 1.2 and 1.3 only */
	struct MHD_OptionItem tlsopt[] = {
		{ MHD_OPTION_HTTPS_MEM_CERT, 0,
		    tls != NULL ? tls->cert_pem : NULL },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0,
		    tls != NULL ? tls->key_pem : NULL },
		{ MHD_OPTION_HTTPS_PRIORITIES, 0,
		    (void *)(uintptr_t)"SECURE:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2" },
		{ MHD_OPTION_END, 0, NULL }
	};

	/* epoll: no FD_SETSIZE limit, for many heartbeats waiting at once */
	d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
	    (tls != NULL ? MHD_USE_TLS : 0),
	    (uint16_t)cfg.listen_port, NULL, NULL, handler, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)cfg.max_connections,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
	    MHD_OPTION_ARRAY, tls != NULL ? tlsopt : tlsopt + 3,
	    MHD_OPTION_END);
	if (d == NULL)
		errf(err, errlen, "cannot listen on %s:%d%s: %s",
		    cfg.listen_host, cfg.listen_port, tls != NULL ?
		    " with TLS" : "", strerror(errno));
	return d;
}

int
main(int argc, char *argv[])
{
	const char *path = CONFIG_PATH;
	struct MHD_Daemon *httpd;
	struct db *db, *ticker, *moverdb, *provdb;
	struct timespec tmo;
	double next_reap = 0, next_tls = mono_now() + 3600;
	struct hook_tls tls;
	char err[512];
	sigset_t set;
	int ch, check = 0, sig, i, lfd, overlay_failing = 0;

	log_init("vnode-hookd", 0);
	while ((ch = getopt(argc, argv, "df:n")) != -1) {
		switch (ch) {
		case 'd':
			log_init("vnode-hookd", 1);
			break;
		case 'f':
			path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	if (config_load(path, &cfg, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (check) {
		config_print(stdout, &cfg);
		fprintf(stderr, "configuration OK\n");
		return 0;
	}
	if (geteuid() == 0)
		fatalx("refusing to run as root: run as the SlurmUser "
		    "(User= in the unit, or setpriv)");

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (crypto_init(err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (cfg.tls) {
		if (tls_load(&cfg, 1, &tls, err, sizeof(err)) != 0)
			fatalx("tls: %s", err);
		snprintf(cfg.hook_pin, sizeof(cfg.hook_pin), "%s", tls.pin);
		tls_check(&tls);
	}
	if (db_open(cfg.database, &db, err, sizeof(err)) != 0 ||
	    db_open(cfg.database, &ticker, err, sizeof(err)) != 0 ||
	    db_open(cfg.database, &moverdb, err, sizeof(err)) != 0 ||
	    db_open(cfg.database, &provdb, err, sizeof(err)) != 0)
		fatalx("registry: %s", err);
	if (api_init(&api, &cfg, db, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (sl_init(err, sizeof(err)) != 0)
		fatalx("slurm: %s", err);
	if (admit_start(&cfg, admitted, err, sizeof(err)) != 0 ||
	    status_start(statused, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (mover_start(&cfg, moverdb, reaped, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (provision_start(&cfg, provdb, reaped, err, sizeof(err)) != 0)
		fatalx("%s", err);
	raise_nofile();
	if ((httpd = listen_start(cfg.tls ? &tls : NULL, err,
	    sizeof(err))) == NULL)
		fatalx("%s", err);
	log_info("listening on %s:%d (%s), admitting nodes in %s mode as "
	    "%s<n>%s", cfg.listen_host, cfg.listen_port, cfg.tls ? "https" :
	    "plain http: tls = off", cfg.admit, cfg.name_prefix,
	    cfg.overlay == OVERLAY_ON ? ", through the overlay" :
	    cfg.overlay == OVERLAY_ALLOW ? ", through the overlay when they ask" :
	    "");
	if (cfg.tls)
		log_info("tls: %s, pin %s", tls.cert_path, tls.pin);

	tmo.tv_sec = 0;
	tmo.tv_nsec = (long)(TICK * 1e9);
	for (;;) {
		sig = sigtimedwait(&set, NULL, &tmo);
		if (sig == SIGTERM || sig == SIGINT)
			break;
		tick(ticker, 0);
		if (cfg.tls && mono_now() >= next_tls) {
			tls_check(&tls);
			next_tls = mono_now() + 3600;
		}
		if (mono_now() >= next_reap) {
			if (reaper_pass(ticker, &cfg, wall_now(), reaped, err,
			    sizeof(err)) != 0)
				log_warnx("reaper: %s", err);
			overlay_tick(ticker, &overlay_failing);
			next_reap = mono_now() + REAP_EVERY;
		}
	}
	log_info("signal %d: stopping", sig);

	/* no new connections; answer every waiting heartbeat, give the
	 * server's thread time to send the answers, then stop it */
	lfd = MHD_quiesce_daemon(httpd);
	admit_stop();
	status_stop();
	mover_stop();
	provision_stop();
	for (i = 0; i < 3; i++) {
		tick(ticker, 1);
		sleep_seconds(TICK, NULL);
	}
	MHD_stop_daemon(httpd);
	if (lfd >= 0)
		close(lfd);
	sl_fini();
	api_fini(&api);
	db_close(provdb);
	db_close(moverdb);
	db_close(ticker);
	db_close(db);
	if (cfg.tls)
		tls_free(&tls);
	crypto_shutdown();
	return 0;
}
