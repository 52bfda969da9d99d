#!/bin/bash
# Elastic vnode through the qemu provider, with real VMs: a job submitted
# to an empty cloud partition makes Slurm resume a CLOUD node
# (vnode-resume), vnode-hookd boots the vnode image for it (a qcow2
# overlay, a config drive with the node's single-use token, a tap that
# vnode-privd makes for the SlurmUser on the controller's bridge; qemu
# runs as the SlurmUser, TCG here), the guest's agent joins as exactly
# that node and the job of the ordinary test user runs there, writing to
# its NFS home.  Idle for SuspendTime, the node is suspended: the agent
# leaves, the VM is gone (qemu exited, tap deleted, overlay removed) and
# the node is powered down, usable again.  Then the cloud reclaims a node
# that runs a job (the provider's graceful delete: an ACPI power button,
# as a spot instance gets): the guest's agent leaves, the job is requeued,
# and the VM is gone.
. "$(dirname "$0")/../system/test.common"
. "$(dirname "$0")/vm.common"
vt_init
vm_init
# the base image the hook boots: a copy of its own, so that another
# image/build of the same path cannot change it under the overlays
cp "$VM_IMAGE" "$T/base.qcow2" || fail "copy of the image"
chmod 644 "$T/base.qcow2"
nfs_exports
QD=$T/sb/ctl/var/lib/vnode/qemu
RESUME_TIMEOUT=400 SUSPEND_TIME=20 ELASTIC_PROVIDER=qemu elastic_env 1 "tap_bridges = vtbr"
HOOKD_EXTRA="$HOOKD_EXTRA
qemu_image = $T/base.qcow2
qemu_bridge = vtbr
qemu_addresses = $VT_SUBNET.60-$VT_SUBNET.69/24
qemu_memory = $VM_MEM
qemu_stop_timeout = 200"

