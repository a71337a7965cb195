/* netd's DNS server: its thread and epoll loop, the sockets on each network's gateway, UDP and TCP clients. */
#include "netd/daemon/dns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "cleanup.h"
#include "clock.h"
#include "jsonutil.h"
#include "log.h"
#include "netd/daemon/dns_int.h"

#define TICK_MS 1000
#define UDP_BATCH 64
#define UDP_MAX 4096 /* a larger query is not one */
#define MAX_CONNS 256
#define CONN_IDLE_MS 10000
#define CONN_MAX_OUT (256 * 1024)
#define BIND_RETRY_MIN_MS 10

/* A network the server answers on. */
struct dnet {
	uint64_t id; /* never reused: stale events and late answers find nothing */
	char name[ENG_NAME_MAX + 1];
	char bridge[16];
	struct bcidr4 subnet;
	uint32_t gw; /* 0: no IPv4 (an IPv6-only network) */
	struct bcidr6 subnet6;
	struct in6_addr gw6; /* ::: no IPv6 */
	bool internal;
	int ifindex;		  /* of the bridge the sockets are bound to; 0: not bound */
	int udp, tcp, udp6, tcp6; /* -1: none (not bound, or not that family) */
	long long retry_at;	  /* not bound: when to try again */
	int retry_ms;
	bool warned;
	struct dnet *next;
};

/* A client's TCP connection. */
struct conn {
	uint64_t id;
	int fd;
	uint64_t net;
	union dns_peer peer;
	uint8_t in[2 + 65535];
	size_t in_len;
	struct bbuf out;
	size_t out_off;
	unsigned pending; /* forwarded queries whose answer has not come */
	bool eof;
	bool dead; /* done with: freed by the loop, never under a caller's feet */
	long long deadline;
	struct conn *next;
};

struct dns {
	char *state_dir, *domain, *resolv_conf;
	unsigned ttl, port;
	int timeout_ms;
	pthread_t thread;
	bool running;
	atomic_bool stop;
	int epfd, wake;
	pthread_mutex_t lock; /* the index */
	struct names *nx;
	struct dns_watch *watch;
	struct dns_fwd *fwd;
	int advert; /* the lock on <state_dir>/dns.json (names_advertise) */
	struct dnet *nets;
	uint64_t next_net;
	struct conn *conns;
	uint64_t next_conn;
	unsigned n_conns;
	long long next_tick;
	void (*changed)(void *arg); /* dns_on_local_change, under lock */
	void *changed_arg;
};

static void conn_free(struct dns *d, struct conn *c);

/* ------------------------------------------------------------------ networks */

static struct dnet *net_by_id(struct dns *d, uint64_t id)
{
	for (struct dnet *n = d->nets; n; n = n->next)
		if (n->id == id)
			return n;
	return NULL;
}

static struct dnet *net_by_name(struct dns *d, const char *name)
{
	for (struct dnet *n = d->nets; n; n = n->next)
		if (strcmp(n->name, name) == 0)
			return n;
	return NULL;
}

static void sock_close(struct dns *d, int *fd)
{
	if (*fd >= 0) {
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, *fd, NULL);
		close(*fd);
	}
	*fd = -1;
}

static void net_unbind(struct dns *d, struct dnet *n)
{
	sock_close(d, &n->udp);
	sock_close(d, &n->tcp);
	sock_close(d, &n->udp6);
	sock_close(d, &n->tcp6);
	n->ifindex = 0;
	n->retry_at = bclock_now_ms();
	n->retry_ms = BIND_RETRY_MIN_MS;
}

/*
 * One socket on GATEWAY:port bound to the bridge: nothing that arrives on
 * another interface reaches it (the uplink's, a neighbour's). FREEBIND:
 * the address may be on the bridge a moment later than the network (the
 * engine adds the IPv6 gateway with IFA_F_NODAD, so it is never tentative
 * once there; FREEBIND covers the moment before). v6: on the IPv6 gateway,
 * IPv6 only. Bound to the gateway's address, its answers leave from it.
 */
