#!/bin/bash
# config/deps.sh PACKAGE...: install the Debian packages among PACKAGE... that are missing (make deps-*).
#
# Each is checked with dpkg-query. When some are missing: as root they are
# installed (apt-get install -y --no-install-recommends, once more after an
# apt-get update when that fails, as on a fresh machine with no package
# lists); otherwise the apt-get command is printed and the script fails.
# No package installed here starts a service on the machine (etcd-server would):
# while installing, a policy-rc.d that refuses every start (exit 101) is in place
# unless the machine already has one.
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
echo "berth: installing missing packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# berth config/deps.sh: no service starts while packages install\nexit 101\n' >"$policy"
	chmod 0755 "$policy"
	trap 'rm -f "$policy"' EXIT
fi
apt-get install -y --no-install-recommends "${missing[@]}" ||
	{ apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"; }
