/*
 * criu.h - what the checkpoint parts read from CRIU itself.
 *
 * A leaf module (files.h).
 */
#ifndef VNODE_CKPT_CRIU_H
#define VNODE_CKPT_CRIU_H

#include <stddef.h>

/* CRIU's last error line in a criu log file ("" when none). */
void ckpt_log_error(const char *logpath, char *out, size_t outlen);
/* "4.2.1" from criu --version (bounded), "unknown" when it says none. */
void ckpt_criu_version(const char *criu, char *out, size_t outlen);

#endif
