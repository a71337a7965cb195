# bench/: benchmarks against the peers installed on this machine (see docs/performance.md).

# berth-cni ADD+DEL latency against the reference chain bridge + host-local + portmap (N=30 runs each).
bench-cni: deps-bench
	$(Q)$(MAKE) --no-print-directory all test-bins
	$(Q)BERTH_BIN_DIR=$(abspath $(BUILD)/bin) $(SANDBOX) --timeout 600 bash bench/bench_cni.sh

.PHONY: bench-cni
