/*
 * events.c - see events.h.
 *
 * One thread: it waits on the events directory with inotify (or a second
 * at most), reads the files there in name order (their names start with
 * the time), sends up to EVENTS_BATCH of them in one call and removes
 * them once the hook has them.  A file that is not an event object is
 * renamed NAME.bad and logged, so that it cannot hold the others up.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "events.h"
#include "http.h"
#include "jsonutil.h"
#include "log.h"
#include "nodeapi.h"
#include "util.h"

#define EVENTS_BATCH	64
#define EVENT_MAX	4096		/* bytes in one event file */

static struct {
	pthread_t thread;
	int running;
	_Atomic int stop;
	int ifd;
	char dir[256];
	struct node_state st;
} ev;

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The event files waiting in dir, sorted; *n of them (at most max). */
static int
pending(char **names, int max, int *n)
{
	struct dirent *d;
	DIR *dp;
	size_t len;

	*n = 0;
	if ((dp = opendir(ev.dir)) == NULL)
		return -1;
	while ((d = readdir(dp)) != NULL && *n < max) {
		len = strlen(d->d_name);
		if (d->d_name[0] == '.' || len < 6 ||
		    strcmp(d->d_name + len - 5, ".json") != 0)
			continue;
		if ((names[*n] = strdup(d->d_name)) == NULL)
			break;
		(*n)++;
	}
	closedir(dp);
	qsort(names, (size_t)*n, sizeof(*names), name_cmp);
	return 0;
}

/* One event file as a JSON object, or NULL (set aside as NAME.bad). */
static struct json_object *
load(const char *name)
{
	struct json_object *o;
	char path[512], bad[520], e[256], *buf;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", ev.dir, name);
	if (read_file(path, EVENT_MAX, &buf, &len, e, sizeof(e)) != 0) {
		log_warnx("events: %s", e);
		o = NULL;
	} else {
		o = js_parse(buf, len, e, sizeof(e));
		free(buf);
		if (o == NULL)
			log_warnx("events: %s: %s", path, e);
	}
	if (o == NULL) {
		snprintf(bad, sizeof(bad), "%s.bad", path);
		if (rename(path, bad) != 0)
			unlink(path);
	}
	return o;
}

/* Send the events of names[0..n) in one call and remove their files once
 * the hook has them: 0, -1 (not sent: they stay), or NODE_REFUSED.  A file
 * that is not an event is set aside by load(), its name made NULL. */
static int
send_files(char **names, int n)
{
	struct json_object *body, *arr, *o;
	char path[512], err[512];
	int i, sent = 0, stored, rc;

	body = json_object_new_object();
	arr = json_object_new_array();
	json_object_object_add(body, "events", arr);
	for (i = 0; i < n; i++) {
		if (names[i] == NULL)
			continue;
		if ((o = load(names[i])) != NULL) {
			json_object_array_add(arr, o);
			sent++;
		} else {
			free(names[i]);
			names[i] = NULL;
		}
	}
	rc = sent == 0 ? 0 : node_events(&ev.st, json_object_to_json_string_ext(
	    body, JSON_C_TO_STRING_PLAIN), &stored, err, sizeof(err));
	json_object_put(body);
	if (rc == NODE_REFUSED) {
		log_warnx("events: %d refused by the hook: %s", sent, err);
		return rc;
	}
	if (rc != 0) {
		log_warnx("events: %d not sent: %s", sent, err);
		return -1;
	}
	if (sent > 0)
		log_info("events: %d sent to the hook", sent);
	for (i = 0; i < n; i++)
		if (names[i] != NULL) {
			snprintf(path, sizeof(path), "%s/%s", ev.dir, names[i]);
			unlink(path);
		}
	return 0;
}

/* Send what is waiting, EVENTS_BATCH at a time: 0 when nothing is left
 * or it all went, -1 when the hook did not take it (the files stay for
 * the next try).  A batch the hook refuses (4xx) is sent again one event
 * at a time, and those refused alone are set aside as NAME.bad: sent
 * again they would be refused again, and hold up all that come after. */
