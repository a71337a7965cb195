/* berth: scope-bound cleanup helpers. Every destructor accepts NULL / -1. */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

/* Define a cleanup function "name" for a pointer type that calls fn(p) when p != NULL. */
#define BERTH_DEFINE_PTR_CLEANUP(name, type, fn)                                                                       \
	static inline void name(type **p)                                                                              \
	{                                                                                                              \
		if (*p)                                                                                                \
			fn(*p);                                                                                        \
		*p = NULL;                                                                                             \
	}

static inline void berth_freep(void *p)
{
	free(*(void **)p);
	*(void **)p = NULL;
}

/* close() that keeps errno; closing -1 is a no-op. */
static inline int berth_close_safe(int fd)
{
	if (fd >= 0) {
		int saved = errno;
		close(fd);
		errno = saved;
	}
	return -1;
}

static inline void berth_closep(int *fd)
{
	*fd = berth_close_safe(*fd);
}

static inline void berth_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
	*f = NULL;
}

void strv_free(char **v); /* strv.h */
static inline void berth_strvfreep(char ***v)
{
	strv_free(*v);
	*v = NULL;
}

#define _cleanup_free_ _cleanup_(berth_freep)
#define _cleanup_close_ _cleanup_(berth_closep)
#define _cleanup_fclose_ _cleanup_(berth_fclosep)
#define _cleanup_strv_ _cleanup_(berth_strvfreep)

/* Hand ownership out of a cleanup-scoped variable. */
#define TAKE_PTR(p)                                                                                                    \
	({                                                                                                             \
		__typeof__(p) _tp = (p);                                                                               \
		(p) = NULL;                                                                                            \
		_tp;                                                                                                   \
	})
#define TAKE_FD(fd)                                                                                                    \
	({                                                                                                             \
		int _tf = (fd);                                                                                        \
		(fd) = -1;                                                                                             \
		_tf;                                                                                                   \
	})

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
