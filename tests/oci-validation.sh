#!/bin/bash
# The OCI runtime-tools validation programs (validation/*/*.t) against berth
# and crun side by side, inside tests/harness/sandbox; prints ok / not ok for
# each program and runtime, then the totals. Not part of make check.
#
#   RUNTIME_TOOLS=DIR  the built suite (../shared/tools/runtime-tools/build.sh DIR)
#   BUILD              build directory of berth and the sandbox (build/rel)
#   CRUN               crun to compare with (crun on PATH; none: berth only)
#   T                  only programs whose name contains T
#   OUT                where the per-program TAP logs go ($BUILD/oci-validation; not
#                      under /tmp, which is private to the sandbox)
#   NET_CLS=0          do not mount a v1 net_cls,net_prio hierarchy in the sandbox for
#                      the network programs (mounted by default: this machine has none)
#
# Each program creates its bundles under TMPDIR, the sandbox's scratch
# directory, which goes with the sandbox. The cgroups the suite names
# (/cgrouptest, testdir/...) are global and are removed afterwards.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/rel}
BIN=$PWD/$BUILD/bin
OUT=${OUT:-$PWD/$BUILD/oci-validation}
PER_TEST_TIMEOUT=${PER_TEST_TIMEOUT:-180}

usage_tools() {
	cat >&2 <<EOF
oci-validation: RUNTIME_TOOLS=DIR names the built runtime-tools suite. Build it with
    ../shared/tools/runtime-tools/build.sh DIR      (offline, needs golang-go; see its README.md)
then run: make oci-validation RUNTIME_TOOLS=DIR
EOF
	exit 2
}

