#!/bin/bash
# The demo (tests/demo.sh, `make demo`) in the sandbox: it works with no
# netd (starting its own and leaving no trace of it), twice in a row, after
# a failed or interrupted run, with a netd already at the default socket
# (which it uses and leaves as it was), and it refuses to start a netd next
# to a table of another one.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-stack.sh"

DEMO=$REPO/tests/demo.sh
export DEMO_DIR=$TMP/demo
export DEMO_STACK=$TMP/web.json
export BERTH_CGROUP_PARENT=/$BERTH_TEST_CGROUP/demo
unset BERTH_NETD_SOCKET
sed "s|\"rootfs\": \"[^\"]*\"|\"rootfs\": \"$ST_ROOTFS\"|" "$REPO/config/examples/web.json" >"$DEMO_STACK"
FORWARD=$(cat /proc/sys/net/ipv4/ip_forward)

# Nothing of the demo anywhere: links, table, netd, state, cgroups.
assert_no_trace() {
	assert_eq "$(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | sort | tr '\n' ' ')" "${1:-lo }" "links left"
	if [ -z "${2:-}" ]; then
		! nft list table inet berth >/dev/null 2>&1 || fail "table inet berth left"
	fi
	[ ! -e "$DEMO_DIR/netd" ] || fail "the demo's netd directory left"
	[ ! -e "$DEMO_DIR/root" ] || fail "the demo's berth root left"
	assert_eq "$(find /sys/fs/cgroup -type d -path "*/$BERTH_TEST_CGROUP/demo/*" 2>/dev/null)" "" "cgroups left"
	! pgrep -x netd >/dev/null || [ -n "${2:-}" ] || fail "a netd is still running"
	assert_eq "$(cat /proc/sys/net/ipv4/ip_forward)" "${3:-$FORWARD}" "ip_forward not restored"
}

demo_ok() {
	out=$(bash "$DEMO" 2>&1) || fail "demo failed: $out"
	assert_contains "$out" "starting one for the demo"
	assert_contains "$out" "(fetched from web by name)"
	# the name came from netd's DNS
	assert_contains "$out" "nameserver 10.89.0.1"
	grep -qE "^web +10\.89\.0\.2(,fd00:89::2)? +web-web +eth0 +name" <<<"$out" || fail "web not in netctl dns: $out"
	grep -qE "^www +10\.89\.0\.2(,fd00:89::2)? +web-web +eth0 +alias" <<<"$out" || fail "www not in netctl dns: $out"
	# the page through the published port, printed
	assert_contains "$out" "<h1>hello from web, served by busybox httpd in a berth container</h1>"
	assert_contains "$out" "nothing left behind"
	# both families where the host has IPv6 (the sandbox does), with the note otherwise
	if [ -e /proc/sys/net/ipv6 ]; then
		# netd's DNS has both of web's addresses
		grep -qE "^web +10\.89\.0\.2,fd00:89::2 +web-web" <<<"$out" || fail "no IPv6 address in netctl dns: $out"
		assert_contains "$out" "over IPv6: http://[::1]:8080/"
		# the page from the client's log, and fetched on 127.0.0.1, [::1] and fd00:89::2
		[ "$(grep -c '<h1>hello from web' <<<"$out")" -ge 4 ] || fail "the page is not shown over IPv6: $out"
	else
		assert_contains "$out" "this host has no IPv6"
	fi
	grep -q '"ctr:web-web" -> "net:webnet"' "$DEMO_DIR/topology.dot" || fail "no picture: $(cat "$DEMO_DIR/topology.dot")"
	grep -q '8080 -> 80/tcp' "$DEMO_DIR/topology.dot" || fail "no published port in the picture"
	if command -v dot >/dev/null; then
		grep -q '<svg' "$DEMO_DIR/topology.svg" || fail "no SVG"
	fi
}

without_netd() {
	demo_ok
	assert_no_trace
}

twice_in_a_row() {
	demo_ok
	demo_ok
	assert_no_trace
}

# KEEP=1, then the demo's netd dies (as after a crash or reboot): the next run picks its state up and cleans up
after_a_crash() {
	out=$(KEEP=1 bash "$DEMO" 2>&1) || fail "KEEP=1 demo failed: $out"
	assert_contains "$out" "make demo-down"
	assert_contains "$(command berth --root "$DEMO_DIR/root" ps)" "running"
	kill -9 "$(cat "$DEMO_DIR/netd/netd.pid")"
	wait_for 5 sh -c "! pgrep -x netd" || fail "netd did not die"
	out=$(bash "$DEMO" 2>&1) || fail "demo after a crash failed: $out"
	assert_contains "$out" "restarting the demo's netd on the state an earlier run left"
	assert_contains "$out" "container web: unchanged, running"
	assert_no_trace
	# KEEP=1 then make demo-down
	out=$(KEEP=1 bash "$DEMO" 2>&1) || fail "KEEP=1 demo failed: $out"
	out=$(bash "$DEMO" down 2>&1) || fail "demo down failed: $out"
	assert_contains "$out" "nothing left behind"
	assert_no_trace
}

# a run that fails half-way (the web container runs, the client's rootfs has no shell) cleans up after itself
after_a_failure() {
	mkdir -p "$TMP/empty"
	awk -v r="$TMP/empty" '/"rootfs"/ && ++n == 2 { sub(/"rootfs": "[^"]*"/, "\"rootfs\": \"" r "\"") } 1' \
		"$DEMO_STACK" >"$TMP/broken.json"
	assert_fails env DEMO_STACK="$TMP/broken.json" bash "$DEMO"
	assert_contains "$FAIL_OUT" "container web: created, started"
	assert_contains "$FAIL_OUT" "client"
	assert_contains "$FAIL_OUT" "demo: failed"
	assert_contains "$FAIL_OUT" "network webnet: removed"
	assert_no_trace
	demo_ok
	assert_no_trace
}

# a netd at the default socket (the sandbox has its own /run): used, and left with its own network and table
with_a_system_netd() {
	netd --socket /run/berth/netd.sock --state-dir "$TMP/sys-state" --run-dir "$TMP/sys-run" ||
		fail "system netd did not start"
	out=$(bash "$DEMO" 2>&1) || fail "demo with a system netd failed: $out"
	assert_contains "$out" "using the netd running at /run/berth/netd.sock"
	assert_contains "$out" "<h1>hello from web"
	assert_no_trace "berth0 lo " system 1
	assert_eq "$(netctl --socket /run/berth/netd.sock network ls | awk 'NR>1 {print $1}')" berth0
	nft list table inet berth >/dev/null || fail "the system netd's table is gone"
	kill "$(cat "$TMP/sys-run/netd.pid")"
	wait_for 5 sh -c "! pgrep -x netd" || fail "netd did not stop"
	# its table and bridge stay after it stopped: now the demo must not start a netd of its own next to them
	assert_fails bash "$DEMO"
	assert_contains "$FAIL_OUT" "nftables table 'inet berth' exists but no netd answers"
	[ ! -e "$DEMO_DIR/netd" ] || fail "the demo made a netd directory anyway"
}

t "the demo starts netd, shows the stack and leaves no trace" without_netd
t "the demo runs twice in a row" twice_in_a_row
t "the demo recovers after a crash; KEEP=1 and demo down" after_a_crash
t "a failed demo cleans up, and the next one works" after_a_failure
t "the demo uses a netd at the default socket and leaves it as it was" with_a_system_netd
t_done
