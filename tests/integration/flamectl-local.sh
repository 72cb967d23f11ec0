#!/usr/bin/env bash
# flamectl's local commands (no daemon needed) and its error conventions.
# Checks:
#  - key generate: tsig-keygen's exact layout for the default and every
#    algorithm (secret length = hash length), hmac-md5 and a bad name refused
#    with one line and exit 1; the output is accepted by named-checkconf and
#    by `flamectl check-config` of a config whose keys.files lists it;
#  - a daemon using a generated key in keys.files and
#    `transfer: allow: "127.0.0.1 key NAME"` answers `dig -k KEYFILE AXFR`
#    and refuses the transfer signed with another generated key;
#  - check-config: a good config, and a YAML syntax error, a key file with a
#    bad secret, a config naming an unknown key, each one `file:line: reason`
#    or `file: reason` line and exit 1;
#  - check-zone: a good zone (origin from the file name, or --origin) and a
#    bad one (`file:line: reason`, exit 1);
#  - `flamectl CMD --help` (and `help CMD`) of every command exits 0 and shows
#    its synopsis; an unknown command, an unknown option and a missing
#    argument exit 2; --json of local errors is valid JSON;
#  - `flamectl -s /nonexistent status` fails with one line and exit 1, as do
#    sockets named by FLAMECTL_SOCKET and by -c FILE;
#  - against a stand-in control socket (canned answers): one record as
#    "key: value" lines, several as an aligned table with unknown fields as
#    columns, --json, a daemon ERR (one line, exit 1, JSON with --json);
#    cluster-status querying the real daemon and a port where nothing
#    listens (table, JSON, exit 3).
# Ports: 15490-15499 on 127.0.0.1 only.
source "$(dirname "$0")/lib/common.bash"
CTL="$PWD/$BUILD/flamectl"
[ -x "$CTL" ] || { echo "FAIL: $CTL not built"; exit 1; }
A=127.0.0.1
PORT=15490

# run CMD...: sets OUT, ERR (stderr) and RC.
run() {
	OUT=$("$@" 2>"$T/stderr")
	RC=$?
	ERR=$(cat "$T/stderr")
}
# one_error NAME WANT-RC REGEX: RC, exactly one stderr line "flamectl: ..." matching REGEX.
one_error() {
	check "$1: exit code" "$2" "$RC"
	check "$1: one stderr line" 1 "$(printf '%s\n' "$ERR" | grep -c .)"
	check_match "$1: message" "^flamectl: $3" "$ERR"
}
# is_json TEXT: prints "valid" or the parse error.
is_json() {
	python3 -c 'import json,sys; json.load(sys.stdin); print("valid")' <<<"$1" 2>&1 | tail -n1
}

# ---- key generate ----
run "$CTL" key generate transfer-key
check "key generate: exit code" 0 "$RC"
check_match "key generate: tsig-keygen layout" \
	$'^key "transfer-key" \\{\n\talgorithm hmac-sha256;\n\tsecret "[A-Za-z0-9+/]{43}=";\n\\};$' "$OUT"
printf '%s\n' "$OUT" >"$T/transfer.key"
declare -A B64LEN=([hmac-sha1]=28 [hmac-sha224]=40 [hmac-sha256]=44 [hmac-sha384]=64 [hmac-sha512]=88)
for alg in hmac-sha1 hmac-sha224 hmac-sha256 hmac-sha384 hmac-sha512; do
	run "$CTL" key generate "k-$alg.example." "$alg"
	check "key generate $alg: exit code" 0 "$RC"
	secret=$(sed -n 's/^\tsecret "\(.*\)";$/\1/p' <<<"$OUT")
	check "key generate $alg: secret length" "${B64LEN[$alg]}" "${#secret}"
	check "key generate $alg: decodes to the hash length" "$(((${B64LEN[$alg]} / 4) * 3 - $(tr -cd = <<<"$secret" | wc -c)))" \
		"$(base64 -d <<<"$secret" | wc -c)"
	check_match "key generate $alg: algorithm line" $'\talgorithm '"$alg;" "$OUT"
	printf '%s\n' "$OUT" >>"$T/all.key"
