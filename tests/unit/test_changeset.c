/* SPDX-License-Identifier: MIT */
/** \file Tests for src/zone/changeset.c: building, serial access, wire round trip, bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tu.h"
#include "dns/wire.h"
#include "dns/rrtype.h"
#include "zone/changeset.h"
#include "zone/diff.h"
#include "zone/apply.h"

static const uint8_t apex[] = "\7example\3com";
static const uint8_t www[] = "\3www\7example\3com";

static size_t
soa_rdata(uint8_t *rd, uint32_t serial)
{
	size_t n = 0;
	memcpy(rd, "\2ns\7example\3com\0\1h\7example\3com", 31);
	n = 31;
	uint32_t v[5] = { serial, 3600, 900, 604800, 300 };
	for (int i = 0; i < 5; i++, n += 4)
		wire_set_u32(rd + n, v[i]);
	return n;
}

static void
build(changeset_t *c)
{
	uint8_t rd[64];
	size_t l = soa_rdata(rd, 7);
	assert_int_equal(changeset_set_soa(c, false, apex, 3600, rd, (uint16_t)l), 0);
	l = soa_rdata(rd, 8);
	assert_int_equal(changeset_set_soa(c, true, apex, 3600, rd, (uint16_t)l), 0);
	assert_int_equal(changeset_del(c, www, RR_A, 300, (const uint8_t *)"\1\2\3\4", 4), 0);
	assert_int_equal(changeset_add(c, www, RR_A, 300, (const uint8_t *)"\1\2\3\5", 4), 0);
	assert_int_equal(changeset_add(c, www, RR_TXT, 60, (const uint8_t *)"\2hi", 3), 0);
}

static void
test_roundtrip(void **state)
{
	changeset_t c, d;
	changeset_init(&c);
	changeset_init(&d);
	assert_true(changeset_empty(&c));
	build(&c);
	assert_false(changeset_empty(&c));
	assert_int_equal(changeset_serial_from(&c), 7);
	assert_int_equal(changeset_serial_to(&c), 8);
	/* the SOA never goes into the lists */
	uint8_t rd[64];
	size_t l = soa_rdata(rd, 9);
	assert_int_equal(changeset_add(&c, apex, RR_SOA, 1, rd, (uint16_t)l), FL_EINVAL);

	size_t n = changeset_wire_size(&c);
	uint8_t *buf = malloc(n);
	assert_int_equal(changeset_to_wire(&c, buf, n), (long)n);
	assert_int_equal(changeset_to_wire(&c, buf, n - 1), FL_ESPACE);
	assert_int_equal(changeset_from_wire(&d, buf, n), 0);
	assert_int_equal(changeset_serial_from(&d), 7);
	assert_int_equal(changeset_serial_to(&d), 8);
	assert_int_equal(d.del.count, 1);
	assert_int_equal(d.add.count, 2);
	assert_memory_equal(d.add.rr[1].rdata, "\2hi", 3);
	assert_int_equal(d.add.rr[1].ttl, 60);
	assert_true(dname_eq(d.add.rr[0].owner, www));

	/* every truncation and a trailing byte are refused, leaving d empty */
	changeset_t e;
	changeset_init(&e);
	for (size_t cut = 0; cut < n; cut++) {
		assert_int_equal(changeset_from_wire(&e, buf, cut), FL_EMALF);
		assert_int_equal(e.add.count + e.del.count, 0);
	}
	uint8_t *longer = malloc(n + 1);
	memcpy(longer, buf, n);
	longer[n] = 0;
	assert_int_equal(changeset_from_wire(&e, longer, n + 1), FL_EMALF);
	free(longer);
	free(buf);
	changeset_clear(&c);
	changeset_clear(&d);
	changeset_clear(&e);
}

static void
test_flipped_bytes(void **state)
{
	changeset_t c;
	changeset_init(&c);
	build(&c);
	size_t n = changeset_wire_size(&c);
	uint8_t *buf = malloc(n);
	assert_int_equal(changeset_to_wire(&c, buf, n), (long)n);
	uint32_t seed = 7;
	for (int i = 0; i < 5000; i++) {
		uint8_t *m = malloc(n);
		memcpy(m, buf, n);
		seed = seed * 1103515245u + 12345u;
		m[(seed >> 8) % n] ^= (uint8_t)(1u << ((seed >> 4) & 7));
		changeset_t d;
		changeset_init(&d);
		(void)changeset_from_wire(&d, m, n); /* must not crash; ASan checks */
		changeset_clear(&d);
		free(m);
	}
	free(buf);
	changeset_clear(&c);
}

/* Version k of a zone: the SOA with serial k, and a subset of 24 A
 * records chosen by mask, two of them with a TTL that depends on bit 30. */