# The cgroups the suite's configs name, under every hierarchy, also relative to our own cgroup.
clean_cgroups() {
	local mnt rel d
	awk '$0 ~ / - cgroup2? / {print $5}' /proc/self/mountinfo | while read -r mnt; do
		# our own cgroup in that hierarchy (the mount point's name is its controllers here)
		rel=$(awk -F: -v m="${mnt##*/}" '$2 == m || $2 == "name=" m || ($2 == "" && m == "unified") ||
			index("," $2 ",", "," m ",") {print $3; exit}' /proc/self/cgroup)
		for d in "$mnt/cgrouptest" "$mnt/testdir" "$mnt${rel%/}/testdir" "$mnt${rel%/}/cgrouptest"; do
			[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
		done
	done
	return 0
}

# inner RUNTIME NAME: every program against one runtime; "name ok notok" lines on stdout.
run_all() {
	local rt=$1 name=$2 t base log ok bad rc
	mkdir -p "$OUT/$name"
	for t in validation/*/*.t; do
		base=$(basename "$t" .t)
		case "$base" in *"${T:-}"*) ;; *) continue ;; esac
		log=$OUT/$name/$base.log
		RUNTIME=$rt timeout -k 5 "$PER_TEST_TIMEOUT" "$t" >"$log" 2>&1
		rc=$?
		ok=$(grep -c '^ok ' "$log")
		bad=$(grep -c '^not ok ' "$log")
		# a few programs print no TAP and answer by their exit status
		if [ "$ok" = 0 ] && [ "$bad" = 0 ]; then
			if [ $rc = 0 ]; then ok=1; else bad=1; fi
		fi
		[ $rc = 124 ] && echo "# timed out" >>"$log"
		echo "$base $ok $bad"
		clean_cgroups
	done
}

# The sandbox's network namespace has only lo; the network programs take the second interface,
# and net_prio names the host's interfaces: a veth with the name of one of the host's (eth0 here),
# made as the peer so that it comes right after lo.
add_interface() {
	ip link add oci-peer0 type veth peer name "${NET_IF:-eth0}" && ip link set "${NET_IF:-eth0}" up
}

# linux.resources.network needs v1 net_cls and net_prio, which this machine does not mount: a
# hierarchy of them in the sandbox's mount namespace, at /sys/fs/cgroup/net_cls where the suite
# (and crun) look. /sys/fs/cgroup is the host's tmpfs (a clone): a fresh tmpfs takes its place,
# holding the same hierarchies moved over, so nothing is created in the host's.
mount_net_cls() {
	local old=$TMPDIR/cgroup-old m
	mkdir -p "$old" && mount --rbind /sys/fs/cgroup "$old" && umount -R /sys/fs/cgroup &&
		mount -t tmpfs -o mode=755 cgroup /sys/fs/cgroup || return 1
	for m in $(awk -v o="$old" 'index($5, o "/") == 1 && substr($5, length(o) + 2) !~ "/" {print $5}' \
		/proc/self/mountinfo); do
		mkdir "/sys/fs/cgroup/${m##*/}" && mount --move "$m" "/sys/fs/cgroup/${m##*/}" || return 1
	done
	mkdir /sys/fs/cgroup/net_cls,net_prio &&
		mount -t cgroup -o net_cls,net_prio cgroup /sys/fs/cgroup/net_cls,net_prio &&
		ln -s net_cls,net_prio /sys/fs/cgroup/net_cls && ln -s net_cls,net_prio /sys/fs/cgroup/net_prio
}

# A v1 hierarchy unmounted while removed cgroups are still dying would stay behind without a mount.
umount_net_cls() {
	local i
	mountpoint -q /sys/fs/cgroup/net_cls,net_prio || return 0
	for ((i = 0; i < 100; i++)); do
		[ "$(awk '$1 == "net_cls" {print $3}' /proc/cgroups)" = 1 ] && break
		sleep 0.05
	done
	umount /sys/fs/cgroup/net_cls,net_prio
}

inner() {
	local crun=$1 b c
	add_interface || echo "# no dummy interface: the network programs will fail" >&2
	if [ "${NET_CLS:-1}" = 1 ]; then
		mount_net_cls || echo "# no net_cls,net_prio hierarchy: the network programs will fail" >&2
	fi
	cd "$RUNTIME_TOOLS" || exit 2
	run_all "$BIN/berth" berth >"$OUT/berth.counts"
	if [ -n "$crun" ]; then
		# crun refuses the hybrid layout (v1 plus /sys/fs/cgroup/unified): hide the v2 part from it
		unshare -m --propagation private bash -c 'umount /sys/fs/cgroup/unified 2>/dev/null; "$0" --run-all "$1"' \
			"$0" "$crun" >"$OUT/crun.counts"
	fi
	printf '%-40s %15s %15s\n' program "berth ok/not" "crun ok/not"
	while read -r b bok bbad; do
		c=$(awk -v p="$b" '$1 == p {print $2 "/" $3}' "$OUT/crun.counts" 2>/dev/null)
		printf '%-40s %15s %15s\n' "$b" "$bok/$bbad" "${c:--}"
	done <"$OUT/berth.counts"
	awk '{o += $2; n += $3} END {printf "berth: %d ok / %d not ok\n", o, n}' "$OUT/berth.counts"
	[ -s "$OUT/crun.counts" ] && awk '{o += $2; n += $3} END {printf "crun:  %d ok / %d not ok\n", o, n}' "$OUT/crun.counts"
	echo "TAP logs: $OUT/{berth,crun}/PROGRAM.log"
	clean_cgroups
	umount_net_cls
}

case "${1:-}" in
--inner)
	inner "${2:-}"
	exit
	;;
--run-all)
	cd "$RUNTIME_TOOLS" || exit 2
	run_all "$2" crun
	exit
	;;
esac

[ -n "${RUNTIME_TOOLS:-}" ] || usage_tools
RUNTIME_TOOLS=$(cd "$RUNTIME_TOOLS" 2>/dev/null && pwd) || usage_tools
ls "$RUNTIME_TOOLS"/validation/*/*.t >/dev/null 2>&1 && [ -x "$RUNTIME_TOOLS/runtimetest" ] || {
	echo "oci-validation: no built programs in $RUNTIME_TOOLS" >&2
	usage_tools
}
[ "$(id -u)" = 0 ] || { echo "oci-validation: needs root (namespaces, cgroups)" >&2; exit 2; }
[ -x "$BIN/berth" ] && [ -x "$BIN/sandbox" ] || { echo "oci-validation: build first (make all test-bins)" >&2; exit 2; }
CRUN=${CRUN-$(command -v crun)}
[ -n "$CRUN" ] || echo "oci-validation: crun not found (apt-get install crun): berth only" >&2
rm -rf "$OUT"
mkdir -p "$OUT"
export RUNTIME_TOOLS OUT BUILD T="${T:-}" PER_TEST_TIMEOUT
clean_cgroups
# from the suite's directory: the sandbox carries the working directory over to its private /tmp
here=$PWD
(cd "$RUNTIME_TOOLS" && "$BIN/sandbox" --timeout 7200 "$here/tests/oci-validation.sh" --inner "$CRUN")
rc=$?
clean_cgroups
exit $rc
