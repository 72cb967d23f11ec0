#!/usr/bin/env bash
# The primary's pipeline, end to end with kdig: an edited zone file becomes a
# new serial (serial policy), its changeset is journaled and IXFR returns
# exactly that change; the IXFR history and the served serial survive a
# restart; serial policies: increment keeps growing when a customer lowers
# the serial by hand, keep refuses a change without a serial increase (with
# a log line saying how to fix it) and keeps serving the old version; an
# unchanged rewrite yields no new serial.
source "$(dirname "$0")/lib/common.bash"
PORT=15370

mkdir -p "$T/zones" "$T/storage"
zone() { # zone SERIAL WWW-ADDR [EXTRA-LINE]
	{
		echo '$TTL 300'
		echo "@ IN SOA ns1.example.com. hostmaster.example.com. $1 3600 900 604800 300"
		echo '@ IN NS ns1'
		echo 'ns1 IN A 198.51.100.53'
		echo "www IN A $2"
		[ -n "${3:-}" ] && echo "$3"
	} >"$T/zones/example.com.zone.tmp"
	mv "$T/zones/example.com.zone.tmp" "$T/zones/example.com.zone"
}
serial() { dig @127.0.0.1 -p $PORT +norec +short example.com SOA | awk '{print $3}'; }
wait_serial() { # wait_serial WANT: poll until served (bounded)
	local i
	for i in $(seq 1 $((40 * SLOW))); do
		[ "$(serial)" = "$1" ] && return 0
		sleep 0.05
	done
	return 1
}
ixfr() { kdig @127.0.0.1 -p $PORT example.com "IXFR=$1" 2>&1 | grep -v '^;' | grep -v '^$' | awk '{print $1, $4, $5, $6, $7}' | sed 's/ *$//'; }

run_policy() { printf 'zones:\n  storage: "%s"\n  serial-policy: %s\ntransfer:\n  allow: [ "127.0.0.1" ]\n' "$T/storage" "$1" >"$T/conf.yaml"; }

# --- increment ---
run_policy increment
zone 10 198.51.100.1 'old IN TXT "going away"'
start_daemon -c "$T/conf.yaml" --zone-dir "$T/zones" --listen "127.0.0.1@$PORT" --workers 1
wait_ready 127.0.0.1 "$PORT" || finish
check "first serial is the file's" 10 "$(serial)"
zone 10 198.51.100.2 'new IN A 198.51.100.7'
wait_serial 11
check "an edit without a serial change is published as serial 11" 11 "$(serial)"
want="example.com. SOA ns1.example.com. hostmaster.example.com. 11
example.com. SOA ns1.example.com. hostmaster.example.com. 10
old.example.com. TXT \"going away\"
www.example.com. A 198.51.100.1
example.com. SOA ns1.example.com. hostmaster.example.com. 11
new.example.com. A 198.51.100.7
www.example.com. A 198.51.100.2
example.com. SOA ns1.example.com. hostmaster.example.com. 11"
check "IXFR=10 is exactly that change" "$want" "$(ixfr 10)"
check "IXFR=11 (current) is the single SOA" "example.com. SOA ns1.example.com. hostmaster.example.com. 11" "$(ixfr 11)"
udp=$(kdig @127.0.0.1 -p $PORT +notcp example.com IXFR=10 2>&1)
check_match "IXFR=10 over UDP: the whole answer in one datagram" "\(UDP\)" "$(grep 'From' <<<"$udp")"
check "IXFR=10 over UDP: same records as over TCP" "$want" "$(grep -v '^;' <<<"$udp" | grep -v '^$' | awk '{print $1, $4, $5, $6, $7}' | sed 's/ *$//')"
zone 3 198.51.100.3 'new IN A 198.51.100.7'
wait_serial 12
check "a serial lowered by hand still grows" 12 "$(serial)"
big=$(for i in $(seq 1 60); do echo "h$i IN TXT \"a long enough text record number $i to fill a datagram\""; done)
zone 3 198.51.100.3 "new IN A 198.51.100.7
$big"
wait_serial 13
udp=$(kdig @127.0.0.1 -p $PORT +notcp +bufsize=1232 example.com IXFR=12 2>&1 | grep -v '^;' | grep -v '^$')
check "IXFR over UDP too big for a datagram: the single SOA (retry over TCP)" "1" "$(grep -c . <<<"$udp")"
check_match "that single RR is the current SOA" "SOA.* 13 " "$udp"
zone 3 198.51.100.3 'new IN A 198.51.100.7'
wait_serial 14
zone 3 198.51.100.3 'new IN A 198.51.100.7'
sleep $((SLOW)).3
check "a rewrite with the same content: no new serial" 14 "$(serial)"
check "IXFR=10 now spans four changes (condensing not required)" 3 "$(ixfr 10 | grep -c 'SOA.* 14$')"
stop_daemon
check_match "journal written" "example\.com\.journal" "$(ls "$T/storage")"

start_daemon -c "$T/conf.yaml" --zone-dir "$T/zones" --listen "127.0.0.1@$PORT" --workers 1
wait_ready 127.0.0.1 "$PORT" || finish
check "after a restart the served serial is kept" 14 "$(serial)"
check_match "after a restart the history is restored" "restored from the journal \(4 changesets\)" "$(cat "$DLOG")"
check "after a restart IXFR=13 still answers incrementally" "4" "$(ixfr 13 | grep -c 'SOA')"
stop_daemon

# --- keep ---
rm -rf "$T/storage"/*
run_policy keep
zone 100 198.51.100.1
start_daemon -c "$T/conf.yaml" --zone-dir "$T/zones" --listen "127.0.0.1@$PORT" --workers 1
wait_ready 127.0.0.1 "$PORT" || finish
zone 100 198.51.100.9
sleep $((SLOW)).3
check "keep: a change without a serial increase is refused" 100 "$(serial)"
check "keep: the old data is still served" "198.51.100.1" "$(dig @127.0.0.1 -p $PORT +short www.example.com A)"
check_match "keep: the refusal says how to fix it" "not greater than the served 100; raise it above 100" "$(cat "$DLOG")"
zone 101 198.51.100.9
wait_serial 101
check "keep: with the serial raised the change is published" "198.51.100.9" "$(dig @127.0.0.1 -p $PORT +short www.example.com A)"
check "keep: IXFR=100 has the change" "www.example.com. A 198.51.100.9" "$(ixfr 100 | grep 'www' | tail -n1)"
stop_daemon

# --- a zone's own serial policy overrides the global one ---
rm -rf "$T/storage"/*
printf 'zones:\n  storage: "%s"\n  serial-policy: keep\nzone:\n  - domain: example.com\n    serial-policy: increment\ntransfer:\n  allow: [ "127.0.0.1" ]\n' "$T/storage" >"$T/conf.yaml"
zone 100 198.51.100.1
start_daemon -c "$T/conf.yaml" --zone-dir "$T/zones" --listen "127.0.0.1@$PORT" --workers 1
wait_ready 127.0.0.1 "$PORT" || finish
zone 100 198.51.100.5
wait_serial 101
check "per-zone increment under a global keep: the edit is published" 101 "$(serial)"
stop_daemon
finish
