#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Benchmarks: flame-dnsd against knotd, nsd and a no-lookup UDP echo floor.
# Run by `make bench` (after `make all`); not part of `make check`.
#
# Each server runs one worker (flame --workers 1, knotd udp/tcp-workers 1,
# nsd server-count 1, rrl-ratelimit 0) pinned to CPU 0; dnsperf is pinned to
# CPU 1. For each dataset (a generated 100,000-record zone; the example zones
# in zonefiles/, or conformance/zones when that is empty):
#   UDP and TCP, saturated (-c 4 -q 200) and fixed offered load (-Q 100000),
#   repeated BENCH_ROUNDS times with the servers taking turns (median reported),
#   qps from dnsperf and server CPU time per completed query (utime+stime of
#   the server's process tree from /proc before/after, divided by completed).
# Then memory and load time: each server loads a 1,000,000-record zone;
#   reported: proportional set size of the process tree after load minus that
#   of the same server with a 3-record zone, per record, and the time from
#   exec to the first SOA answer.
# Output: a markdown report on stdout and in bench/out/results.md.
# Environment: BUILD (build), BENCH_SECS (10), BENCH_QPS (100000),
#   BENCH_ROUNDS (3: servers take turns, medians reported),
#   BENCH_SKIP_1M=1 to skip the memory part, BENCH_SKIP_PERF=1 to run only it,
#   BENCH_SERVERS ("flame knotd nsd echo"), BENCH_DATASETS ("100k 100k-signed examples").
# Ports 35300-35399 only; only the PIDs started here are ever killed.
set -u
cd "$(dirname "$0")/.."

BUILD="${BUILD:-build}"
SECS="${BENCH_SECS:-8}"
ROUNDS="${BENCH_ROUNDS:-3}"
FIXED_QPS="${BENCH_QPS:-100000}"
SERVERS="${BENCH_SERVERS:-flame knotd nsd echo}"
OUT=bench/out
PORT_BASE=35300
FLAME="$BUILD/flame-dnsd"
GENZONE="$BUILD/tools/genzone"
ECHO="$BUILD/tools/echo"
DNSDIFF="$BUILD/tools/dnsdiff"
SIGNZONE="$BUILD/tools/signzone"
HZ=$(getconf CLK_TCK)

for bin in dnsperf kdig taskset "$GENZONE" "$ECHO" "$DNSDIFF" "$SIGNZONE"; do
	command -v "$bin" >/dev/null 2>&1 || { echo "bench: $bin missing (make all; make deps)"; exit 1; }
done
if [ ! -x "$FLAME" ]; then
	echo "bench: $FLAME not built: benchmarking the other servers only"
	SERVERS=$(echo "$SERVERS" | sed 's/flame//')
fi
command -v knotd >/dev/null 2>&1 || SERVERS=$(echo "$SERVERS" | sed 's/knotd//')
command -v nsd >/dev/null 2>&1 || SERVERS=$(echo "$SERVERS" | sed 's/nsd//')

mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/flame-bench.XXXXXX) || exit 1
PIDS=()
source bench/lib/common.bash
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "bench: $*" >&2; }

