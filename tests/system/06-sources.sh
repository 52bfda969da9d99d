#!/bin/bash
# Settings from each source a cloud offers: a config drive ISO as Nova
# builds it (genisoimage -V config-2), read in place; the OpenStack metadata
# service (a fixture serving OpenStack's paths on 169.254.169.254 in the
# node's own network namespace); and errors in either named with the source.
. "$(dirname "$0")/test.common"
vt_init
command -v genisoimage >/dev/null || skip "genisoimage is not installed"
command -v python3 >/dev/null || skip "python3 (for the metadata fixture) is not installed"
ctl_start
MKCD=$(dirname "$0")/../../cloud-init/make-config-drive

# 1. a config drive ISO, given with -C
node_create n1
tok=$(token 2)
"$MKCD" --uuid 0f8e2a6c-1b1d-4c57-9a4e-7d3c2b1a0f99 --name n1 \
    --meta hook_url=http://$CTL_IP:$HOOK_PORT --meta join_token="$tok" \
    --meta cpus=1 "$T/n1.iso" 2>/dev/null || fail "make-config-drive"
: >"$T/sb/n1/etc/vnode/agent.conf"
agent n1 -C "$T/n1.iso" join || fail "join from a config drive ISO"
grep -q "hook_url from config drive $T/n1.iso/openstack/latest/meta_data.json meta.hook_url" \
    "$T/n1.agent.log" || fail "source of hook_url not named"
vnodectl nodes | grep -q "admitted .*0f8e2a6c-1b1d-4c57-9a4e-7d3c2b1a0f99$" ||
    fail "instance id not taken from the ISO: $(vnodectl nodes)"

# a bad user_data on the drive: the error names it
printf '#cloud-config\nvnode:\n  cpus: lots\n' >"$T/bad_ud"
"$MKCD" --meta hook_url=http://$CTL_IP:$HOOK_PORT --user-data "$T/bad_ud" \
    "$T/bad.iso" 2>/dev/null || fail "make-config-drive"
msg=$(sb n1 "$VNODE_BIN/vnode-agent" -C "$T/bad.iso" check 2>&1) && fail "bad user_data accepted"
echo "$msg" | grep -q "settings: config drive $T/bad.iso/openstack/latest/user_data:3: cpus: \"lots\" is not a number" ||
    fail "bad user_data: '$msg'"

# 2. the metadata service, for an instance without a config drive
node_create n2
md=$T/metadata
mkdir -p "$md/openstack/latest"
printf '{"uuid": "5a4b3c2d-0000-4000-8000-00000000abcd", "meta": {"hook_url": "http://%s:%s", "cpus": "1"}}' \
    "$CTL_IP" "$HOOK_PORT" >"$md/openstack/latest/meta_data.json"
printf '#cloud-config\nvnode:\n  join_token: %s\n' "$tok" >"$md/openstack/latest/user_data"
netns n2 ip addr add 169.254.169.254/32 dev lo
sb n2 python3 -m http.server 80 --bind 169.254.169.254 --directory "$md" \
    >"$T/metadata.log" 2>&1 &
serving() { sb n2 curl -sf http://169.254.169.254/openstack/latest/meta_data.json; }
wait_for 20 "metadata fixture up" serving
: >"$T/sb/n2/etc/vnode/agent.conf"
agent n2 join || fail "join from the metadata service"
grep -q "hook_url from metadata service http://169.254.169.254/openstack/latest/meta_data.json meta.hook_url" \
    "$T/n2.agent.log" || fail "source of hook_url not named"
vnodectl nodes | grep -q "admitted .*5a4b3c2d-0000-4000-8000-00000000abcd$" ||
    fail "instance id not taken from the metadata service: $(vnodectl nodes)"
grep -q '"GET /openstack/latest/user_data HTTP' "$T/metadata.log" ||
    fail "user_data was not fetched"

# malformed meta_data.json from the service: named, exit code of settings
echo '{"meta": {"hook_url": ' >"$md/openstack/latest/meta_data.json"
msg=$(sb n2 "$VNODE_BIN/vnode-agent" -C none join 2>&1)
rc=$?
[ $rc = 2 ] || fail "malformed meta_data.json: exit $rc"
echo "$msg" | grep -q "settings: FAILED.*metadata service http://169.254.169.254/openstack/latest/meta_data.json: not valid JSON" ||
    fail "malformed meta_data.json: '$msg'"

# no metadata service at all: a bounded wait, then a clear error
printf 'metadata_url = http://169.254.169.254:81\nmetadata_timeout = 2\n' \
    >"$T/sb/n2/etc/vnode/agent.conf"
msg=$(timeout 60 nsenter -t "${SB_PID[n2]}" -n -m -u -p -r -w -- \
    "$VNODE_BIN/vnode-agent" -C none join 2>&1)
rc=$?
[ $rc = 2 ] || fail "no metadata service: exit $rc (124: it did not give up)"
echo "$msg" | grep -q "169.254.169.254:81/openstack/latest/meta_data.json.*(gave up)" ||
    fail "no metadata service: '$msg'"
exit 0
