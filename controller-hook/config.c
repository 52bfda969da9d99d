/*
 * config.c - hookd.conf: "key = value" lines, '#' comments.  Each key is
 * one branch calling a typed, bounded parser; an unknown key or a bad value
 * is an error naming the file and line.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "kvconf.h"
#include "names.h"
#include "util.h"

#define MAX_CONFIG (64 * 1024)

static void
defaults(struct hook_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen_host, sizeof(c->listen_host), "*");
	c->listen_port = 8181;
	c->tls = 1;
	snprintf(c->database, sizeof(c->database), "/var/lib/vnode/hookd.db");
	snprintf(c->munge_key, sizeof(c->munge_key), "/etc/vnode/munge.key");
	snprintf(c->admit, sizeof(c->admit), "dynamic");
	snprintf(c->name_prefix, sizeof(c->name_prefix), "vm-");
	snprintf(c->features[0], sizeof(c->features[0]), "vnode");
	c->nfeatures = 1;
	c->clock_skew = 120;
	c->max_body = 65536;
	c->default_uses = 1;
	c->default_ttl = 900;
	c->max_connections = 4096;
	c->reap_after = 600;
	c->batch_window = -1;		/* the mode's own */
	c->move_interval = 1;
	snprintf(c->fragment, sizeof(c->fragment),
	    "/etc/slurm/vnode-nodes.conf");
	snprintf(c->restart, sizeof(c->restart), "/usr/bin/systemctl restart slurmctld");
	c->provider_timeout = 60;
	c->provider_backoff = 300;
	c->orphan_grace = 600;
	c->sync_interval = 30;
	c->max_instances = 1000;
	os_config_defaults(&c->openstack);
	snprintf(c->local_socket, sizeof(c->local_socket),
	    "/run/vnode/privd.sock");
	snprintf(c->qemu.state_dir, sizeof(c->qemu.state_dir),
	    "/var/lib/vnode/qemu");
	snprintf(c->qemu.program, sizeof(c->qemu.program),
	    "/usr/bin/qemu-system-x86_64");
	snprintf(c->qemu.accel, sizeof(c->qemu.accel), "auto");
	snprintf(c->qemu.tap_prefix, sizeof(c->qemu.tap_prefix), "vn");
	c->qemu.memory = 1024;
	c->qemu.cpus = 1;
	c->qemu.stop_timeout = 180;
	c->overlay_max_peers = 1000;
	c->overlay_keepalive = 25;
}

/* A host name or IPv4 address, with an optional :port. */
static int
parse_endpoint(const char *v, char *dst, size_t dstsz)
{
	if ((!name_hostport_valid(v) && !name_host_valid(v) &&
	    !name_ipv4_valid(v)) || strlen(v) >= dstsz)
		return -1;
	snprintf(dst, dstsz, "%s", v);
	return 0;
}

