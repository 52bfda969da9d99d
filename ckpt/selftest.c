/*
 * selftest.c - see selftest.h.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "criu.h"
#include "files.h"
#include "proctree.h"
#include "runtime.h"
#include "selftest.h"
#include "spawn.h"
#include "util.h"

/* The test process of ckpt_selftest: in a child, a PID namespace of its
 * own, and in it pid 1: a session leader running sleep, its files
 * /dev/null, its directory cwd.  The child waits for it and exits. */
static void __attribute__((noreturn))
selftest_child(const char *cwd)
{
	static const char *const argv[] = { "sleep", "600", NULL };
	static const char *const envp[] = { "PATH=/usr/bin:/bin", NULL };
	pid_t init;
	int status;

	if (unshare(CLONE_NEWPID) != 0 || (init = fork()) < 0)
		_exit(126);
	if (init == 0) {
		setsid();
		if (chdir(cwd) != 0 || ckpt_child_fds() != 0)
			_exit(126);
		execve("/bin/sleep", (char *const *)(uintptr_t)argv,
		    (char *const *)(uintptr_t)envp);
		_exit(127);
	}
	while (waitpid(init, &status, 0) < 0 && errno == EINTR)
		;
	_exit(0);
}

/* criu ARGS in dir, bounded; on failure err has CRIU's error line, or
 * how it ended */
static int
selftest_criu(const struct ckpt_conf *c, const char *const *argv,
    const char *log, double timeout, const char *what, char *err,
    size_t errlen)
{
	struct spawn sp;
	char why[512], crit[512], kept[CKPT_PATH_MAX];

	memset(&sp, 0, sizeof(sp));
	sp.argv = argv;
	sp.timeout = timeout;
	if (spawn_run(&sp, why, sizeof(why)) == 0)
		return 0;
	ckpt_log_error(log, crit, sizeof(crit));
	/* CRIU's whole story is kept for the admin */
	if (ckpt_pathf(kept, sizeof(kept), "%s/ckpt/selftest.log", c->runtime)
	    != 0 || rename(log, kept) != 0)
		snprintf(kept, sizeof(kept), "none");
	if (WIFSIGNALED(sp.status) && strstr(why, "without finishing") != NULL)
		return errf(err, errlen, "criu %s of a test process did not "
		    "finish within %.0f s (CRIU's log: %s)", what, timeout, kept);
	return errf(err, errlen, "criu %s of a test process failed: %s "
	    "(CRIU's log: %s)", what, crit[0] != '\0' &&
	    !WIFSIGNALED(sp.status) ? crit : why, kept);
}

