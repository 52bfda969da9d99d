#!/bin/bash
# Requests that are wrong in one way each are refused with the right status
# and reason, and change nothing: not the registry, not Slurm.  The answer
# to a good join is signed, and its secrets are not readable on the wire.
# Of two joins racing for a token's last use, one wins.
. "$(dirname "$0")/test.common"
vt_init
ctl_start
node_create n1
node_create n2

# the token allows 16 features of 63 characters (the second join uses
# them all, below)
l63f=$(printf '%063d' 0)
tfeats=
for i in $(seq -w 16); do
	tfeats=$tfeats${tfeats:+,}f$i${l63f:3}
done
tok=$(vnodectl token create --uses 2 --ttl 15m --features "$tfeats" 2>/dev/null) ||
    fail "vnodectl token create --features"
id=${tok%%.*}
secret=${tok#*.}
other=$(token 1)
URL=http://$CTL_IP:$HOOK_PORT/v1/join

body() {
	printf '{"instance":"%s","hostname":"n1","cpus":1,"memory_mb":500,"features":[]}' "$1"
}

# send KIND SECRET KEYID TIME NONCE SIGNED-BODY [SENT-BODY] [DROP-HEADER]:
# sets STATUS, REASON and leaves the answer in $T/resp, headers in $T/resp.h;
# CURL_EXTRA holds more options for curl
CURL_EXTRA=()
send() {
	local kind=$1 sec=$2 keyid=$3 ts=$4 nonce=$5 signed=$6
	local sent=${7:-$6} drop=${8:-}
	printf '%s' "$signed" >"$T/req.signed"
	printf '%s' "$sent" >"$T/req.sent"
	"$VNODE_BIN/tests/vnode-sign" "$kind" "$sec" "$keyid" POST /v1/join \
	    "$ts" "$nonce" "$T/req.signed" >"$T/req.h" || fail "vnode-sign"
	[ -n "$drop" ] && sed -i "/$drop/d" "$T/req.h"
	STATUS=$(sb n1 curl -s -o "$T/resp" -D "$T/resp.h" -w '%{http_code}' \
	    --config "$T/req.h" -H 'Content-Type: application/json' \
	    "${CURL_EXTRA[@]}" --data-binary @"$T/req.sent" "$URL")
	REASON=$(sed -n 's/.*"error":"\(.*\)"}/\1/p' "$T/resp" | sed 's/\\"/"/g')
}

snapshot() {
	{
		vnodectl nodes
		vnodectl token list
		sb ctl scontrol -F -o show node
	} >"$T/snap.$1" 2>&1
}

# expect NAME STATUS REASON-PATTERN: the last answer, and nothing changed
expect() {
	local name=$1 st=$2 pat=$3
	[ "$STATUS" = "$st" ] || fail "$name: status $STATUS, not $st ($REASON)"
	echo "$REASON" | grep -Eq "$pat" || fail "$name: reason '$REASON'"
	snapshot after
	cmp -s "$T/snap.before" "$T/snap.after" ||
	    fail "$name changed something: $(diff "$T/snap.before" "$T/snap.after")"
	say "refused as it should: $name: $STATUS $REASON"
}

snapshot before
now=$(date +%s)
send token "$(printf '%064d' 0)" "token:0123456789abcdef" now new "$(body i-1)"
expect "unknown token" 401 '^unknown token 0123456789abcdef$'
send token "$(printf '%064d' 7)" "token:$id" now new "$(body i-1)"
expect "wrong secret" 401 '^bad signature$'
send token "$secret" "token:$id" $((now - 3600)) new "$(body i-1)"
expect "stale timestamp" 401 '^request time is 36[0-9][0-9] s behind the controller'
send token "$secret" "token:$id" $((now + 3600)) new "$(body i-1)"
expect "timestamp from the future" 401 '^request time is 3[56][0-9][0-9] s ahead of'
send token "$secret" "token:$id" now new "$(body i-1)" "$(body i-2)"
expect "body changed after signing" 401 '^bad signature$'
send token "$secret" "token:$id" now new "$(body i-1)" "" X-Vnode-Signature
expect "no signature" 400 '^missing header X-Vnode-Signature$'
send token "$secret" "token:$id" now new "$(body i-1)" "" X-Vnode-Time
expect "no timestamp" 400 '^missing header X-Vnode-Time$'
send token "$secret" "token:$id" now new '{"instance":"i 1","hostname":"n1","cpus":1,"memory_mb":500}'
expect "instance with a space" 400 'instance'
send token "$secret" "token:$id" now new '{"instance":"i-1","hostname":"n1","cpus":"1","memory_mb":500}'
expect "cpus as a string" 400 '"cpus": not an integer'
send token "$secret" "token:$id" now new '{"instance":"i-1","hostname":"n1","cpus":1,"memory_mb":500,"features":["a,b"]}'
expect "feature with a comma" 400 'features'
send token "$secret" "token:$id" now new '[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]'
expect "deeply nested JSON" 400 '^body: not valid JSON'

# JSON that is not a join: cut short, trailing bytes, not an object, empty
good='"instance":"i-1","hostname":"n1","cpus":1,"memory_mb":500'
send token "$secret" "token:$id" now new '{"instance":"i-1","hostname":"n1","cpu'
expect "truncated JSON" 400 '^body: not valid JSON: unexpected end of document$'
send token "$secret" "token:$id" now new "{$good} {}"
expect "JSON with trailing bytes" 400 '^body: not valid JSON: unexpected character at byte 60$'
send token "$secret" "token:$id" now new "{$good,}"
expect "JSON with a trailing comma" 400 '^body: not valid JSON: .* at byte 59$'
send token "$secret" "token:$id" now new "[{$good}]"
expect "JSON array, not an object" 400 '^body: not a JSON object$'
send token "$secret" "token:$id" now new ''
expect "empty body" 400 '^body: not valid JSON: unexpected end of document$'

# each field of the wrong type, or missing
for c in \
    'instance a number|"instance":1,"hostname":"n1","cpus":1,"memory_mb":500|"instance": not a string' \
    'hostname an array|"instance":"i-1","hostname":["n1"],"cpus":1,"memory_mb":500|"hostname": not a string' \
    'cpus a fraction|"instance":"i-1","hostname":"n1","cpus":1.5,"memory_mb":500|"cpus": not an integer' \
    'cpus zero|"instance":"i-1","hostname":"n1","cpus":0,"memory_mb":500|"cpus": 0 out of range 1\.\.4096' \
    'memory_mb a boolean|"instance":"i-1","hostname":"n1","cpus":1,"memory_mb":true|"memory_mb": not an integer' \
    'features a string|'"$good"',"features":"vnode"|"features": not an array' \
    'features an object|'"$good"',"features":{"a":"b"}|"features": not an array' \
    'a feature a number|'"$good"',"features":["a",1]|"features"\[1\]: not a string' \
    'features 17 of them|'"$good"',"features":["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q"]|"features": more than 16 entries' \
    'local_addr a number|'"$good"',"local_addr":167772161|"local_addr": not a string' \
    'address too long|'"$good"',"address":"010.077.000.011x"|"address": longer than 15 bytes' \
    'instance missing|"hostname":"n1","cpus":1,"memory_mb":500|"instance": missing' \
    'hostname missing|"instance":"i-1","cpus":1,"memory_mb":500|"hostname": missing' \
    'hostname null|"instance":"i-1","hostname":null,"cpus":1,"memory_mb":500|"hostname": missing' \
    'cpus missing|"instance":"i-1","hostname":"n1","memory_mb":500|"cpus": missing' \
    'memory_mb missing|"instance":"i-1","hostname":"n1","cpus":1|"memory_mb": missing' \
    'no fields at all||"instance": missing' \
    'hostname localhost|"instance":"i-1","hostname":"localhost","cpus":1,"memory_mb":500|"hostname": localhost is not a host name a node can have in Slurm' \
    'hostname localhost.localdomain|"instance":"i-1","hostname":"localhost.localdomain","cpus":1,"memory_mb":500|"hostname": localhost.localdomain is not a host name a node can have in Slurm' \
    'hostname ALL|"instance":"i-1","hostname":"ALL","cpus":1,"memory_mb":500|"hostname": ALL is not a host name a node can have in Slurm'; do
	IFS='|' read -r what fields reason <<<"$c"
	send token "$secret" "token:$id" now new "{$fields}"
	expect "$what" 400 "^body: $reason\$"
done
# a key twice: one reader would take the first, another the last
send token "$secret" "token:$id" now new '{"instance":"i-1","hostname":"n1","cpus":1,"memory_mb":500,"cpus":64}'
expect "cpus given twice" 400 '^body: not valid here: a key given twice in an object$'

# names that are not names: what Slurm or a node line would read as syntax
# (space, '=', ',', newline, a hostlist's brackets), bytes outside ASCII,
# one character more than the limit, a NUL that C would cut the name at
long=$(printf 'n%063d' 0)
bad=(
	"a space" 'n 1'
	"an equals sign" 'n=1'
	"a comma" 'n,1'
	"a newline" 'n1\n'
	"a tab" 'n1\t'
	"brackets" 'n[1-2]'
	"UTF-8 e-acute" $'n\xc3\xa9'
	"an escaped e-acute" 'n\u00e9'
	"a slash" 'n/1'
	"a NUL" 'n1\u0000x'
	"64 characters" "$long"
)
host_rule='"hostname": a host name is labels of \[A-Za-z0-9-\] joined by '"'\\.'"', each 1 to 63 characters and not starting or ending with '"'-'"', at most 253 characters'
feature_rule='"features"\[0\]: a feature is \[A-Za-z0-9_\.-\], starting with a letter or digit, at most 63 characters'
for ((i = 0; i < ${#bad[@]}; i += 2)); do
	what=${bad[i]}
	v=${bad[i + 1]}
	case $what in
	"a NUL")
		hr='"hostname": NUL byte in string'
		fr='"features"\[0\]: NUL byte in string' ;;
	"64 characters")
		hr=$host_rule
		fr='"features"\[0\]: longer than 63 bytes' ;;
	*)
		hr=$host_rule
		fr=$feature_rule ;;
	esac
	send token "$secret" "token:$id" now new \
	    "{\"instance\":\"i-1\",\"hostname\":\"$v\",\"cpus\":1,\"memory_mb\":500}"
	expect "hostname with $what" 400 "^body: $hr\$"
	send token "$secret" "token:$id" now new "{$good,\"features\":[\"$v\"]}"
	expect "feature with $what" 400 "^body: $fr\$"
done
send token "$secret" "token:$id" now new \
    "{\"instance\":\"i-1\",\"hostname\":\"n1.$long.org\",\"cpus\":1,\"memory_mb\":500}"
expect "hostname with a 64-character label" 400 "^body: $host_rule\$"
send token "$secret" "token:$id" now new \
    "{\"instance\":\"i-1\",\"hostname\":\"$long$long$long$long\",\"cpus\":1,\"memory_mb\":500}"
expect "hostname of 256 characters" 400 '^body: "hostname": longer than 253 bytes$'
printf -v raw 'n1\n'
send token "$secret" "token:$id" now new \
    "{\"instance\":\"i-1\",\"hostname\":\"$raw\",\"cpus\":1,\"memory_mb\":500}"
expect "hostname with a raw newline" 400 "^body: $host_rule\$"

# a node's name in its key: the same characters, and one too many
node_rule='bad header X-Vnode-Key: a node name is \[a-z\]\[a-z0-9-\]\*, not ending with '"'-'"', at most 63 characters'
for v in 'vm 1' 'vm=1' 'vm,1' 'vm[1-2]' $'vm\xc3\xa9' 'vm/1' "v${long:1}" 'Vm-1' 'vm-'; do
	send node "$secret" "node:$v" now new "$(body i-1)"
	expect "node name '$v' in the key" 400 "^$node_rule\$"
done
send node "$secret" "node:v${long:2}" now new "$(body i-1)"
expect "unknown node of 63 characters" 401 "^unknown node credential for v${long:2}\$"

# a body over max_body (65536 bytes by default): refused before it is read
# as JSON or its signature checked; one of exactly max_body bytes is read
pad() {
	local b="{\"instance\":\"i-1\",\"hostname\":\"n1\",\"cpus\":\"x\",\"memory_mb\":500,\"pad\":\"\"}"
	printf '%s' "${b%??}"
	head -c $(($1 - ${#b})) /dev/zero | tr '\0' x
	printf '"}'
}
send token "$secret" "token:$id" now new "$(pad 65536)"
[ "$(wc -c <"$T/req.sent")" = 65536 ] || fail "pad made $(wc -c <"$T/req.sent") bytes"
expect "body of exactly max_body bytes" 400 '^body: "cpus": not an integer$'
too_big='^request body larger than 65536 bytes \(max_body\)$'
send token "$secret" "token:$id" now new "$(pad 65537)"
expect "body one byte over max_body" 413 "$too_big"
send token "$secret" "token:$id" now new "$(body i-1)" "$(pad 65537)"
expect "body over max_body, not the one signed" 413 "$too_big"
# the client sees the answer however it sends: waiting for "100 Continue"
# or not, with a length or in chunks
CURL_EXTRA=(-H 'Expect: 100-continue')
send token "$secret" "token:$id" now new "$(pad 1000000)"
expect "body of a megabyte, after 100 Continue" 413 "$too_big"
CURL_EXTRA=(-H 'Expect:')
send token "$secret" "token:$id" now new "$(pad 1000000)"
expect "body of a megabyte, sent at once" 413 "$too_big"
CURL_EXTRA=(-H 'Transfer-Encoding: chunked')
send token "$secret" "token:$id" now new "$(pad 65536)"
expect "body of exactly max_body bytes, in chunks" 400 '^body: "cpus": not an integer$'
send token "$secret" "token:$id" now new "$(pad 65537)"
expect "body one byte over max_body, in chunks" 413 "$too_big"
# a length given twice (a proxy might read one request, the hook another)
b="$(body i-1)"
CURL_EXTRA=(-H "Content-Length: ${#b}" -H "Content-Length: ${#b}")
send token "$secret" "token:$id" now new "$b"
[ "$STATUS" = 400 ] || fail "Content-Length twice: $STATUS $REASON"
say "refused as it should: Content-Length twice: $STATUS $(cat "$T/resp" | head -c 120)"
grep -q "Content-Length given 2 times\|Bad Request" "$T/resp" "$T/resp.h" ||
    fail "Content-Length twice: no reason: $(cat "$T/resp")"
CURL_EXTRA=()

# a good join: admitted, the answer signed, the munge key not on the wire
nonce=0123456789abcdef0123456789abcdef
send token "$secret" "token:$id" now $nonce "$(body i-1)"
[ "$STATUS" = 200 ] || fail "good join: $STATUS $REASON"
rts=$(sed -n 's/^X-Vnode-Time: \([0-9]*\).*/\1/ip' "$T/resp.h")
rsig=$(sed -n 's/^X-Vnode-Signature: \([0-9a-f]*\).*/\1/ip' "$T/resp.h")
"$VNODE_BIN/tests/vnode-sign" verify token "$secret" $nonce 200 "$rts" "$rsig" \
    "$T/resp" || fail "the join answer's signature does not verify"
"$VNODE_BIN/tests/vnode-sign" verify token "$(printf '%064d' 7)" $nonce 200 \
    "$rts" "$rsig" "$T/resp" && fail "the answer verifies with a wrong key"
keyhex=$(od -An -tx1 -v "$T/sb/ctl/etc/munge/munge.key" | tr -d ' \n')
grep -q "${keyhex:0:32}" "$T/resp" && fail "munge key readable in the answer"
grep -q '"secrets":{"iv":"[0-9a-f]*","data":"[0-9a-f]*"}' "$T/resp" ||
    fail "no sealed secrets in the answer"
grep -q '"node":"vm-1"' "$T/resp" || fail "not admitted as vm-1: $(cat "$T/resp")"

# a feature the token does not allow: refused, nothing changed
snapshot before
send token "$secret" "token:$id" now new \
    '{"instance":"i-2","hostname":"n2","cpus":1,"memory_mb":500,"features":["gpu"]}'
expect "a feature the token does not allow" 403 \
    "^feature gpu is not one token $id allows \\(f01"

# another instance whose host name is that node's name: refused
snapshot before
send token "$secret" "token:$id" now new \
    '{"instance":"i-2","hostname":"vm-1","cpus":1,"memory_mb":500,"features":[]}'
expect "a host name that is another node's name" 409 \
    '^body: "hostname": vm-1 is another node.s name$'

# the same request again: a replay
snapshot before
send token "$secret" "token:$id" now $nonce "$(body i-1)"
[ "$STATUS" = 401 ] || fail "replay: $STATUS"
# (vnode-sign signed it anew with "now"; replay the exact bytes instead)
printf '%s' "$(body i-1)" >"$T/req.sent"
STATUS=$(sb n1 curl -s -o "$T/resp" -w '%{http_code}' --config "$T/req.h" \
    --data-binary @"$T/req.sent" "$URL")
REASON=$(sed -n 's/.*"error":"\(.*\)"}/\1/p' "$T/resp" | sed 's/\\"/"/g')
expect "replayed request" 401 '^replayed request'

# a token used up, and one expired; its second use is a join at every
# limit: a host name of 253 characters, 16 features of 63, and as many
# of the site's (the hook started again with them)
l63=${long:1}
feats=
sitef=vnode
for i in $(seq -w 16); do
	feats=$feats${feats:+,}\"f$i${l63:3}\"
	[ $i = 01 ] || sitef=$sitef,s$i${l63:3}
done
hookd_stop
sed -i "s/^features = vnode\$/features = $sitef/" "$T/sb/ctl/etc/vnode/hookd.conf"
hookd_start
send token "$secret" "token:$id" now new \
    "{\"instance\":\"i-2\",\"hostname\":\"a${l63:1}.b${l63:1}.c${l63:1}.${l63:2}\",\"cpus\":1,\"memory_mb\":500,\"features\":[$feats]}"
[ "$STATUS" = 200 ] || fail "second use, at every limit: $STATUS $REASON"
sb ctl scontrol -F -o show node vm-2 >"$T/vm-2" || fail "vm-2 not in Slurm"
grep -q "NodeHostName=a${l63:1}.b${l63:1}.c${l63:1}.${l63:2} " "$T/vm-2" ||
    fail "vm-2: not the host name sent: $(cat "$T/vm-2")"
grep -q "AvailableFeatures=$sitef,${feats//\"/} " "$T/vm-2" ||
    fail "vm-2: not the features sent: $(cat "$T/vm-2")"
snapshot before
send token "$secret" "token:$id" now new "$(body i-3)"
expect "spent token" 403 "^token $id has no uses left \\(2 of 2 used\\)$"
short=$(token 1 1s)
sleep 2
send token "${short#*.}" "token:${short%%.*}" now new "$(body i-4)"
snapshot before
send token "${short#*.}" "token:${short%%.*}" now new "$(body i-4)"
expect "expired token" 403 "^token ${short%%.*} expired [0-9]+ s ago$"
# an instance joined with one token cannot be taken over with another
send token "${other#*.}" "token:${other%%.*}" now new "$(body i-1)"
expect "instance taken with another token" 409 "^instance i-1 joined already"

# the agent with a bad token: join step's exit code, the hook's reason, and
# nothing started
agent_conf n2 "$id.$(printf '%064d' 7)"
agent n2 join
rc=$?
[ $rc = 4 ] || fail "agent with a bad token exited $rc, not 4"
grep -q "join: FAILED.*refused by the hook (401): bad signature" "$T/n2.agent.log" ||
    fail "agent did not print the hook's reason"
[ -e "$T/sb/n2/etc/munge/munge.key" ] && fail "munge key installed after a refused join"
sb n2 pgrep -x slurmd >/dev/null && fail "slurmd started after a refused join"

# Two joins race for the last use of a token, one from each node, signed
# beforehand.  Each curl is running, waiting for its body on a pipe, until
# a lock held here is let go: then both bodies go at once.  One join is
# admitted, the other finds no use left, and the registry holds one node
# for the token; Slurm has one node more.  Five rounds that were races
# (each request sent before the other was answered), a fresh token of one
# use each; a round that was not is checked all the same, and run again.
racer='touch "$1.ready"
{ flock -s -w 20 9 && date +%s%N >"$1.start" && cat "$1.body"; } 9<"$2" |
    curl -s -o "$1.resp" -w "%{http_code} %{time_total}" --config "$1.h" \
    -H "Content-Type: application/json" --data-binary @- "$3" >"$1.out"'
slurm_nodes() { sb ctl scontrol -F -o show node | grep -c '^NodeName='; }
# ns SECONDS: in nanoseconds
ns() { printf '%.0f' "$(echo "$1 * 1000000000" | bc)"; }
races=0
for round in $(seq 10); do
	[ $races = 5 ] && break
	tok=$(token 1)
	id=${tok%%.*}
	nslurm=$(slurm_nodes)
	R=$T/race.$round
	exec 7>"$R.lock"
	flock -x 7 || fail "race $round: cannot take the lock"
	pids=()
	for n in n1 n2; do
		body "race-$round-$n" >"$R.$n.body"
		"$VNODE_BIN/tests/vnode-sign" token "${tok#*.}" "token:$id" POST \
		    /v1/join now new "$R.$n.body" >"$R.$n.h" || fail "vnode-sign"
		# (without fd 7: a racer holding it would hold the lock)
		sb "$n" sh -c "$racer" racer "$R.$n" "$R.lock" "$URL" 7>&- &
		pids+=($!)
	done
	racers_ready() {
		[ -e "$R.n1.ready" ] && [ -e "$R.n2.ready" ] &&
		    sb n1 pgrep -x curl && sb n2 pgrep -x curl
	}
	wait_for 10 "race $round: both racers at the start" racers_ready
	sleep 0.2			# both curls waiting for a body
	exec 7>&-			# go
	for p in "${pids[@]}"; do
		wait "$p" || fail "race $round: a racer failed"
	done
	read -r st1 t1 <"$R.n1.out"
	read -r st2 t2 <"$R.n2.out"
	case "$st1 $st2" in
	"200 403") win=n1 lose=n2 ;;
	"403 200") win=n2 lose=n1 ;;
	*) fail "race $round: answers $st1 and $st2, not 200 and 403: $(cat "$R.n1.resp" "$R.n2.resp")" ;;
	esac
	grep -q "^{\"error\":\"token $id has no uses left (1 of 1 used)\"}\$" \
	    "$R.$lose.resp" || fail "race $round: loser's answer $(cat "$R.$lose.resp")"
	node=$(sed -n 's/.*"node":"\(vm-[0-9]*\)".*/\1/p' "$R.$win.resp")
	[ -n "$node" ] || fail "race $round: winner's answer $(cat "$R.$win.resp")"
	vnodectl nodes | awk -v t="$id" '$5 == t' >"$R.registry"
	[ "$(wc -l <"$R.registry")" = 1 ] ||
	    fail "race $round: token $id has $(wc -l <"$R.registry") nodes: $(cat "$R.registry")"
	read -r rname _ _ _ _ rinst <"$R.registry"
	[ "$rname $rinst" = "$node race-$round-$win" ] ||
	    fail "race $round: registry has $rname $rinst, not $node race-$round-$win"
	vnodectl token list | grep -q "^$id .* spent  *-  *race-$round-$win=$node\$" ||
	    fail "race $round: token list: $(vnodectl token list | grep "^$id")"
	[ "$(slurm_nodes)" = $((nslurm + 1)) ] ||
	    fail "race $round: Slurm has $(slurm_nodes) nodes, not $((nslurm + 1))"
	sb ctl scontrol -F show node "$node" >/dev/null ||
	    fail "race $round: $node not in Slurm"
	s1=$(cat "$R.n1.start")
	s2=$(cat "$R.n2.start")
	e1=$((s1 + $(ns "$t1")))
	e2=$((s2 + $(ns "$t2")))
	what="$win admitted as $node, $lose refused (sent"
	what="$what $(( (s1 > s2 ? s1 - s2 : s2 - s1) / 1000 )) us apart,"
	what="$what answered after $t1 and $t2 s)"
	if [ "$s1" -lt "$e2" ] && [ "$s2" -lt "$e1" ]; then
		races=$((races + 1))
		say "race $round: $what"
	else
		say "race $round: not a race, one answered before the other was sent: $what"
	fi
done
[ $races = 5 ] || fail "only $races of 10 rounds were races"
exit 0
