/*
 * admit-rate - bench/admit's measure of the hook's signature and registry
 * path alone: how many signed joins a second vnode-hookd's request code
 * (controller-hook/api.c, linked in) verifies and records, without HTTP
 * and without Slurm.
 *
 *   admit-rate [-n JOINS] [-r ROUNDS] DIR
 *
 * DIR gets a hookd.conf, a munge key and the registry (SQLite, as the hook
 * opens it: WAL, synchronous=FULL), so put it on the disk the hook's
 * registry would be on.  All requests are built and signed first, as
 * vnode-agent signs them, for JOINS new instances of one token a round.
 * Timed, one after the other in one thread, as the hook's HTTP thread
 * takes them:
 *
 *   new     api_handle() on each join (headers, token lookup, key
 *           derivation, HMAC check, clock, nonce recorded and old ones
 *           purged, body parsed, node inserted, committed), then
 *           api_join_finish() as if Slurm had taken the node (state
 *           admitted, committed; secrets sealed; answer signed)
 *   rejoin  the same instances again, new nonces (no token use, same
 *           node, the registry row updated)
 *
 * Prints one line a kind and round (ROUNDS of them, default 5; the disk's
 * fsync time varies with what else runs):
 *   rate KIND JOINS OK SECONDS JOINS_PER_SECOND CPU_SECONDS
 * (CPU_SECONDS: user and system time of the round; the rest of SECONDS is
 * waiting, mostly for the disk)
 * Exit status 0 when every join was answered 200.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admit.h"
#include "api.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "sig.h"
#include "util.h"

#define JOIN_PATH "/v1/join"

struct req {
	char body[256];
	size_t bodylen;
	char key[6 + TOKEN_ID_LEN + 1];
	char time[24];
	char nonce[SIG_NONCE_LEN + 1];
	char sig[SIG_HEX_LEN + 1];
	char peer[16];
};

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "admit-rate: ");
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

static void
sign_all(struct req *r, size_t n, long round, const struct sig_keys *k,
    const char *key)
{
	long ts = wall_now();
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(r[i].key, sizeof(r[i].key), "%s", key);
		snprintf(r[i].time, sizeof(r[i].time), "%ld", ts);
		r[i].bodylen = (size_t)snprintf(r[i].body, sizeof(r[i].body),
		    "{\"instance\":\"rate-%ld-%zu\",\"hostname\":\"rate-%zu\","
		    "\"cpus\":1,\"memory_mb\":1000,\"features\":[]}", round, i,
		    i);
		snprintf(r[i].peer, sizeof(r[i].peer), "10.%u.%u.%u",
		    (unsigned)(100 + i / 65536 % 100), (unsigned)(i / 256 % 256),
		    (unsigned)(i % 256));
		if (sig_new_nonce(r[i].nonce) != 0 ||
		    sig_request(k, "POST", JOIN_PATH, key, ts, r[i].nonce,
		    r[i].body, r[i].bodylen, r[i].sig) != 0)
			die("cannot sign");
	}
}

static double
cpu_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* The joins, one after the other; how many were answered 200. */
static size_t
run(struct api *a, const struct req *r, size_t n, double *secs, double *cpu)
{
	struct api_request rq;
	struct api_response rs, fin;
	size_t i, ok = 0;
	double t0 = mono_now(), c0 = cpu_now();

	for (i = 0; i < n; i++) {
		memset(&rq, 0, sizeof(rq));
		rq.method = "POST";
		rq.path = JOIN_PATH;
		rq.key = r[i].key;
		rq.time = r[i].time;
		rq.nonce = r[i].nonce;
		rq.sig = r[i].sig;
		rq.body = r[i].body;
		rq.bodylen = r[i].bodylen;
		rq.peer = r[i].peer;
		api_handle(a, &rq, &rs);
		if (rs.admission == NULL) {
			if (i == 0)
				fprintf(stderr, "admit-rate: %s\n", rs.log);
			api_response_free(&rs);
			continue;
		}
		/* Slurm's part is what this leaves out: the node is taken */
		api_join_finish(a, rs.admission, &fin);
		if (fin.status == 200 && fin.is_signed)
			ok++;
		else if (ok == 0)
			fprintf(stderr, "admit-rate: %s\n", fin.log);
		api_response_free(&fin);
		api_response_free(&rs);
	}
	*secs = mono_now() - t0;
	*cpu = cpu_now() - c0;
	return ok;
}

