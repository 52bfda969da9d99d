/*
 * openstack.c - see openstack.h.
 *
 * The APIs spoken (OpenStack api-ref): Keystone v3 POST /v3/auth/tokens
 * (application_credential method; the token is the X-Subject-Token
 * header, its catalog in the body); Nova /v2.1 with microversion 2.52
 * (server tags on create, the tags filter on list); Glance /v2/images;
 * Neutron /v2.0/networks.  Endpoints come from the token's catalog.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "jsonutil.h"
#include "kvconf.h"
#include "names.h"
#include "openstack.h"
#include "util.h"

#define NOVA_VERSION	"2.52"
#define TOKEN_MAX	1024		/* Fernet tokens are about 200 bytes */
#define SECRET_MAX	512
#define CRED_FILE_MAX	4096
#define BODY_MAX	(8 * 1024 * 1024)
#define URL_MAX		2048		/* a request's URL */
#define ENDPOINT_MAX	1024		/* an endpoint from the catalog */
#define LIST_PAGE	500
#define LIST_MAX	100000		/* instances, all pages */

struct os_client {
	pthread_mutex_t lock;
	struct os_config cfg;
	char cred_id[256];
	char secret[SECRET_MAX];
	char token[TOKEN_MAX];
	double token_until;		/* monotonic seconds */
	double deadline;		/* monotonic; the call's end at the latest */
	double op_start;		/* monotonic; when the call began */
	double token_at;		/* monotonic; when the token came */
	char compute[ENDPOINT_MAX];	/* endpoints from the catalog */
	char image[ENDPOINT_MAX];
	char network[ENDPOINT_MAX];
	struct os_stats stats;
};

struct resp {
	long status;
	char *body;
	size_t len, cap, max;
	char subject_token[TOKEN_MAX];	/* X-Subject-Token */
	char why[160];			/* why a callback ended the transfer */
};

/* ---- the credential file ---------------------------------------------- */

struct cred {
	char *id;
	size_t idsz;
	char *secret;
	size_t secretsz;
	int have_id, have_secret;
};

static int
cred_line(void *arg, const char *key, const char *val, int lineno,
    char *err, size_t errlen)
{
	struct cred *cr = arg;

	(void)lineno;
	if (strcmp(key, "application_credential_id") == 0) {
		if (val[0] == '\0' || strlen(val) >= cr->idsz ||
		    strspn(val, "abcdefABCDEF0123456789-") != strlen(val))
			return errf(err, errlen, "application_credential_id: "
			    "not an ID (hex digits and '-')");
		snprintf(cr->id, cr->idsz, "%s", val);
		cr->have_id = 1;
		return 0;
	}
	if (strcmp(key, "application_credential_secret") == 0) {
		/* never the value in a message */
		if (val[0] == '\0' || strlen(val) >= cr->secretsz)
			return errf(err, errlen, "application_credential_secret:"
			    " empty or longer than %zu bytes", cr->secretsz - 1);
		snprintf(cr->secret, cr->secretsz, "%s", val);
		cr->have_secret = 1;
		return 0;
	}
	return errf(err, errlen, "unknown key \"%s\" (the file holds "
	    "application_credential_id and application_credential_secret)", key);
}

/* The file: a regular file, not a symbolic link, owned by this process's
 * user, with no permission for its group or others; then its two keys. */
static int
cred_read(const char *path, char *id, size_t idsz, char *secret,
    size_t secretsz, char *err, size_t errlen)
{
	struct cred cr = { id, idsz, secret, secretsz, 0, 0 };
	struct stat st;
	char *buf = NULL;
	ssize_t r;
	size_t len = 0;
	int fd = -1, rc = -1;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) < 0) {
		if (errno == ELOOP)
			return errf(err, errlen, "credentials %s: is a symbolic "
			    "link; name the file itself", path);
		if (errno == EACCES)
			return errf(err, errlen, "credentials %s: %s (it must be "
			    "this process's user's, uid %u, mode 0600)", path,
			    strerror(errno), (unsigned)geteuid());
		return errf(err, errlen, "credentials %s: %s", path,
		    strerror(errno));
	}
	if (fstat(fd, &st) != 0) {
		errf(err, errlen, "credentials %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		errf(err, errlen, "credentials %s: not a regular file", path);
		goto out;
	}
	if (st.st_uid != geteuid()) {
		errf(err, errlen, "credentials %s: owned by uid %u, not by "
		    "this process's user (uid %u)", path, (unsigned)st.st_uid,
		    (unsigned)geteuid());
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		errf(err, errlen, "credentials %s: mode %04o lets %s at it; "
		    "only its owner may read it (chmod 600)", path,
		    (unsigned)(st.st_mode & 07777),
		    (st.st_mode & S_IRWXG) && (st.st_mode & S_IRWXO) ?
		    "its group and others" : st.st_mode & S_IRWXG ?
		    "its group" : "others");
		goto out;
	}
	if (st.st_size > CRED_FILE_MAX) {
		errf(err, errlen, "credentials %s: larger than %d bytes", path,
		    CRED_FILE_MAX);
		goto out;
	}
	if ((buf = malloc(CRED_FILE_MAX + 1)) == NULL) {
		errf(err, errlen, "out of memory");
		goto out;
	}
	while (len < CRED_FILE_MAX &&
	    (r = read(fd, buf + len, CRED_FILE_MAX - len)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			errf(err, errlen, "credentials %s: %s", path,
			    strerror(errno));
			goto out;
		}
		len += (size_t)r;
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len) != NULL) {
		errf(err, errlen, "credentials %s: holds a NUL byte", path);
		goto out;
	}
	if (kv_parse(buf, path, cred_line, &cr, err, errlen) != 0)
		goto out;
	if (!cr.have_id || !cr.have_secret) {
		errf(err, errlen, "credentials %s: no %s", path, !cr.have_id ?
		    "application_credential_id" : "application_credential_secret");
		goto out;
	}
	rc = 0;
out:
	if (buf != NULL) {
		explicit_bzero(buf, CRED_FILE_MAX + 1);
		free(buf);
	}
	if (rc != 0)
		explicit_bzero(secret, secretsz);
	close(fd);
	return rc;
}

/* ---- small helpers ---------------------------------------------------- */

/* src into dst, cut to fit */
static void
scopy(char *dst, size_t dstsz, const char *src)
{
	size_t n = strlen(src);

	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* a message of the cloud's into dst: cut to fit, blanks off its ends */
static void
say_copy(char *dst, size_t dstsz, const char *src)
{
	char *t;

	scopy(dst, dstsz, src);
	t = str_trim(dst);
	memmove(dst, t, strlen(t) + 1);
}

static size_t
b64_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

/* "2026-12-07T12:19:54Z", "...54.000000Z", "...54+00:00": seconds since
 * the epoch; -1 when it is none of these */
static long
iso_time(const char *s)
{
	struct tm tm;
	const char *p;

	memset(&tm, 0, sizeof(tm));
	if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return -1;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	if (*p != '\0' && *p != 'Z' && strcmp(p, "+00:00") != 0)
		return -1;
	return (long)timegm(&tm);
}

/* A string for a JSON document, quoted and escaped, appended to out;
 * -1 when it does not fit. */
static int
json_put(char *out, size_t outsz, size_t *len, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p;
	size_t o = *len;

#define PUT(ch) do { if (o + 1 >= outsz) return -1; out[o++] = (char)(ch); } while (0)
	PUT('"');
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			PUT('\\');
			PUT(*p);
		} else if (*p < 0x20) {
			PUT('\\');
			PUT('u');
			PUT('0');
			PUT('0');
			PUT(hex[*p >> 4]);
			PUT(hex[*p & 15]);
		} else
			PUT(*p);
	}
	PUT('"');
