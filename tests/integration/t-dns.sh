#!/bin/bash
# netd's DNS server: names and aliases of the networks a container is on, forwarding to the host's
# nameservers, SERVFAIL when they are down, and nothing for queries from anywhere but the bridge;
# over IPv4 and IPv6 (dual-stack and IPv6-only networks); port 53 published on every address
# leaves the neighbours' queries to their gateway to netd.
. "$(dirname "$0")/lib.sh"

SOCK=$TMP/netd.sock
export BERTH_NETD_SOCKET=$SOCK
GW=10.66.0.1
HAVE6=
[ -e /proc/sys/net/ipv6 ] && HAVE6=1
# ds: dual stack; v6: IPv6 only
GW_DS=10.72.0.1
GW6=fd00:72::1
GW_V6=fd00:73::1
UPLOG=$TMP/upstream.log

fresh() {
	ip -all netns delete 2>/dev/null || true
	for l in $(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1); do
		[ "$l" = lo ] || ip link del "$l" 2>/dev/null || true
	done
	nft delete table inet berth 2>/dev/null || true
	rm -rf "$TMP/state" "$TMP/run" "$SOCK" "$UPLOG"
	return 0
}

# netd with berth0 (10.66.0.0/16), blue (10.70.0.0/24) and the internal iso (10.71.0.0/24), and
# where the kernel has IPv6 ds (10.72.0.0/24 and fd00:72::/64) and v6 (fd00:73::/64);
# the upstream namespace runs a resolver on 198.51.100.1 that knows example.test.
start_netd() {
	fresh
	upstream_add
	: >"$UPLOG"
	# shellcheck disable=SC2016
	ip netns exec upstream tst-dns serve --log "$UPLOG" $UPSTREAM_GW_IP example.test=192.0.2.7 >"$TMP/up.out" &
	_t_pids+=($!)
	wait_for 5 grep -q ready "$TMP/up.out" || fail "the upstream resolver did not start"
	echo "nameserver $UPSTREAM_GW_IP" >"$TMP/resolv.conf"
	local six=
	[ -n "$HAVE6" ] && six=',{"name": "ds", "subnet": "10.72.0.0/24", "subnet6": "fd00:72::/64"},
		{"name": "v6", "subnet6": "fd00:73::/64"}'
	cat >"$TMP/netd.json" <<-JSON
		{"dns": {"resolv_conf": "$TMP/resolv.conf", "ttl": 2, "upstream_timeout_ms": 1500${DNS_EXTRA:-}},
		 "networks": [{"name": "berth0", "subnet": "10.66.0.0/16"},
		              {"name": "blue", "subnet": "10.70.0.0/24"},
		              {"name": "iso", "subnet": "10.71.0.0/24", "internal": true}$six]}
	JSON
	spawn netd --config "$TMP/netd.json" --foreground --socket "$SOCK" --state-dir "$TMP/state" \
		--run-dir "$TMP/run" --log-level info 2>>"$TMP/netd.log"
	wait_for 5 test -S "$SOCK" || fail "netd did not start: $(cat "$TMP/netd.log")"
}

# ctr NAME [attach options...]: a namespace NAME attached as container NAME
ctr() {
	local n=$1
	shift
	netns_add "$n"
	assert_ok netctl attach "$n" --netns "/run/netns/$n" "$@"
}

q() {
	local ns=$1
	shift
	ip netns exec "$ns" tst-dns query "$@"
}

