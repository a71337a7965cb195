#!/bin/bash
# bench_attach_kernel.sh (make bench-attach-kernel): the kernel's share of an
# attach as a bridge fills, without netd: the same link operations netd makes
# for an endpoint, issued with iproute2 in batches (ip -batch, so the tool's
# start-up is spread over a batch), timed per operation at several fill
# levels. What grows here grows for any user space; see docs/performance.md.
#
#   N=1000 (endpoints; a bridge takes at most 1023 ports)  STEPS=4 (fill levels after 0)
#   K=8 pairs per timed batch, R=5 batches per level (the median batch is shown)
#   IPV6=1: leave IPv6 on (link-local addresses, DAD, MLD), as netd did before
#   IPV6=2: dual stack as netd does it now: the container end with one global
#           address (nodad, no link-local, no RA), an IPv6 default route, the
#           host end still without IPv6, and the MLD reports containers send
#           from :: dropped at the bridge as netd's anti-spoofing does
#           (docs/performance.md)
set -euo pipefail
if [ -z "${BERTH_SANDBOX:-}" ]; then
	echo "run inside the sandbox: make bench-attach-kernel" >&2
	exit 2
fi
N=${N:-1000}
K=${K:-8}
R=${R:-5}
STEPS=${STEPS:-4}
IPV6=${IPV6:-0}
TMP=${BERTH_TEST_TMP:?}

# cpu_us FILE: run ip -batch FILE, print the CPU time it took (microseconds, user + kernel; perf stat's
# task-clock), which the machine's other load does not inflate the way it does wall time.
cpu_us() {
	perf stat -x, -e task-clock ip -batch "$1" 2>&1 >/dev/null | awk -F, '/task-clock/ {printf "%d", $1 * 1000}'
}

now_us() {
	local t
	t=$(date +%s%N)
	echo $((t / 1000))
}

# as netd makes its bridges: no multicast snooping (netd/link.h)
ip link add br0 type bridge mcast_snooping 0
ip link set br0 up
for ((i = 0; i < N + R * K; i++)); do echo "netns add n$i"; done | ip -batch -

# pairs A..B-1: create (host end on br0, peer born in its namespace), then bring both ends up
# the way netd does: the container end first (no IPv6 address generation), then the host end
# (no IPv6 at all, hairpin on). Appends per-pair microseconds (create, up: wall, then CPU) to $TMP/times if timed.
pairs() {
	local a=$1 b=$2 timed=$3 t0 t1 t2 t3 i
	for ((i = a; i < b; i++)); do echo "link add bv$i master br0 type veth peer name eth0 netns n$i"; done >"$TMP/create"
	for ((i = a; i < b; i++)); do echo "link set bv$i up type bridge_slave hairpin on"; done >"$TMP/up"
	t0=$(now_us)
	c1=$(cpu_us "$TMP/create")
	t1=$(now_us)
	for ((i = a; i < b; i++)); do
		if [ "$IPV6" = 0 ]; then
			echo 1 >"/proc/sys/net/ipv6/conf/bv$i/disable_ipv6"
			ip -n "n$i" link set eth0 addrgenmode none up
		elif [ "$IPV6" = 2 ]; then
			echo 1 >"/proc/sys/net/ipv6/conf/bv$i/disable_ipv6"
			ip netns exec "n$i" sh -c 'echo 0 >/proc/sys/net/ipv6/conf/eth0/accept_ra'
			ip -n "n$i" link set eth0 addrgenmode none up
			ip -n "n$i" addr add "fd00::$((i + 2))/64" dev eth0 nodad
			ip -n "n$i" -6 route add default via fd00::1 dev eth0
		else
			ip -n "n$i" link set eth0 up
		fi
	done
	t2=$(now_us)
	c2=$(cpu_us "$TMP/up")
	t3=$(now_us)
	[ "$timed" = 0 ] || echo "$(((t1 - t0) / (b - a))) $(((t3 - t2) / (b - a))) $((c1 / (b - a))) $((c2 / (b - a)))" >>"$TMP/times"
}

med() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

case $IPV6 in
0) mode="IPv6 off on the pairs" ;;
2) mode="dual stack as netd does it (container end: one address, nodad, no link-local; host end: no IPv6)" ;;
*) mode="IPv6 on on the pairs (link-local addresses, DAD, MLD)" ;;
esac
if [ "$IPV6" = 2 ]; then
	ip addr add fd00::1/64 dev br0 nodad
	# netd's anti-spoofing drops what a container sends from an address not its own, here the MLD
	# reports its kernel sends from :: for its solicited-node group (docs/nftables.md, "IPv6")
	nft -f - <<-'NFT'
		table bridge kbench {
			chain prerouting {
				type filter hook prerouting priority dstnat; policy accept;
				ip6 saddr :: drop
			}
		}
	NFT
fi
echo "kernel only (ip -batch): one bridge, a veth pair per namespace, $mode"
echo "per pair, median of $R batches of $K pairs at each fill level:"
next=0
last=$((N - R * K)) # the bridge's port limit: the last level's batches must fit
for ((s = 0; s <= STEPS; s++)); do
	target=$((s * last / STEPS))
	((next >= target)) || pairs $next "$target" 0
	next=$((next > target ? next : target))
	: >"$TMP/times"
	for ((r = 0; r < R; r++)); do
		pairs $next $((next + K)) 1
		next=$((next + K))
	done
	printf '%6d ports: create+enslave %6d us (cpu %6d)   host end up+hairpin %6d us (cpu %6d)\n' "$target" \
		"$(cut -d' ' -f1 "$TMP/times" | med)" "$(cut -d' ' -f3 "$TMP/times" | med)" \
		"$(cut -d' ' -f2 "$TMP/times" | med)" "$(cut -d' ' -f4 "$TMP/times" | med)"
done
