#!/bin/bash
# berth lifecycle: create/start/state/kill/delete, run (foreground and -d),
# exit codes and signals, list, ps, pause/resume, state that outlives berth.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-runtime.sh"

create_start_delete() {
	rt_config "$TMP/c1" args='["sh","-c","echo started > /dev/shm/x; exec sleep 60"]'
	berth create --bundle "$TMP/c1" --pid-file "$TMP/c1.pid" c1 || fail "create"
	assert_eq "$(rt_state_field c1 status)" created
	pid=$(cat "$TMP/c1.pid")
	assert_eq "$(rt_state_field c1 pid)" "$pid" "state pid = pid file"
	[ -d "/proc/$pid" ] || fail "init $pid not alive"
	# the init waits: it has not exec'd the user's program yet
	assert_contains "$(cat /proc/$pid/comm)" berth
	berth start c1 || fail "start"
	assert_eq "$(rt_state_field c1 status)" running
	assert_eq "$(cat /proc/$pid/comm)" sleep "the container's process is the init itself"
	berth start c1 2>/dev/null && fail "second start succeeded"
	assert_fails berth delete c1
	assert_contains "$FAIL_OUT" "not stopped"
	berth kill c1 KILL || fail "kill"
	rt_wait_status c1 stopped || fail "not stopped after kill"
	assert_eq "$(rt_state_field c1 pid)" 0
	berth delete c1 || fail "delete"
	[ ! -e "$RT_ROOT/c1" ] || fail "state dir left behind"
	[ ! -e "$(rt_cgroup_dir memory c1)" ] || fail "cgroup left behind"
	assert_fails berth state c1
	assert_contains "$FAIL_OUT" "does not exist"
}

state_json() {
	rt_config "$TMP/c2" args='["sleep","60"]' top_extra=',"annotations":{"org.test.a":"b"}'
	berth create --bundle "$TMP/c2" c2 || fail create
	out=$(berth state c2)
	assert_contains "$out" '"ociVersion": "1.0.2"'
	assert_contains "$out" '"id": "c2"'
	assert_contains "$out" '"status": "created"'
	assert_contains "$out" "\"bundle\": \"$TMP/c2\""
	assert_contains "$out" '"org.test.a": "b"'
	# exactly the OCI keys
	keys=$(echo "$out" | grep -o '^  "[a-zA-Z]*"' | tr -d ' "' | sort | tr '\n' ' ')
	assert_eq "$keys" "annotations bundle id ociVersion pid status "
	berth delete c2 || fail "delete of a created container"
}

run_exit_status() {
	rt_config "$TMP/c3" args='["sh","-c","exit 42"]'
	rc=0
	berth run --bundle "$TMP/c3" c3 || rc=$?
	assert_eq $rc 42 "run returns the container's exit status"
	[ ! -e "$RT_ROOT/c3" ] || fail "run left its state behind"
	# without a pid namespace of its own the shell is not an init and SIGKILL ends it
	rt_config "$TMP/c4" args='["sh","-c","kill -9 $$"]' ns="network ipc uts mount"
	rc=0
	berth run --bundle "$TMP/c4" c4 || rc=$?
	assert_eq $rc 137 "killed by SIGKILL is 128+9"
	rt_config "$TMP/c5" args='["nonexistent-program"]'
	assert_fails berth run --bundle "$TMP/c5" c5
	assert_contains "$FAIL_OUT" 'executable file not found in $PATH'
	[ ! -e "$RT_ROOT/c5" ] || fail "failed run left its state behind"
	[ ! -e "$(rt_cgroup_dir memory c5)" ] || fail "failed run left its cgroup behind"
}

run_detached() {
	rt_config "$TMP/c6" args='["sleep","60"]'
	berth run -d --bundle "$TMP/c6" --pid-file "$TMP/c6.pid" c6 || fail "run -d"
	assert_eq "$(rt_state_field c6 status)" running
	assert_eq "$(cat /proc/$(cat "$TMP/c6.pid")/comm)" sleep
	berth delete --force c6 || fail "delete --force"
	[ ! -e "$RT_ROOT/c6" ] || fail "state left"
	[ ! -d /proc/$(cat "$TMP/c6.pid") ] || [ "$(cat /proc/$(cat "$TMP/c6.pid")/comm 2>/dev/null)" != sleep ] ||
		fail "process survived delete --force"
}

