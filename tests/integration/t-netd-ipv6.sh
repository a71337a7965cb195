#!/bin/bash
# netd with IPv6: dual-stack networks through netctl, published ports on
# every address of both families including [::1] (netd's proxy), and kill -9
# of netd in the middle of an attach leaving no IPv6 address, route, element
# or lease behind once it has restarted.
. "$(dirname "$0")/lib.sh"

SOCK=$TMP/netd.sock
STATE=$TMP/state
export BERTH_NETD_SOCKET=$SOCK
NETD_ARGS=(--socket "$SOCK" --state-dir "$STATE" --run-dir "$TMP/run" --log-level warn)

[ -e /proc/sys/net/ipv6 ] || skip "this kernel has no IPv6"

netd_pid() {
	cat "$TMP/run/netd.pid" 2>/dev/null
}

start_netd() {
	netd "${NETD_ARGS[@]}" || fail "netd did not start: $(tail -5 "$TMP/run/netd.log" 2>/dev/null)"
}

stop_netd() {
	local pid
	pid=$(netd_pid) || return 0
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
	nft delete table bridge berth 2>/dev/null || true
	rm -rf "$STATE" "$TMP/run" "$SOCK"
	return 0
}

published_on_loopback6() {
	local out
	fresh
	upstream_add
	start_netd
	assert_ok netctl network create ds --subnet 10.77.0.0/24 --subnet fd00:77::/64
	netns_add c1
	netns_add c2
	out=$(netctl attach web --netns /run/netns/c1 --network ds -p 8080:80 -p 5353:53/udp --name web)
	serve c1 :: 80 web
	serve c1 --udp :: 53 dns
	assert_ok netctl attach client --netns /run/netns/c2 --network ds
	# the container side, set through netd's private procfs: no router advertisements, no link-local address
	assert_eq "$(ip netns exec c2 cat /proc/sys/net/ipv6/conf/eth0/accept_ra)" "0"
	assert_eq "$(ip -n c2 -6 -o addr show dev eth0 | awk '{print $4}')" "fd00:77::3/64"
	# netd's DNS (on the IPv4 gateway) answers AAAA with the IPv6 address, A with the IPv4 one
	assert_contains "$(ip netns exec c2 tst-dns query --type AAAA 10.77.0.1 web)" "NOERROR aa fd00:77::2 "
	assert_contains "$(ip netns exec c2 tst-dns query 10.77.0.1 web)" "NOERROR aa 10.77.0.2 "
	assert_contains "$(netctl dns ds)" "10.77.0.2,fd00:77::2"
	# every address of both families: upstream, the host's own, [::1] (the proxy) and 127.0.0.1
	assert_eq "$(request upstream "$UPSTREAM_HOST_IP6" 8080)" "web $UPSTREAM_GW_IP6"
	assert_eq "$(request upstream "$UPSTREAM_HOST_IP" 8080)" "web $UPSTREAM_GW_IP"
	assert_eq "$(request - ::1 8080)" "web fd00:77::1"
	assert_eq "$(request - --udp ::1 5353)" "dns fd00:77::1"
	assert_eq "$(request - 127.0.0.1 8080)" "web 10.77.0.1"
	# hairpin in IPv6, from the neighbour and from the container itself
	assert_eq "$(request c2 "$UPSTREAM_HOST_IP6" 8080)" "web fd00:77::1"
	assert_eq "$(request c1 "$UPSTREAM_HOST_IP6" 8080)" "web fd00:77::1"
	# a second publish of the port in IPv6 is refused; on one IPv4 address it collides too
	netns_add c3
	assert_fails netctl attach web2 --netns /run/netns/c3 --network ds -p '[::]:8080:80'
	assert_contains "$FAIL_OUT" "(IPv6) is already published by container 'web'"
	# netd restarted: the proxy listens again, from the records
	stop_netd
	start_netd
	assert_eq "$(request - ::1 8080)" "web fd00:77::1"
	# detached: nothing answers on [::1] any more
	assert_ok netctl detach web
	request - ::1 8080 500 >/dev/null 2>&1 && fail "[::1]:8080 still answers after detach"
	assert_not_contains "$(nft list map inet berth pub_any6)" "8080"
	stop_netd
}

assert_line() {
	grep -qE "$2" <<<"$1" || fail "no line matches /$2/ in: $1"
}

