/* netd's [::1] proxy: listeners per published port, and a worker thread relaying TCP and UDP to containers. */
#include "netd/daemon/proxy6.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

#define RELAY_BUF 16384
#define MAX_RELAYS 1024	      /* TCP connections and UDP sessions at once */
#define UDP_IDLE_SECONDS 60   /* a UDP session without traffic for this long is closed */
#define WAKE_INTERVAL_MS 5000 /* how often idle sessions are looked for */

enum kind { K_WAKE, K_LISTEN, K_SIDE, K_SESSION };

struct session;

struct listener {
	enum kind kind; /* K_LISTEN; first, as in every object epoll points at */
	int fd;
	enum bproto proto;
	uint16_t port;
	struct sockaddr_in6 dest;
	char network[ENG_NAME_MAX + 1], id[ENG_ID_MAX + 1], ifname[16];
	struct session *sessions;
	bool dead;
	struct listener *next;
};

struct conn;

/* One end of a TCP relay: what it read waits in buf for the other end. */
struct side {
	enum kind kind; /* K_SIDE */
	int fd;
	struct conn *c;
	char buf[RELAY_BUF];
	size_t len, off;
	bool eof;	 /* read 0: after buf is written out, the other end is shut for writing */
	bool shut;	 /* the other end was shut for writing */
	bool connecting; /* the container's end, until its connect completes */
};

struct conn {
	struct side client, server;
	struct conn *next_dead;
};

struct session {
	enum kind kind; /* K_SESSION */
	int fd;		/* connected to the container */
	struct sockaddr_in6 peer;
	struct listener *l;
	time_t last;
	struct session *next;
};

struct proxy6 {
	pthread_t thread;
	pthread_mutex_t lock;
	int ep;	     /* epoll */
	int wake_fd; /* eventfd: stop */
	enum kind wake_kind;
	bool stop;
	struct listener *listeners;
	/* closed while the worker may hold an event of theirs: freed after its batch */
	struct listener *graveyard;
	struct conn *dead_conns;
	size_t n_relays;
};

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* ------------------------------------------------------------------ TCP */

/* Close both ends; the memory goes after the worker's batch (the other end's event may be in it). */
static void conn_free(struct proxy6 *p, struct conn *c)
{
	close_fd(c->client.fd);
	close_fd(c->server.fd);
	c->client.fd = c->server.fd = -1;
	c->next_dead = p->dead_conns;
	p->dead_conns = c;
	p->n_relays--;
}

/* Epoll interest of one end: read while its buffer is empty, write while the other's holds data. */
static int side_events(const struct side *s, const struct side *other)
{
	int ev = 0;

	if (s->connecting)
		return EPOLLOUT;
	if (!s->eof && s->len == 0)
		ev |= EPOLLIN;
	if (other->len > other->off)
		ev |= EPOLLOUT;
	return ev;
}

static int conn_rearm(struct proxy6 *p, struct conn *c)
{
	struct epoll_event a = {.events = (uint32_t)side_events(&c->client, &c->server), .data.ptr = &c->client};
	struct epoll_event b = {.events = (uint32_t)side_events(&c->server, &c->client), .data.ptr = &c->server};

	if (epoll_ctl(p->ep, EPOLL_CTL_MOD, c->client.fd, &a) < 0 ||
	    epoll_ctl(p->ep, EPOLL_CTL_MOD, c->server.fd, &b) < 0)
		return -errno;
	return 0;
}

/* Move what can be moved between the two ends; -1 when the relay is over. */
static int conn_pump(struct side *from, struct side *to)
{
	for (;;) {
		if (from->len > from->off) {
			ssize_t n = send(to->fd, from->buf + from->off, from->len - from->off, MSG_NOSIGNAL);

			if (n < 0)
				return errno == EAGAIN || errno == EINTR ? 0 : -1;
			from->off += (size_t)n;
			if (from->off < from->len)
				return 0;
			from->off = from->len = 0;
		}
		if (from->eof) {
			if (!from->shut) {
				shutdown(to->fd, SHUT_WR);
				from->shut = true;
			}
			return 0;
		}
		{
			ssize_t n = recv(from->fd, from->buf, sizeof(from->buf), 0);

			if (n < 0)
				return errno == EAGAIN || errno == EINTR ? 0 : -1;
			if (n == 0)
				from->eof = true;
			else
				from->len = (size_t)n;
		}
	}
}

