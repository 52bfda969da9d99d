#!/bin/bash
# Whose address Slurm uses for a dynamic node: the hook's, or the one the
# node's slurmd registers from.  Slurm 24.11 sets NodeAddr of CLOUD and
# dynamic nodes from each registration (the peer address of slurmd's
# connection; 22.05 did that only for CLOUD nodes with
# SlurmctldParameters=cloud_reg_addrs, which 24.11 calls defunct).
#   1. a node's slurmd restarts at a new address, without a rejoin (the
#      VM got another address, its agent did not run again): on 24.11 Slurm
#      reaches it there at once; on 22.05 NodeAddr stays the old one until
#      the agent rejoins (12-addresses), which this checks too;
#   2. addr = metadata: the hook sets the address the instance's settings
#      name, and on 24.11 the registration replaces it with the one slurmd
#      connects from (behind NAT: the NAT's); on 22.05 the hook's stays.
. "$(dirname "$0")/test.common"
vt_init
ctl_start
nodes n1 n2
addr_of() { sb ctl scontrol show node "$1" | sed -n 's/.*NodeAddr=\([^ ]*\).*/\1/p'; }
is_at() { [ "$(addr_of "$1")" = "$2" ]; }
if slurm_at_least 23.11; then follows=1; else follows=0; fi

# 1. slurmd restarts at a new address, with the arguments the agent gave it
agent n1 join || fail "join of n1"
reach vm-1
pid=$(sb n1 pgrep -x slurmd) || fail "no slurmd on n1"
starts=$(grep -c "slurmd version .* started" "$T/sb/n1/var/log/slurm/slurmd.log")
sb n1 cp "/proc/$pid/cmdline" /run/slurmd.cmdline
sb n1 kill "$pid"
stopped() { ! sb n1 pgrep -x slurmd; }
wait_for 30 "slurmd on n1 stopped" stopped
old=$(node_ip n1)
node_readdress n1 "$VT_SUBNET.61"
sb n1 xargs -0 -a /run/slurmd.cmdline sh -c 'exec "$@"' sh ||
    fail "slurmd did not start again on n1"
if [ $follows = 1 ]; then
	wait_for 30 "vm-1's NodeAddr $VT_SUBNET.61 from its registration" is_at vm-1 "$VT_SUBNET.61"
	reach vm-1
	say "Slurm $(slurm_release): vm-1 at $VT_SUBNET.61 from its slurmd's registration, no rejoin"
else
	started() { [ "$(grep -c "slurmd version .* started" \
	    "$T/sb/n1/var/log/slurm/slurmd.log")" -gt "$starts" ]; }
	wait_for 30 "slurmd on n1 started again" started
	# a few seconds on (slurmd registered at once), still the old address
	sleep 3
	is_at vm-1 "$old" ||
	    fail "vm-1 at $(addr_of vm-1) on Slurm $(slurm_release) without a rejoin"
	agent n1 join || fail "rejoin of n1 at $VT_SUBNET.61"
	is_at vm-1 "$VT_SUBNET.61" || fail "vm-1 at $(addr_of vm-1) after the rejoin"
	reach vm-1
	say "Slurm $(slurm_release): vm-1 kept its old NodeAddr until the agent rejoined"
fi

# 2. addr = metadata: the settings' address, a second one of n2's
echo "addr = metadata" >>"$T/sb/ctl/etc/vnode/hookd.conf"
hookd_stop
hookd_start
netns n2 ip addr add "$VT_SUBNET.72/24" dev eth0
agent_conf n2 "$tok" "address = $VT_SUBNET.72"
agent n2 join || fail "join of n2 with address = $VT_SUBNET.72"
grep -q "join: admitted as vm-2, address $VT_SUBNET.72" "$T/n2.agent.log" ||
    fail "n2 not admitted at $VT_SUBNET.72"
idle2() { [ "$(node_state vm-2)" = idle ]; }
wait_for 30 "vm-2 idle" idle2
if [ $follows = 1 ]; then
	# slurmd connects from n2's first address
	wait_for 30 "vm-2's NodeAddr $(node_ip n2) from its registration" is_at vm-2 "$(node_ip n2)"
	say "Slurm $(slurm_release): the hook set vm-2 at $VT_SUBNET.72, its registration made it $(addr_of vm-2)"
else
	is_at vm-2 "$VT_SUBNET.72" || fail "vm-2 at $(addr_of vm-2), not the hook's $VT_SUBNET.72"
	say "Slurm $(slurm_release): vm-2 at the hook's $VT_SUBNET.72"
fi
reach vm-2
exit 0
