/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Unit tests for src/conf/conf.c: a full config, the defaults from the
 * schema table, every kind of error with its exact file:line:column,
 * command-line style overrides (conf_set) and listen address parsing; the
 * secondary role: zones.role, the secondary: section (every option, its
 * default and both range bounds), per-zone role/primaries/notify-allow/
 * source and conf_zone_role().
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "dns/dname.h"
#include "util/err.h"
#include "util/log.h"

static const char good_yaml[] =
	"# a complete single-node config\n"
	"server:\n"
	"  listen: [ \"127.0.0.1@5300\", \"::1@5300\" ]\n"
	"  workers: 3\n"
	"  user: nobody\n"
	"  pidfile: /run/flame-dnsd.pid\n"
	"  identity: ns1.example\n"
	"  version: \"flame 0.1\"\n"
	"  udp-max-payload: 1400\n"
	"  tcp-idle-timeout: 5000\n"
	"  tcp-max-clients: 50\n"
	"  udp-engine: io-uring\n"
	"log:\n"
	"  level: debug\n"
	"  syslog: yes\n"
	"zones:\n"
	"  directory: /var/lib/flame/zones\n";

static void
test_good(void **state)
{
	conf_t c;
	char err[256];
	int ret = conf_load_mem(good_yaml, strlen(good_yaml), "t.yaml", &c, err, sizeof(err));
	assert_int_equal(ret, 0);
	assert_int_equal(c.server.listen.count, 2);
	assert_string_equal(c.server.listen.addr[0].text, "127.0.0.1@5300");
	assert_int_equal(c.server.listen.addr[0].addr.ss_family, AF_INET);
	assert_string_equal(c.server.listen.addr[1].text, "::1@5300");
	assert_int_equal(c.server.listen.addr[1].addr.ss_family, AF_INET6);
	assert_int_equal(c.server.workers, 3);
	assert_string_equal(c.server.user, "nobody");
	assert_string_equal(c.server.pidfile, "/run/flame-dnsd.pid");
	assert_string_equal(c.server.identity, "ns1.example");
	assert_string_equal(c.server.version, "flame 0.1");
	assert_int_equal(c.server.udp_max_payload, 1400);
	assert_int_equal(c.server.tcp_idle_timeout, 5000);
	assert_int_equal(c.server.tcp_max_clients, 50);
	assert_int_equal(c.server.udp_engine, CONF_UDP_URING);
	assert_int_equal(c.log.level, LOG_LVL_DEBUG);
	assert_true(c.log.syslog);
	assert_string_equal(c.zones.directory, "/var/lib/flame/zones");
	conf_free(&c);
	/* conf_free leaves an empty config that can be freed again. */
	conf_free(&c);
}

static void
test_good_file(void **state)
{
	char path[] = "/tmp/test_conf_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, good_yaml, strlen(good_yaml)), (ssize_t)strlen(good_yaml));
	close(fd);

	conf_t c;
	char err[256];
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.server.workers, 3);
	conf_free(&c);
	unlink(path);

	assert_true(conf_load("/nonexistent/flame.yaml", &c, err, sizeof(err)) < 0);
	assert_string_equal(err, "/nonexistent/flame.yaml: No such file or directory");
}

static void
test_defaults(void **state)
{
	conf_t c;
	char err[256];
	assert_int_equal(conf_defaults(&c), 0);
	assert_int_equal(c.server.listen.count, 0);
	assert_null(c.server.listen.addr);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	assert_true(c.server.workers >= 1 && c.server.workers <= 64);
	assert_true(c.server.workers <= ncpu);
	assert_null(c.server.user);
	assert_null(c.server.pidfile);
	assert_null(c.server.identity);
	assert_null(c.server.version);
	assert_int_equal(c.server.udp_max_payload, 1232);
	assert_int_equal(c.server.tcp_idle_timeout, 10000);
	assert_int_equal(c.server.tcp_max_clients, 1000);
	assert_int_equal(c.server.udp_engine, CONF_UDP_RECVMMSG);
	assert_int_equal(c.log.level, LOG_LVL_NOTICE);
	assert_false(c.log.syslog);
	assert_null(c.zones.directory);
	conf_free(&c);

	/* An empty file and a file with only one section keep the defaults. */
	assert_int_equal(conf_load_mem("", 0, "e.yaml", &c, err, sizeof(err)), 0);
	assert_int_equal(c.server.udp_max_payload, 1232);
	conf_free(&c);
	const char *partial = "log:\n  level: error\n";
	assert_int_equal(conf_load_mem(partial, strlen(partial), "p.yaml", &c, err, sizeof(err)), 0);
	assert_int_equal(c.log.level, LOG_LVL_ERROR);
	assert_int_equal(c.server.tcp_idle_timeout, 10000);
	conf_free(&c);
}

/** A config text and the exact error it must produce. */
typedef struct {
	const char *yaml;
	const char *err;
} bad_case_t;

