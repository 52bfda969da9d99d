#!/bin/bash
# A checkpointed job moves between two nodes behind two different NATs,
# each reached only through the overlay: vnodectl migrate on the
# controller orders the checkpoint from n1's agent (its heartbeat goes out
# through n1's NAT), the hook requeues the job for n2, and it carries on
# there from its count, COMPLETED with its output whole.  Then n2 leaves
# with the job's successor running: checkpointed and restored on n1.
. "$(dirname "$0")/test.common"
overlay_skip
vt_init
ckpt_env
overlay_env
ctl_start
privd_start
nat_router r1 1
nat_router r2 2
tok=$(token 2)
nat_node n1 r1
agent_conf n1 "$tok"
nat_node n2 r2
agent_conf n2 "$tok"
agent_bg n1
agent_bg n2
vm1=$(node_name n1)
vm2=$(node_name n2)
case $(ov_addr "$vm1")/$(ov_addr "$vm2") in
"$OV_NET".*/"$OV_NET".*) ;;
*) fail "not at overlay addresses: $vm1 $(ov_addr "$vm1"), $vm2 $(ov_addr "$vm2")" ;;
esac
running_on() { [ "$(job_field "$1" JobState)" = RUNNING ] &&
    [ "$(job_field "$1" NodeList)" = "$2" ]; }
counted() { [ "$(wc -l <"$1")" -ge "$2" ]; }

# 1. vnodectl migrate, n1 to n2
L=$(submit -p backfill -w "$vm1" -o "$T/work/L.out" --wrap "$(count_job 200)")
wait_for 60 "job $L running on $vm1" running_on "$L" "$vm1"
wait_for 60 "job $L counting" counted "$T/work/L.out" 20
vnodectl migrate "$L" --to "$vm2" --wait 90 >"$T/migrate.out" 2>&1 ||
    fail "vnodectl migrate exited with $?: $(cat "$T/migrate.out")"
wait_for 60 "job $L running on $vm2" running_on "$L" "$vm2"
wait_for 90 "job $L ends" job_ended "$L"
job_is "$L" COMPLETED || fail "job $L is $(job_field "$L" JobState)"
why=$(count_whole "$T/work/L.out" 200) || fail "job $L's output is not 1..200 once each: $why"
grep -q "^1 n1$" "$T/work/L.out" && grep -q "^200 n2$" "$T/work/L.out" ||
    fail "job $L did not count on n1 and then n2"
say "job $L moved through the overlay: $(awk '$2 == "n2" { print "n2 from " $1; exit }' "$T/work/L.out")"

# 2. n2 shuts down with a job running: checkpointed, restored on n1
# (it starts on vm2: vm1 is drained meanwhile)
sb ctl scontrol update nodename="$vm1" state=drain reason=test || fail "drain $vm1"
M=$(submit -p backfill -o "$T/work/M.out" --wrap "$(count_job 150)")
wait_for 60 "job $M running on $vm2" running_on "$M" "$vm2"
sb ctl scontrol update nodename="$vm1" state=resume || fail "resume $vm1"
wait_for 60 "job $M counting" counted "$T/work/M.out" 20
addr2=$(ov_addr "$vm2")
agent_stop n2 || fail "leave of n2 exited with $?"
wait_for 90 "job $M running on $vm1" running_on "$M" "$vm1"
wait_for 90 "job $M ends" job_ended "$M"
job_is "$M" COMPLETED || fail "job $M is $(job_field "$M" JobState)"
why=$(count_whole "$T/work/M.out" 150) || fail "job $M's output is not 1..150 once each: $why"
grep -q " n1$" "$T/work/M.out" || fail "job $M did not go on on n1"
say "job $M moved at n2's leave: $(awk '$2 == "n1" { print "n1 from " $1; exit }' "$T/work/M.out")"
ov_peers | grep -q " $addr2/32 " && fail "n2's peer stays: $(ov_peers)"
agent_stop n1 || fail "leave of n1 exited with $?"
[ -z "$(ov_peers)" ] || fail "peers left: $(ov_peers)"
exit 0
