#!/bin/bash
# Fault: netd killed with -9 at random moments while attaches and detaches
# are in flight, restarted every time. After each restart (reconcile) the
# state must be whole: every record complete and matched by its veth on the
# bridge, its address inside the container, its lease, its port claim and
# its nftables element, nothing more of any of these; and every surviving
# endpoint still carries traffic, directly and through its published port.
#
#   BERTH_FAULT_ROUNDS  rounds (default 20; `make check-long` runs 150)
#   BERTH_FAULT_SEED    seed of bash's RANDOM (printed, to replay a failure)
. "$(dirname "$0")/lib.sh"

SOCK=$TMP/netd.sock
STATE=$TMP/state
export BERTH_NETD_SOCKET=$SOCK
NETD_ARGS=(--socket "$SOCK" --state-dir "$STATE" --run-dir "$TMP/run" --log-level warn)
ROUNDS=${BERTH_FAULT_ROUNDS:-20}
SEED=${BERTH_FAULT_SEED:-$((10#$(date +%N) % 100000))}
K=8
RANDOM=$SEED

netd_pid() {
	cat "$TMP/run/netd.pid" 2>/dev/null
}

start_netd() {
	netd "${NETD_ARGS[@]}" || fail "netd did not start: $(tail -5 "$TMP/run/netd.log" 2>/dev/null)"
}

# kill -9 and wait until the process is gone (its pidfile lock dies with it)
kill_netd() {
	local pid
	pid=$(netd_pid) || return 0
	kill -KILL "$pid" 2>/dev/null || true
	wait_for 10 test ! -e "/proc/$pid" || fail "netd $pid survived kill -9"
}

# One worker: a random sequence of attaches and detaches of container i.
churn() {
	local i=$1 n=$((1 + RANDOM % 4)) k
	for ((k = 0; k < n; k++)); do
		if ((RANDOM % 2)); then
			netctl attach "ctr$i" --netns "/run/netns/c$i" -p "$((21000 + i)):80" >/dev/null 2>&1
		else
			netctl detach "ctr$i" >/dev/null 2>&1
		fi
	done
}

# id state host_ifname ip host_port, one line per endpoint record
records() {
	local f
	for f in "$STATE"/networks/berth0/endpoints/*/*.json; do
		[ -e "$f" ] || continue
		jq -r '[.id, .state, .host_ifname, .ip, (.ports[0].host_port // 0)] | @tsv' "$f"
	done | sort
}

# The state after a restart matches the records exactly, and the survivors carry traffic.
check_whole() {
	local round=$1 recs id st hif ip port i want got
	recs=$(records)
	# the reaper deletes retired pairs moments after reconcile starts it
	wait_for 5 sh -c "! ip -o link show type veth | grep -q ' bx[0-9a-f]\{12\}'" ||
		fail "round $round: retired veths left: $(ip -o link show type veth | grep ' bx')"
	want=$(awk -F'\t' '{print $3}' <<<"$recs" | sed '/^$/d' | sort)
	got=$(ip -o link show type veth | { grep -oE ' bv[0-9a-f]{12}' || true; } | tr -d ' ' | sort)
	assert_eq "$got" "$want" "round $round: host veths vs records"
	while IFS=$'\t' read -r id st hif ip port; do
		[ -n "$id" ] || continue
		assert_eq "$st" complete "round $round: record of $id after reconcile"
		i=${id#ctr}
		ip -o link show dev "$hif" | grep -q "master berth0 .*state UP" ||
			fail "round $round: $hif of $id not up on berth0: $(ip -o link show dev "$hif")"
		ip -n "c$i" -4 -o addr show dev eth0 | grep -q "inet $ip/16 " ||
			fail "round $round: $id lacks $ip: $(ip -n "c$i" -o addr)"
		assert_eq "$port" "$((21000 + i))" "round $round: port of $id"
	done <<<"$recs"
	# containers without a record hold nothing but lo
	for ((i = 1; i <= K; i++)); do
		[[ $'\n'$recs == *$'\n'"ctr$i"$'\t'* ]] && continue
		assert_eq "$(ip -n "c$i" -o link show | wc -l)" 1 "round $round: interfaces left in c$i"
	done
	# leases, claims, nftables elements and netd's own listing: exactly the records
	want=$(awk -F'\t' 'NF {print $5}' <<<"$recs" | sort)
	assert_eq "$(netctl --json status berth0 | jq .addresses_used)" "$(sed '/^$/d' <<<"$recs" | wc -l)" \
		"round $round: leases"
	got=$(ls "$STATE/ports" | sed -n 's/^tcp-\([0-9]*\)\.json$/\1/p' | sort)
	assert_eq "$got" "$want" "round $round: port claims"
	got=$(nft list map inet berth pub_any4 | { grep -oE 'tcp \. 21[0-9]{3}' || true; } | awk '{print $3}' | sort)
	assert_eq "$got" "$want" "round $round: nftables elements"
	got=$(netctl --json ls | jq -r '.[].id' | sort)
	assert_eq "$got" "$(awk -F'\t' 'NF {print $1}' <<<"$recs" | sort)" "round $round: netctl ls"
	# traffic: straight to the container, and through the published port from upstream
	while IFS=$'\t' read -r id st hif ip port; do
		[ -n "$id" ] || continue
		got=$(request - "$ip" 80 2000) || fail "round $round: $id ($ip:80) does not answer"
		assert_contains "$got" "c${id#ctr} " "round $round: $ip:80"
		got=$(request upstream "$UPSTREAM_HOST_IP" "$port" 2000) ||
			fail "round $round: $id's published port $port does not answer"
		assert_contains "$got" "c${id#ctr} " "round $round: port $port"
	done <<<"$recs"
}

kill_during_churn() {
	local round i pids delay torn=0
	echo "  seed $SEED, $ROUNDS rounds" >&2
	upstream_add
	for ((i = 1; i <= K; i++)); do
		netns_add "c$i"
		serve "c$i" 0.0.0.0 80 "c$i"
	done
	start_netd
	for ((round = 1; round <= ROUNDS; round++)); do
		pids=()
		for ((i = 1; i <= K; i++)); do
			churn "$i" &
			pids+=($!)
		done
		# anywhere from before the first request to after the last
		delay=$((RANDOM % 40))
		sleep "$(printf '0.%03d' "$delay")"
		kill_netd
		wait "${pids[@]}" 2>/dev/null || true
		# caught in the middle of an operation: a record still pending or removing
		records | awk -F'\t' '$2 != "complete" {f = 1} END {exit !f}' && torn=$((torn + 1))
		start_netd
		check_whole "$round"
	done
	echo "  $torn of $ROUNDS kills landed in the middle of an attach or detach" >&2
	# and everything goes away
	for ((i = 1; i <= K; i++)); do netctl detach "ctr$i" >/dev/null 2>&1 || true; done
	check_whole final
	assert_eq "$(records)" "" "records left"
	assert_not_contains "$(nft list map inet berth pub_any4)" "elements"
	kill_netd
}

t "netd killed with -9 at random moments of attach/detach churn: reconcile leaves it whole" kill_during_churn
t_done
