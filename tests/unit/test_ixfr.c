/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Tests for src/xfr/ixfr.c: the exact RR sequence of an incremental answer
 * over two chained changesets (read back with ldns), the single-SOA answer,
 * message splitting, and reading the client's serial from an IXFR query.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tu.h"
#include "dns/pkt.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "xfr/ixfr.h"

static const uint8_t apex[] = "\7example\3com";

static size_t
soa_rdata(uint8_t *rd, uint32_t serial)
{
	memcpy(rd, "\2ns\7example\3com\0\1h\7example\3com", 31);
	size_t n = 31;
	uint32_t v[5] = { serial, 3600, 900, 604800, 300 };
	for (int i = 0; i < 5; i++, n += 4)
		wire_set_u32(rd + n, v[i]);
	return n;
}

static void
make_cs(changeset_t *c, uint32_t from, uint32_t to, int ndel, int nadd)
{
	uint8_t rd[64], owner[DNAME_MAXLEN];
	changeset_init(c);
	size_t l = soa_rdata(rd, from);
	assert_int_equal(changeset_set_soa(c, false, apex, 3600, rd, (uint16_t)l), 0);
	l = soa_rdata(rd, to);
	assert_int_equal(changeset_set_soa(c, true, apex, 3600, rd, (uint16_t)l), 0);
	for (int i = 0; i < ndel; i++) {
		char s[64];
		snprintf(s, sizeof(s), "old%u-%d.example.com.", from, i);
		tu_name(s, owner);
		assert_int_equal(changeset_del(c, owner, RR_A, 60, (const uint8_t *)"\1\2\3\4", 4), 0);
	}
	for (int i = 0; i < nadd; i++) {
		char s[64];
		snprintf(s, sizeof(s), "new%u-%d.example.com.", to, i);
		tu_name(s, owner);
		assert_int_equal(changeset_add(c, owner, RR_MX, 60, (const uint8_t *)"\0\12\4mail\7example\3com", 20), 0);
	}
}

static zone_t *
zone_at(uint32_t serial)
{
	char text[512];
	snprintf(text, sizeof(text),
		 "example.com. 3600 IN SOA ns.example.com. h.example.com. %u 3600 900 604800 300\n"
		 "example.com. 3600 IN NS ns.example.com.\nns.example.com. 3600 IN A 198.51.100.1\n", serial);
	zone_error_t err;
	zone_t *z = tu_zone("example.com.", text, &err);
	assert_non_null(z);
	return z;
}

static size_t
ixfr_query(uint8_t **wire, uint32_t client_serial)
{
	ldns_pkt *p = ldns_pkt_query_new(ldns_dname_new_frm_str("example.com."), LDNS_RR_TYPE_IXFR,
					 LDNS_RR_CLASS_IN, 0);
	ldns_pkt_set_id(p, 4321);
	char soa[200];
	snprintf(soa, sizeof(soa), "example.com. 3600 IN SOA ns.example.com. h.example.com. %u 1 1 1 1", client_serial);
	ldns_rr *rr = NULL;
	assert_int_equal(ldns_rr_new_frm_str(&rr, soa, 0, NULL, NULL), LDNS_STATUS_OK);
	ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, rr);
	size_t len = 0;
	assert_int_equal(ldns_pkt2wire(wire, p, &len), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	return len;
}

/* Serial of an SOA RR in presentation form, or -1 for other types. */
static long
serial_of(ldns_rr *rr)
{
	if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA)
		return -1;
	return (long)ldns_rdf2native_int32(ldns_rr_rdf(rr, 2));
}

