#!/bin/bash
# The fabric across hosts: simulated hosts (network namespaces on a switch), each with its own netd,
# joined through a real etcd; traffic only between the simulated hosts' containers.
cd "$(dirname "$0")/../.." || exit 2
source tests/integration/lib.sh
source tests/integration/lib-fabric.sh
source tests/integration/lib-runtime.sh

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

# assert_line TEXT REGEX: some line of TEXT matches the extended regex
assert_line() {
	grep -qE "$2" <<<"$1" || fail "no line matches /$2/ in: $1"
}

# request_from NS ADDR PORT: the reply must come, and its second word (the source the server saw) is printed
seen_source() {
	local out
	out=$(request "$1" "$2" "$3" 2000) || fail "no answer from $2:$3 in $1"
	echo "${out#* }"
}

# sources_kept NAME=ADDR...: each container serves on ADDR:8080 and reaches every other one, which sees
# it with its own address: no masquerade inside the fabric
sources_kept() {
	local -A at
	local p i j
	for p in "$@"; do
		at[${p%%=*}]=${p#*=}
	done
	for i in "${!at[@]}"; do
		serve "$i" "${at[$i]}" 8080 "$i"
	done
	for i in "${!at[@]}"; do
		for j in "${!at[@]}"; do
			[ "$i" = "$j" ] && continue
			assert_eq "$(seen_source "$i" "${at[$j]}" 8080)" "${at[$i]}" "source seen by $j from $i"
		done
	done
}

# networks_apart A B C: containers a (host 1) and b (host 2) of one fabric network reach each other at
# addresses A and B, c (host 2, another fabric network) at C reaches neither way
networks_apart() {
	serve a "$1" 8080 a
	assert_eq "$(seen_source b "$1" 8080)" "$2"
	# from the other network, across hosts: nothing
	request c "$1" 8080 1000 >/dev/null 2>&1 && fail "other reached fab across hosts ($1)"
	serve c "$3" 8081 c
	request a "$3" 8081 1000 >/dev/null 2>&1 && fail "fab reached other across hosts ($3)"
	return 0
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
	local n ip
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
	sources_kept c1="${addr[c1]}" c2="${addr[c2]}" c3="${addr[c3]}" c4="${addr[c4]}"
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
	networks_apart "$a" "$b" "$c"
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
	assert_eq "$(fab_vxlan_sources 1 | tr '\n' ' ')" "192.0.2.12 192.0.2.13 " "host 1's VXLAN sources"
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
	assert_eq "$(fab_vxlan_sources 1)" "192.0.2.13" "host 1's VXLAN sources after host 2 went"
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

# hosts_race_for_two_blocks NET FIELD CREATE-OPTIONS...: NET has two blocks for three hosts, all claiming
# at once when the network appears; FIELD (subnet, subnet6) of each host's local network is its block
hosts_race_for_two_blocks() {
	local net=$1 field=$2 n blocks
	shift 2
	fab_up 3
	fab_netctl 1 network create "$net" "$@" --fabric >/dev/null 2>&1 || true
	sleep 2
	blocks=$(fab_etcdctl get --prefix "/berth/v1/blocks/$net/" --keys-only | grep . | sort)
	assert_eq "$(echo "$blocks" | wc -l)" 2 "blocks taken: $blocks"
	assert_eq "$(echo "$blocks" | sort -u | wc -l)" 2
	# every block belongs to exactly one host, and no two hosts hold the same one locally
	local locals=()
	for n in 1 2 3; do
		locals+=("$( (fab_netctl "$n" --json network inspect "$net" 2>/dev/null || true) | jq -r ".$field // empty")")
	done
	assert_eq "$(printf '%s\n' "${locals[@]}" | grep . | wc -l)" 2 "hosts with a local block: ${locals[*]}"
	assert_eq "$(printf '%s\n' "${locals[@]}" | grep . | sort -u | wc -l)" 2 "a block held twice: ${locals[*]}"
}

test_racing_hosts_never_share_a_block() {
	hosts_race_for_two_blocks tiny subnet --subnet 10.72.0.0/23 --host-prefix 24
}

# rogue_vxlan_dropped ROGUE HOST1 SET ADDR: a machine of the underlay at ROGUE that is no host of the fabric
# speaks VXLAN to host 1 (underlay HOST1): it sends frames for ADDR (a container on host 1) to host 1's VTEP
# MAC, as a peer would. Host 1's device takes none of them; once ROGUE is in host 1's SET (vxlan_peers4,
# vxlan_peers6) the same packets are decapsulated (so the first check could have seen them).
rogue_vxlan_dropped() {
	local rogue=$1 host1=$2 set=$3 addr=$4 mac1 block1 rx0 rx1
	fab_rogue rogue "$rogue"
	mac1=$(ip -n fh1 -j link show bfx1 | jq -r '.[0].address')
	block1=$(fab_netctl 1 --json fabric | jq -r '.networks[0].block')
	ip -n rogue link add vx type vxlan id 1 dstport 4789 local "$rogue" remote "$host1" dev eth0 nolearning
	ip -n rogue link set vx up
	ip -n rogue addr add 10.70.250.1/32 dev vx
	ip -n rogue route add "$block1" dev vx
	ip -n rogue neigh add "$addr" lladdr "$mac1" dev vx nud permanent
	rx0=$(fab_rx 1 bfx1)
	ip netns exec rogue busybox ping -c 5 -i 0.1 -W 1 "$addr" >/dev/null 2>&1 || true
	rx1=$(fab_rx 1 bfx1)
	assert_eq "$rx1" "$rx0" "packets host 1's VXLAN device took from a machine that is no host"
	ip netns exec fh1 nft add element inet berth "$set" "{ $rogue . 4789 }"
	ip netns exec rogue busybox ping -c 5 -i 0.1 -W 1 "$addr" >/dev/null 2>&1 || true
	[ "$(fab_rx 1 bfx1)" -ge $((rx1 + 5)) ] || fail "a listed source's packets were not decapsulated"
	ip netns exec fh1 nft delete element inet berth "$set" "{ $rogue . 4789 }"
}

test_vxlan_only_from_known_hosts() {
	local a b
	two_hosts_a_to_b
	a=$A
	b=$B
	# each host accepts VXLAN from the other's underlay address, on the fabric's port only
	wait_for 5 eval "fab_vxlan_sources 1 | grep -qx 192.0.2.12" || fail "host 1: $(fab_vxlan_sources 1)"
	assert_eq "$(fab_vxlan_sources 1)" "192.0.2.12"
	assert_eq "$(fab_vxlan_sources 2)" "192.0.2.11"
	assert_contains "$(ip netns exec fh1 nft list set inet berth vxlan_ports)" "4789"
	assert_contains "$(ip netns exec fh1 nft list chain inet berth input)" \
		"udp dport @vxlan_ports ip saddr . udp dport != @vxlan_peers4 drop"
	rogue_vxlan_dropped 192.0.2.50 192.0.2.11 vxlan_peers4 "$a"
	# the peer still gets through
	assert_eq "$(seen_source b "$a" 8080)" "$b"
}

# Two hosts on one host-gw network hg: plain routes via the underlay, no VXLAN; $A on host 1 serves 8080.
hostgw_two_hosts() {
	fab_up "${1:-2}"
	assert_ok fab_netctl 1 network create hg --subnet 10.80.0.0/16 --fabric --mode host-gw
	for n in $(seq 2 "${1:-2}"); do
		wait_for 10 fab_netctl "$n" network inspect hg || fail "host $n has no hg"
	done
	A=$(fab_container 1 a hg)
	B=$(fab_container 2 b hg)
	serve a "$A" 8080 a
}

test_hostgw_routes_and_sources() {
	local c block1 block2 block3
	hostgw_two_hosts 3
	c=$(fab_container 3 c hg)
	serve c "$c" 8080 c
	block1=$(fab_netctl 1 --json fabric | jq -r '.networks[0].block')
	block2=$(fab_netctl 2 --json fabric | jq -r '.networks[0].block')
	block3=$(fab_netctl 3 --json fabric | jq -r '.networks[0].block')
	assert_eq "$(fab_netctl 1 --json fabric | jq -r '.networks[0].mode')" host-gw
	# plain routes to each peer's block via its underlay address, no VXLAN device, no VXLAN port filtered
	wait_for 5 eval "fab_peer_routes 1 | grep -q '^$block3 via 192.0.2.13 dev eth0'" || fail "$(fab_peer_routes 1)"
	assert_contains "$(fab_peer_routes 1)" "$block2 via 192.0.2.12 dev eth0"
	assert_contains "$(fab_peer_routes 2)" "$block1 via 192.0.2.11 dev eth0"
	assert_eq "$(ip -n fh1 -o link show type vxlan | wc -l)" 0 "VXLAN devices on host 1"
	assert_not_contains "$(ip netns exec fh1 nft list set inet berth vxlan_ports)" "4789"
	assert_contains "$(ip netns exec fh1 nft list set inet berth fabric4)" '10.80.0.0/16 . "hg"'
	# the whole underlay MTU: nothing is encapsulated
	assert_contains "$(ip -n a link show eth0)" "mtu 1500"
	# every container reaches every other across hosts with its own address as the source
	assert_eq "$(seen_source b "$A" 8080)" "$B"
	assert_eq "$(seen_source c "$A" 8080)" "$c"
	assert_eq "$(seen_source a "$c" 8080)" "$A"
	assert_eq "$(seen_source b "$c" 8080)" "$B"
	bping a -c 2 -i 0.2 -W 2 "$B" >/dev/null || fail "ping a -> b"
	# the packets crossed the underlay unencapsulated, with the containers' addresses (counted on the switch)
	ip netns exec fsw nft add table bridge sw
	ip netns exec fsw nft add chain bridge sw tally '{ type filter hook forward priority 0; }'
	ip netns exec fsw nft add rule bridge sw tally ip saddr "$B" ip daddr "$A" tcp dport 8080 counter
	assert_eq "$(seen_source b "$A" 8080)" "$B"
	assert_not_contains "$(ip netns exec fsw nft list chain bridge sw tally)" "packets 0 "
}

test_hostgw_isolation() {
	local d
	hostgw_two_hosts 2
	assert_ok fab_netctl 2 network create hg2 --subnet 10.81.0.0/16 --fabric --mode host-gw
	wait_for 10 fab_netctl 1 network inspect hg2 || fail "host 1 has no hg2"
	d=$(fab_container 2 d hg2)
	serve d "$d" 8081 d
	assert_eq "$(seen_source b "$A" 8080)" "$B"
	# across hosts and networks: nothing, either way
	request d "$A" 8080 1000 >/dev/null 2>&1 && fail "hg2 reached hg across hosts"
	request a "$d" 8081 1000 >/dev/null 2>&1 && fail "hg reached hg2 across hosts"
	# a machine of the underlay with a route to the block reaches no unpublished port either
	fab_rogue rogue 192.0.2.50
	ip -n rogue route add 10.80.0.0/16 via 192.0.2.11
	ip netns exec rogue tst-net request "$A" 8080 1000 >/dev/null 2>&1 && fail "the underlay reached a container"
	return 0
}

# etcd compacts past the revision netd's watch resumes from: netd's watch is cancelled, it lists and converges
test_watch_cancelled_by_compaction() {
	local a b lease rev mark
	FAB_NODE_TTL=10
	FAB_RESYNC_MS=600000
	two_hosts_a_to_b
	a=$A
	b=$B
	fab_wait_sync 5 1 2
	mark=$(wc -l <"$FAB_DIR/h2/netd.log")
	# host 2's netd stops reading; meanwhile a host h9 joins, more happens, and the history is compacted
	kill -STOP "${FAB_NETD_PID[2]}"
	lease=$(fab_etcdctl lease grant 60 | awk '{print $2}')
	fab_etcdctl put --lease "$lease" /berth/v1/nodes/h9 '{"node":"h9","underlay":"192.0.2.99","started":1}' >/dev/null
	fab_etcdctl put --lease "$lease" /berth/v1/blocks/fab/10.70.200.0-24 \
		'{"node":"h9","underlay":"192.0.2.99","vtep_mac":"0e:01:c0:00:02:63"}' >/dev/null
	for i in 1 2 3; do fab_etcdctl put /churn/$i x >/dev/null; done
	rev=$(fab_etcdctl get /churn/3 -w json | jq -r .header.revision)
	fab_etcdctl compact "$rev" >/dev/null
	# its connections to etcd break (a reset on the way): the watch must resume from a compacted revision
	ip netns exec fh2 ss -K dst $FAB_ETCD_IP dport = 2379 >/dev/null 2>&1 || true
	kill -CONT "${FAB_NETD_PID[2]}"
	wait_for 10 eval "tail -n +$mark '$FAB_DIR/h2/netd.log' | grep -q 'revision compacted'" ||
		fail "the watch was not cancelled by compaction: $(tail -n +$mark "$FAB_DIR/h2/netd.log")"
	# listed again: h9 and its block are known and programmed, the view is in sync
	wait_for 10 eval "fab_peer_routes 2 | grep -q '^10.70.200.0/24 via 10.70.200.0 dev bfx1'" ||
		fail "host 2 did not learn h9's block: $(fab_peer_routes 2)"
	fab_wait_sync 10 2
	assert_eq "$(fab_netctl 2 --json fabric | jq -r '.hosts[] | select(.node == "h9") | .state')" alive
	assert_contains "$(fab_vxlan_sources 2)" "192.0.2.99"
	assert_eq "$(seen_source b "$a" 8080)" "$b"
	# and it goes on watching: h9 leaving is seen without a listing
	fab_etcdctl lease revoke "$lease" >/dev/null
	wait_for 10 eval "fab_netctl 2 --json fabric | jq -e '.hosts[] | select(.node == \"h9\") | .state == \"grace\" or .state == \"gone\"' >/dev/null" ||
		fail "host 2 did not see h9 leave"
}

# netctl graph draws the hosts and the tunnels, netctl routes shows the host's overlay routes
test_netctl_graph_and_routes() {
	local out a
	fab_up 3
	assert_ok fab_netctl 1 network create fab --subnet 10.70.0.0/16 --fabric
	assert_ok fab_netctl 1 network create hg --subnet 10.80.0.0/16 --fabric --mode host-gw
	for n in 2 3; do
		wait_for 10 eval "fab_netctl $n network inspect fab && fab_netctl $n network inspect hg" >/dev/null ||
			fail "host $n lacks a network"
	done
	a=$(fab_container 1 a fab)
	fab_container 1 g hg >/dev/null
	wait_for 10 eval "[ \$(fab_peer_routes 1 | wc -l) = 4 ]" || fail "host 1's overlay routes: $(fab_peer_routes 1)"
	out=$(fab_netctl 1 graph) || fail "graph: $out"
	assert_contains "$out" '"host:h1" [label="this host h1\nunderlay 192.0.2.11\nalive"'
	assert_contains "$out" '"host:h2" [label="host h2\nunderlay 192.0.2.12\nalive"'
	assert_contains "$out" '"host:h3" [label="host h3\nunderlay 192.0.2.13\nalive"'
	assert_contains "$out" 'fabric 10.70.0.0/16 (vxlan, VNI 1)'
	local b2 g2
	b2=$(fab_netctl 2 --json fabric | jq -r '.networks[] | select(.name == "fab") | .block')
	g2=$(fab_netctl 2 --json fabric | jq -r '.networks[] | select(.name == "hg") | .block')
	assert_contains "$out" "\"net:fab\" -> \"host:h2\" [dir=both, style=bold, color=\"#1565c0\", label=\"VXLAN bfx1 VNI 1\\n$b2\"]"
	assert_contains "$out" "\"net:hg\" -> \"host:h2\" [dir=both, style=dashed, color=\"#1565c0\", label=\"host-gw via 192.0.2.12\\n$g2\"]"
	assert_contains "$out" '"host:h1" -> "net:fab" [dir=none, style=dotted'
	assert_contains "$out" '"ctr:a" -> "net:fab"'
	# Graphviz takes it
	assert_ok fab_netctl 1 graph --output "$TMP/fabric.svg"
	assert_contains "$(head -c 400 "$TMP/fabric.svg")" "<svg"
	# netctl routes: the container's routes, then where the host sends the fabric network's other blocks
	out=$(fab_netctl 1 routes a)
	assert_line "$out" "^default +${a%.*}.1 +eth0 +main +global +boot +0$"
	assert_contains "$out" "overlay routes of this host for fabric network fab:"
	assert_line "$out" "^DESTINATION +GATEWAY +DEVICE +HOST +UNDERLAY +PROTO$"
	assert_line "$out" "^${b2//./\\.} +${b2%/*} +bfx1 +h2 +192.0.2.12 +fabric$"
	assert_eq "$(fab_netctl 1 --json routes a | jq '.overlay_routes | length')" 2
	assert_eq "$(fab_netctl 1 --json routes g | jq -r '.overlay_routes[] | select(.host == "h2") | .gateway + " " + .dev')" \
		"192.0.2.12 eth0"
	# the container's own table has none of them
	assert_not_contains "$(fab_netctl 1 --json routes a | jq -r '.routes[].protocol')" fabric
}

# berth-cni on host 2, on the same state store as its netd: the addresses come from host 2's blocks
test_cni_on_fabric() {
	local conf res ip ip6 block2 block62 a a6
	fab_up 2
	assert_ok fab_netctl 1 network create fab --subnet 10.70.0.0/16 --subnet6 fd70::/48 --fabric
	a=$(fab_container 1 a fab)
	a6=$(fab_ip6 a)
	serve a "$a" 8080 a
	serve a "$a6" 8086 a6
	wait_for 10 fab_netctl 2 network inspect fab || fail "host 2 has no fab"
	block2=$(fab_netctl 2 --json fabric | jq -r '.networks[0].block')
	block62=$(fab_netctl 2 --json fabric | jq -r '.networks[0].block6')
	conf=$(jq -cn --arg d "$FAB_DIR/h2/state" '{cniVersion: "1.0.0", name: "fab", type: "berth-cni", bridge: "fab",
		isGateway: true, isDefaultGateway: true, ipMasq: true, dataDir: $d}')
	netns_add cnic
	res=$(printf '%s' "$conf" | ip netns exec fh2 env CNI_COMMAND=ADD CNI_CONTAINERID=cnic CNI_NETNS=/run/netns/cnic \
		CNI_IFNAME=eth0 CNI_PATH="$BIN" berth-cni) || fail "berth-cni ADD: $res"
	ip=$(jq -r '.ips[] | select(.address | contains(".")) | .address' <<<"$res")
	ip6=$(jq -r '.ips[] | select(.address | contains(":")) | .address' <<<"$res")
	assert_eq "${ip%.*}.0/24" "$block2" "address of the CNI container in host 2's block"
	case $ip6 in "${block62%/64}"*/64) ;; *) fail "IPv6 address $ip6 of the CNI container not in $block62" ;; esac
	assert_contains "$(fab_netctl 2 ls)" "cnic"
	assert_contains "$(ip -n cnic link show eth0)" "mtu 1450"
	# across the fabric both ways, the sources kept
	assert_eq "$(seen_source cnic "$a" 8080)" "${ip%/*}"
	serve cnic "${ip%/*}" 8080 cnic
	assert_eq "$(seen_source a "${ip%/*}" 8080)" "$a"
	assert_eq "$(seen_source cnic "$a6" 8086)" "${ip6%/*}"
	printf '%s' "$conf" | ip netns exec fh2 env CNI_COMMAND=DEL CNI_CONTAINERID=cnic CNI_NETNS=/run/netns/cnic \
		CNI_IFNAME=eth0 CNI_PATH="$BIN" berth-cni || fail "berth-cni DEL"
	assert_not_contains "$(fab_netctl 2 ls)" "cnic"
	assert_eq "$(fab_netctl 2 --json status fab | jq .addresses_used)" 0
}

# berth run on host 3 with the netd hand-off (berth.network): the container is on the fabric
test_runtime_on_fabric() {
	local a addr ip block3 addr6 block63
	fab_up 3
	assert_ok fab_netctl 1 network create fab --subnet 10.70.0.0/16 --subnet6 fd70::/48 --fabric
	a=$(fab_container 1 a fab)
	wait_for 10 fab_netctl 3 network inspect fab || fail "host 3 has no fab"
	block3=$(fab_netctl 3 --json fabric | jq -r '.networks[0].block')
	block63=$(fab_netctl 3 --json fabric | jq -r '.networks[0].block6')
	rt_config "$TMP/r1" ns="pid network ipc uts mount" \
		top_extra=',"annotations":{"berth.network":"fab"}' \
		args='["sh","-c","while :; do nc -l -p 80 -e echo hello-from-r1; done"]'
	# only the network namespace is host 3's (ip netns exec would hide the cgroup mounts)
	BERTH_NETD_SOCKET=$(fab_sock 3) nsenter --net=/run/netns/fh3 berth --root "$RT_ROOT" run -d --bundle "$TMP/r1" r1 ||
		fail "berth run on host 3"
	addr=$(berth state r1 | sed -n 's/.*"berth.network.address": "\([0-9./]*\)".*/\1/p')
	ip=${addr%/*}
	assert_eq "${ip%.*}.0/24" "$block3" "the container's address in host 3's block"
	addr6=$(berth state r1 | jq -r '.annotations["berth.network.address6"]')
	case $addr6 in "${block63%/64}"*/64) ;; *) fail "the container's IPv6 address $addr6 not in $block63" ;; esac
	bping a -6 -c 2 -i 0.2 -W 2 "${addr6%/*}" >/dev/null || fail "ping -6 from host 1 to the container on host 3"
	assert_contains "$(fab_netctl 3 ls)" "r1"
	assert_contains "$(nsenter --net=/proc/$(rt_state_field r1 pid)/ns/net ip link show eth0)" "mtu 1450"
	wait_for 5 eval "echo | ip netns exec a busybox nc -w 2 $ip 80 | grep -q hello-from-r1" ||
		fail "no answer from the container on host 3 at $ip:80"
	serve a "$a" 8080 a
	assert_eq "$(nsenter --net=/proc/$(rt_state_field r1 pid)/ns/net tst-net request "$a" 8080 2000)" "a $ip"
	BERTH_NETD_SOCKET=$(fab_sock 3) nsenter --net=/run/netns/fh3 berth --root "$RT_ROOT" delete -f r1 ||
		fail "delete"
	assert_not_contains "$(fab_netctl 3 ls)" "r1"
}

# IPv6 beside IPv4: a dual-stack fabric network; the third host joins later
test_ipv6_reachability_matrix() {
	local n b6 out
	local -A addr addr6
	fab_up 2
	assert_ok fab_netctl 1 network create fab --subnet 10.70.0.0/16 --subnet6 fd70::/48 --fabric
	fab_host 3
	fab_netd_start 3
	for n in 1 2 3; do
		wait_for 10 fab_netctl "$n" network inspect fab || fail "host $n has no local network fab"
	done
	assert_eq "$(fab_netctl 1 --json fabric | jq -r '.networks[0] | "\(.subnet6) \(.host_prefix6)"')" "fd70::/48 64"
	for n in 1 2 3; do
		fab_container "$n" c$n fab >/dev/null || fail "attach on host $n"
		addr[c$n]=$(fab_ip c$n)
		addr6[c$n]=$(fab_ip6 c$n)
		[ -n "${addr6[c$n]}" ] || fail "c$n has no IPv6 address"
		# from its host's IPv6 block
		b6=$(fab_netctl "$n" --json fabric | jq -r '.networks[0].block6')
		assert_contains "$b6" "/64"
		case ${addr6[c$n]} in "${b6%/64}"*) ;; *) fail "c$n's ${addr6[c$n]} is not in $b6" ;; esac
	done
	fab_container 1 c4 fab >/dev/null || fail "attach c4"
	addr6[c4]=$(fab_ip6 c4)
	# etcd: one IPv4 and one IPv6 block per host, under the network's blocks/ prefix
	out=$(fab_etcdctl get --prefix /berth/v1/blocks/fab/ --keys-only | grep .)
	assert_eq "$(grep -c ':' <<<"$out")" 3 "IPv6 blocks: $out"
	assert_eq "$(grep -vc ':' <<<"$out")" 3 "IPv4 blocks: $out"
	# kernel: per remote host an IPv6 route via its block's first address (onlink) and a permanent
	# neighbour, on the same VXLAN device; the FDB entry is shared by both families
	wait_for 5 eval "[ \$(fab_peer_routes6 1 | grep -c onlink) = 2 ]" || fail "IPv6 routes: $(fab_peer_routes6 1)"
	b6=$(fab_netctl 2 --json fabric | jq -r '.networks[0].block6')
	assert_line "$(fab_peer_routes6 1)" "^${b6} via ${b6%/64} dev bfx1 .*onlink"
	assert_eq "$(ip -n fh1 -6 neigh show dev bfx1 nud permanent | wc -l)" 2 "IPv6 neighbours on host 1"
	assert_eq "$(ip -n fh1 -4 neigh show dev bfx1 nud permanent | wc -l)" 2 "IPv4 neighbours on host 1"
	assert_eq "$(bridge -n fh1 fdb show dev bfx1 | grep -c permanent)" 2 "FDB entries on host 1"
	b6=$(fab_netctl 1 --json fabric | jq -r '.networks[0].block6')
	assert_contains "$(ip -n fh1 -6 addr show dev bfx1)" "inet6 ${b6%/64}/128"
	assert_not_contains "$(ip -n fh1 -6 addr show dev bfx1)" "fe80:"
	assert_eq "$(ip netns exec fh1 cat /proc/sys/net/ipv6/conf/bfx1/accept_ra)" 0
	# TCP over IPv6 both ways between every pair, the container's own address seen everywhere
	sources_kept c1="${addr6[c1]}" c2="${addr6[c2]}" c3="${addr6[c3]}" c4="${addr6[c4]}"
	bping c3 -6 -c 3 -i 0.2 -W 2 "${addr6[c2]}" >/dev/null || fail "ping -6 c3 -> c2"
	bping c1 -6 -c 2 -i 0.2 -W 2 "${addr6[c3]}" >/dev/null || fail "ping -6 c1 -> c3 (joined later)"
	# IPv4 still carried beside it
	bping c3 -c 2 -i 0.2 -W 2 "${addr[c1]}" >/dev/null || fail "ping c3 -> c1 over IPv4"
	# netctl: blocks of both families, IPv6 overlay routes
	assert_contains "$(fab_netctl 1 fabric)" "fab:${b6}"
	assert_eq "$(fab_netctl 1 --json network inspect fab | jq '[.fabric.hosts[].block6] | length')" 3
	out=$(fab_netctl 1 routes c1)
	b6=$(fab_netctl 3 --json fabric | jq -r '.networks[0].block6')
	assert_line "$out" "^${b6} +${b6%/64} +bfx1 +h3 +192.0.2.13 +fabric$"
	assert_eq "$(fab_netctl 1 --json routes c1 | jq '.overlay_routes | length')" 4
	assert_contains "$(fab_netctl 1 graph)" "fabric 10.70.0.0/16 fd70::/48 (vxlan, VNI 1)"
	assert_contains "$(fab_netctl 1 graph)" "$b6"
}

