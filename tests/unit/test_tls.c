/*
 * test_tls - the hook's certificate and the agent's pin, against each
 * other and against a real TLS server (libmicrohttpd, as vnode-hookd):
 *
 *   - the hook makes a key and certificate, keeps them, and renews a
 *     certificate near its end with the same key (the pin stays);
 *   - a key others can read, a key of another certificate, a certificate
 *     without its key are refused, each with its reason;
 *   - the agent's DER reading gives the pin GnuTLS gives, and refuses
 *     what is not a certificate;
 *   - https with the right pin answers; a wrong pin is refused naming the
 *     key the server has; an expired and a not yet valid certificate are
 *     refused before the request is sent (the server never sees it).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>

#include "certpin.h"
#include "config.h"
#include "crypto.h"
#include "http.h"
#include "tls.h"
#include "util.h"

static char dir[] = "/tmp/test_tls.XXXXXX";

static void
conf(struct hook_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->database, sizeof(c->database), "%s/hookd.db", dir);
	snprintf(c->listen_host, sizeof(c->listen_host), "127.0.0.1");
	c->tls = 1;
}

static char *
slurp(const char *path)
{
	char *buf = NULL;
	size_t len;

	assert_int_equal(read_file(path, 1 << 20, &buf, &len, NULL, 0), 0);
	return buf;
}

static void
spit(const char *path, const char *text, mode_t mode)
{
	FILE *f;

	unlink(path);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

/* A certificate for key (PEM) valid from..until, self-signed. */
static char *
cert_for(const char *keypem, time_t from, time_t until)
{
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	gnutls_datum_t d = { (unsigned char *)(uintptr_t)keypem,
	    (unsigned int)strlen(keypem) }, out;
	unsigned char serial[1] = { 7 };
	char *pem;

	assert_int_equal(gnutls_x509_privkey_init(&key), 0);
	assert_int_equal(gnutls_x509_privkey_import(key, &d,
	    GNUTLS_X509_FMT_PEM), 0);
	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	gnutls_x509_crt_set_version(crt, 3);
	gnutls_x509_crt_set_serial(crt, serial, 1);
	gnutls_x509_crt_set_activation_time(crt, from);
	gnutls_x509_crt_set_expiration_time(crt, until);
	gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
	    "test", 4);
	assert_int_equal(gnutls_x509_crt_set_key(crt, key), 0);
	assert_int_equal(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256,
	    0), 0);
	assert_int_equal(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM,
	    &out), 0);
	pem = strndup((const char *)out.data, out.size);
	gnutls_free(out.data);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
	return pem;
}

static char *
new_key(void)
{
	gnutls_x509_privkey_t key;
	gnutls_datum_t out;
	char *pem;

	assert_int_equal(gnutls_x509_privkey_init(&key), 0);
	assert_int_equal(gnutls_x509_privkey_generate(key, GNUTLS_PK_RSA, 2048,
	    0), 0);
	assert_int_equal(gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM,
	    &out), 0);
	pem = strndup((const char *)out.data, out.size);
	gnutls_free(out.data);
	gnutls_x509_privkey_deinit(key);
	return pem;
}

