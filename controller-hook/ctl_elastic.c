/*
 * ctl_elastic.c - vnodectl's elastic commands (ctl_elastic.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "ctl_elastic.h"
#include "jsonutil.h"
#include "log.h"
#include "names.h"
#include "slurm.h"
#include "util.h"

#define RESUME_FILE_MAX	(4 * 1024 * 1024)
#define PROLOG_POLL	0.1		/* seconds, the first wait */
#define PROLOG_POLL_MAX	0.5		/* seconds, the longest (x1.5 each) */
#define PROLOG_SINGLE	8		/* nodes a job's prolog asks one by one */

/* Counts the names of a host list; a name that is not a node name (an
 * unbalanced range that Slurm's parser takes as a name) stops it. */
static int
count_name(void *arg, const char *name)
{
	if (!name_node_valid(name))
		return -1;
	(*(long *)arg)++;
	return 0;
}

/* The jobs SLURM_RESUME_FILE names (Slurm 22.05 and later, built with
 * json-c): "jobs 12,13" in out, or "" when there is no file (an admin's
 * resume, an older Slurm).  Read at once: Slurm removes it soon. */
static void
resume_jobs(char *out, size_t outsz)
{
	const char *path = getenv("SLURM_RESUME_FILE");
	struct json_object *o = NULL, *jobs, *j, *id;
	char *buf = NULL, err[256];
	size_t len, i, used;

	out[0] = '\0';
	if (path == NULL || path[0] != '/')
		return;
	if (read_file(path, RESUME_FILE_MAX, &buf, &len, err, sizeof(err)) != 0) {
		log_warnx("SLURM_RESUME_FILE: %s", err);
		return;
	}
	if ((o = js_parse(buf, len, err, sizeof(err))) == NULL) {
		log_warnx("SLURM_RESUME_FILE %s: %s", path, err);
		goto out;
	}
	if (!json_object_object_get_ex(o, "jobs", &jobs) ||
	    !json_object_is_type(jobs, json_type_array))
		goto out;
	used = (size_t)snprintf(out, outsz, "jobs ");
	for (i = 0; i < json_object_array_length(jobs) && used + 16 < outsz;
	    i++) {
		j = json_object_array_get_idx(jobs, i);
		if (!json_object_object_get_ex(j, "job_id", &id) ||
		    !json_object_is_type(id, json_type_int))
			continue;
		used += (size_t)snprintf(out + used, outsz - used, "%s%lld",
		    i ? "," : "", (long long)json_object_get_int64(id));
	}
	if (i < json_object_array_length(jobs))
		snprintf(out + used, outsz - used, ",...");
out:
	json_object_put(o);
	free(buf);
}

int
ctl_power(struct db *db, const struct hook_config *cfg, const char *action,
    const char *hostlist)
{
	char err[512], detail[1024];
	long n = 0;

	if (cfg->provider[0] == '\0')
		fatalx("%s %s: hookd.conf names no provider: elastic vnode is off",
		    action, hostlist);
	err[0] = '\0';
	if (sl_hostlist_each(hostlist, count_name, &n, err, sizeof(err)) != 0)
		fatalx("%s: %s", action, err[0] ? err : "not a host list of node "
		    "names (like cloud-[1-3,7])");
	if (strcmp(action, "resume") == 0)
		resume_jobs(detail, sizeof(detail));
	else
		snprintf(detail, sizeof(detail), "%s",
		    strcmp(action, "deprovision") == 0 ? "deprovisioned by an "
		    "admin" : strcmp(action, "suspend") == 0 ? "suspended by "
		    "Slurm" : "Slurm's ResumeTimeout passed");
	if (db_power_add(db, action, hostlist, detail, wall_time(), err,
	    sizeof(err)) != 0)
		fatalx("%s %s: %s", action, hostlist, err);
	log_info("%s %s: %ld node%s handed to vnode-hookd%s%s", action,
	    hostlist, n, n == 1 ? "" : "s", detail[0] ? "; " : "", detail);
	return 0;
}

int
ctl_deprovision(struct db *db, const struct hook_config *cfg, int argc,
    char *argv[])
{
	struct db_instance in;
	char err[256];
	int i, rc;

	if (argc < 2)
		fatalx("deprovision: which nodes?");
	for (i = 1; i < argc; i++) {
		if (!name_node_valid(argv[i]))
			fatalx("deprovision: \"%s\" is not a node name", argv[i]);
		if ((rc = db_instance_live(db, argv[i], &in, err,
		    sizeof(err))) < 0)
			fatalx("%s", err);
		if (rc > 0)
			fatalx("deprovision: %s has no instance of elastic vnode",
			    argv[i]);
	}
	for (i = 1; i < argc; i++)
		ctl_power(db, cfg, "deprovision", argv[i]);
	return 0;
}

