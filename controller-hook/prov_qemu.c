/*
 * prov_qemu.c - provider = qemu: instances are VMs of the vnode image on
 * the controller's own host (hookd.conf(5) "qemu_*").
 *
 * Each instance is a directory of qemu_state_dir, named by its id
 * ("q-NODE-HEX"):
 *
 *   instance     node=, created=, tap=, mac=, ip= (written once, atomically)
 *   disk.qcow2   a copy-on-write overlay of qemu_image
 *   config.iso   its config drive, as Nova makes it (ISO 9660, label
 *                config-2: openstack/latest/meta_data.json with uuid = the
 *                id, user_data, network_data.json)
 *   qemu.pid     qemu's pidfile; qmp.sock its QMP socket
 *   stopping     the deadline of a graceful delete (unix time)
 *
 * and its serial console is console/ID.log (the newest CONSOLES_KEPT are
 * kept after the instance is gone).  qemu runs as the hook's user,
 * daemonized, on a tap device that vnode-privd makes for that user on
 * qemu_bridge (PRIVD_TAP_CREATE); KVM where /dev/kvm works, TCG
 * otherwise.  A graceful delete is an ACPI power button (QMP
 * system_powerdown: the guest's systemd stops vnode-agent, which leaves);
 * the instance is killed once qemu_stop_timeout is over.  What is gone is
 * cleaned up (tap, overlay, drive) at the next call.
 *
 * qemu-img and genisoimage are Debian's, by their absolute paths.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <net/if.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "atomicfile.h"
#include "jsonutil.h"
#include "names.h"
#include "privd.h"
#include "provider.h"
#include "spawn.h"
#include "util.h"

#define QEMU_IMG	"/usr/bin/qemu-img"
#define GENISOIMAGE	"/usr/bin/genisoimage"
#define TOOL_TIMEOUT	20.0	/* seconds: qemu-img, genisoimage */
#define START_TIMEOUT	30.0	/* seconds until qemu has daemonized */
#define MIN_LEFT	5.0	/* seconds a create needs at least */
#define TERM_WAIT	3.0	/* seconds after SIGTERM, then SIGKILL */
#define QMP_TIMEOUT	5.0	/* seconds for one QMP exchange */
#define PRESS_AGAIN	10	/* seconds between power button presses */
#define CONSOLES_KEPT	16
#define LIST_MAX	4096
#define PATH_LEN	4096

struct qemu_st {
	struct hook_qemu c;
	char socket[PATH_LEN];		/* vnode-privd */
	double timeout;			/* provider_timeout */
	int kvm;
	uid_t uid;
};

/* An instance's record (the file "instance"). */
struct qinst {
	char node[PROV_NODE_MAX];
	long created;
	char tap[16];
	char mac[18];
	char ip[16];			/* "dhcp" when the site's DHCP gives it */
};

/* ---- small helpers ---- */

static int
path(char *out, const struct qemu_st *q, const char *id, const char *file)
{
	int n = file != NULL ?
	    snprintf(out, PATH_LEN, "%s/%s/%s", q->c.state_dir, id, file) :
	    snprintf(out, PATH_LEN, "%s/%s", q->c.state_dir, id);

	return n < 0 || n >= PATH_LEN ? -1 : 0;
}

/* "q-" then letters, digits and '-': what create makes. */
static int
id_ok(const char *id)
{
	size_t n = strlen(id);

	return n > 2 && n < PROV_ID_MAX && n <= 64 && strncmp(id, "q-", 2) == 0 &&
	    strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-") == n;
}

