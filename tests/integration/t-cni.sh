#!/bin/bash
# berth-cni driven as a runtime drives it: VERSION, results in the shape of
# every version, DEL in all its cases, GC, STATUS and chaining with Debian's
# reference plugins (loopback before, tuning after).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cni-lib.sh"

version() {
	local out
	out=$(CNI_COMMAND=VERSION berth-cni </dev/null) || fail "VERSION failed"
	assert_eq "$(jq -c . <<<"$out")" \
		'{"cniVersion":"1.1.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}'
	out=$(echo '{"cniVersion":"0.4.0"}' | CNI_COMMAND=VERSION berth-cni) || fail "VERSION with stdin failed"
	jq -e '.supportedVersions | index("0.4.0")' <<<"$out" >/dev/null || fail "$out"
}

# One ADD per version; the result must have exactly that version's shape and match the kernel.
results_per_version() {
	local v i=0 ns res mac host
	for v in 0.3.0 0.3.1 0.4.0 1.0.0 1.1.0; do
		i=$((i + 1))
		ns=$(ns_add "v$i")
		res=$(cni_ok ADD "ctr-$i" "$ns" eth0 "$(conf "$v" vnet 10.60.0.0/24)")
		jq -e --arg v "$v" --arg ns "$ns" '
			.cniVersion == $v
			and (keys - ["cniVersion", "interfaces", "ips", "routes", "dns"] == [])
			and (.interfaces | length) == 3
			and .interfaces[0].name == "br-vnet" and (.interfaces[0] | has("sandbox") | not)
			and (.interfaces[1].name | startswith("bv"))
			and .interfaces[2].name == "eth0" and .interfaces[2].sandbox == $ns
			and (.interfaces[2].mac | test("^([0-9a-f]{2}:){5}[0-9a-f]{2}$"))
			and (.ips | length) == 1 and .ips[0].interface == 2
			and (.ips[0].address | test("^10\\.60\\.0\\.[0-9]+/24$")) and .ips[0].gateway == "10.60.0.1"
			and .routes == [{"dst": "0.0.0.0/0", "gw": "10.60.0.1"}]
			and .dns == {}' <<<"$res" >/dev/null || fail "result of $v has the wrong shape: $res"
		case $v in
		0.*) jq -e '.ips[0].version == "4"' <<<"$res" >/dev/null || fail "$v needs ips[].version: $res" ;;
		*) jq -e '.ips[0] | has("version") | not' <<<"$res" >/dev/null || fail "$v has no ips[].version: $res" ;;
		esac
		if [ "$v" = 1.1.0 ]; then
			jq -e '.interfaces[2].mtu == 1500' <<<"$res" >/dev/null || fail "1.1.0 reports the mtu: $res"
		else
			jq -e '[.interfaces[] | has("mtu")] | any | not' <<<"$res" >/dev/null || fail "$v has no mtu: $res"
		fi
		assert_attached "v$i" "$(res_cidr "$res")" br-vnet
		mac=$(ip -n "v$i" -j link show eth0 | jq -r '.[0].address')
		assert_eq "$(jq -r '.interfaces[2].mac' <<<"$res")" "$mac" "result MAC vs kernel"
		host=$(jq -r '.interfaces[1].name' <<<"$res")
		assert_eq "$(ip -j link show "$host" | jq -r '.[0].address')" "$(jq -r '.interfaces[1].mac' <<<"$res")"
		has "via 10.60.0.1 dev eth0" ip -n "v$i" route show default || fail "no default route in v$i"
	done
	assert_eq "$(ip -br link show type veth | wc -l)" 5 "five attachments"
	for i in 1 2 3 4 5; do
		cni_ok DEL "ctr-$i" "/run/netns/v$i" eth0 "$(conf 1.1.0 vnet 10.60.0.0/24)" >/dev/null
	done
	assert_clean vnet
}

