#!/bin/bash
# netd as a daemon: start-up, config, pidfile, concurrency, and kill -9 at any moment followed by a restart.
. "$(dirname "$0")/lib.sh"

SOCK=$TMP/netd.sock
export BERTH_NETD_SOCKET=$SOCK
NETD_ARGS=(--socket "$SOCK" --state-dir "$TMP/state" --run-dir "$TMP/run")

# Stop netd and wait until it is gone (its pidfile lock dies with it).
stop_netd() {
	local pid
	pid=$(cat "$TMP/run/netd.pid" 2>/dev/null) || return 0
	kill "${1:--TERM}" "$pid" 2>/dev/null || true
	wait_for 10 test ! -e "/proc/$pid" || fail "netd $pid did not stop"
}

fresh() {
	stop_netd -KILL
	ip -all netns delete 2>/dev/null || true
	for l in $(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1); do
		[ "$l" = lo ] || ip link del "$l" 2>/dev/null || true
	done
	nft delete table inet berth 2>/dev/null || true
	rm -rf "$TMP/state" "$TMP/run" "$SOCK"
	return 0
}

netd_pid() {
	cat "$TMP/run/netd.pid"
}

# Nothing of berth's left but the networks: no veth, no interface in a container, no element, no record, no claim.
assert_clean() {
	local ns
	# detached pairs are deleted by netd's reaper thread moments after the reply
	wait_for 5 sh -c "! ip -o link show type veth | grep -qE ' b[vx][0-9a-f]{12}'" ||
		fail "veths left: $(ip -o link show type veth)"
	for ns in $(ip netns list | awk '{print $1}'); do
		assert_eq "$(ip -n "$ns" -o link show | wc -l)" 1 "interfaces left in $ns"
	done
	assert_not_contains "$(nft list map inet berth pub_any4)" "elements"
	assert_eq "$(find "$TMP/state/networks" -path '*/endpoints/*' | wc -l)" 0 "records left"
	assert_eq "$(ls "$TMP/state/ports" | grep -v '^lock$' || true)" "" "port claims left"
	assert_eq "$(netctl --json status berth0 | grep -o '"addresses_used": [0-9]*')" '"addresses_used": 0' \
		"leases left"
}

daemon_life_cycle() {
	fresh
	cat >"$TMP/netd.json" <<-'JSON'
	{
	  "//": "a test configuration",
	  "log_level": "debug",
	  "networks": [
	    {"name": "berth0", "bridge": "berth0", "subnet": "10.66.0.0/16"},
	    {"name": "iso", "subnet": "10.90.0.0/24", "internal": true}
	  ]
	}
	JSON
	# without --foreground netd returns once it serves, and says so in its pidfile and log
	netd --config "$TMP/netd.json" "${NETD_ARGS[@]}" || fail "netd did not start"
	[ -S "$SOCK" ] || fail "no socket once netd returned"
	assert_eq "$(stat -c %a "$SOCK")" 600
	kill -0 "$(netd_pid)" || fail "pidfile names no process"
	assert_contains "$(cat "$TMP/run/netd.log")" "listening on $SOCK"
	assert_eq "$(ip -4 -o addr show dev berth0 | awk '{print $4}')" 10.66.0.1/16
	assert_eq "$(ip -4 -o addr show dev iso | awk '{print $4}')" 10.90.0.1/24
	assert_contains "$(netctl network ls)" "internal"
	# a second netd on the same run directory refuses, naming the first
	assert_fails netd --config "$TMP/netd.json" "${NETD_ARGS[@]}"
	assert_contains "$FAIL_OUT" "netd is already running (pid $(netd_pid)"
	# bad configuration: a clear error naming the key
	echo '{"networks": [{"name": "x", "subnet": "10.1.0.0/16", "colour": "red"}]}' >"$TMP/bad.json"
	assert_fails netd --config "$TMP/bad.json" --foreground --socket "$TMP/b.sock" --run-dir "$TMP/run2"
	assert_contains "$FAIL_OUT" "colour"
	assert_fails netd --config "$TMP/missing.json" --foreground --socket "$TMP/b.sock" --run-dir "$TMP/run2"
	assert_contains "$FAIL_OUT" "missing.json"
	# SIGTERM: the socket and pidfile go
	kill "$(netd_pid)"
	wait_for 10 test ! -e "$SOCK" || fail "socket left after SIGTERM"
	wait_for 5 test ! -e "$TMP/run/netd.pid" || fail "pidfile left after SIGTERM"
	# the state survives: a restart serves the same networks
	netd --config "$TMP/netd.json" "${NETD_ARGS[@]}" || fail "netd did not restart"
	assert_contains "$(netctl network ls)" "iso"
	stop_netd
}

