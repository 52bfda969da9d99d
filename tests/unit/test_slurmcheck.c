/*
 * test_slurmcheck - vnodectl check-slurm's judgement: the recommended
 * settings pass; each one missing is one warning, naming the setting and
 * saying what it costs; checks that do not apply to hookd.conf's mode say
 * nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "slurmcheck.h"

struct seen {
	char text[4096];
	int warn;
};

static void
collect(void *arg, enum sc_level level, const char *setting,
    const char *text)
{
	struct seen *s = arg;
	size_t len = strlen(s->text);

	snprintf(s->text + len, sizeof(s->text) - len, "%s %s: %s\n",
	    level == SC_OK ? "ok" : "warn", setting, text);
	if (level == SC_WARN)
		s->warn++;
}

/* What vnode recommends, with preemption: no warning. */
static void
good(struct sl_conf *c, struct hook_config *h)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->version, sizeof(c->version), "24.11.5");
	snprintf(c->lib_version, sizeof(c->lib_version), "24.11.5");
	snprintf(c->sched_params, sizeof(c->sched_params),
	    "bf_interval=30,batch_sched_delay=0");
	snprintf(c->slurmctld_params, sizeof(c->slurmctld_params),
	    "enable_configless");
	snprintf(c->preempt_type, sizeof(c->preempt_type),
	    "preempt/partition_prio");
	snprintf(c->preempt_mode, sizeof(c->preempt_mode), "SUSPEND,GANG");
	snprintf(c->select_type, sizeof(c->select_type), "select/cons_tres");
	c->has_suspend_exc_states = 1;
	c->suspend_time = -1;
	c->job_requeue = 1;
	memset(h, 0, sizeof(*h));
	snprintf(h->admit, sizeof(h->admit), "dynamic");
	h->mode = ADMIT_DYNAMIC;
	snprintf(h->conf_server, sizeof(h->conf_server), "10.0.0.1:6817");
	snprintf(h->ckpt_partitions[0], sizeof(h->ckpt_partitions[0]),
	    "backfill");
	h->nckpt_partitions = 1;
	h->move_interval = 0.5;
}

static int
run(const struct sl_conf *c, const struct hook_config *h, struct seen *s)
{
	int n;

	memset(s, 0, sizeof(*s));
	n = slurmcheck(c, h, collect, s);
	assert_int_equal(n, s->warn);
	return n;
}

static void
recommended_passes(void **state)
{
	struct sl_conf c;
	struct hook_config h;
	struct seen s;

	(void)state;
	good(&c, &h);
	assert_int_equal(run(&c, &h, &s), 0);
	assert_non_null(strstr(s.text, "ok SchedulerParameters: "
	    "batch_sched_delay=0"));
	assert_non_null(strstr(s.text, "ok PreemptMode: SUSPEND,GANG "
	    "(preempt/partition_prio)"));
	assert_non_null(strstr(s.text, "ok SelectType: select/cons_tres"));
}

static void
scheduler_delay(void **state)
{
	struct sl_conf c;
	struct hook_config h;
	struct seen s;

	(void)state;
	good(&c, &h);
	c.sched_params[0] = '\0';
	assert_int_equal(run(&c, &h, &s), 1);
	assert_non_null(strstr(s.text, "warn SchedulerParameters: no "
	    "batch_sched_delay=0: slurmctld schedules a submitted or "
	    "released batch job on its next whole second, and only "
	    "batch_sched_delay (3 s by default) after its last such pass, "
	    "so a high-priority job and a moved job wait up to 4 s more"));
	/* another value is not the recommended one; a longer word is
	 * another key */
	snprintf(c.sched_params, sizeof(c.sched_params),
	    "BATCH_SCHED_DELAY=2,sched_min_interval=2");
	assert_int_equal(run(&c, &h, &s), 1);
	assert_non_null(strstr(s.text, "(2 s) after its last such pass, so "
	    "a high-priority job and a moved job wait up to 3 s more"));
	snprintf(c.sched_params, sizeof(c.sched_params),
	    "batch_sched_delay_x=0");
	assert_int_equal(run(&c, &h, &s), 1);
	/* without ckpt_partitions, preemption is not vnode's business */
	h.nckpt_partitions = 0;
	assert_int_equal(run(&c, &h, &s), 0);
	assert_null(strstr(s.text, "SchedulerParameters"));
}

