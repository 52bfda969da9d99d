#!/bin/bash
# vnode_ckpt.so, the SPANK plugin: a batch job of the backfill partition
# runs in its own PID namespace (init as pid 1, the script as pid 2) and
# keeps its exit code; scancel leaves nothing of it; a job of the default
# partition is not touched.  With CRIU: a counting job dumped on one node
# (ckpt_dump), requeued and released to the other, carries on from where it
# was and ends COMPLETED with its output whole; a dumped job is held
# through SIGCONT, and ckpt_resume lets it run on in place; a corrupt image
# makes the job start over, with the reason as a restore-failed event.
. "$(dirname "$0")/test.common"
vt_init
[ -e "$VNODE_BIN/vnode_ckpt.so" ] || fail "$VNODE_BIN/vnode_ckpt.so is not built"
CK=$T/ckpt
mkdir -m 0700 "$CK"
CRIU=$VNODE_BIN/criu/criu
SLURM_EXTRA="JobFileAppend=1
PartitionName=backfill Nodes=vnodes MaxTime=INFINITE State=UP"
PLUGSTACK="required $VNODE_BIN/vnode_ckpt.so ckpt_dir=$CK partitions=backfill criu=$CRIU"
ctl_start
nodes n1 n2
for n in n1 n2; do
	agent $n join || fail "join of $n"
done
vm1=$(sed -n 's/.*ready: \(vm-[0-9]*\) is.*/\1/p' "$T/n1.agent.log")
vm2=$(sed -n 's/.*ready: \(vm-[0-9]*\) is.*/\1/p' "$T/n2.agent.log")

# runtime NODE JOB FIELD: a field of the plugin's <job>.json on NODE
runtime() {
	sb "$1" cat "/run/vnode/ckpt/$2.json" 2>/dev/null |
	    sed -n "s/.*\"$3\": *\([0-9]*\).*/\1/p"
}

# 1. backfill: the script is pid 2 of a namespace of its own, exit 0
slurmd_ns=$(sb n1 sh -c 'readlink /proc/$(pgrep -x slurmd | head -n 1)/ns/pid')
j=$(submit -p backfill -w "$vm1" -o "$T/work/ns.%j" \
    --wrap 'echo pid=$$; readlink /proc/self/ns/pid')
wait_for 60 "job $j ends" job_ended "$j"
out=$(cat "$T/work/ns.$j")
job_is "$j" COMPLETED || fail "job $j is $(job_field "$j" JobState): $out"
[ "$(job_field "$j" ExitCode)" = 0:0 ] || fail "job $j: exit code $(job_field "$j" ExitCode)"
echo "$out" | grep -qx 'pid=2' || fail "job $j is not pid 2: $out"
ns=$(echo "$out" | sed -n 2p)
[ -n "$ns" ] && [ "$ns" != "$slurmd_ns" ] || fail "job $j: pid namespace $ns, slurmd's $slurmd_ns"
sb n1 test -e "/run/vnode/ckpt/$j.json" && fail "job $j: runtime file left"
say "backfill job $j ran as pid 2 in $ns (slurmd: $slurmd_ns), COMPLETED 0:0"

# 2. its exit code is the job's: exit 3 is FAILED 3:0
j=$(submit -p backfill -w "$vm1" -o /dev/null --wrap 'exit 3')
wait_for 60 "job $j ends" job_ended "$j"
job_is "$j" FAILED || fail "job $j (exit 3) is $(job_field "$j" JobState)"
[ "$(job_field "$j" ExitCode)" = 3:0 ] || fail "job $j: exit code $(job_field "$j" ExitCode), not 3:0"

