#!/bin/bash
# berth process setup and defences, checked from the kernel's side: fds,
# masked and read-only paths, capabilities, no_new_privs, rlimits, cwd, env,
# oom_score_adj, sysctl, devices, zombies, hooks, exec.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-runtime.sh"

# capability mask of a list of numbers
capmask() {
	local m=0 c
	for c in "$@"; do m=$((m | (1 << c))); done
	printf '%016x' $m
}

# the fds of the container's init as the kernel lists them (it is sleep, exec'd by berth)
init_fds() {
	ls /proc/$(rt_state_field "$1" pid)/fd | sort -n | tr '\n' ' '
}

no_fd_leaks() {
	rt_config "$TMP/f1" args='["sleep","60"]'
	(
		exec 7</etc/hostname 8>"$TMP/leak" 9<&0
		berth run -d --bundle "$TMP/f1" f1
	) || fail "run -d"
	assert_eq "$(init_fds f1)" "0 1 2 " "only stdio inside"
	berth delete -f f1
	(
		exec 3</etc/hostname 4</etc/hostname 7</etc/hostname
		berth run -d --preserve-fds 2 --bundle "$TMP/f1" f1
	) || fail "run -d --preserve-fds 2"
	assert_eq "$(init_fds f1)" "0 1 2 3 4 " "stdio and the two preserved fds"
	pid=$(rt_state_field f1 pid)
	assert_eq "$(readlink /proc/$pid/fd/3)" /etc/hostname
	berth delete -f f1
	assert_fails berth run --preserve-fds 3 --bundle "$TMP/f1" f1
	assert_contains "$FAIL_OUT" "fd 3 is not open"
	# exec'd processes too
	rt_config "$TMP/f2" args='["sleep","60"]'
	berth run -d --bundle "$TMP/f2" f2 || fail "run -d"
	(
		exec 7</etc/hostname
		berth exec -d --pid-file "$TMP/f2.exec" f2 sleep 30
	) || fail "exec -d"
	assert_eq "$(ls /proc/$(cat "$TMP/f2.exec")/fd | sort -n | tr '\n' ' ')" "0 1 2 "
	berth delete -f f2
}

masked_and_readonly() {
	rt_config "$TMP/m1" readonly=true args='["sh","-c","wc -c < /proc/timer_list; ls /sys/firmware | wc -l; cat /proc/keys | wc -c; echo 1 > /proc/sys/kernel/ns_last_pid 2>&1 || echo sys-ro; touch /rootfile 2>/dev/null || echo root-ro; touch /tmp/ok && echo tmp-rw; grep \" / \" /proc/self/mounts"]'
	out=$(berth run --bundle "$TMP/m1" m1 2>&1) || fail "run: $out"
	echo "$out" | sed -n 1p | grep -qx 0 || fail "/proc/timer_list readable: $out"
	echo "$out" | sed -n 2p | grep -qx 0 || fail "/sys/firmware not masked: $out"
	echo "$out" | sed -n 3p | grep -qx 0 || fail "/proc/keys readable: $out"
	assert_contains "$out" "sys-ro"
	assert_contains "$out" "root-ro"
	assert_contains "$out" "tmp-rw"
	echo "$out" | grep -q ' / [a-z0-9]* ro[, ]' || fail "root not mounted read-only: $out"
}

proc_symlink_refused() {
	rt_rootfs "$TMP/evilroot"
	rmdir "$TMP/evilroot/proc"
	ln -s /tmp "$TMP/evilroot/proc"
	rt_config "$TMP/e1"
	sed -i "s|\"path\": \"$RT_ROOTFS\"|\"path\": \"$TMP/evilroot\"|" "$TMP/e1/config.json"
	assert_fails berth run --bundle "$TMP/e1" e1
	assert_contains "$FAIL_OUT" "/proc is, or goes through, a symlink"
	[ ! -e "$RT_ROOT/e1" ] || fail "state left"
}

