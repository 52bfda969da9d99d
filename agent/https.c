/*
 * https.c - see https.h.  Only libcurl's stable C ABI is used, through
 * pointers looked up once; <curl/curl.h> gives their types and constants.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "certpin.h"
#include "http.h"
#include "https.h"
#include "util.h"

static struct {
	void *lib;
	CURLcode (*global_init)(long);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} cu;

struct collect {
	char *body;
	size_t len;
	size_t cap;
	size_t max;
	struct http_header *want;
	size_t nwant;
	volatile sig_atomic_t *stop;
	CURL *easy;
	const char *pin;		/* wanted, "sha256:HEX" */
	int untrusted;			/* the server's key is not it */
	char why[400];			/* why a callback ended the transfer */
};

static int
load(const char *key, char *err, size_t errlen)
{
	const char *e;
	void *lib;

	if (cu.lib != NULL)
		return 0;
	if ((lib = dlopen(HTTPS_LIBCURL, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		e = dlerror();
		return errf(err, errlen, "%s is https://, which takes libcurl, "
		    "and it cannot be loaded (%s): install it (Debian and "
		    "Ubuntu: the package libcurl4), or give an http:// %s", key,
		    e != NULL ? e : HTTPS_LIBCURL, key);
	}
#define SYM(f, name) \
	if ((cu.f = (__typeof__(cu.f))dlsym(lib, name)) == NULL) \
		goto missing
	SYM(global_init, "curl_global_init");
	SYM(global_cleanup, "curl_global_cleanup");
	SYM(easy_init, "curl_easy_init");
	SYM(easy_setopt, "curl_easy_setopt");
	SYM(easy_perform, "curl_easy_perform");
	SYM(easy_getinfo, "curl_easy_getinfo");
	SYM(easy_cleanup, "curl_easy_cleanup");
	SYM(easy_strerror, "curl_easy_strerror");
	SYM(slist_append, "curl_slist_append");
	SYM(slist_free_all, "curl_slist_free_all");
#undef SYM
	if (cu.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		dlclose(lib);
		return errf(err, errlen, "%s is https://: libcurl's "
		    "initialisation failed", key);
	}
	cu.lib = lib;
	return 0;
missing:
	dlclose(lib);
	return errf(err, errlen, "%s is https://, and the %s found is not a "
	    "libcurl this agent can use: install libcurl (Debian and Ubuntu: "
	    "the package libcurl4)", key, HTTPS_LIBCURL);
}

void
https_fini(void)
{
	/* left mapped: TLS libraries do not all like to be unloaded */
	if (cu.lib != NULL)
		cu.global_cleanup();
}

static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct collect *c = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (c->stop != NULL && *c->stop) {
		snprintf(c->why, sizeof(c->why), "stopped");
		return 1;
	}
	return 0;
}

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct collect *c = arg;
	size_t len = size * n, cap;
	char *nb;

	if (len > c->max - c->len) {
		snprintf(c->why, sizeof(c->why), "answer larger than %zu bytes",
		    c->max);
		return 0;
	}
	if (c->len + len + 1 > c->cap) {
		cap = (c->len + len + 1) * 2;
		if (cap > c->max + 1)
			cap = c->max + 1;
		if ((nb = malloc(cap)) == NULL) {
			snprintf(c->why, sizeof(c->why), "out of memory");
			return 0;
		}
		if (c->body != NULL) {
			memcpy(nb, c->body, c->len);
			explicit_bzero(c->body, c->len);
			free(c->body);
		}
		c->body = nb;
		c->cap = cap;
	}
	memcpy(c->body + c->len, data, len);
	c->len += len;
	c->body[c->len] = '\0';
	return len;
}

/* A header line as http.c takes it: the wanted ones, once each. */
static size_t
on_header(char *line, size_t size, size_t n, void *arg)
{
	struct collect *c = arg;
	size_t len = size * n, nl, vl, i;
	const char *v;

	if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		/* a new answer's head (after a 1xx): start again */
		for (i = 0; i < c->nwant; i++)
			c->want[i].value[0] = '\0';
		return len;
	}
	for (i = 0; i < c->nwant; i++) {
		nl = strlen(c->want[i].name);
		if (len <= nl || line[nl] != ':' ||
		    strncasecmp(line, c->want[i].name, nl) != 0)
			continue;
		v = line + nl + 1;
		vl = len - nl - 1;
		while (vl > 0 && (*v == ' ' || *v == '\t')) {
			v++;
			vl--;
		}
		while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' ||
		    v[vl - 1] == ' ' || v[vl - 1] == '\t'))
			vl--;
		if (c->want[i].value[0] != '\0') {
			snprintf(c->why, sizeof(c->why), "header %s twice",
			    c->want[i].name);
			return 0;
		}
		if (vl >= c->want[i].size) {
			snprintf(c->why, sizeof(c->why), "header %s: longer "
			    "than %zu bytes", c->want[i].name,
			    c->want[i].size - 1);
			return 0;
		}
		memcpy(c->want[i].value, v, vl);
		c->want[i].value[vl] = '\0';
	}
	return len;
}

