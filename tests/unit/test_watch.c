/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Unit tests for the pure parts of src/server/watch.c: the zone file name
 * filter and the debounce queue (quiet period, cap, a file being written,
 * floods and streams batched, rescan). Time is passed in, so no inotify and
 * no sleeping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "server/watch.h"

#define MS 1000u /* µs */

static void
test_names(void **state)
{
	assert_true(watch_is_zone_name("example.com.zone"));
	assert_true(watch_is_zone_name("a.zone"));
	assert_true(watch_is_zone_name("..zone")); /* the root zone */
	assert_false(watch_is_zone_name("example.com.zone~"));
	assert_false(watch_is_zone_name(".#example.com.zone"));
	assert_false(watch_is_zone_name(".example.com.zone.swp"));
	assert_false(watch_is_zone_name(".example.com.zone.Ab12Cd")); /* rsync */
	assert_false(watch_is_zone_name("#example.com.zone#"));
	assert_false(watch_is_zone_name("example.com.zone.tmp"));
	assert_false(watch_is_zone_name("4913"));
	assert_false(watch_is_zone_name(".zone"));
	assert_false(watch_is_zone_name("a..b.zone"));
	assert_false(watch_is_zone_name("example.com..zone"));
}

static void
test_quiet_and_cap(void **state)
{
	watch_pend_t *p = watch_pend_new(25, 500, 64);
	watch_batch_t b;
	assert_non_null(p);
	assert_int_equal(watch_pend_deadline(p), UINT64_MAX);
	assert_false(watch_pend_take(p, 1000 * MS, &b));

	/* A burst on one file is one entry, due 25 ms after its last event. */
	uint64_t t = 1000 * MS;
	for (int i = 0; i < 10; i++)
		assert_int_equal(watch_pend_touch(p, "a.zone", false, WATCH_EV_DONE, t + (uint64_t)i * MS), 0);
	assert_int_equal(watch_pend_count(p), 1);
	assert_int_equal(watch_pend_deadline(p), t + 9 * MS + 25 * MS);
	assert_false(watch_pend_take(p, t + 33 * MS, &b));
	assert_true(watch_pend_take(p, t + 34 * MS, &b));
	assert_int_equal(b.nzones, 1);
	assert_string_equal(b.zones[0], "a.zone");
	assert_int_equal(b.nincludes, 0);
	assert_false(b.rescan);
	assert_int_equal(b.first_us, t);
	assert_int_equal(b.last_us, t + 9 * MS);
	assert_int_equal(watch_pend_count(p), 0);

	/* A file written without pause is still reloaded at the cap. */
	t = 5000 * MS;
	for (uint64_t k = 0; k < 600; k += 10)
		watch_pend_touch(p, "b.zone", false, WATCH_EV_DONE, t + k * MS);
	assert_int_equal(watch_pend_deadline(p), t + 500 * MS);

	/* CREATE alone is nothing; CREATE on a pending file waits for DONE. */
	t = 9000 * MS;
	assert_true(watch_pend_take(p, t, &b));
	assert_int_equal(watch_pend_touch(p, "c.zone", false, WATCH_EV_CREATE, t), 0);
	assert_int_equal(watch_pend_count(p), 0);
	watch_pend_touch(p, "c.zone", false, WATCH_EV_DONE, t);
	watch_pend_touch(p, "c.zone", false, WATCH_EV_CREATE, t + 1 * MS);
	assert_int_equal(watch_pend_deadline(p), t + 500 * MS);
	watch_pend_touch(p, "c.zone", false, WATCH_EV_DONE, t + 40 * MS);
	assert_int_equal(watch_pend_deadline(p), t + 65 * MS);
	assert_true(watch_pend_take(p, t + 65 * MS, &b));

	/* Includes come back as includes. */
	t = 20000 * MS;
	watch_pend_touch(p, "/z/include/x.inc", true, WATCH_EV_DONE, t);
	assert_true(watch_pend_take(p, t + 25 * MS, &b));
	assert_int_equal(b.nzones, 0);
	assert_int_equal(b.nincludes, 1);
	assert_string_equal(b.includes[0], "/z/include/x.inc");
	watch_pend_free(p);
}

/* A rename into place is complete: due after the short quiet, also when the
 * same file is saved again and again; as soon as two files are pending in
 * a busy directory, the stream rule (the whole directory quiet for 25 ms)
 * applies again. */
