#!/bin/bash
# The overlay refuses what it cannot honour, each with a 4xx and a reason,
# and leaves nothing half-made on the controller (its WireGuard peers, the
# registry, Slurm): a join without a public key where the site needs the
# overlay, a key that is not one, the controller's own key, another node's
# key (a node cannot claim it), the peer limit, an exhausted address pool.
# A join whose peer was set but that Slurm could not admit has the peer
# removed again.  vnode-privd checks the peers it is given itself.  A node
# that left gives its address up when the pool has no other.
. "$(dirname "$0")/test.common"
overlay_skip
vt_init
OVERLAY_MODE=on
OVERLAY_POOL=$OV_NET.0/29	# .1 is the controller's: .2 to .6 for nodes
HOOKD_EXTRA="overlay_max_peers = 2"
overlay_env
ctl_start
privd_start
nat_router r1 1
tok=$(token 5)
id=${tok%%.*}
secret=${tok#*.}
for n in n1 n2 n3; do
	nat_node $n r1
	agent_conf $n "$tok" "join_timeout = 20"
done
DB=$T/sb/ctl/var/lib/vnode/hookd.db
URL=http://$CTL_IP:$HOOK_PORT/v1/join
ctlkey=$(privd_call wg-info | awk '{print $1}')

snapshot() {
	{
		ov_peers | awk '{print $1, $2}' | sort
		sqlite3 -readonly "$DB" "SELECT addr, node, pubkey, state FROM overlay ORDER BY addr"
		vnodectl nodes | awk '{print $1, $2, $3}'
		sb ctl scontrol -o show node 2>/dev/null | awk '{print $1}'
	} >"$T/snap.$1" 2>&1
}
unchanged() {
	snapshot after
	cmp -s "$T/snap.before" "$T/snap.after" ||
	    fail "$1 changed something: $(diff "$T/snap.before" "$T/snap.after")"
}

# send BODY: a join signed with the token, from n3; STATUS and REASON
send() {
	printf '%s' "$1" >"$T/req.body"
	"$VNODE_BIN/tests/vnode-sign" token "$secret" "token:$id" POST /v1/join \
	    now new "$T/req.body" >"$T/req.h" || fail "vnode-sign"
	STATUS=$(sb n3 curl -s -m 60 -o "$T/resp" -w '%{http_code}' --config "$T/req.h" \
	    -H 'Content-Type: application/json' --data-binary @"$T/req.body" "$URL")
	answer_read "$T/resp"
}
body() {
	printf '{"instance":"%s","hostname":"h","cpus":1,"memory_mb":500,"features":[],"overlay":%s}' "$1" "$2"
}
# expect NAME STATUS PATTERN: the last answer, and nothing changed
expect() {
	[ "$STATUS" = "$2" ] || fail "$1: status $STATUS, not $2 ($REASON)"
	echo "$REASON" | grep -Eq "$3" || fail "$1: reason '$REASON'"
	unchanged "$1"
	say "refused as it should: $1: $STATUS $REASON"
}
# refused NODE NAME PATTERN: the node's agent is refused (exit 4, the
# reason in its log), and nothing changed
refused() {
	local rc
	agent "$1" join 2>/dev/null
	rc=$?
	[ $rc = 4 ] || fail "$2: the agent on $1 exited $rc, not 4"
	grep -Eq "join: FAILED .*refused by the hook \(4[0-9][0-9]\): $3" "$T/$1.agent.log" ||
	    fail "$2: $(grep FAILED "$T/$1.agent.log" | tail -n 1)"
	unchanged "$2"
	say "refused as it should: $2: $(grep FAILED "$T/$1.agent.log" | tail -n 1 | sed 's/.*refused by the hook //')"
}

# 1. overlay = on: a node that offers no key is refused
snapshot before
agent_conf n1 "$tok" "join_timeout = 20" "overlay = no"
refused n1 "no key where the site needs the overlay" "overlay: no public key in the join"
# the same where the node's key cannot be read (overlay = auto): the agent
# says why, joins without it, and the hook refuses as above
agent_conf n1 "$tok" "join_timeout = 20"
sb n1 sh -c 'umask 077; echo not-a-key >/var/lib/vnode/overlay.key' || fail "key file"
refused n1 "an unreadable key where the site needs the overlay" "overlay: no public key in the join"
grep -q "join: overlay key: /var/lib/vnode/overlay.key: not a WireGuard key; joining without the overlay" \
    "$T/n1.agent.log" || fail "no word of the key: $(grep -i 'overlay key' "$T/n1.agent.log")"
sb n1 rm -f /var/lib/vnode/overlay.key

# 2. keys that are not keys, and the controller's own
good=$(wg genkey | wg pubkey)
send "$(body i-x '{"public_key":"not-a-key"}')"
expect "a malformed key" 400 'overlay: "public_key" is not a WireGuard public key'
send "$(body i-x "{\"public_key\":\"${good%=}A\"}")"
expect "a key one character too long" 400 'is not a WireGuard public key'
send "$(body i-x "{\"public_key\":\"${good:0:42}_=\"}")"
expect "a key in the URL-safe alphabet" 400 'is not a WireGuard public key'
send "$(body i-x '"yes"')"
expect "overlay not an object" 400 '"overlay": not an object'
send "$(body i-x "{\"public_key\":\"$ctlkey\"}")"
expect "the controller's own key" 409 "overlay: the public key is the controller's"

# 3. n1 joins; n2 with a copy of n1's key cannot claim it
agent_conf n1 "$tok" "join_timeout = 20"
agent n1 join || fail "join of n1 exited with $?"
vm1=$(node_name n1)
addr1=$(ov_addr "$vm1")
snapshot before
cp -p "$T/sb/n1/var/lib/vnode/overlay.key" "$T/sb/n2/var/lib/vnode/overlay.key"
refused n2 "another node's key" "overlay: the public key is another node's"
send "$(body i-y "{\"public_key\":\"$(wg pubkey <"$T/sb/n1/var/lib/vnode/overlay.key")\"}")"
expect "another node's key, by hand" 409 "another node's"
rm "$T/sb/n2/var/lib/vnode/overlay.key"

# 4. n2 with its own key; then the peer limit (overlay_max_peers = 2)
agent n2 join || fail "join of n2 exited with $?"
vm2=$(node_name n2)
snapshot before
refused n3 "the peer limit" "overlay: the controller has 2 peers already, the most it takes \(overlay_max_peers 2\)"

# 5. a join whose peer is set but that Slurm cannot admit (slurmctld is
# down): 503, and the peer goes again
hookd_stop
sed -i 's/^overlay_max_peers = 2$/overlay_max_peers = 10/' "$T/sb/ctl/etc/vnode/hookd.conf"
hookd_start
pid=$(sb ctl cat /run/slurmctld/slurmctld.pid) || fail "no slurmctld pid"
snapshot before
sb ctl kill -TERM "$pid"
ctld_gone() { ! sb ctl kill -0 "$pid"; }
wait_for 30 "slurmctld stopped" ctld_gone
send "$(body i-z "{\"public_key\":\"$good\"}")"
[ "$STATUS" = 503 ] || fail "a join Slurm cannot admit: $STATUS $REASON"
sb ctl /usr/sbin/slurmctld || fail "slurmctld again"
wait_for 30 "slurmctld answers again" sb ctl scontrol ping
ov_peers | grep -q "^$good " && fail "the peer of a join Slurm refused stays: $(ov_peers)"
sqlite3 -readonly "$DB" "SELECT state FROM overlay WHERE pubkey = '$good'" | grep -qx inactive ||
    fail "registry: $(sqlite3 -readonly "$DB" "SELECT * FROM overlay")"
say "a join Slurm could not admit: $STATUS $REASON; its peer removed"

# 6. vnode-privd checks what it is given itself
out=$(echo "$good 10.98.0.7" | privd_call wg-set 2>&1) && fail "privd set a peer outside its network"
echo "$out" | grep -q "\"10.98.0.7\" is not a peer.s address in $OV_NET.1/24" || fail "privd: $out"
out=$(echo "$good $addr1" | privd_call wg-set 2>&1) && fail "privd gave a peer another's address"
echo "$out" | grep -q "is the address of another peer" || fail "privd: $out"
out=$(echo "$ctlkey $OV_NET.9" | privd_call wg-set 2>&1) && fail "privd took its own key as a peer"
echo "$out" | grep -q "the interface's own" || fail "privd: $out"
out=$(printf '%s\n' 'x;rm -rf /' | privd_call wg-remove 2>&1) && fail "privd took a bad line"
echo "$out" | grep -q "not \"PUBLIC-KEY\" with a valid key" || fail "privd: $out"
say "vnode-privd refused: $(echo "$out" | tail -n 1)"

# 7. the pool exhausted (.2 and .3 held, the pool now .0/30: .2 only)
hookd_stop
sed -i "s|^overlay_pool = .*|overlay_pool = $OV_NET.0/30|" "$T/sb/ctl/etc/vnode/hookd.conf"
hookd_start
snapshot before
refused n3 "an exhausted pool" "overlay: the address pool $OV_NET.0/30 is exhausted"
# n1 leaves: the address it keeps is given up for n3
agent n1 leave || fail "leave of n1 exited with $?"
agent n3 join || fail "join of n3 after n1 left exited with $?"
vm3=$(node_name n3)
[ "$(ov_addr "$vm3")" = "$addr1" ] || fail "$vm3 is at $(ov_addr "$vm3"), not $addr1 that n1 left"
[ "$(ov_peers | grep -c " $addr1/32 ")" = 1 ] || fail "peers: $(ov_peers)"
reach "$vm3"
agent n3 leave || fail "leave of n3 exited with $?"
agent n2 leave || fail "leave of n2 exited with $?"
[ -z "$(ov_peers)" ] || fail "peers left: $(ov_peers)"
exit 0
