#!/bin/bash
# Fault: resource leaks over many operations. netd serves CYCLES attach +
# detach cycles through netctl, then CYCLES container runs through berth
# (annotation berth.network, so every run is an attach and a detach); its
# open fds (/proc/PID/fd) must not grow at all and its resident memory must
# not grow steadily (small noise allowed). Nothing of the runs is left.
#
# Memory leaks: with sanitized binaries (make SANITIZE=1 check, make
# check-long) LeakSanitizer checks every netctl, berth-cni and berth process
# at exit (a leak fails the command), and netd's exit after SIGTERM here.
# With plain binaries, valgrind's memcheck checks netctl, berth-cni and berth
# for every verb it can follow (netd, berth-cni ADD and berth create clone a
# child sharing memory and fd table, which valgrind cannot run, and so do
# berth-cni CHECK and berth exec: those are LeakSanitizer's).
#
#   BERTH_FAULT_CYCLES  cycles of each kind (default 50; `make check-long` runs 500)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-runtime.sh"

SOCK=$TMP/netd.sock
NSTATE=$TMP/netd-state
export BERTH_NETD_SOCKET=$SOCK
CYCLES=${BERTH_FAULT_CYCLES:-50}
SAMPLES=10
NETD_PID=

sanitized() {
	grep -q __asan_init "$BIN/netd"
}

start_netd() {
	: >"$TMP/netd.err"
	netd --foreground --socket "$SOCK" --state-dir "$NSTATE" --run-dir "$TMP/netd-run" --log-level warn \
		2>>"$TMP/netd.err" &
	NETD_PID=$!
	wait_for 20 test -S "$SOCK" || fail "netd did not start: $(cat "$TMP/netd.err")"
}

# SIGTERM, and netd must exit 0 (with LeakSanitizer, a leak is exit 23 and a report)
stop_netd() {
	local rc=0
	kill -TERM "$NETD_PID"
	wait "$NETD_PID" || rc=$?
	NETD_PID=
	assert_not_contains "$(cat "$TMP/netd.err")" "LeakSanitizer" "netd leaked"
	assert_eq "$rc" 0 "netd's exit status after SIGTERM: $(tail -20 "$TMP/netd.err")"
}

fds() { ls "/proc/$NETD_PID/fd" | wc -l; }
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$NETD_PID/status"; }

# sample OUT: one line "fds rss_kib" once netd is idle (the reaper done with retired veths)
sample() {
	wait_for 5 sh -c "! ip -o link show type veth | grep -q ' bx[0-9a-f]\{12\}'" || true
	echo "$(fds) $(rss)" >>"$1"
}

# check_growth WHAT FILE: fds flat; memory with no steady climb and at most 1 MiB over the run.
check_growth() {
	local what=$1 file=$2
	echo "  $what: netd fds / RSS KiB per sample: $(awk '{printf "%s/%s ", $1, $2}' "$file")" >&2
	awk -v what="$what" -v san="$(sanitized && echo 1)" '
		{ fd[NR] = $1; rss[NR] = $2 }
		END {
			n = NR; up = 0
			for (i = 2; i <= n; i++) {
				if (fd[i] > fd[1]) { printf "%s: fds grew from %d to %d (sample %d)\n", what, fd[1], fd[i], i; exit 1 }
				if (rss[i] > rss[i - 1]) up++
			}
			# ASan keeps freed memory in quarantine: its RSS says nothing (LeakSanitizer does)
			if (san) exit 0
			if (rss[n] - rss[1] > 1024) { printf "%s: RSS grew by %d KiB\n", what, rss[n] - rss[1]; exit 1 }
			if (up == n - 1 && rss[n] - rss[1] > 256) { printf "%s: RSS climbed at every sample\n", what; exit 1 }
		}' "$file" || fail "netd grows"
}

attach_detach_cycles() {
	local i warm=$((CYCLES / 10 + 1)) every=$(((CYCLES + SAMPLES - 1) / SAMPLES))
	start_netd
	netns_add c1
	for ((i = 1; i <= CYCLES + warm; i++)); do
		netctl attach "cyc$((i % 3))" --netns /run/netns/c1 -p 8080:80 >/dev/null || fail "attach $i"
		netctl detach "cyc$((i % 3))" >/dev/null || fail "detach $i"
		# warm-up first: the first cycles size netd's buffers and the allocator's arenas
		((i > warm && (i - warm) % every == 0)) && sample "$TMP/cycles"
		((i == warm)) && sample "$TMP/cycles"
	done
	check_growth "$CYCLES attach/detach cycles" "$TMP/cycles"
	assert_eq "$(netctl --json ls | jq length)" 0
	stop_netd
}

container_runs() {
	local i warm=$((CYCLES / 10 + 1)) every=$(((CYCLES + SAMPLES - 1) / SAMPLES)) out
	start_netd
	rt_config "$TMP/run1" args='["true"]' ns="pid network ipc uts mount" \
		top_extra=',"annotations":{"berth.network":"berth0","berth.ports":"8080:80/tcp"}'
	for ((i = 1; i <= CYCLES + warm; i++)); do
		out=$(berth run --bundle "$TMP/run1" "r$i" 2>&1) || fail "run $i: $out"
		((i > warm && (i - warm) % every == 0)) && sample "$TMP/runs"
		((i == warm)) && sample "$TMP/runs"
	done
	check_growth "$CYCLES container runs" "$TMP/runs"
	assert_eq "$(ls "$RT_ROOT")" "" "container state left"
	assert_eq "$(find /sys/fs/cgroup/*/"$BERTH_TEST_CGROUP" /sys/fs/cgroup/"$BERTH_TEST_CGROUP" -mindepth 1 -type d 2>/dev/null)" "" \
		"cgroups left"
	assert_eq "$(netctl --json ls | jq length)" 0 "endpoints left"
	assert_not_contains "$(nft list map inet berth pub_any4)" "elements"
	stop_netd
}

