/*
 * slurmd.h - the slurmd step: start slurmd as the hook said, as a dynamic
 * node fetching its configuration from the controller (configless).
 */
#ifndef VNODE_AGENT_SLURMD_H
#define VNODE_AGENT_SLURMD_H

#include <stddef.h>

struct slurmd_params {
	const char *node;
	const char *conf_server;	/* host:port */
	long cpus;
	long memory_mb;
	const char *features;		/* comma-separated */
	int dynamic;			/* -Z: made by slurmd's registration;
					 * else named in slurm.conf (a pool
					 * slot, or the hook's fragment) */
	int cloud;			/* a CLOUD node that power saving
					 * resumed (elastic): -b, it booted */
	const char *unit;		/* set: the systemd unit that runs it,
					 * or NULL when started directly */
	const char *why_direct;		/* set: why not through the unit
					 * systemd has */
};

/* A slurmd already running (an earlier run of the agent) is stopped first:
 * it may carry another name or address. */
int slurmd_start(struct slurmd_params *p, char *err, size_t errlen);
int slurmd_running(void);
/* vnode-agent exec-slurmd, the ExecStart of the package's drop-in for
 * slurmd.service: execs slurmd with the arguments slurmd_start left in
 * /run/vnode/slurmd.args; returns only on error. */
int slurmd_exec(char *err, size_t errlen);
/* Also removes /run/vnode/slurmd.args: the node is leaving. */
int slurmd_stop(double timeout, char *err, size_t errlen);
/* Ask slurmctld itself (munge-authenticated, with the configuration
 * slurmd fetched) whether it knows node: 1 yes, 0 no, -1 cannot tell. */
int slurmd_node_known(const char *node, char *err, size_t errlen);

#endif