names_and_aliases() {
	start_netd
	ctr c1 --name client
	ctr c2 --name web --alias www --alias api
	ip2=$(netctl inspect c2 --json | jq -r '.[0].ip')
	out=$(q c1 $GW web)
	assert_contains "$out" "NOERROR aa $ip2" "by name (UDP)"
	assert_contains "$(q c1 --tcp $GW web)" "NOERROR aa $ip2" "by name (TCP)"
	assert_contains "$(q c1 $GW www)" "NOERROR aa $ip2" "by alias (UDP)"
	assert_contains "$(q c1 --tcp $GW API)" "NOERROR aa $ip2" "by alias (TCP, another case)"
	assert_contains "$(q c1 $GW web.berth0)" "NOERROR aa $ip2" "NAME.NETWORK"
	assert_contains "$(q c1 $GW web.)" "NOERROR aa $ip2" "fully qualified"
	# no AAAA yet: the name exists, without data of that type
	out=$(q c1 --type AAAA $GW web)
	assert_contains "$out" "NOERROR aa"
	assert_not_contains "$out" "$ip2"
	# a reverse lookup of an address of the network
	rev=$(echo "$ip2" | awk -F. '{print $4"."$3"."$2"."$1".in-addr.arpa"}')
	assert_contains "$(q c1 --type PTR $GW "$rev")" "NOERROR aa web.berth0."
	# ANY is not answered
	assert_contains "$(q c1 --type ANY $GW web)" "NOTIMPL"
	# the listing
	out=$(netctl dns berth0)
	assert_line "$out" "^web +$ip2 +c2 +eth0 +name"
	assert_line "$out" "^www +$ip2 +c2 +eth0 +alias"
	assert_contains "$(netctl dns berth0 --json)" '"name": "api"'
	# the attach reply and network inspect say where to ask
	assert_contains "$(netctl --json network inspect berth0 | jq -c .dns)" "{\"nameservers\":[\"$GW\"],\"search\":[\"berth0\"]}"
	# nothing was forwarded for all this
	assert_eq "$(wc -l <"$UPLOG")" 0 "queries reached upstream"
}

assert_line() {
	grep -qE "$2" <<<"$1" || fail "no line matches /$2/ in: $1"
}

follows_attach() {
	start_netd
	ctr c1 --name client
	ctr c2 --name web
	ip2=$(netctl inspect c2 --json | jq -r '.[0].ip')
	assert_contains "$(q c1 $GW web)" "NOERROR aa $ip2"
	assert_ok netctl detach c2
	# at once, well within the TTL
	assert_contains "$(q c1 $GW web.berth0)" "NXDOMAIN"
	# attached again with another address: found there
	assert_ok netctl attach c2 --netns /run/netns/c2 --name web --ip 10.66.9.9
	assert_contains "$(q c1 $GW web)" "NOERROR aa 10.66.9.9"
}

other_networks() {
	start_netd
	ctr c1 --name client
	ctr b1 --network blue --name bluey
	ctr both --name both
	ip -n both route del default
	assert_ok netctl attach both --netns /run/netns/both --network blue --name both-blue --ifname eth1
	# a container on another network is not found from berth0 (and is not forwarded: NAME.NETWORK of
	# a network the asker is not on is just a name)
	out=$(q c1 $GW bluey.blue)
	assert_contains "$out" "NXDOMAIN"
	assert_not_contains "$out" "10.70."
	# the container on both networks sees both
	assert_contains "$(q both $GW bluey)" "NOERROR aa 10.70.0."
	assert_contains "$(q both 10.70.0.1 client)" "NOERROR aa 10.66."
	# and is seen by each under the name given on that network
	assert_contains "$(q b1 10.70.0.1 both-blue)" "NOERROR aa 10.70.0."
}

forwarding() {
	start_netd
	ctr c1 --name client
	assert_contains "$(q c1 $GW example.test)" " 192.0.2.7" "forwarded over UDP"
	assert_contains "$(q c1 --tcp $GW example.test)" " 192.0.2.7" "forwarded over TCP"
	assert_contains "$(q c1 $GW nothing.test)" "NXDOMAIN" "upstream's NXDOMAIN relayed"
	assert_contains "$(cat "$UPLOG")" "example.test."
	# resolv.conf changes are followed: no nameserver at all now
	echo "# none" >"$TMP/resolv.conf"
	sleep 0.2
	assert_contains "$(q c1 $GW example.test)" "SERVFAIL"
	# an internal network forwards nothing
	ctr i1 --network iso --name insider
	: >"$UPLOG"
	echo "nameserver $UPSTREAM_GW_IP" >"$TMP/resolv.conf"
	assert_contains "$(q i1 10.71.0.1 example.test)" "REFUSED"
	assert_contains "$(q i1 10.71.0.1 insider)" "NOERROR aa 10.71.0."
	assert_eq "$(wc -l <"$UPLOG")" 0 "an internal network's query went upstream"
}

