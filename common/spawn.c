/*
 * spawn.c - see spawn.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"
#include "sysuser.h"
#include "util.h"

/* How long to keep reading after the child exited, for a daemon that
 * forked and kept our pipes open. */
#define AFTER_EXIT 0.2

static const char *const clean_env[] = {
	"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
	"LC_ALL=C",
	NULL
};

/*
 * In the child, between fork and exec, only async-signal-safe calls (the
 * hook forks from a threaded process): a failure is its errno and its
 * step, written to the close-on-exec pipe ex, which the parent reads.
 */
static void __attribute__((noreturn))
child_fail(int ex, int step, int code)
{
	int msg[2];

	msg[0] = step;
	msg[1] = errno;
	if (write(ex, msg, sizeof(msg)) != (ssize_t)sizeof(msg))
		_exit(code);
	_exit(code);
}

enum { STEP_FDS = 1, STEP_USER = 2, STEP_EXEC = 3 };

/* Descriptors lo to hi (hi -1: all above lo) closed. */
static void
close_span(int lo, int hi)
{
	int fd;

	if (hi >= 0 && hi < lo)
		return;
	if (syscall(SYS_close_range, (unsigned)lo, hi < 0 ? ~0U : (unsigned)hi,
	    0U) == 0)
		return;
	for (fd = lo; fd <= (hi < 0 ? 1023 : hi); fd++)
		close(fd);
}

/* Every descriptor from 3 up closed but ex and keep[] (at most 4). */
static void
close_others(int ex, const int *keep, int nkeep)
{
	int want[5], n = 0, i, j, t, lo = 3;

	want[n++] = ex;
	for (i = 0; keep != NULL && i < nkeep && i < 4; i++)
		if (keep[i] > 2)
			want[n++] = keep[i];
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && want[j - 1] > want[j]; j--) {
			t = want[j];
			want[j] = want[j - 1];
			want[j - 1] = t;
		}
	for (i = 0; i < n; i++) {
		if (want[i] < lo)
			continue;
		close_span(lo, want[i] - 1);
		lo = want[i] + 1;
	}
	close_span(lo, -1);
}

static void
child(struct spawn *sp, const struct sysuser *id, int in, int out, int errfd,
    int ex)
{
	sigset_t none;
	int sig;

	/* a process group of its own: a program killed for its time goes
	 * with whatever it started (criu's helpers, a wrapper's child) */
	setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0)
		child_fail(ex, STEP_FDS, 127);
	/* every other descriptor goes, but ex (it closes itself at exec)
	 * and those the caller passes on */
	close_others(ex, sp->keep, sp->nkeep);
	if (id != NULL && (setgroups((size_t)id->ngroups, id->groups) != 0 ||
	    setgid(id->gid) != 0 || setuid(id->uid) != 0))
		child_fail(ex, STEP_USER, 126);
	if (sp->env != NULL) {
		const char *envp[16];
		size_t n = 0, i;

		for (i = 0; clean_env[i] != NULL; i++)
			envp[n++] = clean_env[i];
		for (i = 0; sp->env[i] != NULL && n + 1 < 16; i++)
			envp[n++] = sp->env[i];
		envp[n] = NULL;
		execve(sp->argv[0], (char *const *)(uintptr_t)sp->argv,
		    (char *const *)(uintptr_t)envp);
	} else
		execve(sp->argv[0], (char *const *)(uintptr_t)sp->argv,
		    (char *const *)(uintptr_t)clean_env);
	child_fail(ex, STEP_EXEC, 127);
}

/* SIGKILL to the program's process group, and to the program itself
 * should it have left the group. */
static void
kill_group(pid_t pid)
{
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
}

/* What the program said on standard error (in), its lines trimmed and
 * joined by "; ", into out, cut to its outsz.  (Not in place: "; " is one
 * more than the newline it replaces, and would overtake what it reads.) */
