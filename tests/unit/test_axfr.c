/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Tests for src/xfr/axfr.c: the message stream of a full transfer is read
 * back with ldns (an independent parser) and compared with the zone text:
 * SOA first and last, every other RR exactly once (glue and occluded data
 * included), question only in the first message, size limits respected.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tu.h"
#include "dns/pkt.h"
#include "dns/rrtype.h"
#include "xfr/axfr.h"

#define SOA "example.com. 3600 IN SOA ns1.example.com. h.example.com. 42 3600 900 604800 300"

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
norm(ldns_rr *rr)
{
	char *s = ldns_rr2str(rr);
	s[strcspn(s, "\n")] = '\0';
	return s;
}

/* Run a transfer of text (zone lines) with message size cap and reserve;
 * returns the number of messages. */
static unsigned
run_axfr(const char *text, size_t cap, size_t reserve)
{
	zone_error_t err;
	zone_t *z = tu_zone("example.com.", text, &err);
	if (z == NULL)
		fail_msg("zone: %s", err.msg);

	/* the query, built by ldns */
	ldns_pkt *qp = ldns_pkt_query_new(ldns_dname_new_frm_str("EXAMPLE.com."), LDNS_RR_TYPE_AXFR,
					  LDNS_RR_CLASS_IN, 0);
	ldns_pkt_set_id(qp, 777);
	uint8_t *qw = NULL;
	size_t qlen = 0;
	assert_int_equal(ldns_pkt2wire(&qw, qp, &qlen), LDNS_STATUS_OK);
	ldns_pkt_free(qp);
	pkt_query_t q;
	assert_int_equal(pkt_parse_query(qw, qlen, &q), PKT_PARSE_OK);

	/* expected: every line once, plus the SOA twice */
	size_t cap_lines = 16;
	char **want = malloc(cap_lines * sizeof(char *));
	size_t nwant = 0;
	char *copy = strdup(text);
	for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		ldns_rr *rr = NULL;
		assert_int_equal(ldns_rr_new_frm_str(&rr, l, 0, NULL, NULL), LDNS_STATUS_OK);
		if (nwant + 2 >= cap_lines)
			want = realloc(want, (cap_lines *= 2) * sizeof(char *));
		want[nwant++] = norm(rr);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA)
			want[nwant++] = norm(rr);
		ldns_rr_free(rr);
	}
	free(copy);

	xfr_axfr_t x;
	xfr_axfr_begin(&x, z, qw, &q);
	uint8_t *buf = malloc(65535);
	char **got = malloc((nwant + 16) * sizeof(char *));
	size_t ngot = 0;
	unsigned msgs = 0;
	char *first = NULL, *last = NULL;
	for (;;) {
		long n = xfr_axfr_next(&x, buf, cap, reserve);
		assert_true(n >= 0);
		if (n == 0)
			break;
		assert_true((size_t)n <= cap - reserve);
		ldns_pkt *p = NULL;
		if (ldns_wire2pkt(&p, buf, (size_t)n) != LDNS_STATUS_OK)
			fail_msg("message %u does not parse", msgs);
		assert_int_equal(ldns_pkt_id(p), 777);
		assert_true(ldns_pkt_qr(p));
		assert_true(ldns_pkt_aa(p));
		assert_int_equal(ldns_pkt_get_rcode(p), 0);
		assert_int_equal(ldns_pkt_qdcount(p), msgs == 0 ? 1 : 0);
		ldns_rr_list *an = ldns_pkt_answer(p);
		assert_true(ldns_rr_list_rr_count(an) > 0);
		for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
			if (ngot >= nwant + 16)
				fail_msg("more RRs than the zone has");
			got[ngot] = norm(ldns_rr_list_rr(an, i));
			if (first == NULL)
				first = got[ngot];
			last = got[ngot];
			ngot++;
		}
		ldns_pkt_free(p);
		msgs++;
	}
	assert_int_equal(xfr_axfr_next(&x, buf, cap, reserve), 0); /* stays done */
	assert_non_null(first);
	assert_non_null(strstr(first, "\tSOA\t"));
	assert_string_equal(first, last);
	assert_int_equal(x.records, ngot);
	qsort(want, nwant, sizeof(char *), cmp_str);
	qsort(got, ngot, sizeof(char *), cmp_str);
	assert_int_equal(ngot, nwant);
	for (size_t i = 0; i < nwant; i++)
		assert_string_equal(got[i], want[i]);
	for (size_t i = 0; i < nwant; i++)
		free(want[i]);
	for (size_t i = 0; i < ngot; i++)
		free(got[i]);
	free(want);
	free(got);
	free(buf);
	free(qw);
	zone_free(z);
	return msgs;
}

static void
test_small_zone(void **state)
{
	const char *text = SOA "\n"
			   "example.com. 3600 IN NS ns1.example.com.\n"
			   "ns1.example.com. 3600 IN A 198.51.100.53\n"
			   "www.example.com. 300 IN A 198.51.100.1\n"
			   "www.example.com. 300 IN AAAA 2001:db8::1\n"
			   "sub.example.com. 3600 IN NS ns.sub.example.com.\n"
			   "ns.sub.example.com. 3600 IN A 198.51.100.9\n"
			   "hidden.sub.example.com. 3600 IN TXT \"occluded but transferred\"\n"
			   "mail.example.com. 300 IN MX 10 www.example.com.\n";
	assert_int_equal(run_axfr(text, 65535, 0), 1);
}

static void
test_many_messages(void **state)
{
	/* 3,000 RRs, 2,000 of them in one RRset: several messages, an RRset split across them */
	size_t cap = 400000, o = 0;
	char *text = malloc(cap);
	o += (size_t)snprintf(text + o, cap - o, "%s\nexample.com. 3600 IN NS ns1.example.com.\n"
			      "ns1.example.com. 3600 IN A 198.51.100.53\n", SOA);
	for (int i = 0; i < 2000; i++)
		o += (size_t)snprintf(text + o, cap - o, "big.example.com. 60 IN TXT \"record number %04d of a large set\"\n", i);
	for (int i = 0; i < 1000; i++)
		o += (size_t)snprintf(text + o, cap - o, "host%d.example.com. 60 IN A 10.0.%d.%d\n", i, i / 250, i % 250);
	unsigned full = run_axfr(text, 65535, 0);
	assert_true(full >= 2);
	/* small messages and room kept for TSIG: more messages, same content */
	unsigned small = run_axfr(text, 4096, 200);
	assert_true(small > full);
	free(text);
}

static void
test_rr_too_big(void **state)
{
	zone_error_t err;
	zone_t *z = tu_zone("example.com.", SOA "\nexample.com. 3600 IN NS ns1.example.com.\n"
				"ns1.example.com. 3600 IN A 198.51.100.53\n", &err);
	assert_non_null(z);
	uint8_t q[64] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 252, 0, 1 };
	pkt_query_t pq;
	assert_int_equal(pkt_parse_query(q, 29, &pq), PKT_PARSE_OK);
	xfr_axfr_t x;
	xfr_axfr_begin(&x, z, q, &pq);
	uint8_t buf[60];
	assert_int_equal(xfr_axfr_next(&x, buf, sizeof(buf), 0), FL_ESPACE);
	zone_free(z);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_zone),
		cmocka_unit_test(test_many_messages),
		cmocka_unit_test(test_rr_too_big),
	};
	return cmocka_run_group_tests_name("axfr", tests, NULL, NULL);
}
