#!/bin/bash
# The shared file systems the hook names are mounted (beside munge and
# slurmd, the node held until they are verified), checked to be really
# there, usable by jobs, and unmounted when the node leaves; a mount that
# fails stops the join with its own exit code, the node drained.  (Real NFS needs a kernel with an NFS client:
# the VM tests mount NFS; here the same path mounts a tmpfs.)
. "$(dirname "$0")/test.common"
vt_init
# two trees, as a site's home and software: mounted at the same time
HOOKD_EXTRA="mount.scratch = tmpfs /var/lib/vnode/scratch tmpfs size=16m,mode=1777
mount.sw = tmpfs /var/lib/vnode/sw tmpfs size=8m,mode=755"
ctl_start
tok=$(token 2)
node_create n1
agent_conf n1 "$tok"
agent n1 join || fail "join with a mount"
grep -q "vnode-agent: mounts: 2 file systems: 2 mounted now, 0 already" "$T/n1.agent.log" ||
    fail "no mounts step line"
sb ctl curl -sf "http://$CTL_IP:$HOOK_PORT/metrics" |
    grep -q '^vnode_join_phase_seconds_count{phase="mounts"} 1$' ||
    fail "the mounts step's time is not in /metrics"
sb n1 findmnt -n -o FSTYPE,SOURCE /var/lib/vnode/scratch | grep -q "^tmpfs *tmpfs$" ||
    fail "not mounted: $(sb n1 findmnt -n /var/lib/vnode/scratch)"
sb n1 findmnt -n -o FSTYPE,SOURCE /var/lib/vnode/sw | grep -q "^tmpfs *tmpfs$" ||
    fail "not mounted: $(sb n1 findmnt -n /var/lib/vnode/sw)"
# a job of the ordinary user writes there, on the node
job=$(sb_user ctl sbatch --parsable -D "$T/work" -w vm-1 -o "$T/work/m.out" \
    --wrap 'echo data >/var/lib/vnode/scratch/f && cat /var/lib/vnode/scratch/f')
wait_for 60 "job $job output" grep -q data "$T/work/m.out"
# again (a reboot of the agent): nothing mounted twice
agent n1 join || fail "second join"
grep -q "mounts: 2 file systems: 0 mounted now, 2 already" "$T/n1.agent.log" ||
    fail "mounted twice"
[ "$(sb n1 findmnt -n /var/lib/vnode/scratch | wc -l)" = 1 ] || fail "stacked mounts"
agent n1 leave || fail "leave"
grep -q "vnode-agent: unmount: 2 file systems" "$T/n1.agent.log" || fail "no unmount step"
sb n1 findmnt -n /var/lib/vnode/scratch >/dev/null && fail "still mounted after leave"
sb n1 findmnt -n /var/lib/vnode/sw >/dev/null && fail "sw still mounted after leave"

# a mount that cannot work, beside two that do (all three at once): exit
# code 9, the bad one named; the node, held since its join, stays drained
# with the mount's error as its reason, its slurmd stops, and a job for it
# waits (38-held.sh: the hold itself)
hookd_stop
echo "mount.home = 10.77.0.250:/export/home /var/lib/vnode/home nosuchfs" \
    >>"$T/sb/ctl/etc/vnode/hookd.conf"
hookd_start
node_create n2
agent_conf n2 "$tok"
agent n2 join
rc=$?
[ $rc = 9 ] || fail "failed mount: exit $rc, not 9"
grep -q "vnode-agent: mounts: FAILED after .*nosuchfs 10.77.0.250:/export/home on /var/lib/vnode/home: /usr/bin/mount: exited with status 32: mount: /var/lib/vnode/home: .*(3 tries); vm-2 stays drained in Slurm with this reason, slurmd stopped" \
    "$T/n2.agent.log" || fail "failed mount: no clear line"
sb n2 pgrep -x slurmd >/dev/null && fail "slurmd still running after a failed mount"
case $(node_state vm-2) in
drain*) ;;
*) fail "vm-2 is $(node_state vm-2) after a failed mount, not drained" ;;
esac
r=$(node_reason vm-2)
say "vm-2: $(node_state vm-2), reason: $r"
case $r in
"vnode: held: mount failed: nosuchfs 10.77.0.250:/export/home on /var/lib/vnode/home"*) ;;
*) fail "vm-2's reason is not the mount's error: $r" ;;
esac
job=$(submit -w vm-2 -t 2 --wrap true)
sleep 3
job_is "$job" PENDING || fail "job $job is $(job_field "$job" JobState) on vm-2"
sb ctl scancel "$job"
vnodectl events | grep -q "vm-2 .*ready  *vm-2 stays drained: mount failed: nosuchfs" ||
    fail "no event of the failed mount: $(vnodectl events | grep vm-2)"
exit 0
