#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Interop: TSIG key rotation between a flame-dnsd primary and a knotd
# secondary with zero failed transfers or NOTIFYs.
#
# flame-dnsd (127.0.0.1@25470) serves rot.test. from a zone file that a writer
# edits 5 times a second for the whole rotation (serial-policy: increment,
# inotify: every edit is a new serial, NOTIFYed to knotd). knotd (@25471) is
# its secondary. Both start with the key rot-old only; then, without a
# restart of either:
#  1. rot-new is generated (flamectl key generate) and installed on both as an
#     additional accepted key: flame's transfer.allow and NOTIFY target list
#     "rot-old,rot-new" (outbound: rot-old first); knotd's notify acl accepts
#     both, its remote (flame) still signs with rot-old.
#  2. the outbound keys switch to rot-new, knotd first (knotc transaction:
#     remote key rot-new), then flame (NOTIFY target "rot-new,rot-old").
#     Why knotd first: that is the order in which flame is exposed. Between the
#     two reloads knotd's IXFR requests come signed with rot-new, the *second*
#     key of flame's ACL entry, while flame's own outbound order still puts
#     rot-old first. A server that only checks the first key of an ACL entry,
#     or that signs its answer with "the configured key" rather than with the
#     key the request was verified with, fails exactly there (knotd would log
#     a TSIG error and a failed refresh). The other order (flame first) only
#     exercises knotd's acl, which step 1 already covers. The script waits for
#     at least one rot-new IXFR in that window before it reloads flame.
#  3. rot-old is retired: flame marks it keys.retiring (reload by SIGHUP), a
#     transfer with it is still served but logged as a warning; knotd drops it
#     (acl and key); flame drops it from its lists and its key file is
#     deleted (flamectl reload).
#  4. bad key files dropped into flame's key directory (a bad base64 secret,
#     an unknown algorithm, a syntax error): each makes `flamectl reload` exit
#     1 with a "file:line: reason" line, rot-new keeps working and knotd keeps
#     receiving transfers.
# Checks (one named "ok:"/"FAIL:" line each, a summary line, exit 1 on any
# failure):
#  - after step 1: dig -k <rot-new key file> and kdig -k (kdig's own key file
#    format) AXFR from flame both succeed;
#  - after step 3: the same with rot-old fail with BADKEY; `flamectl key list
#    --json` lists rot-new and not rot-old;
#  - knotd took transfers (IXFRs, counted in flame's "IXFR of ... to
#    127.0.0.1@... key K started" lines) in every step; the key of those
#    transfers, and of flame's answered NOTIFYs, switches from rot-old to
#    rot-new once (at step 2) and never back;
#  - zero failures: no refused or unanswered NOTIFY, no BADKEY fallback, no
#    refused, failed or interrupted transfer in flame's log (other than the
#    deliberate rot-old probes of step 3), no failure, ACL denial or TSIG
#    error in knotd's log;
#  - at the end knotd serves flame's serial and its AXFR equals flame's;
#  - flame-dnsd exits cleanly on SIGTERM (ASan builds: no sanitizer report).
# Every wait is bounded (polling; no fixed sleep stands in for a condition).
# SKIP when knotd, kdig, dig or ldns-read-zone is missing. Kills only the PIDs
# it started. Environment: BUILD (default build). Ports 25470-25471.
set -u
cd "$(dirname "$0")/.." || exit 1

BUILD="${BUILD:-build}"
DAEMON="$PWD/$BUILD/flame-dnsd"
FLAMECTL="$PWD/$BUILD/flamectl"
FPORT=25470
KPORT=25471
case "$BUILD" in *asan*) SLOW=4 ;; *) SLOW=1 ;; esac
OUT=conformance/out
TAG=$(basename "$BUILD")
ZONE=rot.test
WRITER_MAX=600 # edits at most (5 a second: 120 s), whatever happens
WRITER_SECS=$((90 * SLOW))

if [ ! -x "$DAEMON" ] || [ ! -x "$FLAMECTL" ]; then
	echo "rotation: SKIP ($DAEMON or $FLAMECTL not built)"
	exit 0
fi
for bin in knotd knotc kdig dig ldns-read-zone; do
	if ! command -v "$bin" >/dev/null 2>&1; then
		echo "rotation: SKIP ($bin not installed; scripts/deps.sh installs it)"
		exit 0
	fi
done

