/*
 * log.h - messages on standard error, OpenBSD style, with their syslog
 * priority for the journal (log.c).
 *
 * Only programs' step functions log; leaf modules return -1 and fill an
 * error buffer instead.
 */
#ifndef VNODE_LOG_H
#define VNODE_LOG_H

#include <stdarg.h>

/* syslog(3)'s, without <syslog.h> */
#define LOG_PRI_ERR	3
#define LOG_PRI_WARNING	4
#define LOG_PRI_NOTICE	5
#define LOG_PRI_INFO	6
#define LOG_PRI_DEBUG	7

void log_init(const char *progname, int verbose);
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* an error the program goes on after */
void log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* fatal() appends strerror(errno); both exit with status 1 */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* 1 when standard error is the journal's stream ($JOURNAL_STREAM) */
int log_journal_stream(void);

#endif
