/*
 * Resource usage of a container's cgroup, read the way runc's libcontainer
 * (cgroups/fs for v1, cgroups/fs2 for v2) reads it, and OOM notification.
 */
#include "runtime/cgroup/cgroup_stats.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "array.h"
#include "cleanup.h"
#include "fileutil.h"
#include "runtime/cgroup/cgroup_internal.h"

#define STAT_FILE_MAX (1u << 20)
#define LIST_MAX 65536

static int read_text(const char *dir, const char *file, char **ret)
{
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
		return -ENAMETOOLONG;
	return bfile_read_all(path, STAT_FILE_MAX, ret, NULL, NULL);
}

/* As runc's ParseUint for cgroup files: "max" is unlimited, a negative number 0. */
static int parse_u64(const char *s, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	if (strncmp(s, "max", 3) == 0 && (s[3] == '\0' || isspace((unsigned char)s[3]))) {
		*ret = RT_STAT_MAX;
		return 0;
	}
	if (*s == '-') {
		if (!isdigit((unsigned char)s[1]))
			return -EBADMSG;
		*ret = 0;
		return 0;
	}
	if (!isdigit((unsigned char)*s))
		return -EBADMSG;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EBADMSG;
	*ret = v;
	return 0;
}

/* dir/file as one number; *ret is left alone when the file is missing or unreadable. */
static int get_u64(const char *dir, const char *file, uint64_t *ret)
{
	char buf[64];
	int r = cg_read(dir, file, buf, sizeof(buf), NULL);

	return r < 0 ? r : parse_u64(buf, ret);
}

/*
 * Call fn for each "key value..." line of text (the rest after the first
 * blank is handed over as it is); stops at fn's first error.
 */
static int each_line(char *text, int (*fn)(char *key, char *rest, void *ctx), void *ctx)
{
	for (char *line = text, *next; line && *line; line = next) {
		char *sp;
		int r;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		sp = strpbrk(line, " \t");
		if (!sp)
			continue;
		*sp++ = '\0';
		r = fn(line, sp, ctx);
		if (r < 0)
			return r;
	}
	return 0;
}

struct key_want {
	const char *key;
	uint64_t *dst;
	uint64_t mul;
};

static int want_key(char *key, char *rest, void *ctx)
{
	for (struct key_want *w = ctx; w->key; w++) {
		uint64_t v;

		if (strcmp(key, w->key) == 0 && parse_u64(rest, &v) == 0)
			*w->dst = w->mul && v <= UINT64_MAX / w->mul ? v * w->mul : v;
	}
	return 0;
}

/* Read the flat-keyed file and fill the wanted keys ({NULL} terminated; mul 0 or 1: as is). */
static int get_keys(const char *dir, const char *file, struct key_want *want)
{
	_cleanup_free_ char *text = NULL;
	int r = read_text(dir, file, &text);

	return r < 0 ? r : each_line(text, want_key, want);
}

int cg_parse_list(const char *s, uint16_t **ret, size_t *ret_n)
{
	uint16_t *v = NULL;
	size_t n = 0, cap = 0;
	const char *p = s;

	while (*p == ' ' || *p == '\n')
		p++;
	while (*p && *p != '\n') {
		unsigned long a, b;
		char *end;

		if (!isdigit((unsigned char)*p))
			goto fail;
		a = b = strtoul(p, &end, 10);
		p = end;
		if (*p == '-') {
			if (!isdigit((unsigned char)p[1]))
				goto fail;
			b = strtoul(p + 1, &end, 10);
			p = end;
		}
		if (b < a || b >= LIST_MAX || n + (b - a + 1) > LIST_MAX)
			goto fail;
		if (BARRAY_RESERVE(v, cap, n + (b - a + 1)) < 0) {
			free(v);
			return -ENOMEM;
		}
		for (unsigned long i = a; i <= b; i++)
			v[n++] = (uint16_t)i;
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			goto fail;
	}
	*ret = v;
	*ret_n = n;
	return 0;
fail:
	free(v);
	return -EBADMSG;
}

