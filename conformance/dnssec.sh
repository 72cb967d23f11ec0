#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# DNSSEC answers (DO=1) against knotd, on zones signed by a third party.
#
#  1. The conformance zones are signed by ldns-signzone (not by us):
#     example.test. with NSEC, child.example.test. with NSEC3 (RFC 9276:
#     0 iterations, no salt), other.test. with NSEC3 opt-out; ECDSAP256SHA256
#     and ED25519 keys from ldns-keygen.
#  2. knotd (127.0.0.1@25360) and flame-dnsd (127.0.0.1@25361) serve the
#     same signed files; dnsdiff -D sends every generated query with DO=1
#     (NXDOMAIN, NODATA, empty non-terminals, wildcards, CNAME and DNAME
#     chains, referrals with and without DS, DS at the parent, ANY, TC) and
#     compares the sections RR by RR, RRSIGs and NSEC/NSEC3 included.
#     Differences not in conformance/known-differences.txt or
#     conformance/known-differences-dnssec.txt fail.
#  3. delv validates flame-dnsd's answers with the zones' keys as trust
#     anchors: positive, NXDOMAIN, NODATA, empty non-terminal, wildcard,
#     wildcard NODATA, CNAME, DS and its absence, in the three zones.
# Environment: BUILD (default build), SEED.
set -u
cd "$(dirname "$0")/.."

BUILD="${BUILD:-build}"
SEED="${SEED:-1}"
REF_PORT=25360
TEST_PORT=25361
TOOL="$BUILD/tools/dnsdiff"
DAEMON="$BUILD/flame-dnsd"
KNOWN_ALL=conformance/known-differences.txt
KNOWN_DNSSEC=conformance/known-differences-dnssec.txt
OUT=conformance/out
TAG=$(basename "$BUILD")

for bin in "$TOOL" "$DAEMON" knotd kdig delv ldns-signzone ldns-keygen named-compilezone; do
	command -v "$bin" >/dev/null 2>&1 || { echo "dnssec: FAIL: $bin not found (make deps; make)"; exit 1; }
done
TMP=$(mktemp -d /tmp/flame-dnssec.XXXXXX) || exit 1
source conformance/lib/peers.bash
KNOT_PID=""
FLAME_PID=""
trap 'stop_pid "$KNOT_PID"; stop_pid "$FLAME_PID"; [ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
mkdir -p "$OUT" "$TMP/signed" "$TMP/keys" "$TMP/knot/run" "$TMP/knot/db"
KNOWN="$TMP/known.txt"
cat "$KNOWN_ALL" "$KNOWN_DNSSEC" >"$KNOWN"

failed=0
pass=0
bad() { failed=$((failed + 1)); echo "dnssec: FAIL: $*"; }

# --- 1. sign ------------------------------------------------------------------
# zone origin, algorithm, ldns-signzone chain options
sign() {
	local z=$1 alg=$2
	shift 2
	local flat="$TMP/$z.flat" key
	(cd conformance/zones && named-compilezone -q -o "$flat" "$z" "$z.zone") >"$TMP/nc.log" 2>&1 ||
		{ bad "named-compilezone $z"; cat "$TMP/nc.log"; return; }
	key=$(cd "$TMP/keys" && ldns-keygen -a "$alg" -k "$z") || { bad "ldns-keygen $z"; return; }
	# The signed file keeps the flat file's name, so both servers load it as $z.
	ldns-signzone "$@" -f "$TMP/signed/$z.zone" -o "$z" "$flat" "$TMP/keys/$key" >"$TMP/ls.log" 2>&1 ||
		{ bad "ldns-signzone $z"; cat "$TMP/ls.log"; return; }
	# "example.test.	IN	DNSKEY	257 3 13 KEY... ;{id = ...}"
	awk -v z="$z." '$1 == z && $3 == "DNSKEY" && $4 == 257 { k = "";
		for (i = 7; i <= NF && substr($i, 1, 1) != ";"; i++) k = k $i;
		printf "%s static-key 257 3 %s \"%s\";\n", z, $6, k }' "$TMP/keys/$key.key" >>"$TMP/ta.inner"
}
sign example.test ECDSAP256SHA256
sign child.example.test ED25519 -n -t 0 -s ""
sign other.test ECDSAP256SHA256 -n -t 0 -s "" -p
{ echo "trust-anchors {"; cat "$TMP/ta.inner"; echo "};"; } >"$TMP/ta.conf"
[ "$(grep -c static-key "$TMP/ta.conf")" = 3 ] || bad "3 trust anchors expected in $TMP/ta.conf"
grep -q 'NSEC3PARAM[[:space:]]*1 0 0 -' "$TMP/signed/child.example.test.zone" || bad "child.example.test. is not NSEC3 1 0 0 -"
grep -qE 'NSEC3[[:space:]]+1 1 0 -' "$TMP/signed/other.test.zone" || bad "other.test. is not NSEC3 with opt-out"

