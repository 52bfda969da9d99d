#!/bin/bash
# The vnode image launched with its settings as instance properties (Nova
# metadata), no user data and no config drive:
#   openstack server create --image vnode --flavor vnode.small \
#       --network provider --security-group vnode \
#       --property hook_url=http://CONTROLLER:8181 \
#       --property join_token=ID.SECRET vm3
# The agent finds them in meta_data.json's "meta" from the metadata
# service; the node joins and is IDLE in Slurm, and a job of an ordinary
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

tok=$(token 1 30m)
os_create vm3 --property "hook_url=http://$CTL_IP:$HOOK_PORT" \
    --property "join_token=$tok" >/dev/null
os_wait_active vm3 300
os_wait_idle vm3 600
grep -a -q "vnode-agent: settings: .*(hook_url from metadata service http://169.254.169.254/openstack/latest/meta_data.json meta.hook_url" "$T/vm3.console" ||
    fail "the agent did not take the instance's properties: $(grep -a 'vnode-agent: settings' "$T/vm3.console")"
os_job_sw "$NODE"
os_delete vm3 180
exit 0
