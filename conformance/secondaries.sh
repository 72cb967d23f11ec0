#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Interop: flame-dnsd as the primary of real secondaries, knotd, named and nsd.
#
# flame-dnsd (127.0.0.1@25400) serves example.com. with a TSIG key, allows
# transfers with that key and NOTIFYs all secondaries with it. knotd
# (@25401), named (@25402) and nsd (@25403) are secondaries of it with the
# same key.
# Steps, each with a bounded wait and a line saying what it saw:
#  1. all three load the zone by AXFR at start;
#  2. an edit of the zone file on flame: each gets our NOTIFY (logged by
#     them) and pulls the change by IXFR (their logs say so);
#  3. each secondary's AXFR equals flame's (sorted, TSIG stripped,
#     canonicalized by ldns-read-zone -c).
# SKIP when knotd, named or nsd is missing. Kills only the PIDs it started.
# Environment: BUILD (default build). Ports 25400-25403.
set -u
cd "$(dirname "$0")/.."

BUILD="${BUILD:-build}"
DAEMON="$PWD/$BUILD/flame-dnsd"
FPORT=25400
KPORT=25401
NPORT=25402
DPORT=25403 # nsd
case "$BUILD" in *asan*) SLOW=4 ;; *) SLOW=1 ;; esac
OUT=conformance/out
TAG=$(basename "$BUILD")

if [ ! -x "$DAEMON" ]; then
	echo "secondaries: SKIP ($DAEMON not built)"
	exit 0
fi
for bin in knotd knotc named nsd kdig tsig-keygen ldns-read-zone; do
	if ! command -v "$bin" >/dev/null 2>&1; then
		echo "secondaries: SKIP ($bin not installed; scripts/deps.sh installs it)"
		exit 0
	fi
done

TMP=$(mktemp -d /tmp/flame-secondaries.XXXXXX) || exit 1
source conformance/lib/peers.bash
mkdir -p "$OUT"
FLAME_PID="" KNOT_PID="" NAMED_PID="" NSD_PID=""
cleanup() {
	stop_pid "$NSD_PID"
	stop_pid "$NAMED_PID"
	stop_pid "$KNOT_PID"
	stop_pid "$FLAME_PID"
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
	echo "secondaries: FAIL: $*"
	for f in flame.log knot.log named.log nsd.log; do
		[ -s "$TMP/$f" ] && cp "$TMP/$f" "$OUT/$TAG-secondaries-$f" && echo "  log: $OUT/$TAG-secondaries-$f"
	done
	exit 1
}
say() { echo "secondaries: $*"; }

# --- the key and the zone -----------------------------------------------------
KEY=xfr-key
tsig-keygen -a hmac-sha256 "$KEY" >"$TMP/xfr.key"
SECRET=$(sed -n 's/.*secret "\(.*\)";.*/\1/p' "$TMP/xfr.key")
mkdir -p "$TMP/zones" "$TMP/storage"
zone() { # zone WWW-ADDR [EXTRA]
	{
		echo '$TTL 300'
		echo '@ IN SOA ns1.example.com. hostmaster.example.com. 2024010101 3600 900 604800 300'
		echo '@ IN NS ns1'
		echo '@ IN NS ns2'
		echo 'ns1 IN A 127.0.0.1'
		echo 'ns2 IN A 127.0.0.2'
		echo "www IN A $1"
		echo 'mail IN MX 10 mx.example.net.'
		echo 'txt IN TXT "interop test"'
		[ -n "${2:-}" ] && echo "$2"
	} >"$TMP/zones/example.com.zone.tmp"
	mv "$TMP/zones/example.com.zone.tmp" "$TMP/zones/example.com.zone"
}
zone 192.0.2.1

# --- flame-dnsd, the primary --------------------------------------------------
cat >"$TMP/flame.yaml" <<YAML
keys:
  files: [ "$TMP/xfr.key" ]
zones:
  directory: "$TMP/zones"
  storage: "$TMP/storage"
  serial-policy: increment
