/*
 * vnode-agent - makes this machine a Slurm node of the controller that
 * vnode-hookd runs on, and takes it out again.  See vnode-agent(8).
 *
 * join is a list of boot steps (join_steps), each naming the steps it
 * needs; each logs one line with its time, and a step that fails logs why
 * and exits with the step's own code, so that "systemctl status
 * vnode-agent" shows which step it was.  No step runs after one it needs
 * has failed: a node that is not synchronised gets no munge key, a node
 * without munge never starts slurmd.  The mounts run in a thread of their
 * own, beside munge and slurmd, when the hook holds the node (drained)
 * until the ready call says they are verified; a node the hook does not
 * hold mounts before slurmd starts, so that no job starts without them.
 *
 * run (the systemd service) joins the same way, tells systemd it is ready,
 * then stays: a heartbeat that waits at the hook for orders, and a watch on
 * the clocks for a suspension.  SIGTERM (every shutdown) or a retire order
 * makes it leave: drain, requeue, stop slurmd, deregister.
 */
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "clockwatch.h"
#include "crypto.h"
#include "events.h"
#include "http.h"
#include "jobs.h"
#include "join.h"
#include "leave.h"
#include "log.h"
#include "metadata.h"
#include "mounts.h"
#include "munge.h"
#include "nodeapi.h"
#include "notify.h"
#include "overlay.h"
#include "settings.h"
#include "slurmd.h"
#include "state.h"
#include "step.h"
#include "timesync.h"
#include "util.h"

static volatile sig_atomic_t stop;	/* SIGTERM or SIGINT, in run */
static char overlay_pin[24];	/* a route overlay_up pinned */

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: vnode-agent [-C config-drive] [-f agent.conf] "
	    "join | run | leave | check\n"
	    "       vnode-agent exec-slurmd\n");
	exit(EXIT_USAGE);
}

static void
note(const char *msg)
{
	log_warnx("%s", msg);
}

static int file_given;		/* -f: the file must exist */

/*
 * The sources in their order: the config drive (-C, or the block device
 * labelled config-2), else the metadata service; then agent.conf.  The
 * file is read once on its own first, because it may say where the
 * metadata service is, or that there is none.  When the file names no
 * metadata service but has everything the join needs, a metadata service
 * that does not answer is only worth a warning.  use_metadata 0 (leaving,
 * at shutdown): no metadata service, and nothing is required.
 */
static int
load_settings(struct settings *s, const char *drive, const char *file,
    int use_metadata, char *err, size_t errlen)
{
	struct settings local;
	char found[PATH_MAX];
	int rc = -1;

	settings_init(&local);
	if (settings_load_file(&local, file, file_given, err, errlen) != 0)
		goto out;
	settings_init(s);
	if (drive == NULL && settings_find_config_drive(found,
	    sizeof(found)) == 0)
		drive = found;
	if (drive != NULL && strcmp(drive, "none") != 0) {
		if (settings_load_config_drive(s, drive, err, errlen) != 0)
			goto out;
	} else if (use_metadata && local.metadata_url[0] != '\0') {
		if ((rc = metadata_load(s, local.metadata_url,
		    local.metadata_timeout, err, errlen)) != 0) {
			/* only "nobody there", and only for the default
			 * service when the file has what the join needs */
			if (rc != METADATA_NONE ||
			    local.source[K_METADATA_URL][0] != '\0' ||
			    local.source[K_HOOK_URL][0] == '\0' ||
			    local.source[K_JOIN_TOKEN][0] == '\0') {
				rc = -1;
				goto out;
			}
			log_warnx("settings: %s; going on with %s", err, file);
			settings_init(s);
		}
	}
	rc = -1;
	if (settings_load_file(s, file, file_given, err, errlen) != 0)
		goto out;
	/* leaving needs only what the join left in node.json */
	rc = use_metadata ? settings_finish(s, file, err, errlen) : 0;
out:
	explicit_bzero(&local, sizeof(local));
	return rc;
}

