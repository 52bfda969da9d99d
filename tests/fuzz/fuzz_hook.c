/*
 * fuzz_hook - libFuzzer target for vnode-hookd's join request path:
 * api_handle() with POST /v1/join, from the headers through the signature,
 * clock and nonce checks to the JSON body and the registry, against a real
 * SQLite registry and a real hookd.conf, with the clock fixed.
 *
 * Only /v1/join is ever sent: the other endpoints talk to Slurm.  The join
 * leaves Slurm's part to admit.c, which is never started here; a join that
 * gets through is either dropped (as hookd does when the client goes away)
 * or finished with api_join_finish() as if admit.c had made the node.  So
 * that a change to api.c that reached Slurm would be caught rather than
 * hang on a controller that is not there, every sl_*() and the admit.c
 * entry points are wrapped at link time (-Wl,--wrap) into an abort.
 *
 * Input: one byte of shape, then "KEY\nTIME\nNONCE\nSIG\nBODY".  The body
 * is the rest of the input; a header the input ends before is absent.
 * The shape byte:
 *   bits 0-1  0: the headers as given (header parsing, refusals)
 *             1, 2: signed by the fuzzer with a join token, over the given
 *             body, so the body reaches the JSON parser and the registry
 *             3: signed with the node credential of a node joined first
 *   bits 2-3  which hookd.conf (0 source/dynamic, 1 reported/pool,
 *             2 metadata/conf with many long site features; 3 as 0)
 *   bits 4-5  which token: 0, 1 the good one, 2 one use, 3 expired
 *   bit 6     join instance i-0 (good token) first, and i-1 with the one-use
 *             token when that is the one chosen: rejoins, taken instances,
 *             used-up tokens
 *   bit 7     finish admissions with api_join_finish() instead of dropping
 *             them (the node joined first for shape 3 always is: its
 *             credential counts only from then on)
 * In the signed shapes an empty KEY, TIME or NONCE is filled in right (a
 * fresh nonce, the fixed time), and an empty SIG is computed; anything
 * given is sent as it is, and the signature is made over it.
 *
 * Besides what the sanitizers catch, an input fails when: a join is
 * neither held for admission nor refused (4xx/5xx); a refused join changed
 * the registry; an admission lost a site feature or one the node asked
 * for; api_join_finish() did not give a signed 200.
 *
 * The registry is made anew for every input, so that an input does the
 * same thing however often and in whatever order it is run.
 * FUZZ_HOOK_VERBOSE=1 prints each answer, for checking what a seed does.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "api.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "jsonutil.h"
#include "names.h"
#include "sig.h"
#include "util.h"

#define NOW		1700000000L	/* the hook's clock, fixed */
#define PEER		"192.0.2.7"
#define NCONF		3
#define NTOKEN		3
#define TOKEN_GOOD	0
#define TOKEN_ONCE	1
#define TOKEN_EXPIRED	2

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fixed secrets, not sig_new_secret() as vnodectl does: the same input
 * must meet the same tokens in every run. */
static const struct {
	const char *id;
	const char *secret;
	long uses;
	long expires;
} tokens[NTOKEN] = {
	{ "a0a0a0a0a0a0a0a0",
	    "0101010101010101010101010101010101010101010101010101010101010101",
	    100000, NOW + 10 * 365 * 86400L },
	{ "b1b1b1b1b1b1b1b1",
	    "0202020202020202020202020202020202020202020202020202020202020202",
	    1, NOW + 900 },
	{ "c2c2c2c2c2c2c2c2",
	    "0303030303030303030303030303030303030303030303030303030303030303",
	    100, NOW - 1 },
};

/* Long site features: together with a node's own they can come to more
 * than an admission's features[] holds. */
#define LONG_FEATURE(c) \
	c "123456789012345678901234567890123456789012345678901234567890"
