/*
 * slurm.c - see slurm.h.  Written against Slurm 22.05's libslurm, and
 * built against 24.11's as well (make SLURM=24.11); what differs between
 * them is said once, below the includes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>

#include "slurm.h"
#include "util.h"

/*
 * The libslurm releases vnode is built against differ here, and only here
 * (tested: 22.05.8 and 24.11.5; the releases in between from Slurm's
 * history):
 *
 * - 23.11 made hostlist_t the structure itself (the calls take a
 *   hostlist_t *); before, hostlist_t is the pointer.
 * - 24.11 has no slurm_get_errno(); the older ones' returns errno, so
 *   errno it is, for all.
 * - SuspendExcStates (slurm_conf_t's suspend_exc_states) came in 23.02.
 * - 24.05 made PrologSlurmctld a list (char **, prolog_slurmctld_cnt);
 *   the first is taken.
 * - Before 23.11 the gang scheduler (PreemptMode=...,GANG) sizes a table
 *   of each node's CPUs (gang.c, gs_bits_per_node) for the nodes
 *   slurmctld has when it starts or is reconfigured, and
 *   slurm_create_node does not make it rebuild it: the first job on a
 *   created node then reads past its end and slurmctld dies (22.05.8:
 *   SIGSEGV in sched_agent, in select_nodes, gs_job_start,
 *   add_job_to_cores).  Changing the debug flags rebuilds it (and changes
 *   nothing when none are given), so after creating nodes those releases
 *   are asked to.  From 23.11 the gang scheduler reads each node's record.
 *
 * Everything else this file uses (update_node_msg_t with the node line in
 * extra for slurm_create_node, slurm_load_node_single, slurm_requeue,
 * job_desc_msg_t's begin_time and req_nodes, the node and job state bits)
 * is the same in 22.05 and 24.11.
 */
#if SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(23, 11, 0)
typedef hostlist_t *sl_hostlist;
#define GANG_TABLE_AFTER_CREATE	0
#else
typedef hostlist_t sl_hostlist;
#define GANG_TABLE_AFTER_CREATE	1
#endif
#if SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(23, 2, 0)
#define SUSPEND_EXC_STATES(c)	((c)->suspend_exc_states)
#else
#define SUSPEND_EXC_STATES(c)	((const char *)NULL)
#endif
#if SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(24, 5, 0)
#define PROLOG_SLURMCTLD(c)	((c)->prolog_slurmctld_cnt > 0 ? \
				    (c)->prolog_slurmctld[0] : NULL)
#else
#define PROLOG_SLURMCTLD(c)	((c)->prolog_slurmctld)
#endif

/* After nodes were created: see above.  The nodes are made all the same
 * when this fails; slurmctld then says why in its log. */
static void
created(void)
{
	if (GANG_TABLE_AFTER_CREATE)
		(void)slurm_set_debugflags(0, 0);
}

/*
 * libslurm is not to be called from two threads at once, and the hook
 * calls it from its HTTP thread, its admission thread, the reaper, the
 * mover and the provisioner: every call below that changes something or
 * loads a table holds mu, from its first line (SL_LOCK) to its return.
 * mu is recursive: a call may make another, and sl_node_each's callback
 * may call in again.
 *
 * A look at one node alone (sl_node_status), or at the nodes whose status
 * asks wait together (sl_nodes_status), takes no lock: libslurm's RPCs
 * are safe to make from several threads (its configuration is read under
 * its own lock, errno is the thread's), and a node's state read while
 * another thread changes it is as good as one read a moment before.  Every
 * /v1/status asks for a node's state (status.c, in a thread of its own;
 * once in the HTTP thread); behind the lock it waited for whole admission
 * batches (bench/scale, 1000 joins: 1109 status calls, p99 up to 1 s, the
 * hook not accepting anything meanwhile, /metrics unanswered for 110 s,
 * agents' joins timing out).
 */
static pthread_mutex_t mu = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

static pthread_mutex_t *
sl_lock(void)
{
	pthread_mutex_lock(&mu);
	return &mu;
}

static void
sl_unlock(pthread_mutex_t **m)
{
	pthread_mutex_unlock(*m);
}

#define SL_LOCK() \
	pthread_mutex_t *sl_held_ \
	    __attribute__((cleanup(sl_unlock), unused)) = sl_lock()


int
sl_init(char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	slurm_init(NULL);
	return 0;
}

void
sl_fini(void)
{
	slurm_fini();
}

static int
sl_err(char *err, size_t errlen, const char *what, const char *name)
{
	int e = errno;

	return errf(err, errlen, "%s %s: %s", what, name, slurm_strerror(e));
}

