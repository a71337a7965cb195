#!/bin/bash
# berth namespaces: each one really new (inode differs from the host's), all
# eight at once, joining by path (a netns from `ip netns add`, another
# container's ipc/uts), user mappings and time offsets seen from inside.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-runtime.sh"

ALL8="pid network ipc uts mount cgroup time"

ns_ino() {
	stat -L -c %i "/proc/$1/ns/$2"
}

# start ID ARGS...: run -d a container sleeping, echo its pid
each_namespace_is_new() {
	local t proc pid
	for t in pid network ipc uts mount cgroup time user; do
		case $t in network) proc=net ;; mount) proc=mnt ;; *) proc=$t ;; esac
		if [ $t = user ]; then
			# proc can only be mounted in a user namespace that owns a pid namespace
			rt_config "$TMP/n-$t" args='["sleep","60"]' ns="mount pid ipc" userns=1
		else
			rt_config "$TMP/n-$t" args='["sleep","60"]' ns="mount $t"
		fi
		[ $t = mount ] && rt_config "$TMP/n-$t" args='["sleep","60"]' ns="mount"
		berth run -d --bundle "$TMP/n-$t" "n-$t" || fail "run with a new $t namespace"
		pid=$(rt_state_field "n-$t" pid)
		[ "$(ns_ino "$pid" $proc)" != "$(ns_ino $$ $proc)" ] || fail "$t namespace is the host's"
		# and the ones not asked for are shared (mount is always new)
		if [ $t != network ]; then
			assert_eq "$(ns_ino "$pid" net)" "$(ns_ino $$ net)" "net shared when not listed ($t)"
		fi
		berth delete -f "n-$t" || fail "delete n-$t"
	done
}

all_eight() {
	rt_config "$TMP/all8" ns="$ALL8" userns=1 hostname=octo args='["sh","-c","hostname; for n in net pid time cgroup; do readlink /proc/self/ns/$n; done; cat /proc/self/uid_map; echo pid=$$; cat /proc/self/cgroup"]'
	out=$(berth run --bundle "$TMP/all8" all8) || fail "run with all eight namespaces: $out"
	assert_contains "$out" "octo"
	assert_contains "$out" "time:["
	assert_contains "$out" "pid=1"
	assert_not_contains "$out" "$(readlink /proc/self/ns/net)"
	assert_not_contains "$out" "$(readlink /proc/self/ns/pid)"
	assert_not_contains "$out" "$(readlink /proc/self/ns/time)"
	assert_not_contains "$out" "$(readlink /proc/self/ns/cgroup)"
	echo "$out" | grep -Eq '^ +0 +100000 +65536$' || fail "uid_map inside: $out"
	# the cgroup namespace is rooted at the container's own cgroup
	echo "$out" | grep -q '^[0-9]*:memory:/$' || fail "cgroup namespace not rooted at the container: $out"
	# and from outside, all eight differ at once
	rt_config "$TMP/all8b" ns="$ALL8" userns=1 args='["sleep","60"]'
	berth run -d --bundle "$TMP/all8b" all8b || fail "run -d"
	pid=$(rt_state_field all8b pid)
	for p in mnt pid net ipc uts user cgroup time; do
		[ "$(ns_ino "$pid" $p)" != "$(ns_ino $$ $p)" ] || fail "$p is the host's"
	done
	# the network namespace belongs to the container's user namespace (berth makes the two ahead of the
	# init): the container's root configures it, the host's root entering only that user namespace too
	out=$(nsenter --target "$pid" --user --net ip link set lo down 2>&1) ||
		fail "the container's root cannot configure its network namespace: $out"
	berth delete -f all8b
}

join_netns_by_path() {
	netns_add blue
	ip -n blue link add dummy7 type veth peer name dummy8
	rt_config "$TMP/j1" ns="pid ipc uts mount network:/run/netns/blue cgroup time" userns=1 \
		args='["sh","-c","cat /proc/net/dev; readlink /proc/self/ns/net"]'
	out=$(berth run --bundle "$TMP/j1" j1) || fail "run joining /run/netns/blue: $out"
	assert_contains "$out" "dummy7" "the joined netns is the one with dummy7"
	assert_contains "$out" "$(readlink /run/netns/blue 2>/dev/null || stat -L -c 'net:[%i]' /run/netns/blue)"
	# a path of the wrong type is refused, naming the field
	rt_config "$TMP/j2" ns="pid mount network:/proc/self/ns/uts"
	assert_fails berth run --bundle "$TMP/j2" j2
	assert_contains "$FAIL_OUT" "linux.namespaces"
	assert_contains "$FAIL_OUT" "expected a net namespace"
	[ ! -e "$RT_ROOT/j2" ] || fail "state left behind"
}

