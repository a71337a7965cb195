/* netd's DNS without sockets: the names index, answers to queries, resolv.conf, names in records and requests. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ldns/ldns.h>

#include "addr.h"
#include "fileutil.h"
#include "jsonutil.h"
#include "netd/daemon/config.h"
#include "netd/daemon/dns_int.h"
#include "netd/daemon/request.h"
#include "netd/engine/names.h"
#include "netd/engine/record.h"
#include "netd/engine/store.h"
#include "runtime/net.h"

static struct names_ep ep(const char *network, const char *id, const char *name, uint32_t ip, uint64_t ino)
{
	static const char *const aliases[] = {"www", NULL};

	return (struct names_ep){
		.source = NAMES_SOURCE_LOCAL,
		.network = network,
		.id = id,
		.ifname = "eth0",
		.name = name,
		.aliases = aliases,
		.n_aliases = strcmp(name, "web") == 0 ? 1 : 0,
		.ip4 = ip,
		.netns_dev = 4,
		.netns_ino = ino,
	};
}

static size_t lookup(const struct names *nx, const char *net, const char *name, uint32_t *ret)
{
	return names_lookup4(nx, net, name, strlen(name), ret, 8);
}

Test(names, put_replace_delete)
{
	struct names *nx = NULL;
	struct names_ep a = ep("n1", "c1", "web", 0x0a000002, 100), b = ep("n1", "c2", "db", 0x0a000003, 101);
	uint32_t got[8];
	const char *nets[4];

	cr_assert_eq(names_new(&nx), 0);
	cr_assert_eq(names_put(nx, &a), 0);
	cr_assert_eq(names_put(nx, &b), 0);
	cr_assert_eq(lookup(nx, "n1", "WEB", got), 1, "case does not matter");
	cr_assert_eq(got[0], 0x0a000002);
	cr_assert_eq(lookup(nx, "n1", "www", got), 1);
	cr_assert_eq(lookup(nx, "n2", "web", got), 0, "another network");
	cr_assert_str_eq(names_reverse4(nx, "n1", 0x0a000003), "db");
	/* attached again elsewhere: the entry moves */
	a.ip4 = 0x0a000009;
	cr_assert_eq(names_put(nx, &a), 0);
	cr_assert_eq(names_count(nx), 2);
	cr_assert_eq(lookup(nx, "n1", "web", got), 1);
	cr_assert_eq(got[0], 0x0a000009);
	cr_assert_null(names_reverse4(nx, "n1", 0x0a000002));
	/* the same container on a second network */
	a.network = "n2";
	a.ip4 = 0x0b000002;
	cr_assert_eq(names_put(nx, &a), 0);
	cr_assert_eq(names_client_networks(nx, "n1", 0x0a000009, nets, 4), 2);
	cr_assert_str_eq(nets[0], "n1");
	cr_assert_str_eq(nets[1], "n2");
	cr_assert_eq(names_client_networks(nx, "n1", 0x0a000003, nets, 4), 1, "db is on n1 only");
	cr_assert_eq(names_del(nx, NAMES_SOURCE_LOCAL, NULL, "c1", NULL), 2);
	cr_assert_eq(lookup(nx, "n1", "web", got), 0);
	/* a re-read of a network replaces what a source had there, and only that */
	a.network = "n1";
	a.source = "fabric:h2";
	cr_assert_eq(names_put(nx, &a), 0);
	cr_assert_eq(names_replace(nx, NAMES_SOURCE_LOCAL, "n1", NULL, 0), 0);
	cr_assert_eq(lookup(nx, "n1", "db", got), 0);
	cr_assert_eq(lookup(nx, "n1", "web", got), 1, "the fabric's entry stays");
	names_free(nx);
}

Test(names, many_entries)
{
	struct names *nx = NULL;
	uint32_t got[8];
	char id[16], name[16];

	cr_assert_eq(names_new(&nx), 0);
	for (unsigned i = 0; i < 5000; i++) {
		struct names_ep e;

		snprintf(id, sizeof(id), "c%u", i);
		snprintf(name, sizeof(name), "n%u", i);
		e = ep("big", id, name, 0x0a000000 + i, 10000 + i);
		cr_assert_eq(names_put(nx, &e), 0);
	}
	cr_assert_eq(lookup(nx, "big", "n4321", got), 1);
	cr_assert_eq(got[0], 0x0a000000 + 4321);
	for (unsigned i = 0; i < 5000; i += 2) {
		snprintf(id, sizeof(id), "c%u", i);
		cr_assert_eq(names_del(nx, NAMES_SOURCE_LOCAL, "big", id, "eth0"), 1);
	}
	cr_assert_eq(names_count(nx), 2500);
	cr_assert_eq(lookup(nx, "big", "n4320", got), 0);
	cr_assert_eq(lookup(nx, "big", "n4321", got), 1);
	names_free(nx);
}

