#!/bin/bash
# The vnode image boots under qemu with a config drive and joins by
# itself: time from the controller, the join, NFS home and software trees
# from nfs-ganesha (stopped at first, a slow server: the node is held,
# drained, until its mounts are verified, and a job sent to it waits),
# the munge key and slurmd beside them; the node is IDLE, and a job of an
# ordinary user reads the software tree and writes to the NFS home, seen in
# the export on the controller.  Then an ACPI shutdown (what "openstack
# server stop" sends) with a job running: the agent leaves, the job is
# requeued, the node is gone from Slurm.
. "$(dirname "$0")/../system/test.common"
. "$(dirname "$0")/vm.common"
vt_init
vm_init
nfs_exports
ctl_start
ganesha_start "/home:$T/nfs/home:RW" "/sw:$T/nfs/sw:RO"

# the user data as an admin makes it (vnodectl token create --user-data)
vnodectl token create --uses 1 --ttl 30m --user-data \
    --template "$VM_TOP/cloud-init/user-data.yaml" >"$T/vm1.user-data" ||
    fail "vnodectl token create --user-data"
grep -q "hook_url: \"http://$CTL_IP:$HOOK_PORT\"" "$T/vm1.user-data" ||
    fail "user data without the hook's URL: $(cat "$T/vm1.user-data")"
vm_config_drive vm1 "$T/vm1.iso" "$T/vm1.user-data"

# a slow NFS server: nfs-ganesha stopped until the node has registered,
# held (drained) by the hook until its agent says its mounts are
# verified; a job sent to it waits
gpid=$(sb ctl cat /run/ganesha.pid) || fail "no nfs-ganesha pid file"
sb ctl kill -STOP "$gpid" || fail "SIGSTOP nfs-ganesha"
at_exit "sb ctl kill -CONT $gpid 2>/dev/null"
vm_boot vm1 "$T/vm1.iso"
held() {
	vm_console vm1 . >/dev/null
	[ "$(node_state vm-1)" = drained ] &&
	    [ "$(vnodectl nodes | awk '$1 == "vm-1" { print $2 }')" = held ]
}
wait_for 600 "vm-1 registered in Slurm, held, while NFS does not answer" held
j=$(sb_user ctl sbatch --parsable -w vm-1 -t 5 -D /tmp -o /dev/null \
    --wrap 'ls /sw/bin/vnode-hello') || fail "sbatch to the held vm-1"
sleep 5
job_is "$j" PENDING || fail "job $j is $(job_field "$j" JobState) on the held vm-1"
vm_console vm1 'vnode-agent: mounts: ' &&
    fail "the mounts step ended while nfs-ganesha was stopped"
vm_console vm1 'vnode-agent: slurmd: ' ||
    fail "slurmd did not start beside the mounts"
say "vm-1 held ($(sb ctl sinfo -h -n vm-1 -o %T)) while NFS is stopped; job $j $(job_field "$j" JobState)"
sb ctl kill -CONT "$gpid" || fail "SIGCONT nfs-ganesha"

idle() { vm_console vm1 . >/dev/null; [ "$(node_state vm-1)" = idle ] ||
    [ "$(node_state vm-1)" = mixed ] || [ "$(node_state vm-1)" = allocated ]; }
wait_for 600 "vm-1 released in Slurm" idle
wait_for 120 "job $j done" job_ended "$j"
job_is "$j" COMPLETED || fail "job $j on vm-1: $(job_field "$j" JobState)"
t_idle=$(echo "$(date +%s.%N) - $(cat "$T/vm1.t0")" | bc)
# the console may show the agent's last lines a little later
wait_for 60 "the agent's ready line on the console" vm_console vm1 'vnode-agent: ready:'
say "vm-1 usable $(printf %.1f "$t_idle") s after qemu started: kernel $(vm_at vm1 'Linux version') s, login prompt $(vm_at vm1 ' login:') s, agent's first line $(vm_at vm1 'vnode-agent: settings:') s, ready line $(vm_at vm1 'vnode-agent: ready:') s"
grep -a -q "vnode-agent: ready: vm-1 is [A-Z]* in Slurm (its hold released)" "$T/vm1.console" ||
    fail "ready line: $(grep -a 'vnode-agent: ready' "$T/vm1.console")"
