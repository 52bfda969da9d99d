#!/bin/bash
# Instances that run jobs go away through the cloud, as a site's admin
# (or the cloud itself) makes them go.  Three instances of the image join,
# with a checkpoint store on NFS (the hook's mount.ckpt, root not squashed)
# and the checkpoint plugin for the backfill partition.
#
# The checkpoint store is the image's: vnode-agent takes ckpt_dir from
# agent.conf only (never from metadata or user data), so the site bakes
# it in (image/build --agent-conf), here as the image "vnode-ckpt".
#
# 1. openstack server stop a1, then openstack server delete a1, at once:
#    Nova shuts the guest down (ACPI; it waits up to its shutdown_timeout)
#    before it deletes it, so a1's agent leaves: it checkpoints the
#    backfill job counting there, the job is requeued and goes on on
#    another node from its count, and ends with its output whole.
# 2. openstack server delete a2 alone: Nova destroys the guest at once
#    (libvirt's destroy, no shutdown: nothing in the guest runs again), so
#    no checkpoint can be made; the job is not lost: Slurm finds the node
#    gone and requeues it, and it runs again from its start elsewhere.
. "$(dirname "$0")/../system/test.common"
. "$(dirname "$0")/../vm/vm.common"
. "$(dirname "$0")/os.common"
vt_init
CKPT_DIR=/var/lib/vnode-ckpt
VM_AGENT_CONF=$T/agent.conf
echo "ckpt_dir = $CKPT_DIR" >"$VM_AGENT_CONF"
vm_init
OS_IMAGE=vnode-ckpt
os_init
nfs_exports
mkdir -m 0700 "$T/nfs/ckpt"
HOOKD_EXTRA="$HOOKD_EXTRA
mount.ckpt = $CTL_IP:/ckpt $CKPT_DIR nfs vers=4.1,proto=tcp,hard,timeo=50
reap_after = 30s"
SLURM_EXTRA="JobFileAppend=1
PartitionName=backfill Nodes=vnodes MaxTime=INFINITE State=UP"
# sbatch on the controller does without it (optional): the nodes have it
PLUGSTACK="optional /usr/lib/vnode/vnode_ckpt.so ckpt_dir=$CKPT_DIR partitions=backfill criu=/usr/sbin/criu"
ctl_start
ganesha_start "/home:$T/nfs/home:RW" "/sw:$T/nfs/sw:RO" \
    "/ckpt:$T/nfs/ckpt:RW:no_root_squash"
os_attach

vnodectl token create --uses 3 --ttl 60m --user-data \
    --template "$VM_TOP/cloud-init/user-data.yaml" >"$T/nodes.user-data" ||
    fail "vnodectl token create --user-data"
ud=$(os_share "$T/nodes.user-data")
for n in a1 a2 b1; do
	os_create "$n" --user-data "$ud" >/dev/null
done
for n in a1 a2 b1; do
	os_wait_active "$n" 600
done
declare -A NODE_OF IP_OF
for n in a1 a2 b1; do
	os_wait_idle "$n" 900
	NODE_OF[$n]=$NODE
	IP_OF[$n]=$(sb ctl scontrol show node "$NODE" | sed -n 's/.*NodeAddr=\([^ ]*\).*/\1/p')
done
H=$T/nfs/home/$VT_USER
# the count: a line a tenth of a second, the node's own address in each
# (all the instances' host names are the image's)
count() {
	echo "i=0; while [ \$i -lt $1 ]; do i=\$((i+1)); echo \"\$i \$(hostname -I | cut -d' ' -f1)\"; sleep 0.1; done"
}
running_on() { [ "$(job_field "$1" JobState)" = RUNNING ] &&
    [ "$(job_field "$1" NodeList)" = "$2" ]; }
counted() { [ "$(grep -c . "$1" 2>/dev/null)" -ge "$2" ]; }

# only NODE takes new jobs: the others drained meanwhile (a job bound
# to its node with -w could not run elsewhere after its requeue)
only() {
	local n
	for n in "${!NODE_OF[@]}"; do
		[ "${NODE_OF[$n]}" = "$1" ] && continue
		sb ctl scontrol update nodename="${NODE_OF[$n]}" state=drain \
		    reason=test 2>/dev/null
	done
}
all() {
	local n
	for n in "${!NODE_OF[@]}"; do
		sb ctl scontrol update nodename="${NODE_OF[$n]}" state=resume 2>/dev/null
	done
	return 0
}

# --- 1. stop, then delete: checkpointed, goes on elsewhere -------------
only "${NODE_OF[a1]}"
L=$(sb_user ctl sbatch --parsable -p backfill -t 30 \
    -D "/home/$VT_USER" -o "/home/$VT_USER/L.out" --open-mode=append \
    --wrap "$(count 400)") || fail "sbatch L"
