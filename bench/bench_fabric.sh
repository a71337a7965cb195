#!/bin/bash
# bench_fabric.sh (make bench-fabric): the fabric across simulated hosts, on the harness of the tests
# (tests/integration/lib-fabric.sh: etcd in a "switch" namespace, each host a network namespace with its
# own netd, all on 192.0.2.0/24). Stages, each on a fresh fabric:
#   join    a host joins a fabric of JOIN_PEERS hosts, JOIN_N times: from its netd's start until the
#           network is there, a container is attached, and every peer's container reaches that container
#   mesh    MESH_N hosts started together on a defined network: until every host has a route to each of
#           the others; then each netd's memory (RSS) with MESH_N - 1 peers
#   resync  one real host and RESYNC_PEERS fake ones injected into etcd (bench-fabric inject): netd's CPU
#           (utime + stime in /proc/PID/stat) for programming them as their events come, for one periodic
#           resync with everything in place, and for one that writes every entry again (device deleted)
#   attach  attach + detach through netd on a fabric network and on a local network of the same host,
#           taking turns (bench-fabric attach)
#   tcp     iperf3 between containers: on the same host, across hosts through VXLAN, across hosts host-gw
# Runs inside tests/harness/sandbox (nothing touches the machine).
#
#   STAGES="join mesh resync attach tcp"  JOIN_N=20 JOIN_PEERS=4  MESH_N=50  RESYNC_PEERS=1000
#   ATTACH_FAB_N=40  IPERF_SECONDS=3 IPERF_RUNS=5
#   BENCH_SAMPLES=DIR  also write every sample to DIR/fabric.txt ("KEY VALUE" lines) for bench/run.sh
set -uo pipefail
cd "$(dirname "$0")/.."

if [ -z "${BERTH_SANDBOX:-}" ]; then
	echo "run inside the sandbox: make bench-fabric" >&2
	exit 2
fi
for c in etcd etcdctl jq iperf3; do
	command -v $c >/dev/null || { echo "bench_fabric: $c is not installed (make deps-bench)" >&2; exit 1; }
done
source tests/integration/lib.sh
source tests/integration/lib-fabric.sh

STAGES=${STAGES:-join mesh resync attach tcp}
JOIN_N=${JOIN_N:-20}
JOIN_PEERS=${JOIN_PEERS:-4}
MESH_N=${MESH_N:-50}
RESYNC_PEERS=${RESYNC_PEERS:-1000}
ATTACH_FAB_N=${ATTACH_FAB_N:-40}
IPERF_SECONDS=${IPERF_SECONDS:-3}
IPERF_RUNS=${IPERF_RUNS:-5}
OUT=$TMP/fabric.txt
: >"$OUT"
HZ=$(getconf CLK_TCK)

now_ms() { echo $(($(date +%s%N) / 1000000)); }
sample() { echo "$1 $2" >>"$OUT"; }
# stats KEY: "median (min-max), n" of the samples of KEY
stats() {
	awk -v k="$1" '$1 == k {print $2}' "$OUT" | sort -g | awk '
		{ v[NR] = $1 }
		END {
			if (!NR) { print "-"; exit }
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "median %g (min %g, max %g), n=%d\n", m, v[1], v[NR], NR
		}'
}
# netd's CPU time so far, every thread (utime + stime of /proc/PID/stat), in ms
cpu_ms() {
	awk -v hz="$HZ" '{ sub(/.*\) /, ""); print int(($12 + $13) * 1000 / hz) }' "/proc/$1/stat"
}
rss_kib() { awk '$1 == "VmRSS:" {print $2}' "/proc/$1/status"; }
# PSS: shared pages (libraries) divided among the processes that map them; private: dirty pages of its own
pss_kib() { awk '$1 == "Pss:" {print $2}' "/proc/$1/smaps_rollup"; }
private_kib() { awk '$1 == "Private_Dirty:" {print $2}' "/proc/$1/smaps_rollup"; }
# mem_samples PREFIX PID: RSS, PSS and private dirty memory of PID as PREFIX-{rss,pss,priv}-kib
mem_samples() {
	sample "$1-rss-kib" "$(rss_kib "$2")"
	sample "$1-pss-kib" "$(pss_kib "$2")"
	sample "$1-priv-kib" "$(private_kib "$2")"
}
routes() { ip -n "fh$1" route show proto 98 | wc -l; }

