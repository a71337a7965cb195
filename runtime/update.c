/* runtime/update.c: berth update, runc's options and -r JSON over the cgroup module's writers. */
#include "runtime/update.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cleanup.h"
#include "fileutil.h"
#include "jsonutil.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/path.h"
#include "runtime/spec.h"
#include "runtime/state.h"
#include "strv.h"

#define RESOURCES_MAX (1u << 20)

static const char usage[] =
	"usage: berth update [options] ID\n"
	"\n"
	"  -r, --resources FILE|-    an OCI LinuxResources JSON (memory, cpu, pids, blockIO); '-' reads stdin;\n"
	"                            the other options are then ignored\n"
	"  --memory N                memory limit (bytes; k, m, g, t, p suffixes; -1 unlimited)\n"
	"  --memory-swap N           memory+swap limit (same forms)\n"
	"  --memory-reservation N    soft limit (same forms)\n"
	"  --kernel-memory N         kernel memory limit (cgroup v1 kernels that still have one)\n"
	"  --cpu-shares N            relative CPU weight (2..262144; runc spells it --cpu-share)\n"
	"  --cpu-quota N             CFS quota in microseconds per period (-1 unlimited)\n"
	"  --cpu-period N            CFS period in microseconds\n"
	"  --cpuset-cpus LIST        CPUs to run on (\"0-3,5\")\n"
	"  --cpuset-mems LIST        memory nodes to use\n"
	"  --pids-limit N            maximum number of processes (-1 unlimited)\n"
	"  --blkio-weight N          block I/O weight (10..1000; needs a CFQ or BFQ scheduler)\n"
	"\n"
	"A value of 0 (or none) leaves the limit as it is.\n";

enum {
	O_MEMORY = 256,
	O_MEMORY_SWAP,
	O_MEMORY_RESERVATION,
	O_KERNEL_MEMORY,
	O_CPU_SHARES,
	O_CPU_QUOTA,
	O_CPU_PERIOD,
	O_CPUSET_CPUS,
	O_CPUSET_MEMS,
	O_PIDS_LIMIT,
	O_BLKIO_WEIGHT,
	O_UNSUPPORTED,
};

