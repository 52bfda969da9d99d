#!/bin/bash
# The overlay: nodes behind NAT routers (nftables masquerade) that the
# controller has no route to.  Without the overlay such a node joins (its
# agent reaches the hook outward) but Slurm cannot use it: slurmctld cannot
# reach its slurmd.  With it (overlay = allow in hookd.conf, overlay = yes
# in the nodes' agent.conf) each node is a WireGuard peer of the
# controller's interface (wireguard-go here: this kernel may lack the
# module), Slurm reaches it at its overlay address: it is IDLE, runs a
# batch job and srun steps, and an srun -N2 step across two nodes behind
# two different NATs, also started on one of them (the other reached
# through the controller, the hub).  When a NAT gives its nodes a new
# public address, they carry on (keepalive, endpoint roaming).  A leave
# removes the node's peer; the node rejoins at the same address; a node
# that vanishes is reaped and its peer removed with it.  Login hosts (and
# bare-metal nodes) on the controller's network run srun on the overlay
# nodes: one routed through the controller as "vnodectl overlay route"
# says, one a WireGuard peer itself as "vnodectl overlay host" prints it.
. "$(dirname "$0")/test.common"
overlay_skip
vt_init
OVERLAY_MODE=allow
HOOKD_EXTRA="reap_after = 30s
overlay_routes = $VT_SUBNET.0/24"
overlay_env
ctl_start
privd_start
nat_router r1 1
nat_router r2 2
tok=$(token 3)
nat_node n0 r1
agent_conf n0 "$tok" "overlay = no"
nat_node n1 r1
agent_conf n1 "$tok" "overlay = yes" "heartbeat_wait = 2"
nat_node n2 r2
agent_conf n2 "$tok" "overlay = yes" "heartbeat_wait = 2"

# 0. the controller has no way to the nodes' networks
netns ctl ip route get "$(node_ip n1)" >/dev/null 2>&1 &&
    fail "the controller has a route to n1: $(netns ctl ip route get "$(node_ip n1)")"

# 1. without the overlay: n0 joins at its router's address, and slurmctld
# cannot reach its slurmd there
agent n0 join || fail "join of n0 (without the overlay) exited with $?"
vm0=$(node_name n0)
[ "$(ov_addr "$vm0")" = "$VT_SUBNET.201" ] ||
    fail "$vm0 is at $(ov_addr "$vm0"), not its router's address"
out=$(sb_user ctl timeout 90 srun -w "$vm0" -t 1 true 2>&1) &&
    fail "srun on $vm0 behind the NAT ran: $out"
down() { case $(node_state "$vm0") in *down*|*not_responding*|*fail*) return 0 ;; esac; return 1; }
wait_for 90 "$vm0 down or not responding" down
say "without the overlay: $vm0 $(node_state "$vm0"); srun: $(echo "$out" | grep -m1 -i 'error' | cut -c1-140)"
grep -E "$vm0" "$T/sb/ctl/var/log/slurm/slurmctld.log" |
    grep -Eim1 "not responding|communication|connect" >&2
sb_stop n0

# 2. with the overlay: IDLE at their overlay addresses, each a peer
agent_bg n1
agent_bg n2
vm1=$(node_name n1)
vm2=$(node_name n2)
addr1=$(ov_addr "$vm1")
addr2=$(ov_addr "$vm2")
case $addr1 in "$OV_NET".*) ;; *) fail "$vm1 is at $addr1, not an overlay address" ;; esac
case $addr2 in "$OV_NET".*) ;; *) fail "$vm2 is at $addr2, not an overlay address" ;; esac
grep -q "overlay: vnode0 (.*) at $addr1, the controller $OV_NET.1 at $CTL_IP:51820, handshake after" \
    "$T/n1.agent.log" || fail "n1's agent has no overlay line: $(grep overlay "$T/n1.agent.log")"
peers=$(ov_peers)
[ "$(echo "$peers" | grep -c " $addr1/32 ")" = 1 ] && [ "$(echo "$peers" | grep -c " $addr2/32 ")" = 1 ] ||
    fail "the controller's peers: $peers"
echo "$peers" | grep -q " $addr1/32 $VT_SUBNET.201:" ||
    fail "n1's endpoint is not its router's: $peers"
[ "$(node_state "$vm1")" = idle ] && [ "$(node_state "$vm2")" = idle ] ||
    fail "$vm1 $(node_state "$vm1"), $vm2 $(node_state "$vm2")"
# slurmd reaches slurmctld through the tunnel (a rule for TCP to its port,
# which ip(8) shows as tcp, or ipproto-6 without /etc/protocols;
# the endpoint's pinned /32 keeps the rest outside): Slurm 23.11 and later
# take the node's address from its registration, which must come from the
# overlay address, not the NAT's (31-registered-address)
rule=$(sb n1 ip rule show priority 32000)
echo "$rule" | grep -Eq "to $CTL_IP ipproto (tcp|6|ipproto-6) dport $SLURMCTLD_PORT lookup 51820" ||
    fail "n1's rule for slurmctld: $rule"
