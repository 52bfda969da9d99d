/*
 * leave.c - see leave.h.
 *
 * The order keeps every job: nothing new starts once the node is drained;
 * a dumped job stays stopped until the hook has requeued it, and goes on
 * here when it was not; slurmd stops only when no job is left on the
 * node; the node leaves the registry last.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs.h"
#include "leave.h"
#include "log.h"
#include "mounts.h"
#include "nodeapi.h"
#include "overlay.h"
#include "slurmd.h"
#include "state.h"
#include "step.h"
#include "util.h"

/* what a leave keeps of its budget after the checkpoints: the requeue,
 * the jobs' end, slurmd's stop, the deregistration */
#define LEAVE_MARGIN	15

void
leave_local(void)
{
	struct node_state st;
	char err[1024];
	int i;

	if (slurmd_stop(30, err, sizeof(err)) != 0)
		log_warnx("slurmd: %s", err);
	if (state_load(&st, err, sizeof(err)) == 0) {
		for (i = st.nmounts - 1; i >= 0; i--)
			if (mount_remove(st.mounts[i], err, sizeof(err)) != 0)
				log_warnx("unmount: %s", err);
		if (st.overlay_if[0] != '\0' && overlay_down(st.overlay_if,
		    st.overlay_pin, err, sizeof(err)) != 0)
			log_warnx("overlay: %s", err);
		explicit_bzero(&st, sizeof(st));
	}
	if (state_remove(err, sizeof(err)) != 0)
		log_warnx("%s", err);
}

/* "job J requeued, job K NOT requeued (why)" for the log: the requeued
 * first, as the hook lists them. */
static void
requeue_detail(const struct node_drained *d, char *out, size_t outsz)
{
	size_t len;
	int i, pass;

	out[0] = '\0';
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < d->njobs; i++) {
			len = strlen(out);
			if (pass == 0 && d->jobs[i].error[0] == '\0')
				snprintf(out + len, outsz - len, "%sjob %lu "
				    "requeued", len ? ", " : "", d->jobs[i].job);
			else if (pass == 1 && d->jobs[i].error[0] != '\0')
				snprintf(out + len, outsz - len, "%sjob %lu NOT "
				    "requeued (%.100s)", len ? ", " : "",
				    d->jobs[i].job, d->jobs[i].error);
		}
	len = strlen(out);
	if (d->requeued + d->failed > d->njobs)
		snprintf(out + len, outsz - len, " and %d more",
		    d->requeued + d->failed - d->njobs);
}

/* The checkpoints, with a store: drain only (nothing new starts here),
 * then dump every job that can be, within what is left of the budget.
 * *ncp -1 when none were tried (no store, or the drain failed: the
 * requeue drains too). */
static int
checkpoints(const struct settings *s, const struct node_state *st,
    double budget, struct node_ckpt *cp, int *ncp)
{
	unsigned long jobs[NODE_MAX_JOBS];
	struct step step;
	char err[1024];
	double start = mono_now();
	int rc, njobs;

	*ncp = -1;
	if (s->ckpt_dir[0] == '\0')
		return 0;
	step_begin(&step, "drain");
	rc = node_drain_only(st, jobs, NODE_MAX_JOBS, &njobs, err, sizeof(err));
	if (rc != 0) {
		if (rc != NODE_UNKNOWN)
			log_warnx("drain: %s; requeueing without checkpoints",
			    err);
		return rc;
	}
	if (njobs > NODE_MAX_JOBS)
		njobs = NODE_MAX_JOBS;
	step_ok(&step, "%s drained; %d job(s) running", st->node, njobs);
	step_begin(&step, "checkpoint");
	*ncp = jobs_checkpoint_all(s, st->node, jobs, njobs, budget -
	    (mono_now() - start) - LEAVE_MARGIN, cp);
	step_ok(&step, "%d job(s) tried", *ncp);
	return 0;
}

/* The hook and slurmctld forgot the node (reaped, or removed): only this
 * machine's side is left.  The hook cannot sign that answer: slurmctld
 * must agree, or the jobs here could end unrequeued. */
static int
forgotten(const struct node_state *st)
{
	struct step step;
	char err[1024];
	int rc;

	step_begin(&step, "drain");
	if ((rc = slurmd_node_known(st->node, err, sizeof(err))) != 0)
		return step_fail(&step, EXIT_LEAVE, "the hook says it does not "
		    "know %s, but %s; not stopping slurmd without its jobs "
		    "requeued", st->node, rc > 0 ? "slurmctld does" : err);
	log_warnx("drain: the hook and slurmctld no longer know %s: stopping "
	    "slurmd here, nothing to deregister", st->node);
	leave_local();
	return 0;
}

/* Requeued jobs end on this node first (COMPLETING).  Until they have,
 * the node is not removed: it stays drained, and a later leave finishes
 * the job. */
