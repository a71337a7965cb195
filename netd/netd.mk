# netd/: the network engine (engine/, libberthengine.a), the daemon (daemon/, libnetdaemon.a + netd),
# the protocol's client (client/, libnetdclient.a) and netctl (netctl/, libnetctl.a + netctl).
# Archives only point down: lib <- engine <- fabric <- daemon; lib <- client <- netctl.
ENGINE_SRCS := $(wildcard netd/engine/*.c)
LIBENGINE := $(BUILD)/netd/libberthengine.a
$(LIBENGINE): $(ENGINE_SRCS:%.c=$(BUILD)/%.o)
	$(call archive,$@,$^)

NETD_CLIENT_SRCS := $(wildcard netd/client/*.c)
LIBNETDCLIENT := $(BUILD)/netd/libnetdclient.a
$(LIBNETDCLIENT): $(NETD_CLIENT_SRCS:%.c=$(BUILD)/%.o)
	$(call archive,$@,$^)

DAEMON_SRCS := $(filter-out netd/daemon/netd_main.c,$(wildcard netd/daemon/*.c))
LIBNETDAEMON := $(BUILD)/netd/libnetdaemon.a
$(LIBNETDAEMON): $(DAEMON_SRCS:%.c=$(BUILD)/%.o)
	$(call archive,$@,$^)

NETCTL_SRCS := $(filter-out netd/netctl/netctl_main.c,$(wildcard netd/netctl/*.c))
LIBNETCTL := $(BUILD)/netd/libnetctl.a
$(LIBNETCTL): $(NETCTL_SRCS:%.c=$(BUILD)/%.o)
	$(call archive,$@,$^)

PROGRAMS += $(BUILD)/bin/netd $(BUILD)/bin/netctl
INSTALL_BINS += $(BUILD)/bin/netd $(BUILD)/bin/netctl
include netd/fabric/fabric.mk

$(BUILD)/bin/netd: $(BUILD)/netd/daemon/netd_main.o $(LIBNETDAEMON) $(LIBFABRIC) $(LIBENGINE) $(LIBBERTH)
	$(call link,$@,$^)
$(BUILD)/bin/netctl: $(BUILD)/netd/netctl/netctl_main.o $(LIBNETCTL) $(LIBNETDCLIENT) $(LIBBERTH)
	$(call link,$@,$^)
