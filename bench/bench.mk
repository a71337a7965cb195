# bench/: benchmarks against the peers installed on this machine (see docs/performance.md).

# bench-nft: cost of publishing / unpublishing one port with 10, 1,000 and 10,000 published.
BENCH_NFT := $(BUILD)/bin/bench-nft
PROGRAMS += $(BENCH_NFT)
$(BENCH_NFT): $(BUILD)/bench/bench_nft.o $(LIBNETD) $(LIBBERTH)
	$(call link,$@,$^)

# Runs inside the sandbox (and the program unshares a network namespace of its own).
bench-nft: $(BENCH_NFT) $(SANDBOX)
	$(Q)$(SANDBOX) $(BENCH_NFT) $(BENCH_ARGS)

.PHONY: bench-nft
