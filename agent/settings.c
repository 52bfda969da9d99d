/*
 * settings.c - see settings.h.  Each key has one typed, bounded parser; a
 * bad value is an error naming the key and where it came from.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "isofs.h"
#include "jsonutil.h"
#include "kvconf.h"
#include "names.h"
#include "settings.h"
#include "util.h"

#define MAX_SOURCE	(256 * 1024)	/* largest file we read */
#define MAX_VALUE	1024

enum ktype { T_URL, T_TOKEN, T_PIN, T_INSTANCE, T_HOST, T_SECONDS, T_FEATURES, T_IPV4,
    T_COUNT, T_PATH, T_CHOICE, T_IFNAME };

static const char *const overlay_names[] = { "auto", "yes", "no", NULL };
static const char *const wireguard_names[] = { "auto", "kernel",
    "wireguard-go", NULL };

static const struct keydef {
	const char *name;
	enum ktype type;
	double min, max;
	const char *what;
} keys[K_COUNT] = {
	[K_HOOK_URL] = { "hook_url", T_URL, 0, 0,
	    "http:// or https:// and a host, with an optional port" },
	[K_JOIN_TOKEN] = { "join_token", T_TOKEN, 0, 0,
	    "a join token from vnodectl token create (ID.SECRET)" },
	[K_HOOK_PIN] = { "hook_pin", T_PIN, 0, 0,
	    "sha256: and the 64 hex digits vnodectl pin prints, or none" },
	[K_INSTANCE_ID] = { "instance_id", T_INSTANCE, 0, 0,
	    "letters, digits and '-', 1 to 64 of them" },
	[K_HOSTNAME] = { "hostname", T_HOST, 0, 0, "a valid host name" },
	[K_TIME_SERVER] = { "time_server", T_HOST, 0, 0,
	    "a host name or IPv4 address" },
	[K_TIME_TIMEOUT] = { "time_timeout", T_SECONDS, 1, 3600,
	    "seconds from 1 to 3600" },
	[K_TIME_MAX_OFFSET] = { "time_max_offset", T_SECONDS, 0.001, 60,
	    "seconds from 0.001 to 60" },
	[K_FEATURES] = { "features", T_FEATURES, 0, 0,
	    "a comma-separated list of Slurm features ([A-Za-z0-9_.-], "
	    "at most 16)" },
	[K_CPUS] = { "cpus", T_COUNT, 1, 4096, "a number from 1 to 4096" },
	[K_MEMORY_MB] = { "memory_mb", T_COUNT, 1, 1073741824.0,
	    "megabytes, from 1 to 1073741824" },
	[K_JOIN_TIMEOUT] = { "join_timeout", T_SECONDS, 1, 86400,
	    "seconds from 1 to 86400" },
	[K_READY_TIMEOUT] = { "ready_timeout", T_SECONDS, 1, 3600,
	    "seconds from 1 to 3600" },
	[K_LEAVE_TIMEOUT] = { "leave_timeout", T_SECONDS, 1, 3600,
	    "seconds from 1 to 3600" },
	[K_METADATA_URL] = { "metadata_url", T_URL, 0, 0,
	    "http:// or https:// and a host, with an optional port, or none" },
	[K_METADATA_TIMEOUT] = { "metadata_timeout", T_SECONDS, 1, 600,
	    "seconds from 1 to 600" },
	[K_HEARTBEAT_WAIT] = { "heartbeat_wait", T_COUNT, 1, 25,
	    "whole seconds from 1 to 25" },
	[K_ADDRESS] = { "address", T_IPV4, 0, 0, "an IPv4 address" },
	[K_CKPT_DIR] = { "ckpt_dir", T_PATH, 0, 0,
	    "an absolute path (the shared checkpoint store), or none" },
	[K_CRIU] = { "criu", T_PATH, 0, 0, "an absolute path" },
	[K_CKPT_TIMEOUT] = { "ckpt_timeout", T_SECONDS, 1, 3600,
	    "seconds from 1 to 3600" },
	[K_OVERLAY] = { "overlay", T_CHOICE, 0, 0, "auto, yes or no" },
	[K_OVERLAY_INTERFACE] = { "overlay_interface", T_IFNAME, 0, 0,
	    "an interface name ([a-z][a-z0-9-], at most 15)" },
	[K_OVERLAY_WIREGUARD] = { "overlay_wireguard", T_CHOICE, 0, 0,
	    "auto, kernel or wireguard-go" },
	[K_OVERLAY_TIMEOUT] = { "overlay_timeout", T_SECONDS, 1, 600,
	    "seconds from 1 to 600" },
};

void
settings_init(struct settings *s)
{
	memset(s, 0, sizeof(*s));
	s->time_timeout = 60;
	s->time_max_offset = 0.5;
	s->join_timeout = 300;
	s->ready_timeout = 120;
	s->leave_timeout = 120;
	snprintf(s->metadata_url, sizeof(s->metadata_url), "%s",
	    SETTINGS_METADATA_URL);
	s->metadata_timeout = 10;
	s->heartbeat_wait = 20;
	snprintf(s->criu, sizeof(s->criu), "/usr/sbin/criu");
	s->ckpt_timeout = 60;
	s->overlay = OVERLAY_AUTO;
	snprintf(s->overlay_if, sizeof(s->overlay_if), "vnode0");
	s->overlay_wg = WIREGUARD_AUTO;
	s->overlay_timeout = 30;
}