static const bad_case_t bad_cases[] = {
	/* YAML syntax */
	{ "server:\n  workers: [1\n", "b.yaml:3:1: did not find expected ',' or ']' while parsing a flow sequence" },
	{ "server:\n\tworkers: 1\n", "b.yaml:2:1: found character that cannot start any token while scanning for the next token" },
	/* shape */
	{ "- server\n", "b.yaml:1:1: the top level must be a mapping of sections" },
	{ "server:\n  workers: 2\nremotes:\n  a: 1\n", "b.yaml:3:1: unknown section 'remotes'" },
	{ "log:\n  level: info\nlog:\n  level: debug\n", "b.yaml:3:1: duplicate section 'log'" },
	{ "server: 5\n", "b.yaml:1:9: section 'server' must be a mapping of key: value" },
	{ "server:\n  wrkers: 2\n", "b.yaml:2:3: unknown key 'wrkers' in section 'server'" },
	{ "server:\n  workers: 2\n  workers: 3\n", "b.yaml:3:3: duplicate key 'workers' in section 'server'" },
	{ "server:\n  workers: [1, 2]\n", "b.yaml:2:12: server.workers: expected a single value, got a list" },
	{ "server:\n  workers:\n    a: 1\n", "b.yaml:3:5: server.workers: expected a value, got a mapping" },
	{ "server:\n  user:\n  workers: 1\n", "b.yaml:2:8: server.user: missing value" },
	{ "log:\n  level: info\n---\nlog:\n  level: debug\n", "b.yaml:4:1: only one YAML document is allowed" },
	/* integers */
	{ "server:\n  workers: abc\n", "b.yaml:2:12: server.workers: expected an integer, got 'abc'" },
	{ "server:\n  workers: 4x\n", "b.yaml:2:12: server.workers: expected an integer, got '4x'" },
	{ "server:\n  workers: 65\n", "b.yaml:2:12: server.workers: 65 is out of range 1..64" },
	{ "server:\n  workers: 0\n", "b.yaml:2:12: server.workers: 0 is out of range 1..64" },
	{ "server:\n  udp-max-payload: 511\n", "b.yaml:2:20: server.udp-max-payload: 511 is out of range 512..4096" },
	{ "server:\n  udp-max-payload: 4097\n", "b.yaml:2:20: server.udp-max-payload: 4097 is out of range 512..4096" },
	{ "server:\n  tcp-max-clients: 99999999999999999999\n", "b.yaml:2:20: server.tcp-max-clients: expected an integer, got '99999999999999999999'" },
	/* booleans, enums, strings */
	{ "log:\n  syslog: maybe\n", "b.yaml:2:11: log.syslog: expected true or false, got 'maybe'" },
	{ "log:\n  level: loud\n", "b.yaml:2:10: log.level: unknown value 'loud', expected one of: error|warning|notice|info|debug" },
	{ "server:\n  identity: \"\"\n", "b.yaml:2:13: server.identity: length 0 is out of range 1..255" },
	/* listen addresses */
	{ "server:\n  listen: [ \"127.0.0.1@5300\", \"1.2.3.4@99999\" ]\n", "b.yaml:2:31: server.listen: bad listen address '1.2.3.4@99999' (expected ADDR@PORT, port 1..65535)" },
	{ "server:\n  listen: example.com@53\n", "b.yaml:2:11: server.listen: bad listen address 'example.com@53' (expected ADDR@PORT, port 1..65535)" },
	{ "server:\n  listen:\n    - 127.0.0.1@53\n    - { a: 1 }\n", "b.yaml:4:7: server.listen: expected an address" },
	{ "zones:\n  directory: [a]\n", "b.yaml:2:14: zones.directory: expected a single value, got a list" },
	{ "zones:\n  watch: sometimes\n", "b.yaml:2:10: zones.watch: expected true or false, got 'sometimes'" },
	{ "transfer:\n  allow: [ \"1.2.3.4/40\" ]\n", "b.yaml:2:12: transfer.allow: bad rule '1.2.3.4/40' (expected ADDR[/LEN] [key NAME[,NAME...]])" },
	{ "transfer:\n  allow: [ \"::1 kye k\" ]\n", "b.yaml:2:12: transfer.allow: bad rule '::1 kye k' (expected ADDR[/LEN] [key NAME[,NAME...]])" },
	{ "keys:\n  files: { a: 1 }\n", "b.yaml:2:10: keys.files: expected a value, got a mapping" },
	{ "zone:\n  domain: x\n", "b.yaml:2:3: section 'zone' must be a list of mappings" },
	{ "zone:\n  - transfer-allow: [ \"::1\" ]\n", "b.yaml:2:5: zone: every entry needs 'domain'" },
	{ "zone:\n  - domain: a..b\n", "b.yaml:2:5: zone: 'a..b' is not a domain name" },
	{ "zone:\n  - domain: a.test\n    colour: red\n", "b.yaml:3:5: unknown key 'colour' in section 'zone'" },
	{ "zone:\n  - domain: a.test\n    serial-policy: sometimes\n", "b.yaml:3:20: zone.serial-policy: unknown value 'sometimes', expected one of: inherit|keep|increment|unixtime|dateserial" },
	/* notify */
	{ "notify:\n  targets: [ \"1.2.3.4@99999\" ]\n", "b.yaml:2:14: notify.targets: bad target '1.2.3.4@99999' (expected ADDR@PORT [key NAME[,NAME...]], at most 4 keys)" },
	{ "notify:\n  targets: [ \"::1@53 kye k\" ]\n", "b.yaml:2:14: notify.targets: bad target '::1@53 kye k' (expected ADDR@PORT [key NAME[,NAME...]], at most 4 keys)" },
	{ "notify:\n  targets: [ \"127.0.0.1 key k extra\" ]\n", "b.yaml:2:14: notify.targets: bad target '127.0.0.1 key k extra' (expected ADDR@PORT [key NAME[,NAME...]], at most 4 keys)" },
	{ "notify:\n  targets: [ \"127.0.0.1 key\" ]\n", "b.yaml:2:14: notify.targets: bad target '127.0.0.1 key' (expected ADDR@PORT [key NAME[,NAME...]], at most 4 keys)" },
	{ "notify:\n  targets: [ \"ns2.example.com@53\" ]\n", "b.yaml:2:14: notify.targets: bad target 'ns2.example.com@53' (expected ADDR@PORT [key NAME[,NAME...]], at most 4 keys)" },
	{ "notify:\n  targets: { a: 1 }\n", "b.yaml:2:12: notify.targets: expected a value, got a mapping" },
	{ "notify:\n  retries: 0\n", "b.yaml:2:12: notify.retries: 0 is out of range 1..20" },
	{ "notify:\n  timeout-ms: 5\n", "b.yaml:2:15: notify.timeout-ms: 5 is out of range 10..60000" },
	{ "notify:\n  retry: 3\n", "b.yaml:2:3: unknown key 'retry' in section 'notify'" },
	/* zones.role: no "inherit" at the global level */
	{ "zones:\n  role: tertiary\n", "b.yaml:2:9: zones.role: unknown value 'tertiary', expected one of: primary|secondary" },
	{ "zones:\n  role: inherit\n", "b.yaml:2:9: zones.role: unknown value 'inherit', expected one of: primary|secondary" },
	{ "zones:\n  role: Secondary\n", "b.yaml:2:9: zones.role: unknown value 'Secondary', expected one of: primary|secondary" },
	/* secondary: shape */
	{ "secondary: [ a ]\n", "b.yaml:1:12: section 'secondary' must be a mapping of key: value" },
	{ "secondary:\n  refresh: 5\n", "b.yaml:2:3: unknown key 'refresh' in section 'secondary'" },
	{ "secondary:\n  primaries: [ \"192.0.2.1\" ]\nsecondary:\n  source: ::1\n", "b.yaml:3:1: duplicate section 'secondary'" },
	{ "secondary:\n  max-transfers: 2\n  max-transfers: 3\n", "b.yaml:3:3: duplicate key 'max-transfers' in section 'secondary'" },
	/* secondary: ranges, one below and one above each bound */
	{ "secondary:\n  refresh-min: 0\n", "b.yaml:2:16: secondary.refresh-min: 0 is out of range 1..86400" },
	{ "secondary:\n  refresh-min: 86401\n", "b.yaml:2:16: secondary.refresh-min: 86401 is out of range 1..86400" },
	{ "secondary:\n  refresh-max: 0\n", "b.yaml:2:16: secondary.refresh-max: 0 is out of range 1..2419200" },
	{ "secondary:\n  refresh-max: 2419201\n", "b.yaml:2:16: secondary.refresh-max: 2419201 is out of range 1..2419200" },
	{ "secondary:\n  retry-min: 0\n", "b.yaml:2:14: secondary.retry-min: 0 is out of range 1..86400" },
	{ "secondary:\n  retry-min: 86401\n", "b.yaml:2:14: secondary.retry-min: 86401 is out of range 1..86400" },
	{ "secondary:\n  retry-max: -1\n", "b.yaml:2:14: secondary.retry-max: -1 is out of range 1..2419200" },
	{ "secondary:\n  retry-max: 2419201\n", "b.yaml:2:14: secondary.retry-max: 2419201 is out of range 1..2419200" },
	{ "secondary:\n  expire-min: 0\n", "b.yaml:2:15: secondary.expire-min: 0 is out of range 1..2419200" },
	{ "secondary:\n  expire-min: 2419201\n", "b.yaml:2:15: secondary.expire-min: 2419201 is out of range 1..2419200" },
	{ "secondary:\n  expire-max: 0\n", "b.yaml:2:15: secondary.expire-max: 0 is out of range 1..31536000" },
	{ "secondary:\n  expire-max: 31536001\n", "b.yaml:2:15: secondary.expire-max: 31536001 is out of range 1..31536000" },
	{ "secondary:\n  transfer-timeout: 99\n", "b.yaml:2:21: secondary.transfer-timeout: 99 is out of range 100..3600000" },
	{ "secondary:\n  transfer-timeout: 3600001\n", "b.yaml:2:21: secondary.transfer-timeout: 3600001 is out of range 100..3600000" },
	{ "secondary:\n  transfer-timeout: 30s\n", "b.yaml:2:21: secondary.transfer-timeout: expected an integer, got '30s'" },
	{ "secondary:\n  max-transfers: 0\n", "b.yaml:2:18: secondary.max-transfers: 0 is out of range 1..1000" },
	{ "secondary:\n  max-transfers: 1001\n", "b.yaml:2:18: secondary.max-transfers: 1001 is out of range 1..1000" },
	{ "secondary:\n  max-records: 0\n", "b.yaml:2:16: secondary.max-records: 0 is out of range 1..1099511627776" },
	{ "secondary:\n  max-records: 1099511627777\n", "b.yaml:2:16: secondary.max-records: 1099511627777 is out of range 1..1099511627776" },
	{ "secondary:\n  max-bytes: 65535\n", "b.yaml:2:14: secondary.max-bytes: 65535 is out of range 65536..1099511627776" },
	{ "secondary:\n  max-bytes: 1099511627777\n", "b.yaml:2:14: secondary.max-bytes: 1099511627777 is out of range 65536..1099511627776" },
	{ "secondary:\n  snapshot-interval: 0\n", "b.yaml:2:22: secondary.snapshot-interval: 0 is out of range 1..604800" },
	{ "secondary:\n  snapshot-interval: 604801\n", "b.yaml:2:22: secondary.snapshot-interval: 604801 is out of range 1..604800" },
	{ "secondary:\n  snapshot-interval: [ 1 ]\n", "b.yaml:2:22: secondary.snapshot-interval: expected a single value, got a list" },
	/* secondary: strings and lists */
	{ "secondary:\n  source: \"\"\n", "b.yaml:2:11: secondary.source: length 0 is out of range 1..63" },
	{ "secondary:\n  source: 0123456789012345678901234567890123456789012345678901234567890123\n", "b.yaml:2:11: secondary.source: length 64 is out of range 1..63" },
	{ "secondary:\n  source: [ \"::1\" ]\n", "b.yaml:2:11: secondary.source: expected a single value, got a list" },
	{ "secondary:\n  primaries: [ \"192.0.2.1@0\" ]\n", "b.yaml:2:16: secondary.primaries: bad target '192.0.2.1@0' (expected ADDR@PORT [key NAME[,NAME...]], at most 4 keys)" },
	{ "secondary:\n  primaries: [ \"192.0.2.1\", \"ns1.example.com@53\" ]\n", "b.yaml:2:29: secondary.primaries: bad target 'ns1.example.com@53' (expected ADDR@PORT [key NAME[,NAME...]], at most 4 keys)" },
	{ "secondary:\n  primaries: \"192.0.2.1@53 key\"\n", "b.yaml:2:14: secondary.primaries: bad target '192.0.2.1@53 key' (expected ADDR@PORT [key NAME[,NAME...]], at most 4 keys)" },
	{ "secondary:\n  primaries: \"192.0.2.1@53 secret k\"\n", "b.yaml:2:14: secondary.primaries: bad target '192.0.2.1@53 secret k' (expected ADDR@PORT [key NAME[,NAME...]], at most 4 keys)" },
	{ "secondary:\n  primaries:\n    - 192.0.2.1\n    - [ 192.0.2.2 ]\n", "b.yaml:4:7: secondary.primaries: expected a single value in the list" },
	{ "secondary:\n  primaries: { a: 1 }\n", "b.yaml:2:14: secondary.primaries: expected a value, got a mapping" },
	{ "secondary:\n  notify-allow: [ \"10.0.0.0/33\" ]\n", "b.yaml:2:19: secondary.notify-allow: bad rule '10.0.0.0/33' (expected ADDR[/LEN] [key NAME[,NAME...]])" },
	{ "secondary:\n  notify-allow: \"192.0.2.1 kee k\"\n", "b.yaml:2:17: secondary.notify-allow: bad rule '192.0.2.1 kee k' (expected ADDR[/LEN] [key NAME[,NAME...]])" },
	{ "secondary:\n  notify-allow: \"192.0.2.1@53\"\n", "b.yaml:2:17: secondary.notify-allow: bad rule '192.0.2.1@53' (expected ADDR[/LEN] [key NAME[,NAME...]])" },
	/* per-zone secondary settings */
	{ "zone:\n  - domain: a.test\n    role: backup\n", "b.yaml:3:11: zone.role: unknown value 'backup', expected one of: inherit|primary|secondary" },
	{ "zone:\n  - domain: a.test\n    role: primary\n    role: secondary\n", "b.yaml:4:5: duplicate key 'role' in section 'zone'" },
	{ "zone:\n  - domain: a.test\n    primaries: [ \"::1@99999\" ]\n", "b.yaml:3:18: zone.primaries: bad target '::1@99999' (expected ADDR@PORT [key NAME[,NAME...]], at most 4 keys)" },
	{ "zone:\n  - domain: a.test\n    notify-allow: \"::1/129\"\n", "b.yaml:3:19: zone.notify-allow: bad rule '::1/129' (expected ADDR[/LEN] [key NAME[,NAME...]])" },
	{ "zone:\n  - domain: a.test\n    source: \"\"\n", "b.yaml:3:13: zone.source: length 0 is out of range 1..63" },
	{ "zone:\n  - domain: a.test\n  - domain: b.test\n    refresh-min: 5\n", "b.yaml:4:5: unknown key 'refresh-min' in section 'zone'" },
	{ "zone:\n  - role: secondary\n    primaries: [ \"192.0.2.1\" ]\n", "b.yaml:2:5: zone: every entry needs 'domain'" },
};

