/* runtime/cgroup/cgroup_stats.c: the v1 and v2 readers on directories of files shaped like the kernel's. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileutil.h"
#include "runtime/cgroup/cgroup_internal.h"
#include "runtime/cgroup/cgroup_stats.h"

static char dir[256];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "%s/berth-cgstats.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	bfile_rm_rf(dir, NULL);
}

/* put("v1/memory.stat", "cache 1\n"): a file below the scratch directory, parents made. */
static void put(const char *rel, const char *text)
{
	char path[512], *slash;
	struct berr e = BERR_INIT;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	slash = strrchr(path, '/');
	*slash = '\0';
	cr_assert_eq(bfile_mkdir_p(path, 0755, &e), 0, "%s", e.msg);
	*slash = '/';
	cr_assert_eq(bfile_write_atomic(path, text, strlen(text), 0644, 0, &e), 0, "%s", e.msg);
}

static const char *sub(const char *rel)
{
	static char path[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(path[i], sizeof(path[i]), "%s/%s", dir, rel);
	return path[i];
}

/* Every controller's statistics of a kind from the files below rel, into s. */
static void read_all(enum cg_kind kind, const char *rel, struct rt_cgroup_stats *s)
{
	static const char *const ctl[] = {"cpuacct", "cpu", "cpuset", "memory", "pids", "blkio", "hugetlb"};

	for (size_t i = 0; i < sizeof(ctl) / sizeof(ctl[0]); i++)
		cr_assert_eq(cg_stats_read(kind, ctl[i], sub(rel), s), 0, "%s", ctl[i]);
}

TestSuite(cgroup_stats, .init = setup, .fini = teardown);

Test(cgroup_stats, lists)
{
	uint16_t *v = NULL;
	size_t n = 0;

	cr_assert_eq(cg_parse_list("0-3,5,7-8\n", &v, &n), 0);
	cr_assert_eq(n, 7);
	cr_assert_eq(v[0], 0);
	cr_assert_eq(v[3], 3);
	cr_assert_eq(v[4], 5);
	cr_assert_eq(v[6], 8);
	free(v);
	cr_assert_eq(cg_parse_list("", &v, &n), 0);
	cr_assert_eq(n, 0);
	free(v);
	cr_assert_eq(cg_parse_list("3-1", &v, &n), -EBADMSG);
	cr_assert_eq(cg_parse_list("1,,2", &v, &n), -EBADMSG);
	cr_assert_eq(cg_parse_list("0-70000", &v, &n), -EBADMSG);
	cr_assert_eq(cg_parse_list("x", &v, &n), -EBADMSG);
}

Test(cgroup_stats, v1_files)
{
	struct rt_cgroup_stats s;

	memset(&s, 0, sizeof(s));
	put("v1/cpuacct.usage", "3000\n");
	put("v1/cpuacct.usage_percpu", "1000 2000 \n");
	put("v1/cpuacct.stat", "user 3\nsystem 1\n");
	put("v1/cpuacct.usage_all", "cpu user system\n0 700 300\n1 1500 500\n");
	put("v1/cpu.stat", "nr_periods 10\nnr_throttled 4\nthrottled_time 123456\nnr_bursts 0\nburst_time 0\n");
	put("v1/cpuset.cpus", "0-1\n");
	put("v1/cpuset.mems", "0\n");
	put("v1/cpuset.sched_load_balance", "1\n");
	put("v1/cpuset.sched_relax_domain_level", "-1\n");
	put("v1/memory.stat", "cache 4096\nrss 8192\nhierarchical_memory_limit 9223372036854771712\n");
	put("v1/memory.usage_in_bytes", "12288\n");
	put("v1/memory.max_usage_in_bytes", "20480\n");
	put("v1/memory.failcnt", "2\n");
	put("v1/memory.limit_in_bytes", "67108864\n");
	put("v1/memory.memsw.usage_in_bytes", "12288\n");
	put("v1/memory.memsw.max_usage_in_bytes", "20480\n");
	put("v1/memory.memsw.failcnt", "0\n");
	put("v1/memory.memsw.limit_in_bytes", "9223372036854771712\n");
	put("v1/pids.current", "3\n");
	put("v1/pids.max", "max\n");
	put("v1/blkio.throttle.io_serviced_recursive", "8:0 Read 10\n8:0 Write 5\nTotal 15\n");
	put("v1/blkio.throttle.io_service_bytes_recursive", "8:0 Read 4096\n8:0 Write 2048\nTotal 6144\n");
	put("v1/hugetlb.2MB.usage_in_bytes", "2097152\n");
	put("v1/hugetlb.2MB.max_usage_in_bytes", "4194304\n");
	put("v1/hugetlb.2MB.failcnt", "1\n");
	put("v1/hugetlb.1GB.usage_in_bytes", "0\n");
	put("v1/hugetlb.1GB.limit_in_bytes", "0\n");
	read_all(CG_V1, "v1", &s);
	cr_assert_eq(s.cpu.total, 3000);
	cr_assert_eq(s.cpu.n_percpu, 2);
	cr_assert_eq(s.cpu.percpu[1], 2000);
	/* clock ticks in nanoseconds */
	cr_assert_eq(s.cpu.user, 3 * (1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK)));
	cr_assert_eq(s.cpu.kernel, 1 * (1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK)));
	cr_assert_eq(s.cpu.n_percpu_user, 2);
	cr_assert_eq(s.cpu.percpu_user[1], 1500);
	cr_assert_eq(s.cpu.percpu_kernel[0], 300);
	cr_assert_eq(s.cpu.periods, 10);
	cr_assert_eq(s.cpu.throttled_periods, 4);
	cr_assert_eq(s.cpu.throttled_time, 123456);
	cr_assert_eq(s.cpuset.n_cpus, 2);
	cr_assert_eq(s.cpuset.n_mems, 1);
	cr_assert_eq(s.cpuset.sched_load_balance, 1);
	cr_assert_eq(s.cpuset.sched_relax_domain_level, -1);
	cr_assert_eq(s.memory.cache, 4096);
	cr_assert_eq(s.memory.n_raw, 3);
	cr_assert_str_eq(s.memory.raw[0].key, "cache", "sorted");
	cr_assert_str_eq(s.memory.raw[1].key, "hierarchical_memory_limit");
	cr_assert_eq(s.memory.raw[1].value, 9223372036854771712ull);
	cr_assert_eq(s.memory.usage.usage, 12288);
	cr_assert_eq(s.memory.usage.max, 20480);
	cr_assert_eq(s.memory.usage.failcnt, 2);
	cr_assert_eq(s.memory.usage.limit, 67108864);
	cr_assert_eq(s.memory.swap.limit, 9223372036854771712ull);
	cr_assert_eq(s.memory.kernel.limit, 0, "no kmem files: an empty entry");
	cr_assert_eq(s.pids.current, 3);
	cr_assert_eq(s.pids.limit, 0, "max is no limit");
	cr_assert_eq(s.blkio[RT_BLKIO_SERVICED].n, 2);
	cr_assert_eq(s.blkio[RT_BLKIO_SERVICE_BYTES].n, 2);
	cr_assert_eq(s.blkio[RT_BLKIO_SERVICE_BYTES].v[0].major, 8);
	cr_assert_str_eq(s.blkio[RT_BLKIO_SERVICE_BYTES].v[0].op, "Read");
	cr_assert_eq(s.blkio[RT_BLKIO_SERVICE_BYTES].v[0].value, 4096);
	cr_assert_eq(s.n_hugetlb, 2);
	cr_assert_str_eq(s.hugetlb[0].size, "1GB", "sorted as Go sorts map keys");
	cr_assert_str_eq(s.hugetlb[1].size, "2MB");
	cr_assert_eq(s.hugetlb[1].usage, 2097152);
	cr_assert_eq(s.hugetlb[1].max, 4194304);
	cr_assert_eq(s.hugetlb[1].failcnt, 1);
	rt_cgroup_stats_free(&s);
}

