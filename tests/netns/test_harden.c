/*
 * Hardening, from the attacker's side (docs/robustness.md): the host's
 * loopback stays closed to containers and to the outside world, and its
 * loopback addresses other than 127.0.0.1 to published ports; unpublished
 * ports of masquerading networks to neighbours; a container cannot send as
 * another (source address or MAC); reconcile never wires an endpoint into a
 * namespace that reused a dead one's inode number. Hand-made frames
 * (tst_raw) stand in for a container with CAP_NET_RAW and for a neighbour
 * on the uplink.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_netd_fixture.h"

TestSuite(harden, .init = tst_isolate, .fini = tst_teardown, .timeout = 120);

/* A SYN from ns out of ifname to dst_mac, from src to dst:dport; 1 SYN-ACK, 2 RST, 0 no answer. */
static int syn(const char *ns, const char *ifname, const uint8_t dst_mac[6], const char *src, const char *dst,
	       uint16_t dport, int timeout_ms)
{
	struct tst_raw p = {.ifname = ifname, .src = src, .dst = dst, .sport = 40123, .dport = dport};
	int r;

	memcpy(p.dst_mac, dst_mac, 6);
	r = tst_raw(ns, &p, timeout_ms);
	cr_assert_geq(r, 0, "raw frame from %s: %s", ns ? ns : "host", strerror(-r));
	return r;
}

Test(harden, host_loopback_closed_to_containers)
{
	struct eng *eng = fx_engine();
	struct eng_endpoint a;
	uint8_t br[6];

	fx_network(eng, "berth0", "10.66.0.0/16");
	a = fx_attach(eng, "berth0", "c1", "c1", NULL);
	tst_mac(NULL, "berth0", br);
	tst_serve(NULL, false, "127.0.0.1", 9999, "host-lo");
	tst_serve(NULL, false, NULL, 9998, "host-any");
	/* the frame gets through to the host's stack when addressed to the gateway */
	cr_assert_eq(syn("c1", "eth0", br, "10.66.0.2", "10.66.0.1", 9998, 2000), 1);
	/* CVE-2020-8558: route_localnet on the bridge must not open the host's loopback to a container */
	cr_assert_eq(syn("c1", "eth0", br, "10.66.0.2", "127.0.0.1", 9999, 1000), 0,
		     "a container reached a host service bound to 127.0.0.1");
	cr_assert_eq(syn("c1", "eth0", br, "10.66.0.2", "127.0.0.1", 9998, 1000), 0,
		     "a container reached 127.0.0.1 of the host");
	eng_endpoint_clear(&a);
	eng_close(eng);
}

Test(harden, published_loopback_closed_to_upstream)
{
	static const char *const ports[] = {"127.0.0.1:8081:80/tcp", "8080:80/tcp", NULL};
	struct eng *eng = fx_engine();
	struct eng_endpoint a;
	uint8_t up[6];

	tst_upstream();
	fx_network(eng, "berth0", "10.66.0.0/16");
	a = fx_attach(eng, "berth0", "web", "c1", ports);
	tst_serve("c1", false, NULL, 80, "web");
	tst_mac(NULL, TST_UPSTREAM_IFNAME, up);
	/* a neighbour's frame to the published port is answered */
	cr_assert_eq(syn("upstream", "wan0", up, TST_UPSTREAM_GW_IP, TST_UPSTREAM_HOST_IP, 8080, 2000), 1);
	/* moby#45610: addressed to 127.0.0.1 it matched `fib daddr type local` and was DNATed */
	cr_assert_eq(syn("upstream", "wan0", up, TST_UPSTREAM_GW_IP, "127.0.0.1", 8081, 1000), 0,
		     "a neighbour reached a port published on 127.0.0.1");
	cr_assert_eq(syn("upstream", "wan0", up, TST_UPSTREAM_GW_IP, "127.0.0.1", 8080, 1000), 0,
		     "a neighbour reached a published port through 127.0.0.1");
	/* the host itself still reaches both on 127.0.0.1 */
	fx_expect(NULL, "127.0.0.1", 8081, "web", "10.66.0.1");
	fx_expect(NULL, "127.0.0.1", 8080, "web", "10.66.0.1");
	eng_endpoint_clear(&a);
	eng_close(eng);
}

