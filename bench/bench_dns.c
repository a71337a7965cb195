/*
 * bench-dns: netd's DNS server with N endpoints (default 1,000) on the
 * network, each with a name and an alias. Prints:
 *   - the answer time of a local name seen from a container (UDP, one
 *     query at a time): median, p10, p90, p99;
 *   - answers per second with 32 queries in flight, and per second of CPU
 *     of netd's DNS thread ("on one core");
 *   - how soon a name resolves after its attach returned: through netd's
 *     socket (the runtime's way) and by another process on the same state
 *     directory (berth-cni's way, seen through netd's watch on the store).
 *
 * Run as root through `make bench-dns` (inside tests/harness/sandbox): it
 * starts its own netd on a scratch state directory, with no nameserver to
 * forward to, and makes its namespaces itself (held by fds).
 *
 *   bench-dns [-6] [-n ENDPOINTS] [-q QUERIES] [--samples FILE]
 *
 * -6: the network is dual-stack (fd00:66::/64 beside 10.66.0.0/16) and
 * every query goes to its IPv6 gateway (IPv6 transport).
 *
 * --samples FILE: every raw figure, one per line ("local US",
 * "visible-netd US", "visible-cni US", "rate ANSWERS-PER-S", "rate-cpu
 * ANSWERS-PER-CPU-S"), for bench/run.sh.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench.h"
#include "clock.h"
#include "netd/client/client.h"
#include "netd/engine/engine.h"
#include "netns.h"

#define GW "10.66.0.1"
#define GW6 "fd00:66::1"
#define VISIBLE 20
#define WINDOW 32

static struct bench_netd nd;
static FILE *samples;

static void report(const char *what, double *t, size_t n)
{
	bench_sort(t, n);
	printf("%-36s n=%-6zu median=%8.1f us  p10=%8.1f  p90=%8.1f  p99=%8.1f  max=%9.1f\n", what, n,
	       bench_pct(t, n, 0.5), bench_pct(t, n, 0.1), bench_pct(t, n, 0.9), bench_pct(t, n, 0.99), t[n - 1]);
}

static void sample(const char *key, double v)
{
	if (samples)
		fprintf(samples, "%s %.1f\n", key, v);
}

static void attach(const char *id, const char *name, const char *alias, int nsfd)
{
	const char *aliases[] = {alias, NULL};
	struct netd_attach_args a = {.id = id, .name = name, .aliases = alias ? aliases : NULL};
	struct berr e = BERR_INIT;
	json_t *res = NULL;

	if (netd_client_attach(nd.sock, &a, nsfd, &res, &e) < 0) {
		fprintf(stderr, "bench-dns: attach %s: %s\n", id, e.msg);
		exit(1);
	}
	json_decref(res);
}

/* A query for name, type A, with id, into buf; its length. */
static size_t query(uint8_t *buf, uint16_t id, const char *name)
{
	size_t n = 12;

	memset(buf, 0, 12);
	buf[0] = (uint8_t)(id >> 8);
	buf[1] = (uint8_t)id;
	buf[2] = 0x01; /* RD */
	buf[5] = 1;
	for (const char *p = name; *p;) {
		const char *dot = strchrnul(p, '.');

		buf[n++] = (uint8_t)(dot - p);
		memcpy(buf + n, p, (size_t)(dot - p));
		n += (size_t)(dot - p);
		p = *dot ? dot + 1 : dot;
	}
	buf[n++] = 0;
	buf[n++] = 0;
	buf[n++] = 1;
	buf[n++] = 0;
	buf[n++] = 1;
	return n;
}

/* NOERROR with at least one answer, for id. */
static bool answered(const uint8_t *buf, ssize_t n, uint16_t id)
{
	return n >= 12 && buf[0] == (uint8_t)(id >> 8) && buf[1] == (uint8_t)id && (buf[3] & 0x0f) == 0 &&
	       (buf[6] | buf[7]) != 0;
}

/* One query and its answer; the time it took in us, or -1 without a positive answer within timeout_ms. */
static double ask(int fd, const char *name, int timeout_ms)
{
	static uint16_t next = 1;
	uint8_t q[300], a[1500];
	uint16_t id = next++;
	size_t len = query(q, id, name);
	double t0 = bclock_now_us();
	struct pollfd p = {.fd = fd, .events = POLLIN};

	if (send(fd, q, len, 0) < 0)
		return -1;
	while (poll(&p, 1, timeout_ms) == 1) {
		ssize_t n = recv(fd, a, sizeof(a), 0);

		if (n >= 2 && a[0] == q[0] && a[1] == q[1])
			return answered(a, n, id) ? bclock_now_us() - t0 : -1;
	}
	return -1;
}