struct pick {
	char (*names)[64];
	size_t n, cap, want;
	const char *in_part;		/* host list of the partition, or NULL */
	size_t busy;			/* CLOUD nodes not powered down */
};

static int
member(void *arg, const char *name)
{
	const char **want = arg;

	if (strcmp(*want, name) == 0) {
		*want = NULL;		/* found */
		return 1;
	}
	return 0;
}

static void
pick_node(void *arg, const char *name, const struct sl_status *st)
{
	struct pick *p = arg;
	const char *want = name;
	char err[256];

	if (!st->cloud)
		return;
	if (p->in_part != NULL) {
		sl_hostlist_each(p->in_part, member, &want, err, sizeof(err));
		if (want != NULL)
			return;		/* not in the partition */
	}
	if (!st->powered_down || st->powering_up || st->powering_down ||
	    !name_node_valid(name)) {
		p->busy++;
		return;
	}
	if (p->n == p->want)
		return;
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;
		char (*nn)[64] = realloc(p->names, cap * sizeof(*nn));

		if (nn == NULL)
			return;
		p->names = nn;
		p->cap = cap;
	}
	snprintf(p->names[p->n++], sizeof(p->names[0]), "%s", name);
}

int
ctl_provision(const struct hook_config *cfg, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "partition", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	struct pick p;
	char err[512], part[64] = "", *nodes = NULL;
	long want;
	size_t i;
	int ch, failed = 0;

	memset(&p, 0, sizeof(p));
	optind = 0;	/* glibc: start afresh, options may follow operands */
	while ((ch = getopt_long(argc, argv, "p:", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			if (!name_feature_valid(optarg) || strlen(optarg) >= 64)
				fatalx("--partition: \"%s\" is not a partition name",
				    optarg);
			snprintf(part, sizeof(part), "%s", optarg);
			break;
		default:
			fatalx("usage: provision N [--partition P]");
		}
	}
	if (optind != argc - 1 || parse_long(argv[optind], 1, 100000,
	    &want) != 0)
		fatalx("usage: provision N [--partition P] (N from 1 to 100000)");
	if (cfg->provider[0] == '\0')
		fatalx("provision: hookd.conf names no provider: elastic vnode is "
		    "off");
	if (sl_init(err, sizeof(err)) != 0)
		fatalx("slurm: %s", err);
	if (part[0] != '\0') {
		if ((nodes = malloc(65536)) == NULL)
			fatalx("out of memory");
		if ((ch = sl_partition_nodes(part, nodes, 65536, err,
		    sizeof(err))) < 0)
			fatalx("%s", err);
		if (ch > 0)
			fatalx("provision: Slurm has no partition %s", part);
		p.in_part = nodes;
	}
	p.want = (size_t)want;
	if (sl_node_each(pick_node, &p, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (p.n == 0)
		fatalx("provision: no powered down CLOUD node%s%s (%zu CLOUD "
		    "node%s up or on their way)", part[0] ? " in partition " :
		    "", part, p.busy, p.busy == 1 ? "" : "s");
	for (i = 0; i < p.n; i++) {
		/* Slurm resumes it: ResumeProgram, as for a job */
		if (sl_node_power_up(p.names[i], err, sizeof(err)) != 0) {
			log_warnx("%s", err);
			failed++;
			continue;
		}
		printf("%s\n", p.names[i]);
	}
	if ((long)p.n < want)
		log_warnx("provision: %zu of %ld: no more powered down CLOUD "
		    "nodes%s%s", p.n, want, part[0] ? " in partition " : "",
		    part);
	log_info("provision: %zu node%s powering up", p.n - (size_t)failed,
	    p.n - (size_t)failed == 1 ? "" : "s");
	free(p.names);
	free(nodes);
	sl_fini();
	return failed ? 1 : 0;
}

static void
fmt_age(double since, char *out, size_t outsz)
{
	double a = wall_time() - since;

	if (a < 120)
		snprintf(out, outsz, "%.0fs", a);
	else if (a < 7200)
		snprintf(out, outsz, "%.0fm", a / 60);
	else
		snprintf(out, outsz, "%.1fh", a / 3600);
}

static void
print_instance(void *arg, const struct db_instance *in)
{
	char age[16];
	int *recent = arg;

	/* the ended ones only of the last hour */
	if (*recent && (strcmp(in->state, "deleted") == 0 ||
	    strcmp(in->state, "failed") == 0) && wall_time() - in->updated > 3600)
		return;
	fmt_age(in->requested, age, sizeof(age));
	printf("%-6ld %-14s %-9s %-28s %-9s %6s  %s\n", in->id, in->node,
	    in->provider, in->cloud_id[0] ? in->cloud_id : "-", in->state, age,
	    in->detail[0] ? in->detail : in->why);
}

int
ctl_instances(struct db *db, int argc, char *argv[])
{
	char err[256];
	int recent = 1;

	if (argc == 2 && strcmp(argv[1], "--all") == 0)
		recent = 0;
	else if (argc != 1)
		fatalx("usage: instances [--all]");
	printf("%-6s %-14s %-9s %-28s %-9s %6s  %s\n", "ID", "NODE", "PROVIDER",
	    "CLOUD ID", "STATE", "AGE", "DETAIL");
	if (db_instance_each(db, 0, print_instance, &recent, err,
	    sizeof(err)) != 0)
		fatalx("%s", err);
	return 0;
}

int
ctl_slurm_conf(const struct hook_config *cfg, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "nodes", required_argument, NULL, 'n' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "memory", required_argument, NULL, 'm' },
		{ "partition", required_argument, NULL, 'p' },
		{ "features", required_argument, NULL, 'f' },
		{ "bindir", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 }
	};
	char nodes[256] = "cloud-[1-10]", part[64] = "cloud", feat[256];
	char bindir[1024] = VNODE_LIBDIR "/vnode", err[256];
	long cpus = 2, mem = 2000, n = 0;
	int ch, i;

	/* the site's features, so that NodeSet=... Feature= takes them */
	feat[0] = '\0';
	for (i = 0; i < cfg->nfeatures; i++)
		snprintf(feat + strlen(feat), sizeof(feat) - strlen(feat), "%s%s",
		    i ? "," : "", cfg->features[i]);
	optind = 0;	/* glibc: start afresh, options may follow operands */
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			if (strlen(optarg) >= sizeof(nodes) ||
			    sl_hostlist_each(optarg, count_name, &n, err,
			    sizeof(err)) != 0 || n == 0)
				fatalx("--nodes: \"%s\" is not a host list like "
				    "cloud-[1-100]", optarg);
			snprintf(nodes, sizeof(nodes), "%s", optarg);
			break;
		case 'c':
			if (parse_long(optarg, 1, 4096, &cpus) != 0)
				fatalx("--cpus: \"%s\" is not from 1 to 4096",
				    optarg);
			break;
		case 'm':
			if (parse_long(optarg, 1, 1L << 30, &mem) != 0)
				fatalx("--memory: \"%s\" is not MB", optarg);
			break;
		case 'p':
			if (!name_feature_valid(optarg) || strlen(optarg) >= 64)
				fatalx("--partition: \"%s\" is not a partition "
				    "name", optarg);
			snprintf(part, sizeof(part), "%s", optarg);
			break;
		case 'f':
			if (strlen(optarg) >= sizeof(feat) ||
			    strspn(optarg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"
			    "KLMNOPQRSTUVWXYZ0123456789_.-,") != strlen(optarg))
				fatalx("--features: \"%s\" is not a list of "
				    "features", optarg);
			snprintf(feat, sizeof(feat), "%s", optarg);
			break;
		case 'b':
			if (optarg[0] != '/' || strlen(optarg) >= sizeof(bindir))
				fatalx("--bindir: not an absolute path");
			snprintf(bindir, sizeof(bindir), "%s", optarg);
			break;
		default:
			fatalx("usage: slurm-conf [--nodes LIST] [--cpus N] "
			    "[--memory MB] [--partition P] [--features F] "
			    "[--bindir DIR]");
		}
	}
	if (optind != argc)
		fatalx("slurm-conf: unexpected \"%s\"", argv[optind]);
	printf("# elastic vnode: Slurm's power saving asks vnode-hookd (provider "
	    "%s) for\n# instances; add to slurm.conf, then restart slurmctld.\n",
	    cfg->provider[0] ? cfg->provider : "NONE: set provider in "
	    "hookd.conf");
	printf("ResumeProgram=%s/vnode-resume\n", bindir);
	printf("SuspendProgram=%s/vnode-suspend\n", bindir);
	printf("ResumeFailProgram=%s/vnode-resume-fail\n", bindir);
	printf("# a job starts the moment its resumed nodes are up, not at "
	    "Slurm's next look\nPrologSlurmctld=%s/vnode-prolog\n", bindir);
	printf("# how long an instance may take to boot and join; vnode-hookd "
	    "gives up 5 s\n# before (join_timeout = 0), deletes it and powers "
	    "the node down, never DOWN\nResumeTimeout=600\n");
	printf("SuspendTime=300\nSuspendTimeout=60\n");
	printf("ResumeRate=0\nSuspendRate=0\n");
	printf("# powered down CLOUD nodes are hidden otherwise, from "
	    "vnodectl provision too\nPrivateData=cloud\n");
	printf("# power saving is for every node: keep it off the others (your "
	    "partitions\n# without CLOUD nodes; dynamic nodes too, on 22.05)\n"
	    "#SuspendExcParts=...\n");
	printf("TreeWidth=65533\n");
	printf("SlurmctldParameters=enable_configless,idle_on_node_suspend,"
	    "cloud_dns\n");
	printf("NodeName=%s State=CLOUD CPUs=%ld RealMemory=%ld Feature=%s\n",
	    nodes, cpus, mem, feat);
	printf("PartitionName=%s Nodes=%s MaxTime=INFINITE State=UP\n", part,
	    nodes);
	return 0;
}

