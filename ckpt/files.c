/*
 * files.c - see files.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <json-c/json.h>

#include "atomicfile.h"
#include "files.h"
#include "jsonutil.h"
#include "util.h"

int
ckpt_pathf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		if (len > 0)
			buf[0] = '\0';
		return -1;
	}
	return 0;
}

int
ckpt_own_dir(const char *path, int create, char *err, size_t errlen)
{
	struct stat st;

	if (create && mkdir(path, 0700) != 0 && errno != EEXIST)
		return errf(err, errlen, "%s: %s", path, strerror(errno));
	if (lstat(path, &st) != 0)
		return errf(err, errlen, "%s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return errf(err, errlen, "%s: not a directory", path);
	if (st.st_uid != 0)
		return errf(err, errlen, "%s: owned by uid %u, not root", path,
		    (unsigned)st.st_uid);
	if ((st.st_mode & 077) != 0)
		return errf(err, errlen, "%s: mode %03o, must be 0700", path,
		    (unsigned)(st.st_mode & 0777));
	return 0;
}

/* Remove the directory fd's entry name and all below it, never following
 * a link; depth bounds the recursion (the store is two levels deep). */
static int
rm_at(int dfd, const char *name, int depth)
{
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	if (depth <= 0)
		return -1;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (rm_at(dirfd(d), de->d_name, depth - 1) != 0)
			rc = -1;
	}
	closedir(d);
	if (unlinkat(dfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
		rc = -1;
	return rc;
}

int
ckpt_rm_tree(const char *path, char *err, size_t errlen)
{
	if (rm_at(AT_FDCWD, path, 3) != 0)
		return errf(err, errlen, "%s: cannot remove: %s", path,
		    strerror(errno));
	return 0;
}

int
ckpt_json_write(const char *path, struct json_object *o, char *err,
    size_t errlen)
{
	const char *s;
	char *buf;
	size_t len;
	int rc;

	if (o == NULL)
		return errf(err, errlen, "%s: out of memory", path);
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	len = strlen(s);
	if ((buf = malloc(len + 2)) == NULL)
		return errf(err, errlen, "%s: out of memory", path);
	memcpy(buf, s, len);
	buf[len++] = '\n';
	rc = af_write(path, buf, len, 0600, 0, 0, err, errlen);
	free(buf);
	return rc;
}

void
ckpt_json_int(struct json_object *o, const char *key, long long v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

struct json_object *
ckpt_json_read(const char *path, char *err, size_t errlen)
{
	struct json_object *o;
	char *buf = NULL, why[256];
	size_t len;

	if (read_file(path, CKPT_JSON_MAX, &buf, &len, err, errlen) != 0)
		return NULL;
	if ((o = js_parse(buf, len, why, sizeof(why))) == NULL)
		errf(err, errlen, "%s: %s", path, why);
	free(buf);
	return o;
}

void
ckpt_read_small(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	if ((n = read(fd, buf, len - 1)) < 0)
		n = 0;
	buf[n] = '\0';
	close(fd);
}

int
ckpt_child_fds(void)
{
	int fd, rc = 0;

	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	} else
		rc = -1;
	if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0)
		for (fd = 3; fd < 1024; fd++)
			close(fd);
	return rc;
}

unsigned long long
ckpt_dir_bytes(const char *dir)
{
	unsigned long long sum = 0;
	struct dirent *de;
	struct stat st;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode))
			sum += (unsigned long long)st.st_size;
	closedir(d);
	return sum;
}

/* CRIU writes its images into the page cache and syncs nothing, and once
 * the job is requeued its image is the only copy of it.  A store that
 * fills up or fails behind the cache (NFS) says so here. */
int
ckpt_dir_sync(const char *dir, char *err, size_t errlen)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, rc = 0;

	if ((d = opendir(dir)) == NULL)
		return errf(err, errlen, "%s: %s", dir, strerror(errno));
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if ((fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW |
		    O_CLOEXEC)) < 0) {
			rc = errf(err, errlen, "%s/%s: %s", dir, de->d_name,
			    strerror(errno));
			break;
		}
		if (fdatasync(fd) != 0)
			rc = errf(err, errlen, "%s/%s: fdatasync: %s", dir,
			    de->d_name, strerror(errno));
		close(fd);
	}
	closedir(d);
	return rc;
}
