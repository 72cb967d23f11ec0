#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Primary-side benchmarks (run by `make bench` after bench/run.sh, or alone):
#  1. propagation on the primary: zone file rename -> new serial answered,
#     p50/p99 over 50 changes, for a small zone and the 100,000-record zone
#     (bench/propagate.py: raw UDP polling every 0.2 ms);
#  2. AXFR of the 1,000,000-record zone with kdig from flame-dnsd, knotd and
#     nsd (median wall time of 3 transfers, output to /dev/null);
#  3. IXFR answer time for a one-record change in that zone (flame only:
#     median of 5 `kdig IXFR=old`).
# Needs bench/out/ from bench/run.sh (the generated zones). Ports 35400-35449.
set -u
cd "$(dirname "$0")/.."
BUILD="${BUILD:-build}"
OUT=bench/out
FLAME="$BUILD/flame-dnsd"
[ -f "$OUT/zones-1m/big.test.zone" ] && [ -f "$OUT/zones-100k/bench.test.zone" ] ||
	{ echo "xfr bench: run bench/run.sh first (it generates the zones)"; exit 1; }
TMP=$(mktemp -d /tmp/flame-xbench.XXXXXX) || exit 1
PIDS=()
source bench/lib/common.bash
trap bench_cleanup EXIT
wait_up() { # PORT ZONE
	local i
	for i in $(seq 1 3000); do
		kdig @127.0.0.1 -p "$1" +tcp +time=1 +retry=0 +short "$2" SOA 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	return 1
}
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ms_of() { # command... -> wall ms
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

echo "## Primary: propagation, AXFR, IXFR"
echo
# 1. propagation
for ds in small 100k; do
	d="$TMP/prop-$ds"
	mkdir -p "$d/zones" "$d/storage"
	if [ "$ds" = small ]; then
		cp zonefiles/example.com.zone "$d/zones/"
		zone=example.com
	else
		cp "$OUT/zones-100k/bench.test.zone" "$d/zones/"
		zone=bench.test
	fi
	printf 'zones:\n  storage: "%s"\n' "$d/storage" >"$d/conf.yaml"
	taskset -c 0 "$FLAME" -c "$d/conf.yaml" --zone-dir "$d/zones" --listen 127.0.0.1@35401 --workers 1 >"$d/log" 2>&1 &
	PIDS+=($!)
	wait_up 35401 "$zone" || { echo "flame did not start"; exit 1; }
	r=$(python3 bench/propagate.py "$d/zones/$zone.zone" "$zone" 35401 50)
	echo "- propagation, $ds zone ($zone), file rename to new serial answered: $r"
	kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null; unset 'PIDS[-1]'
done

# 2. AXFR of 1M records
Z1M="$PWD/$OUT/zones-1m"
d="$TMP/axfr"
mkdir -p "$d/knot/run" "$d/knot/db" "$d/nsd"
printf 'transfer:\n  allow: [ "127.0.0.1" ]\n' >"$d/flame.yaml"
{
	printf 'server:\n    rundir: "%s/knot/run"\n    listen: 127.0.0.1@35412\n    background-workers: 1\n' "$d"
	printf 'database:\n    storage: "%s/knot/db"\nlog:\n  - target: stderr\n    any: warning\n' "$d"
	printf 'acl:\n  - id: all\n    address: 127.0.0.1\n    action: transfer\n'
	printf 'template:\n  - id: default\n    storage: "%s"\n    file: "%%s.zone"\n    zonefile-load: whole\n    zonefile-sync: -1\n    journal-content: none\n    semantic-checks: off\n    acl: all\n' "$Z1M"
	printf 'zone:\n  - domain: big.test.\n'
} >"$d/knot.conf"
{
	printf 'server:\n    ip-address: 127.0.0.1@35413\n    server-count: 1\n    username: ""\n    zonesdir: "%s"\n    database: ""\n' "$Z1M"
	printf '    zonelistfile: "%s/nsd/zl"\n    pidfile: "%s/nsd/pid"\n    xfrdfile: "%s/nsd/xfrd"\n    xfrdir: "%s/nsd"\n    logfile: "%s/nsd/log"\n' "$d" "$d" "$d" "$d" "$d"
	printf 'remote-control:\n    control-enable: no\nzone:\n    name: big.test\n    zonefile: big.test.zone\n    provide-xfr: 127.0.0.1 NOKEY\n'
} >"$d/nsd.conf"
declare -A AX
for srv in flame knotd nsd; do
	case $srv in
	flame) port=35411; taskset -c 0 "$FLAME" -c "$d/flame.yaml" --zone-dir "$Z1M" --listen 127.0.0.1@$port --workers 1 >"$d/flame.log" 2>&1 & ;;
	knotd) port=35412; taskset -c 0 knotd -c "$d/knot.conf" >"$d/knot.log" 2>&1 & ;;
	nsd) port=35413; taskset -c 0 nsd -d -c "$d/nsd.conf" >"$d/nsd.out" 2>&1 & ;;
	esac
	PIDS+=($!)
	if ! wait_up $port big.test; then echo "- $srv did not start"; continue; fi
	n=$(kdig @127.0.0.1 -p $port big.test AXFR 2>/dev/null | grep -v '^;' | grep -c .)
	t=$(for i in 1 2 3; do ms_of taskset -c 1 kdig @127.0.0.1 -p $port big.test AXFR; done | median)
	bytes=$(kdig @127.0.0.1 -p $port big.test AXFR 2>/dev/null | sed -n 's/;; Received \([0-9]*\) B.*/\1/p')
	AX[$srv]=$t
	echo "- AXFR 1M zone from $srv: ${t} ms median of 3 (kdig wall time), $n records, $bytes bytes"
	kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null; unset 'PIDS[-1]'