done
# two runs never give the same secret
a=$("$CTL" key generate x) b=$("$CTL" key generate x)
check "key generate: fresh secret each run" "different" "$([ "$a" != "$b" ] && echo different || echo same)"
run "$CTL" key generate tk hmac-md5
one_error "key generate hmac-md5" 1 "key generate: hmac-md5 is refused"
run "$CTL" key generate tk hmac-sha3
one_error "key generate unknown algorithm" 1 "key generate: unknown algorithm 'hmac-sha3'"
run "$CTL" key generate 'bad..name'
one_error "key generate bad name (empty label)" 1 "key generate: 'bad\.\.name' is not a valid key name"
run "$CTL" key generate 'bad"name'
one_error "key generate bad name (quote)" 1 "key generate: 'bad\"name' is not a valid key name"
run "$CTL" --json key generate 'a b'
check "key generate --json error: exit code" 1 "$RC"
check "key generate --json error: valid JSON" valid "$(is_json "$OUT")"
check_match "key generate --json error: ok false" '^\{"ok":false,"error":"key generate: ' "$OUT"
run "$CTL" --json key generate json-key hmac-sha384
check "key generate --json: valid JSON" valid "$(is_json "$OUT")"
check "key generate --json: fields" "json-key hmac-sha384 64" "$(python3 -c '
import json,sys; k=json.load(sys.stdin)["key"][0]; print(k["name"], k["algorithm"], len(k["secret"]))' <<<"$OUT")"

# BIND reads them (named-checkconf needs a complete named.conf)
printf 'include "%s";\ninclude "%s";\noptions { directory "%s"; };\n' "$T/transfer.key" "$T/all.key" "$T" >"$T/named.conf"
run named-checkconf "$T/named.conf"
check "named-checkconf accepts the generated keys" "0 ''" "$RC '$OUT$ERR'"

# ---- check-config ----
mkdir -p "$T/zones"
cat >"$T/zones/example.com.zone" <<'Z'
$TTL 300
@ IN SOA ns1.example.com. hostmaster.example.com. 2026112601 3600 900 604800 300
@ IN NS ns1
ns1 IN A 192.0.2.53
www IN A 192.0.2.1
Z
cat >"$T/good.yaml" <<EOF
server:
  listen: [ "$A@$PORT" ]
  workers: 1
zones:
  directory: $T/zones
  watch: false
keys:
  files: [ "$T/transfer.key", "$T/all.key" ]
transfer:
  allow: [ "$A key transfer-key" ]
zone:
  - domain: example.com
    serial-policy: keep
EOF
run "$CTL" check-config "$T/good.yaml"
check "check-config good: exit code" 0 "$RC"
check "check-config good: summary" "$T/good.yaml: ok (1 zone entry, 6 keys)" "$OUT"
check "check-config good: quiet stderr" "" "$ERR"
run "$CTL" --json check-config "$T/good.yaml"
check "check-config --json: valid JSON" valid "$(is_json "$OUT")"
check_match "check-config --json: counts" '"zone-entries":1,"keys":6' "$OUT"

printf 'server:\n  listen: [ "%s@%s"\nkeys:\n  files: []\n' "$A" "$PORT" >"$T/bad-yaml.yaml"
run "$CTL" check-config "$T/bad-yaml.yaml"
one_error "check-config YAML syntax" 1 "$T/bad-yaml.yaml:3:[0-9]+: did not find expected ',' or ']'"

printf 'key "broken" {\n\talgorithm hmac-sha256;\n\tsecret "not base64!";\n};\n' >"$T/broken.key"
printf 'keys:\n  files: [ "%s" ]\nzones:\n  directory: %s\n' "$T/broken.key" "$T/zones" >"$T/bad-secret.yaml"
run "$CTL" check-config "$T/bad-secret.yaml"
one_error "check-config bad secret" 1 "$T/broken.key:[0-9]+: .*(base64|secret)"
check "check-config bad secret: secret not shown" 0 "$(grep -c 'not base64' <<<"$ERR")"

