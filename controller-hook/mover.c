/*
 * mover.c - see mover.h.
 *
 * The tracker keeps, for each job it follows, what it recorded last (state,
 * node, start); a job it meets for the first time takes that from the
 * events table, so a restarted hook does not record a run twice.  Only
 * running or suspended jobs on registry nodes are followed, and only until
 * they end or are requeued.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mover.h"
#include "util.h"

struct track {
	unsigned long id;
	enum sl_job_state state;
	char node[64];
	long start;
	int seen;			/* in this pass's jobs */
};

/* How often the mover looks for jobs whose checkpoint files can go. */
#define FORGET_INTERVAL	5.0
/* Jobs looked at per look (the rest at the next). */
#define FORGET_MAX	256

struct mover {
	const struct hook_config *cfg;
	struct db *db;
	void (*report)(const char *line);
	struct track *t;
	size_t nt, capt;
	char (*reg)[64];		/* admitted registry nodes, sorted */
	size_t nreg, capreg;
	int first;			/* no pass yet */
	double next_forget;		/* when to look for them next */
};

static void __attribute__((format(printf, 2, 3)))
say(struct mover *m, const char *fmt, ...)
{
	char line[700];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	m->report(line);
}

static void __attribute__((format(printf, 6, 7)))
event(struct mover *m, double time, const char *node, unsigned long job,
    const char *kind, const char *fmt, ...)
{
	char detail[DB_DETAIL_MAX + 1], err[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (db_event_add(m->db, time, node, (long)job, kind, detail, err,
	    sizeof(err)) != 0)
		say(m, "mover: event %s of job %lu: %s", kind, job, err);
}

struct mover *
mover_new(const struct hook_config *cfg, struct db *db,
    void (*report)(const char *line))
{
	struct mover *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->cfg = cfg;
	m->db = db;
	m->report = report;
	m->first = 1;
	return m;
}

void
mover_free(struct mover *m)
{
	if (m == NULL)
		return;
	free(m->t);
	free(m->reg);
	free(m);
}

static void
add_reg(void *arg, const struct db_node *n)
{
	struct mover *m = arg;

	if (array_grow(&m->reg, &m->capreg, m->nreg, sizeof(*m->reg), 64) != 0)
		return;
	snprintf(m->reg[m->nreg++], sizeof(m->reg[0]), "%s", n->name);
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static int
registered(const struct mover *m, const char *name)
{
	if (name[0] == '\0' || m->nreg == 0)
		return 0;
	return bsearch(name, m->reg, m->nreg, sizeof(m->reg[0]),
	    cmp_name) != NULL;
}

static struct track *
tracked(struct mover *m, unsigned long id)
{
	size_t i;

	for (i = 0; i < m->nt; i++)
		if (m->t[i].id == id)
			return &m->t[i];
	return NULL;
}

static struct track *
track_add(struct mover *m, unsigned long id)
{

	if (array_grow(&m->t, &m->capt, m->nt, sizeof(*m->t), 64) != 0)
		return NULL;
	memset(&m->t[m->nt], 0, sizeof(m->t[0]));
	m->t[m->nt].id = id;
	m->t[m->nt].state = SL_JOB_PENDING;
	return &m->t[m->nt++];
}

/* What the events table says the job last did. */
static void
track_init(struct mover *m, struct track *t)
{
	static const char *const states[] = { "run", "suspend", "resume",
	    "end", "requeue", NULL };
	static const char *const runs[] = { "run", NULL };
	struct db_event e;
	char err[256];

	if (db_event_last(m->db, (long)t->id, states, &e, err,
	    sizeof(err)) != 0)
		return;
	if (strcmp(e.kind, "run") == 0 || strcmp(e.kind, "resume") == 0)
		t->state = SL_JOB_RUNNING;
	else if (strcmp(e.kind, "suspend") == 0)
		t->state = SL_JOB_SUSPENDED;
	else
		return;
	snprintf(t->node, sizeof(t->node), "%s", e.node);
	if (db_event_last(m->db, (long)t->id, runs, &e, err, sizeof(err)) == 0)
		t->start = (long)e.time;
}

/* The hook recorded the job's requeue itself (the API's, a leave's). */
static int
last_is_requeue(struct mover *m, unsigned long id)
{
	static const char *const kinds[] = { "run", "resume", "suspend",
	    "requeue", NULL };
	struct db_event e;
	char err[256];

	return db_event_last(m->db, (long)id, kinds, &e, err,
	    sizeof(err)) == 0 && strcmp(e.kind, "requeue") == 0;
}

/* This run of the job (its node, its start) is in the record already:
 * the requeue API wrote it before the requeue it ends, and a poll of
 * Slurm taken before that requeue took effect shows it again. */
static int
run_recorded(struct mover *m, const struct sl_job *j)
{
	static const char *const runs[] = { "run", NULL };
	struct db_event e;
	char err[256];

	return j->start > 0 && db_event_last(m->db, (long)j->id, runs, &e,
	    err, sizeof(err)) == 0 && strcmp(e.node, j->node) == 0 &&
	    (long)e.time == j->start;
}

static void
track_job(struct mover *m, const struct sl_job *j, double now)
{
	struct track *t = tracked(m, j->id);
	int active = j->state == SL_JOB_RUNNING ||
	    j->state == SL_JOB_SUSPENDED;
	int same;

	if (t == NULL) {
		/* new to us: running on one of ours, or (the first pass
		 * after a start) one we may have followed before */
		if (!(active && registered(m, j->node)) && !m->first)
			return;
		if ((t = track_add(m, j->id)) == NULL)
			return;
		track_init(m, t);
	}
	t->seen = 1;
	same = (t->state == SL_JOB_RUNNING || t->state == SL_JOB_SUSPENDED) &&
	    strcmp(t->node, j->node) == 0 && (t->start == 0 || j->start == 0 ||
	    t->start == j->start);
	if (active && !same) {
		if (!registered(m, j->node)) {
			t->state = SL_JOB_OTHER;	/* not ours to follow */
			return;
		}
		if (!run_recorded(m, j))
			event(m, j->start > 0 ? (double)j->start : now, j->node,
			    j->id, "run", "partition %s", j->partition);
		if (j->state == SL_JOB_SUSPENDED)
			event(m, now, j->node, j->id, "suspend", "%s",
			    j->state_text);
	} else if (active && t->state != j->state)
		event(m, now, j->node, j->id, j->state == SL_JOB_RUNNING ?
		    "resume" : "suspend", "%s", j->state_text);
	else if (!active && (t->state == SL_JOB_RUNNING ||
	    t->state == SL_JOB_SUSPENDED)) {
		if (j->state == SL_JOB_DONE) {
			if (j->exit_status >= 0)
				event(m, now, t->node, j->id, "end", "%s, exit %d",
				    j->state_text, j->exit_status);
			else
				event(m, now, t->node, j->id, "end", "%s, signal %d",
				    j->state_text, j->exit_signal);
		} else if (!last_is_requeue(m, j->id))
			event(m, now, t->node, j->id, "requeue", "by Slurm (%s)",
			    j->state_text);
	}
	t->state = active ? j->state : SL_JOB_DONE;
	if (active) {
		snprintf(t->node, sizeof(t->node), "%s", j->node);
		t->start = j->start;
	}
}

/* Jobs gone from Slurm's list while we followed them; then forget what
 * is over. */
static void
track_sweep(struct mover *m, double now)
{
	size_t i, k;

	for (i = 0; i < m->nt; i++)
		if (!m->t[i].seen && (m->t[i].state == SL_JOB_RUNNING ||
		    m->t[i].state == SL_JOB_SUSPENDED)) {
			event(m, now, m->t[i].node, m->t[i].id, "end",
			    "gone from Slurm's job list");
			m->t[i].state = SL_JOB_DONE;
		}
	for (i = k = 0; i < m->nt; i++) {
		if (m->t[i].state != SL_JOB_RUNNING &&
		    m->t[i].state != SL_JOB_SUSPENDED)
			continue;
		m->t[i].seen = 0;
		m->t[k++] = m->t[i];
	}
	m->nt = k;
}

static const struct sl_job *
find_job(const struct sl_job *jobs, size_t n, long id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (jobs[i].id == (unsigned long)id)
			return &jobs[i];
	return NULL;
}

static void
release_set(struct mover *m, long job, const char *state)
{
	char err[256];

	if (db_release_set(m->db, job, state, err, sizeof(err)) != 0)
		say(m, "mover: release of job %ld: %s", job, err);
}

/* One queued release.  target "-": no target, but the ReqNodeList an
 * earlier release set is cleared.  1 when it still waits for its job to
 * be PENDING. */
static int
release_one(struct mover *m, const struct db_release *r,
    const struct sl_job *j, double now)
{
	const char *nodes = NULL;
	char err[256];
	int pending = j != NULL && j->state == SL_JOB_PENDING && !j->completing;

	if (strcmp(r->state, "wait") == 0) {
		if (j == NULL || j->state == SL_JOB_DONE) {
			event(m, now, r->target[0] == '-' ? "" : r->target, (unsigned long)r->job,
			    "release-failed", "job %s", j == NULL ? "gone" :
			    j->state_text);
			release_set(m, r->job, NULL);
			return 0;
		}
		if (!pending) {
			/* Slurm takes the update only once the job is PENDING,
			 * not while it completes (at the end of which it sets
			 * the start of a requeued job to 121 s later, unless
			 * it is later already) */
			if (now - r->created > MOVER_RELEASE_TIMEOUT) {
				event(m, now, "", j->id, "release-failed", "job still "
				    "%s after %.0f s", j->state_text,
				    MOVER_RELEASE_TIMEOUT);
				release_set(m, r->job, NULL);
				return 0;
			}
			return 1;
		}
		if (strcmp(r->target, "-") == 0)
			nodes = "";
		else if (r->target[0] != '\0')
			nodes = r->target;
		if (sl_job_release(j->id, 1, nodes, err, sizeof(err)) != 0) {
			event(m, now, "", j->id, "release-failed", "%s", err);
			release_set(m, r->job, NULL);
			return 0;
		}
		event(m, now, nodes != NULL && nodes[0] != '\0' ? nodes : "",
		    j->id, "release", "StartTime=now%s%s", nodes == NULL ? "" :
		    nodes[0] != '\0' ? " ReqNodeList=" : " ReqNodeList cleared",
		    nodes != NULL ? nodes : "");
		say(m, "mover: job %lu released after %.1f s%s%s", j->id,
		    now - r->created, nodes != NULL && nodes[0] != '\0' ?
		    " to " : "", nodes != NULL ? nodes : "");
		release_set(m, r->job, nodes != NULL && nodes[0] != '\0' ?
		    "released" : NULL);
	} else if (strcmp(r->state, "released") == 0) {
		if (j == NULL || j->state == SL_JOB_DONE)
			release_set(m, r->job, NULL);
		else if (j->state == SL_JOB_RUNNING ||
		    j->state == SL_JOB_SUSPENDED)
			release_set(m, r->job, "ran");
	} else {
		/* "ran": the job's ReqNodeList is ours; Slurm takes it away
		 * only from a pending job, so it goes when the job is
		 * pending again (a requeue the hook did not make) */
		if (j == NULL || j->state == SL_JOB_DONE)
			release_set(m, r->job, NULL);
		else if (pending) {
			if (sl_job_release(j->id, 0, "", err, sizeof(err)) != 0)
				say(m, "mover: job %lu: clearing ReqNodeList: %s",
				    j->id, err);
			release_set(m, r->job, NULL);
		}
	}
	return 0;
}

/* The releases; how many wait for their job to be PENDING. */
static int
releases(struct mover *m, const struct sl_job *jobs, size_t njobs,
    double now)
{
	struct db_release *r;
	char err[256];
	size_t i, n;
	int waiting = 0;

	if (db_release_list(m->db, &r, &n, err, sizeof(err)) != 0) {
		say(m, "mover: releases: %s", err);
		return 0;
	}
	for (i = 0; i < n; i++)
		waiting += release_one(m, &r[i], find_job(jobs, njobs,
		    r[i].job), now);
	free(r);
	return waiting;
}

struct idle {
	const struct mover *m;
	char (*names)[64];
	size_t n, cap;
};

static void
add_idle(void *arg, const char *name, const struct sl_status *st)
{
	struct idle *id = arg;

	if (strcmp(st->state, "IDLE") != 0 || !st->responding ||
	    !registered(id->m, name))
		return;
	if (array_grow(&id->names, &id->cap, id->n, sizeof(*id->names),
	    16) != 0)
		return;
	snprintf(id->names[id->n++], sizeof(id->names[0]), "%s", name);
}

static int
movable(const struct mover *m, const struct sl_job *j)
{
	int i;

	if (j->state != SL_JOB_SUSPENDED || !registered(m, j->node))
		return 0;
	for (i = 0; i < m->cfg->nckpt_partitions; i++)
		if (strcmp(j->partition, m->cfg->ckpt_partitions[i]) == 0)
			return 1;
	return 0;
}

/* The poster scenario: a job suspended for a higher tier's job moves to
 * an idle node, by a checkpoint its node's agent makes. */
static void
move(struct mover *m, const struct sl_job *jobs, size_t njobs, double now)
{
	struct idle id = { m, NULL, 0, 0 };
	char err[256], arg[96];
	size_t i, k, used = 0;
	int rc, any = 0;

	for (i = 0; i < njobs && !any; i++)
		any = movable(m, &jobs[i]);
	if (!any)
		return;
	if (sl_node_each(add_idle, &id, err, sizeof(err)) != 0) {
		say(m, "mover: %s", err);
		return;
	}
	for (i = 0; i < njobs && used < id.n; i++) {
		if (!movable(m, &jobs[i]))
			continue;
		rc = db_checkpoint_open(m->db, (long)jobs[i].id, (long)now, err,
		    sizeof(err));
		if (rc != 0) {
			if (rc < 0)
				say(m, "mover: job %lu: %s", jobs[i].id, err);
			continue;
		}
		/* the first idle node not taken yet in this pass */
		for (k = used; k < id.n; k++)
			if (strcmp(id.names[k], jobs[i].node) != 0)
				break;
		if (k == id.n)
			continue;
		snprintf(arg, sizeof(arg), "%lu %s", jobs[i].id, id.names[k]);
		if (db_order_add(m->db, jobs[i].node, "checkpoint", arg,
		    (long)now, err, sizeof(err)) != 0) {
			say(m, "mover: job %lu: %s", jobs[i].id, err);
			continue;
		}
		event(m, now, jobs[i].node, jobs[i].id, "move", "from %s to %s",
		    jobs[i].node, id.names[k]);
		say(m, "mover: job %lu suspended on %s: checkpoint ordered, to "
		    "move to idle %s", jobs[i].id, jobs[i].node, id.names[k]);
		/* taken: swap it to the front of the untaken ones */
		if (k != used) {
			char tmp[64];

			memcpy(tmp, id.names[used], sizeof(tmp));
			memcpy(id.names[used], id.names[k], sizeof(tmp));
			memcpy(id.names[k], tmp, sizeof(tmp));
		}
		used++;
	}
	free(id.names);
}

struct stored {
	long job[FORGET_MAX];
	char node[FORGET_MAX][64];
	size_t n;
};

static void
add_stored(void *arg, long job, const char *node)
{
	struct stored *sj = arg;

	if (sj->n == FORGET_MAX)
		return;
	sj->job[sj->n] = job;
	snprintf(sj->node[sj->n++], sizeof(sj->node[0]), "%s", node);
}

/*
 * A job whose checkpoint files are in the store (an image, a failed
 * dump's log) and that has ended for good (cancelled, timed out, failed,
 * completed, or gone from Slurm's list): an order "forget JOB" to an agent
 * (root, which the store needs) removes them, once.  The node it was
 * dumped on when that one is still ours, else any of ours; with none, it
 * waits for one.  (A job that ends by itself has its files removed by its
 * shim already; the order then finds nothing.)
 */
static void
forget(struct mover *m, const struct sl_job *jobs, size_t njobs, double now)
{
	struct stored *sj;
	const struct sl_job *j;
	const char *node;
	char err[256], arg[32];
	size_t i;

	if (now < m->next_forget)
		return;
	m->next_forget = now + FORGET_INTERVAL;
	if ((sj = calloc(1, sizeof(*sj))) == NULL)
		return;
	if (db_store_jobs(m->db, add_stored, sj, err, sizeof(err)) != 0) {
		say(m, "mover: checkpoint files: %s", err);
		goto out;
	}
	for (i = 0; i < sj->n; i++) {
		j = find_job(jobs, njobs, sj->job[i]);
		if (j != NULL && j->state != SL_JOB_DONE)
			continue;	/* pending, running, suspended: kept */
		node = registered(m, sj->node[i]) ? sj->node[i] :
		    m->nreg > 0 ? m->reg[0] : NULL;
		if (node == NULL)
			break;		/* no agent to do it yet */
		snprintf(arg, sizeof(arg), "%ld", sj->job[i]);
		if (db_order_add(m->db, node, "forget", arg, (long)now, err,
		    sizeof(err)) != 0) {
			say(m, "mover: job %ld: %s", sj->job[i], err);
			continue;
		}
		event(m, now, node, (unsigned long)sj->job[i], "forget",
		    "job %s: its checkpoint files to be removed by %s",
		    j != NULL ? j->state_text : "gone from Slurm", node);
		say(m, "mover: job %ld %s: forget order to %s", sj->job[i],
		    j != NULL ? j->state_text : "gone from Slurm", node);
	}
out:
	free(sj);
}

int
mover_pass(struct mover *m, const struct sl_job *jobs, size_t njobs,
    double now)
{
	char err[256];
	size_t i;
	int waiting;

	m->nreg = 0;
	if (db_node_stale(m->db, "admitted", (long)now + 1, add_reg, m, err,
	    sizeof(err)) != 0) {
		say(m, "mover: %s", err);
		return 0;
	}
	if (m->nreg > 0)
		qsort(m->reg, m->nreg, sizeof(m->reg[0]), cmp_name);
	for (i = 0; i < njobs; i++)
		track_job(m, &jobs[i], now);
	track_sweep(m, now);
	m->first = 0;
	waiting = releases(m, jobs, njobs, now);
	forget(m, jobs, njobs, now);
	if (m->cfg->nckpt_partitions > 0)
		move(m, jobs, njobs, now);
	return waiting;
}

/* The thread. */

static pthread_t thread;
static pthread_mutex_t stop_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stop_cv = PTHREAD_COND_INITIALIZER;
static int running, stopping;
static struct mover *mover;

static void *
run(void *arg)
{
	struct sl_job *jobs;
	struct timespec until;
	double next = mono_now(), wall;
	size_t n;
	char err[256];
	int failing = 0, waiting = 0;

	(void)arg;
	pthread_mutex_lock(&stop_mu);
	while (!stopping) {
		pthread_mutex_unlock(&stop_mu);
		if (sl_jobs(&jobs, &n, err, sizeof(err)) != 0) {
			/* said once, not every interval */
			if (!failing)
				say(mover, "mover: %s", err);
			failing = 1;
		} else {
			if (failing)
				say(mover, "mover: Slurm answers again");
			failing = 0;
			waiting = mover_pass(mover, jobs, n, wall_time());
			free(jobs);
		}
		/* a requeued job is released the moment it is PENDING: each
		 * moment it waits adds to the time its node stands idle */
		next += waiting > 0 && mover->cfg->move_interval >
		    MOVER_RELEASE_POLL ? MOVER_RELEASE_POLL :
		    mover->cfg->move_interval;
		if (next < mono_now())
			next = mono_now();
		wall = wall_time() + (next - mono_now());
		until.tv_sec = (time_t)wall;
		until.tv_nsec = (long)((wall - (double)until.tv_sec) * 1e9);
		pthread_mutex_lock(&stop_mu);
		while (!stopping && mono_now() < next)
			if (pthread_cond_timedwait(&stop_cv, &stop_mu,
			    &until) != 0)
				break;
	}
	pthread_mutex_unlock(&stop_mu);
	return NULL;
}

int
mover_start(const struct hook_config *cfg, struct db *db,
    void (*report)(const char *line), char *err, size_t errlen)
{
	int e;

	if ((mover = mover_new(cfg, db, report)) == NULL)
		return errf(err, errlen, "mover: out of memory");
	stopping = 0;
	if ((e = pthread_create(&thread, NULL, run, NULL)) != 0) {
		mover_free(mover);
		mover = NULL;
		return errf(err, errlen, "mover thread: %s", strerror(e));
	}
	running = 1;
	return 0;
}

void
mover_stop(void)
{
	if (!running)
		return;
	pthread_mutex_lock(&stop_mu);
	stopping = 1;
	pthread_cond_broadcast(&stop_cv);
	pthread_mutex_unlock(&stop_mu);
	pthread_join(thread, NULL);
	running = 0;
	mover_free(mover);
	mover = NULL;
}
