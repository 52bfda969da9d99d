/*
 * isofs.h - read files from an ISO 9660 image (an OpenStack config drive)
 * on a block device or in a file, without mounting it: no kernel module,
 * no mount point, nothing to clean up, and never anything but reads.
 * Names are matched by their Rock Ridge name where there is one, else by
 * the ISO name without its ";1" version, case-insensitively.
 */
#ifndef VNODE_AGENT_ISOFS_H
#define VNODE_AGENT_ISOFS_H

#include <stddef.h>

#define ISO_SECTOR 2048

struct iso {
	int fd;				/* or -1, and: */
	const unsigned char *mem;	/* an image in memory (tests, fuzzing) */
	size_t memlen;
	unsigned long root_lba;
	unsigned long root_len;
	char volume[33];		/* volume identifier, blanks trimmed */
};

/* 0 when src is an ISO 9660 image; 1 when it is not; -1 on a read error. */
int iso_open_fd(struct iso *iso, int fd, char *err, size_t errlen);
int iso_open_mem(struct iso *iso, const void *mem, size_t len, char *err,
    size_t errlen);
/* The file at path ("openstack/latest/meta_data.json"), at most max bytes,
 * NUL-terminated.  0, 1 when there is no such file, -1 on error. */
int iso_read(const struct iso *iso, const char *path, size_t max, char **out,
    size_t *outlen, char *err, size_t errlen);

#endif