Test(names, dns_names)
{
	cr_assert(bdns_name_valid("web"));
	cr_assert(bdns_name_valid("web-1.front_end"));
	cr_assert(bdns_name_valid("A1"));
	cr_assert_not(bdns_name_valid(""));
	cr_assert_not(bdns_name_valid("-web"));
	cr_assert_not(bdns_name_valid("web..x"));
	cr_assert_not(bdns_name_valid("web."));
	cr_assert_not(bdns_name_valid("a.-b"));
	cr_assert_not(bdns_name_valid("we b"));
	cr_assert_not(bdns_name_valid("a/b"));
	char label[80];

	memset(label, 'x', 64);
	label[64] = '\0';
	cr_assert_not(bdns_name_valid(label), "a label of 64");
	label[63] = '\0';
	cr_assert(bdns_name_valid(label));
}

/* ------------------------------------------------------------------ answers */

static struct names *nx;
static struct dns_view_net nets[] = {{"front", {0x0a420000, 16}, {IN6ADDR_ANY_INIT, 0}},
				     {"back", {0x0a460000, 24}, {IN6ADDR_ANY_INIT, 0}}};

static void fill(void)
{
	cr_assert_eq(baddr_parse_cidr6("fd00:42::/64", false, &nets[0].subnet6, NULL), 0);
	cr_assert_eq(baddr_parse_cidr6("fd00:46::/64", false, &nets[1].subnet6, NULL), 0);
	struct names_ep a = ep("front", "c1", "web", 0x0a420002, 100), b = ep("back", "c2", "db", 0x0a460005, 101);

	cr_assert_eq(names_new(&nx), 0);
	cr_assert_eq(names_put(nx, &a), 0);
	cr_assert_eq(names_put(nx, &b), 0);
	{
		/* dual stack on front; IPv6 only (no IPv4 address) on back */
		struct names_ep d = ep("front", "c3", "dual", 0x0a420007, 102), o = ep("back", "c4", "only6", 0, 103);

		inet_pton(AF_INET6, "fd00:42::7", &d.ip6);
		inet_pton(AF_INET6, "fd00:46::9", &o.ip6);
		cr_assert_eq(names_put(nx, &d), 0);
		cr_assert_eq(names_put(nx, &o), 0);
	}
	for (unsigned i = 0; i < 60; i++) {
		char id[16];
		struct names_ep m = ep("front", id, "many", 0x0a421000 + i, 200 + i);

		snprintf(id, sizeof(id), "m%u", i);
		cr_assert_eq(names_put(nx, &m), 0);
	}
}

static void unfill(void)
{
	names_free(nx);
	nx = NULL;
}

TestSuite(dns_answer, .init = fill, .fini = unfill);

/* Ask name/type of a view (forward, domain); the verdict, and the answer parsed when there is one. */
static int ask(const char *name, ldns_rr_type type, bool fwd, const char *domain, bool udp, ldns_pkt **ret,
	       size_t *ret_len)
{
	struct dns_view v = {.nx = nx, .nets = nets, .n_nets = 2, .domain = domain, .ttl = 2, .forward = fwd};
	ldns_pkt *q = ldns_pkt_query_new(ldns_dname_new_frm_str(name), type, LDNS_RR_CLASS_IN, LDNS_RD);
	uint8_t *w = NULL, *ans = NULL;
	size_t wl = 0, al = 0;
	int r;

	ldns_pkt_set_id(q, 0x4242);
	cr_assert_eq(ldns_pkt2wire(&w, q, &wl), LDNS_STATUS_OK);
	r = dns_answer(&v, w, wl, udp, &ans, &al);
	*ret = NULL;
	if (r == DNS_ANSWER) {
		cr_assert_eq(ldns_wire2pkt(ret, ans, al), LDNS_STATUS_OK);
		cr_assert_eq(ldns_pkt_id(*ret), 0x4242);
		cr_assert(ldns_pkt_qr(*ret));
	}
	if (ret_len)
		*ret_len = al;
	free(w);
	free(ans);
	ldns_pkt_free(q);
	return r;
}

