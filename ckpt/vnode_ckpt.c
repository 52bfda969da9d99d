/*
 * vnode_ckpt.c - a SPANK plugin that runs a batch job in its own PID
 * namespace, so that CRIU can dump it on one node and restore it on
 * another without PID collisions (ckpt/README.md, vnode_ckpt(8)).
 *
 *   optional /usr/lib/vnode/vnode_ckpt.so ckpt_dir=/shared/ckpt \
 *       partitions=backfill criu=/usr/sbin/criu [runtime=/run/vnode]
 *
 * In slurm_spank_task_init_privileged (root, in the task slurmstepd forked,
 * before it becomes the user) the task turns into three processes:
 *
 *   shim (the task's own pid, "vnode-ckpt"): waits for the init, forwards
 *     signals to it, and ends as it ended;
 *   init (pid 1 of a new PID namespace, "vnode-init"): reaps, forwards
 *     signals to the job, ends with the job's status;
 *   the job (pid 2): returns to slurmstepd, which runs the script as usual.
 *
 * Neither may keep slurmstepd's name: proctrack/linuxproc does not look
 * below a process called slurmstepd, so the job would never be signalled.
 * When the store holds a whole image of the job, the shim restores it
 * instead (criu restore --restore-sibling: the restored init is the shim's
 * child); a restore that fails starts the job over.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <slurm/slurm.h>
#include <slurm/spank.h>

#include "criu.h"
#include "files.h"
#include "hold.h"
#include "proctree.h"
#include "runtime.h"
#include "spawn.h"
#include "store.h"
#include "util.h"

SPANK_PLUGIN(vnode_ckpt, 1);

#define RESTORE_TIMEOUT	300.0	/* seconds for criu restore */
#define CGROUP_WAIT	5.0	/* seconds for slurmstepd to move the task */

static struct ckpt_conf conf;
static char partitions[1024];
static int opted_in;
static struct sigaction saved[NSIG];	/* slurmstepd's, for the job */

static int
opt_cb(int val, const char *arg, int remote)
{
	(void)val;
	(void)arg;
	(void)remote;
	opted_in = 1;
	return 0;
}

/* struct spank_option has char *, not const char * */
static char opt_name[] = "vnode-ckpt";
static char opt_usage[] = "run the batch job so that it can be "
    "checkpointed and moved to another node (vnode_ckpt)";
static struct spank_option ckpt_opt = {
	opt_name, NULL, opt_usage, 0, 0, opt_cb
};

/* The plugstack.conf arguments; -1 with err on a bad one. */
static int
parse_args(int ac, char **av, char *err, size_t errlen)
{
	const char *dir = NULL, *runtime = NULL, *criu = NULL;
	int i;

	for (i = 0; i < ac; i++) {
		if (strncmp(av[i], "ckpt_dir=", 9) == 0)
			dir = av[i] + 9;
		else if (strncmp(av[i], "runtime=", 8) == 0)
			runtime = av[i] + 8;
		else if (strncmp(av[i], "criu=", 5) == 0)
			criu = av[i] + 5;
		else if (strncmp(av[i], "partitions=", 11) == 0) {
			if (strlen(av[i] + 11) >= sizeof(partitions))
				return errf(err, errlen, "partitions: too long");
			snprintf(partitions, sizeof(partitions), "%s",
			    av[i] + 11);
		} else
			return errf(err, errlen, "unknown argument \"%s\" "
			    "(ckpt_dir=, partitions=, criu=, runtime=)", av[i]);
	}
	if (dir == NULL)
		return errf(err, errlen, "ckpt_dir= is required");
	return ckpt_conf_init(&conf, dir, runtime, criu, NULL, err, errlen);
}

int
slurm_spank_init(spank_t sp, int ac, char **av)
{
	char err[512];
	spank_context_t ctx = spank_context();

	if (ctx == S_CTX_LOCAL || ctx == S_CTX_REMOTE ||
	    ctx == S_CTX_ALLOCATOR)
		spank_option_register(sp, &ckpt_opt);
	if (ctx != S_CTX_REMOTE)
		return 0;
	if (parse_args(ac, av, err, sizeof(err)) != 0) {
		slurm_error("vnode_ckpt: plugstack.conf: %s", err);
		return -1;
	}
	return 0;
}

