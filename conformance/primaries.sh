#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Interop: flame-dnsd as the secondary of real primaries, knotd, named and nsd.
#
# knotd (127.0.0.1@25410) is the primary of example.com. (zonefile-load:
# difference, so a reload becomes a journaled changeset it serves by IXFR);
# named (@25411) is the primary of example.net. (ixfr-from-differences yes);
# nsd (@25414) is the primary of example.org. (store-ixfr and create-ixfr:
# a reload of the zone file is diffed into IXFR data it serves).
# All allow transfers with the TSIG key xfr-key only and NOTIFY flame-dnsd
# (@25412) with it. flame-dnsd is the secondary of all with the same key
# (example.com. from knotd by default, the others from their primary per
# zone).
# Steps, each with a bounded wait and a line saying what it saw:
#  1. flame loads the three zones by AXFR (serial 1);
#  2. a change on each primary (records added, changed, removed, serial 2):
#     flame takes their NOTIFY and pulls the change by IXFR (incremental,
#     not AXFR-style) and answers the new data;
#  3. flame's AXFR of each zone equals its primary's (TSIG stripped,
#     canonicalized by ldns-read-zone -c, sorted);
#  4. flame stopped (SIGSTOP) while knotd takes 3 changes (serial 3, 4, 5):
#     once continued, flame catches up in one IXFR 2 -> 5 carrying the 3
#     changesets, serves that history on as IXFR, and its AXFR equals knotd's;
#  5. flame exits cleanly on SIGTERM (ASan builds: no sanitizer report).
# SKIP when knotd, named, nsd or the tools are missing. Kills only the PIDs it
# started. Environment: BUILD (default build). Ports 25410-25414.
set -u
cd "$(dirname "$0")/.."

BUILD="${BUILD:-build}"
DAEMON="$PWD/$BUILD/flame-dnsd"
KPORT=25410
NPORT=25411
FPORT=25412
RNDC_PORT=25413
DPORT=25414 # nsd (its control channel is a socket in $TMP)
case "$BUILD" in *asan*) SLOW=4 ;; *) SLOW=1 ;; esac
OUT=conformance/out
TAG=$(basename "$BUILD")

if [ ! -x "$DAEMON" ]; then
	echo "primaries: SKIP ($DAEMON not built)"
	exit 0
fi
for bin in knotd knotc named rndc nsd nsd-control kdig tsig-keygen ldns-read-zone; do
	if ! command -v "$bin" >/dev/null 2>&1; then
		echo "primaries: SKIP ($bin not installed; scripts/deps.sh installs it)"
		exit 0
	fi
done

TMP=$(mktemp -d /tmp/flame-primaries.XXXXXX) || exit 1
source conformance/lib/peers.bash
mkdir -p "$OUT"
FLAME_PID="" KNOT_PID="" NAMED_PID="" NSD_PID=""
cleanup() {
	stop_pid "$FLAME_PID"
	stop_pid "$NSD_PID"
	stop_pid "$NAMED_PID"
	stop_pid "$KNOT_PID"
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
	echo "primaries: FAIL: $*"
	for f in flame.log knot.log named.log nsd.log; do
		[ -s "$TMP/$f" ] && cp "$TMP/$f" "$OUT/$TAG-primaries-$f" && echo "  log: $OUT/$TAG-primaries-$f"
	done
	exit 1
}
say() { echo "primaries: $*"; }
nolevel() { sed -E 's/^[^ ]+ [a-z]+: //' <<<"$1"; } # a log line without time and level
rc=0
bad() { say "FAIL: $*"; rc=1; }

# --- keys and zones -------------------------------------------------------------
KEY=xfr-key
tsig-keygen -a hmac-sha256 "$KEY" >"$TMP/xfr.key"
SECRET=$(sed -n 's/.*secret "\(.*\)";.*/\1/p' "$TMP/xfr.key")
TSIG="hmac-sha256:$KEY:$SECRET"
tsig-keygen -a hmac-sha256 rndc-key >"$TMP/rndc.key"
mkdir -p "$TMP/knot/run" "$TMP/knot/db" "$TMP/knot/zones" "$TMP/named" "$TMP/nsd" "$TMP/flame/empty" "$TMP/flame/storage"

