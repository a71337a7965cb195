/*
 * netd/nft: the table's life cycle and element bookkeeping, checked against
 * what the kernel holds (nft list, and the engine's own list functions).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netd/engine/nft.h"
#include "netd/engine/nft_int.h"
#include "nft_topo.h"
#include "tst.h"

TestSuite(nft_table, .init = tst_isolate, .fini = tst_teardown, .timeout = 120);

static struct nft_ctx *open_ctx(void)
{
	struct berr e = BERR_INIT;
	struct nft_ctx *ctx = NULL;

	cr_assert_eq(nft_open(-1, &ctx, &e), 0, "%s", e.msg);
	return ctx;
}

static struct nft_ctx *open_ensured(void)
{
	struct nft_ctx *ctx = open_ctx();
	struct berr e = BERR_INIT;

	cr_assert_eq(nft_ensure(ctx, &e), 0, "%s", e.msg);
	return ctx;
}

static size_t count_ports(struct nft_ctx *ctx)
{
	struct berr e = BERR_INIT;
	struct nft_port *p = NULL;
	size_t n = 0;

	cr_assert_eq(nft_ports_list(ctx, &p, &n, &e), 0, "%s", e.msg);
	free(p);
	return n;
}

static bool has_port(const struct nft_port *list, size_t n, const struct nft_port *p)
{
	for (size_t i = 0; i < n; i++)
		if (list[i].host_ip == p->host_ip && list[i].host_port == p->host_port && list[i].proto == p->proto &&
		    list[i].dest_ip == p->dest_ip && list[i].dest_port == p->dest_port)
			return true;
	return false;
}

/* The network of bridge br in a list nft_networks_list returned; it must be there. */
static const struct nft_network *listed(const struct nft_network *list, size_t n, const char *br)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i].bridge, br) == 0)
			return &list[i];
	cr_assert_fail("network %s not listed", br);
	return NULL;
}

/* Rules per chain, as nft sees them. */
static int rules_in(const char *chain)
{
	int st;
	char *out =
		tst_sh_out(NULL, &st, "nft -a list chain inet berth %s | grep '# handle' | grep -vc 'chain '", chain);
	int n = atoi(out);

	free(out);
	return n;
}

/* Every chain holds as many rules as the current layout has. */
static void assert_current_rules(void)
{
	cr_assert_eq(rules_in("raw_prerouting"), 2);
	cr_assert_eq(rules_in("prerouting"), 7);
	cr_assert_eq(rules_in("output"), 6);
	cr_assert_eq(rules_in("postrouting"), 7);
	cr_assert_eq(rules_in("forward"), 11);
	cr_assert_eq(rules_in("input"), 2);
}

static void foreign_tables(void)
{
	tst_sh_ok(NULL, "nft add table inet other && "
			"nft add chain inet other fw1 '{ type filter hook forward priority 0; }' && "
			"nft add rule inet other fw1 counter && nft add table ip berth && "
			"nft add set ip berth bridges '{ type ifname; }'");
}

static void foreign_tables_intact(void)
{
	tst_sh_ok(NULL, "nft list chain inet other fw1 | grep -q counter");
	tst_sh_ok(NULL, "nft list set ip berth bridges >/dev/null");
}

Test(nft_table, ensure_builds_once_and_is_idempotent)
{
	struct nft_ctx *ctx = open_ctx();
	struct berr e = BERR_INIT;

	foreign_tables();
	for (int i = 0; i < 3; i++)
		cr_assert_eq(nft_ensure(ctx, &e), 0, "%s", e.msg);
	assert_current_rules();
	tst_sh_ok(NULL, "nft list chain inet berth prerouting | grep -q 'type nat hook prerouting priority dstnat'");
	tst_sh_ok(NULL, "nft list chain inet berth forward | grep -q 'iifname @bridges oifname @bridges drop'");
	foreign_tables_intact();

	/* elements survive ensure: nothing is flushed */
	{
		struct nft_port p = topo_port(NULL, 8080, BPROTO_TCP, "10.66.0.2", 80);

		cr_assert_eq(nft_ports_add(ctx, &p, 1, &e), 0, "%s", e.msg);
		cr_assert_eq(nft_ensure(ctx, &e), 0, "%s", e.msg);
		cr_assert_eq(count_ports(ctx), 1);
	}

	/* a chain emptied from outside gets its rules back, a missing set is recreated */
	tst_sh_ok(NULL, "nft flush chain inet berth forward");
	cr_assert_eq(nft_ensure(ctx, &e), 0, "%s", e.msg);
	cr_assert_eq(rules_in("forward"), 11);

	/* a chain changed from outside is reported, not silently doubled */
	tst_sh_ok(NULL, "nft add rule inet berth forward counter");
	cr_assert_eq(nft_ensure(ctx, &e), -EEXIST);
	cr_assert(strstr(e.msg, "chain forward") && strstr(e.msg, "12 rules"), "%s", e.msg);
	nft_close(ctx);
}

/*
 * A table as one of berth's earlier layouts built it, with a network and a
 * published port, all IPv4 only: 0 before the hardening rules, 1 with them
 * (before the fabric's), 2 with the fabric's (before IPv6).
 */
static void load_previous_layout(int level)
{
	const char *ret = level >= 1 ? "  ip daddr 127.0.0.0/8 ip daddr != 127.0.0.1 return\n" : "";

	tst_sh_ok(NULL,
		  "nft -f - <<'EOF'\n"
		  "table inet berth {\n"
		  " set bridges { type ifname; elements = { \"berth0\" } }\n"
		  " set same_bridge { type ifname . ifname; elements = { \"berth0\" . \"berth0\" } }\n"
		  " set internal { type ifname; }\n"
		  "%s"
		  " set masq4 { type ipv4_addr; flags interval; elements = { 10.66.0.0/16 } }\n"
		  " map nets4 { type ipv4_addr : ifname; flags interval; elements = { 10.66.0.0/16 : \"berth0\" } }\n"
		  " map pub_any4 { type inet_proto . inet_service : ipv4_addr . inet_service;"
		  "  elements = { tcp . 8080 : 10.66.0.2 . 80 } }\n"
		  " map pub_ip4 { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }\n"
		  "%s%s"
		  " chain prerouting { type nat hook prerouting priority dstnat; policy accept;\n"
		  "  fib daddr type local dnat ip to ip daddr . meta l4proto . th dport map @pub_ip4\n%s"
		  "  meta nfproto ipv4 fib daddr type local dnat ip to meta l4proto . th dport map @pub_any4\n }\n"
		  " chain output { type nat hook output priority -100; policy accept;\n"
		  "  fib daddr type local dnat ip to ip daddr . meta l4proto . th dport map @pub_ip4\n%s"
		  "  meta nfproto ipv4 fib daddr type local dnat ip to meta l4proto . th dport map @pub_any4\n }\n"
		  " chain postrouting { type nat hook postrouting priority srcnat; policy accept;\n"
		  "  ct status dnat ip saddr 127.0.0.0/8 masquerade\n"
		  "  ct status dnat ip saddr @nets4 ip daddr @nets4 masquerade\n%s"
		  "  ip saddr @masq4 oifname != @bridges masquerade\n }\n"
		  " chain forward { type filter hook forward priority filter; policy accept;\n"
		  "  iifname . oifname @same_bridge accept\n  iifname @internal drop\n  oifname @internal drop\n"
		  "  ct state established,related accept\n  ct status dnat accept\n"
		  "  iifname @bridges oifname @bridges drop\n%s%s }\n"
		  "%s"
		  "}\n"
		  "EOF",
		  level >= 1 ? " set masq_bridges { type ifname; elements = { \"berth0\" } }\n" : "",
		  level >= 1 ? " chain raw_prerouting { type filter hook prerouting priority raw; policy accept;\n"
			       "  iifname != \"lo\" ip daddr 127.0.0.0/8 drop\n }\n"
			     : "",
		  level >= 2 ? " set fabric4 { type ipv4_addr . ifname; flags interval; }\n"
			       " set vxlan_ports { type inet_service; }\n"
			       " set vxlan_peers4 { type ipv4_addr . inet_service; }\n"
			     : "",
		  ret, ret, level >= 2 ? "  ip daddr . iifname @fabric4 return\n" : "",
		  level >= 2 ? "  ip saddr . oifname @fabric4 accept\n" : "",
		  level >= 1 ? "  oifname @masq_bridges drop\n" : "",
		  level >= 2 ? " chain input { type filter hook input priority filter; policy accept;\n"
			       "  meta nfproto ipv4 meta l4proto udp udp dport @vxlan_ports"
			       " ip saddr . udp dport != @vxlan_peers4 drop\n }\n"
			     : "");
}

