/*
 * notify.h - tell systemd (Type=notify) how the agent is doing, through
 * $NOTIFY_SOCKET; nothing happens without one.
 */
#ifndef VNODE_AGENT_NOTIFY_H
#define VNODE_AGENT_NOTIFY_H

/* msg: "READY=1\nSTATUS=..." and the like. */
int notify(const char *msg);

#endif
