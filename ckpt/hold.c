/*
 * hold.c - see hold.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>

#include "hold.h"
#include "proctree.h"
#include "util.h"

int
ckpt_trace_tree(pid_t root, int attach)
{
	pid_t *pids;
	int n, i, done = 0;

	if ((n = ckpt_tree(root, &pids)) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (attach) {
			if (ptrace(PTRACE_SEIZE, pids[i], NULL, NULL) == 0 &&
			    ptrace(PTRACE_INTERRUPT, pids[i], NULL, NULL) == 0)
				done++;
		} else if (ptrace(PTRACE_DETACH, pids[i], NULL, NULL) == 0)
			done++;
	}
	free(pids);
	return done;
}

int
ckpt_hold_ask(const struct ckpt_runtime *rt, int what, char *err,
    size_t errlen)
{
	union sigval v;
	double end = mono_now() + 5;
	pid_t *pids, tracer;
	char state;
	int n, i, ok;

	v.sival_int = what;
	if (sigqueue(rt->shim, CKPT_SIG, v) != 0)
		return errf(err, errlen, "shim %d: %s", (int)rt->shim,
		    strerror(errno));
	/* A job Slurm suspended has its shim stopped too: it is let go on
	 * alone to answer (it passes no SIGCONT on to the tree, which stays
	 * stopped; Slurm continues every process itself). */
	if (ckpt_proc_status(rt->shim, &state, &tracer) == 0 && state == 'T')
		kill(rt->shim, SIGCONT);
	for (;;) {
		if ((n = ckpt_tree(rt->init, &pids)) < 0)
			return errf(err, errlen, "init %d is gone",
			    (int)rt->init);
		for (ok = 1, i = 0; i < n && ok; i++) {
			if (ckpt_proc_status(pids[i], &state, &tracer) != 0)
				continue;
			if (what == CKPT_HOLD)
				ok = tracer == rt->shim && state == 't';
			else
				ok = tracer == 0;
		}
		free(pids);
		if (ok)
			return 0;
		if (mono_now() > end)
			return errf(err, errlen, "shim %d did not %s the tree "
			    "in 5 s", (int)rt->shim,
			    what == CKPT_HOLD ? "hold" : "let go of");
		sleep_seconds(0.002, NULL);
	}
}
