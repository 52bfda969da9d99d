/*
 * openstack.h - the hook's client for an OpenStack cloud: what the
 * openstack provider needs, and nothing more.
 *
 * Keystone v3 with an application credential (its ID and secret in a file
 * only the hook's user may read), the token kept and renewed before it
 * expires; Nova servers created (one request per instance, or one for
 * several that share their user data), deleted (gracefully: a clean
 * shutdown first, so the node's agent leaves), and listed by the tag that
 * marks the hook's own instances; image, flavor and network names looked
 * up in Glance, Nova and Neutron.  Every HTTP call is bounded by a connect
 * and a total timeout, and every call of this API by op_timeout in all.
 *
 * A leaf module: each function returns 0 (or a count) or -1 with one line
 * in the caller's buffer that says what was wrong; nothing is logged, and a
 * failed call leaves nothing half-done in the cloud.  The secret and the
 * tokens never reach an error string, and are wiped when no longer needed.
 * A client may be shared by threads: its calls take turns.
 */
#ifndef VNODE_HOOK_OPENSTACK_H
#define VNODE_HOOK_OPENSTACK_H

#include <limits.h>
#include <stdio.h>
#include <stddef.h>

/* The instance metadata the hook marks its instances with: the cluster's
 * tag, and the Slurm node each one is for.  The same tag is a Nova server
 * tag (what a list filters on). */
#define OS_META_TAG	"vnode_cluster"
#define OS_META_NODE	"vnode_node"
#define OS_USER_DATA_MAX 65535	/* Nova's limit, base64 bytes */

struct os_config {
	char auth_url[512];		/* Keystone v3, like https://cloud:5000/v3 */
	char credentials[PATH_MAX];	/* the application credential's file */
	char region[64];		/* "": any */
	char interface[16];		/* public (default), internal or admin */
	char cacert[PATH_MAX];		/* "": the system's CAs */
	char image[256];		/* name or ID */
	char flavor[256];		/* name or ID */
	char network[256];		/* name or ID; "": Nova chooses ("auto") */
	char security_group[256];	/* name; "": the project's default */
	char server_group[64];		/* ID; "": none */
	char tag[61];			/* marks the hook's instances */
	char key_name[256];		/* an SSH key pair's name, or "" */
	int config_drive;		/* 1: Nova attaches a config drive */
	double connect_timeout;		/* seconds, each HTTP call */
	double timeout;			/* seconds, each HTTP call in all */
	double op_timeout;		/* seconds, one call of this API in all
					 * (its HTTP calls together) */
	long build_timeout;		/* seconds in BUILD before it is an error */
	long renew_before;		/* renew the token this long before expiry */
};

/* Defaults: interface public, tag "vnode", connect 5 s, each HTTP call
 * 30 s, each call of this API 60 s, build_timeout 900 s, renew_before
 * 300 s; the rest empty. */
void os_config_defaults(struct os_config *cfg);

/* One hookd.conf key of the openstack provider (the part after
 * "openstack_"), with its value.  0; or -1, and *what says what the value
 * should be (NULL: the key is unknown). */
int os_config_set(struct os_config *cfg, const char *key, const char *value,
    const char **what);

/* The settings a provider cannot go without are there.  0, or -1 naming
 * the first that is missing. */
int os_config_check(const struct os_config *cfg, char *err, size_t errlen);
/* Every key os_config_set takes but op_timeout (the hook bounds a whole
 * call by provider_timeout), as "PREFIXkey = value" lines that
 * os_config_set reads back to cfg; an empty one as a comment
 * (vnode-hookd -n). */
void os_config_print(FILE *f, const char *prefix,
    const struct os_config *cfg);

/* A name or ID as the settings take them: printable, no blank at either
 * end, no quote or backslash (so a URL query or a JSON string holds it
 * escaped). */
int os_name_valid(const char *v);
/* http:// or https:// and something, without blanks, quotes or
 * backslashes. */
int os_url_valid(const char *v);

enum os_state {
	OS_BUILDING,	/* BUILD, within build_timeout */
	OS_RUNNING,	/* ACTIVE (and REBOOT, MIGRATING, ... which come back) */
	OS_STOPPING,	/* being stopped or deleted, SHUTOFF, PAUSED, SHELVED ... */
	OS_ERROR,	/* ERROR, UNKNOWN, or BUILD past build_timeout */
	OS_GONE		/* DELETED, SOFT_DELETED */
};

struct os_server {
	char id[64];			/* "" when not known (yet) */
	char name[256];
	char node[64];			/* its vnode_node metadata, or "" */
	char status[24];		/* Nova's, like ACTIVE */
	char task_state[32];		/* Nova's, or "" */
	enum os_state state;
	long created;			/* seconds since the epoch, 0 unknown */
	char detail[256];		/* why ERROR (Nova's fault), or "" */
	int placed;			/* Nova has chosen its host (hostId) */
};

struct os_create {
	const char *node;		/* instance name and vnode_node */
	const char *user_data;		/* raw; encoded here; may be NULL */
	size_t user_data_len;
};

struct os_client;

/* A client: the configuration copied, the credential file read and
 * checked (a regular file, not a link, owned by this process's user,
 * neither group nor others may read or write it; which check failed is
 * said).  No network call yet. */
int os_open(const struct os_config *cfg, struct os_client **out, char *err,
    size_t errlen);
/* Wipes the secret and the token. */
void os_close(struct os_client *c);

/* A valid token, asked for now unless the one held has more than
 * renew_before seconds left.  Every call below does this first. */
int os_auth(struct os_client *c, char *err, size_t errlen);

/*
 * Create n instances, one per request.  When all n have the same user data
 * (byte for byte), one Nova request creates them all (min_count 1,
 * max_count n; each one's node then set in its metadata); otherwise one
 * request each, in order, stopping at the first that fails.  out[i] gets
 * what is known (id, name, node, OS_BUILDING), or OS_ERROR and the reason
 * for those not created.  Returns how many were accepted; -1 with err when
 * none was (err says why: quota, image or flavor missing, ...).
 */
int os_servers_create(struct os_client *c, const struct os_create *req,
    size_t n, struct os_server *out, char *err, size_t errlen);

/* Delete one instance of ours.  graceful: Nova stops it first (an ACPI
 * shutdown, so that its agent leaves, bounded by Nova's shutdown_timeout
 * or the image's os_shutdown_timeout), then deletes it: Nova's delete
 * alone destroys the guest at once.  Returns once Nova has both requests.
 * An instance already gone is not an error; one without our tag is
 * refused. */
int os_server_delete(struct os_client *c, const char *id, int graceful,
    char *err, size_t errlen);

/* Our instances (the tag's), all pages; *out is the caller's to free. */
int os_servers_list(struct os_client *c, struct os_server **out, size_t *n,
    char *err, size_t errlen);

/* Counters, for /metrics and the tests. */
struct os_stats {
	unsigned long tokens;		/* tokens issued to us */
	unsigned long calls;		/* HTTP requests sent */
	unsigned long failures;		/* calls that returned -1 */
};
void os_stats_get(struct os_client *c, struct os_stats *st);

#endif