static const struct option long_opts[] = {
	{"resources", required_argument, NULL, 'r'},
	{"memory", required_argument, NULL, O_MEMORY},
	{"memory-swap", required_argument, NULL, O_MEMORY_SWAP},
	{"memory-reservation", required_argument, NULL, O_MEMORY_RESERVATION},
	{"kernel-memory", required_argument, NULL, O_KERNEL_MEMORY},
	{"cpu-share", required_argument, NULL, O_CPU_SHARES},
	{"cpu-shares", required_argument, NULL, O_CPU_SHARES},
	{"cpu-quota", required_argument, NULL, O_CPU_QUOTA},
	{"cpu-period", required_argument, NULL, O_CPU_PERIOD},
	{"cpuset-cpus", required_argument, NULL, O_CPUSET_CPUS},
	{"cpuset-mems", required_argument, NULL, O_CPUSET_MEMS},
	{"pids-limit", required_argument, NULL, O_PIDS_LIMIT},
	{"blkio-weight", required_argument, NULL, O_BLKIO_WEIGHT},
	/* runc's, which berth does not apply: refused by name rather than "unknown option" */
	{"cpu-rt-period", required_argument, NULL, O_UNSUPPORTED},
	{"cpu-rt-runtime", required_argument, NULL, O_UNSUPPORTED},
	{"cpu-burst", required_argument, NULL, O_UNSUPPORTED},
	{"cpu-idle", required_argument, NULL, O_UNSUPPORTED},
	{"kernel-memory-tcp", required_argument, NULL, O_UNSUPPORTED},
	{"l3-cache-schema", required_argument, NULL, O_UNSUPPORTED},
	{"mem-bw-schema", required_argument, NULL, O_UNSUPPORTED},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

int rt_parse_mem_size(const char *s, int64_t *ret)
{
	static const char units[] = "kmgtp";
	const char *p = s, *num_end, *sfx;
	uint64_t mul = 1, ip = 0;
	bool frac = false, digits = false;
	size_t sl;

	if (strcmp(s, "-1") == 0) {
		*ret = -1;
		return 0;
	}
	for (; isdigit((unsigned char)*p); p++) {
		if (ip > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		ip = ip * 10 + (uint64_t)(*p - '0');
		digits = true;
	}
	if (*p == '.') {
		frac = true;
		for (p++; isdigit((unsigned char)*p); p++)
			digits = true;
	}
	if (!digits)
		return -EINVAL;
	num_end = p;
	/* one blank may separate the number from its unit: "2 GB" */
	sfx = *p == ' ' ? p + 1 : p;
	sl = strlen(sfx);
	if (*p == ' ' && sl == 0)
		return -EINVAL;
	if (sl > 0) {
		const char *u = strchr(units, tolower((unsigned char)sfx[0]));

		if (sl > 3)
			return -EINVAL;
		if (tolower((unsigned char)sfx[0]) == 'b') {
			if (sl > 1)
				return -EINVAL;
		} else if (!u || !sfx[0]) {
			return -EINVAL;
		} else {
			for (long i = 0; i <= u - units; i++)
				mul *= 1024;
			if ((sl == 2 && tolower((unsigned char)sfx[1]) != 'b') ||
			    (sl == 3 &&
			     (tolower((unsigned char)sfx[1]) != 'i' || tolower((unsigned char)sfx[2]) != 'b')))
				return -EINVAL;
		}
	}
	if (frac) {
		/* as go-units: the number as a float, times the unit, truncated */
		char buf[64];
		long double v;

		if ((size_t)(num_end - s) >= sizeof(buf))
			return -ERANGE;
		memcpy(buf, s, (size_t)(num_end - s));
		buf[num_end - s] = '\0';
		v = strtold(buf, NULL) * (long double)mul;
		if (v >= 9223372036854775807.0L)
			return -ERANGE;
		*ret = (int64_t)v;
		return 0;
	}
	if (ip > (uint64_t)INT64_MAX / mul)
		return -ERANGE;
	*ret = (int64_t)(ip * mul);
	return 0;
}

/* Go's strconv.ParseInt / ParseUint in base 10: no blanks, a sign only where signed. */
static int parse_int(const char *s, bool sign, int64_t *ret)
{
	const char *d = s + ((*s == '-' || *s == '+') && sign);
	char *end;
	long long v;

	if (!isdigit((unsigned char)*d))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end || end == s)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int patch_set(json_t *patch, const char *section, const char *key, json_t *v, struct berr *e)
{
	json_t *o = json_object_get(patch, section);

	if (!v)
		return berr_oom(e);
	if (!o) {
		o = json_object();
		if (bjson_set(patch, section, o) < 0)
			goto fail;
	}
	if (bjson_set(o, key, v) < 0)
		return berr_oom(e);
	return 0;
fail:
	json_decref(v);
	return berr_oom(e);
}

static int set_option(json_t *patch, int id, const char *name, const char *val, struct berr *e)
{
	static const struct {
		int id;
		const char *section, *key;
		char kind; /* 'm' size, 'i' signed, 'u' unsigned, 's' string */
	} map[] = {
		{O_MEMORY, "memory", "limit", 'm'},
		{O_MEMORY_SWAP, "memory", "swap", 'm'},
		{O_MEMORY_RESERVATION, "memory", "reservation", 'm'},
		{O_KERNEL_MEMORY, "memory", "kernel", 'm'},
		{O_CPU_SHARES, "cpu", "shares", 'u'},
		{O_CPU_QUOTA, "cpu", "quota", 'i'},
		{O_CPU_PERIOD, "cpu", "period", 'u'},
		{O_CPUSET_CPUS, "cpu", "cpus", 's'},
		{O_CPUSET_MEMS, "cpu", "mems", 's'},
		{O_PIDS_LIMIT, "pids", "limit", 'i'},
		{O_BLKIO_WEIGHT, "blockIO", "weight", 'i'},
	};

	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		int64_t v = 0;
		int r;

		if (map[i].id != id)
			continue;
		if (map[i].kind == 's')
			return patch_set(patch, map[i].section, map[i].key, json_string(val), e);
		if (map[i].kind == 'm')
			r = rt_parse_mem_size(val, &v);
		else
			r = parse_int(val, map[i].kind == 'i', &v);
		if (r == -ERANGE)
			return berr_set(e, r, "update: --%s: '%s' is out of range", name, val);
		if (r < 0)
			return berr_set(e, r, "update: --%s: invalid value '%s'%s", name, val,
					map[i].kind == 'm' ? " (a size like 1024, 100k, 64m, 1.5g, or -1)" : "");
		return patch_set(patch, map[i].section, map[i].key, json_integer(v), e);
	}
	return berr_set(e, -EINVAL, "update: --%s: not an update option", name);
}

int rt_update_parse_args(char **args, struct rt_update_args *ret, struct berr *e)
{
	struct rt_update_args a = {0};
	int argc = (int)strv_len(args), c, idx = -1, r = 0;
	bool others = false;

	a.patch = json_object();
	if (!a.patch)
		return berr_oom(e);
	/* glibc: 0 starts a new scan; '+' stops at the id; ':' reports a missing value */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long_only(argc, args, "+:r:h", long_opts, &idx)) != -1) {
		const char *name = idx >= 0 ? long_opts[idx].name : NULL;
		char shortname[2] = {(char)optopt, 0};

		if (c == '?') {
			r = berr_set(e, -EINVAL, "update: unknown option '%s'", args[optind - 1]);
			goto fail;
		}
		if (c == ':') {
			r = berr_set(e, -EINVAL, "update: option '%s' needs a value", args[optind - 1]);
			goto fail;
		}
		if (c == 'h') {
			a.help = true;
		} else if (c == 'r') {
			a.resources_file = optarg;
		} else if (c == O_UNSUPPORTED) {
			r = berr_set(e, -ENOTSUP, "update: --%s is not supported by berth", name ? name : shortname);
			goto fail;
		} else {
			r = set_option(a.patch, c, name, optarg, e);
			if (r < 0)
				goto fail;
			others = true;
		}
		idx = -1;
	}
	if (a.help) {
		*ret = a;
		return 0;
	}
	if (optind >= argc) {
		r = berr_set(e, -EINVAL, "update: missing container id");
		goto fail;
	}
	a.id = args[optind++];
	if (optind < argc) {
		r = berr_set(e, -EINVAL, "update: unexpected argument '%s' (options go before the container id)",
			     args[optind]);
		goto fail;
	}
	a.ignored = a.resources_file && others;
	*ret = a;
	return 0;
