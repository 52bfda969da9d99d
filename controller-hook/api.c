/*
 * api.c - see api.h: the requests' way in (api_handle: the route, the
 * transaction), and the answers.  The parts by job: api_auth.c (who
 * signed), api_join.c (joins), api_node.c (a node's status, drain, events,
 * requeue, leave; the node list), api_heartbeat.c (heartbeats and the
 * orders they carry), api_metrics.c (GET /metrics).
 *
 * Every signed request is checked in the same order: headers present and
 * well formed, key known, signature right, timestamp within the window,
 * nonce not seen.  All of that, and the registry changes a request makes,
 * happen in one transaction, which api_handle() alone begins and ends:
 * committed when the answer is a success, rolled back on any refusal, so
 * a refused request changes nothing (its nonce alone is kept, so that it
 * cannot be replayed).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api_int.h"
#include "jsonutil.h"
#include "log.h"
#include "mungekey.h"
#include "util.h"

static long
real_now(void)
{
	return wall_now();
}

static double
real_now_exact(void)
{
	return wall_time();
}

int
api_init(struct api *a, const struct hook_config *cfg, struct db *db,
    char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd;

	memset(a, 0, sizeof(*a));
	a->cfg = cfg;
	a->db = db;
	a->now = real_now;
	a->now_exact = real_now_exact;
	/* opened once, never through a link, and checked on what was
	 * opened: the file read is the file checked */
	if ((fd = open(cfg->munge_key, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NOCTTY)) < 0)
		return errf(err, errlen, "munge key %s: %s", cfg->munge_key,
		    errno == ELOOP ? "a symbolic link (name the file itself)" :
		    strerror(errno));
	if (fstat(fd, &st) != 0) {
		errf(err, errlen, "munge key %s: %s", cfg->munge_key,
		    strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		errf(err, errlen, "munge key %s: not a regular file",
		    cfg->munge_key);
		goto fail;
	}
	if (st.st_mode & 077) {
		errf(err, errlen, "munge key %s: readable by group or others "
		    "(mode %04o); make it 0400 or 0600", cfg->munge_key,
		    (unsigned)(st.st_mode & 07777));
		goto fail;
	}
	if (st.st_uid != geteuid()) {
		errf(err, errlen, "munge key %s: owned by uid %u, not by uid %u "
		    "that the hook runs as", cfg->munge_key, (unsigned)st.st_uid,
		    (unsigned)geteuid());
		goto fail;
	}
	if (st.st_size > MUNGE_KEY_MAX) {
		errf(err, errlen, "munge key %s: %lld bytes, more than %d",
		    cfg->munge_key, (long long)st.st_size, MUNGE_KEY_MAX);
		goto fail;
	}
	if ((buf = malloc(MUNGE_KEY_MAX + 1)) == NULL) {
		errf(err, errlen, "out of memory");
		goto fail;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, MUNGE_KEY_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			errf(err, errlen, "munge key %s: %s", cfg->munge_key,
			    strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > MUNGE_KEY_MAX) {
			errf(err, errlen, "munge key %s: more than %d bytes",
			    cfg->munge_key, MUNGE_KEY_MAX);
			goto fail;
		}
	}
	close(fd);
	fd = -1;
	if (len < MUNGE_KEY_MIN) {
		explicit_bzero(buf, len);
		free(buf);
		return errf(err, errlen, "munge key %s: only %zu bytes (at least "
		    "%d)", cfg->munge_key, len, MUNGE_KEY_MIN);
	}
	a->munge_key = (unsigned char *)buf;
	a->munge_len = len;
	return 0;
fail:
	if (buf != NULL) {
		explicit_bzero(buf, len);
		free(buf);
	}
	close(fd);
	return -1;
}

void
api_fini(struct api *a)
{
	if (a->munge_key != NULL) {
		explicit_bzero(a->munge_key, a->munge_len);
		free(a->munge_key);
		a->munge_key = NULL;
	}
}

void
api_response_free(struct api_response *rs)
{
	free(rs->body);
	rs->body = NULL;
}

