#!/usr/bin/env bash
# The re-sign timer (signature timing policy): a signed primary renews its
# signatures before they expire, on its own, with a new serial each time.
# Tiny durations so the whole cycle fits in about 75 s: dnssec-validity 60 s,
# dnssec-refresh 40 s, dnssec-jitter 5 s, and a zone whose SOA expire (20)
# plus largest TTL (10) is below the refresh, so the refresh stands.
#  1. example.com. is signed at start-up; expirations are spread by the
#     jitter (several distinct values, all within [now+55, now+60]);
#     flamectl zone-status shows the earliest expiry and the re-sign time
#     (that expiry - 40 s);
#  2. before the first signatures reach 40 s of validity left the primary
#     re-signs by itself ("re-signed N signatures before expiry, serial
#     A -> B"), committed like an edit: the flame secondary gets every new
#     serial by NOTIFY + IXFR, each IXFR a handful of records (not the zone);
#  3. a file edit with the serial raised as usual (1 -> 2) is still taken
#     under serial policy keep after the re-signs moved the served serial;
#  4. past the first validity (65 s after start-up) the AXFR from the
#     secondary and from the primary pass ldns-verify-zone (at that time)
#     and dnssec-verify, and no signature of the first signing is left;
#  5. example.net. (SOA expire a week) gets its refresh raised to expire +
#     largest TTL and its validity by as much (the re-sign interval stays
#     20 s), with one warning however often it is signed: every signature
#     it serves has more than a week left.
# Ports 15438-15439.
source "$(dirname "$0")/lib/common.bash"
PORT=15438
SPORT=15439
SPID=""
trap '[ -n "$SPID" ] && kill -KILL "$SPID" 2>/dev/null; cleanup' EXIT
for bin in ldns-verify-zone dnssec-verify kdig; do
	command -v "$bin" >/dev/null || { echo "FAIL $bin missing (scripts/deps.sh installs it)"; exit 1; }
done
mkdir -p "$T/zones" "$T/st" "$T/s/st" "$T/s/zones"
zone() { # zone SERIAL [EXTRA]: example.com. with 30 hosts
	{
		printf '$ORIGIN example.com.\n$TTL 10\n@ IN SOA ns1 hostmaster %s 5 2 20 10\n@ NS ns1\n@ MX 10 mail\n' "$1"
		printf 'ns1 A 192.0.2.1\nmail A 192.0.2.25\n*.wild TXT "w"\nsub NS ns.sub\nns.sub A 192.0.2.53\n'
		for i in $(seq 1 30); do echo "h$i A 198.51.100.$i"; done
		[ -n "${2:-}" ] && echo "$2"
	} >"$T/zones/example.com.zone.tmp"
	mv "$T/zones/example.com.zone.tmp" "$T/zones/example.com.zone"
}
zone 1
printf '$ORIGIN example.net.\n$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 900 604800 300\n@ NS ns1\nns1 A 192.0.2.1\n' >"$T/zones/example.net.zone"
cat >"$T/p.yaml" <<Y
server: { listen: [ "127.0.0.1@$PORT" ], workers: 1 }
log: { level: info }
zones: { directory: $T/zones, storage: $T/st }
keys: { dnssec-directory: $T/dnssec }
transfer: { allow: [ "127.0.0.1" ] }
control: { socket: $T/ctl.sock }
notify: { timeout-ms: 100, retries: 3 }
zone:
  - { domain: example.com, notify: [ "127.0.0.1@$SPORT" ],
      dnssec-signing: true, dnssec-validity: 60, dnssec-refresh: 40s, dnssec-jitter: 5 }
  - { domain: example.net, dnssec-signing: true, dnssec-validity: 1m, dnssec-refresh: 40 }
Y
T0=$(date +%s)
start_daemon -c "$T/p.yaml"
wait_ready 127.0.0.1 $PORT || finish

