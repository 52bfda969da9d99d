/*
 * mounts.c - see mounts.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mounts.h"
#include "spawn.h"
#include "state.h"
#include "util.h"

#define MOUNT		"/usr/bin/mount"
#define UMOUNT		"/usr/bin/umount"
#define TRIES		3
#define MOUNT_TIMEOUT	60.0

/* NFS asked for as "nfs" with vers=4 shows as "nfs4". */
static int
same_type(const char *want, const char *got)
{
	if (strcmp(want, got) == 0)
		return 1;
	return strncmp(want, "nfs", 3) == 0 && strncmp(got, "nfs", 3) == 0;
}

int
mount_present(const char *target, const char *source, const char *type)
{
	char line[4096], mp[4096], fstype[64], src[4096], *dash;
	FILE *f;
	int found = 0;

	if ((f = fopen("/proc/self/mountinfo", "re")) == NULL)
		return 0;
	/* "id parent maj:min root mountpoint opts [tags] - type source sopts" */
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1 ||
		    (dash = strstr(line, " - ")) == NULL ||
		    sscanf(dash + 3, "%63s %4095s", fstype, src) != 2)
			continue;
		if (strcmp(mp, target) != 0)
			continue;
		/* the last entry for a mount point is the one on top */
		found = same_type(type, fstype) && strcmp(src, source) == 0;
	}
	fclose(f);
	return found;
}

static int
mount_one(const struct join_mount *m, char *err, size_t errlen)
{
	const char *argv[] = { MOUNT, "-t", m->type, "-o", m->options,
	    m->source, m->target, NULL };
	const char *noopt[] = { MOUNT, "-t", m->type, m->source, m->target,
	    NULL };
	struct spawn sp;
	char why[512] = "";
	int i;

	if (mkdir(m->target, 0755) != 0 && errno != EEXIST)
		return errf(err, errlen, "%s: %s", m->target, strerror(errno));
	for (i = 0; i < TRIES; i++) {
		if (i > 0)
			sleep_seconds((double)i, NULL);
		memset(&sp, 0, sizeof(sp));
		sp.argv = m->options[0] != '\0' ? argv : noopt;
		sp.timeout = MOUNT_TIMEOUT;
		if (spawn_run(&sp, why, sizeof(why)) != 0)
			continue;
		if (mount_present(m->target, m->source, m->type))
			return 0;
		snprintf(why, sizeof(why), "mount(8) succeeded, but %s is not "
		    "%s %s", m->target, m->type, m->source);
	}
	return errf(err, errlen, "%s %s on %s: %s (%d tries)", m->type,
	    m->source, m->target, why, TRIES);
}

/* Is one target the other, or under it?  Those are mounted in order. */
static int
nested(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), n = la < lb ? la : lb;

	return strncmp(a, b, n) == 0 && (la == lb || (la < lb ? b[n] : a[n]) ==
	    '/' || (la < lb ? a : b)[n - 1] == '/');
}

/* Each mount that is missing in a child process of its own, all at once:
 * over NFS each takes a round trip or more to the server (and mount.nfs
 * to start), so two trees take the time of one.  A child says why it
 * failed on a pipe. */
static int
mounts_parallel(const struct join_mount *m, int n, const int *todo,
    char *err, size_t errlen)
{
	pid_t pid[STATE_MAX_MOUNTS];
	int fd[STATE_MAX_MOUNTS], p[2], i, status, rc = 0;
	char why[512];
	ssize_t len;

	for (i = 0; i < n; i++) {
		pid[i] = -1;
		fd[i] = -1;
		if (!todo[i])
			continue;
		if (pipe2(p, O_CLOEXEC) != 0 || (pid[i] = fork()) < 0) {
			rc = errf(err, errlen, "%s: cannot start its mount: %s",
			    m[i].target, strerror(errno));
			break;
		}
		if (pid[i] == 0) {
			close(p[0]);
			if (mount_one(&m[i], why, sizeof(why)) == 0)
				_exit(0);
			len = (ssize_t)strlen(why);
			if (write(p[1], why, (size_t)len) != len)
				_exit(2);
			_exit(1);
		}
		close(p[1]);
		fd[i] = p[0];
	}
	/* every child ends: mount_one's own bounds (tries, timeouts) */
	for (i = 0; i < n; i++) {
		if (pid[i] <= 0)
			continue;
		len = read(fd[i], why, sizeof(why) - 1);
		close(fd[i]);
		while (waitpid(pid[i], &status, 0) < 0 && errno == EINTR)
			;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			continue;
		if (rc == 0) {
			why[len > 0 ? len : 0] = '\0';
			rc = errf(err, errlen, "%s", len > 0 ? why :
			    "its mount process died");
		}
	}
	return rc;
}

int
mounts_apply(const struct join_mount *m, int n, int *done, char *err,
    size_t errlen)
{
	int todo[STATE_MAX_MOUNTS], i, j, serial = 0;

	*done = 0;
	if (n > STATE_MAX_MOUNTS)
		return errf(err, errlen, "%d mounts: at most %d", n,
		    STATE_MAX_MOUNTS);
	for (i = 0; i < n; i++) {
		todo[i] = !mount_present(m[i].target, m[i].source, m[i].type);
		*done += todo[i];
		for (j = 0; j < i; j++)
			serial |= nested(m[i].target, m[j].target);
	}
	if (*done > 1 && !serial)
		return mounts_parallel(m, n, todo, err, errlen);
	/* one, or some inside others: in the order given */
	for (i = 0; i < n; i++)
		if (todo[i] && mount_one(&m[i], err, errlen) != 0)
			return -1;
	return 0;
}

int
mount_remove(const char *target, char *err, size_t errlen)
{
	const char *argv[] = { UMOUNT, target, NULL };
	const char *lazy[] = { UMOUNT, "-l", target, NULL };
	struct spawn sp;

	memset(&sp, 0, sizeof(sp));
	sp.argv = argv;
	sp.timeout = MOUNT_TIMEOUT;
	if (spawn_run(&sp, err, errlen) == 0)
		return 0;
	/* busy: detach it now, the kernel finishes when the last user goes */
	sp.argv = lazy;
	return spawn_run(&sp, err, errlen);
}
