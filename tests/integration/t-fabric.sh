#!/bin/bash
# The fabric across hosts: simulated hosts (network namespaces on a switch), each with its own netd,
# joined through a real etcd; traffic only between the simulated hosts' containers.
cd "$(dirname "$0")/../.." || exit 2
source tests/integration/lib.sh
source tests/integration/lib-fabric.sh

# short lifetimes, so failures show within seconds
FAB_NODE_TTL=2
FAB_GRACE_MS=1500
FAB_RESYNC_MS=3000

# busybox's ping (Debian's busybox-static), from inside a namespace
bping() {
	local ns=$1
	shift
	ip netns exec "$ns" busybox ping "$@"
}

# request_from NS ADDR PORT: the reply must come, and its second word (the source the server saw) is printed
seen_source() {
	local out
	out=$(request "$1" "$2" "$3" 2000) || fail "no answer from $2:$3 in $1"
	echo "${out#* }"
}

# Two hosts on fab, container a on host 1 serving on 8080, b on host 2 reaching it: $A, $B.
two_hosts_a_to_b() {
	fab_up 2
	assert_ok fab_netctl 1 network create fab --subnet 10.70.0.0/16 --fabric
	A=$(fab_container 1 a fab)
	wait_for 10 fab_netctl 2 network inspect fab || fail "host 2 has no fab"
	B=$(fab_container 2 b fab)
	serve a "$A" 8080 a
	assert_eq "$(seen_source b "$A" 8080)" "$B"
}

test_reachability_matrix() {
	local n i j ip src
	local -A addr
	fab_up 3
	assert_ok fab_netctl 1 network create fab --subnet 10.70.0.0/16 --fabric
	for n in 1 2 3; do
		wait_for 10 fab_netctl "$n" network inspect fab || fail "host $n has no local network fab"
	done
	for n in 1 2 3; do
		addr[c$n]=$(fab_container "$n" c$n fab) || fail "attach on host $n"
	done
	# a second container on host 1: same-host traffic next to cross-host traffic
	addr[c4]=$(fab_container 1 c4 fab) || fail "attach c4"
	# each host's containers come from its own block
	for n in 1 2 3; do
		ip=$(fab_netctl "$n" --json fabric | jq -r ".networks[0].block")
		assert_eq "${addr[c$n]%.*}.0/24" "$ip" "address of c$n in its host's block"
	done
	# the VXLAN device as the design says: VNI, port, no learning, MTU = underlay - 50, bridge and veth too
	local d
	d=$(ip -n fh1 -d link show bfx1)
	assert_contains "$d" "vxlan id 1"
	assert_contains "$d" "dstport 4789"
	assert_contains "$d" "nolearning"
	assert_contains "$d" "mtu 1450"
	assert_contains "$(ip -n fh1 link show fab)" "mtu 1450"
	assert_contains "$(ip -n c1 link show eth0)" "mtu 1450"
	# per remote host: a route (onlink, proto 98), a permanent neighbour, a permanent FDB entry
	assert_eq "$(fab_peer_routes 1 | grep -c onlink)" 2 "overlay routes on host 1"
	assert_eq "$(ip -n fh1 neigh show dev bfx1 nud permanent | wc -l)" 2 "neighbours on host 1"
	assert_eq "$(bridge -n fh1 fdb show dev bfx1 | grep -c permanent)" 2 "FDB entries on host 1"
	for i in c1 c2 c3 c4; do
		serve "$i" "${addr[$i]}" 8080 "$i"
	done
	for i in c1 c2 c3 c4; do
		for j in c1 c2 c3 c4; do
			[ "$i" = "$j" ] && continue
			src=$(seen_source "$i" "${addr[$j]}" 8080)
			# every host sees the container's own address: no masquerade inside the fabric
			assert_eq "$src" "${addr[$i]}" "source seen by $j from $i"
		done
	done
	bping c3 -c 3 -i 0.2 -W 2 "${addr[c2]}" >/dev/null || fail "ping c3 -> c2"
}

