/*
 * test_settings - vnode-agent's settings parsers: agent.conf, OpenStack
 * meta_data.json, user_data; precedence between sources; errors that name
 * the key and the source, and never show the token.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "crypto.h"
#include "settings.h"

#define TOKEN "0123456789abcdef." \
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

#define CRIU_META "{\"meta\": {\"criu\": \"/tmp/x\"}}"
#define CKPT_META "{\"meta\": {\"ckpt_dir\": \"/tmp/x\"}}"

static char err[1024];

static int
conf(struct settings *s, const char *text)
{
	err[0] = '\0';
	return settings_parse_conf(s, text, strlen(text), "agent.conf", err,
	    sizeof(err));
}

static int
meta(struct settings *s, const char *text)
{
	err[0] = '\0';
	return settings_parse_meta(s, text, strlen(text), "meta_data.json", err,
	    sizeof(err));
}

static int
user_data(struct settings *s, const char *text, int *used)
{
	err[0] = '\0';
	return settings_parse_user_data(s, text, strlen(text), "user_data", used,
	    err, sizeof(err));
}

static void
test_conf(void **state)
{
	struct settings s;

	(void)state;
	settings_init(&s);
	assert_int_equal(conf(&s, "# comment\n\nhook_url = http://10.0.0.1:8181\n"
	    "join_token = " TOKEN "\n  cpus=2  \nfeatures = a, b,c\n"
	    "time_max_offset = 0.25\n"), 0);
	assert_string_equal(s.hook_url, "http://10.0.0.1:8181");
	assert_string_equal(s.join_token, TOKEN);
	assert_int_equal(s.cpus, 2);
	assert_int_equal(s.nfeatures, 3);
	assert_string_equal(s.features[2], "c");
	assert_true(s.time_max_offset == 0.25);
	assert_string_equal(s.source[K_CPUS], "agent.conf:5");
}

static void
test_conf_errors(void **state)
{
	struct settings s;

	(void)state;
	settings_init(&s);
	assert_int_equal(conf(&s, "frob = 1\n"), -1);
	assert_string_equal(err, "agent.conf:1: unknown key \"frob\"");
	assert_int_equal(conf(&s, "\ncpus = 0\n"), -1);
	assert_string_equal(err, "agent.conf:2: cpus: \"0\" is not a number "
	    "from 1 to 4096");
	assert_int_equal(conf(&s, "cpus\n"), -1);
	assert_string_equal(err, "agent.conf:1: expected key = value");
	assert_int_equal(conf(&s, "cpus = 1\ncpus = 2\n"), -1);
	assert_string_equal(err, "agent.conf:2: cpus given twice (first on "
	    "line 1)");
	assert_int_equal(conf(&s, "hook_url = ftp://x\n"), -1);
	assert_non_null(strstr(err, "agent.conf:1: hook_url:"));
	assert_int_equal(conf(&s, "hook_url = http://x:99999\n"), -1);
	assert_int_equal(conf(&s, "hook_url = http://x/path\n"), -1);
	assert_int_equal(conf(&s, "features = a=b\n"), -1);
	assert_int_equal(conf(&s, "time_timeout = -1\n"), -1);
	assert_int_equal(conf(&s, "time_timeout = 1e3\n"), -1);
	/* comments may follow a value */
	settings_init(&s);
	assert_int_equal(conf(&s, "cpus = 2   # two of them\n"), 0);
	assert_int_equal(s.cpus, 2);
	/* a bad token is reported without being shown */
	assert_int_equal(conf(&s, "join_token = 0123456789abcdef.secret\n"), -1);
	assert_string_equal(err, "agent.conf:1: join_token: \"(hidden)\" is not "
	    "a join token from vnodectl token create (ID.SECRET)");
	/* control characters never reach a message raw */
	assert_int_equal(conf(&s, "hostname = a\x1b[31mb\n"), -1);
	assert_null(strchr(err, '\x1b'));
	/* nothing half-applied: the good line before a bad one did not stick */
	settings_init(&s);
	assert_int_equal(conf(&s, "cpus = 3\ncpus = x\n"), -1);
	assert_int_equal(conf(&s, "memory_mb = 5\n"), 0);
}

