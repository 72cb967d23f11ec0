#!/usr/bin/env bash
# SIGHUP reload of the zone directory. Checks: a changed zone is served at
# its new serial; a zone broken on disk keeps its old version and the log
# names the error as file:line:; a zone whose file was removed is dropped
# (REFUSED); a new file is picked up; fixing the broken zone and reloading
# again serves it; the daemon keeps answering throughout and exits cleanly.
source "$(dirname "$0")/lib/common.bash"
PORT=15310
A=127.0.0.1

zone() { # zone NAME SERIAL ADDR
	cat <<Z
\$TTL 300
@ IN SOA ns1.$1. hostmaster.$1. $2 3600 900 604800 300
@ IN NS ns1
ns1 IN A 192.0.2.53
www IN A $3
Z
}
mkdir -p "$T/zones"
zone a.test 1 192.0.2.1 >"$T/zones/a.test.zone"
zone b.test 1 192.0.2.2 >"$T/zones/b.test.zone"
zone c.test 1 192.0.2.3 >"$T/zones/c.test.zone"

start_daemon --zone-dir "$T/zones" --listen "$A@$PORT" --workers 2 --log-level info
wait_ready "$A" "$PORT" || finish
check "a.test before reload" "192.0.2.1" "$(q $A $PORT www.a.test A +short)"
check "b.test before reload" "192.0.2.2" "$(q $A $PORT www.b.test A +short)"
check "c.test before reload" "192.0.2.3" "$(q $A $PORT www.c.test A +short)"

# reload: send SIGHUP and wait (bounded) for the N-th "reload done" line.
reload() {
	local i
	kill -HUP "$DPID"
	for i in $(seq 1 $((50 * SLOW))); do
		[ "$(grep -c 'reload done' "$DLOG")" -ge "$1" ] && return 0
		sleep 0.1
	done
	echo "FAIL reload $1 not logged"
	FAILS=$((FAILS + 1))
}

zone a.test 2 192.0.2.11 >"$T/zones/a.test.zone"
zone b.test 2 192.0.2.12 >"$T/zones/b.test.zone"
sed -i 's/^www IN A 192.0.2.12$/www IN A 999.0.2.12/' "$T/zones/b.test.zone" # line 5
rm "$T/zones/c.test.zone"
zone d.test 1 192.0.2.4 >"$T/zones/d.test.zone"
reload 1

check "a.test changed: new address" "192.0.2.11" "$(q $A $PORT www.a.test A +short)"
check "a.test changed: new serial" "2" "$(q $A $PORT a.test SOA +short | awk '{print $3}')"
check "b.test broken: old address kept" "192.0.2.2" "$(q $A $PORT www.b.test A +short)"
check "b.test broken: old serial kept" "1" "$(q $A $PORT b.test SOA +short | awk '{print $3}')"
check_match "b.test broken: file:line: error in the log" "b\.test\.zone:5: " \
	"$(grep -o 'error: [^ ]*b\.test\.zone:[0-9]*: ' "$DLOG" | head -n1)"
check "c.test removed: REFUSED" "REFUSED" "$(rcode_of "$(q $A $PORT www.c.test A)")"
check "d.test added" "192.0.2.4" "$(q $A $PORT www.d.test A +short)"
check_match "reload summary" "2 zones loaded, 1 failed .*1 removed; serving 3 zones" \
	"$(grep 'reload done' "$DLOG" | tail -n1)"

zone b.test 3 192.0.2.22 >"$T/zones/b.test.zone"
reload 2
check "b.test fixed: new address" "192.0.2.22" "$(q $A $PORT www.b.test A +short)"
check "b.test fixed: new serial" "3" "$(q $A $PORT b.test SOA +short | awk '{print $3}')"
check "a.test still served" "192.0.2.11" "$(q $A $PORT www.a.test A +short)"

# Reload under query load: every answer must be one of the two versions.
zone a.test 4 192.0.2.44 >"$T/zones/a.test.zone"
( for _ in $(seq 1 30); do q $A $PORT www.a.test A +short; done >"$T/during.txt" ) &
LOADPID=$!
reload 3
wait "$LOADPID"
check "answers during reload are old or new, never missing" "0" \
	"$(grep -cvE '^192\.0\.2\.(11|44)$' "$T/during.txt")"
check "a.test after reload under load" "192.0.2.44" "$(q $A $PORT www.a.test A +short)"

stop_daemon
finish