/* Upgrading berth: a table of an earlier layout gets the new rules and keeps its elements. */
static void upgrade_from(int level)
{
	struct nft_ctx *ctx = open_ctx();
	struct berr e = BERR_INIT;

	load_previous_layout(level);
	cr_assert_eq(nft_ensure(ctx, &e), 0, "%s", e.msg);
	assert_current_rules();
	tst_sh_ok(NULL, "nft list chain inet berth forward | grep -q 'oifname @masq_bridges drop'");
	tst_sh_ok(NULL, "nft list chain inet berth forward | grep -q 'oifname @masq6_bridges drop'");
	tst_sh_ok(NULL, "nft list table bridge berth | grep -q 'iifname . ip saddr != @ep_addrs4 drop'");
	tst_sh_ok(NULL, "nft list table bridge berth | grep -q 'iifname . ip6 saddr != @ep_addrs6 drop'");
	tst_sh_ok(NULL, "nft list chain inet berth postrouting | grep -q 'ip daddr . iifname @fabric4 return'");
	tst_sh_ok(NULL, "nft list chain inet berth postrouting | grep -q 'ip6 saddr @masq6 oifname != @bridges'");
	tst_sh_ok(NULL, "nft list chain inet berth prerouting | grep -q 'map @pub_any6'");
	tst_sh_ok(NULL, "nft list chain inet berth prerouting | head -4 | tail -1 | "
			"grep -q 'th dport 53 iifname @bridges fib daddr . iif type local return'");
	tst_sh_ok(NULL, "nft list chain inet berth forward | grep -q 'ip saddr . oifname @fabric4 accept'");
	tst_sh_ok(NULL, "nft list chain inet berth forward | grep -q 'ip6 saddr . oifname @fabric6 accept'");
	tst_sh_ok(NULL, "nft list chain inet berth postrouting | grep -q 'ip6 daddr . iifname @fabric6 return'");
	tst_sh_ok(NULL, "nft list chain inet berth input | grep -q 'ip saddr . udp dport != @vxlan_peers4 drop'");
	tst_sh_ok(NULL, "nft list chain inet berth input | grep -q 'ip6 saddr . udp dport != @vxlan_peers6 drop'");
	/* nothing published was lost on the way */
	cr_assert_eq(count_ports(ctx), 1);
	tst_sh_ok(NULL, "nft list set inet berth bridges | grep -q berth0");
	if (level >= 1)
		tst_sh_ok(NULL, "nft list set inet berth masq_bridges | grep -q berth0");
	cr_assert_eq(nft_ensure(ctx, &e), 0, "%s", e.msg);
	cr_assert_eq(rules_in("forward"), 11);
	nft_close(ctx);
}

Test(nft_table, ensure_upgrades_the_previous_layout)
{
	upgrade_from(0);
}

/* The layout before the fabric's rules (the hardening's). */
Test(nft_table, ensure_upgrades_the_hardening_layout)
{
	upgrade_from(1);
}

/* The layout before IPv6 (the fabric's). */
Test(nft_table, ensure_upgrades_the_ipv4_fabric_layout)
{
	upgrade_from(2);
}

/*
 * The layout before the IPv6 underlay: today's table without input's IPv6
 * rule and its set vxlan_peers6. The IPv4 rule is replaced by both, the
 * VXLAN sources stay.
 */
Test(nft_table, ensure_upgrades_the_ipv4_underlay_layout)
{
	struct nft_ctx *ctx = open_ctx(), *f = open_ctx();
	uint32_t p = topo_ip("192.0.2.12");
	struct berr e = BERR_INIT;

	cr_assert_eq(nft_ensure(ctx, &e), 0, "%s", e.msg);
	cr_assert_eq(nft_set_owner(f, "fabric a", NULL), 0);
	cr_assert_eq(nft_vxlan_sync(f, 4789, true, &p, 1, NULL, 0, &e), 0, "%s", e.msg);
	tst_sh_ok(NULL, "nft delete rule inet berth input handle $(nft -a list chain inet berth input | "
			"grep vxlan_peers6 | sed 's/.*# handle //') && nft delete set inet berth vxlan_peers6");
	cr_assert_eq(rules_in("input"), 1);
	cr_assert_eq(nft_ensure(ctx, &e), 0, "%s", e.msg);
	assert_current_rules();
	tst_sh_ok(NULL, "nft list chain inet berth input | head -4 | tail -1 | "
			"grep -q 'ip saddr . udp dport != @vxlan_peers4 drop'");
	tst_sh_ok(NULL, "nft list chain inet berth input | grep -q 'ip6 saddr . udp dport != @vxlan_peers6 drop'");
	tst_sh_ok(NULL, "nft list set inet berth vxlan_peers6 >/dev/null");
	tst_sh_ok(NULL, "nft list set inet berth vxlan_peers4 | grep -q '192.0.2.12 . 4789'");
	tst_sh_ok(NULL, "nft list set inet berth vxlan_ports | grep -q 4789");
	cr_assert_eq(nft_ensure(ctx, &e), 0, "%s", e.msg);
	cr_assert_eq(rules_in("input"), 2);
	nft_close(ctx);
	nft_close(f);
}

/*
 * The IPv6 layout, before the port 53 exemption: today's table without
 * prerouting's first rule. Its six rules are replaced, the elements stay.
 */
