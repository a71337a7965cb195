#!/bin/bash
# Stacks: two networks, three containers. Names and aliases resolve within a
# network and not across; published ports answer from the host and from
# upstream; up twice changes nothing; a changed container is recreated; a
# failed up is cleaned up by down; down leaves nothing; a broken file makes
# nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-stack.sh"

upstream_add
st_netd
STACK=$TMP/shop.json

# shop.json with the third container's command given as $1, and $2 added to the containers
write_stack() {
	local cmd=${1:-'["sleep", "3600"]'}
	cat >"$STACK" <<-EOF
	{
	  "name": "shop",
	  "networks": [
	    { "name": "front", "subnet": "10.90.0.0/24" },
	    { "name": "back", "subnet": "10.90.1.0/24", "internal": true }
	  ],
	  "containers": [
	    { "name": "db", "rootfs": "rootfs",
	      "command": ["sh", "-c", "echo db-on-back > /tmp/index.html && exec httpd -f -p 5432 -h /tmp"],
	      "networks": [{ "name": "back", "aliases": ["database"] }],
	      "memory": "32m", "pids": 32 },
	    { "name": "api", "rootfs": "rootfs",
	      "command": ["sh", "-c", "echo api-here > /tmp/index.html && exec httpd -f -p 80 -h /tmp"],
	      "networks": [{ "name": "front", "aliases": ["backend"] }, "back"],
	      "ports": ["8081:80"], "depends_on": ["db"], "cpus": 0.5 },
	    { "name": "edge", "rootfs": "rootfs", "command": $cmd,
	      "networks": [{ "name": "front", "ip": "10.90.0.100" }], "depends_on": ["api"] }
	    ${2:-}
	  ]
	}
	EOF
}

up_creates_everything() {
	write_stack
	out=$(berth up -f "$STACK") || fail "up: $out"
	assert_contains "$out" "network front: created"
	assert_contains "$out" "network back: created"
	assert_contains "$out" "container edge: created, started"
	# what runs where: the table up ends with
	assert_contains "$out" "api        running  front,back  10.90.0.2/24,10.90.1.3/24"
	assert_contains "$out" "8081->80/tcp"
	# started means exec'd: give the servers a moment to listen
	wait_for 5 st_get shop-edge http://api/ || fail "api does not answer"
	wait_for 5 st_get shop-api http://db:5432/ || fail "db does not answer"
	# netd's view and the kernel's: api has eth0 on front, eth1 on back
	netctl ls | grep -qE '^shop-api +back +eth1 +10.90.1.3/24' || fail "api not on back as eth1: $(netctl ls)"
	pid=$(st_pid shop-api)
	assert_eq "$(nsenter --net=/proc/"$pid"/ns/net ip -4 -o addr show dev eth1 | awk '{print $4}')" 10.90.1.3/24
	assert_eq "$(nsenter --net=/proc/"$pid"/ns/net ip -4 -o addr show dev eth0 | awk '{print $4}')" 10.90.0.2/24
	# the application container: read-only root, private /tmp, the limits, runc's capabilities, its own namespaces
	assert_fails st_in shop-edge touch /etc/x
	assert_contains "$FAIL_OUT" "Read-only file system"
	assert_ok st_in shop-edge touch /tmp/x /run/x
	assert_fails st_in shop-edge sh -c 'echo 10.0.0.1 evil >>/etc/hosts'
	assert_contains "$FAIL_OUT" "Read-only file system"
	assert_eq "$(cat "$(find /sys/fs/cgroup -path "*/$BERTH_TEST_CGROUP/stacks/shop/db" -name db -path '*memory*')/memory.limit_in_bytes")" 33554432
	assert_eq "$(cat "$(find /sys/fs/cgroup -path "*/$BERTH_TEST_CGROUP/stacks/shop/db" -name db -path '*pids*')/pids.max")" 32
	assert_eq "$(st_in shop-db sh -c 'grep CapEff /proc/self/status' | awk '{print $2}')" 0000000020000420
	for ns in net pid mnt uts ipc cgroup; do
		[ "$(readlink /proc/"$pid"/ns/$ns)" != "$(readlink /proc/self/ns/$ns)" ] || fail "$ns namespace is the host's"
	done
	assert_eq "$(st_in shop-db hostname)" db
	assert_eq "$(st_in shop-db cat /etc/hostname)" db
	assert_eq "$(berth ps -f "$STACK" --json | grep -c '"state": "running"')" 3
}

