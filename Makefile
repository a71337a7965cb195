# berth — a network-focused container fabric.
#
#   make            build everything into build/rel (build/san with SANITIZE=1)
#   make demo       install what is missing, build, run the demo (KEEP=1: leave it up; make demo-down)
#   make demo-fabric  the fabric across hosts: etcd and three simulated hosts in a sandbox
#   make check      install what is missing, build, run every test
#   make install    PREFIX=/usr/local DESTDIR=
#   make check-long  the long fault tests (ROUNDS=, CYCLES=) and the leak checks with sanitizers
#   make format / format-check, make fuzz, make bench (bench-*), make rootfs, make clean
#   make deps-build (deps-test, -demo, -fuzz, -bench, -rootfs): install the Debian packages missing (config/deps.sh)
#
# Options: V=1 (show commands), SANITIZE=1 (ASan+UBSan), WERROR=1 (-Werror; CI).

.DEFAULT_GOAL := all
SHELL := /bin/bash

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
CNIBINDIR ?= $(PREFIX)/lib/cni
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
DOCDIR ?= $(PREFIX)/share/doc/berth
DESTDIR ?=

V ?= 0
KEEP ?= 0
SANITIZE ?= 0
WERROR ?= 0

ifeq ($(V),1)
Q :=
else
Q := @
endif

ifeq ($(SANITIZE),1)
BUILD ?= build/san
else
BUILD ?= build/rel
endif

CC ?= gcc
PKG_CONFIG ?= pkg-config
PKGS := libnl-3.0 libnl-route-3.0 libmnl libnftnl jansson libseccomp ldns
# Deferred (=) so that a missing package is reported by the deps step, not at parse time.
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
CRITERION_CFLAGS = $(shell $(PKG_CONFIG) --cflags criterion 2>/dev/null)
CRITERION_LIBS = $(shell $(PKG_CONFIG) --libs criterion 2>/dev/null)

WARNINGS := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-unused-parameter -Wno-format-truncation -Wvla -Wpointer-arith -Wundef
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif

OPT := -O2 -g
HARDEN := -fstack-protector-strong -fPIE -D_FORTIFY_SOURCE=2
ifeq ($(SANITIZE),1)
OPT := -O1 -g -fno-omit-frame-pointer
HARDEN := -fPIE
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined
endif
ifeq ($(FUZZ),1)
# clang: gcc's -Wno-format-truncation is unknown to it
WARNINGS += -Wno-unknown-warning-option
OPT := -O1 -g -fno-omit-frame-pointer
HARDEN := -fPIE
SAN_FLAGS := -fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined
endif

BASE_CFLAGS := -std=gnu11 -D_GNU_SOURCE -pthread $(OPT) $(HARDEN) $(WARNINGS) $(SAN_FLAGS) -I. -Ilib
ALL_CFLAGS = $(BASE_CFLAGS) $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = -pie -Wl,--as-needed -Wl,-z,relro -Wl,-z,now -pthread $(SAN_FLAGS) $(LDFLAGS)

# Each module appends to these.
PROGRAMS :=
TEST_BINS :=
CLEAN_FILES :=

include lib/lib.mk
include netd/netd.mk
include stack/stack.mk
include runtime/runtime.mk
include cni/cni.mk
include tests/tests.mk
include bench/bench.mk
include tests/fuzz/fuzz.mk

all: $(PROGRAMS)

