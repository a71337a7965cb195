# runtime/: the container runtime core (libberthrt.a) and the berth CLI.
RUNTIME_MAINS := runtime/berth_main.c
RUNTIME_LIB_SRCS := $(filter-out $(RUNTIME_MAINS),$(wildcard runtime/*.c))
LIBRUNTIME := $(if $(RUNTIME_LIB_SRCS),$(BUILD)/runtime/libberthrt.a)

ifneq ($(RUNTIME_LIB_SRCS),)
$(LIBRUNTIME): $(RUNTIME_LIB_SRCS:%.c=$(BUILD)/%.o)
	$(call archive,$@,$^)
endif

ifneq ($(wildcard runtime/berth_main.c),)
PROGRAMS += $(BUILD)/bin/berth
INSTALL_BINS += $(BUILD)/bin/berth
$(BUILD)/bin/berth: $(BUILD)/runtime/berth_main.o $(LIBRUNTIME) $(LIBNETD) $(LIBBERTH)
	$(call link,$@,$^)
endif
