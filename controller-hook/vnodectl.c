/*
 * vnodectl - the admin's side of vnode-hookd: join tokens and the node
 * registry.  See vnodectl(8).
 *
 * It works on the hook's database directly, as the user that owns it: run
 * as root, it becomes that user first, so that nothing it writes ends up
 * owned by root where the hook could not write it.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomicfile.h"
#include "config.h"
#include "crypto.h"
#include "ctl_elastic.h"
#include "ctl_overlay.h"
#include "db.h"
#include "log.h"
#include "names.h"
#include "sig.h"
#include "slurm.h"
#include "slurmcheck.h"
#include "timeline.h"
#include "tls.h"
#include "util.h"

#ifndef VNODE_DATADIR
#define VNODE_DATADIR "/usr/local/share/vnode"
#endif
#define USER_DATA_TEMPLATE VNODE_DATADIR "/user-data.yaml"
#define TEMPLATE_MAX (64 * 1024)
#define MIGRATE_WAIT 120		/* seconds, by default */
#define MIGRATE_WAIT_MAX 86400
#define TIMELINE_JOBS_MAX 64
#define TIMELINE_EVENTS_MAX 1000000

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: vnodectl [-f config] token create [--uses N] [--ttl DURATION]\n"
	    "           [--features F,...] [--user-data [--hook-url URL] "
	    "[--template FILE]]\n"
	    "       vnodectl [-f config] token list\n"
	    "       vnodectl [-f config] pin\n"
	    "       vnodectl [-f config] nodes\n"
	    "       vnodectl [-f config] retire NODE\n"
	    "       vnodectl [-f config] migrate JOB [--to NODE] [--wait SECONDS]\n"
	    "       vnodectl [-f config] events [--job JOB] [--since TIME]\n"
	    "       vnodectl [-f config] timeline --svg FILE [--job JOB ...] "
	    "[--since TIME]\n"
	    "       vnodectl [-f config] check-slurm\n"
	    "       vnodectl [-f config] resume|suspend|resume-fail HOSTLIST\n"
	    "       vnodectl [-f config] provision N [--partition P]\n"
	    "       vnodectl [-f config] deprovision NODE...\n"
	    "       vnodectl [-f config] instances [--all]\n"
	    "       vnodectl [-f config] slurm-conf [--nodes LIST] [--cpus N] "
	    "[--memory MB]\n"
	    "           [--partition P] [--features F] [--bindir DIR]\n"
	    "       vnodectl [-f config] overlay [peers]\n"
	    "       vnodectl [-f config] overlay route [--via ADDRESS] "
	    "[--interface IF] [--hosts NETWORK]\n"
	    "       vnodectl [-f config] overlay host NAME PUBLIC-KEY | "
	    "host-remove NAME\n"
	    "       vnodectl prolog\n"
	    "       (as vnode-resume, vnode-suspend, vnode-resume-fail: "
	    "HOSTLIST; as vnode-prolog)\n");
	exit(2);
}

static void
become_owner(const char *dbpath)
{
	char copy[PATH_MAX];
	struct stat st;

	if (geteuid() != 0)
		return;
	if (stat(dbpath, &st) != 0) {
		snprintf(copy, sizeof(copy), "%s", dbpath);
		if (stat(dirname(copy), &st) != 0)
			fatal("%s", copy);
	}
	if (st.st_uid == 0)
		return;
	if (setgroups(0, NULL) != 0 || setgid(st.st_gid) != 0 ||
	    setuid(st.st_uid) != 0)
		fatal("cannot become uid %u, the database's owner",
		    (unsigned)st.st_uid);
}

static void
fmt_time(long t, char *out, size_t outsz)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * The hook's URL as the nodes reach it goes into YAML between double
 * quotes: http(s)://, then printable ASCII without quotes, backslashes or
 * blanks.
 */
static int
url_ok(const char *u)
{
	const char *p;

	if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
		return 0;
	if (strlen(u) > 256)
		return 0;
	for (p = u; *p != '\0'; p++)
		if (*p <= ' ' || *p > '~' || *p == '"' || *p == '\\')
			return 0;
	return 1;
}

