/*
 * runtime/cgroup*: the container's cgroup on this machine as it is (hybrid:
 * v1 controllers plus an empty cgroup2 at /sys/fs/cgroup/unified), with
 * real processes placed in it. Every cgroup lives below $BERTH_TEST_CGROUP.
 */
#include <dirent.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/statfs.h>

#include "cg_helpers.h"

TestSuite(cgroup, .init = tst_isolate, .fini = tst_teardown);

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static bool is_cgroup2(const char *path)
{
	struct statfs s;

	return statfs(path, &s) == 0 && s.f_type == CGROUP2_SUPER_MAGIC;
}

Test(cgroup, detects_the_machine_mode)
{
	enum rt_cgroup_mode want = RT_CGROUP_V1;

	/* an independent look: what is mounted at the usual places */
	if (is_cgroup2("/sys/fs/cgroup"))
		want = RT_CGROUP_V2;
	else if (is_cgroup2("/sys/fs/cgroup/unified"))
		want = RT_CGROUP_HYBRID;
	cr_assert_eq(rt_cgroup_detect(), want, "detected %s, expected %s", rt_cgroup_mode_name(rt_cgroup_detect()),
		     rt_cgroup_mode_name(want));
	cr_log_info("cgroup mode: %s", rt_cgroup_mode_name(want));
}

Test(cgroup, created_in_every_hierarchy_and_removed)
{
	const char *base = cgt_base("all");
	char path[512];
	struct cg_mounts ms;
	struct rt_cgroup *cg;

	snprintf(path, sizeof(path), "%s/c1", base);
	cg = cgt_create(path, NULL);
	cr_assert_eq(rt_cgroup_get_mode(cg), rt_cgroup_detect());
	cr_assert_eq(cg_mounts_read(&ms, NULL), 0);
	cr_assert_eq(cg->n, ms.n, "one directory per hierarchy");
	for (size_t i = 0; i < ms.n; i++) {
		char dir[1024];

		snprintf(dir, sizeof(dir), "%s%s", ms.m[i].mount, path);
		cr_assert(access(dir, F_OK) == 0, "%s missing", dir);
		if (ms.m[i].kind == CG_V1 && cg_list_has(ms.m[i].controllers, "cpuset")) {
			char cpus[256];

			cr_assert_eq(cg_read(dir, "cpuset.cpus", cpus, sizeof(cpus), NULL), 0);
			cr_assert(cpus[0], "cpuset.cpus must be initialised from the parent");
		}
	}
	cg_mounts_free(&ms);
	if (rt_cgroup_get_mode(cg) == RT_CGROUP_HYBRID)
		cr_assert_not_null(rt_cgroup_dir(cg, ""), "hybrid: a directory on the unified hierarchy too");
	cgt_destroy(cg, base);
}

Test(cgroup, enter_places_the_process_in_every_hierarchy)
{
	const char *base = cgt_base("enter");
	struct rt_cgroup *cg = cgt_create(base, NULL);
	pid_t pid = cgt_run_in(cg, cgt_pause_forever, NULL);
	char *out;
	int st = -1, lines = 0;

	out = tst_sh_out(NULL, &st, "cat /proc/%d/cgroup", (int)pid);
	cr_assert_eq(st, 0);
	for (char *l = strtok(out, "\n"); l; l = strtok(NULL, "\n")) {
		const char *p = strrchr(l, ':');
		struct cg_mounts ms;
		bool mounted = false;
		char ctl[256];

		/* only the hierarchies mounted here are berth's to manage */
		snprintf(ctl, sizeof(ctl), "%.*s", (int)(p - strchr(l, ':') - 1), strchr(l, ':') + 1);
		cr_assert_eq(cg_mounts_read(&ms, NULL), 0);
		for (size_t i = 0; i < ms.n; i++)
			if (strcmp(ms.m[i].controllers, ctl) == 0)
				mounted = true;
		cg_mounts_free(&ms);
		if (!mounted)
			continue;
		cr_assert_str_eq(p + 1, base, "%s", l);
		lines++;
	}
	free(out);
	cr_assert_eq((size_t)lines, cg->n);
	kill(pid, SIGKILL);
	cgt_wait(pid);
	cgt_destroy(cg, NULL);
}

static int hog(void *arg)
{
	size_t mb = (size_t)(uintptr_t)arg;

	for (size_t i = 0; i < mb; i++) {
		char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return 2;
		memset(p, 0x5a, 1 << 20);
	}
	return 0;
}

