/*
 * ckpt.h - the checkpoint store and the dump of a job (ckpt/README.md).
 *
 * Used by the SPANK plugin (vnode_ckpt.so), the agent and the benchmark.
 *
 *   <dir>/<job>/<n>/		image n (CRIU's files and manifest.json)
 *   <dir>/<job>/<n>.tmp/	image n while it is written
 *   <dir>/<job>/current	"n\n", replaced atomically
 *   <runtime>/ckpt/<job>.json	the job's shim and init on this node
 *   <runtime>/ckpt/<job>.cwd/	the init's working directory (CRIU's
 *				parasite mounts the job's /proc in it)
 *   <runtime>/events/<ns>-<job>.json	one event, for the agent to forward
 *
 * A leaf module: it never logs and never exits; each function returns 0 or
 * -1 with the reason in the caller's buffer.
 */
#ifndef VNODE_CKPT_H
#define VNODE_CKPT_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#define CKPT_RUNTIME	"/run/vnode"
#define CKPT_CRIU	"/usr/sbin/criu"
#define CKPT_PATH_MAX	1024

struct ckpt_conf {
	char dir[CKPT_PATH_MAX];	/* the shared store, root 0700 */
	char runtime[CKPT_PATH_MAX];	/* node-local, default CKPT_RUNTIME */
	char criu[CKPT_PATH_MAX];	/* criu's absolute path */
	char node[256];			/* for the manifest; "" = hostname */
};

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

/* <dir>/<job>/<n>/manifest.json */
struct ckpt_manifest {
	unsigned long job;
	long image;
	char node[256];
	long time;			/* unix seconds */
	double seconds;			/* dump wall time */
	unsigned long long bytes;	/* image size */
	char criu[64];			/* CRIU's version */
	pid_t pid;			/* the init dumped, as its node saw it */
};

struct ckpt_result {
	long image;
	unsigned long long bytes;
	double seconds;
};

/* Fill c; dir, runtime and criu must be absolute paths (runtime and criu
 * NULL: the defaults), node may be NULL (the host name). */
int ckpt_conf_init(struct ckpt_conf *c, const char *dir, const char *runtime,
    const char *criu, const char *node, char *err, size_t errlen);

/* <dir>/<job> and <dir>/<job>/<n>. */
int ckpt_job_path(const struct ckpt_conf *c, unsigned long job, char *buf,
    size_t len);
int ckpt_image_path(const struct ckpt_conf *c, unsigned long job, long n,
    char *buf, size_t len);

/* 1 + the highest image number present (whole or not), 1 when none. */
long ckpt_next_image(const struct ckpt_conf *c, unsigned long job, char *err,
    size_t errlen);
/* The image current names when it is whole (its manifest reads), 0 when
 * there is none, -1 with err when current names a missing or broken one. */
long ckpt_current(const struct ckpt_conf *c, unsigned long job, char *err,
    size_t errlen);
/* Replace current with n (atomically); forget it (a restore that failed). */
int ckpt_set_current(const struct ckpt_conf *c, unsigned long job, long n,
    char *err, size_t errlen);
int ckpt_clear_current(const struct ckpt_conf *c, unsigned long job,
    char *err, size_t errlen);
/* The job's whole directory in the store, if any. */
int ckpt_remove(const struct ckpt_conf *c, unsigned long job, char *err,
    size_t errlen);

int ckpt_manifest_write(const char *imgdir, const struct ckpt_manifest *m,
    char *err, size_t errlen);
int ckpt_manifest_read(const char *imgdir, struct ckpt_manifest *m,
    char *err, size_t errlen);

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
/* A process's start time, 0 when it is gone. */
unsigned long long ckpt_proc_start(pid_t pid);

/* One event file in <runtime>/events/ (kind: restore, restore-failed...);
 * the detail as the hook takes it: printable ASCII (others become '?'),
 * cut at CKPT_DETAIL_MAX bytes. */
#define CKPT_DETAIL_MAX	200
/* s made what the hook takes as an event's detail or a checkpoint's
 * error: printable ASCII (others become '?'), cut at CKPT_DETAIL_MAX. */
void ckpt_detail(char *s);
int ckpt_event(const struct ckpt_conf *c, unsigned long job, const char *kind,
    const char *detail, char *err, size_t errlen);

/* Refuse a tree CRIU cannot move: an established TCP connection, or an
 * open device other than null, zero, random, urandom, tty, ptmx, pts. */
int ckpt_check_tree(pid_t root, char *err, size_t errlen);
/* Send sig to root and every descendant; the number signalled, or -1. */
int ckpt_signal_tree(pid_t root, int sig);

/*
 * Holding a dumped tree.  Slurm sends SIGCONT before SIGTERM when it
 * requeues a job, which would let a tree left stopped by the dump run on
 * for a moment after its image was taken.  So after a dump the shim
 * traces every process of the tree (ptrace-stopped processes ignore
 * SIGCONT) and kills the tree at once on the requeue's SIGTERM; after a
 * failed requeue it lets go again.  ckpt_dump and ckpt_resume ask the
 * shim with sigqueue(CKPT_SIG) carrying CKPT_HOLD or CKPT_RELEASE, from
 * root, and wait until it has done so.
 */
#define CKPT_SIG	SIGUSR2
#define CKPT_HOLD	0x766e6801
#define CKPT_RELEASE	0x766e6802
/* In the shim: trace (attach 1) or let go of (0) every process of the
 * tree; the number of processes done, or -1. */
int ckpt_trace_tree(pid_t root, int attach);

/*
 * Dump job J (its init, from the runtime file) as the next image: refuses
 * first when ckpt_check_tree does; criu dump --leave-stopped, killed after
 * timeout seconds; on success the images synced to disk (fdatasync; in
 * r->seconds), the manifest, the rename of <n>.tmp to <n> and current, and
 * r filled; the tree is left stopped and held by its
 * shim (the caller requeues the job, or calls ckpt_resume when that
 * fails).  On failure no image is
 * left (CRIU's log stays as <dir>/<job>/dump-failed.log) and err holds the
 * reason: CRIU's error line from dump.log, "store full: ..." when the
 * store ran out of space.
 */
int ckpt_dump(const struct ckpt_conf *c, unsigned long job, double timeout,
    struct ckpt_result *r, char *err, size_t errlen);
/* The shim lets go of the tree, and SIGCONT to it: after a dump whose
 * requeue failed.  A job that was stopped when dumped (Slurm suspended
 * it) stays stopped: its shim only lets go. */
int ckpt_resume(const struct ckpt_conf *c, unsigned long job, char *err,
    size_t errlen);

/*
 * Can this node checkpoint?  A job-shaped test: a process that leads its
 * session as pid 1 of a PID namespace of its own (/bin/sleep), dumped
 * with c->criu and restored beside the caller (--restore-sibling), as the
 * plugin restores jobs; then killed.  Images in <runtime>/ckpt/selftest
 * (node-local), removed after (CRIU's log of a failed step is kept as
 * <runtime>/ckpt/selftest.log).  Every criu call bounded by timeout
 * seconds in all.  0 with info ("criu 4.2.1: a test process dumped and
 * restored in 0.12 s"), or -1 with err saying what failed (CRIU's own
 * error line where it gave one).  Root only.
 */
int ckpt_selftest(const struct ckpt_conf *c, double timeout, char *info,
    size_t infolen, char *err, size_t errlen);

/* CRIU's last error line in a criu log file ("" when none). */
void ckpt_log_error(const char *logpath, char *out, size_t outlen);

#endif
