/*
 * registry - bench/registry's measure of the hook's registry at N nodes:
 * the rows made through the hook's request code (controller-hook/api.c
 * linked in, as bench/admit-rate does: signed joins through api_handle(),
 * then api_join_finish() as if Slurm had taken each node), all with one
 * token, the worst case for a token's bookkeeping.  Then each of the
 * registry's everyday operations is timed at that size:
 *
 *   join        a new instance's join (signature, token, nonce, node row,
 *               answer sealed and signed), committed
 *   rejoin      an admitted instance joining again
 *   token-get   the token's row as a join reads it (its uses left)
 *   token-list  vnodectl token list's query (every token, its instances)
 *   heartbeat   a heartbeat's registry part: the node by name, its
 *               last_seen written, its orders taken, committed
 *   nodes       GET /v1/nodes: every node as JSON
 *   metrics     GET /metrics
 *   stale       the reaper's query: every admitted node, with its last
 *               contact (reaper_pass without Slurm)
 *   reaped      the reaper's query of the reaped nodes (to tell which of
 *               those Slurm still has)
 *   by-name     what that query replaced: a look-up for every node Slurm
 *               lists (N of them; the time of all N)
 *
 *   registry [-n NODES] [-r REPEATS] DIR
 *
 * DIR gets a hookd.conf, a munge key and the registry (reused when it
 * holds NODES nodes already).  Prints "fill N SECONDS" when it made the
 * rows, then per operation: "op NAME MEDIAN_MS MAX_MS REPEATS".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "sig.h"
#include "util.h"

#define JOIN_PATH "/v1/join"

struct bench {
	struct api a;
	struct db *db;
	struct sig_keys k;
	char key[64];
	char token[TOKEN_ID_LEN + 1];
	long serial;
};

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "registry: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static void
write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    mode)) < 0 || write(fd, data, len) != (ssize_t)len ||
	    fchmod(fd, mode) != 0 || close(fd) != 0)
		die("%s: %s", path, strerror(errno));
}

/* One signed join of instance "reg-I" through the hook's code: 0 when
 * answered 200. */
static int
join(struct bench *b, long i)
{
	struct api_request rq;
	struct api_response rs, fin;
	char body[256], ts[24], nonce[SIG_NONCE_LEN + 1], sig[SIG_HEX_LEN + 1];
	char peer[16];
	size_t len;
	long now = wall_now();
	int rc = -1;

	len = (size_t)snprintf(body, sizeof(body), "{\"instance\":\"reg-%ld\","
	    "\"hostname\":\"reg-%ld\",\"cpus\":1,\"memory_mb\":1000,"
	    "\"features\":[]}", i, i);
	snprintf(ts, sizeof(ts), "%ld", now);
	snprintf(peer, sizeof(peer), "10.%u.%u.%u", (unsigned)(100 + i / 65536 % 100),
	    (unsigned)(i / 256 % 256), (unsigned)(i % 256));
	if (sig_new_nonce(nonce) != 0 || sig_request(&b->k, "POST", JOIN_PATH,
	    b->key, now, nonce, body, len, sig) != 0)
		die("cannot sign");
	memset(&rq, 0, sizeof(rq));
	rq.method = "POST";
	rq.path = JOIN_PATH;
	rq.key = b->key;
	rq.time = ts;
	rq.nonce = nonce;
	rq.sig = sig;
	rq.body = body;
	rq.bodylen = len;
	rq.peer = peer;
	api_handle(&b->a, &rq, &rs);
	if (rs.admission == NULL) {
		fprintf(stderr, "registry: join %ld: %s\n", i, rs.log);
		api_response_free(&rs);
		return -1;
	}
	api_join_finish(&b->a, rs.admission, &fin);
	if (fin.status == 200 && fin.is_signed)
		rc = 0;
	else
		fprintf(stderr, "registry: join %ld: %s\n", i, fin.log);
	api_response_free(&fin);
	api_response_free(&rs);
	return rc;
}

static int
by_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

static void
report(const char *name, double *t, long reps)
{
	qsort(t, (size_t)reps, sizeof(*t), by_double);
	printf("op %-10s %9.3f %9.3f %ld\n", name, t[reps / 2] * 1000,
	    t[reps - 1] * 1000, reps);
	fflush(stdout);
}