static const char *const confs[NCONF] = {
	"conf_server = ctl.example.org:6817\n",
	"conf_server = 10.0.0.1:6817\nadmit = pool\naddr = reported\n"
	    "features = vnode, gpu\nclock_skew = 30s\n",
	"conf_server = ctl:6817\nadmit = conf\naddr = metadata\n"
	    "name_prefix = n-\nmount.home = 10.0.0.1:/home /home nfs ro,hard\n"
	    "features = " LONG_FEATURE("a") "," LONG_FEATURE("b") ","
	    LONG_FEATURE("c") "," LONG_FEATURE("d") "," LONG_FEATURE("e") ","
	    LONG_FEATURE("f") "," LONG_FEATURE("g") "," LONG_FEATURE("h") "\n",
};

static char dir[PATH_MAX], dbpath[PATH_MAX + 16], keypath[PATH_MAX + 16];
static struct hook_config cfg[NCONF];
static struct sig_keys tkeys[NTOKEN];
static struct api api;
static struct db *db;
static unsigned long seq;		/* nonces, from 1 for each input */
static int verbose;			/* FUZZ_HOOK_VERBOSE: each answer */

static void registry_remove(void);

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "fuzz_hook: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	/* abort() runs no atexit(): the files, at least, go now */
	registry_remove();
	rmdir(dir);
	abort();
}

/* Reaching any of these from a join is the bug this target looks for
 * first: the join path must not talk to Slurm or start admit.c. */
#define TRAP(fn) \
	void __wrap_##fn(void); \
	void __wrap_##fn(void) { die("%s called on the join path", #fn); }
TRAP(sl_init)
TRAP(sl_node_create)
TRAP(sl_nodes_create)
TRAP(sl_nodes_address)
TRAP(sl_node_future)
TRAP(sl_node_delete)
TRAP(sl_ping)
TRAP(sl_reconfigure)
TRAP(sl_node_down)
TRAP(sl_node_drain)
TRAP(sl_node_status)
TRAP(sl_nodes_status)
TRAP(sl_node_undrain)
TRAP(sl_node_each)
TRAP(sl_node_resume)
TRAP(sl_requeue_node_jobs)
TRAP(sl_jobs)
TRAP(sl_job)
TRAP(sl_job_uses)
TRAP(sl_job_requeue)
TRAP(sl_job_release)
TRAP(sl_node_jobs)
TRAP(admit_start)
TRAP(admit_submit)
TRAP(admit_remove)

static long
fixed_now(void)
{
	return NOW;
}

static void
write_file(const char *path, const void *buf, size_t len)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0 ||
	    write(fd, buf, len) != (ssize_t)len || close(fd) != 0)
		die("%s: %s", path, strerror(errno));
}

/* The registry's files; SQLite keeps what it has open. */
static void
registry_remove(void)
{
	char p[PATH_MAX + 32];

	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
}

static void
cleanup(void)
{
	db_close(db);
	db = NULL;
	registry_remove();
	rmdir(dir);
	api_fini(&api);
}