# 3. scancel: CANCELLED, and nothing of it left (shim, init, job)
j=$(submit -p backfill -w "$vm1" -o /dev/null --wrap 'sleep 600')
has_runtime() { [ -n "$(runtime n1 "$j" init)" ]; }
wait_for 60 "job $j runs in its namespace" has_runtime
shim=$(runtime n1 "$j" shim)
init=$(runtime n1 "$j" init)
kids=$(sb n1 cat "/proc/$init/task/$init/children" | xargs)
[ -n "$kids" ] || fail "job $j: init $init has no child"
[ "$(sb n1 cat /proc/$shim/comm)" = vnode-ckpt ] || fail "shim $shim is $(sb n1 cat /proc/$shim/comm)"
[ "$(sb n1 cat /proc/$init/comm)" = vnode-init ] || fail "init $init is $(sb n1 cat /proc/$init/comm)"
sb ctl scancel "$j" || fail "scancel $j"
wait_for 60 "job $j ends" job_ended "$j"
job_is "$j" CANCELLED || fail "job $j is $(job_field "$j" JobState) after scancel"
gone() {
	local p
	for p in $shim $init $kids; do
		sb n1 kill -0 "$p" 2>/dev/null && return 1
	done
	! sb n1 pgrep -u "$VT_USER" >/dev/null
}
wait_for 20 "job $j's processes gone" gone
sb n1 test -e "/run/vnode/ckpt/$j.json" && fail "job $j: runtime file left after scancel"
say "scancel of job $j: CANCELLED, shim $shim, init $init and job $kids gone"

# 4. the default partition: not in a namespace
j=$(submit -w "$vm1" -o "$T/work/plain.%j" --wrap 'echo pid=$$; readlink /proc/self/ns/pid')
wait_for 60 "job $j ends" job_ended "$j"
job_is "$j" COMPLETED || fail "job $j is $(job_field "$j" JobState)"
grep -qx 'pid=2' "$T/work/plain.$j" && fail "default partition job $j ran as pid 2"
[ "$(sed -n 2p "$T/work/plain.$j")" = "$slurmd_ns" ] ||
    fail "default partition job $j: own pid namespace $(sed -n 2p "$T/work/plain.$j")"

# --- with CRIU
[ -x "$CRIU" ] || skip "cases 1-4 passed; CRIU cases need $CRIU (the criu branch's build)"

# count JOB: what it printed, one line; slurmstepd's own line about the
# requeue ("*** JOB J ON vm-1 CANCELLED AT ... DUE TO JOB REQUEUE ***")
# goes into the same file, and is left out
count() { grep -v '^slurmstepd' "$T/work/count.$1" | tr '\n' ' '; }
last() { tail -n 1 "$T/work/count.$1"; }
# move JOB: dump it on n1, requeue it, release it to vm2 once PENDING
move() {
	local j=$1 out
	out=$(sb n1 "$VNODE_BIN/tests/ckpt-dump" -d "$CK" -c "$CRIU" -n "$vm1" "$j" 2>&1) ||
	    fail "ckpt-dump of job $j: $out"
	say "job $j dumped at $(last "$j"): $out"
	n=$(echo "$out" | awk '{print $2}')
	[ "$(cat "$CK/$j/current")" = "$n" ] || fail "current is $(cat "$CK/$j/current"), not $n"
	grep -q "\"node\":\"$vm1\"" "$CK/$j/$n/manifest.json" ||
	    fail "manifest: $(cat "$CK/$j/$n/manifest.json")"
	sb ctl scontrol requeue "$j" || fail "scontrol requeue $j"
	wait_for 60 "job $j PENDING" job_is "$j" PENDING
	sb ctl scontrol update jobid="$j" StartTime=now ReqNodeList="$vm2" ||
	    fail "scontrol update $j"
}

# 5. a counting job moves from n1 to n2 and carries on
script='i=0; while [ $i -lt 80 ]; do i=$((i+1)); echo $i; sleep 0.1; done; echo done'
j=$(submit -p backfill -w "$vm1" -o "$T/work/count.%j" --wrap "$script")
counting() { [ "$(last "$j" 2>/dev/null)" -ge 15 ] 2>/dev/null; }
wait_for 60 "job $j counts to 15" counting
move "$j"
wait_for 60 "job $j runs on $vm2" job_is "$j" RUNNING
[ "$(job_field "$j" NodeList)" = "$vm2" ] || fail "job $j runs on $(job_field "$j" NodeList)"
wait_for 60 "job $j ends" job_ended "$j"
job_is "$j" COMPLETED || fail "job $j is $(job_field "$j" JobState): $(count "$j")"
[ "$(job_field "$j" ExitCode)" = 0:0 ] || fail "job $j: exit code $(job_field "$j" ExitCode)"
[ "$(count "$j")" = "$(seq 1 80 | tr '\n' ' ')done " ] ||
    fail "job $j's output is not one count from 1 to 80: $(count "$j")"