static void
test_two_changesets(void **state)
{
	changeset_t a, b;
	make_cs(&a, 1, 2, 2, 1);
	make_cs(&b, 2, 3, 1, 300);
	const changeset_t *cs[] = { &a, &b };
	zone_t *z = zone_at(3);
	uint8_t *q = NULL;
	size_t qlen = ixfr_query(&q, 1);
	pkt_query_t pq;
	assert_int_equal(pkt_parse_query(q, qlen, &pq), PKT_PARSE_OK);
	uint32_t cserial = 0;
	assert_int_equal(xfr_ixfr_query_serial(q, qlen, &pq, &cserial), 0);
	assert_int_equal(cserial, 1);

	/* expected: S3 | S1 del*2 S2 add*1 | S2 del*1 S3 add*300 | S3, i.e. SOA serials
	 * with runs of other RRs (shown as -1 with their length) in between */
	static const long want[] = { 3, 1, -1, 2, -1, 2, -1, 3, -1, 3 };
	static const long runs[] = { 2, 1, 1, 300 };
	long seq[16], run[8];
	size_t nseq = 0, nrun = 0;
	xfr_ixfr_t x;
	xfr_ixfr_begin(&x, z, q, &pq, cs, 2);
	uint8_t *buf = malloc(65535);
	size_t total = 0;
	unsigned msgs = 0;
	for (;;) {
		long n = xfr_ixfr_next(&x, buf, 2048, 100); /* small messages: several of them */
		assert_true(n >= 0);
		if (n == 0)
			break;
		assert_true(n <= 2048 - 100);
		ldns_pkt *p = NULL;
		assert_int_equal(ldns_wire2pkt(&p, buf, (size_t)n), LDNS_STATUS_OK);
		assert_int_equal(ldns_pkt_id(p), 4321);
		assert_int_equal(ldns_pkt_qdcount(p), msgs == 0 ? 1 : 0);
		ldns_rr_list *an = ldns_pkt_answer(p);
		for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++, total++) {
			long s = serial_of(ldns_rr_list_rr(an, i));
			if (s == -1 && nseq > 0 && seq[nseq - 1] == -1) {
				run[nrun - 1]++;
				continue;
			}
			assert_true(nseq < 16 && nrun < 8);
			seq[nseq++] = s;
			if (s == -1)
				run[nrun++] = 1;
		}
		ldns_pkt_free(p);
		msgs++;
	}
	assert_int_equal(nseq, 10);
	for (size_t i = 0; i < nseq; i++)
		assert_int_equal(seq[i], want[i]);
	assert_int_equal(nrun, 4);
	for (size_t i = 0; i < nrun; i++)
		assert_int_equal(run[i], runs[i]);
	assert_int_equal(total, 1 + (1 + 2 + 1 + 1) + (1 + 1 + 1 + 300) + 1);
	assert_int_equal(x.records, total);
	assert_true(msgs > 1);
	free(buf);
	free(q);
	zone_free(z);
	changeset_clear(&a);
	changeset_clear(&b);
}

static void
test_single_soa(void **state)
{
	zone_t *z = zone_at(3);
	uint8_t *q = NULL;
	size_t qlen = ixfr_query(&q, 3);
	pkt_query_t pq;
	assert_int_equal(pkt_parse_query(q, qlen, &pq), PKT_PARSE_OK);
	xfr_ixfr_t x;
	xfr_ixfr_begin(&x, z, q, &pq, NULL, 0);
	uint8_t buf[512];
	long n = xfr_ixfr_next(&x, buf, sizeof(buf), 0);
	assert_true(n > 0);
	ldns_pkt *p = NULL;
	assert_int_equal(ldns_wire2pkt(&p, buf, (size_t)n), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	assert_int_equal(serial_of(ldns_rr_list_rr(ldns_pkt_answer(p), 0)), 3);
	ldns_pkt_free(p);
	assert_int_equal(xfr_ixfr_next(&x, buf, sizeof(buf), 0), 0);
	free(q);
	zone_free(z);
}

static void
test_query_without_soa(void **state)
{
	/* an IXFR query without the client's SOA is malformed (RFC 1995 §3) */
	ldns_pkt *p = ldns_pkt_query_new(ldns_dname_new_frm_str("example.com."), LDNS_RR_TYPE_IXFR,
					 LDNS_RR_CLASS_IN, 0);
	uint8_t *w = NULL;
	size_t len = 0;
	assert_int_equal(ldns_pkt2wire(&w, p, &len), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	pkt_query_t pq;
	assert_int_equal(pkt_parse_query(w, len, &pq), PKT_PARSE_OK);
	uint32_t s;
	assert_int_equal(xfr_ixfr_query_serial(w, len, &pq, &s), FL_EMALF);
	free(w);
	/* an SOA of another zone does not count either */
	uint8_t *q = NULL;
	len = ixfr_query(&q, 5);
	assert_int_equal(pkt_parse_query(q, len, &pq), PKT_PARSE_OK);
	pq.qname[1] = 'x'; /* pretend the question named another zone */
	assert_int_equal(xfr_ixfr_query_serial(q, len, &pq, &s), FL_EMALF);
	free(q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_changesets),
		cmocka_unit_test(test_single_soa),
		cmocka_unit_test(test_query_without_soa),
	};
	return cmocka_run_group_tests_name("ixfr", tests, NULL, NULL);
}