static int
choice(const char *const *names, const char *v)
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], v) == 0)
			return i;
	return -1;
}

/* An absolute path of printable characters without spaces, "." or ".."
 * components: it ends up on command lines and in the plugin's. */
static int
path_valid(const char *v, size_t max)
{
	const char *p;

	if (v[0] != '/' || strlen(v) >= max || strstr(v, "/../") != NULL ||
	    strstr(v, "/./") != NULL)
		return 0;
	for (p = v; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7f)
			return 0;
	p = strrchr(v, '/');
	return strcmp(p, "/.") != 0 && strcmp(p, "/..") != 0;
}

int
settings_hook_host(const char *url, char *host, size_t hostsz)
{
	const char *p, *end;
	size_t n;

	if (strncmp(url, "http://", 7) == 0)
		p = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		p = url + 8;
	else
		return -1;
	end = p + strcspn(p, ":/");
	n = (size_t)(end - p);
	if (n == 0 || n >= hostsz)
		return -1;
	memcpy(host, p, n);
	host[n] = '\0';
	return 0;
}

static int
url_valid(const char *v)
{
	char host[256];
	const char *p;
	long port;

	if (strlen(v) >= sizeof(((struct settings *)0)->hook_url) ||
	    settings_hook_host(v, host, sizeof(host)) != 0)
		return 0;
	if (!name_host_valid(host) && !name_ipv4_valid(host))
		return 0;
	p = strstr(v, "://") + 3 + strlen(host);
	if (*p == ':') {
		char num[8];
		size_t n = strcspn(p + 1, "/");

		if (n == 0 || n >= sizeof(num))
			return 0;
		memcpy(num, p + 1, n);
		num[n] = '\0';
		if (parse_long(num, 1, 65535, &port) != 0)
			return 0;
		p += 1 + n;
	}
	return *p == '\0' || strcmp(p, "/") == 0;
}

static int
set_features(struct settings *s, const char *v)
{
	char buf[MAX_VALUE + 1], *tok, *save = NULL;
	int n = 0;

	if (strlen(v) > MAX_VALUE)
		return -1;
	snprintf(buf, sizeof(buf), "%s", v);
	for (tok = strtok_r(buf, ", ", &save); tok != NULL;
	    tok = strtok_r(NULL, ", ", &save)) {
		if (!name_feature_valid(tok) || n >= SETTINGS_MAX_FEATURES)
			return -1;
		snprintf(s->features[n++], sizeof(s->features[0]), "%s", tok);
	}
	s->nfeatures = n;
	return 0;
}

static int
copy(char *dst, size_t dstsz, const char *v)
{
	if (strlen(v) >= dstsz)
		return -1;
	snprintf(dst, dstsz, "%s", v);
	return 0;
}

/* "sha256:" and 64 hex digits (kept in lower case); "none" or "" (a
 * template's for a plain http hook): no pin. */
static int
pin_set(struct settings *s, const char *v)
{
	size_t i;

	if (strcmp(v, "none") == 0 || v[0] == '\0') {
		s->hook_pin[0] = '\0';
		return 0;
	}
	if (strncmp(v, "sha256:", 7) != 0 || strlen(v) != 7 + 64 ||
	    !hex_valid(v + 7, 64))
		return -1;
	memcpy(s->hook_pin, "sha256:", 7);
	for (i = 7; i < 7 + 64; i++)
		s->hook_pin[i] = (char)tolower((unsigned char)v[i]);
	s->hook_pin[7 + 64] = '\0';
	return 0;
}

