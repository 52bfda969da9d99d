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
#include "util.h"

#define SYSTEMCTL "/bin/systemctl"

#define MAX_PIDS 64

/* Live (not zombie) processes named name. */
static int
find_all(const char *name, pid_t *pids, int max)
{
	char path[64], buf[512], *p;
	struct dirent *d;
	DIR *dir;
	FILE *f;
	int n = 0;

	if ((dir = opendir("/proc")) == NULL)
		return 0;
	while ((d = readdir(dir)) != NULL && n < max) {
		long pid;

		if (parse_long(d->d_name, 1, 1L << 22, &pid) != 0 ||
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
		if ((p = strchr(buf, '(')) == NULL || strcmp(p + 1, name) != 0)
			continue;
		pids[n++] = (pid_t)pid;
	}
	closedir(dir);
	return n;
}

pid_t
daemon_find(const char *name)
{
	pid_t pids[MAX_PIDS];

	return find_all(name, pids, MAX_PIDS) > 0 ? pids[0] : 0;
}

static int
signal_all(const char *name, int sig, char *err, size_t errlen)
{
	pid_t pids[MAX_PIDS];
	int i, n;

	n = find_all(name, pids, MAX_PIDS);
	for (i = 0; i < n; i++)
		if (kill(pids[i], sig) != 0 && errno != ESRCH)
			return errf(err, errlen, "%s (pid %d): %s", name,
			    (int)pids[i], strerror(errno));
	return n;
}

static int
wait_gone(const char *name, double timeout)
{
	double start = mono_now();

	while (daemon_find(name) != 0) {
		if (mono_now() - start > timeout)
			return -1;
		sleep_seconds(0.02, NULL);
	}
	return 0;
}

int
daemon_stop(const char *name, double timeout, char *err, size_t errlen)
{
	int n;

	if ((n = signal_all(name, SIGTERM, err, errlen)) <= 0)
		return n;
	if (wait_gone(name, timeout) == 0)
		return 0;
	if (signal_all(name, SIGKILL, err, errlen) < 0)
		return -1;
	if (wait_gone(name, 5) == 0)
		return 0;
	return errf(err, errlen, "%s (pid %d) survives SIGKILL", name,
	    (int)daemon_find(name));
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
daemon_wait(const char *name, double timeout)
{
	double end = mono_now() + timeout;

	while (daemon_find(name) == 0) {
		if (mono_now() >= end)
			return -1;
		sleep_seconds(0.05, NULL);
	}
	return 0;
}