done
[ -n "${AX[flame]:-}" ] && [ -n "${AX[knotd]:-}" ] && echo "- AXFR time flame/knotd: $(awk -v a="${AX[flame]}" -v b="${AX[knotd]}" 'BEGIN { printf "%.2f", a / b }')"
[ -n "${AX[flame]:-}" ] && [ -n "${AX[nsd]:-}" ] && echo "- AXFR time flame/nsd: $(awk -v a="${AX[flame]}" -v b="${AX[nsd]}" 'BEGIN { printf "%.2f", a / b }')"

# 3. IXFR of a one-record change in the 1M zone
d="$TMP/ixfr"
mkdir -p "$d/zones" "$d/storage"
cp "$OUT/zones-1m/big.test.zone" "$d/zones/"
printf 'zones:\n  storage: "%s"\n  serial-policy: increment\ntransfer:\n  allow: [ "127.0.0.1" ]\n' "$d/storage" >"$d/conf.yaml"
taskset -c 0 "$FLAME" -c "$d/conf.yaml" --zone-dir "$d/zones" --listen 127.0.0.1@35421 --workers 1 >"$d/log" 2>&1 &
PIDS+=($!)
wait_up 35421 big.test || { echo "flame did not start"; exit 1; }
old=$(kdig @127.0.0.1 -p 35421 +short big.test SOA | awk '{print $3}')
t0=$(date +%s%N)
echo "zz-bench-change IN A 198.51.100.250" >>"$d/zones/big.test.zone"
for i in $(seq 1 300); do
	new=$(kdig @127.0.0.1 -p 35421 +short big.test SOA | awk '{print $3}')
	[ "$new" != "$old" ] && break
	sleep 0.02
done
t1=$(date +%s%N)
echo "- one-record change in the 1M zone: new serial $new served $(((t1 - t0) / 1000000)) ms after the append (reload, diff, journal, publish)"
t=$(for i in 1 2 3 4 5; do ms_of taskset -c 1 kdig @127.0.0.1 -p 35421 big.test IXFR=$old; done | median)
n=$(kdig @127.0.0.1 -p 35421 big.test IXFR=$old 2>/dev/null | grep -v '^;' | grep -c .)
echo "- IXFR=$old answer: ${t} ms median of 5 (kdig wall time), $n records"
grep -E "serial $old -> $new" "$d/log" | sed 's/^/  log: /'
