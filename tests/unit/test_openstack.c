/*
 * test_openstack - the hook's OpenStack client before it speaks to a
 * cloud: its settings (one case per kind of bad value), the credential
 * file's checks (each with its exact message) and the user data's limit.
 * The cloud itself is tests/openstack/05-client's (a real one).  Runs as
 * root, as the tests do: root is then "the hook's user".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "openstack.h"

static char dir[] = "/tmp/test_openstack.XXXXXX";
static char cred[sizeof(dir) + 16];

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f;

	unlink(path);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void
config(struct os_config *c)
{
	const char *what;

	os_config_defaults(c);
	/* nothing listens on port 1 of loopback: a call fails at once */
	assert_int_equal(os_config_set(c, "auth_url", "http://127.0.0.1:1/v3",
	    &what), 0);
	assert_int_equal(os_config_set(c, "credentials", cred, &what), 0);
	assert_int_equal(os_config_set(c, "image", "vnode", &what), 0);
	assert_int_equal(os_config_set(c, "flavor", "m1.small", &what), 0);
}

static void
test_settings(void **state)
{
	struct os_config c;
	const char *what;
	char err[256];

	(void)state;
	os_config_defaults(&c);
	assert_string_equal(c.tag, "vnode");
	assert_string_equal(c.interface, "public");
	assert_true(c.timeout == 30 && c.op_timeout == 60);
	assert_int_equal(os_config_check(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "openstack_auth_url is not set");

	assert_int_equal(os_config_set(&c, "auth_url", "ftp://x/v3", &what), -1);
	assert_string_equal(what, "Keystone's v3 URL, like "
	    "https://cloud.example.org:5000/v3");
	assert_int_equal(os_config_set(&c, "auth_url", "http://a b/v3", &what), -1);
	assert_int_equal(os_config_set(&c, "credentials", "rel/path", &what), -1);
	assert_int_equal(os_config_set(&c, "interface", "private", &what), -1);
	assert_int_equal(os_config_set(&c, "image", " vnode", &what), -1);
	assert_int_equal(os_config_set(&c, "image", "a\"b", &what), -1);
	assert_int_equal(os_config_set(&c, "flavor", "", &what), -1);
	assert_int_equal(os_config_set(&c, "tag", "a b", &what), -1);
	assert_int_equal(os_config_set(&c, "tag", "0123456789012345678901234567"
	    "8901234567890123456789012345678901", &what), -1);
	assert_int_equal(os_config_set(&c, "tag", "cluster-1.a_b", &what), 0);
	assert_int_equal(os_config_set(&c, "config_drive", "true", &what), -1);
	assert_string_equal(what, "yes or no");
	assert_int_equal(os_config_set(&c, "config_drive", "yes", &what), 0);
	assert_int_equal(c.config_drive, 1);
	assert_int_equal(os_config_set(&c, "timeout", "0.5", &what), -1);
	assert_int_equal(os_config_set(&c, "timeout", "601", &what), -1);
	assert_int_equal(os_config_set(&c, "connect_timeout", "2.5", &what), 0);
	assert_int_equal(os_config_set(&c, "build_timeout", "5s", &what), -1);
	assert_int_equal(os_config_set(&c, "build_timeout", "20m", &what), 0);
	assert_int_equal(c.build_timeout, 1200);
	assert_int_equal(os_config_set(&c, "renew_before", "0", &what), 0);
	assert_int_equal(c.renew_before, 0);
	assert_int_equal(os_config_set(&c, "no_such_key", "x", &what), -1);
	assert_null(what);

	config(&c);
	assert_int_equal(os_config_check(&c, err, sizeof(err)), 0);
	assert_int_equal(os_config_set(&c, "connect_timeout", "40", &what), 0);
	assert_int_equal(os_config_check(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "openstack_connect_timeout (40 s) is longer "
	    "than openstack_timeout (30 s)");
}

/* os_open with the file as it is: 0, or -1 and the message in err */
static int
try_open(char *err, size_t errlen)
{
	struct os_config c;
	struct os_client *cl = NULL;
	int rc;

	config(&c);
	rc = os_open(&c, &cl, err, errlen);
	os_close(cl);
	return rc;
}

static void
test_credentials(void **state)
{
	char err[512], want[512], link[sizeof(cred)], keep[sizeof(cred)];

	(void)state;
	write_file(cred, "application_credential_id = 0123abcd\n"
	    "application_credential_secret = s3cret\n", 0600);
	assert_int_equal(try_open(err, sizeof(err)), 0);

	assert_int_equal(chmod(cred, 0640), 0);
	assert_int_equal(try_open(err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "credentials %s: mode 0640 lets its group "
	    "at it; only its owner may read it (chmod 600)", cred);
	assert_string_equal(err, want);
	assert_int_equal(chmod(cred, 0606), 0);
	assert_int_equal(try_open(err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "credentials %s: mode 0606 lets others at "
	    "it; only its owner may read it (chmod 600)", cred);
	assert_string_equal(err, want);
	assert_int_equal(chmod(cred, 0660), 0);
	assert_int_equal(try_open(err, sizeof(err)), -1);
	assert_non_null(strstr(err, "lets its group at it"));
	assert_int_equal(chmod(cred, 0664), 0);
	assert_int_equal(try_open(err, sizeof(err)), -1);
	assert_non_null(strstr(err, "lets its group and others at it"));
	if (geteuid() == 0) {
		assert_int_equal(chmod(cred, 0600), 0);
		assert_int_equal(chown(cred, 1, 1), 0);
		assert_int_equal(try_open(err, sizeof(err)), -1);
		snprintf(want, sizeof(want), "credentials %s: owned by uid 1, not "
		    "by this process's user (uid 0)", cred);
		assert_string_equal(err, want);
		assert_int_equal(chown(cred, 0, 0), 0);
	}

	snprintf(link, sizeof(link), "%s/link", dir);
	unlink(link);
	assert_int_equal(symlink(cred, link), 0);
	memcpy(keep, cred, sizeof(cred));
	memcpy(cred, link, sizeof(cred));
	assert_int_equal(try_open(err, sizeof(err)), -1);
	memcpy(cred, keep, sizeof(cred));
	snprintf(want, sizeof(want), "credentials %s: is a symbolic link; name "
	    "the file itself", link);
	assert_string_equal(err, want);

	/* what the file holds; the secret never in a message */
	write_file(cred, "application_credential_id = 0123abcd\n", 0600);
	assert_int_equal(try_open(err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "credentials %s: no "
	    "application_credential_secret", cred);
	assert_string_equal(err, want);
	write_file(cred, "application_credential_id = not/an/id\n"
	    "application_credential_secret = s3cret\n", 0600);
	assert_int_equal(try_open(err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:1: application_credential_id: not an "
	    "ID (hex digits and '-')", cred);
	assert_string_equal(err, want);
	write_file(cred, "application_credential_id = 0123abcd\n"
	    "password = s3cret\n", 0600);
	assert_int_equal(try_open(err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":2: unknown key \"password\""));
	assert_null(strstr(err, "s3cret"));
	write_file(cred, "application_credential_id = 0123abcd\n"
	    "application_credential_secret = s3cret\n"
	    "application_credential_secret = other\n", 0600);
	assert_int_equal(try_open(err, sizeof(err)), -1);
	assert_non_null(strstr(err, "given twice"));
	assert_null(strstr(err, "s3cret"));
}

static void
test_user_data(void **state)
{
	struct os_config c;
	struct os_client *cl;
	struct os_create rq[2];
	struct os_server out[2];
	char err[512], *ud;

	(void)state;
	write_file(cred, "application_credential_id = 0123abcd\n"
	    "application_credential_secret = s3cret\n", 0600);
	config(&c);
	assert_int_equal(os_open(&c, &cl, err, sizeof(err)), 0);
	assert_non_null(ud = malloc(49152));
	memset(ud, 'x', 49152);
	/* 49152 bytes are 65536 in base64: one too many, refused before a
	 * word goes to the cloud */
	rq[0].node = "vm-1";
	rq[0].user_data = ud;
	rq[0].user_data_len = 49152;
	assert_int_equal(os_servers_create(cl, rq, 1, out, err, sizeof(err)), -1);
	assert_string_equal(err, "the user data of vm-1 is 49152 bytes, 65536 "
	    "in base64: Nova takes at most 65535");
	/* 49149 bytes (65532 in base64) pass; then the cloud is asked (and
	 * nothing answers on port 1) */
	rq[0].user_data_len = 49149;
	assert_int_equal(os_servers_create(cl, rq, 1, out, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "Keystone at http://127.0.0.1:1/v3/auth/tokens: "
	    "cannot connect"));
	/* a node name that could not be an instance's */
	rq[0].node = "vm 1";
	rq[1].node = "vm-2";
	rq[1].user_data = NULL;
	rq[1].user_data_len = 0;
	assert_int_equal(os_servers_create(cl, rq, 2, out, err, sizeof(err)), -1);
	assert_string_equal(err, "instance 1 of 2: no valid node name");
	assert_int_equal(os_server_delete(cl, "vm-1", 1, err, sizeof(err)), -1);
	assert_string_equal(err, "\"vm-1\" is not an instance ID");
	free(ud);
	os_close(cl);
}

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(cred, sizeof(cred), "%s/cred", dir);
	return 0;
}

static int
teardown(void **state)
{
	char p[sizeof(dir) + 16];

	(void)state;
	unlink(cred);
	snprintf(p, sizeof(p), "%s/link", dir);
	unlink(p);
	return rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_credentials),
		cmocka_unit_test(test_user_data),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
