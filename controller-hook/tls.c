/*
 * tls.c - see tls.h.  GnuTLS reads and makes the certificates: it is the
 * TLS of libmicrohttpd, so the hook has it already, and it does X.509 in a
 * few calls where NSS would take a certificate database.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "atomicfile.h"
#include "crypto.h"
#include "log.h"
#include "tls.h"
#include "util.h"

#define PEM_MAX	(256 * 1024)

void
tls_paths(const struct hook_config *c, char *cert, size_t certsz, char *key,
    size_t keysz)
{
	char dir[PATH_MAX];
	char *slash;

	if (c->tls_cert[0] != '\0') {
		snprintf(cert, certsz, "%s", c->tls_cert);
		snprintf(key, keysz, "%s", c->tls_key);
		return;
	}
	snprintf(dir, sizeof(dir), "%s", c->database);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	snprintf(cert, certsz, "%s/hook.crt", dir[0] != '\0' ? dir : "");
	snprintf(key, keysz, "%s/hook.key", dir[0] != '\0' ? dir : "");
}

/*
 * A PEM file: one open (following a link only where the site gave the
 * path), then what was opened is checked.  A key must be a regular file
 * no other user can read.  1 when absent and absent_ok.
 */
static int
read_pem(const char *path, int is_key, int nofollow, int absent_ok,
    char **out, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
	if (fd < 0 && errno == ENOENT && absent_ok)
		return 1;
	if (fd < 0)
		return errf(err, errlen, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return errf(err, errlen, "%s: not a regular file", path);
	}
	if (is_key && (st.st_mode & 007) != 0) {
		close(fd);
		return errf(err, errlen, "%s: a private key that every user "
		    "can read (mode %04o): chmod o-rwx it, and make a new key "
		    "if it may have been read", path,
		    (unsigned int)(st.st_mode & 07777));
	}
	if (st.st_size <= 0 || st.st_size > PEM_MAX) {
		close(fd);
		return errf(err, errlen, "%s: %s", path, st.st_size <= 0 ?
		    "empty" : "larger than 256 KiB");
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return errf(err, errlen, "%s: out of memory", path);
	}
	while (len < (size_t)st.st_size) {
		n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len != (size_t)st.st_size) {
		free(buf);
		return errf(err, errlen, "%s: short read", path);
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

static int
gtls_err(char *err, size_t errlen, const char *what, int rc)
{
	return errf(err, errlen, "%s: %s", what, gnutls_strerror(rc));
}

/* The pin of a certificate: SHA-256 of its SubjectPublicKeyInfo. */
static int
crt_pin(gnutls_x509_crt_t crt, char pin[TLS_PIN_LEN + 1], char *err,
    size_t errlen)
{
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t der = { NULL, 0 };
	unsigned char md[32];
	int rc;

	if ((rc = gnutls_pubkey_init(&pub)) < 0 ||
	    (rc = gnutls_pubkey_import_x509(pub, crt, 0)) < 0 ||
	    (rc = gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &der)) < 0 ||
	    (rc = gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size,
	    md)) < 0) {
		gnutls_pubkey_deinit(pub);
		gnutls_free(der.data);
		return gtls_err(err, errlen, "the certificate's public key", rc);
	}
	gnutls_pubkey_deinit(pub);
	gnutls_free(der.data);
	memcpy(pin, "sha256:", 7);
	hex_encode(md, sizeof(md), pin + 7);
	return 0;
}

/* The first certificate of a PEM text. */
static int
crt_first(const char *pem, size_t len, gnutls_x509_crt_t *out, char *err,
    size_t errlen)
{
	gnutls_x509_crt_t *list = NULL;
	gnutls_datum_t d = { (unsigned char *)(uintptr_t)pem,
	    (unsigned int)len };
	unsigned int n = 0, i;
	int rc;

	rc = gnutls_x509_crt_list_import2(&list, &n, &d, GNUTLS_X509_FMT_PEM, 0);
	if (rc < 0 || n == 0)
		return errf(err, errlen, "no PEM certificate (%s)",
		    rc < 0 ? gnutls_strerror(rc) : "none in the file");
	for (i = 1; i < n; i++)
		gnutls_x509_crt_deinit(list[i]);
	*out = list[0];
	gnutls_free(list);
	return 0;
}

int
tls_pin_of_pem(const char *pem, size_t len, char pin[TLS_PIN_LEN + 1],
    char *err, size_t errlen)
{
	gnutls_x509_crt_t crt;
	int rc;

	if (crt_first(pem, len, &crt, err, errlen) != 0)
		return -1;
	rc = crt_pin(crt, pin, err, errlen);
	gnutls_x509_crt_deinit(crt);
	return rc;
}

/* A certificate for the hook's own key: the host's name (and the listen
 * address) in it, for clients that check names; nodes check the pin. */
