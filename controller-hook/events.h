/*
 * events.h - the kinds of events (ckpt/README.md) and the checks of the
 * bodies nodes send about them: POST /v1/events, /v1/requeue and
 * /v1/drain.  No I/O: each check fills a caller's struct, whose strings
 * point into the JSON object checked, or says what was wrong, naming the
 * field (and the index, in an array).
 */
#ifndef VNODE_HOOK_EVENTS_H
#define VNODE_HOOK_EVENTS_H

#include <stddef.h>

#include <json-c/json.h>

#define EV_BATCH_MAX	64		/* events in one request */
#define EV_DETAIL_MAX	200		/* bytes */
#define EV_PAST_MAX	(30 * 86400.0)	/* oldest event time taken, seconds */
#define EV_JOB_MAX	4294967293L	/* Slurm's job ids are below NO_VAL */
#define EV_IMAGE_MAX	1000000L

/* 1 when kind is one the hook knows; ev_kind_by_node: one a node may
 * send (checkpoint, checkpoint-failed, restore, restore-failed). */
int ev_kind_known(const char *kind);
int ev_kind_by_node(const char *kind);
/* Printable ASCII, at most EV_DETAIL_MAX bytes. */
int ev_text_valid(const char *s);

struct ev_in {
	double time;
	long job;
	const char *kind;
	const char *detail;		/* "" when absent */
};

/* {"events": [{"time": T, "job": J, "kind": K, "detail": D}, ...]}:
 * times from now - EV_PAST_MAX to now + skew.  out holds EV_BATCH_MAX. */
int ev_parse_batch(struct json_object *body, double now, double skew,
    struct ev_in *out, size_t *n, char *err, size_t errlen);

/* A checkpoint's outcome: image n, or the error why there is none. */
struct ev_checkpoint {
	long job;
	long image;			/* 0 when error is set */
	const char *error;		/* NULL when image is set */
};

/* {"job": J, "image": n} | {"job": J, "error": "why"}, optional "to". */
struct ev_requeue {
	struct ev_checkpoint cp;
	const char *to;			/* NULL when absent */
};
int ev_parse_requeue(struct json_object *body, struct ev_requeue *r,
    char *err, size_t errlen);

/* POST /v1/drain's body: {} (drain and requeue), {"requeue": false}
 * (drain only), {"checkpoints": [{"job": J, "image": n} | {"job": J,
 * "error": "why"}, ...]} (requeue, with these outcomes). */
struct ev_drain {
	int requeue;			/* 0 with "requeue": false */
	int with_checkpoints;		/* "checkpoints" given */
	size_t ncp;
	struct ev_checkpoint cp[EV_BATCH_MAX];
};
int ev_parse_drain(struct json_object *body, struct ev_drain *d, char *err,
    size_t errlen);

#endif
