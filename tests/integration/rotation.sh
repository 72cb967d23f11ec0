#!/usr/bin/env bash
# TSIG key rotation on the three-node cluster under load (issue 7,
# docs/key-rotation.md). NS1 changes rot.test. 5 times a second the whole
# time while the cluster key is replaced in the three documented steps,
# node by node, each step in the order most likely to break a transfer:
#  1. the new key is installed everywhere as an additional accepted key
#     ("key cluster-key,rot-new": outbound still the old one first);
#     NS1 first, so the secondaries do not know the new key yet while NS1
#     already lists it;
#  2. outbound switched to the new key ("key rot-new,cluster-key"), the old
#     one marked for retirement: the secondaries first (their SOA queries
#     and transfers arrive signed with a key NS1 only accepts since step 1),
#     NS1 last;
#  3. the old key removed everywhere (lists and key file): NS1 first.
# Checks: every flamectl reload succeeds; the secondaries journal an
# unbroken chain of changesets up to the last serial (every change arrived); dig and kdig with the new key
# transfer after step 1 and with the old key get BADKEY after step 3, on
# every node; no NOTIFY refused or unanswered, no transfer or refresh
# failed, refused or retried on another key during the whole rotation;
# transfers kept flowing in every step and switched keys at step 2; NS2 and
# NS3 end on NS1's last serial with the same AXFR; `flamectl
# cluster-status` says converged; `key list --json` shows the old key
# retiring after step 2 and gone after step 3.
# Needs root, ip netns and wireguard-go: SKIP otherwise (like cluster.sh).
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/cluster.bash"
CTL="$PWD/$BUILD/flamectl"
cluster_require rotation.sh
WPID=""
trap '[ -n "$WPID" ] && kill "$WPID" 2>/dev/null; "$CL" down --run "$RUN" >/dev/null 2>&1; cleanup' EXIT

mkdir -p "$ZD"
cp zonefiles/example.com.zone "$ZD/"
# rot.test. at serial $1: a TXT that changes with every serial.
rot() {
	printf '$ORIGIN rot.test.\n$TTL 300\n@ IN SOA ns1 hostmaster %d 2 1 30 60\n@ NS ns1\nns1 A 203.0.113.1\nv TXT "edit %d"\n' \
		"$1" "$1" >"$ZD/rot.test.zone.tmp"
	mv "$ZD/rot.test.zone.tmp" "$ZD/rot.test.zone"
}
rot 1
"$CL" up --zones "$ZD" --run "$RUN" >"$T/up.out" 2>&1 || { cat "$T/up.out"; echo "FAIL cluster up"; exit 1; }
OLD=$(sed -n 's/.*secret "\(.*\)";/\1/p' "$RUN/ns1/keys/cluster.key")

wait_serial 2 rot.test 1 15 && wait_serial 3 rot.test 1 15
check "start-up: ns2 and ns3 serve rot.test." "1/1" "$(soa 2 rot.test)/$(soa 3 rot.test)"
[ "$FAILS" = 0 ] || exit 1

# Where each node's log stands: failures are counted from here on.
declare -A MARK
for n in 1 2 3; do MARK[$n]=$(wc -l <"$RUN/ns$n/flame-dnsd.log"); done
since() { tail -n +$((MARK[$1] + 1)) "$RUN/ns$1/flame-dnsd.log"; }

# The load: a new serial of rot.test. every 200 ms (at most 5 minutes).
writer() {
	local s=2 t0 next now
	t0=$(date +%s%N)
	while [ ! -e "$T/stop" ] && [ "$s" -lt 1500 ]; do
		rot "$s"
		echo "$s" >"$T/last"
		s=$((s + 1))
		# On a schedule (every 200 ms from the start), not 200 ms after each write.
		next=$((t0 + (s - 2) * 200000000))
		now=$(date +%s%N)
		[ "$next" -gt "$now" ] && sleep "$(awk -v d=$((next - now)) 'BEGIN { printf "%.3f", d / 1e9 }')"
	done
	echo "$t0 $(date +%s%N) $((s - 2))" >"$T/writer.time"
}
writer &
WPID=$!