static int
make_cert(const struct hook_config *c, gnutls_x509_privkey_t key,
    char **pem, char *err, size_t errlen)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t out = { NULL, 0 };
	unsigned char serial[16];
	char host[256], cn[300];
	struct in_addr ia;
	time_t now = time(NULL);
	int rc;

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(cn, sizeof(cn), "vnode-hookd on %s", host);
	if (crypto_random(serial, sizeof(serial)) != 0)
		return errf(err, errlen, "no random numbers for a serial");
	serial[0] &= 0x7f;		/* a positive INTEGER */
	serial[0] |= 0x01;		/* with no leading zero byte */
	if ((rc = gnutls_x509_crt_init(&crt)) < 0 ||
	    (rc = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
	    (rc = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial))) < 0 ||
	    (rc = gnutls_x509_crt_set_activation_time(crt, now - 3600)) < 0 ||
	    (rc = gnutls_x509_crt_set_expiration_time(crt,
	    now + (time_t)TLS_MADE_DAYS * 86400)) < 0 ||
	    (rc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME,
	    0, cn, (unsigned int)strlen(cn))) < 0 ||
	    (rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME,
	    host, (unsigned int)strlen(host), GNUTLS_FSAN_APPEND)) < 0 ||
	    (rc = gnutls_x509_crt_set_key(crt, key)) < 0 ||
	    (rc = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) < 0 ||
	    (rc = gnutls_x509_crt_set_key_usage(crt,
	    GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
	    (rc = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER,
	    0)) < 0)
		goto fail;
	if (strcmp(c->listen_host, "*") != 0 &&
	    inet_pton(AF_INET, c->listen_host, &ia) == 1 &&
	    (rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS,
	    &ia, 4, GNUTLS_FSAN_APPEND)) < 0)
		goto fail;
	if ((rc = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0)) < 0 ||
	    (rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &out)) < 0)
		goto fail;
	gnutls_x509_crt_deinit(crt);
	if ((*pem = strndup((const char *)out.data, out.size)) == NULL) {
		gnutls_free(out.data);
		return errf(err, errlen, "out of memory");
	}
	gnutls_free(out.data);
	return 0;
fail:
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	return gtls_err(err, errlen, "making the hook's certificate", rc);
}

static int
load_key(const char *path, const char *pem, gnutls_x509_privkey_t *key,
    char *err, size_t errlen)
{
	gnutls_datum_t d = { (unsigned char *)(uintptr_t)pem,
	    (unsigned int)strlen(pem) };
	int rc;

	if ((rc = gnutls_x509_privkey_init(key)) < 0)
		return gtls_err(err, errlen, path, rc);
	if ((rc = gnutls_x509_privkey_import2(*key, &d, GNUTLS_X509_FMT_PEM,
	    NULL, GNUTLS_PKCS_PLAIN)) < 0) {
		gnutls_x509_privkey_deinit(*key);
		*key = NULL;
		return errf(err, errlen, "%s: not a PEM private key without a "
		    "passphrase (%s)", path, gnutls_strerror(rc));
	}
	return 0;
}

/* The hook's own pair: made when neither file is there, its certificate
 * renewed with the same key when TLS_RENEW_DAYS or fewer are left. */
static int
own_pair(const struct hook_config *c, struct hook_tls *t, int make,
    gnutls_x509_privkey_t *key, char *err, size_t errlen)
{
	gnutls_datum_t out = { NULL, 0 };
	gnutls_x509_crt_t crt;
	time_t end;
	int kr, cr, rc;

	kr = read_pem(t->key_path, 1, 1, make, &t->key_pem, err, errlen);
	if (kr < 0)
		return -1;
	cr = read_pem(t->cert_path, 0, 1, make, &t->cert_pem, err, errlen);
	if (cr < 0)
		return -1;
	if (kr == 1 && cr == 0)
		return errf(err, errlen, "%s is there without %s: remove it, and "
		    "vnode-hookd makes a new pair (and a new pin: the nodes' "
		    "user data must change)", t->cert_path, t->key_path);
	if (kr == 1) {
		if ((rc = gnutls_x509_privkey_init(key)) < 0 ||
		    (rc = gnutls_x509_privkey_generate2(*key, GNUTLS_PK_ECDSA,
		    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0, NULL,
		    0)) < 0 ||
		    (rc = gnutls_x509_privkey_export2(*key, GNUTLS_X509_FMT_PEM,
		    &out)) < 0)
			return gtls_err(err, errlen, "making the hook's key", rc);
		rc = af_write(t->key_path, out.data, out.size, 0600,
		    (uid_t)-1, (gid_t)-1, err, errlen);
		explicit_bzero(out.data, out.size);
		gnutls_free(out.data);
		if (rc != 0)
			return -1;
		log_info("tls: made a key, %s", t->key_path);
	} else if (load_key(t->key_path, t->key_pem, key, err, errlen) != 0)
		return -1;
	if (cr == 0 && make) {
		if (crt_first(t->cert_pem, strlen(t->cert_pem), &crt, err,
		    errlen) != 0)
			return errf(err, errlen, "%s: no PEM certificate: remove "
			    "it, and vnode-hookd makes one", t->cert_path);
		end = gnutls_x509_crt_get_expiration_time(crt);
		gnutls_x509_crt_deinit(crt);
		if (end - time(NULL) > (time_t)TLS_RENEW_DAYS * 86400)
			return 0;
		free(t->cert_pem);
		t->cert_pem = NULL;
		cr = 1;
	}
	if (cr == 1) {
		if (make_cert(c, *key, &t->cert_pem, err, errlen) != 0 ||
		    af_write(t->cert_path, t->cert_pem, strlen(t->cert_pem), 0644,
		    (uid_t)-1, (gid_t)-1, err, errlen) != 0)
			return -1;
		log_info("tls: made a certificate for %d days, %s", TLS_MADE_DAYS,
		    t->cert_path);
	}
	if (t->key_pem == NULL) {
		/* made just now: read back what the server will serve */
		if (read_pem(t->key_path, 1, 1, 0, &t->key_pem, err, errlen) != 0)
			return -1;
	}
	return 0;
}

