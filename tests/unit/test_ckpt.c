/*
 * test_ckpt - the checkpoint store without CRIU: image numbers, current,
 * manifests, runtime files, and event files as the hook takes them.
 * (The dump and restore themselves are the system tests' 16, 17, 19-22.)
 */
#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "criu.h"
#include "jsonutil.h"
#include "proctree.h"
#include "runtime.h"
#include "store.h"
#include "util.h"

struct fix {
	char root[64];
	struct ckpt_conf c;
};

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	char dir[96], run[96], err[256];

	snprintf(f->root, sizeof(f->root), "/tmp/test_ckpt.XXXXXX");
	if (mkdtemp(f->root) == NULL)
		return -1;
	snprintf(dir, sizeof(dir), "%s/store", f->root);
	snprintf(run, sizeof(run), "%s/run", f->root);
	if (mkdir(dir, 0700) != 0 || mkdir(run, 0755) != 0)
		return -1;
	if (ckpt_conf_init(&f->c, dir, run, "/usr/sbin/criu", "vm-1", err,
	    sizeof(err)) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->root);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* An image directory n of job, as ckpt_dump leaves one (manifest). */
static void
make_image(struct fix *f, unsigned long job, long n)
{
	struct ckpt_manifest m;
	char jobdir[CKPT_PATH_MAX], img[CKPT_PATH_MAX], err[256];

	assert_int_equal(ckpt_job_path(&f->c, job, jobdir, sizeof(jobdir)), 0);
	mkdir(jobdir, 0700);
	assert_int_equal(ckpt_image_path(&f->c, job, n, img, sizeof(img)), 0);
	assert_int_equal(mkdir(img, 0700), 0);
	memset(&m, 0, sizeof(m));
	m.job = job;
	m.image = n;
	snprintf(m.node, sizeof(m.node), "vm-1");
	m.time = 1764130000;
	m.seconds = 0.25;
	m.bytes = 123456789ULL;
	snprintf(m.criu, sizeof(m.criu), "4.1.1");
	m.pid = 4242;
	assert_int_equal(ckpt_manifest_write(img, &m, err, sizeof(err)), 0);
}

static void
test_images(void **state)
{
	struct fix *f = *state;
	struct ckpt_manifest m;
	char img[CKPT_PATH_MAX], path[CKPT_PATH_MAX + 16], err[256];
	FILE *fp;

	/* none yet: image 1 comes next, nothing is current */
	assert_int_equal(ckpt_next_image(&f->c, 7, err, sizeof(err)), 1);
	assert_int_equal(ckpt_current(&f->c, 7, err, sizeof(err)), 0);

	make_image(f, 7, 1);
	make_image(f, 7, 3);
	assert_int_equal(ckpt_next_image(&f->c, 7, err, sizeof(err)), 4);
	assert_int_equal(ckpt_set_current(&f->c, 7, 3, err, sizeof(err)), 0);
	assert_int_equal(ckpt_current(&f->c, 7, err, sizeof(err)), 3);

	/* the manifest reads back as written */
	assert_int_equal(ckpt_image_path(&f->c, 7, 3, img, sizeof(img)), 0);
	assert_int_equal(ckpt_manifest_read(img, &m, err, sizeof(err)), 0);
	assert_int_equal(m.job, 7);
	assert_int_equal(m.image, 3);
	assert_string_equal(m.node, "vm-1");
	assert_true(m.bytes == 123456789ULL);
	assert_string_equal(m.criu, "4.1.1");
	assert_int_equal(m.pid, 4242);

	/* current naming an image that is not whole is an error, not 0 */
	snprintf(path, sizeof(path), "%s/manifest.json", img);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(ckpt_current(&f->c, 7, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "3"));

	/* cleared: nothing to restore; removed: nothing left */
	assert_int_equal(ckpt_clear_current(&f->c, 7, err, sizeof(err)), 0);
	assert_int_equal(ckpt_current(&f->c, 7, err, sizeof(err)), 0);
	assert_int_equal(ckpt_remove(&f->c, 7, err, sizeof(err)), 0);
	assert_int_equal(ckpt_job_path(&f->c, 7, path, sizeof(path)), 0);
	assert_int_equal(access(path, F_OK), -1);

	/* a current that is not a number */
	make_image(f, 8, 1);
	assert_int_equal(ckpt_job_path(&f->c, 8, path, sizeof(path)), 0);
	strcat(path, "/current");
	assert_non_null(fp = fopen(path, "w"));
	fputs("one\n", fp);
	fclose(fp);
	assert_int_equal(ckpt_current(&f->c, 8, err, sizeof(err)), -1);
}

