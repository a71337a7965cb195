/* runtime/events_json.c: runc's event JSON written by hand (uint64 values beyond jansson's range), /proc/net/dev. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "array.h"
#include "cleanup.h"
#include "fileutil.h"
#include "runtime/events.h"

/*
 * A JSON writer over a bbuf. One flag suffices for the commas: a container
 * just opened needs none before its first member, anything written since
 * (a value, a closed container) needs one before the next.
 */
struct jw {
	struct bbuf *b;
	int r;
	bool comma;
};

static void jw_raw(struct jw *w, const char *s)
{
	if (w->r == 0)
		w->r = bbuf_append(w->b, s, strlen(s));
}

/* A string as Go's encoder writes it (including its HTML-safe escapes of <, > and &). */
static void jw_quoted(struct jw *w, const char *s)
{
	jw_raw(w, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p && w->r == 0; p++) {
		if (*p == '"' || *p == '\\')
			w->r = bbuf_printf(w->b, "\\%c", *p);
		else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&')
			w->r = bbuf_printf(w->b, "\\u%04x", *p);
		else
			w->r = bbuf_append(w->b, p, 1);
	}
	jw_raw(w, "\"");
}

static void jw_key(struct jw *w, const char *key)
{
	if (w->comma)
		jw_raw(w, ",");
	if (key) {
		jw_quoted(w, key);
		jw_raw(w, ":");
	}
	w->comma = true;
}

static void jw_open(struct jw *w, const char *key, const char *bracket)
{
	jw_key(w, key);
	jw_raw(w, bracket);
	w->comma = false;
}

static void jw_close(struct jw *w, const char *bracket)
{
	jw_raw(w, bracket);
	w->comma = true;
}

static void jw_u64(struct jw *w, const char *key, uint64_t v)
{
	jw_key(w, key);
	if (w->r == 0)
		w->r = bbuf_printf(w->b, "%" PRIu64, v);
}

/* Go's omitempty: a zero is left out. */
static void jw_u64_omit(struct jw *w, const char *key, uint64_t v)
{
	if (v)
		jw_u64(w, key, v);
}

static void jw_i64(struct jw *w, const char *key, int64_t v)
{
	jw_key(w, key);
	if (w->r == 0)
		w->r = bbuf_printf(w->b, "%" PRId64, v);
}

static void jw_str(struct jw *w, const char *key, const char *s)
{
	jw_key(w, key);
	jw_quoted(w, s);
}

/* An array of uint64 (u16: of uint16), left out when empty. */
static void jw_array_omit(struct jw *w, const char *key, const void *v, size_t n, bool u16)
{
	if (!n)
		return;
	jw_open(w, key, "[");
	for (size_t i = 0; i < n; i++)
		jw_u64(w, NULL, u16 ? ((const uint16_t *)v)[i] : ((const uint64_t *)v)[i]);
	jw_close(w, "]");
}

static void write_cpu(struct jw *w, const struct rt_cgroup_stats *s)
{
	jw_open(w, "cpu", "{");
	jw_open(w, "usage", "{");
	jw_u64_omit(w, "total", s->cpu.total);
	jw_array_omit(w, "percpu", s->cpu.percpu, s->cpu.n_percpu, false);
	jw_array_omit(w, "percpu_kernel", s->cpu.percpu_kernel, s->cpu.n_percpu_kernel, false);
	jw_array_omit(w, "percpu_user", s->cpu.percpu_user, s->cpu.n_percpu_user, false);
	jw_u64(w, "kernel", s->cpu.kernel);
	jw_u64(w, "user", s->cpu.user);
	jw_close(w, "}");
	jw_open(w, "throttling", "{");
	jw_u64_omit(w, "periods", s->cpu.periods);
	jw_u64_omit(w, "throttledPeriods", s->cpu.throttled_periods);
	jw_u64_omit(w, "throttledTime", s->cpu.throttled_time);
	jw_close(w, "}");
	jw_close(w, "}");
}

