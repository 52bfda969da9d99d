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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "crypto.h"
#include "db.h"
#include "log.h"
#include "names.h"
#include "sig.h"
#include "util.h"

#ifndef VNODE_DATADIR
#define VNODE_DATADIR "/usr/local/share/vnode"
#endif
#define USER_DATA_TEMPLATE VNODE_DATADIR "/user-data.yaml"
#define TEMPLATE_MAX (64 * 1024)

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: vnodectl [-f config] token create [--uses N] [--ttl DURATION]\n"
	    "           [--user-data [--hook-url URL] [--template FILE]]\n"
	    "       vnodectl [-f config] token list\n"
	    "       vnodectl [-f config] nodes\n"
	    "       vnodectl [-f config] retire NODE\n");
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

/* Write TEMPLATE with each @HOOK_URL@ and @JOIN_TOKEN@ replaced. */
static void
put_user_data(const char *tpl, size_t len, const char *url, const char *token)
{
	static const char hk[] = "@HOOK_URL@", tk[] = "@JOIN_TOKEN@";
	size_t i = 0;

	while (i < len) {
		if (len - i >= sizeof(hk) - 1 &&
		    memcmp(tpl + i, hk, sizeof(hk) - 1) == 0) {
			fputs(url, stdout);
			i += sizeof(hk) - 1;
		} else if (len - i >= sizeof(tk) - 1 &&
		    memcmp(tpl + i, tk, sizeof(tk) - 1) == 0) {
			fputs(token, stdout);
			i += sizeof(tk) - 1;
		} else
			putchar(tpl[i++]);
	}
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
		{ NULL, 0, NULL, 0 }
	};
	struct db_token t;
	char secret[SECRET_LEN + 1], err[256], when[32], url[300] = "";
	char token[TOKEN_LEN + 1];
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
			snprintf(url, sizeof(url), "http://%s:%d",
			    cfg->listen_host, cfg->listen_port);
		if (read_file(tplpath, TEMPLATE_MAX, &tpl, &tpllen, err,
		    sizeof(err)) != 0)
			fatalx("--user-data: template %s", err);
		if (memmem(tpl, tpllen, "@JOIN_TOKEN@", 12) == NULL ||
		    memmem(tpl, tpllen, "@HOOK_URL@", 10) == NULL)
			fatalx("--user-data: template %s has no @JOIN_TOKEN@ "
			    "or no @HOOK_URL@", tplpath);
	}
	memset(&t, 0, sizeof(t));
	if (sig_new_token_id(t.id) != 0 || sig_new_secret(secret) != 0 ||
	    sig_master(SIG_TOKEN, secret, t.master) != 0)
		fatalx("no random numbers");
	t.uses = uses;
	t.created = wall_now();
	t.expires = t.created + ttl;
	if (db_token_add(db, &t, err, sizeof(err)) != 0)
		fatalx("%s", err);
	explicit_bzero(t.master, sizeof(t.master));
	fmt_time(t.expires, when, sizeof(when));
	if (userdata) {
		snprintf(token, sizeof(token), "%s.%s", t.id, secret);
		put_user_data(tpl, tpllen, url, token);
		explicit_bzero(token, sizeof(token));
		free(tpl);
	} else
		printf("%s.%s\n", t.id, secret);
	fflush(stdout);
	explicit_bzero(secret, sizeof(secret));
	log_info("token %s: %ld use%s, expires %s", t.id, uses,
	    uses == 1 ? "" : "s", when);
	return 0;
}

static int
token_list(struct db *db)
{
	struct json_object *arr, *t, *insts;
	char err[256], when[32];
	size_t i, k, n;
	long now = wall_now();

	if ((arr = db_token_list(db, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	printf("%-16s %5s %5s  %-20s %-8s %s\n", "TOKEN", "USES", "USED",
	    "EXPIRES", "STATE", "INSTANCES");
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
		printf("%-16s %5ld %5ld  %-20s %-8s ", json_object_get_string(
		    json_object_object_get(t, "id")), uses, used, when,
		    now >= expires ? "expired" : used >= uses ? "spent" :
		    "valid");
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

static int
node_list(struct db *db)
{
	struct json_object *arr, *o;
	char err[256];
	size_t i, n;

#define F(key) json_object_get_string(json_object_object_get(o, key))
	if ((arr = db_node_list(db, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	printf("%-12s %-9s %-15s %-20s %-16s %s\n", "NODE", "STATE", "ADDR",
	    "HOSTNAME", "TOKEN", "INSTANCE");
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(arr, i);
		printf("%-12s %-9s %-15s %-20s %-16s %s\n", F("name"), F("state"),
		    F("addr"), F("hostname"), F("token"), F("instance"));
	}
#undef F
	json_object_put(arr);
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

int
main(int argc, char *argv[])
{
	struct hook_config cfg;
	const char *path = CONFIG_PATH;
	struct db *db;
	char err[512];
	int ch, rc;

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
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if (!((strcmp(argv[0], "token") == 0 && argc >= 2 &&
	    strcmp(argv[1], "create") == 0) ||
	    (strcmp(argv[0], "token") == 0 && argc == 2 &&
	    strcmp(argv[1], "list") == 0) ||
	    (strcmp(argv[0], "nodes") == 0 && argc == 1) ||
	    (strcmp(argv[0], "retire") == 0 && argc == 2)))
		usage();
	if (config_load(path, &cfg, err, sizeof(err)) != 0)
		fatalx("%s", err);
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
	else
		usage();
	db_close(db);
	crypto_shutdown();
	return rc;
}