upstream_down() {
	start_netd
	ctr c1 --name client
	# the resolver's address answers nothing at all (not even ICMP)
	ip netns exec upstream nft add table inet blk
	ip netns exec upstream nft add chain inet blk in '{ type filter hook input priority 0; policy drop; }'
	start=$(date +%s%N)
	out=$(q c1 --timeout 5000 $GW example.test)
	ms=$((($(date +%s%N) - start) / 1000000))
	assert_contains "$out" "SERVFAIL"
	[ $ms -lt 3000 ] || fail "SERVFAIL took $ms ms"
	# a resolver that is gone (ICMP unreachable): SERVFAIL too, and sooner
	ip netns exec upstream nft delete table inet blk
	kill "${_t_pids[0]}"
	out=$(q c1 --tcp --timeout 5000 $GW example.test)
	assert_contains "$out" "SERVFAIL"
}

not_open() {
	start_netd
	ctr c1 --name client
	ctr c2 --name web
	# from the upstream side, to the gateway's address (routed to the host): nothing
	ip -n upstream route add 10.66.0.0/16 via $UPSTREAM_HOST_IP
	assert_fails ip netns exec upstream tst-dns query --timeout 500 $GW web
	assert_contains "$FAIL_OUT" "TIMEOUT"
	assert_fails ip netns exec upstream tst-dns query --tcp --timeout 500 $GW web
	# from the host itself: not a berth bridge's client either
	assert_fails tst-dns query --timeout 500 $GW web
	# a spoofed source from another network's range, sent on berth0
	ip -n c1 addr add 10.70.0.77/32 dev eth0
	assert_fails q c1 --bind 10.70.0.77 --timeout 500 $GW web
	assert_contains "$FAIL_OUT" "TIMEOUT"
	# and a container on blue asking berth0's gateway across: nothing
	ctr b1 --network blue --name bluey
	ip -n b1 route add 10.66.0.0/16 via 10.70.0.1 2>/dev/null || true
	assert_fails q b1 --timeout 500 $GW web
	# the real one still works
	assert_contains "$(q c1 $GW web)" "NOERROR aa"
}

amplification() {
	start_netd
	ctr c1 --name client
	for i in $(seq 1 40); do
		netns_add "r$i"
		assert_ok netctl attach "r$i" --netns "/run/netns/r$i" --alias many
	done
	out=$(q c1 $GW many)
	# a 24-byte query: at most 10 times that over UDP, truncated
	assert_contains "$out" "NOERROR aa tc"
	size=$(grep -o 'size=[0-9]*' <<<"$out" | cut -d= -f2)
	[ "$size" -le 240 ] || fail "answer of $size bytes to a small query"
	# TCP has them all
	n=$(q c1 --tcp $GW many | wc -w)
	[ "$n" -ge 43 ] || fail "TCP answer with $n words"
}

domain() {
	DNS_EXTRA=', "domain": "berth.internal"' start_netd
	ctr c1 --name client
	ctr c2 --name web
	ip2=$(netctl inspect c2 --json | jq -r '.[0].ip')
	assert_contains "$(q c1 $GW web.berth.internal)" "NOERROR aa $ip2"
	assert_contains "$(q c1 $GW web.berth0.berth.internal)" "NOERROR aa $ip2"
	# the domain is ours: an unknown name there is not forwarded
	assert_contains "$(q c1 $GW nope.berth.internal)" "NXDOMAIN"
	assert_eq "$(wc -l <"$UPLOG")" 0
	assert_contains "$(netctl --json network inspect berth0 | jq -c .dns.search)" '["berth0","berth.internal"]'
}

