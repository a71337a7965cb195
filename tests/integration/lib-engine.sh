# Sourced by tests/integration/t-engine-*.sh after lib.sh and lib-runtime.sh:
# container engines (containerd, dockerd) run inside the test's sandbox only,
# with every path of theirs under $TMP, driving berth (and runc, the
# reference) as their OCI runtime. Offline: the image is made here from the
# busybox root filesystem of lib-runtime.sh.
#
#   eng_image_tar OUT REF       a docker-archive tar (`docker save` format) of $RT_ROOTFS tagged REF
#   ctd_start DIR               containerd with root, state, sockets and config under DIR ($CTD_SOCK)
#   eng_wait_up PIDFILE SECS CMD  wait until CMD succeeds, giving up early when the daemon died
#   eng_stop PIDFILE NAME       stop a daemon this script started, by its pid
#   tmo SECONDS CMD...          CMD, killed when it outlives SECONDS (a hang fails the case, never the run)
#   eng_cgroups_snapshot / eng_cgroups_new   cgroups an engine made outside $BERTH_TEST_CGROUP
#   eng_assert_nothing_left     once the daemons stopped: no shim, no such cgroup

ENG_ARCH=$(dpkg --print-architecture 2>/dev/null || echo amd64)
# the names engines give their cgroups when not told a parent ("default" is containerd's namespace)
ENG_CGROUP_NAMES="default berthtest moby docker system.slice"

tmo() {
	local secs=$1
	shift
	timeout -k 5 "$secs" "$@"
}

eng_image_tar() {
	local out=$1 ref=$2 d layer cfg
	d=$(mktemp -d "$TMP/image.XXXXXX")
	tar -C "$RT_ROOTFS" --numeric-owner -cf "$d/layer.tar" . || fail "tar of the root filesystem"
	layer=$(sha256sum "$d/layer.tar" | cut -d' ' -f1)
	mkdir "$d/$layer"
	mv "$d/layer.tar" "$d/$layer/layer.tar"
	printf '{"architecture":"%s","os":"linux","created":"2024-01-01T00:00:00Z",%s,%s}' "$ENG_ARCH" \
		'"config":{"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"],"WorkingDir":"/"}' \
		"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$layer\"]}" >"$d/config.json"
	cfg=$(sha256sum "$d/config.json" | cut -d' ' -f1)
	mv "$d/config.json" "$d/$cfg.json"
	printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' "$cfg" "$ref" "$layer" \
		>"$d/manifest.json"
	tar -C "$d" -cf "$out" manifest.json "$cfg.json" "$layer" || fail "tar of the image"
	rm -rf "$d"
}

# containerd confined to DIR: no CRI, no /opt/containerd, no metrics or debug listener.
ctd_start() {
	local dir=$1
	CTD_SOCK=$dir/containerd.sock
	mkdir -p "$dir"
	cat >"$dir/config.toml" <<EOF
version = 2
root = "$dir/root"
state = "$dir/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$CTD_SOCK"
[ttrpc]
  address = "$CTD_SOCK.ttrpc"
[debug]
  address = ""
  level = "warn"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/opt"
EOF
	containerd --config "$dir/config.toml" >"$dir/log" 2>&1 &
	echo $! >"$dir/pid"
	eng_wait_up "$dir/pid" 30 ctr --address "$CTD_SOCK" version || {
		tail -20 "$dir/log" >&2
		return 1
	}
}

# eng_wait_up PIDFILE SECONDS CMD...: retry CMD while the daemon of PIDFILE lives
eng_wait_up() {
	local pid i
	pid=$(cat "$1")
	for ((i = 0; i < $2 * 10; i++)); do
		"${@:3}" >/dev/null 2>&1 && return 0
		! eng_gone "$pid" || return 1
		sleep 0.1
	done
	return 1
}

# eng_gone PID: the process ended (a zombie counts: the daemons are children of the script's shell,
# which reaps them only once the case's subshell is done)
eng_gone() {
	[ ! -e "/proc/$1" ] || grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# eng_stop PIDFILE NAME: TERM, then KILL after 15 s, of the daemon whose pid PIDFILE holds.
eng_stop() {
	local pid
	pid=$(cat "$1" 2>/dev/null) || return 0
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	wait_for 15 eng_gone "$pid" && return 0
	echo "  $2 ($pid) ignored SIGTERM: killed" >&2
	kill -KILL "$pid" 2>/dev/null || true
	wait_for 5 eng_gone "$pid"
}


# The directories of the top level of every hierarchy named like an engine's default cgroups.
eng_cgroups_list() {
	local h n
	for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
		[ -e "$h/cgroup.procs" ] || continue
		for n in $ENG_CGROUP_NAMES; do
			[ -d "$h$n" ] && echo "$h$n"
		done
	done | sort
	return 0
}

eng_cgroups_snapshot() {
	ENG_CGROUPS_BEFORE=$(eng_cgroups_list)
}

# Remove (deepest first, empty ones only) and print what an engine made since the snapshot.
eng_cgroups_new() {
	local d
	for d in $(comm -13 <(echo "$ENG_CGROUPS_BEFORE") <(eng_cgroups_list)); do
		echo "$d"
		find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	return 0
}

# After the daemons stopped: no shim runs, no cgroup appeared outside $BERTH_TEST_CGROUP (those are removed).
eng_assert_nothing_left() {
	assert_eq "$(eng_cgroups_new)" "" "cgroups made outside \$BERTH_TEST_CGROUP (removed now)"
	! pgrep -f containerd-shim >/dev/null || fail "shims left: $(pgrep -af containerd-shim)"
}