int
ckpt_selftest(const struct ckpt_conf *c, double timeout, char *info,
    size_t infolen, char *err, size_t errlen)
{
	char dir[CKPT_PATH_MAX], cwd[CKPT_PATH_MAX], log[CKPT_PATH_MAX];
	char pidfile[CKPT_PATH_MAX], pid[32], ver[64], buf[32], comm[32];
	const char *dump[] = { c->criu, "dump", "-t", pid, "-D", dir,
	    "--manage-cgroups=ignore", "-o", "dump.log", "-v2", NULL };
	const char *restore[] = { c->criu, "restore", "-D", dir,
	    "--restore-detached", "--restore-sibling",
	    "--manage-cgroups=ignore", "--pidfile", pidfile, "-o",
	    "restore.log", "-v2", NULL };
	double start = mono_now(), left;
	pid_t child, init = -1, restored = -1;
	long v;
	int rc = -1, status, i;

	info[0] = '\0';
	if (access(c->criu, X_OK) != 0)
		return errf(err, errlen, "%s: %s", c->criu, strerror(errno));
	ckpt_criu_version(c->criu, ver, sizeof(ver));
	if (ckpt_runtime_dir(c, "ckpt", err, errlen) != 0)
		return -1;
	if (ckpt_pathf(dir, sizeof(dir), "%s/ckpt/selftest", c->runtime) != 0 ||
	    ckpt_pathf(cwd, sizeof(cwd), "%s/ckpt/selftest.cwd", c->runtime) != 0 ||
	    ckpt_pathf(log, sizeof(log), "%s/dump.log", dir) != 0 ||
	    ckpt_pathf(pidfile, sizeof(pidfile), "%s/restore.pid", dir) != 0)
		return errf(err, errlen, "runtime path too long");
	ckpt_rm_tree(dir, err, errlen);
	if ((mkdir(dir, 0700) != 0 && errno != EEXIST) ||
	    (mkdir(cwd, 0700) != 0 && errno != EEXIST))
		return errf(err, errlen, "%s: %s", dir, strerror(errno));

	if ((child = fork()) < 0) {
		errf(err, errlen, "fork: %s", strerror(errno));
		goto out;
	}
	if (child == 0)
		selftest_child(cwd);
	/* the child's pid 1, once it runs sleep */
	for (i = 0; i < 500; i++) {
		char path[64], kids[64], name[32];

		snprintf(path, sizeof(path), "/proc/%d/task/%d/children",
		    (int)child, (int)child);
		ckpt_read_small(path, kids, sizeof(kids));
		kids[strcspn(kids, " \n")] = '\0';
		if (parse_long(kids, 2, INT_MAX, &v) == 0) {
			init = (pid_t)v;
			if (ckpt_parent_of(init, name, sizeof(name)) == child &&
			    strcmp(name, "sleep") == 0)
				break;
		}
		init = -1;
		if (waitpid(child, &status, WNOHANG) == child) {
			child = -1;
			errf(err, errlen, "the test process did not start "
			    "(unshare(CLONE_NEWPID) or exec of /bin/sleep "
			    "failed: exit %d)", WIFEXITED(status) ?
			    WEXITSTATUS(status) : 128 + WTERMSIG(status));
			goto out;
		}
		sleep_seconds(0.01, NULL);
	}
	if (init < 0) {
		errf(err, errlen, "the test process did not start in 5 s");
		goto out;
	}
	snprintf(pid, sizeof(pid), "%d", (int)init);
	if (selftest_criu(c, dump, log, timeout, "dump", err, errlen) != 0)
		goto out;
	init = -1;			/* the dump ended it */
	waitpid(child, &status, 0);
	child = -1;
	if (ckpt_pathf(log, sizeof(log), "%s/restore.log", dir) != 0 ||
	    (left = timeout - (mono_now() - start)) < 1) {
		errf(err, errlen, "no time left for the restore of the test "
		    "process (%.0f s in all)", timeout);
		goto out;
	}
	if (selftest_criu(c, restore, log, left, "restore", err, errlen) != 0)
		goto out;
	ckpt_read_small(pidfile, buf, sizeof(buf));
	buf[strcspn(buf, "\n")] = '\0';
	if (parse_long(buf, 2, INT_MAX, &v) != 0) {
		errf(err, errlen, "criu restore of a test process left no pid in "
		    "%s", pidfile);
		goto out;
	}
	restored = (pid_t)v;
	if (ckpt_parent_of(restored, comm, sizeof(comm)) != getpid() ||
	    strcmp(comm, "sleep") != 0) {
		errf(err, errlen, "criu restore of a test process: pid %d is not "
		    "the restored sleep beside us", (int)restored);
		restored = -1;
		goto out;
	}
	snprintf(info, infolen, "criu %s: a test process dumped and restored "
	    "in %.2f s", ver, mono_now() - start);
	rc = 0;
out:
	if (init > 0)
		kill(init, SIGKILL);
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, &status, 0);
	}
	if (restored > 0) {
		kill(restored, SIGKILL);
		waitpid(restored, &status, 0);
	}
	{
		char why[256];

		ckpt_rm_tree(dir, why, sizeof(why));
		rmdir(cwd);
	}
	return rc;
}
