#!/usr/bin/env bash
# flamectl against running daemons, and what TSIG key rotation relies on
# (issue 7), on loopback: primary P, secondary S (primaries "key new,old"),
# secondary T (knows only the old key).
#  1. every daemon command of flamectl, human output and --json parsed back
#     (status, zones, zone-status, journal, key list, cluster-status,
#     notify, refresh, retransfer, reload), and their errors: one line,
#     exit 1;
#  2. BADKEY from a primary that does not know the first listed key: the
#     secondary logs it, tries the next key once and transfers;
#  3. the same for NOTIFY: P signs with "new" first, T answers BADKEY, P
#     retries with "old" and T takes the change;
#  4. a key in keys.retiring is still accepted, with a warning naming the peer;
#  5. a reload that removes the key of a transfer in flight (a 400,000-record
#     AXFR whose client is stopped meanwhile): the transfer finishes, signed
#     to the end; the next one with that key gets BADKEY;
#  6. bad key files (bad secret, unknown algorithm, syntax error) are
#     refused by `flamectl reload` with file:line: reason, exit 1, and the
#     keys in force keep working; SIGHUP reloads like flamectl;
#     and no query is lost while it reloads six times (dnsperf, 1,000 qps);
#  7. the control socket: a client of another uid is refused by the file
#     mode, and by the daemon's credential check when the mode lets it in;
#  8. a reload adds a secondary zone new in the config (transferred at once)
#     and drops one removed from it (no longer served, files deleted).
# Ports 15420-15422.
source "$(dirname "$0")/lib/common.bash"
CTL="$PWD/$BUILD/flamectl"
PPORT=15420
SPORT=15421
TPORT=15422
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done; cleanup' EXIT
chmod 711 "$T" # the other-uid test must reach the socket file to be refused by it

mkdir -p "$T"/{p,s,t}/{zones,storage,keys}
"$CTL" key generate old >"$T/old.key"
"$CTL" key generate new >"$T/new.key"
OLD=$(sed -n 's/.*secret "\(.*\)";/\1/p' "$T/old.key")
NEW=$(sed -n 's/.*secret "\(.*\)";/\1/p' "$T/new.key")
cp "$T/old.key" "$T/p/keys/"
cp "$T/old.key" "$T/new.key" "$T/s/keys/"
cp "$T/old.key" "$T/t/keys/"

SERIAL=1
zone() {
	printf '$ORIGIN example.com.\n$TTL 300\n@ IN SOA ns1 hostmaster %d 2 1 60 60\n@ NS ns1\nns1 A 127.0.0.1\nv TXT "edit %d"\n' \
		"$SERIAL" "$SERIAL" >"$T/p/zones/example.com.zone.tmp"
	mv "$T/p/zones/example.com.zone.tmp" "$T/p/zones/example.com.zone"
}
zone
# A zone too big for the socket buffers, so a stopped client keeps its transfer in flight.
"$BUILD/tools/genzone" -n 400000 -o huge.test. -z "$T/p/zones/huge.test.zone" -q "$T/huge.q" -c 1 >/dev/null 2>&1

