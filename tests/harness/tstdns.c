/*
 * tst-dns: the DNS ends of the tests, through ldns.
 *
 *   tst-dns query [--tcp] [--type T] [--bind ADDR] [--edns SIZE] [--timeout MS] SERVER[:PORT] NAME
 *       SERVER and ADDR IPv4 or IPv6 ([ADDR]:PORT with a port);
 *       print "RCODE [aa] [tc] ANSWER..." (addresses of A and AAAA records, names of PTR records) and
 *       "size=N" of the answer; exit 0 on an answer, 3 on none within the time (printing TIMEOUT)
 *   tst-dns serve [--log FILE] ADDR[:PORT] [NAME=IPV4...]
 *       a tiny authoritative server on UDP and TCP: A records for the names given, NXDOMAIN for
 *       the rest; every question's name is appended to FILE; prints "ready" once it listens
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <ldns/ldns.h>

static int usage(void)
{
	fprintf(stderr, "usage: tst-dns query [--tcp] [--type T] [--bind ADDR] [--edns SIZE] [--timeout MS] SERVER "
			"NAME | tst-dns serve [--log FILE] ADDR [NAME=IP...]\n");
	return 2;
}

/* An IPv4 or IPv6 address, its port:  ADDR4[:PORT], ADDR6, [ADDR6]:PORT (53 when none). */
struct addr {
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} u;
	socklen_t len;
};

static int parse_addr(const char *s, struct addr *ret)
{
	char host[64];
	const char *colon = strchr(s, ':'), *end;
	uint16_t port = 53;

	memset(ret, 0, sizeof(*ret));
	if (s[0] == '[' && (end = strchr(s, ']'))) {
		snprintf(host, sizeof(host), "%.*s", (int)(end - s - 1), s + 1);
		if (end[1] == ':')
			port = (uint16_t)atoi(end + 2);
	} else if (colon && strchr(colon + 1, ':')) {
		snprintf(host, sizeof(host), "%s", s);
	} else {
		snprintf(host, sizeof(host), "%.*s", colon ? (int)(colon - s) : (int)strlen(s), s);
		if (colon)
			port = (uint16_t)atoi(colon + 1);
	}
	if (inet_pton(AF_INET6, host, &ret->u.in6.sin6_addr) == 1) {
		ret->u.in6.sin6_family = AF_INET6;
		ret->u.in6.sin6_port = htons(port);
		ret->len = sizeof(ret->u.in6);
		return 0;
	}
	ret->u.in.sin_family = AF_INET;
	ret->u.in.sin_port = htons(port);
	ret->len = sizeof(ret->u.in);
	return inet_pton(AF_INET, host, &ret->u.in.sin_addr) == 1 ? 0 : -1;
}

static bool wait_in(int fd, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, timeout_ms) == 1;
}

static bool read_full(int fd, uint8_t *buf, size_t len, int timeout_ms)
{
	for (size_t off = 0; off < len;) {
		ssize_t n;

		if (!wait_in(fd, timeout_ms))
			return false;
		n = read(fd, buf + off, len - off);
		if (n <= 0)
			return false;
		off += (size_t)n;
	}
	return true;
}

static void print_answer(const uint8_t *buf, size_t len)
{
	ldns_pkt *p = NULL;
	ldns_rr_list *an;
	char *rc;

	if (ldns_wire2pkt(&p, buf, len) != LDNS_STATUS_OK) {
		printf("MALFORMED size=%zu\n", len);
		return;
	}
	rc = ldns_pkt_rcode2str(ldns_pkt_get_rcode(p));
	printf("%s%s%s", rc ? rc : "?", ldns_pkt_aa(p) ? " aa" : "", ldns_pkt_tc(p) ? " tc" : "");
	free(rc);
	an = ldns_pkt_answer(p);
	for (size_t i = 0; an && i < ldns_rr_list_rr_count(an); i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);
		char *s = ldns_rr_rd_count(rr) ? ldns_rdf2str(ldns_rr_rdf(rr, 0)) : NULL;

		printf(" %s", s ? s : "?");
		free(s);
	}
	printf(" size=%zu\n", len);
	ldns_pkt_free(p);
}