Test(cgroup, memory_limit_oom_kill_is_reported)
{
	const char *base = cgt_base("oom");
	struct rt_cgroup *cg = cgt_create(base, "{\"memory\":{\"limit\":33554432,\"swap\":33554432}}");
	bool oom = true;
	pid_t pid;
	const char *dir = rt_cgroup_dir(cg, "memory");

	cr_assert_not_null(dir);
	if (strstr(dir, "/unified"))
		cr_assert_str_eq(cgt_read(cg, "memory", "memory.max"), "33554432");
	else
		cr_assert_str_eq(cgt_read(cg, "memory", "memory.limit_in_bytes"), "33554432");
	cr_assert_eq(rt_cgroup_oom_killed(cg, &oom), 0);
	cr_assert(!oom, "nothing was killed yet");
	pid = cgt_run_in(cg, hog, (void *)(uintptr_t)256);
	cr_assert_eq(cgt_wait(pid), 128 + SIGKILL, "the hog must be OOM-killed");
	cr_assert_eq(rt_cgroup_oom_killed(cg, &oom), 0);
	cr_assert(oom, "the OOM kill must be reported");
	cgt_destroy(cg, NULL);
}

Test(cgroup, within_the_memory_limit_nothing_is_killed)
{
	const char *base = cgt_base("nooom");
	struct rt_cgroup *cg = cgt_create(base, "{\"memory\":{\"limit\":67108864}}");
	bool oom = true;
	pid_t pid = cgt_run_in(cg, hog, (void *)(uintptr_t)8);

	cr_assert_eq(cgt_wait(pid), 0);
	cr_assert_eq(rt_cgroup_oom_killed(cg, &oom), 0);
	cr_assert(!oom);
	cgt_destroy(cg, NULL);
}

/* Fork until refused; report 0 when the refusal was EAGAIN after exactly want-1 children. */
static int fork_until_refused(void *arg)
{
	int want = (int)(uintptr_t)arg;
	pid_t kids[64];
	int n = 0, err = 0, rc;

	while (n < 64) {
		pid_t k = fork();

		if (k < 0) {
			err = errno;
			break;
		}
		if (k == 0) {
			pause();
			_exit(0);
		}
		kids[n++] = k;
	}
	for (int i = 0; i < n; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	rc = err == EAGAIN ? 0 : 100;
	return rc + (n == want - 1 ? 0 : 1 + (n > 50 ? 50 : n));
}

Test(cgroup, pids_limit_makes_fork_fail_with_eagain)
{
	const char *base = cgt_base("pids");
	struct rt_cgroup *cg = cgt_create(base, "{\"pids\":{\"limit\":5}}");
	pid_t pid;
	int st;

	cr_assert_str_eq(cgt_read(cg, "pids", "pids.max"), "5");
	pid = cgt_run_in(cg, fork_until_refused, (void *)(uintptr_t)5);
	st = cgt_wait(pid);
	cr_assert_eq(st, 0, "status %d: fork must fail with EAGAIN (>=100: other errno) after 4 children (%d)", st,
		     st % 100 - 1);
	cgt_destroy(cg, NULL);
}

Test(cgroup, cpu_and_other_values_land_in_the_files)
{
	const char *base = cgt_base("cpu");
	struct rt_cgroup *cg = cgt_create(base, "{\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000,"
						"\"cpus\":\"0\",\"mems\":\"0\"},\"pids\":{\"limit\":100},"
						"\"memory\":{\"reservation\":16777216}}");
	const char *cpu = rt_cgroup_dir(cg, "cpu");

	cr_assert_not_null(cpu);
	if (strstr(cpu, "/unified")) {
		cr_assert_str_eq(cgt_read(cg, "cpu", "cpu.weight"), "20");
		cr_assert_str_eq(cgt_read(cg, "cpu", "cpu.max"), "50000 100000");
		cr_assert_str_eq(cgt_read(cg, "memory", "memory.low"), "16777216");
	} else {
		cr_assert_str_eq(cgt_read(cg, "cpu", "cpu.shares"), "512");
		cr_assert_str_eq(cgt_read(cg, "cpu", "cpu.cfs_quota_us"), "50000");
		cr_assert_str_eq(cgt_read(cg, "cpu", "cpu.cfs_period_us"), "100000");
		cr_assert_str_eq(cgt_read(cg, "memory", "memory.soft_limit_in_bytes"), "16777216");
	}
	cr_assert_str_eq(cgt_read(cg, "cpuset", "cpuset.cpus"), "0");
	cr_assert_str_eq(cgt_read(cg, "cpuset", "cpuset.mems"), "0");
	cr_assert_str_eq(cgt_read(cg, "pids", "pids.max"), "100");
	cgt_destroy(cg, NULL);
}

Test(cgroup, unlimited_values)
{
	const char *base = cgt_base("unl");
	struct rt_cgroup *cg =
		cgt_create(base, "{\"cpu\":{\"quota\":-1},\"pids\":{\"limit\":-1},\"memory\":{\"limit\":-1}}");

	cr_assert_str_eq(cgt_read(cg, "pids", "pids.max"), "max");
	if (!strstr(rt_cgroup_dir(cg, "cpu"), "/unified"))
		cr_assert_str_eq(cgt_read(cg, "cpu", "cpu.cfs_quota_us"), "-1");
	cgt_destroy(cg, NULL);
}

Test(cgroup, a_failed_create_leaves_nothing_behind)
{
	const char *base = cgt_base("fail");
	char path[512];
	struct rt_cgroup_resources res;
	struct rt_cgroup *cg = NULL;
	struct berr e = BERR_INIT;
	_cleanup_json_ json_t *j = NULL;
	struct cg_mounts ms;
	const char *cfg = "{\"pids\":{\"limit\":10},\"cpu\":{\"cpus\":\"4095\"}}";

	snprintf(path, sizeof(path), "%s/deeper/c1", base);
	cr_assert_eq(bjson_parse(cfg, strlen(cfg), &j, NULL), 0);
	cr_assert_eq(rt_cgroup_resources_parse(j, &res, &e), 0, "%s", e.msg);
	/* the kernel refuses a cpu that does not exist: the directories were already made */
	cr_assert_lt(rt_cgroup_create(path, "t", &res, &cg, &e), 0);
	cr_assert(strstr(e.msg, "linux.resources.cpu.cpus"), "%s", e.msg);
	cr_assert_null(cg);
	cr_assert_eq(cg_mounts_read(&ms, NULL), 0);
	for (size_t i = 0; i < ms.n; i++) {
		char dir[1024];

		snprintf(dir, sizeof(dir), "%s%s", ms.m[i].mount, base);
		cr_assert(access(dir, F_OK) < 0, "%s left behind", dir);
	}
	cg_mounts_free(&ms);
}

/* cgt_null_denied, and /dev/full opens for writing too (4 when not). */
static int try_devices(void *arg)
{
	int r = cgt_null_denied(arg);
	int fd;

	if (r)
		return r;
	fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return 4;
	close(fd);
	return 0;
}

Test(cgroup, device_rule_denies_dev_null)
{
	const char *base = cgt_base("dev");
	struct rt_cgroup *cg =
		cgt_create(base, "{\"devices\":[{\"allow\":true,\"access\":\"rwm\"},"
				 "{\"allow\":false,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"}]}");
	pid_t pid = cgt_run_in(cg, try_devices, NULL);

	cr_assert_eq(cgt_wait(pid), 0, "/dev/null must be EPERM, /dev/zero and /dev/full usable");
	cgt_destroy(cg, NULL);
}

