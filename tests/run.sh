#!/bin/bash
# Runs every test suite of berth and checks that the machine is left as it was.
#
#   unit         Criterion, unprivileged
#   netns        Criterion, as root inside tests/harness/sandbox; each test
#                also unshares its own network and mount namespaces
#   integration  tests/integration/t-*.sh, each inside its own sandbox
#   fuzz         every input that once crashed a fuzzer, replayed
#
# Environment: BUILD (build dir), SUITES (subset, e.g. "unit netns"),
# T (only the Criterion suites, integration scripts and fuzz replays whose
# name contains T), BERTH_TEST_NO_SKIP=1 (a skipped test fails; CI sets it).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/rel}
BIN=$PWD/$BUILD/bin
export BERTH_BIN_DIR=$BIN
SUITES=${SUITES:-unit netns integration fuzz}
T=${T:-}
# Criterion's --filter globs "suite/test": T narrows to the suites whose name contains it.
crit_filter=()
[ -n "$T" ] && crit_filter=(--filter "*$T*/*")
failed=()

host_snapshot() {
	{
		echo "# links"; ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | sort
		echo "# netns"; ip netns list 2>/dev/null | sort
		echo "# nft"; nft list tables 2>/dev/null | sort
		echo "# mounts"; awk '{print $5}' /proc/self/mountinfo | sort
		# berth-test-* belong to concurrently running sandboxes, which remove their own
		echo "# cgroups"; find /sys/fs/cgroup -maxdepth 3 -type d -name 'berth*' -not -path '*/berth-test-*' 2>/dev/null | sort
		echo "# state"; ls -d /run/berth /var/lib/berth 2>/dev/null
		echo "# sysctl"; cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/conf/all/route_localnet 2>/dev/null
	}
}

if [ "$(id -u)" = 0 ]; then
	before=$(host_snapshot)
fi

run_suite() {
	local name=$1
	shift
	echo "==> $name"
	if "$@"; then
		echo "==> $name: ok"
	else
		echo "==> $name: FAILED"
		failed+=("$name")
	fi
}

need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "$1 tests need root (namespaces, links, nftables): run sudo make check" >&2
		return 1
	fi
}

integration() {
	local t rc total=0 bad=()
	shopt -s nullglob
	for t in tests/integration/t-*.sh; do
		case "$t" in *"$T"*) ;; *) continue ;; esac
		total=$((total + 1))
		echo "--- $t"
		"$BIN/sandbox" --timeout "${T_TIMEOUT:-900}" bash "$t"
		rc=$?
		if [ $rc -ne 0 ]; then
			bad+=("$t")
			echo "--- $t: FAILED (exit $rc)"
		fi
	done
	echo "integration: $((total - ${#bad[@]}))/$total scripts passed"
	[ ${#bad[@]} -eq 0 ]
}

fuzz_regress() {
	local bin name bad=0
	shopt -s nullglob
	for bin in "$BIN"/fuzz-replay-*; do
		name=${bin##*/fuzz-replay-}
		case "$name" in *"$T"*) ;; *) continue ;; esac
		"$bin" "tests/fuzz/corpus/$name" "tests/fuzz/crashers/$name" || bad=1
	done
	return $bad
}

for s in $SUITES; do
	case $s in
	unit) run_suite unit "$BIN/test-unit" "${crit_filter[@]}" ;;
	netns)
		if need_root netns; then
			run_suite netns "$BIN/sandbox" --timeout 1800 "$BIN/test-netns" "${crit_filter[@]}"
		else
			failed+=(netns)
		fi ;;
	integration)
		if need_root integration; then run_suite integration integration; else failed+=(integration); fi ;;
	fuzz) run_suite fuzz-regressions fuzz_regress ;;
	*) echo "unknown suite $s" >&2; exit 2 ;;
	esac
done

if [ "$(id -u)" = 0 ]; then
	after=$(host_snapshot)
	if [ "$before" != "$after" ]; then
		echo "==> the tests changed the machine's own state:"
		diff <(echo "$before") <(echo "$after")
		failed+=("host-state")
	else
		echo "==> host state unchanged (links, netns, nftables, mounts, cgroups, sysctls, /run/berth, /var/lib/berth)"
	fi
fi

if [ ${#failed[@]} -ne 0 ]; then
	echo "FAILED: ${failed[*]}"
	exit 1
fi
echo "all test suites passed"
