#!/bin/bash
# The original poster's scenario, end to end: a low-priority job L runs on
# node A; a high-priority job H arrives for A and Slurm suspends L
# (preempt/partition_prio, PreemptMode=SUSPEND,GANG); when node B joins,
# the hook's mover has A's agent checkpoint L, requeues it for B, where L
# is restored and carries on from its count while H runs on A.  Both end
# COMPLETED, L's output whole; the record has every step in order, and
# vnodectl timeline draws it.
# (Over dynamic nodes, with either Slurm: on 22.05.8 that needs the hook's
# gang table rebuild, controller-hook/slurm.c.)
. "$(dirname "$0")/test.common"
vt_init
command -v xmllint >/dev/null || skip "xmllint is not installed (libxml2-utils; run make check)"
preempt_env 2
ckpt_env
ctl_start
nodes n1 n2
agent_bg n1
A=$(node_name n1)
job_on() { [ "$(job_field "$1" JobState)" = "$2" ] &&
    [ "$(job_field "$1" NodeList)" = "$3" ]; }
counted() { [ "$(wc -l <"$1")" -ge "$2" ]; }

# L on A, counting
L=$(submit -p backfill -o "$T/work/L.out" --wrap "$(count_job 300)")
wait_for 60 "job L $L running on $A" job_on "$L" RUNNING "$A"
wait_for 60 "job L counting" counted "$T/work/L.out" 20

# H for A: L is suspended, H runs
H=$(submit -p high -w "$A" -o "$T/work/H.out" --wrap "$(count_job 150)")
wait_for 30 "job L $L suspended" job_on "$L" SUSPENDED "$A"
wait_for 30 "job H $H running on $A" job_on "$H" RUNNING "$A"
# (slurmd stops the job's processes a moment after slurmctld says
# SUSPENDED): its count stands still
still() {
	local a
	a=$(wc -l <"$T/work/L.out")
	sleep 1
	[ "$(wc -l <"$T/work/L.out")" = "$a" ]
}
wait_for 15 "job L's count standing still" still
still || fail "job L counts on while suspended: $(sb n1 ps -e -o pid,ppid,stat,comm | tr '\n' ';')"

# B joins: L moves there and goes on; H stays on A
agent_bg n2
B=$(node_name n2)
wait_for 60 "job L $L running on $B" job_on "$L" RUNNING "$B"
grep -q "order [0-9]*: checkpoint $L $B" "$T/n1.agent.log" ||
    fail "A's agent got no checkpoint order for L"
job_on "$H" RUNNING "$A" || job_is "$H" COMPLETED ||
    fail "job H is $(job_field "$H" JobState) on $(job_field "$H" NodeList)"
wait_for 60 "job L counting on $B" grep -q " n2$" "$T/work/L.out"
wait_for 60 "job H $H ends" job_ended "$H"
job_is "$H" COMPLETED || fail "job H is $(job_field "$H" JobState)"
wait_for 90 "job L $L ends" job_ended "$L"
job_is "$L" COMPLETED || fail "job L is $(job_field "$L" JobState)"
why=$(count_whole "$T/work/L.out" 300) || fail "job L's output is not 1..300 once each: $why"
why=$(count_whole "$T/work/H.out" 150) || fail "job H's output is not 1..150: $why"
grep -q " n2$" "$T/work/H.out" && fail "job H left A"

# the record: every step of L in order, and H's run before L's checkpoint
has_end() { vnodectl events --job "$L" | grep -q " end "; }
wait_for 20 "the end of job L in the record" has_end
vnodectl events >"$T/events"
say "the record: $(wc -l <"$T/events") events"
steps=$(awk -v l="$L" '$3 == l { print $2 "/" $4 }' "$T/events" | tr '\n' ' ')
echo "$steps" | grep -Eq "$A/run .*$A/suspend .*move .*$A/checkpoint .*requeue .*release .*$B/(restore|run) .*$B/(restore|run) .*$B/end" ||
    fail "job L's steps out of order: $steps"
# (the mover records a job's run at its start time: the restore, which
# precedes the script, may come first; both are on B)
h_run=$(awk -v h="$H" '$3 == h && $4 == "run" { print NR; exit }' "$T/events")
l_ckpt=$(awk -v l="$L" '$3 == l && $4 == "checkpoint" { print NR; exit }' "$T/events")
[ -n "$h_run" ] && [ -n "$l_ckpt" ] && [ "$h_run" -lt "$l_ckpt" ] ||
    fail "job H's run is not before L's checkpoint: $(cat "$T/events")"

# the picture
# (vnodectl runs as the hook's user, slurm)
mkdir "$T/svg" && chown slurm: "$T/svg"
vnodectl timeline --svg "$T/svg/poster.svg" || fail "vnodectl timeline"
xmllint --noout "$T/svg/poster.svg" || fail "the timeline is not well-formed XML"
for n in "$A" "$B"; do
	grep -q ">$n<" "$T/svg/poster.svg" || fail "no lane for $n in the timeline"
done
agent_stop n2 || fail "agent on n2 exited with $?"
agent_stop n1 || fail "agent on n1 exited with $?"
exit 0
