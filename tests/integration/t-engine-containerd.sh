#!/bin/bash
# containerd driving berth through its runc shim (io.containerd.runc.v2 with
# --runc-binary), runc as the reference: ctr run (exit status, -t), exec
# (plain, -t), metrics, pause/resume, kill, delete. containerd
# runs inside the sandbox with root, state, sockets and config under $TMP;
# the image is imported from a tarball made here; cgroups go under
# $BERTH_TEST_CGROUP, and nothing may appear elsewhere.
#
# Cases waiting on other work of the issue "berth as a drop-in for runc":
#   run -t           the fix of `create --console-socket` holding the caller's stdout (the -t hang)
# Debian's ctr (1.6) has no `task update`: containerd's update path to the
# runtime (Update -> shim -> `berth update`) is what `docker update` takes,
# in t-engine-docker.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-runtime.sh"
. "$(dirname "$0")/lib-engine.sh"

CTD=$TMP/ctd
IMAGE=localhost/berthtest:latest
NS=berthtest
RUNTIMES=${ENG_RUNTIMES:-berth runc}
ENGINE_SKIP=""

# ctr on the test's containerd; a hang fails after 60 s
C() {
	tmo 60 ctr --address "$CTD_SOCK" -n "$NS" "$@"
}

ctd_setup() {
	command -v containerd >/dev/null && command -v ctr >/dev/null && command -v containerd-shim-runc-v2 >/dev/null ||
		{ ENGINE_SKIP="containerd is not installed (make deps-test installs it)" && return 0; }
	eng_cgroups_snapshot
	ctd_start "$CTD" || fail "containerd did not start"
	eng_image_tar "$TMP/image.tar" "$IMAGE"
	C image import "$TMP/image.tar" >/dev/null || fail "ctr image import"
}

need_engine() {
	[ -z "$ENGINE_SKIP" ] || skip "$ENGINE_SKIP"
}

# The runtimes each case runs with: berth, and runc as the reference when installed.
runtimes() {
	local rt
	for rt in $RUNTIMES; do
		[ "$rt" != runc ] || command -v runc >/dev/null || continue
		echo "$rt"
	done
}

# run_args RUNTIME ID: ctr run's options for a container of RUNTIME (a name) under the test's cgroup
run_args() {
	local bin=$BERTH_BIN_DIR/berth
	[ "$1" = berth ] || bin=$(command -v "$1")
	RUN=(--runc-binary "$bin" --runc-root "$CTD/runc-$1" --cgroup "/$BERTH_TEST_CGROUP/ctd/$2")
}

# The runtime's own state directory of container ID (the shim adds the namespace).
runtime_state() {
	echo "$CTD/runc-$1/$NS/$2"
}

task_status() {
	C task ls 2>/dev/null | awk -v id="$1" '$1 == id {print $3}'
}

# task_is ID STATUS (for wait_for)
task_is() {
	[ "$(task_status "$1")" = "$2" ]
}

# start RUNTIME ID: a detached container sleeping
start() {
	run_args "$1" "$2"
	C run -d "${RUN[@]}" "$IMAGE" "$2" sleep 300 >/dev/null || fail "$1: ctr run -d"
	wait_for 10 task_is "$2" RUNNING || fail "$1: task not running: $(C task ls)"
}

# finish RUNTIME ID: kill, delete the task and the container, check that nothing is left
finish() {
	C task kill -s SIGKILL "$2" >/dev/null 2>&1 || true
	wait_for 10 task_is "$2" STOPPED || fail "$1: not stopped: $(C task ls)"
	C task delete "$2" >/dev/null 2>&1 || fail "$1: ctr task delete"
	C container delete "$2" || fail "$1: ctr container delete"
	[ ! -e "$(runtime_state "$1" "$2")" ] || fail "$1: the runtime's state of $2 is left"
	wait_for 5 sh -c "! ls -d /sys/fs/cgroup/*/$BERTH_TEST_CGROUP/ctd/$2 /sys/fs/cgroup/$BERTH_TEST_CGROUP/ctd/$2 2>/dev/null" ||
		fail "$1: cgroups of $2 left"
}