TMP=$(mktemp -d /tmp/flame-rotation.XXXXXX) || exit 1
source conformance/lib/peers.bash
mkdir -p "$OUT"
FLAME_PID="" KNOT_PID="" WRITER_PID=""
cleanup() {
	[ -n "$WRITER_PID" ] && { touch "$TMP/writer.stop"; stop_pid "$WRITER_PID"; }
	stop_pid "$KNOT_PID"
	stop_pid "$FLAME_PID"
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

T0=$(date +%s.%N)
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }'; }
say() { echo "rotation: $*"; }
NCHECK=0 NFAIL=0
ok() { NCHECK=$((NCHECK + 1)); say "ok: $*"; }
bad() { NCHECK=$((NCHECK + 1)) NFAIL=$((NFAIL + 1)); say "FAIL: $*"; }
indent() { sed 's/^/    /' | head -n 20; }
# expect_none LINES OK-TEXT BAD-TEXT: ok when LINES is empty, else bad and LINES
expect_none() {
	if [ -z "$1" ]; then ok "$2"; else bad "$3:"; indent <<<"$1"; fi
}
# expect_eq GOT WANT OK-TEXT BAD-TEXT
expect_eq() {
	if [ "$1" = "$2" ]; then ok "$3"; else bad "$4: '$1' (want '$2')"; fi
}
# check NAME COMMAND...: one named pass/fail line from a command's status
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}
save_logs() {
	local f
	for f in flame.log knot.log knotc.out writer.log; do
		[ -s "$TMP/$f" ] && cp "$TMP/$f" "$OUT/$TAG-rotation-$f" && echo "  log: $OUT/$TAG-rotation-$f"
	done
}
fail() { # fatal: the rest cannot run
	bad "$*"
	save_logs
	say "$NFAIL of $NCHECK checks failed ($(elapsed))"
	exit 1
}
alive() { # alive PID NAME LOG
	kill -0 "$1" 2>/dev/null || fail "$2 exited (log: $(tail -n5 "$TMP/$3" 2>/dev/null | tr '\n' '|'))"
}
# poll SECONDS COMMAND...: until COMMAND succeeds (10 tries a second)
poll() {
	local n=$(($1 * 10 * SLOW)) i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# --- keys ---------------------------------------------------------------------
# Key files in BIND syntax (flamectl key generate, as tsig-keygen prints them).
# flame reads every *.key of its key directory; dig -k takes the same file;
# kdig -k wants its own one-line "alg:name:secret" format.
mkdir -p "$TMP/keys" "$TMP/zones" "$TMP/storage" "$TMP/probe"
"$FLAMECTL" key generate rot-old >"$TMP/keys/rot-old.key" || fail "flamectl key generate rot-old"
cp "$TMP/keys/rot-old.key" "$TMP/probe/rot-old.bind"
secret_of() { sed -n 's/.*secret "\(.*\)";.*/\1/p' "$1"; }
OLD_SECRET=$(secret_of "$TMP/keys/rot-old.key")
printf 'hmac-sha256:rot-old:%s\n' "$OLD_SECRET" >"$TMP/probe/rot-old.kdig"

# --- the zone and its writer ----------------------------------------------------
zonefile() { # zonefile N: edit number N, written atomically
	{
		# shellcheck disable=SC2016 # a literal $TTL
		echo '$TTL 300'
		# refresh 3600: only flame's NOTIFYs drive knotd's transfers
		echo '@ IN SOA ns1.rot.test. hostmaster.rot.test. 1 3600 900 604800 300'
		echo '@ IN NS ns1'
		echo 'ns1 IN A 127.0.0.1'
		echo "www IN A 192.0.2.$(($1 % 250 + 1))"
		echo "edit IN TXT \"edit $1\""
		echo "e$(($1 % 7)) IN AAAA 2001:db8::$(printf %x "$1")"
	} >"$TMP/zones/$ZONE.zone.tmp"
	mv "$TMP/zones/$ZONE.zone.tmp" "$TMP/zones/$ZONE.zone"
}
zonefile 0
# writer: 5 edits a second until $TMP/writer.stop exists, at most WRITER_MAX
# edits and WRITER_SECS seconds. Its last edit number goes to writer.last.
writer() {
	local i=0 end=$(($(date +%s) + WRITER_SECS))
	while [ ! -e "$TMP/writer.stop" ] && [ "$i" -lt "$WRITER_MAX" ] && [ "$(date +%s)" -lt "$end" ]; do
		i=$((i + 1))
		zonefile "$i"
		echo "$i" >"$TMP/writer.last"
		sleep 0.2
	done
	echo "writer: $i edits" >>"$TMP/writer.log"
}

# --- flame-dnsd, the primary ----------------------------------------------------
# flame_conf ALLOW-KEYS NOTIFY-KEYS [RETIRING]: flame.yaml, written atomically.
flame_conf() {
	{
		cat <<YAML
server:
  listen: [ "127.0.0.1@$FPORT" ]
  workers: 1
log:
  level: notice
control:
  socket: "$TMP/flame.sock"
keys:
  directory: "$TMP/keys"
YAML
		[ -n "${3:-}" ] && echo "  retiring: [ $3 ]"
		cat <<YAML
zones:
  directory: "$TMP/zones"
  storage: "$TMP/storage"
  serial-policy: increment
transfer:
  allow: [ "127.0.0.1 key $1" ]
notify:
  targets: [ "127.0.0.1@$KPORT key $2" ]
  retries: 5
  timeout-ms: 500
YAML
	} >"$TMP/flame.yaml.tmp"
	mv "$TMP/flame.yaml.tmp" "$TMP/flame.yaml"
}
fctl() { "$FLAMECTL" -s "$TMP/flame.sock" -t $((10 * SLOW)) "$@"; }
flame_conf rot-old rot-old
"$DAEMON" -c "$TMP/flame.yaml" >"$TMP/flame.log" 2>&1 &
FLAME_PID=$!
flame_ready() { alive "$FLAME_PID" flame-dnsd flame.log; grep -q "flame-dnsd ready" "$TMP/flame.log"; }
poll 10 flame_ready || fail "flame-dnsd not ready after $((10 * SLOW)) s"
soa_serial() { # soa_serial PORT
	kdig @127.0.0.1 -p "$1" +time=1 +retry=0 +short "$ZONE." SOA 2>/dev/null | awk '{print $3}'
}
S0=$(soa_serial $FPORT)
[ -n "$S0" ] || fail "flame-dnsd does not answer the SOA of $ZONE."
say "flame-dnsd serves $ZONE. serial $S0 ($(elapsed))"

# --- knotd, the secondary -------------------------------------------------------
mkdir -p "$TMP/knot/run" "$TMP/knot/db" "$TMP/knot/zones"
# knotd at debug: it logs every ACL decision with its key
knot_server_conf "$TMP/knot" "$KPORT" debug >"$TMP/knot/knot.conf"
cat >>"$TMP/knot/knot.conf" <<KNOT
key:
  - id: rot-old
    algorithm: hmac-sha256
    secret: $OLD_SECRET
remote:
  - id: flame
    address: 127.0.0.1@$FPORT
    key: rot-old
acl:
  - id: notify-from-flame
    address: 127.0.0.1
    key: rot-old
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
  - domain: $ZONE.
    master: flame
    acl: [ notify-from-flame, local-transfer ]
KNOT
knotd -c "$TMP/knot/knot.conf" >"$TMP/knot.log" 2>&1 &
KNOT_PID=$!
# knot_txn ITEM-COMMAND...: one knotc configuration transaction; each argument
# is one "conf-set ..." or "conf-unset ..." command, quoted as one word.
knot_txn() {
	local kc=(knotc -c "$TMP/knot/knot.conf" -t $((10 * SLOW))) c
	local -
	set -f # key[...] and acl[...] are not globs
	{
		echo "--- $(date +%T.%N) transaction: $*"
		"${kc[@]}" conf-begin || return 1
		for c in "$@"; do
			# shellcheck disable=SC2086
			"${kc[@]}" $c || { "${kc[@]}" conf-abort; return 1; }
		done
		"${kc[@]}" conf-commit || { "${kc[@]}" conf-abort; return 1; }
	} >>"$TMP/knotc.out" 2>&1
}
knot_read() { knotc -c "$TMP/knot/knot.conf" -t $((10 * SLOW)) conf-read "$1" 2>&1; }
knot_has() { alive "$KNOT_PID" knotd knot.log; [ "$(soa_serial $KPORT)" = "$1" ]; }
poll 15 knot_has "$S0" || fail "knotd did not load serial $S0 from flame (has '$(soa_serial $KPORT)')"
say "knotd loaded serial $S0 with rot-old ($(elapsed))"

# --- log helpers -----------------------------------------------------------------
# Positions in flame's log (line counts) mark the steps; slice A B prints the
# lines after position A up to position B ("" = the end).
mark() { wc -l <"$TMP/flame.log"; }
slice() { sed -n "$(($1 + 1)),${2:-\$}p" "$TMP/flame.log"; }
# knotd's transfers out of flame: "IXFR of rot.test. serial N to 127.0.0.1@P key K. started"
# (the probes below are AXFRs, so IXFR lines are knotd's). xfr_keys A B: their keys.
xfr_keys() {
	slice "$1" "${2:-}" | sed -n "s/.*IXFR of $ZONE\. serial [0-9]* to 127\.0\.0\.1@[0-9]* key \([^ ]*\) started.*/\1/p" |
		sed 's/\.$//'
}
# notify_keys A B: the keys of flame's answered NOTIFYs to knotd
notify_keys() {
	slice "$1" "${2:-}" |
		sed -n "s/.*notify $ZONE\. serial [0-9]* to 127\.0\.0\.1@$KPORT key \([^ :]*\): answered.*/\1/p" |
		sed 's/\.$//'
}
count_key() { grep -cx "$1" || true; } # count_key KEY < list of keys
# wait_xfr A KEY SECONDS [N]: until knotd took N (1) transfers with KEY after position A
has_xfr() { [ "$(xfr_keys "$1" | count_key "$2")" -ge "${3:-1}" ]; }
wait_xfr() { poll "$3" has_xfr "$1" "$2" "${4:-1}"; }
# Each step lasts until knotd took PER_STEP transfers in it (bounded).
PER_STEP=3
# step_summary NAME A B: the count of knotd's transfers and answered NOTIFYs per key
step_summary() {
	local x n
	x=$(xfr_keys "$2" "$3")
	n=$(notify_keys "$2" "$3")
	say "$1: knotd took $(count_key rot-old <<<"$x") IXFRs with rot-old and $(count_key rot-new <<<"$x") with rot-new; flame's NOTIFYs answered: $(count_key rot-old <<<"$n") with rot-old, $(count_key rot-new <<<"$n") with rot-new"
}

# axfr_probe TOOL KEYFILE: the AXFR of the zone from flame with dig or kdig,
# the whole output to stdout
axfr_probe() {
	case "$1" in
	dig) dig -k "$2" @127.0.0.1 -p "$FPORT" +time=3 +tries=1 "$ZONE." AXFR 2>&1 ;;
	kdig) kdig -k "$2" @127.0.0.1 -p "$FPORT" +time=3 +retry=0 "$ZONE." AXFR 2>&1 ;;
	esac
}
# axfr_ok TOOL KEYFILE NAME: a complete, verified AXFR (two SOAs, TSIG ok)
axfr_ok() {
	local out nsoa
	out=$(axfr_probe "$1" "$2")
	# two SOAs, a TSIG record without error, no complaint from the tool
	# (";; Couldn't verify signature", "; Transfer failed", ";; ERROR: ...")
	nsoa=$(grep -v '^;' <<<"$out" | awk '$4 == "SOA"' | wc -l)
	if [ "$nsoa" -eq 2 ] && grep -v '^;' <<<"$out" | awk '$4 == "TSIG"' | grep -q ' NOERROR ' &&
		! grep '^;' <<<"$out" | grep -Eqi 'fail|error|warning|BADKEY|BADSIG|NOTAUTH|couldn.t'; then
		ok "$3 ($(grep -v '^;' <<<"$out" | grep -c .) records)"
	else
		bad "$3:"
		indent <<<"$out"
	fi
}
# axfr_badkey TOOL KEYFILE NAME: refused, and the tool says BADKEY
axfr_badkey() {
	local out nsoa
	out=$(axfr_probe "$1" "$2")
	nsoa=$(grep -v '^;' <<<"$out" | awk '$4 == "SOA"' | wc -l)
	if [ "$nsoa" -eq 0 ] && grep -q 'BADKEY' <<<"$out"; then
		ok "$3: $(grep -m1 'BADKEY' <<<"$out" | sed 's/^;* *//')"
	else
		bad "$3 (want no records and BADKEY):"
		indent <<<"$out"
	fi
}
# reload_ok NAME: flamectl reload exits 0
reload_ok() {
	local out st
	out=$(fctl reload 2>&1)
	st=$?
	if [ "$st" -eq 0 ]; then ok "$1"; else bad "$1: flamectl reload exit $st: $out"; fi
}

