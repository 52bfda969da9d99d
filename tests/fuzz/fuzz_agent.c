/*
 * fuzz_agent - libFuzzer target for what vnode-agent reads from the cloud
 * and the network: meta_data.json, user_data, agent.conf, an ISO 9660
 * config drive, and the hook's join answer (its envelope, and the sealed
 * secrets inside it).  The first byte picks the parser.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "isofs.h"
#include "join.h"
#include "settings.h"
#include "sig.h"

static struct sig_keys keys;
static const char nonce[] = "0123456789abcdef0123456789abcdef";

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (crypto_init(NULL, 0) != 0 || sig_keys_from_secret(SIG_TOKEN,
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	    &keys) != 0)
		abort();
	return 0;
}

static void
iso(const uint8_t *data, size_t size)
{
	static const char *const paths[] = { "openstack/latest/meta_data.json",
	    "openstack/latest/user_data", "a", "a/b/c/d/e/f/g/h/i" };
	struct iso img;
	char *out, err[256];
	size_t len, i;

	if (iso_open_mem(&img, data, size, err, sizeof(err)) != 0)
		return;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (iso_read(&img, paths[i], 65536, &out, &len, err,
		    sizeof(err)) == 0)
			free(out);
}

/* The secrets of a join answer: the input, sealed as the hook would. */
static void
sealed(const uint8_t *data, size_t size)
{
	struct join_result r;
	char *iv = NULL, *ct = NULL, *body, err[256];
	size_t blen;

	if (sig_seal(&keys, nonce, "vm-1", data, size, &iv, &ct) != 0)
		return;
	blen = strlen(ct) + 512;
	if ((body = malloc(blen)) != NULL) {
		snprintf(body, blen, "{\"node\":\"vm-1\",\"addr\":\"10.0.0.1\","
		    "\"mode\":\"dynamic\",\"conf_server\":\"ctl:6817\","
		    "\"cpus\":1,\"memory_mb\":100,\"rejoin\":false,"
		    "\"features\":[\"vnode\"],\"mounts\":[],\"secrets\":{\"iv\":\"%s\","
		    "\"data\":\"%s\"}}", iv, ct);
		if (join_parse_answer(body, strlen(body), &keys, nonce, &r, err,
		    sizeof(err)) == 0)
			join_result_free(&r);
		free(body);
	}
	free(iv);
	free(ct);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct settings s;
	struct join_result r;
	char err[1024];
	int used;

	if (size < 1)
		return 0;
	settings_init(&s);
	switch (data[0] % 6) {
	case 0:
		settings_parse_meta(&s, (const char *)data + 1, size - 1, "m",
		    err, sizeof(err));
		break;
	case 1:
		settings_parse_user_data(&s, (const char *)data + 1, size - 1,
		    "u", &used, err, sizeof(err));
		break;
	case 2:
		settings_parse_conf(&s, (const char *)data + 1, size - 1, "c",
		    err, sizeof(err));
		break;
	case 3:
		if (join_parse_answer((const char *)data + 1, size - 1, &keys,
		    nonce, &r, err, sizeof(err)) == 0)
			join_result_free(&r);
		break;
	case 4:
		sealed(data + 1, size - 1);
		break;
	case 5:
		iso(data + 1, size - 1);
		break;
	}
	return 0;
}
