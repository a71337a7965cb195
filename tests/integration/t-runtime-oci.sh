#!/bin/bash
# berth as a drop-in for runc under engines: what containerd and Docker rely
# on beyond the OCI spec (create with a terminal ends its output, runc's
# wording of errors), and the runtime-tools validation cases berth once
# failed where crun passes (docs/robustness.md).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-runtime.sh"

# A shim reads create's output until the end of file: with a terminal, the
# init waiting for start must not keep the caller's stdout open.
console_create_ends_its_output() {
	rt_config "$TMP/tty1" terminal=true args='["sh","-c","echo tty-says-$((6*7))"]'
	spawn tst-console "$TMP/tty1.sock" >"$TMP/tty1.out"
	wait_for 5 grep -qx ready "$TMP/tty1.out" || fail "tst-console did not start"
	t0=$(date +%s%N)
	timeout 10 sh -c 'berth --root "$0" create --console-socket "$1" --bundle "$2" tty1 | cat' \
		"$RT_ROOT" "$TMP/tty1.sock" "$TMP/tty1" || fail "create | cat did not end (status $?)"
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ $ms -lt 5000 ] || fail "create | cat took $ms ms"
	assert_eq "$(rt_state_field tty1 status)" created
	berth start tty1 || fail "start"
	wait_for 5 grep -q tty-says-42 "$TMP/tty1.out" || fail "no output on the pty: $(cat "$TMP/tty1.out")"
	berth delete -f tty1
}

# Docker maps these words of runc to exit statuses 127 and 126 (case-sensitive in the CLI).
missing_program_reads_like_runc() {
	mkdir -p "$TMP/ex"
	printf 'not a program\n' >"$TMP/ex/text"
	chmod 644 "$TMP/ex/text"
	local extra=',{"destination":"/ex","type":"bind","source":"'$TMP/ex'","options":["rbind","ro"]}'
	rt_config "$TMP/e1" args='["/nope"]' mounts_extra="$extra"
	assert_fails berth run --bundle "$TMP/e1" e1
	assert_contains "$FAIL_OUT" 'exec: "/nope": stat /nope: no such file or directory'
	rt_config "$TMP/e1" args='["nope"]' mounts_extra="$extra"
	assert_fails berth run --bundle "$TMP/e1" e1
	assert_contains "$FAIL_OUT" 'exec: "nope": executable file not found in $PATH'
	rt_config "$TMP/e1" args='["/ex/text"]' mounts_extra="$extra"
	assert_fails berth run --bundle "$TMP/e1" e1
	assert_contains "$FAIL_OUT" 'exec: "/ex/text": permission denied'
	rt_config "$TMP/e1" args='["/ex"]' mounts_extra="$extra"
	assert_fails berth create --bundle "$TMP/e1" e1
	assert_contains "$FAIL_OUT" 'exec: "/ex": permission denied'
	[ ! -e "$RT_ROOT/e1" ] || fail "state left behind"
	# exec in a running container says the same
	rt_config "$TMP/e2" args='["sleep","60"]'
	berth run -d --bundle "$TMP/e2" e2 || fail "run -d"
	assert_fails berth exec e2 /nope
	assert_contains "$FAIL_OUT" 'exec: "/nope": stat /nope: no such file or directory'
	assert_fails berth exec e2 nope
	assert_contains "$FAIL_OUT" 'exec: "nope": executable file not found in $PATH'
	berth delete -f e2
}

capmask() {
	local m=0 c
	for c in "$@"; do m=$((m | (1 << c))); done
	printf '%016x' $m
}