Test(nft_table, ensure_upgrades_the_ipv6_layout)
{
	struct nft_ctx *ctx = open_ctx();
	struct nft_port p = topo_port(NULL, 8080, BPROTO_TCP, "10.66.0.2", 80);
	struct berr e = BERR_INIT;

	cr_assert_eq(nft_ensure(ctx, &e), 0, "%s", e.msg);
	cr_assert_eq(nft_ports_add(ctx, &p, 1, &e), 0, "%s", e.msg);
	tst_sh_ok(NULL, "nft delete rule inet berth prerouting handle $(nft -a list chain inet berth prerouting | "
			"grep 'th dport 53' | sed 's/.*# handle //')");
	cr_assert_eq(rules_in("prerouting"), 6);
	cr_assert_eq(nft_ensure(ctx, &e), 0, "%s", e.msg);
	cr_assert_eq(rules_in("prerouting"), 7);
	tst_sh_ok(NULL, "nft list chain inet berth prerouting | grep -q 'fib daddr . iif type local return'");
	cr_assert_eq(count_ports(ctx), 1);
	cr_assert_eq(rules_in("output"), 6);
	nft_close(ctx);
}

/*
 * The layout before host-gw's IPv6: today's table without the sets fabric6
 * and fabric6_nets and their three rules (postrouting 6, forward 9). Both chains get their
 * rules again, the set comes back, the elements stay.
 */
Test(nft_table, ensure_upgrades_the_ipv4_hostgw_layout)
{
	struct nft_ctx *ctx = open_ctx();
	struct nft_network net = topo_net("fab", "10.70.1.0/24", true, false);
	struct berr e = BERR_INIT;

	cr_assert_eq(nft_ensure(ctx, &e), 0, "%s", e.msg);
	net.fabric.addr = topo_ip("10.70.0.0");
	net.fabric.prefix = 16;
	cr_assert_eq(nft_network_add(ctx, &net, &e), 0, "%s", e.msg);
	tst_sh_ok(NULL, "for c in postrouting forward; do for h in $(nft -a list chain inet berth $c | grep fabric6 | "
			"sed 's/.*# handle //'); do nft delete rule inet berth $c handle $h || exit 1; done; done && "
			"nft delete set inet berth fabric6 && nft delete set inet berth fabric6_nets");
	cr_assert_eq(rules_in("postrouting"), 6);
	cr_assert_eq(rules_in("forward"), 9);
	cr_assert_eq(nft_ensure(ctx, &e), 0, "%s", e.msg);
	assert_current_rules();
	tst_sh_ok(NULL, "nft list chain inet berth postrouting | grep -q 'ip6 daddr . iifname @fabric6 return'");
	tst_sh_ok(NULL, "nft list chain inet berth forward | grep -q 'ip6 saddr . oifname @fabric6 accept'");
	tst_sh_ok(NULL,
		  "nft list set inet berth fabric6 >/dev/null && nft list set inet berth fabric6_nets >/dev/null");
	tst_sh_ok(NULL, "nft list chain inet berth forward | grep -q "
			"'iifname @bridges ip6 daddr @fabric6_nets ip6 daddr . iifname != @fabric6 drop'");
	tst_sh_ok(NULL, "nft list set inet berth fabric4 | grep -q '10.70.0.0/16 . \"fab\"'");
	tst_sh_ok(NULL, "nft list map inet berth nets4 | grep -q '10.70.1.0/24'");
	cr_assert_eq(nft_ensure(ctx, &e), 0, "%s", e.msg);
	assert_current_rules();
	nft_close(ctx);
}

Test(nft_table, concurrent_ensure_adds_rules_once)
{
	pid_t pids[4];
	int go[2];

	/* all four start together: released at once when the pipe's write end closes */
	cr_assert_eq(pipe2(go, O_CLOEXEC), 0);
	for (int i = 0; i < 4; i++) {
		pids[i] = fork();
		cr_assert(pids[i] >= 0);
		if (pids[i] == 0) {
			struct berr e = BERR_INIT;
			struct nft_ctx *ctx = NULL;
			int bad = 0;
			char c;

			close(go[1]);
			if (nft_open(-1, &ctx, &e) < 0)
				_exit(2);
			if (read(go[0], &c, 1) < 0)
				_exit(3);
			for (int k = 0; k < 5; k++)
				if (nft_ensure(ctx, &e) < 0) {
					fprintf(stderr, "ensure: %s\n", e.msg);
					bad = 1;
				}
			nft_close(ctx);
			_exit(bad);
		}
	}
	close(go[0]);
	close(go[1]);
	for (int i = 0; i < 4; i++) {
		int st;

		cr_assert_eq(waitpid(pids[i], &st, 0), pids[i]);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "ensure failed in child %d", i);
	}
	cr_assert_eq(rules_in("prerouting"), 7);
	cr_assert_eq(rules_in("postrouting"), 7);
	cr_assert_eq(rules_in("forward"), 11);
}

Test(nft_table, duplicate_publish_is_refused_whole)
{
	struct nft_ctx *ctx = open_ensured();
	struct nft_port first = topo_port(NULL, 8080, BPROTO_TCP, "10.66.0.2", 80);
	struct nft_port batch[3] = {
		topo_port(NULL, 8081, BPROTO_TCP, "10.66.0.3", 80),
		topo_port(NULL, 8080, BPROTO_TCP, "10.66.0.3", 81), /* taken */
		topo_port("10.66.0.1", 8082, BPROTO_UDP, "10.66.0.3", 82),
	};
	struct berr e = BERR_INIT;
	struct nft_port *list = NULL;
	size_t n = 0;

	cr_assert_eq(nft_ports_add(ctx, &first, 1, &e), 0, "%s", e.msg);
	cr_assert_eq(nft_ports_add(ctx, &first, 1, &e), -EEXIST);
	cr_assert(strstr(e.msg, "tcp 0.0.0.0:8080") && strstr(e.msg, "already published"), "%s", e.msg);

	berr_clear(&e);
	cr_assert_eq(nft_ports_add(ctx, batch, 3, &e), -EEXIST);
	cr_assert(strstr(e.msg, "tcp 0.0.0.0:8080 is already published (to 10.66.0.2:80)"), "%s", e.msg);
	cr_assert_eq(nft_ports_list(ctx, &list, &n, &e), 0, "%s", e.msg);
	cr_assert_eq(n, 1, "a refused batch must add nothing (found %zu ports)", n);
	cr_assert(has_port(list, n, &first));
	free(list);

	/* the same port twice in one request */
	{
		struct nft_port twice[2] = {batch[0], batch[0]};

		cr_assert_eq(nft_ports_add(ctx, twice, 2, &e), -EEXIST);
		cr_assert(strstr(e.msg, "given twice"), "%s", e.msg);
		cr_assert_eq(count_ports(ctx), 1);
	}
	/* tcp and udp of one port number, and one port on two addresses, are distinct */
	{
		struct nft_port ok[3] = {
			topo_port(NULL, 8080, BPROTO_UDP, "10.66.0.3", 80),
			topo_port("198.51.100.2", 8080, BPROTO_TCP, "10.66.0.3", 80),
			topo_port("10.66.0.1", 8080, BPROTO_TCP, "10.66.0.4", 80),
		};

		cr_assert_eq(nft_ports_add(ctx, ok, 3, &e), 0, "%s", e.msg);
		cr_assert_eq(count_ports(ctx), 4);
	}
	nft_close(ctx);
}