/* CPU time of netd's DNS thread (named netd-dns) in us. */
static double dns_cpu_us(pid_t pid)
{
	char path[128], comm[32];
	unsigned long long ns = 0;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", (int)pid, de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && strncmp(comm, "netd-dns", 8) == 0) {
			fclose(f);
			snprintf(path, sizeof(path), "/proc/%d/task/%s/schedstat", (int)pid, de->d_name);
			f = fopen(path, "re");
			if (f && fscanf(f, "%llu", &ns) != 1)
				ns = 0;
		}
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return (double)ns / 1e3;
}

/* Queries for random names with WINDOW in flight for secs seconds: answers per second. */
static double throughput(int fd, size_t n, double secs, size_t *ret_answers)
{
	uint8_t q[300], a[1500];
	char name[32];
	double t0 = bclock_now_us(), end = t0 + secs * 1e6;
	size_t answers = 0, inflight = 0;
	uint16_t id = 0x8000;
	struct pollfd p = {.fd = fd, .events = POLLIN};

	while (bclock_now_us() < end) {
		while (inflight < WINDOW) {
			snprintf(name, sizeof(name), "c%zu", (size_t)rand() % n);
			if (send(fd, q, query(q, id++, name), 0) < 0)
				break;
			inflight++;
		}
		if (poll(&p, 1, 100) != 1) {
			inflight = 0; /* lost: start the window again */
			continue;
		}
		while (recv(fd, a, sizeof(a), MSG_DONTWAIT) > 0) {
			answers++;
			inflight--;
		}
	}
	*ret_answers = answers;
	return (double)answers / ((bclock_now_us() - t0) / 1e6);
}

/* berth-cni's way: another process attaches through the engine on the same state directory. */
static void cni_attach(const char *id, const char *name, int nsfd)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		struct eng_opts o = {.state_dir = nd.state, .handoff_link_removal = true};
		struct eng_attach a = {.network = "berth0", .id = id, .netns_fd = nsfd, .name = name};
		struct berr e = BERR_INIT;
		struct eng *eng;

		if (eng_open(&o, &eng, &e) < 0 || eng_attach(eng, &a, NULL, &e) < 0) {
			fprintf(stderr, "bench-dns: engine attach %s: %s\n", id, e.msg);
			_exit(1);
		}
		eng_close(eng);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		exit(1);
}

/* Attach VISIBLE new names one way or the other; after each returns, ask until it resolves. */
static double visibility(const char *how, int qfd, bool via_cni, double *t)
{
	for (int i = 0; i < VISIBLE; i++) {
		char id[32];
		int nsfd = bench_new_netns();
		double t0, dt = -1;

		snprintf(id, sizeof(id), "%s%d", how, i);
		if (via_cni)
			cni_attach(id, id, nsfd);
		else
			attach(id, id, NULL, nsfd);
		t0 = bclock_now_us();
		while (bclock_now_us() - t0 < 2e6 && (dt = ask(qfd, id, 200)) < 0)
			;
		close(nsfd);
		if (dt < 0) {
			fprintf(stderr, "bench-dns: %s never resolved\n", id);
			exit(1);
		}
		t[i] = bclock_now_us() - t0;
		sample(via_cni ? "visible-cni" : "visible-netd", t[i]);
	}
	bench_sort(t, VISIBLE);
	return bench_pct(t, VISIBLE, 0.5);
}

