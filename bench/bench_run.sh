#!/bin/bash
# bench_run.sh (make bench-run): wall time of `run` of /bin/true in a busybox bundle with all
# eight namespaces, user mappings and memory, pids and cpu limits, for berth
# and, when installed, crun and runc (medians, as hyperfine reports them);
# the floor, util-linux `unshare` of the same eight namespaces running the
# same /bin/true; and `create` + `start` + `delete -f` of the same bundle,
# the three commands timed together per container (as youki reports them).
#
#   bench/bench_run.sh [RUNS]        (needs root; make deps-bench installs crun, runc, hyperfine)
#
# BASE=/path/to/another/berth adds that binary (e.g. main's) to the same rounds,
# for before/after figures taken side by side.
#
# Runs inside tests/harness/sandbox, so everything it makes goes away.
# crun refuses this machine's hybrid cgroup layout, so it runs in a private
# mount namespace with /sys/fs/cgroup/unified unmounted. runc 1.1 has no time
# namespace: it runs the same bundle without one (noted in the output).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/rel}
BIN=$PWD/$BUILD/bin
RUNS=${1:-${RUNS:-40}}

if [ "$(id -u)" != 0 ]; then
	echo "bench_run needs root (namespaces, cgroups): sudo make bench-run" >&2
	exit 1
fi
if [ -z "${BERTH_SANDBOX:-}" ]; then
	exec "$BIN/sandbox" --timeout 1800 "$0" "$@"
fi

TMP=$BERTH_TEST_TMP
BB=/bin/busybox
[ -x $BB ] || { echo "bench_run: busybox-static is not installed" >&2; exit 1; }

rootfs=$TMP/rootfs
mkdir -p "$rootfs"/{bin,proc,sys,dev,tmp,etc}
cp $BB "$rootfs/bin/busybox"
ln -s busybox "$rootfs/bin/true"
ln -s busybox "$rootfs/bin/sh"
chown -R 100000:100000 "$rootfs"

