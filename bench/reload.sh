#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Reloads and key changes, flame-dnsd beside knotd (issue 7). Both serve the
# same N zones (BENCH_RELOAD_ZONES, default 1,000, 10 records each) from
# zone files, with K TSIG keys (BENCH_RELOAD_KEYS, default 10) and a
# transfer ACL naming them. Measured for each server:
#   a. a reload of config + keys + zones with nothing changed: the reload
#      command's wall time (flamectl reload / knotc reload), R times;
#   b. a key rotation step: a new key file (flame: keys.directory; knotd: a
#      key: entry) and the ACL listing it, reload, then AXFR with the new key
#      retried every 5 ms: time from the start of the reload command to the
#      first AXFR that succeeds with the new key, R times (a fresh key each);
#   c. the control round trip: flamectl status / knotc status, R times;
#   d. queries during reloads: dnsperf at a fixed 5,000 qps for 6 s against
#      each server while it reloads every 250 ms: queries lost (must be 0).
# Pinned: the server to CPU 0, the clients to CPU 1. Ports 35470-35473.
# Environment: BENCH_RELOAD_ZONES, BENCH_RELOAD_KEYS, BENCH_RELOAD_REPS (20),
# BENCH_KEEP=1 (keep the temporary directory). Output: bench/out/reload.txt.
set -u
cd "$(dirname "$0")/.."
BUILD="${BUILD:-build}"
OUT=bench/out
FLAME="$PWD/$BUILD/flame-dnsd"
CTL="$PWD/$BUILD/flamectl"
NZ="${BENCH_RELOAD_ZONES:-1000}"
NK="${BENCH_RELOAD_KEYS:-10}"
R="${BENCH_RELOAD_REPS:-20}"
FP=35470
KP=35471
for bin in kdig knotd knotc dnsperf python3 taskset; do
	command -v "$bin" >/dev/null 2>&1 || { echo "reload bench: $bin missing (make deps)"; exit 1; }
done
[ -x "$FLAME" ] && [ -x "$CTL" ] || { echo "reload bench: build first (make)"; exit 1; }
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/flame-reloadbench.XXXXXX) || exit 1
PIDS=()
source bench/lib/common.bash
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "reload bench: $*" >&2; }
now_ns() { date +%s%N; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e6 }'; }
# stats "v1 v2 ...": p50 / p90 / max
stats() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ v[NR] = $1 } END { printf "%s / %s / %s", v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.5)], v[NR] }'; }

mkdir -p "$TMP/zones" "$TMP/fkeys" "$TMP/kkeys" "$TMP/knot"
for i in $(seq 1 "$NZ"); do
	z="z$i.bench"
	{
		printf '$ORIGIN %s.\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\nns1 A 198.51.100.1\n' "$z"
		for h in 1 2 3 4 5 6 7; do printf 'h%d A 198.51.100.%d\n' "$h" "$h"; done
	} >"$TMP/zones/$z.zone"
done
keyname() { echo "k$1"; }
newkey() { # newkey NAME: BIND file into flame's directory, "name:secret" line for knotd
	"$CTL" key generate "$1" >"$TMP/fkeys/$1.key"
	sed -n 's/.*secret "\(.*\)";/\1/p' "$TMP/fkeys/$1.key" >"$TMP/kkeys/$1"
}
for k in $(seq 1 "$NK"); do newkey "$(keyname "$k")"; done
KEYS=$(for k in $(seq 1 "$NK"); do keyname "$k"; done | paste -sd, -)

