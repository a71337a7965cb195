# cni/: the CNI front end (libberthcni.a) and the berth-cni plugin binary.
CNI_MAINS := cni/cni_main.c
CNI_LIB_SRCS := $(filter-out $(CNI_MAINS),$(wildcard cni/*.c))
LIBCNI := $(if $(CNI_LIB_SRCS),$(BUILD)/cni/libberthcni.a)

ifneq ($(CNI_LIB_SRCS),)
$(LIBCNI): $(CNI_LIB_SRCS:%.c=$(BUILD)/%.o)
	$(call archive,$@,$^)
endif

ifneq ($(wildcard cni/cni_main.c),)
PROGRAMS += $(BUILD)/bin/berth-cni
INSTALL_CNI_BINS += $(BUILD)/bin/berth-cni
$(BUILD)/bin/berth-cni: $(BUILD)/cni/cni_main.o $(LIBCNI) $(LIBNETD) $(LIBBERTH)
	$(call link,$@,$^)
endif