static uint32_t
fnv1a(const char *s, uint32_t salt)
{
	uint32_t h = 2166136261u ^ salt;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

static int
write_small(const char *p, const char *data, size_t len, char *err,
    size_t errlen)
{
	int fd;
	ssize_t n;

	if ((fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) < 0)
		return errf(err, errlen, "%s: %s", p, strerror(errno));
	while (len > 0) {
		if ((n = write(fd, data, len)) < 0) {
			if (errno == EINTR)
				continue;
			errf(err, errlen, "%s: %s", p, strerror(errno));
			close(fd);
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	if (close(fd) != 0)
		return errf(err, errlen, "%s: %s", p, strerror(errno));
	return 0;
}

static int
inst_read(const struct qemu_st *q, const char *id, struct qinst *in)
{
	char p[PATH_LEN], *buf = NULL, *line, *save = NULL, *eq, err[256];
	long v;
	int rc = -1;

	memset(in, 0, sizeof(*in));
	if (path(p, q, id, "instance") != 0 ||
	    read_file(p, 4096, &buf, NULL, err, sizeof(err)) != 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if ((eq = strchr(line, '=')) == NULL)
			continue;
		*eq++ = '\0';
		if (strcmp(line, "node") == 0 && name_node_valid(eq))
			str_copy(in->node, sizeof(in->node), eq);
		else if (strcmp(line, "created") == 0 &&
		    parse_long(eq, 0, 1L << 40, &v) == 0)
			in->created = v;
		else if (strcmp(line, "tap") == 0 && strlen(eq) < sizeof(in->tap))
			str_copy(in->tap, sizeof(in->tap), eq);
		else if (strcmp(line, "mac") == 0 && strlen(eq) < sizeof(in->mac))
			str_copy(in->mac, sizeof(in->mac), eq);
		else if (strcmp(line, "ip") == 0 && strlen(eq) < sizeof(in->ip))
			str_copy(in->ip, sizeof(in->ip), eq);
	}
	rc = in->node[0] != '\0' ? 0 : -1;
	free(buf);
	return rc;
}

/* The ids of the state directory (allocated, *n of them). */
static int
ids(const struct qemu_st *q, char (**out)[PROV_ID_MAX], size_t *n, char *err,
    size_t errlen)
{
	DIR *d;
	struct dirent *e;
	char (*v)[PROV_ID_MAX] = NULL, (*nv)[PROV_ID_MAX];
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	if ((d = opendir(q->c.state_dir)) == NULL)
		return errf(err, errlen, "%s: %s", q->c.state_dir,
		    strerror(errno));
	while ((e = readdir(d)) != NULL) {
		if (!id_ok(e->d_name))
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			if (cap > LIST_MAX || (nv = realloc(v, cap *
			    sizeof(*v))) == NULL) {
				free(v);
				closedir(d);
				return errf(err, errlen, "%s: too many instances",
				    q->c.state_dir);
			}
			v = nv;
		}
		str_copy(v[(*n)++], PROV_ID_MAX, e->d_name);	/* id_ok: fits */
	}
	closedir(d);
	*out = v;
	return 0;
}

/* The pid of the instance's qemu when it runs: its pidfile's pid is a
 * process of ours whose command line has "-pidfile" and that very file
 * (not a pid reused by something else); 0 when it does not run. */
static pid_t
running(const struct qemu_st *q, const char *id)
{
	char p[PATH_LEN], proc[64], *buf = NULL, *a, err[128];
	size_t len;
	struct stat st;
	long pid;
	pid_t rc = 0;

	if (path(p, q, id, "qemu.pid") != 0 ||
	    read_file(p, 64, &buf, NULL, err, sizeof(err)) != 0)
		return 0;
	buf[strcspn(buf, " \t\r\n")] = '\0';
	if (parse_long(buf, 2, 1L << 30, &pid) != 0)
		goto out;
	free(buf);
	buf = NULL;
	snprintf(proc, sizeof(proc), "/proc/%ld", pid);
	if (stat(proc, &st) != 0 || st.st_uid != q->uid)
		goto out;
	snprintf(proc, sizeof(proc), "/proc/%ld/cmdline", pid);
	if (read_file(proc, 64 * 1024, &buf, &len, err, sizeof(err)) != 0)
		goto out;		/* gone, or a zombie (empty) */
	for (a = buf; a < buf + len; a += strlen(a) + 1)
		if (strcmp(a, "-pidfile") == 0 && a + strlen(a) + 1 < buf + len &&
		    strcmp(a + strlen(a) + 1, p) == 0) {
			rc = (pid_t)pid;
			break;
		}
out:
	free(buf);
	return rc;
}

/* A program, bounded by its own timeout and by the call's deadline
 * (mono_now()). */
static int
run(const char *const *argv, double timeout, double deadline, char *err,
    size_t errlen)
{
	struct spawn sp;
	double left = deadline - mono_now();

	if (left < 1)
		return errf(err, errlen, "%s: no time left in this call "
		    "(provider_timeout)", argv[0]);
	memset(&sp, 0, sizeof(sp));
	sp.argv = argv;
	sp.timeout = timeout < left ? timeout : left;
	return spawn_run(&sp, err, errlen);
}

static int
privd(const struct qemu_st *q, enum privd_op op, const char *tap, char *err,
    size_t errlen)
{
	struct privd_req *rq;
	struct privd_rep *rp;
	int rc = -1;

	rq = calloc(1, sizeof(*rq));
	rp = calloc(1, sizeof(*rp));
	if (rq == NULL || rp == NULL) {
		errf(err, errlen, "out of memory");
		goto out;
	}
	rq->magic = PRIVD_MAGIC;
	rq->op = (uint32_t)op;
	snprintf(rq->name, sizeof(rq->name), "%s", tap);
	snprintf(rq->arg, sizeof(rq->arg), "%s", q->c.bridge);
	if (privd_call(q->socket, rq, rp, q->timeout, err, errlen) != 0)
		goto out;
	if (rp->status != 0) {
		errf(err, errlen, "vnode-privd: %s", rp->msg);
		goto out;
	}
	rc = 0;
out:
	free(rq);
	free(rp);
	return rc;
}

/* The console logs: the newest CONSOLES_KEPT stay. */
static void
consoles_prune(const struct qemu_st *q)
{
	char dir[PATH_LEN], p[PATH_LEN * 2];
	struct dirent *e;
	struct stat st;
	time_t oldest;
	char victim[256];
	DIR *d;
	int n;

	if (path(dir, q, "console", NULL) != 0)
		return;
	for (;;) {
		if ((d = opendir(dir)) == NULL)
			return;
		n = 0;
		oldest = 0;
		victim[0] = '\0';
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.' || strlen(e->d_name) >=
			    sizeof(victim))
				continue;
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			if (lstat(p, &st) != 0 || !S_ISREG(st.st_mode))
				continue;
			n++;
			if (victim[0] == '\0' || st.st_mtime < oldest) {
				oldest = st.st_mtime;
				snprintf(victim, sizeof(victim), "%s", e->d_name);
			}
		}
		closedir(d);
		if (n <= CONSOLES_KEPT || victim[0] == '\0')
			return;
		snprintf(p, sizeof(p), "%s/%s", dir, victim);
		if (unlink(p) != 0)
			return;
	}
}

