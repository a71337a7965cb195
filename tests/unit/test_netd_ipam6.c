/* IPAM for IPv6: the bounded window (next fit, reserved addresses, the table beyond it, a /64's size, persistence). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileutil.h"
#include "netd/engine/ipam6.h"

static char dir[256], path[300];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "%s/berth-ipam6.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	cr_assert(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ipam6", dir);
}

static void teardown(void)
{
	bfile_rm_rf(dir, NULL);
}

TestSuite(netd_ipam6, .init = setup, .fini = teardown);

static struct in6_addr ip(const char *s)
{
	struct in6_addr a;

	cr_assert_eq(baddr_parse6(s, &a, NULL), 0, "%s", s);
	return a;
}

static struct ipam6_def def(const char *cidr, const char *gw, const char *lo, const char *hi)
{
	struct ipam6_def d;

	memset(&d, 0, sizeof(d));
	cr_assert_eq(baddr_parse_cidr6(cidr, false, &d.subnet, NULL), 0);
	if (gw)
		d.gateway = ip(gw);
	if (lo)
		d.range_start = ip(lo);
	if (hi)
		d.range_end = ip(hi);
	return d;
}

static struct ipam6 *fresh(const struct ipam6_def *d)
{
	struct berr e = BERR_INIT;
	struct ipam6 *p = NULL;

	cr_assert_eq(ipam6_create(path, d, NULL, 0, &e), 0, "%s", e.msg);
	cr_assert_eq(ipam6_open(path, d, &p, &e), 0, "%s", e.msg);
	return p;
}

/* The next address, marked used as attach does; its text in buf. */
static const char *take(struct ipam6 *p, char *buf)
{
	struct in6_addr a;

	cr_assert_eq(ipam6_next(p, &a), 0);
	cr_assert_eq(ipam6_set(p, &a, true), 0);
	return baddr_fmt6(&a, buf);
}

Test(netd_ipam6, next_fit_skips_the_gateway_and_continues_after_the_last)
{
	struct ipam6_def d = def("fd00:1::/64", "fd00:1::1", NULL, NULL);
	struct ipam6 *p = fresh(&d);
	char buf[INET6_ADDRSTRLEN];
	struct in6_addr a = ip("fd00:1::2");

	cr_assert_str_eq(take(p, buf), "fd00:1::2");
	cr_assert_str_eq(take(p, buf), "fd00:1::3");
	cr_assert(ipam6_reserved(p, &d.gateway));
	cr_assert(ipam6_reserved(p, &d.subnet.addr));
	ipam6_clear(p, &a);
	/* next fit: the freed address comes back only after the rest of the window */
	cr_assert_str_eq(take(p, buf), "fd00:1::4");
	ipam6_clear(p, &d.gateway);
	cr_assert(ipam6_test(p, &d.gateway), "the gateway stays reserved");
	cr_assert_eq(ipam6_used(p), 2);
	cr_assert_eq(ipam6_capacity(p), IPAM6_WINDOW - 1);
	ipam6_close(p);
}

Test(netd_ipam6, a_small_subnet_is_exhausted_and_wraps)
{
	struct ipam6_def d = def("fd00:2::/124", NULL, NULL, NULL);
	struct ipam6 *p;
	char buf[INET6_ADDRSTRLEN];
	struct in6_addr a;

	d.gateway = ip("fd00:2::1");
	p = fresh(&d);
	/* 15 host addresses (::1 to ::f), the gateway one of them */
	cr_assert_eq(ipam6_capacity(p), 14);
	for (int i = 0; i < 14; i++)
		take(p, buf);
	cr_assert_str_eq(buf, "fd00:2::f");
	cr_assert_eq(ipam6_next(p, &a), -ENOSPC);
	a = ip("fd00:2::5");
	ipam6_clear(p, &a);
	cr_assert_str_eq(take(p, buf), "fd00:2::5");
	ipam6_close(p);
}

Test(netd_ipam6, requested_addresses_beyond_the_window)
{
	struct ipam6_def d = def("fd00:3::/64", "fd00:3::1", NULL, NULL);
	struct ipam6 *p = fresh(&d);
	struct in6_addr far = ip("fd00:3::dead:beef"), other = ip("fd00:3::1:0:0:1"), out = ip("fd00:4::1");

	cr_assert(ipam6_in_subnet(p, &far));
	cr_assert(!ipam6_in_subnet(p, &out));
	cr_assert(!ipam6_test(p, &far));
	cr_assert_eq(ipam6_set(p, &far, false), 0);
	cr_assert_eq(ipam6_set(p, &other, false), 0);
	cr_assert(ipam6_test(p, &far));
	cr_assert_eq(ipam6_used(p), 2);
	ipam6_clear(p, &far);
	cr_assert(!ipam6_test(p, &far));
	cr_assert(ipam6_test(p, &other));
	cr_assert_eq(ipam6_used(p), 1);
	ipam6_close(p);
}

