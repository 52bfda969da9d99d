#!/bin/bash
# Events, requeue with release, and the mover (ckpt/README.md): nodes
# joining are recorded; a batch job's run and end (node, exit code); events
# a node sends, signed, are stored and shown, bad ones refused naming the
# field; POST /v1/requeue requeues a running job and the release starts it
# again within seconds on the node named; vnodectl timeline draws it all
# as well-formed SVG.  The poster scenario: a job in the backfill partition
# suspended by one in a higher tier, and when an idle node joins, the mover
# orders its node's agent to checkpoint it for that node.  (The agents here
# only join, and heartbeats are signed by hand: the test stops at the
# order; 22-poster follows it through with running agents, over dynamic
# nodes; here they are the pool mode's slots.)
. "$(dirname "$0")/test.common"
vt_init
command -v xmllint >/dev/null || skip "xmllint is not installed (libxml2-utils; run make check)"
command -v sqlite3 >/dev/null || skip "sqlite3 is not installed (run make check)"
PREEMPT_ADMIT=pool preempt_env 3
ctl_start
URL=http://$CTL_IP:$HOOK_PORT

nodes n1 n2
agent n1 join || fail "join on n1"
agent n2 join || fail "join on n2"
vm1=$(node_name n1)
vm2=$(node_name n2)
vnodectl events >"$T/ev" || fail "vnodectl events"
grep -Eq "^[0-9T:.-]+Z $vm1 +- +join +admitted as $vm1" "$T/ev" ||
    fail "no join event of $vm1: $(cat "$T/ev")"
grep -q " $vm2 .* join " "$T/ev" || fail "no join event of $vm2"

# hookdb SQL: a query of the hook's registry, as its owner
hookdb() {
	sb ctl setpriv --reuid=slurm --regid=slurm --init-groups \
	    sqlite3 /var/lib/vnode/hookd.db "$1"
}

# has_event JOB PATTERN: a line of vnodectl events --job JOB matches
has_event() { vnodectl events --job "$1" | grep -Eq "$2"; }

# 1. a batch job as the ordinary user, on vm1: run, then end with its exit
# code
j1=$(sb_user ctl sbatch --parsable -w "$vm1" -o /dev/null \
    --wrap 'sleep 1; exit 3') || fail "sbatch"
wait_for 30 "run event of job $j1" has_event "$j1" " $vm1 +$j1 +run +partition vnode"
wait_for 30 "end event of job $j1" has_event "$j1" " $vm1 +$j1 +end +FAILED, exit 3$"
[ "$(vnodectl events --job "$j1" | grep -c ' run ')" = 1 ] ||
    fail "job $j1: run recorded more than once"

# node_post SANDBOX NODE PATH BODY: a request signed with the node's own
# credential (its agent's node.json); STATUS, the answer in $T/resp, the
# error in REASON
node_post() {
	local sbx=$1 node=$2 path=$3 cred
	cred=$(sed -n 's/.*"credential": *"\([0-9a-f]*\)".*/\1/p' \
	    "$T/sb/$sbx/var/lib/vnode/node.json")
	[ -n "$cred" ] || fail "no credential in $sbx's node.json"
	printf '%s' "$4" >"$T/req.body"
	"$VNODE_BIN/tests/vnode-sign" node "$cred" "node:$node" POST "$path" \
	    now new "$T/req.body" >"$T/req.h" || fail "vnode-sign"
	STATUS=$(sb "$sbx" curl -s -o "$T/resp" -w '%{http_code}' \
	    --config "$T/req.h" -H 'Content-Type: application/json' \
	    --data-binary @"$T/req.body" "$URL$path")
	REASON=$(sed -n 's/.*"error":"\(.*\)"}/\1/p' "$T/resp" | sed 's/\\"/"/g')
}

