#!/bin/bash
# berth resource limits through the cgroup module, checked in the kernel:
# a memory hog is OOM-killed and reported, pids.max stops a fork bomb, cpu
# values land in the cgroup files, the cgroup goes away with the container.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-runtime.sh"

# cg_file CONTROLLER NAME FILE: read a cgroup file of test container NAME
cg_file() {
	cat "$(rt_cgroup_dir "$1" "$2")/$3"
}

memory_hog_oom_killed() {
	# the string doubles until the 32 MiB limit is hit
	hog='["sh","-c","x=xxxxxxxxxxxxxxxx; while :; do x=$x$x; done"]'
	rt_config "$TMP/oom1" args="$hog" resources='{"memory":{"limit":33554432,"swap":33554432}}'
	berth create --bundle "$TMP/oom1" oom1 || fail create
	assert_eq "$(cg_file memory oom1 memory.limit_in_bytes 2>/dev/null || cg_file unified oom1 memory.max)" 33554432
	berth start oom1 || fail start
	rt_wait_status oom1 stopped 20 || fail "the hog was not stopped"
	kills=$(sed -n 's/^oom_kill //p' "$(rt_cgroup_dir memory oom1)/memory.oom_control" 2>/dev/null ||
		sed -n 's/^oom_kill //p' "$(rt_cgroup_dir unified oom1)/memory.events")
	[ "${kills:-0}" -ge 1 ] || fail "the kernel did not record an OOM kill in the container's cgroup"
	berth delete oom1 || fail delete
	[ ! -e "$(rt_cgroup_dir memory oom1)" ] || fail "memory cgroup left behind"
	# foreground run reports it as such
	rt_config "$TMP/oom2" args="$hog" resources='{"memory":{"limit":33554432,"swap":33554432}}'
	rc=0
	out=$(berth run --bundle "$TMP/oom2" oom2 2>&1) || rc=$?
	assert_eq $rc 137 "killed by SIGKILL"
	assert_contains "$out" "killed by the OOM killer"
}

pids_limit_stops_fork_bomb() {
	rt_config "$TMP/p1" resources='{"pids":{"limit":8}}' \
		args='["sh","-c","(for i in $(seq 40); do sleep 30 & done) 2>/dev/null; exec sleep 60"]'
	berth run -d --bundle "$TMP/p1" p1 || fail "run -d"
	sleep 1
	assert_eq "$(cg_file pids p1 pids.max)" 8
	cur=$(cg_file pids p1 pids.current)
	[ "$cur" -le 8 ] || fail "pids.current $cur > 8"
	ev=$(sed -n 's/^max //p' "$(rt_cgroup_dir pids p1)/pids.events" 2>/dev/null || echo 0)
	[ "$ev" -ge 1 ] || fail "no fork was refused (pids.events max $ev)"
	[ "$(berth ps --format json p1 | tr ',' '\n' | wc -l)" -le 8 ] || fail "more than 8 processes listed"
	berth delete -f p1 || fail "delete -f"
	[ ! -e "$(rt_cgroup_dir pids p1)" ] || fail "pids cgroup left behind"
	! pgrep -x sleep >/dev/null || fail "processes survived delete -f"
}

cpu_values() {
	rt_config "$TMP/cpu1" args='["sleep","60"]' resources='{"cpu":{"shares":512,"quota":50000,"period":100000}}'
	berth run -d --bundle "$TMP/cpu1" cpu1 || fail "run -d"
	if [ -d /sys/fs/cgroup/cpu ]; then
		assert_eq "$(cg_file cpu cpu1 cpu.shares)" 512
		assert_eq "$(cg_file cpu cpu1 cpu.cfs_quota_us)" 50000
		assert_eq "$(cg_file cpu cpu1 cpu.cfs_period_us)" 100000
	else
		assert_eq "$(cg_file unified cpu1 cpu.max)" "50000 100000"
	fi
	pid=$(rt_state_field cpu1 pid)
	grep -q ":/$BERTH_TEST_CGROUP/cpu1\$" /proc/$pid/cgroup || fail "init not in its cgroup: $(cat /proc/$pid/cgroup)"
	berth delete -f cpu1
}