/* A registry with the three tokens and nothing else. */
static void
registry_new(void)
{
	struct db_token t;
	char err[512];
	int i;

	db_close(db);
	registry_remove();
	if (db_open(dbpath, &db, err, sizeof(err)) != 0)
		die("%s", err);
	for (i = 0; i < NTOKEN; i++) {
		memset(&t, 0, sizeof(t));
		snprintf(t.id, sizeof(t.id), "%s", tokens[i].id);
		if (sig_master(SIG_TOKEN, tokens[i].secret, t.master) != 0)
			die("sig_master");
		t.uses = tokens[i].uses;
		t.expires = tokens[i].expires;
		t.created = NOW - 60;
		/* what the prepared joins claim, and a few more */
		snprintf(t.features, sizeof(t.features), "ssd,gpu,bigmem,fast");
		if (db_token_add(db, &t, err, sizeof(err)) != 0)
			die("%s", err);
	}
	api.db = db;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	unsigned char key[1024];
	char p[PATH_MAX + 32], err[512];
	const char *tmp;
	int i;

	(void)argc;
	(void)argv;
	if (crypto_init(err, sizeof(err)) != 0)
		die("%s", err);
	/* tmpfs when there is one: the registry is made for every input,
	 * and SQLite syncs it (synchronous=FULL) */
	tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/fuzz_hook.XXXXXX",
	    tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		die("mkdtemp %s: %s", dir, strerror(errno));
	snprintf(dbpath, sizeof(dbpath), "%s/hookd.db", dir);
	snprintf(keypath, sizeof(keypath), "%s/munge.key", dir);
	if (crypto_random(key, sizeof(key)) != 0)
		die("no random numbers");
	write_file(keypath, key, sizeof(key));
	explicit_bzero(key, sizeof(key));
	for (i = 0; i < NCONF; i++) {
		char text[4096];

		snprintf(text, sizeof(text), "%sdatabase = %s\n"
		    "munge_key = %s\n", confs[i], dbpath, keypath);
		snprintf(p, sizeof(p), "%s/hookd%d.conf", dir, i);
		write_file(p, text, strlen(text));
		if (config_load(p, &cfg[i], err, sizeof(err)) != 0)
			die("%s", err);
		unlink(p);
	}
	for (i = 0; i < NTOKEN; i++)
		if (sig_keys_from_secret(SIG_TOKEN, tokens[i].secret,
		    &tkeys[i]) != 0)
			die("sig_keys_from_secret");
	if (api_init(&api, &cfg[0], NULL, err, sizeof(err)) != 0)
		die("%s", err);
	/* read, and needed no more: a run that crashes leaves less behind */
	unlink(keypath);
	api.now = fixed_now;
	verbose = getenv("FUZZ_HOOK_VERBOSE") != NULL;
	atexit(cleanup);
	return 0;
}

/* A request is in, an answer out.  What every join answer must be: held
 * for admission (and only then with one), or refused. */
static void
handle(const char *key, const char *time, const char *nonce,
    const char *sig, const char *body, size_t bodylen,
    struct api_response *rs)
{
	struct api_request rq;

	memset(&rq, 0, sizeof(rq));
	rq.method = "POST";
	rq.path = "/v1/join";
	rq.key = key;
	rq.time = time;
	rq.nonce = nonce;
	rq.sig = sig;
	rq.body = body;
	rq.bodylen = bodylen;
	rq.peer = PEER;
	api_handle(&api, &rq, rs);
	if (verbose)
		fprintf(stderr, "fuzz_hook: %d %s | %s\n", rs->status,
		    rs->body != NULL ? rs->body : "", rs->log);
	if (rs->suspend != (rs->admission != NULL))
		die("suspend %d with admission %p", rs->suspend,
		    (void *)rs->admission);
	if (!rs->suspend && (rs->status < 400 || rs->status > 599 ||
	    rs->body == NULL))
		die("join answered %d without an admission", rs->status);
}

/* The registry as vnodectl would show it: a refused join must leave it
 * as it was (api.c rolls back on any refusal). */
static char *
registry_text(void)
{
	struct json_object *t;
	struct text n = { NULL, 0, 0, 0 };
	char err[512], *s;

	/* the nodes as GET /v1/nodes has them, the tokens with the
	 * instances each let in */
	if (db_nodes_json(db, &n, err, sizeof(err)) != 0 ||
	    (t = db_token_list(db, err, sizeof(err))) == NULL)
		die("%s", err);
	if (asprintf(&s, "%s %s", n.s, json_object_to_json_string_ext(t,
	    JSON_C_TO_STRING_PLAIN)) < 0)
		die("out of memory");
	json_object_put(t);
	free(n.s);
	return s;
}

/* What goes to Slurm and into the answer: the site's features and the
 * node's own, each whole. */
