#!/bin/bash
# bench/run.sh (make bench): every benchmark of berth, one table.
#
# Runs, each inside tests/harness/sandbox (nothing touches the machine):
#   bench_run.sh     container run of /bin/true: berth, crun, runc, and the floor (unshare of the
#                    same eight namespaces); create + start + delete -f of the same bundle
#   bench_cni.sh     CNI ADD+DEL: berth-cni, bridge + host-local + portmap
#   bench-attach     attach latency through netd at 10, 100 and ~1,000 endpoints; netd RSS at 0 and 1,000;
#                    the same on a dual-stack network (-6), the fills of both taking turns
#   bench-nft        publishing one port with 10, 1,000 and 10,000 already published (IPv4 and IPv6)
#   bench-dns        netd's DNS at 1,000 named endpoints: answer time, answers per second, visibility
#   bench_iperf.sh   TCP throughput through a published port and to the container's own address (IPv4, IPv6)
#   bench_fabric.sh  the fabric across simulated hosts: a host joining, 50 hosts to a full mesh, a resync
#                    of 1,000 peers in netd CPU, attach on a fabric network, TCP across hosts, memory
# and prints one table: each figure as median (p10-p90) of its repeated
# runs, the peers side by side, and the ratios first. Writes to
# bench/results/: results.tsv (every figure), results.json, table.txt,
# scaling.png (gnuplot) and raw/ (every sample) and logs/.
# docs/performance.md ("Reading make bench") explains the table.
#
# Knobs (environment): RUNS=40 (container runs per runtime), CNI_N=30,
# ATTACH_N=1000 and ATTACH_REPEAT=2 (fills of the network), NFT_ITER=300,
# IPERF_SECONDS=3 and IPERF_RUNS=5, JOIN_N=20, MESH_N=50, RESYNC_PEERS=1000, ATTACH_FAB_N=40
# (bench_fabric.sh); BENCH_QUICK=1 makes every one small (a
# smoke test of the whole pipeline, minutes less, numbers noisier).
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/rel}
BIN=$PWD/$BUILD/bin
OUT=$PWD/bench/results
RAW=$OUT/raw
LOGS=$OUT/logs

if [ "$(id -u)" != 0 ]; then
	echo "bench: needs root (namespaces, cgroups, nftables inside the sandbox): sudo make bench" >&2
	exit 1
fi
if [ -n "${BENCH_QUICK:-}" ]; then
	: "${RUNS:=8}" "${CNI_N:=6}" "${ATTACH_N:=120}" "${ATTACH_REPEAT:=1}" "${NFT_ITER:=30}" "${DNS_N:=100}"
	: "${IPERF_SECONDS:=1}" "${IPERF_RUNS:=2}"
	: "${JOIN_N:=5}" "${MESH_N:=20}" "${RESYNC_PEERS:=300}" "${ATTACH_FAB_N:=10}"
fi
RUNS=${RUNS:-40}
CNI_N=${CNI_N:-30}
ATTACH_N=${ATTACH_N:-1000}
ATTACH_REPEAT=${ATTACH_REPEAT:-2}
NFT_ITER=${NFT_ITER:-300}
DNS_N=${DNS_N:-1000}
export IPERF_SECONDS=${IPERF_SECONDS:-3} IPERF_RUNS=${IPERF_RUNS:-5}
export JOIN_N=${JOIN_N:-20} MESH_N=${MESH_N:-50} RESYNC_PEERS=${RESYNC_PEERS:-1000} ATTACH_FAB_N=${ATTACH_FAB_N:-40}
[ "$ATTACH_N" -ge 110 ] || { echo "bench: ATTACH_N must be at least 110" >&2; exit 2; }

rm -rf "$RAW" "$LOGS"
mkdir -p "$RAW" "$LOGS"
export BENCH_SAMPLES=$RAW BERTH_BIN_DIR=$BIN
failed=()

# step NAME CMD...: run one benchmark, its output in logs/NAME.log and on the terminal.
step() {
	local name=$1 t0=$SECONDS
	shift
	echo "==> $name" >&2
	if ! "$@" 2>&1 | tee "$LOGS/$name.log" | sed 's/^/    /' >&2; then
		echo "==> $name FAILED (log: bench/results/logs/$name.log)" >&2
		failed+=("$name")
	fi
	echo "    ($((SECONDS - t0)) s)" >&2
}

