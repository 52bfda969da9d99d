#!/bin/bash
# The vnode image launched without a config drive: its agent reads the
# user data (from vnodectl token create --user-data) and the instance's
# settings from Nova's metadata service, at 169.254.169.254 through
# Neutron's DHCP namespace (its haproxy) and metadata agent:
#   openstack server create --image vnode --flavor vnode.small \
#       --network provider --security-group vnode \
#       --user-data vm2.user-data vm2
# The instance is ACTIVE, the node IDLE in Slurm, and a job of an ordinary
# user reads the NFS software tree there.
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
    --template "$VM_TOP/cloud-init/user-data.yaml" >"$T/vm2.user-data" ||
    fail "vnodectl token create --user-data"
os_create vm2 --user-data "$(os_share "$T/vm2.user-data")" >/dev/null
os_wait_active vm2 300
os_wait_idle vm2 600
grep -a -q "vnode-agent: settings: .*(hook_url from metadata service http://169.254.169.254" "$T/vm2.console" ||
    fail "the agent did not read the metadata service: $(grep -a 'vnode-agent: settings' "$T/vm2.console")"
os_job_sw "$NODE"
os_delete vm2 180
exit 0
