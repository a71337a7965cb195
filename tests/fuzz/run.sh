#!/bin/bash
# Fuzz every target for FUZZ_SECONDS each (make fuzz). New crashers are kept
# under tests/fuzz/crashers/NAME/ so that `make check` replays them forever.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build/fuzz}
SECS=${FUZZ_SECONDS:-30}
failed=()
# Targets that need files make them under TMPDIR; libFuzzer may end a run without
# running their atexit cleanup, so give them a directory of their own and remove it.
export TMPDIR="$PWD/$BUILD/fuzz-tmp"
rm -rf "$TMPDIR" && mkdir -p "$TMPDIR"
trap 'rm -rf "$TMPDIR"' EXIT
for bin in "$BUILD"/bin/fuzz-*; do
	name=${bin##*/fuzz-}
	[ -x "$bin" ] || continue
	work="$BUILD/corpus/$name"
	mkdir -p "$work" "tests/fuzz/corpus/$name" "tests/fuzz/crashers/$name"
	dict=()
	[ -f "tests/fuzz/dict/$name.dict" ] && dict=(-dict="tests/fuzz/dict/$name.dict")
	echo "==> fuzz $name for ${SECS}s"
	if ! "$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 "${dict[@]}" \
		-artifact_prefix="tests/fuzz/crashers/$name/" "$work" "tests/fuzz/corpus/$name" \
		>"$BUILD/fuzz-$name.log" 2>&1; then
		echo "==> $name: CRASH (input saved under tests/fuzz/crashers/$name/; log $BUILD/fuzz-$name.log)"
		tail -30 "$BUILD/fuzz-$name.log"
		failed+=("$name")
	else
		grep -E '^#[0-9]+.*DONE|stat::number_of_executed_units' "$BUILD/fuzz-$name.log" | tail -1
	fi
done
if [ ${#failed[@]} -ne 0 ]; then
	echo "fuzzing found crashes in: ${failed[*]}"
	exit 1
fi
echo "fuzzing: no crashes"