int main(int argc, char **argv)
{
	size_t n = 1000, nq = 20000, answers = 0;
	char netd[PATH_MAX], path[PATH_MAX];
	const char *base = getenv("TMPDIR"), *samples_path = NULL;
	struct sockaddr_in gw = {.sin_family = AF_INET, .sin_port = htons(53)};
	struct sockaddr_in6 gw6 = {.sin6_family = AF_INET6, .sin6_port = htons(53)};
	bool v6 = false;
	struct berr e = BERR_INIT;
	double *lat, vis_netd[VISIBLE], vis_cni[VISIBLE], rate, cpu0, cpu, med, p99, vn, vc;
	int client_ns, qfd;
	struct rlimit rl;
	FILE *f;

	snprintf(netd, sizeof(netd), "%s", argv[0]);
	*strrchr(netd, '/') = '\0';
	strncat(netd, "/netd", sizeof(netd) - strlen(netd) - 1);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-6") == 0)
			v6 = true;
		else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			n = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "-q") == 0 && i + 1 < argc)
			nq = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--samples") == 0 && i + 1 < argc)
			samples_path = argv[++i];
		else {
			fprintf(stderr, "usage: bench-dns [-6] [-n ENDPOINTS] [-q QUERIES] [--samples FILE]\n");
			return 2;
		}
	}
	if (n < 1 || n > 60000 || nq < 100) {
		fprintf(stderr, "bench-dns: -n must be 1..60000, -q at least 100\n");
		return 2;
	}
	if (!getenv("BERTH_SANDBOX")) {
		fprintf(stderr, "bench-dns: run it inside the sandbox (make bench-dns)\n");
		return 2;
	}
	if (samples_path && !(samples = fopen(samples_path, "we"))) {
		perror(samples_path);
		return 1;
	}
	rl.rlim_cur = rl.rlim_max = n + 256;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (!bench_netd_dir(&nd, "bench-dns", base))
		return 1;
	snprintf(path, sizeof(path), "%s/resolv.conf", nd.dir);
	/* nothing to forward to: the bench asks local names only */
	f = fopen(path, "we");
	if (f)
		fclose(f);
	f = fopen(nd.cfg, "we");
	if (!f)
		return 1;
	fprintf(f, "{\"dns\": {\"resolv_conf\": \"%s\"}%s}\n", path,
		v6 ? ", \"networks\": [{\"name\": \"berth0\", \"subnet\": \"10.66.0.0/16\", \"subnet6\": "
		     "\"fd00:66::/64\"}]"
		   : "");
	fclose(f);
	if (!bench_netd_start(&nd, netd, true, "bench-dns"))
		return 1;
	client_ns = bench_new_netns();
	attach("client", "client", NULL, client_ns);
	printf("bench-dns: %zu endpoints on one network, each with a name and an alias; queries from a container%s\n",
	       n, v6 ? " (dual stack, over IPv6)" : "");
	for (size_t i = 0; i < n; i++) {
		char id[32], alias[32];
		int ns = bench_new_netns();

		if (ns < 0) {
			fprintf(stderr, "bench-dns: namespace %zu: %s\n", i, strerror(errno));
			return 1;
		}
		snprintf(id, sizeof(id), "c%zu", i);
		snprintf(alias, sizeof(alias), "a%zu", i);
		attach(id, id, alias, ns);
		close(ns);
	}
	inet_pton(AF_INET, GW, &gw.sin_addr);
	inet_pton(AF_INET6, GW6, &gw6.sin6_addr);
	if (bns_socket(client_ns, v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0, &qfd, &e) < 0 ||
	    (v6 ? connect(qfd, (struct sockaddr *)&gw6, sizeof(gw6))
		: connect(qfd, (struct sockaddr *)&gw, sizeof(gw))) < 0) {
		fprintf(stderr, "bench-dns: a socket in the client's namespace: %s\n",
			e.msg[0] ? e.msg : strerror(errno));
		return 1;
	}
	/* warm up, then one query at a time */
	for (int i = 0; i < 200; i++)
		ask(qfd, "c0", 1000);
	lat = calloc(nq, sizeof(*lat));
	for (size_t i = 0; i < nq; i++) {
		char name[32];

		snprintf(name, sizeof(name), "%c%zu", i % 2 ? 'a' : 'c', (size_t)rand() % n);
		lat[i] = ask(qfd, name, 1000);
		if (lat[i] < 0) {
			fprintf(stderr, "bench-dns: %s did not resolve\n", name);
			return 1;
		}
		sample("local", lat[i]);
	}
	report(v6 ? "answer, local name (UDP over IPv6)" : "answer, local name (UDP)", lat, nq);
	med = bench_pct(lat, nq, 0.5);
	p99 = bench_pct(lat, nq, 0.99);
	cpu0 = dns_cpu_us(nd.pid);
	rate = throughput(qfd, n, 2.0, &answers);
	cpu = dns_cpu_us(nd.pid) - cpu0;
	printf("answers per second, %d in flight:    %.0f (%zu answers; DNS thread busy %.0f%% of it)\n", WINDOW, rate,
	       answers, cpu > 0 ? 100.0 * cpu / 2e6 : 0.0);
	printf("answers per second of the DNS thread: %.0f (one core)\n",
	       cpu > 0 ? (double)answers / (cpu / 1e6) : 0.0);
	if (samples) {
		fprintf(samples, "rate %.0f\n", rate);
		fprintf(samples, "rate-cpu %.0f\n", cpu > 0 ? (double)answers / (cpu / 1e6) : 0.0);
	}
	vn = visibility("fresh", qfd, false, vis_netd);
	report("name visible after attach (netd)", vis_netd, VISIBLE);
	vc = visibility("cnipod", qfd, true, vis_cni);
	report("name visible after ADD (berth-cni)", vis_cni, VISIBLE);
	printf("targets: median %.0f us (< 200), p99 %.0f us (< 1000), %.0f answers/s per core (>= 20000), visible "
	       "after %.1f / %.1f ms (< 50)\n",
	       med, p99, cpu > 0 ? (double)answers / (cpu / 1e6) : 0.0, vn / 1e3, vc / 1e3);
	if (samples)
		fclose(samples);
	kill(nd.pid, SIGTERM);
	waitpid(nd.pid, NULL, 0);
	return 0;
}