# --- 2. both servers, dnsdiff -D -----------------------------------------------
{
	knot_server_conf "$TMP/knot" $REF_PORT notice
	cat <<EOF
template:
  - id: default
    storage: "$TMP/signed"
    file: "%s.zone"
    zonefile-load: whole
    zonefile-sync: -1
    journal-content: none
    semantic-checks: off
zone:
  - domain: example.test.
  - domain: child.example.test.
  - domain: other.test.
EOF
} >"$TMP/knot.conf"
sed -i 's/^server:$/server:\n    identity: ""\n    version: ""/' "$TMP/knot.conf"
knotd -c "$TMP/knot.conf" >"$TMP/knot.log" 2>&1 &
KNOT_PID=$!
"$DAEMON" --zone-dir "$TMP/signed" --listen "127.0.0.1@$TEST_PORT" --workers 1 >"$TMP/flame.log" 2>&1 &
FLAME_PID=$!
ready=0
for _ in $(seq 1 150); do
	kill -0 "$KNOT_PID" 2>/dev/null || break
	kill -0 "$FLAME_PID" 2>/dev/null || break
	ok=1
	for z in example.test child.example.test other.test; do
		for p in $REF_PORT $TEST_PORT; do
			kdig @127.0.0.1 -p $p +time=1 +retry=0 +short "$z." SOA 2>/dev/null | grep -q . || ok=0
		done
	done
	[ "$ok" = 1 ] && { ready=1; break; }
	sleep 0.1
done
if [ "$ready" != 1 ]; then
	bad "servers not ready on the signed zones"
	tail -5 "$TMP/knot.log" "$TMP/flame.log"
	exit 1
fi

REPORT="$OUT/dnsdiff-dnssec-$TAG.txt"
"$TOOL" -D -s "$SEED" -k "$KNOWN" -A knotd -B flame "$TMP/signed" "127.0.0.1@$REF_PORT" "127.0.0.1@$TEST_PORT" >"$REPORT" 2>&1
diff_rc=$?
awk '/^DIFF/ { n++ } n > 0 && n <= 15 && !/^(known rule|conformance:|differing)/' "$REPORT"
ndiff=$(grep -c '^DIFF' "$REPORT")
[ "$ndiff" -gt 15 ] && echo "... $((ndiff - 15)) more differences in $REPORT"
grep -E '^(known rule|differing fields|warning|conformance:|dnsdiff:)' "$REPORT" | sed 's/^/dnssec: /'
[ "$diff_rc" -eq 0 ] && pass=$((pass + 1)) || bad "dnsdiff -D: unlisted differences ($REPORT)"
nq=$(grep -oE '[0-9]+ queries' "$REPORT" | head -n1)
echo "dnssec: dnsdiff -D compared ${nq:-? queries} with DO=1"

# --- 3. delv validates flame's answers ------------------------------------------
# expect NAME TYPE REGEX: delv's output (first lines) must match REGEX.
expect() {
	local out
	out=$(delv -a "$TMP/ta.conf" +root="$4" -p $TEST_PORT @127.0.0.1 "$1" "$2" 2>&1 | head -4 | tr '\n' ' ')
	if printf '%s' "$out" | grep -Eq "$3"; then
		pass=$((pass + 1))
	else
		bad "delv $1 $2: want /$3/, got: $out"
	fi
}
V='; fully validated'
NX='resolution failed: ncache nxdomain ; negative response, fully validated'
ND='resolution failed: ncache nxrrset ; negative response, fully validated'
for z in example.test child.example.test other.test; do
	expect "$z" SOA "$V" "$z"
	expect "$z" DNSKEY "$V" "$z"
	expect "nope.$z" A "$NX" "$z"
	expect "a.b.c.nope.$z" AAAA "$NX" "$z"
	expect "$z" SRV "$ND" "$z"
done
expect www.example.test A "$V" example.test
expect www.example.test TXT "$ND" example.test
expect multi.example.test TXT "$V" example.test
expect anything.w.example.test TXT "$V" example.test
expect anything.w.example.test AAAA "$ND" example.test
expect ent.example.test A "$ND" example.test
expect child.example.test DS "$V" example.test
expect ns1.child.example.test A "$V" child.example.test
expect www.child.example.test MX "$ND" child.example.test
expect cname-back.other.test A "$V" other.test
expect cname1.example.test A "$V" example.test
expect www.dn2.example.test A "$V" example.test

# Without DO none of it (RFC 3225 §3): the same questions, plain answers.
plain() { # NAME TYPE REGEX on kdig's output without +dnssec
	local out
	out=$(kdig @127.0.0.1 -p $TEST_PORT +time=2 +retry=0 +norec "$1" "$2" 2>&1)
	if printf '%s\n' "$out" | grep -Ezq "$3" && ! printf '%s' "$out" | grep -Eq 'RRSIG|NSEC'; then
		pass=$((pass + 1))
	else
		bad "without DO, $1 $2: want /$3/ and no RRSIG or NSEC, got: $(printf '%s' "$out" | grep -E 'status|IN' | tr '\n' ' ')"
	fi
}
plain www.example.test A 'ANSWER: 1; AUTHORITY: 0'
plain nope.example.test A 'NXDOMAIN.*ANSWER: 0; AUTHORITY: 1;'
plain nope.child.example.test A 'NXDOMAIN.*ANSWER: 0; AUTHORITY: 1;'
plain anything.w.example.test TXT 'ANSWER: 1; AUTHORITY: 0'
plain www.sub.example.test A 'ANSWER: 0; AUTHORITY: 4;'

# --- 4. flame survived ------------------------------------------------------------
kill -0 "$FLAME_PID" 2>/dev/null || bad "flame-dnsd died during the run"
if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' "$TMP/flame.log"; then
	bad "sanitizer report in the flame-dnsd log"
	grep -E -A20 'AddressSanitizer|LeakSanitizer|runtime error:' "$TMP/flame.log" | head -40
fi
if [ "$failed" -ne 0 ]; then
	cp "$TMP/flame.log" "$OUT/$TAG-dnssec-flame.log" 2>/dev/null
	echo "dnssec: $failed failed, $pass passed"
	exit 1
fi
echo "dnssec: all $pass checks passed"