del_cases() {
	local ns c res
	ns=$(ns_add d1)
	c=$(conf 1.0.0 dnet 10.61.0.0/24)
	res=$(cni_ok ADD d1 "$ns" eth0 "$(with_ports '[{"hostPort":8081,"containerPort":80,"protocol":"tcp"},{"hostPort":8082,"containerPort":81,"protocol":"udp"}]' "$c")")
	[ "$(nft_elems | wc -l)" = 2 ] || fail "two ports published: $(nft_elems)"
	[ -f "$STATE/ports/tcp-8081.json" ] || fail "no claim of tcp/8081"
	# The runtime does not repeat portMappings on DEL: the record knows them.
	cni_ok DEL d1 "$ns" eth0 "$(with_prev "$c" "$res")" >/dev/null
	assert_clean dnet
	ip -n d1 link show eth0 >/dev/null 2>&1 && fail "eth0 left in the container"
	# twice
	cni_ok DEL d1 "$ns" eth0 "$c" >/dev/null
	# a DEL for an attachment never made, and for a network that does not exist
	cni_ok DEL never "$ns" eth0 "$c" >/dev/null
	cni_ok DEL never "$ns" eth0 "$(conf 1.0.0 nosuchnet 10.62.0.0/24)" >/dev/null
	# the namespace is gone
	cni_ok ADD d1 "$ns" eth0 "$(with_ports '[{"hostPort":8081,"containerPort":80}]' "$c")" >/dev/null
	ip netns del d1
	cni_ok DEL d1 "$ns" eth0 "$c" >/dev/null
	assert_clean dnet
	# CNI_NETNS empty, and unset
	ns=$(ns_add d2)
	cni_ok ADD d2 "$ns" eth0 "$(with_ports '[{"hostPort":8081,"containerPort":80}]' "$c")" >/dev/null
	cni_ok DEL d2 "" eth0 "$c" >/dev/null
	assert_clean dnet
	ip -n d2 link show eth0 >/dev/null 2>&1 && fail "eth0 left in d2"
	cni_ok ADD d2 "$ns" eth0 "$c" >/dev/null
	printf '%s' "$c" | env -u CNI_NETNS CNI_COMMAND=DEL CNI_CONTAINERID=d2 CNI_IFNAME=eth0 berth-cni ||
		fail "DEL without CNI_NETNS"
	assert_clean dnet
	# the address went back to the pool: a /30 holds one container
	c=$(conf 1.1.0 tiny 10.63.0.0/30)
	cni_ok ADD t1 "$ns" eth0 "$c" >/dev/null
	cni_ok DEL t1 "$ns" eth0 "$c" >/dev/null
	res=$(cni_ok ADD t2 "$ns" eth0 "$c")
	assert_eq "$(res_cidr "$res")" 10.63.0.2/30
	cni_ok DEL t2 "$ns" eth0 "$c" >/dev/null
}

gc() {
	local c i
	c=$(conf 1.1.0 gnet 10.64.0.0/24)
	for i in 1 2 3; do
		cni_ok ADD "g$i" "$(ns_add "g$i")" eth0 "$(with_ports "[{\"hostPort\":$((9000 + i)),\"containerPort\":80}]" "$c")" >/dev/null
	done
	# a second interface of g1 (no second default route: the kernel would refuse it)
	cni_ok ADD g1 /run/netns/g1 net1 "$(jq -c '.isDefaultGateway = false' <<<"$c")" >/dev/null
	cni_settle # pairs of the cases before, retired and not yet deleted
	assert_eq "$(ip -br link show type veth | wc -l)" 4
	# keep g1/eth0 (valid-attachments) and g2/eth0 (the older key); g1/net1 and g3 go.
	cni_ok GC "$(jq -c '. + {"cni.dev/valid-attachments": [{"containerID": "g1", "ifname": "eth0"}],
		"cni.dev/attachments": [{"containerID": "g2", "ifname": "eth0"}]}' <<<"$c")" >/dev/null
	cni_settle
	assert_eq "$(ip -br link show type veth | wc -l)" 2 "GC left g1/eth0 and g2/eth0"
	ip -n g1 link show eth0 >/dev/null || fail "g1/eth0 removed"
	ip -n g1 link show net1 >/dev/null 2>&1 && fail "g1/net1 kept"
	ip -n g3 link show eth0 >/dev/null 2>&1 && fail "g3/eth0 kept"
	[ -f "$STATE/networks/gnet/endpoints/g3/eth0.json" ] && fail "g3's record kept"
	[ -f "$STATE/ports/tcp-9003.json" ] && fail "g3's port claim kept"
	has 9003 nft_elems && fail "g3's published port kept"
	has 9001 nft_elems || fail "g1's published port removed"
	# an empty list removes everything
	cni_ok GC "$(jq -c '. + {"cni.dev/valid-attachments": []}' <<<"$c")" >/dev/null
	assert_clean gnet
	# GC of a network that does not exist
	cni_ok GC "$(jq -c '. + {"cni.dev/valid-attachments": []}' <<<"$(conf 1.1.0 nonet 10.65.0.0/24)")" >/dev/null
}

