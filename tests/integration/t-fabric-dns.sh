#!/bin/bash
# Names across the fabric: a container resolves, through its gateway's DNS, the names and aliases of
# containers on other hosts of its fabric network, which each host publishes in etcd on its short lease.
# Simulated hosts as in t-fabric.sh; DNS traffic only inside them and the switch's resolver.
cd "$(dirname "$0")/../.." || exit 2
source tests/integration/lib.sh
source tests/integration/lib-fabric.sh

FAB_NODE_TTL=2
FAB_GRACE_MS=1500
FAB_RESYNC_MS=3000
UPLOG=$TMP/resolver.log

# named N NAME NETWORK [attach options...]: container NAME on host N; prints its address
named() {
	local n=$1 name=$2 net=$3
	shift 3
	[ -e "/run/netns/$name" ] || netns_add "$name"
	fab_netctl "$n" attach "$name" --netns "/run/netns/$name" --network "$net" "$@" >/dev/null || return 1
	fab_ip "$name"
}

# q NS SERVER NAME [tst-dns options]: ask from container NS
q() {
	local ns=$1 server=$2 name=$3
	shift 3
	ip netns exec "$ns" tst-dns query "$@" "$server" "$name"
}

# resolves NS SERVER NAME ADDR: the answer is NOERROR, authoritative, with ADDR
resolves() {
	q "$1" "$2" "$3" | grep -q "NOERROR aa.* $4\b"
}

nxdomain() {
	q "$1" "$2" "$3" | grep -q NXDOMAIN
}

# Three hosts, the resolver on the switch, a fabric network fab on each; client on host 1 (GW1: its
# gateway), web (alias www) on host 3: $WEB its address.
three_hosts_client_web() {
	local n
	fab_up 3
	fab_resolver "$UPLOG"
	assert_ok fab_netctl 1 network create fab --subnet 10.70.0.0/16 --fabric
	for n in 1 2 3; do
		wait_for 10 fab_netctl "$n" network inspect fab || fail "host $n has no fab"
	done
	named 1 client fab --name client >/dev/null || fail "attach client"
	WEB=$(named 3 web fab --name web --alias www) || fail "attach web"
	GW1=$(fab_gateway 1 fab)
	[ -n "$GW1" ] && [ "$GW1" != null ] || fail "no gateway for fab on host 1"
	wait_for 5 resolves client "$GW1" web "$WEB" || fail "web never resolved on host 1: $(q client "$GW1" web)"
}

test_by_name_and_alias_across_hosts() {
	local rev out gw2 ip2
	three_hosts_client_web
	assert_contains "$(q client "$GW1" web)" "NOERROR aa $WEB" "by name (UDP)"
	assert_contains "$(q client "$GW1" web --tcp)" "NOERROR aa $WEB" "by name (TCP)"
	assert_contains "$(q client "$GW1" www)" "NOERROR aa $WEB" "by alias"
	assert_contains "$(q client "$GW1" WWW.fab.)" "NOERROR aa $WEB" "ALIAS.NETWORK., another case"
	rev=$(echo "$WEB" | awk -F. '{print $4"."$3"."$2"."$1".in-addr.arpa"}')
	assert_contains "$(q client "$GW1" "$rev" --type PTR)" "NOERROR aa web.fab."
	# and the other way round: host 3 knows host 1's client, host 2 knows both
	ip2=$(named 2 other2 fab --name middle) || fail "attach on host 2"
	gw2=$(fab_gateway 2 fab)
	wait_for 5 resolves web "$(fab_gateway 3 fab)" client "$(fab_ip client)" || fail "client not resolved on host 3"
	wait_for 5 resolves other2 "$gw2" web "$WEB" || fail "web not resolved on host 2"
	wait_for 5 resolves client "$GW1" middle "$ip2" || fail "middle not resolved on host 1"
	# netctl dns lists them with the host they come from
	out=$(fab_netctl 1 --json dns fab)
	assert_eq "$(jq -r '.names[] | select(.name == "www") | .source' <<<"$out")" "fabric:h3"
	assert_eq "$(jq -r '.names[] | select(.name == "client") | .source' <<<"$out")" "local"
	# what etcd holds: one key per endpoint, under the host's name, on its short lease
	out=$(fab_etcdctl get --prefix /berth/v1/names/fab/h3/ -w json)
	assert_eq "$(jq -r '.kvs | length' <<<"$out")" 1 "keys of host 3"
	assert_eq "$(jq -r '.kvs[0].key' <<<"$out" | base64 -d)" "/berth/v1/names/fab/h3/web/eth0"
	assert_eq "$(jq -r '.kvs[0].value' <<<"$out" | base64 -d | jq -c .)" \
		"{\"addresses\":[\"$WEB\"],\"aliases\":[\"www\"],\"name\":\"web\"}"
	[ "$(jq -r '.kvs[0].lease' <<<"$out")" != null ] || fail "the names key has no lease"
	# every answer came from the hosts' own index: nothing was forwarded
	assert_not_contains "$(cat "$UPLOG")" "web"
	assert_not_contains "$(cat "$UPLOG")" "www"
}

