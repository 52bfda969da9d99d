#!/bin/bash
# vnode-agent run, as the systemd service runs it: it joins, tells systemd
# it is ready ($NOTIFY_SOCKET), reports its step times (the hook's
# /metrics), waits at the hook for orders; a retire order and a SIGTERM
# (every shutdown) each make it leave, a running job requeued; a node whose
# token expired long ago joins again with its own credential.
. "$(dirname "$0")/test.common"
vt_init
command -v python3 >/dev/null || skip "python3 (for the notify socket fixture) is not installed"
ctl_start
nodes n1 n2 n3 n4
metrics() { sb ctl curl -sf "http://$CTL_IP:$HOOK_PORT/metrics"; }

# 1. run, with a notify socket standing in for systemd's
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
while True:
    print(s.recv(4096).decode().replace("\n", " "), flush=True)
' "$T/notify.sock" >"$T/notify.log" 2>&1 &
at_exit kill $!
wait_for 10 "notify fixture" test -S "$T/notify.sock"
sb n1 env NOTIFY_SOCKET="$T/notify.sock" "$VNODE_BIN/vnode-agent" -C none run \
    >>"$T/n1.agent.log" 2>&1 &
run1=$!
wait_for 30 "READY=1 from n1" grep -q "READY=1 STATUS=joined as vm-1" "$T/notify.log"
metrics | grep -q '^vnode_join_phase_seconds_count{phase="time"} 1$' ||
    fail "step times not in /metrics: $(metrics | grep phase_seconds_count)"
metrics | grep -q '^vnode_joins_total{result="admitted"} 1$' || fail "joins in /metrics"
waiting() { metrics | grep -q '^vnode_heartbeats_waiting 1$'; }
wait_for 10 "n1's heartbeat waiting at the hook" waiting

# 2. retire: the waiting heartbeat gets the order at once, the node leaves
vnodectl retire vm-1 2>/dev/null || fail "vnodectl retire"
wait_for 15 "n1 left after retire" sh -c "! kill -0 $run1 2>/dev/null"
wait $run1 || fail "run on n1 exited with $?"
grep -q "order [0-9]*: retire: leaving" "$T/n1.agent.log" || fail "retire not logged"
grep -q "left as vm-1" "$T/n1.agent.log" || fail "n1 did not leave"
sb ctl scontrol show node vm-1 >/dev/null 2>&1 && fail "vm-1 still in Slurm"
grep -q "STOPPING=1" "$T/notify.log" || fail "no STOPPING=1"

# 3. SIGTERM with a job running: requeued, node gone, agent exits 0
sb n2 "$VNODE_BIN/vnode-agent" -C none run >>"$T/n2.agent.log" 2>&1 &
run2=$!
wait_for 30 "n2 joined" grep -q "joined as vm-2" "$T/n2.agent.log"
job=$(sb_user ctl sbatch --parsable --requeue -D "$T/work" -w vm-2 --wrap 'sleep 600')
running() { [ "$(job_state "$job")" = RUNNING ]; }
wait_for 60 "job $job running" running
# SIGTERM to the agent itself (as systemd sends it), by its pid in the node
apid=$(sb n2 pgrep -x vnode-agent) || fail "no agent running on n2"
sb n2 kill -TERM "$apid"
wait $run2 || fail "run on n2 exited with $? after SIGTERM"
grep -q "drain: vm-2 drained; job $job requeued" "$T/n2.agent.log" ||
    fail "SIGTERM: job not requeued"
[ "$(job_state "$job")" = PENDING ] || fail "job $job is $(job_state "$job")"
sb ctl scontrol show node vm-2 >/dev/null 2>&1 && fail "vm-2 still in Slurm"
sb ctl scancel "$job"

# 4. an order given while the node is not listening is not lost to the
# join's report of its step times; an order for a node that left is void
agent n4 join || fail "join of n4"
vm4=$(sed -n 's/.*ready: \(vm-[0-9]*\) is.*/\1/p' "$T/n4.agent.log")
vnodectl retire "$vm4" 2>/dev/null || fail "retire $vm4"
timeout 60 nsenter -t "${SB_PID[n4]}" -n -m -u -p -r -w -- \
    "$VNODE_BIN/vnode-agent" -C none run >>"$T/n4.agent.log" 2>&1 ||
    fail "run on n4 did not leave on the waiting retire order ($?)"
grep -q "order [0-9]*: retire: leaving" "$T/n4.agent.log" || fail "n4: retire not logged"
agent n4 join || fail "n4 joining again"
vnodectl retire "$vm4" 2>/dev/null || fail "retire $vm4 again"
agent n4 leave || fail "leave of n4"
agent n4 join || fail "n4 joining a third time"
sb n4 "$VNODE_BIN/vnode-agent" -C none run >>"$T/n4.agent.log" 2>&1 &
run4=$!
n4waits() { metrics | grep -q '^vnode_heartbeats_waiting 1$'; }
wait_for 30 "n4 waiting for orders" n4waits
sleep 1
kill -0 $run4 2>/dev/null || fail "n4 left on an order given before it left"
apid=$(sb n4 pgrep -x vnode-agent) && sb n4 kill -TERM "$apid"
wait $run4 || fail "run on n4 exited with $? after SIGTERM"

# 5. the token expires; the node reboots and joins with its credential
short=$(token 1 2s)
agent_conf n3 "$short"
agent n3 join || fail "first join of n3"
sleep 3
agent n3 join || fail "n3 could not join again once its token expired"
grep -q "join: readmitted as vm-" "$T/n3.agent.log" || fail "n3 not readmitted"
# without the credential (a new disk), the expired token is refused
rm "$T/sb/n3/var/lib/vnode/node.json"
agent n3 join && fail "joined with an expired token"
grep -q "refused by the hook (403): token ${short%%.*} expired" "$T/n3.agent.log" ||
    fail "expired token: reason not printed"
exit 0
