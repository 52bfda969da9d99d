/*
 * spawn.h - run an external program by absolute path with an argv array and
 * a clean environment, feed it input, collect its output, bound its time,
 * and check its wait status.  No shell is ever involved.
 */
#ifndef VNODE_SPAWN_H
#define VNODE_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

struct spawn {
	const char *const *argv;	/* argv[0] is an absolute path */
	const char *input;		/* standard input, or NULL: /dev/null */
	size_t inlen;
	char *out;			/* standard output, NUL-terminated; */
	size_t outsz;			/* NULL: discarded */
	size_t outlen;			/* set on return */
	const char *user;		/* run as this system account (sysuser.h), or NULL */
	const char *const *env;		/* more "NAME=value", or NULL */
	double timeout;			/* seconds, then SIGKILL to its process group */
	const int *keep;		/* descriptors (above 2) the program gets */
	int nkeep;			/* at the same numbers (at most 4); every
					 * other one but 0-2 is closed */
	int status;			/* wait status on return */
};

/* 0 when the program exited with status 0; otherwise -1 and err says what
 * happened, with what the program wrote on standard error (its lines
 * joined by "; "). */
int spawn_run(struct spawn *sp, char *err, size_t errlen);

#endif
