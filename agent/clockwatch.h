/*
 * clockwatch.h - notice when this machine was suspended (the cloud paused
 * or live-migrated it) or its wall clock was stepped: CLOCK_BOOTTIME runs
 * on through a suspension, CLOCK_MONOTONIC does not; and a timerfd with
 * TFD_TIMER_CANCEL_ON_SET wakes when the wall clock is set.
 */
#ifndef VNODE_AGENT_CLOCKWATCH_H
#define VNODE_AGENT_CLOCKWATCH_H

#define CLOCKWATCH_MIN_GAP 2.0	/* seconds: shorter gaps are scheduling */

struct clockwatch {
	double gap;		/* CLOCK_BOOTTIME - CLOCK_MONOTONIC, last look */
	int tfd;		/* the timerfd, or -1 */
};

int clockwatch_init(struct clockwatch *cw);
void clockwatch_fini(struct clockwatch *cw);
/* Seconds suspended since the last look (0: none); *stepped is set when
 * the wall clock was set meanwhile. */
double clockwatch_check(struct clockwatch *cw, int *stepped);
/* After the agent stepped the clock itself: start afresh. */
void clockwatch_forget(struct clockwatch *cw);
/* The rule itself, on two readings of the gap (for tests). */
double clockwatch_suspended(double gap_before, double gap_now);

#endif
