/*
 * Concurrency and crashes: many processes attaching at once on one state
 * directory, a kill -9 at each step of attach and detach followed by
 * reconcile, and reconcile repairing what was removed behind berth's back.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_netd_fixture.h"

TestSuite(netd_reconcile, .init = tst_isolate, .fini = tst_teardown, .timeout = 180);

#define N_CONCURRENT 32

Test(netd_reconcile, concurrent_attaches_get_distinct_addresses)
{
	struct eng *eng = fx_engine();
	uint32_t *ips =
		mmap(NULL, sizeof(uint32_t) * N_CONCURRENT, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pids[N_CONCURRENT];

	fx_network(eng, "berth0", "10.66.0.0/16");
	for (int i = 0; i < N_CONCURRENT; i++) {
		char ns[16];

		snprintf(ns, sizeof(ns), "c%d", i);
		tst_netns_add(ns);
	}
	/* each child is a process of its own with its own engine, as berth-cni processes are */
	for (int i = 0; i < N_CONCURRENT; i++) {
		pids[i] = fork();
		cr_assert(pids[i] >= 0);
		if (pids[i] == 0) {
			struct eng_opts o = {.state_dir = tst_path("state")};
			struct eng_attach a = {.network = "berth0"};
			struct eng_endpoint ep;
			struct berr e = BERR_INIT;
			struct eng *ce = NULL;
			char id[16], ns[16];

			snprintf(id, sizeof(id), "ctr%d", i);
			snprintf(ns, sizeof(ns), "c%d", i);
			a.id = id;
			a.netns_fd = tst_netns_fd(ns);
			if (eng_open(&o, &ce, &e) < 0 || eng_attach(ce, &a, &ep, &e) < 0) {
				fprintf(stderr, "child %d: %s\n", i, e.msg);
				_exit(1);
			}
			ips[i] = ep.ip;
			_exit(0);
		}
	}
	for (int i = 0; i < N_CONCURRENT; i++) {
		int st;

		cr_assert_eq(waitpid(pids[i], &st, 0), pids[i]);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "attach %d failed", i);
	}
	for (int i = 0; i < N_CONCURRENT; i++) {
		char ns[16];
		char want[32];

		cr_assert(ips[i] >= fx_ip("10.66.0.2") && ips[i] <= fx_ip("10.66.0.33"));
		for (int j = 0; j < i; j++)
			cr_assert_neq(ips[i], ips[j], "c%d and c%d both got %s", i, j, fx_fmt(ips[i]));
		/* and the kernel agrees */
		snprintf(ns, sizeof(ns), "c%d", i);
		snprintf(want, sizeof(want), "%s/16", fx_fmt(ips[i]));
		cr_assert_str_eq(fx_out(ns, "ip -4 -o addr show dev eth0 | awk '{print $4}'"), want);
	}
	eng_close(eng);
}

/* Run an attach (and for detach failpoints, then a detach) in a child that dies at failpoint fp. */
static void crash_at(const char *fp, bool detach)
{
	pid_t pid = fork();
	int st;

	cr_assert(pid >= 0);
	if (pid == 0) {
		static const char *const ports[] = {"8080:80/tcp", "9000-9001:9000-9001/udp", NULL};
		struct eng_opts o = {.state_dir = tst_path("state")};
		struct eng_endpoint ep;
		struct berr e = BERR_INIT;
		struct eng *ce = NULL;

		if (eng_open(&o, &ce, &e) < 0)
			_exit(1);
		if (!detach)
			setenv("BERTH_FAILPOINT", fp, 1);
		if (fx_attach_full(ce, "berth0", "web", "c1", 0, ports, &ep, &e) < 0) {
			fprintf(stderr, "attach: %s\n", e.msg);
			_exit(2);
		}
		setenv("BERTH_FAILPOINT", fp, 1);
		eng_detach(ce, "berth0", "web", NULL, NULL, &e);
		_exit(3);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	if (strcmp(fp, "attach-complete") != 0 || detach)
		cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "%s: child did not die there (status %d)", fp,
			  st);
}

static void check_crash(const char *fp, bool detach)
{
	struct eng *eng = fx_engine();
	struct eng_reconcile_report rep;
	struct eng_endpoint ep;
	struct berr e = BERR_INIT;
	size_t n;

	tst_netns_add("c1");
	fx_network(eng, "berth0", "10.66.0.0/16");
	crash_at(fp, detach);
	cr_assert_eq(eng_reconcile(eng, &rep, &e), 0, "%s: reconcile: %s", fp, e.msg);
	if (strcmp(fp, "attach-complete") == 0 && !detach) {
		/* it finished before dying: reconcile keeps it whole */
		cr_assert_eq(rep.endpoints_kept, 1);
		cr_assert_eq(fx_elems("pub_any4"), 3);
		cr_assert_eq(eng_detach(eng, "berth0", "web", NULL, &n, &e), 0, "%s", e.msg);
	} else {
		cr_assert_eq(rep.endpoints_kept, 0, "%s", fp);
	}
	fx_assert_clean("berth0");
	cr_assert_str_eq(fx_out("c1", "ip -o link show | wc -l"), "1", "%s: interface left in the container", fp);
	/* the lease came back: nothing in use, and the same address can be had again */
	{
		struct eng_status s;

		cr_assert_eq(eng_status(eng, "berth0", &s, &e), 0, "%s", e.msg);
		cr_assert_eq(s.used, 0, "%s: %zu addresses still in use", fp, s.used);
	}
	cr_assert_eq(fx_attach_full(eng, "berth0", "web", "c1", fx_ip("10.66.0.2"), NULL, &ep, &e), 0, "%s: %s", fp,
		     e.msg);
	eng_endpoint_clear(&ep);
	eng_close(eng);
}

