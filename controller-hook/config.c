/*
 * config.c - hookd.conf: "key = value" lines, '#' comments.  Every key is
 * one row of one table (keys[], below): its name, its type and bounds or
 * its own parser, where in struct hook_config it goes, and what it must
 * be.  Reading a line and printing a key (vnode-hookd -n) both go by the
 * row, so the two cannot drift apart; an unknown key or a bad value is an
 * error naming the file and line.
 */
#include <arpa/inet.h>
#include <stddef.h>
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

/* ---- the keys ---- */

enum ctype {
	C_STR,		/* a string that valid() accepts */
	C_PATH,		/* an absolute path */
	C_LONG,		/* a whole number from min to max */
	C_DUR,		/* a duration (30s, 10m, 1h, 7d) from min to max s */
	C_SECS,		/* seconds, with a fraction, from min to max */
	C_ENUM,		/* one of names[], kept as its index (an int) */
	C_CUSTOM	/* parse() and print() of its own */
};

#define F_ZERO		0x1	/* C_DUR: "0" is a value of its own */
#define F_NOCOMMA	0x2	/* C_PATH: no ',' (qemu's -drive lists) */
#define F_ALIAS		0x4	/* another name of the row before: read,
				 * never printed */
#define F_PRINTONLY	0x8	/* printed here, read elsewhere (mount.) */

struct ckey {
	const char *name;
	enum ctype type;
	size_t off, size;	/* where in struct hook_config, how big */
	double min, max;	/* C_LONG, C_DUR, C_SECS; C_PATH: max length
				 * (0: the field's) */
	int flags;
	const char *none;	/* C_STR, C_PATH: the word that means "" */
	int (*valid)(const char *v);			/* C_STR */
	const char *const *names;			/* C_ENUM */
	int (*parse)(struct hook_config *c, const char *v);	/* C_CUSTOM */
	void (*print)(FILE *f, const struct hook_config *c);	/* C_CUSTOM */
	const char *what;	/* what a value must be, for the error */
	const char *unset;	/* printed for "" where there is no none */
};

#define FIELD(f)	.off = offsetof(struct hook_config, f), \
			.size = sizeof(((struct hook_config *)0)->f)

_Static_assert(sizeof(((struct hook_config *)0)->mode) == sizeof(int) &&
    sizeof(((struct hook_config *)0)->addr) == sizeof(int) &&
    sizeof(((struct hook_config *)0)->overlay) == sizeof(int),
    "C_ENUM fields are kept as int");

static int
hostport_ok(const char *v)
{
	return name_hostport_valid(v);
}

static int
command_ok(const char *v)
{
	return v[0] == '/';
}

static int
prefix_ok(const char *v)
{
	return name_prefix_valid(v);
}

static int
provider_ok(const char *v)
{
	return strcmp(v, "local") == 0 || strcmp(v, "exec") == 0 ||
	    strcmp(v, "qemu") == 0 || strcmp(v, "openstack") == 0;
}

/* http:// or https://, a host, an optional port, no path, query or
 * anything a cloud-config would have to quote */
static int
url_ok(const char *v)
{
	const char *h;
	size_t i;

	if (strncmp(v, "http://", 7) == 0)
		h = v + 7;
	else if (strncmp(v, "https://", 8) == 0)
		h = v + 8;
	else
		return 0;
	if (!name_hostport_valid(h) && !name_host_valid(h))
		return 0;
	for (i = 0; v[i] != '\0'; i++)
		if (v[i] <= ' ' || v[i] > '~' || strchr("\"'\\#{}[]", v[i]))
			return 0;
	return 1;
}

/* A host name or IPv4 address, with an optional :port. */
static int
endpoint_ok(const char *v)
{
	return name_hostport_valid(v) || name_host_valid(v) ||
	    name_ipv4_valid(v);
}

static int
ipv4_ok(const char *v)
{
	return name_ipv4_valid(v);
}

static int
accel_ok(const char *v)
{
	return strcmp(v, "auto") == 0 || strcmp(v, "kvm") == 0 ||
	    strcmp(v, "tcg") == 0;
}

static int
tap_prefix_ok(const char *v)
{
	size_t n = strlen(v);

	return n >= 2 && n <= 4 && strspn(v, "abcdefghijklmnopqrstuvwxyz") == n;
}

static int
p_listen(struct hook_config *c, const char *v)
{
	return parse_listen(v, c);
}

static void
w_listen(FILE *f, const struct hook_config *c)
{
	fprintf(f, "listen = %s:%d\n", c->listen_host, c->listen_port);
}

