/*
 * criu.h - what the checkpoint parts read from CRIU itself.
 *
 * A leaf module (files.h).
 */
#ifndef VNODE_CKPT_CRIU_H
#define VNODE_CKPT_CRIU_H

#include <stddef.h>

/* The cause of a failed criu run from its log file ("" when it has no
 * error line): the last error line that is neither the summary
 * ("Dumping FAILED", "Restoring FAILED") nor what a restored task's end
 * says of another's failure ("2 exited, status=1", "... killed by
 * signal"), else the last of those. */
void ckpt_log_error(const char *logpath, char *out, size_t outlen);
/* "4.2.1" from criu --version (bounded), "unknown" when it says none. */
void ckpt_criu_version(const char *criu, char *out, size_t outlen);

#endif
