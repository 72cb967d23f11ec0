/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Golden answers for src/query/query.c, without sockets: each case is a
 * query and the expected response (rcode, flags, and each section as a set
 * of RRs in presentation format). Responses are decoded with ldns, an
 * independent parser, which also proves our compression is readable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tu.h"
#include "dns/pkt.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "query/query.h"
#include <time.h>

static const char *zone_text =
	"example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300\n"
	"example.com. 3600 IN NS ns1.example.com.\n"
	"example.com. 3600 IN NS ns.example.net.\n"
	"example.com. 3600 IN MX 10 mail.example.com.\n"
	"example.com. 3600 IN A 198.51.100.1\n"
	"ns1.example.com. 3600 IN A 198.51.100.53\n"
	"mail.example.com. 3600 IN A 198.51.100.25\n"
	"mail.example.com. 3600 IN AAAA 2001:db8::25\n"
	"www.example.com. 300 IN CNAME web.example.com.\n"
	"web.example.com. 300 IN A 198.51.100.80\n"
	"alias.example.com. 300 IN CNAME www.example.com.\n"
	"out.example.com. 300 IN CNAME www.example.org.\n"
	"loop1.example.com. 300 IN CNAME loop2.example.com.\n"
	"loop2.example.com. 300 IN CNAME loop1.example.com.\n"
	"*.apps.example.com. 60 IN A 198.51.100.90\n"
	"deep.z.apps.example.com. 60 IN A 198.51.100.91\n"
	"*.wc.example.com. 60 IN CNAME web.example.com.\n"
	"sub.example.com. 3600 IN NS ns1.sub.example.com.\n"
	"sub.example.com. 3600 IN DS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
	"ns1.sub.example.com. 3600 IN A 198.51.100.60\n"
	"below.sub.example.com. 3600 IN A 198.51.100.61\n"
	"dn.example.com. 3600 IN DNAME example.net.\n"
	"c1.example.com. 60 IN DNAME c2.example.com.\n"
	"c2.example.com. 60 IN DNAME apps.example.com.\n"
	"_sip._tcp.example.com. 3600 IN SRV 0 5 5060 sip.example.com.\n"
	"sip.example.com. 3600 IN A 198.51.100.70\n";

static zonedb_t *db;

static int
setup(void **state)
{
	zone_error_t err;
	char big[16384];
	size_t o = (size_t)snprintf(big, sizeof(big), "%s", zone_text);
	for (int i = 0; i < 40; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o,
				      "big.example.com. 60 IN TXT \"record %02d padding padding padding padding\"\n", i);
	zone_t *z = tu_zone("example.com.", big, &err);
	if (z == NULL) {
		fprintf(stderr, "zone: %s (line %u)\n", err.msg, err.src);
		return -1;
	}
	db = zonedb_with(NULL, z);
	return db ? 0 : -1;
}

static int
teardown(void **state)
{
	zonedb_release(db);
	return 0;
}

typedef struct {
	const char *qname;
	uint16_t qtype;
	int edns;       /* 0 = no OPT, else the UDP size */
	bool tcp;
	uint16_t rcode;
	bool aa, tc;
	const char *answer;     /* RR lines separated by '|', "" = empty, NULL = don't check */
	const char *authority;
	const char *additional; /* without OPT */
} gold_t;

