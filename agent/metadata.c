/*
 * metadata.c - see metadata.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "metadata.h"
#include "util.h"

#define MAX_DOC		(256 * 1024)
#define RETRY_EVERY	0.5

struct service {
	const char *base;
	double deadline;		/* mono_now() */
	int answered;			/* an HTTP answer came back */
};

/* One GET: 0 when an answer came back (any status), -1 when none did. */
static int
fetch(const char *url, double timeout, char **body, size_t *len,
    long *status, char *err, size_t errlen)
{
	struct http_request rq;
	struct http_response rs;
	char e[400];

	memset(&rq, 0, sizeof(rq));
	rq.key = "metadata_url";
	rq.method = "GET";
	rq.url = url;
	rq.timeout = timeout;
	rq.max_body = MAX_DOC;
	if (http_request(&rq, &rs, e, sizeof(e)) != 0)
		return errf(err, errlen, "%s: %s", url, e);
	*body = rs.body;
	*len = rs.len;
	*status = rs.status;
	return 0;
}

static int
get(void *arg, const char *name, char **buf, size_t *len, char *err,
    size_t errlen)
{
	struct service *m = arg;
	char url[400], why[512] = "";
	long status = 0;
	size_t bl = strlen(m->base);
	double left;

	if (bl > 0 && m->base[bl - 1] == '/')
		bl--;
	snprintf(url, sizeof(url), "%.*s/openstack/latest/%.32s", (int)bl, m->base,
	    name);
	for (;;) {
		left = m->deadline - mono_now();
		if (left <= 0)
			return errf(err, errlen, "%s", why[0] ? why :
			    "metadata service: no time left");
		if (fetch(url, left, buf, len, &status, why, sizeof(why)) == 0) {
			m->answered = 1;
			if (status == 200)
				return 0;
			free(*buf);
			*buf = NULL;
			if (status == 404)
				return 1;
			snprintf(why, sizeof(why), "%s: HTTP %ld", url, status);
			if (status < 500)
				return errf(err, errlen, "%s", why);
		}
		if (m->deadline - mono_now() <= RETRY_EVERY)
			return errf(err, errlen, "%s (gave up)", why);
		sleep_seconds(RETRY_EVERY, NULL);
	}
}

int
metadata_load(struct settings *s, const char *base, double timeout,
    char *err, size_t errlen)
{
	struct service m;
	char label[SETTINGS_SRC_LEN];

	m.base = base;
	m.deadline = mono_now() + timeout;
	m.answered = 0;
	snprintf(label, sizeof(label), "metadata service %.280s", base);
	if (settings_load_openstack(s, label, get, &m, err, errlen) == 0)
		return 0;
	return m.answered ? -1 : METADATA_NONE;
}
