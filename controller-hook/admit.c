/*
 * admit.c - see admit.h.
 *
 * The queue is a list under a mutex; the thread takes all of it at once
 * (after batch_window, when set), does the batch, and hands each join back
 * through done().  In conf mode the fragment is the record of which nodes
 * are in slurm.conf: it is read, changed and written whole (atomically,
 * under a lock) once per batch, and slurmctld is restarted only when it
 * changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "admit.h"
#include "atomicfile.h"
#include "db.h"
#include "log.h"
#include "names.h"
#include "overlay.h"
#include "slurm.h"
#include "spawn.h"
#include "util.h"

#define SLURMCTLD_WAIT	60.0	/* seconds for slurmctld to answer again */
#define RESTART_TIMEOUT	60.0	/* seconds for the restart command */
#define FRAGMENT_MAX	(4 * 1024 * 1024)
#define MAX_REMOVALS	4096

const double admit_size_bounds[ADMIT_BUCKETS] = { 1, 2, 5, 10, 20, 50, 100,
    200, 500, 1000 };
const double admit_secs_bounds[ADMIT_BUCKETS] = { 0.01, 0.05, 0.1, 0.25, 0.5,
    1, 2.5, 5, 10, 30 };

static const struct hook_config *cfg;
static void (*done_fn)(struct api_admission *);
static pthread_t thread;
static int running;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct api_admission *queue, **queue_tail = &queue;
static char (*removals)[64];		/* conf mode: lines to drop */
static size_t nremovals, capremovals;
static int stopping;
static struct admit_stats stats;
static struct db *db;			/* the thread's own connection */

/* ---- conf mode: the fragment ---- */

struct frag {
	char (*name)[64];
	char **line;
	size_t n, cap;
};

static void
frag_free(struct frag *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->line[i]);
	free(f->name);
	free(f->line);
	memset(f, 0, sizeof(*f));
}

static ssize_t
frag_find(const struct frag *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->name[i], name) == 0)
			return (ssize_t)i;
	return -1;
}

/* Sets the node's line; 1 when that changed the fragment, 0 when the
 * line was there already, -1 out of memory. */
static int
frag_set(struct frag *f, const char *name, const char *line)
{
	ssize_t i = frag_find(f, name);
	char *dup;

	if (i >= 0 && strcmp(f->line[i], line) == 0)
		return 0;
	if ((dup = strdup(line)) == NULL)
		return -1;
	if (i >= 0) {
		free(f->line[i]);
		f->line[i] = dup;
		return 1;
	}
	if (array_grow2(&f->name, sizeof(*f->name), &f->line,
	    sizeof(*f->line), &f->cap, f->n, 64) != 0) {
		free(dup);
		return -1;
	}
	snprintf(f->name[f->n], sizeof(f->name[0]), "%s", name);
	f->line[f->n++] = dup;
	return 1;
}

static int
frag_drop(struct frag *f, const char *name)
{
	ssize_t i = frag_find(f, name);

	if (i < 0)
		return 0;
	free(f->line[i]);
	f->n--;
	memmove(&f->name[i], &f->name[i + 1], (f->n - (size_t)i) *
	    sizeof(f->name[0]));
	memmove(&f->line[i], &f->line[i + 1], (f->n - (size_t)i) *
	    sizeof(f->line[0]));
	return 1;
}

static int
frag_line(const struct sl_node *n, char *out, size_t outsz)
{
	int len = snprintf(out, outsz, "NodeName=%s NodeAddr=%s NodeHostname=%s "
	    "CPUs=%ld RealMemory=%ld Features=%s", n->name, n->addr,
	    n->hostname, n->cpus, n->memory_mb, n->features);

	return len < 0 || (size_t)len >= outsz ? -1 : 0;
}

/* The fragment as it is; only lines this file writes are accepted, so an
 * admin's hand edit is reported, not overwritten. */
