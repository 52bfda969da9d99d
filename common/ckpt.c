/*
 * ckpt.c - see ckpt.h.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "atomicfile.h"
#include "ckpt.h"
#include "jsonutil.h"
#include "spawn.h"
#include "util.h"

#define MAX_TREE	4096		/* processes in one job's tree */
#define MAX_SOCKETS	4096		/* socket inodes looked at */
#define JSON_MAX	4096		/* runtime file, manifest */

static int
copy_path(char *dst, size_t dstlen, const char *src, const char *what,
    char *err, size_t errlen)
{
	if (src == NULL || src[0] != '/')
		return errf(err, errlen, "%s: not an absolute path: %s", what,
		    src == NULL ? "(none)" : src);
	if (strlen(src) >= dstlen)
		return errf(err, errlen, "%s: path too long", what);
	snprintf(dst, dstlen, "%s", src);
	return 0;
}

int
ckpt_conf_init(struct ckpt_conf *c, const char *dir, const char *runtime,
    const char *criu, const char *node, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	if (copy_path(c->dir, sizeof(c->dir), dir, "ckpt_dir", err,
	    errlen) != 0 ||
	    copy_path(c->runtime, sizeof(c->runtime),
	    runtime != NULL ? runtime : CKPT_RUNTIME, "runtime", err,
	    errlen) != 0 ||
	    copy_path(c->criu, sizeof(c->criu),
	    criu != NULL ? criu : CKPT_CRIU, "criu", err, errlen) != 0)
		return -1;
	if (node != NULL && node[0] != '\0') {
		if (strlen(node) >= sizeof(c->node))
			return errf(err, errlen, "node name too long");
		snprintf(c->node, sizeof(c->node), "%s", node);
	} else if (gethostname(c->node, sizeof(c->node) - 1) != 0)
		snprintf(c->node, sizeof(c->node), "unknown");
	return 0;
}

