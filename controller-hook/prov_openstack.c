/*
 * prov_openstack.c - provider = openstack: instances in Nova, through the
 * hook's client for OpenStack (openstack.c), with the settings of
 * hookd.conf's openstack_* keys (hookd.conf(5)).
 *
 * Per-instance user data: each node's user data holds its own join token,
 * so each instance is one POST /servers.  When the requests' user data are
 * alike byte for byte (one token for several), one POST makes them all
 * (min_count 1, max_count n), and each is renamed to its node.  Each
 * instance's node is in its metadata (vnode_node), with the hook's tag
 * (vnode_cluster = openstack_tag, and the same Nova server tag), so that
 * list finds the hook's instances, and only those, after a restart.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openstack.h"
#include "provider.h"
#include "util.h"

static enum prov_state
state_of(enum os_state s)
{
	switch (s) {
	case OS_BUILDING:
		return PROV_BUILDING;
	case OS_RUNNING:
		return PROV_RUNNING;
	case OS_STOPPING:
		return PROV_STOPPING;
	case OS_ERROR:
		return PROV_ERROR;
	case OS_GONE:
		break;
	}
	return PROV_GONE;
}

static void
to_prov(const struct os_server *s, struct prov_instance *pi)
{
	memset(pi, 0, sizeof(*pi));
	snprintf(pi->id, sizeof(pi->id), "%s", s->id);
	snprintf(pi->node, sizeof(pi->node), "%s", s->node);
	pi->state = state_of(s->state);
	pi->created = s->created;
	snprintf(pi->detail, sizeof(pi->detail), "%s", s->detail);
}

static int
osp_create(void *st, const struct prov_request *rq, size_t n,
    struct prov_instance *out, char *err, size_t errlen)
{
	struct os_create *req = NULL;
	struct os_server *sv = NULL;
	size_t i;
	int rc = -1;

	if (n == 0)
		return 0;
	if ((req = calloc(n, sizeof(*req))) == NULL ||
	    (sv = calloc(n, sizeof(*sv))) == NULL) {
		errf(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		req[i].node = rq[i].node;
		req[i].user_data = rq[i].user_data;
		req[i].user_data_len = rq[i].user_data_len;
	}
	rc = os_servers_create(st, req, n, sv, err, errlen);
	/* out[i] for rq[i]: the client's answers name their node */
	for (i = 0; i < n; i++) {
		size_t j;

		memset(&out[i], 0, sizeof(out[i]));
		snprintf(out[i].node, sizeof(out[i].node), "%s", rq[i].node);
		out[i].state = PROV_ERROR;
		snprintf(out[i].detail, sizeof(out[i].detail), "%s",
		    rc < 0 ? err : "not created");
		for (j = 0; j < n; j++)
			if (strcmp(sv[j].node, rq[i].node) == 0) {
				to_prov(&sv[j], &out[i]);
				break;
			}
		if (out[i].state == PROV_ERROR && out[i].detail[0] == '\0')
			snprintf(out[i].detail, sizeof(out[i].detail), "%s",
			    rc < 0 ? err : "not created");
	}
	if (rc < 0)
		rc = -1;
out:
	free(req);
	free(sv);
	return rc;
}

static int
osp_destroy(void *st, const char *id, int graceful, char *err, size_t errlen)
{
	return os_server_delete(st, id, graceful, err, errlen);
}

static int
osp_list(void *st, struct prov_instance **out, size_t *n, char *err,
    size_t errlen)
{
	struct os_server *sv = NULL;
	size_t i, k = 0;

	*out = NULL;
	*n = 0;
	if (os_servers_list(st, &sv, &k, err, errlen) != 0)
		return -1;
	if (k > 0 && (*out = calloc(k, sizeof(**out))) == NULL) {
		free(sv);
		return errf(err, errlen, "out of memory");
	}
	for (i = 0; i < k; i++)
		to_prov(&sv[i], &(*out)[i]);
	*n = k;
	free(sv);
	return 0;
}

static void
osp_free(void *st)
{
	os_close(st);
}

int
prov_openstack_open(const struct hook_config *cfg, struct provider *p,
    char *err, size_t errlen)
{
	struct os_config oc = cfg->openstack;
	struct os_client *c;

	/* one provider call in all, as the provisioner bounds them */
	oc.op_timeout = cfg->provider_timeout;
	if (oc.timeout > oc.op_timeout)
		oc.timeout = oc.op_timeout;
	if (oc.connect_timeout > oc.timeout)
		oc.connect_timeout = oc.timeout;
	if (os_open(&oc, &c, err, errlen) != 0)
		return -1;
	p->name = "openstack";
	p->st = c;
	p->create = osp_create;
	p->destroy = osp_destroy;
	p->list = osp_list;
	p->free = osp_free;
	return 0;
}
