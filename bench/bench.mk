# bench/: benchmarks against the peers installed on this machine (see docs/performance.md).