# IPv6-only fabric networks
test_ipv6_only() {
	local a b out
	fab_up 2
	assert_ok fab_netctl 1 network create six --subnet6 fd71::/56 --fabric
	wait_for 10 fab_netctl 2 network inspect six || fail "host 2 has no six"
	assert_eq "$(fab_netctl 2 --json fabric | jq -r '.networks[0].host_prefix6')" 72
	assert_eq "$(fab_netctl 2 --json network inspect six | jq -r .subnet)" null
	a=$(fab_container 1 a six; fab_ip6 a)
	b=$(fab_container 2 b six; fab_ip6 b)
	[ -n "$a" ] && [ -n "$b" ] || fail "no IPv6 addresses: '$a' '$b'"
	assert_eq "$(ip -n a -4 -o addr show dev eth0 | wc -l)" 0 "IPv4 on an IPv6-only network"
	serve a "$a" 8080 a
	assert_eq "$(seen_source b "$a" 8080)" "$b"
	assert_eq "$(ip -n fh1 -4 route show proto 98 | wc -l)" 0
	# definitions: overlap and a different definition of the same name
	out=$(fab_netctl 1 network create six2 --subnet6 fd71::/48 --fabric 2>&1) && fail "an overlap accepted"
	assert_contains "$out" "overlaps"
	out=$(fab_netctl 1 network create six --subnet6 fd71::/56 --host-prefix6 80 --fabric 2>&1) &&
		fail "another definition accepted"
	assert_contains "$out" "exists with"
	assert_ok fab_netctl 1 network create six --subnet6 fd71::/56 --fabric
}

