#!/usr/bin/env bash
# The three-node cluster over WireGuard (issue 6), with scripts/cluster.sh:
# NS1 primary in namespace ns1, NS2 and NS3 secondaries in ns2 and ns3,
# queries on 203.0.113.1-3, NOTIFY and transfers only through the tunnel.
#  1. every zone converges; the routes to the nodes go through the bridge;
#  2. 100 successive edits of conv.test. on NS1 (adds, deletes, TTL
#     changes): after each, NS2 and NS3 serve the new serial and their AXFR
#     equals NS1's;
#  3. a new zone file on NS1 is served by NS2 and NS3, a deleted one stops
#     being served (catalog zones);
#  4. an AXFR asked on a public address is refused; over the tunnel, with
#     the key, it is answered;
#  5. NS3's tunnel down: NS2 keeps converging, NS3 keeps its serial; the
#     tunnel up again: NS3 catches up;
#  6. NS2's link down for 20 changes, then up: it catches up by IXFR;
#  7. NS3 killed (SIGKILL) right after it took a change and restarted while
#     NS1 is frozen: it serves its last serial at once, then catches up; and
#     killed again in the middle of the AXFR of a new 200,000-record zone:
#     restarted, it serves at once and then takes the big zone whole;
#  8. NS1 restarted: the secondaries keep serving meanwhile, and converge on
#     the next change;
#  9. a burst of 200 changes in about 2 seconds: all three converge on the
#     last one, AXFRs equal;
# 10. NS1 gone past a short SOA expire: NS2 and NS3 answer SERVFAIL for that
#     zone, and recover when NS1 is back;
# 11. dnsperf at full rate against NS2 for 30 s (10 s in sanitizer builds)
#     while NS1 changes a zone 20 times a second: no query lost, every
#     answer NOERROR, NS2's serials never go backwards.
# Needs root, ip netns and wireguard-go: SKIP otherwise, and when the demo
# cluster is up (make demo-stop first). Brings the cluster down at the end.
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/cluster.bash"
cluster_require cluster.sh
trap '"$CL" down --run "$RUN" >/dev/null 2>&1; cleanup' EXIT

mkdir -p "$ZD"
cp -r zonefiles/. "$ZD/"
N=1
# conv.test. at serial N: 20 hosts whose TTLs change, plus a sliding window
# of three records (one added and one deleted per edit).
conv() {
	{
		printf '$ORIGIN conv.test.\n$TTL 300\n@ IN SOA ns1 hostmaster %d 2 1 30 60\n@ NS ns1\nns1 A 203.0.113.1\n' "$N"
		local i
		for i in $(seq 0 19); do
			printf 'h%d %d A 192.0.2.%d\n' "$i" $((300 + (i == N % 20 ? N : 0))) "$i"
		done
		for i in $(seq $((N > 2 ? N - 2 : 1)) "$N"); do printf 'w%d TXT "edit %d"\n' "$i" "$i"; done
	} >"$ZD/conv.test.zone.tmp"
	mv "$ZD/conv.test.zone.tmp" "$ZD/conv.test.zone"
}
conv

"$CL" up --zones "$ZD" --run "$RUN" >"$T/up.out" 2>&1 || { cat "$T/up.out"; echo "FAIL cluster up"; exit 1; }
SECRET=$(sed -n 's/.*secret "\(.*\)";/\1/p' keys/tsig/cluster.key)
LOG2="$RUN/ns2/flame-dnsd.log"

# The node's public address must be reached through the bridge, never the default route.
for n in 1 2 3; do
	check "route to ns$n goes through the bridge" flbr0 "$(ip route get 203.0.113.$n | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -n1)"
done

