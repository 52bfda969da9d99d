/*
 * slurmd.c - see slurmd.h.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "daemon.h"
#include "slurmd.h"
#include "spawn.h"
#include "util.h"

#define SLURMD		SLURMD_PATH
#define SCONTROL	"/usr/bin/scontrol"
/* where configless slurmd keeps what it fetched (SlurmdSpoolDir's default) */
#define SLURMD_CONF_CACHE "/var/spool/slurmd/conf-cache/slurm.conf"
#define STOP_TIMEOUT	30.0
#define SLURMD_UNIT	"slurmd.service"
/* the drop-in the vnode-agent package ships (agent/slurmd-dropin.conf.in):
 * the unit runs "vnode-agent exec-slurmd", which reads ARGS_FILE */
#define DROPIN_NAME	SLURMD_UNIT ".d/vnode-agent.conf"
/* this boot's slurmd arguments, one per line: /run is gone at the next
 * boot, when the agent joins anew */
#define ARGS_DIR	"/run/vnode"
#define ARGS_FILE	ARGS_DIR "/slurmd.args"
#define ARGS_MAX	4096
#define ARGV_MAX	32

/* Under systemd: slurmd.service as Debian ships it, with the package's
 * drop-in, whose ExecStart runs exec-slurmd: the arguments go through a
 * file, not the unit (systemd would split --conf's value at its spaces,
 * and a drop-in written now would want a daemon-reload: 4 s of the join in
 * the VM benchmark).  Every argument passed the name checks: no newline. */
static int
start_unit(const char *const *args, char *err, size_t errlen)
{
	/* -D -s: in the foreground for systemd, as Debian's unit has it */
	char text[ARGS_MAX] = "-D\n-s\n";
	size_t len = strlen(text);
	int n;

	for (; *args != NULL; args++) {
		n = snprintf(text + len, sizeof(text) - len, "%s\n", *args);
		if (n < 0 || (size_t)n >= sizeof(text) - len)
			return errf(err, errlen, "slurmd's command line too "
			    "long");
		len += (size_t)n;
	}
	if (mkdir(ARGS_DIR, 0755) != 0 && errno != EEXIST)
		return errf(err, errlen, "%s: %s", ARGS_DIR, strerror(errno));
	if (af_write(ARGS_FILE, text, len, 0644, (uid_t)-1, (gid_t)-1, err,
	    errlen) != 0 ||
	    daemon_systemctl("restart", SLURMD_UNIT, err, errlen) != 0)
		return -1;
	if (daemon_wait(&daemon_slurmd, 10) != 0)
		return errf(err, errlen, SLURMD_UNIT " started, but no slurmd "
		    "is running; see journalctl -u slurmd and SlurmdLogFile");
	return 0;
}

int
slurmd_exec(char *err, size_t errlen)
{
	const char *argv[ARGV_MAX + 1];
	char *text, *line, *next;
	size_t len;
	int n = 0;

	if (read_file(ARGS_FILE, ARGS_MAX, &text, &len, err, errlen) != 0)
		return -1;
	argv[n++] = SLURMD;
	for (line = text; *line != '\0' && n < ARGV_MAX; line = next) {
		if ((next = strchr(line, '\n')) == NULL)
			break;
		*next++ = '\0';
		argv[n++] = line;
	}
	argv[n] = NULL;
	if (*line != '\0' || n == 1) {
		errf(err, errlen, "%s: %s", ARGS_FILE, *line == '\0' ?
		    "empty" : n == ARGV_MAX ? "too many arguments" :
		    "last line unterminated");
		free(text);
		return -1;
	}
	execv(SLURMD, (char *const *)(uintptr_t)argv);
	errf(err, errlen, "%s: %s", SLURMD, strerror(errno));
	free(text);
	return -1;
}

int
slurmd_start(struct slurmd_params *p, char *err, size_t errlen)
{
	char conf[1300];
	const char *dyn[] = { SLURMD, "--conf-server", p->conf_server, "-Z",
	    "-N", p->node, "--conf", conf, NULL };
	const char *named[] = { SLURMD, "--conf-server", p->conf_server, "-N",
	    p->node, p->cloud ? "-b" : NULL, NULL };
	struct spawn sp;
	int n;

	n = snprintf(conf, sizeof(conf), "CPUs=%ld RealMemory=%ld Feature=%s",
	    p->cpus, p->memory_mb, p->features);
	if (n < 0 || (size_t)n >= sizeof(conf))
		return errf(err, errlen, "node parameters too long");
	if (daemon_find(&daemon_slurmd) != 0 &&
	    daemon_stop(&daemon_slurmd, STOP_TIMEOUT, err, errlen) != 0)
		return -1;
	p->unit = NULL;
	p->why_direct = NULL;
	if (daemon_has_unit(SLURMD_UNIT)) {
		if (daemon_has_unit(DROPIN_NAME)) {
			p->unit = SLURMD_UNIT;
			return start_unit(p->dynamic ? dyn + 1 : named + 1,
			    err, errlen);
		}
		p->why_direct = SLURMD_UNIT " lacks vnode-agent's drop-in "
		    DROPIN_NAME;
	}
	memset(&sp, 0, sizeof(sp));
	sp.argv = p->dynamic ? dyn : named;
	sp.timeout = 60;
	if (spawn_run(&sp, err, errlen) != 0)
		return -1;
	if (daemon_find(&daemon_slurmd) == 0)
		return errf(err, errlen, "slurmd exited at start; see its log "
		    "(SlurmdLogFile)");
	return 0;
}

int
slurmd_running(void)
{
	return daemon_find(&daemon_slurmd) != 0;
}

int
slurmd_stop(double timeout, char *err, size_t errlen)
{
	/* first: slurmd.service cannot start the node again on its own (a
	 * systemctl start, a restart by hand) once it has left */
	if (unlink(ARGS_FILE) != 0 && errno != ENOENT)
		return errf(err, errlen, "%s: %s", ARGS_FILE, strerror(errno));
	return daemon_stop(&daemon_slurmd, timeout, err, errlen);
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