/* Space-separated numbers (cpuacct.usage_percpu) into a new array. */
static int parse_numbers(const char *s, uint64_t **ret, size_t *ret_n)
{
	uint64_t *v = NULL;
	size_t n = 0, cap = 0;

	for (const char *p = s;;) {
		char *end;
		unsigned long long x;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		x = strtoull(p, &end, 10);
		if (end == p) {
			free(v);
			return -EBADMSG;
		}
		if (BARRAY_RESERVE(v, cap, n + 1) < 0) {
			free(v);
			return -ENOMEM;
		}
		v[n++] = x;
		p = end;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* ---- cpu */

static int v1_cpuacct(const char *dir, struct rt_cgroup_stats *s)
{
	_cleanup_free_ char *text = NULL;
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t user = 0, sys = 0;
	int r;

	(void)get_u64(dir, "cpuacct.usage", &s->cpu.total);
	if (read_text(dir, "cpuacct.usage_percpu", &text) == 0) {
		r = parse_numbers(text, &s->cpu.percpu, &s->cpu.n_percpu);
		if (r == -ENOMEM)
			return r;
	}
	/* user and system in clock ticks */
	if (get_keys(dir, "cpuacct.stat", (struct key_want[]){{"user", &user, 0}, {"system", &sys, 0}, {NULL}}) == 0) {
		if (hz <= 0)
			hz = 100;
		s->cpu.user = user * (1000000000ull / (uint64_t)hz);
		s->cpu.kernel = sys * (1000000000ull / (uint64_t)hz);
	}
	free(text);
	text = NULL;
	/* "cpu user system" then one line per cpu */
	if (read_text(dir, "cpuacct.usage_all", &text) == 0) {
		size_t cap_u = 0, cap_k = 0;
		char *line = strchr(text, '\n');

		while (line && *++line) {
			unsigned long long cpu, u, k;
			int used = 0;

			if (sscanf(line, "%llu %llu %llu%n", &cpu, &u, &k, &used) != 3)
				break;
			if (BARRAY_RESERVE(s->cpu.percpu_user, cap_u, s->cpu.n_percpu_user + 1) < 0 ||
			    BARRAY_RESERVE(s->cpu.percpu_kernel, cap_k, s->cpu.n_percpu_kernel + 1) < 0)
				return -ENOMEM;
			s->cpu.percpu_user[s->cpu.n_percpu_user++] = u;
			s->cpu.percpu_kernel[s->cpu.n_percpu_kernel++] = k;
			line = strchr(line + used, '\n');
		}
	}
	return 0;
}

static int v1_cpu(const char *dir, struct rt_cgroup_stats *s)
{
	(void)get_keys(dir, "cpu.stat",
		       (struct key_want[]){{"nr_periods", &s->cpu.periods, 0},
					   {"nr_throttled", &s->cpu.throttled_periods, 0},
					   {"throttled_time", &s->cpu.throttled_time, 0},
					   {NULL}});
	return 0;
}

/* v2's cpu.stat has the usage in every cgroup, the throttling where the cpu controller is enabled. */
static int v2_cpu_usage(const char *dir, struct rt_cgroup_stats *s)
{
	(void)get_keys(dir, "cpu.stat",
		       (struct key_want[]){{"usage_usec", &s->cpu.total, 1000},
					   {"user_usec", &s->cpu.user, 1000},
					   {"system_usec", &s->cpu.kernel, 1000},
					   {NULL}});
	return 0;
}

static int v2_cpu_throttling(const char *dir, struct rt_cgroup_stats *s)
{
	(void)get_keys(dir, "cpu.stat",
		       (struct key_want[]){{"nr_periods", &s->cpu.periods, 0},
					   {"nr_throttled", &s->cpu.throttled_periods, 0},
					   {"throttled_usec", &s->cpu.throttled_time, 1000},
					   {NULL}});
	return 0;
}

/* ---- cpuset */

static int get_list(const char *dir, const char *file, uint16_t **ret, size_t *ret_n)
{
	char buf[4096];
	int r = cg_read(dir, file, buf, sizeof(buf), NULL);

	if (r < 0 || !buf[0])
		return 0;
	free(*ret);
	*ret = NULL;
	*ret_n = 0;
	r = cg_parse_list(buf, ret, ret_n);
	return r == -ENOMEM ? r : 0;
}

static int v1_cpuset(const char *dir, struct rt_cgroup_stats *s)
{
	static const struct {
		const char *file;
		size_t off;
	} flags[] = {
		{"cpuset.cpu_exclusive", offsetof(struct rt_cgroup_stats, cpuset.cpu_exclusive)},
		{"cpuset.mem_hardwall", offsetof(struct rt_cgroup_stats, cpuset.mem_hardwall)},
		{"cpuset.mem_exclusive", offsetof(struct rt_cgroup_stats, cpuset.mem_exclusive)},
		{"cpuset.memory_migrate", offsetof(struct rt_cgroup_stats, cpuset.memory_migrate)},
		{"cpuset.memory_spread_page", offsetof(struct rt_cgroup_stats, cpuset.memory_spread_page)},
		{"cpuset.memory_spread_slab", offsetof(struct rt_cgroup_stats, cpuset.memory_spread_slab)},
		{"cpuset.memory_pressure", offsetof(struct rt_cgroup_stats, cpuset.memory_pressure)},
		{"cpuset.sched_load_balance", offsetof(struct rt_cgroup_stats, cpuset.sched_load_balance)},
	};
	char buf[32];
	int r;

	if ((r = get_list(dir, "cpuset.cpus", &s->cpuset.cpus, &s->cpuset.n_cpus)) < 0 ||
	    (r = get_list(dir, "cpuset.mems", &s->cpuset.mems, &s->cpuset.n_mems)) < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
		(void)get_u64(dir, flags[i].file, (uint64_t *)(void *)((char *)s + flags[i].off));
	if (cg_read(dir, "cpuset.sched_relax_domain_level", buf, sizeof(buf), NULL) == 0)
		s->cpuset.sched_relax_domain_level = strtoll(buf, NULL, 10);
	return 0;
}

static int v2_cpuset(const char *dir, struct rt_cgroup_stats *s)
{
	int r = get_list(dir, "cpuset.cpus.effective", &s->cpuset.cpus, &s->cpuset.n_cpus);

	return r < 0 ? r : get_list(dir, "cpuset.mems.effective", &s->cpuset.mems, &s->cpuset.n_mems);
}

/* ---- memory */

struct raw_ctx {
	struct rt_cgroup_stats *s;
	size_t cap;
};

static int add_raw(char *key, char *rest, void *ctx)
{
	struct raw_ctx *c = ctx;
	struct rt_cgroup_stats *s = c->s;
	uint64_t v;

	if (parse_u64(rest, &v) < 0)
		return 0;
	if (BARRAY_RESERVE(s->memory.raw, c->cap, s->memory.n_raw + 1) < 0)
		return -ENOMEM;
	s->memory.raw[s->memory.n_raw].key = strdup(key);
	if (!s->memory.raw[s->memory.n_raw].key)
		return -ENOMEM;
	s->memory.raw[s->memory.n_raw++].value = v;
	return 0;
}

static int cmp_kv(const void *a, const void *b)
{
	return strcmp(((const struct rt_stat_kv *)a)->key, ((const struct rt_stat_kv *)b)->key);
}

static int read_raw(const char *dir, struct rt_cgroup_stats *s)
{
	_cleanup_free_ char *text = NULL;
	struct raw_ctx c = {s, 0};
	int r = read_text(dir, "memory.stat", &text);

	if (r < 0)
		return r == -ENOMEM ? r : 0;
	r = each_line(text, add_raw, &c);
	if (r < 0)
		return r;
	if (s->memory.n_raw)
		qsort(s->memory.raw, s->memory.n_raw, sizeof(*s->memory.raw), cmp_kv);
	return 0;
}

static uint64_t raw_value(const struct rt_cgroup_stats *s, const char *key)
{
	for (size_t i = 0; i < s->memory.n_raw; i++)
		if (strcmp(s->memory.raw[i].key, key) == 0)
			return s->memory.raw[i].value;
	return 0;
}

/* One v1 MemoryData: memory.<name>.{usage_in_bytes,max_usage_in_bytes,failcnt,limit_in_bytes}. */
static void v1_mem_entry(const char *dir, const char *name, struct rt_stat_mem *m)
{
	static const char *const files[] = {"usage_in_bytes", "max_usage_in_bytes", "failcnt", "limit_in_bytes"};
	uint64_t *dst[] = {&m->usage, &m->max, &m->failcnt, &m->limit};

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char file[64];

		snprintf(file, sizeof(file), "memory.%s%s%s", name, name[0] ? "." : "", files[i]);
		(void)get_u64(dir, file, dst[i]);
	}
}

static int v1_memory(const char *dir, struct rt_cgroup_stats *s)
{
	int r = read_raw(dir, s);

	if (r < 0)
		return r;
	s->memory.cache = raw_value(s, "cache");
	v1_mem_entry(dir, "", &s->memory.usage);
	v1_mem_entry(dir, "memsw", &s->memory.swap);
	v1_mem_entry(dir, "kmem", &s->memory.kernel);
	v1_mem_entry(dir, "kmem.tcp", &s->memory.kernel_tcp);
	return 0;
}

static int v2_memory(const char *dir, struct rt_cgroup_stats *s)
{
	struct rt_stat_mem *u = &s->memory.usage, *sw = &s->memory.swap;
	int r;

	/* no memory.current: the controller is not enabled for this cgroup */
	if (get_u64(dir, "memory.current", &u->usage) < 0)
		return 0;
	r = read_raw(dir, s);
	if (r < 0)
		return r;
	s->memory.cache = raw_value(s, "file");
	(void)get_u64(dir, "memory.max", &u->limit);
	(void)get_u64(dir, "memory.peak", &u->max);
	(void)cg_read_key(dir, "memory.events", "max", &u->failcnt);
	/* as v1 counts it: memory+swap */
	if (get_u64(dir, "memory.swap.current", &sw->usage) == 0) {
		sw->usage += u->usage;
		(void)get_u64(dir, "memory.swap.max", &sw->limit);
		if (sw->limit != RT_STAT_MAX)
			sw->limit = u->limit > RT_STAT_MAX - sw->limit ? RT_STAT_MAX : sw->limit + u->limit;
	}
	return 0;
}

/* ---- pids */

static int v1_pids(const char *dir, struct rt_cgroup_stats *s)
{
	(void)get_u64(dir, "pids.current", &s->pids.current);
	if (get_u64(dir, "pids.max", &s->pids.limit) == 0 && s->pids.limit == RT_STAT_MAX)
		s->pids.limit = 0;
	return 0;
}

static int count_procs(const char *dir, struct rt_cgroup_stats *s)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	int r = cg_pids_tree(dir, &pids, &n, NULL);

	if (r == -ENOMEM)
		return r;
	s->pids.current = n;
	return 0;
}

/* Without the pids controller (runc's statPidsWithoutController): the processes listed. */
static int v2_pids(const char *dir, struct rt_cgroup_stats *s)
{
	if (!cg_has_file(dir, "pids.current"))
		return count_procs(dir, s);
	return v1_pids(dir, s);
}

/* ---- blkio / io */

static int add_blkio(struct rt_cgroup_stats *s, enum rt_stat_blkio_table t, uint64_t major, uint64_t minor,
		     const char *op, uint64_t value)
{
	struct rt_stat_blkio_entry *nv;

	if (BARRAY_RESERVE(s->blkio[t].v, s->blkio[t].cap, s->blkio[t].n + 1) < 0)
		return -ENOMEM;
	nv = s->blkio[t].v;
	nv[s->blkio[t].n].major = major;
	nv[s->blkio[t].n].minor = minor;
	snprintf(nv[s->blkio[t].n].op, sizeof(nv[0].op), "%s", op);
	nv[s->blkio[t].n++].value = value;
	return 0;
}

/* "8:0 Read 1282048" or "8:0 6792"; a lone "Total N" line is skipped. 0: the file is missing or empty. */
static int v1_blkio_file(const char *dir, const char *file, struct rt_cgroup_stats *s, enum rt_stat_blkio_table t)
{
	_cleanup_free_ char *text = NULL;
	int r = read_text(dir, file, &text), n = 0;

	if (r < 0)
		return r == -ENOMEM ? r : 0;
	for (char *line = text, *next; line && *line; line = next) {
		unsigned long long maj, min, v;
		char op[16];

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (sscanf(line, "%llu:%llu %15s %llu", &maj, &min, op, &v) == 4)
			r = add_blkio(s, t, maj, min, op, v);
		else if (sscanf(line, "%llu:%llu %llu", &maj, &min, &v) == 3)
			r = add_blkio(s, t, maj, min, "", v);
		else
			continue;
		if (r < 0)
			return r;
		n++;
	}
	return n;
}

/*
 * runc's order: the first group whose first file has entries is used (BFQ
 * debug, BFQ, CFQ, the throttle policy's recursive files, its plain ones).
 */
static int v1_blkio(const char *dir, struct rt_cgroup_stats *s)
{
	static const struct {
		const char *file;
		enum rt_stat_blkio_table t;
	} groups[][8] = {
		{{"blkio.bfq.sectors_recursive", RT_BLKIO_SECTORS},
		 {"blkio.bfq.io_service_time_recursive", RT_BLKIO_SERVICE_TIME},
		 {"blkio.bfq.io_wait_time_recursive", RT_BLKIO_WAIT_TIME},
		 {"blkio.bfq.io_merged_recursive", RT_BLKIO_MERGED},
		 {"blkio.bfq.io_queued_recursive", RT_BLKIO_QUEUED},
		 {"blkio.bfq.time_recursive", RT_BLKIO_TIME},
		 {"blkio.bfq.io_serviced_recursive", RT_BLKIO_SERVICED},
		 {"blkio.bfq.io_service_bytes_recursive", RT_BLKIO_SERVICE_BYTES}},
		{{"blkio.bfq.io_serviced_recursive", RT_BLKIO_SERVICED},
		 {"blkio.bfq.io_service_bytes_recursive", RT_BLKIO_SERVICE_BYTES}},
		{{"blkio.sectors_recursive", RT_BLKIO_SECTORS},
		 {"blkio.io_service_time_recursive", RT_BLKIO_SERVICE_TIME},
		 {"blkio.io_wait_time_recursive", RT_BLKIO_WAIT_TIME},
		 {"blkio.io_merged_recursive", RT_BLKIO_MERGED},
		 {"blkio.io_queued_recursive", RT_BLKIO_QUEUED},
		 {"blkio.time_recursive", RT_BLKIO_TIME},
		 {"blkio.io_serviced_recursive", RT_BLKIO_SERVICED},
		 {"blkio.io_service_bytes_recursive", RT_BLKIO_SERVICE_BYTES}},
		{{"blkio.throttle.io_serviced_recursive", RT_BLKIO_SERVICED},
		 {"blkio.throttle.io_service_bytes_recursive", RT_BLKIO_SERVICE_BYTES}},
		{{"blkio.throttle.io_serviced", RT_BLKIO_SERVICED},
		 {"blkio.throttle.io_service_bytes", RT_BLKIO_SERVICE_BYTES}},
	};

	for (size_t g = 0; g < ARRAY_SIZE(groups); g++) {
		int r = v1_blkio_file(dir, groups[g][0].file, s, groups[g][0].t);

		if (r < 0)
			return r;
		if (r == 0)
			continue;
		for (size_t i = 1; i < ARRAY_SIZE(groups[g]) && groups[g][i].file; i++) {
			r = v1_blkio_file(dir, groups[g][i].file, s, groups[g][i].t);
			if (r < 0)
				return r;
		}
		return 0;
	}
	return 0;
}

/* io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0", mapped onto the v1 tables as runc does. */
static int v2_io(const char *dir, struct rt_cgroup_stats *s)
{
	static const struct {
		const char *key, *op;
		enum rt_stat_blkio_table t;
	} map[] = {
		{"rbytes", "Read", RT_BLKIO_SERVICE_BYTES},
		{"wbytes", "Write", RT_BLKIO_SERVICE_BYTES},
		{"rios", "Read", RT_BLKIO_SERVICED},
		{"wios", "Write", RT_BLKIO_SERVICED},
	};
	_cleanup_free_ char *text = NULL;
	int r = read_text(dir, "io.stat", &text);

	if (r < 0)
		return r == -ENOMEM ? r : 0;
	for (char *line = text, *next; line && *line; line = next) {
		unsigned long long maj, min;
		char *save = NULL, *tok;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (sscanf(line, "%llu:%llu", &maj, &min) != 2)
			continue;
		strtok_r(line, " ", &save);
		while ((tok = strtok_r(NULL, " ", &save))) {
			char *eq = strchr(tok, '=');
			uint64_t v;

			if (!eq)
				continue;
			*eq = '\0';
			for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
				if (strcmp(tok, map[i].key) != 0 || parse_u64(eq + 1, &v) < 0)
					continue;
				r = add_blkio(s, map[i].t, maj, min, map[i].op, v);
				if (r < 0)
					return r;
			}
		}
	}
	return 0;
}