join_other_container() {
	rt_config "$TMP/host1" ns="pid ipc uts mount" hostname=shared args='["sleep","60"]'
	berth run -d --bundle "$TMP/host1" host1 || fail "run host1"
	p1=$(rt_state_field host1 pid)
	rt_config "$TMP/guest1" ns="pid mount ipc:/proc/$p1/ns/ipc uts:/proc/$p1/ns/uts" hostname="" \
		args='["sh","-c","hostname; readlink /proc/self/ns/ipc"]'
	out=$(berth run --bundle "$TMP/guest1" guest1) || fail "run guest1: $out"
	assert_contains "$out" "shared"
	assert_contains "$out" "ipc:[$(ns_ino "$p1" ipc)]"
	berth delete -f host1
}

time_offsets() {
	rt_config "$TMP/t1" ns="pid mount time" \
		linux_extra=',"timeOffsets":{"monotonic":{"secs":86400,"nanosecs":0},"boottime":{"secs":31536000,"nanosecs":0}}' \
		args='["sh","-c","cat /proc/self/timens_offsets; cut -d. -f1 /proc/uptime"]'
	out=$(berth run --bundle "$TMP/t1" t1) || fail "run: $out"
	echo "$out" | grep -Eq '^monotonic +86400 +0$' || fail "monotonic offset: $out"
	echo "$out" | grep -Eq '^boottime +31536000 +0$' || fail "boottime offset: $out"
	up=$(echo "$out" | tail -1)
	host_up=$(cut -d. -f1 /proc/uptime)
	[ "$up" -ge $((host_up + 31536000 - 5)) ] || fail "uptime $up not shifted by a year (host $host_up)"
	rt_config "$TMP/t2" ns="pid mount" linux_extra=',"timeOffsets":{"boottime":{"secs":5}}'
	assert_fails berth run --bundle "$TMP/t2" t2
	assert_contains "$FAIL_OUT" "'linux.timeOffsets' needs a new time namespace"
}

user_mappings() {
	rt_config "$TMP/u1" userns=1 user='{"uid":1000,"gid":1000,"additionalGids":[5,27]}' \
		args='["sh","-c","id; cat /proc/self/uid_map /proc/self/gid_map; grep -E \"^(Uid|Gid|Groups)\" /proc/self/status"]'
	out=$(berth run --bundle "$TMP/u1" u1) || fail "run: $out"
	assert_contains "$out" "uid=1000"
	assert_contains "$out" "gid=1000"
	echo "$out" | grep -Eq '^Groups:.*\b5\b.*\b27\b' || fail "additionalGids: $out"
	[ "$(echo "$out" | grep -Ec '^ +0 +100000 +65536$')" = 2 ] || fail "maps: $out"
	rt_config "$TMP/u2" userns=1 user='{"uid":70000,"gid":0}'
	assert_fails berth run --bundle "$TMP/u2" u2
	assert_contains "$FAIL_OUT" "'process.user.uid' 70000 is not mapped"
}

hostname_needs_uts() {
	rt_config "$TMP/h1" ns="pid mount" top_extra=',"hostname":"nope"'
	assert_fails berth run --bundle "$TMP/h1" h1
	assert_contains "$FAIL_OUT" "'hostname' needs a UTS namespace"
	rt_config "$TMP/h2" ns="mount uts" hostname=inside top_extra=',"domainname":"example.test"' \
		args='["sh","-c","hostname; cat /proc/sys/kernel/domainname"]'
	out=$(berth run --bundle "$TMP/h2" h2) || fail "run: $out"
	assert_contains "$out" "inside"
	assert_contains "$out" "example.test"
	assert_eq "$(hostname)" berth-test "the host's name is untouched"
}

t "each namespace is new (inode differs)" each_namespace_is_new
t "all eight namespaces at once" all_eight
t "join a network namespace by path" join_netns_by_path
t "join another container's ipc and uts" join_other_container
t "time offsets seen inside" time_offsets
t "user and group mappings" user_mappings
t "hostname and domainname" hostname_needs_uts
t_done