/* Is name one of the comma separated list? */
static int
in_list(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list, *e;

	if (n == 0)
		return 0;
	while (*p != '\0') {
		e = p + strcspn(p, ",");
		if ((size_t)(e - p) == n && strncmp(p, name, n) == 0)
			return 1;
		p = *e == ',' ? e + 1 : e;
	}
	return 0;
}

static int
wanted(spank_t sp)
{
	char part[256];

	if (opted_in || spank_option_getopt(sp, &ckpt_opt, NULL) ==
	    ESPANK_SUCCESS)
		return 1;
	if (spank_getenv(sp, "SLURM_JOB_PARTITION", part, sizeof(part)) !=
	    ESPANK_SUCCESS)
		return 0;
	return in_list(partitions, part);
}

/*
 * With proctrack/cgroup slurmstepd moves the task into the job's cgroup
 * after forking it, while this runs: the namespace's processes must be
 * forked after that, or they stay outside the job.  When slurmstepd is
 * in a cgroup of the job, wait (bounded) until the task has left it.
 */
static void
wait_cgroup(unsigned long job)
{
	char mine[1024], want[64];
	double end = mono_now() + CGROUP_WAIT;

	ckpt_read_small("/proc/self/cgroup", mine, sizeof(mine));
	snprintf(want, sizeof(want), "/job_%lu/", job);
	if (strstr(mine, want) == NULL)
		return;		/* proctrack/linuxproc: nothing moves */
	for (;;) {
		char now[1024];

		ckpt_read_small("/proc/self/cgroup", now, sizeof(now));
		if (strcmp(now, mine) != 0)
			return;
		if (mono_now() > end) {
			slurm_error("vnode_ckpt: job %lu: the task is still in "
			    "slurmstepd's cgroup after %.0f s", job,
			    CGROUP_WAIT);
			return;
		}
		sleep_seconds(0.005, NULL);
	}
}

static void
block_all(sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, old);
}

/* pid 1 must have a handler for a signal to be sent to it at all; the
 * signals are taken with sigwaitinfo, the handler never runs */
static void
on_signal(int sig)
{
	(void)sig;
}

static void
catch_all(void)
{
	struct sigaction sa;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigfillset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, &saved[sig]);
}

static void
uncatch_all(void)
{
	int sig;

	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &saved[sig], NULL);
}

