/*
 * isofs.c - see isofs.h.  Everything read from the image is input: every
 * length and offset is checked against the record, the extent and the
 * image before it is used.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "isofs.h"
#include "util.h"

#define MAX_DEPTH	8
#define MAX_DIR		(1024 * 1024)	/* bytes of one directory */
#define VD_FIRST	16
#define VD_MAX		32		/* volume descriptors looked at */

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static int
read_at(const struct iso *iso, unsigned long long off, void *buf, size_t len)
{
	ssize_t n;
	size_t got = 0;

	if (iso->fd < 0) {
		if (off > iso->memlen || len > iso->memlen - off)
			return -1;
		memcpy(buf, iso->mem + off, len);
		return 0;
	}
	while (got < len) {
		n = pread(iso->fd, (char *)buf + got, len - got,
		    (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

static int
find_root(struct iso *iso, char *err, size_t errlen)
{
	unsigned char vd[ISO_SECTOR];
	int i;
	size_t n;

	for (i = VD_FIRST; i < VD_FIRST + VD_MAX; i++) {
		if (read_at(iso, (unsigned long long)i * ISO_SECTOR, vd,
		    sizeof(vd)) != 0)
			return i == VD_FIRST ? 1 : errf(err, errlen,
			    "cannot read volume descriptor %d", i);
		if (memcmp(vd + 1, "CD001", 5) != 0)
			return 1;
		if (vd[0] == 255)		/* terminator */
			break;
		if (vd[0] != 1)			/* not the primary one */
			continue;
		/* the root directory record is at 156, 34 bytes */
		if (vd[156] < 34)
			return errf(err, errlen, "bad root directory record");
		iso->root_lba = le32(vd + 156 + 2);
		iso->root_len = le32(vd + 156 + 10);
		memcpy(iso->volume, vd + 40, 32);
		iso->volume[32] = '\0';
		for (n = 32; n > 0 && iso->volume[n - 1] == ' '; n--)
			iso->volume[n - 1] = '\0';
		return 0;
	}
	return errf(err, errlen, "no primary volume descriptor");
}

int
iso_open_fd(struct iso *iso, int fd, char *err, size_t errlen)
{
	memset(iso, 0, sizeof(*iso));
	iso->fd = fd;
	return find_root(iso, err, errlen);
}

int
iso_open_mem(struct iso *iso, const void *mem, size_t len, char *err,
    size_t errlen)
{
	memset(iso, 0, sizeof(*iso));
	iso->fd = -1;
	iso->mem = mem;
	iso->memlen = len;
	return find_root(iso, err, errlen);
}

/* The Rock Ridge name (SUSP "NM") in a record's system use area. */
static int
rr_name(const unsigned char *rec, size_t reclen, size_t namelen, char *out,
    size_t outsz)
{
	size_t off = 33 + namelen + ((namelen & 1) ? 0 : 1), len = 0;

	out[0] = '\0';
	while (off + 4 <= reclen) {
		size_t elen = rec[off + 2];

		if (elen < 4 || off + elen > reclen)
			break;
		if (rec[off] == 'N' && rec[off + 1] == 'M' && elen >= 5) {
			size_t n = elen - 5;

			/* flags: 0 or continue (1); "." and ".." (2, 4): none */
			if (rec[off + 4] & ~1u)
				return 0;
			if (len + n >= outsz)
				return 0;
			memcpy(out + len, rec + off + 5, n);
			len += n;
			out[len] = '\0';
		}
		off += elen;
	}
	return len > 0;
}

static int
name_matches(const unsigned char *rec, size_t reclen, const char *want,
    size_t wantlen)
{
	char name[256];
	size_t namelen = rec[32], n;

	if (33 + namelen > reclen)
		return 0;
	if (rr_name(rec, reclen, namelen, name, sizeof(name)))
		return strlen(name) == wantlen &&
		    memcmp(name, want, wantlen) == 0;
	/* ISO name: "NAME.EXT;1", or "NAME.;1" when there is no extension */
	n = namelen;
	memcpy(name, rec + 33, n);
	name[n] = '\0';
	if ((n = strcspn(name, ";")) < namelen)
		name[n] = '\0';
	n = strlen(name);
	if (n > 0 && name[n - 1] == '.')
		name[--n] = '\0';
	return n == wantlen && strncasecmp(name, want, wantlen) == 0;
}

/* Find component want in directory (lba, len).  0 found, 1 not. */
static int
lookup(const struct iso *iso, unsigned long lba, unsigned long len,
    const char *want, size_t wantlen, unsigned long *flba,
    unsigned long *flen, int *isdir, char *err, size_t errlen)
{
	unsigned char *dir;
	size_t off = 0;
	int rc = 1;

	if (len == 0 || len > MAX_DIR)
		return errf(err, errlen, "directory of %lu bytes", len);
	if ((dir = malloc(len)) == NULL)
		return errf(err, errlen, "out of memory");
	if (read_at(iso, (unsigned long long)lba * ISO_SECTOR, dir, len) != 0) {
		free(dir);
		return errf(err, errlen, "cannot read directory at sector %lu",
		    lba);
	}
	while (off < len) {
		size_t reclen = dir[off];

		if (reclen == 0) {	/* rest of this sector is padding */
			off = (off / ISO_SECTOR + 1) * ISO_SECTOR;
			continue;
		}
		if (reclen < 34 || off + reclen > len ||
		    off / ISO_SECTOR != (off + reclen - 1) / ISO_SECTOR) {
			rc = errf(err, errlen, "bad directory record");
			break;
		}
		if (dir[off + 32] == 1 && (dir[off + 33] == 0 ||
		    dir[off + 33] == 1)) {
			off += reclen;	/* "." and ".." */
			continue;
		}
		if (name_matches(dir + off, reclen, want, wantlen)) {
			if (dir[off + 25] & 0x80) {
				rc = errf(err, errlen, "file in several extents: "
				    "not supported");
				break;
			}
			*flba = le32(dir + off + 2);
			*flen = le32(dir + off + 10);
			*isdir = (dir[off + 25] & 0x02) != 0;
			rc = 0;
			break;
		}
		off += reclen;
	}
	free(dir);
	return rc;
}

int
iso_read(const struct iso *iso, const char *path, size_t max, char **out,
    size_t *outlen, char *err, size_t errlen)
{
	unsigned long lba = iso->root_lba, len = iso->root_len;
	const char *p = path, *slash;
	char *buf;
	int depth = 0, isdir = 1, rc;

	while (*p != '\0') {
		size_t n;

		slash = strchr(p, '/');
		n = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || !isdir || ++depth > MAX_DEPTH)
			return errf(err, errlen, "%s: bad path", path);
		rc = lookup(iso, lba, len, p, n, &lba, &len, &isdir, err, errlen);
		if (rc != 0)
			return rc;
		p += n + (slash != NULL);
	}
	if (isdir)
		return errf(err, errlen, "%s: a directory", path);
	if (len > max)
		return errf(err, errlen, "%s: larger than %zu bytes", path, max);
	if ((buf = malloc(len + 1)) == NULL)
		return errf(err, errlen, "out of memory");
	if (read_at(iso, (unsigned long long)lba * ISO_SECTOR, buf, len) != 0) {
		free(buf);
		return errf(err, errlen, "%s: cannot read its data", path);
	}
	buf[len] = '\0';
	*out = buf;
	if (outlen != NULL)
		*outlen = len;
	return 0;
}
