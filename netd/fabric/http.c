/* The HTTP/1.1 client over TCP: URLs, connecting with a deadline, unary POSTs on a kept-alive connection, streams. */
#include "netd/fabric/http.h"

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "clock.h"

#define CONNECT_MS 1000 /* connecting to one endpoint, at most (a down host should not eat the whole deadline) */
#define READ_SIZE 16384

/* ------------------------------------------------------------------ URLs */

static bool host_char(char c, bool bracketed)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.')
		return true;
	/* an IPv6 literal, with a zone ("fe80::1%eth0") */
	return bracketed ? c == ':' || c == '%' || c == '_' : c == '_';
}

int http_url_parse(const char *url, struct http_url *ret, struct berr *e)
{
	struct http_url u = {0};
	const char *a, *end, *h, *he, *after;
	size_t i;

	if (strncasecmp(url, "https://", 8) == 0)
		return berr_set(e, -EPROTONOSUPPORT, "'%s': https (TLS) is not supported; give http://HOST:PORT", url);
	if (strncasecmp(url, "http://", 7) != 0)
		return berr_set(e, -EINVAL, "'%s': give http://HOST:PORT", url);
	a = url + 7;
	end = a + strcspn(a, "/?#");
	if (*end && *end != '/')
		return berr_set(e, -EINVAL, "'%s': a query or fragment without a path", url);
	if (memchr(a, '@', (size_t)(end - a)))
		return berr_set(e, -EINVAL, "'%s': user information in a URL is not supported", url);
	if (*a == '[') {
		h = a + 1;
		he = memchr(h, ']', (size_t)(end - h));
		if (!he)
			return berr_set(e, -EINVAL, "'%s': an IPv6 address without its ']'", url);
		after = he + 1;
	} else {
		h = a;
		he = memchr(a, ':', (size_t)(end - a));
		if (!he)
			he = end;
		after = he;
	}
	if (he == h || (size_t)(he - h) >= sizeof(u.host))
		return berr_set(e, -EINVAL, "'%s': no host, or a host name too long", url);
	for (const char *c = h; c < he; c++)
		if (!host_char(*c, *a == '['))
			return berr_set(e, -EINVAL, "'%s': a host with a '%c'", url, *c);
	memcpy(u.host, h, (size_t)(he - h));
	if (after == end) {
		strcpy(u.port, "80");
	} else {
		unsigned long port = 0;

		if (*after != ':' || end - after < 2 || end - after > 6)
			return berr_set(e, -EINVAL, "'%s': a bad port", url);
		for (const char *c = after + 1; c < end; c++) {
			if (*c < '0' || *c > '9')
				return berr_set(e, -EINVAL, "'%s': a bad port", url);
			port = port * 10 + (unsigned long)(*c - '0');
		}
		if (port == 0 || port > 65535)
			return berr_set(e, -EINVAL, "'%s': port %lu is out of range", url, port);
		snprintf(u.port, sizeof(u.port), "%lu", port);
	}
	if ((size_t)(end - a) >= sizeof(u.authority))
		return berr_set(e, -EINVAL, "'%s': the host and port are too long", url);
	memcpy(u.authority, a, (size_t)(end - a));
	if (strlen(end) > HTTP_MAX_URL)
		return berr_set(e, -EINVAL, "'%s': a path longer than %d bytes", url, HTTP_MAX_URL);
	for (i = 0; end[i]; i++)
		if ((unsigned char)end[i] <= 0x20 || (unsigned char)end[i] >= 0x7f)
			return berr_set(e, -EINVAL, "'%s': a path with a space or control character", url);
	strcpy(u.path, *end ? end : "/");
	*ret = u;
	return 0;
}

/* ------------------------------------------------------------------ sockets */