static void
test_errors(void **state)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		conf_t c;
		char err[512];
		int ret = conf_load_mem(bad_cases[i].yaml, strlen(bad_cases[i].yaml), "b.yaml", &c,
					err, sizeof(err));
		if (ret == 0 || strcmp(err, bad_cases[i].err) != 0) {
			print_error("case %zu: expected '%s'\n          got (%d) '%s'\n", i,
				    bad_cases[i].err, ret, err);
			if (ret == 0)
				conf_free(&c);
			fail();
		}
		/* A failed load leaves nothing allocated. */
		assert_null(c.server.listen.addr);
		assert_null(c.zones.directory);
		assert_null(c.secondary.primaries.v);
		assert_null(c.secondary.notify_allow.rules);
		assert_null(c.secondary.source);
		assert_null(c.zone);
		assert_int_equal(c.nzone, 0);
	}
}

static void
test_single_listen_and_set(void **state)
{
	conf_t c;
	char err[256];
	const char *y = "server:\n  listen: \"[::1]@5301\"\n";
	assert_int_equal(conf_load_mem(y, strlen(y), "s.yaml", &c, err, sizeof(err)), 0);
	assert_int_equal(c.server.listen.count, 1);
	assert_string_equal(c.server.listen.addr[0].text, "::1@5301");

	/* Command-line overrides: first replaces, later ones append. */
	assert_int_equal(conf_set(&c, "server.listen", "127.0.0.1@5302", false, err, sizeof(err)), 0);
	assert_int_equal(conf_set(&c, "server.listen", "::1", true, err, sizeof(err)), 0);
	assert_int_equal(c.server.listen.count, 2);
	assert_string_equal(c.server.listen.addr[0].text, "127.0.0.1@5302");
	assert_string_equal(c.server.listen.addr[1].text, "::1@53");

	assert_int_equal(conf_set(&c, "server.workers", "7", false, err, sizeof(err)), 0);
	assert_int_equal(c.server.workers, 7);
	assert_int_equal(conf_set(&c, "server.workers", "100", false, err, sizeof(err)), FL_ESYNTAX);
	assert_string_equal(err, "server.workers: 100 is out of range 1..64");
	assert_int_equal(c.server.workers, 7);
	assert_int_equal(conf_set(&c, "zones.directory", "/z", false, err, sizeof(err)), 0);
	assert_int_equal(conf_set(&c, "zones.directory", "/y", false, err, sizeof(err)), 0);
	assert_string_equal(c.zones.directory, "/y");
	assert_int_equal(conf_set(&c, "log.level", "info", false, err, sizeof(err)), 0);
	assert_int_equal(c.log.level, LOG_LVL_INFO);
	assert_int_equal(conf_set(&c, "server.workers", " 5", false, err, sizeof(err)), FL_ESYNTAX);
	assert_int_equal(conf_set(&c, "server.workers", "", false, err, sizeof(err)), FL_ESYNTAX);
	assert_string_equal(err, "server.workers: expected an integer, got ''");
	assert_int_equal(conf_set(&c, "log.syslog", "on", false, err, sizeof(err)), 0);
	assert_true(c.log.syslog);
	assert_int_equal(conf_set(&c, "server.nope", "1", false, err, sizeof(err)), FL_ENOENT);
	assert_string_equal(err, "server.nope: no such option");
	assert_int_equal(conf_set(&c, "workers", "1", false, err, sizeof(err)), FL_ENOENT);
	conf_free(&c);
}