# After every module fragment has added to TEST_BINS.
test-bins: $(TEST_BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# Link a program: $(call link,OUTPUT,OBJECTS-AND-ARCHIVES,EXTRA-LIBS)
define link
	@mkdir -p $(dir $(1))
	@$(if $(Q),echo "  LD      $(1)")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $(1) $(2) $(PKG_LIBS) $(3)
endef

COMMA := ,
# Link a program with some libraries static: $(call link_static,OUTPUT,OBJECTS-AND-ARCHIVES,LIBS,LABEL,MODE)
# MODE static-pie: everything static (-static-pie, no --as-needed); empty: LIBS says which are static.
define link_static
	@mkdir -p $(dir $(1))
	@$(if $(Q),echo "  LD      $(1) ($(4))")
	$(Q)$(CC) $(if $(5),$(filter-out -pie -Wl$(COMMA)--as-needed,$(ALL_LDFLAGS)) -$(5),$(ALL_LDFLAGS)) -o $(1) $(2) $(3)
endef

# Static library: $(call archive,OUTPUT,OBJECTS)
define archive
	@mkdir -p $(dir $(1))
	@$(if $(Q),echo "  AR      $(1)")
	$(Q)rm -f $(1) && $(AR) rcs $(1) $(2)
endef

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ---------------------------------------------------------------- packages
# Debian packages each entry point needs; config/deps.sh installs the missing ones (as root).
PKGS_BUILD := build-essential pkg-config libnl-3-dev libnl-route-3-dev libmnl-dev libnftnl-dev \
	libjansson-dev libseccomp-dev libldns-dev
PKGS_TEST := $(PKGS_BUILD) libcriterion-dev iproute2 nftables busybox-static file util-linux procps podman valgrind \
	jq containernetworking-plugins golang-go golang-github-appc-cni-dev etcd-server etcd-client containerd docker.io
PKGS_DEMO := $(PKGS_BUILD) iproute2 nftables busybox-static file graphviz etcd-server etcd-client curl
PKGS_FUZZ := $(PKGS_BUILD) clang libclang-rt-14-dev
PKGS_BENCH := $(PKGS_TEST) crun runc containernetworking-plugins iptables hyperfine iperf3 gnuplot-nox
PKGS_ROOTFS := busybox-static file
DEPS := ./config/deps.sh

deps-build:
	$(Q)$(DEPS) $(PKGS_BUILD)
deps-test:
	$(Q)$(DEPS) $(PKGS_TEST)
deps-demo:
	$(Q)$(DEPS) $(PKGS_DEMO)
deps-fuzz:
	$(Q)$(DEPS) $(PKGS_FUZZ)
deps-bench:
	$(Q)$(DEPS) $(PKGS_BENCH)
deps-rootfs:
	$(Q)$(DEPS) $(PKGS_ROOTFS)

# ---------------------------------------------------------------- entry points
# The benchmark programs are built too (not run): an API change that breaks one fails here, not in `make bench`.
check: deps-test
	$(Q)$(MAKE) --no-print-directory all test-bins bench-bins
	$(Q)$(MAKE) --no-print-directory run-tests

# The stack of config/examples/web.json up, shown, fetched from, drawn and taken down (tests/demo.sh).
# KEEP=1 leaves it running; `make demo-down` takes it down then.
demo: deps-demo
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory rootfs
	$(Q)BUILD=$(BUILD) KEEP=$(KEEP) ./tests/demo.sh

demo-down:
	$(Q)BUILD=$(BUILD) ./tests/demo.sh down

# The fabric across hosts on one machine: etcd and three simulated hosts in a sandbox (tests/demo-fabric.sh).
demo-fabric: deps-demo
	$(Q)$(MAKE) --no-print-directory all $(SANDBOX) $(TSTNET)
	$(Q)BUILD=$(BUILD) ./tests/demo-fabric.sh

# ---------------------------------------------------------------- rootfs
ROOTFS ?= build/rootfs

# A minimal busybox root filesystem from Debian's busybox-static, for demos and tests.
rootfs: deps-rootfs
	$(Q)./runtime/mkrootfs.sh $(ROOTFS)

# ---------------------------------------------------------------- install
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(CNIBINDIR) $(DESTDIR)$(SYSCONFDIR)/berth \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)
	install -m 0755 $(INSTALL_BINS) $(DESTDIR)$(BINDIR)/
	$(if $(INSTALL_CNI_BINS),install -m 0755 $(INSTALL_CNI_BINS) $(DESTDIR)$(CNIBINDIR)/)
	install -m 0644 config/netd.json $(DESTDIR)$(SYSCONFDIR)/berth/netd.json
	sed 's|@BINDIR@|$(BINDIR)|g' config/netd.service > $(DESTDIR)$(UNITDIR)/netd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/netd.service
	install -m 0644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(INSTALL_BINS)))
	$(if $(INSTALL_CNI_BINS),rm -f $(addprefix $(DESTDIR)$(CNIBINDIR)/,$(notdir $(INSTALL_CNI_BINS))))
	rm -f $(DESTDIR)$(UNITDIR)/netd.service
	rm -rf $(DESTDIR)$(DOCDIR)

# ---------------------------------------------------------------- style
FORMAT_FILES = $(shell find lib netd runtime stack cni tests bench -name '*.[ch]' -not -path '*/corpus/*' 2>/dev/null)

format:
	$(Q)clang-format -i $(FORMAT_FILES)

format-check:
	$(Q)clang-format --dry-run --Werror $(FORMAT_FILES)

clean:
	rm -rf build $(CLEAN_FILES)

.SECONDARY:

.PHONY: all check demo demo-down demo-fabric install uninstall format format-check clean \
	deps-build deps-test deps-demo deps-fuzz deps-bench deps-rootfs rootfs