concurrent_attaches() {
	local i ips
	fresh
	netd "${NETD_ARGS[@]}" || fail "netd did not start"
	for i in $(seq 32); do netns_add "c$i"; done
	for i in $(seq 32); do
		netctl --json attach "ctr$i" --netns "/run/netns/c$i" -p "$((20000 + i)):80" >"$TMP/a$i.json" &
	done
	wait
	ips=$(for i in $(seq 32); do grep -o '"ip": "[^"]*"' "$TMP/a$i.json"; done | sort)
	assert_eq "$(wc -l <<<"$ips")" 32 "not every attach succeeded"
	assert_eq "$(sort -u <<<"$ips" | wc -l)" 32 "addresses handed out twice"
	for i in $(seq 32); do
		ip -n "c$i" -4 -o addr show dev eth0 | grep -q "$(grep -o '"ip": "[^"]*"' "$TMP/a$i.json" | cut -d'"' -f4)/16" ||
			fail "c$i lacks its address"
	done
	assert_eq "$(nft list map inet berth pub_any4 | grep -oE 'tcp \. 200[0-9]+' | wc -l)" 32
	for i in $(seq 32); do netctl detach "ctr$i" >/dev/null & done
	wait
	assert_clean
	stop_netd
}

# kill -9 netd exactly at each step of an attach (and of a detach), restart, and find nothing left
crash_points() {
	local fp
	for fp in attach-pending attach-claimed attach-veth attach-linked attach-published detach-removing detach-unlinked; do
		fresh
		netns_add c1
		netd "${NETD_ARGS[@]}" || fail "netd did not start"
		[[ $fp == detach-* ]] && assert_ok netctl attach web --netns /run/netns/c1 -p 8080:80
		stop_netd
		BERTH_FAILPOINT=$fp netd "${NETD_ARGS[@]}" || fail "$fp: netd did not start"
		if [[ $fp == detach-* ]]; then
			assert_fails netctl detach web
		else
			assert_fails netctl attach web --netns /run/netns/c1 -p 8080:80
		fi
		assert_contains "$FAIL_OUT" "closed the connection"
		wait_for 5 test ! -e /proc/"$(netd_pid)" || fail "$fp: netd still alive"
		netd "${NETD_ARGS[@]}" || fail "$fp: netd did not restart"
		assert_clean
		# and it serves again: the same attach works
		assert_ok netctl attach web --netns /run/netns/c1 -p 8080:80
		stop_netd
	done
}

# kill -9 at arbitrary moments while many attaches and detaches are in flight
crash_under_load() {
	local round i
	fresh
	for i in $(seq 12); do netns_add "c$i"; done
	for round in 1 2 3 4; do
		netd "${NETD_ARGS[@]}" || fail "netd did not start"
		for i in $(seq 12); do
			(netctl attach "ctr$i" --netns "/run/netns/c$i" -p "$((21000 + i)):80" >/dev/null 2>&1
			 netctl detach "ctr$i" >/dev/null 2>&1) &
		done
		sleep "0.0$((round * 2))"
		stop_netd -KILL
		wait
		rm -f "$SOCK"
		netd "${NETD_ARGS[@]}" || fail "round $round: netd did not restart"
		# whatever finished stays whole; detaching everything leaves nothing
		for i in $(seq 12); do netctl detach "ctr$i" >/dev/null 2>&1 || true; done
		assert_clean
		stop_netd
	done
}

t "daemon: start-up, config, pidfile, second instance, SIGTERM, restart" daemon_life_cycle
t "32 concurrent attaches get distinct addresses" concurrent_attaches
t "kill -9 at each step of attach and detach, then restart: nothing left" crash_points
t "kill -9 under load, then restart: nothing left" crash_under_load
fresh
t_done