int
tls_load(const struct hook_config *c, int make, struct hook_tls *t,
    char *err, size_t errlen)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	unsigned char kid[64], cid[64];
	size_t klen = sizeof(kid), clen = sizeof(cid);
	char e2[400];
	int rc = -1;

	memset(t, 0, sizeof(*t));
	tls_paths(c, t->cert_path, sizeof(t->cert_path), t->key_path,
	    sizeof(t->key_path));
	t->made = c->tls_cert[0] == '\0';
	if (t->made) {
		if (own_pair(c, t, make, &key, err, errlen) != 0)
			goto out;
	} else if (read_pem(t->cert_path, 0, 0, 0, &t->cert_pem, err,
	    errlen) != 0 ||
	    read_pem(t->key_path, 1, 0, 0, &t->key_pem, err, errlen) != 0 ||
	    load_key(t->key_path, t->key_pem, &key, err, errlen) != 0)
		goto out;
	if (crt_first(t->cert_pem, strlen(t->cert_pem), &crt, e2,
	    sizeof(e2)) != 0) {
		errf(err, errlen, "%s: %s", t->cert_path, e2);
		goto out;
	}
	if (gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, cid,
	    &clen) < 0 ||
	    gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, kid,
	    &klen) < 0 || clen != klen || memcmp(cid, kid, clen) != 0) {
		errf(err, errlen, "%s is not the key of %s (the first "
		    "certificate in it)", t->key_path, t->cert_path);
		goto out;
	}
	if (crt_pin(crt, t->pin, e2, sizeof(e2)) != 0) {
		errf(err, errlen, "%s: %s", t->cert_path, e2);
		goto out;
	}
	t->not_before = gnutls_x509_crt_get_activation_time(crt);
	t->not_after = gnutls_x509_crt_get_expiration_time(crt);
	rc = 0;
out:
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	if (rc != 0)
		tls_free(t);
	return rc;
}

void
tls_free(struct hook_tls *t)
{
	if (t->key_pem != NULL) {
		explicit_bzero(t->key_pem, strlen(t->key_pem));
		free(t->key_pem);
	}
	free(t->cert_pem);
	t->key_pem = t->cert_pem = NULL;
}

const char *
tls_warning(const struct hook_tls *t, time_t now, char *buf, size_t bufsz)
{
	char when[64];
	struct tm tm;
	time_t at = now < t->not_before ? t->not_before : t->not_after;

	gmtime_r(&at, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	if (now < t->not_before)
		snprintf(buf, bufsz, "%s is valid only from %s: nodes refuse "
		    "it until then (is this host's clock right?)", t->cert_path,
		    when);
	else if (now >= t->not_after)
		snprintf(buf, bufsz, "%s expired on %s: nodes refuse it; %s",
		    t->cert_path, when, t->made ? "restart vnode-hookd, which "
		    "renews its own" : "renew it with the same key (the pin "
		    "stays) and restart vnode-hookd");
	else if (t->not_after - now <= (time_t)TLS_RENEW_DAYS * 86400)
		snprintf(buf, bufsz, "%s expires on %s: nodes refuse it from "
		    "then; %s", t->cert_path, when, t->made ? "restart "
		    "vnode-hookd, which renews its own" : "renew it with the "
		    "same key (the pin stays) and restart vnode-hookd");
	else
		return NULL;
	return buf;
}
