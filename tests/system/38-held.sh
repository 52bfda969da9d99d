#!/bin/bash
# A node is held (drained, with a reason) from its join until its agent
# says its mounts are verified: the mounts run beside munge and slurmd, and
# no job starts on the node before they are there.  A slow mount keeps the
# node held, a job submitted meanwhile pending; once the mount is done the
# hold is released and the job runs.  (A mount that fails: 10-mounts.sh.)
#
# (This kernel has no NFS client: the mount is a tmpfs, and it is made
# slow by holding the lock mount(8) takes to record a mount with a
# userspace option, x-vnode-test, in the sandbox's /run/mount/utab.  The
# VM tests do the same with NFS and nfs-ganesha: 01-join with the server
# stopped while the guest boots, 02-nfs-missing with an export missing.)
. "$(dirname "$0")/test.common"
vt_init
HOOKD_EXTRA="mount.sw = tmpfs /var/lib/vnode/sw tmpfs size=8m,mode=1777,x-vnode-test"
ctl_start
tok=$(token 1)
node_create n1
agent_conf n1 "$tok"

# --- a slow mount ------------------------------------------------------
# the lock, held until the test lets go (bounded: 120 s)
sb n1 mkdir -p /run/mount
sb n1 flock /run/mount/utab.lock sh -c 'i=0; while [ ! -e /run/let-go ] &&
    [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done' &
lockpid=$!
at_exit "sb n1 touch /run/let-go 2>/dev/null; wait $lockpid 2>/dev/null"
sleep 0.5
sb n1 "$VNODE_BIN/vnode-agent" -C none run >>"$T/n1.agent.log" 2>&1 &
AGENT_PID[n1]=$!
# (Slurm 22.05 keeps the drain of a node whose slurmd registers, but not
# its reason: the registry says the node is held)
held() {
	sb ctl scontrol show node vm-1 2>/dev/null | grep -q "State=IDLE+DRAIN" &&
	    case $(node_reason vm-1) in
	    ""|"vnode: held: mounts not verified yet") ;;
	    *) return 1 ;;
	    esac
}
wait_for 60 "vm-1 registered, held" held
say "held: $(sb ctl sinfo -h -n vm-1 -o '%T %E')"
grep -q "vnode-agent: slurmd: started as dynamic node vm-1" "$T/n1.agent.log" ||
    fail "slurmd was not started beside the mounts"
grep -q "vnode-agent: mounts: " "$T/n1.agent.log" &&
    fail "the mounts step ended while its lock was held"
[ "$(vnodectl nodes | awk '$1 == "vm-1" { print $2 }')" = held ] ||
    fail "vnodectl nodes: vm-1 is not shown held: $(vnodectl nodes)"
job=$(submit -w vm-1 -t 2 -o "$T/work/held.out" \
    --wrap 'ls -ld /var/lib/vnode/sw && findmnt -n -o FSTYPE /var/lib/vnode/sw')
sleep 3
job_is "$job" PENDING || fail "job $job is $(job_field "$job" JobState) on a held node"
say "job $job pending while vm-1 is held ($(job_field "$job" Reason))"

# the mount's lock goes: the mounts step ends, the ready call releases
sb n1 touch /run/let-go
wait "$lockpid"
wait_for 60 "vm-1 released" grep -q "ready: vm-1 is [A-Z]* in Slurm (its hold released)" \
    "$T/n1.agent.log"
grep -q "vnode-agent: mounts: 1 file system: 1 mounted now, 0 already" "$T/n1.agent.log" ||
    fail "no mounts line"
wait_for 60 "job $job done" job_ended "$job"
job_is "$job" COMPLETED || fail "job $job: $(job_field "$job" JobState)"
grep -q "^tmpfs$" "$T/work/held.out" || fail "job output: $(cat "$T/work/held.out")"
[ -z "$(node_reason vm-1)" ] || fail "vm-1 still has a reason: $(node_reason vm-1)"
vnodectl events | grep -q "vm-1 .*ready .*mounts verified: vm-1 takes jobs now (its hold released)" ||
    fail "no ready event: $(vnodectl events | grep vm-1)"
[ "$(vnodectl nodes | awk '$1 == "vm-1" { print $2 }')" = admitted ] ||
    fail "vnodectl nodes: vm-1 is not admitted: $(vnodectl nodes)"

agent_stop n1 || fail "n1 leave"
exit 0