static void
test_listen_parse(void **state)
{
	conf_listen_t l;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&l.addr;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&l.addr;

	assert_int_equal(conf_parse_listen("192.0.2.1@5300", &l), 0);
	assert_int_equal(sin->sin_family, AF_INET);
	assert_int_equal(ntohs(sin->sin_port), 5300);
	assert_int_equal(ntohl(sin->sin_addr.s_addr), 0xc0000201);
	assert_int_equal(l.addrlen, sizeof(struct sockaddr_in));
	assert_string_equal(l.text, "192.0.2.1@5300");

	assert_int_equal(conf_parse_listen("0.0.0.0", &l), 0);
	assert_int_equal(ntohs(sin->sin_port), 53);
	assert_string_equal(l.text, "0.0.0.0@53");

	assert_int_equal(conf_parse_listen("[::1]@53", &l), 0);
	assert_int_equal(sin6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(sin6->sin6_port), 53);
	assert_true(IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr));
	assert_int_equal(l.addrlen, sizeof(struct sockaddr_in6));
	assert_string_equal(l.text, "::1@53");

	assert_int_equal(conf_parse_listen("::1@53", &l), 0);
	assert_int_equal(sin6->sin6_family, AF_INET6);
	assert_string_equal(l.text, "::1@53");

	assert_int_equal(conf_parse_listen("[2001:DB8::0:1]", &l), 0);
	assert_string_equal(l.text, "2001:db8::1@53");
	assert_int_equal(conf_parse_listen("::", &l), 0);
	assert_string_equal(l.text, "::@53");
	assert_int_equal(conf_parse_listen("127.0.0.1@65535", &l), 0);
	assert_int_equal(conf_parse_listen("127.0.0.1@1", &l), 0);

	static const char *const bad[] = {
		"127.0.0.1@0",      "127.0.0.1@65536", "127.0.0.1@99999", "127.0.0.1@",
		"127.0.0.1@-1",     "127.0.0.1@+53",   "127.0.0.1@5x",    "127.0.0.1@ 53",
		"127.0.0.1@000053", "@53",             "",                "localhost@53",
		"256.0.0.1@53",     "[::1",            "[::1]53",         "[::1]@",
		"[127.0.0.1",       "::1@@53",         "1.2.3@53",        "[]@53",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (conf_parse_listen(bad[i], &l) != FL_ESYNTAX) {
			print_error("accepted bad listen address '%s'\n", bad[i]);
			fail();
		}
	}
}

static void
test_transfer_and_keys(void **state)
{
	static const char yaml[] = "keys:\n  files: [ /etc/a.key, /etc/b.key ]\n"
				   "transfer:\n  allow: [ \"198.51.100.0/24 key ns2-key\", \"::1\" ]\n";
	conf_t c;
	char err[256];
	assert_int_equal(conf_load_mem(yaml, strlen(yaml), "t.yaml", &c, err, sizeof(err)), 0);
	assert_int_equal(c.keys.files.count, 2);
	assert_string_equal(c.keys.files.v[1], "/etc/b.key");
	assert_int_equal(c.transfer.allow.count, 2);
	assert_true(c.transfer.allow.rules[0].has_key);
	assert_int_equal(c.transfer.allow.rules[0].prefix, 24);
	assert_int_equal(c.transfer.allow.rules[1].family, AF_INET6);
	conf_free(&c);
	/* defaults: no keys, nobody may transfer; a single scalar works too */
	assert_int_equal(conf_defaults(&c), 0);
	assert_int_equal(c.transfer.allow.count, 0);
	assert_int_equal(c.keys.files.count, 0);
	conf_free(&c);
	static const char one[] = "keys:\n  files: /etc/a.key\n";
	assert_int_equal(conf_load_mem(one, strlen(one), "t.yaml", &c, err, sizeof(err)), 0);
	assert_int_equal(c.keys.files.count, 1);
	conf_free(&c);
}

static void
test_notify(void **state)
{
	static const char yaml[] = "notify:\n"
				   "  targets: [ \"198.51.100.2@53 key Transfer-Key\", \"[fd53:f1a3::2]@53\",\n"
				   "             \"127.0.0.1@5353\", \"192.0.2.9\" ]\n"
				   "  retries: 7\n"
				   "  timeout-ms: 250\n";
	conf_t c;
	char err[256];
	uint8_t want[DNAME_MAXLEN];
	assert_int_equal(conf_load_mem(yaml, strlen(yaml), "n.yaml", &c, err, sizeof(err)), 0);
	assert_int_equal(c.notify.targets.count, 4);
	assert_string_equal(c.notify.targets.v[0].addr.text, "198.51.100.2@53");
	assert_int_equal(c.notify.targets.v[0].nkeys, 1);
	/* lowercased, absolute */
	assert_true(dname_from_str("transfer-key.", 13, NULL, want) > 0);
	assert_true(dname_eq(c.notify.targets.v[0].key[0], want));
	assert_string_equal(c.notify.targets.v[1].addr.text, "fd53:f1a3::2@53");
	assert_int_equal(c.notify.targets.v[1].addr.addr.ss_family, AF_INET6);
	assert_int_equal(c.notify.targets.v[1].nkeys, 0);
	assert_string_equal(c.notify.targets.v[2].addr.text, "127.0.0.1@5353");
	assert_string_equal(c.notify.targets.v[3].addr.text, "192.0.2.9@53");
	assert_int_equal(c.notify.retries, 7);
	assert_int_equal(c.notify.timeout_ms, 250);
	conf_free(&c);

	/* defaults: no targets, 5 tries, 1 s */
	assert_int_equal(conf_defaults(&c), 0);
	assert_int_equal(c.notify.targets.count, 0);
	assert_int_equal(c.notify.retries, 5);
	assert_int_equal(c.notify.timeout_ms, 1000);
	/* conf_set appends or replaces like the other lists */
	assert_int_equal(conf_set(&c, "notify.targets", "127.0.0.1@53 key k", false, err, sizeof(err)), 0);
	assert_int_equal(conf_set(&c, "notify.targets", "::1", true, err, sizeof(err)), 0);
	assert_int_equal(c.notify.targets.count, 2);
	assert_int_equal(conf_set(&c, "notify.targets", "bad@", true, err, sizeof(err)), FL_ESYNTAX);
	assert_string_equal(err, "notify.targets: bad target 'bad@' (expected ADDR@PORT [key NAME[,NAME...]], at most 4 keys)");
	conf_free(&c);
}