/*
 * PrologSlurmctld: slurmctld starts a batch job whose nodes were powered
 * up only at its next look (every 10 s, or 30 s) once they are up, but at
 * once when its slurmctld prolog ends.  So the prolog waits (bounded by
 * ResumeTimeout) until the job's nodes that are powering up have
 * registered, and always exits 0: a failing prolog would requeue the job.
 * For a job on nodes that are up already it returns after one look.
 */
struct names {
	char (*v)[64];
	size_t n, cap;
	size_t pending;
};

static int
add_name(void *arg, const char *name)
{
	struct names *w = arg;
	char (*nv)[64];

	if (strlen(name) >= sizeof(w->v[0]))
		return 0;
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 16;

		if (cap > 100000 || (nv = realloc(w->v, cap * sizeof(*nv))) ==
		    NULL)
			return -1;
		w->v = nv;
		w->cap = cap;
	}
	snprintf(w->v[w->n++], sizeof(w->v[0]), "%s", name);
	return 0;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/* A node of the job's that is not up yet: powering up, or still
 * powered down (the prolog starts with the allocation, before the power
 * saving thread has marked the node POWERING_UP). */
static void
count_powering_up(void *arg, const char *name, const struct sl_status *st)
{
	struct names *w = arg;

	if ((st->powering_up || st->powered_down) && bsearch(name, w->v, w->n,
	    sizeof(w->v[0]), cmp_name) != NULL)
		w->pending++;
}