# `runc spec` writes ambient capabilities without inheritable ones: run, raising what the kernel allows.
ambient_without_inheritable_warns() {
	local three='["CAP_AUDIT_WRITE","CAP_KILL","CAP_NET_BIND_SERVICE"]'
	rt_config "$TMP/a1" user='{"uid":1000,"gid":1000}' args='["grep","^Cap","/proc/self/status"]' \
		caps='{"bounding":'"$three"',"effective":'"$three"',"permitted":'"$three"',"ambient":'"$three"'}'
	berth run --bundle "$TMP/a1" a1 >"$TMP/a1.out" 2>"$TMP/a1.err" || fail "run: $(cat "$TMP/a1.err")"
	assert_contains "$(cat "$TMP/a1.err")" "berth: warning: 'process.capabilities.ambient': CAP_KILL, CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE not raised"
	assert_contains "$(cat "$TMP/a1.out")" "CapAmb:	$(capmask)"
	# the ones also inheritable are raised (and so survive the exec of a non-root user)
	rt_config "$TMP/a1" user='{"uid":1000,"gid":1000}' args='["grep","^Cap","/proc/self/status"]' \
		caps='{"bounding":'"$three"',"effective":'"$three"',"permitted":'"$three"',"inheritable":["CAP_KILL"],"ambient":'"$three"'}'
	berth run --bundle "$TMP/a1" a1 >"$TMP/a1.out" 2>"$TMP/a1.err" || fail "run: $(cat "$TMP/a1.err")"
	assert_contains "$(cat "$TMP/a1.err")" "'process.capabilities.ambient': CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE not raised"
	assert_contains "$(cat "$TMP/a1.out")" "CapAmb:	$(capmask 5)"
	assert_contains "$(cat "$TMP/a1.out")" "CapPrm:	$(capmask 5)"
	# create says it too, and so does exec of such a process
	rt_config "$TMP/a2" args='["sleep","60"]' \
		caps='{"bounding":'"$three"',"effective":'"$three"',"permitted":'"$three"',"ambient":'"$three"'}'
	# (the init keeps create's stdio without a terminal: to a file, not a pipe waiting for its end)
	berth create --bundle "$TMP/a2" a2 >"$TMP/a2.err" 2>&1 || fail "create: $(cat "$TMP/a2.err")"
	assert_contains "$(cat "$TMP/a2.err")" "berth: warning: 'process.capabilities.ambient'"
	berth start a2 || fail "start"
	printf '{"user":{"uid":1000,"gid":1000},"args":["grep","^CapAmb","/proc/self/status"],"cwd":"/","env":["PATH=/bin"],"capabilities":{"bounding":%s,"permitted":%s,"ambient":%s}}' \
		"$three" "$three" "$three" >"$TMP/a2.process"
	out=$(berth exec --process "$TMP/a2.process" a2 2>&1) || fail "exec: $out"
	assert_contains "$out" "berth: warning: 'process.capabilities.ambient'"
	assert_contains "$out" "CapAmb:	$(capmask)"
	berth delete -f a2
}

# The spec lets a container inherit the runtime's mount namespace (runtime-tools linux_ns_itype).
no_mount_namespace_is_a_chroot() {
	local mounts_before
	mounts_before=$(wc -l </proc/self/mountinfo)
	rt_config "$TMP/nm" ns="pid network ipc uts" readonly=false \
		args='["sh","-c","echo chrooted-$((6*7)) > /tmp/nm-marker; sleep 60"]'
	berth create --bundle "$TMP/nm" nm >"$TMP/nm.err" 2>&1 || fail "create: $(cat "$TMP/nm.err")"
	assert_contains "$(cat "$TMP/nm.err")" "berth: warning: 'mounts', 'linux.maskedPaths', 'linux.readonlyPaths' not applied: 'linux.namespaces' has no mount namespace"
	pid=$(rt_state_field nm pid)
	assert_eq "$(readlink /proc/$pid/ns/mnt)" "$(readlink /proc/self/ns/mnt)" "the runtime's mount namespace"
	assert_eq "$(readlink /proc/$pid/root)" "$RT_ROOTFS" "chrooted into root.path"
	berth start nm || fail "start"
	wait_for 5 test -s "$RT_ROOTFS/tmp/nm-marker" || fail "the container did not run"
	assert_eq "$(cat "$RT_ROOTFS/tmp/nm-marker")" chrooted-42
	# exec enters the same root
	out=$(berth exec nm cat /tmp/nm-marker 2>&1) || fail "exec: $out"
	assert_eq "$out" chrooted-42
	berth delete -f nm || fail "delete"
	rm -f "$RT_ROOTFS/tmp/nm-marker"
	assert_eq "$(wc -l </proc/self/mountinfo)" "$mounts_before" "the host's mounts are untouched"
}

# runtime-tools linux_seccomp: a filter denying getcwd must not fail the cwd check made before it.
seccomp_denying_getcwd() {
	local sc=',"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getcwd"],"action":"SCMP_ACT_ERRNO"}]}'
	rt_config "$TMP/sc" linux_extra="$sc" cwd=/tmp args='["sh","-c","pwd -P 2>&1; echo ran-$((6*7))"]'
	out=$(berth run --bundle "$TMP/sc" sc 2>&1) || fail "run: $out"
	assert_contains "$out" ran-42
	assert_not_contains "$out" "not inside the container"
	# with no_new_privs the filter comes last anyway; same outcome
	rt_config "$TMP/sc" linux_extra="$sc" cwd=/tmp process_extra=',"noNewPrivileges":true' \
		args='["sh","-c","echo ran-$((6*7))"]'
	out=$(berth run --bundle "$TMP/sc" sc 2>&1) || fail "run (no_new_privs): $out"
	assert_contains "$out" ran-42
}

t "create with a console socket ends its output (| cat returns)" console_create_ends_its_output
t "a missing or unrunnable program is reported in runc's words" missing_program_reads_like_runc
t "ambient capabilities not inheritable: raised where possible, with a warning" ambient_without_inheritable_warns
t "without a mount namespace the container is chrooted, the host's mounts untouched" no_mount_namespace_is_a_chroot
t "a seccomp filter denying getcwd does not fail the cwd check" seccomp_denying_getcwd
t_done
