/* netd's DNS answers: one query in wire format, parsed by ldns, answered from the names index or marked for forwarding.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "netd/daemon/dns_int.h"

#define HEADER 12
#define NAME_MAX_TEXT 256

/* The query's name as lower-case dotted text without the final dot; false when it is not plain text (or the root). */
static bool qname_text(const ldns_rdf *rdf, char *buf, size_t *ret_len)
{
	const uint8_t *d = ldns_rdf_data(rdf);
	size_t size = ldns_rdf_size(rdf), i = 0, n = 0;

	while (i < size && d[i]) {
		uint8_t l = d[i++];

		if (l > 63 || i + l > size || n + l + 1 >= NAME_MAX_TEXT)
			return false;
		if (n)
			buf[n++] = '.';
		for (uint8_t k = 0; k < l; k++) {
			unsigned char c = d[i + k];

			/* a dot or a byte outside names' alphabet inside a label is never one of ours */
			if (!isalnum(c) && c != '-' && c != '_')
				return false;
			buf[n++] = (char)tolower(c);
		}
		i += l;
	}
	buf[n] = '\0';
	*ret_len = n;
	return n > 0;
}

static bool ends_with(const char *s, size_t len, const char *suffix, size_t slen)
{
	return len > slen && s[len - slen - 1] == '.' && strncasecmp(s + len - slen, suffix, slen) == 0;
}

/* The addresses of name on network net: IPv6 (struct in6_addr) or IPv4 (uint32_t) ones. */
static size_t lookup(const struct dns_view *v, bool v6, const char *net, const char *name, size_t len, void *ret,
		     size_t max)
{
	return v6 ? names_lookup6(v->nx, net, name, len, ret, max) : names_lookup4(v->nx, net, name, len, ret, max);
}

/*
 * Addresses of name of one family on the view's networks, each once: every
 * network in order, then NAME.NETWORK of one of them.
 */
static size_t find(const struct dns_view *v, bool v6, const char *name, size_t len, void *ret, size_t max)
{
	size_t size = v6 ? sizeof(struct in6_addr) : sizeof(uint32_t), n = 0;
	uint8_t *out = ret;

	for (size_t i = 0; i < v->n_nets && n < max; i++) {
		union {
			uint32_t v4[DNS_MAX_ANSWERS];
			struct in6_addr v6[DNS_MAX_ANSWERS];
		} got;
		size_t k = lookup(v, v6, v->nets[i].name, name, len, &got, DNS_MAX_ANSWERS);

		for (size_t j = 0; j < k && n < max; j++) {
			const uint8_t *a = (const uint8_t *)&got + j * size;
			bool seen = false;

			for (size_t x = 0; x < n && !seen; x++)
				seen = memcmp(out + x * size, a, size) == 0;
			if (!seen)
				memcpy(out + n++ * size, a, size);
		}
	}
	if (n)
		return n;
	for (size_t i = 0; i < v->n_nets; i++) {
		size_t nl = strlen(v->nets[i].name);

		if (ends_with(name, len, v->nets[i].name, nl))
			return lookup(v, v6, v->nets[i].name, name, len - nl - 1, ret, max);
	}
	return 0;
}

/* "d.c.b.a.in-addr.arpa" -> a.b.c.d; false when it is not one address. */
static bool ptr_addr(const char *name, size_t len, uint32_t *ret)
{
	static const char suffix[] = "in-addr.arpa";
	unsigned b[4];
	char tail[16];
	int used = 0;

	if (!ends_with(name, len, suffix, sizeof(suffix) - 1))
		return false;
	if (sscanf(name, "%3u.%3u.%3u.%3u.%15[a-z-.]%n", &b[0], &b[1], &b[2], &b[3], tail, &used) != 5 ||
	    (size_t)used != len || strcmp(tail, suffix) != 0)
		return false;
	for (int i = 0; i < 4; i++)
		if (b[i] > 255)
			return false;
	*ret = b[3] << 24 | b[2] << 16 | b[1] << 8 | b[0];
	return true;
}

