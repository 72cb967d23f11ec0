#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A one-record change in the signed 100,000-record zone (issue 8): time from
# the file's rename to the new serial being answered, by the primary (signed
# and published) and by both secondaries (NOTIFY, IXFR of the signed
# changes); and what signing costs in memory. Side by side:
#   flame: flame-dnsd primary signing (ECDSAP256SHA256 CSK, NSEC), two
#          flame-dnsd secondaries;
#   knotd: knotd primary signing the same zone (automatic signing, one
#          ECDSAP256SHA256 CSK, NSEC, zonefile-load: difference, reloaded by
#          knotc zone-reload inside the timed interval: it does not watch
#          files), two knotd secondaries.
# Each round changes one A record and the serial (bench/propagate.py, raw
# UDP SOA polls every 0.2 ms). Memory: VmRSS of the primary serving the
# zone signed and unsigned, and its peak (VmHWM) over the signed run.
# Ports 35480-35485, loopback only. Output: bench/out/sign-publish.txt.
# Environment: BENCH_SIGN_CHANGES (default 30).
set -u
cd "$(dirname "$0")/.."
BUILD="${BUILD:-build}"
OUT=bench/out
CHANGES="${BENCH_SIGN_CHANGES:-30}"
DAEMON="$PWD/$BUILD/flame-dnsd"
for bin in knotd knotc kdig python3; do
	command -v "$bin" >/dev/null 2>&1 || { echo "sign-publish bench: $bin missing (make deps)"; exit 1; }
done
[ -x "$DAEMON" ] || { echo "sign-publish bench: build first (make)"; exit 1; }
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/flame-signpub.XXXXXX) || exit 1
PIDS=()
source bench/lib/common.bash
trap bench_cleanup EXIT
log() { echo "sign-publish bench: $*" >&2; }
bench_zone_100k "$PWD/$BUILD/tools/genzone" "$OUT" >/dev/null || { log "genzone failed"; exit 1; }
SRC="$PWD/$OUT/zones-100k/bench.test.zone"

