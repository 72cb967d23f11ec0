#!/usr/bin/env bash
# Answers over UDP and TCP, IPv4 and IPv6, from a daemon started without a
# config file. Checks: AA flag; A, AAAA, MX answers; NXDOMAIN with the SOA in
# the authority section; REFUSED for a zone we do not serve; TCP answers;
# pipelined queries on one TCP connection (python and kdig); EDNS buffer
# size in the OPT record; CHAOS version.bind REFUSED when unset; TC over UDP for an RRset larger than the buffer,
# full answer over TCP; clean exit on SIGTERM.
source "$(dirname "$0")/lib/common.bash"
PORT=15301
V4=127.0.0.1
V6=::1

mkdir -p "$T/zones"
{
	echo '$TTL 300'
	echo '@ IN SOA ns1.example.com. hostmaster.example.com. 2024010101 3600 900 604800 300'
	echo '@ IN NS ns1'
	echo '@ IN MX 10 mail'
	echo 'ns1 IN A 192.0.2.53'
	echo 'mail IN A 192.0.2.25'
	echo 'www IN A 192.0.2.1'
	echo 'www IN AAAA 2001:db8::1'
	# 40 x 100 octets: far more than 1232, less than 65535.
	for i in $(seq -w 1 40); do
		printf 'big IN TXT "%s-%s"\n' "$i" "$(printf 'x%.0s' $(seq 1 96))"
	done
} >"$T/zones/example.com.zone"
cat >"$T/zones/example.net.zone" <<'Z'
$TTL 300
@ IN SOA ns1.example.net. hostmaster.example.net. 7 3600 900 604800 300
@ IN NS ns1.example.com.
host IN A 198.51.100.7
Z
echo "not a zone" >"$T/zones/README"
mkdir "$T/zones/sub.zone"

start_daemon --zone-dir "$T/zones" --listen "$V4@$PORT" --listen "[$V6]@$PORT" --workers 2
wait_ready "$V4" "$PORT" || finish

r=$(q $V4 $PORT www.example.com A)
check "A www.example.com (UDP v4)" "192.0.2.1" "$(q $V4 $PORT www.example.com A +short)"
check "AA flag" "qr aa" "$(flags_of "$r")"
check "AAAA www.example.com (UDP v6)" "2001:db8::1" "$(q $V6 $PORT www.example.com AAAA +short)"
check "MX example.com" "10 mail.example.com." "$(q $V4 $PORT example.com MX +short)"
check "A in second zone" "198.51.100.7" "$(q $V4 $PORT host.example.net A +short)"

r=$(q $V4 $PORT nope.example.com A)
check "NXDOMAIN rcode" "NXDOMAIN" "$(rcode_of "$r")"
check "NXDOMAIN flags" "qr aa" "$(flags_of "$r")"
check "NXDOMAIN SOA in authority" \
	"example.com. IN SOA ns1.example.com. hostmaster.example.com. 2024010101 3600 900 604800 300" \
	"$(section_of "$r" AUTHORITY)"

r=$(q $V4 $PORT www.example.org A)
check "foreign zone rcode" "REFUSED" "$(rcode_of "$r")"
check "foreign zone flags (no AA)" "qr" "$(flags_of "$r")"

r=$(q $V4 $PORT CH TXT version.bind)
check "CHAOS version.bind without 'version' configured" "REFUSED" "$(rcode_of "$r")"

check "A over TCP v4" "192.0.2.1" "$(q $V4 $PORT www.example.com A +tcp +short)"
check "AAAA over TCP v6" "2001:db8::1" "$(q $V6 $PORT www.example.com AAAA +tcp +short)"

# EDNS: we advertise our udp-max-payload (default 1232).
r=$(q $V4 $PORT www.example.com A +bufsize=4096)
check "EDNS UDP size advertised" "1232" "$(sed -n 's/.*; udp: \([0-9]*\).*/\1/p' <<<"$r")"

# Big RRset: truncated over UDP (EDNS 1232 and plain 512), whole over TCP.
r=$(q $V4 $PORT big.example.com TXT +bufsize=1232 +ignore)
check "big RRset over UDP (EDNS 1232): TC" "qr aa tc" "$(flags_of "$r")"
r=$(q $V4 $PORT big.example.com TXT +noedns +ignore)
check "big RRset over UDP (no EDNS): TC" "qr aa tc" "$(flags_of "$r")"
r=$(q $V4 $PORT big.example.com TXT +noedns +ignore)
check_match "big RRset over UDP (no EDNS): MSG SIZE <= 512" "MSG SIZE  rcvd: ([0-9]|[1-9][0-9]|[1-4][0-9][0-9]|50[0-9]|51[0-2])$" \
	"$(grep 'MSG SIZE' <<<"$r")"
check "big RRset over TCP: 40 TXT records" "40" "$(q $V4 $PORT big.example.com TXT +tcp +short | wc -l)"

# Pipelining: three queries in one segment, answers in order (id/rcode/ancount).
check "TCP pipelined v4 (python)" "100/0/1 101/3/0 102/0/1" \
	"$(python3 tests/integration/lib/dnstcp.py pipeline $V4 $PORT www.example.com nope.example.com mail.example.com 2>&1)"
check "TCP pipelined v6 (python)" "100/0/1 101/0/1" \
	"$(python3 tests/integration/lib/dnstcp.py pipeline $V6 $PORT host.example.net ns1.example.com 2>&1)"
# kdig reuses one connection for the following queries with +keepopen.
check "kdig +tcp +keepopen, three queries" "192.0.2.1 192.0.2.25 198.51.100.7" \
	"$(kdig @$V4 -p $PORT +tcp +keepopen +short www.example.com A mail.example.com A host.example.net A 2>&1 | xargs)"

stop_daemon
finish
