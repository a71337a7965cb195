# Sourced by tests/integration/t-runtime*.sh after lib.sh: busybox root
# filesystems, OCI bundles and a berth whose state lives under $TMP.
#
#   rt_config BUNDLE key=value...   write BUNDLE/config.json (keys below)
#   berth ...                       the runtime with --root $RT_ROOT
#   rt_state_field ID FIELD         a field of `berth state ID`
#
# Containers use cgroupsPath "/$BERTH_TEST_CGROUP/<id>" only (the sandbox
# removes that subtree) and busybox from Debian's busybox-static.

RT_ROOT=$TMP/berth-root
RT_BUSYBOX=${RT_BUSYBOX:-/bin/busybox}
RT_UID_BASE=100000
mkdir -p "$RT_ROOT"

berth() {
	command berth --root "$RT_ROOT" "$@"
}

# rt_rootfs DIR [OWNER]: a busybox root filesystem (applets as symlinks).
rt_rootfs() {
	local dir=$1 owner=${2:-} a
	[ -x "$RT_BUSYBOX" ] || skip "busybox-static is not installed ($RT_BUSYBOX)"
	mkdir -p "$dir"/{bin,proc,sys,dev,tmp,etc,root,home/user,run,var}
	cp "$RT_BUSYBOX" "$dir/bin/busybox"
	for a in $("$RT_BUSYBOX" --list); do
		[ "$a" = busybox ] || ln -sf busybox "$dir/bin/$a"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n' >"$dir/etc/passwd"
	printf 'root:x:0:\nuser:x:1000:\n' >"$dir/etc/group"
	chmod 1777 "$dir/tmp"
	if [ -n "$owner" ]; then
		chown -R "$owner" "$dir"
	fi
}

# One shared root filesystem per ownership: host root, and the user-namespace root (100000).
RT_ROOTFS=$TMP/rootfs
RT_ROOTFS_USERNS=$TMP/rootfs-userns
rt_rootfs "$RT_ROOTFS"
rt_rootfs "$RT_ROOTFS_USERNS" "$RT_UID_BASE:$RT_UID_BASE"

# JSON array of strings from the arguments.
rt_json_args() {
	local out="" a
	for a in "$@"; do
		a=${a//\\/\\\\}
		a=${a//\"/\\\"}
		out="$out${out:+,}\"$a\""
	done
	printf '[%s]' "$out"
}

# rt_config BUNDLE [key=value...]
#   args=JSON      process.args            (default ["sh","-c","true"])
#   ns="pid mount" namespaces, "type" or "type:path" (default all but user/time/cgroup)
#   userns=1       add a user namespace mapping 0-65535 to 100000+ and use the chowned rootfs
#   cgroup=NAME    cgroupsPath /$BERTH_TEST_CGROUP/NAME (default: the bundle's name)
#   resources=JSON linux.resources         process_extra=,"k":v  linux_extra=,"k":v  top_extra=,"k":v
#   user=JSON      process.user            caps=JSON process.capabilities
#   terminal=true  readonly=false          hostname=NAME   env=JSON   cwd=/   mounts_extra=,{...}
rt_config() {
	local bundle=$1
	shift
	local args='["sh","-c","true"]' ns="pid network ipc uts mount" userns="" cgroup="" resources='{}'
	local process_extra="" linux_extra="" top_extra="" user='{"uid":0,"gid":0}' terminal=false readonly=true
	local hostname=berth-c env='["PATH=/bin:/sbin","HOME=/root"]' cwd=/ mounts_extra="" caps=""
	local kv t nsjson="" root maps=""
	for kv in "$@"; do
		local "${kv?}"
	done
	[ -n "$cgroup" ] || cgroup=$(basename "$bundle")
	case " $ns " in *" uts "*) ;; *) hostname="" ;; esac
	root=$RT_ROOTFS
	if [ -n "$userns" ]; then
		ns="$ns user"
		root=$RT_ROOTFS_USERNS
		maps=',"uidMappings":[{"containerID":0,"hostID":'$RT_UID_BASE',"size":65536}],"gidMappings":[{"containerID":0,"hostID":'$RT_UID_BASE',"size":65536}]'
	fi
	for t in $ns; do
		if [ "${t#*:}" != "$t" ]; then
			nsjson="$nsjson${nsjson:+,}{\"type\":\"${t%%:*}\",\"path\":\"${t#*:}\"}"
		else
			nsjson="$nsjson${nsjson:+,}{\"type\":\"$t\"}"
		fi
	done
	[ -n "$caps" ] || caps='{"bounding":["CAP_KILL","CAP_CHOWN","CAP_SETUID","CAP_SETGID","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_NET_BIND_SERVICE"],"effective":["CAP_KILL","CAP_CHOWN","CAP_SETUID","CAP_SETGID","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_NET_BIND_SERVICE"],"permitted":["CAP_KILL","CAP_CHOWN","CAP_SETUID","CAP_SETGID","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_NET_BIND_SERVICE"]}'
	mkdir -p "$bundle"
	cat >"$bundle/config.json" <<EOF
{
 "ociVersion": "1.0.2",
 "process": {"terminal": $terminal, "user": $user, "args": $args, "env": $env, "cwd": "$cwd",
   "capabilities": $caps $process_extra},
 "root": {"path": "$root", "readonly": $readonly},
 ${hostname:+"\"hostname\": \"$hostname\","}
 "mounts": [
  {"destination":"/proc","type":"proc","source":"proc"},
  {"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["nosuid","strictatime","mode=755","size=65536k"]},
  {"destination":"/dev/pts","type":"devpts","source":"devpts","options":["nosuid","noexec","newinstance","ptmxmode=0666","mode=0620"]},
  {"destination":"/dev/shm","type":"tmpfs","source":"shm","options":["nosuid","noexec","nodev","mode=1777","size=65536k"]},
  {"destination":"/dev/mqueue","type":"mqueue","source":"mqueue","options":["nosuid","noexec","nodev"]},
  {"destination":"/sys","type":"sysfs","source":"sysfs","options":["nosuid","noexec","nodev","ro"]},
  {"destination":"/tmp","type":"tmpfs","source":"tmpfs","options":["nosuid","nodev","mode=1777"]}
  $mounts_extra
 ],
 "linux": {
  "cgroupsPath": "/$BERTH_TEST_CGROUP/$cgroup",
  "resources": $resources,
  "namespaces": [$nsjson]$maps,
  "maskedPaths": ["/proc/kcore","/proc/keys","/proc/timer_list","/sys/firmware"],
  "readonlyPaths": ["/proc/sys","/proc/sysrq-trigger","/proc/bus"]
  $linux_extra
 }
 $top_extra
}
EOF
}

# rt_state_field ID FIELD: "status", "pid", "bundle" from `berth state`.
rt_state_field() {
	berth state "$1" | sed -n "s/^ *\"$2\": *\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" | head -1
}

# rt_wait_status ID STATUS [SECONDS]
rt_wait_status() {
	local i
	for ((i = 0; i < ${3:-5} * 20; i++)); do
		[ "$(rt_state_field "$1" status 2>/dev/null)" = "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

# The v1 (or unified) cgroup directory of a test container for controller C.
rt_cgroup_dir() {
	local c=$1 name=$2
	if [ -d "/sys/fs/cgroup/$c" ]; then
		echo "/sys/fs/cgroup/$c/$BERTH_TEST_CGROUP/$name"
	else
		echo "/sys/fs/cgroup/$BERTH_TEST_CGROUP/$name"
	fi
}