/* Build a query with ldns (so the query side is independent too). */
static size_t
make_query(const gold_t *g, uint8_t *buf, size_t cap)
{
	ldns_rdf *name = ldns_dname_new_frm_str(g->qname);
	ldns_pkt *p = ldns_pkt_query_new(name, (ldns_rr_type)g->qtype, LDNS_RR_CLASS_IN, 0);
	ldns_pkt_set_id(p, 0x4242);
	if (g->edns) {
		ldns_pkt_set_edns_udp_size(p, (uint16_t)g->edns);
		ldns_pkt_set_edns_do(p, false);
		ldns_pkt_set_edns_data(p, NULL);
		/* ldns emits OPT only when edns_udp_size is set */
	}
	uint8_t *wire = NULL;
	size_t len = 0;
	assert_int_equal(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
	assert_true(len <= cap);
	memcpy(buf, wire, len);
	free(wire);
	ldns_pkt_free(p);
	return len;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, normalized presentation of an RR list. */
static char *
section_str(ldns_rr_list *l, bool skip_opt)
{
	size_t n = l ? ldns_rr_list_rr_count(l) : 0;
	char **lines = calloc(n + 1, sizeof(char *));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		if (skip_opt && ldns_rr_get_type(rr) == LDNS_RR_TYPE_OPT)
			continue;
		char *s = ldns_rr2str(rr);
		s[strcspn(s, "\n")] = '\0';
		lines[k++] = s;
	}
	qsort(lines, k, sizeof(char *), cmp_str);
	size_t total = 1;
	for (size_t i = 0; i < k; i++)
		total += strlen(lines[i]) + 1;
	char *out = calloc(1, total);
	for (size_t i = 0; i < k; i++) {
		if (i)
			strcat(out, "|");
		strcat(out, lines[i]);
		free(lines[i]);
	}
	free(lines);
	return out;
}

static char *
expected_str(const char *spec)
{
	ldns_rr_list *l = ldns_rr_list_new();
	char *copy = strdup(spec);
	for (char *save = NULL, *t = strtok_r(copy, "|", &save); t; t = strtok_r(NULL, "|", &save)) {
		ldns_rr *rr = NULL;
		if (ldns_rr_new_frm_str(&rr, t, 0, NULL, NULL) != LDNS_STATUS_OK)
			fail_msg("bad expected RR '%s'", t);
		ldns_rr_list_push_rr(l, rr);
	}
	free(copy);
	char *s = section_str(l, false);
	ldns_rr_list_deep_free(l);
	return s;
}

static void
check_section(const char *what, const gold_t *g, ldns_rr_list *got, const char *want, bool skip_opt)
{
	if (want == NULL)
		return;
	char *a = section_str(got, skip_opt);
	char *b = expected_str(want);
	if (strcmp(a, b) != 0)
		fail_msg("%s %u %s:\n got  %s\n want %s", g->qname, g->qtype, what, a, b);
	free(a);
	free(b);
}

static void
run_gold(const gold_t *g)
{
	uint8_t q[512], r[65535];
	size_t qlen = make_query(g, q, sizeof(q));
	size_t rlen = query_answer(db, NULL, q, qlen, g->tcp ? QUERY_TCP : QUERY_UDP, r, sizeof(r));
	assert_true(rlen > 0);
	ldns_pkt *p = NULL;
	if (ldns_wire2pkt(&p, r, rlen) != LDNS_STATUS_OK)
		fail_msg("%s: ldns cannot parse our response", g->qname);
	if (ldns_pkt_get_rcode(p) != g->rcode)
		fail_msg("%s %u: rcode %d, want %d", g->qname, g->qtype, ldns_pkt_get_rcode(p), g->rcode);
	if (ldns_pkt_aa(p) != g->aa || ldns_pkt_tc(p) != g->tc)
		fail_msg("%s %u: aa=%d tc=%d, want aa=%d tc=%d", g->qname, g->qtype, ldns_pkt_aa(p), ldns_pkt_tc(p), g->aa, g->tc);
	assert_int_equal(ldns_pkt_id(p), 0x4242);
	assert_true(ldns_pkt_qr(p));
	if (!g->tcp)
		assert_true(rlen <= (size_t)(g->edns ? (g->edns < 1232 ? g->edns : 1232) : 512));
	check_section("answer", g, ldns_pkt_answer(p), g->answer, false);
	check_section("authority", g, ldns_pkt_authority(p), g->authority, false);
	check_section("additional", g, ldns_pkt_additional(p), g->additional, true);
	/* OPT present iff the query had one */
	assert_int_equal(ldns_pkt_edns(p) ? 1 : 0, g->edns ? 1 : 0);
	ldns_pkt_free(p);
}

#define SOA_NEG "example.com. 300 IN SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300"

static const gold_t golds[] = {
	/* plain positive answer, AA */
	{ "web.example.com.", RR_A, 1232, false, RCODE_NOERROR, true, false,
	  "web.example.com. 300 IN A 198.51.100.80", "", "" },
	/* CNAME followed inside the zone; chains of two */
	{ "www.example.com.", RR_A, 0, false, RCODE_NOERROR, true, false,
	  "www.example.com. 300 IN CNAME web.example.com.|web.example.com. 300 IN A 198.51.100.80", "", "" },
	{ "alias.example.com.", RR_A, 0, false, RCODE_NOERROR, true, false,
	  "alias.example.com. 300 IN CNAME www.example.com.|www.example.com. 300 IN CNAME web.example.com.|web.example.com. 300 IN A 198.51.100.80",
	  "", "" },
	/* CNAME asked for itself is not followed */
	{ "www.example.com.", RR_CNAME, 0, false, RCODE_NOERROR, true, false,
	  "www.example.com. 300 IN CNAME web.example.com.", "", "" },
	/* CNAME leaving the zone stops there */
	{ "out.example.com.", RR_A, 0, false, RCODE_NOERROR, true, false,
	  "out.example.com. 300 IN CNAME www.example.org.", "", "" },
	/* loop: both CNAMEs once, then stop */
	{ "loop1.example.com.", RR_A, 0, false, RCODE_NOERROR, true, false,
	  "loop1.example.com. 300 IN CNAME loop2.example.com.|loop2.example.com. 300 IN CNAME loop1.example.com.", "", "" },
	/* NXDOMAIN and NODATA: SOA with min(TTL, MINIMUM) */
	{ "nope.example.com.", RR_A, 0, false, RCODE_NXDOMAIN, true, false, "", SOA_NEG, "" },
	{ "web.example.com.", RR_AAAA, 0, false, RCODE_NOERROR, true, false, "", SOA_NEG, "" },
	/* MX with additional A/AAAA of the in-zone target */
	{ "example.com.", RR_MX, 1232, false, RCODE_NOERROR, true, false,
	  "example.com. 3600 IN MX 10 mail.example.com.", "",
	  "mail.example.com. 3600 IN A 198.51.100.25|mail.example.com. 3600 IN AAAA 2001:db8::25" },
	/* NS: in-zone target gets its address, out-of-zone does not */
	{ "example.com.", RR_NS, 0, false, RCODE_NOERROR, true, false,
	  "example.com. 3600 IN NS ns1.example.com.|example.com. 3600 IN NS ns.example.net.", "",
	  "ns1.example.com. 3600 IN A 198.51.100.53" },
	/* SRV target */
	{ "_sip._tcp.example.com.", RR_SRV, 0, false, RCODE_NOERROR, true, false,
	  "_sip._tcp.example.com. 3600 IN SRV 0 5 5060 sip.example.com.", "", "sip.example.com. 3600 IN A 198.51.100.70" },
	/* wildcard synthesis (RFC 4592) */
	{ "x.apps.example.com.", RR_A, 0, false, RCODE_NOERROR, true, false, "x.apps.example.com. 60 IN A 198.51.100.90", "", "" },
	{ "a.b.apps.example.com.", RR_A, 0, false, RCODE_NOERROR, true, false, "a.b.apps.example.com. 60 IN A 198.51.100.90", "", "" },
	{ "x.apps.example.com.", RR_TXT, 0, false, RCODE_NOERROR, true, false, "", SOA_NEG, "" },
	/* empty non-terminal z.apps blocks the wildcard: NODATA, and below it NXDOMAIN */
	{ "z.apps.example.com.", RR_A, 0, false, RCODE_NOERROR, true, false, "", SOA_NEG, "" },
	{ "q.z.apps.example.com.", RR_A, 0, false, RCODE_NXDOMAIN, true, false, "", SOA_NEG, "" },
	/* wildcard CNAME is followed */
	{ "foo.wc.example.com.", RR_A, 0, false, RCODE_NOERROR, true, false,
	  "foo.wc.example.com. 60 IN CNAME web.example.com.|web.example.com. 300 IN A 198.51.100.80", "", "" },
	/* referral: AA clear, NS in authority, glue; occluded data not returned */
	{ "a.sub.example.com.", RR_A, 0, false, RCODE_NOERROR, false, false, "",
	  "sub.example.com. 3600 IN NS ns1.sub.example.com.", "ns1.sub.example.com. 3600 IN A 198.51.100.60" },
	{ "below.sub.example.com.", RR_A, 0, false, RCODE_NOERROR, false, false, "",
	  "sub.example.com. 3600 IN NS ns1.sub.example.com.", "ns1.sub.example.com. 3600 IN A 198.51.100.60" },
	{ "sub.example.com.", RR_NS, 0, false, RCODE_NOERROR, false, false, "",
	  "sub.example.com. 3600 IN NS ns1.sub.example.com.", "ns1.sub.example.com. 3600 IN A 198.51.100.60" },
	/* DS at the cut is the parent's, authoritative */
	{ "sub.example.com.", RR_DS, 0, false, RCODE_NOERROR, true, false,
	  "sub.example.com. 3600 IN DS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "", "" },
	/* DNAME: the DNAME and a synthesized CNAME (RFC 6672) */
	{ "foo.dn.example.com.", RR_A, 0, false, RCODE_NOERROR, true, false,
	  "dn.example.com. 3600 IN DNAME example.net.|foo.dn.example.com. 3600 IN CNAME foo.example.net.", "", "" },
	{ "dn.example.com.", RR_DNAME, 0, false, RCODE_NOERROR, true, false, "dn.example.com. 3600 IN DNAME example.net.", "", "" },
	{ "dn.example.com.", RR_A, 0, false, RCODE_NOERROR, true, false, "", SOA_NEG, "" },
	/* a DNAME chain: every synthesized CNAME points to the next name */
	{ "x.c1.example.com.", RR_A, 0, false, RCODE_NOERROR, true, false,
	  "c1.example.com. 60 IN DNAME c2.example.com.|x.c1.example.com. 60 IN CNAME x.c2.example.com.|"
	  "c2.example.com. 60 IN DNAME apps.example.com.|x.c2.example.com. 60 IN CNAME x.apps.example.com.|"
	  "x.apps.example.com. 60 IN A 198.51.100.90", "", "" },
	/* QTYPE=CNAME: the synthesized CNAME is the answer, not followed */
	{ "x.c1.example.com.", RR_CNAME, 0, false, RCODE_NOERROR, true, false,
	  "c1.example.com. 60 IN DNAME c2.example.com.|x.c1.example.com. 60 IN CNAME x.c2.example.com.", "", "" },
	/* not our zone */
	{ "www.example.org.", RR_A, 0, false, RCODE_REFUSED, false, false, "", "", "" },
	/* truncation: no partial RRsets over UDP; TCP gets everything */
	{ "big.example.com.", RR_TXT, 0, false, RCODE_NOERROR, true, true, "", "", "" },
	{ "big.example.com.", RR_TXT, 1232, false, RCODE_NOERROR, true, true, "", "", "" },
	/* minimal ANY over UDP (RFC 8482), full over TCP */
	{ "mail.example.com.", RR_ANY, 0, true, RCODE_NOERROR, true, false,
	  "mail.example.com. 3600 IN A 198.51.100.25|mail.example.com. 3600 IN AAAA 2001:db8::25", "", "" },
	{ "mail.example.com.", RR_ANY, 0, false, RCODE_NOERROR, true, false, "mail.example.com. 3600 IN A 198.51.100.25", "", "" },
	/* transfers are refused until the primary issue */
	{ "example.com.", RR_AXFR, 0, true, RCODE_REFUSED, false, false, "", "", "" },
};

static void
test_golden(void **state)
{
	for (size_t i = 0; i < sizeof(golds) / sizeof(golds[0]); i++)
		run_gold(&golds[i]);
}

static void
test_big_tcp(void **state)
{
	gold_t g = { "big.example.com.", RR_TXT, 0, true, RCODE_NOERROR, true, false, NULL, "", "" };
	run_gold(&g);
	uint8_t q[512], r[65535];
	size_t qlen = make_query(&g, q, sizeof(q));
	size_t rlen = query_answer(db, NULL, q, qlen, QUERY_TCP, r, sizeof(r));
	ldns_pkt *p = NULL;
	assert_int_equal(ldns_wire2pkt(&p, r, rlen), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_ancount(p), 40);
	ldns_pkt_free(p);
}

/* Raw header-level cases that ldns cannot build. */
static size_t
raw_query(uint8_t *b, uint16_t flags, uint16_t qd, const char *name, uint16_t qtype)
{
	memset(b, 0, 12);
	b[0] = 0x12;
	b[1] = 0x34;
	b[2] = (uint8_t)(flags >> 8);
	b[3] = (uint8_t)flags;
	b[5] = (uint8_t)qd;
	size_t len = 12;
	if (name != NULL) {
		uint8_t n[DNAME_MAXLEN];
		size_t nl = (size_t)dname_from_str(name, strlen(name), NULL, n);
		memcpy(b + len, n, nl);
		len += nl;
		b[len++] = (uint8_t)(qtype >> 8);
		b[len++] = (uint8_t)qtype;
		b[len++] = 0;
		b[len++] = 1;
	}
	return len;
}

static size_t
add_opt(uint8_t *b, size_t len, uint16_t udp, uint8_t version, uint16_t flags)
{
	uint8_t opt[11] = { 0, 0, 41, (uint8_t)(udp >> 8), (uint8_t)udp, 0, version, (uint8_t)(flags >> 8), (uint8_t)flags, 0, 0 };
	memcpy(b + len, opt, 11);
	b[11]++;
	return len + 11;
}

static void
test_header_rules(void **state)
{
	uint8_t q[600], r[4096];
	size_t ql, rl;
	/* QR=1: dropped */
	ql = raw_query(q, 0x8000, 1, "example.com.", RR_A);
	assert_int_equal(query_answer(db, NULL, q, ql, QUERY_UDP, r, sizeof(r)), 0);
	/* short: dropped */
	assert_int_equal(query_answer(db, NULL, q, 11, QUERY_UDP, r, sizeof(r)), 0);
	/* QDCOUNT 2 and 0: FORMERR */
	ql = raw_query(q, 0, 1, "example.com.", RR_A);
	q[5] = 2;
	rl = query_answer(db, NULL, q, ql, QUERY_UDP, r, sizeof(r));
	assert_true(rl >= 12);
	assert_int_equal(r[3] & 0xF, RCODE_FORMERR);
	assert_int_equal(r[0], 0x12);
	ql = raw_query(q, 0, 0, NULL, 0);
	rl = query_answer(db, NULL, q, ql, QUERY_UDP, r, sizeof(r));
	assert_int_equal(r[3] & 0xF, RCODE_FORMERR);
	/* unknown opcode: NOTIMP */
	ql = raw_query(q, 2 << 11, 1, "example.com.", RR_A);
	rl = query_answer(db, NULL, q, ql, QUERY_UDP, r, sizeof(r));
	assert_int_equal(r[3] & 0xF, RCODE_NOTIMP);
	assert_int_equal((r[2] >> 3) & 0xF, 2);
	/* question case preserved, answer owner compressed to it */
	ql = raw_query(q, 0x0100, 1, "WeB.ExAmPlE.cOm.", RR_A);
	memcpy(q + 12, "\3WeB\7ExAmPlE\3cOm", 16);
	rl = query_answer(db, NULL, q, ql, QUERY_UDP, r, sizeof(r));
	assert_memory_equal(r + 12, "\3WeB\7ExAmPlE\3cOm", 16);
	assert_int_equal(r[2] & 0x01, 1);  /* RD copied */
	assert_int_equal(r[3] & 0x80, 0);  /* RA never set */
	assert_int_equal(r[12 + 17 + 4], 0xc0); /* answer owner is a pointer to the question */
	assert_int_equal(r[12 + 17 + 5], 12);
	/* EDNS: BADVERS for version 1, with OPT version 0 */
	ql = raw_query(q, 0, 1, "example.com.", RR_A);
	ql = add_opt(q, ql, 4096, 1, 0);
	rl = query_answer(db, NULL, q, ql, QUERY_UDP, r, sizeof(r));
	ldns_pkt *p = NULL;
	assert_int_equal(ldns_wire2pkt(&p, r, rl), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_edns_extended_rcode(p), 1); /* 16 >> 4 */
	assert_int_equal(ldns_pkt_edns_version(p), 0);
	ldns_pkt_free(p);
	/* two OPT records: FORMERR */
	ql = raw_query(q, 0, 1, "example.com.", RR_A);
	ql = add_opt(q, ql, 4096, 0, 0);
	ql = add_opt(q, ql, 4096, 0, 0);
	rl = query_answer(db, NULL, q, ql, QUERY_UDP, r, sizeof(r));
	assert_int_equal(r[3] & 0xF, RCODE_FORMERR);
	/* DO is echoed, our size advertised, small sizes treated as 512 */
	ql = raw_query(q, 0, 1, "big.example.com.", RR_TXT);
	ql = add_opt(q, ql, 100, 0, 0x8000);
	rl = query_answer(db, NULL, q, ql, QUERY_UDP, r, sizeof(r));
	assert_true(rl <= 512);
	assert_int_equal(ldns_wire2pkt(&p, r, rl), LDNS_STATUS_OK);
	assert_true(ldns_pkt_edns_do(p));
	assert_int_equal(ldns_pkt_edns_udp_size(p), 1232);
	assert_true(ldns_pkt_tc(p));
	ldns_pkt_free(p);
	/* CHAOS without identity: REFUSED; with: TXT */
	ql = raw_query(q, 0, 1, "id.server.", RR_TXT);
	q[ql - 1] = RR_CLASS_CH;
	rl = query_answer(db, NULL, q, ql, QUERY_UDP, r, sizeof(r));
	assert_int_equal(r[3] & 0xF, RCODE_REFUSED);
	query_opts_t o = { 1232, "ns1.test", NULL, NULL };
	rl = query_answer(db, &o, q, ql, QUERY_UDP, r, sizeof(r));
	assert_int_equal(ldns_wire2pkt(&p, r, rl), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	char *s = ldns_rr2str(ldns_rr_list_rr(ldns_pkt_answer(p), 0));
	assert_non_null(strstr(s, "\"ns1.test\""));
	free(s);
	ldns_pkt_free(p);
}

/* Seeded garbage straight into the parser and answer path: must never crash
 * (ASan/UBSan build) and every response must be parseable. */
static void
test_garbage(void **state)
{
	uint32_t seed = 12345;
	uint8_t q[700], r[65535];
	gold_t g = { "www.example.com.", RR_A, 1232, false, 0, 0, 0, NULL, NULL, NULL };
	size_t base_len = make_query(&g, q, sizeof(q));
	uint8_t base_q[700];
	memcpy(base_q, q, base_len);
	int answered = 0;
	for (int i = 0; i < 20000; i++) {
		seed = seed * 1103515245u + 12345u;
		size_t len;
		int mode = (int)(seed >> 16) % 4;
		if (mode == 0) { /* random bytes */
			len = (seed >> 8) % sizeof(q);
			for (size_t k = 0; k < len; k++) {
				seed = seed * 1103515245u + 12345u;
				q[k] = (uint8_t)(seed >> 16);
			}
			q[2] &= 0x7f; /* QR=0 so it is parsed */
		} else if (mode == 1) { /* truncated valid query */
			memcpy(q, base_q, base_len);
			len = (seed >> 8) % base_len;
		} else { /* a valid query with a few flipped bytes */
			memcpy(q, base_q, base_len);
			len = base_len;
			for (int k = 0; k < 3; k++) {
				seed = seed * 1103515245u + 12345u;
				q[(seed >> 8) % len] = (uint8_t)(seed >> 20);
			}
		}
		size_t rl = query_answer(db, NULL, q, len, (i & 1) ? QUERY_TCP : QUERY_UDP, r, sizeof(r));
		if (rl > 0) {
			ldns_pkt *p = NULL;
			if (ldns_wire2pkt(&p, r, rl) != LDNS_STATUS_OK)
				fail_msg("iteration %d: unparseable response", i);
			ldns_pkt_free(p);
			answered++;
		}
	}
	assert_true(answered > 1000);
}

/* TSIG-signed queries: verified answers are signed; unknown key and bad MAC get NOTAUTH. */
static void
test_tsig_queries(void **state)
{
	tsig_keyring_t *kr = tsig_keyring_new();
	static const uint8_t kname[] = "\3key\7example";
	static const uint8_t secret[] = "0123456789abcdef0123456789abcdef";
	assert_int_equal(tsig_keyring_add(kr, kname, TSIG_ALG_HMAC_SHA256, secret, 32), 0);
	const tsig_key_t *key = tsig_keyring_find(kr, kname);
	assert_non_null(key);
	query_opts_t o = { 1232, NULL, NULL, kr };
	gold_t g = { "web.example.com.", RR_A, 1232, false, 0, 0, 0, NULL, NULL, NULL };
	uint8_t q[600], r[4096];
	for (int proto = 0; proto < 2; proto++) {
		size_t qlen = make_query(&g, q, sizeof(q));
		tsig_ctx_t ctx;
		tsig_ctx_init(&ctx);
		assert_int_equal(tsig_sign_request(key, q, &qlen, sizeof(q), (uint64_t)time(NULL), 300, &ctx), 0);
		size_t rl = query_answer(db, &o, q, qlen, proto ? QUERY_TCP : QUERY_UDP, r, sizeof(r));
		assert_true(rl > 12);
		assert_int_equal(r[3] & 0xF, RCODE_NOERROR);
		assert_int_equal(tsig_verify_response(&ctx, r, rl, (uint64_t)time(NULL)), TSIG_OK);
		tsig_ctx_clear(&ctx);
		/* a flipped MAC byte: BADSIG, answered NOTAUTH without data */
		qlen = make_query(&g, q, sizeof(q));
		tsig_ctx_init(&ctx);
		assert_int_equal(tsig_sign_request(key, q, &qlen, sizeof(q), (uint64_t)time(NULL), 300, &ctx), 0);
		q[qlen - 10] ^= 1; /* inside the MAC's trailing fields: other data length / error */
		q[qlen - 8 - 32] ^= 0x55; /* inside the MAC */
		rl = query_answer(db, &o, q, qlen, QUERY_UDP, r, sizeof(r));
		assert_true(rl > 12);
		assert_true((r[3] & 0xF) == RCODE_NOTAUTH || (r[3] & 0xF) == RCODE_FORMERR);
		assert_int_equal(wire_u16(r + 6), 0); /* no answer records */
		tsig_ctx_clear(&ctx);
	}
	/* no keyring: NOTAUTH */
	query_opts_t none = { 1232, NULL, NULL, NULL };
	size_t qlen = make_query(&g, q, sizeof(q));
	tsig_ctx_t ctx;
	tsig_ctx_init(&ctx);
	assert_int_equal(tsig_sign_request(key, q, &qlen, sizeof(q), (uint64_t)time(NULL), 300, &ctx), 0);
	size_t rl = query_answer(db, &none, q, qlen, QUERY_UDP, r, sizeof(r));
	assert_int_equal(r[3] & 0xF, RCODE_NOTAUTH);
	(void)rl;
	tsig_ctx_clear(&ctx);
	tsig_keyring_free(kr);
}

static void
test_ixfr_over_udp(void **state)
{
	/* RFC 1995 §2: over UDP the single current SOA (go to TCP); AXFR over UDP refused */
	gold_t ix = { "example.com.", RR_IXFR, 1232, false, RCODE_NOERROR, true, false,
		      "example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300",
		      "", "" };
	run_gold(&ix);
	gold_t ax = { "example.com.", RR_AXFR, 0, false, RCODE_REFUSED, false, false, "", "", "" };
	run_gold(&ax);
	gold_t other = { "example.org.", RR_IXFR, 0, false, RCODE_NOTAUTH, false, false, "", "", "" };
	run_gold(&other);
}

/* EDNS EXPIRE (RFC 7314), decoded with ldns: the option only when asked,
 * the SOA expire on a primary, the time left on a secondary (expire_at),
 * SERVFAIL without it once the zone has expired. */
static int64_t
expire_in(const uint8_t *r, size_t rlen)
{
	ldns_pkt *p = NULL;
	assert_int_equal(ldns_wire2pkt(&p, r, rlen), LDNS_STATUS_OK);
	int64_t v = -1;
	ldns_rdf *opts = ldns_pkt_edns_data(p);
	if (opts != NULL) {
		const uint8_t *d = ldns_rdf_data(opts);
		size_t n = ldns_rdf_size(opts);
		for (size_t o = 0; o + 4 <= n; o += 4u + (size_t)(d[o + 2] << 8 | d[o + 3]))
			if ((d[o] << 8 | d[o + 1]) == 9 && (d[o + 2] << 8 | d[o + 3]) == 4)
				v = (int64_t)((uint32_t)d[o + 4] << 24 | (uint32_t)d[o + 5] << 16 | (uint32_t)d[o + 6] << 8 | d[o + 7]);
	}
	ldns_pkt_free(p);
	return v;
}

static void
test_edns_expire(void **state)
{
	uint8_t q[512], r[4096];
	size_t len = raw_query(q, 0, 1, "example.com.", RR_SOA);
	len = add_opt(q, len, 1232, 0, 0);
	size_t plain = len;
	/* the OPT's RDLENGTH and an empty EXPIRE option */
	q[len - 1] = 4;
	q[len++] = 0;
	q[len++] = 9;
	q[len++] = 0;
	q[len++] = 0;
	const zone_t *z = zonedb_get(db, (const uint8_t *)"\7example\3com");
	assert_non_null(z);

	size_t rlen = query_answer(db, NULL, q, len, QUERY_UDP, r, sizeof(r));
	assert_true(rlen > 12);
	assert_int_equal(expire_in(r, rlen), 1209600);
	rlen = query_answer(db, NULL, q, plain, QUERY_UDP, r, sizeof(r));
	assert_int_equal(expire_in(r, rlen), -1);

	uint64_t now = (uint64_t)time(NULL);
	zone_set_expire_at(z, now + 1000);
	rlen = query_answer(db, NULL, q, len, QUERY_TCP, r, sizeof(r));
	int64_t left = expire_in(r, rlen);
	assert_true(left >= 998 && left <= 1000);
	zone_set_expired(z, true);
	rlen = query_answer(db, NULL, q, len, QUERY_UDP, r, sizeof(r));
	assert_int_equal(r[3] & 0xF, RCODE_SERVFAIL);
	zone_set_expired(z, false);
	zone_set_expire_at(z, 0);
	rlen = query_answer(db, NULL, q, len, QUERY_UDP, r, sizeof(r));
	assert_int_equal(expire_in(r, rlen), 1209600);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden), cmocka_unit_test(test_big_tcp),
		cmocka_unit_test(test_header_rules), cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_tsig_queries), cmocka_unit_test(test_ixfr_over_udp),
		cmocka_unit_test(test_edns_expire),
	};
	return cmocka_run_group_tests_name("query", tests, setup, teardown);
}
