/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Tests for src/server/resign.c on a real libevent loop: a timer in the
 * past fires at once, one a second ahead about a second later; zones due
 * together reach the callback in one batch (at most RESIGN_BATCH, the rest
 * in later batches); re-arming replaces the time; a disarmed zone never
 * fires; the armed count and resign_when follow; freeing with a timer
 * pending cancels it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <event2/event.h>
#include <stdio.h>
#include <string.h>

#include "server/resign.h"
#include "tu.h"

typedef struct {
	size_t calls, zones, largest;
	char names[300][32];
} seen_t;

static void
on_due(void *arg, const uint8_t *const *origins, size_t n)
{
	seen_t *s = arg;
	s->calls++;
	if (n > s->largest)
		s->largest = n;
	for (size_t i = 0; i < n && s->zones < 300; i++)
		dname_to_str(origins[i], s->names[s->zones++], sizeof(s->names[0]));
}

static bool
fired(const seen_t *s, const char *name)
{
	for (size_t i = 0; i < s->zones; i++)
		if (strcmp(s->names[i], name) == 0)
			return true;
	return false;
}

static void
run_for(struct event_base *base, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static void
test_timers(void **state)
{
	struct event_base *base = event_base_new();
	seen_t s = { 0 };
	resign_t *r = resign_new(base, on_due, &s);
	uint8_t a[DNAME_MAXLEN], b[DNAME_MAXLEN], c[DNAME_MAXLEN];
	tu_name("a.test.", a);
	tu_name("b.test.", b);
	tu_name("c.test.", c);
	time_t now = time(NULL);
	assert_int_equal(resign_arm(r, a, now - 10), 0);  /* overdue: at once */
	assert_int_equal(resign_arm(r, b, now + 1), 0);
	assert_int_equal(resign_arm(r, c, now + 1), 0);
	assert_int_equal(resign_armed(r), 3);
	assert_int_equal(resign_when(r, b), now + 1);
	resign_disarm(r, c);
	resign_disarm(r, c); /* twice: fine */
	assert_int_equal(resign_armed(r), 2);
	assert_int_equal(resign_when(r, c), 0);
	run_for(base, 300);
	assert_int_equal(s.zones, 1);
	assert_true(fired(&s, "a.test."));
	assert_int_equal(resign_armed(r), 1);
	/* re-arming b into the past replaces its time */
	assert_int_equal(resign_arm(r, b, now - 1), 0);
	assert_int_equal(resign_armed(r), 1);
	run_for(base, 300);
	assert_int_equal(s.zones, 2);
	assert_true(fired(&s, "b.test."));
	assert_false(fired(&s, "c.test."));
	assert_int_equal(resign_armed(r), 0);
	/* freed with a timer pending: cancelled, nothing leaks */
	assert_int_equal(resign_arm(r, c, now + 100), 0);
	resign_free(r);
	event_base_free(base);
}

static void
test_batches(void **state)
{
	struct event_base *base = event_base_new();
	seen_t s = { 0 };
	resign_t *r = resign_new(base, on_due, &s);
	time_t now = time(NULL);
	for (int i = 0; i < 150; i++) {
		char name[32];
		uint8_t w[DNAME_MAXLEN];
		snprintf(name, sizeof(name), "z%d.test.", i);
		tu_name(name, w);
		assert_int_equal(resign_arm(r, w, now), 0);
	}
	assert_int_equal(resign_armed(r), 150);
	run_for(base, 300);
	/* 150 due together: 64 + 64 + 22 */
	assert_int_equal(s.zones, 150);
	assert_int_equal(s.calls, 3);
	assert_int_equal(s.largest, RESIGN_BATCH);
	assert_true(fired(&s, "z0.test.") && fired(&s, "z149.test."));
	assert_int_equal(resign_armed(r), 0);
	/* a second lap reuses the entries */
	uint8_t w[DNAME_MAXLEN];
	tu_name("z7.test.", w);
	assert_int_equal(resign_arm(r, w, now + 1), 0);
	assert_int_equal(resign_armed(r), 1);
	run_for(base, 1600);
	assert_int_equal(s.zones, 151);
	assert_string_equal(s.names[150], "z7.test.");
	resign_free(r);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timers),
		cmocka_unit_test(test_batches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
