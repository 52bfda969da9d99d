/*
 * clockwatch.c - see clockwatch.h.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "clockwatch.h"

static double
now(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
arm(int fd)
{
	struct itimerspec its;

	/* far in the future: it only ever fires by being cancelled */
	memset(&its, 0, sizeof(its));
	clock_gettime(CLOCK_REALTIME, &its.it_value);
	its.it_value.tv_sec += 10L * 365 * 86400;
	return timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET,
	    &its, NULL);
}

int
clockwatch_init(struct clockwatch *cw)
{
	cw->gap = now(CLOCK_BOOTTIME) - now(CLOCK_MONOTONIC);
	cw->tfd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	if (cw->tfd >= 0 && arm(cw->tfd) != 0) {
		close(cw->tfd);
		cw->tfd = -1;
	}
	return cw->tfd >= 0 ? 0 : -1;
}

void
clockwatch_fini(struct clockwatch *cw)
{
	if (cw->tfd >= 0)
		close(cw->tfd);
	cw->tfd = -1;
}

double
clockwatch_suspended(double gap_before, double gap_now)
{
	double d = gap_now - gap_before;

	return d >= CLOCKWATCH_MIN_GAP ? d : 0;
}

double
clockwatch_check(struct clockwatch *cw, int *stepped)
{
	double gap = now(CLOCK_BOOTTIME) - now(CLOCK_MONOTONIC), s;
	uint64_t n;

	*stepped = 0;
	if (cw->tfd >= 0 && read(cw->tfd, &n, sizeof(n)) < 0 &&
	    errno == ECANCELED) {
		*stepped = 1;
		arm(cw->tfd);
	}
	s = clockwatch_suspended(cw->gap, gap);
	cw->gap = gap;
	return s;
}

void
clockwatch_forget(struct clockwatch *cw)
{
	int stepped;

	clockwatch_check(cw, &stepped);
}