Test(harden, unpublished_ports_closed_to_neighbours)
{
	static const char *const ports[] = {"8080:80/tcp", NULL};
	struct eng *eng = fx_engine();
	struct eng_network plain;
	struct eng_endpoint a, b;
	struct berr e = BERR_INIT;

	tst_upstream();
	fx_network(eng, "berth0", "10.66.0.0/16");
	/* a network without masquerade is routed on purpose: the outside reaches it with a route */
	eng_network_init(&plain, "plain");
	cr_assert_eq(baddr_parse_cidr4("10.67.0.0/16", false, &plain.subnet, NULL), 0);
	plain.masquerade = false;
	cr_assert_eq(eng_network_ensure(eng, &plain, NULL, &e), 0, "%s", e.msg);
	a = fx_attach(eng, "berth0", "web", "c1", ports);
	b = fx_attach(eng, "plain", "routed", "c2", NULL);
	tst_serve("c1", false, NULL, 80, "web");
	tst_serve("c1", false, NULL, 81, "secret");
	tst_serve("c2", false, NULL, 80, "routed");
	tst_serve("upstream", false, TST_UPSTREAM_GW_IP, 9000, "up");
	/* a neighbour that routes the subnets through the host */
	tst_sh_ok("upstream", "ip route add 10.66.0.0/16 via " TST_UPSTREAM_HOST_IP
			      " && ip route add 10.67.0.0/16 via " TST_UPSTREAM_HOST_IP);
	fx_unreachable("upstream", "10.66.0.2", 81);
	fx_unreachable("upstream", "10.66.0.2", 80);
	/* what must keep working: the published port, the way out, the host, the routed network */
	fx_expect("upstream", TST_UPSTREAM_HOST_IP, 8080, "web", TST_UPSTREAM_GW_IP);
	fx_expect("c1", TST_UPSTREAM_GW_IP, 9000, "up", TST_UPSTREAM_HOST_IP);
	fx_expect(NULL, "10.66.0.2", 81, "secret", "10.66.0.1");
	fx_expect("upstream", "10.67.0.2", 80, "routed", TST_UPSTREAM_GW_IP);
	eng_endpoint_clear(&a);
	eng_endpoint_clear(&b);
	eng_close(eng);
}

Test(harden, every_address_is_not_every_loopback_address)
{
	static const char *const ports[] = {"53:53/tcp", "53:53/udp", "127.0.0.54:5354:53/tcp", NULL};
	struct eng *eng = fx_engine();
	struct eng_endpoint a;
	char reply[128];

	fx_network(eng, "berth0", "10.66.0.0/16");
	a = fx_attach(eng, "berth0", "dns", "c1", ports);
	tst_serve("c1", false, NULL, 53, "ctr");
	tst_serve("c1", true, NULL, 53, "ctr");
	/* the host's own resolver stub (systemd-resolved listens on 127.0.0.53) */
	tst_serve(NULL, false, "127.0.0.53", 53, "stub");
	tst_serve(NULL, true, "127.0.0.53", 53, "stub");
	cr_assert_eq(tst_request(NULL, true, "127.0.0.53", 53, reply, sizeof(reply), 2000), 0);
	cr_assert_str_eq(reply, "stub 127.0.0.1\n", "the container captured the host's DNS queries (udp)");
	fx_expect(NULL, "127.0.0.53", 53, "stub", "127.0.0.1");
	/* 127.0.0.1 is part of "every address"; another loopback address is published only when named */
	fx_expect(NULL, "127.0.0.1", 53, "ctr", "10.66.0.1");
	fx_expect(NULL, "127.0.0.54", 5354, "ctr", "10.66.0.1");
	fx_unreachable(NULL, "127.0.0.1", 5354);
	eng_endpoint_clear(&a);
	eng_close(eng);
}

