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

/* An engine with the dual-stack network ds (10.66.0.0/24, fd00:66::/64) and endpoints c1 and c2 on it. */
static struct eng *ds_c1_c2(struct eng_endpoint *ret_c1, struct eng_endpoint *ret_c2)
{
	struct eng *eng;

	need_ipv6();
	eng = fx_engine();
	fx_network6(eng, "ds", "10.66.0.0/24", "fd00:66::/64");
	*ret_c1 = fx_attach(eng, "ds", "c1", "c1", NULL);
	*ret_c2 = fx_attach(eng, "ds", "c2", "c2", NULL);
	return eng;
}

Test(netd_ipv6, dual_stack_containers_talk_over_both_families)
{
	struct eng *eng;
	struct eng_endpoint a, b;

	eng = ds_c1_c2(&a, &b);
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
	/* accept_ra=0: no advertisement taken, so no SLAAC or privacy address either */
	cr_assert_str_eq(fx_out("c1", "cat /proc/sys/net/ipv6/conf/eth0/accept_ra"), "0");
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

	eng = ds_c1_c2(&a, &b);
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

Test(netd_ipv6, upstream_masqueraded_or_routed_with_its_own_address)
{
	struct eng *eng;
	struct eng_endpoint a, b;

	need_ipv6();
	eng = fx_engine();
	tst_upstream();
	/* a unique local prefix: masqueraded by default */
	fx_network6(eng, "ula", "10.66.0.0/24", "fd00:66::/64");
	/* a global prefix: routed (masquerade6 off), the outside needs a route to it */
	fx_network6(eng, "glob", NULL, "2001:db8:100::/64");
	tst_sh_ok("upstream", "ip -6 route add 2001:db8:100::/64 via " TST_UPSTREAM_HOST_IP6);
	tst_sh_ok("upstream", "ip -6 route add fd00:66::/64 via " TST_UPSTREAM_HOST_IP6);
	a = fx_attach(eng, "ula", "c1", "c1", NULL);
	b = fx_attach(eng, "glob", "c2", "c2", NULL);
	tst_serve("upstream", false, TST_UPSTREAM_GW_IP6, 8000, "up");
	fx_expect("c1", TST_UPSTREAM_GW_IP6, 8000, "up", TST_UPSTREAM_HOST_IP6);
	fx_expect("c2", TST_UPSTREAM_GW_IP6, 8000, "up", "2001:db8:100::2");
	/* IPv4 of the dual-stack network is still masqueraded */
	tst_serve("upstream", false, TST_UPSTREAM_GW_IP, 8000, "up4");
	fx_expect("c1", TST_UPSTREAM_GW_IP, 8000, "up4", TST_UPSTREAM_HOST_IP);
	/* the routed network is reachable from outside; the masqueraded one only by its published ports */
	tst_serve("c2", false, "::", 7000, "c2");
	tst_serve("c1", false, "::", 7000, "c1");
	fx_expect("upstream", "2001:db8:100::2", 7000, "c2", TST_UPSTREAM_GW_IP6);
	fx_unreachable("upstream", "fd00:66::2", 7000);
	cr_assert_str_eq(fx_out(NULL, "nft list set inet berth masq6 | grep -o 'fd00:66::/64'"), "fd00:66::/64");
	cr_assert_str_eq(fx_out(NULL, "nft list map inet berth nets6 | grep -c '2001:db8:100::/64 .*\"glob\"'"), "1");
	eng_endpoint_clear(&a);
	eng_endpoint_clear(&b);
	eng_close(eng);
}

Test(netd_ipv6, networks_are_isolated_and_internal_ones_closed)
{
	struct eng *eng;
	struct eng_network n;
	struct eng_endpoint a, b, c;
	struct berr e = BERR_INIT;

	need_ipv6();
	eng = fx_engine();
	tst_upstream();
	fx_network6(eng, "neta", "10.70.0.0/24", "fd00:70::/64");
	fx_network6(eng, "netb", NULL, "fd00:71::/64");
	eng_network_init(&n, "iso");
	baddr_parse_cidr6("fd00:72::/64", false, &n.subnet6, NULL);
	n.internal = true;
	n.masquerade6 = true;
	cr_assert_eq(eng_network_ensure(eng, &n, NULL, &e), 0, "%s", e.msg);
	a = fx_attach(eng, "neta", "c1", "c1", NULL);
	b = fx_attach(eng, "netb", "c2", "c2", NULL);
	c = fx_attach(eng, "iso", "c3", "c3", NULL);
	cr_assert(baddr_zero6(&c.gateway6), "an internal network gives no default route");
	tst_serve("c1", false, "::", 7000, "c1");
	tst_serve("c2", false, "::", 7000, "c2");
	tst_serve("c3", false, "::", 7000, "c3");
	tst_serve("upstream", false, TST_UPSTREAM_GW_IP6, 8000, "up");
	fx_unreachable("c1", "fd00:71::2", 7000);
	fx_unreachable("c2", "fd00:70::2", 7000);
	fx_unreachable("c1", "fd00:72::2", 7000);
	tst_sh_ok("c3", "ip -6 route add default via fd00:72::1");
	fx_unreachable("c3", TST_UPSTREAM_GW_IP6, 8000);
	fx_unreachable("c3", "fd00:70::2", 7000);
	/* the host itself still reaches every network */
	fx_expect(NULL, "fd00:71::2", 7000, "c2", "fd00:71::1");
	fx_expect(NULL, "fd00:72::2", 7000, "c3", "fd00:72::1");
	eng_endpoint_clear(&a);
	eng_endpoint_clear(&b);
	eng_endpoint_clear(&c);
	eng_close(eng);
}

Test(netd_ipv6, a_container_cannot_send_from_another_ipv6_address)
{
	struct eng *eng;
	struct eng_endpoint a, b;

	eng = ds_c1_c2(&a, &b);
	tst_serve("c2", false, "::", 7000, "c2");
	fx_expect("c1", "fd00:66::3", 7000, "c2", "fd00:66::2");
	cr_assert_str_eq(fx_out(NULL, "nft list set bridge berth ep_addrs6 | grep -c 'fd00:66::2'"), "1");
	/* a second address of its own choosing, as the source to its neighbour: dropped at the bridge */
	tst_sh_ok("c1", "ip addr add fd00:66::99/128 dev eth0 nodad && "
			"ip -6 route replace fd00:66::/64 dev eth0 src fd00:66::99");
	fx_unreachable("c1", "fd00:66::3", 7000);
	fx_unreachable("c1", "fd00:66::1", 7000);
	eng_endpoint_clear(&a);
	eng_endpoint_clear(&b);
	eng_close(eng);
}

Test(netd_ipv6, a_published_port_answers_over_both_families_and_hairpin)
{
	static const char *const ports[] = {"8080:80/tcp", "5353:53/udp", NULL};
	struct eng *eng;
	struct eng_endpoint a, b;
	char reply[128];

	need_ipv6();
	eng = fx_engine();
	tst_upstream();
	fx_network6(eng, "ds", "10.66.0.0/24", "fd00:66::/64");
	a = fx_attach(eng, "ds", "web", "c1", ports);
	b = fx_attach(eng, "ds", "client", "c2", NULL);
	tst_serve("c1", false, "::", 80, "web");
	tst_serve("c1", true, "::", 53, "dns");
	/* from "another machine", over IPv6 and IPv4, its source kept */
	fx_expect("upstream", TST_UPSTREAM_HOST_IP6, 8080, "web", TST_UPSTREAM_GW_IP6);
	fx_expect("upstream", TST_UPSTREAM_HOST_IP, 8080, "web", TST_UPSTREAM_GW_IP);
	cr_assert_eq(tst_request("upstream", true, TST_UPSTREAM_HOST_IP6, 5353, reply, sizeof(reply), 3000), 0);
	cr_assert_str_eq(reply, "dns " TST_UPSTREAM_GW_IP6 "\n");
	/* from the host, on its own IPv6 address */
	fx_expect(NULL, TST_UPSTREAM_HOST_IP6, 8080, "web", TST_UPSTREAM_HOST_IP6);
	/* hairpin: the neighbour and the container itself through the host's IPv6 address */
	fx_expect("c2", TST_UPSTREAM_HOST_IP6, 8080, "web", "fd00:66::1");
	fx_expect("c1", TST_UPSTREAM_HOST_IP6, 8080, "web", "fd00:66::1");
	/* the elements: one per family */
	cr_assert_str_eq(fx_out(NULL, "nft list map inet berth pub_any6 | grep -c 'tcp . 8080 .*: fd00:66::2 . 80'"),
			 "1");
	cr_assert_eq(fx_elems("pub_any4"), 2);
	/* [::1] is not DNATed (the engine alone has no proxy: netd's answers there) */
	cr_assert_neq(tst_request(NULL, false, "::1", 8080, reply, sizeof(reply), 500), 0);
	eng_endpoint_clear(&a);
	eng_endpoint_clear(&b);
	eng_close(eng);
}

Test(netd_ipv6, a_second_publish_of_a_port_and_family_is_refused)
{
	static const char *const v4[] = {TST_UPSTREAM_HOST_IP ":8080:80", NULL};
	static const char *const v6any[] = {"[::]:8080:80", NULL};
	static const char *const both[] = {"8080:80", NULL};
	static const char *const v6one[] = {"[" TST_UPSTREAM_HOST_IP6 "]:8080:80", NULL};
	struct eng *eng;
	struct eng_endpoint a, b;
	struct berr e = BERR_INIT;
	size_t n = 0;

	need_ipv6();
	eng = fx_engine();
	tst_upstream();
	fx_network6(eng, "ds", "10.66.0.0/24", "fd00:66::/64");
	a = fx_attach(eng, "ds", "web4", "c1", v4);
	/* the other family is another port */
	b = fx_attach(eng, "ds", "web6", "c2", v6any);
	cr_assert_eq(fx_attach_full(eng, "ds", "web", "c3", 0, both, NULL, &e), -EADDRINUSE);
	cr_assert(strstr(e.msg, "host port tcp/8080") && strstr(e.msg, "already published"), "%s", e.msg);
	cr_assert_eq(fx_attach_full(eng, "ds", "web", "c3", 0, v6one, NULL, &e), -EADDRINUSE);
	cr_assert(strstr(e.msg, "(IPv6) is already published by container 'web6'"), "%s", e.msg);
	/* nothing of the refused attaches is left */
	cr_assert_str_eq(fx_out("c3", "ip -o link show | wc -l"), "1");
	cr_assert_eq(fx_elems("pub_ip4"), 1);
	tst_serve("c2", false, "::", 80, "web6");
	tst_serve("c1", false, "::", 80, "web4");
	fx_expect("upstream", TST_UPSTREAM_HOST_IP6, 8080, "web6", TST_UPSTREAM_GW_IP6);
	fx_expect("upstream", TST_UPSTREAM_HOST_IP, 8080, "web4", TST_UPSTREAM_GW_IP);
	/* an IPv6 port on a network without IPv6 */
	fx_network(eng, "v4only", "10.67.0.0/24");
	cr_assert_eq(fx_attach_full(eng, "v4only", "x", "c4", 0, v6any, NULL, &e), -EINVAL);
	cr_assert(strstr(e.msg, "no IPv6"), "%s", e.msg);
	/* detach takes both families' elements and claims */
	cr_assert_eq(eng_detach(eng, "ds", "web6", NULL, &n, &e), 0, "%s", e.msg);
	cr_assert_eq(eng_detach(eng, "ds", "web4", NULL, &n, &e), 0, "%s", e.msg);
	cr_assert_str_eq(fx_out(NULL, "nft list map inet berth pub_any6 | grep -c 8080 || true"), "0");
	fx_assert_clean("ds");
	eng_endpoint_clear(&a);
	eng_endpoint_clear(&b);
	eng_close(eng);
}
