/*
 * IPv6 and dual stack in the engine: networks with an IPv6 subnet (alone or
 * beside an IPv4 one), endpoints with both addresses and default routes and
 * no duplicate address detection, detach and reconcile, checked by traffic
 * and by what the kernel holds.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "test_netd_fixture.h"

TestSuite(netd_ipv6, .init = tst_isolate, .fini = tst_teardown, .timeout = 120);

static void need_ipv6(void)
{
	if (access("/proc/sys/net/ipv6", F_OK) != 0)
		tst_skip("this kernel has no IPv6");
}

Test(netd_ipv6, dual_stack_containers_talk_over_both_families)
{
	struct eng *eng;
	struct eng_endpoint a, b;

	need_ipv6();
	eng = fx_engine();
	fx_network6(eng, "ds", "10.66.0.0/24", "fd00:66::/64");
	a = fx_attach(eng, "ds", "c1", "c1", NULL);
	b = fx_attach(eng, "ds", "c2", "c2", NULL);
	cr_assert_eq(a.ip, fx_ip("10.66.0.2"));
	cr_assert_str_eq(fx_fmt6(&a.ip6), "fd00:66::2");
	cr_assert_str_eq(fx_fmt6(&b.ip6), "fd00:66::3");
	cr_assert_eq(a.prefix6, 64);
	cr_assert_str_eq(fx_fmt6(&a.gateway6), "fd00:66::1");
	/* the MAC still comes from the IPv4 address */
	cr_assert_eq(memcmp(a.mac, "\x0a\x58\x0a\x42\x00\x02", 6), 0);
	/* the bridge carries both gateways, the IPv6 one without DAD */
	cr_assert_str_eq(fx_out(NULL, "ip -6 -o addr show dev ds scope global | awk '{print $4}'"), "fd00:66::1/64");
	cr_assert_str_eq(fx_out(NULL, "ip -6 -o addr show dev ds scope global | grep -c tentative || true"), "0");
	/* the container: one global address, nodad, no link-local, no RA, both default routes */
	cr_assert_str_eq(fx_out("c1", "ip -6 -o addr show dev eth0 | awk '{print $4}'"), "fd00:66::2/64");
	cr_assert_str_eq(fx_out("c1", "ip -6 -o addr show dev eth0 | grep -c nodad"), "1");
	cr_assert_str_eq(fx_out("c1", "ip -6 -o addr show dev eth0 | grep -cE 'tentative|fe80' || true"), "0");
	cr_assert_str_eq(fx_out("c1",
				"cat /proc/sys/net/ipv6/conf/eth0/accept_ra "
				"/proc/sys/net/ipv6/conf/eth0/autoconf /proc/sys/net/ipv6/conf/eth0/use_tempaddr"),
			 "0\n0\n0");
	cr_assert_str_eq(fx_out("c1", "ip -6 route show default | awk '{print $1,$2,$3,$4,$5}'"),
			 "default via fd00:66::1 dev eth0");
	cr_assert_str_eq(fx_out("c1", "ip -4 route show default | awk '{print $1,$2,$3}'"), "default via 10.66.0.1");
	/* the host end stays without IPv6 (docs/performance.md) */
	cr_assert_str_eq(fx_out(NULL, "cat /proc/sys/net/ipv6/conf/$(ip -o link show master ds | head -1 | "
				      "awk -F': ' '{print $2}' | cut -d@ -f1)/disable_ipv6"),
			 "1");
	cr_assert_str_eq(fx_out(NULL, "cat /proc/sys/net/ipv6/conf/all/forwarding"), "1");
	tst_serve("c2", false, "::", 7000, "c2");
	fx_expect("c1", "fd00:66::3", 7000, "c2", "fd00:66::2");
	fx_expect("c1", "10.66.0.3", 7000, "c2", "10.66.0.2");
	/* the host reaches them by the bridge */
	fx_expect(NULL, "fd00:66::3", 7000, "c2", "fd00:66::1");
	eng_endpoint_clear(&a);
	eng_endpoint_clear(&b);
	eng_close(eng);
}

Test(netd_ipv6, an_ipv6_only_network)
{
	struct eng *eng;
	struct eng_endpoint a, b;
	struct eng_status st;
	struct berr e = BERR_INIT;

	need_ipv6();
	eng = fx_engine();
	fx_network6(eng, "v6", NULL, "fd00:77::/120");
	a = fx_attach(eng, "v6", "c1", "c1", NULL);
	cr_assert_eq(a.ip, 0);
	cr_assert_eq(a.prefix, 0);
	cr_assert_str_eq(fx_fmt6(&a.ip6), "fd00:77::2");
	/* the MAC from the IPv6 address's last four bytes */
	cr_assert_eq(memcmp(a.mac, "\x0a\x58\x00\x00\x00\x02", 6), 0);
	cr_assert_str_eq(fx_out("c1", "ip -4 -o addr show dev eth0 | wc -l"), "0");
	cr_assert_eq(fx_attach6(eng, "v6", "c2", "c2", "fd00:77::2", NULL, &e), -EADDRINUSE);
	cr_assert(strstr(e.msg, "fd00:77::2 is already in use by container 'c1'"), "%s", e.msg);
	cr_assert_eq(fx_attach6(eng, "v6", "c2", "c2", "fd00:78::2", NULL, &e), -EINVAL);
	cr_assert_eq(fx_attach6(eng, "v6", "c2", "c2", "fd00:77::1", NULL, &e), -EINVAL, "the gateway");
	cr_assert_eq(fx_attach6(eng, "v6", "c2", "c2", "fd00:77::99", &b, &e), 0, "%s", e.msg);
	cr_assert_eq(eng_status(eng, "v6", &st, &e), 0, "%s", e.msg);
	cr_assert_eq(st.capacity, 0);
	cr_assert_eq(st.capacity6, 254);
	cr_assert_eq(st.used6, 2);
	tst_serve("c2", false, "::", 7000, "c2");
	fx_expect("c1", "fd00:77::99", 7000, "c2", "fd00:77::2");
	eng_endpoint_clear(&a);
	eng_endpoint_clear(&b);
	eng_close(eng);
}

