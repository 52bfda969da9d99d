#!/bin/bash
# Three nodes join through vnode-agent and vnode-hookd, become IDLE, run
# srun -N3 across them and a batch job as an ordinary user.
. "$(dirname "$0")/test.common"
vt_init
ctl_start

nodes n1 n2 n3

# all three at once, as a launch of three instances would
for n in n1 n2 n3; do
	agent $n join &
	eval "pid_$n=\$!"
done
for n in n1 n2 n3; do
	eval "wait \$pid_$n" || fail "vnode-agent join on $n exited with $?"
done

for n in n1 n2 n3; do
	grep -q "vnode-agent: time: synchronised with $CTL_IP" "$T/$n.agent.log" ||
	    fail "$n: no time step line"
	grep -q "vnode-agent: munge: key installed" "$T/$n.agent.log" ||
	    fail "$n: no munge step line"
	grep -Eq "vnode-agent: ready: vm-[0-9]+ is IDLE in Slurm" "$T/$n.agent.log" ||
	    fail "$n: not reported IDLE"
	# the munge key: the controller's, 0400, owner munge
	cmp -s "$T/sb/ctl/etc/munge/munge.key" "$T/sb/$n/etc/munge/munge.key" ||
	    fail "$n: munge key differs from the controller's"
	[ "$(stat -c %a:%U "$T/sb/$n/etc/munge/munge.key")" = 400:munge ] ||
	    fail "$n: munge key mode/owner $(stat -c %a:%U "$T/sb/$n/etc/munge/munge.key")"
done

# Slurm sees three IDLE nodes, named by the hook, at the nodes' addresses
idle=$(sb ctl sinfo -h -N -p vnode -t idle -o %N | sort | tr '\n' ' ')
[ "$idle" = "vm-1 vm-2 vm-3 " ] || fail "IDLE nodes: '$idle'"
for n in n1 n2 n3; do
	vm=$(sed -n 's/.*ready: \(vm-[0-9]*\) is.*/\1/p' "$T/$n.agent.log")
	addr=$(sb ctl scontrol show node "$vm" | sed -n 's/.*NodeAddr=\([^ ]*\).*/\1/p')
	[ "$addr" = "$(node_ip $n)" ] || fail "$vm ($n): NodeAddr $addr, not $(node_ip $n)"
done

# a parallel step across all three, as an ordinary user
hosts=$(cd / && sb_user ctl timeout 60 srun -N3 -D "$T/work" hostname | sort | tr '\n' ' ')
[ "$hosts" = "n1 n2 n3 " ] || fail "srun -N3 hostname gave '$hosts'"

# a batch job on one node
vm=$(sed -n 's/.*ready: \(vm-[0-9]*\) is.*/\1/p' "$T/n2.agent.log")
job=$(sb_user ctl sbatch --parsable -D "$T/work" -w "$vm" -o "$T/work/batch.out" \
    --wrap 'echo "$(id -un) on $(hostname) as $SLURMD_NODENAME"')
[ -n "$job" ] || fail "sbatch refused the job"
wait_for 60 "batch job $job output" grep -q . "$T/work/batch.out"
out=$(cat "$T/work/batch.out")
[ "$out" = "$VT_USER on n2 as $vm" ] || fail "batch job wrote '$out'"

# the registry agrees
admitted=$(vnodectl nodes | awk '$2 == "admitted"' | wc -l)
[ "$admitted" = 3 ] || fail "registry has $admitted admitted nodes"
vnodectl token list | grep -q "^${tok%%.*} *3 *3 .*spent" ||
    fail "token not shown as spent with 3 of 3 uses: $(vnodectl token list)"

# the agent again on n1 (a reboot): the same node, no new use of the token
vm1=$(sed -n 's/.*ready: \(vm-[0-9]*\) is.*/\1/p' "$T/n1.agent.log")
agent n1 join || fail "second join on n1"
grep -q "join: readmitted as $vm1," "$T/n1.agent.log" || fail "n1 not readmitted as $vm1"
[ "$(sb ctl sinfo -h -N -p vnode -o %N | wc -l)" = 3 ] || fail "a fourth node appeared"
[ "$(vnodectl nodes | wc -l)" = 4 ] || fail "registry: $(vnodectl nodes)"
[ "$(node_state "$vm1")" = idle ] || fail "$vm1 is $(node_state "$vm1") after rejoin"
exit 0