/* Parse v into key k.  0 or -1. */
static int
assign(struct settings *s, enum setting_key k, const char *v)
{
	const struct keydef *d = &keys[k];
	char id[TOKEN_ID_LEN + 1], secret[SECRET_LEN + 1];
	double sec;
	long n;

	switch (d->type) {
	case T_URL:
		if (k == K_METADATA_URL && strcmp(v, "none") == 0) {
			s->metadata_url[0] = '\0';
			return 0;
		}
		if (!url_valid(v))
			return -1;
		return k == K_HOOK_URL ? copy(s->hook_url, sizeof(s->hook_url),
		    v) : copy(s->metadata_url, sizeof(s->metadata_url), v);
	case T_TOKEN:
		if (token_parse(v, id, secret) != 0)
			return -1;
		explicit_bzero(secret, sizeof(secret));
		return copy(s->join_token, sizeof(s->join_token), v);
	case T_PIN:
		return pin_set(s, v);
	case T_INSTANCE:
		return name_instance_valid(v) ? copy(s->instance_id,
		    sizeof(s->instance_id), v) : -1;
	case T_HOST:
		if (!name_host_valid(v) && !name_ipv4_valid(v))
			return -1;
		return k == K_HOSTNAME ? copy(s->hostname, sizeof(s->hostname),
		    v) : copy(s->time_server, sizeof(s->time_server), v);
	case T_SECONDS:
		if (parse_seconds(v, d->min, d->max, &sec) != 0)
			return -1;
		if (k == K_TIME_TIMEOUT)
			s->time_timeout = sec;
		else if (k == K_TIME_MAX_OFFSET)
			s->time_max_offset = sec;
		else if (k == K_JOIN_TIMEOUT)
			s->join_timeout = sec;
		else if (k == K_READY_TIMEOUT)
			s->ready_timeout = sec;
		else if (k == K_LEAVE_TIMEOUT)
			s->leave_timeout = sec;
		else if (k == K_CKPT_TIMEOUT)
			s->ckpt_timeout = sec;
		else if (k == K_OVERLAY_TIMEOUT)
			s->overlay_timeout = sec;
		else
			s->metadata_timeout = sec;
		return 0;
	case T_FEATURES:
		return set_features(s, v);
	case T_IPV4:
		return name_ipv4_valid(v) ? copy(s->address, sizeof(s->address),
		    v) : -1;
	case T_PATH:
		if (k == K_CKPT_DIR && strcmp(v, "none") == 0)
			return copy(s->ckpt_dir, sizeof(s->ckpt_dir), "");
		if (!path_valid(v, sizeof(s->criu)))
			return -1;
		return k == K_CKPT_DIR ? copy(s->ckpt_dir, sizeof(s->ckpt_dir),
		    v) : copy(s->criu, sizeof(s->criu), v);
	case T_CHOICE: {
		int c = choice(k == K_OVERLAY ? overlay_names : wireguard_names,
		    v);

		if (c < 0)
			return -1;
		if (k == K_OVERLAY)
			s->overlay = (enum settings_overlay)c;
		else
			s->overlay_wg = (enum settings_wireguard)c;
		return 0;
	}
	case T_IFNAME:
		return name_ifname_valid(v) ? copy(s->overlay_if,
		    sizeof(s->overlay_if), v) : -1;
	case T_COUNT:
		if (parse_long(v, (long)d->min, (long)d->max, &n) != 0)
			return -1;
		if (k == K_CPUS)
			s->cpus = n;
		else if (k == K_MEMORY_MB)
			s->memory_mb = n;
		else
			s->heartbeat_wait = n;
		return 0;
	}
	return -1;
}

static int
key_lookup(const char *name)
{
	int k;

	for (k = 0; k < K_COUNT; k++)
		if (strcmp(keys[k].name, name) == 0)
			return k;
	return -1;
}

/* Printable form of a bad value for a message: secrets and control bytes
 * never reach a log. */
static void
shown(enum setting_key k, const char *v, char *out, size_t outsz)
{
	size_t i, o = 0;

	if (k == K_JOIN_TOKEN) {
		snprintf(out, outsz, "(hidden)");
		return;
	}
	for (i = 0; v[i] != '\0' && o + 5 < outsz && i < 80; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c >= 0x20 && c < 0x7f && c != '"')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, outsz - o, "\\x%02x", c);
	}
	out[o] = '\0';
	if (v[i] != '\0' && o + 4 < outsz)
		snprintf(out + o, outsz - o, "...");
}

/* Set key name from source src unless an earlier source set it.  The
 * message says what is wrong; the caller says where. */
static int
offer(struct settings *s, const char *name, const char *v, const char *src,
    char *err, size_t errlen)
{
	struct settings tmp;
	char show[400];
	int k, rc;

	if ((k = key_lookup(name)) < 0)
		return errf(err, errlen, "unknown key \"%s\"", name);
	/* where to find the metadata cannot come from the metadata, and
	 * what root runs (criu) or writes (ckpt_dir) not from what anyone
	 * who can set an instance's metadata or user data wrote */
	if ((k == K_METADATA_URL || k == K_METADATA_TIMEOUT ||
	    k == K_CRIU || k == K_CKPT_DIR) &&
	    (strncmp(src, "config drive", 12) == 0 ||
	    strncmp(src, "metadata service", 16) == 0))
		return errf(err, errlen, "%s: only in agent.conf (%s)", name,
		    k == K_CRIU ? "a program root runs" : k == K_CKPT_DIR ?
		    "a directory root writes" : "where the metadata is");
	/* Checked even when an earlier source set the key: a bad value is
	 * an error wherever it is. */
	tmp = *s;
	rc = assign(&tmp, (enum setting_key)k, v);
	if (rc == 0 && s->source[k][0] == '\0') {
		*s = tmp;
		snprintf(s->source[k], sizeof(s->source[k]), "%s", src);
	}
	explicit_bzero(&tmp, sizeof(tmp));
	if (rc != 0) {
		shown((enum setting_key)k, v, show, sizeof(show));
		return errf(err, errlen, "%s: \"%s\" is not %s", name, show,
		    keys[k].what);
	}
	return 0;
}

/* A private, NUL-terminated copy of len bytes that holds no NUL itself. */
static char *
text_copy(const char *text, size_t len, const char *src, char *err,
    size_t errlen)
{
	char *buf;

	if (memchr(text, '\0', len) != NULL) {
		errf(err, errlen, "%s: NUL byte in text", src);
		return NULL;
	}
	if ((buf = malloc(len + 1)) == NULL) {
		errf(err, errlen, "%s: out of memory", src);
		return NULL;
	}
	memcpy(buf, text, len);
	buf[len] = '\0';
	return buf;
}

static void
wipe_free(char *buf, size_t len)
{
	if (buf != NULL) {
		explicit_bzero(buf, len);
		free(buf);
	}
}

