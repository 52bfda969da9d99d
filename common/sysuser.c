/*
 * sysuser.c - see sysuser.h.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "sysuser.h"
#include "util.h"

#define PASSWD_FILE	"/etc/passwd"
#define GROUP_FILE	"/etc/group"

/* 1 and u's ids when name is in PASSWD_FILE, 0 when not, -1 when the file
 * cannot be read */
static int
from_passwd(const char *name, struct sysuser *u)
{
	struct passwd *pw;
	FILE *f;
	int found = 0;

	if ((f = fopen(PASSWD_FILE, "re")) == NULL)
		return -1;
	while (!found && (pw = fgetpwent(f)) != NULL)
		if (strcmp(pw->pw_name, name) == 0) {
			u->uid = pw->pw_uid;
			u->gid = pw->pw_gid;
			found = 1;
		}
	fclose(f);
	return found;
}

/* the groups of GROUP_FILE that list name, after the primary one */
static int
groups_from_file(const char *name, struct sysuser *u, char *err,
    size_t errlen)
{
	struct group *gr;
	FILE *f;
	char **m;
	int rc = 0;

	u->groups[0] = u->gid;
	u->ngroups = 1;
	if ((f = fopen(GROUP_FILE, "re")) == NULL)
		return errno == ENOENT ? 0 : errf(err, errlen, "%s: %s",
		    GROUP_FILE, strerror(errno));
	while (rc == 0 && (gr = fgetgrent(f)) != NULL) {
		if (gr->gr_gid == u->gid)
			continue;
		for (m = gr->gr_mem; *m != NULL; m++)
			if (strcmp(*m, name) == 0)
				break;
		if (*m == NULL)
			continue;
		if (u->ngroups == SYSUSER_MAX_GROUPS)
			rc = errf(err, errlen, "user %s: more than %d groups",
			    name, SYSUSER_MAX_GROUPS);
		else
			u->groups[u->ngroups++] = gr->gr_gid;
	}
	fclose(f);
	return rc;
}

int
sysuser_lookup(const char *name, struct sysuser *u, char *err, size_t errlen)
{
	struct passwd *pw;

	memset(u, 0, sizeof(*u));
	if (from_passwd(name, u) == 1)
		return groups_from_file(name, u, err, errlen);
	errno = 0;
	if ((pw = getpwnam(name)) == NULL)
		return errf(err, errlen, "no user %s", name);
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	u->ngroups = SYSUSER_MAX_GROUPS;
	if (getgrouplist(name, pw->pw_gid, u->groups, &u->ngroups) < 0)
		return errf(err, errlen, "user %s: more than %d groups", name,
		    SYSUSER_MAX_GROUPS);
	return 0;
}