int
ctl_prolog(void)
{
	struct sl_power_conf pc;
	struct names w = { NULL, 0, 0, 0 };
	const char *list = getenv("SLURM_JOB_NODELIST");
	const char *job = getenv("SLURM_JOB_ID");
	char err[512];
	double start = mono_now(), end, wait;
	int rc = 0;

	if (list == NULL || list[0] == '\0')
		return 0;
	if (sl_init(err, sizeof(err)) != 0) {
		log_warnx("prolog: slurm: %s", err);
		return 0;
	}
	if (sl_power_conf(&pc, err, sizeof(err)) != 0)
		pc.resume_timeout = 600;
	end = start + (double)pc.resume_timeout;
	if (sl_hostlist_each(list, add_name, &w, err, sizeof(err)) != 0) {
		log_warnx("prolog: job %s: %s", job != NULL ? job : "?", err);
		goto out;
	}
	qsort(w.v, w.n, sizeof(w.v[0]), cmp_name);
	/*
	 * A hundred jobs resumed at once are a hundred prologs: each asks
	 * for its own nodes only (a small answer, while slurmctld is busy
	 * registering nodes), and less often as the wait grows.
	 */
	for (wait = PROLOG_POLL;; wait = wait * 1.5 < PROLOG_POLL_MAX ?
	    wait * 1.5 : PROLOG_POLL_MAX) {
		w.pending = 0;
		if (w.n <= PROLOG_SINGLE) {
			struct sl_status st;
			size_t i;

			for (i = 0; i < w.n && rc == 0; i++)
				if ((rc = sl_node_status(w.v[i], &st, err,
				    sizeof(err))) == 0)
					count_powering_up(&w, w.v[i], &st);
		} else
			rc = sl_node_each(count_powering_up, &w, err,
			    sizeof(err));
		if (rc != 0) {
			log_warnx("prolog: job %s: %s", job != NULL ? job : "?",
			    err);
			break;
		}
		if (w.pending == 0 || mono_now() > end)
			break;
		sleep_seconds(wait, NULL);
	}
	if (w.pending > 0)
		log_warnx("prolog: job %s: %zu node%s still powering up after "
		    "%ld s", job != NULL ? job : "?", w.pending, w.pending == 1 ?
		    "" : "s", pc.resume_timeout);
out:
	free(w.v);
	sl_fini();
	return 0;
}
