#!/bin/bash
# netctl driving netd: networks, attaches, traffic, published ports, listings, detach.
. "$(dirname "$0")/lib.sh"

SOCK=$TMP/netd.sock
export BERTH_NETD_SOCKET=$SOCK

# Each case starts from an empty host: no netd, namespaces, links, table or state of an earlier case.
fresh() {
	ip -all netns delete 2>/dev/null || true
	for l in $(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1); do
		[ "$l" = lo ] || ip link del "$l" 2>/dev/null || true
	done
	nft delete table inet berth 2>/dev/null || true
	rm -rf "$TMP/state" "$TMP/run" "$SOCK"
	return 0
}

# assert_line TEXT REGEX: some line of TEXT matches the extended regex
assert_line() {
	grep -qE "$2" <<<"$1" || fail "no line matches /$2/ in: $1"
}

# netd in the foreground, tracked, without a config file: the built-in defaults (berth0, 10.66.0.0/16)
start_netd_defaults() {
	fresh
	spawn netd --foreground --socket "$SOCK" --state-dir "$TMP/state" --run-dir "$TMP/run" --log-level warn
	wait_for 5 test -S "$SOCK" || fail "netd did not start"
}
stop_netd() {
	kill "$(cat "$TMP/run/netd.pid")" 2>/dev/null
	wait_for 5 test ! -e "$SOCK" || fail "netd did not stop"
}

no_netd_message() {
	fresh
	assert_fails netctl ls
	assert_contains "$FAIL_OUT" "netd is not running (no socket at $SOCK)"
	assert_fails netctl --socket "$TMP/other.sock" ls
	assert_contains "$FAIL_OUT" "no socket at $TMP/other.sock"
	assert_fails netctl frobnicate
	assert_contains "$FAIL_OUT" "unknown command 'frobnicate'"
}

networks() {
	start_netd_defaults
	# the default network from the built-in configuration
	assert_eq "$(ip -4 -o addr show dev berth0 | awk '{print $4}')" 10.66.0.1/16
	out=$(netctl network ls)
	assert_contains "$out" "berth0  berth0  10.66.0.0/16  10.66.0.1  1500  0          masquerade"
	assert_ok netctl network create blue --subnet 10.70.0.0/24 --bridge br-blue --mtu 1400 --no-masquerade
	assert_eq "$(ip -o link show br-blue | grep -o 'mtu [0-9]*')" "mtu 1400"
	# no multicast snooping on a bridge netd makes (without a querier it floods anyway; netd/link.h)
	assert_contains "$(ip -d link show br-blue)" "mcast_snooping 0"
	assert_eq "$(ip -4 -o addr show dev br-blue | awk '{print $4}')" 10.70.0.1/24
	# idempotent, global options after the command, JSON
	assert_contains "$(netctl network create blue --subnet 10.70.0.0/24 --bridge br-blue --mtu 1400 \
		--no-masquerade --json)" '"bridge": "br-blue"'
	assert_contains "$(netctl --json network ls)" '"masquerade": false' 
	assert_fails netctl network create blue --subnet 10.71.0.0/24
	assert_contains "$FAIL_OUT" "exists with bridge br-blue"
	assert_fails netctl network create red --subnet 10.70.0.128/25
	assert_contains "$FAIL_OUT" "overlaps network 'blue'"
	assert_fails netctl network create red --subnet 10.72.0.0/24 --bridge br-blue
	assert_contains "$FAIL_OUT" "already belongs to network 'blue'"
	# a bridge that exists with someone else's address is not adopted
	ip link add br-x type bridge && ip addr add 192.168.77.1/24 dev br-x
	assert_fails netctl network create red --subnet 10.72.0.0/24 --bridge br-x
	assert_contains "$FAIL_OUT" "bridge br-x exists with address 192.168.77.1"
	# one that exists bare is adopted, and survives the network's removal
	ip link add br-y type bridge
	assert_ok netctl network create green --subnet 10.73.0.0/24 --bridge br-y --internal
	assert_contains "$(netctl network ls)" "internal,adopted"
	assert_ok netctl network rm green
	ip link show br-y >/dev/null || fail "an adopted bridge was deleted"
	assert_eq "$(ip -4 -o addr show dev br-y | wc -l)" 0
	assert_ok netctl network rm blue
	ip link show br-blue >/dev/null 2>&1 && fail "bridge br-blue left behind"
	assert_not_contains "$(nft list table inet berth)" br-blue
	assert_fails netctl network rm blue
	assert_contains "$FAIL_OUT" "unknown network 'blue'"
	stop_netd
}