static uint32_t first_a(const ldns_pkt *p)
{
	ldns_rr_list *an = ldns_pkt_answer(p);
	uint32_t be;

	cr_assert(ldns_rr_list_rr_count(an) > 0);
	memcpy(&be, ldns_rdf_data(ldns_rr_rdf(ldns_rr_list_rr(an, 0), 0)), 4);
	return ntohl(be);
}

Test(dns_answer, names_and_aliases)
{
	ldns_pkt *p;

	cr_assert_eq(ask("web.", LDNS_RR_TYPE_A, true, NULL, true, &p, NULL), DNS_ANSWER);
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	cr_assert(ldns_pkt_aa(p));
	cr_assert_eq(first_a(p), 0x0a420002);
	cr_assert_eq(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(p), 0)), 2);
	ldns_pkt_free(p);
	cr_assert_eq(ask("WWW.front.", LDNS_RR_TYPE_A, true, NULL, true, &p, NULL), DNS_ANSWER);
	cr_assert_eq(first_a(p), 0x0a420002);
	ldns_pkt_free(p);
	cr_assert_eq(ask("db.", LDNS_RR_TYPE_A, true, NULL, true, &p, NULL), DNS_ANSWER, "the second network");
	cr_assert_eq(first_a(p), 0x0a460005);
	ldns_pkt_free(p);
	/* a name of ours without data of that type */
	cr_assert_eq(ask("web.", LDNS_RR_TYPE_AAAA, true, NULL, true, &p, NULL), DNS_ANSWER);
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	cr_assert_eq(ldns_pkt_ancount(p), 0);
	ldns_pkt_free(p);
}

static const char *first_aaaa(const ldns_pkt *p, char *buf)
{
	ldns_rr_list *an = ldns_pkt_answer(p);
	const ldns_rr *rr;

	cr_assert(ldns_rr_list_rr_count(an) > 0);
	rr = ldns_rr_list_rr(an, 0);
	cr_assert_eq(ldns_rr_get_type(rr), LDNS_RR_TYPE_AAAA);
	return inet_ntop(AF_INET6, ldns_rdf_data(ldns_rr_rdf(rr, 0)), buf, INET6_ADDRSTRLEN);
}

Test(dns_answer, ipv6_addresses)
{
	char b[INET6_ADDRSTRLEN];
	ldns_pkt *p;

	cr_assert_eq(ask("dual.", LDNS_RR_TYPE_AAAA, true, NULL, true, &p, NULL), DNS_ANSWER);
	cr_assert_eq(ldns_pkt_ancount(p), 1);
	cr_assert_str_eq(first_aaaa(p, b), "fd00:42::7");
	ldns_pkt_free(p);
	cr_assert_eq(ask("dual.", LDNS_RR_TYPE_A, true, NULL, true, &p, NULL), DNS_ANSWER);
	cr_assert_eq(first_a(p), 0x0a420007);
	ldns_pkt_free(p);
	/* IPv6 only: AAAA answers, A has no data (not forwarded: the name is ours), never 0.0.0.0 */
	cr_assert_eq(ask("only6.", LDNS_RR_TYPE_AAAA, true, NULL, true, &p, NULL), DNS_ANSWER);
	cr_assert_str_eq(first_aaaa(p, b), "fd00:46::9");
	ldns_pkt_free(p);
	cr_assert_eq(ask("only6.", LDNS_RR_TYPE_A, true, NULL, true, &p, NULL), DNS_ANSWER);
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	cr_assert_eq(ldns_pkt_ancount(p), 0);
	ldns_pkt_free(p);
	cr_assert_eq(ask("only6.back.", LDNS_RR_TYPE_AAAA, true, NULL, true, &p, NULL), DNS_ANSWER);
	cr_assert_str_eq(first_aaaa(p, b), "fd00:46::9");
	ldns_pkt_free(p);
}

