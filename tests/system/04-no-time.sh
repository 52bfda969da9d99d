#!/bin/bash
# The controller's time server is down: the agent stops at the time step
# with one clear line and its exit code, before munge; slurmd never starts,
# and the hook never hears of the node.
. "$(dirname "$0")/test.common"
vt_init
ctl_start
sb ctl pkill -x chronyd
gone() { ! sb ctl pgrep -x chronyd; }
wait_for 10 "controller's chronyd stopped" gone

node_create n1
agent_conf n1 "$(token 1)" "time_timeout = 3"
agent n1 join
rc=$?
[ $rc = 3 ] || fail "agent exited $rc, not 3 (time step)"
grep -q "vnode-agent: time: FAILED after [0-9.]* s: not synchronised with $CTL_IP within 3 s: no NTP answer from $CTL_IP .*; not starting munge or slurmd" \
    "$T/n1.agent.log" || fail "no clear line for the time step"
grep -q "vnode-agent: join:" "$T/n1.agent.log" && fail "the agent went on to join"
[ -e "$T/sb/n1/etc/munge/munge.key" ] && fail "munge key installed"
sb n1 pgrep -x munged >/dev/null && fail "munged started"
sb n1 pgrep -x slurmd >/dev/null && fail "slurmd started"
[ "$(vnodectl nodes | wc -l)" = 1 ] || fail "the registry has nodes: $(vnodectl nodes)"
exit 0
