/* SPDX-License-Identifier: MIT */
/** \file Tests for src/dns/dname.c and src/dns/wire.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "dns/dname.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "util/err.h"

static void
test_from_to_str(void **state)
{
	uint8_t n[DNAME_MAXLEN], origin[DNAME_MAXLEN];
	char s[1024];
	assert_int_equal(dname_from_str("example.COM.", 12, NULL, origin), 13);
	assert_memory_equal(origin, "\7example\3com", 13);
	assert_int_equal(dname_from_str("www", 3, origin, n), 17);
	assert_memory_equal(n, "\3www\7example\3com", 17);
	assert_int_equal(dname_from_str("@", 1, origin, n), 13);
	assert_int_equal(dname_from_str(".", 1, NULL, n), 1);
	assert_int_equal(n[0], 0);
	/* escapes: \. inside a label and \DDD */
	assert_int_equal(dname_from_str("a\\.b.c\\065.", 11, NULL, n), 8);
	assert_memory_equal(n, "\3a.b\2ca", 8);
	assert_true(dname_to_str(n, s, sizeof(s)) > 0);
	assert_string_equal(s, "a\\.b.ca.");
	/* errors */
	assert_int_equal(dname_from_str("a..b.", 5, NULL, n), FL_ESYNTAX);
	assert_int_equal(dname_from_str("rel", 3, NULL, n), FL_ESYNTAX);
	assert_int_equal(dname_from_str("\\25", 3, NULL, n), FL_ESYNTAX);
	assert_int_equal(dname_from_str("\\999.", 5, NULL, n), FL_ESYNTAX);
	char big[80];
	memset(big, 'a', 64);
	big[64] = '.';
	assert_int_equal(dname_from_str(big, 65, NULL, n), FL_ELABEL);
	char longname[300];
	for (int i = 0; i < 300; i += 2) {
		longname[i] = 'a';
		longname[i + 1] = '.';
	}
	assert_int_equal(dname_from_str(longname, 300, NULL, n), FL_ENAMELEN);
	/* non-printable bytes come out as \DDD */
	const uint8_t odd[] = { 2, 0x01, ' ', 0 };
	dname_to_str(odd, s, sizeof(s));
	assert_string_equal(s, "\\001\\032.");
}

static void
test_unpack(void **state)
{
	/* header(12) + "\3www\7example\3com\0" at 12, "\4mail" + ptr to 16 */
	uint8_t pkt[64] = { 0 };
	size_t len = 12;
	memcpy(pkt + len, "\3WWW\7example\3com", 17);
	len += 17;
	memcpy(pkt + len, "\4mail\xc0\x10", 7);
	len += 7;
	uint8_t n[DNAME_MAXLEN];
	size_t pos = 12;
	assert_int_equal(dname_unpack(pkt, len, &pos, n, true), 17);
	assert_int_equal(pos, 29);
	assert_memory_equal(n, "\3www\7example\3com", 17);
	assert_int_equal(dname_unpack(pkt, len, &pos, n, false), 18);
	assert_int_equal(pos, 36);
	assert_memory_equal(n, "\4mail\7example\3com", 18);

	/* pointer to itself and forward pointers are refused */
	uint8_t loop[16] = { 0 };
	loop[12] = 0xc0;
	loop[13] = 12;
	pos = 12;
	assert_int_equal(dname_unpack(loop, 14, &pos, n, false), FL_ELOOP);
	loop[13] = 14;
	pos = 12;
	assert_int_equal(dname_unpack(loop, 16, &pos, n, false), FL_ELOOP);
	/* truncated */
	pos = 12;
	assert_int_equal(dname_unpack(pkt, 20, &pos, n, false), FL_EMALF);
	/* 0x40 label type */
	uint8_t ext[16] = { 0 };
	ext[12] = 0x41;
	pos = 12;
	assert_int_equal(dname_unpack(ext, 16, &pos, n, false), FL_EMALF);
	/* a chain of pointers building a name longer than 255 is refused */
	uint8_t big[600] = { 0 };
	size_t off = 12;
	big[off++] = 0;
	size_t prev = 12;
	for (int i = 0; i < 60; i++) {
		size_t here = off;
		big[off++] = 4;
		memcpy(big + off, "abcd", 4);
		off += 4;
		big[off++] = (uint8_t)(0xc0 | (prev >> 8));
		big[off++] = (uint8_t)prev;
		prev = here;
	}
	pos = prev;
	assert_int_equal(dname_unpack(big, off, &pos, n, false), FL_ENAMELEN);
}

