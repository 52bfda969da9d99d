/*
 * overlay.c - see overlay.h.  wg(8) and ip(8) by absolute path, with argv
 * arrays; the private key reaches wg only through its file or a pipe.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "http.h"
#include "names.h"
#include "overlay.h"
#include "spawn.h"
#include "util.h"

#define RUN_TIMEOUT	10.0		/* seconds, one wg or ip */
#define LOOKUP_TIMEOUT	5.0
#define MTU		"1420"
#define POLL_FIRST	0.01		/* seconds between looks, at first */
#define POLL		0.05		/* after POLL_FAST seconds */
#define POLL_FAST	0.5
#define RESEND		0.5		/* seconds between packets */

static const char *
program(const char *a, const char *b)
{
	return access(a, X_OK) == 0 ? a : b;
}

static const char *
wg_prog(void)
{
	return program("/usr/bin/wg", "/usr/sbin/wg");
}

static const char *
ip_prog(void)
{
	return program("/usr/sbin/ip", "/sbin/ip");
}

static int
run(const char *const *argv, const char *input, size_t inlen, char *out,
    size_t outsz, char *err, size_t errlen)
{
	struct spawn sp;

	memset(&sp, 0, sizeof(sp));
	sp.argv = argv;
	sp.input = input;
	sp.inlen = inlen;
	sp.out = out;
	sp.outsz = outsz;
	sp.timeout = RUN_TIMEOUT;
	return spawn_run(&sp, err, errlen);
}

/* ---- the key ---- */

