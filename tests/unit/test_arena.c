/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Tests for src/util/arena.c: fixed chunks, growing chunks (a small arena
 * stays small, chunks double up to the cap, big requests get their own
 * chunk), alignment, and that data survives new chunks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <string.h>

#include "util/arena.h"

static void
test_fixed(void **state)
{
	(void)state;
	arena_t a;
	arena_init(&a, 4096);
	uint8_t *p = arena_alloc_bytes(&a, 10);
	assert_non_null(p);
	assert_true(a.total >= 4096 && a.total < 4096 + 64);
	for (int i = 0; i < 100; i++)
		assert_int_equal((uintptr_t)arena_alloc(&a, 3) % 8, 0);
	arena_free(&a);
}

static void
test_growing(void **state)
{
	(void)state;
	arena_t a;
	arena_init_growing(&a, 1024, 16384);
	uint8_t *first = arena_memdup(&a, "hello", 6);
	/* a small changeset costs one small chunk, not the cap */
	assert_true(a.total < 1024 + 64);
	/* filling it: chunks of 1024, 2048, 4096, 8192, then 16384 each */
	size_t before = a.total;
	for (int i = 0; i < 200; i++)
		assert_non_null(arena_alloc_bytes(&a, 200));
	assert_true(a.total - before <= 2048 + 4096 + 8192 + 16384 + 16384 + 5 * 64);
	assert_int_equal(a.next, 0); /* reached the cap: fixed from now on */
	/* a big request: a chunk of its own, the current chunk kept */
	before = a.total;
	uint8_t *big = arena_alloc_bytes(&a, 100000);
	assert_non_null(big);
	assert_true(a.total - before < 100000 + 64);
	memset(big, 0xab, 100000);
	assert_string_equal((const char *)first, "hello");
	arena_free(&a);
	assert_int_equal(a.total, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed),
		cmocka_unit_test(test_growing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