/* Rotation: a remote lists several keys, in order; an ACL rule accepts any of them. */
static void
test_multi_keys(void **state)
{
	static const char yaml[] = "notify:\n  targets: \"203.0.113.2@53 key k2026,K2025.\"\n"
				   "transfer:\n  allow: [ \"203.0.113.0/24 key k2026,k2025\", \"127.0.0.1\" ]\n"
				   "keys:\n  directory: keys/tsig\n  retiring: [ k2025 ]\n"
				   "control:\n  socket: /run/flame-dnsd/control.sock\n  group: flame\n"
				   "cluster:\n  nodes: [ \"ns1 203.0.113.1@53\", \"ns2 203.0.113.2@53\" ]\n";
	conf_t c;
	char err[256];
	uint8_t k1[DNAME_MAXLEN], k2[DNAME_MAXLEN];
	assert_true(dname_from_str("k2026.", 6, NULL, k1) > 0);
	assert_true(dname_from_str("k2025.", 6, NULL, k2) > 0);
	assert_int_equal(conf_load_mem(yaml, strlen(yaml), "m.yaml", &c, err, sizeof(err)), 0);
	const conf_notify_target_t *t = &c.notify.targets.v[0];
	assert_int_equal(t->nkeys, 2);
	assert_true(dname_eq(t->key[0], k1)); /* order kept: the first is used outbound */
	assert_true(dname_eq(t->key[1], k2)); /* lowercased */
	assert_int_equal(c.transfer.allow.count, 3); /* one rule per key, then the keyless one */
	assert_true(c.transfer.allow.rules[0].has_key && dname_eq(c.transfer.allow.rules[0].key, k1));
	assert_true(c.transfer.allow.rules[1].has_key && dname_eq(c.transfer.allow.rules[1].key, k2));
	assert_int_equal(c.transfer.allow.rules[1].prefix, 24);
	assert_false(c.transfer.allow.rules[2].has_key);
	assert_string_equal(c.keys.directory, "keys/tsig");
	assert_int_equal(c.keys.retiring.count, 1);
	assert_string_equal(c.control.socket, "/run/flame-dnsd/control.sock");
	assert_string_equal(c.control.group, "flame");
	assert_int_equal(c.cluster.nodes.count, 2);
	conf_free(&c);

	assert_int_equal(conf_defaults(&c), 0);
	assert_null(c.control.socket);
	static const char *const bad[] = { "1.2.3.4 key a,", "1.2.3.4 key ,a", "1.2.3.4 key a,a", "1.2.3.4 key a,b,c,d,e",
					   "1.2.3.4 key a,,b", "1.2.3.4 key a, b" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(conf_set(&c, "notify.targets", bad[i], false, err, sizeof(err)), FL_ESYNTAX);
		assert_int_equal(conf_set(&c, "transfer.allow", bad[i], false, err, sizeof(err)), FL_ESYNTAX);
	}
	assert_int_equal(conf_set(&c, "notify.targets", "1.2.3.4 key a,b,c,d", false, err, sizeof(err)), 0);
	assert_int_equal(c.notify.targets.v[0].nkeys, 4);
	assert_int_equal(conf_set(&c, "transfer.allow", "1.2.3.4 key a,b,c,d", false, err, sizeof(err)), 0);
	assert_int_equal(c.transfer.allow.count, 4);
	conf_free(&c);
}

/* zone.dnssec-*: durations, defaults that follow the validity, the rules
 * between the options at the offending option's line:column. */
static void
test_dnssec_timing(void **state)
{
	int64_t v = -1;
	assert_int_equal(conf_parse_duration("3600", &v), 0);
	assert_int_equal(v, 3600);
	assert_int_equal(conf_parse_duration("14d", &v), 0);
	assert_int_equal(v, 14 * 86400);
	assert_int_equal(conf_parse_duration("12h", &v), 0);
	assert_int_equal(v, 12 * 3600);
	assert_int_equal(conf_parse_duration("1d12h30m15s", &v), 0);
	assert_int_equal(v, 86400 + 12 * 3600 + 30 * 60 + 15);
	assert_int_equal(conf_parse_duration("2w", &v), 0);
	assert_int_equal(v, 14 * 86400);
	assert_int_equal(conf_parse_duration("0", &v), 0);
	assert_int_equal(v, 0);
	const char *bad[] = { "", "-1", "+5", "1x", "d", "1.5d", " 5", "5 ", "1d 2h", "99999999999999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(conf_parse_duration(bad[i], &v), FL_ESYNTAX);

	static const char yaml[] = "zone:\n"
				   "  - domain: a.example\n    dnssec-signing: true\n"
				   "  - domain: b.example\n    dnssec-validity: 60\n    dnssec-refresh: 40s\n"
				   "    dnssec-jitter: 5\n    dnssec-inception-offset: 2m\n    dnssec-key-model: ksk-zsk\n"
				   "  - domain: c.example\n    dnssec-validity: 30d\n"
				   "  - domain: d.example\n    dnssec-validity: 10d\n    dnssec-refresh: 9d\n"
				   "  - domain: e.example\n    dnssec-jitter: 0\n";
	conf_t c;
	char err[256];
	assert_int_equal(conf_load_mem(yaml, strlen(yaml), "t.yaml", &c, err, sizeof(err)), 0);
	/* defaults: 14 days, half of it, a tenth of it, an hour, a CSK */
	assert_int_equal(c.zone[0].dnssec_validity, 14 * 86400);
	assert_int_equal(c.zone[0].dnssec_refresh, 7 * 86400);
	assert_int_equal(c.zone[0].dnssec_jitter, 14 * 8640);
	assert_int_equal(c.zone[0].dnssec_inception_offset, 3600);
	assert_int_equal(c.zone[0].dnssec_key_model, CONF_KEYS_CSK);
	assert_true(c.zone[0].dnssec_refresh_default);
	assert_false(c.zone[1].dnssec_refresh_default);
	assert_int_equal(c.zone[1].dnssec_validity, 60);
	assert_int_equal(c.zone[1].dnssec_refresh, 40);
	assert_int_equal(c.zone[1].dnssec_jitter, 5);
	assert_int_equal(c.zone[1].dnssec_inception_offset, 120);
	assert_int_equal(c.zone[1].dnssec_key_model, CONF_KEYS_KSK_ZSK);
	assert_int_equal(c.zone[2].dnssec_refresh, 15 * 86400); /* follows the validity */
	assert_int_equal(c.zone[2].dnssec_jitter, 3 * 86400);
	assert_int_equal(c.zone[3].dnssec_jitter, 43200);       /* half of validity - refresh, below a tenth */
	assert_int_equal(c.zone[4].dnssec_jitter, 0);
	conf_free(&c);

	static const struct {
		const char *yaml, *err;
	} errs[] = {
		{ "zone:\n  - domain: a.example\n    dnssec-validity: 14x\n",
		  "t.yaml:3:22: zone.dnssec-validity: expected a duration (3600, 90s, 30m, 12h, 14d, 2w, 1d12h), got '14x'" },
		{ "zone:\n  - domain: a.example\n    dnssec-refresh: -5\n", "t.yaml:3:21: zone.dnssec-refresh: expected a duration" },
		{ "zone:\n  - domain: a.example\n    dnssec-validity: 0\n",
		  "t.yaml:3:22: zone.dnssec-validity: 0 seconds is out of range 1..1073741824" },
		{ "zone:\n  - domain: a.example\n    dnssec-validity: 7d\n    dnssec-refresh: 7d\n",
		  "t.yaml:4:21: zone.dnssec-refresh: 604800 s is not less than dnssec-validity (604800 s)" },
		{ "zone:\n  - domain: a.example\n    dnssec-validity: 60\n    dnssec-refresh: 40\n    dnssec-jitter: 20\n",
		  "t.yaml:5:20: zone.dnssec-jitter: 20 s is not less than dnssec-validity - dnssec-refresh (20 s)" },
		{ "zone:\n  - domain: a.example\n    dnssec-key-model: zsk\n",
		  "t.yaml:3:23: zone.dnssec-key-model: unknown value 'zsk', expected one of: csk|ksk-zsk" },
	};
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		assert_int_equal(conf_load_mem(errs[i].yaml, strlen(errs[i].yaml), "t.yaml", &c, err, sizeof(err)), FL_ESYNTAX);
		if (strncmp(err, errs[i].err, strlen(errs[i].err)) != 0)
			fail_msg("got '%s', expected '%s'", err, errs[i].err);
	}
}

static void
test_zone_entries(void **state)
{
	static const char yaml[] = "transfer:\n  allow: [ \"127.0.0.1\" ]\n"
				   "zone:\n"
				   "  - domain: example.com\n    transfer-allow: [ \"198.51.100.2 key k\" ]\n    serial-policy: dateserial\n"
				   "  - domain: example.net.\n";
	conf_t c;
	char err[256];
	assert_int_equal(conf_load_mem(yaml, strlen(yaml), "t.yaml", &c, err, sizeof(err)), 0);
	assert_int_equal(c.nzone, 2);
	assert_string_equal(c.zone[0].domain, "example.com");
	assert_int_equal(c.zone[0].transfer_allow.count, 1);
	assert_true(c.zone[0].transfer_allow.rules[0].has_key);
	assert_int_equal(c.zone[0].serial_policy, 4); /* dateserial + 1 */
	assert_int_equal(c.zone[1].serial_policy, 0);  /* inherit */
	assert_int_equal(c.zone[1].transfer_allow.count, 0);
	assert_int_equal(c.transfer.allow.count, 1);
	conf_free(&c);
	/* a section whose keys are all commented out is empty: defaults */
	static const char empty[] = "log:\n  # level: debug\nzones:\n  directory: z\n";
	assert_int_equal(conf_load_mem(empty, strlen(empty), "t.yaml", &c, err, sizeof(err)), 0);
	assert_int_equal(c.log.level, LOG_LVL_NOTICE);
	conf_free(&c);
}

