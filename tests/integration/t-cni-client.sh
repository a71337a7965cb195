#!/bin/bash
# berth-cni driven by libcni, the library container engines use, through
# tests/tools/cni-client (built here from Debian's golang-go and
# golang-github-appc-cni-dev): a conflist with port mappings, add / check /
# del, result caching and prevResult handled by libcni itself.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cni-lib.sh"

# A copy of the shared tools' cni-client lives in tests/tools/cni-client (see its README).
TOOL=${BERTH_CNI_CLIENT_SRC:-$(cd "$(dirname "$0")/../tools/cni-client" && pwd)}
CLIENT=$TMP/cni-client
export CNI_CACHE_DIR=$TMP/cni-cache

build_client() {
	[ -x "$CLIENT" ] && return 0
	[ -f "$TOOL/build.sh" ] || fail "cni-client sources not found at $TOOL"
	command -v go >/dev/null || fail "golang-go is not installed (make check installs it)"
	[ -d /usr/share/gocode/src/github.com/containernetworking/cni/libcni ] ||
		fail "golang-github-appc-cni-dev is not installed (make check installs it)"
	HOME=$TMP sh "$TOOL/build.sh" "$CLIENT" >"$TMP/build.log" 2>&1 || fail "building cni-client: $(cat "$TMP/build.log")"
}

conflist() {
	jq -n --arg d "$STATE" '{cniVersion: "1.0.0", name: "libcni", plugins: [
		{type: "berth-cni", bridge: "br-libcni", isGateway: true, isDefaultGateway: true, ipMasq: true,
		 hairpinMode: true, dataDir: $d, ipam: {subnet: "10.130.0.0/24"}, capabilities: {portMappings: true}},
		{type: "tuning", sysctl: {"net.ipv4.conf.eth0.rp_filter": "2"}}]}' >"$TMP/libcni.conflist"
}

add_check_del() {
	local out
	build_client
	conflist
	[ -e /run/netns/upstream ] || upstream_add
	ns_add lc1 >/dev/null
	out=$("$CLIENT" version "$TMP/libcni.conflist" /run/netns/lc1 ctr1 2>&1) || fail "version: $out"
	assert_contains "$out" "berth-cni [0.3.0 0.3.1 0.4.0 1.0.0 1.1.0]"
	out=$("$CLIENT" add "$TMP/libcni.conflist" /run/netns/lc1 ctr1 eth0 \
		'[{"hostPort":8443,"containerPort":443,"protocol":"tcp"}]' 2>&1) || fail "add: $out"
	jq -e '.cniVersion == "1.0.0" and .interfaces[2].name == "eth0" and .ips[0].interface == 2' <<<"$out" \
		>/dev/null || fail "libcni's result: $out"
	assert_eq "$(ip netns exec lc1 cat /proc/sys/net/ipv4/conf/eth0/rp_filter)" 2 "the chain ran on to tuning"
	serve lc1 0.0.0.0 443 tls
	assert_eq "$(request upstream $UPSTREAM_HOST_IP 8443)" "tls $UPSTREAM_GW_IP"
	out=$("$CLIENT" check "$TMP/libcni.conflist" /run/netns/lc1 ctr1 eth0 2>&1) || fail "check: $out"
	# libcni repeats the port mappings from its cache on DEL; berth-cni would not need them
	out=$("$CLIENT" del "$TMP/libcni.conflist" /run/netns/lc1 ctr1 eth0 2>&1) || fail "del: $out"
	assert_fails request upstream $UPSTREAM_HOST_IP 8443 500
	assert_clean libcni
	out=$("$CLIENT" del "$TMP/libcni.conflist" /run/netns/lc1 ctr1 eth0 2>&1) || fail "second del: $out"
}

# A CHECK through libcni fails when the container's address is gone.
check_detects_damage() {
	local out
	build_client
	conflist
	ns_add lc2 >/dev/null
	out=$("$CLIENT" add "$TMP/libcni.conflist" /run/netns/lc2 ctr2 eth0 2>&1) || fail "add: $out"
	ip -n lc2 addr flush dev eth0
	out=$("$CLIENT" check "$TMP/libcni.conflist" /run/netns/lc2 ctr2 eth0 2>&1) && fail "check passed: $out"
	assert_contains "$out" "lacks its address"
	out=$("$CLIENT" del "$TMP/libcni.conflist" /run/netns/lc2 ctr2 eth0 2>&1) || fail "del: $out"
	assert_clean libcni
}

