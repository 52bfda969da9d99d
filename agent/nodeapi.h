/*
 * nodeapi.h - the calls a joined node makes to vnode-hookd with its own
 * credential: status, drain (with requeue), leave.
 */
#ifndef VNODE_AGENT_NODEAPI_H
#define VNODE_AGENT_NODEAPI_H

#include <stddef.h>

#include "state.h"

struct node_status {
	char state[64];			/* Slurm's, e.g. IDLE, MIXED+DRAIN */
	int exists;
	int usable;
	int busy;
	int responding;
};

int node_status(const struct node_state *st, struct node_status *ns,
    char *err, size_t errlen);
/* Drain the node and requeue its jobs; *detail lists them for the log. */
int node_drain(const struct node_state *st, struct node_status *ns,
    int *requeued, int *failed, char *detail, size_t detailsz, char *err,
    size_t errlen);
/* Remove the node from Slurm and the registry; its credential ends. */
int node_leave(const struct node_state *st, char *err, size_t errlen);

#endif