# isolation between two dual-stack fabric networks holds over IPv6 across hosts
test_ipv6_isolation_between_fabric_networks() {
	local a b c
	fab_up 2
	assert_ok fab_netctl 1 network create fab --subnet 10.70.0.0/16 --subnet6 fd70::/48 --fabric
	assert_ok fab_netctl 2 network create other --subnet 10.71.0.0/16 --subnet6 fd71::/48 --fabric
	wait_for 10 fab_netctl 2 network inspect fab || fail "host 2 has no fab"
	wait_for 10 fab_netctl 1 network inspect other || fail "host 1 has no other"
	fab_container 1 a fab >/dev/null
	fab_container 2 b fab >/dev/null
	fab_container 2 c other >/dev/null
	a=$(fab_ip6 a)
	b=$(fab_ip6 b)
	c=$(fab_ip6 c)
	assert_contains "$c" "fd71:"
	networks_apart "$a" "$b" "$c"
	bping a -6 -c 1 -W 1 "$c" >/dev/null 2>&1 && fail "ping -6 across fabric networks"
	return 0
}

# an IPv6 route and neighbour deleted by hand come back with the next resync
test_ipv6_hand_deleted_entries_come_back() {
	local a b b6
	fab_up 2
	assert_ok fab_netctl 1 network create fab --subnet 10.70.0.0/16 --subnet6 fd70::/48 --fabric
	wait_for 10 fab_netctl 2 network inspect fab || fail "host 2 has no fab"
	fab_container 1 a fab >/dev/null
	fab_container 2 b fab >/dev/null
	a=$(fab_ip6 a)
	b=$(fab_ip6 b)
	serve a "$a" 8080 a
	assert_eq "$(seen_source b "$a" 8080)" "$b"
	b6=$(fab_netctl 2 --json fabric | jq -r '.networks[0].block6')
	ip -n fh1 -6 route del "$b6"
	ip -n fh1 -6 neigh del "${b6%/64}" dev bfx1
	# a stale one of ours is taken away (and the IPv4 entries stay untouched meanwhile)
	ip -n fh1 -6 route add fd70:0:0:ffff::/64 via fd70:0:0:ffff:: dev bfx1 onlink proto 98
	assert_eq "$(fab_peer_routes6 1 | grep -c "^$b6")" 0
	wait_for 10 eval "fab_peer_routes6 1 | grep -q '^$b6 '" || fail "IPv6 route not restored"
	wait_for 5 eval "ip -n fh1 -6 neigh show dev bfx1 nud permanent | grep -q '^${b6%/64} '" ||
		fail "IPv6 neighbour not restored"
	wait_for 5 eval "! fab_peer_routes6 1 | grep -q fd70:0:0:ffff" || fail "stale IPv6 route kept"
	wait_for 5 request b "$a" 8080 500 || fail "IPv6 traffic does not flow again"
	assert_eq "$(seen_source b "$a" 8080)" "$b"
}

