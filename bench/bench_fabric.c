/*
 * bench-fabric: the fabric benchmark's two precise parts, driven by
 * bench/bench_fabric.sh (make bench-fabric) inside the sandbox.
 *
 *   bench-fabric inject --etcd URL --network NAME --count N [--ttl S]
 *       N fake hosts in etcd, each alive (nodes/<name>) and holding one
 *       block of the network (blocks/...), all on one new lease, put in
 *       transactions of 100 keys; blocks other hosts hold are skipped.
 *       Prints the lease id (decimal): revoking it removes them all.
 *   bench-fabric attach --socket SOCK [-n N] [--samples FILE] NET...
 *       N rounds of attach + detach through netd's socket (the namespace
 *       passed by SCM_RIGHTS, as the runtime does), the networks taking
 *       turns (each first in its round in turn); medians per network and
 *       their ratio to the first's.
 *       --samples FILE: "attach NET US" per attach.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "clock.h"
#include "netd/client/client.h"
#include "netd/fabric/etcd.h"
#include "netd/fabric/kernel.h"
#include "netd/fabric/model.h"

#define TXN_KEYS 100

static int usage(void)
{
	fprintf(stderr, "usage: bench-fabric inject --etcd URL --network NAME --count N [--ttl S]\n"
			"       bench-fabric attach --socket SOCK [-n N] [--samples FILE] NET...\n");
	return 2;
}

static int die(const char *what, const struct berr *e)
{
	fprintf(stderr, "bench-fabric: %s: %s\n", what, berr_message(e));
	return 1;
}

/* The blocks of the network already taken (by real hosts). */
static int taken_blocks(struct etcd *c, const char *net, struct fabric_blk **ret, size_t *ret_n, struct berr *e)
{
	char prefix[FABRIC_KEY_MAX];
	struct etcd_kvs kvs = {0};
	struct fabric_blk *v;
	size_t k = 0;
	int r;

	fabric_key_blocks(prefix, sizeof(prefix), net);
	r = etcd_range(c, prefix, true, &kvs, e);
	if (r < 0)
		return r;
	v = calloc(kvs.n + 1, sizeof(*v));
	if (!v) {
		etcd_kvs_clear(&kvs);
		return berr_oom(e);
	}
	for (size_t i = 0; i < kvs.n; i++) {
		struct fabric_key key;

		if (fabric_key_parse(kvs.v[i].key, &key) == FK_BLOCK)
			v[k++] = key.block;
	}
	etcd_kvs_clear(&kvs);
	*ret = v;
	*ret_n = k;
	return 0;
}

static bool is_taken(const struct fabric_blk *v, size_t n, const struct fabric_blk *b)
{
	for (size_t i = 0; i < n; i++)
		if (fabric_blk_eq(&v[i], b))
			return true;
	return false;
}

/* Send the puts gathered so far as one transaction. */
static int flush(struct etcd *c, struct etcd_op *ops, char **vals, size_t *n, struct berr *e)
{
	bool ok = false;
	int r = *n ? etcd_txn(c, NULL, 0, ops, *n, NULL, 0, &ok, NULL, e) : 0;

	for (size_t i = 0; i < *n; i++) {
		free((char *)ops[i].key);
		free(vals[i]);
	}
	*n = 0;
	return r;
}

static int add_put(struct etcd_op *ops, char **vals, size_t *n, const char *key, char *val, int64_t lease)
{
	char *k = strdup(key);

	if (!k || !val) {
		free(k);
		free(val);
		return -ENOMEM;
	}
	vals[*n] = val;
	ops[*n] =
		(struct etcd_op){.type = ETCD_OP_PUT, .key = k, .value = val, .value_len = strlen(val), .lease = lease};
	(*n)++;
	return 0;
}

