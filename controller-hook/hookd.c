/*
 * vnode-hookd - admits virtual nodes into a Slurm cluster.  See
 * vnode-hookd(8).
 *
 * main() reads like a start-up script: configuration, crypto, registry,
 * Slurm, the HTTP listener; then it waits for a signal and undoes it all in
 * reverse.  The HTTP server runs one thread, so requests are handled one at
 * a time, in order.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "api.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "log.h"
#include "sig.h"
#include "slurm.h"
#include "util.h"

struct upload {
	char *buf;
	size_t len;
	int too_big;
};

static struct api api;
static struct hook_config cfg;

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
send_error(struct MHD_Connection *c, int status, const char *reason)
{
	struct api_response rs;
	char body[256];

	memset(&rs, 0, sizeof(rs));
	snprintf(body, sizeof(body), "{\"error\":\"%s\"}", reason);
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
	peer_of(c, peer, sizeof(peer));
	if (up->too_big) {
		log_warnx("%s %s from %s: 413 body larger than %ld bytes", method,
		    url, peer, cfg.max_body);
		return send_error(c, 413, "request body too large");
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
	api_handle(&api, &rq, &rs);
	/* status is polled while a node waits to be usable: only with -d */
	if (rs.status >= 400)
		log_warnx("%s", rs.log);
	else if (strcmp(url, "/v1/status") != 0)
		log_info("%s", rs.log);
	else
		log_debug("%s", rs.log);
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
		free(up->buf);
		free(up);
		*con_cls = NULL;
	}
}

static struct MHD_Daemon *
listen_start(char *err, size_t errlen)
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
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
	    (uint16_t)cfg.listen_port, NULL, NULL, handler, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)512,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
	    MHD_OPTION_END);
	if (d == NULL)
		errf(err, errlen, "cannot listen on %s:%d: %s", cfg.listen_host,
		    cfg.listen_port, strerror(errno));
	return d;
}

int
main(int argc, char *argv[])
{
	const char *path = CONFIG_PATH;
	struct MHD_Daemon *httpd;
	struct db *db;
	char err[512];
	sigset_t set;
	int ch, check = 0, sig;

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
		printf("configuration OK\n");
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
	if (db_open(cfg.database, &db, err, sizeof(err)) != 0)
		fatalx("registry: %s", err);
	if (api_init(&api, &cfg, db, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (sl_init(err, sizeof(err)) != 0)
		fatalx("slurm: %s", err);
	if ((httpd = listen_start(err, sizeof(err))) == NULL)
		fatalx("%s", err);
	log_info("listening on %s:%d, admitting nodes in %s mode as %s<n>",
	    cfg.listen_host, cfg.listen_port, cfg.admit, cfg.name_prefix);

	do {
		if (sigwait(&set, &sig) != 0)
			sig = SIGTERM;
	} while (sig == SIGHUP);
	log_info("signal %d: stopping", sig);

	MHD_stop_daemon(httpd);
	sl_fini();
	api_fini(&api);
	db_close(db);
	crypto_shutdown();
	return 0;
}
