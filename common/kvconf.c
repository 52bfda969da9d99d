/*
 * kvconf.c - see kvconf.h.
 */
#include <stdio.h>
#include <string.h>

#include "kvconf.h"
#include "util.h"

#define MAX_KEYS	64
#define MAX_KEY_LEN	64

int
kv_parse(char *text, const char *src, kv_fn fn, void *arg, char *err,
    size_t errlen)
{
	char seen[MAX_KEYS][MAX_KEY_LEN + 1], why[512];
	char *line, *next, *eq, *key, *val;
	int lineno = 0, nseen = 0, seenline[MAX_KEYS], i;

	for (line = text; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((eq = strchr(line, '#')) != NULL)
			*eq = '\0';
		key = str_trim(line);
		if (*key == '\0')
			continue;
		if ((eq = strchr(key, '=')) == NULL)
			return errf(err, errlen, "%s:%d: expected key = value", src,
			    lineno);
		*eq = '\0';
		key = str_trim(key);
		val = str_trim(eq + 1);
		if (strlen(key) > MAX_KEY_LEN)
			return errf(err, errlen, "%s:%d: key longer than %d "
			    "characters", src, lineno, MAX_KEY_LEN);
		for (i = 0; i < nseen; i++)
			if (strcmp(seen[i], key) == 0)
				return errf(err, errlen, "%s:%d: %s given twice "
				    "(first on line %d)", src, lineno, key,
				    seenline[i]);
		why[0] = '\0';
		if (fn(arg, key, val, lineno, why, sizeof(why)) != 0)
			return errf(err, errlen, "%s:%d: %s", src, lineno, why);
		if (nseen < MAX_KEYS) {
			snprintf(seen[nseen], sizeof(seen[0]), "%s", key);
			seenline[nseen++] = lineno;
		}
	}
	return 0;
}