netctl_shows_both_families() {
	local out
	fresh
	start_netd
	assert_ok netctl network create ds --subnet 10.77.0.0/24 --subnet fd00:77::/64 --range fd00:77::100-fd00:77::1ff
	assert_ok netctl network create v6 --subnet 2001:db8:5::/64
	assert_fails netctl network create bad --subnet 10.78.0.0/24 --subnet 10.79.0.0/24
	assert_contains "$FAIL_OUT" "one value per address family"
	netns_add c1
	netns_add c2
	out=$(netctl attach web --netns /run/netns/c1 --network ds -p 8080:80 -p '[::1]:9000:90')
	assert_contains "$out" "web eth0 10.77.0.2/24 fd00:77::100/64 on ds"
	assert_contains "$out" "gateway 10.77.0.1 fd00:77::1"
	out=$(netctl attach six --netns /run/netns/c2 --network v6 --ip6 2001:db8:5::42)
	assert_contains "$out" "six eth0 2001:db8:5::42/64 on v6"
	out=$(netctl network ls)
	assert_line "$out" "^ds +ds +10.77.0.0/24,fd00:77::/64 +10.77.0.1,fd00:77::1 +1500 +1 +masquerade,masquerade6$"
	assert_line "$out" "^v6 +v6 +2001:db8:5::/64 +2001:db8:5::1 +1500 +1 +routed6$"
	out=$(netctl ls)
	assert_line "$out" "^web +ds +eth0 +10.77.0.2/24,fd00:77::100/64 +0a:58:0a:4d:00:02 +8080:80/tcp,\[::1\]:9000:90/tcp$"
	assert_line "$out" "^six +v6 +eth0 +2001:db8:5::42/64 +0a:58:00:00:00:42 +-$"
	out=$(netctl ports)
	assert_line "$out" "^0.0.0.0:8080 +tcp +10.77.0.2:80 +web +ds$"
	assert_line "$out" "^\[::\]:8080 +tcp +\[fd00:77::100\]:80 +web +ds$"
	assert_line "$out" "^\[::1\]:9000 +tcp +\[fd00:77::100\]:90 +web +ds$"
	out=$(netctl inspect web)
	assert_contains "$out" "address6:      fd00:77::100/64"
	assert_contains "$out" "gateway6:      fd00:77::1"
	out=$(netctl routes web)
	assert_line "$out" "^default +10.77.0.1 +eth0 +main +global +boot +0$"
	assert_line "$out" "^default +fd00:77::1 +eth0 +main +global +boot +1024$"
	assert_line "$out" "^fd00:77::100/128 +- +eth0 +local "
	assert_contains "$(netctl --json routes web)" '"family": "inet6"'
	assert_contains "$(netctl status ds)" '"addresses_used6": 1'
	assert_contains "$(netctl --json inspect web)" '"ip6": "fd00:77::100"'
	assert_contains "$(netctl --json network inspect v6)" '"subnet6": "2001:db8:5::/64"'
	assert_not_contains "$(netctl --json network inspect v6)" '"subnet":'
	assert_contains "$(netctl --json ports)" '"container_ip6": "fd00:77::100"'
	assert_contains "$(netctl graph)" 'eth0 10.77.0.2/24\nfd00:77::100/64'
	stop_netd
}

# Nothing of c1's IPv6 left: no address or route inside, no element, no lease, no claim.
assert_no_ipv6_left() {
	local what=$1
	assert_eq "$(ip -n c1 -o link show | wc -l)" 1 "$what: interfaces left in c1"
	assert_eq "$(ip -n c1 -6 route show | grep -c fd00 || true)" 0 "$what: IPv6 routes left in c1"
	assert_not_contains "$(nft list map inet berth pub_any6)" "fd00:78::" "$what: pub_any6"
	assert_not_contains "$(nft list set bridge berth ep_addrs6)" "fd00:78::" "$what: ep_addrs6"
	assert_eq "$(find "$STATE/networks/v6/endpoints" -type f | wc -l)" 0 "$what: records left"
	assert_eq "$(ls "$STATE/ports" | grep -v '^lock$' || true)" "" "$what: port claims left"
	assert_eq "$(netctl --json status v6 | jq .addresses_used6)" 0 "$what: IPv6 leases left"
}

kill_mid_attach() {
	local fp
	fresh
	start_netd
	assert_ok netctl network create v6 --subnet fd00:78::/64
	netns_add c1
	for fp in attach-pending attach-claimed attach-veth attach-linked attach-published; do
		stop_netd
		BERTH_FAILPOINT=$fp netd "${NETD_ARGS[@]}" || fail "netd did not start"
		netctl attach web --netns /run/netns/c1 --network v6 -p 8080:80 >/dev/null 2>&1 &&
			fail "$fp: the attach survived its failpoint"
		wait_for 10 sh -c "! kill -0 $(netd_pid) 2>/dev/null" || fail "$fp: netd is still running"
		start_netd
		assert_no_ipv6_left "$fp"
	done
	# and past the last failpoint the endpoint is whole, both of its IPv6 pieces in place
	stop_netd
	BERTH_FAILPOINT=attach-complete netd "${NETD_ARGS[@]}" || fail "netd did not start"
	netctl attach web --netns /run/netns/c1 --network v6 -p 8080:80 >/dev/null 2>&1 || true
	wait_for 10 sh -c "! kill -0 $(netd_pid) 2>/dev/null" || fail "attach-complete: netd is still running"
	start_netd
	assert_eq "$(ip -n c1 -6 -o addr show dev eth0 | awk '{print $4}')" fd00:78::2/64
	assert_contains "$(nft list map inet berth pub_any6)" "fd00:78::2 . 80"
	assert_ok netctl detach web
	assert_no_ipv6_left detached
	stop_netd
}

t "published ports answer over IPv6, on [::1] through netd's proxy, and in hairpin" published_on_loopback6
t "kill -9 of netd mid-attach leaves no IPv6 address, route or element behind" kill_mid_attach
t "netctl shows both families: network ls, ls, ports, inspect, routes, status, graph, --json" netctl_shows_both_families
t_done
