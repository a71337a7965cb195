# Sourced after lib.sh: simulated hosts of a berth fabric on one machine (tests, make demo-fabric, benches).
#
#   fsw        the "switch": bridge sw0 (192.0.2.1/24, TEST-NET-1, and 2001:db8::1/64) and etcd on 192.0.2.1:2379
#   fhN        host N: network namespace, underlay eth0 = 192.0.2.(10+N)/24 on sw0 (with FAB_UNDERLAY=ipv6
#              also 2001:db8::(10+N)/64, no DAD, and netd's underlay is that address: "underlay_family" in the
#              config of odd hosts, --underlay-family on even hosts' command line),
#              its own netd (socket, run and state directories under $FAB_DIR/hN); its DNS forwards
#              what is not a container's name to 192.0.2.1 (fab_resolver), never to the machine's resolvers
#
# Nothing here touches the machine's own links: every address lives in namespaces the script made.
# etcd is the one this script started, stopped by its pid.

FAB_DIR=${FAB_DIR:-$TMP/fabric}
FAB_ETCD_IP=192.0.2.1
FAB_ETCD=http://$FAB_ETCD_IP:2379
FAB_ETCD_PID=
declare -A FAB_NETD_PID
# fabric settings of each netd (seconds / milliseconds); tests shorten them
FAB_NODE_TTL=${FAB_NODE_TTL:-3}
FAB_BLOCK_TTL=${FAB_BLOCK_TTL:-3600}
FAB_GRACE_MS=${FAB_GRACE_MS:-2000}
FAB_RESYNC_MS=${FAB_RESYNC_MS:-30000}
# the underlay family of the hosts fab_host makes: ipv4 (192.0.2.0/24) or ipv6 (2001:db8::/64)
FAB_UNDERLAY=${FAB_UNDERLAY:-ipv4}

fab_need_etcd() {
	command -v etcd >/dev/null || skip "etcd is not installed (Debian etcd-server; make deps-test)"
}

# The switch namespace and its bridge.
fab_switch() {
	mkdir -p "$FAB_DIR"
	netns_add fsw
	ip -n fsw link add sw0 type bridge
	ip -n fsw addr add $FAB_ETCD_IP/24 dev sw0
	ip -n fsw addr add 2001:db8::1/64 dev sw0 nodad
	ip -n fsw link set sw0 up
	echo "nameserver $FAB_ETCD_IP" >"$FAB_DIR/resolv.conf"
}

fab_etcd_start() {
	local i
	mkdir -p "$FAB_DIR/etcd"
	ip netns exec fsw etcd --name default --data-dir "$FAB_DIR/etcd/data" \
		--listen-client-urls "$FAB_ETCD" --advertise-client-urls "$FAB_ETCD" \
		--listen-peer-urls http://$FAB_ETCD_IP:2380 --initial-advertise-peer-urls http://$FAB_ETCD_IP:2380 \
		--initial-cluster default=http://$FAB_ETCD_IP:2380 \
		--logger zap --log-outputs "$FAB_DIR/etcd/etcd.log" >>"$FAB_DIR/etcd/stderr.log" 2>&1 &
	FAB_ETCD_PID=$!
	_t_pids+=($FAB_ETCD_PID)
	for ((i = 0; i < 200; i++)); do
		fab_etcdctl endpoint health >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	fail "etcd did not start (see $FAB_DIR/etcd/etcd.log)"
}

fab_etcd_stop() {
	[ -n "$FAB_ETCD_PID" ] || return 0
	kill "$FAB_ETCD_PID" 2>/dev/null || true
	wait "$FAB_ETCD_PID" 2>/dev/null || true
	FAB_ETCD_PID=
}

# etcdctl against the fabric's etcd (from the switch namespace).
fab_etcdctl() {
	ETCDCTL_API=3 ip netns exec fsw etcdctl --endpoints "$FAB_ETCD" --dial-timeout 1s --command-timeout 3s "$@"
}

