/*
 * test_clockwatch - the rule that tells a suspension from scheduling
 * delays, on readings of CLOCK_BOOTTIME - CLOCK_MONOTONIC (which a
 * suspension grows and nothing else does); and that a fresh watch on this
 * machine sees none.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "clockwatch.h"

static void
test_rule(void **state)
{
	(void)state;
	/* no change, and small changes: not a suspension */
	assert_true(clockwatch_suspended(10.0, 10.0) == 0);
	assert_true(clockwatch_suspended(10.0, 10.5) == 0);
	assert_true(clockwatch_suspended(10.0, 11.99) == 0);
	/* the gap grew by the time spent suspended */
	assert_true(clockwatch_suspended(10.0, 12.0) == 2.0);
	assert_true(clockwatch_suspended(3.5, 603.5) == 600.0);
	/* it never shrinks; if it seemed to, that is no suspension */
	assert_true(clockwatch_suspended(10.0, 5.0) == 0);
}

static void
test_live(void **state)
{
	struct clockwatch cw;
	int stepped = 1;

	(void)state;
	assert_int_equal(clockwatch_init(&cw), 0);
	assert_true(clockwatch_check(&cw, &stepped) == 0);
	assert_int_equal(stepped, 0);
	clockwatch_fini(&cw);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule),
		cmocka_unit_test(test_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
