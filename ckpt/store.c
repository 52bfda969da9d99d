/*
 * store.c - see store.h.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "atomicfile.h"
#include "files.h"
#include "jsonutil.h"
#include "store.h"
#include "util.h"

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

int
ckpt_job_path(const struct ckpt_conf *c, unsigned long job, char *buf,
    size_t len)
{
	return ckpt_pathf(buf, len, "%s/%lu", c->dir, job);
}

int
ckpt_image_path(const struct ckpt_conf *c, unsigned long job, long n,
    char *buf, size_t len)
{
	return ckpt_pathf(buf, len, "%s/%lu/%ld", c->dir, job, n);
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

	if (ckpt_pathf(path, sizeof(path), "%s/%lu/current", c->dir, job) != 0)
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

	if (ckpt_pathf(path, sizeof(path), "%s/%lu/current", c->dir, job) != 0)
		return errf(err, errlen, "store path too long");
	snprintf(line, sizeof(line), "%ld\n", n);
	return af_write(path, line, strlen(line), 0600, 0, 0, err, errlen);
}

int
ckpt_clear_current(const struct ckpt_conf *c, unsigned long job, char *err,
    size_t errlen)
{
	char path[CKPT_PATH_MAX];

	if (ckpt_pathf(path, sizeof(path), "%s/%lu/current", c->dir, job) != 0)
		return errf(err, errlen, "store path too long");
	if (unlink(path) != 0 && errno != ENOENT)
		return errf(err, errlen, "%s: %s", path, strerror(errno));
	return 0;
}

int
ckpt_remove(const struct ckpt_conf *c, unsigned long job, char *err,
    size_t errlen)
{
	char path[CKPT_PATH_MAX];

	if (ckpt_job_path(c, job, path, sizeof(path)) != 0)
		return errf(err, errlen, "store path too long");
	return ckpt_rm_tree(path, err, errlen);
}

int
ckpt_manifest_write(const char *imgdir, const struct ckpt_manifest *m,
    char *err, size_t errlen)
{
	struct json_object *o;
	char path[CKPT_PATH_MAX];
	int rc;

	if (ckpt_pathf(path, sizeof(path), "%s/manifest.json", imgdir) != 0)
		return errf(err, errlen, "store path too long");
	if ((o = json_object_new_object()) == NULL)
		return errf(err, errlen, "out of memory");
	ckpt_json_int(o, "job", (long long)m->job);
	ckpt_json_int(o, "image", m->image);
	json_object_object_add(o, "node", json_object_new_string(m->node));
	ckpt_json_int(o, "time", m->time);
	json_object_object_add(o, "seconds", json_object_new_double(m->seconds));
	ckpt_json_int(o, "bytes", (long long)m->bytes);
	json_object_object_add(o, "criu", json_object_new_string(m->criu));
	ckpt_json_int(o, "pid", m->pid);
	rc = ckpt_json_write(path, o, err, errlen);
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
	if (ckpt_pathf(path, sizeof(path), "%s/manifest.json", imgdir) != 0)
		return errf(err, errlen, "store path too long");
	if ((o = ckpt_json_read(path, err, errlen)) == NULL)
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
