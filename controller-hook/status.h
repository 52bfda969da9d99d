/*
 * status.h - POST /v1/status answered from a thread of its own.  The
 * agent's ready step asks for its node's state in Slurm until slurmd has
 * registered; each answer is a Slurm request (slurm_load_node_single),
 * which in a burst of joins took up to half a second.  The HTTP server has
 * one thread: the request is authenticated there (api.c), its connection
 * suspended, and Slurm is asked here, while that thread goes on serving
 * joins and heartbeats: all the asks that wait at once, in one request
 * (a ready call, which changes the node, in requests of its own).
 */
#ifndef VNODE_HOOK_STATUS_H
#define VNODE_HOOK_STATUS_H

#include <stddef.h>

#include "api.h"

/* done(q) is called from the status thread once q->st (or q->error) is
 * filled, and for each request still queued at status_stop() (with the
 * error "the hook is stopping"). */
int status_start(void (*done)(struct api_status_ask *q), char *err,
    size_t errlen);
void status_submit(struct api_status_ask *q);
void status_stop(void);
/* Rounds of the thread (one per ready call, one for all the plain asks
 * that waited together) and the asks answered, since the start. */
void status_stats(unsigned long *batches, unsigned long *asks);

#endif
