/*
 * util.h - small helpers every vnode program links: error buffers, bounded
 * number parsing, hex, clocks.
 */
#ifndef VNODE_UTIL_H
#define VNODE_UTIL_H

#include <signal.h>
#include <stddef.h>

/* Fill a caller's error buffer; always returns -1 so callers can
 * "return errf(err, errlen, ...)". */
int errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Decimal integer in [min, max], the whole string, no sign tricks. */
int parse_long(const char *s, long min, long max, long *out);
/* Seconds with an optional unit: s, m, h, d ("90", "15m", "2h"). */
int parse_duration(const char *s, long min, long max, long *out);
/* v seconds as parse_duration reads them, in the largest exact unit
 * ("0", "90s", "10m", "1h", "7d"). */
void format_duration(long v, char *out, size_t outsz);
/* Seconds with an optional fraction ("0.5", "2"), in [min, max]. */
int parse_seconds(const char *s, double min, double max, double *out);

void hex_encode(const unsigned char *in, size_t len, char *out /* 2*len+1 */);
/* Exactly 2*len lowercase or uppercase hex digits into len bytes. */
/* The value of one hex digit (either case), or -1. */
int hex_digit(int c);
int hex_decode(const char *in, unsigned char *out, size_t len);
int hex_valid(const char *s, size_t len);

/* Compare in time independent of where the first difference is. */
int ct_equal(const void *a, const void *b, size_t len);

double mono_now(void);	/* CLOCK_MONOTONIC, seconds */
long wall_now(void);	/* CLOCK_REALTIME, whole seconds */
double wall_time(void);	/* CLOCK_REALTIME, seconds with the fraction */

/* Sleep for sec seconds (fraction allowed), restarting after signals
 * unless *stop becomes non-zero. */
void sleep_seconds(double sec, volatile sig_atomic_t *stop);

/* Standard base64 (RFC 4648, '=' padding, line breaks and blanks
 * skipped) into out, which has room for 3/4 of strlen(in); *outlen set.
 * -1 on any other character or a bad length. */
int b64_decode(const char *in, unsigned char *out, size_t *outlen);
/* Standard base64 with '=' padding into out: 4 * ((len + 2) / 3) + 1
 * bytes. */
void b64_encode(const unsigned char *in, size_t len, char *out);

/* src into dst of dstsz bytes, cut to fit, always terminated (a cut
 * that is meant: a reason, a detail). */
void str_copy(char *dst, size_t dstsz, const char *src);

/* Room for one more element in the array *arrp points to (a T ** passed
 * as void *), which holds n elements of size bytes in *cap: when n has
 * reached *cap, the block grows to twice (to first when empty).  0, or -1
 * (errno ENOMEM) with *arrp and *cap as they were: the elements stay. */
int array_grow(void *arrp, size_t *cap, size_t n, size_t size, size_t first);
/* The same for two arrays side by side, which share n and *cap. */
int array_grow2(void *arrp, size_t size, void *arrp2, size_t size2,
    size_t *cap, size_t n, size_t first);

/* Text that grows as it is written: appends after a failed allocation
 * do nothing and leave failed set (the text is then incomplete: the
 * caller checks failed once, at the end).  Start from all zeros; free
 * s. */
struct text {
	char *s;		/* NUL-terminated once anything was written */
	size_t len, cap;
	int failed;
};
void text_printf(struct text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* s as a JSON string, quotes included: '"', '\\' and control characters
 * escaped; other bytes as they are (UTF-8 stays UTF-8). */
void text_json_str(struct text *t, const char *s);

/* Blanks (space, tab, CR) off both ends, in place. */
char *str_trim(char *s);

/* Read a whole small file (at most max bytes) into a NUL-terminated
 * buffer that the caller frees. */
int read_file(const char *path, size_t max, char **out, size_t *outlen,
    char *err, size_t errlen);

#endif