int
sl_node_create(const struct sl_node *n, char *err, size_t errlen)
{
	SL_LOCK();
	update_node_msg_t m;
	struct sl_status st;
	char line[SL_LINE_MAX];
	int len;

	/* slurmctld answers success to creating a node that exists (and only
	 * logs it), so look first: a rejoin updates the address instead. */
	if (sl_node_status(n->name, &st, err, errlen) != 0)
		return -1;
	slurm_init_update_node_msg(&m);
	if (st.exists) {
		m.node_names = (char *)(uintptr_t)n->name;
		m.node_addr = (char *)(uintptr_t)n->addr;
		m.node_hostname = (char *)(uintptr_t)n->hostname;
		if (slurm_update_node(&m) != SLURM_SUCCESS)
			return sl_err(err, errlen, "update node", n->name);
		/* drained by an earlier leave that did not finish, or held
		 * by an earlier join: the node is back, so it takes work
		 * again (admit.c holds it anew when its agent asks) */
		if (st.drained_by_vnode || st.reaped_by_vnode ||
		    st.held_by_vnode)
			return sl_node_resume(n->name, err, errlen);
		return 0;
	}
	len = snprintf(line, sizeof(line), "NodeName=%s NodeAddr=%s "
	    "NodeHostname=%s CPUs=%ld RealMemory=%ld Features=%s State=FUTURE",
	    n->name, n->addr, n->hostname, n->cpus, n->memory_mb, n->features);
	if (len < 0 || (size_t)len >= sizeof(line))
		return errf(err, errlen, "node line for %s too long", n->name);
	m.extra = line;
	if (slurm_create_node(&m) != SLURM_SUCCESS)
		return sl_err(err, errlen, "create node", n->name);
	created();
	return 0;
}

int
sl_node_down(const char *name, const char *reason, char *err, size_t errlen)
{
	SL_LOCK();
	update_node_msg_t m;

	slurm_init_update_node_msg(&m);
	m.node_names = (char *)(uintptr_t)name;
	m.node_state = NODE_STATE_DOWN;
	m.reason = (char *)(uintptr_t)reason;
	if (slurm_update_node(&m) != SLURM_SUCCESS)
		return sl_err(err, errlen, "down node", name);
	return 0;
}

int
sl_node_delete(const char *name, char *err, size_t errlen)
{
	SL_LOCK();
	update_node_msg_t m;

	slurm_init_update_node_msg(&m);
	m.node_names = (char *)(uintptr_t)name;
	if (slurm_delete_node(&m) != SLURM_SUCCESS) {
		if (errno == ESLURM_INVALID_NODE_NAME)
			return 0;	/* gone already */
		return sl_err(err, errlen, "delete node", name);
	}
	return 0;
}

int
sl_node_drain(const char *name, const char *reason, char *err, size_t errlen)
{
	SL_LOCK();
	update_node_msg_t m;

	slurm_init_update_node_msg(&m);
	m.node_names = (char *)(uintptr_t)name;
	m.node_state = NODE_STATE_DRAIN;
	m.reason = (char *)(uintptr_t)reason;
	if (slurm_update_node(&m) != SLURM_SUCCESS)
		return sl_err(err, errlen, "drain node", name);
	return 0;
}

/* Slurm's base state and the flags that matter here, like sinfo's
 * "IDLE+DRAIN"; libslurm's own formatter is not in its public header. */
static void
state_text(uint32_t s, char *out, size_t outsz)
{
	static const char *const base[] = { "UNKNOWN", "DOWN", "IDLE",
	    "ALLOCATED", "ERROR", "MIXED", "FUTURE" };
	static const struct { uint32_t bit; const char *name; } flags[] = {
		{ NODE_STATE_DRAIN, "DRAIN" },
		{ NODE_STATE_COMPLETING, "COMPLETING" },
		{ NODE_STATE_NO_RESPOND, "NOT_RESPONDING" },
		{ NODE_STATE_FAIL, "FAIL" },
		{ NODE_STATE_POWERED_DOWN, "POWERED_DOWN" },
		{ NODE_STATE_POWERING_UP, "POWERING_UP" },
		{ NODE_STATE_POWERING_DOWN, "POWERING_DOWN" },
		{ NODE_STATE_CLOUD, "CLOUD" },
	};
	uint32_t b = s & NODE_STATE_BASE;
	size_t i, len;

	snprintf(out, outsz, "%s", b < sizeof(base) / sizeof(base[0]) ?
	    base[b] : "UNKNOWN");
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (!(s & flags[i].bit))
			continue;
		len = strlen(out);
		snprintf(out + len, outsz - len, "+%s", flags[i].name);
	}
}

