#!/bin/bash
# mkrootfs.sh DIR: a minimal root filesystem from Debian's busybox-static
# (/bin/busybox, statically linked), for demos and tests. Nothing is
# downloaded. Idempotent: an existing DIR is brought up to date.
set -euo pipefail
dir=${1:?usage: mkrootfs.sh DIR}
bb=${BUSYBOX:-/bin/busybox}
if ! file -L "$bb" 2>/dev/null | grep -q 'statically linked' && ! ldd "$bb" 2>&1 | grep -q 'not a dynamic'; then
	echo "mkrootfs: $bb is not a static busybox (install busybox-static)" >&2
	exit 1
fi
mkdir -p "$dir"
cd "$dir"
mkdir -p bin sbin usr/bin usr/sbin etc dev proc sys tmp run var/tmp root home www
chmod 1777 tmp var/tmp
install -m 0755 "$bb" bin/busybox
"$bb" --list-full | while read -r applet; do
	case "$applet" in
	bin/busybox | linuxrc*) continue ;;
	esac
	target=/bin/busybox
	[ -e "$applet" ] || [ -L "$applet" ] || ln -s "$target" "$applet"
done
cat >etc/passwd <<'P'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat >etc/group <<'G'
root:x:0:
nogroup:x:65534:
G
# Names from /etc/hosts first (glibc's built-in default asks DNS first).
echo 'hosts: files dns' >etc/nsswitch.conf
# Bind-mount targets for the per-container files berth generates.
: >etc/hosts
: >etc/resolv.conf
: >etc/hostname
echo '<h1>served by busybox httpd in a berth container</h1>' >www/index.html
echo "mkrootfs: $(find . -type l | wc -l) applets in $PWD"