zonefile() { # zonefile FILE ORIGIN SERIAL [RECORD...]: a small zone, written atomically
	local f=$1 origin=$2 serial=$3
	shift 3
	{
		echo "\$ORIGIN $origin."
		echo '$TTL 300'
		# refresh 3600: only NOTIFY (not the SOA timers) drives flame here
		echo "@ IN SOA ns1.$origin. hostmaster.$origin. $serial 3600 900 604800 300"
		echo '@ IN NS ns1'
		echo '@ IN NS ns2'
		echo 'ns1 IN A 127.0.0.1'
		echo 'ns2 IN A 127.0.0.2'
		local r
		for r in "$@"; do echo "$r"; done
	} >"$f.tmp"
	mv "$f.tmp" "$f"
}
KZONE="$TMP/knot/zones/example.com.zone"
NZONE="$TMP/named/example.net.zone"
DZONE="$TMP/nsd/example.org.zone"
zonefile "$KZONE" example.com 1 'www IN A 192.0.2.1' 'mail IN MX 10 mx.example.net.' 'txt IN TXT "from knotd"' \
	'old IN A 192.0.2.99'
zonefile "$NZONE" example.net 1 'www IN A 198.51.100.1' 'mail IN MX 10 mx.example.com.' 'txt IN TXT "from named"' \
	'old IN A 198.51.100.99'
zonefile "$DZONE" example.org 1 'www IN A 203.0.113.1' 'mail IN MX 10 mx.example.com.' 'txt IN TXT "from nsd"' \
	'old IN A 203.0.113.99'

# --- knotd, primary of example.com. ---------------------------------------------
cat >"$TMP/knot/knot.conf" <<KNOT
server:
    rundir: "$TMP/knot/run"
    listen: 127.0.0.1@$KPORT
    udp-workers: 1
    tcp-workers: 1
    background-workers: 2
    # NOTIFY to a stopped flame (step 4) times out after this; the zone's
    # next reload waits for it (knotd runs a zone's events one at a time).
    tcp-remote-io-timeout: 1000
database:
    storage: "$TMP/knot/db"
log:
  - target: stderr
    any: info
key:
  - id: $KEY
    algorithm: hmac-sha256
    secret: $SECRET
remote:
  - id: flame
    address: 127.0.0.1@$FPORT
    key: $KEY
acl:
  - id: transfer-with-key
    address: 127.0.0.1
    key: $KEY
    action: transfer
template:
  - id: default
    storage: "$TMP/knot/zones"
    file: "%s.zone"
    # A reload diffs the file against the zone and journals the changeset:
    # that is what knotd answers IXFR from. The file keeps its own serial.
    zonefile-load: difference
    journal-content: changes
    zonefile-sync: -1
    semantic-checks: off
zone:
  - domain: example.com.
    notify: flame
    acl: transfer-with-key
KNOT
knotd -c "$TMP/knot/knot.conf" >"$TMP/knot.log" 2>&1 &
KNOT_PID=$!
knot_reload() { # blocking: returns when knotd has loaded the file
	knotc -c "$TMP/knot/knot.conf" -b -t $((10 * SLOW)) zone-reload example.com. >>"$TMP/knotc.out" 2>&1
}

# --- named, primary of example.net. ---------------------------------------------
cat >"$TMP/named/named.conf" <<NAMED
options {
$(named_options_base "$NPORT")
	notify explicit;
	notify-delay 0;
	also-notify { 127.0.0.1 port $FPORT key "$KEY"; };
	allow-transfer { key "$KEY"; };
	// A reload diffs the new file against the zone into the journal
	// (example.net.zone.jnl): named then answers IXFR incrementally.
	ixfr-from-differences yes;
};
$(cat "$TMP/rndc.key")
controls {
	inet 127.0.0.1 port $RNDC_PORT allow { 127.0.0.1; } keys { "rndc-key"; };
};
$(named_logging_info)
$(cat "$TMP/xfr.key")
zone "example.net" {
	type primary;
	file "example.net.zone";
};
NAMED
named -f -4 -c "$TMP/named/named.conf" >"$TMP/named.stderr" 2>&1 &
NAMED_PID=$!
named_reload() {
	rndc -k "$TMP/rndc.key" -s 127.0.0.1 -p "$RNDC_PORT" reload example.net >>"$TMP/rndc.out" 2>&1
}

