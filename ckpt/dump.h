/*
 * dump.h - the dump of a job on its node, and its way back when the
 * requeue that should follow fails.
 *
 * A leaf module (files.h).
 */
#ifndef VNODE_CKPT_DUMP_H
#define VNODE_CKPT_DUMP_H

#include <stddef.h>

#include "store.h"

struct ckpt_result {
	long image;
	unsigned long long bytes;
	double seconds;
};

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

#endif