started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
load=$(cut -d' ' -f1-3 /proc/loadavg)
step run env BUILD="$BUILD" RUNS="$RUNS" ./bench/bench_run.sh
step cni "$BIN/sandbox" --timeout 900 env N="$CNI_N" bash bench/bench_cni.sh
for ((k = 1; k <= ATTACH_REPEAT; k++)); do
	step "attach-$k" "$BIN/sandbox" --timeout 900 "$BIN/bench-attach" -n "$ATTACH_N" --samples "$RAW/attach-$k.txt"
	if [ -e /proc/sys/net/ipv6 ]; then
		step "attach6-$k" "$BIN/sandbox" --timeout 900 "$BIN/bench-attach" -6 -n "$ATTACH_N" \
			--samples "$RAW/attach6-$k.txt"
	fi
done
step nft "$BIN/sandbox" --timeout 900 "$BIN/bench-nft" "$NFT_ITER"
step dns "$BIN/sandbox" --timeout 900 "$BIN/bench-dns" -n "$DNS_N" --samples "$RAW/dns.txt"
step iperf "$BIN/sandbox" --timeout 900 bash bench/bench_iperf.sh
step fabric "$BIN/sandbox" --timeout 1800 bash bench/bench_fabric.sh

# ---------------------------------------------------------------- figures
# Every figure is one row of results.tsv:
#   key  subject  unit  n  median  p10  p90
TSV=$OUT/results.tsv
printf 'key\tsubject\tunit\tn\tmedian\tp10\tp90\n' >"$TSV"

# stats_of KEY SUBJECT UNIT SCALE: the samples on stdin (one number per line), times SCALE.
stats_of() {
	sort -g | awk -v key="$1" -v subj="$2" -v unit="$3" -v scale="$4" '
		{ v[++n] = $1 * scale }
		function q(p,  i) { i = int(p * (n - 1) + 0.5) + 1; return v[i] }
		END {
			if (!n) exit
			med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
			printf "%s\t%s\t%s\t%d\t%.6g\t%.6g\t%.6g\n", key, subj, unit, n, med, q(0.1), q(0.9)
		}' >>"$TSV"
}

samples() { [ -s "$RAW/$1" ] && cat "$RAW/$1"; }

