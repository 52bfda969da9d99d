#!/bin/bash
# vnodectl migrate JOB --to NODE: the job's agent checkpoints it, the hook
# requeues it and starts it on NODE, where it carries on from its count
# and ends COMPLETED with its output whole; vnodectl prints the steps and
# exits 0.  A job that CRIU cannot move (it holds an established TCP
# connection) is not touched: migrate exits non-zero with the reason, the
# reason is in the record, and the job goes on where it was to the end.
# Event files the hook refuses are set aside without holding up others.
# A job moved and then cancelled leaves nothing in the store.
. "$(dirname "$0")/test.common"
vt_init
ckpt_env
ctl_start
nodes n1 n2
agent_bg n1
agent_bg n2
vm1=$(node_name n1)
vm2=$(node_name n2)
running_on() { [ "$(job_field "$1" JobState)" = RUNNING ] &&
    [ "$(job_field "$1" NodeList)" = "$2" ]; }
counted() { [ "$(wc -l <"$1")" -ge "$2" ]; }

# 0. an event file the hook refuses (nodes do not report runs) does not
# hold up the one beside it, nor those after it: it is set aside
now=$(date +%s)
sb n2 sh -c "mkdir -p /run/vnode/ev.tmp &&
    echo '{\"time\": $now, \"job\": 999, \"kind\": \"run\"}' >/run/vnode/ev.tmp/1-999.json &&
    echo '{\"time\": $now, \"job\": 999, \"kind\": \"checkpoint-failed\", \"detail\": \"planted\"}' >/run/vnode/ev.tmp/2-999.json &&
    mv /run/vnode/ev.tmp/* /run/vnode/events/" || fail "cannot plant event files on n2"
planted() { vnodectl events --job 999 | grep -q " $vm2 .*checkpoint-failed .*planted"; }
wait_for 10 "the good planted event in the record" planted
set_aside() { sb n2 test -e /run/vnode/events/1-999.json.bad; }
wait_for 10 "the refused event file set aside" set_aside
grep -q "events: /run/vnode/events/1-999.json set aside" "$T/n2.agent.log" ||
    fail "n2's agent did not say it set the refused event aside"
vnodectl events --job 999 | grep -q " run " && fail "a node's run event was stored"

# 1. a counting job moved from vm1 to vm2
L=$(submit -p backfill -w "$vm1" -o "$T/work/L.out" --wrap "$(count_job 200)")
wait_for 60 "job L $L running on $vm1" running_on "$L" "$vm1"
wait_for 60 "job L counting" counted "$T/work/L.out" 20
vnodectl migrate "$L" --to "$vm2" --wait 60 >"$T/migrate.out" 2>&1 ||
    fail "vnodectl migrate exited with $?: $(cat "$T/migrate.out")"
grep -q "checkpoint" "$T/migrate.out" && grep -q "restore" "$T/migrate.out" ||
    fail "vnodectl migrate did not print the steps: $(cat "$T/migrate.out")"
grep -q "order [0-9]*: checkpoint $L $vm2" "$T/n1.agent.log" ||
    fail "n1's agent got no checkpoint order"
grep -q "checkpoint: job $L requeued for $vm2" "$T/n1.agent.log" ||
    fail "n1's agent did not requeue job L for $vm2"
wait_for 30 "job L $L running on $vm2" running_on "$L" "$vm2"
wait_for 60 "job L $L ends" job_ended "$L"
job_is "$L" COMPLETED || fail "job L $L is $(job_field "$L" JobState)"
why=$(count_whole "$T/work/L.out" 200) || fail "job L's output is not 1..200 once each: $why"
grep -q "^1 n1$" "$T/work/L.out" && grep -q "^200 n2$" "$T/work/L.out" ||
    fail "job L did not count on n1 and then n2"
say "job L moved: $(awk '$2 == "n2" { print "n2 from " $1; exit }' "$T/work/L.out")"

# 2. a job with an established TCP connection (to itself, on loopback)
J=$(submit -p backfill -w "$vm1" -o "$T/work/J.out" --wrap "$(tcp_job 150)")
wait_for 60 "job J $J counting" counted "$T/work/J.out" 10
vnodectl migrate "$J" --to "$vm2" --wait 30 >"$T/migrate2.out" 2>&1 &&
    fail "migrate of a job with a TCP connection succeeded: $(cat "$T/migrate2.out")"
grep -qi "TCP" "$T/migrate2.out" ||
    fail "migrate did not say why: $(cat "$T/migrate2.out")"
vnodectl events --job "$J" | grep -Eq " $vm1 +$J +checkpoint-failed +.*TCP" ||
    fail "no checkpoint-failed event: $(vnodectl events --job "$J")"
running_on "$J" "$vm1" || fail "job J is $(job_field "$J" JobState) on $(job_field "$J" NodeList)"
wait_for 60 "job J $J ends" job_ended "$J"
job_is "$J" COMPLETED || fail "job J $J is $(job_field "$J" JobState)"
why=$(count_whole "$T/work/J.out" 150) || fail "job J's output is not 1..150 once each: $why"
grep -q " n2$" "$T/work/J.out" && fail "job J ran on n2"

# 3. a job moved, then cancelled where it went: its image is not left in
# the store (the hook sees it end, and an agent removes its files)
C=$(submit -p backfill -w "$vm1" -o "$T/work/C.out" --wrap "$(count_job 600)")
wait_for 60 "job C $C counting" counted "$T/work/C.out" 10
vnodectl migrate "$C" --to "$vm2" --wait 60 >"$T/migrate3.out" 2>&1 ||
    fail "vnodectl migrate of job C exited with $?: $(cat "$T/migrate3.out")"
wait_for 30 "job C $C running on $vm2" running_on "$C" "$vm2"
[ -e "$CK/$C/current" ] || fail "job C: no image in the store after its move"
sb ctl scancel "$C" || fail "scancel $C"
wait_for 60 "job C $C ends" job_ended "$C"
gone() { [ ! -e "$CK/$C" ]; }
wait_for 30 "job C's files gone from the store" gone
vnodectl events --job "$C" | grep -Eq " forget +job CANCELLED: its checkpoint files to be removed by " ||
    fail "job C: no forget event: $(vnodectl events --job "$C")"
grep -Eq "forget: job $C ended: its checkpoint files are removed" "$T/n1.agent.log" "$T/n2.agent.log" ||
    fail "no agent said it removed job C's files"
say "job C: moved, cancelled, its files removed"
agent_stop n1 || fail "agent on n1 exited with $?"
agent_stop n2 || fail "agent on n2 exited with $?"
exit 0
