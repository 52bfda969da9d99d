/*
 * test_mover - the mover's record of a job's runs (the events table that
 * vnodectl events and the timeline show): each run once, whoever saw it
 * first.  The requeue API records the run it ends before its requeue; a
 * poll of Slurm taken before that requeue took effect shows the same run
 * again, and must not add it a second time (nor a "requeue by Slurm"
 * after it).  Seen in fresh-machine's 18-events: run, checkpoint,
 * requeue, run (again, the same start), requeue by Slurm, release, run.
 *
 * The mover runs on a registry of its own (db.c, SQLite in a temporary
 * directory) with job lists built here, as sl_jobs() makes them; without
 * ckpt_partitions and with no release pending it must not call Slurm,
 * and the stubs below fail the test if it does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "config.h"
#include "db.h"
#include "mover.h"
#include "regdir.h"
#include "slurm.h"

/* ---- Slurm: not to be called here ---- */

int
sl_jobs(struct sl_job **out, size_t *n, char *err, size_t errlen)
{
	(void)out; (void)n; (void)err; (void)errlen;
	fail_msg("the mover called sl_jobs");
	return -1;
}

int
sl_job_release(unsigned long id, int start_now, const char *nodes,
    char *err, size_t errlen)
{
	(void)id; (void)start_now; (void)nodes; (void)err; (void)errlen;
	fail_msg("the mover released a job");
	return -1;
}

int
sl_node_each(void (*fn)(void *arg, const char *name,
    const struct sl_status *st), void *arg, char *err, size_t errlen)
{
	(void)fn; (void)arg; (void)err; (void)errlen;
	fail_msg("the mover looked for idle nodes");
	return -1;
}

/* ---- the registry ---- */

#define T0	1700000000L	/* the jobs' times are after it */

static void
node_add(struct db *db, const char *name)
{
	struct db_token t;
	struct db_node n;
	char err[256];

	memset(&t, 0, sizeof(t));
	snprintf(t.id, sizeof(t.id), "00000000000000%c%c", name[3], name[3]);
	t.uses = 1;
	t.expires = 2000000000;
	t.created = 1700000000;
	assert_int_equal(db_token_add(db, &t, err, sizeof(err)), 0);
	memset(&n, 0, sizeof(n));
	snprintf(n.name, sizeof(n.name), "%s", name);
	snprintf(n.instance, sizeof(n.instance), "i-%s", name);
	snprintf(n.token, sizeof(n.token), "%s", t.id);
	snprintf(n.state, sizeof(n.state), "admitted");
	n.created = n.updated = n.last_seen = T0 - 100;
	assert_int_equal(db_node_insert_named(db, &n, err, sizeof(err)), 0);
}

static struct db *
open_fresh(void)
{
	struct db *db = reg_open_fresh();

	node_add(db, "vm-1");
	node_add(db, "vm-2");
	return db;
}

static void
report(const char *line)
{
	(void)line;
}

static struct sl_job
job(unsigned long id, enum sl_job_state st, const char *text,
    const char *node, long start)
{
	struct sl_job j;

	memset(&j, 0, sizeof(j));
	j.id = id;
	j.state = st;
	snprintf(j.state_text, sizeof(j.state_text), "%s", text);
	snprintf(j.node, sizeof(j.node), "%s", node);
	snprintf(j.nodes, sizeof(j.nodes), "%s", node);
	snprintf(j.partition, sizeof(j.partition), "vnode");
	j.exit_status = -1;
	j.start = start;
	return j;
}

/* "kind@node " for each of the job's events, oldest first */
struct seen {
	char text[1024];
};

static int
add_seen(void *arg, const struct db_event *e)
{
	struct seen *s = arg;
	size_t len = strlen(s->text);

	snprintf(s->text + len, sizeof(s->text) - len, "%s@%s ", e->kind,
	    e->node);
	return 0;
}

static const char *
events_of(struct db *db, long id, struct seen *s)
{
	char err[256];

	memset(s, 0, sizeof(*s));
	assert_int_equal(db_event_list(db, 0, 0, id, add_seen, s, err,
	    sizeof(err)), 0);
	return s->text;
}

static void
stale_poll_after_requeue(void **state)
{
	struct hook_config cfg;
	struct db *db = open_fresh();
	struct mover *m;
	struct sl_job j;
	struct seen s;
	char err[256];

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_non_null(m = mover_new(&cfg, db, report));
	/* the requeue API (a migration): the run it ends, then the requeue */
	assert_int_equal(db_event_add(db, T0 + 1000, "vm-1", 2, "run",
	    "partition vnode", err, sizeof(err)), 0);
	assert_int_equal(db_event_add(db, T0 + 1000.8, "vm-1", 2, "requeue",
	    "migrate to vm-2", err, sizeof(err)), 0);
	/* a poll taken before Slurm requeued it: the same run */
	j = job(2, SL_JOB_RUNNING, "RUNNING", "vm-1", T0 + 1000);
	mover_pass(m, &j, 1, T0 + 1001);
	assert_string_equal(events_of(db, 2, &s),
	    "run@vm-1 requeue@vm-1 ");
	/* requeued, then running on vm-2 */
	j = job(2, SL_JOB_PENDING, "PENDING", "", 0);
	mover_pass(m, &j, 1, T0 + 1002);
	j = job(2, SL_JOB_RUNNING, "RUNNING", "vm-2", T0 + 1003);
	mover_pass(m, &j, 1, T0 + 1004);
	assert_string_equal(events_of(db, 2, &s),
	    "run@vm-1 requeue@vm-1 run@vm-2 ");
	mover_free(m);
	db_close(db);
}

static void
runs_recorded_once(void **state)
{
	struct hook_config cfg;
	struct db *db = open_fresh();
	struct mover *m;
	struct sl_job j;
	struct seen s;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_non_null(m = mover_new(&cfg, db, report));
	/* a job the mover sees first, polled twice: one run */
	j = job(3, SL_JOB_RUNNING, "RUNNING", "vm-1", T0 + 2000);
	mover_pass(m, &j, 1, T0 + 2001);
	mover_pass(m, &j, 1, T0 + 2002);
	assert_string_equal(events_of(db, 3, &s), "run@vm-1 ");
	/* Slurm requeues it and it runs again on the same node, later: a
	 * second run */
	j = job(3, SL_JOB_PENDING, "PENDING", "", 0);
	mover_pass(m, &j, 1, T0 + 2003);
	j = job(3, SL_JOB_RUNNING, "RUNNING", "vm-1", T0 + 2010);
	mover_pass(m, &j, 1, T0 + 2011);
	assert_string_equal(events_of(db, 3, &s),
	    "run@vm-1 requeue@vm-1 run@vm-1 ");
	/* it ends */
	j = job(3, SL_JOB_DONE, "COMPLETED", "vm-1", T0 + 2010);
	j.exit_status = 0;
	mover_pass(m, &j, 1, T0 + 2020);
	assert_string_equal(events_of(db, 3, &s),
	    "run@vm-1 requeue@vm-1 run@vm-1 end@vm-1 ");
	mover_free(m);
	db_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stale_poll_after_requeue),
		cmocka_unit_test(runs_recorded_once),
	};

	return cmocka_run_group_tests(tests, reg_setup, reg_teardown);
}