ev=$(sb n2 sh -c 'cat /run/vnode/events/*.json' 2>/dev/null | grep "\"job\":$j,")
echo "$ev" | grep -q '"kind":"restore","detail":"image 1 from node '"$vm1"',' ||
    fail "no restore event on n2: $ev"
[ -e "$CK/$j" ] && fail "job $j's images left after it completed: $(ls "$CK/$j")"
say "job $j moved from $vm1 to $vm2, counted on, COMPLETED; $ev"

# 6. a dump whose requeue failed: held meanwhile, then resumed in place
j=$(submit -p backfill -w "$vm1" -o "$T/work/count.%j" --wrap "$script")
wait_for 60 "job $j counts to 15" counting
out=$(sb n1 "$VNODE_BIN/tests/ckpt-dump" -d "$CK" -c "$CRIU" -n "$vm1" "$j" 2>&1) ||
    fail "ckpt-dump of job $j: $out"
init=$(runtime n1 "$j" init)
shim=$(runtime n1 "$j" shim)
for p in $init $(sb n1 cat "/proc/$init/task/$init/children"); do
	st=$(sb n1 cat "/proc/$p/status" | awk '/^State:/ { print $2 } /^TracerPid:/ { print $2 }' | xargs)
	[ "$st" = "t $shim" ] || fail "job $j: process $p after the dump: state/tracer $st, not held by the shim $shim"
done
at=$(last "$j")
sb n1 kill -CONT "$init" $(sb n1 cat "/proc/$init/task/$init/children")
sleep 1
[ "$(last "$j")" = "$at" ] || fail "job $j ran on after its dump and a SIGCONT: $at, then $(last "$j")"
out=$(sb n1 "$VNODE_BIN/tests/ckpt-dump" -d "$CK" -R "$j" 2>&1) || fail "ckpt-dump -R $j: $out"
wait_for 60 "job $j ends" job_ended "$j"
job_is "$j" COMPLETED || fail "job $j is $(job_field "$j" JobState) after resume"
[ "$(count "$j")" = "$(seq 1 80 | tr '\n' ' ')done " ] ||
    fail "job $j's output after resume: $(count "$j")"
[ -e "$CK/$j" ] && fail "job $j's images left after it completed: $(ls "$CK/$j")"
say "job $j dumped at $at, held through SIGCONT, resumed in place, COMPLETED"

# 7. a corrupt image: the job starts over, and says why
j=$(submit -p backfill -w "$vm1" -o "$T/work/count.%j" --wrap "$script")
wait_for 60 "job $j counts to 15" counting
img=$CK/$j/1
move_corrupt() {
	local out
	out=$(sb n1 "$VNODE_BIN/tests/ckpt-dump" -d "$CK" -c "$CRIU" -n "$vm1" "$j" 2>&1) ||
	    fail "ckpt-dump of job $j: $out"
	for f in "$img"/core-*.img; do
		echo "not an image" >"$f"
	done
	sb ctl scontrol requeue "$j" || fail "scontrol requeue $j"
	wait_for 60 "job $j PENDING" job_is "$j" PENDING
	sb ctl scontrol update jobid="$j" StartTime=now ReqNodeList="$vm2" ||
	    fail "scontrol update $j"
}
move_corrupt
wait_for 60 "job $j ends" job_ended "$j"
job_is "$j" COMPLETED || fail "job $j is $(job_field "$j" JobState)"
grep -q "DUE TO JOB REQUEUE" "$T/work/count.$j" || fail "job $j: no requeue line"
[ "$(grep -cx 1 "$T/work/count.$j")" = 2 ] || fail "job $j did not start over: $(count "$j")"
ev=$(sb n2 sh -c 'cat /run/vnode/events/*.json' 2>/dev/null | grep "\"job\":$j,")
echo "$ev" | grep -q '"kind":"restore-failed","detail":"image 1: criu restore: .*started over"' ||
    fail "no restore-failed event with a reason on n2: $ev"
[ -e "$CK/$j" ] && fail "job $j's images left after it completed: $(ls "$CK/$j")"
say "job $j with a corrupt image started over; $ev"
exit 0