static void conn_event(struct proxy6 *p, struct side *s)
{
	struct conn *c = s->c;

	if (c->server.connecting) {
		int err = 0;
		socklen_t l = sizeof(err);

		if (s != &c->server || getsockopt(c->server.fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0 || err) {
			if (s == &c->server) {
				conn_free(p, c);
				return;
			}
		} else {
			c->server.connecting = false;
		}
	}
	if (!c->server.connecting && (conn_pump(&c->client, &c->server) < 0 || conn_pump(&c->server, &c->client) < 0)) {
		conn_free(p, c);
		return;
	}
	if ((c->client.shut && c->server.shut) || conn_rearm(p, c) < 0)
		conn_free(p, c);
}

static void tcp_accept(struct proxy6 *p, struct listener *l)
{
	for (;;) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;
		struct epoll_event ev;
		int r;

		if (fd < 0)
			return;
		if (p->n_relays >= MAX_RELAYS || !(c = calloc(1, sizeof(*c)))) {
			close(fd);
			continue;
		}
		p->n_relays++;
		c->client = (struct side){.kind = K_SIDE, .fd = fd, .c = c};
		c->server = (struct side){.kind = K_SIDE, .fd = -1, .c = c, .connecting = true};
		c->server.fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		r = c->server.fd < 0 ? -1 : connect(c->server.fd, (struct sockaddr *)&l->dest, sizeof(l->dest));
		if (c->server.fd < 0 || (r < 0 && errno != EINPROGRESS)) {
			conn_free(p, c);
			continue;
		}
		ev = (struct epoll_event){.events = 0, .data.ptr = &c->client};
		if (epoll_ctl(p->ep, EPOLL_CTL_ADD, c->client.fd, &ev) < 0) {
			conn_free(p, c);
			continue;
		}
		ev = (struct epoll_event){.events = EPOLLOUT, .data.ptr = &c->server};
		if (epoll_ctl(p->ep, EPOLL_CTL_ADD, c->server.fd, &ev) < 0) {
			conn_free(p, c);
			continue;
		}
	}
}

/* ------------------------------------------------------------------ UDP */

/* Only the worker frees sessions, outside of a batch or for a session no event can name yet. */
static void session_free(struct proxy6 *p, struct session *s)
{
	struct session **pp = &s->l->sessions;

	while (*pp && *pp != s)
		pp = &(*pp)->next;
	if (*pp)
		*pp = s->next;
	close_fd(s->fd);
	free(s);
	p->n_relays--;
}

static struct session *session_for(struct proxy6 *p, struct listener *l, const struct sockaddr_in6 *peer)
{
	struct session *s;
	struct epoll_event ev;

	for (s = l->sessions; s; s = s->next)
		if (memcmp(&s->peer.sin6_addr, &peer->sin6_addr, 16) == 0 && s->peer.sin6_port == peer->sin6_port)
			return s;
	if (p->n_relays >= MAX_RELAYS || !(s = calloc(1, sizeof(*s))))
		return NULL;
	p->n_relays++;
	s->kind = K_SESSION;
	s->l = l;
	s->peer = *peer;
	s->fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	s->next = l->sessions;
	l->sessions = s;
	ev = (struct epoll_event){.events = EPOLLIN, .data.ptr = s};
	if (s->fd < 0 || connect(s->fd, (struct sockaddr *)&l->dest, sizeof(l->dest)) < 0 ||
	    epoll_ctl(p->ep, EPOLL_CTL_ADD, s->fd, &ev) < 0) {
		session_free(p, s);
		return NULL;
	}
	return s;
}

static void udp_from_client(struct proxy6 *p, struct listener *l)
{
	static char buf[65536];

	for (;;) {
		struct sockaddr_in6 peer;
		socklen_t pl = sizeof(peer);
		ssize_t n = recvfrom(l->fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &pl);
		struct session *s;

		if (n < 0)
			return;
		s = session_for(p, l, &peer);
		if (!s)
			continue;
		s->last = time(NULL);
		(void)send(s->fd, buf, (size_t)n, 0);
	}
}

static void udp_from_container(struct session *s)
{
	static char buf[65536];

	for (;;) {
		ssize_t n = recv(s->fd, buf, sizeof(buf), 0);

		if (n < 0)
			return;
		s->last = time(NULL);
		(void)sendto(s->l->fd, buf, (size_t)n, 0, (struct sockaddr *)&s->peer, sizeof(s->peer));
	}
}