/* The file "stopping": "DEADLINE NEXT_PRESS" (unix times). */
static int
stopping_write(const struct qemu_st *q, const char *id, long deadline,
    long next_press, char *err, size_t errlen)
{
	char p[PATH_LEN], buf[64];
	int n = snprintf(buf, sizeof(buf), "%ld %ld\n", deadline, next_press);

	if (path(p, q, id, "stopping") != 0)
		return errf(err, errlen, "%s: path too long", id);
	return af_write(p, buf, (size_t)n, 0600, (uid_t)-1, (gid_t)-1, err,
	    errlen);
}

/* Everything of an instance whose qemu has ended: its tap (through
 * vnode-privd), its files.  -1 with err when the tap could not be
 * deleted: the directory stays (with "stopping"), and the next call
 * tries again. */
static int
cleanup(const struct qemu_st *q, const char *id, char *err, size_t errlen)
{
	static const char *const files[] = { "disk.qcow2", "config.iso",
	    "qmp.sock", "qemu.pid", "instance", "stopping", NULL };
	struct qinst in;
	char p[PATH_LEN];
	int i;

	if (inst_read(q, id, &in) == 0 && in.tap[0] != '\0' &&
	    privd(q, PRIVD_TAP_DELETE, in.tap, err, errlen) != 0) {
		char why[256];

		/* the sweep tries again; list does not show it meanwhile */
		if (path(p, q, id, "stopping") == 0 && access(p, F_OK) != 0)
			(void)stopping_write(q, id, 0, 0, why, sizeof(why));
		return -1;
	}
	for (i = 0; files[i] != NULL; i++)
		if (path(p, q, id, files[i]) == 0)
			unlink(p);
	/* a create cut short may have left its drive's tree */
	{
		static const char *const tree[] = {
		    "drive/openstack/latest/meta_data.json",
		    "drive/openstack/latest/user_data",
		    "drive/openstack/latest/network_data.json",
		    "drive/openstack/latest/vendor_data.json",
		    "drive/openstack/latest", "drive/openstack", "drive", NULL };

		for (i = 0; tree[i] != NULL; i++)
			if (path(p, q, id, tree[i]) == 0 && unlink(p) != 0)
				rmdir(p);
	}
	if (path(p, q, id, NULL) == 0 && rmdir(p) != 0 && errno != ENOENT)
		return errf(err, errlen, "%s: %s", p, strerror(errno));
	consoles_prune(q);
	return 0;
}

/* SIGTERM (qemu quits at once), then SIGKILL; 0 once it has ended. */
static int
kill_qemu(const struct qemu_st *q, const char *id, pid_t pid, char *err,
    size_t errlen)
{
	double end;
	int sig = SIGTERM;

	for (;;) {
		if (kill(pid, sig) != 0 && errno != ESRCH)
			return errf(err, errlen, "kill %d: %s", (int)pid,
			    strerror(errno));
		end = mono_now() + (sig == SIGTERM ? TERM_WAIT : 2.0);
		while (mono_now() < end) {
			if (running(q, id) != pid)
				return 0;
			sleep_seconds(0.05, NULL);
		}
		if (sig == SIGKILL)
			return errf(err, errlen, "qemu %d of %s does not end",
			    (int)pid, id);
		sig = SIGKILL;
	}
}

static int qmp(const struct qemu_st *q, const char *id, const char *command,
    char *err, size_t errlen);

/* Instances being deleted: those ended are cleaned up, those past their
 * deadline killed first, and the others have their power button pressed
 * again every PRESS_AGAIN seconds, as Nova does: a guest still booting
 * (its button driver not bound yet, logind not up) misses a press. */
static void
sweep(const struct qemu_st *q)
{
	char (*v)[PROV_ID_MAX] = NULL, p[PATH_LEN], *buf, err[512];
	size_t n, i;
	long deadline, next_press;
	pid_t pid;

	if (ids(q, &v, &n, err, sizeof(err)) != 0)
		return;
	for (i = 0; i < n; i++) {
		if (path(p, q, v[i], "stopping") != 0 ||
		    read_file(p, 64, &buf, NULL, err, sizeof(err)) != 0)
			continue;
		if (sscanf(buf, "%ld %ld", &deadline, &next_press) != 2)
			deadline = next_press = 0;
		free(buf);
		if ((pid = running(q, v[i])) != 0) {
			if (wall_now() < deadline) {
				if (next_press > 0 && wall_now() >= next_press &&
				    qmp(q, v[i], "system_powerdown", err,
				    sizeof(err)) == 0)
					(void)stopping_write(q, v[i], deadline,
					    wall_now() + PRESS_AGAIN, err,
					    sizeof(err));
				continue;
			}
			if (kill_qemu(q, v[i], pid, err, sizeof(err)) != 0)
				continue;
		}
		(void)cleanup(q, v[i], err, sizeof(err));
	}
	free(v);
}

/* ---- QMP ---- */

/* The next message that answers a command (not an event), within the
 * deadline: 0 for a "return", -1 with err for an "error" or anything
 * else. */
