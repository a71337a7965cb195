/* netd's DNS forwarding: the host's nameservers from resolv.conf, queries relayed over UDP or TCP, SERVFAIL on
 * time-out. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "cleanup.h"
#include "clock.h"
#include "fileutil.h"
#include "log.h"
#include "netd/daemon/dns_int.h"

#define RESOLV_MAX (64 * 1024)
/* How often resolv.conf is looked at again (a stat) while queries are forwarded. */
#define RESOLV_CHECK_MS 100
/* No attempt is given less, whatever the number of nameservers. */
#define MIN_ATTEMPT_MS 300
#define SLOT_BITS 16

struct txn {
	uint64_t id; /* generation << SLOT_BITS | slot */
	struct dns_origin origin;
	uint8_t *q; /* the query with our id; over TCP, behind its 2-byte length */
	size_t len; /* of the query alone */
	size_t qend;
	uint16_t client_id;
	bool tcp;
	int fd;
	size_t attempt; /* the nameserver being asked: attempt % n */
	size_t sent;	/* TCP: bytes of 2 + len written */
	uint8_t *in;	/* TCP: the answer being read, behind its length */
	size_t in_len;
	long long deadline, give_up;
};

struct dns_fwd {
	int epfd;
	char *path;
	int timeout_ms;
	dns_deliver_fn deliver;
	void *arg;
	struct dns_upstreams ups;
	struct stat st; /* of resolv.conf when last read */
	bool have_st;
	long long checked_ms;
	struct txn *slots[DNS_MAX_INFLIGHT];
	uint64_t gen;
	size_t n;
};

void dns_upstreams_parse(const char *text, struct dns_upstreams *ret)
{
	const char *p = text;

	memset(ret, 0, sizeof(*ret));
	while (p && *p && ret->n < DNS_MAX_UPSTREAMS) {
		const char *end = strchrnul(p, '\n');
		char line[256], key[16], val[64];

		snprintf(line, sizeof(line), "%.*s", (int)(end - p < 255 ? end - p : 255), p);
		p = *end ? end + 1 : end;
		if (sscanf(line, "%15s %63s", key, val) != 2 || strcmp(key, "nameserver") != 0)
			continue;
		{
			struct sockaddr_in *a4 = (struct sockaddr_in *)&ret->addr[ret->n];
			struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ret->addr[ret->n];
			char *pct = strchr(val, '%'); /* fe80::1%eth0: the scope */

			if (inet_pton(AF_INET, val, &a4->sin_addr) == 1) {
				a4->sin_family = AF_INET;
				a4->sin_port = htons(53);
				ret->len[ret->n++] = sizeof(*a4);
				continue;
			}
			if (pct)
				*pct = '\0';
			if (inet_pton(AF_INET6, val, &a6->sin6_addr) == 1) {
				a6->sin6_family = AF_INET6;
				a6->sin6_port = htons(53);
				if (pct)
					a6->sin6_scope_id = if_nametoindex(pct + 1);
				ret->len[ret->n++] = sizeof(*a6);
			}
		}
	}
}

/* resolv.conf again when it changed since it was read (a stat, at most every RESOLV_CHECK_MS). */
static void refresh(struct dns_fwd *f)
{
	long long now = bclock_now_ms();
	_cleanup_free_ char *text = NULL;
	struct stat st;
	size_t len;

	if (f->have_st && now - f->checked_ms < RESOLV_CHECK_MS)
		return;
	f->checked_ms = now;
	if (stat(f->path, &st) < 0) {
		if (f->have_st || f->ups.n)
			log_warn("dns: %s: %s: no nameserver to forward to", f->path, strerror(errno));
		memset(&f->ups, 0, sizeof(f->ups));
		f->have_st = true;
		memset(&f->st, 0, sizeof(f->st));
		return;
	}
	if (f->have_st && st.st_ino == f->st.st_ino && st.st_dev == f->st.st_dev && st.st_size == f->st.st_size &&
	    st.st_mtim.tv_sec == f->st.st_mtim.tv_sec && st.st_mtim.tv_nsec == f->st.st_mtim.tv_nsec)
		return;
	f->st = st;
	f->have_st = true;
	if (bfile_read_all(f->path, RESOLV_MAX, &text, &len, NULL) < 0) {
		memset(&f->ups, 0, sizeof(f->ups));
		return;
	}
	dns_upstreams_parse(text, &f->ups);
	log_info("dns: %zu nameserver(s) from %s", f->ups.n, f->path);
}

int dns_fwd_new(int epfd, const char *resolv_conf, int timeout_ms, dns_deliver_fn fn, void *arg, struct dns_fwd **ret,
		struct berr *e)
{
	struct dns_fwd *f = calloc(1, sizeof(*f));

