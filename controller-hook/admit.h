/*
 * admit.h - makes joining nodes known to Slurm, in batches, in the
 * configured mode (hookd.conf(5) "admit"):
 *
 *   dynamic  slurm_create_node, one node line for all new nodes of one
 *            shape; rejoins get their new address;
 *   pool     each node takes a free State=FUTURE slot named name_prefix...
 *            from slurm.conf, and the slot gets its address;
 *   conf     the node lines in the fragment that slurm.conf Includes,
 *            rewritten once per batch, then one slurmctld restart (or
 *            reconfigure).
 *
 * One thread does it.  Joins that arrive while it works on a batch make
 * the next one, so a burst costs a few Slurm requests, not one each.
 */
#ifndef VNODE_HOOK_ADMIT_H
#define VNODE_HOOK_ADMIT_H

#include <stddef.h>

#include "api.h"
#include "config.h"

/* Pool mode: a node's registry name until it has a slot. */
#define ADMIT_PENDING_PREFIX "pending-"

#define ADMIT_BUCKETS 10

struct admit_stats {
	unsigned long batches;
	unsigned long size_bucket[ADMIT_BUCKETS];	/* cumulative */
	unsigned long size_sum;
	unsigned long secs_bucket[ADMIT_BUCKETS];	/* cumulative */
	double secs_sum;
	unsigned long restarts;		/* conf mode: slurmctld restarts */
	unsigned long failed;		/* admissions that failed */
};

extern const double admit_size_bounds[ADMIT_BUCKETS];
extern const double admit_secs_bounds[ADMIT_BUCKETS];

/* done(ad) is called from the admission thread when ad->error is set
 * (empty: admitted). */
int admit_start(const struct hook_config *cfg,
    void (*done)(struct api_admission *ad), char *err, size_t errlen);
void admit_submit(struct api_admission *ad);
/* A node the hook admitted leaves Slurm, as the mode has it: deleted
 * (dynamic), its slot back to FUTURE (pool), or its line out of the
 * fragment with the next batch (conf). */
int admit_remove(const char *name, char *err, size_t errlen);
/* Fails what is still queued ("the hook is stopping"), then joins the
 * thread. */
void admit_stop(void);
void admit_stats_get(struct admit_stats *st);

#endif
