/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Tests for src/zone/serial.c: RFC 1982 comparison (wrap, the undefined
 * pair), policy names, and each serial policy: keep (refusal message),
 * increment, unixtime and dateserial, including a serial lowered by hand,
 * several changes a day, day rollover and the wrap at 2^32.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "util/err.h"
#include "zone/serial.h"

/* 2024-01-01T12:00:00Z and later days */
#define JAN1 ((time_t)1704110400)
#define DAY ((time_t)86400)

static void
test_rfc1982_compare(void **state)
{
	assert_int_equal(serial_cmp(5, 5), 0);
	assert_true(serial_cmp(6, 5) > 0);
	assert_true(serial_cmp(5, 6) < 0);
	/* wrap: 0 follows 4294967295, 1 follows 4294967000 */
	assert_true(serial_gt(0, 0xffffffffu));
	assert_false(serial_gt(0xffffffffu, 0));
	assert_true(serial_cmp(1, 4294967000u) > 0);
	assert_true(serial_cmp(4294967000u, 1) < 0);
	/* the largest defined distance, 2^31 - 1, both ways */
	assert_true(serial_gt(0x7fffffffu, 0));
	assert_false(serial_gt(0, 0x7fffffffu));
	assert_true(serial_gt(0, 0x80000001u)); /* 0 - 0x80000001 = 2^31 - 1 */
	assert_false(serial_gt(0x80000001u, 0));
	/* exactly 2^31 apart: undefined, neither is greater, cmp says "less" both ways */
	static const uint32_t pairs[][2] = { { 0, 0x80000000u }, { 1, 0x80000001u }, { 0xffffffffu, 0x7fffffffu } };
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		uint32_t a = pairs[i][0], b = pairs[i][1];
		assert_false(serial_defined(a, b));
		assert_false(serial_defined(b, a));
		assert_false(serial_gt(a, b));
		assert_false(serial_gt(b, a));
		assert_true(serial_cmp(a, b) < 0);
		assert_true(serial_cmp(b, a) < 0);
	}
	assert_true(serial_defined(5, 5));
	assert_true(serial_defined(0, 0x7fffffffu));
	/* addition */
	assert_int_equal(serial_add(0xffffffffu, 1), 0);
	assert_int_equal(serial_add(10, 0xffffffffu), 10u + 0x7fffffffu); /* clamped to 2^31 - 1 */
	assert_true(serial_gt(serial_add(123, 0x7fffffffu), 123));
}

static void
test_policy_names(void **state)
{
	assert_int_equal(serial_policy_parse("keep"), SERIAL_KEEP);
	assert_int_equal(serial_policy_parse("increment"), SERIAL_INCREMENT);
	assert_int_equal(serial_policy_parse("UnixTime"), SERIAL_UNIXTIME);
	assert_int_equal(serial_policy_parse("dateserial"), SERIAL_DATESERIAL);
	assert_int_equal(serial_policy_parse("date"), FL_EINVAL);
	assert_int_equal(serial_policy_parse(""), FL_EINVAL);
	assert_int_equal(serial_policy_parse(NULL), FL_EINVAL);
	for (int p = SERIAL_KEEP; p <= SERIAL_DATESERIAL; p++)
		assert_int_equal(serial_policy_parse(serial_policy_str((serial_policy_t)p)), p);
	assert_string_equal(serial_policy_str((serial_policy_t)42), "?");
}

