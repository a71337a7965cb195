#!/bin/bash
# make demo: a web container serving a page on a published host port and a
# client container fetching it by name, on a network of their own; then
# everything is taken down again (docs/stacks.md, "make demo").
#
#   tests/demo.sh          run the demo (as root; `make demo` builds first)
#   KEEP=1 tests/demo.sh   leave the stack (and a netd the demo started) running
#   tests/demo.sh down     take down what a KEEP=1 or an interrupted run left
#
# It runs on the real host, so it is careful:
#  - it uses the netd it finds (the demo's own from an earlier run, else a
#    netd at /run/berth/netd.sock), and starts one only when there is none:
#    with its socket, state and log under $DEMO_DIR/netd and no default
#    network, so it creates nothing but the demo's network (10.89.0.0/24,
#    bridge "webnet") and berth's nftables table;
#  - it refuses to start a netd when berth's nftables table exists without
#    one (it would belong to a netd that is not running), and refuses when
#    host port 8080 is taken;
#  - on the way out (also on failure or Ctrl-C) it takes the stack down,
#    and when it started netd, stops it, removes the table (netctl
#    teardown) and puts net.ipv4.ip_forward (and net.ipv6.conf.all.forwarding)
#    back if it was 0.
#  - where the host has IPv6 the network gets an IPv6 subnet too
#    (fd00:89::/64) and the demo shows both families; without IPv6 it says
#    so and runs on IPv4 alone.
#
# Environment (the test suite runs the demo inside its sandbox with these):
#   DEMO_DIR    where the demo keeps its state (default build/demo)
#   DEMO_STACK  the stack file (default config/examples/web.json)
#   BERTH_BIN_DIR, BUILD   where berth, netd and netctl are (default build/rel/bin)
#   BERTH_CGROUP_PARENT, BERTH_STACK_RESOLV_CONF   passed on to berth up
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/rel}
BIN=${BERTH_BIN_DIR:-$PWD/$BUILD/bin}
DEMO_DIR=${DEMO_DIR:-$PWD/build/demo}
STACK=${DEMO_STACK:-$PWD/config/examples/web.json}
KEEP=${KEEP:-0}
MODE=${1:-run}
SYSTEM_SOCK=/run/berth/netd.sock
NETD_DIR=$DEMO_DIR/netd
DEMO_SOCK=$NETD_DIR/netd.sock
# a Unix socket path holds at most 107 bytes: a checkout deep down gets one in /run (netd removes it on exit)
[ ${#DEMO_SOCK} -lt 100 ] || DEMO_SOCK=/run/berth-demo-netd.sock
ROOT=$DEMO_DIR/root
PORT=8080
export PATH="$BIN:$PATH"

if [ -t 1 ]; then B=$'\e[1m' N=$'\e[0m'; else B="" N=""; fi
step() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
show() {
	printf '%s$ %s%s\n' "$B" "$*" "$N"
	"$@"
}
die() {
	echo "demo: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "needs root (namespaces, links, nftables): run sudo make demo"
for p in berth netd netctl; do
	[ -x "$BIN/$p" ] || die "$BIN/$p is missing: run make (or make demo, which builds)"
done
[ "$MODE" = run ] || [ "$MODE" = down ] || die "usage: tests/demo.sh [down]"

berth() { command berth --root "$ROOT" "$@"; }
pinged() { netctl --socket "$1" ping >/dev/null 2>&1; }
netd_pid() { cat "$NETD_DIR/netd.pid" 2>/dev/null || true; }
OURS=0
SOCK=""

# The demo's own netd (still running, or its state left by a run that died) comes first, then the system's.
choose_netd() {
	if pinged "$DEMO_SOCK"; then
		SOCK=$DEMO_SOCK OURS=1
		echo "using the demo's netd from an earlier run (pid $(netd_pid), state in $NETD_DIR)"
	elif [ -d "$NETD_DIR/state" ]; then
		start_netd "restarting the demo's netd on the state an earlier run left"
	elif pinged "$SYSTEM_SOCK"; then
		SOCK=$SYSTEM_SOCK OURS=0
		echo "using the netd running at $SYSTEM_SOCK (it stays as it is)"
	else
		[ "$MODE" = run ] || return 0
		if nft list table inet berth >/dev/null 2>&1; then
			die "nftables table 'inet berth' exists but no netd answers at $SYSTEM_SOCK: it belongs to a netd that is not running. Start that netd (the demo then uses it), or, if the table is stale, remove it (nft delete table inet berth) and run the demo again."
		fi
		start_netd "no netd is running: starting one for the demo"
	fi
}

start_netd() {
	echo "$1 (socket $DEMO_SOCK, state $NETD_DIR/state, log $NETD_DIR/netd.log)"
	mkdir -p "$NETD_DIR"
	# no default network: the demo's netd makes only what the stack asks for
	[ -e "$NETD_DIR/forward-was" ] || cat /proc/sys/net/ipv4/ip_forward >"$NETD_DIR/forward-was"
	[ -e "$NETD_DIR/forward6-was" ] || ! [ -e /proc/sys/net/ipv6 ] ||
		cat /proc/sys/net/ipv6/conf/all/forwarding >"$NETD_DIR/forward6-was"
	echo '{"default_network": null, "networks": []}' >"$NETD_DIR/netd.json"
	netd --config "$NETD_DIR/netd.json" --socket "$DEMO_SOCK" --state-dir "$NETD_DIR/state" \
		--run-dir "$NETD_DIR" --log-file "$NETD_DIR/netd.log"
	SOCK=$DEMO_SOCK OURS=1
}

stop_netd() {
	local pid i
	pid=$(netd_pid)
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		[ -e "/proc/$pid" ] || return 0
		sleep 0.1
	done
	echo "demo: netd (pid $pid) did not stop" >&2
	return 1
}

# Take down the stack; when the demo started netd, stop it and leave no trace of it. Returns 1 when something is left.
take_down() {
	local ok=0 left
	step "taking it down again"
	if [ -d "$ROOT/stacks" ] || [ -n "$SOCK" ]; then
		BERTH_NETD_SOCKET=$SOCK show berth down -f "$STACK" || ok=1
	fi
	if [ "$OURS" = 1 ]; then
		# the demo's netd has no network left now: berth's nftables table goes, then netd
		show netctl --socket "$SOCK" teardown >/dev/null || ok=1
		stop_netd || ok=1
		if [ "$(cat "$NETD_DIR/forward-was" 2>/dev/null)" = 0 ]; then
			echo 0 >/proc/sys/net/ipv4/ip_forward
		fi
		if [ "$(cat "$NETD_DIR/forward6-was" 2>/dev/null)" = 0 ]; then
			echo 0 >/proc/sys/net/ipv6/conf/all/forwarding
		fi
		[ $ok = 1 ] || rm -rf "$NETD_DIR"
	fi
	[ $ok = 1 ] || rm -rf "$ROOT"
	# what a user would look for
	left=""
	ip link show webnet >/dev/null 2>&1 && left="$left bridge webnet;"
	left="$left$(ip -o link show type veth 2>/dev/null | awk -F': ' '$2 ~ /^b[vx][0-9a-f]{12}/ {printf " veth %s;", $2}')"
	if [ "$OURS" = 1 ]; then
		nft list table inet berth >/dev/null 2>&1 && left="$left nftables table inet berth;"
		[ -e "$NETD_DIR" ] && left="$left $NETD_DIR;"
	fi
	[ -e "$ROOT" ] && left="$left $ROOT;"
	left="$left$(find /sys/fs/cgroup -maxdepth 6 -type d -path "*${BERTH_CGROUP_PARENT:-/berth/stacks}/web" 2>/dev/null | sed 's/^/ cgroup /;s/$/;/' | tr -d '\n')"
	if [ -n "$left" ]; then
		echo "demo: left behind:$left" >&2
		return 1
	fi
	if [ "$OURS" = 1 ]; then
		echo "nothing left behind: no container, veth, bridge, cgroup, state, nftables table or netd of the demo"
	else
		echo "nothing of the demo left behind; the netd at $SOCK runs on as before"
	fi
	return $ok
}

# Where the host has IPv6, the demo's network is dual stack: the stack file with an IPv6 subnet beside the IPv4 one.
IPV6=0
if [ -e /proc/sys/net/ipv6 ] && [ "$(cat /proc/sys/net/ipv6/conf/all/disable_ipv6 2>/dev/null)" = 0 ]; then
	IPV6=1
	mkdir -p "$DEMO_DIR"
	sed 's|"subnet": "10.89.0.0/24"|"subnet": "10.89.0.0/24", "subnet6": "fd00:89::/64"|' "$STACK" >"$DEMO_DIR/web-ipv6.json"
	STACK=$DEMO_DIR/web-ipv6.json
fi

if [ "$MODE" = down ]; then
	choose_netd
	take_down
	exit $?
fi

fetch() {
	if command -v curl >/dev/null; then
		curl -fsS --max-time 3 "$1"
	else
		# (busybox 1.35's wget -T crashes when linked statically)
		timeout 5 busybox wget -q -O - "$1"
	fi
}

finish() {
	local rc=$?
	trap - EXIT INT TERM
	if [ $rc = 0 ] && [ "$KEEP" = 1 ]; then
		step "KEEP=1: the stack keeps running"
		echo "look around:"
		echo "  $BIN/berth --root $ROOT ps"
		echo "  $BIN/berth --root $ROOT logs client"
		echo "  $BIN/berth --root $ROOT exec web-client wget -q -O - http://www/"
		echo "  $BIN/netctl --socket $SOCK ls"
		echo "take it down with:"
		echo "  make demo-down        (or: tests/demo.sh down)"
		exit 0
	fi
	[ $rc = 0 ] || echo "demo: failed (exit $rc); cleaning up" >&2
	take_down || rc=1
	exit $rc
}

mkdir -p "$DEMO_DIR"
step "netd"
choose_netd
export BERTH_NETD_SOCKET=$SOCK
trap finish EXIT
trap 'exit 130' INT TERM
running=$(berth ps -f "$STACK" 2>/dev/null || true)
listening=$(ss -Hltn "sport = :$PORT" 2>/dev/null || true)
if [[ $running != *running* ]] && [ -n "$listening" ]; then
	die "host port $PORT is in use here: the demo publishes the web container on it"
fi

if [ "$IPV6" = 1 ]; then
	step "berth up: a network, a web server and a client (config/examples/web.json, with IPv6 fd00:89::/64 beside IPv4)"
else
	step "berth up: a network, a web server and a client (config/examples/web.json)"
	echo "note: this host has no IPv6 (the kernel lacks it, or net.ipv6.conf.all.disable_ipv6 is 1): the demo runs on IPv4 alone"
fi
show berth up -f "$STACK"

step "netd's view: every endpoint (netctl ls)"
show netctl ls
step "the routes inside each container (netctl routes)"
show netctl routes web-web
show netctl routes web-client

step "the client fetched the page from the web container by name (berth logs client)"
for ((i = 0; i < 100; i++)); do
	berth logs client 2>/dev/null | grep -q 'fetched from web by name' && break
	sleep 0.1
done
show berth logs client
berth logs client | grep -q 'fetched from web by name' ||
	die "the client did not fetch the page from the web container. A firewall that drops bridged or forwarded traffic (an iptables FORWARD policy of DROP together with br_netfilter, as Docker sets up) would do that."
echo "(it asked netd's DNS server on the network's gateway: its /etc/resolv.conf, and the names netd answers)"
show berth exec web-client cat /etc/resolv.conf
show netctl dns webnet

step "from the host, through the published port: http://127.0.0.1:$PORT/"
page=""
for ((i = 0; i < 50; i++)); do
	page=$(fetch "http://127.0.0.1:$PORT/" 2>/dev/null) && break
	sleep 0.1
done
[ -n "$page" ] || die "no answer on 127.0.0.1:$PORT"
printf '%s\n' "$page"
if [ "$IPV6" = 1 ]; then
	step "and over IPv6: http://[::1]:$PORT/ (netd's [::1] proxy) and the container's own IPv6 address"
	page=$(fetch "http://[::1]:$PORT/") || die "no answer on [::1]:$PORT"
	printf '%s\n' "$page"
	show berth exec web-client wget -q -O - "http://[fd00:89::2]/"
fi

step "the picture: netctl graph"
show netctl graph --output "$DEMO_DIR/topology.dot"
if command -v dot >/dev/null; then
	show netctl graph --output "$DEMO_DIR/topology.svg"
	echo "wrote $DEMO_DIR/topology.dot and $DEMO_DIR/topology.svg"
else
	echo "wrote $DEMO_DIR/topology.dot (install graphviz for the SVG)"
fi
