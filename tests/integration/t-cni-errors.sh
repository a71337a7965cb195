#!/bin/bash
# Every error code of berth-cni (docs/cni.md), each as the spec's error object
# on stdout with a diagnostic on stderr and a non-zero exit, and a failed ADD
# leaving nothing behind.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cni-lib.sh"

NS=
C=
setup() {
	NS=$(ns_add "$1")
	C=$(conf 1.1.0 "$2" "$3")
}

code1_incompatible_version() {
	setup e1 enet1 10.80.1.0/24
	cni_code 1 ADD e1 "$NS" eth0 "$(jq -c '.cniVersion = "0.2.0"' <<<"$C")" >/dev/null
	cni_code 1 ADD e1 "$NS" eth0 "$(jq -c '.cniVersion = "1.2.0"' <<<"$C")" >/dev/null
	cni_code 1 CHECK e1 "$NS" eth0 "$(jq -c '.cniVersion = "0.3.1" | .prevResult = {}' <<<"$C")" >/dev/null
	cni_code 1 GC "$(jq -c '.cniVersion = "1.0.0" | .["cni.dev/valid-attachments"] = []' <<<"$C")" >/dev/null
	cni_code 1 STATUS "$(jq -c '.cniVersion = "0.4.0"' <<<"$C")" >/dev/null
	assert_contains "$(cat "$TMP/cni.err")" "STATUS"
}

code2_unsupported_field() {
	local out
	setup e2 enet2 10.80.2.0/24
	out=$(cni_code 2 ADD e2 "$NS" eth0 "$(jq -c '.vlan = 100' <<<"$C")")
	assert_contains "$out" "'vlan' = 100"
	cni_code 2 ADD e2 "$NS" eth0 "$(jq -c '.ipam = {ranges: [[{subnet: "fd00::/64"}], [{subnet: "fd01::/64"}]]}' <<<"$C")" >/dev/null
	cni_code 2 ADD e2 "$NS" eth0 "$(with_ports '[{"hostPort":80,"containerPort":80,"protocol":"sctp"}]' "$C")" >/dev/null
	assert_clean enet2
}

code3_unknown_container() {
	setup e3 enet3 10.80.3.0/24
	cni_code 3 CHECK never "$NS" eth0 "$(jq -c '.prevResult = {cniVersion: "1.1.0"}' <<<"$C")" >/dev/null
	cni_code 3 CHECK never /run/netns/gone eth0 "$(jq -c '.prevResult = {cniVersion: "1.1.0"}' <<<"$C")" >/dev/null
}

code4_invalid_environment() {
	local out
	setup e4 enet4 10.80.4.0/24
	out=$(printf '%s' "$C" | env -u CNI_COMMAND berth-cni 2>/dev/null) && fail "ran without CNI_COMMAND"
	assert_eq "$(jq .code <<<"$out")" 4
	cni_code 4 ADD "" "$NS" eth0 "$C" >/dev/null
	assert_contains "$(cat "$TMP/cni.err")" CNI_CONTAINERID
	cni_code 4 ADD "bad/id" "$NS" eth0 "$C" >/dev/null
	cni_code 4 ADD e4 "" eth0 "$C" >/dev/null
	assert_contains "$(cat "$TMP/cni.err")" CNI_NETNS
	cni_code 4 ADD e4 /run/netns/nonexistent eth0 "$C" >/dev/null
	cni_code 4 ADD e4 /etc/hostname eth0 "$C" >/dev/null
	# never into berth-cni's own namespace (the host's)
	cni_code 4 ADD e4 /proc/self/ns/net eth0 "$C" >/dev/null
	assert_contains "$(cat "$TMP/cni.err")" "own network namespace"
	cni_code 4 ADD e4 "/proc/$$/ns/net" eth0 "$C" >/dev/null
	cni_code 4 ADD e4 "$NS" "" "$C" >/dev/null
	cni_code 4 ADD e4 "$NS" "way-too-long-name0" "$C" >/dev/null
	cni_code 4 ADD e4 "$NS" eth0 "$C" CNI_ARGS="FOO=bar" >/dev/null
	assert_contains "$(cat "$TMP/cni.err")" "FOO"
	cni_code 4 ADD e4 "$NS" eth0 "$C" CNI_ARGS="IP=10.80.4.300" >/dev/null
	cni_code 4 ADD e4 "$NS" eth0 "$(jq -c '.ipam.type = "host-local"' <<<"$C")" CNI_PATH= >/dev/null
	out=$(printf '%s' "$C" | CNI_COMMAND=FROB berth-cni 2>/dev/null) && fail "ran with CNI_COMMAND=FROB"
	assert_eq "$(jq .code <<<"$out")" 4
	assert_clean enet4
}

