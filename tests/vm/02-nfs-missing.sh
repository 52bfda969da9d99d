#!/bin/bash
# Fault: the home export the hook names is not there.  The guest's agent
# mounts beside munge and slurmd, the node held (drained) by the hook; the
# mount fails, the node stays drained with the mount's error as its
# reason, slurmd stops; the console log says which mount failed and why;
# a job sent to the node never starts.
. "$(dirname "$0")/../system/test.common"
. "$(dirname "$0")/vm.common"
vt_init
vm_init
nfs_exports
ctl_start
# only the software tree is exported: /home is missing
ganesha_start "/sw:$T/nfs/sw:RO"
vnodectl token create --uses 1 --ttl 30m --user-data \
    --template "$VM_TOP/cloud-init/user-data.yaml" >"$T/vm1.user-data" ||
    fail "vnodectl token create --user-data"
vm_config_drive vm1 "$T/vm1.iso" "$T/vm1.user-data"
vm_boot vm1 "$T/vm1.iso"

wait_for 600 "the mounts step's error on the console" \
    vm_console vm1 'vnode-agent: mounts: FAILED'
line=$(grep -a -m1 'vnode-agent: mounts: FAILED' "$T/vm1.console" | sed 's/^[0-9.]* //')
say "console: $line"
echo "$line" | grep -q "$CTL_IP:/home on /home: .*; vm-1 stays drained in Slurm with this reason, slurmd stopped" ||
    fail "the mount error does not name the home export: $line"
grep -a -q 'vnode-agent: mounts: 2 file systems' "$T/vm1.console" &&
    fail "the mounts step says it succeeded"
# Slurm says why (the agent tries again, its unit restarts it, and each
# join holds the node anew: its reason is the hold's for a moment)
failed_reason() { node_reason vm-1 | grep -q "^vnode: held: mount failed: nfs $CTL_IP:/home on /home"; }
wait_for 120 "vm-1's reason in Slurm: the mount's error" failed_reason
say "vm-1 in Slurm: $(node_state vm-1), reason: $(node_reason vm-1)"
j=$(sb_user ctl sbatch --parsable -w vm-1 -t 5 -D /tmp -o /dev/null --wrap true) ||
    fail "sbatch to vm-1"
sleep 15
st=$(node_state vm-1)
case $st in
idle|mix*|alloc*) fail "vm-1 is $st in Slurm after a failed mount" ;;
esac
job_is "$j" PENDING || fail "job $j is $(job_field "$j" JobState) on vm-1"
grep -a -q -E 'vnode-agent: ready: ' "$T/vm1.console" &&
    fail "the ready step ran after the failed mount"
say "vm-1 in Slurm: $st; job $j pending; no ready step"
sb ctl scancel "$j"
vm_qmp vm1 quit
exit 0
