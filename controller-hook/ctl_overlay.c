/*
 * ctl_overlay.c - see ctl_overlay.h.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_overlay.h"
#include "log.h"
#include "names.h"
#include "overlay.h"
#include "util.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: vnodectl [-f config] overlay [peers]\n"
	    "       vnodectl [-f config] overlay route [--via ADDRESS] "
	    "[--interface IF] [--hosts NETWORK]\n"
	    "       vnodectl [-f config] overlay host NAME PUBLIC-KEY\n"
	    "       vnodectl [-f config] overlay host-remove NAME\n");
	exit(2);
}

struct live {
	struct overlay_peer *p;
	size_t n, cap;
};

static void
add_live(void *arg, const struct overlay_peer *p)
{
	struct live *l = arg;
	struct overlay_peer *np;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		if ((np = realloc(l->p, l->cap * sizeof(*np))) == NULL)
			return;
		l->p = np;
	}
	l->p[l->n++] = *p;
}

struct table {
	const struct live *live;
	long now;
	int rows;
};

static void
row(void *arg, const struct db_overlay *o)
{
	struct table *t = arg;
	const struct overlay_peer *p = NULL;
	char age[32] = "-", key[12];
	size_t i;

	for (i = 0; o->pubkey[0] != '\0' && i < t->live->n; i++)
		if (strcmp(t->live->p[i].key, o->pubkey) == 0)
			p = &t->live->p[i];
	if (p != NULL && p->handshake > 0)
		snprintf(age, sizeof(age), "%lds ago", t->now - p->handshake);
	snprintf(key, sizeof(key), "%.8s", o->pubkey[0] ? o->pubkey : "-");
	printf("%-20s %-15s %-6s %-9s %-8s %-21s %-12s %s\n", o->name[0] ?
	    o->name : "?", o->addr, o->host[0] ? "host" : "node", o->state,
	    key, p != NULL ? p->endpoint : "(no peer)", age,
	    o->node_state[0] ? o->node_state : "-");
	t->rows++;
}

static int
peers(struct db *db, const struct hook_config *cfg)
{
	struct live l = { NULL, 0, 0 };
	struct table t;
	char err[512];
	size_t i;
	int rc = 0;

	if (overlay_peers(cfg, add_live, &l, err, sizeof(err)) != 0) {
		log_warnx("the live peers: %s; the registry alone:", err);
		rc = 1;
	}
	t.live = &l;
	t.now = wall_now();
	t.rows = 0;
	printf("%-20s %-15s %-6s %-9s %-8s %-21s %-12s %s\n", "NAME", "ADDRESS",
	    "KIND", "STATE", "KEY", "ENDPOINT", "HANDSHAKE", "NODE");
	if (db_overlay_each(db, row, &t, err, sizeof(err)) != 0)
		fatalx("registry: %s", err);
	/* peers the registry does not know (the hook removes them) */
	for (i = 0; i < l.n; i++) {
		struct db_overlay o;

		if (db_overlay_by_key(db, l.p[i].key, &o, err, sizeof(err)) == 1)
			printf("%-20s %-15s %-6s %-9s %.8s %-21s\n", "(unknown)",
			    l.p[i].allowed, "peer", "stray", l.p[i].key,
			    l.p[i].endpoint);
	}
	free(l.p);
	return rc;
}

