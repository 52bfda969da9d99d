#!/bin/bash
# The controller's time server is down: the agent stops at the time step
# with one clear line and its exit code, before munge; slurmd never starts,
# and the hook never hears of the node.  A time server that answers but
# is not synchronised itself is named as such, not as no answer.
. "$(dirname "$0")/test.common"
vt_init
ctl_start
# the controller's chronyd, by the pid it wrote (the sandbox's own /run)
cpid=$(sb ctl cat /run/chrony/chronyd.pid) && [ -n "$cpid" ] ||
    fail "no pid file of the controller's chronyd"
sb ctl kill "$cpid"
gone() { ! sb ctl kill -0 "$cpid" 2>/dev/null; }
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

# the controller's time server answers, but has no time itself (no
# "local stratum", no source): told apart from no answer at all
cat >"$T/sb/ctl/etc/chrony/unsynced.conf" <<EOF
allow $VT_SUBNET.0/24
bindaddress $CTL_IP
driftfile /var/lib/chrony/chrony.drift
EOF
sb ctl /usr/sbin/chronyd -x -f /etc/chrony/unsynced.conf || fail "chronyd (unsynchronised) on the controller"
node_create n2
agent_conf n2 "$(token 1)" "time_timeout = 3"
agent n2 join
rc=$?
[ $rc = 3 ] || fail "agent on n2 exited $rc, not 3 (time step)"
grep -q "vnode-agent: time: FAILED after [0-9.]* s: not synchronised with $CTL_IP within 3 s: $CTL_IP answers ([0-9]* packets), but is not synchronised itself (leap status: Not synchronised" \
    "$T/n2.agent.log" || fail "an unsynchronised server taken for no answer: $(grep 'time:' "$T/n2.agent.log")"
exit 0