Test(cgroup_stats, v1_blkio_prefers_cfq_over_throttle)
{
	struct rt_cgroup_stats s;

	memset(&s, 0, sizeof(s));
	put("b/blkio.sectors_recursive", "8:0 100\n");
	put("b/blkio.io_service_time_recursive", "8:0 Read 7\nTotal 7\n");
	put("b/blkio.io_serviced_recursive", "8:0 Read 1\n");
	put("b/blkio.throttle.io_serviced_recursive", "8:0 Read 99\n");
	cr_assert_eq(cg_stats_read(CG_V1, "blkio", sub("b"), &s), 0);
	cr_assert_eq(s.blkio[RT_BLKIO_SECTORS].n, 1);
	cr_assert_str_eq(s.blkio[RT_BLKIO_SECTORS].v[0].op, "");
	cr_assert_eq(s.blkio[RT_BLKIO_SECTORS].v[0].value, 100);
	cr_assert_eq(s.blkio[RT_BLKIO_SERVICE_TIME].v[0].value, 7);
	cr_assert_eq(s.blkio[RT_BLKIO_SERVICED].n, 1);
	cr_assert_eq(s.blkio[RT_BLKIO_SERVICED].v[0].value, 1, "not the throttle file's");
	rt_cgroup_stats_free(&s);
}

