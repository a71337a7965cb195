# cni/: the CNI front end (libberthcni.a) over the engine, and the berth-cni plugin binary.
CNI_MAINS := cni/cni_main.c
CNI_LIB_SRCS := $(filter-out $(CNI_MAINS),$(wildcard cni/*.c))
LIBCNI := $(BUILD)/cni/libberthcni.a
$(LIBCNI): $(CNI_LIB_SRCS:%.c=$(BUILD)/%.o)
	$(call archive,$@,$^)

PROGRAMS += $(BUILD)/bin/berth-cni
INSTALL_CNI_BINS += $(BUILD)/bin/berth-cni
# Runtimes start berth-cni for every ADD and DEL: the libraries that ship a static archive are linked in
# (the dynamic loader's symbol binding for five libraries was a tenth of a DEL); libmnl (no archive in
# Debian) and libc stay shared. CNI_STATIC=0 links it like the other programs (and under the sanitizers).
CNI_STATIC ?= $(if $(filter 1,$(SANITIZE) $(FUZZ)),0,1)
CNI_STATIC_LIBS = -Wl,-Bstatic $(shell $(PKG_CONFIG) --libs --static libnl-route-3.0 libnftnl jansson 2>/dev/null | \
	sed 's/-lmnl//g; s/-lpthread//g; s/-lm\b//g') -Wl,-Bdynamic -lmnl -lm

$(BUILD)/bin/berth-cni: $(BUILD)/cni/cni_main.o $(LIBCNI) $(LIBENGINE) $(LIBBERTH)
ifeq ($(CNI_STATIC),1)
	$(call link_static,$@,$^,$(CNI_STATIC_LIBS),static libnl$(COMMA) libnftnl$(COMMA) jansson,)
else
	$(call link,$@,$^)
endif
