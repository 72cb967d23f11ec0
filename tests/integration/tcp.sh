#!/usr/bin/env bash
# TCP connection handling (RFC 7766) with raw sockets. Checks: a query sent a
# byte at a time is answered; a half-closed client still gets its answer and
# then EOF; a length below the DNS header closes the connection; an idle
# client is closed after tcp-idle-timeout; with tcp-max-clients reached the
# least recently active connection is closed for a new one; a client that
# never reads its answers does not stop others from being served.
source "$(dirname "$0")/lib/common.bash"
PORT=15330
A=127.0.0.1
TOOL="python3 tests/integration/lib/dnstcp.py"

mkdir -p "$T/zones"
{
	echo '$TTL 300'
	echo '@ IN SOA ns1.example.com. hostmaster.example.com. 1 3600 900 604800 300'
	echo '@ IN NS ns1'
	echo 'ns1 IN A 192.0.2.53'
	echo 'www IN A 192.0.2.1'
	for i in $(seq -w 1 40); do
		printf 'big IN TXT "%s-%s"\n' "$i" "$(printf 'y%.0s' $(seq 1 96))"
	done
} >"$T/zones/example.com.zone"
cat >"$T/flame.yaml" <<Y
server:
  listen: [ "$A@$PORT", "::1@$PORT" ]
  workers: 1
  tcp-idle-timeout: 3000
  tcp-max-clients: 3
log:
  level: info
zones:
  directory: $T/zones
Y

start_daemon -c "$T/flame.yaml"
wait_ready "$A" "$PORT" || finish

check "query sent byte by byte" "7/0/1" "$($TOOL trickle $A $PORT www.example.com 2>&1)"
check "half-closed client: answer, then EOF" "9/0/1 closed" "$($TOOL halfclose $A $PORT www.example.com 2>&1)"
check "bogus length closes the connection" "closed" "$($TOOL bogus $A $PORT 2>&1)"
check "pipelined big answers in order (v6)" "100/0/1 101/0/40 102/0/1" \
	"$($TOOL pipeline ::1 $PORT www.example.com big.example.com/TXT ns1.example.com 2>&1)"

out=$($TOOL idle $A $PORT 6 www.example.com 2>&1)
check "idle client closed" "closed" "${out%% *}"
secs=${out##* }
check "idle close after 3-4.5 s (tcp-idle-timeout 3000)" "yes" \
	"$(awk -v s="$secs" 'BEGIN {print (s >= 2.9 && s <= 4.5) ? "yes" : "no (" s " s)"}')"

check "4th client with tcp-max-clients 3: oldest closed, newest served" "first=closed last=77/0/1" \
	"$($TOOL evict $A $PORT 4 www.example.com 2>&1)"

check "a client that never reads does not block others" "other=6/0/40" \
	"$($TOOL slowreader $A $PORT big.example.com 2>&1)"
check "UDP still answered" "192.0.2.1" "$(q $A $PORT www.example.com A +short)"

stop_daemon
check_match "connection counters logged" "TCP queries on [0-9]+ connections \([0-9]+ timed out, [1-9][0-9]* evicted\)" \
	"$(grep 'workers stopped' "$DLOG")"
finish