names_resolve_within_networks() {
	# edge shares front with api: its name and its front alias, not db, not back's names
	assert_eq "$(st_get shop-edge http://api/)" api-here
	assert_eq "$(st_get shop-edge http://backend/)" api-here
	assert_fails st_get shop-edge http://database:5432/
	assert_contains "$FAIL_OUT" "bad address 'database"
	assert_fails st_in shop-edge nc -w 2 db 5432
	assert_contains "$FAIL_OUT" "bad address 'db'"
	# and not by address either: networks are isolated
	assert_fails st_get shop-edge http://10.90.1.2:5432/
	# api is on both: db by name and by its alias on back, edge on front
	assert_eq "$(st_get shop-api http://database:5432/)" db-on-back
	assert_eq "$(st_get shop-api http://db:5432/)" db-on-back
	assert_fails st_in shop-api nc -w 2 edge 1
	assert_contains "$FAIL_OUT" "10.90.0.100"
	# db resolves api on back (its back address), not edge, and not api's front alias
	assert_eq "$(st_get shop-db http://api/)" api-here
	# names come from netd's DNS: db finds api at its address on back
	assert_contains "$(st_in shop-db nslookup api)" "10.90.1.3"
	assert_contains "$(st_in shop-db cat /etc/hosts)" "10.90.1.2	db database"
	assert_fails st_in shop-db nc -w 2 edge 1
	assert_contains "$FAIL_OUT" "bad address 'edge'"
	assert_fails st_in shop-db nc -w 2 backend 80
	assert_contains "$FAIL_OUT" "bad address 'backend'"
	# resolv.conf: netd's resolver on back, nothing from $BERTH_STACK_RESOLV_CONF (which names no server)
	assert_eq "$(st_in shop-db grep nameserver /etc/resolv.conf)" "nameserver 10.90.1.1"
	assert_not_contains "$(st_in shop-db cat /etc/hosts)" "api"
}

published_ports_answer() {
	assert_eq "$(host_get http://127.0.0.1:8081/)" api-here
	assert_eq "$(host_get http://$UPSTREAM_HOST_IP:8081/)" api-here
	assert_eq "$(ip netns exec upstream timeout 5 busybox wget -q -O - http://$UPSTREAM_HOST_IP:8081/)" api-here
	# hairpin: a container of the stack through the host's address
	assert_eq "$(st_get shop-edge http://$UPSTREAM_HOST_IP:8081/)" api-here
}

up_twice_changes_nothing() {
	pids=$(for c in db api edge; do st_pid shop-$c; done)
	eps=$(netctl --json ls)
	before=$(st_requests attach detach network.create network.rm)
	out=$(berth up -f "$STACK") || fail "second up: $out"
	assert_contains "$out" "container db: unchanged, running"
	assert_contains "$out" "container edge: unchanged, running"
	assert_not_contains "$out" "created"
	assert_eq "$(for c in db api edge; do st_pid shop-$c; done)" "$pids" "pids changed"
	assert_eq "$(netctl --json ls)" "$eps" "endpoints changed"
	assert_eq "$(st_requests attach detach network.create network.rm)" "$before" "netd was asked to change something"
}

changed_container_is_recreated() {
	db=$(st_pid shop-db)
	api=$(st_pid shop-api)
	edge=$(st_pid shop-edge)
	write_stack '["sleep", "3601"]'
	out=$(berth up -f "$STACK") || fail "up after a change: $out"
	assert_contains "$out" "container edge: recreated (definition changed)"
	assert_eq "$(st_pid shop-db)" "$db"
	assert_eq "$(st_pid shop-api)" "$api"
	[ "$(st_pid shop-edge)" != "$edge" ] || fail "edge was not recreated"
	assert_contains "$(st_in shop-edge cat /proc/1/cmdline | tr '\0' ' ')" "sleep 3601"
	# a container that died is recreated too
	kill -9 "$(st_pid shop-db)"
	wait_for 5 sh -c "! kill -0 $db 2>/dev/null" || fail "db did not die"
	out=$(berth up -f "$STACK") || fail "up after a death: $out"
	assert_contains "$out" "container db: recreated (it had stopped)"
	assert_eq "$(st_get shop-api http://database:5432/)" db-on-back
	# a new container: the running ones' hosts files learn its name in place
	write_stack '["sleep", "3601"]' ', { "name": "extra", "rootfs": "rootfs", "command": ["sleep", "3600"], "networks": [{"name": "front", "aliases": ["more"]}] }'
	out=$(berth up -f "$STACK") || fail "up with a new container: $out"
	assert_contains "$out" "container extra: created"
	assert_eq "$(st_pid shop-api)" "$api"
	extra=$(netctl --json inspect shop-extra | jq -r '.[0].ip')
	assert_contains "$(st_in shop-api nslookup more)" "$extra"
	assert_contains "$(st_in shop-edge nslookup extra)" "$extra"
	# and forget it when it leaves the file
	write_stack '["sleep", "3601"]'
	out=$(berth up -f "$STACK") || fail "up without it: $out"
	assert_contains "$out" "container extra: removed (no longer in the file)"
	assert_fails st_in shop-api nslookup extra
	assert_not_contains "$(netctl ls)" "shop-extra"
	[ ! -e "$ST_ROOT/stacks/shop/containers/extra" ] || fail "extra's directory left"
}