# fab_resolver LOG: the nameserver every host's netd forwards to (192.0.2.1:53 in the switch): NXDOMAIN for
# every name, each question's name appended to LOG.
fab_resolver() {
	: >"$1"
	ip netns exec fsw tst-dns serve --log "$1" $FAB_ETCD_IP >"$FAB_DIR/resolver.out" 2>&1 &
	_t_pids+=($!)
	wait_for 5 grep -q ready "$FAB_DIR/resolver.out" || fail "the switch's resolver did not start"
}

# fab_gateway N NETWORK: the gateway of NETWORK on host N (its DNS server there).
fab_gateway() {
	fab_netctl "$1" --json network inspect "$2" | jq -r .gateway
}

# fab_host N: host N's namespace and underlay on the switch (no netd yet).
fab_host() {
	local n=$1
	netns_add fh$n
	ip link add fh$n-sw netns fsw type veth peer name eth0 netns fh$n
	ip -n fsw link set fh$n-sw master sw0 up
	ip -n fh$n addr add 192.0.2.$((10 + n))/24 dev eth0
	# an IPv6 underlay beside the IPv4 one; no DAD, so it is usable at once
	local family=
	mkdir -p "$FAB_DIR/h$n/run" "$FAB_DIR/h$n/state"
	: >"$FAB_DIR/h$n/flags"
	if [ "$FAB_UNDERLAY" = ipv6 ]; then
		ip -n fh$n addr add 2001:db8::$((10 + n))/64 dev eth0 nodad
		# odd hosts say it in the config file, even ones on the command line: both ways are tested
		if ((n % 2)); then
			family='"underlay_family": "ipv6",'
		else
			echo "--underlay-family ipv6" >"$FAB_DIR/h$n/flags"
		fi
	fi
	# no DAD for the link-local address either: host-gw's IPv6 next hop over the IPv4 underlay, usable at once
	ip netns exec fh$n sh -c 'echo 0 >/proc/sys/net/ipv6/conf/eth0/accept_dad'
	ip -n fh$n link set eth0 up
	cat >"$FAB_DIR/h$n/netd.json" <<-EOF
		{
		  "networks": [],
		  "default_network": null,
		  "log_level": "${FAB_LOG_LEVEL:-info}",
		  "dns": {"resolv_conf": "$FAB_DIR/resolv.conf"},
		  "fabric": {
		    "etcd": ["$FAB_ETCD"],
		    "node": "h$n",
		    "underlay": "eth0",
		    $family
		    "node_ttl": $FAB_NODE_TTL,
		    "block_ttl": $FAB_BLOCK_TTL,
		    "grace_ms": $FAB_GRACE_MS,
		    "resync_ms": $FAB_RESYNC_MS,
		    "etcd_timeout_ms": 1000
		  }
		}
	EOF
}

fab_sock() {
	echo "$FAB_DIR/h$1/run/netd.sock"
}

# netctl on host N.
fab_netctl() {
	local n=$1
	shift
	netctl --socket "$(fab_sock "$n")" "$@"
}

# Start host N's netd (in its namespace, in the foreground, tracked).
fab_netd_start() {
	local n=$1 i
	rm -f "$(fab_sock "$n")"
	local -a flags=()
	[ -s "$FAB_DIR/h$n/flags" ] && read -r -a flags <"$FAB_DIR/h$n/flags"
	ip netns exec fh$n netd --foreground --config "$FAB_DIR/h$n/netd.json" --socket "$(fab_sock "$n")" \
		--state-dir "$FAB_DIR/h$n/state" --run-dir "$FAB_DIR/h$n/run" "${flags[@]}" >>"$FAB_DIR/h$n/netd.log" 2>&1 &
	FAB_NETD_PID[$n]=$!
	_t_pids+=($!)
	for ((i = 0; i < 200; i++)); do
		[ -S "$(fab_sock "$n")" ] && fab_netctl "$n" ping >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	fail "netd of host $n did not start: $(tail -5 "$FAB_DIR/h$n/netd.log")"
}

