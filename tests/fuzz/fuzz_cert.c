/*
 * fuzz_cert - libFuzzer target for the agent's reading of the hook's
 * certificate (agent/certpin.c), which a server sends: the input as the
 * DER of a certificate, wrapped in PEM as libcurl hands it over, and as
 * PEM text itself.  A certificate read must have a pin of the right form
 * and read the same twice.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "certpin.h"
#include "crypto.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (crypto_init(NULL, 0) != 0)
		abort();
	return 0;
}

static void
check(const char *pem, size_t len)
{
	struct cert_facts f, g;
	char err[200];

	if (cert_facts(pem, len, &f, err, sizeof(err)) != 0)
		return;
	if (strlen(f.pin) != CERTPIN_LEN || strncmp(f.pin, "sha256:", 7) != 0 ||
	    !hex_valid(f.pin + 7, 64))
		abort();
	if (cert_facts(pem, len, &g, err, sizeof(err)) != 0 ||
	    memcmp(&f, &g, sizeof(f)) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char b[] = "-----BEGIN CERTIFICATE-----\n";
	static const char e[] = "\n-----END CERTIFICATE-----\n";
	char *pem;
	size_t n;

	if (size > 16384)
		return 0;
	if ((pem = malloc(sizeof(b) + 4 * (size + 2) / 3 + sizeof(e) + 1)) == NULL)
		return 0;
	memcpy(pem, b, sizeof(b) - 1);
	b64_encode(data, size, pem + sizeof(b) - 1);
	n = strlen(pem);
	memcpy(pem + n, e, sizeof(e));
	check(pem, strlen(pem));
	free(pem);
	check((const char *)data, size);
	return 0;
}
