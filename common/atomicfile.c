/*
 * atomicfile.c - see atomicfile.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "util.h"

static int
sync_dir(const char *path, char *err, size_t errlen)
{
	char copy[PATH_MAX];
	const char *dir;
	int fd, rc = 0;

	snprintf(copy, sizeof(copy), "%s", path);
	dir = dirname(copy);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return errf(err, errlen, "%s: %s", dir, strerror(errno));
	if (fsync(fd) != 0)
		rc = errf(err, errlen, "%s: fsync: %s", dir, strerror(errno));
	close(fd);
	return rc;
}

int
af_write(const char *path, const void *data, size_t len, mode_t mode,
    uid_t uid, gid_t gid, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	unsigned char rnd[6];
	char rhex[sizeof(rnd) * 2 + 1];
	const char *p = data;
	size_t off = 0;
	ssize_t n;
	int fd, n2;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return errf(err, errlen, "%s: no random numbers", path);
	hex_encode(rnd, sizeof(rnd), rhex);
	n2 = snprintf(tmp, sizeof(tmp), "%s.tmp-%s", path, rhex);
	if (n2 < 0 || (size_t)n2 >= sizeof(tmp))
		return errf(err, errlen, "%s: path too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode & 0600);
	if (fd < 0)
		return errf(err, errlen, "%s: %s", tmp, strerror(errno));
	while (off < len) {
		n = write(fd, p + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			errf(err, errlen, "%s: write: %s", tmp, strerror(errno));
			goto fail;
		}
		off += (size_t)n;
	}
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) != 0) {
		errf(err, errlen, "%s: chown: %s", tmp, strerror(errno));
		goto fail;
	}
	if (fchmod(fd, mode) != 0) {
		errf(err, errlen, "%s: chmod: %s", tmp, strerror(errno));
		goto fail;
	}
	if (fsync(fd) != 0) {
		errf(err, errlen, "%s: fsync: %s", tmp, strerror(errno));
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		errf(err, errlen, "%s: close: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		errf(err, errlen, "%s: rename: %s", path, strerror(errno));
		goto fail;
	}
	return sync_dir(path, err, errlen);
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}
