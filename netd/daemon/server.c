/* netd's socket server: the epoll loop, the clients' buffers, request lines in and replies out. */
#include "netd/daemon/server.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cleanup.h"
#include "clock.h"
#include "fdpass.h"
#include "log.h"

#define READ_CHUNK 65536
#define MAX_PENDING_FDS 4
#define MAX_OUTBUF (8 * 1024 * 1024)
/* When every slot is taken, a connection silent this long may make room for a waiting one. */
#define EVICT_SILENT_MS 250
/*
 * epoll data carries ids, not pointers: a client freed earlier in a batch
 * (evicted to make room) may have its memory reused at once by the client
 * that took its slot, and the stale event must not reach the newcomer.
 */
#define LISTEN_TAG 1
#define SIGNAL_TAG 2
#define FIRST_CLIENT_ID 16

struct client {
	uint64_t id; /* unique for the server's lifetime: never reused */
	int fd;
	uid_t uid;
	pid_t pid;
	struct bbuf in;
	struct bbuf out;
	size_t out_off; /* the bytes of out already sent */
	struct {
		size_t pos; /* offset in `in` where the bytes carrying it began */
		int fd;
	} fds[MAX_PENDING_FDS];
	int n_fds;
	long long deadline_ms;
	bool closing; /* stop reading; close once out is flushed */
	bool want_out;
	struct client *next;
};

struct srv {
	struct srv_opts o;
	char *path;
	int lfd, epfd;
	srv_handler_fn fn;
	void *arg;
	struct client *clients;
	uint64_t next_id;
	unsigned n_clients;
	bool accept_paused;	   /* full: newcomers wait in the listen backlog */
	long long accept_retry_ms; /* when paused: when the silentest client becomes evictable */
	bool stop;
};

int srv_open(const struct srv_opts *o, srv_handler_fn fn, void *arg, struct srv **ret, struct berr *e)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct epoll_event ev = {.events = EPOLLIN};
	struct srv *s;
	mode_t old;
	int r;

	if (strlen(o->path) >= sizeof(sa.sun_path))
		return berr_set(e, -ENAMETOOLONG, "socket path too long: %s", o->path);
	s = calloc(1, sizeof(*s));
	if (!s)
		return berr_oom(e);
	s->o = *o;
	s->fn = fn;
	s->arg = arg;
	s->lfd = s->epfd = -1;
	s->next_id = FIRST_CLIENT_ID;
	s->path = strdup(o->path);
	if (!s->path) {
		free(s);
		return berr_oom(e);
	}
	strcpy(sa.sun_path, o->path);
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->lfd < 0) {
		r = berr_errno(e, "socket");
		goto fail;
	}
	/* The caller made sure no other netd owns this path (pidfile lock): a leftover is stale. */
	unlink(o->path);
	/* Born 0600: there is no window in which others could connect. */
	old = umask(0177);
	r = bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0) {
		r = berr_errno(e, "bind %s", o->path);
		goto fail;
	}
	if (chmod(o->path, 0600) < 0 || listen(s->lfd, 128) < 0) {
		r = berr_errno(e, "listen on %s", o->path);
		goto fail;
	}
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0) {
		r = berr_errno(e, "epoll");
		goto fail;
	}
	ev.data.u64 = LISTEN_TAG;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &ev) < 0) {
		r = berr_errno(e, "epoll_ctl");
		goto fail;
	}
	if (o->signal_fd >= 0) {
		ev.data.u64 = SIGNAL_TAG;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, o->signal_fd, &ev) < 0) {
			r = berr_errno(e, "epoll_ctl");
			goto fail;
		}
	}
	*ret = s;
	return 0;
fail:
	srv_close(s);
	return r;
}

static void listen_events(struct srv *s, bool on)
{
	struct epoll_event ev = {.events = on ? EPOLLIN : 0, .data.u64 = LISTEN_TAG};

	epoll_ctl(s->epfd, EPOLL_CTL_MOD, s->lfd, &ev);
}

static void resume_accept(struct srv *s)
{
	if (s->accept_paused && s->n_clients < s->o.max_clients) {
		s->accept_paused = false;
		listen_events(s, true);
	}
}