static int try_defaults(void *arg)
{
	(void)arg;
	int r = try_devices(NULL);
	int fd;

	if (r)
		return r;
	/* /dev/kmsg (c 1:11) is not among the defaults */
	fd = open("/dev/kmsg", O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return 5;
	return errno == EPERM ? 0 : 6;
}

Test(cgroup, engine_style_device_list_with_defaults)
{
	const char *base = cgt_base("devdef");
	const char *cfg = "{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
			  "{\"allow\":false,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"}]}";
	struct rt_cgroup_resources res;
	struct rt_cgroup *cg = NULL;
	struct berr e = BERR_INIT;
	_cleanup_json_ json_t *j = NULL;
	pid_t pid;

	cr_assert_eq(bjson_parse(cfg, strlen(cfg), &j, NULL), 0);
	cr_assert_eq(rt_cgroup_resources_parse(j, &res, &e), 0, "%s", e.msg);
	cr_assert_eq(rt_cgroup_resources_add_default_devices(&res, &e), 0);
	cr_assert_eq(rt_cgroup_create(base, "t", &res, &cg, &e), 0, "%s", e.msg);
	rt_cgroup_resources_free(&res);
	pid = cgt_run_in(cg, try_defaults, NULL);
	cr_assert_eq(cgt_wait(pid), 0, "defaults usable, the config's deny of /dev/null wins, the rest denied");
	cgt_destroy(cg, NULL);
}

static int spin(void *arg)
{
	volatile unsigned long *counter = arg;

	for (;;)
		(*counter)++;
	return 0;
}

