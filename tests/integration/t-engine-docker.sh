#!/bin/bash
# dockerd driving berth (--add-runtime berth=...) through containerd's runc
# shim, runc as the reference: run (exit status, -t), the container's view of
# its cgroups (Docker 20.10 on v1 gives no cgroup namespace), exec (plain,
# -t), update, stats, pause/unpause, stop, events, rm. dockerd and its
# containerd run inside the sandbox with every path under $TMP, no iptables,
# no bridge (--network none), vfs storage; the image is loaded from a tarball
# made here; cgroups go under $BERTH_TEST_CGROUP (--cgroup-parent).
#
# Cases waiting on other work of the issue "berth as a drop-in for runc":
#   run -t    the fix of `create --console-socket` holding the caller's stdout (the -t hang)
#   update    `berth update` (skipped while berth lacks the command)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-runtime.sh"
. "$(dirname "$0")/lib-engine.sh"

DK=$TMP/docker
DOCKER=/usr/bin/docker
IMAGE=localhost/berthtest:latest
PARENT=/$BERTH_TEST_CGROUP/docker
RUNTIMES=${ENG_RUNTIMES:-berth runc}
ENGINE_SKIP=""
export DOCKER_CONFIG=$DK/cli

# docker on the test's dockerd; a hang fails after 60 s
D() {
	tmo 60 "$DOCKER" -H "unix://$DK/docker.sock" "$@"
}

dockerd_setup() {
	command -v dockerd >/dev/null && [ -x "$DOCKER" ] && command -v containerd >/dev/null ||
		{ ENGINE_SKIP="docker.io is not installed (make deps-test installs it)" && return 0; }
	[ -n "$(command -v runc)" ] || RUNTIMES=${RUNTIMES/runc/}
	eng_cgroups_snapshot
	ETC_DOCKER_BEFORE=$(ls -la /etc/docker 2>&1)
	mkdir -p "$DK/cli"
	# the trust key would go to /etc/docker/key.json
	echo "{\"deprecated-key-path\": \"$DK/key.json\"}" >"$DK/daemon.json"
	ctd_start "$DK/ctd" || fail "containerd did not start"
	dockerd --config-file "$DK/daemon.json" --data-root "$DK/data" --exec-root "$DK/exec" \
		--pidfile "$DK/dockerd.pid" -H "unix://$DK/docker.sock" \
		--containerd "$CTD_SOCK" --containerd-namespace berthtest-moby \
		--containerd-plugins-namespace berthtest-plugins \
		--add-runtime "berth=$BERTH_BIN_DIR/berth" --storage-driver vfs \
		--iptables=false --ip-forward=false --ip-masq=false --bridge=none --userland-proxy=false \
		--exec-opt native.cgroupdriver=cgroupfs --cgroup-parent "$PARENT" --log-level warn \
		>"$DK/dockerd.log" 2>&1 &
	echo $! >"$DK/dockerd.pid.started"
	eng_wait_up "$DK/dockerd.pid.started" 60 "$DOCKER" -H "unix://$DK/docker.sock" version || {
		tail -20 "$DK/dockerd.log" >&2
		fail "dockerd did not start"
	}
	eng_image_tar "$TMP/image.tar" "$IMAGE"
	D load -i "$TMP/image.tar" >/dev/null || fail "docker load"
}

need_engine() {
	[ -z "$ENGINE_SKIP" ] || skip "$ENGINE_SKIP"
}

# The runtime's own state directory of container ID (Docker 20.10 gives every runc-like runtime runtime-runc).
runtime_state() {
	echo "$DK/exec/runtime-runc/berthtest-moby/$2"
}

cid() {
	D inspect -f '{{.Id}}' "$1"
}

# start RUNTIME NAME [OPTIONS...]: a detached container sleeping
start() {
	local rt=$1 name=$2
	shift 2
	D run -d --name "$name" --runtime "$rt" --network none "$@" "$IMAGE" sleep 300 >/dev/null ||
		fail "$rt: docker run -d"
	assert_eq "$(D inspect -f '{{.State.Running}}' "$name")" true "$rt: running"
}

# finish RUNTIME NAME: rm -f, and nothing of it left
finish() {
	local id
	id=$(cid "$2")
	D rm -f "$2" >/dev/null || fail "$1: docker rm -f"
	[ ! -e "$(runtime_state "$1" "$id")" ] || fail "$1: the runtime's state of $2 is left"
	wait_for 5 sh -c "! ls -d /sys/fs/cgroup/*$PARENT/$id /sys/fs/cgroup$PARENT/$id 2>/dev/null" ||
		fail "$1: cgroups of $2 left"
}