wait_for 180 "job L $L running on ${NODE_OF[a1]}" running_on "$L" "${NODE_OF[a1]}"
all
wait_for 180 "job L counting" counted "$H/L.out" 20
say "a1: openstack server stop a1; openstack server delete a1 (job L $L at $(grep -c . "$H/L.out"))"
os server stop a1 || fail "openstack server stop a1"
os server delete a1 || fail "openstack server delete a1"
gone() { ! os server show "$1" >/dev/null 2>&1; }
wait_for 300 "a1 deleted" gone a1
n_at_stop=$(grep -c . "$H/L.out")
# Nova's own log: the guest shut down before it was deleted
"$OS_STACK" run grep -h "$(cat "$T/a1.id")" /var/log/nova/nova-compute.log >"$T/a1.nova.log"
grep -q "Instance shutdown successfully" "$T/a1.nova.log" ||
    fail "a1 did not shut down cleanly before its delete: $(grep -E 'shutdown|Terminating' "$T/a1.nova.log" | tail -n 3)"
# its agent left: the node is out of Slurm, the job checkpointed and
# requeued (the hook's record)
wait_for 60 "${NODE_OF[a1]} gone from Slurm" \
    sh -c "[ \"\$(sb ctl sinfo -h -n ${NODE_OF[a1]} -o %T 2>/dev/null)\" = '' ]"
vnodectl events --job "$L" >"$T/L.events"
grep -q " checkpoint " "$T/L.events" || fail "no checkpoint of job L: $(cat "$T/L.events")"
# CRIU's log of the restore, kept before the job's end removes its
# images from the store (a guest's files are out of reach)
restored() { vnodectl events --job "$L" | grep -Eq " restore(-failed)? "; }
wait_for 300 "job L restored or started over" restored
find "$T/nfs/ckpt" -name restore.log -exec cp {} "$T/L.restore.log" \; 2>/dev/null
if vnodectl events --job "$L" | grep -q " restore-failed "; then
	say "job L's restore failed; CRIU's errors: $(grep 'Error' "$T/L.restore.log" 2>/dev/null | tail -n 5 | tr '\n' ' ')"
fi
wait_for 300 "job L $L ends" job_ended "$L"
job_is "$L" COMPLETED || fail "job L is $(job_field "$L" JobState)"
why=$(count_whole "$H/L.out" 400) || fail "job L's output is not 1..400 once each: $why"
# (the job's own lines: slurmstepd's requeue line in between is not one)
first_other=$(awk -v a="${IP_OF[a1]}" '$1 ~ /^[0-9]+$/ && $2 != a { print $1; exit }' "$H/L.out")
[ -n "$first_other" ] || fail "job L never ran anywhere but a1"
[ "$first_other" -gt 20 ] ||
    fail "job L started over elsewhere: its first line there was $first_other"
say "job L counted 1..$((first_other - 1)) on a1 (${IP_OF[a1]}), $first_other..400 on $(awk -v n="$first_other" '$1 == n { print $2 }' "$H/L.out"): checkpointed at the shutdown Nova's stop made, restored"

# --- 2. delete alone: no shutdown, requeued, starts over ---------------
unset "NODE_OF[a1]"
only "${NODE_OF[a2]}"
K=$(sb_user ctl sbatch --parsable -p backfill -t 30 \
    -D "/home/$VT_USER" -o "/home/$VT_USER/K.out" --open-mode=append \
    --requeue --wrap "$(count 150)") || fail "sbatch K"
wait_for 180 "job K $K running on ${NODE_OF[a2]}" running_on "$K" "${NODE_OF[a2]}"
all
wait_for 180 "job K counting" counted "$H/K.out" 20
say "a2: openstack server delete a2 (job K $K at $(grep -c . "$H/K.out"))"
os server delete a2 || fail "openstack server delete a2"
wait_for 300 "a2 deleted" gone a2
"$OS_STACK" run grep -h "$(cat "$T/a2.id")" /var/log/nova/nova-compute.log >"$T/a2.nova.log"
grep -q "Instance shutdown successfully" "$T/a2.nova.log" &&
    fail "a2 was shut down: Nova's delete is a destroy here"
# Slurm finds the node not responding and requeues the job (it is
# eligible again about two minutes later), which runs again from 1
wait_for 600 "job K $K ends" job_ended "$K"
job_is "$K" COMPLETED || fail "job K is $(job_field "$K" JobState)"
vnodectl events --job "$K" | grep -q " checkpoint " &&
    fail "job K was checkpointed, though its node was destroyed"
restarts=$(grep -c "^1 " "$H/K.out")
[ "$restarts" -ge 2 ] || fail "job K did not start over: $(head -n 3 "$H/K.out")"
awk -v b="${IP_OF[b1]}" '$2 == b' "$H/K.out" | grep -q "^150 " ||
    fail "job K did not end on b1: $(tail -n 2 "$H/K.out")"
say "job K: started over on b1 after a2's destroy (its count began $restarts times), COMPLETED"
exit 0