static void
fill_status(const node_info_t *ni, struct sl_status *st)
{
	uint32_t s = ni->node_state, base = s & NODE_STATE_BASE;

	st->exists = 1;
	st->future = base == NODE_STATE_FUTURE;
	st->cloud = (s & NODE_STATE_CLOUD) != 0;
	st->powered_down = (s & NODE_STATE_POWERED_DOWN) != 0;
	st->powering_up = (s & NODE_STATE_POWERING_UP) != 0;
	st->powering_down = (s & NODE_STATE_POWERING_DOWN) != 0;
	snprintf(st->addr, sizeof(st->addr), "%s", ni->node_addr != NULL ?
	    ni->node_addr : "");
	state_text(s, st->state, sizeof(st->state));
	st->responding = !(s & NODE_STATE_NO_RESPOND);
	st->down = base == NODE_STATE_DOWN;
	st->busy = base == NODE_STATE_ALLOCATED ||
	    base == NODE_STATE_MIXED || (s & NODE_STATE_COMPLETING);
	st->drained_by_vnode = (s & NODE_STATE_DRAIN) && ni->reason != NULL &&
	    strcmp(ni->reason, SL_DRAIN_REASON) == 0;
	st->drained = (s & NODE_STATE_DRAIN) != 0;
	st->held_by_vnode = st->drained && ni->reason != NULL &&
	    strncmp(ni->reason, SL_HOLD_PREFIX, strlen(SL_HOLD_PREFIX)) == 0;
	st->no_reason = ni->reason == NULL || ni->reason[0] == '\0';
	st->reaped_by_vnode = st->down && ni->reason != NULL &&
	    strncmp(ni->reason, SL_REAP_REASON, strlen(SL_REAP_REASON)) == 0;
	st->usable = (base == NODE_STATE_IDLE ||
	    base == NODE_STATE_ALLOCATED || base == NODE_STATE_MIXED) &&
	    !(s & (NODE_STATE_DRAIN | NODE_STATE_NO_RESPOND |
	    NODE_STATE_FAIL | NODE_STATE_POWERED_DOWN));
}

int
sl_node_status(const char *name, struct sl_status *st, char *err,
    size_t errlen)
{
	/* no lock (see mu) */
	node_info_msg_t *msg = NULL;
	uint32_t i;

	memset(st, 0, sizeof(*st));
	if (slurm_load_node_single(&msg, (char *)(uintptr_t)name,
	    SHOW_ALL | SHOW_FUTURE) != SLURM_SUCCESS) {
		if (errno == ESLURM_INVALID_NODE_NAME) {
			snprintf(st->state, sizeof(st->state), "ABSENT");
			return 0;
		}
		return sl_err(err, errlen, "load node", name);
	}
	for (i = 0; msg != NULL && i < msg->record_count; i++)
		if (msg->node_array[i].name != NULL &&
		    strcmp(msg->node_array[i].name, name) == 0)
			fill_status(&msg->node_array[i], st);
	if (!st->exists)
		snprintf(st->state, sizeof(st->state), "ABSENT");
	slurm_free_node_info_msg(msg);
	return 0;
}

/* fn for every node in one load of Slurm's node table; no lock of its
 * own (the callers say whether they need mu). */
static int
nodes_each(void (*fn)(void *arg, const char *name, const struct sl_status *st),
    void *arg, char *err, size_t errlen)
{
	node_info_msg_t *msg = NULL;
	struct sl_status st;
	uint32_t i;

	if (slurm_load_node((time_t)0, &msg, SHOW_ALL | SHOW_FUTURE) !=
	    SLURM_SUCCESS)
		return sl_err(err, errlen, "load", "nodes");
	for (i = 0; msg != NULL && i < msg->record_count; i++) {
		if (msg->node_array[i].name == NULL)
			continue;
		memset(&st, 0, sizeof(st));
		fill_status(&msg->node_array[i], &st);
		fn(arg, msg->node_array[i].name, &st);
	}
	slurm_free_node_info_msg(msg);
	return 0;
}

struct wanted {
	const char *const *names;
	struct sl_status *st;
	size_t n;
};

static void
keep_wanted(void *arg, const char *name, const struct sl_status *st)
{
	struct wanted *w = arg;
	size_t k;

	for (k = 0; k < w->n; k++)
		if (!w->st[k].exists && strcmp(name, w->names[k]) == 0)
			w->st[k] = *st;
}

int
sl_nodes_status(const char *const *names, size_t n, struct sl_status *st,
    char *err, size_t errlen)
{
	/* no lock (see mu): a read, as sl_node_status's */
	struct wanted w = { names, st, n };
	size_t k;

	for (k = 0; k < n; k++)
		memset(&st[k], 0, sizeof(st[k]));
	if (nodes_each(keep_wanted, &w, err, errlen) != 0)
		return -1;
	for (k = 0; k < n; k++)
		if (!st[k].exists)
			snprintf(st[k].state, sizeof(st[k].state), "ABSENT");
	return 0;
}

int
sl_node_each(void (*fn)(void *arg, const char *name, const struct sl_status *st),
    void *arg, char *err, size_t errlen)
{
	SL_LOCK();

	return nodes_each(fn, arg, err, errlen);
}

