#!/bin/bash
# The shell harness itself: isolation, upstream topology, traffic helpers.
. "$(dirname "$0")/lib.sh"

isolated() {
	assert_eq "$(ip -o link show | grep -vc ' lo:')" 0 "sandbox starts with only lo"
	assert_eq "$(ip netns list | wc -l)" 0 "no namespaces inherited"
	[ -d "$TMP" ] || fail "no scratch dir"
	assert_eq "$(hostname)" berth-test
}

upstream_traffic() {
	upstream_add
	serve upstream 198.51.100.1 7000 up
	assert_eq "$(request - 198.51.100.1 7000)" "up $UPSTREAM_HOST_IP"
	serve upstream --udp 198.51.100.1 7001 upu
	assert_eq "$(request - --udp 198.51.100.1 7001)" "upu $UPSTREAM_HOST_IP"
}

refused_is_failure() {
	netns_add c1
	assert_fails request c1 127.0.0.1 9
	assert_contains "$FAIL_OUT" "refused"
}

t "sandbox is isolated" isolated
t "upstream namespace answers with the address it saw" upstream_traffic
t "a refused connection fails the request" refused_is_failure
t_done
