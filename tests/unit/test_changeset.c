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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_flipped_bytes),
	};
	return cmocka_run_group_tests_name("changeset", tests, NULL, NULL);
}
