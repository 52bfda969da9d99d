/*
 * vnode-privd - the root work of vnode-hookd on this host (privd.h,
 * vnode-privd(8)): node sandboxes for provider = local, tap devices for
 * provider = qemu, and the peers of the overlay's WireGuard interface.
 * Nothing else.
 *
 * It listens on a unix socket that only root and the SlurmUser may open,
 * and checks the peer's uid again (SO_PEERCRED).  Each connection is one
 * fixed-size request, served by a child of its own (at most CHILDREN at
 * once): every field is checked again, then a fixed program runs by its
 * absolute path with an argv array and a clean environment (the sandbox
 * plumbing is local-node, a script beside this program).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kvconf.h"
#include "log.h"
#include "names.h"
#include "privd.h"
#include "spawn.h"
#include "util.h"
#include "wg.h"

#define CONFIG_PATH	"/etc/vnode/privd.conf"
#define CHILDREN	64		/* the hook makes up to 32 at once */
#define IO_TIMEOUT	10		/* seconds to read a request */
#define SCRIPT_TIMEOUT	90.0		/* seconds for local-node */
#define IP_TIMEOUT	10.0
#define WG_TIMEOUT	10.0		/* seconds for wg, wireguard-go */
#define WG_MTU		"1420"

struct privd_conf {
	char user[64];
	uid_t uid;
	gid_t gid;
	char socket[108];
	char local_node[4096];		/* the sandbox script */
	char sbinit[4096];		/* a sandbox's pid 1 */
	char agent[4096];		/* vnode-agent */
	char agent_conf[4096];		/* lines every sandbox's agent.conf
					 * starts with; "" none */
	char state_dir[4096];
	char bridge[16];
	char first[16], last[16];	/* the sandboxes' addresses */
	int prefix;			/* their network's length */
	char gateway[16];		/* the controller, on the bridge */
	char ctl_host[254];		/* its name, for /etc/hosts */
	long max_instances;
	long leave_timeout;		/* seconds a graceful delete waits */
	char tap_prefix[8];		/* taps we may make and delete */
	char tap_bridges[256];		/* bridges taps may go on */
	/* the overlay: "" when there is none */
	char wg_if[16];
	char wg_address_text[32];	/* as written: ADDRESS/PREFIX */
	struct wg_net wg_address;	/* the controller's, and the network */
	long wg_port;
	char wg_key[4096];		/* its private key's file */
	char wg_impl[16];		/* auto, kernel, wireguard-go */
	long wg_max_peers;
	int wg_hub;			/* forwarding between peers */
};

static struct privd_conf conf;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: vnode-privd [-n] [-f privd.conf]\n");
	exit(2);
}

static int
set_str(char *dst, size_t dstsz, const char *v)
{
	if (strlen(v) >= dstsz)
		return -1;
	snprintf(dst, dstsz, "%s", v);
	return 0;
}