static int resolve(const struct http_url *u, struct addrinfo **ret, struct berr *e)
{
	/* literals first: no NSS module is loaded for them */
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
	int r = getaddrinfo(u->host, u->port, &hints, ret);

	if (r == EAI_NONAME && !strchr(u->host, ':')) {
		hints.ai_flags = AI_NUMERICSERV;
		r = getaddrinfo(u->host, u->port, &hints, ret);
	}
	if (r == 0)
		return 0;
	if (r == EAI_MEMORY)
		return berr_oom(e);
	return berr_set(e, -EHOSTUNREACH, "cannot resolve %s: %s", u->host,
			r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
}

/* A peer that vanished without a word (host down, cable cut) is noticed within ~7 s of silence. */
static int set_keepalive(int fd)
{
	static const struct {
		int level, name, value;
	} opts[] = {
		{SOL_SOCKET, SO_KEEPALIVE, 1},
		{IPPROTO_TCP, TCP_KEEPIDLE, 2},
		{IPPROTO_TCP, TCP_KEEPINTVL, 1},
		{IPPROTO_TCP, TCP_KEEPCNT, 5},
	};

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (setsockopt(fd, opts[i].level, opts[i].name, &opts[i].value, sizeof(int)) < 0)
			return -errno;
	return 0;
}

/* A non-blocking socket connecting to ai: 0 with *ret_fd (connected, or on the way), or -errno. */
static int sock_connect(const struct addrinfo *ai, bool keepalive, int *ret_fd)
{
	_cleanup_close_ int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	int one = 1;

	if (fd < 0)
		return -errno;
	/* a request is one write: nothing to gain from Nagle, a round trip to lose */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		return -errno;
	if (keepalive && set_keepalive(fd) < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS && errno != EINTR)
		return -errno;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* How the non-blocking connect ended: 0 or -errno. */
static int sock_connected(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -errno;
	return -err;
}

/* Wait until fd has one of events or the deadline passes: 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, long long deadline)
{
	for (;;) {
		long long left = deadline - bclock_now_ms();
		struct pollfd pfd = {.fd = fd, .events = events};
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/* Connect to the first address of u that answers, within deadline. */
static int conn_connect(const struct http_url *u, long long deadline, int *ret_fd, struct berr *e)
{
	struct addrinfo *ai = NULL;
	int fd = -1, r;

	r = resolve(u, &ai, e);
	if (r < 0)
		return r;
	r = -EHOSTUNREACH;
	for (const struct addrinfo *a = ai; a && r != -ETIMEDOUT; a = a->ai_next) {
		r = sock_connect(a, false, &fd);
		if (r < 0)
			continue;
		r = wait_fd(fd, POLLOUT, deadline);
		if (r == 0)
			r = sock_connected(fd);
		if (r == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (r < 0)
		return berr_sys(e, r, "connecting to %s", u->authority);
	*ret_fd = fd;
	return 0;
}

/* A connection that failed under a request counts as reset: the server went away. */
static int conn_errno(int err)
{
	return err == -EPIPE ? -ECONNRESET : err;
}

static int request_build(struct bbuf *b, const struct http_url *u, const char *body, size_t len)
{
	if (bbuf_printf(b,
			"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
			u->path, u->authority, len) < 0 ||
	    bbuf_append(b, body, len) < 0)
		return -ENOMEM;
	return 0;
}

/* Send what is left of b from *off on: 0 when all went, -EAGAIN when the socket is full, or -errno. */
static int send_some(int fd, const struct bbuf *b, size_t *off)
{
	while (*off < b->len) {
		ssize_t n = send(fd, b->p + *off, b->len - *off, MSG_NOSIGNAL);

		if (n > 0)
			*off += (size_t)n;
		else if (n < 0 && errno != EINTR)
			return errno == EAGAIN ? -EAGAIN : conn_errno(-errno);
	}
	return 0;
}

/* ------------------------------------------------------------------ unary requests */

void http_conn_close(struct http_conn *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->origin[0] = '\0';
}

void http_reply_clear(struct http_reply *r)
{
	if (!r)
		return;
	bbuf_free(&r->body);
	r->status = 0;
}

static int body_to_buf(void *arg, const char *data, size_t len)
{
	return bbuf_append(arg, data, len);
}

/* An idle kept-alive connection has nothing to read: readable means the server closed it (or sent junk). */
static bool idle_ok(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	return poll(&pfd, 1, 0) == 0;
}

/* Read the reply into p and rep->body until it is whole; *ret_extra: bytes came after it. */
static int recv_reply(int fd, struct http_parser *p, struct http_reply *rep, long long deadline, bool *ret_extra,
		      struct berr *e)
{
	char buf[READ_SIZE];

	while (!http_parser_done(p)) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct berr pe = BERR_INIT;
		size_t used;
		int r;

		if (n > 0) {
			r = http_parser_feed(p, buf, (size_t)n, &used, body_to_buf, &rep->body, e);
			if (r == -ENOMEM)
				return berr_oom(e);
			if (r < 0)
				return r;
			if (used < (size_t)n)
				*ret_extra = true;
		} else if (n == 0) {
			if (http_parser_eof(p, &pe) < 0)
				return berr_set(e, -ECONNRESET, "%s", berr_message(&pe));
		} else if (errno == EAGAIN) {
			r = wait_fd(fd, POLLIN, deadline);
			if (r == -ETIMEDOUT)
				return berr_set(e, r, "no whole reply in time (%s)",
						p->started ? "part of it came" : "nothing came");
			if (r < 0)
				return berr_sys(e, r, "waiting for the reply");
		} else if (errno != EINTR) {
			return berr_sys(e, conn_errno(-errno), "receiving the reply");
		}
	}
	return 0;
}

/* One request and its reply on c's connection. *ret_got: a byte of the reply came. */
static int exchange(struct http_conn *c, const struct bbuf *req, long long deadline, uint64_t max_body,
		    struct http_reply *rep, bool *ret_got, struct berr *e)
{
	struct http_parser p;
	size_t off = 0;
	bool extra = false;
	int r;

	http_parser_init(&p, max_body);
	while ((r = send_some(c->fd, req, &off)) == -EAGAIN)
		if ((r = wait_fd(c->fd, POLLOUT, deadline)) < 0)
			return berr_sys(e, r, "sending the request");
	if (r < 0)
		return berr_sys(e, r, "sending the request");
	r = recv_reply(c->fd, &p, rep, deadline, &extra, e);
	*ret_got = p.started;
	if (r < 0)
		return r;
	rep->status = p.status;
	/* bytes after the reply: the server is confused, or pipelining; either way the connection is not reused */
	if (p.close || extra)
		http_conn_close(c);
	return 0;
}

int http_post(struct http_conn *c, const char *url, const char *body, size_t len, int timeout_ms, uint64_t max_body,
	      struct http_reply *ret, struct berr *e)
{
	long long start = bclock_now_ms(), deadline = start + timeout_ms;
	long long connect_by = deadline < start + CONNECT_MS ? deadline : start + CONNECT_MS;
	_cleanup_bbuf_ struct bbuf req = BBUF_INIT;
	struct http_url u;
	int r;

	r = http_url_parse(url, &u, e);
	if (r < 0)
		return r;
	if (request_build(&req, &u, body, len) < 0)
		return berr_oom(e);
	if (c->fd >= 0 && (strcmp(c->origin, u.authority) != 0 || !idle_ok(c->fd)))
		http_conn_close(c);
	for (int attempt = 0;; attempt++) {
		struct http_reply rep = {0};
		bool reused = c->fd >= 0, got = false;

		if (!reused) {
			r = conn_connect(&u, connect_by, &c->fd, e);
			if (r < 0)
				return r;
			snprintf(c->origin, sizeof(c->origin), "%s", u.authority);
		}
		r = exchange(c, &req, deadline, max_body, &rep, &got, e);
		if (r == 0) {
			*ret = rep;
			return 0;
		}
		http_reply_clear(&rep);
		http_conn_close(c);
		/* the server closed the kept-alive connection while we were about to use it: once more, afresh */
		if (!reused || got || attempt > 0 || r != -ECONNRESET)
			return r;
		berr_clear(e);
		connect_by = bclock_now_ms() + CONNECT_MS < deadline ? bclock_now_ms() + CONNECT_MS : deadline;
	}
}

/* ------------------------------------------------------------------ streaming requests */

enum stream_state { ST_START, ST_CONNECT, ST_SEND, ST_RECV, ST_END };

struct http_stream {
	enum stream_state st;
	int fd;
	struct http_url u;
	struct addrinfo *ai;	     /* the addresses */
	const struct addrinfo *next; /* the next to try */
	int connect_ms, last_err;    /* the last address's failure */
	long long connect_by;
	struct bbuf req;
	size_t sent;
	struct berr err; /* why it ended (code 0: cleanly), repeated by later polls */
	struct http_parser p;
};

int http_stream_open(const char *url, const char *body, size_t len, int connect_timeout_ms, struct http_stream **ret,
		     struct berr *e)
{
	struct http_stream *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return berr_oom(e);
	s->fd = -1;
	s->connect_ms = connect_timeout_ms > 0 ? connect_timeout_ms : CONNECT_MS;
	http_parser_init(&s->p, UINT64_MAX);
	r = http_url_parse(url, &s->u, e);
	if (r == 0 && request_build(&s->req, &s->u, body, len) < 0)
		r = berr_oom(e);
	if (r < 0) {
		http_stream_close(s);
		return r;
	}
	*ret = s;
	return 0;
}

void http_stream_close(struct http_stream *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	if (s->ai)
		freeaddrinfo(s->ai);
	bbuf_free(&s->req);
	free(s);
}

int http_stream_status(const struct http_stream *s)
{
	return http_parser_have_head(&s->p) ? s->p.status : 0;
}

/* The stream is over (code 0: cleanly; else s->err says why); every later poll returns the same. */
static int stream_end(struct http_stream *s, int code)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->st = ST_END;
	s->err.code = code;
	return code < 0 ? code : HTTP_STREAM_END;
}

/* Start connecting to the next address; past the last one, the stream failed. */
static int stream_connect_next(struct http_stream *s)
{
	while (s->next) {
		const struct addrinfo *a = s->next;
		int r;

		s->next = a->ai_next;
		r = sock_connect(a, true, &s->fd);
		if (r == 0) {
			s->st = ST_CONNECT;
			return 0;
		}
		s->last_err = r;
	}
	return stream_end(s, berr_sys(&s->err, s->last_err, "connecting to %s", s->u.authority));
}

static int stream_start(struct http_stream *s)
{
	int r = resolve(&s->u, &s->ai, &s->err);

	if (r < 0)
		return stream_end(s, r);
	s->next = s->ai;
	s->last_err = -EHOSTUNREACH;
	s->connect_by = bclock_now_ms() + s->connect_ms;
	return stream_connect_next(s);
}

/* Read what is there (a bounded amount: the owner's timers run between polls) and feed it to the parser. */
static int stream_read(struct http_stream *s, http_body_fn fn, void *arg)
{
	char buf[READ_SIZE];

	for (int i = 0; i < 16; i++) {
		ssize_t n = recv(s->fd, buf, sizeof(buf), 0);
		struct berr pe = BERR_INIT;
		int r;

		if (n > 0) {
			r = http_parser_feed(&s->p, buf, (size_t)n, NULL, fn, arg, &s->err);
			if (r < 0)
				return stream_end(s, r);
			if (http_parser_done(&s->p))
				return stream_end(s, 0);
		} else if (n == 0) {
			if (http_parser_eof(&s->p, &pe) < 0)
				return stream_end(s, berr_set(&s->err, -ECONNRESET, "%s", berr_message(&pe)));
			return stream_end(s, 0);
		} else if (errno == EAGAIN) {
			return 0;
		} else if (errno != EINTR) {
			return stream_end(s,
					  berr_sys(&s->err, conn_errno(-errno), "receiving from %s", s->u.authority));
		}
	}
	return 0;
}

/* Move the request on after poll said what the socket is ready for. */
static int stream_advance(struct http_stream *s, short revents, http_body_fn fn, void *arg)
{
	int r;

	if (s->st == ST_CONNECT) {
		if (!revents) {
			if (bclock_now_ms() < s->connect_by)
				return 0;
			return stream_end(s, berr_set(&s->err, -ETIMEDOUT, "connecting to %s: no answer within %d ms",
						      s->u.authority, s->connect_ms));
		}
		r = sock_connected(s->fd);
		if (r < 0) {
			close(s->fd);
			s->fd = -1;
			s->last_err = r;
			return stream_connect_next(s);
		}
		s->st = ST_SEND;
	}
	if (s->st == ST_SEND) {
		r = send_some(s->fd, &s->req, &s->sent);
		if (r == -EAGAIN)
			return 0;
		if (r < 0)
			return stream_end(s, berr_sys(&s->err, r, "sending to %s", s->u.authority));
		s->st = ST_RECV;
		bbuf_free(&s->req);
		return 0;
	}
	if (s->st == ST_RECV && revents)
		return stream_read(s, fn, arg);
	return 0;
}

int http_stream_poll(struct http_stream *s, int timeout_ms, int wake_fd, http_body_fn fn, void *arg, struct berr *e)
{
	struct pollfd pfd[2] = {{.fd = -1}, {.fd = wake_fd, .events = POLLIN}};
	int r;

	if (s->st == ST_START)
		stream_start(s);
	if (s->st != ST_END) {
		pfd[0].fd = s->fd;
		pfd[0].events = s->st == ST_RECV ? POLLIN : POLLOUT;
		if (s->st == ST_CONNECT) {
			long long left = s->connect_by - bclock_now_ms();

			if (timeout_ms < 0 || left < timeout_ms)
				timeout_ms = left > 0 ? (int)left : 0;
		}
		r = poll(pfd, wake_fd >= 0 ? 2 : 1, timeout_ms);
		if (r < 0 && errno != EINTR)
			return berr_errno(e, "HTTP stream: poll");
		stream_advance(s, r > 0 ? pfd[0].revents : 0, fn, arg);
	}
	if (s->st != ST_END)
		return 0;
	if (s->err.code == 0)
		return HTTP_STREAM_END;
	if (e)
		*e = s->err;
	return s->err.code;
}
