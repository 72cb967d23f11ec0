#!/usr/bin/env bash
# NOTIFY out (RFC 1996) end to end against a fake secondary (python3, below,
# written into the temp dir): it records every NOTIFY it gets, checks its
# TSIG (hmac-sha256, standard library only) and answers at once, never,
# only the 3rd try, or with a bad MAC, as told by a mode file.
# Checks: no NOTIFY at start-up; an edit yields one signed NOTIFY (opcode 4,
# AA, SOA question, the new serial in the answer) answered on the 1st try;
# retries with growing gaps that stop after notify.retries, logged; an
# answer on the 3rd try; a response with a bad MAC is a logged failure; 20
# quick edits give one NOTIFY in flight at a time and the last one carries
# the final serial; without targets nothing is sent; a target naming an
# unknown key stops the start-up; a NOTIFY to the query port for a zone we
# are primary of gets NOTAUTH. Ports 15380-15381.
source "$(dirname "$0")/lib/common.bash"
PORT=15380
FPORT=15381
FAKE_PID=""
stop_fake() { [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null && wait "$FAKE_PID" 2>/dev/null; FAKE_PID=""; }
trap 'stop_fake; cleanup' EXIT

cat >"$T/fake.py" <<'PY'
#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A fake secondary for tests/integration/notify.sh: records every NOTIFY it
receives and answers according to the mode read from MODEFILE before each
datagram: answer (at once), silent (never), third (only the 3rd try of an
ID), badsig (a response signed with a wrong MAC). TSIG hmac-sha256 is
verified and signed here with the standard library only (RFC 8945 §4.3).
Usage: fake_secondary.py PORT MODEFILE OUTFILE [KEYNAME SECRET-B64]"""
import base64, hashlib, hmac, socket, struct, sys, time

port, modefile, outfile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
keyname = sys.argv[4].lower().rstrip('.') + '.' if len(sys.argv) > 5 else None
secret = base64.b64decode(sys.argv[5]) if len(sys.argv) > 5 else None


def wname(text):
    out = b''
    for label in text.rstrip('.').split('.'):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b'\0'


def rname(msg, pos):
    labels = []
    end = None
    while True:
        n = msg[pos]
        if n & 0xC0 == 0xC0:
            if end is None:
                end = pos + 2
            pos = ((n & 0x3F) << 8) | msg[pos + 1]
            continue
        pos += 1
        if n == 0:
            break
        labels.append(msg[pos:pos + n].decode().lower())
        pos += n
    return '.'.join(labels) + '.', (end if end is not None else pos)


def tsig_vars(alg, tsigtime, fudge, error, other):
    return (wname(keyname) + struct.pack('!HI', 255, 0) + wname(alg) + tsigtime +
            struct.pack('!HHH', fudge, error, len(other)) + other)


def parse(msg):
    mid, flags, qd, an, ns, ar = struct.unpack('!HHHHHH', msg[:12])
    pos = 12
    qname, pos = rname(msg, pos)
    qtype, = struct.unpack('!H', msg[pos:pos + 2])
    pos += 4
    qend = pos
    serial = None
    tsig = None
    for i in range(an + ns + ar):
        start = pos
        owner, pos = rname(msg, pos)
        rtype, rclass, ttl, rdlen = struct.unpack('!HHIH', msg[pos:pos + 10])
        pos += 10
        rd = pos
        pos += rdlen
        if i < an and rtype == 6:
            _, p = rname(msg, rd)
            _, p = rname(msg, p)
            serial, = struct.unpack('!I', msg[p:p + 4])
        if rtype == 250:
            alg, p = rname(msg, rd)
            tsigtime = msg[p:p + 6]
            fudge, maclen = struct.unpack('!HH', msg[p + 6:p + 10])
            mac = msg[p + 10:p + 10 + maclen]
            p += 10 + maclen
            origid, error, olen = struct.unpack('!HHH', msg[p:p + 6])
            other = msg[p + 6:p + 6 + olen]
            tsig = dict(start=start, owner=owner, alg=alg, time=tsigtime, fudge=fudge, mac=mac,
                        origid=origid, error=error, other=other)
    return dict(id=mid, flags=flags, qname=qname, qtype=qtype, qend=qend, serial=serial, tsig=tsig, ar=ar)


def verify(msg, p):
    t = p['tsig']
    if t is None:
        return 'none'
    if keyname is None or t['owner'] != keyname:
        return 'badkey'
    body = struct.pack('!H', t['origid']) + msg[2:10] + struct.pack('!H', p['ar'] - 1) + msg[12:t['start']]
    want = hmac.new(secret, body + tsig_vars(t['alg'], t['time'], t['fudge'], t['error'], t['other']),
                    hashlib.sha256).digest()
    return 'ok' if hmac.compare_digest(want, t['mac']) else 'badsig'


def answer(msg, p, bad):
    flags = 0x8000 | (4 << 11) | 0x0400
    resp = struct.pack('!HHHHHH', p['id'], flags, 1, 0, 0, 0) + msg[12:p['qend']]
    t = p['tsig']
    if t is None or keyname is None:
        return resp
    now = int(time.time()).to_bytes(6, 'big')
    alg = 'hmac-sha256.'
    digest = (struct.pack('!H', len(t['mac'])) + t['mac'] + resp +
              tsig_vars(alg, now, 300, 0, b''))
    mac = hmac.new(secret, digest, hashlib.sha256).digest()
    if bad:
        mac = bytes([mac[0] ^ 0xFF]) + mac[1:]
    rdata = wname(alg) + now + struct.pack('!HH', 300, len(mac)) + mac + struct.pack('!HHH', p['id'], 0, 0)
    rr = wname(keyname) + struct.pack('!HHIH', 250, 255, 0, len(rdata)) + rdata
    return resp[:10] + struct.pack('!H', 1) + resp[12:] + rr


sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(('127.0.0.1', port))
seen = {}
with open(outfile, 'a', buffering=1) as out:
    out.write('ready\n')
    while True:
        msg, peer = sock.recvfrom(4096)
        try:
            mode = open(modefile).read().strip()
        except OSError:
            mode = 'answer'
        try:
            p = parse(msg)
        except Exception as e:  # a malformed datagram is recorded, not fatal
            out.write('%.3f malformed %r\n' % (time.monotonic(), e))
            continue
        seen[p['id']] = seen.get(p['id'], 0) + 1
        t = p['tsig']
        out.write('%.3f id=%d try=%d zone=%s serial=%s opcode=%d aa=%d qtype=%d key=%s tsig=%s mode=%s\n' % (
            time.monotonic(), p['id'], seen[p['id']], p['qname'], p['serial'], (p['flags'] >> 11) & 15,
            (p['flags'] >> 10) & 1, p['qtype'], t['owner'] if t else '-', verify(msg, p), mode))
        if mode == 'silent' or (mode == 'third' and seen[p['id']] < 3):
            continue
        sock.sendto(answer(msg, p, mode == 'badsig'), peer)
PY

mkdir -p "$T/zones" "$T/storage"
tsig-keygen -a hmac-sha256 transfer-key >"$T/transfer.key"
SECRET=$(sed -n 's/.*secret "\(.*\)";.*/\1/p' "$T/transfer.key")
zone() { # zone WWW-ADDR: the serial comes from the increment policy
	printf '$TTL 300\n@ IN SOA ns1.example.com. hostmaster.example.com. 10 3600 900 604800 300\n@ IN NS ns1\nns1 IN A 198.51.100.53\nwww IN A %s\n' "$1" >"$T/zones/example.com.zone.tmp"
	mv "$T/zones/example.com.zone.tmp" "$T/zones/example.com.zone"
}
serial() { dig @127.0.0.1 -p $PORT +norec +short example.com SOA | awk '{print $3}'; }
wait_log() { # wait_log REGEX SECONDS: poll the daemon log (bounded)
	local i
	for i in $(seq 1 $(($2 * 10 * SLOW))); do
		grep -Eq "$1" "$DLOG" && return 0
		sleep 0.1
	done
	return 1
}
seen() { grep -c "serial=$1 " "$T/rx" || true; }
mode() { echo "$1" >"$T/mode"; }
TIMEOUT=$((150 * SLOW))
conf() { # conf [TARGETS]
	printf 'keys:\n  files: [ "%s" ]\nzones:\n  storage: "%s"\n  serial-policy: increment\ntransfer:\n  allow: [ "127.0.0.1" ]\n' "$T/transfer.key" "$T/storage" >"$T/conf.yaml"
	[ -n "${1:-}" ] && printf 'notify:\n  targets: [ %s ]\n  retries: 4\n  timeout-ms: %d\n' "$1" "$TIMEOUT" >>"$T/conf.yaml"
	return 0
}

: >"$T/rx"
mode answer
python3 "$T/fake.py" $FPORT "$T/mode" "$T/rx" transfer-key "$SECRET" &
FAKE_PID=$!
for _ in $(seq 1 50); do grep -q ready "$T/rx" && break; sleep 0.1; done
check "fake secondary up" ready "$(head -n1 "$T/rx")"

# --- a target with an unknown key stops the start-up ---
conf '"127.0.0.1@15381 key no-such-key"'
zone 198.51.100.1
out=$("$DAEMON" -c "$T/conf.yaml" --zone-dir "$T/zones" --listen "127.0.0.1@$PORT" --check 2>&1)
check "unknown notify key: exit status" 1 "$?"
check_match "unknown notify key: clear error" "notify.targets 127\.0\.0\.1@15381: key 'no-such-key' is not defined by any key file" "$out"

# --- answered at once, signed ---
conf "\"127.0.0.1@$FPORT key transfer-key\""
start_daemon -c "$T/conf.yaml" --zone-dir "$T/zones" --listen "127.0.0.1@$PORT" --workers 1
wait_ready 127.0.0.1 "$PORT" || finish
sleep 0.3
check "no NOTIFY at start-up" 0 "$(grep -c 'id=' "$T/rx")"
out=$(q 127.0.0.1 $PORT +opcode=notify example.com SOA)
# We are primary for example.com: a NOTIFY for it is not ours to act on (RFC 1996 §3.10).
check "a NOTIFY for a zone we are primary of: NOTAUTH" NOTAUTH "$(rcode_of "$out")"
zone 198.51.100.2
wait_log 'notify example\.com\. serial 11 to 127\.0\.0\.1@15381 key transfer-key: answered' 5
line=$(grep 'serial=11 ' "$T/rx" | head -n1)
check_match "the NOTIFY: opcode 4, AA, SOA question, signed with transfer-key, MAC verifies" \
	"zone=example\.com\. serial=11 opcode=4 aa=1 qtype=6 key=transfer-key\. tsig=ok" "$line"
check "one datagram for serial 11" 1 "$(seen 11)"
check_match "outcome logged" "notify example\.com\. serial 11 to 127\.0\.0\.1@15381 key transfer-key: answered \(NOERROR\) after 1 try, [0-9.]+ ms" \
	"$(grep 'serial 11 to' "$DLOG")"

# --- no answer: 4 tries with doubling gaps, then it gives up ---
mode silent
zone 198.51.100.3
wait_log 'serial 12 to .*: no answer after 4 tries' $((4 + 3 * SLOW))
check_match "no answer: logged after 4 tries" "serial 12 to 127\.0\.0\.1@15381 key transfer-key: no answer after 4 tries" "$(grep 'serial 12 to' "$DLOG")"
check "no answer: exactly 4 datagrams" 4 "$(seen 12)"
gaps=$(grep 'serial=12 ' "$T/rx" | awk '{ if (p) printf "%d ", ($1 - p) * 1000; p = $1 }')
echo "     gaps between tries (ms): $gaps (timeout-ms $TIMEOUT)"
check "no answer: each gap about twice the previous one" ok "$(awk -v t=$TIMEOUT '{ ok = ($1 >= 0.8 * t); for (i = 2; i <= NF; i++) if ($i < 1.6 * $(i - 1)) ok = 0; print ok ? "ok" : "bad" }' <<<"$gaps")"

# --- answered on the third try ---
mode third
zone 198.51.100.4
wait_log 'serial 13 to .*: answered' $((4 + 3 * SLOW))
check_match "third try: answered and logged" "serial 13 to 127\.0\.0\.1@15381 key transfer-key: answered \(NOERROR\) after 3 tries" "$(grep 'serial 13 to' "$DLOG")"
check "third try: 3 datagrams" 3 "$(seen 13)"

# --- a response whose MAC does not verify is a failure ---
mode badsig
zone 198.51.100.5
wait_log 'serial 14 to .*: refused' 5
check_match "bad response MAC: logged as a failure" "serial 14 to 127\.0\.0\.1@15381 key transfer-key: refused \(NOERROR, TSIG BADSIG\)" "$(grep 'serial 14 to' "$DLOG")"

# --- 20 quick edits: one NOTIFY in flight at a time, the last has the final serial ---
mode third
before=$(grep -c 'id=' "$T/rx")
for i in $(seq 1 20); do
	zone "198.51.101.$i"
	sleep 0.05
done
final=""
for _ in $(seq 1 $((40 * SLOW))); do
	final=$(serial)
	[ "$final" -gt 14 ] 2>/dev/null && grep -q "serial $final to .*answered" "$DLOG" && break
	sleep 0.25
done
burst=$(tail -n +$((before + 2)) "$T/rx" | grep 'id=')
ids=$(awk '{print $2}' <<<"$burst" | sort -u | wc -l)
echo "     20 edits: final serial $final, $ids NOTIFY exchanges, $(wc -l <<<"$burst") datagrams"
check "20 edits: the final serial is served" "$(grep 'reload (watch)' "$DLOG" | tail -n1 | sed -n 's/.*-> \([0-9]*\);.*/\1/p')" "$final"
check "20 edits: far fewer NOTIFY exchanges than edits" yes "$([ "$ids" -le 8 ] && echo yes || echo "no ($ids)")"
check "20 edits: the last NOTIFY carries the final serial" "serial=$final" "$(tail -n1 <<<"$burst" | awk '{print $5}')"
check "20 edits: the final serial was answered" 1 "$(grep -c "serial $final to .*answered" "$DLOG")"
# One in flight at a time: a new ID only starts after the previous exchange ended (3 tries seen).
check "20 edits: never two exchanges in flight" ok "$(awk '{ split($2, a, "="); split($3, b, "="); if (cur != "" && a[2] != cur && last < 3) bad = 1; if (a[2] != cur) { cur = a[2] }; last = b[2] } END { print bad ? "bad" : "ok" }' <<<"$burst")"
check "20 edits: outcomes logged, one per exchange" "$ids" "$(grep -c 'notify example\.com\. serial \(1[5-9]\|[2-9][0-9]\) to .*answered' "$DLOG")"
stop_daemon

# --- no targets: no NOTIFY ---
conf
before=$(grep -c 'id=' "$T/rx")
start_daemon -c "$T/conf.yaml" --zone-dir "$T/zones" --listen "127.0.0.1@$PORT" --workers 1
wait_ready 127.0.0.1 "$PORT" || finish
zone 198.51.100.99
for _ in $(seq 1 $((40 * SLOW))); do [ "$(serial)" -gt "$final" ] 2>/dev/null && break; sleep 0.05; done
sleep 0.5
check "no targets: the edit is served" $((final + 1)) "$(serial)"
check "no targets: no NOTIFY sent" "$before" "$(grep -c 'id=' "$T/rx")"
check "no targets: nothing logged about notify" 0 "$(grep -c '^.*notify ' "$DLOG")"
stop_daemon
finish
