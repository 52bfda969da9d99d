/*
 * api_node.c - what a node asks of the hook about itself (api_int.h): its
 * status, a drain (with the requeue of its jobs), events, a checkpointed
 * job's requeue, its leave; and the node list.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit.h"
#include "api_int.h"
#include "events.h"
#include "jsonutil.h"
#include "log.h"
#include "overlay.h"
#include "provision.h"
#include "slurm.h"
#include "util.h"

static struct json_object *
status_object(const struct db_node *n, const struct sl_status *st)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "node", json_object_new_string(n->name));
	json_object_object_add(o, "registry", json_object_new_string(n->state));
	json_object_object_add(o, "state", json_object_new_string(st->state));
	json_object_object_add(o, "exists", json_object_new_boolean(st->exists));
	json_object_object_add(o, "usable", json_object_new_boolean(st->usable));
	json_object_object_add(o, "busy", json_object_new_boolean(st->busy));
	json_object_object_add(o, "responding",
	    json_object_new_boolean(st->responding));
	return o;
}

/* A status request for status.c's thread, or NULL with rs answered. */
static struct api_status_ask *
status_ask(const struct api_request *rq, struct auth *au,
    struct api_response *rs)
{
	struct api_status_ask *q;

	if (api_node_only(rq, au, rs) != 0)
		return NULL;
	if ((q = calloc(1, sizeof(*q))) == NULL) {
		api_fail(rs, rq, 500, "out of memory");
		return NULL;
	}
	q->node = au->node;
	q->keys = au->keys;
	snprintf(q->nonce, sizeof(q->nonce), "%s", au->nonce);
	snprintf(q->peer, sizeof(q->peer), "%s", rq->peer != NULL ? rq->peer :
	    "?");
	rs->suspend = 1;
	rs->status_ask = q;
	snprintf(rs->log, sizeof(rs->log), "%s %s from %s: %s: asking Slurm",
	    rq->method, rq->path, q->peer, q->node.name);
	return q;
}

/* Slurm is asked in status.c's thread, not here in the HTTP server's
 * (api_status_finish answers). */
void
api_do_status(struct api *a, const struct api_request *rq, struct auth *au,
    struct api_response *rs)
{
	(void)a;
	status_ask(rq, au, rs);
}

/* {"mounts": "ok"} or {"mounts": "failed", "error": "why"}: a held node's
 * agent on its mounts (status.c releases the hold, or keeps it). */
void
api_do_ready(struct api *a, const struct api_request *rq, struct auth *au,
    struct api_response *rs)
{
	struct api_status_ask *q;
	struct json_object *body;
	const char *mounts = NULL, *why = NULL;
	char err[256];
	int ready;

	(void)a;
	if ((body = api_parse_body(rq, rs)) == NULL)
		return;
	if (js_str(body, "mounts", 1, 16, &mounts, err, sizeof(err)) != 0 ||
	    js_str(body, "error", 0, DB_DETAIL_MAX, &why, err,
	    sizeof(err)) < 0) {
		api_fail(rs, rq, 400, "body: %s", err);
		goto out;
	}
	if (strcmp(mounts, "ok") == 0 && why == NULL)
		ready = API_READY_OK;
	else if (strcmp(mounts, "failed") == 0 && why != NULL && why[0] != '\0')
		ready = API_READY_FAILED;
	else {
		api_fail(rs, rq, 400, "body: \"mounts\": \"ok\", or \"failed\" "
		    "with the mount's \"error\"");
		goto out;
	}
	if ((q = status_ask(rq, au, rs)) == NULL)
		goto out;
	q->ready = ready;
	snprintf(q->why, sizeof(q->why), "%s", why != NULL ? why : "");
out:
	json_object_put(body);
}

/* A ready call's outcome in the registry: the hold over, and the event. */
static int
ready_record(struct api *a, const struct api_request *rq,
    struct api_status_ask *q, struct api_response *rs)
{
	struct db_node n;
	char err[256];
	int rc;