static void
step_settings(struct settings *s, const char *drive, const char *file)
{
	struct step step;
	char err[1024];

	step_begin(&step, "settings");
	if (load_settings(s, drive, file, 1, err, sizeof(err)) != 0)
		exit(step_fail(&step, EXIT_SETTINGS, "%s", err));
	if (s->note[0] != '\0')
		log_warnx("settings: user data %s", s->note);
	step_ok(&step, "hook %s, instance %s (hook_url from %s)",
	    s->hook_url, s->instance_id, s->source[K_HOOK_URL]);
}

static void
step_time(const struct settings *s)
{
	struct step step;
	char err[1024];
	double offset = 0;

	step_begin(&step, "time");
	if (time_point(s->time_server, err, sizeof(err)) != 0)
		exit(step_fail(&step, EXIT_TIME, "cannot point chronyd at %s: %s",
		    s->time_server, err));
	if (time_wait(s->time_server, s->time_timeout, s->time_max_offset,
	    &offset, err, sizeof(err)) != 0)
		exit(step_fail(&step, EXIT_TIME, "%s; not starting munge or slurmd "
		    "with an unsynchronised clock", err));
	step_ok(&step, "synchronised with %s, offset %+.6f s", s->time_server,
	    offset);
}

/* What the agent keeps of a join (state.h), and what the later calls
 * to the hook need. */
static void
joined_state(const struct settings *s, const struct join_result *j,
    struct node_state *st)
{
	int i;

	memset(st, 0, sizeof(*st));
	snprintf(st->node, sizeof(st->node), "%s", j->node);
	snprintf(st->hook_url, sizeof(st->hook_url), "%s", s->hook_url);
	snprintf(st->hook_pin, sizeof(st->hook_pin), "%s", s->hook_pin);
	snprintf(st->instance, sizeof(st->instance), "%s", s->instance_id);
	snprintf(st->credential, sizeof(st->credential), "%s", j->credential);
	for (i = 0; i < j->nmounts && i < STATE_MAX_MOUNTS; i++)
		snprintf(st->mounts[st->nmounts++], sizeof(st->mounts[0]), "%s",
		    j->mounts[i].target);
	if (j->overlay.used) {
		snprintf(st->overlay_if, sizeof(st->overlay_if), "%s",
		    s->overlay_if);
		snprintf(st->overlay_pin, sizeof(st->overlay_pin), "%s",
		    overlay_pin);
	}
}

static void
step_join(const struct settings *s, struct join_result *j)
{
	struct step step;
	struct join_facts f;
	struct node_state st;
	char err[1024];
	int refused, rc;

	step_begin(&step, "join");
	if (join_facts_gather(s, &f, err, sizeof(err)) != 0)
		exit(step_fail(&step, EXIT_JOIN, "%s", err));
	/* the overlay: our public key goes with the join (the hook decides,
	 * unless overlay = yes asks for it) */
	if (s->overlay != OVERLAY_NO) {
		if ((rc = overlay_key(f.wg_key, err, sizeof(err))) < 0 &&
		    s->overlay == OVERLAY_YES)
			exit(step_fail(&step, EXIT_OVERLAY, "overlay key: %s",
			    err));
		if (rc < 0) {
			/* auto: the hook decides; a site without the overlay
			 * admits the node, one with it refuses and says so */
			log_warnx("join: overlay key: %s; joining without the "
			    "overlay", err);
			f.wg_key[0] = '\0';
		}
		if (rc > 0 && s->overlay == OVERLAY_YES)
			exit(step_fail(&step, EXIT_OVERLAY, "overlay = yes, but "
			    "WireGuard's tools (wg) are not installed"));
		f.wg_required = s->overlay == OVERLAY_YES;
	}
	rc = state_load(&st, err, sizeof(err));
	if (rc < 0)
		log_warnx("join: %s; joining with the token", err);
	if (join_run(s, &f, rc == 0 ? &st : NULL, note, &stop, j, &refused, err,
	    sizeof(err)) != 0)
		exit(step_fail(&step, EXIT_JOIN, "%s", err));
	if (s->overlay == OVERLAY_YES && !j->overlay.used)
		exit(step_fail(&step, EXIT_JOIN, "admitted as %s without the "
		    "overlay that overlay = yes asks for", j->node));
	explicit_bzero(&st, sizeof(st));
	joined_state(s, j, &st);
	if (state_save(&st, err, sizeof(err)) != 0)
		exit(step_fail(&step, EXIT_JOIN, "admitted as %s, but cannot keep the "
		    "node's credential: %s", j->node, err));
	explicit_bzero(&st, sizeof(st));
	step_ok(&step, "%s as %s, address %s, features %s (%d attempt%s)",
	    j->rejoin ? "readmitted" : "admitted", j->node, j->addr,
	    j->features, j->attempts, j->attempts == 1 ? "" : "s");
}

