#!/usr/bin/env bash
# Many secondary zones at once (issue 4): 40 zones on a flame-dnsd primary,
# all secondary on a flame-dnsd secondary with secondary.max-transfers 3.
# Checks: all 40 arrive by AXFR at start-up; after all 40 files change at
# once, all 40 new serials are served, each zone refreshed by NOTIFY + IXFR;
# the secondary's log never shows more than 3 refreshes running at the same
# time (and more than one did run at once: the bound, not serialisation).
# The secondary sends its SOA queries and transfers from secondary.source
# (127.0.0.2), the only address the primary's transfer ACL allows. Changed
# zones are snapshotted every snapshot-interval.
# Ports 15455-15456.
source "$(dirname "$0")/lib/common.bash"
PPORT=15455
SPORT=15456
N=40
PPID_=""
stop_primary() { [ -n "$PPID_" ] && kill -KILL "$PPID_" 2>/dev/null && wait "$PPID_" 2>/dev/null; PPID_=""; }
trap 'stop_primary; cleanup' EXIT

mkdir -p "$T/p/zones" "$T/s/zones" "$T/s/storage"
tsig-keygen -a hmac-sha256 xfr-key >"$T/xfr.key"
zone() { # zone INDEX SERIAL
	cat >"$T/p/zones/z$1.test.zone.tmp" <<Z
\$ORIGIN z$1.test.
\$TTL 300
@ IN SOA ns1 hostmaster $2 3600 600 86400 60
@ NS ns1
ns1 A 127.0.0.1
www A 192.0.2.$2
Z
	mv "$T/p/zones/z$1.test.zone.tmp" "$T/p/zones/z$1.test.zone"
}
for i in $(seq 1 $N); do zone "$i" 1; done
cat >"$T/p.yaml" <<Y
server: { listen: ["127.0.0.1@$PPORT"], workers: 1 }
zones: { directory: $T/p/zones }
keys: { files: [ $T/xfr.key ] }
transfer: { allow: [ "127.0.0.2 key xfr-key" ] }
notify: { targets: [ "127.0.0.1@$SPORT key xfr-key" ], timeout-ms: 200 }
Y
{
	cat <<Y
server: { listen: ["127.0.0.1@$SPORT"], workers: 1 }
log: { level: info }
zones: { directory: $T/s/zones, storage: $T/s/storage, role: secondary }
keys: { files: [ $T/xfr.key ] }
secondary: { primaries: [ "127.0.0.1@$PPORT key xfr-key" ], max-transfers: 3, source: 127.0.0.2, snapshot-interval: 1 }
zone:
Y
	for i in $(seq 1 $N); do echo "  - domain: z$i.test"; done
} >"$T/s.yaml"

"$DAEMON" -c "$T/p.yaml" >"$T/primary.log" 2>&1 &
PPID_=$!
start_daemon -c "$T/s.yaml"
wait_ready 127.0.0.1 $SPORT || finish

# served: how many zones answer serial S
served() {
	local i n=0
	for i in $(seq 1 $N); do
		[ "$(dig @127.0.0.1 -p $SPORT +time=1 +tries=1 +short z$i.test SOA | awk '{print $3}')" == "$1" ] && n=$((n + 1))
	done
	echo $n
}
wait_all() {
	local k
	for k in $(seq 1 $((30 * SLOW))); do
		[ "$(grep -cE "$1" "$DLOG")" -ge $N ] && break
		sleep 0.2
	done
}
wait_all 'AXFR from 127\.0\.0\.1@15455 key xfr-key\.: serial none -> 1'
check "start-up: every zone served at serial 1" $N "$(served 1)"

for i in $(seq 1 $N); do zone "$i" 2; done
wait_all 'IXFR from 127\.0\.0\.1@15455 key xfr-key\.: serial 1 -> 2'
check "after the edit: every zone served at serial 2" $N "$(served 2)"
check "every zone refreshed by IXFR" $N "$(grep -cE 'IXFR from 127\.0\.0\.1@15455 key xfr-key\.: serial 1 -> 2' "$DLOG")"
check "refreshes caused by NOTIFY" 1 "$([ "$(grep -c 'refresh (NOTIFY)' "$DLOG")" -ge $N ] && echo 1 || echo 0)"

# Concurrency from the log: +1 at a refresh start, -1 at its end.
peak=$(awk '/: refresh \(/ { r++; if (r > m) m = r }
	/: (AXFR|IXFR)[^:]* from .*: serial / || /: up to date at serial / || /refresh failed on every primary/ || /older than ours/ { r-- }
	END { print m + 0 }' "$DLOG")
check "at most max-transfers (3) refreshes at once" 1 "$([ "$peak" -le 3 ] && echo 1 || echo 0)"
check "more than one refresh at once (peak $peak)" 1 "$([ "$peak" -ge 2 ] && echo 1 || echo 0)"
# The first copies were snapshotted at once; serial 2 is in the journal and
# goes to disk with the periodic snapshot (snapshot-interval: 1 s).
for k in $(seq 1 $((30 * SLOW))); do
	[ "$(grep -c 'snapshot of serial 2 written' "$DLOG")" -ge $N ] && break
	sleep 0.1
done
check "periodic snapshots of the changed zones" $N "$(grep -c 'snapshot of serial 2 written' "$DLOG")"
check "transfers came from the source address" 0 "$(grep -E 'XFR of z[0-9]+\.test\. .* to 127\.0\.0\.' "$T/primary.log" | grep -vc ' to 127\.0\.0\.2@')"
check "the primary logged them" 1 "$([ "$(grep -cE 'XFR of z[0-9]+\.test\. .* to 127\.0\.0\.2@' "$T/primary.log")" -ge $N ] && echo 1 || echo 0)"
stop_daemon
finish