static int query(int argc, char **argv)
{
	static const struct option opts[] = {
		{"tcp", no_argument, NULL, 't'},	   {"type", required_argument, NULL, 'y'},
		{"bind", required_argument, NULL, 'b'},	   {"edns", required_argument, NULL, 'e'},
		{"timeout", required_argument, NULL, 'T'}, {NULL, 0, NULL, 0},
	};
	const char *type = "A", *bind_to = NULL;
	int timeout = 2000, edns = 0, c, fd;
	bool tcp = false;
	struct addr srv, src;
	ldns_pkt *q;
	uint8_t *wire = NULL, buf[65536];
	size_t wlen = 0;
	ssize_t n;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 't')
			tcp = true;
		else if (c == 'y')
			type = optarg;
		else if (c == 'b')
			bind_to = optarg;
		else if (c == 'e')
			edns = atoi(optarg);
		else if (c == 'T')
			timeout = atoi(optarg);
		else
			return usage();
	}
	if (argc - optind != 2 || parse_addr(argv[optind], &srv) < 0)
		return usage();
	q = ldns_pkt_query_new(ldns_dname_new_frm_str(argv[optind + 1]), ldns_get_rr_type_by_name(type),
			       LDNS_RR_CLASS_IN, LDNS_RD);
	if (!q)
		return usage();
	ldns_pkt_set_random_id(q);
	if (edns)
		ldns_pkt_set_edns_udp_size(q, (uint16_t)edns);
	if (ldns_pkt2wire(&wire, q, &wlen) != LDNS_STATUS_OK)
		return 1;
	fd = socket(srv.u.sa.sa_family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	/* the port of ADDR is 53 by default: 0 here, any */
	if (bind_to && (parse_addr(bind_to, &src) < 0 || (src.u.in.sin_port = 0, bind(fd, &src.u.sa, src.len)) < 0)) {
		perror("bind");
		return 1;
	}
	if (tcp) {
		uint8_t hdr[2] = {(uint8_t)(wlen >> 8), (uint8_t)wlen};
		struct timeval tv = {timeout / 1000, (timeout % 1000) * 1000};

		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, &srv.u.sa, srv.len) < 0 || write(fd, hdr, 2) != 2 ||
		    write(fd, wire, wlen) != (ssize_t)wlen || !read_full(fd, hdr, 2, timeout) ||
		    !read_full(fd, buf, (size_t)(hdr[0] << 8 | hdr[1]), timeout)) {
			printf("TIMEOUT %s\n", strerror(errno));
			return 3;
		}
		n = hdr[0] << 8 | hdr[1];
	} else {
		if (sendto(fd, wire, wlen, 0, &srv.u.sa, srv.len) < 0 || !wait_in(fd, timeout) ||
		    (n = recv(fd, buf, sizeof(buf), 0)) < 0) {
			printf("TIMEOUT\n");
			return 3;
		}
	}
	print_answer(buf, (size_t)n);
	free(wire);
	ldns_pkt_free(q);
	close(fd);
	return 0;
}

struct rec {
	char name[256];
	struct in_addr ip;
};

