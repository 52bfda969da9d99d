/*
 * hookclient.h - signed calls to vnode-hookd over HTTP(S) (http.h).
 * Every answer that matters is signed by the hook with the same key; an
 * answer that is not is never trusted.
 */
#ifndef VNODE_AGENT_HOOKCLIENT_H
#define VNODE_AGENT_HOOKCLIENT_H

#include <stddef.h>

#include "sig.h"

struct hook_key {
	char id[80];			/* "token:ID" or "node:NAME" */
	struct sig_keys keys;
};

struct hook_answer {
	long status;			/* HTTP status */
	char *body;			/* NUL-terminated, allocated */
	size_t len;
	int is_signed;			/* signature present and right */
	char reason[300];		/* the hook's "error", printable */
	char nonce[SIG_NONCE_LEN + 1];	/* of our request */
};

/* POST base_url+path with body, signed with key; an https base_url's
 * server must have the key pin names (NULL or "": its CAs vouch).  0 when an answer came
 * back (any status: see ans->status); -1 when none did (connection, time
 * out, malformed, stopped by http_abort_on()'s flag); HOOK_FORGED when one
 * came with a signature that does not verify, or from a server whose key is
 * not the pinned one: not the controller. */
#define HOOK_FORGED (-2)
int hook_post(const char *base_url, const char *pin, const char *path,
    const struct hook_key *key, const char *body, double timeout,
    struct hook_answer *ans, char *err, size_t errlen);
void hook_answer_free(struct hook_answer *ans);

int hook_key_token(struct hook_key *k, const char *token);
int hook_key_node(struct hook_key *k, const char *node, const char *credential);

#endif