# --- nsd, primary of example.org. ---------------------------------------------------
# Server settings from lib/peers.bash (files in $TMP/nsd, control socket).
# -d keeps the main process in the foreground, so its PID is ours (it stops
# its children on SIGTERM).
{
	nsd_server_conf "$DPORT" "$TMP/nsd/nsd.ctl"
	cat <<NSD
key:
    name: $KEY
    algorithm: hmac-sha256
    secret: "$SECRET"
zone:
    name: example.org
    zonefile: "example.org.zone"
    notify: 127.0.0.1@$FPORT $KEY
    provide-xfr: 127.0.0.1 $KEY
    # A reload of the file is diffed against the zone in memory (create-ixfr)
    # and the changeset kept (store-ixfr): nsd answers IXFR from that.
    store-ixfr: yes
    create-ixfr: yes
NSD
} >"$TMP/nsd/nsd.conf"
nsd -d -c "$TMP/nsd/nsd.conf" >"$TMP/nsd.stderr" 2>&1 &
NSD_PID=$!
# nsd 4.6.1 reloads on SIGHUP too (files whose mtime changed); "nsd-control
# reload ZONE" reads the file whatever its mtime says. Either way the reload
# is asynchronous: the serial is waited for below.
nsd_reload() {
	nsd-control -c "$TMP/nsd/nsd.conf" reload example.org >>"$TMP/nsd-control.out" 2>&1
}

serial_at() { # serial_at PORT ZONE
	kdig @127.0.0.1 -p "$1" +time=1 +retry=0 +short "$2" SOA 2>/dev/null | awk '{print $3}'
}
wait_serial() { # wait_serial PORT ZONE SERIAL SECONDS
	local i
	for i in $(seq 1 $(($4 * 10 * SLOW))); do
		[ "$(serial_at "$1" "$2")" = "$3" ] && return 0
		sleep 0.1
	done
	return 1
}
wait_log() { # wait_log FILE ERE SECONDS: the first matching line
	local i
	for i in $(seq 1 $(($3 * 10 * SLOW))); do
		grep -Em1 -- "$2" "$1" && return 0
		sleep 0.1
	done
	return 1
}
# All primaries up before flame-dnsd starts, so its first refresh finds them.
for p in "knotd:$KPORT:example.com" "named:$NPORT:example.net" "nsd:$DPORT:example.org"; do
	IFS=: read -r name port zone <<<"$p"
	wait_serial "$port" "$zone" 1 10 || fail "$name does not serve $zone serial 1 ($(tail -n3 "$TMP/$name.log" 2>/dev/null))"
	kill -0 "$KNOT_PID" 2>/dev/null || fail "knotd exited at start-up"
	kill -0 "$NAMED_PID" 2>/dev/null || fail "named exited at start-up"
	kill -0 "$NSD_PID" 2>/dev/null || fail "nsd exited at start-up: $(tail -n3 "$TMP/nsd.stderr")"
done
say "knotd serves example.com., named example.net. and nsd example.org. at serial 1"

# --- flame-dnsd, the secondary of all three ----------------------------------------
cat >"$TMP/flame.yaml" <<YAML
server: { listen: [ "127.0.0.1@$FPORT" ], workers: 1 }
log: { level: info }
zones: { directory: "$TMP/flame/empty", storage: "$TMP/flame/storage", role: secondary }
keys: { files: [ "$TMP/xfr.key" ] }
transfer: { allow: [ "127.0.0.1 key $KEY" ] }
secondary:
  primaries: [ "127.0.0.1@$KPORT key $KEY" ]
zone:
  - domain: example.com
  - domain: example.net
    primaries: [ "127.0.0.1@$NPORT key $KEY" ]
  - domain: example.org
    primaries: [ "127.0.0.1@$DPORT key $KEY" ]
YAML
"$DAEMON" -c "$TMP/flame.yaml" >"$TMP/flame.log" 2>&1 &
FLAME_PID=$!
flame_alive() { kill -0 "$FLAME_PID" 2>/dev/null || fail "flame-dnsd died (log: $(tail -n5 "$TMP/flame.log"))"; }

