#!/bin/bash
# Fault: containers that die on their own. A container killed by the OOM
# killer, and one whose init is killed from outside (kill -9, not `berth
# kill`), each attached to netd through annotation berth.network: `berth
# state` says stopped, `berth delete` removes the state, every cgroup
# directory in every hierarchy, and the attachment (record, lease, port
# claim, nftables element, host veth). Also when netd was killed and
# restarted in between (its reconcile already dropped the endpoint), and
# when netd is not running at delete time (delete warns, and netd's next
# start cleans up).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-runtime.sh"

SOCK=$TMP/netd.sock
NSTATE=$TMP/netd-state
export BERTH_NETD_SOCKET=$SOCK
NETD_ARGS=(--socket "$SOCK" --state-dir "$NSTATE" --run-dir "$TMP/netd-run" --log-level warn)

start_netd() {
	netd "${NETD_ARGS[@]}" || fail "netd did not start"
}

kill_netd() {
	local pid
	pid=$(cat "$TMP/netd-run/netd.pid" 2>/dev/null) || return 0
	kill -KILL "$pid" 2>/dev/null || true
	wait_for 10 test ! -e "/proc/$pid" || fail "netd survived kill -9"
}

# bundle NAME ARGS-JSON [RESOURCES-JSON]: a container on berth0 publishing 8080.
bundle() {
	rt_config "$TMP/$1" args="$2" resources="${3:-{\}}" ns="pid network ipc uts mount cgroup" \
		top_extra=',"annotations":{"berth.network":"berth0","berth.ports":"8080:80/tcp"}'
}

# every cgroup directory of container NAME, in every hierarchy that has it
cgroup_dirs() {
	local h
	for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
		[ -d "$h$BERTH_TEST_CGROUP/$1" ] && echo "$h$BERTH_TEST_CGROUP/$1"
	done
	return 0
}

assert_attached_to_netd() {
	assert_contains "$(netctl ls)" "$1"
	assert_contains "$(nft list map inet berth pub_any4)" "8080"
}

# Nothing of container NAME is left: state, cgroups, netd's record, lease, claim, element, veth.
assert_gone() {
	[ ! -e "$RT_ROOT/$1" ] || fail "state of $1 left: $(ls "$RT_ROOT/$1")"
	assert_eq "$(cgroup_dirs "$1")" "" "cgroups of $1 left"
	assert_not_contains "$(berth list)" "$1"
	assert_eq "$(netctl --json ls | jq length)" 0 "netd still lists an endpoint"
	assert_eq "$(netctl --json status berth0 | jq .addresses_used)" 0 "lease left"
	assert_eq "$(ls "$NSTATE/ports" | grep -v '^lock$' || true)" "" "port claim left"
	assert_not_contains "$(nft list map inet berth pub_any4)" "elements"
	wait_for 5 sh -c "! ip -o link show type veth | grep -qE ' b[vx][0-9a-f]{12}'" ||
		fail "veths left: $(ip -o link show type veth)"
}

assert_stopped() {
	rt_wait_status "$1" stopped 20 || fail "$1 is not stopped: $(berth state "$1")"
	assert_eq "$(berth state "$1" | jq .pid)" 0 "a stopped container has no pid"
	assert_contains "$(berth list)" "stopped"
}

oom_killed() {
	local kills
	start_netd
	bundle oom '["sh","-c","x=xxxxxxxxxxxxxxxx; while :; do x=$x$x; done"]' \
		'{"memory":{"limit":33554432,"swap":33554432}}'
	berth run -d --bundle "$TMP/oom" oom || fail "run -d"
	assert_attached_to_netd oom
	assert_stopped oom
	kills=$(sed -n 's/^oom_kill //p' "$(rt_cgroup_dir memory oom)/memory.oom_control" 2>/dev/null ||
		sed -n 's/^oom_kill //p' "$(rt_cgroup_dir unified oom)/memory.events")
	[ "${kills:-0}" -ge 1 ] || fail "no OOM kill recorded in the container's cgroup"
	berth delete oom || fail "delete"
	assert_gone oom
	kill_netd
}

init_killed() {
	local pid
	start_netd
	bundle ik '["sleep","600"]'
	berth run -d --bundle "$TMP/ik" ik || fail "run -d"
	assert_attached_to_netd ik
	pid=$(rt_state_field ik pid)
	kill -KILL "$pid"
	assert_stopped ik
	berth delete ik || fail "delete"
	assert_gone ik
	kill_netd
}

# the container dies while netd is down; netd's restart drops the endpoint; delete must not mind
died_while_netd_was_down() {
	local pid
	start_netd
	bundle dn '["sleep","600"]'
	berth run -d --bundle "$TMP/dn" dn || fail "run -d"
	pid=$(rt_state_field dn pid)
	kill_netd
	kill -KILL "$pid"
	assert_stopped dn
	start_netd
	assert_eq "$(netctl --json ls | jq length)" 0 "reconcile kept the dead container's endpoint"
	out=$(berth delete dn 2>&1) || fail "delete: $out"
	assert_gone dn
	kill_netd
}

# netd is not there at delete time: delete still removes the container (with a warning),
# and netd's next start drops the endpoint of the dead namespace
netd_down_at_delete() {
	local pid out
	start_netd
	bundle nd '["sleep","600"]'
	berth run -d --bundle "$TMP/nd" nd || fail "run -d"
	pid=$(rt_state_field nd pid)
	kill -KILL "$pid"
	assert_stopped nd
	kill_netd
	out=$(berth delete nd 2>&1) || fail "delete without netd: $out"
	assert_contains "$out" "netd"
	start_netd
	assert_gone nd
	kill_netd
}

t "OOM-killed container: stopped, delete removes state, cgroups and the attachment" oom_killed
t "init killed from outside: stopped, delete removes state, cgroups and the attachment" init_killed
t "died while netd was down: reconcile drops the endpoint, delete still succeeds" died_while_netd_was_down
t "netd down at delete: delete warns and succeeds, netd's next start cleans up" netd_down_at_delete
t_done