static void client_free(struct srv *s, struct client *c)
{
	struct client **pp;

	for (pp = &s->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	for (int i = 0; i < c->n_fds; i++)
		close(c->fds[i].fd);
	bbuf_free(&c->in);
	bbuf_free(&c->out);
	free(c);
	s->n_clients--;
	resume_accept(s);
}

void srv_close(struct srv *s)
{
	if (!s)
		return;
	while (s->clients)
		client_free(s, s->clients);
	if (s->lfd >= 0) {
		close(s->lfd);
		unlink(s->path);
	}
	if (s->epfd >= 0)
		close(s->epfd);
	free(s->path);
	free(s);
}

static struct client *client_find(struct srv *s, uint64_t id)
{
	for (struct client *c = s->clients; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

static void update_events(struct srv *s, struct client *c)
{
	struct epoll_event ev = {.data.u64 = c->id};
	bool want_out = c->out.len > c->out_off;

	ev.events = (c->closing ? 0 : EPOLLIN) | (want_out ? EPOLLOUT : 0);
	epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev);
	c->want_out = want_out;
}

/* Write what we can; returns false when the client is gone. */
static bool flush_out(struct client *c)
{
	while (c->out_off < c->out.len) {
		ssize_t n = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return true;
			return false;
		}
		c->out_off += (size_t)n;
	}
	c->out_off = c->out.len = 0;
	return true;
}

static bool queue_reply(struct client *c, json_t *rep)
{
	char *line = rep ? json_dumps(rep, JSON_COMPACT) : NULL;
	size_t len;

	json_decref(rep);
	if (!line)
		line = strdup(
			"{\"ok\":false,\"error\":{\"code\":\"ENOMEM\",\"errno\":12,\"message\":\"out of memory\"}}");
	if (!line)
		return false;
	len = strlen(line);
	if (c->out.len > c->out_off && c->out.len + len + 1 > MAX_OUTBUF) {
		/* a client that sends requests but never reads replies (one reply alone may be bigger: a listing) */
		free(line);
		return false;
	}
	/* room first: the line goes in whole or not at all */
	if (bbuf_reserve(&c->out, len + 1) < 0) {
		free(line);
		return false;
	}
	bbuf_append(&c->out, line, len);
	bbuf_append(&c->out, "\n", 1);
	free(line);
	return true;
}

static json_t *error_reply(int code, const char *msg)
{
	json_t *o = json_pack("{s:b,s:{s:s,s:i,s:s}}", "ok", 0, "error", "code", berr_errno_name(-code), "errno", code,
			      "message", msg);
	return o;
}

/*
 * Every slot is taken and someone waits in the backlog. Refusing newcomers
 * would let clients that connect and hold (or hold half a line) lock out
 * everyone until client_timeout_ms; dropping the newest would drop requests
 * not read yet. So the connection silent the longest goes, once it has been
 * silent EVICT_SILENT_MS; until then newcomers wait in the backlog (the
 * listening socket is left alone so the loop does not spin on it).
 */
static bool make_room(struct srv *s)
{
	struct client *old = NULL;
	long long now = bclock_now_ms();

	for (struct client *c = s->clients; c; c = c->next)
		if (!old || c->deadline_ms < old->deadline_ms)
			old = c;
	if (old && now - (old->deadline_ms - s->o.client_timeout_ms) >= EVICT_SILENT_MS) {
		log_info("%u connections open: dropping client pid %d, silent the longest%s", s->n_clients,
			 (int)old->pid, old->in.len ? " with a partial request" : "");
		client_free(s, old);
		return true;
	}
	if (!s->accept_paused) {
		s->accept_paused = true;
		listen_events(s, false);
	}
	s->accept_retry_ms = old ? old->deadline_ms - s->o.client_timeout_ms + EVICT_SILENT_MS : now;
	return false;
}

static void accept_clients(struct srv *s)
{
	for (;;) {
		struct epoll_event ev = {.events = EPOLLIN};
		struct ucred cred;
		socklen_t cl = sizeof(cred);
		struct client *c;
		int fd;

		if (s->n_clients >= s->o.max_clients && !make_room(s))
			return;
		fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("accept: %s", strerror(errno));
			return;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->id = s->next_id++;
		c->fd = fd;
		c->deadline_ms = bclock_now_ms() + s->o.client_timeout_ms;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0) {
			cred.uid = (uid_t)-1;
			cred.pid = 0;
		}
		c->uid = cred.uid;
		c->pid = cred.pid;
		ev.data.u64 = c->id;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = s->clients;
		s->clients = c;
		s->n_clients++;
		if (c->uid != 0) {
			/* The socket is 0600, but the check must not depend on file modes alone. */
			log_warn("refusing client pid %d: uid %u is not root", (int)c->pid, (unsigned)c->uid);
			queue_reply(c, error_reply(EPERM, "permission denied: netd serves root only"));
			c->closing = true;
			if (!flush_out(c) || c->out.len == 0) {
				client_free(s, c);
				continue;
			}
			update_events(s, c);
		}
	}
}

