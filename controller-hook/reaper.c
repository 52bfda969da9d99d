/*
 * reaper.c - see reaper.h.
 *
 * A pass reads the registry's admitted nodes and, with one request, every
 * node Slurm has; a node is only touched after it has been read again from
 * the registry, so that a join or a heartbeat that came meanwhile wins.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit.h"
#include "overlay.h"
#include "provision.h"
#include "reaper.h"
#include "slurm.h"
#include "util.h"

struct slurm_node {
	char name[64];
	struct sl_status st;
};

struct pass {
	struct db_node *nodes;		/* the registry's admitted nodes */
	size_t n, cap;
	struct slurm_node *sl;		/* Slurm's, sorted by name */
	size_t nsl, capsl;
	char (*reaped)[64];		/* the registry's reaped nodes, sorted */
	size_t nreaped, capreaped;
	int failed;
};

static void
add_node(void *arg, const struct db_node *n)
{
	struct pass *p = arg;

	if (array_grow(&p->nodes, &p->cap, p->n, sizeof(*p->nodes), 64) != 0) {
		p->failed = 1;
		return;
	}
	p->nodes[p->n] = *n;
	explicit_bzero(p->nodes[p->n].master, CRYPTO_KEY_LEN);
	p->nodes[p->n++].has_master = 0;
}

static void
add_reaped(void *arg, const struct db_node *n)
{
	struct pass *p = arg;

	if (array_grow(&p->reaped, &p->capreaped, p->nreaped,
	    sizeof(*p->reaped), 64) != 0) {
		p->failed = 1;
		return;
	}
	snprintf(p->reaped[p->nreaped++], sizeof(p->reaped[0]), "%s", n->name);
}

static int
by_text(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
add_slurm(void *arg, const char *name, const struct sl_status *st)
{
	struct pass *p = arg;

	if (strlen(name) >= sizeof(p->sl[0].name))
		return;
	if (array_grow(&p->sl, &p->capsl, p->nsl, sizeof(*p->sl), 64) != 0) {
		p->failed = 1;
		return;
	}
	snprintf(p->sl[p->nsl].name, sizeof(p->sl[0].name), "%s", name);
	p->sl[p->nsl++].st = *st;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct slurm_node *)a)->name,
	    ((const struct slurm_node *)b)->name);
}

static const struct sl_status *
slurm_state(const struct pass *p, const char *name)
{
	struct slurm_node key, *hit;

	if (p->nsl == 0)
		return NULL;
	snprintf(key.name, sizeof(key.name), "%s", name);
	hit = bsearch(&key, p->sl, p->nsl, sizeof(*p->sl), by_name);
	return hit != NULL ? &hit->st : NULL;
}

static long
last_contact(const struct db_node *n)
{
	return n->last_seen > n->updated ? n->last_seen : n->updated;
}

/* Still silent when read again now?  0 yes, 1 no (or gone), -1 error. */
static int
still_silent(struct db *db, const char *name, long before, struct db_node *n,
    char *err, size_t errlen)
{
	int rc = db_node_by_name(db, name, n, err, errlen);

	if (rc != 0)
		return rc;
	if (strcmp(n->state, "admitted") != 0 || last_contact(n) >= before)
		return 1;
	return 0;
}

