/*
 * slurmd.c - see slurmd.h.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <errno.h>
#include <sys/stat.h>

#include "atomicfile.h"
#include "daemon.h"
#include "slurmd.h"
#include "spawn.h"
#include "util.h"

#define SLURMD		"/usr/sbin/slurmd"
#define SCONTROL	"/usr/bin/scontrol"
/* where configless slurmd keeps what it fetched (SlurmdSpoolDir's default) */
#define SLURMD_CONF_CACHE "/var/spool/slurmd/conf-cache/slurm.conf"
#define STOP_TIMEOUT	30.0
#define SLURMD_UNIT	"slurmd.service"
/* a runtime drop-in: gone at the next boot, when the agent joins anew */
#define DROPIN_DIR	"/run/systemd/system/" SLURMD_UNIT ".d"
#define DROPIN		DROPIN_DIR "/vnode.conf"
/* configless: no /etc/slurm/slurm.conf, which the unit's condition wants */
#define UNIT_RESET	"[Unit]\nConditionPathExists=\n"

/* Under systemd: slurmd.service as Debian ships it, its command line set
 * by a drop-in (the unit's $SLURMD_OPTIONS would split --conf's value at
 * its spaces).  Every value here passed the name checks: no quote, '%',
 * '$' or '\\' to escape. */
static int
start_unit(const struct slurmd_params *p, const char *conf, char *err,
    size_t errlen)
{
	char text[2048];
	int n;

	if (p->dynamic)
		n = snprintf(text, sizeof(text), "# written by vnode-agent "
		    "for this boot\n" UNIT_RESET "[Service]\nExecStart=\n"
		    "ExecStart=" SLURMD " -D -s --conf-server %s -Z -N %s "
		    "--conf \"%s\"\n",
		    p->conf_server, p->node, conf);
	else
		n = snprintf(text, sizeof(text), "# written by vnode-agent "
		    "for this boot\n" UNIT_RESET "[Service]\nExecStart=\n"
		    "ExecStart=" SLURMD " -D -s --conf-server %s -N %s\n",
		    p->conf_server, p->node);
	if (n < 0 || (size_t)n >= sizeof(text))
		return errf(err, errlen, "slurmd's command line too long");
	if ((mkdir("/run/systemd/system", 0755) != 0 && errno != EEXIST) ||
	    (mkdir(DROPIN_DIR, 0755) != 0 && errno != EEXIST))
		return errf(err, errlen, "%s: %s", DROPIN_DIR, strerror(errno));
	if (af_write(DROPIN, text, (size_t)n, 0644, (uid_t)-1, (gid_t)-1, err,
	    errlen) != 0 ||
	    daemon_systemctl("daemon-reload", NULL, err, errlen) != 0 ||
	    daemon_systemctl("restart", SLURMD_UNIT, err, errlen) != 0)
		return -1;
	if (daemon_wait("slurmd", 10) != 0)
		return errf(err, errlen, SLURMD_UNIT " started, but no slurmd "
		    "is running; see journalctl -u slurmd and SlurmdLogFile");
	return 0;
}

int
slurmd_start(struct slurmd_params *p, char *err, size_t errlen)
{
	char conf[1300];
	const char *dyn[] = { SLURMD, "--conf-server", p->conf_server, "-Z",
	    "-N", p->node, "--conf", conf, NULL };
	const char *named[] = { SLURMD, "--conf-server", p->conf_server, "-N",
	    p->node, NULL };
	struct spawn sp;
	int n;

	n = snprintf(conf, sizeof(conf), "CPUs=%ld RealMemory=%ld Feature=%s",
	    p->cpus, p->memory_mb, p->features);
	if (n < 0 || (size_t)n >= sizeof(conf))
		return errf(err, errlen, "node parameters too long");
	if (daemon_find("slurmd") != 0 &&
	    daemon_stop("slurmd", STOP_TIMEOUT, err, errlen) != 0)
		return -1;
	p->unit = NULL;
	if (daemon_has_unit(SLURMD_UNIT)) {
		p->unit = SLURMD_UNIT;
		return start_unit(p, conf, err, errlen);
	}
	memset(&sp, 0, sizeof(sp));
	sp.argv = p->dynamic ? dyn : named;
	sp.timeout = 60;
	if (spawn_run(&sp, err, errlen) != 0)
		return -1;
	if (daemon_find("slurmd") == 0)
		return errf(err, errlen, "slurmd exited at start; see its log "
		    "(SlurmdLogFile)");
	return 0;
}

int
slurmd_running(void)
{
	return daemon_find("slurmd") != 0;
}

int
slurmd_stop(double timeout, char *err, size_t errlen)
{
	return daemon_stop("slurmd", timeout, err, errlen);
}

int
slurmd_node_known(const char *node, char *err, size_t errlen)
{
	const char *argv[] = { SCONTROL, "show", "node", node, NULL };
	const char *env[] = { "SLURM_CONF=" SLURMD_CONF_CACHE, NULL };
	char out[4096], e[512] = "", gone[128];
	struct spawn sp;

	if (access(SLURMD_CONF_CACHE, R_OK) != 0)
		return errf(err, errlen, "%s: no configuration from the "
		    "controller here", SLURMD_CONF_CACHE);
	memset(&sp, 0, sizeof(sp));
	sp.argv = argv;
	sp.env = env;
	sp.out = out;
	sp.outsz = sizeof(out);
	sp.timeout = 30;
	if (spawn_run(&sp, e, sizeof(e)) == 0 && strstr(out, "NodeName=") != NULL)
		return 1;
	/* scontrol's own words, on either stream, whatever the status */
	snprintf(gone, sizeof(gone), "Node %s not found", node);
	if (strstr(out, gone) != NULL || strstr(e, gone) != NULL)
		return 0;
	return errf(err, errlen, "scontrol: %s", e[0] ? e : "no answer");
}
