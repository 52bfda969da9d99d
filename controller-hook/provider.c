/*
 * provider.c - see provider.h: the provider hookd.conf names, and what
 * the providers share.
 */
#include <stdio.h>
#include <string.h>

#include "provider.h"
#include "util.h"

int
provider_open(const struct hook_config *cfg, struct provider *p, char *err,
    size_t errlen)
{
	memset(p, 0, sizeof(*p));
	if (strcmp(cfg->provider, "local") == 0)
		return prov_local_open(cfg, p, err, errlen);
	if (strcmp(cfg->provider, "exec") == 0)
		return prov_exec_open(cfg, p, err, errlen);
	if (strcmp(cfg->provider, "openstack") == 0)
		return prov_openstack_open(cfg, p, err, errlen);
	if (strcmp(cfg->provider, "qemu") == 0)
		return prov_qemu_open(cfg, p, err, errlen);
	return errf(err, errlen, "provider %s is not built into this hook",
	    cfg->provider);
}

void
provider_close(struct provider *p)
{
	if (p->free != NULL)
		p->free(p->st);
	memset(p, 0, sizeof(*p));
}

const char *
prov_state_name(enum prov_state s)
{
	switch (s) {
	case PROV_BUILDING:
		return "building";
	case PROV_RUNNING:
		return "running";
	case PROV_STOPPING:
		return "stopping";
	case PROV_ERROR:
		return "error";
	case PROV_GONE:
		return "gone";
	}
	return "unknown";
}

int
prov_state_parse(const char *s, enum prov_state *out)
{
	static const enum prov_state all[] = { PROV_BUILDING, PROV_RUNNING,
	    PROV_STOPPING, PROV_ERROR, PROV_GONE };
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(s, prov_state_name(all[i])) == 0) {
			*out = all[i];
			return 0;
		}
	return -1;
}

int
prov_id_valid(const char *id)
{
	size_t i, n = strlen(id);

	if (n == 0 || n >= PROV_ID_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (id[i] <= ' ' || id[i] > '~' || id[i] == '"' || id[i] == '\\')
			return 0;
	return 1;
}
