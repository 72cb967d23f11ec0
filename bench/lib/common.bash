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