/* A status passed on: the exit code, or the signal raised again. */
static void __attribute__((noreturn))
end_as(int code, int sig)
{
	sigset_t none;

	if (sig > 0 && sig < NSIG && sig != SIGKILL && sig != SIGSTOP) {
		signal(sig, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		kill(getpid(), sig);
	} else if (sig == SIGKILL)
		kill(getpid(), SIGKILL);
	_exit(sig > 0 ? 128 + sig : code);
}

/*
 * pid 1: reap everything, forward every signal to the job (pid 2), and end
 * with the job's status when it ends (the kernel then kills whatever else
 * is left in the namespace).  A job killed by a signal ends as 128 + the
 * signal: pid 1 cannot die of a signal it sends itself.
 */
static void __attribute__((noreturn))
init_main(pid_t job, const char *cwd)
{
	siginfo_t si;
	sigset_t all;
	pid_t w;
	int status;

	prctl(PR_SET_NAME, "vnode-init", 0, 0, 0);
	/* its own directory (runtime.h: CRIU's parasite works there) */
	if (chdir(cwd) != 0 && chdir("/") != 0)
		_exit(127);
	ckpt_child_fds();
	sigfillset(&all);
	for (;;) {
		while ((w = waitpid(-1, &status, WNOHANG)) > 0)
			if (w == job) {
				if (WIFSIGNALED(status))
					_exit(128 + WTERMSIG(status));
				_exit(WEXITSTATUS(status));
			}
		if (w < 0 && errno == ECHILD)
			_exit(1);	/* cannot happen: the job is ours */
		if (sigwaitinfo(&all, &si) < 0 || si.si_signo == SIGCHLD)
			continue;
		kill(job, si.si_signo);
	}
}

/* The signals that end a job (scancel, requeue, time limit): when the
 * shim got one the job was killed, and its images stay. */
static int
ending_signal(int sig)
{
	return sig == SIGTERM || sig == SIGINT || sig == SIGHUP ||
	    sig == SIGQUIT || sig == SIGXCPU;
}

/* A request from ckpt_dump or ckpt_resume (root, sigqueue): CKPT_HOLD,
 * CKPT_RELEASE, or 0 for an ordinary signal. */
static int
request(const siginfo_t *si)
{
	if (si->si_signo != CKPT_SIG || si->si_code != SI_QUEUE ||
	    si->si_uid != 0)
		return 0;
	if (si->si_value.sival_int == CKPT_HOLD ||
	    si->si_value.sival_int == CKPT_RELEASE)
		return si->si_value.sival_int;
	return 0;
}

/*
 * The original task: forward signals to the init, wait for it, remove the
 * runtime file, remove the job's images when it ended by itself, and end
 * as it ended.  After a dump it holds the tree (hold.h): traced, it stays
 * stopped through the requeue's SIGCONT, and the SIGTERM that follows
 * kills it at once.
 */
static void __attribute__((noreturn))
shim_main(unsigned long job, pid_t init)
{
	char err[512];
	siginfo_t si;
	sigset_t all;
	pid_t w;
	int status = 0, st, killed = 0, held = 0, req;

	sigfillset(&all);
	for (;;) {
		/* the init, and the processes held (their stops and ends) */
		while ((w = waitpid(-1, &st, __WALL | WNOHANG)) > 0)
			if (w == init && (WIFEXITED(st) || WIFSIGNALED(st))) {
				status = st;
				goto done;
			}
		if (w < 0 && errno == ECHILD) {
			ckpt_runtime_remove(&conf, job);
			slurm_error("vnode_ckpt: job %lu: lost its init %d",
			    job, (int)init);
			_exit(1);
		}
		if (sigwaitinfo(&all, &si) < 0 || si.si_signo == SIGCHLD)
			continue;
		if ((req = request(&si)) == CKPT_HOLD) {
			held = ckpt_trace_tree(init, 1) > 0;
			continue;
		} else if (req == CKPT_RELEASE) {
			ckpt_trace_tree(init, 0);
			held = 0;
			continue;
		}
		if (ending_signal(si.si_signo))
			killed = 1;
		if (held && killed)
			kill(init, SIGKILL);	/* the namespace with it */
		else if (!held && si.si_signo != SIGCONT)
			/* (SIGCONT: Slurm continues each process of the job
			 * itself, and ckpt_dump continues a suspended job's
			 * shim alone to hold the tree) */
			kill(init, si.si_signo);
	}
done:
	ckpt_runtime_remove(&conf, job);
	if (WIFSIGNALED(status))
		end_as(0, WTERMSIG(status));
	if (!killed && ckpt_remove(&conf, job, err, sizeof(err)) != 0)
		slurm_error("vnode_ckpt: job %lu: %s", job, err);
	if (killed && WEXITSTATUS(status) > 128 &&
	    WEXITSTATUS(status) - 128 < NSIG)
		end_as(0, WEXITSTATUS(status) - 128);
	end_as(WEXITSTATUS(status), 0);
}

static void
event(unsigned long job, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
event(unsigned long job, const char *kind, const char *fmt, ...)
{
	char detail[1024], err[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (strcmp(kind, "restore") == 0)
		slurm_info("vnode_ckpt: job %lu: %s: %s", job, kind, detail);
	else
		slurm_error("vnode_ckpt: job %lu: %s: %s", job, kind, detail);
	if (ckpt_event(&conf, job, kind, detail, err, sizeof(err)) != 0)
		slurm_error("vnode_ckpt: job %lu: event %s: %s", job, kind,
		    err);
}

/*
 * After a restore that failed (CRIU's error, or CRIU killed for its time):
 * with --restore-sibling what CRIU had made so far is a child of ours.
 * It goes, with its PID namespace, before the job starts over: never a
 * half-restored job beside the new one.
 */
static void
kill_children(void)
{
	char path[64], buf[4096], *p, *end;
	long pid;
	int status;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/children",
	    (long)syscall(SYS_gettid));
	ckpt_read_small(path, buf, sizeof(buf));
	for (p = buf; *p != '\0'; p = end) {
		pid = strtol(p, &end, 10);
		if (end == p)
			break;
		if (pid > 1 && kill((pid_t)pid, SIGKILL) == 0)
			waitpid((pid_t)pid, &status, __WALL);
	}
	while (waitpid(-1, &status, __WALL | WNOHANG) > 0)
		;
}

/*
 * The task's standard output and error, where they are files, handed to
 * CRIU (--inherit-fd) in place of opening them itself: slurmstepd opened
 * them as the job's user, and CRIU, as root, may not (a home on NFS with
 * root squashed: "Can't open file home/u/job.out on restore: Permission
 * denied").  CRIU names a file by its path without the leading '/'; one
 * the image has under another path is opened by CRIU as before.  The
 * copies are at 100 and up (closed by the caller, *n of them); arg[]
 * gets "fd[N]:path" for each.
 */
static void
inherit_stdio(char arg[2][PATH_MAX + 16], int fds[2], int *n)
{
	char link[64], path[PATH_MAX];
	struct stat st;
	ssize_t len;
	int fd, k;

	*n = 0;
	for (fd = 1; fd <= 2; fd++) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
		    (len = readlink(link, path, sizeof(path) - 1)) <= 1)
			continue;
		path[len] = '\0';
		if (path[0] != '/' || strstr(path, " (deleted)") != NULL)
			continue;
		/* the same file twice (-o alone): once is enough */
		if (*n == 1 && strcmp(arg[0] + strcspn(arg[0], ":") + 1,
		    path + 1) == 0)
			continue;
		if ((k = fcntl(fd, F_DUPFD, 100)) < 0)
			continue;
		fds[*n] = k;
		snprintf(arg[*n], sizeof(arg[0]), "fd[%d]:%s", k, path + 1);
		(*n)++;
	}
}

