/* runtime/events.c: berth events, runc's stats and OOM stream over the cgroup module's readers. */
#include "runtime/events.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "runtime/container.h"
#include "runtime/state.h"
#include "strv.h"

/* More kills than this between two looks are reported as this many events. */
#define OOM_EVENTS_MAX 1000
/* Without a pidfd, how often the init is looked at. */
#define LIVENESS_MS 200

static const char usage[] = "usage: berth events [--stats] [--interval DURATION] ID\n"
			    "\n"
			    "  --stats               print the container's statistics once and exit\n"
			    "  --interval DURATION   time between statistics (default 5s; Go forms: 500ms, 2s, 1m30s)\n"
			    "\n"
			    "Prints one JSON object per line, as runc events does: {\"type\":\"stats\",...} every\n"
			    "interval and {\"type\":\"oom\",...} on every OOM kill in the container's cgroup, until\n"
			    "the container stops.\n";

static const struct option long_opts[] = {
	{"interval", required_argument, NULL, 'i'},
	{"stats", optional_argument, NULL, 's'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

int rt_parse_duration(const char *s, int64_t *ret_ns)
{
	static const struct {
		const char *unit;
		long double ns;
	} units[] = {
		/* longest first, so "ms" is not read as "m" */
		{"ns", 1},   {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3},
		{"ms", 1e6}, {"s", 1e9},  {"m", 60e9},	      {"h", 3600e9},
	};
	const char *p = s;
	long double total = 0;
	bool neg = false;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (strcmp(p, "0") == 0) {
		*ret_ns = 0;
		return 0;
	}
	if (!*p)
		return -EINVAL;
	while (*p) {
		long double v = 0, scale = 1;
		bool digits = false;
		size_t k;

		for (; isdigit((unsigned char)*p); p++, digits = true)
			v = v * 10 + (*p - '0');
		if (*p == '.')
			for (p++; isdigit((unsigned char)*p); p++, digits = true)
				v += (*p - '0') * (scale /= 10);
		if (!digits)
			return -EINVAL;
		for (k = 0; k < ARRAY_SIZE(units); k++)
			if (strncmp(p, units[k].unit, strlen(units[k].unit)) == 0)
				break;
		if (k == ARRAY_SIZE(units))
			return -EINVAL;
		p += strlen(units[k].unit);
		total += v * units[k].ns;
		if (total > 9223372036854775807.0L)
			return -ERANGE;
	}
	*ret_ns = neg ? -(int64_t)total : (int64_t)total;
	return 0;
}

int rt_events_parse_args(char **args, struct rt_events_args *ret, struct berr *e)
{
	struct rt_events_args a = {.interval_ns = RT_EVENTS_DEFAULT_INTERVAL_NS};
	int argc = (int)strv_len(args), c, r;

	/* glibc: 0 starts a new scan; '+' stops at the id; ':' reports a missing value */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long_only(argc, args, "+:h", long_opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			r = rt_parse_duration(optarg, &a.interval_ns);
			if (r < 0)
				return berr_set(e, r, "events: --interval: invalid duration '%s' (e.g. 5s, 500ms, 1m)",
						optarg);
			if (a.interval_ns <= 0)
				return berr_set(e, -EINVAL, "events: duration interval must be greater than 0");
			break;
		case 's':
			if (optarg && strcmp(optarg, "true") != 0 && strcmp(optarg, "false") != 0)
				return berr_set(e, -EINVAL, "events: --stats takes no value (or =true/false)");
			a.stats = !optarg || strcmp(optarg, "true") == 0;
			break;
		case 'h':
			a.help = true;
			break;
		case ':':
			return berr_set(e, -EINVAL, "events: option '%s' needs a value", args[optind - 1]);
		default:
			return berr_set(e, -EINVAL, "events: unknown option '%s'", args[optind - 1]);
		}
	}
	if (!a.help) {
		if (optind >= argc)
			return berr_set(e, -EINVAL, "events: missing container id");
		a.id = args[optind++];
		if (optind < argc)
			return berr_set(e, -EINVAL,
					"events: unexpected argument '%s' (options go before the container id)",
					args[optind]);
	}
	*ret = a;
	return 0;
}

static int write_out(FILE *out, const struct bbuf *b, struct berr *e)
{
	if (fwrite(b->p, 1, b->len, out) != b->len || fflush(out) != 0)
		return berr_errno(e, "write the events");
	return 0;
}

static int emit_stats(FILE *out, const struct rt_state *st, const struct rt_cgroup *cg, struct berr *e)
{
	_cleanup_bbuf_ struct bbuf b = BBUF_INIT;
	_cleanup_free_ struct rt_netif_stats *ifs = NULL;
	struct rt_cgroup_stats s;
	size_t n = 0;
	int r;

	r = rt_cgroup_stats(cg, &s, e);
	if (r < 0)
		return r;
	/* the init may exit at any moment: its interfaces are then simply not reported */
	(void)rt_netif_read(st->pid, &ifs, &n, NULL);
	r = rt_event_json(&b, "stats", st->id, &s, ifs, n);
	rt_cgroup_stats_free(&s);
	if (r < 0)
		return berr_oom(e);
	return write_out(out, &b, e);
}

/* An "oom" event for every kill counted since *seen. */
static int emit_ooms(FILE *out, const struct rt_state *st, const struct rt_cgroup *cg, uint64_t *seen, struct berr *e)
{
	_cleanup_bbuf_ struct bbuf b = BBUF_INIT;
	uint64_t now = 0;

	/* a count that went down belongs to a cgroup being removed: nothing new */
	if (rt_cgroup_oom_count(cg, &now) < 0 || now <= *seen)
		return 0;
	for (uint64_t i = 0; i < now - *seen && i < OOM_EVENTS_MAX; i++)
		if (rt_event_json(&b, "oom", st->id, NULL, NULL, 0) < 0)
			return berr_oom(e);
	*seen = now;
	return write_out(out, &b, e);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * Until the init exits (its pidfd turns readable): stats every interval,
 * OOM kills as the kernel reports them (or, without a memory controller to
 * watch, at each interval).
 */
static int stream(FILE *out, const struct rt_state *st, const struct rt_cgroup *cg, int64_t interval, struct berr *e)
{
	_cleanup_close_ int pidfd = -1;
	struct rt_cgroup_oom_watch w = {-1, -1, 0};
	int64_t next = now_ns() + interval;
	uint64_t seen = 0;
	int r;

	r = rt_state_pidfd(st, &pidfd);
	/* without pidfd_open (old kernels, valgrind) the init is looked at every LIVENESS_MS instead */
	if (r < 0 && r != -ENOSYS)
		return berr_set(e, r, "container with id %s is not running", st->id);
	(void)rt_cgroup_oom_watch(cg, &w, NULL);
	(void)rt_cgroup_oom_count(cg, &seen);
	for (;;) {
		struct pollfd p[2] = {{pidfd, POLLIN, 0}, {w.fd, w.events, 0}};
		int64_t left = next - now_ns();
		int timeout = left <= 0 ? 0 : left / 1000000 >= INT_MAX ? INT_MAX : (int)((left + 999999) / 1000000);
		int n;

		if (pidfd < 0 && timeout > LIVENESS_MS)
			timeout = LIVENESS_MS;
		n = poll(p, w.fd >= 0 ? 2 : 1, timeout);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = berr_errno(e, "poll");
			break;
		}
		if (w.fd >= 0 && p[1].revents)
			rt_cgroup_oom_watch_rearm(&w);
		r = emit_ooms(out, st, cg, &seen, e);
		if (r < 0 || p[0].revents || (pidfd < 0 && !rt_state_alive(st)))
			break;
		if (now_ns() < next)
			continue;
		r = emit_stats(out, st, cg, e);
		if (r < 0) {
			/* the container stopped between two looks: the end of the stream, not an error */
			if (!rt_state_alive(st)) {
				berr_clear(e);
				r = 0;
			}
			break;
		}
		next += interval;
		if (next < now_ns())
			next = now_ns() + interval;
	}
	rt_cgroup_oom_watch_close(&w);
	return r;
}

int rt_events_main(const char *root, char **args, FILE *out, struct berr *e)
{
	_cleanup_state_ struct rt_state *st = NULL;
	struct rt_events_args a;
	struct rt_cgroup *cg = NULL;
	int r;

	r = rt_events_parse_args(args, &a, e);
	if (r < 0)
		return r;
	if (a.help) {
		fputs(usage, out);
		return 0;
	}
	r = rt_state_open(root, a.id, false, &st, e);
	if (r < 0)
		return r;
	if (!st->json || rt_state_status(st) == RT_STATUS_STOPPED)
		return berr_set(e, -ESRCH, "container with id %s is not running", a.id);
	r = rt_state_cgroup(st, &cg, e);
	if (r < 0)
		return r;
	if (!cg)
		return berr_set(e, -ENOENT, "container '%s' has no cgroup", a.id);
	r = a.stats ? emit_stats(out, st, cg, e) : stream(out, st, cg, a.interval_ns, e);
	rt_cgroup_free(cg);
	return r;
}