# A secondary zone whose primary names a key no file defines.
cat >"$T/unknown-key.yaml" <<EOF
keys:
  files: [ "$T/transfer.key" ]
zones:
  directory: $T/zones
zone:
  - domain: sec.test
    role: secondary
    primaries: [ "$A@$((PORT + 1)) key nosuch-key" ]
EOF
run "$CTL" check-config "$T/unknown-key.yaml"
one_error "check-config unknown key" 1 "$T/unknown-key.yaml: .*'nosuch-key\\.?'"

# A transfer ACL naming a key no file defines (keys_load checks every reference).
cat >"$T/unknown-acl-key.yaml" <<EOF
keys:
  files: [ "$T/transfer.key" ]
zones:
  directory: $T/zones
transfer:
  allow: [ "127.0.0.1 key transfer-key,nosuch-acl-key" ]
EOF
run "$CTL" check-config "$T/unknown-acl-key.yaml"
one_error "check-config unknown key in transfer.allow" 1 "$T/unknown-acl-key.yaml: transfer\\.allow: key 'nosuch-acl-key' is not defined by any key file"

run "$CTL" check-config "$T/missing.yaml"
one_error "check-config missing file" 1 "$T/missing.yaml: No such file or directory"

# ---- check-zone ----
run "$CTL" check-zone "$T/zones/example.com.zone"
check "check-zone good: exit code" 0 "$RC"
check "check-zone good: summary" "$T/zones/example.com.zone: ok, origin example.com., serial 2026112601, 4 records" "$OUT"
cp "$T/zones/example.com.zone" "$T/other.txt"
run "$CTL" check-zone "$T/other.txt" --origin example.com
check "check-zone --origin: summary" "$T/other.txt: ok, origin example.com., serial 2026112601, 4 records" "$OUT"
run "$CTL" check-zone --origin=other.test "$T/other.txt"
check "check-zone --origin=NAME: origin used" "$T/other.txt: ok, origin other.test., serial 2026112601, 4 records" "$OUT"
printf 'www.example.com. 300 IN A 192.0.2.9\n' >>"$T/other.txt"
run "$CTL" check-zone --origin other.test "$T/other.txt"
one_error "check-zone name outside the origin" 1 "$T/other.txt:6: .*outside the zone other.test."
run "$CTL" check-zone "$T/other.txt"
one_error "check-zone no origin from file name" 2 "check-zone: cannot take the origin"
printf '$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 900 604800 300\n@ IN NS ns1\nns1 IN A 192.0.2.53\nwww IN AAA 192.0.2.1\n' \
	>"$T/bad.test.zone"
run "$CTL" check-zone "$T/bad.test.zone"
one_error "check-zone bad" 1 "$T/bad.test.zone:5: unknown type 'AAA'"
run "$CTL" --json check-zone "$T/bad.test.zone"
check "check-zone --json error: valid JSON" valid "$(is_json "$OUT")"
run "$CTL" --json check-zone "$T/zones/example.com.zone"
check_match "check-zone --json" '^\{"ok":true,"zone":\[\{"file":".*","origin":"example.com.","serial":2026112601,"records":4\}\]\}$' "$OUT"

# ---- help and usage errors ----
while IFS= read -r line; do
	cmd=$(sed 's/^  \([a-z-]*\( [a-z]*\)\?\)\( [A-Z[].*\)\? \{2,\}.*/\1/' <<<"$line")
	syn=$(sed 's/^  \(.*[^ ]\) \{2,\}[a-z].*/\1/' <<<"$line")
	# shellcheck disable=SC2086
	run "$CTL" $cmd --help
	check "$cmd --help: exit code" 0 "$RC"
	check_match "$cmd --help: synopsis" "usage: flamectl \[OPTIONS\] ${syn//[/\\[}" "$OUT"
	# shellcheck disable=SC2086
	run "$CTL" help $cmd
	check "help $cmd: exit code" 0 "$RC"
	NCMD=$((${NCMD:-0} + 1))
