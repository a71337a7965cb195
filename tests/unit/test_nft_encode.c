/* netd/nft: pure helpers (element encoding, interval pairing, input checks, ack parsing). */
#include <netinet/in.h>

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>

#include "netd/engine/nft_int.h"

static uint32_t ip(const char *s)
{
	struct in_addr a;

	cr_assert_eq(inet_pton(AF_INET, s, &a), 1);
	return ntohl(a.s_addr);
}

/* A subnet's interval elements, the address given in host byte order. */
static size_t subnet_elems(const struct bcidr4 *c, struct nft_elem out[2])
{
	uint32_t a = htonl(c->addr);

	return nft_interval_elems((const uint8_t *)&a, 4, c->prefix, out);
}

/* The first address of an interval read back, in host byte order. */
static uint32_t start_addr(const struct nft_prefix *p)
{
	uint32_t a;

	memcpy(&a, p->start->key, 4);
	return ntohl(a);
}

static bool port_eq(const struct nft_port *a, const struct nft_port *b)
{
	return a->host_ip == b->host_ip && a->host_port == b->host_port && a->proto == b->proto &&
	       a->dest_ip == b->dest_ip && a->dest_port == b->dest_port;
}

Test(nft_encode, port_any_layout_matches_nft)
{
	struct nft_port p = {.host_port = 8080, .proto = BPROTO_TCP, .dest_ip = ip("10.66.0.2"), .dest_port = 80}, back;
	/* as `nft --debug=netlink` shows tcp . 8080 : 10.66.0.2 . 80 */
	const uint8_t key[8] = {6, 0, 0, 0, 0x1f, 0x90, 0, 0};
	const uint8_t data[8] = {10, 66, 0, 2, 0, 80, 0, 0};
	struct nft_elem el;

	cr_assert_str_eq(nft_port_elem(&p, &el), NFT_MAP_PUB_ANY4);
	cr_assert_eq(el.key_len, 8);
	cr_assert_eq(memcmp(el.key, key, 8), 0);
	cr_assert_eq(el.data_len, 8);
	cr_assert_eq(memcmp(el.data, data, 8), 0);
	cr_assert_eq(nft_port_from_elem(NFT_MAP_PUB_ANY4, &el, &back), 0);
	cr_assert(port_eq(&p, &back));
}

Test(nft_encode, port_ip_layout_and_round_trip)
{
	struct nft_port p = {.host_ip = ip("198.51.100.2"),
			     .host_port = 53,
			     .proto = BPROTO_UDP,
			     .dest_ip = ip("10.67.0.9"),
			     .dest_port = 5353},
			back;
	const uint8_t key[12] = {198, 51, 100, 2, 17, 0, 0, 0, 0, 53, 0, 0};
	struct nft_elem el;

	cr_assert_str_eq(nft_port_elem(&p, &el), NFT_MAP_PUB_IP4);
	cr_assert_eq(el.key_len, 12);
	cr_assert_eq(memcmp(el.key, key, 12), 0);
	cr_assert_eq(nft_port_from_elem(NFT_MAP_PUB_IP4, &el, &back), 0);
	cr_assert(port_eq(&p, &back));
	/* the wrong map, garbage padding, another protocol: not a berth port */
	cr_assert_eq(nft_port_from_elem(NFT_MAP_PUB_ANY4, &el, &back), -EBADMSG);
	el.key[6] = 1;
	cr_assert_eq(nft_port_from_elem(NFT_MAP_PUB_IP4, &el, &back), -EBADMSG);
	el.key[6] = 0;
	el.key[4] = 1;
	cr_assert_eq(nft_port_from_elem(NFT_MAP_PUB_IP4, &el, &back), -EBADMSG);
}

Test(nft_encode, subnet_intervals)
{
	struct bcidr4 c = {ip("10.66.0.0"), 16};
	struct nft_elem el[2];

	cr_assert_eq(subnet_elems(&c, el), 2);
	cr_assert_eq(memcmp(el[0].key, "\x0a\x42\x00\x00", 4), 0);
	cr_assert_eq(el[0].flags, 0);
	cr_assert_eq(memcmp(el[1].key, "\x0a\x43\x00\x00", 4), 0);
	cr_assert_eq(el[1].flags, NFT_SET_ELEM_INTERVAL_END);

	c = (struct bcidr4){ip("255.255.255.0"), 24};
	cr_assert_eq(subnet_elems(&c, el), 1, "an interval up to the last address has no end element");
	c = (struct bcidr4){ip("10.1.2.3"), 32};
	cr_assert_eq(subnet_elems(&c, el), 2);
	cr_assert_eq(memcmp(el[1].key, "\x0a\x01\x02\x04", 4), 0);
}