static int
qmp_answer(int fd, char *buf, size_t bufsz, size_t *have, double deadline,
    char *err, size_t errlen)
{
	struct json_object *o, *e, *d;
	char *nl, why[256];
	ssize_t n;
	int rc;

	for (;;) {
		while ((nl = memchr(buf, '\n', *have)) != NULL) {
			*nl = '\0';
			o = js_parse(buf, (size_t)(nl - buf), why, sizeof(why));
			memmove(buf, nl + 1, *have - (size_t)(nl + 1 - buf));
			*have -= (size_t)(nl + 1 - buf);
			if (o == NULL)
				return errf(err, errlen, "QMP: %s", why);
			if (json_object_object_get_ex(o, "return", NULL)) {
				json_object_put(o);
				return 0;
			}
			if (json_object_object_get_ex(o, "error", &e)) {
				rc = errf(err, errlen, "QMP: %.200s",
				    json_object_object_get_ex(e, "desc", &d) ?
				    json_object_get_string(d) : "an error");
				json_object_put(o);
				return rc;
			}
			if (json_object_object_get_ex(o, "QMP", NULL)) {
				json_object_put(o);
				return 0;	/* the greeting */
			}
			json_object_put(o);	/* an event */
		}
		if (*have + 1 >= bufsz)
			return errf(err, errlen, "QMP: a message too long");
		if (mono_now() > deadline)
			return errf(err, errlen, "QMP: no answer in %.0f s",
			    QMP_TIMEOUT);
		n = read(fd, buf + *have, bufsz - 1 - *have);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return errf(err, errlen, "QMP: %s", n == 0 ?
			    "closed" : strerror(errno));
		*have += (size_t)n;
	}
}