/* ---- hugetlb: one set of files per page size the kernel supports ("hugetlb.2MB.*") */

static int cmp_hugetlb(const void *a, const void *b)
{
	return strcmp(((const struct rt_stat_hugetlb *)a)->size, ((const struct rt_stat_hugetlb *)b)->size);
}

static int hugetlb(const char *dir, bool v2, struct rt_cgroup_stats *s)
{
	const char *suffix = v2 ? ".current" : ".usage_in_bytes";
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t cap = 0;
	int r = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name), sl = strlen(suffix);
		struct rt_stat_hugetlb *h;
		char file[PATH_MAX];

		/* v2 also has hugetlb.<size>.rsvd.current */
		if (strncmp(de->d_name, "hugetlb.", 8) != 0 || len <= 8 + sl ||
		    strcmp(de->d_name + len - sl, suffix) != 0 || len - 8 - sl >= sizeof(h->size) ||
		    memchr(de->d_name + 8, '.', len - 8 - sl))
			continue;
		if (BARRAY_RESERVE(s->hugetlb, cap, s->n_hugetlb + 1) < 0) {
			r = -ENOMEM;
			break;
		}
		h = &s->hugetlb[s->n_hugetlb++];
		memset(h, 0, sizeof(*h));
		memcpy(h->size, de->d_name + 8, len - 8 - sl);
		(void)get_u64(dir, de->d_name, &h->usage);
		if (v2) {
			snprintf(file, sizeof(file), "hugetlb.%s.events", h->size);
			(void)cg_read_key(dir, file, "max", &h->failcnt);
		} else {
			snprintf(file, sizeof(file), "hugetlb.%s.max_usage_in_bytes", h->size);
			(void)get_u64(dir, file, &h->max);
			snprintf(file, sizeof(file), "hugetlb.%s.failcnt", h->size);
			(void)get_u64(dir, file, &h->failcnt);
		}
	}
	closedir(d);
	if (s->n_hugetlb)
		qsort(s->hugetlb, s->n_hugetlb, sizeof(*s->hugetlb), cmp_hugetlb);
	return r;
}

