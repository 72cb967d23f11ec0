#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Propagation on the three-node cluster (scripts/cluster.sh: namespaces,
# WireGuard between the nodes): from "zone file saved on NS1" (temp file
# renamed into place) to "NS2 and NS3 both answer the new serial" on their
# public addresses, BENCH_CLUSTER_CHANGES (200) changes one after the other,
# each one A record plus the serial; p50, p99 and max. For a 20-record zone
# and for the 100,000-record zone of bench/secondary.sh. The same with NS1
# alone polled shows what the primary's part is (the inotify debounce and
# the commit), the rest being NOTIFY, SOA query, IXFR and the secondaries'
# commit over the tunnel.
# Needs root, ip netns, wireguard-go; says so and does nothing otherwise,
# nor when a cluster is already up (make demo-stop). Output: stdout and
# bench/out/cluster.txt. Polling: bench/propagate.py (raw UDP SOA, 0.2 ms).
set -u
cd "$(dirname "$0")/.."
BUILD="${BUILD:-build}"
export BUILD
OUT=bench/out
CHANGES="${BENCH_CLUSTER_CHANGES:-200}"
GENZONE="$BUILD/tools/genzone"
CL=scripts/cluster.sh
log() { echo "cluster bench: $*" >&2; }

"$CL" check || { log "needs root, ip netns and wireguard-go: not run"; exit 0; }
if ip netns list | grep -qw ns1; then log "a cluster is already up (make demo-stop first): not run"; exit 0; fi
source bench/lib/common.bash
bench_zone_100k "$GENZONE" "$OUT" || { log "cannot generate the 100k zone"; exit 1; }

TMP=$(mktemp -d /tmp/flame-clbench.XXXXXX) || exit 1
PIDS=()
trap '"$CL" down --run "$TMP/run" >/dev/null 2>&1; bench_cleanup' EXIT
trap 'exit 130' INT TERM

ZD="$TMP/zones"
mkdir -p "$ZD"
{
	printf '$ORIGIN small.test.\n$TTL 300\n@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n@ NS ns1\nns1 A 203.0.113.1\n'
	for i in $(seq 1 16); do printf 'h%d A 192.0.2.%d\n' "$i" "$i"; done
	printf 'bench-change A 10.255.0.0\n'
} >"$ZD/small.test.zone"
cp "$OUT/zones-100k/bench.test.zone" "$ZD/bench.test.zone"
printf 'bench-change 300 IN A 10.255.0.0\n' >>"$ZD/bench.test.zone"

"$CL" up --zones "$ZD" --run "$TMP/run" >&2 || exit 1
for z in small.test bench.test; do
	for _ in $(seq 1 300); do
		s1=$(dig @203.0.113.1 +short +time=1 +tries=1 "$z" SOA | awk '{print $3}')
		[ -n "$s1" ] && [ "$(dig @203.0.113.2 +short +time=1 +tries=1 "$z" SOA | awk '{print $3}')" = "$s1" ] &&
			[ "$(dig @203.0.113.3 +short +time=1 +tries=1 "$z" SOA | awk '{print $3}')" = "$s1" ] && break
		sleep 0.2
	done
done

declare -A R
for z in small.test bench.test; do
	# NS1 alone, then NS1 -> NS2 and NS3 (the question asked)
	R[$z/ns1]=$(timeout 600 python3 bench/propagate.py "$ZD/$z.zone" "$z" 53 50 --poll 203.0.113.1@53 --change-a bench-change)
	log "$z: ns1 alone: ${R[$z/ns1]}"
	R[$z/all]=$(timeout 900 python3 bench/propagate.py "$ZD/$z.zone" "$z" 53 "$CHANGES" --poll 203.0.113.2@53 \
		--poll 203.0.113.3@53 --change-a bench-change)
	log "$z: ns2 and ns3: ${R[$z/all]}"
done
ixfr2=$(grep -c 'IXFR from 198.51.100.1@53' "$TMP/run/ns2/flame-dnsd.log")
ixfr3=$(grep -c 'IXFR from 198.51.100.1@53' "$TMP/run/ns3/flame-dnsd.log")

{
	echo "## Cluster propagation (namespaces, WireGuard, TSIG)"
	echo
	echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); one worker per node, no pinning."
	echo "From the rename of the zone file on NS1 to the new serial answered (raw UDP SOA polls every 0.2 ms)."
	echo
	echo "| zone | polled | result (ms) |"
	echo "|---|---|---|"
	for z in small.test bench.test; do
		echo "| $z | NS1 alone, 50 changes | ${R[$z/ns1]} |"
		echo "| $z | NS2 and NS3 both, $CHANGES changes | ${R[$z/all]} |"
	done
	echo
	echo "IXFRs logged: NS2 $ixfr2, NS3 $ixfr3."
} | tee "$OUT/cluster.txt"
