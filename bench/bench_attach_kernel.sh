#!/bin/bash
# bench_attach_kernel.sh (make bench-attach-kernel): the kernel's share of an
# attach as a bridge fills, without netd: the same link operations netd makes
# for an endpoint, issued with iproute2 in batches (ip -batch, so the tool's
# start-up is spread over a batch), timed per operation at several fill
# levels. What grows here grows for any user space; see docs/performance.md.
#
#   N=1000 (endpoints)  K=20 (pairs per timed batch)  STEPS=4 (fill levels after 0)
#   IPV6=1: leave IPv6 on (link-local addresses, DAD, MLD), as netd did before
set -euo pipefail
if [ -z "${BERTH_SANDBOX:-}" ]; then
	echo "run inside the sandbox: make bench-attach-kernel" >&2
	exit 2
fi
N=${N:-1000}
K=${K:-20}
STEPS=${STEPS:-4}
IPV6=${IPV6:-0}
TMP=${BERTH_TEST_TMP:?}

now_us() {
	local t
	t=$(date +%s%N)
	echo $((t / 1000))
}

ip link add br0 type bridge
ip link set br0 up
for ((i = 0; i < N + (STEPS + 1) * K; i++)); do echo "netns add n$i"; done | ip -batch -

# pairs A..B-1: create (host end on br0, peer born in its namespace), then bring both ends up
# the way netd does: the container end first (no IPv6 address generation), then the host end
# (no IPv6 at all, hairpin on). Prints the per-pair times of the timed steps when asked.
pairs() {
	local a=$1 b=$2 timed=$3 t0 t1 t2 t3 i
	for ((i = a; i < b; i++)); do echo "link add bv$i master br0 type veth peer name eth0 netns n$i"; done >"$TMP/create"
	for ((i = a; i < b; i++)); do echo "link set bv$i up type bridge_slave hairpin on"; done >"$TMP/up"
	t0=$(now_us)
	ip -batch "$TMP/create"
	t1=$(now_us)
	for ((i = a; i < b; i++)); do
		if [ "$IPV6" = 0 ]; then
			echo 1 >"/proc/sys/net/ipv6/conf/bv$i/disable_ipv6"
			ip -n "n$i" link set eth0 addrgenmode none up
		else
			ip -n "n$i" link set eth0 up
		fi
	done
	t2=$(now_us)
	ip -batch "$TMP/up"
	t3=$(now_us)
	if [ "$timed" = 1 ]; then
		printf '%6d ports: create+enslave %6d us   host end up+hairpin %6d us   (per pair, %d pairs)\n' \
			"$a" $(((t1 - t0) / (b - a))) $(((t3 - t2) / (b - a))) $((b - a))
	fi
}

echo "kernel only (ip -batch): one bridge, a veth pair per namespace, IPv6 $([ "$IPV6" = 0 ] && echo off || echo on) on the pairs"
fill=0
next=0
for ((s = 0; s <= STEPS; s++)); do
	target=$((s * N / STEPS))
	if ((fill < target)); then
		pairs $next $((next + target - fill)) 0
		next=$((next + target - fill))
		fill=$target
	fi
	pairs $next $((next + K)) 1
	next=$((next + K))
	fill=$((fill + K))
done