static void
count_node(void *arg, const struct db_node *n)
{
	(void)n;
	(*(long *)arg)++;
}

int
main(int argc, char *argv[])
{
	struct hook_config cfg;
	struct db_token tok;
	struct db_node node;
	struct db_order order;
	struct api_request rq;
	struct api_response rs;
	struct json_object *list;
	struct bench b;
	unsigned char mkey[128];
	char path[4096], conf[8192], secret[SECRET_LEN + 1], err[512], name[64];
	const char *dir;
	long n = 20000, reps = 21, i, r, have = 0, cnt;
	double *t, t0;
	int ch, fd;

	while ((ch = getopt(argc, argv, "n:r:")) != -1) {
		if ((ch != 'n' && ch != 'r') || parse_long(optarg, 1, 1000000,
		    ch == 'n' ? &n : &reps) != 0) {
			fprintf(stderr, "usage: registry [-n nodes] [-r repeats] "
			    "dir\n");
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "usage: registry [-n nodes] [-r repeats] dir\n");
		return 2;
	}
	dir = argv[optind];
	if (crypto_init(err, sizeof(err)) != 0)
		die("%s", err);
	memset(&b, 0, sizeof(b));

	/* the hook's files, as it would have them; the token's secret kept
	 * beside them, so that a second run goes on with the same rows */
	snprintf(conf, sizeof(conf), "listen = 127.0.0.1:8181\n"
	    "database = %s/hookd.db\nmunge_key = %s/munge.key\n"
	    "conf_server = 127.0.0.1:6817\nfeatures = vnode\n", dir, dir);
	snprintf(path, sizeof(path), "%s/hookd.conf", dir);
	write_file(path, conf, strlen(conf), 0644);
	snprintf(path, sizeof(path), "%s/munge.key", dir);
	if (access(path, R_OK) != 0) {
		if (crypto_random(mkey, sizeof(mkey)) != 0)
			die("no random numbers");
		write_file(path, mkey, sizeof(mkey), 0600);
		explicit_bzero(mkey, sizeof(mkey));
	}
	snprintf(path, sizeof(path), "%s/hookd.conf", dir);
	if (config_load(path, &cfg, err, sizeof(err)) != 0)
		die("%s", err);
	if (db_open(cfg.database, &b.db, err, sizeof(err)) != 0 ||
	    api_init(&b.a, &cfg, b.db, err, sizeof(err)) != 0)
		die("%s", err);
	snprintf(path, sizeof(path), "%s/token", dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		ssize_t got = read(fd, conf, sizeof(conf) - 1);

		close(fd);
		conf[got > 0 ? got : 0] = '\0';
		if (sscanf(conf, "%16s %64s %ld", b.token, secret, &have) != 3)
			die("%s: not what this program wrote", path);
	} else {
		memset(&tok, 0, sizeof(tok));
		if (sig_new_token_id(tok.id) != 0 || sig_new_secret(secret) != 0 ||
		    sig_master(SIG_TOKEN, secret, tok.master) != 0)
			die("no random numbers");
		tok.uses = 1000000;
		tok.created = wall_now();
		tok.expires = tok.created + 30 * 86400;
		if (db_token_add(b.db, &tok, err, sizeof(err)) != 0)
			die("%s", err);
		snprintf(b.token, sizeof(b.token), "%s", tok.id);
	}
	if (sig_keys_from_secret(SIG_TOKEN, secret, &b.k) != 0)
		die("bad secret");
	snprintf(b.key, sizeof(b.key), "token:%s", b.token);

	/* the rows: one join each, as they would come */
	t0 = mono_now();
	for (i = have; i < n; i++)
		if (join(&b, i) != 0)
			die("join %ld refused", i);
	if (n > have) {
		printf("fill %ld %.1f\n", n - have, mono_now() - t0);
		have = n;
	}
	snprintf(conf, sizeof(conf), "%s %s %ld\n", b.token, secret, have);
	write_file(path, conf, strlen(conf), 0600);
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(conf, sizeof(conf));

	if ((t = calloc((size_t)reps, sizeof(*t))) == NULL)
		die("out of memory");
	b.serial = have;

	for (r = 0; r < reps; r++) {
		t0 = mono_now();
		if (join(&b, b.serial++) != 0)
			die("join refused");
		t[r] = mono_now() - t0;
	}
	report("join", t, reps);
	for (r = 0; r < reps; r++) {
		t0 = mono_now();
		if (join(&b, r * 7 % have) != 0)
			die("rejoin refused");
		t[r] = mono_now() - t0;
	}
	report("rejoin", t, reps);
	for (r = 0; r < reps; r++) {
		t0 = mono_now();
		if (db_token_get(b.db, b.token, &tok, err, sizeof(err)) != 0)
			die("%s", err);
		t[r] = mono_now() - t0;
	}
	explicit_bzero(&tok, sizeof(tok));
	report("token-get", t, reps);
	for (r = 0; r < reps; r++) {
		t0 = mono_now();
		if ((list = db_token_list(b.db, err, sizeof(err))) == NULL)
			die("%s", err);
		json_object_put(list);
		t[r] = mono_now() - t0;
	}
	report("token-list", t, reps);
	for (r = 0; r < reps; r++) {
		snprintf(name, sizeof(name), "vm-%ld", 1 + r * 13 % have);
		t0 = mono_now();
		if (db_begin(b.db, err, sizeof(err)) != 0 ||
		    db_node_by_name(b.db, name, &node, err, sizeof(err)) != 0 ||
		    db_node_seen(b.db, name, wall_now(), err, sizeof(err)) != 0 ||
		    db_order_take(b.db, name, wall_now(), &order, err,
		    sizeof(err)) < 0 || db_commit(b.db, err, sizeof(err)) != 0)
			die("heartbeat of %s: %s", name, err);
		t[r] = mono_now() - t0;
	}
	explicit_bzero(&node, sizeof(node));
	report("heartbeat", t, reps);
	for (r = 0; r < reps; r++) {
		memset(&rq, 0, sizeof(rq));
		rq.method = "GET";
		rq.path = "/v1/nodes";
		rq.body = "";
		rq.peer = "127.0.0.1";
		t0 = mono_now();
		api_handle(&b.a, &rq, &rs);
		if (rs.status != 200)
			die("/v1/nodes: %d", rs.status);
		api_response_free(&rs);
		t[r] = mono_now() - t0;
	}
	report("nodes", t, reps);
	for (r = 0; r < reps; r++) {
		t0 = mono_now();
		api_metrics(&b.a, 0, &rs);
		if (rs.status != 200)
			die("/metrics: %d", rs.status);
		api_response_free(&rs);
		t[r] = mono_now() - t0;
	}
	report("metrics", t, reps);
	for (r = 0; r < reps; r++) {
		cnt = 0;
		t0 = mono_now();
		if (db_node_stale(b.db, "admitted", wall_now() + 1, count_node,
		    &cnt, err, sizeof(err)) != 0)
			die("%s", err);
		t[r] = mono_now() - t0;
	}
	report("stale", t, reps);
	for (r = 0; r < reps; r++) {
		cnt = 0;
		t0 = mono_now();
		if (db_node_stale(b.db, "reaped", wall_now() + 1, count_node,
		    &cnt, err, sizeof(err)) != 0)
			die("%s", err);
		t[r] = mono_now() - t0;
	}
	report("reaped", t, reps);
	for (r = 0; r < (reps < 5 ? reps : 5); r++) {
		t0 = mono_now();
		for (i = 1; i <= have; i++) {
			snprintf(name, sizeof(name), "vm-%ld", i);
			if (db_node_by_name(b.db, name, &node, err,
			    sizeof(err)) < 0)
				die("%s", err);
		}
		t[r] = mono_now() - t0;
	}
	explicit_bzero(&node, sizeof(node));
	report("by-name", t, reps < 5 ? reps : 5);

	explicit_bzero(&b.k, sizeof(b.k));
	free(t);
	api_fini(&b.a);
	db_close(b.db);
	crypto_shutdown();
	return 0;
}