# 2. events from a node: stored with the node that sent them
now=$(date +%s.%N)
node_post n1 "$vm1" /v1/events "{\"events\": [{\"time\": $now, \"job\": $j1,
    \"kind\": \"restore\", \"detail\": \"image 1 from $vm2, 0.4 s\"},
    {\"time\": $now, \"job\": $j1, \"kind\": \"checkpoint-failed\"}]}"
[ "$STATUS" = 200 ] || fail "POST /v1/events: $STATUS $(cat "$T/resp")"
grep -q '"stored":2' "$T/resp" || fail "POST /v1/events answered $(cat "$T/resp")"
has_event "$j1" " $vm1 +$j1 +restore +image 1 from $vm2, 0.4 s$" ||
    fail "the node's restore event is not shown: $(vnodectl events --job "$j1")"
has_event "$j1" " $vm1 +$j1 +checkpoint-failed *$" || fail "no checkpoint-failed event"

# bad bodies: 400, naming the field, and nothing stored
# (the hook's own "forget" order for job 1, ended with a checkpoint event
# above, may come at any time: not counted)
stored() { vnodectl events | grep -vc ' forget '; }
before=$(stored)
refused() {
	local body=$1 want=$2
	node_post n1 "$vm1" /v1/events "$body"
	[ "$STATUS" = 400 ] || fail "events $body: status $STATUS, not 400 ($REASON)"
	printf '%s\n' "$REASON" | grep -Fq "$want" ||
	    fail "events $body: reason '$REASON', not naming $want"
	say "refused as it should: $REASON"
}
refused '{"events": [{"time": '"$now"', "job": 1, "kind": "run"}]}' \
    '"events"[0]."kind": "run" is not'
refused '{"events": [{"time": '"$now"', "job": 1, "kind": "restore"}, {"time": '"$now"', "kind": "restore"}]}' \
    '"events"[1]."job": missing'
refused '{"events": [{"time": 12, "job": 1, "kind": "restore"}]}' \
    '"events"[0]."time": not a Unix time'
refused '{"events": [{"time": '"$now"', "job": 0, "kind": "restore"}]}' \
    '"events"[0]."job": 0 is not from 1'
refused '{"events": [{"time": '"$now"', "job": 1, "kind": "restore", "detail": "a\u0007b"}]}' \
    '"events"[0]."detail": not printable ASCII'
refused '{"events": [{"time": '"$now"', "job": 1, "kind": "restore", "node": "x"}]}' \
    '"events"[0]: unknown field "node"'
refused '{"events": {}}' '"events": not an array'
many=$(for i in $(seq 65); do printf '{"time": %s, "job": 1, "kind": "restore"},' "$now"; done)
refused "{\"events\": [${many%,}]}" '"events": 65 entries, at most 64'
[ "$(stored)" = "$before" ] || fail "a refused batch stored events: $(vnodectl events | tail -n 3)"

# 3. requeue: a running job on vm1 is requeued by its node (as after a
# checkpoint) and released to vm2, running there within seconds (Slurm by
# itself would start it only after about two minutes)
j2=$(sb_user ctl sbatch --parsable --requeue -w "$vm1" -o /dev/null \
    --wrap 'sleep 600') || fail "sbatch"
running_on() { [ "$(sb ctl squeue -h -j "$1" -o '%T %N')" = "RUNNING $2" ]; }
wait_for 30 "job $j2 running on $vm1" running_on "$j2" "$vm1"
# not from a node the job does not run on, nor to a node that is not one
node_post n2 "$vm2" /v1/requeue "{\"job\": $j2, \"image\": 1}"
[ "$STATUS" = 409 ] && echo "$REASON" | grep -q "not running on $vm2" ||
    fail "requeue from the wrong node: $STATUS $REASON"
node_post n1 "$vm1" /v1/requeue "{\"job\": $j2, \"image\": 1, \"to\": \"vm-99\"}"
[ "$STATUS" = 409 ] && echo "$REASON" | grep -q '"to": vm-99 is not an admitted node' ||
    fail "requeue to an unknown node: $STATUS $REASON"
node_post n1 "$vm1" /v1/requeue "{\"job\": $j2, \"image\": 1, \"error\": \"x\"}"
[ "$STATUS" = 400 ] && echo "$REASON" | grep -q '"image" or "error": exactly one' ||
    fail "requeue with image and error: $STATUS $REASON"
t0=$(date +%s.%N)
node_post n1 "$vm1" /v1/requeue "{\"job\": $j2, \"image\": 1, \"to\": \"$vm2\"}"
[ "$STATUS" = 200 ] || fail "POST /v1/requeue: $STATUS $(cat "$T/resp")"
[ "$(cat "$T/resp")" = "{\"job\":$j2,\"requeued\":true}" ] ||
    fail "POST /v1/requeue answered $(cat "$T/resp")"
wait_for 30 "job $j2 running again, on $vm2" running_on "$j2" "$vm2"
took=$(echo "$(date +%s.%N) - $t0" | bc)
say "job $j2 requeued on $vm1 and running on $vm2 ${took} s later"
[ "$(echo "$took < 30" | bc)" = 1 ] || fail "release took $took s"
sb ctl scontrol show job "$j2" | grep -q "Restarts=1" || fail "job $j2 not requeued once"
wait_for 10 "run event of job $j2 on $vm2" has_event "$j2" " $vm2 +$j2 +run "
vnodectl events --job "$j2" >"$T/ev2"
for p in " $vm1 +$j2 +run " " $vm1 +$j2 +checkpoint +image 1$" \
    " $vm1 +$j2 +requeue +migrate to $vm2$" \
    " $vm2 +$j2 +release +StartTime=now ReqNodeList=$vm2$" " $vm2 +$j2 +run "; do
	grep -Eq "$p" "$T/ev2" || fail "job $j2: no event like '$p': $(cat "$T/ev2")"
done
# the events come in that order
[ "$(grep -Eo ' (run|checkpoint|requeue|release) ' "$T/ev2" | tr -d ' ' | tr '\n' ' ')" = \
    "run checkpoint requeue release run " ] || fail "job $j2's events: $(cat "$T/ev2")"

# 4. the timeline: well-formed SVG, a lane per node, the jobs' bars
mkdir -p "$T/svg"
chown slurm: "$T/svg"	# vnodectl works as the database's owner
vnodectl timeline --svg "$T/svg/all.svg" || fail "vnodectl timeline"
xmllint --noout "$T/svg/all.svg" || fail "the timeline is not well-formed XML"
[ "$(grep -c '<g class="lane"' "$T/svg/all.svg")" = 2 ] || fail "not 2 lanes"
for n in "$vm1" "$vm2"; do
	grep -q "<g class=\"lane\" data-node=\"$n\"" "$T/svg/all.svg" || fail "no lane for $n"
done
[ "$(grep -c "<g class=\"job\" data-job=\"$j2\"><rect class=\"bar\"" "$T/svg/all.svg")" = 2 ] ||
    fail "job $j2 has not 2 bars (one on each node)"
grep -q "<g class=\"job\" data-job=\"$j1\"><rect class=\"bar\"" "$T/svg/all.svg" ||
    fail "no bar for job $j1"
grep -q '<pattern id="suspended"' "$T/svg/all.svg" || fail "no hatching pattern"
grep -q '<g class="marker" data-kind="restore">' "$T/svg/all.svg" || fail "no restore marker"
grep -q '<g class="legend"' "$T/svg/all.svg" || fail "no legend"
vnodectl timeline --svg "$T/svg/j2.svg" --job "$j2" || fail "timeline --job"
xmllint --noout "$T/svg/j2.svg" || fail "the job's timeline is not well-formed XML"
grep -q "data-job=\"$j1\"" "$T/svg/j2.svg" && fail "--job $j2 drew job $j1"
# refused: a job without events, a file it cannot write
out=$(vnodectl timeline --svg "$T/svg/x.svg" --job 999999 2>&1) &&
    fail "timeline of an unknown job succeeded"
echo "$out" | grep -q "job 999999: no events" || fail "unknown job: $out"
out=$(vnodectl timeline --svg "$T/nowhere/x.svg" 2>&1) && fail "timeline into a missing directory succeeded"
echo "$out" | grep -q "$T/nowhere/x.svg" || fail "unwritable file: $out"
sb ctl scancel "$j2"

# 5. the poster scenario.  vm2 is drained: no idle node, no move.  L in
# backfill on vm1 is suspended by H in high on vm1 ...
sb ctl scontrol update nodename="$vm2" state=drain reason=test || fail "drain $vm2"
jl=$(sb_user ctl sbatch --parsable --requeue -p backfill -w "$vm1" -o /dev/null \
    --wrap 'sleep 600') || fail "sbatch L"
wait_for 30 "job L $jl running on $vm1" running_on "$jl" "$vm1"
jh=$(sb_user ctl sbatch --parsable -p high -w "$vm1" -o /dev/null \
    --wrap 'sleep 600') || fail "sbatch H"
suspended() { [ "$(job_state "$jl")" = SUSPENDED ]; }
wait_for 60 "job L $jl suspended by H $jh" suspended
wait_for 30 "job H $jh running on $vm1" running_on "$jh" "$vm1"
wait_for 10 "suspend event of L" has_event "$jl" " $vm1 +$jl +suspend "
sleep 2
has_event "$jl" " move " && fail "a move with no idle node: $(vnodectl events --job "$jl")"
# ... and when an idle node B joins, the mover orders L's checkpoint for B
node_create n3
agent_conf n3 "$(token 1)"
agent n3 join || fail "join on n3"
vm3=$(node_name n3)
wait_for 10 "move event of L" has_event "$jl" " $vm1 +$jl +move +from $vm1 to $vm3$"
orders=$(hookdb "SELECT node, kind, arg, delivered FROM orders WHERE kind = 'checkpoint'")
[ "$orders" = "$vm1|checkpoint|$jl $vm3|0" ] || fail "orders: $orders"
# the order is what vm1's agent gets on its next heartbeat (after the
# "forget" orders of jobs above that ended with files in the store)
for i in 1 2 3 4 5; do
	node_post n1 "$vm1" /v1/heartbeat '{"wait": 0}'
	[ "$STATUS" = 200 ] && grep -q '"kind":"forget"' "$T/resp" || break
done
[ "$STATUS" = 200 ] && grep -q "\"kind\":\"checkpoint\",\"arg\":\"$jl $vm3\"" "$T/resp" ||
    fail "heartbeat of $vm1: $STATUS $(cat "$T/resp")"
# once, not every interval: delivered, no outcome yet, so still under way
sleep 2
[ "$(vnodectl events --job "$jl" | grep -c ' move ')" = 1 ] || fail "L moved more than once"
out=$(vnodectl migrate "$jl" --to "$vm3" --wait 1 2>&1) && fail "a second migrate of L succeeded"
echo "$out" | grep -q "a checkpoint of job $jl is under way already" || fail "migrate: $out"

# vnodectl migrate: an order to the job's node; it waits for the restore,
# which does not come here (no agent acts on it): a timeout, non-zero
out=$(vnodectl migrate "$jh" --to "$vm3" --wait 2 2>&1) && fail "migrate without a restore succeeded"
echo "$out" | grep -q "job $jh: no restore within 2 s" || fail "migrate: $out"
[ "$(hookdb "SELECT arg FROM orders WHERE node = '$vm1' AND kind = 'checkpoint' AND delivered = 0")" = "$jh $vm3" ] ||
    fail "migrate's order is not in the orders table"
out=$(vnodectl migrate "$jh" --to "$vm1" 2>&1) && fail "migrate to the job's own node succeeded"
echo "$out" | grep -q "runs on $vm1 already" || fail "migrate --to its node: $out"
out=$(vnodectl migrate 999999 2>&1) && fail "migrate of an unknown job succeeded"
echo "$out" | grep -q "Slurm does not know job 999999" || fail "migrate unknown: $out"
vnodectl timeline --svg "$T/svg/poster.svg" || fail "vnodectl timeline"
xmllint --noout "$T/svg/poster.svg" || fail "the poster timeline is not well-formed XML"
grep -q "<rect class=\"suspended\" data-job=\"$jl\"" "$T/svg/poster.svg" ||
    fail "L's suspension is not hatched"
grep -q '<g class="marker" data-kind="move">' "$T/svg/poster.svg" || fail "no move marker"
sb ctl scancel "$jl" "$jh"
exit 0
