#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Secondary benchmarks (run by `make bench` after bench/xfr.sh, or alone):
#  1. primary -> secondary propagation: zone file rename on the primary to the
#     new serial answered by the secondary, p50/p99 over BENCH_CHANGES (50)
#     changes, for a small zone (zonefiles/example.com.zone) and the generated
#     100,000-record zone; flame-dnsd -> flame-dnsd beside knotd -> knotd.
#     Each change gives one A record (bench-change, appended to the zone) a new
#     address and bumps the SOA serial: a one-RR IXFR. knotd does not watch
#     files: `knotc zone-reload` is run right after the rename, inside the
#     timed interval. Polling: bench/propagate.py, raw UDP SOA every 0.2 ms.
#  2. catch-up: the secondary is stopped (SIGSTOP), the primary takes
#     BENCH_CATCHUP (100) changes, each answered by the primary before the
#     next, then SIGCONT: time until the secondary answers the last serial,
#     with the secondary's transfer log lines of that catch-up.
# Primaries are pinned to CPU 0, secondaries to CPU 1 (the poller is not
# pinned); every server has one UDP and one TCP worker (knotd also one
# background worker). Transfers are TSIG-signed (hmac-sha256), NOTIFY too.
# The knotd primary waits 200 ms (tcp-remote-io-timeout, default 5 s) for a
# NOTIFY answer: its zone events run one at a time, so with the default each
# change would take 5 s while the secondary is stopped. The cost of one knotc
# run (median of 5 `knotc status`, a spare knotd on port 35479) is reported.
# Environment: BENCH_CHANGES (50), BENCH_CATCHUP (100), BENCH_SERVERS
# ("flame knotd"), BENCH_SECONDARY_LOG (the flame secondary's log level,
# notice), BENCH_VERBOSE=1 (every change's time on stderr), BENCH_KEEP=1
# (keep the temporary directory: configs, server logs).
# Output: a report on stdout and in bench/out/secondary.txt.
# Ports 35460-35479 only; only the PIDs started here are ever killed.
set -u
cd "$(dirname "$0")/.."
BUILD="${BUILD:-build}"
OUT=bench/out
FLAME="$BUILD/flame-dnsd"
GENZONE="$BUILD/tools/genzone"
CHANGES="${BENCH_CHANGES:-50}"
CATCHUP="${BENCH_CATCHUP:-100}"
SERVERS="${BENCH_SERVERS:-flame knotd}"
for bin in kdig knotd knotc tsig-keygen python3 taskset "$FLAME" "$GENZONE"; do
	command -v "$bin" >/dev/null 2>&1 || { echo "secondary bench: $bin missing (make all; make deps)"; exit 1; }
done
source bench/lib/common.bash
bench_zone_100k "$GENZONE" "$OUT" || { echo "secondary bench: cannot generate the 100k zone"; exit 1; }

TMP=$(mktemp -d /tmp/flame-sbench.XXXXXX) || exit 1
PIDS=()
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "secondary bench: $*" >&2; }

wait_up() { # PORT ZONE SECONDS PID: until the server answers the zone's SOA over TCP
	local i
	for i in $(seq 1 $(($3 * 10))); do
		kill -0 "$4" 2>/dev/null || return 1
		kdig @127.0.0.1 -p "$1" +tcp +time=1 +retry=0 +short "$2" SOA 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	return 1
}
# launch CPU PORT ZONE LOG CMD...: start a server pinned to CPU, wait (60 s)
# until it answers the zone's SOA; sets LPID. The ports are in the ephemeral
# range: when a client socket happens to hold one, the bind fails, so retry.
launch() {
	local cpu=$1 port=$2 zone=$3 lf=$4 try
	shift 4
	for try in 1 2 3 4 5; do
		taskset -c "$cpu" "$@" >"$lf" 2>&1 &
		LPID=$!
		PIDS+=("$LPID")
		if wait_up "$port" "$zone" 60 "$LPID"; then return 0; fi
		kill "$LPID" 2>/dev/null; wait "$LPID" 2>/dev/null
		tail -3 "$lf" >&2
		grep -qi 'in use' "$lf" || return 1
		log "port $port busy, retrying in 2 s"
		sleep 2
	done
	return 1
}
stop_all() {
	local p
	for p in "${PIDS[@]}"; do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	PIDS=()
}