fail:
	rt_update_args_clear(&a);
	return r;
}

void rt_update_args_clear(struct rt_update_args *a)
{
	json_decref(a->patch);
	memset(a, 0, sizeof(*a));
}

/* ---- merging */

static const char *const sections[] = {"memory", "cpu", "pids", "blockIO"};

/* What update applies; a value of 0 or "" leaves the container's as it is. */
static const struct {
	const char *section, *key;
	bool str;
} applied[] = {
	{"memory", "limit", false},   {"memory", "reservation", false},
	{"memory", "swap", false},    {"memory", "kernel", false},
	{"cpu", "shares", false},     {"cpu", "quota", false},
	{"cpu", "period", false},     {"cpu", "cpus", true},
	{"cpu", "mems", true},	      {"pids", "limit", false},
	{"blockIO", "weight", false},
};

/* runc's own knob (check usage before lowering memory.max): nothing to set, nothing to warn about */
static const char *const silent[] = {"checkBeforeUpdate"};

static bool is_empty(const json_t *v)
{
	return !v || json_is_null(v) || json_is_false(v) || (json_is_integer(v) && json_integer_value(v) == 0) ||
	       (json_is_string(v) && !json_string_value(v)[0]) || (json_is_array(v) && !json_array_size(v)) ||
	       (json_is_object(v) && !json_object_size(v));
}

