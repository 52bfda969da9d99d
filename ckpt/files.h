/*
 * files.h - the files of the checkpoint parts: paths, directories of our
 * own, JSON files, whole image directories (ckpt/README.md).
 *
 * A leaf module, as all of ckpt/ but the plugin: it never logs and never
 * exits; each function returns 0 or -1 with the reason in the caller's
 * buffer.
 */
#ifndef VNODE_CKPT_FILES_H
#define VNODE_CKPT_FILES_H

#include <stddef.h>

#include <json-c/json.h>

#define CKPT_PATH_MAX	1024
#define CKPT_JSON_MAX	4096		/* runtime file, manifest */

/* vsnprintf into a path buffer: -1 (and buf "") when it does not fit. */
int ckpt_pathf(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A directory of ours: made 0700 when create is set and it is absent; it
 * must be a directory (not a link), owned by root, with no access for
 * others, and err says which of those it is not. */
int ckpt_own_dir(const char *path, int create, char *err, size_t errlen);
/* path and all below it (three levels at most: the store's depth), never
 * following a link; gone already is fine. */
int ckpt_rm_tree(const char *path, char *err, size_t errlen);

/* o to path as one line, atomically, root 0600. */
int ckpt_json_write(const char *path, struct json_object *o, char *err,
    size_t errlen);
void ckpt_json_int(struct json_object *o, const char *key, long long v);
/* The JSON object in path (at most CKPT_JSON_MAX bytes), or NULL with
 * err; the caller puts it. */
struct json_object *ckpt_json_read(const char *path, char *err,
    size_t errlen);

/* What a small file (a pid file, one of /proc's) holds, at most len - 1
 * bytes, in buf; "" when it cannot be read. */
void ckpt_read_small(const char *path, char *buf, size_t len);

/* In a child that is to run a job's init or a test process: stdin,
 * stdout and stderr on /dev/null, every other descriptor closed; only
 * calls safe after fork.  -1 when /dev/null cannot be opened (the other
 * descriptors are closed all the same). */
int ckpt_child_fds(void);

/* The size of the regular files in dir (CRIU's images are flat). */
unsigned long long ckpt_dir_bytes(const char *dir);
/* fdatasync every regular file of dir. */
int ckpt_dir_sync(const char *dir, char *err, size_t errlen);

#endif
