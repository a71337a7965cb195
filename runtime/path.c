/* runtime/path.c: lexical path cleaning. */
#include "runtime/path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *rt_path_clean(const char *path)
{
	size_t len = strlen(path);
	char *out = malloc(len + 2);
	size_t o = 0;
	const char *p = path;

	if (!out)
		return NULL;
	out[o++] = '/';
	while (*p) {
		const char *seg;
		size_t n;

		while (*p == '/')
			p++;
		seg = p;
		while (*p && *p != '/')
			p++;
		n = (size_t)(p - seg);
		if (n == 0 || (n == 1 && seg[0] == '.'))
			continue;
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			/* back to the previous separator, never above the root */
			while (o > 1 && out[o - 1] != '/')
				o--;
			if (o > 1)
				o--;
			continue;
		}
		if (o > 1)
			out[o++] = '/';
		memcpy(out + o, seg, n);
		o += n;
	}
	out[o] = '\0';
	return out;
}

char *rt_path_join(const char *dir, const char *name)
{
	char *joined = NULL, *clean;

	if (asprintf(&joined, "%s/%s", dir, name) < 0)
		return NULL;
	if (joined[0] != '/')
		return joined;
	clean = rt_path_clean(joined);
	free(joined);
	return clean;
}

const char *rt_path_rel(const char *abs)
{
	while (*abs == '/')
		abs++;
	return *abs ? abs : ".";
}
