/* cgroup v2 (the unified hierarchy): one tree, controllers enabled per level, core files for freeze and kill. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "clock.h"
#include "runtime/cgroup/cgroup_internal.h"

#define W "linux.resources"

/* cgroup.controllers and cgroup.subtree_control are space-separated. */
static bool space_list_has(const char *list, const char *item)
{
	size_t n = strlen(item);

	for (const char *p = list; *p;) {
		size_t l = strcspn(p, " \n");

		if (l == n && strncmp(p, item, n) == 0)
			return true;
		p += l;
		while (*p == ' ' || *p == '\n')
			p++;
	}
	return false;
}

bool cg_v2_available(const char *mount, const char *controller)
{
	char buf[1024];

	if (cg_read(mount, "cgroup.controllers", buf, sizeof(buf), NULL) < 0)
		return false;
	return space_list_has(buf, controller);
}

void cg_v2_needed(const struct rt_cgroup_resources *res, char *buf, size_t len)
{
	buf[0] = '\0';
	if (res->memory_limit || res->memory_reservation || res->memory_swap)
		strncat(buf, "memory,", len - strlen(buf) - 1);
	if (res->cpu_shares || res->cpu_quota || res->cpu_period)
		strncat(buf, "cpu,", len - strlen(buf) - 1);
	if (res->cpuset_cpus[0] || res->cpuset_mems[0])
		strncat(buf, "cpuset,", len - strlen(buf) - 1);
	if (res->pids_limit)
		strncat(buf, "pids,", len - strlen(buf) - 1);
	if (res->blkio_weight)
		strncat(buf, "io,", len - strlen(buf) - 1);
	if (buf[0])
		buf[strlen(buf) - 1] = '\0';
}

/*
 * A controller is usable in a cgroup only when every ancestor lists it in
 * cgroup.subtree_control. Only what the resources need is enabled, and
 * only where it is not already, so a hierarchy shared with others (hybrid
 * mode, the host's root) is not changed needlessly.
 */
int cg_v2_enable(const char *mount, const char *path, const char *controllers, struct berr *e)
{
	char dir[PATH_MAX], sub[1024];
	size_t base = strlen(mount);
	const char *p = path;

	if (!controllers[0])
		return 0;
	if ((size_t)snprintf(dir, sizeof(dir), "%s", mount) >= sizeof(dir))
		return berr_set(e, -ENAMETOOLONG, "path too long: %s", mount);
	for (;;) {
		const char *c = controllers;
		const char *slash;
		int r;

		r = cg_read(dir, "cgroup.subtree_control", sub, sizeof(sub), e);
		if (r < 0)
			return r;
		while (*c) {
			size_t l = strcspn(c, ",");
			char name[32], plus[40];

			if (l >= sizeof(name))
				return berr_set(e, -EINVAL, "bad controller name");
			memcpy(name, c, l);
			name[l] = '\0';
			c += l + (c[l] == ',');
			if (space_list_has(sub, name))
				continue;
			snprintf(plus, sizeof(plus), "+%s", name);
			r = cg_write(dir, "cgroup.subtree_control", plus, e);
			if (r == -EBUSY)
				return berr_wrap(e, r,
						 "enable the %s controller below %s (a v2 cgroup with processes "
						 "cannot delegate controllers)",
						 name, dir);
			if (r < 0)
				return berr_wrap(e, r, "enable the %s controller", name);
		}
		/* down one level, stopping at the container's parent */
		while (*p == '/')
			p++;
		slash = strchr(p, '/');
		if (!slash)
			return 0;
		if (base + 1 + (size_t)(slash - p) >= sizeof(dir))
			return berr_set(e, -ENAMETOOLONG, "path too long: %s", path);
		dir[base] = '/';
		memcpy(dir + base + 1, p, (size_t)(slash - p));
		base += 1 + (size_t)(slash - p);
		dir[base] = '\0';
		p = slash;
	}
}

