#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Full signing of the 100,000-record zone (issue 8): flame's signer
# (src/dnssec/sign.c through tests/tools/signzone) beside ldns-signzone,
# dnssec-signzone (BIND) and kzonesign (Knot), with the same key: one
# ECDSAP256SHA256 CSK made once by flame in BIND format and given to each
# (ldns and BIND read the files, Knot imports them with keymgr
# import-bind). NSEC, 14-day signatures. Measured with /usr/bin/time: wall
# time and maximum RSS, BENCH_SIGN_REPS runs (default 3), best wall time
# and its RSS reported. Every output is checked by ldns-verify-zone once.
# flame runs with 1 thread and with 2 (the machine's cores); dnssec-signzone
# uses all cores by default (-n), ldns-signzone and kzonesign are as they come.
# BIND's own post-signing verification is switched off (-P) so its time is
# signing only. Output: bench/out/sign.txt. No servers, no ports.
set -u
cd "$(dirname "$0")/.."
BUILD="${BUILD:-build}"
OUT=bench/out
SZ="$PWD/$BUILD/tools/signzone"
REPS="${BENCH_SIGN_REPS:-3}"
for bin in ldns-signzone dnssec-signzone kzonesign keymgr ldns-verify-zone /usr/bin/time; do
	command -v "$bin" >/dev/null 2>&1 || { echo "sign bench: $bin missing (make deps)"; exit 1; }
done
[ -x "$SZ" ] || { echo "sign bench: build first (make)"; exit 1; }
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/flame-signbench.XXXXXX) || exit 1
PIDS=()
source bench/lib/common.bash
trap bench_cleanup EXIT
log() { echo "sign bench: $*" >&2; }

bench_zone_100k "$PWD/$BUILD/tools/genzone" "$OUT" >/dev/null || { log "genzone failed"; exit 1; }
ZONE="$PWD/$OUT/zones-100k/bench.test.zone"
RECORDS=$(grep -cvE '^\s*(;|\$|$)' "$ZONE")
mkdir -p "$TMP/keys"
# The key: made by flame once (the run also warms the page cache).
"$SZ" -o bench.test. -k "$TMP/keys" "$ZONE" >/dev/null 2>&1 || { log "flame signzone failed"; exit 1; }
KEY=$(ls "$TMP"/keys/Kbench.test.+013+*.private)
KEY=${KEY%.private}

# Knot: a KASP database with that key imported, a manual CSK policy.
mkdir -p "$TMP/knot/db" "$TMP/knot/zones" "$TMP/knot/out"
cp "$ZONE" "$TMP/knot/zones/bench.test.zone"
cat >"$TMP/knot/knot.conf" <<K
server:
    rundir: "$TMP/knot"
database:
    storage: "$TMP/knot/db"
policy:
  - id: bench
    algorithm: ecdsap256sha256
    single-type-signing: on
    manual: on
    rrsig-lifetime: 14d
    rrsig-refresh: 7d
template:
  - id: default
    storage: "$TMP/knot/zones"
    file: "%s.zone"
zone:
  - domain: bench.test.
    dnssec-signing: on
    dnssec-policy: bench
K
# keymgr imports a SEP key as a KSK; it signs everything as a CSK once it is also a ZSK.
TAG=$(basename "$KEY" | sed 's/.*+0*\([0-9]*\)$/\1/')
{ keymgr -c "$TMP/knot/knot.conf" bench.test. import-bind "$KEY.private" &&
	keymgr -c "$TMP/knot/knot.conf" bench.test. set "$TAG" zsk=yes; } >"$TMP/keymgr.log" 2>&1 ||
	{ log "keymgr failed: $(cat "$TMP/keymgr.log")"; exit 1; }

# run NAME CMD...: best wall time of REPS runs and that run's max RSS; output in $TMP/NAME.out
declare -A WALL RSS
run() {
	local name=$1 best="" rss="" w m
	shift
	for _ in $(seq 1 "$REPS"); do
		/usr/bin/time -f "%e %M" -o "$TMP/time" "$@" >"$TMP/$name.stdout" 2>"$TMP/$name.stderr" || { log "$name failed: $(tail -n 3 "$TMP/$name.stderr")"; return 1; }
		read -r w m <"$TMP/time"
		if [ -z "$best" ] || awk -v a="$w" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$w; rss=$m; fi
	done
	WALL[$name]=$best
	RSS[$name]=$rss
}
ver() { ldns-verify-zone "$1" >/dev/null 2>&1 && echo verified || echo "NOT VERIFIED"; }

run flame1 "$SZ" -o bench.test. -k "$TMP/keys" -j 1 "$ZONE" || exit 1
cp "$TMP/flame1.stdout" "$TMP/flame1.zone"
run flame2 "$SZ" -o bench.test. -k "$TMP/keys" -j 2 "$ZONE" || exit 1
cp "$TMP/flame2.stdout" "$TMP/flame2.zone"
run ldns ldns-signzone -n -f "$TMP/ldns.zone" -e "$(date -u -d '+14 days' +%Y%m%d%H%M%S)" "$ZONE" "$KEY" || exit 1
run bind dnssec-signzone -P -z -S -K "$TMP/keys" -d "$TMP" -o bench.test. -f "$TMP/bind.zone" -e +1209600 "$ZONE" || exit 1
run knot kzonesign -c "$TMP/knot/knot.conf" -o "$TMP/knot/out" bench.test. || exit 1
cp "$TMP/knot/out/bench.test.zone" "$TMP/knot.zone" 2>/dev/null || cp "$TMP"/knot/out/* "$TMP/knot.zone"

{
	echo "sign bench, $(date -u +%FT%TZ): bench.test., $RECORDS records (genzone), one ECDSAP256SHA256 CSK, NSEC, 14-day signatures"
	echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); best of $REPS runs; wall time includes reading the zone file and writing the signed one"
	printf '%-40s %10s %12s  %s\n' "signer" "wall s" "max RSS MiB" "output"
	for s in flame1 flame2 ldns bind knot; do
		case $s in
		flame1) label="flame (1 thread)" ;;
		flame2) label="flame (2 threads)" ;;
		ldns) label="ldns-signzone $(ldns-signzone -v 2>&1 | awk '{print $4; exit}')" ;;
		bind) label="dnssec-signzone $(dnssec-signzone -V 2>&1 | head -n1 | awk '{print $2}') (-P)" ;;
		knot) label="kzonesign $(kzonesign -V 2>&1 | awk '{print $NF}')" ;;
		esac
		printf '%-40s %10s %12s  %s\n' "$label" "${WALL[$s]}" "$(awk -v k="${RSS[$s]}" 'BEGIN { printf "%.1f", k / 1024 }')" \
			"$(ver "$TMP/$s.zone")"
	done
} | tee "$OUT/sign.txt"