static void check_freeze(struct rt_cgroup *cg, const char *events_dir, const char *freezer_dir)
{
	volatile unsigned long *counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct berr e = BERR_INIT;
	unsigned long a, b;
	bool frozen = true;
	pid_t pid;
	char buf[256];

	cr_assert(counter != MAP_FAILED);
	pid = cgt_run_in(cg, spin, (void *)counter);
	while (*counter == 0)
		cgt_sleep_ms(1);
	cr_assert_eq(rt_cgroup_is_frozen(cg, &frozen), 0);
	cr_assert(!frozen);
	cr_assert_eq(rt_cgroup_freeze(cg, true, &e), 0, "%s", e.msg);
	cr_assert_eq(rt_cgroup_is_frozen(cg, &frozen), 0);
	cr_assert(frozen);
	if (events_dir) {
		uint64_t v = 0;

		cr_assert_eq(cg_read_key(events_dir, "cgroup.events", "frozen", &v), 0);
		cr_assert_eq(v, 1, "cgroup.events must say frozen 1");
	}
	if (freezer_dir) {
		cr_assert_eq(cg_read(freezer_dir, "freezer.state", buf, sizeof(buf), NULL), 0);
		cr_assert_str_eq(buf, "FROZEN");
	}
	a = *counter;
	cgt_sleep_ms(150);
	b = *counter;
	cr_assert_eq(a, b, "a frozen process must not run");
	cr_assert_eq(rt_cgroup_freeze(cg, false, &e), 0, "%s", e.msg);
	cr_assert_eq(rt_cgroup_is_frozen(cg, &frozen), 0);
	cr_assert(!frozen);
	for (int i = 0; i < 200 && *counter == b; i++)
		cgt_sleep_ms(5);
	cr_assert_neq(*counter, b, "a thawed process runs again");
	kill(pid, SIGKILL);
	cgt_wait(pid);
	munmap((void *)counter, 4096);
}

Test(cgroup, freeze_stops_and_thaw_resumes)
{
	const char *base = cgt_base("frz");
	struct rt_cgroup *cg = cgt_create(base, NULL);
	const char *v2 = rt_cgroup_dir(cg, "");

	/* with a unified hierarchy (hybrid here), freezing goes through cgroup.freeze */
	check_freeze(cg, v2, v2 ? NULL : rt_cgroup_dir(cg, "freezer"));
	cgt_destroy(cg, NULL);
}

static int family(void *arg)
{
	(void)arg;
	for (int i = 0; i < 3; i++) {
		pid_t k = fork();

		if (k == 0) {
			/* a grandchild that also forks once more */
			if (i == 0 && fork() == 0)
				for (;;)
					pause();
			for (;;)
				pause();
		}
	}
	for (;;)
		pause();
	return 0;
}

static size_t wait_count(struct rt_cgroup *cg, size_t want, pid_t must_have)
{
	pid_t *pids = NULL;
	size_t n = 0;

	for (int i = 0; i < 500; i++) {
		free(pids);
		pids = NULL;
		cr_assert_eq(rt_cgroup_pids(cg, &pids, &n, NULL), 0);
		if (n >= want)
			break;
		cgt_sleep_ms(10);
	}
	if (must_have) {
		bool found = false;

		for (size_t i = 0; i < n; i++)
			if (pids[i] == must_have)
				found = true;
		cr_assert(found, "pid %d must be listed", (int)must_have);
	}
	free(pids);
	return n;
}

static void check_kill_all(int sig)
{
	const char *base = cgt_base(sig == SIGKILL ? "kill9" : "kill15");
	struct rt_cgroup *cg = cgt_create(base, NULL);
	struct berr e = BERR_INIT;
	pid_t pid;

	/* orphaned grandchildren come back to this process to be reaped */
	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	pid = cgt_run_in(cg, family, NULL);
	cr_assert_eq(wait_count(cg, 5, pid), 5, "the child and its 4 descendants are listed");
	cr_assert_eq(rt_cgroup_kill_all(cg, sig, &e), 0, "%s", e.msg);
	cr_assert_eq(cgt_wait(pid), 128 + sig);
	cgt_wait_empty(cg);
	cgt_destroy(cg, NULL);
}

Test(cgroup, kill_all_sigkill_ends_every_process)
{
	check_kill_all(SIGKILL);
}

Test(cgroup, kill_all_sigterm_ends_every_process)
{
	check_kill_all(SIGTERM);
}

