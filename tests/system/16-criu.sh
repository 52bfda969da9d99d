#!/bin/bash
# The criu that make criu builds (ckpt/criu/build) dumps and restores an
# ordinary user's process as jobs will run: in a PID namespace of its own,
# a root init as pid 1, the user's counter loop its child.  The counter goes
# on after the restore where it stopped: no restart from 1, no number
# missing.  Where root lacks CAP_SYS_RESOURCE, the dump reads the user's
# limits from /proc/PID/limits (ckpt/criu/0001-*.patch).
. "$(dirname "$0")/test.common"
CRIU=$VNODE_BIN/criu/criu
if [ ! -x "$CRIU" ]; then
	[ -s "$CRIU.unavailable" ] && skip "criu was not built: $(head -n 1 "$CRIU.unavailable")"
	skip "no $CRIU (make criu builds it)"
fi
vt_init

ver=$("$CRIU" --version) || fail "criu --version: $ver"
[[ $ver =~ ^Version:\ ([0-9]+)\.([0-9]+) ]] || fail "criu --version said '$ver'"
[ "${BASH_REMATCH[1]}" -gt 4 ] ||
    { [ "${BASH_REMATCH[1]}" = 4 ] && [ "${BASH_REMATCH[2]}" -ge 2 ]; } ||
    fail "criu $ver: 4.2 or newer wanted"

# the job: a counter, one number a line every 0.1 s, in a directory the
# user owns; started by the init's set-up, so init is its parent
out=$T/work/out
cat >"$T/setup" <<EOF
#!/bin/sh
setpriv --reuid=$VT_USER --regid=$VT_USER --init-groups sh -c \
    'i=0; while :; do i=\$((i+1)); echo \$i >>$out; sleep 0.1; done' \
    </dev/null >/dev/null 2>&1 &
EOF
chmod 755 "$T/setup"
# setsid: the init leads the session, which CRIU wants inside the namespace.
# The init's files are its own: CRIU restores an open file only when its
# size is the one dumped, and unshare writes to its standard error when the
# dump ends its child; nor does it keep any other of the test's files
# (test.common's fd 3, and in a rooted namespace, see vt_rooted, files
# from outside its mounts, which CRIU could not dump).
(cd / && for fd in $(ls /proc/$BASHPID/fd); do
	[ "$fd" -gt 2 ] && eval "exec $fd>&-"
done
exec unshare --pid --fork setsid sh -c 'exec "$0" "$1" 2>"$2"' \
    "$VNODE_BIN/tests/sbinit" "$T/setup" "$T/init.err" \
    >"$T/init.out" 2>"$T/unshare.err" </dev/null) &
outer=$!
init=
for i in $(seq 100); do
	init=$(cat "/proc/$outer/task/$outer/children" 2>/dev/null) || init=
	init=${init%% *}
	[ -n "$init" ] && grep -q ready "$T/init.out" 2>/dev/null && break
	sleep 0.05
done
[ -n "$init" ] || fail "the namespace's init did not start: $(cat "$T/init.err")"
at_exit "kill -KILL $init 2>/dev/null"
wait_for 10 "the counter writes" test -s "$out"
job=$(cat "/proc/$init/task/$init/children")
job=${job%% *}
[ "$(stat -c %U "/proc/$job")" = "$VT_USER" ] || fail "the job runs as $(stat -c %U "/proc/$job")"
[ "$(awk '/^NSpid/ { print $3 }' "/proc/$init/status")" = 1 ] ||
    fail "the init is not pid 1 of a namespace: $(grep NSpid "/proc/$init/status")"
nspid=$(awk '/^NSpid/ { print $3 }' "/proc/$job/status")
[ -n "$nspid" ] || fail "the job is not in the init's namespace: $(grep NSpid "/proc/$job/status")"
sleep 0.5

# dump the init's tree (which ends it), then restore it, detached
mkdir -p "$T/img"
# every criu call is bounded: a hung dump fails here with CRIU's log tail
criu_bounded() {
	local what=$1 log=$2 rc
	shift 2
	timeout -k 5 60 "$CRIU" "$@"
	rc=$?
	[ $rc = 0 ] && return 0
	[ $rc = 124 ] || [ $rc = 137 ] &&
	    say "criu $what did not finish within 60 s; the last lines of its log:"
	tail -n 15 "$log" | sed 's/^/    /' >&3
	fail "criu $what (exit $rc)"
}
criu_bounded dump "$T/img/dump.log" dump -t "$init" -D "$T/img" -v4 -o dump.log
# the dump ends the tree (SIGKILL): gone once its parent has reaped it
init_gone() { ! kill -0 "$init" 2>/dev/null; }
wait_for 10 "the init gone after the dump" init_gone
wait "$outer"
last=$(tail -n 1 "$out")
[ -n "$last" ] || fail "no counter value before the dump"
say "dumped at $last; $(du -sk "$T/img" | cut -f1) kB of images"
# without CAP_SYS_RESOURCE prlimit() on the user's process says EPERM
if [ $((0x$(awk '/^CapEff/ { print $2 }' /proc/self/status) >> 24 & 1)) = 0 ]; then
	grep -q "reading /proc/[0-9]*/limits" "$T/img/dump.log" ||
	    fail "root lacks CAP_SYS_RESOURCE, yet the dump did not read /proc/PID/limits"
	say "root lacks CAP_SYS_RESOURCE: the limits came from /proc/PID/limits"
fi
sleep 0.3
[ "$(tail -n 1 "$out")" = "$last" ] || fail "the counter went on after the dump"

criu_bounded restore "$T/img/restore.log" restore -D "$T/img" \
    --restore-detached --pidfile "$T/restored.pid" -v2 -o restore.log
init=$(cat "$T/restored.pid")
at_exit "kill -KILL $init 2>/dev/null"
wait_for 10 "the counter past $((last + 5))" \
    sh -c "[ \"\$(tail -n 1 $out)\" -gt $((last + 5)) ]"
# every number once, in order: 1, 2, ... with nothing lost or repeated
awk 'NR != $1 { print "line " NR " is " $1; bad = 1; exit } END { exit bad }' "$out" ||
    fail "the counter did not continue: $(awk 'NR != $1 { print "line " NR " is " $1; exit }' "$out")"
job=$(cat "/proc/$init/task/$init/children")
job=${job%% *}
[ "$(stat -c %U "/proc/$job")" = "$VT_USER" ] || fail "the restored job runs as $(stat -c %U "/proc/$job")"
[ "$(awk '/^NSpid/ { print $3 }' "/proc/$init/status")" = 1 ] ||
    fail "the restored init is not pid 1 of a namespace"
[ "$(awk '/^NSpid/ { print $3 }' "/proc/$job/status")" = "$nspid" ] ||
    fail "the restored job is not pid $nspid of its namespace: $(grep NSpid "/proc/$job/status")"
say "restored; the counter went on from $last to $(tail -n 1 "$out")"
exit 0