/* The overlay (when the hook gave one): the interface up, and a handshake
 * with the controller through it, before anything needs the controller
 * to reach this node. */
static void
step_overlay(const struct settings *s, const struct join_result *j)
{
	struct step step;
	struct node_state st;
	const char *how;
	char err[1024], e2[512];
	double took;
	int rc, saved;

	if (!j->overlay.used)
		return;
	step_begin(&step, "overlay");
	rc = overlay_up(s->overlay_if, s->overlay_wg, &j->overlay,
	    j->conf_server, &how, overlay_pin, sizeof(overlay_pin), err,
	    sizeof(err));
	/* kept either way: a leave takes the interface down */
	joined_state(s, j, &st);
	saved = state_save(&st, e2, sizeof(e2));
	explicit_bzero(&st, sizeof(st));
	if (rc != 0)
		exit(step_fail(&step, EXIT_OVERLAY, "%s: %s; not starting munge "
		    "or slurmd: slurmctld could not reach this node",
		    s->overlay_if, err));
	if (saved != 0)
		exit(step_fail(&step, EXIT_OVERLAY, "%s up, but it cannot be "
		    "kept in the node's state: %s", s->overlay_if, e2));
	if (overlay_check(s->overlay_if, &j->overlay, s->overlay_timeout,
	    &stop, &took, err, sizeof(err)) != 0)
		exit(step_fail(&step, EXIT_OVERLAY, "%s; not starting munge or "
		    "slurmd: slurmctld could not reach this node", err));
	step_ok(&step, "%s (%s) at %s, the controller %s at %s, handshake "
	    "after %.3f s; slurmctld (%s) through it", s->overlay_if, how,
	    j->overlay.address, j->overlay.controller, j->overlay.endpoint,
	    took, j->conf_server);
}

/* The mounts step, in a thread of its own: mounts_begin starts it,
 * mounts_end waits for it and says how it went (0, or -1 with err). */
struct mounts_job {
	const struct join_result *j;
	struct step step;
	pthread_t thread;
	int started;			/* a thread to join */
	int rc, done;
	char err[1024];
};

static void *
mounts_run(void *arg)
{
	struct mounts_job *m = arg;

	m->rc = mounts_apply(m->j->mounts, m->j->nmounts, &m->done, m->err,
	    sizeof(m->err));
	if (m->rc == 0)
		step_ok(&m->step, "%d file system%s: %d mounted now, %d already",
		    m->j->nmounts, m->j->nmounts == 1 ? "" : "s", m->done,
		    m->j->nmounts - m->done);
	return NULL;
}

static void
mounts_begin(struct mounts_job *m, const struct join_result *j)
{
	int e;

	memset(m, 0, sizeof(*m));
	m->j = j;
	if (j->nmounts == 0)
		return;
	step_begin(&m->step, "mounts");
	if ((e = pthread_create(&m->thread, NULL, mounts_run, m)) != 0) {
		log_warnx("mounts: no thread (%s): mounting first", strerror(e));
		mounts_run(m);
		return;
	}
	m->started = 1;
}

static int
mounts_end(struct mounts_job *m)
{
	if (m->started) {
		pthread_join(m->thread, NULL);
		m->started = 0;
	}
	return m->rc;
}

