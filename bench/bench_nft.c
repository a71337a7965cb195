/*
 * bench-nft: what publishing (and unpublishing) one port costs with 10,
 * 1,000 and 10,000 ports already published in table inet berth, in IPv4
 * (pub_any4 / pub_ip4) and in IPv6 (pub_any6 / pub_ip6).
 *
 * The program moves itself into a network namespace of its own first, so it
 * never touches the machine's ruleset; run it as root, normally through
 * `make bench-nft` (inside tests/harness/sandbox). It prints numbers only.
 *
 *   bench-nft [ITERATIONS]      (default 300)
 */
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "bench/bench.h"
#include "netd/engine/nft.h"

static void report(const char *what, size_t base, double *t, size_t n)
{
	bench_sort(t, n);
	printf("%-10s published=%-6zu n=%zu  median=%7.1f us  p10=%7.1f  p90=%7.1f  min=%7.1f  max=%8.1f\n", what, base,
	       n, bench_pct(t, n, 0.5), bench_pct(t, n, 0.1), bench_pct(t, n, 0.9), t[0], t[n - 1]);
}

/* An IPv6 address of fd00:66::/64 (v 0: ::) or 2001:db8::/64 (host) ending in v. */
static struct in6_addr addr6(bool host, uint32_t v)
{
	struct in6_addr a = IN6ADDR_ANY_INIT;

	if (!v)
		return a;
	a.s6_addr[0] = host ? 0x20 : 0xfd;
	a.s6_addr[1] = host ? 0x01 : 0x00;
	a.s6_addr[2] = host ? 0x0d : 0x00;
	a.s6_addr[3] = host ? 0xb8 : 0x66;
	a.s6_addr[12] = (uint8_t)(v >> 24);
	a.s6_addr[13] = (uint8_t)(v >> 16);
	a.s6_addr[14] = (uint8_t)(v >> 8);
	a.s6_addr[15] = (uint8_t)v;
	return a;
}

/* Port i of the background set: distinct host ports, a third of them on one host address only. */
static struct nft_port port_n(size_t i, bool v6)
{
	struct nft_port p = {
		.host_ip = i % 3 == 0 ? 0xc6336402 /* 198.51.100.2 */ : 0,
		.host_port = (uint16_t)(10000 + i),
		.proto = i % 2 ? BPROTO_UDP : BPROTO_TCP,
		.dest_ip = 0x0a420000 | (uint32_t)(2 + i % 65000),
		.dest_port = 80,
	};

	if (v6) {
		p.v6 = true;
		p.host_ip = p.dest_ip = 0;
		p.host_ip6 = addr6(true, i % 3 == 0 ? 2 : 0);
		p.dest_ip6 = addr6(false, (uint32_t)(2 + i));
	}
	return p;
}

/* Untimed: the table holds exactly `want` ports (the numbers mean nothing otherwise). */
static int check_count(struct nft_ctx *ctx, size_t want)
{
	struct nft_port *list = NULL;
	struct berr e = BERR_INIT;
	size_t n = 0;
	int r = nft_ports_list(ctx, &list, &n, &e);

	free(list);
	if (r < 0) {
		fprintf(stderr, "bench-nft: %s\n", e.msg);
		return r;
	}
	if (n != want) {
		fprintf(stderr, "bench-nft: table holds %zu ports, expected %zu\n", n, want);
		return -EIO;
	}
	return 0;
}

static int run(struct nft_ctx *ctx, size_t base, size_t iters, bool v6)
{
	struct nft_network net = {.bridge = "berth0", .subnet = {0x0a420000, 16}, .masquerade = true};
	struct nft_port *ports = calloc(base, sizeof(*ports));
	double *add = calloc(iters, sizeof(double)), *del = calloc(iters, sizeof(double));
	struct berr e = BERR_INIT;
	int r = -ENOMEM;

	if (!ports || !add || !del)
		goto out;
	net.subnet6.addr = addr6(false, 0);
	net.subnet6.addr.s6_addr[0] = 0xfd;
	net.subnet6.addr.s6_addr[3] = 0x66;
	net.subnet6.prefix = 64;
	net.masquerade6 = true;
	for (size_t i = 0; i < base; i++)
		ports[i] = port_n(i, v6);
	r = nft_rebuild(ctx, &net, 1, NULL, 0, ports, base, &e);
	if (r < 0) {
		fprintf(stderr, "bench-nft: %s\n", e.msg);
		goto out;
	}
	for (size_t i = 0; i < iters; i++) {
		struct nft_port p = {.host_port = (uint16_t)(60000 + i % 5000),
				     .proto = BPROTO_TCP,
				     .dest_ip = 0x0a420002,
				     .dest_port = 8080};
		double t0;

		if (v6) {
			p.v6 = true;
			p.dest_ip = 0;
			p.dest_ip6 = addr6(false, 2);
		}
		t0 = bclock_now_us();

		r = nft_ports_add(ctx, &p, 1, &e);
		add[i] = bclock_now_us() - t0;
		if (r == 0 && i == 0)
			r = check_count(ctx, base + 1);
		if (r == 0) {
			t0 = bclock_now_us();
			r = nft_ports_del(ctx, &p, 1, &e);
			del[i] = bclock_now_us() - t0;
		}
		if (r < 0) {
			fprintf(stderr, "bench-nft: %s\n", e.msg);
			goto out;
		}
	}
	r = check_count(ctx, base);
	if (r < 0)
		goto out;
	report(v6 ? "publish6" : "publish", base, add, iters);
	report(v6 ? "unpublish6" : "unpublish", base, del, iters);
out:
	free(ports);
	free(add);
	free(del);
	return r;
}

int main(int argc, char **argv)
{
	static const size_t bases[] = {10, 1000, 10000};
	size_t iters = 300;
	struct nft_ctx *ctx = NULL;
	struct berr e = BERR_INIT;

	if (argc > 1) {
		uint64_t v;

		if (bparse_u64(argv[1], 10, 100000, &v) < 0) {
			fprintf(stderr, "usage: bench-nft [ITERATIONS (10-100000)]\n");
			return 2;
		}
		iters = (size_t)v;
	}
	/* A namespace of its own: the machine's ruleset is never touched. */
	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "bench-nft: unshare(CLONE_NEWNET): %s (run as root)\n", strerror(errno));
		return 1;
	}
	if (nft_open(-1, &ctx, &e) < 0) {
		fprintf(stderr, "bench-nft: %s\n", e.msg);
		return 1;
	}
	printf("bench-nft: one port published then unpublished, one atomic batch each, %zu times per size\n", iters);
	for (int v6 = 0; v6 < 2; v6++)
		for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++)
			if (run(ctx, bases[i], iters, v6) < 0) {
				nft_close(ctx);
				return 1;
			}
	nft_close(ctx);
	return 0;
}
