/* tests/fuzz: what several targets share: the input as a string, NUL-separated arguments. */
#pragma once

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A NUL-terminated copy of the size bytes at data, to free; NULL when out of memory. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);

	if (!buf)
		return NULL;
	memcpy(buf, data, size);
	buf[size] = '\0';
	return buf;
}

/*
 * argv as a command line: argv0, then the NUL-separated strings of buf (len
 * bytes and the NUL after them), at most max of them, then NULL; argv has
 * room for max + 2. Returns argc.
 */
static inline int fuzz_args(const char *argv0, char *buf, size_t len, char **argv, int max)
{
	int argc = 0;

	argv[argc++] = (char *)argv0;
	for (char *p = buf; p <= buf + len && argc <= max; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	return argc;
}