static int
route(const struct hook_config *cfg, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "via", required_argument, NULL, 'v' },
		{ "interface", required_argument, NULL, 'i' },
		{ "hosts", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct overlay_ctl oc;
	struct wg_net hosts;
	char via[320] = "", ifname[32] = "LAN-INTERFACE", net[40], ctl[16];
	char hostsnet[256] = "", err[512], *colon;
	int ch, i;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'v':
			if (!name_ipv4_valid(optarg))
				fatalx("--via: \"%s\" is not an IPv4 address", optarg);
			snprintf(via, sizeof(via), "%s", optarg);
			break;
		case 'i':
			if (strlen(optarg) > 15 || strspn(optarg,
			    "abcdefghijklmnopqrstuvwxyz0123456789-._") !=
			    strlen(optarg))
				fatalx("--interface: \"%s\" is not an interface name",
				    optarg);
			snprintf(ifname, sizeof(ifname), "%s", optarg);
			break;
		case 'n':
			if (wg_net_parse_strict(optarg, &hosts) != 0)
				fatalx("--hosts: \"%s\" is not a network", optarg);
			wg_net_format(&hosts, hostsnet, sizeof(hostsnet));
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (cfg->overlay == OVERLAY_OFF)
		fatalx("the overlay is off (hookd.conf overlay)");
	if (overlay_ctl_get(cfg, &oc, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (via[0] == '\0') {
		/* the endpoint, when it is an address on the site's side */
		snprintf(via, sizeof(via), "%s", cfg->overlay_endpoint);
		if ((colon = strchr(via, ':')) != NULL)
			*colon = '\0';
		if (!name_ipv4_valid(via))
			snprintf(via, sizeof(via), "CONTROLLER-ADDRESS");
	}
	for (i = 0; hostsnet[0] == '\0' && i < cfg->noverlay_routes; i++) {
		size_t len = strlen(hostsnet);

		wg_net_format(&cfg->overlay_routes[i], net, sizeof(net));
		snprintf(hostsnet + len, sizeof(hostsnet) - len, "%s%s",
		    len ? ", " : "", net);
	}
	wg_net_format(&oc.net, net, sizeof(net));
	wg_addr_format(oc.net.addr, ctl, sizeof(ctl));
	printf("# The overlay is %s; the controller is %s on it, the hub.\n"
	    "# Bare-metal nodes and login hosts reach its nodes through the "
	    "controller:\n#\n"
	    "# 1. on each of them (root; make it lasting the site's way):\n"
	    "ip route add %s via %s\n#\n"
	    "# 2. on the controller (root): what comes from them goes on into "
	    "the overlay\n"
	    "sysctl -w net.ipv4.conf.%s.forwarding=1\n#\n"
	    "# 3. in hookd.conf, so that the nodes answer them through the "
	    "tunnel (a node's\n"
	    "#    next join takes it):\n"
	    "overlay_routes = %s\n",
	    net, ctl, net, via, ifname,
	    hostsnet[0] ? hostsnet : "THEIR-NETWORK");
	return 0;
}

static int
host(struct db *db, const struct hook_config *cfg, const char *name,
    const char *key)
{
	struct overlay_ctl oc;
	char addr[16], err[512], net[40], ep[320];

	if (overlay_ctl_get(cfg, &oc, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (db_begin(db, err, sizeof(err)) != 0)
		fatalx("registry: %s", err);
	if (overlay_host_add(db, cfg, name, key, wall_time(), addr,
	    sizeof(addr), err, sizeof(err)) != 0) {
		db_rollback(db);
		fatalx("overlay host %s: %s", name, err);
	}
	if (db_commit(db, err, sizeof(err)) != 0)
		fatalx("registry: %s", err);
	wg_net_format(&oc.net, net, sizeof(net));
	if (strchr(cfg->overlay_endpoint, ':') != NULL)
		snprintf(ep, sizeof(ep), "%s", cfg->overlay_endpoint);
	else
		snprintf(ep, sizeof(ep), "%s:%ld", cfg->overlay_endpoint, oc.port);
	printf("# %s in the overlay at %s: the hook makes it a peer of the "
	    "controller within\n"
	    "# seconds.  On %s, as /etc/wireguard/vnode.conf (wg-quick up "
	    "vnode), with\n"
	    "# the private key whose public key was given here:\n"
	    "[Interface]\n"
	    "Address = %s/32\n"
	    "PrivateKey = (%s's private key)\n"
	    "\n"
	    "[Peer]\n"
	    "PublicKey = %s\n"
	    "Endpoint = %s\n"
	    "AllowedIPs = %s\n"
	    "PersistentKeepalive = %ld\n",
	    name, addr, name, addr, name, oc.pubkey, ep, net,
	    cfg->overlay_keepalive > 0 ? cfg->overlay_keepalive : 25);
	return 0;
}

int
ctl_overlay(struct db *db, const struct hook_config *cfg, int argc,
    char *argv[])
{
	char err[512];

	if (argc == 1 || (argc == 2 && strcmp(argv[1], "peers") == 0)) {
		if (cfg->overlay == OVERLAY_OFF)
			fatalx("the overlay is off (hookd.conf overlay)");
		return peers(db, cfg);
	}
	if (strcmp(argv[1], "route") == 0)
		return route(cfg, argc - 1, argv + 1);
	if (strcmp(argv[1], "host") == 0 && argc == 4)
		return host(db, cfg, argv[2], argv[3]);
	if (strcmp(argv[1], "host-remove") == 0 && argc == 3) {
		if (overlay_host_remove(db, argv[2], err, sizeof(err)) != 0)
			fatalx("overlay host-remove %s: %s", argv[2], err);
		printf("%s removed from the overlay; the hook removes its peer "
		    "within seconds\n", argv[2]);
		return 0;
	}
	usage();
}