# two IPv6 blocks for three hosts (an IPv6-only network): no block is held twice
test_racing_hosts_never_share_a_block6() {
	hosts_race_for_two_blocks tiny6 subnet6 --subnet6 fd72::/63 --host-prefix6 64
}

# the count of host N's resyncs that had to write or remove something (a resync of what matches writes nothing)
fab_writes() {
	grep -c 'peer(s) kept, ' "$FAB_DIR/h$1/netd.log" || true
}

# Hosts on an IPv6 underlay (2001:db8::11-13): VXLAN over IPv6 carrying a dual-stack network.
test_ipv6_underlay() {
	local n vx mac2 w
	local -A v4 v6
	FAB_UNDERLAY=ipv6 fab_up 3
	assert_eq "$(fab_netctl 1 --json fabric | jq -r .underlay)" 2001:db8::11
	assert_eq "$(fab_etcdctl get --print-value-only /berth/v1/nodes/h2 | jq -r .underlay)" 2001:db8::12
	assert_ok fab_netctl 1 network create fab --subnet 10.70.0.0/16 --subnet6 fd70::/48 --fabric
	for n in 1 2 3; do
		wait_for 10 fab_netctl $n network inspect fab >/dev/null || fail "host $n has no fab"
		fab_container $n c$n fab >/dev/null || fail "attach on host $n"
		v4[c$n]=$(fab_ip c$n)
		v6[c$n]=$(fab_ip6 c$n)
	done
	for n in 1 2 3; do
		wait_for 10 eval "[ \$(fab_peer_routes $n | wc -l) = 2 ] && [ \$(fab_peer_routes6 $n | wc -l) = 2 ]" ||
			fail "host $n: $(fab_peer_routes $n; fab_peer_routes6 $n)"
	done
	# the records carry the IPv6 underlay
	assert_eq "$(fab_etcdctl get --prefix --print-value-only /berth/v1/blocks/fab/ | jq -r .underlay | sort -u |
		tr '\n' ' ')" "2001:db8::11 2001:db8::12 2001:db8::13 "
	# the device: local6 = the underlay, MTU = the underlay's 1500 - 70, and the containers get it
	vx=$(ip -n fh1 -d -j link show bfx1)
	assert_eq "$(jq -r '.[0].linkinfo.info_data | .local6 // .local' <<<"$vx")" 2001:db8::11
	assert_eq "$(jq -r '.[0].mtu' <<<"$vx")" 1430
	assert_contains "$(ip -n c1 link show eth0)" "mtu 1430"
	assert_eq "$(jq -r '.[0].address' <<<"$vx" | cut -c1-6)" "1e:01:" "VTEP MAC of an IPv6 underlay"
	# FDB entries toward the peers' IPv6 underlay
	assert_contains "$(bridge -n fh1 fdb show dev bfx1)" "dst 2001:db8::12"
	assert_contains "$(bridge -n fh1 fdb show dev bfx1)" "dst 2001:db8::13"
	# VXLAN is taken from the peers' IPv6 underlay addresses only
	assert_eq "$(fab_vxlan_sources 1 vxlan_peers6 | tr '\n' ' ')" "2001:db8::12 2001:db8::13 "
	assert_eq "$(fab_vxlan_sources 1)" ""
	assert_contains "$(ip netns exec fh1 nft list chain inet berth input)" \
		"udp dport @vxlan_ports ip6 saddr . udp dport != @vxlan_peers6 drop"
	# what crosses the switch is UDP/4789 over IPv6, nothing over IPv4
	ip netns exec fsw nft add table bridge sw
	ip netns exec fsw nft add chain bridge sw tally '{ type filter hook forward priority 0; }'
	ip netns exec fsw nft add rule bridge sw tally ip6 nexthdr udp udp dport 4789 counter comment '"v6"'
	ip netns exec fsw nft add rule bridge sw tally ip protocol udp udp dport 4789 counter comment '"v4"'
	# the reachability matrix over both overlay families, every source its own
	sources_kept c1="${v4[c1]}" c2="${v4[c2]}" c3="${v4[c3]}"
	sources_kept c1="${v6[c1]}" c2="${v6[c2]}" c3="${v6[c3]}"
	bping c1 -6 -c 1 -W 2 "${v6[c3]}" >/dev/null || fail "ping -6 c1 -> c3"
	bping c3 -c 1 -W 2 "${v4[c2]}" >/dev/null || fail "ping c3 -> c2"
	assert_not_contains "$(ip netns exec fsw nft list chain bridge sw tally | grep v6)" "packets 0 "
	assert_contains "$(ip netns exec fsw nft list chain bridge sw tally | grep v4)" "packets 0 "
	# a resync of what matches writes nothing (IPv6 FDB destinations are recognised)
	w=$(fab_writes 1)
	sleep 3.5
	assert_eq "$(fab_writes 1)" "$w" "resyncs that wrote something on host 1"
	# an IPv6 FDB entry deleted by hand comes back with the next resync
	mac2=$(ip -n fh2 -j link show bfx1 | jq -r '.[0].address')
	bridge -n fh1 fdb del "$mac2" dev bfx1 dst 2001:db8::12 self
	assert_not_contains "$(bridge -n fh1 fdb show dev bfx1)" "dst 2001:db8::12"
	wait_for 10 eval "bridge -n fh1 fdb show dev bfx1 | grep -q '^$mac2 dst 2001:db8::12 '" ||
		fail "FDB entry not restored: $(bridge -n fh1 fdb show dev bfx1)"
	wait_for 5 request c2 "${v6[c1]}" 8080 500 >/dev/null || fail "traffic does not flow again"
	# a machine of the underlay that is no host speaks VXLAN over IPv6 to host 1: dropped
	rogue_vxlan_dropped 2001:db8::50 2001:db8::11 vxlan_peers6 "${v4[c1]}"
	# a host on an IPv4 underlay joins: skipped both ways (never half-programmed), and netctl fabric says so
	FAB_UNDERLAY=ipv4 fab_host 4
	fab_netd_start 4
	fab_wait_sync 10 4
	wait_for 10 eval "fab_netctl 1 fabric | grep '^h4 ' | grep -q 'skipped: IPv4 underlay, this host.s is IPv6'" ||
		fail "host 1 does not say h4 is skipped: $(fab_netctl 1 fabric)"
	wait_for 10 eval "fab_netctl 4 fabric | grep '^h1 ' | grep -q 'skipped: IPv6 underlay, this host.s is IPv4'" ||
		fail "host 4 does not say h1 is skipped: $(fab_netctl 4 fabric)"
	assert_eq "$(fab_netctl 1 --json fabric | jq -r '.hosts[] | select(.node == "h4") | .skipped')" \
		"skipped: IPv4 underlay, this host's is IPv6"
	assert_eq "$(fab_peer_routes 1 | wc -l)" 2
	assert_eq "$(fab_peer_routes 4 | wc -l)" 0
	assert_not_contains "$(bridge -n fh1 fdb show dev bfx1)" "192.0.2.14"
	assert_eq "$(fab_vxlan_sources 1 vxlan_peers6 | tr '\n' ' ')" "2001:db8::12 2001:db8::13 "
	assert_eq "$(fab_vxlan_sources 1)" ""
	# and the others still reach each other
	assert_eq "$(seen_source c2 "${v6[c1]}" 8080)" "${v6[c2]}"
}