static void
test_keep(void **state)
{
	uint32_t out = 0;
	char why[256];
	/* first load: whatever the file says */
	assert_int_equal(serial_next(SERIAL_KEEP, 0, false, 0, JAN1, &out, why, sizeof(why)), 0);
	assert_int_equal(out, 0);
	assert_int_equal(serial_next(SERIAL_KEEP, 2024010101, true, 2024010100, JAN1, &out, why, sizeof(why)), 0);
	assert_int_equal(out, 2024010101);
	assert_string_equal(why, "");
	/* not greater: refused, out untouched, and the message says what to do */
	out = 99;
	assert_int_equal(serial_next(SERIAL_KEEP, 2024010101, true, 2024010102, JAN1, &out, why, sizeof(why)),
			 FL_ESEMANTIC);
	assert_int_equal(out, 99);
	assert_string_equal(why, "serial 2024010101 in the file is not greater than the served 2024010102; "
				 "raise it above 2024010102 (or use serial-policy increment)");
	assert_int_equal(serial_next(SERIAL_KEEP, 7, true, 7, JAN1, &out, why, sizeof(why)), FL_ESEMANTIC);
	/* across the wrap */
	assert_int_equal(serial_next(SERIAL_KEEP, 3, true, 0xfffffff0u, JAN1, &out, why, sizeof(why)), 0);
	assert_int_equal(out, 3);
	/* undefined pair */
	assert_int_equal(serial_next(SERIAL_KEEP, 0x80000005u, true, 5, JAN1, &out, why, sizeof(why)), FL_ESEMANTIC);
	assert_non_null(strstr(why, "2^31"));
	/* no buffer for the reason is fine; a short one is truncated */
	assert_int_equal(serial_next(SERIAL_KEEP, 1, true, 2, JAN1, &out, NULL, 0), FL_ESEMANTIC);
	char tiny[8];
	assert_int_equal(serial_next(SERIAL_KEEP, 1, true, 2, JAN1, &out, tiny, sizeof(tiny)), FL_ESEMANTIC);
	assert_int_equal(strlen(tiny), 7);
}

static void
test_increment(void **state)
{
	uint32_t out = 0;
	char why[256];
	assert_int_equal(serial_next(SERIAL_INCREMENT, 42, false, 0, JAN1, &out, why, sizeof(why)), 0);
	assert_int_equal(out, 42);
	assert_int_equal(serial_next(SERIAL_INCREMENT, 42, true, 100, JAN1, &out, why, sizeof(why)), 0);
	assert_int_equal(out, 101);
	/* the file serial lowered by hand does not matter */
	assert_int_equal(serial_next(SERIAL_INCREMENT, 1, true, 2024010105, JAN1, &out, why, sizeof(why)), 0);
	assert_int_equal(out, 2024010106);
	/* wrap: 4294967295 + 1 = 0, which is greater */
	assert_int_equal(serial_next(SERIAL_INCREMENT, 0, true, 0xffffffffu, JAN1, &out, why, sizeof(why)), 0);
	assert_int_equal(out, 0);
	assert_true(serial_gt(out, 0xffffffffu));
}

static void
test_unixtime(void **state)
{
	uint32_t out = 0;
	char why[256];
	assert_int_equal(serial_next(SERIAL_UNIXTIME, 1, false, 0, JAN1, &out, why, sizeof(why)), 0);
	assert_int_equal(out, (uint32_t)JAN1);
	assert_int_equal(serial_next(SERIAL_UNIXTIME, 1, true, 1000, JAN1, &out, why, sizeof(why)), 0);
	assert_int_equal(out, (uint32_t)JAN1);
	assert_string_equal(why, "");
	/* two changes in the same second, a clock that went back, or a dateserial
	 * served before (2024010100 > 1704110400): count up from the served one */
	assert_int_equal(serial_next(SERIAL_UNIXTIME, 1, true, (uint32_t)JAN1, JAN1, &out, why, sizeof(why)), 0);
	assert_int_equal(out, (uint32_t)JAN1 + 1);
	assert_non_null(strstr(why, "not greater"));
	assert_int_equal(serial_next(SERIAL_UNIXTIME, 1, true, 2024010100, JAN1, &out, why, sizeof(why)), 0);
	assert_int_equal(out, 2024010101);
	/* now exactly 2^31 away from the served serial: undefined, so served + 1 */
	uint32_t served = (uint32_t)JAN1 + 0x80000000u;
	assert_int_equal(serial_next(SERIAL_UNIXTIME, 1, true, served, JAN1, &out, why, sizeof(why)), 0);
	assert_int_equal(out, served + 1);
	assert_true(serial_gt(out, served));
	/* served just below the wrap, now small after it: greater per RFC 1982 */
	assert_int_equal(serial_next(SERIAL_UNIXTIME, 1, true, 0xffffff00u, 1000, &out, why, sizeof(why)), 0);
	assert_int_equal(out, 1000);
}

