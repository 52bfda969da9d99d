/*
 * sbinit - pid 1 of a test sandbox's PID namespace.
 *
 * It runs the sandbox's set-up command, then stays to reap every orphan
 * (daemons that fork, as munged and slurmd do, end up its children), as
 * init does on a real node.  On SIGTERM it sends SIGTERM to everything in
 * the namespace, waits a little, and exits; the kernel then kills whatever
 * is left.  The harness stops a sandbox by stopping this one process.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* Only there so that sigsuspend() returns when an orphan exits: with
 * SIGCHLD ignored it would not. */
static void
on_chld(int sig)
{
	(void)sig;
}

int
main(int argc, char *argv[])
{
	struct sigaction sa;
	sigset_t block, old;
	pid_t pid, w;
	int status, i;

	if (argc < 2) {
		fprintf(stderr, "usage: sbinit setup-command [args...]\n");
		return 2;
	}
	if (getpid() != 1) {
		fprintf(stderr, "sbinit: not pid 1 of a PID namespace\n");
		return 2;
	}
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_chld;
	sigaction(SIGCHLD, &sa, NULL);

	if ((pid = fork()) < 0) {
		perror("sbinit: fork");
		return 1;
	}
	if (pid == 0) {
		sa.sa_handler = SIG_DFL;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGCHLD, &sa, NULL);
		execv(argv[1], argv + 1);
		perror("sbinit: exec");
		_exit(127);
	}
	while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (w < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "sbinit: set-up failed\n");
		return 1;
	}
	/* Ready: tell the harness through standard output, then reap. */
	printf("ready\n");
	fflush(stdout);
	fclose(stdout);
	/* Reap, then sleep until a signal; SIGCHLD and SIGTERM stay blocked
	 * except inside sigsuspend(), so none is missed in between. */
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &old);
	while (!stop) {
		while (waitpid(-1, &status, WNOHANG) > 0)
			;
		if (!stop)
			sigsuspend(&old);
	}
	kill(-1, SIGTERM);
	for (i = 0; i < 50; i++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		while (waitpid(-1, &status, WNOHANG) > 0)
			;
		if (kill(-1, 0) < 0 && errno == ESRCH)
			break;
		nanosleep(&ts, NULL);
	}
	return 0;
}
