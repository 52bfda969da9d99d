#!/bin/bash
# A dump that hangs or is killed never loses the job and never leaves it
# stopped.  CRIU is killed (SIGKILL) at five points of a dump of a running
# job: right after it seized the tree (seize), while its parasite runs in
# the job's processes (parasite), while pages are written (pages), after
# every image is written but before the manifest (end: CRIU killed on its
# way out, the tree already left stopped), and one CRIU that stops in the
# parasite phase and never finishes (hang: ckpt_timeout kills it).  The
# points are made by strace's syscall injection on the real criu (the
# first getdents64 after the seize, the second recvfrom from the parasite,
# the second splice of pages into the image, exit_group; SIGSTOP at the
# second recvfrom), and each is checked against CRIU's own log.
#
# Migrate path (vnodectl migrate, the agent's checkpoint order): each time
# the migrate fails with the reason, the job stays RUNNING on its node and
# keeps counting, no process of it is stopped or traced, no criu is left,
# and the store names no image; then a migrate without a fault moves it,
# and it ends COMPLETED with 1..N once each.
# Leave path (the node shuts down with one job per point on it): every job
# is requeued without a checkpoint, starts over on the other node and
# ends COMPLETED; the store names no image of any.
# The self-test: vnode-agent says at start, and in "check", whether the
# node can checkpoint; on n3 its criu hangs in every dump, so n3 says it
# cannot (check exits 10), and its job is requeued at leave without CRIU
# being run, with the reason in the record.
. "$(dirname "$0")/test.common"
vt_init
command -v strace >/dev/null || skip "strace is not installed (run make check)"
# five jobs at once on a node of 2 CPUs (this machine's): cores shared
SLURM_EXTRA="PartitionName=backfill Nodes=vnodes MaxTime=INFINITE State=UP OverSubscribe=FORCE:3"
ckpt_env
POINTS="seize parasite pages end hang"

# the criu the agents run: the real one, with a fault for the jobs that
# $T/faults names ("JOB POINT" lines), read at each call
cat >"$T/criu-fault" <<EOF
#!/bin/bash
real=$CRIU faults=$T/faults
[ "\${1:-}" = dump ] || exec "\$real" "\$@"
args=() job=
while [ \$# -gt 0 ]; do
	case \$1 in
	-D) [[ \$2 =~ /([0-9]+)/[0-9]+\.tmp\$ ]] && job=\${BASH_REMATCH[1]}
	    # the agent's self-test: "selftest@NODE"
	    [[ \$2 =~ /ckpt/selftest\$ ]] && job=selftest@\$(hostname)
	    args+=("\$1" "\$2"); shift 2; continue ;;
	-v2) args+=(-v4) ;;	# the log names the phase CRIU reached
	*) args+=("\$1") ;;
	esac
	shift
done
point=\$(awk -v j="\$job" '\$1 == j { print \$2; exit }' "\$faults" 2>/dev/null)
case \$point in
seize) inj=getdents64:signal=KILL:when=1 ;;
parasite) inj=recvfrom:signal=KILL:when=2 ;;
pages) inj=splice:signal=KILL:when=2 ;;
end) inj=exit_group:signal=KILL ;;
hang) inj=recvfrom:signal=STOP:when=2 ;;
*) exec "\$real" "\${args[@]}" ;;
esac
echo "\$job \$point" >>"\$faults.log"
exec /usr/bin/strace -qq -o /dev/null -e inject="\$inj" "\$real" "\${args[@]}"
EOF
chmod 755 "$T/criu-fault"
echo "selftest@n3 hang" >"$T/faults"
AGENT_EXTRA=("ckpt_dir = $CK" "criu = $T/criu-fault" "heartbeat_wait = 2"
    "ckpt_timeout = 8" "cpus = 2")
ctl_start
nodes n1 n2 n3
agent_bg n1
agent_bg n2
agent_bg n3
vm1=$(node_name n1)
vm2=$(node_name n2)
vm3=$(node_name n3)

# --- the self-test at start, and in check
for n in n1 n2; do
	wait_for 30 "$n's self-test" grep -q "checkpoint: this node can checkpoint (criu [0-9.]*: a test process dumped and restored in" "$T/$n.agent.log"
done
wait_for 40 "n3's self-test" grep -q "checkpoint: this node cannot checkpoint: criu dump of a test process did not finish within 8 s" "$T/n3.agent.log"
out=$(agent n1 check 2>&1) || fail "vnode-agent check on n1 exited with $?: $out"
echo "$out" | grep -q "^checkpoint: this node can checkpoint" || fail "check on n1: $out"
out=$(agent n3 check 2>&1)
rc=$?
[ $rc = 10 ] || fail "vnode-agent check on n3 exited with $rc, not 10: $out"
echo "$out" | grep -q "^checkpoint: this node cannot checkpoint: criu dump of a test process did not finish within 8 s (CRIU's log: /run/vnode/ckpt/selftest.log)" ||
    fail "check on n3: $out"
