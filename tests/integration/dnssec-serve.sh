#!/usr/bin/env bash
# The signing stage in the running primary (issue 8, second step): zones
# with dnssec-signing are served, transferred and journaled signed.
#  1. keys are made at the first start in keys.dnssec-directory/<zone>/
#     (BIND format, private key 0600) and reused at the next;
#  2. AXFR from the primary passes ldns-verify-zone, dnssec-verify and
#     kzonecheck, for each algorithm (ECDSAP256SHA256, ED25519, RSASHA256)
#     with NSEC and with NSEC3: six zones;
#  3. 100 random edits of each of the six files: every change is a small
#     IXFR (the changed records, their signatures, the SOA and the chain
#     around them, not the zone), and the AXFRs after them still pass the
#     three verifiers;
#  3b. under serial-policy increment a change raises a signed zone's serial
#     by one, and then an unchanged rewrite of its file publishes nothing;
#  4. a flame secondary takes the signed zone by IXFR and serves the same AXFR;
#  5. a restart signs anew above the journal's serial, still verified;
#  6. an unknown dnssec-algorithm stops the start-up with a clear line.
# Ports 15430-15431.
source "$(dirname "$0")/lib/common.bash"
PORT=15430
SPORT=15431
SPID=""
trap '[ -n "$SPID" ] && kill -KILL "$SPID" 2>/dev/null; cleanup' EXIT
for bin in ldns-verify-zone dnssec-verify kzonecheck kdig; do
	command -v "$bin" >/dev/null || { echo "FAIL $bin missing (scripts/deps.sh installs it)"; exit 1; }
done
mkdir -p "$T/zones" "$T/st" "$T/s/st" "$T/s/zones"
zone() { # zone ORIGIN SERIAL: the base zone plus the edited hosts of $T/ORIGIN.hosts
	{
		printf '$ORIGIN %s.\n$TTL 300\n@ IN SOA ns1 hostmaster %s 3600 900 604800 300\n@ NS ns1\n@ MX 10 mail\n' "$1" "$2"
		printf 'ns1 A 192.0.2.1\nmail A 192.0.2.25\n*.wild TXT "w"\na.b.ent A 192.0.2.9\n'
		printf 'sub NS ns.sub\nns.sub A 192.0.2.53\n'
		cat "$T/$1.hosts"
	} >"$T/zones/$1.zone.tmp"
	mv "$T/zones/$1.zone.tmp" "$T/zones/$1.zone"
}
# Each algorithm with NSEC and with NSEC3: example.com. ECDSAP256SHA256 NSEC,
# example.net. ED25519 NSEC3, example.org. RSASHA256 NSEC, and the other three.
ZONES="example.com example.net example.org nsec3-ecdsa.test nsec-ed25519.test nsec3-rsa.test"
for z in $ZONES; do
	for i in $(seq 1 30); do echo "h$i A 198.51.100.$i"; done >"$T/$z.hosts"
	zone "$z" 1
done
cat >"$T/p.yaml" <<Y
server: { listen: [ "127.0.0.1@$PORT" ], workers: 1 }
log: { level: info }
zones: { directory: $T/zones, storage: $T/st }
keys: { dnssec-directory: $T/dnssec }
transfer: { allow: [ "127.0.0.1" ] }
notify: { targets: [ "127.0.0.1@$SPORT" ], timeout-ms: 100, retries: 3 }
zone:
  - { domain: example.com, dnssec-signing: true }
  - { domain: example.net, dnssec-signing: true, dnssec-algorithm: ED25519, dnssec-nsec3: true }
  - { domain: example.org, dnssec-signing: true, dnssec-algorithm: RSASHA256 }
  - { domain: nsec3-ecdsa.test, dnssec-signing: true, dnssec-nsec3: true }
  - { domain: nsec-ed25519.test, dnssec-signing: true, dnssec-algorithm: ED25519 }
  - { domain: nsec3-rsa.test, dnssec-signing: true, dnssec-algorithm: RSASHA256, dnssec-nsec3: true }
  - { domain: inc.test, dnssec-signing: true, serial-policy: increment }