Test(cgroup, state_json_round_trip)
{
	const char *base = cgt_base("json");
	char path[512];
	struct rt_cgroup *cg, *back = NULL;
	struct berr e = BERR_INIT;
	_cleanup_json_ json_t *j = NULL, *j2 = NULL, *parsed = NULL;
	_cleanup_free_ char *s1 = NULL, *s2 = NULL;

	snprintf(path, sizeof(path), "%s/c", base);
	cg = cgt_create(path, "{\"pids\":{\"limit\":10}}");
	cr_assert_eq(rt_cgroup_to_json(cg, &j, &e), 0, "%s", e.msg);
	s1 = bjson_dump(j);
	cr_assert_eq(bjson_parse(s1, strlen(s1), &parsed, &e), 0);
	cr_assert_eq(rt_cgroup_from_json(parsed, &back, &e), 0, "%s: %s", s1, e.msg);
	cr_assert_eq(rt_cgroup_to_json(back, &j2, &e), 0);
	s2 = bjson_dump(j2);
	cr_assert_str_eq(s1, s2);
	cr_assert_eq(rt_cgroup_get_mode(back), rt_cgroup_get_mode(cg));
	rt_cgroup_free(cg);
	/* a later berth process destroys from the state alone, created parents included */
	cgt_destroy(back, base);
}

static void bad_state(const char *s, const char *field)
{
	_cleanup_json_ json_t *j = NULL;
	struct rt_cgroup *cg = NULL;
	struct berr e = BERR_INIT;

	cr_assert_eq(bjson_parse(s, strlen(s), &j, NULL), 0, "%s", s);
	cr_assert_lt(rt_cgroup_from_json(j, &cg, &e), 0, "%s must be refused", s);
	cr_assert(strstr(e.msg, field), "%s: '%s' must name %s", s, e.msg, field);
	cr_assert_null(cg);
}

Test(cgroup, state_json_is_validated)
{
	bad_state("{\"mode\":\"v3\",\"hierarchies\":[{\"type\":\"v1\",\"controllers\":\"pids\","
		  "\"mount\":\"/sys/fs/cgroup/pids\",\"path\":\"/a\",\"created\":null}]}",
		  "cgroup.mode");
	bad_state("{\"mode\":\"v1\",\"hierarchies\":[]}", "cgroup.hierarchies");
	bad_state("{\"mode\":\"v1\",\"hierarchies\":[{\"type\":\"v1\",\"controllers\":\"pids\","
		  "\"mount\":\"/sys/fs/cgroup/pids\",\"path\":\"/a/../../etc\",\"created\":null}]}",
		  "cgroup.hierarchies[0].path");
	bad_state("{\"mode\":\"v1\",\"hierarchies\":[{\"type\":\"v1\",\"controllers\":\"pids\","
		  "\"mount\":\"/tmp\",\"path\":\"/a\",\"created\":null}]}",
		  "cgroup.hierarchies[0].mount");
	bad_state("{\"mode\":\"v1\",\"hierarchies\":[{\"type\":\"v1\",\"controllers\":\"pids\","
		  "\"mount\":\"/sys/fs/cgroup/pids\",\"path\":\"/a/b\",\"created\":\"/c\"}]}",
		  "cgroup.hierarchies[0].created");
	bad_state("{\"mode\":\"v1\",\"hierarchies\":[{\"type\":\"v9\",\"controllers\":\"pids\","
		  "\"mount\":\"/sys/fs/cgroup/pids\",\"path\":\"/a\"}]}",
		  "cgroup.hierarchies[0].type");
	bad_state("{\"mode\":\"v1\",\"hierarchies\":[{\"type\":\"v1\",\"controllers\":\"pids\","
		  "\"mount\":\"/sys/fs/cgroup/pids\",\"path\":\"/a\",\"extra\":1}]}",
		  "cgroup.hierarchies[0].extra");
}

/* In the child: a relative cgroupsPath lands below the child's own cgroup in every hierarchy. */
static int relative_inside(void *arg)
{
	const char *outer = arg;
	struct rt_cgroup_resources res;
	struct rt_cgroup *cg = NULL;
	char want[600];
	int rc = 0;

	memset(&res, 0, sizeof(res));
	if (rt_cgroup_create("inner/x", "t", &res, &cg, NULL) < 0)
		return 10;
	snprintf(want, sizeof(want), "%s/inner/x", outer);
	for (size_t i = 0; i < cg->n; i++) {
		if (strcmp(cg->h[i].path, want) != 0 || access(cg->h[i].dir, F_OK) < 0)
			rc = 11;
	}
	if (rt_cgroup_destroy(cg, NULL) < 0)
		rc = 12;
	for (size_t i = 0; i < cg->n; i++) {
		char dir[1024];

		snprintf(dir, sizeof(dir), "%s%s/inner", cg->h[i].mount, outer);
		if (access(cg->h[i].dir, F_OK) == 0 || access(dir, F_OK) == 0)
			rc = 13;
	}
	rt_cgroup_free(cg);
	return rc;
}