# host-gw over an IPv6 underlay: an IPv4 network's routes go via the peers' IPv6 addresses (RTA_VIA)
test_ipv6_underlay_hostgw() {
	local block1 block2 w a6 b6 blk2
	FAB_UNDERLAY=ipv6 hostgw_two_hosts 2
	serve b "$B" 8080 b
	block1=$(fab_netctl 1 --json fabric | jq -r '.networks[0].block')
	block2=$(fab_netctl 2 --json fabric | jq -r '.networks[0].block')
	wait_for 5 eval "fab_peer_routes 1 | grep -q '^$block2 via inet6 2001:db8::12 dev eth0'" ||
		fail "$(fab_peer_routes 1)"
	wait_for 5 eval "fab_peer_routes 2 | grep -q '^$block1 via inet6 2001:db8::11 dev eth0'" ||
		fail "$(fab_peer_routes 2)"
	# the first packet waits for neighbour discovery of the next hop on the underlay
	bping b -c 1 -W 3 "$A" >/dev/null || fail "ping b -> a: $(ip -n fh2 -6 neigh; ip -n fh1 -6 neigh)"
	assert_eq "$(seen_source b "$A" 8080)" "$B"
	assert_eq "$(seen_source a "$B" 8080)" "$A"
	# a resync of what matches writes nothing (the IPv6 next hop is recognised)
	w=$(fab_writes 1)
	sleep 3.5
	assert_eq "$(fab_writes 1)" "$w" "resyncs that wrote something on host 1"
	# a route deleted by hand comes back
	ip -n fh1 route del "$block2"
	wait_for 10 eval "fab_peer_routes 1 | grep -q '^$block2 via inet6 2001:db8::12 dev eth0'" ||
		fail "route not restored: $(fab_peer_routes 1)"
	assert_eq "$(seen_source b "$A" 8080)" "$B"
	# an IPv6-only host-gw network: its blocks go via the peers' IPv6 underlay addresses
	assert_ok fab_netctl 1 network create hg6 --subnet6 fd73::/48 --fabric --mode host-gw
	wait_for 10 fab_netctl 2 network inspect hg6 || fail "host 2 has no hg6"
	a6=$(fab_container 1 a6 hg6; fab_ip6 a6)
	b6=$(fab_container 2 b6 hg6; fab_ip6 b6)
	blk2=$(fab_netctl 2 --json network inspect hg6 | jq -r .subnet6)
	wait_for 5 eval "fab_peer_routes6 1 | grep -q '^$blk2 via 2001:db8::12 dev eth0'" || fail "$(fab_peer_routes6 1)"
	serve a6 "$a6" 8080 a6
	assert_eq "$(seen_source b6 "$a6" 8080)" "$b6"
	assert_eq "$(ip -n fh1 -o link show type vxlan | wc -l)" 0 "VXLAN devices on host 1"
}

