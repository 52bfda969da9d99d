#!/bin/bash
# Node addresses (dynamic mode).  A node that comes back with a new IP
# (after a reboot on another host, or a floating IP moved) rejoins as the
# same node, and Slurm reaches it there: batch jobs and srun both.  With
# addr = metadata the address is the one the instance's metadata gives,
# and a join without one is refused with a reason that says so; with
# addr = reported it is the one the agent sees as its own.
. "$(dirname "$0")/test.common"
vt_init
ctl_start
nodes n1 n2

agent n1 join || fail "join of n1"
reach vm-1

# the same instance, a new address: rejoin with the node's own credential
node_readdress n1 "$VT_SUBNET.60"
agent n1 join || fail "rejoin of n1 at its new address"
grep -q "join: readmitted as vm-1, address $VT_SUBNET.60" "$T/n1.agent.log" ||
    fail "n1 not readmitted as vm-1 at $VT_SUBNET.60"
addr=$(sb ctl scontrol show node vm-1 | sed -n 's/.*NodeAddr=\([^ ]*\).*/\1/p')
[ "$addr" = "$VT_SUBNET.60" ] || fail "Slurm has vm-1 at $addr"
[ "$(vnodectl nodes | grep -c "inst-n1-$NSP\$")" = 1 ] || fail "n1 twice: $(vnodectl nodes)"
reach vm-1

# addr = metadata: the address comes from the instance's settings
echo "addr = metadata" >>"$T/sb/ctl/etc/vnode/hookd.conf"
hookd_stop
hookd_start
agent_conf n2 "$tok" "join_timeout = 5"
agent n2 join && fail "join without an address succeeded under addr = metadata"
grep -q 'refused by the hook (400): body: "address" missing: the hook takes node addresses from it (addr = metadata)' \
    "$T/n2.agent.log" || fail "no reason for the refused join"
# the address the site gives: here the node's second address
netns n2 ip addr add "$VT_SUBNET.70/24" dev eth0
agent_conf n2 "$tok" "address = $VT_SUBNET.70"
agent n2 join || fail "join of n2 with address = $VT_SUBNET.70"
grep -q "join: admitted as vm-2, address $VT_SUBNET.70" "$T/n2.agent.log" ||
    fail "n2 not admitted at $VT_SUBNET.70"
reach vm-2

# addr = reported: the address the agent sends from, as it sees it (here
# n2's first address, not the one its settings name)
sed -i 's/^addr = metadata$/addr = reported/' "$T/sb/ctl/etc/vnode/hookd.conf"
hookd_stop
hookd_start
agent n2 join || fail "rejoin of n2 under addr = reported"
grep -q "join: readmitted as vm-2, address $(node_ip n2)," "$T/n2.agent.log" ||
    fail "n2 not readmitted at its own address $(node_ip n2)"
reach vm-2
exit 0
