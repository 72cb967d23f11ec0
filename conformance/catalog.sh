#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Interop: RFC 9432 catalog zones, flame-dnsd beside knotd and named.
#
# A. flame-dnsd (127.0.0.1@25450) produces catalog.flame.invalid. from its
#    zone directory (every <name>.zone file is a member; example.com. has the
#    group property "premium"). named (@25451, catalog-zones) and knotd
#    (@25452, catalog-role: interpret) consume it, all with the TSIG key
#    cat-key (catalog and members transferred with it, NOTIFYs signed).
#     A1. flame's AXFR of the catalog: version "2", one PTR per zone file,
#         group "premium" on example.com.;
#     A2. named and knotd serve every member (SOA with AA, flame's serial);
#         knotd took example.com. with its "premium" template (named 9.18
#         does not know the group property: it logs a warning and adds the
#         member all the same);
#     A3. a new zone file on flame (new-customer.test.zone): both serve it at
#         flame's serial, their AXFR equals flame's, and an edit of it
#         reaches both (NOTIFY from flame to the member);
#     A4. a zone file deleted on flame (example.org.zone): both stop
#         serving it (REFUSED / NOTAUTH / no AA).
# B. knotd (@25453, catalog-role: generate) produces catalog.knot.invalid.;
#    flame-dnsd (@25454) consumes it (catalog: consumer), with a template
#    for the group "premium" that transfers with another key (other-key):
#     B1. flame serves every member; example.com. was transferred with
#         other-key (the template; knotd's acl gives it to that key only),
#         the others with cat-key;
#     B2. a member added on knotd (zone file + knotc conf-set, no restart):
#         flame serves it, its AXFR equals knotd's; flame logs the addition;
#     B3. a member removed on knotd (knotc conf-unset): flame stops serving
#         it and logs the removal.
# Each flame-dnsd exits cleanly on SIGTERM (ASan builds: no sanitizer report).
# Every wait is bounded and ends with a line saying what was seen.
#
# CATALOG_PRODUCER=knotd is the peers-only run (no flame-dnsd needed): part A
# with knotd (@25455, catalog-role: generate, the producer config of part B)
# in place of flame-dnsd, part B with a knotd consumer (@25454, the consumer
# config of part A with other-key in its premium template) in place of
# flame-dnsd. It proves every peer config, NOTIFY and key of both parts.
#
# The flame side (README "Catalog zones"):
#  - producer: a zone: entry `catalog: producer` (no file) makes the catalog
#    of all zone files of zones.directory; `catalog-group: G` on a member's
#    entry gives it the group property; the catalog is NOTIFYed to
#    notify.targets and served by AXFR/IXFR to transfer.allow; a new or
#    deleted zone file changes the catalog (inotify, within 10 s here);
#  - consumer: a secondary zone: entry `catalog: consumer`; members take that
#    entry's primaries / notify-allow unless a template: entry whose id is
#    the member's group exists; members are logged added/removed on a line
#    containing "catalog" and the member's name;
#  - flame's SOA query before a transfer goes over TCP: knotd
#    answers UDP queries to a generated catalog REFUSED, unsigned even when
#    the query was signed (named needs tcp-only for that, see below).
# Without catalog support, flame-dnsd --check rejects the config ("unknown
# key 'catalog'"): the script then fails at once, saying so.
# SKIP when knotd, named or the tools are missing. Kills only the PIDs it
# started. Environment: BUILD (default build), CATALOG_PRODUCER (flame).
# Ports 25450-25455.
set -u
cd "$(dirname "$0")/.."

BUILD="${BUILD:-build}"
DAEMON="$PWD/$BUILD/flame-dnsd"
PRODUCER="${CATALOG_PRODUCER:-flame}"
FPORT=25450  # A: flame, producer
NPORT=25451  # A: named, consumer
KPORT=25452  # A: knotd, consumer
KPPORT=25453 # B: knotd, producer
FCPORT=25454 # B: flame, consumer
KAPORT=25455 # A with CATALOG_PRODUCER=knotd: knotd, producer
case "$BUILD" in *asan*) SLOW=4 ;; *) SLOW=1 ;; esac
OUT=conformance/out
TAG=$(basename "$BUILD")
CATA=catalog.flame.invalid.
CATB=catalog.knot.invalid.

case "$PRODUCER" in
flame) PNAME=flame-dnsd ;;
knotd) PNAME="knotd (producer)" CATA=$CATB FPORT=$KAPORT ;;
*) echo "catalog: CATALOG_PRODUCER must be flame or knotd, not '$PRODUCER'"; exit 2 ;;
esac
if [ "$PRODUCER" = flame ] && [ ! -x "$DAEMON" ]; then
	echo "catalog: SKIP ($DAEMON not built)"
	exit 0
fi
for bin in knotd knotc named named-checkconf kdig tsig-keygen ldns-read-zone; do
	if ! command -v "$bin" >/dev/null 2>&1; then
		echo "catalog: SKIP ($bin not installed; scripts/deps.sh installs it)"
		exit 0
	fi
done

