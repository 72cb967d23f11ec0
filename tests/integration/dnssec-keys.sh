#!/usr/bin/env bash
# Key models of signed zones (zone.dnssec-key-model) and flamectl dnssec-keygen.
#  1. flamectl dnssec-keygen --ksk-zsk makes a KSK (257) and a ZSK (256) in
#     keys.dnssec-directory/<zone>/ of -c FILE, private keys 0600, and prints
#     the DS (digest type 2) that dnssec-dsfromkey computes for the KSK; a
#     second run on the same directory is refused; --help; a bad algorithm;
#  2. the daemon signs example.org. with those keys as they are (no key
#     made): the KSK signs only the DNSKEY RRset, the ZSK everything else,
#     and the AXFR passes dnssec-verify without -z (KSK/ZSK rules) and
#     ldns-verify-zone;
#  3. example.com. with dnssec-key-model: ksk-zsk and no keys: the daemon
#     makes a KSK and a ZSK itself, logs the DS, and the AXFR passes
#     dnssec-verify; example.net. (default model) gets one CSK;
#  4. a bad dnssec-key-model stops the start-up with file:line:column.
# Ports 15440.
source "$(dirname "$0")/lib/common.bash"
PORT=15440
CTL="$PWD/$BUILD/flamectl"
for bin in ldns-verify-zone dnssec-verify dnssec-dsfromkey kdig; do
	command -v "$bin" >/dev/null || { echo "FAIL $bin missing (scripts/deps.sh installs it)"; exit 1; }
done
mkdir -p "$T/zones"
for z in example.org example.com example.net; do
	printf '$ORIGIN %s.\n$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 900 604800 300\n@ NS ns1\n@ MX 10 mail\nns1 A 192.0.2.1\nmail A 192.0.2.25\nwww A 192.0.2.80\nsub NS ns.sub\nns.sub A 192.0.2.53\n' "$z" >"$T/zones/$z.zone"
done
cat >"$T/p.yaml" <<Y
server: { listen: [ "127.0.0.1@$PORT" ], workers: 1 }
log: { level: info }
zones: { directory: $T/zones }
keys: { dnssec-directory: $T/dnssec }
transfer: { allow: [ "127.0.0.1" ] }
zone:
  - { domain: example.org, dnssec-signing: true }
  - { domain: example.com, dnssec-signing: true, dnssec-key-model: ksk-zsk }
  - { domain: example.net, dnssec-signing: true }
Y

# 1. flamectl
out=$("$CTL" -c "$T/p.yaml" dnssec-keygen example.org --ksk-zsk 2>&1)
echo "$out" | sed 's/^/     /'
check "dnssec-keygen: exit 0" 0 "$?"
check_match "dnssec-keygen: a KSK file" "$T/dnssec/example.org/Kexample.org.\+013\+[0-9]{5}.private: KSK, ECDSAP256SHA256, tag [0-9]+" "$(echo "$out" | grep KSK)"
check_match "dnssec-keygen: a ZSK file" "$T/dnssec/example.org/Kexample.org.\+013\+[0-9]{5}.private: ZSK, ECDSAP256SHA256, tag [0-9]+" "$(echo "$out" | grep ZSK)"
ksk=$(echo "$out" | sed -n 's/.*: KSK, .*, tag \([0-9]*\)$/\1/p')
zsk=$(echo "$out" | sed -n 's/.*: ZSK, .*, tag \([0-9]*\)$/\1/p')
check "dnssec-keygen: four files" 4 "$(ls "$T/dnssec/example.org" | wc -l)"
check "dnssec-keygen: private keys 0600" "600 600" "$(stat -c %a "$T/dnssec/example.org"/*.private | tr '\n' ' ' | sed 's/ $//')"
check "dnssec-keygen: the KSK has flags 257, the ZSK 256" "256 257" \
	"$(awk '$3 == "DNSKEY" { print $4 }' "$T/dnssec/example.org"/*.key | sort | tr '\n' ' ' | sed 's/ $//')"
kskfile=$(ls "$T/dnssec/example.org"/Kexample.org.+013+*"$ksk".key 2>/dev/null | head -n1)
check "dnssec-keygen: the DS is dnssec-dsfromkey's" "$(dnssec-dsfromkey -2 "$kskfile" 2>&1 | awk '$3 == "DS" { print $1, $4, $5, $6, $7 }')" \
	"$(echo "$out" | awk '$4 == "DS" { print $1, $5, $6, $7, $8 }')"
