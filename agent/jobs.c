/*
 * jobs.c - see jobs.h.
 *
 * At leave the dumps run in parallel, one child process each: a child
 * does nothing but ckpt_dump() (which runs criu) and writes its result to
 * a pipe; the parent waits for all of them until the budget is spent and
 * counts a child that has not answered by then as failed (and kills it).
 * The agent has no other thread at that point (events_stop() came
 * first), so fork() is plain.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dump.h"
#include "jobs.h"
#include "log.h"
#include "nodeapi.h"
#include "runtime.h"
#include "selftest.h"
#include "store.h"
#include "util.h"

/* The store as the settings have it; node names the node in manifests
 * and events (NULL: the host name). */
static int
conf_for(const struct settings *s, const char *node, struct ckpt_conf *c,
    char *err, size_t errlen)
{
	if (s->ckpt_dir[0] == '\0')
		return errf(err, errlen, "no ckpt_dir is set");
	return ckpt_conf_init(c, s->ckpt_dir, NULL, s->criu, node, err, errlen);
}

/* Why this node cannot checkpoint, when its self-test said so ("": it
 * can, or was not tested). */
static char unable[512];

int
jobs_selftest(const struct settings *s, char *line, size_t linelen)
{
	struct ckpt_conf c;
	char info[256], err[512];
	/* A test process that cannot be dumped and restored in the time a
	 * job's dump may take: no job's could (a fixed 20 s bound once
	 * failed nodes whose every dump would have finished: TCG guests on
	 * a loaded host) */
	double bound = (double)s->ckpt_timeout;

	unable[0] = '\0';
	if (s->ckpt_dir[0] == '\0')
		return -1;
	if (conf_for(s, NULL, &c, err, sizeof(err)) != 0 ||
	    ckpt_selftest(&c, bound, info, sizeof(info), err, sizeof(err)) != 0) {
		snprintf(unable, sizeof(unable), "%s", err);
		snprintf(line, linelen, "this node cannot checkpoint: %s; its "
		    "jobs will be requeued without checkpoints", err);
		return 0;
	}
	snprintf(line, linelen, "this node can checkpoint (%s)", info);
	return 1;
}

/* 1 when job runs here under the plugin: its runtime file names a shim
 * that is alive. */
static int
job_here(const struct ckpt_conf *c, unsigned long job)
{
	struct ckpt_runtime rt;
	char err[256];

	return ckpt_runtime_read(c, job, &rt, err, sizeof(err)) == 0 &&
	    ckpt_runtime_alive(&rt, err, sizeof(err)) == 0;
}

/* A dumped job that was not requeued goes on here (or stays suspended);
 * its image is behind it from now on, so the store no longer names it:
 * a later start must not go back to it. */
static int
go_on(const struct ckpt_conf *c, unsigned long job)
{
	char err[512];
	int rc = 0;

	if (ckpt_resume(c, job, err, sizeof(err)) != 0) {
		log_warnx("checkpoint: job %lu: %s", job, err);
		rc = -1;
	}
	if (ckpt_clear_current(c, job, err, sizeof(err)) != 0) {
		log_warnx("checkpoint: job %lu: %s", job, err);
		rc = -1;
	}
	return rc;
}