# berth-cni, another process on the same state directory: its attach resolves at once (netd's watch on
# the store), and its result names netd's resolver
cni_attach() {
	start_netd
	ctr c1 --name client
	netns_add p1
	conf='{"cniVersion":"1.1.0","name":"berth0","type":"berth-cni","bridge":"berth0","isGateway":true,
	       "isDefaultGateway":true,"dataDir":"'"$TMP/state"'","runtimeConfig":{"aliases":{"berth0":["pod-alias"]}}}'
	res=$(printf '%s' "$conf" | env CNI_COMMAND=ADD CNI_CONTAINERID=pod1 CNI_NETNS=/run/netns/p1 CNI_IFNAME=eth0 \
		CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=mypod" CNI_PATH="$BIN" berth-cni) ||
		fail "berth-cni ADD: $res"
	ip=$(jq -r '.ips[0].address' <<<"$res" | cut -d/ -f1)
	assert_eq "$(jq -c .dns <<<"$res")" "{\"nameservers\":[\"$GW\"],\"search\":[\"berth0\"]}"
	# seen at once (bench-dns measures how soon: well under 50 ms)
	wait_for 1 sh -c "ip netns exec c1 tst-dns query $GW mypod | grep -q NOERROR" || fail "mypod never resolved"
	assert_contains "$(q c1 $GW mypod)" "NOERROR aa $ip"
	assert_contains "$(q c1 $GW pod-alias)" "NOERROR aa $ip"
	printf '%s' "$conf" | env CNI_COMMAND=DEL CNI_CONTAINERID=pod1 CNI_NETNS=/run/netns/p1 CNI_IFNAME=eth0 \
		CNI_PATH="$BIN" berth-cni >/dev/null || fail "berth-cni DEL"
	assert_ok wait_for 1 sh -c "ip netns exec c1 tst-dns query $GW mypod | grep -q NXDOMAIN"
	# without netd serving the store, no nameserver is named
	pid=$(cat "$TMP/run/netd.pid")
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	netns_add p2
	res=$(printf '%s' "$conf" | env CNI_COMMAND=ADD CNI_CONTAINERID=pod2 CNI_NETNS=/run/netns/p2 CNI_IFNAME=eth0 \
		CNI_PATH="$BIN" berth-cni) || fail "berth-cni ADD: $res"
	assert_eq "$(jq -c '.dns // {}' <<<"$res")" "{}"
}

# ip6.arpa name of fd00:72::N (N one hex digit)
rev6() {
	echo "$1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.7.0.0.0.0.d.f.ip6.arpa"
}

