#!/usr/bin/env bash
# Zone files watched with inotify (zones.watch, on by default). Checks, each
# with a bounded wait: rename into place (write temp, mv); in-place writes
# ('>' and 'cat >>'); cp over; rsync of a new version (skipped when rsync is
# not installed); a burst of 50 quick saves ends at the last version with far
# fewer than 50 reloads; a half-written file keeps the old version and logs
# file:line:, completing it serves the new one; delete -> REFUSED; a new file
# is served; 2,000 files created at once are all served in a few batches; a
# change to an $INCLUDEd file reloads the including zone; editor temp files
# are ignored; zones.watch: false disables it (SIGHUP still works); clean
# SIGTERM exit (no sanitizer report). Ports 15400-15449 only.
source "$(dirname "$0")/lib/common.bash"
PORT=15400
PORT2=15401
A=127.0.0.1
Z="$T/zones"
WAIT=$((30 * SLOW)) # polls of 0.1 s: 3 s per wait (12 s under ASan)

zone() { # zone NAME SERIAL ADDR
	cat <<EOF
\$TTL 300
@ IN SOA ns1.$1. hostmaster.$1. (
	$2 ; serial
	3600 900 604800 300 )
@ IN NS ns1
ns1 IN A 192.0.2.53
www IN A $3
EOF
}
serial() { q $A "$1" "$2" SOA +short | awk '{print $3}'; }
# wait_serial PORT ZONE SERIAL: poll until served (bounded); prints the serial seen last.
wait_serial() {
	local i s=""
	for i in $(seq 1 $WAIT); do
		s=$(serial "$1" "$2")
		[ "$s" == "$3" ] && break
		sleep 0.1
	done
	echo "$s"
}
# wait_answer ZONE-NAME TYPE EXPECTED: poll until +short gives EXPECTED; prints the last answer.
wait_answer() {
	local i s=""
	for i in $(seq 1 $WAIT); do
		s=$(q $A $PORT "$1" "$2" +short)
		[ "$s" == "$3" ] && break
		sleep 0.1
	done
	echo "$s"
}
wait_rcode() { # NAME RCODE
	local i s=""
	for i in $(seq 1 $WAIT); do
		s=$(rcode_of "$(q $A $PORT "$1" SOA)")
		[ "$s" == "$2" ] && break
		sleep 0.1
	done
	echo "$s"
}
reloads() { grep -c 'reload (watch)' "$DLOG"; }

mkdir -p "$Z/include"
for n in a b c d e f g; do zone $n.test 1 192.0.2.1 >"$Z/$n.test.zone"; done
cat >"$Z/i.test.zone" <<'EOF'
$TTL 300
@ IN SOA ns1.i.test. hostmaster.i.test. 1 3600 900 604800 300
@ IN NS ns1
ns1 IN A 192.0.2.53
$INCLUDE include/i.inc
EOF
echo "www IN A 192.0.2.1" >"$Z/include/i.inc"

# serial-policy increment: edits that do not touch the SOA (an appended
# record, a changed $INCLUDE file) must still become new versions; under the
# default (keep) they are refused, which tests/integration/ixfr.sh checks.
printf 'zones:\n  serial-policy: increment\n' >"$T/watch.yaml"
start_daemon -c "$T/watch.yaml" --zone-dir "$Z" --listen "$A@$PORT" --workers 2 --log-level info
wait_ready "$A" "$PORT" || finish
check "a.test served at start" "1" "$(serial $PORT a.test)"
check "i.test include served at start" "192.0.2.1" "$(q $A $PORT www.i.test A +short)"

# 1. write a temp file, rename it into place (the safe way: atomic).
zone a.test 2 192.0.2.2 >"$Z/.a.test.zone.tmp"
mv "$Z/.a.test.zone.tmp" "$Z/a.test.zone"
check "rename into place: new serial" "2" "$(wait_serial $PORT a.test 2)"
check_match "reload logged with serials and latency" \
	"reload \(watch\): a\.test\. serial 1 -> 2; published [0-9.]+ ms after the last event" \
	"$(grep 'reload (watch): a.test' "$DLOG" | tail -n1)"

# 2. in-place writes: '>' (truncate + write) and 'cat >>' (append).
zone b.test 2 192.0.2.2 >"$Z/b.test.zone"
check "in-place '>' write: new serial" "2" "$(wait_serial $PORT b.test 2)"
echo "mail IN A 192.0.2.25" | cat >>"$Z/b.test.zone"
check "'cat >>' append: new record served" "192.0.2.25" "$(wait_answer mail.b.test A 192.0.2.25)"

# 3. cp over an existing file.
zone c.test 2 192.0.2.2 >"$T/c.new"
cp "$T/c.new" "$Z/c.test.zone"
check "cp over: new serial" "2" "$(wait_serial $PORT c.test 2)"

# 4. rsync (writes .d.test.zone.XXXXXX, then renames it over).
if command -v rsync >/dev/null; then
	zone d.test 2 192.0.2.2 >"$T/d.test.zone"
	rsync "$T/d.test.zone" "$Z/d.test.zone"
	check "rsync: new serial" "2" "$(wait_serial $PORT d.test 2)"
else
	echo "SKIP rsync: not installed (apt-get install rsync to run this check)"
fi

