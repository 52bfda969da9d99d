/*
 * munge.c - see munge.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "daemon.h"
#include "munge.h"
#include "mungekey.h"
#include "spawn.h"
#include "sysuser.h"
#include "util.h"

#define MUNGE_USER	"munge"
#define MUNGE_RUNDIR	"/run/munge"

static int
same_key(const char *path, const unsigned char *key, size_t len, int *same,
    char *err, size_t errlen)
{
	char *old = NULL;
	size_t oldlen = 0;

	if (read_file(path, MUNGE_KEY_MAX * 4, &old, &oldlen, err, errlen) != 0)
		return -1;
	*same = oldlen == len && ct_equal(old, key, len);
	explicit_bzero(old, oldlen);
	free(old);
	return 0;
}

int
munge_key_install(const unsigned char *key, size_t len, int *changed,
    char *err, size_t errlen)
{
	struct sysuser u;
	struct stat st;
	char e[256];
	int same = 0;

	if (sysuser_lookup(MUNGE_USER, &u, e, sizeof(e)) != 0)
		return errf(err, errlen, "%s: is munge installed?", e);
	if (lstat(MUNGE_KEY_PATH, &st) == 0) {
		if (S_ISLNK(st.st_mode))
			return errf(err, errlen, "%s is a symlink; refusing to "
			    "write through it", MUNGE_KEY_PATH);
		if (!S_ISREG(st.st_mode))
			return errf(err, errlen, "%s is not a regular file",
			    MUNGE_KEY_PATH);
		if (same_key(MUNGE_KEY_PATH, key, len, &same, err, errlen) != 0)
			return -1;
		if (same && st.st_uid == u.uid && (st.st_mode & 0777) ==
		    0400) {
			*changed = 0;
			return 0;
		}
		*changed = same ? 0 : 2;
	} else if (errno == ENOENT)
		*changed = 1;
	else
		return errf(err, errlen, "%s: %s", MUNGE_KEY_PATH, strerror(errno));
	return af_write(MUNGE_KEY_PATH, key, len, 0400, u.uid, u.gid, err,
	    errlen);
}

static int
rundir(char *err, size_t errlen)
{
	struct sysuser u;

	if (sysuser_lookup(MUNGE_USER, &u, err, errlen) != 0)
		return -1;
	if (mkdir(MUNGE_RUNDIR, 0755) != 0 && errno != EEXIST)
		return errf(err, errlen, "%s: %s", MUNGE_RUNDIR, strerror(errno));
	if (chown(MUNGE_RUNDIR, u.uid, u.gid) != 0)
		return errf(err, errlen, "%s: chown: %s", MUNGE_RUNDIR,
		    strerror(errno));
	return 0;
}

#define MUNGE_UNIT "munge.service"

int
munge_start(int restart, const char **how, char *err, size_t errlen)
{
	const char *argv[] = { MUNGED_PATH, NULL };
	struct spawn sp;

	if (daemon_find(&daemon_munged) != 0) {
		if (!restart) {
			*how = "running already";
			return 0;
		}
		if (daemon_stop(&daemon_munged, 10, err, errlen) != 0)
			return -1;
		*how = "restarted";
	} else
		*how = "started";
	if (daemon_has_unit(MUNGE_UNIT)) {
		*how = strcmp(*how, "started") == 0 ?
		    "started (" MUNGE_UNIT ")" : "restarted (" MUNGE_UNIT ")";
		if (daemon_systemctl("restart", MUNGE_UNIT, err, errlen) != 0)
			return -1;
		return daemon_wait(&daemon_munged, 10) == 0 ? 0 : errf(err, errlen,
		    MUNGE_UNIT " started, but no munged is running; see "
		    "journalctl -u munge");
	}
	if (rundir(err, errlen) != 0)
		return -1;
	memset(&sp, 0, sizeof(sp));
	sp.argv = argv;
	sp.user = MUNGE_USER;
	sp.timeout = 20;
	return spawn_run(&sp, err, errlen);
}

int
munge_check(char *err, size_t errlen)
{
	const char *enc[] = { "/usr/bin/munge", "-n", NULL };
	const char *dec[] = { "/usr/bin/unmunge", NULL };
	char cred[4096], out[2048], e[512];
	struct spawn sp;

	memset(&sp, 0, sizeof(sp));
	sp.argv = enc;
	sp.out = cred;
	sp.outsz = sizeof(cred);
	sp.timeout = 10;
	if (spawn_run(&sp, e, sizeof(e)) != 0)
		return errf(err, errlen, "encode: %s", e);
	memset(&sp, 0, sizeof(sp));
	sp.argv = dec;
	sp.input = cred;
	sp.inlen = strlen(cred);
	sp.out = out;
	sp.outsz = sizeof(out);
	sp.timeout = 10;
	if (spawn_run(&sp, e, sizeof(e)) != 0)
		return errf(err, errlen, "decode: %s", e);
	if (strstr(out, "STATUS:") == NULL || strstr(out, "Success") == NULL)
		return errf(err, errlen, "decode: unexpected answer");
	return 0;
}
