#!/bin/bash
# Power saving and the hook's dynamic nodes.  With power saving on
# (SuspendTime, SuspendProgram), slurmctld powers down a node that stays
# idle: SuspendProgram runs for it and jobs then wait for ResumeProgram.
# A vnode node is a running VM that joined to work, so that must not
# happen to it: SuspendExcStates=DYNAMIC_NORM (Slurm 23.02 and later)
# leaves the nodes that slurm_create_node made alone.
#   1. without it: the idle dynamic node is powered down (what the setting
#      is for; also on 22.05, which has no SuspendExcStates);
#   2. with it (scontrol update SuspendExcStates=DYNAMIC_NORM): a node
#      that joins stays IDLE past SuspendTime, and a job runs on it at
#      once, without ResumeProgram.
# The power programs only record their calls: what is tested is what
# slurmctld decides.  (vnodectl check-slurm warns when power saving is on
# without the setting: 33-check-slurm.)
. "$(dirname "$0")/test.common"
vt_init
P=$T/power
mkdir -p "$P"
for w in suspend resume; do
	printf '#!/bin/sh\necho "%s $*" >>%s/calls\n' "$w" "$P" >"$P/$w"
	chmod 755 "$P/$w"
done
touch "$P/calls"
chown slurm: "$P/calls"
SLURMCTLD_PARAMS="enable_configless,power_save_interval=1,power_save_min_interval=0"
SLURM_EXTRA="SuspendTime=2
SuspendProgram=$P/suspend
ResumeProgram=$P/resume
SuspendTimeout=5
ResumeTimeout=60"
ctl_start
nodes n1 n2

# 1. powered down when idle
agent n1 join || fail "join of n1"
down() { sb ctl scontrol show node vm-1 | grep -q "State=[^ ]*POWER"; }
wait_for 30 "vm-1 powered down by slurmctld" down
grep -q "^suspend vm-1$" "$P/calls" || fail "SuspendProgram was not run for vm-1: $(cat "$P/calls")"
say "without SuspendExcStates: $(sb ctl scontrol show node vm-1 | grep -o 'State=[^ ]*') after SuspendTime=2 ($(slurm_release | sed 's/^/Slurm /'))"

slurm_at_least 23.02 ||
    skip "Slurm $(slurm_release) has no SuspendExcStates (23.02 brought it); checked: it powers an idle dynamic node down"

# 2. SuspendExcStates=DYNAMIC_NORM: left alone
sb ctl scontrol update SuspendExcStates=DYNAMIC_NORM ||
    fail "scontrol update SuspendExcStates=DYNAMIC_NORM"
sb ctl scontrol show config | grep -q "^SuspendExcStates *= *DYNAMIC_NORM" ||
    fail "SuspendExcStates: $(sb ctl scontrol show config | grep SuspendExc)"
agent n2 join || fail "join of n2"
idle() { [ "$(node_state vm-2)" = idle ]; }
wait_for 30 "vm-2 idle" idle
# four times SuspendTime, with power_save_interval=1
sleep 8
sb ctl scontrol show node vm-2 | grep -q "State=[^ ]*POWER" &&
    fail "vm-2 powered down all the same: $(sb ctl scontrol show node vm-2 | grep -o 'State=[^ ]*')"
grep -q "vm-2" "$P/calls" && fail "a power program ran for vm-2: $(cat "$P/calls")"
j=$(submit -w vm-2 -t 1 -o /dev/null --wrap true)
wait_for 20 "job $j on vm-2 done" job_ended "$j"
job_is "$j" COMPLETED || fail "job $j is $(job_field "$j" JobState)"
grep -q "vm-2" "$P/calls" && fail "ResumeProgram ran for vm-2: $(cat "$P/calls")"
say "with SuspendExcStates=DYNAMIC_NORM: vm-2 $(node_state vm-2) 8 s on, job $j ran at once"
exit 0
