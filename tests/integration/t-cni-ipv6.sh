#!/bin/bash
# berth-cni with IPv6: ipam.ranges with an IPv6 range alone or beside an IPv4
# one, results of every version (0.3.0 to 1.1.0) carrying both addresses,
# gateways and default routes, port mappings on either family's host
# address, CHECK of both addresses, and delegation to host-local with IPv6
# ranges.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cni-lib.sh"

HL=$TMP/host-local

[ -e /proc/sys/net/ipv6 ] || skip "this kernel has no IPv6"

# conf6 VERSION NAME [JQ-FILTER]: dual stack, one range set per family.
conf6() {
	conf "$1" "$2" 10.140.0.0/24 ".ipam = {ranges: [[{subnet: \"10.140.0.0/24\"}], [{subnet: \"fd00:140::/64\"}]]} | ${3:-.}"
}

dual_stack_every_version() {
	local v i=0 ns res
	[ -e /run/netns/upstream ] || upstream_add
	for v in 1.1.0 1.0.0 0.4.0 0.3.1 0.3.0; do
		i=$((i + 1))
		ns=$(ns_add "d$i")
		res=$(cni_ok ADD "d-$i" "$ns" eth0 "$(with_ports '[{"hostPort":8080,"containerPort":80}]' "$(conf6 "$v" dnet)")")
		# both addresses on the container's interface, with their gateways; both default routes
		jq -e --arg v "$v" --arg i "$i" '.cniVersion == $v and (.ips | length) == 2
			and .ips[0].address == ("10.140.0." + (($i | tonumber) + 1 | tostring) + "/24")
			and .ips[0].gateway == "10.140.0.1" and .ips[0].interface == 2
			and .ips[1].address == ("fd00:140::" + (($i | tonumber) + 1 | tostring) + "/64")
			and .ips[1].gateway == "fd00:140::1" and .ips[1].interface == 2
			and (.routes | map(.dst) | (index("0.0.0.0/0") != null and index("::/0") != null))
			and (if ($v | startswith("0.")) then .ips[1].version == "6" and .ips[0].version == "4"
			     else (.ips[0] | has("version") | not) end)' <<<"$res" >/dev/null ||
			fail "$v: $res"
		has "fd00:140::$((i + 1))/64" ip -n "d$i" -6 addr show dev eth0 || fail "$v: no IPv6 address inside"
		has "default via fd00:140::1" ip -n "d$i" -6 route || fail "$v: no IPv6 default route inside"
		case $v in 0.3.*) ;; *) cni_ok CHECK "d-$i" "$ns" eth0 "$(with_prev "$(conf6 "$v" dnet)" "$res")" >/dev/null ;; esac
		# the port on both families' addresses
		serve "d$i" :: 80 "d$i"
		assert_eq "$(request upstream "$UPSTREAM_HOST_IP6" 8080)" "d$i $UPSTREAM_GW_IP6"
		assert_eq "$(request upstream "$UPSTREAM_HOST_IP" 8080)" "d$i $UPSTREAM_GW_IP"
		cni_ok DEL "d-$i" "$ns" eth0 "$(conf6 "$v" dnet)" >/dev/null
		t_kill_all
	done
	assert_clean dnet
}

