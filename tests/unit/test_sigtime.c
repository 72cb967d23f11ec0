/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Tests for src/dnssec/sigtime.c: the jitter (0 without one, within
 * [0, jitter), the same for the same owner and type, spread evenly over
 * the range), the effective refresh (raised to SOA expire + the largest
 * TTL, validity raised by as much, untouched otherwise), the batch window,
 * and the re-sign time of a signed version: its earliest RRSIG expiration
 * minus refresh, never sooner than SIGTIME_MIN_DELAY, none without RRSIGs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "dns/dname.h"
#include "dns/msg.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "dnssec/sign.h"
#include "dnssec/sigtime.h"
#include "tu.h"

#define NOW 1800000000u

static const char small[] = "example.com. 10 IN SOA ns1.example.com. h.example.com. 1 5 2 20 10\n"
			    "example.com. 10 IN NS ns1.example.com.\n"
			    "ns1.example.com. 10 IN A 192.0.2.1\n"
			    "www.example.com. 7 IN A 192.0.2.80\n"
			    "www.example.com. 10 IN AAAA 2001:db8::80\n"
			    "mail.example.com. 10 IN A 192.0.2.25\n";

static void
test_jitter(void **state)
{
	uint8_t name[DNAME_MAXLEN];
	unsigned buckets[10] = { 0 };
	tu_name("www.example.com.", name);
	assert_int_equal(sigtime_jitter(name, RR_A, 0), 0);
	assert_int_equal(sigtime_jitter(name, RR_A, 1), 0);
	/* deterministic: the same value every time, type matters */
	uint32_t a = sigtime_jitter(name, RR_A, 86400), aaaa = sigtime_jitter(name, RR_AAAA, 86400);
	assert_int_equal(a, sigtime_jitter(name, RR_A, 86400));
	assert_true(a != aaaa);
	/* 2,000 names over 10 buckets: each within 40% of the mean (200) */
	for (int i = 0; i < 2000; i++) {
		char s[64];
		snprintf(s, sizeof(s), "h%d.example.com.", i);
		tu_name(s, name);
		uint32_t j = sigtime_jitter(name, RR_A, 10);
		assert_true(j < 10);
		buckets[j]++;
		uint32_t big = sigtime_jitter(name, RR_A, 1209600);
		assert_true(big < 1209600);
	}
	for (int b = 0; b < 10; b++)
		assert_true(buckets[b] > 120 && buckets[b] < 280);
}

static void
test_effective(void **state)
{
	zone_error_t zerr;
	zone_t *z = tu_zone("example.com.", small, &zerr);
	assert_non_null(z);
	sigtime_t conf = { .validity = 60, .refresh = 40, .jitter = 5, .inception_offset = 3600 }, eff;
	uint32_t need = 0;
	/* expire 20 + largest TTL 10 = 30 <= 40: as configured */
	assert_false(sigtime_effective(&conf, z, &eff, &need));
	assert_int_equal(need, 30);
	assert_memory_equal(&eff, &conf, sizeof(eff));
	/* refresh 10 < 30: raised to 30, validity 60 + 20 (the interval stays 50) */
	conf.refresh = 10;
	assert_true(sigtime_effective(&conf, z, &eff, &need));
	assert_int_equal(eff.refresh, 30);
	assert_int_equal(eff.validity, 80);
	assert_int_equal(eff.jitter, 5);
	assert_int_equal(eff.inception_offset, 3600);
	/* exactly the sum: not raised */
	conf.refresh = 30;
	assert_false(sigtime_effective(&conf, z, &eff, NULL));
	zone_free(z);

	/* the batch window: min(jitter / 4, (validity - refresh - jitter) / 2) */
	sigtime_t t = { 60, 40, 5, 0 };
	assert_int_equal(sigtime_batch(&t), 1);
	assert_int_equal(sigtime_reuse_threshold(&t), 41);
	t = (sigtime_t){ 14 * 86400, 7 * 86400, 120960, 3600 };
	assert_int_equal(sigtime_batch(&t), 30240);
	t = (sigtime_t){ 100, 40, 50, 0 };
	assert_int_equal(sigtime_batch(&t), 5);
	t.jitter = 0;
	assert_int_equal(sigtime_batch(&t), 0);
	t = (sigtime_t){ 60, 40, 20, 0 }; /* no room: never a negative window */
	assert_int_equal(sigtime_batch(&t), 0);
}

static void
test_resign_at(void **state)
{
	zone_error_t zerr;
	zone_t *z = tu_zone("example.com.", small, &zerr);
	dkey_t *k = NULL;
	assert_int_equal(dkey_generate(z->origin, DKEY_ALG_ED25519, DKEY_FLAGS_KSK, &k), 0);
	sigtime_t t = { .validity = 600, .refresh = 400, .jitter = 50, .inception_offset = 60 };
	sign_opts_t o = { .inception = NOW - 60, .expiration = NOW + 600, .jitter = 50, .threads = 1 };
	zone_t *s = NULL;
	char err[256];
	int64_t left = 0;
	time_t at = 0;
	/* unsigned: nothing to arm */
	assert_false(sigtime_earliest(z, NOW, &left));
	assert_false(sigtime_resign_at(z, &t, NOW, &at));
	assert_int_equal(sign_zone(z, &k, 1, &o, &s, NULL, err, sizeof(err)), 0);
	/* the earliest expiration, by hand */
	uint32_t min = UINT32_MAX;
	for (uint32_t i = 0; i < s->nnodes; i++) {
		const zone_rrset_t *rs = zone_node_rrset(&s->nodes[i], RR_RRSIG);
		const uint8_t *rd = rs != NULL ? rs->rdata : NULL;
		for (uint16_t r = 0; rs != NULL && r < rs->count; r++, rd = msg_rd_next(rd))
			if (wire_u32(msg_rd_data(rd) + 8) < min)
				min = wire_u32(msg_rd_data(rd) + 8);
	}
	assert_true(min > NOW + 550 && min <= NOW + 600);
	assert_true(min < NOW + 600); /* some jitter applied */
	assert_true(sigtime_earliest(s, NOW, &left));
	assert_int_equal(left, (int64_t)(min - NOW));
	/* due at the earliest expiration minus refresh */
	assert_true(sigtime_resign_at(s, &t, NOW, &at));
	assert_int_equal(at, (time_t)min - 400);
	/* later on, the same moment */
	assert_true(sigtime_resign_at(s, &t, NOW + 100, &at));
	assert_int_equal(at, (time_t)min - 400);
	/* overdue (or expired): a few seconds from now, not in the past */
	assert_true(sigtime_resign_at(s, &t, min - 300, &at));
	assert_int_equal(at, (time_t)(min - 300) + SIGTIME_MIN_DELAY);
	assert_true(sigtime_earliest(s, min + 10, &left));
	assert_int_equal(left, -10);
	assert_true(sigtime_resign_at(s, &t, min + 10, &at));
	assert_int_equal(at, (time_t)min + 10 + SIGTIME_MIN_DELAY);
	/* across the 2^32 wrap (RFC 1982): still the distance forward */
	zone_free(s);
	o.inception = UINT32_MAX - 100;
	o.expiration = 499; /* 600 after the inception, past the wrap */
	assert_int_equal(sign_zone(z, &k, 1, &o, &s, NULL, err, sizeof(err)), 0);
	assert_true(sigtime_earliest(s, UINT32_MAX - 40, &left));
	assert_true(left > 440 && left <= 540);
	zone_free(s);
	zone_free(z);
	dkey_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jitter),
		cmocka_unit_test(test_effective),
		cmocka_unit_test(test_resign_at),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
