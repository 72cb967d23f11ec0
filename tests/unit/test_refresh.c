/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Tests for src/xfr/refresh.c: SOA timers from rdata written here octet by
 * octet (two uncompressed names and five 32-bit numbers), clamped to the
 * limits, expire kept at least as long as refresh, malformed rdata falling
 * back to the minimums; and the jitter bounds [secs*1000 - secs*100,
 * secs*1000] ms checked for edge and seeded random inputs (bounds computed
 * here in 64 bits from the documented formula), plus that the jitter
 * really spreads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "xfr/refresh.h"

/* "ns1.example.com." and "hostmaster.example.com." in wire form (sizeof
 * includes the literal's NUL: the root label). */
static const uint8_t mname[] = "\x03" "ns1" "\x07" "example" "\x03" "com";
static const uint8_t rname[] = "\x0a" "hostmaster" "\x07" "example" "\x03" "com";

/* The limits of most tests: refresh 60..86400, retry 10..3600, expire 600..2419200. */
static const refresh_limits_t lim = { 60, 86400, 10, 3600, 600, 2419200 };

typedef struct {
	uint8_t b[1024];
	uint16_t len;
} rd_t;

static void
put(rd_t *r, const void *p, size_t n)
{
	assert_true(r->len + n <= sizeof(r->b));
	memcpy(r->b + r->len, p, n);
	r->len = (uint16_t)(r->len + n);
}

static void
put32(rd_t *r, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	put(r, b, 4);
}

static void
nums(rd_t *r, uint32_t serial, uint32_t refresh, uint32_t retry, uint32_t expire, uint32_t minimum)
{
	put32(r, serial);
	put32(r, refresh);
	put32(r, retry);
	put32(r, expire);
	put32(r, minimum);
}

/* A well-formed SOA rdata with the usual names. */
static rd_t
soa(uint32_t refresh, uint32_t retry, uint32_t expire)
{
	rd_t r = { .len = 0 };
	put(&r, mname, sizeof(mname));
	put(&r, rname, sizeof(rname));
	nums(&r, 2024010101u, refresh, retry, expire, 300);
	return r;
}

static refresh_timers_t
timers(const rd_t *r, const refresh_limits_t *l, bool want_ok)
{
	refresh_timers_t t;
	memset(&t, 0xa5, sizeof(t)); /* every field must be written */
	bool ok = refresh_from_soa(r->b, r->len, l, &t);
	if (ok != want_ok) {
		print_error("refresh_from_soa returned %s for %u octets, expected %s\n", ok ? "true" : "false",
			    r->len, want_ok ? "true" : "false");
		fail();
	}
	return t;
}

static void
expect(refresh_timers_t t, uint32_t refresh, uint32_t retry, uint32_t expire)
{
	if (t.refresh != refresh || t.retry != retry || t.expire != expire) {
		print_error("got refresh %u retry %u expire %u, expected %u %u %u\n", t.refresh, t.retry, t.expire,
			    refresh, retry, expire);
		fail();
	}
}

static void
test_from_soa_in_range(void **state)
{
	rd_t r = soa(3600, 900, 604800);
	expect(timers(&r, &lim, true), 3600, 900, 604800);
	/* the bounds themselves are kept */
	r = soa(60, 10, 600);
	expect(timers(&r, &lim, true), 60, 10, 600);
	r = soa(86400, 3600, 2419200);
	expect(timers(&r, &lim, true), 86400, 3600, 2419200);
	/* the serial and minimum play no part */
	r = (rd_t){ .len = 0 };
	put(&r, mname, sizeof(mname));
	put(&r, rname, sizeof(rname));
	nums(&r, 0xffffffffu, 7200, 1800, 1209600, 0xffffffffu);
	expect(timers(&r, &lim, true), 7200, 1800, 1209600);

	/* Root names (the shortest SOA: 22 octets), and 63-octet labels. */
	r = (rd_t){ .len = 0 };
	put(&r, "\0\0", 2);
	nums(&r, 1, 1000, 100, 10000, 1);
	assert_int_equal(r.len, 22);
	expect(timers(&r, &lim, true), 1000, 100, 10000);
	r = (rd_t){ .len = 0 };
	uint8_t label[64];
	label[0] = 63;
	memset(label + 1, 'a', 63);
	for (int i = 0; i < 2; i++) {
		put(&r, label, 64);
		put(&r, label, 64);
		put(&r, "", 1);
	}
	nums(&r, 1, 1001, 101, 10001, 1);
	expect(timers(&r, &lim, true), 1001, 101, 10001);
}