Test(netd_reconcile, kill_after_pending_record)
{
	check_crash("attach-pending", false);
}

Test(netd_reconcile, kill_after_port_claims)
{
	check_crash("attach-claimed", false);
}

Test(netd_reconcile, kill_after_veth_created)
{
	check_crash("attach-veth", false);
}

Test(netd_reconcile, kill_after_container_configured)
{
	check_crash("attach-linked", false);
}

Test(netd_reconcile, kill_after_ports_published)
{
	check_crash("attach-published", false);
}

Test(netd_reconcile, kill_after_attach_completed)
{
	check_crash("attach-complete", false);
}

Test(netd_reconcile, kill_during_detach_before_unlink)
{
	check_crash("detach-removing", true);
}

Test(netd_reconcile, kill_during_detach_after_unlink)
{
	check_crash("detach-unlinked", true);
}

/* An engine with berth0 and two endpoints on it: web in c1 (publishing 8080:80/tcp when published), other in c2. */
static struct eng *web_and(bool published, const char *other, struct eng_endpoint *ret_web,
			   struct eng_endpoint *ret_other)
{
	static const char *const ports[] = {"8080:80/tcp", NULL};
	struct eng *eng = fx_engine();

	fx_network(eng, "berth0", "10.66.0.0/16");
	*ret_web = fx_attach(eng, "berth0", "web", "c1", published ? ports : NULL);
	*ret_other = fx_attach(eng, "berth0", other, "c2", NULL);
	return eng;
}

Test(netd_reconcile, recreates_a_deleted_bridge_and_table)
{
	struct eng_reconcile_report rep;
	struct eng_endpoint a, b;
	struct eng *eng = web_and(true, "client", &a, &b);
	struct berr e = BERR_INIT;

	tst_sh_ok(NULL, "ip link del berth0 && nft delete table inet berth");
	cr_assert_eq(eng_reconcile(eng, &rep, &e), 0, "%s", e.msg);
	cr_assert_eq(rep.bridges_created, 1);
	cr_assert_eq(rep.endpoints_kept, 2);
	cr_assert_eq(rep.endpoints_repaired, 2);
	cr_assert_eq(rep.ports, 1);
	cr_assert_str_eq(fx_out(NULL, "ip -4 -o addr show dev berth0 | awk '{print $4}'"), "10.66.0.1/16");
	cr_assert_str_eq(fx_out(NULL, "ip -o link show master berth0 | wc -l"), "2");
	tst_serve("c1", false, NULL, 80, "web");
	fx_expect("c2", "10.66.0.2", 80, "web", "10.66.0.3");
	fx_expect(NULL, "127.0.0.1", 8080, "web", "10.66.0.1");
	fx_expect("c2", "10.66.0.1", 8080, "web", "10.66.0.1");
	eng_endpoint_clear(&a);
	eng_endpoint_clear(&b);
	eng_close(eng);
}

Test(netd_reconcile, drops_endpoints_whose_namespace_is_gone)
{
	struct eng_reconcile_report rep;
	struct eng_endpoint a, b;
	struct eng *eng = web_and(true, "other", &a, &b);
	struct berr e = BERR_INIT;

	tst_teardown();
	tst_sh_ok(NULL, "ip netns del c1");
	/* the kernel tears a dead namespace down asynchronously; its veth goes last */
	tst_sh_ok(NULL, "for i in $(seq 100); do ip link show %s >/dev/null 2>&1 || exit 0; sleep 0.05; done; exit 1",
		  a.host_ifname);
	cr_assert_eq(eng_reconcile(eng, &rep, &e), 0, "%s", e.msg);
	cr_assert_eq(rep.endpoints_dropped, 1);
	cr_assert_eq(rep.endpoints_kept, 1);
	cr_assert_eq(fx_elems("pub_any4"), 0);
	cr_assert_eq(access(tst_path("state/networks/berth0/endpoints/web"), F_OK), -1);
	cr_assert_eq(access(tst_path("state/ports/tcp-8080.json"), F_OK), -1);
	eng_endpoint_clear(&a);
	/* the lease of the dead container is free again */
	cr_assert_eq(fx_attach_full(eng, "berth0", "web2", "c3", fx_ip("10.66.0.2"), NULL, &a, &e), 0, "%s", e.msg);
	eng_endpoint_clear(&a);
	eng_endpoint_clear(&b);
	eng_close(eng);
}

Test(netd_reconcile, rewires_a_live_container_and_removes_orphans)
{
	struct eng_reconcile_report rep;
	struct eng_endpoint a, b;
	struct eng *eng = web_and(false, "client", &a, &b);
	struct berr e = BERR_INIT;

	tst_sh_ok(NULL, "ip link del %s", a.host_ifname);
	/* a veth of berth's naming on berth's bridge that no record claims */
	tst_sh_ok(NULL,
		  "ip link add bv0123456789ab type veth peer name junk0 && ip link set bv0123456789ab master berth0");
	cr_assert_eq(eng_reconcile(eng, &rep, &e), 0, "%s", e.msg);
	cr_assert_eq(rep.endpoints_repaired, 1);
	cr_assert_eq(rep.links_removed, 1);
	cr_assert_neq(tst_sh(NULL, "ip link show bv0123456789ab 2>/dev/null"), 0);
	cr_assert_str_eq(fx_out("c1", "ip -4 -o addr show dev eth0 | awk '{print $4}'"), "10.66.0.2/16");
	tst_serve("c1", false, NULL, 80, "web");
	fx_expect("c2", "10.66.0.2", 80, "web", "10.66.0.3");
	eng_endpoint_clear(&a);
	eng_endpoint_clear(&b);
	eng_close(eng);
}