# abandon NAME CIDFILE: after a hang, kill the container's shim and what runs in its cgroup, by pid, and
# remove it (dockerd holds a hung container's lock: even inspect waits, so the id comes from --cidfile)
abandon() {
	local id p
	id=$(cat "$2" 2>/dev/null) || return 0
	for p in $(pgrep -f -- "containerd-shim-runc-v2 -namespace berthtest-moby -id $id ") \
		$(cat /sys/fs/cgroup/pids"$PARENT/$id"/cgroup.procs /sys/fs/cgroup"$PARENT/$id"/cgroup.procs 2>/dev/null); do
		kill -KILL "$p" 2>/dev/null || true
	done
	D rm -f "$1" >/dev/null 2>&1 || true
}

run_exit_status() {
	need_engine
	local rt out rc
	for rt in $RUNTIMES; do
		rc=0
		out=$(D run --rm --runtime "$rt" --network none "$IMAGE" sh -c 'echo hello-$((6*7)); exit 3') || rc=$?
		assert_eq "$out" hello-42 "$rt: output"
		assert_eq $rc 3 "$rt: docker passes the container's exit status through"
	done
}

# create --console-socket must not keep the shim's pipe open (it reads the runtime's output to its end)
run_terminal() {
	need_engine
	local rt out rc
	for rt in $RUNTIMES; do
		rc=0
		rm -f "$TMP/rt1.cid"
		out=$(tmo 20 "$DOCKER" -H "unix://$DK/docker.sock" run --name rt1 --cidfile "$TMP/rt1.cid" -t --runtime "$rt" \
			--network none "$IMAGE" sh -c 'tty; stty size' </dev/null | tr -d '\r') || rc=$?
		if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
			abandon rt1 "$TMP/rt1.cid"
			fail "$rt: docker run -t hung (create --console-socket holding the caller's stdout?)"
		fi
		D rm -f rt1 >/dev/null 2>&1 || true
		assert_eq $rc 0 "$rt: docker run -t: $out"
		assert_contains "$out" "/dev/pts/0" "$rt: a terminal"
	done
}

# Docker 20.10 on v1 gives no cgroup namespace: /sys/fs/cgroup must still be the container's own
cgroup_view() {
	need_engine
	local rt out
	for rt in $RUNTIMES; do
		out=$(D run --rm --runtime "$rt" --network none -m 32m "$IMAGE" sh -c \
			'readlink /proc/self/ns/cgroup; cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max; echo dirs=$(find /sys/fs/cgroup/ -mindepth 2 -type d | wc -l)') ||
			fail "$rt: docker run: $out"
		assert_contains "$out" 33554432 "$rt: the container's memory limit inside"
		if [ "$(echo "$out" | head -1)" = "$(readlink /proc/self/ns/cgroup)" ]; then
			assert_contains "$out" "dirs=0" "$rt: no other cgroup listed"
		fi
	done
}

exec_plain() {
	need_engine
	local rt out rc
	for rt in $RUNTIMES; do
		start "$rt" ex1
		rc=0
		out=$(D exec ex1 sh -c 'echo exec-$((6*7)); exit 5') || rc=$?
		assert_eq "$out" exec-42 "$rt: exec output"
		assert_eq $rc 5 "$rt: exec exit status"
		assert_eq "$(D exec ex1 readlink /proc/1/ns/pid)" "$(D exec ex1 readlink /proc/self/ns/pid)" "$rt: pid namespace"
		finish "$rt" ex1
	done
}

exec_terminal() {
	need_engine
	local rt out rc
	for rt in $RUNTIMES; do
		start "$rt" ex2
		cid ex2 >"$TMP/ex2.cid"
		rc=0
		out=$(tmo 20 "$DOCKER" -H "unix://$DK/docker.sock" exec -t ex2 tty </dev/null | tr -d '\r') || rc=$?
		if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
			abandon ex2 "$TMP/ex2.cid"
			fail "$rt: docker exec -t hung"
		fi
		assert_eq $rc 0 "$rt: docker exec -t: $out"
		assert_contains "$out" "/dev/pts/" "$rt: a terminal"
		finish "$rt" ex2
	done
}

memory_limit_file() {
	local id
	id=$(cid "$1")
	cat "/sys/fs/cgroup/memory$PARENT/$id/memory.limit_in_bytes" 2>/dev/null || cat "/sys/fs/cgroup$PARENT/$id/memory.max"
}

update_memory() {
	need_engine
	local rt
	# the reference first
	for rt in $(printf '%s\n' $RUNTIMES | sort -r); do
		start "$rt" up1 -m 32m --memory-swap 64m
		assert_eq "$(memory_limit_file up1)" 33554432 "$rt: limit before"
		D update -m 64m --memory-swap 128m up1 >/dev/null || fail "$rt: docker update"
		assert_eq "$(memory_limit_file up1)" 67108864 "$rt: limit after docker update"
		assert_eq "$(D inspect -f '{{.HostConfig.Memory}}' up1)" 67108864 "$rt: docker's record"
		finish "$rt" up1
	done
}

# stats_show NAME TEXT: docker stats --no-stream of NAME (name, memory usage / limit, pids) has TEXT
stats_show() {
	local out
	out=$(D stats --no-stream --format '{{.Name}} {{.MemUsage}} {{.PIDs}}' "$1") || return 1
	case $out in "$1 "*"$2"*) return 0 ;; esac
	echo "$out" >"$TMP/stats.last"
	return 1
}

