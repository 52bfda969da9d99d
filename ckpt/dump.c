/*
 * dump.c - see dump.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "criu.h"
#include "dump.h"
#include "files.h"
#include "hold.h"
#include "proctree.h"
#include "runtime.h"
#include "spawn.h"
#include "util.h"

/*
 * After a dump that failed, however it failed (CRIU's error, CRIU killed
 * for its time or by anyone at any point, the store full, the manifest
 * unwritable): the job must go on as it was.  A CRIU killed before it let
 * go of the tree leaves nothing behind (the kernel detaches its tracees;
 * its parasite, its control socket closed, returns the task to where it
 * was); one killed after it let go, or one that finished before our own
 * step failed, has left every process stopped (--leave-stopped).  So:
 * unless the job was stopped before (Slurm suspended it), continue each
 * process of the tree that is stopped, and say so in note.  -1 when the
 * init is gone.
 */
static int
after_failed_dump(pid_t init, int was_stopped, char *note, size_t notelen)
{
	pid_t *pids, tracer;
	char state;
	int n, i, woken = 0, traced = 0;

	note[0] = '\0';
	if ((n = ckpt_tree(init, &pids)) < 0) {
		snprintf(note, notelen, "; its init %d is gone", (int)init);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (ckpt_proc_status(pids[i], &state, &tracer) != 0)
			continue;
		if (tracer > 0)
			traced++;
		else if (state == 'T' && !was_stopped &&
		    kill(pids[i], SIGCONT) == 0)
			woken++;
	}
	free(pids);
	if (was_stopped)
		snprintf(note, notelen, "; the job stays suspended");
	else if (woken > 0)
		snprintf(note, notelen, "; the job goes on (%d stopped "
		    "process%s continued)", woken, woken == 1 ? "" : "es");
	else
		snprintf(note, notelen, "; the job goes on");
	if (traced > 0) {
		size_t l = strlen(note);

		snprintf(note + l, notelen - l, ", %d process%s still traced",
		    traced, traced == 1 ? "" : "es");
	}
	return 0;
}

/*
 * CRIU's parasite mounts the job's /proc on "proc.crtools" in the init's
 * working directory while it dumps a PID namespace, and removes it again;
 * a CRIU killed in between leaves it, and every later dump of that init
 * would fail ("Can't create a directory (-17)").  Whatever is there is a
 * leftover: unmounted (lazily) and removed when empty.
 */
static void
clear_stale_proc(pid_t init)
{
	char cwd[CKPT_PATH_MAX], link[64], path[CKPT_PATH_MAX + 16];
	struct stat st;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/cwd", (int)init);
	if ((n = readlink(link, cwd, sizeof(cwd) - 1)) <= 0)
		return;
	cwd[n] = '\0';
	if (cwd[0] != '/' || ckpt_pathf(path, sizeof(path), "%s/proc.crtools",
	    strcmp(cwd, "/") == 0 ? "" : cwd) != 0 ||
	    lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return;
	umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW);
	rmdir(path);
}

int
ckpt_dump(const struct ckpt_conf *c, unsigned long job, double timeout,
    struct ckpt_result *r, char *err, size_t errlen)
{
	struct ckpt_runtime rt;
	struct ckpt_manifest m;
	struct spawn sp;
	char jobdir[CKPT_PATH_MAX], tmp[CKPT_PATH_MAX], img[CKPT_PATH_MAX];
	char log[CKPT_PATH_MAX], pid[32], why[CKPT_PATH_MAX + 256], crit[768];
	const char *argv[16];
	double start;
	pid_t tracer;
	long n;
	int i = 0, stopped, fd;
	char state;

	memset(r, 0, sizeof(*r));
	if (ckpt_runtime_read(c, job, &rt, err, errlen) != 0 ||
	    ckpt_runtime_alive(&rt, err, errlen) != 0)
		return -1;
	if (ckpt_check_tree(rt.init, why, sizeof(why)) != 0)
		return errf(err, errlen, "job %lu cannot be checkpointed: %s",
		    job, why);
	stopped = ckpt_proc_status(rt.init, &state, &tracer) == 0 && state == 'T';
	if (ckpt_own_dir(c->dir, 0, err, errlen) != 0)
		return -1;
	if (ckpt_job_path(c, job, jobdir, sizeof(jobdir)) != 0)
		return errf(err, errlen, "store path too long");
	if (ckpt_own_dir(jobdir, 1, err, errlen) != 0)
		return -1;
	if ((n = ckpt_next_image(c, job, err, errlen)) < 0)
		return -1;
	if (ckpt_image_path(c, job, n, img, sizeof(img)) != 0 ||
	    ckpt_pathf(tmp, sizeof(tmp), "%s.tmp", img) != 0 ||
	    ckpt_pathf(log, sizeof(log), "%s/dump.log", tmp) != 0)
		return errf(err, errlen, "store path too long");
	if (mkdir(tmp, 0700) != 0)
		return errf(err, errlen, "%s: %s%s", tmp, strerror(errno),
		    errno == ENOSPC ? " (store full)" : "");