# fab_netd_kill N [SIGNAL]: stop host N's netd (default SIGTERM) and reap it.
fab_netd_kill() {
	local n=$1 sig=${2:-TERM} pid=${FAB_NETD_PID[$1]:-}
	[ -n "$pid" ] || return 0
	kill -"$sig" "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	FAB_NETD_PID[$n]=
}

# Host N's view: in sync with etcd.
fab_in_sync() {
	fab_netctl "$1" --json fabric | jq -e '.in_sync == true' >/dev/null
}

# fab_wait_sync SECONDS N...: every host listed is in sync.
fab_wait_sync() {
	local secs=$1 n
	shift
	for n in "$@"; do
		wait_for "$secs" fab_in_sync "$n" || fail "host $n is not in sync: $(fab_netctl "$n" fabric 2>&1)"
	done
}

# Whatever an earlier case left (its processes died with its subshell): namespaces and directories.
fab_clean() {
	ip -all netns delete 2>/dev/null
	rm -rf "$FAB_DIR"
	FAB_NETD_PID=()
	FAB_ETCD_PID=
}

# fab_up N: switch + etcd + N hosts with their netd, in sync.
fab_up() {
	local count=$1 n
	fab_need_etcd
	fab_clean
	fab_switch
	fab_etcd_start
	for ((n = 1; n <= count; n++)); do
		fab_host "$n"
		fab_netd_start "$n"
	done
	for ((n = 1; n <= count; n++)); do
		fab_wait_sync 10 "$n"
	done
}

# fab_container N NAME NETWORK [attach options...]: a container namespace on host N attached to NETWORK
# (e.g. --name web --alias www); prints its address.
fab_container() {
	local n=$1 name=$2 net=$3
	shift 3
	netns_add "$name"
	fab_netctl "$n" attach "$name" --netns "/run/netns/$name" --network "$net" "$@" >/dev/null || return 1
	fab_ip "$name"
}

# fab_ip NAME: the container's address on eth0.
fab_ip() {
	ip -n "$1" -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1
}

# fab_ip6 NAME: the container's IPv6 address on eth0.
fab_ip6() {
	ip -n "$1" -6 -o addr show dev eth0 scope global | awk '{print $4}' | cut -d/ -f1
}

# fab_peer_routes N: host N's overlay routes (proto 98).
fab_peer_routes() {
	ip -n fh$1 route show proto 98
}

# fab_peer_routes6 N: host N's IPv6 overlay routes (proto 98).
fab_peer_routes6() {
	ip -n fh$1 -6 route show proto 98
}

# fab_rogue NAME IP: a namespace on the switch that is no host of the fabric (an address of the underlay, IPv4 or
# IPv6, no netd).
fab_rogue() {
	local name=$1 ip=$2
	netns_add "$name"
	ip link add "$name-sw" netns fsw type veth peer name eth0 netns "$name"
	ip -n fsw link set "$name-sw" master sw0 up
	if [[ $ip == *:* ]]; then
		ip -n "$name" addr add "$ip/64" dev eth0 nodad
	else
		ip -n "$name" addr add "$ip/24" dev eth0
	fi
	ip -n "$name" link set eth0 up
}

# fab_vxlan_sources N [SET]: the underlay addresses host N accepts VXLAN from (its nftables set vxlan_peers4, or
# vxlan_peers6), one a line.
fab_vxlan_sources() {
	ip netns exec fh$1 nft -j list set inet berth "${2:-vxlan_peers4}" |
		jq -r '.nftables[] | select(.set) | .set.elem // [] | .[] | (.concat // .elem.val.concat)[0]' | sort
}

# fab_rx N DEV: packets host N's device DEV received.
fab_rx() {
	ip -n fh$1 -j -s link show "$2" | jq '.[0].stats64.rx.packets'
}

fab_down() {
	local n
	for n in "${!FAB_NETD_PID[@]}"; do
		fab_netd_kill "$n"
	done
	fab_etcd_stop
}