static void
reap(struct db *db, const struct hook_config *cfg, const char *name,
    const struct sl_status *st, long now, long before,
    void (*report)(const char *line))
{
	struct db_node n;
	char err[512], line[800], reason[128];
	long quiet;
	int rc;

	if ((rc = still_silent(db, name, before, &n, err, sizeof(err))) != 0)
		goto out;
	quiet = now - last_contact(&n);
	if (st != NULL && !st->down) {
		snprintf(reason, sizeof(reason), SL_REAP_REASON ", silent for %ld s",
		    quiet);
		if (sl_node_down(name, reason, err, sizeof(err)) != 0) {
			rc = -1;
			goto out;
		}
		snprintf(line, sizeof(line), "reaper: %s: silent for %ld s and "
		    "%s in Slurm: set DOWN, its jobs requeued", name, quiet,
		    st->state);
		report(line);
		return;		/* removed on a later pass, its jobs gone */
	}
	if (st != NULL && st->busy)
		return;
	/* the registry first, in one transaction, if nothing came meanwhile:
	 * from then on the node's credential is void; then Slurm (retried on
	 * later passes while the node is still there) */
	if (db_begin(db, err, sizeof(err)) != 0) {
		rc = -1;
		goto out;
	}
	if ((rc = still_silent(db, name, before, &n, err, sizeof(err))) == 0) {
		snprintf(n.state, sizeof(n.state), "reaped");
		n.has_master = 0;
		explicit_bzero(n.master, sizeof(n.master));
		n.updated = now;
		if (db_node_update(db, &n, err, sizeof(err)) != 0 ||
		    db_order_drop(db, name, err, sizeof(err)) != 0 ||
		    db_commit(db, err, sizeof(err)) != 0)
			rc = -1;
	}
	if (rc != 0) {
		db_rollback(db);
		goto out;
	}
	/* its overlay peer goes (the address stays the node's) */
	if (cfg->overlay != OVERLAY_OFF && overlay_node_gone(db, cfg, n.id,
	    (double)now, err, sizeof(err)) != 0) {
		snprintf(line, sizeof(line), "reaper: %s: its overlay peer stays "
		    "until the next sync: %s", name, err);
		report(line);
	}
	if (st != NULL && (rc = provision_node_left(db, name, NULL,
	    "reaped", (double)now, err, sizeof(err))) < 0)
		goto out;
	if (st != NULL && rc == 0 && admit_remove(name, err,
	    sizeof(err)) != 0) {
		rc = -1;
		goto out;
	}
	rc = 0;
	snprintf(line, sizeof(line), "reaper: %s: silent for %ld s and %s in "
	    "Slurm: removed", name, quiet, st != NULL ? st->state : "gone");
	snprintf(reason, sizeof(reason), "reaped: silent for %ld s", quiet);
	if (db_event_add(db, (double)now, name, 0, "leave", reason, err,
	    sizeof(err)) != 0)
		report(err);
	report(line);
out:
	if (rc < 0) {
		snprintf(line, sizeof(line), "reaper: %s: %s", name, err);
		report(line);
	}
	explicit_bzero(&n, sizeof(n));
}

int
reaper_pass(struct db *db, const struct hook_config *cfg, long now,
    void (*report)(const char *line), char *err, size_t errlen)
{
	struct pass p;
	const struct sl_status *st;
	const struct db_node *n;
	char e[512], line[700];
	long before = now - cfg->reap_after;
	size_t i;
	int rc = -1;

	if (cfg->reap_after <= 0)
		return 0;
	memset(&p, 0, sizeof(p));
	/* the registry's admitted and reaped nodes, each in one query (not
	 * a look-up per node Slurm has: 0.43 s at 20,000 nodes) */
	if (db_node_stale(db, "admitted", now + 1, add_node, &p, err,
	    errlen) != 0 ||
	    db_node_stale(db, "reaped", now + 1, add_reaped, &p, err,
	    errlen) != 0 ||
	    sl_node_each(add_slurm, &p, err, errlen) != 0)
		goto out;
	if (p.failed) {
		errf(err, errlen, "out of memory");
		goto out;
	}
	if (p.nsl > 0)
		qsort(p.sl, p.nsl, sizeof(*p.sl), by_name);
	if (p.nreaped > 0)
		qsort(p.reaped, p.nreaped, sizeof(*p.reaped), by_text);
	/* reaped in the registry but still in Slurm (its removal failed, or
	 * its slurmd registered it again): remove it now */
	for (i = 0; i < p.nsl; i++) {
		if (p.sl[i].st.busy || p.sl[i].st.future || p.sl[i].st.cloud ||
		    p.nreaped == 0 || bsearch(p.sl[i].name, p.reaped,
		    p.nreaped, sizeof(*p.reaped), by_text) == NULL)
			continue;
		if (admit_remove(p.sl[i].name, e, sizeof(e)) != 0)
			snprintf(line, sizeof(line), "reaper: %s: %s", p.sl[i].name,
			    e);
		else
			snprintf(line, sizeof(line), "reaper: %s: reaped, and "
			    "removed from Slurm again", p.sl[i].name);
		report(line);
	}
	for (i = 0; i < p.n; i++) {
		n = &p.nodes[i];
		st = slurm_state(&p, n->name);
		if (last_contact(n) >= before) {
			/* heard from: if the reaper set it DOWN, it is back */
			if (st != NULL && st->reaped_by_vnode) {
				if (sl_node_resume(n->name, e, sizeof(e)) != 0)
					snprintf(line, sizeof(line), "reaper: %s: %s",
					    n->name, e);
				else
					snprintf(line, sizeof(line), "reaper: %s: heard "
					    "from again: resumed", n->name);
				report(line);
			}
			continue;
		}
		/* late, but Slurm still hears from it: not gone */
		if (st != NULL && st->responding && !st->down)
			continue;
		reap(db, cfg, n->name, st, now, before, report);
	}
	rc = 0;
out:
	free(p.nodes);
	free(p.sl);
	free(p.reaped);
	return rc;
}
