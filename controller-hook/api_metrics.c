/*
 * api_metrics.c - GET /metrics (api.h): the registry's, the admissions',
 * the joins' and elastic vnode's figures, in Prometheus's text format.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit.h"
#include "api_int.h"
#include "log.h"
#include "provision.h"
#include "status.h"
#include "util.h"

static void
admission_histogram(struct text *t, const char *name,
    const double *bounds_, const unsigned long *bucket, unsigned long count,
    double sum)
{
	int j;

	for (j = 0; j < ADMIT_BUCKETS; j++)
		text_printf(t, "%s_bucket{le=\"%g\"} %lu\n", name,
		    bounds_[j], bucket[j]);
	text_printf(t, "%s_bucket{le=\"+Inf\"} %lu\n%s_sum %.6f\n"
	    "%s_count %lu\n", name, count, name, sum, name, count);
}

static void
admission_metrics(struct api *a, struct text *t)
{
	struct admit_stats st;

	admit_stats_get(&st);
	text_printf(t, "# HELP vnode_admission_batch_size Joins "
	    "admitted together, per batch (mode %s).\n"
	    "# TYPE vnode_admission_batch_size histogram\n", a->cfg->admit);
	admission_histogram(t, "vnode_admission_batch_size",
	    admit_size_bounds, st.size_bucket, st.batches,
	    (double)st.size_sum);
	text_printf(t, "# HELP vnode_admission_batch_seconds Time "
	    "to make a batch's nodes known to Slurm.\n"
	    "# TYPE vnode_admission_batch_seconds histogram\n");
	admission_histogram(t, "vnode_admission_batch_seconds",
	    admit_secs_bounds, st.secs_bucket, st.batches, st.secs_sum);
	text_printf(t, "# HELP vnode_admission_restarts_total "
	    "slurmctld restarts for a changed node fragment (conf mode).\n"
	    "# TYPE vnode_admission_restarts_total counter\n"
	    "vnode_admission_restarts_total %lu\n"
	    "# HELP vnode_admission_failures_total Joins Slurm's part failed "
	    "for.\n# TYPE vnode_admission_failures_total counter\n"
	    "vnode_admission_failures_total %lu\n", st.restarts, st.failed);
}

struct inst_count {
	long n[8];
};

static const char *const inst_states[] = { "requested", "booting",
    "joined", "retiring", "deleting" };

static void
count_instance(void *arg, const struct db_instance *in)
{
	struct inst_count *c = arg;
	size_t i;

	for (i = 0; i < sizeof(inst_states) / sizeof(inst_states[0]); i++)
		if (strcmp(in->state, inst_states[i]) == 0)
			c->n[i]++;
}

/* Elastic vnode: instances, power saving requests, provider calls. */
static void
elastic_metrics(struct api *a, struct text *t)
{
	static const char *const calls[] = { "create", "delete", "list" };
	struct provision_stats ps;
	struct inst_count c;
	char err[256];
	size_t i;

	if (a->cfg->provider[0] == '\0')
		return;
	memset(&c, 0, sizeof(c));
	if (db_instance_each(a->db, 1, count_instance, &c, err,
	    sizeof(err)) != 0)
		for (i = 0; i < sizeof(c.n) / sizeof(c.n[0]); i++)
			c.n[i] = -1;		/* unknown */
	provision_stats_get(&ps);
	text_printf(t, "# HELP vnode_instances Live instances of "
	    "elastic vnode, by state.\n# TYPE vnode_instances gauge\n");
	for (i = 0; i < sizeof(inst_states) / sizeof(inst_states[0]); i++)
		text_printf(t, "vnode_instances{state=\"%s\"} %ld\n",
		    inst_states[i], c.n[i]);
	text_printf(t, "# HELP vnode_power_requests_total Power "
	    "saving requests (per node), by kind.\n"
	    "# TYPE vnode_power_requests_total counter\n"
	    "vnode_power_requests_total{kind=\"resume\"} %lu\n"
	    "vnode_power_requests_total{kind=\"suspend\"} %lu\n"
	    "vnode_power_requests_total{kind=\"resume_fail\"} %lu\n"
	    "# HELP vnode_instance_events_total What became of instances.\n"
	    "# TYPE vnode_instance_events_total counter\n"
	    "vnode_instance_events_total{event=\"created\"} %lu\n"
	    "vnode_instance_events_total{event=\"create_failed\"} %lu\n"
	    "vnode_instance_events_total{event=\"resume_refused\"} %lu\n"
	    "vnode_instance_events_total{event=\"deleted\"} %lu\n"
	    "vnode_instance_events_total{event=\"join_timeout\"} %lu\n"
	    "vnode_instance_events_total{event=\"orphan_deleted\"} %lu\n"
	    "vnode_instance_events_total{event=\"vanished\"} %lu\n"
	    "# HELP vnode_provider_backing_off 1 while the provider rests after "
	    "a refused create.\n# TYPE vnode_provider_backing_off gauge\n"
	    "vnode_provider_backing_off{provider=\"%s\"} %d\n",
	    ps.resumes, ps.suspends, ps.resume_fails, ps.created,
	    ps.create_failed, ps.refused, ps.deleted, ps.join_timeouts,
	    ps.orphans, ps.vanished, a->cfg->provider, ps.backing_off);
	text_printf(t, "# HELP vnode_provider_call_seconds Provider "
	    "calls: count, time summed, longest.\n"
	    "# TYPE vnode_provider_call_seconds summary\n");
	for (i = 0; i < 3; i++)
		text_printf(t, "vnode_provider_call_seconds_count"
		    "{call=\"%s\"} %lu\nvnode_provider_call_seconds_sum"
		    "{call=\"%s\"} %.6f\nvnode_provider_call_seconds_max"
		    "{call=\"%s\"} %.6f\n", calls[i], ps.calls[i], calls[i],
		    ps.call_secs[i], calls[i], ps.call_max[i]);
}

