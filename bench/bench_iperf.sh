#!/bin/bash
# bench_iperf.sh (make bench-iperf): TCP throughput with iperf3 between
# namespaces, into a container on a routed netd network (iperf), two ways
# from the same client namespace ("upstream", behind the host's uplink0), in
# IPv4 and (where the kernel has it: the network is dual stack then) in IPv6:
#   published  to the host's address 198.51.100.2:5201 ([2001:db8::2]:5201),
#              DNAT'ed by berth's nftables map to the container (5201:5201)
#   direct     to the container's own address, routed through the host
#              without any translation
# Runs inside tests/harness/sandbox, so nothing touches the machine.
#
#   IPERF_SECONDS=3 (per run)  IPERF_RUNS=5 (per path; the paths take turns)
#   BENCH_SAMPLES=DIR          also write each run's bits/s to DIR/iperf-{published,direct}{,6}.bps
set -euo pipefail

if [ -z "${BERTH_SANDBOX:-}" ]; then
	echo "run inside the sandbox: make bench-iperf" >&2
	exit 2
fi
command -v iperf3 >/dev/null || { echo "bench_iperf: iperf3 is not installed" >&2; exit 1; }
command -v jq >/dev/null || { echo "bench_iperf: jq is not installed" >&2; exit 1; }
BIN=${BERTH_BIN_DIR:?}
TMP=${BERTH_TEST_TMP:?}
SECS=${IPERF_SECONDS:-3}
RUNS=${IPERF_RUNS:-5}
export BERTH_NETD_SOCKET=$TMP/netd.sock

# the world: upstream behind uplink0, a container namespace c1
ip netns add upstream
ip -n upstream link set lo up
ip link add uplink0 type veth peer name wan0 netns upstream
ip addr add 198.51.100.2/24 dev uplink0
ip link set uplink0 up
ip -n upstream addr add 198.51.100.1/24 dev wan0
ip -n upstream link set wan0 up
ip route add default via 198.51.100.1
ip netns add c1
ip -n c1 link set lo up
V6=0
net6=()
if [ -e /proc/sys/net/ipv6 ]; then
	V6=1
	ip addr add 2001:db8::2/64 dev uplink0 nodad
	ip -n upstream addr add 2001:db8::1/64 dev wan0 nodad
	ip -6 route add default via 2001:db8::1
	net6=(--subnet fd00:67::/64 --no-masquerade6)
fi

"$BIN/netd" --socket "$BERTH_NETD_SOCKET" --state-dir "$TMP/state" --run-dir "$TMP/run" --log-level warn
trap 'kill "$(cat "$TMP/run/netd.pid")" 2>/dev/null || true' EXIT
# A routed network (no masquerade): only such a network's containers are reachable from a neighbour
# that routes its subnet through the host (a masquerading network admits published ports only).
"$BIN/netctl" network create iperf --subnet 10.67.0.0/16 "${net6[@]}" --no-masquerade >/dev/null
att=$("$BIN/netctl" --json attach c1 --network iperf --netns /run/netns/c1 -p 5201:5201)
ip_c1=$(jq -r .ip <<<"$att")
ip6_c1=$(jq -r '.ip6 // empty' <<<"$att")
# the direct path: upstream routes the containers' subnets through the host
ip -n upstream route add 10.67.0.0/16 via 198.51.100.2
[ "$V6" = 0 ] || ip -n upstream -6 route add fd00:67::/64 via 2001:db8::2

# one run against ADDR: prints bits/s received
run_once() {
	local addr=$1 out
	# a fresh one-shot server each run (-1), so a failed run cannot leave it stuck
	ip netns exec c1 iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
	local spid=$!
	for _ in $(seq 50); do
		ip netns exec c1 ss -ltn 2>/dev/null | grep -q ':5201 ' && break
		sleep 0.05
	done
	out=$(ip netns exec upstream timeout $((SECS + 20)) iperf3 -c "$addr" -p 5201 -t "$SECS" --connect-timeout 3000 -J 2>/dev/null) || {
		kill -KILL "$spid" 2>/dev/null || true
		wait "$spid" 2>/dev/null || true
		echo "bench_iperf: iperf3 to $addr failed" >&2
		return 1
	}
	wait "$spid" 2>/dev/null || true
	jq -r '.end.sum_received.bits_per_second' <<<"$out"
}

: >"$TMP/published.bps"
: >"$TMP/direct.bps"
: >"$TMP/published6.bps"
: >"$TMP/direct6.bps"
echo "iperf3 TCP, ${SECS}s per run, $RUNS runs per path, client in namespace upstream, server in c1 ($ip_c1${ip6_c1:+, $ip6_c1})"
for ((i = 0; i < RUNS; i++)); do
	run_once 198.51.100.2 >>"$TMP/published.bps"
	run_once "$ip_c1" >>"$TMP/direct.bps"
	if [ "$V6" = 1 ]; then
		run_once 2001:db8::2 >>"$TMP/published6.bps"
		run_once "$ip6_c1" >>"$TMP/direct6.bps"
	fi
done

stats() {
	sort -g "$2" | awk -v name="$1" '
		{ v[NR] = $1 }
		END {
			n = NR; med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
			printf "%-44s n=%d median %7.2f Gbit/s  min %7.2f  max %7.2f\n", name, n, med / 1e9, v[1] / 1e9, v[n] / 1e9
		}'
}
stats "published port (198.51.100.2:5201, DNAT)" "$TMP/published.bps"
stats "container address ($ip_c1:5201, routed)" "$TMP/direct.bps"
if [ "$V6" = 1 ]; then
	stats "published port ([2001:db8::2]:5201, DNAT)" "$TMP/published6.bps"
	stats "container address ([$ip6_c1]:5201, routed)" "$TMP/direct6.bps"
fi
if [ -n "${BENCH_SAMPLES:-}" ]; then
	cp "$TMP/published.bps" "$BENCH_SAMPLES/iperf-published.bps"
	cp "$TMP/direct.bps" "$BENCH_SAMPLES/iperf-direct.bps"
	if [ "$V6" = 1 ]; then
		cp "$TMP/published6.bps" "$BENCH_SAMPLES/iperf-published6.bps"
		cp "$TMP/direct6.bps" "$BENCH_SAMPLES/iperf-direct6.bps"
	fi
fi
