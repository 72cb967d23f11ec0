#!/usr/bin/env bash
# ZONEMD (RFC 8976) on the primary's published versions, signed or not,
# and CDS/CDNSKEY (RFC 7344) on signed ones:
#  1. offline, the signer (tests/tools/signzone --zonemd) makes zones that
#     ldns-verify-zone -ZZ (ZONEMD required, DNSSEC valid), dnssec-verify
#     and kzonecheck accept, NSEC and NSEC3, SHA-384 and SHA-512; a glue
#     address changed afterwards (unsigned data: only ZONEMD can tell) is
#     refused by ldns-verify-zone -Z; with --cds the zones pass the same
#     verifiers (kzonecheck checks CDS/CDNSKEY against the DNSKEYs);
#  2. the running primary: zone entries with zonemd: example.com. signed
#     (NSEC), example.net. signed (NSEC3), example.org. unsigned; each AXFR
#     has a ZONEMD that ldns-verify-zone accepts (-ZZ signed, -Z unsigned);
#     example.com. (dnssec-cds) has a CDS equal to dnssec-dsfromkey -2 of
#     its key file and a CDNSKEY equal to its DNSKEY; the signed versions
#     were validated before publication (dnssec-validate, on by default);
#  3. a flame secondary takes them by AXFR, then an edit of each by IXFR,
#     and logs the ZONEMD of every applied version as verified;
#  4. an unchanged file rewritten is still "unchanged" (the ZONEMD the
#     primary adds is not content), signed and unsigned; after a restart
#     the unsigned zone keeps its serial and IXFR history;
#  5. without zones.storage the unsigned zone has its ZONEMD from the start;
#  6. zonemd on a secondary zone entry stops the start-up with a clear line.
# Ports 15432-15433.
source "$(dirname "$0")/lib/common.bash"
PORT=15432
SPORT=15433
SPID=""
trap '[ -n "$SPID" ] && kill -KILL "$SPID" 2>/dev/null; cleanup' EXIT
for bin in ldns-verify-zone dnssec-verify kzonecheck kdig; do
	command -v "$bin" >/dev/null || { echo "FAIL $bin missing (scripts/deps.sh installs it)"; exit 1; }
done
SZ="$PWD/$BUILD/tools/signzone"
mkdir -p "$T/zones" "$T/st" "$T/s/st" "$T/s/zones" "$T/off"
zone() { # zone ORIGIN SERIAL [EXTRA LINE]
	{
		printf '$ORIGIN %s.\n$TTL 300\n@ IN SOA ns1 hostmaster %s 3600 900 604800 300\n@ NS ns1\n@ MX 10 mail\n' "$1" "$2"
		printf 'ns1 A 192.0.2.1\nmail A 192.0.2.25\n*.wild TXT "w"\na.b.ent A 192.0.2.9\n'
		printf 'sub NS ns.sub\nns.sub A 192.0.2.53\n'
		for i in $(seq 1 20); do echo "h$i A 198.51.100.$i"; done
		[ -n "${3:-}" ] && echo "$3"
	} >"$T/zones/$1.zone.tmp"
	mv "$T/zones/$1.zone.tmp" "$T/zones/$1.zone"
}

# 1. offline
zone example.com 1
cp "$T/zones/example.com.zone" "$T/off/u.zone"
n=0
for args in "--zonemd" "--zonemd=512 --nsec3" "--zonemd --ksk -a ED25519 --cds" "--zonemd=512 --nsec3 --optout -a RSASHA256 --ksk --cds"; do
	n=$((n + 1))
	mkdir -p "$T/off/k$n"
	# shellcheck disable=SC2086
	"$SZ" -o example.com. -k "$T/off/k$n" $args "$T/off/u.zone" >"$T/off/s$n.zone" 2>/dev/null
	check "signzone $args: one apex ZONEMD" 1 "$(grep -cE '^example\.com\.\s+300\s+IN\s+ZONEMD\s+1 1 [12] ' "$T/off/s$n.zone")"
	check "signzone $args: ldns-verify-zone -ZZ" 0 "$(ldns-verify-zone -ZZ "$T/off/s$n.zone" >"$T/v.out" 2>&1; echo $?)"
	check "signzone $args: dnssec-verify" 0 "$(dnssec-verify -z -o example.com "$T/off/s$n.zone" >"$T/v.out" 2>&1; echo $?)"
	check "signzone $args: kzonecheck --dnssec on" 0 "$(kzonecheck --dnssec on -o example.com "$T/off/s$n.zone" >"$T/v.out" 2>&1; echo $?)"