#undef PUT
	out[o] = '\0';
	*len = o;
	return 0;
}

/* What an error answer says: the "message" of its first member object
 * (Nova's {"badRequest": {"message": ...}}, Keystone's {"error": ...},
 * Neutron's {"NeutronError": ...}), else its first line of text, cut and
 * made printable. */
static void
answer_says(const struct resp *r, char *out, size_t outsz)
{
	struct json_object *o, *v;
	const char *m = NULL;
	char jerr[64];
	size_t i, o2 = 0;

	out[0] = '\0';
	if (r->body == NULL || r->len == 0)
		return;
	if ((o = js_parse(r->body, r->len, jerr, sizeof(jerr))) != NULL) {
		json_object_object_foreach(o, key, val) {
			(void)key;
			if (json_object_is_type(val, json_type_object) &&
			    json_object_object_get_ex(val, "message", &v) &&
			    json_object_is_type(v, json_type_string)) {
				m = json_object_get_string(v);
				break;
			}
		}
		if (m != NULL)
			snprintf(out, outsz, "%s", m);
		json_object_put(o);
		if (m != NULL)
			goto clean;
	}
	for (i = 0; i < r->len && o2 + 1 < outsz && o2 < 200; i++) {
		if (r->body[i] == '\n' && o2 > 0)
			break;
		out[o2++] = r->body[i];
	}
	out[o2] = '\0';
clean:
	for (i = 0; out[i] != '\0'; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = ' ';
	str_trim(out);
}

/* ---- HTTP ------------------------------------------------------------- */

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct resp *r = arg;
	size_t len = size * n, cap;
	char *nb;

	if (len > r->max - r->len) {
		snprintf(r->why, sizeof(r->why), "answer larger than %zu bytes",
		    r->max);
		return 0;
	}
	if (r->len + len + 1 > r->cap) {
		cap = (r->len + len + 1) * 2;
		if (cap > r->max + 1)
			cap = r->max + 1;
		if ((nb = realloc(r->body, cap)) == NULL) {
			snprintf(r->why, sizeof(r->why), "out of memory");
			return 0;
		}
		r->body = nb;
		r->cap = cap;
	}
	memcpy(r->body + r->len, data, len);
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

static size_t
on_header(char *line, size_t size, size_t n, void *arg)
{
	static const char name[] = "X-Subject-Token:";
	struct resp *r = arg;
	size_t len = size * n, nl = sizeof(name) - 1, vl;
	const char *v;

	if (len <= nl || strncasecmp(line, name, nl) != 0)
		return len;
	v = line + nl;
	vl = len - nl;
	while (vl > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vl--;
	}
	while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' ||
	    v[vl - 1] == ' '))
		vl--;
	if (vl == 0 || vl >= sizeof(r->subject_token)) {
		snprintf(r->why, sizeof(r->why), "X-Subject-Token: empty or "
		    "longer than %zu bytes", sizeof(r->subject_token) - 1);
		return 0;
	}
	memcpy(r->subject_token, v, vl);
	r->subject_token[vl] = '\0';
	return len;
}

static void
resp_free(struct resp *r)
{
	if (r->body != NULL) {
		explicit_bzero(r->body, r->cap);
		free(r->body);
	}
	explicit_bzero(r->subject_token, sizeof(r->subject_token));
	memset(r, 0, sizeof(*r));
}

/* One request.  svc names the service for messages ("Nova").  A transport
 * failure is an error; any HTTP status is returned in r->status for the
 * caller to judge.  body is sent as JSON; auth adds the token. */
static int
call(struct os_client *c, const char *svc, const char *method,
    const char *url, const char *body, int auth, struct resp *r, char *err,
    size_t errlen)
{
	struct curl_slist *hdrs = NULL, *h;
	char cerr[CURL_ERROR_SIZE], tokhdr[TOKEN_MAX + 32];
	CURL *e;
	CURLcode cc;
	double left, bound = 0;
	int rc = -1;
	static const char *const fixed[] = {
		"Accept: application/json",
		"Content-Type: application/json",
		"OpenStack-API-Version: compute " NOVA_VERSION,
		"X-OpenStack-Nova-API-Version: " NOVA_VERSION,
		"User-Agent: vnode-hookd",
		"Expect:",
	};
	size_t i;

	memset(r, 0, sizeof(*r));
	r->max = BODY_MAX;
	tokhdr[0] = '\0';
	if ((e = curl_easy_init()) == NULL)
		return errf(err, errlen, "%s: libcurl: out of memory", svc);
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		if ((h = curl_slist_append(hdrs, fixed[i])) == NULL)
			goto oom;
		hdrs = h;
	}
	if (auth) {
		snprintf(tokhdr, sizeof(tokhdr), "X-Auth-Token: %s", c->token);
		if ((h = curl_slist_append(hdrs, tokhdr)) == NULL)
			goto oom;
		hdrs = h;
	}
	cerr[0] = '\0';
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	if (c->cfg.cacert[0] != '\0')
		curl_easy_setopt(e, CURLOPT_CAINFO, c->cfg.cacert);
	/* this call's bound, and what is left of the whole operation's */
	left = c->deadline - mono_now();
	if (left <= 0) {
		errf(err, errlen, "%s at %s: not asked: the call's %g s "
		    "(op_timeout) are spent", svc, url, c->cfg.op_timeout);
		goto out;
	}
	bound = c->cfg.timeout < left ? c->cfg.timeout : left;
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)((c->cfg.connect_timeout < bound ? c->cfg.connect_timeout :
	    bound) * 1000));
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(bound * 1000));
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	c->stats.calls++;
	cc = curl_easy_perform(e);
	if (cc == CURLE_OPERATION_TIMEDOUT) {
		errf(err, errlen, "%s at %s: no answer within %g s (the API is "
		    "down or too slow)", svc, url, bound);
		goto out;
	}
	if (cc == CURLE_COULDNT_CONNECT) {
		errf(err, errlen, "%s at %s: cannot connect (%s): is the API "
		    "running?", svc, url, cerr[0] != '\0' ? cerr :
		    curl_easy_strerror(cc));
		goto out;
	}
	if (cc != CURLE_OK) {
		errf(err, errlen, "%s at %s: %s", svc, url, r->why[0] != '\0' ?
		    r->why : cerr[0] != '\0' ? cerr : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status);
	rc = 0;
	goto out;
oom:
	errf(err, errlen, "%s: out of memory", svc);
out:
	explicit_bzero(tokhdr, sizeof(tokhdr));
	curl_slist_free_all(hdrs);	/* the token's copy in it too: */
	curl_easy_cleanup(e);		/* libcurl frees, we cannot wipe it */
	if (rc != 0)
		resp_free(r);
	return rc;
}

