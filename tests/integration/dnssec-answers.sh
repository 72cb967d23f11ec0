#!/usr/bin/env bash
# DNSSEC answers of zones flame-dnsd signs itself (issue 8), validated by
# delv (bind9-dnsutils) with each zone's own key as the trust anchor:
#  1. three zones, one per algorithm and chain: example.com. ECDSAP256SHA256
#     NSEC, example.net. ED25519 NSEC3, example.org. RSASHA256 NSEC3 opt-out;
#     positive, NXDOMAIN (one and several labels down), NODATA, empty
#     non-terminal, wildcard, wildcard NODATA, CNAME, DNAME, MX with
#     additional addresses, DS at a secure delegation and its absence at an
#     insecure one: every answer "fully validated";
#  2. a referral carries the signed DS, or the NSEC/NSEC3 proof that there is
#     none, beside the unsigned NS (delv cannot follow a referral to a child
#     that is not served, so the records are checked with kdig);
#  3. an edit: the added name validates, the removed name is a validated
#     NXDOMAIN, on the primary and on a flame secondary fed by IXFR;
#  4. a damaged answer is caught: delv with another zone's key as trust
#     anchor refuses (the test can fail);
#  5. signing turned off and on again across restarts: each time a serial
#     above the last one served, and the secondary follows.
# Ports 15423-15424.
source "$(dirname "$0")/lib/common.bash"
PORT=15423
SPORT=15424
SPID=""
trap '[ -n "$SPID" ] && kill -KILL "$SPID" 2>/dev/null; cleanup' EXIT
for bin in delv kdig; do
	command -v "$bin" >/dev/null || { echo "FAIL $bin missing (scripts/deps.sh installs it)"; exit 1; }
done
ZONES="example.com example.net example.org"
mkdir -p "$T/zones" "$T/st" "$T/s/st" "$T/s/zones"
zone() { # zone ORIGIN SERIAL [extra line]
	{
		printf '$ORIGIN %s.\n$TTL 300\n@ IN SOA ns1 hostmaster %s 3600 900 604800 300\n' "$1" "$2"
		printf '@ NS ns1\n@ MX 10 mail\nns1 A 192.0.2.1\nmail A 192.0.2.25\nmail AAAA 2001:db8::25\n'
		printf 'www A 192.0.2.80\ncn CNAME www\n*.wild TXT "w"\na.b.ent A 192.0.2.9\ndn DNAME target.%s.\n' "$1"
		printf 'target A 192.0.2.77\nx.target A 192.0.2.78\n'
		printf 'insecure NS ns.insecure\nns.insecure A 192.0.2.53\n'
		printf 'secure NS ns.other.test.\nsecure DS 12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\n'
		[ -n "${3:-}" ] && printf '%s\n' "$3"
	} >"$T/zones/$1.zone.tmp"
	mv "$T/zones/$1.zone.tmp" "$T/zones/$1.zone"
}
for z in $ZONES; do zone "$z" 1; done
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
  - { domain: example.org, dnssec-signing: true, dnssec-algorithm: RSASHA256, dnssec-nsec3: true, dnssec-nsec3-optout: true }
Y
start_daemon -c "$T/p.yaml"
wait_ready 127.0.0.1 $PORT || finish

# The trust anchors: each zone's SEP key as served.
{
	echo "trust-anchors {"
	for z in $ZONES; do
		kdig @127.0.0.1 -p $PORT +time=2 +retry=0 +short "$z" DNSKEY | ta_lines "$z"
	done
	echo "};"
} >"$T/ta.conf"
check "a trust anchor for each zone" 3 "$(grep -c static-key "$T/ta.conf")"

V='; fully validated'
NX='resolution failed: ncache nxdomain ; negative response, fully validated'
ND='resolution failed: ncache nxrrset ; negative response, fully validated'
dv() { # PORT ZONE NAME TYPE [ANCHORS]
	delv -a "${5:-$T/ta.conf}" +root="$2" -p "$1" @127.0.0.1 "$3" "$4" 2>&1 | head -4 | tr '\n' ' '
}
expect() { # DESC PORT ZONE NAME TYPE REGEX
	check_match "$1: $4 $5" "$6" "$(dv "$2" "$3" "$4" "$5")"
}

# 1. every kind of answer, each zone
for z in $ZONES; do
	expect "$z" $PORT $z "$z" SOA "$V"
	expect "$z" $PORT $z "$z" DNSKEY "$V"
	expect "$z" $PORT $z "$z" MX "$V"
	expect "$z" $PORT $z "www.$z" A "$V"
	expect "$z (NODATA)" $PORT $z "www.$z" AAAA "$ND"
	expect "$z (NXDOMAIN)" $PORT $z "nope.$z" A "$NX"
	expect "$z (NXDOMAIN, 3 labels down)" $PORT $z "a.b.nope.$z" TXT "$NX"
	expect "$z (empty non-terminal)" $PORT $z "b.ent.$z" A "$ND"
	expect "$z (below an empty non-terminal)" $PORT $z "x.b.ent.$z" A "$NX"
	# Under opt-out the NSEC3 covering the next closer name has the opt-out
	# flag, which asserts nothing about insecure delegations it spans (RFC
	# 5155 §6), so validators take the wildcard answer as insecure, not bogus.
	W="$V"
	[ $z = example.org ] && W='; unsigned answer'
	expect "$z (wildcard)" $PORT $z "any.wild.$z" TXT "$W"
	expect "$z (wildcard, 2 labels)" $PORT $z "a.b.wild.$z" TXT "$W"
	expect "$z (wildcard NODATA)" $PORT $z "any.wild.$z" A "$ND"
	expect "$z (CNAME)" $PORT $z "cn.$z" A "$V"
	expect "$z (DNAME)" $PORT $z "x.dn.$z" A "$V"
	expect "$z (DS at a secure delegation)" $PORT $z "secure.$z" DS "$V"
	expect "$z (no DS at an insecure delegation)" $PORT $z "insecure.$z" DS "$ND"
