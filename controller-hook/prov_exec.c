/*
 * prov_exec.c - provider = exec: a site's own program speaks to a cloud
 * vnode does not (hookd.conf(5) "exec_program").  It runs as the hook's
 * user, by its absolute path, with a clean environment, bounded by
 * provider_timeout:
 *
 *   PROGRAM create    stdin  {"instances": [{"node": N, "user_data": U}...]}
 *                     stdout {"instances": [{"node": N, "id": ID,
 *                             "state": "building", "detail": D}...]}
 *   PROGRAM delete ID graceful|force
 *   PROGRAM list      stdout {"instances": [{"id": ID, "node": N,
 *                             "state": S, "created": T, "detail": D}...]}
 *
 * exit status 0; anything else fails the call, with the program's
 * standard error as the reason.  Its answers are checked like any input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jsonutil.h"
#include "names.h"
#include "provider.h"
#include "spawn.h"
#include "util.h"

#define OUT_MAX		(1024 * 1024)	/* bytes of an answer */
#define LIST_MAX	100000		/* instances in a list */

struct exec_st {
	char program[4096];
	double timeout;
};

/* PROGRAM ARG1 [ARG2 ARG3] with input; its standard output in *out
 * (allocated). */
static int
run(struct exec_st *x, const char *a1, const char *a2, const char *a3,
    const char *input, char **out, size_t *outlen, char *err, size_t errlen)
{
	const char *argv[] = { x->program, a1, a2, a3, NULL };
	struct spawn sp;
	char why[1024];

	*out = NULL;
	memset(&sp, 0, sizeof(sp));
	sp.argv = argv;
	sp.input = input;
	sp.inlen = input != NULL ? strlen(input) : 0;
	if ((sp.out = malloc(OUT_MAX)) == NULL)
		return errf(err, errlen, "out of memory");
	sp.outsz = OUT_MAX;
	sp.timeout = x->timeout;
	if (spawn_run(&sp, why, sizeof(why)) != 0) {
		size_t pl = strlen(x->program);

		free(sp.out);
		/* spawn's reason starts with the program's path: said once */
		return errf(err, errlen, "%s %s: %s", x->program, a1,
		    strncmp(why, x->program, pl) == 0 && strncmp(why + pl, ": ",
		    2) == 0 ? why + pl + 2 : why);
	}
	*out = sp.out;
	*outlen = sp.outlen;
	return 0;
}

/* One instance of an answer. */
static int
read_instance(struct json_object *o, struct prov_instance *pi, int need_node,
    char *err, size_t errlen)
{
	const char *id = NULL, *node = NULL, *state = NULL, *detail = NULL;
	long created = 0;

	memset(pi, 0, sizeof(*pi));
	if (!json_object_is_type(o, json_type_object))
		return errf(err, errlen, "an instance is not an object");
	if (js_str(o, "id", 0, PROV_ID_MAX - 1, &id, err, errlen) < 0 ||
	    js_str(o, "node", need_node, PROV_NODE_MAX - 1, &node, err,
	    errlen) < 0 ||
	    js_str(o, "state", 1, 16, &state, err, errlen) < 0 ||
	    js_str(o, "detail", 0, PROV_DETAIL_MAX - 1, &detail, err,
	    errlen) < 0 ||
	    js_int(o, "created", 0, 0, 1L << 40, &created, err, errlen) < 0)
		return -1;
	if (prov_state_parse(state, &pi->state) != 0)
		return errf(err, errlen, "\"state\": \"%s\" is not building, "
		    "running, stopping, error or gone", state);
	if (id != NULL && id[0] != '\0') {
		if (!prov_id_valid(id))
			return errf(err, errlen, "\"id\": not 1 to %d printable "
			    "characters without blanks or quotes",
			    PROV_ID_MAX - 1);
		snprintf(pi->id, sizeof(pi->id), "%s", id);
	} else if (pi->state != PROV_ERROR)
		return errf(err, errlen, "\"id\" missing for an instance that "
		    "is not in error");
	if (node != NULL) {
		if (!name_node_valid(node))
			return errf(err, errlen, "\"node\": \"%.64s\" is not a "
			    "node name", node);
		snprintf(pi->node, sizeof(pi->node), "%s", node);
	}
	if (detail != NULL) {
		size_t i;

		snprintf(pi->detail, sizeof(pi->detail), "%s", detail);
		for (i = 0; pi->detail[i] != '\0'; i++)
			if (pi->detail[i] < ' ' || pi->detail[i] > '~')
				pi->detail[i] = '?';
	}
	pi->created = created;
	return 0;
}