static int
p_features(struct hook_config *c, const char *v)
{
	return parse_features(v, c);
}

static void
print_list(FILE *f, const char *key, const char (*v)[64], int n)
{
	int i;

	fprintf(f, "%s =", key);
	for (i = 0; i < n; i++)
		fprintf(f, "%s%s", i > 0 ? "," : " ", v[i]);
	fputc('\n', f);
}

static void
w_features(FILE *f, const struct hook_config *c)
{
	print_list(f, "features", c->features, c->nfeatures);
}

static void
w_mounts(FILE *f, const struct hook_config *c)
{
	const struct hook_mount *m;
	int i;

	for (i = 0; i < c->nmounts; i++) {
		m = &c->mounts[i];
		fprintf(f, "mount.%s = %s %s %s%s%s\n", m->name, m->source,
		    m->target, m->type, m->options[0] ? " " : "", m->options);
	}
}

static int
p_partitions(struct hook_config *c, const char *v)
{
	return parse_partitions(v, c);
}

static void
w_partitions(FILE *f, const struct hook_config *c)
{
	print_list(f, "ckpt_partitions", c->ckpt_partitions,
	    c->nckpt_partitions);
}

static int
p_addresses(struct hook_config *c, const char *v)
{
	if (strcmp(v, "dhcp") == 0) {
		c->qemu.first[0] = c->qemu.last[0] = '\0';
		return 0;
	}
	return parse_range(v, &c->qemu);
}

static void
w_addresses(FILE *f, const struct hook_config *c)
{
	if (c->qemu.first[0] != '\0')
		fprintf(f, "qemu_addresses = %s-%s/%d\n", c->qemu.first,
		    c->qemu.last, c->qemu.prefix);
	else
		fprintf(f, "qemu_addresses = dhcp\n");
}

static int
p_pool(struct hook_config *c, const char *v)
{
	return wg_net_parse_strict(v, &c->overlay_pool) != 0 ||
	    c->overlay_pool.prefix < 16 || c->overlay_pool.prefix > 30 ? -1 : 0;
}

static void
w_pool(FILE *f, const struct hook_config *c)
{
	char net[32];

	if (c->overlay_pool.prefix == 0) {
		fprintf(f, "# overlay_pool not set: no overlay\n");
		return;
	}
	wg_net_format(&c->overlay_pool, net, sizeof(net));
	fprintf(f, "overlay_pool = %s\n", net);
}

static int
p_routes(struct hook_config *c, const char *v)
{
	return parse_routes(v, c);
}

static void
w_routes(FILE *f, const struct hook_config *c)
{
	char net[32];
	int i;

	fprintf(f, "overlay_routes =");
	for (i = 0; i < c->noverlay_routes; i++) {
		wg_net_format(&c->overlay_routes[i], net, sizeof(net));
		fprintf(f, "%s%s", i > 0 ? "," : " ", net);
	}
	fputc('\n', f);
}

static void
w_openstack(FILE *f, const struct hook_config *c)
{
	os_config_print(f, "openstack_", &c->openstack);
}

static const char *const onoff[] = { "off", "on", NULL };
static const char *const admit_names[] = { "dynamic", "pool", "conf", NULL };
static const char *const addr_names[] = { "source", "reported", "metadata",
    NULL };
static const char *const apply_names[] = { "restart", "reconfigure", NULL };
static const char *const overlay_names[] = { "off", "on", "allow", NULL };

#define PATH	"an absolute path"

