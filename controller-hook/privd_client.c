/*
 * privd_client.c - see privd.h: the hook's side of the exchange.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "privd.h"
#include "util.h"

/* All of len bytes, or -1, within the deadline (mono_now()). */
static int
io_all(int fd, void *buf, size_t len, int out, double deadline)
{
	char *p = buf;
	struct pollfd pfd;
	ssize_t n;
	double left;

	while (len > 0) {
		if ((left = deadline - mono_now()) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		pfd.fd = fd;
		pfd.events = out ? POLLOUT : POLLIN;
		if (poll(&pfd, 1, (int)(left * 1000) + 1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		n = out ? send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT) :
		    recv(fd, p, len, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EPIPE;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
privd_call(const char *socket_path, const struct privd_req *rq,
    struct privd_rep *rp, double timeout, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	double deadline = mono_now() + timeout;
	int fd, rc = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(socket_path) >= sizeof(sa.sun_path))
		return errf(err, errlen, "%s: path too long", socket_path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", socket_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return errf(err, errlen, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		errf(err, errlen, "vnode-privd at %s: %s (is it running?)",
		    socket_path, strerror(errno));
		goto out;
	}
	if (io_all(fd, (void *)(uintptr_t)rq, sizeof(*rq), 1, deadline) != 0 ||
	    io_all(fd, rp, sizeof(*rp), 0, deadline) != 0) {
		errf(err, errlen, "vnode-privd at %s: %s", socket_path,
		    errno == ETIMEDOUT ? "no answer in time" : strerror(errno));
		goto out;
	}
	if (rp->magic != PRIVD_MAGIC || rp->len > PRIVD_REPLY_MAX) {
		errf(err, errlen, "vnode-privd at %s: a malformed reply",
		    socket_path);
		goto out;
	}
	rp->msg[sizeof(rp->msg) - 1] = '\0';
	if (rp->len < PRIVD_REPLY_MAX)
		rp->data[rp->len] = '\0';
	else
		rp->data[PRIVD_REPLY_MAX - 1] = '\0';
	rc = 0;
out:
	close(fd);
	return rc;
}