Test(nft_table, bad_input_is_named)
{
	struct nft_ctx *ctx = open_ensured();
	struct nft_port p[2] = {topo_port(NULL, 8080, BPROTO_TCP, "10.66.0.2", 80),
				topo_port(NULL, 0, BPROTO_TCP, "10.66.0.2", 80)};
	struct nft_network n = topo_net("berth0", "10.66.0.0/16", true, false);
	struct berr e = BERR_INIT;

	cr_assert_eq(nft_ports_add(ctx, p, 2, &e), -EINVAL);
	cr_assert(strstr(e.msg, "ports[1].host_port"), "%s", e.msg);
	p[1] = topo_port(NULL, 80, 1 /* icmp */, "10.66.0.2", 80);
	cr_assert_eq(nft_ports_add(ctx, p, 2, &e), -EINVAL);
	cr_assert(strstr(e.msg, "ports[1].proto"), "%s", e.msg);
	cr_assert_eq(count_ports(ctx), 0);

	n.subnet.addr |= 5;
	cr_assert_eq(nft_network_add(ctx, &n, &e), -EINVAL);
	cr_assert(strstr(e.msg, "host bits"), "%s", e.msg);
	n = topo_net("bad/name", "10.66.0.0/16", true, false);
	cr_assert_eq(nft_network_add(ctx, &n, &e), -EINVAL);
	cr_assert(strstr(e.msg, "bridge"), "%s", e.msg);
	nft_close(ctx);
}

Test(nft_table, overlapping_subnet_fails_atomically)
{
	struct nft_ctx *ctx = open_ensured();
	struct nft_network a = topo_net("berth0", "10.66.0.0/16", true, false);
	struct nft_network b = topo_net("berth9", "10.66.4.0/24", true, false);
	struct berr e = BERR_INIT;
	struct nft_network *list = NULL;
	size_t n = 0;

	cr_assert_eq(nft_network_add(ctx, &a, &e), 0, "%s", e.msg);
	cr_assert_eq(nft_network_add(ctx, &b, &e), -EEXIST);
	cr_assert(strstr(e.msg, "subnet 10.66.4.0/24 of bridge berth9 conflicts"), "%s", e.msg);
	/* the same subnet on another bridge */
	b = topo_net("berth9", "10.66.0.0/16", true, false);
	cr_assert_eq(nft_network_add(ctx, &b, &e), -EEXIST);
	cr_assert(strstr(e.msg, "subnet 10.66.0.0/16 of bridge berth9 conflicts"), "%s", e.msg);
	/* nothing of berth9 went in, not even to the sets before nets4 in the batch */
	cr_assert_neq(tst_sh(NULL, "nft list set inet berth bridges | grep -q berth9"), 0);
	cr_assert_eq(nft_networks_list(ctx, &list, &n, &e), 0, "%s", e.msg);
	cr_assert_eq(n, 1);
	free(list);
	nft_close(ctx);
}

Test(nft_table, removal_tolerates_missing_elements)
{
	struct nft_ctx *ctx = open_ensured();
	struct nft_port p[2] = {topo_port(NULL, 8080, BPROTO_TCP, "10.66.0.2", 80),
				topo_port("198.51.100.2", 8081, BPROTO_UDP, "10.66.0.2", 81)};
	struct nft_network n = topo_net("berth0", "10.66.0.0/16", true, true);
	struct berr e = BERR_INIT;

	/* nothing there at all */
	cr_assert_eq(nft_ports_del(ctx, p, 2, &e), 0, "%s", e.msg);
	cr_assert_eq(nft_network_del(ctx, &n, &e), 0, "%s", e.msg);
	/* half there */
	cr_assert_eq(nft_ports_add(ctx, p, 1, &e), 0, "%s", e.msg);
	cr_assert_eq(nft_ports_del(ctx, p, 2, &e), 0, "%s", e.msg);
	cr_assert_eq(count_ports(ctx), 0);
	cr_assert_eq(nft_network_add(ctx, &n, &e), 0, "%s", e.msg);
	cr_assert_eq(nft_network_del(ctx, &n, &e), 0, "%s", e.msg);
	cr_assert_eq(nft_network_del(ctx, &n, &e), 0, "%s", e.msg);
	tst_sh_ok(NULL, "! nft list table inet berth | grep -q berth0");
	/* no table at all */
	cr_assert_eq(nft_delete_table(ctx, &e), 0, "%s", e.msg);
	cr_assert_eq(nft_delete_table(ctx, &e), 0, "%s", e.msg);
	cr_assert_eq(count_ports(ctx), 0);
	nft_close(ctx);
}

/* Kernels before 6.3 lack DESTROYSETELEM: the same calls must behave the same through DELSETELEM. */
Test(nft_table, removal_without_destroysetelem)
{
	struct nft_ctx *ctx = open_ensured();
	struct nft_port p[3] = {topo_port(NULL, 8080, BPROTO_TCP, "10.66.0.2", 80),
				topo_port("198.51.100.2", 8081, BPROTO_UDP, "10.66.0.2", 81),
				topo_port(NULL, 8082, BPROTO_TCP, "10.66.0.2", 82)};
	struct nft_network n = topo_net("berth0", "10.66.0.0/16", true, false);
	struct berr e = BERR_INIT;

	nft_ctx_force_no_destroy(ctx, true);
	cr_assert_eq(nft_ports_add(ctx, p, 2, &e), 0, "%s", e.msg);
	cr_assert_eq(nft_ports_del(ctx, p, 3, &e), 0, "%s", e.msg);
	cr_assert_eq(count_ports(ctx), 0);
	cr_assert_eq(nft_ports_del(ctx, p, 3, &e), 0, "%s", e.msg);
	cr_assert_eq(nft_network_add(ctx, &n, &e), 0, "%s", e.msg);
	n.masquerade = false; /* drops the subnet from masq4 via DELSETELEM */
	cr_assert_eq(nft_network_add(ctx, &n, &e), 0, "%s", e.msg);
	cr_assert_neq(tst_sh(NULL, "nft list set inet berth masq4 | grep -q 10.66.0.0"), 0);
	cr_assert_eq(nft_network_del(ctx, &n, &e), 0, "%s", e.msg);
	cr_assert_eq(nft_network_del(ctx, &n, &e), 0, "%s", e.msg);
	tst_sh_ok(NULL, "! nft list table inet berth | grep -q berth0");
	nft_close(ctx);
}

