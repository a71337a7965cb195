#!/bin/bash
# make demo-fabric: the fabric across hosts on one machine. etcd and three simulated hosts (each a
# network namespace with its own netd, socket, run and state directories), joined through an underlay
# bridge in a "switch" namespace on 192.0.2.0/24 (TEST-NET-1, never the machine's own uplink); a
# dual-stack fabric network, a web server on host 1 and a client on host 3 fetching from it by name
# (host 3's netd answers DNS with the names every host publishes in etcd) and over IPv6, the fabric as
# host 3 sees it and its overlay routes of both families; host 2's netd killed and brought back; then everything taken down.
#
# Everything happens inside tests/harness/sandbox (fresh network, mount and pid namespaces, a scratch
# directory): whatever the demo makes dies with it, so it leaves nothing behind even when interrupted.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/rel}
export BERTH_BIN_DIR=${BERTH_BIN_DIR:-$PWD/$BUILD/bin}

if [ -z "${BERTH_SANDBOX:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "demo-fabric: run as root (namespaces, links, nftables)" >&2; exit 1; }
	exec "$BERTH_BIN_DIR/sandbox" --timeout 300 bash "$0" "$@"
fi

source tests/integration/lib.sh
source tests/integration/lib-fabric.sh
FAB_GRACE_MS=3000

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

say "etcd on $FAB_ETCD_IP in the switch namespace, three hosts on 192.0.2.0/24, each with its own netd"
fab_up 3
show fab_netctl 1 fabric

say "a fabric network, IPv4 and IPv6: stored in etcd, created on every host on blocks of its own"
show fab_netctl 1 network create fab --subnet 10.70.0.0/16 --subnet6 fd70::/48 --fabric
for n in 1 2 3; do wait_for 10 fab_netctl "$n" network inspect fab || fail "host $n has no fab"; done

say "a web server on host 1 named web (alias www), a client on host 3"
web=$(fab_container 1 web fab --name web --alias www) || fail "attach web"
client=$(fab_container 3 client fab --name client) || fail "attach client"
mkdir -p "$FAB_DIR/www"
echo "hello from host 1 ($web), across the fabric" >"$FAB_DIR/www/index.html"
ip netns exec web busybox httpd -f -p "$web:80" -h "$FAB_DIR/www" &
_t_pids+=($!)
serve web "$web" 8080 web
wait_for 5 request client "$web" 8080 500 || fail "the client cannot reach the web server"
echo "the web server saw the client as: $(request client "$web" 8080 2000) (its own address: $client)"
web6=$(fab_ip6 web)
serve web "$web6" 8086 web6
echo "over IPv6 it saw: $(request client "$web6" 8086 2000) (the client's own: $(fab_ip6 client))"

say "by name: host 3's netd answers DNS on the client's gateway, with the names of every host"
# the client's resolv.conf from the dns object netd gives for the network (what the runtime writes)
fab_netctl 3 --json network inspect fab | jq -r '.dns | (.nameservers[] | "nameserver " + .),
	"search " + (.search | join(" ")), "options ndots:0"' >"$FAB_DIR/client.resolv.conf"
show cat "$FAB_DIR/client.resolv.conf"
# in_client CMD...: CMD in the client's namespace with that resolv.conf (bound in a mount namespace of its own)
in_client() {
	# shellcheck disable=SC2016
	ip netns exec client unshare --mount --propagation private \
		sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$FAB_DIR/client.resolv.conf" "$@"
}
wait_for 5 eval "in_client busybox nslookup web >/dev/null" || fail "web does not resolve on host 3"
show fab_netctl 3 dns fab
show in_client busybox nslookup www
if command -v curl >/dev/null; then
	show in_client curl -s http://web/
else
	show in_client busybox wget -qO- http://web/
fi

say "host 3's view of the fabric, and its overlay routes (one per remote host, proto 98)"
show fab_netctl 3 fabric
show ip -n fh3 route show proto 98
show ip -n fh3 -6 route show proto 98
show ip -n fh3 neigh show dev bfx1 nud permanent
show bridge -n fh3 fdb show dev bfx1
show fab_netctl 3 routes client

say "host 3 takes VXLAN only from the other hosts' underlay addresses"
show ip netns exec fh3 nft list set inet berth vxlan_peers4

say "host 2's netd killed (-9): the kernel state stays; restarted, it takes its leases back"
fab_netd_kill 2 KILL
show fab_netctl 1 fabric
fab_netd_start 2
fab_wait_sync 10 2
show fab_netctl 2 fabric
echo "the client still fetches: $(request client "$web" 8080 2000)"

say "taking everything down"
fab_down
echo "done: the sandbox's namespaces, etcd and every netd are gone"
