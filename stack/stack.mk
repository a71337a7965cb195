# stack/: stacks (`berth up/down/ps/logs`, libberthstack.a), on the runtime and the netd client.
STACK_SRCS := $(wildcard stack/*.c)
LIBSTACK := $(BUILD)/stack/libberthstack.a
$(LIBSTACK): $(STACK_SRCS:%.c=$(BUILD)/%.o)
	$(call archive,$@,$^)