Test(nft_table, lists_round_trip)
{
	struct nft_ctx *ctx = open_ensured();
	struct nft_network nets[3] = {
		topo_net("berth0", "10.66.0.0/16", true, false),
		topo_net("berth1", "10.67.0.0/16", false, false), /* adjacent to berth0's subnet */
		topo_net("iso", "172.30.5.0/24", false, true),
	};
	struct nft_port ports[3] = {topo_port(NULL, 8080, BPROTO_TCP, "10.66.0.2", 80),
				    topo_port("198.51.100.2", 53, BPROTO_UDP, "10.67.0.9", 5353),
				    topo_port(NULL, 65535, BPROTO_UDP, "172.30.5.200", 1)};
	struct nft_network *nl = NULL;
	struct nft_port *pl = NULL;
	struct berr e = BERR_INIT;
	size_t n = 0;

	for (int i = 0; i < 3; i++)
		cr_assert_eq(nft_network_add(ctx, &nets[i], &e), 0, "%s", e.msg);
	cr_assert_eq(nft_ports_add(ctx, ports, 3, &e), 0, "%s", e.msg);

	cr_assert_eq(nft_networks_list(ctx, &nl, &n, &e), 0, "%s", e.msg);
	cr_assert_eq(n, 3);
	for (int i = 0; i < 3; i++) {
		const struct nft_network *l = listed(nl, n, nets[i].bridge);

		cr_assert_eq(l->subnet.addr, nets[i].subnet.addr);
		cr_assert_eq(l->subnet.prefix, nets[i].subnet.prefix);
		cr_assert_eq(l->masquerade, nets[i].masquerade && !nets[i].internal);
		cr_assert_eq(l->internal, nets[i].internal);
	}
	free(nl);

	cr_assert_eq(nft_ports_list(ctx, &pl, &n, &e), 0, "%s", e.msg);
	cr_assert_eq(n, 3);
	for (int i = 0; i < 3; i++)
		cr_assert(has_port(pl, n, &ports[i]), "port %d not listed", i);
	free(pl);

	/* what nft shows is what was meant */
	tst_sh_ok(NULL, "nft list map inet berth pub_any4 | grep -q 'tcp . 8080 : 10.66.0.2 . 80'");
	tst_sh_ok(NULL, "nft list map inet berth pub_ip4 | grep -q '198.51.100.2 . udp . 53 : 10.67.0.9 . 5353'");
	tst_sh_ok(NULL, "nft list map inet berth nets4 | grep -q '172.30.5.0/24 : \"iso\"'");
	nft_close(ctx);
}

Test(nft_table, ipv6_networks_round_trip)
{
	struct nft_ctx *ctx = open_ensured();
	struct nft_network nets[3] = {
		topo_net("ds", "10.66.0.0/16", true, false),
		topo_net("v6", "10.67.0.0/16", true, false),
		topo_net("glob", "10.68.0.0/16", false, false),
	};
	struct nft_network *nl = NULL;
	struct berr e = BERR_INIT;
	size_t n = 0;

	baddr_parse_cidr6("fd00:66::/64", false, &nets[0].subnet6, NULL);
	nets[0].masquerade6 = true;
	/* IPv6 only */
	memset(&nets[1].subnet, 0, sizeof(nets[1].subnet));
	baddr_parse_cidr6("fd00:67::/48", false, &nets[1].subnet6, NULL);
	nets[1].masquerade6 = true;
	baddr_parse_cidr6("2001:db8:100::/56", false, &nets[2].subnet6, NULL);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(nft_network_add(ctx, &nets[i], &e), 0, "%s", e.msg);
	cr_assert_eq(nft_networks_list(ctx, &nl, &n, &e), 0, "%s", e.msg);
	cr_assert_eq(n, 3);
	for (int i = 0; i < 3; i++) {
		const struct nft_network *l = listed(nl, n, nets[i].bridge);

		cr_assert_eq(l->subnet.prefix, nets[i].subnet.prefix);
		cr_assert(baddr_eq6(&l->subnet6.addr, &nets[i].subnet6.addr));
		cr_assert_eq(l->subnet6.prefix, nets[i].subnet6.prefix);
		cr_assert_eq(l->masquerade6, nets[i].masquerade6);
	}
	free(nl);
	tst_sh_ok(NULL, "nft list set inet berth masq6_bridges | grep -q '\"v6\"'");
	tst_sh_ok(NULL, "! nft list set inet berth masq6_bridges | grep -q glob");
	/* removal takes every IPv6 element */
	for (int i = 0; i < 3; i++)
		cr_assert_eq(nft_network_del(ctx, &nets[i], &e), 0, "%s", e.msg);
	tst_sh_ok(NULL, "! nft list table inet berth | grep -qE 'fd00|2001:db8'");
	nft_close(ctx);
}

Test(nft_table, rebuild_replaces_content_atomically)
{
	struct nft_ctx *ctx = open_ensured();
	struct nft_network old_net = topo_net("old0", "10.70.0.0/16", true, false);
	struct nft_port old_port = topo_port(NULL, 7000, BPROTO_TCP, "10.70.0.2", 70);
	struct nft_network nets[2] = {topo_net("berth0", "10.66.0.0/16", true, false),
				      topo_net("berth1", "10.67.0.0/16", false, true)};
	struct nft_port ports[2] = {topo_port(NULL, 8080, BPROTO_TCP, "10.66.0.2", 80),
				    topo_port("198.51.100.2", 8081, BPROTO_UDP, "10.66.0.3", 81)};
	struct nft_port dup[2] = {ports[0], ports[0]};
	struct nft_network *nl = NULL;
	struct nft_port *pl = NULL;
	struct berr e = BERR_INIT;
	size_t n = 0;

	foreign_tables();
	cr_assert_eq(nft_network_add(ctx, &old_net, &e), 0, "%s", e.msg);
	cr_assert_eq(nft_ports_add(ctx, &old_port, 1, &e), 0, "%s", e.msg);
	/* someone damaged the layout */
	tst_sh_ok(NULL, "nft flush chain inet berth postrouting && nft add rule inet berth forward counter");

	/* a rebuild that cannot be done leaves the old table exactly as it was */
	cr_assert_eq(nft_rebuild(ctx, nets, 2, NULL, 0, dup, 2, &e), -EEXIST);
	cr_assert(strstr(e.msg, "given twice"), "%s", e.msg);
	cr_assert_eq(rules_in("postrouting"), 0);
	cr_assert_eq(count_ports(ctx), 1);

	cr_assert_eq(nft_rebuild(ctx, nets, 2, NULL, 0, ports, 2, &e), 0, "%s", e.msg);
	cr_assert_eq(rules_in("postrouting"), 7);
	cr_assert_eq(rules_in("forward"), 11);
	cr_assert_eq(nft_ports_list(ctx, &pl, &n, &e), 0, "%s", e.msg);
	cr_assert_eq(n, 2);
	cr_assert(has_port(pl, n, &ports[0]) && has_port(pl, n, &ports[1]));
	free(pl);
	cr_assert_eq(nft_networks_list(ctx, &nl, &n, &e), 0, "%s", e.msg);
	cr_assert_eq(n, 2);
	for (size_t i = 0; i < n; i++)
		cr_assert(strcmp(nl[i].bridge, "old0") != 0, "old network survived the rebuild");
	free(nl);
	foreign_tables_intact();

	/* rebuilding from nothing, and to nothing */
	cr_assert_eq(nft_delete_table(ctx, &e), 0, "%s", e.msg);
	foreign_tables_intact();
	cr_assert_eq(nft_rebuild(ctx, nets, 2, NULL, 0, ports, 2, &e), 0, "%s", e.msg);
	cr_assert_eq(count_ports(ctx), 2);
	cr_assert_eq(nft_rebuild(ctx, NULL, 0, NULL, 0, NULL, 0, &e), 0, "%s", e.msg);
	cr_assert_eq(count_ports(ctx), 0);
	cr_assert_eq(rules_in("forward"), 11);
	cr_assert_eq(nft_delete_table(ctx, &e), 0, "%s", e.msg);
	tst_sh_ok(NULL, "! nft list table inet berth 2>/dev/null");
	tst_sh_ok(NULL, "! nft list table bridge berth 2>/dev/null");
	foreign_tables_intact();
	nft_close(ctx);
}