static void
test_from_soa_clamped(void **state)
{
	/* below the minimums; expire then raised to refresh only if needed */
	rd_t r = soa(1, 1, 1);
	expect(timers(&r, &lim, true), 60, 10, 600);
	r = soa(0, 0, 0);
	expect(timers(&r, &lim, true), 60, 10, 600);
	/* above the maximums */
	r = soa(1000000, 1000000, 100000000);
	expect(timers(&r, &lim, true), 86400, 3600, 2419200);
	/* the largest values (no sign trouble: 2^31 and above are large, not negative) */
	r = soa(0xffffffffu, 0x80000000u, 0xffffffffu);
	expect(timers(&r, &lim, true), 86400, 3600, 2419200);
	/* each field clamped on its own */
	r = soa(30, 7200, 700);
	expect(timers(&r, &lim, true), 60, 3600, 700);
}

static void
test_from_soa_expire_ge_refresh(void **state)
{
	/* An SOA with expire < refresh: expire raised to refresh. */
	rd_t r = soa(7200, 600, 3600);
	expect(timers(&r, &lim, true), 7200, 600, 7200);
	/* Limits that clamp expire below refresh: refresh wins. */
	const refresh_limits_t tight = { 60, 86400, 10, 3600, 10, 100 };
	r = soa(3600, 900, 50);
	expect(timers(&r, &tight, true), 3600, 900, 3600);
	r = soa(3600, 900, 604800);
	expect(timers(&r, &tight, true), 3600, 900, 3600);
	/* equal is fine */
	r = soa(5000, 900, 5000);
	expect(timers(&r, &lim, true), 5000, 900, 5000);
	/* expire longer than refresh is left alone */
	r = soa(601, 900, 602);
	expect(timers(&r, &lim, true), 601, 900, 602);
}

/* Malformed lengths: false, and the minimums (expire at least refresh). */
static void
test_from_soa_malformed(void **state)
{
	const refresh_limits_t l2 = { 300, 86400, 30, 3600, 100, 2419200 }; /* expire_min < refresh_min */
	rd_t good = soa(3600, 900, 604800);
	rd_t r;

	/* Every proper prefix of a good rdata. */
	for (uint16_t n = 0; n < good.len; n++) {
		r = good;
		r.len = n;
		expect(timers(&r, &lim, false), 60, 10, 600);
		expect(timers(&r, &l2, false), 300, 30, 300);
	}
	/* One octet too many, twenty too many. */
	r = good;
	put(&r, "\x01", 1);
	expect(timers(&r, &lim, false), 60, 10, 600);
	r = good;
	nums(&r, 1, 2, 3, 4, 5);
	expect(timers(&r, &lim, false), 60, 10, 600);
	/* One name only: the numbers start one octet early. */
	r = (rd_t){ .len = 0 };
	put(&r, mname, sizeof(mname));
	nums(&r, 1, 3600, 900, 604800, 300);
	expect(timers(&r, &lim, false), 60, 10, 600);
	/* A label running past the end. */
	r = (rd_t){ .len = 0 };
	put(&r, "\x3f" "abc", 4);
	expect(timers(&r, &lim, false), 60, 10, 600);
	/* Names without their root label, cut by rdlen. */
	r = (rd_t){ .len = 0 };
	put(&r, mname, sizeof(mname) - 1);
	expect(timers(&r, &lim, false), 60, 10, 600);
	/* Empty rdata. */
	r = (rd_t){ .len = 0 };
	expect(timers(&r, &l2, false), 300, 30, 300);
}

/*
 * Names that are not uncompressed wire names: a compression pointer, the
 * reserved label types 0x40 and 0x80, a name longer than 255 octets. Each
 * rdata below has "two names" that a parser stopping at any octet >= 64
 * would take as complete, followed by exactly 20 octets.
 */
static void
test_from_soa_bad_names(void **state)
{
	static const struct {
		const char *what;
		const char *names;
		size_t len;
	} bad[] = {
		{ "pointer + root", "\xc0\x0c" "\x00", 3 },
		{ "pointer to offset 0 as the two names", "\xc0\x00", 2 },
		{ "two pointers", "\xc0\x0c" "\xc0\x0c", 4 },
		{ "label type 0x40", "\x41" "\x00", 2 },
		{ "label type 0x80", "\x80" "\x00", 2 },
		{ "0xff octets", "\xff\xff", 2 },
	};
	size_t nbad = 0;
	for (size_t i = 0; i <= sizeof(bad) / sizeof(bad[0]); i++) {
		rd_t r = { .len = 0 };
		const char *what;
		if (i < sizeof(bad) / sizeof(bad[0])) {
			what = bad[i].what;
			put(&r, bad[i].names, bad[i].len);
		} else {
			/* 4 labels of 63 + root = 257 octets > 255: not a name. */
			what = "257-octet MNAME";
			uint8_t label[64];
			label[0] = 63;
			memset(label + 1, 'a', 63);
			for (int k = 0; k < 4; k++)
				put(&r, label, 64);
			put(&r, "\0\0", 2);
		}
		nums(&r, 1, 3600, 900, 604800, 300);
		refresh_timers_t t;
		bool ok = refresh_from_soa(r.b, r.len, &lim, &t);
		if (ok || t.refresh != 60 || t.retry != 10 || t.expire != 600) {
			print_error("%s: accepted as an SOA (%s, refresh %u retry %u expire %u)\n", what,
				    ok ? "true" : "false", t.refresh, t.retry, t.expire);
			nbad++;
		}
	}
	assert_int_equal(nbad, 0);
}