int
sl_node_resume(const char *name, char *err, size_t errlen)
{
	SL_LOCK();
	update_node_msg_t m;

	slurm_init_update_node_msg(&m);
	m.node_names = (char *)(uintptr_t)name;
	m.node_state = NODE_RESUME;
	if (slurm_update_node(&m) != SLURM_SUCCESS)
		return sl_err(err, errlen, "resume node", name);
	return 0;
}

int
sl_requeue_node_jobs(const char *name,
    void (*report)(void *arg, unsigned long jobid, const char *error),
    void *arg, int *requeued, int *failed, char *err, size_t errlen)
{
	SL_LOCK();
	job_info_msg_t *jobs = NULL;
	job_info_t *j;
	sl_hostlist hl;
	uint32_t i, base;

	*requeued = *failed = 0;
	if (slurm_load_jobs((time_t)0, &jobs, SHOW_ALL) != SLURM_SUCCESS)
		return sl_err(err, errlen, "load jobs for", name);
	for (i = 0; i < jobs->record_count; i++) {
		j = &jobs->job_array[i];
		base = j->job_state & JOB_STATE_BASE;
		if (base != JOB_RUNNING && base != JOB_SUSPENDED)
			continue;
		if (j->nodes == NULL || (hl = slurm_hostlist_create(j->nodes)) ==
		    NULL)
			continue;
		if (slurm_hostlist_find(hl, name) >= 0) {
			if (slurm_requeue(j->job_id, 0) == SLURM_SUCCESS) {
				(*requeued)++;
				report(arg, j->job_id, NULL);
			} else {
				(*failed)++;
				report(arg, j->job_id,
				    slurm_strerror(errno));
			}
		}
		slurm_hostlist_destroy(hl);
	}
	slurm_free_job_info_msg(jobs);
	return 0;
}

static const char *
job_state_word(uint32_t base)
{
	static const char *const w[] = { "PENDING", "RUNNING", "SUSPENDED",
	    "COMPLETED", "CANCELLED", "FAILED", "TIMEOUT", "NODE_FAIL",
	    "PREEMPTED", "BOOT_FAIL", "DEADLINE", "OUT_OF_MEMORY" };

	return base < sizeof(w) / sizeof(w[0]) ? w[base] : "UNKNOWN";
}

static void
fill_job(const job_info_t *ji, struct sl_job *j)
{
	uint32_t base = ji->job_state & JOB_STATE_BASE;
	sl_hostlist hl;
	char *first;

	memset(j, 0, sizeof(*j));
	j->id = ji->job_id;
	j->state = base == JOB_PENDING ? SL_JOB_PENDING :
	    base == JOB_RUNNING ? SL_JOB_RUNNING :
	    base == JOB_SUSPENDED ? SL_JOB_SUSPENDED :
	    base > JOB_SUSPENDED && base < JOB_END ? SL_JOB_DONE : SL_JOB_OTHER;
	j->completing = (ji->job_state & (JOB_COMPLETING | JOB_REQUEUE)) != 0;
	snprintf(j->state_text, sizeof(j->state_text), "%s%s",
	    job_state_word(base), j->completing ? "+COMPLETING" : "");
	snprintf(j->nodes, sizeof(j->nodes), "%s", ji->nodes != NULL ?
	    ji->nodes : "");
	if (ji->batch_host != NULL && ji->batch_host[0] != '\0')
		snprintf(j->node, sizeof(j->node), "%s", ji->batch_host);
	else if (ji->nodes != NULL && ji->nodes[0] != '\0' &&
	    (hl = slurm_hostlist_create(ji->nodes)) != NULL) {
		if ((first = slurm_hostlist_shift(hl)) != NULL) {
			snprintf(j->node, sizeof(j->node), "%s", first);
			free(first);
		}
		slurm_hostlist_destroy(hl);
	}
	snprintf(j->partition, sizeof(j->partition), "%s",
	    ji->partition != NULL ? ji->partition : "");
	snprintf(j->req_nodes, sizeof(j->req_nodes), "%s",
	    ji->req_nodes != NULL ? ji->req_nodes : "");
	if (WIFSIGNALED(ji->exit_code)) {
		j->exit_status = -1;
		j->exit_signal = WTERMSIG(ji->exit_code);
	} else
		j->exit_status = WEXITSTATUS(ji->exit_code);
	j->start = (long)ji->start_time;
}

int
sl_jobs(struct sl_job **out, size_t *n, char *err, size_t errlen)
{
	SL_LOCK();
	job_info_msg_t *msg = NULL;
	uint32_t i;

	*out = NULL;
	*n = 0;
	if (slurm_load_jobs((time_t)0, &msg, SHOW_ALL) != SLURM_SUCCESS)
		return sl_err(err, errlen, "load", "jobs");
	if (msg->record_count > 0 &&
	    (*out = calloc(msg->record_count, sizeof(**out))) == NULL) {
		slurm_free_job_info_msg(msg);
		return errf(err, errlen, "out of memory");
	}
	for (i = 0; i < msg->record_count; i++)
		fill_job(&msg->job_array[i], &(*out)[(*n)++]);
	slurm_free_job_info_msg(msg);
	return 0;
}

