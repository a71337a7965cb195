# Sourced by tests/integration/t-stack*.sh after lib.sh: a busybox root
# filesystem from runtime/mkrootfs.sh (what `make rootfs` builds), netd on a
# socket and state directory under $TMP, and berth with --root under $TMP
# and its stacks' cgroups under /$BERTH_TEST_CGROUP/stacks.
#
#   st_netd [CONFIG]     start netd in the foreground (debug log in $ST_NETD_LOG)
#   berth ...            the runtime with --root $ST_ROOT
#   st_requests OP...    how many requests of these ops netd has logged so far

ST_ROOT=$TMP/berth-root
ST_SOCK=$TMP/netd.sock
ST_NETD_LOG=$TMP/netd.log
ST_ROOTFS=$TMP/rootfs
export BERTH_NETD_SOCKET=$ST_SOCK
export BERTH_CGROUP_PARENT=/$BERTH_TEST_CGROUP/stacks
# containers get the nameservers of this file: none, so no lookup ever leaves the sandbox
: >"$TMP/resolv.conf"
export BERTH_STACK_RESOLV_CONF=$TMP/resolv.conf
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

[ -x /bin/busybox ] || skip "busybox-static is not installed"
"$REPO/runtime/mkrootfs.sh" "$ST_ROOTFS" >/dev/null || fail "mkrootfs"

berth() {
	command berth --root "$ST_ROOT" "$@"
}

# netd as a daemon (its pidfile in $TMP/netd-run): it outlives the test cases, each of which ends its own children
st_netd() {
	local cfg=(--config "${1:-$TMP/netd.json}")
	# netd's DNS forwards to the nameservers of that same empty file: none, SERVFAIL at once
	[ -n "${1:-}" ] || echo "{\"dns\": {\"resolv_conf\": \"$TMP/resolv.conf\"}}" >"$TMP/netd.json"
	netd "${cfg[@]}" --socket "$ST_SOCK" --state-dir "$TMP/netd-state" --run-dir "$TMP/netd-run" \
		--log-level debug --log-file "$ST_NETD_LOG" || fail "netd did not start"
}

st_netd_stop() {
	local pid
	pid=$(cat "$TMP/netd-run/netd.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || true
	wait_for 10 test ! -e "/proc/$pid" || kill -9 "$pid" 2>/dev/null || true
}
trap 'st_netd_stop; t_kill_all' EXIT

# st_requests OP...: count of netd's "request OP" log lines for these ops
st_requests() {
	local op n=0 c
	for op in "$@"; do
		c=$(grep -c "request $op\( \|\$\)" "$ST_NETD_LOG" || true)
		n=$((n + c))
	done
	echo "$n"
}

# st_pid ID: the init pid of a container
st_pid() {
	berth state "$1" | sed -n 's/^ *"pid": \([0-9]*\),*$/\1/p'
}

# st_in ID CMD...: run CMD inside a container, output and exit status as it gives them
st_in() {
	local id=$1
	shift
	berth exec "$id" "$@"
}

# st_get ID URL / host_get URL: fetch a page from inside a container / from the host.
# (busybox 1.35's wget -T crashes when linked statically: timeout(1) bounds it instead)
st_get() {
	berth exec "$1" timeout 5 wget -q -O - "$2"
}

host_get() {
	timeout 5 busybox wget -q -O - "$1"
}