static int apply_memory(const char *dir, const struct rt_cgroup_resources *res, struct berr *e)
{
	int64_t swap = 0;
	bool swap_set = false;
	int r;

	/* OCI's swap is memory+swap; memory.swap.max is the swap alone */
	if (res->memory_swap == -1 || (res->memory_limit == -1 && res->memory_swap == 0)) {
		swap = -1;
		swap_set = res->memory_swap == -1 || cg_has_file(dir, "memory.swap.max");
	} else if (res->memory_swap > 0) {
		swap = res->memory_swap - res->memory_limit;
		swap_set = true;
	}
	if (swap_set && !cg_has_file(dir, "memory.swap.max"))
		return berr_set(e, -ENOTSUP,
				"'" W ".memory.swap': this kernel does not account swap (memory.swap.max is missing)");
	if (res->memory_limit) {
		r = cg_write_max(dir, "memory.max", res->memory_limit, e);
		if (r < 0)
			return berr_wrap(e, r, "'" W ".memory.limit'");
	}
	if (swap_set) {
		r = cg_write_max(dir, "memory.swap.max", swap, e);
		if (r < 0)
			return berr_wrap(e, r, "'" W ".memory.swap'");
	}
	if (res->memory_reservation) {
		r = cg_write_max(dir, "memory.low", res->memory_reservation, e);
		if (r < 0)
			return berr_wrap(e, r, "'" W ".memory.reservation'");
	}
	return 0;
}

static int apply_cpu(const char *dir, const struct rt_cgroup_resources *res, struct berr *e)
{
	char buf[64], cur[64];
	int r;

	if (res->cpu_shares) {
		/* the mapping runc and crun use: shares 2..262144 onto weight 1..10000 */
		uint64_t weight = 1 + ((res->cpu_shares - 2) * 9999) / 262142;

		r = cg_write_u64(dir, "cpu.weight", weight, e);
		if (r < 0)
			return berr_wrap(e, r, "'" W ".cpu.shares'");
	}
	if (!res->cpu_quota && !res->cpu_period)
		return 0;
	if (res->cpu_quota && !res->cpu_period) {
		/* a lone quota keeps the period */
		if (res->cpu_quota < 0)
			snprintf(buf, sizeof(buf), "max");
		else
			snprintf(buf, sizeof(buf), "%" PRId64, res->cpu_quota);
	} else if (res->cpu_quota) {
		if (res->cpu_quota < 0)
			snprintf(buf, sizeof(buf), "max %" PRIu64, res->cpu_period);
		else
			snprintf(buf, sizeof(buf), "%" PRId64 " %" PRIu64, res->cpu_quota, res->cpu_period);
	} else {
		/* a lone period keeps the quota */
		r = cg_read(dir, "cpu.max", cur, sizeof(cur), e);
		if (r < 0)
			return berr_wrap(e, r, "'" W ".cpu.period'");
		cur[strcspn(cur, " ")] = '\0';
		snprintf(buf, sizeof(buf), "%s %" PRIu64, cur, res->cpu_period);
	}
	r = cg_write(dir, "cpu.max", buf, e);
	return r < 0 ? berr_wrap(e, r, "'" W ".cpu.quota'/'" W ".cpu.period'") : 0;
}

static int apply_io(const char *dir, const struct rt_cgroup_resources *res, struct berr *e)
{
	int r;

	/* BFQ takes the v1 range as is; io.weight spans 1..10000 */
	if (cg_has_file(dir, "io.bfq.weight")) {
		r = cg_write_u64(dir, "io.bfq.weight", res->blkio_weight, e);
	} else if (cg_has_file(dir, "io.weight")) {
		char buf[32];

		snprintf(buf, sizeof(buf), "default %u", 1 + ((unsigned)res->blkio_weight - 10) * 9999 / 990);
		r = cg_write(dir, "io.weight", buf, e);
	} else {
		return berr_set(e, -ENOTSUP, "'" W ".blockIO.weight': the io controller has no weight file here");
	}
	return r < 0 ? berr_wrap(e, r, "'" W ".blockIO.weight'") : 0;
}