test_isolation_between_fabric_networks() {
	local a b c
	fab_up 2
	assert_ok fab_netctl 1 network create fab --subnet 10.70.0.0/16 --fabric
	assert_ok fab_netctl 2 network create other --subnet 10.71.0.0/16 --fabric --host-prefix 26
	wait_for 10 fab_netctl 2 network inspect fab || fail "host 2 has no fab"
	wait_for 10 fab_netctl 1 network inspect other || fail "host 1 has no other"
	# each network its own VNI
	assert_eq "$(fab_netctl 1 --json fabric | jq -r '[.networks[].vni] | sort | join(",")')" "1,2"
	a=$(fab_container 1 a fab)
	b=$(fab_container 2 b fab)
	c=$(fab_container 2 c other)
	assert_contains "$c" "10.71."
	serve a "$a" 8080 a
	assert_eq "$(seen_source b "$a" 8080)" "$b"
	# from the other network, across hosts: nothing
	request c "$a" 8080 1000 >/dev/null 2>&1 && fail "other reached fab across hosts"
	serve c "$c" 8081 c
	request a "$c" 8081 1000 >/dev/null 2>&1 && fail "fab reached other across hosts"
	return 0
}

test_host_joining_later() {
	local a b t0 t1
	fab_up 2
	assert_ok fab_netctl 1 network create fab --subnet 10.70.0.0/16 --fabric
	a=$(fab_container 1 a fab)
	serve a "$a" 8080 a
	fab_host 3
	t0=$(date +%s%N)
	fab_netd_start 3
	wait_for 10 fab_netctl 3 network inspect fab || fail "the new host has no fab"
	b=$(fab_container 3 b fab)
	wait_for 5 request b "$a" 8080 500 || fail "the new host cannot reach host 1"
	t1=$(date +%s%N)
	echo "  # new host reachable $(((t1 - t0) / 1000000)) ms after its netd started" >&2
	serve b "$b" 8080 b
	assert_eq "$(seen_source a "$b" 8080)" "$a"
	fab_wait_sync 5 1 2 3
	assert_eq "$(fab_peer_routes 1 | grep -c onlink)" 2 "host 1 knows both peers"
}

