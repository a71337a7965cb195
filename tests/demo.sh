#!/bin/bash
# make demo: what berth can do so far, in a sandbox that leaves nothing behind.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/rel}
BIN=$PWD/$BUILD/bin
if [ "$(id -u)" != 0 ]; then
	echo "make demo needs root (namespaces, links, nftables): run sudo make demo" >&2
	exit 1
fi
make --no-print-directory -s "$BUILD/bin/sandbox" "$BUILD/bin/tst-net" >/dev/null
exec "$BIN/sandbox" bash -c '
set -euo pipefail
export PATH='"$BIN"':$PATH
echo "== a namespaced process with a network of its own"
ip netns add demo
ip link add demo-host type veth peer name eth0 netns demo
ip addr add 10.99.0.1/24 dev demo-host && ip link set demo-host up
ip -n demo link set lo up
ip -n demo addr add 10.99.0.2/24 dev eth0 && ip -n demo link set eth0 up
ip -n demo route add default via 10.99.0.1
echo "-- inside: interfaces and routes"
ip -n demo -br addr
ip -n demo route
echo "-- a server inside answers a client outside with the address it saw"
ip netns exec demo tst-net serve 10.99.0.2 80 hello-from-demo >/dev/null &
sleep 0.2
tst-net request 10.99.0.2 80
kill %1
echo "== done; everything above lived in throw-away namespaces"
'