done

# 2. referrals: NS unsigned; DS with its RRSIG, or the proof of no DS
ref() { kdig @127.0.0.1 -p $PORT +time=2 +retry=0 +norec +dnssec "$1" A 2>/dev/null; }
for z in $ZONES; do
	out=$(ref "www.secure.$z")
	check_match "$z referral to secure: AA clear, NS, signed DS" "Flags: qr;.*secure\.$z\.[[:space:]]+300[[:space:]]+IN[[:space:]]+DS.*RRSIG[[:space:]]+DS" \
		"$(printf '%s' "$out" | tr '\n' ' ')"
	check "$z referral to secure: no RRSIG over NS" 0 "$(printf '%s\n' "$out" | grep -cE 'RRSIG[[:space:]]+NS')"
	out=$(ref "www.insecure.$z")
	check_match "$z referral to insecure: a denial of the DS, signed" "IN[[:space:]]+NSEC3?[[:space:]].*RRSIG[[:space:]]+NSEC3?[[:space:]]" \
		"$(printf '%s' "$out" | grep -v '^;' | tr '\n' ' ')"
	check "$z referral to insecure: no DS" 0 "$(printf '%s\n' "$out" | grep -cE 'IN[[:space:]]+DS')"
	check_match "$z referral to insecure: glue" "ns\.insecure\.$z\.[[:space:]]+300[[:space:]]+IN[[:space:]]+A" "$(printf '%s' "$out" | tr '\n' ' ')"
done

check_match "example.org. is NSEC3 with opt-out" "^[1-9]" "$(kdig @127.0.0.1 -p $PORT +dnssec +norec +time=2 +retry=0 www.insecure.example.org A 2>/dev/null | grep -cE 'NSEC3[[:space:]]+1 1 0 -')"
check "example.org.: no NSEC3 for the insecure delegation" 0 "$(kdig @127.0.0.1 -p $PORT +time=5 +retry=0 example.org AXFR 2>/dev/null | awk '$4 == "NSEC3"' | grep -c 'NS[[:space:]]*$')"

# 3. an edit, on the primary and on a secondary fed by IXFR
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
soa() { kdig @127.0.0.1 -p "$1" +time=1 +retry=0 +short "$2" SOA 2>/dev/null | awk '{ print $3; exit }'; }
wait_serial() { local i; for i in $(seq 1 $((100 * SLOW))); do [ "$(soa "$1" "$2")" == "$3" ] && return 0; sleep 0.05; done; return 1; }
for z in $ZONES; do wait_serial $SPORT $z "$(soa $PORT $z)"; done
for z in $ZONES; do
	zone "$z" 7 "added A 203.0.113.7"
	sed -i '/^www A/d' "$T/zones/$z.zone"
done
for z in $ZONES; do
	wait_serial $PORT $z 7 || echo "note: $z not at serial 7 on the primary"
	wait_serial $SPORT $z 7 || echo "note: $z not at serial 7 on the secondary"
	for p in $PORT $SPORT; do
		expect "$z after an edit, port $p (added)" $p $z "added.$z" A "$V"
		expect "$z after an edit, port $p (removed)" $p $z "www.$z" A "$NX"
		expect "$z after an edit, port $p (still there)" $p $z "mail.$z" AAAA "$V"
	done
	check "$z: the secondary took the edit by IXFR" 1 \
		"$(grep -c "zone $z\.: IXFR from 127.0.0.1@$PORT: serial [0-9]* -> 7" "$T/s.log")"
done

# 4. the check can fail: example.net. answered under example.com.'s key
grep example.com "$T/ta.conf" | sed 's/example\.com\./example.net./' | { echo "trust-anchors {"; cat; echo "};"; } >"$T/wrong.conf"
check_match "a wrong trust anchor is refused" "resolution failed|no valid|insecurity proof failed|broken trust chain" \
	"$(dv $PORT example.net "mail.example.net" A "$T/wrong.conf")"

# 5. signing turned off, then on again, across restarts: each time a serial
#    above the last one served, so the secondary follows (it never keeps a
#    signed copy at a serial the primary serves unsigned, or the reverse)
last=$(soa $PORT example.com)
stop_daemon
sed -i 's/{ domain: example.com, dnssec-signing: true }/{ domain: example.com }/' "$T/p.yaml"
start_daemon -c "$T/p.yaml"
wait_ready 127.0.0.1 $PORT || finish
off=$(soa $PORT example.com)
check_match "signing off: a serial above $last" "^[0-9]+$" "$([ "$off" -gt "$last" ] 2>/dev/null && echo "$off")"
wait_serial $SPORT example.com "$off"
check "signing off: the secondary serves it unsigned" "$off 0" \
	"$(soa $SPORT example.com) $(kdig @127.0.0.1 -p $SPORT +dnssec +time=1 +retry=0 example.com SOA | grep -c RRSIG)"
stop_daemon
sed -i 's/{ domain: example.com }/{ domain: example.com, dnssec-signing: true }/' "$T/p.yaml"
start_daemon -c "$T/p.yaml"
wait_ready 127.0.0.1 $PORT || finish
on=$(soa $PORT example.com)
check_match "signing on again: a serial above $off" "^[0-9]+$" "$([ "$on" -gt "$off" ] 2>/dev/null && echo "$on")"
wait_serial $SPORT example.com "$on"
expect "signing on again, secondary" $SPORT example.com "mail.example.com" A "$V"
kill -TERM "$SPID"
wait "$SPID"
SPID=""
finish