Test(dns_answer, forward_or_not)
{
	ldns_pkt *p;

	cr_assert_eq(ask("example.org.", LDNS_RR_TYPE_A, true, NULL, true, &p, NULL), DNS_FORWARD);
	cr_assert_eq(ask("nope.front.", LDNS_RR_TYPE_A, true, NULL, true, &p, NULL), DNS_FORWARD,
		     "a network's name may be a real domain's");
	/* internal: REFUSED, so a stub tries its next nameserver */
	cr_assert_eq(ask("example.org.", LDNS_RR_TYPE_A, false, NULL, true, &p, NULL), DNS_ANSWER);
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_REFUSED);
	cr_assert_not(ldns_pkt_ra(p));
	ldns_pkt_free(p);
	/* the domain is ours */
	cr_assert_eq(ask("web.berth.internal.", LDNS_RR_TYPE_A, true, "berth.internal", true, &p, NULL), DNS_ANSWER);
	cr_assert_eq(first_a(p), 0x0a420002);
	ldns_pkt_free(p);
	cr_assert_eq(ask("db.back.berth.internal.", LDNS_RR_TYPE_A, true, "berth.internal", true, &p, NULL),
		     DNS_ANSWER);
	cr_assert_eq(first_a(p), 0x0a460005);
	ldns_pkt_free(p);
	cr_assert_eq(ask("nope.berth.internal.", LDNS_RR_TYPE_A, true, "berth.internal", true, &p, NULL), DNS_ANSWER);
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	ldns_pkt_free(p);
	cr_assert_eq(ask("web.", LDNS_RR_TYPE_ANY, true, NULL, true, &p, NULL), DNS_ANSWER);
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOTIMPL);
	ldns_pkt_free(p);
}

Test(dns_answer, reverse)
{
	ldns_pkt *p;
	char *s;

	cr_assert_eq(ask("5.0.70.10.in-addr.arpa.", LDNS_RR_TYPE_PTR, true, NULL, true, &p, NULL), DNS_ANSWER);
	s = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(p), 0), 0));
	cr_assert_str_eq(s, "db.back.");
	free(s);
	ldns_pkt_free(p);
	cr_assert_eq(ask("9.9.66.10.in-addr.arpa.", LDNS_RR_TYPE_PTR, true, NULL, true, &p, NULL), DNS_ANSWER,
		     "ours, without a name: not forwarded");
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	ldns_pkt_free(p);
	cr_assert_eq(ask("1.2.0.192.in-addr.arpa.", LDNS_RR_TYPE_PTR, true, NULL, true, &p, NULL), DNS_FORWARD);
}

/* PTR of ip6.arpa names: fd00:46::9 is only6 on back, fd00:42::7 dual on front. */
Test(dns_answer, reverse6)
{
	ldns_pkt *p;
	char *s;

	cr_assert_eq(ask("9.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.4.0.0.0.0.d.f.ip6.arpa.", LDNS_RR_TYPE_PTR,
			 true, NULL, true, &p, NULL),
		     DNS_ANSWER);
	cr_assert_eq(ldns_pkt_ancount(p), 1);
	s = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(p), 0), 0));
	cr_assert_str_eq(s, "only6.back.");
	free(s);
	ldns_pkt_free(p);
	/* upper-case nibbles, and the domain */
	cr_assert_eq(ask("7.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.4.0.0.0.0.D.F.IP6.ARPA.", LDNS_RR_TYPE_PTR,
			 true, "berth.internal", true, &p, NULL),
		     DNS_ANSWER);
	s = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(p), 0), 0));
	cr_assert_str_eq(s, "dual.front.berth.internal.");
	free(s);
	ldns_pkt_free(p);
	cr_assert_eq(ask("8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.4.0.0.0.0.d.f.ip6.arpa.", LDNS_RR_TYPE_PTR,
			 true, NULL, true, &p, NULL),
		     DNS_ANSWER, "in a subnet of ours, without a name: not forwarded");
	cr_assert_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	ldns_pkt_free(p);
	cr_assert_eq(ask("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.", LDNS_RR_TYPE_PTR,
			 true, NULL, true, &p, NULL),
		     DNS_FORWARD, "another's address");
	/* not one address (too few nibbles, a label of two): forwarded like any name */
	cr_assert_eq(ask("0.0.2.4.0.0.0.0.d.f.ip6.arpa.", LDNS_RR_TYPE_PTR, true, NULL, true, &p, NULL), DNS_FORWARD);
	cr_assert_eq(ask("90.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.4.0.0.0.0.d.f.ip6.arpa.", LDNS_RR_TYPE_PTR,
			 true, NULL, true, &p, NULL),
		     DNS_FORWARD);
	cr_assert_eq(ask("g.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.4.0.0.0.0.d.f.ip6.arpa.", LDNS_RR_TYPE_PTR,
			 true, NULL, true, &p, NULL),
		     DNS_FORWARD);
}