static int
fmt_path(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fmt_path(char *buf, size_t len, const char *fmt, ...)
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
ckpt_job_path(const struct ckpt_conf *c, unsigned long job, char *buf,
    size_t len)
{
	return fmt_path(buf, len, "%s/%lu", c->dir, job);
}

int
ckpt_image_path(const struct ckpt_conf *c, unsigned long job, long n,
    char *buf, size_t len)
{
	return fmt_path(buf, len, "%s/%lu/%ld", c->dir, job, n);
}

/* A directory of ours: made 0700 when absent; it must be a directory (not
 * a link), owned by root, with no access for others. */
static int
own_dir(const char *path, int create, char *err, size_t errlen)
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

/* "123" or "123.tmp" (tmp set); -1 for any other name */
static long
image_number(const char *name, int *tmp)
{
	char *end;
	long n;

	if (!isdigit((unsigned char)name[0]))
		return -1;
	errno = 0;
	n = strtol(name, &end, 10);
	if (errno != 0 || n <= 0 || n > 1000000000L)
		return -1;
	*tmp = strcmp(end, ".tmp") == 0;
	if (*end != '\0' && !*tmp)
		return -1;
	return n;
}

long
ckpt_next_image(const struct ckpt_conf *c, unsigned long job, char *err,
    size_t errlen)
{
	char path[CKPT_PATH_MAX];
	struct dirent *de;
	DIR *d;
	long n, max = 0;
	int tmp;

	if (ckpt_job_path(c, job, path, sizeof(path)) != 0)
		return errf(err, errlen, "store path too long");
	if ((d = opendir(path)) == NULL) {
		if (errno == ENOENT)
			return 1;
		return errf(err, errlen, "%s: %s", path, strerror(errno));
	}
	while ((de = readdir(d)) != NULL)
		if ((n = image_number(de->d_name, &tmp)) > max)
			max = n;
	closedir(d);
	return max + 1;
}

long
ckpt_current(const struct ckpt_conf *c, unsigned long job, char *err,
    size_t errlen)
{
	char path[CKPT_PATH_MAX], img[CKPT_PATH_MAX], *buf = NULL;
	struct ckpt_manifest m;
	size_t len;
	long n;

	if (fmt_path(path, sizeof(path), "%s/%lu/current", c->dir, job) != 0)
		return errf(err, errlen, "store path too long");
	if (access(path, F_OK) != 0)
		return errno == ENOENT ? 0 : errf(err, errlen, "%s: %s", path,
		    strerror(errno));
	if (read_file(path, 64, &buf, &len, err, errlen) != 0)
		return -1;
	str_trim(buf);
	buf[strcspn(buf, "\n")] = '\0';
	if (parse_long(buf, 1, 1000000000L, &n) != 0) {
		errf(err, errlen, "%s: not an image number: \"%.20s\"", path,
		    buf);
		free(buf);
		return -1;
	}
	free(buf);
	if (ckpt_image_path(c, job, n, img, sizeof(img)) != 0)
		return errf(err, errlen, "store path too long");
	if (ckpt_manifest_read(img, &m, err, errlen) != 0)
		return -1;
	if (m.job != job || m.image != n)
		return errf(err, errlen, "%s: manifest is of job %lu image %ld",
		    img, m.job, m.image);
	return n;
}

int
ckpt_set_current(const struct ckpt_conf *c, unsigned long job, long n,
    char *err, size_t errlen)
{
	char path[CKPT_PATH_MAX], line[32];

	if (fmt_path(path, sizeof(path), "%s/%lu/current", c->dir, job) != 0)
		return errf(err, errlen, "store path too long");
	snprintf(line, sizeof(line), "%ld\n", n);
	return af_write(path, line, strlen(line), 0600, 0, 0, err, errlen);
}

int
ckpt_clear_current(const struct ckpt_conf *c, unsigned long job, char *err,
    size_t errlen)
{
	char path[CKPT_PATH_MAX];

	if (fmt_path(path, sizeof(path), "%s/%lu/current", c->dir, job) != 0)
		return errf(err, errlen, "store path too long");
	if (unlink(path) != 0 && errno != ENOENT)
		return errf(err, errlen, "%s: %s", path, strerror(errno));
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

static int
rm_tree(const char *path, char *err, size_t errlen)
{
	if (rm_at(AT_FDCWD, path, 3) != 0)
		return errf(err, errlen, "%s: cannot remove: %s", path,
		    strerror(errno));
	return 0;
}

int
ckpt_remove(const struct ckpt_conf *c, unsigned long job, char *err,
    size_t errlen)
{
	char path[CKPT_PATH_MAX];

	if (ckpt_job_path(c, job, path, sizeof(path)) != 0)
		return errf(err, errlen, "store path too long");
	return rm_tree(path, err, errlen);
}

/* json-c object to a file, atomically, root 0600 */
static int
write_json(const char *path, struct json_object *o, char *err, size_t errlen)
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

static void
add_int(struct json_object *o, const char *key, long long v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

static struct json_object *
read_json(const char *path, char *err, size_t errlen)
{
	struct json_object *o;
	char *buf = NULL, why[256];
	size_t len;

	if (read_file(path, JSON_MAX, &buf, &len, err, errlen) != 0)
		return NULL;
	if ((o = js_parse(buf, len, why, sizeof(why))) == NULL)
		errf(err, errlen, "%s: %s", path, why);
	free(buf);
	return o;
}

int
ckpt_manifest_write(const char *imgdir, const struct ckpt_manifest *m,
    char *err, size_t errlen)
{
	struct json_object *o;
	char path[CKPT_PATH_MAX];
	int rc;

	if (fmt_path(path, sizeof(path), "%s/manifest.json", imgdir) != 0)
		return errf(err, errlen, "store path too long");
	if ((o = json_object_new_object()) == NULL)
		return errf(err, errlen, "out of memory");
	add_int(o, "job", (long long)m->job);
	add_int(o, "image", m->image);
	json_object_object_add(o, "node", json_object_new_string(m->node));
	add_int(o, "time", m->time);
	json_object_object_add(o, "seconds", json_object_new_double(m->seconds));
	add_int(o, "bytes", (long long)m->bytes);
	json_object_object_add(o, "criu", json_object_new_string(m->criu));
	add_int(o, "pid", m->pid);
	rc = write_json(path, o, err, errlen);
	json_object_put(o);
	return rc;
}

int
ckpt_manifest_read(const char *imgdir, struct ckpt_manifest *m, char *err,
    size_t errlen)
{
	struct json_object *o, *v;
	char path[CKPT_PATH_MAX], why[256];
	const char *node, *criu;
	long job, image, t, bytes, pid;
	int rc = -1;

	memset(m, 0, sizeof(*m));
	if (fmt_path(path, sizeof(path), "%s/manifest.json", imgdir) != 0)
		return errf(err, errlen, "store path too long");
	if ((o = read_json(path, err, errlen)) == NULL)
		return -1;
	if (js_int(o, "job", 1, 1, LONG_MAX, &job, why, sizeof(why)) != 0 ||
	    js_int(o, "image", 1, 1, 1000000000L, &image, why,
	    sizeof(why)) != 0 ||
	    js_str(o, "node", 1, sizeof(m->node) - 1, &node, why,
	    sizeof(why)) != 0 ||
	    js_int(o, "time", 1, 0, LONG_MAX, &t, why, sizeof(why)) != 0 ||
	    js_int(o, "bytes", 1, 0, LONG_MAX, &bytes, why, sizeof(why)) != 0 ||
	    js_str(o, "criu", 0, sizeof(m->criu) - 1, &criu, why,
	    sizeof(why)) < 0 ||
	    js_int(o, "pid", 0, 0, INT_MAX, &pid, why, sizeof(why)) < 0) {
		errf(err, errlen, "%s: %s", path, why);
		goto out;
	}
	if (!json_object_object_get_ex(o, "seconds", &v) ||
	    (!json_object_is_type(v, json_type_double) &&
	    !json_object_is_type(v, json_type_int))) {
		errf(err, errlen, "%s: seconds: missing or not a number", path);
		goto out;
	}
	m->seconds = json_object_get_double(v);
	m->job = (unsigned long)job;
	m->image = image;
	snprintf(m->node, sizeof(m->node), "%s", node);
	m->time = t;
	m->bytes = (unsigned long long)bytes;
	if (json_object_object_get_ex(o, "criu", &v))
		snprintf(m->criu, sizeof(m->criu), "%s", criu);
	if (json_object_object_get_ex(o, "pid", &v))
		m->pid = (pid_t)pid;
	rc = 0;
out:
	json_object_put(o);
	return rc;
}

static int
runtime_path(const struct ckpt_conf *c, unsigned long job, char *buf,
    size_t len)
{
	return fmt_path(buf, len, "%s/ckpt/%lu.json", c->runtime, job);
}

/* <runtime>/ckpt/<job>.stopped: the job was stopped (suspended by Slurm)
 * when it was dumped, and stays so should its requeue fail */
static int
stopped_path(const struct ckpt_conf *c, unsigned long job, char *buf,
    size_t len)
{
	return fmt_path(buf, len, "%s/ckpt/%lu.stopped", c->runtime, job);
}

/* <runtime> and <runtime>/<sub>, root 0700 (runtime itself may be 0755) */
int
ckpt_cwd_path(const struct ckpt_conf *c, unsigned long job, char *buf,
    size_t len)
{
	return fmt_path(buf, len, "%s/ckpt/%lu.cwd", c->runtime, job);
}

static int
runtime_dir(const struct ckpt_conf *c, const char *sub, char *err,
    size_t errlen)
{
	char path[CKPT_PATH_MAX];

	if (mkdir(c->runtime, 0755) != 0 && errno != EEXIST)
		return errf(err, errlen, "%s: %s", c->runtime, strerror(errno));
	if (fmt_path(path, sizeof(path), "%s/%s", c->runtime, sub) != 0)
		return errf(err, errlen, "runtime path too long");
	return own_dir(path, 1, err, errlen);
}

int
ckpt_runtime_write(const struct ckpt_conf *c, const struct ckpt_runtime *rt,
    char *err, size_t errlen)
{
	struct json_object *o;
	char path[CKPT_PATH_MAX];
	int rc;

	if (runtime_dir(c, "ckpt", err, errlen) != 0)
		return -1;
	if (runtime_path(c, rt->job, path, sizeof(path)) != 0)
		return errf(err, errlen, "runtime path too long");
	if ((o = json_object_new_object()) == NULL)
		return errf(err, errlen, "out of memory");
	add_int(o, "job", (long long)rt->job);
	add_int(o, "shim", rt->shim);
	add_int(o, "init", rt->init);
	add_int(o, "uid", rt->uid);
	add_int(o, "restored", rt->restored);
	add_int(o, "shim_start", (long long)(rt->shim_start != 0 ?
	    rt->shim_start : ckpt_proc_start(rt->shim)));
	add_int(o, "init_start", (long long)(rt->init_start != 0 ?
	    rt->init_start : ckpt_proc_start(rt->init)));
	rc = write_json(path, o, err, errlen);
	json_object_put(o);
	return rc;
}

int
ckpt_runtime_read(const struct ckpt_conf *c, unsigned long job,
    struct ckpt_runtime *rt, char *err, size_t errlen)
{
	struct json_object *o;
	char path[CKPT_PATH_MAX], why[256];
	long j, shim, init, uid, restored, shim_start, init_start;
	int rc = -1;

	memset(rt, 0, sizeof(*rt));
	if (runtime_path(c, job, path, sizeof(path)) != 0)
		return errf(err, errlen, "runtime path too long");
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return errf(err, errlen, "job %lu is not checkpointable here "
		    "(no %s)", job, path);
	if ((o = read_json(path, err, errlen)) == NULL)
		return -1;
	if (js_int(o, "job", 1, 1, LONG_MAX, &j, why, sizeof(why)) != 0 ||
	    js_int(o, "shim", 1, 2, INT_MAX, &shim, why, sizeof(why)) != 0 ||
	    js_int(o, "init", 1, 2, INT_MAX, &init, why, sizeof(why)) != 0 ||
	    js_int(o, "uid", 1, 0, UINT_MAX - 1, &uid, why, sizeof(why)) != 0 ||
	    js_int(o, "restored", 1, 0, 1000000000L, &restored, why,
	    sizeof(why)) != 0 ||
	    js_int(o, "shim_start", 1, 1, LONG_MAX, &shim_start, why,
	    sizeof(why)) != 0 ||
	    js_int(o, "init_start", 1, 1, LONG_MAX, &init_start, why,
	    sizeof(why)) != 0) {
		errf(err, errlen, "%s: %s", path, why);
		goto out;
	}
	if ((unsigned long)j != job) {
		errf(err, errlen, "%s: names job %ld", path, j);
		goto out;
	}
	rt->job = job;
	rt->shim = (pid_t)shim;
	rt->init = (pid_t)init;
	rt->uid = (uid_t)uid;
	rt->restored = restored;
	rt->shim_start = (unsigned long long)shim_start;
	rt->init_start = (unsigned long long)init_start;
	rc = 0;
out:
	json_object_put(o);
	return rc;
}

unsigned long long
ckpt_proc_start(pid_t pid)
{
	char path[64], buf[1024], *p, *save = NULL;
	unsigned long long v = 0;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (pid <= 0 || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* after "pid (comm)": state is field 3, starttime field 22 */
	if ((p = strrchr(buf, ')')) == NULL)
		return 0;
	for (field = 3, p = strtok_r(p + 1, " ", &save); p != NULL;
	    p = strtok_r(NULL, " ", &save), field++)
		if (field == 22) {
			v = strtoull(p, NULL, 10);
			break;
		}
	return v;
}

int
ckpt_runtime_alive(const struct ckpt_runtime *rt, char *err, size_t errlen)
{
	if (ckpt_proc_start(rt->shim) != rt->shim_start)
		return errf(err, errlen, "job %lu: its shim (pid %d) is gone%s",
		    rt->job, (int)rt->shim, ckpt_proc_start(rt->shim) != 0 ?
		    " (the pid is another process's now)" : "");
	if (ckpt_proc_start(rt->init) != rt->init_start)
		return errf(err, errlen, "job %lu: its init (pid %d) is gone%s",
		    rt->job, (int)rt->init, ckpt_proc_start(rt->init) != 0 ?
		    " (the pid is another process's now)" : "");
	return 0;
}

void
ckpt_runtime_remove(const struct ckpt_conf *c, unsigned long job)
{
	char path[CKPT_PATH_MAX];

	if (runtime_path(c, job, path, sizeof(path)) == 0)
		unlink(path);
	if (stopped_path(c, job, path, sizeof(path)) == 0)
		unlink(path);
	if (ckpt_cwd_path(c, job, path, sizeof(path)) == 0) {
		char stale[CKPT_PATH_MAX + 16];

		/* what a CRIU killed in a dump left there (clear_stale_proc) */
		if (fmt_path(stale, sizeof(stale), "%s/proc.crtools", path) == 0) {
			umount2(stale, MNT_DETACH | UMOUNT_NOFOLLOW);
			rmdir(stale);
		}
		rmdir(path);
	}
}

int
ckpt_cwd_make(const struct ckpt_conf *c, unsigned long job, char *buf,
    size_t len, char *err, size_t errlen)
{
	if (runtime_dir(c, "ckpt", err, errlen) != 0)
		return -1;
	if (ckpt_cwd_path(c, job, buf, len) != 0)
		return errf(err, errlen, "runtime path too long");
	if (mkdir(buf, 0700) != 0 && errno != EEXIST)
		return errf(err, errlen, "%s: %s", buf, strerror(errno));
	return own_dir(buf, 0, err, errlen);
}

void
ckpt_detail(char *s)
{
	size_t i;

	/* what the hook takes: printable ASCII, CKPT_DETAIL_MAX bytes (a
	 * longer reason, from CRIU say, is cut; others become '?') */
	for (i = 0; s[i] != '\0' && i < CKPT_DETAIL_MAX; i++)
		if (s[i] < ' ' || s[i] > '~')
			s[i] = '?';
	s[i] = '\0';
}

int
ckpt_event(const struct ckpt_conf *c, unsigned long job, const char *kind,
    const char *detail, char *err, size_t errlen)
{
	struct json_object *o;
	struct timespec ts;
	char path[CKPT_PATH_MAX], text[CKPT_DETAIL_MAX + 1];
	int rc;

	snprintf(text, sizeof(text), "%s", detail != NULL ? detail : "");
	ckpt_detail(text);
	if (runtime_dir(c, "events", err, errlen) != 0)
		return -1;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (fmt_path(path, sizeof(path), "%s/events/%lld%09ld-%lu.json",
	    c->runtime, (long long)ts.tv_sec, ts.tv_nsec, job) != 0)
		return errf(err, errlen, "runtime path too long");
	if ((o = json_object_new_object()) == NULL)
		return errf(err, errlen, "out of memory");
	json_object_object_add(o, "time", json_object_new_double(
	    (double)ts.tv_sec + (double)ts.tv_nsec / 1e9));
	add_int(o, "job", (long long)job);
	json_object_object_add(o, "kind", json_object_new_string(kind));
	json_object_object_add(o, "detail", json_object_new_string(text));
	rc = write_json(path, o, err, errlen);
	json_object_put(o);
	return rc;
}

/* The parent of pid from /proc/PID/stat (the field after the name, which
 * may hold blanks and parentheses), or -1. */
static pid_t
parent_of(pid_t pid, char *comm, size_t commlen)
{
	char path[64], buf[1024], *lp, *rp;
	ssize_t n;
	int fd, ppid;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if ((lp = strchr(buf, '(')) == NULL ||
	    (rp = strrchr(buf, ')')) == NULL || rp < lp)
		return -1;
	if (comm != NULL)
		snprintf(comm, commlen, "%.*s", (int)(rp - lp - 1),
		    lp + 1);
	if (sscanf(rp + 1, " %*c %d", &ppid) != 1)
		return -1;
	return (pid_t)ppid;
}

/* root and its descendants (root first) in a list the caller frees;
 * their number, or -1 when root is gone */
static int
tree(pid_t root, pid_t **out)
{
	pid_t *all = NULL, *par = NULL, *t = NULL;
	struct dirent *de;
	DIR *d = NULL;
	int nall = 0, n = -1, i, j;
	long v;

	*out = NULL;
	if (root <= 1 || (kill(root, 0) != 0 && errno == ESRCH))
		return -1;
	all = calloc(MAX_TREE * 4, sizeof(*all));
	par = calloc(MAX_TREE * 4, sizeof(*par));
	t = calloc(MAX_TREE, sizeof(*t));
	if (all == NULL || par == NULL || t == NULL ||
	    (d = opendir("/proc")) == NULL)
		goto out;
	while ((de = readdir(d)) != NULL && nall < MAX_TREE * 4) {
		if (parse_long(de->d_name, 1, INT_MAX, &v) != 0)
			continue;
		all[nall] = (pid_t)v;
		if ((par[nall] = parent_of((pid_t)v, NULL, 0)) > 0)
			nall++;
	}
	n = 0;
	t[n++] = root;
	/* breadth first: each process found adds its children */
	for (i = 0; i < n && n < MAX_TREE; i++)
		for (j = 0; j < nall && n < MAX_TREE; j++)
			if (par[j] == t[i] && all[j] != root)
				t[n++] = all[j];
	*out = t;
	t = NULL;
out:
	if (d != NULL)
		closedir(d);
	free(all);
	free(par);
	free(t);
	return n;
}

int
ckpt_signal_tree(pid_t root, int sig)
{
	pid_t *pids;
	int n, i, done = 0;

	if ((n = tree(root, &pids)) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (kill(pids[i], sig) == 0)
			done++;
	free(pids);
	return done;
}

/* Socket inodes of established TCP connections in pid's network
 * namespace (tcp and tcp6), up to max; their number. */
static int
tcp_established(pid_t pid, unsigned long *ino, int max)
{
	static const char *const files[] = { "tcp", "tcp6" };
	char path[64], line[512], st[8];
	unsigned long inode;
	size_t f;
	FILE *fp;
	int n = 0;

	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		snprintf(path, sizeof(path), "/proc/%d/net/%s", (int)pid,
		    files[f]);
		if ((fp = fopen(path, "re")) == NULL)
			continue;
		/* "sl local rem st tx:rx tr:when retrnsmt uid timeout inode" */
		while (fgets(line, sizeof(line), fp) != NULL && n < max)
			if (sscanf(line, " %*s %*s %*s %7s %*s %*s %*s %*s %*s "
			    "%lu", st, &inode) == 2 && strcmp(st, "01") == 0 &&
			    inode != 0)
				ino[n++] = inode;
		fclose(fp);
	}
	return n;
}

/* The character devices a job may hold open and still move. */
static int
harmless_device(dev_t rdev)
{
	unsigned int ma = major(rdev), mi = minor(rdev);

	if (ma == 1 && (mi == 3 || mi == 5 || mi == 8 || mi == 9))
		return 1;	/* null, zero, random, urandom */
	if (ma == 5 && (mi == 0 || mi == 2))
		return 1;	/* tty, ptmx */
	return ma >= 136 && ma <= 143;	/* pts */
}

int
ckpt_check_tree(pid_t root, char *err, size_t errlen)
{
	pid_t *pids;
	unsigned long *tcp;
	char dir[64], fdpath[320], target[512], comm[64];
	struct dirent *de;
	struct stat st;
	unsigned long ino;
	DIR *d;
	int n, ntcp, i, k, rc = 0;

	if ((n = tree(root, &pids)) < 0)
		return errf(err, errlen, "process %d is gone", (int)root);
	if ((tcp = calloc(MAX_SOCKETS, sizeof(*tcp))) == NULL) {
		free(pids);
		return errf(err, errlen, "out of memory");
	}
	ntcp = tcp_established(root, tcp, MAX_SOCKETS);
	for (i = 0; i < n && rc == 0; i++) {
		snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pids[i]);
		if ((d = opendir(dir)) == NULL)
			continue;	/* gone meanwhile */
		while ((de = readdir(d)) != NULL) {
			ssize_t len;

			if (de->d_name[0] == '.')
				continue;
			snprintf(fdpath, sizeof(fdpath), "%s/%s", dir,
			    de->d_name);
			if ((len = readlink(fdpath, target,
			    sizeof(target) - 1)) < 0)
				continue;
			target[len] = '\0';
			if (sscanf(target, "socket:[%lu]", &ino) == 1) {
				for (k = 0; k < ntcp; k++)
					if (tcp[k] == ino)
						break;
				if (k == ntcp)
					continue;
				parent_of(pids[i], comm, sizeof(comm));
				rc = errf(err, errlen, "process %d (%s) holds "
				    "an established TCP connection (fd %s)",
				    (int)pids[i], comm, de->d_name);
				break;
			}
			if (target[0] != '/' || stat(fdpath, &st) != 0 ||
			    !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) ||
			    (S_ISCHR(st.st_mode) && harmless_device(st.st_rdev)))
				continue;
			parent_of(pids[i], comm, sizeof(comm));
			rc = errf(err, errlen, "process %d (%s) has device "
			    "%s open (fd %s)", (int)pids[i], comm, target,
			    de->d_name);
			break;
		}
		closedir(d);
	}
	free(tcp);
	free(pids);
	return rc;
}

void
ckpt_log_error(const char *logpath, char *out, size_t outlen)
{
	char line[1024], *p, *q;
	FILE *fp;

	out[0] = '\0';
	if ((fp = fopen(logpath, "re")) == NULL)
		return;
	/* "(00.012345) Error (criu/files.c:123): what went wrong" */
	while (fgets(line, sizeof(line), fp) != NULL) {
		/* the summary says only that it failed: keep the cause */
		if ((p = strstr(line, "Error (")) == NULL ||
		    (strstr(p, "Dumping FAILED") != NULL && out[0] != '\0') ||
		    (strstr(p, "Restoring FAILED") != NULL && out[0] != '\0'))
			continue;
		if ((q = strstr(p, "): ")) != NULL)
			p = q + 3;
		p[strcspn(p, "\n")] = '\0';
		snprintf(out, outlen, "%s", str_trim(p));
	}
	fclose(fp);
}

/* The size of the regular files in dir (CRIU's images are flat). */
static unsigned long long
dir_bytes(const char *dir)
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

/* fdatasync every regular file of dir (CRIU's images are flat): CRIU
 * writes its images into the page cache and syncs nothing, and once the
 * job is requeued its image is the only copy of it.  A store that fills
 * up or fails behind the cache (NFS) says so here. */
static int
sync_files(const char *dir, char *err, size_t errlen)
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

/* "Version: 4.1.1" from criu --version */
static void
criu_version(const char *criu, char *out, size_t outlen)
{
	const char *argv[] = { criu, "--version", NULL };
	struct spawn sp;
	char buf[256], why[256], *p;

	snprintf(out, outlen, "unknown");
	memset(&sp, 0, sizeof(sp));
	sp.argv = argv;
	sp.out = buf;
	sp.outsz = sizeof(buf);
	sp.timeout = 10;
	if (spawn_run(&sp, why, sizeof(why)) != 0)
		return;
	if ((p = strstr(buf, "Version:")) != NULL) {
		p += strlen("Version:");
		p += strspn(p, " \t");
		p[strcspn(p, " \t\n")] = '\0';
		snprintf(out, outlen, "%s", p);
	}
}

/* What /proc/PID/status says: the state letter, and the tracer. */
static int
proc_status(pid_t pid, char *state, pid_t *tracer)
{
	char path[64], line[256];
	FILE *fp;
	int tp = -1;

	*state = '?';
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((fp = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "State:", 6) == 0)
			sscanf(line + 6, " %c", state);
		else if (strncmp(line, "TracerPid:", 10) == 0)
			sscanf(line + 10, " %d", &tp);
	}
	fclose(fp);
	*tracer = (pid_t)tp;
	return tp < 0 ? -1 : 0;
}

int
ckpt_trace_tree(pid_t root, int attach)
{
	pid_t *pids;
	int n, i, done = 0;

	if ((n = tree(root, &pids)) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (attach) {
			if (ptrace(PTRACE_SEIZE, pids[i], NULL, NULL) == 0 &&
			    ptrace(PTRACE_INTERRUPT, pids[i], NULL, NULL) == 0)
				done++;
		} else if (ptrace(PTRACE_DETACH, pids[i], NULL, NULL) == 0)
			done++;
	}
	free(pids);
	return done;
}

/*
 * After a dump that failed, however it failed (CRIU's error, CRIU killed
 * for its time or by anyone at any point, the store full, the manifest
 * unwritable): the job must go on as it was.  A CRIU killed before it let
 * go of the tree leaves nothing behind (the kernel detaches its tracees;
 * its parasite, its control socket closed, returns the task to where it
 * was); one killed after it let go, or one that finished before our own
 * step failed, has left every process stopped (--leave-stopped).  So:
 * unless the job was stopped before (Slurm suspended it), continue each
 * process of the tree that is stopped, and say so in note.  -1 when the
 * init is gone.
 */
static int
after_failed_dump(pid_t init, int was_stopped, char *note, size_t notelen)
{
	pid_t *pids, tracer;
	char state;
	int n, i, woken = 0, traced = 0;

	note[0] = '\0';
	if ((n = tree(init, &pids)) < 0) {
		snprintf(note, notelen, "; its init %d is gone", (int)init);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (proc_status(pids[i], &state, &tracer) != 0)
			continue;
		if (tracer > 0)
			traced++;
		else if (state == 'T' && !was_stopped &&
		    kill(pids[i], SIGCONT) == 0)
			woken++;
	}
	free(pids);
	if (was_stopped)
		snprintf(note, notelen, "; the job stays suspended");
	else if (woken > 0)
		snprintf(note, notelen, "; the job goes on (%d stopped "
		    "process%s continued)", woken, woken == 1 ? "" : "es");
	else
		snprintf(note, notelen, "; the job goes on");
	if (traced > 0) {
		size_t l = strlen(note);

		snprintf(note + l, notelen - l, ", %d process%s still traced",
		    traced, traced == 1 ? "" : "es");
	}
	return 0;
}

/*
 * CRIU's parasite mounts the job's /proc on "proc.crtools" in the init's
 * working directory while it dumps a PID namespace, and removes it again;
 * a CRIU killed in between leaves it, and every later dump of that init
 * would fail ("Can't create a directory (-17)").  Whatever is there is a
 * leftover: unmounted (lazily) and removed when empty.
 */
static void
clear_stale_proc(pid_t init)
{
	char cwd[CKPT_PATH_MAX], link[64], path[CKPT_PATH_MAX + 16];
	struct stat st;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/cwd", (int)init);
	if ((n = readlink(link, cwd, sizeof(cwd) - 1)) <= 0)
		return;
	cwd[n] = '\0';
	if (cwd[0] != '/' || fmt_path(path, sizeof(path), "%s/proc.crtools",
	    strcmp(cwd, "/") == 0 ? "" : cwd) != 0 ||
	    lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return;
	umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW);
	rmdir(path);
}

/* Ask the shim to hold or let go of the tree, and wait (bounded) until
 * every process of it is held (in a tracing stop) or free. */
static int
shim_ask(const struct ckpt_runtime *rt, int what, char *err, size_t errlen)
{
	union sigval v;
	double end = mono_now() + 5;
	pid_t *pids, tracer;
	char state;
	int n, i, ok;

	v.sival_int = what;
	if (sigqueue(rt->shim, CKPT_SIG, v) != 0)
		return errf(err, errlen, "shim %d: %s", (int)rt->shim,
		    strerror(errno));
	/* A job Slurm suspended has its shim stopped too: it is let go on
	 * alone to answer (it passes no SIGCONT on to the tree, which stays
	 * stopped; Slurm continues every process itself). */
	if (proc_status(rt->shim, &state, &tracer) == 0 && state == 'T')
		kill(rt->shim, SIGCONT);
	for (;;) {
		if ((n = tree(rt->init, &pids)) < 0)
			return errf(err, errlen, "init %d is gone",
			    (int)rt->init);
		for (ok = 1, i = 0; i < n && ok; i++) {
			if (proc_status(pids[i], &state, &tracer) != 0)
				continue;
			if (what == CKPT_HOLD)
				ok = tracer == rt->shim && state == 't';
			else
				ok = tracer == 0;
		}
		free(pids);
		if (ok)
			return 0;
		if (mono_now() > end)
			return errf(err, errlen, "shim %d did not %s the tree "
			    "in 5 s", (int)rt->shim,
			    what == CKPT_HOLD ? "hold" : "let go of");
		sleep_seconds(0.002, NULL);
	}
}

int
ckpt_dump(const struct ckpt_conf *c, unsigned long job, double timeout,
    struct ckpt_result *r, char *err, size_t errlen)
{
	struct ckpt_runtime rt;
	struct ckpt_manifest m;
	struct spawn sp;
	char jobdir[CKPT_PATH_MAX], tmp[CKPT_PATH_MAX], img[CKPT_PATH_MAX];
	char log[CKPT_PATH_MAX], pid[32], why[CKPT_PATH_MAX + 256], crit[768];
	const char *argv[16];
	double start;
	pid_t tracer;
	long n;
	int i = 0, stopped, fd;
	char state;

	memset(r, 0, sizeof(*r));
	if (ckpt_runtime_read(c, job, &rt, err, errlen) != 0 ||
	    ckpt_runtime_alive(&rt, err, errlen) != 0)
		return -1;
	if (ckpt_check_tree(rt.init, why, sizeof(why)) != 0)
		return errf(err, errlen, "job %lu cannot be checkpointed: %s",
		    job, why);
	stopped = proc_status(rt.init, &state, &tracer) == 0 && state == 'T';
	if (own_dir(c->dir, 0, err, errlen) != 0)
		return -1;
	if (ckpt_job_path(c, job, jobdir, sizeof(jobdir)) != 0)
		return errf(err, errlen, "store path too long");
	if (own_dir(jobdir, 1, err, errlen) != 0)
		return -1;
	if ((n = ckpt_next_image(c, job, err, errlen)) < 0)
		return -1;
	if (ckpt_image_path(c, job, n, img, sizeof(img)) != 0 ||
	    fmt_path(tmp, sizeof(tmp), "%s.tmp", img) != 0 ||
	    fmt_path(log, sizeof(log), "%s/dump.log", tmp) != 0)
		return errf(err, errlen, "store path too long");
	if (mkdir(tmp, 0700) != 0)
		return errf(err, errlen, "%s: %s%s", tmp, strerror(errno),
		    errno == ENOSPC ? " (store full)" : "");

	clear_stale_proc(rt.init);
	snprintf(pid, sizeof(pid), "%d", (int)rt.init);
	argv[i++] = c->criu;
	argv[i++] = "dump";
	argv[i++] = "-t";
	argv[i++] = pid;
	argv[i++] = "-D";
	argv[i++] = tmp;
	argv[i++] = "--leave-stopped";
	argv[i++] = "--manage-cgroups=ignore";
	argv[i++] = "-o";
	argv[i++] = "dump.log";
	argv[i++] = "-v2";
	argv[i] = NULL;
	memset(&sp, 0, sizeof(sp));
	sp.argv = argv;
	sp.timeout = timeout;
	start = mono_now();
	if (spawn_run(&sp, why, sizeof(why)) != 0) {
		char keep[CKPT_PATH_MAX + 32];

		char fate[128], last[768];

		ckpt_log_error(log, last, sizeof(last));
		if (WIFSIGNALED(sp.status)) {
			/* killed, by us for its time or by anyone (its last
			 * error line would be an older, harmless one; the
			 * whole log is kept) */
			if (strstr(why, "without finishing") != NULL)
				snprintf(why, sizeof(why), "criu did not finish "
				    "within %.0f s and was killed", timeout);
			else
				snprintf(why, sizeof(why), "criu was killed by "
				    "signal %d", WTERMSIG(sp.status));
			last[0] = '\0';
		} else if (last[0] != '\0') {
			snprintf(why, sizeof(why), "%s", last);
			last[0] = '\0';
		}
		/* CRIU's whole story stays for the admin, beside the images */
		snprintf(keep, sizeof(keep), "%s/dump-failed.log", jobdir);
		rename(log, keep);
		rm_tree(tmp, crit, sizeof(crit));
		after_failed_dump(rt.init, stopped, fate, sizeof(fate));
		return errf(err, errlen, "%scriu dump of job %lu: %s%s%s%s",
		    strstr(why, "No space left") != NULL ? "store full: " : "",
		    job, why, fate, last[0] != '\0' ? "; CRIU's last error: " :
		    "", last);
	}
	/* on disk before the manifest, the rename and current say it is
	 * whole (af_write syncs those); the dump's time includes it */
	if (sync_files(tmp, why, sizeof(why)) != 0)
		goto fail;
	r->seconds = mono_now() - start;
	r->bytes = dir_bytes(tmp);
	r->image = n;

	memset(&m, 0, sizeof(m));
	m.job = job;
	m.image = n;
	snprintf(m.node, sizeof(m.node), "%s", c->node);
	m.time = wall_now();
	m.seconds = r->seconds;
	m.bytes = r->bytes;
	criu_version(c->criu, m.criu, sizeof(m.criu));
	m.pid = rt.init;
	if (ckpt_manifest_write(tmp, &m, why, sizeof(why)) != 0)
		goto fail;
	if (rename(tmp, img) != 0) {
		snprintf(why, sizeof(why), "%s: rename: %s", img,
		    strerror(errno));
		goto fail;
	}
	if (ckpt_set_current(c, job, n, why, sizeof(why)) != 0) {
		rm_tree(img, crit, sizeof(crit));
		goto failed;
	}
	/* The image is whole.  Held, the tree cannot run on after the
	 * requeue's SIGCONT; should the shim not answer, the image is still
	 * good, and the tree only stopped. */
	shim_ask(&rt, CKPT_HOLD, why, sizeof(why));
	if (stopped && stopped_path(c, job, why, sizeof(why)) == 0 &&
	    (fd = open(why, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) >= 0)
		close(fd);
	return 0;
fail:
	rm_tree(tmp, crit, sizeof(crit));
failed:
	memset(r, 0, sizeof(*r));
	/* CRIU left the tree stopped: it goes on, the image is not whole */
	after_failed_dump(rt.init, stopped, crit, sizeof(crit));
	return errf(err, errlen, "%sjob %lu: %s%s",
	    strstr(why, "No space left") != NULL ? "store full: " : "", job,
	    why, crit);
}

int
ckpt_resume(const struct ckpt_conf *c, unsigned long job, char *err,
    size_t errlen)
{
	struct ckpt_runtime rt;
	char why[256];

	if (ckpt_runtime_read(c, job, &rt, err, errlen) != 0 ||
	    ckpt_runtime_alive(&rt, err, errlen) != 0)
		return -1;
	if (shim_ask(&rt, CKPT_RELEASE, why, sizeof(why)) != 0)
		return errf(err, errlen, "job %lu: %s", job, why);
	/* suspended by Slurm when dumped: let go, it is stopped again */
	if (stopped_path(c, job, why, sizeof(why)) == 0 && unlink(why) == 0)
		return 0;
	if (ckpt_signal_tree(rt.init, SIGCONT) < 0)
		return errf(err, errlen, "job %lu: its init (pid %d) is gone",
		    job, (int)rt.init);
	return 0;
}

/* The first line of a small file, "" when unreadable. */
static void
read_small(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	if ((n = read(fd, buf, len - 1)) < 0)
		n = 0;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	close(fd);
}

/* The test process of ckpt_selftest: in a child, a PID namespace of its
 * own, and in it pid 1: a session leader running sleep, its files
 * /dev/null, its directory cwd.  The child waits for it and exits. */
static void __attribute__((noreturn))
selftest_child(const char *cwd)
{
	static const char *const argv[] = { "sleep", "600", NULL };
	static const char *const envp[] = { "PATH=/usr/bin:/bin", NULL };
	pid_t init;
	int fd, status;

	if (unshare(CLONE_NEWPID) != 0 || (init = fork()) < 0)
		_exit(126);
	if (init == 0) {
		setsid();
		if (chdir(cwd) != 0 ||
		    (fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
			_exit(126);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0)
			for (fd = 3; fd < 1024; fd++)
				close(fd);
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
	if (fmt_path(kept, sizeof(kept), "%s/ckpt/selftest.log", c->runtime)
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
	criu_version(c->criu, ver, sizeof(ver));
	if (runtime_dir(c, "ckpt", err, errlen) != 0)
		return -1;
	if (fmt_path(dir, sizeof(dir), "%s/ckpt/selftest", c->runtime) != 0 ||
	    fmt_path(cwd, sizeof(cwd), "%s/ckpt/selftest.cwd", c->runtime) != 0 ||
	    fmt_path(log, sizeof(log), "%s/dump.log", dir) != 0 ||
	    fmt_path(pidfile, sizeof(pidfile), "%s/restore.pid", dir) != 0)
		return errf(err, errlen, "runtime path too long");
	rm_tree(dir, err, errlen);
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
		read_small(path, kids, sizeof(kids));
		kids[strcspn(kids, " ")] = '\0';
		if (parse_long(kids, 2, INT_MAX, &v) == 0) {
			init = (pid_t)v;
			if (parent_of(init, name, sizeof(name)) == child &&
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
	if (fmt_path(log, sizeof(log), "%s/restore.log", dir) != 0 ||
	    (left = timeout - (mono_now() - start)) < 1) {
		errf(err, errlen, "no time left for the restore of the test "
		    "process (%.0f s in all)", timeout);
		goto out;
	}
	if (selftest_criu(c, restore, log, left, "restore", err, errlen) != 0)
		goto out;
	read_small(pidfile, buf, sizeof(buf));
	if (parse_long(buf, 2, INT_MAX, &v) != 0) {
		errf(err, errlen, "criu restore of a test process left no pid in "
		    "%s", pidfile);
		goto out;
	}
	restored = (pid_t)v;
	if (parent_of(restored, comm, sizeof(comm)) != getpid() ||
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

		rm_tree(dir, why, sizeof(why));
		rmdir(cwd);
	}
	return rc;
}