static void warn_ignored(struct berr *warn, const char *what)
{
	struct berr w = BERR_INIT;

	berr_set(&w, -ENOTSUP, "'%s' is not applied by berth update (ignored)", what);
	berr_append(warn, NULL, &w);
}

static int merge_key(json_t *dst, const char *section, const char *key, const json_t *v, struct berr *warn,
		     struct berr *e)
{
	char where[64];
	json_t *o;

	snprintf(where, sizeof(where), "resources.%s", section);
	for (size_t i = 0; i < ARRAY_SIZE(applied); i++) {
		const char *s = NULL;
		int64_t n = 0;

		if (strcmp(applied[i].section, section) != 0 || strcmp(applied[i].key, key) != 0)
			continue;
		if (json_is_null(v))
			return 0;
		if (applied[i].str) {
			if (!json_is_string(v))
				return berr_set(e, -EINVAL, "'%s.%s' must be a string", where, key);
			s = json_string_value(v);
			if (!*s)
				return 0;
		} else {
			if (!json_is_integer(v))
				return berr_set(e, -EINVAL, "'%s.%s' must be an integer", where, key);
			n = json_integer_value(v);
			if (n == 0)
				return 0;
		}
		o = json_object_get(dst, section);
		if (!json_is_object(o)) {
			o = json_object();
			if (bjson_set(dst, section, o) < 0)
				return berr_oom(e);
		}
		if (bjson_set(o, key, json_deep_copy(v)) < 0)
			return berr_oom(e);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(silent); i++)
		if (strcmp(key, silent[i]) == 0)
			return 0;
	if (!is_empty(v)) {
		char what[96];

		snprintf(what, sizeof(what), "%s.%s", section, key);
		warn_ignored(warn, what);
	}
	return 0;
}

int rt_update_merge(const json_t *old, const json_t *patch, json_t **ret, int64_t *ret_kernel, struct berr *warn,
		    struct berr *e)
{
	_cleanup_json_ json_t *m = NULL;
	const json_t *v, *mem;
	const char *key;
	int r;

	*ret_kernel = 0;
	if (!json_is_object(patch))
		return berr_set(e, -EINVAL, "the resources to update must be a JSON object");
	m = json_is_object(old) ? json_deep_copy(old) : json_object();
	if (!m)
		return berr_oom(e);
	json_object_foreach ((json_t *)patch, key, v) {
		bool known = false;
		const char *sub;
		const json_t *sv;

		for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
			known = known || strcmp(key, sections[i]) == 0;
		if (!known) {
			if (!is_empty(v))
				warn_ignored(warn, key);
			continue;
		}
		if (json_is_null(v))
			continue;
		if (!json_is_object(v))
			return berr_set(e, -EINVAL, "'resources.%s' must be an object", key);
		json_object_foreach ((json_t *)v, sub, sv) {
			r = merge_key(m, key, sub, sv, warn, e);
			if (r < 0)
				return r;
		}
	}
	mem = json_object_get(patch, "memory");
	if (json_is_integer(json_object_get(mem, "limit")) && json_integer_value(json_object_get(mem, "limit")) == -1 &&
	    is_empty(json_object_get(mem, "swap")))
		json_object_del(json_object_get(m, "memory"), "swap");
	if (json_is_integer(json_object_get(mem, "kernel")))
		*ret_kernel = json_integer_value(json_object_get(mem, "kernel"));
	*ret = TAKE_PTR(m);
	return 0;
}

/* ---- applying */

