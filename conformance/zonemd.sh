#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ZONEMD (RFC 8976) interop: our digest (src/zone/zonemd.c, through
# $BUILD/tools/zonemdcheck) against ldns, an independent implementation,
# in both directions. Offline, no daemon, a few seconds.
#
#  1. ldns-verify-zone -Z accepts the RFC 8976 Appendix A zones we keep in
#     tests/unit/data/zonemd/ (checks our transcription of the RFC).
#  2. For every zone in zonefiles/, conformance/zones/ and the canonical-form
#     zone tests/unit/data/zonemd/canon.example.zone, flattened by
#     named-compilezone (ldns reads neither $INCLUDE nor $GENERATE):
#     a. ldns-signzone -Z adds SHA-384 and SHA-512 ZONEMD RRs; zonemdcheck
#        must find them valid, and invalid once one RR is added or one TTL
#        changed;
#     b. zonemdcheck -p writes our ZONEMD RRs; ldns-verify-zone -Z must
#        accept them, and refuse them once one RR is added.
# Environment: BUILD (default build).
set -u
cd "$(dirname "$0")/.."

BUILD="${BUILD:-build}"
CHECK="$BUILD/tools/zonemdcheck"
DATA=tests/unit/data/zonemd

for bin in "$CHECK" ldns-signzone ldns-verify-zone named-compilezone; do
	if ! command -v "$bin" >/dev/null 2>&1; then
		echo "zonemd: FAIL: $bin not found (make deps; make $CHECK)"
		exit 1
	fi
done

TMP=$(mktemp -d /tmp/flame-zonemd.XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT

pass=0
failed=0
ok() { pass=$((pass + 1)); }
bad() { failed=$((failed + 1)); echo "zonemd: FAIL: $*"; }

# expect RC DESC CMD...: CMD must exit with RC, or with any failure for RC
# "fail" (its output is shown when not).
expect() {
	local want=$1 desc=$2
	shift 2
	local out rc
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" = "$want" ] || { [ "$want" = fail ] && [ "$rc" -ne 0 ]; }; then
		ok
	else
		bad "$desc: exit $rc, want $want"
		printf '%s\n' "$out" | sed 's/^/    /' | head -20
	fi
}

# 1. The RFC examples, as we transcribed them, verify with ldns too. A.4's
#    signatures are checked at a time inside their validity.
for f in a1-simple a2-complex a3-multiple a5-root-servers.net; do
	expect 0 "ldns-verify-zone -Z $f" ldns-verify-zone -Z "$DATA/$f.zone"
done
expect 0 "ldns-verify-zone -Z a4-uri.arpa" ldns-verify-zone -Z -t 20210201000000 "$DATA/a4-uri.arpa.zone"

# 2. Zones digested by ldns and by us.
zones=(zonefiles/*.zone conformance/zones/*.zone "$DATA/canon.example.zone")
for z in "${zones[@]}"; do
	origin="$(basename "$z" .zone)."
	flat="$TMP/$origin.flat"
	# named-compilezone resolves $INCLUDE from the working directory.
	if ! (cd "$(dirname "$z")" && named-compilezone -q -o "$flat" "$origin" "$(basename "$z")") >"$TMP/nc.log" 2>&1; then
		bad "named-compilezone $z"
		sed 's/^/    /' "$TMP/nc.log"
		continue
	fi

	# a. ldns digests, we verify.
	signed="$TMP/$origin.signed"
	if ! ldns-signzone -Z -z 1:1 -z 1:2 -f "$signed" -o "$origin" "$flat" >"$TMP/ls.log" 2>&1; then
		bad "ldns-signzone $z"
		sed 's/^/    /' "$TMP/ls.log"
		continue
	fi
	expect 0 "$z: ldns-signzone's ZONEMD verifies" "$CHECK" "$signed" "$origin"
	{ cat "$signed"; echo "zonemd-tamper.$origin 3600 IN TXT \"added\""; } >"$TMP/added"
	expect 1 "$z: ldns-signzone's ZONEMD with an RR added" "$CHECK" "$TMP/added" "$origin"
	awk '$4 == "SOA" && !done { $2 = $2 + 1; done = 1 } { print }' "$signed" >"$TMP/ttl"
	expect 1 "$z: ldns-signzone's ZONEMD with the SOA TTL changed" "$CHECK" "$TMP/ttl" "$origin"

	# b. We digest, ldns verifies.
	ours="$TMP/$origin.ours"
	if ! { "$CHECK" -p "$flat" "$origin" && cat "$flat"; } >"$ours" 2>"$TMP/zc.log"; then
		bad "zonemdcheck -p $z"
		sed 's/^/    /' "$TMP/zc.log"
		continue
	fi
	expect 0 "$z: ldns-verify-zone -Z accepts our ZONEMD" ldns-verify-zone -Z "$ours"
	{ cat "$ours"; echo "zonemd-tamper.$origin 3600 IN TXT \"added\""; } >"$TMP/added2"
	expect fail "$z: ldns-verify-zone -Z refuses our ZONEMD with an RR added" ldns-verify-zone -Z "$TMP/added2"
done

echo "zonemd ($BUILD): $pass passed, $failed failed"
[ "$failed" -eq 0 ]
