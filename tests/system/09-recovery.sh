#!/bin/bash
# The controller's hook is down when the node boots and comes up 30 s
# later: the agent keeps trying (backoff with jitter) and joins soon after.
# The agent killed with SIGKILL mid-join and started again: the node joins
# once, as the same node, with one slurmd.
. "$(dirname "$0")/test.common"
vt_init
ctl_start
nodes n1 n2 n3

# 1. hook down at boot, up 30 s later
hookd_stop
agent n1 join &
a1=$!
sleep 30
grep -q "join: attempt [0-9]*: .*retrying in" "$T/n1.agent.log" ||
    fail "no retries while the hook was down"
kill -0 $a1 2>/dev/null || fail "the agent gave up while the hook was down"
hookd_start
wait $a1 || fail "join after the hook came back exited with $?"
grep -q "join: admitted as vm-1" "$T/n1.agent.log" || fail "n1 not admitted"
say "n1 joined after $(grep -c 'retrying in' "$T/n1.agent.log") retries"

# the agent on a node killed as a crash would, then run again: one node
crash_and_rejoin() {
	local n=$1 a=$2 pid
	pid=$(sb "$n" pgrep -x vnode-agent) && sb "$n" kill -KILL "$pid"
	wait "$a"
	agent "$n" join || fail "join on $n after SIGKILL exited with $?"
	[ "$(vnodectl nodes | grep -c "inst-$n-$NSP\$")" = 1 ] ||
	    fail "$n in the registry more than once: $(vnodectl nodes)"
}

# 2. SIGKILL after the hook admitted the node, before it is ready
agent n2 join &
a2=$!
admitted() { vnodectl nodes | grep -q "inst-n2-$NSP\$"; }
wait_for 30 "n2 admitted" admitted
crash_and_rejoin n2 $a2
vm2=$(vnodectl nodes | awk -v i="inst-n2-$NSP" '$NF == i {print $1}')
[ "$(node_state "$vm2")" = idle ] || fail "$vm2 is $(node_state "$vm2")"
[ "$(sb n2 pgrep -c -x slurmd)" = 1 ] || fail "slurmd count on n2: $(sb n2 pgrep -c -x slurmd)"

# 3. SIGKILL before the join step (during the time step)
agent n3 join &
a3=$!
timing() { grep -q "vnode-agent: settings:" "$T/n3.agent.log"; }
wait_for 30 "n3 started" timing
crash_and_rejoin n3 $a3
[ "$(sb ctl sinfo -h -N -p vnode -o %N | wc -l)" = 3 ] ||
    fail "Slurm nodes: $(sb ctl sinfo -h -N -o %N | tr '\n' ' ')"
exit 0