/* The answer's status is one of want; else the error names the service,
 * the call, the status and what the answer said. */
static int
expect(const char *svc, const char *what, const struct resp *r, long want1,
    long want2, char *err, size_t errlen)
{
	char says[256];

	if (r->status == want1 || r->status == want2)
		return 0;
	answer_says(r, says, sizeof(says));
	return errf(err, errlen, "%s: %s: HTTP %ld%s%s", svc, what, r->status,
	    says[0] != '\0' ? ": " : "", says);
}

/* ---- Keystone ----------------------------------------------------------- */

/* The endpoint of a service type from the catalog, for our interface and
 * region; the trailing '/' cut. */
static int
catalog_find(struct json_object *catalog, const char *type,
    const struct os_config *cfg, char *out, size_t outsz, char *err,
    size_t errlen)
{
	struct json_object *svc, *eps, *ep, *v;
	size_t i, j, n;
	const char *url, *iface, *region;

	out[0] = '\0';
	for (i = 0; i < json_object_array_length(catalog); i++) {
		svc = json_object_array_get_idx(catalog, i);
		if (!json_object_is_type(svc, json_type_object) ||
		    !json_object_object_get_ex(svc, "type", &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    strcmp(json_object_get_string(v), type) != 0)
			continue;
		if (!json_object_object_get_ex(svc, "endpoints", &eps) ||
		    !json_object_is_type(eps, json_type_array))
			continue;
		for (j = 0; j < json_object_array_length(eps); j++) {
			ep = json_object_array_get_idx(eps, j);
			if (!json_object_is_type(ep, json_type_object) ||
			    js_str(ep, "url", 1, ENDPOINT_MAX - 1, &url, NULL, 0) != 0 ||
			    js_str(ep, "interface", 1, 32, &iface, NULL, 0) != 0)
				continue;
			if (strcmp(iface, cfg->interface) != 0)
				continue;
			if (cfg->region[0] != '\0' &&
			    (js_str(ep, "region_id", 1, 255, &region, NULL, 0) != 0 ||
			    strcmp(region, cfg->region) != 0))
				continue;
			if (!os_url_valid(url))
				return errf(err, errlen, "Keystone: the catalog's "
				    "%s endpoint is no http(s) URL", type);
			snprintf(out, outsz, "%s", url);
			n = strlen(out);
			while (n > 0 && out[n - 1] == '/')
				out[--n] = '\0';
			return 0;
		}
	}
	return errf(err, errlen, "Keystone: the catalog has no %s %s endpoint%s%s",
	    cfg->interface, type, cfg->region[0] != '\0' ? " in region " : "",
	    cfg->region);
}

static int
token_new(struct os_client *c, char *err, size_t errlen)
{
	char url[URL_MAX], body[SECRET_MAX * 6 + 512], jerr[160];
	struct json_object *o = NULL, *tok, *catalog;
	const char *expires, *issued;
	struct resp r;
	size_t len = 0;
	double now;
	long exp_t, iss_t;
	int rc = -1;

	snprintf(url, sizeof(url), "%s/auth/tokens", c->cfg.auth_url);
	len = (size_t)snprintf(body, sizeof(body), "{\"auth\":{\"identity\":{"
	    "\"methods\":[\"application_credential\"],"
	    "\"application_credential\":{\"id\":");
	if (json_put(body, sizeof(body), &len, c->cred_id) != 0 ||
	    len + 20 >= sizeof(body)) {
		explicit_bzero(body, sizeof(body));
		return errf(err, errlen, "Keystone: the credential is too long");
	}
	len += (size_t)snprintf(body + len, sizeof(body) - len, ",\"secret\":");
	if (json_put(body, sizeof(body), &len, c->secret) != 0 ||
	    len + 8 >= sizeof(body)) {
		explicit_bzero(body, sizeof(body));
		return errf(err, errlen, "Keystone: the credential is too long");
	}
	snprintf(body + len, sizeof(body) - len, "}}}}");
	now = mono_now();
	rc = call(c, "Keystone", "POST", url, body, 0, &r, err, errlen);
	explicit_bzero(body, sizeof(body));
	if (rc != 0)
		return -1;
	rc = -1;
	if (r.status == 401) {
		errf(err, errlen, "Keystone at %s refused application credential "
		    "%s (HTTP 401): wrong or expired secret", c->cfg.auth_url,
		    c->cred_id);
		goto out;
	}
	if (r.status == 404) {
		char says[256];

		answer_says(&r, says, sizeof(says));
		if (strcasestr(says, "application credential") != NULL)
			errf(err, errlen, "Keystone at %s has no application "
			    "credential %s (HTTP 404): deleted, or made in "
			    "another cloud", c->cfg.auth_url, c->cred_id);
		else
			errf(err, errlen, "Keystone: %s: HTTP 404%s%s: is "
			    "auth_url Keystone's v3 URL (ending in /v3)?", url,
			    says[0] != '\0' ? ": " : "", says);
		goto out;
	}
	if (expect("Keystone", "POST /auth/tokens", &r, 201, 201, err,
	    errlen) != 0)
		goto out;
	if (r.subject_token[0] == '\0') {
		errf(err, errlen, "Keystone: POST /auth/tokens: HTTP 201 without "
		    "an X-Subject-Token header");
		goto out;
	}
	if ((o = js_parse(r.body, r.len, jerr, sizeof(jerr))) == NULL) {
		errf(err, errlen, "Keystone: POST /auth/tokens: %s", jerr);
		goto out;
	}
	if (!json_object_object_get_ex(o, "token", &tok) ||
	    !json_object_is_type(tok, json_type_object)) {
		errf(err, errlen, "Keystone: POST /auth/tokens: no \"token\" "
		    "object in the answer");
		goto out;
	}
	if (js_str(tok, "expires_at", 1, 64, &expires, jerr, sizeof(jerr)) != 0 ||
	    js_str(tok, "issued_at", 1, 64, &issued, jerr, sizeof(jerr)) != 0) {
		errf(err, errlen, "Keystone: the token: %s", jerr);
		goto out;
	}
	exp_t = iso_time(expires);
	iss_t = iso_time(issued);
	if (exp_t < 0 || iss_t < 0 || exp_t <= iss_t) {
		errf(err, errlen, "Keystone: the token's issued_at \"%s\" and "
		    "expires_at \"%s\" are no time span", issued, expires);
		goto out;
	}
	if (!json_object_object_get_ex(tok, "catalog", &catalog) ||
	    !json_object_is_type(catalog, json_type_array)) {
		errf(err, errlen, "Keystone: the token has no catalog (is the "
		    "application credential restricted to no project?)");
		goto out;
	}
	if (catalog_find(catalog, "compute", &c->cfg, c->compute,
	    sizeof(c->compute), err, errlen) != 0 ||
	    catalog_find(catalog, "image", &c->cfg, c->image, sizeof(c->image),
	    err, errlen) != 0)
		goto out;
	/* Neutron only when a network is named */
	if (c->cfg.network[0] != '\0' && catalog_find(catalog, "network",
	    &c->cfg, c->network, sizeof(c->network), err, errlen) != 0)
		goto out;
	explicit_bzero(c->token, sizeof(c->token));
	snprintf(c->token, sizeof(c->token), "%s", r.subject_token);
	/* its lifetime by the cloud's own clock, counted on ours */
	c->token_until = now + (double)(exp_t - iss_t);
	c->token_at = now;
	c->stats.tokens++;
	rc = 0;
out:
	if (o != NULL)
		json_object_put(o);
	resp_free(&r);
	return rc;
}

/* a public call begins: its bound in all */
static void
op_begin(struct os_client *c)
{
	c->op_start = mono_now();
	c->deadline = c->op_start + c->cfg.op_timeout;
}

/* A token for this call: the one held unless it is near its end (and
 * not one this very call got) */
static int
auth_locked(struct os_client *c, char *err, size_t errlen)
{
	if (c->token[0] != '\0' &&
	    (mono_now() + (double)c->cfg.renew_before < c->token_until ||
	    c->token_at >= c->op_start))
		return 0;
	return token_new(c, err, errlen);
}

int
os_auth(struct os_client *c, char *err, size_t errlen)
{
	int rc;

	pthread_mutex_lock(&c->lock);
	op_begin(c);
	rc = auth_locked(c, err, errlen);
	if (rc != 0)
		c->stats.failures++;
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/* A call with the token; a 401 (the token revoked or expired early) gets
 * one new token and one more try. */
static int
api(struct os_client *c, const char *svc, const char *method,
    const char *url, const char *body, struct resp *r, char *err,
    size_t errlen)
{
	if (auth_locked(c, err, errlen) != 0)
		return -1;
	if (call(c, svc, method, url, body, 1, r, err, errlen) != 0)
		return -1;
	if (r->status != 401)
		return 0;
	resp_free(r);
	explicit_bzero(c->token, sizeof(c->token));
	if (token_new(c, err, errlen) != 0)
		return -1;
	if (call(c, svc, method, url, body, 1, r, err, errlen) != 0)
		return -1;
	if (r->status == 401) {
		resp_free(r);
		return errf(err, errlen, "%s: %s: HTTP 401 with a new token: "
		    "the credential's roles do not allow it", svc, method);
	}
	return 0;
}

/* ---- client ------------------------------------------------------------- */

int
os_open(const struct os_config *cfg, struct os_client **out, char *err,
    size_t errlen)
{
	struct os_client *c;

	*out = NULL;
	if (os_config_check(cfg, err, errlen) != 0)
		return -1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return errf(err, errlen, "libcurl's initialisation failed");
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		curl_global_cleanup();
		return errf(err, errlen, "out of memory");
	}
	c->cfg = *cfg;
	if (cred_read(cfg->credentials, c->cred_id, sizeof(c->cred_id),
	    c->secret, sizeof(c->secret), err, errlen) != 0) {
		free(c);
		curl_global_cleanup();
		return -1;
	}
	pthread_mutex_init(&c->lock, NULL);
	*out = c;
	return 0;
}

void
os_close(struct os_client *c)
{
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->lock);
	explicit_bzero(c, sizeof(*c));
	free(c);
	curl_global_cleanup();
}