int rt_update(const char *root, const char *id, const json_t *patch, struct berr *warn, struct berr *e)
{
	_cleanup_state_ struct rt_state *st = NULL;
	_cleanup_json_ json_t *cfg = NULL, *merged = NULL;
	_cleanup_free_ char *path = NULL, *text = NULL;
	struct rt_cgroup_resources res;
	struct rt_cgroup *cg = NULL;
	json_t *lnx;
	int64_t kernel = 0;
	int r;

	r = rt_state_open(root, id, true, &st, e);
	if (r < 0)
		return r;
	if (!st->json)
		return berr_set(e, -EBUSY, "container '%s' is still being created", id);
	if (rt_state_status(st) == RT_STATUS_STOPPED)
		return berr_set(e, -ESRCH, "container '%s' is not running", id);
	path = rt_path_join(st->dir, "config.json");
	if (!path)
		return berr_oom(e);
	r = bjson_load_file(path, RT_CONFIG_MAX_SIZE, &cfg, e);
	if (r < 0)
		return r;
	lnx = json_object_get(cfg, "linux");
	if (!json_is_object(lnx)) {
		lnx = json_object();
		if (bjson_set(cfg, "linux", lnx) < 0)
			return berr_oom(e);
	}
	r = rt_update_merge(json_object_get(lnx, "resources"), patch, &merged, &kernel, warn, e);
	if (r < 0)
		return r;
	/* the result is checked as create checks a config: ranges, swap against limit */
	r = rt_cgroup_resources_parse(merged, &res, e);
	if (r < 0)
		return berr_wrap(e, r, "update");
	r = rt_state_cgroup(st, &cg, e);
	if (r == 0 && !cg)
		r = berr_set(e, -ENOENT, "container '%s' has no cgroup", id);
	if (r == 0)
		r = rt_cgroup_update(cg, &res, kernel, e);
	rt_cgroup_resources_free(&res);
	rt_cgroup_free(cg);
	if (r < 0)
		return r;
	if (bjson_set(lnx, "resources", TAKE_PTR(merged)) < 0 || !(text = json_dumps(cfg, JSON_COMPACT)))
		return berr_oom(e);
	r = bfile_write_atomic(path, text, strlen(text), 0600, 0, e);
	return r < 0 ? berr_wrap(e, r, "record the new limits") : 0;
}

static int load_resources(const char *file, json_t **ret, struct berr *e)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	if (strcmp(file, "-") == 0) {
		r = bfd_read_all(STDIN_FILENO, RESOURCES_MAX, &buf, &len);
		if (r < 0)
			return berr_sys(e, r, "-r -: read stdin");
	} else {
		r = bfile_read_all(file, RESOURCES_MAX, &buf, &len, e);
		if (r < 0)
			return berr_wrap(e, r, "-r");
	}
	r = bjson_parse(buf, len, ret, e);
	if (r < 0)
		return berr_wrap(e, r, "-r %s", file);
	if (!json_is_object(*ret)) {
		json_decref(*ret);
		*ret = NULL;
		return berr_set(e, -EINVAL, "-r %s: the resources must be a JSON object", file);
	}
	return 0;
}

int rt_update_main(const char *root, char **args, FILE *out, struct berr *warn, struct berr *e)
{
	struct rt_update_args a;
	_cleanup_json_ json_t *from_file = NULL;
	int r;

	r = rt_update_parse_args(args, &a, e);
	if (r < 0)
		return r;
	if (a.help) {
		fputs(usage, out);
		rt_update_args_clear(&a);
		return 0;
	}
	if (a.resources_file) {
		r = load_resources(a.resources_file, &from_file, e);
		if (r == 0 && a.ignored) {
			struct berr w = BERR_INIT;

			berr_set(&w, -EINVAL, "options other than -r are ignored with -r (as runc does)");
			berr_append(warn, NULL, &w);
		}
	}
	if (r == 0)
		r = rt_update(root, a.id, from_file ? from_file : a.patch, warn, e);
	rt_update_args_clear(&a);
	return r;
}
