/*
 * timeline.h - an SVG picture of events (vnodectl timeline): one lane per
 * node, a time axis, each job a bar on its node's lane from its run to its
 * end, requeue or checkpoint, suspended stretches hatched, markers for
 * checkpoints, restores and moves, and a legend.  Plain SVG text, no I/O.
 */
#ifndef VNODE_HOOK_TIMELINE_H
#define VNODE_HOOK_TIMELINE_H

#include <stddef.h>

#include "db.h"

#define TL_LANES_MAX	256

/* The SVG of n events (in any order), into *out (allocated, NUL-ended,
 * *len bytes).  now: where a bar still open ends, when later than the
 * last event.  -1 with err when there is nothing to draw. */
int timeline_svg(const struct db_event *ev, size_t n, double now,
    char **out, size_t *len, char *err, size_t errlen);

#endif
