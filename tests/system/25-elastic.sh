#!/bin/bash
# Elastic vnode with the local provider: a job submitted to an empty cloud
# partition makes Slurm resume a CLOUD node (vnode-resume, its
# ResumeProgram), vnode-hookd has vnode-privd make a node sandbox for it
# with a single-use token bound to the node, the instance's agent joins as
# exactly that node, at the address it joins from, and the job runs
# there as the test user.  A second resume of the same node makes no
# second instance.  Idle for SuspendTime, the node is suspended
# (vnode-suspend): its agent leaves, the instance is deleted, the node is
# powered down and usable again; a second job resumes it again, with a new
# instance.  vnodectl provision powers a node up by hand, deprovision
# retires it; vnode-privd refuses bad requests and ordinary users.
# vnodectl slurm-conf prints the lines used, vnodectl instances
# and /metrics show what happened, and the record has resume, create,
# join and delete.  The hook serves https with its own certificate: the
# instances' user data carries its pin.
. "$(dirname "$0")/test.common"
vt_init
HOOK_TLS=on
elastic_env 2
ctl_start
privd_start

out=$(vnodectl slurm-conf --nodes 'cloud-[1-2]' --cpus 1 --memory 500 \
    --partition cloud --bindir "$VNODE_BIN") || fail "vnodectl slurm-conf: $out"
for l in "ResumeProgram=$VNODE_BIN/vnode-resume" "SuspendProgram=$VNODE_BIN/vnode-suspend" \
    "ResumeFailProgram=$VNODE_BIN/vnode-resume-fail" "PrologSlurmctld=$VNODE_BIN/vnode-prolog" \
    "NodeName=cloud-[1-2] State=CLOUD CPUs=1 RealMemory=500 Feature=vnode" \
    "PartitionName=cloud Nodes=cloud-[1-2] MaxTime=INFINITE State=UP"; do
	echo "$out" | grep -qxF "$l" || fail "slurm-conf lacks \"$l\": $out"
done

# Slurm's own words for the node's state, like IDLE+CLOUD+POWERED_DOWN
node_flags() { sb ctl scontrol show node "$1" | sed -n 's/.* State=\([^ ]*\).*/\1/p'; }
node_is() { node_flags "$1" | grep -q "$2"; }
wait_for 20 "cloud-1 powered down at start" node_is cloud-1 POWERED_DOWN

# 1. a job to the empty partition: a node is resumed and joins
t0=$(date +%s.%N)
J=$(submit -p cloud -o "$T/work/J.out" --wrap 'echo "ran on $(hostname) as $(id -un)"; sleep 2')
wait_for 90 "job J $J running" job_is "$J" RUNNING
took=$(echo "$(date +%s.%N) - $t0" | bc)
node=$(job_field "$J" NodeList)
case $node in cloud-[12]) ;; *) fail "job J runs on \"$node\"" ;; esac
say "job J: submit -> RUNNING on $node in $took s"
wait_for 30 "job J ends" job_ended "$J"
job_is "$J" COMPLETED || fail "job J is $(job_field "$J" JobState)"
grep -qx "ran on $node as $VT_USER" "$T/work/J.out" || fail "job J: $(cat "$T/work/J.out")"
# the node is at the address its instance joined from, one of privd's
addr=$(sb ctl scontrol show node "$node" | sed -n 's/.*NodeAddr=\([^ ]*\).*/\1/p')
case $addr in $VT_SUBNET.1[0-9][0-9]) ;; *) fail "$node has NodeAddr $addr" ;; esac
vnodectl instances >"$T/inst"
[ "$(awk -v n="$node" '$2 == n && $5 == "joined"' "$T/inst" | wc -l)" = 1 ] ||
    fail "instances: $(cat "$T/inst")"
inst=$(awk -v n="$node" '$2 == n && $5 == "joined" { print $4 }' "$T/inst")
vnodectl nodes | grep -Eq "^$node +admitted +$addr .* $inst$" ||
    fail "registry: $(vnodectl nodes)"
grep -q "join from $addr: admitted $node (instance $inst, token" "$T/hookd.log" ||
    fail "the hook did not admit $inst as $node"
# over https, the hook's key pinned by the user data it made
grep -q "settings: hook https://$CTL_IP:$HOOK_PORT," "$T/local/$inst/agent.log" ||
    fail "$inst did not join over https: $(grep settings: "$T/local/$inst/agent.log")"
grep -q "\"hook_pin\":\"$HOOK_PIN\"" "$T/local/$inst/root/var/lib/vnode/node.json" ||
    fail "$inst did not keep the hook's pin"

# 2. Slurm resumes the same node again (after a slurmctld restart it does):
# no second instance
sb ctl setpriv --reuid=slurm --regid=slurm --init-groups "$VNODE_BIN/vnode-resume" "$node" ||
    fail "vnode-resume $node"
wait_for 10 "the hook took the second resume" grep -q "resume of $node: it has instance" "$T/hookd.log"
[ "$(privd_call list | grep -c " $node running ")" = 1 ] ||
    fail "privd: $(privd_call list)"

