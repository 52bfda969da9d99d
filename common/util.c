/*
 * util.c - see util.h.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

int
errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

int
parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0' || !(isdigit((unsigned char)*s) ||
	    (*s == '-' && isdigit((unsigned char)s[1]))))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
parse_duration(const char *s, long min, long max, long *out)
{
	char num[32];
	size_t n;
	long mult = 1, v;

	if (s == NULL || (n = strlen(s)) == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n + 1);
	switch (num[n - 1]) {
	case 's': mult = 1; num[--n] = '\0'; break;
	case 'm': mult = 60; num[--n] = '\0'; break;
	case 'h': mult = 3600; num[--n] = '\0'; break;
	case 'd': mult = 86400; num[--n] = '\0'; break;
	default: break;
	}
	if (parse_long(num, 0, LONG_MAX / 86400, &v) != 0)
		return -1;
	v *= mult;
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

void
format_duration(long v, char *out, size_t outsz)
{
	if (v == 0)
		snprintf(out, outsz, "0");
	else if (v % 86400 == 0)
		snprintf(out, outsz, "%ldd", v / 86400);
	else if (v % 3600 == 0)
		snprintf(out, outsz, "%ldh", v / 3600);
	else if (v % 60 == 0)
		snprintf(out, outsz, "%ldm", v / 60);
	else
		snprintf(out, outsz, "%lds", v);
}

int
parse_seconds(const char *s, double min, double max, double *out)
{
	char *end;
	double v;
	const char *p;

	if (s == NULL || *s == '\0')
		return -1;
	for (p = s; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p) && *p != '.')
			return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

char *
str_trim(char *p)
{
	char *e;

	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	e = p + strlen(p);
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return p;
}

void
hex_encode(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

int
hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hex_valid(const char *s, size_t len)
{
	size_t i;

	if (s == NULL || strlen(s) != len)
		return 0;
	for (i = 0; i < len; i++)
		if (hex_digit((unsigned char)s[i]) < 0)
			return 0;
	return 1;
}

int
hex_decode(const char *in, unsigned char *out, size_t len)
{
	size_t i;

	if (!hex_valid(in, 2 * len))
		return -1;
	for (i = 0; i < len; i++)
		out[i] = (unsigned char)(hex_digit((unsigned char)in[2 * i]) << 4 |
		    hex_digit((unsigned char)in[2 * i + 1]));
	return 0;
}

int
ct_equal(const void *a, const void *b, size_t len)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;
	size_t i;

	for (i = 0; i < len; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

long
wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long)ts.tv_sec;
}

double
wall_time(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
sleep_seconds(double sec, volatile sig_atomic_t *stop)
{
	struct timespec req, rem;

	if (sec <= 0)
		return;
	req.tv_sec = (time_t)sec;
	req.tv_nsec = (long)((sec - (double)req.tv_sec) * 1e9);
	while (nanosleep(&req, &rem) != 0 && errno == EINTR) {
		if (stop != NULL && *stop)
			return;
		req = rem;
	}
}

int
read_file(const char *path, size_t max, char **out, size_t *outlen,
    char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL, *nb;
	size_t len = 0, cap;
	ssize_t n;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return errf(err, errlen, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		errf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		errf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	/* Room for what the file holds now, and one byte to see that it
	 * ends; more only if it grows while we read. */
	cap = (size_t)st.st_size < max ? (size_t)st.st_size + 1 : max + 1;
	for (;;) {
		if (len == cap) {
			if (cap > max) {
				errf(err, errlen, "%s: larger than %zu bytes", path,
				    max);
				goto out;
			}
			cap = cap * 2 < max + 1 ? cap * 2 : max + 1;
			if ((nb = realloc(buf, cap)) == NULL) {
				errf(err, errlen, "%s: out of memory", path);
				goto out;
			}
			buf = nb;
		}
		if (buf == NULL && (buf = malloc(cap)) == NULL) {
			errf(err, errlen, "%s: out of memory", path);
			goto out;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			errf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			errf(err, errlen, "%s: larger than %zu bytes", path, max);
			goto out;
		}
	}
	buf[len] = '\0';		/* len < cap: the last read found the end */
	*out = buf;
	buf = NULL;
	if (outlen != NULL)
		*outlen = len;
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