test_dead_host_removed_after_grace_and_block_reclaimed() {
	local block2
	FAB_BLOCK_TTL=9
	fab_up 3
	assert_ok fab_netctl 1 network create fab --subnet 10.70.0.0/16 --fabric
	wait_for 10 fab_netctl 2 network inspect fab || fail "host 2 has no fab"
	block2=$(fab_netctl 2 --json fabric | jq -r '.networks[0].block')
	wait_for 10 eval "fab_peer_routes 1 | grep -q '^$block2 '" || fail "host 1 has no route to host 2"
	# host 2 dies: its netd killed, nothing renews its leases
	fab_netd_kill 2 KILL
	# its node key expires (2 s), then the grace period (1.5 s): peers drop its entries
	wait_for 10 eval "! fab_peer_routes 1 | grep -q '^$block2 '" || fail "host 1 still routes to the dead host"
	wait_for 5 eval "! fab_peer_routes 3 | grep -q '^$block2 '" || fail "host 3 still routes to the dead host"
	assert_eq "$(ip -n fh1 neigh show dev bfx1 | grep -c "${block2%/*}")" 0 "neighbour of the dead host"
	assert_contains "$(fab_netctl 1 fabric)" "gone"
	# the block stays taken until the long lease (9 s) runs out, then it is free again
	assert_contains "$(fab_etcdctl get --prefix /berth/v1/blocks/ --keys-only)" "${block2/\//-}"
	wait_for 15 eval "! fab_etcdctl get --prefix /berth/v1/blocks/ --keys-only | grep -q '${block2/\//-}'" ||
		fail "the dead host's block was not reclaimed"
}

test_etcd_outage() {
	local a b c
	two_hosts_a_to_b
	a=$A
	b=$B
	fab_etcd_stop
	wait_for 10 eval "fab_netctl 2 fabric | grep -q DEGRADED" || fail "netctl does not say degraded"
	# the data plane stays: the flow goes on, and a local attach succeeds from the host's block
	assert_eq "$(seen_source b "$a" 8080)" "$b"
	c=$(fab_container 2 c fab) || fail "attach during the outage"
	[ -n "$c" ] || fail "no address during the outage"
	sleep 10
	assert_eq "$(seen_source b "$a" 8080)" "$b"
	assert_eq "$(seen_source c "$a" 8080)" "$c"
	# etcd back (same data): both hosts register again and converge
	fab_etcd_start
	fab_wait_sync 15 1 2
	assert_not_contains "$(fab_netctl 1 fabric)" "DEGRADED"
	assert_eq "$(fab_netctl 1 --json fabric | jq -r '[.hosts[] | select(.state == "alive")] | length')" 2
	assert_eq "$(seen_source c "$a" 8080)" "$c"
}

test_netd_kill9_loses_no_packet() {
	local a b out sent recv
	fab_up 2
	assert_ok fab_netctl 1 network create fab --subnet 10.70.0.0/16 --fabric
	a=$(fab_container 1 a fab)
	wait_for 10 fab_netctl 2 network inspect fab || fail "host 2 has no fab"
	b=$(fab_container 2 b fab)
	wait_for 5 bping b -c 1 -W 1 "$a" || fail "no ping before the kill"
	ip netns exec b busybox ping -i 0.01 -c 400 -W 2 "$a" >"$TMP/ping.out" 2>&1 &
	local ping=$!
	sleep 1
	fab_netd_kill 2 KILL
	fab_netd_kill 1 KILL
	sleep 0.3
	fab_netd_start 2
	fab_netd_start 1
	wait "$ping"
	out=$(tail -2 "$TMP/ping.out")
	sent=$(echo "$out" | sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p')
	recv=$(echo "$out" | sed -n 's/.*transmitted, \([0-9]*\) packets received.*/\1/p')
	assert_eq "$sent" 400 "ping sent: $out"
	assert_eq "$recv" 400 "packets lost across netd kill -9 and restart: $out"
	fab_wait_sync 10 1 2
}

test_hand_deleted_entries_come_back() {
	local a b block2
	two_hosts_a_to_b
	a=$A
	b=$B
	block2=$(fab_netctl 2 --json fabric | jq -r '.networks[0].block')
	# route, neighbour and FDB entry on host 1, the whole VXLAN device on host 2
	ip -n fh1 route del "$block2"
	ip -n fh1 neigh flush dev bfx1
	bridge -n fh1 fdb del 0e:01:c0:00:02:0c dev bfx1 self
	ip -n fh2 link del bfx1
	# the next resync (3 s) puts everything back
	wait_for 10 eval "fab_peer_routes 1 | grep -q '^$block2 '" || fail "route not restored"
	wait_for 5 eval "ip -n fh1 neigh show dev bfx1 nud permanent | grep -q ."
	wait_for 5 eval "bridge -n fh1 fdb show dev bfx1 | grep -q 0e:01:c0:00:02:0c"
	wait_for 10 ip -n fh2 link show bfx1 || fail "VXLAN device not re-created"
	wait_for 10 eval "fab_peer_routes 2 | grep -q onlink" || fail "host 2's routes not restored"
	wait_for 5 request b "$a" 8080 500 || fail "traffic does not flow again"
	assert_eq "$(seen_source b "$a" 8080)" "$b"
}

test_racing_hosts_never_share_a_block() {
	local n blocks
	fab_up 3
	# two blocks for three hosts, all claiming at once when the network appears
	fab_netctl 1 network create tiny --subnet 10.72.0.0/23 --fabric --host-prefix 24 >/dev/null 2>&1 || true
	sleep 2
	blocks=$(fab_etcdctl get --prefix /berth/v1/blocks/tiny/ --keys-only | grep . | sort)
	assert_eq "$(echo "$blocks" | wc -l)" 2 "blocks taken: $blocks"
	assert_eq "$(echo "$blocks" | sort -u | wc -l)" 2
	# every block belongs to exactly one host, and no two hosts hold the same one locally
	local locals=()
	for n in 1 2 3; do
		locals+=("$( (fab_netctl "$n" --json network inspect tiny 2>/dev/null || true) | jq -r '.subnet // empty')")
	done
	assert_eq "$(printf '%s\n' "${locals[@]}" | grep . | wc -l)" 2 "hosts with a local block: ${locals[*]}"
	assert_eq "$(printf '%s\n' "${locals[@]}" | grep . | sort -u | wc -l)" 2 "a block held twice: ${locals[*]}"
}

t "reachability matrix across 3 hosts, sources kept" test_reachability_matrix
t "isolation between fabric networks across hosts" test_isolation_between_fabric_networks
t "a host joining later is reachable" test_host_joining_later
t "a dead host: removed after grace, block reclaimed after its lease" test_dead_host_removed_after_grace_and_block_reclaimed
t "etcd stopped: data plane stays, attach works, converges after" test_etcd_outage
t "netd kill -9 and restart: no packet lost" test_netd_kill9_loses_no_packet
t "entries deleted by hand come back" test_hand_deleted_entries_come_back
t "hosts racing for blocks never share one" test_racing_hosts_never_share_a_block
t_done
