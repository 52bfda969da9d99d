/*
 * os-client - the hook's OpenStack client (controller-hook/openstack.c)
 * driven from the command line, for the OpenStack tests.
 *
 *   os-client -f CONF auth
 *   os-client -f CONF create [-s] NODE=USERDATA-FILE ...
 *   os-client -f CONF list
 *   os-client -f CONF delete ID    (gracefully: stopped, then deleted)
 *   os-client -f CONF kill ID      (deleted at once)
 *   os-client -f CONF rounds N     (N lists in a row, then the token count)
 *
 * CONF holds the provider's keys of hookd.conf without their "openstack."
 * prefix (auth_url = ..., credentials = ..., image = ...).  A NODE with
 * "-" as its file has no user data.  Each instance is one line:
 *   ID NAME NODE STATUS STATE CREATED DETAIL
 * Errors go to standard error as the hook would log them; exit 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvconf.h"
#include "openstack.h"
#include "util.h"

static const char *const states[] = { "building", "running", "stopping",
	"error", "gone" };

static int
conf_line(void *arg, const char *key, const char *val, int lineno, char *err,
    size_t errlen)
{
	const char *what;

	(void)lineno;
	if (os_config_set(arg, key, val, &what) == 0)
		return 0;
	if (what == NULL)
		return errf(err, errlen, "unknown key \"%s\"", key);
	return errf(err, errlen, "%s: \"%s\" is not %s", key, val, what);
}

static void
print_server(const struct os_server *s)
{
	printf("%s %s %s %s %s %ld %s\n", s->id[0] ? s->id : "-",
	    s->name[0] ? s->name : "-", s->node[0] ? s->node : "-",
	    s->status[0] ? s->status : "-", states[s->state], s->created,
	    s->detail[0] ? s->detail : "-");
}

static int
usage(void)
{
	fprintf(stderr, "usage: os-client -f CONF auth | create NODE=FILE... | "
	    "list | delete ID | kill ID | rounds N\n");
	return 2;
}

int
main(int argc, char *argv[])
{
	struct os_config cfg;
	struct os_client *c = NULL;
	struct os_server *list = NULL, *out = NULL;
	struct os_create *req = NULL;
	struct os_stats st;
	char err[1024], *buf = NULL, **data = NULL;
	const char *cmd;
	size_t n = 0, i, len;
	long rounds;
	int rc = 1, k;

	if (argc < 4 || strcmp(argv[1], "-f") != 0)
		return usage();
	os_config_defaults(&cfg);
	if (read_file(argv[2], 65536, &buf, NULL, err, sizeof(err)) != 0 ||
	    kv_parse(buf, argv[2], conf_line, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "os-client: %s\n", err);
		goto out;
	}
	if (os_open(&cfg, &c, err, sizeof(err)) != 0) {
		fprintf(stderr, "os-client: %s\n", err);
		goto out;
	}
	cmd = argv[3];
	if (strcmp(cmd, "auth") == 0 && argc == 4) {
		if (os_auth(c, err, sizeof(err)) != 0)
			goto fail;
		printf("token: issued\n");
	} else if (strcmp(cmd, "list") == 0 && argc == 4) {
		if (os_servers_list(c, &list, &n, err, sizeof(err)) != 0)
			goto fail;
		for (i = 0; i < n; i++)
			print_server(&list[i]);
	} else if ((strcmp(cmd, "delete") == 0 || strcmp(cmd, "kill") == 0) &&
	    argc == 5) {
		if (os_server_delete(c, argv[4], strcmp(cmd, "delete") == 0, err,
		    sizeof(err)) != 0)
			goto fail;
		printf("deleted %s\n", argv[4]);
	} else if (strcmp(cmd, "rounds") == 0 && argc == 5) {
		if (parse_long(argv[4], 1, 1000, &rounds) != 0)
			return usage();
		for (k = 0; k < rounds; k++) {
			if (os_servers_list(c, &list, &n, err, sizeof(err)) != 0)
				goto fail;
			free(list);
			list = NULL;
		}
		os_stats_get(c, &st);
		printf("rounds %ld: tokens %lu, calls %lu\n", rounds, st.tokens,
		    st.calls);
	} else if (strcmp(cmd, "create") == 0 && argc >= 5) {
		n = (size_t)argc - 4;
		req = calloc(n, sizeof(*req));
		out = calloc(n, sizeof(*out));
		data = calloc(n, sizeof(*data));
		if (req == NULL || out == NULL || data == NULL) {
			fprintf(stderr, "os-client: out of memory\n");
			goto out;
		}
		for (i = 0; i < n; i++) {
			char *eq = strchr(argv[4 + i], '=');

			if (eq == NULL)
				return usage();
			*eq = '\0';
			req[i].node = argv[4 + i];
			if (strcmp(eq + 1, "-") == 0)
				continue;
			if (read_file(eq + 1, 1 << 20, &data[i], &len, err,
			    sizeof(err)) != 0) {
				fprintf(stderr, "os-client: %s\n", err);
				goto out;
			}
			req[i].user_data = data[i];
			req[i].user_data_len = len;
		}
		k = os_servers_create(c, req, n, out, err, sizeof(err));
		for (i = 0; i < n; i++)
			print_server(&out[i]);
		if (k < 0)
			goto fail;
		printf("accepted %d of %zu\n", k, n);
	} else
		return usage();
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "os-client: %s\n", err);
out:
	if (data != NULL)
		for (i = 0; i < n; i++)
			free(data[i]);
	free(data);
	free(req);
	free(out);
	free(list);
	free(buf);
	os_close(c);
	return rc;
}