# --- step 0: the writer starts ------------------------------------------------------
WRITER_T0=$(date +%s.%N)
writer >/dev/null 2>&1 &
WRITER_PID=$!
M0=$(mark)
wait_xfr "$M0" rot-old 10 || bad "step 0: knotd took no IXFR with rot-old within $((10 * SLOW)) s of the first edits"

# --- step 1: rot-new, accepted by both, not yet used --------------------------------
"$FLAMECTL" key generate rot-new >"$TMP/rot-new.key.tmp" || fail "flamectl key generate rot-new"
mv "$TMP/rot-new.key.tmp" "$TMP/keys/rot-new.key"
NEW_SECRET=$(secret_of "$TMP/keys/rot-new.key")
cp "$TMP/keys/rot-new.key" "$TMP/probe/rot-new.bind"
printf 'hmac-sha256:rot-new:%s\n' "$NEW_SECRET" >"$TMP/probe/rot-new.kdig"
if [ -z "$NEW_SECRET" ] || [ "$NEW_SECRET" = "$OLD_SECRET" ]; then fail "flamectl key generate rot-new: no new secret"; fi
M1a=$(mark)
flame_conf rot-old,rot-new rot-old,rot-new
reload_ok "step 1: flame reload (transfer.allow and NOTIFY 'key rot-old,rot-new')"
check "step 1: knotd transaction (key rot-new, notify acl accepts rot-old and rot-new)" \
	knot_txn "conf-set key[rot-new]" "conf-set key[rot-new].algorithm hmac-sha256" \
	"conf-set key[rot-new].secret $NEW_SECRET" "conf-set acl[notify-from-flame].key rot-new"