Test(cgroup_stats, v2_files)
{
	struct rt_cgroup_stats s;

	memset(&s, 0, sizeof(s));
	put("v2/cpu.stat", "usage_usec 5\nuser_usec 3\nsystem_usec 2\nnr_periods 7\nnr_throttled 1\n"
			   "throttled_usec 9\n");
	put("v2/cpuset.cpus.effective", "0-3\n");
	put("v2/cpuset.mems.effective", "0\n");
	put("v2/memory.current", "1000\n");
	put("v2/memory.max", "max\n");
	put("v2/memory.peak", "2000\n");
	put("v2/memory.events", "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\noom_group_kill 0\n");
	put("v2/memory.swap.current", "100\n");
	put("v2/memory.swap.max", "500\n");
	put("v2/memory.stat", "anon 10\nfile 20\n");
	put("v2/pids.current", "2\n");
	put("v2/pids.max", "64\n");
	put("v2/io.stat", "8:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n");
	put("v2/hugetlb.2MB.current", "0\n");
	put("v2/hugetlb.2MB.rsvd.current", "0\n");
	put("v2/hugetlb.2MB.events", "max 3\n");
	read_all(CG_V2, "v2", &s);
	cr_assert_eq(s.cpu.total, 5000);
	cr_assert_eq(s.cpu.user, 3000);
	cr_assert_eq(s.cpu.kernel, 2000);
	cr_assert_eq(s.cpu.periods, 7);
	cr_assert_eq(s.cpu.throttled_periods, 1);
	cr_assert_eq(s.cpu.throttled_time, 9000);
	cr_assert_eq(s.cpuset.n_cpus, 4);
	cr_assert_eq(s.memory.usage.usage, 1000);
	cr_assert_eq(s.memory.usage.limit, RT_STAT_MAX);
	cr_assert_eq(s.memory.usage.max, 2000);
	cr_assert_eq(s.memory.usage.failcnt, 4);
	cr_assert_eq(s.memory.cache, 20, "v2's file is v1's cache");
	/* swap as v1 counts it: memory+swap, unlimited stays unlimited */
	cr_assert_eq(s.memory.swap.usage, 1100);
	cr_assert_eq(s.memory.swap.limit, RT_STAT_MAX);
	cr_assert_eq(s.pids.current, 2);
	cr_assert_eq(s.pids.limit, 64);
	cr_assert_eq(s.blkio[RT_BLKIO_SERVICE_BYTES].n, 2);
	cr_assert_str_eq(s.blkio[RT_BLKIO_SERVICE_BYTES].v[0].op, "Read");
	cr_assert_eq(s.blkio[RT_BLKIO_SERVICE_BYTES].v[0].value, 4096);
	cr_assert_eq(s.blkio[RT_BLKIO_SERVICED].n, 2);
	cr_assert_eq(s.n_hugetlb, 1, "rsvd files are not a page size");
	cr_assert_eq(s.hugetlb[0].failcnt, 3);
	rt_cgroup_stats_free(&s);

	/* a finite memory.max: the swap limit is memory+swap too */
	memset(&s, 0, sizeof(s));
	put("v2/memory.max", "1048576\n");
	cr_assert_eq(cg_stats_read(CG_V2, "memory", sub("v2"), &s), 0);
	cr_assert_eq(s.memory.swap.limit, 1048576 + 500);
	rt_cgroup_stats_free(&s);
}