# ---------------------------------------------------------------- join
stage_join() {
	local n i h x t0 t_local t_ready t_reach blk pids
	local -a addr
	fab_down
	FAB_NODE_TTL=10 fab_up "$JOIN_PEERS" || return 1
	fab_netctl 1 network create fab --subnet 10.70.0.0/16 --fabric >/dev/null || fail "network create"
	for ((n = 1; n <= JOIN_PEERS; n++)); do
		wait_for 10 fab_netctl "$n" network inspect fab || fail "host $n has no fab"
		addr[n]=$(fab_container "$n" "c$n" fab) || fail "attach on host $n"
	done
	echo "join: a host joins a fabric of $JOIN_PEERS hosts ($JOIN_N times); from its netd's start"
	for ((i = 1; i <= JOIN_N; i++)); do
		h=$((JOIN_PEERS + i))
		fab_host "$h"
		t0=$(now_ms)
		fab_netd_start "$h"
		wait_for 10 fab_netctl "$h" network inspect fab || fail "host $h has no fab"
		t_local=$(now_ms)
		x=$(fab_container "$h" "j$i" fab) || fail "attach on host $h"
		serve "j$i" "$x" 8080 "j$i"
		t_ready=$(now_ms)
		pids=()
		for ((n = 1; n <= JOIN_PEERS; n++)); do
			(
				for ((k = 0; k < 400; k++)); do
					ip netns exec "c$n" tst-net request "$x" 8080 200 >/dev/null 2>&1 && break
				done
				now_ms >"$TMP/reach.$n"
			) &
			pids+=($!)
		done
		wait "${pids[@]}"
		t_reach=$(cat "$TMP"/reach.* | sort -n | tail -1)
		rm -f "$TMP"/reach.*
		sample join-local-ms $((t_local - t0))
		sample join-ready-ms $((t_ready - t0))
		sample join-reach-ms $((t_reach - t0))
		printf '  host %2d: network there %4d ms, container attached and serving %4d ms, reached from all %d peers %4d ms\n' \
			"$h" $((t_local - t0)) $((t_ready - t0)) "$JOIN_PEERS" $((t_reach - t0))
		# it leaves for good: its keys go, peers remove its entries; the next one joins the same fabric
		blk=$(fab_netctl "$h" --json fabric | jq -r '.networks[0].block')
		fab_netd_kill "$h"
		fab_etcdctl del "/berth/v1/blocks/fab/${blk/\//-}" >/dev/null
		fab_etcdctl del "/berth/v1/nodes/h$h" >/dev/null
		ip netns delete "fh$h"
		ip netns delete "j$i"
		wait_for 5 eval "! fab_peer_routes 1 | grep -q '^$blk '" || fail "host 1 kept the route of host $h"
	done
	echo "  reached from every peer after: $(stats join-reach-ms) ms"
}

# ---------------------------------------------------------------- mesh
stage_mesh() {
	local n t0 left now done_at pid
	local -A at
	fab_down
	fab_clean
	fab_switch
	fab_etcd_start
	fab_etcdctl put /berth/v1/networks/fab \
		'{"name":"fab","subnet":"10.70.0.0/16","host_prefix":24,"vni":1,"mode":"vxlan"}' >/dev/null
	fab_etcdctl put /berth/v1/vnis/1 fab >/dev/null
	for ((n = 1; n <= MESH_N; n++)); do
		FAB_NODE_TTL=10 FAB_LOG_LEVEL=warn fab_host "$n"
	done
	echo "mesh: $MESH_N hosts started together on a network already in etcd"
	t0=$(now_ms)
	for ((n = 1; n <= MESH_N; n++)); do
		ip netns exec "fh$n" netd --foreground --config "$FAB_DIR/h$n/netd.json" --socket "$(fab_sock "$n")" \
			--state-dir "$FAB_DIR/h$n/state" --run-dir "$FAB_DIR/h$n/run" >>"$FAB_DIR/h$n/netd.log" 2>&1 &
		FAB_NETD_PID[$n]=$!
		_t_pids+=($!)
	done
	left=$MESH_N
	while [ "$left" -gt 0 ]; do
		now=$(now_ms)
		[ $((now - t0)) -lt 120000 ] || fail "no full mesh after 120 s ($left hosts short)"
		for ((n = 1; n <= MESH_N; n++)); do
			[ -z "${at[$n]:-}" ] || continue
			if [ "$(routes "$n")" -ge $((MESH_N - 1)) ]; then
				at[$n]=$(($(now_ms) - t0))
				left=$((left - 1))
			fi
		done
		sleep 0.05
	done
	done_at=0
	for ((n = 1; n <= MESH_N; n++)); do
		sample mesh-host-ms "${at[$n]}"
		[ "${at[$n]}" -gt "$done_at" ] && done_at=${at[$n]}
	done
	sample mesh-ms "$done_at"
	echo "  full mesh ($MESH_N x $((MESH_N - 1)) routes) after $done_at ms; per host: $(stats mesh-host-ms) ms"
	# memory once they have settled (every peer programmed, one resync later it is the same)
	sleep 2
	for ((n = 1; n <= MESH_N; n++)); do
		mem_samples mesh "${FAB_NETD_PID[$n]}"
	done
	echo "  netd with $((MESH_N - 1)) peers, KiB: RSS $(stats mesh-rss-kib)"
	echo "    PSS (libraries shared by the $MESH_N netds) $(stats mesh-pss-kib)"
	echo "    private dirty $(stats mesh-priv-kib)"
	fab_down
}