static int
frag_read(const char *path, struct frag *f, char *err, size_t errlen)
{
	char *buf = NULL, *line, *save = NULL, name[64];
	size_t len, lineno = 0;
	int rc = -1;

	memset(f, 0, sizeof(*f));
	if (read_file(path, FRAGMENT_MAX, &buf, &len, err, errlen) != 0) {
		if (access(path, F_OK) != 0 && errno == ENOENT)
			return 0;	/* none yet */
		return -1;
	}
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (sscanf(line, "NodeName=%63s ", name) != 1 ||
		    !name_node_valid(name) || strchr(line, '\r') != NULL) {
			errf(err, errlen, "%s: line %zu is not one vnode-hookd "
			    "writes (NodeName=... NodeAddr=...); fix or remove "
			    "it", path, lineno);
			goto out;
		}
		if (frag_set(f, name, line) < 0) {
			errf(err, errlen, "out of memory");
			goto out;
		}
	}
	rc = 0;
out:
	free(buf);
	if (rc != 0)
		frag_free(f);
	return rc;
}

static int
frag_write(const char *path, const struct frag *f, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0, i;
	FILE *m;
	int rc;

	if ((m = open_memstream(&text, &len)) == NULL)
		return errf(err, errlen, "out of memory");
	fprintf(m, "# Slurm nodes admitted by vnode-hookd (admit = conf).\n"
	    "# vnode-hookd rewrites this file: do not edit it by hand.\n");
	for (i = 0; i < f->n; i++)
		fprintf(m, "%s\n", f->line[i]);
	if (fclose(m) != 0) {
		free(text);
		return errf(err, errlen, "out of memory");
	}
	rc = af_write(path, text, len, 0644, (uid_t)-1, (gid_t)-1, err, errlen);
	free(text);
	return rc;
}

/* Run the restart command, or ask for a reconfigure; then wait until
 * slurmctld answers. */
static int
apply_conf(char *err, size_t errlen)
{
	char buf[sizeof(cfg->restart)], *argv[33], *save = NULL, *p, e[400];
	struct spawn sp;
	double end;
	int n = 0;

	if (cfg->apply_reconfigure) {
		if (sl_reconfigure(err, errlen) != 0)
			return -1;
	} else {
		snprintf(buf, sizeof(buf), "%s", cfg->restart);
		for (p = strtok_r(buf, " \t", &save); p != NULL && n < 32;
		    p = strtok_r(NULL, " \t", &save))
			argv[n++] = p;
		argv[n] = NULL;
		memset(&sp, 0, sizeof(sp));
		sp.argv = (const char *const *)argv;
		sp.timeout = RESTART_TIMEOUT;
		if (spawn_run(&sp, e, sizeof(e)) != 0)
			return errf(err, errlen, "restarting slurmctld: %s", e);
		pthread_mutex_lock(&mu);
		stats.restarts++;
		pthread_mutex_unlock(&mu);
	}
	for (end = mono_now() + SLURMCTLD_WAIT; sl_ping() != 0;) {
		if (mono_now() >= end)
			return errf(err, errlen, "slurmctld did not answer within "
			    "%.0f s after the %s", SLURMCTLD_WAIT,
			    cfg->apply_reconfigure ? "reconfigure" : "restart");
		sleep_seconds(0.1, NULL);
	}
	return 0;
}

/* Nodes drained by an unfinished leave or reaped, or held by an earlier
 * join, take work again; one to be held again stays drained (its
 * agent's ready call undrains it). */
static void
resume_returning(struct api_admission **v, size_t n)
{
	struct sl_status st;
	char e[256];
	size_t i;

	for (i = 0; i < n; i++) {
		if (!v[i]->rejoin || v[i]->error[0] != '\0')
			continue;
		if (sl_node_status(v[i]->name, &st, e, sizeof(e)) != 0)
			log_warnx("%s: %s", v[i]->name, e);
		else if ((st.reaped_by_vnode || (!v[i]->hold &&
		    (st.drained_by_vnode || st.held_by_vnode))) &&
		    sl_node_resume(v[i]->name, e, sizeof(e)) != 0)
			log_warnx("%s: %s", v[i]->name, e);
	}
}