int cg_v2_apply(const struct cg_hier *h, const struct rt_cgroup_resources *res, bool devices, struct berr *e)
{
	const char *dir = h->dir;
	int r;

	if (res->memory_limit || res->memory_reservation || res->memory_swap) {
		if ((r = apply_memory(dir, res, e)) < 0)
			return r;
	}
	if (res->cpu_shares || res->cpu_quota || res->cpu_period) {
		if ((r = apply_cpu(dir, res, e)) < 0)
			return r;
	}
	if (res->cpuset_cpus[0]) {
		r = cg_write(dir, "cpuset.cpus", res->cpuset_cpus, e);
		if (r < 0)
			return berr_wrap(e, r, "'" W ".cpu.cpus'");
	}
	if (res->cpuset_mems[0]) {
		r = cg_write(dir, "cpuset.mems", res->cpuset_mems, e);
		if (r < 0)
			return berr_wrap(e, r, "'" W ".cpu.mems'");
	}
	if (res->pids_limit) {
		r = cg_write_max(dir, "pids.max", res->pids_limit, e);
		if (r < 0)
			return berr_wrap(e, r, "'" W ".pids.limit'");
	}
	if (res->blkio_weight) {
		if ((r = apply_io(dir, res, e)) < 0)
			return r;
	}
	if (devices && res->has_devices) {
		r = cg_bpf_devices_attach(dir, res->devices, res->n_devices, e);
		if (r < 0)
			return berr_wrap(e, r, "'" W ".devices'");
	}
	return 0;
}

/*
 * The requested state, as runc reads it: cgroup.events "frozen" drops to 0
 * for a moment whenever a frozen task is woken (a fatal signal, a task
 * exiting), and a paused container must not look running then.
 */
int cg_v2_is_frozen(const char *dir, bool *ret)
{
	char buf[16];
	int r = cg_read(dir, "cgroup.freeze", buf, sizeof(buf), NULL);

	if (r < 0)
		return r;
	*ret = strcmp(buf, "1") == 0;
	return 0;
}

/*
 * Writing cgroup.freeze only starts freezing; cgroup.events says "frozen 1"
 * once every task stopped. The file raises POLLPRI when it changes, so the
 * wait needs no busy loop.
 */
int cg_v2_freeze(const char *dir, bool frozen, struct berr *e)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = -1;
	long long deadline = bclock_now_ms() + 5000;
	int r;

	r = cg_write(dir, "cgroup.freeze", frozen ? "1" : "0", e);
	if (r < 0)
		return berr_wrap(e, r, frozen ? "freeze" : "thaw");
	snprintf(path, sizeof(path), "%s/cgroup.events", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return berr_errno(e, "open %s", path);
	for (;;) {
		char buf[256];
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		struct pollfd pfd = {fd, POLLPRI, 0};
		const char *f;
		long left;

		if (n < 0)
			return berr_errno(e, "read %s", path);
		buf[n] = '\0';
		f = strstr(buf, "frozen ");
		if (f && (f[7] == '1') == frozen)
			return 0;
		left = deadline - bclock_now_ms();
		if (left <= 0)
			break;
		/* a bounded poll: also covers kernels that miss a notification */
		(void)poll(&pfd, 1, left < 50 ? (int)left : 50);
	}
	if (frozen)
		(void)cg_write(dir, "cgroup.freeze", "0", NULL);
	return berr_set(e, -ETIMEDOUT, "%s %s: cgroup.events did not settle within 5 s", frozen ? "freeze" : "thaw",
			dir);
}

int cg_v2_kill(const char *dir, struct berr *e)
{
	int r;

	if (!cg_has_file(dir, "cgroup.kill"))
		return berr_set(e, -ENOTSUP, "%s: cgroup.kill needs Linux 5.14", dir);
	r = cg_write(dir, "cgroup.kill", "1", e);
	return r < 0 ? r : 0;
}

int cg_v2_oom_killed(const char *dir, bool *ret)
{
	uint64_t v = 0;

	/* memory.events is hierarchical: kills in nested cgroups count too */
	*ret = cg_read_key(dir, "memory.events", "oom_kill", &v) == 0 && v > 0;
	return 0;
}