/* "b.a.9.8....ip6.arpa" (32 nibbles, the last first) -> the address; false when it is not one address. */
static bool ptr_addr6(const char *name, size_t len, struct in6_addr *ret)
{
	static const char suffix[] = "ip6.arpa";

	if (len != 32 * 2 + sizeof(suffix) - 1 || !ends_with(name, len, suffix, sizeof(suffix) - 1))
		return false;
	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; i < 32; i++) {
		char c = name[2 * i];
		unsigned v;

		if (name[2 * i + 1] != '.' || !isxdigit((unsigned char)c))
			return false;
		v = (unsigned)(isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10);
		/* nibble i counts from the address's end */
		ret->s6_addr[15 - i / 2] |= (uint8_t)(i % 2 ? v << 4 : v);
	}
	return true;
}

static ldns_pkt *reply_new(const ldns_pkt *q, uint8_t rcode, bool aa, bool ra)
{
	ldns_pkt *p = ldns_pkt_new();
	ldns_rr_list *ql = ldns_pkt_question(q);

	if (!p)
		return NULL;
	ldns_pkt_set_id(p, ldns_pkt_id(q));
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_opcode(p, ldns_pkt_get_opcode(q));
	ldns_pkt_set_rd(p, ldns_pkt_rd(q));
	ldns_pkt_set_cd(p, ldns_pkt_cd(q));
	ldns_pkt_set_aa(p, aa);
	ldns_pkt_set_ra(p, ra);
	ldns_pkt_set_rcode(p, rcode);
	if (ql && ldns_rr_list_rr_count(ql) == 1) {
		ldns_rr *c = ldns_rr_clone(ldns_rr_list_rr(ql, 0));

		if (!c || !ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, c)) {
			ldns_rr_free(c);
			ldns_pkt_free(p);
			return NULL;
		}
	}
	if (ldns_pkt_edns(q))
		ldns_pkt_set_edns_udp_size(p, DNS_EDNS_SIZE);
	return p;
}

static int push_answer(ldns_pkt *p, const ldns_rdf *owner, ldns_rr_type type, unsigned ttl, ldns_rdf *data)
{
	ldns_rr *rr = ldns_rr_new();
	ldns_rdf *o = owner ? ldns_rdf_clone(owner) : NULL;

	if (!rr || !o || !data) {
		ldns_rr_free(rr);
		ldns_rdf_deep_free(o);
		ldns_rdf_deep_free(data);
		return -ENOMEM;
	}
	ldns_rr_set_owner(rr, o);
	ldns_rr_set_type(rr, type);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, ttl);
	if (!ldns_rr_push_rdf(rr, data)) {
		ldns_rdf_deep_free(data);
		ldns_rr_free(rr);
		return -ENOMEM;
	}
	if (!ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr)) {
		ldns_rr_free(rr);
		return -ENOMEM;
	}
	return 0;
}

/* Wire form within limit: answers dropped from the end, with TC, until it fits. */
static int to_wire(ldns_pkt *p, size_t limit, uint8_t **ret, size_t *ret_len)
{
	for (;;) {
		uint8_t *w = NULL;
		size_t n = 0;
		ldns_rr_list *an;
		ldns_rr *last;

		if (ldns_pkt2wire(&w, p, &n) != LDNS_STATUS_OK)
			return -ENOMEM;
		an = ldns_pkt_answer(p);
		if (n <= limit || !an || ldns_rr_list_rr_count(an) == 0) {
			*ret = w;
			*ret_len = n;
			return DNS_ANSWER;
		}
		free(w);
		last = ldns_rr_list_pop_rr(an);
		ldns_rr_free(last);
		ldns_pkt_set_ancount(p, (uint16_t)ldns_rr_list_rr_count(an));
		ldns_pkt_set_tc(p, true);
	}
}

/* The largest answer for this query over UDP, or over TCP (no spoofed source there: no amplification). */
static size_t answer_limit(const ldns_pkt *q, size_t len, bool udp)
{
	size_t limit = 512;

	if (!udp)
		return 65535;
	if (ldns_pkt_edns(q) && ldns_pkt_edns_udp_size(q) > limit)
		limit = ldns_pkt_edns_udp_size(q) < DNS_EDNS_SIZE ? ldns_pkt_edns_udp_size(q) : DNS_EDNS_SIZE;
	return limit < len * DNS_AMPLIFICATION ? limit : len * DNS_AMPLIFICATION;
}