/* The family's options: FREEBIND, the arrival interface of each datagram, and IPv6 only on the IPv6 socket. */
static int family_opts(int fd, bool v6, int type)
{
	int one = 1;

	if (v6 && (setsockopt(fd, SOL_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
		   setsockopt(fd, SOL_IPV6, IPV6_FREEBIND, &one, sizeof(one)) < 0 ||
		   (type == SOCK_DGRAM && setsockopt(fd, SOL_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0)))
		return -errno;
	if (!v6 && (setsockopt(fd, SOL_IP, IP_FREEBIND, &one, sizeof(one)) < 0 ||
		    (type == SOCK_DGRAM && setsockopt(fd, SOL_IP, IP_PKTINFO, &one, sizeof(one)) < 0)))
		return -errno;
	return 0;
}

static int open_sock(const struct dnet *n, bool v6, unsigned port, int type, uint64_t tag, int epfd)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(n->gw)};
	struct sockaddr_in6 sa6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port), .sin6_addr = n->gw6};
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag};
	_cleanup_close_ int fd = socket(v6 ? AF_INET6 : AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1, r;

	if (fd < 0)
		return -errno;
	r = family_opts(fd, v6, type);
	if (r < 0)
		return r;
	if ((type == SOCK_STREAM && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, n->bridge, (socklen_t)strlen(n->bridge) + 1) < 0 ||
	    (v6 ? bind(fd, (struct sockaddr *)&sa6, sizeof(sa6)) : bind(fd, (struct sockaddr *)&sa, sizeof(sa))) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 64) < 0) || epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	return TAKE_FD(fd);
}

/* The network's sockets of one family; -errno at the first that fails. */
static int open_family(struct dns *d, struct dnet *n, bool v6)
{
	int *udp = v6 ? &n->udp6 : &n->udp, *tcp = v6 ? &n->tcp6 : &n->tcp;
	int r = open_sock(n, v6, d->port, SOCK_DGRAM, DNS_TAG(v6 ? DNS_TAG_UDP6 : DNS_TAG_UDP, n->id), d->epfd);

	if (r < 0)
		return r;
	*udp = r;
	r = open_sock(n, v6, d->port, SOCK_STREAM, DNS_TAG(v6 ? DNS_TAG_TCP6 : DNS_TAG_TCP, n->id), d->epfd);
	if (r < 0)
		return r;
	*tcp = r;
	return 0;
}

/* "10.66.0.1:53", "[fd00:66::1]:53" or both, for the log. */
static const char *net_where(const struct dns *d, const struct dnet *n, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int k = 0;

	buf[0] = '\0';
	if (n->gw)
		k = snprintf(buf, len, "%s:%u", baddr_fmt4(n->gw, a), d->port);
	if (!baddr_zero6(&n->gw6) && k >= 0 && (size_t)k < len)
		snprintf(buf + k, len - (size_t)k, "%s[%s]:%u", k ? " and " : "", baddr_fmt6(&n->gw6, b), d->port);
	return buf;
}

static void net_bind(struct dns *d, struct dnet *n)
{
	char where[128];
	int ifindex = (int)if_nametoindex(n->bridge);
	int r;

	if (n->ifindex && n->ifindex == ifindex)
		return;
	if (n->ifindex)
		net_unbind(d, n); /* the bridge was made again: its sockets point at the old one */
	r = ifindex ? 0 : -ENODEV;
	if (r == 0 && n->gw)
		r = open_family(d, n, false);
	if (r == 0 && !baddr_zero6(&n->gw6))
		r = open_family(d, n, true);
	if (r < 0) {
		net_unbind(d, n);
		/* the bridge may come a moment after the network's record (create, berth-cni): soon, then seldom */
		if (r != -ENODEV && !n->warned)
			log_warn("dns: network %s: cannot serve on %s: %s (trying again)", n->name,
				 net_where(d, n, where, sizeof(where)), strerror(-r));
		n->warned = n->warned || r != -ENODEV;
		n->retry_ms = n->retry_ms ? n->retry_ms * 2 : BIND_RETRY_MIN_MS;
		if (n->retry_ms > TICK_MS)
			n->retry_ms = TICK_MS;
		n->retry_at = bclock_now_ms() + n->retry_ms;
		return;
	}
	n->ifindex = ifindex;
	n->warned = false;
	log_info("dns: serving network %s on %s (%s)", n->name, net_where(d, n, where, sizeof(where)), n->bridge);
}

