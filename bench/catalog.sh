#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Catalog zone benchmarks (RFC 9432): a producer serves a catalog of member
# zones, a consumer (another CPU) configures every member from it and
# transfers it. For each pair (knotd -> knotd: catalog-role generate ->
# interpret; flame -> flame: catalog: producer -> consumer):
#  a. one new member: zone file written (temporary name, renamed) and, for a
#     knotd producer, one knotc transaction (conf-begin, conf-set zone[NAME]
#     + its template, conf-commit; knotc reads the commands on stdin) ->
#     the consumer answers the member's SOA (NOERROR, AA); p50/p90/p99 over
#     BENCH_CATALOG_ONE (50) members, one after the other, 0.1-1 s apart
#     (seeded random pauses: see bench/catalog.py --gap); flame watches its
#     zone directory: the file alone is the action;
#  b. BENCH_CATALOG_BULK (1000) new members at once (all files, then one
#     knotc transaction) -> the consumer answers all of them;
#     BENCH_CATALOG_KNOT_ADD=reload: a and b add to a knotd producer by
#     appending the zone: entries to its config file and `knotc reload`
#     instead of the transaction (default txn);
#  c. the consumer started (empty storage) beside a producer of
#     BENCH_CATALOG_MANY (10000) members -> all answered, and its VmRSS;
#     then stopped and started again on its own storage -> all answered,
#     VmRSS again.
# Every time runs from just before the action (file write / consumer exec)
# to the consumer's answer, polled by bench/catalog.py with raw UDP SOA
# queries, round robin over the members not answered yet, at most 5000/s
# for a., 10,000/s for b., 20,000/s for c. (a round over N pending members
# takes N/rate: when they all become answerable at once, the last answer is
# seen up to that late; the report gives, as ">= B", the last answer that was
# still not the SOA: all were answerable between B and the time reported;
# "all at first answer, F" when no answer was ever other than the SOA).
# Producer pinned to CPU 0, consumer to CPU 1 (the poller is not pinned: it
# shares the two CPUs with them);
# one UDP, one TCP and (knotd) one background worker each; transfers and
# NOTIFYs TSIG-signed (hmac-sha256). knotd logs at notice (BENCH_CATALOG_LOG).
# The flame pair runs only when flame-dnsd accepts the catalog config
# (`flame-dnsd -c FILE --check`); else it is reported as skipped. Its configs
# are the catalog config of conformance/catalog.sh.
# A server is started only once no socket holds its port (TIME-WAIT after
# thousands of transfers: up to 60 s), outside the timed intervals.
# Environment: BENCH_CATALOG_PAIRS ("knotd flame"), BENCH_CATALOG_ONE (50),
# BENCH_CATALOG_BULK (1000), BENCH_CATALOG_MANY (10000), BENCH_CATALOG_LOG
# (knotd's log level, notice), BENCH_CATALOG_KNOT_ADD (txn or reload),
# BENCH_VERBOSE=1 (a.: each member's time on stderr), BENCH_KEEP=1 (keep the
# temporary directory: configs, server logs).
# Output: a report on stdout and in bench/out/catalog.txt.
# Ports 35490-35499 only; only the PIDs started here are ever killed.
set -u
cd "$(dirname "$0")/.."
BUILD="${BUILD:-build}"
OUT=bench/out
FLAME="$PWD/$BUILD/flame-dnsd"
PAIRS="${BENCH_CATALOG_PAIRS:-knotd flame}"
N_ONE="${BENCH_CATALOG_ONE:-50}"
N_BULK="${BENCH_CATALOG_BULK:-1000}"
N_MANY="${BENCH_CATALOG_MANY:-10000}"
LOGLEVEL="${BENCH_CATALOG_LOG:-notice}"
KNOT_ADD="${BENCH_CATALOG_KNOT_ADD:-txn}"
N_INIT=10
VERBOSE=()
[ "${BENCH_VERBOSE:-0}" = 1 ] && VERBOSE=(--verbose)
CAT=catalog.bench.invalid.
for bin in kdig knotd knotc tsig-keygen python3 taskset; do
	command -v "$bin" >/dev/null 2>&1 || { echo "catalog bench: $bin missing (make deps)"; exit 1; }