static size_t add_subnet(struct nft_elem *out, size_t n, const char *addr, uint8_t prefix)
{
	struct bcidr4 c = {ip(addr), prefix};

	return n + subnet_elems(&c, out + n);
}

Test(nft_encode, intervals_pair_back_into_subnets)
{
	struct nft_elem el[16];
	struct nft_prefix *subs = NULL;
	size_t n = 0, ns = 0;
	struct berr e = BERR_INIT;

	/* nft's own leading "0.0.0.0 interval end", adjacent subnets, a /32, the top of the space; shuffled */
	memset(el, 0, sizeof(el));
	el[0].key_len = 4;
	el[0].flags = NFT_SET_ELEM_INTERVAL_END;
	n = 1;
	n = add_subnet(el, n, "10.67.0.0", 16);
	n = add_subnet(el, n, "255.255.255.0", 24);
	n = add_subnet(el, n, "10.66.0.0", 16);
	n = add_subnet(el, n, "192.168.7.7", 32);
	el[3].data_len = 3; /* marks the 255.255.255.0/24 start for the start element check */

	cr_assert_eq(nft_intervals_read(el, n, 4, &subs, &ns, &e), 0, "%s", e.msg);
	cr_assert_eq(ns, 4);
	cr_assert_eq(start_addr(&subs[0]), ip("10.66.0.0"));
	cr_assert_eq(subs[0].prefix, 16);
	cr_assert_eq(start_addr(&subs[1]), ip("10.67.0.0"));
	cr_assert_eq(subs[1].prefix, 16);
	cr_assert_eq(start_addr(&subs[2]), ip("192.168.7.7"));
	cr_assert_eq(subs[2].prefix, 32);
	cr_assert_eq(start_addr(&subs[3]), ip("255.255.255.0"));
	cr_assert_eq(subs[3].prefix, 24);
	cr_assert_eq(subs[3].start->data_len, 3);
	free(subs);
}

Test(nft_encode, intervals_that_are_not_subnets)
{
	struct nft_elem el[2] = {0};
	struct nft_prefix *subs = NULL;
	struct berr e = BERR_INIT;
	size_t ns;

	/* 10.0.0.0 - 10.0.0.2 (3 addresses) */
	memcpy(el[0].key, "\x0a\x00\x00\x00", 4);
	memcpy(el[1].key, "\x0a\x00\x00\x03", 4);
	el[0].key_len = el[1].key_len = 4;
	el[1].flags = NFT_SET_ELEM_INTERVAL_END;
	cr_assert_eq(nft_intervals_read(el, 2, 4, &subs, &ns, &e), -EBADMSG);
	cr_assert(strstr(e.msg, "not a subnet"), "%s", e.msg);
	/* 10.0.0.1 - 10.0.0.2: size 2 but not aligned */
	memcpy(el[0].key, "\x0a\x00\x00\x01", 4);
	memcpy(el[1].key, "\x0a\x00\x00\x03", 4);
	cr_assert_eq(nft_intervals_read(el, 2, 4, &subs, &ns, &e), -EBADMSG);
	/* empty is fine */
	cr_assert_eq(nft_intervals_read(el, 0, 4, &subs, &ns, &e), 0);
	cr_assert_eq(ns, 0);
	free(subs);
}