static void
test_meta(void **state)
{
	struct settings s;

	(void)state;
	settings_init(&s);
	assert_int_equal(meta(&s, "{\"uuid\": \"6f0c2d1e-8c1b\", \"meta\": "
	    "{\"hook_url\": \"http://h:1\", \"owner\": \"x y\", "
	    "\"cpus\": \"4\"}, \"name\": \"n\"}"), 0);
	assert_string_equal(s.instance_id, "6f0c2d1e-8c1b");
	assert_string_equal(s.source[K_INSTANCE_ID], "meta_data.json uuid");
	assert_string_equal(s.source[K_HOOK_URL], "meta_data.json meta.hook_url");
	assert_int_equal(s.cpus, 4);
	/* meta wins over the file that comes after it */
	assert_int_equal(conf(&s, "cpus = 1\nmemory_mb = 9\n"), 0);
	assert_int_equal(s.cpus, 4);
	assert_int_equal(s.memory_mb, 9);
	/* but a bad value in the file is still an error */
	assert_int_equal(conf(&s, "cpus = none\n"), -1);

	settings_init(&s);
	assert_int_equal(meta(&s, "{\"meta\": "), -1);
	assert_non_null(strstr(err, "meta_data.json: not valid JSON"));
	assert_int_equal(meta(&s, "[1]"), -1);
	assert_string_equal(err, "meta_data.json: not a JSON object");
	assert_int_equal(meta(&s, "{\"meta\": []}"), -1);
	assert_string_equal(err, "meta_data.json: \"meta\": not an object");
	assert_int_equal(meta(&s, "{\"meta\": {\"cpus\": 4}}"), -1);
	assert_string_equal(err, "meta_data.json: \"cpus\": not a string");
	assert_int_equal(meta(&s, "{\"uuid\": 7}"), -1);
	assert_int_equal(meta(&s, "{\"uuid\": \"a b\"}"), -1);
	assert_string_equal(err, "meta_data.json uuid: instance_id: \"a b\" is "
	    "not letters, digits and '-', 1 to 64 of them");
	assert_int_equal(meta(&s, "{} x"), -1);
	/* where the metadata is cannot come from the metadata */
	assert_int_equal(settings_parse_meta(&s, "{\"meta\": {\"metadata_url\": "
	    "\"none\"}}", 34, "config drive x", err, sizeof(err)), -1);
	assert_string_equal(err, "config drive x meta.metadata_url: "
	    "metadata_url: only in agent.conf (where the metadata is)");
	/* nor what root runs or writes */
	assert_int_equal(settings_parse_meta(&s, CRIU_META,
	    strlen(CRIU_META), "config drive x", err, sizeof(err)), -1);
	assert_string_equal(err, "config drive x meta.criu: "
	    "criu: only in agent.conf (a program root runs)");
	assert_int_equal(settings_parse_meta(&s, CKPT_META,
	    strlen(CKPT_META), "config drive x", err, sizeof(err)), -1);
	assert_string_equal(err, "config drive x meta.ckpt_dir: "
	    "ckpt_dir: only in agent.conf (a directory root writes)");
	assert_int_equal(meta(&s, "{\"a\":[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]}"), -1);
}

