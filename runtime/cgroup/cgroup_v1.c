/* cgroup v1: one hierarchy per controller (or co-mounted group), files with per-controller names. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "clock.h"
#include "runtime/cgroup/cgroup_internal.h"

#define W "linux.resources"

/*
 * A new v1 cpuset starts with empty cpus and mems (unless the parent has
 * cgroup.clone_children), and no task can join an empty cpuset: copy the
 * parent's values in. fresh: dir was just made by us, so it is known to be
 * empty (or to hold the parent's values already), and an empty parent is
 * -EAGAIN (the caller initialises the levels above first).
 */
int cg_v1_cpuset_init(const char *dir, bool fresh, struct berr *e)
{
	static const char *const files[][2] = {{"cpuset.cpus", "cpus"}, {"cpuset.mems", "mems"}};
	char parent[PATH_MAX];
	char *slash;

	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return 0;
	*slash = '\0';
	for (size_t i = 0; i < 2; i++) {
		const char *f = files[i][0];
		char cur[4096], up[4096];
		int r;

		if (!fresh) {
			r = cg_read(dir, f, cur, sizeof(cur), NULL);
			if (r == -ENOENT) {
				/* the "noprefix" mount option drops the "cpuset." */
				f = files[i][1];
				r = cg_read(dir, f, cur, sizeof(cur), NULL);
			}
			if (r < 0)
				return cg_read(dir, f, cur, sizeof(cur), e);
			if (cur[0])
				continue;
		}
		r = cg_read(parent, f, up, sizeof(up), NULL);
		if (r == -ENOENT && fresh) {
			f = files[i][1];
			r = cg_read(parent, f, up, sizeof(up), NULL);
		}
		if (r < 0)
			return cg_read(parent, f, up, sizeof(up), e);
		if (!up[0] && fresh)
			return -EAGAIN;
		r = cg_write(dir, f, up, e);
		if (r < 0)
			return r;
	}
	return 0;
}

static int apply_memory(const char *dir, const struct rt_cgroup_resources *res, struct berr *e)
{
	bool memsw = cg_has_file(dir, "memory.memsw.limit_in_bytes");
	int64_t swap = res->memory_swap;
	int r;

	/* like runc: an unlimited memory limit without a swap value lifts the swap limit as well */
	if (res->memory_limit == -1 && swap == 0 && memsw)
		swap = -1;
	if (swap && !memsw)
		return berr_set(e, -ENOTSUP,
				"'" W ".memory.swap': this kernel does not account swap "
				"(memory.memsw.limit_in_bytes is missing; boot with swapaccount=1)");
	if (res->memory_limit) {
		struct berr tmp = BERR_INIT;

		/* memory.limit must stay <= memsw.limit at every step: try both orders */
		r = cg_write_i64(dir, "memory.limit_in_bytes", res->memory_limit, &tmp);
		if (r == -EINVAL && swap) {
			r = cg_write_i64(dir, "memory.memsw.limit_in_bytes", swap, e);
			if (r < 0)
				return berr_wrap(e, r, "'" W ".memory.swap'");
			r = cg_write_i64(dir, "memory.limit_in_bytes", res->memory_limit, e);
			if (r < 0)
				return berr_wrap(e, r, "'" W ".memory.limit'");
			swap = 0;
		} else if (r < 0) {
			if (e)
				*e = tmp;
			return berr_wrap(e, r, "'" W ".memory.limit'");
		}
	}
	if (swap) {
		r = cg_write_i64(dir, "memory.memsw.limit_in_bytes", swap, e);
		if (r < 0)
			return berr_wrap(e, r, "'" W ".memory.swap'");
	}
	if (res->memory_reservation) {
		r = cg_write_i64(dir, "memory.soft_limit_in_bytes", res->memory_reservation, e);
		if (r < 0)
			return berr_wrap(e, r, "'" W ".memory.reservation'");
	}
	if (res->memory_kernel_tcp) {
		r = cg_write_i64(dir, "memory.kmem.tcp.limit_in_bytes", res->memory_kernel_tcp, e);
		if (r < 0)
			return berr_wrap(e, r, "'" W ".memory.kernelTCP'");
	}
	if (res->has_swappiness) {
		r = cg_write_u64(dir, "memory.swappiness", res->memory_swappiness, e);
		if (r < 0)
			return berr_wrap(e, r, "'" W ".memory.swappiness'");
	}
	if (res->disable_oom_killer) {
		r = cg_write(dir, "memory.oom_control", "1", e);
		if (r < 0)
			return berr_wrap(e, r, "'" W ".memory.disableOOMKiller'");
	}
	return 0;
}