# The container's view of /sys/fs/cgroup: limit, subdirectories, its init (pid 1) in pids and unified, a mkdir.
CG_VIEW='["sh","-c","cat /sys/fs/cgroup/memory/memory.limit_in_bytes; echo dirs=$(find /sys/fs/cgroup/ -mindepth 2 -type d | wc -l); grep -qx 1 /sys/fs/cgroup/pids/cgroup.procs && [ -e /sys/fs/cgroup/pids/pids.max ] && echo pids=own; grep -qx 1 /sys/fs/cgroup/unified/cgroup.procs && [ -e /sys/fs/cgroup/unified/cgroup.freeze ] && echo unified=own; ls /sys/fs/cgroup | tr \"\\n\" \" \"; echo; mkdir /sys/fs/cgroup/memory/sub 2>/dev/null && echo mkdir=ok || echo mkdir=refused"]'
CG_MOUNT_RO=',{"destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup","options":["ro","nosuid","noexec","nodev"]}'
CG_MOUNT_RW=',{"destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup","options":["rw","nosuid","noexec","nodev"]}'

# cg_view NAME EXTRA...: run the view script in container NAME (32 MiB limit) and check what every variant shares
cg_view() {
	local name=$1 out
	shift
	# a sibling the container must not see
	mkdir -p "$(rt_cgroup_dir memory "$name-sibling")"
	rt_config "$TMP/$name" args="$CG_VIEW" resources='{"memory":{"limit":33554432}}' "$@"
	out=$(berth run --bundle "$TMP/$name" "$name" 2>&1) || fail "run $name: $out"
	rmdir "$(rt_cgroup_dir memory "$name-sibling")"
	[ ! -e "$(rt_cgroup_dir memory "$name")" ] || fail "$name: cgroup left behind (a sub-cgroup made inside?)"
	assert_eq "$(echo "$out" | head -1)" 33554432 "$name: memory.limit_in_bytes inside is the container's limit"
	assert_contains "$out" "pids=own" "$name: the pids hierarchy shows the container's cgroup"
	[ ! -d /sys/fs/cgroup/unified ] || assert_contains "$out" "unified=own" "$name: the unified hierarchy too"
	CG_OUT=$out
}

cgroup_view_without_cgroupns() {
	[ -d /sys/fs/cgroup/memory ] || skip "needs a v1 memory hierarchy (hybrid or v1 host)"
	cg_view cgv1 mounts_extra="$CG_MOUNT_RO"
	assert_contains "$CG_OUT" "dirs=0" "the host's other cgroups are listed: $CG_OUT"
	assert_contains "$CG_OUT" "mkdir=refused" "read-only: $CG_OUT"
	# rw: the container may make cgroups below its own; delete removes them
	cg_view cgv2 mounts_extra="$CG_MOUNT_RW"
	assert_contains "$CG_OUT" "dirs=0"
	assert_contains "$CG_OUT" "mkdir=ok" "rw: $CG_OUT"
	# in a user namespace too (bind mounts need no cgroup namespace)
	cg_view cgv3 mounts_extra="$CG_MOUNT_RO" userns=1 ns="pid ipc uts mount"
	assert_contains "$CG_OUT" "dirs=0"
}

cgroup_view_with_cgroupns() {
	[ -d /sys/fs/cgroup/memory ] || skip "needs a v1 memory hierarchy (hybrid or v1 host)"
	cg_view cgns1 mounts_extra="$CG_MOUNT_RO" ns="pid network ipc uts mount cgroup"
	assert_contains "$CG_OUT" "dirs=0"
	assert_contains "$CG_OUT" "mkdir=refused"
	cg_view cgns2 mounts_extra="$CG_MOUNT_RO" userns=1 ns="pid ipc uts mount cgroup"
	assert_contains "$CG_OUT" "dirs=0"
}

# On a v2 host (made here in a private mount namespace: cgroup2 alone at /sys/fs/cgroup).
CG_VIEW2='["sh","-c","grep -qx 1 /sys/fs/cgroup/cgroup.procs && [ -e /sys/fs/cgroup/cgroup.freeze ] && echo v2=own; echo dirs=$(find /sys/fs/cgroup/ -mindepth 1 -type d | wc -l); mkdir /sys/fs/cgroup/sub 2>/dev/null && echo mkdir=ok || echo mkdir=refused"]'
cg_v2() {
	unshare -m --propagation private bash -c '
		if [ ! -e /sys/fs/cgroup/cgroup.procs ]; then
			umount -l /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup || exit 1
		fi
		exec berth --root "$1" run --bundle "$2" "$3"' _ "$RT_ROOT" "$TMP/$1" "$1" 2>&1
}