static void
test_user_data(void **state)
{
	struct settings s;
	int used;

	(void)state;
	settings_init(&s);
	assert_int_equal(user_data(&s, "#cloud-config\npackages: [a]\n"
	    "vnode:\n  hook_url: \"http://h:8\"   # the hook\n"
	    "  join_token: '" TOKEN "'\n\n  cpus: 2\nruncmd:\n  - [x]\n", &used),
	    0);
	assert_true(used);
	assert_string_equal(s.hook_url, "http://h:8");
	assert_string_equal(s.join_token, TOKEN);
	assert_int_equal(s.cpus, 2);
	assert_string_equal(s.source[K_CPUS], "user_data:7");

	settings_init(&s);
	assert_int_equal(user_data(&s, "#cloud-config\nruncmd:\n  - x\n", &used),
	    0);
	assert_false(used);
	assert_int_equal(user_data(&s, "#!/bin/sh\necho hi\n", &used), 0);
	assert_false(used);
	assert_int_equal(user_data(&s, "#vnode-agent\ncpus = 3\n", &used), 0);
	assert_true(used);
	assert_int_equal(s.cpus, 3);

	settings_init(&s);
	assert_int_equal(user_data(&s, "#cloud-config\nvnode:\n  cpus 2\n",
	    &used), -1);
	assert_string_equal(err, "user_data:3: expected \"key: value\" under "
	    "vnode:");
	assert_int_equal(user_data(&s, "#cloud-config\nvnode:\n  cpus: \"2\n",
	    &used), -1);
	assert_int_equal(user_data(&s, "#cloud-config\nvnode:\n\tcpus: 2\n",
	    &used), -1);
	assert_int_equal(user_data(&s, "#cloud-config\nvnode:\n  nope: 2\n",
	    &used), -1);
	assert_string_equal(err, "user_data:3: unknown key \"nope\"");
}

/* What cloud-init reads as the vnode key, the agent reads too: a comment
 * after it, blanks before its colon, a flow mapping, blank lines first,
 * and the text/cloud-config parts of MIME multipart user data (plain or
 * base64).  User data that gives nothing says so. */
static void
test_user_data_forms(void **state)
{
	struct settings s;
	int used;

	(void)state;
	settings_init(&s);
	assert_int_equal(user_data(&s, "#cloud-config\nvnode:   # ours\n"
	    "  cpus: 2\n", &used), 0);
	assert_true(used);
	assert_int_equal(s.cpus, 2);

	settings_init(&s);
	assert_int_equal(user_data(&s, "#cloud-config\nvnode :\n  cpus: 3\n",
	    &used), 0);
	assert_int_equal(s.cpus, 3);

	settings_init(&s);
	assert_int_equal(user_data(&s, "#cloud-config\nvnode: {cpus: 4, "
	    "hook_url: \"http://h:8\", join_token: '" TOKEN "'}  # flow\n",
	    &used), 0);
	assert_true(used);
	assert_int_equal(s.cpus, 4);
	assert_string_equal(s.hook_url, "http://h:8");
	assert_string_equal(s.join_token, TOKEN);
	assert_int_equal(user_data(&s, "#cloud-config\nvnode: {cpus: 4\n",
	    &used), -1);
	assert_string_equal(err, "user_data:2: vnode: {...} must close on its "
	    "line");
	assert_int_equal(user_data(&s, "#cloud-config\nvnode: 4\n", &used),
	    -1);
	assert_non_null(strstr(err, "vnode: expected a mapping"));

	settings_init(&s);
	assert_int_equal(user_data(&s, "\n\n#cloud-config\nvnode:\n  cpus: 5\n",
	    &used), 0);
	assert_int_equal(s.cpus, 5);

	/* MIME: a shell script part (cloud-init's), the cloud-config part
	 * (ours), once plain, once base64 */
	settings_init(&s);
	assert_int_equal(user_data(&s, "Content-Type: multipart/mixed; "
	    "boundary=\"==BOUND==\"\nMIME-Version: 1.0\n\n--==BOUND==\n"
	    "Content-Type: text/x-shellscript\n\n#!/bin/sh\necho hi\n"
	    "--==BOUND==\nContent-Type: text/cloud-config; charset=\"us-ascii\"\n"
	    "MIME-Version: 1.0\nContent-Transfer-Encoding: 7bit\n\n"
	    "#cloud-config\nvnode:\n  cpus: 6\n--==BOUND==--\n", &used), 0);
	assert_true(used);
	assert_int_equal(s.cpus, 6);
	assert_string_equal(s.source[K_CPUS], "user_data part 2:3");
	settings_init(&s);
	/* "#cloud-config\nvnode:\n  cpus: 7\n" */
	assert_int_equal(user_data(&s, "Content-Type: multipart/mixed; "
	    "boundary=B\n\n--B\nContent-Type: text/cloud-config\n"
	    "Content-Transfer-Encoding: base64\n\n"
	    "I2Nsb3VkLWNvbmZpZwp2bm9kZToKICBjcHVzOiA3Cg==\n--B--\n", &used), 0);
	assert_true(used);
	assert_int_equal(s.cpus, 7);

	/* nothing for us: said, not silently dropped */
	settings_init(&s);
	assert_int_equal(user_data(&s, "#cloud-config\nruncmd:\n  - x\n",
	    &used), 0);
	assert_false(used);
	assert_non_null(strstr(s.note, "user_data: nothing taken from it"));
}

