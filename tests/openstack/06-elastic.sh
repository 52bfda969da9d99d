#!/bin/bash
# Elastic vnode on a real Nova (provider = openstack): a job submitted to
# the empty cloud partition makes Slurm resume a CLOUD node; vnode-hookd
# creates an instance of the image for it through Nova (its own client,
# an application credential of the site's project in a file only the
# SlurmUser reads), with user data holding the node's token; the instance
# boots, joins as that node and runs the job.  Idle for SuspendTime, the
# node is suspended: the hook orders its agent to retire (it leaves), then
# deletes the instance (an agent that does not leave in time, Nova stops
# first: the graceful delete); the node is powered down.
. "$(dirname "$0")/../system/test.common"
. "$(dirname "$0")/../vm/vm.common"
. "$(dirname "$0")/os.common"
vt_init
vm_init
os_init
nfs_exports
TAG=t$NSP
at_exit os_tag_cleanup
os_tag_cleanup() {
	local i
	for i in $(os --os-compute-api-version 2.52 server list --tags "$TAG" \
	    -f value -c ID 2>/dev/null); do
		os server delete "$i" >/dev/null 2>&1
	done
}

# the hook's application credential, in the controller's /etc/vnode
os application credential create "vnode-hook-$NSP" -f shell -c id -c secret \
    >"$T/ac" || fail "application credential create"
at_exit 'os application credential delete "vnode-hook-$NSP" >/dev/null 2>&1'
mkdir -p "$T/sb/ctl/etc/vnode"
(. "$T/ac"; printf 'application_credential_id = %s\napplication_credential_secret = %s\n' \
    "$id" "$secret") >"$T/sb/ctl/etc/vnode/openstack.cred"
chown slurm:slurm "$T/sb/ctl/etc/vnode/openstack.cred"
chmod 600 "$T/sb/ctl/etc/vnode/openstack.cred"

# power saving over two CLOUD nodes; Nova boots the image under emulation
# in minutes, so Slurm waits that long
SLURM_NODES="NodeName=cloud-[1-2] State=CLOUD CPUs=1 RealMemory=500 Feature=elastic"
SLURMCTLD_PARAMS="enable_configless,idle_on_node_suspend"
SLURM_EXTRA="PartitionName=cloud Nodes=cloud-[1-2] MaxTime=INFINITE State=UP
SuspendExcParts=vnode
ResumeProgram=$VNODE_BIN/vnode-resume
SuspendProgram=$VNODE_BIN/vnode-suspend
ResumeFailProgram=$VNODE_BIN/vnode-resume-fail
PrologSlurmctld=$VNODE_BIN/vnode-prolog
ResumeTimeout=1200
SuspendTime=60
SuspendTimeout=120
ResumeRate=0
SuspendRate=0
PrivateData=cloud"
HOOKD_EXTRA="$HOOKD_EXTRA
provider = openstack
hook_url = http://$CTL_IP:$HOOK_PORT
sync_interval = 5
provider_timeout = 120
openstack_auth_url = http://10.77.0.2:5000/v3
openstack_credentials = /etc/vnode/openstack.cred
openstack_image = $OS_IMAGE
openstack_flavor = $OS_FLAVOR
openstack_network = $OS_NETWORK
openstack_security_group = $OS_SECGROUP
openstack_tag = $TAG"
ctl_start
ganesha_start "/home:$T/nfs/home:RW" "/sw:$T/nfs/sw:RO"
os_attach

node_flags() { sb ctl scontrol show node "$1" | sed -n 's/.* State=\([^ ]*\).*/\1/p'; }
node_is() { node_flags "$1" | grep -q "$2"; }
wait_for 30 "cloud-1 powered down at start" node_is cloud-1 POWERED_DOWN

# a job to the empty partition: an instance made by Nova joins as its node
t0=$(date +%s.%N)
# (the guest has the NFS home, not the controller's $T/work)
H=$T/nfs/home/$VT_USER
J=$(sb_user ctl sbatch --parsable -p cloud -D "/home/$VT_USER" \
    -o "/home/$VT_USER/J.out" \
    --wrap 'echo "ran on $SLURMD_NODENAME as $(id -un)"') || fail "sbatch J"
ours() {
	os --os-compute-api-version 2.52 server list --tags "$TAG" -f value \
	    -c ID -c Name -c Status 2>/dev/null
}
made() { ours | grep -q .; }
wait_for 120 "the hook's instance in Nova" made
say "Nova: $(ours) ($(printf %.1f "$(echo "$(date +%s.%N) - $t0" | bc)") s after sbatch)"
iid=$(ours | awk 'NR == 1 { print $1 }')
inode=$(ours | awk 'NR == 1 { print $2 }')
case $inode in cloud-[12]) ;; *) fail "the instance is named \"$inode\", not a node" ;; esac
os server show "$iid" -f value -c properties | grep -q "'vnode_node': '$inode'" ||
    fail "its metadata: $(os server show "$iid" -f value -c properties)"
wait_for 1200 "job J $J ends" job_ended "$J"
job_is "$J" COMPLETED || fail "job J is $(job_field "$J" JobState): $(vnodectl instances)"
grep -qx "ran on $inode as $VT_USER" "$H/J.out" || fail "job J: $(cat "$H/J.out")"
say "job J: sbatch -> COMPLETED on $inode in $(printf %.1f "$(echo "$(date +%s.%N) - $t0" | bc)") s"
vnodectl instances | grep -q "$iid" || fail "vnodectl instances: $(vnodectl instances)"

# idle for SuspendTime: the node leaves, then its instance is deleted:
# the hook orders its agent to retire (it drains, checkpoints, leaves),
# then deletes the instance; an agent that did not leave in time is
# stopped by Nova first (its graceful delete: stop, then delete)
gone() { ! ours | grep -q "^$iid "; }
wait_for 600 "$inode suspended: its instance deleted in Nova" gone
"$OS_STACK" run grep -h "$iid" /var/log/nova/nova-compute.log >"$T/inst.nova.log"
if grep -q "leave from .*: $inode removed" "$T/hookd.log"; then
	grep -q "provision: $inode: instance $iid deleted" "$T/hookd.log" ||
	    fail "$inode left, but the hook's log has no delete of $iid: $(grep "$inode" "$T/hookd.log" | tail -n 3)"
	how="its agent left first (the hook's retire order), then the hook deleted it"
elif grep -q -E "Instance shutdown successfully|Instance failed to shutdown" "$T/inst.nova.log"; then
	how="stopped by Nova first ($(grep -o -E 'Instance (shutdown successfully[^.]*|failed to shutdown in [0-9]+ seconds)' "$T/inst.nova.log" | head -n 1)), then deleted"
else
	fail "instance $iid was deleted with neither its agent's leave nor a stop first: $(grep "$inode" "$T/hookd.log" | tail -n 3); Nova: $(tail -n 3 "$T/inst.nova.log")"
fi
wait_for 120 "$inode powered down" node_is "$inode" POWERED_DOWN
say "$inode: suspended, powered down; instance $iid: $how"
vnodectl events >"$T/ev"
for k in power-up create join power-down delete; do
	grep -Eq " $inode .* $k " "$T/ev" || fail "no $k event of $inode: $(cat "$T/ev")"
done
exit 0
