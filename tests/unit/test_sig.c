/*
 * test_sig - the wire protocol's signatures and sealed secrets, and the
 * NSS primitives under them (known answers from RFC 4231 and NIST GCM).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto.h"
#include "sig.h"
#include "util.h"

static const char *const SECRET =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
static const char *const NONCE = "0123456789abcdef0123456789abcdef";

static int
setup(void **state)
{
	(void)state;
	return crypto_init(NULL, 0);
}

static void
hexeq(const unsigned char *b, size_t n, const char *want)
{
	char h[256];

	hex_encode(b, n, h);
	assert_string_equal(h, want);
}

static void
test_kat(void **state)
{
	unsigned char out[32], key[32] = { 0 }, iv[12] = { 0 }, ct[32];
	unsigned char zero[16] = { 0 }, back[16];

	(void)state;
	assert_int_equal(crypto_sha256("abc", 3, out), 0);
	hexeq(out, 32, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	/* RFC 4231, test case 2 */
	assert_int_equal(crypto_hmac_sha256((const unsigned char *)"Jefe", 4,
	    "what do ya want for nothing?", 28, out), 0);
	hexeq(out, 32, "5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843");
	/* NIST GCM test case 14: 256-bit zero key, zero IV, 16 zero bytes */
	assert_int_equal(crypto_gcm_seal(key, iv, NULL, 0, zero, 16, ct), 0);
	hexeq(ct, 32, "cea7403d4d606b6e074ec5d3baf39d18"
	    "d0d1c8a799996bf0265b98b5d48ab919");
	assert_int_equal(crypto_gcm_open(key, iv, NULL, 0, ct, 32, back), 0);
	assert_memory_equal(back, zero, 16);
	ct[3] ^= 1;
	assert_int_equal(crypto_gcm_open(key, iv, NULL, 0, ct, 32, back), -1);
}

static void
unhex(const char *h, unsigned char *b)
{
	unsigned int v;

	for (; h[0] != '\0' && sscanf(h, "%2x", &v) == 1; h += 2)
		*b++ = (unsigned char)v;
}

/* NIST GCM test case 16: 256-bit key, 96-bit IV, 20 bytes of AAD, 60 of
 * plaintext; then the AAD changed */
static void
test_kat_gcm_aad(void **state)
{
	unsigned char key[32], iv[12], aad[20], pt[60], ct[76], back[60];

	(void)state;
	unhex("feffe9928665731c6d6a8f9467308308"
	    "feffe9928665731c6d6a8f9467308308", key);
	unhex("cafebabefacedbaddecaf888", iv);
	unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2", aad);
	unhex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d"
	    "8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657"
	    "ba637b39", pt);
	assert_int_equal(crypto_gcm_seal(key, iv, aad, 20, pt, 60, ct), 0);
	hexeq(ct, 76, "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd"
	    "2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0a"
	    "bcc9f662" "76fc6ece0f4e1768cddf8853bb2d551b");
	assert_int_equal(crypto_gcm_open(key, iv, aad, 20, ct, 76, back), 0);
	assert_memory_equal(back, pt, 60);
	aad[0] ^= 1;
	assert_int_equal(crypto_gcm_open(key, iv, aad, 20, ct, 76, back), -1);
}

/* the hook signs from many threads at once: each operation has its own
 * session, so all of them must give the known answer */
static void *
hmac_many(void *arg)
{
	unsigned char out[32];
	char h[65];
	int i;

	(void)arg;
	for (i = 0; i < 300; i++) {
		if (crypto_hmac_sha256((const unsigned char *)"Jefe", 4,
		    "what do ya want for nothing?", 28, out) != 0)
			return (void *)(uintptr_t)"failed";
		hex_encode(out, 32, h);
		if (strcmp(h, "5bdcc146bf60754e6a042426089575c7"
		    "5a003f089d2739839dec58b964ec3843") != 0)
			return (void *)(uintptr_t)"wrong answer";
	}
	return NULL;
}

static void
test_threads(void **state)
{
	pthread_t t[8];
	void *why;
	int i;

	(void)state;
	for (i = 0; i < 8; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hmac_many, NULL),
		    0);
	for (i = 0; i < 8; i++) {
		assert_int_equal(pthread_join(t[i], &why), 0);
		assert_null(why);
	}
}