static const struct ckey keys[] = {
	{ .name = "listen", .type = C_CUSTOM, .parse = p_listen,
	  .print = w_listen,
	  .what = "an IPv4 address or * and a port, like 10.0.0.1:8181" },
	{ .name = "tls", .type = C_ENUM, FIELD(tls), .names = onoff,
	  .what = "on or off" },
	{ .name = "tls_cert", .type = C_PATH, FIELD(tls_cert), .what = PATH,
	  .unset = "the hook's own certificate, in the database's directory" },
	{ .name = "tls_key", .type = C_PATH, FIELD(tls_key), .what = PATH,
	  .unset = "the hook's own key" },
	{ .name = "database", .type = C_PATH, FIELD(database), .what = PATH },
	{ .name = "munge_key", .type = C_PATH, FIELD(munge_key), .what = PATH },
	{ .name = "conf_server", .type = C_STR, FIELD(conf_server),
	  .valid = hostport_ok, .unset = "required",
	  .what = "host:port of slurmctld, like ctl.example.org:6817" },
	{ .name = "admit", .type = C_ENUM, FIELD(mode), .names = admit_names,
	  .what = "dynamic, pool or conf" },
	{ .name = "addr", .type = C_ENUM, FIELD(addr), .names = addr_names,
	  .what = "source, reported or metadata" },
	{ .name = "batch_window", .type = C_SECS, FIELD(batch_window),
	  .min = 0, .max = 10, .what = "seconds from 0 to 10, like 0.5" },
	{ .name = "fragment", .type = C_PATH, FIELD(fragment), .what = PATH },
	{ .name = "restart", .type = C_STR, FIELD(restart), .valid = command_ok,
	  .what = "a command (an absolute path and its arguments)" },
	{ .name = "apply", .type = C_ENUM, FIELD(apply_reconfigure),
	  .names = apply_names, .what = "restart or reconfigure" },
	{ .name = "name_prefix", .type = C_STR, FIELD(name_prefix),
	  .valid = prefix_ok, .what = "lowercase letters, digits and '-', "
	  "starting with a letter, at most 32 characters" },
	{ .name = "features", .type = C_CUSTOM, .parse = p_features,
	  .print = w_features, .what = "a comma-separated list of 1 to 16 "
	  "Slurm features ([A-Za-z0-9_.-])" },
	{ .name = "mount.", .type = C_CUSTOM, .flags = F_PRINTONLY,
	  .print = w_mounts },
	{ .name = "clock_skew", .type = C_DUR, FIELD(clock_skew), .min = 5,
	  .max = 3600, .what = "a duration from 5s to 1h" },
	{ .name = "max_body", .type = C_LONG, FIELD(max_body), .min = 1024,
	  .max = 1048576, .what = "a size in bytes from 1024 to 1048576" },
	{ .name = "max_connections", .type = C_LONG, FIELD(max_connections),
	  .min = 16, .max = 1000000, .what = "a number from 16 to 1000000" },
	/* longer than a heartbeat may wait at the hook */
	{ .name = "reap_after", .type = C_DUR, FIELD(reap_after), .min = 30,
	  .max = 7 * 86400, .flags = F_ZERO,
	  .what = "a duration from 30s to 7d, or 0 (never)" },
	{ .name = "token_uses", .type = C_LONG, FIELD(default_uses), .min = 1,
	  .max = 100000, .what = "a number from 1 to 100000" },
	{ .name = "token_ttl", .type = C_DUR, FIELD(default_ttl), .min = 1,
	  .max = 30 * 86400, .what = "a duration from 1s to 30d" },
	{ .name = "ckpt_partitions", .type = C_CUSTOM, .parse = p_partitions,
	  .print = w_partitions, .what = "a comma-separated list of up to 16 "
	  "partition names ([A-Za-z0-9_.-]), or nothing (the mover off)" },
	{ .name = "move_interval", .type = C_SECS, FIELD(move_interval),
	  .min = 0.1, .max = 60, .what = "seconds from 0.1 to 60, like 1" },
	{ .name = "provider", .type = C_STR, FIELD(provider), .none = "none",
	  .valid = provider_ok,
	  .what = "none, local, exec, qemu or openstack" },
	{ .name = "hook_url", .type = C_STR, FIELD(hook_url), .valid = url_ok,
	  .unset = "no provider", .what = "http:// or https:// and a "
	  "host[:port], like http://10.0.0.1:8181" },
	{ .name = "provider_timeout", .type = C_SECS, FIELD(provider_timeout),
	  .min = 1, .max = 120, .what = "seconds from 1 to 120" },
	{ .name = "provider_backoff", .type = C_DUR, FIELD(provider_backoff),
	  .min = 0, .max = 3600, .flags = F_ZERO,
	  .what = "a duration from 0s to 1h" },
	{ .name = "join_timeout", .type = C_DUR, FIELD(join_timeout),
	  .min = 10, .max = 7200, .flags = F_ZERO, .what = "a duration from "
	  "10s to 2h, or 0 (Slurm's ResumeTimeout less 5 s)" },
	{ .name = "orphan_grace", .type = C_DUR, FIELD(orphan_grace),
	  .min = 10, .max = 7 * 86400, .what = "a duration from 10s to 7d" },
	{ .name = "sync_interval", .type = C_SECS, FIELD(sync_interval),
	  .min = 1, .max = 600, .what = "seconds from 1 to 600" },
	{ .name = "max_instances", .type = C_LONG, FIELD(max_instances),
	  .min = 1, .max = 100000, .what = "a number from 1 to 100000" },
	{ .name = "exec_program", .type = C_PATH, FIELD(exec_program),
	  .what = PATH, .unset = "provider exec unused" },
	{ .name = "local_socket", .type = C_PATH, FIELD(local_socket),
	  .what = PATH },
	{ .name = "privd_socket", .type = C_PATH, FIELD(local_socket),
	  .flags = F_ALIAS, .what = PATH },
	{ .name = "qemu_image", .type = C_PATH, FIELD(qemu.image),
	  .flags = F_NOCOMMA, .what = "an absolute path without ','",
	  .unset = "provider qemu unused" },
	{ .name = "qemu_bridge", .type = C_STR, FIELD(qemu.bridge),
	  .valid = name_ifname_valid, .unset = "provider qemu unused",
	  .what = "an interface name ([a-z][a-z0-9-], at most 15)" },
	/* room for ID/qmp.sock in a unix socket's 107 characters */
	{ .name = "qemu_state_dir", .type = C_PATH, FIELD(qemu.state_dir),
	  .max = 32, .flags = F_NOCOMMA,
	  .what = "an absolute path of at most 32 characters, without ','" },
	{ .name = "qemu_program", .type = C_PATH, FIELD(qemu.program),
	  .what = PATH },
	{ .name = "qemu_accel", .type = C_STR, FIELD(qemu.accel),
	  .valid = accel_ok, .what = "auto, kvm or tcg" },
	{ .name = "qemu_memory", .type = C_LONG, FIELD(qemu.memory),
	  .min = 256, .max = 1048576, .what = "MiB from 256 to 1048576" },
	{ .name = "qemu_cpus", .type = C_LONG, FIELD(qemu.cpus), .min = 1,
	  .max = 256, .what = "a number from 1 to 256" },
	{ .name = "qemu_addresses", .type = C_CUSTOM, .parse = p_addresses,
	  .print = w_addresses, .what = "dhcp, or FIRST-LAST/PREFIX in one "
	  "network, like 10.77.0.60-10.77.0.99/24" },
	{ .name = "qemu_gateway", .type = C_STR, FIELD(qemu.gateway),
	  .none = "none", .valid = ipv4_ok,
	  .what = "an IPv4 address, or none" },
	{ .name = "qemu_tap_prefix", .type = C_STR, FIELD(qemu.tap_prefix),
	  .valid = tap_prefix_ok,
	  .what = "2 to 4 lowercase letters (vnode-privd's tap_prefix)" },
	{ .name = "qemu_stop_timeout", .type = C_DUR, FIELD(qemu.stop_timeout),
	  .min = 10, .max = 3600, .what = "a duration from 10s to 1h" },
	/* provider = openstack: its own table (os_config.c) */
	{ .name = "openstack_", .type = C_CUSTOM, .flags = F_PRINTONLY,
	  .print = w_openstack },
	{ .name = "overlay", .type = C_ENUM, FIELD(overlay),
	  .names = overlay_names, .what = "off, on or allow" },
	{ .name = "overlay_endpoint", .type = C_STR, FIELD(overlay_endpoint),
	  .valid = endpoint_ok, .unset = "no overlay", .what = "a host name "
	  "or IPv4 address, and an optional :port, as the nodes reach the "
	  "controller's WireGuard" },
	{ .name = "overlay_pool", .type = C_CUSTOM, .parse = p_pool,
	  .print = w_pool,
	  .what = "a network, like 10.99.0.0/16 (length 16 to 30)" },
	{ .name = "overlay_max_peers", .type = C_LONG, FIELD(overlay_max_peers),
	  .min = 1, .max = 65000, .what = "a number from 1 to 65000" },
	{ .name = "overlay_keepalive", .type = C_LONG, FIELD(overlay_keepalive),
	  .min = 0, .max = 3600, .what = "seconds from 0 (none) to 3600" },
	{ .name = "overlay_routes", .type = C_CUSTOM, .parse = p_routes,
	  .print = w_routes, .what = "networks separated by commas, like "
	  "10.1.0.0/16, at most 16, each of length 8 or more" },
};

