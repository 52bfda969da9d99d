/*
 * step.c - see step.h.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "log.h"
#include "step.h"
#include "util.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct step_time times[STEP_MAX_TIMES];
static int ntimes;

void
step_begin(struct step *st, const char *name)
{
	st->name = name;
	st->start = mono_now();
}

double
step_took(const struct step *st)
{
	return mono_now() - st->start;
}

void
step_ok(struct step *st, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	double took = step_took(st);

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_info("%s: %s (%.3f s)", st->name, msg, took);
	pthread_mutex_lock(&mu);
	if (ntimes < STEP_MAX_TIMES) {
		times[ntimes].name = st->name;
		times[ntimes++].secs = took;
	}
	pthread_mutex_unlock(&mu);
}

int
step_fail(const struct step *st, int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_errx("%s: FAILED after %.3f s: %s", st->name, step_took(st), msg);
	return code;
}

int
step_times(struct step_time *t, int max)
{
	int i, n;

	pthread_mutex_lock(&mu);
	n = ntimes < max ? ntimes : max;
	for (i = 0; i < n; i++)
		t[i] = times[i];
	pthread_mutex_unlock(&mu);
	return n;
}
