/*
 * hookclient.c - see hookclient.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "hookclient.h"
#include "jsonutil.h"
#include "util.h"

#define MAX_ANSWER	(1024 * 1024)
#define CONNECT_TIMEOUT	5L

struct collect {
	struct hook_answer *ans;
	size_t cap;
	size_t max;
	int too_big;
	char time[32];
	char sig[SIG_HEX_LEN + 1];
};

static volatile int *abort_flag;

void
hookclient_abort_on(volatile int *flag)
{
	abort_flag = flag;
}

static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	(void)arg;
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return abort_flag != NULL && *abort_flag;
}

/* What every transfer shares. */
static void
common_opts(CURL *cu, const char *url, char *cerr)
{
	curl_easy_setopt(cu, CURLOPT_URL, url);
	curl_easy_setopt(cu, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(cu, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(cu, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(cu, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(cu, CURLOPT_NOPROGRESS, 0L);
}

int
hookclient_init(char *err, size_t errlen)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return errf(err, errlen, "libcurl initialisation failed");
	return 0;
}

void
hookclient_fini(void)
{
	curl_global_cleanup();
}

int
hook_key_token(struct hook_key *k, const char *token)
{
	char id[TOKEN_ID_LEN + 1], secret[SECRET_LEN + 1];
	int rc;

	if (token_parse(token, id, secret) != 0)
		return -1;
	snprintf(k->id, sizeof(k->id), "token:%s", id);
	rc = sig_keys_from_secret(SIG_TOKEN, secret, &k->keys);
	explicit_bzero(secret, sizeof(secret));
	return rc;
}

int
hook_key_node(struct hook_key *k, const char *node, const char *credential)
{
	snprintf(k->id, sizeof(k->id), "node:%s", node);
	return sig_keys_from_secret(SIG_NODE, credential, &k->keys);
}

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct collect *c = arg;
	struct hook_answer *a = c->ans;
	size_t len = size * n;
	char *nb;

	if (a->len + len > c->max) {
		c->too_big = 1;
		return 0;
	}
	if (a->len + len + 1 > c->cap) {
		size_t cap = (a->len + len + 1) * 2;

		if ((nb = realloc(a->body, cap)) == NULL)
			return 0;
		a->body = nb;
		c->cap = cap;
	}
	memcpy(a->body + a->len, data, len);
	a->len += len;
	a->body[a->len] = '\0';
	return len;
}

/* Copy a header's value if the line is that header. */
static void
header_value(const char *line, size_t len, const char *name, char *out,
    size_t outsz)
{
	size_t n = strlen(name), vlen;
	const char *v;

	if (len <= n + 1 || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return;
	v = line + n + 1;
	while (v < line + len && (*v == ' ' || *v == '\t'))
		v++;
	vlen = (size_t)(line + len - v);
	while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' ||
	    v[vlen - 1] == ' '))
		vlen--;
	if (vlen < outsz) {
		memcpy(out, v, vlen);
		out[vlen] = '\0';
	}
}

static size_t
on_header(char *line, size_t size, size_t n, void *arg)
{
	struct collect *c = arg;
	size_t len = size * n;

	header_value(line, len, SIG_HDR_TIME, c->time, sizeof(c->time));
	header_value(line, len, SIG_HDR_SIG, c->sig, sizeof(c->sig));
	return len;
}

/* The hook's reason, printable ASCII only. */
static void
take_reason(struct hook_answer *a)
{
	struct json_object *o;
	const char *r = NULL;
	char jerr[64];
	size_t i;

	a->reason[0] = '\0';
	if (a->body == NULL || (o = js_parse(a->body, a->len, jerr,
	    sizeof(jerr))) == NULL)
		return;
	if (js_str(o, "error", 1, 1024, &r, jerr, sizeof(jerr)) == 0) {
		for (i = 0; r[i] != '\0' && i + 1 < sizeof(a->reason); i++)
			a->reason[i] = (r[i] >= 0x20 && r[i] < 0x7f) ? r[i] : '?';
		a->reason[i] = '\0';
	}
	json_object_put(o);
}

int
hook_post(const char *base_url, const char *path, const struct hook_key *key,
    const char *body, double timeout, struct hook_answer *ans, char *err,
    size_t errlen)
{
	struct curl_slist *hdrs = NULL;
	struct collect c;
	char url[512], h[256], sig[SIG_HEX_LEN + 1], cerr[CURL_ERROR_SIZE];
	size_t blen = strlen(body), bl;
	long ts = wall_now(), rts;
	CURL *cu;
	CURLcode cc;
	int rc = -1;

	memset(ans, 0, sizeof(*ans));
	memset(&c, 0, sizeof(c));
	c.ans = ans;
	c.max = MAX_ANSWER;
	bl = strlen(base_url);
	if (bl > 0 && base_url[bl - 1] == '/')
		bl--;
	snprintf(url, sizeof(url), "%.*s%s", (int)bl, base_url, path);
	if (sig_new_nonce(ans->nonce) != 0)
		return errf(err, errlen, "no random numbers");
	if (sig_request(&key->keys, "POST", path, key->id, ts, ans->nonce, body,
	    blen, sig) != 0)
		return errf(err, errlen, "cannot sign the request");
	if ((cu = curl_easy_init()) == NULL)
		return errf(err, errlen, "libcurl: out of memory");
	snprintf(h, sizeof(h), "%s: %s", SIG_HDR_KEY, key->id);
	hdrs = curl_slist_append(hdrs, h);
	snprintf(h, sizeof(h), "%s: %ld", SIG_HDR_TIME, ts);
	hdrs = curl_slist_append(hdrs, h);
	snprintf(h, sizeof(h), "%s: %s", SIG_HDR_NONCE, ans->nonce);
	hdrs = curl_slist_append(hdrs, h);
	snprintf(h, sizeof(h), "%s: %s", SIG_HDR_SIG, sig);
	hdrs = curl_slist_append(hdrs, h);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	cerr[0] = '\0';
	common_opts(cu, url, cerr);
	curl_easy_setopt(cu, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(cu, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(cu, CURLOPT_POSTFIELDSIZE, (long)blen);
	curl_easy_setopt(cu, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT);
	curl_easy_setopt(cu, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000));
	curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(cu, CURLOPT_WRITEDATA, &c);
	curl_easy_setopt(cu, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(cu, CURLOPT_HEADERDATA, &c);
	cc = curl_easy_perform(cu);
	if (cc != CURLE_OK) {
		if (c.too_big)
			errf(err, errlen, "%s: answer larger than %d bytes", url,
			    MAX_ANSWER);
		else
			errf(err, errlen, "%s: %s", url, cerr[0] ? cerr :
			    curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &ans->status);
	if (ans->body == NULL && (ans->body = strdup("")) == NULL) {
		errf(err, errlen, "out of memory");
		goto out;
	}
	if (c.sig[0] != '\0') {
		if (parse_long(c.time, 0, 999999999999L, &rts) != 0 ||
		    sig_response_check(&key->keys, ans->nonce, (int)ans->status,
		    rts, ans->body, ans->len, c.sig) != 0) {
			errf(err, errlen, "%s: the answer's signature does not "
			    "verify: this is not the controller that issued the "
			    "key", url);
			rc = HOOK_FORGED;
			goto out;
		}
		ans->is_signed = 1;
	}
	if (ans->status >= 400)
		take_reason(ans);
	rc = 0;
out:
	if (rc != 0)
		hook_answer_free(ans);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(cu);
	return rc;
}

void
hook_answer_free(struct hook_answer *ans)
{
	if (ans->body != NULL) {
		explicit_bzero(ans->body, ans->len);
		free(ans->body);
	}
	ans->body = NULL;
	ans->len = 0;
}

int
http_get(const char *url, double timeout, size_t max, char **body,
    size_t *len, long *status, char *err, size_t errlen)
{
	struct hook_answer ans;
	struct collect c;
	char cerr[CURL_ERROR_SIZE];
	CURL *cu;
	CURLcode cc;
	int rc = -1;

	memset(&ans, 0, sizeof(ans));
	memset(&c, 0, sizeof(c));
	c.ans = &ans;
	c.max = max;
	if ((cu = curl_easy_init()) == NULL)
		return errf(err, errlen, "libcurl: out of memory");
	cerr[0] = '\0';
	common_opts(cu, url, cerr);
	curl_easy_setopt(cu, CURLOPT_CONNECTTIMEOUT_MS, (long)(timeout * 1000));
	curl_easy_setopt(cu, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000));
	curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(cu, CURLOPT_WRITEDATA, &c);
	cc = curl_easy_perform(cu);
	if (cc != CURLE_OK) {
		if (c.too_big)
			errf(err, errlen, "%s: larger than %zu bytes", url, max);
		else
			errf(err, errlen, "%s: %s", url, cerr[0] ? cerr :
			    curl_easy_strerror(cc));
		free(ans.body);
		goto out;
	}
	curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, status);
	if (ans.body == NULL && (ans.body = strdup("")) == NULL) {
		errf(err, errlen, "out of memory");
		goto out;
	}
	*body = ans.body;
	*len = ans.len;
	rc = 0;
out:
	curl_easy_cleanup(cu);
	return rc;
}