	if (api_tx_begin(a, rq, rs) != 0)
		return -1;
	if ((rc = db_node_by_name(a->db, q->node.name, &n, err,
	    sizeof(err))) != 0)
		api_fail(rs, rq, rc < 0 ? 500 : 409, "%s", rc < 0 ? err :
		    "the node left the registry");
	else if (q->released && n.held) {
		n.held = 0;
		n.updated = a->now();
		if (db_node_update(a->db, &n, err, sizeof(err)) != 0)
			api_fail(rs, rq, 500, "%s", err);
	}
	explicit_bzero(&n, sizeof(n));
	if (rs->status == 0)
		api_note(a, q->node.name, 0, "ready", "%s", q->outcome);
	return api_tx_end(a, rq, rs) != 0 || rs->status != 0 ? -1 : 0;
}

void
api_status_finish(struct api *a, struct api_status_ask *q,
    struct api_response *rs)
{
	struct api_request rq;
	struct json_object *o;

	memset(rs, 0, sizeof(*rs));
	memset(&rq, 0, sizeof(rq));
	rq.method = "POST";
	rq.path = q->ready ? "/v1/ready" : "/v1/status";
	rq.peer = q->peer;
	if (q->error[0] != '\0') {
		api_fail(rs, &rq, 503, "slurm: %s", q->error);
		goto out;
	}
	if (q->ready && ready_record(a, &rq, q, rs) != 0)
		goto out;
	o = status_object(&q->node, &q->st);
	if (q->ready) {
		json_object_object_add(o, "released",
		    json_object_new_boolean(q->released));
		json_object_object_add(o, "outcome",
		    json_object_new_string(q->outcome));
	}
	api_ok(rs, &rq, o, q->ready ? q->outcome : q->node.name);
	json_object_put(o);
out:
	api_sign_with(a, &q->keys, q->nonce, rs);
	explicit_bzero(q, sizeof(*q));
}

struct requeue_report {
	struct json_object *requeued;
	struct json_object *failed;
};

static void
requeue_report(void *arg, unsigned long jobid, const char *error)
{
	struct requeue_report *r = arg;
	struct json_object *f;

	if (error == NULL) {
		json_object_array_add(r->requeued, json_object_new_int64(
		    (int64_t)jobid));
		return;
	}
	f = json_object_new_object();
	json_object_object_add(f, "job", json_object_new_int64((int64_t)jobid));
	json_object_object_add(f, "error", json_object_new_string(error));
	json_object_array_add(r->failed, f);
}

/* A node's word on a checkpoint, as an event. */
static void
note_checkpoint(struct api *a, const char *node,
    const struct ev_checkpoint *cp)
{
	if (cp->error != NULL)
		api_note(a, node, cp->job, "checkpoint-failed", "%s", cp->error);
	else
		api_note(a, node, cp->job, "checkpoint", "image %ld", cp->image);
}

/* The mover records a job's run at its next look (move_interval): a job
 * requeued sooner after its start would have no run in the record, nor a
 * bar in the timeline.  The requeue knows it ran: it says so first. */
static void
note_run(struct api *a, const char *node, const struct sl_job *j)
{
	static const char *const kinds[] = { "run", "requeue", "end", NULL };
	struct db_event e;
	char err[256], detail[96];

	if (j->start <= 0 || (db_event_last(a->db, (long)j->id, kinds, &e,
	    err, sizeof(err)) == 0 && strcmp(e.kind, "run") == 0 &&
	    strcmp(e.node, node) == 0 && (long)e.time == j->start))
		return;
	snprintf(detail, sizeof(detail), "partition %s", j->partition);
	if (db_event_add(a->db, (double)j->start, node, (long)j->id, "run",
	    detail, err, sizeof(err)) != 0)
		log_warnx("event run of %s: %s", node, err);
}

