/*
 * provision.c - see provision.h.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "names.h"
#include "provider.h"
#include "provision.h"
#include "sig.h"
#include "slurm.h"
#include "util.h"

#define MAX_REQUESTS	256	/* power requests taken per look */
#define ORPHANS_MAX	4096	/* unknown instances remembered */
#define TOKEN_SLACK	120	/* seconds a token outlives join_timeout */
#define REASON_MAX	200

struct request {
	char action[16];
	char nodes[4096];
	char detail[1024];
};

struct orphan {
	char id[PROV_ID_MAX];
	char node[PROV_NODE_MAX];
	double first_seen;
	int seen;			/* in this look */
};

/* A job requeued by a power down, released (StartTime=now) at a time:
 * at once, or when the provider's backoff ends.  (Slurm alone would hold
 * a requeued job for about two minutes.) */
#define HELD_MAX	1024
struct held {
	unsigned long job;
	double at;
};

struct prov {
	const struct hook_config *cfg;
	struct db *db;
	struct provider p;
	void (*report)(const char *line);
	long join_timeout;		/* effective, seconds */
	double backoff_until;		/* wall time */
	char backoff_why[256];
	double next_sync;
	struct orphan *orphans;
	size_t norphans;
	/* this look's requests */
	struct request *rq;
	size_t nrq;
	struct held held[HELD_MAX];
	size_t nheld;
};

static pthread_mutex_t stats_mu = PTHREAD_MUTEX_INITIALIZER;
static struct provision_stats stats;