/* The asker by its IPv6 address: the networks of its container. */
Test(names, client_networks6)
{
	struct names *x = NULL;
	struct names_ep a = ep("n1", "c1", "web", 0, 100), b = ep("n2", "c1", "web2", 0x0b000002, 100);
	struct in6_addr ip, other;
	const char *nets6[4];

	inet_pton(AF_INET6, "fd00:1::2", &a.ip6);
	inet_pton(AF_INET6, "fd00:2::2", &b.ip6);
	inet_pton(AF_INET6, "fd00:1::3", &other);
	cr_assert_eq(names_new(&x), 0);
	cr_assert_eq(names_put(x, &a), 0);
	cr_assert_eq(names_put(x, &b), 0);
	ip = a.ip6;
	cr_assert_eq(names_client_networks6(x, "n1", &ip, nets6, 4), 2);
	cr_assert_str_eq(nets6[1], "n2");
	cr_assert_eq(names_client_networks6(x, "n1", &other, nets6, 4), 1, "nobody's address: its network alone");
	cr_assert_eq(names_client_networks6(x, "n2", &ip, nets6, 4), 1, "an address of another network");
	cr_assert_str_eq(names_reverse6(x, "n1", &ip), "web");
	cr_assert_null(names_reverse6(x, "n1", &other));
	cr_assert_null(names_reverse6(x, "n1", &in6addr_any));
	/* moved: the old address is nobody's */
	inet_pton(AF_INET6, "fd00:1::9", &a.ip6);
	cr_assert_eq(names_put(x, &a), 0);
	cr_assert_null(names_reverse6(x, "n1", &ip));
	cr_assert_str_eq(names_reverse6(x, "n1", &a.ip6), "web");
	cr_assert_eq(names_del(x, NAMES_SOURCE_LOCAL, NULL, "c1", NULL), 2);
	cr_assert_null(names_reverse6(x, "n1", &a.ip6));
	names_free(x);
}

Test(dns_answer, no_amplification)
{
	ldns_pkt *p;
	size_t len;

	cr_assert_eq(ask("many.", LDNS_RR_TYPE_A, true, NULL, true, &p, &len), DNS_ANSWER);
	cr_assert(ldns_pkt_tc(p), "truncated over UDP");
	cr_assert_leq(len, 22 * DNS_AMPLIFICATION);
	cr_assert(ldns_pkt_ancount(p) > 0);
	ldns_pkt_free(p);
	cr_assert_eq(ask("many.", LDNS_RR_TYPE_A, true, NULL, false, &p, &len), DNS_ANSWER);
	cr_assert_not(ldns_pkt_tc(p), "whole over TCP");
	cr_assert_eq(ldns_pkt_ancount(p), DNS_MAX_ANSWERS < 60 ? DNS_MAX_ANSWERS : 60);
	ldns_pkt_free(p);
}

Test(dns_answer, malformed)
{
	static const uint8_t shortq[] = {1, 2, 1};
	static const uint8_t junk[] = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0x3f, 'x'};
	static const uint8_t resp[] = {0x12, 0x34, 0x81, 0x80, 0, 0, 0, 0, 0, 0, 0, 0};
	struct dns_view v = {.nx = nx, .nets = nets, .n_nets = 2, .ttl = 2, .forward = true};
	uint8_t *ans = NULL;
	size_t len = 0;

	cr_assert_eq(dns_answer(&v, shortq, sizeof(shortq), true, &ans, &len), DNS_DROP);
	cr_assert_eq(dns_answer(&v, resp, sizeof(resp), true, &ans, &len), DNS_DROP, "a response is never answered");
	cr_assert_eq(dns_answer(&v, junk, sizeof(junk), true, &ans, &len), DNS_ANSWER);
	cr_assert_eq(ans[3] & 0x0f, LDNS_RCODE_FORMERR);
	cr_assert_eq(ans[0], 0x12);
	free(ans);
	cr_assert_eq(dns_question_end(junk, sizeof(junk)), 0);
}

