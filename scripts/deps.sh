#!/bin/sh
# Install every Debian package flame-dns needs to build, test, demo and benchmark.
# Idempotent: installs only what is missing. Needs root (or sudo) and apt.
set -eu

PKGS="build-essential pkg-config make gcc clang
libldns-dev ldnsutils libevent-dev libyaml-dev libssl-dev libcmocka-dev liburing-dev
knot knot-dnsutils knot-dnssecutils bind9 bind9-utils bind9-dnsutils nsd dnsperf
wireguard-tools wireguard-go iproute2 procps util-linux python3 faketime time"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "deps.sh: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Debian starts named/knot/nsd on install and they grab port 53; policy-rc.d keeps them down.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
	$SUDO chmod 755 /usr/sbin/policy-rc.d
	trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
# shellcheck disable=SC2086
$SUDO apt-get install -y --no-install-recommends $missing