Test(cgroup, relative_path_is_below_the_callers_cgroup)
{
	const char *base = cgt_base("rel");
	char outer[512];
	struct rt_cgroup *cg;
	pid_t pid;

	snprintf(outer, sizeof(outer), "%s", base);
	cg = cgt_create(outer, NULL);
	pid = cgt_run_in(cg, relative_inside, outer);
	cr_assert_eq(cgt_wait(pid), 0, "see relative_inside for the code");
	cgt_destroy(cg, NULL);
}

Test(cgroup, existing_cgroup_is_joined)
{
	const char *base = cgt_base("join");
	struct rt_cgroup *a = cgt_create(base, "{\"pids\":{\"limit\":7}}");
	struct rt_cgroup *b = cgt_create(base, "{\"pids\":{\"limit\":9}}");

	cr_assert_str_eq(cgt_read(a, "pids", "pids.max"), "9", "the second create reuses and updates");
	for (size_t i = 0; i < b->n; i++)
		cr_assert_null(b->h[i].created, "nothing was made the second time");
	rt_cgroup_free(b);
	{
		/* a failed create on a joined cgroup leaves it in place: it was not this create's to remove */
		struct rt_cgroup_resources res;
		struct rt_cgroup *c = NULL;
		_cleanup_json_ json_t *j = NULL;

		const char *cfg = "{\"cpu\":{\"cpus\":\"4095\"}}";

		cr_assert_eq(bjson_parse(cfg, strlen(cfg), &j, NULL), 0);
		cr_assert_eq(rt_cgroup_resources_parse(j, &res, NULL), 0);
		cr_assert_lt(rt_cgroup_create(base, "t", &res, &c, NULL), 0);
		for (size_t i = 0; i < a->n; i++)
			cr_assert(access(a->h[i].dir, F_OK) == 0, "%s was removed", a->h[i].dir);
	}
	cgt_destroy(a, NULL);
}

/*
 * The spawn path of the runtime: a process cloned into the v2 directory
 * (CLONE_INTO_CGROUP) that then calls rt_cgroup_enter(cg, 0) ends up in
 * every hierarchy, the v1 ones by the cheap thread self-migration.
 */
static int self_enter(void *arg)
{
	struct rt_cgroup *cg = arg;

	if (rt_cgroup_enter(cg, 0, NULL) < 0)
		return 1;
	for (;;)
		pause();
	return 0;
}

Test(cgroup, clone_fd_then_self_enter_reaches_every_hierarchy)
{
	const char *base = cgt_base("clonefd");
	struct rt_cgroup *cg = cgt_create(base, NULL);
	struct berr e = BERR_INIT;
	char *out, *l;
	int fd = -1, st = -1, lines = 0;
	pid_t pid;

	if (rt_cgroup_get_mode(cg) == RT_CGROUP_V1) {
		cr_assert_eq(rt_cgroup_clone_fd(cg, &fd, &e), -ENOTSUP);
		cgt_destroy(cg, NULL);
		return;
	}
	cr_assert_eq(rt_cgroup_clone_fd(cg, &fd, &e), 0, "%s", e.msg);
	pid = cgt_clone_into(fd);
	if (pid == 0)
		_exit(self_enter(cg));
	close(fd);
	/* wait until the v1 moves are done: the last hierarchy lists the pid */
	for (int i = 0; i < 200; i++) {
		out = tst_sh_out(NULL, &st, "grep -c ':%s$' /proc/%d/cgroup", base, (int)pid);
		lines = atoi(out);
		free(out);
		if ((size_t)lines >= cg->n)
			break;
		usleep(10000);
	}
	out = tst_sh_out(NULL, &st, "cat /proc/%d/cgroup", (int)pid);
	lines = 0;
	for (l = strtok(out, "\n"); l; l = strtok(NULL, "\n"))
		if (strcmp(strrchr(l, ':') + 1, base) == 0)
			lines++;
	free(out);
	cr_assert_eq((size_t)lines, cg->n, "the process is in %d of %zu hierarchies", lines, cg->n);
	kill(pid, SIGKILL);
	cgt_wait(pid);
	cgt_destroy(cg, NULL);
}

