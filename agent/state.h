/*
 * state.h - what the agent keeps between runs: which node it is, and the
 * node's credential for the calls after the join.  /var/lib/vnode/node.json,
 * mode 0600, owner root.
 */
#ifndef VNODE_AGENT_STATE_H
#define VNODE_AGENT_STATE_H

#include <stddef.h>

#include "sig.h"

#define STATE_FILE "/var/lib/vnode/node.json"

#define STATE_MAX_MOUNTS 8

struct node_state {
	char node[64];
	char hook_url[300];
	char hook_pin[72];		/* "" when none */
	char instance[65];
	char credential[SECRET_LEN + 1];
	char mounts[STATE_MAX_MOUNTS][201];	/* targets, to unmount at leave */
	int nmounts;
	char overlay_if[16];		/* the overlay's interface, or "" */
	char overlay_pin[24];		/* a route pinned for its endpoint */
};

int state_save(const struct node_state *st, char *err, size_t errlen);
/* 0 loaded, 1 no state (not joined), -1 error. */
int state_load(struct node_state *st, char *err, size_t errlen);
int state_remove(char *err, size_t errlen);

#endif