soa() { dig @127.0.0.1 -p "$1" +norec +time=1 +tries=1 +short "$2" SOA 2>/dev/null | awk 'NF >= 7 { print $3; exit }'; }
wait_serial() { local i; for i in $(seq 1 $(($4 * 20 * SLOW))); do [ "$(soa "$1" "$2")" == "$3" ] && return 0; sleep 0.05; done; return 1; }
axfr() { kdig @127.0.0.1 -p "$1" +time=5 +retry=0 "$2" AXFR 2>/dev/null | grep -v '^;' | grep .; }
# expirations ZONEFILE: the RRSIG expiration fields as seconds since the epoch, one a line
expirations() { awk '$4 == "RRSIG" { print $9 }' "$1" | while read -r e; do date -u -d "${e:0:8} ${e:8:2}:${e:10:2}:${e:12:2}" +%s; done; }

# 1. the first signing
axfr $PORT example.com >"$T/first.zone"
expirations "$T/first.zone" | sort -n >"$T/first.exp"
S0=$(soa $PORT example.com)
check "start-up: example.com. signed at the file's serial" 1 "$S0"
check_match "jitter: several distinct expiration times" "^([3-9]|[1-9][0-9]+)$" "$(uniq "$T/first.exp" | wc -l)"
lo=$(head -n1 "$T/first.exp") hi=$(tail -n1 "$T/first.exp")
check "jitter: expirations within [start + 55, start + 60 + 2]" "yes" \
	"$([ "$lo" -ge $((T0 + 55 - 1)) ] && [ "$hi" -le $((T0 + 62)) ] && echo yes || echo "no ($((lo - T0)) .. $((hi - T0)))")"

