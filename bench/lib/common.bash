# shellcheck shell=bash
# Helpers sourced by bench/*.sh (not a benchmark itself).

# bench_cleanup: the EXIT trap of a bench script. Stops every PID in the
# array PIDS (SIGCONT first: it may be stopped, then SIGTERM, waited for)
# and removes $TMP, unless BENCH_KEEP=1.
bench_cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -CONT "$p" 2>/dev/null
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi
}

# bench_zone_100k GENZONE OUTDIR: the shared 100,000-record zone
# (OUTDIR/zones-100k/bench.test.zone, its queries in OUTDIR/q-100k.txt),
# generated once and reused by every bench. Returns non-zero on failure.
bench_zone_100k() {
	mkdir -p "$2/zones-100k"
	[ -s "$2/zones-100k/bench.test.zone" ] ||
		"$1" -n 100000 -o bench.test. -z "$2/zones-100k/bench.test.zone" -q "$2/q-100k.txt" -c 200000
}
