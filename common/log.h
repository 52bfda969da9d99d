/*
 * log.h - messages on standard error, OpenBSD style.
 *
 * Only programs' step functions log; leaf modules return -1 and fill an
 * error buffer instead.
 */
#ifndef VNODE_LOG_H
#define VNODE_LOG_H

#include <stdarg.h>

void log_init(const char *progname, int verbose);
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* fatal() appends strerror(errno); both exit with status 1 */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
