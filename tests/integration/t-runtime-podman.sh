#!/bin/bash
# podman driving berth as its OCI runtime (--runtime), the way it drives runc:
# conmon's create/start, state, exec (plain and with a terminal), kill,
# delete. Offline: the image is an imported busybox tarball, --network=none,
# storage and state under $TMP, cgroups under $BERTH_TEST_CGROUP.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-runtime.sh"

podman_setup() {
	command -v podman >/dev/null && command -v conmon >/dev/null ||
		skip "podman and conmon are not installed (apt-get install podman)"
	P=(podman --root "$TMP/pstore" --runroot "$TMP/prun" --tmpdir "$TMP/plib" --storage-driver vfs
		--cgroup-manager cgroupfs --events-backend file --runtime "$BERTH_BIN_DIR/berth"
		--runtime-flag "root=$TMP/bstate")
	RUN=(run --network=none --cgroup-parent="/$BERTH_TEST_CGROUP/podman")
	if [ ! -e "$TMP/imported" ]; then
		tar -C "$RT_ROOTFS" -cf "$TMP/rootfs.tar" .
		"${P[@]}" import "$TMP/rootfs.tar" localhost/bb >/dev/null 2>&1 || fail "podman import"
		touch "$TMP/imported"
	fi
}

run_rm() {
	podman_setup
	rc=0
	out=$("${P[@]}" "${RUN[@]}" --rm localhost/bb sh -c 'echo hello-$((6*7)); exit 3') || rc=$?
	assert_eq "$out" hello-42
	assert_eq $rc 3 "podman passes the container's exit status through"
}

detached_exec_stop_rm() {
	podman_setup
	id=$("${P[@]}" "${RUN[@]}" -d --name w1 localhost/bb sleep 300) || fail "podman run -d: $id"
	pid=$("${P[@]}" inspect --format '{{.State.Pid}}' w1)
	[ "$pid" -gt 0 ] || fail "no pid"
	# the kernel's view: the container's own namespaces and its cgroup under the parent podman was given
	for n in mnt pid net ipc uts; do
		[ "$(readlink /proc/$pid/ns/$n)" != "$(readlink /proc/self/ns/$n)" ] || fail "$n namespace is the host's"
	done
	grep -q ":/$BERTH_TEST_CGROUP/podman/libpod-$id\$" /proc/$pid/cgroup || fail "cgroup: $(cat /proc/$pid/cgroup)"
	assert_contains "$(command berth --root "$TMP/bstate" state "$id")" '"status": "running"'
	assert_contains "$("${P[@]}" ps)" "w1"
	assert_eq "$("${P[@]}" exec w1 sh -c 'echo exec-$((6*7))')" exec-42
	assert_contains "$("${P[@]}" exec -t w1 tty)" "/dev/pts/"
	rc=0
	"${P[@]}" exec w1 sh -c 'exit 5' || rc=$?
	assert_eq $rc 5 "exec exit status"
	"${P[@]}" stop -t 1 w1 >/dev/null 2>&1 || fail "podman stop"
	[ ! -d /proc/$pid ] || [ "$(awk '{print $3}' /proc/$pid/stat 2>/dev/null)" = Z ] || fail "still running after stop"
	"${P[@]}" rm w1 >/dev/null || fail "podman rm"
	assert_fails command berth --root "$TMP/bstate" state "$id"
	assert_contains "$FAIL_OUT" "does not exist"
	[ ! -e "/sys/fs/cgroup/memory/$BERTH_TEST_CGROUP/podman/libpod-$id" ] || fail "cgroup left behind"
}

terminal() {
	podman_setup
	out=$("${P[@]}" "${RUN[@]}" --rm -t localhost/bb sh -c 'tty; stty size' </dev/null) || fail "podman run -t: $out"
	assert_contains "$out" "/dev/pts/0"
}

t "podman run --rm: output and exit status" run_rm
t "podman run -d, exec, exec -t, stop, rm" detached_exec_stop_rm
t "podman run -t gets a terminal" terminal
t_done