static void
test_runtime(void **state)
{
	struct fix *f = *state;
	struct ckpt_runtime rt, got;
	char err[256];

	pid_t child;
	int status;

	/* the shim is this process, the init a child that waits */
	if ((child = fork()) == 0) {
		pause();
		_exit(0);
	}
	assert_true(child > 0);
	memset(&rt, 0, sizeof(rt));
	rt.job = 12;
	rt.shim = getpid();
	rt.init = child;
	rt.uid = 4711;
	rt.restored = 2;
	assert_int_equal(ckpt_runtime_write(&f->c, &rt, err, sizeof(err)), 0);
	assert_int_equal(ckpt_runtime_read(&f->c, 12, &got, err,
	    sizeof(err)), 0);
	assert_int_equal(got.job, 12);
	assert_int_equal(got.shim, getpid());
	assert_int_equal(got.init, child);
	assert_int_equal(got.uid, 4711);
	assert_int_equal(got.restored, 2);
	assert_true(got.shim_start == ckpt_proc_start(getpid()));
	assert_true(got.init_start != 0);
	assert_int_equal(ckpt_runtime_alive(&got, err, sizeof(err)), 0);
	/* the same pid, another process: never signalled as the job's */
	got.init_start++;
	assert_int_equal(ckpt_runtime_alive(&got, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "(the pid is another process's now)"));
	got.init_start--;
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	assert_int_equal(ckpt_runtime_alive(&got, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "its init"));
	assert_non_null(strstr(err, "is gone"));
	ckpt_runtime_remove(&f->c, 12);
	assert_int_equal(ckpt_runtime_read(&f->c, 12, &got, err,
	    sizeof(err)), -1);
}

/* The one event file in <runtime>/events, parsed. */
static struct json_object *
only_event(struct fix *f)
{
	struct json_object *o;
	struct dirent *d;
	char dir[96], path[400], e[256], *buf = NULL;
	size_t len;
	DIR *dp;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/run/events", f->root);
	assert_non_null(dp = opendir(dir));
	while ((d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		n++;
	}
	closedir(dp);
	assert_int_equal(n, 1);
	assert_int_equal(read_file(path, 8192, &buf, &len, e, sizeof(e)), 0);
	o = js_parse(buf, len, e, sizeof(e));
	free(buf);
	assert_non_null(o);
	unlink(path);
	return o;
}

static void
test_event(void **state)
{
	struct fix *f = *state;
	struct json_object *o;
	const char *s;
	char long_detail[400], err[256];

	/* an ordinary one */
	assert_int_equal(ckpt_event(&f->c, 5, "restore", "image 1 from node "
	    "vm-1, 0.050 s", err, sizeof(err)), 0);
	o = only_event(f);
	assert_int_equal(js_str(o, "kind", 1, 32, &s, err, sizeof(err)), 0);
	assert_string_equal(s, "restore");
	assert_int_equal(js_str(o, "detail", 1, 300, &s, err, sizeof(err)), 0);
	assert_string_equal(s, "image 1 from node vm-1, 0.050 s");
	json_object_put(o);

	/* what the hook would refuse is made what it takes: a newline and
	 * a byte above ASCII become '?', a long reason is cut at 200 */
	assert_int_equal(ckpt_event(&f->c, 5, "restore-failed",
	    "criu: line one\nl\xc3\xa9", err, sizeof(err)), 0);
	o = only_event(f);
	assert_int_equal(js_str(o, "detail", 1, 300, &s, err, sizeof(err)), 0);
	assert_string_equal(s, "criu: line one?l??");
	json_object_put(o);
	memset(long_detail, 'x', sizeof(long_detail) - 1);
	long_detail[sizeof(long_detail) - 1] = '\0';
	assert_int_equal(ckpt_event(&f->c, 5, "checkpoint-failed", long_detail,
	    err, sizeof(err)), 0);
	o = only_event(f);
	assert_int_equal(js_str(o, "detail", 1, 300, &s, err, sizeof(err)), 0);
	assert_int_equal(strlen(s), CKPT_DETAIL_MAX);
	json_object_put(o);
}

/* the cause of a failed criu run, from its log: a task's own error over
 * what CRIU says of that task's end, and over the summary */
static void
log_cause(const char *text, const char *want)
{
	char path[] = "/tmp/vnode-unit-criulog.XXXXXX", out[256];
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	ckpt_log_error(path, out, sizeof(out));
	unlink(path);
	assert_string_equal(out, want);
}

static void
test_log_error(void **state)
{
	(void)state;
	/* a restore whose task failed in CRIU's restorer */
	log_cause("(00.100000) Restoring files\n"
	    "(00.200000) pie: 2: Error (criu/pie/restorer.c:1010): Unable to "
	    "restore rseq: -22\n"
	    "(00.200100) Error (criu/cr-restore.c:1480): 2 exited, status=1\n"
	    "(00.200200) Error (criu/cr-restore.c:2560): Restoring FAILED.\n",
	    "Unable to restore rseq: -22");
	/* that alone: the task's end is all there is */
	log_cause("(00.2) Error (criu/cr-restore.c:1480): 2 exited, status=1\n"
	    "(00.3) Error (criu/cr-restore.c:2560): Restoring FAILED.\n",
	    "2 exited, status=1");
	/* a dump: the last cause, not the summary */
	log_cause("(00.1) Error (criu/files-reg.c:1700): Can't lookup mount=1\n"
	    "(00.2) Error (criu/files.c:99): Can't dump file 3\n"
	    "(00.3) Error (criu/cr-dump.c:2100): Dumping FAILED.\n",
	    "Can't dump file 3");
	log_cause("(00.1) all is well\n", "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_images, setup, teardown),
		cmocka_unit_test_setup_teardown(test_runtime, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event, setup, teardown),
		cmocka_unit_test(test_log_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