struct conf_ctx {
	struct settings *s;
	const char *src;
};

static int
conf_one(void *arg, const char *key, const char *val, int lineno, char *err,
    size_t errlen)
{
	struct conf_ctx *c = arg;
	char where[SETTINGS_SRC_LEN];

	snprintf(where, sizeof(where), "%.300s:%d", c->src, lineno);
	return offer(c->s, key, val, where, err, errlen);
}

int
settings_parse_conf(struct settings *s, const char *text, size_t len,
    const char *src, char *err, size_t errlen)
{
	struct conf_ctx c = { s, src };
	char *buf;
	int rc;

	if ((buf = text_copy(text, len, src, err, errlen)) == NULL)
		return -1;
	rc = kv_parse(buf, src, conf_one, &c, err, errlen);
	wipe_free(buf, len);
	return rc;
}

int
settings_parse_meta(struct settings *s, const char *text, size_t len,
    const char *src, char *err, size_t errlen)
{
	struct json_object *o, *meta = NULL;
	char where[SETTINGS_SRC_LEN], jerr[256];
	const char *uuid = NULL;
	int rc = -1;

	if ((o = js_parse(text, len, jerr, sizeof(jerr))) == NULL)
		return errf(err, errlen, "%s: %s", src, jerr);
	if (js_str(o, "uuid", 0, 64, &uuid, jerr, sizeof(jerr)) < 0) {
		errf(err, errlen, "%s: %s", src, jerr);
		goto out;
	}
	if (json_object_object_get_ex(o, "meta", &meta) && meta != NULL &&
	    !json_object_is_type(meta, json_type_object)) {
		errf(err, errlen, "%s: \"meta\": not an object", src);
		goto out;
	}
	if (meta != NULL) {
		json_object_object_foreach(meta, key, val) {
			const char *v;

			if (key_lookup(key) < 0)
				continue;	/* the site's other metadata */
			snprintf(where, sizeof(where), "%s meta.%s", src, key);
			if (js_str(meta, key, 1, MAX_VALUE, &v, jerr,
			    sizeof(jerr)) != 0) {
				errf(err, errlen, "%s: %s", src, jerr);
				goto out;
			}
			if (offer(s, key, v, where, jerr, sizeof(jerr)) != 0) {
				errf(err, errlen, "%s: %s", where, jerr);
				goto out;
			}
		}
	}
	if (uuid != NULL) {
		snprintf(where, sizeof(where), "%s uuid", src);
		if (offer(s, "instance_id", uuid, where, jerr, sizeof(jerr)) != 0) {
			errf(err, errlen, "%s: %s", where, jerr);
			goto out;
		}
	}
	rc = 0;
out:
	json_object_put(o);
	return rc;
}

/* A YAML scalar as cloud-config writes one: plain, '...' or "...". */
static int
yaml_scalar(char *v, char **out)
{
	char q, *end;

	if (*v == '"' || *v == '\'') {
		q = *v++;
		if ((end = strchr(v, q)) == NULL)
			return -1;
		*end++ = '\0';
		end = str_trim(end);
		if (*end != '\0' && *end != '#')
			return -1;
		if (q == '"' && strchr(v, '\\') != NULL)
			return -1;	/* escapes: not in this subset */
		*out = v;
		return 0;
	}
	if ((end = strstr(v, " #")) != NULL)
		*end = '\0';
	*out = str_trim(v);
	return 0;
}

/* One "key: value" of the vnode mapping (block or flow), at where. */
static int
vnode_pair(struct settings *s, char *key, char *rest, const char *where,
    int lineno, int *seen, char *err, size_t errlen)
{
	char *val, why[600];
	int k;

	key = str_trim(key);
	if (yaml_scalar(str_trim(rest), &val) != 0)
		return errf(err, errlen, "%s: %s: value is not a plain or quoted "
		    "scalar", where, key);
	if ((k = key_lookup(key)) >= 0 && seen[k])
		return errf(err, errlen, "%s: %s given twice (first on line %d)",
		    where, key, seen[k]);
	if (offer(s, key, val, where, why, sizeof(why)) != 0)
		return errf(err, errlen, "%s: %s", where, why);
	if (k >= 0)
		seen[k] = lineno;
	return 0;
}

/* "vnode: {key: value, key: "value"}" on one line, as cloud-init reads
 * it (flow style); rest is what follows "vnode:". */
static int
vnode_flow(struct settings *s, char *rest, const char *where, int lineno,
    int *seen, char *err, size_t errlen)
{
	char *end, *item, *colon, q;

	rest = str_trim(rest);
	if (*rest != '{')
		return errf(err, errlen, "%s: vnode: expected a mapping (indented "
		    "\"key: value\" lines below it, or {key: value, ...})", where);
	rest++;
	/* the closing brace, outside quotes */
	for (end = rest, q = 0; *end != '\0'; end++) {
		if (q != 0 && *end == q)
			q = 0;
		else if (q == 0 && (*end == '"' || *end == '\''))
			q = *end;
		else if (q == 0 && *end == '}')
			break;
	}
	if (*end != '}')
		return errf(err, errlen, "%s: vnode: {...} must close on its line",
		    where);
	*end++ = '\0';
	end = str_trim(end);
	if (*end != '\0' && *end != '#')
		return errf(err, errlen, "%s: vnode: text after the closing brace",
		    where);
	while (*rest != '\0') {
		/* one item: up to a comma outside quotes */
		for (item = rest, q = 0; *rest != '\0'; rest++) {
			if (q != 0 && *rest == q)
				q = 0;
			else if (q == 0 && (*rest == '"' || *rest == '\''))
				q = *rest;
			else if (q == 0 && *rest == ',')
				break;
		}
		if (*rest == ',')
			*rest++ = '\0';
		if (*str_trim(item) == '\0')
			continue;
		if ((colon = strchr(item, ':')) == NULL)
			return errf(err, errlen, "%s: vnode: \"%.40s\" is not "
			    "key: value", where, str_trim(item));
		*colon = '\0';
		if (vnode_pair(s, item, colon + 1, where, lineno, seen, err,
		    errlen) != 0)
			return -1;
	}
	return 0;
}

