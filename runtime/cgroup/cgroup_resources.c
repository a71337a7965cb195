/* runtime/cgroup/cgroup_resources.c: OCI linux.resources, range-checked. */
/*
 * OCI linux.resources -> struct rt_cgroup_resources. Only what berth applies
 * is read (memory, cpu, pids, blockIO.weight, devices, network); other keys
 * of the spec (hugepageLimits, rdma, unified, blockIO throttling...) are
 * ignored as docs/cgroups.md lists. Every value is range-checked here, so
 * the kernel never sees a value the config did not mean.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "jsonutil.h"
#include "runtime/cgroup/cgroup_internal.h"

#define W "linux.resources"

bool cg_valid_list(const char *s)
{
	const char *p = s;

	if (!*p)
		return false;
	for (;;) {
		unsigned long a, b;
		char *end;

		if (!isdigit((unsigned char)*p))
			return false;
		a = strtoul(p, &end, 10);
		p = end;
		if (*p == '-') {
			p++;
			if (!isdigit((unsigned char)*p))
				return false;
			b = strtoul(p, &end, 10);
			p = end;
			if (b < a)
				return false;
		}
		if (*p == '\0')
			return true;
		if (*p != ',')
			return false;
		p++;
	}
}

/* limit-like values: -1 (unlimited) or positive. */
static int get_limit(const json_t *obj, const char *key, const char *where, int64_t *ret, struct berr *e)
{
	int64_t v = 0;
	int r = bjson_get_int(obj, key, where, INT64_MIN, INT64_MAX, &v, e);

	if (r <= 0)
		return r;
	if (v == 0 || v < -1)
		return berr_set(e, -EINVAL, "'%s.%s' must be positive (or -1 for unlimited), got %lld", where, key,
				(long long)v);
	*ret = v;
	return 1;
}

static int parse_memory(const json_t *mem, struct rt_cgroup_resources *res, struct berr *e)
{
	const char *w = W ".memory";
	int64_t v;
	int r;

	if ((r = get_limit(mem, "limit", w, &res->memory_limit, e)) < 0)
		return r;
	if ((r = get_limit(mem, "reservation", w, &res->memory_reservation, e)) < 0)
		return r;
	if ((r = get_limit(mem, "swap", w, &res->memory_swap, e)) < 0)
		return r;
	if ((r = get_limit(mem, "kernelTCP", w, &res->memory_kernel_tcp, e)) < 0)
		return r;
	v = 0;
	if ((r = bjson_get_int(mem, "kernel", w, INT64_MIN, INT64_MAX, &v, e)) < 0)
		return r;
	res->has_kernel_memory = r > 0;
	if ((r = bjson_get_bool(mem, "disableOOMKiller", w, &res->disable_oom_killer, e)) < 0)
		return r;
	/* -1 (how Go runtimes write an unset uint64) leaves it as it is, like runc */
	v = -1;
	if ((r = bjson_get_int(mem, "swappiness", w, -1, INT64_MAX, &v, e)) < 0)
		return r;
	if (v > 100)
		return berr_set(e, -EINVAL, "'%s.swappiness' must be between 0 and 100, got %lld", w, (long long)v);
	res->has_swappiness = v >= 0;
	res->memory_swappiness = (uint8_t)(v >= 0 ? v : 0);
	/* swap is memory+swap: it needs a memory limit to be measured against */
	if (res->memory_swap > 0 && res->memory_limit <= 0)
		return berr_set(e, -EINVAL, "'%s.swap' needs '%s.limit' to be set", w, w);
	if (res->memory_swap > 0 && res->memory_swap < res->memory_limit)
		return berr_set(e, -EINVAL,
				"'%s.swap' (%lld) must be at least '%s.limit' (%lld): it counts memory+swap", w,
				(long long)res->memory_swap, w, (long long)res->memory_limit);
	return 0;
}