/* The server's certificate as libcurl saw it (CURLOPT_CERTINFO). */
static int
served_cert(CURL *e, struct cert_facts *f, char *err, size_t errlen)
{
	struct curl_certinfo *ci = NULL;
	struct curl_slist *s;

	if (cu.easy_getinfo(e, CURLINFO_CERTINFO, &ci) != CURLE_OK ||
	    ci == NULL || ci->num_of_certs < 1)
		return errf(err, errlen, "libcurl gave no certificate");
	for (s = ci->certinfo[0]; s != NULL; s = s->next)
		if (strncmp(s->data, "Cert:", 5) == 0)
			return cert_facts(s->data + 5, strlen(s->data + 5), f, err,
			    errlen);
	return errf(err, errlen, "libcurl gave the certificate without its PEM");
}

static void
utc(time_t t, char *buf, size_t bufsz)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, bufsz, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/*
 * Connected, the key matched the pin (libcurl checked it in the
 * handshake), nothing sent yet: the certificate's dates.  Without a CA
 * the agent checks them itself, against a clock the time step set.
 */
static int
on_connected(void *arg, char *conn_primary_ip, char *conn_local_ip,
    int conn_primary_port, int conn_local_port)
{
	struct collect *c = arg;
	struct cert_facts f;
	char e[200], when[40];
	time_t now = time(NULL);

	(void)conn_primary_ip;
	(void)conn_local_ip;
	(void)conn_primary_port;
	(void)conn_local_port;
	if (served_cert(c->easy, &f, e, sizeof(e)) != 0) {
		snprintf(c->why, sizeof(c->why), "the hook's certificate: %s", e);
		return CURL_PREREQFUNC_ABORT;
	}
	if (strcmp(f.pin, c->pin) != 0) {
		/* libcurl checked it; not trusted to have */
		snprintf(c->why, sizeof(c->why), "the hook's public key is %s, "
		    "not hook_pin %s", f.pin, c->pin);
		c->untrusted = 1;
		return CURL_PREREQFUNC_ABORT;
	}
	if (now < f.not_before) {
		utc(f.not_before, when, sizeof(when));
		snprintf(c->why, sizeof(c->why), "the hook's certificate is "
		    "valid only from %s (this node's clock: %ld); refused",
		    when, (long)now);
		return CURL_PREREQFUNC_ABORT;
	}
	if (now >= f.not_after) {
		utc(f.not_after, when, sizeof(when));
		snprintf(c->why, sizeof(c->why), "the hook's certificate "
		    "expired on %s; refused (its key is the pinned one: the "
		    "controller's admin renews the certificate)", when);
		return CURL_PREREQFUNC_ABORT;
	}
	return CURL_PREREQFUNC_OK;
}

/* The pin: the key is checked in the handshake, the dates before the
 * request goes; no CA is asked (the hook's own certificate has none). */
static int
pin_options(CURL *e, struct collect *c, const char *pin, char *err,
    size_t errlen)
{
	char cpin[64];

	if (cert_pin_curl(pin, cpin, sizeof(cpin)) != 0)
		return errf(err, errlen, "hook_pin: not sha256:HEX");
	if (cu.easy_setopt(e, CURLOPT_PINNEDPUBLICKEY, cpin) != CURLE_OK ||
	    cu.easy_setopt(e, CURLOPT_CERTINFO, 1L) != CURLE_OK ||
	    cu.easy_setopt(e, CURLOPT_PREREQFUNCTION, on_connected) !=
	    CURLE_OK ||
	    cu.easy_setopt(e, CURLOPT_PREREQDATA, c) != CURLE_OK)
		return errf(err, errlen, "hook_pin is set, and this libcurl "
		    "cannot pin a key and check the certificate before "
		    "sending (7.80 or later can)");
	cu.easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
	cu.easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	c->easy = e;
	c->pin = pin;
	return 0;
}

/* A key that is not the pinned one: which key it was, when libcurl kept
 * the certificate. */