void
os_stats_get(struct os_client *c, struct os_stats *st)
{
	pthread_mutex_lock(&c->lock);
	*st = c->stats;
	pthread_mutex_unlock(&c->lock);
}

static int
is_uuid(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/* url-escaped copy of s, for a query; "" when it does not fit */
static void
escape(const char *s, char *out, size_t outsz)
{
	char *e = curl_easy_escape(NULL, s, 0);

	out[0] = '\0';
	if (e != NULL && strlen(e) < outsz)
		snprintf(out, outsz, "%s", e);
	curl_free(e);
}

/* Find the one item of a list answer (key: "images", "networks",
 * "flavors") whose "id" or "name" is want; its id into id. */
static int
pick(const char *svc, const char *kind, const char *lookup,
    const struct resp *r, const char *key, const char *want, char *id,
    size_t idsz, char *err, size_t errlen)
{
	struct json_object *o, *arr, *it;
	const char *iid, *name;
	char jerr[160];
	size_t i, by_name = 0;
	int rc = -1;

	if ((o = js_parse(r->body, r->len, jerr, sizeof(jerr))) == NULL)
		return errf(err, errlen, "%s: the %s list: %s", svc, kind, jerr);
	if (!json_object_object_get_ex(o, key, &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		errf(err, errlen, "%s: the %s list has no \"%s\" array", svc,
		    kind, key);
		goto out;
	}
	id[0] = '\0';
	for (i = 0; i < json_object_array_length(arr); i++) {
		it = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(it, json_type_object) ||
		    js_str(it, "id", 1, idsz - 1, &iid, NULL, 0) != 0)
			continue;
		if (strcmp(iid, want) == 0) {
			snprintf(id, idsz, "%s", iid);
			rc = 0;
			goto out;
		}
		if (js_str(it, "name", 1, 255, &name, NULL, 0) == 0 &&
		    strcmp(name, want) == 0) {
			if (by_name++ == 0)
				snprintf(id, idsz, "%s", iid);
		}
	}
	if (by_name == 1)
		rc = 0;
	else if (by_name > 1)
		errf(err, errlen, "%s: %zu %ss are named \"%s\": give its ID "
		    "instead", svc, by_name, kind, want);
	else
		errf(err, errlen, "%s: %s \"%s\" not found (%s)", svc, kind, want,
		    lookup);
out:
	json_object_put(o);
	return rc;
}

/* The IDs of the configured image, flavor and network. */
static int
resolve(struct os_client *c, char *image, char *flavor, char *network,
    size_t idsz, char *err, size_t errlen)
{
	char url[URL_MAX], q[600];
	struct resp r;
	int rc;

	escape(c->cfg.image, q, sizeof(q));
	if (is_uuid(c->cfg.image))
		snprintf(url, sizeof(url), "%s/v2/images?id=%s", c->image, q);
	else
		snprintf(url, sizeof(url), "%s/v2/images?name=%s", c->image, q);
	if (api(c, "Glance", "GET", url, NULL, &r, err, errlen) != 0)
		return -1;
	rc = expect("Glance", "GET /v2/images", &r, 200, 200, err, errlen);
	if (rc == 0)
		rc = pick("Glance", "image", "openstack image list", &r, "images",
		    c->cfg.image, image, idsz, err, errlen);
	resp_free(&r);
	if (rc != 0)
		return -1;

	/* flavors: every one the project may use, id or name (one page:
	 * Nova's default limit is 1000 flavors) */
	snprintf(url, sizeof(url), "%s/flavors?limit=1000", c->compute);
	if (api(c, "Nova", "GET", url, NULL, &r, err, errlen) != 0)
		return -1;
	rc = expect("Nova", "GET /flavors", &r, 200, 200, err, errlen);
	if (rc == 0)
		rc = pick("Nova", "flavor", "openstack flavor list", &r,
		    "flavors", c->cfg.flavor, flavor, idsz, err, errlen);
	resp_free(&r);
	if (rc != 0)
		return -1;

	network[0] = '\0';
	if (c->cfg.network[0] == '\0')
		return 0;
	escape(c->cfg.network, q, sizeof(q));
	snprintf(url, sizeof(url), "%s/v2.0/networks?%s=%s", c->network,
	    is_uuid(c->cfg.network) ? "id" : "name", q);
	if (api(c, "Neutron", "GET", url, NULL, &r, err, errlen) != 0)
		return -1;
	rc = expect("Neutron", "GET /v2.0/networks", &r, 200, 200, err, errlen);
	if (rc == 0)
		rc = pick("Neutron", "network", "openstack network list", &r,
		    "networks", c->cfg.network, network, idsz, err, errlen);
	resp_free(&r);
	return rc;
}

/* Nova's refusal of a create, said plainly. */
static void
create_refused(const struct resp *r, const struct os_config *cfg,
    char *err, size_t errlen)
{
	char says[256];

	answer_says(r, says, sizeof(says));
	if ((r->status == 403 || r->status == 413) &&
	    strcasestr(says, "quota") != NULL)
		errf(err, errlen, "quota exceeded: %s", says);
	else if (r->status == 400 && strcasestr(says, "image") != NULL)
		errf(err, errlen, "image \"%s\" refused by Nova: %s", cfg->image,
		    says);
	else if (r->status == 400 && strcasestr(says, "flavor") != NULL)
		errf(err, errlen, "flavor \"%s\" refused by Nova: %s",
		    cfg->flavor, says);
	else if (r->status == 403 || r->status == 409)
		errf(err, errlen, "Nova refused: HTTP %ld: %s", r->status, says);
	else
		errf(err, errlen, "Nova: POST /servers: HTTP %ld%s%s", r->status,
		    says[0] != '\0' ? ": " : "", says);
}

/* The request body of POST /servers; count > 1 makes one request create
 * that many (min_count 1).  *body is the caller's to free. */
static int
create_body(struct os_client *c, const char *name, const char *node,
    const char *ud64, size_t count, const char *image, const char *flavor,
    const char *network, char **body, char *err, size_t errlen)
{
	struct json_object *o, *s, *meta, *nets, *net, *tags, *sgs, *sg, *hints;
	const char *txt;

	*body = NULL;
	o = json_object_new_object();
	s = json_object_new_object();
	json_object_object_add(o, "server", s);
	json_object_object_add(s, "name", json_object_new_string(name));
	json_object_object_add(s, "imageRef", json_object_new_string(image));
	json_object_object_add(s, "flavorRef", json_object_new_string(flavor));
	if (network[0] != '\0') {
		nets = json_object_new_array();
		net = json_object_new_object();
		json_object_object_add(net, "uuid", json_object_new_string(network));
		json_object_array_add(nets, net);
		json_object_object_add(s, "networks", nets);
	} else
		json_object_object_add(s, "networks", json_object_new_string("auto"));
	if (ud64 != NULL)
		json_object_object_add(s, "user_data", json_object_new_string(ud64));
	json_object_object_add(s, "config_drive",
	    json_object_new_boolean(c->cfg.config_drive));
	meta = json_object_new_object();
	json_object_object_add(meta, OS_META_TAG,
	    json_object_new_string(c->cfg.tag));
	/* one request for several: each one's name says its node */
	json_object_object_add(meta, OS_META_NODE,
	    json_object_new_string(node != NULL ? node : "*"));
	json_object_object_add(s, "metadata", meta);
	tags = json_object_new_array();
	json_object_array_add(tags, json_object_new_string(c->cfg.tag));
	json_object_object_add(s, "tags", tags);
	if (c->cfg.security_group[0] != '\0') {
		sgs = json_object_new_array();
		sg = json_object_new_object();
		json_object_object_add(sg, "name",
		    json_object_new_string(c->cfg.security_group));
		json_object_array_add(sgs, sg);
		json_object_object_add(s, "security_groups", sgs);
	}
	if (c->cfg.key_name[0] != '\0')
		json_object_object_add(s, "key_name",
		    json_object_new_string(c->cfg.key_name));
	if (count > 1) {
		json_object_object_add(s, "min_count", json_object_new_int(1));
		json_object_object_add(s, "max_count",
		    json_object_new_int((int)count));
		json_object_object_add(s, "return_reservation_id",
		    json_object_new_boolean(1));
	}
	if (c->cfg.server_group[0] != '\0') {
		hints = json_object_new_object();
		json_object_object_add(hints, "group",
		    json_object_new_string(c->cfg.server_group));
		json_object_object_add(o, "os:scheduler_hints", hints);
	}
	txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (txt == NULL || (*body = strdup(txt)) == NULL) {
		json_object_put(o);
		return errf(err, errlen, "out of memory");
	}
	json_object_put(o);
	return 0;
}

static enum os_state
state_of(const char *status, const char *task, long created, long build_timeout,
    char *detail, size_t detailsz)
{
	long age;

	if (strcmp(status, "BUILD") == 0) {
		age = created > 0 ? wall_now() - created : 0;
		if (created > 0 && age > build_timeout) {
			snprintf(detail, detailsz, "in BUILD for %ld s (more than "
			    "build_timeout, %ld s)%s%s", age, build_timeout,
			    task[0] != '\0' ? ", task " : "", task);
			return OS_ERROR;
		}
		return OS_BUILDING;
	}
	if (strcmp(status, "DELETED") == 0 ||
	    strcmp(status, "SOFT_DELETED") == 0)
		return OS_GONE;
	if (strcmp(status, "ERROR") == 0 || strcmp(status, "UNKNOWN") == 0) {
		if (detail[0] == '\0')
			snprintf(detail, detailsz, "status %s%s", status,
			    strcmp(status, "UNKNOWN") == 0 ?
			    " (its compute host does not answer)" : "");
		return OS_ERROR;
	}
	if (strcmp(task, "deleting") == 0 || strcmp(task, "powering-off") == 0 ||
	    strcmp(task, "soft-deleting") == 0 || strcmp(task, "shelving") == 0)
		return OS_STOPPING;
	if (strcmp(status, "ACTIVE") == 0 || strcmp(status, "REBOOT") == 0 ||
	    strcmp(status, "HARD_REBOOT") == 0 || strcmp(status, "MIGRATING") == 0 ||
	    strcmp(status, "RESIZE") == 0 || strcmp(status, "VERIFY_RESIZE") == 0 ||
	    strcmp(status, "REVERT_RESIZE") == 0 || strcmp(status, "PASSWORD") == 0 ||
	    strcmp(status, "REBUILD") == 0)
		return OS_RUNNING;
	/* SHUTOFF, PAUSED, SUSPENDED, SHELVED, SHELVED_OFFLOADED, RESCUE */
	snprintf(detail, detailsz, "status %s", status);
	return OS_STOPPING;
}

/* One server of a list or show answer into s; 1 when it is not ours. */
static int
server_read(struct os_client *c, struct json_object *it, struct os_server *s,
    char *err, size_t errlen)
{
	struct json_object *meta, *fault;
	const char *v, *tag = NULL, *node = NULL, *task = NULL, *msg = NULL;
	char jerr[160];

	memset(s, 0, sizeof(*s));
	if (!json_object_is_type(it, json_type_object))
		return errf(err, errlen, "Nova: a server is not an object");
	if (js_str(it, "id", 1, sizeof(s->id) - 1, &v, jerr, sizeof(jerr)) != 0)
		return errf(err, errlen, "Nova: a server: %s", jerr);
	snprintf(s->id, sizeof(s->id), "%s", v);
	if (json_object_object_get_ex(it, "metadata", &meta) &&
	    json_object_is_type(meta, json_type_object)) {
		(void)js_str(meta, OS_META_TAG, 0, 255, &tag, NULL, 0);
		(void)js_str(meta, OS_META_NODE, 0, sizeof(s->node) - 1, &node,
		    NULL, 0);
	}
	if (tag == NULL || strcmp(tag, c->cfg.tag) != 0)
		return 1;
	if (js_str(it, "status", 1, sizeof(s->status) - 1, &v, jerr,
	    sizeof(jerr)) != 0)
		return errf(err, errlen, "Nova: server %s: %s", s->id, jerr);
	snprintf(s->status, sizeof(s->status), "%s", v);
	if (js_str(it, "name", 0, sizeof(s->name) - 1, &v, NULL, 0) == 0)
		snprintf(s->name, sizeof(s->name), "%s", v);
	/* made with others by one request: its name says its node */
	if (node != NULL)
		scopy(s->node, sizeof(s->node), strcmp(node, "*") == 0 ?
		    s->name : node);
	if (js_str(it, "OS-EXT-STS:task_state", 0, sizeof(s->task_state) - 1,
	    &task, NULL, 0) == 0)
		snprintf(s->task_state, sizeof(s->task_state), "%s", task);
	s->placed = js_str(it, "hostId", 0, 255, &v, NULL, 0) == 0 &&
	    v[0] != '\0';
	if (js_str(it, "created", 0, 64, &v, NULL, 0) == 0)
		s->created = iso_time(v) > 0 ? iso_time(v) : 0;
	if (json_object_object_get_ex(it, "fault", &fault) &&
	    json_object_is_type(fault, json_type_object) &&
	    js_str(fault, "message", 0, 1024, &msg, NULL, 0) == 0)
		say_copy(s->detail, sizeof(s->detail), msg);
	s->state = state_of(s->status, s->task_state, s->created,
	    c->cfg.build_timeout, s->detail, sizeof(s->detail));
	return 0;
}

/* Every server of ours matching the query q ("tags=..." or
 * "reservation_id=..."), all pages. */
static int
list_locked(struct os_client *c, const char *q, struct os_server **out,
    size_t *n, char *err, size_t errlen)
{
	struct json_object *o = NULL, *arr, *it;
	struct os_server *v = NULL, *nv;
	char url[URL_MAX], marker[64], jerr[160];
	struct resp r;
	size_t i, len = 0, cap = 0, got;
	int rc = -1, x;

	*out = NULL;
	*n = 0;
	marker[0] = '\0';
	memset(&r, 0, sizeof(r));
	for (;;) {
		snprintf(url, sizeof(url), "%s/servers/detail?%s&limit=%d%s%s",
		    c->compute, q, LIST_PAGE, marker[0] != '\0' ? "&marker=" : "",
		    marker);
		if (api(c, "Nova", "GET", url, NULL, &r, err, errlen) != 0)
			goto out;
		if (expect("Nova", "GET /servers/detail", &r, 200, 200, err,
		    errlen) != 0)
			goto out;
		if ((o = js_parse(r.body, r.len, jerr, sizeof(jerr))) == NULL) {
			errf(err, errlen, "Nova: GET /servers/detail: %s", jerr);
			goto out;
		}
		if (!json_object_object_get_ex(o, "servers", &arr) ||
		    !json_object_is_type(arr, json_type_array)) {
			errf(err, errlen, "Nova: GET /servers/detail: no "
			    "\"servers\" array");
			goto out;
		}
		got = json_object_array_length(arr);
		for (i = 0; i < got; i++) {
			it = json_object_array_get_idx(arr, i);
			if (len == cap) {
				if (cap >= LIST_MAX) {
					errf(err, errlen, "Nova: more than %d "
					    "instances with tag %s", LIST_MAX,
					    c->cfg.tag);
					goto out;
				}
				cap = cap ? cap * 2 : 16;
				if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
					errf(err, errlen, "out of memory");
					goto out;
				}
				v = nv;
			}
			if ((x = server_read(c, it, &v[len], err, errlen)) < 0)
				goto out;
			if (x == 0)
				len++;
			if (i == got - 1)
				snprintf(marker, sizeof(marker), "%s",
				    json_object_get_string(
				    json_object_object_get(it, "id")));
		}
		json_object_put(o);
		o = NULL;
		resp_free(&r);
		if (got < LIST_PAGE)
			break;
	}
	*out = v;
	*n = len;
	v = NULL;
	rc = 0;
out:
	if (o != NULL)
		json_object_put(o);
	resp_free(&r);
	free(v);
	return rc;
}

