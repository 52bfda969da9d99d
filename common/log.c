/*
 * log.c - messages on standard error, one line each, prefixed with the
 * program's name.  Under systemd standard error goes to the journal, which
 * adds the time; by hand the caller sees the line at once.
 *
 * When standard error is the journal's stream ($JOURNAL_STREAM names its
 * device and inode, as systemd sets it), each line starts with its syslog
 * priority, "<3>" to "<7>", which journald takes off and keeps: journalctl
 * -p warning shows the warnings and errors.  Anywhere else (a terminal, a
 * file, slurmctld's log) the lines are as before.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

static const char *prog = "vnode";
static int verbosity;
static int to_journal;

int
log_journal_stream(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char end;

	if (js == NULL || sscanf(js, "%llu:%llu%c", &dev, &ino, &end) != 2)
		return 0;
	if (fstat(2, &st) != 0)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_init(const char *progname, int verbose)
{
	prog = progname;
	verbosity = verbose;
	to_journal = log_journal_stream();
}

static void __attribute__((format(printf, 2, 0)))
vlog(int pri, const char *fmt, va_list ap, const char *suffix)
{
	char line[2048], tag[5] = "";

	vsnprintf(line, sizeof(line), fmt, ap);
	if (to_journal)
		snprintf(tag, sizeof(tag), "<%d>", pri);
	if (suffix != NULL)
		fprintf(stderr, "%s%s: %s: %s\n", tag, prog, line, suffix);
	else
		fprintf(stderr, "%s%s: %s\n", tag, prog, line);
	fflush(stderr);
}

#define LOGFN(name, pri)						\
void									\
name(const char *fmt, ...)						\
{									\
	va_list ap;							\
									\
	va_start(ap, fmt);						\
	vlog(pri, fmt, ap, NULL);					\
	va_end(ap);							\
}
LOGFN(log_info, LOG_PRI_INFO)
LOGFN(log_notice, LOG_PRI_NOTICE)
LOGFN(log_warnx, LOG_PRI_WARNING)
LOGFN(log_errx, LOG_PRI_ERR)
#undef LOGFN

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < 1)
		return;
	va_start(ap, fmt);
	vlog(LOG_PRI_DEBUG, fmt, ap, NULL);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vlog(LOG_PRI_WARNING, fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vlog(LOG_PRI_ERR, fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_PRI_ERR, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