void
api_set_body(struct api_response *rs, struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

	free(rs->body);
	rs->body = strdup(s);
	rs->bodylen = rs->body != NULL ? strlen(rs->body) : 0;
}

/* The code an error answer carries when its call gives none: what a
 * client may act on without reading the English (vnode-hookd(8),
 * "ERRORS"). */
const char *
api_error_code(int status)
{
	switch (status) {
	case 400:
		return "bad_request";
	case 401:
		return "unauthorized";
	case 403:
		return "forbidden";
	case 404:
		return "not_found";
	case 409:
		return "conflict";
	case 413:
		return "too_large";
	case 503:
		return "unavailable";
	default:
		return status >= 500 ? "internal" : "refused";
	}
}

static void vfail(struct api_response *, const struct api_request *, int,
    const char *, const char *, va_list) __attribute__((format(printf, 5, 0)));

static void
vfail(struct api_response *rs, const struct api_request *rq, int status,
    const char *code, const char *fmt, va_list ap)
{
	struct json_object *o;
	char reason[400];

	vsnprintf(reason, sizeof(reason), fmt, ap);
	rs->status = status;
	o = json_object_new_object();
	json_object_object_add(o, "error", json_object_new_string(reason));
	json_object_object_add(o, "code", json_object_new_string(
	    code != NULL ? code : api_error_code(status)));
	api_set_body(rs, o);
	json_object_put(o);
	snprintf(rs->log, sizeof(rs->log), "%s %s from %s: %d %s", rq->method,
	    rq->path, rq->peer != NULL ? rq->peer : "?", status, reason);
}

/* An error answer: {"error": reason, "code": the status's code}, and the
 * log line. */
void
api_fail(struct api_response *rs, const struct api_request *rq, int status,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(rs, rq, status, NULL, fmt, ap);
	va_end(ap);
}

/* The same with a code of its own, for what a client acts on. */
void
api_failc(struct api_response *rs, const struct api_request *rq, int status,
    const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(rs, rq, status, code, fmt, ap);
	va_end(ap);
}

void
api_ok(struct api_response *rs, const struct api_request *rq,
    struct json_object *o, const char *what)
{
	rs->status = 200;
	api_set_body(rs, o);
	snprintf(rs->log, sizeof(rs->log), "%s %s from %s: 200 %s", rq->method,
	    rq->path, rq->peer != NULL ? rq->peer : "?", what);
}

void
api_ok_text(struct api_response *rs, const struct api_request *rq,
    struct text *t, const char *what)
{
	free(rs->body);
	rs->body = t->s;
	rs->bodylen = t->len;
	t->s = NULL;
	rs->status = 200;
	snprintf(rs->log, sizeof(rs->log), "%s %s from %s: 200 %s", rq->method,
	    rq->path, rq->peer != NULL ? rq->peer : "?", what);
}

/* An event in the registry; one that cannot be stored is only logged
 * (the hook's answer does not depend on it). */