# ---------------------------------------------------------------- resync
# wait_listing N: host 1's netd logged its Nth full listing ("listed at revision"); prints the line's count
listings() { grep -c 'fabric: listed at revision' "$FAB_DIR/h1/netd.log"; }
wait_listing() {
	local want=$1 i
	for ((i = 0; i < 3000; i++)); do
		[ "$(listings)" -ge "$want" ] && return 0
		sleep 0.01
	done
	fail "host 1 did not list again"
}

stage_resync() {
	local pid lease c0 c1 t0 t1 k
	fab_down
	fab_clean
	fab_switch
	fab_etcd_start
	FAB_NODE_TTL=10 FAB_RESYNC_MS=4000 FAB_LOG_LEVEL=debug fab_host 1
	fab_netd_start 1
	fab_netctl 1 network create big --subnet 10.64.0.0/10 --fabric >/dev/null || fail "network create"
	wait_for 10 fab_netctl 1 network inspect big || fail "host 1 has no big"
	pid=${FAB_NETD_PID[1]}
	echo "resync: one host, $RESYNC_PEERS fake hosts injected into etcd (one block each), netd CPU from /proc/$pid/stat"
	mem_samples resync-0 "$pid"
	# the peers arrive: each block's event programs it (route, neighbour, FDB entry, VXLAN source)
	c0=$(cpu_ms "$pid")
	t0=$(now_ms)
	lease=$(ip netns exec fsw bench-fabric inject --etcd "$FAB_ETCD" --network big --count "$RESYNC_PEERS") ||
		fail "inject"
	for ((k = 0; k < 6000; k++)); do
		[ "$(routes 1)" -ge "$RESYNC_PEERS" ] && break
		sleep 0.02
	done
	[ "$(routes 1)" -ge "$RESYNC_PEERS" ] || fail "host 1 has $(routes 1) routes, not $RESYNC_PEERS"
	c1=$(cpu_ms "$pid")
	t1=$(now_ms)
	sample resync-events-cpu-ms $((c1 - c0))
	sample resync-events-ms $((t1 - t0))
	echo "  $RESYNC_PEERS peers as they came (puts in transactions of 100): netd CPU $((c1 - c0)) ms, all programmed after $((t1 - t0)) ms"
	mem_samples resync-peers "$pid"
	assert_eq "$(fab_vxlan_sources 1 | wc -l)" "$RESYNC_PEERS"
	# periodic resyncs (every 4 s): from the end of one to the end of the next, netd's CPU is one resync
	# (and 4 s of idling, keepalives: a few ms)
	for k in 1 2 3; do
		wait_listing $(($(listings) + 1))
		c0=$(cpu_ms "$pid")
		wait_listing $(($(listings) + 1))
		c1=$(cpu_ms "$pid")
		sample resync-kept-cpu-ms $((c1 - c0))
		sample resync-kept-ms "$(grep 'fabric: listed at revision' "$FAB_DIR/h1/netd.log" | tail -1 | sed 's/.* in \([0-9]*\) ms$/\1/')"
	done
	echo "  a resync, everything in place: netd CPU $(stats resync-kept-cpu-ms) ms; wall $(stats resync-kept-ms) ms"
	# the device deleted right after a resync: the next one writes every entry again
	for k in 1 2 3; do
		wait_listing $(($(listings) + 1))
		ip -n fh1 link del bfx1
		c0=$(cpu_ms "$pid")
		wait_listing $(($(listings) + 1))
		c1=$(cpu_ms "$pid")
		[ "$(routes 1)" -ge "$RESYNC_PEERS" ] || fail "the resync left $(routes 1) routes"
		sample resync-write-cpu-ms $((c1 - c0))
		sample resync-write-ms "$(grep 'fabric: listed at revision' "$FAB_DIR/h1/netd.log" | tail -1 | sed 's/.* in \([0-9]*\) ms$/\1/')"
	done
	echo "  a resync writing all $((3 * RESYNC_PEERS)) entries again: netd CPU $(stats resync-write-cpu-ms) ms; wall $(stats resync-write-ms) ms"
	echo "  netd RSS: $(stats resync-0-rss-kib) KiB with no peer, $(stats resync-peers-rss-kib) KiB with $RESYNC_PEERS"
	echo "    private dirty: $(stats resync-0-priv-kib) KiB with no peer, $(stats resync-peers-priv-kib) KiB with $RESYNC_PEERS"
	fab_etcdctl lease revoke "$(printf '%x' "$lease")" >/dev/null
	fab_down
}

