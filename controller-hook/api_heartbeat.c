/*
 * api_heartbeat.c - POST /v1/heartbeat (api_int.h): a node's sign of life,
 * its join's step times, and the order it waits for (the answer may wait,
 * api_heartbeat_finish).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "jsonutil.h"
#include "log.h"
#include "util.h"

const char *const api_phases[API_PHASES] = { "settings", "time", "join",
    "mounts", "munge", "slurmd", "ready", "total", "overlay" };
const double api_bounds[API_BUCKETS] = { 0.01, 0.025, 0.05, 0.1, 0.25,
    0.5, 1, 2.5, 5, 10, 30, 60 };

static void
observe(struct api_histogram *h, double v)
{
	int i;

	for (i = 0; i < API_BUCKETS; i++)
		if (v <= api_bounds[i])
			h->bucket[i]++;
	h->count++;
	h->sum += v;
}

/* "timings": {"time": 0.41, ...}, each a known phase, 0 to 1 day. */
static int
read_timings(struct json_object *o, double *t, char *err, size_t errlen)
{
	struct json_object *tim;
	int i;

	for (i = 0; i < API_PHASES; i++)
		t[i] = -1;
	if (!json_object_object_get_ex(o, "timings", &tim) || tim == NULL)
		return 0;
	if (!json_object_is_type(tim, json_type_object))
		return errf(err, errlen, "\"timings\": not an object");
	json_object_object_foreach(tim, key, val) {
		double v;

		for (i = 0; i < API_PHASES; i++)
			if (strcmp(key, api_phases[i]) == 0)
				break;
		if (i == API_PHASES)
			return errf(err, errlen, "\"timings\": unknown phase");
		if (!json_object_is_type(val, json_type_double) &&
		    !json_object_is_type(val, json_type_int))
			return errf(err, errlen, "\"timings\".%s: not a number",
			    api_phases[i]);
		v = json_object_get_double(val);
		if (!(v >= 0 && v <= 86400))
			return errf(err, errlen, "\"timings\".%s: out of range",
			    api_phases[i]);
		t[i] = v;
	}
	return 0;
}

/* The answer to a heartbeat: the next order, or null.  1 when an order
 * went out, 0 when none was waiting, -1 on error. */
static int
heartbeat_answer(struct api *a, const char *node, struct api_response *rs,
    char *err, size_t errlen)
{
	struct json_object *o, *ord = NULL;
	struct db_order order;
	int rc;

	rc = db_order_take(a->db, node, a->now(), &order, err, errlen);
	if (rc < 0)
		return -1;
	o = json_object_new_object();
	json_object_object_add(o, "node", json_object_new_string(node));
	if (rc == 0) {
		ord = json_object_new_object();
		json_object_object_add(ord, "id", json_object_new_int64(order.id));
		json_object_object_add(ord, "kind",
		    json_object_new_string(order.kind));
		json_object_object_add(ord, "arg",
		    json_object_new_string(order.arg));
	}
	json_object_object_add(o, "order", ord);
	rs->status = 200;
	api_set_body(rs, o);
	json_object_put(o);
	if (rc == 0)
		snprintf(rs->log, sizeof(rs->log), "heartbeat of %s: order %ld "
		    "(%s) delivered", node, order.id, order.kind);
	else
		snprintf(rs->log, sizeof(rs->log), "heartbeat of %s", node);
	return rc == 0;
}

static void
report_answer(const char *node, struct api_response *rs)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "node", json_object_new_string(node));
	json_object_object_add(o, "order", NULL);
	rs->status = 200;
	api_set_body(rs, o);
	json_object_put(o);
	snprintf(rs->log, sizeof(rs->log), "report of %s", node);
}

void
api_do_heartbeat(struct api *a, const struct api_request *rq, struct auth *au,
    struct api_response *rs)
{
	struct json_object *body;
	double t[API_PHASES];
	char err[256];
	long wait = 0, resumed = 0;
	int i, sent = 0, orders = 1;

	if ((body = api_parse_body(rq, rs)) == NULL)
		return;
	if (js_int(body, "wait", 0, 0, API_WAIT_MAX, &wait, err,
	    sizeof(err)) < 0 ||
	    js_int(body, "resumed", 0, 0, 365L * 86400, &resumed, err,
	    sizeof(err)) < 0 ||
	    js_bool(body, "orders", 0, &orders, err, sizeof(err)) < 0 ||
	    read_timings(body, t, err, sizeof(err)) != 0) {
		api_fail(rs, rq, 400, "body: %s", err);
		json_object_put(body);
		return;
	}
	json_object_put(body);
	if (api_node_only(rq, au, rs) != 0)
		return;
	if (db_node_seen(a->db, au->node.name, a->now(), err,
	    sizeof(err)) != 0) {
		api_fail(rs, rq, 500, "%s", err);
		return;
	}
	a->m.heartbeats++;
	for (i = 0; i < API_PHASES; i++)
		if (t[i] >= 0)
			observe(&a->m.phase[i], t[i]);
	if (resumed > 0)
		a->m.suspensions++;
	/* "orders": false: only a report (the step times of a join); any
	 * order stays for the node's next heartbeat */
	if (!orders)
		report_answer(au->node.name, rs);
	else if ((sent = heartbeat_answer(a, au->node.name, rs, err,
	    sizeof(err))) < 0) {
		api_fail(rs, rq, 500, "%s", err);
		return;
	}
	rs->notable = sent > 0 || resumed > 0;
	if (resumed > 0)
		snprintf(rs->log, sizeof(rs->log), "heartbeat of %s: back after "
		    "%ld s suspended%s", au->node.name, resumed,
		    sent > 0 ? "; an order delivered" : "");
	if (orders && !sent && wait > 0) {
		/* nothing to do yet: the answer waits for an order */
		rs->suspend = 1;
		snprintf(rs->pending.node, sizeof(rs->pending.node), "%s",
		    au->node.name);
		rs->pending.keys = au->keys;
		snprintf(rs->pending.nonce, sizeof(rs->pending.nonce), "%s",
		    au->nonce);
		rs->pending.wait = (double)wait;
	}
}

void
api_heartbeat_finish(struct api *a, struct api_pending *p,
    struct api_response *rs)
{
	struct api_request rq;
	char err[256];
	int rc = -1;

	memset(rs, 0, sizeof(*rs));
	memset(&rq, 0, sizeof(rq));
	rq.method = "POST";
	rq.path = "/v1/heartbeat";
	/* the node was there all along: that counts as hearing from it; the
	 * order it is given is taken in the same transaction */
	if (api_tx_begin(a, &rq, rs) == 0) {
		if (db_node_seen(a->db, p->node, a->now(), err,
		    sizeof(err)) != 0 ||
		    (rc = heartbeat_answer(a, p->node, rs, err,
		    sizeof(err))) < 0)
			api_fail(rs, &rq, 500, "%s", err);
		if (api_tx_end(a, &rq, rs) != 0)
			rc = -1;
	}
	rs->notable = rc > 0;
	rs->ts = a->now();
	if (sig_response(&p->keys, p->nonce, rs->status, rs->ts, rs->body,
	    rs->bodylen, rs->sig) == 0)
		rs->is_signed = 1;
	explicit_bzero(p, sizeof(*p));
}