done
mkdir -p "$OUT"

TMP=$(mktemp -d /tmp/flame-catbench.XXXXXX) || exit 1
PIDS=()
source bench/lib/common.bash
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "catalog bench: $*" >&2; }
now_ns() { date +%s%N; }
rss_mb() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null; }
stop() { # stop PID: SIGTERM, bounded wait (30 s), SIGKILL
	local p=$1
	kill "$p" 2>/dev/null || return 0
	for _ in $(seq 1 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	local q keep=()
	for q in "${PIDS[@]}"; do [ "$q" = "$p" ] || keep+=("$q"); done
	PIDS=("${keep[@]}")
}
stop_all() {
	local p
	for p in "${PIDS[@]}"; do stop "$p"; done
	PIDS=()
}

tsig-keygen -a hmac-sha256 xfr-key >"$TMP/xfr.key" || exit 1
SECRET=$(sed -n 's/.*secret "\(.*\)";.*/\1/p' "$TMP/xfr.key")
TSIG="hmac-sha256:xfr-key:$SECRET"
names() { # names PREFIX COUNT FILE: PREFIX0001.bench.test ... one a line
	awk -v p="$1" -v n="$2" 'BEGIN { w = length(n ""); for (i = 1; i <= n; i++) printf "%s%0*d.bench.test\n", p, w, i }' >"$3"
}

# ---- configs: producer and consumer of each kind ------------------------------------
# producer_conf KIND DIR PORT CONSUMER-PORT NAMES: DIR/p.conf (knotd) or
# DIR/p.yaml (flame); member zone files in DIR/p/zones (written by the caller)
producer_conf() {
	local kind=$1 d=$2 pp=$3 sp=$4 nf=$5
	mkdir -p "$d/p/zones" "$d/p/db" "$d/p/run"
	if [ "$kind" = flame ]; then
		# flame assumption: `catalog: producer` makes the catalog of every
		# zone file of zones.directory, NOTIFYed to notify.targets
		cat >"$d/p.yaml" <<-EOF
			server: { listen: ["127.0.0.1@$pp"], workers: 1 }
			log: { level: notice }
			zones: { directory: "$d/p/zones", storage: "$d/p/db" }
			keys: { files: [ "$TMP/xfr.key" ] }
			transfer: { allow: [ "127.0.0.1 key xfr-key" ] }
			notify: { targets: [ "127.0.0.1@$sp key xfr-key" ] }
			zone:
			  - domain: $CAT
			    catalog: producer
		EOF
		return
	fi
	{
		cat <<-EOF
			server:
			    rundir: "$d/p/run"
			    listen: 127.0.0.1@$pp
			    udp-workers: 1
			    tcp-workers: 1
			    background-workers: 1
			    # a NOTIFY waits this long (default 5 s) for an answer, holding the zone's next event
			    tcp-remote-io-timeout: 200
			database:
			    storage: "$d/p/db"
			log:
			  - target: stderr
			    any: $LOGLEVEL
			key:
			  - id: xfr-key
			    algorithm: hmac-sha256
			    secret: $SECRET
			remote:
			  - id: consumer
			    address: 127.0.0.1@$sp
			    key: xfr-key
			acl:
			  - id: xfr
			    address: 127.0.0.1
			    key: xfr-key
			    action: transfer
			template:
			  - id: default
			    storage: "$d/p/zones"
			    file: "%s.zone"
			    zonefile-sync: -1
			    semantic-checks: off
			    acl: xfr
			    notify: consumer
			  - id: member
			    storage: "$d/p/zones"
			    file: "%s.zone"
			    zonefile-sync: -1
			    semantic-checks: off
			    acl: xfr
			    notify: consumer
			    catalog-role: member
			    catalog-zone: $CAT
			zone:
			  - domain: $CAT
			    catalog-role: generate
		EOF
		awk '{ printf "  - domain: %s.\n    template: member\n", $1 }' "$nf"
	} >"$d/p.conf"
}
# consumer_conf KIND DIR PORT PRODUCER-PORT: DIR/s.conf or DIR/s.yaml, storage in DIR/s
consumer_conf() {
	local kind=$1 d=$2 sp=$3 pp=$4
	mkdir -p "$d/s/zones" "$d/s/db" "$d/s/run" "$d/s/empty"
	if [ "$kind" = flame ]; then
		# flame assumption: `catalog: consumer`; members take the catalog
		# entry's primaries (no template here) and are kept in zones.storage
		cat >"$d/s.yaml" <<-EOF
			server: { listen: ["127.0.0.1@$sp"], workers: 1 }
			log: { level: notice }
			zones: { directory: "$d/s/empty", storage: "$d/s/db" }
			keys: { files: [ "$TMP/xfr.key" ] }
			zone:
			  - domain: $CAT
			    role: secondary
			    catalog: consumer
			    primaries: [ "127.0.0.1@$pp key xfr-key" ]
		EOF
		return
	fi
	cat >"$d/s.conf" <<-EOF
		server:
		    rundir: "$d/s/run"
		    listen: 127.0.0.1@$sp
		    udp-workers: 1
		    tcp-workers: 1
		    background-workers: 1
		database:
		    storage: "$d/s/db"
		log:
		  - target: stderr
		    any: $LOGLEVEL
		key:
		  - id: xfr-key
		    algorithm: hmac-sha256
		    secret: $SECRET
		remote:
		  - id: producer
		    address: 127.0.0.1@$pp
		    key: xfr-key
		acl:
		  - id: notify
		    address: 127.0.0.1
		    key: xfr-key
		    action: notify
		template:
		  - id: default
		    storage: "$d/s/zones"
		    zonefile-sync: -1
		    zonefile-load: none
		    journal-content: all
		    semantic-checks: off
		  # the catalog template: every member (zones kept in the journal, so
		  # a restart serves them from there)
		  - id: member
		    storage: "$d/s/zones"
		    zonefile-sync: -1
		    zonefile-load: none
		    journal-content: all
		    semantic-checks: off
		    master: producer
		    acl: notify
		zone:
		  - domain: $CAT
		    master: producer
		    acl: notify
		    catalog-role: interpret
		    catalog-template: member
	EOF
}
# port_free PORT: until no TCP socket has PORT as its local port (90 s at
# most). 10,000 transfers leave as many sockets in TIME-WAIT for 60 s, client
# ones on ephemeral ports (35490-35499 are in that range) and server ones on
# the producer's port: knotd 3.2.6 does not bind a port one of them holds.
port_free() {
	local i
	for i in $(seq 1 900); do
		[ -z "$(ss -Htan "( sport = :$1 )" 2>/dev/null)" ] && { [ "$i" -gt 1 ] && log "port $1 free after $((i / 10)) s"; return 0; }
		[ "$i" = 1 ] && log "port $1 held by $(ss -Htan "( sport = :$1 )" | awk '{print $1}' | sort | uniq -c | tr '\n' ' ')sockets: waiting"
		sleep 0.1
	done
	return 1
}
# start KIND SIDE CPU DIR PORT: the producer (p) or consumer (s) pinned to
# CPU; sets LPID. The ports are in the ephemeral range: a bind failure
# (port held by a client socket) is retried.
start() {
	local kind=$1 side=$2 cpu=$3 d=$4 port=$5 try cmd
	if [ "$kind" = flame ]; then cmd=("$FLAME" -c "$d/$side.yaml"); else cmd=(knotd -c "$d/$side.conf"); fi
	for try in 1 2 3 4 5; do
		port_free "$port"
		taskset -c "$cpu" "${cmd[@]}" >>"$d/$side.log" 2>&1 &
		LPID=$!
		PIDS+=("$LPID")
		for _ in $(seq 1 20); do
			kill -0 "$LPID" 2>/dev/null || break
			kdig @127.0.0.1 -p "$port" +tcp +time=1 +retry=0 "$CAT" SOA >/dev/null 2>&1 && return 0
			sleep 0.05
		done
		kill -0 "$LPID" 2>/dev/null && return 0 # slow to bind (big start-up): the caller waits
		tail -n3 "$d/$side.log" >&2
		grep -qi 'in use' "$d/$side.log" || return 1
		log "port $port busy, retrying in 2 s"
		sleep 2
	done
	return 1
}
# catalog_members PORT: members in the producer's catalog (AXFR with the key)
catalog_members() {
	kdig @127.0.0.1 -p "$1" +tcp +time=10 +retry=0 -y "$TSIG" "$CAT" AXFR 2>/dev/null | awk '!/^;/ && $4 == "PTR"' | wc -l
}
wait_catalog() { # wait_catalog PORT COUNT SECONDS PID
	local i n=0
	for i in $(seq 1 $(($3 * 5))); do
		kill -0 "$4" 2>/dev/null || return 1
		n=$(catalog_members "$1")
		[ "$n" -ge "$2" ] && return 0
		sleep 0.2
	done
	log "the producer's catalog has $n members, not $2, after $3 s"
	return 1
}
# flame_ok: flame-dnsd built and accepting the catalog configs (--check)
flame_ok() {
	[ -x "$FLAME" ] || { FLAME_WHY="$FLAME not built"; return 1; }
	local d="$TMP/flame-check" out
	mkdir -p "$d/p/zones" && names x 1 "$d/n" && python3 bench/catalog.py write "$d/p/zones" "$d/n"
	producer_conf flame "$d" 35498 35499 "$d/n"
	consumer_conf flame "$d" 35499 35498
	for f in p s; do
		if ! out=$("$FLAME" -c "$d/$f.yaml" --check 2>&1); then
			FLAME_WHY="flame-dnsd does not accept the catalog $([ $f = p ] && echo producer || echo consumer) config: $(head -n1 <<<"$out" | sed -E 's/^[^ ]+ [a-z]+: //')"
			return 1
		fi
	done
}

# ---- one pair ---------------------------------------------------------------------------
declare -A R
run_pair() { # run_pair KIND PRODUCER-PORT CONSUMER-PORT
	local kind=$1 pp=$2 sp=$3 d="$TMP/$1" r knotc=() ppid spid t0
	if [ "$kind" = knotd ]; then
		knotc=(--knotc "$d/p.conf")
		[ "$KNOT_ADD" = reload ] && knotc=(--knotc-reload "$d/p.conf")
	fi
	mkdir -p "$d"
	# -- a and b: a producer of N_INIT members, a consumer that has them
	names i "$N_INIT" "$d/init"
	names s "$N_ONE" "$d/one"
	names b "$N_BULK" "$d/bulk"
	producer_conf "$kind" "$d" "$pp" "$sp" "$d/init"
	python3 bench/catalog.py write "$d/p/zones" "$d/init"
	start "$kind" p 0 "$d" "$pp" || { log "$kind producer did not start"; return 1; }
	ppid=$LPID
	wait_catalog "$pp" "$N_INIT" 30 "$ppid" || { log "$kind producer: no catalog of $N_INIT"; tail -n5 "$d/p.log" >&2; return 1; }
	consumer_conf "$kind" "$d" "$sp" "$pp"
	port_free "$sp" # not inside the timed interval
	t0=$(now_ns)
	start "$kind" s 1 "$d" "$sp" || { log "$kind consumer did not start"; return 1; }
	spid=$LPID
	r=$(python3 bench/catalog.py wait "$sp" "$d/init" --t0-ns "$t0" --timeout 60) ||
		{ log "$kind consumer did not serve the $N_INIT initial members"; tail -n5 "$d/s.log" >&2; return 1; }
	R[$kind/init]=$r
	R[$kind/rss0]=$(rss_mb "$spid")
	log "$kind: consumer start with $N_INIT members: $r; RSS ${R[$kind/rss0]} MiB"
	R[$kind/load_a]=$(cut -d' ' -f1 /proc/loadavg)
	r=$(python3 bench/catalog.py wait "$sp" "$d/one" --write "$d/p/zones" "${knotc[@]}" --each --rate 5000 --timeout 30 "${VERBOSE[@]}") ||
		{ log "$kind: one-by-one adds failed"; tail -n5 "$d/s.log" >&2; }
	R[$kind/one]=$r
	log "$kind: a. one member at a time: ${r:-failed}"
	R[$kind/load_b]=$(cut -d' ' -f1 /proc/loadavg)
	r=$(python3 bench/catalog.py wait "$sp" "$d/bulk" --write "$d/p/zones" "${knotc[@]}" --rate 10000 --timeout 600) ||
		{ log "$kind: bulk add failed"; tail -n5 "$d/s.log" >&2; }
	R[$kind/bulk]=$r
	sleep 1
	R[$kind/rss1]=$(rss_mb "$spid")
	R[$kind/n1]=$((N_INIT + N_ONE + N_BULK))
	log "$kind: b. $N_BULK members at once: ${r:-failed}; consumer RSS ${R[$kind/rss1]} MiB with ${R[$kind/n1]} members"
	stop_all

	# -- c: the consumer's start with N_MANY members
	d="$TMP/$kind-many"
	mkdir -p "$d"
	names c "$N_MANY" "$d/many"
	producer_conf "$kind" "$d" "$pp" "$sp" "$d/many"
	python3 bench/catalog.py write "$d/p/zones" "$d/many"
	port_free "$pp"
	t0=$(now_ns)
	start "$kind" p 0 "$d" "$pp" || { log "$kind producer did not start"; return 1; }
	ppid=$LPID
	wait_catalog "$pp" "$N_MANY" 900 "$ppid" || { log "$kind producer: no catalog of $N_MANY"; tail -n5 "$d/p.log" >&2; return 1; }
	R[$kind/prod_many]=$((($(now_ns) - t0) / 1000000))
	log "$kind: producer of $N_MANY members ready (catalog complete) in ${R[$kind/prod_many]} ms"
	consumer_conf "$kind" "$d" "$sp" "$pp"
	R[$kind/load_c]=$(cut -d' ' -f1 /proc/loadavg)
	port_free "$sp" # not inside the timed interval
	t0=$(now_ns)
	start "$kind" s 1 "$d" "$sp" || { log "$kind consumer did not start"; return 1; }
	spid=$LPID
	r=$(python3 bench/catalog.py wait "$sp" "$d/many" --t0-ns "$t0" --rate 20000 --window 500 --timeout 1800) ||
		{ log "$kind consumer: $r"; tail -n5 "$d/s.log" >&2; }
	R[$kind/many]=$r
	sleep 2
	R[$kind/rss_many]=$(rss_mb "$spid")
	log "$kind: c. consumer first start with $N_MANY members: ${r:-failed}; RSS ${R[$kind/rss_many]} MiB"
	sleep 3 # let it settle (knotd: flush of the journal)
	stop "$spid"
	port_free "$sp" # not inside the timed interval
	t0=$(now_ns)
	start "$kind" s 1 "$d" "$sp" || { log "$kind consumer did not restart"; return 1; }
	spid=$LPID
	r=$(python3 bench/catalog.py wait "$sp" "$d/many" --t0-ns "$t0" --rate 20000 --window 500 --timeout 1800) ||
		{ log "$kind consumer restart: $r"; tail -n5 "$d/s.log" >&2; }
	R[$kind/restart]=$r
	sleep 2
	R[$kind/rss_restart]=$(rss_mb "$spid")
	log "$kind: c. consumer restart on its storage with $N_MANY members: ${r:-failed}; RSS ${R[$kind/rss_restart]} MiB"
	stop_all
}

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
T_START=$(date +%s)
SKIPPED=""
i=0
for kind in $PAIRS; do
	pp=$((35490 + i * 2)) sp=$((35491 + i * 2))
	i=$((i + 1))
	if [ "$kind" = flame ] && ! flame_ok; then
		log "flame -> flame skipped: $FLAME_WHY"
		SKIPPED="$SKIPPED flame -> flame skipped: $FLAME_WHY."
		continue
	fi
	log "$kind -> $kind (producer @$pp on CPU 0, consumer @$sp on CPU 1)"
	run_pair "$kind" "$pp" "$sp" || { log "$kind -> $kind failed"; stop_all; }
done
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
T_END=$(date +%s)

ms() { sed -nE 's/^served [0-9]+ zones in ([0-9.]+) ms.*/\1/p' <<<"${1:-}"; }
low() { # ">= B" (a member unanswered at B ms), or "first answer F" when none ever was
	local b f
	b=$(sed -nE 's/.*unanswered until ([0-9.]+) ms.*/\1/p' <<<"${1:-}")
	f=$(sed -nE 's/.*first answer ([0-9.]+) ms.*/\1/p' <<<"${1:-}")
	if [ "$b" = 0.0 ]; then echo "all at first answer, $f"; else echo ">= $b"; fi
}
act() { sed -nE 's/.*\(action ([0-9.]+) ms.*/\1/p' <<<"${1:-}"; }
{
	echo "## Catalog zones: producer -> consumer"
	echo
	echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs; load average $LOAD0 at start, $LOAD1 at end; $((T_END - T_START)) s."
	echo "Producer pinned to CPU 0, consumer to CPU 1; one UDP + one TCP worker each (knotd: 1 background worker); TSIG hmac-sha256 on transfers and NOTIFY."
	if [[ " $PAIRS " == *" knotd "* ]]; then
		if [ "$KNOT_ADD" = reload ]; then how="zone file + its zone: entry appended to the config file + knotc reload"; else how="zone file + one knotc transaction (conf-begin, conf-set, conf-commit; on stdin)"; fi
		echo "knotd: catalog-role generate -> interpret (catalog-template with master + notify acl, journal-content: all); members added by $how."
	fi
	[[ " $PAIRS " == *" flame "* ]] && [ -z "$SKIPPED" ] &&
		echo "flame: catalog: producer (members: the zone files; a member added by its file alone) -> catalog: consumer (members take the catalog entry's primaries); storage on both."
	echo "Times from just before the action (file write; consumer exec for c) to the consumer's SOA answer (NOERROR, AA) for every member; '>= B': a member was still unanswered at B ms (the time lies in B..reported)."
	[ -n "$SKIPPED" ] && echo "${SKIPPED# }"
	echo
	printf '%-16s | %-56s | %-36s | %s\n' pair "a. one new member, $N_ONE (ms)" "b. $N_BULK at once (ms)" "consumer RSS (MiB)"
	for kind in $PAIRS; do
		[ -n "${R[$kind/one]:-}${R[$kind/bulk]:-}" ] || continue
		one=$(sed -nE 's/^zones [0-9]+ (p50 [0-9.]+) ms (p90 [0-9.]+) ms (p99 [0-9.]+) ms (min [0-9.]+) (max [0-9.]+) \(action (p50 [0-9.]+) ms\)/\1 \2 \3 \4 \5 (action \6)/p' <<<"${R[$kind/one]:-}")
		printf '%-16s | %-56s | %-36s | %s\n' "$kind -> $kind" "${one:-failed}" \
			"$(ms "${R[$kind/bulk]:-}") (action $(act "${R[$kind/bulk]:-}"), $(low "${R[$kind/bulk]:-}"))" \
			"${R[$kind/rss0]:-?} with $N_INIT members, ${R[$kind/rss1]:-?} with ${R[$kind/n1]:-?}"
	done
	echo
	printf '%-16s | %-20s | %-40s | %-10s | %-40s | %s\n' pair "producer ready (ms)" "c. first start, $N_MANY (ms)" "RSS (MiB)" "restart on its storage (ms)" "RSS (MiB)"
	for kind in $PAIRS; do
		[ -n "${R[$kind/many]:-}" ] || continue
		printf '%-16s | %-20s | %-40s | %-10s | %-40s | %s\n' "$kind -> $kind" "${R[$kind/prod_many]:-?}" \
			"$(ms "${R[$kind/many]}") ($(low "${R[$kind/many]}"))" "${R[$kind/rss_many]:-?}" \
			"$(ms "${R[$kind/restart]:-}") ($(low "${R[$kind/restart]:-}"))" "${R[$kind/rss_restart]:-?}"
	done
	echo
	echo "Raw lines:"
	for kind in $PAIRS; do
		for k in init one bulk many restart; do
			[ -n "${R[$kind/$k]:-}" ] && echo "    $kind $k: ${R[$kind/$k]}"
		done
		[ -n "${R[$kind/load_a]:-}" ] && echo "    $kind load 1m before a: ${R[$kind/load_a]}, b: ${R[$kind/load_b]:-?}, c: ${R[$kind/load_c]:-?}"
	done
} | tee "$OUT/catalog.txt"