capabilities_exact() {
	# user 1000 with ambient NET_BIND_SERVICE (10): after exec every set is exactly that
	rt_config "$TMP/cap1" user='{"uid":1000,"gid":1000}' \
		caps='{"bounding":["CAP_KILL","CAP_NET_BIND_SERVICE"],"effective":["CAP_NET_BIND_SERVICE"],"permitted":["CAP_NET_BIND_SERVICE"],"inheritable":["CAP_NET_BIND_SERVICE"],"ambient":["CAP_NET_BIND_SERVICE"]}' \
		args='["grep","^Cap","/proc/self/status"]'
	out=$(berth run --bundle "$TMP/cap1" cap1) || fail "run: $out"
	assert_contains "$out" "CapInh:	$(capmask 10)"
	assert_contains "$out" "CapPrm:	$(capmask 10)"
	assert_contains "$out" "CapEff:	$(capmask 10)"
	assert_contains "$out" "CapBnd:	$(capmask 5 10)"
	assert_contains "$out" "CapAmb:	$(capmask 10)"
	# root with no_new_privs: permitted cannot grow past the configured set
	rt_config "$TMP/cap2" caps='{"bounding":["CAP_KILL","CAP_CHOWN"],"effective":["CAP_KILL"],"permitted":["CAP_KILL"]}' \
		process_extra=',"noNewPrivileges":true' args='["grep","-E","^(Cap|NoNewPrivs)","/proc/self/status"]'
	out=$(berth run --bundle "$TMP/cap2" cap2) || fail "run: $out"
	assert_contains "$out" "CapPrm:	$(capmask 5)"
	assert_contains "$out" "CapEff:	$(capmask 5)"
	assert_contains "$out" "CapBnd:	$(capmask 0 5)"
	assert_contains "$out" "CapInh:	0000000000000000"
	assert_contains "$out" "CapAmb:	0000000000000000"
	assert_contains "$out" "NoNewPrivs:	1"
	# no capabilities object: nothing at all
	rt_config "$TMP/cap3" caps='null' args='["grep","^CapBnd","/proc/self/status"]'
	assert_eq "$(berth run --bundle "$TMP/cap3" cap3)" "CapBnd:	0000000000000000"
}

nnp_off() {
	rt_config "$TMP/nnp" args='["grep","NoNewPrivs","/proc/self/status"]'
	assert_contains "$(berth run --bundle "$TMP/nnp" nnp)" "NoNewPrivs:	0"
}

rlimits_cwd_env_oom() {
	rt_config "$TMP/r1" cwd=/work/dir env='["PATH=/bin","FOO=bar baz"]' user='{"uid":1000,"gid":1000,"umask":63}' \
		process_extra=',"rlimits":[{"type":"RLIMIT_NOFILE","soft":123,"hard":456},{"type":"RLIMIT_CORE","soft":0,"hard":0}],"oomScoreAdj":512' \
		args='["sh","-c","pwd; echo $FOO; echo $HOME; ulimit -n; ulimit -Hn; cat /proc/self/oom_score_adj; umask"]'
	out=$(berth run --bundle "$TMP/r1" r1) || fail "run: $out"
	assert_eq "$out" "$(printf '/work/dir\nbar baz\n/home/user\n123\n456\n512\n0077')"
}

sysctl_applied() {
	ttl=$(cat /proc/sys/net/ipv4/ip_default_ttl)
	shm=$(cat /proc/sys/kernel/shmmni)
	rt_config "$TMP/s1" linux_extra=',"sysctl":{"net.ipv4.ip_default_ttl":"42","kernel.shmmni":"1234"}' \
		args='["sh","-c","cat /proc/sys/net/ipv4/ip_default_ttl /proc/sys/kernel/shmmni"]'
	out=$(berth run --bundle "$TMP/s1" s1) || fail "run: $out"
	assert_eq "$out" "$(printf '42\n1234')"
	assert_eq "$(cat /proc/sys/net/ipv4/ip_default_ttl)" "$ttl" "the host's value is untouched"
	assert_eq "$(cat /proc/sys/kernel/shmmni)" "$shm" "the host's value is untouched"
	rt_config "$TMP/s2" linux_extra=',"sysctl":{"vm.swappiness":"10"}'
	assert_fails berth run --bundle "$TMP/s2" s2
	assert_contains "$FAIL_OUT" "'linux.sysctl': 'vm.swappiness' is not namespaced"
}