static int v1_hugetlb(const char *dir, struct rt_cgroup_stats *s)
{
	return hugetlb(dir, false, s);
}

static int v2_hugetlb(const char *dir, struct rt_cgroup_stats *s)
{
	return hugetlb(dir, true, s);
}

/* ---- the whole set */

static const struct {
	const char *controller; /* v1 name */
	int (*v1)(const char *dir, struct rt_cgroup_stats *s);
	int (*v2)(const char *dir, struct rt_cgroup_stats *s);
} readers[] = {
	{"cpuacct", v1_cpuacct, v2_cpu_usage}, {"cpu", v1_cpu, v2_cpu_throttling}, {"cpuset", v1_cpuset, v2_cpuset},
	{"memory", v1_memory, v2_memory},      {"pids", v1_pids, v2_pids},	   {"blkio", v1_blkio, v2_io},
	{"hugetlb", v1_hugetlb, v2_hugetlb},
};

int cg_stats_read(enum cg_kind kind, const char *controller, const char *dir, struct rt_cgroup_stats *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(readers); i++)
		if (strcmp(readers[i].controller, controller) == 0)
			return kind == CG_V1 ? readers[i].v1(dir, s) : readers[i].v2(dir, s);
	return -EINVAL;
}

void rt_cgroup_stats_free(struct rt_cgroup_stats *s)
{
	if (!s)
		return;
	free(s->cpu.percpu);
	free(s->cpu.percpu_kernel);
	free(s->cpu.percpu_user);
	free(s->cpuset.cpus);
	free(s->cpuset.mems);
	for (size_t i = 0; i < s->memory.n_raw; i++)
		free(s->memory.raw[i].key);
	free(s->memory.raw);
	for (size_t t = 0; t < RT_BLKIO_N; t++)
		free(s->blkio[t].v);
	free(s->hugetlb);
	memset(s, 0, sizeof(*s));
}

