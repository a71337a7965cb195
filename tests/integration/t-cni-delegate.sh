#!/bin/bash
# IPAM delegated to Debian's host-local (containernetworking-plugins), exactly
# as the spec says: same environment and config, results of any version read
# and converted, leases released on DEL, GC, and a failed ADD.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cni-lib.sh"

HL=$TMP/host-local

need_host_local() {
	[ -x "$REF/host-local" ] || skip "Debian's host-local is not installed (containernetworking-plugins)"
}

# dconf VERSION NAME SUBNET [JQ-FILTER]: a berth-cni config with host-local IPAM.
dconf() {
	conf "$1" "$2" "$3" ".ipam = {type: \"host-local\", ranges: [[{subnet: \"$3\"}]], dataDir: \"$HL\",
		routes: [{dst: \"0.0.0.0/0\"}, {dst: \"192.168.99.0/24\"}]} | ${4:-.}"
}

leases() { find "$HL/$1" -type f -regex '.*/[0-9.]*' -printf '%f\n' 2>/dev/null | sort || true; }

every_version() {
	local v i=0 ns res ip
	need_host_local
	for v in 1.1.0 1.0.0 0.4.0 0.3.1 0.3.0; do
		i=$((i + 1))
		ns=$(ns_add "h$i")
		res=$(cni_ok ADD "hl-$i" "$ns" eth0 "$(dconf "$v" hnet 10.110.0.0/24)")
		ip=$(res_ip "$res")
		jq -e --arg v "$v" '.cniVersion == $v and (.interfaces | length) == 3 and .ips[0].interface == 2
			and .ips[0].gateway == "10.110.0.1" and (.routes | map(.dst) | index("192.168.99.0/24"))' \
			<<<"$res" >/dev/null || fail "$v: $res"
		[ -f "$HL/hnet/$ip" ] || fail "$v: $ip is not host-local's lease ($(leases hnet))"
		assert_eq "$(head -n1 "$HL/hnet/$ip" | tr -d "\r")" "hl-$i" "the lease names the container"
		assert_attached "h$i" "$(res_cidr "$res")" br-hnet
		has "192.168.99.0/24 via 10.110.0.1" ip -n "h$i" route || fail "$v: host-local's route missing"
	done
	assert_eq "$(leases hnet | wc -l)" 5
	for i in 1 2 3 4 5; do
		cni_ok DEL "hl-$i" "/run/netns/h$i" eth0 "$(dconf 1.1.0 hnet 10.110.0.0/24)" >/dev/null
	done
	assert_eq "$(leases hnet)" "" "DEL released host-local's leases"
	assert_clean hnet
}

check_and_status() {
	local ns res c
	need_host_local
	ns=$(ns_add hc)
	c=$(dconf 1.1.0 hcnet 10.111.0.0/24)
	res=$(cni_ok ADD hc "$ns" eth0 "$c")
	cni_ok CHECK hc "$ns" eth0 "$(with_prev "$c" "$res")" >/dev/null
	# host-local (spec <= 1.0.0) gets no STATUS; berth-cni answers for itself
	cni_ok STATUS "$c" >/dev/null
	cni_ok DEL hc "$ns" eth0 "$c" >/dev/null
	# DEL again, and DEL with the namespace gone: host-local is told too, and does not mind
	cni_ok DEL hc "$ns" eth0 "$c" >/dev/null
	assert_eq "$(leases hcnet)" ""
}

gc_releases_leases() {
	local c
	need_host_local
	c=$(dconf 1.1.0 hgnet 10.112.0.0/24)
	cni_ok ADD g1 "$(ns_add hg1)" eth0 "$c" >/dev/null
	cni_ok ADD g2 "$(ns_add hg2)" eth0 "$c" >/dev/null
	assert_eq "$(leases hgnet | wc -l)" 2
	cni_ok GC "$(jq -c '.["cni.dev/valid-attachments"] = [{containerID: "g1", ifname: "eth0"}]' <<<"$c")" >/dev/null
	assert_eq "$(leases hgnet | wc -l)" 1 "GC released g2's host-local lease"
	assert_eq "$(head -n1 "$HL/hgnet/$(leases hgnet)" | tr -d "\r")" g1
	ip -n hg2 link show eth0 >/dev/null 2>&1 && fail "g2 kept"
	cni_ok DEL g1 /run/netns/hg1 eth0 "$c" >/dev/null
	assert_clean hgnet
}

failed_add_releases_the_lease() {
	local c
	need_host_local
	c=$(dconf 1.0.0 hfnet 10.113.0.0/24)
	cni_ok ADD f1 "$(ns_add hf1)" eth0 "$(with_ports '[{"hostPort":6060,"containerPort":80}]' "$c")" >/dev/null
	cni_code 103 ADD f2 "$(ns_add hf2)" eth0 "$(with_ports '[{"hostPort":6060,"containerPort":80}]' "$c")" >/dev/null
	assert_eq "$(leases hfnet | wc -l)" 1 "the failed ADD gave its lease back"
	cni_ok DEL f1 /run/netns/hf1 eth0 "$c" >/dev/null
	assert_clean hfnet
}

errors_pass_through() {
	local c out direct
	need_host_local
	c=$(dconf 1.0.0 henet 10.114.0.0/24 '.ipam.ranges = [[{subnet: "10.114.0.0/24", rangeStart: "10.200.0.1"}]]')
	out=$(cni_code "$(printf '%s' "$c" | CNI_COMMAND=ADD CNI_CONTAINERID=x CNI_NETNS=/run/netns/he CNI_IFNAME=eth0 \
		"$REF/host-local" 2>/dev/null | jq .code)" ADD he "$(ns_add he)" eth0 "$c")
	direct=$(printf '%s' "$c" | CNI_COMMAND=ADD CNI_CONTAINERID=x CNI_NETNS=/run/netns/he CNI_IFNAME=eth0 \
		"$REF/host-local" 2>/dev/null || true)
	assert_contains "$(jq -r .msg <<<"$out")" "host-local: $(jq -r .msg <<<"$direct")"
	assert_clean henet
}

t "host-local allocates under every version (1.1.0 via fallback to 1.0.0); DEL releases" every_version
t "CHECK with host-local; STATUS; DEL twice" check_and_status
t "GC releases the leases of removed attachments (host-local < 1.1.0: DEL each)" gc_releases_leases
t "a failed ADD gives host-local's lease back" failed_add_releases_the_lease
t "host-local's errors pass through with their code" errors_pass_through
t_done
