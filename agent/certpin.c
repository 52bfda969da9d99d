/*
 * certpin.c - see certpin.h.  A DER walk over the few fields wanted:
 *
 *   Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version
 *       OPTIONAL, serialNumber INTEGER, signature SEQUENCE, issuer
 *       SEQUENCE, validity SEQUENCE { notBefore, notAfter }, subject
 *       SEQUENCE, subjectPublicKeyInfo SEQUENCE, ... }, ... }
 *
 * Every length is checked against what holds it; nothing else is trusted
 * (the pin decides whether the key is the controller's).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certpin.h"
#include "crypto.h"
#include "util.h"

#define CERT_MAX	(64 * 1024)

struct tlv {
	unsigned char tag;
	const unsigned char *start;	/* the tag's byte */
	const unsigned char *val;
	size_t len;			/* of val */
	size_t total;			/* tag, length and value */
};

/* One DER element at p, within n bytes. */
static int
tlv_read(const unsigned char *p, size_t n, struct tlv *t)
{
	size_t len, hdr = 2, k, i;

	if (n < 2 || (p[0] & 0x1f) == 0x1f)	/* no multi-byte tags here */
		return -1;
	t->tag = p[0];
	t->start = p;
	if (p[1] < 0x80)
		len = p[1];
	else {
		k = p[1] & 0x7f;
		if (k == 0 || k > 3 || n < 2 + k)
			return -1;
		for (len = 0, i = 0; i < k; i++)
			len = (len << 8) | p[2 + i];
		if (len < 0x80 || (k > 1 && p[2] == 0))
			return -1;		/* not the shortest form */
		hdr += k;
	}
	if (len > n - hdr)
		return -1;
	t->val = p + hdr;
	t->len = len;
	t->total = hdr + len;
	return 0;
}

/* w decimal digits at s */
static int
digits(const char *s, size_t w)
{
	int v = 0;
	size_t i;

	for (i = 0; i < w; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ). */
static int
der_time(const struct tlv *t, time_t *out)
{
	const char *s = (const char *)t->val;
	struct tm tm;
	size_t i, yl;
	int y;

	if ((t->tag != 0x17 || t->len != 13) && (t->tag != 0x18 || t->len != 15))
		return -1;
	if (s[t->len - 1] != 'Z')
		return -1;
	for (i = 0; i + 1 < t->len; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	yl = t->tag == 0x17 ? 2 : 4;
	y = digits(s, yl);
	if (yl == 2)
		y += y < 50 ? 2000 : 1900;	/* RFC 5280 */
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = digits(s + yl, 2) - 1;
	tm.tm_mday = digits(s + yl + 2, 2);
	tm.tm_hour = digits(s + yl + 4, 2);
	tm.tm_min = digits(s + yl + 6, 2);
	tm.tm_sec = digits(s + yl + 8, 2);
	if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
	    tm.tm_sec > 60)
		return -1;
	*out = timegm(&tm);
	return 0;
}

/* The base64 between the first BEGIN CERTIFICATE and its END. */
static int
pem_der(const char *pem, size_t len, unsigned char **der, size_t *dlen)
{
	static const char b[] = "-----BEGIN CERTIFICATE-----";
	static const char e[] = "-----END CERTIFICATE-----";
	const char *s, *t;
	char *text;
	int rc;

	if ((s = memmem(pem, len, b, sizeof(b) - 1)) == NULL)
		return -1;
	s += sizeof(b) - 1;
	if ((t = memmem(s, len - (size_t)(s - pem), e, sizeof(e) - 1)) == NULL ||
	    (size_t)(t - s) > CERT_MAX * 4 / 3 + 4096)
		return -1;
	if ((text = strndup(s, (size_t)(t - s))) == NULL)
		return -1;
	if ((*der = malloc(strlen(text) * 3 / 4 + 3)) == NULL) {
		free(text);
		return -1;
	}
	rc = b64_decode(text, *der, dlen);
	free(text);
	if (rc != 0) {
		free(*der);
		*der = NULL;
	}
	return rc;
}

int
cert_facts(const char *pem, size_t len, struct cert_facts *f, char *err,
    size_t errlen)
{
	unsigned char *der = NULL, md[CRYPTO_SHA256_LEN];
	struct tlv cert, tbs, el, nb, na;
	const unsigned char *p;
	size_t n, dlen = 0;
	int i, rc = -1;

	memset(f, 0, sizeof(*f));
	if (pem_der(pem, len, &der, &dlen) != 0)
		return errf(err, errlen, "no PEM certificate");
	if (tlv_read(der, dlen, &cert) != 0 || cert.tag != 0x30 ||
	    tlv_read(cert.val, cert.len, &tbs) != 0 || tbs.tag != 0x30)
		goto bad;
	p = tbs.val;
	n = tbs.len;
	if (tlv_read(p, n, &el) != 0)
		goto bad;
	if (el.tag == 0xa0) {			/* [0] version */
		p += el.total;
		n -= el.total;
	}
	/* serial, signature, issuer, validity, subject, key */
	for (i = 0; i < 6; i++) {
		if (tlv_read(p, n, &el) != 0 ||
		    el.tag != (i == 0 ? 0x02 : 0x30))
			goto bad;
		if (i == 3 && (tlv_read(el.val, el.len, &nb) != 0 ||
		    tlv_read(nb.val + nb.len, el.len - nb.total, &na) != 0 ||
		    nb.total + na.total != el.len ||
		    der_time(&nb, &f->not_before) != 0 ||
		    der_time(&na, &f->not_after) != 0))
			goto bad;
		if (i < 5) {
			p += el.total;
			n -= el.total;
		}
	}
	if (crypto_sha256(el.start, el.total, md) != 0) {
		errf(err, errlen, "SHA-256 failed");
		goto out;
	}
	memcpy(f->pin, "sha256:", 7);
	hex_encode(md, sizeof(md), f->pin + 7);
	rc = 0;
	goto out;
bad:
	errf(err, errlen, "not an X.509 certificate as RFC 5280 lays it out");
out:
	free(der);
	return rc;
}

int
cert_pin_curl(const char *pin, char *out, size_t outsz)
{
	unsigned char md[CRYPTO_SHA256_LEN];

	if (strncmp(pin, "sha256:", 7) != 0 ||
	    hex_decode(pin + 7, md, sizeof(md)) != 0 || outsz < 8 + 45)
		return -1;
	memcpy(out, "sha256//", 8);
	b64_encode(md, sizeof(md), out + 8);
	return 0;
}