static void
test_secondary_defaults(void **state)
{
	conf_t c;
	assert_int_equal(conf_defaults(&c), 0);
	assert_int_equal(c.zones.role, CONF_ROLE_PRIMARY);
	assert_int_equal(c.secondary.primaries.count, 0);
	assert_null(c.secondary.primaries.v);
	assert_int_equal(c.secondary.notify_allow.count, 0);
	assert_null(c.secondary.notify_allow.rules);
	assert_null(c.secondary.source);
	assert_int_equal(c.secondary.refresh_min, 2);
	assert_int_equal(c.secondary.refresh_max, 86400);
	assert_int_equal(c.secondary.retry_min, 1);
	assert_int_equal(c.secondary.retry_max, 3600);
	assert_int_equal(c.secondary.expire_min, 3);
	assert_int_equal(c.secondary.expire_max, 2419200);
	assert_int_equal(c.secondary.transfer_timeout, 30000);
	assert_int_equal(c.secondary.max_transfers, 8);
	assert_int_equal(c.secondary.max_records, 50000000);
	assert_int_equal(c.secondary.max_bytes, 4294967296LL);
	assert_int_equal(c.secondary.snapshot_interval, 300);
	conf_free(&c);

	/* An empty secondary: section and one with a single key keep the others. */
	conf_t d;
	char err[256];
	static const char empty[] = "secondary:\n  # refresh-min: 60\n";
	assert_int_equal(conf_load_mem(empty, strlen(empty), "s.yaml", &d, err, sizeof(err)), 0);
	assert_int_equal(d.secondary.refresh_min, 2);
	assert_int_equal(d.secondary.max_bytes, 4294967296LL);
	conf_free(&d);
	static const char one[] = "secondary:\n  max-transfers: 1\n";
	assert_int_equal(conf_load_mem(one, strlen(one), "s.yaml", &d, err, sizeof(err)), 0);
	assert_int_equal(d.secondary.max_transfers, 1);
	assert_int_equal(d.secondary.transfer_timeout, 30000);
	assert_int_equal(d.secondary.snapshot_interval, 300);
	assert_int_equal(d.secondary.primaries.count, 0);
	assert_int_equal(d.zones.role, CONF_ROLE_PRIMARY);
	conf_free(&d);
}

static void
test_secondary(void **state)
{
	static const char yaml[] = "zones:\n"
				   "  role: secondary\n"
				   "secondary:\n"
				   "  primaries: [ \"192.0.2.1@5300 key Xfr-Key\", \"[2001:db8::1]@53\", \"198.51.100.1\" ]\n"
				   "  notify-allow: [ \"192.0.2.0/24 key xfr-key\", \"2001:db8::/32\" ]\n"
				   "  source: 192.0.2.53\n"
				   "  refresh-min: 60\n"
				   "  refresh-max: 43200\n"
				   "  retry-min: 30\n"
				   "  retry-max: 1800\n"
				   "  expire-min: 3600\n"
				   "  expire-max: 1209600\n"
				   "  transfer-timeout: 15000\n"
				   "  max-transfers: 4\n"
				   "  max-records: 1000000\n"
				   "  max-bytes: 104857600\n"
				   "  snapshot-interval: 600\n";
	conf_t c;
	char err[256];
	uint8_t want[DNAME_MAXLEN];
	int ret = conf_load_mem(yaml, strlen(yaml), "s.yaml", &c, err, sizeof(err));
	if (ret != 0)
		print_error("%s\n", err);
	assert_int_equal(ret, 0);
	assert_int_equal(c.zones.role, CONF_ROLE_SECONDARY);

	assert_int_equal(c.secondary.primaries.count, 3);
	const conf_notify_target_t *p = c.secondary.primaries.v;
	assert_string_equal(p[0].addr.text, "192.0.2.1@5300");
	assert_int_equal(p[0].addr.addr.ss_family, AF_INET);
	assert_int_equal(ntohs(((const struct sockaddr_in *)&p[0].addr.addr)->sin_port), 5300);
	assert_int_equal(ntohl(((const struct sockaddr_in *)&p[0].addr.addr)->sin_addr.s_addr), 0xc0000201);
	assert_int_equal(p[0].nkeys, 1);
	assert_true(dname_from_str("xfr-key.", 8, NULL, want) > 0); /* lowercased, absolute */
	assert_true(dname_eq(p[0].key[0], want));
	assert_string_equal(p[1].addr.text, "2001:db8::1@53");
	assert_int_equal(p[1].addr.addr.ss_family, AF_INET6);
	assert_int_equal(p[1].nkeys, 0);
	assert_string_equal(p[2].addr.text, "198.51.100.1@53"); /* port 53 when omitted */
	assert_int_equal(p[2].nkeys, 0);

	assert_int_equal(c.secondary.notify_allow.count, 2);
	const acl_rule_t *r = c.secondary.notify_allow.rules;
	static const uint8_t a4[4] = { 192, 0, 2, 0 };
	static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	assert_int_equal(r[0].family, AF_INET);
	assert_int_equal(r[0].prefix, 24);
	assert_memory_equal(r[0].addr, a4, 4);
	assert_true(r[0].has_key);
	assert_true(dname_eq(r[0].key, want));
	assert_int_equal(r[1].family, AF_INET6);
	assert_int_equal(r[1].prefix, 32);
	assert_memory_equal(r[1].addr, a6, 16);
	assert_false(r[1].has_key);

	assert_string_equal(c.secondary.source, "192.0.2.53");
	assert_int_equal(c.secondary.refresh_min, 60);
	assert_int_equal(c.secondary.refresh_max, 43200);
	assert_int_equal(c.secondary.retry_min, 30);
	assert_int_equal(c.secondary.retry_max, 1800);
	assert_int_equal(c.secondary.expire_min, 3600);
	assert_int_equal(c.secondary.expire_max, 1209600);
	assert_int_equal(c.secondary.transfer_timeout, 15000);
	assert_int_equal(c.secondary.max_transfers, 4);
	assert_int_equal(c.secondary.max_records, 1000000);
	assert_int_equal(c.secondary.max_bytes, 104857600);
	assert_int_equal(c.secondary.snapshot_interval, 600);
	conf_free(&c);
	assert_null(c.secondary.primaries.v);
	assert_null(c.secondary.source);

	/* Every bound itself is accepted. */
	static const char lo[] = "secondary:\n  refresh-min: 1\n  refresh-max: 1\n  retry-min: 1\n  retry-max: 1\n"
				 "  expire-min: 1\n  expire-max: 1\n  transfer-timeout: 100\n  max-transfers: 1\n"
				 "  max-records: 1\n  max-bytes: 65536\n  snapshot-interval: 1\n  source: \"a\"\n";
	ret = conf_load_mem(lo, strlen(lo), "lo.yaml", &c, err, sizeof(err));
	if (ret != 0)
		print_error("%s\n", err);
	assert_int_equal(ret, 0);
	assert_int_equal(c.secondary.refresh_max, 1);
	assert_int_equal(c.secondary.transfer_timeout, 100);
	assert_int_equal(c.secondary.max_bytes, 65536);
	assert_int_equal(c.secondary.snapshot_interval, 1);
	conf_free(&c);
	static const char hi[] = "secondary:\n  refresh-min: 86400\n  refresh-max: 2419200\n  retry-min: 86400\n"
				 "  retry-max: 2419200\n  expire-min: 2419200\n  expire-max: 31536000\n"
				 "  transfer-timeout: 3600000\n  max-transfers: 1000\n  max-records: 1099511627776\n"
				 "  max-bytes: 1099511627776\n  snapshot-interval: 604800\n"
				 "  source: 012345678901234567890123456789012345678901234567890123456789012\n";
	ret = conf_load_mem(hi, strlen(hi), "hi.yaml", &c, err, sizeof(err));
	if (ret != 0)
		print_error("%s\n", err);
	assert_int_equal(ret, 0);
	assert_int_equal(c.secondary.refresh_min, 86400);
	assert_int_equal(c.secondary.expire_max, 31536000);
	assert_int_equal(c.secondary.max_records, 1099511627776LL);
	assert_int_equal(c.secondary.max_bytes, 1099511627776LL);
	assert_int_equal(strlen(c.secondary.source), 63);
	conf_free(&c);

	/* Single scalars work for the lists. */
	static const char one[] = "secondary:\n  primaries: 192.0.2.7@53\n  notify-allow: 192.0.2.7\n";
	assert_int_equal(conf_load_mem(one, strlen(one), "o.yaml", &c, err, sizeof(err)), 0);
	assert_int_equal(c.secondary.primaries.count, 1);
	assert_string_equal(c.secondary.primaries.v[0].addr.text, "192.0.2.7@53");
	assert_int_equal(c.secondary.notify_allow.count, 1);
	assert_int_equal(c.secondary.notify_allow.rules[0].prefix, 32);
	assert_false(c.secondary.notify_allow.rules[0].has_key);
	conf_free(&c);
}