Test(dns_answer, resolv_conf_nameservers)
{
	struct dns_upstreams u;

	dns_upstreams_parse("# x\nsearch lan\nnameserver 127.0.0.53\nnameserver fe80::1%lo\nnameserver bogus\n"
			    "nameserver 10.0.0.1\nnameserver 10.0.0.2\n",
			    &u);
	cr_assert_eq(u.n, 3, "three at most, as glibc");
	cr_assert_eq(u.addr[0].ss_family, AF_INET);
	cr_assert_eq(ntohl(((struct sockaddr_in *)&u.addr[0])->sin_addr.s_addr), 0x7f000035);
	cr_assert_eq(ntohs(((struct sockaddr_in *)&u.addr[0])->sin_port), 53);
	cr_assert_eq(u.addr[1].ss_family, AF_INET6);
	cr_assert_eq(((struct sockaddr_in6 *)&u.addr[1])->sin6_scope_id, 1);
	dns_upstreams_parse("", &u);
	cr_assert_eq(u.n, 0);
}

/* The container's resolv.conf from attach results: each network's gateways, both families, three at most. */
Test(dns_answer, resolv_conf_of_attach_results)
{
	json_t *res = json_loads("[{\"dns\":{\"nameservers\":[\"10.72.0.1\",\"fd00:72::1\"],\"search\":[\"ds\"]}},"
				 " {\"dns\":{\"nameservers\":[\"fd00:73::1\"],\"search\":[\"v6\"]}},"
				 " {\"dns\":{\"nameservers\":[\"10.74.0.1\"],\"search\":[\"ds\"]}}]",
				 0, NULL);
	char *text = rt_net_resolv_text(res);

	cr_assert_not_null(text);
	cr_assert(strstr(text, "nameserver 10.72.0.1\nnameserver fd00:72::1\nnameserver fd00:73::1\nsearch ds v6\n"),
		  "%s", text);
	cr_assert_null(strstr(text, "10.74.0.1"), "a fourth nameserver: %s", text);
	free(text);
	json_decref(res);
}

/* ------------------------------------------------------------------ names in records, requests, config */

#define BAD_ALIAS "{\"op\":\"attach\",\"id\":\"c1\",\"aliases\":[\"-x\"]}"
#define DNS_OP "{\"op\":\"dns\",\"network\":\"n1\"}"
#define DNS_OP_BARE "{\"op\":\"dns\"}"
#define BAD_CFG "{\"dns\":{\"enabled\":false,\"cache\":1}}"

Test(names, records_and_requests)
{
	static const char line[] = "{\"op\":\"attach\",\"id\":\"c1\",\"netns\":\"/run/netns/c1\",\"name\":\"web\","
				   "\"aliases\":[\"www\",\"api.v1\"]}";
	struct eng_endpoint e1 = {.ip = 0x0a000002, .prefix = 16, .mac = {2, 0, 0, 0, 0, 1}, .mtu = 1500};
	static char *al[] = {"www", "api"};
	struct eng_endpoint back;
	struct berr e = BERR_INIT;
	struct req q;
	json_t *j;

	snprintf(e1.network, sizeof(e1.network), "n1");
	snprintf(e1.id, sizeof(e1.id), "c1");
	snprintf(e1.ifname, sizeof(e1.ifname), "eth0");
	snprintf(e1.host_ifname, sizeof(e1.host_ifname), "bv1");
	e1.name = "web";
	e1.aliases = al;
	e1.n_aliases = 2;
	j = record_endpoint_to_json(&e1);
	cr_assert_not_null(j);
	cr_assert_eq(record_endpoint_from_json(j, &back, &e), 0, "%s", e.msg);
	cr_assert_str_eq(back.name, "web");
	cr_assert_eq(back.n_aliases, 2);
	cr_assert_str_eq(back.aliases[1], "api");
	eng_endpoint_clear(&back);
	json_object_set_new(j, "name", json_string("bad name"));
	cr_assert_lt(record_endpoint_from_json(j, &back, &e), 0);
	json_decref(j);
	e1.name = NULL;
	e1.n_aliases = 0;
	j = record_endpoint_to_json(&e1);
	cr_assert_null(json_object_get(j, "name"), "records without names stay as they were");
	cr_assert_null(json_object_get(j, "aliases"));
	json_decref(j);

	cr_assert_eq(req_parse(line, strlen(line), &q, &e), 0, "%s", e.msg);
	cr_assert_str_eq(q.dns_name, "web");
	cr_assert_eq(q.n_aliases, 2);
	cr_assert_str_eq(q.aliases[1], "api.v1");
	req_free(&q);
	berr_clear(&e);
	cr_assert_lt(req_parse(BAD_ALIAS, strlen(BAD_ALIAS), &q, &e), 0);
	cr_assert(strstr(e.msg, "aliases[0]"), "%s", e.msg);
	berr_clear(&e);
	cr_assert_eq(req_parse(DNS_OP, strlen(DNS_OP), &q, &e), 0, "%s", e.msg);
	cr_assert_eq(q.op, REQ_DNS);
	req_free(&q);
	cr_assert_lt(req_parse(DNS_OP_BARE, strlen(DNS_OP_BARE), &q, &e), 0);
}

