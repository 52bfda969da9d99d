#!/bin/bash
# admit = pool: slurm.conf declares State=FUTURE slots; each joining
# instance takes a free one, which gets the instance's address through the
# API (no restart, no reconfigure).  A rejoin keeps its slot, at its new
# address; a leave gives the slot back; with none free a join is refused
# with the reason.  Each slot is held (drained) until its agent says its
# mounts are verified.
#
# Slurm 22.05's srun resolves a slot's address from its own slurm.conf
# (NodeAddr there is the slot's name), not from slurmctld, so srun to a
# pool node needs the slot names in DNS; batch jobs need nothing.  This
# test checks what pool mode itself promises: slurmctld reaches the node.
. "$(dirname "$0")/test.common"
vt_init
SLURM_NODES="NodeName=vm-[1-2] CPUs=1 RealMemory=500 Feature=vnode State=FUTURE"
HOOKD_EXTRA="admit = pool
mount.sw = tmpfs /var/lib/vnode/sw tmpfs size=8m"
ctl_start
nodes n1 n2 n3

# batch jobs reach the node (see above for srun)
reach_batch() {
	local node=$1 j
	j=$(sb_user ctl sbatch --parsable -w "$node" -t 2 -o "$T/work/reach.%j" \
	    --wrap 'echo reached $SLURMD_NODENAME') || fail "sbatch to $node"
	done_ok() { [ -z "$(job_state "$j")" ] && [ -s "$T/work/reach.$j" ]; }
	wait_for 60 "batch job $j on $node" done_ok
	grep -q "^reached $node$" "$T/work/reach.$j" ||
	    fail "batch job $j on $node: $(cat "$T/work/reach.$j")"
}
addr_of() {
	sb ctl scontrol show node "$1" | sed -n 's/.*NodeAddr=\([^ ]*\).*/\1/p'
}

agent n1 join || fail "join of n1"
# its slot was held (drained) until its mounts were verified
grep -q "ready: vm-[12] is IDLE in Slurm (its hold released)" "$T/n1.agent.log" ||
    fail "n1 was not held and released"
agent n2 join || fail "join of n2"
v1=$(node_name n1)
v2=$(node_name n2)
[ "$(echo "$v1 $v2" | tr ' ' '\n' | sort | tr '\n' ' ')" = "vm-1 vm-2 " ] ||
    fail "slots taken: $v1 $v2"
for n in n1 n2; do
	v=$(node_name $n)
	[ "$(node_state "$v")" = idle ] || fail "$v is $(node_state "$v")"
	[ "$(addr_of "$v")" = "$(node_ip $n)" ] || fail "$v at $(addr_of "$v")"
	reach_batch "$v"
done
grep -q "slurmd: started in pool slot $v1" "$T/n1.agent.log" ||
    fail "n1's slurmd not started for its slot"

# no slot left: refused, with the reason, nothing taken
agent_conf n3 "$tok" "join_timeout = 4"
agent n3 join && fail "a join with no free slot succeeded"
grep -q "no free slot in the pool (2 nodes named vm-" "$T/n3.agent.log" ||
    fail "no reason given for the refused join"

# rejoin at a new address: same slot, new address
node_readdress n1 "$VT_SUBNET.61"
agent n1 join || fail "rejoin of n1"
[ "$(node_name n1)" = "$v1" ] || fail "n1 moved from $v1 to $(node_name n1)"
[ "$(addr_of "$v1")" = "$VT_SUBNET.61" ] || fail "$v1 at $(addr_of "$v1")"
reach_batch "$v1"

# leave: the slot is FUTURE again, and the next instance takes it
agent n2 leave || fail "leave of n2"
future() { sb ctl scontrol -F show node "$1" | grep -q "State=FUTURE"; }
wait_for 10 "$v2 back to FUTURE" future "$v2"
agent_conf n3 "$tok" "join_timeout = 30"
agent n3 join || fail "join of n3 into the freed slot"
[ "$(node_name n3)" = "$v2" ] || fail "n3 took $(node_name n3), not $v2"
[ "$(addr_of "$v2")" = "$(node_ip n3)" ] || fail "$v2 at $(addr_of "$v2")"
reach_batch "$v2"

# the instance that left comes back: its old slot is taken, it gets the
# one n1 gives back
agent n1 leave || fail "leave of n1"
wait_for 10 "$v1 back to FUTURE" future "$v1"
agent n2 join || fail "n2 back into the pool"
[ "$(node_name n2)" = "$v1" ] || fail "n2 came back as $(node_name n2), not $v1"
[ "$(addr_of "$v1")" = "$(node_ip n2)" ] || fail "$v1 at $(addr_of "$v1")"
reach_batch "$v1"
exit 0
