/*
 * test_wg - WireGuard keys and overlay networks as vnode reads them: one
 * case per kind of bad key (length, alphabet, padding, a non-canonical
 * last character, all zero), and the network arithmetic the address pool
 * and vnode-privd's checks rest on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "wg.h"

static void
test_key(void **state)
{
	char k[WG_KEY_LEN + 1], bad[WG_KEY_LEN + 2];
	int i;

	(void)state;
	/* keys as wg genkey and wg pubkey print them */
	assert_true(wg_key_valid("lGhD9nVDoPUyjQiVNUsL66rexnyhzgJkdcGlIw3fAVM="));
	assert_true(wg_key_valid("vZZrUEIdHHu5VfOb0Q/kDzOfNsEkX2qyehjx4LFxOns="));
	assert_false(wg_key_valid(NULL));
	assert_false(wg_key_valid(""));
	/* one character short, one too many */
	assert_false(wg_key_valid("lGhD9nVDoPUyjQiVNUsL66rexnyhzgJkdcGlIw3fAV="));
	assert_false(wg_key_valid("lGhD9nVDoPUyjQiVNUsL66rexnyhzgJkdcGlIw3fAVMA="));
	/* no padding, padding inside */
	assert_false(wg_key_valid("lGhD9nVDoPUyjQiVNUsL66rexnyhzgJkdcGlIw3fAVMA"));
	assert_false(wg_key_valid("lGhD9nVDoPUyjQiVNUsL66rex=yhzgJkdcGlIw3fAVM="));
	/* URL-safe alphabet, space, newline, non-ASCII */
	assert_false(wg_key_valid("vZZrUEIdHHu5VfOb0Q_kDzOfNsEkX2qyehjx4LFxOns="));
	assert_false(wg_key_valid("vZZrUEIdHHu5VfOb0Q kDzOfNsEkX2qyehjx4LFxOns="));
	assert_false(wg_key_valid("vZZrUEIdHHu5VfOb0Q\nkDzOfNsEkX2qyehjx4LFxOns="));
	assert_false(wg_key_valid("vZZrUEIdHHu5VfOb0Q\xc3kDzOfNsEkX2qyehjx4LFxOn="));
	/* the last character carries bits a 32-byte key does not have */
	assert_false(wg_key_valid("lGhD9nVDoPUyjQiVNUsL66rexnyhzgJkdcGlIw3fAVN="));
	/* all zero */
	assert_false(wg_key_valid("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
	/* a trailing newline is not part of a key */
	snprintf(bad, sizeof(bad), "%s\n",
	    "lGhD9nVDoPUyjQiVNUsL66rexnyhzgJkdcGlIw3fAVM=");
	assert_false(wg_key_valid(bad));

	/* made keys are valid, clamped, and differ */
	assert_int_equal(wg_key_make(k), 0);
	assert_true(wg_key_valid(k));
	for (i = 0; i < 8; i++) {
		char k2[WG_KEY_LEN + 1];

		assert_int_equal(wg_key_make(k2), 0);
		assert_true(wg_key_valid(k2));
		assert_string_not_equal(k, k2);
	}
}

static void
test_net(void **state)
{
	struct wg_net n, m;
	char s[32];
	uint32_t a;

	(void)state;
	assert_int_equal(wg_net_parse("10.99.0.1/16", &n), 0);
	assert_int_equal(n.prefix, 16);
	assert_int_equal(wg_net_parse_strict("10.99.0.1/16", &n), -1);
	assert_int_equal(wg_net_parse_strict("10.99.0.0/16", &n), 0);
	wg_net_format(&n, s, sizeof(s));
	assert_string_equal(s, "10.99.0.0/16");
	assert_int_equal(wg_addr_parse("10.99.255.255", &a), 0);
	assert_int_equal(wg_net_last(&n), a);
	assert_true(wg_net_contains(&n, a));
	assert_int_equal(wg_addr_parse("10.100.0.0", &a), 0);
	assert_false(wg_net_contains(&n, a));
	wg_addr_format(wg_net_first(&n), s, sizeof(s));
	assert_string_equal(s, "10.99.0.0");

	assert_int_equal(wg_net_parse("10.99.0.0/33", &n), -1);
	assert_int_equal(wg_net_parse("10.99.0.0/", &n), -1);
	assert_int_equal(wg_net_parse("10.99.0.0/016", &n), -1);
	assert_int_equal(wg_net_parse("10.99.0.0/-1", &n), -1);
	assert_int_equal(wg_net_parse("10.99.0/16", &n), -1);
	assert_int_equal(wg_net_parse("10.99.0.0", &n), -1);
	assert_int_equal(wg_net_parse("10.99.0.0/16 ", &n), -1);
	assert_int_equal(wg_net_parse("0.0.0.0/0", &n), 0);
	assert_int_equal(wg_net_mask(0), 0);
	assert_int_equal(wg_net_mask(32), 0xffffffffu);
	assert_int_equal(wg_net_mask(24), 0xffffff00u);

	assert_int_equal(wg_net_parse("10.77.0.0/24", &n), 0);
	assert_int_equal(wg_net_parse("10.77.0.1/32", &m), 0);
	assert_true(wg_net_overlap(&n, &m));
	assert_true(wg_net_overlap(&m, &n));
	assert_int_equal(wg_net_parse("10.77.1.0/24", &m), 0);
	assert_false(wg_net_overlap(&n, &m));
	assert_int_equal(wg_net_parse("10.0.0.0/8", &m), 0);
	assert_true(wg_net_overlap(&n, &m));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_net),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
