/*
 * wg.c - see wg.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "util.h"
#include "wg.h"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
b64_value(int c)
{
	const char *p;

	if (c == '\0' || (p = strchr(b64, c)) == NULL)
		return -1;
	return (int)(p - b64);
}

static void
key_encode(const unsigned char k[32], char out[WG_KEY_LEN + 1])
{
	unsigned int v;
	int i, o = 0;

	for (i = 0; i < 30; i += 3) {
		v = (unsigned int)k[i] << 16 | (unsigned int)k[i + 1] << 8 |
		    k[i + 2];
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = b64[v & 63];
	}
	v = (unsigned int)k[30] << 16 | (unsigned int)k[31] << 8;
	out[o++] = b64[(v >> 18) & 63];
	out[o++] = b64[(v >> 12) & 63];
	out[o++] = b64[(v >> 6) & 63];
	out[o++] = '=';
	out[o] = '\0';
}

int
wg_key_valid(const char *s)
{
	unsigned char k[32];
	unsigned int v;
	int i, o = 0, d, any = 0;

	if (s == NULL || strlen(s) != WG_KEY_LEN || s[43] != '=')
		return 0;
	for (i = 0; i < 40; i += 4) {
		v = 0;
		for (d = 0; d < 4; d++) {
			int x = b64_value(s[i + d]);

			if (x < 0)
				return 0;
			v = v << 6 | (unsigned int)x;
		}
		k[o++] = (unsigned char)(v >> 16);
		k[o++] = (unsigned char)(v >> 8);
		k[o++] = (unsigned char)v;
	}
	v = 0;
	for (d = 0; d < 3; d++) {
		int x = b64_value(s[40 + d]);

		if (x < 0)
			return 0;
		v = v << 6 | (unsigned int)x;
	}
	if (v & 3)
		return 0;		/* not canonical */
	k[30] = (unsigned char)(v >> 10);
	k[31] = (unsigned char)(v >> 2);
	for (i = 0; i < 32; i++)
		any |= k[i];
	explicit_bzero(k, sizeof(k));
	return any != 0;
}

int
wg_key_make(char out[WG_KEY_LEN + 1])
{
	unsigned char k[32];
	size_t got = 0;
	ssize_t n;

	/* the kernel's random numbers: vnode-privd has no NSS session */
	while (got < sizeof(k)) {
		n = getrandom(k + got, sizeof(k) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			explicit_bzero(k, sizeof(k));
			return -1;
		}
		got += (size_t)n;
	}
	k[0] &= 248;
	k[31] &= 127;
	k[31] |= 64;
	key_encode(k, out);
	explicit_bzero(k, sizeof(k));
	return 0;
}

uint32_t
wg_net_mask(int prefix)
{
	return prefix <= 0 ? 0 : prefix >= 32 ? 0xffffffffu :
	    ~((1u << (32 - prefix)) - 1);
}

int
wg_addr_parse(const char *s, uint32_t *a)
{
	struct in_addr in;

	if (s == NULL || inet_pton(AF_INET, s, &in) != 1)
		return -1;
	*a = ntohl(in.s_addr);
	return 0;
}

void
wg_addr_format(uint32_t a, char *out, size_t outsz)
{
	snprintf(out, outsz, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255,
	    (a >> 8) & 255, a & 255);
}

static int
net_parse(const char *s, struct wg_net *n, int strict)
{
	char buf[32];
	const char *slash;
	long p;
	size_t len;

	if (s == NULL || (slash = strchr(s, '/')) == NULL)
		return -1;
	len = (size_t)(slash - s);
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (wg_addr_parse(buf, &n->addr) != 0 ||
	    (slash[1] == '0' && slash[2] != '\0') ||
	    parse_long(slash + 1, 0, 32, &p) != 0)
		return -1;
	n->prefix = (int)p;
	if (strict && (n->addr & ~wg_net_mask(n->prefix)) != 0)
		return -1;
	return 0;
}

int
wg_net_parse(const char *s, struct wg_net *n)
{
	return net_parse(s, n, 0);
}

int
wg_net_parse_strict(const char *s, struct wg_net *n)
{
	return net_parse(s, n, 1);
}

uint32_t
wg_net_first(const struct wg_net *n)
{
	return n->addr & wg_net_mask(n->prefix);
}

uint32_t
wg_net_last(const struct wg_net *n)
{
	return wg_net_first(n) | ~wg_net_mask(n->prefix);
}

int
wg_net_contains(const struct wg_net *n, uint32_t a)
{
	return (a & wg_net_mask(n->prefix)) == wg_net_first(n);
}

int
wg_net_overlap(const struct wg_net *a, const struct wg_net *b)
{
	return wg_net_contains(a, wg_net_first(b)) ||
	    wg_net_contains(b, wg_net_first(a));
}

void
wg_net_format(const struct wg_net *n, char *out, size_t outsz)
{
	char a[16];

	wg_addr_format(wg_net_first(n), a, sizeof(a));
	snprintf(out, outsz, "%s/%d", a, n->prefix);
}