/* What slurmctld has loaded: name and address of each node. */
struct loaded {
	char (*name)[64];
	char (*addr)[64];
	size_t n, cap;
	int failed;
};

static void
add_loaded(void *arg, const char *name, const struct sl_status *st)
{
	struct loaded *l = arg;

	if (array_grow2(&l->name, sizeof(*l->name), &l->addr,
	    sizeof(*l->addr), &l->cap, l->n, 64) != 0) {
		l->failed = 1;
		return;
	}
	snprintf(l->name[l->n], sizeof(l->name[0]), "%s", name);
	snprintf(l->addr[l->n++], sizeof(l->addr[0]), "%s", st->addr);
}

/* Does slurmctld run with this fragment?  Not when a node of the batch
 * is missing or at another address, or a node that left is still there:
 * the file may have been written by a batch whose restart failed, or by
 * a hook killed before it restarted slurmctld. */
static int
loaded_differs(struct api_admission **v, size_t n, char (*gone)[64],
    size_t ngone)
{
	struct loaded l = { NULL, NULL, 0, 0, 0 };
	char e[256];
	size_t i, k;
	int differs = 0;

	if (sl_node_each(add_loaded, &l, e, sizeof(e)) != 0 || l.failed) {
		differs = 1;		/* cannot tell: restart to be sure */
		goto out;
	}
	for (i = 0; i < n && !differs; i++) {
		if (v[i]->error[0] != '\0')
			continue;	/* not in the fragment */
		for (k = 0; k < l.n; k++)
			if (strcmp(l.name[k], v[i]->name) == 0)
				break;
		differs = k == l.n || strcmp(l.addr[k], v[i]->addr) != 0;
	}
	for (i = 0; i < ngone && !differs; i++)
		for (k = 0; k < l.n && !differs; k++)
			differs = strcmp(l.name[k], gone[i]) == 0;
out:
	free(l.name);
	free(l.addr);
	return differs;
}

