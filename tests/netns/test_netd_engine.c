/*
 * The engine in-process (as berth-cni uses it): real bridges, veths,
 * addresses, routes and nftables in the test's own namespaces, checked by
 * traffic and by what the kernel holds.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_netd_fixture.h"

TestSuite(netd_engine, .init = tst_isolate, .fini = tst_teardown, .timeout = 120);

Test(netd_engine, two_containers_on_one_network_talk)
{
	struct eng *eng = fx_engine();
	struct eng_endpoint a, b;

	fx_network(eng, "berth0", "10.66.0.0/16");
	a = fx_attach(eng, "berth0", "c1", "c1", NULL);
	b = fx_attach(eng, "berth0", "c2", "c2", NULL);
	cr_assert_eq(a.ip, fx_ip("10.66.0.2"));
	cr_assert_eq(b.ip, fx_ip("10.66.0.3"));
	/* the kernel side: peer born in the namespace with the address, default route, lo up */
	cr_assert_str_eq(fx_out("c1", "ip -4 -o addr show dev eth0 | awk '{print $4}'"), "10.66.0.2/16");
	cr_assert_str_eq(fx_out("c1", "ip route show default | awk '{print $1,$2,$3,$4,$5}'"),
			 "default via 10.66.0.1 dev eth0");
	cr_assert_str_eq(fx_out("c1", "ip -o link show lo | grep -c UP"), "1");
	cr_assert_str_eq(fx_out(NULL, "ip -o link show master berth0 | wc -l"), "2");
	cr_assert_str_eq(fx_out(NULL, "ip -d link show dev $(ip -o link show master berth0 | head -1 | "
				      "awk -F': ' '{print $2}' | cut -d@ -f1) | grep -o 'hairpin on'"),
			 "hairpin on");
	tst_serve("c2", false, NULL, 7000, "c2");
	fx_expect("c1", "10.66.0.3", 7000, "c2", "10.66.0.2");
	eng_endpoint_clear(&a);
	eng_endpoint_clear(&b);
	eng_close(eng);
}

Test(netd_engine, container_reaches_upstream_masqueraded)
{
	struct eng *eng = fx_engine();
	struct eng_endpoint a;

	tst_upstream();
	fx_network(eng, "berth0", "10.66.0.0/16");
	a = fx_attach(eng, "berth0", "c1", "c1", NULL);
	tst_serve("upstream", false, TST_UPSTREAM_GW_IP, 8000, "up");
	fx_expect("c1", TST_UPSTREAM_GW_IP, 8000, "up", TST_UPSTREAM_HOST_IP);
	cr_assert_str_eq(fx_out(NULL, "cat /proc/sys/net/ipv4/ip_forward"), "1");
	eng_endpoint_clear(&a);
	eng_close(eng);
}

Test(netd_engine, networks_are_isolated)
{
	struct eng *eng = fx_engine();
	struct eng_endpoint a, b;

	fx_network(eng, "neta", "10.70.0.0/24");
	fx_network(eng, "netb", "10.71.0.0/24");
	a = fx_attach(eng, "neta", "c1", "c1", NULL);
	b = fx_attach(eng, "netb", "c2", "c2", NULL);
	tst_serve("c2", false, NULL, 7000, "c2");
	tst_serve("c1", false, NULL, 7000, "c1");
	fx_unreachable("c1", "10.71.0.2", 7000);
	fx_unreachable("c2", "10.70.0.2", 7000);
	/* the host itself still reaches both */
	fx_expect(NULL, "10.71.0.2", 7000, "c2", "10.71.0.1");
	eng_endpoint_clear(&a);
	eng_endpoint_clear(&b);
	eng_close(eng);
}

Test(netd_engine, published_port_from_upstream_localhost_and_hairpin)
{
	static const char *const ports[] = {"8080:80/tcp", NULL};
	struct eng *eng = fx_engine();
	struct eng_endpoint a, b;

	tst_upstream();
	fx_network(eng, "berth0", "10.66.0.0/16");
	a = fx_attach(eng, "berth0", "web", "c1", ports);
	b = fx_attach(eng, "berth0", "client", "c2", NULL);
	tst_serve("c1", false, NULL, 80, "web");
	/* from "another machine", through the host's address: its source is kept */
	fx_expect("upstream", TST_UPSTREAM_HOST_IP, 8080, "web", TST_UPSTREAM_GW_IP);
	/* from the host on 127.0.0.1 (route_localnet + masquerade to the bridge address) */
	fx_expect(NULL, "127.0.0.1", 8080, "web", "10.66.0.1");
	/* hairpin: another container, and the container itself, through the host's address */
	fx_expect("c2", TST_UPSTREAM_HOST_IP, 8080, "web", "10.66.0.1");
	fx_expect("c1", TST_UPSTREAM_HOST_IP, 8080, "web", "10.66.0.1");
	eng_endpoint_clear(&a);
	eng_endpoint_clear(&b);
	eng_close(eng);
}