Test(netd_ipv6, networks_refuse_overlaps_and_other_definitions)
{
	struct eng *eng;
	struct eng_network n;
	struct berr e = BERR_INIT;

	need_ipv6();
	eng = fx_engine();
	fx_network6(eng, "a", "10.1.0.0/24", "fd00:1::/64");
	eng_network_init(&n, "b");
	baddr_parse_cidr6("fd00:1::/48", false, &n.subnet6, NULL);
	cr_assert_eq(eng_network_ensure(eng, &n, NULL, &e), -EEXIST);
	cr_assert(strstr(e.msg, "overlaps network 'a'"), "%s", e.msg);
	/* the same name with another IPv6 subnet */
	eng_network_init(&n, "a");
	baddr_parse_cidr4("10.1.0.0/24", false, &n.subnet, NULL);
	baddr_parse_cidr6("fd00:2::/64", false, &n.subnet6, NULL);
	cr_assert_eq(eng_network_ensure(eng, &n, NULL, &e), -EEXIST);
	cr_assert(strstr(e.msg, "IPv6 subnet fd00:1::/64"), "%s", e.msg);
	/* a host address in the way */
	tst_sh_ok(NULL, "ip link add dummy9 type veth peer name dummy9p && ip addr add fd00:9::5/64 dev dummy9 nodad");
	eng_network_init(&n, "c");
	baddr_parse_cidr6("fd00:9::/64", false, &n.subnet6, NULL);
	cr_assert_eq(eng_network_ensure(eng, &n, NULL, &e), -EEXIST);
	cr_assert(strstr(e.msg, "overlaps address fd00:9::5/64 on interface dummy9"), "%s", e.msg);
	cr_assert_eq(eng_network_remove(eng, "a", &e), 0, "%s", e.msg);
	cr_assert_str_eq(fx_out(NULL, "ip link show a 2>/dev/null | wc -l"), "0");
	eng_close(eng);
}

Test(netd_ipv6, detach_and_reattach_leave_nothing_behind)
{
	struct eng *eng;
	struct eng_endpoint a;
	struct eng_status st;
	struct berr e = BERR_INIT;
	size_t n = 0;

	need_ipv6();
	eng = fx_engine();
	fx_network6(eng, "ds", "10.66.0.0/24", "fd00:66::/64");
	a = fx_attach(eng, "ds", "c1", "c1", NULL);
	cr_assert_eq(eng_detach(eng, NULL, "c1", NULL, &n, &e), 0, "%s", e.msg);
	cr_assert_eq(n, 1);
	fx_assert_clean("ds");
	cr_assert_str_eq(fx_out("c1", "ip -o link show | wc -l"), "1");
	cr_assert_eq(eng_status(eng, "ds", &st, &e), 0, "%s", e.msg);
	cr_assert_eq(st.used, 0);
	cr_assert_eq(st.used6, 0);
	eng_endpoint_clear(&a);
	/* next fit: the next address, not the one just freed */
	a = fx_attach(eng, "ds", "c1", "c1", NULL);
	cr_assert_str_eq(fx_fmt6(&a.ip6), "fd00:66::3");
	cr_assert_eq(eng_check(eng, "ds", "c1", NULL, -1, &e), 0, "%s", e.msg);
	/* check sees a missing IPv6 default route */
	tst_sh_ok("c1", "ip -6 route del default");
	cr_assert_eq(eng_check(eng, "ds", "c1", NULL, -1, &e), -EIO);
	cr_assert(strstr(e.msg, "IPv6 default route"), "%s", e.msg);
	eng_endpoint_clear(&a);
	eng_close(eng);
}

Test(netd_ipv6, reconcile_rewires_a_container_and_rebuilds_the_allocations)
{
	struct eng *eng;
	struct eng_endpoint a, b;
	struct eng_reconcile_report rep;
	struct eng_status st;
	struct berr e = BERR_INIT;

	need_ipv6();
	eng = fx_engine();
	fx_network6(eng, "ds", "10.66.0.0/24", "fd00:66::/64");
	a = fx_attach(eng, "ds", "c1", "c1", NULL);
	b = fx_attach(eng, "ds", "c2", "c2", NULL);
	/* the bridge, the veth of c1 and the IPv6 allocation file go */
	tst_sh_ok(NULL, "ip link del ds && ip link del %s", a.host_ifname);
	tst_sh_ok(NULL, "rm %s", tst_path("state/networks/ds/ipam6"));
	cr_assert_eq(eng_reconcile(eng, &rep, &e), 0, "%s", e.msg);
	cr_assert_eq(rep.bridges_created, 1);
	cr_assert_eq(rep.endpoints_kept, 2);
	cr_assert_str_eq(fx_out(NULL, "ip -6 -o addr show dev ds scope global | awk '{print $4}'"), "fd00:66::1/64");
	cr_assert_str_eq(fx_out("c1", "ip -6 -o addr show dev eth0 | awk '{print $4}'"), "fd00:66::2/64");
	cr_assert_eq(eng_status(eng, "ds", &st, &e), 0, "%s", e.msg);
	cr_assert_eq(st.used6, 2);
	tst_serve("c2", false, "::", 7000, "c2");
	fx_expect("c1", "fd00:66::3", 7000, "c2", "fd00:66::2");
	eng_endpoint_clear(&a);
	eng_endpoint_clear(&b);
	eng_close(eng);
}