cgroup_view_v2() {
	local u=/sys/fs/cgroup/unified out
	[ -e $u/cgroup.procs ] || u=/sys/fs/cgroup
	[ -e $u/cgroup.procs ] || skip "no cgroup2 hierarchy"
	mkdir -p "$u/$BERTH_TEST_CGROUP/v2-sibling"
	rt_config "$TMP/cg2a" args="$CG_VIEW2" mounts_extra="$CG_MOUNT_RO"
	out=$(cg_v2 cg2a) || fail "run: $out"
	assert_contains "$out" "v2=own"
	assert_contains "$out" "dirs=0"
	assert_contains "$out" "mkdir=refused"
	rt_config "$TMP/cg2b" args="$CG_VIEW2" \
		mounts_extra=',{"destination":"/sys/fs/cgroup","type":"cgroup2","source":"cgroup2","options":["rw"]}'
	out=$(cg_v2 cg2b) || fail "run: $out"
	assert_contains "$out" "v2=own"
	assert_contains "$out" "mkdir=ok"
	rt_config "$TMP/cg2c" args="$CG_VIEW2" mounts_extra="$CG_MOUNT_RO" ns="pid network ipc uts mount cgroup"
	out=$(cg_v2 cg2c) || fail "run: $out"
	assert_contains "$out" "v2=own"
	assert_contains "$out" "dirs=0"
	rmdir "$u/$BERTH_TEST_CGROUP/v2-sibling"
	for c in cg2a cg2b cg2c; do
		[ ! -e "$u/$BERTH_TEST_CGROUP/$c" ] || fail "$c: cgroup left behind"
	done
}

cgroup_path_default_and_bad() {
	rt_config "$TMP/cg1" cgroup="../../escape"
	assert_fails berth run --bundle "$TMP/cg1" cg1
	assert_contains "$FAIL_OUT" "cgroupsPath"
	[ ! -e "$RT_ROOT/cg1" ] || fail "state left behind"
}

# a cgroupsPath naming a cgroup with processes (a service's) is refused, and the processes live on
populated_cgroup_refused() {
	rt_config "$TMP/svc" args='["sleep","60"]'
	berth run -d --bundle "$TMP/svc" svc || fail "run -d"
	rt_config "$TMP/intruder" cgroup=svc args='["true"]'
	assert_fails berth run --bundle "$TMP/intruder" intruder
	assert_contains "$FAIL_OUT" "already has processes"
	[ ! -e "$RT_ROOT/intruder" ] || fail "state left behind"
	assert_eq "$(rt_state_field svc status)" running "the cgroup's owner"
	berth delete -f svc
	# an existing empty cgroup is still joined (engines make one ahead, e.g. a systemd scope)
	mkdir -p "$(dirname "$(rt_cgroup_dir pids svc)")/empty1"
	rt_config "$TMP/e1" cgroup=empty1 args='["true"]'
	berth run --bundle "$TMP/e1" e1 || fail "run in an existing empty cgroup"
	rmdir "$(rt_cgroup_dir pids empty1)" 2>/dev/null || true
}

t "a memory hog is OOM-killed and reported" memory_hog_oom_killed
t "pids.max stops a fork bomb" pids_limit_stops_fork_bomb
t "cpu shares, quota, period in the cgroup" cpu_values
t "a bad cgroupsPath leaves nothing" cgroup_path_default_and_bad
t "a populated cgroup is not joined" populated_cgroup_refused
t "without a cgroup namespace, /sys/fs/cgroup shows the container's own cgroups" cgroup_view_without_cgroupns
t "in a cgroup namespace, /sys/fs/cgroup shows the container's own cgroups" cgroup_view_with_cgroupns
t "on a v2 host, /sys/fs/cgroup shows the container's own cgroup" cgroup_view_v2
t_done