static void write_cpuset(struct jw *w, const struct rt_cgroup_stats *s)
{
	jw_open(w, "cpuset", "{");
	jw_array_omit(w, "cpus", s->cpuset.cpus, s->cpuset.n_cpus, true);
	jw_u64(w, "cpu_exclusive", s->cpuset.cpu_exclusive);
	jw_array_omit(w, "mems", s->cpuset.mems, s->cpuset.n_mems, true);
	jw_u64(w, "mem_hardwall", s->cpuset.mem_hardwall);
	jw_u64(w, "mem_exclusive", s->cpuset.mem_exclusive);
	jw_u64(w, "memory_migrate", s->cpuset.memory_migrate);
	jw_u64(w, "memory_spread_page", s->cpuset.memory_spread_page);
	jw_u64(w, "memory_spread_slab", s->cpuset.memory_spread_slab);
	jw_u64(w, "memory_pressure", s->cpuset.memory_pressure);
	jw_u64(w, "sched_load_balance", s->cpuset.sched_load_balance);
	jw_i64(w, "sched_relax_domain_level", s->cpuset.sched_relax_domain_level);
	jw_close(w, "}");
}

static void write_mem_entry(struct jw *w, const char *key, const struct rt_stat_mem *m)
{
	jw_open(w, key, "{");
	jw_u64(w, "limit", m->limit);
	jw_u64_omit(w, "usage", m->usage);
	jw_u64_omit(w, "max", m->max);
	jw_u64(w, "failcnt", m->failcnt);
	jw_close(w, "}");
}

static void write_memory(struct jw *w, const struct rt_cgroup_stats *s)
{
	jw_open(w, "memory", "{");
	jw_u64_omit(w, "cache", s->memory.cache);
	write_mem_entry(w, "usage", &s->memory.usage);
	write_mem_entry(w, "swap", &s->memory.swap);
	write_mem_entry(w, "kernel", &s->memory.kernel);
	write_mem_entry(w, "kernelTCP", &s->memory.kernel_tcp);
	if (s->memory.n_raw) {
		jw_open(w, "raw", "{");
		for (size_t i = 0; i < s->memory.n_raw; i++)
			jw_u64(w, s->memory.raw[i].key, s->memory.raw[i].value);
		jw_close(w, "}");
	}
	jw_close(w, "}");
}

static void write_blkio(struct jw *w, const struct rt_cgroup_stats *s)
{
	static const char *const names[RT_BLKIO_N] = {
		[RT_BLKIO_SERVICE_BYTES] = "ioServiceBytesRecursive",
		[RT_BLKIO_SERVICED] = "ioServicedRecursive",
		[RT_BLKIO_QUEUED] = "ioQueueRecursive",
		[RT_BLKIO_SERVICE_TIME] = "ioServiceTimeRecursive",
		[RT_BLKIO_WAIT_TIME] = "ioWaitTimeRecursive",
		[RT_BLKIO_MERGED] = "ioMergedRecursive",
		[RT_BLKIO_TIME] = "ioTimeRecursive",
		[RT_BLKIO_SECTORS] = "sectorsRecursive",
	};

	jw_open(w, "blkio", "{");
	for (size_t t = 0; t < RT_BLKIO_N; t++) {
		if (!s->blkio[t].n)
			continue;
		jw_open(w, names[t], "[");
		for (size_t i = 0; i < s->blkio[t].n; i++) {
			const struct rt_stat_blkio_entry *b = &s->blkio[t].v[i];

			jw_open(w, NULL, "{");
			jw_u64_omit(w, "major", b->major);
			jw_u64_omit(w, "minor", b->minor);
			if (b->op[0])
				jw_str(w, "op", b->op);
			jw_u64_omit(w, "value", b->value);
			jw_close(w, "}");
		}
		jw_close(w, "]");
	}
	jw_close(w, "}");
}

static void write_hugetlb(struct jw *w, const struct rt_cgroup_stats *s)
{
	jw_open(w, "hugetlb", "{");
	for (size_t i = 0; i < s->n_hugetlb; i++) {
		jw_open(w, s->hugetlb[i].size, "{");
		jw_u64_omit(w, "usage", s->hugetlb[i].usage);
		jw_u64_omit(w, "max", s->hugetlb[i].max);
		jw_u64(w, "failcnt", s->hugetlb[i].failcnt);
		jw_close(w, "}");
	}
	jw_close(w, "}");
}