sb n1 ip route show table 51820 | grep -q "^$CTL_IP dev vnode0 .*src $addr1" ||
    fail "n1's table 51820: $(sb n1 ip route show table 51820)"
[ "$(ov_addr "$vm1")" = "$addr1" ] && [ "$(ov_addr "$vm2")" = "$addr2" ] ||
    fail "after their registrations (Slurm $(slurm_release)): $vm1 at $(ov_addr "$vm1"), $vm2 at $(ov_addr "$vm2")"
grep -q "slurmctld ($CTL_IP:$SLURMCTLD_PORT) through it" "$T/n1.agent.log" ||
    fail "n1's agent does not say slurmctld goes through the tunnel"
say "Slurm $(slurm_release): $vm1 and $vm2 registered from $addr1 and $addr2 ($rule)"
# vnodectl check-slurm sees slurm.conf's SlurmctldHost and port are
# conf_server's, the ones the nodes take through the tunnel
vnodectl check-slurm >"$T/check.out" 2>&1
grep -q "^ok *SlurmctldHost: $CTL_IP port $SLURMCTLD_PORT, conf_server's" "$T/check.out" ||
    fail "vnodectl check-slurm: $(cat "$T/check.out")"
# the private key stays on the node, and no key is in any log
[ "$(stat -c %a "$T/sb/n1/var/lib/vnode/overlay.key")" = 600 ] ||
    fail "n1's key file is $(stat -c %a "$T/sb/n1/var/lib/vnode/overlay.key")"
