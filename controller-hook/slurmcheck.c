/*
 * slurmcheck.c - see slurmcheck.h.  Each check is one function that says
 * ok or warn; what each warning costs is measured by a test or a
 * benchmark, named in vnodectl(8).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "slurmcheck.h"

struct sc {
	const struct sl_conf *c;
	const struct hook_config *cfg;
	void (*out)(void *arg, enum sc_level level, const char *setting,
	    const char *text);
	void *arg;
	int warnings;
	int ctld;			/* slurmctld's release: 2411 for 24.11 */
};

static void __attribute__((format(printf, 4, 5)))
say(struct sc *s, enum sc_level level, const char *setting,
    const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (level == SC_WARN)
		s->warnings++;
	s->out(s->arg, level, setting, text);
}

/* "24.11.5" -> 2411; 0 when it is no version. */
static int
release(const char *v)
{
	char *end;
	long major, minor;

	major = strtol(v, &end, 10);
	if (end == v || *end != '.' || major < 0 || major > 99)
		return 0;
	v = end + 1;
	minor = strtol(v, &end, 10);
	if (end == v || minor < 0 || minor > 99)
		return 0;
	return (int)(major * 100 + minor);
}

/*
 * The value of key in a comma-separated list of key or key=value words
 * (SchedulerParameters, SlurmctldParameters), matched without regard to
 * case: 1 and *val (NULL for a bare key) when there, else 0.
 */
static int
param(const char *list, const char *key, char *val, size_t valsz)
{
	size_t klen = strlen(key), n;
	const char *p = list, *e;

	if (val != NULL && valsz > 0)
		val[0] = '\0';
	while (p != NULL && *p != '\0') {
		e = p + strcspn(p, ",");
		if ((size_t)(e - p) >= klen && strncasecmp(p, key, klen) == 0 &&
		    (p[klen] == '=' || p + klen == e)) {
			if (val != NULL && valsz > 0 && p[klen] == '=') {
				n = (size_t)(e - p) - klen - 1;
				if (n >= valsz)
					n = valsz - 1;
				memcpy(val, p + klen + 1, n);
				val[n] = '\0';
			}
			return 1;
		}
		p = *e == ',' ? e + 1 : e;
	}
	return 0;
}

static void
check_versions(struct sc *s)
{
	int lib = release(s->c->lib_version);

	if (s->ctld == 0 || lib == 0 || s->ctld == lib)
		say(s, SC_OK, "Slurm", "slurmctld %s; vnode built with "
		    "libslurm %s", s->c->version, s->c->lib_version);
	else
		say(s, SC_WARN, "Slurm", "slurmctld is %s, vnode was built "
		    "with libslurm %s: build it against the controller's "
		    "(libslurm and slurm/spank.h; README, \"Slurm versions\")",
		    s->c->version, s->c->lib_version);
}

static void
check_select(struct sc *s)
{
	if (s->cfg->mode != ADMIT_DYNAMIC)
		return;
	if (strcmp(s->c->select_type, "select/cons_tres") == 0)
		say(s, SC_OK, "SelectType", "select/cons_tres, which dynamic "
		    "nodes need");
	else
		say(s, SC_WARN, "SelectType", "%s: slurmctld creates dynamic "
		    "nodes (admit = dynamic) only with select/cons_tres",
		    s->c->select_type[0] != '\0' ? s->c->select_type : "none");
}

static void
check_configless(struct sc *s)
{
	if (param(s->c->slurmctld_params, "enable_configless", NULL, 0))
		say(s, SC_OK, "SlurmctldParameters", "enable_configless: "
		    "nodes fetch the configuration from %s",
		    s->cfg->conf_server);
	else
		say(s, SC_WARN, "SlurmctldParameters", "no enable_configless: "
		    "nodes start slurmd --conf-server %s, which then finds no "
		    "configuration", s->cfg->conf_server);
}

static void
check_requeue(struct sc *s)
{
	if (s->c->job_requeue)
		say(s, SC_OK, "JobRequeue", "1: a leaving node's batch jobs "
		    "are requeued");
	else
		say(s, SC_WARN, "JobRequeue", "0: batch jobs submitted "
		    "without --requeue cannot be requeued, so a leaving "
		    "node's jobs end instead of going on elsewhere");
}