# The example conflist shipped for engines works as it is (state redirected).
example_conflist() {
	local out
	build_client
	ns_add lc3 >/dev/null
	jq --arg d "$STATE" '.plugins[0].dataDir = $d' "$(dirname "$0")/../../config/examples/berth-cni.conflist" \
		>"$TMP/example.conflist"
	out=$("$CLIENT" add "$TMP/example.conflist" /run/netns/lc3 ctr3 eth0 '[{"hostPort":8088,"containerPort":80}]' 2>&1) ||
		fail "add: $out"
	jq -e '.ips[0].address | startswith("10.89.")' <<<"$out" >/dev/null || fail "$out"
	out=$("$CLIENT" check "$TMP/example.conflist" /run/netns/lc3 ctr3 eth0 2>&1) || fail "check: $out"
	out=$("$CLIENT" del "$TMP/example.conflist" /run/netns/lc3 ctr3 eth0 2>&1) || fail "del: $out"
	assert_clean berth-cni
}

# IPv6 through libcni: a dual-stack and an IPv6-only conflist, ports on [::] and an IPv6 host address.
ipv6_conflists() {
	local out ipam k=0
	build_client
	[ -e /proc/sys/net/ipv6 ] || skip "this kernel has no IPv6"
	[ -e /run/netns/upstream ] || upstream_add
	for ipam in '{ranges: [[{subnet: "10.131.0.0/24"}], [{subnet: "fd00:131::/64"}]]}' \
		'{ranges: [[{subnet: "fd00:132::/64"}]]}'; do
		k=$((k + 1))
		jq -n --arg d "$STATE" --arg n "libcni6$k" --argjson i "$(jq -n "$ipam")" '{cniVersion: "1.0.0",
			name: $n, plugins: [{type: "berth-cni", bridge: ("br-" + $n), isGateway: true,
			isDefaultGateway: true, ipMasq: true, hairpinMode: true, dataDir: $d, ipam: $i,
			capabilities: {portMappings: true}}]}' >"$TMP/libcni6.conflist"
		ns_add "lc6$k" >/dev/null
		out=$("$CLIENT" add "$TMP/libcni6.conflist" "/run/netns/lc6$k" "ctr6$k" eth0 \
			'[{"hostPort":8446,"containerPort":443,"protocol":"tcp"},{"hostPort":8447,"containerPort":443,"hostIP":"2001:db8::2"}]' 2>&1) ||
			fail "add: $out"
		jq -e '.ips | map(select(.address | contains(":"))) | length == 1' <<<"$out" >/dev/null ||
			fail "no IPv6 address in libcni's result: $out"
		jq -e '.routes | map(.dst) | index("::/0") != null' <<<"$out" >/dev/null || fail "no ::/0 route: $out"
		serve "lc6$k" :: 443 tls6
		assert_eq "$(request upstream "$UPSTREAM_HOST_IP6" 8446)" "tls6 $UPSTREAM_GW_IP6"
		assert_eq "$(request upstream "$UPSTREAM_HOST_IP6" 8447)" "tls6 $UPSTREAM_GW_IP6"
		out=$("$CLIENT" check "$TMP/libcni6.conflist" "/run/netns/lc6$k" "ctr6$k" eth0 2>&1) || fail "check: $out"
		out=$("$CLIENT" del "$TMP/libcni6.conflist" "/run/netns/lc6$k" "ctr6$k" eth0 2>&1) || fail "del: $out"
		assert_clean "libcni6$k"
		t_kill_all
	done
}

t "libcni: version, add (with port mappings, chained to tuning), check, del" add_check_del
t "libcni: check reports a container that lost its address" check_detects_damage
t "config/examples/berth-cni.conflist works through libcni" example_conflist
t "libcni: dual-stack and IPv6-only conflists, ports in IPv6, check, del" ipv6_conflists
t_done