done < <("$CTL" --help | sed -n '/^Commands:/,/^$/p' | grep '^  ')
check "commands listed by --help" 15 "$NCMD"
run "$CTL" --help
check "--help: exit code" 0 "$RC"
run "$CTL" --version
check "--version" "flamectl 0.1.0" "$OUT"

run "$CTL" frobnicate
one_error "unknown command" 2 "unknown command 'frobnicate'"
run "$CTL" --frob status
one_error "unknown option" 2 "unknown option '--frob'"
run "$CTL" zone-status
one_error "missing argument" 2 "zone-status: missing argument ZONE"
run "$CTL" key generate
one_error "key generate: missing argument" 2 "key generate: missing argument NAME"
run "$CTL" check-config
one_error "check-config: missing argument" 2 "check-config: missing argument FILE"
run "$CTL" status extra
one_error "too many arguments" 2 "status: too many arguments"
run "$CTL" key
one_error "key without subcommand" 2 "key: missing subcommand"
run "$CTL" -t 0 status
one_error "bad timeout" 2 "--timeout: '0'"
run "$CTL" --json frobnicate
check "--json usage error: exit code" 2 "$RC"
check "--json usage error: valid JSON" valid "$(is_json "$OUT")"

# ---- connection errors ----
run "$CTL" -s /nonexistent status
one_error "no socket" 1 "cannot connect to /nonexistent: No such file or directory"
run env FLAMECTL_SOCKET=/nonexistent/env.sock "$CTL" zones
one_error "socket from FLAMECTL_SOCKET" 1 "cannot connect to /nonexistent/env.sock"
printf 'control:\n  socket: %s\n' "$T/ctl.sock" >"$T/ctl.yaml"
run env -u FLAMECTL_SOCKET "$CTL" -c "$T/ctl.yaml" status
one_error "socket from -c FILE" 1 "cannot connect to $T/ctl.sock"
run env -u FLAMECTL_SOCKET "$CTL" -c "$T/good.yaml" status
one_error "-c FILE without control.socket" 1 "$T/good.yaml: control.socket is not set"
run "$CTL" -s /nonexistent zone-status 'bad..zone'
one_error "zone argument checked before connecting" 1 "zone-status: 'bad..zone' is not a domain name"
run "$CTL" --json -s /nonexistent status
check "--json connection error: valid JSON" valid "$(is_json "$OUT")"

# ---- a daemon using a generated key ----
"$CTL" key generate other-key >"$T/other.key"
"$CTL" key generate transfer-key >"$T/impostor.key"  # same name, another secret
start_daemon -c "$T/good.yaml"
if wait_ready $A $PORT; then
	out=$(q $A $PORT -k "$T/transfer.key" example.com AXFR)
	check "AXFR with the generated key: records" 5 "$(grep -c $'\tIN\t' <<<"$out")"
	check_match "AXFR with the generated key: TSIG verified" "NOERROR" "$(grep -E $'\tANY\tTSIG\t' <<<"$out")"
	out=$(q $A $PORT -k "$T/other.key" example.com AXFR)
	check_match "AXFR with another generated key: refused" "Transfer failed|NOTAUTH|REFUSED|BADKEY" "$out"
	check "AXFR with another generated key: no records" 0 "$(grep -c $'\tIN\tA\t' <<<"$out")"
	out=$(q $A $PORT -k "$T/impostor.key" example.com AXFR)
	check "AXFR with a same-name key of another secret: no records" 0 "$(grep -c $'\tIN\tA\t' <<<"$out")"

	# Daemon commands against a stand-in control socket (canned answers:
	# the daemon side is not part of this test), and cluster-status against
	# the real daemon above plus a node where nothing listens.
	cat >"$T/fakectl.py" <<'PY'