# a dual-stack host-gw network over the IPv4 underlay: IPv6 blocks via the peers' link-local addresses
test_hostgw_dual_stack() {
	local a6 b6 d6 blk1 blk2 ll1 ll2 w lease
	fab_up 2
	assert_ok fab_netctl 1 network create hg --subnet 10.80.0.0/16 --subnet6 fd80::/48 --fabric --mode host-gw
	wait_for 10 fab_netctl 2 network inspect hg || fail "host 2 has no hg"
	A=$(fab_container 1 a hg)
	B=$(fab_container 2 b hg)
	a6=$(fab_ip6 a)
	b6=$(fab_ip6 b)
	[ -n "$a6" ] && [ -n "$b6" ] || fail "no IPv6 addresses: '$a6' '$b6'"
	blk1=$(fab_netctl 1 --json network inspect hg | jq -r .subnet6)
	blk2=$(fab_netctl 2 --json network inspect hg | jq -r .subnet6)
	ll1=$(ip -n fh1 -6 -o addr show dev eth0 scope link | awk '{print $4}' | cut -d/ -f1)
	ll2=$(ip -n fh2 -6 -o addr show dev eth0 scope link | awk '{print $4}' | cut -d/ -f1)
	# each host's blocks carry its underlay's link-local address, the IPv6 next hop (Linux routes no IPv6 via IPv4)
	assert_eq "$(fab_etcdctl get --prefix --print-value-only /berth/v1/blocks/hg/ | grep -c "\"underlay_ll\":\"$ll2\"")" 2 "$(fab_etcdctl get --prefix /berth/v1/blocks/hg/; echo $ll2)"
	wait_for 5 eval "fab_peer_routes6 1 | grep -q '^$blk2 via $ll2 dev eth0'" || fail "$(fab_peer_routes6 1)"
	wait_for 5 eval "fab_peer_routes6 2 | grep -q '^$blk1 via $ll1 dev eth0'" || fail "$(fab_peer_routes6 2)"
	assert_contains "$(fab_peer_routes 1)" "via 192.0.2.12 dev eth0"
	assert_eq "$(ip -n fh1 -o link show type vxlan | wc -l)" 0 "VXLAN devices on host 1"
	assert_contains "$(ip netns exec fh1 nft list set inet berth fabric6)" 'fd80::/48 . "hg"'
	# sources kept over IPv6 both ways (and IPv4 still), unencapsulated on the switch
	serve a "$a6" 8080 a
	serve b "$b6" 8080 b
	assert_eq "$(seen_source b "$a6" 8080)" "$b6"
	assert_eq "$(seen_source a "$b6" 8080)" "$a6"
	serve a "$A" 8081 a
	assert_eq "$(seen_source b "$A" 8081)" "$B"
	ip netns exec fsw nft add table bridge sw
	ip netns exec fsw nft add chain bridge sw tally '{ type filter hook forward priority 0; }'
	ip netns exec fsw nft add rule bridge sw tally ip6 saddr "$b6" ip6 daddr "$a6" tcp dport 8080 counter
	assert_eq "$(seen_source b "$a6" 8080)" "$b6"
	assert_not_contains "$(ip netns exec fsw nft list chain bridge sw tally)" "packets 0 "
	# two host-gw networks stay apart over IPv6 across hosts
	assert_ok fab_netctl 2 network create hg2 --subnet 10.81.0.0/16 --subnet6 fd81::/48 --fabric --mode host-gw
	wait_for 10 fab_netctl 1 network inspect hg2 || fail "host 1 has no hg2"
	d6=$(fab_container 2 d hg2 >/dev/null; fab_ip6 d)
	serve d "$d6" 8081 d
	wait_for 5 eval "fab_peer_routes6 1 | grep -q '^fd81:.* via $ll2 dev eth0'" || fail "$(fab_peer_routes6 1)"
	request d "$a6" 8080 1000 >/dev/null 2>&1 && fail "hg2 reached hg over IPv6 across hosts"
	request a "$d6" 8081 1000 >/dev/null 2>&1 && fail "hg reached hg2 over IPv6 across hosts"
	# a resync of what matches writes nothing (the link-local next hops are recognised)
	fab_wait_sync 10 1 2
	w=$(fab_writes 1)
	sleep 3.5
	assert_eq "$(fab_writes 1)" "$w" "resyncs that wrote something on host 1"
	# a host whose records carry no link-local address: its IPv4 block is routed, its IPv6 one cannot be,
	# and the others' routes are still kept: an IPv6 route deleted by hand comes back
	lease=$(fab_etcdctl lease grant 60 | awk '{print $2}')
	fab_etcdctl put --lease "$lease" /berth/v1/nodes/h9 '{"node":"h9","underlay":"192.0.2.99","started":1}' >/dev/null
	fab_etcdctl put --lease "$lease" /berth/v1/blocks/hg/10.80.200.0-24 \
		'{"node":"h9","underlay":"192.0.2.99","vtep_mac":"0e:01:c0:00:02:63"}' >/dev/null
	fab_etcdctl put --lease "$lease" /berth/v1/blocks/hg/fd80:0:0:99::-64 \
		'{"node":"h9","underlay":"192.0.2.99","vtep_mac":"0e:01:c0:00:02:63"}' >/dev/null
	wait_for 10 eval "fab_peer_routes 1 | grep -q '^10.80.200.0/24 via 192.0.2.99 dev eth0'" ||
		fail "h9's IPv4 block is not routed: $(fab_peer_routes 1)"
	ip -n fh1 -6 route del "$blk2"
	assert_not_contains "$(fab_peer_routes6 1)" "$blk2"
	wait_for 10 eval "fab_peer_routes6 1 | grep -q '^$blk2 via $ll2 dev eth0'" ||
		fail "route not restored: $(fab_peer_routes6 1)"
	assert_not_contains "$(fab_peer_routes6 1)" "fd80:0:0:99::"
	assert_contains "$(cat "$FAB_DIR/h1/netd.log")" "published no link-local address"
	assert_eq "$(seen_source b "$a6" 8080)" "$b6"
}