static void
test_compare(void **state)
{
	/* RFC 4034 §6.1 example order */
	const char *order[] = { "example.", "a.example.", "yljkjljk.a.example.", "Z.a.example.",
				"zABC.a.EXAMPLE.", "z.example.", "\\001.z.example.", "*.z.example.",
				"\\200.z.example." };
	uint8_t a[DNAME_MAXLEN], b[DNAME_MAXLEN];
	for (size_t i = 0; i + 1 < sizeof(order) / sizeof(order[0]); i++) {
		dname_from_str(order[i], strlen(order[i]), NULL, a);
		dname_from_str(order[i + 1], strlen(order[i + 1]), NULL, b);
		assert_true(dname_canon_cmp(a, b) < 0);
		assert_true(dname_canon_cmp(b, a) > 0);
		assert_int_equal(dname_canon_cmp(a, a), 0);
	}
	dname_from_str("a.b.example.", 12, NULL, a);
	dname_from_str("example.", 8, NULL, b);
	assert_true(dname_is_sub(a, dname_len(a), b, dname_len(b)));
	assert_false(dname_is_sub(b, dname_len(b), a, dname_len(a)));
	dname_from_str("xample.", 7, NULL, b);
	assert_false(dname_is_sub(a, dname_len(a), b, dname_len(b)));
	assert_int_equal(dname_labels(a), 3);
	assert_memory_equal(dname_strip(a, 2), "\7example", 9);
	uint8_t up[] = "\3WwW\2Ab";
	uint8_t lo[] = "\3www\2ab";
	assert_true(dname_eq_nocase(up, lo));
	dname_lower(up);
	assert_true(dname_eq(up, lo));
}

static void
test_wire_cursor(void **state)
{
	uint8_t buf[6];
	wire_t w;
	wire_init(&w, buf, sizeof(buf));
	wire_put_u16(&w, 0x1234);
	wire_put_u32(&w, 0xdeadbeef);
	assert_int_equal(w.err, 0);
	wire_put_u8(&w, 1); /* overflow: sticky error, nothing written */
	assert_int_equal(w.err, FL_ESPACE);
	wire_put_u8(&w, 1);
	assert_int_equal(wire_off(&w), 6);
	wire_init(&w, buf, sizeof(buf));
	assert_int_equal(wire_get_u16(&w), 0x1234);
	assert_int_equal(wire_get_u32(&w), 0xdeadbeef);
	assert_int_equal(wire_get_u8(&w), 0);
	assert_int_equal(w.err, FL_EMALF);
}

static void
test_rrtype(void **state)
{
	uint16_t t;
	char buf[16];
	assert_int_equal(rrtype_from_str("aaaa", 4, &t), 0);
	assert_int_equal(t, RR_AAAA);
	assert_int_equal(rrtype_from_str("TYPE65280", 9, &t), 0);
	assert_int_equal(t, 65280);
	assert_int_equal(rrtype_from_str("TYPE65536", 9, &t), FL_ESYNTAX);
	assert_int_equal(rrtype_from_str("AAA", 3, &t), FL_ESYNTAX);
	assert_string_equal(rrtype_to_str(65280, buf, sizeof(buf)), "TYPE65280");
	assert_string_equal(rrtype_to_str(RR_HTTPS, buf, sizeof(buf)), "HTTPS");
	assert_true(rrtype_compressible(RR_MX));
	assert_false(rrtype_compressible(RR_SRV)); /* RFC 2782: never compressed */
	assert_false(rrtype_compressible(RR_DNAME));
	/* rdata checks */
	assert_int_equal(rrtype_rdata_check(RR_A, (const uint8_t *)"\1\2\3\4", 4), 0);
	assert_int_equal(rrtype_rdata_check(RR_A, (const uint8_t *)"\1\2\3", 3), FL_EMALF);
	assert_int_equal(rrtype_rdata_check(RR_MX, (const uint8_t *)"\0\12\4mail\0", 8), 0);
	assert_int_equal(rrtype_rdata_check(RR_MX, (const uint8_t *)"\0\12\4mail", 7), FL_EMALF);
	assert_int_equal(rrtype_rdata_check(RR_MX, (const uint8_t *)"\0\12\4mail\0x", 9), FL_EMALF);
	uint16_t c;
	assert_int_equal(rrclass_from_str("in", 2, &c), 0);
	assert_int_equal(c, RR_CLASS_IN);
	assert_int_equal(rrclass_from_str("CLASS3", 6, &c), 0);
	assert_int_equal(c, 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_to_str), cmocka_unit_test(test_unpack),
		cmocka_unit_test(test_compare), cmocka_unit_test(test_wire_cursor),
		cmocka_unit_test(test_rrtype),
	};
	return cmocka_run_group_tests_name("dname", tests, NULL, NULL);
}
