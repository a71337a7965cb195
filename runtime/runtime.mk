# runtime/: the container runtime core (libberthrt.a) and the berth CLI.
RUNTIME_MAINS := runtime/berth_main.c
RUNTIME_LIB_SRCS := $(filter-out $(RUNTIME_MAINS),$(wildcard runtime/*.c))
LIBRUNTIME := $(if $(RUNTIME_LIB_SRCS),$(BUILD)/runtime/libberthrt.a)

ifneq ($(RUNTIME_LIB_SRCS),)
$(LIBRUNTIME): $(RUNTIME_LIB_SRCS:%.c=$(BUILD)/%.o)
	$(call archive,$@,$^)
endif

# berth is linked statically (static PIE) except under the sanitizers: every
# create/run/exec executes it twice (the second time from its protected view,
# runtime/selfprot.h), and the dynamic loader was a tenth of a run's CPU time
# (docs/performance.md). BERTH_STATIC=0 links it like the other programs.
BERTH_STATIC ?= $(if $(filter 1,$(SANITIZE) $(FUZZ)),0,1)
RT_COMMA := ,
BERTH_STATIC_LIBS = $(shell $(PKG_CONFIG) --static --libs jansson libseccomp 2>/dev/null)

ifneq ($(wildcard runtime/berth_main.c),)
PROGRAMS += $(BUILD)/bin/berth
INSTALL_BINS += $(BUILD)/bin/berth
$(BUILD)/bin/berth: $(BUILD)/runtime/berth_main.o $(LIBRUNTIME) $(LIBNETD) $(LIBBERTH)
ifeq ($(BERTH_STATIC),1)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@ (static)")
	$(Q)$(CC) $(filter-out -pie -Wl$(RT_COMMA)--as-needed,$(ALL_LDFLAGS)) -static-pie -o $@ $^ $(BERTH_STATIC_LIBS)
else
	$(call link,$@,$^)
endif
endif

# The same program linked dynamically, for the tests that run it under valgrind (which cannot
# intercept malloc in a static binary).
ifeq ($(BERTH_STATIC),1)
ifneq ($(wildcard runtime/berth_main.c),)
TEST_BINS += $(BUILD)/bin/berth-dynamic
$(BUILD)/bin/berth-dynamic: $(BUILD)/runtime/berth_main.o $(LIBRUNTIME) $(LIBNETD) $(LIBBERTH)
	$(call link,$@,$^)
endif
endif