static uint8_t *serve_answer(const uint8_t *in, size_t len, const struct rec *recs, size_t n, FILE *log, size_t *ret)
{
	ldns_pkt *q = NULL, *a;
	ldns_rr *qrr;
	uint8_t *wire = NULL;
	char *name;

	if (ldns_wire2pkt(&q, in, len) != LDNS_STATUS_OK || ldns_pkt_qdcount(q) != 1) {
		ldns_pkt_free(q);
		return NULL;
	}
	qrr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
	name = ldns_rdf2str(ldns_rr_owner(qrr));
	if (log && name) {
		fprintf(log, "%s\n", name);
		fflush(log);
	}
	a = ldns_pkt_new();
	ldns_pkt_set_id(a, ldns_pkt_id(q));
	ldns_pkt_set_qr(a, true);
	ldns_pkt_set_aa(a, true);
	ldns_pkt_set_rd(a, ldns_pkt_rd(q));
	ldns_pkt_set_ra(a, true);
	ldns_pkt_push_rr(a, LDNS_SECTION_QUESTION, ldns_rr_clone(qrr));
	ldns_pkt_set_rcode(a, LDNS_RCODE_NXDOMAIN);
	for (size_t i = 0; name && i < n; i++) {
		if (strcasecmp(recs[i].name, name) != 0)
			continue;
		ldns_pkt_set_rcode(a, LDNS_RCODE_NOERROR);
		if (ldns_rr_get_type(qrr) == LDNS_RR_TYPE_A) {
			ldns_rr *rr = ldns_rr_new();

			ldns_rr_set_owner(rr, ldns_rdf_clone(ldns_rr_owner(qrr)));
			ldns_rr_set_type(rr, LDNS_RR_TYPE_A);
			ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
			ldns_rr_set_ttl(rr, 60);
			ldns_rr_push_rdf(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, 4, &recs[i].ip));
			ldns_pkt_push_rr(a, LDNS_SECTION_ANSWER, rr);
		}
	}
	if (ldns_pkt2wire(&wire, a, ret) != LDNS_STATUS_OK)
		wire = NULL;
	free(name);
	ldns_pkt_free(q);
	ldns_pkt_free(a);
	return wire;
}

static int serve(int argc, char **argv)
{
	static const struct option opts[] = {{"log", required_argument, NULL, 'l'}, {NULL, 0, NULL, 0}};
	struct addr sa;
	struct rec *recs;
	size_t n = 0;
	FILE *log = NULL;
	int c, u, t, one = 1;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'l')
			return usage();
		log = fopen(optarg, "ae");
	}
	if (argc - optind < 1 || parse_addr(argv[optind], &sa) < 0)
		return usage();
	recs = calloc((size_t)argc, sizeof(*recs));
	for (int i = optind + 1; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');

		if (!eq || inet_pton(AF_INET, eq + 1, &recs[n].ip) != 1)
			return usage();
		snprintf(recs[n].name, sizeof(recs[n].name), "%.*s%s", (int)(eq - argv[i]), argv[i],
			 eq[-1] == '.' ? "" : ".");
		n++;
	}
	u = socket(sa.u.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	t = socket(sa.u.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(u, &sa.u.sa, sa.len) < 0 || bind(t, &sa.u.sa, sa.len) < 0 || listen(t, 16) < 0) {
		perror("bind");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		struct pollfd p[2] = {{.fd = u, .events = POLLIN}, {.fd = t, .events = POLLIN}};
		uint8_t buf[65536], *ans;
		size_t alen = 0;

		if (poll(p, 2, -1) < 0)
			continue;
		if (p[0].revents) {
			struct sockaddr_storage peer;
			socklen_t pl = sizeof(peer);
			ssize_t len = recvfrom(u, buf, sizeof(buf), 0, (void *)&peer, &pl);

			if (len > 0 && (ans = serve_answer(buf, (size_t)len, recs, n, log, &alen))) {
				sendto(u, ans, alen, 0, (void *)&peer, pl);
				free(ans);
			}
		}
		if (p[1].revents) {
			int fd = accept4(t, NULL, NULL, SOCK_CLOEXEC);
			uint8_t hdr[2];

			if (fd < 0)
				continue;
			if (read_full(fd, hdr, 2, 2000) && read_full(fd, buf, (size_t)(hdr[0] << 8 | hdr[1]), 2000) &&
			    (ans = serve_answer(buf, (size_t)(hdr[0] << 8 | hdr[1]), recs, n, log, &alen))) {
				hdr[0] = (uint8_t)(alen >> 8);
				hdr[1] = (uint8_t)alen;
				if (write(fd, hdr, 2) == 2 && write(fd, ans, alen) == (ssize_t)alen) {
					/* sent */
				}
				free(ans);
			}
			close(fd);
		}
	}
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "query") == 0)
		return query(argc - 1, argv + 1);
	if (strcmp(argv[1], "serve") == 0)
		return serve(argc - 1, argv + 1);
	return usage();
}