Test(netd_engine, second_publish_of_a_host_port_is_refused)
{
	static const char *const ports[] = {"8080:80/tcp", NULL};
	static const char *const ports2[] = {"8081:80/tcp", "8080:81", NULL};
	struct eng *eng = fx_engine();
	struct eng_endpoint a;
	struct berr e = BERR_INIT;

	fx_network(eng, "berth0", "10.66.0.0/16");
	a = fx_attach(eng, "berth0", "web", "c1", ports);
	cr_assert_eq(fx_attach_full(eng, "berth0", "web2", "c2", 0, ports2, NULL, &e), -EADDRINUSE);
	cr_assert(strstr(e.msg, "host port tcp/8080 is already published by container 'web'"), "%s", e.msg);
	/* nothing of the refused attach is left: no veth, no lease, no element, no claim */
	cr_assert_str_eq(fx_out("c2", "ip -o link show | wc -l"), "1");
	cr_assert_str_eq(fx_out(NULL, "ip -o link show master berth0 | wc -l"), "1");
	cr_assert_eq(fx_elems("pub_any4"), 1);
	cr_assert_eq(access(tst_path("state/ports/tcp-8081.json"), F_OK), -1);
	/* the same port on udp is another port; and the freed address goes to the next */
	static const char *const udp[] = {"8080:80/udp", NULL};
	struct eng_endpoint b = fx_attach(eng, "berth0", "web2", "c2", udp);
	cr_assert_eq(b.ip, fx_ip("10.66.0.3"));
	eng_endpoint_clear(&a);
	eng_endpoint_clear(&b);
	eng_close(eng);
}

Test(netd_engine, detach_leaves_nothing_behind)
{
	static const char *const ports[] = {"8080:80/tcp", "127.0.0.1:9000-9002:90-92/udp", NULL};
	struct eng *eng = fx_engine();
	struct eng_endpoint a;
	struct berr e = BERR_INIT;
	size_t n = 0;

	fx_network(eng, "berth0", "10.66.0.0/16");
	a = fx_attach(eng, "berth0", "web", "c1", ports);
	cr_assert_str_eq(fx_out(NULL, "nft list map inet berth pub_ip4 | sed 's/ comment \"[^\"]*\"//' | "
				      "grep -o '127.0.0.1 . udp . 9001 : 10.66.0.2 . 91'"),
			 "127.0.0.1 . udp . 9001 : 10.66.0.2 . 91");
	cr_assert_eq(eng_detach(eng, NULL, "web", NULL, &n, &e), 0, "%s", e.msg);
	cr_assert_eq(n, 1);
	fx_assert_clean("berth0");
	cr_assert_str_eq(fx_out("c1", "ip -o link show | wc -l"), "1");
	/* detaching again is fine and finds nothing */
	cr_assert_eq(eng_detach(eng, NULL, "web", NULL, &n, &e), 0, "%s", e.msg);
	cr_assert_eq(n, 0);
	/* the address is free again, and the next attach reuses nothing stale */
	eng_endpoint_clear(&a);
	a = fx_attach(eng, "berth0", "web", "c1", ports);
	eng_endpoint_clear(&a);
	eng_close(eng);
}

Test(netd_engine, detach_after_the_namespace_is_gone)
{
	static const char *const ports[] = {"8080:80/tcp", NULL};
	struct eng *eng = fx_engine();
	struct eng_endpoint a;
	struct berr e = BERR_INIT;
	size_t n = 0;

	fx_network(eng, "berth0", "10.66.0.0/16");
	a = fx_attach(eng, "berth0", "web", "c1", ports);
	tst_teardown(); /* drops the test's fd of c1 */
	tst_sh_ok(NULL, "ip netns del c1");
	cr_assert_eq(eng_detach(eng, "berth0", "web", "eth0", &n, &e), 0, "%s", e.msg);
	cr_assert_eq(n, 1);
	fx_assert_clean("berth0");
	eng_endpoint_clear(&a);
	eng_close(eng);
}

/*
 * Criterion's parallel runner (2.4.1) now and then leaks a 48-byte block of
 * its own in the parent process, which LeakSanitizer reports at exit of
 * `make SANITIZE=1 check`. Leaks allocated inside libcriterion are not ours:
 * suppress exactly those (the hook is read only by sanitized builds).
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libcriterion.so\n";
}

Test(netd_engine, refuses_its_own_namespace)
{
	struct eng *eng = fx_engine();
	struct eng_attach a = {.network = "n1", .id = "c1", .netns_fd = tst_netns_fd(NULL)};
	struct eng_endpoint ep;
	struct berr e = BERR_INIT;
	char *out;
	int st;

	fx_network(eng, "n1", "10.66.0.0/24");
	cr_assert_eq(eng_attach(eng, &a, &ep, &e), -EINVAL);
	cr_assert(strstr(e.msg, "own network namespace"), "%s", e.msg);
	out = tst_sh_out(NULL, &st, "ip -o link show type veth | wc -l");
	cr_assert_eq(atoi(out), 0, "a veth was made in the engine's own namespace");
	free(out);
	eng_close(eng);
}