/*
 * criu restore of image n, the restored init a child of ours; stopped
 * processes (a job dumped while Slurm had it suspended) continued.
 */
static int
restore(unsigned long job, long n, pid_t *init, double *secs, char *err,
    size_t errlen)
{
	char img[CKPT_PATH_MAX], pidfile[CKPT_PATH_MAX + 32], why[1024];
	char log[CKPT_PATH_MAX + 32], buf[32], inh[2][PATH_MAX + 16];
	const char *argv[18] = { conf.criu, "restore", "-D", img,
	    "--restore-detached", "--restore-sibling",
	    "--manage-cgroups=ignore", "--pidfile", pidfile,
	    "-o", "restore.log", "-v2", NULL };
	struct spawn sp;
	double start = mono_now();
	long pid;
	int status, fds[2], nfds, i, rc;

	if (ckpt_image_path(&conf, job, n, img, sizeof(img)) != 0)
		return errf(err, errlen, "store path too long");
	snprintf(pidfile, sizeof(pidfile), "%s/restore.pid", img);
	snprintf(log, sizeof(log), "%s/restore.log", img);
	unlink(pidfile);
	if (access(conf.criu, X_OK) != 0)
		return errf(err, errlen, "%s: %s", conf.criu, strerror(errno));
	inherit_stdio(inh, fds, &nfds);
	for (i = 0; i < nfds; i++) {
		argv[12 + 2 * i] = "--inherit-fd";
		argv[13 + 2 * i] = inh[i];
	}
	argv[12 + 2 * nfds] = NULL;
	memset(&sp, 0, sizeof(sp));
	sp.argv = argv;
	sp.timeout = RESTORE_TIMEOUT;
	sp.keep = fds;
	sp.nkeep = nfds;
	rc = spawn_run(&sp, why, sizeof(why));
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	if (rc != 0) {
		char crit[768];

		kill_children();
		ckpt_log_error(log, crit, sizeof(crit));
		if (WIFSIGNALED(sp.status) && crit[0] != '\0')
			return errf(err, errlen, "criu restore: %s (its last "
			    "error: %s)", why, crit);
		return errf(err, errlen, "criu restore: %s",
		    crit[0] != '\0' ? crit : why);
	}
	ckpt_read_small(pidfile, buf, sizeof(buf));
	buf[strcspn(buf, "\n")] = '\0';
	if (parse_long(buf, 2, INT_MAX, &pid) != 0) {
		kill_children();
		return errf(err, errlen, "criu restore: no pid in %s", pidfile);
	}
	if (waitpid((pid_t)pid, &status, WNOHANG) != 0) {
		kill_children();
		return errf(err, errlen, "criu restore: the restored init %ld "
		    "is not a child of the shim, or ended at once", pid);
	}
	ckpt_signal_tree((pid_t)pid, SIGCONT);
	*init = (pid_t)pid;
	*secs = mono_now() - start;
	return 0;
}

