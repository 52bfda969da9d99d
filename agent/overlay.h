/*
 * overlay.h - the node's side of the overlay: a WireGuard interface whose
 * one peer is the controller, so that slurmctld, srun and the other nodes
 * reach this node at its overlay address wherever it is (behind a cloud's
 * NAT, at a public address that changes).  The join (join.h) carries our
 * public key to the hook and brings back the rest.
 *
 * The private key is made here, kept in OVERLAY_KEY_FILE (0600, root) and
 * never leaves the node; the copies in memory are wiped.
 */
#ifndef VNODE_AGENT_OVERLAY_H
#define VNODE_AGENT_OVERLAY_H

#include <signal.h>
#include <stddef.h>

#include "join.h"
#include "settings.h"
#include "wg.h"

#define OVERLAY_KEY_FILE	"/var/lib/vnode/overlay.key"
/* the routing table, and the priority of the rule (before the main
 * table's, 32766), that take slurmd's connections to slurmctld into the
 * tunnel */
#define OVERLAY_TABLE		"51820"
#define OVERLAY_RULE_PRIORITY	"32000"

/* Our public key into pub: the private key read, or made when there is
 * none.  0; 1 when WireGuard's tools (wg) are not installed, so that no
 * key can be offered; -1 with err (a key file that is not safe to use
 * says which check failed). */
int overlay_key(char pub[WG_KEY_LEN + 1], char *err, size_t errlen);

/*
 * The interface up, with the controller as its one peer (a fresh session:
 * a peer that was there is set anew), our address and the routes the
 * hook gave; an endpoint that one of those routes covers keeps its way
 * outside the tunnel (a /32 route, in *pin, "" when none).  TCP to
 * slurmctld (host:port, the join's conf_server) goes through the tunnel
 * from our overlay address, by a rule of its own (OVERLAY_TABLE), so that
 * Slurm sees its registrations come from there.  One that is there
 * already (the agent ran before) is reused.  *how: "kernel" or
 * "wireguard-go".
 */
int overlay_up(const char *ifname, enum settings_wireguard wg,
    const struct join_overlay *o, const char *slurmctld, const char **how,
    char *pin, size_t pinsz, char *err, size_t errlen);

/* Packets to the controller's overlay address until a handshake with it
 * shows (wg show latest-handshakes), within timeout seconds (*stop ends
 * it too); *took: how long it took. */
int overlay_check(const char *ifname, const struct join_overlay *o,
    double timeout, volatile sig_atomic_t *stop, double *took, char *err,
    size_t errlen);

/* The interface, a pinned route and the rule for slurmctld gone; 0 also
 * when they were not there. */
int overlay_down(const char *ifname, const char *pin, char *err,
    size_t errlen);

#endif