static void
test_moved_quick(void **state)
{
	watch_pend_t *p = watch_pend_new(25, 500, 64);
	watch_batch_t b;
	assert_non_null(p);
	uint64_t t = 1000 * MS;
	assert_int_equal(watch_pend_touch(p, "a.zone", false, WATCH_EV_MOVED, t), 0);
	assert_int_equal(watch_pend_deadline(p), t + WATCH_MOVED_QUIET_MS * MS);
	assert_false(watch_pend_take(p, t + WATCH_MOVED_QUIET_MS * MS - 1, &b));
	assert_true(watch_pend_take(p, t + WATCH_MOVED_QUIET_MS * MS, &b));
	assert_int_equal(b.nzones, 1);
	/* Saved again 50 ms later (within the cap of the previous batch): still quick. */
	t += 50 * MS;
	watch_pend_touch(p, "a.zone", false, WATCH_EV_MOVED, t);
	assert_int_equal(watch_pend_deadline(p), t + WATCH_MOVED_QUIET_MS * MS);
	assert_true(watch_pend_take(p, t + WATCH_MOVED_QUIET_MS * MS, &b));
	assert_int_equal(b.nzones, 1); /* the take agrees with the deadline */
	assert_int_equal(watch_pend_count(p), 0);
	/* A written (not renamed) file keeps the 25 ms quiet. */
	t += 50 * MS;
	watch_pend_touch(p, "a.zone", false, WATCH_EV_DONE, t);
	assert_int_equal(watch_pend_deadline(p), t + 25 * MS);
	assert_true(watch_pend_take(p, t + 25 * MS, &b));
	/* Two files renamed in a busy directory: one batch after 25 ms of quiet. */
	t += 50 * MS;
	watch_pend_touch(p, "b.zone", false, WATCH_EV_MOVED, t);
	watch_pend_touch(p, "c.zone", false, WATCH_EV_MOVED, t + 1 * MS);
	assert_int_equal(watch_pend_deadline(p), t + 1 * MS + 25 * MS);
	assert_true(watch_pend_take(p, t + 26 * MS, &b));
	assert_int_equal(b.nzones, 2);
	watch_pend_free(p);
}

static void
test_flood_and_stream(void **state)
{
	watch_pend_t *p = watch_pend_new(25, 500, 64);
	watch_batch_t b;
	char name[32];
	uint64_t t = 1000 * MS;

	/* 2,000 files created within 100 ms: one batch when the directory is quiet. */
	for (int i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "z%d.zone", i);
		assert_int_equal(watch_pend_touch(p, name, false, WATCH_EV_DONE, t + (uint64_t)i * 50), 0);
	}
	uint64_t last = t + 1999 * 50;
	assert_int_equal(watch_pend_deadline(p), last + 25 * MS);
	assert_false(watch_pend_take(p, last + 24 * MS, &b));
	assert_true(watch_pend_take(p, last + 25 * MS, &b));
	assert_int_equal(b.nzones, 2000);
	assert_int_equal(watch_pend_count(p), 0);

	/* A stream (one new file every 2 ms for 1.2 s, fewer than 64 pending
	 * at a time): a handful of batches, not one per quiet period. */
	t = 10000 * MS;
	int batches = 0;
	size_t files = 0;
	for (uint64_t now = t; now < t + 1300 * MS; now += MS) {
		if (now < t + 1200 * MS && (now - t) % (2 * MS) == 0) {
			snprintf(name, sizeof(name), "s%llu.zone", (unsigned long long)now);
			watch_pend_touch(p, name, false, WATCH_EV_DONE, now);
		}
		if (watch_pend_deadline(p) <= now && watch_pend_take(p, now, &b)) {
			batches++;
			files += b.nzones;
		}
	}
	assert_int_equal(files, 600);
	assert_in_range(batches, 2, 6);
	watch_pend_free(p);
}

static void
test_rescan(void **state)
{
	watch_pend_t *p = watch_pend_new(25, 500, 64);
	watch_batch_t b;
	uint64_t t = 1000 * MS;
	watch_pend_touch(p, "a.zone", false, WATCH_EV_DONE, t);
	watch_pend_rescan(p, t + 1 * MS);
	assert_true(watch_pend_take(p, t + 26 * MS, &b));
	assert_true(b.rescan);
	assert_int_equal(b.nzones, 0); /* everything is reloaded anyway */
	assert_int_equal(watch_pend_count(p), 0);
	assert_int_equal(watch_pend_deadline(p), UINT64_MAX);
	watch_pend_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_quiet_and_cap),
		cmocka_unit_test(test_moved_quick),
		cmocka_unit_test(test_flood_and_stream),
		cmocka_unit_test(test_rescan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