/* A fork that moves itself into the v1 hierarchies through tasks files opened by another process (early.c). */
Test(cgroup, enter_v1_through_opened_tasks_files)
{
	const char *base = cgt_base("v1fds");
	struct rt_cgroup *cg = cgt_create(base, NULL);
	int fds[64];
	int n = rt_cgroup_open_v1_tasks(cg, fds, 64), st = -1, v1 = 0, lines = 0;
	char *out, *l;
	pid_t pid;

	cr_assert_geq(n, 0);
	for (size_t i = 0; i < cg->n; i++)
		v1 += cg->h[i].kind == CG_V1;
	cr_assert_eq(n, v1);
	/* no room for them: none left open */
	if (n)
		cr_assert_eq(rt_cgroup_open_v1_tasks(cg, fds + n, 0), -ENAMETOOLONG);
	pid = fork();
	if (pid == 0) {
		if (rt_cgroup_enter_v1_fds(cg, fds, (size_t)n, NULL) < 0)
			_exit(1);
		for (;;)
			pause();
	}
	for (int i = 0; i < n; i++)
		close(fds[i]);
	for (int i = 0; i < 200; i++) {
		out = tst_sh_out(NULL, &st, "grep -c ':%s$' /proc/%d/cgroup", base, (int)pid);
		lines = atoi(out);
		free(out);
		if (lines >= v1)
			break;
		usleep(10000);
	}
	out = tst_sh_out(NULL, &st, "cat /proc/%d/cgroup", (int)pid);
	lines = 0;
	for (l = strtok(out, "\n"); l; l = strtok(NULL, "\n"))
		if (strncmp(l, "0::", 3) != 0 && strcmp(strrchr(l, ':') + 1, base) == 0)
			lines++;
	free(out);
	cr_assert_eq(lines, v1, "the process is in %d of %d v1 hierarchies", lines, v1);
	kill(pid, SIGKILL);
	cgt_wait(pid);
	cgt_destroy(cg, NULL);
}

static void note_memory(const char *dir, void *ctx)
{
	char *seen = ctx;

	/* called once, before the other hierarchies' directories exist */
	snprintf(seen, 512, "%s", dir ? dir : "-");
}

/* rt_cgroup_create_early: the v1 memory directory first, made, then the callback, then the rest. */
Test(cgroup, create_early_calls_back_with_the_memory_directory)
{
	const char *base = cgt_base("early");
	char seen[512] = "";
	struct rt_cgroup_early early = {.memory_ready = note_memory, .ctx = seen};
	struct rt_cgroup_resources res;
	struct rt_cgroup *cg = NULL;
	struct berr e = BERR_INIT;
	const char *mem;

	memset(&res, 0, sizeof(res));
	cr_assert_eq(rt_cgroup_create_early(base, "t", &res, &early, &cg, &e), 0, "%s", e.msg);
	mem = NULL;
	for (size_t i = 0; i < cg->n; i++)
		if (cg->h[i].kind == CG_V1 && cg_list_has(cg->h[i].controllers, "memory"))
			mem = cg->h[i].dir;
	cr_assert_str_eq(seen, mem ? mem : "-");
	cgt_destroy(cg, NULL);
}

Test(cgroup, blkio_weight_applied_or_refused_clearly)
{
	const char *base = cgt_base("blkio");
	struct rt_cgroup_resources res;
	struct rt_cgroup *cg = NULL;
	struct berr e = BERR_INIT;
	_cleanup_json_ json_t *j = NULL;
	int r;

	const char *cfg = "{\"blockIO\":{\"weight\":300}}";

	cr_assert_eq(bjson_parse(cfg, strlen(cfg), &j, NULL), 0);
	cr_assert_eq(rt_cgroup_resources_parse(j, &res, NULL), 0);
	r = rt_cgroup_create(base, "t", &res, &cg, &e);
	if (r == 0) {
		cr_log_info("blkio weight applied");
		cgt_destroy(cg, NULL);
	} else {
		/* no CFQ/BFQ: the weight cannot be honoured, and the error says which field */
		cr_assert_eq(r, -ENOTSUP, "%s", e.msg);
		cr_assert(strstr(e.msg, "linux.resources.blockIO.weight"), "%s", e.msg);
	}
}

/* In a child: create and destroy a cgroup below the shared parent, again and again. */
static int churn(void *arg)
{
	const char *shared = arg;
	struct rt_cgroup_resources res;

	memset(&res, 0, sizeof(res));
	for (int i = 0; i < 150; i++) {
		struct rt_cgroup *cg = NULL;
		struct berr e = BERR_INIT;
		char path[600];

		snprintf(path, sizeof(path), "%s/c%d-%d", shared, (int)getpid(), i);
		if (rt_cgroup_create(path, "t", &res, &cg, &e) < 0) {
			fprintf(stderr, "create %s: %s\n", path, e.msg);
			return 1;
		}
		if (rt_cgroup_destroy(cg, &e) < 0) {
			fprintf(stderr, "destroy %s: %s\n", path, e.msg);
			return 2;
		}
		rt_cgroup_free(cg);
	}
	return 0;
}