/* One QMP command without arguments. */
static int
qmp(const struct qemu_st *q, const char *id, const char *command, char *err,
    size_t errlen)
{
	static const char caps[] = "{\"execute\": \"qmp_capabilities\"}\n";
	struct sockaddr_un sa;
	struct timeval tv = { 1, 0 };
	char p[PATH_LEN], cmd[128], *buf = NULL;
	size_t have = 0, bufsz = 65536;
	double deadline = mono_now() + QMP_TIMEOUT;
	int fd = -1, rc = -1;

	if (path(p, q, id, "qmp.sock") != 0 || strlen(p) >= sizeof(sa.sun_path))
		return errf(err, errlen, "%s: QMP socket path too long", id);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p);
	snprintf(cmd, sizeof(cmd), "{\"execute\": \"%s\"}\n", command);
	if ((buf = malloc(bufsz)) == NULL)
		return errf(err, errlen, "out of memory");
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		errf(err, errlen, "QMP %s: %s", p, strerror(errno));
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (qmp_answer(fd, buf, bufsz, &have, deadline, err, errlen) != 0)
		goto out;
	if (send(fd, caps, sizeof(caps) - 1, MSG_NOSIGNAL) !=
	    (ssize_t)(sizeof(caps) - 1) ||
	    qmp_answer(fd, buf, bufsz, &have, deadline, err, errlen) != 0 ||
	    send(fd, cmd, strlen(cmd), MSG_NOSIGNAL) != (ssize_t)strlen(cmd) ||
	    qmp_answer(fd, buf, bufsz, &have, deadline, err, errlen) != 0) {
		if (err[0] == '\0')
			errf(err, errlen, "QMP %s: %s", p, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

/* ---- creating ---- */

/* A tap name, a MAC address and an address no instance of the state
 * directory has, for instance id. */
static int
allocate(const struct qemu_st *q, const char *id, struct qinst *in,
    char *err, size_t errlen)
{
	char (*v)[PROV_ID_MAX] = NULL;
	struct qinst *have = NULL;
	struct in_addr a;
	uint32_t h, ip, first = 0, last = 0;
	size_t n, i, k;
	int rc = -1;

	if (ids(q, &v, &n, err, errlen) != 0)
		return -1;
	if (n > 0 && (have = calloc(n, sizeof(*have))) == NULL) {
		errf(err, errlen, "out of memory");
		goto out;
	}
	for (i = k = 0; i < n; i++)
		if (strcmp(v[i], id) != 0 && inst_read(q, v[i], &have[k]) == 0)
			k++;
	/* the tap: the prefix, 'q', 8 hex digits; not an interface already */
	for (h = fnv1a(id, 0);; h++) {
		snprintf(in->tap, sizeof(in->tap), "%.4sq%08x", q->c.tap_prefix, h);
		for (i = 0; i < k; i++)
			if (strcmp(have[i].tap, in->tap) == 0)
				break;
		if (i == k && if_nametoindex(in->tap) == 0)
			break;
	}
	/* the MAC: qemu's prefix 52:54:00 and 24 bits of the id */
	for (h = fnv1a(id, 1);; h++) {
		snprintf(in->mac, sizeof(in->mac), "52:54:00:%02x:%02x:%02x",
		    (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff);
		for (i = 0; i < k; i++)
			if (strcmp(have[i].mac, in->mac) == 0)
				break;
		if (i == k)
			break;
	}
	if (q->c.first[0] == '\0') {
		snprintf(in->ip, sizeof(in->ip), "dhcp");
		rc = 0;
		goto out;
	}
	if (inet_pton(AF_INET, q->c.first, &a) == 1)
		first = ntohl(a.s_addr);
	if (inet_pton(AF_INET, q->c.last, &a) == 1)
		last = ntohl(a.s_addr);
	for (ip = first; ip <= last && ip != 0; ip++) {
		a.s_addr = htonl(ip);
		inet_ntop(AF_INET, &a, in->ip, sizeof(in->ip));
		for (i = 0; i < k; i++)
			if (strcmp(have[i].ip, in->ip) == 0)
				break;
		if (i == k) {
			rc = 0;
			goto out;
		}
	}
	errf(err, errlen, "no free address in qemu_addresses %s-%s",
	    q->c.first, q->c.last);
out:
	free(have);
	free(v);
	return rc;
}

/* meta_data.json and network_data.json of the config drive. */
static int
drive_json(const struct qemu_st *q, const char *id, const struct qinst *in,
    char **meta, char **net)
{
	struct json_object *m, *nd, *links, *link, *nets, *nw, *routes, *r;
	struct in_addr a;
	char mask[16];

	m = json_object_new_object();
	json_object_object_add(m, "uuid", json_object_new_string(id));
	json_object_object_add(m, "name", json_object_new_string(in->node));
	json_object_object_add(m, "hostname", json_object_new_string(in->node));
	json_object_object_add(m, "launch_index", json_object_new_int(0));
	json_object_object_add(m, "availability_zone",
	    json_object_new_string("vnode-qemu"));
	json_object_object_add(m, "meta", json_object_new_object());
	*meta = strdup(json_object_to_json_string_ext(m,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(m);

	nd = json_object_new_object();
	links = json_object_new_array();
	link = json_object_new_object();
	json_object_object_add(link, "id", json_object_new_string("eth0"));
	json_object_object_add(link, "type", json_object_new_string("phy"));
	json_object_object_add(link, "ethernet_mac_address",
	    json_object_new_string(in->mac));
	json_object_object_add(link, "mtu", json_object_new_int(1500));
	json_object_array_add(links, link);
	json_object_object_add(nd, "links", links);
	nets = json_object_new_array();
	nw = json_object_new_object();
	json_object_object_add(nw, "id", json_object_new_string("network0"));
	json_object_object_add(nw, "link", json_object_new_string("eth0"));
	json_object_object_add(nw, "network_id",
	    json_object_new_string(q->c.bridge));
	if (strcmp(in->ip, "dhcp") == 0)
		json_object_object_add(nw, "type",
		    json_object_new_string("ipv4_dhcp"));
	else {
		a.s_addr = htonl(~0u << (32 - q->c.prefix));
		inet_ntop(AF_INET, &a, mask, sizeof(mask));
		json_object_object_add(nw, "type", json_object_new_string("ipv4"));
		json_object_object_add(nw, "ip_address",
		    json_object_new_string(in->ip));
		json_object_object_add(nw, "netmask", json_object_new_string(mask));
		routes = json_object_new_array();
		if (q->c.gateway[0] != '\0') {
			r = json_object_new_object();
			json_object_object_add(r, "network",
			    json_object_new_string("0.0.0.0"));
			json_object_object_add(r, "netmask",
			    json_object_new_string("0.0.0.0"));
			json_object_object_add(r, "gateway",
			    json_object_new_string(q->c.gateway));
			json_object_array_add(routes, r);
		}
		json_object_object_add(nw, "routes", routes);
	}
	json_object_array_add(nets, nw);
	json_object_object_add(nd, "networks", nets);
	json_object_object_add(nd, "services", json_object_new_array());
	*net = strdup(json_object_to_json_string_ext(nd,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(nd);
	if (*meta == NULL || *net == NULL) {
		free(*meta);
		free(*net);
		*meta = *net = NULL;
		return -1;
	}
	return 0;
}

/* The config drive: the tree, genisoimage as Nova runs it, the tree
 * removed (the user data holds a join token; the ISO is 0600). */
static int
config_drive(const struct qemu_st *q, const char *id, const struct qinst *in,
    const struct prov_request *rq, double deadline, char *err, size_t errlen)
{
	static const char *const dirs[] = { "drive", "drive/openstack",
	    "drive/openstack/latest", NULL };
	char p[PATH_LEN], iso[PATH_LEN], tree[PATH_LEN];
	char *meta = NULL, *net = NULL;
	const char *argv[] = { GENISOIMAGE, "-o", iso, "-ldots",
	    "-allow-lowercase", "-allow-multidot", "-l", "-publisher",
	    "vnode-hookd", "-quiet", "-J", "-r", "-V", "config-2", tree, NULL };
	int i, rc = -1;

	if (path(iso, q, id, "config.iso") != 0 ||
	    path(tree, q, id, "drive") != 0)
		return errf(err, errlen, "%s: path too long", id);
	for (i = 0; dirs[i] != NULL; i++)
		if (path(p, q, id, dirs[i]) != 0 || mkdir(p, 0700) != 0)
			return errf(err, errlen, "%s: %s", p, strerror(errno));
	if (drive_json(q, id, in, &meta, &net) != 0) {
		errf(err, errlen, "out of memory");
		goto out;
	}
#define LATEST "drive/openstack/latest/"
	if (path(p, q, id, LATEST "meta_data.json") != 0 ||
	    write_small(p, meta, strlen(meta), err, errlen) != 0 ||
	    path(p, q, id, LATEST "network_data.json") != 0 ||
	    write_small(p, net, strlen(net), err, errlen) != 0 ||
	    path(p, q, id, LATEST "vendor_data.json") != 0 ||
	    write_small(p, "{}\n", 3, err, errlen) != 0 ||
	    path(p, q, id, LATEST "user_data") != 0 ||
	    write_small(p, rq->user_data, rq->user_data_len, err, errlen) != 0)
		goto out;
	if (run(argv, TOOL_TIMEOUT, deadline, err, errlen) != 0)
		goto out;
	if (chmod(iso, 0600) != 0) {
		errf(err, errlen, "%s: %s", iso, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (path(p, q, id, LATEST "user_data") == 0 && access(p, F_OK) == 0) {
		/* the token, off the disk at once (the ISO keeps it, 0600) */
		int fd = open(p, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);

		if (fd >= 0) {
			char zero[512];
			size_t left = rq->user_data_len;

			memset(zero, 0, sizeof(zero));
			while (left > 0) {
				size_t k = left < sizeof(zero) ? left : sizeof(zero);

				if (write(fd, zero, k) != (ssize_t)k)
					break;
				left -= k;
			}
			close(fd);
		}
	}
	{
		static const char *const tree_files[] = {
		    LATEST "meta_data.json", LATEST "network_data.json",
		    LATEST "vendor_data.json", LATEST "user_data", NULL };

		for (i = 0; tree_files[i] != NULL; i++)
			if (path(p, q, id, tree_files[i]) == 0)
				unlink(p);
		for (i = 2; i >= 0; i--)
			if (path(p, q, id, dirs[i]) == 0)
				rmdir(p);
	}
#undef LATEST
	free(meta);
	free(net);
	return rc;
}

static int
create_one(struct qemu_st *q, const struct prov_request *rq, double deadline,
    char *id, char *err, size_t errlen)
{
	struct timespec ts;
	struct qinst in;
	char dir[PATH_LEN], p[PATH_LEN], rec[512], disk[PATH_LEN];
	char drive_disk[PATH_LEN + 64], drive_iso[PATH_LEN + 64];
	char netdev[128], device[128], qmp_arg[PATH_LEN + 32];
	char serial[PATH_LEN + 16], pidfile[PATH_LEN], mem[16], cpus[16];
	char backing[PATH_LEN + 32], why[512];
	size_t i;
	int n;

	/* the id: q-NODE-HEX, the node's other characters as '-' */
	clock_gettime(CLOCK_REALTIME, &ts);
	n = snprintf(id, PROV_ID_MAX, "q-%.40s-%llx", rq->node,
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000);
	if (n < 0 || n >= PROV_ID_MAX)
		return errf(err, errlen, "node name too long");
	for (i = 2; id[i] != '\0'; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' &&
		    id[i] <= 'Z') || (id[i] >= '0' && id[i] <= '9')))
			id[i] = '-';
	if (!id_ok(id))
		return errf(err, errlen, "no instance id for node %s", rq->node);
	if (path(dir, q, id, NULL) != 0 || mkdir(dir, 0700) != 0)
		return errf(err, errlen, "%s: %s", dir, strerror(errno));

	memset(&in, 0, sizeof(in));
	str_copy(in.node, sizeof(in.node), rq->node);
	in.created = wall_now();
	if (allocate(q, id, &in, err, errlen) != 0)
		goto fail;
	/* the record first: a create cut short is cleaned up from it */
	n = snprintf(rec, sizeof(rec), "node=%s\ncreated=%ld\ntap=%s\nmac=%s\n"
	    "ip=%s\n", in.node, in.created, in.tap, in.mac, in.ip);
	if (n < 0 || (size_t)n >= sizeof(rec) ||
	    path(p, q, id, "instance") != 0 ||
	    af_write(p, rec, (size_t)n, 0600, (uid_t)-1, (gid_t)-1, err,
	    errlen) != 0)
		goto fail;

	/* the overlay */
	if (path(disk, q, id, "disk.qcow2") != 0)
		goto fail;
	{
		const char *argv[] = { QEMU_IMG, "create", "-q", "-f", "qcow2",
		    "-b", q->c.image, "-F", "qcow2", disk, NULL };

		if (run(argv, TOOL_TIMEOUT, deadline, err, errlen) != 0)
			goto fail;
	}
	if (config_drive(q, id, &in, rq, deadline, err, errlen) != 0)
		goto fail;
	if (privd(q, PRIVD_TAP_CREATE, in.tap, why, sizeof(why)) != 0) {
		errf(err, errlen, "tap %s on %s: %s", in.tap, q->c.bridge, why);
		goto fail;
	}

	/* qemu, daemonized once the machine is set up */
	snprintf(drive_disk, sizeof(drive_disk),
	    "file=%s,if=virtio,format=qcow2", disk);
	if (path(p, q, id, "config.iso") != 0)
		goto fail;
	snprintf(drive_iso, sizeof(drive_iso),
	    "file=%s,media=cdrom,readonly=on,format=raw", p);
	snprintf(netdev, sizeof(netdev),
	    "tap,id=n0,ifname=%s,script=no,downscript=no", in.tap);
	snprintf(device, sizeof(device), "virtio-net-pci,netdev=n0,mac=%s",
	    in.mac);
	if (path(p, q, id, "qmp.sock") != 0)
		goto fail;
	snprintf(qmp_arg, sizeof(qmp_arg), "unix:%s,server=on,wait=off", p);
	n = snprintf(serial, sizeof(serial), "file:%s/console/%s.log",
	    q->c.state_dir, id);
	if (n < 0 || (size_t)n >= sizeof(serial) ||
	    path(pidfile, q, id, "qemu.pid") != 0)
		goto fail;
	snprintf(mem, sizeof(mem), "%ld", q->c.memory);
	snprintf(cpus, sizeof(cpus), "%ld", q->c.cpus);
	snprintf(backing, sizeof(backing), "%s", q->kvm ? "kvm" : "tcg");
	{
		const char *argv[] = { q->c.program, "-name", id,
		    "-accel", backing, "-cpu", q->kvm ? "host" : "qemu64",
		    "-m", mem, "-smp", cpus,
		    "-drive", drive_disk, "-drive", drive_iso,
		    "-netdev", netdev, "-device", device,
		    "-rtc", "base=utc", "-display", "none", "-vga", "none",
		    "-monitor", "none", "-serial", serial, "-qmp", qmp_arg,
		    "-pidfile", pidfile, "-daemonize", NULL };

		if (run(argv, START_TIMEOUT, deadline, err, errlen) != 0)
			goto fail;
	}
	if (running(q, id) == 0) {
		errf(err, errlen, "qemu exited at once (console: %s/console/%s.log)",
		    q->c.state_dir, id);
		goto fail;
	}
	return 0;
fail:
	{
		pid_t pid = running(q, id);

		if (pid != 0)
			(void)kill_qemu(q, id, pid, why, sizeof(why));
	}
	(void)cleanup(q, id, why, sizeof(why));
	return -1;
}

static int
qemu_create(void *st, const struct prov_request *rq, size_t n,
    struct prov_instance *out, char *err, size_t errlen)
{
	struct qemu_st *q = st;
	double end = mono_now() + q->timeout;
	char why[PROV_DETAIL_MAX];
	size_t i;
	int taken = 0;

	sweep(q);
	memset(out, 0, n * sizeof(*out));
	for (i = 0; i < n; i++) {
		snprintf(out[i].node, sizeof(out[i].node), "%s", rq[i].node);
		out[i].state = PROV_ERROR;
		if (!name_node_valid(rq[i].node))
			snprintf(out[i].detail, sizeof(out[i].detail),
			    "\"%.64s\" is not a node name", rq[i].node);
		else if (mono_now() + MIN_LEFT > end)
			snprintf(out[i].detail, sizeof(out[i].detail),
			    "no time left in this call (provider_timeout)");
		else if (create_one(q, &rq[i], end, out[i].id, why,
		    sizeof(why)) != 0) {
			out[i].id[0] = '\0';
			str_copy(out[i].detail, sizeof(out[i].detail), why);
		} else {
			out[i].state = PROV_BUILDING;
			out[i].created = wall_now();
			snprintf(out[i].detail, sizeof(out[i].detail), "%s",
			    q->kvm ? "kvm" : "tcg");
			taken++;
		}
	}
	/* not one made, for the same reason: the call itself failed */
	if (taken == 0 && n > 0) {
		errf(err, errlen, "%s", out[0].detail);
		return -1;
	}
	return taken;
}

static int
qemu_destroy(void *st, const char *id, int graceful, char *err,
    size_t errlen)
{
	struct qemu_st *q = st;
	char p[PATH_LEN];
	struct stat sb;
	pid_t pid;

	if (!id_ok(id) || path(p, q, id, NULL) != 0)
		return errf(err, errlen, "\"%.64s\" is not a qemu instance id",
		    id);
	sweep(q);
	if (lstat(p, &sb) != 0)
		return 0;			/* gone already */
	if ((pid = running(q, id)) == 0)
		return cleanup(q, id, err, errlen);
	if (!graceful) {
		if (kill_qemu(q, id, pid, err, errlen) != 0)
			return -1;
		return cleanup(q, id, err, errlen);
	}
	if (path(p, q, id, "stopping") != 0)
		return errf(err, errlen, "%s: path too long", id);
	if (access(p, F_OK) == 0)
		return 0;			/* asked already */
	/* the power button: the guest shuts down, its agent leaves first */
	if (qmp(q, id, "system_powerdown", err, errlen) != 0)
		return -1;
	return stopping_write(q, id, wall_now() + q->c.stop_timeout,
	    wall_now() + PRESS_AGAIN, err, errlen);
}

static int
qemu_list(void *st, struct prov_instance **out, size_t *n, char *err,
    size_t errlen)
{
	struct qemu_st *q = st;
	char (*v)[PROV_ID_MAX] = NULL, p[PATH_LEN], why[256];
	struct prov_instance *r = NULL;
	struct qinst in;
	size_t m, i, k = 0;
	int stopping;

	*out = NULL;
	*n = 0;
	sweep(q);
	if (ids(q, &v, &m, err, errlen) != 0)
		return -1;
	if (m > 0 && (r = calloc(m, sizeof(*r))) == NULL) {
		free(v);
		return errf(err, errlen, "out of memory");
	}
	for (i = 0; i < m; i++) {
		stopping = path(p, q, v[i], "stopping") == 0 &&
		    access(p, F_OK) == 0;
		if (inst_read(q, v[i], &in) != 0)
			in.node[0] = '\0';
		memset(&r[k], 0, sizeof(r[k]));
		snprintf(r[k].id, sizeof(r[k].id), "%s", v[i]);
		snprintf(r[k].node, sizeof(r[k].node), "%s", in.node);
		r[k].created = in.created;
		if (running(q, v[i]) != 0)
			r[k].state = stopping ? PROV_STOPPING : PROV_RUNNING;
		else if (stopping)
			continue;	/* ended, its cleanup to be retried */
		else {
			/* it ended by itself (a poweroff, a crash): said
			 * once, then cleaned up */
			r[k].state = PROV_ERROR;
			snprintf(r[k].detail, sizeof(r[k].detail), "qemu is not "
			    "running (console: %.100s/console/%.64s.log)",
			    q->c.state_dir, v[i]);
			(void)cleanup(q, v[i], why, sizeof(why));
		}
		k++;
	}
	free(v);
	*out = r;
	*n = k;
	return 0;
}

static void
qemu_free(void *st)
{
	free(st);
}

/* KVM works for this user: /dev/kvm opens, speaks API 12 and makes a VM.
 * 1, or 0 with why. */
static int
kvm_usable(char *why, size_t whylen)
{
	int fd, vm, v;

	if ((fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)) < 0) {
		errf(why, whylen, "/dev/kvm: %s", strerror(errno));
		return 0;
	}
	if ((v = ioctl(fd, KVM_GET_API_VERSION, 0)) != KVM_API_VERSION) {
		errf(why, whylen, "/dev/kvm: API version %d, not %d", v,
		    KVM_API_VERSION);
		close(fd);
		return 0;
	}
	if ((vm = ioctl(fd, KVM_CREATE_VM, 0)) < 0) {
		errf(why, whylen, "/dev/kvm: cannot create a VM: %s",
		    strerror(errno));
		close(fd);
		return 0;
	}
	close(vm);
	close(fd);
	return 1;
}

int
prov_qemu_open(const struct hook_config *cfg, struct provider *p,
    char *err, size_t errlen)
{
	struct qemu_st *q;
	struct stat sb;
	char why[256], dir[PATH_LEN];

	if (stat(cfg->qemu.image, &sb) != 0 ||
	    access(cfg->qemu.image, R_OK) != 0)
		return errf(err, errlen, "provider qemu: qemu_image %s: %s",
		    cfg->qemu.image, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return errf(err, errlen, "provider qemu: qemu_image %s: not a "
		    "regular file", cfg->qemu.image);
	if (access(cfg->qemu.program, X_OK) != 0)
		return errf(err, errlen, "provider qemu: qemu_program %s: %s "
		    "(apt-get install qemu-system-x86)", cfg->qemu.program,
		    strerror(errno));
	if (access(QEMU_IMG, X_OK) != 0)
		return errf(err, errlen, "provider qemu: %s: %s (apt-get install "
		    "qemu-utils)", QEMU_IMG, strerror(errno));
	if (access(GENISOIMAGE, X_OK) != 0)
		return errf(err, errlen, "provider qemu: %s: %s (apt-get install "
		    "genisoimage)", GENISOIMAGE, strerror(errno));
	if (access("/dev/net/tun", R_OK | W_OK) != 0)
		return errf(err, errlen, "provider qemu: /dev/net/tun: %s (qemu "
		    "opens the instances' taps with it)", strerror(errno));
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return errf(err, errlen, "out of memory");
	q->c = cfg->qemu;
	snprintf(q->socket, sizeof(q->socket), "%s", cfg->local_socket);
	q->timeout = cfg->provider_timeout;
	q->uid = geteuid();
	/* the state directory and its console/, the hook's own */
	if (path(dir, q, "console", NULL) != 0) {
		errf(err, errlen, "provider qemu: qemu_state_dir too long");
		free(q);
		return -1;
	}
	if ((mkdir(q->c.state_dir, 0700) != 0 && errno != EEXIST) ||
	    (mkdir(dir, 0700) != 0 && errno != EEXIST) ||
	    lstat(q->c.state_dir, &sb) != 0) {
		errf(err, errlen, "provider qemu: qemu_state_dir %s: %s",
		    q->c.state_dir, strerror(errno));
		free(q);
		return -1;
	}
	if (!S_ISDIR(sb.st_mode) || sb.st_uid != q->uid ||
	    (sb.st_mode & 077) != 0) {
		errf(err, errlen, "provider qemu: qemu_state_dir %s is not a "
		    "directory of uid %u that only it may use (mode 0700)",
		    q->c.state_dir, (unsigned)q->uid);
		free(q);
		return -1;
	}
	why[0] = '\0';
	if (strcmp(q->c.accel, "tcg") == 0)
		snprintf(why, sizeof(why), "qemu_accel = tcg");
	else
		q->kvm = kvm_usable(why, sizeof(why));
	if (strcmp(q->c.accel, "kvm") == 0 && !q->kvm) {
		errf(err, errlen, "provider qemu: qemu_accel = kvm, but %s", why);
		free(q);
		return -1;
	}
	if (q->kvm)
		snprintf(p->info, sizeof(p->info), "KVM");
	else
		snprintf(p->info, sizeof(p->info), "TCG, no KVM: %.100s", why);
	{
		size_t l = strlen(p->info);

		snprintf(p->info + l, sizeof(p->info) - l, "; %ld MiB, %ld "
		    "CPU(s), taps on %s, %s%s%s%s", q->c.memory, q->c.cpus,
		    q->c.bridge, q->c.first[0] ? "addresses " : "DHCP",
		    q->c.first, q->c.first[0] ? "-" : "", q->c.last);
	}
	p->name = "qemu";
	p->st = q;
	p->create = qemu_create;
	p->destroy = qemu_destroy;
	p->list = qemu_list;
	p->free = qemu_free;
	return 0;
}
