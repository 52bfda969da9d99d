#!/bin/bash
# The cloud takes back a node that runs a job (a spot instance reclaimed:
# the provider's own graceful delete, SIGTERM to the instance's init, not
# an order of the hook's): its agent checkpoints the job of the
# checkpointable cloud partition, has it requeued and leaves; Slurm
# resumes a node for the job (the next CLOUD node; the hook has the
# provider make an instance for it), and the job goes on there from its
# checkpoint, to the end, its output whole.  The reclaimed node is powered
# down and usable again.  (ParallelCluster loses such jobs:
# aws-parallelcluster #6641.)
. "$(dirname "$0")/test.common"
vt_init
elastic_env 2
ckpt_env
# the cloud partition is the checkpointable one here
PLUGSTACK="required $VNODE_BIN/vnode_ckpt.so ckpt_dir=$CK partitions=cloud criu=$CRIU"
LOCAL_AGENT="ckpt_dir = $CK
criu = $CRIU
heartbeat_wait = 2
leave_timeout = 60"
ctl_start
privd_start
node_flags() { sb ctl scontrol show node "$1" | sed -n 's/.* State=\([^ ]*\).*/\1/p'; }
counted() { [ "$(grep -c . "$1")" -ge "$2" ]; }

J=$(submit -p cloud -o "$T/work/J.out" --wrap "$(count_job 600)")
wait_for 90 "job J $J running" job_is "$J" RUNNING
first=$(job_field "$J" NodeList)
wait_for 60 "job J counting" counted "$T/work/J.out" 30
inst=$(vnodectl instances | awk -v n="$first" '$2 == n && $5 == "joined" { print $4 }')
[ -n "$inst" ] || fail "no joined instance of $first: $(vnodectl instances)"
wait_for 30 "$first's agent can checkpoint" grep -q "checkpoint: this node can checkpoint" \
    "$T/local/$inst/agent.log"

# the cloud reclaims the instance
n_before=$(grep -c . "$T/work/J.out")
privd_call delete "$inst" graceful >/dev/null || fail "privd delete $inst graceful"
wait_for 60 "$first's agent checkpointed job J" grep -q "checkpoint: job $J: image 1" \
    "$T/local/$inst/agent.log"
say "$first reclaimed at line $n_before: $(grep "checkpoint: job $J: image" "$T/local/$inst/agent.log")"
restored() { vnodectl events --job "$J" | grep -q " restore "; }
wait_for 120 "job J restored from its checkpoint" restored
second=$(job_field "$J" NodeList)
wait_for 180 "job J ends" job_ended "$J"
job_is "$J" COMPLETED || fail "job J is $(job_field "$J" JobState)"
why=$(count_whole "$T/work/J.out" 600) || fail "job J's output is not 1..600 once each: $why"
from=$(vnodectl events --job "$J" | awk '$4 == "restore"' | head -n 1)
say "job J went on on $second: $from"
vnodectl events --job "$J" | grep -Eq " $first +$J +checkpoint +image 1" ||
    fail "no checkpoint event of job J on $first: $(vnodectl events --job "$J")"
# nothing was started over: the restore was the first run after the dump
[ "$(grep -c '^1 ' "$T/work/J.out")" = 1 ] || fail "job J started over"
# the reclaimed node is powered down, usable again (never DOWN)
case $(node_flags "$first") in
DOWN*) fail "$first is $(node_flags "$first")" ;;
esac
vnodectl instances | grep -Eq "^[0-9]+ +$first +local +$inst +deleted " ||
    fail "the reclaimed instance: $(vnodectl instances)"
exit 0
