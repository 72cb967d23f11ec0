#!/usr/bin/env bash
# Secondary role end to end, flame-dnsd primary -> flame-dnsd secondary on
# loopback with TSIG (issue 4). Checks, each against the secondary's answers
# and its log:
#  1. start-up: the secondary has no copy and takes the zone by AXFR;
#  2. an edit on the primary reaches the secondary by NOTIFY + IXFR;
#  3. a secondary that missed 3 changes (SIGSTOPped) catches up in one IXFR;
#  4. one whose serial is older than the primary's journal gets the whole
#     zone (IXFR answered AXFR-style);
#  5. after kill -9 the restarted secondary answers its last serial at once,
#     with the primary frozen (so not from a transfer);
#  6. with the primary gone past the SOA expire the secondary answers
#     SERVFAIL, and it recovers by itself when the primary is back; the
#     primary NOTIFYs at start-up the zone whose file changed meanwhile;
#  7. NOTIFY refused: unsigned, unknown key; no refresh follows;
#  8. chaining: a third flame-dnsd, secondary of the secondary, gets the
#     change by NOTIFY + IXFR from it; the secondary serves IXFR from its
#     own journal (kdig);
#     EDNS EXPIRE (RFC 7314) answers on all three;
#  9. a torn write (garbage after the journal's last record, a half-written
#     snapshot temp file) costs nothing at restart.
# Ports 15450-15452.
source "$(dirname "$0")/lib/common.bash"
PPORT=15450
SPORT=15451
TPORT=15452
PPID_=""
TPID=""
PLOG="$T/primary.log"
TLOG="$T/tertiary.log"
stop_tertiary() { [ -n "$TPID" ] && kill -KILL "$TPID" 2>/dev/null && wait "$TPID" 2>/dev/null; TPID=""; }
stop_primary() { [ -n "$PPID_" ] && kill -CONT "$PPID_" 2>/dev/null; [ -n "$PPID_" ] && kill -KILL "$PPID_" 2>/dev/null && wait "$PPID_" 2>/dev/null; PPID_=""; }
trap 'stop_primary; stop_tertiary; cleanup' EXIT

mkdir -p "$T/p/zones" "$T/p/storage" "$T/s/zones" "$T/s/storage" "$T/t/storage"
tsig-keygen -a hmac-sha256 xfr-key >"$T/xfr.key"
SECRET=$(sed -n 's/.*secret "\(.*\)";/\1/p' "$T/xfr.key")

SERIAL=1
zone() {
	cat >"$T/p/zones/example.com.zone.tmp" <<Z
\$ORIGIN example.com.
\$TTL 300
@ IN SOA ns1 hostmaster $SERIAL 2 1 5 60
@ NS ns1
ns1 A 127.0.0.1
www A 192.0.2.$SERIAL
s$SERIAL TXT "change $SERIAL"
Z
	mv "$T/p/zones/example.com.zone.tmp" "$T/p/zones/example.com.zone"
}
zone
cat >"$T/p.yaml" <<Y
server: { listen: ["127.0.0.1@$PPORT"], workers: 1 }
log: { level: info }
zones: { directory: $T/p/zones, storage: $T/p/storage, journal-max-changesets: 4 }
keys: { files: [ $T/xfr.key ] }
transfer: { allow: [ "127.0.0.1 key xfr-key" ] }
notify: { targets: [ "127.0.0.1@$SPORT key xfr-key" ], timeout-ms: 100, retries: 2 }
Y
cat >"$T/s.yaml" <<Y
server: { listen: ["127.0.0.1@$SPORT"], workers: 1 }
log: { level: info }
zones: { directory: $T/s/zones, storage: $T/s/storage, role: secondary }
keys: { files: [ $T/xfr.key ] }
transfer: { allow: [ "127.0.0.1 key xfr-key" ] }
secondary:
  primaries: [ "127.0.0.1@$PPORT key xfr-key" ]
  refresh-min: 1
  retry-min: 1
  expire-min: 3
  transfer-timeout: 1000
