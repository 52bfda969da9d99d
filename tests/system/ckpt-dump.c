/*
 * ckpt-dump - ckpt_dump and ckpt_resume from the command line, as the
 * agent calls them, for the system tests.
 *
 *   ckpt-dump -d CKPT_DIR [-r RUNTIME] [-c CRIU] [-n NODE] [-t SECONDS] JOB
 *   ckpt-dump -d CKPT_DIR [-r RUNTIME] -R JOB		(ckpt_resume)
 *
 * Prints "image N bytes B seconds S" and exits 0, or prints the reason on
 * standard error and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "dump.h"
#include "log.h"
#include "util.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: ckpt-dump -d ckpt_dir [-r runtime] [-c criu] "
	    "[-n node] [-t seconds] [-R] job\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct ckpt_conf c;
	struct ckpt_result r;
	const char *dir = NULL, *runtime = NULL, *criu = NULL, *node = NULL;
	char err[2048];
	double timeout = 60;
	long job;
	int ch, resume = 0;

	log_init("ckpt-dump", 0);
	while ((ch = getopt(argc, argv, "c:d:n:r:Rt:")) != -1) {
		switch (ch) {
		case 'c':
			criu = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'n':
			node = optarg;
			break;
		case 'r':
			runtime = optarg;
			break;
		case 'R':
			resume = 1;
			break;
		case 't':
			if (parse_seconds(optarg, 0.1, 86400, &timeout) != 0)
				fatalx("-t %s: not a number of seconds", optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1 || dir == NULL)
		usage();
	if (parse_long(argv[optind], 1, 0x7fffffffL, &job) != 0)
		fatalx("%s: not a job id", argv[optind]);
	if (ckpt_conf_init(&c, dir, runtime, criu, node, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (resume) {
		if (ckpt_resume(&c, (unsigned long)job, err, sizeof(err)) != 0)
			fatalx("resume: %s", err);
		printf("resumed job %ld\n", job);
		return 0;
	}
	if (ckpt_dump(&c, (unsigned long)job, timeout, &r, err,
	    sizeof(err)) != 0)
		fatalx("dump: %s", err);
	printf("image %ld bytes %llu seconds %.3f\n", r.image, r.bytes,
	    r.seconds);
	return 0;
}
