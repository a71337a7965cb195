#!/bin/bash
# Many berth-cni processes at once on one network, as a busy node runs them:
# 64 ADDs for different containers all succeed with distinct addresses, GC
# running meanwhile never removes a valid attachment, 64 DELs leave nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cni-lib.sh"

N=64
C=$(conf 1.1.0 busy 10.120.0.0/16)

many_adds() {
	local i pids=() rc=0 ips
	for ((i = 1; i <= N; i++)); do ns_add "p$i" >/dev/null; done
	for ((i = 1; i <= N; i++)); do
		cni ADD "pod-$i" "/run/netns/p$i" eth0 \
			"$(with_ports "[{\"hostPort\":$((20000 + i)),\"containerPort\":80}]" "$C")" \
			>"$TMP/add.$i" 2>"$TMP/add.$i.err" &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || { rc=1; echo "  ADD pod-$((i + 1)): $(cat "$TMP/add.$((i + 1))")" >&2; }
	done
	[ $rc -eq 0 ] || fail "some concurrent ADDs failed"
	ips=$(for ((i = 1; i <= N; i++)); do res_ip "$(cat "$TMP/add.$i")"; done)
	assert_eq "$(sort -u <<<"$ips" | wc -l)" $N "distinct addresses"
	for ((i = 1; i <= N; i++)); do
		assert_attached "p$i" "$(res_cidr "$(cat "$TMP/add.$i")")" br-busy
	done
	assert_eq "$(ip -o link show type veth master br-busy | wc -l)" $N
	assert_eq "$(nft_elems | wc -l)" $N "one published port each"
	assert_eq "$(find "$STATE/networks/busy/endpoints" -type f | wc -l)" $N
}

many_dels() {
	local i pids=() rc=0
	for ((i = 1; i <= N; i++)); do
		cni DEL "pod-$i" "/run/netns/p$i" eth0 "$C" >"$TMP/del.$i" 2>&1 &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || { rc=1; echo "  DEL pod-$((i + 1)): $(cat "$TMP/del.$((i + 1))")" >&2; }
	done
	[ $rc -eq 0 ] || fail "some concurrent DELs failed"
	assert_clean busy
	# every address is free again: the whole pool minus the gateway
	cni_ok STATUS "$C" >/dev/null
}

# ADD and GC serialise on the network's lock: a GC that lists the containers
# being added concurrently never tears one of them down half-made.
gc_during_adds() {
	local i pids=() valid gcs=0 rc=0
	valid=$(for ((i = 1; i <= 32; i++)); do echo "{\"containerID\":\"gc-$i\",\"ifname\":\"eth0\"}"; done | jq -cs .)
	for ((i = 1; i <= 32; i++)); do
		cni ADD "gc-$i" "/run/netns/p$i" eth0 "$C" >"$TMP/gcadd.$i" 2>&1 &
		pids+=($!)
	done
	while jobs -r | grep -q .; do
		cni_ok GC "$(jq -c --argjson v "$valid" '.["cni.dev/valid-attachments"] = $v' <<<"$C")" >/dev/null
		gcs=$((gcs + 1))
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || { rc=1; echo "  ADD gc-$((i + 1)): $(cat "$TMP/gcadd.$((i + 1))")" >&2; }
	done
	[ $rc -eq 0 ] || fail "ADDs failed while GC ran"
	[ $gcs -gt 0 ] || fail "no GC ran during the ADDs"
	cni_ok GC "$(jq -c --argjson v "$valid" '.["cni.dev/valid-attachments"] = $v' <<<"$C")" >/dev/null
	assert_eq "$(ip -o link show type veth master br-busy | wc -l)" 32 "GC kept every valid attachment ($gcs GCs ran)"
	for ((i = 1; i <= 32; i++)); do
		assert_attached "p$i" "$(res_cidr "$(cat "$TMP/gcadd.$i")")" br-busy
	done
	cni_ok GC "$(jq -c '.["cni.dev/valid-attachments"] = []' <<<"$C")" >/dev/null
	assert_clean busy
}

t "$N concurrent ADDs succeed with distinct addresses" many_adds
t "$N concurrent DELs leave nothing" many_dels
t "GC running during ADDs keeps every valid attachment" gc_during_adds
t_done