/* The mounts of a node the hook does not hold: before slurmd. */
static void
step_mounts_first(struct mounts_job *m)
{
	if (mounts_end(m) != 0)
		exit(step_fail(&m->step, EXIT_MOUNTS, "%s; not starting slurmd "
		    "without the shared file systems", m->err));
}

/* The mounts of a held node, with slurmd running: the hook is told how
 * they went.  Failed: the node stays drained, the mount's error its
 * reason; slurmd stops. */
static void
step_mounts_held(const struct settings *s, const struct join_result *j,
    struct mounts_job *m, struct node_state *st)
{
	struct node_status ns;
	char err[512], e2[256];
	int released;

	if (mounts_end(m) == 0)
		return;
	joined_state(s, j, st);
	if (node_ready(st, m->err, &ns, &released, err, sizeof(err)) != 0)
		log_warnx("mounts: the hook was not told: %s; %s stays held "
		    "(drained) all the same", err, j->node);
	explicit_bzero(st, sizeof(*st));
	if (slurmd_stop(s->leave_timeout, e2, sizeof(e2)) != 0)
		log_warnx("mounts: slurmd: %s", e2);
	exit(step_fail(&m->step, EXIT_MOUNTS, "%s; %s stays drained in Slurm "
	    "with this reason, slurmd stopped", m->err, j->node));
}

static void
step_munge(struct join_result *j)
{
	struct step step;
	static const char *const what[] = { "key unchanged", "key installed",
	    "a different key was there and is replaced" };
	const char *how = "";
	char err[1024];
	int changed = 0;

	step_begin(&step, "munge");
	if (munge_key_install(j->munge_key, j->munge_len, &changed, err,
	    sizeof(err)) != 0)
		exit(step_fail(&step, EXIT_MUNGE, "%s", err));
	if (munge_start(changed != 0, &how, err, sizeof(err)) != 0)
		exit(step_fail(&step, EXIT_MUNGE, "munged: %s", err));
	if (munge_check(err, sizeof(err)) != 0)
		exit(step_fail(&step, EXIT_MUNGE, "munged does not work: %s", err));
	step_ok(&step, "%s, munged %s, credential round-trip OK",
	    what[changed], how);
}

static void
step_slurmd(const struct join_result *j)
{
	struct step step;
	struct slurmd_params p;
	char err[1024];

	step_begin(&step, "slurmd");
	p.node = j->node;
	p.conf_server = j->conf_server;
	p.cpus = j->cpus;
	p.memory_mb = j->memory_mb;
	p.features = j->features;
	p.dynamic = strcmp(j->mode, "dynamic") == 0;
	p.cloud = strcmp(j->mode, "cloud") == 0;
	if (slurmd_start(&p, err, sizeof(err)) != 0)
		exit(step_fail(&step, EXIT_SLURMD, "%s", err));
	if (p.why_direct != NULL)
		log_warnx("slurmd: started directly: %s", p.why_direct);
	step_ok(&step, "started %s %s%s%s%s, configuration from %s",
	    p.dynamic ? "as dynamic node" : strcmp(j->mode, "pool") == 0 ?
	    "in pool slot" : p.cloud ? "as cloud node" : "as slurm.conf node",
	    j->node,
	    p.unit ? " (" : "", p.unit ? p.unit : "", p.unit ? ")" : "",
	    j->conf_server);
}

