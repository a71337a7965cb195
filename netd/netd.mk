# netd/: the network engine (libnetd.a), the netd daemon and the netctl client.
NETD_MAINS := netd/netd_main.c netd/netctl_main.c
NETD_LIB_SRCS := $(filter-out $(NETD_MAINS),$(wildcard netd/*.c))
LIBNETD := $(if $(NETD_LIB_SRCS),$(BUILD)/netd/libnetd.a)

ifneq ($(NETD_LIB_SRCS),)
$(LIBNETD): $(NETD_LIB_SRCS:%.c=$(BUILD)/%.o)
	$(call archive,$@,$^)
endif

ifneq ($(wildcard netd/netd_main.c),)
PROGRAMS += $(BUILD)/bin/netd
INSTALL_BINS += $(BUILD)/bin/netd
$(BUILD)/bin/netd: $(BUILD)/netd/netd_main.o $(LIBNETD) $(LIBBERTH)
	$(call link,$@,$^)
endif

ifneq ($(wildcard netd/netctl_main.c),)
PROGRAMS += $(BUILD)/bin/netctl
INSTALL_BINS += $(BUILD)/bin/netctl
$(BUILD)/bin/netctl: $(BUILD)/netd/netctl_main.o $(LIBNETD) $(LIBBERTH)
	$(call link,$@,$^)
endif