static void
test_secondary_set(void **state)
{
	conf_t c;
	char err[256];
	assert_int_equal(conf_defaults(&c), 0);
	assert_int_equal(conf_set(&c, "zones.role", "secondary", false, err, sizeof(err)), 0);
	assert_int_equal(c.zones.role, CONF_ROLE_SECONDARY);
	assert_int_equal(conf_set(&c, "zones.role", "inherit", false, err, sizeof(err)), FL_ESYNTAX);
	assert_string_equal(err, "zones.role: unknown value 'inherit', expected one of: primary|secondary");
	assert_int_equal(c.zones.role, CONF_ROLE_SECONDARY);
	assert_int_equal(conf_set(&c, "zones.role", "primary", false, err, sizeof(err)), 0);
	assert_int_equal(c.zones.role, CONF_ROLE_PRIMARY);

	assert_int_equal(conf_set(&c, "secondary.refresh-min", "10", false, err, sizeof(err)), 0);
	assert_int_equal(c.secondary.refresh_min, 10);
	assert_int_equal(conf_set(&c, "secondary.refresh-min", "0", false, err, sizeof(err)), FL_ESYNTAX);
	assert_string_equal(err, "secondary.refresh-min: 0 is out of range 1..86400");
	assert_int_equal(c.secondary.refresh_min, 10);
	assert_int_equal(conf_set(&c, "secondary.max-bytes", "65535", false, err, sizeof(err)), FL_ESYNTAX);
	assert_string_equal(err, "secondary.max-bytes: 65535 is out of range 65536..1099511627776");
	assert_int_equal(c.secondary.max_bytes, 4294967296LL);

	/* lists: first replaces, later ones append */
	assert_int_equal(conf_set(&c, "secondary.primaries", "192.0.2.1@53 key k", false, err, sizeof(err)), 0);
	assert_int_equal(conf_set(&c, "secondary.primaries", "::1@5300", true, err, sizeof(err)), 0);
	assert_int_equal(c.secondary.primaries.count, 2);
	assert_int_equal(c.secondary.primaries.v[0].nkeys, 1);
	assert_string_equal(c.secondary.primaries.v[1].addr.text, "::1@5300");
	assert_int_equal(conf_set(&c, "secondary.primaries", "192.0.2.9", false, err, sizeof(err)), 0);
	assert_int_equal(c.secondary.primaries.count, 1);
	assert_string_equal(c.secondary.primaries.v[0].addr.text, "192.0.2.9@53");
	assert_int_equal(conf_set(&c, "secondary.primaries", "192.0.2.9@", true, err, sizeof(err)), FL_ESYNTAX);
	assert_string_equal(err, "secondary.primaries: bad target '192.0.2.9@' (expected ADDR@PORT [key NAME[,NAME...]], at most 4 keys)");
	assert_int_equal(c.secondary.primaries.count, 1);
	assert_int_equal(conf_set(&c, "secondary.notify-allow", "10.0.0.0/8 key k", false, err, sizeof(err)), 0);
	assert_int_equal(c.secondary.notify_allow.count, 1);
	assert_int_equal(c.secondary.notify_allow.rules[0].prefix, 8);
	assert_int_equal(conf_set(&c, "secondary.source", "::1", false, err, sizeof(err)), 0);
	assert_string_equal(c.secondary.source, "::1");
	assert_int_equal(conf_set(&c, "secondary.source", "", false, err, sizeof(err)), FL_ESYNTAX);
	assert_string_equal(err, "secondary.source: length 0 is out of range 1..63");
	assert_string_equal(c.secondary.source, "::1");

	/* per-zone options are not settable from the command line */
	assert_int_equal(conf_set(&c, "zone.role", "secondary", false, err, sizeof(err)), FL_ENOENT);
	assert_string_equal(err, "zone.role: no such option");
	assert_int_equal(conf_set(&c, "secondary.role", "secondary", false, err, sizeof(err)), FL_ENOENT);
	conf_free(&c);
}

static void
test_zone_roles(void **state)
{
	/* zones.role: secondary makes the entries without a role secondary. */
	static const char yaml[] = "zones:\n  role: secondary\n"
				   "secondary:\n  primaries: [ \"192.0.2.1\" ]\n"
				   "zone:\n"
				   "  - domain: a.test\n"
				   "  - domain: b.test\n    role: primary\n"
				   "  - domain: c.test\n    role: secondary\n"
				   "    primaries: [ \"198.51.100.1@5300 key C-Key\", \"198.51.100.2\" ]\n"
				   "    notify-allow: [ \"198.51.100.0/28 key c-key\" ]\n"
				   "    source: 198.51.100.53\n"
				   "  - domain: d.test\n    role: inherit\n";
	conf_t c;
	char err[256];
	uint8_t want[DNAME_MAXLEN];
	int ret = conf_load_mem(yaml, strlen(yaml), "z.yaml", &c, err, sizeof(err));
	if (ret != 0)
		print_error("%s\n", err);
	assert_int_equal(ret, 0);
	assert_int_equal(c.nzone, 4);
	assert_int_equal(c.zone[0].role, 0); /* inherit */
	assert_int_equal(c.zone[1].role, 1); /* primary + 1 */
	assert_int_equal(c.zone[2].role, 2); /* secondary + 1 */
	assert_int_equal(c.zone[3].role, 0);
	assert_int_equal(conf_zone_role(&c, 0), CONF_ROLE_SECONDARY);
	assert_int_equal(conf_zone_role(&c, 1), CONF_ROLE_PRIMARY);
	assert_int_equal(conf_zone_role(&c, 2), CONF_ROLE_SECONDARY);
	assert_int_equal(conf_zone_role(&c, 3), CONF_ROLE_SECONDARY);

	/* per-zone lists and source; the others stay empty (inherit the global ones) */
	assert_int_equal(c.zone[2].primaries.count, 2);
	assert_string_equal(c.zone[2].primaries.v[0].addr.text, "198.51.100.1@5300");
	assert_int_equal(c.zone[2].primaries.v[0].nkeys, 1);
	assert_true(dname_from_str("c-key.", 6, NULL, want) > 0);
	assert_true(dname_eq(c.zone[2].primaries.v[0].key[0], want));
	assert_string_equal(c.zone[2].primaries.v[1].addr.text, "198.51.100.2@53");
	assert_int_equal(c.zone[2].primaries.v[1].nkeys, 0);
	assert_int_equal(c.zone[2].notify_allow.count, 1);
	assert_int_equal(c.zone[2].notify_allow.rules[0].prefix, 28);
	assert_true(c.zone[2].notify_allow.rules[0].has_key);
	assert_true(dname_eq(c.zone[2].notify_allow.rules[0].key, want));
	assert_string_equal(c.zone[2].source, "198.51.100.53");
	for (size_t i = 0; i < 4; i++) {
		if (i == 2)
			continue;
		assert_int_equal(c.zone[i].primaries.count, 0);
		assert_int_equal(c.zone[i].notify_allow.count, 0);
		assert_null(c.zone[i].source);
	}
	assert_int_equal(c.secondary.primaries.count, 1);
	conf_free(&c);

	/* With the default zones.role (primary), entries without a role are primary. */
	static const char dflt[] = "zone:\n  - domain: a.test\n  - domain: b.test\n    role: secondary\n"
				   "  - domain: c.test\n    role: inherit\n";
	assert_int_equal(conf_load_mem(dflt, strlen(dflt), "z.yaml", &c, err, sizeof(err)), 0);
	assert_int_equal(c.nzone, 3);
	assert_int_equal(conf_zone_role(&c, 0), CONF_ROLE_PRIMARY);
	assert_int_equal(conf_zone_role(&c, 1), CONF_ROLE_SECONDARY);
	assert_int_equal(conf_zone_role(&c, 2), CONF_ROLE_PRIMARY);
	/* entries without a role (or with inherit) follow a later change of zones.role */
	assert_int_equal(conf_set(&c, "zones.role", "secondary", false, err, sizeof(err)), 0);
	assert_int_equal(conf_zone_role(&c, 0), CONF_ROLE_SECONDARY);
	assert_int_equal(conf_zone_role(&c, 1), CONF_ROLE_SECONDARY);
	assert_int_equal(conf_zone_role(&c, 2), CONF_ROLE_SECONDARY);
	conf_free(&c);
	static const char prim[] = "zones:\n  role: secondary\nzone:\n  - domain: a.test\n    role: primary\n";
	assert_int_equal(conf_load_mem(prim, strlen(prim), "z.yaml", &c, err, sizeof(err)), 0);
	assert_int_equal(conf_zone_role(&c, 0), CONF_ROLE_PRIMARY);
	conf_free(&c);
}