sb n3 grep -q "Seized task" /run/vnode/ckpt/selftest.log || fail "n3: CRIU's log of the self-test was not kept"
: >"$T/faults"
sb ctl scontrol update nodename="$vm3" state=drain reason=test || fail "drain $vm3"
running_on() { [ "$(job_field "$1" JobState)" = RUNNING ] &&
    [ "$(job_field "$1" NodeList)" = "$2" ]; }
lines() { wc -l <"$1"; }
counted() { [ "$(lines "$1")" -ge "$2" ]; }
# a counting job with 8 MB in its shell's memory (pages to write)
mem_job() { echo "x=\$(head -c 8000000 /dev/zero | tr '\\0' a); $(count_job "$1")"; }

# job_free JOB NODE: no process of the job's tree stopped or traced, and
# no criu (nor strace) left on the node
job_free() {
	local job=$1 node=$2 init bad
	init=$(sb "$node" sed -n 's/.*"init": *\([0-9]*\).*/\1/p' "/run/vnode/ckpt/$job.json")
	[ -n "$init" ] || { say "job $job: no runtime file on $node"; return 1; }
	bad=$(sb "$node" pgrep -a -x 'criu|strace') && { say "$node: left running: $bad"; return 1; }
	bad=$(sb "$node" sh -c '
	    walk() { echo "$1"; for c in $(cat /proc/$1/task/*/children 2>/dev/null); do walk "$c"; done; }
	    for p in $(walk "$0"); do
	        awk -v p="$p" "/^State:/ { s = \$2 } /^TracerPid:/ { t = \$2 }
	            END { if (s == \"T\" || s == \"t\" || t != 0) print p \" state \" s \" tracer \" t }" /proc/$p/status 2>/dev/null
	    done' "$init")
	[ -z "$bad" ] || { say "job $job on $node: $bad"; return 1; }
}

# no_image JOB: the store names no image (no current) and holds no half one
no_image() {
	[ -e "$CK/$1/current" ] && { say "job $1: current names image $(cat "$CK/$1/current")"; return 1; }
	ls -d "$CK/$1"/*.tmp 2>/dev/null | grep -q . && { say "job $1: $(ls -d "$CK/$1"/*.tmp) left"; return 1; }
	return 0
}

# phase JOB POINT: CRIU's log of the failed dump shows it was killed where
# the point says
phase() {
	local log=$CK/$1/dump-failed.log
	[ -s "$log" ] || { say "job $1: no $log"; return 1; }
	case $2 in
	seize) grep -q "Seized task" "$log" && ! grep -q "Putting parasite blob" "$log" ;;
	parasite) grep -q "switched to daemon mode" "$log" && ! grep -q "page-xfer" "$log" ;;
	pages) grep -q "page-xfer" "$log" && ! grep -q "Dumping finished successfully" "$log" ;;
	end) grep -q "Dumping finished successfully" "$log" ;;
	hang) grep -q "switched to daemon mode" "$log" && ! grep -q "Dumping finished successfully" "$log" ;;
	esac || { say "job $1: CRIU's log does not show the $2 point: $(tail -n 3 "$log" | tr '\n' ' ')"; return 1; }
}

# --- the migrate path: one job, a fault each time, then a real move
sb ctl scontrol update nodename="$vm2" state=drain reason=test || fail "drain $vm2"
L=$(submit -p backfill -o "$T/work/L.out" --wrap "$(mem_job 700)")
wait_for 60 "job L $L running on $vm1" running_on "$L" "$vm1"
wait_for 60 "job L counting" counted "$T/work/L.out" 10
sb ctl scontrol update nodename="$vm2" state=resume || fail "resume $vm2"
for p in $POINTS; do
	echo "$L $p" >"$T/faults"
	rm -f "$CK/$L/dump-failed.log"
	vnodectl migrate "$L" --to "$vm2" --wait 40 >"$T/migrate-$p.out" 2>&1 &&
	    fail "$p: migrate of job L succeeded with CRIU killed: $(cat "$T/migrate-$p.out")"
	grep -q "^$L $p$" "$T/faults.log" || fail "$p: the faulty criu did not run for job L"
	phase "$L" "$p" || fail "$p: CRIU was not killed where meant"
	[ "$p" = hang ] && { grep -q "criu did not finish within 8 s and was killed" "$T/migrate-$p.out" ||
	    fail "hang: migrate does not say criu was killed for its time: $(cat "$T/migrate-$p.out")"; }
	grep -q "the job goes on" "$T/migrate-$p.out" ||
	    fail "$p: migrate does not say the job goes on: $(cat "$T/migrate-$p.out")"
	running_on "$L" "$vm1" || fail "$p: job L is $(job_field "$L" JobState) on $(job_field "$L" NodeList)"
	job_free "$L" n1 || fail "$p: job L is not free to run on n1"
	n=$(lines "$T/work/L.out")
	wait_for 10 "$p: job L counting on after the failed dump (at $n)" counted "$T/work/L.out" $((n + 5))
	no_image "$L" || fail "$p: the store names an image of job L"
	say "$p: criu killed ($(tail -n 1 "$CK/$L/dump-failed.log" | cut -c1-60)...); job L counts on: $n -> $(lines "$T/work/L.out")"
done
: >"$T/faults"
vnodectl migrate "$L" --to "$vm2" --wait 60 >"$T/migrate.out" 2>&1 ||
    fail "migrate of job L without a fault failed: $(cat "$T/migrate.out")"
wait_for 30 "job L $L running on $vm2" running_on "$L" "$vm2"
wait_for 90 "job L $L ends" job_ended "$L"
job_is "$L" COMPLETED || fail "job L $L is $(job_field "$L" JobState)"
why=$(count_whole "$T/work/L.out" 700) || fail "job L's output is not 1..700 once each: $why"
grep -q "^700 n2$" "$T/work/L.out" || fail "job L did not end on n2"
say "job L: five failed dumps on n1, moved to n2 from $(awk '$2 == "n2" { print $1; exit }' "$T/work/L.out"), ended whole"

# --- the leave path: a job per point on n1, and n1 shuts down
sb ctl scontrol update nodename="$vm2" state=drain reason=test || fail "drain $vm2"
declare -A J
: >"$T/faults"
for p in $POINTS; do
	J[$p]=$(submit -p backfill -o "$T/work/$p.out" --wrap "$(mem_job 400)")
	echo "${J[$p]} $p" >>"$T/faults"
done
for p in $POINTS; do
	wait_for 60 "job $p ${J[$p]} running on $vm1" running_on "${J[$p]}" "$vm1"
	wait_for 60 "job $p counting" counted "$T/work/$p.out" 10
done
# and one job on n3, which cannot checkpoint
sb ctl scontrol update nodename="$vm1" state=drain reason=test || fail "drain $vm1"
sb ctl scontrol update nodename="$vm3" state=resume || fail "resume $vm3"
X=$(submit -p backfill -o "$T/work/X.out" --wrap "$(mem_job 300)")
wait_for 60 "job X $X running on $vm3" running_on "$X" "$vm3"
wait_for 60 "job X counting" counted "$T/work/X.out" 10
sb ctl scontrol update nodename="$vm2" state=resume || fail "resume $vm2"
agent_stop n3 || fail "vnode-agent run on n3 exited with $? after SIGTERM"
grep -Eq "checkpoint: job $X: $vm3 cannot checkpoint: criu dump of a test process did not finish.*; requeued without a checkpoint" "$T/n3.agent.log" ||
    fail "n3 did not requeue job X without CRIU: $(grep "job $X" "$T/n3.agent.log")"
grep -q "^$X " "$T/faults.log" && fail "n3 ran criu for job X although it cannot checkpoint"
vnodectl events --job "$X" | grep -q "checkpoint-failed .*cannot checkpoint" ||
    fail "job X: the reason is not in the record: $(vnodectl events --job "$X")"
agent_stop n1 || fail "vnode-agent run on n1 exited with $? after SIGTERM"
grep -q "left as $vm1" "$T/n1.agent.log" || fail "n1 did not leave"
for p in $POINTS; do
	j=${J[$p]}
	grep -q "^$j $p$" "$T/faults.log" || fail "$p: the faulty criu did not run for job $j"
	grep -Eq "checkpoint: job $j: .*; requeued without a checkpoint" "$T/n1.agent.log" ||
	    fail "$p: n1 did not requeue job $j without a checkpoint: $(grep "job $j" "$T/n1.agent.log")"
	phase "$j" "$p" || fail "$p: CRIU was not killed where meant (leave)"
	case $(job_field "$j" JobState) in
	PENDING|RUNNING|COMPLETING|COMPLETED) ;;
	*) fail "$p: job $j is $(job_field "$j" JobState) after the leave" ;;
	esac
done
for p in $POINTS; do
	j=${J[$p]}
	wait_for 120 "job $p $j ends" job_ended "$j"
	job_is "$j" COMPLETED || fail "$p: job $j is $(job_field "$j" JobState)"
	[ "$(grep -c '^1 ' "$T/work/$p.out")" = 2 ] || fail "$p: job $j did not start over: $(head -n 3 "$T/work/$p.out")"
	grep -q "^400 n2$" "$T/work/$p.out" || fail "$p: job $j did not finish on n2"
	no_image "$j" || fail "$p: the store names an image of job $j"
done
wait_for 120 "job X $X ends" job_ended "$X"
job_is "$X" COMPLETED || fail "job X $X is $(job_field "$X" JobState)"
[ "$(grep -c '^1 ' "$T/work/X.out")" = 2 ] && grep -q "^300 n2$" "$T/work/X.out" ||
    fail "job X did not start over on n2: $(grep -c . "$T/work/X.out") lines"
say "leave: five jobs whose dumps were killed requeued, started over on n2, ended COMPLETED; n3's job too, without CRIU"
agent_stop n2 || fail "vnode-agent run on n2 exited with $?"
exit 0