	if (!f || !(f->path = strdup(resolv_conf))) {
		free(f);
		return berr_oom(e);
	}
	f->epfd = epfd;
	f->timeout_ms = timeout_ms;
	f->deliver = fn;
	f->arg = arg;
	/* resolv.conf is first read when a query is first forwarded */
	*ret = f;
	return 0;
}

static void txn_free(struct dns_fwd *f, struct txn *t)
{
	size_t slot = t->id & ((1u << SLOT_BITS) - 1);

	if (t->fd >= 0) {
		epoll_ctl(f->epfd, EPOLL_CTL_DEL, t->fd, NULL);
		close(t->fd);
	}
	f->slots[slot] = NULL;
	f->n--;
	free(t->q);
	free(t->in);
	free(t);
}

void dns_fwd_free(struct dns_fwd *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < DNS_MAX_INFLIGHT; i++)
		if (f->slots[i])
			txn_free(f, f->slots[i]);
	free(f->path);
	free(f);
}

size_t dns_fwd_inflight(const struct dns_fwd *f)
{
	return f->n;
}

static void servfail(struct dns_fwd *f, const struct dns_origin *o, const uint8_t *q, size_t len)
{
	uint8_t *ans = NULL;
	size_t n = 0;

	if (dns_answer_error(q, len, LDNS_RCODE_SERVFAIL, &ans, &n) == DNS_ANSWER)
		f->deliver(f->arg, o, ans, n);
	free(ans);
}

/* The query as the client sent it (its id back in place), for SERVFAIL. */
static void txn_fail(struct dns_fwd *f, struct txn *t)
{
	uint8_t *q = t->q + (t->tcp ? 2 : 0);

	q[0] = (uint8_t)(t->client_id >> 8);
	q[1] = (uint8_t)t->client_id;
	servfail(f, &t->origin, q, t->len);
	txn_free(f, t);
}

