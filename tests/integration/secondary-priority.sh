#!/usr/bin/env bash
# NOTIFY before timers (issue 4: "a NOTIFY-triggered refresh is never
# starved by periodic ones"). A secondary with max-transfers 2 has 10 zones
# whose primary is a black hole (accepts TCP, never answers: every refresh
# runs into transfer-timeout and is retried, so the timer lane is always
# full) and one zone, z0.test, from a live flame-dnsd primary. After an edit
# of z0.test its NOTIFY-triggered refresh must start before more than
# max-transfers other refreshes start (a FIFO would put it behind the whole
# retry queue), and the change must arrive. Ports 15470-15472.
source "$(dirname "$0")/lib/common.bash"
HPORT=15470
PPORT=15471
SPORT=15472
HPID=""
PPID_=""
stop_others() {
	[ -n "$HPID" ] && kill -KILL "$HPID" 2>/dev/null && wait "$HPID" 2>/dev/null
	[ -n "$PPID_" ] && kill -KILL "$PPID_" 2>/dev/null && wait "$PPID_" 2>/dev/null
	HPID=""; PPID_=""
}
trap 'stop_others; cleanup' EXIT

mkdir -p "$T/p/zones" "$T/s/zones"
tsig-keygen -a hmac-sha256 xfr-key >"$T/xfr.key"
# The black hole: listens, never accepts; connections complete in the kernel backlog.
python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $HPORT)); s.listen(512); time.sleep(120)" &
HPID=$!

SERIAL=1
zone() {
	cat >"$T/p/zones/z0.test.zone.tmp" <<Z
\$ORIGIN z0.test.
\$TTL 300
@ IN SOA ns1 hostmaster $SERIAL 3600 600 86400 60
@ NS ns1
ns1 A 127.0.0.1
www A 192.0.2.$SERIAL
Z
	mv "$T/p/zones/z0.test.zone.tmp" "$T/p/zones/z0.test.zone"
}
zone
cat >"$T/p.yaml" <<Y
server: { listen: ["127.0.0.1@$PPORT"], workers: 1 }
zones: { directory: $T/p/zones }
keys: { files: [ $T/xfr.key ] }
transfer: { allow: [ "127.0.0.1 key xfr-key" ] }
notify: { targets: [ "127.0.0.1@$SPORT key xfr-key" ], timeout-ms: 200 }
Y
{
	cat <<Y
server: { listen: ["127.0.0.1@$SPORT"], workers: 1 }
log: { level: info }
zones: { directory: $T/s/zones, role: secondary }
keys: { files: [ $T/xfr.key ] }
secondary:
  primaries: [ "127.0.0.1@$HPORT key xfr-key" ]
  max-transfers: 2
  transfer-timeout: 600
  retry-min: 1
zone:
  - domain: z0.test
    primaries: [ "127.0.0.1@$PPORT key xfr-key" ]
Y
	for i in $(seq 1 10); do echo "  - domain: b$i.test"; done
} >"$T/s.yaml"

"$DAEMON" -c "$T/p.yaml" >"$T/primary.log" 2>&1 &
PPID_=$!
start_daemon -c "$T/s.yaml"
wait_ready 127.0.0.1 $SPORT || finish
serial() { dig @127.0.0.1 -p $SPORT +time=1 +tries=1 +short z0.test SOA | awk '{print $3}'; }
wait_serial() {
	local i
	for i in $(seq 1 $((100 * SLOW))); do
		[ "$(serial)" == "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
wait_serial 1
check "z0.test: first copy (behind the black-hole zones' first tries)" 1 "$(serial)"
check "black-hole zones: placeholder answers SERVFAIL" SERVFAIL "$(rcode_of "$(q 127.0.0.1 $SPORT b1.test SOA)")"
sleep 1.5 # the retry lane is now full of black-hole refreshes
check "the timer lane is busy: black-hole refreshes time out" 1 \
	"$([ "$(grep -c 'b[0-9]*\.test\.: refresh from .* no data for 600 ms' "$DLOG")" -ge 2 ] && echo 1 || echo 0)"

SERIAL=2
zone
wait_serial 2
check "z0.test: the change arrived" 2 "$(serial)"
# Refresh starts after the NOTIFY was accepted, up to z0.test's own.
others=$(awk '/NOTIFY for z0\.test\. .*accepted/ { on = 1; next }
	on && /z0\.test\.: refresh \(NOTIFY\)/ { print n + 0; exit }
	on && /: refresh \(/ { n++ }' "$DLOG")
check_match "NOTIFY refresh started before more than max-transfers (2) timer refreshes ($others)" '^[0-2]$' "$others"
check "z0.test: by IXFR" 1 "$(grep -c 'z0\.test\.: IXFR from 127\.0\.0\.1@15471 key xfr-key\.: serial 1 -> 2' "$DLOG")"
stop_daemon
finish
