/*
 * test_util - bounded parsers, hex, JSON reading, running programs, and
 * atomic file replacement.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cmocka.h>

#include "atomicfile.h"
#include "crypto.h"
#include "jsonutil.h"
#include "log.h"
#include "spawn.h"
#include "sysuser.h"
#include "util.h"

static void
test_parse(void **state)
{
	long v;
	double d;

	(void)state;
	assert_int_equal(parse_long("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_long("101", 0, 100, &v), -1);
	assert_int_equal(parse_long("", 0, 100, &v), -1);
	assert_int_equal(parse_long(" 4", 0, 100, &v), -1);
	assert_int_equal(parse_long("4 ", 0, 100, &v), -1);
	assert_int_equal(parse_long("+4", 0, 100, &v), -1);
	assert_int_equal(parse_long("0x10", 0, 100, &v), -1);
	assert_int_equal(parse_long("99999999999999999999", 0, 100, &v), -1);
	assert_int_equal(parse_duration("15m", 1, 86400, &v), 0);
	assert_int_equal(v, 900);
	assert_int_equal(parse_duration("2h", 1, 86400, &v), 0);
	assert_int_equal(v, 7200);
	assert_int_equal(parse_duration("90", 1, 86400, &v), 0);
	assert_int_equal(v, 90);
	assert_int_equal(parse_duration("2d", 1, 86400, &v), -1);
	assert_int_equal(parse_duration("m", 1, 86400, &v), -1);
	assert_int_equal(parse_duration("5x", 1, 86400, &v), -1);
	assert_int_equal(parse_seconds("0.5", 0, 1, &d), 0);
	assert_true(d == 0.5);
	assert_int_equal(parse_seconds("nan", 0, 1, &d), -1);
	assert_int_equal(parse_seconds("1e-3", 0, 1, &d), -1);
	assert_int_equal(parse_seconds("2", 0, 1, &d), -1);
}

static void
test_hex(void **state)
{
	unsigned char b[3] = { 0x00, 0xab, 0xff }, back[3];
	char h[7];

	(void)state;
	hex_encode(b, 3, h);
	assert_string_equal(h, "00abff");
	assert_int_equal(hex_decode("00ABff", back, 3), 0);
	assert_memory_equal(b, back, 3);
	assert_int_equal(hex_decode("00abf", back, 3), -1);
	assert_int_equal(hex_decode("00abfg", back, 3), -1);
	assert_true(ct_equal("abc", "abc", 3));
	assert_false(ct_equal("abc", "abd", 3));
}

#define DUP(doc) do { \
	assert_null(js_parse(doc, strlen(doc), err, sizeof(err))); \
	assert_string_equal(err, "not valid here: a key given twice in an " \
	    "object"); \
} while (0)
#define OK1 "{\"a\":{\"a\":1,\"s\":\"\\\"a\\\":,\"},\"l\":[{\"a\":1},{\"a\":2}]}"

static void
test_json(void **state)
{
	struct json_object *o;
	const char *s;
	long n;
	char err[256];
	const char *doc = "{\"a\":\"x\",\"n\":5} \n";

	(void)state;
	o = js_parse(doc, strlen(doc), err, sizeof(err));
	assert_non_null(o);
	assert_int_equal(js_str(o, "a", 1, 10, &s, err, sizeof(err)), 0);
	assert_string_equal(s, "x");
	assert_int_equal(js_str(o, "b", 0, 10, &s, err, sizeof(err)), 1);
	assert_int_equal(js_str(o, "b", 1, 10, &s, err, sizeof(err)), -1);
	assert_string_equal(err, "\"b\": missing");
	assert_int_equal(js_str(o, "n", 1, 10, &s, err, sizeof(err)), -1);
	assert_string_equal(err, "\"n\": not a string");
	assert_int_equal(js_int(o, "n", 1, 0, 4, &n, err, sizeof(err)), -1);
	assert_string_equal(err, "\"n\": 5 out of range 0..4");
	json_object_put(o);
	assert_null(js_parse("{\"a\":1}x", 8, err, sizeof(err)));
	assert_null(js_parse("{\"a\":1", 6, err, sizeof(err)));
	/* an escaped NUL parses, but is no string we accept */
	o = js_parse("{\"a\":\"x\\u0000y\"}", 16, err, sizeof(err));
	assert_non_null(o);
	assert_int_equal(js_str(o, "a", 1, 10, &s, err, sizeof(err)), -1);
	assert_string_equal(err, "\"a\": NUL byte in string");
	json_object_put(o);
	assert_null(js_parse("{\"a\":1}\0", 8, err, sizeof(err)));
	assert_string_equal(err, "NUL byte in document");
	assert_null(js_parse("\"s\"", 3, err, sizeof(err)));
	assert_null(js_parse("{\"a\":[[[[[[[[[[1]]]]]]]]]]}", 27, err,
	    sizeof(err)));
	/* a key given twice, at any depth, even spelled with an escape */
	DUP("{\"a\":1,\"a\":2}");
	DUP("{\"x\":{\"b\":1,\"c\":{},\"b\":[2]}}");
	DUP("{\"l\":[{\"k\":1},{\"k\":1,\"k\":2}]}");
	DUP("{\"a\":1,\"\\u0061\":2}");
	/* and not: the same key in different objects, keys in strings */
	o = js_parse(OK1, strlen(OK1), err, sizeof(err));
	assert_non_null(o);
	json_object_put(o);
}

