#!/bin/bash
# The hand-off to netd: a bundle with annotation berth.network gets an
# address, a default route and published ports from netd during create;
# delete detaches. Without netd: a clear error and nothing left behind.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-runtime.sh"

SOCK=$TMP/netd.sock
export BERTH_NETD_SOCKET=$SOCK

start_netd() {
	spawn netd --foreground --socket "$SOCK" --state-dir "$TMP/netd-state" --run-dir "$TMP/netd-run" --log-level warn
	wait_for 5 test -S "$SOCK" || fail "netd did not start"
}

# A container listening on port 80 with busybox nc, reachable through netd's network.
attach_address_route_ports() {
	start_netd
	rt_config "$TMP/w1" userns=1 ns="pid network ipc uts mount cgroup time" \
		top_extra=',"annotations":{"berth.network":"berth0","berth.ports":"8080:80/tcp"}' \
		args='["sh","-c","while :; do nc -l -p 80 -e echo hello-from-w1; done"]'
	berth run -d --bundle "$TMP/w1" w1 || fail "run -d with berth.network"
	st=$(berth state w1)
	addr=$(echo "$st" | sed -n 's/.*"berth.network.address": "\([0-9./]*\)".*/\1/p')
	gw=$(echo "$st" | sed -n 's/.*"berth.network.gateway": "\([0-9.]*\)".*/\1/p')
	[ -n "$addr" ] || fail "no address annotation in: $st"
	assert_eq "$gw" 10.66.0.1 "gateway annotation"
	pid=$(rt_state_field w1 pid)
	# the kernel's view inside the container: eth0 with the address, a default route via the gateway
	inside=$(nsenter --net=/proc/$pid/ns/net ip -4 -o addr show dev eth0)
	assert_contains "$inside" "$addr"
	assert_eq "$(nsenter --net=/proc/$pid/ns/net ip route show default)" "default via 10.66.0.1 dev eth0 "
	# and what berth exec sees
	assert_contains "$(berth exec w1 ip route)" "default via 10.66.0.1"
	# traffic: the host reaches the container directly and through the published port
	ip=${addr%/*}
	wait_for 5 sh -c "echo | busybox nc -w 2 $ip 80 | grep -q hello-from-w1" || fail "no answer from $ip:80"
	wait_for 5 sh -c "echo | busybox nc -w 2 10.66.0.1 8080 | grep -q hello-from-w1" ||
		fail "no answer through the published port 8080"
	assert_contains "$(netctl ls)" "w1"
	# delete detaches: the endpoint and its host veth are gone
	host_if=$(netctl --json ls | sed -n 's/.*"host_ifname": *"\([^"]*\)".*/\1/p' | head -1)
	[ -n "$host_if" ] && ip link show "$host_if" >/dev/null 2>&1 || fail "host side $host_if not there"
	berth delete -f w1 || fail "delete"
	assert_not_contains "$(netctl ls)" "w1"
	! ip link show "$host_if" >/dev/null 2>&1 || fail "host veth $host_if left behind"
}

no_netd_clean_failure() {
	rt_config "$TMP/w2" top_extra=',"annotations":{"berth.network":"berth0"}'
	assert_fails berth run -d --bundle "$TMP/w2" w2
	assert_contains "$FAIL_OUT" "netd is not running (no socket at $SOCK)"
	assert_contains "$FAIL_OUT" "berth.network"
	[ ! -e "$RT_ROOT/w2" ] || fail "state left behind"
	[ ! -e "$(rt_cgroup_dir memory w2)" ] || fail "cgroup left behind"
	! pgrep -f -- "--bundle $TMP/w2" >/dev/null || fail "an init was left behind"
}

unknown_network_clean_failure() {
	start_netd
	rt_config "$TMP/w3" top_extra=',"annotations":{"berth.network":"nosuchnet"}'
	assert_fails berth run -d --bundle "$TMP/w3" w3
	assert_contains "$FAIL_OUT" "nosuchnet"
	[ ! -e "$RT_ROOT/w3" ] || fail "state left behind"
}

path_joined_netns_is_left_alone() {
	start_netd
	netns_add cni1
	rt_config "$TMP/w4" ns="pid ipc uts mount network:/run/netns/cni1" args='["sleep","60"]'
	berth run -d --bundle "$TMP/w4" w4 || fail "run joining a netns"
	assert_not_contains "$(netctl ls)" "w4"
	berth delete -f w4
}

# berth.networks: one interface per network, eth0 first with the default route and the ports; delete detaches all
several_networks() {
	start_netd
	# the socket of the netd of an earlier case may still be there: wait for this one to answer
	wait_for 5 netctl ping || fail "netd does not answer"
	assert_ok netctl network create side --subnet 10.91.0.0/24 --internal
	rt_config "$TMP/m1" ns="pid network ipc uts mount" \
		top_extra=',"annotations":{"berth.networks":"[{\"network\":\"berth0\",\"ports\":[\"8082:80\"]},{\"network\":\"side\",\"ip\":\"10.91.0.9\"}]"}' \
		args='["sh","-c","while :; do nc -l -p 80 -e echo hello-from-m1; done"]'
	berth run -d --bundle "$TMP/m1" m1 || fail "run -d with berth.networks"
	pid=$(rt_state_field m1 pid)
	assert_contains "$(nsenter --net=/proc/$pid/ns/net ip -4 -o addr show dev eth0)" "10.66."
	assert_contains "$(nsenter --net=/proc/$pid/ns/net ip -4 -o addr show dev eth1)" "10.91.0.9/24"
	assert_eq "$(nsenter --net=/proc/$pid/ns/net ip route show default)" "default via 10.66.0.1 dev eth0 "
	st=$(berth state m1)
	assert_contains "$st" '"berth.network.ip": "10.66.'
	assert_contains "$st" '\"network\":\"side\",\"ifname\":\"eth1\",\"ip\":\"10.91.0.9\"'
	wait_for 5 sh -c "echo | busybox nc -w 2 10.66.0.1 8082 | grep -q hello-from-m1" ||
		fail "no answer through the port published on the first network"
	assert_eq "$(netctl ls | grep -c '^m1 ')" 2
	berth delete -f m1 || fail "delete"
	assert_not_contains "$(netctl ls)" "m1"
	# netd's reaper deletes detached pairs moments after the reply
	wait_for 5 sh -c "[ \$(ip -o link show type veth | wc -l) = 0 ]" || fail "veths left: $(ip -o link show type veth)"
	# refused before anything is made
	rt_config "$TMP/m2" top_extra=',"annotations":{"berth.network":"berth0","berth.networks":"[{\"network\":\"side\"}]"}'
	assert_fails berth run -d --bundle "$TMP/m2" m2
	assert_contains "$FAIL_OUT" "exclude each other"
	rt_config "$TMP/m3" top_extra=',"annotations":{"berth.networks":"[{\"network\":\"berth0\"},{\"network\":\"nosuch\"}]"}'
	assert_fails berth run -d --bundle "$TMP/m3" m3
	assert_contains "$FAIL_OUT" "nosuch"
	# the first network's endpoint is detached again when the second fails
	assert_not_contains "$(netctl ls)" "m3"
	[ ! -e "$RT_ROOT/m3" ] || fail "state left behind"
}

# berth.name and berth.aliases: netd's DNS answers them, and the container's resolv.conf names netd's resolver
names_in_dns() {
	start_netd
	wait_for 5 netctl ping || fail "netd does not answer"
	rt_config "$TMP/d1" top_extra=',"annotations":{"berth.network":"berth0","berth.name":"web","berth.aliases":"www,api"}' \
		args='["sleep","60"]'
	rt_config "$TMP/d2" userns=1 ns="pid network ipc uts mount" \
		top_extra=',"annotations":{"berth.networks":"[{\"network\":\"berth0\",\"aliases\":[\"front\"]}]","berth.name":"client"}' \
		args='["sleep","60"]'
	berth run -d --bundle "$TMP/d1" d1 || fail "run d1: $(berth run -d --bundle "$TMP/d1" d1x 2>&1)"
	berth run -d --bundle "$TMP/d2" d2 || fail "run d2: $(berth run -d --bundle "$TMP/d2" d2x 2>&1)"
	ip1=$(netctl --json inspect d1 | jq -r '.[0].ip')
	conf=$(berth exec d2 cat /etc/resolv.conf)
	assert_contains "$conf" "nameserver 10.66.0.1"
	assert_contains "$conf" "search berth0"
	assert_contains "$conf" "options ndots:0"
	# busybox's nslookup asks the nameserver of /etc/resolv.conf
	assert_contains "$(berth exec d2 nslookup web)" "$ip1"
	assert_contains "$(berth exec d2 nslookup www)" "$ip1"
	assert_contains "$(berth exec d1 nslookup front)" "$(netctl --json inspect d2 | jq -r '.[0].ip')"
	# the bundle's own rootfs is untouched (the file is bind-mounted over it)
	assert_eq "$(cat "$RT_ROOTFS/etc/resolv.conf" 2>/dev/null)" ""
	berth delete -f d1
	berth delete -f d2
	assert_eq "$(netctl --json dns berth0 | jq '.names | length')" 0
}

t "netd gives an address, a default route and ports; delete removes them" attach_address_route_ports
t "berth.name and berth.aliases in netd's DNS, resolv.conf naming it" names_in_dns
t "berth.networks attaches several networks, delete detaches them all" several_networks
t "no netd: a clear error and nothing left behind" no_netd_clean_failure
t "an unknown network: a clear error and nothing left behind" unknown_network_clean_failure
t "a netns joined by path is only joined" path_joined_netns_is_left_alone
t_done
