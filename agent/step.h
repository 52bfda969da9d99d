/*
 * step.h - the agent's steps, at boot and at leave: each logs one line
 * when it is done, with what it did and its time, or one line saying why
 * it failed; each has its own exit code, so that "systemctl status
 * vnode-agent" shows which one it was.  The boot steps' times go to the
 * hook with the first heartbeat.  Steps may run at the same time, each in
 * a thread of its own (main.c): a struct step is its own.
 */
#ifndef VNODE_AGENT_STEP_H
#define VNODE_AGENT_STEP_H

#include "nodeapi.h"

enum exit_code {
	EXIT_USAGE = 1,
	EXIT_SETTINGS = 2,
	EXIT_TIME = 3,
	EXIT_JOIN = 4,
	EXIT_MUNGE = 5,
	EXIT_SLURMD = 6,
	EXIT_READY = 7,
	EXIT_LEAVE = 8,
	EXIT_MOUNTS = 9,
	EXIT_CKPT = 10,		/* check: checkpointing set, and it fails */
	EXIT_OVERLAY = 11,
};

struct step {
	const char *name;
	double start;		/* mono_now() */
};

#define STEP_MAX_TIMES	16

void step_begin(struct step *st, const char *name);
/* "NAME: what (T s)"; its time kept. */
void step_ok(struct step *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "NAME: FAILED after T s: why", as an error; returns code. */
int step_fail(const struct step *st, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Seconds since the step began. */
double step_took(const struct step *st);
/* The times kept so far, in the order the steps ended: at most max in t;
 * how many. */
int step_times(struct step_time *t, int max);

#endif
