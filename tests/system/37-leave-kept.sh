#!/bin/bash
# A leave that cannot requeue a job keeps it: a checkpointable job that
# Slurm may not requeue (sbatch --no-requeue) is dumped at the leave, the
# hook's requeue fails for it, and it goes on here from its count (the
# dump held it stopped; the store no longer names that image); the node
# stays drained with slurmd running and the leave fails with exit 8 once
# leave_timeout is over.  When the job has ended, a second leave goes
# through.
. "$(dirname "$0")/test.common"
vt_init
ckpt_env
AGENT_EXTRA+=("leave_timeout = 25")
ctl_start
nodes n1
agent n1 join || fail "join on n1"
vm1=$(node_name n1)

J=$(submit -p backfill --no-requeue -o "$T/work/J.out" --open-mode=append \
    --wrap "$(count_job 400)")
running() { [ "$(job_field "$J" JobState)" = RUNNING ]; }
wait_for 60 "job J $J running on $vm1" running
counted() { [ "$(wc -l <"$T/work/J.out")" -ge "$1" ]; }
wait_for 60 "job J counting" counted 20

agent n1 leave
rc=$?
[ $rc = 8 ] || fail "leave with a job that cannot be requeued: exit $rc, not 8"
grep -q "checkpoint: job $J: image 1" "$T/n1.agent.log" ||
    fail "the leave did not checkpoint job J $J"
grep -q "drain: 1 job(s) could not be requeued: job $J NOT requeued" \
    "$T/n1.agent.log" || fail "the leave did not say job J $J was not requeued"
grep -q "checkpoint: job $J was not requeued: it goes on here" \
    "$T/n1.agent.log" || fail "job J $J was not let go on here"
grep -q "jobs: FAILED after .*still on $vm1 .*the node stays drained" \
    "$T/n1.agent.log" || fail "no jobs step failure: $(tail -n 3 "$T/n1.agent.log")"
sb n1 pgrep -u root -x slurmd >/dev/null || fail "slurmd stopped with job J on the node"
case $(node_state "$vm1") in
drain*|mix*|alloc*) ;;
*) fail "$vm1 is $(node_state "$vm1") after the failed leave, not drained" ;;
esac
sb ctl scontrol show node "$vm1" | grep -q "Reason=vnode: node is leaving" ||
    fail "$vm1's reason: $(sb ctl scontrol show node "$vm1" | grep Reason)"

# it goes on where it was, on n1
job_is "$J" RUNNING || fail "job J $J is $(job_field "$J" JobState) after the leave"
n=$(wc -l <"$T/work/J.out")
wait_for 30 "job J counting on after the leave" counted $((n + 20))
why=$(awk '{ c++ } $1 != c { print "line " NR ": " $0; exit 1 }' "$T/work/J.out") ||
    fail "job J's count did not go on from where it was: $why"
grep -qv " n1$" "$T/work/J.out" && fail "job J ran elsewhere: $(grep -v ' n1$' "$T/work/J.out" | head -n 2)"
ls "$CK/$J"/current* >/dev/null 2>&1 &&
    fail "the store still names job J's image as current: $(ls "$CK/$J")"

# ended: the node leaves
sb ctl scancel "$J"
wait_for 30 "job J $J gone" job_ended "$J"
agent n1 leave || fail "second leave: exit $?"
grep -q "left as $vm1" "$T/n1.agent.log" || fail "n1 did not leave the second time"
[ "$(node_state "$vm1")" = absent ] || fail "$vm1 is $(node_state "$vm1") after the leave"
exit 0