# bundle DIR CGROUP NAMESPACES
bundle() {
	mkdir -p "$1"
	cat >"$1/config.json" <<EOF
{
 "ociVersion": "1.0.2",
 "process": {"terminal": false, "user": {"uid": 0, "gid": 0}, "args": ["/bin/true"], "env": ["PATH=/bin"], "cwd": "/",
   "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]},
   "noNewPrivileges": true},
 "root": {"path": "$rootfs", "readonly": true},
 "hostname": "bench",
 "mounts": [
  {"destination": "/proc", "type": "proc", "source": "proc"},
  {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
  {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
  {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
  {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
  {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}
 ],
 "linux": {
  "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
  "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
  "cgroupsPath": "$2",
  "resources": {"memory": {"limit": 67108864}, "pids": {"limit": 64},
                "cpu": {"shares": 512, "quota": 50000, "period": 100000}},
  "namespaces": [$3],
  "maskedPaths": ["/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                  "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
  "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
 }
}
EOF
}

ALL8='{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"user"},{"type":"cgroup"},{"type":"time"}'
NO_TIME='{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"user"},{"type":"cgroup"}'
CG=/$BERTH_TEST_CGROUP
# Containers live under an existing parent cgroup, as with engines (/libpod_parent...), so that
# no runtime creates and removes the parent on every run. The sandbox removes it afterwards.
for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
	[ -e "$h/cgroup.procs" ] && mkdir -p "$h/$BERTH_TEST_CGROUP"
done
for f in cpus mems; do
	[ -e /sys/fs/cgroup/cpuset/cpuset.$f ] && cat /sys/fs/cgroup/cpuset/cpuset.$f >"/sys/fs/cgroup/cpuset/$BERTH_TEST_CGROUP/cpuset.$f"
done

# The machine's load drifts (and with it the RCU grace periods that cgroup
# migration waits for), so the runtimes take turns: ROUNDS rounds of
# RUNS/ROUNDS runs each, and the median is taken over all of a runtime's runs.
ROUNDS=${ROUNDS:-8}
PER=$(((RUNS + ROUNDS - 1) / ROUNDS))

# times_ms OUT CMD...: append the wall times (ms) of PER runs of CMD to OUT.
# times_ms -s OUT 'SHELL LINE': the same for a shell command line (create && start && delete);
# hyperfine then subtracts the shell's own start-up, as in youki's figures.
times_ms() {
	local shell="" mode=-N out i t0 t1
	[ "$1" = -s ] && shell=1 mode=-Ssh && shift
	out=$1
	shift
	if command -v hyperfine >/dev/null; then
		hyperfine "$mode" --style none -w 1 -r "$PER" --export-json "$out.json" "$*" \
			>/dev/null 2>&1 || return 1
		tr -d ' \n' <"$out.json" | sed -n 's/.*"times":\[\([^]]*\)\].*/\1/p' | tr ',' '\n' |
			awk '{printf "%.3f\n", $1 * 1000}' >>"$out"
		return 0
	fi
	for ((i = 0; i < PER; i++)); do
		t0=$EPOCHREALTIME
		if [ -n "$shell" ]; then
			sh -c "$*" >/dev/null 2>&1 || return 1
		else
			"$@" >/dev/null 2>&1 || return 1
		fi
		t1=$EPOCHREALTIME
		awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", (b - a) * 1000}' >>"$out"
	done
}

# csd RUNTIME ROOT BUNDLE: the shell line of create, start and delete -f of one container.
csd() {
	echo "$1 --root $2 create --bundle $3 csd && $1 --root $2 start csd && $1 --root $2 delete -f csd"
}

# no_unified CMD...: CMD in a private mount namespace without /sys/fs/cgroup/unified (crun's view, above).
no_unified() {
	unshare -m bash -c 'umount /sys/fs/cgroup/unified 2>/dev/null; "$@"' no_unified "$@"
}

median() {
	sort -n "$1" | awk '{a[NR]=$1} END {if (NR) printf "%.2f", a[int((NR+1)/2)]; else printf "FAILED"}'
}

# spread FILE: "MEDIAN ms (p10 P10, p90 P90)"
spread() {
	sort -n "$1" | awk '{a[NR]=$1} END {
		if (!NR) { printf "FAILED"; exit }
		printf "%.2f ms (p10 %.2f, p90 %.2f)", a[int((NR+1)/2)], a[int(0.1*(NR-1)+1.5)], a[int(0.9*(NR-1)+1.5)] }'
}

bundle "$TMP/b-berth" "$CG/berth" "$ALL8"
BASE=${BASE:-}
[ -z "$BASE" ] || bundle "$TMP/b-base" "$CG/base" "$ALL8"
have_crun="" have_runc=""
command -v crun >/dev/null && have_crun=1 && bundle "$TMP/b-crun" "$CG/crun" "$ALL8"
command -v runc >/dev/null && have_runc=1 && bundle "$TMP/b-runc" "$CG/runc" "$NO_TIME"
export -f times_ms
export PER TMP
for f in run-berth run-base run-crun run-runc floor csd-berth csd-base csd-crun csd-runc; do
	: >"$TMP/t-$f"
done
# The floor: the kernel's part alone, the same eight namespaces (the user namespace mapping the
# caller to root, written by unshare itself) around the container's own /bin/true (busybox,
# static), with no runtime, cgroup, rootfs or mounts.
FLOOR=(unshare --pid --fork --net --ipc --uts --mount --user --map-root-user --cgroup --time "$rootfs/bin/true")
# CSD=0: no create/start/delete rows (half the time).
CSD=${CSD:-1}
# SAME_VIEW=1: berth too runs with the cgroup2 mount hidden (pure v1, as crun sees the machine).
# By default berth runs on the machine as it is (hybrid: it also makes and removes a real
# cgroup2 directory, which crun, writing into the plain directory left where the mount was,
# does not), so the default comparison is the conservative one for berth.
berth_view=()
[ "${SAME_VIEW:-0}" = 1 ] && berth_view=(no_unified)
for ((round = 0; round < ROUNDS; round++)); do
	"${berth_view[@]}" times_ms "$TMP/t-run-berth" "$BIN/berth" --root "$TMP/berth" run --bundle "$TMP/b-berth" bench ||
		echo "berth failed" >&2
	if [ -n "$BASE" ]; then
		"${berth_view[@]}" times_ms "$TMP/t-run-base" "$BASE" --root "$TMP/base" run --bundle "$TMP/b-base" bench ||
			echo "base berth failed" >&2
	fi
	if [ -n "$have_crun" ]; then
		no_unified times_ms "$TMP/t-run-crun" crun --root "$TMP/crun" run --bundle "$TMP/b-crun" bench ||
			echo "crun failed" >&2
	fi
	if [ -n "$have_runc" ]; then
		times_ms "$TMP/t-run-runc" runc --root "$TMP/runc" run --bundle "$TMP/b-runc" bench || echo "runc failed" >&2
	fi
	times_ms "$TMP/t-floor" "${FLOOR[@]}" || echo "unshare (floor) failed" >&2
	[ "$CSD" = 1 ] || continue
	"${berth_view[@]}" times_ms -s "$TMP/t-csd-berth" "$(csd "$BIN/berth" "$TMP/berth" "$TMP/b-berth")" ||
		echo "berth create/start/delete failed" >&2
	if [ -n "$BASE" ]; then
		"${berth_view[@]}" times_ms -s "$TMP/t-csd-base" "$(csd "$BASE" "$TMP/base" "$TMP/b-base")" ||
			echo "base berth create/start/delete failed" >&2
	fi
	if [ -n "$have_crun" ]; then
		no_unified times_ms -s "$TMP/t-csd-crun" "$(csd crun "$TMP/crun" "$TMP/b-crun")" ||
			echo "crun create/start/delete failed" >&2
	fi
	if [ -n "$have_runc" ]; then
		times_ms -s "$TMP/t-csd-runc" "$(csd runc "$TMP/runc" "$TMP/b-runc")" ||
			echo "runc create/start/delete failed" >&2
	fi
done
# ratio A B: A / B of two medians, or "-"
ratio() {
	case "$1$2" in *FAILED* | *-*) echo "-" ;; *) awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}' ;; esac
}
berth_ms=$(median "$TMP/t-run-berth")
floor_ms=$(median "$TMP/t-floor")
crun_ms=-
echo "berth  run /bin/true, 8 namespaces:   median $(spread "$TMP/t-run-berth") ($(wc -l <"$TMP/t-run-berth") runs$([ "${SAME_VIEW:-0}" = 1 ] && echo ", cgroup2 hidden as for crun"))"
if [ -n "$have_crun" ]; then
	crun_ms=$(median "$TMP/t-run-crun")
	echo "crun   run /bin/true, 8 namespaces:   median $(spread "$TMP/t-run-crun") ($(crun --version | head -1))"
fi
if [ -n "$have_runc" ]; then
	echo "runc   run /bin/true, 7 namespaces:   median $(spread "$TMP/t-run-runc") ($(runc --version | head -1); no time namespace support)"
fi
echo "floor  unshare, 8 namespaces, true:   median $(spread "$TMP/t-floor") ($(unshare --version))"
if [ -n "$BASE" ]; then
	base_ms=$(median "$TMP/t-run-base")
	echo "base   run /bin/true, 8 namespaces:   median $(spread "$TMP/t-run-base") ($BASE)"
	echo "base / crun   = $(ratio "$base_ms" "$crun_ms"), base / floor = $(ratio "$base_ms" "$floor_ms")"
fi
echo "load $(cut -d' ' -f1-3 /proc/loadavg) (2-CPU machine: above ~1.5 the runtimes wait for CPUs)"
echo "berth / crun  = $(ratio "$berth_ms" "$crun_ms") (target <= 0.60)"
echo "berth / floor = $(ratio "$berth_ms" "$floor_ms") (target <= 2.20)"
if [ "$CSD" = 1 ]; then
	csd_berth=$(median "$TMP/t-csd-berth")
	echo "berth  create+start+delete -f:        median $(spread "$TMP/t-csd-berth")"
	csd_crun=-
	if [ -n "$have_crun" ]; then
		csd_crun=$(median "$TMP/t-csd-crun")
		echo "crun   create+start+delete -f:        median $(spread "$TMP/t-csd-crun")"
	fi
	[ -z "$have_runc" ] || echo "runc   create+start+delete -f:        median $(spread "$TMP/t-csd-runc") (7 namespaces)"
	echo "berth / crun (create+start+delete) = $(ratio "$csd_berth" "$csd_crun")"
	[ -z "$BASE" ] || echo "base   create+start+delete -f:        median $(spread "$TMP/t-csd-base")"
fi
# For bench/run.sh: every run's wall time (ms), one file per runtime and figure.
if [ -n "${BENCH_SAMPLES:-}" ]; then
	for f in run-berth run-base run-crun run-runc floor csd-berth csd-base csd-crun csd-runc; do
		[ ! -s "$TMP/t-$f" ] || cp "$TMP/t-$f" "$BENCH_SAMPLES/$f.ms"
	done
fi