# vg CMD...: run under memcheck; definite leaks and memory errors fail (status 99)
vg() {
	valgrind -q --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite \
		--error-exitcode=99 "$@"
}

no_leaks() {
	local c res
	. "$(dirname "$0")/cni-lib.sh"
	start_netd
	netns_add l1
	c=$(with_ports '[{"hostPort":7400,"containerPort":80}]' "$(conf 1.1.0 lnet 10.84.0.0/24)")
	if sanitized; then
		echo "  sanitized binaries: LeakSanitizer checks each process at exit" >&2
		assert_ok netctl attach l1 --netns /run/netns/l1 -p 8080:80
		for cmd in ls ports "inspect l1" "routes l1" "network ls" "status berth0" reconcile; do
			# shellcheck disable=SC2086
			assert_ok netctl $cmd
		done
		assert_ok netctl detach l1
		res=$(cni_ok ADD l2 /run/netns/l1 eth1 "$c")
		cni_ok CHECK l2 /run/netns/l1 eth1 "$(with_prev "$c" "$res")" >/dev/null
		cni_ok STATUS "$c" >/dev/null
		cni_ok DEL l2 /run/netns/l1 eth1 "$c" >/dev/null
		cni_ok GC "$(jq -c '. + {"cni.dev/valid-attachments": []}' <<<"$c")" >/dev/null
		rt_config "$TMP/lk" args='["sleep","30"]' \
			top_extra=',"annotations":{"berth.network":"berth0","berth.ports":"8081:80/tcp"}'
		# (not through assert_ok: the container's init inherits stdio, and $(...) would wait for it)
		berth create --bundle "$TMP/lk" lk >"$TMP/lk.out" 2>&1 || fail "create: $(cat "$TMP/lk.out")"
		assert_ok berth start lk
		assert_ok berth state lk
		assert_ok berth exec lk true
		assert_ok berth list
		assert_ok berth kill lk KILL
		rt_wait_status lk stopped || fail "lk did not stop"
		assert_ok berth delete lk
	else
		command -v valgrind >/dev/null || fail "valgrind is not installed (make deps-test installs it)"
		echo "  plain binaries: valgrind memcheck on every verb it can follow" >&2
		assert_ok vg netctl attach l1 --netns /run/netns/l1 -p 8080:80
		for cmd in ls ports "inspect l1" "routes l1" "network ls" "status berth0" reconcile; do
			# shellcheck disable=SC2086
			assert_ok vg netctl $cmd
		done
		assert_ok vg netctl detach l1
		printf '%s' "$c" | env CNI_COMMAND=VERSION valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
			--error-exitcode=99 berth-cni >/dev/null || fail "berth-cni VERSION under valgrind"
		cni_ok ADD l2 /run/netns/l1 eth1 "$c" >/dev/null
		printf '%s' "$c" | env CNI_COMMAND=STATUS valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
			--error-exitcode=99 berth-cni || fail "berth-cni STATUS under valgrind"
		# DEL once the namespace is gone (as after a container's death): with the namespace
		# at hand, DEL renames the container end from inside it through the shared-memory
		# helper valgrind cannot follow; LeakSanitizer covers that path in SANITIZE=1 runs.
		ip netns del l1
		printf '%s' "$c" | env CNI_COMMAND=DEL CNI_CONTAINERID=l2 CNI_NETNS= CNI_IFNAME=eth1 \
			valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 berth-cni ||
			fail "berth-cni DEL under valgrind"
		jq -c '. + {"cni.dev/valid-attachments": []}' <<<"$c" | tr -d '\n' | env CNI_COMMAND=GC \
			valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 berth-cni ||
			fail "berth-cni GC under valgrind"
		# berth is linked statically; valgrind follows its dynamically linked twin
		vgberth="$BIN/berth"
		[ -x "$BIN/berth-dynamic" ] && vgberth="$BIN/berth-dynamic"
		rt_config "$TMP/lk" args='["sleep","30"]'
		berth run -d --bundle "$TMP/lk" lk >"$TMP/lk.out" 2>&1 || fail "run -d: $(cat "$TMP/lk.out")"
		assert_ok vg "$vgberth" --root "$RT_ROOT" state lk
		assert_ok vg "$vgberth" --root "$RT_ROOT" list
		assert_ok vg "$vgberth" --root "$RT_ROOT" ps lk
		assert_ok vg "$vgberth" --root "$RT_ROOT" features
		# (valgrind 3.19 does not know pidfd_open, which kill uses)
		assert_ok berth kill lk KILL
		rt_wait_status lk stopped || fail "lk did not stop"
		assert_ok vg "$vgberth" --root "$RT_ROOT" delete lk
		(cd "$TMP" && mkdir -p spec && cd spec && vg "$vgberth" spec) || fail "berth spec under valgrind"
	fi
	assert_clean lnet
	stop_netd
}

t "$CYCLES attach/detach cycles: netd's fds and memory do not grow" attach_detach_cycles
t "$CYCLES container runs with the netd hand-off: netd does not grow, nothing left" container_runs
t "no memory leaks in netd, netctl, berth-cni and berth" no_leaks
t_done