/* A top-level line's key, as YAML (and so cloud-init) reads it: a comment
 * after blanks dropped, blanks before the colon allowed.  *rest is what
 * follows the colon.  1 when the key is "vnode". */
static int
vnode_key(char *t, char **rest)
{
	char *p, *colon;

	for (p = t; (p = strchr(p, '#')) != NULL; p++)
		if (p == t || p[-1] == ' ' || p[-1] == '\t') {
			*p = '\0';
			break;
		}
	t = str_trim(t);
	if (strncmp(t, "vnode", 5) != 0)
		return 0;
	colon = t + 5 + strspn(t + 5, " \t");
	if (*colon != ':')
		return 0;
	*rest = colon + 1;
	return 1;
}

/* The "vnode:" mapping of a cloud-config: indented "key: value" lines,
 * or one flow mapping. */
static int
parse_cloud_config(struct settings *s, char *buf, const char *src, int *used,
    char *err, size_t errlen)
{
	char *line, *next, *colon, *key, *rest, where[SETTINGS_SRC_LEN];
	int lineno = 0, in = 0, seen[K_COUNT] = { 0 };

	*used = 0;
	for (line = buf; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (line[0] != ' ' && line[0] != '\t') {
			char *t = str_trim(line);

			if (*t == '\0' || *t == '#')
				continue;	/* blank or comment: no new key */
			in = 0;
			if (!vnode_key(t, &rest))
				continue;
			*used = 1;
			snprintf(where, sizeof(where), "%s:%d", src, lineno);
			if (*str_trim(rest) == '\0')
				in = 1;		/* a block mapping follows */
			else if (vnode_flow(s, rest, where, lineno, seen, err,
			    errlen) != 0)
				return -1;
			continue;
		}
		if (!in)
			continue;
		key = str_trim(line);
		if (*key == '\0' || *key == '#')
			continue;
		snprintf(where, sizeof(where), "%s:%d", src, lineno);
		if (line[0] == '\t')
			return errf(err, errlen, "%s: tab in indentation", where);
		if ((colon = strstr(key, ": ")) == NULL &&
		    (colon = strchr(key, ':')) != NULL && colon[1] != '\0')
			colon = NULL;
		if (colon == NULL)
			return errf(err, errlen, "%s: expected \"key: value\" under "
			    "vnode:", where);
		*colon = '\0';
		if (vnode_pair(s, key, colon + 1, where, lineno, seen, err,
		    errlen) != 0)
			return -1;
	}
	return 0;
}

/* A MIME header's value (case-insensitive name), up to its end of line,
 * in out; 0 when found. */
static int
mime_header(const char *hdrs, const char *name, char *out, size_t outsz)
{
	size_t n = strlen(name);
	const char *p = hdrs, *e;

	while (*p != '\0') {
		e = p + strcspn(p, "\n");
		if ((size_t)(e - p) > n && strncasecmp(p, name, n) == 0 &&
		    p[n] == ':') {
			p += n + 1;
			p += strspn(p, " \t");
			snprintf(out, outsz, "%.*s", (int)(e - p), p);
			str_trim(out);
			out[strcspn(out, "\r")] = '\0';
			return 0;
		}
		p = *e == '\n' ? e + 1 : e;
	}
	return -1;
}

/* One text/cloud-config MIME part's body (plain or base64). */
static int
mime_cloud_config(struct settings *s, char *body, const char *enc,
    const char *where, int *used, char *err, size_t errlen)
{
	unsigned char *dec;
	size_t blen;
	int rc;

	if (enc[0] == '\0' || strcasecmp(enc, "7bit") == 0 ||
	    strcasecmp(enc, "8bit") == 0 || strcasecmp(enc, "binary") == 0)
		return parse_cloud_config(s, body, where, used, err, errlen);
	if (strcasecmp(enc, "base64") != 0)
		return errf(err, errlen, "%s: Content-Transfer-Encoding %s is not "
		    "read here (base64, 7bit, 8bit)", where, enc);
	if ((dec = malloc(strlen(body) + 1)) == NULL)
		return errf(err, errlen, "%s: out of memory", where);
	if (b64_decode(body, dec, &blen) != 0) {
		free(dec);
		return errf(err, errlen, "%s: not base64", where);
	}
	dec[blen] = '\0';
	if (memchr(dec, '\0', blen) != NULL)
		rc = errf(err, errlen, "%s: NUL byte in text", where);
	else
		rc = parse_cloud_config(s, (char *)dec, where, used, err, errlen);
	explicit_bzero(dec, blen);
	free(dec);
	return rc;
}

