/*
 * status.c - Slurm's view of a node for POST /v1/status, and a held
 * node's release for POST /v1/ready, asked in a thread of its own
 * (status.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "slurm.h"
#include "status.h"
#include "util.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct api_status_ask *queue, **queue_tail = &queue;
static int running, stopping;
static pthread_t thread;
static void (*done_fn)(struct api_status_ask *q);

/*
 * POST /v1/ready: a held node's agent says whether its mounts are
 * verified.  Verified: the hold's drain is taken off, and only the hold's
 * (an admin who drained the node meanwhile keeps it drained).  Failed:
 * the node stays drained, with the mount's error as the reason.  Not
 * held (its join did not hold it): nothing to do.
 */
static int
ready(struct api_status_ask *q)
{
	struct sl_status st;
	char reason[sizeof(SL_HOLD_FAILED) + sizeof(q->why)];
	const char *name = q->node.name;

	if (!q->node.held) {
		snprintf(q->outcome, sizeof(q->outcome), "mounts %s; %s was not "
		    "held", q->ready == API_READY_OK ? "verified" : "failed",
		    name);
		return 0;
	}
	if (sl_node_status(name, &st, q->error, sizeof(q->error)) != 0)
		return -1;
	/* the hold's drain; on 22.05 a slot's drain loses its reason when
	 * its slurmd registers */
	if (q->ready == API_READY_OK) {
		q->released = 1;
		if (st.drained && (st.held_by_vnode || st.no_reason)) {
			if (sl_node_undrain(name, q->error,
			    sizeof(q->error)) != 0)
				return -1;
			snprintf(q->outcome, sizeof(q->outcome), "mounts "
			    "verified: %s takes jobs now (its hold released)",
			    name);
		} else
			snprintf(q->outcome, sizeof(q->outcome), "mounts "
			    "verified; %s %s", name, st.drained ? "stays drained: "
			    "it was drained again, not by vnode" : "was not "
			    "drained any more");
		return 0;
	}
	if (st.drained && !st.held_by_vnode && !st.no_reason) {
		snprintf(q->outcome, sizeof(q->outcome), "%s stays drained "
		    "(drained again, not by vnode); mount failed: %s", name,
		    q->why);
		return 0;
	}
	snprintf(reason, sizeof(reason), "%s%s", SL_HOLD_FAILED, q->why);
	if (sl_node_drain(name, reason, q->error, sizeof(q->error)) != 0)
		return -1;
	snprintf(q->outcome, sizeof(q->outcome), "%s stays drained: mount "
	    "failed: %s", name, q->why);
	return 0;
}

static void *
run(void *arg)
{
	struct api_status_ask *q;

	(void)arg;
	pthread_mutex_lock(&mu);
	for (;;) {
		while (queue == NULL && !stopping)
			pthread_cond_wait(&cv, &mu);
		if (stopping)
			break;
		q = queue;
		if ((queue = q->next) == NULL)
			queue_tail = &queue;
		pthread_mutex_unlock(&mu);
		q->next = NULL;
		q->error[0] = '\0';
		if (((q->ready && ready(q) != 0) || sl_node_status(
		    q->node.name, &q->st, q->error, sizeof(q->error)) != 0) &&
		    q->error[0] == '\0')
			snprintf(q->error, sizeof(q->error), "no answer");
		done_fn(q);
		pthread_mutex_lock(&mu);
	}
	/* stopping: what is still queued is told so */
	while ((q = queue) != NULL) {
		queue = q->next;
		q->next = NULL;
		snprintf(q->error, sizeof(q->error), "the hook is stopping");
		done_fn(q);
	}
	queue_tail = &queue;
	pthread_mutex_unlock(&mu);
	return NULL;
}

int
status_start(void (*done)(struct api_status_ask *q), char *err,
    size_t errlen)
{
	int e;

	done_fn = done;
	stopping = 0;
	if ((e = pthread_create(&thread, NULL, run, NULL)) != 0)
		return errf(err, errlen, "the status thread: %s", strerror(e));
	running = 1;
	return 0;
}

void
status_submit(struct api_status_ask *q)
{
	q->next = NULL;
	pthread_mutex_lock(&mu);
	*queue_tail = q;
	queue_tail = &q->next;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
}

void
status_stop(void)
{
	if (!running)
		return;
	pthread_mutex_lock(&mu);
	stopping = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(thread, NULL);
	running = 0;
}