static void
test_catalogs(void **state)
{
	static const char yaml[] = "zone:\n"
				   "  - domain: catalog.flame.invalid.\n    catalog: producer\n"
				   "  - domain: b.test\n    catalog-group: premium\n"
				   "  - domain: cat.example.\n    role: secondary\n    catalog: consumer\n"
				   "    primaries: [ \"192.0.2.1\" ]\n    catalog-template: std\n"
				   "template:\n"
				   "  - id: std\n    primaries: [ \"198.51.100.1@5300\" ]\n"
				   "  - id: premium\n    notify-allow: [ \"198.51.100.0/28\" ]\n    source: 198.51.100.53\n";
	conf_t c;
	char err[512];
	int ret = conf_load_mem(yaml, strlen(yaml), "c.yaml", &c, err, sizeof(err));
	if (ret != 0)
		print_error("%s\n", err);
	assert_int_equal(ret, 0);
	assert_int_equal(c.zone[0].catalog, CONF_CATALOG_PRODUCER);
	assert_int_equal(c.zone[1].catalog, CONF_CATALOG_NONE);
	assert_string_equal(c.zone[1].catalog_group, "premium");
	assert_int_equal(c.zone[2].catalog, CONF_CATALOG_CONSUMER);
	assert_string_equal(c.zone[2].catalog_template, "std");
	assert_int_equal(c.ntemplate, 2);
	const conf_template_t *t = conf_template_find(&c, "std");
	assert_non_null(t);
	assert_int_equal(t->primaries.count, 1);
	assert_string_equal(t->primaries.v[0].addr.text, "198.51.100.1@5300");
	t = conf_template_find(&c, "premium");
	assert_non_null(t);
	assert_int_equal(t->primaries.count, 0); /* the catalog's own */
	assert_int_equal(t->notify_allow.count, 1);
	assert_string_equal(t->source, "198.51.100.53");
	assert_null(conf_template_find(&c, "nope"));
	conf_free(&c);

	static const struct {
		const char *yaml, *err;
	} bad[] = {
		{ "zone:\n  - domain: a.\n    catalog: producer\n  - domain: b.\n    catalog: producer\n",
		  "c.yaml: zones a. and b. are both 'catalog: producer' (one is allowed)" },
		{ "zone:\n  - domain: a.\n    catalog: producer\n    role: secondary\n",
		  "c.yaml: zone a.: a produced catalog must have role primary" },
		{ "zone:\n  - domain: a.\n    catalog: consumer\n", "c.yaml: zone a.: a consumed catalog must have role secondary" },
		{ "zone:\n  - domain: a.\n    role: secondary\n    catalog: consumer\n    catalog-template: x\n",
		  "c.yaml: zone a.: catalog-template 'x' is not the id of a template entry" },
		{ "template:\n  - id: x\n  - id: x\n", "c.yaml: template id 'x' is used twice" },
		{ "template:\n  - primaries: [ \"192.0.2.1\" ]\n", "c.yaml:2:5: template: every entry needs 'id'" },
		{ "zone:\n  - domain: a.\n    catalog: maybe\n", NULL },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ret = conf_load_mem(bad[i].yaml, strlen(bad[i].yaml), "c.yaml", &c, err, sizeof(err));
		assert_int_equal(ret, FL_ESYNTAX);
		if (bad[i].err != NULL)
			assert_string_equal(err, bad[i].err);
		else
			assert_non_null(strstr(err, "catalog"));
		conf_free(&c);
	}
}

/* Per-zone DNSSEC options: defaults, values, and the ones only primary zones take. */
static void
test_zone_dnssec(void **state)
{
	static const char yaml[] = "zone:\n"
				   "  - domain: a.test\n    dnssec-signing: true\n    zonemd: true\n    dnssec-cds: true\n"
				   "  - domain: b.test\n    zonemd: yes\n"
				   "  - domain: c.test\n    dnssec-validate: false\n";
	conf_t c;
	char err[512];
	int ret = conf_load_mem(yaml, strlen(yaml), "d.yaml", &c, err, sizeof(err));
	if (ret != 0)
		print_error("%s\n", err);
	assert_int_equal(ret, 0);
	assert_true(c.zone[0].dnssec_signing);
	assert_true(c.zone[0].zonemd);
	assert_true(c.zone[1].zonemd);
	assert_false(c.zone[1].dnssec_signing);
	assert_false(c.zone[2].zonemd);
	assert_true(c.zone[0].dnssec_cds);
	assert_false(c.zone[1].dnssec_cds);
	assert_true(c.zone[0].dnssec_validate); /* default on */
	assert_false(c.zone[2].dnssec_validate);
	conf_free(&c);
	static const struct {
		const char *yaml, *err;
	} bad[] = {
		{ "zone:\n  - domain: a.\n    role: secondary\n    zonemd: true\n",
		  "d.yaml: zone a.: zonemd applies to primary zones (a secondary verifies the primary's ZONEMD)" },
		{ "zone:\n  - domain: a.\n    zonemd: sha384\n", NULL },
		{ "zone:\n  - domain: a.\n    dnssec-cds: true\n", "d.yaml: zone a.: dnssec-cds needs dnssec-signing: true" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ret = conf_load_mem(bad[i].yaml, strlen(bad[i].yaml), "d.yaml", &c, err, sizeof(err));
		assert_int_equal(ret, FL_ESYNTAX);
		if (bad[i].err != NULL)
			assert_string_equal(err, bad[i].err);
		else
			assert_non_null(strstr(err, "zonemd"));
		conf_free(&c);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_single_listen_and_set),
		cmocka_unit_test(test_listen_parse),
		cmocka_unit_test(test_transfer_and_keys),
		cmocka_unit_test(test_zone_entries),
		cmocka_unit_test(test_dnssec_timing),
		cmocka_unit_test(test_notify),
		cmocka_unit_test(test_multi_keys),
		cmocka_unit_test(test_secondary_defaults),
		cmocka_unit_test(test_secondary),
		cmocka_unit_test(test_secondary_set),
		cmocka_unit_test(test_zone_roles),
		cmocka_unit_test(test_catalogs),
		cmocka_unit_test(test_zone_dnssec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