/* The end of a header block (a blank line), its length in *skip. */
static char *
headers_end(char *p, size_t *skip)
{
	char *a = strstr(p, "\n\n"), *b = strstr(p, "\r\n\r\n");

	if (a != NULL && (b == NULL || a < b)) {
		*skip = 2;
		return a;
	}
	*skip = 4;
	return b;
}

/*
 * MIME multipart user data (cloud-init's usual way to ship a cloud-config
 * beside a script): every text/cloud-config part is read as cloud-init
 * reads it (plain or base64), the others are cloud-init's business.
 */
static int
parse_mime(struct settings *s, char *buf, const char *src, int *used,
    char *err, size_t errlen)
{
	char ctype[512], delim[210], enc[64], where[SETTINGS_SRC_LEN];
	char *b, *hend, *part, *end, *body;
	size_t dl, skip;
	int n = 0, u;

	*used = 0;
	if ((hend = headers_end(buf, &skip)) == NULL)
		return errf(err, errlen, "%s: MIME: no blank line after the "
		    "headers", src);
	*hend = '\0';
	if (mime_header(buf, "Content-Type", ctype, sizeof(ctype)) != 0 ||
	    strncasecmp(ctype, "multipart/", 10) != 0 ||
	    (b = strcasestr(ctype, "boundary=")) == NULL)
		return errf(err, errlen, "%s: MIME: not multipart, or no "
		    "boundary", src);
	b += 9;
	if (*b == '"') {
		b++;
		b[strcspn(b, "\"")] = '\0';
	} else
		b[strcspn(b, "; \t")] = '\0';
	if (*b == '\0' || strlen(b) > 70)
		return errf(err, errlen, "%s: MIME: bad boundary", src);
	dl = (size_t)snprintf(delim, sizeof(delim), "--%s", b);
	/* each part: from one delimiter line to the next */
	for (part = strstr(hend + skip, delim); part != NULL; part = end) {
		part += dl;
		if (strncmp(part, "--", 2) == 0 ||
		    (part = strchr(part, '\n')) == NULL)
			break;		/* the closing delimiter, or the end */
		part++;
		if ((end = strstr(part, delim)) != NULL)
			*end = '\0';
		n++;
		if ((body = headers_end(part, &skip)) == NULL)
			return errf(err, errlen, "%s: MIME part %d: no blank "
			    "line after its headers", src, n);
		*body = '\0';
		body += skip;
		enc[0] = '\0';
		if (mime_header(part, "Content-Type", ctype,
		    sizeof(ctype)) == 0 &&
		    strncasecmp(ctype, "text/cloud-config", 17) == 0) {
			snprintf(where, sizeof(where), "%.280s part %d", src, n);
			mime_header(part, "Content-Transfer-Encoding", enc,
			    sizeof(enc));
			u = 0;
			if (mime_cloud_config(s, body, enc, where, &u, err,
			    errlen) != 0)
				return -1;
			*used |= u;
		}
		if (end != NULL)
			*end = '-';	/* the delimiter back, for the next look */
	}
	return 0;
}

int
settings_parse_user_data(struct settings *s, const char *text, size_t len,
    const char *src, int *used, char *err, size_t errlen)
{
	static const char cc[] = "#cloud-config", va[] = "#vnode-agent";
	char *buf, *t;
	int rc = 0;

	*used = 0;
	if ((buf = text_copy(text, len, src, err, errlen)) == NULL)
		return -1;
	/* blank lines before the first line are not the user data's word */
	t = buf + strspn(buf, " \t\r\n");
	if (strncmp(t, cc, sizeof(cc) - 1) == 0)
		rc = parse_cloud_config(s, t, src, used, err, errlen);
	else if (strncmp(t, va, sizeof(va) - 1) == 0) {
		rc = settings_parse_conf(s, t, strlen(t), src, err, errlen);
		*used = rc == 0;
	} else if (strncasecmp(t, "Content-Type:", 13) == 0 ||
	    strncasecmp(t, "MIME-Version:", 13) == 0)
		rc = parse_mime(s, t, src, used, err, errlen);
	wipe_free(buf, len);
	if (rc == 0 && !*used)
		snprintf(s->note, sizeof(s->note), "%.250s: nothing taken from "
		    "it (no \"vnode:\" section in a #cloud-config, a MIME part "
		    "text/cloud-config, or #vnode-agent lines)", src);
	return rc;
}

int
settings_load_openstack(struct settings *s, const char *label,
    settings_getter get, void *arg, char *err, size_t errlen)
{
	char src[SETTINGS_SRC_LEN];
	char *buf = NULL;
	size_t len = 0;
	int rc, used;

	rc = get(arg, "meta_data.json", &buf, &len, err, errlen);
	if (rc < 0)
		return -1;
	if (rc > 0)
		return errf(err, errlen, "%s: no openstack/latest/meta_data.json",
		    label);
	snprintf(src, sizeof(src), "%.250s/openstack/latest/meta_data.json",
	    label);
	rc = settings_parse_meta(s, buf, len, src, err, errlen);
	wipe_free(buf, len);
	buf = NULL;
	if (rc != 0)
		return -1;
	rc = get(arg, "user_data", &buf, &len, err, errlen);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		snprintf(src, sizeof(src), "%.250s/openstack/latest/user_data",
		    label);
		rc = settings_parse_user_data(s, buf, len, src, &used, err,
		    errlen);
		wipe_free(buf, len);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* A config drive copied to a directory. */
static int
dir_get(void *arg, const char *name, char **buf, size_t *len, char *err,
    size_t errlen)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/openstack/latest/%s",
	    (const char *)arg, name);

	if (n < 0 || (size_t)n >= sizeof(path))
		return errf(err, errlen, "%s: path too long", (const char *)arg);
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return 1;
	return read_file(path, MAX_SOURCE, buf, len, err, errlen);
}