failed_up_is_cleaned_by_down() {
	cat >"$TMP/clash.json" <<-'EOF'
	{ "networks": [{ "name": "other", "subnet": "10.91.0.0/24" }],
	  "containers": [
	    { "name": "fine", "rootfs": "rootfs", "command": ["sleep", "3600"], "networks": ["other"] },
	    { "name": "db", "rootfs": "rootfs", "command": ["sleep", "3600"], "networks": ["other"],
	      "ports": ["8081:80"], "depends_on": ["fine"] }
	  ] }
	EOF
	assert_fails berth up -f "$TMP/clash.json"
	assert_contains "$FAIL_OUT" "8081"
	assert_contains "$FAIL_OUT" "already published"
	assert_contains "$FAIL_OUT" "berth down -f $TMP/clash.json"
	assert_contains "$(berth ps -f "$TMP/clash.json")" "fine"
	# two stacks with a "db": logs wants the stack named
	assert_fails berth logs db
	assert_contains "$FAIL_OUT" "several stacks"
	assert_ok berth down -f "$TMP/clash.json"
	assert_not_contains "$(netctl ls)" "clash-"
	assert_not_contains "$(netctl network ls)" "other"
	! ip link show other >/dev/null 2>&1 || fail "bridge 'other' left"
	[ ! -e "$ST_ROOT/stacks/clash" ] || fail "state of the failed stack left"
	[ ! -e "$ST_ROOT/clash-fine" ] || fail "container left"
	# the other stack is untouched
	assert_eq "$(host_get http://127.0.0.1:8081/)" api-here
}

logs_show_output() {
	cat >"$TMP/talk.json" <<-'EOF'
	{ "name": "talk", "containers": [
	    { "name": "speaker", "rootfs": "rootfs", "command": "echo to-stdout; echo to-stderr >&2; exec sleep 3600" } ] }
	EOF
	assert_ok berth up -f "$TMP/talk.json"
	wait_for 5 sh -c "command berth --root $ST_ROOT logs speaker | grep -q to-stderr" || fail "no output captured"
	assert_contains "$(berth logs -f "$TMP/talk.json" speaker)" "to-stdout"
	assert_contains "$(berth logs talk-speaker)" "to-stdout"
	assert_fails berth logs nosuch
	assert_contains "$FAIL_OUT" "no container 'nosuch'"
	assert_ok berth down talk
}

