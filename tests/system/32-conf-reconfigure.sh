#!/bin/bash
# admit = conf with apply = reconfigure: the hook writes the node lines of
# the fragment slurm.conf Includes and asks slurmctld to reconfigure, as
# "scontrol reconfigure" does; no restart command (and no grant to run
# one).  Slurm 24.11 takes new and removed nodes that way (slurmctld
# starts itself anew and keeps its jobs); 22.05's slurmctld exits with
# "node count has changed", so there this SKIPs (13-conf-mode restarts).
# Jobs running across the reconfigure, batch and srun, carry on; a node
# that leaves loses its line and is gone from Slurm.
. "$(dirname "$0")/test.common"
vt_init
slurm_at_least 23.11 ||
    skip "Slurm $(slurm_release)'s slurmctld exits on a reconfigure that changes the node count (13-conf-mode restarts it instead)"
# (a restart would fail: the hook must not need one)
HOOKD_EXTRA="admit = conf
apply = reconfigure
restart = /bin/false"
ctl_start
nodes n1 n2 n3
FRAG=$T/sb/ctl/etc/slurm/vnode-nodes.conf
metric() {
	sb ctl curl -s "http://$CTL_IP:$HOOK_PORT/metrics" |
	    awk -v m="$1" '$1 == m { print $2 }'
}

agent n1 join || fail "join of n1"
grep -q "^NodeName=vm-1 NodeAddr=$(node_ip n1) NodeHostname=n1 " "$FRAG" ||
    fail "vm-1 not in the fragment: $(cat "$FRAG")"
reach vm-1

# work on vm-1 across the next reconfigure: a batch job and an srun step
j=$(sb_user ctl sbatch --parsable -w vm-1 -t 5 -o "$T/work/batch.out" \
    --wrap 'for i in 1 2 3 4 5 6 7 8; do echo $i; sleep 1; done; echo batch-done') ||
    fail "sbatch"
sb_user ctl timeout 120 srun -w vm-1 -t 5 \
    sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 1; done; echo srun-done' \
    >"$T/work/srun.out" 2>&1 &
s=$!
running() { [ "$(job_state "$j")" = RUNNING ] && [ -s "$T/work/batch.out" ]; }
wait_for 30 "batch job $j running" running

agent n2 join || fail "join of n2"
agent n3 join || fail "join of n3"
v2=$(node_name n2)
v3=$(node_name n3)
for v in $v2 $v3; do
	[ "$(node_state $v)" = idle ] || fail "$v is $(node_state $v)"
done
[ "$(metric vnode_admission_restarts_total)" = 0 ] ||
    fail "the hook restarted slurmctld: $(metric vnode_admission_restarts_total)"
say "n2 and n3 joined by reconfigure, no restart"

[ "$(job_state "$j")" = RUNNING ] || fail "batch job $j is $(job_state "$j") after the reconfigure"
wait $s || fail "srun across the reconfigure exited with $?: $(cat "$T/work/srun.out")"
grep -q '^srun-done$' "$T/work/srun.out" || fail "srun output: $(cat "$T/work/srun.out")"
finished() { [ -z "$(job_state "$j")" ]; }
wait_for 60 "batch job $j finished" finished
[ "$(seq 8; echo batch-done)" = "$(cat "$T/work/batch.out")" ] ||
    fail "batch output: $(cat "$T/work/batch.out")"
sb ctl scontrol show job "$j" 2>/dev/null | grep -q "Restarts=[1-9]" &&
    fail "batch job $j was requeued"
reach "$v2"

# leave: the line goes, and so does the node
agent n3 leave || fail "leave of n3"
gone() { ! grep -q "^NodeName=$v3 " "$FRAG" && [ "$(node_state $v3)" = absent ]; }
wait_for 30 "$v3 out of the fragment and of Slurm" gone
grep -q "^NodeName=vm-1 " "$FRAG" && grep -q "^NodeName=$v2 " "$FRAG" ||
    fail "fragment lost a node: $(cat "$FRAG")"
reach vm-1
exit 0