/* Write TEMPLATE with each @HOOK_URL@, @JOIN_TOKEN@ and @HOOK_PIN@
 * replaced ("" for the pin of a plain http hook). */
static void
put_user_data(const char *tpl, size_t len, const char *url, const char *token,
    const char *pin)
{
	static const char *const mark[] = { "@HOOK_URL@", "@JOIN_TOKEN@",
	    "@HOOK_PIN@" };
	const char *val[] = { url, token, pin };
	size_t i = 0, k, n;

	while (i < len) {
		for (k = 0; k < 3; k++) {
			n = strlen(mark[k]);
			if (len - i >= n && memcmp(tpl + i, mark[k], n) == 0)
				break;
		}
		if (k < 3) {
			fputs(val[k], stdout);
			i += strlen(mark[k]);
		} else
			putchar(tpl[i++]);
	}
}

/* The pin of the certificate the hook serves (tls.h). */
static int
served_pin(const struct hook_config *cfg, char pin[TLS_PIN_LEN + 1],
    char *err, size_t errlen)
{
	char cert[PATH_MAX], key[PATH_MAX], e2[512], *pem = NULL;
	size_t len = 0;
	int rc;

	tls_paths(cfg, cert, sizeof(cert), key, sizeof(key));
	if (read_file(cert, 256 * 1024, &pem, &len, e2, sizeof(e2)) != 0)
		return errf(err, errlen, "the hook's certificate: %s%s", e2,
		    cfg->tls_cert[0] ? "" : " (vnode-hookd makes it when it "
		    "first starts with tls = on)");
	rc = tls_pin_of_pem(pem, len, pin, e2, sizeof(e2));
	free(pem);
	if (rc != 0)
		return errf(err, errlen, "%s: %s", cert, e2);
	return 0;
}

static int
pin_print(const struct hook_config *cfg)
{
	char pin[TLS_PIN_LEN + 1], err[1100];

	if (!cfg->tls)
		fatalx("tls = off: the hook serves plain http, and has no "
		    "certificate to pin");
	if (served_pin(cfg, pin, err, sizeof(err)) != 0)
		fatalx("%s", err);
	printf("%s\n", pin);
	return 0;
}

/* "a,b,c": up to 16 features, each as Slurm takes them, no repeats;
 * written back without blanks into out. */