# A foreground run tears down with the state it saved unless the state changed meanwhile: then it reads it again.
run_state_changed_meanwhile() {
	rt_config "$TMP/c12" args='["sh","-c","while [ ! -e /dev/shm/go ]; do sleep 0.05; done"]'
	command berth --root "$RT_ROOT" run --bundle "$TMP/c12" c12 &
	runpid=$!
	rt_wait_status c12 running || fail "not running"
	# the same state, written anew with other bytes (a trailing newline)
	{ cat "$RT_ROOT/c12/state.json" && echo; } >"$RT_ROOT/c12/state.json.new"
	mv "$RT_ROOT/c12/state.json.new" "$RT_ROOT/c12/state.json"
	touch "/proc/$(rt_state_field c12 pid)/root/dev/shm/go"
	rc=0
	wait $runpid || rc=$?
	assert_eq $rc 0 "run of a container whose state was rewritten"
	[ ! -e "$RT_ROOT/c12" ] || fail "state left"
	[ ! -e "$(rt_cgroup_dir memory c12)" ] || fail "cgroup left"
	# deleted from outside while it runs: run returns and nothing is left
	rt_config "$TMP/c13" args='["sleep","60"]'
	command berth --root "$RT_ROOT" run --bundle "$TMP/c13" c13 &
	runpid=$!
	rt_wait_status c13 running || fail "not running"
	berth delete --force c13 || fail "delete --force"
	rc=0
	wait $runpid || rc=$?
	assert_eq $rc 137 "run of a container deleted from outside"
	[ ! -e "$RT_ROOT/c13" ] || fail "state left"
	[ ! -e "$(rt_cgroup_dir memory c13)" ] || fail "cgroup left"
}

kill_by_name_and_number() {
	rt_config "$TMP/c7" args='["sh","-c","trap \"echo term > /dev/shm/got; exit 3\" TERM; trap \"echo usr1 >> /dev/shm/usr1\" USR1; echo ready > /dev/shm/ready; while :; do sleep 0.1; done"]'
	berth run -d --bundle "$TMP/c7" c7 || fail "run -d"
	pid=$(rt_state_field c7 pid)
	wait_for 5 test -e "/proc/$pid/root/dev/shm/ready" || fail "not ready"
	n=0
	for s in USR1 SIGUSR1 10 sigusr1; do
		berth kill c7 $s || fail "kill $s"
		n=$((n + 1))
		wait_for 5 sh -c "[ \"\$(wc -l </proc/$pid/root/dev/shm/usr1)\" = $n ]" ||
			fail "signal $s did not reach pid 1"
	done
	berth kill c7 || fail "kill (default TERM)"
	rt_wait_status c7 stopped || fail "TERM did not stop pid 1"
	berth delete c7 || fail delete
	assert_fails berth kill c7 KILL
	assert_fails berth kill c6 BOGUS
	assert_contains "$FAIL_OUT" "unknown signal"
}

run_forwards_sigterm() {
	rt_config "$TMP/c8" args='["sh","-c","trap \"exit 7\" TERM; while :; do sleep 0.1; done"]'
	command berth --root "$RT_ROOT" run --bundle "$TMP/c8" c8 &
	runpid=$!
	rt_wait_status c8 running || fail "not running"
	sleep 0.3
	kill -TERM $runpid
	rc=0
	wait $runpid || rc=$?
	assert_eq $rc 7 "the container's TERM handler ran and its status came back"
}

list_ps_pause() {
	rt_config "$TMP/c9" args='["sh","-c","sleep 60 & sleep 61"]'
	berth run -d --bundle "$TMP/c9" c9 || fail "run -d"
	out=$(berth list)
	assert_contains "$out" "c9"
	assert_contains "$out" "running"
	assert_contains "$(berth list --format json)" '"id":"c9"'
	berth list -q | grep -qx c9 || fail "list -q"
	wait_for 5 sh -c "command berth --root $RT_ROOT ps --format json c9 | grep -q '^\[[0-9]*,[0-9]*\]\$'" ||
		fail "ps: $(berth ps --format json c9)"
	assert_contains "$(berth ps c9)" "sleep 61"
	berth pause c9 || fail pause
	assert_eq "$(rt_state_field c9 status)" paused
	pid=$(rt_state_field c9 pid)
	grep -q '^State:.*[(]stopped\|^State:.*(tracing\|^State:\s*[DST]' /proc/$pid/status ||
		[ "$(cat "$(rt_cgroup_dir unified c9)/cgroup.events" 2>/dev/null | sed -n 's/frozen //p')" = 1 ] ||
		[ "$(cat "$(rt_cgroup_dir freezer c9)/freezer.state" 2>/dev/null)" = FROZEN ] || fail "not frozen in the kernel"
	assert_fails berth exec c9 true
	assert_contains "$FAIL_OUT" "paused"
	berth resume c9 || fail resume
	assert_eq "$(rt_state_field c9 status)" running
	assert_fails berth resume c9
	# a paused container goes with delete --force too
	berth pause c9 || fail pause
	berth delete -f c9 || fail "delete -f of a paused container"
	[ ! -e "$RT_ROOT/c9" ] || fail "state left"
	# the kernel finishes killing a frozen cgroup's processes on its own time after the thaw
	wait_for 5 sh -c "! pgrep -x sleep >/dev/null" || fail "processes of a paused container survived"
}

stopped_when_dead_and_pid_reuse() {
	rt_config "$TMP/c10" args='["sh","-c","exit 0"]'
	berth run -d --bundle "$TMP/c10" c10 || fail "run -d"
	rt_wait_status c10 stopped || fail "a dead container is not stopped"
	# forge the record to point at a live process with another start time: still stopped
	sed -i "s/\"pid\":[0-9]*/\"pid\":$$/" "$RT_ROOT/c10/state.json"
	assert_eq "$(rt_state_field c10 status)" stopped "a reused pid must not count as running"
	berth delete c10 || fail delete
}