/* Networks, comma-separated ("" none). */
static int
parse_routes(const char *v, struct hook_config *c)
{
	char buf[1024], *tok, *save = NULL;

	if (strlen(v) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", v);
	c->noverlay_routes = 0;
	for (tok = strtok_r(buf, ", \t", &save); tok != NULL;
	    tok = strtok_r(NULL, ", \t", &save)) {
		if (c->noverlay_routes == CONFIG_MAX_ROUTES ||
		    wg_net_parse_strict(tok,
		    &c->overlay_routes[c->noverlay_routes]) != 0 ||
		    c->overlay_routes[c->noverlay_routes].prefix < 8)
			return -1;
		c->noverlay_routes++;
	}
	return 0;
}

/* http:// or https://, a host, an optional port, no path, query or
 * anything a cloud-config would have to quote */
static int
parse_url(const char *v, char *dst, size_t dstsz)
{
	const char *h;
	size_t i;

	if (strncmp(v, "http://", 7) == 0)
		h = v + 7;
	else if (strncmp(v, "https://", 8) == 0)
		h = v + 8;
	else
		return -1;
	if (!name_hostport_valid(h) && !name_host_valid(h))
		return -1;
	for (i = 0; v[i] != '\0'; i++)
		if (v[i] <= ' ' || v[i] > '~' || strchr("\"'\\#{}[]", v[i]))
			return -1;
	if (strlen(v) >= dstsz)
		return -1;
	snprintf(dst, dstsz, "%s", v);
	return 0;
}

static int
parse_listen(const char *v, struct hook_config *c)
{
	const char *colon = strrchr(v, ':');
	long port;
	size_t n;

	if (colon == NULL || parse_long(colon + 1, 1, 65535, &port) != 0)
		return -1;
	n = (size_t)(colon - v);
	if (n == 0 || n >= sizeof(c->listen_host))
		return -1;
	memcpy(c->listen_host, v, n);
	c->listen_host[n] = '\0';
	if (strcmp(c->listen_host, "*") != 0 && !name_ipv4_valid(c->listen_host))
		return -1;
	c->listen_port = (int)port;
	return 0;
}

static int
parse_features(const char *v, struct hook_config *c)
{
	char buf[1024], *tok, *save = NULL;

	if (strlen(v) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", v);
	c->nfeatures = 0;
	for (tok = strtok_r(buf, ", \t", &save); tok != NULL;
	    tok = strtok_r(NULL, ", \t", &save)) {
		if (!name_feature_valid(tok) || c->nfeatures >= CONFIG_MAX_FEATURES)
			return -1;
		snprintf(c->features[c->nfeatures++], sizeof(c->features[0]),
		    "%s", tok);
	}
	return c->nfeatures > 0 ? 0 : -1;
}

/* Partition names, comma-separated; "" (none) turns the mover off. */
static int
parse_partitions(const char *v, struct hook_config *c)
{
	char buf[1200], *tok, *save = NULL;

	if (strlen(v) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", v);
	c->nckpt_partitions = 0;
	for (tok = strtok_r(buf, ", \t", &save); tok != NULL;
	    tok = strtok_r(NULL, ", \t", &save)) {
		if (!name_feature_valid(tok) ||
		    c->nckpt_partitions >= CONFIG_MAX_PARTITIONS)
			return -1;
		snprintf(c->ckpt_partitions[c->nckpt_partitions++],
		    sizeof(c->ckpt_partitions[0]), "%s", tok);
	}
	return 0;
}

static int
set_path(char *dst, size_t dstsz, const char *v)
{
	if (v[0] != '/' || strlen(v) >= dstsz)
		return -1;
	snprintf(dst, dstsz, "%s", v);
	return 0;
}

/* A network interface's name as vnode-privd takes it: [a-z][a-z0-9-],
 * at most 15. */
static int
ifname_valid(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 15 && s[0] >= 'a' && s[0] <= 'z' &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* FIRST-LAST/PREFIX, FIRST <= LAST, both in the network of PREFIX. */
static int
parse_range(const char *v, struct hook_qemu *q)
{
	char buf[64], *dash, *slash;
	struct in_addr a, b;
	uint32_t mask;
	long pl;

	if (strlen(v) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", v);
	if ((dash = strchr(buf, '-')) == NULL ||
	    (slash = strchr(dash, '/')) == NULL)
		return -1;
	*dash = *slash = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1 ||
	    inet_pton(AF_INET, dash + 1, &b) != 1 ||
	    parse_long(slash + 1, 8, 30, &pl) != 0)
		return -1;
	mask = ~0u << (32 - pl);
	if (ntohl(a.s_addr) > ntohl(b.s_addr) ||
	    (ntohl(a.s_addr) & mask) != (ntohl(b.s_addr) & mask))
		return -1;
	/* (inet_pton took them: at most 15 characters each) */
	str_copy(q->first, sizeof(q->first), buf);
	str_copy(q->last, sizeof(q->last), dash + 1);
	q->prefix = (int)pl;
	return 0;
}

/* The qemu_ keys (provider = qemu).  0, or -1 with what set (NULL: no
 * such key). */
static int
qemu_directive(struct hook_qemu *q, const char *key, const char *v,
    const char **what)
{
	if (strcmp(key, "qemu_image") == 0) {
		*what = "an absolute path without ','";
		return strchr(v, ',') != NULL ? -1 :
		    set_path(q->image, sizeof(q->image), v);
	} else if (strcmp(key, "qemu_bridge") == 0) {
		*what = "an interface name ([a-z][a-z0-9-], at most 15)";
		if (!ifname_valid(v))
			return -1;
		snprintf(q->bridge, sizeof(q->bridge), "%s", v);
		return 0;
	} else if (strcmp(key, "qemu_state_dir") == 0) {
		/* room for ID/qmp.sock in a unix socket's 107 characters */
		*what = "an absolute path of at most 32 characters, without ','";
		return strlen(v) > 32 || strchr(v, ',') != NULL ? -1 :
		    set_path(q->state_dir, sizeof(q->state_dir), v);
	} else if (strcmp(key, "qemu_program") == 0) {
		*what = "an absolute path";
		return set_path(q->program, sizeof(q->program), v);
	} else if (strcmp(key, "qemu_accel") == 0) {
		*what = "auto, kvm or tcg";
		if (strcmp(v, "auto") != 0 && strcmp(v, "kvm") != 0 &&
		    strcmp(v, "tcg") != 0)
			return -1;
		snprintf(q->accel, sizeof(q->accel), "%s", v);
		return 0;
	} else if (strcmp(key, "qemu_memory") == 0) {
		*what = "MiB from 256 to 1048576";
		return parse_long(v, 256, 1048576, &q->memory);
	} else if (strcmp(key, "qemu_cpus") == 0) {
		*what = "a number from 1 to 256";
		return parse_long(v, 1, 256, &q->cpus);
	} else if (strcmp(key, "qemu_addresses") == 0) {
		*what = "dhcp, or FIRST-LAST/PREFIX in one network, like "
		    "10.77.0.60-10.77.0.99/24";
		if (strcmp(v, "dhcp") == 0) {
			q->first[0] = q->last[0] = '\0';
			return 0;
		}
		return parse_range(v, q);
	} else if (strcmp(key, "qemu_gateway") == 0) {
		*what = "an IPv4 address, or none";
		if (strcmp(v, "none") == 0) {
			q->gateway[0] = '\0';
			return 0;
		}
		if (!name_ipv4_valid(v))
			return -1;
		snprintf(q->gateway, sizeof(q->gateway), "%s", v);
		return 0;
	} else if (strcmp(key, "qemu_tap_prefix") == 0) {
		*what = "2 to 4 lowercase letters (vnode-privd's tap_prefix)";
		if (strlen(v) < 2 || strlen(v) > 4 ||
		    strspn(v, "abcdefghijklmnopqrstuvwxyz") != strlen(v))
			return -1;
		snprintf(q->tap_prefix, sizeof(q->tap_prefix), "%s", v);
		return 0;
	} else if (strcmp(key, "qemu_stop_timeout") == 0) {
		*what = "a duration from 10s to 1h";
		return parse_duration(v, 10, 3600, &q->stop_timeout);
	}
	*what = NULL;
	return -1;
}

/* One directive.  Returns 0, or -1 with what (the expected form) set. */
static int
directive(struct hook_config *c, const char *key, const char *v,
    const char **what)
{
	if (strcmp(key, "listen") == 0) {
		*what = "an IPv4 address or * and a port, like 10.0.0.1:8181";
		return parse_listen(v, c);
	} else if (strcmp(key, "tls") == 0) {
		*what = "on or off";
		if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
			return -1;
		c->tls = strcmp(v, "on") == 0;
		return 0;
	} else if (strcmp(key, "tls_cert") == 0) {
		*what = "an absolute path";
		return set_path(c->tls_cert, sizeof(c->tls_cert), v);
	} else if (strcmp(key, "tls_key") == 0) {
		*what = "an absolute path";
		return set_path(c->tls_key, sizeof(c->tls_key), v);
	} else if (strcmp(key, "database") == 0) {
		*what = "an absolute path";
		return set_path(c->database, sizeof(c->database), v);
	} else if (strcmp(key, "munge_key") == 0) {
		*what = "an absolute path";
		return set_path(c->munge_key, sizeof(c->munge_key), v);
	} else if (strcmp(key, "conf_server") == 0) {
		*what = "host:port of slurmctld, like ctl.example.org:6817";
		if (!name_hostport_valid(v) || strlen(v) >= sizeof(c->conf_server))
			return -1;
		snprintf(c->conf_server, sizeof(c->conf_server), "%s", v);
		return 0;
	} else if (strcmp(key, "admit") == 0) {
		*what = "dynamic, pool or conf";
		if (strcmp(v, "dynamic") == 0)
			c->mode = ADMIT_DYNAMIC;
		else if (strcmp(v, "pool") == 0)
			c->mode = ADMIT_POOL;
		else if (strcmp(v, "conf") == 0)
			c->mode = ADMIT_CONF;
		else
			return -1;
		snprintf(c->admit, sizeof(c->admit), "%s", v);
		return 0;
	} else if (strcmp(key, "addr") == 0) {
		*what = "source, reported or metadata";
		if (strcmp(v, "source") == 0)
			c->addr = ADDR_SOURCE;
		else if (strcmp(v, "reported") == 0)
			c->addr = ADDR_REPORTED;
		else if (strcmp(v, "metadata") == 0)
			c->addr = ADDR_METADATA;
		else
			return -1;
		return 0;
	} else if (strcmp(key, "batch_window") == 0) {
		*what = "seconds from 0 to 10, like 0.5";
		return parse_seconds(v, 0, 10, &c->batch_window);
	} else if (strcmp(key, "fragment") == 0) {
		*what = "an absolute path";
		return set_path(c->fragment, sizeof(c->fragment), v);
	} else if (strcmp(key, "restart") == 0) {
		*what = "a command (an absolute path and its arguments)";
		if (v[0] != '/' || strlen(v) >= sizeof(c->restart))
			return -1;
		snprintf(c->restart, sizeof(c->restart), "%s", v);
		return 0;
	} else if (strcmp(key, "apply") == 0) {
		*what = "restart or reconfigure";
		if (strcmp(v, "restart") == 0)
			c->apply_reconfigure = 0;
		else if (strcmp(v, "reconfigure") == 0)
			c->apply_reconfigure = 1;
		else
			return -1;
		return 0;
	} else if (strcmp(key, "name_prefix") == 0) {
		*what = "lowercase letters, digits and '-', starting with a letter, "
		    "at most 32 characters";
		if (!name_prefix_valid(v))
			return -1;
		snprintf(c->name_prefix, sizeof(c->name_prefix), "%s", v);
		return 0;
	} else if (strcmp(key, "features") == 0) {
		*what = "a comma-separated list of 1 to 16 Slurm features "
		    "([A-Za-z0-9_.-])";
		return parse_features(v, c);
	} else if (strcmp(key, "clock_skew") == 0) {
		*what = "a duration from 5s to 1h";
		return parse_duration(v, 5, 3600, &c->clock_skew);
	} else if (strcmp(key, "max_body") == 0) {
		*what = "a size in bytes from 1024 to 1048576";
		return parse_long(v, 1024, 1048576, &c->max_body);
	} else if (strcmp(key, "reap_after") == 0) {
		/* longer than a heartbeat may wait at the hook */
		*what = "a duration from 30s to 7d, or 0 (never)";
		if (strcmp(v, "0") == 0) {
			c->reap_after = 0;
			return 0;
		}
		return parse_duration(v, 30, 7 * 86400, &c->reap_after);
	} else if (strcmp(key, "ckpt_partitions") == 0) {
		*what = "a comma-separated list of up to 16 partition names "
		    "([A-Za-z0-9_.-]), or nothing (the mover off)";
		return parse_partitions(v, c);
	} else if (strcmp(key, "move_interval") == 0) {
		*what = "seconds from 0.1 to 60, like 1";
		return parse_seconds(v, 0.1, 60, &c->move_interval);
	} else if (strcmp(key, "max_connections") == 0) {
		*what = "a number from 16 to 1000000";
		return parse_long(v, 16, 1000000, &c->max_connections);
	} else if (strcmp(key, "token_uses") == 0) {
		*what = "a number from 1 to 100000";
		return parse_long(v, 1, 100000, &c->default_uses);
	} else if (strcmp(key, "token_ttl") == 0) {
		*what = "a duration from 1s to 30d";
		return parse_duration(v, 1, 30 * 86400, &c->default_ttl);
	} else if (strcmp(key, "provider") == 0) {
		*what = "none, local, exec, qemu or openstack";
		if (strcmp(v, "none") == 0) {
			c->provider[0] = '\0';
			return 0;
		}
		if (strcmp(v, "local") != 0 && strcmp(v, "exec") != 0 &&
		    strcmp(v, "qemu") != 0 && strcmp(v, "openstack") != 0)
			return -1;
		snprintf(c->provider, sizeof(c->provider), "%s", v);
		return 0;
	} else if (strcmp(key, "hook_url") == 0) {
		*what = "http:// or https:// and a host[:port], like "
		    "http://10.0.0.1:8181";
		return parse_url(v, c->hook_url, sizeof(c->hook_url));
	} else if (strcmp(key, "provider_timeout") == 0) {
		*what = "seconds from 1 to 120";
		return parse_seconds(v, 1, 120, &c->provider_timeout);
	} else if (strcmp(key, "provider_backoff") == 0) {
		*what = "a duration from 0s to 1h";
		if (strcmp(v, "0") == 0) {
			c->provider_backoff = 0;
			return 0;
		}
		return parse_duration(v, 0, 3600, &c->provider_backoff);
	} else if (strcmp(key, "join_timeout") == 0) {
		*what = "a duration from 10s to 2h, or 0 (Slurm's ResumeTimeout "
		    "less 5 s)";
		if (strcmp(v, "0") == 0) {
			c->join_timeout = 0;
			return 0;
		}
		return parse_duration(v, 10, 7200, &c->join_timeout);
	} else if (strcmp(key, "orphan_grace") == 0) {
		*what = "a duration from 10s to 7d";
		return parse_duration(v, 10, 7 * 86400, &c->orphan_grace);
	} else if (strcmp(key, "sync_interval") == 0) {
		*what = "seconds from 1 to 600";
		return parse_seconds(v, 1, 600, &c->sync_interval);
	} else if (strcmp(key, "max_instances") == 0) {
		*what = "a number from 1 to 100000";
		return parse_long(v, 1, 100000, &c->max_instances);
	} else if (strcmp(key, "exec_program") == 0) {
		*what = "an absolute path";
		return set_path(c->exec_program, sizeof(c->exec_program), v);
	} else if (strcmp(key, "local_socket") == 0 ||
	    strcmp(key, "privd_socket") == 0) {
		*what = "an absolute path";
		return set_path(c->local_socket, sizeof(c->local_socket), v);
	} else if (strncmp(key, "openstack_", 10) == 0 &&
	    strcmp(key + 10, "op_timeout") != 0) {
		/* (a whole call's bound is provider_timeout) */
		return os_config_set(&c->openstack, key + 10, v, what);
	} else if (strcmp(key, "overlay") == 0) {
		*what = "off, on or allow";
		if (strcmp(v, "off") == 0)
			c->overlay = OVERLAY_OFF;
		else if (strcmp(v, "on") == 0)
			c->overlay = OVERLAY_ON;
		else if (strcmp(v, "allow") == 0)
			c->overlay = OVERLAY_ALLOW;
		else
			return -1;
		return 0;
	} else if (strcmp(key, "overlay_endpoint") == 0) {
		*what = "a host name or IPv4 address, and an optional :port, as "
		    "the nodes reach the controller's WireGuard";
		return parse_endpoint(v, c->overlay_endpoint,
		    sizeof(c->overlay_endpoint));
	} else if (strcmp(key, "overlay_pool") == 0) {
		*what = "a network, like 10.99.0.0/16 (length 16 to 30)";
		return wg_net_parse_strict(v, &c->overlay_pool) != 0 ||
		    c->overlay_pool.prefix < 16 || c->overlay_pool.prefix > 30 ?
		    -1 : 0;
	} else if (strcmp(key, "overlay_max_peers") == 0) {
		*what = "a number from 1 to 65000";
		return parse_long(v, 1, 65000, &c->overlay_max_peers);
	} else if (strcmp(key, "overlay_keepalive") == 0) {
		*what = "seconds from 0 (none) to 3600";
		return parse_long(v, 0, 3600, &c->overlay_keepalive);
	} else if (strcmp(key, "overlay_routes") == 0) {
		*what = "networks separated by commas, like 10.1.0.0/16, at "
		    "most 16, each of length 8 or more";
		return parse_routes(v, c);
	}
	*what = NULL;
	return -1;
}

/* mount.NAME = SOURCE TARGET TYPE [OPTIONS] */
static int
parse_mount(struct hook_config *c, const char *name, const char *v,
    char *err, size_t errlen)
{
	struct hook_mount *m;
	char buf[1024], *f[5], *save = NULL, *p;
	const char *what;
	int n = 0;

	if (strlen(name) > 32 || !name_feature_valid(name))
		return errf(err, errlen, "mount.%s: a mount's name is letters, "
		    "digits, '_', '.' and '-', at most 32 of them", name);
	if (c->nmounts == CONFIG_MAX_MOUNTS)
		return errf(err, errlen, "more than %d mounts", CONFIG_MAX_MOUNTS);
	if (strlen(v) >= sizeof(buf))
		return errf(err, errlen, "mount.%s: too long", name);
	snprintf(buf, sizeof(buf), "%s", v);
	for (p = strtok_r(buf, " \t", &save); p != NULL && n < 5;
	    p = strtok_r(NULL, " \t", &save))
		f[n++] = p;
	if (n < 3 || n > 4)
		return errf(err, errlen, "mount.%s: \"%s\" is not SOURCE TARGET "
		    "TYPE [OPTIONS]", name, v);
	if (name_mount_valid(f[0], f[1], f[2], n == 4 ? f[3] : "", &what) != 0)
		return errf(err, errlen, "mount.%s: the %s is not valid", name,
		    what);
	m = &c->mounts[c->nmounts++];
	snprintf(m->name, sizeof(m->name), "%s", name);
	snprintf(m->source, sizeof(m->source), "%s", f[0]);
	snprintf(m->target, sizeof(m->target), "%s", f[1]);
	snprintf(m->type, sizeof(m->type), "%s", f[2]);
	snprintf(m->options, sizeof(m->options), "%s", n == 4 ? f[3] : "");
	return 0;
}

static int
one(void *arg, const char *key, const char *val, int lineno, char *err,
    size_t errlen)
{
	const char *what;

	(void)lineno;
	if (strncmp(key, "mount.", 6) == 0)
		return parse_mount(arg, key + 6, val, err, errlen);
	if (strncmp(key, "qemu_", 5) == 0) {
		if (qemu_directive(&((struct hook_config *)arg)->qemu, key, val,
		    &what) == 0)
			return 0;
	} else if (directive(arg, key, val, &what) == 0)
		return 0;
	if (what == NULL)
		return errf(err, errlen, "unknown key \"%s\"", key);
	return errf(err, errlen, "%s: \"%s\" is not %s", key, val, what);
}

int
config_load(const char *path, struct hook_config *c, char *err, size_t errlen)
{
	char *buf = NULL, why[512];
	int rc = -1, i;

	defaults(c);
	if (read_file(path, MAX_CONFIG, &buf, NULL, err, errlen) != 0)
		return -1;
	if (kv_parse(buf, path, one, c, err, errlen) != 0)
		goto out;
	if (c->conf_server[0] == '\0') {
		errf(err, errlen, "%s: conf_server is not set", path);
		goto out;
	}
	if ((c->tls_cert[0] == '\0') != (c->tls_key[0] == '\0')) {
		errf(err, errlen, "%s: %s is set without %s: give both (the "
		    "site's certificate and its key), or neither (the hook "
		    "makes its own)", path, c->tls_cert[0] ? "tls_cert" :
		    "tls_key", c->tls_cert[0] ? "tls_key" : "tls_cert");
		goto out;
	}
	if (!c->tls && c->tls_cert[0] != '\0') {
		errf(err, errlen, "%s: tls = off, and tls_cert and tls_key are "
		    "set: the hook would serve plain http and not use them; "
		    "remove one or the other", path);
		goto out;
	}
	/* a batch in conf mode costs a slurmctld restart: gather joins for
	 * a moment first; the other modes take what has come */
	if (c->batch_window < 0)
		c->batch_window = c->mode == ADMIT_CONF ? 1.0 : 0;
	/* what a provider needs: said here, not at the first resume */
	if (c->provider[0] != '\0' && c->hook_url[0] == '\0') {
		if (strcmp(c->listen_host, "*") == 0) {
			errf(err, errlen, "%s: provider = %s needs hook_url (how "
			    "instances reach the hook: listen is on every "
			    "address)", path, c->provider);
			goto out;
		}
		snprintf(c->hook_url, sizeof(c->hook_url), "%s://%s:%d",
		    c->tls ? "https" : "http", c->listen_host, c->listen_port);
	}
	if (c->hook_url[0] != '\0' &&
	    (strncmp(c->hook_url, "https://", 8) == 0) != c->tls) {
		errf(err, errlen, "%s: hook_url is %s, and the hook serves %s "
		    "(tls = %s): instances would not reach it", path,
		    c->hook_url, c->tls ? "https" : "plain http",
		    c->tls ? "on" : "off");
		goto out;
	}
	if (strcmp(c->provider, "exec") == 0 && c->exec_program[0] == '\0') {
		errf(err, errlen, "%s: provider = exec needs exec_program", path);
		goto out;
	}
	if (strcmp(c->provider, "openstack") == 0 &&
	    os_config_check(&c->openstack, why, sizeof(why)) != 0) {
		errf(err, errlen, "%s: provider = openstack: %s", path, why);
		goto out;
	}
	if (strcmp(c->provider, "qemu") == 0 && (c->qemu.image[0] == '\0' ||
	    c->qemu.bridge[0] == '\0')) {
		errf(err, errlen, "%s: provider = qemu needs %s (%s)", path,
		    c->qemu.image[0] == '\0' ? "qemu_image" : "qemu_bridge",
		    c->qemu.image[0] == '\0' ? "the vnode image the instances "
		    "boot, make image's build/vnode.qcow2" : "the bridge their "
		    "tap devices go on");
		goto out;
	}
	if (c->overlay != OVERLAY_OFF && (c->overlay_endpoint[0] == '\0' ||
	    c->overlay_pool.prefix == 0)) {
		errf(err, errlen, "%s: overlay = %s needs overlay_endpoint (how "
		    "the nodes reach the controller's WireGuard) and overlay_pool "
		    "(their addresses)", path, c->overlay == OVERLAY_ON ? "on" :
		    "allow");
		goto out;
	}
	for (i = 0; i < c->noverlay_routes; i++)
		if (c->overlay != OVERLAY_OFF &&
		    wg_net_overlap(&c->overlay_routes[i], &c->overlay_pool)) {
			errf(err, errlen, "%s: overlay_routes: a network overlaps "
			    "overlay_pool", path);
			goto out;
		}
	rc = 0;
out:
	free(buf);
	return rc;
}
