/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Unit tests for src/conf/conf.c: a full config, the defaults from the
 * schema table, every kind of error with its exact file:line:column,
 * command-line style overrides (conf_set) and listen address parsing.
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
	{ "transfer:\n  allow: [ \"1.2.3.4/40\" ]\n", "b.yaml:2:12: transfer.allow: bad rule '1.2.3.4/40' (expected ADDR[/LEN] [key NAME])" },
	{ "transfer:\n  allow: [ \"::1 kye k\" ]\n", "b.yaml:2:12: transfer.allow: bad rule '::1 kye k' (expected ADDR[/LEN] [key NAME])" },
	{ "keys:\n  files: { a: 1 }\n", "b.yaml:2:10: keys.files: expected a value, got a mapping" },
	{ "zone:\n  domain: x\n", "b.yaml:2:3: section 'zone' must be a list of mappings" },
	{ "zone:\n  - transfer-allow: [ \"::1\" ]\n", "b.yaml:2:5: zone: every entry needs 'domain'" },
	{ "zone:\n  - domain: a..b\n", "b.yaml:2:5: zone: 'a..b' is not a domain name" },
	{ "zone:\n  - domain: a.test\n    colour: red\n", "b.yaml:3:5: unknown key 'colour' in section 'zone'" },
	{ "zone:\n  - domain: a.test\n    serial-policy: sometimes\n", "b.yaml:3:20: zone.serial-policy: unknown value 'sometimes', expected one of: inherit|keep|increment|unixtime|dateserial" },
	/* notify */
	{ "notify:\n  targets: [ \"1.2.3.4@99999\" ]\n", "b.yaml:2:14: notify.targets: bad target '1.2.3.4@99999' (expected ADDR@PORT [key NAME])" },
	{ "notify:\n  targets: [ \"::1@53 kye k\" ]\n", "b.yaml:2:14: notify.targets: bad target '::1@53 kye k' (expected ADDR@PORT [key NAME])" },
	{ "notify:\n  targets: [ \"127.0.0.1 key k extra\" ]\n", "b.yaml:2:14: notify.targets: bad target '127.0.0.1 key k extra' (expected ADDR@PORT [key NAME])" },
	{ "notify:\n  targets: [ \"127.0.0.1 key\" ]\n", "b.yaml:2:14: notify.targets: bad target '127.0.0.1 key' (expected ADDR@PORT [key NAME])" },
	{ "notify:\n  targets: [ \"ns2.example.com@53\" ]\n", "b.yaml:2:14: notify.targets: bad target 'ns2.example.com@53' (expected ADDR@PORT [key NAME])" },
	{ "notify:\n  targets: { a: 1 }\n", "b.yaml:2:12: notify.targets: expected a value, got a mapping" },
	{ "notify:\n  retries: 0\n", "b.yaml:2:12: notify.retries: 0 is out of range 1..20" },
	{ "notify:\n  timeout-ms: 5\n", "b.yaml:2:15: notify.timeout-ms: 5 is out of range 10..60000" },
	{ "notify:\n  retry: 3\n", "b.yaml:2:3: unknown key 'retry' in section 'notify'" },
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
	assert_true(c.notify.targets.v[0].has_key);
	/* lowercased, absolute */
	assert_true(dname_from_str("transfer-key.", 13, NULL, want) > 0);
	assert_true(dname_eq(c.notify.targets.v[0].key, want));
	assert_string_equal(c.notify.targets.v[1].addr.text, "fd53:f1a3::2@53");
	assert_int_equal(c.notify.targets.v[1].addr.addr.ss_family, AF_INET6);
	assert_false(c.notify.targets.v[1].has_key);
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
	assert_string_equal(err, "notify.targets: bad target 'bad@' (expected ADDR@PORT [key NAME])");
	conf_free(&c);
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
		cmocka_unit_test(test_notify),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