/* 1 when the node is usable; 0 when stopped (SIGTERM) before. */
static int
step_ready(const struct settings *s, const struct join_result *j)
{
	struct step step;
	struct node_state st;
	struct node_status ns;
	char err[1024] = "no answer yet";
	double wait = 0.05;
	int released = !j->held, rc;

	step_begin(&step, "ready");
	joined_state(s, j, &st);
	memset(&ns, 0, sizeof(ns));
	for (;;) {
		/* held: the mounts are verified, the hook releases the node */
		if (!released) {
			rc = node_ready(&st, NULL, &ns, &released, err,
			    sizeof(err));
			if (rc == NODE_REFUSED)
				exit(step_fail(&step, EXIT_READY, "%s", err));
			if (rc == 0 && !released)
				exit(step_fail(&step, EXIT_READY, "the hook did "
				    "not release %s", j->node));
		} else if (node_status(&st, &ns, err, sizeof(err)) != 0)
			ns.usable = 0;
		if (released && ns.usable)
			break;
		if (!slurmd_running())
			exit(step_fail(&step, EXIT_READY, "slurmd exited before %s "
			    "became usable; see its log (SlurmdLogFile)", j->node));
		if (stop) {
			log_warnx("ready: stopped before %s was usable", j->node);
			explicit_bzero(&st, sizeof(st));
			return 0;
		}
		if (step_took(&step) > s->ready_timeout)
			exit(step_fail(&step, EXIT_READY, "%s not usable in Slurm "
			    "after %g s (last state: %s)", j->node,
			    s->ready_timeout, ns.state[0] ? ns.state : err));
		sleep_seconds(wait, &stop);
		if ((wait *= 1.5) > 1.0)
			wait = 1.0;
	}
	explicit_bzero(&st, sizeof(st));
	step_ok(&step, "%s is %s in Slurm%s", j->node, ns.state, j->held ?
	    " (its hold released)" : "");
	return 1;
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The agent's own cost so far, and that of the programs it ran. */
static const char *
cost(char *out, size_t outsz)
{
	struct rusage self, kids;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	snprintf(out, outsz, "cpu %.0f ms in the agent, %.0f ms in the programs "
	    "it ran; peak rss %.1f MB",
	    (double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec) * 1e3 +
	    (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec) / 1e3,
	    (double)(kids.ru_utime.tv_sec + kids.ru_stime.tv_sec) * 1e3 +
	    (double)(kids.ru_utime.tv_usec + kids.ru_stime.tv_usec) / 1e3,
	    (double)self.ru_maxrss / 1024.0);
	return out;
}

/* All the join steps; the node's state for what follows in *st.  The
 * whole join's time, or -1 when stopped before the node was ready. */
static double
join_steps(struct settings *s, const char *drive, const char *file,
    struct node_state *st)
{
	struct join_result j;
	struct mounts_job m;
	double start = mono_now(), total;
	char what[160];
	int ready;

	/* step          needs */
	step_settings(s, drive, file);	/* -                            */
	step_time(s);			/* settings                     */
	step_join(s, &j);		/* time                         */
	step_overlay(s, &j);		/* join                         */
	mounts_begin(&m, &j);		/* overlay (in a thread)        */
	step_munge(&j);			/* overlay                      */
	if (!j.held)
		step_mounts_first(&m);	/*                              */
	step_slurmd(&j);		/* munge; mounts unless held    */
	if (j.held)
		step_mounts_held(s, &j, &m, st);
	ready = step_ready(s, &j);	/* slurmd, mounts (the release) */
	total = mono_now() - start;
	joined_state(s, &j, st);
	join_result_free(&j);
	if (!ready)
		return -1;
	log_info("joined as %s in %.3f s; %s", st->node, total, cost(what,
	    sizeof(what)));
	return total;
}

static int
cmd_join(const char *drive, const char *file)
{
	struct settings s;
	struct node_state st;
	struct node_order order;
	struct step_time t[STEP_MAX_TIMES];
	char err[512], *body;
	double total;
	int n;

	total = join_steps(&s, drive, file, &st);
	n = step_times(t, STEP_MAX_TIMES);
	/* the steps' times for the hook's metrics (orders wait for a
	 * heartbeat of "run"); not worth failing for */
	if ((body = node_heartbeat_body(0, t, n, total, 0, 0)) ==
	    NULL || node_heartbeat(&st, body, 0, &order, err, sizeof(err)) != 0)
		log_warnx("heartbeat: step times not reported: %s",
		    body == NULL ? "out of memory" : err);
	free(body);
	explicit_bzero(&st, sizeof(st));
	return 0;
}

/* The hook says it does not know this node.  That answer cannot be signed
 * (the hook has no key for a node it forgot), so slurmctld, which speaks
 * munge, has the last word: only a node it does not know either stops,
 * and exits as a failed join, so that the service joins anew. */
static int
unknown_node(const struct node_state *st)
{
	char err[512];
	int known = slurmd_node_known(st->node, err, sizeof(err));

	if (known != 0) {
		log_warnx("heartbeat: the hook says it does not know %s, but %s; "
		    "going on as %s", st->node, known > 0 ? "slurmctld does" :
		    err, st->node);
		return 0;
	}
	log_warnx("the hook and slurmctld no longer know %s (reaped, or "
	    "removed by hand): stopping slurmd and joining again", st->node);
	leave_local();
	notify("STOPPING=1\nSTATUS=removed by the hook");
	return 1;
}

static int
cmd_leave(const char *drive, const char *file)
{
	struct settings s;
	char err[1024];

	/* The stop budget comes from the settings; leaving must not depend
	 * on them being complete. */
	if (load_settings(&s, drive, file, 0, err, sizeof(err)) != 0) {
		settings_init(&s);
		log_warnx("settings: %s; leaving with defaults", err);
	}
	return leave_node(&s);
}

/* Back from a suspension, or the wall clock stepped: the clock is likely
 * off now, and munge will refuse credentials until it is right. */
static void
clock_jumped(double suspended, int stepped)
{
	char err[512];

	if (suspended > 0)
		log_info("clock: this machine was suspended for %.0f s; stepping "
		    "the clock", suspended);
	else if (stepped)
		log_info("clock: the wall clock was set; stepping it to the time "
		    "server");
	if (time_step(err, sizeof(err)) != 0)
		log_warnx("clock: %s", err);
}

/* Heartbeats until stopped or retired: 1 when retired, NODE_UNKNOWN when
 * the hook does not know the node any more.  The first carries the join's
 * step times (total). */
static int
heartbeats(const struct settings *s, struct node_state *st, double total)
{
	struct clockwatch cw;
	struct node_order order;
	struct step_time t[STEP_MAX_TIMES];
	char err[1024], *body;
	double backoff = 1, suspended;
	long resumed = 0;
	int failing = 0, stepped, first = 1, rc, n;

	n = step_times(t, STEP_MAX_TIMES);
	clockwatch_init(&cw);
	while (!stop) {
		suspended = clockwatch_check(&cw, &stepped);
		if (suspended > 0 || stepped) {
			clock_jumped(suspended, stepped);
			/* our own step sets the clock too: not news */
			clockwatch_forget(&cw);
		}
		resumed += (long)suspended;
		if ((body = node_heartbeat_body(s->heartbeat_wait, first ?
		    t : NULL, n, total, resumed, 1)) == NULL)
			fatalx("out of memory");
		if ((rc = node_heartbeat(st, body, s->heartbeat_wait, &order,
		    err, sizeof(err))) != 0) {
			free(body);
			if (rc == NODE_UNKNOWN && unknown_node(st)) {
				clockwatch_fini(&cw);
				return NODE_UNKNOWN;
			}
			if (stop)
				break;
			if (!failing)
				log_warnx("heartbeat: %s; trying again", err);
			failing = 1;
			sleep_seconds(backoff, &stop);
			if ((backoff *= 2) > 30)
				backoff = 30;
			continue;
		}
		free(body);
		if (failing)
			log_info("heartbeat: the hook answers again");
		failing = 0;
		backoff = 1;
		resumed = 0;
		first = 0;
		if (order.id != 0 && strcmp(order.kind, "retire") == 0) {
			log_info("order %ld: retire: leaving", order.id);
			clockwatch_fini(&cw);
			return 1;
		}
		if (order.id != 0 && strcmp(order.kind, "checkpoint") == 0) {
			log_info("order %ld: checkpoint %s", order.id, order.arg);
			jobs_order(s, st, order.arg);
		} else if (order.id != 0 && strcmp(order.kind, "forget") == 0) {
			log_info("order %ld: forget %s", order.id, order.arg);
			jobs_forget(s, order.arg);
		} else if (order.id != 0)
			log_warnx("order %ld: \"%s\" is not an order this agent "
			    "knows", order.id, order.kind);
	}
	clockwatch_fini(&cw);
	return 0;
}

/* Where checkpointing is set: can this node do it?  Learnt at boot, not
 * at the first shutdown; a node that cannot still leaves, by plain
 * requeue. */
static void
step_ckpt(const struct settings *s)
{
	struct step step;
	char line[1024];
	int rc;

	step_begin(&step, "checkpoint");
	if ((rc = jobs_selftest(s, line, sizeof(line))) < 0)
		return;
	if (rc > 0)
		log_info("checkpoint: %s (%.3f s)", line, step_took(&step));
	else
		log_warnx("checkpoint: %s", line);
}

static int
cmd_run(const char *drive, const char *file)
{
	struct sigaction sa;
	struct settings s;
	struct node_state st;
	char status[256], err[512];
	double total;
	int rc;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	http_abort_on(&stop);

	/* stopped before ready: the node leaves (it may be admitted) */
	if ((total = join_steps(&s, drive, file, &st)) >= 0) {
		snprintf(status, sizeof(status), "READY=1\nSTATUS=joined as %s",
		    st.node);
		notify(status);
		if (events_start(&st, EVENTS_DIR, err, sizeof(err)) != 0)
			log_warnx("events: %s; the plugin's events stay in %s",
			    err, EVENTS_DIR);
		step_ckpt(&s);
		rc = heartbeats(&s, &st, total);
		events_stop();
		if (rc == NODE_UNKNOWN) {
			explicit_bzero(&st, sizeof(st));
			return EXIT_JOIN;
		}
	}
	explicit_bzero(&st, sizeof(st));

	/* leaving: from here on signals do not cut the steps short */
	http_abort_on(NULL);
	notify("STOPPING=1\nSTATUS=leaving");
	rc = leave_node(&s);
	return rc;
}

static int
cmd_check(const char *drive, const char *file)
{
	struct settings s;
	char err[1024];
	int rc;

	if (load_settings(&s, drive, file, 1, err, sizeof(err)) != 0) {
		log_warnx("settings: %s", err);
		return EXIT_SETTINGS;
	}
	settings_print(&s, stdout);
	if (s.note[0] != '\0')
		printf("note: user data %s\n", s.note);
	printf("settings OK\n");
	if (s.ckpt_dir[0] == '\0')
		return 0;
	if (geteuid() != 0) {
		printf("checkpoint: not tried (the test dump needs root)\n");
		return 0;
	}
	rc = jobs_selftest(&s, err, sizeof(err));
	printf("checkpoint: %s\n", err);
	return rc == 0 ? EXIT_CKPT : 0;
}

int
main(int argc, char *argv[])
{
	const char *drive = NULL, *file = SETTINGS_FILE;
	char err[256];
	int ch, rc;

	log_init("vnode-agent", 0);
	while ((ch = getopt(argc, argv, "C:f:")) != -1) {
		switch (ch) {
		case 'C':
			drive = optarg;
			break;
		case 'f':
			file = optarg;
			file_given = 1;
			break;
		default:
			usage();
		}
	}
	if (optind + 1 == argc && strcmp(argv[optind], "exec-slurmd") == 0) {
		slurmd_exec(err, sizeof(err));
		fatalx("exec-slurmd: %s", err);
	}
	if (optind + 1 != argc || (strcmp(argv[optind], "join") != 0 &&
	    strcmp(argv[optind], "run") != 0 &&
	    strcmp(argv[optind], "leave") != 0 &&
	    strcmp(argv[optind], "check") != 0))
		usage();
	if (crypto_init(err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (strcmp(argv[optind], "check") == 0)
		rc = cmd_check(drive, file);
	else if (geteuid() != 0)
		fatalx("%s: must run as root", argv[optind]);
	else if (strcmp(argv[optind], "join") == 0)
		rc = cmd_join(drive, file);
	else if (strcmp(argv[optind], "run") == 0)
		rc = cmd_run(drive, file);
	else
		rc = cmd_leave(drive, file);
	http_fini();
	crypto_shutdown();
	return rc;
}