zone:
  - domain: example.com
Y
# The tertiary's config: secondary of the secondary.
sed -e "s/@$SPORT/@$TPORT/; s/@$PPORT/@$SPORT/; s#$T/s/storage#$T/t/storage#" "$T/s.yaml" >"$T/t.yaml"
# The secondary NOTIFYs the tertiary (chaining).
printf 'notify: { targets: [ "127.0.0.1@%s key xfr-key" ], timeout-ms: 100, retries: 2 }\n' $TPORT >>"$T/s.yaml"
start_primary() {
	"$DAEMON" -c "$T/p.yaml" >>"$PLOG" 2>&1 &
	PPID_=$!
	local i
	for i in $(seq 1 $((50 * SLOW))); do
		dig @127.0.0.1 -p $PPORT +time=1 +tries=1 example.com SOA >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "FAIL primary not ready"; FAILS=$((FAILS + 1))
}
# soa_serial: the serial the secondary answers ("" when not NOERROR)
soa_serial() { q 127.0.0.1 $SPORT example.com SOA +short | awk '{print $3}'; }
# wait_serial N SECONDS
wait_serial() {
	local i
	for i in $(seq 1 $(($2 * 10 * SLOW))); do
		[ "$(soa_serial)" == "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
# wait_log REGEX SECONDS (secondary log)
wait_log() {
	local i
	for i in $(seq 1 $(($2 * 10 * SLOW))); do
		grep -qE "$1" "$DLOG" && return 0
		sleep 0.1
	done
	return 1
}
change() { SERIAL=$((SERIAL + 1)); zone; }

start_primary
start_daemon -c "$T/s.yaml"
wait_ready 127.0.0.1 $SPORT || finish

# 1. first copy by AXFR
wait_serial 1 5
check "start-up: serial served after the first transfer" 1 "$(soa_serial)"
check "start-up: transfer was an AXFR" 1 "$(grep -cE 'zone example\.com\.: AXFR from 127\.0\.0\.1@15450 key xfr-key\.: serial none -> 1' "$DLOG")"
check "start-up: data" 192.0.2.1 "$(q 127.0.0.1 $SPORT www.example.com A +short)"
"$DAEMON" -c "$T/t.yaml" >"$TLOG" 2>&1 &
TPID=$!
for i in $(seq 1 $((50 * SLOW))); do
	[ "$(q 127.0.0.1 $TPORT example.com SOA +short | awk '{print $3}')" == 1 ] && break
	sleep 0.1
done
check "chaining: the tertiary took serial 1 from the secondary" 1 "$(grep -cE 'AXFR from 127\.0\.0\.1@15451 key xfr-key\.: serial none -> 1' "$TLOG")"

# 2. NOTIFY + IXFR
change
wait_serial 2 5
check "edit: new serial served" 2 "$(soa_serial)"
check "edit: NOTIFY accepted" 1 "$(grep -cE 'NOTIFY for example\.com\. from 127\.0\.0\.1@[0-9]+ \(key xfr-key\.\): accepted, serial 2' "$DLOG")"
check "edit: by IXFR" 1 "$(grep -cE 'IXFR from 127\.0\.0\.1@15450 key xfr-key\.: serial 1 -> 2' "$DLOG")"
check "edit: data" 192.0.2.2 "$(q 127.0.0.1 $SPORT www.example.com A +short)"
for i in $(seq 1 $((50 * SLOW))); do
	[ "$(q 127.0.0.1 $TPORT example.com SOA +short | awk '{print $3}')" == 2 ] && break
	sleep 0.1
done
check "chaining: the tertiary got serial 2 by NOTIFY + IXFR from the secondary" 1 \
	"$(grep -cE 'IXFR from 127\.0\.0\.1@15451 key xfr-key\.: serial 1 -> 2' "$TLOG")"
check "chaining: the tertiary answers the change" 192.0.2.2 "$(q 127.0.0.1 $TPORT www.example.com A +short)"
# EDNS EXPIRE (RFC 7314): the primary gives its SOA expire, the secondaries the time they have left.
expire_of() { dig @127.0.0.1 -p "$1" +time=2 +tries=1 +expire example.com SOA | sed -n 's/^; EXPIRE: \([0-9]*\).*/\1/p'; }
check "EDNS EXPIRE from the primary: the SOA expire" 5 "$(expire_of $PPORT)"
check_match "EDNS EXPIRE from the secondary: time left, at most 5 s" '^[0-5]$' "$(expire_of $SPORT)"
check_match "EDNS EXPIRE from the tertiary: time left, at most 5 s" '^[0-5]$' "$(expire_of $TPORT)"
kill -TERM "$TPID"; wait "$TPID"
check "chaining: the tertiary exits cleanly" 0 "$?"
TPID=""
check "chaining: no sanitizer report in the tertiary's log" 0 "$(grep -cE 'LeakSanitizer|AddressSanitizer|runtime error' "$TLOG")"

# 3. missed 3 changes: one IXFR
kill -STOP "$DPID"
for k in 1 2 3; do change; sleep 0.4; done
kill -CONT "$DPID"
wait_serial 5 6
check "catch-up: serial" 5 "$(soa_serial)"
check_match "catch-up: one IXFR 2 -> 5 with 3 changesets" "IXFR from 127.0.0.1@15450 key xfr-key.: serial 2 -> 5" \
	"$(grep -oE 'IXFR from [^:]+: serial 2 -> [0-9]+' "$DLOG" | head -n1)"
check "catch-up: data" "\"change 5\"" "$(q 127.0.0.1 $SPORT s5.example.com TXT +short)"
check "catch-up: removed data gone" "" "$(q 127.0.0.1 $SPORT s4.example.com TXT +short)"

# 4. older than the primary's journal (4 changesets kept): AXFR-style
kill -STOP "$DPID"
for k in 1 2 3 4 5 6; do change; sleep 0.3; done
kill -CONT "$DPID"
wait_serial 11 6
check "journal gap: serial" 11 "$(soa_serial)"
check "journal gap: whole zone (AXFR-style)" 1 "$(grep -cE 'IXFR \(AXFR-style\) from 127\.0\.0\.1@15450 key xfr-key\.: serial 5 -> 11' "$DLOG")"

# 8. chaining: our journal serves IXFR downstream
out=$(kdig @127.0.0.1 -p $SPORT -y "hmac-sha256:xfr-key:$SECRET" +tcp example.com IXFR=5 2>&1)
check_match "chaining: IXFR 5 from the secondary's journal is incremental" "^example\.com\.[[:space:]]+300[[:space:]]+IN[[:space:]]+SOA.* 5 2 1 5 60" \
	"$(grep -E 'IN[[:space:]]+SOA' <<<"$out" | sed -n 2p)"

# 10. a directory reload on the secondary (SIGHUP, and the watcher) keeps the
# secondary zone; a zone file named like it is ignored with a warning.
printf '$ORIGIN example.com.\n$TTL 60\n@ SOA a b 999 1 1 1 1\n@ NS ns\nns A 192.0.2.99\n' >"$T/s/zones/example.com.zone"
kill -HUP "$DPID"
sleep 0.5
check "SIGHUP: the secondary zone is still served at its serial" 11 "$(soa_serial)"
check "SIGHUP: a zone file named like the secondary zone is ignored" 1 \
	"$([ "$(grep -c 'zone example.com. is secondary here: the file .* is ignored' "$DLOG")" -ge 1 ] && echo 1 || echo 0)"
rm -f "$T/s/zones/example.com.zone"

# 5. kill -9, restart with the primary frozen: served from disk at once
kill -KILL "$DPID"; wait "$DPID" 2>/dev/null; DPID=""
kill -STOP "$PPID_"
# 9. torn writes: a record cut short at the journal's end, a half-written snapshot
head -c 37 /dev/urandom >>"$T/s/storage/example.com.journal"
head -c 100 /dev/urandom >"$T/s/storage/example.com.snapshot.tmp"
start_daemon -c "$T/s.yaml"
wait_ready 127.0.0.1 $SPORT || finish
check "restart: last serial answered at once" 11 "$(soa_serial)"
check "restart: from disk" 1 "$(grep -cE 'zone example\.com\.: serving serial 11 from disk' "$DLOG")"
check "torn write: the journal's torn tail was cut and logged" 1 "$(grep -cE 'journal .*is corrupt.*cut back to serial 11' "$DLOG")"
check "restart: data" 192.0.2.11 "$(q 127.0.0.1 $SPORT www.example.com A +short)"
kill -CONT "$PPID_"

# 7. NOTIFY refused
out=$(q 127.0.0.1 $SPORT +opcode=notify example.com SOA)
check "NOTIFY unsigned: REFUSED" REFUSED "$(rcode_of "$out")"
out=$(dig @127.0.0.1 -p $SPORT +time=2 +tries=1 -y "hmac-sha256:other-key:$SECRET" +opcode=notify example.com SOA 2>&1)
check_match "NOTIFY with an unknown key: NOTAUTH" "NOTAUTH" "$out"
sleep 0.3
check "NOTIFY refusals logged" 2 "$(grep -cE 'NOTIFY for example\.com\. from 127\.0\.0\.1@[0-9]+ .*(not allowed by notify-allow, REFUSED|TSIG BADKEY.*ignored)' "$DLOG")"
check "no refresh after refused NOTIFYs" 0 "$(grep -c 'refresh (NOTIFY)' "$DLOG")"
# A flood of 300 refused NOTIFYs: at most 10 log lines a second, then a count of the rest.
before=$(grep -c 'not allowed by notify-allow' "$DLOG")
python3 - "$SPORT" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
q = struct.pack(">HHHHHH", 0, 0x2000, 1, 0, 0, 0) + b"\x07example\x03com\x00" + struct.pack(">HH", 6, 1)
for i in range(300):
    s.sendto(struct.pack(">H", i) + q[2:], ("127.0.0.1", int(sys.argv[1])))
PY
sleep 1.2
q 127.0.0.1 $SPORT +opcode=notify example.com SOA >/dev/null
sleep 0.2
logged=$(( $(grep -c 'not allowed by notify-allow' "$DLOG") - before ))
check_match "NOTIFY flood: refusals logged at most 10 a second ($logged of 301)" '^([1-9]|1[0-9]|2[0-9]|30)$' "$logged"
check_match "NOTIFY flood: the rest counted" '[0-9]+ more refused NOTIFYs were not logged' "$(grep -m1 'more refused NOTIFYs' "$DLOG")"

# 6. expire: primary gone, SOA expire 5 s -> SERVFAIL; back -> NOERROR
stop_primary
ok=""
for i in $(seq 1 $((90 * SLOW))); do
	[ "$(rcode_of "$(q 127.0.0.1 $SPORT example.com SOA)")" == SERVFAIL ] && { ok=1; break; }
	sleep 0.1
done
check "expire: SERVFAIL after the SOA expire" 1 "$ok"
check "expire: logged" 1 "$(grep -c 'zone example.com. expired' "$DLOG")"
# The file changes while the primary is down: at its start it NOTIFYs.
change
start_primary
wait_log 'refreshed, no longer expired' 5
check "expire: recovered" NOERROR "$(rcode_of "$(q 127.0.0.1 $SPORT example.com SOA)")"
wait_serial 12 3
check "expire: the change made while the primary was down" 12 "$(soa_serial)"
check "primary restart: NOTIFY for the zone that changed while it was down" 1 \
	"$(grep -cE 'NOTIFY for example\.com\. from 127\.0\.0\.1@[0-9]+ \(key xfr-key\.\): accepted, serial 12' "$DLOG")"

stop_daemon
# Changed since the last snapshot (restored by a journal replay, then serial 12): saved at shutdown.
check "snapshot of the served serial written at shutdown" 1 "$(grep -c 'zone example.com.: snapshot of serial 12 written' "$DLOG")"
finish