int
jobs_order(const struct settings *s, const struct node_state *st,
    const char *arg)
{
	struct ckpt_conf c;
	struct ckpt_result r;
	char to[64] = "", err[512], why[1024];
	unsigned long job;
	char *end;

	errno = 0;
	job = strtoul(arg, &end, 10);
	if (errno != 0 || end == arg || job == 0 || (*end != '\0' &&
	    (*end != ' ' || sscanf(end + 1, "%63s", to) != 1))) {
		log_warnx("checkpoint order: \"%s\" is not JOB [NODE]", arg);
		return -1;
	}
	if (conf_for(s, st->node, &c, err, sizeof(err)) != 0) {
		snprintf(why, sizeof(why), "%s on %s", err, st->node);
		goto failed;
	}
	if (unable[0] != '\0') {
		snprintf(why, sizeof(why), "%s cannot checkpoint: %s", st->node,
		    unable);
		goto failed;
	}
	if (!job_here(&c, job)) {
		snprintf(why, sizeof(why), "job %lu is not a checkpointable job "
		    "running on %s", job, st->node);
		goto failed;
	}
	log_info("checkpoint: job %lu%s%s", job, to[0] ? ", to " : "", to);
	if (ckpt_dump(&c, job, s->ckpt_timeout, &r, why, sizeof(why)) != 0)
		goto failed;
	log_info("checkpoint: job %lu: image %ld, %.1f MB in %.2f s", job,
	    r.image, (double)r.bytes / 1e6, r.seconds);
	if (node_requeue(st, job, r.image, NULL, to, err, sizeof(err)) != 0) {
		/* the job was left stopped for the requeue: it goes on here */
		log_warnx("checkpoint: job %lu: requeue: %s; resuming it here",
		    job, err);
		go_on(&c, job);
		return -1;
	}
	log_info("checkpoint: job %lu requeued%s%s", job, to[0] ? " for " : "",
	    to);
	return 0;
failed:
	/* A move that cannot checkpoint leaves the job where it is (it goes
	 * on, or stays suspended); the hook records why. */
	log_warnx("checkpoint: job %lu: %s; it stays on %s", job, why,
	    st->node);
	if (conf_for(s, st->node, &c, err, sizeof(err)) != 0 &&
	    ckpt_conf_init(&c, "/", NULL, NULL, st->node, err, sizeof(err)) != 0)
		return -1;
	if (ckpt_event(&c, job, "checkpoint-failed", why, err,
	    sizeof(err)) != 0)
		log_warnx("checkpoint: %s", err);
	return -1;
}

int
jobs_forget(const struct settings *s, const char *arg)
{
	struct ckpt_conf c;
	char err[512], path[CKPT_PATH_MAX];
	long job;

	if (parse_long(arg, 1, 0x7fffffffL, &job) != 0) {
		log_warnx("forget order: \"%s\" is not a job id", arg);
		return -1;
	}
	if (conf_for(s, NULL, &c, err, sizeof(err)) != 0) {
		log_warnx("forget: job %ld: %s", job, err);
		return -1;
	}
	if (job_here(&c, (unsigned long)job)) {
		log_warnx("forget: job %ld runs here: its checkpoint files are "
		    "kept", job);
		return -1;
	}
	if (ckpt_job_path(&c, (unsigned long)job, path, sizeof(path)) != 0 ||
	    access(path, F_OK) != 0) {
		log_info("forget: job %ld has no files in the store", job);
		return 0;
	}
	if (ckpt_remove(&c, (unsigned long)job, err, sizeof(err)) != 0) {
		log_warnx("forget: job %ld: %s", job, err);
		return -1;
	}
	log_info("forget: job %ld ended: its checkpoint files are removed "
	    "(%s)", job, path);
	return 0;
}

struct dump {
	unsigned long job;
	pid_t pid;
	int fd;
	int done;
	long image;
	char why[300];
};

/* In the child: dump, write "image why" to fd, exit. */
static void
dump_child(const struct ckpt_conf *c, unsigned long job, double timeout,
    int fd)
{
	struct ckpt_result r;
	char why[300] = "", line[320];
	long image = 0;
	int n;

	if (ckpt_dump(c, job, timeout, &r, why, sizeof(why)) == 0)
		image = r.image;
	n = snprintf(line, sizeof(line), "%ld %s", image, why);
	if (write(fd, line, (size_t)n) != n)
		_exit(1);
	_exit(0);
}

/* Read a child's answer once it has written or gone. */
static void
dump_collect(struct dump *d)
{
	char line[320], *sp;
	ssize_t n;
	int status;

	n = read(d->fd, line, sizeof(line) - 1);
	close(d->fd);
	d->fd = -1;
	d->done = 1;
	waitpid(d->pid, &status, 0);
	if (n <= 0) {
		snprintf(d->why, sizeof(d->why), "the dump's process ended "
		    "without an answer");
		return;
	}
	line[n] = '\0';
	d->image = strtol(line, NULL, 10);
	if ((sp = strchr(line, ' ')) != NULL)
		snprintf(d->why, sizeof(d->why), "%s", sp + 1);
}