traffic_and_ports() {
	start_netd_defaults
	upstream_add
	netns_add c1
	netns_add c2
	out=$(netctl attach web --netns /run/netns/c1 -p 8080:80 -p 5353:53/udp)
	assert_contains "$out" "web eth0 10.66.0.2/16 on berth0"
	out=$(netctl attach client --netns /run/netns/c2 --network berth0)
	assert_contains "$out" "client eth0 10.66.0.3/16 on berth0"
	# kernel state: the peer lives in the namespace with its address and default route
	assert_eq "$(ip -n c1 -4 -o addr show dev eth0 | awk '{print $4}')" 10.66.0.2/16
	assert_contains "$(ip -n c1 route show default)" "default via 10.66.0.1 dev eth0"
	assert_eq "$(ip -o link show master berth0 | wc -l)" 2
	# no IPv6 chatter on the pair (a bridge floods it to every port): no address on either end,
	# IPv6 off on the bridge port, hairpin on
	assert_eq "$(ip -n c1 -6 -o addr show dev eth0 | wc -l)" 0 "IPv6 address on the container end"
	host=$(ip -o link show master berth0 | awk -F': ' 'NR == 1 {print $2}' | cut -d@ -f1)
	assert_eq "$(cat "/proc/sys/net/ipv6/conf/$host/disable_ipv6")" 1 "IPv6 on the host end $host"
	assert_contains "$(ip -d link show "$host")" "hairpin on"
	serve c1 0.0.0.0 80 web
	serve c1 --udp 0.0.0.0 53 dns
	serve upstream 198.51.100.1 7000 up
	# container to container, container to the outside (masqueraded to the host's address)
	assert_eq "$(request c2 10.66.0.2 80)" "web 10.66.0.3"
	assert_eq "$(request c1 198.51.100.1 7000)" "up 198.51.100.2"
	# the published port from outside, from the host on 127.0.0.1, and through hairpin
	assert_eq "$(request upstream 198.51.100.2 8080)" "web 198.51.100.1"
	assert_eq "$(request - 127.0.0.1 8080)" "web 10.66.0.1"
	assert_eq "$(request c2 198.51.100.2 8080)" "web 10.66.0.1"
	assert_eq "$(request c1 198.51.100.2 8080)" "web 10.66.0.1"
	assert_eq "$(request upstream --udp 198.51.100.2 5353)" "dns 198.51.100.1"
	# a second publish of the same host port is refused, naming the owner
	netns_add c3
	assert_fails netctl attach other --netns /run/netns/c3 -p 8080:81
	assert_contains "$FAIL_OUT" "host port tcp/8080 is already published by container 'web'"
	assert_eq "$(ip -n c3 -o link show | wc -l)" 1
	assert_eq "$(request upstream 198.51.100.2 8080)" "web 198.51.100.1"
	# listings
	out=$(netctl ls)
	assert_line "$out" "^ID +NETWORK +IFNAME +ADDRESS +MAC +PORTS$"
	assert_line "$out" "^web +berth0 +eth0 +10.66.0.2/16 +0a:58:0a:42:00:02 +8080:80/tcp,5353:53/udp$"
	assert_line "$out" "^client +berth0 +eth0 +10.66.0.3/16 +0a:58:0a:42:00:03 +-$"
	out=$(netctl ports)
	assert_line "$out" "^0.0.0.0:8080 +tcp +10.66.0.2:80 +web +berth0$"
	assert_line "$out" "^0.0.0.0:5353 +udp +10.66.0.2:53 +web +berth0$"
	out=$(netctl routes web)
	assert_line "$out" "^DESTINATION +GATEWAY +DEVICE +TABLE +SCOPE +PROTO +METRIC$"
	assert_line "$out" "^default +10.66.0.1 +eth0 +main +global +boot +0$"
	assert_line "$out" "^10.66.0.0/16 +- +eth0 +main +link +kernel +0$"
	assert_line "$out" "^10.66.0.2/32 +- +eth0 +local +host +kernel +0$"
	assert_contains "$(netctl inspect web)" "netns:         /run/netns/c1"
	assert_contains "$(netctl ls --json)" '"host_ifname": "bv'
	assert_contains "$(netctl --json ports)" '"container_ip": "10.66.0.2"'
	# detach leaves nothing: no veth, no interface inside, no map element, no record, no claim
	assert_eq "$(netctl detach web)" "detached 1 endpoint of web"
	# off the bridge at once; the pair itself goes moments later (netd's reaper thread)
	assert_eq "$(ip -o link show master berth0 | wc -l)" 1
	wait_for 5 test "$(ip -n c1 -o link show | wc -l)" = 1 || fail "eth0 left in c1"
	assert_not_contains "$(nft list map inet berth pub_any4)" "8080"
	assert_not_contains "$(nft list map inet berth pub_any4)" "5353"
	assert_fails request upstream 198.51.100.2 8080 500
	[ -e "$TMP/state/networks/berth0/endpoints/web" ] && fail "record left"
	assert_eq "$(ls "$TMP/state/ports" | grep -v "^lock$")" "" "port claims left"
	assert_fails netctl detach web
	assert_contains "$FAIL_OUT" "container 'web' has no endpoint"
	assert_ok netctl detach client --network berth0 --ifname eth0
	# (the listing is taken on every try: netd's reaper deletes the pair moments after the reply)
	wait_for 5 sh -c "! ip -o link show type veth | grep -qE ' b[vx][0-9a-f]{12}'" ||
		fail "veths left: $(ip -o link show type veth)"
	stop_netd
}