code5_io_failure() {
	setup e5 enet5 10.80.5.0/24
	echo file >"$TMP/afile"
	cni_code 5 ADD e5 "$NS" eth0 "$(jq -c --arg d "$TMP/afile/state" '.dataDir = $d' <<<"$C")" >/dev/null
}

code6_decoding_failure() {
	setup e6 enet6 10.80.6.0/24
	cni_code 6 ADD e6 "$NS" eth0 '{"cniVersion": "1.1.0",' >/dev/null
	cni_code 6 ADD e6 "$NS" eth0 '' >/dev/null
	cni_code 6 ADD e6 "$NS" eth0 '[]' >/dev/null
	cni_code 6 ADD e6 "$NS" eth0 '{"cniVersion":"1.1.0","name":"a","name":"b","type":"berth-cni"}' >/dev/null
}

code7_invalid_config() {
	local out
	setup e7 enet7 10.80.7.0/24
	out=$(cni_code 7 ADD e7 "$NS" eth0 "$(jq -c '.mtu = 20' <<<"$C")")
	assert_contains "$out" "'mtu'"
	assert_eq "$(jq -r .cniVersion <<<"$out")" 1.1.0 "the error speaks the config's version"
	out=$(cni_code 7 ADD e7 "$NS" eth0 "$(jq -c '.cniVersion = "0.4.0" | del(.name)' <<<"$C")")
	assert_eq "$(jq -r .cniVersion <<<"$out")" 0.4.0
	cni_code 7 ADD e7 "$NS" eth0 "$(jq -c '.ipam.subnet = "10.80.7.0/33"' <<<"$C")" >/dev/null
	cni_code 7 CHECK e7 "$NS" eth0 "$C" >/dev/null
	assert_contains "$(cat "$TMP/cni.err")" prevResult
	cni_code 7 GC "$C" >/dev/null
	cni_code 7 ADD e7 "$NS" eth0 "$(jq -c '{cniVersion, name, plugins: [.]}' <<<"$C")" >/dev/null
	# ports need the gateway on the bridge
	cni_code 7 ADD e7 "$NS" eth0 "$(with_ports '[{"hostPort":80,"containerPort":80}]' "$(jq -c '.isGateway = false | .isDefaultGateway = false' <<<"$C")")" >/dev/null
	assert_clean enet7
}

code11_try_again_later() {
	local fifo
	setup e11 enet11 10.80.11.0/24
	cni_ok ADD e11 "$NS" eth0 "$C" >/dev/null
	fifo=$TMP/lockheld
	mkfifo "$fifo"
	# Another process (netd, another berth-cni) holds the network's lock.
	spawn flock -o "$STATE/networks/enet11/lock" sh -c "echo held >$fifo; exec sleep 30"
	read -r _ <"$fifo"
	cni_code 11 DEL e11 "$NS" eth0 "$C" BERTH_LOCK_TIMEOUT_MS=200 >/dev/null
	cni_code 11 ADD e12 "$(ns_add e12)" eth0 "$C" BERTH_LOCK_TIMEOUT_MS=200 >/dev/null
	t_kill_all
	cni_ok DEL e11 "$NS" eth0 "$C" >/dev/null
	assert_clean enet11
}