Test(netd_ipam6, the_table_beyond_the_window_is_bounded)
{
	struct ipam6_def d = def("fd00:5::/64", NULL, NULL, NULL);
	struct ipam6 *p = fresh(&d);
	struct in6_addr a = ip("fd00:5::1:0:0:0");

	for (int i = 0; i < IPAM6_OUTSIDE_MAX; i++) {
		a.s6_addr[15] = (uint8_t)i;
		a.s6_addr[14] = (uint8_t)(i >> 8);
		cr_assert_eq(ipam6_set(p, &a, false), 0);
	}
	a.s6_addr[13] = 1;
	cr_assert_eq(ipam6_set(p, &a, false), -ENOSPC);
	ipam6_close(p);
}

Test(netd_ipam6, a_64_takes_ten_thousand_allocations_in_a_small_file)
{
	struct ipam6_def d = def("2001:db8:1::/64", "2001:db8:1::1", NULL, NULL);
	struct ipam6 *p = fresh(&d);
	char buf[INET6_ADDRSTRLEN];
	struct stat st;

	for (int i = 0; i < 10000; i++)
		take(p, buf);
	/* ::2 .. ::2711: 10,000 addresses after the gateway */
	cr_assert_str_eq(buf, "2001:db8:1::2711");
	cr_assert_eq(ipam6_used(p), 10000);
	ipam6_close(p);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_lt(st.st_size, 64 * 1024, "the file is %lld bytes", (long long)st.st_size);
	cr_assert_lt(st.st_blocks * 512, 64 * 1024);
	/* and it persists */
	cr_assert_eq(ipam6_open(path, &d, &p, NULL), 0);
	cr_assert_eq(ipam6_used(p), 10000);
	cr_assert_str_eq(take(p, buf), "2001:db8:1::2712");
	ipam6_close(p);
}

Test(netd_ipam6, rebuilt_from_records_and_mismatches_refused)
{
	struct ipam6_def d = def("fd00:6::/64", "fd00:6::1", "fd00:6::100", "fd00:6::1ff");
	struct in6_addr used[] = {ip("fd00:6::100"), ip("fd00:6::101"), ip("fd00:6::9:9"), ip("fd00:7::1")};
	struct ipam6_def other = def("fd00:6::/64", "fd00:6::1", NULL, NULL);
	struct berr e = BERR_INIT;
	char buf[INET6_ADDRSTRLEN];
	struct ipam6 *p = NULL;

	cr_assert_eq(ipam6_create(path, &d, used, 4, &e), 0, "%s", e.msg);
	cr_assert_eq(ipam6_open(path, &d, &p, &e), 0, "%s", e.msg);
	/* the range's 256 addresses; the gateway is outside the range */
	cr_assert_eq(ipam6_capacity(p), 256);
	/* two in the window, one beyond it, one of another subnet ignored */
	cr_assert_eq(ipam6_used(p), 3);
	cr_assert_str_eq(take(p, buf), "fd00:6::102");
	ipam6_close(p);
	/* a fresh range hands out its very first address first */
	cr_assert_eq(ipam6_create(path, &d, NULL, 0, &e), 0, "%s", e.msg);
	cr_assert_eq(ipam6_open(path, &d, &p, &e), 0, "%s", e.msg);
	cr_assert_str_eq(take(p, buf), "fd00:6::100");
	ipam6_close(p);
	cr_assert_eq(ipam6_open(path, &other, &p, &e), -EBADMSG);
	other = def("fd00:8::/64", "fd00:8::1", "fd00:8::100", "fd00:8::1ff");
	cr_assert_eq(ipam6_open(path, &other, &p, &e), -EBADMSG);
	cr_assert(strstr(e.msg, "does not match"), "%s", e.msg);
}

Test(netd_ipam6, definitions_are_checked)
{
	struct ipam6_def d;
	struct berr e = BERR_INIT;

	d = def("fd00::/8", NULL, NULL, NULL);
	cr_assert_eq(ipam6_def_check(&d, &e), -EINVAL);
	cr_assert(strstr(e.msg, "prefix"), "%s", e.msg);
	d = def("fd00::/126", NULL, NULL, NULL);
	cr_assert_eq(ipam6_def_check(&d, NULL), -EINVAL);
	d = def("fd00::/64", "fd01::1", NULL, NULL);
	cr_assert_eq(ipam6_def_check(&d, &e), -EINVAL);
	cr_assert(strstr(e.msg, "gateway"), "%s", e.msg);
	d = def("fd00::/64", NULL, "fd00::20", "fd00::10");
	cr_assert_eq(ipam6_def_check(&d, &e), -EINVAL);
	cr_assert(strstr(e.msg, "before its start"), "%s", e.msg);
	d = def("fd00::/64", NULL, "fd00::", "fd00::10");
	cr_assert_eq(ipam6_def_check(&d, NULL), -EINVAL, "the subnet's own address starts no range");
	d = def("fd00::/64", "fd00::1", "fd00::10", "fd00::ffff:ffff");
	cr_assert_eq(ipam6_def_check(&d, NULL), 0);
}