pconf() { # $1: key list of P's transfer ACL and NOTIFY targets, $2: extra keys: options
	cat >"$T/p.yaml" <<Y
server: { listen: ["127.0.0.1@$PPORT"], workers: 1 }
log: { level: info }
zones: { directory: $T/p/zones, storage: $T/p/storage }
keys: { directory: $T/p/keys $2 }
control: { socket: $T/p.sock }
transfer: { allow: [ "127.0.0.1 key $1" ] }
notify: { targets: [ "127.0.0.1@$SPORT key $1", "127.0.0.1@$TPORT key $1" ], timeout-ms: 100, retries: 3 }
Y
}
sconf() { # $1 dir, $2 port, $3 primary's key list
	cat >"$T/$1.yaml" <<Y
server: { listen: ["127.0.0.1@$2"], workers: 1 }
log: { level: info }
zones: { directory: $T/$1/zones, storage: $T/$1/storage, role: secondary }
keys: { directory: $T/$1/keys }
control: { socket: $T/$1.sock }
secondary: { primaries: [ "127.0.0.1@$PPORT key $3" ], refresh-min: 60, retry-min: 1 }
zone: [ { domain: example.com } ]
Y
}
run() { # NAME CONF: start a daemon, its log in $T/NAME.log
	"$DAEMON" -c "$2" >>"$T/$1.log" 2>&1 &
	PIDS+=($!)
	eval "${1}_PID=$!"
}
soa() { dig @127.0.0.1 -p "$1" +norec +time=1 +tries=1 +short "$2" SOA 2>/dev/null | awk 'NF >= 7 { print $3; exit }'; }
wait_serial() { # PORT ZONE SERIAL SECONDS
	local i
	for i in $(seq 1 $(($4 * 20 * SLOW))); do [ "$(soa "$1" "$2")" == "$3" ] && return 0; sleep 0.05; done
	return 1
}
wait_log() { # FILE REGEX SECONDS
	local i
	for i in $(seq 1 $(($3 * 20 * SLOW))); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
ctl() { local who=$1; shift; "$CTL" -s "$T/$who.sock" "$@"; }

# P knows only "old"; S lists "new,old"; T only "old".
pconf "old,new" ""
sed -i 's/key old,new/key old/g' "$T/p.yaml"
sconf s $SPORT "new,old"
sconf t $TPORT "old"
run P "$T/p.yaml"
wait_log "$T/P.log" "flame-dnsd ready" 10
run S "$T/s.yaml"
run T "$T/t.yaml"
wait_serial $SPORT example.com 1 15
wait_serial $TPORT example.com 1 15

# 2. BADKEY from P for "new": S falls back to "old", once, and says so.
check "S took the zone with its second key" 1 "$(soa $SPORT example.com)"
check_match "S logged P's BADKEY and the fallback" "answered BADKEY for key new\.: trying its next key old\." \
	"$(grep -m1 'trying its next key' "$T/S.log")"
check_match "S's transfer is logged with the key that verified it" "zone example\.com\.: AXFR from 127\.0\.0\.1@$PPORT key old\.: serial none -> 1" \
	"$(grep -m1 'zone example.com.: AXFR from' "$T/S.log")"
check "S: no refresh logged as failed" 0 "$(grep -c 'refresh from .* failed' "$T/S.log")"

# 1. flamectl daemon commands, people and --json.
out=$(ctl p status)
check "status: exit 0" 0 "$?"
check_match "status: version, workers, zones" "version: 0\.1\.0.*workers: 1.*zones: 2" "$(tr '\n' ' ' <<<"$out")"
check "status --json: zones" 2 "$(ctl p --json status | json 'd["status"][0]["zones"]')"
check "status --json (S): secondary zones" 1 "$(ctl s --json status | json 'd["status"][0]["secondary-zones"]')"
check "--json after the command works too" 1 "$(ctl s status --json | json 'd["status"][0]["secondary-zones"]')"
check "zones --json: roles and serials on P" "example.com.:primary:1,huge.test.:primary" \
	"$(ctl p --json zones | json '",".join(sorted(z["name"]+":"+z["role"]+(":"+str(z["serial"]) if z["name"].startswith("ex") else "") for z in d["zone"]))')"
zs=$(ctl s --json zone-status example.com)
check "zone-status --json (S): role, serial, last transfer kind" "secondary 1 AXFR ok" \
	"$(json 'd["zone"][0]["role"], d["zone"][0]["serial"], d["zone"][0]["transfer-kind"], d["zone"][0]["expire"]' <<<"$zs" | tr -d "(),'")"
check_match "zone-status --json (S): next refresh and primary" "^[0-9]{4}-[0-9]{2}-[0-9]{2}T.*Z 127\.0\.0\.1@$PPORT key new\.$" \
	"$(json 'd["zone"][0]["next-refresh"]+" "+d["zone"][0]["primary"]' <<<"$zs")"
check_match "zones (people): a table with a header" "^name +role +serial" "$(ctl p zones | head -n1)"
check "key list --json (P): old only, not retiring" "old:False" \
	"$(ctl p --json key list | json '",".join(k["name"]+":"+str(k["retiring"]) for k in d["key"])')"
check_match "key list --json (S): where each key is used" "new:primary 127\.0\.0\.1@$PPORT \(outbound\).*old:primary 127\.0\.0\.1@$PPORT \(fallback\)" \
	"$(ctl s --json key list | json '" ".join(k["name"]+":"+(k["used-by"] or "") for k in d["key"])')"
ctl p zone-status nosuch.test >"$T/err.out" 2>&1
check "zone-status of an unknown zone: exit 1" 1 "$?"
check "zone-status of an unknown zone: one line" "flamectl: zone nosuch.test is not served here" "$(cat "$T/err.out")"
check "zone-status --json error: parsed back" "False zone nosuch.test is not served here" \
	"$(ctl p --json zone-status nosuch.test 2>/dev/null | json 'd["ok"], d["error"]' | tr -d "(),'")"
ctl p refresh example.com >"$T/err.out" 2>&1
check "refresh of a primary zone: refused, exit 1" "1 flamectl: zone example.com is not a secondary zone here" "$? $(cat "$T/err.out")"

SERIAL=2
zone
wait_serial $SPORT example.com 2 10
wait_serial $TPORT example.com 2 10
check "journal --json (P): one changeset 1 -> 2" "1 1 2" \
	"$(ctl p --json journal example.com | json 'd["journal"][0]["changesets"], d["changeset"][0]["from"], d["changeset"][0]["to"]' | tr -d "(),")"
check "journal --json (S): the same changeset" "1 2" \
	"$(ctl s --json journal example.com | json 'd["changeset"][0]["from"], d["changeset"][0]["to"]' | tr -d "(),")"

# 3. NOTIFY: P signs with "new" first (it knows it now), T does not know it.
cp "$T/new.key" "$T/p/keys/"
pconf "new,old" ""
ctl p reload >"$T/reload.out" 2>&1
check "reload (P knows new, lists it first): exit 0" 0 "$?"
SERIAL=3
zone
wait_serial $TPORT example.com 3 10
check "T took serial 3 after P's NOTIFY fell back to old" 3 "$(soa $TPORT example.com)"
check_match "P logged T's BADKEY and the fallback" "notify example\.com\. serial 3 to 127\.0\.0\.1@$TPORT key new: BADKEY .*trying its next key old\." \
	"$(grep -m1 "to 127.0.0.1@$TPORT key new: BADKEY" "$T/P.log")"
check_match "the fallback NOTIFY was answered" "notify example\.com\. serial 3 to 127\.0\.0\.1@$TPORT key old: answered" \
	"$(grep -m1 "serial 3 to 127.0.0.1@$TPORT key old: answered" "$T/P.log")"
check "S took serial 3 with the new key by NOTIFY + IXFR" 1 \
	"$(wait_serial $SPORT example.com 3 10; grep -c 'zone example.com.: IXFR from 127.0.0.1@'$PPORT' key new.: serial 2 -> 3' "$T/S.log")"
check "NOTIFY to S was signed with the new key and answered" 1 "$(grep -c "notify example.com. serial 3 to 127.0.0.1@$SPORT key new: answered" "$T/P.log")"
check "notify ZONE --json: sent to both targets" 2 "$(ctl p --json notify example.com | json 'd["notify"][0]["sent"]')"
check "refresh ZONE (T): queued" "true" "$(ctl t --json refresh example.com | json 'str(d["refresh"][0]["queued"]).lower()')"
ctl t retransfer example.com >/dev/null
check "retransfer ZONE (T): a fresh AXFR follows" 0 "$(wait_log "$T/T.log" 'zone example.com.: AXFR from .*: serial none -> 3' 10; echo $?)"

# 4. "old" retiring on P: T still uses it, P warns naming T.
pconf "new,old" ", retiring: [ old ]"
ctl p reload >/dev/null 2>&1
check "reload with old retiring: key list says so" "True" "$(ctl p --json key list | json '[k["retiring"] for k in d["key"] if k["name"]=="old"][0]')"
check "key list --json: use counters start again at a reload" "0 0" \
	"$(ctl p --json key list | json '" ".join(str(k["verified"]) for k in d["key"])')"
ctl t refresh example.com >/dev/null
SERIAL=4
zone
wait_serial $TPORT example.com 4 10
check_match "retiring key used by T: warning" "warning: .*IXFR of example\.com\. serial 4 to 127\.0\.0\.1@[0-9]+ key old\. started.*marked for retirement" \
	"$(grep -m1 'serial 4 to .* key old. started.*marked for retirement' "$T/P.log")"
check_match "key list --json: the retiring key's counters show who still uses it" "^old [1-9][0-9]* [0-9]+ 20[0-9-]+T" \
	"$(ctl p --json key list | json '" ".join("%s %s %s %s" % (k["name"], k["verified"], k["signed"], k["last-used"]) for k in d["key"] if k["name"]=="old")')"

# Our own side: marking the key P signs with as retiring is a step not done yet here.
pconf "new,old" ", retiring: [ new ]"
ctl p reload >/dev/null 2>&1
check_match "retiring key first in P's own list: warned at reload" "warning: reload: NOTIFY to 127\.0\.0\.1@$SPORT is signed with a key marked for retirement" \
	"$(grep -m1 "NOTIFY to 127.0.0.1@$SPORT is signed with a key marked" "$T/P.log")"
pconf "new,old" ", retiring: [ old ]"
ctl p reload >/dev/null 2>&1

# 5. A transfer in flight keeps its key across a reload that removes it.
# dig is stopped as soon as the transfer starts: the rest of the zone waits
# in the server (the socket buffers are full), the reload comes, then dig
# reads on and verifies every message.
dig @127.0.0.1 -p $PPORT +time=30 +tries=1 -y "hmac-sha256:new:$NEW" huge.test AXFR >"$T/huge.out" 2>&1 &
DIGPID=$!
wait_log "$T/P.log" "AXFR of huge\.test\. serial [0-9]+ to 127\.0\.0\.1@[0-9]+ key new\. started" 10
kill -STOP "$DIGPID"
rm "$T/p/keys/new.key"
pconf "old" ""
ctl p reload >"$T/reload.out" 2>&1
check "reload removing the key of a running transfer: exit 0" 0 "$?"
check "the transfer was still running at the reload" 0 "$(grep -c 'AXFR of huge.test. .* done' "$T/P.log")"
kill -CONT "$DIGPID"
wait "$DIGPID"
check "the transfer in flight finished" "" "$(grep -E 'Transfer failed|tsig indicates error|Couldn.t verify' "$T/huge.out")"
check_match "the transfer in flight: every record, TSIG verified" "XFR size: 4000[0-9]{2} records" "$(grep -m1 'XFR size' "$T/huge.out")"
check "the reload came while it was running" 1 \
	"$(awk '/AXFR of huge.test. .* key new. started/ {s=1} s && /reload \(flamectl\): configuration/ {r=1} r && /AXFR of huge.test. .* done/ {print 1; exit}' "$T/P.log")"
check_match "the next transfer with the removed key: BADKEY" "BADKEY" \
	"$(dig @127.0.0.1 -p $PPORT +time=2 +tries=1 -y "hmac-sha256:new:$NEW" example.com AXFR 2>&1 | grep -m1 -o BADKEY)"
check_match "kdig with the removed key: BADKEY" "BADKEY" \
	"$(kdig @127.0.0.1 -p $PPORT +time=2 +retry=0 -y "hmac-sha256:new:$NEW" example.com AXFR 2>&1 | grep -m1 -o BADKEY)"

# 6. Bad key files: refused with file:line: reason, the keys in force stay.
printf 'key "bad1" {\n\talgorithm hmac-sha256;\n\tsecret "not base64!";\n};\n' >"$T/p/keys/bad1.key"
check_match "bad secret: reload refused with file:line: reason" "^flamectl: $T/p/keys/bad1\.key:3: .*base64" "$(ctl p reload 2>&1)"
rm "$T/p/keys/bad1.key"
printf 'key "bad2" {\n\talgorithm hmac-sha999;\n\tsecret "c2VjcmV0";\n};\n' >"$T/p/keys/bad2.key"
check_match "unknown algorithm: reload refused" "^flamectl: $T/p/keys/bad2\.key:2: unknown algorithm 'hmac-sha999'" "$(ctl p reload 2>&1)"
ctl p reload >/dev/null 2>&1
check "unknown algorithm: exit 1" 1 "$?"
rm "$T/p/keys/bad2.key"
printf 'key "bad3" {\n\talgorithm hmac-sha256;\n\tsecret "c2VjcmV0"\n};\n' >"$T/p/keys/bad3.key"
check_match "syntax error: reload refused" "^flamectl: $T/p/keys/bad3\.key:4: " "$(ctl p reload 2>&1)"
check_match "refused reload: logged, old keys in force" "reload \(flamectl\) refused, the configuration and keys in force stay: $T/p/keys/bad3\.key:4" \
	"$(grep 'refused, the configuration' "$T/P.log" | tail -n1)"
check_match "refused reload: status says so" "refused: $T/p/keys/bad3\.key:4" "$(ctl p --json status | json 'd["status"][0]["last-reload-result"]')"
check_match "after the refused reloads the old key still transfers" "XFR size: [0-9]+ records" \
	"$(dig @127.0.0.1 -p $PPORT +time=2 +tries=1 -y "hmac-sha256:old:$OLD" example.com AXFR 2>&1 | grep -m1 'XFR size')"
rm "$T/p/keys/bad3.key"
sed -i 's/key old"/key old,nosuchkey"/' "$T/p.yaml"
check_match "a key named in the config but defined nowhere: refused" "^flamectl: (notify\.targets|transfer\.allow)[^:]*: key 'nosuchkey' is not defined by any key file" "$(ctl p reload 2>&1)"
pconf "old" ""
kill -HUP "$P_PID"
check "SIGHUP reloads config and keys like flamectl" 0 "$(wait_log "$T/P.log" 'reload \(SIGHUP\): configuration and 1 TSIG keys' 10; echo $?)"

# No query is dropped while the daemon reloads: a steady 1,000 queries a
# second for 3 s across six reloads, every one answered.
echo "example.com SOA" >"$T/q.txt"
nrel=$(grep -c 'reload (flamectl): configuration' "$T/P.log")
dnsperf -s 127.0.0.1 -p $PPORT -d "$T/q.txt" -Q 1000 -l 3 >"$T/dnsperf.out" 2>&1 &
DP=$!
for _ in 1 2 3 4 5 6; do sleep 0.4; ctl p reload >/dev/null 2>&1; done
wait "$DP"
check_match "queries during six reloads: all answered" "Queries lost: +0 " "$(grep 'Queries lost' "$T/dnsperf.out")"
check "the six reloads happened meanwhile" 6 "$(($(grep -c 'reload (flamectl): configuration' "$T/P.log") - nrel))"

# 7. Another uid. Root only (setpriv changes the uid).
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	asnobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	out=$(asnobody "$CTL" -s "$T/p.sock" status 2>&1)
	check "uid 65534, socket mode 0600: connection refused, exit 1" "1" "$(asnobody "$CTL" -s "$T/p.sock" status >/dev/null 2>&1; echo $?)"
	check_match "uid 65534, socket mode 0600: one clear line" "^flamectl: cannot connect to $T/p\.sock: Permission denied$" "$out"
	chmod 666 "$T/p.sock"
	out=$(asnobody "$CTL" -s "$T/p.sock" status 2>&1)
	check_match "uid 65534, socket opened up: the daemon refuses it" "^flamectl: permission denied: uid 65534 may not use this socket$" "$out"
	check_match "uid 65534: the refusal is logged" "control: connection from uid 65534 .* refused" "$(grep -m1 'uid 65534' "$T/P.log")"
	check "root is still served" 0 "$(ctl p status >/dev/null 2>&1; echo $?)"
else
	echo "skip other-uid checks (not root)"
fi
check "mode of the control socket as created" "srw-------" "$(stat -c %A "$T/s.sock")"

# cluster-status from S: nodes from its config (itself, its primary).
cs=$(ctl s --json cluster-status)
check "cluster-status --json (S): exit 0, converged" "0 True" "$?$(json '" "+str(all(z["converged"] for z in d["zone"]))' <<<"$cs")"
check "cluster-status --json (S): two nodes" 2 "$(json 'len(d["node"])' <<<"$cs")"

# 8. Secondary zones added to and removed from the config: a reload applies them.
printf '$ORIGIN added.test.\n$TTL 300\n@ IN SOA ns1 hostmaster 7 2 1 60 60\n@ NS ns1\nns1 A 127.0.0.1\n' >"$T/p/zones/added.test.zone"
wait_log "$T/P.log" "added\.test\. new, serial 7" 10
sed -i 's/zone: \[ { domain: example.com } \]/zone: [ { domain: added.test } ]/' "$T/s.yaml"
ctl s reload >/dev/null 2>&1
check "reload adding and removing secondary zones: exit 0" 0 "$?"
wait_serial $SPORT added.test 7 10
check "a secondary zone added to the config is transferred and served" 7 "$(soa $SPORT added.test)"
check "a secondary zone removed from the config is no longer served" REFUSED \
	"$(dig @127.0.0.1 -p $SPORT +norec +time=1 +tries=1 example.com SOA 2>&1 | sed -n 's/.*status: \([A-Z]*\).*/\1/p')"
check "its files are gone from storage" 0 "$(ls "$T/s/storage" | grep -c '^example\.com\.')"
check_match "both logged" "removed from the config.*added: transferring it" \
	"$(grep -E 'secondary zone (added|example)' "$T/S.log" | tr '\n' ' ')"

for p in P S T; do
	pid=$(eval echo "\$${p}_PID")
	kill -TERM "$pid"
	wait "$pid"
	check "$p: exit code after SIGTERM" 0 "$?"
	check "$p: sanitizer reports" 0 "$(grep -cE 'LeakSanitizer|AddressSanitizer|runtime error' "$T/$p.log")"
done
PIDS=()
[ "$FAILS" = 0 ] || for p in P S T; do echo "---- $p.log"; tail -n 30 "$T/$p.log"; done
finish
