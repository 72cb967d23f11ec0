# shellcheck shell=bash
# Helpers shared by the conformance scripts (flame-dnsd beside knotd, named
# and nsd). Sourced after TMP is set; every
# file they write lives under $TMP.

# stop_pid PID: CONT (it may be stopped), TERM, bounded wait, then KILL.
stop_pid() {
	local p=$1
	[ -n "$p" ] || return 0
	kill -CONT "$p" 2>/dev/null
	kill "$p" 2>/dev/null || return 0
	for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
}

# axfr_canon PORT ZONE [kdig args]: the zone by AXFR, TSIG stripped,
# canonicalized by ldns-read-zone -c, sorted, each RR once.
axfr_canon() {
	local p=$1 z=$2
	shift 2
	kdig @127.0.0.1 -p "$p" +time=5 +retry=0 "$@" "$z" AXFR 2>&1 | grep -v '^;' | grep -v '^$' |
		awk '$4 != "TSIG"' >"$TMP/axfr.$p.$z.raw"
	ldns-read-zone -c "$TMP/axfr.$p.$z.raw" 2>&1 | sort -u
}

# knot_server_conf DIR PORT LEVEL: the server:, database: and log: sections
# of a knot.conf for one knotd on 127.0.0.1@PORT, one worker of each kind,
# its rundir and database under DIR, logging at LEVEL to stderr. The caller
# appends key:, remote:, acl:, template: and zone: sections.
knot_server_conf() {
	cat <<KNOT
server:
    rundir: "$1/run"
    listen: 127.0.0.1@$2
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "$1/db"
log:
  - target: stderr
    any: $3
KNOT
}

# nsd_server_conf PORT [CONTROL-SOCKET]: the server: and remote-control:
# sections of an nsd.conf whose files all live in $TMP/nsd (zonesdir; the
# other paths are relative to it). username "" keeps nsd from dropping
# root; verbosity 2 logs NOTIFYs and transfers taken, and refusals. With a
# control socket, nsd-control talks to it over that unix socket (no keys).
nsd_server_conf() {
	cat <<NSD
server:
    ip-address: 127.0.0.1
    port: $1
    do-ip6: no
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "$TMP/nsd"
    database: ""
    zonelistfile: "zone.list"
    pidfile: "nsd.pid"
    xfrdfile: "xfrd.state"
    xfrdir: "$TMP/nsd"
    logfile: "$TMP/nsd.log"
    verbosity: 2
NSD
	if [ -n "${2:-}" ]; then
		printf 'remote-control:\n    control-enable: yes\n    control-interface: "%s"\n' "$2"
	else
		printf 'remote-control:\n    control-enable: no\n'
	fi
}

# named_options_base PORT: the lines every named.conf here starts its
# options block with: files under $TMP/named, loopback on PORT only, no
# recursion and no validation (nothing ever leaves the machine).
named_options_base() {
	cat <<NAMED
	directory "$TMP/named";
	pid-file "$TMP/named/named.pid";
	session-keyfile "$TMP/named/session.key";
	managed-keys-directory "$TMP/named";
	listen-on port $1 { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
NAMED
}

# named_logging_info: named's log, info level, into $TMP/named.log. Run
# named with -f, not -g: -g would ignore this.
named_logging_info() {
	cat <<NAMED
logging {
	channel to_file {
		file "$TMP/named.log";
		severity info;
		print-time yes;
		print-severity yes;
		print-category yes;
	};
	category default { to_file; };
};
NAMED
}