static int cmd_inject(int argc, char **argv)
{
	const char *url = NULL, *net = NULL;
	long count = 0, ttl = 600;
	struct etcd_opts o = {.n_endpoints = 1, .timeout_ms = 10000};
	struct berr e = BERR_INIT;
	struct etcd *c = NULL;
	struct etcd_kvs kvs = {0};
	struct fabric_net def;
	struct fabric_blk *taken = NULL;
	struct etcd_op ops[TXN_KEYS];
	char *vals[TXN_KEYS], key[FABRIC_KEY_MAX];
	size_t n_taken = 0, n = 0;
	int64_t lease = 0;
	uint32_t slot = 0;
	long long t0;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--etcd") == 0 && i + 1 < argc)
			url = argv[++i];
		else if (strcmp(argv[i], "--network") == 0 && i + 1 < argc)
			net = argv[++i];
		else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
			count = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--ttl") == 0 && i + 1 < argc)
			ttl = strtol(argv[++i], NULL, 10);
		else
			return usage();
	}
	if (!url || !net || count < 1 || count > 60000)
		return usage();
	o.endpoints = &url;
	if (etcd_open(&o, &c, &e) < 0)
		return die("etcd", &e);
	fabric_key_network(key, sizeof(key), net);
	if (etcd_range(c, key, false, &kvs, &e) < 0 || kvs.n != 1)
		return die(kvs.n ? "read the network" : "no such fabric network", &e);
	if (fabric_net_from_json(kvs.v[0].value, kvs.v[0].value_len, &def, &e) < 0)
		return die("the network's record", &e);
	etcd_kvs_clear(&kvs);
	if (taken_blocks(c, net, &taken, &n_taken, &e) < 0 || etcd_lease_grant(c, ttl, 0, &lease, &e) < 0)
		return die("etcd", &e);
	t0 = bclock_now_ms();
	for (long i = 0; i < count; i++) {
		struct fabric_node node = {.started = 1};
		struct fabric_block blk = {0};
		struct fabric_blk b;

		do {
			if (slot >= fabric_block_count(&def, false)) {
				fprintf(stderr, "bench-fabric: the network has no block left for host %ld\n", i);
				return 1;
			}
			b = fabric_block_nth(&def, false, slot++);
		} while (is_taken(taken, n_taken, &b));
		snprintf(node.node, sizeof(node.node), "fake%05ld", i);
		/* underlay addresses from 198.18.0.0/15 (benchmarking), never routed anywhere here */
		node.underlay.v4 = 0xc6120000u + (uint32_t)i + 1;
		snprintf(blk.node, sizeof(blk.node), "%s", node.node);
		blk.underlay = node.underlay;
		fk_vtep_mac(def.vni, &blk.underlay, blk.vtep_mac);
		fabric_key_node(key, sizeof(key), node.node);
		if (add_put(ops, vals, &n, key, fabric_node_to_json(&node), lease) < 0)
			return 1;
		fabric_key_block(key, sizeof(key), net, &b);
		if (add_put(ops, vals, &n, key, fabric_block_to_json(&blk), lease) < 0)
			return 1;
		if (n + 2 > TXN_KEYS && flush(c, ops, vals, &n, &e) < 0)
			return die("put", &e);
	}
	if (flush(c, ops, vals, &n, &e) < 0)
		return die("put", &e);
	fprintf(stderr, "bench-fabric: %ld hosts and their blocks put in %lld ms\n", count, bclock_now_ms() - t0);
	printf("%" PRId64 "\n", lease);
	free(taken);
	etcd_close(c);
	return 0;
}

static double attach_once(const char *sock, const char *net, const char *id, int nsfd)
{
	struct netd_attach_args a = {.id = id, .network = net};
	struct berr e = BERR_INIT;
	json_t *res = NULL;
	double t0 = bclock_now_us();

	if (netd_client_attach(sock, &a, nsfd, &res, &e) < 0) {
		fprintf(stderr, "bench-fabric: attach %s to %s: %s\n", id, net, berr_message(&e));
		exit(1);
	}
	t0 = bclock_now_us() - t0;
	json_decref(res);
	if (netd_client_detach(sock, id, net, &e) < 0) {
		fprintf(stderr, "bench-fabric: detach %s: %s\n", id, berr_message(&e));
		exit(1);
	}
	return t0;
}

static int cmd_attach(int argc, char **argv)
{
	const char *sock = NULL, *samples = NULL, *nets[8];
	size_t n_nets = 0, rounds = 40;
	double *t[8], med[8];
	FILE *out = NULL;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
			sock = argv[++i];
		else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			rounds = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--samples") == 0 && i + 1 < argc)
			samples = argv[++i];
		else if (argv[i][0] != '-' && n_nets < 8)
			nets[n_nets++] = argv[i];
		else
			return usage();
	}
	if (!sock || !n_nets || rounds < 2)
		return usage();
	if (samples && !(out = fopen(samples, "ae"))) {
		perror(samples);
		return 1;
	}
	for (size_t k = 0; k < n_nets; k++)
		t[k] = calloc(rounds, sizeof(double));
	for (size_t i = 0; i < rounds; i++) {
		/* each network first in its turn: the reaper's deletion of the last veth hits them alike */
		for (size_t j = 0; j < n_nets; j++) {
			size_t k = (i + j) % n_nets;
			int ns = bench_new_netns();
			char id[32];

			if (ns < 0) {
				perror("bench-fabric: namespace");
				return 1;
			}
			snprintf(id, sizeof(id), "bf%zu-%zu", k, i);
			t[k][i] = attach_once(sock, nets[k], id, ns);
			close(ns);
			if (out)
				fprintf(out, "attach %s %.1f\n", nets[k], t[k][i]);
		}
	}
	for (size_t k = 0; k < n_nets; k++) {
		bench_sort(t[k], rounds);
		med[k] = bench_pct(t[k], rounds, 0.5);
		printf("attach to %-12s n=%zu median=%8.1f us  p10=%8.1f  p90=%8.1f  (/ %s: %.2f)\n", nets[k], rounds,
		       med[k], bench_pct(t[k], rounds, 0.1), bench_pct(t[k], rounds, 0.9), nets[0], med[k] / med[0]);
		free(t[k]);
	}
	if (out)
		fclose(out);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "inject") == 0)
		return cmd_inject(argc, argv);
	if (strcmp(argv[1], "attach") == 0)
		return cmd_attach(argc, argv);
	return usage();
}