/* v into c as row k says.  0, or -1. */
static int
assign(struct hook_config *c, const struct ckey *k, const char *v)
{
	char *field = (char *)c + k->off;
	double d;
	long n;
	int i;

	/* a row whose field is not of its type's size is refused, never
	 * written past (tests/conf reads every row) */
	if (((k->type == C_LONG || k->type == C_DUR) && k->size != sizeof(n)) ||
	    (k->type == C_SECS && k->size != sizeof(d)) ||
	    (k->type == C_ENUM && k->size != sizeof(i)))
		return -1;
	switch (k->type) {
	case C_STR:
	case C_PATH:
		if (k->none != NULL && strcmp(v, k->none) == 0) {
			field[0] = '\0';
			return 0;
		}
		if (strlen(v) >= k->size || (k->max > 0 && strlen(v) > k->max))
			return -1;
		if (k->type == C_STR ? !k->valid(v) : (v[0] != '/' ||
		    ((k->flags & F_NOCOMMA) && strchr(v, ',') != NULL)))
			return -1;
		memcpy(field, v, strlen(v) + 1);
		return 0;
	case C_LONG:
		if (parse_long(v, (long)k->min, (long)k->max, &n) != 0)
			return -1;
		memcpy(field, &n, sizeof(n));
		return 0;
	case C_DUR:
		if ((k->flags & F_ZERO) && strcmp(v, "0") == 0)
			n = 0;
		else if (parse_duration(v, (long)k->min, (long)k->max, &n) != 0)
			return -1;
		memcpy(field, &n, sizeof(n));
		return 0;
	case C_SECS:
		if (parse_seconds(v, k->min, k->max, &d) != 0)
			return -1;
		memcpy(field, &d, sizeof(d));
		return 0;
	case C_ENUM:
		for (i = 0; k->names[i] != NULL; i++)
			if (strcmp(v, k->names[i]) == 0) {
				memcpy(field, &i, sizeof(i));
				return 0;
			}
		return -1;
	case C_CUSTOM:
		return k->parse(c, v);
	}
	return -1;
}