/* The body of a drain, a requeue: {} when there is none. */
static struct json_object *
parse_optional_body(const struct api_request *rq, struct api_response *rs)
{
	size_t i;

	for (i = 0; i < rq->bodylen; i++)
		if (rq->body[i] != ' ' && rq->body[i] != '\t' &&
		    rq->body[i] != '\r' && rq->body[i] != '\n')
			return api_parse_body(rq, rs);
	return json_object_new_object();
}

void
api_do_drain(struct api *a, const struct api_request *rq, struct auth *au,
    struct api_response *rs)
{
	struct requeue_report r;
	struct json_object *o, *body, *jobs;
	struct sl_status st;
	struct ev_drain d;
	unsigned long ids[EV_BATCH_MAX * 4];
	char err[256], what[128];
	size_t i, n;
	int nreq, nfail;

	/* {} or none: drain and requeue, as the first agents do */
	if ((body = parse_optional_body(rq, rs)) == NULL)
		return;
	if (ev_parse_drain(body, &d, err, sizeof(err)) != 0) {
		api_fail(rs, rq, 400, "body: %s", err);
		json_object_put(body);
		return;
	}
	if (api_node_only(rq, au, rs) != 0) {
		json_object_put(body);
		return;
	}
	if (sl_node_drain(au->node.name, SL_DRAIN_REASON, err,
	    sizeof(err)) != 0) {
		api_fail(rs, rq, 503, "slurm: %s", err);
		goto out;
	}
	if (!d.requeue) {
		/* drain only: the agent checkpoints what it can first */
		if (sl_node_jobs(au->node.name, ids, sizeof(ids) / sizeof(ids[0]),
		    &n, err, sizeof(err)) != 0 ||
		    sl_node_status(au->node.name, &st, err, sizeof(err)) != 0) {
			api_fail(rs, rq, 503, "slurm: %s", err);
			goto out;
		}
		o = status_object(&au->node, &st);
		jobs = json_object_new_array();
		for (i = 0; i < n; i++)
			json_object_array_add(jobs, json_object_new_int64(
			    (int64_t)ids[i]));
		json_object_object_add(o, "jobs", jobs);
		snprintf(what, sizeof(what), "%s drained, %zu job(s) on it",
		    au->node.name, n);
		api_ok(rs, rq, o, what);
		json_object_put(o);
		goto out;
	}
	for (i = 0; i < d.ncp; i++)
		note_checkpoint(a, au->node.name, &d.cp[i]);
	r.requeued = json_object_new_array();
	r.failed = json_object_new_array();
	if (sl_requeue_node_jobs(au->node.name, requeue_report, &r, &nreq,
	    &nfail, err, sizeof(err)) != 0 ||
	    sl_node_status(au->node.name, &st, err, sizeof(err)) != 0) {
		json_object_put(r.requeued);
		json_object_put(r.failed);
		api_fail(rs, rq, 503, "slurm: %s", err);
		goto out;
	}
	for (i = 0; i < json_object_array_length(r.requeued); i++) {
		long job = (long)json_object_get_int64(
		    json_object_array_get_idx(r.requeued, i));

		api_note(a, au->node.name, job, "requeue", "leave of %s",
		    au->node.name);
		/* with checkpoints, the agent's new way: the jobs start again
		 * at once, not after Slurm's requeue delay */
		if (d.with_checkpoints && db_release_add(a->db, job, NULL,
		    a->now_exact(), err, sizeof(err)) != 0)
			log_warnx("release of job %ld: %s", job, err);
	}
	o = status_object(&au->node, &st);
	json_object_object_add(o, "requeued", r.requeued);
	json_object_object_add(o, "failed", r.failed);
	snprintf(what, sizeof(what), "%s drained, %d job(s) requeued, %d failed",
	    au->node.name, nreq, nfail);
	api_ok(rs, rq, o, what);
	json_object_put(o);
out:
	json_object_put(body);
}

void
api_do_events(struct api *a, const struct api_request *rq, struct auth *au,
    struct api_response *rs)
{
	struct ev_in ev[EV_BATCH_MAX];
	struct json_object *body, *o;
	char err[256], what[96];
	size_t i, n;

