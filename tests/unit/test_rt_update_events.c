/* runtime/update.c, events.c, events_json.c: value parsing, the options, the merge, runc's event JSON. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonutil.h"
#include "runtime/cli.h"
#include "runtime/events.h"
#include "runtime/update.h"

#define ARGS(...) ((char *[]){__VA_ARGS__, NULL})

static json_t *J(const char *s)
{
	json_t *v = NULL;
	struct berr e = BERR_INIT;

	cr_assert_eq(bjson_parse(s, strlen(s), &v, &e), 0, "%s: %s", s, e.msg);
	return v;
}

static int64_t jint(const json_t *o, const char *section, const char *key)
{
	json_t *v = json_object_get(json_object_get(o, section), key);

	cr_assert(json_is_integer(v), "%s.%s missing", section, key);
	return json_integer_value(v);
}

Test(rt_update, mem_sizes_like_runc)
{
	static const struct {
		const char *s;
		int64_t v;
	} ok[] = {
		{"0", 0},
		{"1024", 1024},
		{"-1", -1},
		{"100k", 102400},
		{"100K", 102400},
		{"100kb", 102400},
		{"100KiB", 102400},
		{"64m", 67108864},
		{"64M", 67108864},
		{"64MB", 67108864},
		{"64MiB", 67108864},
		{"1.5g", 1610612736},
		{"2 GB", 2147483648},
		{"1t", 1099511627776},
		{"2p", 2251799813685248},
		{"10b", 10},
		{"10B", 10},
		{"0.5k", 512},
		{"9223372036854775807", INT64_MAX},
	};
	static const char *const bad[] = {"",	   "x",	   "10x",    "-2",  "-1k", "1.2.3", "10 ",    " 10", "10mbb",
					  "10ibb", "10bi", "10 m b", "k10", "10q", "1..5",  "10kiB ", "m",   "."};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int64_t v = 0;

		cr_assert_eq(rt_parse_mem_size(ok[i].s, &v), 0, "'%s' must parse", ok[i].s);
		cr_assert_eq(v, ok[i].v, "'%s': %lld, not %lld", ok[i].s, (long long)v, (long long)ok[i].v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t v = 0;

		cr_assert_lt(rt_parse_mem_size(bad[i], &v), 0, "'%s' must be refused", bad[i]);
	}
	{
		int64_t v;

		cr_assert_eq(rt_parse_mem_size("9223372036854775808", &v), -ERANGE);
		cr_assert_eq(rt_parse_mem_size("8192p", &v), -ERANGE);
		cr_assert_eq(rt_parse_mem_size("99999999999999999999999", &v), -ERANGE);
	}
}

Test(rt_update, options_build_the_patch)
{
	struct rt_update_args a;
	struct berr e = BERR_INIT;

	cr_assert_eq(
		rt_update_parse_args(ARGS("update", "--memory", "100m", "--memory-swap=200m", "-memory-reservation",
					  "32m", "--kernel-memory", "1g", "--cpu-share", "512", "--cpu-quota", "-1",
					  "--cpu-period", "50000", "--cpuset-cpus", "0-1", "--cpuset-mems", "0",
					  "--pids-limit", "-1", "--blkio-weight", "300", "c1"),
				     &a, &e),
		0, "%s", e.msg);
	cr_assert_str_eq(a.id, "c1");
	cr_assert_null(a.resources_file);
	cr_assert(!a.ignored);
	cr_assert_eq(jint(a.patch, "memory", "limit"), 104857600);
	cr_assert_eq(jint(a.patch, "memory", "swap"), 209715200);
	cr_assert_eq(jint(a.patch, "memory", "reservation"), 33554432);
	cr_assert_eq(jint(a.patch, "memory", "kernel"), 1073741824);
	cr_assert_eq(jint(a.patch, "cpu", "shares"), 512);
	cr_assert_eq(jint(a.patch, "cpu", "quota"), -1);
	cr_assert_eq(jint(a.patch, "cpu", "period"), 50000);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(a.patch, "cpu"), "cpus")), "0-1");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(a.patch, "cpu"), "mems")), "0");
	cr_assert_eq(jint(a.patch, "pids", "limit"), -1);
	cr_assert_eq(jint(a.patch, "blockIO", "weight"), 300);
	rt_update_args_clear(&a);

	/* berth's plural spelling, -r, and options given with -r (which runc ignores) */
	cr_assert_eq(rt_update_parse_args(ARGS("update", "--cpu-shares", "2", "-r", "-", "c2"), &a, &e), 0, "%s",
		     e.msg);
	cr_assert_str_eq(a.resources_file, "-");
	cr_assert(a.ignored);
	cr_assert_eq(jint(a.patch, "cpu", "shares"), 2);
	rt_update_args_clear(&a);
	cr_assert_eq(rt_update_parse_args(ARGS("update", "--resources=/r.json", "c3"), &a, &e), 0, "%s", e.msg);
	cr_assert_str_eq(a.resources_file, "/r.json");
	cr_assert(!a.ignored);
	rt_update_args_clear(&a);
	cr_assert_eq(rt_update_parse_args(ARGS("update", "--help"), &a, &e), 0, "%s", e.msg);
	cr_assert(a.help);
	rt_update_args_clear(&a);
}

