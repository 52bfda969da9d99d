/*
 * fuzz_http - libFuzzer target for the agent's HTTP response parser
 * (agent/http.c), which reads what the network sends.  The first byte
 * picks how the rest is cut into reads, the second the body limit; the
 * answer is parsed as one read and as cut, and the two must agree.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct result {
	int rc;
	long status;
	char *body;
	size_t len;
	char time[32];
	char sig[65];
};

static void
parse(const char *d, size_t size, size_t step, size_t max, struct result *r)
{
	struct http_parser p;
	struct http_header want[2] = {
		{ "X-Vnode-Time", r->time, sizeof(r->time) },
		{ "X-Vnode-Signature", r->sig, sizeof(r->sig) },
	};
	char err[256];
	size_t off = 0, n;

	http_parser_init(&p, max, want, 2);
	r->rc = HTTP_MORE;
	while (off < size && r->rc == HTTP_MORE) {
		n = step == 0 || step > size - off ? size - off : step;
		r->rc = http_parser_feed(&p, d + off, n, err, sizeof(err));
		off += n;
	}
	if (r->rc == HTTP_MORE)
		r->rc = http_parser_eof(&p, err, sizeof(err));
	r->body = NULL;
	r->len = 0;
	r->status = 0;
	if (r->rc == HTTP_DONE) {
		if (p.body == NULL || p.len > max || p.body[p.len] != '\0')
			abort();
		r->status = p.status;
		r->body = p.body;
		r->len = p.len;
		p.body = NULL;
	}
	http_parser_free(&p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t maxes[] = { 0, 7, 4096, 1024 * 1024 };
	struct result whole, cut;
	size_t step, max;

	if (size < 2)
		return 0;
	step = data[0] % 17;		/* 0: one read */
	max = maxes[data[1] % 4];
	parse((const char *)data + 2, size - 2, 0, max, &whole);
	parse((const char *)data + 2, size - 2, step, max, &cut);
	if (whole.rc != cut.rc || whole.status != cut.status ||
	    whole.len != cut.len || (whole.len > 0 &&
	    memcmp(whole.body, cut.body, whole.len) != 0) ||
	    strcmp(whole.time, cut.time) != 0 || strcmp(whole.sig, cut.sig) != 0)
		abort();
	free(whole.body);
	free(cut.body);
	return 0;
}
