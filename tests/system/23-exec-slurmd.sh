#!/bin/bash
# vnode-agent exec-slurmd, the ExecStart of the package's drop-in for
# slurmd.service (the VM test runs it under systemd): slurmd becomes the
# process, with the arguments of /run/vnode/slurmd.args one per line, so
# --conf's value keeps its spaces; a missing, empty or unterminated file is
# refused with the file and the reason; the leave removes the file.
. "$(dirname "$0")/test.common"
vt_init
ctl_start
nodes n1
ARGS=/run/vnode/slurmd.args

refused() {
	local what=$1 want=$2 msg
	msg=$(sb n1 "$VNODE_BIN/vnode-agent" exec-slurmd 2>&1) &&
	    fail "exec-slurmd ran with $what"
	echo "$msg" | grep -qx "vnode-agent: exec-slurmd: $ARGS: $want" ||
	    fail "$what: '$msg'"
	say "refused as it should: $what: $msg"
}
refused "no file" "No such file or directory"
sb n1 sh -c "mkdir -p /run/vnode && : >$ARGS"
refused "an empty file" "empty"
sb n1 sh -c "printf -- '-D\n-s' >$ARGS"
refused "an unterminated last line" "last line unterminated"
sb n1 sh -c "for i in \$(seq 40); do echo -s; done >$ARGS"
refused "40 arguments" "too many arguments"
sb n1 rm -f "$ARGS"

# the agent joins and starts slurmd itself (no systemd in the sandbox)
agent n1 join || fail "join on n1"
vm=$(sed -n 's/.*ready: \(vm-[0-9]*\) is.*/\1/p' "$T/n1.agent.log")
[ -n "$vm" ] || fail "no ready line"
# cmdline PID: its arguments, one per line
cmdline() { sb n1 cat "/proc/$1/cmdline" | tr '\0' '\n'; }
pid=$(sb n1 cat /run/slurmd.pid) || fail "no slurmd pid file"
cmdline "$pid" >"$T/direct.args"
grep -qx -- '--conf' "$T/direct.args" || fail "not a dynamic node's slurmd: $(cat "$T/direct.args")"
sb n1 kill -TERM "$pid"
gone() { ! sb n1 kill -0 "$pid"; }
wait_for 30 "slurmd $pid stopped" gone

# as slurmd.service would: the same arguments, in the foreground
{ echo -D; echo -s; tail -n +2 "$T/direct.args"; } | sb n1 sh -c "cat >$ARGS"
sb n1 "$VNODE_BIN/vnode-agent" exec-slurmd >"$T/exec.log" 2>&1 &
new() { p=$(sb n1 cat /run/slurmd.pid) && [ "$p" != "$pid" ]; }
wait_for 30 "slurmd started by exec-slurmd" new
cmdline "$p" >"$T/exec.args"
{ echo /usr/sbin/slurmd; echo -D; echo -s; tail -n +2 "$T/direct.args"; } >"$T/want.args"
diff "$T/want.args" "$T/exec.args" >&2 ||
    fail "slurmd's arguments differ from $ARGS (above)"
grep -Eqx 'CPUs=[0-9]+ RealMemory=[0-9]+ Feature=[a-z0-9,]+' "$T/exec.args" ||
    fail "--conf's value is not one argument: $(cat "$T/exec.args")"
say "slurmd $p runs as: $(tr '\n' ' ' <"$T/exec.args")"
# and it is the node: a job runs there
job=$(sb_user ctl sbatch --parsable -D "$T/work" -w "$vm" -o "$T/work/job.out" \
    --wrap 'echo "on $SLURMD_NODENAME"') || fail "sbatch to $vm"
wait_for 60 "job $job's output" grep -q . "$T/work/job.out"
[ "$(cat "$T/work/job.out")" = "on $vm" ] || fail "job $job wrote: $(cat "$T/work/job.out")"
say "job $job ran on $vm under the slurmd of exec-slurmd"

# the leave takes the arguments away with slurmd: slurmd.service cannot
# start the node again by itself once it has left
agent n1 leave || fail "leave on n1"
! sb n1 test -e "$ARGS" || fail "$ARGS still there after the leave"
! sb n1 kill -0 "$p" 2>/dev/null || fail "slurmd $p still running after the leave"
exit 0