/* A config drive as Nova makes it: an ISO 9660 image, read in place. */
static int
iso_get(void *arg, const char *name, char **buf, size_t *len, char *err,
    size_t errlen)
{
	char path[128];

	snprintf(path, sizeof(path), "openstack/latest/%s", name);
	return iso_read(arg, path, MAX_SOURCE, buf, len, err, errlen);
}

static int
volume_is_config_drive(const struct iso *iso)
{
	return strcasecmp(iso->volume, CONFIG_DRIVE_LABEL) == 0;
}

int
settings_load_config_drive(struct settings *s, const char *path, char *err,
    size_t errlen)
{
	struct stat st;
	struct iso iso;
	char e[256], label[SETTINGS_SRC_LEN];
	int fd, rc;

	if (stat(path, &st) != 0)
		return errf(err, errlen, "config drive %s: %s", path,
		    strerror(errno));
	snprintf(label, sizeof(label), "config drive %.280s", path);
	if (S_ISDIR(st.st_mode))
		return settings_load_openstack(s, label, dir_get,
		    (void *)(uintptr_t)path, err, errlen);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return errf(err, errlen, "config drive %s: not a directory, "
		    "image or block device", path);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return errf(err, errlen, "config drive %s: %s", path,
		    strerror(errno));
	rc = iso_open_fd(&iso, fd, e, sizeof(e));
	if (rc > 0)
		rc = errf(err, errlen, "config drive %s: not an ISO 9660 image "
		    "(a vfat config drive is not read: have Nova make "
		    "iso9660 ones)", path);
	else if (rc < 0)
		errf(err, errlen, "config drive %s: %s", path, e);
	else if (!volume_is_config_drive(&iso))
		rc = errf(err, errlen, "config drive %s: volume is \"%s\", not "
		    "%s", path, iso.volume, CONFIG_DRIVE_LABEL);
	else
		rc = settings_load_openstack(s, label, iso_get, &iso, err,
		    errlen);
	close(fd);
	return rc;
}

