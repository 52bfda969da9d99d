/*
 * ctl_overlay.h - vnodectl's overlay commands (vnodectl(8)): the peers,
 * and what bare-metal nodes and login hosts need to reach the nodes that
 * joined through the overlay.
 */
#ifndef VNODE_HOOK_CTL_OVERLAY_H
#define VNODE_HOOK_CTL_OVERLAY_H

#include "config.h"
#include "db.h"

/* overlay [peers] | route [...] | host NAME PUBLIC-KEY | host-remove NAME */
int ctl_overlay(struct db *db, const struct hook_config *cfg, int argc,
    char *argv[]);

#endif