Test(cgroup_stats, v2_without_controllers)
{
	struct rt_cgroup_stats s;

	memset(&s, 0, sizeof(s));
	/* a cgroup with nothing enabled: cpu.stat's usage, the process list */
	put("bare/cpu.stat", "usage_usec 1\nuser_usec 1\nsystem_usec 0\n");
	put("bare/cgroup.procs", "10\n11\n");
	put("bare/child/cgroup.procs", "12\n");
	put("bare/child/cpu.stat", "usage_usec 1\n");
	cr_assert_eq(cg_stats_read(CG_V2, "memory", sub("bare"), &s), 0);
	cr_assert_eq(s.memory.usage.usage, 0);
	cr_assert_eq(s.memory.n_raw, 0);
	cr_assert_eq(cg_stats_read(CG_V2, "pids", sub("bare"), &s), 0);
	cr_assert_eq(s.pids.current, 3, "counted in the subtree");
	cr_assert_eq(cg_stats_read(CG_V2, "cpu", sub("bare"), &s), 0);
	cr_assert_eq(s.cpu.periods, 0);
	cr_assert_eq(cg_stats_read(CG_V2, "nope", sub("bare"), &s), -EINVAL);
	rt_cgroup_stats_free(&s);
}

/* A hybrid cgroup: memory and pids on v1, everything else on the unified hierarchy. */
Test(cgroup_stats, hybrid_cgroup_reads_each_controller_where_it_is)
{
	struct cg_hier h[2] = {
		{CG_V1, (char *)"memory,pids", (char *)"", (char *)"/c", (char *)sub("h1"), NULL},
		{CG_V2, (char *)"", (char *)"", (char *)"/c", (char *)sub("h2"), NULL},
	};
	struct rt_cgroup cg = {.mode = RT_CGROUP_HYBRID, .h = h, .n = 2};
	struct rt_cgroup_stats s;
	struct berr e = BERR_INIT;
	uint64_t ooms = 9;

	put("h1/memory.stat", "cache 1\n");
	put("h1/memory.usage_in_bytes", "100\n");
	put("h1/memory.limit_in_bytes", "200\n");
	put("h1/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
	put("h1/nested/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
	put("h1/pids.current", "4\n");
	put("h1/pids.max", "10\n");
	put("h2/cpu.stat", "usage_usec 7\nuser_usec 4\nsystem_usec 3\n");
	put("h2/memory.current", "999\n");
	put("h2/pids.current", "999\n");
	cr_assert_eq(rt_cgroup_stats(&cg, &s, &e), 0, "%s", e.msg);
	cr_assert_eq(s.memory.usage.usage, 100, "memory from v1, not v2");
	cr_assert_eq(s.memory.usage.limit, 200);
	cr_assert_eq(s.pids.current, 4);
	cr_assert_eq(s.pids.limit, 10);
	cr_assert_eq(s.cpu.total, 7000, "cpu from v2");
	rt_cgroup_stats_free(&s);
	cr_assert_eq(rt_cgroup_oom_count(&cg, &ooms), 0);
	cr_assert_eq(ooms, 3, "v1 counts the kills of nested memcgs too");

	/* the cgroup removed: an error naming it */
	h[1].dir = (char *)sub("gone");
	cr_assert_eq(rt_cgroup_stats(&cg, &s, &e), -ENOENT);
	cr_assert(strstr(e.msg, "gone"), "%s", e.msg);
}