isolation() {
	start_netd_defaults
	assert_ok netctl network create blue --subnet 10.70.0.0/24
	netns_add c1
	netns_add c2
	assert_ok netctl attach a --netns /run/netns/c1
	assert_ok netctl attach b --netns /run/netns/c2 --network blue -p 9090:90
	serve c2 0.0.0.0 90 b
	serve c1 0.0.0.0 90 a
	assert_fails request c1 10.70.0.2 90 500
	assert_fails request c2 10.66.0.2 90 500
	# published ports stay reachable across networks, through the host
	assert_eq "$(request c1 10.66.0.1 9090)" "b 10.70.0.1"
	stop_netd
}

# netctl graph draws what netd knows; teardown removes the table only once no network is left
graph_and_teardown() {
	start_netd_defaults
	assert_ok netctl network create side --subnet 10.91.0.0/24 --internal
	netns_add c1
	assert_ok netctl attach web --netns /run/netns/c1 -p 8080:80
	out=$(netctl graph) || fail "graph: $out"
	assert_contains "$out" "digraph berth {"
	assert_contains "$out" 'subgraph "cluster_side"'
	assert_contains "$out" 'label="network side\n10.91.0.0/24 (internal)"'
	assert_contains "$out" '"ctr:web" -> "net:berth0" [dir=none, label="eth0 10.66.0.2/16"]'
	assert_contains "$out" '"host" -> "ctr:web"'
	assert_contains "$out" '0.0.0.0:8080 -> 80/tcp'
	assert_ok netctl graph --output "$TMP/g.dot"
	assert_eq "$(cat "$TMP/g.dot")" "$out"
	if command -v dot >/dev/null; then
		assert_ok netctl graph --output "$TMP/g.svg"
		grep -q '<svg' "$TMP/g.svg" || fail "no SVG"
		assert_ok netctl graph --format png --output "$TMP/g.img"
		assert_contains "$(file "$TMP/g.img")" "PNG image"
	fi
	assert_fails netctl graph --format gif
	assert_contains "$FAIL_OUT" "dot, svg or png"
	assert_fails netctl teardown
	assert_contains "$FAIL_OUT" "2 networks left (berth0, side)"
	nft list table inet berth >/dev/null || fail "table removed while networks remain"
	assert_ok netctl detach web
	assert_ok netctl network rm side
	assert_ok netctl network rm berth0
	assert_ok netctl teardown
	! nft list table inet berth >/dev/null 2>&1 || fail "table left after teardown"
	# and a new network brings it back
	assert_ok netctl network create again --subnet 10.92.0.0/24
	nft list table inet berth >/dev/null || fail "no table after network create"
	stop_netd
}

t "a clear message when netd is not running" no_netd_message
t "networks: create, adopt, conflicts, remove" networks
t "traffic, published ports (upstream, 127.0.0.1, hairpin), refusal, listings, detach" traffic_and_ports
t "containers on two networks cannot reach each other" isolation
t "graph draws the topology; teardown only without networks" graph_and_teardown
t_done