# a dual-stack network, asked on its IPv6 gateway: the asker is known by its IPv6 address
ipv6_transport() {
	[ -n "$HAVE6" ] || skip "this kernel has no IPv6"
	start_netd
	ctr d1 --network ds --name client
	ctr both --network ds --name both --ip6 fd00:72::b
	ip -n both route del default
	ip -n both -6 route del default
	assert_ok netctl attach both --netns /run/netns/both --network blue --name both-blue --ifname eth1
	ctr d2 --network ds --name web --alias www --ip6 fd00:72::a
	ip2=$(netctl inspect d2 --json | jq -r '.[0].ip')
	assert_contains "$(q d1 $GW6 web)" "NOERROR aa $ip2" "A over IPv6 (UDP)"
	assert_contains "$(q d1 --tcp $GW6 www)" "NOERROR aa $ip2" "A by alias over IPv6 (TCP)"
	assert_contains "$(q d1 --type AAAA $GW6 web)" "NOERROR aa fd00:72::a" "AAAA over IPv6"
	assert_contains "$(q d1 --type AAAA --tcp "[$GW6]:53" www.ds)" "NOERROR aa fd00:72::a"
	assert_contains "$(q d1 --type AAAA $GW_DS web)" "NOERROR aa fd00:72::a" "AAAA over IPv4"
	# PTR of an IPv6 address; one of the subnet without a name is NXDOMAIN, another's is forwarded
	assert_contains "$(q d1 --type PTR $GW6 "$(rev6 a)")" "NOERROR aa web.ds."
	assert_contains "$(q d1 --type PTR $GW_DS "$(rev6 a)")" "NOERROR aa web.ds."
	assert_contains "$(q d1 --type PTR $GW6 "$(rev6 9)")" "NXDOMAIN"
	assert_eq "$(wc -l <"$UPLOG")" 0 "queries reached upstream"
	assert_contains "$(q d1 $GW6 example.test)" " 192.0.2.7" "forwarded, asked over IPv6"
	assert_contains "$(q d1 --tcp $GW6 example.test)" " 192.0.2.7"
	# the container on two networks sees both, asking by its IPv6 address; the others do not
	assert_contains "$(q both $GW6 bluey)" "NXDOMAIN"
	ctr b1 --network blue --name bluey
	assert_contains "$(q both $GW6 bluey)" "NOERROR aa 10.70.0."
	assert_contains "$(q d1 $GW6 bluey.blue)" "NXDOMAIN"
	# where to ask: both gateways
	assert_contains "$(netctl --json network inspect ds | jq -c .dns)" \
		"{\"nameservers\":[\"$GW_DS\",\"$GW6\"],\"search\":[\"ds\"]}"
	netns_add d3
	out=$(netctl --json attach d3 --netns /run/netns/d3 --network ds --name d3)
	assert_contains "$(jq -c .dns <<<"$out")" "\"nameservers\":[\"$GW_DS\",\"$GW6\"]"
	assert_contains "$(netctl dns ds)" "resolver $GW_DS $GW6"
	# berth-cni's result names both too, and its pod resolves over IPv6
	netns_add p1
	conf='{"cniVersion":"1.1.0","name":"ds","type":"berth-cni","bridge":"ds","isGateway":true,
	       "dataDir":"'"$TMP/state"'"}'
	res=$(printf '%s' "$conf" | env CNI_COMMAND=ADD CNI_CONTAINERID=pod1 CNI_NETNS=/run/netns/p1 CNI_IFNAME=eth0 \
		CNI_ARGS="K8S_POD_NAME=mypod" CNI_PATH="$BIN" berth-cni) || fail "berth-cni ADD: $res"
	assert_eq "$(jq -c .dns <<<"$res")" "{\"nameservers\":[\"$GW_DS\",\"$GW6\"],\"search\":[\"ds\"]}"
	ip6=$(jq -r '.ips[] | select(.address | contains(":")) | .address' <<<"$res" | cut -d/ -f1)
	[ -n "$ip6" ] || fail "no IPv6 address in $res"
	wait_for 1 sh -c "ip netns exec d1 tst-dns query --type AAAA $GW6 mypod | grep -q NOERROR" || fail "no mypod"
	assert_contains "$(q d1 --type AAAA $GW6 mypod)" "NOERROR aa $ip6"
	# detached: gone at once over IPv6 too
	assert_ok netctl detach d2
	assert_contains "$(q d1 --type AAAA $GW6 web)" "NXDOMAIN"
}

# an IPv6-only network: netd serves it on its IPv6 gateway
ipv6_only() {
	[ -n "$HAVE6" ] || skip "this kernel has no IPv6"
	start_netd
	ctr o1 --network v6 --name lonely
	ctr o2 --network v6 --name other --alias buddy --ip6 fd00:73::b
	assert_contains "$(q o1 --type AAAA $GW_V6 other)" "NOERROR aa fd00:73::b"
	assert_contains "$(q o1 --type AAAA --tcp $GW_V6 buddy.v6)" "NOERROR aa fd00:73::b"
	out=$(q o1 $GW_V6 other)
	assert_contains "$out" "NOERROR aa"
	assert_not_contains "$out" "0.0.0.0"
	assert_contains "$(q o1 --type PTR $GW_V6 "b.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.7.0.0.0.0.d.f.ip6.arpa")" \
		"NOERROR aa other.v6."
	assert_contains "$(q o1 $GW_V6 example.test)" " 192.0.2.7" "forwarded"
	assert_contains "$(netctl --json network inspect v6 | jq -c .dns)" "{\"nameservers\":[\"$GW_V6\"],\"search\":[\"v6\"]}"
	out=$(netctl dns v6)
	assert_line "$out" "^buddy +fd00:73::b +o2 +eth0 +alias"
	assert_contains "$out" "resolver $GW_V6,"
}

