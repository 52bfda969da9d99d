/*
 * test_events - the checks of what nodes send about checkpoints: one case
 * per kind of bad field, each asserting that the error names the field
 * (and its index).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "events.h"
#include "jsonutil.h"

#define NOW 1700000000.0

static struct json_object *
parse(const char *text)
{
	char err[256];
	struct json_object *o = js_parse(text, strlen(text), err, sizeof(err));

	assert_non_null(o);
	return o;
}

/* The batch check's error for text, or "" when it passes. */
static const char *
batch(const char *text)
{
	static char err[256];
	struct ev_in ev[EV_BATCH_MAX];
	struct json_object *o = parse(text);
	size_t n;

	err[0] = '\0';
	if (ev_parse_batch(o, NOW, 120, ev, &n, err, sizeof(err)) == 0)
		err[0] = '\0';
	json_object_put(o);
	return err;
}

static void
test_batch_good(void **state)
{
	struct json_object *o;
	struct ev_in ev[EV_BATCH_MAX];
	char err[256];
	size_t n;

	(void)state;
	o = parse("{\"events\": [{\"time\": 1700000000.5, \"job\": 42, "
	    "\"kind\": \"restore\", \"detail\": \"image 2 from vm-1\"}, "
	    "{\"time\": 1699999999, \"job\": 7, \"kind\": "
	    "\"checkpoint-failed\"}]}");
	assert_int_equal(ev_parse_batch(o, NOW, 120, ev, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_true(ev[0].time == 1700000000.5);
	assert_int_equal(ev[0].job, 42);
	assert_string_equal(ev[0].kind, "restore");
	assert_string_equal(ev[0].detail, "image 2 from vm-1");
	assert_string_equal(ev[1].detail, "");
	json_object_put(o);
	assert_string_equal(batch("{\"events\": []}"), "");
}

static void
test_batch_bad(void **state)
{
	char many[8192];
	size_t len;
	int i;

	(void)state;
	assert_string_equal(batch("{}"), "\"events\": missing");
	assert_string_equal(batch("{\"events\": 1}"),
	    "\"events\": not an array");
	assert_string_equal(batch("{\"events\": [], \"x\": 1}"),
	    "body: unknown field \"x\"");
	assert_string_equal(batch("{\"events\": [1]}"),
	    "\"events\"[0]: not an object");
	assert_string_equal(batch("{\"events\": [{\"time\": 1700000000, "
	    "\"job\": 1, \"kind\": \"restore\"}, {\"job\": 1, \"kind\": "
	    "\"restore\"}]}"), "\"events\"[1].\"time\": missing");
	assert_string_equal(batch("{\"events\": [{\"time\": \"now\", "
	    "\"job\": 1, \"kind\": \"restore\"}]}"),
	    "\"events\"[0].\"time\": not a number");
	assert_string_equal(batch("{\"events\": [{\"time\": 1700000121, "
	    "\"job\": 1, \"kind\": \"restore\"}]}"),
	    "\"events\"[0].\"time\": not a Unix time from 30 days ago to "
	    "120 s ahead");
	assert_string_equal(batch("{\"events\": [{\"time\": 1700000000, "
	    "\"job\": 0, \"kind\": \"restore\"}]}"),
	    "\"events\"[0].\"job\": 0 is not from 1 to 4294967293");
	assert_string_equal(batch("{\"events\": [{\"time\": 1700000000, "
	    "\"job\": 1.5, \"kind\": \"restore\"}]}"),
	    "\"events\"[0].\"job\": not an integer");
	assert_string_equal(batch("{\"events\": [{\"time\": 1700000000, "
	    "\"job\": 1, \"kind\": \"move\"}]}"),
	    "\"events\"[0].\"kind\": \"move\" is not checkpoint, "
	    "checkpoint-failed, restore or restore-failed");
	assert_string_equal(batch("{\"events\": [{\"time\": 1700000000, "
	    "\"job\": 1, \"kind\": \"restore\", \"detail\": \"a\\nb\"}]}"),
	    "\"events\"[0].\"detail\": not printable ASCII of at most 200 "
	    "bytes");
	assert_string_equal(batch("{\"events\": [{\"time\": 1700000000, "
	    "\"job\": 1, \"kind\": \"restore\", \"node\": \"vm-1\"}]}"),
	    "\"events\"[0]: unknown field \"node\"");
	len = (size_t)snprintf(many, sizeof(many), "{\"events\": [");
	for (i = 0; i < EV_BATCH_MAX + 1; i++)
		len += (size_t)snprintf(many + len, sizeof(many) - len,
		    "%s{\"time\": 1700000000, \"job\": 1, \"kind\": "
		    "\"restore\"}", i ? "," : "");
	snprintf(many + len, sizeof(many) - len, "]}");
	assert_string_equal(batch(many), "\"events\": 65 entries, at most 64");
}

static const char *
requeue(const char *text, struct ev_requeue *r)
{
	static char err[256];
	struct json_object *o = parse(text);

	err[0] = '\0';
	if (ev_parse_requeue(o, r, err, sizeof(err)) == 0)
		err[0] = '\0';
	json_object_put(o);
	return err;
}

static void
test_requeue(void **state)
{
	struct ev_requeue r;

	(void)state;
	assert_string_equal(requeue("{\"job\": 5, \"image\": 2}", &r), "");
	assert_int_equal(r.cp.job, 5);
	assert_int_equal(r.cp.image, 2);
	assert_null(r.cp.error);
	assert_null(r.to);
	assert_string_equal(requeue("{\"job\": 5, \"error\": \"criu: "
	    "no space\", \"to\": \"vm-2\"}", &r), "");
	assert_int_equal(r.cp.image, 0);
	assert_string_equal(requeue("{\"image\": 2}", &r),
	    "\"job\": missing");
	assert_string_equal(requeue("{\"job\": 5}", &r),
	    "\"image\" or \"error\": exactly one of them");
	assert_string_equal(requeue("{\"job\": 5, \"image\": 1, \"error\": "
	    "\"x\"}", &r), "\"image\" or \"error\": exactly one of them");
	assert_string_equal(requeue("{\"job\": 5, \"image\": 0}", &r),
	    "\"image\": 0 is not from 1 to 1000000");
	assert_string_equal(requeue("{\"job\": 5, \"error\": \"\"}", &r),
	    "\"error\": empty");
	assert_string_equal(requeue("{\"job\": 5, \"image\": 1, \"to\": "
	    "\"VM 2\"}", &r), "\"to\": \"VM 2\" is not a node name");
	assert_string_equal(requeue("{\"job\": 5, \"image\": 1, \"from\": "
	    "\"vm-1\"}", &r), "body: unknown field \"from\"");
}

/* d's strings point into the body: it is kept until the next call. */
static struct json_object *drain_body;

static const char *
drain(const char *text, struct ev_drain *d)
{
	static char err[256];

	json_object_put(drain_body);
	drain_body = parse(text);
	err[0] = '\0';
	if (ev_parse_drain(drain_body, d, err, sizeof(err)) == 0)
		err[0] = '\0';
	return err;
}

static void
test_drain(void **state)
{
	struct ev_drain d;

	(void)state;
	assert_string_equal(drain("{}", &d), "");
	assert_true(d.requeue);
	assert_false(d.with_checkpoints);
	assert_string_equal(drain("{\"requeue\": false}", &d), "");
	assert_false(d.requeue);
	assert_string_equal(drain("{\"checkpoints\": [{\"job\": 3, "
	    "\"image\": 1}, {\"job\": 4, \"error\": \"tcp\"}]}", &d), "");
	assert_true(d.requeue);
	assert_true(d.with_checkpoints);
	assert_int_equal(d.ncp, 2);
	assert_int_equal(d.cp[1].job, 4);
	assert_string_equal(d.cp[1].error, "tcp");
	assert_string_equal(drain("{\"requeue\": 0}", &d),
	    "\"requeue\": not true or false");
	assert_string_equal(drain("{\"checkpoints\": [{\"job\": 3}]}", &d),
	    "\"checkpoints\"[0].\"image\" or \"error\": exactly one of them");
	assert_string_equal(drain("{\"checkpoints\": [{\"job\": 3, "
	    "\"image\": 1}, {\"job\": 3, \"image\": 2}]}", &d),
	    "\"checkpoints\"[1].\"job\": 3 twice");
	assert_string_equal(drain("{\"requeue\": false, \"checkpoints\": []}",
	    &d), "\"checkpoints\": only with requeueing (not with "
	    "\"requeue\": false)");
	json_object_put(drain_body);
	drain_body = NULL;
}

static void
test_kinds(void **state)
{
	(void)state;
	assert_true(ev_kind_by_node("checkpoint"));
	assert_true(ev_kind_by_node("restore-failed"));
	assert_false(ev_kind_by_node("run"));
	assert_true(ev_kind_known("run"));
	assert_true(ev_kind_known("move"));
	assert_false(ev_kind_known("Run"));
	assert_false(ev_kind_known(""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_good),
		cmocka_unit_test(test_batch_bad),
		cmocka_unit_test(test_requeue),
		cmocka_unit_test(test_drain),
		cmocka_unit_test(test_kinds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
