# lib/: shared code linked by every program, test and fuzzer.
LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIBBERTH := $(BUILD)/lib/libberth.a

$(LIBBERTH): $(LIB_OBJS)
	$(call archive,$@,$^)
