/*
 * provider.h - the clouds elastic vnode makes instances in (hookd.conf(5)
 * "provider"): local (node sandboxes on this host, through vnode-privd),
 * qemu (VMs of the vnode image on this host), exec (a site's program),
 * openstack (Nova).
 *
 * A provider is a table of calls over its own state.  They are made from
 * one thread (the provisioner's, provision.c), each bounded by the
 * provider's own timeouts; none may block longer than PROV_CALL_MAX
 * seconds.  Creation is asynchronous, as in Nova: create returns once the
 * cloud has taken the request (an id for each instance, or an error for
 * each), and list tells later what became of them.  Every instance carries
 * the name of the Slurm node it is for, as the cloud's tag, so that list
 * finds the hook's own instances (and only those) after a restart.
 */
#ifndef VNODE_HOOK_PROVIDER_H
#define VNODE_HOOK_PROVIDER_H

#include <stddef.h>

#include "config.h"

#define PROV_CALL_MAX		120	/* seconds */
#define PROV_ID_MAX		128
#define PROV_NODE_MAX		64
#define PROV_DETAIL_MAX		256
#define PROV_USER_DATA_MAX	16384	/* bytes; Nova allows 65535 after base64 */

enum prov_state {
	PROV_BUILDING,		/* accepted, not running yet */
	PROV_RUNNING,		/* the cloud says it runs (joined or not) */
	PROV_STOPPING,		/* being deleted */
	PROV_ERROR,		/* the cloud gave up on it (detail says why) */
	PROV_GONE		/* not there (deleted, or never made) */
};

/* One instance to make: the node it becomes, and its user data (a
 * cloud-config with the node's join token; text, the provider encodes it
 * as its cloud wants). */
struct prov_request {
	char node[PROV_NODE_MAX];
	const char *user_data;
	size_t user_data_len;
};

/* What the cloud says of one instance. */
struct prov_instance {
	char id[PROV_ID_MAX];		/* the cloud's id; "" when none */
	char node[PROV_NODE_MAX];	/* from its tag */
	enum prov_state state;
	long created;			/* unix time; 0 unknown */
	char detail[PROV_DETAIL_MAX];	/* the cloud's words, for an error */
};

struct provider {
	const char *name;		/* "local", "qemu", "exec", "openstack" */
	char info[PROV_DETAIL_MAX];	/* what it says of itself at open, for
					 * the log; "" nothing */
	void *st;
	/*
	 * Make n instances, one bulk request where the cloud has one.
	 * out[i] is what became of rq[i]: PROV_BUILDING (or RUNNING) with
	 * its id, or PROV_ERROR with the cloud's reason.  The number taken
	 * (0..n); -1 with err when the call itself failed and nothing was
	 * made (the cloud down, the credential refused, no quota at all).
	 */
	int (*create)(void *st, const struct prov_request *rq, size_t n,
	    struct prov_instance *out, char *err, size_t errlen);
	/*
	 * Delete instance id.  graceful: it is shut down the way the cloud
	 * shuts instances down (ACPI, SIGTERM to its init), so that its
	 * agent leaves first (checkpoints, requeues); the call returns once
	 * the cloud has the request.  0, or -1 with err; an id the cloud
	 * does not know is not an error (gone already).
	 */
	int (*destroy)(void *st, const char *id, int graceful, char *err,
	    size_t errlen);
	/* Every instance of this hook's (by its tag), allocated (free it). */
	int (*list)(void *st, struct prov_instance **out, size_t *n, char *err,
	    size_t errlen);
	void (*free)(void *st);
};

/* The provider hookd.conf names, ready for calls; err says what is
 * wrong with its settings. */
int provider_open(const struct hook_config *cfg, struct provider *p,
    char *err, size_t errlen);
void provider_close(struct provider *p);

/* "building", "running", "stopping", "error", "gone"; and back (0, or
 * -1 for another word). */
const char *prov_state_name(enum prov_state s);
int prov_state_parse(const char *s, enum prov_state *out);
/* A cloud's id as the hook keeps it: 1..127 printable characters, no
 * blank, quote or backslash. */
int prov_id_valid(const char *id);

/* The providers themselves (prov_*.c): fill p from cfg. */
int prov_local_open(const struct hook_config *cfg, struct provider *p,
    char *err, size_t errlen);
int prov_exec_open(const struct hook_config *cfg, struct provider *p,
    char *err, size_t errlen);
int prov_openstack_open(const struct hook_config *cfg, struct provider *p,
    char *err, size_t errlen);
int prov_qemu_open(const struct hook_config *cfg, struct provider *p,
    char *err, size_t errlen);

#endif
