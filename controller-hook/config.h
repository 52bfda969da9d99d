/*
 * config.h - vnode-hookd's configuration file, hookd.conf(5).
 */
#ifndef VNODE_HOOK_CONFIG_H
#define VNODE_HOOK_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>

#include "wg.h"
#include "openstack.h"

#define CONFIG_PATH "/etc/vnode/hookd.conf"
#define CONFIG_MAX_FEATURES 16
#define CONFIG_MAX_MOUNTS 8
#define CONFIG_MAX_PARTITIONS 16
#define CONFIG_MAX_ROUTES 16

struct hook_mount {
	char name[33];			/* mount.NAME */
	char source[256];
	char target[201];
	char type[17];
	char options[256];
};

struct hook_config {
	char listen_host[64];		/* IPv4 address, or "*" */
	int listen_port;
	int tls;			/* https (the default), or http */
	char tls_cert[PATH_MAX];	/* the site's; "": the hook's own */
	char tls_key[PATH_MAX];
	char hook_pin[72];		/* not a key: the served certificate's
					 * pin, set by vnode-hookd (tls.h) */
	char database[PATH_MAX];
	char munge_key[PATH_MAX];
	char conf_server[300];		/* host:port, for slurmd --conf-server */
	char admit[16];			/* "dynamic", "pool" or "conf" */
	enum { ADMIT_DYNAMIC, ADMIT_POOL, ADMIT_CONF } mode;
	enum { ADDR_SOURCE, ADDR_REPORTED, ADDR_METADATA } addr;
	double batch_window;		/* seconds a batch waits for more */
	char fragment[PATH_MAX];	/* conf: the node lines we own */
	char restart[512];		/* conf: restarts slurmctld */
	int apply_reconfigure;		/* conf: reconfigure, not restart */
	char name_prefix[33];
	char features[CONFIG_MAX_FEATURES][64];
	int nfeatures;
	struct hook_mount mounts[CONFIG_MAX_MOUNTS];
	int nmounts;
	long clock_skew;		/* seconds either side of ours */
	long max_body;			/* bytes */
	long default_uses;		/* vnodectl token create */
	long default_ttl;		/* seconds */
	long max_connections;
	long reap_after;		/* seconds; 0: never */
	/* the mover: jobs suspended in these partitions move to idle nodes */
	char ckpt_partitions[CONFIG_MAX_PARTITIONS][64];
	int nckpt_partitions;		/* 0: off */
	double move_interval;		/* seconds between the mover's polls */
	/* elastic: instances made and deleted as Slurm's power saving asks */
	char provider[16];		/* "" (off), local, exec, qemu, openstack */
	char hook_url[256];		/* as instances reach the hook */
	double provider_timeout;	/* seconds, one provider call */
	long provider_backoff;		/* seconds after a refused create */
	long join_timeout;		/* seconds an instance has to join;
					 * 0: Slurm's ResumeTimeout less 5 s */
	long orphan_grace;		/* seconds before an unknown instance
					 * of ours is deleted */
	double sync_interval;		/* seconds between looks at the cloud */
	long max_instances;		/* at once */
	char exec_program[PATH_MAX];	/* provider = exec */
	char local_socket[PATH_MAX];	/* vnode-privd (providers local, qemu; overlay) */
	struct os_config openstack;	/* provider = openstack: openstack_* */
	struct hook_qemu {		/* provider = qemu (prov_qemu.c) */
		char image[PATH_MAX];	/* the base image, qcow2 */
		char bridge[16];	/* the instances' taps go on it */
		char state_dir[PATH_MAX]; /* overlays, config drives, pids */
		char program[PATH_MAX];	/* qemu-system-x86_64 */
		char accel[8];		/* auto, kvm or tcg */
		long memory;		/* MiB per instance */
		long cpus;
		char first[16], last[16]; /* static addresses; "" DHCP */
		int prefix;
		char gateway[16];	/* "" none */
		char tap_prefix[8];	/* vnode-privd's tap_prefix */
		long stop_timeout;	/* seconds a graceful delete waits */
	} qemu;
	/* the overlay: WireGuard from the nodes to the controller, whose
	 * interface vnode-privd (local_socket) keeps */
	enum { OVERLAY_OFF, OVERLAY_ON, OVERLAY_ALLOW } overlay;
	char overlay_endpoint[300];	/* host[:port] as the nodes reach it */
	struct wg_net overlay_pool;	/* the nodes' addresses */
	long overlay_max_peers;
	long overlay_keepalive;		/* seconds; 0: none */
	struct wg_net overlay_routes[CONFIG_MAX_ROUTES];	/* through the
					 * controller: bare-metal, login hosts */
	int noverlay_routes;
};

/* Defaults, then the file; any bad line is an error naming file:line. */
int config_load(const char *path, struct hook_config *c, char *err,
    size_t errlen);
/* Every key with the value c holds, as hookd.conf lines that
 * config_load reads back to the same values (vnode-hookd -n); keys not
 * set and without a value are "# KEY not set: what that means". */
void config_print(FILE *f, const struct hook_config *c);

#endif