int
sl_job(unsigned long id, struct sl_job *j, char *err, size_t errlen)
{
	SL_LOCK();
	job_info_msg_t *msg = NULL;
	char what[32];

	snprintf(what, sizeof(what), "%lu", id);
	if (slurm_load_job(&msg, (uint32_t)id, SHOW_ALL) != SLURM_SUCCESS) {
		if (errno == ESLURM_INVALID_JOB_ID)
			return 1;
		return sl_err(err, errlen, "load job", what);
	}
	if (msg == NULL || msg->record_count == 0) {
		slurm_free_job_info_msg(msg);
		return 1;
	}
	fill_job(&msg->job_array[0], j);
	slurm_free_job_info_msg(msg);
	return 0;
}

int
sl_job_requeue(unsigned long id, char *err, size_t errlen)
{
	SL_LOCK();
	char what[32];

	snprintf(what, sizeof(what), "%lu", id);
	if (slurm_requeue((uint32_t)id, 0) != SLURM_SUCCESS)
		return sl_err(err, errlen, "requeue job", what);
	return 0;
}

int
sl_job_release(unsigned long id, int start_now, const char *nodes, char *err,
    size_t errlen)
{
	SL_LOCK();
	job_desc_msg_t d;
	char what[32];

	snprintf(what, sizeof(what), "%lu", id);
	slurm_init_job_desc_msg(&d);
	d.job_id = (uint32_t)id;
	if (start_now)
		d.begin_time = time(NULL);
	if (nodes != NULL)
		d.req_nodes = (char *)(uintptr_t)nodes;
	if (slurm_update_job(&d) != SLURM_SUCCESS)
		return sl_err(err, errlen, "update job", what);
	return 0;
}

int
sl_node_jobs(const char *name, unsigned long *ids, size_t max, size_t *n,
    char *err, size_t errlen)
{
	SL_LOCK();
	job_info_msg_t *jobs = NULL;
	job_info_t *j;
	sl_hostlist hl;
	uint32_t i, base;

	*n = 0;
	if (slurm_load_jobs((time_t)0, &jobs, SHOW_ALL) != SLURM_SUCCESS)
		return sl_err(err, errlen, "load jobs for", name);
	for (i = 0; i < jobs->record_count && *n < max; i++) {
		j = &jobs->job_array[i];
		base = j->job_state & JOB_STATE_BASE;
		if (base != JOB_RUNNING && base != JOB_SUSPENDED)
			continue;
		if (j->nodes == NULL || (hl = slurm_hostlist_create(j->nodes)) ==
		    NULL)
			continue;
		if (slurm_hostlist_find(hl, name) >= 0)
			ids[(*n)++] = j->job_id;
		slurm_hostlist_destroy(hl);
	}
	slurm_free_job_info_msg(jobs);
	return 0;
}

struct name_set {
	char **names;
	size_t n, cap;
};

static void
add_name(void *arg, const char *name, const struct sl_status *st)
{
	struct name_set *ns = arg;

	(void)st;
	if (array_grow(&ns->names, &ns->cap, ns->n, sizeof(*ns->names),
	    64) != 0)
		return;
	if ((ns->names[ns->n] = strdup(name)) != NULL)
		ns->n++;
}

static int
in_set(const struct name_set *ns, const char *name)
{
	size_t i;

	for (i = 0; i < ns->n; i++)
		if (strcmp(ns->names[i], name) == 0)
			return 1;
	return 0;
}

static int
same_shape(const struct sl_node *a, const struct sl_node *b)
{
	return a->cpus == b->cpus && a->memory_mb == b->memory_mb &&
	    strcmp(a->features, b->features) == 0;
}

/* "a,b,c" of one field of the nodes picked; NULL when out of memory. */
static char *
joined(const struct sl_node *n, const size_t *pick, size_t count,
    const char *(*field)(const struct sl_node *))
{
	size_t i, len = 1;
	char *out;

	for (i = 0; i < count; i++)
		len += strlen(field(&n[pick[i]])) + 1;
	if ((out = malloc(len)) == NULL)
		return NULL;
	out[0] = '\0';
	for (i = 0; i < count; i++) {
		if (i > 0)
			strcat(out, ",");
		strcat(out, field(&n[pick[i]]));
	}
	return out;
}

static const char *f_name(const struct sl_node *n) { return n->name; }
static const char *f_addr(const struct sl_node *n) { return n->addr; }
static const char *f_host(const struct sl_node *n) { return n->hostname; }