static int apply_cpu(const char *dir, const struct rt_cgroup_resources *res, struct berr *e)
{
	bool quota_done = false;
	int r;

	if (res->cpu_shares) {
		r = cg_write_u64(dir, "cpu.shares", res->cpu_shares, e);
		if (r < 0)
			return berr_wrap(e, r, "'" W ".cpu.shares'");
	}
	if (res->cpu_period) {
		struct berr tmp = BERR_INIT;

		r = cg_write_u64(dir, "cpu.cfs_period_us", res->cpu_period, &tmp);
		/* the kernel checks quota against period: when the old quota blocks, set the new one first */
		if (r == -EINVAL && res->cpu_quota) {
			r = cg_write_i64(dir, "cpu.cfs_quota_us", res->cpu_quota, e);
			if (r < 0)
				return berr_wrap(e, r, "'" W ".cpu.quota'");
			quota_done = true;
			r = cg_write_u64(dir, "cpu.cfs_period_us", res->cpu_period, e);
		} else if (r < 0 && e) {
			*e = tmp;
		}
		if (r < 0)
			return berr_wrap(e, r, "'" W ".cpu.period'");
	}
	if (res->cpu_quota && !quota_done) {
		r = cg_write_i64(dir, "cpu.cfs_quota_us", res->cpu_quota, e);
		if (r < 0)
			return berr_wrap(e, r, "'" W ".cpu.quota'");
	}
	return 0;
}

static int apply_cpuset(const char *dir, const struct rt_cgroup_resources *res, struct berr *e)
{
	bool prefix = cg_has_file(dir, "cpuset.cpus");
	int r;

	if (res->cpuset_cpus[0]) {
		r = cg_write(dir, prefix ? "cpuset.cpus" : "cpus", res->cpuset_cpus, e);
		if (r < 0)
			return berr_wrap(e, r, "'" W ".cpu.cpus'");
	}
	if (res->cpuset_mems[0]) {
		r = cg_write(dir, prefix ? "cpuset.mems" : "mems", res->cpuset_mems, e);
		if (r < 0)
			return berr_wrap(e, r, "'" W ".cpu.mems'");
	}
	return 0;
}

static int apply_blkio(const char *dir, const struct rt_cgroup_resources *res, struct berr *e)
{
	const char *f = NULL;
	int r;

	if (cg_has_file(dir, "blkio.weight"))
		f = "blkio.weight";
	else if (cg_has_file(dir, "blkio.bfq.weight"))
		f = "blkio.bfq.weight";
	if (!f)
		return berr_set(e, -ENOTSUP,
				"'" W ".blockIO.weight': the blkio controller has no weight file here "
				"(no CFQ/BFQ scheduler)");
	r = cg_write_u64(dir, f, res->blkio_weight, e);
	return r < 0 ? berr_wrap(e, r, "'" W ".blockIO.weight'") : 0;
}

static void number(char *buf, size_t len, int64_t v)
{
	if (v < 0)
		snprintf(buf, len, "*");
	else
		snprintf(buf, len, "%lld", (long long)v);
}

static int write_rule(const char *dir, const struct rt_cgroup_device_rule *d, char type, struct berr *e)
{
	char line[64], maj[16], min[16];

	number(maj, sizeof(maj), d->major);
	number(min, sizeof(min), d->minor);
	snprintf(line, sizeof(line), "%c %s:%s %s", type, maj, min, d->access);
	return cg_write(dir, d->allow ? "devices.allow" : "devices.deny", line, e);
}

static int apply_device(const char *dir, const struct rt_cgroup_device_rule *d, struct berr *e)
{
	int r;

	if (d->type == 'a' && d->major < 0 && d->minor < 0 && strcmp(d->access, "rwm") == 0)
		return cg_write(dir, d->allow ? "devices.allow" : "devices.deny", "a", e);
	if (d->type == 'a') {
		r = write_rule(dir, d, 'c', e);
		return r < 0 ? r : write_rule(dir, d, 'b', e);
	}
	return write_rule(dir, d, d->type, e);
}

/*
 * The v1 device list: "a" to devices.deny first (the OCI default), then the
 * rules in order. The kernel reads any rule of type 'a' as a reset of the
 * whole list to allow-all / deny-all, so only the full "a *:* rwm" goes as
 * "a"; a narrower 'a' rule is written as the same rule for 'c' and 'b'.
 *
 * devices.list shows the exceptions in the order they were first added, and
 * the config's must come first there (the runtime-tools suite reads it so).
 * So the rules after the default devices go first, then the defaults, then
 * those rules once more: each rule only sets or clears access bits of one
 * entry, so replaying them gives the same list as the order meant.
 */