status() {
	local c ns
	c=$(conf 1.1.0 snet 10.66.0.0/30)
	cni_ok STATUS "$c" >/dev/null
	ns=$(ns_add s1)
	cni_ok ADD s1 "$ns" eth0 "$c" >/dev/null
	cni_code 50 STATUS "$c" >/dev/null
	assert_contains "$(cat "$TMP/cni.err")" "no free address"
	cni_code 101 ADD s2 "$(ns_add s2)" eth0 "$c" >/dev/null
	cni_ok DEL s1 "$ns" eth0 "$c" >/dev/null
	cni_ok STATUS "$c" >/dev/null
	# the bridge vanished under an attachment: 51; with none, ADD would just re-make it
	c=$(conf 1.1.0 snet2 10.66.1.0/24)
	cni_ok ADD s1 "$ns" eth0 "$c" >/dev/null
	ip link del br-snet2
	cni_code 51 STATUS "$c" >/dev/null
	cni_ok DEL s1 "$ns" eth0 "$c" >/dev/null
	cni_ok STATUS "$c" >/dev/null
	cni_ok ADD s1 "$ns" eth0 "$c" >/dev/null
	ip link show br-snet2 >/dev/null || fail "ADD did not re-make the bridge"
	cni_ok DEL s1 "$ns" eth0 "$c" >/dev/null
	# no subnet and no such network: ADD cannot work
	cni_code 50 STATUS "$(conf 1.1.0 ghost 10.67.0.0/24 'del(.ipam)')" >/dev/null
}

# loopback (reference) -> berth-cni -> tuning (reference), as libcni runs a conflist.
chaining() {
	local ns lo_conf b_conf t_conf r1 r2 r3
	[ -x "$REF/loopback" ] && [ -x "$REF/tuning" ] || skip "containernetworking-plugins not installed"
	ns=$(ns_add ch)
	ip -n ch link set lo down
	lo_conf='{"cniVersion":"1.0.0","name":"chain","type":"loopback"}'
	b_conf=$(conf 1.0.0 chain 10.68.0.0/24)
	t_conf='{"cniVersion":"1.0.0","name":"chain","type":"tuning","sysctl":{"net.ipv4.conf.eth0.rp_filter":"2"}}'
	r1=$(printf '%s' "$lo_conf" | CNI_COMMAND=ADD CNI_CONTAINERID=ch CNI_NETNS=$ns CNI_IFNAME=eth0 "$REF/loopback") ||
		fail "loopback ADD: $r1"
	r2=$(cni_ok ADD ch "$ns" eth0 "$(with_prev "$b_conf" "$r1")")
	jq -e --argjson prev "$r1" '
		.interfaces[0] == $prev.interfaces[0] and (.interfaces | length) == 4
		and .interfaces[3].name == "eth0"
		and .ips[0] == $prev.ips[0] and .ips[-1].interface == 3
		and (.ips | length) == (($prev.ips | length) + 1)' <<<"$r2" >/dev/null ||
		fail "berth-cni dropped or mis-indexed what loopback returned: prev $r1 -> $r2"
	r3=$(printf '%s' "$(with_prev "$t_conf" "$r2")" |
		CNI_COMMAND=ADD CNI_CONTAINERID=ch CNI_NETNS=$ns CNI_IFNAME=eth0 "$REF/tuning") || fail "tuning ADD: $r3"
	jq -e --argjson r "$r2" '.interfaces == $r.interfaces and .ips == $r.ips' <<<"$r3" >/dev/null ||
		fail "tuning did not pass berth-cni's result on: $r3"
	assert_eq "$(ip netns exec ch cat /proc/sys/net/ipv4/conf/eth0/rp_filter)" 2 "tuning worked on our eth0"
	# CHECK down the chain with the final result, then DEL in reverse order
	cni_ok CHECK ch "$ns" eth0 "$(with_prev "$b_conf" "$r3")" >/dev/null
	printf '%s' "$(with_prev "$t_conf" "$r3")" | CNI_COMMAND=DEL CNI_CONTAINERID=ch CNI_NETNS=$ns CNI_IFNAME=eth0 \
		"$REF/tuning" || fail "tuning DEL"
	cni_ok DEL ch "$ns" eth0 "$(with_prev "$b_conf" "$r3")" >/dev/null
	printf '%s' "$(with_prev "$lo_conf" "$r3")" | CNI_COMMAND=DEL CNI_CONTAINERID=ch CNI_NETNS=$ns CNI_IFNAME=eth0 \
		"$REF/loopback" || fail "loopback DEL"
	assert_clean chain
}

