/*
 * metadata.h - settings from the OpenStack metadata service
 * (http://169.254.169.254/openstack/latest/meta_data.json and user_data),
 * for instances launched without a config drive.
 */
#ifndef VNODE_AGENT_METADATA_H
#define VNODE_AGENT_METADATA_H

#include <stddef.h>

#include "settings.h"

/* Connection errors and 5xx are retried until timeout; a 404 for
 * meta_data.json means there is no OpenStack metadata there.  0 loaded;
 * METADATA_NONE when nothing answered at all; -1 otherwise (err says). */
#define METADATA_NONE (-2)
int metadata_load(struct settings *s, const char *base, double timeout,
    char *err, size_t errlen);

#endif
