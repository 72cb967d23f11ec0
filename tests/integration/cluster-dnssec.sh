#!/usr/bin/env bash
# A signed zone on the three-node cluster (issue 8): NS1 signs sign.test.
# (scripts/cluster.sh up --sign), NS2 and NS3 transfer it over the tunnel.
#  1. all three serve the signed zone; delv validates positive, NXDOMAIN,
#     NODATA and wildcard answers on each node, with NS1's key as the trust
#     anchor; NS2's and NS3's AXFRs equal NS1's and pass ldns-verify-zone;
#  2. one record added on NS1 (a one-line edit of a 2,000-name zone): NS2
#     and NS3 take it by IXFR of a handful of records (their logs say how
#     many), the new name validates on both; one record removed: a
#     validated NXDOMAIN on both; AXFRs equal and verified again.
# Needs root, ip netns and wireguard-go: SKIP otherwise.
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/cluster.bash"
cluster_require cluster-dnssec.sh
trap '"$CL" down --run "$RUN" >/dev/null 2>&1; cleanup' EXIT
for bin in delv kdig ldns-verify-zone; do
	command -v "$bin" >/dev/null || { echo "FAIL $bin missing (scripts/deps.sh installs it)"; exit 1; }
done
mkdir -p "$ZD"
Z=sign.test
N=1
HOSTS=2000
zonefile() { # the zone at serial N without host $SKIP, with the extra lines of $T/extra
	{
		printf '$ORIGIN %s.\n$TTL 300\n@ IN SOA ns1 hostmaster %d 2 1 600 60\n@ NS ns1\nns1 A 203.0.113.1\n' "$Z" "$N"
		printf '@ MX 10 mail\nmail A 192.0.2.25\n*.wild TXT "wildcard"\na.b.ent A 192.0.2.9\n'
		printf 'sub NS ns.sub\nns.sub A 192.0.2.53\n'
		awk -v n=$HOSTS -v skip="${SKIP:-}" 'BEGIN { for (i = 0; i < n; i++) if ("h" i != skip) printf "h%d A 198.51.100.%d\n", i, i % 250 + 1 }'
		cat "$T/extra" 2>/dev/null
	} >"$ZD/$Z.zone.tmp"
	mv "$ZD/$Z.zone.tmp" "$ZD/$Z.zone"
}
zonefile
"$CL" up --zones "$ZD" --run "$RUN" --sign "$Z" >"$T/up.out" 2>&1 || { cat "$T/up.out"; echo "FAIL cluster up"; exit 1; }
SECRET=$(sed -n 's/.*secret "\(.*\)";/\1/p' keys/tsig/cluster.key)

s1=$(soa 1 $Z)
check_match "ns1 serves $Z" "^[0-9]+$" "$s1"
for n in 2 3; do
	wait_serial $n $Z "$s1" 20
	check "ns$n serves ns1's serial" "$s1" "$(soa $n $Z)"
done
check_match "ns1 signed $Z with a key it made" "new DNSSEC key \(CSK, ECDSAP256SHA256" "$(grep -m1 "zone $Z.\{0,1\}: new DNSSEC key" "$RUN/ns1/flame-dnsd.log")"

{
	echo "trust-anchors {"
	dig @203.0.113.1 +norec +short "$Z" DNSKEY | ta_lines "$Z"
	echo "};"
} >"$T/ta.conf"
check "a trust anchor from ns1's DNSKEY" 1 "$(grep -c static-key "$T/ta.conf")"
V='; fully validated'
NX='resolution failed: ncache nxdomain ; negative response, fully validated'
ND='resolution failed: ncache nxrrset ; negative response, fully validated'
expect() { # DESC NODE NAME TYPE REGEX
	check_match "$1: ns$2 $3 $4" "$5" "$(delv -a "$T/ta.conf" +root=$Z @203.0.113."$2" "$3" "$4" 2>&1 | head -4 | tr '\n' ' ')"
}
verified() { # NODE: its AXFR passes ldns-verify-zone
	axfr "$1" $Z >"$T/axfr.$1"
	[ -s "$T/axfr.$1" ] && ldns-verify-zone "$T/axfr.$1" >"$T/verify.$1" 2>&1 && echo yes
}

# 1. the signed zone on every node
for n in 1 2 3; do
	expect start $n "h7.$Z" A "$V"
	expect start $n "nope.$Z" A "$NX"
	expect start $n "h7.$Z" AAAA "$ND"
	expect start $n "x.wild.$Z" TXT "$V"
	expect start $n "b.ent.$Z" A "$ND"
done
for n in 2 3; do
	check_match "start: ns$n's AXFR equals ns1's" "^same, [0-9]+ records$" "$(same_axfr $n $Z)"
	check "start: ns$n's AXFR passes ldns-verify-zone" yes "$(verified $n)"
done

# 2. a one-record change, then a removal
ixfr_records() { # NODE SERIAL: records of the IXFR that brought SERIAL, from the node's log
	sed -n "s/.*zone $Z\.: IXFR from .*: serial [0-9]* -> $2, \([0-9]*\) records.*/\1/p" "$RUN/ns$1/flame-dnsd.log" | tail -n1
}
N=$((s1 + 1))
echo "added A 192.0.2.200" >"$T/extra"
zonefile
for n in 1 2 3; do wait_serial $n $Z "$N" 20; done
for n in 2 3; do
	check "add: ns$n serves serial $N" "$N" "$(soa $n $Z)"
	check_match "add: ns$n took it by IXFR of a handful of records (not $((HOSTS * 3)))" "^([1-9]|1[0-9]|2[0-4])$" "$(ixfr_records $n $N)"
	expect add $n "added.$Z" A "$V"
done
echo "ns2 IXFR for one added record: $(ixfr_records 2 $N) records"
N=$((N + 1))
SKIP=h7
zonefile
for n in 1 2 3; do wait_serial $n $Z "$N" 20; done
for n in 2 3; do
	check "remove: ns$n serves serial $N" "$N" "$(soa $n $Z)"
	check_match "remove: ns$n took it by IXFR of a handful of records" "^([1-9]|1[0-9]|2[0-4])$" "$(ixfr_records $n $N)"
	expect remove $n "h7.$Z" A "$NX"
	expect remove $n "added.$Z" A "$V"
	check_match "remove: ns$n's AXFR equals ns1's" "^same, [0-9]+ records$" "$(same_axfr $n $Z)"
	check "remove: ns$n's AXFR passes ldns-verify-zone" yes "$(verified $n)"
done
finish