flame_conf() { # the key names the ACL lists
	cat >"$TMP/flame.yaml" <<Y
server: { listen: [ "127.0.0.1@$FP" ], workers: 1 }
log: { level: notice }
zones: { directory: $TMP/zones, watch: false }
keys: { directory: $TMP/fkeys }
control: { socket: $TMP/flame.sock }
transfer: { allow: [ $(sed -E 's/([^,]+)/"127.0.0.1 key \1"/g; s/,/, /g' <<<"$1") ] }
Y
}
knot_conf() { # the key names the ACL lists (comma-separated)
	{
		printf 'server:\n  rundir: %s/knot\n  listen: 127.0.0.1@%s\n  background-workers: 1\n  udp-workers: 1\n  tcp-workers: 1\n' "$TMP" "$KP"
		printf 'log:\n  - target: stderr\n    any: notice\n'
		printf 'key:\n'
		for f in "$TMP"/kkeys/*; do printf '  - id: %s\n    algorithm: hmac-sha256\n    secret: %s\n' "$(basename "$f")" "$(cat "$f")"; done
		printf 'acl:\n  - id: xfr\n    address: 127.0.0.1\n    key: [ %s ]\n    action: transfer\n' "$(sed 's/,/, /g' <<<"$1")"
		printf 'template:\n  - id: default\n    storage: %s/zones\n    file: "%%s.zone"\n    acl: xfr\n    zonefile-sync: -1\n    journal-content: none\n' "$TMP"
		printf 'database:\n  storage: %s/knot\n' "$TMP"
		printf 'zone:\n'
		for i in $(seq 1 "$NZ"); do printf '  - domain: z%d.bench\n' "$i"; done
	} >"$TMP/knot.conf"
}

start() { # start NAME CMD...
	local name=$1
	shift
	taskset -c 0 "$@" >"$TMP/$name.log" 2>&1 &
	PIDS+=($!)
}
ready() { # ready PORT: the last zone answers (at most 60 s, and only while the server runs)
	for _ in $(seq 1 600); do
		kill -0 "${PIDS[-1]}" 2>/dev/null || return 1
		kdig @127.0.0.1 -p "$1" +short +time=1 +retry=0 "z$NZ.bench" SOA 2>/dev/null | grep -q hostmaster && return 0
		sleep 0.1
	done
	return 1
}
axfr_ok() { # axfr_ok PORT KEY: the AXFR with KEY succeeds
	taskset -c 1 kdig @127.0.0.1 -p "$1" +time=1 +retry=0 -y "hmac-sha256:$2:$(cat "$TMP/kkeys/$2")" z1.bench AXFR 2>&1 |
		grep -qE '^;; Received [0-9]+ B \([0-9]+ messages?, [1-9][0-9]* records\)'
}
reload_cmd() { # reload_cmd SERVER
	if [ "$1" = flame ]; then taskset -c 1 "$CTL" -s "$TMP/flame.sock" reload >/dev/null; else taskset -c 1 knotc -c "$TMP/knot.conf" reload >/dev/null; fi
}
status_cmd() {
	if [ "$1" = flame ]; then taskset -c 1 "$CTL" -s "$TMP/flame.sock" status >/dev/null; else taskset -c 1 knotc -c "$TMP/knot.conf" status >/dev/null; fi
}

declare -A RES
run_server() {
	local s=$1 port t0 t1 a="" b="" c="" k
	if [ "$s" = flame ]; then
		port=$FP
		flame_conf "$KEYS"
		start flame "$FLAME" -c "$TMP/flame.yaml"
	else
		port=$KP
		knot_conf "$KEYS"
		start knotd knotd -c "$TMP/knot.conf"
	fi
	ready "$port" || { log "$s did not start (see $TMP/$s.log)"; return 1; }
	# a. reload, nothing changed
	for _ in $(seq 1 "$R"); do
		t0=$(now_ns)
		reload_cmd "$s" || { log "$s: reload failed"; return 1; }
		t1=$(now_ns)
		a="$a $(ms "$t0" "$t1")"
	done
	# b. a new key in force
	local list=$KEYS
	for i in $(seq 1 "$R"); do
		k="new$s$i"
		newkey "$k"
		list="$list,$k"
		if [ "$s" = flame ]; then flame_conf "$list"; else knot_conf "$list"; fi
		axfr_ok "$port" "$k" && { log "$s: key $k worked before the reload?"; return 1; }
		t0=$(now_ns)
		reload_cmd "$s" || { log "$s: reload failed"; return 1; }
		local ok=0
		for _ in $(seq 1 2000); do
			axfr_ok "$port" "$k" && { ok=1; break; }
			sleep 0.005
		done
		t1=$(now_ns)
		[ "$ok" = 1 ] || { log "$s: the new key $k never worked"; return 1; }
		b="$b $(ms "$t0" "$t1")"
	done
	# c. control round trip
	for _ in $(seq 1 "$R"); do
		t0=$(now_ns)
		status_cmd "$s" || { log "$s: status failed"; return 1; }
		t1=$(now_ns)
		c="$c $(ms "$t0" "$t1")"
	done
	# d. dnsperf during reloads
	for i in $(seq 1 "$NZ"); do echo "z$i.bench SOA"; done >"$TMP/q.txt"
	taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$TMP/q.txt" -Q 5000 -l 6 >"$TMP/$s.dnsperf" 2>&1 &
	local dp=$!
	local nrel=0
	for _ in $(seq 1 20); do
		sleep 0.25
		reload_cmd "$s" && nrel=$((nrel + 1))
	done
	wait "$dp"
	local lost sent
	sent=$(sed -n 's/.*Queries sent: *\([0-9]*\).*/\1/p' "$TMP/$s.dnsperf")
	lost=$(sed -n 's/.*Queries lost: *\([0-9]*\).*/\1/p' "$TMP/$s.dnsperf")
	RES[$s]="reload (nothing changed), ms p50 / p90 / max: $(stats "$a")
new key in force (reload + first AXFR with it), ms p50 / p90 / max: $(stats "$b")
control round trip (status), ms p50 / p90 / max: $(stats "$c")
dnsperf 5,000 qps for 6 s during $nrel reloads: ${sent:-?} sent, ${lost:-?} lost
RSS after the run: $(awk '/VmRSS/ { printf "%.1f MiB", $2 / 1024 }' "/proc/${PIDS[-1]}/status" 2>/dev/null)"
	kill "${PIDS[-1]}" 2>/dev/null && wait "${PIDS[-1]}" 2>/dev/null
	unset 'PIDS[-1]'
}

log "$NZ zones, $NK keys, $R repetitions"
run_server flame || exit 1
run_server knotd || exit 1
{
	echo "reload bench, $(date -u +%FT%TZ), $NZ zones of 10 records, $NK TSIG keys, $R repetitions; server on CPU 0, clients on CPU 1"
	echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "flame-dnsd ($(git rev-parse --short HEAD 2>/dev/null)):"
	sed 's/^/  /' <<<"${RES[flame]}"
	echo "knotd $(knotd --version 2>/dev/null | head -n1 | awk '{print $NF}'):"
	sed 's/^/  /' <<<"${RES[knotd]}"
} | tee "$OUT/reload.txt"
