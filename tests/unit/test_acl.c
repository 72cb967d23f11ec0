/* SPDX-License-Identifier: MIT */
/** \file Tests for src/xfr/acl.c: rule syntax, prefixes, keys, mapped addresses, default deny. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "util/err.h"
#include "xfr/acl.h"

static struct sockaddr_storage
sa(const char *ip)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1)
		s4->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1)
		s6->sin6_family = AF_INET6;
	return ss;
}

static bool
m(const acl_t *a, const char *ip, const uint8_t *key)
{
	struct sockaddr_storage ss = sa(ip);
	return acl_match(a, (struct sockaddr *)&ss, key);
}

static void
test_rules(void **state)
{
	acl_rule_t r[3];
	assert_int_equal(acl_rule_parse("198.51.100.0/24", &r[0]), 0);
	assert_int_equal(acl_rule_parse("fd53:f1a3::/64 key NS2-Key", &r[1]), 0);
	assert_int_equal(acl_rule_parse("127.0.0.1", &r[2]), 0);
	assert_int_equal(r[2].prefix, 32);
	assert_true(r[1].has_key);
	assert_memory_equal(r[1].key, "\7ns2-key", 9);
	acl_t a = { r, 3 };
	static const uint8_t k2[] = "\7ns2-key";
	static const uint8_t other[] = "\5other";
	assert_true(m(&a, "198.51.100.77", NULL));
	assert_false(m(&a, "198.51.101.1", NULL));
	assert_true(m(&a, "127.0.0.1", other));      /* no key required: any verified key is fine */
	assert_true(m(&a, "::ffff:127.0.0.1", NULL)); /* v4-mapped */
	assert_false(m(&a, "fd53:f1a3::2", NULL));    /* key required */
	assert_false(m(&a, "fd53:f1a3::2", other));
	assert_true(m(&a, "fd53:f1a3::2", k2));
	assert_false(m(&a, "fd53:f1a4::2", k2));
	acl_t empty = { NULL, 0 };
	assert_false(m(&empty, "127.0.0.1", NULL)); /* default: nobody */
	/* odd prefixes */
	acl_rule_t p;
	assert_int_equal(acl_rule_parse("198.51.100.128/25", &p), 0);
	acl_t one = { &p, 1 };
	assert_true(m(&one, "198.51.100.200", NULL));
	assert_false(m(&one, "198.51.100.100", NULL));
	/* syntax errors */
	const char *bad[] = { "", "1.2.3.4/33", "1.2.3.4/", "1.2.3", "::1/129", "1.2.3.4 kye x", "1.2.3.4 key ",
			      "1.2.3.4/x", "host.example" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (acl_rule_parse(bad[i], &p) != FL_ESYNTAX)
			fail_msg("accepted '%s'", bad[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_rules) };
	return cmocka_run_group_tests_name("acl", tests, NULL, NULL);
}