code101_to_108() {
	local out r1
	setup e100 enet100 10.80.100.0/24
	r1=$(cni_ok ADD c1 "$NS" eth0 "$(with_ports '[{"hostPort":8080,"containerPort":80}]' "$C")")
	# 108: ADD again without DEL; 105: the kernel refuses (a second default route in one namespace)
	cni_code 108 ADD c1 "$NS" eth0 "$C" >/dev/null
	cni_code 105 ADD c1 "$NS" eth1 "$C" >/dev/null
	assert_contains "$(cat "$TMP/cni.err")" "File exists"
	# 102: the address is taken
	out=$(cni_code 102 ADD c2 "$(ns_add e101)" eth0 "$(jq -c --arg ip "$(res_ip "$r1")" '.runtimeConfig.ips = [$ip]' <<<"$C")")
	assert_contains "$out" "already in use"
	# 103: the host port is taken, by a container of another network too
	out=$(cni_code 103 ADD c3 "$(ns_add e102)" eth0 "$(with_ports '[{"hostPort":8080,"containerPort":80}]' "$(conf 1.1.0 enet101 10.80.101.0/24)")")
	assert_contains "$out" "8080"
	assert_clean enet101 shared
	# 104: the network exists with another definition
	cni_code 104 ADD c4 "$(ns_add e103)" eth0 "$(conf 1.1.0 enet100 10.80.200.0/24)" >/dev/null
	cni_code 104 ADD c4 /run/netns/e103 eth0 "$(jq -c '.mtu = 1400' <<<"$C")" >/dev/null
	# 101: no address left
	cni_ok ADD c5 /run/netns/e103 eth0 "$(conf 1.1.0 etiny 10.80.102.0/30)" >/dev/null
	cni_code 101 ADD c6 /run/netns/e102 eth0 "$(conf 1.1.0 etiny 10.80.102.0/30)" >/dev/null
	cni_ok DEL c5 /run/netns/e103 eth0 "$(conf 1.1.0 etiny 10.80.102.0/30)" >/dev/null
	# 106: the delegated IPAM plugin does not exist
	cni_code 106 ADD c7 /run/netns/e102 eth0 "$(jq -c '.ipam = {type: "no-such-ipam"}' <<<"$(conf 1.1.0 edel 10.80.103.0/24)")" >/dev/null
	# 107: CHECK finds the address gone from the container, or a prevResult that is not ours
	cni_ok CHECK c1 "$NS" eth0 "$(with_prev "$C" "$r1")" >/dev/null
	cni_code 107 CHECK c1 "$NS" eth0 "$(with_prev "$C" "$(jq -c '.interfaces[2].mac = "02:00:00:00:00:99"' <<<"$r1")")" >/dev/null
	ip -n e100 addr flush dev eth0
	out=$(cni_code 107 CHECK c1 "$NS" eth0 "$(with_prev "$C" "$r1")")
	assert_contains "$out" "lacks its address"
	cni_ok DEL c1 "$NS" eth0 "$C" >/dev/null
	assert_clean enet100
}

# What an ADD could leave: links (name, master), nftables elements, state files, the allocation bitmap.
snapshot() {
	ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort
	ip -o link show | grep -o 'master [^ ]*' | sort | uniq -c
	nft -j list table inet berth | jq -c '.nftables[] | (.set // .map // empty) | {name, elem}'
	find "$STATE" -type f | sort
	md5sum "$STATE/networks/enet200/ipam"
}

failed_add_leaves_nothing() {
	local before after
	setup e200 enet200 10.80.200.0/24
	cni_ok ADD keep "$NS" eth0 "$(with_ports '[{"hostPort":7070,"containerPort":80}]' "$C")" >/dev/null
	before=$(snapshot)
	# fails on the port, after the address was picked
	cni_code 103 ADD x1 "$(ns_add e201)" eth0 "$(with_ports '[{"hostPort":7071,"containerPort":80},{"hostPort":7070,"containerPort":80}]' "$C")" >/dev/null
	# fails in the kernel, after the veth and the address were made: the default route clashes
	ip -n e201 route add default dev lo
	cni_code 105 ADD x2 /run/netns/e201 eth0 "$(with_ports '[{"hostPort":7072,"containerPort":80}]' "$C")" >/dev/null
	ip -n e201 route del default dev lo
	# fails on the interface name, taken in the container
	ip -n e201 link add eth0 type veth peer name eth0p
	cni_code 108 ADD x3 /run/netns/e201 eth0 "$(with_ports '[{"hostPort":7073,"containerPort":80}]' "$C")" >/dev/null
	ip -n e201 link del eth0
	after=$(snapshot)
	[ "$after" = "$before" ] || fail "a failed ADD left something behind: $(diff <(echo "$before") <(echo "$after"))"
	assert_eq "$(ip -n e201 -o link | wc -l)" 1 "only lo in the container"
	cni_ok DEL keep "$NS" eth0 "$C" >/dev/null
	assert_clean enet200
}

t "code 1: incompatible version (and verbs the version lacks)" code1_incompatible_version
t "code 2: unsupported field" code2_unsupported_field
t "code 3: CHECK of an unknown container" code3_unknown_container
t "code 4: missing or invalid environment" code4_invalid_environment
t "code 5: I/O failure on the state directory" code5_io_failure
t "code 6: decoding failure" code6_decoding_failure
t "code 7: invalid network config" code7_invalid_config
t "code 11: network lock held elsewhere" code11_try_again_later
t "codes 101-108: berth's own" code101_to_108
t "a failed ADD leaves no veth, lease, claim or map element" failed_add_leaves_nothing
t_done
