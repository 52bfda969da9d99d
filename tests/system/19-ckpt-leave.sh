#!/bin/bash
# A node that leaves (SIGTERM to vnode-agent run: every shutdown)
# checkpoints its jobs before they are requeued.  A job of the backfill
# partition that counts in memory carries on from its count on the other
# node, and ends COMPLETED with its output whole and its images gone from
# the store; a job of the default partition on the same node is requeued
# the ordinary way and starts over; the hook's record has the checkpoint,
# the requeue, the restore (forwarded from the plugin by the other node's
# agent) and the end, in that order.
. "$(dirname "$0")/test.common"
vt_init
ckpt_env
AGENT_EXTRA+=("cpus = 2")
ctl_start
nodes n1 n2
agent_bg n1
agent_bg n2
vm1=$(node_name n1)
vm2=$(node_name n2)

# both jobs start on vm1: vm2 is drained meanwhile
sb ctl scontrol update nodename="$vm2" state=drain reason=test || fail "drain $vm2"
L=$(submit -p backfill -o "$T/work/L.out" --open-mode=append \
    --wrap "$(count_job 250)")
K=$(submit --requeue -o "$T/work/K.out" --open-mode=append \
    --wrap 'echo "start $(hostname)"; sleep 600')
running_on() { [ "$(job_field "$1" JobState)" = RUNNING ] &&
    [ "$(job_field "$1" NodeList)" = "$2" ]; }
wait_for 60 "job L $L running on $vm1" running_on "$L" "$vm1"
wait_for 60 "job K $K running on $vm1" running_on "$K" "$vm1"
counted() { [ "$(wc -l <"$T/work/L.out")" -ge "$1" ]; }
wait_for 60 "job L counting" counted 30
wait_for 30 "job K output" grep -q "start n1" "$T/work/K.out"
sb ctl scontrol update nodename="$vm2" state=resume || fail "resume $vm2"

# the shutdown of n1
agent_stop n1 || fail "vnode-agent run on n1 exited with $? after SIGTERM"
grep -q "checkpoint: job $L: image 1" "$T/n1.agent.log" ||
    fail "leave did not checkpoint job L $L"
grep -q "checkpoint: job $K is not checkpointable here" "$T/n1.agent.log" ||
    fail "leave did not say job K $K is requeued without a checkpoint"
grep -Eq "requeue: $vm1 drained; job [0-9]+ requeued, job [0-9]+ requeued" \
    "$T/n1.agent.log" || fail "leave did not requeue both jobs"
grep -q "left as $vm1" "$T/n1.agent.log" || fail "n1 did not leave"
n_at_dump=$(wc -l <"$T/work/L.out")

# L goes on on vm2 from its count, and ends whole
wait_for 60 "job L $L running on $vm2" running_on "$L" "$vm2"
wait_for 90 "job L $L ends" job_ended "$L"
job_is "$L" COMPLETED || fail "job L $L is $(job_field "$L" JobState)"
[ "$(job_field "$L" ExitCode)" = 0:0 ] || fail "job L: exit code $(job_field "$L" ExitCode)"
why=$(count_whole "$T/work/L.out" 250) || fail "job L's output is not 1..250 once each: $why"
grep -q "^[0-9]* n1$" "$T/work/L.out" && grep -q "^250 n2$" "$T/work/L.out" ||
    fail "job L did not count on n1 and then n2"
first_n2=$(awk '$2 == "n2" { print $1; exit }' "$T/work/L.out")
[ "$first_n2" -ge "$n_at_dump" ] || fail "job L restarted: n2 began at $first_n2, n1 had $n_at_dump"
say "job L counted 1..$((first_n2 - 1)) on n1, $first_n2..250 on n2"

# K started over (no checkpoint), and is not lost
wait_for 60 "job K $K running again on $vm2" grep -q "start n2" "$T/work/K.out"
sb ctl scancel "$K"

# the record, in order: checkpoint (vm1), requeue, restore (vm2), end
ev() { vnodectl events --job "$L" | awk '{ print $2, $4 }' | tr '\n' ' '; }
has_end() { vnodectl events --job "$L" | grep -q " end "; }
wait_for 20 "the end of job L in the record" has_end
has_restore() { vnodectl events --job "$L" | grep -q " restore "; }
wait_for 20 "the restore of job L in the record (forwarded by n2's agent)" has_restore
order=$(ev)
echo "$order" | grep -Eq "$vm1 run .*$vm1 checkpoint .*requeue .*$vm2 restore .*$vm2 end" ||
    fail "job L's events out of order: $order"
vnodectl events --job "$L" | grep -Eq " $vm2 +$L +restore +image 1 " ||
    fail "restore event: $(vnodectl events --job "$L" | grep restore)"
grep -q "events: [0-9]* sent to the hook" "$T/n2.agent.log" ||
    fail "n2's agent forwarded no events"
sb n2 sh -c 'ls /run/vnode/events/*.json' 2>/dev/null && fail "event files left on n2"

# the store keeps nothing of a job that ended
[ -e "$CK/$L" ] && fail "store: $CK/$L left after job L ended: $(ls -R "$CK/$L")"
agent_stop n2 || fail "vnode-agent run on n2 exited with $?"
exit 0