transfer:
  allow: [ "127.0.0.1 key $KEY" ]
notify:
  targets: [ "127.0.0.1@$KPORT key $KEY", "127.0.0.1@$NPORT key $KEY", "127.0.0.1@$DPORT key $KEY" ]
  retries: 5
  timeout-ms: 500
YAML
"$DAEMON" -c "$TMP/flame.yaml" --listen "127.0.0.1@$FPORT" --workers 1 >"$TMP/flame.log" 2>&1 &
FLAME_PID=$!
for _ in $(seq 1 $((100 * SLOW))); do
	kill -0 "$FLAME_PID" 2>/dev/null || fail "flame-dnsd exited at start-up"
	grep -q "flame-dnsd ready" "$TMP/flame.log" && break
	sleep 0.1
done
grep -q "flame-dnsd ready" "$TMP/flame.log" || fail "flame-dnsd not ready"
fserial() { kdig @127.0.0.1 -p "$FPORT" +time=1 +retry=0 +short example.com SOA 2>/dev/null | awk '{print $3}'; }
S0=$(fserial)
say "flame-dnsd serves example.com. serial $S0"

# --- knotd, secondary ---------------------------------------------------------
mkdir -p "$TMP/knot/run" "$TMP/knot/db" "$TMP/knot/zones"
knot_server_conf "$TMP/knot" "$KPORT" info >"$TMP/knot/knot.conf"
cat >>"$TMP/knot/knot.conf" <<KNOT
key:
  - id: $KEY
    algorithm: hmac-sha256
    secret: $SECRET
remote:
  - id: flame
    address: 127.0.0.1@$FPORT
    key: $KEY
acl:
  - id: notify-from-flame
    address: 127.0.0.1
    key: $KEY
    action: notify
  - id: local-transfer
    address: 127.0.0.1
    action: transfer
template:
  - id: default
    storage: "$TMP/knot/zones"
    zonefile-sync: -1
    zonefile-load: none
    semantic-checks: off
zone:
  - domain: example.com.
    master: flame
    acl: [ notify-from-flame, local-transfer ]
KNOT
knotd -c "$TMP/knot/knot.conf" >"$TMP/knot.log" 2>&1 &
KNOT_PID=$!

# --- named, secondary ---------------------------------------------------------
mkdir -p "$TMP/named"
cat >"$TMP/named/named.conf" <<NAMED
options {
$(named_options_base "$NPORT")
	notify no;
	allow-transfer { 127.0.0.1; };
};
controls { };
// -f, not -g: -g would ignore this. Debug 3 on xfer-in makes named name the
// transfer type ("requesting IXFR"), which its info level does not.
logging {
	channel to_file {
		file "$TMP/named.log";
		severity debug 3;
		print-time yes;
		print-severity yes;
	};
	channel info_file {
		file "$TMP/named.log";
		severity info;
		print-time yes;
	};
	category xfer-in { to_file; };
	category default { info_file; };
};
key "$KEY" {
	algorithm hmac-sha256;
	secret "$SECRET";
};
zone "example.com" {
	type secondary;
	primaries { 127.0.0.1 port $FPORT key "$KEY"; };
	allow-notify { key "$KEY"; };
	file "example.com.db";
};
NAMED
named -f -4 -u root -d 3 -c "$TMP/named/named.conf" >"$TMP/named.stderr" 2>&1 &
NAMED_PID=$!

# --- nsd, secondary -------------------------------------------------------------
# Server settings from lib/peers.bash (files in $TMP/nsd). -d keeps the main
# process in the foreground, so its PID is ours (it forks xfrd and a server
# child, and stops them on SIGTERM).
# request-xfr without AXFR: nsd asks IXFR once it has the zone. store-ixfr
# keeps what it takes by IXFR, to serve on (step 2 checks that); provide-xfr
# NOKEY lets the step 3 AXFR in without the key, as knotd's acl does.
mkdir -p "$TMP/nsd"
{
	nsd_server_conf "$DPORT"
	cat <<NSD
key:
    name: $KEY
    algorithm: hmac-sha256
    secret: "$SECRET"
zone:
    name: example.com
    zonefile: "example.com.zone"
    request-xfr: 127.0.0.1@$FPORT $KEY
    allow-notify: 127.0.0.1 $KEY
    provide-xfr: 127.0.0.1 NOKEY
    store-ixfr: yes
NSD
} >"$TMP/nsd/nsd.conf"
nsd -d -c "$TMP/nsd/nsd.conf" >"$TMP/nsd.stderr" 2>&1 &
NSD_PID=$!

