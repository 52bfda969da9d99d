/*
 * store.h - the checkpoint store, shared by the nodes, and where the
 * checkpoint parts find what they need (struct ckpt_conf).
 *
 *   <dir>/<job>/<n>/		image n (CRIU's files and manifest.json)
 *   <dir>/<job>/<n>.tmp/	image n while it is written
 *   <dir>/<job>/current	"n\n", replaced atomically
 *
 * Used by the SPANK plugin (vnode_ckpt.so), the agent and the benchmark.
 * A leaf module (files.h).
 */
#ifndef VNODE_CKPT_STORE_H
#define VNODE_CKPT_STORE_H

#include <stddef.h>
#include <sys/types.h>

#include "files.h"

#define CKPT_RUNTIME	"/run/vnode"
#define CKPT_CRIU	"/usr/sbin/criu"

struct ckpt_conf {
	char dir[CKPT_PATH_MAX];	/* the shared store, root 0700 */
	char runtime[CKPT_PATH_MAX];	/* node-local, default CKPT_RUNTIME */
	char criu[CKPT_PATH_MAX];	/* criu's absolute path */
	char node[256];			/* for the manifest; "" = hostname */
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

#endif