static void
check_admission(const struct api_admission *ad, const char *body,
    size_t bodylen)
{
	struct json_object *o, *arr;
	char list[sizeof(ad->features) + 2], want[NAME_MAX_LEN + 3], err[256];
	size_t i;
	int k;

	snprintf(list, sizeof(list), ",%s,", ad->features);
	for (k = 0; k < api.cfg->nfeatures; k++) {
		snprintf(want, sizeof(want), ",%s,", api.cfg->features[k]);
		if (strstr(list, want) == NULL)
			die("site feature %s lost from \"%s\"",
			    api.cfg->features[k], ad->features);
	}
	if ((o = js_parse(body, bodylen, err, sizeof(err))) == NULL)
		die("a body the hook took does not parse: %s", err);
	if (json_object_object_get_ex(o, "features", &arr) && arr != NULL)
		for (i = 0; i < json_object_array_length(arr); i++) {
			const char *f = json_object_get_string(
			    json_object_array_get_idx(arr, i));

			snprintf(want, sizeof(want), ",%s,", f);
			if (strstr(list, want) == NULL)
				die("feature %s lost from \"%s\"", f,
				    ad->features);
		}
	json_object_put(o);
	if (!name_node_valid(ad->name))
		die("admission for a node named \"%s\"", ad->name);
}

/* Dropped, as when the client goes away before admit.c is done; or
 * answered as if admit.c had made the node, after the registry part of
 * what admit.c does: in pool mode, a slot for a node that needs one.  The
 * node's final name in name, when asked for. */
static void
settle(struct api_admission *ad, int finish, char name[64])
{
	struct api_response rs;
	char slot[64], err[256];

	if (finish && ad->need_slot) {
		snprintf(slot, sizeof(slot), "%s%ld", api.cfg->name_prefix,
		    ad->id);
		if (db_node_rename(db, ad->id, slot, err, sizeof(err)) != 0)
			die("%s", err);
		snprintf(ad->name, sizeof(ad->name), "%s", slot);
	}
	if (name != NULL)
		snprintf(name, 64, "%s", ad->name);
	if (!finish) {
		explicit_bzero(ad, sizeof(*ad));
		free(ad);
		return;
	}
	api_join_finish(&api, ad, &rs);		/* frees ad */
	if (rs.status != 200 || !rs.is_signed)
		die("join finished with %d (signed: %d): %s", rs.status,
		    rs.is_signed, rs.body != NULL ? rs.body : "");
	api_response_free(&rs);
}

static void
new_nonce(char out[SIG_NONCE_LEN + 1])
{
	snprintf(out, SIG_NONCE_LEN + 1, "%032lx", ++seq);
}

/* A join that gets through: the state the fuzzed request meets.  The
 * node's name and credential, when asked for. */
static void
prejoin(const char *instance, int tok, int finish, char name[64],
    char secret[SECRET_LEN + 1])
{
	struct api_response rs;
	char body[512], key[32], time[24], nonce[SIG_NONCE_LEN + 1];
	char sig[SIG_HEX_LEN + 1];
	int len;

	len = snprintf(body, sizeof(body), "{\"instance\":\"%s\","
	    "\"hostname\":\"%s.example.org\",\"cpus\":2,\"memory_mb\":2048,"
	    "\"features\":[\"ssd\"],\"local_addr\":\"10.0.0.5\","
	    "\"address\":\"10.0.0.6\"}", instance, instance);
	snprintf(key, sizeof(key), "token:%s", tokens[tok].id);
	snprintf(time, sizeof(time), "%ld", NOW);
	new_nonce(nonce);
	if (sig_request(&tkeys[tok], "POST", "/v1/join", key, NOW, nonce, body,
	    (size_t)len, sig) != 0)
		die("sig_request");
	handle(key, time, nonce, sig, body, (size_t)len, &rs);
	if (rs.admission == NULL)
		die("the first join of %s: %d %s", instance, rs.status,
		    rs.body != NULL ? rs.body : "");
	if (secret != NULL)
		snprintf(secret, SECRET_LEN + 1, "%s", rs.admission->secret);
	settle(rs.admission, finish, name);
	api_response_free(&rs);
}

/* The next header line, or NULL when the input ended before it. */
static char *
field(const uint8_t **p, const uint8_t *end, int *ended)
{
	const uint8_t *nl;
	char *s;

	if (*ended || *p == end) {
		*ended = 1;
		return NULL;
	}
	if ((nl = memchr(*p, '\n', (size_t)(end - *p))) == NULL) {
		nl = end;
		*ended = 1;
	}
	if ((s = strndup((const char *)*p, (size_t)(nl - *p))) == NULL)
		die("out of memory");
	*p = nl < end ? nl + 1 : end;
	return s;
}

