#!/usr/bin/env bash
# Zone transfers out, checked with real clients (kdig, dig):
#  - TSIG-signed AXFR with kdig and dig returns exactly the zone (sorted,
#    canonicalized by ldns-read-zone on both sides; the reference is the zone
#    file expanded by named-compilezone), SOA first and last;
#  - a 20,000-record zone comes in several messages, every one signed;
#  - unsigned request from an address whose rule requires a key: refused;
#    wrong secret: BADSIG; unknown key: BADKEY; zone we do not serve:
#    NOTAUTH; each refusal logged with its reason;
#  - a client clock past the fudge (faketime): BADTIME; signed ordinary
#    queries get signed answers;
#  - IXFR with the current serial: the single SOA; with an unknown older
#    serial (no history yet): an AXFR-style answer;
#  - a query after a transfer on the same connection is still answered;
#  - a zone's own transfer-allow (zone: entries) replaces the global list.
source "$(dirname "$0")/lib/common.bash"
PORT=15360

command -v tsig-keygen >/dev/null || { echo "FAIL tsig-keygen missing (make deps)"; exit 1; }
tsig-keygen -a hmac-sha256 xfr-key >"$T/xfr.key"
tsig-keygen -a hmac-sha512 other-key >"$T/other.key"
SECRET=$(sed -n 's/.*secret "\(.*\)".*/\1/p' "$T/xfr.key")
OTHER=$(sed -n 's/.*secret "\(.*\)".*/\1/p' "$T/other.key")

mkdir -p "$T/zones"
{
	echo '$TTL 300'
	echo '@ IN SOA ns1.example.com. hostmaster.example.com. 2024010101 3600 900 604800 300'
	echo '@ IN NS ns1'
	echo '@ IN MX 10 mail'
	echo 'ns1 IN A 198.51.100.53'
	echo 'mail IN A 198.51.100.25'
	echo 'www IN CNAME @'
	echo 'sub IN NS ns.sub'
	echo 'ns.sub IN A 198.51.100.99'
	echo '_sip._tcp IN SRV 0 5 5060 mail'
	echo 'txt IN TXT "v=spf1 -all" "second string"'
} >"$T/zones/example.com.zone"
{
	echo '$TTL 300'
	echo '@ IN SOA ns1.big.test. hostmaster.big.test. 7 3600 900 604800 300'
	echo '@ IN NS ns1'
	echo 'ns1 IN A 198.51.100.1'
	for i in $(seq 1 20000); do echo "h$i IN A 10.$((i / 65536)).$((i / 256 % 256)).$((i % 256))"; done
} >"$T/zones/big.test.zone"
{
	echo '$TTL 300'
	echo '@ IN SOA ns1.private.test. hostmaster.private.test. 1 3600 900 604800 300'
	echo '@ IN NS ns1'
	echo 'ns1 IN A 198.51.100.5'
} >"$T/zones/private.test.zone"
printf 'keys:\n  files: [ "%s" ]\ntransfer:\n  allow: [ "127.0.0.1 key xfr-key", "::1" ]\nzone:\n  - domain: private.test\n    transfer-allow: [ "::1 key xfr-key" ]\n' "$T/xfr.key" >"$T/conf.yaml"

start_daemon -c "$T/conf.yaml" --zone-dir "$T/zones" --listen "127.0.0.1@$PORT" --listen "[::1]@$PORT" --workers 2
wait_ready 127.0.0.1 "$PORT" || finish

canon() { # zone text on stdin -> canonical sorted RRs (no TSIG, no comments)
	grep -v '^;' | grep -v 'TSIG' | grep -v '^$' >"$T/canon.in"
	ldns-read-zone -c -z "$T/canon.in" 2>/dev/null | grep -v '^;' | sort -u
}
named-compilezone -i none -q -s full -o "$T/expanded" example.com "$T/zones/example.com.zone" >/dev/null 2>&1
want=$(canon <"$T/expanded")
check_match "reference zone expanded" "example\.com\.[[:space:]]+300[[:space:]]+IN[[:space:]]+SOA" "$want"

out=$(kdig @127.0.0.1 -p $PORT -y "hmac-sha256:xfr-key:$SECRET" example.com AXFR 2>&1)
check "kdig AXFR with TSIG equals the zone" "$want" "$(canon <<<"$out")"
rrs=$(grep -v '^;' <<<"$out" | grep -v '^$' | grep -v TSIG)
check "kdig AXFR: first RR is the SOA" "SOA" "$(head -n1 <<<"$rrs" | awk '{print $4}')"
check "kdig AXFR: last RR is the SOA" "SOA" "$(tail -n1 <<<"$rrs" | awk '{print $4}')"
out=$(dig @127.0.0.1 -p $PORT -y "hmac-sha256:xfr-key:$SECRET" example.com AXFR 2>&1)
check "dig AXFR with TSIG equals the zone" "$want" "$(canon <<<"$out")"
check_match "dig completed the transfer" "XFR size: [0-9]+ records" "$(grep 'XFR size' <<<"$out")"

