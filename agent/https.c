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
	char why[160];			/* why a callback ended the transfer */
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
	if ((cc = cu.easy_perform(e)) != CURLE_OK) {
		errf(err, errlen, "%s", c.why[0] != '\0' ? c.why : cerr[0] !=
		    '\0' ? cerr : cu.easy_strerror(cc));
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