static const char *
given(const char *s, const char *otherwise)
{
	return s != NULL && s[0] != '\0' ? s : otherwise;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int pick[4] = { TOKEN_GOOD, TOKEN_GOOD, TOKEN_ONCE,
	    TOKEN_EXPIRED };
	const uint8_t *p, *end = data + size;
	struct api_response rs;
	struct sig_keys nk;
	const struct sig_keys *k;
	char *h[4], *body, *before = NULL, *after;
	char name[64], secret[SECRET_LEN + 1], key[80], time[24];
	char nonce[SIG_NONCE_LEN + 1], sig[SIG_HEX_LEN + 1];
	const char *keyh, *timeh, *nonceh, *sigh;
	size_t bodylen = 0;
	long ts;
	int i, ended = 0, kind, tok, conf, finish;

	if (size < 1)
		return 0;
	kind = data[0] & 3;
	conf = (data[0] >> 2) & 3;
	tok = pick[(data[0] >> 4) & 3];
	finish = (data[0] & 0x80) != 0;
	p = data + 1;
	for (i = 0; i < 4; i++)
		h[i] = field(&p, end, &ended);
	/* as hookd gives it: NUL-terminated, "" when there is none */
	if (!ended)
		bodylen = (size_t)(end - p);
	if ((body = malloc(bodylen + 1)) == NULL)
		die("out of memory");
	if (bodylen > 0)
		memcpy(body, p, bodylen);
	body[bodylen] = '\0';
	api.cfg = &cfg[conf < NCONF ? conf : 0];
	/* hookd answers 413 itself */
	if (bodylen > (size_t)api.cfg->max_body)
		goto out;

	registry_new();
	seq = 0;
	name[0] = secret[0] = '\0';
	if (kind == 3 || (data[0] & 0x40)) {
		/* a node's credential is its own once it is in Slurm */
		prejoin("i-0", TOKEN_GOOD, finish || kind == 3, name, secret);
		if (kind != 3 && tok == TOKEN_ONCE)
			prejoin("i-1", TOKEN_ONCE, finish, NULL, NULL);
	}
	before = registry_text();

	if (kind == 0)
		handle(h[0], h[1], h[2], h[3], body, bodylen, &rs);
	else {
		if (kind == 3) {
			if (sig_keys_from_secret(SIG_NODE, secret, &nk) != 0)
				die("sig_keys_from_secret");
			k = &nk;
			snprintf(key, sizeof(key), "node:%s", name);
		} else {
			k = &tkeys[tok];
			snprintf(key, sizeof(key), "token:%s", tokens[tok].id);
		}
		snprintf(time, sizeof(time), "%ld", NOW);
		new_nonce(nonce);
		keyh = given(h[0], key);
		timeh = given(h[1], time);
		nonceh = given(h[2], nonce);
		if (parse_long(timeh, 0, 999999999999L, &ts) != 0)
			ts = NOW;
		/* a request sig_request() will not sign is refused for its
		 * headers before the signature is looked at */
		if (sig_request(k, "POST", "/v1/join", keyh, ts, nonceh, body,
		    bodylen, sig) != 0)
			sig[0] = '\0';
		sigh = given(h[3], sig);
		handle(keyh, timeh, nonceh, sigh, body, bodylen, &rs);
		explicit_bzero(&nk, sizeof(nk));
	}

	if (rs.admission != NULL) {
		check_admission(rs.admission, body, bodylen);
		settle(rs.admission, finish, NULL);
	} else {
		after = registry_text();
		if (strcmp(before, after) != 0)
			die("a refused join (%d %s) changed the registry:\n"
			    "%s\n%s", rs.status, rs.body, before, after);
		free(after);
	}
	api_response_free(&rs);
	explicit_bzero(secret, sizeof(secret));
out:
	free(before);
	for (i = 0; i < 4; i++)
		free(h[i]);
	free(body);
	return 0;
}
