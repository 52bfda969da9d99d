/*
 * proctree.c - see proctree.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <unistd.h>

#include "proctree.h"
#include "util.h"

#define MAX_TREE	4096		/* processes in one job's tree */
#define MAX_SOCKETS	4096		/* socket inodes looked at */

pid_t
ckpt_parent_of(pid_t pid, char *comm, size_t commlen)
{
	char path[64], buf[1024], *lp, *rp;
	ssize_t n;
	int fd, ppid;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if ((lp = strchr(buf, '(')) == NULL ||
	    (rp = strrchr(buf, ')')) == NULL || rp < lp)
		return -1;
	if (comm != NULL)
		snprintf(comm, commlen, "%.*s", (int)(rp - lp - 1),
		    lp + 1);
	if (sscanf(rp + 1, " %*c %d", &ppid) != 1)
		return -1;
	return (pid_t)ppid;
}

unsigned long long
ckpt_proc_start(pid_t pid)
{
	char path[64], buf[1024], *p, *save = NULL;
	unsigned long long v = 0;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (pid <= 0 || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* after "pid (comm)": state is field 3, starttime field 22 */
	if ((p = strrchr(buf, ')')) == NULL)
		return 0;
	for (field = 3, p = strtok_r(p + 1, " ", &save); p != NULL;
	    p = strtok_r(NULL, " ", &save), field++)
		if (field == 22) {
			v = strtoull(p, NULL, 10);
			break;
		}
	return v;
}

int
ckpt_tree(pid_t root, pid_t **out)
{
	pid_t *all = NULL, *par = NULL, *t = NULL;
	struct dirent *de;
	DIR *d = NULL;
	int nall = 0, n = -1, i, j;
	long v;

	*out = NULL;
	if (root <= 1 || (kill(root, 0) != 0 && errno == ESRCH))
		return -1;
	all = calloc(MAX_TREE * 4, sizeof(*all));
	par = calloc(MAX_TREE * 4, sizeof(*par));
	t = calloc(MAX_TREE, sizeof(*t));
	if (all == NULL || par == NULL || t == NULL ||
	    (d = opendir("/proc")) == NULL)
		goto out;
	while ((de = readdir(d)) != NULL && nall < MAX_TREE * 4) {
		if (parse_long(de->d_name, 1, INT_MAX, &v) != 0)
			continue;
		all[nall] = (pid_t)v;
		if ((par[nall] = ckpt_parent_of((pid_t)v, NULL, 0)) > 0)
			nall++;
	}
	n = 0;
	t[n++] = root;
	/* breadth first: each process found adds its children */
	for (i = 0; i < n && n < MAX_TREE; i++)
		for (j = 0; j < nall && n < MAX_TREE; j++)
			if (par[j] == t[i] && all[j] != root)
				t[n++] = all[j];
	*out = t;
	t = NULL;
out:
	if (d != NULL)
		closedir(d);
	free(all);
	free(par);
	free(t);
	return n;
}

int
ckpt_signal_tree(pid_t root, int sig)
{
	pid_t *pids;
	int n, i, done = 0;

	if ((n = ckpt_tree(root, &pids)) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (kill(pids[i], sig) == 0)
			done++;
	free(pids);
	return done;
}

/* Socket inodes of established TCP connections in pid's network
 * namespace (tcp and tcp6), up to max; their number. */
static int
tcp_established(pid_t pid, unsigned long *ino, int max)
{
	static const char *const files[] = { "tcp", "tcp6" };
	char path[64], line[512], st[8];
	unsigned long inode;
	size_t f;
	FILE *fp;
	int n = 0;

	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		snprintf(path, sizeof(path), "/proc/%d/net/%s", (int)pid,
		    files[f]);
		if ((fp = fopen(path, "re")) == NULL)
			continue;
		/* "sl local rem st tx:rx tr:when retrnsmt uid timeout inode" */
		while (fgets(line, sizeof(line), fp) != NULL && n < max)
			if (sscanf(line, " %*s %*s %*s %7s %*s %*s %*s %*s %*s "
			    "%lu", st, &inode) == 2 && strcmp(st, "01") == 0 &&
			    inode != 0)
				ino[n++] = inode;
		fclose(fp);
	}
	return n;
}

/* The character devices a job may hold open and still move. */
static int
harmless_device(dev_t rdev)
{
	unsigned int ma = major(rdev), mi = minor(rdev);

	if (ma == 1 && (mi == 3 || mi == 5 || mi == 8 || mi == 9))
		return 1;	/* null, zero, random, urandom */
	if (ma == 5 && (mi == 0 || mi == 2))
		return 1;	/* tty, ptmx */
	return ma >= 136 && ma <= 143;	/* pts */
}

int
ckpt_check_tree(pid_t root, char *err, size_t errlen)
{
	pid_t *pids;
	unsigned long *tcp;
	char dir[64], fdpath[320], target[512], comm[64];
	struct dirent *de;
	struct stat st;
	unsigned long ino;
	DIR *d;
	int n, ntcp, i, k, rc = 0;

	if ((n = ckpt_tree(root, &pids)) < 0)
		return errf(err, errlen, "process %d is gone", (int)root);
	if ((tcp = calloc(MAX_SOCKETS, sizeof(*tcp))) == NULL) {
		free(pids);
		return errf(err, errlen, "out of memory");
	}
	ntcp = tcp_established(root, tcp, MAX_SOCKETS);
	for (i = 0; i < n && rc == 0; i++) {
		snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pids[i]);
		if ((d = opendir(dir)) == NULL)
			continue;	/* gone meanwhile */
		while ((de = readdir(d)) != NULL) {
			ssize_t len;

			if (de->d_name[0] == '.')
				continue;
			snprintf(fdpath, sizeof(fdpath), "%s/%s", dir,
			    de->d_name);
			if ((len = readlink(fdpath, target,
			    sizeof(target) - 1)) < 0)
				continue;
			target[len] = '\0';
			if (sscanf(target, "socket:[%lu]", &ino) == 1) {
				for (k = 0; k < ntcp; k++)
					if (tcp[k] == ino)
						break;
				if (k == ntcp)
					continue;
				ckpt_parent_of(pids[i], comm, sizeof(comm));
				rc = errf(err, errlen, "process %d (%s) holds "
				    "an established TCP connection (fd %s)",
				    (int)pids[i], comm, de->d_name);
				break;
			}
			if (target[0] != '/' || stat(fdpath, &st) != 0 ||
			    !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) ||
			    (S_ISCHR(st.st_mode) && harmless_device(st.st_rdev)))
				continue;
			ckpt_parent_of(pids[i], comm, sizeof(comm));
			rc = errf(err, errlen, "process %d (%s) has device "
			    "%s open (fd %s)", (int)pids[i], comm, target,
			    de->d_name);
			break;
		}
		closedir(d);
	}
	free(tcp);
	free(pids);
	return rc;
}

int
ckpt_proc_status(pid_t pid, char *state, pid_t *tracer)
{
	char path[64], line[256];
	FILE *fp;
	int tp = -1;

	*state = '?';
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((fp = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "State:", 6) == 0)
			sscanf(line + 6, " %c", state);
		else if (strncmp(line, "TracerPid:", 10) == 0)
			sscanf(line + 10, " %d", &tp);
	}
	fclose(fp);
	*tracer = (pid_t)tp;
	return tp < 0 ? -1 : 0;
}