import os, socket, sys
path, port = sys.argv[1], sys.argv[2]
answers = {
    "status": "server\tversion=0.1.0\tzones=2\tstarted=2026-11-26T05:00:00Z\n",
    "zones": "zone\tname=example.com.\tserial=2026112601\nzone\tname=b.test.\tserial=7\tnew=x\\ty\n",
    "cluster-nodes": "node\tname=ns1\taddress=127.0.0.1@" + port + "\tself=true\n"
                     "node\tname=ns2\taddress=127.0.0.1@" + str(int(port) + 1) + "\tself=false\n"
                     "zone\tname=example.com.\nzone\tname=nosuch.test.\n",
}
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path); s.listen(8)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    req = b""
    while not req.endswith(b"\n"):
        d = c.recv(4096)
        if not d: break
        req += d
    words = req.decode().split()
    cmd = words[2] if len(words) > 2 else ""
    if words[:2] != ["FLAMECTL", "1"]:
        out = "FLAMECTL 1 ERR unsupported protocol version\n.\n"
    elif cmd == "zone-status" and words[3:] == ["nosuch.test."]:
        out = "FLAMECTL 1 ERR zone nosuch.test. is not served\n.\n"
    elif cmd in answers:
        out = "FLAMECTL 1 OK\n" + answers[cmd] + ".\n"
    else:
        out = "FLAMECTL 1 OK\n.\n"
    c.sendall(out.encode()); c.close()
PY
	python3 "$T/fakectl.py" "$T/fake.sock" "$PORT" >"$T/fake.log" 2>&1 &
	FPID=$!
	for _ in $(seq 1 50); do [ -S "$T/fake.sock" ] && break; sleep 0.1; done
	run "$CTL" -s "$T/fake.sock" status
	check "status: key: value lines" $'version: 0.1.0\nzones: 2\nstarted: 2026-11-26T05:00:00Z' "$OUT"
	run "$CTL" -s "$T/fake.sock" zones
	check "zones: a table, new fields as columns" \
		$'name          serial      new\nexample.com.  2026112601  -\nb.test.       7           x\\ty' "$OUT"
	run "$CTL" -s "$T/fake.sock" --json zones
	check "zones --json" '{"ok":true,"zone":[{"name":"example.com.","serial":2026112601},{"name":"b.test.","serial":7,"new":"x\ty"}]}' "$OUT"
	run "$CTL" -s "$T/fake.sock" reload
	check "reload: ok" "0 ok" "$RC $OUT"
	run "$CTL" -s "$T/fake.sock" zone-status nosuch.test.
	one_error "daemon ERR" 1 "zone nosuch.test. is not served$"
	run "$CTL" -s "$T/fake.sock" --json zone-status nosuch.test.
	check "daemon ERR --json" '1 {"ok":false,"error":"zone nosuch.test. is not served"}' "$RC $OUT"
	run "$CTL" -s "$T/fake.sock" cluster-status
	check "cluster-status: exit 3 (not converged)" 3 "$RC"
	check "cluster-status: table" \
		$'name          ns1         ns2  converged\nexample.com.  2026112601  -    no\nnosuch.test.  REFUSED     -    no' "$OUT"
	run "$CTL" -s "$T/fake.sock" --json cluster-status
	check "cluster-status --json" '{"ok":true,"node":[{"name":"ns1","address":"127.0.0.1@'$PORT'","self":true},{"name":"ns2","address":"127.0.0.1@'$((PORT + 1))'","self":false}],"zone":[{"name":"example.com.","ns1":2026112601,"ns2":null,"converged":false},{"name":"nosuch.test.","ns1":"REFUSED","ns2":null,"converged":false}]}' "$OUT"
	kill "$FPID"
	wait "$FPID" 2>/dev/null
	stop_daemon
fi

finish