M1=$(mark)
say "step 1 done ($(elapsed)); knotd acl: $(knot_read 'acl[notify-from-flame].key' | sed 's/.*= //')"
axfr_ok dig "$TMP/probe/rot-new.bind" "step 1: dig -k rot-new AXFR from flame"
axfr_ok kdig "$TMP/probe/rot-new.kdig" "step 1: kdig -k rot-new AXFR from flame"
fctl --json key list >"$TMP/keys1.json" 2>&1
if grep -q '"rot-old\.*"' "$TMP/keys1.json" && grep -q '"rot-new\.*"' "$TMP/keys1.json"; then
	ok "step 1: flamectl key list lists rot-old and rot-new"
else
	bad "step 1: flamectl key list: $(cat "$TMP/keys1.json")"
fi
wait_xfr "$M1" rot-old 10 $PER_STEP || bad "step 1: knotd took fewer than $PER_STEP IXFRs (rot-old) within $((10 * SLOW)) s of the step 1 reloads"

# --- step 2: outbound keys switch to rot-new, knotd first (see the header) ------------
M2a=$(mark)
check "step 2: knotd transaction (remote flame signs with rot-new)" knot_txn "conf-set remote[flame].key rot-new"
k=$(knot_read 'remote[flame].key' | sed 's/.*= //')
[ "$k" = "rot-new." ] || bad "step 2: knotd's remote key is '$k', not rot-new."
# knotd now signs its requests with rot-new while flame still sends rot-old
# first: wait for a transfer in that window before flame follows.
# (A transfer knotd had begun before its commit may still come with rot-old:
# the global "switches once" check below covers the order.)
if wait_xfr "$M2a" rot-new 10; then
	ok "step 2: knotd took an IXFR with rot-new ($(xfr_keys "$M2a" | count_key rot-new) so far) while flame still listed rot-old first"
