#!/bin/bash
# Checkpoints that fail at leave never lose a job: each is requeued the
# ordinary way, starts over on the node that stays, ends COMPLETED, and the
# reason is in the hook's record.  On n1: a job holding an established TCP
# connection (refused before CRIU runs) and a job traced by strace (CRIU
# itself fails: it cannot seize a traced process); on n2: a job whose
# directory in the store is full (a 64 KB file system mounted there, on
# n2 only).  (A restore that fails is 17-ckpt-plugin's: a corrupt image.)
. "$(dirname "$0")/test.common"
vt_init
command -v strace >/dev/null || skip "strace is not installed (run make check)"
ckpt_env
AGENT_EXTRA+=("cpus = 2")
ctl_start
nodes n1 n2 n3
for n in n1 n2 n3; do
	agent_bg $n
done
vm1=$(node_name n1)
vm2=$(node_name n2)
vm3=$(node_name n3)
running_on() { [ "$(job_field "$1" JobState)" = RUNNING ] &&
    [ "$(job_field "$1" NodeList)" = "$2" ]; }
counted() { [ "$(wc -l <"$1")" -ge "$2" ]; }

# TCP and TR start on vm1, FULL on vm2: the others drained meanwhile
drain() { sb ctl scontrol update nodename="$1" state=drain reason=test || fail "drain $1"; }
resume() { sb ctl scontrol update nodename="$1" state=resume || fail "resume $1"; }
drain "$vm2"
drain "$vm3"
TCP=$(submit -p backfill -o "$T/work/tcp.out" --wrap "$(tcp_job 100)")
TR=$(submit -p backfill -o "$T/work/tr.out" \
    --wrap "strace -f -o /dev/null sh -c '$(count_job 100)'")
wait_for 60 "job TCP $TCP running on $vm1" running_on "$TCP" "$vm1"
wait_for 60 "job TR $TR running on $vm1" running_on "$TR" "$vm1"
drain "$vm1"
resume "$vm2"
FULL=$(submit -p backfill -o "$T/work/full.out" --wrap "$(count_job 100)")
wait_for 60 "job FULL $FULL running on $vm2" running_on "$FULL" "$vm2"
for j in TCP TR FULL; do
	eval "id=\$$j"
	f=$T/work/$(echo "$j" | tr 'A-Z' 'a-z').out
	wait_for 60 "job $j $id counting" counted "$f" 10
done
mkdir -p -m 0700 "$CK/$FULL"
sb n2 mount -t tmpfs -o size=64k,mode=700 tmpfs "$CK/$FULL" ||
    fail "cannot mount the small store for job $FULL on n2"
resume "$vm3"

# n1 and n2 shut down at the same time
agent_term n1
agent_term n2
wait "${AGENT_PID[n1]}" || fail "agent on n1 exited with $?"
wait "${AGENT_PID[n2]}" || fail "agent on n2 exited with $?"
grep -Eq "checkpoint: job $TCP: .*TCP.*; requeued without a checkpoint" "$T/n1.agent.log" ||
    fail "n1: no TCP reason for job $TCP"
grep -Eq "checkpoint: job $TR: .+; requeued without a checkpoint" "$T/n1.agent.log" ||
    fail "n1: no reason for the traced job $TR"
grep -Eq "checkpoint: job $FULL: store full.*; requeued without a checkpoint" "$T/n2.agent.log" ||
    fail "n2: no 'store full' for job $FULL: $(grep "job $FULL" "$T/n2.agent.log")"
for n in n1 n2; do
	grep -q "left as" "$T/$n.agent.log" || fail "$n did not leave"
done

# none lost: each starts over on vm3 and ends COMPLETED, 1..N twice in
# its output (once cut short, then whole)
for j in TCP TR FULL; do
	eval "id=\$$j"
	f=$T/work/$(echo "$j" | tr 'A-Z' 'a-z').out
	wait_for 120 "job $j $id ends" job_ended "$id"
	job_is "$id" COMPLETED || fail "job $j $id is $(job_field "$id" JobState)"
	[ "$(grep -c '^1 ' "$f")" = 2 ] || fail "job $j did not start over: $(head -3 "$f")"
	grep -q "^100 n3$" "$f" || fail "job $j did not finish on n3"
	kind=$(vnodectl events --job "$id" | awk '$4 == "checkpoint-failed"')
	[ -n "$kind" ] || fail "job $j: no checkpoint-failed event: $(vnodectl events --job "$id")"
	say "job $j: $kind"
	[ -e "$CK/$id/current" ] && fail "job $j: the store names an image"
done
vnodectl events --job "$TCP" | grep -q "checkpoint-failed .*TCP" ||
    fail "job TCP: the reason is not recorded"
vnodectl events --job "$FULL" | grep -q "checkpoint-failed .*store full" ||
    fail "job FULL: the reason is not recorded"
agent_stop n3 || fail "agent on n3 exited with $?"
exit 0