samples run-berth.ms | stats_of run berth ms 1
samples run-crun.ms | stats_of run crun ms 1
samples run-runc.ms | stats_of run runc ms 1
samples floor.ms | stats_of run floor ms 1
samples csd-berth.ms | stats_of csd berth ms 1
samples csd-crun.ms | stats_of csd crun ms 1
samples csd-runc.ms | stats_of csd runc ms 1
samples cni-berth.us | stats_of cni berth-cni ms 0.001
samples cni-ref.us | stats_of cni reference ms 0.001
samples cni-floor.us | stats_of cni kernel-floor ms 0.001
# attach latency "at N endpoints": the attaches that found N..N+9 endpoints on the network (every fill pooled)
# (every fill pooled; "at ATTACH_N" is the last ten, which found ATTACH_N-10..ATTACH_N-1)
# attach_window N FIRST [6]: the IPv4-only fills, or with 6 the dual-stack ones (key attach6@N)
attach_window() {
	cat "$RAW"/attach"${3:-}"-*.txt 2>/dev/null | awk -v lo="$2" '$1 == "attach" && $2 >= lo && $2 < lo + 10 {print $3}' |
		stats_of "attach${3:-}@$1" berth ms 0.001
}
attach_window 10 10
attach_window 100 100
attach_window "$ATTACH_N" "$((ATTACH_N - 10))"
attach_window 10 10 6
attach_window 100 100 6
attach_window "$ATTACH_N" "$((ATTACH_N - 10))" 6
cat "$RAW"/attach-*.txt 2>/dev/null | awk '$1 == "rss" && $2 == 0 {print $3}' | stats_of rss@0 netd MiB 0.0009765625
cat "$RAW"/attach-*.txt 2>/dev/null | awk '$1 == "rss" && $2 > 0 {print $3}' | stats_of "rss@$ATTACH_N" netd MiB 0.0009765625
# bench-nft prints median / p10 / p90 of its iterations itself
awk '$1 == "publish" || $1 == "publish6" {
	gsub(/= +/, "=")
	for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	printf "%s@%s\tberth\tus\t%s\t%s\t%s\t%s\n", $1, f["published"], f["n"], f["median"], f["p10"], f["p90"]
}' "$LOGS/nft.log" >>"$TSV"
# bench-dns: every answer time, the two rates, the visibility of twenty fresh names each way
dns_samples() { awk -v k="$1" '$1 == k {print $2}' "$RAW/dns.txt" 2>/dev/null; }
dns_samples local | stats_of dns-local berth us 1
dns_samples rate | stats_of dns-rate berth answers/s 1
dns_samples rate-cpu | stats_of dns-rate-cpu berth answers/s 1
dns_samples visible-netd | stats_of dns-visible netd ms 0.001
dns_samples visible-cni | stats_of dns-visible berth-cni ms 0.001
samples iperf-published.bps | stats_of tcp published Gbit/s 1e-9
samples iperf-direct.bps | stats_of tcp direct Gbit/s 1e-9
samples iperf-published6.bps | stats_of tcp6 published Gbit/s 1e-9
samples iperf-direct6.bps | stats_of tcp6 direct Gbit/s 1e-9
# bench_fabric.sh: "KEY VALUE" lines
fab_samples() { awk -v k="$1" '$1 == k {print $2}' "$RAW/fabric.txt" 2>/dev/null; }
fab_samples join-reach-ms | stats_of fabric-join berth ms 1
fab_samples mesh-ms | stats_of fabric-mesh berth ms 1
fab_samples mesh-host-ms | stats_of fabric-mesh-host berth ms 1
fab_samples resync-kept-cpu-ms | stats_of fabric-resync netd-cpu ms 1
fab_samples resync-write-cpu-ms | stats_of fabric-resync-write netd-cpu ms 1
fab_samples resync-events-cpu-ms | stats_of fabric-peers-events netd-cpu ms 1
fab_samples attach-loc-us | stats_of fabric-attach local ms 0.001
fab_samples attach-fab-us | stats_of fabric-attach fabric ms 0.001
fab_samples tcp-same-gbps | stats_of fabric-tcp same-host Gbit/s 1
fab_samples tcp-vxlan-gbps | stats_of fabric-tcp vxlan Gbit/s 1
fab_samples tcp-hostgw-gbps | stats_of fabric-tcp host-gw Gbit/s 1
fab_samples mesh-rss-kib | stats_of fabric-mem rss MiB 0.0009765625
fab_samples mesh-pss-kib | stats_of fabric-mem pss MiB 0.0009765625

# ---------------------------------------------------------------- the table
# fig KEY SUBJECT FIELD: a field of a figure (median, p10, p90, n); empty when missing.
fig() {
	awk -F'\t' -v k="$1" -v s="$2" -v f="$3" '
		NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		$1 == k && $2 == s { print $col[f]; exit }' "$TSV"
}
# val KEY SUBJECT: "median unit (p10-p90)"
val() {
	local med p10 p90 unit
	med=$(fig "$1" "$2" median)
	[ -n "$med" ] || { echo "-"; return; }
	p10=$(fig "$1" "$2" p10)
	p90=$(fig "$1" "$2" p90)
	unit=$(fig "$1" "$2" unit)
	awk -v m="$med" -v a="$p10" -v b="$p90" -v u="$unit" 'BEGIN {
		d = (m >= 100) ? 0 : (m >= 10 ? 1 : 2)
		printf "%.*f %s (%.*f-%.*f)", d, m, u, d, a, d, b }'
}
# ratio KEY1 SUBJ1 KEY2 SUBJ2: median1 / median2
ratio() {
	local a b
	a=$(fig "$1" "$2" median)
	b=$(fig "$3" "$4" median)
	[ -n "$a" ] && [ -n "$b" ] || { echo "-"; return; }
	awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2fx", a / b }'
}

