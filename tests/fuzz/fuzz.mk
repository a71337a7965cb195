# tests/fuzz/: libFuzzer targets (tests/fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput).
#
# - `make fuzz FUZZ_SECONDS=N` builds every target with clang, ASan, UBSan and
#   libFuzzer into build/fuzz and fuzzes each for N seconds (tests/fuzz/run.sh);
#   an input that crashes is saved under tests/fuzz/crashers/NAME/.
# - tests/fuzz/dict/NAME.dict (keys and tokens of that format) guides the mutations.
# - The normal build links each target with replay_main.c as
#   fuzz-replay-NAME, and `make check` replays the corpus and every crasher.
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_REPLAY_BINS := $(FUZZ_TARGETS:%=$(BUILD)/bin/fuzz-replay-%)
FUZZ_SECONDS ?= 30

$(BUILD)/bin/fuzz-replay-%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/replay_main.o $(TEST_LIBS)
	$(call link,$@,$^)

TEST_BINS += $(FUZZ_REPLAY_BINS)

ifeq ($(FUZZ),1)
FUZZ_BINS := $(FUZZ_TARGETS:%=$(BUILD)/bin/fuzz-%)
$(BUILD)/bin/fuzz-%: $(BUILD)/tests/fuzz/fuzz_%.o $(TEST_LIBS)
	$(call link,$@,$^,-fsanitize=fuzzer)
fuzz-bins: $(FUZZ_BINS)
endif

fuzz: deps-fuzz
	$(Q)$(MAKE) --no-print-directory FUZZ=1 CC=clang BUILD=build/fuzz fuzz-bins
	$(Q)BUILD=build/fuzz FUZZ_SECONDS=$(FUZZ_SECONDS) ./tests/fuzz/run.sh

.PHONY: fuzz fuzz-bins
