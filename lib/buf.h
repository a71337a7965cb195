/* berth: a growable byte buffer, and reading an fd to its end into one. */
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

/* Always NUL-terminated once anything was added; {0} is an empty buffer. */
struct bbuf {
	char *p;
	size_t len, cap;
};

#define BBUF_INIT                                                                                                      \
	{                                                                                                              \
		NULL, 0, 0                                                                                             \
	}

void bbuf_free(struct bbuf *b);
static inline void bbuf_freep(struct bbuf *b)
{
	bbuf_free(b);
}
#define _cleanup_bbuf_ __attribute__((cleanup(bbuf_freep)))

/* Room for n more bytes and the NUL. 0 or -ENOMEM. */
int bbuf_reserve(struct bbuf *b, size_t n);
int bbuf_append(struct bbuf *b, const void *data, size_t n);
int bbuf_printf(struct bbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * One read(2) from fd into b, never growing b past max bytes: the count read
 * (> 0), 0 at end of file, -EFBIG when max is reached with more to come,
 * -EAGAIN from a non-blocking fd, or -errno. EINTR is retried.
 */
ssize_t bbuf_read_once(struct bbuf *b, int fd, size_t max);

/* Read fd to end of file (at most max bytes, else -EFBIG). */
int bbuf_read_all(struct bbuf *b, int fd, size_t max);

/* Hand the contents over (an empty string when nothing was added; NULL: -ENOMEM); b is left empty. */
char *bbuf_steal(struct bbuf *b, size_t *ret_len);

/* Read fd to end of file into a new NUL-terminated buffer: 0, -EFBIG past max, -ENOMEM or -errno. */
int bfd_read_all(int fd, size_t max, char **ret_buf, size_t *ret_len);