# ---------------------------------------------------------------- attach
stage_attach() {
	fab_down
	fab_up 2 || return 1
	fab_netctl 1 network create fab --subnet 10.70.0.0/16 --fabric >/dev/null || fail "network create"
	fab_netctl 1 network create loc --subnet 10.99.0.0/16 >/dev/null || fail "local network"
	wait_for 10 fab_netctl 2 network inspect fab || fail "host 2 has no fab"
	fab_wait_sync 10 1 2
	echo "attach + detach through netd on host 1: a local network, and a fabric network with a peer"
	bench-fabric attach --socket "$(fab_sock 1)" -n "$ATTACH_FAB_N" --samples "$TMP/attach.txt" loc fab |
		sed 's/^/  /'
	awk '$1 == "attach" {print "attach-" $2 "-us", $3}' "$TMP/attach.txt" >>"$OUT"
	fab_down
}

# ---------------------------------------------------------------- tcp
# iperf_once SERVER-NS ADDR CLIENT-NS: bits/s received
iperf_once() {
	local out spid
	ip netns exec "$1" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
	spid=$!
	for _ in $(seq 50); do
		ip netns exec "$1" ss -ltn 2>/dev/null | grep -q ':5201 ' && break
		sleep 0.05
	done
	out=$(ip netns exec "$3" iperf3 -c "$2" -p 5201 -t "$IPERF_SECONDS" -J 2>/dev/null) || {
		kill "$spid" 2>/dev/null
		wait "$spid" 2>/dev/null
		fail "iperf3 from $3 to $2 failed"
	}
	wait "$spid" 2>/dev/null
	jq -r '.end.sum_received.bits_per_second' <<<"$out"
}

stage_tcp() {
	local s1 g1 i
	fab_down
	fab_up 2 || return 1
	fab_netctl 1 network create fab --subnet 10.70.0.0/16 --fabric >/dev/null || fail "network create"
	fab_netctl 1 network create hg --subnet 10.80.0.0/16 --fabric --mode host-gw >/dev/null || fail "host-gw network"
	wait_for 10 eval "fab_netctl 2 network inspect fab && fab_netctl 2 network inspect hg" || fail "host 2"
	s1=$(fab_container 1 s1 fab)
	fab_container 1 c1 fab >/dev/null
	fab_container 2 c2 fab >/dev/null
	g1=$(fab_container 1 g1 hg)
	fab_container 2 g2 hg >/dev/null
	wait_for 10 ip netns exec c2 tst-net request "$s1" 9 100 || true
	echo "tcp: iperf3, ${IPERF_SECONDS}s per run, $IPERF_RUNS runs per path, the paths taking turns"
	gbps() { awk -v b="$1" 'BEGIN { printf "%.3f", b / 1e9 }'; }
	for ((i = 0; i < IPERF_RUNS; i++)); do
		sample tcp-same-gbps "$(gbps "$(iperf_once s1 "$s1" c1)")"
		sample tcp-vxlan-gbps "$(gbps "$(iperf_once s1 "$s1" c2)")"
		sample tcp-hostgw-gbps "$(gbps "$(iperf_once g1 "$g1" g2)")"
	done
	echo "  same host (bridge):        $(stats tcp-same-gbps) Gbit/s"
	echo "  across hosts, VXLAN:       $(stats tcp-vxlan-gbps) Gbit/s"
	echo "  across hosts, host-gw:     $(stats tcp-hostgw-gbps) Gbit/s"
	fab_down
}

for s in $STAGES; do
	t0=$SECONDS
	"stage_$s" || fail "stage $s"
	echo "  ($((SECONDS - t0)) s)"
done
fab_down
if [ -n "${BENCH_SAMPLES:-}" ]; then
	cp "$OUT" "$BENCH_SAMPLES/fabric.txt"
fi