Test(nft_table, endpoint_elements_come_and_go_with_the_ports)
{
	struct nft_ctx *ctx = open_ensured();
	struct nft_endpoint ep = {.ifname = "bv0123456789ab", .mac = {0x0a, 0x58, 10, 66, 0, 2}};
	struct nft_port p = topo_port(NULL, 8080, BPROTO_TCP, "10.66.0.2", 80);
	struct berr e = BERR_INIT;

	ep.ip = topo_ip("10.66.0.2");
	cr_assert_eq(nft_endpoint_add(ctx, &ep, &p, 1, &e), 0, "%s", e.msg);
	tst_sh_ok(NULL, "nft list set bridge berth ep_ifaces | grep -q '\"bv0123456789ab\"'");
	tst_sh_ok(NULL, "nft list set bridge berth ep_addrs4 | grep -q '\"bv0123456789ab\" . 10.66.0.2'");
	tst_sh_ok(NULL, "nft list set bridge berth ep_macs | grep -q '\"bv0123456789ab\" . 0a:58:0a:42:00:02'");
	cr_assert_eq(count_ports(ctx), 1);
	/* a port already taken fails the whole batch: no anti-spoofing element of the endpoint either */
	ep.ifname[13] = 'c';
	cr_assert_eq(nft_endpoint_add(ctx, &ep, &p, 1, &e), -EEXIST);
	tst_sh_ok(NULL, "! nft list set bridge berth ep_ifaces | grep -q bv0123456789ac");
	ep.ifname[13] = 'b';
	cr_assert_eq(nft_endpoint_del(ctx, &ep, &p, 1, &e), 0, "%s", e.msg);
	cr_assert_eq(nft_endpoint_del(ctx, &ep, &p, 1, &e), 0, "%s", e.msg);
	cr_assert_eq(count_ports(ctx), 0);
	tst_sh_ok(NULL, "! nft list table bridge berth | grep -q 'elements = '");
	/* a rebuild writes them too */
	cr_assert_eq(nft_rebuild(ctx, NULL, 0, &ep, 1, &p, 1, &e), 0, "%s", e.msg);
	tst_sh_ok(NULL, "nft list set bridge berth ep_addrs4 | grep -q '\"bv0123456789ab\" . 10.66.0.2'");
	cr_assert_eq(nft_rebuild(ctx, NULL, 0, NULL, 0, NULL, 0, &e), 0, "%s", e.msg);
	tst_sh_ok(NULL, "! nft list table bridge berth | grep -q 'elements = '");
	nft_close(ctx);
}

Test(nft_table, foreign_tables_survive_everything)
{
	struct nft_ctx *ctx = open_ctx();
	struct nft_network net = topo_net("berth0", "10.66.0.0/16", true, false);
	struct nft_port p = topo_port(NULL, 8080, BPROTO_TCP, "10.66.0.2", 80);
	struct berr e = BERR_INIT;

	foreign_tables();
	cr_assert_eq(nft_ensure(ctx, &e), 0, "%s", e.msg);
	cr_assert_eq(nft_network_add(ctx, &net, &e), 0, "%s", e.msg);
	cr_assert_eq(nft_ports_add(ctx, &p, 1, &e), 0, "%s", e.msg);
	cr_assert_eq(nft_ports_del(ctx, &p, 1, &e), 0, "%s", e.msg);
	cr_assert_eq(nft_network_del(ctx, &net, &e), 0, "%s", e.msg);
	cr_assert_eq(nft_rebuild(ctx, &net, 1, NULL, 0, &p, 1, &e), 0, "%s", e.msg);
	foreign_tables_intact();
	cr_assert_eq(nft_delete_table(ctx, &e), 0, "%s", e.msg);
	foreign_tables_intact();
	/* exactly two tables remain: nothing else was created or removed */
	{
		int st;
		char *out = tst_sh_out(NULL, &st, "nft list tables | sort | tr '\\n' ,");

		cr_assert_str_eq(out, "table inet other,table ip berth,");
		free(out);
	}
	nft_close(ctx);
}

Test(nft_table, works_in_another_namespace)
{
	int nsfd = tst_netns_add("c1");
	struct nft_port p = topo_port(NULL, 8080, BPROTO_TCP, "10.66.0.2", 80);
	struct berr e = BERR_INIT;
	struct nft_ctx *ctx = NULL;

	cr_assert_eq(nft_open(nsfd, &ctx, &e), 0, "%s", e.msg);
	cr_assert_eq(nft_ensure(ctx, &e), 0, "%s", e.msg);
	cr_assert_eq(nft_ports_add(ctx, &p, 1, &e), 0, "%s", e.msg);
	tst_sh_ok("c1", "nft list map inet berth pub_any4 | grep -q 8080");
	tst_sh_ok(NULL, "! nft list tables | grep -q berth");
	nft_close(ctx);
}

Test(nft_table, ten_thousand_ports)
{
	enum { N = 10000 };
	struct nft_ctx *ctx = open_ensured();
	struct nft_port *ports = calloc(N, sizeof(*ports));
	struct nft_port *list = NULL;
	struct berr e = BERR_INIT;
	size_t n = 0;

	cr_assert(ports);
	for (uint32_t i = 0; i < N; i++) {
		ports[i].host_ip = i % 3 == 0 ? 0xc6336402 : 0; /* a third on 198.51.100.2 only */
		ports[i].host_port = (uint16_t)(20000 + i);
		ports[i].proto = i % 2 ? BPROTO_UDP : BPROTO_TCP;
		ports[i].dest_ip = 0x0a420000 | (2 + i % 60000);
		ports[i].dest_port = (uint16_t)(1 + i);
	}
	cr_assert_eq(nft_ports_add(ctx, ports, N, &e), 0, "%s", e.msg);
	cr_assert_eq(nft_ports_list(ctx, &list, &n, &e), 0, "%s", e.msg);
	cr_assert_eq(n, N);
	for (size_t i = 0; i < N; i += 997)
		cr_assert(has_port(list, n, &ports[i]), "port %zu missing", i);
	free(list);

	/* one more is still one element, and a conflicting 10,000 is refused whole */
	{
		struct nft_port one = topo_port(NULL, 8080, BPROTO_TCP, "10.66.0.2", 80);

		cr_assert_eq(nft_ports_add(ctx, &one, 1, &e), 0, "%s", e.msg);
		cr_assert_eq(nft_ports_del(ctx, &one, 1, &e), 0, "%s", e.msg);
		ports[N - 1].dest_port = 9; /* the same keys again */
		cr_assert_eq(nft_ports_add(ctx, ports, N, &e), -EEXIST);
		cr_assert_eq(count_ports(ctx), N);
	}
	/* and the whole lot goes in one rebuild, and out in one delete */
	cr_assert_eq(nft_rebuild(ctx, NULL, 0, NULL, 0, ports, N, &e), 0, "%s", e.msg);
	cr_assert_eq(count_ports(ctx), N);
	cr_assert_eq(nft_ports_del(ctx, ports, N, &e), 0, "%s", e.msg);
	cr_assert_eq(count_ports(ctx), 0);
	free(ports);
	nft_close(ctx);
}