size_t dns_question_end(const uint8_t *q, size_t len)
{
	size_t i = HEADER;

	if (len < HEADER || (q[4] << 8 | q[5]) != 1)
		return 0;
	while (i < len && q[i]) {
		if (q[i] > 63)
			return 0;
		i += (size_t)q[i] + 1;
	}
	return i + 5 <= len ? i + 5 : 0;
}

int dns_answer_error(const uint8_t *q, size_t len, uint8_t rcode, uint8_t **ret, size_t *ret_len)
{
	ldns_pkt *pq = NULL, *p;
	int r;

	if (len < HEADER || (q[2] & 0x80))
		return DNS_DROP;
	if (ldns_wire2pkt(&pq, q, len) != LDNS_STATUS_OK) {
		/* not even parseable: the header alone answers it */
		uint8_t *w = calloc(1, HEADER);

		if (!w)
			return -ENOMEM;
		memcpy(w, q, 2);
		w[2] = (uint8_t)(0x80 | (q[2] & 0x79)); /* QR, the opcode and RD kept */
		w[3] = rcode & 0x0f;
		*ret = w;
		*ret_len = HEADER;
		return DNS_ANSWER;
	}
	p = reply_new(pq, rcode, false, true);
	ldns_pkt_free(pq);
	if (!p)
		return -ENOMEM;
	r = to_wire(p, 65535, ret, ret_len);
	ldns_pkt_free(p);
	return r;
}

/* The PTR of an address (ip6 NULL: IPv4 ip) of an endpoint of the view's networks, when one has it. */
static int answer_ptr(const struct dns_view *v, ldns_pkt *p, const ldns_rdf *owner, uint32_t ip,
		      const struct in6_addr *ip6, bool *ret_found)
{
	for (size_t i = 0; i < v->n_nets; i++) {
		const char *name =
			ip6 ? names_reverse6(v->nx, v->nets[i].name, ip6) : names_reverse4(v->nx, v->nets[i].name, ip);
		char target[NAME_MAX_TEXT + 160];

		if (!name)
			continue;
		snprintf(target, sizeof(target), "%s.%s.%s%s", name, v->nets[i].name, v->domain ? v->domain : "",
			 v->domain ? "." : "");
		/* a long name with its network and domain may not fit a DNS name: the name alone then */
		if (strlen(target) > 253)
			snprintf(target, sizeof(target), "%s.", name);
		*ret_found = true;
		return push_answer(p, owner, LDNS_RR_TYPE_PTR, v->ttl, ldns_dname_new_frm_str(target));
	}
	*ret_found = false;
	return 0;
}

static bool in_our_subnets(const struct dns_view *v, uint32_t ip, const struct in6_addr *ip6)
{
	for (size_t i = 0; i < v->n_nets; i++) {
		if (!ip6 && baddr_in4(&v->nets[i].subnet, ip))
			return true;
		if (ip6 && v->nets[i].subnet6.prefix && baddr_in6(&v->nets[i].subnet6, ip6))
			return true;
	}
	return false;
}

/*
 * The question is ours to answer (p gets the rcode and answers), or not
 * (*ret_forward). Names under the configured domain are always ours.
 */
