#!/bin/bash
# Fault: berth-cni killed in the middle of ADD (SIGKILL at each of the
# engine's steps through BERTH_FAILPOINT, and at random moments), then the
# runtime's DEL, or a GC that keeps nothing: no veth, lease, port claim, map
# element, record or interface in the container is left, and the next ADD
# of the same container works. With host-local as the IPAM delegate, DEL
# gives its lease back too.
#
#   BERTH_FAULT_ROUNDS  random-moment rounds (default 12; `make check-long` runs 150)
#   BERTH_FAULT_SEED    seed of bash's RANDOM
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cni-lib.sh"

ROUNDS=${BERTH_FAULT_ROUNDS:-12}
SEED=${BERTH_FAULT_SEED:-$((10#$(date +%N) % 100000))}
RANDOM=$SEED
HL=$TMP/host-local

# GC of NET keeping nothing (what a runtime sends once the container is gone).
gc_none() {
	cni_ok GC "$(jq -c '. + {"cni.dev/valid-attachments": []}' <<<"$1")" >/dev/null
}

# undo VERB ID NS CONFIG: the runtime's cleanup after a dead ADD, by DEL or by GC.
undo() {
	case $1 in
	DEL) cni_ok DEL "$2" "$3" eth0 "$4" >/dev/null ;;
	GC) gc_none "$4" ;;
	esac
}

# nothing of NET in the kernel, the state directory or the container namespace NS-NAME
assert_nothing_left() {
	assert_clean "$1"
	assert_eq "$(ip -n "$2" -o link show | wc -l)" 1 "only lo left in $2"
	[ -z "$(ls "$STATE/networks/$1/endpoints" 2>/dev/null)" ] || fail "record directories left: $(find "$STATE/networks/$1/endpoints" -mindepth 1)"
	assert_eq "$(cni_ok STATUS "$3" >/dev/null && echo ok)" ok
}

killed_at_each_step() {
	local fp c ns rc verb res
	c=$(with_ports '[{"hostPort":7100,"containerPort":80},{"hostPort":7101,"containerPort":53,"protocol":"udp"}]' \
		"$(conf 1.1.0 knet 10.81.0.0/24)")
	ns=$(ns_add k1)
	for verb in DEL GC; do
		for fp in attach-pending attach-claimed attach-veth attach-linked attach-published attach-complete; do
			rc=0
			cni ADD k1 "$ns" eth0 "$c" BERTH_FAILPOINT="$fp" >/dev/null 2>&1 || rc=$?
			assert_eq "$rc" 137 "ADD with BERTH_FAILPOINT=$fp was not killed"
			undo "$verb" k1 "$ns" "$c"
			assert_nothing_left knet k1 "$c"
			# the same container comes up whole afterwards
			res=$(cni_ok ADD k1 "$ns" eth0 "$c")
			assert_attached k1 "$(res_cidr "$res")" br-knet
			cni_ok DEL k1 "$ns" eth0 "$c" >/dev/null
			assert_nothing_left knet k1 "$c"
		done
	done
}

killed_at_random_moments() {
	local round c ns pid verb delay res torn=0
	echo "  seed $SEED, $ROUNDS rounds" >&2
	c=$(with_ports '[{"hostPort":7200,"containerPort":80}]' "$(conf 1.1.0 rnet 10.82.0.0/24)")
	ns=$(ns_add r1)
	# the network exists already, as it does for every ADD but a node's first
	cni_ok ADD r1 "$ns" eth0 "$c" >/dev/null
	cni_ok DEL r1 "$ns" eth0 "$c" >/dev/null
	for ((round = 1; round <= ROUNDS; round++)); do
		printf '%s' "$c" | env CNI_COMMAND=ADD CNI_CONTAINERID=r1 CNI_NETNS="$ns" CNI_IFNAME=eth0 \
			berth-cni >/dev/null 2>&1 &
		pid=$!
		# an ADD takes a few milliseconds: anywhere within it (and a little after)
		delay=$((RANDOM % 8000))
		sleep "$(printf '0.%06d' "$delay")"
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		ls "$STATE/networks/rnet/endpoints/r1" >/dev/null 2>&1 &&
			[ "$(jq -r .state "$STATE"/networks/rnet/endpoints/r1/eth0.json 2>/dev/null)" != complete ] &&
			torn=$((torn + 1))
		verb=DEL
		((RANDOM % 2)) && verb=GC
		undo "$verb" r1 "$ns" "$c"
		assert_nothing_left rnet r1 "$c"
	done
	echo "  $torn of $ROUNDS kills left a half-made attachment behind" >&2
	res=$(cni_ok ADD r1 "$ns" eth0 "$c")
	assert_attached r1 "$(res_cidr "$res")" br-rnet
	cni_ok DEL r1 "$ns" eth0 "$c" >/dev/null
	assert_nothing_left rnet r1 "$c"
}

# what an ADD killed between creating its record directory and renaming its first record into place
# leaves (a temporary file): the runtime's DEL, or a GC, removes it with the directory
dead_writer_leftovers() {
	local c ns verb dir
	c=$(conf 1.1.0 wnet 10.85.0.0/24)
	ns=$(ns_add w1)
	cni_ok ADD w1 "$ns" eth0 "$c" >/dev/null
	cni_ok DEL w1 "$ns" eth0 "$c" >/dev/null
	for verb in DEL GC; do
		dir=$STATE/networks/wnet/endpoints/w1
		mkdir -p "$dir"
		printf '{"version":1,"state":"pen' >"$dir/eth0.json.tmp.99999"
		undo "$verb" w1 "$ns" "$c"
		assert_nothing_left wnet w1 "$c"
	done
}

delegated_lease_released() {
	local fp c ns rc
	[ -x "$REF/host-local" ] || skip "Debian's host-local is not installed (containernetworking-plugins)"
	c=$(with_ports '[{"hostPort":7300,"containerPort":80}]' "$(conf 1.0.0 dnet 10.83.0.0/24)")
	c=$(jq -c --arg d "$HL" '.ipam = {type: "host-local", ranges: [[{subnet: "10.83.0.0/24"}]], dataDir: $d}' <<<"$c")
	ns=$(ns_add d1)
	for fp in attach-pending attach-veth attach-published attach-complete; do
		rc=0
		cni ADD d1 "$ns" eth0 "$c" BERTH_FAILPOINT="$fp" >/dev/null 2>&1 || rc=$?
		assert_eq "$rc" 137 "ADD with BERTH_FAILPOINT=$fp was not killed"
		[ -n "$(find "$HL/dnet" -type f -regex '.*/[0-9.]*' 2>/dev/null)" ] || fail "$fp: host-local holds no lease"
		cni_ok DEL d1 "$ns" eth0 "$c" >/dev/null
		assert_eq "$(find "$HL/dnet" -type f -regex '.*/[0-9.]*' 2>/dev/null)" "" "$fp: host-local's lease left"
		assert_nothing_left dnet d1 "$(jq -c '.cniVersion = "1.1.0"' <<<"$c")"
	done
}

t "killed at each step of ADD, then DEL or GC: nothing left, the next ADD works" killed_at_each_step
t "killed at random moments of ADD, then DEL or GC: nothing left" killed_at_random_moments
t "a dead writer's temporary record: DEL or GC removes it" dead_writer_leftovers
t "killed during an ADD with host-local IPAM, then DEL: host-local's lease is given back" delegated_lease_released
t_done