static void
check_reconfigure(struct sc *s)
{
	if (s->cfg->mode != ADMIT_CONF || !s->cfg->apply_reconfigure ||
	    s->ctld == 0)
		return;
	if (s->ctld >= 2311)
		say(s, SC_OK, "apply", "reconfigure: slurmctld %s takes new "
		    "and removed nodes on a reconfigure", s->c->version);
	else
		say(s, SC_WARN, "apply", "reconfigure: slurmctld %s exits "
		    "on a reconfigure that changes the node count; use "
		    "apply = restart", s->c->version);
}

/* With ckpt_partitions: preemption that suspends, and what makes the
 * poster's scenario fast (bench/preempt). */
static void
check_preemption(struct sc *s)
{
	char v[64];

	if (s->cfg->nckpt_partitions == 0)
		return;
	if (strcmp(s->c->preempt_type, "preempt/none") != 0 &&
	    s->c->preempt_type[0] != '\0' &&
	    strstr(s->c->preempt_mode, "SUSPEND") != NULL)
		say(s, SC_OK, "PreemptMode", "%s (%s): jobs of the "
		    "checkpoint partitions are suspended for higher ones, "
		    "and the mover moves them", s->c->preempt_mode,
		    s->c->preempt_type);
	else
		say(s, SC_WARN, "PreemptMode", "%s (%s): the mover moves "
		    "suspended jobs only, and this preemption suspends none "
		    "(PreemptType=preempt/partition_prio, "
		    "PreemptMode=SUSPEND,GANG)", s->c->preempt_mode,
		    s->c->preempt_type[0] != '\0' ? s->c->preempt_type :
		    "no PreemptType");
	if (param(s->c->sched_params, "batch_sched_delay", v, sizeof(v)) &&
	    strcmp(v, "0") == 0)
		say(s, SC_OK, "SchedulerParameters", SC_SCHED_PARAM ": a "
		    "submitted or released batch job is scheduled within a "
		    "second");
	else
		say(s, SC_WARN, "SchedulerParameters", "no " SC_SCHED_PARAM
		    ": slurmctld schedules a submitted or released batch job "
		    "on its next whole second, and only batch_sched_delay "
		    "(%s%s) after its last such pass, so a high-priority job "
		    "and a moved job wait up to %d s more",
		    v[0] != '\0' ? v : "3", v[0] != '\0' ? " s" :
		    " s by default", v[0] != '\0' ? atoi(v) + 1 : 4);
	if (s->cfg->move_interval <= SC_MOVE_INTERVAL)
		say(s, SC_OK, "move_interval", "%g s (hookd.conf)",
		    s->cfg->move_interval);
	else
		say(s, SC_WARN, "move_interval", "%g s (hookd.conf): the "
		    "mover sees a suspended job and an idle node up to that "
		    "late; %g is recommended", s->cfg->move_interval,
		    SC_MOVE_INTERVAL);
}