# 5. a burst of 50 quick saves: the last one wins, in far fewer reloads.
before=$(grep -c 'reload (watch): e\.test' "$DLOG")
for s in $(seq 2 51); do
	if [ $((s % 2)) -eq 0 ]; then
		zone e.test $s 192.0.2.$s >"$Z/e.test.zone"
	else
		zone e.test $s 192.0.2.$s >"$Z/.e.tmp" && mv "$Z/.e.tmp" "$Z/e.test.zone"
	fi
done
# Under increment the served serial counts versions, not saves: the last content wins.
check "burst of 50 saves: final content served" "192.0.2.51" "$(wait_answer www.e.test A 192.0.2.51)"
sleep 0.2
n=$(($(grep -c 'reload (watch): e\.test' "$DLOG") - before))
check_match "burst of 50 saves: reloads (1..10)" "^([1-9]|10)$" "$n"

# 6. a partial write (cut inside the SOA) keeps the old version and logs
# file:line:; completing the file serves the new version.
zone f.test 2 192.0.2.2 >"$T/f.full"
head -c 60 "$T/f.full" >"$Z/f.test.zone"
for _ in $(seq 1 $WAIT); do grep -q 'f\.test\.zone:[0-9]*: ' "$DLOG" && break; sleep 0.1; done
check_match "partial write: file:line: error logged" "f\.test\.zone:[0-9]+: " \
	"$(grep -o 'f\.test\.zone:[0-9]*: .*' "$DLOG" | head -n1)"
check "partial write: old serial still served" "1" "$(serial $PORT f.test)"
tail -c +61 "$T/f.full" >>"$Z/f.test.zone"
check "partial write completed: new serial" "2" "$(wait_serial $PORT f.test 2)"

# 7. delete: the zone is dropped.
rm "$Z/g.test.zone"
check "deleted zone: REFUSED" "REFUSED" "$(wait_rcode g.test REFUSED)"

# 8. a new file is served; editor leftovers next to it are not zones.
zone h.test 1 192.0.2.8 >"$Z/h.test.zone"
check "new file: served" "1" "$(wait_serial $PORT h.test 1)"
zone x.test 1 192.0.2.9 >"$Z/x.test.zone~"
zone x.test 1 192.0.2.9 >"$Z/.x.test.zone.swp"
zone x.test 1 192.0.2.9 >"$Z/.x.test.zone.Ab12Cd"
sleep 0.3
check "temp files are not zones" "REFUSED" "$(rcode_of "$(q $A $PORT x.test SOA)")"

# 9. a change to an $INCLUDEd file reloads the zone that includes it
# (in place, then rename into place inside the include directory).
echo "www IN A 192.0.2.77" >"$Z/include/i.inc"
check "\$INCLUDEd file changed: zone reloaded" "192.0.2.77" "$(wait_answer www.i.test A 192.0.2.77)"
echo "www IN A 192.0.2.78" >"$Z/include/.i.inc.tmp"
mv "$Z/include/.i.inc.tmp" "$Z/include/i.inc"
check "\$INCLUDEd file renamed over: zone reloaded" "192.0.2.78" "$(wait_answer www.i.test A 192.0.2.78)"

# 10. 2,000 new zone files created at once: all served, in a few batches.
before=$(reloads)
t0=$(date +%s%N)
for k in $(seq 1 2000); do
	printf '$TTL 300\n@ SOA ns1.b%d.test. h.b%d.test. 7 3600 900 604800 300\n@ NS ns1\nns1 A 192.0.2.53\n' \
		$k $k >"$Z/b$k.test.zone"
done
ok=0
for _ in $(seq 1 $((WAIT * 2))); do
	if [ "$(serial $PORT b1.test)" == 7 ] && [ "$(serial $PORT b1000.test)" == 7 ] &&
		[ "$(serial $PORT b2000.test)" == 7 ]; then
		ok=1
		break
	fi
	sleep 0.1
done
t1=$(date +%s%N)
echo "     2,000 files: written and served in $(((t1 - t0) / 1000000)) ms"
check "2,000 new files: first, middle and last served" "1" "$ok"
sleep 0.3
check_match "2,000 new files: all in the snapshot" "serving 2008 zones" \
	"$(grep 'reload (watch)' "$DLOG" | tail -n1)"
n=$(($(reloads) - before))
check_match "2,000 new files: reload batches (1..10)" "^([1-9]|10)$" "$n"

stop_daemon

# 11. zones.watch: false: no reload until SIGHUP.
cat >"$T/nowatch.yaml" <<EOF
server:
  listen: "$A@$PORT2"
  workers: 1
log:
  level: info
zones:
  directory: $Z
  watch: false
EOF
start_daemon -c "$T/nowatch.yaml"
wait_ready "$A" "$PORT2" || finish
zone a.test 3 192.0.2.3 >"$T/a.tmp"
mv "$T/a.tmp" "$Z/a.test.zone"
sleep 0.5
check "watch: false: old serial still served" "2" "$(serial $PORT2 a.test)"
check "watch: false: nothing watched" "0" "$(grep -c 'watching zone directory' "$DLOG")"
kill -HUP "$DPID"
check "watch: false: SIGHUP reloads" "3" "$(wait_serial $PORT2 a.test 3)"
stop_daemon
finish