test_detach_gives_nxdomain_within_seconds() {
	local t0 ms ip
	three_hosts_client_web
	t0=$(date +%s%N)
	assert_ok fab_netctl 3 detach web
	wait_for 3 nxdomain client "$GW1" web || fail "web still answers on host 1: $(q client "$GW1" web)"
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "  # NXDOMAIN on host 1 $ms ms after the detach on host 3" >&2
	assert_contains "$(q client "$GW1" www.fab)" "NXDOMAIN"
	# no key left for it
	assert_eq "$(fab_etcdctl get --prefix /berth/v1/names/fab/h3/ --keys-only | grep -c .)" 0
	# attached again under another name and address: found there
	ip=$(named 3 web fab --name web2) || fail "attach web again"
	wait_for 3 resolves client "$GW1" web2 "$ip" || fail "web2 never resolved: $(q client "$GW1" web2)"
}

# berth-cni on host 3 (another process on its state store): netd's store watch sees the attach, and host 3
# publishes it like its own
test_berth_cni_attach_on_another_host() {
	local conf res ip
	three_hosts_client_web
	netns_add pod1
	conf='{"cniVersion":"1.1.0","name":"fab","type":"berth-cni","dataDir":"'"$FAB_DIR/h3/state"'",
	       "runtimeConfig":{"aliases":{"fab":["pod-alias"]}}}'
	res=$(printf '%s' "$conf" | ip netns exec fh3 env CNI_COMMAND=ADD CNI_CONTAINERID=pod1 \
		CNI_NETNS=/run/netns/pod1 CNI_IFNAME=eth0 CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAME=mypod" \
		CNI_PATH="$BIN" berth-cni) || fail "berth-cni ADD: $res"
	ip=$(jq -r '.ips[0].address' <<<"$res" | cut -d/ -f1)
	wait_for 3 resolves client "$GW1" mypod "$ip" || fail "mypod never resolved on host 1: $(q client "$GW1" mypod)"
	assert_contains "$(q client "$GW1" pod-alias)" "NOERROR aa $ip"
	printf '%s' "$conf" | ip netns exec fh3 env CNI_COMMAND=DEL CNI_CONTAINERID=pod1 CNI_NETNS=/run/netns/pod1 \
		CNI_IFNAME=eth0 CNI_PATH="$BIN" berth-cni >/dev/null || fail "berth-cni DEL"
	wait_for 3 nxdomain client "$GW1" mypod || fail "mypod still answers after DEL: $(q client "$GW1" mypod)"
	# web, attached through netd, is still there
	assert_contains "$(q client "$GW1" web)" "NOERROR aa $WEB"
}

test_dead_host_takes_its_names() {
	local t0 ms
	three_hosts_client_web
	# host 3 dies: netd killed, nobody renews its lease; the container stays, but its host is gone
	fab_netd_kill 3 KILL
	t0=$(date +%s%N)
	# until its lease runs out (2 s), its names are still the last word
	assert_contains "$(q client "$GW1" web)" "NOERROR aa $WEB"
	wait_for 10 nxdomain client "$GW1" web || fail "web still answers after its host died: $(q client "$GW1" web)"
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "  # a dead host's names gone $ms ms after its netd was killed (lease ttl ${FAB_NODE_TTL}s)" >&2
	assert_eq "$(fab_etcdctl get --prefix /berth/v1/names/ --keys-only | grep -c /h3/)" 0
	# host 1's own names still resolve
	assert_contains "$(q client "$GW1" client)" "NOERROR aa $(fab_ip client)"
	# host 3 back (same lease file, a new lease since the old one ran out): its names are published again
	fab_netd_start 3
	wait_for 10 resolves client "$GW1" web "$WEB" || fail "web not back after its host returned"
}

test_restarted_netd_keeps_names() {
	three_hosts_client_web
	# a restart within the lease renews it: the keys never go, answers never change
	fab_netd_kill 3 TERM
	fab_netd_start 3
	fab_wait_sync 10 3
	assert_contains "$(q client "$GW1" web)" "NOERROR aa $WEB"
	assert_eq "$(fab_etcdctl get --prefix /berth/v1/names/fab/h3/ --keys-only | grep -c .)" 1
}

