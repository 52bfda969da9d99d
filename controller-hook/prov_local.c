/*
 * prov_local.c - provider = local: node sandboxes on the controller's host
 * (network, PID, mount and UTS namespaces, each running vnode-agent and a
 * real slurmd), made by vnode-privd, since the hook is not root.  The
 * embedded default for tests, benchmarks and make demo: hundreds of nodes
 * on one machine.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "privd.h"
#include "provider.h"
#include "util.h"

/* creates at once: a create mostly waits (for its sandbox's set-up), so
 * a hundred resumed together need many at once to keep the CPUs busy */
#define THREADS		32
#define LIST_MAX	100000

struct local_st {
	char socket[4096];
	double timeout;
};

static int
call(struct local_st *l, enum privd_op op, const char *name, const char *arg,
    const char *data, size_t len, struct privd_rep *rp, char *err,
    size_t errlen)
{
	struct privd_req *rq;
	int rc = -1;

	if ((rq = calloc(1, sizeof(*rq))) == NULL)
		return errf(err, errlen, "out of memory");
	rq->magic = PRIVD_MAGIC;
	rq->op = (uint32_t)op;
	if (strlen(name) >= sizeof(rq->name) || strlen(arg) >=
	    sizeof(rq->arg) || len > sizeof(rq->data)) {
		errf(err, errlen, "request too large for vnode-privd");
		goto out;
	}
	snprintf(rq->name, sizeof(rq->name), "%s", name);
	snprintf(rq->arg, sizeof(rq->arg), "%s", arg);
	if (len > 0)
		memcpy(rq->data, data, len);
	rq->len = (uint32_t)len;
	if (privd_call(l->socket, rq, rp, l->timeout, err, errlen) != 0)
		goto out;
	if (rp->status != 0) {
		errf(err, errlen, "vnode-privd: %s", rp->msg);
		goto out;
	}
	rc = 0;
out:
	explicit_bzero(rq, sizeof(*rq));	/* the user data holds a token */
	free(rq);
	return rc;
}

struct work {
	struct local_st *l;
	const struct prov_request *rq;
	struct prov_instance *out;
	size_t n, next;
	pthread_mutex_t mu;
};

static void *
creator(void *arg)
{
	struct work *w = arg;
	struct privd_rep *rp;
	char err[PROV_DETAIL_MAX];
	size_t i;

	if ((rp = malloc(sizeof(*rp))) == NULL)
		return NULL;
	for (;;) {
		pthread_mutex_lock(&w->mu);
		i = w->next++;
		pthread_mutex_unlock(&w->mu);
		if (i >= w->n)
			break;
		snprintf(w->out[i].node, sizeof(w->out[i].node), "%s",
		    w->rq[i].node);
		if (call(w->l, PRIVD_LOCAL_CREATE, w->rq[i].node, "",
		    w->rq[i].user_data, w->rq[i].user_data_len, rp, err,
		    sizeof(err)) != 0) {
			w->out[i].state = PROV_ERROR;
			snprintf(w->out[i].detail, sizeof(w->out[i].detail), "%s",
			    err);
			continue;
		}
		if (!prov_id_valid(rp->data)) {
			w->out[i].state = PROV_ERROR;
			snprintf(w->out[i].detail, sizeof(w->out[i].detail),
			    "vnode-privd gave no instance id");
			continue;
		}
		str_copy(w->out[i].id, sizeof(w->out[i].id), rp->data);
		w->out[i].state = PROV_RUNNING;
		w->out[i].created = wall_now();
	}
	free(rp);
	return NULL;
}

static int
local_create(void *st, const struct prov_request *rq, size_t n,
    struct prov_instance *out, char *err, size_t errlen)
{
	struct work w;
	pthread_t th[THREADS];
	size_t i, nt = n < THREADS ? n : THREADS, started = 0;
	int taken = 0;

	memset(&w, 0, sizeof(w));
	w.l = st;
	w.rq = rq;
	w.out = out;
	w.n = n;
	pthread_mutex_init(&w.mu, NULL);
	memset(out, 0, n * sizeof(*out));
	for (i = 0; i < nt; i++)
		if (pthread_create(&th[i], NULL, creator, &w) == 0)
			started++;
	if (started == 0)
		creator(&w);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&w.mu);
	for (i = 0; i < n; i++)
		if (out[i].state != PROV_ERROR)
			taken++;
	/* not one made, for the same reason: the call itself failed */
	if (taken == 0 && n > 0) {
		errf(err, errlen, "%s", out[0].detail);
		return -1;
	}
	return taken;
}

static int
local_destroy(void *st, const char *id, int graceful, char *err,
    size_t errlen)
{
	struct privd_rep *rp;
	int rc;

	if ((rp = malloc(sizeof(*rp))) == NULL)
		return errf(err, errlen, "out of memory");
	rc = call(st, PRIVD_LOCAL_DELETE, id, graceful ? "graceful" : "force",
	    NULL, 0, rp, err, errlen);
	free(rp);
	return rc;
}

static int
local_list(void *st, struct prov_instance **out, size_t *n, char *err,
    size_t errlen)
{
	struct privd_rep *rp;
	struct prov_instance *v = NULL;
	char *line, *save = NULL, id[PROV_ID_MAX], node[PROV_NODE_MAX];
	char state[16];
	size_t nv_n = 0, cap = 0;
	long created;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if ((rp = malloc(sizeof(*rp))) == NULL)
		return errf(err, errlen, "out of memory");
	if (call(st, PRIVD_LOCAL_LIST, "", "", NULL, 0, rp, err, errlen) != 0)
		goto out;
	for (line = strtok_r(rp->data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%127s %63s %15s %ld", id, node, state,
		    &created) != 4 || !prov_id_valid(id) ||
		    !name_node_valid(node))
			continue;
		if (nv_n == LIST_MAX ||
		    array_grow(&v, &cap, nv_n, sizeof(*v), 64) != 0) {
			errf(err, errlen, "out of memory");
			goto out;
		}
		memset(&v[nv_n], 0, sizeof(v[0]));
		snprintf(v[nv_n].id, sizeof(v[0].id), "%s", id);
		snprintf(v[nv_n].node, sizeof(v[0].node), "%s", node);
		v[nv_n].state = strcmp(state, "running") == 0 ? PROV_RUNNING :
		    strcmp(state, "creating") == 0 ? PROV_BUILDING :
		    strcmp(state, "stopping") == 0 ? PROV_STOPPING : PROV_GONE;
		v[nv_n].created = created;
		nv_n++;
	}
	*out = v;
	*n = nv_n;
	v = NULL;
	rc = 0;
out:
	free(v);
	free(rp);
	return rc;
}

static void
local_free(void *st)
{
	free(st);
}

int
prov_local_open(const struct hook_config *cfg, struct provider *p,
    char *err, size_t errlen)
{
	struct local_st *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return errf(err, errlen, "out of memory");
	snprintf(l->socket, sizeof(l->socket), "%s", cfg->local_socket);
	l->timeout = cfg->provider_timeout;
	p->name = "local";
	p->st = l;
	p->create = local_create;
	p->destroy = local_destroy;
	p->list = local_list;
	p->free = local_free;
	return 0;
}