static void
pin_mismatch(CURL *e, const char *pin, char *err, size_t errlen)
{
	struct cert_facts f;
	char e2[200];

	if (served_cert(e, &f, e2, sizeof(e2)) == 0)
		errf(err, errlen, "the hook's public key is %s, not hook_pin %s: "
		    "this is not the controller the pin names (a machine in "
		    "between, or a new key there: vnodectl pin on the "
		    "controller prints its pin)", f.pin, pin);
	else
		errf(err, errlen, "the hook's public key is not hook_pin %s: "
		    "this is not the controller the pin names (a machine in "
		    "between, or a new key there: vnodectl pin on the "
		    "controller prints its pin)", pin);
}

int
https_request(const struct http_request *rq, struct http_response *rs,
    volatile sig_atomic_t *stop, char *err, size_t errlen)
{
	struct curl_slist *hdrs = NULL, *h;
	const char *const *hp;
	struct collect c;
	char cerr[CURL_ERROR_SIZE];
	CURL *e = NULL;
	CURLcode cc;
	size_t i;
	int rc = -1;

	memset(rs, 0, sizeof(*rs));
	memset(&c, 0, sizeof(c));
	c.max = rq->max_body;
	c.want = rq->want;
	c.nwant = rq->nwant;
	c.stop = stop;
	for (i = 0; i < c.nwant; i++)
		c.want[i].value[0] = '\0';
	if (load(rq->key, err, errlen) != 0)
		return -1;
	if ((e = cu.easy_init()) == NULL)
		return errf(err, errlen, "libcurl: out of memory");
	for (hp = rq->headers; hp != NULL && *hp != NULL; hp++) {
		if ((h = cu.slist_append(hdrs, *hp)) == NULL)
			goto oom;
		hdrs = h;
	}
	if ((h = cu.slist_append(hdrs, "Expect:")) == NULL)
		goto oom;
	hdrs = h;
	cerr[0] = '\0';
	cu.easy_setopt(e, CURLOPT_URL, rq->url);
	cu.easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
	cu.easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	cu.easy_setopt(e, CURLOPT_NOPROXY, "*");
	cu.easy_setopt(e, CURLOPT_ERRORBUFFER, cerr);
	cu.easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
	cu.easy_setopt(e, CURLOPT_XFERINFODATA, &c);
	cu.easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	cu.easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
	if (rq->body != NULL) {
		cu.easy_setopt(e, CURLOPT_POSTFIELDS, rq->body);
		cu.easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)rq->body_len);
	}
	if (rq->connect_timeout > 0)
		cu.easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
		    (long)(rq->connect_timeout * 1000));
	cu.easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(rq->timeout * 1000));
	cu.easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	cu.easy_setopt(e, CURLOPT_WRITEDATA, &c);
	cu.easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	cu.easy_setopt(e, CURLOPT_HEADERDATA, &c);
	if (rq->pin != NULL && rq->pin[0] != '\0' &&
	    pin_options(e, &c, rq->pin, err, errlen) != 0)
		goto out;
	if ((cc = cu.easy_perform(e)) != CURLE_OK) {
		if (cc == CURLE_SSL_PINNEDPUBKEYNOTMATCH && c.pin != NULL) {
			pin_mismatch(e, c.pin, err, errlen);
			rc = HTTP_UNTRUSTED;
		} else if (cc == CURLE_PEER_FAILED_VERIFICATION && c.pin == NULL)
			errf(err, errlen, "%s (no CA of this machine vouches for "
			    "it; the hook's own certificate is pinned instead: "
			    "hook_pin, which vnodectl pin prints on the "
			    "controller)", cerr[0] != '\0' ? cerr :
			    cu.easy_strerror(cc));
		else
			errf(err, errlen, "%s", c.why[0] != '\0' ? c.why :
			    cerr[0] != '\0' ? cerr : cu.easy_strerror(cc));
		if (c.untrusted)
			rc = HTTP_UNTRUSTED;
		goto out;
	}
	cu.easy_getinfo(e, CURLINFO_RESPONSE_CODE, &rs->status);
	if (c.body == NULL && (c.body = calloc(1, 1)) == NULL)
		goto oom;
	rs->body = c.body;
	rs->len = c.len;
	c.body = NULL;
	rc = 0;
	goto out;
oom:
	errf(err, errlen, "out of memory");
out:
	if (c.body != NULL) {
		explicit_bzero(c.body, c.len);
		free(c.body);
	}
	cu.slist_free_all(hdrs);
	cu.easy_cleanup(e);
	return rc;
}