out=$(kdig @127.0.0.1 -p $PORT -y "hmac-sha256:xfr-key:$SECRET" big.test AXFR 2>&1)
check "big zone: record count (20,003 + the SOA again)" "20004" "$(grep -v '^;' <<<"$out" | grep -v TSIG | grep -c 'IN')"
msgs=$(sed -n 's/.*(\([0-9]*\) messages.*/\1/p' <<<"$out")
check_match "big zone: several messages" "^([2-9]|[1-9][0-9]+)$" "$msgs"
check "big zone: one TSIG per message" "$msgs" "$(grep -c 'TSIG' <<<"$out")"

out=$(dig @127.0.0.1 -p $PORT example.com AXFR 2>&1)
check_match "unsigned AXFR where a key is required fails" "Transfer failed" "$out"
out=$(kdig @127.0.0.1 -p $PORT -y "hmac-sha256:xfr-key:$OTHER" example.com AXFR 2>&1)
check_match "wrong secret: BADSIG" "BADSIG" "$out"
out=$(kdig @127.0.0.1 -p $PORT -y "hmac-sha512:other-key:$OTHER" example.com AXFR 2>&1)
check_match "unknown key: BADKEY" "BADKEY" "$out"
if command -v faketime >/dev/null; then
	out=$(faketime -f '+1h' kdig @127.0.0.1 -p $PORT -y "hmac-sha256:xfr-key:$SECRET" example.com AXFR 2>&1)
	check_match "client clock 1 h ahead (past the 300 s fudge): BADTIME" "BADTIME" "$out"
	out=$(faketime -f '-10m' kdig @127.0.0.1 -p $PORT -y "hmac-sha256:xfr-key:$SECRET" example.com SOA 2>&1)
	check_match "signed query 10 min behind: BADTIME" "BADTIME" "$out"
else
	echo "FAIL faketime missing (make deps)"
	FAILS=$((FAILS + 1))
fi
out=$(kdig @127.0.0.1 -p $PORT -y "hmac-sha256:xfr-key:$SECRET" www.example.com CNAME 2>&1)
check_match "signed ordinary query: signed NOERROR answer" "status: NOERROR" "$out"
check_match "signed ordinary query: TSIG in the answer" "TSIG.*NOERROR" "$out"
out=$(dig @::1 -p $PORT example.com AXFR 2>&1)
check "::1 allowed without a key" "$want" "$(canon <<<"$out")"
out=$(kdig @127.0.0.1 -p $PORT -y "hmac-sha256:xfr-key:$SECRET" example.org AXFR 2>&1)
check_match "zone not served: NOTAUTH" "NOTAUTH" "$out"

out=$(kdig @127.0.0.1 -p $PORT -y "hmac-sha256:xfr-key:$SECRET" example.com IXFR=2024010101 2>&1)
check "IXFR with the current serial: single SOA" "1" "$(grep -v '^;' <<<"$out" | grep -v TSIG | grep -c 'SOA')"
out=$(kdig @127.0.0.1 -p $PORT -y "hmac-sha256:xfr-key:$SECRET" example.com IXFR=2024010100 2>&1)
check "IXFR from an unknown serial: AXFR-style, the whole zone" "$want" "$(canon <<<"$out")"

out=$(kdig @::1 -p $PORT +tcp +keepopen example.com AXFR example.com SOA +short 2>&1)
check_match "query after a transfer on the same connection" "2024010101" "$(tail -n1 <<<"$out")"

# A zone's own transfer-allow replaces the global list for that zone only.
out=$(kdig @127.0.0.1 -p $PORT -y "hmac-sha256:xfr-key:$SECRET" private.test AXFR 2>&1)
check_match "per-zone ACL: allowed globally, not for this zone: refused" "REFUSED|failed" "$out"
out=$(kdig @::1 -p $PORT private.test AXFR 2>&1)
check_match "per-zone ACL: key required for this zone: refused unsigned" "REFUSED|failed" "$out"
out=$(kdig @::1 -p $PORT -y "hmac-sha256:xfr-key:$SECRET" private.test AXFR 2>&1)
check "per-zone ACL: the zone's own rule admits" "4" "$(grep -v '^;' <<<"$out" | grep -v TSIG | grep -c 'IN')"

log=$(cat "$DLOG")
check_match "refusals logged with the reason" "refused: not allowed by the transfer ACL" "$log"
check_match "TSIG failures logged" "refused: TSIG BADSIG" "$log"
check_match "completed transfers logged" "AXFR of big\.test\. serial 7 to 127\.0\.0\.1@[0-9]+ done: [0-9]+ messages, 20004 records" "$log"
stop_daemon
finish