/* One node line for the nodes picked, all of the same shape. */
static int
create_group(const struct sl_node *n, const size_t *pick, size_t count,
    char *err, size_t errlen)
{
	char *names, *addrs, *hosts, *line = NULL;
	update_node_msg_t m;
	int rc = -1;

	names = joined(n, pick, count, f_name);
	addrs = joined(n, pick, count, f_addr);
	hosts = joined(n, pick, count, f_host);
	if (names == NULL || addrs == NULL || hosts == NULL ||
	    asprintf(&line, "NodeName=%s NodeAddr=%s NodeHostname=%s CPUs=%ld "
	    "RealMemory=%ld Features=%s State=FUTURE", names, addrs, hosts,
	    n[pick[0]].cpus, n[pick[0]].memory_mb, n[pick[0]].features) < 0) {
		line = NULL;
		errf(err, errlen, "out of memory");
		goto out;
	}
	slurm_init_update_node_msg(&m);
	m.extra = line;
	if (slurm_create_node(&m) != SLURM_SUCCESS) {
		sl_err(err, errlen, "create nodes", names);
		goto out;
	}
	created();
	rc = 0;
out:
	free(names);
	free(addrs);
	free(hosts);
	free(line);
	return rc;
}

/* Which of a batch's nodes Slurm has already, into have.  A small batch
 * (joins trickling in: most batches of a burst hold one to three nodes)
 * asks for each of its nodes alone, a cost that stays the same as the
 * cluster grows; a large one loads the whole node table once (each load
 * costs slurmctld and the hook time in proportion to the nodes there are:
 * done for every batch, a burst of N joins cost O(N^2)). */
#define NODES_LOOKUP_MAX	32

static int
nodes_known(const struct sl_node *n, size_t count, struct name_set *have,
    char *err, size_t errlen)
{
	struct sl_status st;
	size_t i;

	if (count > NODES_LOOKUP_MAX)
		return sl_node_each(add_name, have, err, errlen);
	for (i = 0; i < count; i++) {
		if (sl_node_status(n[i].name, &st, err, errlen) != 0)
			return -1;
		if (st.exists)
			add_name(have, n[i].name, &st);
	}
	return 0;
}

size_t
sl_nodes_create(const struct sl_node *n, size_t count, char (*err)[256])
{
	SL_LOCK();
	struct name_set have = { NULL, 0, 0 };
	size_t i, k, ngroup, failed = 0, *pick = NULL;
	char *done = NULL, e[256];

	for (i = 0; i < count; i++)
		err[i][0] = '\0';
	if ((pick = calloc(count, sizeof(*pick))) == NULL ||
	    (done = calloc(count, 1)) == NULL ||
	    nodes_known(n, count, &have, e, sizeof(e)) != 0) {
		if (pick == NULL || done == NULL)
			snprintf(e, sizeof(e), "out of memory");
		for (i = 0; i < count; i++)
			snprintf(err[i], sizeof(err[i]), "%s", e);
		failed = count;
		goto out;
	}
	/* rejoins: the node is there, its address may have changed */
	for (i = 0; i < count; i++) {
		if (!in_set(&have, n[i].name))
			continue;
		done[i] = 1;
		if (sl_node_create(&n[i], err[i], sizeof(err[i])) != 0)
			failed++;
	}
	/* the new ones, a node line per shape; each on its own when the
	 * line as a whole is refused, to tell which node was wrong */
	for (i = 0; i < count; i++) {
		if (done[i])
			continue;
		for (ngroup = 0, k = i; k < count; k++)
			if (!done[k] && same_shape(&n[i], &n[k])) {
				pick[ngroup++] = k;
				done[k] = 1;
			}
		if (create_group(n, pick, ngroup, e, sizeof(e)) == 0)
			continue;
		for (k = 0; k < ngroup; k++)
			if (sl_node_create(&n[pick[k]], err[pick[k]],
			    sizeof(err[0])) != 0)
				failed++;
	}
out:
	for (i = 0; i < have.n; i++)
		free(have.names[i]);
	free(have.names);
	free(pick);
	free(done);
	return failed;
}

int
sl_nodes_address(const struct sl_node *n, size_t count, char *err,
    size_t errlen)
{
	SL_LOCK();
	char *names, *addrs, *hosts;
	update_node_msg_t m;
	size_t *pick, i;
	int rc = -1;

	if ((pick = calloc(count, sizeof(*pick))) == NULL)
		return errf(err, errlen, "out of memory");
	for (i = 0; i < count; i++)
		pick[i] = i;
	names = joined(n, pick, count, f_name);
	addrs = joined(n, pick, count, f_addr);
	hosts = joined(n, pick, count, f_host);
	if (names == NULL || addrs == NULL || hosts == NULL) {
		errf(err, errlen, "out of memory");
		goto out;
	}
	slurm_init_update_node_msg(&m);
	m.node_names = names;
	m.node_addr = addrs;
	m.node_hostname = hosts;
	if (slurm_update_node(&m) != SLURM_SUCCESS) {
		sl_err(err, errlen, "set the address of", names);
		goto out;
	}
	rc = 0;
out:
	free(pick);
	free(names);
	free(addrs);
	free(hosts);
	return rc;
}