test_other_fabric_network_not_found() {
	local secret gw3 n
	three_hosts_client_web
	assert_ok fab_netctl 2 network create other --subnet 10.71.0.0/16 --fabric
	for n in 1 3; do
		wait_for 10 fab_netctl "$n" network inspect other || fail "host $n has no other"
	done
	secret=$(named 3 secret other --name secret --alias hidden) || fail "attach secret"
	named 2 peer other --name peer >/dev/null || fail "attach peer"
	# on other, across hosts, it resolves
	wait_for 5 resolves peer "$(fab_gateway 2 other)" secret "$secret" || fail "secret not resolved on other"
	# from fab it is just a name: not ours (forwarded, NXDOMAIN from the switch's resolver), never its address
	assert_contains "$(q client "$GW1" secret)" "NXDOMAIN"
	assert_not_contains "$(q client "$GW1" hidden.other)" "$secret"
	# even asking host 3's fab gateway, next to it: not on fab
	gw3=$(fab_gateway 3 fab)
	assert_not_contains "$(q web "$gw3" secret)" "$secret"
	# and a container on other does not see fab's names
	assert_not_contains "$(q peer "$(fab_gateway 2 other)" web)" "$WEB"
	assert_contains "$(fab_netctl 1 --json dns other | jq -r '.names[].name')" "secret"
	assert_not_contains "$(fab_netctl 1 --json dns fab | jq -r '.names[].name')" "secret"
}

test_etcd_outage_keeps_names_and_republishes() {
	local late
	three_hosts_client_web
	fab_etcd_stop
	wait_for 10 eval "fab_netctl 1 fabric | grep -q DEGRADED" || fail "host 1 does not say degraded"
	# remote names stay as last seen, local ones resolve, local attaches resolve locally
	assert_contains "$(q client "$GW1" web)" "NOERROR aa $WEB"
	late=$(named 3 late fab --name late) || fail "attach during the outage"
	assert_contains "$(q web "$(fab_gateway 3 fab)" late)" "NOERROR aa $late"
	assert_ok fab_netctl 3 detach web
	sleep 1
	assert_contains "$(q client "$GW1" web)" "NOERROR aa $WEB" "a remote name during the outage"
	# etcd back: host 3 publishes what changed, host 1 lists again
	fab_etcd_start
	fab_wait_sync 15 1 3
	wait_for 10 resolves client "$GW1" late "$late" || fail "late never resolved: $(q client "$GW1" late)"
	wait_for 5 nxdomain client "$GW1" web || fail "web still answers: $(q client "$GW1" web)"
}

# a dual-stack fabric network: AAAA for a container on another host (its IPv6 address, published beside IPv4)
test_aaaa_across_hosts() {
	local n web web6 gw1 out
	fab_up 2
	assert_ok fab_netctl 1 network create fab --subnet 10.70.0.0/16 --subnet6 fd70::/48 --fabric
	for n in 1 2; do
		wait_for 10 fab_netctl "$n" network inspect fab || fail "host $n has no fab"
	done
	named 1 client fab --name client >/dev/null || fail "attach client"
	web=$(named 2 web fab --name web --alias www) || fail "attach web"
	web6=$(fab_ip6 web)
	[ -n "$web6" ] || fail "web has no IPv6 address"
	gw1=$(fab_gateway 1 fab)
	wait_for 5 resolves client "$gw1" web "$web" || fail "web never resolved on host 1: $(q client "$gw1" web)"
	assert_contains "$(q client "$gw1" web --type AAAA)" "NOERROR aa $web6" "AAAA by name"
	assert_contains "$(q client "$gw1" www --type AAAA)" "NOERROR aa $web6" "AAAA by alias"
	out=$(fab_etcdctl get /berth/v1/names/fab/h2/web/eth0 --print-value-only)
	assert_eq "$(jq -c . <<<"$out")" "{\"addresses\":[\"$web\",\"$web6\"],\"aliases\":[\"www\"],\"name\":\"web\"}"
}

t "by name and by alias across hosts, through the gateway's DNS" test_by_name_and_alias_across_hosts
t "AAAA across hosts on a dual-stack fabric network" test_aaaa_across_hosts
t "a detach on host 3: NXDOMAIN on host 1 within seconds" test_detach_gives_nxdomain_within_seconds
t "berth-cni's attach on another host resolves" test_berth_cni_attach_on_another_host
t "a dead host's names go with its lease" test_dead_host_takes_its_names
t "netd restarted: names stay" test_restarted_netd_keeps_names
t "a container on another fabric network is not found" test_other_fabric_network_not_found
t "etcd down: names stay; back: republished and resynced" test_etcd_outage_keeps_names_and_republishes
t_done