/* The job from its image, when the store has one; 0 when it runs (the
 * caller becomes its shim), -1 when the job is to start over. */
static int
try_restore(unsigned long job, pid_t *init, long *image)
{
	struct ckpt_manifest m;
	char err[1024], img[CKPT_PATH_MAX];
	double secs = 0;
	long n;

	if ((n = ckpt_current(&conf, job, err, sizeof(err))) == 0)
		return -1;
	if (n > 0 && ckpt_image_path(&conf, job, n, img, sizeof(img)) == 0 &&
	    ckpt_manifest_read(img, &m, err, sizeof(err)) == 0 &&
	    restore(job, n, init, &secs, err, sizeof(err)) == 0) {
		*image = n;
		event(job, "restore", "image %ld from node %s, %.3f s", n,
		    m.node, secs);
		return 0;
	}
	if (n > 0)
		event(job, "restore-failed", "image %ld: %s; started over", n,
		    err);
	else
		event(job, "restore-failed", "%s; started over", err);
	if (ckpt_clear_current(&conf, job, err, sizeof(err)) != 0)
		slurm_error("vnode_ckpt: job %lu: %s", job, err);
	return -1;
}

int
slurm_spank_task_init_privileged(spank_t sp, int ac, char **av)
{
	struct ckpt_runtime rt;
	sigset_t old;
	uint32_t jobid, step;
	unsigned long job;
	uid_t uid;
	pid_t init = 0, pid;
	long image = 0;
	char err[512], cwd[CKPT_PATH_MAX];

	(void)ac;
	(void)av;
	if (spank_remote(sp) != 1 || conf.dir[0] == '\0')
		return 0;
	if (spank_get_item(sp, S_JOB_STEPID, &step) != ESPANK_SUCCESS ||
	    step != SLURM_BATCH_SCRIPT || !wanted(sp))
		return 0;
	if (spank_get_item(sp, S_JOB_ID, &jobid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_UID, &uid) != ESPANK_SUCCESS) {
		slurm_error("vnode_ckpt: no job id or uid: not checkpointable");
		return 0;
	}
	job = jobid;

	/* the init's own directory, for a fresh start and a restore alike
	 * (runtime.h); without it the job still runs, from "/" */
	if (ckpt_cwd_make(&conf, job, cwd, sizeof(cwd), err, sizeof(err)) != 0) {
		slurm_error("vnode_ckpt: job %lu: %s", job, err);
		snprintf(cwd, sizeof(cwd), "/");
	}
	/* slurmstepd forks its tasks with every signal blocked */
	block_all(&old);
	wait_cgroup(job);
	catch_all();
	if (try_restore(job, &init, &image) != 0) {
		if (unshare(CLONE_NEWPID) != 0) {
			slurm_error("vnode_ckpt: job %lu: unshare(CLONE_NEWPID): "
			    "%s: runs without a namespace, not checkpointable",
			    job, strerror(errno));
			uncatch_all();
			sigprocmask(SIG_SETMASK, &old, NULL);
			return 0;
		}
		if ((init = fork()) < 0) {
			slurm_error("vnode_ckpt: job %lu: fork: %s", job,
			    strerror(errno));
			return -1;
		}
		if (init == 0) {
			/* a session of its own, the job's too: CRIU moves
			 * no session whose leader is outside the tree */
			setsid();
			if ((pid = fork()) < 0)
				_exit(127);
			if (pid == 0) {
				/* pid 2: the job, back to slurmstepd */
				uncatch_all();
				sigprocmask(SIG_SETMASK, &old, NULL);
				return 0;
			}
			init_main(pid, cwd);
		}
	}
	prctl(PR_SET_NAME, "vnode-ckpt", 0, 0, 0);
	rt.job = job;
	rt.shim = getpid();
	rt.init = init;
	rt.uid = uid;
	rt.restored = image;
	rt.shim_start = rt.init_start = 0;	/* ckpt_runtime_write reads them */
	if (ckpt_runtime_write(&conf, &rt, err, sizeof(err)) != 0)
		slurm_error("vnode_ckpt: job %lu: %s", job, err);
	shim_main(job, init);
}