/* Nova's list leaves the fault out: an instance in ERROR gets its own
 * GET for it (a missing one leaves "status ERROR") */
static void
fault_fetch(struct os_client *c, struct os_server *s)
{
	struct json_object *o = NULL, *sv, *fault;
	char url[URL_MAX], why[256];
	const char *msg;
	struct resp r;

	snprintf(url, sizeof(url), "%s/servers/%s", c->compute, s->id);
	if (api(c, "Nova", "GET", url, NULL, &r, why, sizeof(why)) != 0)
		return;
	if (r.status == 200 && (o = js_parse(r.body, r.len, why,
	    sizeof(why))) != NULL &&
	    json_object_object_get_ex(o, "server", &sv) &&
	    json_object_object_get_ex(sv, "fault", &fault) &&
	    json_object_is_type(fault, json_type_object) &&
	    js_str(fault, "message", 1, 1024, &msg, NULL, 0) == 0 &&
	    msg[0] != '\0')
		say_copy(s->detail, sizeof(s->detail), msg);
	if (o != NULL)
		json_object_put(o);
	resp_free(&r);
}

int
os_servers_list(struct os_client *c, struct os_server **out, size_t *n,
    char *err, size_t errlen)
{
	char q[200], t[128];
	size_t i;
	int rc;

	escape(c->cfg.tag, t, sizeof(t));
	snprintf(q, sizeof(q), "tags=%s", t);
	pthread_mutex_lock(&c->lock);
	op_begin(c);
	/* the endpoints come with the token */
	rc = auth_locked(c, err, errlen);
	if (rc == 0)
		rc = list_locked(c, q, out, n, err, errlen);
	for (i = 0; rc == 0 && i < *n; i++)
		if (strcmp((*out)[i].status, "ERROR") == 0 &&
		    strncmp((*out)[i].detail, "status ", 7) == 0)
			fault_fetch(c, &(*out)[i]);
	if (rc != 0)
		c->stats.failures++;
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/* DELETE, an answer of 404 meaning done already */
static int
delete_locked(struct os_client *c, const char *id, char *err, size_t errlen)
{
	char url[URL_MAX];
	struct resp r;
	int rc;

	snprintf(url, sizeof(url), "%s/servers/%s", c->compute, id);
	if (api(c, "Nova", "DELETE", url, NULL, &r, err, errlen) != 0)
		return -1;
	rc = expect("Nova", "DELETE /servers/ID", &r, 204, 404, err, errlen);
	resp_free(&r);
	return rc;
}

/* PUT /servers/ID {"server": {"name": NAME}} */
static int
rename_locked(struct os_client *c, const char *id, const char *name,
    char *err, size_t errlen)
{
	struct json_object *o, *s;
	char url[URL_MAX];
	struct resp r;
	int rc;

	o = json_object_new_object();
	s = json_object_new_object();
	json_object_object_add(o, "server", s);
	json_object_object_add(s, "name", json_object_new_string(name));
	snprintf(url, sizeof(url), "%s/servers/%s", c->compute, id);
	rc = api(c, "Nova", "PUT", url,
	    json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), &r, err,
	    errlen);
	json_object_put(o);
	if (rc != 0)
		return -1;
	rc = expect("Nova", "PUT /servers/ID (the name)", &r, 200, 200, err,
	    errlen);
	resp_free(&r);
	return rc;
}

