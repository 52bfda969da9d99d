/*
 * settings.h - vnode-agent's settings, agent.conf(5).  The same keys come
 * from every source; the first source that sets a key wins:
 *
 *   1. the config drive: openstack/latest/meta_data.json ("meta" keys, and
 *      "uuid" as the instance id), then its user_data (a cloud-config with
 *      a "vnode:" section, or agent.conf lines after a "#vnode-agent" line)
 *   2. /etc/vnode/agent.conf
 *   3. built-in defaults
 */
#ifndef VNODE_AGENT_SETTINGS_H
#define VNODE_AGENT_SETTINGS_H

#include <stdio.h>

#include "sig.h"

#define SETTINGS_FILE		"/etc/vnode/agent.conf"
#define SETTINGS_METADATA_URL	"http://169.254.169.254"
#define SETTINGS_MAX_FEATURES	16
#define SETTINGS_SRC_LEN	320

enum setting_key {
	K_HOOK_URL,
	K_JOIN_TOKEN,
	K_HOOK_PIN,
	K_INSTANCE_ID,
	K_HOSTNAME,
	K_TIME_SERVER,
	K_TIME_TIMEOUT,
	K_TIME_MAX_OFFSET,
	K_FEATURES,
	K_CPUS,
	K_MEMORY_MB,
	K_JOIN_TIMEOUT,
	K_READY_TIMEOUT,
	K_LEAVE_TIMEOUT,
	K_METADATA_URL,
	K_METADATA_TIMEOUT,
	K_HEARTBEAT_WAIT,
	K_ADDRESS,
	K_CKPT_DIR,
	K_CRIU,
	K_CKPT_TIMEOUT,
	K_OVERLAY,
	K_OVERLAY_INTERFACE,
	K_OVERLAY_WIREGUARD,
	K_OVERLAY_TIMEOUT,
	K_COUNT
};

/* overlay: whether the node joins through the hook's WireGuard overlay */
enum settings_overlay {
	OVERLAY_AUTO,		/* offers its key; the hook decides */
	OVERLAY_YES,		/* asks for it: no join without */
	OVERLAY_NO,		/* never */
};

/* overlay_wireguard: which WireGuard */
enum settings_wireguard {
	WIREGUARD_AUTO,		/* the kernel's, else wireguard-go */
	WIREGUARD_KERNEL,
	WIREGUARD_GO,
};

struct settings {
	char hook_url[300];
	char join_token[TOKEN_LEN + 1];
	char hook_pin[72];		/* "sha256:" and 64 hex; "": none */
	char instance_id[65];
	char hostname[256];
	char time_server[256];
	double time_timeout;
	double time_max_offset;
	char features[SETTINGS_MAX_FEATURES][64];
	int nfeatures;
	long cpus;			/* 0: what the machine has */
	long memory_mb;			/* 0: what the machine has */
	double join_timeout;
	double ready_timeout;
	double leave_timeout;
	char metadata_url[300];		/* "" when "none" */
	double metadata_timeout;
	long heartbeat_wait;		/* whole seconds */
	char address[16];		/* IPv4 the controller reaches us on,
					 * when the site says (addr = metadata) */
	char ckpt_dir[256];		/* the shared checkpoint store; "": none */
	char criu[256];			/* the criu program */
	double ckpt_timeout;		/* one job's dump */
	enum settings_overlay overlay;
	char overlay_if[16];		/* the interface's name */
	enum settings_wireguard overlay_wg;
	double overlay_timeout;		/* seconds for the tunnel's check */
	char source[K_COUNT][SETTINGS_SRC_LEN];	/* "" while unset */
	char note[400];			/* user data that gave nothing */
};

void settings_init(struct settings *s);
/* agent.conf syntax: "key = value" lines, '#' comments.  src names the
 * source in messages ("/etc/vnode/agent.conf"); line numbers are added. */
int settings_parse_conf(struct settings *s, const char *text, size_t len,
    const char *src, char *err, size_t errlen);
/* OpenStack meta_data.json. */
int settings_parse_meta(struct settings *s, const char *text, size_t len,
    const char *src, char *err, size_t errlen);
/* user_data: cloud-config "vnode:" section (a block or a flow mapping),
 * "#vnode-agent" agent.conf text, MIME multipart user data whose
 * text/cloud-config parts are read so, or anything else (ignored: *used
 * is set to 0 and s->note says so). */
int settings_parse_user_data(struct settings *s, const char *text, size_t len,
    const char *src, int *used, char *err, size_t errlen);
#define CONFIG_DRIVE_LABEL "config-2"

/* Gets openstack/latest/<name> from a source: 0, 1 when absent, -1. */
typedef int (*settings_getter)(void *arg, const char *name, char **buf,
    size_t *len, char *err, size_t errlen);
/* meta_data.json (required) and user_data (optional) through get; label
 * names the source in messages ("config drive /dev/sr0"). */
int settings_load_openstack(struct settings *s, const char *label,
    settings_getter get, void *arg, char *err, size_t errlen);
/* A config drive laid out as Nova does: a directory holding
 * openstack/latest/..., or an ISO 9660 image labelled config-2 in a file
 * or on a block device (read in place, never mounted). */
int settings_load_config_drive(struct settings *s, const char *path,
    char *err, size_t errlen);
/* The block device of the config drive: /dev/disk/by-label/config-2, or
 * the block device whose ISO 9660 volume is labelled so.  1: none. */
int settings_find_config_drive(char *path, size_t pathsz);
/* A file in agent.conf syntax; a missing file is an error only when
 * must_exist is set. */
int settings_load_file(struct settings *s, const char *path, int must_exist,
    char *err, size_t errlen);
/* Required keys present, derived defaults filled in; file names the
 * agent.conf in messages. */
int settings_finish(struct settings *s, const char *file, char *err,
    size_t errlen);
/* Host part of hook_url. */
int settings_hook_host(const char *url, char *host, size_t hostsz);
/* Effective settings and their sources, secrets hidden. */
void settings_print(const struct settings *s, FILE *f);

#endif