tsig-keygen -a hmac-sha256 xfr-key >"$TMP/xfr.key" || exit 1
SECRET=$(sed -n 's/.*secret "\(.*\)";.*/\1/p' "$TMP/xfr.key")
[ -n "$SECRET" ] || { echo "secondary bench: no secret in tsig-keygen output"; exit 1; }

# zone sources: the small zone and the 100k zone, each with the record the
# changes rewrite appended
mkdir -p "$TMP/src"
cp zonefiles/example.com.zone "$TMP/src/example.com.zone"
cp "$OUT/zones-100k/bench.test.zone" "$TMP/src/bench.test.zone"
for z in example.com bench.test; do echo "bench-change 300 IN A 10.255.0.0" >>"$TMP/src/$z.zone"; done

# start_pair SERVER ZONE PPORT SPORT: primary and secondary, sets PPID_ SPID_ D
start_pair() {
	local srv=$1 zone=$2 pp=$3 sp=$4
	D="$TMP/$srv-$zone"
	mkdir -p "$D/p/zones" "$D/p/db" "$D/s/zones" "$D/s/db" "$D/p/run" "$D/s/run"
	cp "$TMP/src/$zone.zone" "$D/p/zones/"
	if [ "$srv" = flame ]; then
		cat >"$D/p.yaml" <<-EOF
			server: { listen: ["127.0.0.1@$pp"], workers: 1 }
			log: { level: notice }
			zones: { directory: "$D/p/zones", storage: "$D/p/db", journal-max-changesets: 200 }
			keys: { files: [ "$TMP/xfr.key" ] }
			transfer: { allow: [ "127.0.0.1 key xfr-key" ] }
			notify: { targets: [ "127.0.0.1@$sp key xfr-key" ] }
		EOF
		cat >"$D/s.yaml" <<-EOF
			server: { listen: ["127.0.0.1@$sp"], workers: 1 }
			log: { level: ${BENCH_SECONDARY_LOG:-notice} }
			zones: { directory: "$D/s/zones", storage: "$D/s/db", role: secondary, journal-max-changesets: 200 }
			keys: { files: [ "$TMP/xfr.key" ] }
			secondary: { primaries: [ "127.0.0.1@$pp key xfr-key" ] }
			zone:
			  - domain: $zone
		EOF
	else
		# one worker of each kind, own rundir (control socket) and storage
		local side port
		for side in p s; do
			port=$pp; [ $side = s ] && port=$sp
			cat >"$D/$side.conf" <<-EOF
				server:
				    rundir: "$D/$side/run"
				    listen: 127.0.0.1@$port
				    udp-workers: 1
				    tcp-workers: 1
				    background-workers: 1
				    # outgoing NOTIFY waits this long (default 5 s) for an answer and
				    # holds the zone's next event (the reload) meanwhile: with the
				    # default, every change takes 5 s while the secondary is stopped
				    tcp-remote-io-timeout: 200
				database:
				    storage: "$D/$side/db"
				log:
				  - target: stderr
				    any: info
				key:
				  - id: xfr-key
				    algorithm: hmac-sha256
				    secret: $SECRET
			EOF
		done
		cat >>"$D/p.conf" <<-EOF
			remote:
			  - id: secondary
			    address: 127.0.0.1@$sp
			    key: xfr-key
			acl:
			  - id: xfr
			    address: 127.0.0.1
			    key: xfr-key
			    action: transfer
			zone:
			  - domain: $zone.
			    storage: "$D/p/zones"
			    file: "%s.zone"
			    zonefile-load: difference
			    zonefile-sync: -1
			    journal-content: changes
			    journal-max-depth: 200
			    semantic-checks: off
			    notify: secondary
			    acl: xfr
		EOF
		cat >>"$D/s.conf" <<-EOF
			remote:
			  - id: primary
			    address: 127.0.0.1@$pp
			    key: xfr-key
			acl:
			  - id: notify
			    address: 127.0.0.1
			    key: xfr-key
			    action: notify
			zone:
			  - domain: $zone.
			    storage: "$D/s/zones"
			    file: "%s.zone"
			    master: primary
			    acl: notify
			    zonefile-sync: -1
			    journal-content: changes
			    journal-max-depth: 200
			    semantic-checks: off
		EOF
	fi
	local pcmd=(knotd -c "$D/p.conf") scmd=(knotd -c "$D/s.conf")
	[ "$srv" = flame ] && pcmd=("$FLAME" -c "$D/p.yaml") scmd=("$FLAME" -c "$D/s.yaml")
	launch 0 "$pp" "$zone" "$D/p.log" "${pcmd[@]}" || { log "$srv primary did not start"; return 1; }
	PPID_=$LPID
	launch 1 "$sp" "$zone" "$D/s.log" "${scmd[@]}" || { log "$srv secondary did not get the zone"; return 1; }
	SPID_=$LPID
	sleep 0.5
}