int
sl_node_future(const char *name, char *err, size_t errlen)
{
	SL_LOCK();
	update_node_msg_t m;

	slurm_init_update_node_msg(&m);
	m.node_names = (char *)(uintptr_t)name;
	m.node_state = NODE_STATE_FUTURE;
	if (slurm_update_node(&m) != SLURM_SUCCESS)
		return sl_err(err, errlen, "return to the pool node", name);
	return 0;
}

static void
copy_conf(char *dst, size_t dstsz, const char *v)
{
	snprintf(dst, dstsz, "%s", v != NULL ? v : "");
}

int
sl_power_conf(struct sl_power_conf *pc, char *err, size_t errlen)
{
	SL_LOCK();
	slurm_conf_t *c = NULL;

	memset(pc, 0, sizeof(*pc));
	if (slurm_load_ctl_conf((time_t)0, &c) != SLURM_SUCCESS)
		return sl_err(err, errlen, "load", "the configuration");
	pc->resume_timeout = c->resume_timeout;
	pc->suspend_timeout = c->suspend_timeout;
	pc->suspend_time = c->suspend_time == INFINITE ? -1 :
	    (long)c->suspend_time;
	copy_conf(pc->resume_program, sizeof(pc->resume_program),
	    c->resume_program);
	copy_conf(pc->suspend_program, sizeof(pc->suspend_program),
	    c->suspend_program);
	copy_conf(pc->resume_fail_program, sizeof(pc->resume_fail_program),
	    c->resume_fail_program);
	copy_conf(pc->prolog_slurmctld, sizeof(pc->prolog_slurmctld),
	    PROLOG_SLURMCTLD(c));
	slurm_free_ctl_conf(c);
	return 0;
}

/* PreemptMode's words, as slurm.conf(5) writes them. */
static void
preempt_mode_text(uint16_t m, char *out, size_t outsz)
{
	static const struct { uint16_t bit; const char *name; } w[] = {
		{ PREEMPT_MODE_SUSPEND, "SUSPEND" },
		{ PREEMPT_MODE_REQUEUE, "REQUEUE" },
		{ PREEMPT_MODE_CANCEL, "CANCEL" },
		{ PREEMPT_MODE_GANG, "GANG" },
		{ PREEMPT_MODE_WITHIN, "WITHIN" },
	};
	size_t i, len;

	out[0] = '\0';
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		if (!(m & w[i].bit))
			continue;
		len = strlen(out);
		snprintf(out + len, outsz - len, "%s%s", len > 0 ? "," : "",
		    w[i].name);
	}
	if (out[0] == '\0')
		snprintf(out, outsz, "OFF");
}

int
sl_conf_load(struct sl_conf *c, char *err, size_t errlen)
{
	SL_LOCK();
	slurm_conf_t *sc = NULL;

	memset(c, 0, sizeof(*c));
	if (slurm_load_ctl_conf((time_t)0, &sc) != SLURM_SUCCESS)
		return sl_err(err, errlen, "load", "slurmctld's configuration");
	copy_conf(c->version, sizeof(c->version), sc->version);
	snprintf(c->lib_version, sizeof(c->lib_version), "%d.%02d.%d",
	    SLURM_VERSION_MAJOR(SLURM_VERSION_NUMBER),
	    SLURM_VERSION_MINOR(SLURM_VERSION_NUMBER),
	    SLURM_VERSION_MICRO(SLURM_VERSION_NUMBER));
	copy_conf(c->sched_params, sizeof(c->sched_params), sc->sched_params);
	copy_conf(c->slurmctld_params,
	    sizeof(c->slurmctld_params), sc->slurmctld_params);
	copy_conf(c->preempt_type, sizeof(c->preempt_type), sc->preempt_type);
	preempt_mode_text(sc->preempt_mode, c->preempt_mode,
	    sizeof(c->preempt_mode));
	copy_conf(c->select_type, sizeof(c->select_type), sc->select_type);
	copy_conf(c->suspend_exc_states,
	    sizeof(c->suspend_exc_states), SUSPEND_EXC_STATES(sc));
	copy_conf(c->suspend_exc_parts,
	    sizeof(c->suspend_exc_parts), sc->suspend_exc_parts);
	copy_conf(c->suspend_exc_nodes,
	    sizeof(c->suspend_exc_nodes), sc->suspend_exc_nodes);
	c->has_suspend_exc_states = SLURM_VERSION_NUMBER >=
	    SLURM_VERSION_NUM(23, 2, 0);
	/* INFINITE (or NO_VAL) when power saving is off */
	c->suspend_time = sc->suspend_time == INFINITE ||
	    sc->suspend_time == NO_VAL ? -1 : (long)sc->suspend_time;
	c->job_requeue = sc->job_requeue != 0;
	if (sc->control_cnt > 0 && sc->control_addr != NULL)
		copy_conf(c->control_addr, sizeof(c->control_addr),
		    sc->control_addr[0]);
	c->slurmctld_port = sc->slurmctld_port;
	c->slurmctld_port_count = sc->slurmctld_port_count > 0 ?
	    sc->slurmctld_port_count : 1;
	slurm_free_ctl_conf(sc);
	return 0;
}