/* Ask the next nameserver: a new socket each time (a fresh source port), connected to it. */
static int txn_send(struct dns_fwd *f, struct txn *t)
{
	struct epoll_event ev = {.data.u64 = DNS_TAG(DNS_TAG_UPSTREAM, t->id)};
	size_t k = t->attempt % f->ups.n;
	const struct sockaddr *sa = (const struct sockaddr *)&f->ups.addr[k];
	long long now = bclock_now_ms();
	long long slice = f->timeout_ms / (long long)f->ups.n;
	int fd;

	if (t->fd >= 0) {
		epoll_ctl(f->epfd, EPOLL_CTL_DEL, t->fd, NULL);
		close(t->fd);
		t->fd = -1;
	}
	t->sent = 0;
	t->in_len = 0;
	fd = socket(sa->sa_family, (t->tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	t->fd = fd;
	if (connect(fd, sa, f->ups.len[k]) < 0 && errno != EINPROGRESS)
		return -errno;
	ev.events = EPOLLIN | (t->tcp ? EPOLLOUT : 0);
	if (epoll_ctl(f->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	if (!t->tcp && send(fd, t->q, t->len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return -errno;
	if (slice < MIN_ATTEMPT_MS)
		slice = MIN_ATTEMPT_MS;
	t->deadline = now + slice < t->give_up ? now + slice : t->give_up;
	return 0;
}

/* The current attempt failed: the next nameserver while there is one and time left, else SERVFAIL. */
static void txn_next(struct dns_fwd *f, struct txn *t)
{
	refresh(f);
	while (f->ups.n && ++t->attempt < f->ups.n && bclock_now_ms() < t->give_up) {
		if (txn_send(f, t) == 0)
			return;
	}
	txn_fail(f, t);
}

void dns_fwd_start(struct dns_fwd *f, const struct dns_origin *o, const uint8_t *q, size_t len, size_t qend, bool tcp)
{
	struct txn *t;
	size_t slot = DNS_MAX_INFLIGHT;
	uint16_t qid;

	refresh(f);
	for (size_t i = 0; i < DNS_MAX_INFLIGHT && f->ups.n && f->n < DNS_MAX_INFLIGHT; i++) {
		if (!f->slots[i]) {
			slot = i;
			break;
		}
	}
	t = slot < DNS_MAX_INFLIGHT ? calloc(1, sizeof(*t)) : NULL;
	if (t)
		t->q = malloc(len + 2);
	if (!t || !t->q || getrandom(&qid, sizeof(qid), 0) != (ssize_t)sizeof(qid)) {
		if (t)
			free(t->q);
		free(t);
		servfail(f, o, q, len);
		return;
	}
	t->id = ++f->gen << SLOT_BITS | slot;
	t->origin = *o;
	t->tcp = tcp;
	t->fd = -1;
	t->len = len;
	t->qend = qend;
	t->client_id = (uint16_t)(q[0] << 8 | q[1]);
	/* a random id of our own: an answer must match it and the question to be taken */
	if (tcp) {
		t->q[0] = (uint8_t)(len >> 8);
		t->q[1] = (uint8_t)len;
	}
	memcpy(t->q + (tcp ? 2 : 0), q, len);
	t->q[tcp ? 2 : 0] = (uint8_t)(qid >> 8);
	t->q[tcp ? 3 : 1] = (uint8_t)qid;
	t->give_up = bclock_now_ms() + f->timeout_ms;
	f->slots[slot] = t;
	f->n++;
	if (txn_send(f, t) < 0)
		txn_next(f, t);
}

/* Is ans the answer to t's query: our id, a response, the same question (case aside)? */
static bool matches(const struct txn *t, const uint8_t *ans, size_t n)
{
	const uint8_t *q = t->q + (t->tcp ? 2 : 0);

	if (n < t->qend || ans[0] != q[0] || ans[1] != q[1] || !(ans[2] & 0x80))
		return false;
	for (size_t i = 12; i < t->qend; i++)
		if (ans[i] != q[i] && !(ans[i] < 0x80 && q[i] < 0x80 && tolower(ans[i]) == tolower(q[i])))
			return false;
	return true;
}

static void txn_done(struct dns_fwd *f, struct txn *t, uint8_t *ans, size_t n)
{
	ans[0] = (uint8_t)(t->client_id >> 8);
	ans[1] = (uint8_t)t->client_id;
	f->deliver(f->arg, &t->origin, ans, n);
	txn_free(f, t);
}

static void udp_event(struct dns_fwd *f, struct txn *t)
{
	uint8_t buf[65536];

	for (;;) {
		ssize_t n = recv(t->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			/* ECONNREFUSED: the ICMP of a nameserver that is not there */
			txn_next(f, t);
			return;
		}
		if (matches(t, buf, (size_t)n)) {
			txn_done(f, t, buf, (size_t)n);
			return;
		}
		/* anything else on this port is not the answer: wait on */
	}
}

static void tcp_event(struct dns_fwd *f, struct txn *t, uint32_t events)
{
	if (t->sent < t->len + 2) {
		ssize_t n = send(t->fd, t->q + t->sent, t->len + 2 - t->sent, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno != EAGAIN && errno != EINTR && errno != ENOTCONN) {
			txn_next(f, t);
			return;
		}
		if (n > 0)
			t->sent += (size_t)n;
		if (t->sent == t->len + 2) {
			struct epoll_event ev = {.events = EPOLLIN, .data.u64 = DNS_TAG(DNS_TAG_UPSTREAM, t->id)};

			epoll_ctl(f->epfd, EPOLL_CTL_MOD, t->fd, &ev);
		}
		if (!(events & EPOLLIN))
			return;
	}
	if (!t->in && !(t->in = malloc(65535 + 2))) {
		txn_next(f, t);
		return;
	}
	for (;;) {
		size_t want = t->in_len < 2 ? 2 : 2 + (size_t)(t->in[0] << 8 | t->in[1]);
		ssize_t n;

		if (t->in_len >= 2 && t->in_len == want) {
			if (!matches(t, t->in + 2, t->in_len - 2)) {
				txn_next(f, t);
				return;
			}
			txn_done(f, t, t->in + 2, t->in_len - 2);
			return;
		}
		n = recv(t->fd, t->in + t->in_len, want - t->in_len, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			txn_next(f, t);
			return;
		}
		t->in_len += (size_t)n;
	}
}

void dns_fwd_event(struct dns_fwd *f, uint64_t id, uint32_t events)
{
	struct txn *t = f->slots[id & ((1u << SLOT_BITS) - 1)];

	if (!t || t->id != id)
		return;
	if (t->tcp)
		tcp_event(f, t, events);
	else if (events & (EPOLLIN | EPOLLERR))
		udp_event(f, t);
}

int dns_fwd_timeout(struct dns_fwd *f)
{
	long long now = bclock_now_ms(), best = -1;

	if (!f->n)
		return -1;
	for (size_t i = 0; i < DNS_MAX_INFLIGHT; i++) {
		struct txn *t = f->slots[i];

		if (t && (best < 0 || t->deadline - now < best))
			best = t->deadline > now ? t->deadline - now : 0;
	}
	return (int)best;
}

void dns_fwd_expire(struct dns_fwd *f)
{
	long long now = bclock_now_ms();

	for (size_t i = 0; i < DNS_MAX_INFLIGHT && f->n; i++) {
		struct txn *t = f->slots[i];

		if (t && t->deadline <= now)
			txn_next(f, t);
	}
}