# kdig of flame's answer: the rdata of ZONE TYPE NAME
fquery() { kdig @127.0.0.1 -p "$FPORT" +time=2 +retry=1 +short "$1" "$2" 2>/dev/null; }
axfr() { axfr_canon "$1" "$2" -y "$TSIG"; } # axfr PORT ZONE: signed with the transfer key
same_axfr() { # same_axfr ZONE PRIMARY-NAME PRIMARY-PORT SERIAL
	local z=$1 n=$2 p=$3 s=$4
	axfr "$FPORT" "$z" >"$TMP/flame.$z.zone"
	axfr "$p" "$z" >"$TMP/$n.$z.zone"
	local fs
	fs=$(awk '$4 == "SOA" {print $7}' "$TMP/flame.$z.zone")
	if [ "$fs" != "$s" ]; then
		bad "flame AXFR of $z has serial '$fs', not $s: $(head -n3 "$TMP/flame.$z.zone")"
	elif diff -u "$TMP/$n.$z.zone" "$TMP/flame.$z.zone" >"$TMP/$z.diff"; then
		say "ok: flame's AXFR of $z (serial $s, $(wc -l <"$TMP/flame.$z.zone") records) equals $n's"
	else
		bad "flame's AXFR of $z differs from $n's (- $n, + flame):"
		cat "$TMP/$z.diff"
	fi
}

# --- 1. AXFR at start ------------------------------------------------------------
for p in "knotd:$KPORT:example.com" "named:$NPORT:example.net" "nsd:$DPORT:example.org"; do
	IFS=: read -r name port zone <<<"$p"
	flame_alive
	if wait_serial "$FPORT" "$zone" 1 10; then
		l=$(grep -Em1 "zone $zone\.: AXFR from 127\.0\.0\.1@$port key $KEY\.?: .*-> 1," "$TMP/flame.log")
		if [ -n "$l" ]; then say "ok: $(nolevel "$l")"; else bad "$zone serial 1 served, but no 'AXFR from 127.0.0.1@$port key $KEY' logged"; fi
	else
		bad "flame did not load $zone serial 1 from $name (has '$(serial_at "$FPORT" "$zone")')"
		grep -E "zone $zone\.:" "$TMP/flame.log" | tail -n5 | sed 's/^/    /'
	fi
done
[ "$rc" -eq 0 ] || fail "initial AXFR"
same_axfr example.com knotd "$KPORT" 1
same_axfr example.net named "$NPORT" 1
same_axfr example.org nsd "$DPORT" 1

# --- 2. a change on each primary: NOTIFY, then IXFR -------------------------------
zonefile "$KZONE" example.com 2 'www IN A 192.0.2.2' 'mail IN MX 10 mx.example.net.' 'txt IN TXT "from knotd"' \
	'new IN AAAA 2001:db8::2'
knot_reload || bad "knotc zone-reload failed: $(tail -n2 "$TMP/knotc.out")"
zonefile "$NZONE" example.net 2 'www IN A 198.51.100.2' 'mail IN MX 10 mx.example.com.' 'txt IN TXT "from named"' \
	'new IN AAAA 2001:db8::3'
named_reload || bad "rndc reload failed: $(tail -n2 "$TMP/rndc.out")"
zonefile "$DZONE" example.org 2 'www IN A 203.0.113.2' 'mail IN MX 10 mx.example.com.' 'txt IN TXT "from nsd"' \
	'new IN AAAA 2001:db8::4'
