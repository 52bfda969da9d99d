/*
 * timesync.h - the time step: point the node's chronyd at the controller
 * and wait, within a bound, until the clock is synchronised to it.  munge
 * credentials fail on clock skew, and that error only shows on the
 * controller: so no time, no munge, no slurmd.
 */
#ifndef VNODE_AGENT_TIMESYNC_H
#define VNODE_AGENT_TIMESYNC_H

#include <stddef.h>

#define TIME_SOURCES_FILE "/etc/chrony/sources.d/vnode.sources"

/* Write the source file (when it differs) and make chronyd reload its
 * sources. */
int time_point(const char *server, char *err, size_t errlen);
/* Wait until chronyd is synchronised to server with a remaining correction
 * below max_offset; *offset is chronyd's last measured offset. */
int time_wait(const char *server, double timeout, double max_offset,
    double *offset, char *err, size_t errlen);

/* Step the clock to the time server now (chronyc makestep). */
int time_step(char *err, size_t errlen);

#endif
