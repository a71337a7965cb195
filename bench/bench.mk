# bench/: benchmarks against the peers installed on this machine (see docs/performance.md).
# Not part of `make all`: the bench programs are built by the bench targets that run them (bench-bins builds both).
BENCH_BINS :=

# bench-nft: cost of publishing / unpublishing one port with 10, 1,000 and 10,000 published.
BENCH_NFT := $(BUILD)/bin/bench-nft
BENCH_BINS += $(BENCH_NFT)
$(BENCH_NFT): $(BUILD)/bench/bench_nft.o $(LIBENGINE) $(LIBBERTH)
	$(call link,$@,$^)

# Runs inside the sandbox (and the program unshares a network namespace of its own).
bench-nft: $(BENCH_NFT) $(SANDBOX)
	$(Q)$(SANDBOX) $(BENCH_NFT) $(BENCH_ARGS)

.PHONY: bench-nft

# bench-attach: attach / detach latency through netd with one published port, first ten vs. at N
# endpoints, and netd's resident memory (bench/bench_attach.c; BENCH_ARGS=-6: on a dual-stack network).
BENCH_ATTACH := $(BUILD)/bin/bench-attach
BENCH_BINS += $(BENCH_ATTACH)
$(BENCH_ATTACH): $(BUILD)/bench/bench_attach.o $(LIBNETDCLIENT) $(LIBBERTH)
	$(call link,$@,$^)

bench-attach: $(BENCH_ATTACH) $(BUILD)/bin/netd $(SANDBOX)
	$(Q)$(SANDBOX) $(BENCH_ATTACH) $(BENCH_ARGS)

.PHONY: bench-attach

# bench-dns: netd's DNS with 1,000 named endpoints: answer time of a local name (median, p99),
# answers per second on one core, and how soon a name resolves after its attach (bench/bench_dns.c).
BENCH_DNS := $(BUILD)/bin/bench-dns
BENCH_BINS += $(BENCH_DNS)
$(BENCH_DNS): $(BUILD)/bench/bench_dns.o $(LIBNETDCLIENT) $(LIBENGINE) $(LIBBERTH)
	$(call link,$@,$^)

bench-dns: $(BENCH_DNS) $(BUILD)/bin/netd $(SANDBOX)
	$(Q)$(SANDBOX) --timeout 900 $(BENCH_DNS) $(BENCH_ARGS)

.PHONY: bench-dns

# bench-fabric: the fabric across simulated hosts (bench/bench_fabric.sh): a new host reachable from every
# peer, 50 hosts to a full mesh, a resync of 1,000 peers in netd CPU, attach on a fabric network against a
# local one, TCP across hosts through VXLAN and host-gw against the same host, netd's memory with 50 peers.
BENCH_FABRIC := $(BUILD)/bin/bench-fabric
BENCH_BINS += $(BENCH_FABRIC)
$(BENCH_FABRIC): $(BUILD)/bench/bench_fabric.o $(LIBNETDCLIENT) $(LIBFABRIC) $(LIBENGINE) $(LIBBERTH)
	$(call link,$@,$^)

bench-fabric: $(BENCH_FABRIC) $(BUILD)/bin/netd $(BUILD)/bin/netctl $(SANDBOX) $(TSTNET)
	$(Q)BERTH_BIN_DIR=$(abspath $(BUILD)/bin) $(SANDBOX) --timeout 1800 bash bench/bench_fabric.sh

.PHONY: bench-fabric

# bench-run: wall time of `run` of /bin/true with all eight namespaces, user mappings and memory, pids
# and cpu limits, berth against crun and runc (medians; bench/bench_run.sh, RUNS=N to change the count).
bench-run: $(BUILD)/bin/berth $(SANDBOX)
	$(Q)BUILD=$(BUILD) RUNS=$(or $(RUNS),40) ./bench/bench_run.sh

.PHONY: bench-run

# berth-cni ADD+DEL latency against the reference chain bridge + host-local + portmap (N=30 runs each).
bench-cni: deps-bench
	$(Q)$(MAKE) --no-print-directory all test-bins
	$(Q)BERTH_BIN_DIR=$(abspath $(BUILD)/bin) $(SANDBOX) --timeout 600 bash bench/bench_cni.sh

.PHONY: bench-cni

# bench-iperf: TCP throughput (iperf3) through a published port and to the container's own address.
bench-iperf: $(BUILD)/bin/netd $(BUILD)/bin/netctl $(SANDBOX)
	$(Q)BERTH_BIN_DIR=$(abspath $(BUILD)/bin) $(SANDBOX) --timeout 600 bash bench/bench_iperf.sh

# bench: every benchmark above, one table with the peers side by side and the ratios first;
# results in bench/results/ (docs/performance.md, "Reading make bench"). BENCH_QUICK=1: a quick pass.
bench: deps-bench
	$(Q)$(MAKE) --no-print-directory all test-bins bench-bins
	$(Q)BUILD=$(BUILD) ./bench/run.sh

bench-bins: $(BENCH_BINS)

.PHONY: bench-iperf bench bench-bins

# bench-attach-kernel: the kernel's share of an attach as a bridge fills, without netd (iproute2 in
# batches; bench/bench_attach_kernel.sh, N=1000 K=8 R=5 STEPS=4, IPV6=1 for the old IPv6-on behaviour,
# IPV6=2 for dual stack as netd configures it).
bench-attach-kernel: $(SANDBOX)
	$(Q)$(SANDBOX) --timeout 900 bash bench/bench_attach_kernel.sh

.PHONY: bench-attach-kernel
