/*
 * state.c - see state.h.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "atomicfile.h"
#include "jsonutil.h"
#include "names.h"
#include "state.h"
#include "util.h"

int
state_save(const struct node_state *st, char *err, size_t errlen)
{
	struct json_object *o, *m;
	const char *text;
	int rc, i;

	if (mkdir("/var/lib/vnode", 0700) != 0 && errno != EEXIST)
		return errf(err, errlen, "/var/lib/vnode: %s", strerror(errno));
	o = json_object_new_object();
	json_object_object_add(o, "node", json_object_new_string(st->node));
	json_object_object_add(o, "hook_url",
	    json_object_new_string(st->hook_url));
	if (st->hook_pin[0] != '\0')
		json_object_object_add(o, "hook_pin",
		    json_object_new_string(st->hook_pin));
	json_object_object_add(o, "instance",
	    json_object_new_string(st->instance));
	json_object_object_add(o, "credential",
	    json_object_new_string(st->credential));
	m = json_object_new_array();
	for (i = 0; i < st->nmounts; i++)
		json_object_array_add(m, json_object_new_string(st->mounts[i]));
	json_object_object_add(o, "mounts", m);
	if (st->overlay_if[0] != '\0') {
		json_object_object_add(o, "overlay_if",
		    json_object_new_string(st->overlay_if));
		json_object_object_add(o, "overlay_pin",
		    json_object_new_string(st->overlay_pin));
	}
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
	rc = af_write(STATE_FILE, text, strlen(text), 0600, 0, 0, err, errlen);
	explicit_bzero((void *)(uintptr_t)text, strlen(text));
	json_object_put(o);
	return rc;
}

int
state_load(struct node_state *st, char *err, size_t errlen)
{
	struct json_object *o, *m = NULL;
	const char *node, *url, *inst, *cred, *what, *pin = NULL;
	const char *oif = NULL, *opin = NULL;
	char *buf = NULL, e[256];
	size_t len = 0, i;
	int rc = -1;

	memset(st, 0, sizeof(*st));
	if (access(STATE_FILE, F_OK) != 0 && errno == ENOENT)
		return 1;
	if (read_file(STATE_FILE, 8192, &buf, &len, err, errlen) != 0)
		return -1;
	if ((o = js_parse(buf, len, e, sizeof(e))) == NULL) {
		errf(err, errlen, "%s: %s", STATE_FILE, e);
		goto out;
	}
	if (js_str(o, "node", 1, 63, &node, e, sizeof(e)) != 0 ||
	    js_str(o, "hook_url", 1, sizeof(st->hook_url) - 1, &url, e,
	    sizeof(e)) != 0 ||
	    js_str(o, "hook_pin", 0, sizeof(st->hook_pin) - 1, &pin, e,
	    sizeof(e)) < 0 ||
	    js_str(o, "instance", 1, 64, &inst, e, sizeof(e)) != 0 ||
	    js_str(o, "credential", 1, SECRET_LEN, &cred, e, sizeof(e)) != 0 ||
	    js_str_array(o, "mounts", 0, STATE_MAX_MOUNTS, 200, &m, e,
	    sizeof(e)) < 0 ||
	    js_str(o, "overlay_if", 0, sizeof(st->overlay_if) - 1, &oif, e,
	    sizeof(e)) < 0 ||
	    js_str(o, "overlay_pin", 0, sizeof(st->overlay_pin) - 1, &opin, e,
	    sizeof(e)) < 0)
		errf(err, errlen, "%s: %s", STATE_FILE, e);
	else if (!name_node_valid(node) || !secret_valid(cred) ||
	    (pin != NULL && (strncmp(pin, "sha256:", 7) != 0 ||
	    !hex_valid(pin + 7, 64))) ||
	    (oif != NULL && !name_node_valid(oif)) ||
	    (opin != NULL && opin[0] != '\0' && strspn(opin, "0123456789./") !=
	    strlen(opin)))
		errf(err, errlen, "%s: damaged", STATE_FILE);
	else {
		snprintf(st->node, sizeof(st->node), "%s", node);
		snprintf(st->hook_url, sizeof(st->hook_url), "%s", url);
		snprintf(st->hook_pin, sizeof(st->hook_pin), "%s",
		    pin != NULL ? pin : "");
		snprintf(st->instance, sizeof(st->instance), "%s", inst);
		snprintf(st->credential, sizeof(st->credential), "%s", cred);
		if (oif != NULL)
			snprintf(st->overlay_if, sizeof(st->overlay_if), "%s", oif);
		if (opin != NULL)
			snprintf(st->overlay_pin, sizeof(st->overlay_pin), "%s",
			    opin);
		rc = 0;
		for (i = 0; m != NULL && i < json_object_array_length(m); i++) {
			const char *t = json_object_get_string(
			    json_object_array_get_idx(m, i));

			if (name_mount_valid("x", t, "x", "", &what) != 0) {
				rc = errf(err, errlen, "%s: damaged", STATE_FILE);
				break;
			}
			snprintf(st->mounts[st->nmounts++], sizeof(st->mounts[0]),
			    "%s", t);
		}
	}
	json_object_put(o);
out:
	explicit_bzero(buf, len);
	free(buf);
	return rc;
}

int
state_remove(char *err, size_t errlen)
{
	if (unlink(STATE_FILE) != 0 && errno != ENOENT)
		return errf(err, errlen, "%s: %s", STATE_FILE, strerror(errno));
	return 0;
}
