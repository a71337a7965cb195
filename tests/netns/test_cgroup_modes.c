/*
 * The other cgroup modes on this machine: each test unmounts hierarchies in
 * its own private mount namespace (tst_isolate), so the module sees a pure
 * cgroup2 system (v1 hidden), a pure v1 system (unified hidden), or hybrid
 * without a v1 devices hierarchy. The kernel objects are the real ones and
 * are still visible (and swept) from the host's mount namespace.
 *
 * On pure v2 only the controllers this machine's unified hierarchy offers
 * (hugetlb) are usable: memory/cpu/pids limits on v2 cannot be exercised
 * here; their refusal is.
 */
#include <sched.h>
#include <sys/mman.h>

#include "cg_helpers.h"

TestSuite(cgroup_modes, .init = tst_isolate, .fini = tst_teardown);

static void require_unified(void)
{
	if (rt_cgroup_detect() == RT_CGROUP_V1)
		tst_skip("no cgroup2 hierarchy is mounted on this machine");
}

Test(cgroup_modes, pure_v2)
{
	const char *base;
	struct rt_cgroup *cg;
	struct berr e = BERR_INIT;
	char want[600], *out;
	pid_t *pids = NULL;
	size_t n = 0;
	int fd = -1, st;
	pid_t pid;

	require_unified();
	cgt_hide(true, false, NULL);
	cr_assert_eq(rt_cgroup_detect(), RT_CGROUP_V2);
	base = cgt_base("v2");
	cg = cgt_create(base, NULL);
	cr_assert_eq(cg->n, 1);
	cr_assert_eq(rt_cgroup_get_mode(cg), RT_CGROUP_V2);

	/* clone3 straight into the cgroup */
	cr_assert_eq(rt_cgroup_clone_fd(cg, &fd, &e), 0, "%s", e.msg);
	cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	pid = cgt_clone_into(fd);
	if (pid == 0)
		cgt_pause_forever(NULL);
	close(fd);
	out = tst_sh_out(NULL, &st, "grep '^0::' /proc/%d/cgroup", (int)pid);
	snprintf(want, sizeof(want), "0::%s\n", base);
	cr_assert_str_eq(out, want);
	free(out);

	cr_assert_eq(rt_cgroup_pids(cg, &pids, &n, &e), 0, "%s", e.msg);
	cr_assert_eq(n, 1);
	cr_assert_eq(pids[0], pid);
	free(pids);

	/* cgroup.freeze and cgroup.events */
	cr_assert_eq(rt_cgroup_freeze(cg, true, &e), 0, "%s", e.msg);
	cr_assert_str_eq(cgt_read(cg, "", "cgroup.freeze"), "1");
	{
		uint64_t v = 0;

		cr_assert_eq(cg_read_key(cg->h[0].dir, "cgroup.events", "frozen", &v), 0);
		cr_assert_eq(v, 1);
	}
	cr_assert_eq(rt_cgroup_freeze(cg, false, &e), 0, "%s", e.msg);
	cr_assert_str_eq(cgt_read(cg, "", "cgroup.freeze"), "0");

	/* cgroup.kill */
	cr_assert_eq(rt_cgroup_kill_all(cg, SIGKILL, &e), 0, "%s", e.msg);
	cr_assert_eq(cgt_wait(pid), 128 + SIGKILL);
	cgt_wait_empty(cg);
	cgt_destroy(cg, base);
}

Test(cgroup_modes, pure_v2_refuses_controllers_it_lacks)
{
	const char *base;
	const char *cfg = "{\"memory\":{\"limit\":33554432}}";
	struct rt_cgroup_resources res;
	struct rt_cgroup *cg = NULL;
	struct berr e = BERR_INIT;
	_cleanup_json_ json_t *j = NULL;
	struct cg_mounts ms;
	char dir[1024];

	require_unified();
	cgt_hide(true, false, NULL);
	base = cgt_base("v2mem");
	cr_assert_eq(cg_mounts_read(&ms, NULL), 0);
	cr_assert_eq(ms.n, 1);
	snprintf(dir, sizeof(dir), "%s%s", ms.m[0].mount, base);
	if (cg_v2_available(ms.m[0].mount, "memory")) {
		cg_mounts_free(&ms);
		/* a real v2 machine: the limit is applied, which the cgroup suite checks */
		return;
	}
	cg_mounts_free(&ms);
	cr_assert_eq(bjson_parse(cfg, strlen(cfg), &j, NULL), 0);
	cr_assert_eq(rt_cgroup_resources_parse(j, &res, NULL), 0);
	cr_assert_eq(rt_cgroup_create(base, "t", &res, &cg, &e), -ENOTSUP);
	cr_assert(strstr(e.msg, "linux.resources.memory"), "%s", e.msg);
	cr_assert(access(dir, F_OK) < 0, "nothing made");
}