/* One key = value line (kv_parse's callback). */
static int
one(void *arg, const char *key, const char *val, int lineno, char *err,
    size_t errlen)
{
	const char *what;
	size_t i;

	(void)lineno;
	if (strncmp(key, "mount.", 6) == 0)
		return parse_mount(arg, key + 6, val, err, errlen);
	/* (a whole call's bound is provider_timeout, not op_timeout) */
	if (strncmp(key, "openstack_", 10) == 0 &&
	    strcmp(key + 10, "op_timeout") != 0) {
		if (os_config_set(&((struct hook_config *)arg)->openstack,
		    key + 10, val, &what) == 0)
			return 0;
		if (what == NULL)
			return errf(err, errlen, "unknown key \"%s\"", key);
		return errf(err, errlen, "%s: \"%s\" is not %s", key, val,
		    what);
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if ((keys[i].flags & F_PRINTONLY) ||
		    strcmp(key, keys[i].name) != 0)
			continue;
		if (assign(arg, &keys[i], val) == 0)
			return 0;
		return errf(err, errlen, "%s: \"%s\" is not %s", key, val,
		    keys[i].what);
	}
	return errf(err, errlen, "unknown key \"%s\"", key);
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
	snprintf(c->admit, sizeof(c->admit), "%s", admit_names[c->mode]);
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

static void
print_duration(FILE *f, const char *key, long v)
{
	char d[32];

	format_duration(v, d, sizeof(d));
	fprintf(f, "%s = %s\n", key, d);
}

void
config_print(FILE *f, const struct hook_config *c)
{
	const struct ckey *k;
	const char *field;
	double d;
	long n;
	size_t i;
	int e;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		k = &keys[i];
		field = (const char *)c + k->off;
		if (k->flags & F_ALIAS)
			continue;
		switch (k->type) {
		case C_STR:
		case C_PATH:
			if (field[0] != '\0')
				fprintf(f, "%s = %s\n", k->name, field);
			else if (k->none != NULL)
				fprintf(f, "%s = %s\n", k->name, k->none);
			else
				fprintf(f, "# %s not set: %s\n", k->name,
				    k->unset != NULL ? k->unset : "none");
			break;
		case C_LONG:
			memcpy(&n, field, sizeof(n));
			fprintf(f, "%s = %ld\n", k->name, n);
			break;
		case C_DUR:
			memcpy(&n, field, sizeof(n));
			print_duration(f, k->name, n);
			break;
		case C_SECS:
			memcpy(&d, field, sizeof(d));
			fprintf(f, "%s = %.10g\n", k->name, d);
			break;
		case C_ENUM:
			memcpy(&e, field, sizeof(e));
			fprintf(f, "%s = %s\n", k->name, k->names[e]);
			break;
		case C_CUSTOM:
			k->print(f, c);
			break;
		}
	}
}
