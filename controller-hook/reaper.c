/*
 * reaper.c - see reaper.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reaper.h"
#include "slurm.h"
#include "util.h"

#define MAX_PASS 64		/* nodes looked at in one pass */

struct stale {
	struct db_node n[MAX_PASS];
	int count;
};

static void
collect(void *arg, const struct db_node *n)
{
	struct stale *s = arg;

	if (s->count < MAX_PASS)
		s->n[s->count++] = *n;
}

static void
reap(struct db *db, struct db_node *n, long now,
    void (*report)(const char *line))
{
	struct sl_status st;
	char err[512], line[700], reason[128];
	long quiet = now - (n->last_seen > n->updated ? n->last_seen :
	    n->updated);

	if (sl_node_status(n->name, &st, err, sizeof(err)) != 0) {
		snprintf(line, sizeof(line), "reaper: %s: %s", n->name, err);
		report(line);
		return;
	}
	/* late, but Slurm still hears from it: not gone */
	if (st.exists && st.responding && strncmp(st.state, "DOWN", 4) != 0)
		return;
	if (st.exists) {
		snprintf(reason, sizeof(reason), "vnode: reaped, silent for %ld s",
		    quiet);
		if (strncmp(st.state, "DOWN", 4) != 0 &&
		    sl_node_down(n->name, reason, err, sizeof(err)) != 0) {
			snprintf(line, sizeof(line), "reaper: %s: %s", n->name, err);
			report(line);
			return;
		}
		/* jobs still ending on it: the node goes on a later pass */
		if (st.busy || sl_node_delete(n->name, err, sizeof(err)) != 0) {
			snprintf(line, sizeof(line), "reaper: %s: silent for %ld s "
			    "and %s: set DOWN, its jobs requeued; removing it "
			    "once they are gone", n->name, quiet, st.state);
			report(line);
			return;
		}
	}
	snprintf(n->state, sizeof(n->state), "reaped");
	n->has_master = 0;
	explicit_bzero(n->master, sizeof(n->master));
	n->updated = now;
	if (db_node_update(db, n, err, sizeof(err)) != 0 ||
	    db_order_drop(db, n->name, err, sizeof(err)) != 0) {
		snprintf(line, sizeof(line), "reaper: %s: %s", n->name, err);
		report(line);
		return;
	}
	snprintf(line, sizeof(line), "reaper: %s: silent for %ld s and %s in "
	    "Slurm: removed", n->name, quiet, st.exists ? st.state :
	    "gone");
	report(line);
}

int
reaper_pass(struct db *db, const struct hook_config *cfg, long now,
    void (*report)(const char *line), char *err, size_t errlen)
{
	struct stale *s;
	int i;

	if (cfg->reap_after <= 0)
		return 0;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return errf(err, errlen, "out of memory");
	if (db_node_stale(db, now - cfg->reap_after, collect, s, err,
	    errlen) != 0) {
		free(s);
		return -1;
	}
	for (i = 0; i < s->count; i++)
		reap(db, &s->n[i], now, report);
	explicit_bzero(s, sizeof(*s));
	free(s);
	return 0;
}
