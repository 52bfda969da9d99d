/*
 * sysuser.h - a system account (munge, slurm) by name: /etc/passwd and
 * /etc/group first, read directly, then the name service switch.
 *
 * Daemon accounts are made by adduser --system, into /etc/passwd; reading
 * the files directly keeps getpwnam's NSS modules out of the process (on
 * Debian 12, "passwd: files systemd" loads libnss_systemd and libcap:
 * 0.36 MB resident in the boot agent).  An account the files do not have
 * (LDAP, sssd) is looked up through getpwnam and getgrouplist as before.
 */
#ifndef VNODE_SYSUSER_H
#define VNODE_SYSUSER_H

#include <stddef.h>
#include <sys/types.h>

#define SYSUSER_MAX_GROUPS 64

struct sysuser {
	uid_t uid;
	gid_t gid;
	gid_t groups[SYSUSER_MAX_GROUPS];	/* the primary group first */
	int ngroups;
};

int sysuser_lookup(const char *name, struct sysuser *u, char *err,
    size_t errlen);

#endif