static int get_cpu_list(const json_t *cpu, const char *key, char *out, size_t len, struct berr *e)
{
	const char *s = NULL;
	int r = bjson_get_str(cpu, key, W ".cpu", &s, e);

	if (r <= 0)
		return r;
	if (!*s)
		return 0;
	if (strlen(s) >= len || !cg_valid_list(s))
		return berr_set(e, -EINVAL, "'" W ".cpu.%s' must be a list like \"0-3,5\", got '%.64s'", key, s);
	snprintf(out, len, "%s", s);
	return 1;
}

static int parse_cpu(const json_t *cpu, struct rt_cgroup_resources *res, struct berr *e)
{
	const char *w = W ".cpu";
	int64_t v = 0;
	int r;

	r = bjson_get_int(cpu, "shares", w, 0, INT64_MAX, &v, e);
	if (r < 0)
		return r;
	if (r > 0 && v != 0 && (v < 2 || v > 262144))
		return berr_set(e, -EINVAL, "'%s.shares' must be between 2 and 262144, got %lld", w, (long long)v);
	if (r > 0)
		res->cpu_shares = (uint64_t)v;
	v = 0;
	r = bjson_get_int(cpu, "quota", w, INT64_MIN, INT64_MAX, &v, e);
	if (r < 0)
		return r;
	/* the kernel's floor for a quota is 1 ms */
	if (r > 0 && v != 0 && v != -1 && (v < 1000 || v > INT64_MAX / 1000))
		return berr_set(e, -EINVAL, "'%s.quota' must be -1 (unlimited) or at least 1000 microseconds, got %lld",
				w, (long long)v);
	if (r > 0)
		res->cpu_quota = v;
	v = 0;
	r = bjson_get_int(cpu, "period", w, 0, INT64_MAX, &v, e);
	if (r < 0)
		return r;
	if (r > 0 && v != 0 && (v < 1000 || v > 1000000))
		return berr_set(e, -EINVAL, "'%s.period' must be between 1000 and 1000000 microseconds, got %lld", w,
				(long long)v);
	if (r > 0)
		res->cpu_period = (uint64_t)v;
	r = get_cpu_list(cpu, "cpus", res->cpuset_cpus, sizeof(res->cpuset_cpus), e);
	if (r < 0)
		return r;
	r = get_cpu_list(cpu, "mems", res->cpuset_mems, sizeof(res->cpuset_mems), e);
	return r < 0 ? r : 0;
}

static int parse_device(const json_t *d, size_t i, struct rt_cgroup_device_rule *rule, struct berr *e)
{
	char w[64];
	const char *type = NULL, *access = NULL;
	int64_t v;
	size_t n;
	int r;

	snprintf(w, sizeof(w), W ".devices[%zu]", i);
	if (!json_is_object(d))
		return berr_set(e, -EINVAL, "'%s' must be an object", w);
	r = bjson_get_bool(d, "allow", w, &rule->allow, e);
	if (r < 0)
		return r;
	if (r == 0)
		return berr_set(e, -EINVAL, "missing required key '%s.allow'", w);
	r = bjson_get_str(d, "type", w, &type, e);
	if (r < 0)
		return r;
	if (!type || !*type)
		type = "a";
	if (strlen(type) != 1 || !strchr("abc", type[0]))
		return berr_set(e, -EINVAL, "'%s.type' must be \"a\", \"b\" or \"c\", got '%.16s'", w, type);
	rule->type = type[0];
	rule->major = rule->minor = -1;
	/* device numbers are 32-bit in the kernel; -1 is accepted as "any" like runc */
	v = -1;
	if ((r = bjson_get_int(d, "major", w, -1, INT32_MAX, &v, e)) < 0)
		return r;
	rule->major = v;
	v = -1;
	if ((r = bjson_get_int(d, "minor", w, -1, INT32_MAX, &v, e)) < 0)
		return r;
	rule->minor = v;
	r = bjson_get_str(d, "access", w, &access, e);
	if (r < 0)
		return r;
	if (!access || !*access)
		access = "rwm";
	if (strlen(access) > 3)
		return berr_set(e, -EINVAL, "'%s.access' must be a combination of r, w and m, got '%.16s'", w, access);
	for (const char *c = access; *c; c++) {
		if (!strchr("rwm", *c) || strchr(c + 1, *c))
			return berr_set(e, -EINVAL, "'%s.access' must be a combination of r, w and m, got '%.16s'", w,
					access);
	}
	/* kept in the canonical order, as the kernel's devices.list shows it */
	n = 0;
	for (const char *c = "rwm"; *c; c++)
		if (strchr(access, *c))
			rule->access[n++] = *c;
	rule->access[n] = '\0';
	return 0;
}