static int
key_read(char priv[WG_KEY_LEN + 2], char *err, size_t errlen)
{
	struct stat st;
	char buf[WG_KEY_FILE_MAX + 1];
	ssize_t n;
	int fd, rc = -1;

	if ((fd = open(OVERLAY_KEY_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return errf(err, errlen, "%s: %s", OVERLAY_KEY_FILE,
		    errno == ELOOP ? "a symbolic link" : strerror(errno));
	if (fstat(fd, &st) != 0) {
		errf(err, errlen, "%s: %s", OVERLAY_KEY_FILE, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		errf(err, errlen, "%s: not a regular file", OVERLAY_KEY_FILE);
		goto out;
	}
	if (st.st_uid != 0) {
		errf(err, errlen, "%s: owned by uid %u, not root",
		    OVERLAY_KEY_FILE, (unsigned)st.st_uid);
		goto out;
	}
	if (st.st_mode & 077) {
		errf(err, errlen, "%s: readable by group or others (mode %04o)",
		    OVERLAY_KEY_FILE, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	n = read(fd, buf, WG_KEY_FILE_MAX);
	if (n < 0) {
		errf(err, errlen, "%s: %s", OVERLAY_KEY_FILE, strerror(errno));
		goto out;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (!wg_key_valid(buf)) {
		errf(err, errlen, "%s: not a WireGuard key", OVERLAY_KEY_FILE);
		goto out;
	}
	memcpy(priv, buf, WG_KEY_LEN);		/* valid: 44 characters */
	priv[WG_KEY_LEN] = '\n';
	priv[WG_KEY_LEN + 1] = '\0';
	rc = 0;
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return rc;
}

static int
key_write(char priv[WG_KEY_LEN + 2], char *err, size_t errlen)
{
	size_t len;
	int fd;

	if (mkdir("/var/lib/vnode", 0700) != 0 && errno != EEXIST)
		return errf(err, errlen, "/var/lib/vnode: %s", strerror(errno));
	if (wg_key_make(priv) != 0)
		return errf(err, errlen, "no random numbers for a key");
	strcat(priv, "\n");
	len = strlen(priv);
	if ((fd = open(OVERLAY_KEY_FILE, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
		return errf(err, errlen, "%s: %s", OVERLAY_KEY_FILE,
		    strerror(errno));
	if (write(fd, priv, len) != (ssize_t)len || fsync(fd) != 0) {
		errf(err, errlen, "%s: %s", OVERLAY_KEY_FILE, strerror(errno));
		close(fd);
		unlink(OVERLAY_KEY_FILE);
		return -1;
	}
	if (close(fd) != 0) {
		errf(err, errlen, "%s: %s", OVERLAY_KEY_FILE, strerror(errno));
		unlink(OVERLAY_KEY_FILE);
		return -1;
	}
	return 0;
}

int
overlay_key(char pub[WG_KEY_LEN + 1], char *err, size_t errlen)
{
	const char *argv[] = { wg_prog(), "pubkey", NULL };
	char priv[WG_KEY_LEN + 2], out[128];
	int rc = -1;

	if (access(argv[0], X_OK) != 0)
		return 1;
	if (access(OVERLAY_KEY_FILE, F_OK) != 0 && errno == ENOENT) {
		if (key_write(priv, err, errlen) != 0)
			goto out;
	} else if (key_read(priv, err, errlen) != 0)
		goto out;
	/* the private key through a pipe, never an argument */
	if (run(argv, priv, strlen(priv), out, sizeof(out), err, errlen) != 0)
		goto out;
	out[strcspn(out, "\n")] = '\0';
	if (!wg_key_valid(out)) {
		errf(err, errlen, "wg pubkey: not a key");
		goto out;
	}
	memcpy(pub, out, WG_KEY_LEN + 1);
	rc = 0;
out:
	explicit_bzero(priv, sizeof(priv));
	return rc;
}

/* ---- the interface ---- */

/* Could the kernel have WireGuard: loaded or built in, or a module to
 * load?  (Asking "ip link add" where there is none costs a few ms.) */
static int
kernel_may_have_it(void)
{
	struct utsname u;
	char path[300];

	if (access("/sys/module/wireguard", F_OK) == 0)
		return 1;
	if (uname(&u) != 0)
		return 1;
	snprintf(path, sizeof(path), "/lib/modules/%s/kernel/drivers/net/"
	    "wireguard", u.release);
	return access(path, F_OK) == 0;
}

static int
make_interface(const char *ifname, enum settings_wireguard wg,
    const char **how, char *err, size_t errlen)
{
	const char *add[] = { ip_prog(), "link", "add", ifname, "type",
	    "wireguard", NULL };
	const char *go[] = { program("/usr/bin/wireguard-go",
	    "/usr/sbin/wireguard-go"), ifname, NULL };
	char e[512] = "";

	if (wg == WIREGUARD_AUTO && !kernel_may_have_it())
		snprintf(e, sizeof(e), "not in this kernel");
	else if (wg != WIREGUARD_GO && run(add, NULL, 0, NULL, 0, e,
	    sizeof(e)) == 0) {
		*how = "kernel";
		return 0;
	}
	if (wg == WIREGUARD_KERNEL)
		return errf(err, errlen, "the kernel's WireGuard: %s "
		    "(overlay_wireguard = kernel)", e);
	if (access(go[0], X_OK) != 0)
		return errf(err, errlen, "neither the kernel's WireGuard (%s) nor "
		    "wireguard-go (not installed)", e[0] ? e : "not tried");
	/* it runs on by itself once the interface is there */
	if (run(go, NULL, 0, NULL, 0, err, errlen) != 0)
		return -1;
	if (if_nametoindex(ifname) == 0)
		return errf(err, errlen, "wireguard-go made no %s", ifname);
	*how = "wireguard-go";
	return 0;
}

/* Every peer but none: the interface starts afresh with one peer. */
static int
drop_peers(const char *ifname, char *err, size_t errlen)
{
	const char *show[] = { wg_prog(), "show", ifname, "peers", NULL };
	char out[8192], *line, *save = NULL;

	if (run(show, NULL, 0, out, sizeof(out), err, errlen) != 0)
		return -1;
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		const char *rm[] = { wg_prog(), "set", ifname, "peer", line,
		    "remove", NULL };

		if (wg_key_valid(line) && run(rm, NULL, 0, NULL, 0, err,
		    errlen) != 0)
			return -1;
	}
	return 0;
}

/* Addresses on the interface other than ours go (a node whose overlay
 * address changed). */
static int
other_addresses(const char *ifname, const char *mine, char *err,
    size_t errlen)
{
	const char *show[] = { ip_prog(), "-o", "-4", "address", "show", "dev",
	    ifname, NULL };
	char out[4096], *tok, *save = NULL, *prev = NULL;

	if (run(show, NULL, 0, out, sizeof(out), err, errlen) != 0)
		return -1;
	for (tok = strtok_r(out, " \t\n", &save); tok != NULL;
	    prev = tok, tok = strtok_r(NULL, " \t\n", &save)) {
		struct wg_net n;
		char a[16];

		if (prev == NULL || strcmp(prev, "inet") != 0 ||
		    wg_net_parse(tok, &n) != 0)
			continue;
		wg_addr_format(n.addr, a, sizeof(a));
		if (strcmp(a, mine) != 0) {
			const char *del[] = { ip_prog(), "address", "del", tok,
			    "dev", ifname, NULL };

			if (run(del, NULL, 0, NULL, 0, err, errlen) != 0)
				return -1;
		}
	}
	return 0;
}

/* host:port (as the join's answer carries it, checked there by
 * name_hostport_valid) into an IPv4 address, looked up when it is a name,
 * and its port. */
static int
host_port(const char *what, const char *hostport, uint32_t *a, char *port,
    size_t portsz, char *err, size_t errlen)
{
	struct addrinfo *res = NULL, *ai;
	char host[300], e[256], *colon;

	if (!name_hostport_valid(hostport))
		return errf(err, errlen, "%s %s: not host:port", what,
		    hostport);
	snprintf(host, sizeof(host), "%s", hostport);
	colon = strrchr(host, ':');
	*colon++ = '\0';
	snprintf(port, portsz, "%s", colon);
	if (wg_addr_parse(host, a) == 0)
		return 0;
	if (http_lookup(host, port, LOOKUP_TIMEOUT, &res, e, sizeof(e)) != 0)
		return errf(err, errlen, "%s %s: %s", what, host, e);
	for (ai = res; ai != NULL && ai->ai_family != AF_INET; ai = ai->ai_next)
		;
	if (ai != NULL)
		*a = ntohl(((struct sockaddr_in *)(void *)
		    ai->ai_addr)->sin_addr.s_addr);
	freeaddrinfo(res);
	if (ai == NULL)
		return errf(err, errlen, "%s %s: no IPv4 address (the overlay "
		    "carries IPv4)", what, host);
	return 0;
}

/* The endpoint's address, when one of the routes covers it: its present
 * way (ip route get) is pinned as a /32, so that the tunnel's own packets
 * do not go into the tunnel. */
static int
pin_endpoint(const struct join_overlay *o, char *pin, size_t pinsz,
    char *err, size_t errlen)
{
	char host[300], out[1024], port[16], *tok, *save = NULL;
	char via[16] = "", dev[IF_NAMESIZE] = "", *prev = NULL;
	uint32_t a = 0;
	int i, covered = 0;

	pin[0] = '\0';
	if (o->nroutes == 0)
		return 0;
	if (host_port("endpoint", o->endpoint, &a, port, sizeof(port), err,
	    errlen) != 0)
		return -1;
	for (i = 0; i < o->nroutes; i++)
		covered |= wg_net_contains(&o->routes[i], a);
	if (!covered)
		return 0;
	wg_addr_format(a, host, sizeof(host));
	{
		const char *get[] = { ip_prog(), "-o", "-4", "route", "get", host,
		    NULL };

		if (run(get, NULL, 0, out, sizeof(out), err, errlen) != 0)
			return -1;
	}
	for (tok = strtok_r(out, " \t\n", &save); tok != NULL;
	    prev = tok, tok = strtok_r(NULL, " \t\n", &save)) {
		if (prev != NULL && strcmp(prev, "via") == 0 &&
		    wg_addr_parse(tok, &a) == 0)
			snprintf(via, sizeof(via), "%s", tok);
		else if (prev != NULL && strcmp(prev, "dev") == 0 &&
		    strlen(tok) < sizeof(dev))
			snprintf(dev, sizeof(dev), "%s", tok);
	}
	if (dev[0] == '\0')
		return errf(err, errlen, "no way to the endpoint %s outside the "
		    "tunnel", host);
	snprintf(pin, pinsz, "%s/32", host);
	{
		const char *with[] = { ip_prog(), "route", "replace", pin, "via",
		    via, "dev", dev, NULL };
		const char *without[] = { ip_prog(), "route", "replace", pin,
		    "dev", dev, NULL };

		if (run(via[0] ? with : without, NULL, 0, NULL, 0, err,
		    errlen) != 0) {
			pin[0] = '\0';
			return -1;
		}
	}
	return 0;
}

/* Our rules for slurmctld gone (there may be none). */
static void
slurmctld_rule_del(void)
{
	const char *del[] = { ip_prog(), "rule", "del", "priority",
	    OVERLAY_RULE_PRIORITY, "lookup", OVERLAY_TABLE, NULL };
	char e[256];
	int i;

	for (i = 0; i < 16 && run(del, NULL, 0, NULL, 0, e, sizeof(e)) == 0;
	    i++)
		;
}

/* slurmd's and srun's connections to slurmctld (TCP to its address and
 * port) go through the tunnel, from our overlay address, whatever way the
 * rest of the traffic to that host takes (a pinned endpoint, no routes):
 * Slurm 23.11 and later take a dynamic or CLOUD node's address from the
 * peer address of its slurmd's registration.  A rule of its own and a
 * table of its own (OVERLAY_RULE_PRIORITY, OVERLAY_TABLE): the tunnel's
 * own packets (UDP), the hook and NFS keep their ways. */
static int
route_slurmctld(const char *ifname, const struct join_overlay *o,
    uint32_t ctl, const char *port, char *err, size_t errlen)
{
	char to[24];
	const char *route[] = { ip_prog(), "route", "replace", to, "dev",
	    ifname, "src", o->address, "table", OVERLAY_TABLE, NULL };
	/* (ipproto by number: ip(8) looks names up in /etc/protocols,
	 * which a minimal system lacks) */
	const char *rule[] = { ip_prog(), "rule", "add", "to", to, "ipproto",
	    "6", "dport", port, "priority", OVERLAY_RULE_PRIORITY, "lookup",
	    OVERLAY_TABLE, NULL };

	wg_addr_format(ctl, to, sizeof(to));
	strcat(to, "/32");
	slurmctld_rule_del();
	if (run(route, NULL, 0, NULL, 0, err, errlen) != 0 ||
	    run(rule, NULL, 0, NULL, 0, err, errlen) != 0)
		return -1;
	return 0;
}

int
overlay_up(const char *ifname, enum settings_wireguard wg,
    const struct join_overlay *o, const char *slurmctld, const char **how,
    char *pin, size_t pinsz, char *err, size_t errlen)
{
	char allowed[JOIN_MAX_ROUTES * 20 + 40], keepalive[16], addr[40];
	char net[24], port[16];
	size_t used;
	uint32_t ctl;
	int i;

	pin[0] = '\0';
	*how = "kept";
	if (if_nametoindex(ifname) == 0 &&
	    make_interface(ifname, wg, how, err, errlen) != 0)
		return -1;
	if (strcmp(*how, "kept") == 0 && drop_peers(ifname, err, errlen) != 0)
		return -1;
	wg_net_format(&o->network, allowed, sizeof(allowed));
	for (i = 0; i < o->nroutes; i++) {
		used = strlen(allowed);
		wg_net_format(&o->routes[i], net, sizeof(net));
		snprintf(allowed + used, sizeof(allowed) - used, ",%s", net);
	}
	if (host_port("slurmctld", slurmctld, &ctl, port, sizeof(port), err,
	    errlen) != 0)
		return -1;
	wg_addr_format(ctl, net, sizeof(net));
	used = strlen(allowed);
	snprintf(allowed + used, sizeof(allowed) - used, ",%s/32", net);
	snprintf(keepalive, sizeof(keepalive), "%ld", o->keepalive);
	snprintf(addr, sizeof(addr), "%s/%d", o->address, o->network.prefix);
	if (pin_endpoint(o, pin, pinsz, err, errlen) != 0)
		return -1;
	{
		const char *set[] = { wg_prog(), "set", ifname, "private-key",
		    OVERLAY_KEY_FILE, "peer", o->public_key, "endpoint",
		    o->endpoint, "allowed-ips", allowed, "persistent-keepalive",
		    o->keepalive > 0 ? keepalive : "off", NULL };
		const char *replace[] = { ip_prog(), "address", "replace", addr,
		    "dev", ifname, NULL };
		const char *up[] = { ip_prog(), "link", "set", ifname, "mtu", MTU,
		    "up", NULL };

		if (run(set, NULL, 0, NULL, 0, err, errlen) != 0 ||
		    run(replace, NULL, 0, NULL, 0, err, errlen) != 0 ||
		    (strcmp(*how, "kept") == 0 && other_addresses(ifname,
		    o->address, err, errlen) != 0) ||
		    run(up, NULL, 0, NULL, 0, err, errlen) != 0)
			return -1;
	}
	for (i = 0; i < o->nroutes; i++) {
		const char *route[] = { ip_prog(), "route", "replace", net, "dev",
		    ifname, NULL };

		wg_net_format(&o->routes[i], net, sizeof(net));
		if (run(route, NULL, 0, NULL, 0, err, errlen) != 0)
			return -1;
	}
	return route_slurmctld(ifname, o, ctl, port, err, errlen);
}

/* The controller's latest handshake (unix time, 0 none yet), or -1. */
static long
handshake(const char *ifname, const char *key, char *err, size_t errlen)
{
	const char *argv[] = { wg_prog(), "show", ifname, "latest-handshakes",
	    NULL };
	char out[8192], k[64], *line, *save = NULL;
	long t;

	if (run(argv, NULL, 0, out, sizeof(out), err, errlen) != 0)
		return -1;
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "%63s %ld", k, &t) == 2 && strcmp(k, key) == 0)
			return t;
	errf(err, errlen, "the controller is not a peer of %s", ifname);
	return -1;
}

int
overlay_check(const char *ifname, const struct join_overlay *o,
    double timeout, volatile sig_atomic_t *stop, double *took, char *err,
    size_t errlen)
{
	struct sockaddr_in to;
	double start = mono_now(), sent = 0;
	long t = 0;
	int fd, packets = 0;

	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons(9);		/* discard: any packet will do */
	if (inet_pton(AF_INET, o->controller, &to.sin_addr) != 1)
		return errf(err, errlen, "controller %s: not an address",
		    o->controller);
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return errf(err, errlen, "socket: %s", strerror(errno));
	for (;;) {
		if (mono_now() - sent >= RESEND) {
			/* each one may start a handshake: the first, or a retry
			 * of one lost on the way */
			if (sendto(fd, "vnode", 5, MSG_DONTWAIT,
			    (struct sockaddr *)&to, sizeof(to)) < 0 &&
			    errno != ECONNREFUSED) {
				errf(err, errlen, "a packet to %s: %s",
				    o->controller, strerror(errno));
				break;
			}
			packets++;
			sent = mono_now();
		}
		if ((t = handshake(ifname, o->public_key, err, errlen)) < 0)
			break;
		if (t > 0) {
			*took = mono_now() - start;
			close(fd);
			return 0;
		}
		if (stop != NULL && *stop) {
			errf(err, errlen, "stopped");
			break;
		}
		if (mono_now() - start > timeout) {
			errf(err, errlen, "no handshake with the controller at "
			    "%s in %g s, after %d packet%s to %s: the endpoint "
			    "is not reachable over UDP from here, or the "
			    "controller does not have this node as a peer",
			    o->endpoint, timeout, packets, packets == 1 ? "" : "s",
			    o->controller);
			break;
		}
		sleep_seconds(mono_now() - start < POLL_FAST ? POLL_FIRST : POLL,
		    stop);
	}
	close(fd);
	return -1;
}

int
overlay_down(const char *ifname, const char *pin, char *err, size_t errlen)
{
	const char *del[] = { ip_prog(), "link", "del", ifname, NULL };
	const char *unpin[] = { ip_prog(), "route", "del", pin, NULL };
	char e[256];

	if (pin != NULL && pin[0] != '\0')
		run(unpin, NULL, 0, NULL, 0, e, sizeof(e));
	slurmctld_rule_del();
	if (if_nametoindex(ifname) == 0)
		return 0;
	/* (wireguard-go ends with its interface) */
	return run(del, NULL, 0, NULL, 0, err, errlen);
}