static int
one(void *arg, const char *key, const char *v, int lineno, char *err,
    size_t errlen)
{
	struct privd_conf *c = arg;
	const char *what = NULL;
	int bad = 0;

	(void)lineno;
	if (strcmp(key, "user") == 0) {
		what = "a user name";
		bad = set_str(c->user, sizeof(c->user), v);
	} else if (strcmp(key, "socket") == 0) {
		what = "an absolute path of at most 107 characters";
		bad = v[0] != '/' || set_str(c->socket, sizeof(c->socket), v);
	} else if (strcmp(key, "local_node") == 0 || strcmp(key, "sbinit") == 0 ||
	    strcmp(key, "agent") == 0 || strcmp(key, "agent_conf") == 0 ||
	    strcmp(key, "state_dir") == 0) {
		char *dst = strcmp(key, "local_node") == 0 ? c->local_node :
		    strcmp(key, "sbinit") == 0 ? c->sbinit :
		    strcmp(key, "agent") == 0 ? c->agent :
		    strcmp(key, "agent_conf") == 0 ? c->agent_conf : c->state_dir;

		what = "an absolute path";
		bad = v[0] != '/' || set_str(dst, 4096, v);
	} else if (strcmp(key, "bridge") == 0) {
		what = "an interface name ([a-z][a-z0-9-], at most 15)";
		bad = !name_ifname_valid(v) ||
		    set_str(c->bridge, sizeof(c->bridge), v);
	} else if (strcmp(key, "addresses") == 0) {
		char buf[64], *dash, *slash;
		long pl;

		/* FIRST-LAST/PREFIX */
		what = "FIRST-LAST/PREFIX, like 10.77.0.100-10.77.0.250/24";
		if (strlen(v) >= sizeof(buf))
			return errf(err, errlen, "%s: \"%s\" is not %s", key, v,
			    what);
		snprintf(buf, sizeof(buf), "%s", v);
		dash = strchr(buf, '-');
		slash = strchr(buf, '/');
		if (dash == NULL || slash == NULL || slash < dash)
			bad = 1;
		else {
			*dash = *slash = '\0';
			bad = !name_ipv4_valid(buf) || !name_ipv4_valid(dash + 1) ||
			    parse_long(slash + 1, 8, 30, &pl) != 0;
			if (!bad) {
				struct in_addr a, b;

				inet_pton(AF_INET, buf, &a);
				inet_pton(AF_INET, dash + 1, &b);
				bad = ntohl(a.s_addr) > ntohl(b.s_addr) ||
				    ntohl(b.s_addr) - ntohl(a.s_addr) > 65535;
				str_copy(c->first, sizeof(c->first), buf);
				str_copy(c->last, sizeof(c->last), dash + 1);
				c->prefix = (int)pl;
			}
		}
	} else if (strcmp(key, "gateway") == 0) {
		what = "an IPv4 address";
		bad = !name_ipv4_valid(v) || set_str(c->gateway,
		    sizeof(c->gateway), v);
	} else if (strcmp(key, "ctl_host") == 0) {
		what = "a host name";
		bad = !name_host_valid(v) || set_str(c->ctl_host,
		    sizeof(c->ctl_host), v);
	} else if (strcmp(key, "max_instances") == 0) {
		what = "a number from 1 to 10000";
		bad = parse_long(v, 1, 10000, &c->max_instances);
	} else if (strcmp(key, "leave_timeout") == 0) {
		what = "a duration from 1s to 1h";
		bad = parse_duration(v, 1, 3600, &c->leave_timeout);
	} else if (strcmp(key, "tap_prefix") == 0) {
		what = "2 to 4 lowercase letters";
		bad = strlen(v) < 2 || strlen(v) > 4 ||
		    strspn(v, "abcdefghijklmnopqrstuvwxyz") != strlen(v) ||
		    set_str(c->tap_prefix, sizeof(c->tap_prefix), v);
	} else if (strcmp(key, "tap_bridges") == 0) {
		what = "interface names separated by commas";
		bad = set_str(c->tap_bridges, sizeof(c->tap_bridges), v);
	} else if (strcmp(key, "wg_interface") == 0) {
		what = "an interface name ([a-z][a-z0-9-], at most 15), or none";
		if (strcmp(v, "none") == 0)
			c->wg_if[0] = '\0';
		else
			bad = !name_ifname_valid(v) ||
			    set_str(c->wg_if, sizeof(c->wg_if), v);
	} else if (strcmp(key, "wg_address") == 0) {
		what = "the controller's overlay address and the network's "
		    "length, like 10.99.0.1/16 (length 8 to 30)";
		bad = wg_net_parse(v, &c->wg_address) != 0 ||
		    c->wg_address.prefix < 8 || c->wg_address.prefix > 30 ||
		    c->wg_address.addr == wg_net_first(&c->wg_address) ||
		    c->wg_address.addr == wg_net_last(&c->wg_address) ||
		    set_str(c->wg_address_text, sizeof(c->wg_address_text), v);
	} else if (strcmp(key, "wg_port") == 0) {
		what = "a UDP port from 1 to 65535";
		bad = parse_long(v, 1, 65535, &c->wg_port);
	} else if (strcmp(key, "wg_key") == 0) {
		what = "an absolute path";
		bad = v[0] != '/' || set_str(c->wg_key, sizeof(c->wg_key), v);
	} else if (strcmp(key, "wg_impl") == 0) {
		what = "auto, kernel or wireguard-go";
		bad = (strcmp(v, "auto") != 0 && strcmp(v, "kernel") != 0 &&
		    strcmp(v, "wireguard-go") != 0) ||
		    set_str(c->wg_impl, sizeof(c->wg_impl), v);
	} else if (strcmp(key, "wg_max_peers") == 0) {
		what = "a number from 1 to 65000";
		bad = parse_long(v, 1, 65000, &c->wg_max_peers);
	} else if (strcmp(key, "wg_hub") == 0) {
		what = "yes or no";
		if (strcmp(v, "yes") == 0)
			c->wg_hub = 1;
		else if (strcmp(v, "no") == 0)
			c->wg_hub = 0;
		else
			bad = 1;
	} else
		return errf(err, errlen, "unknown key \"%s\"", key);
	if (bad)
		return errf(err, errlen, "%s: \"%s\" is not %s", key, v, what);
	return 0;
}