/*
 * The instances one request of several made (min_count 1, so maybe fewer
 * than asked, as the quota allowed), found by its reservation.  Each gets
 * a node of the request in turn: they are alike, so any one may be any
 * node.  Its name becomes the node's (Nova named them vnode-1, vnode-2,
 * ...; their metadata says vnode_node "*": the name tells).  Nova keeps a
 * new name only once the scheduler has placed the instance (before, it is
 * a build request, whose changes are lost; after, it has a hostId), so
 * each is renamed when it has been; one that has not within half of the
 * call's time, or cannot be renamed, is deleted again rather than left
 * unaccounted for.
 */
static int
bulk_collect(struct os_client *c, const char *rid, const struct os_create *req,
    size_t n, struct os_server *out, char *err, size_t errlen)
{
	struct os_server *v = NULL;
	char q[128], derr[256], why[512];
	size_t nv = 0, i, j, known = 0, done = 0, ok = 0;
	double until;

	/* half of what is left of the call at most: the rest is for
	 * renaming them, or deleting them again */
	until = mono_now() + (c->deadline - mono_now()) / 2;
	snprintf(q, sizeof(q), "reservation_id=%s", rid);
	for (;;) {
		if (list_locked(c, q, &v, &nv, err, errlen) != 0)
			return -1;
		for (j = 0; j < nv; j++) {
			/* the request's i-th node goes to the i-th id seen */
			for (i = 0; i < known; i++)
				if (strcmp(out[i].id, v[j].id) == 0)
					break;
			if (i == known) {
				if (known == n)
					continue;
				out[known] = v[j];
				out[known].state = OS_BUILDING;
				scopy(out[known].node, sizeof(out[known].node),
				    req[known].node);
				known++;
			}
			if (strcmp(out[i].name, req[i].node) == 0 ||
			    out[i].detail[0] == '!')
				continue;
			/* a build request until the scheduler placed it */
			if (!v[j].placed && strcmp(v[j].status, "BUILD") == 0)
				continue;
			if (rename_locked(c, v[j].id, req[i].node, why,
			    sizeof(why)) != 0) {
				(void)delete_locked(c, v[j].id, derr, sizeof(derr));
				snprintf(out[i].detail, sizeof(out[i].detail), "!");
				scopy(out[i].detail + 1, sizeof(out[i].detail) - 1,
				    why);
				done++;
				continue;
			}
			scopy(out[i].name, sizeof(out[i].name), req[i].node);
			done++;
			ok++;
		}
		free(v);
		v = NULL;
		/* all that Nova made are named (or gone again) */
		if (known > 0 && done == known)
			break;
		if (mono_now() > until)
			break;
		sleep_seconds(0.5, NULL);
	}
	for (i = 0; i < known; i++) {
		if (out[i].detail[0] == '!') {
			memmove(out[i].detail, out[i].detail + 1,
			    strlen(out[i].detail));
			out[i].state = OS_ERROR;
			out[i].id[0] = '\0';
		} else if (strcmp(out[i].name, req[i].node) != 0) {
			(void)delete_locked(c, out[i].id, derr, sizeof(derr));
			snprintf(out[i].detail, sizeof(out[i].detail), "deleted "
			    "again: still being scheduled, so it could not be "
			    "named %s in time", req[i].node);
			out[i].state = OS_ERROR;
			out[i].id[0] = '\0';
		}
	}
	/* the accepted first, in the request's order */
	for (i = 0, j = 0; i < known; i++) {
		if (out[i].state == OS_ERROR)
			continue;
		if (i != j) {
			struct os_server t = out[j];

			out[j] = out[i];
			out[i] = t;
		}
		j++;
	}
	if (ok == 0)
		return errf(err, errlen, "Nova: reservation %s: %s", rid,
		    known == 0 ? "no instance shows" : out[0].detail);
	return (int)ok;
}

