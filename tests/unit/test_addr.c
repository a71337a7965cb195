#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "addr.h"

Test(addr, parse_ipv4)
{
	uint32_t a;
	char buf[INET_ADDRSTRLEN];

	cr_assert_eq(baddr_parse4("10.66.0.1", &a, NULL), 0);
	cr_assert_eq(a, 0x0a420001);
	cr_assert_str_eq(baddr_fmt4(a, buf), "10.66.0.1");
	cr_assert_eq(baddr_parse4("255.255.255.255", &a, NULL), 0);
	cr_assert_eq(a, 0xffffffff);
	const char *bad[] = {"",	 "10",	    "10.1",	 "10.0.0",    "10.0.0.256", "10.0.0.1.", "1.2.3.4.5",
			     "01.2.3.4", "a.b.c.d", "10.0.0.1 ", " 10.0.0.1", "1..2.3",	    "1234.1.1.1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(baddr_parse4(bad[i], &a, NULL), -EINVAL, "accepted '%s'", bad[i]);
}

Test(addr, parse_cidr)
{
	struct bcidr4 c;
	struct berr e = BERR_INIT;
	char buf[32];

	cr_assert_eq(baddr_parse_cidr4("10.66.0.0/16", false, &c, NULL), 0);
	cr_assert_eq(c.addr, 0x0a420000);
	cr_assert_eq(c.prefix, 16);
	cr_assert_str_eq(baddr_fmt_cidr4(&c, buf), "10.66.0.0/16");
	cr_assert_eq(baddr_parse_cidr4("10.66.0.1/16", false, &c, &e), -EINVAL);
	cr_assert(strstr(e.msg, "host bits"), "%s", e.msg);
	cr_assert_eq(baddr_parse_cidr4("10.66.0.1/16", true, &c, NULL), 0);
	cr_assert_eq(baddr_parse_cidr4("10.66.0.0/33", false, &c, NULL), -EINVAL);
	cr_assert_eq(baddr_parse_cidr4("10.66.0.0", false, &c, NULL), -EINVAL);
	cr_assert_eq(baddr_parse_cidr4("10.66.0.0/", false, &c, NULL), -EINVAL);
	cr_assert_eq(baddr_parse_cidr4("10.66.0.0/1a", false, &c, NULL), -EINVAL);
}

Test(addr, overlap)
{
	struct bcidr4 a, b, c;

	baddr_parse_cidr4("10.66.0.0/16", false, &a, NULL);
	baddr_parse_cidr4("10.66.5.0/24", false, &b, NULL);
	baddr_parse_cidr4("10.67.0.0/16", false, &c, NULL);
	cr_assert(baddr_overlap4(&a, &b));
	cr_assert(baddr_overlap4(&b, &a));
	cr_assert(!baddr_overlap4(&a, &c));
	cr_assert(baddr_in4(&a, 0x0a42ffff));
	cr_assert(!baddr_in4(&a, 0x0a430000));
}

Test(addr, ipv6)
{
	struct in6_addr a, b;
	struct bcidr6 c, d;
	struct berr e = BERR_INIT;
	char buf[BADDR_CIDR6_STRLEN];

	cr_assert_eq(baddr_parse6("fd00:1::2", &a, NULL), 0);
	cr_assert_str_eq(baddr_fmt6(&a, buf), "fd00:1::2");
	cr_assert_eq(baddr_parse6("10.0.0.1", &a, NULL), -EINVAL);
	cr_assert_eq(baddr_parse6("fe80::1%eth0", &a, NULL), -EINVAL);
	cr_assert_eq(baddr_parse6("[::1]", &a, NULL), -EINVAL);
	cr_assert_eq(baddr_parse_cidr6("fd00:1::/64", false, &c, NULL), 0);
	cr_assert_eq(c.prefix, 64);
	cr_assert_str_eq(baddr_fmt_cidr6(&c, buf), "fd00:1::/64");
	cr_assert_eq(baddr_parse_cidr6("fd00:1::1/64", false, &c, &e), -EINVAL);
	cr_assert(strstr(e.msg, "host bits"), "%s", e.msg);
	cr_assert_eq(baddr_parse_cidr6("fd00:1::1/64", true, &c, NULL), 0);
	cr_assert_eq(baddr_parse_cidr6("fd00:1::/129", false, &c, NULL), -EINVAL);
	cr_assert_eq(baddr_parse_cidr6("fd00:1::", false, &c, NULL), -EINVAL);
	cr_assert_eq(baddr_parse_cidr6("10.0.0.0/8", false, &c, NULL), -EINVAL);
	b = baddr_mask6(&c.addr, 61);
	cr_assert_str_eq(baddr_fmt6(&b, buf), "fd00:1::", "%s", buf);
	baddr_parse_cidr6("fd00:1::/64", false, &c, NULL);
	baddr_parse_cidr6("fd00:1::/48", false, &d, NULL);
	cr_assert(baddr_overlap6(&c, &d) && baddr_overlap6(&d, &c));
	baddr_parse_cidr6("fd00:2::/64", false, &d, NULL);
	cr_assert(!baddr_overlap6(&c, &d));
	baddr_parse6("fd00:1::ffff", &a, NULL);
	cr_assert(baddr_in6(&c, &a));
	cr_assert(!baddr_in6(&d, &a));
	cr_assert(baddr_ula6(&a));
	baddr_parse6("2001:db8::1", &a, NULL);
	cr_assert(!baddr_ula6(&a));
	cr_assert_eq(baddr_family("2001:db8::1"), AF_INET6);
	cr_assert_eq(baddr_family("192.0.2.1"), AF_INET);
	cr_assert_eq(baddr_family("nope"), 0);
}

Test(addr, names)
{
	cr_assert(bname_valid("web-1", 64));
	cr_assert(bname_valid("a.b_c", 64));
	cr_assert(!bname_valid("", 64));
	cr_assert(!bname_valid("-x", 64));
	cr_assert(!bname_valid("a/b", 64));
	cr_assert(!bname_valid("abc", 2));
	cr_assert(bifname_valid("eth0"));
	cr_assert(bifname_valid("berth0"));
	cr_assert(!bifname_valid("0123456789abcdef"));
	cr_assert(!bifname_valid("a b"));
	cr_assert(!bifname_valid("a/b"));
	cr_assert(!bifname_valid(".."));
	cr_assert(!bifname_valid(""));
}

Test(addr, u64)
{
	uint64_t v;

	cr_assert_eq(bparse_u64("42", 0, 100, &v), 0);
	cr_assert_eq(v, 42);
	cr_assert_eq(bparse_u64("101", 0, 100, &v), -ERANGE);
	cr_assert_eq(bparse_u64("-1", 0, 100, &v), -EINVAL);
	cr_assert_eq(bparse_u64("", 0, 100, &v), -EINVAL);
	cr_assert_eq(bparse_u64("99999999999999999999999", 0, UINT64_MAX, &v), -ERANGE);
}

Test(portspec, forms)
{
	struct bportspec p;
	char buf[96];

	cr_assert_eq(bportspec_parse("8080:80", &p, NULL), 0);
	cr_assert_eq(p.host_ip, 0);
	cr_assert_eq(p.host_port, 8080);
	cr_assert_eq(p.host_port_end, 8080);
	cr_assert_eq(p.container_port, 80);
	cr_assert_eq(p.proto, BPROTO_TCP);
	cr_assert_str_eq(bportspec_fmt(&p, buf, sizeof(buf)), "8080:80/tcp");

	cr_assert_eq(bportspec_parse("127.0.0.1:5353:53/udp", &p, NULL), 0);
	cr_assert_eq(p.host_ip, 0x7f000001);
	cr_assert_eq(p.proto, BPROTO_UDP);
	cr_assert_str_eq(bportspec_fmt(&p, buf, sizeof(buf)), "127.0.0.1:5353:53/udp");

	cr_assert_eq(bportspec_parse("9000-9009:7000-7009/tcp", &p, NULL), 0);
	cr_assert_eq(p.host_port_end, 9009);
	cr_assert_eq(p.container_port, 7000);
	cr_assert_eq(p.container_port_end, 7009);
	cr_assert_str_eq(bportspec_fmt(&p, buf, sizeof(buf)), "9000-9009:7000-7009/tcp");

	cr_assert_eq(bportspec_parse("9000-9009:80", &p, NULL), 0);
	cr_assert_eq(p.container_port_end, 80);

	cr_assert_eq(bportspec_parse(":8080:80", &p, NULL), 0);
	cr_assert_eq(p.host_ip, 0);
	cr_assert(!p.host_v6);
}

Test(portspec, ipv6_host_addresses)
{
	struct bportspec p;
	char buf[96];

	cr_assert_eq(bportspec_parse("[2001:db8::1]:8080:80", &p, NULL), 0);
	cr_assert(p.host_v6);
	cr_assert_eq(p.host_ip, 0);
	cr_assert_eq(p.host_port, 8080);
	cr_assert_eq(p.container_port, 80);
	cr_assert_str_eq(bportspec_fmt(&p, buf, sizeof(buf)), "[2001:db8::1]:8080:80/tcp");
	cr_assert_eq(bportspec_parse("[::]:53:5353/udp", &p, NULL), 0);
	cr_assert(p.host_v6 && baddr_zero6(&p.host_ip6));
	cr_assert_eq(p.proto, BPROTO_UDP);
	cr_assert_str_eq(bportspec_fmt(&p, buf, sizeof(buf)), "[::]:53:5353/udp");
	cr_assert_eq(bportspec_parse("[::1]:9000-9001:80", &p, NULL), 0);
	cr_assert_eq(p.host_port_end, 9001);
	cr_assert_str_eq(bportspec_fmt(&p, buf, sizeof(buf)), "[::1]:9000-9001:80/tcp");
	const char *bad[] = {"[::1]:80",    "[::1:8080:80", "[10.0.0.1]:8080:80",
			     "::1:8080:80", "[::1]8080:80", "[fe80::1%lo]:80:80"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(bportspec_parse(bad[i], &p, NULL), -EINVAL, "accepted '%s'", bad[i]);
}

Test(portspec, rejects)
{
	struct bportspec p;
	struct berr e = BERR_INIT;
	const char *bad[] = {"",	"80",	       "0:80",	       "8080:0",	  "65536:80", "8080:80/sctp",
			     "a:80",	"1.2.3:80:80", "9009-9000:80", "9000-9009:80-81", "1:2:3:4",  "8080:80/",
			     "8080:-80"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(bportspec_parse(bad[i], &p, NULL), -EINVAL, "accepted '%s'", bad[i]);
	cr_assert_eq(bportspec_parse("8080:80/sctp", &p, &e), -EINVAL);
	cr_assert(strstr(e.msg, "tcp or udp"), "%s", e.msg);
}