devices() {
	rt_config "$TMP/d1" resources='{"devices":[{"allow":false,"access":"rwm"}]}' \
		linux_extra=',"devices":[{"type":"c","path":"/dev/mynull","major":1,"minor":3,"fileMode":432,"uid":0,"gid":0}]' \
		args='["sh","-c","ls -l /dev/null /dev/zero /dev/mynull /dev/ptmx /dev/fd | cut -c1-10; echo hi > /dev/null && echo null-ok; echo x > /dev/mynull && echo mynull-ok; head -c 4 /dev/zero | wc -c"]'
	out=$(berth run --bundle "$TMP/d1" d1 2>&1) || fail "run: $out"
	assert_contains "$out" "crw-rw----" "fileMode 0660 of /dev/mynull"
	assert_contains "$out" "null-ok"
	assert_contains "$out" "mynull-ok"
	assert_contains "$out" "lrwxrwxrwx"
	echo "$out" | tail -1 | grep -qx 4 || fail "/dev/zero: $out"
	# in a user namespace the nodes are the host's, bind-mounted
	rt_config "$TMP/d2" userns=1 args='["sh","-c","echo hi > /dev/null && echo ok"]'
	assert_eq "$(berth run --bundle "$TMP/d2" d2)" ok
}

zombies_reaped() {
	rt_config "$TMP/z1" args='["sh","-c","(sleep 0.2 &) ; (sleep 0.3 &) ; exit 5"]'
	rc=0
	berth run --bundle "$TMP/z1" z1 || rc=$?
	assert_eq $rc 5
	sleep 0.5
	z=$(ps -eo stat,comm | awk '$1 ~ /^Z/' | wc -l)
	assert_eq "$z" 0 "zombies left behind: $(ps -eo pid,ppid,stat,comm)"
	! pgrep -x sleep >/dev/null || fail "container processes outlived run: $(ps -eo pid,stat,comm)"
}