static zone_t *
version(uint32_t serial, uint32_t mask)
{
	char text[8192];
	size_t o = (size_t)snprintf(text, sizeof(text),
				    "c.test. 300 IN SOA ns.c.test. h.c.test. %u 1 1 1 1\n"
				    "c.test. 300 IN NS ns.c.test.\nns.c.test. 300 IN A 192.0.2.1\n",
				    serial);
	for (int i = 0; i < 24; i++)
		if (mask & (1u << i))
			o += (size_t)snprintf(text + o, sizeof(text) - o, "h%d.c.test. %u IN A 10.0.%d.%d\n", i % 6,
					      i < 2 && (mask & (1u << 30)) ? 600u : 300u, i % 3, i);
	zone_error_t err;
	zone_t *z = tu_zone("c.test.", text, &err);
	assert_non_null(z);
	return z;
}

/* Condensing a random chain of changesets gives what applying them one by
 * one gives; 200 random chains of 1-12 changesets (zone_diff makes each). */
static void
test_condense(void **state)
{
	uint32_t seed = 12345;
	for (int round = 0; round < 200; round++) {
		size_t n = 1 + round % 12;
		zone_t *v[13];
		changeset_t cs[12];
		const changeset_t *pcs[12];
		for (size_t k = 0; k <= n; k++) {
			seed = seed * 1103515245u + 12345u;
			v[k] = version((uint32_t)k + 1, seed & 0x40ffffffu);
		}
		for (size_t k = 0; k < n; k++) {
			changeset_init(&cs[k]);
			assert_int_equal(zone_diff(v[k], v[k + 1], &cs[k]), 0);
			pcs[k] = &cs[k];
		}
		zone_t *seq = v[0], *owned = NULL;
		for (size_t k = 0; k < n; k++) {
			zone_t *next = NULL;
			assert_int_equal(zone_apply(seq, &cs[k], &next, NULL), 0);
			zone_free(owned);
			owned = seq = next;
		}
		assert_true(zone_equal(seq, v[n]));
		changeset_t c;
		changeset_init(&c);
		char err[256];
		assert_int_equal(changeset_condense(pcs, n, &c, err, sizeof(err)), 0);
		assert_int_equal(changeset_serial_from(&c), 1);
		assert_int_equal(changeset_serial_to(&c), n + 1);
		zone_t *once = NULL;
		assert_int_equal(zone_apply(v[0], &c, &once, NULL), 0);
		assert_true(zone_equal(once, v[n]));
		/* no larger than the direct diff of the ends */
		changeset_t d;
		changeset_init(&d);
		assert_int_equal(zone_diff(v[0], v[n], &d), 0);
		assert_int_equal(c.del.count + c.add.count, d.del.count + d.add.count);
		changeset_clear(&d);
		zone_free(once);
		changeset_clear(&c);
		zone_free(owned);
		for (size_t k = 0; k < n; k++)
			changeset_clear(&cs[k]);
		for (size_t k = 0; k <= n; k++)
			zone_free(v[k]);
	}
}

/* A chain that cannot apply: the same RR deleted twice; and serials that do not chain. */
static void
test_condense_errors(void **state)
{
	zone_t *a = version(1, 0x3), *b = version(2, 0x2), *c = version(3, 0x2);
	changeset_t x, y, out;
	changeset_init(&x);
	changeset_init(&y);
	changeset_init(&out);
	assert_int_equal(zone_diff(a, b, &x), 0); /* deletes h0 */
	assert_int_equal(zone_diff(b, c, &y), 0);
	uint8_t n[DNAME_MAXLEN];
	tu_name("h0.c.test.", n);
	assert_int_equal(changeset_del(&y, n, 1, 300, (const uint8_t *)"\12\0\0\0", 4), 0);
	const changeset_t *p[] = { &x, &y };
	char err[256] = "";
	assert_int_equal(changeset_condense(p, 2, &out, err, sizeof(err)), FL_ESEMANTIC);
	assert_non_null(strstr(err, "already deleted"));
	changeset_clear(&out);
	changeset_init(&out);
	const changeset_t *q[] = { &y, &x };
	assert_int_equal(changeset_condense(q, 2, &out, err, sizeof(err)), FL_EINVAL);
	assert_int_equal(changeset_condense(q, 0, &out, err, sizeof(err)), FL_EINVAL);
	changeset_clear(&out);
	changeset_clear(&x);
	changeset_clear(&y);
	zone_free(a);
	zone_free(b);
	zone_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_flipped_bytes),
		cmocka_unit_test(test_condense),
		cmocka_unit_test(test_condense_errors),
	};
	return cmocka_run_group_tests_name("changeset", tests, NULL, NULL);
}