static void
test_token_parse(void **state)
{
	char id[TOKEN_ID_LEN + 1], secret[SECRET_LEN + 1], tok[200];

	(void)state;
	snprintf(tok, sizeof(tok), "0123456789abcdef.%s", SECRET);
	assert_int_equal(token_parse(tok, id, secret), 0);
	assert_string_equal(id, "0123456789abcdef");
	assert_string_equal(secret, SECRET);
	/* upper case, short id, no dot, extra byte, non-hex, empty */
	snprintf(tok, sizeof(tok), "0123456789ABCDEF.%s", SECRET);
	assert_int_equal(token_parse(tok, id, secret), -1);
	snprintf(tok, sizeof(tok), "0123456789abcde.%s0", SECRET);
	assert_int_equal(token_parse(tok, id, secret), -1);
	snprintf(tok, sizeof(tok), "0123456789abcdef-%s", SECRET);
	assert_int_equal(token_parse(tok, id, secret), -1);
	snprintf(tok, sizeof(tok), "0123456789abcdef.%s0", SECRET);
	assert_int_equal(token_parse(tok, id, secret), -1);
	snprintf(tok, sizeof(tok), "0123456789abcdeg.%s", SECRET);
	assert_int_equal(token_parse(tok, id, secret), -1);
	assert_int_equal(token_parse("", id, secret), -1);
	assert_int_equal(token_parse(NULL, id, secret), -1);
}