static const struct cg_hier *find_hier(const struct rt_cgroup *cg, enum cg_kind kind, const char *controller)
{
	for (size_t i = 0; i < cg->n; i++)
		if (cg->h[i].kind == kind && (kind == CG_V2 || cg_list_has(cg->h[i].controllers, controller)))
			return &cg->h[i];
	return NULL;
}

int rt_cgroup_stats(const struct rt_cgroup *cg, struct rt_cgroup_stats *ret, struct berr *e)
{
	const struct cg_hier *v2 = find_hier(cg, CG_V2, NULL);
	struct rt_cgroup_stats s;
	bool pids_read = false;
	int r;

	memset(&s, 0, sizeof(s));
	for (size_t i = 0; i < cg->n; i++)
		if (access(cg->h[i].dir, F_OK) < 0)
			return berr_errno(e, "the container's cgroup %s", cg->h[i].dir);
	for (size_t i = 0; i < ARRAY_SIZE(readers); i++) {
		const struct cg_hier *h = find_hier(cg, CG_V1, readers[i].controller);

		if (h)
			r = readers[i].v1(h->dir, &s);
		else if (v2)
			r = readers[i].v2(v2->dir, &s);
		else
			continue;
		if (r < 0) {
			rt_cgroup_stats_free(&s);
			return r == -ENOMEM ? berr_oom(e)
					    : berr_sys(e, r, "cgroup statistics (%s)", readers[i].controller);
		}
		pids_read = pids_read || strcmp(readers[i].controller, "pids") == 0;
	}
	/* v1 without a pids hierarchy: at least the processes there are */
	if (!pids_read && cg->n && (r = count_procs(cg->h[0].dir, &s)) < 0) {
		rt_cgroup_stats_free(&s);
		return berr_oom(e);
	}
	*ret = s;
	return 0;
}

