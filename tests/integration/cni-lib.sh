# Sourced by tests/integration/t-cni*.sh after lib.sh: drive berth-cni exactly
# as a runtime does (CNI_* environment + the config on stdin) and inspect
# what it left in the kernel and the state directory.

STATE=$TMP/state
export CNI_PATH=$BIN:/usr/lib/cni
REF=/usr/lib/cni

command -v jq >/dev/null || { echo "jq is needed (apt-get install jq)" >&2; exit 1; }

# conf VERSION NAME SUBNET [JQ-FILTER]: a berth-cni network config (gateway, default route, masquerade).
conf() {
	local v=$1 name=$2 subnet=$3 filter=${4:-.}
	jq -cn --arg v "$v" --arg n "$name" --arg s "$subnet" --arg d "$STATE" \
		"{cniVersion: \$v, name: \$n, type: \"berth-cni\", bridge: (\"br-\" + \$n), isGateway: true,
		  isDefaultGateway: true, ipMasq: true, dataDir: \$d, ipam: {subnet: \$s}} | $filter"
}

# ports JSON-LIST CONFIG: the config with runtimeConfig.portMappings set.
with_ports() {
	jq -c --argjson p "$1" '. + {runtimeConfig: ((.runtimeConfig // {}) + {portMappings: $p})}' <<<"$2"
}

# with_prev CONFIG RESULT: the config with prevResult set (as a runtime passes it down a chain).
with_prev() {
	jq -c --argjson r "$2" '. + {prevResult: $r}' <<<"$1"
}

# cni CMD ID NETNS-PATH IFNAME CONFIG [VAR=VALUE...]: run berth-cni; result on stdout, diagnostics on stderr.
cni() {
	local cmd=$1 id=$2 netns=$3 ifname=$4 config=$5
	shift 5
	printf '%s' "$config" | env CNI_COMMAND="$cmd" CNI_CONTAINERID="$id" CNI_NETNS="$netns" \
		CNI_IFNAME="$ifname" "$@" berth-cni
}

# cni_net CMD CONFIG [VAR=VALUE...]: GC / STATUS, with no container variables at all.
cni_net() {
	local cmd=$1 config=$2
	shift 2
	printf '%s' "$config" | env -u CNI_CONTAINERID -u CNI_NETNS -u CNI_IFNAME CNI_COMMAND="$cmd" "$@" berth-cni
}

# cni_ok ...: like cni; a failure fails the test case with the plugin's error.
cni_ok() {
	local out
	local fn=cni
	case $1 in GC | STATUS) fn=cni_net ;; esac
	out=$($fn "$@" 2>"$TMP/cni.err") || fail "berth-cni $1 $2 failed: $out $(cat "$TMP/cni.err")"
	printf '%s' "$out"
}

# cni_code EXPECTED CMD ...: the command must fail with that CNI error code, as a
# well-formed error object on stdout with a diagnostic on stderr.
cni_code() {
	local want=$1 out rc fn=cni
	shift
	case $1 in GC | STATUS) fn=cni_net ;; esac
	# (a failing command substitution in a plain assignment would end the case under set -e)
	out=$($fn "$@" 2>"$TMP/cni.err") && rc=0 || rc=$?
	[ $rc -ne 0 ] || fail "berth-cni $1 $2 succeeded, expected code $want: $out"
	jq -e --argjson c "$want" '.code == $c and (.msg | type) == "string" and (.msg | length) > 0
		and (.cniVersion | type) == "string" and (keys - ["cniVersion", "code", "msg", "details"] == [])' \
		<<<"$out" >/dev/null || fail "berth-cni $1 $2: expected an error object with code $want, got: $out"
	[ -s "$TMP/cni.err" ] || fail "no diagnostic on stderr for code $want"
	printf '%s' "$out"
}

# has TEXT CMD...: CMD's output contains TEXT (no "| grep -q", which pipefail turns into SIGPIPE failures).
has() {
	local text=$1 out
	shift
	out=$("$@" 2>&1)
	[[ $out == *"$text"* ]]
}

# ns_add NAME: a container-like network namespace; prints its path.
ns_add() {
	netns_add "$1"
	echo "/run/netns/$1"
}

# The container address of a result (CIDR) and without the prefix.
res_cidr() { jq -r '.ips[-1].address' <<<"$1"; }
res_ip() { jq -r '.ips[-1].address | split("/")[0]' <<<"$1"; }

# Published host ports in berth's nftables maps (one element per line).
nft_elems() {
	nft -j list table inet berth 2>/dev/null |
		jq -c '.nftables[] | select(.map) | .map | select(.name | startswith("pub")) | .elem // [] | .[]'
}

# cni_settle: DEL and GC retire a veth pair at once (off the bridge, both ends renamed
# "bx<12 hex>") and leave its deletion to a detached process (netd/reaper.h); wait, at
# most 10 s, until every retired link of this namespace is gone.
cni_settle() {
	local i links
	for ((i = 0; i < 200; i++)); do
		# (no "| grep -q": under pipefail, ip killed by SIGPIPE would read as "none left")
		links=$(ip -o link show type veth)
		[[ $links =~ (^|$'\n')[0-9]+:\ bx[0-9a-f]{12}[@:] ]] || return 0
		sleep 0.05
	done
	fail "retired links still there after 10 s: $(ip -o link show type veth | grep -oE 'bx[0-9a-f]{12}' | tr '\n' ' ')"
}

# assert_clean NET [SHARED]: nothing of NET's attachments is left: no veth on its
# bridge, no endpoint record or port claim in the state directory and (unless
# SHARED: other networks publish ports too) no published port at all.
assert_clean() {
	local net=$1 left
	cni_settle
	left=$(ip -o link show type veth master "br-$net" 2>/dev/null || true)
	[ -z "$left" ] || fail "veth left on br-$net: $left"
	left=$(find "$STATE/networks/$net/endpoints" -type f 2>/dev/null || true)
	[ -z "$left" ] || fail "endpoint records left: $left"
	left=$(find "$STATE/ports" -type f -name '*-*.json' -exec jq -c --arg n "$net" '.[] | select(.network == $n)' {} + 2>/dev/null || true)
	[ -z "$left" ] || fail "port claims of $net left: $left"
	[ -z "${2:-}" ] || return 0
	left=$(nft_elems || true)
	[ -z "$left" ] || fail "nftables map elements left: $left"
	left=$(nft list table bridge berth 2>/dev/null | grep 'elements = ' || true)
	[ -z "$left" ] || fail "anti-spoofing elements left: $left"
}

# assert_attached NS-NAME CIDR BRIDGE: the kernel holds what ADD reported.
assert_attached() {
	local ns=$1 cidr=$2 br=$3 peer
	grep -q "inet $cidr " <<<"$(ip -n "$ns" -o addr show dev eth0)" || fail "$cidr not on eth0 in $ns: $(ip -n "$ns" -o addr)"
	peer=$(ip -n "$ns" -o link show dev eth0 | sed -n 's/.*@if\([0-9]*\).*/\1/p')
	grep -q "^$peer: .* master $br " <<<"$(ip -o link show)" || fail "host end of $ns/eth0 not on $br: $(ip -o link)"
}