static void expire_sessions(struct proxy6 *p)
{
	time_t now = time(NULL);

	for (struct listener *l = p->listeners; l; l = l->next) {
		struct session *s = l->sessions, *next;

		for (; s; s = next) {
			next = s->next;
			if (now - s->last > UDP_IDLE_SECONDS)
				session_free(p, s);
		}
	}
}

/* ------------------------------------------------------------------ worker */

static void listener_free(struct proxy6 *p, struct listener *l)
{
	while (l->sessions)
		session_free(p, l->sessions);
	close_fd(l->fd);
	free(l);
}

/* What was closed during a batch (or while the worker waited), freed once no event can name it. */
static void free_dead(struct proxy6 *p)
{
	while (p->graveyard) {
		struct listener *l = p->graveyard;

		p->graveyard = l->next;
		listener_free(p, l);
	}
	while (p->dead_conns) {
		struct conn *c = p->dead_conns;

		p->dead_conns = c->next_dead;
		free(c);
	}
}

static void *worker(void *arg)
{
	struct proxy6 *p = arg;
	struct epoll_event evs[64];
	time_t swept = time(NULL);

	for (;;) {
		int n = epoll_wait(p->ep, evs, (int)ARRAY_SIZE(evs), WAKE_INTERVAL_MS);

		pthread_mutex_lock(&p->lock);
		if (p->stop) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			enum kind *k = evs[i].data.ptr;

			switch (*k) {
			case K_LISTEN: {
				struct listener *l = (struct listener *)k;

				if (l->dead)
					break;
				if (l->proto == BPROTO_UDP)
					udp_from_client(p, l);
				else
					tcp_accept(p, l);
				break;
			}
			case K_SIDE:
				/* a relay freed earlier in this batch has its other end's event here too */
				if (((struct side *)k)->fd >= 0)
					conn_event(p, (struct side *)k);
				break;
			case K_SESSION:
				if (((struct session *)k)->fd >= 0)
					udp_from_container((struct session *)k);
				break;
			case K_WAKE:
				break;
			}
		}
		free_dead(p);
		if (time(NULL) - swept >= WAKE_INTERVAL_MS / 1000) {
			expire_sessions(p);
			swept = time(NULL);
		}
		pthread_mutex_unlock(&p->lock);
	}
}

int proxy6_start(struct proxy6 **ret, struct berr *e)
{
	struct proxy6 *p = calloc(1, sizeof(*p));
	struct epoll_event ev;
	int r;

	if (!p)
		return berr_oom(e);
	pthread_mutex_init(&p->lock, NULL);
	p->wake_kind = K_WAKE;
	p->ep = epoll_create1(EPOLL_CLOEXEC);
	p->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ev = (struct epoll_event){.events = EPOLLIN, .data.ptr = &p->wake_kind};
	if (p->ep < 0 || p->wake_fd < 0 || epoll_ctl(p->ep, EPOLL_CTL_ADD, p->wake_fd, &ev) < 0) {
		r = berr_errno(e, "[::1] proxy");
		goto fail;
	}
	r = -pthread_create(&p->thread, NULL, worker, p);
	if (r < 0) {
		berr_sys(e, r, "[::1] proxy thread");
		goto fail;
	}
	*ret = p;
	return 0;
fail:
	close_fd(p->ep);
	close_fd(p->wake_fd);
	pthread_mutex_destroy(&p->lock);
	free(p);
	return r;
}

