#!/usr/bin/env bash
# Config file handling of the real daemon. Checks: config errors are one
# line "file:line:column: what" and exit 1; bad command-line values exit 1;
# a full config file starts (pidfile written with our PID, CHAOS identity and
# version answered, privileges dropped to 'nobody'); command-line options
# override the file; --check validates and exits 0, or 1 with file:line for
# a broken zone; a port already in use (by anyone, including a second
# flame-dnsd despite SO_REUSEPORT) is one clear error line and exit 1.
source "$(dirname "$0")/lib/common.bash"
A=127.0.0.1

mkdir -p "$T/zones"
cat >"$T/zones/example.com.zone" <<'Z'
$TTL 300
@ IN SOA ns1.example.com. hostmaster.example.com. 1 3600 900 604800 300
@ IN NS ns1
ns1 IN A 192.0.2.53
www IN A 192.0.2.1
Z

# expect_conf_error NAME YAML EXPECTED-MESSAGE (without the "file:" prefix)
expect_conf_error() {
	printf '%s' "$2" >"$T/bad.yaml"
	out=$("$DAEMON" -c "$T/bad.yaml" 2>&1)
	rc=$?
	check "$1: exit code" 1 "$rc"
	check "$1: message" "error: $T/bad.yaml:$3" "$(sed 's/^[^ ]* //' <<<"$out")"
}
expect_conf_error "unknown key" $'server:\n  listen: 127.0.0.1@15320\n  wrokers: 2\n' \
	"3:3: unknown key 'wrokers' in section 'server'"
expect_conf_error "bad port" $'server:\n  listen: [ 127.0.0.1@15320, "::1@70000" ]\n' \
	"2:30: server.listen: bad listen address '::1@70000' (expected ADDR@PORT, port 1..65535)"
expect_conf_error "out of range" $'zones:\n  directory: /tmp\nserver:\n  udp-max-payload: 100\n' \
	"4:20: server.udp-max-payload: 100 is out of range 512..4096"
expect_conf_error "YAML syntax" $'server:\n  listen: [127.0.0.1@15320\nlog:\n  level: info\n' \
	"3:4: did not find expected ',' or ']' while parsing a flow sequence"
expect_conf_error "unknown section" $'remotes:\n  - id: ns2\n' "1:1: unknown section 'remotes'"
expect_conf_error "bad log level" $'log:\n  level: verbose\n' \
	"2:10: log.level: unknown value 'verbose', expected one of: error|warning|notice|info|debug"

out=$("$DAEMON" -c "$T/missing.yaml" 2>&1)
check "missing config file: exit code" 1 "$?"
check "missing config file: message" "error: $T/missing.yaml: No such file or directory" "$(sed 's/^[^ ]* //' <<<"$out")"
out=$("$DAEMON" --zone-dir "$T/zones" --listen $A@15320 --workers 0 2>&1)
check "--workers 0: exit code" 1 "$?"
check "--workers 0: message" "error: server.workers: 0 is out of range 1..64" "$(sed 's/^[^ ]* //' <<<"$out")"
out=$("$DAEMON" --zone-dir "$T/zones" --listen 127.0.0.1@99999 2>&1)
check "--listen bad port: exit code" 1 "$?"
out=$("$DAEMON" --listen $A@15320 2>&1)
check "no zone directory: exit code" 1 "$?"
check_match "no zone directory: message" "no zone directory" "$out"
"$DAEMON" --help >/dev/null 2>&1
check "--help exit code" 0 "$?"
check_match "--version" "^flame-dnsd [0-9]+\.[0-9]+" "$("$DAEMON" --version)"

# --check: good zones exit 0; a broken zone exits 1 and names file:line.
out=$("$DAEMON" --check --zone-dir "$T/zones" --listen $A@15320 2>&1)
check "--check good: exit code" 0 "$?"
check_match "--check good: summary" "1 zones loaded, 0 failed" "$out"
mkdir -p "$T/broken"
printf '$TTL 300\n@ IN SOA ns1 h 1 1 1 1 1\n@ IN NS ns1\nns1 IN A 1.2.3\n' >"$T/broken/bad.test.zone"
out=$("$DAEMON" --check --zone-dir "$T/broken" --listen $A@15320 2>&1)
check "--check broken zone: exit code" 1 "$?"
check_match "--check broken zone: file:line" "bad\.test\.zone:4: " "$out"

# A full config file, with the command line overriding the listen address.
cat >"$T/good.yaml" <<Y
server:
  listen: [ "$A@15322" ]
  workers: 1
  user: nobody
  pidfile: $T/flame.pid
  identity: ns1.test
  version: flame-test
  tcp-idle-timeout: 2000
log:
  level: info
zones:
  directory: $T/zones
Y
start_daemon -c "$T/good.yaml" --listen "$A@15323"
wait_ready "$A" 15323 || finish
check "answer on the --listen address" "192.0.2.1" "$(q $A 15323 www.example.com A +short)"
check "nothing on the config-file address" "" "$(q $A 15322 www.example.com A +short | grep -E '^[0-9]')"
check "pidfile holds the daemon PID" "$DPID" "$(cat "$T/flame.pid" 2>&1)"
check "CHAOS id.server" '"ns1.test"' "$(q $A 15323 CH TXT id.server +short)"
check "CHAOS version.bind" '"flame-test"' "$(q $A 15323 CH TXT version.bind +short)"
check "privileges dropped (real, effective, saved uid)" "65534 65534 65534" \
	"$(awk '/^Uid:/ {print $2, $3, $4}' /proc/$DPID/status)"
check "groups dropped" "65534" "$(awk '/^Groups:/ {print $2}' /proc/$DPID/status)"
stop_daemon

# Unknown user: refused before anything is opened.
sed -i 's/user: nobody/user: no-such-user-flame/' "$T/good.yaml"
out=$("$DAEMON" -c "$T/good.yaml" 2>&1)
check "unknown user: exit code" 1 "$?"
check_match "unknown user: message" "user 'no-such-user-flame'" "$out"

# A port taken by a socket without SO_REUSEPORT: one error line, exit 1.
python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 15324)); time.sleep(30)' &
HOLDER=$!
sleep 0.3
out=$("$DAEMON" --zone-dir "$T/zones" --listen $A@15324 2>&1)
rc=$?
kill "$HOLDER"
wait "$HOLDER" 2>/dev/null
check "port in use: exit code" 1 "$rc"
check "port in use: one error line" \
	"1 error: cannot open UDP socket on 127.0.0.1@15324 (bind): Address already in use (another server running?)" \
	"$(grep -c . <<<"$(grep -v 'zone example.com. loaded' <<<"$out")") $(grep 'error:' <<<"$out" | sed 's/^[^ ]* //')"

# A second daemon on the same address must not share it through SO_REUSEPORT.
start_daemon --zone-dir "$T/zones" --listen "$A@15325"
wait_ready "$A" 15325 || finish
out=$("$DAEMON" --zone-dir "$T/zones" --listen $A@15325 2>&1)
check "second daemon on the same port: exit code" 1 "$?"
check_match "second daemon on the same port: message" \
	"error: cannot open UDP socket on 127.0.0.1@15325 \(bind\): Address already in use" "$out"
stop_daemon

# The shipped example configuration and zones pass --check (run from the tree root).
out=$("$DAEMON" -c etc/flame-dnsd.yaml --check 2>&1)
check "etc/flame-dnsd.yaml --check: exit code" 0 "$?"
check_match "etc/flame-dnsd.yaml --check: zones" "config ok, [1-9][0-9]* zones loaded, 0 failed, 0 skipped" "$out"
finish