static void net_remove(struct dns *d, struct dnet *n)
{
	struct dnet **pp;

	for (pp = &d->nets; *pp; pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			break;
		}
	}
	net_unbind(d, n);
	free(n);
}

/* The watch saw a network's definition (def) or its removal (NULL): serve it as it now is. */
static void net_update(void *arg, const char *name, const struct eng_network *def)
{
	struct dns *d = arg;
	struct dnet *n = net_by_name(d, name);

	/* on each of the network's gateways: IPv4, IPv6, or both */
	if (!def || !def->gateway_on_bridge || (!eng_network_has4(def) && !eng_network_has6(def))) {
		if (n)
			net_remove(d, n);
		return;
	}
	if (n && (strcmp(n->bridge, def->bridge) != 0 || n->gw != def->gateway || n->subnet.addr != def->subnet.addr ||
		  n->subnet.prefix != def->subnet.prefix || !baddr_eq6(&n->gw6, &def->gateway6) ||
		  !baddr_eq6(&n->subnet6.addr, &def->subnet6.addr) || n->subnet6.prefix != def->subnet6.prefix)) {
		net_remove(d, n);
		n = NULL;
	}
	if (!n) {
		n = calloc(1, sizeof(*n));
		if (!n)
			return;
		n->id = ++d->next_net;
		n->udp = n->tcp = n->udp6 = n->tcp6 = -1;
		snprintf(n->name, sizeof(n->name), "%s", def->name);
		snprintf(n->bridge, sizeof(n->bridge), "%s", def->bridge);
		if (eng_network_has4(def)) {
			n->subnet = def->subnet;
			n->gw = def->gateway;
		}
		if (eng_network_has6(def)) {
			n->subnet6 = def->subnet6;
			n->gw6 = def->gateway6;
		}
		n->next = d->nets;
		d->nets = n;
	}
	n->internal = def->internal;
	net_bind(d, n);
}

/* A source address that may ask on n: a host of its subnet, not the gateway's own. */
static bool may_ask(const struct dnet *n, uint32_t src)
{
	uint32_t host = src & ~baddr_mask4(n->subnet.prefix);

	return n->gw && baddr_in4(&n->subnet, src) && src != n->gw && host != 0 &&
	       host != ~baddr_mask4(n->subnet.prefix);
}

/* The same for IPv6: a host of its subnet, not the gateway, nor the subnet-router anycast address. */
static bool may_ask6(const struct dnet *n, const struct in6_addr *src)
{
	struct in6_addr net = baddr_mask6(src, n->subnet6.prefix);

	return !baddr_zero6(&n->gw6) && baddr_in6(&n->subnet6, src) && !baddr_eq6(src, &n->gw6) &&
	       !baddr_eq6(src, &net);
}

/* A peer (UDP source, TCP client) that may ask on n, in either family. */
static bool may_ask_peer(const struct dnet *n, const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return may_ask(n, ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr));
	return sa->sa_family == AF_INET6 && may_ask6(n, &((const struct sockaddr_in6 *)sa)->sin6_addr);
}

/* ------------------------------------------------------------------ answering */

static void reply(struct dns *d, const struct dns_origin *o, const uint8_t *ans, size_t len);
static struct conn *conn_by_id(struct dns *d, uint64_t id);