Test(nft_encode, ipv6_intervals_round_trip)
{
	static const char *const subnets[] = {"fd00:66::", "ffff:ffff:ffff:ffff::", "::"};
	static const uint8_t prefixes[] = {64, 64, 0};
	static const size_t n_elems[] = {2, 1, 1}; /* up to the last address: no end element */
	struct nft_elem el[8];
	struct nft_prefix *subs = NULL;
	struct in6_addr a;
	struct berr e = BERR_INIT;
	size_t n = 0, ns = 0;

	for (size_t i = 0; i < 3; i++) {
		size_t k;

		cr_assert_eq(inet_pton(AF_INET6, subnets[i], &a), 1);
		k = nft_interval_elems(a.s6_addr, 16, prefixes[i], el + n);
		cr_assert_eq(k, n_elems[i], "%s/%u", subnets[i], prefixes[i]);
		n += k;
		/* ::/0 overlaps the others: read it back alone */
		if (i == 1) {
			cr_assert_eq(nft_intervals_read(el, n, 16, &subs, &ns, &e), 0, "%s", e.msg);
			cr_assert_eq(ns, 2);
			cr_assert_eq(subs[0].prefix, 64);
			cr_assert_eq(subs[1].prefix, 64);
			cr_assert_eq(memcmp(subs[1].start->key, "\xff\xff\xff\xff\xff\xff\xff\xff", 8), 0);
			free(subs);
			n = 0;
		}
	}
	cr_assert_eq(nft_intervals_read(el, n, 16, &subs, &ns, &e), 0, "%s", e.msg);
	cr_assert_eq(ns, 1);
	cr_assert_eq(subs[0].prefix, 0);
	free(subs);
	cr_assert_eq(nft_interval_elems(a.s6_addr, 16, 128, el), 2);
	cr_assert_eq(el[1].key[15], 1, "::/128 ends at ::1");
}

Test(nft_encode, checks_name_the_field)
{
	struct nft_port p = {.host_port = 80, .proto = BPROTO_TCP, .dest_ip = ip("10.0.0.2"), .dest_port = 80};
	struct nft_network n = {.bridge = "berth0", .subnet = {ip("10.66.0.0"), 16}};
	struct berr e = BERR_INIT;
	char buf[96];

	cr_assert_eq(nft_port_check(&p, "ports[0]", &e), 0);
	p.dest_ip = 0;
	cr_assert_eq(nft_port_check(&p, "ports[2]", &e), -EINVAL);
	cr_assert(strstr(e.msg, "'ports[2].dest_ip'"), "%s", e.msg);
	p.dest_ip = ip("10.0.0.2");
	p.dest_port = 0;
	cr_assert_eq(nft_port_check(&p, "ports[0]", &e), -EINVAL);
	cr_assert(strstr(e.msg, "dest_port"), "%s", e.msg);
	p.dest_port = 80;
	cr_assert_str_eq(nft_port_fmt(&p, buf, sizeof(buf)), "tcp 0.0.0.0:80 -> 10.0.0.2:80");

	cr_assert_eq(nft_network_check(&n, "network", &e), 0);
	n.subnet.prefix = 0;
	cr_assert_eq(nft_network_check(&n, "network", &e), -EINVAL);
	cr_assert(strstr(e.msg, "'network.subnet'"), "%s", e.msg);
	n.subnet.prefix = 8;
	cr_assert_eq(nft_network_check(&n, "network", &e), -EINVAL);
	cr_assert(strstr(e.msg, "host bits"), "%s", e.msg);
	n.subnet.prefix = 16;
	memcpy(n.bridge, "0123456789abcdef", 16); /* no terminator */
	cr_assert_eq(nft_network_check(&n, "network", &e), -EINVAL);
	cr_assert(strstr(e.msg, "'network.bridge'"), "%s", e.msg);
}

/* An NLMSG_ERROR as the kernel sends it with NETLINK_EXT_ACK and NETLINK_CAP_ACK. */
Test(nft_encode, ack_with_extended_tlvs)
{
	char buf[512] = {0};
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlmsgerr *err;
	struct nft_ack ack;

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = NLM_F_CAPPED | NLM_F_ACK_TLVS;
	err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));
	err->error = -EEXIST;
	err->msg.nlmsg_len = 4000; /* the request was large; capped, so not echoed */
	err->msg.nlmsg_seq = 77;
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "Element already exists");
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, 1234);

	cr_assert_eq(nft_parse_ack(nlh, &ack), 0);
	cr_assert_eq(ack.error, -EEXIST);
	cr_assert_eq(ack.seq, 77);
	cr_assert_str_eq(ack.kmsg, "Element already exists");
	cr_assert_eq(ack.bad_off, 1234);

	/* a plain ack */
	nlh->nlmsg_len = NLMSG_HDRLEN + sizeof(*err);
	nlh->nlmsg_flags = 0;
	err->error = 0;
	cr_assert_eq(nft_parse_ack(nlh, &ack), 0);
	cr_assert_eq(ack.error, 0);
	cr_assert_str_eq(ack.kmsg, "");
	/* truncated */
	nlh->nlmsg_len = NLMSG_HDRLEN + 4;
	cr_assert_eq(nft_parse_ack(nlh, &ack), -EBADMSG);
}
