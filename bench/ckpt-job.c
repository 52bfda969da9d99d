/*
 * ckpt-job - bench/ckpt's job: MB mebibytes of memory filled with
 * pseudo-random (incompressible) data and touched, then a count, one line
 * a tenth of a second, each with the wall clock to the nanosecond:
 *
 *   ckpt-job MB [COUNT]
 *
 *   touched MB MiB in S s
 *   1 1764132000.123456789 n1
 *   2 1764132000.223612001 n1
 *   ...
 *
 * When the host name changes (the job was moved), it checks that its
 * memory is what it wrote and says so ("memory ok on n2, checked in S s"
 * or "memory BAD ..." and exit 3) after the first line from the new host,
 * so the check does not delay that line.  COUNT lines (0: for ever), a
 * last check, exit 0.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "util.h"

static uint64_t
next(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* 0 when the memory holds the sequence it was filled with */
static int
check(const uint64_t *w, size_t n)
{
	uint64_t s = 0x9e3779b97f4a7c15ULL;
	size_t i;

	for (i = 0; i < n; i++)
		if (w[i] != next(&s))
			return -1;
	return 0;
}

int
main(int argc, char *argv[])
{
	struct timespec ts, tick = { 0, 100000000L };
	struct utsname u;
	char host[sizeof(u.nodename)];
	uint64_t *w, s = 0x9e3779b97f4a7c15ULL;
	unsigned long mb;
	long count = 0, i;
	size_t n, k;
	double t0;
	char *end;

	if (argc < 2 || argc > 3)
		goto usage;
	errno = 0;
	mb = strtoul(argv[1], &end, 10);
	if (errno != 0 || *end != '\0' || mb == 0 || mb > 1UL << 20)
		goto usage;
	if (argc == 3) {
		count = strtol(argv[2], &end, 10);
		if (*end != '\0' || count < 0)
			goto usage;
	}
	n = (size_t)mb << 17;		/* 8-byte words in mb MiB */
	t0 = mono_now();
	if ((w = malloc(n * sizeof(*w))) == NULL) {
		fprintf(stderr, "ckpt-job: %lu MiB: out of memory\n", mb);
		return 1;
	}
	for (k = 0; k < n; k++)
		w[k] = next(&s);
	printf("touched %lu MiB in %.3f s\n", mb, mono_now() - t0);
	fflush(stdout);

	uname(&u);
	snprintf(host, sizeof(host), "%s", u.nodename);
	for (i = 1; count == 0 || i <= count; i++) {
		int moved;

		uname(&u);
		moved = strcmp(host, u.nodename) != 0;
		clock_gettime(CLOCK_REALTIME, &ts);
		printf("%ld %lld.%09ld %s\n", i, (long long)ts.tv_sec,
		    ts.tv_nsec, u.nodename);
		fflush(stdout);
		if (moved) {
			snprintf(host, sizeof(host), "%s", u.nodename);
			t0 = mono_now();
			if (check(w, n) != 0) {
				printf("memory BAD on %s\n", host);
				return 3;
			}
			printf("memory ok on %s, checked in %.3f s\n", host,
			    mono_now() - t0);
			fflush(stdout);
		}
		nanosleep(&tick, NULL);
	}
	if (check(w, n) != 0) {
		printf("memory BAD at the end\n");
		return 3;
	}
	printf("memory ok at the end\n");
	free(w);
	return 0;
usage:
	fprintf(stderr, "usage: ckpt-job MB [COUNT]\n");
	return 2;
}