static void
test_finish(void **state)
{
	struct settings s;

	(void)state;
	settings_init(&s);
	assert_int_equal(settings_finish(&s, "/x/agent.conf", err, sizeof(err)),
	    -1);
	assert_string_equal(err, "hook_url is not set (the instance's metadata "
	    "or user data, or /x/agent.conf)");
	assert_int_equal(conf(&s, "hook_url = https://ctl.example.org:8443/\n"
	    "join_token = " TOKEN "\ninstance_id = i-1\nhostname = n1\n"), 0);
	assert_int_equal(settings_finish(&s, "/x/agent.conf", err, sizeof(err)),
	    0);
	assert_string_equal(s.time_server, "ctl.example.org");
	assert_string_equal(s.source[K_TIME_SERVER],
	    "default: host of hook_url");
}

#define PIN "sha256:" "0123456789abcdef0123456789abcdef" \
    "0123456789abcdef0123456789abcdef"

/* hook_pin: sha256: and 64 hex digits (upper case taken, kept lower),
 * none or "" for none; with an http:// hook_url it is refused. */
static void
test_pin(void **state)
{
	struct settings s;
	int used;

	(void)state;
	settings_init(&s);
	assert_int_equal(conf(&s, "hook_pin = sha256:0123456789ABCDEF"
	    "0123456789abcdef0123456789abcdef0123456789abcdef\n"), 0);
	assert_string_equal(s.hook_pin, PIN);
	settings_init(&s);
	assert_int_equal(user_data(&s, "#cloud-config\nvnode:\n  hook_pin: "
	    "\"\"\n  cpus: 1\n", &used), 0);
	assert_string_equal(s.hook_pin, "");
	assert_int_equal(conf(&s, "hook_pin = none\n"), 0);
	assert_int_equal(conf(&s, "hook_pin = sha256:0123\n"), -1);
	assert_non_null(strstr(err, "hook_pin"));
	assert_int_equal(conf(&s, "hook_pin = " PIN "0\n"), -1);
	assert_int_equal(conf(&s, "hook_pin = sha1:" PIN "\n"), -1);
	assert_int_equal(conf(&s, "hook_pin = sha256:0123456789abcdef"
	    "0123456789abcdef0123456789abcdef0123456789abcdeg\n"), -1);

	settings_init(&s);
	assert_int_equal(conf(&s, "hook_url = http://h:8\njoin_token = " TOKEN
	    "\ninstance_id = i-1\nhostname = n1\nhook_pin = " PIN "\n"), 0);
	assert_int_equal(settings_finish(&s, "/x/agent.conf", err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "a pinned hook is reached by https only"));
	settings_init(&s);
	assert_int_equal(conf(&s, "hook_url = https://h:8\njoin_token = " TOKEN
	    "\ninstance_id = i-1\nhostname = n1\nhook_pin = " PIN "\n"), 0);
	assert_int_equal(settings_finish(&s, "/x/agent.conf", err, sizeof(err)),
	    0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf),
		cmocka_unit_test(test_conf_errors),
		cmocka_unit_test(test_meta),
		cmocka_unit_test(test_user_data),
		cmocka_unit_test(test_user_data_forms),
		cmocka_unit_test(test_finish),
		cmocka_unit_test(test_pin),
	};

	crypto_init(NULL, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