reload() {
	local out
	out=$("$CTL" -s "$RUN/ns$1/control.sock" reload 2>&1)
	check "$2: ns$1 reload" 0 "$?"
	[ -n "$out" ] && echo "     $(tr '\n' ' ' <<<"$out")"
}
# set_keys NODE LIST: every "key ..." of the node's config becomes "key LIST".
set_keys() { sed -i -E "s/key [a-z0-9,-]+\"/key $2\"/g" "$RUN/ns$1/flame-dnsd.yaml"; }
# transfers NODE-LOG-of-ns1 KEY: transfers out of ns1 signed with KEY since the mark
xfrs_with() { since 1 | grep -cE "(AXFR|IXFR) of rot\.test\. serial [0-9]+ to 198\.51\.100\.[23]@[0-9]+ key $1\. started"; }
# A step lasts at least 2 s of load, so transfers happen inside it.
pause() { sleep 2; }
keydig() { # NODE KEYNAME SECRET: rcode and TSIG status of a signed AXFR of rot.test. from the tunnel
	ip netns exec ns2 dig @198.51.100."$1" -b 198.51.100.2 +time=2 +tries=1 -y "hmac-sha256:$2:$3" rot.test AXFR 2>&1
}

# Step 1: install rot-new as an additional accepted key, NS1 first.
"$CTL" key generate rot-new >"$T/rot-new.key"
NEW=$(sed -n 's/.*secret "\(.*\)";/\1/p' "$T/rot-new.key")
for n in 1 3 2; do
	(umask 077 && cp "$T/rot-new.key" "$RUN/ns$n/keys/rot-new.key")
	set_keys "$n" "cluster-key,rot-new"
	reload "$n" "step 1"
	pause
done
b1=$(xfrs_with cluster-key)
check_match "step 1: transfers kept flowing (old key)" "^[1-9][0-9]*$" "$b1"
for n in 1 2 3; do
	check_match "step 1: dig with the new key transfers from ns$n" "ANY[[:space:]]+TSIG.*NOERROR|rot\.test\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+SOA" \
		"$(keydig "$n" rot-new "$NEW" | grep -m1 -E 'IN[[:space:]]+SOA|TSIG')"
done
check_match "step 1: kdig with the new key transfers from ns1" "[0-9]+ records" \
	"$(ip netns exec ns2 kdig @198.51.100.1 -b 198.51.100.2 +time=2 +retry=0 -y "hmac-sha256:rot-new:$NEW" rot.test AXFR 2>&1 | grep -m1 -o '[0-9]* records')"

# Step 2: outbound on the new key, the old one retiring; secondaries first.
for n in 2 3 1; do
	set_keys "$n" "rot-new,cluster-key"
	sed -i -E "s|^keys: \{ directory: ([^ ,}]+),|keys: { directory: \1, retiring: [ cluster-key ],|" "$RUN/ns$n/flame-dnsd.yaml"
	reload "$n" "step 2"
	pause
done
check "step 2: ns1 lists the old key as retiring" "true" \
	"$("$CTL" -s "$RUN/ns1/control.sock" --json key list | python3 -c 'import json,sys; print(str([k["retiring"] for k in json.load(sys.stdin)["key"] if k["name"]=="cluster-key"][0]).lower())')"
b2=$(xfrs_with rot-new)
check_match "step 2: transfers now signed with the new key" "^[1-9][0-9]*$" "$b2"

# Step 3: the old key gone everywhere, NS1 first.
for n in 1 2 3; do
	set_keys "$n" "rot-new"
	sed -i -E "s|, retiring: \[ cluster-key \]||" "$RUN/ns$n/flame-dnsd.yaml"
	rm -f "$RUN/ns$n/keys/cluster.key"
	reload "$n" "step 3"
	pause
done
check "step 3: ns1 no longer has the old key" "[]" \
	"$("$CTL" -s "$RUN/ns1/control.sock" --json key list | python3 -c 'import json,sys; print([k["name"] for k in json.load(sys.stdin)["key"] if k["name"]=="cluster-key"])')"
b3=$(($(xfrs_with rot-new) - b2))
check_match "step 3: transfers kept flowing (new key)" "^[1-9][0-9]*$" "$b3"