static void
batch_conf(struct api_admission **v, size_t n, char (*gone)[64],
    size_t ngone)
{
	char path_lock[PATH_MAX + 8], line[SL_LINE_MAX], e[512];
	struct frag f;
	size_t i;
	int lfd = -1, changed = 0, c;

	snprintf(path_lock, sizeof(path_lock), "%s.lock", cfg->fragment);
	if ((lfd = open(path_lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0 ||
	    flock(lfd, LOCK_EX) != 0) {
		errf(e, sizeof(e), "lock %s: %s", path_lock, strerror(errno));
		goto fail;
	}
	if (frag_read(cfg->fragment, &f, e, sizeof(e)) != 0)
		goto fail;
	for (i = 0; i < ngone; i++)
		changed |= frag_drop(&f, gone[i]);
	for (i = 0; i < n; i++) {
		if (frag_line(&v[i]->sn, line, sizeof(line)) != 0) {
			snprintf(v[i]->error, sizeof(v[i]->error), "node line "
			    "for %s too long", v[i]->name);
			continue;
		}
		if ((c = frag_set(&f, v[i]->name, line)) < 0) {
			frag_free(&f);
			errf(e, sizeof(e), "out of memory");
			goto fail;
		}
		changed |= c;
	}
	if (changed) {
		if (frag_write(cfg->fragment, &f, e, sizeof(e)) != 0) {
			frag_free(&f);
			goto fail;
		}
		log_info("fragment %s: %zu nodes (%zu joining, %zu leaving); "
		    "%s slurmctld", cfg->fragment, f.n, n, ngone,
		    cfg->apply_reconfigure ? "reconfiguring" : "restarting");
	}
	frag_free(&f);
	if (!changed && loaded_differs(v, n, gone, ngone)) {
		changed = 1;
		log_info("fragment %s: slurmctld runs with an older version; "
		    "%s it", cfg->fragment, cfg->apply_reconfigure ?
		    "reconfiguring" : "restarting");
	}
	/* the lock is held across the restart: another writer's change
	 * would otherwise slip in between and go unapplied */
	if (changed && apply_conf(e, sizeof(e)) != 0)
		goto fail;
	close(lfd);
	resume_returning(v, n);
	return;
fail:
	if (lfd >= 0)
		close(lfd);
	log_warnx("conf mode: %s", e);
	for (i = 0; i < n; i++)
		if (v[i]->error[0] == '\0')
			snprintf(v[i]->error, sizeof(v[i]->error), "%s", e);
}

/* ---- pool mode: slots ---- */

struct slots {
	char (*name)[64];
	size_t n, cap;
	size_t declared;
};

static void
add_slot(void *arg, const char *name, const struct sl_status *st)
{
	struct slots *s = arg;
	struct db_node held;
	char e[256];
	int rc;

	if (strncmp(name, cfg->name_prefix, strlen(cfg->name_prefix)) != 0)
		return;
	s->declared++;
	if (!st->future)
		return;
	/* a slot whose node is still joining in the registry is taken */
	rc = db_node_by_name(db, name, &held, e, sizeof(e));
	explicit_bzero(held.master, sizeof(held.master));
	if (rc == 0 && (strcmp(held.state, "joining") == 0 ||
	    strcmp(held.state, "admitted") == 0))
		return;
	if (array_grow(&s->name, &s->cap, s->n, sizeof(*s->name), 64) != 0)
		return;
	snprintf(s->name[s->n++], sizeof(s->name[0]), "%s", name);
}

static void
batch_pool(struct api_admission **v, size_t n)
{
	struct slots s = { NULL, 0, 0, 0 };
	struct sl_node *sn = NULL;
	size_t i, next = 0, k = 0;
	char e[256];

	if (sl_node_each(add_slot, &s, e, sizeof(e)) != 0 ||
	    ((sn = calloc(n, sizeof(*sn))) == NULL &&
	    snprintf(e, sizeof(e), "out of memory") > 0)) {
		for (i = 0; i < n; i++)
			snprintf(v[i]->error, sizeof(v[i]->error), "%s", e);
		goto out;
	}
	for (i = 0; i < n; i++) {
		/* a rejoin keeps its slot */
		if (v[i]->need_slot) {
			if (next == s.n) {
				snprintf(v[i]->error, sizeof(v[i]->error),
				    "no free slot in the pool (%zu nodes named "
				    "%s... in slurm.conf, none FUTURE and free)",
				    s.declared, cfg->name_prefix);
				continue;
			}
			if (db_node_rename(db, v[i]->id, s.name[next], e,
			    sizeof(e)) != 0) {
				snprintf(v[i]->error, sizeof(v[i]->error),
				    "registry: %s", e);
				continue;
			}
			snprintf(v[i]->name, sizeof(v[i]->name), "%s",
			    s.name[next++]);
		}
		sn[k] = v[i]->sn;
		sn[k++].name = v[i]->name;
	}
	if (k > 0 && sl_nodes_address(sn, k, e, sizeof(e)) != 0)
		for (i = 0; i < n; i++)
			if (v[i]->error[0] == '\0')
				snprintf(v[i]->error, sizeof(v[i]->error), "%s",
				    e);
	resume_returning(v, n);
out:
	free(s.name);
	free(sn);
}

static void
batch_dynamic(struct api_admission **v, size_t n)
{
	struct sl_node *sn;
	char (*errs)[256];
	size_t i;

	sn = calloc(n, sizeof(*sn));
	errs = calloc(n, sizeof(*errs));
	if (sn == NULL || errs == NULL) {
		for (i = 0; i < n; i++)
			snprintf(v[i]->error, sizeof(v[i]->error),
			    "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		sn[i] = v[i]->sn;
	sl_nodes_create(sn, n, errs);
	for (i = 0; i < n; i++)
		snprintf(v[i]->error, sizeof(v[i]->error), "%s", errs[i]);
out:
	free(sn);
	free(errs);
}

/* Elastic: CLOUD nodes of slurm.conf that power saving resumed; each
 * gets its instance's address (and host name), in one request.  Slurm
 * clears POWERING_UP when its slurmd registers. */
static void
batch_cloud(struct api_admission **v, size_t n)
{
	struct sl_node *sn;
	char e[256];
	size_t i;

	if ((sn = calloc(n, sizeof(*sn))) == NULL) {
		for (i = 0; i < n; i++)
			snprintf(v[i]->error, sizeof(v[i]->error),
			    "out of memory");
		return;
	}
	for (i = 0; i < n; i++)
		sn[i] = v[i]->sn;
	if (sl_nodes_address(sn, n, e, sizeof(e)) != 0)
		for (i = 0; i < n; i++)
			snprintf(v[i]->error, sizeof(v[i]->error), "%s", e);
	free(sn);
}

/* The nodes that asked for it are held: drained, in one request, until
 * their agents say their mounts are verified (POST /v1/ready), so that
 * no job starts on a node without its file systems while its slurmd
 * registers beside the mounts.  A hold that cannot be set is not a
 * failed join: that agent is told so and mounts before it starts
 * slurmd, as without a hold. */
static void
hold_batch(struct api_admission **v, size_t n)
{
	char *names = NULL, e[256];
	size_t i, len = 0, held = 0;
	FILE *m;

	if ((m = open_memstream(&names, &len)) == NULL) {
		log_warnx("holding the joining nodes: out of memory; their "
		    "agents mount first");
		return;
	}
	for (i = 0; i < n; i++)
		if (v[i]->hold && v[i]->error[0] == '\0')
			fprintf(m, "%s%s", held++ ? "," : "", v[i]->name);
	if (fclose(m) != 0 || names == NULL) {
		log_warnx("holding the joining nodes: out of memory; their "
		    "agents mount first");
		free(names);
		return;
	}
	if (held > 0 && sl_node_drain(names, SL_HOLD_REASON, e,
	    sizeof(e)) != 0)
		log_warnx("holding %s: %s; their agents mount before slurmd "
		    "starts instead", names, e);
	else
		for (i = 0; i < n; i++)
			v[i]->held = v[i]->hold && v[i]->error[0] == '\0';
	free(names);
}

static void
observe(double v, const double *bounds, unsigned long *bucket)
{
	int i;

	for (i = 0; i < ADMIT_BUCKETS; i++)
		if (v <= bounds[i])
			bucket[i]++;
}

static void
batch(struct api_admission *list, char (*gone)[64], size_t ngone)
{
	struct api_admission **v = NULL, *ad, *next;
	size_t n = 0, i, k, m;
	double start = mono_now(), took;

	for (ad = list; ad != NULL; ad = ad->next)
		n++;
	if (n > 0 && (v = calloc(n, sizeof(*v))) == NULL) {
		for (ad = list; ad != NULL; ad = next) {
			next = ad->next;
			snprintf(ad->error, sizeof(ad->error), "out of memory");
			done_fn(ad);
		}
		return;
	}
	for (i = 0, ad = list; ad != NULL; ad = ad->next)
		v[i++] = ad;
	for (i = 0; i < n; i++) {
		v[i]->error[0] = '\0';
		v[i]->held = 0;
		v[i]->sn.name = v[i]->name;
	}
	/* the overlay's peers first (overlay.c): a node is reachable the
	 * moment Slurm has it; one whose peer could not be set goes no
	 * further (to the back, out of the first m) */
	m = n;
	if (cfg->overlay != OVERLAY_OFF) {
		overlay_admit(cfg, v, n);
		for (i = 0; i < m;)
			if (v[i]->error[0] != '\0') {
				ad = v[--m];
				v[m] = v[i];
				v[i] = ad;
			} else
				i++;
	}
	/* the elastic nodes first (at the front), then the mode's own */
	for (i = k = 0; i < m; i++)
		if (v[i]->cloud) {
			ad = v[k];
			v[k++] = v[i];
			v[i] = ad;
		}
	if (k > 0)
		batch_cloud(v, k);
	switch (cfg->mode) {
	case ADMIT_CONF:
		/* (a batch of removals alone has no joins: v is NULL) */
		batch_conf(m > k ? v + k : NULL, m - k, gone, ngone);
		break;
	case ADMIT_POOL:
		if (m > k)
			batch_pool(v + k, m - k);
		break;
	default:
		if (m > k)
			batch_dynamic(v + k, m - k);
		break;
	}
	if (m > k)
		hold_batch(v + k, m - k);
	took = mono_now() - start;
	pthread_mutex_lock(&mu);
	if (n > 0) {
		stats.batches++;
		stats.size_sum += n;
		observe((double)n, admit_size_bounds, stats.size_bucket);
		stats.secs_sum += took;
		observe(took, admit_secs_bounds, stats.secs_bucket);
	}
	for (i = 0; i < n; i++)
		if (v[i]->error[0] != '\0')
			stats.failed++;
	pthread_mutex_unlock(&mu);
	if (n > 0)
		log_debug("admission batch of %zu in %.3f s", n, took);
	for (i = 0; i < n; i++) {
		v[i]->next = NULL;
		done_fn(v[i]);
	}
	free(v);
}

static void *
run(void *arg)
{
	struct api_admission *list;
	char (*gone)[64];
	size_t ngone;

	(void)arg;
	pthread_mutex_lock(&mu);
	for (;;) {
		while (queue == NULL && nremovals == 0 && !stopping)
			pthread_cond_wait(&cv, &mu);
		if (stopping)
			break;
		if (cfg->batch_window > 0) {
			/* let the rest of a burst arrive (admit_stop cuts the
			 * wait short: the flag is read under the lock) */
			struct timespec until;
			double end = wall_time() + cfg->batch_window;

			until.tv_sec = (time_t)end;
			until.tv_nsec = (long)((end - (double)until.tv_sec) * 1e9);
			while (!stopping && pthread_cond_timedwait(&cv, &mu,
			    &until) == 0)
				;
			if (stopping)
				break;
		}
		list = queue;
		queue = NULL;
		queue_tail = &queue;
		gone = removals;
		ngone = nremovals;
		removals = NULL;
		nremovals = capremovals = 0;
		pthread_mutex_unlock(&mu);
		batch(list, gone, ngone);
		free(gone);
		pthread_mutex_lock(&mu);
	}
	/* stopping: what is still queued is told so */
	list = queue;
	queue = NULL;
	queue_tail = &queue;
	pthread_mutex_unlock(&mu);
	while (list != NULL) {
		struct api_admission *next = list->next;

		snprintf(list->error, sizeof(list->error), "the hook is "
		    "stopping; try again");
		list->next = NULL;
		done_fn(list);
		list = next;
	}
	return NULL;
}

/* conf mode: what a batch will need, checked before the first one. */
static int
conf_ready(char *err, size_t errlen)
{
	char dir[PATH_MAX], cmd[sizeof(cfg->restart)], *slash;

	snprintf(dir, sizeof(dir), "%s", cfg->fragment);
	if ((slash = strrchr(dir, '/')) == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (access(dir, W_OK | X_OK) != 0)
		return errf(err, errlen, "fragment %s: cannot write in %s (%s): "
		    "the hook replaces the file there, so that directory must "
		    "be writable by the user it runs as", cfg->fragment, dir,
		    strerror(errno));
	if (cfg->apply_reconfigure)
		return 0;
	snprintf(cmd, sizeof(cmd), "%s", cfg->restart);
	cmd[strcspn(cmd, " \t")] = '\0';
	if (access(cmd, X_OK) != 0)
		return errf(err, errlen, "restart: %s: %s", cmd, strerror(errno));
	return 0;
}

/* conf mode, at start: lines of nodes that are no longer in the registry
 * as joining or admitted (a leave the hook stopped before applying) are
 * queued for removal. */
static int
reconcile(char *err, size_t errlen)
{
	struct db_node n;
	struct frag f;
	char e[256];
	size_t i;
	int rc;

	if (frag_read(cfg->fragment, &f, err, errlen) != 0)
		return -1;
	for (i = 0; i < f.n; i++) {
		rc = db_node_by_name(db, f.name[i], &n, e, sizeof(e));
		if (rc < 0) {
			frag_free(&f);
			return errf(err, errlen, "registry: %s", e);
		}
		explicit_bzero(n.master, sizeof(n.master));
		if (rc == 0 && (strcmp(n.state, "joining") == 0 ||
		    strcmp(n.state, "admitted") == 0))
			continue;
		log_info("fragment %s: %s is not admitted; removing it",
		    cfg->fragment, f.name[i]);
		if (admit_remove(f.name[i], err, errlen) != 0) {
			frag_free(&f);
			return -1;
		}
	}
	frag_free(&f);
	return 0;
}

int
admit_start(const struct hook_config *c,
    void (*done)(struct api_admission *ad), char *err, size_t errlen)
{
	int e;

	cfg = c;
	done_fn = done;
	if (db_open(c->database, &db, err, errlen) != 0)
		return -1;
	if (c->mode == ADMIT_CONF && (conf_ready(err, errlen) != 0 ||
	    reconcile(err, errlen) != 0)) {
		db_close(db);
		return -1;
	}
	if ((e = pthread_create(&thread, NULL, run, NULL)) != 0) {
		db_close(db);
		return errf(err, errlen, "admission thread: %s", strerror(e));
	}
	running = 1;
	return 0;
}

void
admit_submit(struct api_admission *ad)
{
	ad->next = NULL;
	pthread_mutex_lock(&mu);
	*queue_tail = ad;
	queue_tail = &ad->next;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
}

int
admit_remove(const char *name, char *err, size_t errlen)
{
	struct sl_status st;
	size_t i;

	/* a CLOUD node is slurm.conf's (elastic vnode powers it down): it is
	 * never deleted nor made a pool slot */
	if (sl_node_status(name, &st, err, errlen) != 0)
		return -1;
	if (st.cloud)
		return errf(err, errlen, "%s is a CLOUD node of slurm.conf: not "
		    "removed from Slurm (powered down instead)", name);
	switch (cfg->mode) {
	case ADMIT_POOL:
		return sl_node_future(name, err, errlen);
	case ADMIT_CONF:
		break;
	default:
		return sl_node_delete(name, err, errlen);
	}
	/* conf: never "scontrol delete" a node of slurm.conf (Slurm 22.05
	 * then dies at the next reconfigure); it leaves the fragment */
	pthread_mutex_lock(&mu);
	for (i = 0; i < nremovals; i++)
		if (strcmp(removals[i], name) == 0) {
			pthread_mutex_unlock(&mu);
			return 0;	/* queued already */
		}
	if (nremovals == MAX_REMOVALS || array_grow(&removals, &capremovals,
	    nremovals, sizeof(*removals), 16) != 0) {
		pthread_mutex_unlock(&mu);
		return errf(err, errlen, "too many nodes leaving at once");
	}
	snprintf(removals[nremovals++], sizeof(removals[0]), "%s", name);
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	return 0;
}

void
admit_stop(void)
{
	if (!running)
		return;
	pthread_mutex_lock(&mu);
	stopping = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(thread, NULL);
	running = 0;
	if (nremovals > 0)
		log_warnx("stopping with %zu nodes still to remove from %s; "
		    "they go at the next start", nremovals, cfg->fragment);
	free(removals);
	removals = NULL;
	capremovals = 0;
	db_close(db);
}

void
admit_stats_get(struct admit_stats *st)
{
	pthread_mutex_lock(&mu);
	*st = stats;
	pthread_mutex_unlock(&mu);
}