static bool alive_unless_c(const char *owner)
{
	return strcmp(owner, "store c") != 0;
}

Test(nft_table, a_rebuild_keeps_other_owners_elements)
{
	struct nft_ctx *a = open_ensured(), *b = open_ensured();
	struct nft_network na = topo_net("berth0", "10.66.0.0/16", true, false);
	struct nft_network nb = topo_net("cni0", "10.88.0.0/24", true, false);
	struct nft_endpoint ep = {.ifname = "bv0123456789ab", .mac = {0x0a, 0x58, 10, 66, 0, 2}};
	struct nft_port pa[2] = {topo_port(NULL, 8080, BPROTO_TCP, "10.66.0.2", 80),
				 topo_port("198.51.100.2", 53, BPROTO_UDP, "10.66.0.2", 53)};
	struct nft_port pb = topo_port(NULL, 8081, BPROTO_TCP, "10.88.0.2", 80);
	struct nft_port taken = topo_port(NULL, 8080, BPROTO_TCP, "10.88.0.3", 80);
	struct nft_network *nl = NULL;
	struct berr e = BERR_INIT;
	size_t n = 0;

	ep.ip = topo_ip("10.66.0.2");
	cr_assert_eq(nft_set_owner(a, "store a", NULL), 0);
	cr_assert_eq(nft_set_owner(b, "store b", NULL), 0);
	cr_assert_eq(nft_network_add(a, &na, &e), 0, "%s", e.msg);
	cr_assert_eq(nft_endpoint_add(a, &ep, pa, 2, &e), 0, "%s", e.msg);
	tst_sh_ok(NULL, "nft list map inet berth pub_any4 | grep -q 'comment \"store a\"'");
	/* b rebuilds with its own: a's network, endpoint and ports stay, marks and all */
	cr_assert_eq(nft_rebuild(b, &nb, 1, NULL, 0, &pb, 1, &e), 0, "%s", e.msg);
	cr_assert_eq(count_ports(a), 3);
	cr_assert_eq(nft_networks_list(a, &nl, &n, &e), 0, "%s", e.msg);
	cr_assert_eq(n, 2);
	free(nl);
	tst_sh_ok(NULL, "nft list set inet berth masq_bridges | grep -q berth0");
	tst_sh_ok(NULL, "nft list set inet berth masq4 | grep -q 10.66.0.0/16");
	tst_sh_ok(NULL, "nft list set bridge berth ep_addrs4 | grep -q '\"bv0123456789ab\" . 10.66.0.2'");
	/* a host port both claim: the store rebuilding keeps it */
	cr_assert_eq(nft_rebuild(b, &nb, 1, NULL, 0, &taken, 1, &e), 0, "%s", e.msg);
	tst_sh_ok(NULL, "nft list map inet berth pub_any4 | grep -q 'tcp . 8080 comment \"store b\" : 10.88.0.3 . 80'");
	cr_assert_eq(count_ports(a), 2);
	/* b deletes the tables: a's elements stay; a deleting them next leaves nothing */
	cr_assert_eq(nft_network_del(b, &nb, &e), 0, "%s", e.msg);
	cr_assert_eq(nft_ports_del(b, &taken, 1, &e), 0, "%s", e.msg);
	cr_assert_eq(nft_delete_table(b, &e), 0, "%s", e.msg);
	cr_assert_eq(count_ports(a), 1);
	tst_sh_ok(NULL, "nft list set inet berth bridges | grep -q berth0");
	/* the elements of an owner that is gone (its state directory removed) are not kept */
	{
		struct nft_ctx *c = open_ensured();
		struct nft_port pc = topo_port(NULL, 8082, BPROTO_TCP, "10.99.0.2", 80);

		cr_assert_eq(nft_set_owner(c, "store c", NULL), 0);
		cr_assert_eq(nft_ports_add(c, &pc, 1, &e), 0, "%s", e.msg);
		cr_assert_eq(count_ports(a), 2);
		cr_assert_eq(nft_set_owner(a, "store a", alive_unless_c), 0);
		cr_assert_eq(nft_rebuild(a, &na, 1, NULL, 0, pa, 1, &e), 0, "%s", e.msg);
		cr_assert_eq(count_ports(a), 1);
		nft_close(c);
	}
	cr_assert_eq(nft_rebuild(a, NULL, 0, NULL, 0, NULL, 0, &e), 0, "%s", e.msg);
	cr_assert_eq(nft_delete_table(a, &e), 0, "%s", e.msg);
	tst_sh_ok(NULL, "! nft list table inet berth 2>/dev/null && ! nft list table bridge berth 2>/dev/null");
	nft_close(a);
	nft_close(b);
}

static bool peers_are(struct nft_ctx *ctx, uint16_t port, const char *want)
{
	struct berr e = BERR_INIT;
	uint32_t *v = NULL;
	size_t n = 0;
	char got[256] = "", a[INET_ADDRSTRLEN];

	cr_assert_eq(nft_vxlan_peers_list(ctx, port, &v, &n, &e), 0, "%s", e.msg);
	for (size_t i = 0; i < n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? " " : "", baddr_fmt4(v[i], a));
	free(v);
	cr_assert_str_eq(got, want);
	return true;
}

static bool peers6_are(struct nft_ctx *ctx, uint16_t port, const char *want)
{
	struct berr e = BERR_INIT;
	struct in6_addr *v = NULL;
	size_t n = 0;
	char got[512] = "", a[INET6_ADDRSTRLEN];

	cr_assert_eq(nft_vxlan_peers6_list(ctx, port, &v, &n, &e), 0, "%s", e.msg);
	for (size_t i = 0; i < n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? " " : "", baddr_fmt6(&v[i], a));
	free(v);
	cr_assert_str_eq(got, want);
	return true;
}

