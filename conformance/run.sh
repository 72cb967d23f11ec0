#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Differential conformance suite: flame-dnsd against knotd (the reference).
#
# What it checks:
#  1. knotd (127.0.0.1@25353) and flame-dnsd (127.0.0.1@25354) serve the same
#     zones (conformance/zones/<origin>.zone); $BUILD/tools/dnsdiff generates
#     thousands of queries from the zone contents (CNAME/DNAME chains,
#     RFC 4592 wildcards, delegations, glue, occlusion, parent/child zones,
#     big RRsets vs. EDNS sizes, ANY, CHAOS, out-of-zone, mixed case, TCP) and
#     compares both answers field by field. Differences listed in
#     conformance/known-differences.txt (each with its RFC reason) are
#     accepted; any other difference fails the suite.
#  2. a few scripted kdig assertions against flame-dnsd alone.
#  3. flame-dnsd survives the run and exits cleanly on SIGTERM (ASan builds:
#     no sanitizer report in its log).
# Output of the comparison: conformance/out/dnsdiff-<build>.txt.
# Environment: BUILD (default build), SEED (query generator seed, default 1).
set -u
cd "$(dirname "$0")/.."

BUILD="${BUILD:-build}"
SEED="${SEED:-1}"
REF_PORT=25353
TEST_PORT=25354
ZONES=conformance/zones
KNOWN=conformance/known-differences.txt
TOOL="$BUILD/tools/dnsdiff"
DAEMON="$BUILD/flame-dnsd"
OUT=conformance/out
TAG=$(basename "$BUILD")

if [ ! -x "$DAEMON" ]; then
	echo "conformance: SKIP ($DAEMON not built)"
	exit 0
fi
for bin in "$TOOL" knotd kdig; do
	if ! command -v "$bin" >/dev/null 2>&1; then
		echo "conformance: FAIL: $bin not found (make deps; make $TOOL)"
		exit 1
	fi
done

TMP=$(mktemp -d /tmp/flame-conformance.XXXXXX) || exit 1
mkdir -p "$OUT"
KNOT_PID=""
FLAME_PID=""
cleanup() {
	[ -n "$KNOT_PID" ] && kill "$KNOT_PID" 2>/dev/null && wait "$KNOT_PID" 2>/dev/null
	[ -n "$FLAME_PID" ] && kill "$FLAME_PID" 2>/dev/null && wait "$FLAME_PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
	echo "conformance: FAIL: $*"
	for f in knot.log flame.log; do
		[ -s "$TMP/$f" ] && cp "$TMP/$f" "$OUT/$TAG-$f" && echo "  log: $OUT/$TAG-$f"
	done
	exit 1
}

