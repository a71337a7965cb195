#!/bin/bash
# berth update and berth events, as runc has them: limits changed in the
# kernel's cgroup files and recorded in the container's config, the stats
# JSON (runc's field names) read back with jq, the stream ending with the
# container, and an OOM event from a memory hog.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-runtime.sh"

command -v jq >/dev/null || skip "jq is not installed"

# cg_file CONTROLLER NAME FILE: a cgroup file of test container NAME
cg_file() {
	cat "$(rt_cgroup_dir "$1" "$2")/$3"
}

# wait_events_end PID ERRFILE: a `berth events` in the background must end (within 10 s) and succeed
wait_events_end() {
	local i
	for ((i = 0; i < 100; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$1" 2>/dev/null && fail "events did not end with the container"
	wait "$1" || fail "events failed: $(cat "$2")"
}

# recorded NAME JQ: a value of the container's recorded config
recorded() {
	jq -c "$2" "$RT_ROOT/$1/config.json"
}

update_values() {
	rt_config "$TMP/u1" args='["sleep","600"]' resources='{"memory":{"limit":67108864},"pids":{"limit":64}}'
	berth run -d --bundle "$TMP/u1" u1 || fail "run -d"
	[ -d /sys/fs/cgroup/memory ] || skip "memory is not a v1 controller here (checks read v1 files)"
	assert_eq "$(cg_file memory u1 memory.limit_in_bytes)" 67108864
	assert_ok berth update --memory 100m u1
	assert_eq "$(cg_file memory u1 memory.limit_in_bytes)" 104857600 "--memory 100m"
	assert_eq "$(recorded u1 .linux.resources.memory.limit)" 104857600 "recorded memory limit"
	assert_ok berth update --memory-reservation 32M u1
	assert_eq "$(cg_file memory u1 memory.soft_limit_in_bytes)" 33554432 "--memory-reservation"
	assert_ok berth update --memory 128m --memory-swap 256m u1
	assert_eq "$(cg_file memory u1 memory.limit_in_bytes)" 134217728
	if [ -e "$(rt_cgroup_dir memory u1)/memory.memsw.limit_in_bytes" ]; then
		assert_eq "$(cg_file memory u1 memory.memsw.limit_in_bytes)" 268435456 "--memory-swap"
		# lowering the limit below memory+swap and raising it above both work in either order
		assert_ok berth update --memory 300m --memory-swap 400m u1
		assert_eq "$(cg_file memory u1 memory.limit_in_bytes)" 314572800
		assert_fails berth update --memory 500m u1
		assert_contains "$FAIL_OUT" "memory+swap"
	fi
	assert_ok berth update --pids-limit 32 u1
	assert_eq "$(cg_file pids u1 pids.max)" 32 "--pids-limit"
	assert_ok berth update --pids-limit -1 u1
	assert_eq "$(cg_file pids u1 pids.max)" max "--pids-limit -1"
	assert_eq "$(recorded u1 .linux.resources.pids.limit)" -1
	assert_ok berth update --cpu-quota 25000 --cpu-period 50000 --cpu-share 256 u1
	assert_eq "$(cg_file cpu u1 cpu.cfs_quota_us)" 25000 "--cpu-quota"
	assert_eq "$(cg_file cpu u1 cpu.cfs_period_us)" 50000 "--cpu-period"
	assert_eq "$(cg_file cpu u1 cpu.shares)" 256 "--cpu-share"
	# a period alone keeps the quota, a quota of -1 lifts it
	assert_ok berth update --cpu-period 100000 u1
	assert_eq "$(cg_file cpu u1 cpu.cfs_period_us)" 100000
	assert_eq "$(cg_file cpu u1 cpu.cfs_quota_us)" 25000
	assert_ok berth update --cpu-quota -1 --cpu-shares 1024 u1
	assert_eq "$(cg_file cpu u1 cpu.cfs_quota_us)" -1
	assert_eq "$(cg_file cpu u1 cpu.shares)" 1024 "--cpu-shares (berth's spelling)"
	assert_ok berth update --cpuset-cpus 0 --cpuset-mems 0 u1
	assert_eq "$(cg_file cpuset u1 cpuset.cpus)" 0 "--cpuset-cpus"
	assert_eq "$(recorded u1 .linux.resources.cpu.cpus)" '"0"'
	# the limits are the kernel's: a fork past pids.max fails in the container
	assert_ok berth update --pids-limit 3 u1
	assert_fails berth exec u1 sh -c 'sleep 5 & sleep 5 & sleep 5 & sleep 5 & wait'
	assert_ok berth update --pids-limit 64 u1
	berth delete -f u1
}

update_resources_json() {
	rt_config "$TMP/u2" args='["sleep","600"]' resources='{"memory":{"limit":67108864}}'
	berth run -d --bundle "$TMP/u2" u2 || fail "run -d"
	[ -d /sys/fs/cgroup/memory ] || skip "memory is not a v1 controller here (checks read v1 files)"
	cat >"$TMP/res.json" <<-'EOF'
		{"memory":{"limit":134217728,"reservation":0,"checkBeforeUpdate":true},
		 "cpu":{"shares":512,"quota":40000,"period":100000,"cpus":"","mems":""},
		 "pids":{"limit":100},"blockIO":{}}
	EOF
	assert_ok berth update -r "$TMP/res.json" u2
	assert_eq "$(cg_file memory u2 memory.limit_in_bytes)" 134217728 "-r memory.limit"
	assert_eq "$(cg_file cpu u2 cpu.shares)" 512 "-r cpu.shares"
	assert_eq "$(cg_file cpu u2 cpu.cfs_quota_us)" 40000 "-r cpu.quota"
	assert_eq "$(cg_file pids u2 pids.max)" 100 "-r pids.limit"
	assert_eq "$(recorded u2 '.linux.resources | [.memory.limit, .cpu.shares, .pids.limit]')" '[134217728,512,100]'
	# from stdin, as containerd's shim passes it; the options are then ignored, with a warning
	out=$(echo '{"pids":{"limit":50},"cpu":{"quota":-1}}' | berth update -r - --pids-limit 7 u2 2>&1) ||
		fail "update -r -: $out"
	assert_contains "$out" "ignored"
	assert_eq "$(cg_file pids u2 pids.max)" 50 "-r - pids.limit"
	assert_eq "$(cg_file cpu u2 cpu.cfs_quota_us)" -1 "-r - cpu.quota"
	# what berth does not apply is named, not silently dropped
	out=$(echo '{"hugepageLimits":[{"pageSize":"2MB","limit":0}],"memory":{"swappiness":10}}' |
		berth update -r - u2 2>&1) || fail "update -r - with ignored fields: $out"
	assert_contains "$out" "hugepageLimits"
	assert_contains "$out" "memory.swappiness"
	echo '{"memory":{"limit":"big"}}' >"$TMP/bad.json"
	assert_fails berth update -r "$TMP/bad.json" u2
	assert_contains "$FAIL_OUT" "resources.memory.limit"
	assert_fails berth update -r "$TMP/nope.json" u2
	assert_contains "$FAIL_OUT" "nope.json"
	berth delete -f u2
}

update_refusals() {
	rt_config "$TMP/u3" args='["sleep","600"]'
	berth run -d --bundle "$TMP/u3" u3 || fail "run -d"
	assert_fails berth update --memory 10x u3
	assert_contains "$FAIL_OUT" "invalid value '10x'"
	assert_fails berth update --cpu-quota 500 u3
	assert_contains "$FAIL_OUT" "quota"
	assert_fails berth update --cpu-rt-runtime 10 u3
	assert_contains "$FAIL_OUT" "not supported"
	if ! ls "$(rt_cgroup_dir blkio u3)"/blkio*weight >/dev/null 2>&1; then
		assert_fails berth update --blkio-weight 500 u3
		assert_contains "$FAIL_OUT" "CFQ/BFQ"
	fi
	# kernel memory: applied where the kernel still has a v1 limit, refused clearly elsewhere (also
	# where the kernel takes the write and ignores it), and then nothing else was changed
	if berth update --kernel-memory 64m --memory 32m u3 2>"$TMP/kmem.err"; then
		assert_eq "$(cg_file memory u3 memory.kmem.limit_in_bytes)" 67108864 "--kernel-memory"
	else
		assert_contains "$(cat "$TMP/kmem.err")" "kernel memory limit"
		assert_eq "$(recorded u3 .linux.resources.memory.kernel)" null
		[ ! -d /sys/fs/cgroup/memory ] || [ "$(cg_file memory u3 memory.limit_in_bytes)" != 33554432 ] ||
			fail "--memory applied although --kernel-memory was refused"
	fi
	assert_fails berth update u3 extra
	assert_contains "$FAIL_OUT" "unexpected argument"
	assert_fails berth update --memory 64m nosuch
	assert_contains "$FAIL_OUT" "does not exist"
	berth kill u3 KILL
	rt_wait_status u3 stopped || fail "not stopped"
	assert_fails berth update --memory 64m u3
	assert_contains "$FAIL_OUT" "not running"
	assert_fails berth events --stats u3
	assert_contains "$FAIL_OUT" "not running"
	berth delete u3
}

events_stats() {
	rt_config "$TMP/e1" args='["sleep","600"]' resources='{"memory":{"limit":67108864},"pids":{"limit":20}}'
	berth run -d --bundle "$TMP/e1" e1 || fail "run -d"
	pid=$(rt_state_field e1 pid)
	assert_ok berth update --memory 96m e1
	# a veth into the container's namespace, one packet's worth of traffic on it (an ARP request)
	ip link add vx0 type veth peer name vx1 || fail "veth"
	ip link set vx1 netns "$pid" || fail "veth into the container"
	ip addr add 203.0.113.1/30 dev vx0 && ip link set vx0 up
	nsenter -t "$pid" -n ip link set vx1 up
	(echo x >/dev/udp/203.0.113.2/9) 2>/dev/null || true
	sleep 0.5
	out=$(berth events --stats e1) || fail "events --stats: $out"
	assert_eq "$(jq -r .type <<<"$out")" stats
	assert_eq "$(jq -r .id <<<"$out")" e1
	assert_eq "$(jq -r .data.memory.usage.limit <<<"$out")" 100663296 "memory limit after update"
	[ "$(jq -r .data.memory.usage.usage <<<"$out")" -gt 0 ] || fail "no memory usage: $out"
	[ "$(jq -r '.data.pids.current' <<<"$out")" -ge 1 ] || fail "pids.current: $out"
	assert_eq "$(jq -r .data.pids.limit <<<"$out")" 20
	[ "$(jq -r '.data.cpu.usage.total // 0' <<<"$out")" -gt 0 ] || fail "no cpu usage: $out"
	assert_eq "$(jq -c '.data.memory.raw | type' <<<"$out")" '"object"' "memory.stat as raw"
	assert_eq "$(jq -c '.data.intel_rdt' <<<"$out")" '{}'
	assert_eq "$(jq -c '.data | keys' <<<"$out")" \
		'["blkio","cpu","cpuset","hugetlb","intel_rdt","memory","network_interfaces","pids"]'
	assert_eq "$(jq -c '[.data.network_interfaces[].Name] | sort' <<<"$out")" '["lo","vx1"]'
	[ "$(jq '.data.network_interfaces[] | select(.Name == "vx1") | .RxPackets' <<<"$out")" -ge 1 ] ||
		fail "no packet counted on the container's veth: $out"
	# a container in berth's own network namespace reports no interfaces (they would be the host's)
	rt_config "$TMP/e2" args='["sleep","600"]' ns="pid mount"
	berth run -d --bundle "$TMP/e2" e2 || fail "run -d e2"
	assert_eq "$(berth events --stats e2 | jq -c .data.network_interfaces)" null
	berth delete -f e2
	berth delete -f e1
}

events_stream() {
	rt_config "$TMP/e3" args='["sleep","600"]'
	berth run -d --bundle "$TMP/e3" e3 || fail "run -d"
	berth events --interval 1s e3 >"$TMP/e3.out" 2>"$TMP/e3.err" &
	evpid=$!
	_t_pids+=("$evpid")
	sleep 2.7
	berth kill e3 KILL
	wait_events_end "$evpid" "$TMP/e3.err"
	n=$(jq -s '[.[] | select(.type == "stats" and .id == "e3")] | length' "$TMP/e3.out")
	[ "$n" -ge 2 ] || fail "expected at least 2 stats events, got $n: $(cat "$TMP/e3.out")"
	berth delete e3
}

events_oom() {
	[ -d /sys/fs/cgroup/memory ] || [ -e "/sys/fs/cgroup/unified/memory.events" ] || skip "no memory controller"
	hog='["sh","-c","sleep 1; x=xxxxxxxxxxxxxxxx; while :; do x=$x$x; done"]'
	rt_config "$TMP/o1" args="$hog" resources='{"memory":{"limit":33554432,"swap":33554432}}'
	berth create --bundle "$TMP/o1" o1 || fail create
	berth events --interval 30s o1 >"$TMP/o1.out" 2>"$TMP/o1.err" &
	evpid=$!
	_t_pids+=("$evpid")
	sleep 0.3
	berth start o1 || fail start
	rt_wait_status o1 stopped 20 || fail "the hog was not stopped"
	wait_events_end "$evpid" "$TMP/o1.err"
	assert_contains "$(cat "$TMP/o1.out")" '{"type":"oom","id":"o1"}'
	berth delete o1
}

t "update: memory, swap, reservation, pids, cpu, cpuset in the cgroup and the record" update_values
t "update -r FILE and -r -: runc's LinuxResources JSON" update_resources_json
t "update refuses bad values, blkio without CFQ/BFQ, stopped containers" update_refusals
t "events --stats: runc's JSON, limits, pids, interfaces" events_stats
t "events --interval: a stream that ends with the container" events_stream
t "events: an OOM kill is reported" events_oom
t_done