/* Answer q from n's view, or hand it to forwarding. */
static void handle_query(struct dns *d, struct dnet *n, const struct dns_origin *o, const uint8_t *q, size_t len)
{
	struct dns_view_net vn[DNS_MAX_NETS];
	const char *names[DNS_MAX_NETS];
	struct dns_view v = {
		.nets = vn,
		.domain = d->domain,
		.ttl = d->ttl,
		.forward = !n->internal,
	};
	uint8_t *ans = NULL;
	size_t alen = 0, k;
	int r;

	pthread_mutex_lock(&d->lock);
	v.nx = d->nx;
	/* the asker is the endpoint with the query's source address, in its family */
	if (o->peer.sa.sa_family == AF_INET6)
		k = names_client_networks6(d->nx, n->name, &o->peer.in6.sin6_addr, names, DNS_MAX_NETS);
	else
		k = names_client_networks(d->nx, n->name, ntohl(o->peer.in.sin_addr.s_addr), names, DNS_MAX_NETS);
	for (size_t i = 0; i < k; i++) {
		struct dnet *x = i == 0 ? n : net_by_name(d, names[i]);

		vn[v.n_nets].name = names[i];
		/* a network not served here has no subnet to answer reverse lookups for */
		vn[v.n_nets].subnet = x && x->gw ? x->subnet : (struct bcidr4){0xffffffffu, 32};
		vn[v.n_nets].subnet6 = x ? x->subnet6 : (struct bcidr6){0};
		v.n_nets++;
	}
	r = dns_answer(&v, q, len, o->conn == 0, &ans, &alen);
	pthread_mutex_unlock(&d->lock);
	if (r == DNS_ANSWER) {
		reply(d, o, ans, alen);
	} else if (r == DNS_FORWARD) {
		struct conn *c = o->conn ? conn_by_id(d, o->conn) : NULL;

		if (c)
			c->pending++;
		dns_fwd_start(d->fwd, o, q, len, dns_question_end(q, len), o->conn != 0);
	}
	free(ans);
}

/* The datagrams of n's UDP socket of one family: only from a host of its subnet that came in on its bridge. */
static void udp_read(struct dns *d, struct dnet *n, bool v6)
{
	for (int i = 0; i < UDP_BATCH && (v6 ? n->udp6 : n->udp) >= 0; i++) {
		uint8_t buf[UDP_MAX];
		char cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct dns_origin o = {.net = n->id};
		struct iovec iov = {buf, sizeof(buf)};
		struct msghdr mh = {
			.msg_name = &o.peer,
			.msg_namelen = sizeof(o.peer),
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = cbuf,
			.msg_controllen = sizeof(cbuf),
		};
		int ifindex = 0;
		ssize_t len = recvmsg(v6 ? n->udp6 : n->udp, &mh, MSG_DONTWAIT);

		if (len < 0)
			return;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (!v6 && c->cmsg_level == SOL_IP && c->cmsg_type == IP_PKTINFO)
				ifindex = ((const struct in_pktinfo *)CMSG_DATA(c))->ipi_ifindex;
			else if (v6 && c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_PKTINFO)
				ifindex = (int)((const struct in6_pktinfo *)CMSG_DATA(c))->ipi6_ifindex;
		}
		/* the bridge it came in on and a source of its subnet, or nothing at all */
		if (!ifindex || ifindex != n->ifindex || (mh.msg_flags & MSG_TRUNC) ||
		    o.peer.sa.sa_family != (v6 ? AF_INET6 : AF_INET) || !may_ask_peer(n, &o.peer.sa))
			continue;
		handle_query(d, n, &o, buf, (size_t)len);
	}
}

/* ------------------------------------------------------------------ TCP clients */

