/*
 * bench-attach: attach and detach through netd, as the runtime does it (a
 * request on netd's socket with the namespace fd passed by SCM_RIGHTS), each
 * endpoint with one published port, while the network fills to N endpoints
 * (default 1,000). Prints medians and spread of:
 *   - attach latency of the first ten endpoints and of the last ten,
 *   - attach+detach of a probe endpoint at 0 and at N endpoints,
 * and netd's resident memory at 0 and at N endpoints.
 *
 * Run as root through `make bench-attach` (inside tests/harness/sandbox):
 * the bench makes its namespaces itself (one per endpoint, held by an fd,
 * no bind mounts) and starts its own netd on a scratch state directory.
 *
 *   bench-attach [-n ENDPOINTS] [-6] [--netd PATH] [--samples FILE]
 *
 * -6 makes the network dual stack (10.66.0.0/16 and fd00:66::/64): every
 * endpoint gets an address of each family and its port is published in both.
 *
 * --samples FILE also writes every raw figure there, one per line, for
 * bench/run.sh: "attach INDEX US" (the attach that found INDEX endpoints
 * on the network), "rss ENDPOINTS KIB".
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench.h"
#include "clock.h"
#include "netd/client/client.h"

#define PROBES 20

static struct bench_netd nd;

static double report(const char *what, double *t, size_t n)
{
	double med;

	bench_sort(t, n);
	med = bench_pct(t, n, 0.5);
	printf("%-34s n=%-3zu median=%8.1f us  p10=%8.1f  p90=%8.1f  min=%8.1f  max=%8.1f\n", what, n, med,
	       bench_pct(t, n, 0.1), bench_pct(t, n, 0.9), t[0], t[n - 1]);
	return med;
}

/* Links retired by netd and not yet deleted by its reaper ("bx" + 12 hex digits). */
static size_t retired_links(void)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	size_t n = 0;

	if (!ifs)
		return 0;
	for (i = ifs; i->if_index; i++)
		n += strncmp(i->if_name, "bx", 2) == 0 && strlen(i->if_name) == 14;
	if_freenameindex(ifs);
	return n;
}

/* CPU time netd's main thread has run, in microseconds (/proc/PID/schedstat: nanoseconds on a CPU). */
static double cpu_us(pid_t pid)
{
	char path[64];
	unsigned long long ns = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &ns) != 1)
		ns = 0;
	fclose(f);
	return (double)ns / 1e3;
}

static long rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	}
	fclose(f);
	return kib;
}

static double attach(const char *id, int nsfd, unsigned port)
{
	char spec[32];
	const char *ports[] = {spec, NULL};
	struct netd_attach_args a = {.id = id, .ports = ports};
	struct berr e = BERR_INIT;
	json_t *res = NULL;
	double t0;

	snprintf(spec, sizeof(spec), "%u:80/tcp", port);
	t0 = bclock_now_us();
	if (netd_client_attach(nd.sock, &a, nsfd, &res, &e) < 0) {
		fprintf(stderr, "bench-attach: attach %s: %s\n", id, e.msg);
		exit(1);
	}
	t0 = bclock_now_us() - t0;
	json_decref(res);
	return t0;
}

static double detach(const char *id)
{
	struct berr e = BERR_INIT;
	double t0 = bclock_now_us();

	if (netd_client_detach(nd.sock, id, "berth0", &e) < 0) {
		fprintf(stderr, "bench-attach: detach %s: %s\n", id, e.msg);
		exit(1);
	}
	return bclock_now_us() - t0;
}

/*
 * PROBES attach+detach cycles of probe endpoints (their own namespaces, ports
 * above the fill's); *ret_attach gets the median of the attaches alone.
 */
static double probe(const char *label, size_t fill, int *probe_ns, double *ret_attach)
{
	double t[PROBES], ta[PROBES];
	char what[64];

	for (int i = 0; i < PROBES; i++) {
		char id[32];

		snprintf(id, sizeof(id), "probe%d", i);
		ta[i] = attach(id, probe_ns[i], 60000u + (unsigned)i);
		t[i] = ta[i] + detach(id);
	}
	snprintf(what, sizeof(what), "probe attach %s %zu", label, fill);
	*ret_attach = report(what, ta, PROBES);
	snprintf(what, sizeof(what), "probe attach+detach %s %zu", label, fill);
	return report(what, t, PROBES);
}