	if ((body = api_parse_body(rq, rs)) == NULL)
		return;
	if (ev_parse_batch(body, a->now_exact(), (double)a->cfg->clock_skew,
	    ev, &n, err, sizeof(err)) != 0) {
		api_fail(rs, rq, 400, "body: %s", err);
		goto out;
	}
	if (api_node_only(rq, au, rs) != 0)
		goto out;
	/* with the nonce, in the request's transaction: all or none */
	for (i = 0; i < n; i++)
		if (db_event_add(a->db, ev[i].time, au->node.name, ev[i].job,
		    ev[i].kind, ev[i].detail, err, sizeof(err)) != 0) {
			api_fail(rs, rq, 500, "%s", err);
			goto out;
		}
	o = json_object_new_object();
	json_object_object_add(o, "stored", json_object_new_int64((int64_t)n));
	snprintf(what, sizeof(what), "%zu event(s) of %s", n, au->node.name);
	api_ok(rs, rq, o, what);
	rs->notable = n > 0;
	json_object_put(o);
out:
	json_object_put(body);
}

void
api_do_requeue(struct api *a, const struct api_request *rq, struct auth *au,
    struct api_response *rs)
{
	struct json_object *body, *o;
	struct ev_requeue r;
	struct db_node to;
	struct sl_job j;
	char err[256], what[160];
	int rc;

	memset(&to, 0, sizeof(to));
	if ((body = api_parse_body(rq, rs)) == NULL)
		return;
	if (ev_parse_requeue(body, &r, err, sizeof(err)) != 0) {
		api_fail(rs, rq, 400, "body: %s", err);
		json_object_put(body);
		return;
	}
	if (api_node_only(rq, au, rs) != 0)
		goto out;
	if (r.to != NULL) {
		rc = db_node_by_name(a->db, r.to, &to, err, sizeof(err));
		explicit_bzero(to.master, sizeof(to.master));
		if (rc < 0) {
			api_fail(rs, rq, 500, "%s", err);
			goto out;
		}
		if (rc > 0 || strcmp(to.state, "admitted") != 0) {
			api_fail(rs, rq, 409, "\"to\": %s is not an admitted node",
			    r.to);
			goto out;
		}
		if (strcmp(r.to, au->node.name) == 0) {
			api_fail(rs, rq, 409, "\"to\": %s is the job's own node",
			    r.to);
			goto out;
		}
	}
	if ((rc = sl_job((unsigned long)r.cp.job, &j, err,
	    sizeof(err))) < 0) {
		api_fail(rs, rq, 503, "slurm: %s", err);
		goto out;
	}
	if (rc > 0) {
		api_fail(rs, rq, 404, "job %ld: Slurm does not know it", r.cp.job);
		goto out;
	}
	if ((j.state != SL_JOB_RUNNING && j.state != SL_JOB_SUSPENDED) ||
	    !sl_job_uses(&j, au->node.name)) {
		api_fail(rs, rq, 409, "job %ld is %s on %s, not running on %s",
		    r.cp.job, j.state_text, j.nodes[0] != '\0' ? j.nodes :
		    "no node", au->node.name);
		goto out;
	}
	note_run(a, au->node.name, &j);
	note_checkpoint(a, au->node.name, &r.cp);
	if (sl_job_requeue((unsigned long)r.cp.job, err, sizeof(err)) != 0) {
		api_fail(rs, rq, 503, "slurm: %s", err);
		goto out;
	}
	if (r.to != NULL)
		api_note(a, au->node.name, r.cp.job, "requeue", "migrate to %s",
		    r.to);
	else
		api_note(a, au->node.name, r.cp.job, "requeue", "%s",
		    r.cp.error != NULL ? "checkpoint failed" : "checkpointed");
	if (db_release_add(a->db, r.cp.job, r.to, a->now_exact(), err,
	    sizeof(err)) != 0) {
		/* requeued all the same: Slurm starts it after its delay */
		api_fail(rs, rq, 500, "job %ld requeued, but its release was not "
		    "queued: %s", r.cp.job, err);
		goto out;
	}
	o = json_object_new_object();
	json_object_object_add(o, "job", json_object_new_int64(r.cp.job));
	json_object_object_add(o, "requeued", json_object_new_boolean(1));
	snprintf(what, sizeof(what), "job %ld on %s requeued%s%s", r.cp.job,
	    au->node.name, r.to != NULL ? ", to " : "",
	    r.to != NULL ? r.to : "");
	api_ok(rs, rq, o, what);
	rs->notable = 1;
	json_object_put(o);
out:
	json_object_put(body);
}