void proxy6_stop(struct proxy6 *p)
{
	uint64_t one = 1;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_mutex_unlock(&p->lock);
	if (write(p->wake_fd, &one, sizeof(one)) < 0) {
		/* the worker still wakes within WAKE_INTERVAL_MS */
	}
	pthread_join(p->thread, NULL);
	while (p->listeners) {
		struct listener *l = p->listeners;

		p->listeners = l->next;
		listener_free(p, l);
	}
	free_dead(p);
	/* relays still open close with the process (their fds are O_CLOEXEC and netd is exiting) */
	close_fd(p->ep);
	close_fd(p->wake_fd);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* ------------------------------------------------------------------ the set of listeners */

/* A spec of ep's that covers [::1]: on every IPv6 address, or on ::1 itself. */
static bool covers_loopback6(const struct bportspec *s)
{
	struct in6_addr lo = IN6ADDR_LOOPBACK_INIT;

	if (s->host_v6)
		return baddr_zero6(&s->host_ip6) || baddr_eq6(&s->host_ip6, &lo);
	return s->host_ip == 0;
}

static int open_listener(struct listener *l)
{
	struct sockaddr_in6 sa = {
		.sin6_family = AF_INET6, .sin6_port = htons(l->port), .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	int one = 1, fd;

	fd = socket(AF_INET6, (l->proto == BPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || (l->proto == BPROTO_TCP && listen(fd, 128) < 0)) {
		int r = -errno;

		close(fd);
		return r;
	}
	l->fd = fd;
	return 0;
}

static void add_locked(struct proxy6 *p, const struct eng_endpoint *ep)
{
	if (!ep->prefix6 || ep->state != ENG_EP_COMPLETE)
		return;
	for (size_t i = 0; i < ep->n_ports; i++) {
		const struct bportspec *s = &ep->ports[i];

		if (!covers_loopback6(s))
			continue;
		for (unsigned hp = s->host_port, j = 0; hp <= s->host_port_end; hp++, j++) {
			struct listener *l = calloc(1, sizeof(*l));
			struct epoll_event ev;
			int r;

			if (!l)
				return;
			l->kind = K_LISTEN;
			l->fd = -1;
			l->proto = s->proto;
			l->port = (uint16_t)hp;
			l->dest.sin6_family = AF_INET6;
			l->dest.sin6_addr = ep->ip6;
			l->dest.sin6_port =
				htons((uint16_t)(s->container_port_end != s->container_port ? s->container_port + j
											    : s->container_port));
			snprintf(l->network, sizeof(l->network), "%s", ep->network);
			snprintf(l->id, sizeof(l->id), "%s", ep->id);
			snprintf(l->ifname, sizeof(l->ifname), "%s", ep->ifname);
			r = open_listener(l);
			ev = (struct epoll_event){.events = EPOLLIN, .data.ptr = l};
			if (r < 0 || epoll_ctl(p->ep, EPOLL_CTL_ADD, l->fd, &ev) < 0) {
				log_warn("published port %s/%u of %s: not answering on [::1]: %s",
					 bproto_name(s->proto), hp, ep->id, strerror(r < 0 ? -r : errno));
				listener_free(p, l);
				continue;
			}
			l->next = p->listeners;
			p->listeners = l;
		}
	}
}

/* Remove (into the graveyard) the listeners remove() picks. */
static void remove_locked(struct proxy6 *p, const char *network, const char *id, const char *ifname)
{
	struct listener **pp = &p->listeners;

	while (*pp) {
		struct listener *l = *pp;

		if ((!id || strcmp(l->id, id) == 0) && (!network || strcmp(l->network, network) == 0) &&
		    (!ifname || strcmp(l->ifname, ifname) == 0)) {
			*pp = l->next;
			/* sockets now, memory after the worker's batch */
			for (struct session *s = l->sessions; s; s = s->next) {
				close_fd(s->fd);
				s->fd = -1;
			}
			close_fd(l->fd);
			l->fd = -1;
			l->dead = true;
			l->next = p->graveyard;
			p->graveyard = l;
			continue;
		}
		pp = &l->next;
	}
}

void proxy6_add(struct proxy6 *p, const struct eng_endpoint *ep)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	add_locked(p, ep);
	pthread_mutex_unlock(&p->lock);
}

void proxy6_remove(struct proxy6 *p, const char *network, const char *id, const char *ifname)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	remove_locked(p, network, id, ifname);
	pthread_mutex_unlock(&p->lock);
}

void proxy6_sync(struct proxy6 *p, const struct eng_endpoint *eps, size_t n)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	remove_locked(p, NULL, NULL, NULL);
	for (size_t i = 0; i < n; i++)
		add_locked(p, &eps[i]);
	pthread_mutex_unlock(&p->lock);
}

size_t proxy6_count(struct proxy6 *p)
{
	size_t n = 0;

	if (!p)
		return 0;
	pthread_mutex_lock(&p->lock);
	for (struct listener *l = p->listeners; l; l = l->next)
		n++;
	pthread_mutex_unlock(&p->lock);
	return n;
}
