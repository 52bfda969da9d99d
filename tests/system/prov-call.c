/*
 * prov-call - one call of the provider hookd.conf names, made as the hook
 * makes it, for the tests: they play the cloud (an instance deleted
 * behind the hook's back, as a spot instance is reclaimed).  Run as the
 * hook's user.
 *
 *   prov-call HOOKD.CONF create NODE    (user data on standard input)
 *   prov-call HOOKD.CONF delete ID graceful|force
 *   prov-call HOOKD.CONF list           "ID NODE STATE CREATED DETAIL"
 *
 * exit 0, or 1 with the provider's error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "provider.h"
#include "util.h"

#define USAGE "usage: prov-call HOOKD.CONF create NODE | delete ID " \
    "graceful|force | list"

int
main(int argc, char *argv[])
{
	struct hook_config cfg;
	struct provider p;
	struct prov_request rq;
	struct prov_instance out, *v = NULL;
	char err[1024], *ud;
	size_t n = 0, i;
	ssize_t got;
	int rc = 1;

	log_init("prov-call", 0);
	if (argc < 3)
		fatalx(USAGE);
	if (config_load(argv[1], &cfg, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (provider_open(&cfg, &p, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (strcmp(argv[2], "create") == 0 && argc == 4) {
		if ((ud = calloc(1, PROV_USER_DATA_MAX + 1)) == NULL)
			fatalx("out of memory");
		got = read(0, ud, PROV_USER_DATA_MAX);
		memset(&rq, 0, sizeof(rq));
		snprintf(rq.node, sizeof(rq.node), "%s", argv[3]);
		rq.user_data = ud;
		rq.user_data_len = got > 0 ? (size_t)got : 0;
		if (p.create(p.st, &rq, 1, &out, err, sizeof(err)) == 1) {
			printf("%s\n", out.id);
			rc = 0;
		} else
			log_warnx("create: %s", out.detail[0] ? out.detail : err);
		free(ud);
	} else if (strcmp(argv[2], "delete") == 0 && argc == 5) {
		if (p.destroy(p.st, argv[3], strcmp(argv[4], "graceful") == 0,
		    err, sizeof(err)) == 0)
			rc = 0;
		else
			log_warnx("delete: %s", err);
	} else if (strcmp(argv[2], "list") == 0 && argc == 3) {
		if (p.list(p.st, &v, &n, err, sizeof(err)) == 0) {
			for (i = 0; i < n; i++)
				printf("%s %s %s %ld %s\n", v[i].id,
				    v[i].node[0] ? v[i].node : "-",
				    prov_state_name(v[i].state), v[i].created,
				    v[i].detail);
			rc = 0;
		} else
			log_warnx("list: %s", err);
		free(v);
	} else
		fatalx(USAGE);
	provider_close(&p);
	return rc;
}