static int parse_devices(const json_t *arr, struct rt_cgroup_resources *res, struct berr *e)
{
	size_t n = json_array_size(arr);
	struct rt_cgroup_device_rule *rules;
	int r;

	res->has_devices = true;
	if (n == 0)
		return 0;
	if (n > 4096)
		return berr_set(e, -E2BIG, "'" W ".devices' has more than 4096 rules");
	rules = calloc(n, sizeof(*rules));
	if (!rules)
		return berr_oom(e);
	for (size_t i = 0; i < n; i++) {
		r = parse_device(json_array_get(arr, i), i, &rules[i], e);
		if (r < 0) {
			free(rules);
			return r;
		}
	}
	res->devices = rules;
	res->n_devices = n;
	return 0;
}

int rt_cgroup_resources_parse(const json_t *resources, struct rt_cgroup_resources *ret, struct berr *e)
{
	struct rt_cgroup_resources res;
	json_t *o = NULL, *arr = NULL;
	int64_t v;
	int r;

	memset(&res, 0, sizeof(res));
	if (!resources || json_is_null(resources)) {
		*ret = res;
		return 0;
	}
	if (!json_is_object(resources))
		return berr_set(e, -EINVAL, "'" W "' must be an object");
	if ((r = bjson_get_obj(resources, "memory", W, &o, e)) < 0)
		return r;
	if (r > 0 && (r = parse_memory(o, &res, e)) < 0)
		return r;
	if ((r = bjson_get_obj(resources, "cpu", W, &o, e)) < 0)
		return r;
	if (r > 0 && (r = parse_cpu(o, &res, e)) < 0)
		return r;
	if ((r = bjson_get_obj(resources, "pids", W, &o, e)) < 0)
		return r;
	if (r > 0) {
		v = 0;
		r = bjson_get_int(o, "limit", W ".pids", INT64_MIN, INT64_MAX, &v, e);
		if (r < 0)
			return r;
		if (v < -1)
			return berr_set(e, -EINVAL,
					"'" W ".pids.limit' must be positive (or -1 for unlimited), got %lld",
					(long long)v);
		res.pids_limit = v;
	}
	if ((r = bjson_get_obj(resources, "blockIO", W, &o, e)) < 0)
		return r;
	if (r > 0) {
		v = 0;
		r = bjson_get_int(o, "weight", W ".blockIO", 0, 65535, &v, e);
		if (r < 0)
			return r;
		if (v != 0 && (v < 10 || v > 1000))
			return berr_set(e, -EINVAL, "'" W ".blockIO.weight' must be between 10 and 1000, got %lld",
					(long long)v);
		res.blkio_weight = (uint16_t)v;
	}
	if ((r = bjson_get_arr(resources, "devices", W, &arr, e)) < 0)
		return r;
	if (r > 0 && (r = parse_devices(arr, &res, e)) < 0)
		return r;
	if ((r = bjson_get_obj(resources, "network", W, &o, e)) < 0 || (r > 0 && (r = cg_net_parse(o, &res, e)) < 0)) {
		rt_cgroup_resources_free(&res);
		return r;
	}
	*ret = res;
	return 0;
}

void rt_cgroup_resources_free(struct rt_cgroup_resources *res)
{
	if (!res)
		return;
	free(res->devices);
	res->devices = NULL;
	res->n_devices = 0;
	free(res->net_prios);
	res->net_prios = NULL;
	res->n_net_prios = 0;
}

