#!/bin/bash
# Fault: the home export the hook names is not there.  The guest's agent
# stops at the mounts step, before munge and slurmd; the console log says
# which mount failed and why; the node never becomes usable in Slurm.
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
echo "$line" | grep -q "$CTL_IP:/home on /home: .*not starting munge or slurmd" ||
    fail "the mount error does not name the home export: $line"
grep -a -q 'vnode-agent: mounts: 2 file systems' "$T/vm1.console" &&
    fail "the mounts step says it succeeded"
# the agent tries again (its unit restarts it); still nothing usable
sleep 15
st=$(node_state vm-1)
case $st in
idle*|mix*|alloc*) fail "vm-1 is $st in Slurm after a failed mount" ;;
esac
grep -a -q -E 'vnode-agent: (munge|slurmd|ready): ' "$T/vm1.console" &&
    fail "munge, slurmd or ready step ran after the failed mount"
say "vm-1 in Slurm: $st; no munge, slurmd or ready step"
vm_qmp vm1 quit
exit 0
