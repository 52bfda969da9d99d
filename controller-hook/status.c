/*
 * status.c - Slurm's view of a node for POST /v1/status, and a held
 * node's release for POST /v1/ready, asked in a thread of its own
 * (status.h).  The thread takes all the asks that wait at once: the
 * statuses of a burst of nodes cost one request to slurmctld, not one
 * each.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
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
static unsigned long nbatches, nasks;	/* under mu */

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
	/* the hold's drain: on 22.05 a drain loses its reason when the
	 * node's slurmd registers */
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

/* The plain status asks of a batch (n of them, ready calls apart): one
 * request for them all when there are several (a burst of joining nodes
 * asks while it waits to be usable), one node's when there is one. */
static void
statuses(struct api_status_ask **v, size_t n)
{
	const char **names;
	struct sl_status *st;
	char e[300];
	size_t i;

	if (n == 1) {
		if (sl_node_status(v[0]->node.name, &v[0]->st, v[0]->error,
		    sizeof(v[0]->error)) != 0 && v[0]->error[0] == '\0')
			snprintf(v[0]->error, sizeof(v[0]->error), "no answer");
		return;
	}
	names = calloc(n, sizeof(*names));
	st = calloc(n, sizeof(*st));
	if (names == NULL || st == NULL) {
		for (i = 0; i < n; i++)
			snprintf(v[i]->error, sizeof(v[i]->error), "out of "
			    "memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		names[i] = v[i]->node.name;
	e[0] = '\0';
	if (sl_nodes_status(names, n, st, e, sizeof(e)) != 0) {
		for (i = 0; i < n; i++)
			snprintf(v[i]->error, sizeof(v[i]->error), "%s",
			    e[0] != '\0' ? e : "no answer");
		goto out;
	}
	for (i = 0; i < n; i++)
		v[i]->st = st[i];
out:
	free(names);
	free(st);
}

static void *
run(void *arg)
{
	struct api_status_ask *list, *q, **v = NULL;
	size_t n, cap = 0, i, k;

	(void)arg;
	pthread_mutex_lock(&mu);
	for (;;) {
		while (queue == NULL && !stopping)
			pthread_cond_wait(&cv, &mu);
		if (stopping)
			break;
		/* all that waits, at once */
		list = queue;
		queue = NULL;
		queue_tail = &queue;
		pthread_mutex_unlock(&mu);
		for (n = 0, q = list; q != NULL; q = q->next)
			n++;
		if (n > cap) {
			free(v);
			cap = n < 64 ? 64 : n;
			if ((v = calloc(cap, sizeof(*v))) == NULL)
				cap = 0;
		}
		for (i = 0, q = list; q != NULL && i < cap; q = q->next)
			v[i++] = q;
		if (cap == 0) {
			/* no room: each its own way */
			while ((q = list) != NULL) {
				list = q->next;
				q->next = NULL;
				snprintf(q->error, sizeof(q->error), "out of "
				    "memory");
				done_fn(q);
			}
			pthread_mutex_lock(&mu);
			continue;
		}
		/* the ready calls first, each alone (they change the node);
		 * the plain asks after them, together */
		for (i = k = 0; i < n; i++) {
			v[i]->next = NULL;
			v[i]->error[0] = '\0';
			if (!v[i]->ready) {
				v[k++] = v[i];
				continue;
			}
			if ((ready(v[i]) != 0 || sl_node_status(v[i]->node.name,
			    &v[i]->st, v[i]->error, sizeof(v[i]->error)) != 0) &&
			    v[i]->error[0] == '\0')
				snprintf(v[i]->error, sizeof(v[i]->error),
				    "no answer");
			done_fn(v[i]);
		}
		if (k > 0)
			statuses(v, k);
		for (i = 0; i < k; i++)
			done_fn(v[i]);
		pthread_mutex_lock(&mu);
		nbatches += (n - k) + (k > 0);
		nasks += n;
	}
	free(v);
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
status_stats(unsigned long *batches, unsigned long *asks)
{
	pthread_mutex_lock(&mu);
	*batches = nbatches;
	*asks = nasks;
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
