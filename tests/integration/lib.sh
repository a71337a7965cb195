# Sourced by tests/integration/t-*.sh. Each script runs inside its own
# tests/harness/sandbox: fresh network, mount and pid namespaces, a tmpfs on
# /run (so `ip netns add` stays inside) and a scratch directory
# $BERTH_TEST_TMP. Nothing a script makes survives it.
set -uo pipefail

if [ -z "${BERTH_SANDBOX:-}" ]; then
	echo "integration tests must run inside the sandbox (make check does this)" >&2
	exit 2
fi

BIN=${BERTH_BIN_DIR:?}
export PATH="$BIN:$PATH"
TMP=$BERTH_TEST_TMP
UPSTREAM_HOST_IP=198.51.100.2
UPSTREAM_GW_IP=198.51.100.1
UPSTREAM_HOST_IP6=2001:db8::2
UPSTREAM_GW_IP6=2001:db8::1

_t_total=0
_t_failed=0
_t_names=()
_t_pids=()

# Run one test case: t NAME FUNCTION. A failing assertion ends the case.
t() {
	local name=$1 fn=$2 rc
	_t_total=$((_t_total + 1))
	( set -e; trap t_kill_all EXIT; "$fn" )
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "ok $_t_total - $name"
	elif [ $rc -eq 77 ]; then
		echo "ok $_t_total - $name # SKIP"
	else
		echo "not ok $_t_total - $name"
		_t_failed=$((_t_failed + 1))
		_t_names+=("$name")
	fi
}

# End the script: summary and exit status.
t_done() {
	t_kill_all
	echo "# $((_t_total - _t_failed))/$_t_total passed"
	if [ $_t_failed -ne 0 ]; then
		printf '# failed: %s\n' "${_t_names[@]}"
		exit 1
	fi
	exit 0
}

fail() {
	echo "  FAIL: $*" >&2
	exit 1
}

skip() {
	if [ -n "${BERTH_TEST_NO_SKIP:-}" ] && [ "${BERTH_TEST_NO_SKIP}" != 0 ]; then
		fail "skip not allowed (BERTH_TEST_NO_SKIP): $*"
	fi
	echo "  SKIP: $*" >&2
	exit 77
}

assert_eq() {
	[ "$1" = "$2" ] || fail "${3:-values differ}: expected '$2', got '$1'"
}

assert_contains() {
	case "$1" in *"$2"*) ;; *) fail "${3:-missing text}: '$2' not in: $1" ;; esac
}

assert_not_contains() {
	case "$1" in *"$2"*) fail "${3:-unexpected text}: '$2' found in: $1" ;; *) ;; esac
}

# assert_ok CMD...: the command must succeed; its output is shown when it fails.
assert_ok() {
	local out
	out=$("$@" 2>&1) || fail "command failed: $* :: $out"
}

# assert_fails CMD...: the command must fail; its output is left in $FAIL_OUT.
assert_fails() {
	FAIL_OUT=$("$@" 2>&1) && fail "command unexpectedly succeeded: $* :: $FAIL_OUT"
	return 0
}

# Start a background process (tracked; killed by t_kill_all / at exit).
spawn() {
	"$@" &
	_t_pids+=($!)
}

t_kill_all() {
	local p
	for p in "${_t_pids[@]}"; do
		kill -9 "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	_t_pids=()
}
trap t_kill_all EXIT

# wait_for SECONDS CMD...: retry CMD until it succeeds.
wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 20; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}

# A container-like network namespace NAME.
netns_add() {
	ip netns add "$1" && ip -n "$1" link set lo up
}

# The upstream namespace standing in for the outside world behind uplink0.
upstream_add() {
	netns_add upstream
	ip link add uplink0 type veth peer name wan0 netns upstream
	ip addr add $UPSTREAM_HOST_IP/24 dev uplink0
	ip link set uplink0 up
	ip -n upstream addr add $UPSTREAM_GW_IP/24 dev wan0
	ip -n upstream link set wan0 up
	ip route add default via $UPSTREAM_GW_IP
	# IPv6 too (the documentation prefix), where the kernel has it; nodad: usable at once
	if [ -e /proc/sys/net/ipv6 ]; then
		ip addr add $UPSTREAM_HOST_IP6/64 dev uplink0 nodad
		ip -n upstream addr add $UPSTREAM_GW_IP6/64 dev wan0 nodad
		ip -6 route add default via $UPSTREAM_GW_IP6
	fi
}

# serve NS [--udp] ADDR PORT TAG: a tst-net server in namespace NS (host: "-").
serve() {
	local ns=$1 fifo
	shift
	fifo=$(mktemp -u "$TMP/serve.XXXXXX")
	mkfifo "$fifo"
	if [ "$ns" = - ]; then
		tst-net serve "$@" >"$fifo" &
	else
		ip netns exec "$ns" tst-net serve "$@" >"$fifo" &
	fi
	_t_pids+=($!)
	read -r -t 5 _ <"$fifo" || fail "server $* in $ns did not start"
	rm -f "$fifo"
}

# request NS [--udp] ADDR PORT [TIMEOUT_MS]: prints the reply ("TAG PEER-IP").
request() {
	local ns=$1
	shift
	if [ "$ns" = - ]; then
		tst-net request "$@"
	else
		ip netns exec "$ns" tst-net request "$@"
	fi
}
