/*
 * daemon.c - see daemon.h.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "spawn.h"
#include "sysuser.h"
#include "util.h"

#define SYSTEMCTL "/bin/systemctl"

#define MAX_PIDS 64

const struct daemon daemon_slurmd = { "slurmd", SLURMD_PATH, "root" };
const struct daemon daemon_munged = { "munged", MUNGED_PATH, "munge" };

/* The real uid of process pid, or -1. */
static long
proc_uid(long pid)
{
	char path[64], line[256];
	FILE *f;
	long uid = -1;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "Uid:", 4) == 0) {
			uid = strtol(line + 4, NULL, 10);
			break;
		}
	fclose(f);
	return uid;
}

/* Does process pid run program exe (resolved: Debian's slurmd is an
 * alternatives link)?  (A program replaced on disk since, as by a package
 * upgrade, reads "exe (deleted)".) */
static int
runs(long pid, const char *exe)
{
	char path[64], target[PATH_MAX], real[PATH_MAX];
	size_t n;
	ssize_t len;

	if (realpath(exe, real) != NULL)
		exe = real;
	n = strlen(exe);
	snprintf(path, sizeof(path), "/proc/%ld/exe", pid);
	if ((len = readlink(path, target, sizeof(target) - 1)) < 0)
		return 0;
	target[len] = '\0';
	return strncmp(target, exe, n) == 0 && (target[n] == '\0' ||
	    strcmp(target + n, " (deleted)") == 0);
}

/* Live (not zombie) processes of the daemon. */
static int
find_all(const struct daemon *d, pid_t *pids, int max)
{
	struct sysuser u;
	char path[64], buf[512], *p, err[256];
	struct dirent *de;
	DIR *dir;
	FILE *f;
	int n = 0;

	if (sysuser_lookup(d->user, &u, err, sizeof(err)) != 0)
		return 0;	/* no such account: no such daemon either */
	if ((dir = opendir("/proc")) == NULL)
		return 0;
	while ((de = readdir(dir)) != NULL && n < max) {
		long pid;

		if (parse_long(de->d_name, 1, 1L << 22, &pid) != 0 ||
		    pid == (long)getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		if ((f = fopen(path, "re")) == NULL)
			continue;
		if (fgets(buf, sizeof(buf), f) == NULL) {
			fclose(f);
			continue;
		}
		fclose(f);
		/* "pid (comm) S ..." where comm may hold ')' itself */
		if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ' || p[2] == 'Z')
			continue;
		*p = '\0';
		if ((p = strchr(buf, '(')) == NULL || strcmp(p + 1, d->name) != 0)
			continue;
		/* the name is only a name: the program and the owner too */
		if (!runs(pid, d->exe) || proc_uid(pid) != (long)u.uid)
			continue;
		pids[n++] = (pid_t)pid;
	}
	closedir(dir);
	return n;
}

pid_t
daemon_find(const struct daemon *d)
{
	pid_t pids[MAX_PIDS];

	return find_all(d, pids, MAX_PIDS) > 0 ? pids[0] : 0;
}

static int
signal_all(const struct daemon *d, int sig, char *err, size_t errlen)
{
	pid_t pids[MAX_PIDS];
	int i, n;

	n = find_all(d, pids, MAX_PIDS);
	for (i = 0; i < n; i++)
		if (kill(pids[i], sig) != 0 && errno != ESRCH)
			return errf(err, errlen, "%s (pid %d): %s", d->name,
			    (int)pids[i], strerror(errno));
	return n;
}

static int
wait_gone(const struct daemon *d, double timeout)
{
	double start = mono_now();

	while (daemon_find(d) != 0) {
		if (mono_now() - start > timeout)
			return -1;
		sleep_seconds(0.02, NULL);
	}
	return 0;
}

int
daemon_stop(const struct daemon *d, double timeout, char *err,
    size_t errlen)
{
	int n;

	if ((n = signal_all(d, SIGTERM, err, errlen)) <= 0)
		return n;
	if (wait_gone(d, timeout) == 0)
		return 0;
	if (signal_all(d, SIGKILL, err, errlen) < 0)
		return -1;
	if (wait_gone(d, 5) == 0)
		return 0;
	return errf(err, errlen, "%s (pid %d) survives SIGKILL", d->name,
	    (int)daemon_find(d));
}

int
daemon_has_unit(const char *unit)
{
	static const char *const dirs[] = { "/etc/systemd/system",
	    "/run/systemd/system", "/usr/local/lib/systemd/system",
	    "/lib/systemd/system", "/usr/lib/systemd/system" };
	char path[PATH_MAX];
	size_t i;

	/* what sd_booted() asks */
	if (access("/run/systemd/system", F_OK) != 0 ||
	    access(SYSTEMCTL, X_OK) != 0)
		return 0;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i], unit);
		if (access(path, F_OK) == 0)
			return 1;
	}
	return 0;
}

int
daemon_systemctl(const char *verb, const char *unit, char *err,
    size_t errlen)
{
	const char *argv[] = { SYSTEMCTL, verb, unit, NULL };
	struct spawn sp;

	memset(&sp, 0, sizeof(sp));
	sp.argv = argv;
	sp.timeout = 60;
	return spawn_run(&sp, err, errlen);
}

int
daemon_wait(const struct daemon *d, double timeout)
{
	double end = mono_now() + timeout;

	while (daemon_find(d) == 0) {
		if (mono_now() >= end)
			return -1;
		sleep_seconds(0.05, NULL);
	}
	return 0;
}