static void __attribute__((format(printf, 2, 3)))
say(struct prov *pv, const char *fmt, ...)
{
	char line[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pv->report(line);
}

static void __attribute__((format(printf, 4, 5)))
event(struct prov *pv, const char *node, const char *kind, const char *fmt,
    ...)
{
	char detail[DB_DETAIL_MAX + 1], err[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (db_event_add(pv->db, wall_time(), node, 0, kind, detail, err,
	    sizeof(err)) != 0)
		say(pv, "provision: event %s of %s: %s", kind, node, err);
}

static void
count(unsigned long *what)
{
	pthread_mutex_lock(&stats_mu);
	(*what)++;
	pthread_mutex_unlock(&stats_mu);
}

/* A provider call's time, for /metrics. */
static void
timed(int which, double start)
{
	double t = mono_now() - start;

	pthread_mutex_lock(&stats_mu);
	stats.calls[which]++;
	stats.call_secs[which] += t;
	if (t > stats.call_max[which])
		stats.call_max[which] = t;
	pthread_mutex_unlock(&stats_mu);
}

static void
save(struct prov *pv, struct db_instance *in)
{
	char err[256];

	in->updated = wall_time();
	if (db_instance_update(pv->db, in, err, sizeof(err)) != 0)
		say(pv, "provision: instance %ld of %s: %s", in->id, in->node,
		    err);
}

/* The jobs held whose time has come go to the mover's releases. */
static void
release_held(struct prov *pv)
{
	char err[256];
	double now = wall_time();
	size_t i, k;

	for (i = k = 0; i < pv->nheld; i++) {
		if (pv->held[i].at > now) {
			pv->held[k++] = pv->held[i];
			continue;
		}
		if (db_release_add(pv->db, (long)pv->held[i].job, NULL, now, err,
		    sizeof(err)) != 0)
			say(pv, "provision: release of job %lu: %s",
			    pv->held[i].job, err);
		else
			say(pv, "provision: job %lu released", pv->held[i].job);
	}
	pv->nheld = k;
}

/* The node back to powered down at once, so that it is usable again and
 * its jobs go back to the queue (Slurm requeues them): never left DOWN.
 * Its jobs are released at once, or when the provider's backoff ends. */
static void
power_down(struct prov *pv, const char *node, const char *why)
{
	char reason[REASON_MAX + 1], err[256];
	unsigned long jobs[64];
	size_t nj = 0, i;

	if (sl_node_jobs(node, jobs, sizeof(jobs) / sizeof(jobs[0]), &nj, err,
	    sizeof(err)) != 0) {
		say(pv, "provision: %s: %s", node, err);
		nj = 0;
	}
	snprintf(reason, sizeof(reason), "vnode: %s", why);
	if (sl_node_power_down(node, 1, reason, err, sizeof(err)) != 0)
		say(pv, "provision: %s: %s", node, err);
	if (sl_node_undrain(node, err, sizeof(err)) != 0)
		say(pv, "provision: %s: %s", node, err);
	for (i = 0; i < nj && pv->nheld < HELD_MAX; i++) {
		pv->held[pv->nheld].job = jobs[i];
		pv->held[pv->nheld++].at = pv->backoff_until;
		say(pv, "provision: job %lu on %s requeued; %s", jobs[i], node,
		    pv->backoff_until > wall_time() ? "released when the "
		    "provider's backoff ends" : "released");
	}
	release_held(pv);
}

/* An instance that will not be (create refused, never joined): its
 * row failed, its node powered down. */
static void
give_up(struct prov *pv, struct db_instance *in, const char *kind,
    const char *why)
{
	snprintf(in->state, sizeof(in->state), "failed");
	str_copy(in->detail, sizeof(in->detail), why);
	save(pv, in);
	event(pv, in->node, kind, "%s", why);
	say(pv, "provision: %s: %s; powered down", in->node, why);
	power_down(pv, in->node, why);
}

static int
destroy(struct prov *pv, struct db_instance *in, int graceful,
    const char *why)
{
	char err[512];
	double start = mono_now();
	int rc;

	if (in->cloud_id[0] == '\0')
		return 0;		/* never made */
	rc = pv->p.destroy(pv->p.st, in->cloud_id, graceful, err, sizeof(err));
	timed(1, start);
	if (rc != 0) {
		say(pv, "provision: deleting %s (%s) of %s: %s", in->cloud_id,
		    why, in->node, err);
		return -1;
	}
	count(&stats.deleted);
	event(pv, in->node, "delete", "%s %s: %s", pv->p.name, in->cloud_id,
	    why);
	say(pv, "provision: %s: instance %s deleted%s (%s)", in->node,
	    in->cloud_id, graceful ? " gracefully" : "", why);
	return 0;
}

/* ---- the requests vnodectl left ---- */

static void
take_one(void *arg, const struct db_power *p)
{
	struct prov *pv = arg;
	struct request *r;

	if (pv->nrq == MAX_REQUESTS)
		return;			/* the rest next time: not taken */
	r = &pv->rq[pv->nrq++];
	snprintf(r->action, sizeof(r->action), "%s", p->action);
	snprintf(r->nodes, sizeof(r->nodes), "%s", p->nodes);
	snprintf(r->detail, sizeof(r->detail), "%s", p->detail);
}

struct counter {
	long n;
};

static void
count_live(void *arg, const struct db_instance *in)
{
	(void)in;
	((struct counter *)arg)->n++;
}

static void
resume_node(struct prov *pv, const char *node, const char *why)
{
	struct db_instance in;
	struct counter c = { 0 };
	char err[256], reason[300];
	double now = wall_time();
	int rc;

	count(&stats.resumes);
	if (!name_node_valid(node)) {
		say(pv, "provision: resume of \"%.64s\": not a node name vnode "
		    "takes", node);
		return;
	}
	if ((rc = db_instance_live(pv->db, node, &in, err, sizeof(err))) < 0) {
		say(pv, "provision: %s: %s", node, err);
		return;
	}
	if (rc == 0) {
		/* Slurm resumes again after a slurmctld restart: one node,
		 * one instance */
		say(pv, "provision: resume of %s: it has instance %ld (%s) "
		    "already", node, in.id, in.state);
		return;
	}
	if (now < pv->backoff_until) {
		count(&stats.refused);
		snprintf(reason, sizeof(reason), "provider %s backs off until "
		    "%.0f s from now: %s", pv->p.name, pv->backoff_until - now,
		    pv->backoff_why);
		event(pv, node, "resume-refused", "%s", reason);
		say(pv, "provision: resume of %s refused: %s", node, reason);
		power_down(pv, node, reason);
		return;
	}
	if (db_instance_each(pv->db, 1, count_live, &c, err, sizeof(err)) == 0 &&
	    c.n >= pv->cfg->max_instances) {
		count(&stats.refused);
		snprintf(reason, sizeof(reason), "max_instances (%ld) reached",
		    pv->cfg->max_instances);
		event(pv, node, "resume-refused", "%s", reason);
		say(pv, "provision: resume of %s refused: %s", node, reason);
		power_down(pv, node, reason);
		return;
	}
	memset(&in, 0, sizeof(in));
	snprintf(in.node, sizeof(in.node), "%s", node);
	snprintf(in.provider, sizeof(in.provider), "%s", pv->p.name);
	snprintf(in.state, sizeof(in.state), "requested");
	str_copy(in.why, sizeof(in.why), why);
	in.requested = in.updated = now;
	if (db_instance_add(pv->db, &in, err, sizeof(err)) != 0) {
		say(pv, "provision: %s: %s", node, err);
		return;
	}
	event(pv, node, "power-up", "%s", why[0] != '\0' ? why : "asked by Slurm");
}

static void
suspend_node(struct prov *pv, const char *node, const char *why)
{
	struct db_instance in;
	char err[256];
	int rc;

	count(&stats.suspends);
	if (!name_node_valid(node))
		return;
	if ((rc = db_instance_live(pv->db, node, &in, err, sizeof(err))) != 0) {
		if (rc < 0)
			say(pv, "provision: %s: %s", node, err);
		return;			/* nothing of ours there */
	}
	if (strcmp(in.state, "joined") == 0) {
		/* its agent leaves first: checkpoints, requeues */
		if (db_order_add(pv->db, node, "retire", "", (long)wall_time(),
		    err, sizeof(err)) != 0) {
			say(pv, "provision: retire %s: %s", node, err);
			return;
		}
		snprintf(in.state, sizeof(in.state), "retiring");
		str_copy(in.detail, sizeof(in.detail), why);
		save(pv, &in);
		event(pv, node, "power-down", "%s: its agent is to leave", why);
		say(pv, "provision: %s: %s; its agent is to leave", node, why);
		return;
	}
	if (strcmp(in.state, "requested") == 0 ||
	    strcmp(in.state, "booting") == 0) {
		/* not joined: nothing to leave */
		snprintf(in.state, sizeof(in.state), "deleting");
		snprintf(in.detail, sizeof(in.detail), "%s before it joined",
		    why);
		save(pv, &in);
		event(pv, node, "power-down", "%s before it joined", why);
	}
}

static void
resume_fail_node(struct prov *pv, const char *node, const char *why)
{
	struct db_instance in;
	char err[256], what[300];

	count(&stats.resume_fails);
	if (!name_node_valid(node))
		return;
	if (db_instance_live(pv->db, node, &in, err, sizeof(err)) == 0) {
		snprintf(what, sizeof(what), "did not join in time (%s)", why);
		destroy(pv, &in, 0, what);
		give_up(pv, &in, "join-timeout", what);
		return;
	}
	/* none of ours, but Slurm has the node DOWN: it is made usable */
	power_down(pv, node, "resume failed");
}

struct each_node {
	struct prov *pv;
	const char *action;
	const char *why;
};

static int
one_node(void *arg, const char *name)
{
	struct each_node *e = arg;

	if (strcmp(e->action, "resume") == 0)
		resume_node(e->pv, name, e->why);
	else if (strcmp(e->action, "suspend") == 0)
		suspend_node(e->pv, name, e->why);
	else if (strcmp(e->action, "deprovision") == 0)
		suspend_node(e->pv, name, e->why);
	else if (strcmp(e->action, "resume-fail") == 0)
		resume_fail_node(e->pv, name, e->why);
	return 0;
}

static void
requests(struct prov *pv)
{
	struct each_node e;
	char err[256];
	size_t i;

	pv->nrq = 0;
	if (db_power_take(pv->db, take_one, pv, err, sizeof(err)) != 0) {
		say(pv, "provision: requests: %s", err);
		return;
	}
	for (i = 0; i < pv->nrq; i++) {
		say(pv, "provision: %s %s%s%s%s", pv->rq[i].action,
		    pv->rq[i].nodes, pv->rq[i].detail[0] ? " (" : "",
		    pv->rq[i].detail, pv->rq[i].detail[0] ? ")" : "");
		e.pv = pv;
		e.action = pv->rq[i].action;
		e.why = pv->rq[i].detail;
		if (sl_hostlist_each(pv->rq[i].nodes, one_node, &e, err,
		    sizeof(err)) != 0)
			say(pv, "provision: %s: %s", pv->rq[i].action, err);
	}
}

/* ---- creating ---- */

struct batch {
	struct db_instance in[PROVISION_BATCH];
	size_t n;
};

static void
add_requested(void *arg, const struct db_instance *in)
{
	struct batch *b = arg;

	if (strcmp(in->state, "requested") == 0 && b->n < PROVISION_BATCH)
		b->in[b->n++] = *in;
}

/* A single-use token bound to the node (the instance row names it): the
 * user data's join_token, "ID.SECRET" in out. */
static int
mint(struct prov *pv, struct db_instance *in, char out[TOKEN_LEN + 1],
    char *err, size_t errlen)
{
	struct db_token t;
	char secret[SECRET_LEN + 1];
	int rc = -1;

	memset(&t, 0, sizeof(t));
	if (sig_new_token_id(t.id) != 0 || sig_new_secret(secret) != 0 ||
	    sig_master(SIG_TOKEN, secret, t.master) != 0) {
		errf(err, errlen, "no random numbers");
		goto out;
	}
	t.uses = 1;
	t.created = wall_now();
	t.expires = t.created + pv->join_timeout + TOKEN_SLACK;
	if (db_token_add(pv->db, &t, err, errlen) != 0)
		goto out;
	snprintf(in->token, sizeof(in->token), "%s", t.id);
	snprintf(out, TOKEN_LEN + 1, "%s.%s", t.id, secret);
	rc = 0;
out:
	explicit_bzero(&t, sizeof(t));
	explicit_bzero(secret, sizeof(secret));
	return rc;
}

/* The instance's user data: the cloud-config vnode-agent reads. */
static int
user_data(struct prov *pv, const struct db_instance *in, const char *token,
    char *out, size_t outsz)
{
	const char *pin = pv->cfg->hook_pin;
	int n = snprintf(out, outsz,
	    "#cloud-config\n"
	    "# made by vnode-hookd for Slurm node %s\n"
	    "vnode:\n"
	    "  hook_url: \"%s\"\n"
	    "  join_token: \"%s\"\n"
	    "%s%s%s", in->node, pv->cfg->hook_url, token,
	    pin[0] != '\0' ? "  hook_pin: \"" : "", pin,
	    pin[0] != '\0' ? "\"\n" : "");

	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

static void
create_requested(struct prov *pv)
{
	struct batch *b;
	struct prov_request *rq = NULL;
	struct prov_instance *out = NULL;
	char (*ud)[1024] = NULL, token[TOKEN_LEN + 1], err[512], why[600];
	double start;
	size_t i, k;
	int taken;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return;
	if (db_instance_each(pv->db, 1, add_requested, b, err,
	    sizeof(err)) != 0) {
		say(pv, "provision: %s", err);
		goto out;
	}
	if (b->n == 0)
		goto out;
	rq = calloc(b->n, sizeof(*rq));
	out = calloc(b->n, sizeof(*out));
	ud = calloc(b->n, sizeof(*ud));
	if (rq == NULL || out == NULL || ud == NULL)
		goto out;
	for (i = k = 0; i < b->n; i++) {
		if (mint(pv, &b->in[i], token, err, sizeof(err)) != 0 ||
		    user_data(pv, &b->in[i], token, ud[i], sizeof(ud[0])) != 0) {
			explicit_bzero(token, sizeof(token));
			give_up(pv, &b->in[i], "create-failed", err);
			continue;
		}
		explicit_bzero(token, sizeof(token));
		save(pv, &b->in[i]);		/* its token, for the join */
		b->in[k] = b->in[i];
		snprintf(rq[k].node, sizeof(rq[k].node), "%s", b->in[k].node);
		memcpy(ud[k], ud[i], sizeof(ud[0]));
		rq[k].user_data = ud[k];
		rq[k].user_data_len = strlen(ud[k]);
		k++;
	}
	if (k == 0)
		goto out;
	start = mono_now();
	taken = pv->p.create(pv->p.st, rq, k, out, err, sizeof(err));
	timed(0, start);
	if (taken < 0) {
		/* nothing made: every node down again, the provider rests */
		pv->backoff_until = wall_time() + (double)pv->cfg->provider_backoff;
		str_copy(pv->backoff_why, sizeof(pv->backoff_why), err);
		for (i = 0; i < k; i++) {
			count(&stats.create_failed);
			snprintf(why, sizeof(why), "%s create refused: %s",
			    pv->p.name, err);
			give_up(pv, &b->in[i], "create-failed", why);
		}
		say(pv, "provision: %s backs off for %ld s", pv->p.name,
		    pv->cfg->provider_backoff);
		goto out;
	}
	for (i = 0; i < k; i++) {
		if (out[i].state == PROV_ERROR || out[i].id[0] == '\0') {
			count(&stats.create_failed);
			snprintf(why, sizeof(why), "%s create failed: %s",
			    pv->p.name, out[i].detail[0] != '\0' ?
			    out[i].detail : "no instance id");
			/* a cloud that refuses some is short of something:
			 * it rests too */
			if (pv->backoff_until <= wall_time())
				say(pv, "provision: %s backs off for %ld s",
				    pv->p.name, pv->cfg->provider_backoff);
			pv->backoff_until = wall_time() +
			    (double)pv->cfg->provider_backoff;
			str_copy(pv->backoff_why, sizeof(pv->backoff_why),
			    out[i].detail);
			give_up(pv, &b->in[i], "create-failed", why);
			continue;
		}
		count(&stats.created);
		snprintf(b->in[i].cloud_id, sizeof(b->in[i].cloud_id), "%s",
		    out[i].id);
		snprintf(b->in[i].state, sizeof(b->in[i].state), "booting");
		snprintf(b->in[i].detail, sizeof(b->in[i].detail), "%s",
		    prov_state_name(out[i].state));
		save(pv, &b->in[i]);
		event(pv, b->in[i].node, "create", "%s %s", pv->p.name,
		    out[i].id);
	}
	say(pv, "provision: %s: %d of %zu instance(s) created in %.3f s",
	    pv->p.name, taken, k, mono_now() - start);
out:
	if (ud != NULL) {
		explicit_bzero(ud, b->n * sizeof(*ud));
		free(ud);
	}
	free(rq);
	free(out);
	free(b);
}

/* ---- the clock: joins that do not come, agents that do not leave,
 * instances to delete ---- */

struct live {
	struct db_instance *in;
	size_t n, cap;
};

static void
add_live(void *arg, const struct db_instance *in)
{
	struct live *l = arg;
	struct db_instance *ni;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;

		if ((ni = realloc(l->in, cap * sizeof(*ni))) == NULL)
			return;
		l->in = ni;
		l->cap = cap;
	}
	l->in[l->n++] = *in;
}

static void
clock_pass(struct prov *pv)
{
	struct live l = { NULL, 0, 0 };
	struct db_instance *in;
	char err[256], why[300];
	double now = wall_time();
	size_t i;

	if (db_instance_each(pv->db, 1, add_live, &l, err, sizeof(err)) != 0) {
		say(pv, "provision: %s", err);
		return;
	}
	for (i = 0; i < l.n; i++) {
		in = &l.in[i];
		if ((strcmp(in->state, "booting") == 0 ||
		    strcmp(in->state, "requested") == 0) &&
		    now - in->requested > (double)pv->join_timeout) {
			count(&stats.join_timeouts);
			snprintf(why, sizeof(why), "did not join within %ld s",
			    pv->join_timeout);
			destroy(pv, in, 0, why);
			give_up(pv, in, "join-timeout", why);
		} else if (strcmp(in->state, "retiring") == 0 &&
		    now - in->updated > PROVISION_RETIRE_MAX) {
			snprintf(why, sizeof(why), "its agent did not leave "
			    "within %d s", PROVISION_RETIRE_MAX);
			if (destroy(pv, in, 1, why) == 0) {
				snprintf(in->state, sizeof(in->state), "deleted");
				str_copy(in->detail, sizeof(in->detail), why);
				save(pv, in);
				power_down(pv, in->node, why);
			}
		} else if (strcmp(in->state, "deleting") == 0) {
			if (destroy(pv, in, 0, in->detail[0] != '\0' ?
			    in->detail : "suspended") == 0) {
				snprintf(in->state, sizeof(in->state), "deleted");
				save(pv, in);
			}
		}
	}
	free(l.in);
}

/* ---- the cloud's own list against the registry ---- */

static struct orphan *
orphan_find(struct prov *pv, const char *id)
{
	size_t i;

	for (i = 0; i < pv->norphans; i++)
		if (strcmp(pv->orphans[i].id, id) == 0)
			return &pv->orphans[i];
	return NULL;
}

static void
sync_pass(struct prov *pv)
{
	struct prov_instance *ci = NULL;
	struct live l = { NULL, 0, 0 };
	struct db_instance known, *in;
	struct orphan *o;
	char err[512], why[300];
	double now = wall_time(), start = mono_now();
	size_t n = 0, i, k;
	int rc;

	rc = pv->p.list(pv->p.st, &ci, &n, err, sizeof(err));
	timed(2, start);
	if (rc != 0) {
		say(pv, "provision: listing %s's instances: %s", pv->p.name, err);
		return;
	}
	for (i = 0; i < pv->norphans; i++)
		pv->orphans[i].seen = 0;
	/* instances of ours the registry does not have live */
	for (i = 0; i < n; i++) {
		if (ci[i].id[0] == '\0' || ci[i].state == PROV_GONE)
			continue;
		rc = db_instance_by_cloud_id(pv->db, ci[i].id, &known, err,
		    sizeof(err));
		if (rc < 0) {
			say(pv, "provision: %s", err);
			goto out;
		}
		if (rc == 0 && strcmp(known.state, "deleted") != 0 &&
		    strcmp(known.state, "failed") != 0)
			continue;	/* ours, and wanted */
		if ((o = orphan_find(pv, ci[i].id)) == NULL &&
		    pv->norphans < ORPHANS_MAX) {
			o = &pv->orphans[pv->norphans++];
			snprintf(o->id, sizeof(o->id), "%s", ci[i].id);
			snprintf(o->node, sizeof(o->node), "%s", ci[i].node);
			o->first_seen = now;
			say(pv, "provision: %s instance %s (node %s) is not in the "
			    "registry: deleted in %ld s unless claimed",
			    pv->p.name, ci[i].id, ci[i].node[0] ? ci[i].node :
			    "?", pv->cfg->orphan_grace);
		}
		if (o == NULL)
			continue;
		o->seen = 1;
		if (now - o->first_seen >= (double)pv->cfg->orphan_grace) {
			struct db_instance tmp;

			memset(&tmp, 0, sizeof(tmp));
			snprintf(tmp.cloud_id, sizeof(tmp.cloud_id), "%s", o->id);
			snprintf(tmp.node, sizeof(tmp.node), "%s", o->node);
			snprintf(why, sizeof(why), "an orphan for %.0f s",
			    now - o->first_seen);
			if (destroy(pv, &tmp, 0, why) == 0) {
				count(&stats.orphans);
				event(pv, o->node, "orphan", "%s %s deleted: not "
				    "in the registry for %.0f s", pv->p.name, o->id,
				    now - o->first_seen);
				o->seen = 0;	/* forgotten below */
			}
		}
	}
	for (i = k = 0; i < pv->norphans; i++)
		if (pv->orphans[i].seen)
			pv->orphans[k++] = pv->orphans[i];
	pv->norphans = k;

	/* instances the registry has live that the cloud has lost */
	if (db_instance_each(pv->db, 1, add_live, &l, err, sizeof(err)) != 0) {
		say(pv, "provision: %s", err);
		goto out;
	}
	for (i = 0; i < l.n; i++) {
		in = &l.in[i];
		if (in->cloud_id[0] == '\0' || strcmp(in->state, "deleting") == 0)
			continue;
		/* made after this list was asked for: not yet in it */
		if (in->updated > now - 1)
			continue;
		for (k = 0; k < n; k++)
			if (strcmp(ci[k].id, in->cloud_id) == 0)
				break;
		if (k < n && ci[k].state != PROV_GONE && ci[k].state != PROV_ERROR)
			continue;
		count(&stats.vanished);
		snprintf(why, sizeof(why), "%s instance %.127s %s%s%.120s",
		    pv->p.name, in->cloud_id, k < n && ci[k].state == PROV_ERROR ?
		    "went to ERROR" : "vanished", k < n && ci[k].detail[0] ?
		    ": " : "", k < n ? ci[k].detail : "");
		if (k < n && ci[k].state == PROV_ERROR)
			destroy(pv, in, 0, why);
		snprintf(in->state, sizeof(in->state), "deleted");
		str_copy(in->detail, sizeof(in->detail), why);
		save(pv, in);
		event(pv, in->node, "vanished", "%s", why);
		say(pv, "provision: %s: %s; powered down, its jobs requeued",
		    in->node, why);
		power_down(pv, in->node, why);
	}
out:
	free(l.in);
	free(ci);
}

/* ---- the thread ---- */

static pthread_t thread;
static pthread_mutex_t stop_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stop_cv = PTHREAD_COND_INITIALIZER;
static int running, stopping;
static struct prov *prov;

static void
pass(struct prov *pv)
{
	release_held(pv);
	requests(pv);
	create_requested(pv);
	clock_pass(pv);
	if (mono_now() >= pv->next_sync) {
		sync_pass(pv);
		pv->next_sync = mono_now() + pv->cfg->sync_interval;
	}
	pthread_mutex_lock(&stats_mu);
	stats.backing_off = wall_time() < pv->backoff_until;
	pthread_mutex_unlock(&stats_mu);
}

static void *
run(void *arg)
{
	struct timespec until;
	double wall;

	(void)arg;
	pthread_mutex_lock(&stop_mu);
	while (!stopping) {
		pthread_mutex_unlock(&stop_mu);
		pass(prov);
		wall = wall_time() + PROVISION_TICK;
		until.tv_sec = (time_t)wall;
		until.tv_nsec = (long)((wall - (double)until.tv_sec) * 1e9);
		pthread_mutex_lock(&stop_mu);
		if (!stopping)
			pthread_cond_timedwait(&stop_cv, &stop_mu, &until);
	}
	pthread_mutex_unlock(&stop_mu);
	return NULL;
}

int
provision_start(const struct hook_config *cfg, struct db *db,
    void (*report)(const char *line), char *err, size_t errlen)
{
	struct sl_power_conf pc;
	struct prov *pv;
	int e;

	if (cfg->provider[0] == '\0')
		return 0;		/* not elastic */
	if ((pv = calloc(1, sizeof(*pv))) == NULL ||
	    (pv->rq = calloc(MAX_REQUESTS, sizeof(*pv->rq))) == NULL ||
	    (pv->orphans = calloc(ORPHANS_MAX, sizeof(*pv->orphans))) == NULL) {
		if (pv != NULL)
			free(pv->rq);
		free(pv);
		return errf(err, errlen, "provision: out of memory");
	}
	pv->cfg = cfg;
	pv->db = db;
	pv->report = report;
	if (provider_open(cfg, &pv->p, err, errlen) != 0)
		goto fail;
	pv->join_timeout = cfg->join_timeout;
	if (pv->join_timeout == 0) {
		char why[256];

		/* before Slurm sets the node DOWN, so that it is never DOWN */
		if (sl_power_conf(&pc, why, sizeof(why)) != 0) {
			errf(err, errlen, "provision: join_timeout = 0 takes "
			    "Slurm's ResumeTimeout, but %s", why);
			provider_close(&pv->p);
			goto fail;
		}
		pv->join_timeout = pc.resume_timeout > 15 ?
		    pc.resume_timeout - 5 : 10;
	}
	prov = pv;
	stopping = 0;
	if ((e = pthread_create(&thread, NULL, run, NULL)) != 0) {
		provider_close(&pv->p);
		prov = NULL;
		errf(err, errlen, "provision thread: %s", strerror(e));
		goto fail;
	}
	running = 1;
	say(pv, "provision: provider %s%s%s%s, instances join within %ld s, "
	    "%s as %s", pv->p.name, pv->p.info[0] ? " (" : "", pv->p.info,
	    pv->p.info[0] ? ")" : "", pv->join_timeout, cfg->hook_url,
	    "their hook_url");
	return 0;
fail:
	free(pv->orphans);
	free(pv->rq);
	free(pv);
	return -1;
}

void
provision_stop(void)
{
	if (!running)
		return;
	pthread_mutex_lock(&stop_mu);
	stopping = 1;
	pthread_cond_broadcast(&stop_cv);
	pthread_mutex_unlock(&stop_mu);
	pthread_join(thread, NULL);
	running = 0;
	provider_close(&prov->p);
	free(prov->orphans);
	free(prov->rq);
	free(prov);
	prov = NULL;
}

void
provision_stats_get(struct provision_stats *st)
{
	pthread_mutex_lock(&stats_mu);
	*st = stats;
	pthread_mutex_unlock(&stats_mu);
}

int
provision_node_left(struct db *db, const char *node, const char *instance,
    const char *why, double now, char *err, size_t errlen)
{
	struct db_instance in;
	char reason[REASON_MAX + 1];
	int rc;

	if ((rc = db_instance_live(db, node, &in, err, errlen)) != 0)
		return rc < 0 ? -1 : 0;
	if (instance != NULL && strcmp(in.instance, instance) != 0)
		return 0;
	snprintf(reason, sizeof(reason), "vnode: %s", why);
	if (sl_node_power_down(node, 1, reason, err, errlen) != 0 ||
	    sl_node_undrain(node, err, errlen) != 0)
		return -1;
	snprintf(in.state, sizeof(in.state), "deleting");
	str_copy(in.detail, sizeof(in.detail), why);
	in.updated = now;
	if (db_instance_update(db, &in, err, errlen) != 0)
		return -1;
	return 1;
}