/* Handle every complete line in the input buffer. Returns false when the client must go. */
static bool process_lines(struct srv *s, struct client *c)
{
	size_t start = 0;

	while (!c->closing) {
		char *nl = memchr(c->in.p + start, '\n', c->in.len - start);
		size_t end;
		int fd = -1;
		json_t *rep;

		if (!nl)
			break;
		end = (size_t)(nl - c->in.p);
		/* the fd that rode on this line's bytes; any extra ones are closed */
		for (int i = 0; i < c->n_fds;) {
			if (c->fds[i].pos <= end) {
				if (fd < 0)
					fd = c->fds[i].fd;
				else
					close(c->fds[i].fd);
				memmove(&c->fds[i], &c->fds[i + 1], (size_t)(c->n_fds - i - 1) * sizeof(c->fds[0]));
				c->n_fds--;
			} else {
				i++;
			}
		}
		if (end - start > s->o.max_line) {
			rep = error_reply(EMSGSIZE, "request line too long");
			c->closing = true;
		} else {
			long long t0 = bclock_now_ms();

			rep = s->fn(s->arg, c->in.p + start, end - start, fd);
			log_debug("request from pid %d handled in %lld ms", (int)c->pid, bclock_now_ms() - t0);
		}
		if (fd >= 0)
			close(fd);
		if (!queue_reply(c, rep))
			return false;
		start = end + 1;
	}
	if (start > 0) {
		memmove(c->in.p, c->in.p + start, c->in.len - start + 1);
		c->in.len -= start;
		for (int i = 0; i < c->n_fds; i++)
			c->fds[i].pos = c->fds[i].pos > start ? c->fds[i].pos - start : 0;
	}
	if (!c->closing && c->in.len > s->o.max_line) {
		queue_reply(c, error_reply(EMSGSIZE, "request line too long"));
		c->closing = true;
	}
	return true;
}

static bool read_client(struct srv *s, struct client *c)
{
	ssize_t n;
	int fd = -1;

	/* bbuf_read_once cannot take the passed fd: recvmsg into the room reserved */
	if (bbuf_reserve(&c->in, READ_CHUNK) < 0)
		return false;
	n = bfd_recv(c->fd, c->in.p + c->in.len, READ_CHUNK, &fd);
	if (n == -EAGAIN || n == -EINTR)
		return true;
	if (n == 0) {
		/* the peer finished sending (maybe a half-close): replies still go out */
		c->closing = true;
		return true;
	}
	if (n < 0) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	if (fd >= 0) {
		if (c->n_fds == MAX_PENDING_FDS) {
			close(fd);
			queue_reply(c, error_reply(EINVAL, "too many file descriptors passed"));
			c->closing = true;
			return true;
		}
		c->fds[c->n_fds].pos = c->in.len;
		c->fds[c->n_fds].fd = fd;
		c->n_fds++;
	}
	c->in.len += (size_t)n;
	c->in.p[c->in.len] = '\0';
	c->deadline_ms = bclock_now_ms() + s->o.client_timeout_ms;
	return process_lines(s, c);
}

static int next_timeout(struct srv *s)
{
	long long now = bclock_now_ms(), best = -1;

	if (s->accept_paused)
		best = s->accept_retry_ms > now ? s->accept_retry_ms - now : 0;

	for (struct client *c = s->clients; c; c = c->next) {
		long long left = c->deadline_ms - now;

		if (left < 0)
			left = 0;
		if (best < 0 || left < best)
			best = left;
	}
	return best < 0 ? -1 : (int)(best > 60000 ? 60000 : best);
}

static void expire_clients(struct srv *s)
{
	long long now = bclock_now_ms();
	struct client *c = s->clients, *next;

	for (; c; c = next) {
		next = c->next;
		if (c->deadline_ms <= now) {
			log_info("dropping client pid %d: silent for %d ms%s", (int)c->pid, s->o.client_timeout_ms,
				 c->in.len ? " with a partial request" : "");
			client_free(s, c);
		}
	}
}

static void read_signal(struct srv *s)
{
	struct signalfd_siginfo si;

	while (read(s->o.signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			log_info("signal %u: stopping", si.ssi_signo);
			s->stop = true;
		}
	}
}

int srv_run(struct srv *s, struct berr *e)
{
	struct epoll_event evs[64];

	while (!s->stop) {
		int n = epoll_wait(s->epfd, evs, (int)ARRAY_SIZE(evs), next_timeout(s));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return berr_errno(e, "epoll_wait");
		}
		for (int i = 0; i < n; i++) {
			struct client *c;
			bool ok = true;

			if (evs[i].data.u64 == LISTEN_TAG) {
				accept_clients(s);
				continue;
			}
			if (evs[i].data.u64 == SIGNAL_TAG) {
				read_signal(s);
				continue;
			}
			/* the client may have been freed earlier in this batch */
			c = client_find(s, evs[i].data.u64);
			if (!c)
				continue;
			if ((evs[i].events & EPOLLIN) && !c->closing)
				ok = read_client(s, c);
			else if (evs[i].events & (EPOLLHUP | EPOLLERR))
				ok = false;
			if (ok)
				ok = flush_out(c);
			if (ok && c->closing && c->out.len == 0)
				ok = false;
			if (!ok) {
				client_free(s, c);
				continue;
			}
			if (c->want_out != (c->out.len > c->out_off) || c->closing)
				update_events(s, c);
		}
		expire_clients(s);
		if (s->accept_paused && bclock_now_ms() >= s->accept_retry_ms) {
			/* a slot may be made now: look at the backlog again */
			s->accept_paused = false;
			listen_events(s, true);
		}
	}
	return 0;
}