	clear_stale_proc(rt.init);
	snprintf(pid, sizeof(pid), "%d", (int)rt.init);
	argv[i++] = c->criu;
	argv[i++] = "dump";
	argv[i++] = "-t";
	argv[i++] = pid;
	argv[i++] = "-D";
	argv[i++] = tmp;
	argv[i++] = "--leave-stopped";
	argv[i++] = "--manage-cgroups=ignore";
	argv[i++] = "-o";
	argv[i++] = "dump.log";
	argv[i++] = "-v2";
	argv[i] = NULL;
	memset(&sp, 0, sizeof(sp));
	sp.argv = argv;
	sp.timeout = timeout;
	start = mono_now();
	if (spawn_run(&sp, why, sizeof(why)) != 0) {
		char keep[CKPT_PATH_MAX + 32], fate[128], last[768];

		ckpt_log_error(log, last, sizeof(last));
		if (WIFSIGNALED(sp.status)) {
			/* killed, by us for its time or by anyone (its last
			 * error line would be an older, harmless one; the
			 * whole log is kept) */
			if (strstr(why, "without finishing") != NULL)
				snprintf(why, sizeof(why), "criu did not finish "
				    "within %.0f s and was killed", timeout);
			else
				snprintf(why, sizeof(why), "criu was killed by "
				    "signal %d", WTERMSIG(sp.status));
			last[0] = '\0';
		} else if (last[0] != '\0') {
			snprintf(why, sizeof(why), "%s", last);
			last[0] = '\0';
		}
		/* CRIU's whole story stays for the admin, beside the images */
		snprintf(keep, sizeof(keep), "%s/dump-failed.log", jobdir);
		rename(log, keep);
		ckpt_rm_tree(tmp, crit, sizeof(crit));
		after_failed_dump(rt.init, stopped, fate, sizeof(fate));
		return errf(err, errlen, "%scriu dump of job %lu: %s%s%s%s",
		    strstr(why, "No space left") != NULL ? "store full: " : "",
		    job, why, fate, last[0] != '\0' ? "; CRIU's last error: " :
		    "", last);
	}
	/* on disk before the manifest, the rename and current say it is
	 * whole (af_write syncs those); the dump's time includes it */
	if (ckpt_dir_sync(tmp, why, sizeof(why)) != 0)
		goto fail;
	r->seconds = mono_now() - start;
	r->bytes = ckpt_dir_bytes(tmp);
	r->image = n;

	memset(&m, 0, sizeof(m));
	m.job = job;
	m.image = n;
	snprintf(m.node, sizeof(m.node), "%s", c->node);
	m.time = wall_now();
	m.seconds = r->seconds;
	m.bytes = r->bytes;
	ckpt_criu_version(c->criu, m.criu, sizeof(m.criu));
	m.pid = rt.init;
	if (ckpt_manifest_write(tmp, &m, why, sizeof(why)) != 0)
		goto fail;
	if (rename(tmp, img) != 0) {
		snprintf(why, sizeof(why), "%s: rename: %s", img,
		    strerror(errno));
		goto fail;
	}
	if (ckpt_set_current(c, job, n, why, sizeof(why)) != 0) {
		ckpt_rm_tree(img, crit, sizeof(crit));
		goto failed;
	}
	/* The image is whole.  Held, the tree cannot run on after the
	 * requeue's SIGCONT; should the shim not answer, the image is still
	 * good, and the tree only stopped. */
	ckpt_hold_ask(&rt, CKPT_HOLD, why, sizeof(why));
	if (stopped && ckpt_stopped_path(c, job, why, sizeof(why)) == 0 &&
	    (fd = open(why, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) >= 0)
		close(fd);
	return 0;
fail:
	ckpt_rm_tree(tmp, crit, sizeof(crit));
failed:
	memset(r, 0, sizeof(*r));
	/* CRIU left the tree stopped: it goes on, the image is not whole */
	after_failed_dump(rt.init, stopped, crit, sizeof(crit));
	return errf(err, errlen, "%sjob %lu: %s%s",
	    strstr(why, "No space left") != NULL ? "store full: " : "", job,
	    why, crit);
}

int
ckpt_resume(const struct ckpt_conf *c, unsigned long job, char *err,
    size_t errlen)
{
	struct ckpt_runtime rt;
	char why[256];

	if (ckpt_runtime_read(c, job, &rt, err, errlen) != 0 ||
	    ckpt_runtime_alive(&rt, err, errlen) != 0)
		return -1;
	if (ckpt_hold_ask(&rt, CKPT_RELEASE, why, sizeof(why)) != 0)
		return errf(err, errlen, "job %lu: %s", job, why);
	/* suspended by Slurm when dumped: let go, it is stopped again */
	if (ckpt_stopped_path(c, job, why, sizeof(why)) == 0 && unlink(why) == 0)
		return 0;
	if (ckpt_signal_tree(rt.init, SIGCONT) < 0)
		return errf(err, errlen, "job %lu: its init (pid %d) is gone",
		    job, (int)rt.init);
	return 0;
}
