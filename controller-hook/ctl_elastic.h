/*
 * ctl_elastic.h - vnodectl's commands for elastic vnode (vnodectl(8)):
 * what Slurm's power saving runs, and what an admin runs.
 */
#ifndef VNODE_HOOK_CTL_ELASTIC_H
#define VNODE_HOOK_CTL_ELASTIC_H

#include "config.h"
#include "db.h"

#ifndef VNODE_LIBDIR
#define VNODE_LIBDIR "/usr/local/lib"
#endif

/* ResumeProgram, SuspendProgram, ResumeFailProgram (vnode-resume,
 * vnode-suspend, vnode-resume-fail) and deprovision: the request into the
 * registry for vnode-hookd, at once.  action: resume, suspend,
 * resume-fail, deprovision. */
int ctl_power(struct db *db, const struct hook_config *cfg,
    const char *action, const char *hostlist);
/* provision N [--partition P]: Slurm powers up N powered down CLOUD
 * nodes (and runs ResumeProgram for them). */
int ctl_provision(const struct hook_config *cfg, int argc, char *argv[]);
/* deprovision NODE...: their agents leave, their instances go. */
int ctl_deprovision(struct db *db, const struct hook_config *cfg, int argc,
    char *argv[]);
/* instances [--all]: the table. */
int ctl_instances(struct db *db, int argc, char *argv[]);
/* slurm-conf [...]: the lines slurm.conf needs. */
int ctl_slurm_conf(const struct hook_config *cfg, int argc, char *argv[]);
/* PrologSlurmctld (vnode-prolog): wait for the job's resumed nodes. */
int ctl_prolog(void);

#endif
