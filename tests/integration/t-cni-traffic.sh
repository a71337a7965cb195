#!/bin/bash
# Traffic through what berth-cni wires: published ports from the upstream
# namespace, from the host (its uplink address and 127.0.0.1) and through
# hairpin; masquerade as seen from upstream; nothing answers after DEL.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cni-lib.sh"

# The upstream namespace, once per script (test cases share the sandbox).
upstream() {
	[ -e /run/netns/upstream ] || upstream_add
}

PORTS='[{"hostPort":8080,"containerPort":80,"protocol":"tcp"},{"hostPort":5353,"containerPort":53,"protocol":"udp"},{"hostPort":9090,"containerPort":90,"protocol":"tcp","hostIP":"127.0.0.1"}]'

published_ports() {
	local c res ip
	upstream
	c=$(conf 1.0.0 web 10.90.0.0/24 '.hairpinMode = true')
	res=$(cni_ok ADD web1 "$(ns_add web1)" eth0 "$(with_ports "$PORTS" "$c")")
	ip=$(res_ip "$res")
	serve web1 0.0.0.0 80 web
	serve web1 --udp 0.0.0.0 53 dns
	serve web1 0.0.0.0 90 local
	# from another machine (upstream), via the host's address: DNAT only, the container sees the client
	assert_eq "$(request upstream $UPSTREAM_HOST_IP 8080)" "web $UPSTREAM_GW_IP"
	assert_eq "$(request upstream --udp $UPSTREAM_HOST_IP 5353)" "dns $UPSTREAM_GW_IP"
	# from the host itself, on its own address and on 127.0.0.1
	assert_contains "$(request - $UPSTREAM_HOST_IP 8080)" "web "
	assert_contains "$(request - 127.0.0.1 8080)" "web "
	# hostIP 127.0.0.1: only there
	assert_contains "$(request - 127.0.0.1 9090)" "local "
	assert_fails request upstream $UPSTREAM_HOST_IP 9090 500
	# hairpin: the container reaches its own published port, and a neighbour does too
	assert_contains "$(request web1 $UPSTREAM_HOST_IP 8080)" "web "
	cni_ok ADD web2 "$(ns_add web2)" eth0 "$c" >/dev/null
	assert_contains "$(request web2 $UPSTREAM_HOST_IP 8080)" "web "
	assert_contains "$(request web2 "$ip" 80)" "web "
	# DEL without portMappings: nothing answers any more and the map is empty
	cni_ok DEL web1 /run/netns/web1 eth0 "$c" >/dev/null
	assert_fails request upstream $UPSTREAM_HOST_IP 8080 500
	assert_fails request - 127.0.0.1 8080 500
	assert_fails request upstream --udp $UPSTREAM_HOST_IP 5353 500
	cni_ok DEL web2 /run/netns/web2 eth0 "$c" >/dev/null
	assert_clean web
}

masquerade() {
	local res ip
	upstream
	serve upstream $UPSTREAM_GW_IP 7000 up
	res=$(cni_ok ADD m1 "$(ns_add m1)" eth0 "$(conf 1.1.0 masq 10.91.0.0/24)")
	# the upstream server sees the host's address, not the container's
	assert_eq "$(request m1 $UPSTREAM_GW_IP 7000)" "up $UPSTREAM_HOST_IP"
	# without ipMasq the container's own address arrives (upstream routes it back through the host)
	res=$(cni_ok ADD n1 "$(ns_add n1)" eth0 "$(conf 1.1.0 nomasq 10.92.0.0/24 '.ipMasq = false')")
	ip=$(res_ip "$res")
	ip -n upstream route add 10.92.0.0/24 via $UPSTREAM_HOST_IP
	assert_eq "$(request n1 $UPSTREAM_GW_IP 7000)" "up $ip"
	cni_ok DEL m1 /run/netns/m1 eth0 "$(conf 1.1.0 masq 10.91.0.0/24)" >/dev/null
	cni_ok DEL n1 /run/netns/n1 eth0 "$(conf 1.1.0 nomasq 10.92.0.0/24 '.ipMasq = false')" >/dev/null
	assert_clean masq
	assert_clean nomasq
}

# Two containers of one network talk; containers of two networks cannot.
isolation() {
	local a b c
	cni_ok ADD i1 "$(ns_add i1)" eth0 "$(conf 1.1.0 isoa 10.93.0.0/24)" >/dev/null
	a=$(res_ip "$(cni_ok ADD i2 "$(ns_add i2)" eth0 "$(conf 1.1.0 isoa 10.93.0.0/24)")")
	b=$(res_ip "$(cni_ok ADD i3 "$(ns_add i3)" eth0 "$(conf 1.1.0 isob 10.94.0.0/24)")")
	serve i2 0.0.0.0 80 i2
	serve i3 0.0.0.0 80 i3
	assert_contains "$(request i1 "$a" 80)" "i2 10.93.0."
	assert_fails request i1 "$b" 80 500
	for c in i1 i2; do cni_ok DEL $c /run/netns/$c eth0 "$(conf 1.1.0 isoa 10.93.0.0/24)" >/dev/null; done
	cni_ok DEL i3 /run/netns/i3 eth0 "$(conf 1.1.0 isob 10.94.0.0/24)" >/dev/null
}

t "published tcp/udp/hostIP ports from upstream, the host, 127.0.0.1 and hairpin; gone after DEL" published_ports
t "masquerade seen from upstream; ipMasq false keeps the address" masquerade
t "one network talks, two networks are isolated" isolation
t_done