static struct conn *conn_by_id(struct dns *d, uint64_t id)
{
	for (struct conn *c = d->conns; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

static void conn_free(struct dns *d, struct conn *c)
{
	struct conn **pp;

	for (pp = &d->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	bbuf_free(&c->out);
	free(c);
	d->n_conns--;
}

/* Write what can be written; false when the connection is done with. */
static bool conn_flush(struct dns *d, struct conn *c)
{
	struct epoll_event ev = {.data.u64 = DNS_TAG(DNS_TAG_CONN, c->id)};

	while (c->out_off < c->out.len) {
		ssize_t n = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return false;
		if (n < 0)
			break;
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out.len)
		c->out_off = c->out.len = 0;
	if (c->eof && c->out.len == 0 && c->pending == 0)
		return false;
	ev.events = (c->eof ? 0 : EPOLLIN) | (c->out.len ? EPOLLOUT : 0);
	epoll_ctl(d->epfd, EPOLL_CTL_MOD, c->fd, &ev);
	return true;
}

static void conn_queue(struct conn *c, const uint8_t *ans, size_t len)
{
	uint8_t hdr[2] = {(uint8_t)(len >> 8), (uint8_t)len};

	if (c->out.len + len + 2 > CONN_MAX_OUT)
		return; /* a client that asks and never reads */
	if (bbuf_append(&c->out, (const char *)hdr, 2) == 0)
		bbuf_append(&c->out, (const char *)ans, len);
}

static void conn_read(struct dns *d, struct conn *c)
{
	struct dnet *n = net_by_id(d, c->net);

	for (;;) {
		ssize_t r = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
		size_t off = 0;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			break;
		if (r <= 0 || !n) {
			c->eof = true;
			break;
		}
		c->in_len += (size_t)r;
		c->deadline = bclock_now_ms() + CONN_IDLE_MS;
		/* every whole message in the buffer */
		while (c->in_len - off >= 2) {
			size_t len = (size_t)(c->in[off] << 8 | c->in[off + 1]);
			struct dns_origin o = {.conn = c->id, .net = n->id};

			if (c->in_len - off - 2 < len)
				break;
			if (len > 0) {
				o.peer = c->peer;
				handle_query(d, n, &o, c->in + off + 2, len);
			}
			off += 2 + len;
		}
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
	}
	if (!conn_flush(d, c))
		conn_free(d, c);
}

static void tcp_accept(struct dns *d, struct dnet *n, bool v6)
{
	for (;;) {
		union dns_peer peer;
		socklen_t pl = sizeof(peer);
		struct epoll_event ev = {.events = EPOLLIN};
		struct conn *c;
		int fd = accept4(v6 ? n->tcp6 : n->tcp, &peer.sa, &pl, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;
		if (!may_ask_peer(n, &peer.sa) || d->n_conns >= MAX_CONNS || !(c = calloc(1, sizeof(*c)))) {
			close(fd);
			continue;
		}
		c->id = ++d->next_conn;
		c->fd = fd;
		c->net = n->id;
		c->peer = peer;
		c->deadline = bclock_now_ms() + CONN_IDLE_MS;
		ev.data.u64 = DNS_TAG(DNS_TAG_CONN, c->id);
		if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = d->conns;
		d->conns = c;
		d->n_conns++;
	}
}

/* An answer to where its query came from, if that is still there (a TCP answer is queued, flushed by the caller). */
static void reply(struct dns *d, const struct dns_origin *o, const uint8_t *ans, size_t len)
{
	struct dnet *n;
	struct conn *c;

	if (o->conn) {
		if ((c = conn_by_id(d, o->conn)))
			conn_queue(c, ans, len);
		return;
	}
	n = net_by_id(d, o->net);
	if (n && o->peer.sa.sa_family == AF_INET && n->udp >= 0)
		sendto(n->udp, ans, len, MSG_DONTWAIT | MSG_NOSIGNAL, &o->peer.sa, sizeof(o->peer.in));
	else if (n && o->peer.sa.sa_family == AF_INET6 && n->udp6 >= 0)
		sendto(n->udp6, ans, len, MSG_DONTWAIT | MSG_NOSIGNAL, &o->peer.sa, sizeof(o->peer.in6));
}

/* Forwarding's callback: a relayed answer (or SERVFAIL), maybe from inside conn_read, never freeing a connection. */
static void deliver(void *arg, const struct dns_origin *o, const uint8_t *ans, size_t len)
{
	struct dns *d = arg;
	struct conn *c = o->conn ? conn_by_id(d, o->conn) : NULL;

	reply(d, o, ans, len);
	if (!c)
		return;
	if (c->pending)
		c->pending--;
	if (!c->dead && !conn_flush(d, c))
		c->dead = true;
}

/* ------------------------------------------------------------------ the loop */

static int next_timeout(struct dns *d)
{
	long long now = bclock_now_ms(), best = d->next_tick - now;
	int f = dns_fwd_timeout(d->fwd);

	if (f >= 0 && f < best)
		best = f;
	for (struct dnet *n = d->nets; n; n = n->next)
		if (!n->ifindex && n->retry_at - now < best)
			best = n->retry_at - now;
	for (struct conn *c = d->conns; c; c = c->next)
		if (c->dead || c->deadline - now < best)
			best = c->dead ? 0 : c->deadline - now;
	return best < 0 ? 0 : (int)best;
}

static void timers(struct dns *d)
{
	long long now = bclock_now_ms();
	struct conn *c, *next;

	dns_fwd_expire(d->fwd);
	for (c = d->conns; c; c = next) {
		next = c->next;
		if (c->dead || c->deadline <= now)
			conn_free(d, c);
	}
	for (struct dnet *n = d->nets; n; n = n->next) {
		/* unbound ones when due; bound ones at each tick, in case their bridge was made again */
		if ((!n->ifindex && n->retry_at <= now) || (n->ifindex && d->next_tick <= now))
			net_bind(d, n);
	}
	if (d->next_tick <= now)
		d->next_tick = now + TICK_MS;
}

static void wake(struct dns *d)
{
	uint64_t v;

	if (read(d->wake, &v, sizeof(v)) < 0) {
		/* nothing to read: a spurious wake */
	}
	for (struct dnet *n = d->nets; n; n = n->next)
		if (!n->ifindex)
			net_bind(d, n);
}

/* Tell the listener (the fabric) that local entries may have changed; the lock is held. */
static void local_changed(struct dns *d)
{
	if (d->changed)
		d->changed(d->changed_arg);
}

static void *loop(void *arg)
{
	struct dns *d = arg;
	struct epoll_event evs[64];

	while (!atomic_load(&d->stop)) {
		int n = epoll_wait(d->epfd, evs, (int)ARRAY_SIZE(evs), next_timeout(d));

		for (int i = 0; i < n; i++) {
			uint64_t id = DNS_TAG_ID(evs[i].data.u64);
			struct dnet *net;
			struct conn *c;

			switch (DNS_TAG_KIND(evs[i].data.u64)) {
			case DNS_TAG_WAKE:
				wake(d);
				break;
			case DNS_TAG_WATCH:
				dns_watch_read(d->watch);
				pthread_mutex_lock(&d->lock);
				local_changed(d);
				pthread_mutex_unlock(&d->lock);
				break;
			case DNS_TAG_UDP:
			case DNS_TAG_UDP6:
				if ((net = net_by_id(d, id)))
					udp_read(d, net, DNS_TAG_KIND(evs[i].data.u64) == DNS_TAG_UDP6);
				break;
			case DNS_TAG_TCP:
				if ((net = net_by_id(d, id)) && net->tcp >= 0)
					tcp_accept(d, net, false);
				break;
			case DNS_TAG_TCP6:
				if ((net = net_by_id(d, id)) && net->tcp6 >= 0)
					tcp_accept(d, net, true);
				break;
			case DNS_TAG_CONN:
				if (!(c = conn_by_id(d, id)) || c->dead)
					break;
				if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
					conn_read(d, c);
				else if (!conn_flush(d, c))
					conn_free(d, c);
				break;
			case DNS_TAG_UPSTREAM:
				dns_fwd_event(d->fwd, id, evs[i].events);
				break;
			}
		}
		timers(d);
	}
	return NULL;
}

/* ------------------------------------------------------------------ the API */

int dns_start(const struct dns_opts *o, struct dns **ret, struct berr *e)
{
	struct dns_watch_ops ops = {.network = net_update};
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = DNS_TAG(DNS_TAG_WAKE, 0)};
	struct dns *d = calloc(1, sizeof(*d));
	int wfd, r;

	if (!d)
		return berr_oom(e);
	d->epfd = d->wake = d->advert = -1;
	pthread_mutex_init(&d->lock, NULL);
	if (!(d->state_dir = strdup(o->state_dir)) || !(d->resolv_conf = strdup(o->resolv_conf)) ||
	    (o->domain && !(d->domain = strdup(o->domain))) || names_new(&d->nx) < 0) {
		r = berr_oom(e);
		goto fail;
	}
	d->ttl = o->ttl;
	d->port = o->port;
	d->timeout_ms = o->upstream_timeout_ms;
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	d->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (d->epfd < 0 || d->wake < 0 || epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->wake, &ev) < 0) {
		r = berr_errno(e, "dns: epoll");
		goto fail;
	}
	r = dns_fwd_new(d->epfd, d->resolv_conf, d->timeout_ms, deliver, d, &d->fwd, e);
	if (r < 0)
		goto fail;
	ops.arg = d;
	/* the first load binds every network now, before netd says it is ready */
	r = dns_watch_open(d->state_dir, d->nx, &d->lock, &ops, &d->watch, &wfd, e);
	if (r < 0)
		goto fail;
	ev.data.u64 = DNS_TAG(DNS_TAG_WATCH, 0);
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, wfd, &ev) < 0) {
		r = berr_errno(e, "dns: epoll");
		goto fail;
	}
	d->next_tick = bclock_now_ms() + TICK_MS;
	r = -pthread_create(&d->thread, NULL, loop, d);
	if (r < 0) {
		r = berr_sys(e, r, "dns: start the thread");
		goto fail;
	}
	d->running = true;
	/* for top -H and the bench: the DNS thread by name */
	pthread_setname_np(d->thread, "netd-dns");
	if (names_advertise(d->state_dir, d->domain, &d->advert, e) < 0) {
		/* berth-cni's results then name no nameserver; netd's own attaches still do */
		log_warn("dns: %s", berr_message(e));
		berr_clear(e);
	}
	log_info("dns: %zu name entries indexed; forwarding to the nameservers of %s", names_count(d->nx),
		 d->resolv_conf);
	*ret = d;
	return 0;
fail:
	dns_stop(d);
	return r;
}

