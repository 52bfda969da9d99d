/*
 * vnode-sign - test helper: sign a request the way vnode-agent does, with
 * any timestamp and nonce, and print the headers for curl.  This is how the
 * system tests build requests that are wrong in exactly one way.
 *
 *   vnode-sign KIND SECRET KEYID METHOD PATH TIME NONCE BODYFILE
 *     KIND: token or node; TIME: Unix seconds or "now"; NONCE: 32 hex
 *     digits or "new".  Prints "-H" lines for curl's --config.
 *   vnode-sign verify KIND SECRET NONCE STATUS TIME SIG BODYFILE
 *     exits 0 when SIG is the hook's signature of that answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "sig.h"
#include "util.h"

static char *
body_of(const char *path, size_t *len)
{
	char *buf = NULL, err[256];

	if (read_file(path, 1 << 20, &buf, len, err, sizeof(err)) != 0) {
		fprintf(stderr, "vnode-sign: %s\n", err);
		exit(2);
	}
	return buf;
}

int
main(int argc, char *argv[])
{
	struct sig_keys k;
	char sig[SIG_HEX_LEN + 1], nonce[SIG_NONCE_LEN + 1], err[128];
	enum sig_kind kind;
	size_t len;
	long ts, status;
	char *body;
	int rc;

	if (crypto_init(err, sizeof(err)) != 0)
		return 2;
	if (argc == 9 && strcmp(argv[1], "verify") == 0) {
		kind = strcmp(argv[2], "node") == 0 ? SIG_NODE : SIG_TOKEN;
		if (sig_keys_from_secret(kind, argv[3], &k) != 0 ||
		    parse_long(argv[5], 100, 599, &status) != 0 ||
		    parse_long(argv[6], 0, 999999999999L, &ts) != 0)
			return 2;
		body = body_of(argv[8], &len);
		rc = sig_response_check(&k, argv[4], (int)status, ts, body, len,
		    argv[7]) == 0 ? 0 : 1;
		free(body);
		return rc;
	}
	if (argc != 9) {
		fprintf(stderr, "usage: vnode-sign token|node SECRET KEYID METHOD "
		    "PATH TIME NONCE BODYFILE\n");
		return 2;
	}
	kind = strcmp(argv[1], "node") == 0 ? SIG_NODE : SIG_TOKEN;
	if (sig_keys_from_secret(kind, argv[2], &k) != 0) {
		fprintf(stderr, "vnode-sign: bad secret\n");
		return 2;
	}
	if (strcmp(argv[6], "now") == 0)
		ts = wall_now();
	else if (parse_long(argv[6], 0, 999999999999L, &ts) != 0)
		return 2;
	if (strcmp(argv[7], "new") == 0)
		sig_new_nonce(nonce);
	else
		snprintf(nonce, sizeof(nonce), "%s", argv[7]);
	body = body_of(argv[8], &len);
	if (sig_request(&k, argv[4], argv[5], argv[3], ts, nonce, body, len,
	    sig) != 0)
		return 2;
	printf("header = \"%s: %s\"\n", SIG_HDR_KEY, argv[3]);
	printf("header = \"%s: %ld\"\n", SIG_HDR_TIME, ts);
	printf("header = \"%s: %s\"\n", SIG_HDR_NONCE, nonce);
	printf("header = \"%s: %s\"\n", SIG_HDR_SIG, sig);
	free(body);
	return 0;
}