sserial() { # sserial PORT
	kdig @127.0.0.1 -p "$1" +time=1 +retry=0 +short example.com SOA 2>/dev/null | awk '{print $3}'
}
wait_serial() { # wait_serial PORT SERIAL SECONDS
	local i
	for i in $(seq 1 $(($3 * 10 * SLOW))); do
		[ "$(sserial "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
axfr() { # axfr PORT [kdig args]: example.com, TSIG stripped, canonical, sorted, one SOA
	local p=$1
	shift
	axfr_canon "$p" example.com "$@"
}

rc=0
# --- 1. AXFR at start ---------------------------------------------------------
kill -0 "$KNOT_PID" 2>/dev/null || fail "knotd exited at start-up"
if wait_serial "$KPORT" "$S0" 15; then
	say "knotd loaded serial $S0: $(grep -E 'AXFR, incoming.*(finished|completed)' "$TMP/knot.log" | head -n1)"
else
	say "knotd did not load serial $S0 (has '$(sserial $KPORT)')"
	rc=1
fi
kill -0 "$NAMED_PID" 2>/dev/null || fail "named exited at start-up"
if wait_serial "$NPORT" "$S0" 15; then
	say "named loaded serial $S0: $(grep -E "transfer of 'example.com/IN'.*Transfer status: success" "$TMP/named.log" | head -n1)"
else
	say "named did not load serial $S0 (has '$(sserial $NPORT)')"
	rc=1
fi
kill -0 "$NSD_PID" 2>/dev/null || fail "nsd exited at start-up: $(tail -n3 "$TMP/nsd.stderr")"
if wait_serial "$DPORT" "$S0" 15; then
	say "nsd loaded serial $S0: $(grep -E "zone example\.com\. received update to serial $S0 " "$TMP/nsd.log" | head -n1)"
else
	say "nsd did not load serial $S0 (has '$(sserial $DPORT)')"
	rc=1
fi
[ "$rc" -eq 0 ] || fail "initial AXFR"

# --- 2. an edit: NOTIFY, then IXFR --------------------------------------------
zone 192.0.2.2 'new IN AAAA 2001:db8::2'
S1=""
for _ in $(seq 1 $((50 * SLOW))); do
	S1=$(fserial)
	[ -n "$S1" ] && [ "$S1" != "$S0" ] && break
	sleep 0.1
done
[ "$S1" != "$S0" ] || fail "flame-dnsd did not publish the edit"
say "flame-dnsd published serial $S1"
for who in knotd:$KPORT named:$NPORT nsd:$DPORT; do
	name=${who%%:*} port=${who##*:}
	if wait_serial "$port" "$S1" 15; then
		say "$name has serial $S1"
	else
		say "$name still has serial '$(sserial "$port")', not $S1"
		rc=1
	fi
done
# Our side: all three NOTIFYs answered.
for port in $KPORT $NPORT $DPORT; do
	l=$(grep "notify example.com. serial $S1 to 127.0.0.1@$port key $KEY: answered" "$TMP/flame.log")
	if [ -n "$l" ]; then say "flame: ${l#*notice: }"; else say "flame: no answered NOTIFY to port $port"; rc=1; fi
done
# knotd: NOTIFY received and IXFR.
sleep 0.5
l=$(grep -iE "NOTIFY, incoming, remote 127\.0\.0\.1@[0-9]+.*serial $S1" "$TMP/knot.log" | head -n1)
[ -n "$l" ] && say "knotd: $l" || { say "knotd: no NOTIFY logged"; rc=1; }
l=$(grep -E "IXFR, incoming, remote 127\.0\.0\.1@$FPORT.*(finished|started)" "$TMP/knot.log" | tail -n2)
[ -n "$l" ] && say "knotd: $l" || { say "knotd: no IXFR logged"; rc=1; }
# named: NOTIFY received and an incremental transfer.
l=$(grep -E "notify from 127\.0\.0\.1#[0-9]+: serial $S1" "$TMP/named.log" | head -n1)
[ -n "$l" ] && say "named: $l" || { say "named: no NOTIFY logged"; rc=1; }
l=$(grep -E "transfer of 'example.com/IN' from 127\.0\.0\.1#$FPORT: (Transfer status|Transfer completed|.*IXFR|.*incremental)" "$TMP/named.log" | tail -n4)
say "named: $l"
grep -Eq "from 127\.0\.0\.1#$FPORT: .*(IXFR|incremental)" "$TMP/named.log" || { say "named: no IXFR logged"; rc=1; }
[ "$(grep -c "from 127\.0\.0\.1#$FPORT: Transfer status: success" "$TMP/named.log")" -ge 2 ] ||
	{ say "named: second transfer not successful"; rc=1; }

# nsd: NOTIFY received, and the change taken by IXFR. NSD 4.6.1 logs neither
# the transfer type it asks for nor the one it gets (not even at verbosity 3),
# so two other witnesses, both seen to turn when nsd is forced to AXFR
# ("request-xfr: AXFR ..."):
#  a. flame sent no AXFR of serial $S1 before step 3, only incremental IXFRs
#     (one each: knotd's and named's are in their logs, so the third is nsd's);
#  b. with store-ixfr: yes nsd keeps the changesets it receives by IXFR and
#     serves them on; a zone taken by AXFR has no history (nsd then answers
#     IXFR=$S0 with the whole zone). Its IXFR from $S0 must be flame's, record
#     for record, in order.
l=$(grep -E "notify for example\.com\. from 127\.0\.0\.1 serial $S1" "$TMP/nsd.log" | head -n1)
if [ -n "$l" ]; then say "nsd: $l"; else say "nsd: no NOTIFY logged"; rc=1; fi
l=$(grep -E "zone example\.com\. received update to serial $S1 .*from 127\.0\.0\.1@$FPORT TSIG verified with key $KEY" "$TMP/nsd.log" | head -n1)
if [ -n "$l" ]; then say "nsd: $l"; else say "nsd: no TSIG-verified update to serial $S1 from flame logged"; rc=1; fi
nax=$(grep -c "AXFR of example.com. serial $S1 to 127.0.0.1@[0-9]* key $KEY. started" "$TMP/flame.log")
nix=$(grep -c "IXFR of example.com. serial $S1 to 127.0.0.1@[0-9]* key $KEY. started (incremental)" "$TMP/flame.log")
if [ "$nax" -eq 0 ] && [ "$nix" -ge 3 ]; then
	say "flame: serial $S1 went out as $nix incremental IXFRs and no AXFR"
else
	say "flame: serial $S1 went out as $nix incremental IXFRs and $nax AXFRs (want 3 and 0):"
	grep -E "XFR of example.com. serial $S1 " "$TMP/flame.log" | sed 's/^/    /'
	rc=1
fi
ixfr() { # ixfr PORT [kdig args]: IXFR=$S0 of the zone, in order, TSIG stripped
	local p=$1
	shift
	kdig @127.0.0.1 -p "$p" +time=3 +retry=0 "$@" example.com IXFR="$S0" 2>&1 | grep -v '^;' | grep -v '^$' |
		awk '$4 != "TSIG"'
}
ixfr "$FPORT" -y "hmac-sha256:$KEY:$SECRET" >"$TMP/flame.ixfr"
ixfr "$DPORT" >"$TMP/nsd.ixfr"
soas=$(awk '$4 == "SOA" {printf "%s ", $7}' "$TMP/nsd.ixfr")
if [ "$(awk '$4 == "SOA"' "$TMP/flame.ixfr" | wc -l)" -ne 4 ]; then
	say "flame's IXFR from $S0 is not one changeset:"
	sed 's/^/    /' "$TMP/flame.ixfr"
	rc=1
elif diff -u "$TMP/flame.ixfr" "$TMP/nsd.ixfr" >"$TMP/nsd.ixfr.diff"; then
	say "nsd serves the IXFR it took, identical to flame's ($(wc -l <"$TMP/nsd.ixfr") records, SOA serials $soas)"
else
	say "nsd's IXFR from $S0 differs from flame's (did it take serial $S1 by AXFR?):"
	cat "$TMP/nsd.ixfr.diff"
	rc=1
fi
a=$(kdig @127.0.0.1 -p "$DPORT" +time=1 +retry=0 +short www.example.com A 2>/dev/null)
aaaa=$(kdig @127.0.0.1 -p "$DPORT" +time=1 +retry=0 +short new.example.com AAAA 2>/dev/null)
if [ "$a" = 192.0.2.2 ] && [ "$aaaa" = 2001:db8::2 ]; then
	say "nsd answers the edit: www A $a, new AAAA $aaaa"
else
	say "nsd answers www A '$a' (want 192.0.2.2), new AAAA '$aaaa' (want 2001:db8::2)"
	rc=1
fi

# --- 3. same zone everywhere --------------------------------------------------
axfr "$FPORT" -y "hmac-sha256:$KEY:$SECRET" >"$TMP/flame.zone"
axfr "$KPORT" >"$TMP/knot.zone"
axfr "$NPORT" >"$TMP/named.zone"
axfr "$DPORT" >"$TMP/nsd.zone"
say "flame AXFR: $(wc -l <"$TMP/flame.zone") records, serial $(awk '$4 == "SOA" {print $7}' "$TMP/flame.zone")"
grep -q "2001:db8::2" "$TMP/flame.zone" || { say "flame AXFR lacks the edit"; rc=1; }
for s in knot named nsd; do
	if diff -u "$TMP/flame.zone" "$TMP/$s.zone" >"$TMP/$s.diff"; then
		say "$s AXFR identical to flame's ($(wc -l <"$TMP/$s.zone") records)"
	else
		say "$s AXFR differs from flame's:"
		cat "$TMP/$s.diff"
		rc=1
	fi
done

# --- 4. our transfer client (src/xfr/xfrin.c) against knotd as the primary -----
# knotd serves the zone it took from us; our parser must read knotd's AXFR
# (its message layout and compression, not ours) into the same zone.
XFRGET="$BUILD/tools/xfrget"
if [ -x "$XFRGET" ]; then
	out=$("$XFRGET" "$KPORT" example.com 2>&1)
	# records in flame's AXFR listing (axfr() lists each RR once)
	want_n=$(grep -c . "$TMP/flame.zone")
	if [[ "$out" == "AXFR example.com serial $S1 records $want_n "* ]]; then
		say "xfrin read knotd's AXFR: $out"
	else
		say "xfrin on knotd's AXFR: expected serial $S1 and $want_n records, got: $out"
		rc=1
	fi
else
	say "xfrin check: $XFRGET not built"
	rc=1
fi

# --- flame-dnsd stops cleanly -------------------------------------------------
kill -TERM "$FLAME_PID"
for _ in $(seq 1 $((50 * SLOW))); do kill -0 "$FLAME_PID" 2>/dev/null || break; sleep 0.1; done
wait "$FLAME_PID"
st=$?
FLAME_PID=""
[ "$st" -eq 0 ] || { say "flame-dnsd exit status $st after SIGTERM"; rc=1; }
if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' "$TMP/flame.log"; then
	say "sanitizer report in the flame-dnsd log"
	rc=1
fi
[ "$rc" -eq 0 ] || fail "see above"
echo "secondaries ($BUILD): passed"