void dns_stop(struct dns *d)
{
	uint64_t one = 1;

	if (!d)
		return;
	if (d->running) {
		atomic_store(&d->stop, true);
		if (write(d->wake, &one, sizeof(one)) < 0) {
			/* the counter is full: the thread is awake anyway */
		}
		pthread_join(d->thread, NULL);
	}
	while (d->conns)
		conn_free(d, d->conns);
	while (d->nets)
		net_remove(d, d->nets);
	dns_fwd_free(d->fwd);
	dns_watch_close(d->watch);
	names_free(d->nx);
	if (d->advert >= 0)
		close(d->advert);
	if (d->wake >= 0)
		close(d->wake);
	if (d->epfd >= 0)
		close(d->epfd);
	pthread_mutex_destroy(&d->lock);
	free(d->state_dir);
	free(d->domain);
	free(d->resolv_conf);
	free(d);
}

void dns_endpoint_attached(struct dns *d, const struct eng_endpoint *ep)
{
	struct names_ep ne;

	if (!d || ep->state != ENG_EP_COMPLETE)
		return;
	names_ep_from_endpoint(ep, &ne);
	pthread_mutex_lock(&d->lock);
	if (names_put(d->nx, &ne) < 0)
		log_warn("dns: out of memory indexing %s on %s (the store's watch tries again)", ep->id, ep->network);
	local_changed(d);
	pthread_mutex_unlock(&d->lock);
}