t "reachability matrix across 3 hosts, sources kept" test_reachability_matrix
t "netctl graph draws hosts and tunnels, netctl routes the overlay routes" test_netctl_graph_and_routes
t "berth-cni on a fabric network takes its host's block" test_cni_on_fabric
t "berth run with netd's hand-off on a fabric network" test_runtime_on_fabric
t "netd's watch cancelled by compaction: it lists again and converges" test_watch_cancelled_by_compaction
t "VXLAN only from the underlay addresses of known hosts" test_vxlan_only_from_known_hosts
t "host-gw: routes via the underlay, sources kept, no VXLAN" test_hostgw_routes_and_sources
t "host-gw: isolation between fabric networks and from the underlay" test_hostgw_isolation
t "host-gw: a dual-stack network, IPv6 via link-local next hops, sources kept, isolation, resync" test_hostgw_dual_stack
t "isolation between fabric networks across hosts" test_isolation_between_fabric_networks
t "a host joining later is reachable" test_host_joining_later
t "a dead host: removed after grace, block reclaimed after its lease" test_dead_host_removed_after_grace_and_block_reclaimed
t "etcd stopped: data plane stays, attach works, converges after" test_etcd_outage
t "netd kill -9 and restart: no packet lost" test_netd_kill9_loses_no_packet
t "entries deleted by hand come back" test_hand_deleted_entries_come_back
t "hosts racing for blocks never share one" test_racing_hosts_never_share_a_block
t "IPv6: reachability matrix on a dual-stack network, sources kept, a host joining later" test_ipv6_reachability_matrix
t "IPv6: an IPv6-only fabric network" test_ipv6_only
t "IPv6: isolation between fabric networks across hosts" test_ipv6_isolation_between_fabric_networks
t "IPv6: a route and neighbour deleted by hand come back" test_ipv6_hand_deleted_entries_come_back
t "IPv6: hosts racing for blocks never share one" test_racing_hosts_never_share_a_block6
t "IPv6 underlay: VXLAN over IPv6, both families, FDB, filter, resync, a host of the other family" test_ipv6_underlay
t "IPv6 underlay: host-gw routes an IPv4 network via inet6 next hops, an IPv6 one via the underlay" test_ipv6_underlay_hostgw
t_done