# 3. idle for SuspendTime: suspended, the agent leaves, the instance goes
deleted() { vnodectl instances | awk -v i="$inst" '$4 == i && $5 == "deleted"' | grep -q .; }
wait_for 90 "$node suspended: its instance deleted" deleted
sandbox_gone() { ! privd_call list | grep -q "^$inst "; }
wait_for 60 "the sandbox of $inst gone" sandbox_gone
wait_for 60 "$node powered down" node_is "$node" POWERED_DOWN
node_flags "$node" | grep -q DRAIN && fail "$node is drained: $(node_flags "$node")"
grep -Eq "left as $node" "$T/local/$inst/agent.log" 2>/dev/null ||
    grep -q "leave from $addr: $node removed" "$T/hookd.log" || fail "$node's agent did not leave"

# 4. and again: a new instance for the next job
J2=$(submit -p cloud -w "$node" -o "$T/work/J2.out" --wrap 'hostname')
wait_for 90 "job J2 $J2 ends" job_ended "$J2"
job_is "$J2" COMPLETED || fail "job J2 is $(job_field "$J2" JobState)"
grep -qx "$node" "$T/work/J2.out" || fail "job J2: $(cat "$T/work/J2.out")"
n=$(vnodectl instances | awk -v n="$node" '$2 == n' | wc -l)
[ "$n" = 2 ] || fail "$node had $n instances, not 2: $(vnodectl instances)"

# 5. by hand: vnodectl provision has Slurm power a node up (no job), and
# vnodectl deprovision retires it
pd() { [ "$(sb ctl sinfo -h -p cloud -o '%T %D' | awk '$1 == "idle~" { print $2 }')" = 2 ]; }
wait_for 90 "both cloud nodes powered down" pd
out=$(vnodectl provision 1 --partition cloud 2>&1) || fail "vnodectl provision: $out"
pnode=$(echo "$out" | grep -x 'cloud-[0-9]*')
[ -n "$pnode" ] || fail "vnodectl provision printed no node: $out"
joined() { vnodectl instances | awk -v n="$pnode" '$2 == n && $5 == "joined"' | grep -q .; }
wait_for 60 "$pnode provisioned by hand, joined" joined
idle() { node_flags "$pnode" | grep -q '^IDLE' && ! node_flags "$pnode" | grep -q POWER; }
wait_for 30 "$pnode IDLE" idle
out=$(vnodectl deprovision "$pnode" 2>&1) || fail "vnodectl deprovision: $out"
pinst=$(vnodectl instances | awk -v n="$pnode" '$2 == n && ($5 == "retiring" || $5 == "joined") { print $4 }')
pgone() { vnodectl instances | awk -v n="$pnode" '$2 == n && $5 == "deleted" && $4 == "'"$pinst"'"' | grep -q .; }
wait_for 60 "$pnode deprovisioned: its instance deleted" pgone
out=$(vnodectl deprovision cloud-1 cloud-2 2>&1) && fail "deprovision of nodes without instances succeeded: $out"
echo "$out" | grep -q "has no instance of elastic vnode" || fail "deprovision: $out"
out=$(vnodectl resume 'cloud-[1-' 2>&1) && fail "resume of a bad host list succeeded: $out"
echo "$out" | grep -q "not a host list" || fail "resume: $out"
say "provisioned $pnode by hand, and deprovisioned it"

# vnode-privd checks every request itself, and whom it comes from
out=$(privd_call create 'Bad_Name' </dev/null 2>&1) && fail "privd created a bad name"
echo "$out" | grep -q "is not a node name" || fail "privd: $out"
out=$(privd_call delete '../../etc' force 2>&1) && fail "privd deleted ../../etc"
echo "$out" | grep -q "is not a local instance id" || fail "privd: $out"
out=$(privd_call delete 'l-cloud-1-1' sideways 2>&1) && fail "privd took a bad mode"
echo "$out" | grep -q "is not graceful or force" || fail "privd: $out"
out=$(sb_user ctl "$VNODE_BIN/tests/privd-call" /run/vnode/privd.sock list 2>&1) &&
    fail "an ordinary user spoke to vnode-privd: $out"
say "vnode-privd refused: $(echo "$out" | tail -n 1)"

# the record and the metrics
vnodectl events >"$T/ev"
for k in power-up create join power-down delete; do
	grep -Eq " $node +[0-9-]* *$k " "$T/ev" || grep -Eq " $node .* $k " "$T/ev" ||
	    fail "no $k event of $node: $(cat "$T/ev")"
done
# the timeline: power up, create, join, the job's bar, power down, delete
mkdir -p "$T/svg"
chown slurm: "$T/svg"
vnodectl timeline --svg "$T/svg/elastic.svg" || fail "vnodectl timeline"
xmllint --noout "$T/svg/elastic.svg" || fail "the timeline is not well-formed XML"
for k in power-up create join power-down delete; do
	grep -q "<g class=\"marker\" data-kind=\"$k\">" "$T/svg/elastic.svg" ||
	    fail "no $k marker in the timeline"
done
grep -q "<g class=\"job\" data-job=\"$J\"><rect class=\"bar\"" "$T/svg/elastic.svg" ||
    fail "no bar for job J in the timeline"
hook_curl /metrics >"$T/metrics" || fail "GET /metrics"
grep -q '^vnode_instance_events_total{event="created"} 3$' "$T/metrics" ||
    fail "metrics: $(grep vnode_instance "$T/metrics")"
grep -q '^vnode_provider_call_seconds_count{call="create"} 3$' "$T/metrics" ||
    fail "metrics: $(grep vnode_provider "$T/metrics")"
exit 0
