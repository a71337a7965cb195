/* Changing the limits of an existing cgroup (berth update): checks, the kernel memory limit, then create's writers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "runtime/cgroup/cgroup_internal.h"

/* The kernel's internal "not supported" (524), which some cgroup v1 writes hand to user space as it is. */
#define KERNEL_ENOTSUPP 524

static const struct cg_hier *v1_hier(const struct rt_cgroup *cg, const char *controller)
{
	for (size_t i = 0; i < cg->n; i++)
		if (cg->h[i].kind == CG_V1 && cg_list_has(cg->h[i].controllers, controller))
			return &cg->h[i];
	return NULL;
}

static bool has_controller(const struct rt_cgroup *cg, const char *v1, const char *v2)
{
	for (size_t i = 0; i < cg->n; i++) {
		const struct cg_hier *h = &cg->h[i];

		if (h->kind == CG_V1 ? cg_list_has(h->controllers, v1) : cg_v2_available(h->mount, v2))
			return true;
	}
	return false;
}

/* The container's own hierarchies decide, not today's mount table: they are where its processes are. */
static int check_controllers(const struct rt_cgroup *cg, const struct rt_cgroup_resources *res, struct berr *e)
{
	static const struct {
		const char *v1, *v2, *what;
	} need[] = {
		{"memory", "memory", "memory"},
		{"cpu", "cpu", "cpu shares, quota and period"},
		{"cpuset", "cpuset", "cpuset cpus and mems"},
		{"pids", "pids", "the pids limit"},
		{"blkio", "io", "the blkio weight"},
	};
	char v2need[128];

	cg_v2_needed(res, v2need, sizeof(v2need));
	for (size_t i = 0; i < ARRAY_SIZE(need); i++) {
		if (cg_list_has(v2need, need[i].v2) && !has_controller(cg, need[i].v1, need[i].v2))
			return berr_set(e, -ENOTSUP, "%s: the container's cgroup has no %s controller", need[i].what,
					need[i].v1);
	}
	return 0;
}

static int set_kernel_memory(const struct rt_cgroup *cg, int64_t v, struct berr *e)
{
	const struct cg_hier *h = v1_hier(cg, "memory");
	long page = sysconf(_SC_PAGESIZE);
	int r;

	if (!h)
		return berr_set(e, -ENOTSUP,
				"kernel memory limit: the memory controller is on cgroup v2, which has none");
	if (!cg_has_file(h->dir, "memory.kmem.limit_in_bytes"))
		return berr_set(e, -ENOTSUP,
				"kernel memory limit: this kernel has none (memory.kmem.limit_in_bytes is missing)");
	r = cg_write_i64(h->dir, "memory.kmem.limit_in_bytes", v, e);
	if (r == -EOPNOTSUPP || r == -KERNEL_ENOTSUPP)
		return berr_set(e, -ENOTSUP,
				"kernel memory limit: this kernel no longer supports one "
				"(it refuses writes to memory.kmem.limit_in_bytes)");
	if (r < 0)
		return berr_wrap(e, r, "kernel memory limit");
	/* recent kernels take the write and ignore it: only the value read back tells */
	if (v > 0 && page > 0) {
		char buf[32];

		if (cg_read(h->dir, "memory.kmem.limit_in_bytes", buf, sizeof(buf), e) < 0)
			return berr_wrap(e, -EIO, "kernel memory limit");
		if (strtoll(buf, NULL, 10) != v / page * page)
			return berr_set(e, -ENOTSUP,
					"kernel memory limit: this kernel no longer has one "
					"(it ignores what is written to memory.kmem.limit_in_bytes)");
	}
	return 0;
}

/* The kernel's EBUSY and EINVAL for memory limits say little: name the values involved, as runc does. */
static int explain_memory_error(const struct rt_cgroup *cg, const struct rt_cgroup_resources *res, int r,
				struct berr *e)
{
	const struct cg_hier *h = v1_hier(cg, "memory");
	char cur[64] = "", memsw[64] = "";

	if (res->memory_limit <= 0)
		return r;
	if (r == -EBUSY) {
		if (h)
			(void)cg_read(h->dir, "memory.usage_in_bytes", cur, sizeof(cur), NULL);
		for (size_t i = 0; !h && i < cg->n; i++)
			if (cg->h[i].kind == CG_V2)
				(void)cg_read(cg->h[i].dir, "memory.current", cur, sizeof(cur), NULL);
		return berr_set(e, -EBUSY, "memory limit %lld is below what the container uses now (%s bytes)",
				(long long)res->memory_limit, cur[0] ? cur : "?");
	}
	if (r == -EINVAL && h && !res->memory_swap &&
	    cg_read(h->dir, "memory.memsw.limit_in_bytes", memsw, sizeof(memsw), NULL) == 0 &&
	    strtoll(memsw, NULL, 10) < res->memory_limit)
		return berr_set(e, -EINVAL,
				"memory limit %lld is above the memory+swap limit %s: raise --memory-swap with it",
				(long long)res->memory_limit, memsw);
	return r;
}

int rt_cgroup_update(const struct rt_cgroup *cg, const struct rt_cgroup_resources *res, int64_t kernel_memory,
		     struct berr *e)
{
	struct rt_cgroup_resources sub = *res;
	int r;

	r = check_controllers(cg, res, e);
	if (r < 0)
		return r;
	/* first: a refusal here leaves every other value as it was */
	if (kernel_memory) {
		r = set_kernel_memory(cg, kernel_memory, e);
		if (r < 0)
			return r;
	}
	/* runc update cannot change devices either: an engine's device rules stay as create wrote them */
	sub.devices = NULL;
	sub.n_devices = 0;
	sub.has_devices = false;
	r = cg_apply(cg, &sub, e);
	return r < 0 ? explain_memory_error(cg, res, r, e) : 0;
}
