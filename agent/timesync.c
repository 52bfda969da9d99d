/*
 * timesync.c - see timesync.h.  chronyd is driven with chronyc, by
 * absolute path and argv, never a shell.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "atomicfile.h"
#include "names.h"
#include "spawn.h"
#include "timesync.h"
#include "util.h"

#define CHRONYC		"/usr/bin/chronyc"
#define POLL_INTERVAL	"0.1"

/* Fast first samples (16 a second), then chronyd backs off to normal
 * polling as the clock settles, so a thousand nodes do not keep the
 * controller's NTP server busy. */
#define SOURCE_LINE	"server %s iburst minpoll -4 maxpoll 6\n"

/* chronyc with argv (argv[0] is CHRONYC), its output in out. */
static int
chronyc(const char *const argv[], char *out, size_t outsz, char *err,
    size_t errlen)
{
	struct spawn sp;

	memset(&sp, 0, sizeof(sp));
	sp.argv = argv;
	sp.out = out;
	sp.outsz = outsz;
	sp.timeout = 10;
	return spawn_run(&sp, err, errlen);
}

int
time_point(const char *server, char *err, size_t errlen)
{
	const char *argv[] = { CHRONYC, "reload", "sources", NULL };
	char line[512], *old = NULL;
	int n;

	n = snprintf(line, sizeof(line), "# written by vnode-agent\n"
	    SOURCE_LINE, server);
	if (n < 0 || (size_t)n >= sizeof(line))
		return errf(err, errlen, "time server name too long");
	if (read_file(TIME_SOURCES_FILE, 4096, &old, NULL, NULL, 0) != 0 ||
	    strcmp(old, line) != 0) {
		if (af_write(TIME_SOURCES_FILE, line, (size_t)n, 0644,
		    (uid_t)-1, (gid_t)-1, err, errlen) != 0) {
			free(old);
			return -1;
		}
	}
	free(old);
	return chronyc(argv, NULL, 0, err, errlen);
}

/* chronyc -c tracking: refid,name,stratum,reftime,system,last,... */
static int
tracking(char *name, size_t namesz, double *system, double *last,
    char *err, size_t errlen)
{
	const char *argv[] = { CHRONYC, "-c", "-n", "tracking", NULL };
	char out[1024], *f[16], *p, *save = NULL;
	int n = 0;

	if (chronyc(argv, out, sizeof(out), err, errlen) != 0)
		return -1;
	for (p = strtok_r(out, ",\n", &save); p != NULL && n < 16;
	    p = strtok_r(NULL, ",\n", &save))
		f[n++] = p;
	if (n < 14)
		return errf(err, errlen, "chronyc tracking: unexpected output");
	snprintf(name, namesz, "%s", f[1]);
	*system = strtod(f[4], NULL);
	*last = strtod(f[5], NULL);
	return 0;
}

/*
 * A server whose packets reach us but do not count (reach stays 0): what
 * chronyd's ntpdata says of them.  1 with out filled when it answers.
 * CSV fields: 5 leap status, 8 stratum, the last four total TX, RX, valid
 * RX, good RX.
 */
static int
answers_but(const char *server, char *out, size_t outsz)
{
	const char *argv[] = { CHRONYC, "-c", "ntpdata", server, NULL };
	char buf[2048], why[256], *f[48], *p, *save = NULL;
	int n = 0;
	long rx;

	if (chronyc(argv, buf, sizeof(buf), why, sizeof(why)) != 0)
		return 0;
	buf[strcspn(buf, "\n")] = '\0';
	for (p = strtok_r(buf, ",", &save); p != NULL && n < 48;
	    p = strtok_r(NULL, ",", &save))
		f[n++] = p;
	if (n < 12 || parse_long(f[n - 3], 0, LONG_MAX, &rx) != 0 || rx == 0)
		return 0;
	if (strcmp(f[5], "Not synchronised") == 0)
		snprintf(out, outsz, "%s answers (%ld packets), but is not "
		    "synchronised itself (leap status: Not synchronised, "
		    "stratum %s): it has no time to serve; give it a time "
		    "source, or \"local stratum N\" in its chrony.conf", server,
		    rx, f[8]);
	else
		snprintf(out, outsz, "%s answers (%ld packets, leap status: %s, "
		    "stratum %s) but none passes chronyd's tests", server, rx,
		    f[5], f[8]);
	return 1;
}

/* Why chronyd is not synchronised to server, in words for the log. */
static void
why_not(const char *server, char *out, size_t outsz)
{
	/* -N: sources by the names they were given, as server is */
	const char *argv[] = { CHRONYC, "-c", "-N", "sources", NULL };
	char buf[4096], *line, *save = NULL, *f[8], *p, *s2;
	int n;

	if (chronyc(argv, buf, sizeof(buf), out, outsz) != 0)
		return;
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		s2 = NULL;
		for (n = 0, p = strtok_r(line, ",", &s2); p != NULL && n < 8;
		    p = strtok_r(NULL, ",", &s2))
			f[n++] = p;
		if (n < 6 || strcmp(f[2], server) != 0)
			continue;
		if (strcmp(f[5], "0") == 0 && !answers_but(server, out, outsz))
			snprintf(out, outsz, "no NTP answer from %s (is its time "
			    "server running, and UDP port 123 open?)", server);
		else if (strcmp(f[5], "0") == 0)
			;	/* answers_but said it */
		else
			snprintf(out, outsz, "%s answers (reach %s) but is not "
			    "selected (state %s)", server, f[5], f[1]);
		return;
	}
	snprintf(out, outsz, "%s is not among chronyd's sources", server);
}

int
time_wait(const char *server, double timeout, double max_offset,
    double *offset, char *err, size_t errlen)
{
	char tries[32], maxcorr[32], ref[256], why[512];
	const char *argv[] = { CHRONYC, "waitsync", tries, maxcorr, "0",
	    POLL_INTERVAL, NULL };
	struct spawn sp;
	double sys = 0, last = 0;

	snprintf(tries, sizeof(tries), "%ld", (long)(timeout / 0.1) + 1);
	snprintf(maxcorr, sizeof(maxcorr), "%g", max_offset);
	memset(&sp, 0, sizeof(sp));
	sp.argv = argv;
	sp.timeout = timeout + 10;
	if (spawn_run(&sp, why, sizeof(why)) != 0) {
		if (sp.status != 0 && WIFEXITED(sp.status))
			why_not(server, why, sizeof(why));
		return errf(err, errlen, "not synchronised with %s within %g s: "
		    "%s", server, timeout, why);
	}
	if (tracking(ref, sizeof(ref), &sys, &last, err, errlen) != 0)
		return -1;
	if (name_ipv4_valid(server) && strcmp(ref, server) != 0)
		return errf(err, errlen, "chronyd is synchronised to %s, not to "
		    "the controller's %s", ref, server);
	if (sys > max_offset || sys < -max_offset)
		return errf(err, errlen, "the clock is still %+.6f s off %s "
		    "(allowed: %g s)", sys, server, max_offset);
	*offset = last;
	return 0;
}

int
time_step(char *err, size_t errlen)
{
	const char *argv[] = { CHRONYC, "makestep", NULL };

	return chronyc(argv, NULL, 0, err, errlen);
}
