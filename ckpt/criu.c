/*
 * criu.c - see criu.h.
 */
#include <stdio.h>
#include <string.h>

#include "criu.h"
#include "spawn.h"
#include "util.h"

void
ckpt_log_error(const char *logpath, char *out, size_t outlen)
{
	char line[1024], *p, *q;
	FILE *fp;

	out[0] = '\0';
	if ((fp = fopen(logpath, "re")) == NULL)
		return;
	/* "(00.012345) Error (criu/files.c:123): what went wrong" */
	while (fgets(line, sizeof(line), fp) != NULL) {
		/* the summary says only that it failed: keep the cause */
		if ((p = strstr(line, "Error (")) == NULL ||
		    (strstr(p, "Dumping FAILED") != NULL && out[0] != '\0') ||
		    (strstr(p, "Restoring FAILED") != NULL && out[0] != '\0'))
			continue;
		if ((q = strstr(p, "): ")) != NULL)
			p = q + 3;
		p[strcspn(p, "\n")] = '\0';
		snprintf(out, outlen, "%s", str_trim(p));
	}
	fclose(fp);
}

/* "Version: 4.1.1" from criu --version */
void
ckpt_criu_version(const char *criu, char *out, size_t outlen)
{
	const char *argv[] = { criu, "--version", NULL };
	struct spawn sp;
	char buf[256], why[256], *p;

	snprintf(out, outlen, "unknown");
	memset(&sp, 0, sizeof(sp));
	sp.argv = argv;
	sp.out = buf;
	sp.outsz = sizeof(buf);
	sp.timeout = 10;
	if (spawn_run(&sp, why, sizeof(why)) != 0)
		return;
	if ((p = strstr(buf, "Version:")) != NULL) {
		p += strlen("Version:");
		p += strspn(p, " \t");
		p[strcspn(p, " \t\n")] = '\0';
		snprintf(out, outlen, "%s", p);
	}
}