/* The "instances" array of an answer. */
static struct json_object *
answer_array(const char *out, size_t len, struct json_object **top,
    char *err, size_t errlen)
{
	struct json_object *arr;

	if ((*top = js_parse(out, len, err, errlen)) == NULL)
		return NULL;
	if (!json_object_object_get_ex(*top, "instances", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		errf(err, errlen, "no \"instances\" array in its answer");
		json_object_put(*top);
		*top = NULL;
		return NULL;
	}
	return arr;
}

static int
exec_create(void *st, const struct prov_request *rq, size_t n,
    struct prov_instance *out, char *err, size_t errlen)
{
	struct exec_st *x = st;
	struct json_object *in = NULL, *arr, *o, *top = NULL, *ans;
	struct prov_instance pi;
	char *res = NULL, why[512];
	size_t len, i, k;
	int taken = -1;

	arr = json_object_new_array();
	for (i = 0; i < n; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "node",
		    json_object_new_string(rq[i].node));
		json_object_object_add(o, "user_data",
		    json_object_new_string_len(rq[i].user_data,
		    (int)rq[i].user_data_len));
		json_object_array_add(arr, o);
	}
	in = json_object_new_object();
	json_object_object_add(in, "instances", arr);
	if (run(x, "create", NULL, NULL, json_object_to_json_string_ext(in,
	    JSON_C_TO_STRING_PLAIN), &res, &len, err, errlen) != 0)
		goto out;
	if ((ans = answer_array(res, len, &top, why, sizeof(why))) == NULL) {
		errf(err, errlen, "%s create: %s", x->program, why);
		goto out;
	}
	for (i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		snprintf(out[i].node, sizeof(out[i].node), "%s", rq[i].node);
		out[i].state = PROV_ERROR;
		snprintf(out[i].detail, sizeof(out[i].detail), "%.200s create "
		    "said nothing of it", x->program);
	}
	taken = 0;
	for (k = 0; k < json_object_array_length(ans); k++) {
		if (read_instance(json_object_array_get_idx(ans, k), &pi, 1, why,
		    sizeof(why)) != 0) {
			errf(err, errlen, "%s create: instance %zu: %s",
			    x->program, k, why);
			taken = -1;
			goto out;
		}
		for (i = 0; i < n; i++)
			if (strcmp(rq[i].node, pi.node) == 0)
				break;
		if (i == n)
			continue;	/* not asked for: the list finds it */
		out[i] = pi;
		if (pi.state != PROV_ERROR)
			taken++;
	}
out:
	json_object_put(in);
	json_object_put(top);
	free(res);
	return taken;
}

static int
exec_destroy(void *st, const char *id, int graceful, char *err,
    size_t errlen)
{
	struct exec_st *x = st;
	char *res = NULL;
	size_t len;
	int rc;

	if (!prov_id_valid(id))
		return errf(err, errlen, "instance id \"%.40s\" is not valid", id);
	rc = run(x, "delete", id, graceful ? "graceful" : "force", NULL, &res,
	    &len, err, errlen);
	free(res);
	return rc;
}

static int
exec_list(void *st, struct prov_instance **out, size_t *n, char *err,
    size_t errlen)
{
	struct exec_st *x = st;
	struct json_object *top = NULL, *ans;
	struct prov_instance *v = NULL;
	char *res = NULL, why[512];
	size_t len, i, m;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if (run(x, "list", NULL, NULL, NULL, &res, &len, err, errlen) != 0)
		return -1;
	if ((ans = answer_array(res, len, &top, why, sizeof(why))) == NULL) {
		errf(err, errlen, "%s list: %s", x->program, why);
		goto out;
	}
	if ((m = json_object_array_length(ans)) > LIST_MAX) {
		errf(err, errlen, "%s list: more than %d instances", x->program,
		    LIST_MAX);
		goto out;
	}
	if (m > 0 && (v = calloc(m, sizeof(*v))) == NULL) {
		errf(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < m; i++)
		if (read_instance(json_object_array_get_idx(ans, i), &v[i], 0,
		    why, sizeof(why)) != 0) {
			errf(err, errlen, "%s list: instance %zu: %s", x->program,
			    i, why);
			goto out;
		}
	*out = v;
	*n = m;
	v = NULL;
	rc = 0;
out:
	free(v);
	json_object_put(top);
	free(res);
	return rc;
}

static void
exec_free(void *st)
{
	free(st);
}

int
prov_exec_open(const struct hook_config *cfg, struct provider *p, char *err,
    size_t errlen)
{
	struct exec_st *x;

	if (cfg->exec_program[0] != '/')
		return errf(err, errlen, "provider exec: exec_program must be an "
		    "absolute path");
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return errf(err, errlen, "out of memory");
	snprintf(x->program, sizeof(x->program), "%s", cfg->exec_program);
	x->timeout = cfg->provider_timeout;
	p->name = "exec";
	p->st = x;
	p->create = exec_create;
	p->destroy = exec_destroy;
	p->list = exec_list;
	p->free = exec_free;
	return 0;
}
