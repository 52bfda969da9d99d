#!/bin/bash
# admit = conf: the hook writes the node lines of a fragment that
# slurm.conf Includes and restarts slurmctld once per batch of joins.
# Jobs running across the restart, batch and srun, carry on and finish
# as they would have; a node that rejoins at a new address is reached
# there; a node that leaves loses its line.  Each is held (drained) until
# its agent says its mounts are verified.
. "$(dirname "$0")/test.common"
vt_init
HOOKD_EXTRA="admit = conf
restart = $VT_DIR/restart-slurmctld
mount.sw = tmpfs /var/lib/vnode/sw tmpfs size=8m"
ctl_start
nodes n1 n2 n3
FRAG=$T/sb/ctl/etc/slurm/vnode-nodes.conf

restarts() {
	sb ctl curl -s "http://$CTL_IP:$HOOK_PORT/metrics" |
	    awk '$1 == "vnode_admission_restarts_total" { print $2 }'
}

agent n1 join || fail "join of n1"
# held (drained) from the restart until its mounts were verified
grep -q "ready: vm-1 is IDLE in Slurm (its hold released)" "$T/n1.agent.log" ||
    fail "n1 was not held and released"
grep -q "^NodeName=vm-1 NodeAddr=$(node_ip n1) NodeHostname=n1 " "$FRAG" ||
    fail "vm-1 not in the fragment: $(cat "$FRAG")"
[ "$(restarts)" = 1 ] || fail "restarts after one join: $(restarts)"

# work on vm-1 across the next restart: a batch job and an srun step
j=$(sb_user ctl sbatch --parsable -w vm-1 -t 5 -o "$T/work/batch.out" \
    --wrap 'for i in 1 2 3 4 5 6 7 8 9 10; do echo $i; sleep 1; done; echo batch-done') ||
    fail "sbatch"
sb_user ctl timeout 120 srun -w vm-1 -t 5 \
    sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do sleep 1; done; echo srun-done' \
    >"$T/work/srun.out" 2>&1 &
s=$!
running() { [ "$(job_state "$j")" = RUNNING ] && [ -s "$T/work/batch.out" ]; }
wait_for 30 "batch job $j running" running

# two nodes join at once: one batch (one restart) or two, never more
agent n2 join >/dev/null 2>&1 &
a2=$!
agent n3 join >/dev/null 2>&1 &
a3=$!
wait $a2 || fail "join of n2 exited with $?"
wait $a3 || fail "join of n3 exited with $?"
r=$(restarts)
[ "$r" -ge 2 ] && [ "$r" -le 3 ] || fail "restarts after three joins: $r"
say "n2 and n3 joined with $((r - 1)) slurmctld restart(s)"
v2=$(node_name n2)
v3=$(node_name n3)
for v in $v2 $v3; do
	[ "$(node_state $v)" = idle ] || fail "$v is $(node_state $v)"
done

# the jobs lived through it: same job, not requeued, whole output
[ "$(job_state "$j")" = RUNNING ] || fail "batch job $j is $(job_state "$j") after the restart"
wait $s || fail "srun across the restart exited with $?: $(cat "$T/work/srun.out")"
grep -q '^srun-done$' "$T/work/srun.out" || fail "srun output: $(cat "$T/work/srun.out")"
finished() { [ -z "$(job_state "$j")" ]; }
wait_for 60 "batch job $j finished" finished
[ "$(seq 10; echo batch-done)" = "$(cat "$T/work/batch.out")" ] ||
    fail "batch output: $(cat "$T/work/batch.out")"
sb ctl scontrol show job "$j" 2>/dev/null | grep -q "Restarts=[1-9]" &&
    fail "batch job $j was requeued"
say "batch job $j and the srun step ran through the restart"

# a new address: the line changes, Slurm reaches the node there
node_readdress n2 "$VT_SUBNET.62"
agent n2 join || fail "rejoin of n2"
grep -q "^NodeName=$v2 NodeAddr=$VT_SUBNET.62 " "$FRAG" ||
    fail "$v2's new address not in the fragment: $(cat "$FRAG")"
reach $v2

# a reboot at the same address changes nothing: no restart
r=$(restarts)
agent n1 join || fail "rejoin of n1"
[ "$(restarts)" = "$r" ] || fail "a rejoin at the same address restarted slurmctld"

# a restart that fails: the join fails with the reason; the next join
# finds slurmctld running with an older fragment and restarts it
CONF=$T/sb/ctl/etc/vnode/hookd.conf
sed -i "s|^restart = .*|restart = /bin/false|" "$CONF"
hookd_stop
hookd_start
node_readdress n1 "$VT_SUBNET.63"
agent_conf n1 "$tok" "join_timeout = 5"
agent n1 join && fail "a join succeeded though slurmctld could not be restarted"
grep -q "hook answered 503: slurm: restarting slurmctld: /bin/false: exited with status 1" "$T/n1.agent.log" ||
    fail "the failed restart is not the reason given"
sed -i "s|^restart = .*|restart = $VT_DIR/restart-slurmctld|" "$CONF"
hookd_stop
hookd_start
agent_conf n1 "$tok"
agent n1 join || fail "rejoin of n1 once the restart works again"
reach vm-1

# leave: the line goes, and so does the node
agent n3 leave || fail "leave of n3"
gone() { ! grep -q "^NodeName=$v3 " "$FRAG" && [ "$(node_state $v3)" = absent ]; }
wait_for 30 "$v3 out of the fragment and of Slurm" gone
grep -q "^NodeName=vm-1 " "$FRAG" && grep -q "^NodeName=$v2 " "$FRAG" ||
    fail "fragment lost a node: $(cat "$FRAG")"
exit 0
