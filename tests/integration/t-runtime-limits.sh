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
t_done