Test(rt_update, option_errors)
{
	const struct {
		char **args;
		const char *msg;
	} bad[] = {
		{ARGS("update"), "missing container id"},
		{ARGS("update", "--memory", "1g"), "missing container id"},
		{ARGS("update", "c1", "c2"), "unexpected argument 'c2'"},
		{ARGS("update", "c1", "--memory", "1g"), "unexpected argument '--memory'"},
		{ARGS("update", "--bogus", "1", "c1"), "unknown option '--bogus'"},
		{ARGS("update", "--memory"), "needs a value"},
		{ARGS("update", "--memory", "lots", "c1"), "--memory: invalid value 'lots'"},
		{ARGS("update", "--memory-swap", "-2", "c1"), "--memory-swap: invalid value"},
		{ARGS("update", "--cpu-period", "-5", "c1"), "--cpu-period: invalid value '-5'"},
		{ARGS("update", "--cpu-share", "1.5", "c1"), "--cpu-share: invalid value"},
		{ARGS("update", "--cpu-quota", "99999999999999999999", "c1"), "out of range"},
		{ARGS("update", "--pids-limit", "ten", "c1"), "--pids-limit: invalid value"},
		{ARGS("update", "--cpu-rt-runtime", "5", "c1"), "--cpu-rt-runtime is not supported"},
		{ARGS("update", "--l3-cache-schema", "L3:0=f", "c1"), "not supported"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rt_update_args a;
		struct berr e = BERR_INIT;

		cr_assert_lt(rt_update_parse_args(bad[i].args, &a, &e), 0, "case %zu must fail", i);
		cr_assert(strstr(e.msg, bad[i].msg), "case %zu: '%s' must contain '%s'", i, e.msg, bad[i].msg);
	}
}

Test(rt_update, merge_over_the_recorded_resources)
{
	_cleanup_json_ json_t *old =
		J("{\"memory\":{\"limit\":67108864,\"swap\":134217728},\"cpu\":{\"shares\":512,\"cpus\":\"0\"},"
		  "\"devices\":[{\"allow\":false,\"access\":\"rwm\"}],\"pids\":{\"limit\":10}}");
	_cleanup_json_ json_t *patch = J("{\"memory\":{\"limit\":134217728,\"reservation\":0,\"swap\":null,"
					 "\"checkBeforeUpdate\":true},"
					 "\"cpu\":{\"quota\":50000,\"cpus\":\"\",\"mems\":\"0\"},\"blockIO\":{},"
					 "\"pids\":{\"limit\":0}}");
	_cleanup_json_ json_t *m = NULL;
	struct berr e = BERR_INIT, w = BERR_INIT;
	int64_t kernel = 7;

	cr_assert_eq(rt_update_merge(old, patch, &m, &kernel, &w, &e), 0, "%s", e.msg);
	cr_assert_eq(kernel, 0);
	cr_assert_eq(w.msg[0], '\0', "no warning expected: %s", w.msg);
	cr_assert_eq(jint(m, "memory", "limit"), 134217728);
	cr_assert_eq(jint(m, "memory", "swap"), 134217728, "kept");
	cr_assert_null(json_object_get(json_object_get(m, "memory"), "reservation"), "zero means unchanged");
	cr_assert_eq(jint(m, "cpu", "shares"), 512);
	cr_assert_eq(jint(m, "cpu", "quota"), 50000);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(m, "cpu"), "cpus")), "0");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(m, "cpu"), "mems")), "0");
	cr_assert_eq(jint(m, "pids", "limit"), 10);
	cr_assert_eq(json_array_size(json_object_get(m, "devices")), 1, "devices are kept as they were");
	/* old is not touched */
	cr_assert_eq(jint(old, "memory", "limit"), 67108864);
}