static int resolve(const struct dns_view *v, const ldns_rr *qrr, ldns_pkt *p, bool *ret_forward)
{
	char name[NAME_MAX_TEXT];
	size_t len = 0, n;
	uint32_t addrs[DNS_MAX_ANSWERS], ip = 0;
	struct in6_addr addrs6[DNS_MAX_ANSWERS], ip6;
	size_t n6;
	ldns_rr_type type = ldns_rr_get_type(qrr);
	const ldns_rdf *owner = ldns_rr_owner(qrr);
	bool zone = false, found, v6 = false;
	int r;

	*ret_forward = false;
	if (!qname_text(owner, name, &len)) {
		*ret_forward = true;
		return 0;
	}
	if (type == LDNS_RR_TYPE_PTR && (ptr_addr(name, len, &ip) || (v6 = ptr_addr6(name, len, &ip6)))) {
		r = answer_ptr(v, p, owner, ip, v6 ? &ip6 : NULL, &found);
		if (r < 0 || found)
			return r;
		if (in_our_subnets(v, ip, v6 ? &ip6 : NULL))
			ldns_pkt_set_rcode(p, LDNS_RCODE_NXDOMAIN);
		else
			*ret_forward = true;
		return 0;
	}
	if (v->domain) {
		size_t dl = strlen(v->domain);

		if (len == dl && strcasecmp(name, v->domain) == 0)
			return 0; /* the domain itself: no data */
		if (ends_with(name, len, v->domain, dl)) {
			zone = true;
			len -= dl + 1;
			name[len] = '\0';
		}
	}
	n = find(v, false, name, len, addrs, DNS_MAX_ANSWERS);
	n6 = find(v, true, name, len, addrs6, DNS_MAX_ANSWERS);
	if (n == 0 && n6 == 0) {
		if (zone)
			ldns_pkt_set_rcode(p, LDNS_RCODE_NXDOMAIN);
		else
			*ret_forward = true;
		return 0;
	}
	/* a name of ours: A and AAAA records; any other type (or a family it lacks) has no data */
	for (size_t i = 0; type == LDNS_RR_TYPE_A && i < n; i++) {
		uint32_t be = htonl(addrs[i]);

		r = push_answer(p, owner, LDNS_RR_TYPE_A, v->ttl, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, 4, &be));
		if (r < 0)
			return r;
	}
	for (size_t i = 0; type == LDNS_RR_TYPE_AAAA && i < n6; i++) {
		r = push_answer(p, owner, LDNS_RR_TYPE_AAAA, v->ttl,
				ldns_rdf_new_frm_data(LDNS_RDF_TYPE_AAAA, sizeof(addrs6[i]), &addrs6[i]));
		if (r < 0)
			return r;
	}
	return 0;
}

int dns_answer(const struct dns_view *v, const uint8_t *q, size_t len, bool udp, uint8_t **ret, size_t *ret_len)
{
	ldns_pkt *pq = NULL, *p = NULL;
	const ldns_rr *qrr;
	bool forward = false;
	uint8_t rcode = LDNS_RCODE_NOERROR;
	int r;

	if (len < HEADER || (q[2] & 0x80))
		return DNS_DROP;
	if (ldns_wire2pkt(&pq, q, len) != LDNS_STATUS_OK)
		return dns_answer_error(q, len, LDNS_RCODE_FORMERR, ret, ret_len);
	if (ldns_pkt_get_opcode(pq) != LDNS_PACKET_QUERY)
		rcode = LDNS_RCODE_NOTIMPL;
	else if (ldns_pkt_qdcount(pq) != 1 || ldns_rr_list_rr_count(ldns_pkt_question(pq)) != 1)
		rcode = LDNS_RCODE_FORMERR;
	qrr = rcode ? NULL : ldns_rr_list_rr(ldns_pkt_question(pq), 0);
	/* ANY: refused outright, as an amplifier's favourite (RFC 8482 allows it) */
	if (qrr && ldns_rr_get_type(qrr) == LDNS_RR_TYPE_ANY)
		rcode = LDNS_RCODE_NOTIMPL;
	else if (qrr && ldns_rr_get_class(qrr) != LDNS_RR_CLASS_IN)
		rcode = LDNS_RCODE_REFUSED;
	p = reply_new(pq, rcode, rcode == LDNS_RCODE_NOERROR, v->forward);
	if (!p) {
		ldns_pkt_free(pq);
		return -ENOMEM;
	}
	if (rcode == LDNS_RCODE_NOERROR) {
		r = resolve(v, qrr, p, &forward);
		if (r < 0)
			goto out;
		if (forward && v->forward) {
			r = DNS_FORWARD;
			goto out;
		}
		if (forward) {
			/* an internal network: a stub resolver goes on to its next nameserver, if it has one */
			ldns_pkt_set_aa(p, false);
			ldns_pkt_set_rcode(p, LDNS_RCODE_REFUSED);
		}
	}
	r = to_wire(p, answer_limit(pq, len, udp), ret, ret_len);
out:
	ldns_pkt_free(p);
	ldns_pkt_free(pq);
	return r;
}
