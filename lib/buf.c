/* berth: a growable byte buffer, and reading an fd to its end into one. */
#include "buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"

void bbuf_free(struct bbuf *b)
{
	free(b->p);
	*b = (struct bbuf)BBUF_INIT;
}

int bbuf_reserve(struct bbuf *b, size_t n)
{
	if (n > (size_t)-1 - b->len - 1)
		return -EOVERFLOW;
	return BARRAY_RESERVE(b->p, b->cap, b->len + n + 1);
}

int bbuf_append(struct bbuf *b, const void *data, size_t n)
{
	int r = bbuf_reserve(b, n);

	if (r < 0)
		return r;
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = 0;
	return 0;
}

int bbuf_printf(struct bbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((r = bbuf_reserve(b, (size_t)n)) < 0)
		return r;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

ssize_t bbuf_read_once(struct bbuf *b, int fd, size_t max)
{
	size_t room;
	ssize_t n;
	int r;

	if (b->len >= max) {
		char c;

		/* Full: more data is an error, end of file is not. */
		do
			n = read(fd, &c, 1);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return errno == EAGAIN ? -EAGAIN : -errno;
		return n == 0 ? 0 : -EFBIG;
	}
	room = b->cap > b->len + 1 ? b->cap - b->len - 1 : 0;
	if (room < 4096) {
		size_t want = b->len < 4096 ? 4096 : b->len;

		if (want > max - b->len)
			want = max - b->len;
		if ((r = bbuf_reserve(b, want)) < 0)
			return r;
		room = b->cap - b->len - 1;
	}
	if (room > max - b->len)
		room = max - b->len;
	do
		n = read(fd, b->p + b->len, room);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	b->len += (size_t)n;
	b->p[b->len] = 0;
	return n;
}

int bbuf_read_all(struct bbuf *b, int fd, size_t max)
{
	for (;;) {
		ssize_t n = bbuf_read_once(b, fd, max);

		if (n < 0)
			return (int)n;
		if (n == 0)
			return 0;
	}
}

char *bbuf_steal(struct bbuf *b, size_t *ret_len)
{
	char *p;

	if (!b->p && bbuf_reserve(b, 0) < 0)
		return NULL;
	b->p[b->len] = 0;
	p = b->p;
	if (ret_len)
		*ret_len = b->len;
	*b = (struct bbuf)BBUF_INIT;
	return p;
}

int bfd_read_all(int fd, size_t max, char **ret_buf, size_t *ret_len)
{
	struct bbuf b = BBUF_INIT;
	int r = bbuf_read_all(&b, fd, max);

	if (r < 0) {
		bbuf_free(&b);
		return r;
	}
	*ret_buf = bbuf_steal(&b, ret_len);
	return *ret_buf ? 0 : -ENOMEM;
}
