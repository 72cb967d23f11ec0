#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Packet fuzz against the running daemon: starts $BUILD/flame-dnsd on
# 127.0.0.1@25380 with a small zone, runs $BUILD/tools/pktfuzz with a fixed
# seed (10,000 malformed UDP packets, 400 hostile TCP connections; about
# 15 s), then checks the daemon is still alive, still answers correctly over
# UDP and TCP, and (ASan builds) left no sanitizer report in its log.
set -u
cd "$(dirname "$0")/../.."

BUILD="${BUILD:-build}"
PORT=25380
SEED="${FUZZ_SEED:-20240101}"
DAEMON="$BUILD/flame-dnsd"
FUZZ="$BUILD/tools/pktfuzz"

if [ ! -x "$DAEMON" ]; then
	echo "fuzz.sh: SKIP ($DAEMON not built)"
	exit 0
fi
[ -x "$FUZZ" ] || { echo "fuzz.sh: FAIL: $FUZZ not built"; exit 1; }

TMP=$(mktemp -d /tmp/flame-fuzz.XXXXXX) || exit 1
PID=""
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
	echo "fuzz.sh: FAIL: $*"
	echo "--- flame-dnsd log (last 40 lines)"
	tail -n 40 "$TMP/flame.log"
	exit 1
}

mkdir -p "$TMP/zones"
cat >"$TMP/zones/example.test.zone" <<'ZONE'
$TTL 3600
@	IN	SOA	ns1.example.test. hostmaster.example.test. 1 7200 3600 1209600 300
	IN	NS	ns1
	IN	MX	10 mail
ns1	IN	A	192.0.2.53
mail	IN	A	192.0.2.25
www	IN	A	192.0.2.80
www	IN	AAAA	2001:db8::80
alias	IN	CNAME	www
*.wild	IN	TXT	"wildcard"
sub	IN	NS	ns.sub
ns.sub	IN	A	192.0.2.99
dn	IN	DNAME	example.test.
ZONE
for i in $(seq 1 40); do echo "big	IN	A	198.51.100.$i"; done >>"$TMP/zones/example.test.zone"

"$DAEMON" --zone-dir "$TMP/zones" --listen "127.0.0.1@$PORT" --workers 1 >"$TMP/flame.log" 2>&1 &
PID=$!
for _ in $(seq 1 150); do
	kill -0 "$PID" 2>/dev/null || fail "flame-dnsd exited at start-up"
	grep -q "flame-dnsd ready" "$TMP/flame.log" && break
	sleep 0.1
done
grep -q "flame-dnsd ready" "$TMP/flame.log" || fail "flame-dnsd not ready after 15 s"

"$FUZZ" -s "$SEED" -n 10000 -t 400 -q www.example.test. "127.0.0.1@$PORT"
rc=$?

kill -0 "$PID" 2>/dev/null || fail "flame-dnsd died during the fuzz run"
[ "$rc" -eq 0 ] || fail "pktfuzz reported a failure (seed $SEED)"

# Still correct after the abuse, on both transports.
if command -v kdig >/dev/null 2>&1; then
	for proto in +notcp +tcp; do
		out=$(kdig @127.0.0.1 -p "$PORT" +time=2 +retry=1 +norec "$proto" www.example.test A 2>&1)
		printf '%s\n' "$out" | grep -q 'status: NOERROR' && printf '%s\n' "$out" | grep -q '192\.0\.2\.80' ||
			fail "wrong answer after fuzzing ($proto): $out"
	done
fi

kill -TERM "$PID"
for _ in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$PID" 2>/dev/null && { kill -KILL "$PID"; fail "flame-dnsd ignored SIGTERM for 10 s"; }
wait "$PID"
st=$?
PID=""
[ "$st" -eq 0 ] || fail "flame-dnsd exit status $st after SIGTERM"
if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' "$TMP/flame.log"; then
	fail "sanitizer report in the flame-dnsd log"
fi
echo "fuzz.sh: passed (seed $SEED)"