/* runc's NetworkInterface has no JSON tags: Go writes the field names as they are. */
static void write_netifs(struct jw *w, const struct rt_netif_stats *ifs, size_t n)
{
	if (!n) {
		jw_key(w, "network_interfaces");
		jw_raw(w, "null");
		return;
	}
	jw_open(w, "network_interfaces", "[");
	for (size_t i = 0; i < n; i++) {
		jw_open(w, NULL, "{");
		jw_str(w, "Name", ifs[i].name);
		jw_u64(w, "RxBytes", ifs[i].rx_bytes);
		jw_u64(w, "RxPackets", ifs[i].rx_packets);
		jw_u64(w, "RxErrors", ifs[i].rx_errors);
		jw_u64(w, "RxDropped", ifs[i].rx_dropped);
		jw_u64(w, "TxBytes", ifs[i].tx_bytes);
		jw_u64(w, "TxPackets", ifs[i].tx_packets);
		jw_u64(w, "TxErrors", ifs[i].tx_errors);
		jw_u64(w, "TxDropped", ifs[i].tx_dropped);
		jw_close(w, "}");
	}
	jw_close(w, "]");
}

int rt_event_json(struct bbuf *out, const char *type, const char *id, const struct rt_cgroup_stats *s,
		  const struct rt_netif_stats *ifs, size_t n_ifs)
{
	struct jw w = {out, 0, false};

	jw_open(&w, NULL, "{");
	jw_str(&w, "type", type);
	jw_str(&w, "id", id);
	if (s) {
		jw_open(&w, "data", "{");
		write_cpu(&w, s);
		write_cpuset(&w, s);
		write_memory(&w, s);
		jw_open(&w, "pids", "{");
		jw_u64_omit(&w, "current", s->pids.current);
		jw_u64_omit(&w, "limit", s->pids.limit);
		jw_close(&w, "}");
		write_blkio(&w, s);
		write_hugetlb(&w, s);
		jw_open(&w, "intel_rdt", "{");
		jw_close(&w, "}");
		write_netifs(&w, ifs, n_ifs);
		jw_close(&w, "}");
	}
	jw_close(&w, "}");
	jw_raw(&w, "\n");
	return w.r;
}

int rt_netdev_parse(const char *text, struct rt_netif_stats **ret, size_t *ret_n)
{
	struct rt_netif_stats *v = NULL;
	size_t n = 0, cap = 0;

	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n'), *colon = strchr(line, ':'), *name = line;
		unsigned long long f[16];
		struct rt_netif_stats *x;
		size_t len;

		/* the two header lines have no ':' before their end */
		if (!colon || (nl && colon > nl)) {
			line = nl ? nl + 1 : NULL;
			continue;
		}
		while (*name == ' ')
			name++;
		len = (size_t)(colon - name);
		if (sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8], &f[9], &f[10], &f[11], &f[12],
			   &f[13], &f[14], &f[15]) != 16 ||
		    len == 0 || len >= IFNAMSIZ) {
			free(v);
			return -EBADMSG;
		}
		if (BARRAY_RESERVE(v, cap, n + 1) < 0) {
			free(v);
			return -ENOMEM;
		}
		x = &v[n++];
		memset(x, 0, sizeof(*x));
		memcpy(x->name, name, len);
		x->rx_bytes = f[0], x->rx_packets = f[1], x->rx_errors = f[2], x->rx_dropped = f[3];
		x->tx_bytes = f[8], x->tx_packets = f[9], x->tx_errors = f[10], x->tx_dropped = f[11];
		line = nl ? nl + 1 : NULL;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int rt_netif_read(pid_t pid, struct rt_netif_stats **ret, size_t *ret_n, struct berr *e)
{
	_cleanup_free_ char *text = NULL;
	char path[64];
	struct stat self, other;
	int r;

	*ret = NULL;
	*ret_n = 0;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	if (stat(path, &other) < 0)
		return berr_errno(e, "stat %s", path);
	if (stat("/proc/self/ns/net", &self) < 0)
		return berr_errno(e, "stat /proc/self/ns/net");
	if (self.st_ino == other.st_ino && self.st_dev == other.st_dev)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/net/dev", (int)pid);
	r = bfile_read_all(path, 1u << 20, &text, NULL, e);
	if (r < 0)
		return r;
	r = rt_netdev_parse(text, ret, ret_n);
	return r < 0 ? berr_sys(e, r, "parse %s", path) : 0;
}
