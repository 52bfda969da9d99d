/*
 * runtime.c - see runtime.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "files.h"
#include "jsonutil.h"
#include "proctree.h"
#include "runtime.h"
#include "util.h"

static int
runtime_path(const struct ckpt_conf *c, unsigned long job, char *buf,
    size_t len)
{
	return ckpt_pathf(buf, len, "%s/ckpt/%lu.json", c->runtime, job);
}

int
ckpt_stopped_path(const struct ckpt_conf *c, unsigned long job, char *buf,
    size_t len)
{
	return ckpt_pathf(buf, len, "%s/ckpt/%lu.stopped", c->runtime, job);
}

int
ckpt_cwd_path(const struct ckpt_conf *c, unsigned long job, char *buf,
    size_t len)
{
	return ckpt_pathf(buf, len, "%s/ckpt/%lu.cwd", c->runtime, job);
}

int
ckpt_runtime_dir(const struct ckpt_conf *c, const char *sub, char *err,
    size_t errlen)
{
	char path[CKPT_PATH_MAX];

	if (mkdir(c->runtime, 0755) != 0 && errno != EEXIST)
		return errf(err, errlen, "%s: %s", c->runtime, strerror(errno));
	if (ckpt_pathf(path, sizeof(path), "%s/%s", c->runtime, sub) != 0)
		return errf(err, errlen, "runtime path too long");
	return ckpt_own_dir(path, 1, err, errlen);
}

int
ckpt_runtime_write(const struct ckpt_conf *c, const struct ckpt_runtime *rt,
    char *err, size_t errlen)
{
	struct json_object *o;
	char path[CKPT_PATH_MAX];
	int rc;

	if (ckpt_runtime_dir(c, "ckpt", err, errlen) != 0)
		return -1;
	if (runtime_path(c, rt->job, path, sizeof(path)) != 0)
		return errf(err, errlen, "runtime path too long");
	if ((o = json_object_new_object()) == NULL)
		return errf(err, errlen, "out of memory");
	ckpt_json_int(o, "job", (long long)rt->job);
	ckpt_json_int(o, "shim", rt->shim);
	ckpt_json_int(o, "init", rt->init);
	ckpt_json_int(o, "uid", rt->uid);
	ckpt_json_int(o, "restored", rt->restored);
	ckpt_json_int(o, "shim_start", (long long)(rt->shim_start != 0 ?
	    rt->shim_start : ckpt_proc_start(rt->shim)));
	ckpt_json_int(o, "init_start", (long long)(rt->init_start != 0 ?
	    rt->init_start : ckpt_proc_start(rt->init)));
	rc = ckpt_json_write(path, o, err, errlen);
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
	if ((o = ckpt_json_read(path, err, errlen)) == NULL)
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
	if (ckpt_stopped_path(c, job, path, sizeof(path)) == 0)
		unlink(path);
	if (ckpt_cwd_path(c, job, path, sizeof(path)) == 0) {
		char stale[CKPT_PATH_MAX + 16];

		/* what a CRIU killed in a dump left there (clear_stale_proc) */
		if (ckpt_pathf(stale, sizeof(stale), "%s/proc.crtools", path) == 0) {
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
	if (ckpt_runtime_dir(c, "ckpt", err, errlen) != 0)
		return -1;
	if (ckpt_cwd_path(c, job, buf, len) != 0)
		return errf(err, errlen, "runtime path too long");
	if (mkdir(buf, 0700) != 0 && errno != EEXIST)
		return errf(err, errlen, "%s: %s", buf, strerror(errno));
	return ckpt_own_dir(buf, 0, err, errlen);
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
	if (ckpt_runtime_dir(c, "events", err, errlen) != 0)
		return -1;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (ckpt_pathf(path, sizeof(path), "%s/events/%lld%09ld-%lu.json",
	    c->runtime, (long long)ts.tv_sec, ts.tv_nsec, job) != 0)
		return errf(err, errlen, "runtime path too long");
	if ((o = json_object_new_object()) == NULL)
		return errf(err, errlen, "out of memory");
	json_object_object_add(o, "time", json_object_new_double(
	    (double)ts.tv_sec + (double)ts.tv_nsec / 1e9));
	ckpt_json_int(o, "job", (long long)job);
	json_object_object_add(o, "kind", json_object_new_string(kind));
	json_object_object_add(o, "detail", json_object_new_string(text));
	rc = ckpt_json_write(path, o, err, errlen);
	json_object_put(o);
	return rc;
}