bad_ids_and_usage() {
	rt_config "$TMP/c11"
	assert_fails berth create --bundle "$TMP/c11" ../evil
	assert_contains "$FAIL_OUT" "invalid container id"
	assert_fails berth create --bundle "$TMP/c11" -x
	assert_fails berth create --no-pivot --bundle "$TMP/c11" c11
	assert_contains "$FAIL_OUT" "no-pivot"
	assert_fails berth frobnicate
	assert_contains "$FAIL_OUT" "unknown command"
	berth create --bundle "$TMP/c11" c11 || fail create
	assert_fails berth create --bundle "$TMP/c11" c11
	assert_contains "$FAIL_OUT" "already exists"
	berth delete c11 || fail delete
	# runc's global flags, as podman and conmon pass them
	command berth --root "$RT_ROOT" --log "$TMP/log.json" --log-format json --systemd-cgroup --debug state nope 2>/dev/null &&
		fail "state of a missing container succeeded"
	assert_contains "$(cat "$TMP/log.json")" '"level":"error"'
	assert_contains "$(cat "$TMP/log.json")" "does not exist"
	assert_contains "$(berth --version)" "berth version"
}

default_spec() {
	mkdir -p "$TMP/sp"
	berth spec --bundle "$TMP/sp" || fail "spec"
	assert_fails berth spec --bundle "$TMP/sp"
	assert_contains "$FAIL_OUT" "exists"
	for t in pid network ipc uts mount user cgroup time; do
		grep -q "\"type\": \"$t\"" "$TMP/sp/config.json" || fail "default spec lacks the $t namespace"
	done
	ln -s "$RT_ROOTFS_USERNS" "$TMP/sp/rootfs"
	sed -i 's|"args": \["sh"\]|"args": ["sh", "-c", "echo default-spec-ok; readlink /proc/self/ns/time"]|' "$TMP/sp/config.json"
	sed -i "s|\"namespaces\": \[|\"cgroupsPath\": \"/$BERTH_TEST_CGROUP/sp\", \"namespaces\": [|" "$TMP/sp/config.json"
	out=$(berth run --bundle "$TMP/sp" sp) || fail "run of the default spec: $out"
	assert_contains "$out" "default-spec-ok"
	assert_contains "$(berth features)" '"ociVersionMax"'
}

bad_bundles() {
	mkdir -p "$TMP/bad"
	ln -sf "$RT_ROOTFS" "$TMP/bad/rootfs"
	check() { # JSON expected-text
		echo "$1" >"$TMP/bad/config.json"
		assert_fails berth create --bundle "$TMP/bad" bad
		assert_contains "$FAIL_OUT" "$2"
		assert_contains "$FAIL_OUT" "$TMP/bad/config.json"
		[ ! -e "$RT_ROOT/bad" ] || fail "state left behind for: $2"
	}
	ok='"root":{"path":"rootfs"},"linux":{"namespaces":[{"type":"mount"}]}'
	proc='"process":{"user":{"uid":0,"gid":0},"args":["true"],"cwd":"/"}'
	check '{"ociVersion": "1.0.2", ' "invalid JSON at line"
	check "{\"ociVersion\":\"1.0.2\",$ok}" "missing required object 'process'"
	check "{\"ociVersion\":\"1.0.2\",$ok,\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[],\"cwd\":\"/\"}}" "'process.args'"
	check "{\"ociVersion\":\"1.0.2\",$ok,\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"true\"],\"cwd\":\"/\",\"capabilities\":{\"bounding\":[\"CAP_NOPE\"]}}}" "'process.capabilities.bounding[0]': unknown capability 'CAP_NOPE'"
	check "{\"ociVersion\":\"1.0.2\",$proc,\"root\":{\"path\":\"missing\"},\"linux\":{\"namespaces\":[{\"type\":\"mount\"}]}}" "'root.path'"
	check "{\"ociVersion\":\"1.0.2\",$proc,$ok,\"mounts\":[{\"destination\":\"relative\",\"type\":\"tmpfs\"}]}" "'mounts[0].destination' must be an absolute path"
}

t "spec writes a runnable default with all eight namespaces" default_spec
t "bad bundles are refused naming the field" bad_bundles
t "create, start, state, kill, delete" create_start_delete
t "state is the OCI state" state_json
t "run returns the exit status and cleans up" run_exit_status
t "run -d and delete --force" run_detached
t "kill by name and number reaches pid 1" kill_by_name_and_number
t "foreground run forwards SIGTERM" run_forwards_sigterm
t "a foreground run's state changed or deleted meanwhile" run_state_changed_meanwhile
t "list, ps, pause, resume" list_ps_pause
t "a dead init is stopped, a reused pid too" stopped_when_dead_and_pid_reuse
t "ids and command line" bad_ids_and_usage
t_done
