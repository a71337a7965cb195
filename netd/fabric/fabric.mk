# netd/fabric/: the fabric across hosts (libberthfabric.a): the etcd JSON-gateway client, node registry,
# block leases, the watcher and the VXLAN programming. Linked by netd; stands on the engine and lib.
FABRIC_SRCS := $(wildcard netd/fabric/*.c)
LIBFABRIC := $(BUILD)/netd/libberthfabric.a
$(LIBFABRIC): $(FABRIC_SRCS:%.c=$(BUILD)/%.o)
	$(call archive,$@,$^)