# transfer log lines of the secondary (flame: one notice per transfer; knotd: info)
xfr_lines() {
	if [ "$1" = flame ]; then grep -E ': (IXFR|AXFR)( |$)| IXFR from | AXFR from ' "$2"
	else grep -E '(IXFR|AXFR), incoming, .* (finished|fallback|failed)' "$2"; fi
}

REPORT="$TMP/report"
: >"$REPORT"
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
T_START=$(date +%s)
log "load average at start: $LOAD0"
KNOTC_MS=-
if [[ " $SERVERS " == *" knotd "* ]]; then
	# what one knotc invocation costs (inside the knotd figures): median of 5 `knotc status`
	mkdir -p "$TMP/kc/run" "$TMP/kc/db"
	printf 'server:\n    rundir: "%s/kc/run"\n    listen: 127.0.0.1@35479\n    udp-workers: 1\n    tcp-workers: 1\n    background-workers: 1\ndatabase:\n    storage: "%s/kc/db"\n' \
		"$TMP" "$TMP" >"$TMP/kc/knot.conf"
	taskset -c 0 knotd -c "$TMP/kc/knot.conf" >"$TMP/kc/log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 1 50); do knotc -c "$TMP/kc/knot.conf" status >/dev/null 2>&1 && break; sleep 0.1; done
	KNOTC_MS=$(for _ in 1 2 3 4 5; do
		t0=$(date +%s%N); knotc -c "$TMP/kc/knot.conf" status >/dev/null 2>&1; echo $((($(date +%s%N) - t0) / 100000))
	done | sort -n | sed -n 3p | awk '{ printf "%.1f", $1 / 10 }')
	stop_all
fi
declare -A P50 P99 PMIN PMAX PXFR CUMS CUXFR CUPRIM CULOAD PLOAD
i=0
for zone in example.com bench.test; do
	for srv in $SERVERS; do
		pp=$((35460 + i * 2)); sp=$((pp + 1)); i=$((i + 1))
		k=$srv/$zone
		log "$srv -> $srv, $zone (primary @$pp, secondary @$sp)"
		start_pair "$srv" "$zone" "$pp" "$sp" || { stop_all; continue; }
		after=()
		[ "$srv" = knotd ] && after=(--after "knotc -c '$D/p.conf' zone-reload $zone.")
		[ "${BENCH_VERBOSE:-0}" = 1 ] && after+=(--verbose)
		zf="$D/p/zones/$zone.zone"
		PLOAD[$k]=$(cut -d' ' -f1 /proc/loadavg)
		n0=$(xfr_lines "$srv" "$D/s.log" | wc -l)
		# "changes N p50 X ms p99 Y ms min A max B"
		r=$(timeout 200 python3 bench/propagate.py "$zf" "$zone" "$pp" "$CHANGES" --poll-port "$sp" \
			--change-a bench-change "${after[@]}")
		read -r _ _ _ P50[$k] _ _ P99[$k] _ _ PMIN[$k] _ PMAX[$k] <<<"${r:-x x x - x x - x x - x -}"
		n1=$(xfr_lines "$srv" "$D/s.log" | wc -l)
		nix=$(xfr_lines "$srv" "$D/s.log" | tail -n +$((n0 + 1)) | grep -c IXFR)
		PXFR[$k]="$((n1 - n0)) ($nix IXFR)"
		log "  propagation: ${r:-failed}; secondary transfers ${PXFR[$k]}"
		CULOAD[$k]=$(cut -d' ' -f1 /proc/loadavg)
		# "catch-up N changes (serial S) X ms after SIGCONT; primary per change p50 Y ms"
		r=$(timeout 200 python3 bench/propagate.py "$zf" "$zone" "$pp" "$CATCHUP" --poll-port "$sp" \
			--change-a bench-change --catchup "$SPID_" "${after[@]}")
		read -r _ _ _ _ _ CUMS[$k] _ _ _ _ _ _ _ CUPRIM[$k] _ <<<"${r:-x x x x x - x x x x x x x - x}"
		sleep 0.5
		CUXFR[$k]=$(xfr_lines "$srv" "$D/s.log" | tail -n +$((n1 + 1)) | wc -l)
		log "  ${r:-catch-up failed}"
		{
			echo "$srv secondary log, catch-up of $zone:"
			xfr_lines "$srv" "$D/s.log" | tail -n +$((n1 + 1)) | sed 's/^/    /'
		} >>"$REPORT"
		stop_all
	done