hooks_in_their_places() {
	local h=$TMP/hooks
	mkdir -p "$h"
	cat >"$h/hook.sh" <<'EOF'
#!/bin/sh
# hook.sh NAME: the state on stdin and our mount namespace, into $DIR/NAME
cat > "$DIR/$1.json"
readlink /proc/self/ns/mnt > "$DIR/$1.mnt"
EOF
	chmod +x "$h/hook.sh"
	hook() { echo "{\"path\":\"$h/hook.sh\",\"args\":[\"hook.sh\",\"$1\"],\"env\":[\"DIR=$h\",\"PATH=/bin:/usr/bin\"]}"; }
	hooks=',"hooks":{"prestart":['$(hook prestart)'],"createRuntime":['$(hook createRuntime)'],"createContainer":['$(hook createContainer)'],"poststart":['$(hook poststart)'],"poststop":['$(hook poststop)'],"startContainer":[{"path":"/bin/sh","args":["sh","-c","cat > /dev/shm/start.json; readlink /proc/self/ns/mnt > /dev/shm/start.mnt"]}]}'
	rt_config "$TMP/hk" top_extra="$hooks" args='["sleep","60"]'
	berth create --bundle "$TMP/hk" hk || fail create
	pid=$(rt_state_field hk pid)
	hostmnt=$(readlink /proc/self/ns/mnt)
	ctrmnt=$(readlink /proc/$pid/ns/mnt)
	for k in prestart createRuntime createContainer; do
		[ -s "$h/$k.json" ] || fail "$k did not run at create"
		assert_contains "$(cat "$h/$k.json")" '"id":"hk"'
		assert_contains "$(cat "$h/$k.json")" "\"pid\":$pid"
	done
	# prestart: "created", as the runtime-tools suite (hooks_stdin) and crun have it; the others as runc
	assert_contains "$(cat "$h/prestart.json")" '"status":"created"'
	assert_contains "$(cat "$h/createRuntime.json")" '"status":"creating"'
	assert_contains "$(cat "$h/createContainer.json")" '"status":"creating"'
	assert_eq "$(cat "$h/prestart.mnt")" "$hostmnt" "prestart runs in berth's namespace"
	assert_eq "$(cat "$h/createRuntime.mnt")" "$hostmnt" "createRuntime runs in berth's namespace"
	assert_eq "$(cat "$h/createContainer.mnt")" "$ctrmnt" "createContainer runs in the container's"
	[ ! -e "$h/poststart.json" ] || fail "poststart ran before start"
	berth start hk || fail start
	assert_contains "$(cat /proc/$pid/root/dev/shm/start.json)" '"status":"created"'
	assert_eq "$(cat /proc/$pid/root/dev/shm/start.mnt)" "$ctrmnt" "startContainer runs in the container"
	assert_contains "$(cat "$h/poststart.json")" '"status":"running"'
	[ ! -e "$h/poststop.json" ] || fail "poststop ran early"
	berth delete -f hk || fail delete
	assert_contains "$(cat "$h/poststop.json")" '"status":"stopped"'
	assert_eq "$(cat "$h/poststop.mnt")" "$hostmnt"
	# a failing createRuntime hook fails create, naming the hook, and leaves nothing
	rt_config "$TMP/hk2" top_extra=',"hooks":{"createRuntime":[{"path":"/bin/sh","args":["sh","-c","echo broken >&2; exit 3"]}]}'
	assert_fails berth create --bundle "$TMP/hk2" hk2
	assert_contains "$FAIL_OUT" "hooks.createRuntime[0] /bin/sh exited with status 3: broken"
	[ ! -e "$RT_ROOT/hk2" ] || fail "state left"
	[ ! -e "$(rt_cgroup_dir memory hk2)" ] || fail "cgroup left"
	# a hook past its timeout is killed
	rt_config "$TMP/hk3" top_extra=',"hooks":{"prestart":[{"path":"/bin/sleep","args":["sleep","30"],"timeout":1}]}'
	assert_fails berth create --bundle "$TMP/hk3" hk3
	assert_contains "$FAIL_OUT" "timed out after 1 s"
}

exec_joins() {
	rt_config "$TMP/x1" userns=1 ns="pid network ipc uts mount cgroup time" args='["sleep","60"]' \
		env='["PATH=/bin","A=1"]'
	berth run -d --bundle "$TMP/x1" x1 || fail "run -d"
	pid=$(rt_state_field x1 pid)
	out=$(berth exec x1 sh -c 'for n in mnt pid net ipc uts user cgroup time; do readlink /proc/self/ns/$n; done; echo $A; id -u; cat /proc/self/cgroup')
	for n in mnt pid net ipc uts user cgroup time; do
		assert_contains "$out" "$(readlink /proc/$pid/ns/$n)" "exec joins the init's $n namespace"
	done
	assert_contains "$out" "1"
	# the same cgroup, seen from the host
	berth exec -d --pid-file "$TMP/x1.exec" x1 sleep 30 || fail "exec -d"
	epid=$(cat "$TMP/x1.exec")
	assert_eq "$(cat /proc/$epid/cgroup)" "$(cat /proc/$pid/cgroup)" "exec'd process in the init's cgroup"
	berth ps --format json x1 | grep -q "$epid" || fail "ps does not list the exec'd process"
	# exit status, env, cwd, user overrides
	rc=0
	berth exec x1 sh -c 'exit 9' || rc=$?
	assert_eq $rc 9
	assert_eq "$(berth exec -e B=2 --cwd /tmp --user 1000:1000 x1 sh -c 'echo $B $(pwd) $(id -u):$(id -g)')" "2 /tmp 1000:1000"
	# --process like conmon passes it
	cat >"$TMP/proc.json" <<EOF
{"terminal":false,"user":{"uid":0,"gid":0},"args":["sh","-c","echo from-process-file; ls /proc/\$\$/fd | tr '\\n' ' '"],"env":["PATH=/bin"],"cwd":"/"}
EOF
	out=$(berth exec --process "$TMP/proc.json" x1) || fail "exec --process: $out"
	assert_contains "$out" "from-process-file"
	assert_contains "$out" "0 1 2 "
	berth kill x1 KILL
	rt_wait_status x1 stopped || fail "not stopped"
	assert_fails berth exec x1 true
	assert_contains "$FAIL_OUT" "stopped"
	berth delete x1
}

