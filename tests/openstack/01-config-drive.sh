#!/bin/bash
# The vnode image in a real OpenStack (tests/openstack/stack), launched the
# way a site's admin does it: user data from vnodectl token create
# --user-data, and Nova's own config drive:
#   openstack server create --image vnode --flavor vnode.small \
#       --network provider --security-group vnode --config-drive true \
#       --user-data vm1.user-data vm1
# The instance is ACTIVE, its agent reads the config drive Nova made, the
# node joins and is IDLE in Slurm, and a job of an ordinary user reads the
# NFS software tree there.  Then openstack server delete: the node goes.
. "$(dirname "$0")/../system/test.common"
. "$(dirname "$0")/../vm/vm.common"
. "$(dirname "$0")/os.common"
vt_init
vm_init
os_init
nfs_exports
ctl_start
ganesha_start "/home:$T/nfs/home:RW" "/sw:$T/nfs/sw:RO"
os_attach

vnodectl token create --uses 1 --ttl 30m --user-data \
    --template "$VM_TOP/cloud-init/user-data.yaml" >"$T/vm1.user-data" ||
    fail "vnodectl token create --user-data"
os_create vm1 --config-drive true --user-data "$(os_share "$T/vm1.user-data")" >/dev/null
os_wait_active vm1 300
os_wait_idle vm1 600
grep -a -q "vnode-agent: settings: .*config drive" "$T/vm1.console" ||
    fail "the agent did not read Nova's config drive: $(grep -a 'vnode-agent: settings' "$T/vm1.console")"
os_job_sw "$NODE"

os_delete vm1 180
gone() { [ "$(node_state "$NODE")" = absent ] || [ "$(node_state "$NODE")" != idle ]; }
wait_for 120 "$NODE no longer IDLE after the delete" gone
say "vm1 deleted: $NODE is $(node_state "$NODE")"
exit 0