Y
for i in $(seq 1 3); do echo "h$i A 198.51.100.$i"; done >"$T/inc.test.hosts"
zone inc.test 1
start_daemon -c "$T/p.yaml"
wait_ready 127.0.0.1 $PORT || finish

soa() { dig @127.0.0.1 -p "$1" +norec +time=1 +tries=1 +short "$2" SOA 2>/dev/null | awk 'NF >= 7 { print $3; exit }'; }
wait_serial() { local i; for i in $(seq 1 $(($4 * 20 * SLOW))); do [ "$(soa "$1" "$2")" == "$3" ] && return 0; sleep 0.05; done; return 1; }
axfr() { kdig @127.0.0.1 -p "$1" +time=5 +retry=0 "$2" AXFR 2>/dev/null | grep -v '^;' | grep .; }
verify() { # NAME PORT ZONE
	axfr "$2" "$3" >"$T/axfr.zone"
	check_match "$1: AXFR of $3 is signed" "[0-9]+" "$(grep -cE '\sRRSIG\s' "$T/axfr.zone" | grep -v '^0$')"
	check "$1: $3 passes ldns-verify-zone" 0 "$(ldns-verify-zone "$T/axfr.zone" >"$T/v.out" 2>&1; echo $?)"
	check "$1: $3 passes dnssec-verify" 0 "$(dnssec-verify -z -o "$3" "$T/axfr.zone" >"$T/v.out" 2>&1; echo $?)"
	check "$1: $3 passes kzonecheck --dnssec on" 0 "$(kzonecheck --dnssec on -o "$3" "$T/axfr.zone" >"$T/v.out" 2>&1; echo $?)"
}

# 1. keys
for z in example.com example.net; do
	f=$(ls "$T/dnssec/$z"/K$z.+*.private 2>/dev/null | head -n1)
	check_match "$z: a key was made in the DNSSEC key directory" "K$z\.\+0(13|15)\+[0-9]{5}\.private$" "$f"
	check "$z: its private key is 0600" 600 "$(stat -c %a "$f" 2>/dev/null)"
done
check_match "key generation logged" "new DNSSEC key \(CSK, ED25519, tag [0-9]+\)" "$(grep -m1 'example.net: new DNSSEC key' "$DLOG")"
# 2. signed AXFRs
for z in $ZONES; do verify start $PORT $z; done
for z in example.net nsec3-ecdsa.test nsec3-rsa.test; do
	check "$z is NSEC3 (RFC 9276 parameters)" 1 "$(axfr $PORT $z | grep -cE 'NSEC3PARAM\s+1 0 0 -')"
done
check "example.org. is RSASHA256 with NSEC" "8 yes" "$(axfr $PORT example.org | awk '$4 == "DNSKEY" { a = $7 } $4 == "NSEC" { n = "yes" } END { print a, n }')"

# 3. 100 edits of each zone, all six edited each round (the watcher takes them together)
maxixfr=0 bad=0
RANDOM=7
for k in $(seq 1 100); do
	new=$((k + 1))
	for z in $ZONES; do
		case $((RANDOM % 3)) in
		0) echo "n$k A 203.0.113.$((k % 250))" >>"$T/$z.hosts" ;;
		1) sed -i "/^h$((RANDOM % 30 + 1)) /d" "$T/$z.hosts" ;;
		2) sed -i "s/^h$((RANDOM % 30 + 1)) A .*/h$((RANDOM % 30 + 1)) A 192.0.2.$((RANDOM % 250))/" "$T/$z.hosts" ;;
		esac
		zone $z "$new"
	done
	for z in $ZONES; do
		if ! wait_serial $PORT $z "$new" 5; then
			bad=$((bad + 1))
			continue
		fi
		n=$(kdig @127.0.0.1 -p $PORT +time=2 +retry=0 "$z" IXFR="$k" 2>/dev/null | grep -v '^;' | grep -c .)
		[ "$n" -gt "$maxixfr" ] && maxixfr=$n
	done
