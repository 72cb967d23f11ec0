#!/usr/bin/env bash
# Catalog zones (RFC 9432, issue 5), flame-dnsd to flame-dnsd on loopback
# with TSIG. The secondary's config names only catalogs, never a member.
#  1. producer: the primary generates catalog.flame.invalid. from its zone
#     directory (version "2", one PTR per zone, the group of b.test); the
#     catalog answers SOA but refuses other queries;
#  2. the secondary serves every member after start-up;
#  3. a new zone file on the primary is served by the secondary (the
#     catalog change came by IXFR); a deleted one disappears there, files
#     and all; a file that comes back gets a new label;
#  4. a restart of the secondary serves every member from disk at once and
#     transfers none of them again; a restart of the primary keeps labels;
#  5. a hand-written catalog (second primary) without a version is refused
#     with a clear line and no member; fixed, its members come; a changed
#     label resets the member (AXFR), and its files go at once, so a crash
#     before the new copy does not bring the old one back; a coo property
#     moves a member to another catalog, and the other catalog's removal no
#     longer drops it.
# Ports 15480-15482 (15489: a primary that never answers).
source "$(dirname "$0")/lib/common.bash"
PPORT=15480
SPORT=15481
QPORT=15482
PPID_=""
QPID=""
PLOG="$T/primary.log"
QLOG="$T/q.log"
stopp() { local p=$1; [ -n "$p" ] && kill -CONT "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null && wait "$p" 2>/dev/null; }
trap 'stopp "$PPID_"; stopp "$QPID"; cleanup' EXIT

mkdir -p "$T/p/zones" "$T/p/storage" "$T/s/zones" "$T/s/storage" "$T/q/zones"
tsig-keygen -a hmac-sha256 xfr-key >"$T/xfr.key"

mkzone() { # mkzone DIR NAME SERIAL
	cat >"$1/$2.zone.tmp" <<Z
\$ORIGIN $2.
\$TTL 300
@ IN SOA ns1 hostmaster $3 60 10 600 60
@ NS ns1
ns1 A 127.0.0.1
www A 192.0.2.$3
Z
	mv "$1/$2.zone.tmp" "$1/$2.zone"
}
mkzone "$T/p/zones" a.test 1
mkzone "$T/p/zones" b.test 1

cat >"$T/p.yaml" <<Y
server: { listen: ["127.0.0.1@$PPORT"], workers: 1 }
log: { level: info }
zones: { directory: $T/p/zones, storage: $T/p/storage }
keys: { files: [ $T/xfr.key ] }
transfer: { allow: [ "127.0.0.1 key xfr-key" ] }
notify: { targets: [ "127.0.0.1@$SPORT key xfr-key" ], timeout-ms: 100, retries: 3 }
zone:
  - domain: catalog.flame.invalid.
    catalog: producer
  - domain: b.test.
    catalog-group: premium
Y
cat >"$T/s.yaml" <<Y
server: { listen: ["127.0.0.1@$SPORT"], workers: 1 }
log: { level: info }
zones: { directory: $T/s/zones, storage: $T/s/storage, role: secondary }
keys: { files: [ $T/xfr.key ] }
transfer: { allow: [ "127.0.0.1 key xfr-key" ] }
secondary: { refresh-min: 1, retry-min: 1, transfer-timeout: 2000 }
zone:
  - domain: catalog.flame.invalid.
    catalog: consumer
    primaries: [ "127.0.0.1@$PPORT key xfr-key" ]
  - domain: hand1.invalid.
    catalog: consumer
    primaries: [ "127.0.0.1@$QPORT key xfr-key" ]
  - domain: hand2.invalid.
    catalog: consumer
    primaries: [ "127.0.0.1@$QPORT key xfr-key" ]
template:
  - id: premium
    primaries: [ "127.0.0.1@$PPORT key xfr-key" ]
  - id: blackhole
    primaries: [ "127.0.0.1@15489 key xfr-key" ]
Y
cat >"$T/q.yaml" <<Y
server: { listen: ["127.0.0.1@$QPORT"], workers: 1 }
log: { level: info }
zones: { directory: $T/q/zones }
keys: { files: [ $T/xfr.key ] }
transfer: { allow: [ "127.0.0.1 key xfr-key" ] }
notify: { targets: [ "127.0.0.1@$SPORT key xfr-key" ], timeout-ms: 100, retries: 3 }
Y
# handcat NAME SERIAL [RR lines...]: a catalog written by hand on Q.
handcat() {
	local n=$1 s=$2
	shift 2
	{
		printf '$ORIGIN %s.\n$TTL 0\n@ IN SOA invalid. invalid. %s 60 10 600 0\n@ NS invalid.\n' "$n" "$s"
		printf '%s\n' "$@"
	} >"$T/q/zones/$n.zone.tmp"
	mv "$T/q/zones/$n.zone.tmp" "$T/q/zones/$n.zone"
}
mkzone "$T/q/zones" m1.test 7
mkzone "$T/q/zones" m2.test 7
handcat hand1.invalid 1 'm1.zones PTR m1.test.'   # no version: not a catalog
handcat hand2.invalid 1 'version TXT "2"'

wait_until() { # wait_until SECONDS COMMAND...: true once the command succeeds
	local i n=$(($1 * 10 * SLOW))
	shift
	for i in $(seq 1 $n); do "$@" && return 0; sleep 0.1; done
	return 1
}
soa() { q 127.0.0.1 "$1" "$2" SOA +short | awk '{print $3}'; }
rcode() { q 127.0.0.1 "$1" "$2" "${3:-SOA}" | sed -n 's/.*status: \([A-Z]*\).*/\1/p'; }
serves() { [ "$(soa "$SPORT" "$1")" == "$2" ]; }
gone() { [ "$(rcode "$SPORT" "$1")" == REFUSED ]; }
catxfr() { kdig @127.0.0.1 -p "$PPORT" -y "hmac-sha256:xfr-key:$(sed -n 's/.*secret "\(.*\)";/\1/p' "$T/xfr.key")" \
	+time=$((3 * SLOW)) +retry=0 catalog.flame.invalid. AXFR 2>&1 | grep -v '^;' | awk '$4 != "TSIG" && NF'; }
label_of() { catxfr | awk -v m="$1." '$4 == "PTR" && $5 == m { split($1, a, "."); print a[1] }'; }
startp() {
	"$DAEMON" -c "$T/p.yaml" >>"$PLOG" 2>&1 &
	PPID_=$!
	wait_until 5 test -n "$(soa $PPORT a.test)" || { echo "FAIL primary not ready"; FAILS=$((FAILS + 1)); }
}

startp
"$DAEMON" -c "$T/q.yaml" >"$QLOG" 2>&1 &
QPID=$!
wait_until 5 test -n "$(soa $QPORT m1.test)"

# 1. the produced catalog (the first AXFR may come while a slow build still starts)
catxfr_ok() { AX=$(catxfr); grep -q '^version' <<<"$AX"; }
wait_until 10 catxfr_ok || echo "catalog AXFR never complete, last answer: $AX"
check "producer: version TXT \"2\"" 1 "$(grep -cE '^version\.catalog\.flame\.invalid\.\s+0\s+IN\s+TXT\s+"2"$' <<<"$AX")"
check "producer: one PTR per zone file" "a.test. b.test." "$(awk '$4 == "PTR" {print $5}' <<<"$AX" | sort | xargs)"
check "producer: labels are one label under zones" 2 "$(grep -cE '^[0-9a-f]{16}\.zones\.catalog\.flame\.invalid\.\s.*PTR' <<<"$AX")"
check "producer: group of b.test" "$(label_of b.test)" "$(awk '$4 == "TXT" && $5 == "\"premium\"" { split($1, a, "."); print a[2] }' <<<"$AX")"
check "producer: the catalog answers SOA" NOERROR "$(rcode $PPORT catalog.flame.invalid.)"
check "producer: other queries to the catalog are refused" REFUSED "$(rcode $PPORT version.catalog.flame.invalid. TXT)"

# 2. the consumer serves every member
start_daemon -c "$T/s.yaml"
wait_ready 127.0.0.1 $SPORT || finish
wait_until 10 serves b.test 1
check "consumer: a.test served" 1 "$(soa $SPORT a.test)"
check "consumer: b.test served" 1 "$(soa $SPORT b.test)"
check "consumer: member data" 192.0.2.1 "$(q 127.0.0.1 $SPORT www.a.test A +short)"
check "consumer: the catalog itself is not queryable" REFUSED "$(rcode $SPORT version.catalog.flame.invalid. TXT)"

# 3. a new zone file, then a deleted one
L_B=$(label_of b.test)
mkzone "$T/p/zones" c.test 5
wait_until 10 serves c.test 5
check "new zone file on the primary: served by the secondary" 5 "$(soa $SPORT c.test)"
check "new zone: member added" 1 "$(grep -c 'catalog catalog.flame.invalid.: member c.test. added' "$DLOG")"
check_match "new zone: the catalog change came by IXFR" 'IXFR from 127\.0\.0\.1@15480 key xfr-key\.: serial [0-9]+ -> [0-9]+' \
	"$(grep -m1 -oE 'catalog\.flame\.invalid\.: IXFR from .*: serial [0-9]+ -> [0-9]+' "$DLOG")"
check "new zone: snapshot on the secondary's disk" 1 "$(ls "$T/s/storage" | grep -c '^c\.test\.snapshot$')"
rm "$T/p/zones/b.test.zone"
wait_until 10 gone b.test
check "deleted zone file: the secondary stops serving it" REFUSED "$(rcode $SPORT b.test)"
check "deleted zone: its files are gone on the secondary" 0 "$(ls "$T/s/storage" | grep -c '^b\.test\.')"
mkzone "$T/p/zones" b.test 2
wait_until 10 serves b.test 2
check "re-created zone: served again" 2 "$(soa $SPORT b.test)"
L_B2=$(label_of b.test)
check_match "re-created zone: a new label ($L_B -> $L_B2)" '^[0-9a-f]{16}$' "$([ "$L_B" != "$L_B2" ] && echo "$L_B2")"

# 4. restarts
L_A=$(label_of a.test)
kill -TERM "$DPID"; wait "$DPID" 2>/dev/null
kill -STOP "$PPID_"
start_daemon -c "$T/s.yaml"
wait_ready 127.0.0.1 $SPORT || finish
check "restart, primary frozen: a.test from disk" 1 "$(soa $SPORT a.test)"
check "restart, primary frozen: c.test from disk" 5 "$(soa $SPORT c.test)"
check "restart: members listed from the catalog on disk" 1 "$(grep -c 'catalog catalog.flame.invalid.: serial [0-9]* from disk lists 3 member zones' "$DLOG")"
kill -CONT "$PPID_"
wait_until 5 grep -q 'zone c.test.: up to date at serial 5' "$DLOG"
sleep $((1 * SLOW))
check "restart: no member transferred again" 0 "$(grep -cE '(AXFR|IXFR)( \(AXFR-style\))? from [^ ]+ key xfr-key\.: serial' "$DLOG")"
kill -KILL "$PPID_"; wait "$PPID_" 2>/dev/null
startp
check "primary restart: labels kept" "$L_A" "$(label_of a.test)"

# 5. hand-written catalogs: refused, fixed, reset, coo
check "catalog without version: refused with a clear line" 1 \
	"$(grep -m1 -c 'zone hand1.invalid.: AXFR from 127.0.0.1@15482 key xfr-key. rejected: .*version.hand1.invalid.' "$DLOG")"
check "catalog without version: no member" REFUSED "$(rcode $SPORT m1.test)"
handcat hand1.invalid 2 'version TXT "2"' 'm1.zones PTR m1.test.'
wait_until 10 serves m1.test 7
check "fixed catalog: its member is served" 7 "$(soa $SPORT m1.test)"
handcat hand1.invalid 3 'version TXT "2"' 'm1b.zones PTR m1.test.'
wait_until 10 grep -q 'member m1.test. has a new unique label: reset' "$DLOG"
wait_until 10 grep -q 'zone m1.test.: AXFR from.*serial none -> 7' <(grep -A100000 'member m1.test. has a new unique label' "$DLOG")
check "label change: reset logged" 1 "$(grep -c 'member m1.test. has a new unique label: reset' "$DLOG")"
check "label change: the member is transferred anew (AXFR)" 1 "$(grep -A100000 'new unique label' "$DLOG" | grep -c 'zone m1.test.: AXFR from')"
# A reset survives a crash: the member's files go at once. Its group now
# names a template whose primary never answers, so the new copy never comes.
handcat hand1.invalid 4 'version TXT "2"' 'm1c.zones PTR m1.test.' 'group.m1c.zones TXT "blackhole"'
wait_until 10 grep -q 'catalog hand1.invalid. serial 4' "$DLOG"
check "reset pending: the old copy still serves" 7 "$(soa $SPORT m1.test)"
check "reset pending: its snapshot is already gone" 0 "$(ls "$T/s/storage" | grep -c '^m1\.test\.snapshot')"
kill -KILL "$DPID"; wait "$DPID" 2>/dev/null
start_daemon -c "$T/s.yaml"
wait_ready 127.0.0.1 $SPORT || finish
check "crash during a reset: the old copy does not come back" SERVFAIL "$(rcode $SPORT m1.test)"
handcat hand1.invalid 5 'version TXT "2"' 'm1b.zones PTR m1.test.'
wait_until 10 serves m1.test 7
check "group gone: the member comes from the catalog's primary again" 7 "$(soa $SPORT m1.test)"
# coo: hand2 lists m1 too; hand1 hands it over with coo.
handcat hand2.invalid 2 'version TXT "2"' 'x.zones PTR m1.test.'
wait_until 10 grep -q 'member m1.test. belongs to catalog hand1.invalid.' "$DLOG"
check "claim without coo: ignored" 1 "$(grep -c 'catalog hand2.invalid.: member m1.test. belongs to catalog hand1.invalid.' "$DLOG")"
handcat hand1.invalid 6 'version TXT "2"' 'm1b.zones PTR m1.test.' 'coo.m1b.zones PTR hand2.invalid.'
wait_until 10 grep -q 'member m1.test. moves to catalog hand2.invalid.' "$DLOG"
check "coo: the member moves" 1 "$(grep -c 'catalog hand1.invalid.: member m1.test. moves to catalog hand2.invalid. (coo)' "$DLOG")"
handcat hand1.invalid 7 'version TXT "2"'
wait_until 10 grep -q 'catalog hand1.invalid. serial 7' "$DLOG"
check "coo: removal from the old catalog keeps the member" 7 "$(soa $SPORT m1.test)"
handcat hand2.invalid 3 'version TXT "2"'
wait_until 10 gone m1.test
check "coo: removal from the new catalog drops it" REFUSED "$(rcode $SPORT m1.test)"

stop_daemon
finish
