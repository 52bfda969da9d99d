/*
 * os_config.c - the settings of the hook's OpenStack client (openstack.h):
 * hookd.conf's openstack_* keys, each one branch with a bounded parser.
 * Apart from openstack.c, so that what reads hookd.conf (vnodectl) does
 * not link libcurl.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "openstack.h"
#include "util.h"

/* ---- configuration ---------------------------------------------------- */

void
os_config_defaults(struct os_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->interface, sizeof(cfg->interface), "public");
	snprintf(cfg->tag, sizeof(cfg->tag), "vnode");
	cfg->connect_timeout = 5;
	cfg->timeout = 30;
	cfg->op_timeout = 60;
	cfg->build_timeout = 900;
	cfg->renew_before = 300;
}

static int
set_str(char *dst, size_t dstsz, const char *v, int may_be_empty)
{
	if ((!may_be_empty && v[0] == '\0') || strlen(v) >= dstsz)
		return -1;
	snprintf(dst, dstsz, "%s", v);
	return 0;
}

int
os_name_valid(const char *v)
{
	const unsigned char *p;

	if (v[0] == '\0' || isspace((unsigned char)v[0]) ||
	    isspace((unsigned char)v[strlen(v) - 1]))
		return 0;
	for (p = (const unsigned char *)v; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\')
			return 0;
	return 1;
}

int
os_url_valid(const char *v)
{
	return ((strncmp(v, "http://", 7) == 0 && v[7] != '\0') ||
	    (strncmp(v, "https://", 8) == 0 && v[8] != '\0')) &&
	    strpbrk(v, " \t\"\\") == NULL;
}

int
os_config_set(struct os_config *cfg, const char *key, const char *v,
    const char **what)
{
	double d;

	*what = NULL;
	if (strcmp(key, "auth_url") == 0) {
		*what = "Keystone's v3 URL, like https://cloud.example.org:5000/v3";
		if (!os_url_valid(v))
			return -1;
		return set_str(cfg->auth_url, sizeof(cfg->auth_url), v, 0);
	} else if (strcmp(key, "credentials") == 0) {
		*what = "an absolute path";
		if (v[0] != '/')
			return -1;
		return set_str(cfg->credentials, sizeof(cfg->credentials), v, 0);
	} else if (strcmp(key, "region") == 0) {
		*what = "a region's name (at most 63 characters)";
		if (v[0] != '\0' && !os_name_valid(v))
			return -1;
		return set_str(cfg->region, sizeof(cfg->region), v, 1);
	} else if (strcmp(key, "interface") == 0) {
		*what = "public, internal or admin";
		if (strcmp(v, "public") != 0 && strcmp(v, "internal") != 0 &&
		    strcmp(v, "admin") != 0)
			return -1;
		return set_str(cfg->interface, sizeof(cfg->interface), v, 0);
	} else if (strcmp(key, "cacert") == 0) {
		*what = "an absolute path";
		if (v[0] != '/')
			return -1;
		return set_str(cfg->cacert, sizeof(cfg->cacert), v, 0);
	} else if (strcmp(key, "image") == 0 || strcmp(key, "flavor") == 0 ||
	    strcmp(key, "network") == 0 || strcmp(key, "security_group") == 0 ||
	    strcmp(key, "key_name") == 0) {
		*what = "a name or an ID (at most 255 characters, no quotes)";
		if (!os_name_valid(v))
			return -1;
		if (strcmp(key, "image") == 0)
			return set_str(cfg->image, sizeof(cfg->image), v, 0);
		if (strcmp(key, "flavor") == 0)
			return set_str(cfg->flavor, sizeof(cfg->flavor), v, 0);
		if (strcmp(key, "network") == 0)
			return set_str(cfg->network, sizeof(cfg->network), v, 0);
		if (strcmp(key, "key_name") == 0)
			return set_str(cfg->key_name, sizeof(cfg->key_name), v, 0);
		return set_str(cfg->security_group,
		    sizeof(cfg->security_group), v, 0);
	} else if (strcmp(key, "server_group") == 0) {
		*what = "a server group's ID (openstack server group create)";
		if (!os_name_valid(v) || strchr(v, ' ') != NULL)
			return -1;
		return set_str(cfg->server_group, sizeof(cfg->server_group), v, 0);
	} else if (strcmp(key, "tag") == 0) {
		*what = "1 to 60 letters, digits, '_', '.' and '-'";
		if (v[0] == '\0' || strlen(v) > 60 ||
		    strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789_.-") != strlen(v))
			return -1;
		return set_str(cfg->tag, sizeof(cfg->tag), v, 0);
	} else if (strcmp(key, "config_drive") == 0) {
		*what = "yes or no";
		if (strcmp(v, "yes") == 0)
			cfg->config_drive = 1;
		else if (strcmp(v, "no") == 0)
			cfg->config_drive = 0;
		else
			return -1;
		return 0;
	} else if (strcmp(key, "connect_timeout") == 0) {
		*what = "seconds from 0.1 to 60";
		if (parse_seconds(v, 0.1, 60, &d) != 0)
			return -1;
		cfg->connect_timeout = d;
		return 0;
	} else if (strcmp(key, "timeout") == 0) {
		*what = "seconds from 1 to 600";
		if (parse_seconds(v, 1, 600, &d) != 0)
			return -1;
		cfg->timeout = d;
		return 0;
	} else if (strcmp(key, "op_timeout") == 0) {
		*what = "seconds from 1 to 600";
		if (parse_seconds(v, 1, 600, &d) != 0)
			return -1;
		cfg->op_timeout = d;
		return 0;
	} else if (strcmp(key, "build_timeout") == 0) {
		*what = "a duration from 10s to 1d";
		return parse_duration(v, 10, 86400, &cfg->build_timeout);
	} else if (strcmp(key, "renew_before") == 0) {
		*what = "a duration from 0s to 1d";
		if (strcmp(v, "0") == 0) {
			cfg->renew_before = 0;
			return 0;
		}
		return parse_duration(v, 1, 86400, &cfg->renew_before);
	}
	return -1;
}

int
os_config_check(const struct os_config *cfg, char *err, size_t errlen)
{
	static const char *const need[] = { "auth_url", "credentials", "image",
	    "flavor" };
	const char *have[] = { cfg->auth_url, cfg->credentials, cfg->image,
	    cfg->flavor };
	size_t i;

	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (have[i][0] == '\0')
			return errf(err, errlen, "openstack_%s is not set",
			    need[i]);
	if (cfg->connect_timeout > cfg->timeout)
		return errf(err, errlen, "openstack_connect_timeout (%g s) is "
		    "longer than openstack_timeout (%g s)",
		    cfg->connect_timeout, cfg->timeout);
	return 0;
}

static void
print_str(FILE *f, const char *prefix, const char *key, const char *v,
    const char *unset)
{
	if (v[0] != '\0')
		fprintf(f, "%s%s = %s\n", prefix, key, v);
	else
		fprintf(f, "# %s%s not set: %s\n", prefix, key, unset);
}

void
os_config_print(FILE *f, const char *prefix, const struct os_config *cfg)
{
	char d[32];

	print_str(f, prefix, "auth_url", cfg->auth_url,
	    "provider openstack unused");
	print_str(f, prefix, "credentials", cfg->credentials,
	    "provider openstack unused");
	print_str(f, prefix, "region", cfg->region, "any");
	fprintf(f, "%sinterface = %s\n", prefix, cfg->interface);
	print_str(f, prefix, "cacert", cfg->cacert, "the system's CAs");
	print_str(f, prefix, "image", cfg->image, "provider openstack unused");
	print_str(f, prefix, "flavor", cfg->flavor,
	    "provider openstack unused");
	print_str(f, prefix, "network", cfg->network, "Nova chooses");
	print_str(f, prefix, "security_group", cfg->security_group,
	    "the project's default");
	print_str(f, prefix, "server_group", cfg->server_group, "none");
	print_str(f, prefix, "key_name", cfg->key_name, "none");
	fprintf(f, "%stag = %s\n", prefix, cfg->tag);
	fprintf(f, "%sconfig_drive = %s\n", prefix, cfg->config_drive ? "yes" :
	    "no");
	fprintf(f, "%sconnect_timeout = %.10g\n", prefix, cfg->connect_timeout);
	fprintf(f, "%stimeout = %.10g\n", prefix, cfg->timeout);
	format_duration(cfg->build_timeout, d, sizeof(d));
	fprintf(f, "%sbuild_timeout = %s\n", prefix, d);
	format_duration(cfg->renew_before, d, sizeof(d));
	fprintf(f, "%srenew_before = %s\n", prefix, d);
}