void dns_endpoint_detached(struct dns *d, const char *network, const char *id, const char *ifname)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	names_del(d->nx, NAMES_SOURCE_LOCAL, network, id, ifname);
	local_changed(d);
	pthread_mutex_unlock(&d->lock);
}

void dns_networks_changed(struct dns *d)
{
	uint64_t one = 1;

	if (d && write(d->wake, &one, sizeof(one)) < 0) {
		/* the counter is full: a wake is pending anyway */
	}
}

json_t *dns_client_config(const struct dns *d, const struct eng_network *n)
{
	_cleanup_json_ json_t *ns = json_array();
	char gw[INET6_ADDRSTRLEN];

	if (!d || !n->gateway_on_bridge || !ns)
		return NULL;
	/* each gateway the container can ask: IPv4 first, then IPv6 */
	if (eng_network_has4(n) && json_array_append_new(ns, json_string(baddr_fmt4(n->gateway, gw))) < 0)
		return NULL;
	if (eng_network_has6(n) && json_array_append_new(ns, json_string(baddr_fmt6(&n->gateway6, gw))) < 0)
		return NULL;
	if (json_array_size(ns) == 0)
		return NULL;
	if (d->domain)
		return json_pack("{s:O,s:[s,s]}", "nameservers", ns, "search", n->name, d->domain);
	return json_pack("{s:O,s:[s]}", "nameservers", ns, "search", n->name);
}