int
main(int argc, char *argv[])
{
	struct hook_config cfg;
	struct db_token t;
	struct sig_keys k;
	struct api a;
	struct db *db;
	struct req *r;
	unsigned char mkey[128];
	char path[4096], conf[8192], secret[SECRET_LEN + 1], key[64], err[512];
	const char *dir;
	long n = 2000, rounds = 5, round;
	size_t ok;
	double secs, cpu;
	int ch, rc = 0;

	while ((ch = getopt(argc, argv, "n:r:")) != -1) {
		if ((ch != 'n' && ch != 'r') || parse_long(optarg, 1, 1000000,
		    ch == 'n' ? &n : &rounds) != 0) {
			fprintf(stderr, "usage: admit-rate [-n joins] [-r rounds] "
			    "dir\n");
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "usage: admit-rate [-n joins] [-r rounds] dir\n");
		return 2;
	}
	dir = argv[optind];
	if (crypto_init(err, sizeof(err)) != 0)
		die("%s", err);

	/* the hook's files, as it would have them */
	snprintf(conf, sizeof(conf), "listen = 127.0.0.1:8181\n"
	    "database = %s/hookd.db\nmunge_key = %s/munge.key\n"
	    "conf_server = 127.0.0.1:6817\nfeatures = vnode\n", dir, dir);
	snprintf(path, sizeof(path), "%s/hookd.conf", dir);
	write_file(path, conf, strlen(conf), 0644);
	if (crypto_random(mkey, sizeof(mkey)) != 0)
		die("no random numbers");
	snprintf(path, sizeof(path), "%s/munge.key", dir);
	write_file(path, mkey, sizeof(mkey), 0600);
	explicit_bzero(mkey, sizeof(mkey));
	snprintf(path, sizeof(path), "%s/hookd.conf", dir);
	if (config_load(path, &cfg, err, sizeof(err)) != 0)
		die("%s", err);
	if (db_open(cfg.database, &db, err, sizeof(err)) != 0 ||
	    api_init(&a, &cfg, db, err, sizeof(err)) != 0)
		die("%s", err);

	/* one token for all of them, as one launch would have */
	memset(&t, 0, sizeof(t));
	if (sig_new_token_id(t.id) != 0 || sig_new_secret(secret) != 0 ||
	    sig_master(SIG_TOKEN, secret, t.master) != 0 ||
	    sig_keys_from_secret(SIG_TOKEN, secret, &k) != 0)
		die("no random numbers");
	t.uses = n * rounds;
	t.created = wall_now();
	t.expires = t.created + 3600;
	if (db_token_add(db, &t, err, sizeof(err)) != 0)
		die("%s", err);
	snprintf(key, sizeof(key), "token:%s", t.id);
	if ((r = calloc((size_t)n, sizeof(*r))) == NULL)
		die("out of memory");

	for (round = 0; round < rounds; round++) {
		sign_all(r, (size_t)n, round, &k, key);
		ok = run(&a, r, (size_t)n, &secs, &cpu);
		printf("rate new %ld %zu %.3f %.0f %.3f\n", n, ok, secs,
		    (double)ok / secs, cpu);
		rc |= ok != (size_t)n;
		sign_all(r, (size_t)n, round, &k, key);
		ok = run(&a, r, (size_t)n, &secs, &cpu);
		printf("rate rejoin %ld %zu %.3f %.0f %.3f\n", n, ok, secs,
		    (double)ok / secs, cpu);
		rc |= ok != (size_t)n;
	}

	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(&k, sizeof(k));
	free(r);
	api_fini(&a);
	db_close(db);
	crypto_shutdown();
	return rc;
}