# abandon ID: after a hang, kill the shim of container ID and whatever runs in its cgroup, by pid, and forget it
abandon() {
	local p
	for p in $(pgrep -f -- "containerd-shim-runc-v2 -namespace $NS -id $1 ") \
		$(cat /sys/fs/cgroup/pids/"$BERTH_TEST_CGROUP/ctd/$1"/cgroup.procs \
			/sys/fs/cgroup/"$BERTH_TEST_CGROUP/ctd/$1"/cgroup.procs 2>/dev/null); do
		kill -KILL "$p" 2>/dev/null || true
	done
	C task delete -f "$1" >/dev/null 2>&1 || true
	C container delete "$1" >/dev/null 2>&1 || true
}

# tty_run CMD...: CMD with a terminal on its stdin (ctr -t wants one), output with CRs removed
tty_run() {
	local cmd
	printf -v cmd '%q ' "$@"
	tmo 20 script -qec "$cmd" /dev/null </dev/null | tr -d '\r'
	return "${PIPESTATUS[0]}"
}

run_exit_status() {
	need_engine
	local rt out rc
	for rt in $(runtimes); do
		run_args "$rt" rx
		rc=0
		out=$(C run --rm "${RUN[@]}" "$IMAGE" rx sh -c 'echo hello-$((6*7)); exit 3') || rc=$?
		assert_eq "$out" hello-42 "$rt: output"
		assert_eq $rc 3 "$rt: ctr passes the container's exit status through"
		[ ! -e "$(runtime_state "$rt" rx)" ] || fail "$rt: state left after run --rm"
	done
}

# create --console-socket must not keep the shim's pipe open (it reads the runtime's output to its end)
run_terminal() {
	need_engine
	local rt out rc
	for rt in $(runtimes); do
		run_args "$rt" rt1
		rc=0
		out=$(tty_run ctr --address "$CTD_SOCK" -n "$NS" run --rm -t "${RUN[@]}" "$IMAGE" rt1 sh -c 'tty; stty size') ||
			rc=$?
		if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
			abandon rt1
			fail "$rt: ctr run -t hung (create --console-socket holding the caller's stdout?)"
		fi
		assert_eq $rc 0 "$rt: ctr run -t: $out"
		assert_contains "$out" "/dev/pts/0" "$rt: a terminal"
		C container delete rt1 >/dev/null 2>&1 || true
	done
}

exec_plain() {
	need_engine
	local rt out rc
	for rt in $(runtimes); do
		start "$rt" ex1
		rc=0
		out=$(C task exec --exec-id e1 ex1 sh -c 'echo exec-$((6*7)); exit 5') || rc=$?
		assert_eq "$out" exec-42 "$rt: exec output"
		assert_eq $rc 5 "$rt: exec exit status"
		# the exec'd process shares the init's namespaces
		assert_eq "$(C task exec --exec-id e2 ex1 readlink /proc/1/ns/pid)" \
			"$(C task exec --exec-id e3 ex1 readlink /proc/self/ns/pid)" "$rt: pid namespace"
		finish "$rt" ex1
	done
}

exec_terminal() {
	need_engine
	local rt out rc
	for rt in $(runtimes); do
		start "$rt" ex2
		rc=0
		out=$(tty_run ctr --address "$CTD_SOCK" -n "$NS" task exec -t --exec-id t1 ex2 tty) || rc=$?
		if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
			abandon ex2
			fail "$rt: ctr task exec -t hung"
		fi
		assert_eq $rc 0 "$rt: exec -t: $out"
		assert_contains "$out" "/dev/pts/" "$rt: a terminal"
		finish "$rt" ex2
	done
}

metrics() {
	need_engine
	local rt out
	for rt in $(runtimes); do
		start "$rt" me1
		out=$(C task metrics me1) || fail "$rt: ctr task metrics: $out"
		assert_contains "$out" "pids.current" "$rt: metrics"
		assert_contains "$out" "memory.usage_in_bytes" "$rt: metrics"
		finish "$rt" me1
	done
}