static void
test_spawn(void **state)
{
	const char *ok[] = { "/bin/sh", "-c", "echo out; echo err >&2", NULL };
	const char *bad[] = { "/bin/sh", "-c", "echo why >&2; exit 3", NULL };
	const char *two[] = { "/bin/sh", "-c", "echo 'mount: no such type' >&2; "
	    "echo '       dmesg(1) may say more  ' >&2; echo >&2; exit 32", NULL };
	/* short lines, one newline apart: "; " is longer than each
	 * newline (once overwrote what it read, and ran past the buffer
	 * when standard error filled it) */
	const char *short_lines[] = { "/bin/sh", "-c", "printf 'a\\nb\\nc\\n' "
	    ">&2; exit 1", NULL };
	const char *flood[] = { "/bin/sh", "-c", "i=0; while [ $i -lt 3000 ]; "
	    "do echo x >&2; i=$((i + 1)); done; exit 1", NULL };
	char big[4096];
	const char *cat[] = { "/bin/cat", NULL };
	const char *slow[] = { "/bin/sleep", "5", NULL };
	const char *rel[] = { "sh", NULL };
	const char *env[] = { "/usr/bin/env", NULL };
	const char *missing[] = { "/nonexistent/vnode-test", NULL };
	const char *group[] = { "/bin/sh", "-c", "sleep 30 & sleep 30; wait",
	    NULL };
	char out[256], err[512];
	struct spawn sp;

	(void)state;
	memset(&sp, 0, sizeof(sp));
	sp.argv = ok;
	sp.out = out;
	sp.outsz = sizeof(out);
	sp.timeout = 5;
	assert_int_equal(spawn_run(&sp, err, sizeof(err)), 0);
	assert_string_equal(out, "out\n");

	sp.argv = bad;
	assert_int_equal(spawn_run(&sp, err, sizeof(err)), -1);
	assert_string_equal(err, "/bin/sh: exited with status 3: why");
	/* every line of standard error, trimmed, joined */
	sp.argv = two;
	assert_int_equal(spawn_run(&sp, err, sizeof(err)), -1);
	assert_string_equal(err, "/bin/sh: exited with status 32: mount: no "
	    "such type; dmesg(1) may say more");
	sp.argv = short_lines;
	assert_int_equal(spawn_run(&sp, err, sizeof(err)), -1);
	assert_string_equal(err, "/bin/sh: exited with status 1: a; b; c");
	sp.argv = flood;
	assert_int_equal(spawn_run(&sp, big, sizeof(big)), -1);
	assert_true(strncmp(big, "/bin/sh: exited with status 1: x; x; x; ",
	    40) == 0);
	/* cut at the line's end, never past it: the first 2047 characters
	 * read, "x; " each */
	assert_true(strlen(big) < sizeof(big) - 1);
	assert_true(big[strlen(big) - 1] == 'x' || big[strlen(big) - 1] == ' ');

	sp.argv = cat;
	sp.input = "hello";
	sp.inlen = 5;
	assert_int_equal(spawn_run(&sp, err, sizeof(err)), 0);
	assert_string_equal(out, "hello");
	sp.input = NULL;
	sp.inlen = 0;

	/* descriptors passed on at their numbers, every other one closed */
	{
		const char *fds[] = { "/bin/sh", "-c", "for f in 40 41 42 43; do "
		    "[ -e /proc/self/fd/$f ] && printf '%s ' $f; done; true", NULL };
		int keep[2];

		keep[0] = fcntl(1, F_DUPFD, 40);
		keep[1] = fcntl(1, F_DUPFD, 42);
		assert_int_equal(keep[0], 40);
		assert_int_equal(keep[1], 42);
		assert_int_equal(fcntl(1, F_DUPFD, 41), 41);
		assert_int_equal(fcntl(1, F_DUPFD, 43), 43);
		sp.argv = fds;
		sp.keep = keep;
		sp.nkeep = 2;
		assert_int_equal(spawn_run(&sp, err, sizeof(err)), 0);
		assert_string_equal(out, "40 42 ");
		sp.keep = NULL;
		sp.nkeep = 0;
		assert_int_equal(spawn_run(&sp, err, sizeof(err)), 0);
		assert_string_equal(out, "");
		close(40);
		close(41);
		close(42);
		close(43);
	}

	sp.input = NULL;
	sp.argv = slow;
	sp.timeout = 0.3;
	assert_int_equal(spawn_run(&sp, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "killed after 0.3 s"));

	sp.argv = rel;
	assert_int_equal(spawn_run(&sp, err, sizeof(err)), -1);

	/* a program that is not there: the child's exec failure, told back
	 * through its pipe (nothing but async-signal-safe calls after fork) */
	sp.argv = missing;
	sp.timeout = 5;
	assert_int_equal(spawn_run(&sp, err, sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/vnode-test: cannot execute: "
	    "No such file or directory");
	/* a timeout kills the program's whole process group */
	sp.argv = group;
	sp.timeout = 0.5;
	assert_int_equal(spawn_run(&sp, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "killed after 0.5 s"));

	/* the environment is clean: nothing of ours leaks */
	setenv("VNODE_SECRET_TEST", "1", 1);
	sp.argv = env;
	sp.timeout = 5;
	assert_int_equal(spawn_run(&sp, err, sizeof(err)), 0);
	assert_null(strstr(out, "VNODE_SECRET_TEST"));
	assert_non_null(strstr(out, "PATH=/usr/sbin:/usr/bin:/sbin:/bin"));
}

static int
gid_cmp(const void *a, const void *b)
{
	gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;

	return x < y ? -1 : x > y;
}

/* every account of /etc/passwd: the same ids and groups as getpwnam and
 * getgrouplist give through the name service switch */
static void
test_sysuser(void **state)
{
	struct sysuser u;
	struct passwd *pw;
	gid_t want[SYSUSER_MAX_GROUPS];
	char err[200], name[256];
	int n, checked = 0;
	FILE *f;

	(void)state;
	assert_non_null(f = fopen("/etc/passwd", "r"));
	while ((pw = fgetpwent(f)) != NULL) {
		snprintf(name, sizeof(name), "%s", pw->pw_name);
		assert_int_equal(sysuser_lookup(name, &u, err, sizeof(err)), 0);
		assert_non_null(pw = getpwnam(name));
		assert_int_equal(u.uid, pw->pw_uid);
		assert_int_equal(u.gid, pw->pw_gid);
		n = SYSUSER_MAX_GROUPS;
		assert_true(getgrouplist(name, pw->pw_gid, want, &n) >= 0);
		assert_int_equal(u.ngroups, n);
		assert_int_equal(u.groups[0], u.gid);
		qsort(want, (size_t)n, sizeof(gid_t), gid_cmp);
		qsort(u.groups, (size_t)u.ngroups, sizeof(gid_t), gid_cmp);
		assert_memory_equal(u.groups, want, (size_t)n * sizeof(gid_t));
		checked++;
	}
	fclose(f);
	assert_true(checked > 0);
	assert_int_equal(sysuser_lookup("no-such-user-vnode", &u, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "no user no-such-user-vnode");
}

static void
test_atomicfile(void **state)
{
	char dir[] = "/tmp/vnode-unit.XXXXXX", path[256], err[256], *buf;
	struct stat st;
	struct dirent *d;
	DIR *dh;
	size_t len;
	int n = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/key", dir);
	assert_int_equal(af_write(path, "one", 3, 0400, (uid_t)-1, (gid_t)-1,
	    err, sizeof(err)), 0);
	assert_int_equal(af_write(path, "second", 6, 0400, (uid_t)-1, (gid_t)-1,
	    err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0400);
	assert_int_equal(read_file(path, 100, &buf, &len, err, sizeof(err)), 0);
	assert_string_equal(buf, "second");
	free(buf);
	/* nothing left beside it */
	assert_non_null(dh = opendir(dir));
	while ((d = readdir(dh)) != NULL)
		n += d->d_name[0] != '.';
	closedir(dh);
	assert_int_equal(n, 1);
	/* read_file's bound, and an empty file */
	assert_int_equal(read_file(path, 5, &buf, &len, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "larger than 5 bytes"));
	assert_int_equal(read_file(path, 6, &buf, &len, err, sizeof(err)), 0);
	assert_int_equal(len, 6);
	free(buf);
	assert_int_equal(af_write(path, "", 0, 0600, (uid_t)-1, (gid_t)-1,
	    err, sizeof(err)), 0);
	assert_int_equal(read_file(path, 6, &buf, &len, err, sizeof(err)), 0);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);
	assert_int_equal(read_file(dir, 6, &buf, &len, err, sizeof(err)), -1);
	/* a directory that is not there */
	snprintf(path, sizeof(path), "%s/no/key", dir);
	assert_int_equal(af_write(path, "x", 1, 0600, (uid_t)-1, (gid_t)-1,
	    err, sizeof(err)), -1);
	snprintf(path, sizeof(path), "%s/key", dir);
	unlink(path);
	rmdir(dir);
}

/* Log lines to the journal's stream carry their priority; elsewhere not. */
static void
test_log_priority(void **state)
{
	char path[] = "/tmp/test_log.XXXXXX", js[64], *buf = NULL;
	struct stat st;
	size_t len;
	int fd, saved;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	saved = dup(2);
	dup2(fd, 2);
	snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", js, 1);
	log_init("t", 1);
	log_debug("d");
	log_info("i");
	log_notice("n");
	log_warnx("w");
	log_errx("e");
	setenv("JOURNAL_STREAM", "1:2", 1);	/* another stream */
	log_init("t", 0);
	log_warnx("plain");
	unsetenv("JOURNAL_STREAM");
	log_init("t", 0);
	log_errx("plain too");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	assert_int_equal(read_file(path, 4096, &buf, &len, NULL, 0), 0);
	assert_string_equal(buf, "<7>t: d\n<6>t: i\n<5>t: n\n<4>t: w\n<3>t: e\n"
	    "t: plain\nt: plain too\n");
	free(buf);
	unlink(path);
}

/* array_grow: room for one more each time, the elements kept; refused
 * growth (a size no block can have) leaves array and capacity alone */
static void
test_array_grow(void **state)
{
	long *v = NULL, *before;
	char (*names)[64] = NULL;
	int *side = NULL;
	size_t n, cap = 0, cap2 = 0;

	(void)state;
	for (n = 0; n < 1000; n++) {
		assert_int_equal(array_grow(&v, &cap, n, sizeof(*v), 16), 0);
		assert_true(cap > n);
		v[n] = (long)n * 7;
	}
	assert_int_equal(cap, 1024);
	for (n = 0; n < 1000; n++)
		assert_int_equal(v[n], (long)n * 7);
	/* no growth while there is room */
	before = v;
	assert_int_equal(array_grow(&v, &cap, 1000, sizeof(*v), 16), 0);
	assert_ptr_equal(v, before);
	assert_int_equal(cap, 1024);
	/* full, and elements too big for any block: refused, nothing lost */
	errno = 0;
	assert_int_equal(array_grow(&v, &cap, 1024, SIZE_MAX / 1024, 16), -1);
	assert_int_equal(errno, ENOMEM);
	assert_ptr_equal(v, before);
	assert_int_equal(cap, 1024);
	assert_int_equal(v[999], 999 * 7);
	free(v);

	/* two arrays side by side share the count and the capacity */
	for (n = 0; n < 100; n++) {
		assert_int_equal(array_grow2(&names, sizeof(*names), &side,
		    sizeof(*side), &cap2, n, 4), 0);
		snprintf(names[n], sizeof(names[0]), "vm-%zu", n);
		side[n] = (int)n;
	}
	assert_int_equal(cap2, 128);
	assert_string_equal(names[99], "vm-99");
	assert_int_equal(side[99], 99);
	free(names);
	free(side);
}

/* text: printf appends that grow the block, and JSON strings escaped so
 * that json-c reads back exactly what was written */
static void
test_text(void **state)
{
	struct text t = { NULL, 0, 0, 0 };
	struct json_object *o;
	char raw[64], big[5000];
	size_t i;

	(void)state;
	text_printf(&t, "{\"a\":");
	/* every control character, a quote, a backslash, UTF-8 */
	for (i = 1; i < 32; i++)
		raw[i - 1] = (char)i;
	snprintf(raw + 31, sizeof(raw) - 31, "q\"b\\\xc3\xa9");
	text_json_str(&t, raw);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	text_printf(&t, ",\"big\":\"%s\",\"n\":%d}", big, 42);
	assert_false(t.failed);
	assert_int_equal(t.len, strlen(t.s));
	assert_true(t.cap > t.len);
	o = json_tokener_parse(t.s);
	assert_non_null(o);
	assert_string_equal(json_object_get_string(json_object_object_get(o,
	    "a")), raw);
	assert_int_equal(strlen(json_object_get_string(
	    json_object_object_get(o, "big"))), sizeof(big) - 1);
	assert_int_equal(json_object_get_int(json_object_object_get(o, "n")),
	    42);
	json_object_put(o);
	/* nothing escaped that need not be */
	t.len = 0;
	text_json_str(&t, "vm-1");
	assert_string_equal(t.s, "\"vm-1\"");
	/* after a failure, appends change nothing */
	t.failed = 1;
	text_printf(&t, "more");
	text_json_str(&t, "more");
	assert_string_equal(t.s, "\"vm-1\"");
	free(t.s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_spawn),
		cmocka_unit_test(test_sysuser),
		cmocka_unit_test(test_atomicfile),
		cmocka_unit_test(test_log_priority),
		cmocka_unit_test(test_array_grow),
		cmocka_unit_test(test_text),
	};

	crypto_init(NULL, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
