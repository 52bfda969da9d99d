/*
 * daemon.h - find, start and stop the node's daemons (munged, slurmd).
 *
 * A daemon is known by what it is, not by its name alone: a process whose
 * name (comm) is the daemon's, that runs the daemon's program
 * (/proc/PID/exe) and as the daemon's user.  A job's process that calls
 * itself slurmd, or a user who runs a copy of slurmd, is neither found nor
 * ever signalled by the agent (which runs as root).
 */
#ifndef VNODE_AGENT_DAEMON_H
#define VNODE_AGENT_DAEMON_H

#include <stddef.h>
#include <sys/types.h>

#define SLURMD_PATH	"/usr/sbin/slurmd"
#define MUNGED_PATH	"/usr/sbin/munged"

struct daemon {
	const char *name;		/* its comm */
	const char *exe;		/* its program */
	const char *user;		/* the account it runs as */
};

extern const struct daemon daemon_slurmd, daemon_munged;

/* The pid of the running daemon, or 0. */
pid_t daemon_find(const struct daemon *d);
/* SIGTERM every process of the daemon, wait up to timeout, then SIGKILL.
 * 0 once none is left. */
int daemon_stop(const struct daemon *d, double timeout, char *err,
    size_t errlen);

/* systemd runs this machine and has a unit of that name (munge.service,
 * slurmd.service): then the daemon is started through it, in its own
 * unit, as the distribution packages it.  A drop-in's name
 * ("slurmd.service.d/vnode-agent.conf") is looked for the same way. */
int daemon_has_unit(const char *unit);
/* systemctl VERB [UNIT], bounded; err says what went wrong. */
int daemon_systemctl(const char *verb, const char *unit, char *err,
    size_t errlen);
/* Wait up to timeout for the daemon: 0 once it runs. */
int daemon_wait(const struct daemon *d, double timeout);

#endif