/* The fabric's elements: a host-gw network's whole subnet, the VXLAN port and the peers it accepts. */
Test(nft_table, fabric_elements_and_vxlan_sources)
{
	struct nft_ctx *a = open_ensured(), *f = open_ctx();
	struct nft_network net = topo_net("fab", "10.70.1.0/24", true, false);
	struct nft_network bad = net;
	uint32_t p[3] = {topo_ip("192.0.2.12"), topo_ip("192.0.2.13"), topo_ip("192.0.2.14")};
	struct berr e = BERR_INIT;

	cr_assert_eq(nft_set_owner(a, "store a", NULL), 0);
	cr_assert_eq(nft_set_owner(f, "fabric a", NULL), 0);
	net.fabric.addr = topo_ip("10.70.0.0");
	net.fabric.prefix = 16;
	cr_assert_eq(nft_network_add(a, &net, &e), 0, "%s", e.msg);
	tst_sh_ok(NULL, "nft list set inet berth fabric4 | grep -q '10.70.0.0/16 . \"fab\" comment \"store a\"'");
	/* nft (the tool) reads every rule back */
	tst_sh_ok(NULL, "nft list table inet berth >/dev/null");
	bad.fabric.prefix = 25;
	cr_assert_eq(nft_network_add(a, &bad, &e), -EINVAL);
	cr_assert(strstr(e.msg, "fabric"), "%s", e.msg);

	/* the VXLAN sources: exactly what sync says, one at a time after */
	cr_assert_eq(nft_vxlan_sync(f, 4789, true, p, 2, NULL, 0, &e), 0, "%s", e.msg);
	tst_sh_ok(NULL, "nft list set inet berth vxlan_ports | grep -q 4789");
	peers_are(f, 4789, "192.0.2.12 192.0.2.13");
	cr_assert_eq(nft_vxlan_sync(f, 4789, true, p + 1, 2, NULL, 0, &e), 0, "%s", e.msg);
	peers_are(f, 4789, "192.0.2.13 192.0.2.14");
	cr_assert_eq(nft_vxlan_peer(f, 4789, p[0], true, &e), 0, "%s", e.msg);
	cr_assert_eq(nft_vxlan_peer(f, 4789, p[1], false, &e), 0, "%s", e.msg);
	cr_assert_eq(nft_vxlan_peer(f, 4789, p[1], false, &e), 0, "%s", e.msg);
	peers_are(f, 4789, "192.0.2.12 192.0.2.14");
	peers_are(f, 4790, "");
	/* the store's rebuild keeps them (another owner's), and its network's element comes back */
	cr_assert_eq(nft_rebuild(a, &net, 1, NULL, 0, NULL, 0, &e), 0, "%s", e.msg);
	peers_are(f, 4789, "192.0.2.12 192.0.2.14");
	tst_sh_ok(NULL, "nft list set inet berth vxlan_ports | grep -q 4789");
	tst_sh_ok(NULL, "nft list set inet berth fabric4 | grep -q '10.70.0.0/16 . \"fab\"'");
	/* another owner's source stays through a sync; off takes the port and this owner's sources */
	cr_assert_eq(nft_vxlan_peer(a, 4789, p[1], true, &e), 0, "%s", e.msg);
	cr_assert_eq(nft_vxlan_sync(f, 4789, true, p, 1, NULL, 0, &e), 0, "%s", e.msg);
	peers_are(f, 4789, "192.0.2.12 192.0.2.13");
	cr_assert_eq(nft_vxlan_sync(f, 4789, false, NULL, 0, NULL, 0, &e), 0, "%s", e.msg);
	peers_are(f, 4789, "192.0.2.13");
	tst_sh_ok(NULL, "! nft list set inet berth vxlan_ports | grep -q 4789");
	/* IPv6 underlay addresses: vxlan_peers6, in the same batch as the IPv4 ones */
	{
		struct in6_addr q[3];

		cr_assert_eq(baddr_parse6("2001:db8::12", &q[0], NULL), 0);
		cr_assert_eq(baddr_parse6("2001:db8::13", &q[1], NULL), 0);
		cr_assert_eq(baddr_parse6("2001:db8::14", &q[2], NULL), 0);
		cr_assert_eq(nft_vxlan_sync(f, 4789, true, p, 1, q, 2, &e), 0, "%s", e.msg);
		peers6_are(f, 4789, "2001:db8::12 2001:db8::13");
		peers_are(f, 4789, "192.0.2.12 192.0.2.13");
		tst_sh_ok(NULL, "nft list set inet berth vxlan_peers6 | grep -q '2001:db8::12 . 4789'");
		cr_assert_eq(nft_vxlan_sync(f, 4789, true, NULL, 0, q + 1, 2, &e), 0, "%s", e.msg);
		peers6_are(f, 4789, "2001:db8::13 2001:db8::14");
		peers_are(f, 4789, "192.0.2.13");
		cr_assert_eq(nft_vxlan_peer6(f, 4789, &q[0], true, &e), 0, "%s", e.msg);
		cr_assert_eq(nft_vxlan_peer6(f, 4789, &q[1], false, &e), 0, "%s", e.msg);
		cr_assert_eq(nft_vxlan_peer6(f, 4789, &q[1], false, &e), 0, "%s", e.msg);
		peers6_are(f, 4789, "2001:db8::12 2001:db8::14");
		peers6_are(f, 4790, "");
		tst_sh_ok(NULL, "nft list table inet berth >/dev/null");
		cr_assert_eq(nft_vxlan_sync(f, 4789, false, NULL, 0, NULL, 0, &e), 0, "%s", e.msg);
		peers6_are(f, 4789, "");
		tst_sh_ok(NULL, "! nft list set inet berth vxlan_ports | grep -q 4789");
	}
	/* the network's removal takes its fabric element */
	cr_assert_eq(nft_network_del(a, &net, &e), 0, "%s", e.msg);
	tst_sh_ok(NULL, "! nft list set inet berth fabric4 | grep -q 10.70");
	/* a dual-stack host-gw network: its whole subnet6 in fabric6 too, in the same batch */
	cr_assert_eq(baddr_parse_cidr6("fd70:0:0:1::/64", false, &net.subnet6, NULL), 0);
	cr_assert_eq(baddr_parse_cidr6("fd70::/48", false, &net.fabric6, NULL), 0);
	cr_assert_eq(nft_network_add(a, &net, &e), 0, "%s", e.msg);
	tst_sh_ok(NULL, "nft list set inet berth fabric6 | grep -q 'fd70::/48 . \"fab\" comment \"store a\"'");
	tst_sh_ok(NULL, "nft list set inet berth fabric6_nets | grep -q 'fd70::/48 comment \"store a\"'");
	tst_sh_ok(NULL, "nft list set inet berth fabric4 | grep -q '10.70.0.0/16 . \"fab\"'");
	tst_sh_ok(NULL, "nft list table inet berth >/dev/null");
	bad = net;
	cr_assert_eq(baddr_parse_cidr6("fd70:0:0:2::/63", false, &bad.fabric6, NULL), 0);
	cr_assert_eq(nft_network_add(a, &bad, &e), -EINVAL);
	cr_assert(strstr(e.msg, "fabric6"), "%s", e.msg);
	/* a rebuild writes it again, the removal takes it */
	cr_assert_eq(nft_rebuild(a, &net, 1, NULL, 0, NULL, 0, &e), 0, "%s", e.msg);
	tst_sh_ok(NULL, "nft list set inet berth fabric6 | grep -q 'fd70::/48 . \"fab\"'");
	cr_assert_eq(nft_network_del(a, &net, &e), 0, "%s", e.msg);
	tst_sh_ok(NULL, "! nft list set inet berth fabric6 | grep -q fd70");
	tst_sh_ok(NULL, "! nft list set inet berth fabric6_nets | grep -q fd70");
	tst_sh_ok(NULL, "! nft list set inet berth fabric4 | grep -q 10.70");
	nft_close(a);
	nft_close(f);
}
