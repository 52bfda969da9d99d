#!/bin/bash
# Elastic vnode when the cloud misbehaves, with the local provider (real
# sandboxes, real agents, real slurmd), each case checked in Slurm and in
# the hook's record:
#   1. a bulk create half refused (vnode-privd allows one sandbox): the
#      refused node is powered down at once (never DOWN), the provider
#      backs off, and the job waits (PENDING, not failed) until the backoff
#      ends, then runs;
#   2. an instance that never joins (its agent cannot reach a time
#      server): deleted after join_timeout, its node powered down (not
#      DOWN), the job requeued and released; it runs once instances join;
#   3. the hook restarts between create and join: the instance joins all
#      the same, once, and the job runs;
#   4. an instance the registry does not know (made behind the hook's
#      back) is deleted after orphan_grace;
#   5. an instance that vanishes under a running job (the cloud lost it):
#      its node is powered down, the job requeued and run again on a new
#      instance.
. "$(dirname "$0")/test.common"
vt_init
ORPHAN_GRACE=10 PROVIDER_BACKOFF=20 SYNC_INTERVAL=2
HOOKD_EXTRA="join_timeout = 25"
elastic_env 3 "max_instances = 1"
ctl_start
privd_start
node_flags() { sb ctl scontrol show node "$1" | sed -n 's/.* State=\([^ ]*\).*/\1/p'; }
not_down() { [ "$(node_flags "$1" | cut -d+ -f1)" != DOWN ]; }
inst_state() { vnodectl instances --all | awk -v n="$1" '$2 == n { s = $5 } END { print s }'; }
has_ev() { vnodectl events | grep -Eq "$1"; }

# 1. two jobs at once, one sandbox allowed
A=$(submit -p cloud -o "$T/work/A.out" --wrap 'hostname; sleep 8')
B=$(submit -p cloud -o "$T/work/B.out" --wrap 'hostname; sleep 1')
wait_for 60 "one create refused" has_ev " create-failed .*local create failed: .*max_instances"
refused=$(vnodectl events | awk '$4 == "create-failed" { print $2; exit }')
say "create refused for $refused: $(vnodectl events | awk '$4 == "create-failed"' | head -n 1 | cut -c1-160)"
grep -q "provision: local backs off\|backs off until" "$T/hookd.log" ||
    wait_for 10 "the backoff said" grep -q "backs off" "$T/hookd.log"
not_down "$refused" || fail "$refused is DOWN: $(node_flags "$refused")"
wait_for 90 "job A $A runs" job_is "$A" RUNNING
# B waits: PENDING (never FAILED) while the provider backs off
for i in 1 2 3; do
	case $(job_field "$B" JobState) in
	PENDING|CONFIGURING|RUNNING|COMPLETED|COMPLETING) ;;
	*) fail "job B $B is $(job_field "$B" JobState) during the backoff" ;;
	esac
	sleep 1
done
wait_for 150 "job B $B ends after the backoff" job_ended "$B"
job_is "$B" COMPLETED || fail "job B is $(job_field "$B" JobState)"
wait_for 60 "job A ends" job_ended "$A"
job_is "$A" COMPLETED || fail "job A is $(job_field "$A" JobState)"
say "1: half of a bulk create refused; job B waited and ran"
# the one sandbox goes when idle, so that the next cases have room
free_slot() { [ "$(privd_call list | grep -Ec ' (creating|running) ')" = 0 ]; }
wait_for 90 "the sandboxes suspended" free_slot