done
sed 's/192\.0\.2\.53/192.0.2.54/' "$T/off/s1.zone" >"$T/off/bad.zone"
check_match "a glue address changed after signing: ldns-verify-zone -Z refuses the ZONEMD" "No ZONEMD matching the zone data" \
	"$(ldns-verify-zone -Z "$T/off/bad.zone" 2>&1)"

# 2. the primary
for z in example.com example.net example.org; do zone $z 1; done
cat >"$T/p.yaml" <<Y
server: { listen: [ "127.0.0.1@$PORT" ], workers: 1 }
log: { level: info }
zones: { directory: $T/zones, storage: $T/st }
keys: { dnssec-directory: $T/dnssec }
transfer: { allow: [ "127.0.0.1" ] }
notify: { targets: [ "127.0.0.1@$SPORT" ], timeout-ms: 100, retries: 3 }
zone:
  - { domain: example.com, dnssec-signing: true, zonemd: true, dnssec-cds: true }
  - { domain: example.net, dnssec-signing: true, dnssec-nsec3: true, zonemd: true }
  - { domain: example.org, zonemd: true }
Y
start_daemon -c "$T/p.yaml"
wait_ready 127.0.0.1 $PORT || finish

soa() { dig @127.0.0.1 -p "$1" +norec +time=1 +tries=1 +short "$2" SOA 2>/dev/null | awk 'NF >= 7 { print $3; exit }'; }
wait_serial() { local i; for i in $(seq 1 $(($4 * 20 * SLOW))); do [ "$(soa "$1" "$2")" == "$3" ] && return 0; sleep 0.05; done; return 1; }
axfr() { kdig @127.0.0.1 -p "$1" +time=5 +retry=0 "$2" AXFR 2>/dev/null | grep -v '^;' | grep .; }
verify() { # NAME PORT ZONE FLAGS
	axfr "$2" "$3" | awk '!($4 == "SOA" && seen++)' >"$T/axfr.zone" # AXFR ends with the SOA again
	check "$1: $3 has one apex ZONEMD with the SOA serial" "$(soa "$2" "$3")" \
		"$(awk -v o="$3." '$1 == o && $4 == "ZONEMD" { print $5 }' "$T/axfr.zone")"
	check "$1: $3 passes ldns-verify-zone $4" 0 "$(ldns-verify-zone $4 "$T/axfr.zone" >"$T/v.out" 2>&1; echo $?)"
	[ "$4" == "-ZZ" ] && check "$1: $3 passes kzonecheck --dnssec on" 0 \
		"$(kzonecheck --dnssec on -o "$3" "$T/axfr.zone" >"$T/v.out" 2>&1; echo $?)"
	return 0
}
check "example.com.: signed and validated before it was published" 1 \
	"$(grep -c 'zone example.com.: serial 1, signed and validated' "$DLOG")"
verify primary $PORT example.com -ZZ
verify primary $PORT example.net -ZZ
verify primary $PORT example.org -Z
check "example.org. stays unsigned" 0 "$(axfr $PORT example.org | grep -cE '\sRRSIG\s')"
check "the apex NSEC of example.com. lists ZONEMD" 1 "$(axfr $PORT example.com | grep -cE '^example\.com\..*\sNSEC\s.*ZONEMD')"
key=$(ls "$T/dnssec/example.com"/Kexample.com.+013+*.key)
check "example.com.: the CDS is dnssec-dsfromkey -2 of its key" \
	"$(dnssec-dsfromkey -2 "$key" | awk '{ print toupper($NF) }')" \
	"$(axfr $PORT example.com | awk '$4 == "CDS" { print toupper($NF) }')"
check "example.com.: the CDNSKEY is its DNSKEY" "$(axfr $PORT example.com | awk '$4 == "DNSKEY" { $1 = $2 = $3 = $4 = ""; print }')" \
	"$(axfr $PORT example.com | awk '$4 == "CDNSKEY" { $1 = $2 = $3 = $4 = ""; print }')"
check "example.net.: no CDS without dnssec-cds" 0 "$(axfr $PORT example.net | grep -cE '\sCDS\s')"