static int
forward(void)
{
	char *names[EVENTS_BATCH], path[512], bad[520];
	int n, i, rc, one;

	for (;;) {
		if (pending(names, EVENTS_BATCH, &n) != 0 || n == 0)
			return 0;
		if ((rc = send_files(names, n)) == NODE_REFUSED) {
			rc = 0;
			for (i = 0; i < n && rc == 0; i++) {
				if (names[i] == NULL || (one = send_files(
				    &names[i], 1)) == 0)
					continue;
				if (one != NODE_REFUSED) {
					rc = -1;
					break;
				}
				snprintf(path, sizeof(path), "%s/%s", ev.dir,
				    names[i]);
				snprintf(bad, sizeof(bad), "%s.bad", path);
				log_warnx("events: %s set aside as %s", path,
				    bad);
				if (rename(path, bad) != 0)
					unlink(path);
			}
		}
		for (i = 0; i < n; i++)
			free(names[i]);
		if (rc != 0 || n < EVENTS_BATCH)
			return rc;
	}
}

static void *
run(void *arg)
{
	struct pollfd pfd;
	char buf[4096];
	double backoff = 1, retry_at = 0;

	(void)arg;
	pfd.fd = ev.ifd;
	pfd.events = POLLIN;
	while (!ev.stop) {
		if (mono_now() >= retry_at) {
			if (forward() == 0) {
				backoff = 1;
				retry_at = 0;
			} else {
				retry_at = mono_now() + backoff;
				if ((backoff *= 2) > 30)
					backoff = 30;
			}
		}
		/* a second at most: stop is looked at, and a file that came
		 * while the watch was missing is found */
		if (poll(&pfd, 1, 1000) > 0)
			while (read(ev.ifd, buf, sizeof(buf)) > 0)
				;
	}
	return NULL;
}

int
events_start(const struct node_state *st, const char *dir, char *err,
    size_t errlen)
{
	sigset_t block, old;
	char *slash;
	int rc;

	if (ev.running)
		return 0;
	if (strlen(dir) >= sizeof(ev.dir))
		return errf(err, errlen, "%s: path too long", dir);
	snprintf(ev.dir, sizeof(ev.dir), "%s", dir);
	if ((slash = strrchr(ev.dir, '/')) != NULL && slash != ev.dir) {
		*slash = '\0';
		if (mkdir(ev.dir, 0755) != 0 && errno != EEXIST)
			return errf(err, errlen, "mkdir %s: %s", ev.dir,
			    strerror(errno));
		*slash = '/';
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return errf(err, errlen, "mkdir %s: %s", dir, strerror(errno));
	if ((ev.ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
		return errf(err, errlen, "inotify: %s", strerror(errno));
	if (inotify_add_watch(ev.ifd, dir, IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
		errf(err, errlen, "inotify %s: %s", dir, strerror(errno));
		close(ev.ifd);
		return -1;
	}
	ev.st = *st;
	ev.stop = 0;
	/* SIGTERM and SIGINT are the main thread's (its stop flag): the
	 * thread starts with them blocked, so that a signal never lands in
	 * it and leaves the main loop asleep */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	rc = pthread_create(&ev.thread, NULL, run, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		close(ev.ifd);
		explicit_bzero(&ev.st, sizeof(ev.st));
		return errf(err, errlen, "cannot start the events thread");
	}
	ev.running = 1;
	return 0;
}

void
events_stop(void)
{
	if (!ev.running)
		return;
	ev.stop = 1;
	pthread_join(ev.thread, NULL);
	ev.running = 0;
	/* What came since the thread's last look (a restore a moment before
	 * a shutdown): one more try, which the SIGTERM that stopped the
	 * heartbeats must not cut short as it did the thread's call. */
	http_abort_on(NULL);
	forward();
	close(ev.ifd);
	explicit_bzero(&ev.st, sizeof(ev.st));
}
