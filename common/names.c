/*
 * names.c - see names.h.  Plain loops over ASCII classes: no locale, no
 * regular expressions, nothing that could match more than it says.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"

static int
lower(int c)
{
	return c >= 'a' && c <= 'z';
}

static int
digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
alnum(int c)
{
	return lower(c) || digit(c) || (c >= 'A' && c <= 'Z');
}

static int
lowername(const char *s, size_t max)
{
	size_t i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > max || !lower(s[0]))
		return 0;
	for (i = 1; i < n; i++)
		if (!lower(s[i]) && !digit(s[i]) && s[i] != '-')
			return 0;
	return 1;
}

int
name_node_valid(const char *s)
{
	return lowername(s, NAME_MAX_LEN) && s[strlen(s) - 1] != '-';
}

int
name_prefix_valid(const char *s)
{
	return lowername(s, 32);
}

int
name_host_valid(const char *s)
{
	size_t i, n, label = 0;

	if (s == NULL || (n = strlen(s)) == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!alnum(s[i]) && s[i] != '-')
			return 0;
		if (label == 0 && s[i] == '-')
			return 0;
		if (++label > NAME_MAX_LEN)
			return 0;
	}
	return label > 0 && s[n - 1] != '-';
}

int
name_feature_valid(const char *s)
{
	size_t i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > NAME_MAX_LEN ||
	    !alnum(s[0]))
		return 0;
	for (i = 1; i < n; i++)
		if (!alnum(s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return 0;
	return 1;
}

int
name_instance_valid(const char *s)
{
	size_t i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!alnum(s[i]) && s[i] != '-')
			return 0;
	return 1;
}

int
name_ipv4_valid(const char *s)
{
	struct in_addr a;

	return s != NULL && inet_pton(AF_INET, s, &a) == 1;
}

int
name_hostport_valid(const char *s)
{
	char host[256];
	const char *colon, *p;
	long port = 0;
	size_t n;

	if (s == NULL || (colon = strrchr(s, ':')) == NULL)
		return 0;
	n = (size_t)(colon - s);
	if (n == 0 || n >= sizeof(host))
		return 0;
	memcpy(host, s, n);
	host[n] = '\0';
	if (!name_host_valid(host) && !name_ipv4_valid(host))
		return 0;
	p = colon + 1;
	if (*p == '\0' || strlen(p) > 5)
		return 0;
	for (; *p != '\0'; p++) {
		if (!digit(*p))
			return 0;
		port = port * 10 + (*p - '0');
	}
	return port >= 1 && port <= 65535 && colon[1] != '0';
}

static int
charset(const char *s, size_t min, size_t max, const char *extra)
{
	size_t i, n;

	if (s == NULL || (n = strlen(s)) < min || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (!alnum(s[i]) && strchr(extra, s[i]) == NULL)
			return 0;
	return 1;
}

int
name_mount_valid(const char *source, const char *target, const char *type,
    const char *options, const char **what)
{
	size_t n;

	*what = "source";
	if (!charset(source, 1, 255, "_.:/@[]-"))
		return -1;
	*what = "target";
	if (!charset(target, 2, 200, "_./-") || target[0] != '/' ||
	    strstr(target, "//") != NULL || strstr(target, "/./") != NULL ||
	    strstr(target, "/../") != NULL)
		return -1;
	n = strlen(target);
	if (target[n - 1] == '/' || (n >= 2 && strcmp(target + n - 2, "/.") == 0) ||
	    (n >= 3 && strcmp(target + n - 3, "/..") == 0))
		return -1;
	*what = "type";
	if (type == NULL || strlen(type) < 1 || strlen(type) > 16 ||
	    strspn(type, "abcdefghijklmnopqrstuvwxyz0123456789") != strlen(type))
		return -1;
	*what = "options";
	if (!charset(options, 0, 255, "_,.=:/-"))
		return -1;
	*what = NULL;
	return 0;
}

int
name_ifname_valid(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 15 && s[0] >= 'a' && s[0] <= 'z' &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}
