#!/usr/bin/env bash
# The secondary against a misbehaving primary: build/tools/fakeprimary
# (tests/tools/fakeprimary.c) serves example.com with TSIG (hmac-sha256) and
# is switched through modes by a mode file; each switch makes it send a
# signed NOTIFY, so the secondary refreshes at once (its SOA timers, clamped
# to 1 s, catch up otherwise). Checks: a first transfer (AXFR) with a bad
# MAC serves nothing, then a good one is served; each bad transfer (cut
# off, stalled, a bad MAC, signed an hour off, a wrong message ID, unsigned,
# the last message unsigned, 100 unsigned messages in a row, a record
# outside the zone, a closing SOA of another serial, a wrong ZONEMD, a lower
# serial, an SOA answer that lies, IXFR/AXFR refused) is rejected with a log line naming the problem, and the
# previous serial and data are still served; an IXFR that does not apply
# falls back to AXFR (logged) and ends at the new serial; 99 unsigned
# messages (RFC 8945 §5.3.1) and a correct ZONEMD are accepted; NOTIFYs with
# an unknown key, without a key, or from an address that is not a primary
# are answered NOTAUTH/REFUSED, logged, and trigger no refresh, while a
# correct one does; after a SIGKILL the journal replays to the last good
# serial. Ports 15460-15461.
source "$(dirname "$0")/lib/common.bash"
FPORT=15460
PORT=15461
FAKE="$PWD/$BUILD/tools/fakeprimary"
FAKE_PID=""
FLOG="$T/fake.log"
stop_fake() {
	[ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null && wait "$FAKE_PID" 2>/dev/null
	FAKE_PID=""
}
show_fake() {
	if { [ "$FAILS" -ne 0 ] || [ -n "${SHOW_LOG:-}" ]; } && [ -f "$FLOG" ]; then
		echo "---- fake primary log ($FLOG) ----"
		tail -n 25 "$FLOG"
	fi
}
trap 'stop_fake; show_fake; cleanup' EXIT
[ -x "$FAKE" ] || { echo "FAIL: $FAKE not built"; exit 1; }

mkdir -p "$T/empty" "$T/storage"
tsig-keygen -a hmac-sha256 xfr-key >"$T/xfr.key"
SECRET=$(sed -n 's/.*secret "\(.*\)";.*/\1/p' "$T/xfr.key")
OTHER=$(tsig-keygen -a hmac-sha256 other-key | sed -n 's/.*secret "\(.*\)";.*/\1/p')
# Refresh and retry of 1 s: the secondary also comes back on its own.
cat >"$T/example.com.zone" <<'EOF'
$TTL 300
@    IN SOA ns1.example.com. hostmaster.example.com. 1 1 1 604800 300
@    IN NS  ns1
@    IN MX  10 mail
ns1  IN A   198.51.100.53
www  IN A   198.51.100.1
mail IN A   198.51.100.2
txt  IN TXT "served by the fake primary"
h1   IN A   198.51.100.11
h2   IN A   198.51.100.12
h3   IN A   198.51.100.13
h4   IN A   198.51.100.14
EOF
cat >"$T/conf.yaml" <<EOF
server: { listen: ["127.0.0.1@$PORT"], workers: 1 }
log: { level: info }
zones: { directory: "$T/empty", storage: "$T/storage", role: secondary }
keys: { files: [ "$T/xfr.key" ] }
secondary:
  primaries: [ "127.0.0.1@$FPORT key xfr-key" ]
  refresh-min: 1
  retry-min: 1
  transfer-timeout: 2000
zone:
  - domain: example.com
EOF

mode() { echo "$*" >"$T/mode"; }
serial() { dig @127.0.0.1 -p $PORT +norec +time=1 +tries=1 +short example.com SOA 2>/dev/null | awk '{print $3}'; }
www() { dig @127.0.0.1 -p $PORT +norec +time=1 +tries=1 +short www.example.com A 2>/dev/null; }
wait_serial() { # wait_serial WANT SECONDS
	local _
	for _ in $(seq 1 $(($2 * 10 * SLOW))); do
		[ "$(serial)" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
# Log lines since the mark (mark: the daemon log's line count before a step).
since() { tail -n +$((MARK + 1)) "$DLOG"; }
mark() { MARK=$(wc -l <"$DLOG"); }
wait_since() { # wait_since REGEX SECONDS: poll the new part of the daemon log (bounded)
	local _
	for _ in $(seq 1 $(($2 * 10 * SLOW))); do
		since | grep -Eq "$1" && return 0
		sleep 0.1
	done
	return 1
}
first_since() { since | grep -E "$1" | head -n1 | sed 's/^.*zone example/zone example/'; }
P='127\.0\.0\.1@15460 key xfr-key\.'

# Lines of the refreshes that started after the fake's NOTIFY for the current
# mode (it is sent on the mode change): a refresh still running then (of the
# previous mode) ends before the next "refresh (" line, so nothing of it is
# taken for the new mode; several modes fail with the same words.
fresh() {
	since | awk '!n && /NOTIFY for example\.com\. from 127\.0\.0\.1@[0-9]+ \(key xfr-key\.\): accepted/ { n = 1; next }
		n == 1 && /: refresh \(/ { n = 2 } n == 2'
}
wait_fresh() { # wait_fresh REGEX SECONDS
	local _
	for _ in $(seq 1 $(($2 * 10 * SLOW))); do
		fresh | grep -Eq "$1" && return 0
		sleep 0.1
	done
	return 1
}

# One bad scenario: bad MODE-LINE DESCRIPTION REGEX [FAKE-REGEX]: switch the
# fake, wait for the rejection line, check it, that the fake did serve that
# mode, and that the served version did not change.
SERVED=1
bad() {
	local line=$1 what=$2 re=$3 fre=${4:-}
	mark
	mode "$line"
	wait_fresh "$re" 8
	check_match "$what: logged" "$re" "$(fresh | grep -E "$re" | head -n1 | sed 's/^.*zone example/zone example/')"
	[ -n "$fre" ] && check_match "$what: the fake primary's side" "$fre" "$(grep -E "$fre" "$FLOG" | tail -n1)"
	check "$what: still serving serial $SERVED" "$SERVED" "$(serial)"
	check "$what: still serving the old data" "198.51.100.1" "$(www)"
}
X='(IXFR|AXFR) example\.com\. from 127\.0\.0\.1@[0-9]+ \(TSIG ok\): mode'

# --- the fake primary (bad MACs first), then the secondary ---
mode badmac 1
: >"$FLOG"
"$FAKE" --port $FPORT --zone example.com --file "$T/example.com.zone" --key "$T/xfr.key" \
	--mode-file "$T/mode" --per-msg 3 --notify "127.0.0.1@$PORT" 2>>"$FLOG" &
FAKE_PID=$!
for _ in $(seq 1 $((30 * SLOW))); do grep -q ready "$FLOG" && break; sleep 0.1; done
check_match "fake primary up" "ready on 127\.0\.0\.1@$FPORT, zone example\.com\., 11 records, mode badmac, serial 1, TSIG on" "$(head -n1 "$FLOG")"

start_daemon -c "$T/conf.yaml"
wait_ready 127.0.0.1 $PORT || finish
MARK=0
re="refresh from $P failed: AXFR transfer rejected: TSIG: BADSIG \(MAC does not verify\)"
wait_since "$re" 5
check_match "first transfer with a bad MAC (AXFR, nothing served yet): logged" "$re" "$(first_since "$re")"
check "first transfer with a bad MAC: nothing served yet, SERVFAIL (placeholder)" SERVFAIL "$(rcode_of "$(q 127.0.0.1 $PORT example.com SOA)")"

# --- then a good primary: the first version ---
mode good 1
out=$(kdig @127.0.0.1 -p $FPORT -y "hmac-sha256:xfr-key:$SECRET" example.com AXFR 2>&1)
check "fake primary: a TSIG-signed AXFR of 12 RRs in 4 messages (kdig)" "4 messages" "$(grep -o '[0-9]* messages' <<<"$out" || echo "$out" | tail -n3)"
wait_serial 1 10
check "first transfer: serial 1 served" 1 "$(serial)"
check "first transfer: data served" "198.51.100.1" "$(www)"
check_match "first transfer: logged" "zone example\.com\.: AXFR from $P: serial none -> 1, 12 records in 4 messages" "$(grep 'AXFR from' "$DLOG" | head -n1)"

# --- bad transfers: each rejected, serial 1 and its data still served ---
bad "cut 2" "transfer cut off half way" \
	"refresh from $P failed: transfer: the primary closed the connection before the end \(2 messages received\)" \
	"$X cut, serial 2 .*: 2 of 4 messages sent \(6 RRs, 2 signed\), connection closed"
bad "stall 2" "transfer stalled half way" \
	"refresh from $P failed: transfer: no data for 2000 ms \(2 messages received\)" \
	"$X stall, serial 2 .*: 2 of 4 messages sent \(6 RRs, 2 signed\), connection left open"
bad "badmac 2" "bad MAC in the 2nd message" \
	"refresh from $P failed: IXFR transfer rejected: TSIG: BADSIG \(MAC does not verify\)" \
	"$X badmac, serial 2 .*: [0-9]+ of 4 messages sent"
bad "badtime 2" "messages signed with a clock an hour behind" \
	"refresh from $P failed: IXFR transfer rejected: TSIG: BADTIME" \
	"$X badtime, serial 2 "
bad "badid 2" "wrong message ID in the 2nd message" \
	"refresh from $P failed: IXFR transfer rejected: message ID [0-9]+, expected [0-9]+" \
	"$X badid, serial 2 "
bad "nosig 2" "unsigned transfer" \
	"refresh from $P failed: IXFR transfer rejected: TSIG: required TSIG missing" \
	"$X nosig, serial 2 .*, 0 signed"
bad "lastunsigned 2" "last message unsigned" \
	"refresh from $P failed: IXFR transfer rejected: TSIG: required TSIG missing" \
	"$X lastunsigned, serial 2 .*: 4 of 4 messages sent \(12 RRs, 3 signed\)"
bad "unsigned100 2" "100 unsigned messages in a row (RFC 8945 5.3.1: at most 99)" \
	"refresh from $P failed: IXFR transfer rejected: TSIG: required TSIG missing" \
	"$X unsigned100, serial 2 \(theirs 1\), AXFR-style: [0-9]+ of 102 messages sent"
bad "outzone 2" "record outside the zone" \
	"refresh from $P failed: IXFR transfer rejected: owner evil\.example\.org\. is outside the zone" \
	"$X outzone, serial 2 "
bad "soa-mismatch 2" "closing SOA of another serial" \
	"refresh from $P failed: IXFR transfer rejected: SOA of serial 3 inside the transfer of serial 2" \
	"$X soa-mismatch, serial 2 "
check "outzone: the record is not served" "REFUSED" "$(rcode_of "$(q 127.0.0.1 $PORT evil.example.org A)")"
bad "zonemd-bad 2" "wrong ZONEMD digest" \
	"IXFR \(AXFR-style\) from $P rejected: ZONEMD mismatch: SHA-384 digest computed [0-9a-f.]+ differs from the zone's 0000000000000000.*; still serving serial 1" \
	"$X zonemd-bad, serial 2 "
bad "oldserial 0" "lower serial" \
	"$P has serial 0, older than ours \(1\): keeping ours \(RFC 1982\)" \
	"TCP SOA example\.com\. .*mode oldserial, serial 0$"
bad "oldserial 2 0" "the SOA answer says 2, the transfer carries 0" \
	"$P has serial 0, older than ours \(1\): keeping ours \(RFC 1982\)" \
	"$X oldserial, serial 0 \(theirs 1\), up to date: single SOA"
bad "refuse 2" "IXFR and AXFR refused" \
	"refresh from $P failed: AXFR transfer rejected: server answered REFUSED \(rcode 5\)" \
	"TCP AXFR example\.com\. .*REFUSED \(mode refuse\)"
check_match "refused: IXFR first, then AXFR" "IXFR from $P failed \(the primary answered the IXFR with rcode 5\): falling back to AXFR" \
	"$(fresh | grep 'falling back' | head -n1)"
check "no sanitizer report so far" 0 "$(grep -cE 'LeakSanitizer|AddressSanitizer|runtime error' "$DLOG")"

# --- an IXFR that does not apply: AXFR fallback, then the new serial ---
mark
mode ixfr-mismatch 2
wait_serial 2 8
check "IXFR that does not apply: serial 2 in the end" 2 "$(serial)"
check_match "IXFR that does not apply: fallback logged" \
	"IXFR from $P failed \(IXFR rejected: IXFR does not apply: .*\): falling back to AXFR" "$(first_since 'falling back')"
check_match "IXFR that does not apply: then an AXFR" "AXFR from $P: serial 1 -> 2" "$(first_since 'serial 1 -> 2')"
check_match "the fake: IXFR answered incrementally, then AXFR" \
	"IXFR example\.com\..*mode ixfr-mismatch, serial 2 \(theirs 1\), incremental.*AXFR example\.com\..*mode ixfr-mismatch, serial 2, full" \
	"$(grep 'mode ixfr-mismatch' "$FLOG" | grep -v SOA | head -n2 | tr '\n' ' ')"
check "IXFR that does not apply: its records are not served" "" \
	"$(dig @127.0.0.1 -p $PORT +short no-such-record.example.com A; dig @127.0.0.1 -p $PORT +short added.example.com A)"
SERVED=2

# --- the positive controls: 99 unsigned in a row and a right ZONEMD are fine ---
mark
mode unsigned99 3
wait_serial 3 8
check "99 unsigned messages in a row: accepted (serial 3)" 3 "$(serial)"
check_match "99 unsigned: logged" "serial 2 -> 3, [0-9]+ records in 101 messages" "$(first_since 'serial 2 -> 3')"
mark
mode zonemd-good 4
wait_serial 4 8
check "right ZONEMD: accepted (serial 4)" 4 "$(serial)"
check_match "right ZONEMD: verified" "ZONEMD of serial 4 verified" "$(first_since ZONEMD)"
SERVED=4
bad "zonemd-bad 5" "wrong ZONEMD after a right one" \
	"IXFR \(AXFR-style\) from $P rejected: ZONEMD mismatch.*; still serving serial 4" "$X zonemd-bad, serial 5 "

# --- NOTIFY: an unknown key, a wrong secret, no key, an address that is no primary ---
mark
mode good 4
wait_since "up to date at serial 4" 5
notify() { dig @127.0.0.1 -p $PORT +opcode=notify +norec +time=2 +tries=1 "$@" example.com SOA 2>&1; }
n0=$(grep -c 'refresh (NOTIFY)' "$DLOG")
mark
out=$(notify -y "hmac-sha256:other-key:$OTHER")
check "NOTIFY with an unknown key: NOTAUTH" NOTAUTH "$(rcode_of "$out")"
re='NOTIFY for example\.com\. from 127\.0\.0\.1@[0-9]+ \(key other-key\.\): TSIG BADKEY.*, ignored'
wait_since "$re" 3
check_match "NOTIFY with an unknown key: logged" "$re" "$(since | grep 'other-key')"
out=$(notify -y "hmac-sha256:xfr-key:$OTHER")
check "NOTIFY with the key's name and a wrong secret: NOTAUTH" NOTAUTH "$(rcode_of "$out")"
re='NOTIFY for example\.com\. from 127\.0\.0\.1@[0-9]+ \(key xfr-key\.\): TSIG BADSIG.*, ignored'
wait_since "$re" 3
check_match "NOTIFY with a wrong secret: logged" "$re" "$(since | grep 'BADSIG')"
out=$(notify)
check "unsigned NOTIFY from the primary's address: REFUSED" REFUSED "$(rcode_of "$out")"
re='NOTIFY for example\.com\. from 127\.0\.0\.1@[0-9]+ \(unsigned\): not allowed by notify-allow, REFUSED'
wait_since "$re" 3
check_match "unsigned NOTIFY: logged" "$re" "$(since | grep 'unsigned)')"
out=$(notify -b 127.0.0.2 -y "hmac-sha256:xfr-key:$SECRET")
check "NOTIFY with the key from 127.0.0.2 (no primary): REFUSED" REFUSED "$(rcode_of "$out")"
re='NOTIFY for example\.com\. from 127\.0\.0\.2@[0-9]+ \(key xfr-key\.\): not allowed by notify-allow, REFUSED'
wait_since "$re" 3
check_match "NOTIFY from 127.0.0.2: logged" "$re" "$(since | grep '127\.0\.0\.2')"
sleep "$SLOW"
check "refused NOTIFYs: no refresh (NOTIFY) followed" "$n0" "$(grep -c 'refresh (NOTIFY)' "$DLOG")"
out=$(notify -y "hmac-sha256:xfr-key:$SECRET")
check "NOTIFY with the key from the primary: NOERROR (control)" NOERROR "$(rcode_of "$out")"
wait_since "refresh \(NOTIFY\)" 3
check "a correct NOTIFY does trigger a refresh (control)" $((n0 + 1)) "$(grep -c 'refresh (NOTIFY)' "$DLOG")"
check "serial 4 still served at the end" 4 "$(serial)"
check "no sanitizer report in the daemon log" 0 "$(grep -cE 'LeakSanitizer|AddressSanitizer|runtime error' "$DLOG")"

# --- a crash: the journal written through all that replays to serial 4 ---
mode good 4
kill -KILL "$DPID"
wait "$DPID" 2>/dev/null
DPID=""
start_daemon -c "$T/conf.yaml"
wait_ready 127.0.0.1 $PORT || finish
check_match "after SIGKILL: serial 4 from the first snapshot and the journal" \
	"zone example\.com\.: serving serial 4 from disk \(snapshot serial 1 \+ 3 journal changesets\)" "$(grep 'from disk' "$DLOG")"
check "after SIGKILL: serial 4 served" 4 "$(serial)"
check "after SIGKILL: its data" "198.51.100.1" "$(www)"
check_match "after SIGKILL: the ZONEMD of serial 4 is served" "^4 1 1 [0-9A-F ]+$" "$(dig @127.0.0.1 -p $PORT +short example.com TYPE63 | head -n1)"
stop_daemon
kill -TERM "$FAKE_PID"
wait "$FAKE_PID"
check "fake primary: exit code after SIGTERM" 0 "$?"
FAKE_PID=""
check "fake primary: sanitizer reports in its log" 0 "$(grep -cE 'LeakSanitizer|AddressSanitizer|runtime error' "$FLOG")"
finish
