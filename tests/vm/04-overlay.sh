#!/bin/bash
# The vnode image joins through the overlay with the guest kernel's own
# WireGuard (overlay_wireguard = kernel in its metadata: no wireguard-go):
# the agent's overlay step makes vnode0 and sees a handshake with the
# controller (vnode-privd's interface, wireguard-go on this host); the node
# is IDLE at its overlay address, and a job runs there.  slurmctld is kept
# from the guest's own address on slurmd's port (nftables in the
# controller's namespace), so the job can only have gone through the
# tunnel.  An ACPI shutdown: the node leaves, its peer is removed.
. "$(dirname "$0")/../system/test.common"
. "$(dirname "$0")/vm.common"
overlay_skip
vt_init
vm_init
overlay_env
ctl_start
privd_start
netns ctl nft -f - <<EOF || fail "nftables in the controller's namespace"
table ip vnode_vmtest {
	chain output {
		type filter hook output priority filter; policy accept;
		ip daddr $VM_IP tcp dport $SLURMD_PORT drop
	}
}
EOF

vnodectl token create --uses 1 --ttl 30m --user-data \
    --template "$VM_TOP/cloud-init/user-data.yaml" >"$T/vm1.user-data" ||
    fail "vnodectl token create --user-data"
VM_META=(--meta overlay=yes --meta overlay_wireguard=kernel)
vm_config_drive vm1 "$T/vm1.iso" "$T/vm1.user-data"
vm_boot vm1 "$T/vm1.iso"

idle() { vm_console vm1 . >/dev/null; [ "$(node_state vm-1)" = idle ]; }
wait_for 600 "vm-1 IDLE in Slurm" idle
wait_for 60 "the agent's ready line on the console" vm_console vm1 'vnode-agent: ready:'
line=$(grep -a -m1 'vnode-agent: overlay: ' "$T/vm1.console" | sed 's/^[0-9.]* //')
say "console: $line"
echo "$line" | grep -q "overlay: vnode0 (kernel) at $OV_NET\.[0-9]*, the controller $OV_NET.1 at $CTL_IP:51820, handshake after" ||
    fail "the overlay step: $(grep -a 'vnode-agent: overlay' "$T/vm1.console")"
addr=$(ov_addr vm-1)
case $addr in "$OV_NET".*) ;; *) fail "vm-1 is at $addr, not an overlay address" ;; esac
ov_peers | grep -q " $addr/32 $VM_IP:" || fail "the controller's peers: $(ov_peers)"

j=$(sb_user ctl sbatch --parsable -w vm-1 -t 5 -o "/tmp/ov.%j.out" \
    --wrap 'echo ran on $(hostname)') || fail "sbatch to vm-1"
wait_for 180 "job $j ends" job_ended "$j"
job_is "$j" COMPLETED || fail "job $j is $(job_field "$j" JobState)"
out=$(sb_user ctl timeout 120 srun -w vm-1 -t 2 sh -c 'echo srun on $(hostname)' 2>&1) ||
    fail "srun on vm-1: $out"
say "vm-1 at $addr: batch job $j and srun ($out) through the tunnel"

vm_power_button vm1
vm_wait_exit vm1 300
grep -a -q "vnode-agent: overlay: vnode0 down" "$T/vm1.console" ||
    fail "no overlay line at leave: $(grep -a vnode-agent "$T/vm1.console" | tail -n 5)"
ov_peers | grep -q " $addr/32 " && fail "vm-1's peer stays: $(ov_peers)"
say "vm1 left; its peer removed"
exit 0