static int
features_arg(const char *v, char *out, size_t outsz)
{
	char buf[1200], *t, *save = NULL, list[16][64];
	size_t used = 0;
	int n = 0, i;

	if (strlen(v) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", v);
	out[0] = '\0';
	for (t = strtok_r(buf, ", ", &save); t != NULL;
	    t = strtok_r(NULL, ", ", &save)) {
		if (!name_feature_valid(t) || n == 16)
			return -1;
		for (i = 0; i < n; i++)
			if (strcmp(list[i], t) == 0)
				return -1;
		snprintf(list[n++], sizeof(list[0]), "%s", t);
		used += (size_t)snprintf(out + used, outsz - used, "%s%s",
		    used ? "," : "", t);
		if (used >= outsz)
			return -1;
	}
	return n > 0 ? 0 : -1;
}

static int
token_create(struct db *db, const struct hook_config *cfg, int argc,
    char *argv[])
{
	static const struct option opts[] = {
		{ "uses", required_argument, NULL, 'u' },
		{ "ttl", required_argument, NULL, 't' },
		{ "user-data", no_argument, NULL, 'd' },
		{ "hook-url", required_argument, NULL, 'h' },
		{ "template", required_argument, NULL, 'T' },
		{ "features", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 }
	};
	struct db_token t;
	char secret[SECRET_LEN + 1], err[1100], when[32], url[300] = "";
	char token[TOKEN_LEN + 1], features[1100] = "", pin[TLS_PIN_LEN + 1] = "";
	const char *tplpath = USER_DATA_TEMPLATE;
	char *tpl = NULL;
	size_t tpllen = 0;
	long uses = cfg->default_uses, ttl = cfg->default_ttl;
	int ch, userdata = 0, tplset = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'u':
			if (parse_long(optarg, 1, 100000, &uses) != 0)
				fatalx("--uses: \"%s\" is not a number from 1 to "
				    "100000", optarg);
			break;
		case 't':
			if (parse_duration(optarg, 1, 30 * 86400, &ttl) != 0)
				fatalx("--ttl: \"%s\" is not a duration from 1s to "
				    "30d (like 900, 15m, 2h)", optarg);
			break;
		case 'd':
			userdata = 1;
			break;
		case 'h':
			if (!url_ok(optarg))
				fatalx("--hook-url: \"%s\" is not an http:// or "
				    "https:// URL of printable characters without "
				    "blanks or quotes", optarg);
			snprintf(url, sizeof(url), "%s", optarg);
			break;
		case 'T':
			tplpath = optarg;
			tplset = 1;
			break;
		case 'F':
			if (features_arg(optarg, features, sizeof(features)) != 0)
				fatalx("--features: \"%s\" is not a list of up to 16 "
				    "Slurm features ([A-Za-z0-9_.-], comma-"
				    "separated)", optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (!userdata && (url[0] != '\0' || tplset))
		fatalx("--hook-url and --template go with --user-data");
	if (userdata) {
		/* the hook as the nodes reach it: its listen address */
		if (url[0] == '\0' && strcmp(cfg->listen_host, "*") == 0)
			fatalx("--user-data: the hook listens on every address "
			    "(listen = *:%d); give --hook-url URL as the nodes "
			    "reach it", cfg->listen_port);
		if (url[0] == '\0')
			snprintf(url, sizeof(url), "%s://%s:%d", cfg->tls ?
			    "https" : "http", cfg->listen_host, cfg->listen_port);
		if ((strncmp(url, "https://", 8) == 0) != cfg->tls)
			fatalx("--hook-url %s: the hook serves %s (tls = %s)", url,
			    cfg->tls ? "https" : "plain http",
			    cfg->tls ? "on" : "off");
		if (read_file(tplpath, TEMPLATE_MAX, &tpl, &tpllen, err,
		    sizeof(err)) != 0)
			fatalx("--user-data: template %s", err);
		if (memmem(tpl, tpllen, "@JOIN_TOKEN@", 12) == NULL ||
		    memmem(tpl, tpllen, "@HOOK_URL@", 10) == NULL)
			fatalx("--user-data: template %s has no @JOIN_TOKEN@ "
			    "or no @HOOK_URL@", tplpath);
		if (cfg->tls && memmem(tpl, tpllen, "@HOOK_PIN@", 10) == NULL)
			log_warnx("--user-data: template %s has no @HOOK_PIN@: "
			    "the nodes will check the hook's certificate against "
			    "their CA list, not its pin", tplpath);
	}
	/* the nodes' user data needs the pin; a bare token is told it */
	if (cfg->tls && served_pin(cfg, pin, err, sizeof(err)) != 0) {
		if (userdata)
			fatalx("--user-data: %s", err);
		pin[0] = '\0';
	}
	memset(&t, 0, sizeof(t));
	if (sig_new_token_id(t.id) != 0 || sig_new_secret(secret) != 0 ||
	    sig_master(SIG_TOKEN, secret, t.master) != 0)
		fatalx("no random numbers");
	t.uses = uses;
	snprintf(t.features, sizeof(t.features), "%s", features);
	t.created = wall_now();
	t.expires = t.created + ttl;
	if (db_token_add(db, &t, err, sizeof(err)) != 0)
		fatalx("%s", err);
	explicit_bzero(t.master, sizeof(t.master));
	fmt_time(t.expires, when, sizeof(when));
	if (userdata) {
		snprintf(token, sizeof(token), "%s.%s", t.id, secret);
		put_user_data(tpl, tpllen, url, token, pin);
		explicit_bzero(token, sizeof(token));
		free(tpl);
	} else
		printf("%s.%s\n", t.id, secret);
	fflush(stdout);
	explicit_bzero(secret, sizeof(secret));
	log_info("token %s: %ld use%s, expires %s%s%s", t.id, uses,
	    uses == 1 ? "" : "s", when, pin[0] ? "; the hook's pin: " : "",
	    pin);
	return 0;
}

static int
token_list(struct db *db)
{
	struct json_object *arr, *t, *insts;
	const char *f;
	char err[256], when[32];
	size_t i, k, n;
	long now = wall_now();

	if ((arr = db_token_list(db, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	printf("%-16s %5s %5s  %-20s %-8s %-16s %s\n", "TOKEN", "USES", "USED",
	    "EXPIRES", "STATE", "FEATURES", "INSTANCES");
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		long uses, used, expires;

		t = json_object_array_get_idx(arr, i);
		uses = (long)json_object_get_int64(json_object_object_get(t,
		    "uses"));
		used = (long)json_object_get_int64(json_object_object_get(t,
		    "used"));
		expires = (long)json_object_get_int64(json_object_object_get(t,
		    "expires"));
		fmt_time(expires, when, sizeof(when));
		f = json_object_get_string(json_object_object_get(t,
		    "features"));
		printf("%-16s %5ld %5ld  %-20s %-8s %-16s ",
		    json_object_get_string(json_object_object_get(t, "id")), uses,
		    used, when, now >= expires ? "expired" : used >= uses ?
		    "spent" : "valid", f != NULL && f[0] != '\0' ? f : "-");
		insts = json_object_object_get(t, "instances");
		for (k = 0; k < json_object_array_length(insts); k++) {
			struct json_object *b = json_object_array_get_idx(insts, k);

			printf("%s%s=%s", k ? "," : "", json_object_get_string(
			    json_object_object_get(b, "instance")),
			    json_object_get_string(json_object_object_get(b,
			    "node")));
		}
		printf("%s\n", json_object_array_length(insts) ? "" : "-");
	}
	json_object_put(arr);
	return 0;
}

static void
node_line(void *arg, const struct db_node *n)
{
	(void)arg;
	/* admitted, but drained until its agent says its mounts are
	 * verified */
	printf("%-12s %-9s %-15s %-20s %-16s %s\n", n->name, n->held &&
	    strcmp(n->state, "admitted") == 0 ? "held" : n->state, n->addr,
	    n->hostname, n->token, n->instance);
}

static int
node_list(struct db *db)
{
	char err[256];

	printf("%-12s %-9s %-15s %-20s %-16s %s\n", "NODE", "STATE", "ADDR",
	    "HOSTNAME", "TOKEN", "INSTANCE");
	if (db_node_each(db, node_line, NULL, err, sizeof(err)) != 0)
		fatalx("%s", err);
	return 0;
}

/* The node leaves by itself when its agent next hears from the hook. */
static int
retire(struct db *db, const char *name)
{
	struct db_node n;
	char err[256];
	int rc;

	if (!name_node_valid(name))
		fatalx("retire: \"%s\" is not a node name", name);
	if ((rc = db_node_by_name(db, name, &n, err, sizeof(err))) < 0)
		fatalx("%s", err);
	explicit_bzero(n.master, sizeof(n.master));
	if (rc > 0)
		fatalx("retire: no node %s in the registry", name);
	if (strcmp(n.state, "admitted") != 0)
		fatalx("retire: %s is %s, not admitted", name, n.state);
	if (db_order_add(db, name, "retire", "", wall_now(), err,
	    sizeof(err)) != 0)
		fatalx("%s", err);
	log_info("%s will drain, requeue its jobs and leave at its next "
	    "heartbeat", name);
	return 0;
}


/* A job id as Slurm has them. */
static long
job_arg(const char *what, const char *s)
{
	long job;

	if (parse_long(s, 1, 4294967293L, &job) != 0)
		fatalx("%s: \"%s\" is not a job id", what, s);
	return job;
}

/* --since: a Unix time (seconds, a fraction allowed) or an ISO 8601 UTC
 * time as vnodectl events prints it (2025-01-31T12:00:00Z). */
static double
since_arg(const char *s)
{
	struct tm tm;
	const char *end;
	double t;

	if (parse_seconds(s, 0, 1e11, &t) == 0)
		return t;
	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) != NULL) {
		double frac = 0;

		if (*end == '.') {
			char *e2;

			frac = strtod(end, &e2);
			end = e2;
		}
		if (strcmp(end, "Z") == 0)
			return (double)timegm(&tm) + frac;
	}
	fatalx("--since: \"%s\" is not a Unix time or a UTC time like "
	    "2025-01-31T12:00:00Z", s);
}

static void
fmt_time_exact(double t, char *out, size_t outsz)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char s[32];
	int ms = (int)((t - (double)tt) * 1000);

	gmtime_r(&tt, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, outsz, "%s.%03dZ", s, ms < 0 ? 0 : ms > 999 ? 999 : ms);
}

static void
print_event(const struct db_event *e)
{
	char when[40], job[24];

	fmt_time_exact(e->time, when, sizeof(when));
	if (e->job > 0)
		snprintf(job, sizeof(job), "%ld", e->job);
	else
		snprintf(job, sizeof(job), "-");
	printf("%s %-12s %-8s %-17s %s\n", when, e->node[0] != '\0' ?
	    e->node : "-", job, e->kind, e->detail);
}

static int
print_one(void *arg, const struct db_event *e)
{
	int *n = arg;

	print_event(e);
	(*n)++;
	return 0;
}

static int
events(struct db *db, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "job", required_argument, NULL, 'j' },
		{ "since", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	char err[256];
	double since = 0;
	long job = 0;
	int ch, n = 0;

	optind = 0;	/* glibc: start anew, permuting (main's "+" no more) */
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			job = job_arg("--job", optarg);
			break;
		case 's':
			since = since_arg(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (db_event_list(db, since, 0, job, print_one, &n, err,
	    sizeof(err)) != 0)
		fatalx("%s", err);
	fflush(stdout);
	if (n == 0 && job > 0)
		log_info("no events of job %ld", job);
	return 0;
}

struct collect {
	struct db_event *ev;
	size_t n, cap;
	const long *jobs;
	size_t njobs;
	int oom;
};

static int
collect_one(void *arg, const struct db_event *e)
{
	struct collect *c = arg;
	size_t i;

	if (c->njobs > 0) {
		for (i = 0; i < c->njobs; i++)
			if (c->jobs[i] == e->job)
				break;
		if (i == c->njobs)
			return 0;
	}
	if (c->n == TIMELINE_EVENTS_MAX)
		return 1;
	if (array_grow(&c->ev, &c->cap, c->n, sizeof(*c->ev), 256) != 0) {
		c->oom = 1;
		return 1;
	}
	c->ev[c->n++] = *e;
	return 0;
}

static int
timeline(struct db *db, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "svg", required_argument, NULL, 'o' },
		{ "job", required_argument, NULL, 'j' },
		{ "since", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	struct collect c;
	long jobs[TIMELINE_JOBS_MAX];
	const char *file = NULL;
	char err[512], *svg = NULL;
	double since = 0;
	size_t i, k, len;
	int ch, found;

	memset(&c, 0, sizeof(c));
	optind = 0;	/* glibc: start anew, permuting (main's "+" no more) */
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			file = optarg;
			break;
		case 'j':
			if (c.njobs == TIMELINE_JOBS_MAX)
				fatalx("--job: at most %d of them",
				    TIMELINE_JOBS_MAX);
			jobs[c.njobs++] = job_arg("--job", optarg);
			break;
		case 's':
			since = since_arg(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || file == NULL)
		usage();
	if (file[0] == '\0')
		fatalx("--svg: no file name");
	c.jobs = jobs;
	if (db_event_list(db, since, 0, 0, collect_one, &c, err,
	    sizeof(err)) != 0)
		fatalx("%s", err);
	if (c.oom)
		fatalx("out of memory");
	for (i = 0; i < c.njobs; i++) {
		for (found = 0, k = 0; k < c.n && !found; k++)
			found = c.ev[k].job == jobs[i];
		if (!found)
			fatalx("timeline: job %ld: no events%s", jobs[i],
			    since > 0 ? " since then" : "");
	}
	if (c.n == 0)
		fatalx("timeline: no events%s", since > 0 ? " since then" : "");
	if (timeline_svg(c.ev, c.n, wall_time(), &svg, &len, err,
	    sizeof(err)) != 0)
		fatalx("timeline: %s", err);
	if (af_write(file, svg, len, 0644, (uid_t)-1, (gid_t)-1, err,
	    sizeof(err)) != 0)
		fatalx("timeline: %s", err);
	log_info("timeline of %zu events written to %s", c.n, file);
	free(svg);
	free(c.ev);
	return 0;
}

struct watch {
	long last;
	int outcome;		/* 0 none yet, 1 restored, -1 failed */
	char why[DB_DETAIL_MAX + 64];
};

static int
watch_one(void *arg, const struct db_event *e)
{
	struct watch *w = arg;

	w->last = e->id;
	print_event(e);
	if (strcmp(e->kind, "restore") == 0)
		w->outcome = 1;
	else if (strcmp(e->kind, "checkpoint-failed") == 0 ||
	    strcmp(e->kind, "restore-failed") == 0 ||
	    strcmp(e->kind, "release-failed") == 0) {
		w->outcome = -1;
		snprintf(w->why, sizeof(w->why), "%s: %s", e->kind, e->detail);
	}
	return w->outcome != 0;
}

static int
migrate(struct db *db, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "wait", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 }
	};
	struct watch w;
	struct db_node n;
	struct sl_job j;
	const char *to = NULL;
	char err[512], arg[96];
	double deadline;
	long job, wait = MIGRATE_WAIT, after;
	int ch, rc;

	optind = 0;	/* glibc: start anew, permuting (main's "+" no more) */
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 't':
			to = optarg;
			break;
		case 'w':
			if (parse_long(optarg, 0, MIGRATE_WAIT_MAX, &wait) != 0)
				fatalx("--wait: \"%s\" is not a number of seconds "
				    "from 0 to %d", optarg, MIGRATE_WAIT_MAX);
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	job = job_arg("migrate", argv[optind]);
	if (to != NULL && !name_node_valid(to))
		fatalx("--to: \"%s\" is not a node name", to);
	if (sl_init(err, sizeof(err)) != 0)
		fatalx("slurm: %s", err);
	if ((rc = sl_job((unsigned long)job, &j, err, sizeof(err))) < 0)
		fatalx("slurm: %s", err);
	if (rc > 0)
		fatalx("migrate: Slurm does not know job %ld", job);
	if (j.state != SL_JOB_RUNNING && j.state != SL_JOB_SUSPENDED)
		fatalx("migrate: job %ld is %s, not running", job, j.state_text);
	/* the job's node and the target: nodes the hook admitted */
	if ((rc = db_node_by_name(db, j.node, &n, err, sizeof(err))) < 0)
		fatalx("%s", err);
	explicit_bzero(n.master, sizeof(n.master));
	if (rc > 0 || strcmp(n.state, "admitted") != 0)
		fatalx("migrate: job %ld runs on %s, which is not an admitted "
		    "vnode node", job, j.node);
	if (to != NULL) {
		if (strcmp(to, j.node) == 0)
			fatalx("--to: job %ld runs on %s already", job, to);
		if ((rc = db_node_by_name(db, to, &n, err, sizeof(err))) < 0)
			fatalx("%s", err);
		explicit_bzero(n.master, sizeof(n.master));
		if (rc > 0)
			fatalx("--to: no node %s in the registry", to);
		if (strcmp(n.state, "admitted") != 0)
			fatalx("--to: %s is %s, not admitted", to, n.state);
	}
	if ((rc = db_checkpoint_open(db, job, wall_now(), err,
	    sizeof(err))) < 0)
		fatalx("%s", err);
	if (rc > 0)
		fatalx("migrate: a checkpoint of job %ld is under way already",
		    job);
	if (db_event_newest(db, &after, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (to != NULL)
		snprintf(arg, sizeof(arg), "%ld %s", job, to);
	else
		snprintf(arg, sizeof(arg), "%ld", job);
	if (db_order_add(db, j.node, "checkpoint", arg, wall_now(), err,
	    sizeof(err)) != 0)
		fatalx("%s", err);
	log_info("job %ld on %s: checkpoint ordered%s%s", job, j.node,
	    to != NULL ? ", to move to " : "", to != NULL ? to : "");
	if (wait == 0)
		return 0;
	memset(&w, 0, sizeof(w));
	w.last = after;
	deadline = mono_now() + (double)wait;
	for (;;) {
		if (db_event_list(db, 0, w.last, job, watch_one, &w, err,
		    sizeof(err)) != 0)
			fatalx("%s", err);
		fflush(stdout);
		if (w.outcome != 0 || mono_now() >= deadline)
			break;
		sleep_seconds(0.25, NULL);
	}
	sl_fini();
	if (w.outcome > 0) {
		log_info("job %ld restored", job);
		return 0;
	}
	if (w.outcome < 0)
		fatalx("migrate: job %ld: %s", job, w.why);
	fatalx("migrate: job %ld: no restore within %ld s", job, wait);
}

static void
check_line(void *arg, enum sc_level level, const char *setting,
    const char *text)
{
	(void)arg;
	printf("%-4s %s: %s\n", level == SC_OK ? "ok" : "warn", setting,
	    text);
}

/* The running slurmctld's settings against what vnode wants; 1 when
 * something is missing. */
static int
check_slurm(const struct hook_config *cfg)
{
	struct sl_conf c;
	char err[512];
	int n;

	if (sl_init(err, sizeof(err)) != 0)
		fatalx("slurm: %s", err);
	if (sl_conf_load(&c, err, sizeof(err)) != 0)
		fatalx("slurm: %s", err);
	sl_fini();
	n = slurmcheck(&c, cfg, check_line, NULL);
	if (n == 0)
		printf("check-slurm: configuration OK for vnode (admit = %s%s)\n",
		    cfg->admit, cfg->nckpt_partitions > 0 ?
		    ", ckpt_partitions" : "");
	else
		printf("check-slurm: %d warning%s\n", n, n == 1 ? "" : "s");
	return n == 0 ? 0 : 1;
}

int
main(int argc, char *argv[])
{
	struct hook_config cfg;
	const char *path = CONFIG_PATH;
	struct db *db;
	char err[512];
	int ch, rc;

	/* Slurm's power saving programs take one argument, the host list,
	 * and slurmctld's PrologSlurmctld none: they are vnodectl by other
	 * names */
	{
		const char *me = strrchr(argv[0], '/');
		static char *verb[4];

		me = me != NULL ? me + 1 : argv[0];
		if (strcmp(me, "vnode-prolog") == 0) {
			log_init("vnode-prolog", 0);
			return ctl_prolog();
		}
		if (strncmp(me, "vnode-", 6) == 0 && (strcmp(me + 6, "resume") ==
		    0 || strcmp(me + 6, "suspend") == 0 || strcmp(me + 6,
		    "resume-fail") == 0)) {
			if (argc != 2) {
				fprintf(stderr, "usage: %s HOSTLIST\n", me);
				return 2;
			}
			verb[0] = argv[0];
			verb[1] = (char *)(uintptr_t)(me + 6);
			verb[2] = argv[1];
			verb[3] = NULL;
			argv = verb;
			argc = 3;
			optind = 1;
			log_init(me, 0);
			goto parsed;
		}
	}
	log_init("vnodectl", 0);
	while ((ch = getopt(argc, argv, "+f:")) != -1) {
		switch (ch) {
		case 'f':
			path = optarg;
			break;
		default:
			usage();
		}
	}
parsed:
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if (strcmp(argv[0], "prolog") == 0 && argc == 1)
		return ctl_prolog();
	if (!((strcmp(argv[0], "token") == 0 && argc >= 2 &&
	    strcmp(argv[1], "create") == 0) ||
	    (strcmp(argv[0], "token") == 0 && argc == 2 &&
	    strcmp(argv[1], "list") == 0) ||
	    (strcmp(argv[0], "nodes") == 0 && argc == 1) ||
	    (strcmp(argv[0], "pin") == 0 && argc == 1) ||
	    (strcmp(argv[0], "retire") == 0 && argc == 2) ||
	    (strcmp(argv[0], "migrate") == 0 && argc >= 2) ||
	    (strcmp(argv[0], "check-slurm") == 0 && argc == 1) ||
	    ((strcmp(argv[0], "resume") == 0 || strcmp(argv[0], "suspend") == 0 ||
	    strcmp(argv[0], "resume-fail") == 0) && argc == 2) ||
	    strcmp(argv[0], "provision") == 0 ||
	    strcmp(argv[0], "deprovision") == 0 ||
	    strcmp(argv[0], "instances") == 0 ||
	    strcmp(argv[0], "slurm-conf") == 0 ||
	    strcmp(argv[0], "overlay") == 0 ||
	    strcmp(argv[0], "events") == 0 || strcmp(argv[0], "timeline") == 0))
		usage();
	if (config_load(path, &cfg, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (strcmp(argv[0], "pin") == 0)
		return pin_print(&cfg);
	/* (Slurm only, no registry) */
	if (strcmp(argv[0], "check-slurm") == 0)
		return check_slurm(&cfg);
	become_owner(cfg.database);
	if (crypto_init(err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (db_open(cfg.database, &db, err, sizeof(err)) != 0)
		fatalx("registry: %s", err);
	if (strcmp(argv[0], "token") == 0 && argc >= 2 &&
	    strcmp(argv[1], "create") == 0)
		rc = token_create(db, &cfg, argc - 1, argv + 1);
	else if (strcmp(argv[0], "token") == 0 && argc == 2 &&
	    strcmp(argv[1], "list") == 0)
		rc = token_list(db);
	else if (strcmp(argv[0], "nodes") == 0 && argc == 1)
		rc = node_list(db);
	else if (strcmp(argv[0], "retire") == 0 && argc == 2)
		rc = retire(db, argv[1]);
	else if (strcmp(argv[0], "migrate") == 0)
		rc = migrate(db, argc, argv);
	else if (strcmp(argv[0], "events") == 0)
		rc = events(db, argc, argv);
	else if (strcmp(argv[0], "timeline") == 0)
		rc = timeline(db, argc, argv);
	else if (strcmp(argv[0], "resume") == 0 ||
	    strcmp(argv[0], "suspend") == 0 || strcmp(argv[0], "resume-fail") == 0)
		rc = ctl_power(db, &cfg, argv[0], argv[1]);
	else if (strcmp(argv[0], "provision") == 0)
		rc = ctl_provision(&cfg, argc, argv);
	else if (strcmp(argv[0], "deprovision") == 0)
		rc = ctl_deprovision(db, &cfg, argc, argv);
	else if (strcmp(argv[0], "instances") == 0)
		rc = ctl_instances(db, argc, argv);
	else if (strcmp(argv[0], "slurm-conf") == 0)
		rc = ctl_slurm_conf(&cfg, argc, argv);
	else if (strcmp(argv[0], "overlay") == 0)
		rc = ctl_overlay(db, &cfg, argc, argv);
	else
		usage();
	db_close(db);
	crypto_shutdown();
	return rc;
}