else
	bad "step 2: no IXFR with rot-new within $((10 * SLOW)) s of knotd's switch"
fi
M2b=$(mark)
flame_conf rot-old,rot-new rot-new,rot-old
reload_ok "step 2: flame reload (NOTIFY 'key rot-new,rot-old')"
M2=$(mark)
say "step 2 done ($(elapsed))"
wait_xfr "$M2" rot-new 10 $PER_STEP || bad "step 2: knotd took fewer than $PER_STEP IXFRs within $((10 * SLOW)) s of flame's switch"
has_notify_new() { [ "$(notify_keys "$M2" | count_key rot-new)" -ge 1 ]; }
poll 10 has_notify_new || bad "step 2: no NOTIFY answered with rot-new after flame's switch"

# --- step 3: rot-old retired ------------------------------------------------------------
# 3a. flame marks it keys.retiring, reloaded by SIGHUP this time. A transfer
# with it is still served, and flame warns about it.
M3a=$(mark)
flame_conf rot-old,rot-new rot-new,rot-old rot-old
kill -HUP "$FLAME_PID"
sighup_done() { slice "$M3a" | grep -q "reload (SIGHUP): configuration and 2 TSIG keys (1 marked for retirement) in force"; }
if poll 10 sighup_done; then
	ok "step 3: SIGHUP reload with rot-old marked for retirement"
