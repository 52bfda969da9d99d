/*
 * api_int.h - what the parts of vnode-hookd's API share (api.c, api_auth.c,
 * api_join.c, api_node.c, api_heartbeat.c, api_metrics.c); not for the
 * rest of the hook, which sees api.h.
 *
 * A request's transaction belongs to api_handle() alone: it begins it
 * before the request is authenticated and commits it when the answer is a
 * success (a status below 400, or an answer that waits), or rolls it back
 * otherwise.  The parts below never begin, commit nor roll back: a
 * handler that refuses, at any point, leaves the registry as it was.
 */
#ifndef VNODE_HOOK_API_INT_H
#define VNODE_HOOK_API_INT_H

#include <json-c/json.h>

#include "api.h"
#include "db.h"
#include "sig.h"

struct auth {
	enum sig_kind kind;
	struct sig_keys keys;
	struct db_token token;
	struct db_node node;
	const char *nonce;
	int ok;				/* signature verified: sign the answer */
};

/* api.c: answers */
void api_set_body(struct api_response *rs, struct json_object *o);
/* An error answer: {"error": reason, "code": the status's code}, and the
 * log line. */
void api_fail(struct api_response *rs, const struct api_request *rq,
    int status, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The same with a code of its own, for what a client acts on. */
void api_failc(struct api_response *rs, const struct api_request *rq,
    int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void api_ok(struct api_response *rs, const struct api_request *rq,
    struct json_object *o, const char *what);
/* The same with a body written as text (t->s is the response's now). */
struct text;
void api_ok_text(struct api_response *rs, const struct api_request *rq,
    struct text *t, const char *what);
/* An event in the registry (in the request's transaction); one that
 * cannot be stored is only logged. */
void api_note(struct api *a, const char *node, long job, const char *kind,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The request's JSON body, or NULL with rs answered 400. */
struct json_object *api_parse_body(const struct api_request *rq,
    struct api_response *rs);
/* 0 when the request is signed with a node's credential; else -1 with
 * rs answered 403. */
int api_node_only(const struct api_request *rq, const struct auth *au,
    struct api_response *rs);
/* An answer, signed with the keys of the request it answers. */
void api_sign_with(struct api *a, const struct sig_keys *keys,
    const char *nonce, struct api_response *rs);

/* api.c: the transaction of a request, or of the later half of one
 * (api_join_finish, api_heartbeat_finish): begun (0, or -1 with rs
 * answered 503), and ended by rs's status: committed when below 400 (0
 * included: an answer that waits), rolled back otherwise.  api_tx_end
 * returns 0 when committed; when the commit fails, rs becomes a 500 and
 * any admission it carried is dropped. */
int api_tx_begin(struct api *a, const struct api_request *rq,
    struct api_response *rs);
int api_tx_end(struct api *a, const struct api_request *rq,
    struct api_response *rs);

/* api_auth.c: headers, key, signature, clock, nonce.  0, or -1 with rs
 * answered. */
int api_authenticate(struct api *a, const struct api_request *rq,
    struct auth *au, struct api_response *rs);

/* The handlers, one per endpoint: each answers rs. */
void api_do_join(struct api *, const struct api_request *, struct auth *,
    struct api_response *);					/* api_join.c */
void api_do_status(struct api *, const struct api_request *, struct auth *,
    struct api_response *);
void api_do_ready(struct api *, const struct api_request *, struct auth *,
    struct api_response *);					/* api_node.c */
void api_do_drain(struct api *, const struct api_request *, struct auth *,
    struct api_response *);
void api_do_leave(struct api *, const struct api_request *, struct auth *,
    struct api_response *);
void api_do_events(struct api *, const struct api_request *, struct auth *,
    struct api_response *);
void api_do_requeue(struct api *, const struct api_request *, struct auth *,
    struct api_response *);
void api_do_nodes(struct api *, const struct api_request *,
    struct api_response *);
void api_do_heartbeat(struct api *, const struct api_request *,
    struct auth *, struct api_response *);			/* api_heartbeat.c */

/* api_heartbeat.c: the join phases the agents report, and the buckets
 * of their histograms (api_metrics.c shows them) */
extern const char *const api_phases[API_PHASES];
extern const double api_bounds[API_BUCKETS];

#endif