Test(cgroup, concurrent_create_and_destroy_share_parents)
{
	/* each destroy tries to remove the shared parent it may have made; the others must not trip */
	const char *shared = cgt_base("churn");
	char buf[512];
	pid_t kids[4];
	int go[4];
	struct cg_mounts ms;

	snprintf(buf, sizeof(buf), "%s", shared);
	for (int i = 0; i < 4; i++)
		kids[i] = cgt_spawn(churn, buf, &go[i]);
	for (int i = 0; i < 4; i++)
		cgt_go(go[i]);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(cgt_wait(kids[i]), 0, "child %d failed (see stderr)", i);
	/*
	 * Every container's own directory is gone. The shared parent stays when
	 * the container that made it was destroyed while another still used it
	 * (docs/cgroups.md): it must then be empty, and removable.
	 */
	cr_assert_eq(cg_mounts_read(&ms, NULL), 0);
	for (size_t i = 0; i < ms.n; i++) {
		char dir[1024];
		DIR *d;

		snprintf(dir, sizeof(dir), "%s%s", ms.m[i].mount, buf);
		d = opendir(dir);
		if (!d)
			continue;
		for (struct dirent *de; (de = readdir(d));)
			cr_assert(de->d_type != DT_DIR || de->d_name[0] == '.', "%s/%s left behind", dir, de->d_name);
		closedir(d);
		cr_assert_eq(rmdir(dir), 0, "%s: %s", dir, strerror(errno));
	}
	cg_mounts_free(&ms);
}

/* A stack's parent goes once its containers are gone, with the empty parents up to the one to keep. */
Test(cgroup, prune_removes_empty_parents_up_to_keep)
{
	const char *base = cgt_base("prune");
	char stack[512], ctr[600], deep[600], dir[1200];
	struct cg_mounts ms;
	struct rt_cgroup *cg, *cg2;
	struct berr e = BERR_INIT;

	snprintf(stack, sizeof(stack), "%s/stacks/shop", base);
	snprintf(ctr, sizeof(ctr), "%s/web", stack);
	cg = cgt_create(ctr, NULL); /* makes the parents */
	snprintf(ctr, sizeof(ctr), "%s/db", stack);
	cg2 = cgt_create(ctr, NULL); /* makes only its own */
	cr_assert_eq(rt_cgroup_prune(stack, base, &e), -EBUSY, "containers are still in it");
	cr_assert(strstr(e.msg, "is still in use"), "%s", e.msg);
	/* web goes first: its parents are db's too, so they stay; db made none of them */
	cr_assert_eq(rt_cgroup_destroy(cg, &e), 0, "%s", e.msg);
	cr_assert_eq(rt_cgroup_destroy(cg2, &e), 0, "%s", e.msg);
	rt_cgroup_free(cg);
	rt_cgroup_free(cg2);
	cr_assert_eq(cg_mounts_read(&ms, NULL), 0);
	snprintf(dir, sizeof(dir), "%s%s", ms.m[0].mount, stack);
	cr_assert_eq(access(dir, F_OK), 0, "%s went with its containers", dir);
	berr_clear(&e);
	cr_assert_eq(rt_cgroup_prune(stack, base, &e), 0, "%s", e.msg);
	for (size_t i = 0; i < ms.n; i++) {
		snprintf(dir, sizeof(dir), "%s%s/stacks", ms.m[i].mount, base);
		cr_assert_neq(access(dir, F_OK), 0, "%s left", dir);
		snprintf(dir, sizeof(dir), "%s%s", ms.m[i].mount, base);
		cr_assert_eq(access(dir, F_OK), 0, "%s (to keep) removed", dir);
	}
	/* gone already: fine; not below keep: refused */
	cr_assert_eq(rt_cgroup_prune(stack, base, &e), 0, "%s", e.msg);
	snprintf(deep, sizeof(deep), "%s/other", base);
	cr_assert_eq(rt_cgroup_prune(deep, stack, &e), -EINVAL);
	cr_assert_eq(rt_cgroup_prune("relative/x", "/", &e), -EINVAL);
	for (size_t i = 0; i < ms.n; i++) {
		snprintf(dir, sizeof(dir), "%s%s", ms.m[i].mount, base);
		rmdir(dir);
	}
	cg_mounts_free(&ms);
}