static void
test_request(void **state)
{
	struct sig_keys k, other;
	char sig[SIG_HEX_LEN + 1], bad[SIG_HEX_LEN + 1];
	const char *body = "{\"a\":1}";

	(void)state;
	assert_int_equal(sig_keys_from_secret(SIG_TOKEN, SECRET, &k), 0);
	assert_int_equal(sig_request(&k, "POST", "/v1/join", "token:x", 100,
	    NONCE, body, strlen(body), sig), 0);
	assert_int_equal(strlen(sig), SIG_HEX_LEN);
	assert_int_equal(sig_request_check(&k, "POST", "/v1/join", "token:x",
	    100, NONCE, body, strlen(body), sig), 0);
	/* every field is covered */
	assert_int_equal(sig_request_check(&k, "GET", "/v1/join", "token:x",
	    100, NONCE, body, strlen(body), sig), -1);
	assert_int_equal(sig_request_check(&k, "POST", "/v1/leave", "token:x",
	    100, NONCE, body, strlen(body), sig), -1);
	assert_int_equal(sig_request_check(&k, "POST", "/v1/join", "token:y",
	    100, NONCE, body, strlen(body), sig), -1);
	assert_int_equal(sig_request_check(&k, "POST", "/v1/join", "token:x",
	    101, NONCE, body, strlen(body), sig), -1);
	assert_int_equal(sig_request_check(&k, "POST", "/v1/join", "token:x",
	    100, "1123456789abcdef0123456789abcdef", body, strlen(body), sig),
	    -1);
	assert_int_equal(sig_request_check(&k, "POST", "/v1/join", "token:x",
	    100, NONCE, "{\"a\":2}", 7, sig), -1);
	/* upper-case hex of the same signature is the same signature */
	snprintf(bad, sizeof(bad), "%s", sig);
	for (size_t i = 0; bad[i]; i++)
		if (bad[i] >= 'a' && bad[i] <= 'f')
			bad[i] = (char)(bad[i] - 'a' + 'A');
	assert_int_equal(sig_request_check(&k, "POST", "/v1/join", "token:x",
	    100, NONCE, body, strlen(body), bad), 0);
	/* another key, a node key from the same secret, a malformed sig */
	assert_int_equal(sig_keys_from_secret(SIG_TOKEN,
	    "f0112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	    &other), 0);
	assert_int_equal(sig_request_check(&other, "POST", "/v1/join",
	    "token:x", 100, NONCE, body, strlen(body), sig), -1);
	assert_int_equal(sig_keys_from_secret(SIG_NODE, SECRET, &other), 0);
	assert_int_equal(sig_request_check(&other, "POST", "/v1/join",
	    "token:x", 100, NONCE, body, strlen(body), sig), -1);
	assert_int_equal(sig_request_check(&k, "POST", "/v1/join", "token:x",
	    100, NONCE, body, strlen(body), "zz"), -1);
	assert_int_equal(sig_request_check(&k, "POST", "/v1/join", "token:x",
	    100, NONCE, body, strlen(body), NULL), -1);
	/* a field with the separator in it cannot be signed */
	assert_int_equal(sig_request(&k, "POST", "/v1/join\n", "token:x", 100,
	    NONCE, body, strlen(body), sig), -1);
	assert_int_equal(sig_request(&k, "POST", "/v1/join", "token:x\n1", 100,
	    NONCE, body, strlen(body), sig), -1);
}

static void
test_response(void **state)
{
	struct sig_keys k;
	char sig[SIG_HEX_LEN + 1];

	(void)state;
	assert_int_equal(sig_keys_from_secret(SIG_NODE, SECRET, &k), 0);
	assert_int_equal(sig_response(&k, NONCE, 200, 5, "{}", 2, sig), 0);
	assert_int_equal(sig_response_check(&k, NONCE, 200, 5, "{}", 2, sig), 0);
	assert_int_equal(sig_response_check(&k, NONCE, 201, 5, "{}", 2, sig), -1);
	assert_int_equal(sig_response_check(&k, NONCE, 200, 6, "{}", 2, sig), -1);
	assert_int_equal(sig_response_check(&k,
	    "f123456789abcdef0123456789abcdef", 200, 5, "{}", 2, sig), -1);
	assert_int_equal(sig_response_check(&k, NONCE, 200, 5, "{ }", 3, sig),
	    -1);
}

static void
test_seal(void **state)
{
	struct sig_keys k, other;
	char *iv = NULL, *ct = NULL;
	unsigned char *pt = NULL;
	size_t len = 0;
	const char *msg = "{\"munge_key\":\"00ff\"}";

	(void)state;
	assert_int_equal(sig_keys_from_secret(SIG_TOKEN, SECRET, &k), 0);
	assert_int_equal(sig_seal(&k, NONCE, "vm-1", msg, strlen(msg), &iv, &ct),
	    0);
	assert_null(strstr(ct, "munge"));
	assert_int_equal(sig_open(&k, NONCE, "vm-1", iv, ct, &pt, &len), 0);
	assert_int_equal(len, strlen(msg));
	assert_string_equal((char *)pt, msg);
	free(pt);
	pt = NULL;
	/* another request's nonce, another node, another key */
	assert_int_equal(sig_open(&k, "f123456789abcdef0123456789abcdef",
	    "vm-1", iv, ct, &pt, &len), -1);
	assert_int_equal(sig_open(&k, NONCE, "vm-2", iv, ct, &pt, &len), -1);
	assert_int_equal(sig_keys_from_secret(SIG_NODE, SECRET, &other), 0);
	assert_int_equal(sig_open(&other, NONCE, "vm-1", iv, ct, &pt, &len), -1);
	/* a changed byte, a cut-off end, not hex */
	ct[10] = ct[10] == '0' ? '1' : '0';
	assert_int_equal(sig_open(&k, NONCE, "vm-1", iv, ct, &pt, &len), -1);
	ct[10] = ct[10] == '0' ? '1' : '0';
	ct[strlen(ct) - 2] = '\0';
	assert_int_equal(sig_open(&k, NONCE, "vm-1", iv, ct, &pt, &len), -1);
	assert_int_equal(sig_open(&k, NONCE, "vm-1", iv, "zz", &pt, &len), -1);
	assert_int_equal(sig_open(&k, NONCE, "vm-1", "00", ct, &pt, &len), -1);
	assert_null(pt);
	free(iv);
	free(ct);
}

static void
test_random(void **state)
{
	char a[SIG_NONCE_LEN + 1], b[SIG_NONCE_LEN + 1];
	char s[SECRET_LEN + 1], id[TOKEN_ID_LEN + 1];

	(void)state;
	assert_int_equal(sig_new_nonce(a), 0);
	assert_int_equal(sig_new_nonce(b), 0);
	assert_string_not_equal(a, b);
	assert_true(hex_valid(a, SIG_NONCE_LEN));
	assert_int_equal(sig_new_secret(s), 0);
	assert_true(secret_valid(s));
	assert_int_equal(sig_new_token_id(id), 0);
	assert_int_equal(strlen(id), TOKEN_ID_LEN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kat),
		cmocka_unit_test(test_kat_gcm_aad),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_token_parse),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_response),
		cmocka_unit_test(test_seal),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