zs=$("$PWD/$BUILD/flamectl" -s "$T/ctl.sock" --json zone-status example.com 2>&1)
echo "     $zs"
exp_at=$(date -u -d "$(sed -n 's/.*"signatures-expire":"\([^"]*\)".*/\1/p' <<<"$zs")" +%s 2>/dev/null)
rs_at=$(date -u -d "$(sed -n 's/.*"next-resign":"\([^"]*\)".*/\1/p' <<<"$zs")" +%s 2>/dev/null)
check "zone-status: signatures-expire is the earliest expiration" "$lo" "${exp_at:-none}"
check "zone-status: next-resign is 40 s before it" "$((lo - 40))" "${rs_at:-none}"

# the flame secondary
cat >"$T/s.yaml" <<Y
server: { listen: [ "127.0.0.1@$SPORT" ], workers: 1 }
log: { level: info }
zones: { directory: $T/s/zones, storage: $T/s/st, role: secondary }
secondary: { primaries: [ "127.0.0.1@$PORT" ] }
transfer: { allow: [ "127.0.0.1" ] }
zone: [ { domain: example.com } ]
Y
"$DAEMON" -c "$T/s.yaml" >"$T/s.log" 2>&1 &
SPID=$!
wait_serial $SPORT example.com "$S0" 10
check "secondary: has serial $S0" "$S0" "$(soa $SPORT example.com)"

# 2. the first re-sign, with no file change: due at the earliest expiry - 40 s
for i in $(seq 1 $((40 * SLOW))); do
	grep -q 'zone example.com.: re-signed' "$DLOG" && break
	sleep 1
done
line=$(grep -m1 'zone example.com.: re-signed' "$DLOG")
check_match "re-sign: logged at notice" "re-signed [0-9]+ signatures before expiry, serial $S0 -> $((S0 + 1))" "$line"
t1=$(($(date +%s) - T0))
check "re-sign: happened before the first expiry - refresh + a few seconds (${t1}s after start)" yes \
	"$([ $((T0 + t1)) -le $((lo - 40 + 4)) ] && echo yes || echo no)"
wait_serial $SPORT example.com $((S0 + 1)) 10
check "secondary: has the re-signed serial" $((S0 + 1)) "$(soa $SPORT example.com)"
ixfr_n=$(kdig @127.0.0.1 -p $PORT +time=2 +retry=0 example.com IXFR="$S0" 2>/dev/null | grep -v '^;' | grep -c .)
axfr_n=$(axfr $PORT example.com | wc -l)
echo "     IXFR $S0 -> $((S0 + 1)): $ixfr_n records; AXFR: $axfr_n records"
check "re-sign: the IXFR is a part of the zone (< half of the AXFR)" yes "$([ "$ixfr_n" -lt $((axfr_n / 2)) ] && echo yes || echo no)"

# 3. an ordinary edit after the re-signs (keep: the file's serial 1 -> 2)
S1=$(soa $PORT example.com)
zone 2 "new A 203.0.113.7"
for i in $(seq 1 $((50 * SLOW))); do
	[ "$(dig @127.0.0.1 -p $PORT +short new.example.com A)" == "203.0.113.7" ] && break
	sleep 0.1
done
check "edit after re-signing: served" "203.0.113.7" "$(dig @127.0.0.1 -p $PORT +short new.example.com A)"
S2=$(soa $PORT example.com)
check "edit after re-signing: a serial above the re-signed one ($S1 -> $S2)" yes "$([ "$S2" -gt "$S1" ] && echo yes || echo no)"
check "edit after re-signing: nothing refused" 0 "$(grep -c 'refused' "$DLOG")"

# 4. past the first validity
now=$(date +%s)
[ "$now" -lt $((T0 + 66)) ] && sleep $((T0 + 66 - now))
S=$(soa $PORT example.com)
wait_serial $SPORT example.com "$S" 10
axfr $SPORT example.com >"$T/late.zone"
check "after $(($(date +%s) - T0)) s: the secondary's AXFR passes ldns-verify-zone" 0 \
	"$(ldns-verify-zone "$T/late.zone" >"$T/v.out" 2>&1; echo $?)"
[ -n "${SHOW_LOG:-}" ] && cat "$T/v.out"
check "... and dnssec-verify" 0 "$(dnssec-verify -z -o example.com "$T/late.zone" >"$T/v.out" 2>&1; echo $?)"
axfr $PORT example.com >"$T/late-p.zone"
check "the primary's AXFR passes ldns-verify-zone" 0 "$(ldns-verify-zone "$T/late-p.zone" >/dev/null 2>&1; echo $?)"
check "no signature of the first signing is left" 0 \
	"$(expirations "$T/late.zone" | awk -v hi="$hi" '$1 <= hi' | wc -l)"
nres=$(grep -c 'zone example.com.: re-signed' "$DLOG")
nixfr=$(grep -c 'zone example.com.: IXFR from 127.0.0.1@'$PORT "$T/s.log")
naxfr=$(grep -c 'zone example.com.: AXFR from' "$T/s.log")
maxrec=$(sed -n 's/.*zone example.com.: IXFR from .*, \([0-9]*\) records in.*/\1/p' "$T/s.log" | sort -n | tail -n1)
echo "     $nres re-signs, the secondary took $nixfr IXFRs (largest: $maxrec records) and $naxfr AXFR"
check_match "the secondary followed by IXFR only (one AXFR, the first)" "^1$" "$naxfr"
check "every re-sign and the edit reached the secondary by IXFR" yes "$([ "$nixfr" -ge "$nres" ] && echo yes || echo no)"

# 5. example.net.: the refresh raised, said once
check "example.net.: one warning about the raised refresh" 1 \
	"$(grep -c 'zone example.net.: dnssec-refresh 40 s is less than SOA expire + the largest TTL (605100 s).*refresh raised to 605100 s, dnssec-validity to 605120 s' "$DLOG")"
axfr $PORT example.net >"$T/net.zone"
check "example.net.: every signature has more than a week left" 0 \
	"$(expirations "$T/net.zone" | awk -v t="$(date +%s)" '$1 <= t + 604800' | wc -l)"
kill -TERM "$SPID"
wait "$SPID"
check "secondary: exit code after SIGTERM" 0 "$?"
SPID=""
check "secondary: sanitizer reports" 0 "$(grep -cE 'LeakSanitizer|AddressSanitizer|runtime error' "$T/s.log")"
stop_daemon
echo "     wall time: $(($(date +%s) - T0)) s"
finish