static void
check_power_save(struct sc *s)
{
	const char *parts = s->c->suspend_exc_parts;
	const char *nodes = s->c->suspend_exc_nodes;
	char v[16], exc[600];

	if (s->cfg->mode != ADMIT_DYNAMIC || s->c->suspend_time < 0)
		return;
	if (param(s->c->suspend_exc_states, "DYNAMIC_NORM", v, sizeof(v))) {
		say(s, SC_OK, "SuspendExcStates", "%s: power saving leaves "
		    "the hook's dynamic nodes alone", s->c->suspend_exc_states);
	} else if (parts[0] != '\0' || nodes[0] != '\0') {
		/* which partitions the nodes are in is the site's NodeSet and
		 * partition lines: not judged here */
		snprintf(exc, sizeof(exc), "%s%s%s%s%s",
		    parts[0] != '\0' ? "SuspendExcParts=" : "", parts,
		    parts[0] != '\0' && nodes[0] != '\0' ? ", " : "",
		    nodes[0] != '\0' ? "SuspendExcNodes=" : "", nodes);
		say(s, SC_OK, "power saving", "%s: power saving leaves alone "
		    "the dynamic nodes these name, and no others", exc);
	} else if (!s->c->has_suspend_exc_states ||
	    (s->ctld != 0 && s->ctld < 2302)) {
		say(s, SC_WARN, "SuspendTime", "%ld: power saving is on, and "
		    "this Slurm has no SuspendExcStates (23.02 and later): "
		    "slurmctld powers idle vnode nodes down (SuspendProgram); "
		    "exclude their partitions (SuspendExcParts), or turn it off",
		    s->c->suspend_time);
	} else {
		say(s, SC_WARN, "SuspendExcStates", "%s: power saving is on "
		    "(SuspendTime=%ld), and slurmctld powers idle vnode nodes "
		    "down (SuspendProgram) unless SuspendExcStates has "
		    "DYNAMIC_NORM", s->c->suspend_exc_states[0] != '\0' ?
		    s->c->suspend_exc_states : "none", s->c->suspend_time);
	}
}

static void
check_defunct(struct sc *s)
{
	if (s->ctld >= 2311 && param(s->c->slurmctld_params,
	    "cloud_reg_addrs", NULL, 0))
		say(s, SC_WARN, "SlurmctldParameters", "cloud_reg_addrs, "
		    "which slurmctld %s calls defunct (and logs an error): "
		    "nodes' addresses come from their registration anyway",
		    s->c->version);
}

/* Through the overlay, the agent takes TCP to conf_server's address and
 * port into the tunnel; slurmd registers at SlurmctldHost's address and
 * SlurmctldPort (a port of the range, at random), and from 23.11 Slurm
 * takes the node's address from where that registration comes from. */
static void
check_overlay(struct sc *s)
{
	char host[300], *colon;
	long port = 6817;

	if (s->cfg->overlay == OVERLAY_OFF)
		return;
	snprintf(host, sizeof(host), "%s", s->cfg->conf_server);
	if ((colon = strrchr(host, ':')) != NULL) {
		*colon = '\0';
		port = strtol(colon + 1, NULL, 10);
	}
	if (s->c->control_addr[0] != '\0' &&
	    strcmp(s->c->control_addr, host) != 0)
		say(s, SC_WARN, "SlurmctldHost", "%s, and conf_server "
		    "(hookd.conf) is %s: overlay nodes reach slurmctld through "
		    "the tunnel at conf_server's address only, so their "
		    "slurmd registers from %s unless the two are the same "
		    "address", s->c->control_addr, s->cfg->conf_server,
		    s->ctld >= 2311 ? "their own network, which Slurm then "
		    "takes as their address" : "their own network");
	else if (s->c->slurmctld_port != port ||
	    s->c->slurmctld_port_count > 1)
		say(s, SC_WARN, "SlurmctldPort", "%ld%s, and conf_server "
		    "(hookd.conf) is %s: overlay nodes reach slurmctld through "
		    "the tunnel at conf_server's port only",
		    s->c->slurmctld_port, s->c->slurmctld_port_count > 1 ?
		    " and the ports after it (a range)" : "",
		    s->cfg->conf_server);
	else
		say(s, SC_OK, "SlurmctldHost", "%s port %ld, conf_server's: "
		    "overlay nodes reach slurmctld through the tunnel",
		    host, port);
}

int
slurmcheck(const struct sl_conf *c, const struct hook_config *cfg,
    void (*out)(void *arg, enum sc_level level, const char *setting,
    const char *text), void *arg)
{
	struct sc s;

	memset(&s, 0, sizeof(s));
	s.c = c;
	s.cfg = cfg;
	s.out = out;
	s.arg = arg;
	s.ctld = release(c->version);
	check_versions(&s);
	check_select(&s);
	check_configless(&s);
	check_requeue(&s);
	check_reconfigure(&s);
	check_preemption(&s);
	check_power_save(&s);
	check_defunct(&s);
	check_overlay(&s);
	return s.warnings;
}