rcode() { dig @203.0.113."$1" +norec +time=1 +tries=1 "$2" SOA 2>/dev/null | sed -n 's/.*status: \([A-Z]*\).*/\1/p'; }
converged_all() {
	local f z s
	for f in "$ZD"/*.zone; do
		z=$(basename "$f" .zone)
		s=$(soa 1 "$z")
		[ -n "$s" ] && [ "$(soa 2 "$z")" == "$s" ] && [ "$(soa 3 "$z")" == "$s" ] || return 1
	done
}
wait_converged() {
	local i
	for i in $(seq 1 $(($1 * 10 * SLOW))); do converged_all && return 0; sleep 0.1; done
	return 1
}
# change: the next serial of conv.test., waited for on NS1 (its debounce)
change() { N=$((N + 1)); conv; }

# 1. start-up
wait_converged 15
check "start-up: every zone converged on the three nodes" 0 "$(converged_all; echo $?)"

# 2. 100 edits
bad_serial=0 bad_axfr=0
for k in $(seq 1 100); do
	change
	if ! wait_serial 2 conv.test "$N" 5 || ! wait_serial 3 conv.test "$N" 5; then
		bad_serial=$((bad_serial + 1))
		echo "  edit $k: serial $N not on ns2/ns3 (ns1 $(soa 1 conv.test), ns2 $(soa 2 conv.test), ns3 $(soa 3 conv.test))"
		continue
	fi
	a1=$(axfr 1 conv.test)
	if [ "$(axfr 2 conv.test)" != "$a1" ] || [ "$(axfr 3 conv.test)" != "$a1" ] || [ -z "$a1" ]; then
		bad_axfr=$((bad_axfr + 1))
		echo "  edit $k: AXFR of ns2 or ns3 differs from ns1's"
	fi
done
check "100 edits: ns2 and ns3 served every new serial" 0 "$bad_serial"
check "100 edits: their AXFR equals ns1's after every edit" 0 "$bad_axfr"
check "100 edits: ns2 took them by IXFR" 1 "$([ "$(grep -c 'zone conv.test.: IXFR from 198.51.100.1@53 key cluster-key.' "$LOG2")" -ge 100 ] && echo 1)"

# 3. a new zone file, then gone
sed 's/example\.com\./newcustomer.test./g' "$ZD/example.com.zone" >"$ZD/newcustomer.test.zone.tmp"
mv "$ZD/newcustomer.test.zone.tmp" "$ZD/newcustomer.test.zone"
wait_serial 2 newcustomer.test "$(soa 1 newcustomer.test)" 10
wait_serial 3 newcustomer.test "$(soa 1 newcustomer.test)" 10
check "new zone file: ns2 serves it" "$(soa 1 newcustomer.test)" "$(soa 2 newcustomer.test)"
check "new zone file: ns3 serves it" "$(soa 1 newcustomer.test)" "$(soa 3 newcustomer.test)"
rm "$ZD/newcustomer.test.zone"
for i in $(seq 1 $((100 * SLOW))); do [ "$(rcode 2 newcustomer.test)" == REFUSED ] && [ "$(rcode 3 newcustomer.test)" == REFUSED ] && break; sleep 0.1; done
check "deleted zone file: ns2 no longer serves it" REFUSED "$(rcode 2 newcustomer.test)"
check "deleted zone file: ns3 no longer serves it" REFUSED "$(rcode 3 newcustomer.test)"

# 4. transfers: tunnel only
pub=$(kdig @203.0.113.2 -y "hmac-sha256:cluster-key:$SECRET" +time=3 +retry=0 conv.test AXFR 2>&1)
check_match "AXFR on ns2's public address: refused" "REFUSED" "$(grep -o 'REFUSED' <<<"$pub" | head -n1)"
check_match "AXFR over the tunnel with the key: the zone" '^same, [1-9][0-9]* records$' "$(same_axfr 2 conv.test)"
check_match "AXFR over the tunnel without the key: refused" "REFUSED|NOTAUTH" \
	"$(ip netns exec ns1 kdig @198.51.100.2 +time=3 +retry=0 conv.test AXFR 2>&1 | grep -oE 'REFUSED|NOTAUTH' | head -n1)"

# 5. NS3's tunnel down
ip -n ns3 link set flwg3 down
before3=$(soa 3 conv.test)
for k in 1 2 3; do change; wait_serial 2 conv.test "$N" 5; done
check "ns3 tunnel down: ns2 keeps converging" "$N" "$(soa 2 conv.test)"
sleep $((3 * SLOW))
check "ns3 tunnel down: ns3 keeps its serial" "$before3" "$(soa 3 conv.test)"
ip -n ns3 link set flwg3 up
ip -n ns3 addr replace 198.51.100.3/24 dev flwg3
wait_serial 3 conv.test "$N" 15
check "ns3 tunnel up again: it catches up" "$N" "$(soa 3 conv.test)"

# 6. NS2's link down for 20 changes
ip -n ns2 link set eth0 down
for k in $(seq 1 20); do change; sleep 0.06; done
wait_serial 3 conv.test "$N" 10
check "ns2 link down: ns3 follows the 20 changes" "$N" "$(soa 3 conv.test)"
ip -n ns2 link set eth0 up
ip -n ns2 addr replace 203.0.113.2/24 dev eth0
wait_serial 2 conv.test "$N" 20
check "ns2 link up: it catches up" "$N" "$(soa 2 conv.test)"
check_match "ns2 caught up by IXFR" "IXFR from 198\.51\.100\.1@53 key cluster-key\.: serial [0-9]+ -> $N" \
	"$(grep -oE "IXFR from 198\.51\.100\.1@53 key cluster-key\.: serial [0-9]+ -> $N" "$LOG2" | tail -n1)"
check_match "ns2's AXFR equals ns1's" '^same, [1-9][0-9]* records$' "$(same_axfr 2 conv.test)"

# 7. NS3 killed right after it took a change, restarted with NS1 frozen
change
wait_serial 3 conv.test "$N" 10
last3=$(soa 3 conv.test)
kill -KILL "$(cat "$RUN/ns3/flame-dnsd.pid")"
P1=$(cat "$RUN/ns1/flame-dnsd.pid")
kill -STOP "$P1" # NS3 must answer from its own disk: nothing from NS1 meanwhile
change           # NS1 sees it only once thawed
rm -f "$RUN/ns3/flame-dnsd.pid"
"$CL" up --zones "$ZD" --run "$RUN" >"$T/up2.out" 2>&1
check "ns3 restarted after SIGKILL: its last serial at once, from disk" "$last3" "$(soa 3 conv.test)"
kill -CONT "$P1"
wait_serial 3 conv.test "$N" 15
check "ns3 after the restart: catches up" "$N" "$(soa 3 conv.test)"
wait_serial 2 conv.test "$N" 15
check "ns2 follows the change made while ns1 was frozen" "$N" "$(soa 2 conv.test)"

# 7b. NS3 killed in the middle of a transfer: a new 200,000-record zone is
#     added on NS1 and NS3 is killed once its AXFR has started but before it
#     ended; restarted, it serves its other zones at once and then takes the
#     big zone whole.
"$BUILD/tools/genzone" -n 200000 -o big.test. -z "$T/big.zone" -q "$T/big.q" -c 1 >/dev/null 2>&1
mv "$T/big.zone" "$ZD/big.test.zone"
L3="$RUN/ns3/flame-dnsd.log"
for i in $(seq 1 $((200 * SLOW))); do grep -q 'zone big\.test\.: refresh' "$L3" && break; sleep 0.005; done
kill -KILL "$(cat "$RUN/ns3/flame-dnsd.pid")"
check "ns3 killed with the big zone's transfer started, not ended" "started:1 ended:0" \
	"started:$(grep -c 'zone big\.test\.: refresh' "$L3") ended:$(grep -c 'zone big\.test\.: AXFR from' "$L3")"
rm -f "$RUN/ns3/flame-dnsd.pid"
"$CL" up --zones "$ZD" --run "$RUN" >"$T/up2b.out" 2>&1
check "ns3 restarted mid-transfer: conv.test at once" "$N" "$(soa 3 conv.test)"
wait_serial 3 big.test "$(soa 1 big.test)" 30
check "ns3 restarted mid-transfer: the big zone arrives whole" "$(soa 1 big.test)" "$(soa 3 big.test)"
check_match "ns3's copy of the big zone equals ns1's" '^same, [0-9]{6} records$' "$(same_axfr 3 big.test)"
rm "$ZD/big.test.zone" # keep the rest of the test light

# 8. NS1 restarted
kill "$(cat "$RUN/ns1/flame-dnsd.pid")"
for i in $(seq 1 50); do kill -0 "$(cat "$RUN/ns1/flame-dnsd.pid" 2>/dev/null)" 2>/dev/null || break; sleep 0.1; done
check "ns1 down: ns2 keeps serving" "$N" "$(soa 2 conv.test)"
check "ns1 down: ns3 keeps serving" "$N" "$(soa 3 conv.test)"
"$CL" up --zones "$ZD" --run "$RUN" >"$T/up3.out" 2>&1
change
wait_serial 2 conv.test "$N" 15
wait_serial 3 conv.test "$N" 15
check "ns1 restarted: the next change reaches ns2" "$N" "$(soa 2 conv.test)"
check "ns1 restarted: the next change reaches ns3" "$N" "$(soa 3 conv.test)"

# 9. a burst of 200 changes in about 2 seconds
t0=$(date +%s%N)
for k in $(seq 1 200); do change; sleep 0.005; done
t1=$(date +%s%N)
echo "  burst: 200 changes written in $(((t1 - t0) / 1000000)) ms"
wait_serial 1 conv.test "$N" 10
wait_serial 2 conv.test "$N" 15
wait_serial 3 conv.test "$N" 15
check "burst: ns1 serves the last change" "$N" "$(soa 1 conv.test)"
check "burst: ns2 converged" "$N" "$(soa 2 conv.test)"
check "burst: ns3 converged" "$N" "$(soa 3 conv.test)"
check_match "burst: ns2's AXFR equals ns1's" '^same, [1-9][0-9]* records$' "$(same_axfr 2 conv.test)"
check_match "burst: ns3's AXFR equals ns1's" '^same, [1-9][0-9]* records$' "$(same_axfr 3 conv.test)"
# 10. NS1 gone past a short expire: the secondaries answer SERVFAIL for that
#     zone (the others have a long expire), and recover when NS1 is back.
printf '$ORIGIN exp.test.\n$TTL 60\n@ IN SOA ns1 hostmaster 1 1 1 5 60\n@ NS ns1\nns1 A 203.0.113.1\n' >"$ZD/exp.test.zone.tmp"
mv "$ZD/exp.test.zone.tmp" "$ZD/exp.test.zone"
wait_serial 2 exp.test 1 10
wait_serial 3 exp.test 1 10
P1=$(cat "$RUN/ns1/flame-dnsd.pid")
kill -STOP "$P1"
for i in $(seq 1 $((120 * SLOW))); do [ "$(rcode 2 exp.test)" == SERVFAIL ] && [ "$(rcode 3 exp.test)" == SERVFAIL ] && break; sleep 0.1; done
check "ns1 gone past the expire: ns2 answers SERVFAIL" SERVFAIL "$(rcode 2 exp.test)"
check "ns1 gone past the expire: ns3 answers SERVFAIL" SERVFAIL "$(rcode 3 exp.test)"
check "ns1 gone: a zone with a long expire still answers on ns2" "$N" "$(soa 2 conv.test)"
kill -CONT "$P1"
for i in $(seq 1 $((100 * SLOW))); do [ "$(rcode 2 exp.test)" == NOERROR ] && [ "$(rcode 3 exp.test)" == NOERROR ] && break; sleep 0.1; done
check "ns1 back: ns2 recovers" NOERROR "$(rcode 2 exp.test)"
check "ns1 back: ns3 recovers" NOERROR "$(rcode 3 exp.test)"

# 11. Load: dnsperf at full rate against NS2 while NS1 changes conv.test 20
#     times a second; no query may fail, and the serials NS2 answers never
#     go backwards once a newer one was answered.
DUR=$((SLOW > 1 ? 10 : 30))
for z in conv.test example.com www.example.com example.org; do printf '%s A\n%s SOA\n' "$z" "$z"; done >"$T/perf.txt"
dnsperf -s 203.0.113.2 -d "$T/perf.txt" -l "$DUR" -c 4 -q 200 -t 2 >"$T/dnsperf.out" 2>&1 &
PERF=$!
( end=$(($(date +%s) + DUR)); while [ "$(date +%s)" -lt "$end" ]; do soa 2 conv.test; sleep 0.01; done ) >"$T/serials2.txt" &
POLL=$!
t_start=$(date +%s%N)
k=0
while [ $(($(date +%s%N) - t_start)) -lt $((DUR * 1000000000)) ]; do
	change
	k=$((k + 1))
	# 20 a second: sleep until the next 50 ms slot
	left=$(((t_start + k * 50000000 - $(date +%s%N)) / 1000000))
	[ "$left" -gt 0 ] && sleep "0.$(printf '%03d' "$left")"
done
echo "  load: $k changes of conv.test in $DUR s"
wait "$PERF"
wait "$POLL"
echo "  load: $(grep -E 'Queries (sent|completed|lost)|Queries per second' "$T/dnsperf.out" | tr -s ' ' | tr '\n' ';')"
check_match "load: dnsperf sent queries" '^[1-9][0-9]*$' "$(awk '/Queries sent:/ { print $3 }' "$T/dnsperf.out")"
check "load: no query lost" 0 "$(awk '/Queries lost:/ { print $3 }' "$T/dnsperf.out")"
check "load: every answer NOERROR" "$(awk '/Queries completed:/ { print $3 }' "$T/dnsperf.out")" "$(sed -n 's/.*Response codes:.*NOERROR \([0-9]*\).*/\1/p' "$T/dnsperf.out")"
check "load: ns2's serials never went backwards" 0 "$(awk 'NF { if (prev != "" && $1 < prev) bad++; prev = $1 } END { print bad + 0 }' "$T/serials2.txt")"
check_match "load: the poller saw the serials move" '^[0-9]+$' "$(awk 'NF' "$T/serials2.txt" | sort -un | wc -l | awk '$1 > 10')"
wait_serial 2 conv.test "$N" 15
wait_serial 3 conv.test "$N" 15
check "load: ns2 converged at the end" "$N" "$(soa 2 conv.test)"
check "load: ns3 converged at the end" "$N" "$(soa 3 conv.test)"

wait_converged 10
check "end: every zone converged" 0 "$(converged_all; echo $?)"

for n in 1 2 3; do
	check "ns$n: no sanitizer report" 0 "$(grep -cE 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer' "$RUN/ns$n/flame-dnsd.log")"
done
finish