static int
jobs_gone(const struct settings *s, const struct node_state *st,
    struct node_status *ns)
{
	struct step step;
	char err[1024];

	step_begin(&step, "jobs");
	while (ns->busy) {
		if (step_took(&step) > s->leave_timeout)
			return step_fail(&step, EXIT_LEAVE, "still on %s after "
			    "%g s (%s); the node stays drained in Slurm, slurmd "
			    "keeps running", st->node, s->leave_timeout,
			    ns->state);
		sleep_seconds(0.2, NULL);
		if (node_status(st, ns, err, sizeof(err)) != 0)
			return step_fail(&step, EXIT_LEAVE, "%s", err);
	}
	step_ok(&step, "none left on %s (%s)", st->node, ns->state);
	return 0;
}

static int
leave_joined(const struct settings *s, const struct node_state *st,
    double start)
{
	struct node_ckpt *cp;
	struct node_drained *d;
	struct step step;
	char err[1024], detail[2048];
	int rc, ncp, i;

	cp = calloc(NODE_MAX_JOBS, sizeof(*cp));
	d = calloc(1, sizeof(*d));
	if (cp == NULL || d == NULL) {
		step_begin(&step, "drain");
		rc = step_fail(&step, EXIT_LEAVE, "out of memory");
		goto out;
	}
	rc = checkpoints(s, st, s->leave_timeout - (mono_now() - start), cp,
	    &ncp);
	/* the step that requeues: "requeue" after checkpoints */
	step_begin(&step, ncp >= 0 ? "requeue" : "drain");
	if (rc != NODE_UNKNOWN)
		rc = node_drain(st, cp, ncp, d, err, sizeof(err));
	if (rc != 0) {
		/* none requeued: the dumped jobs, held stopped for it, go on */
		for (i = 0; i < ncp; i++)
			jobs_resume(s, cp, ncp, cp[i].job);
		rc = rc == NODE_UNKNOWN ? forgotten(st) :
		    step_fail(&step, EXIT_LEAVE, "%s", err);
		goto out;
	}
	requeue_detail(d, detail, sizeof(detail));
	if (d->failed > 0)
		log_warnx("drain: %d job(s) could not be requeued: %s",
		    d->failed, detail);
	/* dumped for a requeue that did not happen: they go on here */
	for (i = 0; ncp > 0 && i < d->njobs; i++)
		if (d->jobs[i].error[0] != '\0')
			jobs_resume(s, cp, ncp, d->jobs[i].job);
	step_ok(&step, "%s drained; %s", st->node, d->requeued + d->failed ?
	    detail : "no jobs were running");

	if ((rc = jobs_gone(s, st, &d->status)) != 0)
		goto out;

	step_begin(&step, "slurmd");
	if (slurmd_stop(30, err, sizeof(err)) != 0) {
		rc = step_fail(&step, EXIT_LEAVE, "%s", err);
		goto out;
	}
	step_ok(&step, "stopped");

	if (st->nmounts > 0) {
		step_begin(&step, "unmount");
		for (i = st->nmounts - 1; i >= 0; i--)
			if (mount_remove(st->mounts[i], err, sizeof(err)) != 0)
				log_warnx("unmount: %s", err);
		step_ok(&step, "%d file system%s", st->nmounts,
		    st->nmounts == 1 ? "" : "s");
	}

	step_begin(&step, "deregister");
	if (node_leave(st, err, sizeof(err)) != 0 ||
	    state_remove(err, sizeof(err)) != 0) {
		rc = step_fail(&step, EXIT_LEAVE, "%s", err);
		goto out;
	}
	step_ok(&step, "%s removed from Slurm and the registry", st->node);
	/* the overlay last: the hook has removed its peer */
	if (st->overlay_if[0] != '\0') {
		step_begin(&step, "overlay");
		if (overlay_down(st->overlay_if, st->overlay_pin, err,
		    sizeof(err)) != 0)
			log_warnx("overlay: %s", err);
		else
			step_ok(&step, "%s down", st->overlay_if);
	}
	log_info("left as %s in %.3f s", st->node, mono_now() - start);
out:
	free(cp);
	free(d);
	return rc;
}

int
leave_node(const struct settings *s)
{
	struct node_state st;
	struct step step;
	char err[1024];
	double start = mono_now();
	int rc;

	step_begin(&step, "leave");
	if ((rc = state_load(&st, err, sizeof(err))) < 0)
		return step_fail(&step, EXIT_LEAVE, "%s", err);
	if (rc > 0) {
		log_info("leave: not joined (no %s): nothing to do", STATE_FILE);
		return 0;
	}
	rc = leave_joined(s, &st, start);
	explicit_bzero(&st, sizeof(st));
	return rc;
}
