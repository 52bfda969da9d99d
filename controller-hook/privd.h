/*
 * privd.h - what vnode-privd (root) does for vnode-hookd (the SlurmUser):
 * the root work of the providers that make instances on the controller's
 * own host, and nothing else.  See vnode-privd(8).
 *
 * One fixed-size request per connection on a unix socket that only the
 * SlurmUser (and root) may use, one fixed-size reply.  vnode-privd checks
 * every field again, whatever the hook checked.
 */
#ifndef VNODE_HOOK_PRIVD_H
#define VNODE_HOOK_PRIVD_H

#include <stdint.h>

#define PRIVD_MAGIC		0x766e7064u	/* "vnpd" */
#define PRIVD_NAME_MAX		64
#define PRIVD_DATA_MAX		16384		/* a request's data */
#define PRIVD_REPLY_MAX		(512 * 1024)	/* a reply's data */
#define PRIVD_MSG_MAX		512

enum privd_op {
	/* a node sandbox (network, PID, mount, UTS namespaces) running
	 * vnode-agent and slurmd: name = the Slurm node, data = its user
	 * data; the reply's data is the instance id */
	PRIVD_LOCAL_CREATE = 1,
	/* name = instance id, arg = "graceful" (SIGTERM to its agent, which
	 * leaves, then the sandbox ends) or "force" */
	PRIVD_LOCAL_DELETE = 2,
	/* the reply's data: "ID NODE STATE CREATED\n" per instance */
	PRIVD_LOCAL_LIST = 3,
	/* a tap device owned by the SlurmUser on a bridge: name = tap, arg =
	 * bridge (provider qemu) */
	PRIVD_TAP_CREATE = 4,
	PRIVD_TAP_DELETE = 5,
	/*
	 * The overlay (privd.conf wg_interface): the controller's WireGuard
	 * interface, which vnode-privd makes at its start.  name = "" or
	 * that interface, for each of these.
	 *
	 * The reply's data: "PUBLIC-KEY LISTEN-PORT ADDRESS/PREFIX
	 * MAX-PEERS HUB\n" (HUB 1 when peers reach each other through it).
	 */
	PRIVD_WG_INFO = 6,
	/* data: "PUBLIC-KEY ADDRESS\n" per peer (at most PRIVD_WG_BATCH):
	 * each is added, or has its allowed IP set, as ADDRESS/32; refused
	 * whole when a key or address is not valid, an address is not in
	 * the interface's network or is held by another peer, or the peers
	 * would be more than wg_max_peers */
	PRIVD_WG_PEERS_SET = 7,
	/* data: "PUBLIC-KEY\n" per peer: removed (one not there is no error) */
	PRIVD_WG_PEERS_REMOVE = 8,
	/* the reply's data: "PUBLIC-KEY ALLOWED-IPS ENDPOINT
	 * LATEST-HANDSHAKE RX-BYTES TX-BYTES\n" per peer ("(none)" for an
	 * endpoint not known yet) */
	PRIVD_WG_LIST = 9,
};

#define PRIVD_WG_BATCH		200	/* peers in one request */

struct privd_req {
	uint32_t magic;
	uint32_t op;
	char name[PRIVD_NAME_MAX];
	char arg[PRIVD_NAME_MAX];
	uint32_t len;			/* of data */
	char data[PRIVD_DATA_MAX];
};

struct privd_rep {
	uint32_t magic;
	int32_t status;			/* 0, or -1 with msg */
	char msg[PRIVD_MSG_MAX];
	uint32_t len;			/* of data */
	char data[PRIVD_REPLY_MAX];
};

/* The client side (the hook): one request, its reply; -1 with err when
 * vnode-privd could not be asked (err names the socket).  timeout in
 * seconds bounds the whole exchange. */
int privd_call(const char *socket, const struct privd_req *rq,
    struct privd_rep *rp, double timeout, char *err, size_t errlen);

#endif
