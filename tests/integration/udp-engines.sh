#!/usr/bin/env bash
# The two UDP engines (server.udp-engine: io-uring, recvmmsg) answer alike:
# for each, a daemon on 127.0.0.1 and on the wildcard address (pktinfo path,
# always recvmmsg) answers A, NXDOMAIN and TC over UDP, survives a burst of
# 2,000 queries from dnsperf-free parallel digs, reports in its stop log which
# engine its threads ran on, and exits cleanly on SIGTERM.
source "$(dirname "$0")/lib/common.bash"
PORT=15350

mkdir -p "$T/zones"
{
	echo '$TTL 300'
	echo '@ IN SOA ns1.example.com. hostmaster.example.com. 1 3600 900 604800 300'
	echo '@ IN NS ns1'
	echo 'ns1 IN A 198.51.100.53'
	echo 'www IN A 198.51.100.1'
	for i in $(seq -w 1 40); do
		printf 'big IN TXT "%s-%s"\n' "$i" "$(printf 'x%.0s' $(seq 1 96))"
	done
} >"$T/zones/example.com.zone"

run_engine() {
	local engine=$1 listen=$2 expect_uring=$3
	printf 'server:\n  udp-engine: %s\nlog:\n  level: info\n' "$engine" >"$T/conf.yaml"
	start_daemon -c "$T/conf.yaml" --zone-dir "$T/zones" --listen "$listen" --workers 2
	wait_ready 127.0.0.1 "$PORT" || return
	local r
	r=$(q 127.0.0.1 $PORT www.example.com A +short)
	check "$engine $listen: A" "198.51.100.1" "$r"
	r=$(q 127.0.0.1 $PORT nx.example.com A)
	check "$engine $listen: NXDOMAIN" "NXDOMAIN" "$(rcode_of "$r")"
	r=$(q 127.0.0.1 $PORT big.example.com TXT +bufsize=1232 +ignore)
	check_match "$engine $listen: TC over UDP" "tc" "$(flags_of "$r")"
	# A burst: 20 parallel digs x 100 queries, all must be answered.
	local i ok
	for i in $(seq 1 20); do
		(for n in $(seq 1 100); do echo "www.example.com A"; done |
			dig @127.0.0.1 -p $PORT +norec +time=2 +tries=2 -f - +short 2>&1 | grep -c '^198\.51\.100\.1$') >"$T/burst.$i" &
	done
	wait $(jobs -p | grep -v "^$DPID$") 2>/dev/null
	ok=$(cat "$T"/burst.* | awk '{s += $1} END {print s}')
	rm -f "$T"/burst.*
	check "$engine $listen: burst answered" 2000 "$ok"
	stop_daemon
	check_match "$engine $listen: engine used" "$expect_uring of 2 UDP threads on io_uring" "$(grep 'workers stopped' "$DLOG")"
}

run_engine io-uring "127.0.0.1@$PORT" 2
run_engine recvmmsg "127.0.0.1@$PORT" 0
# Wildcard address: replies must leave from the query's destination address.
run_engine io-uring "0.0.0.0@$PORT" 0
finish