/* POST /servers; the new server's id into id, or the reservation's into
 * rid when count > 1.  -1 with err saying why Nova refused. */
static int
post_server(struct os_client *c, const char *node, const char *ud64,
    size_t count, const char *image, const char *flavor, const char *network,
    char *id, size_t idsz, char *err, size_t errlen)
{
	struct json_object *o = NULL, *s;
	char url[URL_MAX], jerr[160], *body = NULL;
	const char *v;
	struct resp r;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	if (create_body(c, count > 1 ? "vnode" : node, count > 1 ? NULL : node,
	    ud64, count, image, flavor, network, &body, err, errlen) != 0)
		return -1;
	snprintf(url, sizeof(url), "%s/servers", c->compute);
	rc = api(c, "Nova", "POST", url, body, &r, err, errlen);
	/* the user data may hold a join token */
	explicit_bzero(body, strlen(body));
	free(body);
	if (rc != 0)
		return -1;
	rc = -1;
	if (r.status != 202) {
		create_refused(&r, &c->cfg, err, errlen);
		goto out;
	}
	if ((o = js_parse(r.body, r.len, jerr, sizeof(jerr))) == NULL) {
		errf(err, errlen, "Nova: POST /servers: %s", jerr);
		goto out;
	}
	if (count > 1) {
		if (js_str(o, "reservation_id", 1, idsz - 1, &v, jerr,
		    sizeof(jerr)) != 0) {
			errf(err, errlen, "Nova: POST /servers: %s", jerr);
			goto out;
		}
	} else if (!json_object_object_get_ex(o, "server", &s) ||
	    js_str(s, "id", 1, idsz - 1, &v, jerr, sizeof(jerr)) != 0) {
		errf(err, errlen, "Nova: POST /servers: no server id in the "
		    "answer");
		goto out;
	}
	scopy(id, idsz, v);
	rc = 0;
out:
	if (o != NULL)
		json_object_put(o);
	resp_free(&r);
	return rc;
}

