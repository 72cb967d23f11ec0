#!/usr/bin/env bash
# Demo: one flame-dnsd node on 127.0.0.1 port 5300 serving zonefiles/, in the
# foreground. Builds nothing itself ("make demo" runs "make all" first).
# Ctrl-C stops it. Environment: BUILD (default build), PORT (default 5300).
set -eu
cd "$(dirname "$0")/.."
BUILD="${BUILD:-build}"
PORT="${PORT:-5300}"
DAEMON="$BUILD/flame-dnsd"
ZONES=zonefiles

if [ ! -x "$DAEMON" ]; then
	echo "demo: $DAEMON is missing; run 'make demo' (or 'make all') first" >&2
	exit 1
fi
zones=$(find "$ZONES" -maxdepth 1 -type f -name '*.zone' 2>/dev/null | sort)
if [ -z "$zones" ]; then
	echo "demo: no *.zone files in $ZONES/" >&2
	exit 1
fi
first=$(basename "$(head -n1 <<<"$zones")" .zone)
[ -f "$ZONES/example.com.zone" ] && first=example.com

cat <<EOT
flame-dnsd demo: serving $(wc -l <<<"$zones") zone(s) from $ZONES/ on 127.0.0.1@$PORT (UDP and TCP).
Try, in another terminal:
  dig @127.0.0.1 -p $PORT $first SOA
  dig @127.0.0.1 -p $PORT $first NS +tcp
  kdig @127.0.0.1 -p $PORT +tcp +keepopen $first SOA $first NS
  dig @127.0.0.1 -p $PORT nonexistent.$first A      # NXDOMAIN, SOA in authority
  dig @127.0.0.1 -p $PORT example.invalid A         # REFUSED: not our zone
  dig @127.0.0.1 -p $PORT CH TXT version.bind       # REFUSED: no "version" configured
Edit a file in $ZONES/, then reload with:  kill -HUP <pid printed below>
Ctrl-C stops the server.
EOT
echo "pid: $$"
# exec: the daemon takes this PID, so Ctrl-C and kill -HUP reach it directly.
exec "$DAEMON" --zone-dir "$ZONES" --listen "127.0.0.1@$PORT" --workers 2 --log-level info \
	${DEMO_ARGS:-}