again=$("$CTL" -c "$T/p.yaml" dnssec-keygen example.org 2>&1)
check "dnssec-keygen: refused when the directory holds keys (exit 1)" 1 "$?"
check_match "dnssec-keygen: ... says why" "already holds 2 keys of example.org" "$again"
check "dnssec-keygen: still four files" 4 "$(ls "$T/dnssec/example.org" | wc -l)"
check_match "dnssec-keygen: a bad algorithm" "unknown algorithm 'RSAMD5'" "$("$CTL" dnssec-keygen x.test --algorithm RSAMD5 --directory "$T/x" 2>&1)"
check_match "dnssec-keygen --help" "^usage: flamectl \[OPTIONS\] dnssec-keygen ZONE \[--ksk-zsk\] \[--algorithm ALG\] \[--directory DIR\]$" "$("$CTL" dnssec-keygen --help | head -n1)"

# 2. the daemon uses them
start_daemon -c "$T/p.yaml"
wait_ready 127.0.0.1 $PORT || finish
check_match "daemon: example.org.'s two keys loaded" "zone example.org: 2 DNSSEC keys from" "$(grep -m1 'zone example.org: ' "$DLOG" | grep 'DNSSEC keys')"
check "daemon: no key made for example.org." 0 "$(grep -c 'zone example.org: new DNSSEC key' "$DLOG")"
axfr() { kdig @127.0.0.1 -p "$PORT" +time=5 +retry=0 "$1" AXFR 2>/dev/null | grep -v '^;' | grep .; }
axfr example.org >"$T/org.zone"
check "example.org.: DNSKEY signed by the KSK only" "$ksk" "$(awk '$4 == "RRSIG" && $5 == "DNSKEY" { print $11 }' "$T/org.zone" | sort -u | tr '\n' ' ' | sed 's/ $//')"
check "example.org.: everything else by the ZSK only" "$zsk" "$(awk '$4 == "RRSIG" && $5 != "DNSKEY" { print $11 }' "$T/org.zone" | sort -u | tr '\n' ' ' | sed 's/ $//')"
check "example.org.: dnssec-verify (KSK/ZSK, without -z)" 0 "$(dnssec-verify -o example.org "$T/org.zone" >"$T/v.out" 2>&1; echo $?)"
check "example.org.: ldns-verify-zone" 0 "$(ldns-verify-zone "$T/org.zone" >/dev/null 2>&1; echo $?)"

# 3. keys made by the daemon
check_match "example.com.: a KSK made" "zone example.com: new DNSSEC key \(KSK, ECDSAP256SHA256, tag [0-9]+\)" "$(grep 'example.com: new DNSSEC key (KSK' "$DLOG")"
check_match "example.com.: a ZSK made" "zone example.com: new DNSSEC key \(ZSK, ECDSAP256SHA256, tag [0-9]+\)" "$(grep 'example.com: new DNSSEC key (ZSK' "$DLOG")"
check_match "example.com.: the DS logged" "zone example.com: DS for the parent zone: example.com. 3600 IN DS [0-9]+ 13 2 [0-9A-F]{64}" "$(grep 'example.com: DS for' "$DLOG")"
axfr example.com >"$T/com.zone"
check "example.com.: two DNSKEYs (257, 256)" "256 257" "$(awk '$4 == "DNSKEY" { print $5 }' "$T/com.zone" | sort | tr '\n' ' ' | sed 's/ $//')"
check "example.com.: dnssec-verify (without -z)" 0 "$(dnssec-verify -o example.com "$T/com.zone" >"$T/v.out" 2>&1; echo $?)"
check "example.net.: one CSK (the default)" "257" "$(axfr example.net | awk '$4 == "DNSKEY" { print $5 }' | tr '\n' ' ' | sed 's/ $//')"
check_match "example.net.: logged as a CSK" "new DNSSEC key \(CSK, ECDSAP256SHA256" "$(grep 'example.net: new DNSSEC key' "$DLOG")"
stop_daemon

# 4. a bad key model
sed -i 's/dnssec-key-model: ksk-zsk/dnssec-key-model: zsk-only/' "$T/p.yaml"
check_match "bad dnssec-key-model: start-up refused with file:line:column" \
	"p.yaml:8:[0-9]+: zone.dnssec-key-model: unknown value 'zsk-only', expected one of: csk\|ksk-zsk" \
	"$("$DAEMON" -c "$T/p.yaml" 2>&1 | head -n3)"
finish