# on failure: the consoles of the instances, and what the hook said
consoles() {
	local f
	[ "$VT_FAILED" = 1 ] || return 0
	grep -a "provision:" "$T/hookd.log" | tail -n 20 >&3
	for f in "$QD"/console/*.log; do
		[ -e "$f" ] || continue
		say "---- console $f (last lines)"
		tail -n 40 "$f" | tr -d '\r' >&3
	done
}
at_exit consoles
CTL_BEFORE_HOOKD=tun_for_all
ctl_start
privd_start
ganesha_start "/home:$T/nfs/home:RW" "/sw:$T/nfs/sw:RO"
grep -q "provision: provider qemu (\(KVM\|TCG\)" "$T/hookd.log" ||
    fail "the hook's first line of the provider: $(grep 'provision: provider' "$T/hookd.log")"
say "$(grep -o 'provision: provider qemu.*' "$T/hookd.log" | head -n 1)"

node_flags() { sb ctl scontrol show node "$1" | sed -n 's/.* State=\([^ ]*\).*/\1/p'; }
node_is() { node_flags "$1" | grep -q "$2"; }
wait_for 20 "cloud-1 powered down at start" node_is cloud-1 POWERED_DOWN
H=/home/$VT_USER

# 1. a job to the empty partition: a VM is made for cloud-1, joins as it
t0=$(date +%s.%N)
J=$(sb_user ctl sbatch --parsable -p cloud -D "$H" -o "$H/J.%j.out" \
    --wrap 'echo "ran on $SLURMD_NODENAME as $(id -un)"; /sw/bin/vnode-hello; sleep 3') ||
    fail "sbatch to the cloud partition"
made() { vnodectl instances | awk '$2 == "cloud-1" && $3 == "qemu" && $4 ~ /^q-/' | grep -q .; }
wait_for 60 "an instance of cloud-1 made by the qemu provider" made
inst=$(vnodectl instances | awk '$2 == "cloud-1" && $3 == "qemu" { print $4 }' | tail -n 1)
[ -d "$QD/$inst" ] || fail "no state directory $QD/$inst"
pid=$(cat "$QD/$inst/qemu.pid") || fail "no pidfile of $inst"
# (pids of the controller's sandbox, its own PID namespace)
qemu_user() { sb ctl ps -o user= -p "$1" | tr -d ' '; }
[ "$(qemu_user "$pid")" = slurm ] || fail "qemu $pid runs as '$(qemu_user "$pid")', not slurm"
tap=$(sed -n 's/^tap=//p' "$QD/$inst/instance")
netns ctl ip -o link show "$tap" | grep -q "master vtbr" ||
    fail "tap $tap is not on vtbr: $(netns ctl ip -o link show "$tap" 2>&1)"
[ -f "$QD/$inst/disk.qcow2" ] && [ -f "$QD/$inst/config.iso" ] ||
    fail "no overlay or config drive: $(ls -l "$QD/$inst")"
[ ! -e "$QD/$inst/drive" ] || fail "the config drive's tree (with the token) was left"
[ "$(stat -c %a "$QD/$inst/config.iso")" = 600 ] ||
    fail "the config drive (with the token) is mode $(stat -c %a "$QD/$inst/config.iso")"
say "instance $inst: qemu $pid as slurm, tap $tap on vtbr, $(sed -n 's/^ip=//p' "$QD/$inst/instance")"
wait_for 400 "job $J RUNNING" job_is "$J" RUNNING
took=$(echo "$(date +%s.%N) - $t0" | bc)
[ "$(job_field "$J" NodeList)" = cloud-1 ] || fail "job $J runs on $(job_field "$J" NodeList)"
say "job $J: submit -> RUNNING on cloud-1 in $(printf %.1f "$took") s (a VM booted under $(grep -q 'provider qemu (KVM' "$T/hookd.log" && echo KVM || echo TCG))"
wait_for 120 "job $J ends" job_ended "$J"
job_is "$J" COMPLETED || fail "job $J is $(job_field "$J" JobState)"
grep -qx "ran on cloud-1 as $VT_USER" "$T/nfs/home/$VT_USER/J.$J.out" ||
    fail "job $J wrote: $(cat "$T/nfs/home/$VT_USER/J.$J.out")"
grep -q "^hello from the software tree on .*, as $VT_USER$" "$T/nfs/home/$VT_USER/J.$J.out" ||
    fail "job $J wrote: $(cat "$T/nfs/home/$VT_USER/J.$J.out")"
addr=$(sb ctl scontrol show node cloud-1 | sed -n 's/.*NodeAddr=\([^ ]*\).*/\1/p')
[ "$addr" = "$VT_SUBNET.60" ] || fail "cloud-1 has NodeAddr $addr, not $VT_SUBNET.60"
grep -q "join from $addr: admitted cloud-1 (instance $inst, token" "$T/hookd.log" ||
    fail "the hook did not admit $inst as cloud-1: $(grep 'join from' "$T/hookd.log")"

# 2. idle for SuspendTime: the agent leaves, the VM is gone
gone() {
	! sb ctl kill -0 "$pid" 2>/dev/null && [ ! -e "$QD/$inst" ] &&
	    ! netns ctl ip link show "$tap" >/dev/null 2>&1
}
wait_for 180 "cloud-1 suspended: qemu $pid exited, tap $tap deleted, $QD/$inst removed" gone
grep -q "leave from $addr: cloud-1 removed" "$T/hookd.log" ||
    fail "cloud-1's agent did not leave: $(grep 'leave from' "$T/hookd.log")"
vnodectl instances | awk -v i="$inst" '$4 == i && $5 == "deleted"' | grep -q . ||
    fail "instances: $(vnodectl instances)"
wait_for 60 "cloud-1 powered down" node_is cloud-1 POWERED_DOWN
node_flags cloud-1 | grep -q 'DOWN\*\|DRAIN\|FAIL' && fail "cloud-1 is $(node_flags cloud-1)"
[ -s "$QD/console/$inst.log" ] || fail "the console log of $inst was not kept"
say "cloud-1 suspended: its agent left, qemu exited, tap and overlay gone, node $(node_flags cloud-1)"

# 3. the cloud reclaims a node with a job running: the provider's graceful
# delete (ACPI power button); the agent leaves, the job is requeued
J2=$(sb_user ctl sbatch --parsable -p cloud -D "$H" -o "$H/J2.%j.out" --requeue \
    --wrap 'echo start; sleep 600') || fail "sbatch of the long job"
wait_for 400 "job $J2 RUNNING" job_is "$J2" RUNNING
wait_for 60 "job $J2 started" grep -q start "$T/nfs/home/$VT_USER/J2.$J2.out"
inst2=$(vnodectl instances | awk '$2 == "cloud-1" && $5 == "joined" { print $4 }' | tail -n 1)
[ -n "$inst2" ] && [ "$inst2" != "$inst" ] || fail "no new instance: $(vnodectl instances)"
pid2=$(cat "$QD/$inst2/qemu.pid")
tap2=$(sed -n 's/^tap=//p' "$QD/$inst2/instance")
sb ctl setpriv --reuid=slurm --regid=slurm --init-groups \
    "$VNODE_BIN/tests/prov-call" /etc/vnode/hookd.conf delete "$inst2" graceful ||
    fail "the provider's graceful delete of $inst2"
say "$inst2 reclaimed (ACPI power button) with job $J2 running"
gone2() {
	! sb ctl kill -0 "$pid2" 2>/dev/null && [ ! -e "$QD/$inst2" ] &&
	    ! netns ctl ip link show "$tap2" >/dev/null 2>&1
}
wait_for 240 "$inst2 gone (qemu $pid2, tap $tap2, $QD/$inst2)" gone2
# the agent drained the node and requeued the job, then left (its last
# line may not reach the console: qemu is killed once the agent has left)
for step in drain jobs; do
	grep -a -q "vnode-agent: $step: " "$QD/console/$inst2.log" ||
	    fail "no '$step' line of the agent on $inst2's console"
done
[ "$(grep -c "leave from $addr: cloud-1 removed" "$T/hookd.log")" = 2 ] ||
    fail "the agent of $inst2 did not leave: $(grep 'leave from' "$T/hookd.log")"
case $(job_field "$J2" JobState) in
PENDING|REQUEUED|CONFIGURING|RUNNING) ;;
*) fail "job $J2 after the reclaim: $(job_field "$J2" JobState)" ;;
esac
[ "$(job_field "$J2" Restarts)" -ge 1 ] || fail "job $J2 was not requeued"
say "job $J2 requeued ($(job_field "$J2" JobState)), $inst2 gone"
sb ctl scancel "$J2"
exit 0