# nothing from outside the bridge, nor from another network's IPv6 range, over IPv6 either
not_open6() {
	[ -n "$HAVE6" ] || skip "this kernel has no IPv6"
	start_netd
	ctr d1 --network ds --name client
	ctr d2 --network ds --name web
	# from the upstream side, to the IPv6 gateway (routed to the host): nothing
	ip -n upstream -6 route add fd00:72::/64 via $UPSTREAM_HOST_IP6
	assert_fails ip netns exec upstream tst-dns query --timeout 500 $GW6 web
	assert_contains "$FAIL_OUT" "TIMEOUT"
	assert_fails ip netns exec upstream tst-dns query --tcp --timeout 500 $GW6 web
	# from the host itself
	assert_fails tst-dns query --timeout 500 $GW6 web
	# a spoofed source from another network's IPv6 range, sent on ds
	ip -n d1 addr add fd00:73::77/128 dev eth0 nodad
	assert_fails q d1 --bind fd00:73::77 --timeout 500 $GW6 web
	assert_contains "$FAIL_OUT" "TIMEOUT"
	# a container of the IPv6-only network asking ds's gateway across: nothing
	ctr o1 --network v6 --name lonely
	ip -n o1 -6 route add fd00:72::/64 via $GW_V6 2>/dev/null || true
	assert_fails q o1 --timeout 500 $GW6 web
	# the real one still works
	assert_contains "$(q d1 $GW6 web)" "NOERROR aa"
}

# a container that publishes port 53 on every host address gets the outside's queries, not its
# neighbours' queries to their gateway (IPv4 and IPv6): those are netd's
port53_published() {
	[ -n "$HAVE6" ] || skip "this kernel has no IPv6"
	start_netd
	netns_add p1
	ip netns exec p1 tst-dns serve --log "$TMP/ctr.log" "::" web=203.0.113.9 >"$TMP/ctr.out" &
	_t_pids+=($!)
	wait_for 5 grep -q ready "$TMP/ctr.out" || fail "the container's resolver did not start"
	assert_ok netctl attach p1 --netns /run/netns/p1 --network ds --name resolver -p 53:53/udp -p 53:53/tcp
	assert_not_contains "$(cat "$TMP/netd.log")" "publishes port 53"
	ctr d1 --network ds --name client
	ctr d2 --network ds --name web --ip6 fd00:72::a
	ip2=$(netctl inspect d2 --json | jq -r '.[0].ip')
	assert_contains "$(q d1 $GW_DS web)" "NOERROR aa $ip2"
	assert_contains "$(q d1 --tcp $GW_DS web)" "NOERROR aa $ip2"
	assert_contains "$(q d1 --type AAAA $GW6 web)" "NOERROR aa fd00:72::a"
	assert_contains "$(q d1 --tcp --type AAAA $GW6 web)" "NOERROR aa fd00:72::a"
	assert_eq "$(wc -l <"$TMP/ctr.log")" 0 "the container got its neighbours' queries"
	# the published port: the outside's queries to the host, both families
	assert_contains "$(ip netns exec upstream tst-dns query $UPSTREAM_HOST_IP web)" "NOERROR aa 203.0.113.9"
	assert_contains "$(ip netns exec upstream tst-dns query --tcp "[$UPSTREAM_HOST_IP6]:53" web)" \
		"NOERROR aa 203.0.113.9"
	assert_eq "$(wc -l <"$TMP/ctr.log")" 2
}

t "names and aliases, UDP and TCP" names_and_aliases
t "answers follow attach and detach" follows_attach
t "only the networks the container is on" other_networks
t "forwarding to the host's nameservers" forwarding
t "upstream down: SERVFAIL within 3 s" upstream_down
t "not an open resolver" not_open
t "answers no bigger than 10x the query over UDP" amplification
t "a search domain" domain
t "berth-cni's attaches resolve, and its result names the resolver" cni_attach
t "IPv6 transport: names, aliases, AAAA, PTR, forwarding on a dual-stack network" ipv6_transport
t "an IPv6-only network has DNS on its IPv6 gateway" ipv6_only
t "not an open resolver over IPv6" not_open6
t "port 53 published on every address leaves the gateway's queries to netd" port53_published
t_done