priv=$(cat "$T/sb/n1/var/lib/vnode/overlay.key")
pub=$(echo "$priv" | wg pubkey)
grep -rqF -e "$priv" -e "$pub" "$T"/*.log "$T/sb/ctl/var/log" && fail "a key of n1 is in a log"
vnodectl nodes | grep -q "^$vm1 .*$addr1" || fail "registry: $(vnodectl nodes)"

# 3. a batch job and an srun step on each
reach "$vm1"
reach "$vm2"

# 4. srun -N2 across the two NATs: from the controller, and from a batch
# job on vm1 (vm1 reaches vm2, and vm2 vm1, through the controller)
out=$(sb_user ctl timeout 90 srun -N2 -w "$vm1,$vm2" -t 2 -l sh -c 'echo on $SLURMD_NODENAME' 2>&1) ||
    fail "srun -N2 from the controller: $out"
echo "$out" | grep -q "on $vm1" && echo "$out" | grep -q "on $vm2" ||
    fail "srun -N2 from the controller: $out"
j=$(submit -N2 -w "$vm1,$vm2" -t 2 -o "$T/work/n2.out" \
    --wrap 'srun -N2 -l sh -c "echo step on \$SLURMD_NODENAME from \$SLURM_SUBMIT_HOST"')
wait_for 120 "job $j (srun -N2 on the nodes) ends" job_ended "$j"
job_is "$j" COMPLETED || fail "job $j is $(job_field "$j" JobState): $(cat "$T/work/n2.out")"
grep -q "step on $vm1" "$T/work/n2.out" && grep -q "step on $vm2" "$T/work/n2.out" ||
    fail "job $j: $(cat "$T/work/n2.out")"
say "srun -N2 in a job on $vm1: $(tr '\n' ';' <"$T/work/n2.out")"

# 4b. login hosts on the controller's network: munge with the cluster's
# key, slurm.conf; no join
login_host() {
	local S=$T/sb/$1
	node_create "$1"
	install -o munge -g munge -m 0400 "$T/sb/ctl/etc/munge/munge.key" "$S/etc/munge/munge.key"
	sb "$1" setpriv --reuid=munge --regid=munge --init-groups /usr/sbin/munged ||
	    fail "munged on $1"
	cp "$T/sb/ctl/etc/slurm/"*.conf "$S/etc/slurm/"
}
srun_from() {
	local out
	out=$(sb_user "$1" timeout 90 srun -N2 -w "$vm1,$vm2" -t 1 sh -c 'echo on $SLURMD_NODENAME' 2>&1) ||
	    fail "srun from $1: $out"
	echo "$out" | grep -q "on $vm1" && echo "$out" | grep -q "on $vm2" ||
	    fail "srun from $1: $out"
}
# (a) routed through the controller
vnodectl overlay route --interface vtbr >"$T/route.out" || fail "vnodectl overlay route"
grep -qx "ip route add $OV_NET.0/24 via $CTL_IP" "$T/route.out" &&
    grep -qx "sysctl -w net.ipv4.conf.vtbr.forwarding=1" "$T/route.out" &&
    grep -qx "overlay_routes = $VT_SUBNET.0/24" "$T/route.out" ||
    fail "vnodectl overlay route: $(cat "$T/route.out")"
login_host login
sb login $(grep '^ip route add' "$T/route.out") || fail "the route on login"
netns ctl $(grep '^sysctl' "$T/route.out") >/dev/null || fail "forwarding on the controller"
srun_from login
grep -q "overlay: .* (.*) at $addr1, .*handshake" "$T/n1.agent.log" &&
    sb n1 ip route show "$CTL_IP/32" | grep -q "via 192.168.1.1" ||
    fail "n1's way to its endpoint outside the tunnel: $(sb n1 ip route)"
say "srun -N2 from a login host routed through the controller: ran"
# (b) a peer of its own
login_host login2
k=$(wg genkey)
echo "$k" | sb login2 sh -c 'umask 077; cat >/run/wg.key'
vnodectl overlay host login2 "$(echo "$k" | wg pubkey)" >"$T/host.out" ||
    fail "vnodectl overlay host: $(cat "$T/host.out")"
conf() { sed -n "s/^$1 = //p" "$T/host.out"; }
laddr=$(conf Address)
sb login2 wireguard-go vnode0 >/dev/null 2>&1 || fail "wireguard-go on login2"
sb login2 wg set vnode0 private-key /run/wg.key peer "$(conf PublicKey)"     endpoint "$(conf Endpoint)" allowed-ips "$(conf AllowedIPs)"     persistent-keepalive "$(conf PersistentKeepalive)" || fail "wg on login2"
sb login2 sh -c "ip addr add $laddr dev vnode0 && ip link set vnode0 mtu 1420 up &&
    ip route add $(conf AllowedIPs) dev vnode0" || fail "vnode0 on login2"
host_peer() { ov_peers | grep -q " $laddr "; }
wait_for 20 "login2 a peer of the controller" host_peer
srun_from login2
vnodectl overlay >"$T/peers.out" || fail "vnodectl overlay: $(cat "$T/peers.out")"
grep -q "^login2 .*$OV_NET.* host .*active" "$T/peers.out" &&
    grep -q "^$vm1 .*$addr1 .*node .*active .*$VT_SUBNET.201:" "$T/peers.out" ||
    fail "vnodectl overlay: $(cat "$T/peers.out")"
vnodectl overlay host-remove login2 >/dev/null || fail "vnodectl overlay host-remove"
host_gone() { ! ov_peers | grep -q " $laddr "; }
wait_for 20 "login2's peer removed" host_gone
say "srun -N2 from a login host that is a peer ($laddr): ran; removed again"
sb_stop login
sb_stop login2

# 5. r2's public address changes: its mapping for n2 is gone, n2's
# keepalive comes from the new address and the controller follows it
new=$(nat_router_readdress r2)
roamed() { ov_peers | grep -q " $addr2/32 $new:"; }
wait_for 60 "the controller sees n2 at $new" roamed
reach "$vm2"
say "n2 behind a new public address $new: reached"

# 6. a leave removes the peer; the node rejoins at the same address, with
# a new key
agent_stop n1 || fail "leave of n1 exited with $?"
ov_peers | grep -q " $addr1/32 " && fail "n1's peer is still there: $(ov_peers)"
grep -q "overlay: vnode0 down" "$T/n1.agent.log" || fail "n1's agent did not take vnode0 down"
sb n1 ip link show vnode0 >/dev/null 2>&1 && fail "vnode0 still on n1"
[ -z "$(sb n1 ip rule show priority 32000)" ] ||
    fail "n1's rule for slurmctld stays after its leave: $(sb n1 ip rule show priority 32000)"
# (its key is lost, as on a reinstalled instance: it joins with a new one,
# which replaces the old peer at the same address)
oldkey=$(wg pubkey <"$T/sb/n1/var/lib/vnode/overlay.key")
rm "$T/sb/n1/var/lib/vnode/overlay.key"
agent_bg n1
rejoined() { [ "$(grep -c "joined as $vm1 in" "$T/n1.agent.log")" = 2 ]; }
wait_for 60 "n1 joined again" rejoined
[ "$(ov_addr "$vm1")" = "$addr1" ] || fail "$vm1 rejoined at $(ov_addr "$vm1"), not $addr1"
[ "$(ov_peers | grep -c " $addr1/32 ")" = 1 ] || fail "n1's peer after its rejoin: $(ov_peers)"
newkey=$(wg pubkey <"$T/sb/n1/var/lib/vnode/overlay.key")
[ "$newkey" != "$oldkey" ] && ov_peers | grep -q "^$newkey $addr1/32 " &&
    ! ov_peers | grep -q "^$oldkey " || fail "n1's new key is not its peer's: $(ov_peers)"
reach "$vm1"

# 7. n2 vanishes (every process of it stopped): reaped, and its peer goes
sb n2 kill -STOP -1
reaped() { vnodectl nodes | grep -q "^$vm2 *reaped "; }
wait_for 180 "$vm2 reaped" reaped
gone() { ! ov_peers | grep -q " $addr2/32 "; }
wait_for 20 "n2's peer removed" gone
say "$vm2 reaped, its peer removed; peers now: $(ov_peers | awk '{print $2}' | tr '\n' ' ')"
sb_stop n2
agent_stop n1 || fail "leave of n1 exited with $?"
[ -z "$(ov_peers)" ] || fail "peers left: $(ov_peers)"
exit 0