for step in settings time join mounts munge slurmd ready; do
	grep -a -q "vnode-agent: $step: " "$T/vm1.console" ||
	    fail "no '$step' line of the agent on the console"
done
grep -a -q "vnode-agent: mounts: 2 file systems: 2 mounted now" "$T/vm1.console" ||
    fail "mounts line: $(grep -a 'vnode-agent: mounts' "$T/vm1.console")"
# under systemd, munged and slurmd run in their own units, as Debian ships
# them (slurmd's through the package's drop-in: vnode-agent exec-slurmd,
# its arguments from /run/vnode/slurmd.args)
grep -a -q "vnode-agent: munge: .*munged started (munge.service)" "$T/vm1.console" ||
    fail "munge line: $(grep -a 'vnode-agent: munge' "$T/vm1.console")"
grep -a -q "vnode-agent: slurmd: started as dynamic node vm-1 (slurmd.service)" "$T/vm1.console" ||
    fail "slurmd line: $(grep -a 'vnode-agent: slurmd' "$T/vm1.console")"
! grep -a -q "vnode-agent: slurmd: started directly" "$T/vm1.console" ||
    fail "$(grep -a 'vnode-agent: slurmd: started directly' "$T/vm1.console")"
# --conf's value, spaces and all, reached slurmd as one argument: the
# features at its end are the node's
sb ctl scontrol show node vm-1 | grep -qE "AvailableFeatures=vnode( |$)" ||
    fail "vm-1's features: $(sb ctl scontrol show node vm-1 | grep -o 'AvailableFeatures=[^ ]*')"

# a job of the ordinary user: software tree in, NFS home out
j=$(sb_user ctl sbatch --parsable -w vm-1 -t 5 -D "/home/$VT_USER" \
    -o "/home/$VT_USER/job.%j.out" \
    --wrap '/sw/bin/vnode-hello >result.txt && ls -ld /home/$USER && df -h /home /sw') ||
    fail "sbatch to vm-1"
done_ok() { [ -z "$(job_state "$j")" ] && [ -s "$T/nfs/home/$VT_USER/result.txt" ]; }
wait_for 180 "job $j's output in the NFS export" done_ok
grep -q "^hello from the software tree on .*, as $VT_USER$" \
    "$T/nfs/home/$VT_USER/result.txt" ||
    fail "job $j wrote: $(cat "$T/nfs/home/$VT_USER/result.txt")"
[ "$(stat -c %U "$T/nfs/home/$VT_USER/result.txt")" = "$VT_USER" ] ||
    fail "result.txt is not owned by $VT_USER on the export"
say "job $j as $VT_USER: $(cat "$T/nfs/home/$VT_USER/result.txt")"

# ACPI shutdown with a job running: leave, requeue, node gone
j=$(sb_user ctl sbatch --parsable -w vm-1 -t 10 -D "/home/$VT_USER" \
    -o "/home/$VT_USER/long.%j.out" --requeue --wrap 'echo start; sleep 600') ||
    fail "sbatch of the long job"
running() { [ "$(job_state "$j")" = RUNNING ]; }
wait_for 120 "job $j RUNNING on vm-1" running
wait_for 60 "job $j started" grep -q start "$T/nfs/home/$VT_USER/long.$j.out"
vm_power_button vm1
say "vm1: ACPI power button pressed with job $j running"
vm_wait_exit vm1 300
for step in drain jobs slurmd unmount deregister; do
	grep -a -q "vnode-agent: $step: " "$T/vm1.console" ||
	    fail "no '$step' line on the console: $(grep -a vnode-agent "$T/vm1.console" | tail -n 5)"
done
st=$(job_state "$j")
case $st in
PENDING|REQUEUED|CONFIGURING) ;;
*) fail "job $j after the leave: '$st', not requeued" ;;
esac
gone() { [ "$(node_state vm-1)" = absent ]; }
wait_for 30 "vm-1 gone from Slurm" gone
say "vm1 left and powered off; job $j $st, vm-1 gone from Slurm"
exit 0
