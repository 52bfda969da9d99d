#!/bin/bash
# vnodectl check-slurm against the running slurmctld: with the poster's
# preemption (ckpt_partitions) and Slurm's default SchedulerParameters it
# warns about batch_sched_delay, says what else is right, and exits 1;
# once slurm.conf has the recommended SchedulerParameters=
# batch_sched_delay=0 and slurmctld restarted, it says the configuration
# is OK and exits 0.  (Each check's wording: tests/unit/test_slurmcheck.)
. "$(dirname "$0")/test.common"
vt_init
preempt_env 1
ctl_start

out=$(vnodectl check-slurm 2>&1)
rc=$?
echo "$out" >"$T/check.1"
[ $rc = 1 ] || fail "check-slurm exited $rc, not 1: $out"
for l in "ok   Slurm: slurmctld $(slurm_release)\." \
    "ok   SelectType: select/cons_tres" \
    "ok   SlurmctldParameters: enable_configless" \
    "ok   PreemptMode: SUSPEND,GANG (preempt/partition_prio)" \
    "warn SchedulerParameters: no batch_sched_delay=0:" \
    "ok   move_interval: 0.5 s" "check-slurm: 1 warning$"; do
	echo "$out" | grep -q "^$l" || fail "no \"$l\" in: $out"
done

S=$T/sb/ctl
echo "SchedulerParameters=batch_sched_delay=0" >>"$S/etc/slurm/slurm.conf"
sb ctl "$VT_DIR/restart-slurmctld" || fail "restarting slurmctld"
wait_for 30 "slurmctld answers" sb ctl scontrol ping
out=$(vnodectl check-slurm 2>&1) || fail "check-slurm exited $?: $out"
echo "$out" | grep -q "^ok   SchedulerParameters: batch_sched_delay=0" ||
    fail "no ok for SchedulerParameters: $out"
echo "$out" | grep -q "^check-slurm: configuration OK for vnode (admit = dynamic, ckpt_partitions)$" ||
    fail "not OK: $out"
say "$(echo "$out" | tail -n 1)"
exit 0