stats() {
	need_engine
	local rt out
	for rt in $RUNTIMES; do
		start "$rt" sa1 -m 32m
		# the first sample right after start may still be empty (docker's collector): a few tries
		wait_for 10 stats_show sa1 " / 32MiB 1" ||
			fail "$rt: memory limit and one process in the stats: $(D stats --no-stream sa1 2>&1)"
		finish "$rt" sa1
	done
}

frozen_in_kernel() {
	local id u f
	id=$(cid "$1")
	u=/sys/fs/cgroup/unified$PARENT/$id
	f=/sys/fs/cgroup/freezer$PARENT/$id
	[ -e "$u/cgroup.events" ] || u=/sys/fs/cgroup$PARENT/$id
	[ "$(sed -n 's/^frozen //p' "$u/cgroup.events" 2>/dev/null)" = 1 ] ||
		[ "$(cat "$f/freezer.state" 2>/dev/null)" = FROZEN ]
}

pause_unpause() {
	need_engine
	local rt
	for rt in $RUNTIMES; do
		start "$rt" pa1
		D pause pa1 >/dev/null || fail "$rt: docker pause"
		assert_eq "$(D inspect -f '{{.State.Paused}}' pa1)" true "$rt: paused"
		frozen_in_kernel pa1 || fail "$rt: not frozen in the kernel"
		D unpause pa1 >/dev/null || fail "$rt: docker unpause"
		assert_eq "$(D inspect -f '{{.State.Paused}}' pa1)" false "$rt: unpaused"
		! frozen_in_kernel pa1 || fail "$rt: still frozen"
		assert_eq "$(D exec pa1 echo alive)" alive "$rt: runs after unpause"
		finish "$rt" pa1
	done
}

stop_events_rm() {
	need_engine
	local rt id pid since
	for rt in $RUNTIMES; do
		since=$(date +%s)
		# sh as pid 1 ignores SIGTERM unless it traps it
		D run -d --name st1 --runtime "$rt" --network none "$IMAGE" sh -c 'trap "exit 7" TERM; while :; do sleep 1; done' \
			>/dev/null || fail "$rt: docker run -d"
		id=$(cid st1)
		pid=$(D inspect -f '{{.State.Pid}}' st1)
		[ "$pid" -gt 0 ] || fail "$rt: no pid"
		assert_contains "$(cat /proc/$pid/cgroup)" ":$PARENT/$id" "$rt: cgroup under --cgroup-parent"
		[ -e "$(runtime_state "$rt" "$id")" ] || fail "$rt: no runtime state at $(runtime_state "$rt" "$id")"
		D stop -t 5 st1 >/dev/null || fail "$rt: docker stop"
		assert_eq "$(D inspect -f '{{.State.ExitCode}}' st1)" 7 "$rt: stopped by SIGTERM, its exit status"
		assert_contains "$(D events --since "$since" --until "$(($(date +%s) + 1))" --filter container=st1 --format '{{.Status}}' | tr '\n' ' ')" \
			"start kill die stop" "$rt: events"
		D rm st1 >/dev/null || fail "$rt: docker rm"
		[ ! -e "$(runtime_state "$rt" "$id")" ] || fail "$rt: the runtime's state is left"
		[ ! -e "/sys/fs/cgroup/memory$PARENT/$id" ] || fail "$rt: cgroup left"
	done
}

dockerd_teardown() {
	local ids
	# also called after the last case, whose subshell may have stopped it already
	[ -z "$ENGINE_SKIP" ] && ! eng_gone "$(cat "$DK/dockerd.pid.started")" || return 0
	ids=$(D ps -aq 2>/dev/null || true)
	[ -z "$ids" ] || D rm -f $ids >/dev/null 2>&1 || true
	eng_stop "$DK/dockerd.pid.started" dockerd
	eng_stop "$DK/ctd/pid" containerd
}

nothing_left() {
	need_engine
	dockerd_teardown
	ENGINE_SKIP="dockerd stopped"
	assert_eq "$(ls -la /etc/docker 2>&1)" "$ETC_DOCKER_BEFORE" "/etc/docker changed"
	eng_assert_nothing_left
}

dockerd_setup
t "docker run: output and exit status (berth, runc)" run_exit_status
t "docker run -t: a terminal" run_terminal
t "docker run -m: /sys/fs/cgroup shows the container's own cgroups" cgroup_view
t "docker exec: output, exit status, namespaces" exec_plain
t "docker exec -t: a terminal" exec_terminal
t "docker update --memory" update_memory
t "docker stats --no-stream" stats
t "docker pause / unpause" pause_unpause
t "docker stop (SIGTERM), events, rm: exit status, nothing left" stop_events_rm
t "dockerd stopped, no cgroup made outside the test's, /etc/docker untouched, no shim left" nothing_left
dockerd_teardown
t_done
