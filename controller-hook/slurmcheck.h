/*
 * slurmcheck.h - what vnode wants of the Slurm it works with (vnodectl
 * check-slurm): the running slurmctld's settings, as sl_conf_load() read
 * them, weighed against hookd.conf.  No I/O: each finding goes to out().
 */
#ifndef VNODE_HOOK_SLURMCHECK_H
#define VNODE_HOOK_SLURMCHECK_H

#include "config.h"
#include "slurm.h"

enum sc_level { SC_OK, SC_WARN };

/* The scheduler setting vnode recommends with ckpt_partitions (README,
 * "Preemption"; bench/preempt measures it), and the mover's interval. */
#define SC_SCHED_PARAM		"batch_sched_delay=0"
#define SC_MOVE_INTERVAL	0.5

/* out() once for each check that applies, in order: its level, the
 * setting it is about, and a sentence.  Returns how many warn. */
int slurmcheck(const struct sl_conf *c, const struct hook_config *cfg,
    void (*out)(void *arg, enum sc_level level, const char *setting,
    const char *text), void *arg);

#endif