void rt_cgroup_resources_warnings(const struct rt_cgroup_resources *res, struct berr *warn)
{
	struct berr w = BERR_INIT;
	struct cg_mounts ms;
	bool v1mem = false;
	char what[128] = "";

	if (res->has_kernel_memory) {
		berr_set(&w, -ENOTSUP,
			 "'" W ".memory.kernel' is not applied: the kernel has no kernel memory limit to set (cgroup "
			 "v2 never had one; v1's memory.kmem.limit_in_bytes was deprecated in Linux 5.4 and later "
			 "kernels ignore it), kernel memory counts against 'memory.limit' instead");
		berr_append(warn, NULL, &w);
	}
	if (!res->has_swappiness && !res->disable_oom_killer && !res->memory_kernel_tcp)
		return;
	if (cg_mounts_read(&ms, NULL) < 0)
		return;
	for (size_t i = 0; i < ms.n; i++)
		v1mem |= ms.m[i].kind == CG_V1 && cg_list_has(ms.m[i].controllers, "memory");
	cg_mounts_free(&ms);
	if (v1mem)
		return;
	snprintf(what, sizeof(what), "%s%s%s%s%s", res->has_swappiness ? "swappiness" : "",
		 res->has_swappiness && (res->disable_oom_killer || res->memory_kernel_tcp) ? ", " : "",
		 res->disable_oom_killer ? "disableOOMKiller" : "",
		 res->disable_oom_killer && res->memory_kernel_tcp ? ", " : "",
		 res->memory_kernel_tcp ? "kernelTCP" : "");
	berr_set(&w, -ENOTSUP,
		 "'" W ".memory' %s not applied: the memory controller is not on a cgroup v1 hierarchy here, and v2 "
		 "has no equivalent",
		 what);
	berr_append(warn, NULL, &w);
}

static const struct rt_cgroup_device_rule default_devices[] = {
	{true, 'c', -1, -1, "m"},			       /* mknod of any node; using it is another matter */
	{true, 'b', -1, -1, "m"},    {true, 'c', 1, 3, "rwm"}, /* null */
	{true, 'c', 1, 5, "rwm"},			       /* zero */
	{true, 'c', 1, 7, "rwm"},			       /* full */
	{true, 'c', 1, 8, "rwm"},			       /* random */
	{true, 'c', 1, 9, "rwm"},			       /* urandom */
	{true, 'c', 5, 0, "rwm"},			       /* tty */
	{true, 'c', 5, 1, "rwm"},			       /* console */
	{true, 'c', 5, 2, "rwm"},			       /* ptmx */
	{true, 'c', 136, -1, "rwm"},			       /* pts */
};

static bool is_deny_all(const struct rt_cgroup_device_rule *d)
{
	return !d->allow && d->type == 'a' && d->major < 0 && d->minor < 0 && strcmp(d->access, "rwm") == 0;
}

int rt_cgroup_resources_add_default_devices(struct rt_cgroup_resources *res, struct berr *e)
{
	size_t nd = ARRAY_SIZE(default_devices), at = 0;
	struct rt_cgroup_device_rule *nv;

	if (!res->has_devices)
		return 0;
	for (size_t i = 0; i < res->n_devices; i++)
		if (is_deny_all(&res->devices[i]))
			at = i + 1;
	nv = calloc(res->n_devices + nd, sizeof(*nv));
	if (!nv)
		return berr_oom(e);
	if (at)
		memcpy(nv, res->devices, at * sizeof(*nv));
	memcpy(nv + at, default_devices, sizeof(default_devices));
	if (res->n_devices > at)
		memcpy(nv + at + nd, res->devices + at, (res->n_devices - at) * sizeof(*nv));
	free(res->devices);
	res->devices = nv;
	res->n_devices += nd;
	res->defaults_at = at;
	res->n_defaults = nd;
	return 0;
}