/*
 * A port 53 published on every address takes what the outside sends to
 * the host's port 53, never a neighbour's query to its gateway: that one is
 * for netd's DNS (here a stand-in on the gateway's addresses), both
 * families, UDP and TCP.
 */
Test(harden, every_address_is_not_the_gateways_dns)
{
	static const char *const ports[] = {"53:53/tcp", "53:53/udp", NULL};
	static const char *const gws[] = {"10.66.0.1", "fd00:66::1"};
	struct eng *eng;
	struct eng_endpoint a, b;
	char reply[128], want[128];

	if (access("/proc/sys/net/ipv6", F_OK) != 0)
		tst_skip("this kernel has no IPv6");
	eng = fx_engine();
	tst_upstream();
	fx_network6(eng, "berth0", "10.66.0.0/24", "fd00:66::/64");
	a = fx_attach(eng, "berth0", "dns", "c1", ports);
	b = fx_attach(eng, "berth0", "client", "c2", NULL);
	tst_serve("c1", false, "::", 53, "ctr");
	tst_serve("c1", true, "::", 53, "ctr");
	for (size_t i = 0; i < 2; i++) {
		tst_serve(NULL, false, gws[i], 53, "netd");
		tst_serve(NULL, true, gws[i], 53, "netd");
	}
	for (size_t i = 0; i < 2; i++) {
		const char *src = i ? "fd00:66::3" : "10.66.0.3";

		fx_expect("c2", gws[i], 53, "netd", src);
		cr_assert_eq(tst_request("c2", true, gws[i], 53, reply, sizeof(reply), 3000), 0);
		snprintf(want, sizeof(want), "netd %s\n", src);
		cr_assert_str_eq(reply, want, "a neighbour's query to %s went to the container", gws[i]);
	}
	/* the published port still takes the outside's, in both families */
	fx_expect("upstream", TST_UPSTREAM_HOST_IP, 53, "ctr", TST_UPSTREAM_GW_IP);
	fx_expect("upstream", TST_UPSTREAM_HOST_IP6, 53, "ctr", TST_UPSTREAM_GW_IP6);
	cr_assert_eq(tst_request("upstream", true, TST_UPSTREAM_HOST_IP6, 53, reply, sizeof(reply), 3000), 0);
	cr_assert_str_eq(reply, "ctr " TST_UPSTREAM_GW_IP6 "\n");
	/* and the neighbour's through the host's uplink address (hairpin): only the gateway is exempt */
	fx_expect("c2", TST_UPSTREAM_HOST_IP, 53, "ctr", "10.66.0.1");
	eng_endpoint_clear(&a);
	eng_endpoint_clear(&b);
	eng_close(eng);
}

/* A UDP socket on addr:port in namespace ns that counts what arrives until reaped (never answers). */
struct listener {
	pid_t pid;
	int *got;
};

static struct listener listen_udp(const char *ns, const char *addr, uint16_t port)
{
	struct listener l = {.got = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)};
	int p[2];
	char ok = 0;

	cr_assert(l.got != MAP_FAILED);
	*l.got = 0;
	cr_assert(pipe2(p, O_CLOEXEC) == 0);
	l.pid = fork();
	cr_assert(l.pid >= 0);
	if (l.pid == 0) {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
		char buf[256];
		int fd;

		close(p[0]);
		inet_pton(AF_INET, addr, &sa.sin_addr);
		if (setns(tst_netns_fd(ns), CLONE_NEWNET) < 0 || (fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0 ||
		    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || write(p[1], "1", 1) != 1)
			_exit(1);
		close(p[1]);
		for (;;)
			if (recv(fd, buf, sizeof(buf), 0) > 0)
				__atomic_add_fetch(l.got, 1, __ATOMIC_SEQ_CST);
	}
	close(p[1]);
	cr_assert(read(p[0], &ok, 1) == 1 && ok == '1', "listener %s:%u in %s", addr, port, ns);
	close(p[0]);
	return l;
}