touch "$T/stop"
wait "$WPID"
WPID=""
LAST=$(cat "$T/last")
wait_serial 2 rot.test "$LAST" 10
wait_serial 3 rot.test "$LAST" 10
check "end: ns2 serves the last serial" "$LAST" "$(soa 2 rot.test)"
check "end: ns3 serves the last serial" "$LAST" "$(soa 3 rot.test)"
read -r W0 W1 WN <"$T/writer.time"
check_match "load: NS1's zone changed 5 times a second throughout" "^[0-9]+ changes in [0-9.]+ s: (4\.[89]|5\.[0-9])[0-9]*/s$" \
	"$(awk -v n="$WN" -v t=$(((W1 - W0) / 1000000)) 'BEGIN { printf "%d changes in %.1f s: %.2f/s", n, t / 1000, n * 1000 / t }')"
axfr() { ip netns exec ns1 kdig @198.51.100."$1" -y "hmac-sha256:rot-new:$NEW" +time=3 +retry=0 rot.test AXFR 2>/dev/null | grep -v '^;' | awk 'NF && $4 != "TSIG"' | sort -u; }
a1=$(axfr 1)
check_match "end: ns1's AXFR with the new key" "v\.rot\.test\..*edit $LAST" "$(grep 'TXT' <<<"$a1")"
check "end: ns2's AXFR equals ns1's" "$a1" "$(axfr 2)"
check "end: ns3's AXFR equals ns1's" "$a1" "$(axfr 3)"
# Every change reached the secondaries: their journals hold one unbroken
# chain of changesets from serial 1 (or as far back as the journal keeps,
# 100 changesets by default) to the last serial.
for n in 2 3; do
	check "every change reached ns$n: an unbroken chain of changesets to $LAST" "ok" \
		"$("$CTL" -s "$RUN/ns$n/control.sock" --json journal rot.test | python3 -c '
import json, sys
d = json.load(sys.stdin); cs = d.get("changeset", []); last = int(sys.argv[1])
chain = all(a["to"] == b["from"] for a, b in zip(cs, cs[1:]))
start = cs[0]["from"] == 1 or len(cs) >= 100 if cs else False
print("ok" if chain and start and cs[-1]["to"] == last else "broken: %s" % [(c["from"], c["to"]) for c in cs])' "$LAST")"
done
"$CTL" -s "$RUN/ns1/control.sock" cluster-status >"$T/cs.out" 2>&1
check "end: flamectl cluster-status says converged" "0" "$?"
check_match "end: cluster-status lists rot.test. on the three nodes" "rot\.test\.[[:space:]]+$LAST[[:space:]]+$LAST[[:space:]]+$LAST[[:space:]]+yes" "$(grep rot.test "$T/cs.out")"

# Zero failures during the whole rotation (before the old key is probed below).
check "no NOTIFY refused or unanswered (ns1)" 0 "$(since 1 | grep -cE 'notify .*: (refused|no answer|cannot build)')"
check "no transfer refused by ns1" 0 "$(since 1 | grep -cE '(AXFR|IXFR) of .* refused')"
for n in 2 3; do
	check "no refresh or transfer failed on ns$n" 0 "$(since "$n" | grep -cE 'refresh from .* failed|rejected|BADKEY|TSIG (BADSIG|BADKEY|BADTIME)')"
	check "no NOTIFY refused by ns$n" 0 "$(since "$n" | grep -cE 'NOTIFY for rot\.test\..*(ignored|REFUSED|NOTAUTH)')"
	check_match "ns$n took changes by IXFR with the new key" "^[1-9][0-9]*$" \
		"$(since "$n" | grep -cE 'zone rot\.test\.: IXFR from 198\.51\.100\.1@53 key rot-new\.: serial')"
done
check "no key fallback was needed (the procedure avoids BADKEY)" 0 "$(for n in 1 2 3; do since "$n"; done | grep -c 'trying its next key')"
# The old key is refused (BADKEY) everywhere, by dig and kdig.
for n in 1 2 3; do
	check_match "end: dig with the old key gets BADKEY from ns$n" "BADKEY" \
		"$(ip netns exec ns2 dig @198.51.100."$n" -b 198.51.100.2 +time=2 +tries=1 -y "hmac-sha256:cluster-key:$OLD" rot.test SOA 2>&1 | grep -m1 -o BADKEY)"
done
check_match "end: kdig with the old key gets BADKEY from ns1" "BADKEY" \
	"$(ip netns exec ns2 kdig @198.51.100.1 -b 198.51.100.2 +time=2 +retry=0 -y "hmac-sha256:cluster-key:$OLD" rot.test AXFR 2>&1 | grep -m1 -o BADKEY)"

finish
