#!/bin/bash
# berth-cni and netd on one state directory: CNI attachments are netd's
# endpoints (netctl ls shows them), both allocate from one pool under the same
# locks, and netd's reconcile keeps live CNI attachments and reclaims dead ones.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cni-lib.sh"

SOCK=$TMP/netd.sock
export BERTH_NETD_SOCKET=$SOCK
NETD_ARGS=(--socket "$SOCK" --state-dir "$STATE" --run-dir "$TMP/run")

netd_start() {
	netd "${NETD_ARGS[@]}" || fail "netd did not start"
}

netd_kill() {
	local pid
	pid=$(cat "$TMP/run/netd.pid")
	kill -9 "$pid"
	wait_for 5 test ! -e "/proc/$pid" || fail "netd still alive"
}

# A config that joins netd's default network berth0 (no IPAM keys).
JOIN=

netctl_sees_cni() {
	local res
	netd_start
	JOIN=$(conf 1.1.0 berth0 unused '. + {bridge: "berth0"} | del(.ipam)')
	res=$(cni_ok ADD cni1 "$(ns_add n1)" eth0 "$(with_ports '[{"hostPort":8080,"containerPort":80}]' "$JOIN")")
	assert_contains "$(res_cidr "$res")" "10.66."
	assert_eq "$(netctl --json ls | jq -r '.[] | select(.id == "cni1") | .ip')" "$(res_ip "$res")"
	assert_contains "$(netctl ls)" "cni1"
	assert_contains "$(netctl ports)" "8080"
	# a network a CNI config defines is netd's network too
	cni_ok ADD cni2 "$(ns_add n2)" eth0 "$(conf 1.1.0 cninet 10.150.0.0/24)" >/dev/null
	assert_contains "$(netctl network ls)" "cninet"
	assert_eq "$(netctl --json ls | jq -r '.[] | select(.id == "cni2") | .network')" cninet
	cni_ok DEL cni1 /run/netns/n1 eth0 "$JOIN" >/dev/null
	cni_ok DEL cni2 /run/netns/n2 eth0 "$(conf 1.1.0 cninet 10.150.0.0/24)" >/dev/null
	assert_eq "$(netctl --json ls | jq length)" 0
	assert_eq "$(netctl --json status berth0 | jq .addresses_used)" 0
	netd_kill
}

# netctl attach (through netd) and berth-cni ADD at once on one network: one pool, distinct addresses.
shared_pool() {
	local i pids=()
	netd_start
	JOIN=$(conf 1.1.0 berth0 unused '. + {bridge: "berth0"} | del(.ipam)')
	for i in $(seq 16); do
		ns_add "a$i" >/dev/null
		ns_add "b$i" >/dev/null
	done
	for i in $(seq 16); do
		netctl --json attach "netd-$i" --netns "/run/netns/a$i" --network berth0 >"$TMP/n$i" 2>&1 &
		pids+=($!)
		cni ADD "cni-$i" "/run/netns/b$i" eth0 "$JOIN" >"$TMP/c$i" 2>&1 &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || fail "an attach failed: $(cat "$TMP"/n* "$TMP"/c*)"; done
	assert_eq "$(netctl --json ls | jq '[.[].ip] | unique | length')" 32 "distinct addresses"
	assert_eq "$(netctl --json status berth0 | jq .addresses_used)" 32
	# either side removes the other's: one store
	cni_ok DEL netd-1 "" eth0 "$JOIN" >/dev/null
	netctl detach cni-1 >/dev/null || fail "netctl detach of a CNI attachment"
	assert_eq "$(netctl --json status berth0 | jq .addresses_used)" 30
	for i in $(seq 2 16); do
		netctl detach "netd-$i" >/dev/null
		cni_ok DEL "cni-$i" "" eth0 "$JOIN" >/dev/null
	done
	assert_eq "$(netctl --json ls | jq length)" 0
	assert_clean berth0
	netd_kill
}

# netd restarted: reconcile keeps CNI attachments whose namespace lives, drops the others.
link_gone() {
	! ip link show "$1" >/dev/null 2>&1
}

reconcile_keeps_live_cni() {
	local res dead
	netd_start
	JOIN=$(conf 1.1.0 berth0 unused '. + {bridge: "berth0"} | del(.ipam)')
	res=$(cni_ok ADD live "$(ns_add r1)" eth0 "$(with_ports '[{"hostPort":8181,"containerPort":80}]' "$JOIN")")
	dead=$(cni_ok ADD dead "$(ns_add r2)" eth0 "$(with_ports '[{"hostPort":8182,"containerPort":80}]' "$JOIN")")
	netd_kill
	ip netns del r2
	# the kernel tears a namespace down asynchronously; its veth goes with it
	wait_for 10 link_gone "$(jq -r '.interfaces[1].name' <<<"$dead")" || fail "r2's veth outlived it"
	netd_start
	assert_eq "$(netctl --json ls | jq -r '[.[].id] | join(",")')" live
	has 8181 nft_elems || fail "live's port lost"
	if has 8182 nft_elems; then fail "dead's port kept"; fi
	[ ! -f "$STATE/ports/tcp-8182.json" ] || fail "dead's claim kept"
	cni_ok CHECK live /run/netns/r1 eth0 "$(with_prev "$JOIN" "$res")" >/dev/null
	cni_ok DEL live /run/netns/r1 eth0 "$JOIN" >/dev/null
	assert_clean berth0
	netd_kill
}