# ---- datasets ---------------------------------------------------------------
prepare_data() {
	mkdir -p "$OUT/zones-1m" "$OUT/zones-empty" "$OUT/zones-examples"
	bench_zone_100k "$GENZONE" "$OUT" || return 1
	# The same zone signed once by flame's signer (ECDSAP256SHA256 CSK, NSEC),
	# served pre-signed by every server and asked with DO=1: what answering
	# with RRSIGs and NSEC proofs costs (the same queries).
	mkdir -p "$OUT/zones-100k-signed"
	if [ ! -s "$OUT/zones-100k-signed/bench.test.zone" ]; then
		mkdir -p "$TMP/signkeys" && "$SIGNZONE" -o bench.test. -k "$TMP/signkeys" "$OUT/zones-100k/bench.test.zone" \
			>"$OUT/zones-100k-signed/bench.test.zone" || return 1
	fi
	cp "$OUT/q-100k.txt" "$OUT/q-100k-signed.txt"
	if [ "${BENCH_SKIP_1M:-0}" != 1 ] && [ ! -s "$OUT/zones-1m/big.test.zone" ]; then
		"$GENZONE" -n 1000000 -o big.test. -z "$OUT/zones-1m/big.test.zone" -q "$OUT/q-1m.txt" -c 1000 || return 1
	fi
	printf '$TTL 3600\n@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n@ IN NS ns1\nns1 IN A 192.0.2.1\n' \
		>"$OUT/zones-empty/empty.test.zone"
	# example zones: zonefiles/ when it has any, else the conformance zones
	local src=zonefiles
	ls zonefiles/*.zone >/dev/null 2>&1 || src=conformance/zones
	rm -f "$OUT/zones-examples"/*.zone
	# Expanded by named-compilezone ($GENERATE, $INCLUDE) so that every server
	# and the query generator load exactly the same records.
	local f
	for f in "$src"/*.zone; do
		if command -v named-compilezone >/dev/null 2>&1; then
			(cd "$src" && named-compilezone -q -i none -k ignore -s full \
				-o "$OLDPWD/$OUT/zones-examples/$(basename "$f")" "$(basename "$f" .zone)" "$(basename "$f")") ||
				return 1
		else
			cp "$f" "$OUT/zones-examples/"
		fi
	done
	EXAMPLES_SRC=$src
	# queries: the ones the conformance tool generates from these zones (every
	# owner x its types and a list of other types, names below each node, ...)
	"$DNSDIFF" -l "$OUT/zones-examples" >"$OUT/q-examples.txt" || return 1
	[ -s "$OUT/q-examples.txt" ] || return 1
}

# ---- process accounting ---------------------------------------------------------
descendants() { # pid -> pid and all its descendants
	local p=$1 c
	echo "$p"
	for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do descendants "$c"; done
}
cpu_ticks() { # utime+stime of the process tree, in clock ticks
	local t=0 p rest
	for p in $(descendants "$1"); do
		rest=$(sed 's/^.*) //' /proc/"$p"/stat 2>/dev/null) || continue
		set -- $rest
		t=$((t + ${12} + ${13}))
	done
	echo "$t"
}
pss_kb() { # proportional set size of the process tree (shared pages split)
	local t=0 p v
	for p in $(descendants "$1"); do
		v=$(awk '/^Pss:/ { print $2 }' /proc/"$p"/smaps_rollup 2>/dev/null)
		t=$((t + ${v:-0}))
	done
	echo "$t"
}
rss_kb() {
	local t=0 p v
	for p in $(descendants "$1"); do
		v=$(awk '/^VmRSS:/ { print $2 }' /proc/"$p"/status 2>/dev/null)
		t=$((t + ${v:-0}))
	done
	echo "$t"
}

# ---- servers ------------------------------------------------------------------
# start_server NAME ZONEDIR PORT: sets SPID and LOAD_MS (exec to first SOA answer).
start_server() {
	local name=$1 dir=$2 port=$3 d="$TMP/$1-$3" z first
	mkdir -p "$d"
	first=$(basename "$(ls "$dir"/*.zone | head -1)" .zone).
	local t0
	t0=$(date +%s%N)
	case "$name" in
	flame)
		taskset -c 0 "$FLAME" --zone-dir "$dir" --listen "127.0.0.1@$port" --workers 1 >"$d/log" 2>&1 &
		;;
	knotd)
		mkdir -p "$d/run" "$d/db"
		{
			printf 'server:\n    rundir: "%s/run"\n    listen: 127.0.0.1@%s\n' "$d" "$port"
			printf '    udp-workers: 1\n    tcp-workers: 1\n    background-workers: 1\n'
			printf 'database:\n    storage: "%s/db"\nlog:\n  - target: stderr\n    any: warning\n' "$d"
			printf 'template:\n  - id: default\n    storage: "%s"\n    file: "%%s.zone"\n' "$PWD/$dir"
			printf '    zonefile-load: whole\n    zonefile-sync: -1\n    journal-content: none\n'
			printf '    semantic-checks: off\nzone:\n'
			for z in "$dir"/*.zone; do printf '  - domain: %s.\n' "$(basename "$z" .zone)"; done
		} >"$d/knot.conf"
		taskset -c 0 knotd -c "$d/knot.conf" >"$d/log" 2>&1 &
		;;
	nsd)
		{
			printf 'server:\n    ip-address: 127.0.0.1@%s\n    server-count: 1\n    username: ""\n' "$port"
			printf '    zonesdir: "%s"\n    database: ""\n    zonelistfile: "%s/zone.list"\n' "$PWD/$dir" "$d"
			printf '    pidfile: "%s/nsd.pid"\n    xfrdfile: "%s/xfrd.state"\n    xfrdir: "%s"\n' "$d" "$d" "$d"
			printf '    logfile: "%s/log"\n    verbosity: 0\n    rrl-ratelimit: 0\n    tcp-count: 256\n' "$d"
			printf 'remote-control:\n    control-enable: no\n'
			for z in "$dir"/*.zone; do
				printf 'zone:\n    name: %s\n    zonefile: %s\n' "$(basename "$z" .zone)" "$(basename "$z")"
			done
		} >"$d/nsd.conf"
		taskset -c 0 nsd -d -c "$d/nsd.conf" >"$d/out" 2>&1 &
		;;
	echo)
		taskset -c 0 "$ECHO" "127.0.0.1@$port" >"$d/log" 2>&1 &
		;;
	esac
	SPID=$!
	PIDS+=("$SPID")
	local i
	for i in $(seq 1 6000); do # up to 300 s for the 1M zone
		kill -0 "$SPID" 2>/dev/null || { log "$name exited at start-up"; cat "$d"/log "$d"/out 2>/dev/null | tail -5 >&2; return 1; }
		if [ "$name" = echo ]; then
			grep -q ready "$d/log" && break
		elif kdig @127.0.0.1 -p "$port" +tcp +time=1 +retry=0 +short "$first" SOA 2>/dev/null | grep -q .; then
			break # over TCP: a closed port fails at once instead of waiting for a UDP timeout
		fi
		sleep 0.05
	done
	LOAD_MS=$((($(date +%s%N) - t0) / 1000000))
	return 0
}
stop_server() {
	kill "$SPID" 2>/dev/null
	wait "$SPID" 2>/dev/null
	local keep=()
	for p in "${PIDS[@]}"; do [ "$p" != "$SPID" ] && keep+=("$p"); done
	PIDS=("${keep[@]}")
}

# run_perf SERVER PORT QFILE PROTO MODE -> "qps completed_pct cpu_us_per_query avg_latency_us"
run_perf() {
	local port=$2 qfile=$3 proto=$4 mode=$5 args=() f="$TMP/perf.out"
	[ "$proto" = tcp ] && args+=(-m tcp)
	[ "$DO" = 1 ] && args+=(-D)
	if [ "$mode" = fixed ]; then args+=(-c 4 -Q "$FIXED_QPS"); else args+=(-c 4 -q 200); fi
	local c0 c1
	c0=$(cpu_ticks "$SPID")
	taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$qfile" -l "$SECS" -t 2 "${args[@]}" >"$f" 2>&1
	c1=$(cpu_ticks "$SPID")
	local qps done pct
	qps=$(awk '/Queries per second:/ { printf "%d", $4 }' "$f")
	done=$(awk '/Queries completed:/ { print $3 }' "$f")
	pct=$(awk '/Queries completed:/ { gsub(/[()%]/, "", $4); print $4 }' "$f")
	if [ -z "$qps" ] || [ -z "$done" ] || [ "$done" = 0 ]; then
		echo "- - - -"
		return
	fi
	local lat
	# dnsperf's TCP latency figures are not per-query round trips: report UDP only
	lat=-
	[ "$proto" = udp ] && lat=$(awk '/Average Latency/ { printf "%.0f", $4 * 1e6 }' "$f")
	awk -v t=$((c1 - c0)) -v hz="$HZ" -v n="$done" -v q="$qps" -v p="$pct" -v l="${lat:--}" \
		'BEGIN { printf "%d %s %.2f %s\n", q, p, t / hz / n * 1e6, l }'
}

ratio() { # a b -> a/b with 2 decimals, or "-"
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'
}

# ---- main -------------------------------------------------------------------------
prepare_data || { echo "bench: cannot prepare the datasets"; exit 1; }
log "servers: $SERVERS; $SECS s per run; fixed load $FIXED_QPS qps; examples from $EXAMPLES_SRC"

declare -A QPS CPU PCT LAT CPUALL
DATASETS="${BENCH_DATASETS:-100k 100k-signed examples}"
[ "${BENCH_SKIP_PERF:-0}" = 1 ] && DATASETS=""
port=$PORT_BASE
# median VALUES...: the middle value ("-" entries ignored)
median() {
	printf '%s\n' "$@" | grep -v '^-$' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else print v[int((NR + 1) / 2)] }'
}
# Servers take turns round by round, so a slow spell of the machine (this is
# a VM) hits every server alike; each figure is the median of the rounds.
declare -A RQ RP RC RL
for ds in $DATASETS; do
	dir="$OUT/zones-$ds"
	qfile="$OUT/q-$ds.txt"
	DO=0
	[ "$ds" = 100k-signed ] && DO=1
	for round in $(seq 1 "$ROUNDS"); do
		for srv in $SERVERS; do
			port=$((port + 1))
			log "$srv on $ds (port $port), round $round/$ROUNDS"
			start_server "$srv" "$dir" "$port" || continue
			for proto in udp tcp; do
				[ "$srv" = echo ] && [ "$proto" = tcp ] && continue
				for mode in saturated fixed; do
					read -r q p c l <<<"$(run_perf "$srv" "$port" "$qfile" "$proto" "$mode")"
					k="$ds/$proto/$mode/$srv"
					RQ[$k]="${RQ[$k]:-} $q"; RP[$k]="${RP[$k]:-} $p"; RC[$k]="${RC[$k]:-} $c"; RL[$k]="${RL[$k]:-} $l"
					log "  $proto $mode: $q qps, $p% completed, $c us CPU/query, $l us avg latency"
				done
			done
			stop_server
		done
	done
done
for k in "${!RQ[@]}"; do
	# shellcheck disable=SC2086
	QPS[$k]=$(median ${RQ[$k]}); PCT[$k]=$(median ${RP[$k]}); CPU[$k]=$(median ${RC[$k]}); LAT[$k]=$(median ${RL[$k]})
	CPUALL[$k]="${RC[$k]# }"
done

declare -A MEM LOADMS RSS
NMEM=0
if [ "${BENCH_SKIP_1M:-0}" != 1 ]; then
	for srv in $SERVERS; do
		[ "$srv" = echo ] && continue
		port=$((port + 1))
		start_server "$srv" "$OUT/zones-empty" "$port" || continue
		sleep 1
		base=$(pss_kb "$SPID")
		base_rss=$(rss_kb "$SPID")
		stop_server
		port=$((port + 1))
		log "$srv loading 1,000,000 records"
		start_server "$srv" "$OUT/zones-1m" "$port" || continue
		sleep 1
		full=$(pss_kb "$SPID")
		full_rss=$(rss_kb "$SPID")
		LOADMS[$srv]=$LOAD_MS
		NMEM=$((NMEM + 1))
		MEM[$srv]=$(awk -v a="$full" -v b="$base" 'BEGIN { printf "%.0f", (a - b) * 1024 / 1000000 }')
		RSS[$srv]="$((full_rss / 1024)) MiB (baseline $((base_rss / 1024)) MiB)"
		log "  $srv: load ${LOAD_MS} ms, ${MEM[$srv]} B/record (PSS $((full / 1024)) MiB, baseline $((base / 1024)) MiB)"
		stop_server
	done
fi

# ---- report --------------------------------------------------------------------------
{
	echo "# flame-dns benchmarks"
	echo
	echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo))."
	echo "One worker per server pinned to CPU 0, dnsperf pinned to CPU 1, ${SECS} s per run, ${ROUNDS} rounds with the servers taking turns: medians (all CPU figures in the last column)."
	echo "Saturated: \`dnsperf -c 4 -q 200\`; fixed: \`dnsperf -c 4 -Q $FIXED_QPS\`. CPU = server utime+stime per completed query."
	echo "Datasets: 100k = generated 100,000-record zone (70% hits, 15% NXDOMAIN, 15% NODATA); 100k-signed = the same zone signed once by flame's signer (ECDSAP256SHA256, NSEC), served pre-signed by all, the same queries with DO=1 (\`dnsperf -D\`: RRSIGs, NSEC proofs); examples = $EXAMPLES_SRC with the queries \`dnsdiff -l\` generates from them."
	echo
	echo "| dataset | proto | load | server | qps | completed % | avg latency µs | CPU µs/query | qps flame/knotd | qps flame/nsd | CPU flame/knotd | CPU flame/nsd | CPU per round |"
	echo "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
	for ds in $DATASETS; do
		for proto in udp tcp; do
			for mode in saturated fixed; do
				for srv in $SERVERS; do
					k="$ds/$proto/$mode/$srv"
					[ -n "${QPS[$k]:-}" ] || continue
					r1=- r2=- r3=- r4=-
					if [ "$srv" = flame ]; then
						r1=$(ratio "${QPS[$k]}" "${QPS[$ds/$proto/$mode/knotd]:--}")
						r2=$(ratio "${QPS[$k]}" "${QPS[$ds/$proto/$mode/nsd]:--}")
						r3=$(ratio "${CPU[$k]}" "${CPU[$ds/$proto/$mode/knotd]:--}")
						r4=$(ratio "${CPU[$k]}" "${CPU[$ds/$proto/$mode/nsd]:--}")
					fi
					echo "| $ds | $proto | $mode | $srv | ${QPS[$k]} | ${PCT[$k]} | ${LAT[$k]} | ${CPU[$k]} | $r1 | $r2 | $r3 | $r4 | ${CPUALL[$k]} |"
				done
			done
		done
	done
	if [ "$NMEM" -gt 0 ]; then
		echo
		echo "Memory and load time, 1,000,000-record zone (PSS of the process tree after load minus the same server with a 3-record zone):"
		echo
		echo "| server | bytes/record | load time ms | RSS after load | flame/server bytes ratio |"
		echo "|---|---:|---:|---|---:|"
		for srv in $SERVERS; do
			[ -n "${MEM[$srv]:-}" ] || continue
			r=-
			[ -n "${MEM[flame]:-}" ] && r=$(ratio "${MEM[flame]}" "${MEM[$srv]}")
			echo "| $srv | ${MEM[$srv]} | ${LOADMS[$srv]} | ${RSS[$srv]} | $r |"
		done
	fi
} | tee "$OUT/results.md"