static void
preemption_and_mover(void **state)
{
	struct sl_conf c;
	struct hook_config h;
	struct seen s;

	(void)state;
	good(&c, &h);
	snprintf(c.preempt_mode, sizeof(c.preempt_mode), "REQUEUE");
	h.move_interval = 1;
	assert_int_equal(run(&c, &h, &s), 2);
	assert_non_null(strstr(s.text, "warn PreemptMode: REQUEUE "
	    "(preempt/partition_prio): the mover moves suspended jobs only"));
	assert_non_null(strstr(s.text, "warn move_interval: 1 s "
	    "(hookd.conf): the mover sees a suspended job and an idle node "
	    "up to that late; 0.5 is recommended"));
	good(&c, &h);
	snprintf(c.preempt_type, sizeof(c.preempt_type), "preempt/none");
	assert_int_equal(run(&c, &h, &s), 1);
}

static void
power_save(void **state)
{
	struct sl_conf c;
	struct hook_config h;
	struct seen s;

	(void)state;
	good(&c, &h);
	c.suspend_time = 600;
	assert_int_equal(run(&c, &h, &s), 1);
	assert_non_null(strstr(s.text, "warn SuspendExcStates: none: power "
	    "saving is on (SuspendTime=600), and slurmctld powers idle vnode "
	    "nodes down"));
	snprintf(c.suspend_exc_states, sizeof(c.suspend_exc_states),
	    "DOWN,dynamic_norm");
	assert_int_equal(run(&c, &h, &s), 0);
	assert_non_null(strstr(s.text, "ok SuspendExcStates: DOWN,dynamic_norm"));
	/* 22.05: no such setting */
	snprintf(c.version, sizeof(c.version), "22.05.8");
	snprintf(c.lib_version, sizeof(c.lib_version), "22.05.8");
	c.has_suspend_exc_states = 0;
	c.suspend_exc_states[0] = '\0';
	assert_int_equal(run(&c, &h, &s), 1);
	assert_non_null(strstr(s.text, "warn SuspendTime: 600: power saving "
	    "is on, and this Slurm has no SuspendExcStates"));
	/* the vnode partition left out of power saving (elastic vnode's
	 * setup) */
	snprintf(c.suspend_exc_parts, sizeof(c.suspend_exc_parts), "vnode");
	assert_int_equal(run(&c, &h, &s), 0);
	assert_non_null(strstr(s.text, "ok power saving: "
	    "SuspendExcParts=vnode: power saving leaves alone the dynamic "
	    "nodes these name, and no others"));
	c.suspend_exc_parts[0] = '\0';
	/* pool slots are declared: not the hook's dynamic nodes */
	snprintf(h.admit, sizeof(h.admit), "pool");
	h.mode = ADMIT_POOL;
	assert_int_equal(run(&c, &h, &s), 0);
}