frozen_in_kernel() {
	local u=/sys/fs/cgroup/unified/$BERTH_TEST_CGROUP/ctd/$1 f=/sys/fs/cgroup/freezer/$BERTH_TEST_CGROUP/ctd/$1
	[ -e "$u/cgroup.events" ] || u=/sys/fs/cgroup/$BERTH_TEST_CGROUP/ctd/$1
	[ "$(sed -n 's/^frozen //p' "$u/cgroup.events" 2>/dev/null)" = 1 ] ||
		[ "$(cat "$f/freezer.state" 2>/dev/null)" = FROZEN ]
}

pause_resume() {
	need_engine
	local rt
	for rt in $(runtimes); do
		start "$rt" pa1
		C task pause pa1 || fail "$rt: ctr task pause"
		assert_eq "$(task_status pa1)" PAUSED "$rt: status after pause"
		frozen_in_kernel pa1 || fail "$rt: not frozen in the kernel"
		C task resume pa1 || fail "$rt: ctr task resume"
		assert_eq "$(task_status pa1)" RUNNING "$rt: status after resume"
		! frozen_in_kernel pa1 || fail "$rt: still frozen"
		assert_eq "$(C task exec --exec-id r1 pa1 echo alive)" alive "$rt: runs after resume"
		finish "$rt" pa1
	done
}

stop_delete() {
	need_engine
	local rt pid
	for rt in $(runtimes); do
		run_args "$rt" st1
		# sh as pid 1 ignores SIGTERM unless it traps it
		C run -d "${RUN[@]}" "$IMAGE" st1 sh -c 'trap "exit 7" TERM; while :; do sleep 1; done' >/dev/null ||
			fail "$rt: ctr run -d"
		wait_for 10 task_is st1 RUNNING || fail "$rt: not running"
		pid=$(C task ls | awk '$1 == "st1" {print $2}')
		[ "$pid" -gt 0 ] || fail "$rt: no pid"
		assert_contains "$(cat /proc/$pid/cgroup)" ":/$BERTH_TEST_CGROUP/ctd/st1" "$rt: cgroup"
		C task kill -s SIGTERM st1 || fail "$rt: ctr task kill"
		wait_for 10 task_is st1 STOPPED || fail "$rt: not stopped by SIGTERM"
		assert_contains "$(C task delete st1 2>&1)" "exit code 7" "$rt: exit status reported by delete"
		C container delete st1 || fail "$rt: ctr container delete"
		[ ! -e "$(runtime_state "$rt" st1)" ] || fail "$rt: the runtime's state is left"
		[ ! -e "/sys/fs/cgroup/memory/$BERTH_TEST_CGROUP/ctd/st1" ] || fail "$rt: cgroup left"
	done
}

ctd_teardown() {
	local id
	# also called after the last case, whose subshell may have stopped it already
	[ -z "$ENGINE_SKIP" ] && ! eng_gone "$(cat "$CTD/pid")" || return 0
	for id in $(C task ls -q 2>/dev/null || true); do
		C task kill -s SIGKILL "$id" >/dev/null 2>&1 || true
		C task delete -f "$id" >/dev/null 2>&1 || true
	done
	for id in $(C container ls -q 2>/dev/null || true); do
		C container delete "$id" >/dev/null 2>&1 || true
	done
	eng_stop "$CTD/pid" containerd
}

nothing_left() {
	need_engine
	ctd_teardown
	ENGINE_SKIP="containerd stopped"
	eng_assert_nothing_left
}

ctd_setup
t "ctr run: output and exit status (berth, runc)" run_exit_status
t "ctr run -t: a terminal" run_terminal
t "ctr task exec: output, exit status, namespaces" exec_plain
t "ctr task exec -t: a terminal" exec_terminal
t "ctr task metrics" metrics
t "ctr task pause / resume" pause_resume
t "ctr task kill SIGTERM, delete: exit status, nothing left" stop_delete
t "containerd stopped, no cgroup made outside the test's, no shim left" nothing_left
ctd_teardown
t_done
