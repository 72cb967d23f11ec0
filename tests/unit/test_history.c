/* SPDX-License-Identifier: MIT */
/** \file Tests for src/zone/history.c: chaining, limits, lookup, sharing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tu.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "zone/history.h"

static const uint8_t apex[] = "\7example\3com";

static void
make_cs(changeset_t *c, uint32_t from, uint32_t to, int nadd)
{
	uint8_t rd[64];
	memcpy(rd, "\2ns\7example\3com\0\1h\7example\3com", 31);
	changeset_init(c);
	wire_set_u32(rd + 31, from);
	memset(rd + 35, 0, 16);
	assert_int_equal(changeset_set_soa(c, false, apex, 3600, rd, 51), 0);
	wire_set_u32(rd + 31, to);
	assert_int_equal(changeset_set_soa(c, true, apex, 3600, rd, 51), 0);
	for (int i = 0; i < nadd; i++)
		assert_int_equal(changeset_add(c, apex, RR_TXT, 60, (const uint8_t *)"\3abc", 4), 0);
}

static void
test_chain_and_limits(void **state)
{
	zone_history_limits_t lim = { 3, 0 };
	zone_history_t *h = NULL;
	for (uint32_t s = 1; s <= 5; s++) {
		changeset_t cs;
		make_cs(&cs, s, s + 1, 1);
		zone_history_t *n = zone_history_extend(h, &cs, &lim);
		assert_non_null(n);
		assert_int_equal(cs.add.count, 0); /* moved */
		changeset_clear(&cs);
		zone_history_unref(h); /* the new one shares what it keeps */
		h = n;
	}
	assert_int_equal(zone_history_count(h), 3);
	assert_int_equal(zone_history_first_serial(h), 3);
	assert_int_equal(zone_history_last_serial(h), 6);
	const changeset_t *const *list;
	size_t n;
	assert_int_equal(zone_history_from(h, 4, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(changeset_serial_from(list[0]), 4);
	assert_int_equal(changeset_serial_to(list[1]), 6);
	assert_int_equal(zone_history_from(h, 2, &list, &n), FL_ENOENT); /* trimmed away */
	assert_int_equal(zone_history_from(h, 6, &list, &n), FL_ENOENT); /* current: nothing to send */

	/* a changeset that does not chain is refused and left to the caller */
	changeset_t bad;
	make_cs(&bad, 9, 10, 1);
	assert_null(zone_history_extend(h, &bad, &lim));
	assert_int_equal(bad.add.count, 1);
	changeset_clear(&bad);

	/* byte limit: only the newest fits */
	changeset_t big;
	make_cs(&big, 6, 7, 200);
	zone_history_limits_t small = { 0, changeset_wire_size(&big) + 10 };
	zone_history_t *h2 = zone_history_extend(h, &big, &small);
	assert_non_null(h2);
	assert_int_equal(zone_history_count(h2), 1);
	assert_int_equal(zone_history_first_serial(h2), 6);
	changeset_clear(&big);
	/* both histories stay valid independently */
	zone_history_unref(h);
	assert_int_equal(zone_history_last_serial(h2), 7);
	zone_history_unref(h2);
	zone_history_unref(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_chain_and_limits) };
	return cmocka_run_group_tests_name("history", tests, NULL, NULL);
}