down_leaves_nothing() {
	pids=$(for c in db api edge; do st_pid shop-$c; done)
	out=$(berth down -f "$STACK") || fail "down: $out"
	assert_contains "$out" "network front: removed"
	for p in $pids; do
		! kill -0 "$p" 2>/dev/null || fail "process $p left"
	done
	# links: the sandbox's own, netd's default network; no veth, no stack bridge
	assert_eq "$(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | sort | tr '\n' ' ')" "berth0 lo uplink0 "
	assert_eq "$(netctl --json ls)" "[]"
	assert_eq "$(netctl network ls | awk 'NR>1 {print $1}')" berth0
	# leases and records: the networks' state is gone
	[ ! -e "$TMP/netd-state/networks/front" ] || fail "front's store left"
	assert_eq "$(ls "$TMP/netd-state/ports" | grep -v '^lock$' || true)" "" "port claims left"
	# nftables: no element of the stack's networks or ports
	table=$(nft list table inet berth)
	assert_not_contains "$table" "10.90."
	assert_not_contains "$table" "8081"
	# the runtime's state, the bundles, the stacks' directory, the cgroups
	assert_eq "$(ls "$ST_ROOT")" ""
	assert_eq "$(find /sys/fs/cgroup -type d -path "*/$BERTH_TEST_CGROUP/stacks/*" 2>/dev/null)" ""
	# down again: nothing to do
	assert_contains "$(berth down -f "$STACK")" "not up"
}

broken_file_makes_nothing() {
	links=$(ip -o link show | wc -l)
	nets=$(netctl network ls)
	creates=$(st_requests network.create attach)
	write_stack
	sed 's/"memory": "32m"/"memroy": "32m"/' "$STACK" >"$TMP/typo.json"
	assert_fails berth up -f "$TMP/typo.json"
	assert_contains "$FAIL_OUT" "unknown key 'containers[0].memroy'"
	sed 's/"depends_on": \["db"\]/"depends_on": ["nosuch"]/' "$STACK" >"$TMP/dep.json"
	assert_fails berth up -f "$TMP/dep.json"
	assert_contains "$FAIL_OUT" "unknown container 'nosuch'"
	sed 's/"back"\]/"elsewhere"]/' "$STACK" >"$TMP/net.json"
	assert_fails berth up -f "$TMP/net.json"
	assert_contains "$FAIL_OUT" "network 'elsewhere' is neither defined in the stack file nor known to netd"
	sed 's|"rootfs": "rootfs"|"rootfs": "nowhere"|' "$STACK" >"$TMP/rootfs.json"
	assert_fails berth up -f "$TMP/rootfs.json"
	assert_contains "$FAIL_OUT" "nowhere"
	# a network netd has with another definition
	assert_ok netctl network create front --subnet 10.92.0.0/24
	assert_fails berth up -f "$STACK"
	assert_contains "$FAIL_OUT" "network 'front' exists in netd with subnet 10.92.0.0/24"
	assert_ok netctl network rm front
	# an id taken by another container: "x-y" + "z" would be "x" + "y-z"
	cat >"$TMP/x.json" <<-'EOF'
	{ "name": "x", "containers": [{ "name": "y-z", "rootfs": "rootfs", "command": ["sleep", "60"] }] }
	EOF
	cat >"$TMP/x-y.json" <<-'EOF'
	{ "name": "x-y", "containers": [{ "name": "z", "rootfs": "rootfs", "command": ["sleep", "60"] }] }
	EOF
	assert_ok berth up -f "$TMP/x.json"
	pid=$(st_pid x-y-z)
	assert_fails berth up -f "$TMP/x-y.json"
	assert_contains "$FAIL_OUT" "container id 'x-y-z' is taken by a container that is not container 'z' of stack 'x-y'"
	assert_eq "$(st_pid x-y-z)" "$pid" "the other stack's container was touched"
	[ ! -e "$ST_ROOT/stacks/x-y" ] || fail "state made for the refused stack"
	assert_contains "$(berth down x-y)" "not up"
	assert_eq "$(st_pid x-y-z)" "$pid"
	assert_ok berth down -f "$TMP/x.json"
	# without netd
	BERTH_NETD_SOCKET=$TMP/none.sock assert_fails berth up -f "$STACK"
	assert_contains "$FAIL_OUT" "netd is not running (no socket at $TMP/none.sock): start it"
	assert_eq "$(ip -o link show | wc -l)" "$links" "links made"
	assert_eq "$(netctl network ls)" "$nets" "networks made"
	assert_eq "$(st_requests network.create attach)" "$((creates + 1))" "netd asked to make something"
	assert_eq "$(ls "$ST_ROOT")" "" "state made"
}

t "up creates networks and application containers in order" up_creates_everything
t "names and aliases resolve within a network, not across" names_resolve_within_networks
t "published ports answer from the host, its address, upstream and hairpin" published_ports_answer
t "up twice changes nothing" up_twice_changes_nothing
t "a changed, dead, new or dropped container is handled by up" changed_container_is_recreated
t "a failed up is reported and cleaned up by down" failed_up_is_cleaned_by_down
t "logs shows a container's stdout and stderr" logs_show_output
t "down leaves no container, veth, lease, element, state or cgroup" down_leaves_nothing
t "a broken stack file makes nothing" broken_file_makes_nothing
t_done