done
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
T_END=$(date +%s)

label() { if [ "$1" = bench.test ]; then echo "100k (bench.test)"; else echo "small ($1)"; fi; }
{
	echo "## Secondary: propagation and catch-up"
	echo
	echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs; load average $LOAD0 at start, $LOAD1 at end; $((T_END - T_START)) s."
	echo "Primary pinned to CPU 0, secondary to CPU 1, one UDP + one TCP worker each (knotd: also 1 background worker); TSIG hmac-sha256."
	echo "A change: one A record gets a new address + SOA serial bump, file renamed into place (a 1-RR IXFR)."
	echo "knotd does not watch files: \`knotc zone-reload\` right after the rename, inside the timed interval (one knotc run: $KNOTC_MS ms)."
	echo "knotd: primary zonefile-load: difference, journal-max-depth 200, tcp-remote-io-timeout 200 ms (NOTIFY wait); secondary journal-content: changes; zonefile-sync -1 on both."
	echo
	echo "Propagation: file rename on the primary -> new serial answered by the secondary, $CHANGES changes (ms):"
	echo
	printf '%-19s | %-14s | %8s | %8s | %8s | %8s | %-18s | %s\n' zone pair p50 p99 min max "secondary xfrs" "load 1m"
	for zone in example.com bench.test; do
		for srv in $SERVERS; do
			k=$srv/$zone
			[ -n "${P50[$k]:-}" ] || continue
			printf '%-19s | %-14s | %8s | %8s | %8s | %8s | %-18s | %s\n' "$(label $zone)" "$srv -> $srv" \
				"${P50[$k]}" "${P99[$k]}" "${PMIN[$k]}" "${PMAX[$k]}" "${PXFR[$k]}" "${PLOAD[$k]}"
		done
	done
	echo
	echo "Catch-up: secondary stopped (SIGSTOP), $CATCHUP changes on the primary (each answered by it), SIGCONT -> last serial answered by the secondary"
	echo "(primary ms/change: rename -> new serial answered by the primary; knotd's includes waiting out the previous change's NOTIFY timeout):"
	echo
	printf '%-19s | %-14s | %10s | %-9s | %-20s | %s\n' zone pair "catch-up ms" transfers "primary ms/change p50" "load 1m"
	for zone in example.com bench.test; do
		for srv in $SERVERS; do
			k=$srv/$zone
			[ -n "${CUMS[$k]:-}" ] || continue
			printf '%-19s | %-14s | %10s | %-9s | %-20s | %s\n' "$(label $zone)" "$srv -> $srv" \
				"${CUMS[$k]}" "${CUXFR[$k]}" "${CUPRIM[$k]}" "${CULOAD[$k]}"
		done
	done
	echo
	cat "$REPORT"
} | tee "$OUT/secondary.txt"