int
sl_node_power_down(const char *name, int force, const char *reason, char *err,
    size_t errlen)
{
	SL_LOCK();
	update_node_msg_t m;

	slurm_init_update_node_msg(&m);
	m.node_names = (char *)(uintptr_t)name;
	m.node_state = NODE_STATE_POWER_DOWN |
	    (force ? NODE_STATE_POWERED_DOWN : 0);
	if (reason != NULL)
		m.reason = (char *)(uintptr_t)reason;
	if (slurm_update_node(&m) != SLURM_SUCCESS)
		return sl_err(err, errlen, force ? "power down (force) node" :
		    "power down node", name);
	return 0;
}

int
sl_node_power_up(const char *name, char *err, size_t errlen)
{
	SL_LOCK();
	update_node_msg_t m;

	slurm_init_update_node_msg(&m);
	m.node_names = (char *)(uintptr_t)name;
	m.node_state = NODE_STATE_POWER_UP;
	if (slurm_update_node(&m) != SLURM_SUCCESS)
		return sl_err(err, errlen, "power up node", name);
	return 0;
}

int
sl_partition_nodes(const char *part, char *out, size_t outsz, char *err,
    size_t errlen)
{
	SL_LOCK();
	partition_info_msg_t *msg = NULL;
	uint32_t i;
	int rc = 1;

	out[0] = '\0';
	if (slurm_load_partitions((time_t)0, &msg, SHOW_ALL) != SLURM_SUCCESS)
		return sl_err(err, errlen, "load", "partitions");
	for (i = 0; msg != NULL && i < msg->record_count; i++)
		if (msg->partition_array[i].name != NULL &&
		    strcmp(msg->partition_array[i].name, part) == 0) {
			snprintf(out, outsz, "%s", msg->partition_array[i].nodes
			    != NULL ? msg->partition_array[i].nodes : "");
			rc = 0;
		}
	slurm_free_partition_info_msg(msg);
	return rc;
}

int
sl_node_undrain(const char *name, char *err, size_t errlen)
{
	SL_LOCK();
	update_node_msg_t m;

	slurm_init_update_node_msg(&m);
	m.node_names = (char *)(uintptr_t)name;
	m.node_state = NODE_STATE_UNDRAIN;
	if (slurm_update_node(&m) != SLURM_SUCCESS)
		return sl_err(err, errlen, "undrain node", name);
	return 0;
}

/* No request to Slurm below: libslurm's host list parser alone. */
int
sl_hostlist_each(const char *expr, int (*fn)(void *arg, const char *name),
    void *arg, char *err, size_t errlen)
{
	sl_hostlist hl;
	char *h;
	int rc = 0;

	if (expr == NULL || expr[0] == '\0' || strlen(expr) > 4000 ||
	    strspn(expr, "abcdefghijklmnopqrstuvwxyz0123456789-_.,[]") !=
	    strlen(expr))
		return errf(err, errlen, "\"%.80s\" is not a host list "
		    "(node names, ranges like vm-[1-3,7])", expr != NULL ?
		    expr : "");
	/* no lock: pure parsing, no request */
	hl = slurm_hostlist_create(expr);
	if (hl == NULL)
		return errf(err, errlen, "\"%.80s\" is not a host list", expr);
	while (rc == 0 && (h = slurm_hostlist_shift(hl)) != NULL) {
		rc = fn(arg, h);
		free(h);
	}
	slurm_hostlist_destroy(hl);
	return rc;
}

int
sl_job_uses(const struct sl_job *j, const char *node)
{
	sl_hostlist hl;
	int found;

	if (j->nodes[0] == '\0' || (hl = slurm_hostlist_create(j->nodes)) ==
	    NULL)
		return 0;
	found = slurm_hostlist_find(hl, node) >= 0;
	slurm_hostlist_destroy(hl);
	return found;
}

int
sl_ping(void)
{
	SL_LOCK();

	return slurm_ping(0) == SLURM_SUCCESS ? 0 : -1;
}

int
sl_reconfigure(char *err, size_t errlen)
{
	SL_LOCK();

	if (slurm_reconfigure() != SLURM_SUCCESS)
		return sl_err(err, errlen, "reconfigure", "slurmctld");
	return 0;
}