# Results of older versions in the chain: a 0.4.0 prevResult is extended in 0.4.0 shape.
chaining_040() {
	local ns prev res
	ns=$(ns_add c040)
	prev='{"cniVersion":"0.4.0","interfaces":[{"name":"dummy0","mac":"02:00:00:00:00:01"}],"ips":[{"version":"4","address":"192.168.7.2/24","interface":0}],"dns":{"nameservers":["192.168.7.1"]}}'
	res=$(cni_ok ADD c040 "$ns" eth0 "$(with_prev "$(conf 0.4.0 n040 10.69.0.0/24)" "$prev")")
	jq -e '.cniVersion == "0.4.0" and .interfaces[0].name == "dummy0" and (.interfaces | length) == 4
		and .ips[0].address == "192.168.7.2/24" and .ips[1].version == "4" and .ips[1].interface == 3
		and .dns.nameservers == ["192.168.7.1"]' <<<"$res" >/dev/null || fail "0.4.0 chain: $res"
	cni_ok CHECK c040 "$ns" eth0 "$(with_prev "$(conf 0.4.0 n040 10.69.0.0/24)" "$res")" >/dev/null
	cni_ok DEL c040 "$ns" eth0 "$(conf 0.4.0 n040 10.69.0.0/24)" >/dev/null
}

