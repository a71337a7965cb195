/*
 * What a container's cgroup has used (berth events), in the units and with
 * the meaning of runc's libcontainer stats, so runtime/events.c can print
 * them as `runc events` does; and the count of OOM kills, with an fd that
 * wakes a poll(2) when the kernel records one.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "runtime/cgroup/cgroup.h"

/* Unlimited, where the kernel says "max" (v2), as runc reports it. */
#define RT_STAT_MAX UINT64_MAX

struct rt_stat_kv {
	char *key;
	uint64_t value;
};

/* runc's MemoryData: bytes. */
struct rt_stat_mem {
	uint64_t limit, usage, max, failcnt;
};

struct rt_stat_blkio_entry {
	uint64_t major, minor;
	char op[16]; /* "Read", "Write", "Sync", "Async", "Discard", "Total"; "" for sectors and times */
	uint64_t value;
};

/* runc's BlkioStats tables, in its JSON order. */
enum rt_stat_blkio_table {
	RT_BLKIO_SERVICE_BYTES,
	RT_BLKIO_SERVICED,
	RT_BLKIO_QUEUED,
	RT_BLKIO_SERVICE_TIME,
	RT_BLKIO_WAIT_TIME,
	RT_BLKIO_MERGED,
	RT_BLKIO_TIME,
	RT_BLKIO_SECTORS,
	RT_BLKIO_N,
};

struct rt_stat_hugetlb {
	char size[16]; /* "2MB", "1GB" as runc names page sizes */
	uint64_t usage, max, failcnt;
};

struct rt_cgroup_stats {
	struct {
		uint64_t total, kernel, user; /* nanoseconds */
		uint64_t *percpu, *percpu_kernel, *percpu_user;
		size_t n_percpu, n_percpu_kernel, n_percpu_user;
		uint64_t periods, throttled_periods, throttled_time; /* throttled_time in ns */
	} cpu;
	struct {
		uint16_t *cpus, *mems;
		size_t n_cpus, n_mems;
		uint64_t cpu_exclusive, mem_hardwall, mem_exclusive, memory_migrate, memory_spread_page,
			memory_spread_slab, memory_pressure, sched_load_balance;
		int64_t sched_relax_domain_level;
	} cpuset;
	struct {
		uint64_t cache;
		struct rt_stat_mem usage, swap, kernel, kernel_tcp; /* swap: memory+swap, as v1 counts it */
		struct rt_stat_kv *raw;				    /* memory.stat, sorted by key */
		size_t n_raw;
	} memory;
	struct {
		uint64_t current, limit; /* limit 0: none */
	} pids;
	struct {
		struct rt_stat_blkio_entry *v;
		size_t n, cap;
	} blkio[RT_BLKIO_N];
	struct rt_stat_hugetlb *hugetlb; /* sorted by size name */
	size_t n_hugetlb;
};

/*
 * Read every controller on the hierarchy it is bound to (v1 first, as
 * create applies them, else the unified one). A file the kernel does not
 * have is skipped; the cgroup itself gone is -ENOENT.
 */
int rt_cgroup_stats(const struct rt_cgroup *cg, struct rt_cgroup_stats *ret, struct berr *e);
void rt_cgroup_stats_free(struct rt_cgroup_stats *s);

/* OOM kills the kernel recorded in the cgroup (v1: memory.oom_control over the subtree, v2: memory.events). */
int rt_cgroup_oom_count(const struct rt_cgroup *cg, uint64_t *ret);

/*
 * An fd to poll for OOM notifications: v1 an eventfd registered through
 * cgroup.event_control (POLLIN; read it to re-arm), v2 memory.events
 * (POLLPRI; rt_cgroup_oom_watch_rearm re-reads it). -ENOENT without a
 * memory controller. A notification only says "look again": the count is
 * rt_cgroup_oom_count's.
 */
struct rt_cgroup_oom_watch {
	int fd;
	int keep_fd; /* v1: memory.oom_control, open while registered */
	short events;
};
int rt_cgroup_oom_watch(const struct rt_cgroup *cg, struct rt_cgroup_oom_watch *ret, struct berr *e);
void rt_cgroup_oom_watch_rearm(const struct rt_cgroup_oom_watch *w);
void rt_cgroup_oom_watch_close(struct rt_cgroup_oom_watch *w);