nsd_reload || bad "nsd-control reload failed: $(tail -n2 "$TMP/nsd-control.out")"
for p in "knotd|$KPORT|example.com|192.0.2.2|2001:db8::2" "named|$NPORT|example.net|198.51.100.2|2001:db8::3" \
	"nsd|$DPORT|example.org|203.0.113.2|2001:db8::4"; do
	IFS='|' read -r name port zone www new <<<"$p"
	wait_serial "$port" "$zone" 2 5 || bad "$name does not serve $zone serial 2 after its reload"
	flame_alive
	if ! wait_serial "$FPORT" "$zone" 2 10; then
		bad "flame did not get $zone serial 2 from $name (has '$(serial_at "$FPORT" "$zone")')"
		grep -E "$zone\.|NOTIFY" "$TMP/flame.log" | tail -n6 | sed 's/^/    /'
		continue
	fi
	l=$(grep -Em1 "NOTIFY for $zone\. from 127\.0\.0\.1@[0-9]+ \(key $KEY\.?\): accepted, serial 2" "$TMP/flame.log")
	if [ -n "$l" ]; then say "ok: $(nolevel "$l")"; else bad "no accepted NOTIFY serial 2 for $zone from $name logged"; fi
	l=$(grep -Em1 "zone $zone\.: IXFR from 127\.0\.0\.1@$port key $KEY\.?: serial 1 -> 2," "$TMP/flame.log")
	if [ -n "$l" ]; then
		say "ok: $(nolevel "$l")"
	else
		bad "no incremental 'IXFR from 127.0.0.1@$port: serial 1 -> 2' for $zone; flame logged:"
		grep -E "zone $zone\.: .*(XFR|refresh)" "$TMP/flame.log" | tail -n4 | sed 's/^/    /'
	fi
	if grep -Eq "zone $zone\.: IXFR \(AXFR-style\)|zone $zone\.: IXFR from .* falling back to AXFR" "$TMP/flame.log"; then
		bad "$zone: flame took the change as a whole zone: $(grep -E "zone $zone\.: IXFR (\(AXFR-style\)|from .*falling)" "$TMP/flame.log" | head -n1)"
	fi
	a=$(fquery "www.$zone" A) aaaa=$(fquery "new.$zone" AAAA) old=$(fquery "old.$zone" A)
	if [ "$a" = "$www" ] && [ "$aaaa" = "$new" ] && [ -z "$old" ]; then
		say "ok: flame answers the change in $zone (www A $a, new AAAA $aaaa, old.$zone gone)"
	else
		bad "flame's answers in $zone after serial 2: www A '$a' (want $www), new AAAA '$aaaa' (want $new), old A '$old' (want none)"
	fi
done

# nsd's side of the change: it made IXFR data of the reload (create-ixfr) and
# answered flame's IXFR from it, incrementally: flame's "IXFR from", not
# "IXFR (AXFR-style) from", checked in the loop above (seen with nsd 4.6.1).
# Its own answer to IXFR=1 says the same: one changeset, SOA serials 2 1 2 2.
l=$(grep -Em1 "zone example\.org created IXFR" "$TMP/nsd.log")
if [ -n "$l" ]; then say "ok: nsd: ${l#*info: }"; else bad "nsd logged no 'zone example.org created IXFR' after its reload"; fi
l=$(grep -Em1 "ixfr for example\.org\. from 127\.0\.0\.1" "$TMP/nsd.log")
if [ -n "$l" ]; then say "ok: nsd: ${l#*info: }"; else bad "nsd logged no IXFR request for example.org"; fi
DSOAS=$(kdig @127.0.0.1 -p "$DPORT" +time=5 +retry=0 -y "$TSIG" example.org IXFR=1 2>&1 |
	awk '!/^;/ && $4 == "SOA" {printf "%s ", $7}')
if [ "$DSOAS" = "2 1 2 2 " ]; then
	say "ok: nsd answers IXFR from serial 1 incrementally (SOA serials $DSOAS)"
else
	bad "nsd's IXFR from serial 1 has SOA serials '$DSOAS', want '2 1 2 2 '"
fi

# --- 3. same zone as the primaries ---------------------------------------------
same_axfr example.com knotd "$KPORT" 2
same_axfr example.net named "$NPORT" 2
same_axfr example.org nsd "$DPORT" 2