ipv6_only_and_ports() {
	local ns res c
	[ -e /run/netns/upstream ] || upstream_add
	ns=$(ns_add o1)
	c=$(conf 1.1.0 onet unused '.ipam = {subnet: "fd00:141::/64", rangeStart: "fd00:141::100",
		routes: [{dst: "2001:db8:7::/48", gw: "fd00:141::fe"}]}')
	res=$(cni_ok ADD o1 "$ns" eth0 "$(with_ports '[{"hostPort":8081,"containerPort":80,"hostIP":"2001:db8::2"},
		{"hostPort":5353,"containerPort":53,"protocol":"udp"}]' "$c")")
	jq -e '(.ips | length) == 1 and .ips[0].address == "fd00:141::100/64" and .ips[0].gateway == "fd00:141::1"
		and (.routes | map(.dst) | (index("::/0") != null and index("2001:db8:7::/48") != null
		     and index("0.0.0.0/0") == null))' <<<"$res" >/dev/null || fail "$res"
	assert_eq "$(ip -n o1 -4 -o addr show dev eth0 | wc -l)" 0 "an IPv4 address on an IPv6-only network"
	has "2001:db8:7::/48 via fd00:141::fe" ip -n o1 -6 route || fail "the IPAM route is missing"
	serve o1 :: 80 o1
	serve o1 --udp :: 53 dns
	assert_eq "$(request upstream "$UPSTREAM_HOST_IP6" 8081)" "o1 $UPSTREAM_GW_IP6"
	assert_eq "$(request upstream --udp "$UPSTREAM_HOST_IP6" 5353)" "dns $UPSTREAM_GW_IP6"
	# CHECK sees a lost IPv6 address
	ip -n o1 -6 addr flush dev eth0
	cni_code 107 CHECK o1 "$ns" eth0 "$(with_prev "$c" "$res")" >/dev/null
	assert_contains "$(cat "$TMP/cni.err")" "fd00:141::100"
	cni_ok DEL o1 "$ns" eth0 "$c" >/dev/null
	assert_clean onet
	# a requested IPv6 address (CNI_ARGS IP, as host-local takes it)
	ns=$(ns_add o2)
	res=$(cni_ok ADD o2 "$ns" eth0 "$c" CNI_ARGS=IP=fd00:141::1234)
	assert_eq "$(res_cidr "$res")" fd00:141::1234/64
	cni_ok DEL o2 "$ns" eth0 "$c" >/dev/null
	assert_clean onet
}

need_host_local() {
	[ -x "$REF/host-local" ] || skip "Debian's host-local is not installed (containernetworking-plugins)"
}

delegated_ipv6_ranges() {
	local ns res c v
	need_host_local
	for v in 1.0.0 0.4.0; do
		ns=$(ns_add "h$v")
		c=$(conf "$v" hnet6 unused ".ipam = {type: \"host-local\", dataDir: \"$HL\",
			ranges: [[{subnet: \"10.142.0.0/24\"}], [{subnet: \"fd00:142::/64\"}]],
			routes: [{dst: \"0.0.0.0/0\"}, {dst: \"::/0\"}]}")
		res=$(cni_ok ADD "h-$v" "$ns" eth0 "$c")
		jq -e '(.ips | length) == 2 and (.ips[1].address | startswith("fd00:142::"))
			and .ips[1].gateway == "fd00:142::1"' <<<"$res" >/dev/null || fail "$v: $res"
		has "$(jq -r '.ips[1].address' <<<"$res")" ip -n "h$v" -6 addr show dev eth0 ||
			fail "$v: host-local's IPv6 address is not on eth0"
		has "default via fd00:142::1" ip -n "h$v" -6 route || fail "$v: no IPv6 default route"
		[ -f "$HL/hnet6/$(jq -r '.ips[1].address | split("/")[0]' <<<"$res")" ] ||
			fail "$v: not host-local's lease: $(ls "$HL/hnet6")"
		cni_ok CHECK "h-$v" "$ns" eth0 "$(with_prev "$c" "$res")" >/dev/null
		cni_ok DEL "h-$v" "$ns" eth0 "$c" >/dev/null
	done
	# IPv6 alone through host-local
	ns=$(ns_add h6)
	c=$(conf 1.1.0 honly unused ".ipam = {type: \"host-local\", dataDir: \"$HL\", ranges: [[{subnet: \"fd00:143::/64\"}]]}")
	res=$(cni_ok ADD h6 "$ns" eth0 "$c")
	jq -e '(.ips | length) == 1 and (.ips[0].address | startswith("fd00:143::"))' <<<"$res" >/dev/null || fail "$res"
	cni_ok DEL h6 "$ns" eth0 "$c" >/dev/null
	assert_eq "$(find "$HL" -type f -name 'fd00*' | wc -l)" 0 "host-local's IPv6 leases released"
	assert_clean hnet6
	assert_clean honly
}

t "dual stack, every result version: both addresses, gateways, default routes; CHECK; ports on both families" dual_stack_every_version
t "IPv6 alone: its range, routes, ports on an IPv6 host address and UDP, CHECK, a requested address" ipv6_only_and_ports
t "IPv6 ranges delegated to host-local, beside IPv4 and alone" delegated_ipv6_ranges
t_done