else
	bad "step 3: no 'reload (SIGHUP): ... 2 TSIG keys (1 marked for retirement)' line: $(slice "$M3a" | grep reload | tail -n2)"
fi
M3p=$(mark)
axfr_ok dig "$TMP/probe/rot-old.bind" "step 3: a retiring key is still accepted (dig -k rot-old AXFR)"
retire_warned() { slice "$M3p" | grep -q "AXFR of $ZONE\. serial [0-9]* to 127\.0\.0\.1@[0-9]* key rot-old\.* started.*still uses a key marked for retirement"; }
if poll 5 retire_warned; then
	ok "step 3: flame warns about the retiring key: $(slice "$M3p" | grep -m1 'marked for retirement' | sed 's/^.*warning: //' | cut -c1-150)"
else
	bad "step 3: no 'still uses a key marked for retirement' warning for the rot-old AXFR"
fi
# 3b. knotd drops rot-old first: from now on a NOTIFY from flame signed with
# rot-old would be refused by knotd (BADKEY at flame), so this also proves
# flame no longer signs with it.
check "step 3: knotd transaction (rot-old out of the notify acl and the keys)" \
	knot_txn "conf-unset acl[notify-from-flame].key rot-old" "conf-unset key[rot-old]"
k=$(knot_read 'key' | grep -c 'rot-old')
[ "$k" -eq 0 ] || bad "step 3: knotd still has key rot-old: $(knot_read key | tr '\n' ' ')"
# 3c. flame: rot-old out of every list and out of the retiring list, its file deleted.
rm -f "$TMP/keys/rot-old.key"
flame_conf rot-new rot-new
reload_ok "step 3: flame reload (rot-old's key file deleted, lists 'key rot-new')"
M3=$(mark)
say "step 3 done ($(elapsed))"
fctl --json key list >"$TMP/keys3.json" 2>&1
if ! grep -q '"rot-old' "$TMP/keys3.json" && grep -q '"rot-new\.*"' "$TMP/keys3.json"; then
	ok "step 3: flamectl key list --json lists rot-new, not rot-old: $(cat "$TMP/keys3.json")"
else
	bad "step 3: flamectl key list --json: $(cat "$TMP/keys3.json")"
fi
MP1=$(mark)
axfr_badkey dig "$TMP/probe/rot-old.bind" "step 3: dig -k rot-old AXFR from flame fails with BADKEY"
axfr_badkey kdig "$TMP/probe/rot-old.kdig" "step 3: kdig -k rot-old AXFR from flame fails with BADKEY"
MP2=$(mark)
NPROBES=2
wait_xfr "$M3" rot-new 10 $PER_STEP || bad "step 3: knotd took fewer than $PER_STEP IXFRs within $((10 * SLOW)) s of rot-old's retirement"

# --- step 4: bad key files are refused, the keys in force stay ----------------------------
M4=$(mark)
badkey() { # badkey NAME REASON-REGEX FILE-CONTENT
	local out st
	printf '%s' "$3" >"$TMP/keys/zz-bad.key"
	out=$(fctl reload 2>&1)
	st=$?
	if [ "$st" -eq 1 ] && grep -Eq "zz-bad\.key:[0-9]+: .*($2)" <<<"$out"; then
		ok "step 4: $1: flamectl reload exits 1: $(grep -Em1 'zz-bad\.key:[0-9]+:' <<<"$out")"
	else
		bad "step 4: $1: flamectl reload exit $st (want 1 and 'zz-bad.key:LINE: reason' matching /$2/): $out"
	fi
	axfr_ok dig "$TMP/probe/rot-new.bind" "step 4: $1: rot-new still works after the refused reload"
}
badkey "bad base64 secret" "base64|secret" $'key "bad-secret" {\n\talgorithm hmac-sha256;\n\tsecret "not*base64!";\n};\n'
badkey "unknown algorithm" "algorithm" $'key "bad-alg" {\n\talgorithm hmac-foo;\n\tsecret "'"$NEW_SECRET"$'";\n};\n'
badkey "syntax error" "." $'key "bad-syntax" {\n\talgorithm hmac-sha256;\n\tsecret "'"$NEW_SECRET"$'"\n};\n'
rm -f "$TMP/keys/zz-bad.key"
reload_ok "step 4: flame reload once the bad key file is gone"
fctl --json key list >"$TMP/keys4.json" 2>&1
if grep -q '"rot-new\.*"' "$TMP/keys4.json" && ! grep -q '"bad-\|"rot-old' "$TMP/keys4.json"; then
	ok "step 4: the keyring is rot-new alone after the refused reloads"