static void
modes_and_versions(void **state)
{
	struct sl_conf c;
	struct hook_config h;
	struct seen s;

	(void)state;
	good(&c, &h);
	snprintf(c.select_type, sizeof(c.select_type), "select/linear");
	c.slurmctld_params[0] = '\0';
	c.job_requeue = 0;
	assert_int_equal(run(&c, &h, &s), 3);
	assert_non_null(strstr(s.text, "warn SelectType: select/linear: "
	    "slurmctld creates dynamic nodes (admit = dynamic) only with "
	    "select/cons_tres"));
	assert_non_null(strstr(s.text, "warn SlurmctldParameters: no "
	    "enable_configless: nodes start slurmd --conf-server "
	    "10.0.0.1:6817"));
	assert_non_null(strstr(s.text, "warn JobRequeue: 0:"));
	/* conf mode: select/linear is fine; reconfigure wants 23.11 */
	good(&c, &h);
	snprintf(c.select_type, sizeof(c.select_type), "select/linear");
	snprintf(h.admit, sizeof(h.admit), "conf");
	h.mode = ADMIT_CONF;
	h.apply_reconfigure = 1;
	assert_int_equal(run(&c, &h, &s), 0);
	snprintf(c.version, sizeof(c.version), "22.05.8");
	snprintf(c.lib_version, sizeof(c.lib_version), "22.05.8");
	assert_int_equal(run(&c, &h, &s), 1);
	assert_non_null(strstr(s.text, "warn apply: reconfigure: slurmctld "
	    "22.05.8 exits on a reconfigure that changes the node count"));
	/* built against another release */
	good(&c, &h);
	snprintf(c.lib_version, sizeof(c.lib_version), "22.05.8");
	assert_int_equal(run(&c, &h, &s), 1);
	assert_non_null(strstr(s.text, "warn Slurm: slurmctld is 24.11.5, "
	    "vnode was built with libslurm 22.05.8"));
	/* a defunct parameter */
	good(&c, &h);
	snprintf(c.slurmctld_params, sizeof(c.slurmctld_params),
	    "enable_configless,cloud_reg_addrs");
	assert_int_equal(run(&c, &h, &s), 1);
	assert_non_null(strstr(s.text, "warn SlurmctldParameters: "
	    "cloud_reg_addrs, which slurmctld 24.11.5 calls defunct"));
}

static void
overlay(void **state)
{
	struct sl_conf c;
	struct hook_config h;
	struct seen s;

	(void)state;
	good(&c, &h);
	snprintf(c.control_addr, sizeof(c.control_addr), "10.0.0.1");
	c.slurmctld_port = 6817;
	c.slurmctld_port_count = 1;
	/* without the overlay, nothing to say */
	assert_int_equal(run(&c, &h, &s), 0);
	assert_null(strstr(s.text, "SlurmctldHost"));
	h.overlay = OVERLAY_ALLOW;
	assert_int_equal(run(&c, &h, &s), 0);
	assert_non_null(strstr(s.text, "ok SlurmctldHost: 10.0.0.1 port "
	    "6817, conf_server's: overlay nodes reach slurmctld through the "
	    "tunnel"));
	/* another address: 24.11 then takes the node's own network's */
	snprintf(c.control_addr, sizeof(c.control_addr), "10.0.0.9");
	assert_int_equal(run(&c, &h, &s), 1);
	assert_non_null(strstr(s.text, "warn SlurmctldHost: 10.0.0.9, and "
	    "conf_server (hookd.conf) is 10.0.0.1:6817: overlay nodes reach "
	    "slurmctld through the tunnel at conf_server's address only, so "
	    "their slurmd registers from their own network, which Slurm then "
	    "takes as their address"));
	/* a range of ports, and another port */
	snprintf(c.control_addr, sizeof(c.control_addr), "10.0.0.1");
	c.slurmctld_port_count = 4;
	assert_int_equal(run(&c, &h, &s), 1);
	assert_non_null(strstr(s.text, "warn SlurmctldPort: 6817 and the "
	    "ports after it (a range), and conf_server (hookd.conf) is "
	    "10.0.0.1:6817"));
	c.slurmctld_port_count = 1;
	c.slurmctld_port = 6818;
	assert_int_equal(run(&c, &h, &s), 1);
	/* conf_server without a port: slurmd's default, 6817 */
	c.slurmctld_port = 6817;
	snprintf(h.conf_server, sizeof(h.conf_server), "10.0.0.1");
	assert_int_equal(run(&c, &h, &s), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(recommended_passes),
		cmocka_unit_test(scheduler_delay),
		cmocka_unit_test(preemption_and_mover),
		cmocka_unit_test(power_save),
		cmocka_unit_test(modes_and_versions),
		cmocka_unit_test(overlay),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