int
jobs_checkpoint_all(const struct settings *s, const char *node,
    const unsigned long *jobs, int n, double budget, struct node_ckpt *out)
{
	struct ckpt_conf c;
	struct pollfd pfd;
	struct dump *d;
	char err[256];
	double deadline, timeout, left;
	int i, nd = 0, p[2], running;

	if (n == 0)
		return 0;
	if (conf_for(s, node, &c, err, sizeof(err)) != 0) {
		log_warnx("checkpoint: %s: requeueing without checkpoints", err);
		return 0;
	}
	if ((d = calloc((size_t)n, sizeof(*d))) == NULL) {
		log_warnx("checkpoint: out of memory; requeueing without");
		return 0;
	}
	if (budget < 1) {
		log_warnx("checkpoint: no time left in the stop budget "
		    "(leave_timeout): requeueing without checkpoints");
		free(d);
		return 0;
	}
	timeout = s->ckpt_timeout < budget ? s->ckpt_timeout : budget;
	deadline = mono_now() + timeout + 2;
	for (i = 0; i < n; i++) {
		if (!job_here(&c, jobs[i])) {
			log_info("checkpoint: job %lu is not checkpointable here: "
			    "requeued as it is", jobs[i]);
			continue;
		}
		if (unable[0] != '\0') {
			/* no CRIU run: the self-test said it cannot */
			d[nd].job = jobs[i];
			d[nd].fd = -1;
			snprintf(d[nd].why, sizeof(d[nd].why), "%.60s cannot "
			    "checkpoint: %.200s", node, unable);
			d[nd++].done = 1;
			continue;
		}
		d[nd].job = jobs[i];
		d[nd].fd = -1;
		if (pipe2(p, O_CLOEXEC) != 0 || (d[nd].pid = fork()) < 0) {
			snprintf(d[nd].why, sizeof(d[nd].why), "cannot start "
			    "its dump: %s", strerror(errno));
			d[nd++].done = 1;
			continue;
		}
		if (d[nd].pid == 0) {
			close(p[0]);
			dump_child(&c, jobs[i], timeout, p[1]);
		}
		close(p[1]);
		d[nd].fd = p[0];
		log_info("checkpoint: job %lu: dumping", jobs[i]);
		nd++;
	}
	for (;;) {
		running = 0;
		for (i = 0; i < nd; i++) {
			if (d[i].done)
				continue;
			running++;
			pfd.fd = d[i].fd;
			pfd.events = POLLIN;
			if (poll(&pfd, 1, 0) > 0)
				dump_collect(&d[i]);
		}
		if (running == 0 || (left = deadline - mono_now()) <= 0)
			break;
		sleep_seconds(left < 0.05 ? left : 0.05, NULL);
	}
	for (i = 0; i < nd; i++) {
		if (!d[i].done) {
			kill(d[i].pid, SIGKILL);
			dump_collect(&d[i]);
			snprintf(d[i].why, sizeof(d[i].why), "no dump within "
			    "%.0f s", timeout);
			d[i].image = 0;
		}
		memset(&out[i], 0, sizeof(out[i]));
		out[i].job = d[i].job;
		if (d[i].image > 0) {
			out[i].image = d[i].image;
			log_info("checkpoint: job %lu: image %ld", d[i].job,
			    d[i].image);
		} else {
			/* the whole reason here, what the hook takes there */
			snprintf(out[i].error, sizeof(out[i].error), "%s",
			    d[i].why[0] ? d[i].why : "dump failed");
			ckpt_detail(out[i].error);
			log_warnx("checkpoint: job %lu: %s; requeued without a "
			    "checkpoint", d[i].job, d[i].why);
		}
	}
	free(d);
	return nd;
}

void
jobs_resume(const struct settings *s, const struct node_ckpt *cp, int ncp,
    unsigned long job)
{
	struct ckpt_conf c;
	char err[512];
	int i;

	for (i = 0; i < ncp; i++) {
		if (cp[i].job != job || cp[i].image <= 0)
			continue;
		if (conf_for(s, NULL, &c, err, sizeof(err)) != 0)
			log_warnx("checkpoint: job %lu: %s", job, err);
		else if (go_on(&c, job) == 0)
			log_info("checkpoint: job %lu was not requeued: it goes "
			    "on here", job);
	}
}