void
str_copy(char *dst, size_t dstsz, const char *src)
{
	size_t n;

	if (dstsz == 0)
		return;
	n = strnlen(src, dstsz - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void
b64_encode(const unsigned char *in, size_t len, char *out)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned int v;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		v = (unsigned int)in[i] << 16 | (unsigned int)in[i + 1] << 8 |
		    in[i + 2];
		*out++ = abc[v >> 18];
		*out++ = abc[(v >> 12) & 63];
		*out++ = abc[(v >> 6) & 63];
		*out++ = abc[v & 63];
	}
	if (i < len) {
		v = (unsigned int)in[i] << 16 |
		    (i + 1 < len ? (unsigned int)in[i + 1] << 8 : 0);
		*out++ = abc[v >> 18];
		*out++ = abc[(v >> 12) & 63];
		*out++ = i + 1 < len ? abc[(v >> 6) & 63] : '=';
		*out++ = '=';
	}
	*out = '\0';
}

int
b64_decode(const char *in, unsigned char *out, size_t *outlen)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned int acc = 0;
	size_t n = 0;
	int bits = 0, pad = 0;
	const char *p, *c;

	for (p = in; *p != '\0'; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			continue;
		if (*p == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (c = strchr(abc, *p)) == NULL)
			return -1;	/* data after padding, or not base64 */
		acc = (acc << 6) | (unsigned int)(c - abc);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (1U << bits) - 1;
		}
	}
	if (pad > 2 || bits >= 6)
		return -1;
	*outlen = n;
	return 0;
}

int
array_grow(void *arrp, size_t *cap, size_t n, size_t size, size_t first)
{
	void *old, *nb;
	size_t ncap;

	if (n < *cap)
		return 0;
	ncap = *cap > 0 ? *cap : (first > 0 ? first : 1);
	while (ncap <= n) {
		if (ncap > SIZE_MAX / 2)
			goto nomem;
		ncap *= 2;
	}
	if (size > 0 && ncap > SIZE_MAX / size)
		goto nomem;
	memcpy(&old, arrp, sizeof(old));
	if ((nb = realloc(old, ncap * size)) == NULL)
		goto nomem;
	memcpy(arrp, &nb, sizeof(nb));
	*cap = ncap;
	return 0;
nomem:
	errno = ENOMEM;
	return -1;
}

int
array_grow2(void *arrp, size_t size, void *arrp2, size_t size2, size_t *cap,
    size_t n, size_t first)
{
	size_t c1 = *cap, c2 = *cap;

	/* when only the first grows, it is bigger than *cap says: harmless,
	 * the next growth reallocates it to the same size */
	if (array_grow(arrp, &c1, n, size, first) != 0 ||
	    array_grow(arrp2, &c2, n, size2, first) != 0)
		return -1;
	*cap = c1 < c2 ? c1 : c2;
	return 0;
}

/* Room for need more bytes and a NUL in t; 0, or -1 with failed set. */
static int
text_room(struct text *t, size_t need)
{
	size_t ncap;
	char *nb;

	if (t->failed)
		return -1;
	if (need < t->cap - t->len && t->s != NULL)
		return 0;
	ncap = t->cap > 0 ? t->cap : 256;
	while (ncap - t->len <= need) {
		if (ncap > SIZE_MAX / 2) {
			t->failed = 1;
			return -1;
		}
		ncap *= 2;
	}
	if ((nb = realloc(t->s, ncap)) == NULL) {
		t->failed = 1;
		return -1;
	}
	t->s = nb;
	t->cap = ncap;
	return 0;
}

void
text_printf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (text_room(t, 64) != 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		t->failed = 1;
		return;
	}
	if ((size_t)n >= t->cap - t->len) {
		if (text_room(t, (size_t)n) != 0)
			return;
		va_start(ap, fmt);
		vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
	}
	t->len += (size_t)n;
}

void
text_json_str(struct text *t, const char *s)
{
	static const char hexd[] = "0123456789abcdef";
	const unsigned char *p;
	size_t n = 2;
	char *o;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		n += *p < 0x20 ? 6 : (*p == '"' || *p == '\\') ? 2 : 1;
	if (text_room(t, n) != 0)
		return;
	o = t->s + t->len;
	*o++ = '"';
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			*o++ = '\\';
			*o++ = (char)*p;
		} else if (*p < 0x20) {
			memcpy(o, "\\u00", 4);
			o[4] = hexd[*p >> 4];
			o[5] = hexd[*p & 15];
			o += 6;
		} else
			*o++ = (char)*p;
	}
	*o++ = '"';
	*o = '\0';
	t->len = (size_t)(o - t->s);
}