static const char *const call_names[API_CALLS] = { "join", "heartbeat",
    "status", "leave", "other" };
static const double call_bounds[API_BUCKETS] = { 0.001, 0.002, 0.005, 0.01,
    0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10 };

void
api_observe_call(struct api *a, const char *path, double secs)
{
	struct api_histogram *h;
	int i;

	for (i = 0; i < API_CALLS - 1; i++)
		if (strncmp(path, "/v1/", 4) == 0 &&
		    strcmp(path + 4, call_names[i]) == 0)
			break;
	h = &a->m.call[i];
	for (i = 0; i < API_BUCKETS; i++)
		if (secs <= call_bounds[i])
			h->bucket[i]++;
	h->count++;
	h->sum += secs;
}

static void
call_metrics(const struct api *a, struct text *t)
{
	int i, j;

	text_printf(t, "# HELP vnode_request_seconds The hook's "
	    "time per request, by kind (a heartbeat's wait for an order not "
	    "counted).\n# TYPE vnode_request_seconds histogram\n");
	for (i = 0; i < API_CALLS; i++) {
		const struct api_histogram *h = &a->m.call[i];

		for (j = 0; j < API_BUCKETS; j++)
			text_printf(t, "vnode_request_seconds_bucket"
			    "{call=\"%s\",le=\"%g\"} %lu\n", call_names[i],
			    call_bounds[j], h->bucket[j]);
		text_printf(t, "vnode_request_seconds_bucket"
		    "{call=\"%s\",le=\"+Inf\"} %lu\n"
		    "vnode_request_seconds_sum{call=\"%s\"} %.6f\n"
		    "vnode_request_seconds_count{call=\"%s\"} %lu\n",
		    call_names[i], h->count, call_names[i], h->sum,
		    call_names[i], h->count);
	}
}