void
api_do_leave(struct api *a, const struct api_request *rq, struct auth *au,
    struct api_response *rs)
{
	struct json_object *o;
	struct sl_status st;
	struct db_node n;
	char err[256];
	int rc;

	if (api_node_only(rq, au, rs) != 0)
		return;
	n = au->node;
	if (sl_node_status(n.name, &st, err, sizeof(err)) != 0) {
		api_fail(rs, rq, 503, "slurm: %s", err);
		goto out;
	}
	if (st.busy) {
		api_fail(rs, rq, 409, "node %s still has jobs (%s); drain it first",
		    n.name, st.state);
		goto out;
	}
	/* the registry first, in the request's transaction: when Slurm's
	 * part below fails, it is rolled back and nothing has changed */
	/* orders for a node that is gone are void */
	if (db_order_drop(a->db, n.name, err, sizeof(err)) != 0) {
		api_fail(rs, rq, 500, "%s", err);
		goto out;
	}
	snprintf(n.state, sizeof(n.state), "left");
	n.has_master = 0;
	explicit_bzero(n.master, sizeof(n.master));
	n.updated = a->now();
	if (db_node_update(a->db, &n, err, sizeof(err)) != 0) {
		api_fail(rs, rq, 500, "%s", err);
		goto out;
	}
	/* elastic: the CLOUD node stays in slurm.conf, powered down (usable
	 * for the next resume), and its instance goes */
	if ((rc = provision_node_left(a->db, n.name, n.instance,
	    "its agent left", a->now_exact(), err, sizeof(err))) < 0) {
		api_fail(rs, rq, 503, "%s", err);
		goto out;
	} else if (rc == 0 && admit_remove(n.name, err, sizeof(err)) != 0) {
		/* Only nodes in the registry get here: the hook never deletes
		 * a node it did not admit itself. */
		api_fail(rs, rq, 503, "slurm: %s", err);
		goto out;
	}
	/* its overlay peer goes (the address stays the node's) */
	if (a->cfg->overlay != OVERLAY_OFF && overlay_node_gone(a->db, a->cfg,
	    n.id, a->now_exact(), err, sizeof(err)) != 0)
		log_warnx("leave of %s: its overlay peer stays until the next "
		    "sync: %s", n.name, err);
	api_note(a, n.name, 0, "leave", "left");
	o = json_object_new_object();
	json_object_object_add(o, "node", json_object_new_string(n.name));
	json_object_object_add(o, "left", json_object_new_boolean(1));
	api_ok(rs, rq, o, n.name);
	snprintf(rs->log, sizeof(rs->log), "leave from %s: %s removed",
	    rq->peer, n.name);
	json_object_put(o);
out:
	explicit_bzero(&n, sizeof(n));
}

void
api_do_nodes(struct api *a, const struct api_request *rq, struct api_response *rs)
{
	struct text t = { NULL, 0, 0, 0 };
	char err[256];

	/* Unauthenticated: what sinfo would show, not which token let whom
	 * in (vnodectl shows that to the admin). */
	if (db_nodes_json(a->db, &t, err, sizeof(err)) != 0) {
		api_fail(rs, rq, 500, "%s", err);
		return;
	}
	api_ok_text(rs, rq, &t, "node list");
}