static const char *
one_line(const char *in, char *out, size_t outsz)
{
	const char *end;
	size_t o = 0, n;

	while (*in != '\0') {
		while (*in == ' ' || *in == '\t' || *in == '\n' || *in == '\r')
			in++;
		if (*in == '\0')
			break;
		end = in + strcspn(in, "\n");
		n = (size_t)(end - in);
		while (n > 0 && (in[n - 1] == ' ' || in[n - 1] == '\r'))
			n--;
		if (o > 0 && o + 2 < outsz) {
			memcpy(out + o, "; ", 2);
			o += 2;
		}
		if (n > outsz - 1 - o)
			n = outsz - 1 - o;
		memcpy(out + o, in, n);
		o += n;
		in = end;
	}
	out[o] = '\0';
	return out;
}

int
spawn_run(struct spawn *sp, char *err, size_t errlen)
{
	struct sysuser id, *idp = NULL;
	int inp[2] = { -1, -1 }, outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	char errbuf[2048], line[2048], discard[512];
	size_t errlen_got = 0, written = 0;
	double start, exited_at = 0;
	struct pollfd pfd[3];
	pid_t pid, w;
	int rc = -1, done = 0, killed = 0, status = 0, devnull = -1;
	int exp[2] = { -1, -1 }, failed[2] = { 0, 0 };

	sp->outlen = 0;
	sp->status = 0;
	if (sp->out != NULL && sp->outsz > 0)
		sp->out[0] = '\0';
	if (sp->argv == NULL || sp->argv[0] == NULL || sp->argv[0][0] != '/')
		return errf(err, errlen, "internal: program path must be absolute");
	if (sp->user != NULL) {
		if (sysuser_lookup(sp->user, &id, err, errlen) != 0)
			return -1;
		idp = &id;
	}
	if (pipe2(outp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0 ||
	    pipe2(exp, O_CLOEXEC) != 0) {
		errf(err, errlen, "%s: pipe: %s", sp->argv[0], strerror(errno));
		goto out;
	}
	if (sp->input != NULL) {
		if (pipe2(inp, O_CLOEXEC) != 0) {
			errf(err, errlen, "%s: pipe: %s", sp->argv[0],
			    strerror(errno));
			goto out;
		}
	} else if ((devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		errf(err, errlen, "/dev/null: %s", strerror(errno));
		goto out;
	}
	start = mono_now();
	if ((pid = fork()) < 0) {
		errf(err, errlen, "%s: fork: %s", sp->argv[0], strerror(errno));
		goto out;
	}
	if (pid == 0)
		child(sp, idp, sp->input != NULL ? inp[0] : devnull, outp[1],
		    errp[1], exp[1]);
	setpgid(pid, pid);	/* (also in the child: whichever comes first) */
	close(outp[1]);
	close(errp[1]);
	close(exp[1]);
	outp[1] = errp[1] = exp[1] = -1;
	if (sp->input != NULL) {
		close(inp[0]);
		inp[0] = -1;
		fcntl(inp[1], F_SETFL, O_NONBLOCK);
		if (sp->inlen == 0) {
			close(inp[1]);
			inp[1] = -1;
		}
	}
	fcntl(outp[0], F_SETFL, O_NONBLOCK);
	fcntl(errp[0], F_SETFL, O_NONBLOCK);

	while (!done) {
		double now = mono_now();
		int nfd = 0, tmo;

		w = waitpid(pid, &status, WNOHANG);
		if (w == pid && exited_at == 0)
			exited_at = now;
		if (exited_at != 0 && ((outp[0] < 0 && errp[0] < 0) ||
		    now - exited_at > AFTER_EXIT))
			break;
		if (exited_at == 0 && !killed && now - start > sp->timeout) {
			kill_group(pid);
			killed = 1;
		}
		pfd[0].fd = outp[0];
		pfd[0].events = POLLIN;
		pfd[1].fd = errp[0];
		pfd[1].events = POLLIN;
		pfd[2].fd = inp[1];
		pfd[2].events = POLLOUT;
		nfd = 3;
		tmo = 20;
		if (poll(pfd, (nfds_t)nfd, tmo) < 0 && errno != EINTR)
			break;
		if (pfd[0].fd >= 0 && (pfd[0].revents & (POLLIN | POLLHUP))) {
			ssize_t n;

			if (sp->out != NULL && sp->outlen + 1 < sp->outsz)
				n = read(outp[0], sp->out + sp->outlen,
				    sp->outsz - 1 - sp->outlen);
			else
				n = read(outp[0], discard, sizeof(discard));
			if (n > 0 && sp->out != NULL && sp->outlen + 1 < sp->outsz) {
				sp->outlen += (size_t)n;
				sp->out[sp->outlen] = '\0';
			}
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
				close(outp[0]);
				outp[0] = -1;
			}
		}
		if (pfd[1].fd >= 0 && (pfd[1].revents & (POLLIN | POLLHUP))) {
			ssize_t n;

			if (errlen_got + 1 < sizeof(errbuf))
				n = read(errp[0], errbuf + errlen_got,
				    sizeof(errbuf) - 1 - errlen_got);
			else
				n = read(errp[0], discard, sizeof(discard));
			if (n > 0 && errlen_got + 1 < sizeof(errbuf))
				errlen_got += (size_t)n;
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
				close(errp[0]);
				errp[0] = -1;
			}
		}
		if (pfd[2].fd >= 0 && (pfd[2].revents & (POLLOUT | POLLERR |
		    POLLHUP))) {
			ssize_t n = write(inp[1], sp->input + written,
			    sp->inlen - written);

			if (n > 0)
				written += (size_t)n;
			if (written == sp->inlen || (n < 0 && errno != EAGAIN &&
			    errno != EINTR)) {
				close(inp[1]);
				inp[1] = -1;
			}
		}
	}
	if (exited_at == 0) {
		/* Pipes ended, child still running: wait, within the bound. */
		while ((w = waitpid(pid, &status, WNOHANG)) == 0) {
			if (!killed && mono_now() - start > sp->timeout) {
				kill_group(pid);
				killed = 1;
			}
			sleep_seconds(0.01, NULL);
		}
	}
	errbuf[errlen_got] = '\0';
	sp->status = status;
	/* the child's own failure before the program ran, if any */
	if (read(exp[0], failed, sizeof(failed)) != (ssize_t)sizeof(failed))
		failed[0] = 0;
	if (failed[0] != 0 && !killed) {
		errf(err, errlen, "%s: %s: %s", sp->argv[0], failed[0] ==
		    STEP_EXEC ? "cannot execute" : failed[0] == STEP_USER ?
		    "cannot become its user" : "cannot set up its descriptors",
		    strerror(failed[1]));
		goto out;
	}
	if (killed)
		errf(err, errlen, "%s: killed after %.1f s without finishing",
		    sp->argv[0], sp->timeout);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		rc = 0;
	else if (WIFEXITED(status))
		errf(err, errlen, "%s: exited with status %d%s%s", sp->argv[0],
		    WEXITSTATUS(status), errlen_got ? ": " : "",
		    one_line(errbuf, line, sizeof(line)));
	else
		errf(err, errlen, "%s: killed by signal %d%s%s", sp->argv[0],
		    WTERMSIG(status), errlen_got ? ": " : "",
		    one_line(errbuf, line, sizeof(line)));
out:
	if (inp[0] >= 0)
		close(inp[0]);
	if (inp[1] >= 0)
		close(inp[1]);
	if (outp[0] >= 0)
		close(outp[0]);
	if (outp[1] >= 0)
		close(outp[1]);
	if (errp[0] >= 0)
		close(errp[0]);
	if (errp[1] >= 0)
		close(errp[1]);
	if (devnull >= 0)
		close(devnull);
	if (exp[0] >= 0)
		close(exp[0]);
	if (exp[1] >= 0)
		close(exp[1]);
	return rc;
}