Test(rt_update, merge_unlimited_memory_lifts_the_swap_limit)
{
	_cleanup_json_ json_t *old = J("{\"memory\":{\"limit\":67108864,\"swap\":134217728}}");
	_cleanup_json_ json_t *p1 = J("{\"memory\":{\"limit\":-1}}");
	_cleanup_json_ json_t *p2 = J("{\"memory\":{\"limit\":-1,\"swap\":268435456,\"kernel\":1048576}}");
	_cleanup_json_ json_t *m1 = NULL, *m2 = NULL, *m3 = NULL;
	struct berr e = BERR_INIT;
	int64_t kernel = 0;

	cr_assert_eq(rt_update_merge(old, p1, &m1, &kernel, NULL, &e), 0, "%s", e.msg);
	cr_assert_eq(jint(m1, "memory", "limit"), -1);
	cr_assert_null(json_object_get(json_object_get(m1, "memory"), "swap"));
	cr_assert_eq(rt_update_merge(old, p2, &m2, &kernel, NULL, &e), 0, "%s", e.msg);
	cr_assert_eq(jint(m2, "memory", "swap"), 268435456);
	cr_assert_eq(kernel, 1048576);
	cr_assert_eq(jint(m2, "memory", "kernel"), 1048576, "recorded like the others");
	/* nothing recorded before */
	cr_assert_eq(rt_update_merge(NULL, p1, &m3, &kernel, NULL, &e), 0, "%s", e.msg);
	cr_assert_eq(jint(m3, "memory", "limit"), -1);
}

