/* Internals of netd's DNS server shared by its files (dns*.c): answering, forwarding, watching the store. */
#pragma once

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "addr.h"
#include "err.h"
#include "netd/engine/names.h"

/* Answers for names netd owns are at most this many times the query's size over UDP (else truncated). */
#define DNS_AMPLIFICATION 10
/* The UDP payload netd offers with EDNS (the DNS flag day's safe size). */
#define DNS_EDNS_SIZE 1232
#define DNS_MAX_ANSWERS 64
#define DNS_MAX_NETS 32 /* networks one container is on, as a query sees them */

/* ------------------------------------------------------------------ dns_answer.c */

/* One network a query may see names of. */
struct dns_view_net {
	const char *name;
	struct bcidr4 subnet;  /* 255.255.255.255/32: none to answer reverse lookups for */
	struct bcidr6 subnet6; /* prefix 0: none */
};

/* What one query sees: the index, the container's networks (the arrival network first). */
struct dns_view {
	const struct names *nx;
	const struct dns_view_net *nets;
	size_t n_nets;
	const char *domain; /* NULL: none */
	unsigned ttl;
	bool forward; /* false: an internal network, names only (others get REFUSED) */
};

enum dns_verdict {
	DNS_DROP = 0, /* no answer at all (a response, or too short to answer) */
	DNS_ANSWER,   /* *ret holds the answer */
	DNS_FORWARD,  /* not a name of ours: relay to the upstream resolvers */
};

/*
 * Answer the query q (len bytes) as the view allows. udp: the answer must
 * fit the client's UDP size (512, or its EDNS size up to DNS_EDNS_SIZE)
 * and DNS_AMPLIFICATION * len, else answers are left out and TC set.
 * Returns a verdict; for DNS_ANSWER *ret (malloc'd) and *ret_len; -ENOMEM.
 */
int dns_answer(const struct dns_view *v, const uint8_t *q, size_t len, bool udp, uint8_t **ret, size_t *ret_len);

/* An answer with only the question and rcode (SERVFAIL when upstream fails). DNS_DROP when q is not a query. */
int dns_answer_error(const uint8_t *q, size_t len, uint8_t rcode, uint8_t **ret, size_t *ret_len);

/*
 * The end of the question section of a well-formed query (12 + qname +
 * 4), 0 when q has none. An upstream answer must repeat these bytes
 * (names compared without regard to case).
 */
size_t dns_question_end(const uint8_t *q, size_t len);

/* ------------------------------------------------------------------ the loop's epoll tags */

/* epoll data: the kind of source in the top byte, an id below (ids are never reused while it matters). */
enum dns_tag_kind {
	DNS_TAG_WAKE = 1, /* eventfd: a network changed, or stop */
	DNS_TAG_WATCH,	  /* inotify on the state store */
	DNS_TAG_UDP,	  /* a network's UDP socket; id: the network's */
	DNS_TAG_TCP,	  /* a network's listening TCP socket */
	DNS_TAG_CONN,	  /* a client's TCP connection */
	DNS_TAG_UPSTREAM, /* a forwarded query's socket */
	DNS_TAG_UDP6,	  /* a network's UDP socket on its IPv6 gateway */
	DNS_TAG_TCP6,	  /* a network's listening TCP socket on its IPv6 gateway */
};
#define DNS_TAG(kind, id) ((uint64_t)(kind) << 56 | ((uint64_t)(id) & ((1ULL << 56) - 1)))
#define DNS_TAG_KIND(t) ((enum dns_tag_kind)((t) >> 56))
#define DNS_TAG_ID(t) ((t) & ((1ULL << 56) - 1))

/* ------------------------------------------------------------------ dns_upstream.c */

#define DNS_MAX_UPSTREAMS 3 /* as glibc reads resolv.conf */
#define DNS_MAX_INFLIGHT 1024

struct dns_upstreams {
	struct sockaddr_storage addr[DNS_MAX_UPSTREAMS];
	socklen_t len[DNS_MAX_UPSTREAMS];
	size_t n;
};

/* The nameservers of a resolv.conf text (IPv4 and IPv6, port 53), at most DNS_MAX_UPSTREAMS. */
void dns_upstreams_parse(const char *text, struct dns_upstreams *ret);

/* A client's address, IPv4 or IPv6. */
union dns_peer {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/* Where the answer of a forwarded query goes. */
struct dns_origin {
	uint64_t conn;	     /* a client's TCP connection; 0: UDP */
	uint64_t net;	     /* UDP: the network it came on */
	union dns_peer peer; /* the client (its family: which of the network's sockets answers) */
};

struct dns_fwd;
/* An answer for origin (the client's id already in place): upstream's unchanged, or SERVFAIL. */
typedef void (*dns_deliver_fn)(void *arg, const struct dns_origin *o, const uint8_t *ans, size_t len);

/* Forwarding to the nameservers of resolv_conf (read again whenever it changes), within timeout_ms. */
int dns_fwd_new(int epfd, const char *resolv_conf, int timeout_ms, dns_deliver_fn fn, void *arg, struct dns_fwd **ret,
		struct berr *e);
void dns_fwd_free(struct dns_fwd *f);
/*
 * Relay query q (its question ends at qend) to the first nameserver, over
 * TCP when tcp. The answer, or SERVFAIL when every nameserver failed or the
 * time ran out, goes to the deliver callback later; SERVFAIL at once when
 * there is no nameserver or too many queries are in flight.
 */
void dns_fwd_start(struct dns_fwd *f, const struct dns_origin *o, const uint8_t *q, size_t len, size_t qend, bool tcp);
/* An event of a DNS_TAG_UPSTREAM source. */
void dns_fwd_event(struct dns_fwd *f, uint64_t id, uint32_t events);
/* Milliseconds until the next deadline (-1: none); expire what is due. */
int dns_fwd_timeout(struct dns_fwd *f);
void dns_fwd_expire(struct dns_fwd *f);
/* How many queries are in flight. */
size_t dns_fwd_inflight(const struct dns_fwd *f);

/* ------------------------------------------------------------------ dns_watch.c */

struct dns_watch;
struct store;

/*
 * Callbacks of the watch, from the thread that calls dns_watch_read: a
 * network's definition appeared or changed (n), or went (n NULL).
 */
struct dns_watch_ops {
	void (*network)(void *arg, const char *name, const struct eng_network *n);
	void *arg;
};

/*
 * Watch the state store under root with inotify: every endpoint record
 * that appears, changes or goes updates the index (entries of source
 * NAMES_SOURCE_LOCAL; complete records only), under lock. *ret_fd: the
 * inotify fd to poll. The initial load happens here.
 */
int dns_watch_open(const char *root, struct names *nx, pthread_mutex_t *lock, const struct dns_watch_ops *ops,
		   struct dns_watch **ret, int *ret_fd, struct berr *e);
/* Read and apply what the fd has (nonblocking). */
void dns_watch_read(struct dns_watch *w);
/* Read every network and record again (after an overflow, or on demand). */
void dns_watch_resync(struct dns_watch *w);
void dns_watch_close(struct dns_watch *w);