static void
test_made_and_renewed(void **state)
{
	struct hook_config c;
	struct hook_tls t, t2;
	struct cert_facts f;
	char err[600], path[600], *key, *old;
	struct stat st;
	time_t now = time(NULL);

	(void)state;
	conf(&c);
	/* without make: nothing there is an error naming the file */
	assert_int_equal(tls_load(&c, 0, &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "hook.key"));
	assert_int_equal(tls_load(&c, 1, &t, err, sizeof(err)), 0);
	assert_int_equal(t.made, 1);
	assert_int_equal(strncmp(t.pin, "sha256:", 7), 0);
	assert_int_equal(strlen(t.pin), TLS_PIN_LEN);
	assert_true(t.not_after - now > (TLS_MADE_DAYS - 1) * 86400L);
	snprintf(path, sizeof(path), "%s/hook.key", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_null(tls_warning(&t, now, err, sizeof(err)));
	/* the agent reads the same pin and dates from the PEM */
	assert_int_equal(cert_facts(t.cert_pem, strlen(t.cert_pem), &f, err,
	    sizeof(err)), 0);
	assert_string_equal(f.pin, t.pin);
	assert_true(f.not_before == t.not_before);
	assert_true(f.not_after == t.not_after);

	/* kept: loaded again, the same */
	assert_int_equal(tls_load(&c, 1, &t2, err, sizeof(err)), 0);
	assert_string_equal(t2.pin, t.pin);
	assert_string_equal(t2.cert_pem, t.cert_pem);
	tls_free(&t2);

	/* ten days left: renewed with the same key, the pin stays */
	snprintf(path, sizeof(path), "%s/hook.crt", dir);
	key = slurp(t.key_path);
	old = cert_for(key, now - 86400, now + 10 * 86400);
	spit(path, old, 0644);
	assert_int_equal(tls_load(&c, 1, &t2, err, sizeof(err)), 0);
	assert_string_equal(t2.pin, t.pin);
	assert_string_not_equal(t2.cert_pem, old);
	assert_true(t2.not_after - now > (TLS_MADE_DAYS - 1) * 86400L);
	tls_free(&t2);
	/* the warning for a certificate near its end, and past it */
	t2 = t;
	t2.not_after = now + 5 * 86400;
	assert_non_null(tls_warning(&t2, now, err, sizeof(err)));
	assert_non_null(strstr(err, "expires on"));
	t2.not_after = now - 1;
	assert_non_null(tls_warning(&t2, now, err, sizeof(err)));
	assert_non_null(strstr(err, "expired on"));
	t2.not_before = now + 3600;
	assert_non_null(tls_warning(&t2, now, err, sizeof(err)));
	assert_non_null(strstr(err, "valid only from"));

	/* a certificate of ours without its key */
	unlink(t.key_path);
	assert_int_equal(tls_load(&c, 1, &t2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "without"));
	unlink(path);
	free(key);
	free(old);
	tls_free(&t);
}

static void
test_site_pair(void **state)
{
	struct hook_config c;
	struct hook_tls t;
	struct cert_facts f;
	char err[600], *k1, *k2, *crt;
	time_t now = time(NULL);

	(void)state;
	conf(&c);
	snprintf(c.tls_cert, sizeof(c.tls_cert), "%s/site.crt", dir);
	snprintf(c.tls_key, sizeof(c.tls_key), "%s/site.key", dir);
	k1 = new_key();
	k2 = new_key();
	crt = cert_for(k1, now - 60, now + 86400 * 365);
	spit(c.tls_cert, crt, 0644);
	spit(c.tls_key, k1, 0640);
	assert_int_equal(tls_load(&c, 1, &t, err, sizeof(err)), 0);
	assert_int_equal(t.made, 0);
	/* an RSA key: longer DER lengths, the same pin both ways */
	assert_int_equal(cert_facts(crt, strlen(crt), &f, err, sizeof(err)), 0);
	assert_string_equal(f.pin, t.pin);
	tls_free(&t);
	/* every user can read the key */
	chmod(c.tls_key, 0644);
	assert_int_equal(tls_load(&c, 1, &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "every user can read"));
	/* the key of another certificate */
	spit(c.tls_key, k2, 0600);
	assert_int_equal(tls_load(&c, 1, &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is not the key of"));
	/* not a certificate */
	spit(c.tls_key, k1, 0600);
	spit(c.tls_cert, "hello\n", 0644);
	assert_int_equal(tls_load(&c, 1, &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no PEM certificate"));
	/* the site's files are never made */
	unlink(c.tls_cert);
	assert_int_equal(tls_load(&c, 1, &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "site.crt"));
	assert_int_equal(access(c.tls_cert, F_OK), -1);
	unlink(c.tls_key);
	free(k1);
	free(k2);
	free(crt);
}

static void
test_der(void **state)
{
	struct hook_config c;
	struct hook_tls t;
	struct cert_facts f;
	char err[300], *bad, *p, cpin[64];
	size_t i;
	unsigned char raw[5] = { 0xfb, 0xff, 0x00, 'a', 'b' };
	char b64[16];

	(void)state;
	conf(&c);
	assert_int_equal(tls_load(&c, 1, &t, err, sizeof(err)), 0);
	assert_int_equal(cert_facts("x", 1, &f, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no PEM certificate"));
	/* each truncation of the DER is refused, never read past */
	bad = strdup(t.cert_pem);
	p = strstr(bad, "-----END");
	for (i = 28; bad + i < p; i += 7) {
		char *cut = strndup(bad, i);
		char *pem;

		assert_int_equal(asprintf(&pem, "%s\n-----END CERTIFICATE-----\n",
		    cut), (int)strlen(cut) + 27);
		assert_int_equal(cert_facts(pem, strlen(pem), &f, err,
		    sizeof(err)), -1);
		free(pem);
		free(cut);
	}
	free(bad);
	/* curl's form of the pin */
	assert_int_equal(cert_pin_curl(t.pin, cpin, sizeof(cpin)), 0);
	assert_int_equal(strncmp(cpin, "sha256//", 8), 0);
	assert_int_equal(strlen(cpin), 8 + 44);
	assert_int_equal(cert_pin_curl("sha256:12", cpin, sizeof(cpin)), -1);
	b64_encode(raw, 5, b64);
	assert_string_equal(b64, "+/8AYWI=");
	b64_encode(raw, 3, b64);
	assert_string_equal(b64, "+/8A");
	b64_encode(raw, 4, b64);
	assert_string_equal(b64, "+/8AYQ==");
	tls_free(&t);
	unlink(t.cert_path);
	unlink(t.key_path);
}

/* A TLS server as vnode-hookd's: answers 200 "ok", counts requests. */
static int requests;

static enum MHD_Result
answer(void *cls, struct MHD_Connection *con, const char *url,
    const char *method, const char *version, const char *data, size_t *len,
    void **con_cls)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	(void)cls; (void)url; (void)method; (void)version; (void)data;
	if (*con_cls == NULL) {
		*con_cls = (void *)1;
		return MHD_YES;
	}
	if (*len > 0) {
		*len = 0;
		return MHD_YES;
	}
	requests++;
	r = MHD_create_response_from_buffer(2, (void *)(uintptr_t)"ok",
	    MHD_RESPMEM_PERSISTENT);
	rc = MHD_queue_response(con, 200, r);
	MHD_destroy_response(r);
	return rc;
}

static struct MHD_Daemon *
serve(const char *cert, const char *key, int *port)
{
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *di;

	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS, 0,
	    NULL, NULL, answer, NULL, MHD_OPTION_HTTPS_MEM_CERT, cert,
	    MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_SOCK_ADDR,
	    (struct sockaddr *)&(struct sockaddr_in){ .sin_family = AF_INET,
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) }, MHD_OPTION_END);
	assert_non_null(d);
	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	*port = di->port;
	return d;
}

static int
post(int port, const char *pin, char *err, size_t errlen, long *status)
{
	struct http_request rq;
	struct http_response rs;
	char url[64];
	int rc;

	snprintf(url, sizeof(url), "https://127.0.0.1:%d/v1/x", port);
	memset(&rq, 0, sizeof(rq));
	rq.key = "hook_url";
	rq.method = "POST";
	rq.url = url;
	rq.pin = pin;
	rq.body = "{}";
	rq.body_len = 2;
	rq.timeout = 10;
	rq.max_body = 100;
	rc = http_request(&rq, &rs, err, errlen);
	if (rc == 0) {
		*status = rs.status;
		http_response_free(&rs);
	}
	return rc;
}

static void
test_pinned_https(void **state)
{
	struct hook_config c;
	struct hook_tls t;
	struct MHD_Daemon *d;
	char err[600], other[TLS_PIN_LEN + 1], *crt;
	time_t now = time(NULL);
	long status = 0;
	int port;

	(void)state;
	conf(&c);
	assert_int_equal(tls_load(&c, 1, &t, err, sizeof(err)), 0);
	d = serve(t.cert_pem, t.key_pem, &port);
	requests = 0;
	/* the right pin */
	assert_int_equal(post(port, t.pin, err, sizeof(err), &status), 0);
	assert_int_equal(status, 200);
	assert_int_equal(requests, 1);
	/* another: refused, naming the key the server has */
	snprintf(other, sizeof(other), "sha256:%064d", 0);
	assert_int_equal(post(port, other, err, sizeof(err), &status),
	    HTTP_UNTRUSTED);
	assert_non_null(strstr(err, "not hook_pin"));
	assert_non_null(strstr(err, t.pin));
	/* without a pin, the CAs: a certificate of its own is refused */
	assert_int_equal(post(port, NULL, err, sizeof(err), &status), -1);
	assert_int_equal(requests, 1);
	MHD_stop_daemon(d);

	/* the pinned key, an expired certificate: refused before sending */
	crt = cert_for(t.key_pem, now - 10 * 86400, now - 86400);
	d = serve(crt, t.key_pem, &port);
	assert_int_equal(post(port, t.pin, err, sizeof(err), &status), -1);
	assert_non_null(strstr(err, "expired on"));
	MHD_stop_daemon(d);
	free(crt);
	/* and one not valid yet */
	crt = cert_for(t.key_pem, now + 86400, now + 10 * 86400);
	d = serve(crt, t.key_pem, &port);
	assert_int_equal(post(port, t.pin, err, sizeof(err), &status), -1);
	assert_non_null(strstr(err, "valid only from"));
	MHD_stop_daemon(d);
	free(crt);
	assert_int_equal(requests, 1);
	/* a pin with an http:// URL checks nothing: refused */
	{
		struct http_request rq;
		struct http_response rs;

		memset(&rq, 0, sizeof(rq));
		rq.key = "hook_url";
		rq.method = "GET";
		rq.url = "http://127.0.0.1:1/";
		rq.pin = t.pin;
		rq.timeout = 2;
		rq.max_body = 10;
		assert_int_equal(http_request(&rq, &rs, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "pinned"));
	}
	unlink(t.cert_path);
	unlink(t.key_path);
	tls_free(&t);
}

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	return crypto_init(NULL, 0);
}

static int
teardown(void **state)
{
	(void)state;
	return rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_made_and_renewed),
		cmocka_unit_test(test_site_pair),
		cmocka_unit_test(test_der),
		cmocka_unit_test(test_pinned_https),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