Test(rt_update, merge_names_what_it_ignores_and_refuses_bad_types)
{
	_cleanup_json_ json_t *p = J("{\"memory\":{\"swappiness\":10,\"disableOOMKiller\":false},"
				     "\"cpu\":{\"realtimeRuntime\":1000},\"hugepageLimits\":[{\"pageSize\":\"2MB\"}],"
				     "\"unified\":{},\"devices\":[],\"network\":null}");
	_cleanup_json_ json_t *m = NULL;
	struct berr e = BERR_INIT, w = BERR_INIT;
	int64_t kernel;

	cr_assert_eq(rt_update_merge(NULL, p, &m, &kernel, &w, &e), 0, "%s", e.msg);
	cr_assert(strstr(w.msg, "'memory.swappiness'"), "%s", w.msg);
	cr_assert(strstr(w.msg, "'cpu.realtimeRuntime'"), "%s", w.msg);
	cr_assert(strstr(w.msg, "'hugepageLimits'"), "%s", w.msg);
	cr_assert(!strstr(w.msg, "disableOOMKiller"), "a false value changes nothing: %s", w.msg);
	cr_assert(!strstr(w.msg, "unified") && !strstr(w.msg, "devices"), "empty ones neither: %s", w.msg);

	static const struct {
		const char *patch, *msg;
	} bad[] = {
		{"{\"memory\":{\"limit\":\"1g\"}}", "'resources.memory.limit' must be an integer"},
		{"{\"cpu\":{\"cpus\":3}}", "'resources.cpu.cpus' must be a string"},
		{"{\"pids\":5}", "'resources.pids' must be an object"},
		{"[1]", "must be a JSON object"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		_cleanup_json_ json_t *bp = J(bad[i].patch), *bm = NULL;

		berr_clear(&e);
		cr_assert_lt(rt_update_merge(NULL, bp, &bm, &kernel, NULL, &e), 0, "%s must fail", bad[i].patch);
		cr_assert(strstr(e.msg, bad[i].msg), "%s: '%s' must contain '%s'", bad[i].patch, e.msg, bad[i].msg);
	}
}

Test(rt_events, durations_like_go)
{
	static const struct {
		const char *s;
		int64_t ns;
	} ok[] = {
		{"0", 0},
		{"5s", 5000000000LL},
		{"1m30s", 90000000000LL},
		{"250ms", 250000000LL},
		{"1.5h", 5400000000000LL},
		{"500us", 500000LL},
		{"500\xc2\xb5s", 500000LL},
		{"10ns", 10},
		{"+2s", 2000000000LL},
		{"-1s", -1000000000LL},
		{"1h2m3s4ms", 3723004000000LL},
		{".5s", 500000000LL},
	};
	static const char *const bad[] = {"", "5", "s", "5x", "5 s", "1.s.", "--1s", "1s5", "9999999999h"};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int64_t v = -7;

		cr_assert_eq(rt_parse_duration(ok[i].s, &v), 0, "'%s' must parse", ok[i].s);
		cr_assert_eq(v, ok[i].ns, "'%s': %lld", ok[i].s, (long long)v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t v;

		cr_assert_lt(rt_parse_duration(bad[i], &v), 0, "'%s' must be refused", bad[i]);
	}
}

Test(rt_events, options)
{
	struct rt_events_args a;
	struct berr e = BERR_INIT;

	cr_assert_eq(rt_events_parse_args(ARGS("events", "c1"), &a, &e), 0, "%s", e.msg);
	cr_assert_str_eq(a.id, "c1");
	cr_assert(!a.stats);
	cr_assert_eq(a.interval_ns, RT_EVENTS_DEFAULT_INTERVAL_NS);
	cr_assert_eq(rt_events_parse_args(ARGS("events", "--stats", "--interval", "1s", "c1"), &a, &e), 0, "%s", e.msg);
	cr_assert(a.stats);
	cr_assert_eq(a.interval_ns, 1000000000LL);
	cr_assert_eq(rt_events_parse_args(ARGS("events", "-interval=250ms", "--stats=false", "c1"), &a, &e), 0, "%s",
		     e.msg);
	cr_assert(!a.stats);
	cr_assert_eq(a.interval_ns, 250000000LL);
	cr_assert_eq(rt_events_parse_args(ARGS("events", "-h"), &a, &e), 0, "%s", e.msg);
	cr_assert(a.help);

	const struct {
		char **args;
		const char *msg;
	} bad[] = {
		{ARGS("events"), "missing container id"},
		{ARGS("events", "--interval", "0s", "c1"), "greater than 0"},
		{ARGS("events", "--interval", "-1s", "c1"), "greater than 0"},
		{ARGS("events", "--interval", "5", "c1"), "invalid duration '5'"},
		{ARGS("events", "--interval"), "needs a value"},
		{ARGS("events", "--stats=yes", "c1"), "--stats takes no value"},
		{ARGS("events", "--nope", "c1"), "unknown option '--nope'"},
		{ARGS("events", "c1", "c2"), "unexpected argument 'c2'"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		berr_clear(&e);
		cr_assert_lt(rt_events_parse_args(bad[i].args, &a, &e), 0, "case %zu must fail", i);
		cr_assert(strstr(e.msg, bad[i].msg), "case %zu: '%s' must contain '%s'", i, e.msg, bad[i].msg);
	}
}

Test(rt_events, oom_event_exactly_as_runc)
{
	_cleanup_bbuf_ struct bbuf b = BBUF_INIT;

	cr_assert_eq(rt_event_json(&b, "oom", "c\"1", NULL, NULL, 0), 0);
	cr_assert_str_eq(b.p, "{\"type\":\"oom\",\"id\":\"c\\\"1\"}\n");
}

static const char *keys_of(const json_t *o, char *buf, size_t len)
{
	const char *k;
	json_t *v;

	buf[0] = '\0';
	json_object_foreach ((json_t *)o, k, v) {
		(void)v;
		strncat(buf, k, len - strlen(buf) - 1);
		strncat(buf, ",", len - strlen(buf) - 1);
	}
	return buf;
}

Test(rt_events, stats_event_shape)
{
	uint64_t percpu[] = {10, 20};
	uint16_t cpus[] = {0, 1, 3};
	struct rt_stat_kv raw[] = {{(char *)"cache", 4096}, {(char *)"rss", 8192}};
	struct rt_stat_blkio_entry io[] = {{8, 0, "Read", 512}, {8, 0, "Write", 0}};
	struct rt_stat_hugetlb huge[] = {{"1GB", 0, 0, 0}, {"2MB", 2097152, 4194304, 1}};
	struct rt_netif_stats ifs[] = {{"eth0", 1, 2, 3, 4, 5, 6, 7, 8}};
	struct rt_cgroup_stats s;
	_cleanup_bbuf_ struct bbuf b = BBUF_INIT;
	_cleanup_json_ json_t *j = NULL;
	json_t *d, *u, *n;
	char keys[512];

	memset(&s, 0, sizeof(s));
	s.cpu.total = 30;
	s.cpu.percpu = percpu;
	s.cpu.n_percpu = 2;
	s.cpu.kernel = 0;
	s.cpu.user = 7;
	s.cpu.throttled_periods = 2;
	s.cpuset.cpus = cpus;
	s.cpuset.n_cpus = 3;
	s.cpuset.sched_relax_domain_level = -1;
	s.memory.cache = 4096;
	s.memory.usage = (struct rt_stat_mem){67108864, 12288, 0, 3};
	s.memory.swap.limit = RT_STAT_MAX;
	s.memory.raw = raw;
	s.memory.n_raw = 2;
	s.pids.current = 2;
	s.blkio[RT_BLKIO_SERVICE_BYTES].v = io;
	s.blkio[RT_BLKIO_SERVICE_BYTES].n = 2;
	s.hugetlb = huge;
	s.n_hugetlb = 2;

	cr_assert_eq(rt_event_json(&b, "stats", "c1", &s, ifs, 1), 0);
	cr_assert_eq(b.p[b.len - 1], '\n', "one line per event");
	cr_assert_null(memchr(b.p, '\n', b.len - 1));
	/* uint64 beyond int64: written as the number runc writes */
	cr_assert(strstr(b.p, "\"swap\":{\"limit\":18446744073709551615,\"failcnt\":0}"), "%s", b.p);
	{
		json_error_t je;

		j = json_loadb(b.p, b.len, JSON_DECODE_INT_AS_REAL, &je);
		cr_assert_not_null(j, "%s: %s", je.text, b.p);
	}
	cr_assert_str_eq(keys_of(j, keys, sizeof(keys)), "type,id,data,");
	d = json_object_get(j, "data");
	cr_assert_str_eq(keys_of(d, keys, sizeof(keys)),
			 "cpu,cpuset,memory,pids,blkio,hugetlb,intel_rdt,network_interfaces,");
	u = json_object_get(json_object_get(d, "cpu"), "usage");
	cr_assert_str_eq(keys_of(u, keys, sizeof(keys)), "total,percpu,kernel,user,", "omitempty as runc");
	cr_assert_str_eq(keys_of(json_object_get(json_object_get(d, "cpu"), "throttling"), keys, sizeof(keys)),
			 "throttledPeriods,");
	cr_assert_str_eq(keys_of(json_object_get(d, "cpuset"), keys, sizeof(keys)),
			 "cpus,cpu_exclusive,mem_hardwall,mem_exclusive,memory_migrate,memory_spread_page,"
			 "memory_spread_slab,memory_pressure,sched_load_balance,sched_relax_domain_level,");
	cr_assert_eq(json_real_value(json_object_get(json_object_get(d, "cpuset"), "sched_relax_domain_level")), -1);
	cr_assert_str_eq(keys_of(json_object_get(d, "memory"), keys, sizeof(keys)),
			 "cache,usage,swap,kernel,kernelTCP,raw,");
	cr_assert_str_eq(keys_of(json_object_get(json_object_get(d, "memory"), "usage"), keys, sizeof(keys)),
			 "limit,usage,failcnt,");
	cr_assert_eq(json_real_value(json_object_get(json_object_get(json_object_get(d, "memory"), "usage"), "limit")),
		     67108864);
	cr_assert_eq(json_real_value(json_object_get(json_object_get(json_object_get(d, "memory"), "raw"), "rss")),
		     8192);
	cr_assert_str_eq(keys_of(json_object_get(d, "pids"), keys, sizeof(keys)), "current,");
	n = json_object_get(json_object_get(d, "blkio"), "ioServiceBytesRecursive");
	cr_assert_eq(json_array_size(n), 2);
	cr_assert_str_eq(keys_of(json_array_get(n, 0), keys, sizeof(keys)), "major,op,value,", "minor 0 omitted");
	cr_assert_str_eq(keys_of(json_array_get(n, 1), keys, sizeof(keys)), "major,op,");
	cr_assert_str_eq(keys_of(json_object_get(d, "hugetlb"), keys, sizeof(keys)), "1GB,2MB,");
	cr_assert_str_eq(keys_of(json_object_get(json_object_get(d, "hugetlb"), "2MB"), keys, sizeof(keys)),
			 "usage,max,failcnt,");
	cr_assert_eq(json_object_size(json_object_get(d, "intel_rdt")), 0);
	n = json_array_get(json_object_get(d, "network_interfaces"), 0);
	cr_assert_str_eq(keys_of(n, keys, sizeof(keys)),
			 "Name,RxBytes,RxPackets,RxErrors,RxDropped,TxBytes,TxPackets,TxErrors,TxDropped,",
			 "runc's NetworkInterface has no json tags");
	cr_assert_str_eq(json_string_value(json_object_get(n, "Name")), "eth0");
	cr_assert_eq(json_real_value(json_object_get(n, "TxDropped")), 8);

	/* no interfaces: null, as Go writes a nil slice */
	bbuf_free(&b);
	cr_assert_eq(rt_event_json(&b, "stats", "c1", &s, NULL, 0), 0);
	cr_assert(strstr(b.p, ",\"network_interfaces\":null}}\n"), "%s", b.p);
}

Test(rt_events, proc_net_dev)
{
	static const char text[] = "Inter-|   Receive                                                |  Transmit\n"
				   " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets "
				   "errs drop fifo colls "
				   "carrier compressed\n"
				   "    lo:    3267      29    0    0    0     0          0         0     3267      29 "
				   "   0    0    0     0 "
				   "      0          0\n"
				   "eth0@x:1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n";
	struct rt_netif_stats *v = NULL;
	size_t n = 0;

	cr_assert_eq(rt_netdev_parse(text, &v, &n), 0);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(v[0].name, "lo");
	cr_assert_eq(v[0].rx_bytes, 3267);
	cr_assert_eq(v[0].rx_packets, 29);
	cr_assert_eq(v[0].tx_bytes, 3267);
	cr_assert_str_eq(v[1].name, "eth0@x");
	cr_assert_eq(v[1].rx_bytes, 1);
	cr_assert_eq(v[1].rx_packets, 2);
	cr_assert_eq(v[1].rx_errors, 3);
	cr_assert_eq(v[1].rx_dropped, 4);
	cr_assert_eq(v[1].tx_bytes, 9);
	cr_assert_eq(v[1].tx_packets, 10);
	cr_assert_eq(v[1].tx_errors, 11);
	cr_assert_eq(v[1].tx_dropped, 12);
	free(v);
	cr_assert_eq(rt_netdev_parse("lo: 1 2 3\n", &v, &n), -EBADMSG);
	cr_assert_eq(rt_netdev_parse("", &v, &n), 0);
	cr_assert_eq(n, 0);
}

Test(rt_update, cli_hands_the_verbs_their_arguments)
{
	char *argv[] = {"berth", "--root", "/r", "update", "--memory", "1g", "c1", NULL};
	char *argv2[] = {"berth", "events", "--stats", "c1", NULL};
	struct rt_cli c;
	struct berr e = BERR_INIT;

	cr_assert_eq(rt_cli_parse(7, argv, &c, &e), 0, "%s", e.msg);
	cr_assert_eq(c.verb, RT_VERB_UPDATE);
	cr_assert_str_eq(c.root, "/r");
	cr_assert_eq(c.args, argv + 3);
	rt_cli_clear(&c);
	cr_assert_eq(rt_cli_parse(4, argv2, &c, &e), 0, "%s", e.msg);
	cr_assert_eq(c.verb, RT_VERB_EVENTS);
	cr_assert_str_eq(c.args[0], "events");
	cr_assert_str_eq(c.args[1], "--stats");
	rt_cli_clear(&c);
}
