#!/bin/bash
# provider = exec: a site's own program (tests/system/exec-cloud, a python
# script whose "cloud" is vnode-privd's sandboxes) makes, lists and
# deletes the instances through the exec protocol of hookd.conf(5).  A job
# runs on a node it made, and the node goes when idle.  Its bad answers
# each fail the create with a reason that says what was wrong, nothing
# half-done: not JSON, a state the protocol does not have (the sandbox it
# made anyway is deleted as an orphan), a refusal with its own words
# (quota); the job waits meanwhile and runs once the program behaves.
. "$(dirname "$0")/test.common"
vt_init
command -v python3 >/dev/null || skip "python3 is not installed (run make check)"
mkdir -p "$T/exec"
cp "$VT_DIR/exec-cloud" "$T/exec/exec-cloud"
printf '{"privd_call": "%s", "socket": "/run/vnode/privd.sock"}\n' \
    "$VNODE_BIN/tests/privd-call" >"$T/exec/exec-cloud.json"
: >"$T/exec/MODE"
chmod 755 "$T/exec" "$T/exec/exec-cloud"
chmod 644 "$T/exec/exec-cloud.json" "$T/exec/MODE"
ELASTIC_PROVIDER=exec ORPHAN_GRACE=10 PROVIDER_BACKOFF=5 SYNC_INTERVAL=2
HOOKD_EXTRA="exec_program = $T/exec/exec-cloud"
elastic_env 2
ctl_start
privd_start
has_ev() { vnodectl events | grep -Eq "$1"; }

# 1. a job through the site's program
A=$(submit -p cloud -o "$T/work/A.out" --wrap 'hostname')
wait_for 90 "job A $A ends" job_ended "$A"
job_is "$A" COMPLETED || fail "job A is $(job_field "$A" JobState)"
anode=$(cat "$T/work/A.out")
ainst=$(vnodectl instances | awk -v n="$anode" '$2 == n && $3 == "exec" { print $4 }')
case $ainst in l-$anode-*) ;; *) fail "instance of $anode: $(vnodectl instances)" ;; esac
deleted() { vnodectl instances | awk -v i="$ainst" '$4 == i && $5 == "deleted"' | grep -q .; }
wait_for 90 "$anode suspended, its instance deleted through exec-cloud" deleted
gone() { ! privd_call list | grep -Eq "^$ainst .* (creating|running) "; }
wait_for 60 "the sandbox of $ainst gone" gone
say "1: job A ran on $anode ($ainst, made by exec-cloud), deleted when idle"

# 2. bad answers: each a clear reason, the job waits
B=$(submit -p cloud -o "$T/work/B.out" --wrap 'hostname')
for m in garbage badstate refuse; do
	echo "$m" >"$T/exec/MODE"
	case $m in
	garbage) want='create-failed .*exec-cloud create: .*(JSON|json)' ;;
	badstate) want='create-failed .*"state": "galloping" is not building, running, stopping, error or gone' ;;
	refuse) want='create-failed .*exec-cloud create: .*quota exceeded: 0 instances left' ;;
	esac
	wait_for 120 "$m: the create failed with its reason" has_ev "$want"
	say "2 ($m): $(vnodectl events | grep -E "$want" | tail -n 1 | cut -c1-200)"
	case $(job_field "$B" JobState) in
	PENDING|CONFIGURING) ;;
	*) fail "$m: job B is $(job_field "$B" JobState)" ;;
	esac
done
# the sandbox made under a state the hook refused is an orphan, deleted
wait_for 60 "the sandbox of the refused answer deleted as an orphan" has_ev " orphan +exec l-cloud-"
: >"$T/exec/MODE"
wait_for 150 "job B $B ends once exec-cloud behaves" job_ended "$B"
job_is "$B" COMPLETED || fail "job B is $(job_field "$B" JobState)"
say "2: job B ran on $(cat "$T/work/B.out") after the bad answers"
exit 0