/* What the listener heard within wait_ms; stops it. */
static int heard(struct listener l, int wait_ms)
{
	int n;

	for (int i = 0; i < wait_ms / 20 && !__atomic_load_n(l.got, __ATOMIC_SEQ_CST); i++)
		usleep(20000);
	n = *l.got;
	kill(l.pid, SIGKILL);
	waitpid(l.pid, NULL, 0);
	munmap(l.got, sizeof(int));
	return n;
}

/* A UDP datagram from ns's eth0 to dst_mac, claiming src_ip:sport (and src_mac, NULL: its own). */
static void udp_from(const char *ns, const uint8_t dst_mac[6], const uint8_t *src_mac, const char *src_ip,
		     uint16_t sport, const char *dst_ip, uint16_t dport)
{
	struct tst_raw p = {.ifname = "eth0",
			    .src_mac = src_mac,
			    .src = src_ip,
			    .dst = dst_ip,
			    .sport = sport,
			    .dport = dport,
			    .udp = true};

	memcpy(p.dst_mac, dst_mac, 6);
	cr_assert_eq(tst_raw(ns, &p, 0), 0);
}

Test(harden, spoofed_sources_reach_nothing)
{
	struct eng *eng = fx_engine();
	struct eng_endpoint a, b, c;
	uint8_t mac_b[6], mac_c[6], br[6];
	struct listener l;

	fx_network(eng, "berth0", "10.66.0.0/16");
	a = fx_attach(eng, "berth0", "a", "c1", NULL);
	b = fx_attach(eng, "berth0", "b", "c2", NULL);
	c = fx_attach(eng, "berth0", "c", "c3", NULL);
	tst_mac("c2", "eth0", mac_b);
	tst_mac("c3", "eth0", mac_c);
	tst_mac(NULL, "berth0", br);
	tst_serve("c3", true, NULL, 7000, "c3");
	tst_serve(NULL, true, "10.66.0.1", 7000, "host");

	/* b's own datagram is answered (the check lets the real owner through) */
	l = listen_udp("c2", "10.66.0.3", 5555);
	udp_from("c2", mac_c, NULL, "10.66.0.3", 5555, "10.66.0.4", 7000);
	cr_assert_eq(heard(l, 2000), 1, "b's own datagram got no answer");
	/* a, claiming b's address: neither the neighbour nor the host answers b */
	l = listen_udp("c2", "10.66.0.3", 5556);
	udp_from("c1", mac_c, NULL, "10.66.0.3", 5556, "10.66.0.4", 7000);
	udp_from("c1", br, NULL, "10.66.0.3", 5556, "10.66.0.1", 7000);
	cr_assert_eq(heard(l, 1000), 0, "a datagram with another container's source address got through");
	/* a, claiming b's MAC with its own address: dropped too (it would also steal b's frames on the bridge) */
	l = listen_udp("c1", "10.66.0.2", 5557);
	udp_from("c1", mac_c, mac_b, "10.66.0.2", 5557, "10.66.0.4", 7000);
	cr_assert_eq(heard(l, 1000), 0, "a frame with another container's MAC got through");
	/* and a with its own identity still talks */
	l = listen_udp("c1", "10.66.0.2", 5558);
	udp_from("c1", mac_c, NULL, "10.66.0.2", 5558, "10.66.0.4", 7000);
	cr_assert_eq(heard(l, 2000), 1, "a's own datagram got no answer");
	eng_endpoint_clear(&a);
	eng_endpoint_clear(&b);
	eng_endpoint_clear(&c);
	eng_close(eng);
}

