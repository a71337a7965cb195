/* runtime/sync.c: parent <-> init messages. */
#include "runtime/sync.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cleanup.h"

struct hdr {
	uint32_t type;
	int32_t code;
	int64_t value;
};

int rt_sync_send(int fd, uint32_t type, int32_t code, int64_t value, const char *data, size_t len)
{
	struct hdr h = {.type = type, .code = code, .value = value};
	struct iovec iov[2] = {{.iov_base = &h, .iov_len = sizeof(h)}, {.iov_base = (void *)data, .iov_len = len}};
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = data && len ? 2 : 1};
	ssize_t n;

	if (len > RT_SYNC_MAX_DATA)
		return -EMSGSIZE;
	do
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 0;
}

void rt_sync_send_error(int fd, const struct berr *e)
{
	const char *m = berr_message(e);

	rt_sync_send(fd, RT_SYNC_ERROR, e && e->code ? e->code : -EIO, 0, m, strlen(m));
}

void rt_sync_msg_clear(struct rt_sync_msg *m)
{
	free(m->data);
	memset(m, 0, sizeof(*m));
}

/*
 * The message's size first (MSG_PEEK | MSG_TRUNC), then a buffer of that
 * size: a buffer of the largest size (64 KiB) came from the top of the
 * heap and, freed, made malloc consolidate the heap, touching pages that
 * the init, a forked copy, then had to copy.
 */
static ssize_t recv_msg(int fd, char **ret_buf)
{
	struct hdr h;
	ssize_t n, got;
	char *buf;

	do
		n = recv(fd, &h, sizeof(h), MSG_PEEK | MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n;
	if ((size_t)n > sizeof(h) + RT_SYNC_MAX_DATA)
		n = (ssize_t)(sizeof(h) + RT_SYNC_MAX_DATA);
	buf = malloc((size_t)n + 1);
	if (!buf) {
		errno = ENOMEM;
		return -1;
	}
	do
		got = recv(fd, buf, (size_t)n, 0);
	while (got < 0 && errno == EINTR);
	if (got < 0) {
		int err = errno;

		free(buf);
		errno = err;
		return got;
	}
	*ret_buf = buf;
	return got;
}

int rt_sync_recv(int fd, const char *what, struct rt_sync_msg *ret, struct berr *e)
{
	_cleanup_free_ char *buf = NULL;
	struct hdr h;
	ssize_t n;

	memset(ret, 0, sizeof(*ret));
	n = recv_msg(fd, &buf);
	if (n < 0) {
		if (errno == ENOMEM)
			return berr_oom(e);
		if (errno == ECONNRESET)
			return berr_set(e, -EPIPE, "%s exited", what);
		return berr_errno(e, "read from %s", what);
	}
	if (n == 0)
		return berr_set(e, -EPIPE, "%s exited", what);
	if ((size_t)n < sizeof(h))
		return berr_set(e, -EPROTO, "short message from %s", what);
	memcpy(&h, buf, sizeof(h));
	ret->type = h.type;
	ret->code = h.code;
	ret->value = h.value;
	ret->len = (size_t)n - sizeof(h);
	if (ret->len) {
		/* the payload moved to the front of the buffer, which becomes the message's */
		memmove(buf, buf + sizeof(h), ret->len);
		buf[ret->len] = '\0';
		ret->data = TAKE_PTR(buf);
	}
	if (ret->type == RT_SYNC_ERROR) {
		int code = ret->code < 0 && ret->code > -4096 ? ret->code : -EIO;

		berr_set(e, code, "%s", ret->data ? ret->data : "unknown error");
		rt_sync_msg_clear(ret);
		return code;
	}
	return 0;
}

int rt_sync_expect(int fd, uint32_t want, const char *what, struct rt_sync_msg *ret, struct berr *e)
{
	int r = rt_sync_recv(fd, what, ret, e);

	if (r < 0)
		return r;
	if (ret->type != want) {
		uint32_t got = ret->type;

		rt_sync_msg_clear(ret);
		return berr_set(e, -EPROTO, "unexpected message %u from %s (wanted %u)", got, what, want);
	}
	return 0;
}

int rt_sync_wait_exec(int fd, struct berr *e)
{
	struct rt_sync_msg m;
	int r = rt_sync_recv(fd, "the container's init", &m, e);

	if (r == -EPIPE) {
		berr_clear(e);
		return 0;
	}
	if (r < 0)
		return r;
	rt_sync_msg_clear(&m);
	return berr_set(e, -EPROTO, "unexpected message from the container's init");
}
