/*
 * criu.c - see criu.h.
 */
#include <stdio.h>
#include <string.h>

#include "criu.h"
#include "spawn.h"
#include "util.h"

/* How much an error line says of the cause: 2 it is the cause, 1 a
 * task's end that CRIU reports after that task's own error, 0 the
 * summary. */
static int
weight(const char *msg)
{
	if (strstr(msg, "Dumping FAILED") != NULL ||
	    strstr(msg, "Restoring FAILED") != NULL)
		return 0;
	if (strstr(msg, " exited, status=") != NULL ||
	    strstr(msg, " killed by signal ") != NULL)
		return 1;
	return 2;
}

void
ckpt_log_error(const char *logpath, char *out, size_t outlen)
{
	char line[1024], kept[3][1024], *p, *q;
	FILE *fp;
	int i;

	out[0] = '\0';
	if ((fp = fopen(logpath, "re")) == NULL)
		return;
	for (i = 0; i < 3; i++)
		kept[i][0] = '\0';
	/* "(00.012345) Error (criu/files.c:123): what went wrong", also
	 * "(00.1) pie: 2: Error (criu/pie/restorer.c:9): ..." of a task;
	 * the last of each weight kept */
	while (fgets(line, sizeof(line), fp) != NULL) {
		if ((p = strstr(line, "Error (")) == NULL)
			continue;
		if ((q = strstr(p, "): ")) != NULL)
			p = q + 3;
		p[strcspn(p, "\n")] = '\0';
		p = str_trim(p);
		snprintf(kept[weight(p)], sizeof(kept[0]), "%s", p);
	}
	fclose(fp);
	for (i = 2; i >= 0 && out[0] == '\0'; i--)
		snprintf(out, outlen, "%s", kept[i]);
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
