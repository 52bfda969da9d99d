#!/bin/bash
# kill -9 of vnode-hookd at random moments while a burst of nodes joins
# (conf mode, the one with a file to break), again and again: the fragment
# is always one slurmctld reads, and every agent, retrying, ends up
# admitted exactly once: one registry entry, one fragment line, one Slurm
# node, IDLE.
. "$(dirname "$0")/test.common"
vt_init
HOOKD_EXTRA="admit = conf
restart = $VT_DIR/restart-slurmctld
batch_window = 0.3"
ctl_start
NODES="n1 n2 n3 n4 n5"
nodes $NODES
FRAG=$T/sb/ctl/etc/slurm/vnode-nodes.conf
ROUNDS=${VNODE_CRASH_ROUNDS:-10}

check_fragment() {
	local bad
	bad=$(grep -v '^#' "$FRAG" | grep -Ev '^NodeName=vm-[0-9]+ NodeAddr=[0-9.]+ NodeHostname=n[0-9] CPUs=1 RealMemory=[0-9]+ Features=vnode$')
	[ -z "$bad" ] || fail "fragment has a broken line: $bad"
	sb ctl scontrol ping | grep -q UP || fail "slurmctld is not up"
}

for r in $(seq "$ROUNDS"); do
	pids=()
	i=0
	for n in $NODES; do
		# after the first round every node comes back at a new address,
		# so each burst changes the fragment and restarts slurmctld
		i=$((i + 1))
		[ "$r" -gt 1 ] && node_readdress "$n" "$VT_SUBNET.$((100 + r * 10 + i))"
		agent "$n" join >/dev/null 2>&1 &
		pids+=($!)
	done
	# somewhere in the join: time sync, the batch window, the restart
	sleep "$(printf '0.%03d' $((RANDOM % 1000)))"
	sleep $((RANDOM % 3))
	pid=$(sb ctl pgrep -x vnode-hookd) || fail "round $r: no vnode-hookd"
	sb ctl kill -KILL "$pid"
	say "round $r: vnode-hookd killed; $(grep -vc '^#' "$FRAG") lines in the fragment"
	sleep 0.5
	# the restart it may have started goes on without it
	up() { sb ctl scontrol ping | grep -q UP; }
	wait_for 60 "slurmctld up after round $r" up
	check_fragment
	hookd_start
	for p in "${pids[@]}"; do
		wait "$p" || fail "round $r: an agent's join exited with $?"
	done
	check_fragment
	for n in $NODES; do
		[ "$(vnodectl nodes | grep -c "inst-$n-$NSP\$")" = 1 ] ||
		    fail "round $r: $n in the registry $(vnodectl nodes | grep -c "inst-$n-$NSP\$") times"
		v=$(node_name "$n")
		[ "$(grep -c "^NodeName=$v " "$FRAG")" = 1 ] ||
		    fail "round $r: $v in the fragment $(grep -c "^NodeName=$v " "$FRAG") times"
		grep -q "^NodeName=$v NodeAddr=$(node_ip "$n") " "$FRAG" ||
		    fail "round $r: $v not at $(node_ip "$n") in the fragment"
		# a later restart in the same burst makes slurmctld learn
		# the node's state anew: UNKNOWN until its next ping
		idle() { [ "$(node_state "$v")" = idle ]; }
		wait_for 30 "round $r: $v idle (it is $(node_state "$v"))" idle
	done
	[ "$(grep -vc '^#' "$FRAG")" = 5 ] || fail "round $r: fragment: $(cat "$FRAG")"
done
exit 0