/* Is /dev/name an ISO 9660 volume labelled config-2? */
static int
probe(const char *name, char *path, size_t pathsz)
{
	struct iso iso;
	int fd, rc;

	snprintf(path, pathsz, "/dev/%s", name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return 0;
	rc = iso_open_fd(&iso, fd, NULL, 0) == 0 &&
	    volume_is_config_drive(&iso);
	close(fd);
	return rc;
}

int
settings_find_config_drive(char *path, size_t pathsz)
{
	struct dirent *d;
	DIR *dir;
	int found = 0;

	/* udev's name for it, where udev runs */
	if (realpath("/dev/disk/by-label/" CONFIG_DRIVE_LABEL, path) != NULL)
		return 0;
	/* otherwise every block device, read-only, one sector each */
	if ((dir = opendir("/sys/class/block")) == NULL)
		return 1;
	while (!found && (d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		found = probe(d->d_name, path, pathsz);
	}
	closedir(dir);
	return found ? 0 : 1;
}

int
settings_load_file(struct settings *s, const char *path, int must_exist,
    char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if (!must_exist && access(path, F_OK) != 0 && errno == ENOENT)
		return 0;
	if (read_file(path, MAX_SOURCE, &buf, &len, err, errlen) != 0)
		return -1;
	rc = settings_parse_conf(s, buf, len, path, err, errlen);
	wipe_free(buf, len);
	return rc;
}

int
settings_finish(struct settings *s, const char *file, char *err,
    size_t errlen)
{
	char host[256], id[64];
	size_t n;

	if (s->source[K_HOOK_URL][0] == '\0')
		return errf(err, errlen, "hook_url is not set (the instance's "
		    "metadata or user data, or %s)", file);
	if (s->source[K_JOIN_TOKEN][0] == '\0')
		return errf(err, errlen, "join_token is not set (the instance's "
		    "metadata or user data, or %s)", file);
	if (s->hook_pin[0] != '\0' && strncmp(s->hook_url, "https://", 8) != 0)
		return errf(err, errlen, "hook_pin is set (%s), and hook_url is "
		    "%s (%s): a pinned hook is reached by https only",
		    s->source[K_HOOK_PIN], s->hook_url, s->source[K_HOOK_URL]);
	if (s->source[K_TIME_SERVER][0] == '\0') {
		if (settings_hook_host(s->hook_url, host, sizeof(host)) != 0)
			return errf(err, errlen, "hook_url: no host");
		snprintf(s->time_server, sizeof(s->time_server), "%s", host);
		snprintf(s->source[K_TIME_SERVER], SETTINGS_SRC_LEN,
		    "default: host of hook_url");
	}
	if (s->source[K_HOSTNAME][0] == '\0') {
		if (gethostname(host, sizeof(host)) != 0 ||
		    !name_host_valid(host))
			return errf(err, errlen, "hostname: this machine's host "
			    "name is not valid; set hostname");
		snprintf(s->hostname, sizeof(s->hostname), "%s", host);
		snprintf(s->source[K_HOSTNAME], SETTINGS_SRC_LEN,
		    "default: gethostname()");
	}
	if (s->source[K_INSTANCE_ID][0] == '\0') {
		char *buf = NULL;

		if (read_file("/etc/machine-id", 64, &buf, &n, NULL, 0) != 0)
			return errf(err, errlen, "instance_id is not set and "
			    "/etc/machine-id cannot be read");
		snprintf(id, sizeof(id), "%.*s", (int)strcspn(buf, "\n"), buf);
		free(buf);
		if (!name_instance_valid(id))
			return errf(err, errlen, "instance_id is not set and "
			    "/etc/machine-id does not hold a usable id");
		snprintf(s->instance_id, sizeof(s->instance_id), "%s", id);
		snprintf(s->source[K_INSTANCE_ID], SETTINGS_SRC_LEN,
		    "default: /etc/machine-id");
	}
	return 0;
}

void
settings_print(const struct settings *s, FILE *f)
{
	char v[1200];
	int k, i;

	for (k = 0; k < K_COUNT; k++) {
		switch ((enum setting_key)k) {
		case K_HOOK_URL: snprintf(v, sizeof(v), "%s", s->hook_url); break;
		case K_JOIN_TOKEN:
			snprintf(v, sizeof(v), "%.*s.(hidden)", TOKEN_ID_LEN,
			    s->join_token);
			break;
		case K_HOOK_PIN:
			snprintf(v, sizeof(v), "%s", s->hook_pin[0] ?
			    s->hook_pin : "none");
			break;
		case K_INSTANCE_ID:
			snprintf(v, sizeof(v), "%s", s->instance_id);
			break;
		case K_HOSTNAME: snprintf(v, sizeof(v), "%s", s->hostname); break;
		case K_TIME_SERVER:
			snprintf(v, sizeof(v), "%s", s->time_server);
			break;
		case K_TIME_TIMEOUT:
			snprintf(v, sizeof(v), "%g", s->time_timeout);
			break;
		case K_TIME_MAX_OFFSET:
			snprintf(v, sizeof(v), "%g", s->time_max_offset);
			break;
		case K_FEATURES:
			v[0] = '\0';
			for (i = 0; i < s->nfeatures; i++)
				snprintf(v + strlen(v), sizeof(v) - strlen(v),
				    "%s%s", i ? "," : "", s->features[i]);
			break;
		case K_CPUS:
			if (s->cpus)
				snprintf(v, sizeof(v), "%ld", s->cpus);
			else
				snprintf(v, sizeof(v), "(all)");
			break;
		case K_MEMORY_MB:
			if (s->memory_mb)
				snprintf(v, sizeof(v), "%ld", s->memory_mb);
			else
				snprintf(v, sizeof(v), "(all)");
			break;
		case K_JOIN_TIMEOUT:
			snprintf(v, sizeof(v), "%g", s->join_timeout);
			break;
		case K_READY_TIMEOUT:
			snprintf(v, sizeof(v), "%g", s->ready_timeout);
			break;
		case K_LEAVE_TIMEOUT:
			snprintf(v, sizeof(v), "%g", s->leave_timeout);
			break;
		case K_METADATA_URL:
			snprintf(v, sizeof(v), "%s", s->metadata_url[0] ?
			    s->metadata_url : "none");
			break;
		case K_METADATA_TIMEOUT:
			snprintf(v, sizeof(v), "%g", s->metadata_timeout);
			break;
		case K_HEARTBEAT_WAIT:
			snprintf(v, sizeof(v), "%ld", s->heartbeat_wait);
			break;
		case K_ADDRESS:
			snprintf(v, sizeof(v), "%s", s->address[0] ? s->address :
			    "(none)");
			break;
		case K_CKPT_DIR:
			snprintf(v, sizeof(v), "%s", s->ckpt_dir[0] ? s->ckpt_dir :
			    "none");
			break;
		case K_CRIU:
			snprintf(v, sizeof(v), "%s", s->criu);
			break;
		case K_CKPT_TIMEOUT:
			snprintf(v, sizeof(v), "%g", s->ckpt_timeout);
			break;
		case K_OVERLAY:
			snprintf(v, sizeof(v), "%s", overlay_names[s->overlay]);
			break;
		case K_OVERLAY_INTERFACE:
			snprintf(v, sizeof(v), "%s", s->overlay_if);
			break;
		case K_OVERLAY_WIREGUARD:
			snprintf(v, sizeof(v), "%s", wireguard_names[s->overlay_wg]);
			break;
		case K_OVERLAY_TIMEOUT:
			snprintf(v, sizeof(v), "%g", s->overlay_timeout);
			break;
		case K_COUNT:
			break;
		}
		fprintf(f, "%-16s = %-40s # %s\n", keys[k].name, v,
		    s->source[k][0] ? s->source[k] : "default");
	}
}