void
api_note(struct api *a, const char *node, long job, const char *kind,
    const char *fmt, ...)
{
	char detail[DB_DETAIL_MAX + 1], err[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (db_event_add(a->db, a->now_exact(), node, job, kind, detail, err,
	    sizeof(err)) != 0)
		log_warnx("event %s of %s: %s", kind, node, err);
}

struct json_object *
api_parse_body(const struct api_request *rq, struct api_response *rs)
{
	struct json_object *o;
	char err[256];

	o = js_parse(rq->body != NULL ? rq->body : "", rq->bodylen, err,
	    sizeof(err));
	if (o == NULL)
		api_fail(rs, rq, 400, "body: %s", err);
	return o;
}

int
api_node_only(const struct api_request *rq, const struct auth *au,
    struct api_response *rs)
{
	if (au->kind == SIG_NODE)
		return 0;
	api_fail(rs, rq, 403, "%s needs the node's credential", rq->path);
	return -1;
}

/* An answer, signed with the keys of the request it answers. */
void
api_sign_with(struct api *a, const struct sig_keys *keys, const char *nonce,
    struct api_response *rs)
{
	rs->ts = a->now();
	if (sig_response(keys, nonce, rs->status, rs->ts, rs->body,
	    rs->bodylen, rs->sig) == 0)
		rs->is_signed = 1;
}

int
api_tx_begin(struct api *a, const struct api_request *rq,
    struct api_response *rs)
{
	char err[256];

	if (db_begin(a->db, err, sizeof(err)) == 0)
		return 0;
	api_fail(rs, rq, 503, "%s", err);
	return -1;
}

int
api_tx_end(struct api *a, const struct api_request *rq,
    struct api_response *rs)
{
	char err[256];

	if (rs->status >= 400) {
		db_rollback(a->db);
		return -1;
	}
	if (db_commit(a->db, err, sizeof(err)) == 0)
		return 0;
	db_rollback(a->db);
	/* nothing was done: a join is not admitted, a heartbeat answers
	 * now (the agents retry) */
	if (rs->admission != NULL) {
		explicit_bzero(rs->admission, sizeof(*rs->admission));
		free(rs->admission);
		rs->admission = NULL;
	}
	if (rs->status_ask != NULL) {
		explicit_bzero(rs->status_ask, sizeof(*rs->status_ask));
		free(rs->status_ask);
		rs->status_ask = NULL;
	}
	rs->suspend = 0;
	api_fail(rs, rq, 500, "%s", err);
	return -1;
}

/* A signed request that was refused after its signature was checked
 * changes nothing, but its nonce stays seen: it cannot be replayed once
 * what refused it has changed. */
static void
keep_nonce(struct api *a, const struct api_request *rq)
{
	char err[256];

	if (db_nonce_record(a->db, rq->nonce, a->now(), err, sizeof(err)) < 0)
		log_warnx("%s %s from %s: its nonce not kept: %s", rq->method,
		    rq->path, rq->peer != NULL ? rq->peer : "?", err);
}

static void
sign_answer(struct api *a, const struct auth *au, struct api_response *rs)
{
	api_sign_with(a, &au->keys, au->nonce, rs);
}

void
api_handle(struct api *a, const struct api_request *rq,
    struct api_response *rs)
{
	static const struct {
		const char *path;
		void (*fn)(struct api *, const struct api_request *,
		    struct auth *, struct api_response *);
	} routes[] = {
		{ "/v1/join", api_do_join },
		{ "/v1/status", api_do_status },
		{ "/v1/ready", api_do_ready },
		{ "/v1/drain", api_do_drain },
		{ "/v1/leave", api_do_leave },
		{ "/v1/heartbeat", api_do_heartbeat },
		{ "/v1/events", api_do_events },
		{ "/v1/requeue", api_do_requeue },
	};
	struct auth au;
	size_t i;

	memset(rs, 0, sizeof(*rs));
	memset(&au, 0, sizeof(au));
	if (strcmp(rq->path, "/v1/nodes") == 0) {
		if (strcmp(rq->method, "GET") != 0)
			api_fail(rs, rq, 405, "use GET");
		else
			api_do_nodes(a, rq, rs);
		return;
	}
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (strcmp(rq->path, routes[i].path) == 0)
			break;
	if (i == sizeof(routes) / sizeof(routes[0])) {
		api_fail(rs, rq, 404, "no such endpoint");
		return;
	}
	if (strcmp(rq->method, "POST") != 0) {
		api_fail(rs, rq, 405, "use POST");
		return;
	}
	if (api_tx_begin(a, rq, rs) != 0)
		return;
	if (api_authenticate(a, rq, &au, rs) == 0) {
		routes[i].fn(a, rq, &au, rs);
		if (api_tx_end(a, rq, rs) != 0)
			keep_nonce(a, rq);
	} else
		api_tx_end(a, rq, rs);
	if (strcmp(rq->path, "/v1/join") == 0 && rs->status >= 500)
		a->m.joins_failed++;
	else if (strcmp(rq->path, "/v1/join") == 0 && rs->status >= 400)
		a->m.joins_refused++;
	if (au.ok && !rs->suspend)
		sign_answer(a, &au, rs);
	explicit_bzero(&au, sizeof(au));
}
