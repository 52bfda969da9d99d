/*
 * test_timeline - the SVG layout from an events array: lanes, bars,
 * hatched suspensions, markers, the axis and the legend, text escaped;
 * nothing to draw is an error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "timeline.h"

static struct db_event
ev(long id, double t, const char *node, long job, const char *kind,
    const char *detail)
{
	struct db_event e;

	memset(&e, 0, sizeof(e));
	e.id = id;
	e.time = t;
	snprintf(e.node, sizeof(e.node), "%s", node);
	e.job = job;
	snprintf(e.kind, sizeof(e.kind), "%s", kind);
	snprintf(e.detail, sizeof(e.detail), "%s", detail);
	return e;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay++)
		n++;
	return n;
}

static void
test_poster(void **state)
{
	struct db_event e[12];
	char *svg, err[256];
	size_t len, n = 0;
	double t = 1700000000;

	(void)state;
	e[n++] = ev(1, t, "vm-1", 0, "join", "admitted as vm-1");
	e[n++] = ev(2, t + 1, "vm-1", 7, "run", "partition backfill");
	e[n++] = ev(3, t + 10, "vm-1", 7, "suspend", "SUSPENDED");
	e[n++] = ev(4, t + 10, "vm-1", 8, "run", "partition high");
	e[n++] = ev(5, t + 20, "vm-2", 0, "join", "admitted as vm-2");
	e[n++] = ev(6, t + 21, "vm-1", 7, "move", "from vm-1 to vm-2");
	e[n++] = ev(7, t + 23, "vm-1", 7, "checkpoint", "image 1, 3 MB");
	e[n++] = ev(8, t + 23.5, "vm-1", 7, "requeue", "migrate to vm-2");
	e[n++] = ev(9, t + 25, "vm-2", 7, "run", "partition backfill");
	e[n++] = ev(10, t + 25.5, "vm-2", 7, "restore", "image 1 <from> vm-1");
	e[n++] = ev(11, t + 40, "vm-2", 7, "end", "COMPLETED, exit 0");
	e[n++] = ev(12, t + 41, "vm-1", 8, "end", "COMPLETED, exit 0");
	assert_int_equal(timeline_svg(e, n, t + 50, &svg, &len, err,
	    sizeof(err)), 0);
	assert_int_equal(strlen(svg), len);
	assert_true(strncmp(svg, "<?xml version=\"1.0\"", 19) == 0);
	assert_non_null(strstr(svg, "</svg>\n"));
	/* a lane per node, in order of appearance */
	assert_int_equal(count(svg, "<g class=\"lane\""), 2);
	assert_true(strstr(svg, "data-node=\"vm-1\"") <
	    strstr(svg, "data-node=\"vm-2\""));
	/* job 7: a bar on each node, its suspension hatched; job 8: one */
	assert_int_equal(count(svg, "<g class=\"job\" data-job=\"7\">"), 2);
	assert_int_equal(count(svg, "<g class=\"job\" data-job=\"8\">"), 1);
	assert_int_equal(count(svg, "<rect class=\"suspended\" data-job=\"7\""),
	    1);
	assert_non_null(strstr(svg, "<pattern id=\"suspended\""));
	assert_int_equal(count(svg, "fill=\"url(#suspended)\""), 2);
	/* markers, text escaped */
	assert_int_equal(count(svg, "data-kind=\"checkpoint\""), 1);
	assert_int_equal(count(svg, "data-kind=\"restore\""), 1);
	assert_int_equal(count(svg, "data-kind=\"move\""), 1);
	assert_int_equal(count(svg, "data-kind=\"join\""), 2);
	assert_non_null(strstr(svg, "image 1 &lt;from&gt; vm-1"));
	assert_null(strstr(svg, "<from>"));
	assert_non_null(strstr(svg, "<g class=\"axis\">"));
	assert_non_null(strstr(svg, "<g class=\"legend\""));
	free(svg);
}

static void
test_open_bar(void **state)
{
	struct db_event e[2];
	char *svg, err[256];
	size_t len;

	(void)state;
	/* still running: the bar runs on to now, dashed */
	e[0] = ev(1, 1000, "vm-1", 3, "run", "");
	e[1] = ev(2, 1005, "vm-1", 3, "suspend", "");
	assert_int_equal(timeline_svg(e, 2, 1100, &svg, &len, err,
	    sizeof(err)), 0);
	assert_int_equal(count(svg, "stroke-dasharray"), 1);
	assert_int_equal(count(svg, "<rect class=\"suspended\""), 1);
	free(svg);
}

static void
test_nothing(void **state)
{
	struct db_event e[1] = { { 0 } };
	char *svg = NULL, err[256];
	size_t len;

	(void)state;
	assert_int_equal(timeline_svg(e, 0, 0, &svg, &len, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "no events to draw");
	assert_null(svg);
	e[0] = ev(1, 1000, "", 3, "release", "");
	assert_int_equal(timeline_svg(e, 1, 0, &svg, &len, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "no events on a node to draw");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_poster),
		cmocka_unit_test(test_open_bar),
		cmocka_unit_test(test_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
