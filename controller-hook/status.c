/*
 * status.c - Slurm's view of a node for POST /v1/status, asked in a
 * thread of its own (status.h).
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
		if (sl_node_status(q->node.name, &q->st, q->error,
		    sizeof(q->error)) != 0 && q->error[0] == '\0')
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