else
	bad "step 4: flamectl key list --json: $(cat "$TMP/keys4.json")"
fi
M4b=$(mark)
wait_xfr "$M4b" rot-new 10 $PER_STEP || bad "step 4: knotd took fewer than $PER_STEP IXFRs within $((10 * SLOW)) s of the refused reloads"

# --- the writer stops; knotd converges ------------------------------------------------------
touch "$TMP/writer.stop"
writer_gone() { ! kill -0 "$WRITER_PID" 2>/dev/null; }
poll 3 writer_gone || bad "the writer did not stop within $((3 * SLOW)) s of writer.stop"
stop_pid "$WRITER_PID"
WRITER_PID=""
WRITER_T1=$(date +%s.%N)
NEDITS=$(cat "$TMP/writer.last" 2>/dev/null || echo 0)
say "writer: $NEDITS edits in $(awk -v a="$WRITER_T0" -v b="$WRITER_T1" 'BEGIN { printf "%.1f s", b - a }') ($(elapsed))"
final_edit() { grep -q "\"edit $NEDITS\"" < <(kdig @127.0.0.1 -p "$FPORT" +time=1 +retry=0 +short edit."$ZONE." TXT 2>/dev/null); }
poll 5 final_edit || bad "flame does not serve the writer's last edit ($NEDITS)"
SF=$(soa_serial $FPORT)
if poll 10 knot_has "$SF"; then
	ok "end: knotd serves flame's serial $SF (serial $S0 at the start, $NEDITS edits)"
else
	bad "end: knotd serves serial '$(soa_serial $KPORT)', flame $SF"
fi
axfr_canon "$FPORT" "$ZONE." -y "hmac-sha256:rot-new:$NEW_SECRET" >"$TMP/flame.zone"
axfr_canon "$KPORT" "$ZONE." >"$TMP/knot.zone"
if [ "$(wc -l <"$TMP/flame.zone")" -ge 5 ] && diff -u "$TMP/flame.zone" "$TMP/knot.zone" >"$TMP/zone.diff"; then
	ok "end: knotd's AXFR equals flame's ($(wc -l <"$TMP/knot.zone") records)"
else
	bad "end: knotd's AXFR differs from flame's:"
	indent <"$TMP/zone.diff"
fi

# --- the transfers of each step and their keys ------------------------------------------------
step_summary "step 0 (rot-old only)" "$M0" "$M1a"
step_summary "step 1 (rot-new accepted)" "$M1" "$M2a"
step_summary "step 2, knotd switched, flame not yet" "$M2a" "$M2b"
step_summary "step 2 (outbound rot-new)" "$M2" "$M3a"
step_summary "step 3 (rot-old retired)" "$M3" "$M4"
step_summary "step 4 (bad key files)" "$M4" ""
per_step() { # per_step NAME A B KEY N: knotd took at least N transfers in the window, all with KEY
	local x n other
	x=$(xfr_keys "$2" "$3")
	n=$(count_key "$4" <<<"$x")
	other=$(grep -cvx "$4" <<<"$x" || true)
	[ -z "$x" ] && other=0
	if [ "$n" -ge "$5" ] && [ "$other" -eq 0 ]; then
		ok "$1: knotd took $n IXFRs, all with $4"
	else
		bad "$1: knotd took $n IXFRs with $4 and $other with another key"
	fi
}
per_step "step 1" "$M1" "$M2a" rot-old $PER_STEP
per_step "step 2" "$M2" "$M3a" rot-new $PER_STEP
per_step "step 3" "$M3" "$M4" rot-new $PER_STEP
per_step "step 4" "$M4b" "" rot-new $PER_STEP
# The key switches once: rot-old ... rot-new ..., never back.
switches() { uniq | tr '\n' ' ' | sed 's/ $//'; }
xs=$(xfr_keys 0 | switches)
expect_eq "$xs" "rot-old rot-new" "knotd's transfer key went rot-old -> rot-new once" \
	"knotd's transfer key sequence (runs)"
ns=$(notify_keys 0 | switches)
expect_eq "$ns" "rot-old rot-new" "flame's NOTIFY key went rot-old -> rot-new once" \
	"flame's NOTIFY key sequence (runs)"
