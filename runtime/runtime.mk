# runtime/: the OCI runtime (libberthrt.a, with cgroup/) and the berth CLI, which links stacks too.
RUNTIME_MAINS := runtime/berth_main.c
RUNTIME_LIB_SRCS := $(filter-out $(RUNTIME_MAINS),$(wildcard runtime/*.c runtime/cgroup/*.c))
# the handlers of berth's commands (runtime/cmd/cmd.h): the program's, as they reach into stack/ too
BERTH_CMD_SRCS := $(wildcard runtime/cmd/*.c)
LIBRUNTIME := $(BUILD)/runtime/libberthrt.a
$(LIBRUNTIME): $(RUNTIME_LIB_SRCS:%.c=$(BUILD)/%.o)
	$(call archive,$@,$^)

# berth is linked statically (static PIE) except under the sanitizers: every
# create/run/exec executes it twice (the second time from its protected view,
# runtime/selfprot.h), and the dynamic loader was a tenth of a run's CPU time
# (docs/performance.md). BERTH_STATIC=0 links it like the other programs.
BERTH_STATIC ?= $(if $(filter 1,$(SANITIZE) $(FUZZ)),0,1)
BERTH_STATIC_LIBS = $(shell $(PKG_CONFIG) --static --libs jansson libseccomp 2>/dev/null)
BERTH_OBJS := $(BUILD)/runtime/berth_main.o $(BERTH_CMD_SRCS:%.c=$(BUILD)/%.o) $(LIBSTACK) $(LIBRUNTIME) $(LIBNETDCLIENT) $(LIBBERTH)

PROGRAMS += $(BUILD)/bin/berth
INSTALL_BINS += $(BUILD)/bin/berth
$(BUILD)/bin/berth: $(BERTH_OBJS)
ifeq ($(BERTH_STATIC),1)
	$(call link_static,$@,$^,$(BERTH_STATIC_LIBS),static,static-pie)
else
	$(call link,$@,$^)
endif

# The same program linked dynamically, for the tests that run it under valgrind (which cannot
# intercept malloc in a static binary).
ifeq ($(BERTH_STATIC),1)
TEST_BINS += $(BUILD)/bin/berth-dynamic
$(BUILD)/bin/berth-dynamic: $(BERTH_OBJS)
	$(call link,$@,$^)
endif

# The OCI runtime-tools validation programs against berth and crun side by side, in the sandbox;
# not part of make check. DIR: a suite built by ../shared/tools/runtime-tools/build.sh DIR.
ifeq ($(RUNTIME_TOOLS),)
oci-validation:
	$(Q)./tests/oci-validation.sh
else
oci-validation: all test-bins
	$(Q)BUILD=$(BUILD) RUNTIME_TOOLS=$(RUNTIME_TOOLS) ./tests/oci-validation.sh
endif
.PHONY: oci-validation
