/*
 * test_names - the strict name patterns, one case per kind of bad name:
 * space, '=', ',', newline, '[ ]', non-ASCII, over 63 characters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "names.h"

static const char *const hostile[] = {
	"", "a b", "a=b", "a,b", "a\nb", "a[1]", "a]", "caf\xc3\xa9", "a\tb",
	"a;b", "a/b", "a:b", "a\\b", "a'b", "a\"b", "a$b", "a*b", "a#b",
};

static void
test_node(void **state)
{
	char long63[64], long64[65];
	size_t i;

	(void)state;
	memset(long63, 'a', 63);
	long63[63] = '\0';
	memset(long64, 'a', 64);
	long64[64] = '\0';
	assert_true(name_node_valid("vm-1"));
	assert_true(name_node_valid("a"));
	assert_true(name_node_valid(long63));
	assert_false(name_node_valid(long64));
	assert_false(name_node_valid("Vm-1"));
	assert_false(name_node_valid("1vm"));
	assert_false(name_node_valid("-vm"));
	assert_false(name_node_valid("vm-"));
	assert_false(name_node_valid("vm.1"));
	assert_false(name_node_valid("vm_1"));
	assert_false(name_node_valid(NULL));
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
		assert_false(name_node_valid(hostile[i]));
}

static void
test_host(void **state)
{
	char label64[80];
	size_t i;

	(void)state;
	assert_true(name_host_valid("n1"));
	assert_true(name_host_valid("node-1.example.org"));
	assert_true(name_host_valid("N1"));
	assert_true(name_host_valid("10.0.0.1"));
	assert_false(name_host_valid("-n1"));
	assert_false(name_host_valid("n1-"));
	assert_false(name_host_valid("a..b"));
	assert_false(name_host_valid(".a"));
	assert_false(name_host_valid("a."));
	assert_false(name_host_valid("a-.b"));
	memset(label64, 'a', 64);
	label64[64] = '\0';
	assert_false(name_host_valid(label64));
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
		assert_false(name_host_valid(hostile[i]));
}

static void
test_feature(void **state)
{
	char long64[65];
	size_t i;

	(void)state;
	memset(long64, 'f', 64);
	long64[64] = '\0';
	assert_true(name_feature_valid("vnode"));
	assert_true(name_feature_valid("big_mem.2-x"));
	assert_true(name_feature_valid("GPU"));
	assert_false(name_feature_valid("_x"));
	assert_false(name_feature_valid("a|b"));
	assert_false(name_feature_valid("a&b"));
	assert_false(name_feature_valid(long64));
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
		assert_false(name_feature_valid(hostile[i]));
}

static void
test_instance_and_more(void **state)
{
	char long65[66];

	(void)state;
	memset(long65, 'a', 65);
	long65[65] = '\0';
	assert_true(name_instance_valid("6f0c2d1e-8c1b-4e37-9b7a-1d2e3f405162"));
	assert_false(name_instance_valid(long65));
	assert_false(name_instance_valid("a b"));
	assert_false(name_instance_valid("a.b"));
	assert_true(name_prefix_valid("vm-"));
	assert_false(name_prefix_valid("VM"));
	assert_true(name_ipv4_valid("10.77.0.1"));
	assert_false(name_ipv4_valid("10.77.0"));
	assert_false(name_ipv4_valid("10.77.0.256"));
	assert_true(name_hostport_valid("ctl:6817"));
	assert_true(name_hostport_valid("10.0.0.1:65535"));
	assert_false(name_hostport_valid("ctl:0"));
	assert_false(name_hostport_valid("ctl:65536"));
	assert_false(name_hostport_valid("ctl:"));
	assert_false(name_hostport_valid(":6817"));
	assert_false(name_hostport_valid("ctl:68a"));
	assert_false(name_hostport_valid("c tl:6817"));
	assert_false(name_hostport_valid("ctl:06817"));
}

static void
test_mount(void **state)
{
	const char *what;

	(void)state;
	assert_int_equal(name_mount_valid("10.0.0.1:/export/home", "/home",
	    "nfs4", "rw,hard,vers=4.1", &what), 0);
	assert_int_equal(name_mount_valid("tmpfs", "/var/lib/x", "tmpfs", "",
	    &what), 0);
	assert_int_equal(name_mount_valid("h:/x", "/mnt/9", "9p", "", &what), 0);
	assert_int_equal(name_mount_valid("h:/x", "/home", "NFS", "", &what), -1);
	assert_string_equal(what, "type");
	assert_int_equal(name_mount_valid("h:/x", "/home", "nfs 4", "", &what),
	    -1);
	assert_int_equal(name_mount_valid("h:/x", "home", "nfs", "", &what), -1);
	assert_string_equal(what, "target");
	assert_int_equal(name_mount_valid("h:/x", "/", "nfs", "", &what), -1);
	assert_int_equal(name_mount_valid("h:/x", "/a/../etc", "nfs", "", &what),
	    -1);
	assert_int_equal(name_mount_valid("h:/x", "/a/..", "nfs", "", &what), -1);
	assert_int_equal(name_mount_valid("h:/x", "/a//b", "nfs", "", &what), -1);
	assert_int_equal(name_mount_valid("h:/x", "/a/", "nfs", "", &what), -1);
	assert_int_equal(name_mount_valid("h:/x", "/a b", "nfs", "", &what), -1);
	assert_int_equal(name_mount_valid("h:/x y", "/a", "nfs", "", &what), -1);
	assert_string_equal(what, "source");
	assert_int_equal(name_mount_valid("h:/x", "/a", "nfs", "rw;reboot",
	    &what), -1);
	assert_string_equal(what, "options");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_node),
		cmocka_unit_test(test_host),
		cmocka_unit_test(test_feature),
		cmocka_unit_test(test_instance_and_more),
		cmocka_unit_test(test_mount),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
