#!/bin/bash
# config/deps.sh PACKAGE...: install the Debian packages among PACKAGE... that are missing (make deps-*).
#
# Each is checked with dpkg-query. When some are missing: as root they are
# installed (apt-get install -y --no-install-recommends, once more after an
# apt-get update when that fails, as on a fresh machine with no package
# lists); otherwise the apt-get command is printed and the script fails.
#
# Some packages ship daemons (containerd, docker.io: the engine tests run
# their own copies inside the test sandbox). Installing must neither start
# nor enable a service on the machine: a /usr/sbin/policy-rc.d answering 101
# ("action forbidden") is in place for the install (made only when absent,
# removed afterwards), the systemd units and init scripts the new packages
# ship are disabled again, and the script fails if a program of the new
# packages runs afterwards that did not run before.
set -u

missing=()
for p in "$@"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "berth: missing Debian packages: ${missing[*]}" >&2
	echo "berth: install them as root: apt-get install -y ${missing[*]}" >&2
	exit 1
fi

POLICY=/usr/sbin/policy-rc.d
made_policy=""
if [ ! -e "$POLICY" ]; then
	printf '#!/bin/sh\n# berth config/deps.sh: no service starts while packages are installed\nexit 101\n' >"$POLICY"
	chmod 0755 "$POLICY"
	made_policy=1
fi
remove_policy() {
	[ -n "$made_policy" ] && rm -f "$POLICY"
	made_policy=""
}
trap remove_policy EXIT
trap 'exit 130' INT TERM

# The pids of running programs (by executable path) as "PID PATH" lines.
running_programs() {
	local p exe
	for p in /proc/[0-9]*; do
		exe=$(readlink "$p/exe" 2>/dev/null) || continue
		echo "${p#/proc/} ${exe% (deleted)}"
	done | sort
}
before=$(running_programs)

echo "berth: installing missing packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends "${missing[@]}" ||
	{ apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"; } || exit 1
remove_policy

# Undo what the maintainer scripts enabled for the next boot (deb-systemd-helper
# acts only for a package's maintainer script: it is told which package).
files=""
for p in "${missing[@]}"; do
	f=$(dpkg -L "$p" 2>/dev/null)
	files+="$f"$'\n'
	for unit in $(grep -E '^/(usr/)?lib/systemd/system/[^/]+\.(service|socket|timer)$' <<<"$f"); do
		DPKG_MAINTSCRIPT_PACKAGE=$p deb-systemd-helper disable "${unit##*/}" >/dev/null 2>&1 || true
	done
	for script in $(grep -E '^/etc/init\.d/[^/]+$' <<<"$f"); do
		update-rc.d "${script##*/}" disable >/dev/null 2>&1 || true
	done
done

# None of their units may be enabled, and none of their programs running unless it ran before.
enabled=$(find /etc/systemd/system -path '*.wants/*' -type l 2>/dev/null | while read -r link; do
	grep -qxF "$(readlink "$link")" <<<"$files" && echo "$link"
done)
programs=$(grep -E '^/(usr/)?s?bin/[^/]+$' <<<"$files" | xargs -r readlink -f)
started=$(comm -13 <(echo "$before") <(running_programs) | while read -r pid exe; do
	grep -qxF "$exe" <<<"$programs" && echo "$pid $exe"
done)
if [ -n "$enabled" ] || [ -n "$started" ]; then
	echo "berth: installing ${missing[*]} enabled or started services on this machine (undo it):" \
		$enabled $started >&2
	exit 1
fi
exit 0