TMP=$(mktemp -d /tmp/flame-catalog.XXXXXX) || exit 1
source conformance/lib/peers.bash
mkdir -p "$OUT"
FLAME_PID="" KNOT_PID="" NAMED_PID="" KPROD_PID="" FCONS_PID=""
cleanup() {
	stop_pid "$FCONS_PID"
	stop_pid "$KPROD_PID"
	stop_pid "$NAMED_PID"
	stop_pid "$KNOT_PID"
	stop_pid "$FLAME_PID"
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

LOGS="flame.log named.log named.stderr knot.log kprod.log fcons.log"
fail() {
	echo "catalog: FAIL: $*"
	local f
	for f in $LOGS; do
		[ -s "$TMP/$f" ] && cp "$TMP/$f" "$OUT/$TAG-catalog-$f" && echo "  log: $OUT/$TAG-catalog-$f"
	done
	exit 1
}
say() { echo "catalog: $*"; }
rc=0
bad() { say "FAIL: $*"; rc=1; }
ok() { say "ok: $*"; }

# --- keys and zones -------------------------------------------------------------
KEY=cat-key
KEY2=other-key # part B: the "premium" template's key
tsig-keygen -a hmac-sha256 "$KEY" >"$TMP/cat.key"
tsig-keygen -a hmac-sha256 "$KEY2" >"$TMP/other.key"
SECRET=$(sed -n 's/.*secret "\(.*\)";.*/\1/p' "$TMP/cat.key")
SECRET2=$(sed -n 's/.*secret "\(.*\)";.*/\1/p' "$TMP/other.key")
TSIG="hmac-sha256:$KEY:$SECRET"

zonefile() { # zonefile DIR NAME SERIAL [RECORD...]: NAME.zone in DIR, written atomically
	local d=$1 z=$2 s=$3
	shift 3
	{
		echo "\$ORIGIN $z."
		echo '$TTL 300'
		# refresh 3600: only NOTIFY (not the SOA timers) drives the consumers
		echo "@ IN SOA ns1.$z. hostmaster.$z. $s 3600 900 604800 300"
		echo '@ IN NS ns1'
		echo 'ns1 IN A 127.0.0.1'
		echo "www IN A 192.0.2.$((s % 250 + 1))"
		echo "txt IN TXT \"member $z serial $s\""
		local r
		for r in "$@"; do echo "$r"; done
	} >"$d/$z.zone.tmp"
	mv "$d/$z.zone.tmp" "$d/$z.zone"
}

# probe PORT ZONE [kdig args]: "RCODE FLAGS SERIAL" of ZONE's SOA (FLAGS: aa
# or noaa; SERIAL: - when no SOA in the answer)
probe() {
	local p=$1 z=$2 out rcode flags serial
	shift 2
	out=$(kdig @127.0.0.1 -p "$p" +time=1 +retry=0 +norec "$@" "$z" SOA 2>&1)
	rcode=$(sed -n 's/.*status: \([A-Z]*\).*/\1/p' <<<"$out" | head -n1)
	flags=noaa
	grep -Eq '^;; Flags: .*\baa\b' <<<"$out" && flags=aa
	serial=$(awk -v z="${z%.}." '!/^;/ && tolower($1) == tolower(z) && $4 == "SOA" {print $7; exit}' <<<"$out")
	echo "${rcode:-TIMEOUT} $flags ${serial:--}"
}
# wait_served PORT ZONE SERIAL SECONDS: until NOERROR, AA and SERIAL
wait_served() {
	local i
	for i in $(seq 1 $(($4 * 10 * SLOW))); do
		[ "$(probe "$1" "$2")" = "NOERROR aa $3" ] && return 0
		sleep 0.1
	done
	return 1
}
# wait_gone PORT ZONE SECONDS: until the zone's SOA is not answered with AA
wait_gone() {
	local i r
	for i in $(seq 1 $(($3 * 10 * SLOW))); do
		r=$(probe "$1" "$2")
		case "$r" in "NOERROR aa "*) ;; TIMEOUT*) ;; *) return 0 ;; esac
		sleep 0.1
	done
	return 1
}
wait_log() { # wait_log FILE ERE SECONDS: the first matching line
	local i
	for i in $(seq 1 $(($3 * 10 * SLOW))); do
		grep -Em1 -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
nolevel() { sed -E 's/^[0-9][^ ]* ([0-9:.]+ )?//' <<<"$1"; } # a log line without its time
alive() { # alive PID NAME LOG
	kill -0 "$1" 2>/dev/null || fail "$2 exited (log: $(tail -n5 "$TMP/$3" 2>/dev/null))"
}

# catalog_check PORT CATALOG GROUPED MEMBER...: the catalog by AXFR (TSIG):
# version "2", exactly these members (one PTR each), group "premium" on GROUPED
catalog_check() {
	local p=$1 cat=$2 grouped=$3
	shift 3
	kdig @127.0.0.1 -p "$p" +tcp +time=5 +retry=0 -y "$TSIG" "$cat" AXFR 2>&1 | grep -v '^;' | grep -v '^$' |
		awk '$4 != "TSIG"' >"$TMP/cat.$p.axfr"
	local v got want gl
	v=$(awk -v n="version.$cat" 'tolower($1) == n && $4 == "TXT" {print $5}' "$TMP/cat.$p.axfr")
	got=$(awk -v s=".zones.$cat" '$4 == "PTR" && substr(tolower($1), length($1) - length(s) + 1) == s {print tolower($5)}' \
		"$TMP/cat.$p.axfr" | sort | tr '\n' ' ')
	want=$(printf '%s.\n' "$@" | sort | tr '\n' ' ')
	# group.<unique-N>.zones.$cat TXT "premium", where <unique-N> is GROUPED's PTR owner's label
	gl=$(awk -v z="$grouped." -v s=".zones.$cat" '$4 == "PTR" && tolower($5) == z {print substr($1, 1, length($1) - length(s))}' \
		"$TMP/cat.$p.axfr")
	if [ "$v" != '"2"' ]; then
		bad "catalog $cat: version TXT is '$v', not \"2\":"
		sed 's/^/    /' "$TMP/cat.$p.axfr"
	elif [ "$got" != "$want" ]; then
		bad "catalog $cat lists members '$got', want '$want':"
		sed 's/^/    /' "$TMP/cat.$p.axfr"
	elif ! awk -v o="group.$gl.zones.$cat" 'tolower($1) == tolower(o) && $4 == "TXT" && $5 == "\"premium\""' \
		"$TMP/cat.$p.axfr" | grep -q .; then
		bad "catalog $cat: no group.$gl.zones TXT \"premium\" for $grouped:"
		sed 's/^/    /' "$TMP/cat.$p.axfr"
	else
		ok "catalog $cat: version \"2\", $# members ($got), group \"premium\" on $grouped"
	fi
}

# --- knotd as a catalog producer (part B, and part A with CATALOG_PRODUCER=knotd) ---
# knot_producer DIR PORT CATALOG NOTIFY-PORT...: DIR/knot.conf. Members are
# zone: entries with catalog-role: member + catalog-zone (zone files in
# DIR/zones). Transfers with cat-key or other-key; NOTIFY with cat-key, except
# example.com. (group premium) when KNOT_PREMIUM_KEY2=1: NOTIFY with
# other-key, transfers with other-key only (so a consumer that does not use
# its premium template for it cannot get it).
# knotd answers only transfers for a generated catalog: a UDP query gets
# REFUSED (unsigned, even when the query was signed), a TCP SOA query signed
# with a key the acl allows gets the SOA.
knot_producer() {
	local d=$1 port=$2 cat=$3 p
	shift 3
	KP_PORTS="$*"
	mkdir -p "$d/run" "$d/db" "$d/zones"
	{
		cat <<KNOT
server:
    rundir: "$d/run"
    listen: 127.0.0.1@$port
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
    # a NOTIFY for a member the consumer does not know yet is answered
    # NOTAUTH at once; an unanswered one would hold the zone's events 5 s
    tcp-remote-io-timeout: 1000
database:
    storage: "$d/db"
log:
  - target: stderr
    any: info
key:
  - id: $KEY
    algorithm: hmac-sha256
    secret: $SECRET
  - id: $KEY2
    algorithm: hmac-sha256
    secret: $SECRET2
remote:
KNOT
		for p in "$@"; do
			printf '  - id: c%s\n    address: 127.0.0.1@%s\n    key: %s\n' "$p" "$p" "$KEY"
			printf '  - id: c%s-premium\n    address: 127.0.0.1@%s\n    key: %s\n' "$p" "$p" "$KEY2"
		done
		cat <<KNOT
acl:
  - id: xfr
    address: 127.0.0.1
    key: [ $KEY, $KEY2 ]
    action: transfer
  - id: xfr-premium
    address: 127.0.0.1
    key: $KEY2
    action: transfer
template:
  - id: default
    storage: "$d/zones"
    file: "%s.zone"
    zonefile-sync: -1
    semantic-checks: off
    acl: xfr
    notify: [ $(printf 'c%s, ' "$@" | sed 's/, $//') ]
zone:
  - domain: $cat
    catalog-role: generate
KNOT
	} >"$d/knot.conf"
}
# knot_member_conf DIR ZONE [GROUP]: the zone: entry of a member (of the
# producer knot_producer wrote last)
knot_member_conf() {
	printf '  - domain: %s.\n    catalog-role: member\n    catalog-zone: %s\n' "$2" "$KCAT"
	if [ -n "${3:-}" ]; then
		printf '    catalog-group: %s\n' "$3"
		# shellcheck disable=SC2086
		[ "${KNOT_PREMIUM_KEY2:-0}" = 1 ] &&
			printf '    notify: [ %s ]\n    acl: xfr-premium\n' "$(printf 'c%s-premium, ' $KP_PORTS | sed 's/, $//')"
	fi
}
# knot_add DIR ZONE SERIAL: zone file, then a knotc transaction adds the member
knot_add() {
	local d=$1 z=$2 kc=(knotc -c "$1/knot.conf" -t $((10 * SLOW)))
	zonefile "$d/zones" "$z" "$3"
	{ "${kc[@]}" conf-begin && "${kc[@]}" conf-set "zone[$z.]" &&
		"${kc[@]}" conf-set "zone[$z.].catalog-role" member &&
		"${kc[@]}" conf-set "zone[$z.].catalog-zone" "$KCAT" &&
		"${kc[@]}" conf-commit; } >>"$d/knotc.out" 2>&1 ||
		{ "${kc[@]}" conf-abort >/dev/null 2>&1; return 1; }
}
# knot_del DIR ZONE: a knotc transaction removes the member (and its file)
knot_del() {
	local d=$1 z=$2 kc=(knotc -c "$1/knot.conf" -t $((10 * SLOW)))
	{ "${kc[@]}" conf-begin && "${kc[@]}" conf-unset "zone[$z.]" && "${kc[@]}" conf-commit; } >>"$d/knotc.out" 2>&1 ||
		{ "${kc[@]}" conf-abort >/dev/null 2>&1; return 1; }
	rm -f "$d/zones/$z.zone"
}
knot_edit() { # knot_edit DIR ZONE SERIAL: new zone file, knotc zone-reload (knotd does not watch files)
	zonefile "$1/zones" "$2" "$3"
	knotc -c "$1/knot.conf" -b -t $((10 * SLOW)) zone-reload "$2." >>"$1/knotc.out" 2>&1
}
KCAT=$CATB

# knot_consumer DIR PORT CATALOG PRODUCER-PORT PREMIUM-KEY: DIR/knot.conf of a
# knotd consuming CATALOG from 127.0.0.1@PRODUCER-PORT (catalog and members
# with cat-key). catalog-role: interpret with two catalog templates: "member"
# (the first: every member without a group) and "premium" (members whose
# group is premium; transfers with PREMIUM-KEY). Nested catalogs are not
# supported, so templates carry no catalog-* option. The premium template
# keeps zone files in its own directory (zonefile-sync: 0: written right
# after the transfer), which shows that it was used.
knot_consumer() {
	local d=$1 port=$2 cat=$3 pp=$4 pk=$5
	mkdir -p "$d/run" "$d/db" "$d/zones" "$d/premium"
	knot_server_conf "$d" "$port" info >"$d/knot.conf"
	cat >>"$d/knot.conf" <<KNOT
key:
  - id: $KEY
    algorithm: hmac-sha256
    secret: $SECRET
  - id: $KEY2
    algorithm: hmac-sha256
    secret: $SECRET2
remote:
  - id: producer
    address: 127.0.0.1@$pp
    key: $KEY
  - id: producer-premium
    address: 127.0.0.1@$pp
    key: $pk
acl:
  - id: notify-from-producer
    address: 127.0.0.1
    key: [ $KEY, $KEY2 ]
    action: notify
  - id: local-transfer
    address: 127.0.0.1
    action: transfer
template:
  - id: default
    storage: "$d/zones"
    zonefile-sync: -1
    zonefile-load: none
    semantic-checks: off
  - id: member
    storage: "$d/zones"
    zonefile-sync: -1
    zonefile-load: none
    semantic-checks: off
    master: producer
    acl: [ notify-from-producer, local-transfer ]
  - id: premium
    storage: "$d/premium"
    file: "%s.zone"
    zonefile-sync: 0
    zonefile-load: none
    semantic-checks: off
    master: producer-premium
    acl: [ notify-from-producer, local-transfer ]
zone:
  - domain: $cat
    master: producer
    acl: [ notify-from-producer, local-transfer ]
    catalog-role: interpret
    catalog-template: [ member, premium ]
KNOT
}
# knot_premium_check DIR CATALOG NAME: the knotd consumer of DIR took
# example.com. (group premium) with its premium template, and no other zone
knot_premium_check() {
	local d=$1 cat=$2 name=$3 st prem
	for _ in $(seq 1 $((30 * SLOW))); do [ -s "$d/premium/example.com.zone" ] && break; sleep 0.1; done
	st=$(knotc -c "$d/knot.conf" zone-status example.com. 2>&1)
	prem=$(find "$d/premium" -name '*.zone' -printf '%f ')
	if [[ "$st" == *"catalog: ${cat}#premium"* ]] && [ "$prem" = "example.com.zone " ]; then
		st=${st#*catalog: }
		ok "$name took example.com. with its premium template (zone-status: catalog: ${st%% |*}; its file in the premium storage)"
	else
		bad "$name's premium template: zone-status '$st', premium storage holds '$prem' (want example.com.zone only)"
	fi
}

# flame_check YAML WHAT: flame-dnsd --check of a catalog config; fails the
# script at once, saying whether the daemon lacks catalog support
flame_check() {
	local out
	if out=$("$DAEMON" -c "$1" --check 2>&1); then return 0; fi
	if grep -Eiq "unknown (key|section) '(catalog|catalog-group|template)'" <<<"$out"; then
		fail "flame-dnsd ($BUILD) has no catalog zone support yet: its config check of the $2 config says: $(head -n1 <<<"$out" | sed -E 's/^[^ ]+ [a-z]+: //')"
	fi
	fail "flame-dnsd --check rejects the $2 config: $out"
}

A_MEMBERS="example.com example.net example.org shop.example"
NEW=new-customer.test
GONE=example.org

# ==================================================================================
# A. $PNAME produces $CATA; named and knotd consume it
# ==================================================================================
say "part A: $PNAME (@$FPORT) produces $CATA, named (@$NPORT) and knotd (@$KPORT) consume it"
if [ "$PRODUCER" = flame ]; then
	PROD_LOG=flame.log
	mkdir -p "$TMP/a/zones" "$TMP/a/storage"
	for z in $A_MEMBERS; do zonefile "$TMP/a/zones" "$z" 1; done
	# flame's producer config (see the header).
	cat >"$TMP/flame.yaml" <<YAML
server: { listen: [ "127.0.0.1@$FPORT" ], workers: 1 }
log: { level: info }
keys: { files: [ "$TMP/cat.key" ] }
zones: { directory: "$TMP/a/zones", storage: "$TMP/a/storage" }
transfer: { allow: [ "127.0.0.1 key $KEY" ] }
notify:
  targets: [ "127.0.0.1@$NPORT key $KEY", "127.0.0.1@$KPORT key $KEY" ]
  retries: 3
  timeout-ms: 500
zone:
  - domain: $CATA
    catalog: producer
  - domain: example.com.
    catalog-group: premium
YAML
	flame_check "$TMP/flame.yaml" "producer (part A)"
	"$DAEMON" -c "$TMP/flame.yaml" >"$TMP/flame.log" 2>&1 &
	FLAME_PID=$!
	for _ in $(seq 1 $((100 * SLOW))); do
		alive "$FLAME_PID" flame-dnsd flame.log
		grep -q "flame-dnsd ready" "$TMP/flame.log" && break
		sleep 0.1
	done
	grep -q "flame-dnsd ready" "$TMP/flame.log" || fail "flame-dnsd not ready after $((10 * SLOW)) s"
	prod_add() { zonefile "$TMP/a/zones" "$1" "$2"; }
	prod_edit() { zonefile "$TMP/a/zones" "$1" "$2"; }
	prod_del() { rm -f "$TMP/a/zones/$1.zone"; }
	PROD_PID=$FLAME_PID
else
	PROD_LOG=kprod.log
	KNOT_PREMIUM_KEY2=0 # named and knotd take example.com. with cat-key too
	knot_producer "$TMP/kp" "$FPORT" "$CATA" "$NPORT" "$KPORT"
	for z in $A_MEMBERS; do
		zonefile "$TMP/kp/zones" "$z" 1
		g=""
		[ "$z" = example.com ] && g=premium
		knot_member_conf "$TMP/kp" "$z" "$g" >>"$TMP/kp/knot.conf"
	done
	knotd -c "$TMP/kp/knot.conf" >"$TMP/kprod.log" 2>&1 &
	KPROD_PID=$!
	prod_add() { knot_add "$TMP/kp" "$1" "$2" || bad "knotc could not add $1: $(tail -n3 "$TMP/kp/knotc.out")"; }
	prod_edit() { knot_edit "$TMP/kp" "$1" "$2" || bad "knotc zone-reload $1 failed: $(tail -n2 "$TMP/kp/knotc.out")"; }
	prod_del() { knot_del "$TMP/kp" "$1" || bad "knotc could not remove $1: $(tail -n3 "$TMP/kp/knotc.out")"; }
	PROD_PID=$KPROD_PID
fi
# the producer serves every member and the catalog (AXFR with the key) before the consumers start
for z in $A_MEMBERS; do
	wait_served "$FPORT" "$z" 1 10 || { alive "$PROD_PID" "$PNAME" "$PROD_LOG"; fail "$PNAME does not serve $z serial 1: $(probe "$FPORT" "$z")"; }
done
# by AXFR, not by an SOA query: knotd refuses queries to a generated catalog
# over UDP (see knot_producer), and RFC 9432 leaves queries to it open
cat_serial() { # cat_serial PORT CATALOG: the SOA serial of its AXFR (with the key)
	kdig @127.0.0.1 -p "$1" +tcp +time=2 +retry=0 -y "$TSIG" "$2" AXFR 2>/dev/null | awk '!/^;/ && $4 == "SOA" {print $7; exit}'
}
CSERIAL=""
for _ in $(seq 1 $((50 * SLOW))); do
	CSERIAL=$(cat_serial "$FPORT" "$CATA")
	[ -n "$CSERIAL" ] && break
	sleep 0.1
done
[ -n "$CSERIAL" ] || fail "$PNAME does not serve the catalog $CATA by AXFR with $KEY: $(kdig @127.0.0.1 -p "$FPORT" +tcp +time=2 +retry=0 -y "$TSIG" "$CATA" AXFR 2>&1 | grep -E 'status|failed|error' | head -n2)"
say "$PNAME serves $CATA (serial $CSERIAL) and the members $A_MEMBERS at serial 1"

# --- A1. the catalog's content ---------------------------------------------------
# shellcheck disable=SC2086
catalog_check "$FPORT" "$CATA" example.com $A_MEMBERS

# --- named, consumer ----------------------------------------------------------------
# catalog-zones (9.18: default-primaries and default-masters are both
# accepted; min-update-interval 1 s, default 5 s): members are added as
# secondaries of default-primaries, files in zone-directory. named 9.18 does
# not know the group property: it logs "catz: invalid record in catalog zone
# - group.<id>.zones.<catalog> IN TXT (failure) - ignoring" and adds the
# member all the same.
NAMED_TCP=""
if [ "$PRODUCER" = knotd ]; then
	# knotd REFUSES UDP queries to a generated catalog with an unsigned answer:
	# named's signed SOA query then fails ("expected a TSIG or SIG(0)") and
	# named never transfers the catalog. tcp-only makes its SOA queries to
	# 127.0.0.1 go over TCP, where knotd answers them.
	NAMED_TCP="server 127.0.0.1 { tcp-only yes; };"
fi
mkdir -p "$TMP/named/catz"
cat >"$TMP/named/named.conf" <<NAMED
options {
$(named_options_base "$NPORT")
	notify no;
	allow-transfer { 127.0.0.1; };
	catalog-zones {
		zone "$CATA"
			default-primaries { 127.0.0.1 port $FPORT key "$KEY"; }
			zone-directory "catz"
			in-memory no
			min-update-interval 1;
	};
};
controls { };
$NAMED_TCP
$(named_logging_info)
key "$KEY" {
	algorithm hmac-sha256;
	secret "$SECRET";
};
zone "$CATA" {
	type secondary;
	primaries { 127.0.0.1 port $FPORT key "$KEY"; };
	allow-notify { key "$KEY"; };
	file "catalog.db";
};
NAMED
named-checkconf "$TMP/named/named.conf" >"$TMP/named.stderr" 2>&1 || fail "named-checkconf: $(cat "$TMP/named.stderr")"
named -f -4 -u root -c "$TMP/named/named.conf" >"$TMP/named.stderr" 2>&1 &
NAMED_PID=$!

# --- knotd, consumer ------------------------------------------------------------------
knot_consumer "$TMP/knot" "$KPORT" "$CATA" "$FPORT" "$KEY"
knotd -c "$TMP/knot/knot.conf" >"$TMP/knot.log" 2>&1 &
KNOT_PID=$!

# --- A2. both consumers serve every member --------------------------------------
for who in "named:$NPORT:named.log:$NAMED_PID" "knotd:$KPORT:knot.log:$KNOT_PID"; do
	IFS=: read -r name port lf pid <<<"$who"
	t=20 # seconds for the first member; once one is missing, 2 for the others
	for z in $A_MEMBERS; do
		[ "$name" = named ] && alive "$pid" named named.stderr
		[ "$name" = knotd ] && alive "$pid" knotd knot.log
		if wait_served "$port" "$z" 1 "$t"; then
			continue
		fi
		t=2
		bad "$name does not serve $z serial 1 (SOA: $(probe "$port" "$z"))"
		grep -Ei "catalog|catz|$z" "$TMP/$lf" | tail -n6 | sed 's/^/    /'
	done
done
alive "$NAMED_PID" named named.stderr
alive "$KNOT_PID" knotd knot.log
[ "$rc" -eq 0 ] && ok "named and knotd serve the $(wc -w <<<"$A_MEMBERS") members with AA at serial 1"
for z in $A_MEMBERS; do
	l=$(grep -Em1 "catz: adding zone '$z' from catalog '${CATA%.}'" "$TMP/named.log")
	[ -n "$l" ] && say "named: $(nolevel "$l")" || bad "named logged no 'catz: adding zone '$z''"
	l=$(grep -Em1 "\[$z\.\] zone added from catalog" "$TMP/knot.log")
	[ -n "$l" ] && say "knotd: $(nolevel "$l")" || bad "knotd logged no '[$z.] zone added from catalog'"
done
l=$(grep -Em1 "catz: invalid record in catalog zone - group\." "$TMP/named.log")
[ -n "$l" ] && say "named (no group support in 9.18, member added anyway): $(nolevel "$l")"
knot_premium_check "$TMP/knot" "$CATA" knotd

# --- A3. a new member ---------------------------------------------------------------
prod_add "$NEW" 7
wait_served "$FPORT" "$NEW" 7 10 || bad "$PNAME does not serve the new zone $NEW serial 7 after 10 s (SOA: $(probe "$FPORT" "$NEW"))"
PS=$(probe "$FPORT" "$NEW" | awk '{print $3}')
say "$PNAME serves $NEW serial $PS"
for who in "named:$NPORT:named.log" "knotd:$KPORT:knot.log"; do
	IFS=: read -r name port lf <<<"$who"
	if wait_served "$port" "$NEW" "$PS" 20; then
		axfr_canon "$FPORT" "$NEW" -y "$TSIG" >"$TMP/prod.$NEW.zone"
		axfr_canon "$port" "$NEW" >"$TMP/$name.$NEW.zone"
		if diff -u "$TMP/prod.$NEW.zone" "$TMP/$name.$NEW.zone" >"$TMP/$name.$NEW.diff"; then
			ok "$name serves $NEW serial $PS, AXFR identical to $PNAME's ($(wc -l <"$TMP/$name.$NEW.zone") records)"
		else
			bad "$name's AXFR of $NEW differs from $PNAME's (- $PNAME, + $name):"
			cat "$TMP/$name.$NEW.diff"
		fi
	else
		bad "$name does not serve $NEW serial $PS after 20 s (SOA: $(probe "$port" "$NEW"))"
		grep -Ei "catalog|catz|$NEW" "$TMP/$lf" | tail -n6 | sed 's/^/    /'
	fi
done
l=$(grep -Em1 "catz: adding zone '$NEW' from catalog" "$TMP/named.log")
[ -n "$l" ] && say "named: $(nolevel "$l")" || bad "named logged no 'catz: adding zone '$NEW''"
l=$(grep -Em1 "\[$NEW\.\] zone added from catalog" "$TMP/knot.log")
[ -n "$l" ] && say "knotd: $(nolevel "$l")" || bad "knotd logged no '[$NEW.] zone added from catalog'"
# the new member is a real secondary of the producer: an edit reaches both by NOTIFY
prod_edit "$NEW" 8
wait_served "$FPORT" "$NEW" 8 10 || bad "$PNAME does not serve $NEW serial 8 after its edit"
for who in "named:$NPORT" "knotd:$KPORT"; do
	IFS=: read -r name port <<<"$who"
	if wait_served "$port" "$NEW" 8 10; then ok "$name took the edit of $NEW (serial 8)"; else
		bad "$name did not take $NEW serial 8 in 10 s (SOA: $(probe "$port" "$NEW"))"
	fi
done

# --- A4. a member removed -------------------------------------------------------------
prod_del "$GONE"
wait_gone "$FPORT" "$GONE" 10 || bad "$PNAME still serves $GONE 10 s after its removal"
for who in "named:$NPORT" "knotd:$KPORT"; do
	IFS=: read -r name port <<<"$who"
	if wait_gone "$port" "$GONE" 20; then
		ok "$name stopped serving $GONE (SOA: $(probe "$port" "$GONE"))"
	else
		bad "$name still serves $GONE 20 s after its removal (SOA: $(probe "$port" "$GONE"))"
	fi
done
l=$(wait_log "$TMP/named.log" "catz: deleting zone '$GONE' from catalog" 2)
[ -n "$l" ] && say "named: $(nolevel "$l")" || bad "named logged no 'catz: deleting zone '$GONE''"
l=$(wait_log "$TMP/knot.log" "\[$GONE\.\] zone purged" 2)
[ -n "$l" ] && say "knotd: $(nolevel "$l")" || bad "knotd logged no '[$GONE.] zone purged'"
for z in example.com example.net "$NEW"; do
	for p in "$NPORT" "$KPORT"; do
		[[ "$(probe "$p" "$z")" == "NOERROR aa "* ]] || bad "port $p no longer serves $z after $GONE was removed"
	done
done
# shellcheck disable=SC2046,SC2086
catalog_check "$FPORT" "$CATA" example.com $(echo $A_MEMBERS $NEW | tr ' ' '\n' | grep -vx "$GONE")

stop_flame() { # stop_flame PID-VAR LOG NAME: SIGTERM, exit 0, no sanitizer report
	local pid=${!1} lf=$2 name=$3 st
	kill -0 "$pid" 2>/dev/null || { bad "$name died during the run (log: $(tail -n5 "$TMP/$lf"))"; printf -v "$1" ''; return; }
	kill -TERM "$pid"
	for _ in $(seq 1 $((50 * SLOW))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$pid" 2>/dev/null; then
		bad "$name did not exit within $((5 * SLOW)) s of SIGTERM"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid"
	st=$?
	printf -v "$1" ''
	[ "$st" -eq 0 ] && ok "$name exited with status 0 on SIGTERM" || bad "$name exit status $st after SIGTERM"
	if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' "$TMP/$lf"; then
		bad "sanitizer report in the $name log:"
		grep -E -A20 'AddressSanitizer|LeakSanitizer|runtime error:' "$TMP/$lf" | head -60
	fi
}
if [ "$PRODUCER" = flame ]; then
	grep -i catalog "$TMP/flame.log" | head -n8 | sed 's/^/catalog: flame (producer) logged: /'
	stop_flame FLAME_PID flame.log "flame-dnsd (producer)"
fi
stop_pid "$NAMED_PID"; NAMED_PID=""
stop_pid "$KNOT_PID"; KNOT_PID=""
stop_pid "$KPROD_PID"; KPROD_PID=""
[ "$rc" -eq 0 ] && say "part A passed" || say "part A failed"

# ==================================================================================
# B. knotd produces catalog.knot.invalid.; flame-dnsd consumes it
#    (CATALOG_PRODUCER=knotd: a knotd consumer in flame's place)
# ==================================================================================
B_MEMBERS="example.com example.net example.org"
if [ "$PRODUCER" = flame ]; then CONS=flame CLOG=fcons.log; else CONS="knotd (consumer)" CLOG=kcons.log LOGS="$LOGS kcons.log"; fi
say "part B: knotd (@$KPPORT) produces $CATB, $CONS (@$FCPORT) consumes it"
KNOT_PREMIUM_KEY2=1 # example.com. (group premium) is NOTIFYed with other-key, the key of the consumer's premium template
knot_producer "$TMP/kp2" "$KPPORT" "$CATB" "$FCPORT"
for z in $B_MEMBERS; do
	zonefile "$TMP/kp2/zones" "$z" 3
	g=""
	[ "$z" = example.com ] && g=premium
	knot_member_conf "$TMP/kp2" "$z" "$g" >>"$TMP/kp2/knot.conf"
done
knotd -c "$TMP/kp2/knot.conf" >"$TMP/kprod.log" 2>&1 &
KPROD_PID=$!
for z in $B_MEMBERS; do
	wait_served "$KPPORT" "$z" 3 10 || { alive "$KPROD_PID" knotd kprod.log; fail "knotd does not serve $z serial 3: $(probe "$KPPORT" "$z")"; }
done
# shellcheck disable=SC2086
catalog_check "$KPPORT" "$CATB" example.com $B_MEMBERS

if [ "$PRODUCER" = flame ]; then
	# flame's consumer config (see the header). transfer.allow
	# without a key: the AXFR comparisons below are unsigned.
	mkdir -p "$TMP/b/empty" "$TMP/b/storage"
	cat >"$TMP/fcons.yaml" <<YAML
server: { listen: [ "127.0.0.1@$FCPORT" ], workers: 1 }
log: { level: info }
keys: { files: [ "$TMP/cat.key", "$TMP/other.key" ] }
zones: { directory: "$TMP/b/empty", storage: "$TMP/b/storage" }
transfer: { allow: [ "127.0.0.1" ] }
zone:
  - domain: $CATB
    role: secondary
    catalog: consumer
    primaries: [ "127.0.0.1@$KPPORT key $KEY" ]
template:
  - id: premium
    primaries: [ "127.0.0.1@$KPPORT key $KEY2" ]
YAML
	flame_check "$TMP/fcons.yaml" "consumer (part B)"
	"$DAEMON" -c "$TMP/fcons.yaml" >"$TMP/fcons.log" 2>&1 &
	FCONS_PID=$!
else
	knot_consumer "$TMP/kc2" "$FCPORT" "$CATB" "$KPPORT" "$KEY2"
	knotd -c "$TMP/kc2/knot.conf" >"$TMP/kcons.log" 2>&1 &
	FCONS_PID=$!
fi
cdump() { grep -Ei "catalog|$1" "$TMP/$CLOG" | tail -n8 | sed 's/^/    /'; }
# cons_logged WHAT ZONE [SKIP]: the consumer's log line for ZONE added /
# removed (a line with "catalog" and the zone's name),
# after the first SKIP such lines
cons_logged() {
	local what=$1 z=$2 skip=${3:-0} re l
	if [ "$PRODUCER" = flame ]; then
		re="catalog.*\b$z\.?\b"
	elif [ "$what" = added ]; then
		re="\[$z\.\] zone added from catalog"
	else
		re="\[$z\.\] zone purged"
	fi
	l=$(grep -Ei "$re" "$TMP/$CLOG" | tail -n +$((skip + 1)) | head -n1)
	if [ -n "$l" ]; then say "$CONS: $(nolevel "$l")"; else bad "$CONS logged no line for $z $what (/$re/)"; fi
}

# --- B1. the consumer serves every member ------------------------------------------
for z in $B_MEMBERS; do
	alive "$FCONS_PID" "$CONS" "$CLOG"
	if ! wait_served "$FCPORT" "$z" 3 20; then
		bad "$CONS does not serve $z serial 3 after 20 s (SOA: $(probe "$FCPORT" "$z"))"
		cdump "$z"
	fi
done
[ "$rc" -eq 0 ] && ok "$CONS serves the $(wc -w <<<"$B_MEMBERS") members of $CATB with AA at serial 3"
for z in $B_MEMBERS; do cons_logged added "$z"; done
if [ "$PRODUCER" = flame ]; then
	for z in $B_MEMBERS; do
		k=$KEY
		[ "$z" = example.com ] && k=$KEY2 # the premium template
		l=$(grep -Em1 "zone $z\.: (AXFR|IXFR)[^:]* from 127\.0\.0\.1@$KPPORT key $k\.?:" "$TMP/fcons.log")
		if [ -n "$l" ]; then ok "$(nolevel "$l")"; else
			bad "flame logged no transfer of $z from 127.0.0.1@$KPPORT key $k:"
			cdump "$z"
		fi
	done
else
	knot_premium_check "$TMP/kc2" "$CATB" "$CONS"
fi

# --- B2. a member added on knotd -----------------------------------------------------------
knot_add "$TMP/kp2" "$NEW" 9 || bad "knotc could not add $NEW: $(tail -n3 "$TMP/kp2/knotc.out")"
wait_served "$KPPORT" "$NEW" 9 10 || bad "knotd does not serve $NEW serial 9 after knotc conf-commit"
if wait_served "$FCPORT" "$NEW" 9 20; then
	axfr_canon "$KPPORT" "$NEW" -y "$TSIG" >"$TMP/knot.$NEW.zone"
	axfr_canon "$FCPORT" "$NEW" >"$TMP/cons.$NEW.zone"
	if diff -u "$TMP/knot.$NEW.zone" "$TMP/cons.$NEW.zone" >"$TMP/cons.$NEW.diff"; then
		ok "$CONS serves the new member $NEW serial 9, AXFR identical to knotd's ($(wc -l <"$TMP/cons.$NEW.zone") records)"
	else
		bad "$CONS's AXFR of $NEW differs from knotd's (- knotd, + $CONS):"
		cat "$TMP/cons.$NEW.diff"
	fi
else
	bad "$CONS does not serve the new member $NEW serial 9 after 20 s (SOA: $(probe "$FCPORT" "$NEW"))"
	cdump "$NEW"
fi
cons_logged added "$NEW"

# --- B3. a member removed on knotd ---------------------------------------------------------
n0=0
[ "$PRODUCER" = flame ] && n0=$(grep -Eic "catalog.*\b$GONE\.?\b" "$TMP/fcons.log")
knot_del "$TMP/kp2" "$GONE" || bad "knotc could not remove $GONE: $(tail -n3 "$TMP/kp2/knotc.out")"
wait_gone "$KPPORT" "$GONE" 10 || bad "knotd still serves $GONE after knotc conf-commit"
if wait_gone "$FCPORT" "$GONE" 20; then
	ok "$CONS stopped serving the removed member $GONE (SOA: $(probe "$FCPORT" "$GONE"))"
else
	bad "$CONS still serves $GONE 20 s after its removal from $CATB (SOA: $(probe "$FCPORT" "$GONE"))"
	cdump "$GONE"
fi
sleep 0.2
cons_logged removed "$GONE" "$n0"
for z in example.com example.net "$NEW"; do
	[[ "$(probe "$FCPORT" "$z")" == "NOERROR aa "* ]] || bad "$CONS no longer serves $z after $GONE was removed"
done

if [ "$PRODUCER" = flame ]; then
	stop_flame FCONS_PID fcons.log "flame-dnsd (consumer)"
	[ "$rc" -eq 0 ] || fail "see above"
	echo "catalog ($BUILD): passed"
else
	[ "$rc" -eq 0 ] || fail "see above"
	echo "catalog (peers only: knotd producer, named and knotd consumers): passed"
fi
