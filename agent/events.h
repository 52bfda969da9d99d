/*
 * events.h - what happens to jobs on this node, for the hook's record.
 * The checkpoint plugin (vnode_ckpt.so, in slurmstepd) cannot call the
 * hook: it leaves one JSON file per event in /run/vnode/events
 * (ckpt/README.md), and a thread of the agent's forwards them with the
 * node's credential (POST /v1/events) and removes them once the hook has
 * them.
 */
#ifndef VNODE_AGENT_EVENTS_H
#define VNODE_AGENT_EVENTS_H

#include <stddef.h>

#include "state.h"

#define EVENTS_DIR "/run/vnode/events"

/* Watch dir (made 0700 when missing) and forward what comes there. */
int events_start(const struct node_state *st, const char *dir, char *err,
    size_t errlen);
/* Stop the thread, then one last forward of what is waiting, which
 * nothing aborts (http_abort_on(NULL): the agent is leaving). */
void events_stop(void);

#endif