requested_address_and_mac() {
	local ns res c
	ns=$(ns_add rq)
	c=$(conf 1.1.0 rqnet 10.70.0.0/24 '. + {runtimeConfig: {ips: ["10.70.0.77/24"], mac: "02:12:34:56:78:9a"}}')
	res=$(cni_ok ADD rq "$ns" eth0 "$c")
	assert_eq "$(res_cidr "$res")" 10.70.0.77/24
	assert_eq "$(ip -n rq -j link show eth0 | jq -r '.[0].address')" 02:12:34:56:78:9a
	cni_ok DEL rq "$ns" eth0 "$c" >/dev/null
	# CNI_ARGS and args.cni
	res=$(cni_ok ADD rq "$ns" eth0 "$(conf 1.1.0 rqnet 10.70.0.0/24)" CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAME=x;IP=10.70.0.88;MAC=02:00:00:00:00:88")
	assert_eq "$(res_cidr "$res")" 10.70.0.88/24
	assert_eq "$(jq -r '.interfaces[2].mac' <<<"$res")" 02:00:00:00:00:88
	cni_ok DEL rq "$ns" eth0 "$(conf 1.1.0 rqnet 10.70.0.0/24)" >/dev/null
	res=$(cni_ok ADD rq "$ns" eth0 "$(conf 1.1.0 rqnet 10.70.0.0/24 '. + {args: {cni: {ips: ["10.70.0.99"]}}}')")
	assert_eq "$(res_cidr "$res")" 10.70.0.99/24
	cni_ok DEL rq "$ns" eth0 "$(conf 1.1.0 rqnet 10.70.0.0/24)" >/dev/null
	assert_clean rqnet
}

# Routes from ipam.routes, no default route without isDefaultGateway, dns from the config.
routes_and_dns() {
	local ns res c
	ns=$(ns_add rt)
	c=$(conf 1.1.0 rtnet 10.71.0.0/24 '.isDefaultGateway = false | .ipam.routes = [{"dst": "172.16.0.0/12"}, {"dst": "192.168.50.0/24", "gw": "10.71.0.254"}] | .dns = {"nameservers": ["10.71.0.1"], "search": ["svc"]}')
	res=$(cni_ok ADD rt "$ns" eth0 "$c")
	jq -e '.routes == [{"dst": "172.16.0.0/12"}, {"dst": "192.168.50.0/24", "gw": "10.71.0.254"}]
		and .dns == {"nameservers": ["10.71.0.1"], "search": ["svc"]}' <<<"$res" >/dev/null || fail "$res"
	[ -z "$(ip -n rt route show default)" ] || fail "default route without isDefaultGateway: $(ip -n rt route)"
	has "via 10.71.0.1" ip -n rt route show 172.16.0.0/12 || fail "172.16/12: $(ip -n rt route)"
	has "via 10.71.0.254" ip -n rt route show 192.168.50.0/24 || fail "192.168.50/24: $(ip -n rt route)"
	cni_ok DEL rt "$ns" eth0 "$c" >/dev/null
	# a default route asked for through ipam.routes (host-local style) instead of isDefaultGateway
	c=$(conf 1.1.0 rtnet 10.71.0.0/24 '.isDefaultGateway = false | .ipam.routes = [{"dst": "0.0.0.0/0"}]')
	res=$(cni_ok ADD rt "$ns" eth0 "$c")
	jq -e '.routes == [{"dst": "0.0.0.0/0"}]' <<<"$res" >/dev/null || fail "$res"
	has "default via 10.71.0.1 dev eth0" ip -n rt route show default || fail "no default route: $(ip -n rt route)"
	cni_ok CHECK rt "$ns" eth0 "$(with_prev "$c" "$res")" >/dev/null
	cni_ok DEL rt "$ns" eth0 "$c" >/dev/null
	assert_clean rtnet
}

# A config without IPAM joins the network of that name that exists already.
join_existing_network() {
	local ns res
	ns=$(ns_add j1)
	cni_ok ADD j0 "$(ns_add j0)" eth0 "$(conf 1.1.0 shared 10.72.0.0/24)" >/dev/null
	res=$(cni_ok ADD j1 "$ns" eth0 "$(conf 1.1.0 shared 10.72.0.0/24 'del(.ipam)')")
	assert_eq "$(res_cidr "$res")" 10.72.0.3/24
	cni_ok DEL j1 "$ns" eth0 "$(conf 1.1.0 shared 10.72.0.0/24 'del(.ipam)')" >/dev/null
	cni_ok DEL j0 /run/netns/j0 eth0 "$(conf 1.1.0 shared 10.72.0.0/24)" >/dev/null
}

t "VERSION lists 0.3.0 to 1.1.0" version
t "ADD results have each version's shape and match the kernel" results_per_version
t "DEL: twice, namespace gone, CNI_NETNS empty, ports released without portMappings" del_cases
t "GC removes attachments not in valid-attachments / attachments" gc
t "STATUS: 0, exhausted pool 50, bridge gone 51" status
t "chain loopback -> berth-cni -> tuning, CHECK and DEL in reverse" chaining
t "a 0.4.0 prevResult is extended in 0.4.0 shape" chaining_040
t "requested address and MAC from runtimeConfig, CNI_ARGS, args.cni" requested_address_and_mac
t "ipam.routes, no default route, dns" routes_and_dns
t "a config without ipam joins an existing network" join_existing_network
t_done
