#!/bin/bash
# The config drive as an instance sees it: a block device holding an ISO
# 9660 volume labelled config-2 (here a read-only loop device).  Without -C
# the agent finds it by itself, reads it in place, and joins.
. "$(dirname "$0")/test.common"
vt_init
VT_FIND_DRIVE=1
command -v genisoimage >/dev/null || skip "genisoimage is not installed"
command -v losetup >/dev/null || skip "losetup is not installed"
"$(dirname "$0")/../../cloud-init/make-config-drive" \
    --uuid 7e57c0de-0000-4000-8000-000000000007 \
    --meta hook_url=http://$CTL_IP:$HOOK_PORT --meta cpus=1 \
    "$T/drive.iso" 2>/dev/null || fail "make-config-drive"
LOOP=$(losetup -f --show -r "$T/drive.iso" 2>/dev/null) ||
    skip "no loop device here to hold the config drive"
at_exit losetup -d "$LOOP"
ctl_start
node_create n1
# the token comes from the file; the rest from the drive
printf 'join_token = %s\n' "$(token 1)" >"$T/sb/n1/etc/vnode/agent.conf"
out=$(sb n1 "$VNODE_BIN/vnode-agent" check) || fail "check: $out"
echo "$out" | grep -q "^hook_url .*# config drive $LOOP/openstack/latest/meta_data.json meta.hook_url$" ||
    fail "the drive on $LOOP was not found: $out"
agent n1 join || fail "join from the config drive device"
vnodectl nodes | grep -q "admitted .*7e57c0de-0000-4000-8000-000000000007$" ||
    fail "registry: $(vnodectl nodes)"
exit 0