static int name_entry(json_t *arr, const struct names_ep *ep, const char *name, bool alias)
{
	char ip[INET_ADDRSTRLEN], ip6[INET6_ADDRSTRLEN];
	bool has6 = !IN6_IS_ADDR_UNSPECIFIED(&ep->ip6);

	return json_array_append_new(arr, json_pack("{s:s,s:s?,s:s?,s:s,s:s,s:b,s:s}", "name", name, "address",
						    ep->ip4 ? baddr_fmt4(ep->ip4, ip) : NULL, "address6",
						    has6 ? baddr_fmt6(&ep->ip6, ip6) : NULL, "id", ep->id, "ifname",
						    ep->ifname, "alias", alias, "source", ep->source));
}

static int list_names(const struct names_ep *ep, void *arg)
{
	json_t *arr = arg;

	if (ep->name && name_entry(arr, ep, ep->name, false) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < ep->n_aliases; i++)
		if (name_entry(arr, ep, ep->aliases[i], true) < 0)
			return -ENOMEM;
	return 0;
}

/* A string member of an entry, "" when it has none (an IPv6-only entry has no "address"). */
static const char *entry_str(const json_t *x, const char *key)
{
	const char *s = json_string_value(json_object_get(x, key));

	return s ? s : "";
}

static int cmp_entry(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcasecmp(entry_str(x, "name"), entry_str(y, "name"));

	if (!c)
		c = strcmp(entry_str(x, "address"), entry_str(y, "address"));
	return c ? c : strcmp(entry_str(x, "address6"), entry_str(y, "address6"));
}

json_t *dns_names_json(struct dns *d, const struct eng_network *n)
{
	_cleanup_json_ json_t *arr = json_array(), *sorted = json_array();
	_cleanup_free_ json_t **v = NULL;
	char gw[INET_ADDRSTRLEN], gw6[INET6_ADDRSTRLEN];
	bool served = n->gateway_on_bridge && (eng_network_has4(n) || eng_network_has6(n));
	size_t k;
	json_t *o;
	int r;

	if (!arr || !sorted)
		return NULL;
	pthread_mutex_lock(&d->lock);
	r = names_foreach(d->nx, n->name, list_names, arr);
	pthread_mutex_unlock(&d->lock);
	if (r < 0)
		return NULL;
	k = json_array_size(arr);
	v = calloc(k + 1, sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < k; i++)
		v[i] = json_array_get(arr, i);
	qsort(v, k, sizeof(*v), cmp_entry);
	for (size_t i = 0; i < k; i++)
		if (json_array_append(sorted, v[i]) < 0)
			return NULL;
	o = json_pack("{s:s,s:s?,s:s?,s:s?,s:b,s:i,s:O}", "network", n->name, "gateway",
		      n->gateway_on_bridge && eng_network_has4(n) ? baddr_fmt4(n->gateway, gw) : NULL, "gateway6",
		      n->gateway_on_bridge && eng_network_has6(n) ? baddr_fmt6(&n->gateway6, gw6) : NULL, "domain",
		      d->domain, "forwarding", served && !n->internal, "ttl", (int)d->ttl, "names", sorted);
	return o;
}

struct names *dns_names_acquire(struct dns *d)
{
	pthread_mutex_lock(&d->lock);
	return d->nx;
}

void dns_names_release(struct dns *d)
{
	pthread_mutex_unlock(&d->lock);
}

void dns_on_local_change(struct dns *d, void (*fn)(void *arg), void *arg)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	d->changed = fn;
	d->changed_arg = arg;
	pthread_mutex_unlock(&d->lock);
}