static void
test_dateserial(void **state)
{
	uint32_t out = 0;
	char why[256];
	/* first load and the first change of a day: YYYYMMDD00 (UTC) */
	assert_int_equal(serial_next(SERIAL_DATESERIAL, 1, false, 0, JAN1, &out, why, sizeof(why)), 0);
	assert_int_equal(out, 2024010100);
	assert_int_equal(serial_next(SERIAL_DATESERIAL, 1, true, 2023123107, JAN1, &out, why, sizeof(why)), 0);
	assert_int_equal(out, 2024010100);
	/* later changes that day count up */
	uint32_t served = out;
	for (int i = 1; i <= 5; i++) {
		assert_int_equal(serial_next(SERIAL_DATESERIAL, 1, true, served, JAN1 + i * 600, &out, why, sizeof(why)), 0);
		assert_int_equal(out, 2024010100u + (uint32_t)i);
		served = out;
	}
	/* next day: back to nn = 00 */
	assert_int_equal(serial_next(SERIAL_DATESERIAL, 1, true, served, JAN1 + DAY, &out, why, sizeof(why)), 0);
	assert_int_equal(out, 2024010200);
	/* month and year rollover, leap day, UTC not local time (23:59:59Z) */
	assert_int_equal(serial_next(SERIAL_DATESERIAL, 1, false, 0, (time_t)1709251199, &out, why, sizeof(why)), 0);
	assert_int_equal(out, 2024022900);
	assert_int_equal(serial_next(SERIAL_DATESERIAL, 1, false, 0, (time_t)1735689600, &out, why, sizeof(why)), 0);
	assert_int_equal(out, 2025010100);
	/* a served serial from the future (more than 99 changes, or a hand-set
	 * one): served + 1, never down */
	assert_int_equal(serial_next(SERIAL_DATESERIAL, 1, true, 2024050100, JAN1, &out, why, sizeof(why)), 0);
	assert_int_equal(out, 2024050101);
	/* served near the wrap and today's value exactly 2^31 away: served + 1 */
	served = 2024010100u + 0x80000000u;
	assert_int_equal(serial_next(SERIAL_DATESERIAL, 1, true, served, JAN1, &out, why, sizeof(why)), 0);
	assert_int_equal(out, served + 1);
	/* times that are no date serial */
	assert_int_equal(serial_next(SERIAL_DATESERIAL, 1, false, 0, (time_t)-86400, &out, why, sizeof(why)), FL_ERANGE);
	assert_non_null(strstr(why, "YYYYMMDDnn"));
	assert_int_equal(serial_next(SERIAL_DATESERIAL, 1, false, 0, (time_t)80000000000LL, &out, why, sizeof(why)),
			 FL_ERANGE);
}

static void
test_bad_policy(void **state)
{
	uint32_t out = 5;
	char why[64];
	assert_int_equal(serial_next((serial_policy_t)9, 1, true, 2, JAN1, &out, why, sizeof(why)), FL_EINVAL);
	assert_int_equal(out, 5);
	assert_non_null(strstr(why, "unknown serial policy"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1982_compare), cmocka_unit_test(test_policy_names),
		cmocka_unit_test(test_keep),            cmocka_unit_test(test_increment),
		cmocka_unit_test(test_unixtime),        cmocka_unit_test(test_dateserial),
		cmocka_unit_test(test_bad_policy),
	};
	return cmocka_run_group_tests_name("serial", tests, NULL, NULL);
}
