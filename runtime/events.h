/*
 * berth events: a container's resource usage and OOM kills, printed as
 * `runc events` prints them: one JSON object per line,
 * {"type":"stats","id":ID,"data":{...runc's types.Stats...}} every
 * --interval and {"type":"oom","id":ID} whenever the kernel OOM-kills a
 * process of the container's cgroup, until the container stops; with
 * --stats, one stats object and nothing else.
 */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "buf.h"
#include "err.h"
#include "runtime/cgroup/cgroup_stats.h"

#define RT_EVENTS_DEFAULT_INTERVAL_NS (5 * 1000000000LL)

struct rt_events_args {
	const char *id;
	bool stats;
	bool help;
	int64_t interval_ns;
};

/* args: argv from the verb on ("events", options..., ID), NULL-terminated. */
int rt_events_parse_args(char **args, struct rt_events_args *ret, struct berr *e);

/* A duration as Go's time.ParseDuration reads it ("5s", "1m30s", "250ms", "1.5h", "0"), in nanoseconds. */
int rt_parse_duration(const char *s, int64_t *ret_ns);

/* One interface's counters, as runc's types.NetworkInterface. */
struct rt_netif_stats {
	char name[IFNAMSIZ];
	uint64_t rx_bytes, rx_packets, rx_errors, rx_dropped;
	uint64_t tx_bytes, tx_packets, tx_errors, tx_dropped;
};

/* /proc/net/dev text into a new array, in the file's order. */
int rt_netdev_parse(const char *text, struct rt_netif_stats **ret, size_t *ret_n);
/*
 * The interfaces of pid's network namespace, read from /proc/PID/net/dev
 * (no setns): none (*ret NULL, *ret_n 0) when pid shares berth's own
 * namespace, whose interfaces are the host's, not the container's.
 */
int rt_netif_read(pid_t pid, struct rt_netif_stats **ret, size_t *ret_n, struct berr *e);

/*
 * Append one event line, newline included: "stats" with s and the
 * interfaces (none: "network_interfaces":null, as runc), or "oom" (s NULL).
 * Field names, order and omitted zero values follow runc's types package.
 */
int rt_event_json(struct bbuf *out, const char *type, const char *id, const struct rt_cgroup_stats *s,
		  const struct rt_netif_stats *ifs, size_t n_ifs);

/* The verb: args from "events" on; events and --help go to out. */
int rt_events_main(const char *root, char **args, FILE *out, struct berr *e);