/* ---- jitter ---- */

static void
in_range(uint32_t secs, uint32_t r)
{
	uint64_t hi = (uint64_t)secs * 1000u;
	uint64_t lo = hi - (uint64_t)secs * 100u;
	uint64_t v = refresh_jitter_ms(secs, r);
	if (v < lo || v > hi) {
		print_error("refresh_jitter_ms(%u, %u) = %llu, outside [%llu, %llu]\n", secs, r,
			    (unsigned long long)v, (unsigned long long)lo, (unsigned long long)hi);
		fail();
	}
}

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint32_t
rnd32(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 32);
}

static void
test_jitter_bounds(void **state)
{
	static const uint32_t secs[] = { 0, 1, 2, 9, 10, 11, 59, 60, 3600, 86400, 2419200, 4294967u, 4294968u,
					 0x7fffffffu, 0x80000000u, UINT32_MAX - 1, UINT32_MAX };
	static const uint32_t rs[] = { 0, 1, 2, 99, 100, 101, 1000, 0x7fffffffu, 0x80000000u, UINT32_MAX - 1,
				       UINT32_MAX };
	for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++)
		for (size_t j = 0; j < sizeof(rs) / sizeof(rs[0]); j++)
			in_range(secs[i], rs[j]);
	/* exact values at the edges of the formula */
	assert_int_equal(refresh_jitter_ms(0, 0), 0);
	assert_int_equal(refresh_jitter_ms(0, UINT32_MAX), 0);
	for (int i = 0; i < 100000; i++) {
		uint32_t s = rnd32();
		/* also small intervals, where the spread is a few ms */
		if (i % 3 == 0)
			s %= 100;
		else if (i % 3 == 1)
			s %= 100000;
		in_range(s, rnd32());
	}
}

static void
test_jitter_varies(void **state)
{
	/* 3600 s: range [3240000, 3600000] ms. */
	uint64_t lo = UINT64_MAX, hi = 0, first = refresh_jitter_ms(3600, rnd32());
	bool differs = false;
	static uint64_t seen[1000];
	size_t nseen = 0;
	for (int i = 0; i < 1000; i++) {
		uint64_t v = refresh_jitter_ms(3600, rnd32());
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
		differs |= v != first;
		size_t k = 0;
		while (k < nseen && seen[k] != v)
			k++;
		if (k == nseen)
			seen[nseen++] = v;
	}
	assert_true(differs);
	/* 1000 draws over 360001 values: nearly all distinct, both halves hit */
	assert_true(nseen > 900);
	assert_true(lo < 3240000 + 36000);  /* within the lowest tenth of the range */
	assert_true(hi > 3600000 - 36000);  /* within the highest tenth */

	/* 1 s: 101 possible values (900..1000 ms); nearly all show up. */
	bool hit[101] = { false };
	for (int i = 0; i < 5000; i++) {
		uint64_t v = refresh_jitter_ms(1, rnd32());
		assert_true(v >= 900 && v <= 1000);
		hit[v - 900] = true;
	}
	int n = 0;
	for (int i = 0; i < 101; i++)
		n += hit[i];
	assert_true(n >= 95);

	/* the same input gives the same output (pure) */
	assert_int_equal(refresh_jitter_ms(86400, 12345), refresh_jitter_ms(86400, 12345));
	/* consecutive rnd values give different delays */
	assert_true(refresh_jitter_ms(86400, 1) != refresh_jitter_ms(86400, 2));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_soa_in_range),
		cmocka_unit_test(test_from_soa_clamped),
		cmocka_unit_test(test_from_soa_expire_ge_refresh),
		cmocka_unit_test(test_from_soa_malformed),
		cmocka_unit_test(test_from_soa_bad_names),
		cmocka_unit_test(test_jitter_bounds),
		cmocka_unit_test(test_jitter_varies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
