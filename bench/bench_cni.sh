#!/bin/bash
# ADD+DEL latency of a one-plugin berth-cni conflist with one port mapping,
# side by side with Debian's reference chain bridge + host-local + portmap
# (containernetworking-plugins), both driven exactly as libcni drives them
# (environment + stdin, prevResult passed down the chain). Runs inside
# tests/harness/sandbox (make bench-cni), so nothing touches the machine.
#
#   N=30 (measured runs per side, after 3 warm-up runs), ROUNDS=5 (the sides take turns)
# Prints median, min, p10, p90 and max per side in milliseconds and the
# ratio of the medians; the target is berth-cni <= 1/10 of the reference.
# For scale it also times the kernel's part alone (a veth pair created into
# the namespace and deleted with ip): deleting a link waits for an RCU grace
# period, which bounds every plugin's DEL from below.
set -euo pipefail

if [ -z "${BERTH_SANDBOX:-}" ]; then
	echo "run inside the sandbox: make bench-cni" >&2
	exit 2
fi
N=${N:-30}
WARM=3
BIN=${BERTH_BIN_DIR:?}
TMP=${BERTH_TEST_TMP:?}
REF=/usr/lib/cni
NS=/run/netns/bench

ip netns add bench
ip -n bench link set lo up

now_us() {
	local t
	t=$(date +%s%N)
	echo $((t / 1000))
}

# stats NAME FILE: one line of milliseconds statistics over the samples (microseconds) in FILE.
stats() {
	sort -n "$2" | awk -v name="$1" '
		{ v[NR] = $1 }
		END {
			n = NR; med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
			p10 = v[int(n * 0.1) + 1]; p90 = v[int(n * 0.9) > 0 ? int(n * 0.9) : 1]
			printf "%-36s n=%-3d median %8.2f ms  min %8.2f  p10 %8.2f  p90 %8.2f  max %8.2f\n",
				name, n, med / 1000, v[1] / 1000, p10 / 1000, p90 / 1000, v[n] / 1000
			print med > "/dev/stderr"
		}'
}

# ---------------------------------------------------------------- berth-cni
BERTH_CONF=$(printf '{"cniVersion":"1.0.0","name":"benchnet","type":"berth-cni","bridge":"bench0","isGateway":true,"isDefaultGateway":true,"ipMasq":true,"dataDir":"%s/state","ipam":{"subnet":"10.98.0.0/24"},"capabilities":{"portMappings":true},"runtimeConfig":{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]}}' "$TMP")

berth_once() {
	local out
	out=$(CNI_COMMAND=ADD CNI_CONTAINERID=bench1 CNI_NETNS=$NS CNI_IFNAME=eth0 CNI_PATH=$BIN \
		"$BIN/berth-cni" <<<"$BERTH_CONF")
	CNI_COMMAND=DEL CNI_CONTAINERID=bench1 CNI_NETNS=$NS CNI_IFNAME=eth0 CNI_PATH=$BIN \
		"$BIN/berth-cni" <<<"${BERTH_CONF%\}},\"prevResult\":$out}" >/dev/null
}

# ---------------------------------------------------------------- reference chain
BRIDGE_CONF=$(printf '{"cniVersion":"1.0.0","name":"refnet","type":"bridge","bridge":"ref0","isGateway":true,"isDefaultGateway":true,"ipMasq":true,"ipam":{"type":"host-local","ranges":[[{"subnet":"10.99.0.0/24"}]],"dataDir":"%s/host-local"}}' "$TMP")
PORTMAP_CONF='{"cniVersion":"1.0.0","name":"refnet","type":"portmap","capabilities":{"portMappings":true},"runtimeConfig":{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]}}'

ref_run() {
	local cmd=$1 plugin=$2 conf=$3
	CNI_COMMAND=$cmd CNI_CONTAINERID=bench1 CNI_NETNS=$NS CNI_IFNAME=eth0 CNI_PATH=$REF "$REF/$plugin" <<<"$conf"
}

ref_once() {
	local r1 r2
	r1=$(ref_run ADD bridge "$BRIDGE_CONF")
	r2=$(ref_run ADD portmap "${PORTMAP_CONF%\}},\"prevResult\":$r1}")
	# libcni deletes in reverse order, each plugin with the chain's final result.
	ref_run DEL portmap "${PORTMAP_CONF%\}},\"prevResult\":$r2}" >/dev/null
	ref_run DEL bridge "${BRIDGE_CONF%\}},\"prevResult\":$r2}" >/dev/null
}

# The kernel's share, for scale: creating a veth pair into the namespace and deleting it (ip's own
# start-up included, as each plugin pays its own).
floor_once() {
	ip link add bfloor type veth peer name eth9 netns bench
	ip link del bfloor
}

# measure FN FILE COUNT: append COUNT timed runs of FN (microseconds) to FILE.
measure() {
	local fn=$1 file=$2 count=$3 i t0 t1
	for ((i = 0; i < count; i++)); do
		t0=$(now_us)
		"$fn"
		t1=$(now_us)
		echo $((t1 - t0)) >>"$file"
	done
}

have_ref=""
[ -x "$REF/bridge" ] && [ -x "$REF/portmap" ] && [ -x "$REF/host-local" ] && have_ref=1
# The machine's load drifts (it is shared): the sides take turns, ROUNDS rounds of N/ROUNDS runs each.
ROUNDS=${ROUNDS:-5}
PER=$(((N + ROUNDS - 1) / ROUNDS))
: >"$TMP/berth.us"
: >"$TMP/floor.us"
: >"$TMP/ref.us"
for ((i = 0; i < WARM; i++)); do
	berth_once
	floor_once
	[ -z "$have_ref" ] || ref_once
done
echo "berth-cni ADD+DEL vs bridge+host-local+portmap ADD+DEL, $((PER * ROUNDS)) runs each in $ROUNDS alternating rounds (after $WARM warm-up runs)"
for ((round = 0; round < ROUNDS; round++)); do
	measure berth_once "$TMP/berth.us" $PER
	measure floor_once "$TMP/floor.us" $PER
	[ -z "$have_ref" ] || measure ref_once "$TMP/ref.us" $PER
done
stats "berth-cni (1 plugin, 1 port)" "$TMP/berth.us" 2>"$TMP/berth.med"
stats "kernel floor (ip link add/del veth)" "$TMP/floor.us" 2>/dev/null
if [ -n "$have_ref" ]; then
	stats "bridge+host-local+portmap (1 port)" "$TMP/ref.us" 2>"$TMP/ref.med"
	awk -v b="$(cat "$TMP/berth.med")" -v r="$(cat "$TMP/ref.med")" 'BEGIN {
		ratio = b / r
		printf "ratio of medians: berth-cni / reference = %.4f (1/%.0f); target <= 0.1: %s\n",
			ratio, r / b, ratio <= 0.1 ? "met" : "NOT met"
	}'
else
	echo "reference plugins not installed (containernetworking-plugins): berth-cni only"
fi
# For bench/run.sh: every ADD+DEL's time (us), one file per side.
if [ -n "${BENCH_SAMPLES:-}" ]; then
	cp "$TMP/berth.us" "$BENCH_SAMPLES/cni-berth.us"
	cp "$TMP/floor.us" "$BENCH_SAMPLES/cni-floor.us"
	[ ! -s "$TMP/ref.us" ] || cp "$TMP/ref.us" "$BENCH_SAMPLES/cni-ref.us"
fi
