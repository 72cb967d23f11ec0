#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Secondary side of a big zone: flame-dnsd and knotd as secondaries of the
# same flame-dnsd primary serving the 1,000,000-record zone (bench/genzone).
# For each secondary:
#   first copy  - secondary start -> zone answered (AXFR over TCP with TSIG,
#                 parse, build, persist: flame snapshot + journal, knotd its
#                 zone file), and the transfer line from its own log;
#   memory      - VmRSS of the secondary once the zone is served;
#   restart     - primary frozen (SIGSTOP), secondary stopped and started
#                 again -> zone answered from its own disk copy.
# Output: a table on stdout and bench/out/axfr-in.txt. Ports 35480-35481.
# Environment: BENCH_SERVERS ("flame knotd"), BENCH_KEEP=1 keeps the temp dir.
set -u
cd "$(dirname "$0")/.."
OUT=bench/out
FLAME="$PWD/build/flame-dnsd"
GENZONE=build/tools/genzone
PPORT=35480
SPORT=35481
ZONE=big.test
SERVERS="${BENCH_SERVERS:-flame knotd}"
[ -x "$FLAME" ] && [ -x "$GENZONE" ] || { echo "axfr-in bench: build first (make all)"; exit 1; }
mkdir -p "$OUT/zones-1m"
[ -s "$OUT/zones-1m/$ZONE.zone" ] ||
	"$GENZONE" -n 1000000 -o $ZONE. -z "$OUT/zones-1m/$ZONE.zone" -q "$OUT/q-1m.txt" -c 200000 ||
	{ echo "axfr-in bench: cannot generate the 1M zone"; exit 1; }

TMP=$(mktemp -d /tmp/flame-axfrin.XXXXXX) || exit 1
PIDS=()
source bench/lib/common.bash
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
now_ms() { date +%s%3N; }
# wait_soa PORT PID SECONDS: until the zone's SOA is answered (0) or the time is up / the process died (1)
wait_soa() {
	local i
	for i in $(seq 1 $(($3 * 50))); do
		kill -0 "$2" 2>/dev/null || return 1
		kdig @127.0.0.1 -p "$1" +tcp +time=1 +retry=0 +short $ZONE SOA 2>/dev/null | grep -q . && return 0
		sleep 0.02
	done
	return 1
}
rss_mb() { awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

tsig-keygen -a hmac-sha256 xfr-key >"$TMP/xfr.key" || exit 1
SECRET=$(sed -n 's/.*secret "\(.*\)";.*/\1/p' "$TMP/xfr.key")
mkdir -p "$TMP/p/zones"
cp "$OUT/zones-1m/$ZONE.zone" "$TMP/p/zones/"
printf '%s\n' "server: { listen: [\"127.0.0.1@$PPORT\"], workers: 1 }" \
	"zones: { directory: \"$TMP/p/zones\" }" \
	"keys: { files: [ \"$TMP/xfr.key\" ] }" \
	"transfer: { allow: [ \"127.0.0.1 key xfr-key\" ] }" >"$TMP/p.yaml"
taskset -c 0 "$FLAME" -c "$TMP/p.yaml" >"$TMP/p.log" 2>&1 &
PP=$!
PIDS+=("$PP")
wait_soa $PPORT $PP 120 || { echo "axfr-in bench: primary did not start"; tail "$TMP/p.log"; exit 1; }

start_secondary() { # SERVER DIR -> SP
	local srv=$1 d=$2
	if [ "$srv" = flame ]; then
		taskset -c 1 "$FLAME" -c "$d/s.yaml" >>"$d/s.log" 2>&1 &
	else
		taskset -c 1 knotd -c "$d/s.conf" >>"$d/s.log" 2>&1 &
	fi
	SP=$!
	PIDS+=("$SP")
}

{
	echo "## Secondary of the 1,000,000-record zone ($(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg))"
	echo
	echo "Both pull from the same flame-dnsd primary (CPU 0; secondary on CPU 1), TSIG hmac-sha256, one worker each."
	echo
	echo "secondary | first copy: start -> answered (ms) | transfer in its log | RSS (MiB) | restart from disk -> answered (ms)"
	echo "---|---|---|---|---"
} >"$TMP/table"
for srv in $SERVERS; do
	d="$TMP/$srv"
	mkdir -p "$d/zones" "$d/db" "$d/run"
	if [ "$srv" = flame ]; then
		printf '%s\n' "server: { listen: [\"127.0.0.1@$SPORT\"], workers: 1 }" \
			"zones: { directory: \"$d/zones\", storage: \"$d/db\", role: secondary }" \
			"keys: { files: [ \"$TMP/xfr.key\" ] }" \
			"secondary: { primaries: [ \"127.0.0.1@$PPORT key xfr-key\" ], transfer-timeout: 120000 }" \
			"zone:" "  - domain: $ZONE" >"$d/s.yaml"
	else
		printf '%s\n' "server:" "    rundir: \"$d/run\"" "    listen: 127.0.0.1@$SPORT" \
			"    udp-workers: 1" "    tcp-workers: 1" "    background-workers: 1" \
			"database:" "    storage: \"$d/db\"" \
			"log:" "  - target: stderr" "    any: info" \
			"key:" "  - id: xfr-key" "    algorithm: hmac-sha256" "    secret: $SECRET" \
			"remote:" "  - id: primary" "    address: 127.0.0.1@$PPORT" "    key: xfr-key" \
			"zone:" "  - domain: $ZONE." "    storage: \"$d/zones\"" "    file: \"%s.zone\"" \
			"    master: primary" "    semantic-checks: off" >"$d/s.conf"
	fi
	kill -CONT "$PP"
	t0=$(now_ms)
	start_secondary "$srv" "$d"
	if ! wait_soa $SPORT "$SP" 180; then
		echo "axfr-in bench: $srv secondary did not get the zone" >&2
		tail -5 "$d/s.log" >&2
		continue
	fi
	t1=$(now_ms)
	sleep 1
	rss=$(rss_mb "$SP")
	if [ "$srv" = flame ]; then
		xline=$(grep -m1 'AXFR from' "$d/s.log" | sed 's/.*AXFR from [^:]*: //')
	else
		xline=$(grep -m1 -E 'AXFR, incoming.*finished' "$d/s.log" | sed 's/.*finished, //')
	fi
	sleep 3 # knotd flushes its zone file after the transfer
	kill -STOP "$PP"
	kill -TERM "$SP"
	wait "$SP" 2>/dev/null
	t2=$(now_ms)
	start_secondary "$srv" "$d"
	if wait_soa $SPORT "$SP" 180; then t3=$(now_ms); restart=$((t3 - t2)); else restart="failed"; fi
	kill -TERM "$SP"
	wait "$SP" 2>/dev/null
	echo "$srv | $((t1 - t0)) | $xline | $rss | $restart" >>"$TMP/table"
done
kill -CONT "$PP"
tee "$OUT/axfr-in.txt" <"$TMP/table"