TABLE=$OUT/table.txt
{
	echo "berth benchmarks, $started, $(uname -sr), $(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), load $load"
	echo "each figure: median (p10-p90) of its repeated runs; ratios are of medians (<1: berth is faster/smaller)"
	echo
	printf '%-40s %-34s %-30s %s\n' "FIGURE" "RATIO (headline)" "BERTH" "PEERS"
	row() { printf '%-40s %-34s %-30s %s\n' "$1" "$2" "$3" "$4"; }
	peers=""
	[ -n "$(fig run crun median)" ] && peers="crun $(val run crun)"
	[ -n "$(fig run runc median)" ] && peers="${peers:+$peers; }runc $(val run runc)"
	r="berth/crun $(ratio run berth run crun), berth/runc $(ratio run berth run runc)"
	row "container run (/bin/true, 8 ns, limits)" "$r" "$(val run berth)" "${peers:--}"
	row "container run against the floor" "berth/floor $(ratio run berth run floor)" "$(val run berth)" \
		"unshare of the 8 namespaces + true $(val run floor)"
	peers=""
	[ -n "$(fig csd crun median)" ] && peers="crun $(val csd crun)"
	[ -n "$(fig csd runc median)" ] && peers="${peers:+$peers; }runc $(val csd runc)"
	r="berth/crun $(ratio csd berth csd crun), berth/runc $(ratio csd berth csd runc)"
	row "create + start + delete -f (same)" "$r" "$(val csd berth)" "${peers:--}"
	peers="-"
	[ -n "$(fig cni reference median)" ] && peers="bridge+host-local+portmap $(val cni reference)"
	row "CNI ADD+DEL (1 plugin, 1 port)" "berth-cni/reference $(ratio cni berth-cni cni reference)" \
		"$(val cni berth-cni)" "$peers; kernel veth add+del $(val cni kernel-floor)"
	row "attach via netd, at 10 endpoints" "1.00x (base)" "$(val attach@10 berth)" "-"
	row "attach via netd, at 100 endpoints" "at 100 / at 10 $(ratio attach@100 berth attach@10 berth)" \
		"$(val attach@100 berth)" "-"
	row "attach via netd, at $ATTACH_N endpoints" "at $ATTACH_N / at 10 $(ratio "attach@$ATTACH_N" berth attach@10 berth)" \
		"$(val "attach@$ATTACH_N" berth)" "-"
	row "publish a port, 10 published" "1.00x (base)" "$(val publish@10 berth)" "-"
	row "publish a port, 1,000 published" "at 1,000 / at 10 $(ratio publish@1000 berth publish@10 berth)" \
		"$(val publish@1000 berth)" "-"
	row "publish a port, 10,000 published" "at 10,000 / at 10 $(ratio publish@10000 berth publish@10 berth)" \
		"$(val publish@10000 berth)" "-"
	dns_p99=$(dns_samples local | sort -g | awk '{v[++n] = $1} END {if (n) printf "%.0f us", v[int(0.99 * (n - 1) + 0.5) + 1]}')
	row "DNS answer, local name, $DNS_N endpoints" "p99 ${dns_p99:--}" "$(val dns-local berth)" "-"
	row "DNS answers/s, 32 in flight" "per core of the DNS thread $(val dns-rate-cpu berth)" "$(val dns-rate berth)" "-"
	row "DNS name visible after attach (netd)" "1.00x (base)" "$(val dns-visible netd)" \
		"after berth-cni ADD $(val dns-visible berth-cni)"
	row "TCP through a published port (DNAT)" "published/direct $(ratio tcp published tcp direct)" \
		"$(val tcp published)" "direct to the container $(val tcp direct)"
	if [ -n "$(fig attach6@10 berth median)" ]; then
		row "dual-stack attach, at 10 endpoints" "dual/IPv4 at 10 $(ratio attach6@10 berth attach@10 berth)" \
			"$(val attach6@10 berth)" "IPv4 only $(val attach@10 berth)"
		row "dual-stack attach, at $ATTACH_N endpoints" \
			"dual/IPv4 at $ATTACH_N $(ratio "attach6@$ATTACH_N" berth "attach@$ATTACH_N" berth)" \
			"$(val "attach6@$ATTACH_N" berth)" "IPv4 only $(val "attach@$ATTACH_N" berth)"
	fi
	if [ -n "$(fig publish6@10 berth median)" ]; then
		row "publish an IPv6 port, 10 published" "1.00x (base)" "$(val publish6@10 berth)" "-"
		row "publish an IPv6 port, 10,000 published" \
			"at 10,000 / at 10 $(ratio publish6@10000 berth publish6@10 berth)" "$(val publish6@10000 berth)" "-"
	fi
	if [ -n "$(fig tcp6 published median)" ]; then
		row "TCP over IPv6, published port (DNAT)" "published/direct $(ratio tcp6 published tcp6 direct)" \
			"$(val tcp6 published)" "direct to the container $(val tcp6 direct)"
	fi
	row "fabric: new host reached by every peer" "target 1 s" \
		"$(val fabric-join berth)" "$JOIN_N joins into 4 hosts, from its netd's start"
	row "fabric: $MESH_N hosts to a full mesh" "target 5 s" "$(val fabric-mesh berth)" \
		"per host $(val fabric-mesh-host berth)"
	row "fabric: resync of $RESYNC_PEERS peers, netd CPU" "target 1 s" "$(val fabric-resync netd-cpu)" \
		"all written again $(val fabric-resync-write netd-cpu); as they came $(val fabric-peers-events netd-cpu)"
	row "fabric: attach on a fabric network" "fabric/local $(ratio fabric-attach fabric fabric-attach local) (target 1.1x)" \
		"$(val fabric-attach fabric)" "local network $(val fabric-attach local)"
	row "fabric: TCP across hosts, VXLAN" "vxlan/same-host $(ratio fabric-tcp vxlan fabric-tcp same-host)" \
		"$(val fabric-tcp vxlan)" "same host $(val fabric-tcp same-host); host-gw $(val fabric-tcp host-gw)"
	row "fabric: netd memory, $((MESH_N - 1)) peers" "PSS (target 8 MiB)" "$(val fabric-mem pss)" \
		"RSS $(val fabric-mem rss) (shared libraries counted whole)"
	row "netd RSS, 0 endpoints" "1.00x (base)" "$(val rss@0 netd)" "-"
	row "netd RSS, $ATTACH_N endpoints" "at $ATTACH_N / at 0 $(ratio "rss@$ATTACH_N" netd rss@0 netd)" \
		"$(val "rss@$ATTACH_N" netd)" "-"
	if [ ${#failed[@]} -ne 0 ]; then
		echo
		echo "FAILED: ${failed[*]} (logs in bench/results/logs/)"
	fi
} >"$TABLE"

# ---------------------------------------------------------------- JSON and the plot
if command -v jq >/dev/null; then
	jq -R -s --arg started "$started" --arg kernel "$(uname -r)" --arg load "$load" --argjson cpus "$(nproc)" '
		split("\n") | map(select(length > 0) | split("\t")) | .[0] as $h | .[1:]
		| map([$h, .] | transpose | map({(.[0]): .[1]}) | add
		      | .n |= tonumber | .median |= tonumber | .p10 |= tonumber | .p90 |= tonumber)
		| {started: $started, kernel: $kernel, cpus: $cpus, load: $load, figures: .}' "$TSV" >"$OUT/results.json"
fi
if command -v gnuplot >/dev/null; then
	for k in 10 100 "$ATTACH_N"; do
		echo "$k $(fig "attach@$k" berth median) $(fig "attach@$k" berth p10) $(fig "attach@$k" berth p90)"
	done >"$OUT/scaling-attach.dat"
	for k in 10 1000 10000; do
		echo "$k $(fig "publish@$k" berth median) $(fig "publish@$k" berth p10) $(fig "publish@$k" berth p90)"
	done >"$OUT/scaling-publish.dat"
	gnuplot <<-EOF 2>"$LOGS/gnuplot.log" || failed+=(plot)
		set terminal png size 1100,420
		set output "$OUT/scaling.png"
		set multiplot layout 1,2 title "berth: cost per operation as the network fills (median, p10-p90)"
		set logscale x
		set grid
		set key off
		set yrange [0:*]
		set xlabel "endpoints on the network"
		set ylabel "attach through netd (ms)"
		set xtics ("10" 10, "100" 100, "$ATTACH_N" $ATTACH_N)
		set xrange [5:$((ATTACH_N * 2))]
		plot "$OUT/scaling-attach.dat" using 1:2:3:4 with yerrorlines lw 2 pt 7
		set xlabel "ports already published"
		set ylabel "publish one port (us)"
		set xtics ("10" 10, "1,000" 1000, "10,000" 10000)
		set xrange [5:20000]
		plot "$OUT/scaling-publish.dat" using 1:2:3:4 with yerrorlines lw 2 pt 7
		unset multiplot
	EOF
fi

echo
cat "$TABLE"
echo
echo "results: bench/results/ (table.txt, results.tsv, results.json, scaling.png, raw/, logs/)"
[ ${#failed[@]} -eq 0 ]