void
api_metrics(struct api *a, int waiting, struct api_response *rs)
{
	static const char *const states[] = { "joining", "admitted", "held",
	    "left", "reaped" };
	struct text t = { NULL, 0, 0, 0 };
	size_t k;
	char err[256];
	unsigned long sb, sa;
	long n;
	int i, j;

	memset(rs, 0, sizeof(*rs));
	text_printf(&t, "# HELP vnode_nodes Nodes in the hook's "
	    "registry, by state (held: admitted, and drained until its mounts "
	    "are verified).\n# TYPE vnode_nodes gauge\n");
	for (k = 0; k < sizeof(states) / sizeof(states[0]); k++) {
		if (db_node_count(a->db, states[k], &n, err, sizeof(err)) != 0)
			n = -1;
		text_printf(&t, "vnode_nodes{state=\"%s\"} %ld\n",
		    states[k], n);
	}
	text_printf(&t, "# HELP vnode_joins_total Join requests, by "
	    "result.\n# TYPE vnode_joins_total counter\n"
	    "vnode_joins_total{result=\"admitted\"} %lu\n"
	    "vnode_joins_total{result=\"readmitted\"} %lu\n"
	    "vnode_joins_total{result=\"refused\"} %lu\n"
	    "vnode_joins_total{result=\"failed\"} %lu\n",
	    a->m.joins_admitted, a->m.joins_readmitted, a->m.joins_refused,
	    a->m.joins_failed);
	text_printf(&t, "# HELP vnode_heartbeats_total Heartbeats "
	    "received.\n# TYPE vnode_heartbeats_total counter\n"
	    "vnode_heartbeats_total %lu\n"
	    "# HELP vnode_suspensions_total Nodes back from a suspension.\n"
	    "# TYPE vnode_suspensions_total counter\n"
	    "vnode_suspensions_total %lu\n"
	    "# HELP vnode_heartbeats_waiting Heartbeats waiting for an order.\n"
	    "# TYPE vnode_heartbeats_waiting gauge\n"
	    "vnode_heartbeats_waiting %d\n", a->m.heartbeats, a->m.suspensions,
	    waiting);
	text_printf(&t, "# HELP vnode_join_phase_seconds Time of "
	    "each step of a node's join, as its agent reports it.\n"
	    "# TYPE vnode_join_phase_seconds histogram\n");
	for (i = 0; i < API_PHASES; i++) {
		const struct api_histogram *h = &a->m.phase[i];

		for (j = 0; j < API_BUCKETS; j++)
			text_printf(&t, "vnode_join_phase_seconds_bucket"
			    "{phase=\"%s\",le=\"%g\"} %lu\n", api_phases[i],
			    api_bounds[j], h->bucket[j]);
		text_printf(&t, "vnode_join_phase_seconds_bucket"
		    "{phase=\"%s\",le=\"+Inf\"} %lu\n"
		    "vnode_join_phase_seconds_sum{phase=\"%s\"} %.6f\n"
		    "vnode_join_phase_seconds_count{phase=\"%s\"} %lu\n",
		    api_phases[i], h->count, api_phases[i], h->sum, api_phases[i], h->count);
	}
	call_metrics(a, &t);
	status_stats(&sb, &sa);
	text_printf(&t, "# HELP vnode_status_batches_total Rounds of the "
	    "status thread: one per ready call, one for all the status calls "
	    "that waited together.\n"
	    "# TYPE vnode_status_batches_total counter\n"
	    "vnode_status_batches_total %lu\n"
	    "# HELP vnode_status_asks_total Status and ready calls answered "
	    "from Slurm.\n# TYPE vnode_status_asks_total counter\n"
	    "vnode_status_asks_total %lu\n", sb, sa);
	admission_metrics(a, &t);
	elastic_metrics(a, &t);
	if (t.failed) {
		free(t.s);
		rs->status = 500;
		snprintf(rs->log, sizeof(rs->log), "GET /metrics: out of memory");
		return;
	}
	rs->status = 200;
	rs->body = t.s;
	rs->bodylen = t.len;
	snprintf(rs->log, sizeof(rs->log), "GET /metrics");
}