# 2. an instance that never joins
cp "$T/local-agent.conf" "$T/local-agent.good"
printf 'time_server = %s\ntime_timeout = 5\n' "$VT_SUBNET.250" >>"$T/local-agent.conf"
C=$(submit -p cloud -o "$T/work/C.out" --wrap 'hostname')
booting() { vnodectl instances | awk '$5 == "booting"' | grep -q .; }
wait_for 30 "an instance booting for job C" booting
cnode=$(vnodectl instances | awk '$5 == "booting" { print $2; exit }')
wait_for 60 "the instance of $cnode given up" has_ev " $cnode .*join-timeout +did not join within 25 s"
cp "$T/local-agent.good" "$T/local-agent.conf"
not_down "$cnode" || fail "$cnode is DOWN after the join timeout: $(node_flags "$cnode")"
wait_for 150 "job C $C ends" job_ended "$C"
job_is "$C" COMPLETED || fail "job C is $(job_field "$C" JobState)"
say "2: $cnode's instance never joined, deleted after 25 s; job C ran on $(cat "$T/work/C.out")"
wait_for 90 "the sandboxes suspended" free_slot

# 3. the hook restarts between create and join
D=$(submit -p cloud -o "$T/work/D.out" --wrap 'hostname')
wait_for 30 "an instance booting for job D" booting
dnode=$(vnodectl instances | awk '$5 == "booting" { print $2; exit }')
hookd_stop
sleep 2
hookd_start
wait_for 90 "job D $D ends" job_ended "$D"
job_is "$D" COMPLETED || fail "job D is $(job_field "$D" JobState)"
[ "$(vnodectl instances --all | awk -v n="$dnode" '$2 == n && $5 != "failed"' | wc -l)" -ge 1 ] ||
    fail "instances of $dnode: $(vnodectl instances --all)"
[ "$(privd_call list | grep -c " $dnode running")" -le 1 ] || fail "two sandboxes for $dnode"
say "3: the hook restarted while $dnode booted; job D ran on $(cat "$T/work/D.out")"
cp "$T/local-agent.good" "$T/local-agent.conf"
wait_for 90 "the sandboxes suspended" free_slot

# 4. an orphan: a sandbox nobody in the registry asked for, made while
# lists run back to back (as the hook's sync and the tests' checks do: a
# list during a create once took the half-made sandbox for gone and
# removed its network under it)
( while :; do privd_call list >/dev/null 2>&1; done ) &
lister=$!
orphan=$(printf '#cloud-config\nvnode:\n  hook_url: "http://%s:%s"\n  join_token: "0123456789abcdef.%064d"\n' \
    "$CTL_IP" "$HOOK_PORT" 0 | privd_call create cloud-3) || fail "privd create: $orphan"
kill "$lister"
wait "$lister" 2>/dev/null
privd_call list | grep -q "^$orphan cloud-3 running " ||
    fail "the orphan $orphan is not running after its create: $(privd_call list)"
sb ctl ip netns pids "vn-$orphan" >/dev/null 2>&1 ||
    fail "the orphan $orphan has no network namespace"
wait_for 60 "orphan $orphan deleted" has_ev " orphan +local $orphan deleted: not in the registry"
gone() { ! privd_call list | grep -Eq "^$orphan .* (creating|running) "; }
wait_for 30 "the orphan's sandbox gone" gone
say "4: orphan $orphan deleted"

# 5. an instance that vanishes under a running job
E=$(submit -p cloud -o "$T/work/E.out" --open-mode=append --wrap 'echo "start $(hostname)"; sleep 600')
wait_for 90 "job E $E running" job_is "$E" RUNNING
enode=$(job_field "$E" NodeList)
eid=$(vnodectl instances | awk -v n="$enode" '$2 == n && $5 == "joined" { print $4 }')
[ -n "$eid" ] || fail "no joined instance for $enode: $(vnodectl instances)"
privd_call delete "$eid" force >/dev/null || fail "privd delete $eid"
wait_for 30 "$enode's instance seen vanished" has_ev " $enode .*vanished +local instance $eid vanished"
not_down "$enode" || fail "$enode is DOWN: $(node_flags "$enode")"
started_twice() { [ "$(grep -c '^start ' "$T/work/E.out")" -ge 2 ]; }
wait_for 120 "job E started again on a new instance" started_twice
job_is "$E" RUNNING || fail "job E is $(job_field "$E" JobState)"
say "5: $eid vanished under job E; E requeued and running again: $(tr '\n' ' ' <"$T/work/E.out")"
sb ctl scancel "$E"
exit 0