/* ---- OOM */

int rt_cgroup_oom_count(const struct rt_cgroup *cg, uint64_t *ret)
{
	const struct cg_hier *h = find_hier(cg, CG_V1, "memory");

	*ret = 0;
	/* v1 counts a kill in the memcg that hit its limit, which may be a nested one */
	if (h)
		*ret = cg_sum_key_tree(h->dir, "memory.oom_control", "oom_kill");
	else if ((h = find_hier(cg, CG_V2, NULL)))
		(void)cg_read_key(h->dir, "memory.events", "oom_kill", ret);
	return 0;
}

int rt_cgroup_oom_watch(const struct rt_cgroup *cg, struct rt_cgroup_oom_watch *ret, struct berr *e)
{
	const struct cg_hier *h = find_hier(cg, CG_V1, "memory");
	char path[PATH_MAX], buf[64];
	_cleanup_close_ int fd = -1, keep = -1;
	int r;

	ret->fd = ret->keep_fd = -1;
	if (!h) {
		h = find_hier(cg, CG_V2, NULL);
		if (!h || !cg_has_file(h->dir, "memory.events"))
			return berr_set(e, -ENOENT, "the container's cgroup has no memory controller");
		snprintf(path, sizeof(path), "%s/memory.events", h->dir);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return berr_errno(e, "open %s", path);
		ret->events = POLLPRI;
		ret->fd = TAKE_FD(fd);
		rt_cgroup_oom_watch_rearm(ret);
		return 0;
	}
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return berr_errno(e, "eventfd");
	snprintf(path, sizeof(path), "%s/memory.oom_control", h->dir);
	keep = open(path, O_RDONLY | O_CLOEXEC);
	if (keep < 0)
		return berr_errno(e, "open %s", path);
	snprintf(buf, sizeof(buf), "%d %d", fd, keep);
	r = cg_write(h->dir, "cgroup.event_control", buf, e);
	if (r < 0)
		return berr_wrap(e, r, "register for OOM notifications");
	ret->events = POLLIN;
	ret->fd = TAKE_FD(fd);
	ret->keep_fd = TAKE_FD(keep);
	return 0;
}

void rt_cgroup_oom_watch_rearm(const struct rt_cgroup_oom_watch *w)
{
	char buf[512];

	if (w->fd < 0)
		return;
	/* v1: drain the eventfd; v2: a read through the same open file acknowledges the change */
	if (w->keep_fd >= 0)
		(void)!read(w->fd, buf, sizeof(uint64_t));
	else
		(void)!pread(w->fd, buf, sizeof(buf), 0);
}

void rt_cgroup_oom_watch_close(struct rt_cgroup_oom_watch *w)
{
	if (!w)
		return;
	w->fd = berth_close_safe(w->fd);
	w->keep_fd = berth_close_safe(w->keep_fd);
}