/* the base64 user data of one request, or NULL with *ud64 NULL when it has
 * none; -1 when out of memory */
static int
encode_user_data(const struct os_create *rq, char **ud64)
{
	*ud64 = NULL;
	if (rq->user_data == NULL)
		return 0;
	if ((*ud64 = malloc(b64_len(rq->user_data_len) + 1)) == NULL)
		return -1;
	b64_encode((const unsigned char *)rq->user_data, rq->user_data_len,
	    *ud64);
	return 0;
}

static void
wipe_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

int
os_servers_create(struct os_client *c, const struct os_create *req, size_t n,
    struct os_server *out, char *err, size_t errlen)
{
	char image[64], flavor[64], network[64], id[64], *ud64 = NULL;
	size_t i, same = 1;
	int ok = 0, x;

	if (n == 0)
		return errf(err, errlen, "no instance asked for");
	for (i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].state = OS_ERROR;
		if (req[i].node == NULL || req[i].node[0] == '\0' ||
		    strlen(req[i].node) >= sizeof(out[i].node) ||
		    !name_node_valid(req[i].node))
			return errf(err, errlen, "instance %zu of %zu: no valid node "
			    "name", i + 1, n);
		scopy(out[i].node, sizeof(out[i].node), req[i].node);
		if (b64_len(req[i].user_data_len) > OS_USER_DATA_MAX)
			return errf(err, errlen, "the user data of %s is %zu bytes, "
			    "%zu in base64: Nova takes at most %d", req[i].node,
			    req[i].user_data_len, b64_len(req[i].user_data_len),
			    OS_USER_DATA_MAX);
		if (i > 0 && ((req[i].user_data == NULL) !=
		    (req[0].user_data == NULL) ||
		    req[i].user_data_len != req[0].user_data_len ||
		    (req[i].user_data_len > 0 && memcmp(req[i].user_data,
		    req[0].user_data, req[i].user_data_len) != 0)))
			same = 0;
	}
	pthread_mutex_lock(&c->lock);
	op_begin(c);
	if (auth_locked(c, err, errlen) != 0 ||
	    resolve(c, image, flavor, network, sizeof(image), err, errlen) != 0)
		goto out;
	if (n > 1 && same) {
		/* one request for all: they share their user data */
		if (encode_user_data(&req[0], &ud64) != 0) {
			errf(err, errlen, "out of memory");
			goto out;
		}
		if (post_server(c, NULL, ud64, n, image, flavor, network, id,
		    sizeof(id), err, errlen) != 0)
			goto out;
		if ((x = bulk_collect(c, id, req, n, out, err, errlen)) < 0)
			goto out;
		ok = x;
		for (i = 0; i < n; i++)
			if (out[i].state == OS_ERROR && out[i].detail[0] == '\0')
				snprintf(out[i].detail, sizeof(out[i].detail),
				    "not created: Nova made %d of %zu (the "
				    "project's quota)", ok, n);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (encode_user_data(&req[i], &ud64) != 0) {
			errf(err, errlen, "out of memory");
			break;
		}
		x = post_server(c, req[i].node, ud64, 1, image, flavor, network,
		    id, sizeof(id), err, errlen);
		wipe_free(ud64);
		ud64 = NULL;
		if (x != 0)
			break;
		scopy(out[i].id, sizeof(out[i].id), id);
		scopy(out[i].name, sizeof(out[i].name), req[i].node);
		snprintf(out[i].status, sizeof(out[i].status), "BUILD");
		out[i].state = OS_BUILDING;
		out[i].created = wall_now();
		ok++;
	}
	/* this one and the rest are not created: each says why */
	for (; i < n; i++) {
		snprintf(out[i].detail, sizeof(out[i].detail), "not created: ");
		scopy(out[i].detail + 13, sizeof(out[i].detail) - 13, err);
	}
out:
	wipe_free(ud64);
	if (ok == 0)
		c->stats.failures++;
	pthread_mutex_unlock(&c->lock);
	return ok > 0 ? ok : -1;
}

int
os_server_delete(struct os_client *c, const char *id, int graceful,
    char *err, size_t errlen)
{
	struct json_object *o = NULL, *s;
	struct os_server sv;
	char url[URL_MAX], jerr[160];
	struct resp r;
	int rc = -1, x;

	if (!is_uuid(id))
		return errf(err, errlen, "\"%s\" is not an instance ID", id);
	memset(&r, 0, sizeof(r));
	pthread_mutex_lock(&c->lock);
	op_begin(c);
	if (auth_locked(c, err, errlen) != 0)
		goto out;
	snprintf(url, sizeof(url), "%s/servers/%s", c->compute, id);
	if (api(c, "Nova", "GET", url, NULL, &r, err, errlen) != 0)
		goto out;
	if (r.status == 404) {
		rc = 0;			/* gone already */
		goto out;
	}
	if (expect("Nova", "GET /servers/ID", &r, 200, 200, err, errlen) != 0)
		goto out;
	if ((o = js_parse(r.body, r.len, jerr, sizeof(jerr))) == NULL) {
		errf(err, errlen, "Nova: GET /servers/%s: %s", id, jerr);
		goto out;
	}
	if (!json_object_object_get_ex(o, "server", &s)) {
		errf(err, errlen, "Nova: GET /servers/%s: no \"server\"", id);
		goto out;
	}
	if ((x = server_read(c, s, &sv, err, errlen)) < 0)
		goto out;
	if (x == 1) {
		errf(err, errlen, "instance %s is not the hook's (no %s=%s in "
		    "its metadata): left alone", id, OS_META_TAG, c->cfg.tag);
		goto out;
	}
	json_object_put(o);
	o = NULL;
	resp_free(&r);
	/* a clean shutdown first: Nova's delete alone destroys the guest at
	 * once, and the agent could not leave.  Nova runs the stop and then
	 * the delete, one after the other, on the compute host. */
	if (graceful && strcmp(sv.status, "ACTIVE") == 0 &&
	    sv.task_state[0] == '\0') {
		snprintf(url, sizeof(url), "%s/servers/%s/action", c->compute, id);
		if (api(c, "Nova", "POST", url, "{\"os-stop\":null}", &r, err,
		    errlen) != 0)
			goto out;
		/* 409: it could not be stopped now (stopped already, or
		 * busy); delete all the same */
		if (expect("Nova", "POST /servers/ID/action os-stop", &r, 202, 409,
		    err, errlen) != 0 && r.status != 404)
			goto out;
		resp_free(&r);
	}
	rc = delete_locked(c, id, err, errlen);
out:
	if (o != NULL)
		json_object_put(o);
	resp_free(&r);
	if (rc != 0)
		c->stats.failures++;
	pthread_mutex_unlock(&c->lock);
	return rc;
}