# --- 4. flame stopped while knotd takes 3 changes, then one IXFR ----------------
flame_alive
kill -STOP "$FLAME_PID"
kz() { # kz SERIAL RECORD...: example.com. at SERIAL, the serial-2 records plus these
	local s=$1
	shift
	zonefile "$KZONE" example.com "$s" 'www IN A 192.0.2.2' 'mail IN MX 10 mx.example.net.' 'new IN AAAA 2001:db8::2' "$@"
}
kz 3 'txt IN TXT "from knotd"' 'c3 IN TXT "change 3"'
knot_reload || bad "knotc zone-reload (serial 3) failed"
kz 4 'txt IN TXT "from knotd, changed"' 'c3 IN TXT "change 3"' 'c4 IN A 192.0.2.4'
knot_reload || bad "knotc zone-reload (serial 4) failed"
kz 5 'txt IN TXT "from knotd, changed"' 'c4 IN A 192.0.2.4' 'c5 IN AAAA 2001:db8::5'
knot_reload || bad "knotc zone-reload (serial 5) failed"
serial_at "$KPORT" example.com | grep -qx 5 || bad "knotd does not serve example.com serial 5"
# knotd's own history: IXFR from 2 is the 3 changesets (SOAs 5, 2 3, 3 4, 4 5, 5).
ixfr_soas() { # ixfr_soas PORT: the SOA serials of example.com IXFR=2, one line
	kdig @127.0.0.1 -p "$1" +time=5 +retry=0 -y "$TSIG" example.com IXFR=2 2>&1 |
		awk '!/^;/ && $4 == "SOA" {printf "%s ", $7}'
}
KSOAS=$(ixfr_soas "$KPORT")
say "knotd's IXFR from serial 2 (SOA serials): $KSOAS"
[ "$KSOAS" = "5 2 3 3 4 4 5 5 " ] || bad "knotd does not serve 3 changesets from serial 2 (is zonefile-load: difference in effect?)"
kill -CONT "$FLAME_PID"
# knotd's NOTIFYs for 3..5 went to a stopped process; whatever it still reads
# of them, the catch-up must be one IXFR to 5.
if wait_serial "$FPORT" example.com 5 $((3 * SLOW)); then
	say "ok: flame caught up with knotd's NOTIFYs sent while it was stopped"
else
	say "flame still at serial '$(serial_at "$FPORT" example.com)' after 3 s: knotc zone-notify"
	knotc -c "$TMP/knot/knot.conf" zone-notify example.com. >>"$TMP/knotc.out" 2>&1
	wait_serial "$FPORT" example.com 5 10 || bad "flame did not get example.com serial 5 (has '$(serial_at "$FPORT" example.com)')"
fi
n=$(grep -Ec "zone example\.com\.: (AXFR|IXFR).* from .*: serial [0-9]+ -> [345]," "$TMP/flame.log")
l=$(grep -E "zone example\.com\.: IXFR from 127\.0\.0\.1@$KPORT key $KEY\.?: serial 2 -> 5," "$TMP/flame.log")
if [ -n "$l" ] && [ "$n" = 1 ]; then
	say "ok: one transfer: $(nolevel "$l")"
else
	bad "catch-up not a single 'IXFR ... serial 2 -> 5' ($n transfers); flame logged:"
	grep -E "zone example\.com\.: .*(XFR|refresh|up to date)" "$TMP/flame.log" | tail -n6 | sed 's/^/    /'
fi
FSOAS=$(ixfr_soas "$FPORT")
if [ "$FSOAS" = "$KSOAS" ]; then
	say "ok: flame serves the same 3 changesets on IXFR from 2: $FSOAS"
else
	bad "flame's IXFR from serial 2 (SOA serials) is '$FSOAS', knotd's '$KSOAS'"
fi
c5=$(fquery c5.example.com AAAA) c3=$(fquery c3.example.com TXT)
[ "$c5" = "2001:db8::5" ] && [ -z "$c3" ] || bad "flame answers c5 AAAA '$c5' (want 2001:db8::5), c3 TXT '$c3' (want none)"
same_axfr example.com knotd "$KPORT" 5
same_axfr example.net named "$NPORT" 2
same_axfr example.org nsd "$DPORT" 2

# --- 5. flame-dnsd stops cleanly -------------------------------------------------
flame_alive
kill -TERM "$FLAME_PID"
for _ in $(seq 1 $((50 * SLOW))); do kill -0 "$FLAME_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$FLAME_PID" 2>/dev/null; then
	bad "flame-dnsd did not exit within $((5 * SLOW)) s of SIGTERM"
	kill -KILL "$FLAME_PID" 2>/dev/null
fi
wait "$FLAME_PID"
st=$?
FLAME_PID=""
[ "$st" -eq 0 ] && say "ok: flame-dnsd exited with status 0 on SIGTERM" || bad "flame-dnsd exit status $st after SIGTERM"
if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' "$TMP/flame.log"; then
	bad "sanitizer report in the flame-dnsd log:"
	grep -E -A20 'AddressSanitizer|LeakSanitizer|runtime error:' "$TMP/flame.log" | head -60
fi
[ "$rc" -eq 0 ] || fail "see above"
echo "primaries ($BUILD): passed"