done
check "100 edits of 6 zones: each one served with its new serial" 0 "$bad"
check_match "100 edits of 6 zones: the largest IXFR is a handful of records (not the zone)" "^([1-9]|[1-3][0-9])$" "$maxixfr"
echo "largest IXFR over the 600 edits: $maxixfr records"
for z in $ZONES; do verify "after 100 edits" $PORT $z; done

# 3b. serial-policy increment: the served serial is not the file's; a change
#     raises it by one, then a file rewritten unchanged keeps it
s0=$(soa $PORT inc.test)
echo "h9 A 198.51.100.9" >>"$T/inc.test.hosts"
zone inc.test 1
wait_serial $PORT inc.test $((s0 + 1)) 5
check "increment: a change raises it by one" "$((s0 + 1))" "$(soa $PORT inc.test)"
cp "$T/zones/inc.test.zone" "$T/inc.tmp" && mv "$T/inc.tmp" "$T/zones/inc.test.zone"
for i in $(seq 1 40); do grep -q 'zone inc.test. unchanged' "$DLOG" && break; sleep 0.05; done
sleep 0.2
check_match "increment: an unchanged rewrite keeps serial $((s0 + 1))" "^$((s0 + 1)) [1-9]" \
	"$(soa $PORT inc.test) $(grep -c 'zone inc.test. unchanged' "$DLOG")"

# 4. a secondary of the signed zones
cat >"$T/s.yaml" <<Y
server: { listen: [ "127.0.0.1@$SPORT" ], workers: 1 }
log: { level: info }
zones: { directory: $T/s/zones, storage: $T/s/st, role: secondary }
secondary: { primaries: [ "127.0.0.1@$PORT" ] }
transfer: { allow: [ "127.0.0.1" ] }
zone: [ { domain: example.com }, { domain: example.net } ]
Y
"$DAEMON" -c "$T/s.yaml" >"$T/s.log" 2>&1 &
SPID=$!
wait_serial $SPORT example.com "$(soa $PORT example.com)" 10
check "secondary: the signed example.com. AXFR equals the primary's" "$(axfr $PORT example.com | sort)" "$(axfr $SPORT example.com | sort)"
echo "zz1 A 192.0.2.200" >>"$T/example.com.hosts"
zone example.com 500
wait_serial $SPORT example.com 500 10
check "secondary: the edit arrived by IXFR" 1 "$(grep -c 'zone example.com.: IXFR from 127.0.0.1@'$PORT': serial [0-9]* -> 500' "$T/s.log")"
verify secondary $SPORT example.com
kill -TERM "$SPID"
wait "$SPID"
SPID=""

# 5. restart: the same key, signed anew above the journal
keys_before=$(ls "$T/dnssec/example.com" | sort | tr '\n' ' ')
s_before=$(soa $PORT example.com)
stop_daemon
start_daemon -c "$T/p.yaml"
wait_ready 127.0.0.1 $PORT || finish
check "restart: the same key files" "$keys_before" "$(ls "$T/dnssec/example.com" | sort | tr '\n' ' ')"
check_match "restart: a serial above the last one" "^[0-9]+$" "$(s=$(soa $PORT example.com); [ "$s" -gt "$s_before" ] && echo "$s")"
verify restart $PORT example.com
stop_daemon

# 6. a bad algorithm
sed -i 's/dnssec-algorithm: ED25519/dnssec-algorithm: RSAMD5/' "$T/p.yaml"
check_match "unknown dnssec-algorithm: start-up refused" "dnssec-algorithm 'RSAMD5' is not one of" \
	"$("$DAEMON" -c "$T/p.yaml" 2>&1 | grep -m1 'dnssec-algorithm')"
finish
