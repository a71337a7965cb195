#!/bin/bash
# Security checks, from the attacker's side: what a container (or a
# process that is root only inside a user namespace) can try against netd,
# the berth binary, the host's descriptors, the host's published ports and
# the host's network configuration. docs/robustness.md lists these and the
# checks that live in other suites.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-runtime.sh"

SOCK=$TMP/netd.sock
export BERTH_NETD_SOCKET=$SOCK
ALLCAPS='"CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_KILL","CAP_SETUID","CAP_SETGID","CAP_NET_ADMIN","CAP_NET_RAW","CAP_NET_BIND_SERVICE","CAP_SYS_ADMIN","CAP_SYS_PTRACE"'
CAPS="{\"bounding\":[$ALLCAPS],\"effective\":[$ALLCAPS],\"permitted\":[$ALLCAPS]}"

start_netd() {
	rm -f "$SOCK"
	spawn netd --foreground --socket "$SOCK" --state-dir "$TMP/netd-state" --run-dir "$TMP/netd-run" --log-level error
	wait_for 10 test -S "$SOCK" || fail "netd did not start"
}

# root inside a user namespace is uid 100000 to netd: refused, whatever the socket's mode
userns_root_refused_by_netd() {
	local pid out
	start_netd
	chmod 0666 "$SOCK"
	chmod 0755 "$TMP"
	rt_config "$TMP/u1" userns=1 args='["sleep","60"]'
	berth run -d --bundle "$TMP/u1" u1 >/dev/null 2>&1 </dev/null || fail "run -d"
	pid=$(rt_state_field u1 pid)
	# netctl, run in the container's user namespace (root there, 100000 on the host)
	out=$(nsenter --target "$pid" --user netctl ping 2>&1) && fail "netd served root of a user namespace: $out"
	assert_contains "$out" "root only"
	out=$(nsenter --target "$pid" --user netctl attach evil --netns "/proc/$pid/ns/net" 2>&1) &&
		fail "netd served an attach to root of a user namespace: $out"
	assert_eq "$(netctl --json ls | jq length)" 0
	berth delete -f u1
}

# the container's own view: only stdio, whatever berth's caller held open
no_host_fd_inside() {
	local out u
	for u in "" 1; do
		rt_config "$TMP/fd$u" userns=$u args='["sh","-c","ls /proc/self/fd | tr \"\\n\" \" \"; echo; for f in /proc/self/fd/*; do readlink $f; done; true"]'
		out=$(
			exec 5</etc/hostname 6>"$TMP/leak" 7<"$TMP" 8<>/dev/null 9< <(sleep 5)
			berth run --bundle "$TMP/fd$u" "fd$u" </dev/null 2>&1
		) || fail "run: $out"
		# ls's own directory fd is 3; nothing of the caller's 5-9
		assert_eq "$(head -1 <<<"$out")" "0 1 2 3 " "fds inside (userns=$u)"
		assert_not_contains "$out" "hostname"
		assert_not_contains "$out" "$TMP"
	done
	rt_config "$TMP/fdx" args='["sleep","60"]'
	berth run -d --bundle "$TMP/fdx" fdx >/dev/null 2>&1 </dev/null || fail "run -d"
	out=$(
		exec 5</etc/hostname 9<"$TMP"
		berth exec fdx sh -c 'ls /proc/self/fd | tr "\n" " "' </dev/null 2>&1
	)
	assert_eq "$out" "0 1 2 3 " "fds of an exec'd process"
	berth delete -f fdx
}

# Before exec (a startContainer hook runs inside the container while pid 1 is still berth's code)
# and while `berth exec` joins: every berth process a container can see runs from a sealed copy.
berth_binary_unreachable() {
	local before pid i seen u
	before=$(md5sum <"$BIN/berth")
	for u in "" 1; do
		rt_config "$TMP/b$u" userns=$u args='["sleep","60"]' caps="$CAPS" \
			top_extra=',"hooks":{"startContainer":[{"path":"/bin/sh","args":["sh","-c","readlink /proc/1/exe > /dev/shm/exe; (echo x >> /proc/1/exe) 2>/dev/null && echo WROTE >> /dev/shm/exe; (echo x > /proc/1/exe) 2>/dev/null && echo WROTE >> /dev/shm/exe; true"]}]}'
		berth create --bundle "$TMP/b$u" "b$u" >/dev/null 2>&1 </dev/null || fail "create (userns=$u)"
		berth start "b$u" || fail "start"
		pid=$(rt_state_field "b$u" pid)
		seen=$(cat "/proc/$pid/root/dev/shm/exe")
		# berth's init runs from a protected view (sealed memfd copy, or read-only overlayfs) and
		# in a user namespace is not even readable (not dumpable): never the host's file, never written
		[ -n "$u" ] || [ -n "$seen" ] || fail "pid 1's executable is not visible without a user namespace"
		assert_not_contains "$seen" "$BIN"
		assert_not_contains "$seen" "WROTE"
		# a watcher inside tries to write to every executable it sees while berth exec joins
		berth exec -d "b$u" sh -c 'while :; do for p in /proc/[0-9]*; do l=$(readlink $p/exe 2>/dev/null) || continue; echo "$l" >> /dev/shm/seen; case "$l" in */sleep|*/busybox) ;; *) (echo x >> $p/exe) 2>/dev/null && echo "WROTE $l" >> /dev/shm/seen;; esac; done; done' \
			</dev/null >/dev/null 2>&1 || fail "exec -d watcher"
		for ((i = 0; i < 15; i++)); do
			berth exec "b$u" true </dev/null >/dev/null 2>&1 || fail "exec $i"
		done
		seen=$(sort -u "/proc/$pid/root/dev/shm/seen")
		assert_not_contains "$seen" "WROTE"
		assert_not_contains "$seen" "$BIN"
		berth delete -f "b$u"
	done
	assert_eq "$(md5sum <"$BIN/berth")" "$before" "the berth binary changed"
}

