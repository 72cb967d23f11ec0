# shellcheck shell=bash
# Helpers sourced by tests/integration/*.sh (not a test itself: the runner
# only picks up *.sh at the top level). Each script:
#   source "$(dirname "$0")/lib/common.bash"
#   start_daemon PORT [flame-dnsd args...]; wait_ready ADDR PORT; check ...; stop_daemon; finish
# The daemon is always killed by its PID from the EXIT trap; ports used by
# the suite are 15300-15399 only.
set -u

cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
BUILD="${BUILD:-build}"
DAEMON="$PWD/$BUILD/flame-dnsd"
[ -x "$DAEMON" ] || { echo "FAIL: $DAEMON not built"; exit 1; }
# The ASan build is several times slower to start and answer.
case "$BUILD" in *asan*) SLOW=4 ;; *) SLOW=1 ;; esac
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

T="$(mktemp -d /tmp/flame-it.XXXXXX)"
FAILS=0
CHECKS=0
DPID=""
DLOG="$T/daemon.log"

cleanup() {
	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		kill -KILL "$DPID" 2>/dev/null
		wait "$DPID" 2>/dev/null
	fi
	if { [ "$FAILS" -ne 0 ] || [ -n "${SHOW_LOG:-}" ]; } && [ -f "$DLOG" ]; then
		echo "---- daemon log ($DLOG) ----"
		tail -n 40 "$DLOG"
	fi
	rm -rf "$T"
}
trap cleanup EXIT

# check NAME EXPECTED GOT: exact comparison, always says what it compared.
check() {
	CHECKS=$((CHECKS + 1))
	if [ "$2" == "$3" ]; then
		echo "ok   $1: '$3'"
	else
		echo "FAIL $1: expected '$2', got '$3'"
		FAILS=$((FAILS + 1))
	fi
}

# check_match NAME REGEX GOT: extended regex match.
check_match() {
	CHECKS=$((CHECKS + 1))
	if [[ "$3" =~ $2 ]]; then
		echo "ok   $1: '$3' matches /$2/"
	else
		echo "FAIL $1: expected a match of /$2/, got '$3'"
		FAILS=$((FAILS + 1))
	fi
}

# start_daemon ARGS...: runs the daemon in the background, output in $DLOG.
start_daemon() {
	: >"$DLOG"
	"$DAEMON" "$@" >>"$DLOG" 2>&1 &
	DPID=$!
}

# wait_ready ADDR PORT: until the readiness line is logged and a query is answered (bounded).
wait_ready() {
	local i
	for i in $(seq 1 $((50 * SLOW))); do
		if ! kill -0 "$DPID" 2>/dev/null; then
			echo "FAIL daemon exited during start-up"
			FAILS=$((FAILS + 1))
			cat "$DLOG"
			return 1
		fi
		if grep -q "flame-dnsd ready" "$DLOG" &&
			dig @"$1" -p "$2" +time=1 +tries=1 . SOA >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.2
	done
	echo "FAIL daemon not ready after $((10 * SLOW)) s"
	FAILS=$((FAILS + 1))
	return 1
}

# stop_daemon: SIGTERM, expect exit 0 and no sanitizer report.
stop_daemon() {
	local rc i
	kill -TERM "$DPID"
	for i in $(seq 1 $((50 * SLOW))); do
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.2
	done
	wait "$DPID"
	rc=$?
	DPID=""
	check "exit code after SIGTERM" 0 "$rc"
	check "sanitizer reports in log" 0 "$(grep -cE 'LeakSanitizer|AddressSanitizer|runtime error' "$DLOG")"
}

# q ADDR PORT DIG-ARGS...: dig with short timeouts, no recursion flag.
q() {
	local a=$1 p=$2
	shift 2
	dig @"$a" -p "$p" +norec +time=2 +tries=1 "$@" 2>&1
}

# flags_of DIG-OUTPUT: the header flags, e.g. "qr aa".
flags_of() {
	sed -n 's/^;; flags: \([a-z ]*\);.*/\1/p' <<<"$1" | head -n1
}

# rcode_of DIG-OUTPUT: NOERROR, NXDOMAIN, REFUSED ...
rcode_of() {
	sed -n 's/.*status: \([A-Z]*\),.*/\1/p' <<<"$1" | head -n1
}

# section_of DIG-OUTPUT NAME: records of one section ("ANSWER", "AUTHORITY"), TTL removed.
section_of() {
	awk -v s=";; $2 SECTION:" '$0 == s {on = 1; next} /^$/ {on = 0} on {print $1, $3, $4, $5, $6, $7, $8, $9, $10, $11}' <<<"$1" |
		sed 's/ *$//'
}

finish() {
	echo "$(basename "$0"): $CHECKS checks, $FAILS failed"
	[ "$FAILS" -eq 0 ]
	exit $?
}

# ta_lines ZONE: the DNSKEYs of ZONE on stdin (dig/kdig +short), printed as
# delv trust-anchor lines ("ZONE. static-key 257 3 ALG \"KEY\";") for its SEP keys
ta_lines() {
	awk -v z="${1%.}." '$1 == 257 { k = ""; for (i = 4; i <= NF; i++) k = k $i; printf "%s static-key 257 3 %s \"%s\";\n", z, $3, k }'
}