static void check_bpf_devices(const char *name)
{
	const char *base = cgt_base(name);
	struct rt_cgroup *cg =
		cgt_create(base, "{\"devices\":[{\"allow\":true,\"access\":\"rwm\"},"
				 "{\"allow\":false,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"}]}");
	pid_t pid;

	cr_assert_null(rt_cgroup_dir(cg, "devices"), "no v1 devices hierarchy in this view");
	pid = cgt_run_in(cg, cgt_null_denied, NULL);
	cr_assert_eq(cgt_wait(pid), 0, "the BPF program must deny /dev/null and allow /dev/zero");
	/* a second apply replaces the program instead of stacking a second one */
	{
		struct rt_cgroup_device_rule allow = {true, 'a', -1, -1, "rwm"};
		struct berr e = BERR_INIT;

		cr_assert_eq(cg_bpf_devices_attach(rt_cgroup_dir(cg, ""), &allow, 1, &e), 0, "%s", e.msg);
		pid = cgt_run_in(cg, cgt_null_denied, NULL);
		cr_assert_eq(cgt_wait(pid), 1, "after the replacement /dev/null opens");
	}
	cgt_destroy(cg, NULL);
}

Test(cgroup_modes, pure_v2_devices_by_bpf)
{
	require_unified();
	cgt_hide(true, false, NULL);
	check_bpf_devices("v2dev");
}

Test(cgroup_modes, hybrid_without_v1_devices_uses_bpf)
{
	require_unified();
	cgt_hide(false, false, "devices");
	cr_assert_eq(rt_cgroup_detect(), RT_CGROUP_HYBRID);
	check_bpf_devices("hybdev");
}

static int spin(void *arg)
{
	volatile unsigned long *counter = arg;

	for (;;)
		(*counter)++;
	return 0;
}

Test(cgroup_modes, pure_v1_freezer_and_kill)
{
	const char *base;
	struct rt_cgroup *cg;
	struct berr e = BERR_INIT;
	volatile unsigned long *counter;
	unsigned long a;
	bool frozen = false;
	pid_t pid;

	cgt_hide(false, true, NULL);
	cr_assert_eq(rt_cgroup_detect(), RT_CGROUP_V1);
	base = cgt_base("v1");
	cg = cgt_create(base, "{\"pids\":{\"limit\":20}}");
	if (!rt_cgroup_dir(cg, "freezer"))
		tst_skip("no v1 freezer hierarchy");
	cr_assert_null(rt_cgroup_dir(cg, ""));
	counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert(counter != MAP_FAILED);
	pid = cgt_run_in(cg, spin, (void *)counter);
	while (*counter == 0)
		cgt_sleep_ms(1);
	cr_assert_eq(rt_cgroup_freeze(cg, true, &e), 0, "%s", e.msg);
	cr_assert_str_eq(cgt_read(cg, "freezer", "freezer.state"), "FROZEN");
	cr_assert_eq(rt_cgroup_is_frozen(cg, &frozen), 0);
	cr_assert(frozen);
	a = *counter;
	cgt_sleep_ms(100);
	cr_assert_eq(a, *counter);
	cr_assert_eq(rt_cgroup_freeze(cg, false, &e), 0, "%s", e.msg);
	cr_assert_str_eq(cgt_read(cg, "freezer", "freezer.state"), "THAWED");
	/* SIGKILL without cgroup.kill: freeze, signal, thaw */
	cr_assert_eq(rt_cgroup_freeze(cg, true, &e), 0, "%s", e.msg);
	cr_assert_eq(rt_cgroup_kill_all(cg, SIGKILL, &e), 0, "%s", e.msg);
	cr_assert_eq(cgt_wait(pid), 128 + SIGKILL, "a paused container is thawed for SIGKILL");
	cr_assert_str_eq(cgt_read(cg, "freezer", "freezer.state"), "THAWED");
	cgt_wait_empty(cg);
	munmap((void *)counter, 4096);
	cgt_destroy(cg, base);
}

Test(cgroup_modes, kill_all_keeps_a_paused_container_paused)
{
	const char *base;
	struct rt_cgroup *cg;
	struct berr e = BERR_INIT;
	bool frozen = false;
	pid_t pid;

	base = cgt_base("paused");
	cg = cgt_create(base, NULL);
	pid = cgt_run_in(cg, cgt_pause_forever, NULL);
	cr_assert_eq(rt_cgroup_freeze(cg, true, &e), 0, "%s", e.msg);
	cr_assert_eq(rt_cgroup_kill_all(cg, SIGTERM, &e), 0, "%s", e.msg);
	cr_assert_eq(rt_cgroup_is_frozen(cg, &frozen), 0);
	cr_assert(frozen, "kill_all with a signal other than SIGKILL leaves a paused container paused");
	cr_assert_eq(rt_cgroup_freeze(cg, false, &e), 0, "%s", e.msg);
	/* v2 ended the frozen task at once (fatal signal), v1 delivers on resume */
	cr_assert_eq(cgt_wait(pid), 128 + SIGTERM);
	cgt_wait_empty(cg);
	cgt_destroy(cg, NULL);
}