static int apply_devices(const char *dir, const struct rt_cgroup_resources *res, struct berr *e)
{
	size_t n = res->n_devices, at = res->n_defaults ? res->defaults_at : n, end = at + res->n_defaults;
	struct {
		size_t from, to;
	} runs[] = {{0, at}, {end, n}, {at, end}, {end, n}};
	int r;

	r = cg_write(dir, "devices.deny", "a", e);
	if (r < 0)
		return berr_wrap(e, r, "'" W ".devices': deny all");
	for (size_t k = 0; k < ARRAY_SIZE(runs); k++) {
		for (size_t i = runs[k].from; i < runs[k].to; i++) {
			r = apply_device(dir, &res->devices[i], e);
			if (r < 0)
				return berr_wrap(e, r, "'" W ".devices[%zu]'", i);
		}
	}
	return 0;
}

int cg_v1_apply(const struct cg_hier *h, const struct rt_cgroup_resources *res, struct berr *e)
{
	const char *c = h->controllers;
	int r;

	if (cg_list_has(c, "memory") && (res->memory_limit || res->memory_swap || res->memory_reservation ||
					 res->memory_kernel_tcp || res->has_swappiness || res->disable_oom_killer)) {
		if ((r = apply_memory(h->dir, res, e)) < 0)
			return r;
	}
	if (cg_list_has(c, "cpu") && (res->cpu_shares || res->cpu_period || res->cpu_quota)) {
		if ((r = apply_cpu(h->dir, res, e)) < 0)
			return r;
	}
	if (cg_list_has(c, "cpuset") && (res->cpuset_cpus[0] || res->cpuset_mems[0])) {
		if ((r = apply_cpuset(h->dir, res, e)) < 0)
			return r;
	}
	if (cg_list_has(c, "pids") && res->pids_limit) {
		r = cg_write_max(h->dir, "pids.max", res->pids_limit, e);
		if (r < 0)
			return berr_wrap(e, r, "'" W ".pids.limit'");
	}
	if (cg_list_has(c, "blkio") && res->blkio_weight) {
		if ((r = apply_blkio(h->dir, res, e)) < 0)
			return r;
	}
	if (cg_list_has(c, "devices") && res->has_devices) {
		if ((r = apply_devices(h->dir, res, e)) < 0)
			return r;
	}
	if ((cg_list_has(c, "net_cls") || cg_list_has(c, "net_prio")) && (r = cg_v1_net_apply(h, res, e)) < 0)
		return r;
	return 0;
}

int cg_v1_is_frozen(const char *dir, bool *ret)
{
	char state[64];
	int r = cg_read(dir, "freezer.state", state, sizeof(state), NULL);

	if (r < 0)
		return r;
	*ret = strcmp(state, "FROZEN") == 0;
	return 0;
}

/*
 * The v1 freezer reports FREEZING until every task reached the
 * refrigerator; a task that was busy forking can make it stall there, so
 * the request is repeated (as runc does) until FROZEN or the deadline.
 */
int cg_v1_freeze(const char *dir, bool frozen, struct berr *e)
{
	long long deadline = bclock_now_ms() + 5000;
	char state[64];
	int r;

	if (!frozen) {
		r = cg_write(dir, "freezer.state", "THAWED", e);
		return r < 0 ? berr_wrap(e, r, "thaw") : 0;
	}
	for (int i = 0;; i++) {
		r = cg_write(dir, "freezer.state", "FROZEN", e);
		if (r < 0)
			return berr_wrap(e, r, "freeze");
		r = cg_read(dir, "freezer.state", state, sizeof(state), e);
		if (r < 0)
			return r;
		if (strcmp(state, "FROZEN") == 0)
			return 0;
		if (bclock_now_ms() > deadline)
			break;
		cg_sleep_ms(i < 10 ? 1 : 10);
	}
	(void)cg_write(dir, "freezer.state", "THAWED", NULL);
	return berr_set(e, -ETIMEDOUT, "freeze %s: still %s after 5 s", dir, state);
}

int cg_v1_oom_killed(const char *dir, bool *ret)
{
	/* v1 counts a kill in the memcg that hit its limit, which may be a nested one */
	*ret = cg_sum_key_tree(dir, "memory.oom_control", "oom_kill") > 0;
	return 0;
}