Test(names, config)
{
	static const char text[] = "{\"dns\":{\"domain\":\"berth.internal\",\"ttl\":5,\"resolv_conf\":\"/tmp/r\","
				   "\"upstream_timeout_ms\":900,\"port\":5353}}";
	struct cfg c;
	struct berr e = BERR_INIT;

	cr_assert_eq(cfg_defaults(&c, &e), 0);
	cr_assert(c.dns.enabled);
	cr_assert_str_eq(c.dns.resolv_conf, "/etc/resolv.conf");
	cr_assert_eq(cfg_parse(&c, text, strlen(text), &e), 0, "%s", e.msg);
	cr_assert_str_eq(c.dns.domain, "berth.internal");
	cr_assert_eq(c.dns.ttl, 5);
	cr_assert_eq(c.dns.port, 5353);
	cr_assert_eq(c.dns.upstream_timeout_ms, 900);
	cfg_free(&c);
	cr_assert_eq(cfg_defaults(&c, &e), 0);
	cr_assert_lt(cfg_parse(&c, BAD_CFG, strlen(BAD_CFG), &e), 0, "unknown key");
	cfg_free(&c);
}

/*
 * A network made while the store's watch runs (as the fabric makes its
 * networks), its endpoints directory after the network's own watch: the
 * records written there are indexed (the directory's event once read a
 * name its own watch's renewal had freed).
 */
Test(dns_watch, network_made_later)
{
	char root[256], path[512];
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct dns_watch_ops ops = {0};
	struct eng_endpoint rec = {.ip = 0x0a460102, .prefix = 24, .state = ENG_EP_COMPLETE, .mtu = 1500};
	struct berr e = BERR_INIT;
	struct dns_watch *w = NULL;
	struct names *idx = NULL;
	struct store st;
	uint32_t ips[8];
	int fd;

	snprintf(root, sizeof(root), "%s/berth-dnswatch.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	cr_assert_not_null(mkdtemp(root));
	cr_assert_eq(names_new(&idx), 0);
	cr_assert_eq(dns_watch_open(root, idx, &lock, &ops, &w, &fd, &e), 0, "%s", e.msg);
	snprintf(path, sizeof(path), "%s/networks/fab", root);
	cr_assert_eq(mkdir(path, 0700), 0);
	dns_watch_read(w);
	snprintf(path, sizeof(path), "%s/networks/fab/endpoints", root);
	cr_assert_eq(mkdir(path, 0700), 0);
	dns_watch_read(w);
	cr_assert_eq(store_init(&st, root, 1000, &e), 0, "%s", e.msg);
	snprintf(rec.network, sizeof(rec.network), "fab");
	snprintf(rec.id, sizeof(rec.id), "pod1");
	snprintf(rec.ifname, sizeof(rec.ifname), "eth0");
	rec.name = (char *)"mypod";
	cr_assert_eq(store_ep_write(&st, &rec, &e), 0, "%s", e.msg);
	dns_watch_read(w);
	dns_watch_read(w);
	cr_assert_eq(lookup(idx, "fab", "mypod", ips), 1);
	cr_assert_eq(ips[0], 0x0a460102);
	store_fini(&st);
	dns_watch_close(w);
	names_free(idx);
	bfile_rm_rf(root, NULL);
}
