#!/bin/bash
# vnode-agent leave on a node with a running batch job: the job is requeued,
# not lost; the node is drained, its slurmd stopped, and it is gone from
# Slurm and marked left in the registry.  A node that never joined leaves
# without error.  A user's process named slurmd is neither taken for the
# node's slurmd nor stopped.
. "$(dirname "$0")/test.common"
vt_init
ctl_start

nodes n1 n2
# a user's process on n1 that calls itself slurmd (a copy of sleep so
# named): the agent, root, must neither take it for the node's slurmd nor
# stop it
cp /bin/sleep "$T/work/slurmd"
chmod 755 "$T/work/slurmd"
sb_user n1 sh -c "exec $T/work/slurmd 600 </dev/null >/dev/null 2>&1 &"
fake=$(sb n1 pgrep -u "$VT_USER" -x slurmd) || fail "no fake slurmd on n1"
for n in n1 n2; do
	agent $n join || fail "join on $n"
done
vm1=$(sed -n 's/.*ready: \(vm-[0-9]*\) is.*/\1/p' "$T/n1.agent.log")
vm2=$(sed -n 's/.*ready: \(vm-[0-9]*\) is.*/\1/p' "$T/n2.agent.log")

# the job starts on vm1: vm2 is drained meanwhile
sb ctl scontrol update nodename="$vm2" state=drain reason=test || fail "drain $vm2"
job=$(sb_user ctl sbatch --parsable --requeue -D "$T/work" \
    -o "$T/work/leave.out" --open-mode=append \
    --wrap 'echo "start $(hostname)"; sleep 600')
[ -n "$job" ] || fail "sbatch refused the job"
running() { [ "$(job_state "$job")" = RUNNING ]; }
wait_for 60 "job $job running on $vm1" running
wait_for 30 "job $job output" grep -q "start n1" "$T/work/leave.out"
sb ctl scontrol update nodename="$vm2" state=resume || fail "resume $vm2"

agent n1 leave || fail "vnode-agent leave exited with $?"
sb n1 kill -0 "$fake" || fail "the agent stopped the user's process named slurmd"
sb n1 pgrep -u root -x slurmd && fail "the node's own slurmd still runs on n1"
grep -q "drain: $vm1 drained; job $job requeued" "$T/n1.agent.log" ||
    fail "leave did not report job $job requeued"

# the job is still there, waiting to run again, and was started once
st=$(job_state "$job")
[ "$st" = PENDING ] || fail "job $job is '$st' after leave"
sb ctl scontrol show job "$job" | grep -q "Restarts=1" ||
    fail "job $job was not requeued: $(sb ctl scontrol show job "$job" | head -3)"

# not lost: it runs again, on the node that stays (a requeued job waits
# for its BeginTime, about two minutes; the admin may start it at once)
sb ctl scontrol update jobid="$job" starttime=now || fail "starttime=now"
wait_for 60 "job $job restarted on n2" grep -q "start n2" "$T/work/leave.out"
[ "$(grep -c start "$T/work/leave.out")" = 2 ] ||
    fail "job output: $(cat "$T/work/leave.out")"
sb ctl scancel "$job"

# the node is gone from Slurm, its slurmd stopped, the registry says left
sb ctl scontrol show node "$vm1" >/dev/null 2>&1 && fail "$vm1 still in Slurm"
sb n1 pgrep -u root -x slurmd >/dev/null && fail "slurmd still runs on n1"
vnodectl nodes | grep -q "^$vm1 *left " || fail "registry: $vm1 not left"
[ -e "$T/sb/n1/var/lib/vnode/node.json" ] && fail "node credential kept after leave"
# the other node is untouched (idle again once the cancelled job is gone)
idle2() { [ "$(node_state "$vm2")" = idle ]; }
wait_for 30 "$vm2 idle" idle2

# leaving again, or from a node that never joined: nothing to do, no error
agent n1 leave || fail "second leave exited with $?"
grep -q "leave: not joined" "$T/n1.agent.log" || fail "second leave said nothing"
exit 0