static void
load(const char *path)
{
	struct passwd *pw;
	char *buf = NULL, err[512];

	memset(&conf, 0, sizeof(conf));
	snprintf(conf.user, sizeof(conf.user), "slurm");
	snprintf(conf.socket, sizeof(conf.socket), "/run/vnode/privd.sock");
	snprintf(conf.local_node, sizeof(conf.local_node),
	    "/usr/lib/vnode/local-node");
	snprintf(conf.sbinit, sizeof(conf.sbinit), "/usr/lib/vnode/vnode-sbinit");
	snprintf(conf.agent, sizeof(conf.agent), "/usr/sbin/vnode-agent");
	snprintf(conf.state_dir, sizeof(conf.state_dir), "/var/lib/vnode/local");
	snprintf(conf.ctl_host, sizeof(conf.ctl_host), "vnode-ctl");
	snprintf(conf.tap_prefix, sizeof(conf.tap_prefix), "vn");
	conf.max_instances = 500;
	conf.leave_timeout = 150;
	conf.wg_port = 51820;
	snprintf(conf.wg_key, sizeof(conf.wg_key), "/etc/vnode/wg.key");
	snprintf(conf.wg_impl, sizeof(conf.wg_impl), "auto");
	conf.wg_max_peers = 1000;
	conf.wg_hub = 1;
	if (read_file(path, 64 * 1024, &buf, NULL, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (kv_parse(buf, path, one, &conf, err, sizeof(err)) != 0)
		fatalx("%s", err);
	free(buf);
	if (conf.wg_if[0] != '\0' && conf.wg_address_text[0] == '\0')
		fatalx("%s: wg_interface = %s needs wg_address (the controller's "
		    "overlay address and network, like 10.99.0.1/16)", path,
		    conf.wg_if);
	if ((pw = getpwnam(conf.user)) == NULL)
		fatalx("%s: user %s does not exist", path, conf.user);
	conf.uid = pw->pw_uid;
	conf.gid = pw->pw_gid;
}

/* ---- the requests ---- */

static void
reply(struct privd_rep *rp, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
reply(struct privd_rep *rp, int status, const char *fmt, ...)
{
	va_list ap;

	rp->status = status;
	va_start(ap, fmt);
	vsnprintf(rp->msg, sizeof(rp->msg), fmt, ap);
	va_end(ap);
}

/* The text of a user data: printable, tabs and newlines. */
static int
text_ok(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!((s[i] >= ' ' && s[i] <= '~') || s[i] == '\n' ||
		    s[i] == '\t'))
			return 0;
	return 1;
}

/* "l-NODE-HEX": what LOCAL_CREATE makes. */
static int
local_id_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 2 && n < PRIVD_NAME_MAX && strncmp(s, "l-", 2) == 0 &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* The script, with the sandboxes' settings in its environment. */
static int
script(const char *const *args, const char *input, size_t inlen,
    char *out, size_t outsz, size_t *outlen, char *err, size_t errlen)
{
	char env[12][4200];
	const char *envp[13], *argv[8];
	struct spawn sp;
	int i = 0, k;

	snprintf(env[i++], sizeof(env[0]), "VNODE_STATE_DIR=%s", conf.state_dir);
	snprintf(env[i++], sizeof(env[0]), "VNODE_SBINIT=%s", conf.sbinit);
	snprintf(env[i++], sizeof(env[0]), "VNODE_AGENT=%s", conf.agent);
	snprintf(env[i++], sizeof(env[0]), "VNODE_AGENT_CONF=%s",
	    conf.agent_conf);
	snprintf(env[i++], sizeof(env[0]), "VNODE_BRIDGE=%s", conf.bridge);
	snprintf(env[i++], sizeof(env[0]), "VNODE_FIRST=%s", conf.first);
	snprintf(env[i++], sizeof(env[0]), "VNODE_LAST=%s", conf.last);
	snprintf(env[i++], sizeof(env[0]), "VNODE_PREFIX=%d", conf.prefix);
	snprintf(env[i++], sizeof(env[0]), "VNODE_GATEWAY=%s", conf.gateway);
	snprintf(env[i++], sizeof(env[0]), "VNODE_CTL_HOST=%s", conf.ctl_host);
	snprintf(env[i++], sizeof(env[0]), "VNODE_MAX=%ld", conf.max_instances);
	snprintf(env[i++], sizeof(env[0]), "VNODE_LEAVE_TIMEOUT=%ld",
	    conf.leave_timeout);
	for (k = 0; k < i; k++)
		envp[k] = env[k];
	envp[i] = NULL;
	argv[0] = conf.local_node;
	for (k = 0; args[k] != NULL && k < 6; k++)
		argv[k + 1] = args[k];
	argv[k + 1] = NULL;
	memset(&sp, 0, sizeof(sp));
	sp.argv = argv;
	sp.env = envp;
	sp.input = input;
	sp.inlen = inlen;
	sp.out = out;
	sp.outsz = outsz;
	sp.timeout = SCRIPT_TIMEOUT;
	if (spawn_run(&sp, err, errlen) != 0)
		return -1;
	if (outlen != NULL)
		*outlen = sp.outlen;
	return 0;
}

static void
local_create(const struct privd_req *rq, struct privd_rep *rp)
{
	struct timespec ts;
	char id[PRIVD_NAME_MAX], err[1024];
	const char *args[] = { "create", id, rq->name, NULL };

	if (!name_node_valid(rq->name) || strlen(rq->name) > 40) {
		reply(rp, -1, "\"%.64s\" is not a node name of at most 40 "
		    "characters", rq->name);
		return;
	}
	if (rq->len == 0 || !text_ok(rq->data, rq->len)) {
		reply(rp, -1, "the user data is empty or not text");
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(id, sizeof(id), "l-%s-%llx", rq->name,
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000);
	if (script(args, rq->data, rq->len, NULL, 0, NULL, err,
	    sizeof(err)) != 0) {
		reply(rp, -1, "%s", err);
		return;
	}
	snprintf(rp->data, PRIVD_REPLY_MAX, "%s", id);
	rp->len = (uint32_t)strlen(rp->data);
	reply(rp, 0, "created");
	log_info("%s: sandbox %s for node %s", rq->name, id, rq->name);
}

static void
local_delete(const struct privd_req *rq, struct privd_rep *rp)
{
	char err[1024];
	const char *args[] = { "delete", rq->name, rq->arg, NULL };

	if (!local_id_ok(rq->name)) {
		reply(rp, -1, "\"%.64s\" is not a local instance id", rq->name);
		return;
	}
	if (strcmp(rq->arg, "graceful") != 0 && strcmp(rq->arg, "force") != 0) {
		reply(rp, -1, "delete: \"%.64s\" is not graceful or force",
		    rq->arg);
		return;
	}
	if (script(args, NULL, 0, NULL, 0, NULL, err, sizeof(err)) != 0) {
		reply(rp, -1, "%s", err);
		return;
	}
	reply(rp, 0, "deleted");
	log_info("sandbox %s deleted (%s)", rq->name, rq->arg);
}

static void
local_list(struct privd_rep *rp)
{
	const char *args[] = { "list", NULL };
	char err[1024], *line, *save = NULL, *out;
	size_t len = 0, used = 0;

	if ((out = malloc(PRIVD_REPLY_MAX)) == NULL) {
		reply(rp, -1, "out of memory");
		return;
	}
	if (script(args, NULL, 0, out, PRIVD_REPLY_MAX, &len, err,
	    sizeof(err)) != 0) {
		reply(rp, -1, "%s", err);
		free(out);
		return;
	}
	/* each line checked: "ID NODE STATE CREATED" */
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char id[PRIVD_NAME_MAX], node[PRIVD_NAME_MAX], state[16];
		long created;
		int n;

		if (sscanf(line, "%63s %63s %15s %ld", id, node, state,
		    &created) != 4 || !local_id_ok(id) || !name_node_valid(node) ||
		    (strcmp(state, "creating") != 0 && strcmp(state, "running") !=
		    0 && strcmp(state, "stopping") != 0 && strcmp(state, "gone") !=
		    0))
			continue;
		n = snprintf(rp->data + used, PRIVD_REPLY_MAX - used,
		    "%s %s %s %ld\n", id, node, state, created);
		if (n < 0 || (size_t)n >= PRIVD_REPLY_MAX - used)
			break;
		used += (size_t)n;
	}
	rp->len = (uint32_t)used;
	free(out);
	reply(rp, 0, "listed");
}

static int
in_list(const char *list, const char *name)
{
	char buf[256], *t, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (t = strtok_r(buf, ", ", &save); t != NULL;
	    t = strtok_r(NULL, ", ", &save))
		if (strcmp(t, name) == 0)
			return 1;
	return 0;
}

static int
ip(const char *const *args, char *err, size_t errlen)
{
	const char *argv[12];
	struct spawn sp;
	int k;

	argv[0] = "/usr/sbin/ip";
	if (access(argv[0], X_OK) != 0)
		argv[0] = "/sbin/ip";
	for (k = 0; args[k] != NULL && k < 10; k++)
		argv[k + 1] = args[k];
	argv[k + 1] = NULL;
	memset(&sp, 0, sizeof(sp));
	sp.argv = argv;
	sp.timeout = IP_TIMEOUT;
	return spawn_run(&sp, err, errlen);
}

static void
tap(const struct privd_req *rq, struct privd_rep *rp, int create)
{
	char uid[16], err[1024];

	if (!name_ifname_valid(rq->name) || strncmp(rq->name, conf.tap_prefix,
	    strlen(conf.tap_prefix)) != 0) {
		reply(rp, -1, "\"%.64s\" is not a tap name starting with %s",
		    rq->name, conf.tap_prefix);
		return;
	}
	if (create) {
		const char *add[] = { "tuntap", "add", "dev", rq->name, "mode",
		    "tap", "user", uid, NULL };
		const char *up[] = { "link", "set", rq->name, "master", rq->arg,
		    "up", NULL };

		if (!name_ifname_valid(rq->arg) ||
		    !in_list(conf.tap_bridges, rq->arg)) {
			reply(rp, -1, "bridge \"%.64s\" is not one of tap_bridges "
			    "(%s)", rq->arg, conf.tap_bridges);
			return;
		}
		snprintf(uid, sizeof(uid), "%u", (unsigned)conf.uid);
		if (ip(add, err, sizeof(err)) != 0 || ip(up, err,
		    sizeof(err)) != 0) {
			const char *del[] = { "link", "del", rq->name, NULL };

			ip(del, uid, sizeof(uid));
			reply(rp, -1, "%s", err);
			return;
		}
		reply(rp, 0, "tap %s on %s", rq->name, rq->arg);
	} else {
		const char *del[] = { "link", "del", rq->name, NULL };

		if (ip(del, err, sizeof(err)) != 0 &&
		    strstr(err, "Cannot find device") == NULL) {
			reply(rp, -1, "%s", err);
			return;
		}
		reply(rp, 0, "tap %s deleted", rq->name);
	}
}

static int
read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ---- the overlay: the controller's WireGuard interface ---- */

/* The first of two places a program may be, by absolute path. */
static const char *
program(const char *a, const char *b)
{
	return access(a, X_OK) == 0 ? a : b;
}

static const char *
wg_program(void)
{
	return program("/usr/bin/wg", "/usr/sbin/wg");
}

static int
wg_run(const char *const *argv, char *out, size_t outsz, char *err,
    size_t errlen)
{
	struct spawn sp;

	memset(&sp, 0, sizeof(sp));
	sp.argv = argv;
	sp.out = out;
	sp.outsz = outsz;
	sp.timeout = WG_TIMEOUT;
	return spawn_run(&sp, err, errlen);
}

/* The private key's file: made (0600, root) when missing; one that is
 * there must be a regular file of root's that no one else may read. */
static int
wg_key_file(char *err, size_t errlen)
{
	char key[WG_KEY_LEN + 2];
	struct stat st;
	int fd, rc = -1;

	if (lstat(conf.wg_key, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return errf(err, errlen, "wg_key %s: not a regular file",
			    conf.wg_key);
		if (st.st_uid != 0)
			return errf(err, errlen, "wg_key %s: owned by uid %u, "
			    "not root", conf.wg_key, (unsigned)st.st_uid);
		if (st.st_mode & 077)
			return errf(err, errlen, "wg_key %s: readable by group or "
			    "others (mode %04o); make it 0600", conf.wg_key,
			    (unsigned)(st.st_mode & 07777));
		if (st.st_size > WG_KEY_FILE_MAX)
			return errf(err, errlen, "wg_key %s: %lld bytes, not a "
			    "key", conf.wg_key, (long long)st.st_size);
		return 0;
	}
	if (errno != ENOENT)
		return errf(err, errlen, "wg_key %s: %s", conf.wg_key,
		    strerror(errno));
	if (wg_key_make(key) != 0)
		return errf(err, errlen, "wg_key: no random numbers");
	strcat(key, "\n");
	if ((fd = open(conf.wg_key, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0) {
		errf(err, errlen, "wg_key %s: %s", conf.wg_key, strerror(errno));
		goto out;
	}
	if (write_all(fd, key, strlen(key)) != 0 || fsync(fd) != 0) {
		errf(err, errlen, "wg_key %s: %s", conf.wg_key, strerror(errno));
		close(fd);
		unlink(conf.wg_key);
		goto out;
	}
	if (close(fd) != 0) {
		errf(err, errlen, "wg_key %s: %s", conf.wg_key, strerror(errno));
		unlink(conf.wg_key);
		goto out;
	}
	log_info("overlay: a new private key in %s", conf.wg_key);
	rc = 0;
out:
	explicit_bzero(key, sizeof(key));
	return rc;
}

/*
 * At start: the interface, made when it is not there (the kernel's
 * WireGuard, else wireguard-go, as wg_impl says), with its key, port and
 * address, up.  One that is there is kept with its peers (vnode-privd
 * restarted: the nodes' tunnels carry on); the hook puts back any peer
 * the registry has and the interface lacks.
 */
static int
wg_setup(char *err, size_t errlen)
{
	const char *ipp = program("/usr/sbin/ip", "/sbin/ip");
	char port[8], fwd[128], e[1024];
	const char *how = "kept";
	int fd;

	if (wg_key_file(err, errlen) != 0)
		return -1;
	if (if_nametoindex(conf.wg_if) == 0) {
		const char *add[] = { ipp, "link", "add", conf.wg_if, "type",
		    "wireguard", NULL };
		const char *go[] = { program("/usr/bin/wireguard-go",
		    "/usr/sbin/wireguard-go"), conf.wg_if, NULL };

		e[0] = '\0';
		if (strcmp(conf.wg_impl, "wireguard-go") != 0 &&
		    wg_run(add, NULL, 0, e, sizeof(e)) == 0)
			how = "made (kernel)";
		else if (strcmp(conf.wg_impl, "kernel") == 0)
			return errf(err, errlen, "wg_interface %s: the kernel's "
			    "WireGuard: %s", conf.wg_if, e);
		else if (wg_run(go, NULL, 0, err, errlen) != 0 ||
		    if_nametoindex(conf.wg_if) == 0)
			return errf(err, errlen, "wg_interface %s: neither the "
			    "kernel's WireGuard (%s) nor wireguard-go (%s)",
			    conf.wg_if, e[0] ? e : "not tried", err);
		else
			how = "made (wireguard-go)";
	}
	snprintf(port, sizeof(port), "%ld", conf.wg_port);
	{
		const char *set[] = { wg_program(), "set", conf.wg_if,
		    "private-key", conf.wg_key, "listen-port", port, NULL };
		const char *addr[] = { ipp, "address", "replace",
		    conf.wg_address_text, "dev", conf.wg_if, NULL };
		const char *up[] = { ipp, "link", "set", conf.wg_if, "mtu",
		    WG_MTU, "up", NULL };

		if (wg_run(set, NULL, 0, err, errlen) != 0 ||
		    wg_run(addr, NULL, 0, err, errlen) != 0 ||
		    wg_run(up, NULL, 0, err, errlen) != 0)
			return -1;
	}
	/* the hub: what comes in on the interface may go out of it again
	 * (only this interface's forwarding; the site's other interfaces
	 * are the site's) */
	snprintf(fwd, sizeof(fwd), "/proc/sys/net/ipv4/conf/%s/forwarding",
	    conf.wg_if);
	if ((fd = open(fwd, O_WRONLY | O_CLOEXEC)) < 0 ||
	    write_all(fd, conf.wg_hub ? "1\n" : "0\n", 2) != 0) {
		errf(err, errlen, "%s: %s", fwd, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	log_info("overlay: %s %s, %s, port %s%s", conf.wg_if, how,
	    conf.wg_address_text, port, conf.wg_hub ? ", a hub" : "");
	return 0;
}

struct wg_peer {
	char key[WG_KEY_LEN + 1];
	char allowed[256];
	char endpoint[64];
	long handshake;
	long long rx, tx;
};

/* The interface's peers (wg show dump), into *out (freed by the caller). */
static int
wg_peers(struct wg_peer **out, size_t *n, char *err, size_t errlen)
{
	const char *argv[] = { wg_program(), "show", conf.wg_if, "dump", NULL };
	struct wg_peer *p = NULL;
	char *buf, *line, *save = NULL;
	size_t cap = 0;
	int first = 1, rc = -1;

	*out = NULL;
	*n = 0;
	if ((buf = malloc(PRIVD_REPLY_MAX)) == NULL)
		return errf(err, errlen, "out of memory");
	if (wg_run(argv, buf, PRIVD_REPLY_MAX, err, errlen) != 0)
		goto out;
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char key[64], psk[64], ep[64], allowed[256];
		long hs;
		long long rx, tx;

		if (first) {		/* the interface's own line */
			first = 0;
			continue;
		}
		if (sscanf(line, "%63s %63s %63s %255s %ld %lld %lld", key, psk,
		    ep, allowed, &hs, &rx, &tx) != 7 || !wg_key_valid(key)) {
			errf(err, errlen, "wg show %s dump: a line not understood",
			    conf.wg_if);
			goto out;
		}
		if (array_grow(&p, &cap, *n, sizeof(*p), 64) != 0) {
			errf(err, errlen, "out of memory");
			goto out;
		}
		memcpy(p[*n].key, key, WG_KEY_LEN + 1);	/* valid: 44 */
		snprintf(p[*n].allowed, sizeof(p[0].allowed), "%s", allowed);
		snprintf(p[*n].endpoint, sizeof(p[0].endpoint), "%s", ep);
		p[*n].handshake = hs;
		p[*n].rx = rx;
		p[*n].tx = tx;
		(*n)++;
		explicit_bzero(psk, sizeof(psk));
	}
	*out = p;
	p = NULL;
	rc = 0;
out:
	free(p);
	free(buf);
	return rc;
}

/* The interface's own public key and listen port. */
static int
wg_self(char key[WG_KEY_LEN + 1], long *port, char *err, size_t errlen)
{
	const char *k[] = { wg_program(), "show", conf.wg_if, "public-key",
	    NULL };
	const char *p[] = { wg_program(), "show", conf.wg_if, "listen-port",
	    NULL };
	char out[128];

	if (wg_run(k, out, sizeof(out), err, errlen) != 0)
		return -1;
	out[strcspn(out, "\n")] = '\0';
	if (!wg_key_valid(out))
		return errf(err, errlen, "wg show %s public-key: not a key",
		    conf.wg_if);
	memcpy(key, out, WG_KEY_LEN + 1);
	if (wg_run(p, out, sizeof(out), err, errlen) != 0)
		return -1;
	out[strcspn(out, "\n")] = '\0';
	if (parse_long(out, 1, 65535, port) != 0)
		return errf(err, errlen, "wg show %s listen-port: \"%.16s\"",
		    conf.wg_if, out);
	return 0;
}

static int
wg_request_ok(const struct privd_req *rq, struct privd_rep *rp)
{
	if (conf.wg_if[0] == '\0') {
		reply(rp, -1, "no overlay here (privd.conf has no wg_interface)");
		return 0;
	}
	if (rq->name[0] != '\0' && strcmp(rq->name, conf.wg_if) != 0) {
		reply(rp, -1, "\"%.64s\" is not the overlay's interface (%s)",
		    rq->name, conf.wg_if);
		return 0;
	}
	return 1;
}

static void
wg_info(const struct privd_req *rq, struct privd_rep *rp)
{
	char key[WG_KEY_LEN + 1], err[1024], net[32];
	long port;

	if (!wg_request_ok(rq, rp))
		return;
	if (wg_self(key, &port, err, sizeof(err)) != 0) {
		reply(rp, -1, "%s", err);
		return;
	}
	snprintf(net, sizeof(net), "%s", conf.wg_address_text);
	snprintf(rp->data, PRIVD_REPLY_MAX, "%s %ld %s %ld %d\n", key, port,
	    net, conf.wg_max_peers, conf.wg_hub);
	rp->len = (uint32_t)strlen(rp->data);
	reply(rp, 0, "%s", conf.wg_if);
}

/* The request's lines, each "KEY" or "KEY ADDRESS", checked; at most
 * PRIVD_WG_BATCH.  keys and addrs hold *n of them. */
static int
wg_lines(const struct privd_req *rq, int with_addr,
    char (*keys)[WG_KEY_LEN + 1], uint32_t *addrs, size_t *n,
    struct privd_rep *rp)
{
	char buf[PRIVD_DATA_MAX + 1], *line, *save = NULL, own[WG_KEY_LEN + 1];
	char e[1024];
	long port;
	size_t i;

	*n = 0;
	if (wg_self(own, &port, e, sizeof(e)) != 0) {
		reply(rp, -1, "%s", e);
		return -1;
	}
	memcpy(buf, rq->data, rq->len);
	buf[rq->len] = '\0';
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char key[64], addr[32], extra[2];
		int got = sscanf(line, "%63s %31s %1s", key, addr, extra);

		if (*n == PRIVD_WG_BATCH) {
			reply(rp, -1, "more than %d peers in one request",
			    PRIVD_WG_BATCH);
			return -1;
		}
		if (got != (with_addr ? 2 : 1) || !wg_key_valid(key)) {
			reply(rp, -1, "line %zu: not \"PUBLIC-KEY%s\" with a valid "
			    "key", *n + 1, with_addr ? " ADDRESS" : "");
			return -1;
		}
		if (strcmp(key, own) == 0) {
			reply(rp, -1, "line %zu: the key is the interface's own",
			    *n + 1);
			return -1;
		}
		if (with_addr && (wg_addr_parse(addr, &addrs[*n]) != 0 ||
		    !wg_net_contains(&conf.wg_address, addrs[*n]) ||
		    addrs[*n] == conf.wg_address.addr ||
		    addrs[*n] == wg_net_first(&conf.wg_address) ||
		    addrs[*n] == wg_net_last(&conf.wg_address))) {
			reply(rp, -1, "line %zu: \"%.31s\" is not a peer's address "
			    "in %s", *n + 1, addr, conf.wg_address_text);
			return -1;
		}
		for (i = 0; i < *n; i++)
			if (strcmp(keys[i], key) == 0 ||
			    (with_addr && addrs[i] == addrs[*n])) {
				reply(rp, -1, "line %zu: a key or address given "
				    "twice", *n + 1);
				return -1;
			}
		memcpy(keys[(*n)++], key, WG_KEY_LEN + 1);
	}
	if (*n == 0) {
		reply(rp, -1, "no peers in the request");
		return -1;
	}
	return 0;
}

static void
wg_peers_set(const struct privd_req *rq, struct privd_rep *rp)
{
	static char keys[PRIVD_WG_BATCH][WG_KEY_LEN + 1];
	static uint32_t addrs[PRIVD_WG_BATCH];
	static char allowed[PRIVD_WG_BATCH][24];
	const char **argv = NULL;
	struct wg_peer *cur = NULL;
	char err[1024], a[16];
	size_t n, ncur, i, k, added = 0;
	int argc = 0;

	if (!wg_request_ok(rq, rp) || wg_lines(rq, 1, keys, addrs, &n, rp) != 0)
		return;
	if (wg_peers(&cur, &ncur, err, sizeof(err)) != 0) {
		reply(rp, -1, "%s", err);
		return;
	}
	for (i = 0; i < n; i++) {
		int present = 0;

		wg_addr_format(addrs[i], a, sizeof(a));
		snprintf(allowed[i], sizeof(allowed[0]), "%s/32", a);
		for (k = 0; k < ncur; k++) {
			if (strcmp(cur[k].key, keys[i]) == 0)
				present = 1;
			else if (strcmp(cur[k].allowed, allowed[i]) == 0) {
				reply(rp, -1, "%s is the address of another peer "
				    "(remove that one first)", a);
				goto out;
			}
		}
		added += !present;
	}
	if (ncur + added > (size_t)conf.wg_max_peers) {
		reply(rp, -1, "the interface would have %zu peers, more than "
		    "wg_max_peers (%ld)", ncur + added, conf.wg_max_peers);
		goto out;
	}
	if ((argv = calloc(4 * n + 4, sizeof(*argv))) == NULL) {
		reply(rp, -1, "out of memory");
		goto out;
	}
	argv[argc++] = wg_program();
	argv[argc++] = "set";
	argv[argc++] = conf.wg_if;
	for (i = 0; i < n; i++) {
		argv[argc++] = "peer";
		argv[argc++] = keys[i];
		argv[argc++] = "allowed-ips";
		argv[argc++] = allowed[i];
	}
	argv[argc] = NULL;
	if (wg_run(argv, NULL, 0, err, sizeof(err)) != 0) {
		reply(rp, -1, "%s", err);
		goto out;
	}
	reply(rp, 0, "%zu peer%s set (%zu new)", n, n == 1 ? "" : "s", added);
	log_info("overlay: %zu peer%s set on %s (%zu new), %zu in all", n,
	    n == 1 ? "" : "s", conf.wg_if, added, ncur + added);
out:
	free(argv);
	free(cur);
}

static void
wg_peers_remove(const struct privd_req *rq, struct privd_rep *rp)
{
	static char keys[PRIVD_WG_BATCH][WG_KEY_LEN + 1];
	const char **argv;
	char err[1024];
	size_t n, i;
	int argc = 0;

	if (!wg_request_ok(rq, rp) || wg_lines(rq, 0, keys, NULL, &n, rp) != 0)
		return;
	if ((argv = calloc(3 * n + 4, sizeof(*argv))) == NULL) {
		reply(rp, -1, "out of memory");
		return;
	}
	argv[argc++] = wg_program();
	argv[argc++] = "set";
	argv[argc++] = conf.wg_if;
	for (i = 0; i < n; i++) {
		argv[argc++] = "peer";
		argv[argc++] = keys[i];
		argv[argc++] = "remove";
	}
	argv[argc] = NULL;
	if (wg_run(argv, NULL, 0, err, sizeof(err)) != 0)
		reply(rp, -1, "%s", err);
	else {
		reply(rp, 0, "%zu peer%s removed", n, n == 1 ? "" : "s");
		log_info("overlay: %zu peer%s removed from %s", n,
		    n == 1 ? "" : "s", conf.wg_if);
	}
	free(argv);
}

static void
wg_list(const struct privd_req *rq, struct privd_rep *rp)
{
	struct wg_peer *cur = NULL;
	char err[1024];
	size_t n, i, used = 0;
	int len;

	if (!wg_request_ok(rq, rp))
		return;
	if (wg_peers(&cur, &n, err, sizeof(err)) != 0) {
		reply(rp, -1, "%s", err);
		return;
	}
	for (i = 0; i < n; i++) {
		len = snprintf(rp->data + used, PRIVD_REPLY_MAX - used,
		    "%s %s %s %ld %lld %lld\n", cur[i].key, cur[i].allowed,
		    cur[i].endpoint, cur[i].handshake, cur[i].rx, cur[i].tx);
		if (len < 0 || (size_t)len >= PRIVD_REPLY_MAX - used)
			break;
		used += (size_t)len;
	}
	rp->len = (uint32_t)used;
	free(cur);
	reply(rp, 0, "%zu peers", n);
}

/* In a child: one connection. */
static void __attribute__((noreturn))
serve(int fd)
{
	struct privd_req *rq;
	struct privd_rep *rp;
	struct ucred cred;
	struct timeval tv = { IO_TIMEOUT, 0 };
	socklen_t cl = sizeof(cred);

	signal(SIGCHLD, SIG_DFL);
	if ((rq = calloc(1, sizeof(*rq))) == NULL ||
	    (rp = calloc(1, sizeof(*rp))) == NULL)
		_exit(1);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) != 0 ||
	    (cred.uid != 0 && cred.uid != conf.uid)) {
		log_warnx("refused a connection from uid %d",
		    cl == sizeof(cred) ? (int)cred.uid : -1);
		_exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	rp->magic = PRIVD_MAGIC;
	if (read_all(fd, rq, sizeof(*rq)) != 0) {
		log_warnx("uid %d: a short request", (int)cred.uid);
		_exit(1);
	}
	rq->name[sizeof(rq->name) - 1] = '\0';
	rq->arg[sizeof(rq->arg) - 1] = '\0';
	if (rq->magic != PRIVD_MAGIC || rq->len > PRIVD_DATA_MAX)
		reply(rp, -1, "a malformed request");
	else {
		if (rq->len < PRIVD_DATA_MAX)
			rq->data[rq->len] = '\0';
		switch (rq->op) {
		case PRIVD_LOCAL_CREATE:
			local_create(rq, rp);
			break;
		case PRIVD_LOCAL_DELETE:
			local_delete(rq, rp);
			break;
		case PRIVD_LOCAL_LIST:
			local_list(rp);
			break;
		case PRIVD_TAP_CREATE:
			tap(rq, rp, 1);
			break;
		case PRIVD_TAP_DELETE:
			tap(rq, rp, 0);
			break;
		case PRIVD_WG_INFO:
			wg_info(rq, rp);
			break;
		case PRIVD_WG_PEERS_SET:
			wg_peers_set(rq, rp);
			break;
		case PRIVD_WG_PEERS_REMOVE:
			wg_peers_remove(rq, rp);
			break;
		case PRIVD_WG_LIST:
			wg_list(rq, rp);
			break;
		default:
			reply(rp, -1, "unknown request %u", rq->op);
		}
	}
	if (rp->status != 0)
		log_warnx("request %u (%s): %s", rq->op, rq->name, rp->msg);
	write_all(fd, rp, sizeof(*rp));
	_exit(rp->status != 0);
}

static volatile sig_atomic_t stopping;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

int
main(int argc, char *argv[])
{
	const char *path = CONFIG_PATH;
	struct sockaddr_un sa;
	struct sigaction act;
	int ch, check = 0, lfd, fd, children = 0, status;
	mode_t old;
	pid_t pid;

	log_init("vnode-privd", 0);
	while ((ch = getopt(argc, argv, "f:n")) != -1) {
		switch (ch) {
		case 'f':
			path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	load(path);
	if (check) {
		printf("configuration OK\n");
		return 0;
	}
	if (geteuid() != 0)
		fatalx("must run as root (it makes namespaces and devices for "
		    "the SlurmUser)");
	if (conf.wg_if[0] != '\0') {
		char err[1024];

		if (wg_setup(err, sizeof(err)) != 0)
			fatalx("overlay: %s", err);
	}
	memset(&act, 0, sizeof(act));
	act.sa_handler = on_term;
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", conf.socket);
	{
		char dir[sizeof(conf.socket)], *slash;

		/* its directory, as /run/vnode is made at boot */
		snprintf(dir, sizeof(dir), "%s", conf.socket);
		if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
			*slash = '\0';
			if (mkdir(dir, 0755) != 0 && errno != EEXIST)
				fatal("%s", dir);
		}
	}
	if ((lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		fatal("socket");
	unlink(conf.socket);
	old = umask(0117);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		fatal("bind %s", conf.socket);
	umask(old);
	if (chown(conf.socket, 0, conf.gid) != 0 ||
	    chmod(conf.socket, 0660) != 0)
		fatal("%s", conf.socket);
	if (listen(lfd, 64) != 0)
		fatal("listen");
	log_info("listening on %s for uid %u (%s)", conf.socket,
	    (unsigned)conf.uid, conf.user);
	while (!stopping) {
		while ((pid = waitpid(-1, &status, children >= CHILDREN ? 0 :
		    WNOHANG)) > 0)
			children--;
		if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
			if (errno != EINTR)
				log_warn("accept");
			continue;
		}
		if ((pid = fork()) < 0) {
			log_warn("fork");
			close(fd);
			continue;
		}
		if (pid == 0) {
			close(lfd);
			serve(fd);
		}
		children++;
		close(fd);
	}
	close(lfd);
	unlink(conf.socket);
	log_info("stopping");
	return 0;
}