int main(int argc, char **argv)
{
	size_t n = 1000;
	bool dual = false;
	const char *samples = NULL;
	char netd[PATH_MAX];
	const char *base = getenv("TMPDIR");
	struct rlimit rl;
	double *lat, *cpu, first, last, pr0, prn, pr10, pa0, pan, pa10, c0, cfirst, clast;
	int *ns, probe_ns[PROBES];
	long rss0, rssn;

	snprintf(netd, sizeof(netd), "%s", argv[0]);
	*strrchr(netd, '/') = '\0';
	strncat(netd, "/netd", sizeof(netd) - strlen(netd) - 1);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			n = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--netd") == 0 && i + 1 < argc)
			snprintf(netd, sizeof(netd), "%s", argv[++i]);
		else if (strcmp(argv[i], "--samples") == 0 && i + 1 < argc)
			samples = argv[++i];
		else if (strcmp(argv[i], "-6") == 0)
			dual = true;
		else {
			fprintf(stderr, "usage: bench-attach [-n ENDPOINTS] [-6] [--netd PATH] [--samples FILE]\n");
			return 2;
		}
	}
	if (n < 20 || n > 60000) {
		fprintf(stderr, "bench-attach: -n must be 20..60000\n");
		return 2;
	}
	if (!getenv("BERTH_SANDBOX")) {
		fprintf(stderr, "bench-attach: run it inside the sandbox (make bench-attach)\n");
		return 2;
	}
	/* one namespace fd per endpoint stays open */
	rl.rlim_cur = rl.rlim_max = n + PROBES + 256;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (!bench_netd_dir(&nd, "bench-attach", base))
		return 1;
	if (dual) {
		FILE *f = fopen(nd.cfg, "we");

		if (!f ||
		    fputs("{\"networks\":[{\"name\":\"berth0\",\"subnet\":\"10.66.0.0/16\","
			  "\"subnet6\":\"fd00:66::/64\"}]}\n",
			  f) < 0 ||
		    fclose(f) != 0) {
			perror(nd.cfg);
			return 1;
		}
	}
	/* no --config: the built-in defaults (network berth0); -6: berth0 with an IPv6 subnet too */
	if (!bench_netd_start(&nd, netd, dual, "bench-attach"))
		return 1;
	ns = calloc(n, sizeof(*ns));
	lat = calloc(n, sizeof(*lat));
	cpu = calloc(n, sizeof(*cpu));
	for (size_t i = 0; i < n; i++) {
		ns[i] = bench_new_netns();
		if (ns[i] < 0) {
			fprintf(stderr, "bench-attach: namespace %zu: %s\n", i, strerror(errno));
			return 1;
		}
	}
	for (int i = 0; i < PROBES; i++)
		probe_ns[i] = bench_new_netns();
	printf("bench-attach: %zu endpoints on one %snetwork, one published tcp port each, through netd's socket\n", n,
	       dual ? "dual-stack " : "");
	rss0 = rss_kib(nd.pid);
	pr0 = probe("at", 0, probe_ns, &pa0);
	/* for profilers (perf record -k monotonic ... --time): the fill's span on CLOCK_MONOTONIC */
	if (getenv("BENCH_ATTACH_MARKS"))
		printf("fill starts at %.6f s\n", bclock_now_us() / 1e6);
	for (size_t i = 0; i < n; i++) {
		char id[32];

		snprintf(id, sizeof(id), "c%zu", i);
		c0 = cpu_us(nd.pid);
		lat[i] = attach(id, ns[i], 10000u + (unsigned)i);
		cpu[i] = cpu_us(nd.pid) - c0;
	}
	if (getenv("BENCH_ATTACH_MARKS"))
		printf("fill ends at %.6f s\n", bclock_now_us() / 1e6);
	rssn = rss_kib(nd.pid);
	if (samples) {
		/* raw figures, before report() sorts them in place */
		FILE *f = fopen(samples, "we");

		if (!f) {
			perror(samples);
			return 1;
		}
		for (size_t i = 0; i < n; i++)
			fprintf(f, "attach %zu %.1f\n", i, lat[i]);
		fprintf(f, "rss 0 %ld\nrss %zu %ld\n", rss0, n, rssn);
		fclose(f);
	}
	prn = probe("at", n, probe_ns, &pan);
	/* the fill's attaches by tenths: where the growth sets in */
	for (size_t w = 0; w < 10; w++) {
		size_t a = w * n / 10, b = (w + 1) * n / 10;
		double *win = malloc((b - a) * sizeof(*win));
		char what[64];

		memcpy(win, lat + a, (b - a) * sizeof(*win));
		snprintf(what, sizeof(what), "attach, endpoints %zu-%zu", a, b - 1);
		report(what, win, b - a);
		memcpy(win, cpu + a, (b - a) * sizeof(*win));
		snprintf(what, sizeof(what), "  netd CPU per attach, %zu-%zu", a, b - 1);
		report(what, win, b - a);
		free(win);
	}
	first = report("attach, first 10 endpoints", lat, 10);
	last = report("attach, last 10 endpoints", lat + n - 10, 10);
	/* CPU time is what the machine's load does not add to (waiting for a CPU): the work itself */
	cfirst = report("netd CPU per attach, first 10", cpu, 10);
	clast = report("netd CPU per attach, last 10", cpu + n - 10, 10);
	/* back down to 10 endpoints: the probe there should match the one at 0 unless the machine drifted */
	for (size_t i = 10; i < n; i++) {
		char id[32];

		snprintf(id, sizeof(id), "c%zu", i);
		detach(id);
	}
	/* netd's reaper deletes the detached veths one by one (the kernel's part, ~15 ms each): let it finish */
	{
		long long t0 = bclock_now_ms();
		size_t left;

		while ((left = retired_links()) > 0 && bclock_now_ms() - t0 < 120000)
			usleep(50000);
		printf("detached %zu endpoints; netd's reaper deleted their veths in %.1f s%s\n", n - 10,
		       (double)(bclock_now_ms() - t0) / 1e3, left ? " (gave up waiting)" : "");
	}
	pr10 = probe("back at", 10, probe_ns, &pa10);
	printf("attach last/first median ratio:    %.2f (target <= 1.3); netd CPU per attach: %.2f\n", last / first,
	       clast / cfirst);
	printf("probe attach at %zu / at 0:        %.2f (back at 10 / at 0: %.2f)\n", n, pan / pa0, pa10 / pa0);
	printf("probe attach+detach at %zu / at 0: %.2f (back at 10 / at 0: %.2f)\n", n, prn / pr0, pr10 / pr0);
	printf("netd RSS: %ld KiB at 0 endpoints, %ld KiB at %zu endpoints (target < 8192 KiB)\n", rss0, rssn, n);
	kill(nd.pid, SIGTERM);
	waitpid(nd.pid, NULL, 0);
	return 0;
}