# --- knotd, the reference --------------------------------------------------
mkdir -p "$TMP/knot/run" "$TMP/knot/db"
{
	cat <<EOF
server:
    rundir: "$TMP/knot/run"
    listen: 127.0.0.1@$REF_PORT
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
    identity: ""
    version: ""
database:
    storage: "$TMP/knot/db"
log:
  - target: stderr
    any: notice
template:
  - id: default
    storage: "$PWD/$ZONES"
    file: "%s.zone"
    zonefile-load: whole
    zonefile-sync: -1
    journal-content: none
    semantic-checks: off
zone:
EOF
	for z in "$ZONES"/*.zone; do
		name=$(basename "$z" .zone)
		echo "  - domain: $name."
	done
} >"$TMP/knot/knot.conf"

knotd -c "$TMP/knot/knot.conf" >"$TMP/knot.log" 2>&1 &
KNOT_PID=$!

# --- flame-dnsd, under test -------------------------------------------------
"$DAEMON" --zone-dir "$ZONES" --listen "127.0.0.1@$TEST_PORT" --workers 1 >"$TMP/flame.log" 2>&1 &
FLAME_PID=$!

# Ready when knotd answers the SOA of every zone and flame-dnsd logged "ready".
ready=0
for _ in $(seq 1 150); do
	kill -0 "$KNOT_PID" 2>/dev/null || fail "knotd exited at start-up"
	kill -0 "$FLAME_PID" 2>/dev/null || fail "flame-dnsd exited at start-up"
	if grep -q "flame-dnsd ready" "$TMP/flame.log"; then
		ok=1
		for z in "$ZONES"/*.zone; do
			name=$(basename "$z" .zone)
			kdig @127.0.0.1 -p "$REF_PORT" +time=1 +retry=0 +short "$name." SOA 2>/dev/null | grep -q . || ok=0
		done
		[ "$ok" = 1 ] && { ready=1; break; }
	fi
	sleep 0.1
done
[ "$ready" = 1 ] || fail "servers not ready after 15 s"

# --- 1. differential comparison ---------------------------------------------
REPORT="$OUT/dnsdiff-$TAG.txt"
"$TOOL" -s "$SEED" -k "$KNOWN" -A knotd -B flame "$ZONES" "127.0.0.1@$REF_PORT" "127.0.0.1@$TEST_PORT" >"$REPORT" 2>&1
diff_rc=$?
# Show the first differences in full, then the rule and summary lines.
awk '/^DIFF/ { n++ } n > 0 && n <= 25 && !/^(known rule|conformance:|differing)/' "$REPORT"
ndiff=$(grep -c '^DIFF' "$REPORT")
[ "$ndiff" -gt 25 ] && echo "... $((ndiff - 25)) more differences in $REPORT"
grep -E '^(known rule|differing fields|warning|conformance:|dnsdiff:)' "$REPORT"

# --- 2. scripted checks against flame-dnsd alone ------------------------------
checks_failed=0
check() { # description, kdig args..., then "--", then an extended regex the output must match
	local desc=$1
	shift
	local args=()
	while [ "$1" != "--" ]; do args+=("$1"); shift; done
	shift
	local out
	out=$(kdig @127.0.0.1 -p "$TEST_PORT" +time=2 +retry=1 +norec "${args[@]}" 2>&1)
	if printf "%s\n" "$out" | grep -Ezq "$1"; then
		echo "check ok:   $desc"
	else
		echo "check FAIL: $desc (expected /$1/)"
		printf '%s\n' "$out" | sed 's/^/    /'
		checks_failed=$((checks_failed + 1))
	fi
}
check "authoritative A answer" www.example.test A -- 'Flags: qr aa;.*ANSWER: 1'
check "out-of-zone is REFUSED" www.example.org A -- 'status: REFUSED'
check "NXDOMAIN with SOA, negative TTL 300" nope.example.test A -- 'status: NXDOMAIN(.|\n)*example\.test\.[[:space:]]+300[[:space:]]+IN[[:space:]]+SOA'
check "40 A records truncate at 512" biga.example.test A +bufsize=512 +ignore -- 'Flags: qr aa tc;'
check "40 A records truncate without EDNS" biga.example.test A +noedns +ignore -- 'Flags: qr aa tc;'
check "40 A records over TCP" biga.example.test A +tcp -- 'ANSWER: 40;'
check "referral has AA=0 and glue" host.sub.example.test A -- 'Flags: qr;.*AUTHORITY: 4; ADDITIONAL: 2'
check "DS answered by the parent" child.example.test DS -- 'status: NOERROR(.|\n)*IN[[:space:]]+DS[[:space:]]+11111'
check "child zone answers its own names" ns1.child.example.test A -- '192\.0\.2\.161'
check "occluded data is not served" occluded.sub.example.test TXT -- 'Flags: qr;(.|\n)*IN[[:space:]]+NS'
check "wildcard synthesis" anything.w.example.test TXT -- 'anything\.w\.example\.test\.[[:space:]]+3600[[:space:]]+IN[[:space:]]+TXT'
check "ENT blocks the wildcard" y.ent.example.test A -- 'status: NOERROR; id: [0-9]+.;; Flags: qr aa; QUERY: 1; ANSWER: 0;'
check "DNAME synthesises a CNAME" www.dn2.example.test A -- 'www\.dn2\.example\.test\.[[:space:]]+3600[[:space:]]+IN[[:space:]]+CNAME[[:space:]]+www\.dn-target\.example\.test\.'
check "EDNS version 1 is BADVERS" www.example.test A +edns=1 -- 'status: BADVERS'
check "answer over TCP" www.example.test AAAA +tcp -- '2001:db8::80'

# --- 3. the daemon survived and stops cleanly --------------------------------
rc=0
if ! kill -0 "$FLAME_PID" 2>/dev/null; then
	echo "conformance: flame-dnsd died during the run"
	rc=1
else
	kill -TERM "$FLAME_PID"
	for _ in $(seq 1 100); do kill -0 "$FLAME_PID" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$FLAME_PID" 2>/dev/null; then
		echo "conformance: flame-dnsd did not exit within 10 s of SIGTERM"
		kill -KILL "$FLAME_PID" 2>/dev/null
		rc=1
	fi
	wait "$FLAME_PID"
	st=$?
	FLAME_PID=""
	if [ "$st" -ne 0 ]; then
		echo "conformance: flame-dnsd exit status $st after SIGTERM"
		rc=1
	fi
fi
if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' "$TMP/flame.log"; then
	echo "conformance: sanitizer report in the flame-dnsd log:"
	grep -E -A20 'AddressSanitizer|LeakSanitizer|runtime error:' "$TMP/flame.log" | head -60
	rc=1
fi

[ "$diff_rc" -eq 0 ] || rc=1
[ "$checks_failed" -eq 0 ] || rc=1
# --- 4. flame-dnsd as the primary of knotd, named and nsd (NOTIFY, AXFR, IXFR) ----
BUILD="$BUILD" ./conformance/secondaries.sh || rc=1
# --- 5. flame-dnsd as the secondary of knotd, named and nsd (NOTIFY, AXFR, IXFR) ----
BUILD="$BUILD" ./conformance/primaries.sh || rc=1
BUILD="$BUILD" ./conformance/zonemd.sh || rc=1
# --- 5b. DNSSEC answers (DO=1) against knotd on third-party-signed zones, validated by delv ----
BUILD="$BUILD" ./conformance/dnssec.sh || rc=1
# --- 6. catalog zones (RFC 9432): flame producing for named and knotd, consuming knotd's ----
BUILD="$BUILD" ./conformance/catalog.sh || rc=1
# --- 7. TSIG key rotation (new key, switch, retire) under 5 zone edits a second: flame primary, knotd secondary ----
BUILD="$BUILD" ./conformance/rotation.sh || rc=1
if [ "$rc" -ne 0 ]; then
	fail "see above ($REPORT)"
fi
echo "conformance ($BUILD): passed"
