#!/bin/bash
# Stacks with IPv6: a network with an IPv4 and an IPv6 subnet ("subnet6")
# and one with IPv6 alone (internal: one default route per family is the
# first network's); containers get both addresses through netd's
# hand-off, which the runtime records; hosts files list both addresses and
# netd's DNS answers both (A and AAAA) on both gateways, which resolv.conf names;
# ports entries take [ADDR]:HOST:CONTAINER; down leaves nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-stack.sh"

[ -e /proc/sys/net/ipv6 ] || skip "this kernel has no IPv6"
upstream_add
st_netd
STACK=$TMP/six.json

cat >"$STACK" <<-JSON
{
  "name": "six",
  "networks": [
    { "name": "ds", "subnet": "10.91.0.0/24", "subnet6": "fd00:91::/64" },
    { "name": "only6", "subnet6": "fd00:92::/64", "internal": true }
  ],
  "containers": [
    { "name": "web", "rootfs": "rootfs",
      "command": ["sh", "-c", "echo six-web > /tmp/index.html && exec httpd -f -p 80 -h /tmp"],
      "networks": [{ "name": "ds", "aliases": ["www"] }, "only6"],
      "ports": ["8082:80", "[2001:db8::2]:8083:80"] },
    { "name": "client", "rootfs": "rootfs", "command": ["sleep", "3600"],
      "networks": ["ds"], "depends_on": ["web"] }
  ]
}
JSON

dual_stack_stack() {
	local out hosts
	out=$(berth up -f "$STACK" 2>&1) || fail "up: $out"
	assert_contains "$out" "network ds: created"
	assert_contains "$out" "network only6: created"
	# the table: both of web's addresses on ds, and its IPv6 one on only6
	assert_contains "$out" "10.91.0.2/24,fd00:91::2/64,fd00:92::2/64"
	assert_contains "$out" "[2001:db8::2]:8083->80/tcp"
	# the runtime records both (netd's hand-off)
	assert_contains "$(berth state six-web)" '"berth.network.address6": "fd00:91::2/64"'
	assert_contains "$(berth state six-web)" 'fd00:92::2'
	# hosts: the container's own names on both of its addresses; a neighbour's through netd's DNS, both families
	hosts=$(st_in six-client cat /etc/hosts)
	assert_contains "$hosts" "10.91.0.3	client"
	assert_contains "$hosts" "fd00:91::3	client"
	out=$(st_in six-client nslookup www)
	assert_contains "$out" "10.91.0.2"
	assert_contains "$out" "fd00:91::2"
	# resolv.conf: both gateways of the dual-stack network; web's also the IPv6-only network's
	out=$(st_in six-client cat /etc/resolv.conf)
	assert_contains "$out" "nameserver 10.91.0.1
nameserver fd00:91::1"
	out=$(st_in six-web cat /etc/resolv.conf)
	assert_contains "$out" "nameserver 10.91.0.1
nameserver fd00:91::1
nameserver fd00:92::1"
	# asked on the IPv6-only network's gateway, web is known by its IPv6 address: its other network's names too
	assert_contains "$(st_in six-web nslookup client fd00:92::1)" "10.91.0.3"
	wait_for 5 st_get six-client http://web/ || fail "web does not answer"
	assert_eq "$(st_get six-client "http://[fd00:91::2]/")" six-web
	# published: on both families' addresses, and on the one IPv6 address named
	assert_eq "$(ip netns exec upstream timeout 5 busybox wget -q -O - "http://[$UPSTREAM_HOST_IP6]:8082/")" six-web
	assert_eq "$(ip netns exec upstream timeout 5 busybox wget -q -O - "http://$UPSTREAM_HOST_IP:8082/")" six-web
	assert_eq "$(ip netns exec upstream timeout 5 busybox wget -q -O - "http://[$UPSTREAM_HOST_IP6]:8083/")" six-web
	assert_eq "$(host_get "http://[::1]:8082/")" six-web
	out=$(berth down -f "$STACK") || fail "down: $out"
	assert_not_contains "$(nft list table inet berth)" "fd00:9"
	assert_eq "$(netctl network ls | awk 'NR>1 {print $1}')" berth0
}

stack_file_checks() {
	local bad=$TMP/bad.json
	jq '.name = "bad" | .networks[1].subnet6 = "fd00:91::/80"' "$STACK" >"$bad"
	assert_fails berth up -f "$bad"
	assert_contains "$FAIL_OUT" "overlapping subnets"
	jq '.name = "bad" | .networks[1] = {name: "only6"}' "$STACK" >"$bad"
	assert_fails berth up -f "$bad"
	assert_contains "$FAIL_OUT" "subnet"
	jq '.name = "bad" | .containers[1].ports = ["[::]:8082:81"]' "$STACK" >"$bad"
	assert_fails berth up -f "$bad"
	assert_contains "$FAIL_OUT" "published by both"
}

t "a dual-stack and an IPv6-only network: both addresses recorded, in hosts and in DNS, ports on both families" dual_stack_stack
t "stack files: overlapping IPv6 subnets, a network without subnet, a port taken in IPv6 twice" stack_file_checks
t_done
