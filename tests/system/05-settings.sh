#!/bin/bash
# Settings from an OpenStack config drive (meta_data.json "meta" keys and
# "uuid", and a cloud-config user_data with a vnode: section), from
# agent.conf, in that order; "vnode-agent check" names each source; a bad
# value names the key and the source; a node joins from a config drive.
. "$(dirname "$0")/test.common"
vt_init
ctl_start
node_create n1
tok=$(vnodectl token create --uses 1 --ttl 15m --features bigmem 2>/dev/null) ||
    fail "vnodectl token create --features bigmem"
D=$T/drive
mkdir -p "$D/openstack/latest"
cat >"$D/openstack/latest/meta_data.json" <<JSON
{"uuid": "6f0c2d1e-8c1b-4e37-9b7a-1d2e3f405162", "name": "n1",
 "hostname": "n1.novalocal", "availability_zone": "nova",
 "meta": {"hook_url": "http://$CTL_IP:$HOOK_PORT", "site": "elsewhere",
          "features": "bigmem"}}
JSON
# user_data: the template admins use, filled in, with more cloud-config
# around it and a few more keys
sed -e "s|@HOOK_URL@|http://192.0.2.1:1|" -e "s|@JOIN_TOKEN@|$tok|" -e "s|@HOOK_PIN@||" \
    "$(dirname "$0")/../../cloud-init/user-data.yaml" >"$D/openstack/latest/user_data"
cat >>"$D/openstack/latest/user_data" <<YAML
  time_timeout: 20   # seconds
  features: ignored-because-meta-wins
runcmd:
  - [echo, hello]
packages: [htop]
YAML
# the file gives what nobody else does, and loses where they do
cat >"$T/sb/n1/etc/vnode/agent.conf" <<CONF
hook_url = http://192.0.2.1:1
cpus = 1
CONF

out=$(sb n1 "$VNODE_BIN/vnode-agent" -C "$D" check) || fail "check: $out"
echo "$out" | grep -Eq "^hook_url += http://$CTL_IP:$HOOK_PORT +# config drive .*meta_data.json meta.hook_url$" ||
    fail "hook_url source: $out"
echo "$out" | grep -Eq "^join_token += ${tok%%.*}\.\(hidden\) +# config drive .*user_data:[0-9]+$" ||
    fail "join_token source: $out"
echo "$out" | grep -Eq "^instance_id += 6f0c2d1e-8c1b-4e37-9b7a-1d2e3f405162 +# config drive .*meta_data.json uuid$" ||
    fail "instance_id source: $out"
echo "$out" | grep -Eq "^features += bigmem +# config drive .*meta.features$" ||
    fail "features source: $out"
echo "$out" | grep -Eq "^cpus += 1 +# /etc/vnode/agent.conf:2$" || fail "cpus source: $out"
echo "$out" | grep -Eq "^time_timeout += 20 +# config drive .*user_data:[0-9]+$" ||
    fail "time_timeout source: $out"
echo "$out" | grep -q "${tok#*.}" && fail "check printed the token's secret"

# bad values name the key and the source
bad() {
	local what=$1 pattern=$2 msg
	msg=$(sb n1 "$VNODE_BIN/vnode-agent" -C "$D" check 2>&1) && fail "$what accepted"
	echo "$msg" | grep -Eq "$pattern" || fail "$what: '$msg'"
	say "refused as it should: $what: $msg"
}
cp "$D/openstack/latest/meta_data.json" "$T/meta.good"
echo '{"uuid": "x", "meta": ' >"$D/openstack/latest/meta_data.json"
bad "truncated meta_data.json" "settings: config drive .*meta_data.json: not valid JSON"
echo '{"meta": {"cpus": "many"}}' >"$D/openstack/latest/meta_data.json"
bad "cpus = many in meta" 'meta_data.json meta.cpus: cpus: "many" is not a number from 1 to 4096'
echo '{"meta": {"hook_url": 5}}' >"$D/openstack/latest/meta_data.json"
bad "hook_url as a number" 'meta_data.json: "hook_url": not a string'
cp "$T/meta.good" "$D/openstack/latest/meta_data.json"
cp "$D/openstack/latest/user_data" "$T/ud.good"
printf '#cloud-config\nvnode:\n  join_token: nonsense\n' >"$D/openstack/latest/user_data"
bad "bad token in user_data" 'user_data:3: join_token: "\(hidden\)" is not a join token'
printf '#cloud-config\nvnode:\n  time_server: a b\n' >"$D/openstack/latest/user_data"
bad "time_server with a space" 'user_data:3: time_server: "a b" is not a host name'
cp "$T/ud.good" "$D/openstack/latest/user_data"
echo "frobnicate = 1" >>"$T/sb/n1/etc/vnode/agent.conf"
bad "unknown key in agent.conf" '/etc/vnode/agent.conf:3: unknown key "frobnicate"'
sed -i '$d' "$T/sb/n1/etc/vnode/agent.conf"

# and a join from the config drive
sb n1 "$VNODE_BIN/vnode-agent" -C "$D" join 2>&1 | tee -a "$T/n1.agent.log" >&2
[ "${PIPESTATUS[0]}" = 0 ] || fail "join from the config drive"
vnodectl nodes | grep -q "^vm-1 *admitted .*6f0c2d1e-8c1b-4e37-9b7a-1d2e3f405162$" ||
    fail "registry: $(vnodectl nodes)"
sb ctl scontrol show node vm-1 | grep -q "AvailableFeatures=vnode,bigmem" ||
    fail "features: $(sb ctl scontrol show node vm-1 | grep Features)"
exit 0
