/*
 * runtime.h - what the checkpoint parts keep on the node itself: the
 * job's shim and init, the init's working directory, events for the
 * agent to forward.
 *
 *   <runtime>/ckpt/<job>.json	the job's shim and init on this node
 *   <runtime>/ckpt/<job>.cwd/	the init's working directory (CRIU's
 *				parasite mounts the job's /proc in it)
 *   <runtime>/ckpt/<job>.stopped	the job was stopped when dumped
 *   <runtime>/events/<ns>-<job>.json	one event, for the agent to forward
 *
 * A leaf module (files.h).
 */
#ifndef VNODE_CKPT_RUNTIME_H
#define VNODE_CKPT_RUNTIME_H

#include <stddef.h>
#include <sys/types.h>

#include "store.h"

/* <runtime>/ckpt/<job>.json: PIDs as the node sees them */
struct ckpt_runtime {
	unsigned long job;
	pid_t shim;
	pid_t init;
	uid_t uid;
	long restored;			/* image restored from, 0 = fresh */
	/* their start times (/proc/PID/stat, clock ticks since boot): a pid
	 * is only ever signalled while it is still that process */
	unsigned long long shim_start, init_start;
};

/* <runtime> (0755 when made) and <runtime>/<sub> (root 0700). */
int ckpt_runtime_dir(const struct ckpt_conf *c, const char *sub, char *err,
    size_t errlen);

/*
 * The init's working directory, <runtime>/ckpt/<job>.cwd (root 0700): one
 * per job, because CRIU's parasite makes "proc.crtools" in the init's
 * working directory during a dump, and two jobs' dumps at once (a leave)
 * must not meet there.  Made before the init starts, and before a restore
 * (CRIU restores the init's working directory by its path); removed with
 * the runtime file.  The path in buf.
 */
int ckpt_cwd_path(const struct ckpt_conf *c, unsigned long job, char *buf,
    size_t len);
int ckpt_cwd_make(const struct ckpt_conf *c, unsigned long job, char *buf,
    size_t len, char *err, size_t errlen);
/* <runtime>/ckpt/<job>.stopped: the job was stopped (suspended by Slurm)
 * when it was dumped, and stays so should its requeue fail. */
int ckpt_stopped_path(const struct ckpt_conf *c, unsigned long job,
    char *buf, size_t len);

/* <runtime>/ckpt/<job>.json (the directory made root 0700 when absent). */
int ckpt_runtime_write(const struct ckpt_conf *c, const struct ckpt_runtime *rt,
    char *err, size_t errlen);
int ckpt_runtime_read(const struct ckpt_conf *c, unsigned long job,
    struct ckpt_runtime *rt, char *err, size_t errlen);
void ckpt_runtime_remove(const struct ckpt_conf *c, unsigned long job);
/* Are the shim and the init of rt still the processes it names (same
 * pid, same start time)?  0, or -1 with err (gone, or a pid reused). */
int ckpt_runtime_alive(const struct ckpt_runtime *rt, char *err,
    size_t errlen);

/* One event file in <runtime>/events/ (kind: restore, restore-failed...);
 * the detail as the hook takes it: printable ASCII (others become '?'),
 * cut at CKPT_DETAIL_MAX bytes. */
#define CKPT_DETAIL_MAX	200
/* s made what the hook takes as an event's detail or a checkpoint's
 * error: printable ASCII (others become '?'), cut at CKPT_DETAIL_MAX. */
void ckpt_detail(char *s);
int ckpt_event(const struct ckpt_conf *c, unsigned long job, const char *kind,
    const char *detail, char *err, size_t errlen);

#endif