# flame's first NOTIFY with rot-new follows its step 2 reload, not before.
first_new=$(slice 0 | grep -n "notify $ZONE\. serial [0-9]* to 127\.0\.0\.1@$KPORT key rot-new\.*: answered" | head -n1 | cut -d: -f1)
if [ -n "$first_new" ] && [ "$first_new" -gt "$M2b" ]; then
	ok "flame's first rot-new NOTIFY came after its step 2 reload"
else
	bad "flame's first rot-new NOTIFY is at log line '${first_new}', its step 2 reload at line $M2b"
fi

# --- zero failures ------------------------------------------------------------------------------
lines=$(grep -E "notify $ZONE\. serial [0-9]* to .*: (refused|no answer)" "$TMP/flame.log")
expect_none "$lines" "flame: no NOTIFY refused or unanswered ($(grep -c "notify $ZONE\..*: answered" "$TMP/flame.log") answered)" \
	"flame: NOTIFYs refused or unanswered"
lines=$(grep -E "BADKEY \(the target does not know this key\)" "$TMP/flame.log")
expect_none "$lines" "flame: no NOTIFY needed the BADKEY fallback" "flame: NOTIFYs answered BADKEY by knotd"
# Transfers out: refused only for the deliberate rot-old probes of step 3.
lines=$( { slice 0 "$MP1"; slice "$MP2"; } | grep -E "XFR of .* refused|\(failed: |\(connection closed\)")
probe_refused=$(slice "$MP1" "$MP2" | grep -E "XFR of .* refused")
others=$(grep -v "refused: TSIG BADKEY" <<<"$probe_refused" | grep -c . || true)
nbad=$(grep -c "refused: TSIG BADKEY" <<<"$probe_refused" || true)
if [ -z "$lines" ] && [ "$others" -eq 0 ] && [ "$nbad" -eq "$NPROBES" ]; then
	ok "flame: no transfer refused, failed or cut short but the $NPROBES rot-old probes (TSIG BADKEY)"
else
	bad "flame: transfers refused/failed ($nbad BADKEY lines for $NPROBES probes):"
	{ echo "$lines"; echo "$probe_refused"; } | grep . | indent
fi
lines=$(grep -E "XFR of .*retirement" "$TMP/flame.log" | grep -v "AXFR of")
expect_none "$lines" "flame: knotd never transferred with a retiring key" "flame: knotd used the retiring key"
# knotd's side of the NOTIFYs (its debug lines "ACL, allowed, action notify,
# remote ..., key 'K'"): the same single switch.
ks=$(sed -n "s/.*ACL, allowed, action notify, remote 127\.0\.0\.1@[0-9]*, key '\([^']*\)'.*/\1/p" "$TMP/knot.log" |
	sed 's/\.$//' | switches)
expect_eq "$ks" "rot-old rot-new" "knotd accepted NOTIFYs signed with rot-old, then with rot-new only" \
	"knotd's accepted NOTIFY key sequence (runs)"
# knotd: any failed refresh or transfer, ACL denial ("ACL, denied", debug),
# TSIG problem ("TSIG, ... verification failed") or error.
lines=$(grep -Ei "fail|denied|BADKEY|BADSIG|BADTIME|TSIG|error|refused|timed? ?out" "$TMP/knot.log")
expect_none "$lines" \
	"knotd: no failed refresh or transfer, no ACL denial, no TSIG error ($(grep -c "IXFR, incoming.*finished" "$TMP/knot.log") IXFRs finished)" \
	"knotd logged failures"

# --- flame-dnsd stops cleanly ---------------------------------------------------------------------
alive "$KNOT_PID" knotd knot.log
kill -TERM "$FLAME_PID"
for _ in $(seq 1 $((50 * SLOW))); do kill -0 "$FLAME_PID" 2>/dev/null || break; sleep 0.1; done
wait "$FLAME_PID"
st=$?
FLAME_PID=""
expect_eq "$st" 0 "flame-dnsd exits 0 on SIGTERM" "flame-dnsd exit status after SIGTERM"
if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' "$TMP/flame.log"; then
	bad "sanitizer report in the flame-dnsd log:"
	grep -E -A20 'AddressSanitizer|LeakSanitizer|runtime error:' "$TMP/flame.log" | head -n 40
fi

if [ "$NFAIL" -ne 0 ]; then
	save_logs
	say "FAIL: $NFAIL of $NCHECK checks failed ($(elapsed))"
	exit 1
fi
echo "rotation ($BUILD): passed, $NCHECK checks, $NEDITS edits ($(elapsed))"