# 3. a secondary: AXFR, then each zone edited and taken by IXFR
cat >"$T/s.yaml" <<Y
server: { listen: [ "127.0.0.1@$SPORT" ], workers: 1 }
log: { level: info }
zones: { directory: $T/s/zones, storage: $T/s/st, role: secondary }
secondary: { primaries: [ "127.0.0.1@$PORT" ] }
transfer: { allow: [ "127.0.0.1" ] }
zone: [ { domain: example.com }, { domain: example.net }, { domain: example.org } ]
Y
"$DAEMON" -c "$T/s.yaml" >"$T/s.log" 2>&1 &
SPID=$!
for z in example.com example.net example.org; do
	wait_serial $SPORT $z 1 10
	check "secondary: $z. by AXFR, its ZONEMD verified" 1 "$(grep -c "zone $z.: ZONEMD of serial 1 verified" "$T/s.log")"
	zone $z 2 "zz1 A 192.0.2.200"
	wait_serial $PORT $z 2 10
	wait_serial $SPORT $z 2 10
	check "secondary: the edit of $z. arrived by IXFR" 1 "$(grep -c "zone $z.: IXFR from 127.0.0.1@$PORT: serial 1 -> 2" "$T/s.log")"
	check "secondary: the ZONEMD of $z. serial 2 verified" 1 "$(grep -c "zone $z.: ZONEMD of serial 2 verified" "$T/s.log")"
	check "secondary: $z. AXFR equals the primary's" "$(axfr $PORT $z | sort)" "$(axfr $SPORT $z | sort)"
done
verify "after IXFR" $SPORT example.com -ZZ
verify "after IXFR" $SPORT example.org -Z
check "secondary: no ZONEMD refused" 0 "$(grep -ciE 'ZONEMD (mismatch|present but)' "$T/s.log")"

# 4. the same files written again: unchanged
for z in example.com example.org; do
	zone $z 2 "zz1 A 192.0.2.200"
	for i in $(seq 1 $((40 * SLOW))); do grep -q "zone $z. unchanged (serial 2)" "$DLOG" && break; sleep 0.05; done
	check "$z.: the same file again is unchanged" 1 "$(grep -c "zone $z. unchanged (serial 2)" "$DLOG")"
done
kill -TERM "$SPID"
wait "$SPID"
check "secondary: exit code after SIGTERM" 0 "$?"
SPID=""
check "secondary: sanitizer reports in its log" 0 "$(grep -cE 'LeakSanitizer|AddressSanitizer|runtime error' "$T/s.log")"
# a restart: the unsigned zone keeps its serial and journal (its ZONEMD is not content), still verified
stop_daemon
start_daemon -c "$T/p.yaml"
wait_ready 127.0.0.1 $PORT || finish
check "restart: example.org. keeps serial 2" 2 "$(soa $PORT example.org)"
check_match "restart: example.org.'s IXFR history restored from the journal" "serial 2, IXFR history from serial 1 restored" \
	"$(grep -m1 'zone example.org.: serial' "$DLOG")"
verify restart $PORT example.org -Z
kdig @127.0.0.1 -p $PORT +time=2 +retry=0 example.org IXFR=1 >/dev/null 2>&1
check "restart: IXFR of example.org. from serial 1 is incremental" 1 \
	"$(grep -c 'IXFR of example.org. serial 2 to .* started (incremental)' "$DLOG")"
verify restart $PORT example.com -ZZ
stop_daemon

# 5. without zones.storage too: the unsigned zone has its ZONEMD from the start
cat >"$T/p2.yaml" <<Y
server: { listen: [ "127.0.0.1@$PORT" ], workers: 1 }
log: { level: info }
zones: { directory: $T/zones }
transfer: { allow: [ "127.0.0.1" ] }
zone: [ { domain: example.org, zonemd: true } ]
Y
start_daemon -c "$T/p2.yaml"
wait_ready 127.0.0.1 $PORT || finish
verify "no storage" $PORT example.org -Z
stop_daemon

# 6. zonemd on a secondary zone
cat >"$T/bad.yaml" <<Y
server: { listen: [ "127.0.0.1@$PORT" ] }
zones: { directory: $T/zones }
zone: [ { domain: example.com, role: secondary, primaries: [ "127.0.0.1@1" ], zonemd: true } ]
Y
check_match "zonemd on a secondary zone: start-up refused" "zone example.com: zonemd applies to primary zones" \
	"$("$DAEMON" -c "$T/bad.yaml" 2>&1 | head -n1)"
finish