binary_unreachable() {
	rt_config "$TMP/b1" args='["sleep","60"]'
	berth create --bundle "$TMP/b1" b1 || fail create
	pid=$(rt_state_field b1 pid)
	# the waiting init runs berth's code from a protected view (a read-only overlayfs
	# without an upper layer, or a sealed memfd copy), never from the file on the host
	exe=$(readlink /proc/$pid/exe)
	[ "$exe" != "$BERTH_BIN_DIR/berth" ] || fail "the init runs the host's berth binary"
	fstype=$(stat -f -L -c %T /proc/$pid/exe)
	case "$fstype" in
	overlayfs) ;;
	tmpfs) assert_contains "$exe" "memfd:berth" ;;
	*) fail "the init's executable is on $fstype" ;;
	esac
	before=$(md5sum <"$BERTH_BIN_DIR/berth")
	! sh -c "echo x >> /proc/$pid/exe" 2>/dev/null || fail "the init's executable is writable"
	! sh -c "truncate -s 0 /proc/$pid/exe" 2>/dev/null || fail "the init's executable can be truncated"
	assert_eq "$(md5sum <"$BERTH_BIN_DIR/berth")" "$before" "the berth binary changed"
	berth delete b1
}

bind_mounts_and_seccomp() {
	mkdir -p "$TMP/share"
	echo from-host >"$TMP/share/file"
	rt_config "$TMP/bm" mounts_extra=',{"destination":"/data","type":"bind","source":"'"$TMP"'/share","options":["rbind","ro","nosuid"]},{"destination":"/rw","type":"none","source":"'"$TMP"'/share","options":["bind"]}' \
		linux_extra=',"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}' \
		args='["sh","-c","cat /data/file; touch /data/x 2>/dev/null || echo data-ro; echo w > /rw/written && echo rw-ok; mkdir /tmp/d 2>&1 || true"]'
	out=$(berth run --bundle "$TMP/bm" bm 2>&1) || fail "run: $out"
	assert_contains "$out" "from-host"
	assert_contains "$out" "data-ro"
	assert_contains "$out" "rw-ok"
	assert_eq "$(cat "$TMP/share/written")" w
	assert_contains "$out" "Operation not permitted" "seccomp denied mkdir with EPERM"
}

t "the berth binary is out of the container's reach" binary_unreachable
t "bind mounts with options, seccomp from the config" bind_mounts_and_seccomp
t "no host fd leaks into the container" no_fd_leaks
t "masked paths unreadable, read-only paths read-only" masked_and_readonly
t "a /proc symlink in the rootfs is refused" proc_symlink_refused
t "capabilities exactly as configured" capabilities_exact
t "no_new_privs off by default" nnp_off
t "rlimits, cwd, env, umask, oom_score_adj" rlimits_cwd_env_oom
t "sysctl in the container's namespaces only" sysctl_applied
t "device nodes and the device cgroup" devices
t "zombies reaped, nothing outlives run" zombies_reaped
t "hooks run where the spec places them" hooks_in_their_places
t "exec joins the namespaces and cgroup" exec_joins
t_done