soa() { kdig @127.0.0.1 -p "$1" +time=1 +retry=0 +short bench.test SOA 2>/dev/null | awk '{ print $3; exit }'; }
wait_soa() { # PORT SERIAL SECONDS
	local i
	for i in $(seq 1 $(($3 * 10))); do [ "$(soa "$1")" = "$2" ] && return 0; sleep 0.1; done
	return 1
}
rss() { awk -v k="$2:" '$1 == k { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
# The change target: one A record the rounds rewrite.
prep_zone() { cp "$SRC" "$1"; echo "bench-change A 192.0.2.1" >>"$1"; }
summary() { awk '/p50/ { printf "%s / %s", $4, $7 }' | tail -n1; } # "p50 / p99" in ms

# ---- flame ----
mkdir -p "$TMP/f/zones" "$TMP/f/st" "$TMP/f/s1/z" "$TMP/f/s1/st" "$TMP/f/s2/z" "$TMP/f/s2/st"
prep_zone "$TMP/f/zones/bench.test.zone"
fconf() { # SIGN(true|false)
	cat <<Y
server: { listen: [ "127.0.0.1@35480" ], workers: 1 }
log: { level: notice }
zones: { directory: $TMP/f/zones, storage: $TMP/f/st }
keys: { dnssec-directory: $TMP/f/dnssec }
transfer: { allow: [ "127.0.0.1" ] }
notify: { targets: [ "127.0.0.1@35481", "127.0.0.1@35482" ], timeout-ms: 200, retries: 5 }
zone: [ { domain: bench.test, dnssec-signing: $1 } ]
Y
}
# Unsigned first, for the memory baseline.
fconf false >"$TMP/f/p.yaml"
"$DAEMON" -c "$TMP/f/p.yaml" >"$TMP/f/unsigned.log" 2>&1 &
P=$!
wait_soa 35480 1 60 || { log "flame primary (unsigned) did not start"; exit 1; }
sleep 0.5
F_UNSIGNED_RSS=$(rss $P VmRSS)
stop $P
rm -rf "$TMP/f/st"/*
fconf true >"$TMP/f/p.yaml"
t0=$(date +%s.%N)
"$DAEMON" -c "$TMP/f/p.yaml" >"$TMP/f/p.log" 2>&1 &
P=$!
PIDS+=("$P")
for i in $(seq 1 600); do grep -q 'flame-dnsd ready' "$TMP/f/p.log" && break; sleep 0.1; done
F_START=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
S0=$(soa 35480)
for n in 1 2; do
	cat >"$TMP/f/s$n.yaml" <<Y
server: { listen: [ "127.0.0.1@3548$n" ], workers: 1 }
log: { level: notice }
zones: { directory: $TMP/f/s$n/z, storage: $TMP/f/s$n/st, role: secondary }
secondary: { primaries: [ "127.0.0.1@35480" ] }
zone: [ { domain: bench.test } ]
Y
	"$DAEMON" -c "$TMP/f/s$n.yaml" >"$TMP/f/s$n.log" 2>&1 &
	PIDS+=("$!")
done
wait_soa 35481 "$S0" 120 && wait_soa 35482 "$S0" 120 || { log "flame secondaries did not load the signed zone"; exit 1; }
F_SIGNED_RSS=$(rss $P VmRSS)
Z="$TMP/f/zones/bench.test.zone"
F_PUB=$(timeout 600 python3 bench/propagate.py "$Z" bench.test 35480 "$CHANGES" --change-a bench-change | summary)
F_ALL=$(timeout 600 python3 bench/propagate.py "$Z" bench.test 35480 "$CHANGES" --poll 127.0.0.1@35481 --poll 127.0.0.1@35482 --change-a bench-change | summary)
F_PEAK=$(rss $P VmHWM)
F_IXFR=$(sed -n 's/.*IXFR of bench.test. serial [0-9]* to .* done: [0-9]* messages, \([0-9]*\) records.*/\1/p' "$TMP/f/p.log" | sort -n | awk '{ a[NR] = $1 } END { if (NR) printf "%d-%d", a[1], a[NR] }')
for p in "${PIDS[@]}"; do stop "$p"; done
PIDS=()

# ---- knotd ----
mkdir -p "$TMP/k/p/db" "$TMP/k/p/zones" "$TMP/k/s1/db" "$TMP/k/s2/db" "$TMP/k/s1/z" "$TMP/k/s2/z"
prep_zone "$TMP/k/p/zones/bench.test.zone"
kconf() { # DIR PORT ROLE
	cat <<K
server:
    rundir: "$1"
    listen: 127.0.0.1@$2
    udp-workers: 1
    tcp-workers: 1
    background-workers: 2
database:
    storage: "$1/db"
log:
  - target: stderr
    any: notice
remote:
  - id: primary
    address: 127.0.0.1@35483
  - id: s1
    address: 127.0.0.1@35484
  - id: s2
    address: 127.0.0.1@35485
acl:
  - id: all
    address: 127.0.0.1
    action: [transfer, notify]
policy:
  - id: csk
    algorithm: ecdsap256sha256
    single-type-signing: on
    nsec3: off
    rrsig-lifetime: 14d
    rrsig-refresh: 7d
K
	if [ "$3" = primary ]; then
		cat <<K
zone:
  - domain: bench.test.
    storage: "$1/zones"
    file: "%s.zone"
    zonefile-load: difference-no-serial
    zonefile-sync: -1
    journal-content: all
    dnssec-signing: on
    dnssec-policy: csk
    notify: [s1, s2]
    acl: all
K
	else
		cat <<K
zone:
  - domain: bench.test.
    storage: "$1/z"
    file: "%s.zone"
    zonefile-sync: -1
    master: primary
    acl: all
K
	fi
}
kconf "$TMP/k/p" 35483 primary >"$TMP/k/p.conf"
kconf "$TMP/k/s1" 35484 secondary >"$TMP/k/s1.conf"
kconf "$TMP/k/s2" 35485 secondary >"$TMP/k/s2.conf"
t0=$(date +%s.%N)
knotd -c "$TMP/k/p.conf" >"$TMP/k/p.log" 2>&1 &
KP=$!
PIDS+=("$KP")
for i in $(seq 1 1200); do kill -0 "$KP" 2>/dev/null || break; kdig @127.0.0.1 -p 35483 +time=1 +retry=0 +dnssec bench.test SOA 2>/dev/null | grep -q RRSIG && break; sleep 0.1; done
kill -0 "$KP" 2>/dev/null || { log "knotd did not start:"; tail -3 "$TMP/k/p.log" >&2; exit 1; }
K_START=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
K0=$(soa 35483)
for n in 1 2; do
	knotd -c "$TMP/k/s$n.conf" >"$TMP/k/s$n.log" 2>&1 &
	PIDS+=("$!")
done
wait_soa 35484 "$K0" 120 && wait_soa 35485 "$K0" 120 || log "knotd secondaries slow to load"
K_SIGNED_RSS=$(rss $KP VmRSS)
Z="$TMP/k/p/zones/bench.test.zone"
RELOAD="knotc -s $TMP/k/p/knot.sock zone-reload bench.test. >/dev/null"
K_PUB=$(timeout 900 python3 bench/propagate.py "$Z" bench.test 35483 "$CHANGES" --change-a bench-change --after "$RELOAD" | summary)
K_ALL=$(timeout 900 python3 bench/propagate.py "$Z" bench.test 35483 "$CHANGES" --poll 127.0.0.1@35484 --poll 127.0.0.1@35485 \
	--change-a bench-change --after "$RELOAD" | summary)
K_PEAK=$(rss $KP VmHWM)

{
	echo "sign-publish bench, $(date -u +%Y-%m-%dT%H:%M:%SZ): bench.test., 100,001 records, one ECDSAP256SHA256 CSK, NSEC; $CHANGES one-record changes per row"
	echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); times from the rename of the zone file (knotd: plus knotc zone-reload) to the new serial answered"
	printf '%-48s %14s %14s\n' "" flame-dnsd "knotd $(knotd --version 2>&1 | awk '{ print $NF }')"
	printf '%-48s %14s %14s\n' "start-up: load, sign, serve (s)" "$F_START" "$K_START"
	printf '%-48s %14s %14s\n' "one change published by the primary, p50/p99 ms" "${F_PUB:-?}" "${K_PUB:-?}"
	printf '%-48s %14s %14s\n' "one change on both secondaries, p50/p99 ms" "${F_ALL:-?}" "${K_ALL:-?}"
	printf '%-48s %14s %14s\n' "IXFR records per change (min-max, flame)" "${F_IXFR:-?}" "-"
	printf '%-48s %14s %14s\n' "primary VmRSS serving unsigned (MiB)" "$F_UNSIGNED_RSS" "-"
	printf '%-48s %14s %14s\n' "primary VmRSS serving signed (MiB)" "$F_SIGNED_RSS" "$K_SIGNED_RSS"
	printf '%-48s %14s %14s\n' "primary peak VmHWM over the run (MiB)" "$F_PEAK" "$K_PEAK"
} | tee "$OUT/sign-publish.txt"