# a port published on one host address answers there only
published_on_one_address_only() {
	local got
	start_netd
	upstream_add
	netns_add c1
	serve c1 0.0.0.0 80 c1
	assert_ok netctl attach web --netns /run/netns/c1 -p "$UPSTREAM_HOST_IP:8090:80"
	netns_add c2
	assert_ok netctl attach other --netns /run/netns/c2
	got=$(request upstream "$UPSTREAM_HOST_IP" 8090 2000) || fail "not published on $UPSTREAM_HOST_IP"
	assert_contains "$got" "c1 "
	assert_fails request - 127.0.0.1 8090 500
	assert_fails request - 10.66.0.1 8090 500
	assert_fails request c2 10.66.0.1 8090 500
	# and on no other address of the host's either (the uplink address stays the only one)
	ip addr add 198.51.100.7/24 dev uplink0
	assert_fails request upstream 198.51.100.7 8090 500
	assert_ok netctl detach web
	assert_ok netctl detach other
}

# A container with CAP_NET_RAW sends a SYN to 127.0.0.1 with the bridge's MAC as destination
# (CVE-2020-8558): the host's services bound to loopback stay out of reach.
host_loopback_closed() {
	local br ip out
	start_netd
	netns_add l1
	ip=$(netctl --json attach lo1 --netns /run/netns/l1 | jq -r .ip) || fail "attach"
	br=$(ip -o link show dev berth0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
	serve - 127.0.0.1 9999 host-lo
	serve - 0.0.0.0 9998 host-any
	# the hand-made frame itself gets through when addressed to the gateway
	assert_eq "$(ip netns exec l1 tst-net raw eth0 "$br" "$ip" 40000 10.66.0.1 9998 2000)" syn-ack
	out=$(ip netns exec l1 tst-net raw eth0 "$br" "$ip" 40001 127.0.0.1 9999 1000) &&
		fail "a container reached a host service bound to 127.0.0.1: $out"
	assert_eq "$out" none
	assert_ok netctl detach lo1
}

# A root filesystem with the host's /usr (read-only) so a container has the real nft and ip.
tools_rootfs() {
	local dir=$1 owner=${2:-}
	rt_rootfs "$dir" "$owner"
	mkdir -p "$dir/usr"
	ln -sfn usr/lib "$dir/lib"
	ln -sfn usr/lib64 "$dir/lib64"
	[ -z "$owner" ] || chown -h "$owner" "$dir/usr" "$dir/lib" "$dir/lib64"
}

# tools_bundle NAME ROOTFS NS USERNS SCRIPT
tools_bundle() {
	rt_config "$TMP/$1" ns="$3" userns="$4" caps="$CAPS" args="$(rt_json_args sh -c "$5")" \
		mounts_extra=',{"destination":"/usr","type":"bind","source":"/usr","options":["rbind","ro"]}'
	sed -i "s|\"path\": \"$RT_ROOTFS[^\"]*\"|\"path\": \"$2\"|" "$TMP/$1/config.json"
}

# A container root that mounts a file over /proc/sys/kernel/cap_last_cap must not keep capabilities
# in the bounding set of a later `berth exec --user` (the hardening issue, item 8).
exec_bounding_set_ignores_forged_cap_last_cap() {
	local caps='"CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_KILL","CAP_SETUID","CAP_SETGID","CAP_NET_BIND_SERVICE","CAP_SYS_ADMIN"'
	local out want=00000000002004eb
	rt_config "$TMP/cl" args='["sleep","60"]' caps="{\"bounding\":[$caps],\"effective\":[$caps],\"permitted\":[$caps]}"
	berth run -d --bundle "$TMP/cl" cl >/dev/null 2>&1 </dev/null || fail "run -d"
	out=$(berth exec --user 1000:1000 cl grep CapBnd /proc/self/status </dev/null 2>&1) || fail "exec: $out"
	assert_eq "$(awk '{print $2}' <<<"$out")" "$want" "exec's bounding set"
	out=$(berth exec cl sh -c 'echo 5 > /dev/shm/last && mount --bind /dev/shm/last /proc/sys/kernel/cap_last_cap && cat /proc/sys/kernel/cap_last_cap' </dev/null 2>&1)
	assert_eq "$out" 5 "the forged cap_last_cap inside"
	out=$(berth exec --user 1000:1000 cl grep CapBnd /proc/self/status </dev/null 2>&1) || fail "exec: $out"
	assert_eq "$(awk '{print $2}' <<<"$out")" "$want" "exec's bounding set with a forged cap_last_cap"
	berth delete -f cl
}

host_net_state() {
	nft list ruleset
	ip -o link show | awk -F': ' '{print $2}' | sort
	# the kernel adds fe80:: routes of links coming up on its own, whenever DAD completes
	ip route show table all | grep -v 'fe80::'
	ip -o -4 addr show
}

cannot_change_host_network() {
	local before out
	start_netd
	netns_add h1
	assert_ok netctl attach web --netns /run/netns/h1 -p 8080:80
	tools_rootfs "$TMP/tools"
	tools_rootfs "$TMP/tools-userns" "$RT_UID_BASE:$RT_UID_BASE"
	before=$(host_net_state)
	# 1. root with CAP_NET_ADMIN in a network namespace of its own: everything works, on its own namespace only
	tools_bundle n1 "$TMP/tools" "pid network ipc uts mount" "" \
		'/usr/sbin/nft flush ruleset && /usr/sbin/nft add table inet evil && /usr/sbin/ip link add evil0 type veth peer name evil1 && /usr/sbin/ip link set lo up && /usr/sbin/ip route add 10.123.0.0/16 dev lo && echo CHANGED-OWN'
	out=$(berth run --bundle "$TMP/n1" n1 </dev/null 2>&1) || fail "own namespace: $out"
	assert_contains "$out" "CHANGED-OWN"
	assert_eq "$(host_net_state)" "$before" "the host's network changed"
	# 2. the same in a user namespace with a network namespace of its own
	tools_bundle n2 "$TMP/tools-userns" "pid network ipc uts mount" 1 \
		'/usr/sbin/nft add table inet evil && /usr/sbin/ip link add evil0 type veth peer name evil1 && echo CHANGED-OWN'
	out=$(berth run --bundle "$TMP/n2" n2 </dev/null 2>&1) || fail "userns, own namespace: $out"
	assert_contains "$out" "CHANGED-OWN"
	assert_eq "$(host_net_state)" "$before" "the host's network changed"
	# 3. a user namespace sharing the host's network namespace: every capability, none over the host's network
	tools_bundle n3 "$TMP/tools-userns" "pid ipc uts mount" 1 \
		'for c in "nft list ruleset" "nft add table inet evil" "nft flush ruleset" "ip link add evil0 type veth peer name evil1" "ip link set berth0 down" "ip route add 10.123.0.0/16 dev lo" "ip route flush table main" "ip addr add 10.9.9.9/32 dev lo"; do /usr/sbin/$c >/dev/null 2>&1 && echo "ALLOWED: $c"; done; /usr/sbin/ip link add evil0 type veth peer name evil1; /usr/sbin/nft add table inet evil; grep CapEff /proc/self/status; echo done'
	out=$(berth run --bundle "$TMP/n3" n3 </dev/null 2>&1) || fail "userns, host namespace: $out"
	assert_contains "$out" "done"
	assert_not_contains "$out" "ALLOWED"
	assert_contains "$out" "RTNETLINK answers: Operation not permitted"
	assert_contains "$out" "Operation not permitted"$'\n'"add table inet evil"
	assert_not_contains "$out" "CapEff:	0000000000000000" "the container had no capabilities to try with"
	assert_eq "$(host_net_state)" "$before" "the host's network changed"
	assert_ok netctl detach web
}

t "root of a user namespace is refused by netd" userns_root_refused_by_netd
t "a container sees no host fd (inside, with and without a user namespace, and exec)" no_host_fd_inside
t "the berth binary is out of reach before exec and during berth exec" berth_binary_unreachable
t "berth exec's bounding set does not trust the container's cap_last_cap" exec_bounding_set_ignores_forged_cap_last_cap
t "a port published on one host address is not reachable through another" published_on_one_address_only
t "a container cannot change the host's nftables ruleset, links or routes" cannot_change_host_network
t "a container cannot reach the host's loopback through the bridge" host_loopback_closed
t_done
