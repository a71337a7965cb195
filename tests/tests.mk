# tests/: Criterion suites (unit/, netns/), shell integration tests, the sandbox.
TEST_CFLAGS = $(CRITERION_CFLAGS) -Itests/harness
# Archives in link order: front ends before what they stand on, lib last.
TEST_LIBS = $(LIBCNI) $(LIBSTACK) $(LIBRUNTIME) $(LIBNETCTL) $(LIBNETDCLIENT) $(LIBNETDAEMON) $(LIBFABRIC) $(LIBENGINE) $(LIBBERTH)

$(BUILD)/tests/%.o: ALL_CFLAGS += $(TEST_CFLAGS)

SANDBOX := $(BUILD)/bin/sandbox
$(SANDBOX): $(BUILD)/tests/harness/sandbox.o $(LIBBERTH)
	$(call link,$@,$^)

TSTNET := $(BUILD)/bin/tst-net
$(TSTNET): $(BUILD)/tests/harness/tstnet.o $(BUILD)/tests/harness/traffic.o $(LIBBERTH)
	$(call link,$@,$^)

TSTCONSOLE := $(BUILD)/bin/tst-console
$(TSTCONSOLE): $(BUILD)/tests/harness/tstconsole.o $(LIBBERTH)
	$(call link,$@,$^)

TSTDNS := $(BUILD)/bin/tst-dns
$(TSTDNS): $(BUILD)/tests/harness/tstdns.o
	$(call link,$@,$^)

HARNESS_OBJS := $(BUILD)/tests/harness/tst.o $(BUILD)/tests/harness/traffic.o $(BUILD)/tests/harness/tstetcd.o

UNIT_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/unit/*.c))
UNIT_BIN := $(BUILD)/bin/test-unit
$(UNIT_BIN): $(UNIT_OBJS) $(HARNESS_OBJS) $(TEST_LIBS)
	$(call link,$@,$(UNIT_OBJS) $(HARNESS_OBJS) $(TEST_LIBS),$(CRITERION_LIBS))

NETNS_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/netns/*.c))
NETNS_BIN := $(BUILD)/bin/test-netns
$(NETNS_BIN): $(NETNS_OBJS) $(HARNESS_OBJS) $(TEST_LIBS)
	$(call link,$@,$(NETNS_OBJS) $(HARNESS_OBJS) $(TEST_LIBS),$(CRITERION_LIBS))

TEST_BINS += $(SANDBOX) $(TSTNET) $(TSTCONSOLE) $(TSTDNS) $(UNIT_BIN) $(NETNS_BIN)

# Runs every suite; `make check` is deps + build + this.
run-tests: all test-bins
	$(Q)BUILD=$(BUILD) ./tests/run.sh

.PHONY: test-bins run-tests

# The long variants of the fault tests (make check runs short ones): netd killed -9 in 150 rounds
# of attach/detach churn, berth-cni killed in 150 ADDs, 500 attach/detach cycles and 500 container
# runs, then the leak checks again with sanitized binaries (LeakSanitizer on netd, netctl,
# berth-cni and berth).
check-long: deps-test
	$(Q)$(MAKE) --no-print-directory all test-bins
	$(Q)BUILD=$(BUILD) T=t-fault SUITES=integration T_TIMEOUT=3600 BERTH_FAULT_ROUNDS=$(or $(ROUNDS),150) \
		BERTH_FAULT_CYCLES=$(or $(CYCLES),500) ./tests/run.sh
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 all test-bins
	$(Q)BUILD=build/san T=t-fault-leaks SUITES=integration T_TIMEOUT=3600 ./tests/run.sh

.PHONY: check-long
