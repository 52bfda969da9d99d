#!/bin/bash
# The reaper: a node suspended for less than reap_after is left alone; one
# silent for longer and not answering Slurm is set DOWN (its job requeued)
# and removed; when it wakes up, its agent finds itself unknown, stops
# slurmd and exits to join anew.  (A suspension is played by stopping every
# process of the node's sandbox with SIGSTOP, as a paused VM would be.)
. "$(dirname "$0")/test.common"
vt_init
HOOKD_EXTRA="reap_after = 30s"
ctl_start
tok=$(token 2)
node_create n1
agent_conf n1 "$tok" "heartbeat_wait = 3"
# n2 joins once (no run, no heartbeats), and is silent from then on
node_create n2
agent_conf n2 "$tok"
agent n2 join || fail "join of n2"
sb n1 "$VNODE_BIN/vnode-agent" -C none run >>"$T/n1.agent.log" 2>&1 &
run1=$!
wait_for 30 "n1 joined" grep -q "joined as vm-2" "$T/n1.agent.log"
freeze() { sb n1 kill -STOP -1; }
# nsenter stops itself when the program it waits for stops (job control),
# and waits for a SIGCONT of its own: the one holding the agent gets one too
thaw() {
	sb n1 kill -CONT -1
	pkill -CONT -P $run1 -x nsenter
}

# 1. suspended 8 s, well inside reap_after: nothing happens
freeze
sleep 8
thaw
sleep 6
grep -q "reaper: vm-2" "$T/hookd.log" && fail "reaped after 8 s: $(grep reaper "$T/hookd.log")"
vnodectl nodes | grep -q "^vm-2 *admitted " || fail "registry: $(vnodectl nodes)"
kill -0 $run1 2>/dev/null || fail "the agent on n1 ended"
responding() { [ "$(node_state vm-2)" = idle ]; }
wait_for 60 "vm-2 idle again" responding

# 2. a job on it, then silent for longer than reap_after
job=$(sb_user ctl sbatch --parsable --requeue -D "$T/work" -w vm-2 --wrap 'sleep 600')
running() { [ "$(job_state "$job")" = RUNNING ]; }
wait_for 60 "job $job running" running
freeze
sb n2 kill -STOP -1
reaped() { vnodectl nodes | grep -q "^vm-2 *reaped "; }
wait_for 120 "vm-2 reaped" reaped
reaped1() { vnodectl nodes | grep -q "^vm-1 *reaped "; }
wait_for 60 "vm-1 (joined once, silent since) reaped" reaped1
# (Slurm may have set it DOWN itself by then, after SlurmdTimeout)
grep -q "reaper: vm-2: silent for [0-9]* s and DOWN.* in Slurm: removed" "$T/hookd.log" ||
    fail "no reaper line: $(grep reaper "$T/hookd.log")"
sb ctl scontrol show node vm-2 >/dev/null 2>&1 && fail "vm-2 still in Slurm"
[ "$(job_state "$job")" = PENDING ] || fail "job $job is $(job_state "$job")"
sb ctl scontrol show job "$job" | grep -q "Restarts=1" || fail "job $job not requeued"
sb ctl curl -sf "http://$CTL_IP:$HOOK_PORT/metrics" |
    grep -q '^vnode_nodes{state="reaped"} 2$' || fail "reaped not in /metrics"

# 3. it wakes up: the agent finds itself unknown, stops slurmd, exits 4
thaw
wait $run1
rc=$?
[ $rc = 4 ] || fail "the woken agent exited $rc, not 4"
grep -q "the hook and slurmctld no longer know vm-2" "$T/n1.agent.log" ||
    fail "the woken agent did not say why"
sb n1 pgrep -x slurmd >/dev/null && fail "slurmd still runs on the reaped node"
[ -e "$T/sb/n1/var/lib/vnode/node.json" ] && fail "node.json kept"
sb ctl scontrol show node vm-2 >/dev/null 2>&1 && fail "vm-2 came back into Slurm"
sb ctl scancel "$job"

# 4. n2, woken, is shut down: its leave finds the node unknown, stops what
# runs here, and is done
sb n2 kill -CONT -1
agent n2 leave || fail "leave of a reaped node exited with $?"
grep -q "drain: the hook and slurmctld no longer know vm-1: stopping slurmd here, nothing to deregister" \
    "$T/n2.agent.log" || fail "leave of a reaped node did not say so"
sb n2 pgrep -x slurmd >/dev/null && fail "slurmd still runs on n2"
[ -e "$T/sb/n2/var/lib/vnode/node.json" ] && fail "node.json kept on n2"
exit 0
