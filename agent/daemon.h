/*
 * daemon.h - find, start and stop the node's daemons (munged, slurmd).
 * They are found by their process name in /proc: on a node there is one of
 * each.
 */
#ifndef VNODE_AGENT_DAEMON_H
#define VNODE_AGENT_DAEMON_H

#include <stddef.h>
#include <sys/types.h>

/* The pid of a running process whose name (comm) is name, or 0. */
pid_t daemon_find(const char *name);
/* SIGTERM every process named name, wait up to timeout, then SIGKILL.
 * 0 once none is left. */
int daemon_stop(const char *name, double timeout, char *err, size_t errlen);

/* systemd runs this machine and has a unit of that name (munge.service,
 * slurmd.service): then the daemon is started through it, in its own
 * unit, as the distribution packages it.  A drop-in's name
 * ("slurmd.service.d/vnode-agent.conf") is looked for the same way. */
int daemon_has_unit(const char *unit);
/* systemctl VERB [UNIT], bounded; err says what went wrong. */
int daemon_systemctl(const char *verb, const char *unit, char *err,
    size_t errlen);
/* Wait up to timeout for a process named name: 0 once there is one. */
int daemon_wait(const char *name, double timeout);

#endif