# CNI GC removes only what CNI attached to its network: netd's (and the runtime's, which go through
# netd) endpoints on the same network are not the runtime's attachments to list.
gc_spares_netd_endpoints() {
	local res web
	netd_start
	JOIN=$(conf 1.1.0 berth0 unused '. + {bridge: "berth0"} | del(.ipam)')
	web=$(netctl --json attach web --netns "$(ns_add w1)" -p 8090:80 | jq -r .ip) || fail "netctl attach"
	res=$(cni_ok ADD cni1 "$(ns_add g1)" eth0 "$(with_ports '[{"hostPort":8091,"containerPort":80}]' "$JOIN")")
	cni_ok GC "$(jq -c '.["cni.dev/valid-attachments"] = []' <<<"$JOIN")" >/dev/null
	assert_eq "$(netctl --json ls | jq -r '[.[].id] | join(",")')" web "GC removed netd's endpoint"
	assert_eq "$(netctl --json ls | jq -r '.[0].owner')" netd
	assert_eq "$(netctl --json status berth0 | jq .addresses_used)" 1 "netd's lease"
	has 8090 nft_elems || fail "netd's published port lost"
	if has 8091 nft_elems; then fail "the CNI attachment's port kept"; fi
	[ -f "$STATE/ports/tcp-8090.json" ] || fail "netd's port claim lost"
	serve w1 0.0.0.0 80 web
	assert_contains "$(request - "$web" 80)" "web "
	assert_contains "$(request - 127.0.0.1 8090)" "web "
	assert_ok netctl detach web
	assert_clean berth0
	netd_kill
}

# Two state directories, one ruleset: netd's and a CNI config with a dataDir of its own. Either
# side's reconcile rebuilds berth's tables with its own records and keeps the other's elements.
two_stores() {
	local web other
	web=$(request - 127.0.0.1 8092 2000) || fail "$1: netd's published port"
	assert_contains "$web" "web "
	other=$(request - 127.0.0.1 8093 2000) || fail "$1: the other store's published port"
	assert_contains "$other" "other "
	# isolation between the stores' networks holds both ways
	request s1 10.151.0.2 80 500 && fail "$1: netd's container reached the other store's"
	request s2 "$WEB_IP" 80 500 && fail "$1: the other store's container reached netd's"
	return 0
}

stores_share_the_ruleset() {
	local c2 sock2=$TMP/netd2.sock
	netd_start
	WEB_IP=$(netctl --json attach web --netns "$(ns_add s1)" -p 8092:80 | jq -r .ip) || fail "netctl attach"
	c2=$(conf 1.1.0 other 10.151.0.0/24 ". + {dataDir: \"$TMP/state2\"}")
	cni_ok ADD c2 "$(ns_add s2)" eth0 "$(with_ports '[{"hostPort":8093,"containerPort":80}]' "$c2")" >/dev/null
	serve s1 0.0.0.0 80 web
	serve s2 0.0.0.0 80 other
	two_stores "both attached"
	# netd restarts: its reconcile rebuilds the tables from its own records
	netd_kill
	netd_start
	two_stores "netd restarted"
	# and a netd of the other store does the same from the other side
	echo '{"networks": [], "default_network": null}' >"$TMP/netd2.json"
	netd --config "$TMP/netd2.json" --socket "$sock2" --state-dir "$TMP/state2" --run-dir "$TMP/run2" ||
		fail "second netd did not start"
	two_stores "the other store's netd started"
	BERTH_NETD_SOCKET=$sock2 netctl reconcile >/dev/null || fail "reconcile of the other store"
	two_stores "the other store reconciled"
	kill "$(cat "$TMP/run2/netd.pid")"
	cni_ok DEL c2 /run/netns/s2 eth0 "$c2" >/dev/null
	assert_ok netctl detach web
	netd_kill
}

t "netctl ls / ports / network ls show CNI attachments and networks" netctl_sees_cni
t "netctl attach and berth-cni ADD share one pool at once" shared_pool
t "netd's reconcile keeps live CNI attachments and reclaims dead ones" reconcile_keeps_live_cni
t "CNI GC removes CNI attachments of its network only, never netd's" gc_spares_netd_endpoints
t "two state directories share berth's tables: either side's reconcile keeps the other's" stores_share_the_ruleset
t_done