/* A new namespace of type (CLONE_NEWNET, CLONE_NEWUTS) bound at path, no process in it; returns its inode. */
static ino_t ns_bind(const char *path, int type)
{
	struct stat st;
	pid_t pid;
	int fd, status;

	fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0444);
	cr_assert(fd >= 0, "%s: %s", path, strerror(errno));
	close(fd);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0)
		_exit(unshare(type) < 0 || mount(type == CLONE_NEWNET ? "/proc/self/ns/net" : "/proc/self/ns/uts", path,
						 NULL, MS_BIND, NULL) < 0);
	cr_assert(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert_eq(stat(path, &st), 0);
	return st.st_ino;
}

/*
 * A new network namespace at path with inode number ino, freed a moment ago:
 * every namespace type draws from one pool of numbers, lowest free first,
 * so small UTS namespaces fill the holes below it until ino is next. False
 * when another process took the number meanwhile, or it never came back.
 */
static bool ns_reuse(const char *path, ino_t ino)
{
	for (int i = 0; i < 20000; i++) {
		char filler[PATH_MAX];
		ino_t got;

		snprintf(filler, sizeof(filler), "%s", tst_path("filler%d", i));
		got = ns_bind(filler, CLONE_NEWUTS);

		if (got < ino)
			continue; /* a hole below: keep it filled */
		cr_assert_eq(umount2(filler, MNT_DETACH), 0);
		if (got == ino)
			return ns_bind(path, CLONE_NEWNET) == ino;
		/* not free yet: a network namespace is torn down by a kernel worker */
		usleep(500);
	}
	return false;
}

Test(harden, reconcile_never_wires_a_namespace_that_reused_an_inode)
{
	struct eng *eng = fx_engine();
	struct eng_attach req = {.network = "berth0", .id = "gone"};
	struct eng_reconcile_report rep;
	struct eng_endpoint ep;
	struct berr e = BERR_INIT;
	char path[PATH_MAX];
	ino_t ino;
	int fd;

	snprintf(path, sizeof(path), "%s", tst_path("ns"));
	fx_network(eng, "berth0", "10.66.0.0/16");
	ino = ns_bind(path, CLONE_NEWNET);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	req.netns_fd = fd;
	req.netns_path = path;
	cr_assert_eq(eng_attach(eng, &req, &ep, &e), 0, "%s", e.msg);
	close(fd);
	eng_close(eng); /* netd is down */
	/* the container goes away, its veth with it; its inode number is free again */
	cr_assert_eq(umount2(path, MNT_DETACH), 0);
	tst_sh_ok(NULL, "for i in $(seq 200); do ip link show %s >/dev/null 2>&1 || exit 0; sleep 0.05; done; exit 1",
		  ep.host_ifname);
	/* a new namespace with that inode, at the same path (as a runtime reusing names) */
	if (!ns_reuse(path, ino)) {
		/* another process took the number: the record then names the new namespace's, as reuse would */
		ino = ns_bind(path, CLONE_NEWNET);
		tst_sh_ok(NULL,
			  "f=%s/networks/berth0/endpoints/gone/eth0.json && jq -c '.netns_ino = %lu' $f > $f.new && mv "
			  "$f.new $f",
			  tst_path("state"), (unsigned long)ino);
		cr_log_warn("inode not reused in time: record rewritten to %lu", (unsigned long)ino);
	}
	eng = fx_engine();
	cr_assert_eq(eng_reconcile(eng, &rep, &e), 0, "%s", e.msg);
	cr_assert_eq(rep.endpoints_kept, 0, "the endpoint was wired into another namespace");
	cr_assert_eq(rep.endpoints_dropped, 1);
	cr_assert_str_eq(fx_out(NULL, "nsenter --net=$BERTH_TEST_DIR/ns ip -o link show | wc -l"), "1",
			 "the stranger namespace got an interface");
	fx_assert_clean("berth0");
	eng_endpoint_clear(&ep);
	eng_close(eng);
}
