/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Tests for src/xfr/xfrin.c: AXFR and IXFR streams produced by our own
 * server side (axfr.c, ixfr.c, several small messages, TSIG-signed or not)
 * parsed back into a version equal to the original; the single-SOA and
 * AXFR-style IXFR answers; and refusals, each with its reason (wrong ID,
 * error RCODE, truncated stream, SOA and serial chain errors, out-of-zone
 * owners, limits, tampered TSIG, changesets that do not apply), mostly on
 * messages written with ldns.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tu.h"
#include "dns/pkt.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "tsig/tsig.h"
#include "xfr/axfr.h"
#include "xfr/ixfr.h"
#include "xfr/xfrin.h"
#include "zone/apply.h"
#include "zone/diff.h"

#define T0 1700000000ULL
#define QID 0x4242
#define MAXMSG 1024

static const uint8_t apex[] = "\7example\3com";

/* ---- zones ---- */

/* Version 1, 2 or 3 of example.com. with serial = version (v2 and v3 differ
 * from the previous one by additions, deletions and a changed RRset). */
static zone_t *
zone_v(int v)
{
	size_t cap = 64 * 1024, n = 0;
	char *t = malloc(cap);
	assert_non_null(t);
	n += (size_t)snprintf(t + n, cap - n,
			      "example.com. 3600 IN SOA ns.example.com. h.example.com. %d 3600 900 604800 300\n"
			      "example.com. 3600 IN NS ns.example.com.\n"
			      "ns.example.com. 3600 IN A 198.51.100.1\n"
			      "host.example.com. 3600 IN A 198.51.100.2\n"
			      "mx.example.com. 3600 IN A 198.51.100.3\n"
			      "_sip._tcp.example.com. 3600 IN SRV 0 5 5060 host.example.com.\n"
			      "txt.example.com. 3600 IN TXT \"hello\" \"world\"\n"
			      "sub.example.com. 3600 IN NS ns.sub.example.com.\n"
			      "ns.sub.example.com. 3600 IN A 192.0.2.53\n",
			      v);
	n += (size_t)snprintf(t + n, cap - n, "www.example.com. 3600 IN CNAME %s.example.com.\n",
			      v == 1 ? "host" : "host2");
	if (v >= 2)
		n += (size_t)snprintf(t + n, cap - n, "host2.example.com. 3600 IN A 198.51.100.4\n");
	if (v <= 2)
		n += (size_t)snprintf(t + n, cap - n, "example.com. 3600 IN MX 10 mx.example.com.\n");
	if (v == 3)
		n += (size_t)snprintf(t + n, cap - n, "example.com. 3600 IN TXT \"v=3\"\n");
	for (int i = v == 1 ? 0 : 10; i < 200; i++)
		n += (size_t)snprintf(t + n, cap - n, "h%d.example.com. 300 IN A 10.0.%d.%d\n", i, i / 256, i % 256);
	for (int i = 0; v >= 2 && i < 5; i++)
		n += (size_t)snprintf(t + n, cap - n, "n%d.example.com. 300 IN AAAA 2001:db8::%d\n", i, i + 1);
	assert_true(n < cap);
	zone_error_t err;
	zone_t *z = tu_zone("example.com.", t, &err);
	if (z == NULL)
		fprintf(stderr, "zone_v: %s\n", err.msg);
	assert_non_null(z);
	free(t);
	return z;
}

/* ---- requests and streams ---- */

/* AXFR or IXFR query for example.com.; IXFR carries an SOA of client_serial. */
static size_t
mk_query(uint8_t *q, uint16_t qtype, uint32_t client_serial)
{
	memset(q, 0, PKT_HDRLEN);
	wire_set_u16(q, QID);
	wire_set_u16(q + 4, 1);
	size_t n = PKT_HDRLEN;
	memcpy(q + n, apex, sizeof(apex));
	n += sizeof(apex);
	wire_set_u16(q + n, qtype);
	wire_set_u16(q + n + 2, RR_CLASS_IN);
	n += 4;
	if (qtype == RR_IXFR) {
		wire_set_u16(q + 8, 1);
		static const uint8_t soa_fixed[] = { 0xc0, 12, 0, RR_SOA, 0, 1, 0, 0, 0, 0, 0, 22, 0, 0 };
		memcpy(q + n, soa_fixed, sizeof(soa_fixed));
		n += sizeof(soa_fixed);
		wire_set_u32(q + n, client_serial);
		memset(q + n + 4, 0, 16);
		n += 20;
	}
	return n;
}

typedef struct {
	uint8_t *m[1024];
	size_t len[1024];
	size_t n;
} stream_t;

static void
stream_free(stream_t *st)
{
	for (size_t i = 0; i < st->n; i++)
		free(st->m[i]);
	st->n = 0;
}

/* Messages of an AXFR (!ixfr) or IXFR answer, at most cap octets each, signed with s if given. */
static void
gen_stream(stream_t *st, const zone_t *z, const uint8_t *q, size_t qlen, bool ixfr, const changeset_t *const *cs,
	   size_t ncs, tsig_ctx_t *s, size_t cap)
{
	pkt_query_t pq;
	assert_int_equal(pkt_parse_query(q, qlen, &pq), PKT_PARSE_OK);
	xfr_axfr_t ax;
	xfr_ixfr_t ix;
	if (ixfr)
		xfr_ixfr_begin(&ix, z, q, &pq, cs, ncs);
	else
		xfr_axfr_begin(&ax, z, q, &pq);
	st->n = 0;
	for (;;) {
		uint8_t *buf = malloc(MAXMSG);
		assert_non_null(buf);
		size_t reserve = s != NULL ? tsig_reserve(s) : 0;
		long n = ixfr ? xfr_ixfr_next(&ix, buf, cap, reserve) : xfr_axfr_next(&ax, buf, cap, reserve);
		assert_true(n >= 0);
		if (n == 0) {
			free(buf);
			break;
		}
		size_t len = (size_t)n;
		if (s != NULL)
			assert_int_equal(tsig_sign_response(s, buf, &len, cap, T0 + 1), 0);
		assert_true(st->n < 1024);
		st->m[st->n] = buf;
		st->len[st->n++] = len;
	}
}

/* Feed messages [0, upto) and return the last result (stops at the first non-zero). */
static int
feed(xfrin_t *x, const stream_t *st, size_t upto)
{
	int r = 0;
	for (size_t i = 0; i < upto && i < st->n; i++) {
		r = xfrin_feed(x, st->m[i], st->len[i], T0 + 2);
		if (r != 0)
			break;
	}
	return r;
}

/* A response message written with ldns: question example.com./qtype, answer RRs
 * from text lines (absolute names), given rcode and ID. */
static size_t
mk_msg(uint8_t **wire, uint16_t id, uint16_t qtype, int rcode, const char *const *rrs, size_t nrr)
{
	ldns_pkt *p = ldns_pkt_query_new(ldns_dname_new_frm_str("example.com."), (ldns_rr_type)qtype,
					 LDNS_RR_CLASS_IN, 0);
	ldns_pkt_set_id(p, id);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_aa(p, true);
	ldns_pkt_set_rcode(p, (uint8_t)rcode);
	for (size_t i = 0; i < nrr; i++) {
		ldns_rr *rr = NULL;
		assert_int_equal(ldns_rr_new_frm_str(&rr, rrs[i], 3600, NULL, NULL), LDNS_STATUS_OK);
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	}
	size_t len = 0;
	assert_int_equal(ldns_pkt2wire(wire, p, &len), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	return len;
}

#define SOA(s) "example.com. 3600 IN SOA ns.example.com. h.example.com. " #s " 3600 900 604800 300"

/* Run one ldns-made message through a fresh parser; returns feed's result, err copied. */
static int
feed_one(const zone_t *current, uint16_t qid, int rcode, const char *const *rrs, size_t nrr, char *err)
{
	uint8_t *w = NULL;
	size_t len = mk_msg(&w, qid, current != NULL ? RR_IXFR : RR_AXFR, rcode, rrs, nrr);
	xfrin_t x;
	assert_int_equal(xfrin_init(&x, apex, current, QID, NULL, NULL), 0);
	int r = xfrin_feed(&x, w, len, T0);
	strcpy(err, x.err);
	if (r != 0 && r != 1)
		assert_true(x.err[0] != '\0');
	xfrin_clear(&x);
	free(w);
	return r;
}

/* ---- good transfers ---- */

static void
test_axfr(void **state)
{
	zone_t *z = zone_v(1);
	uint8_t q[512];
	size_t qlen = mk_query(q, RR_AXFR, 0);
	stream_t st;
	gen_stream(&st, z, q, qlen, false, NULL, 0, NULL, MAXMSG);
	assert_true(st.n > 3);
	xfrin_t x;
	assert_int_equal(xfrin_init(&x, apex, NULL, QID, NULL, NULL), 0);
	for (size_t i = 0; i < st.n; i++)
		assert_int_equal(xfrin_feed(&x, st.m[i], st.len[i], T0), i + 1 == st.n ? 1 : 0);
	assert_int_equal(x.messages, st.n);
	assert_int_equal(x.records, z->nrecords + 1);
	zone_t *out = NULL;
	xfrin_kind_t kind;
	assert_int_equal(xfrin_finish(&x, &out, &kind), 0);
	assert_int_equal(kind, XFRIN_AXFR);
	assert_non_null(out);
	assert_true(zone_equal(out, z));
	assert_int_equal(out->serial, 1);
	/* a second finish is refused */
	zone_t *again = NULL;
	assert_int_equal(xfrin_finish(&x, &again, NULL), FL_EINVAL);
	assert_null(again);
	xfrin_clear(&x);
	xfrin_clear(&x);
	zone_free(out);

	/* anything after the final SOA is refused */
	assert_int_equal(xfrin_init(&x, apex, NULL, QID, NULL, NULL), 0);
	assert_int_equal(feed(&x, &st, st.n), 1);
	assert_int_equal(xfrin_feed(&x, st.m[0], st.len[0], T0), FL_EMALF);
	assert_non_null(strstr(x.err, "after the end"));
	xfrin_clear(&x);
	stream_free(&st);
	zone_free(z);
}

static void
test_ixfr(void **state)
{
	zone_t *z1 = zone_v(1), *z2 = zone_v(2), *z3 = zone_v(3);
	changeset_t a, b;
	changeset_init(&a);
	changeset_init(&b);
	assert_int_equal(zone_diff(z1, z2, &a), 0);
	assert_int_equal(zone_diff(z2, z3, &b), 0);
	const changeset_t *cs[] = { &a, &b };
	uint8_t q[512];
	size_t qlen = mk_query(q, RR_IXFR, 1);
	stream_t st;
	gen_stream(&st, z3, q, qlen, true, cs, 2, NULL, 256);
	assert_true(st.n >= 2);

	xfrin_t x;
	assert_int_equal(xfrin_init(&x, apex, z1, QID, NULL, NULL), 0);
	assert_int_equal(feed(&x, &st, st.n), 1);
	assert_int_equal(x.ncs, 2);
	zone_t *out = NULL;
	xfrin_kind_t kind;
	assert_int_equal(xfrin_finish(&x, &out, &kind), 0);
	assert_int_equal(kind, XFRIN_IXFR);
	assert_true(zone_equal(out, z3));
	assert_false(zone_equal(out, z1));
	zone_free(out);
	xfrin_clear(&x);

	/* truncated: the final SOA never comes */
	assert_int_equal(xfrin_init(&x, apex, z1, QID, NULL, NULL), 0);
	assert_int_equal(feed(&x, &st, st.n - 1), 0);
	assert_int_equal(xfrin_finish(&x, &out, &kind), FL_EMALF);
	assert_null(out);
	assert_non_null(strstr(x.err, "incomplete"));
	xfrin_clear(&x);
	stream_free(&st);

	/* condensed: one changeset straight from 1 to 3 (what a primary that
	 * merges its journal sends) applies like the two-step one */
	changeset_t ab;
	changeset_init(&ab);
	assert_int_equal(zone_diff(z1, z3, &ab), 0);
	const changeset_t *cond[] = { &ab };
	stream_t sc;
	gen_stream(&sc, z3, q, qlen, true, cond, 1, NULL, 256);
	assert_int_equal(xfrin_init(&x, apex, z1, QID, NULL, NULL), 0);
	assert_int_equal(feed(&x, &sc, sc.n), 1);
	assert_int_equal(x.ncs, 1);
	assert_int_equal(xfrin_finish(&x, &out, &kind), 0);
	assert_int_equal(kind, XFRIN_IXFR);
	assert_true(zone_equal(out, z3));
	zone_free(out);
	xfrin_clear(&x);
	stream_free(&sc);
	changeset_clear(&ab);

	/* the same stream from a version that is not serial 1: refused at once */
	gen_stream(&st, z3, q, qlen, true, cs + 1, 1, NULL, 256);
	assert_int_equal(xfrin_init(&x, apex, z1, QID, NULL, NULL), 0);
	assert_int_equal(feed(&x, &st, st.n), FL_EMALF);
	assert_string_equal(x.err, "IXFR starts at serial 2, ours is 1");
	xfrin_clear(&x);
	stream_free(&st);

	changeset_clear(&a);
	changeset_clear(&b);
	zone_free(z1);
	zone_free(z2);
	zone_free(z3);
}

static void
test_ixfr_uptodate(void **state)
{
	zone_t *z1 = zone_v(1);
	uint8_t q[512];
	size_t qlen = mk_query(q, RR_IXFR, 1);
	stream_t st;
	gen_stream(&st, z1, q, qlen, true, NULL, 0, NULL, MAXMSG);
	assert_int_equal(st.n, 1);
	xfrin_t x;
	assert_int_equal(xfrin_init(&x, apex, z1, QID, NULL, NULL), 0);
	assert_int_equal(feed(&x, &st, 1), 1);
	zone_t *out = (zone_t *)1;
	xfrin_kind_t kind;
	assert_int_equal(xfrin_finish(&x, &out, &kind), 0);
	assert_int_equal(kind, XFRIN_UPTODATE);
	assert_null(out);
	xfrin_clear(&x);
	stream_free(&st);

	/* an older serial is "up to date" too (RFC 1982: not newer) */
	char err[256];
	const char *older[] = { SOA(0) };
	assert_int_equal(feed_one(z1, QID, 0, older, 1, err), 1);
	/* but not with more records after it */
	const char *more[] = { SOA(1), "ns.example.com. 3600 IN A 198.51.100.1" };
	assert_int_equal(feed_one(z1, QID, 0, more, 2, err), FL_EMALF);
	assert_non_null(strstr(err, "after the end"));
	zone_free(z1);
}

static void
test_ixfr_axfr_style(void **state)
{
	zone_t *z1 = zone_v(1), *z3 = zone_v(3);
	uint8_t q[512];
	size_t qlen = mk_query(q, RR_IXFR, 1);
	stream_t st;
	gen_stream(&st, z3, q, qlen, false, NULL, 0, NULL, MAXMSG); /* the AXFR stream for an IXFR question */
	assert_true(st.n > 1);
	xfrin_t x;
	assert_int_equal(xfrin_init(&x, apex, z1, QID, NULL, NULL), 0);
	assert_int_equal(feed(&x, &st, st.n), 1);
	zone_t *out = NULL;
	xfrin_kind_t kind;
	assert_int_equal(xfrin_finish(&x, &out, &kind), 0);
	assert_int_equal(kind, XFRIN_IXFR_AXFR_STYLE);
	assert_true(zone_equal(out, z3));
	zone_free(out);
	xfrin_clear(&x);
	stream_free(&st);
	zone_free(z1);
	zone_free(z3);
}

/* Names in rdata: compressed pointers expanded, owners and CNAME/LNAME fields lowercased. */
static void
test_names_lowercased(void **state)
{
	const char *rrs[] = { SOA(7), "Example.COM. 3600 IN NS NS.Example.COM.",
			      "NS.example.com. 3600 IN A 192.0.2.1", "WWW.example.com. 60 IN CNAME Host.EXAMPLE.com.",
			      "Host.example.com. 60 IN A 192.0.2.2", SOA(7) };
	uint8_t *w = NULL;
	size_t len = mk_msg(&w, QID, RR_AXFR, 0, rrs, 6);
	xfrin_t x;
	assert_int_equal(xfrin_init(&x, (const uint8_t *)"\7EXAMPLE\3com", NULL, QID, NULL, NULL), 0);
	assert_int_equal(xfrin_feed(&x, w, len, T0), 1);
	zone_t *out = NULL;
	assert_int_equal(xfrin_finish(&x, &out, NULL), 0);
	uint8_t n[DNAME_MAXLEN], t[DNAME_MAXLEN];
	size_t nl = tu_name("www.example.com.", n), tl = tu_name("host.example.com.", t);
	const zone_node_t *node = zone_find(out, n, nl);
	assert_non_null(node);
	const zone_rrset_t *cn = zone_node_rrset(node, RR_CNAME);
	assert_non_null(cn);
	assert_int_equal(cn->count, 1);
	uint16_t rdl; /* host order */
	memcpy(&rdl, cn->rdata, 2);
	assert_int_equal(rdl, tl);
	assert_memory_equal(cn->rdata + 2, t, tl);
	zone_free(out);
	xfrin_clear(&x);
	free(w);
}

/* Append an RR: owner (wire, may hold a pointer), type, rdata (may hold pointers). */
static size_t
put_rr(uint8_t *m, size_t n, const void *owner, size_t olen, uint16_t type, const void *rd, size_t rdlen)
{
	memcpy(m + n, owner, olen);
	n += olen;
	wire_set_u16(m + n, type);
	wire_set_u16(m + n + 2, RR_CLASS_IN);
	wire_set_u32(m + n + 4, 60);
	wire_set_u16(m + n + 8, (uint16_t)rdlen);
	memcpy(m + n + 10, rd, rdlen);
	return n + 10 + rdlen;
}

/* Compression pointers inside rdata (written by hand, so surely there). */
static void
test_compressed_rdata(void **state)
{
	uint8_t m[512], soa[64];
	size_t n = mk_query(m, RR_AXFR, 0);
	wire_set_u16(m + 2, PKT_QR | PKT_AA);
	wire_set_u16(m + 6, 6);
	memcpy(soa, "\2ns\300\14\1H\300\14", 9); /* ns.<ptr> H.<ptr>: rname keeps no case (LNAME) */
	for (int i = 0; i < 5; i++)
		wire_set_u32(soa + 9 + 4 * i, i == 0 ? 5 : 60);
	n = put_rr(m, n, "\300\14", 2, RR_SOA, soa, 29);
	n = put_rr(m, n, "\300\14", 2, RR_NS, "\2ns\300\14", 5);
	n = put_rr(m, n, "\2ns\300\14", 5, RR_A, "\300\0\2\1", 4);
	size_t www = n;
	n = put_rr(m, n, "\3WWW\300\14", 6, RR_CNAME, "\4HOST\300\14", 7);
	n = put_rr(m, n, "\4host\300\14", 7, RR_A, "\300\0\2\2", 4);
	n = put_rr(m, n, "\300\14", 2, RR_SOA, soa, 29);
	xfrin_t x;
	assert_int_equal(xfrin_init(&x, apex, NULL, QID, NULL, NULL), 0);
	assert_int_equal(xfrin_feed(&x, m, n, T0), 1);
	zone_t *out = NULL;
	assert_int_equal(xfrin_finish(&x, &out, NULL), 0);
	xfrin_clear(&x);
	uint8_t nm[DNAME_MAXLEN], t[DNAME_MAXLEN];
	size_t nl = tu_name("www.example.com.", nm), tl = tu_name("host.example.com.", t);
	const zone_node_t *node = zone_find(out, nm, nl);
	assert_non_null(node);
	const zone_rrset_t *cn = zone_node_rrset(node, RR_CNAME);
	assert_non_null(cn);
	uint16_t rdl;
	memcpy(&rdl, cn->rdata, 2);
	assert_int_equal(rdl, tl);
	assert_memory_equal(cn->rdata + 2, t, tl);
	assert_int_equal(out->soa->count, 1);
	memcpy(&rdl, out->soa->rdata, 2);
	assert_int_equal(rdl, 16 + 15 + 20);
	assert_memory_equal(out->soa->rdata + 2, "\2ns\7example\3com\0\1h\7example\3com\0", 31);
	zone_free(out);

	/* a pointer forward (to the next RR) inside rdata is malformed */
	m[www + 6 + 10 + 5] = 0xc0;
	m[www + 6 + 10 + 6] = (uint8_t)(www + 6 + 10 + 7);
	assert_int_equal(xfrin_init(&x, apex, NULL, QID, NULL, NULL), 0);
	assert_int_equal(xfrin_feed(&x, m, n, T0), FL_EMALF);
	assert_string_equal(x.err, "malformed CNAME rdata at www.example.com.");
	xfrin_clear(&x);
}

/* ---- TSIG ---- */

static tsig_keyring_t *
keyring(void)
{
	uint8_t n[DNAME_MAXLEN];
	tu_name("xfr.key.", n);
	tsig_keyring_t *kr = tsig_keyring_new();
	assert_non_null(kr);
	static const uint8_t secret[32] = "0123456789abcdef0123456789abcdef";
	assert_int_equal(tsig_keyring_add(kr, n, TSIG_ALG_HMAC_SHA256, secret, sizeof(secret)), 0);
	return kr;
}

/* A signed AXFR request (client ctx c) and its signed answer stream. */
static void
signed_axfr(const tsig_keyring_t *kr, const zone_t *z, tsig_ctx_t *c, stream_t *st, bool sign)
{
	uint8_t n[DNAME_MAXLEN];
	tu_name("xfr.key.", n);
	uint8_t q[512];
	size_t qlen = mk_query(q, RR_AXFR, 0);
	tsig_ctx_init(c);
	assert_int_equal(tsig_sign_request(tsig_keyring_find(kr, n), q, &qlen, sizeof(q), T0, 0, c), 0);
	tsig_ctx_t s;
	assert_int_equal(tsig_verify_request(kr, q, qlen, T0, &s), TSIG_OK);
	gen_stream(st, z, q, qlen, false, NULL, 0, sign ? &s : NULL, MAXMSG);
	tsig_ctx_clear(&s);
}

static void
test_tsig(void **state)
{
	tsig_keyring_t *kr = keyring();
	zone_t *z = zone_v(1);
	tsig_ctx_t c;
	stream_t st;
	xfrin_t x;
	zone_t *out = NULL;

	signed_axfr(kr, z, &c, &st, true);
	assert_true(st.n > 3);
	assert_int_equal(xfrin_init(&x, apex, NULL, QID, &c, NULL), 0);
	assert_int_equal(feed(&x, &st, st.n), 1);
	assert_int_equal(c.nsigned, st.n);
	assert_int_equal(xfrin_finish(&x, &out, NULL), 0);
	assert_true(zone_equal(out, z));
	zone_free(out);
	xfrin_clear(&x);
	tsig_ctx_clear(&c);

	stream_free(&st);

	/* one octet changed in the middle of message 2 */
	signed_axfr(kr, z, &c, &st, true);
	st.m[1][st.len[1] / 2] ^= 0x01;
	assert_int_equal(xfrin_init(&x, apex, NULL, QID, &c, NULL), 0);
	assert_int_equal(feed(&x, &st, st.n), FL_EMALF);
	assert_non_null(strstr(x.err, "TSIG"));
	assert_int_equal(x.messages, 1);
	xfrin_clear(&x);
	tsig_ctx_clear(&c);
	stream_free(&st);

	/* an unsigned answer to a signed request */
	signed_axfr(kr, z, &c, &st, false);
	assert_int_equal(xfrin_init(&x, apex, NULL, QID, &c, NULL), 0);
	assert_int_equal(feed(&x, &st, st.n), FL_EMALF);
	assert_non_null(strstr(x.err, "TSIG"));
	xfrin_clear(&x);
	tsig_ctx_clear(&c);
	stream_free(&st);

	zone_free(z);
	tsig_keyring_free(kr);
}

/* ---- refusals ---- */

static void
test_header_errors(void **state)
{
	char err[256];
	const char *ok[] = { SOA(1), "example.com. 3600 IN NS ns.example.com.", "ns.example.com. 3600 IN A 192.0.2.1",
			     SOA(1) };
	assert_int_equal(feed_one(NULL, QID, 0, ok, 4, err), 1);
	assert_int_equal(feed_one(NULL, QID + 1, 0, ok, 4, err), FL_EMALF);
	assert_string_equal(err, "message ID 16963, expected 16962");
	assert_int_equal(feed_one(NULL, QID, RCODE_REFUSED, NULL, 0, err), FL_EMALF);
	assert_non_null(strstr(err, "REFUSED"));
	assert_int_equal(feed_one(NULL, QID, RCODE_NOTAUTH, ok, 4, err), FL_EMALF);
	assert_non_null(strstr(err, "NOTAUTH"));
	assert_int_equal(feed_one(NULL, QID, 0, NULL, 0, err), FL_EMALF);
	assert_non_null(strstr(err, "without records"));

	/* question for another zone, or the wrong type (IXFR answer to our AXFR) */
	uint8_t *w = NULL;
	size_t len = mk_msg(&w, QID, RR_AXFR, 0, ok, 4);
	xfrin_t x;
	assert_int_equal(xfrin_init(&x, (const uint8_t *)"\7example\3org", NULL, QID, NULL, NULL), 0);
	assert_int_equal(xfrin_feed(&x, w, len, T0), FL_EMALF);
	assert_string_equal(x.err, "question for example.com., not for the zone");
	xfrin_clear(&x);
	free(w);
	len = mk_msg(&w, QID, RR_IXFR, 0, ok, 4);
	assert_int_equal(xfrin_init(&x, apex, NULL, QID, NULL, NULL), 0);
	assert_int_equal(xfrin_feed(&x, w, len, T0), FL_EMALF);
	assert_non_null(strstr(x.err, "expected AXFR"));
	/* sticky */
	assert_int_equal(xfrin_feed(&x, w, len, T0), FL_EMALF);
	zone_t *out = NULL;
	assert_int_equal(xfrin_finish(&x, &out, NULL), FL_EMALF);
	xfrin_clear(&x);
	/* QR=0 and garbage */
	w[2] &= 0x7f;
	assert_int_equal(xfrin_init(&x, apex, NULL, QID, NULL, NULL), 0);
	assert_int_equal(xfrin_feed(&x, w, len, T0), FL_EMALF);
	assert_non_null(strstr(x.err, "QR=0"));
	xfrin_clear(&x);
	assert_int_equal(xfrin_init(&x, apex, NULL, QID, NULL, NULL), 0);
	assert_int_equal(xfrin_feed(&x, w, 5, T0), FL_EMALF);
	xfrin_clear(&x);
	free(w);
}

static void
test_stream_errors(void **state)
{
	char err[256];
	const char *first_not_soa[] = { "example.com. 3600 IN NS ns.example.com.", SOA(1) };
	assert_int_equal(feed_one(NULL, QID, 0, first_not_soa, 2, err), FL_EMALF);
	assert_string_equal(err, "the first record is not the SOA of the zone");

	const char *soa_mismatch[] = { SOA(1), "example.com. 3600 IN NS ns.example.com.", SOA(2) };
	assert_int_equal(feed_one(NULL, QID, 0, soa_mismatch, 3, err), FL_EMALF);
	assert_string_equal(err, "SOA of serial 2 inside the transfer of serial 1");

	const char *soa_elsewhere[] = { SOA(1), "sub.example.com. 3600 IN SOA a.example.com. b.example.com. 1 1 1 1 1" };
	assert_int_equal(feed_one(NULL, QID, 0, soa_elsewhere, 2, err), FL_EMALF);
	assert_non_null(strstr(err, "not at the zone apex"));

	const char *outzone[] = { SOA(1), "www.example.org. 3600 IN A 192.0.2.1" };
	assert_int_equal(feed_one(NULL, QID, 0, outzone, 2, err), FL_EOUTZONE);
	assert_string_equal(err, "owner www.example.org. is outside the zone");

	const char *chaos[] = { SOA(1), "www.example.com. 3600 CH A 192.0.2.1" };
	assert_int_equal(feed_one(NULL, QID, 0, chaos, 2, err), FL_EMALF);
	assert_non_null(strstr(err, "class 3"));

	/* the builder's validation becomes the error */
	const char *no_ns[] = { SOA(1), "www.example.com. 3600 IN A 192.0.2.1", SOA(1) };
	uint8_t *w = NULL;
	size_t len = mk_msg(&w, QID, RR_AXFR, 0, no_ns, 3);
	xfrin_t x;
	assert_int_equal(xfrin_init(&x, apex, NULL, QID, NULL, NULL), 0);
	assert_int_equal(xfrin_feed(&x, w, len, T0), 1);
	zone_t *out = NULL;
	assert_int_equal(xfrin_finish(&x, &out, NULL), FL_ESEMANTIC);
	assert_null(out);
	assert_non_null(strstr(x.err, "not valid"));
	xfrin_clear(&x);
	free(w);

	/* rdata that is not what the type says (an A of 5 octets) */
	const char *a[] = { SOA(1), "www.example.com. 3600 IN A 192.0.2.1" };
	len = mk_msg(&w, QID, RR_AXFR, 0, a, 2);
	/* grow the last RR's rdata by one octet */
	uint8_t *w2 = malloc(len + 1);
	memcpy(w2, w, len);
	w2[len] = 0;
	w2[len - 5] = 5;
	assert_int_equal(xfrin_init(&x, apex, NULL, QID, NULL, NULL), 0);
	assert_int_equal(xfrin_feed(&x, w2, len + 1, T0), FL_EMALF);
	assert_string_equal(x.err, "malformed A rdata at www.example.com.");
	xfrin_clear(&x);
	free(w2);
	free(w);
}

static void
test_ixfr_errors(void **state)
{
	zone_t *z1 = zone_v(1);
	char err[256];
	const char *wrong_start[] = { SOA(3), SOA(2), SOA(3), SOA(3) };
	assert_int_equal(feed_one(z1, QID, 0, wrong_start, 4, err), FL_EMALF);
	assert_string_equal(err, "IXFR starts at serial 2, ours is 1");

	const char *broken[] = { SOA(3), SOA(1), SOA(2), "x.example.com. 60 IN A 192.0.2.9", SOA(1), SOA(3),
				 SOA(3) };
	assert_int_equal(feed_one(z1, QID, 0, broken, 7, err), FL_EMALF);
	assert_string_equal(err, "IXFR chain broken: changeset 2 starts at serial 1, the previous one ended at 2");

	/* well formed, but deletes an RR we do not have */
	const char *noapply[] = { SOA(2), SOA(1), "nothere.example.com. 60 IN A 192.0.2.9", SOA(2), SOA(2) };
	uint8_t *w = NULL;
	size_t len = mk_msg(&w, QID, RR_IXFR, 0, noapply, 5);
	xfrin_t x;
	assert_int_equal(xfrin_init(&x, apex, z1, QID, NULL, NULL), 0);
	assert_int_equal(xfrin_feed(&x, w, len, T0), 1);
	zone_t *out = NULL;
	xfrin_kind_t kind;
	assert_int_equal(xfrin_finish(&x, &out, &kind), FL_ESEMANTIC);
	assert_null(out);
	assert_true(strncmp(x.err, "IXFR does not apply: ", 21) == 0);
	xfrin_clear(&x);
	free(w);

	/* a hand-written incremental answer that does apply, over two messages */
	const char *m1[] = { SOA(2), SOA(1), "h0.example.com. 300 IN A 10.0.0.0" };
	const char *m2[] = { SOA(2), "new.example.com. 300 IN A 192.0.2.77", SOA(2) };
	uint8_t *w1 = NULL, *w2 = NULL;
	size_t l1 = mk_msg(&w1, QID, RR_IXFR, 0, m1, 3), l2 = mk_msg(&w2, QID, RR_IXFR, 0, m2, 3);
	assert_int_equal(xfrin_init(&x, apex, z1, QID, NULL, NULL), 0);
	assert_int_equal(xfrin_feed(&x, w1, l1, T0), 0);
	assert_int_equal(xfrin_feed(&x, w2, l2, T0), 1);
	assert_int_equal(xfrin_finish(&x, &out, &kind), 0);
	assert_int_equal(kind, XFRIN_IXFR);
	assert_int_equal(out->serial, 2);
	assert_int_equal(out->nrecords, z1->nrecords);
	uint8_t n[DNAME_MAXLEN];
	size_t nl = tu_name("new.example.com.", n);
	assert_non_null(zone_find(out, n, nl));
	nl = tu_name("h0.example.com.", n);
	assert_null(zone_find(out, n, nl));
	zone_free(out);
	xfrin_clear(&x);
	free(w1);
	free(w2);
	zone_free(z1);
}

static void
test_limits(void **state)
{
	zone_t *z = zone_v(1);
	uint8_t q[512];
	size_t qlen = mk_query(q, RR_AXFR, 0);
	stream_t st;
	gen_stream(&st, z, q, qlen, false, NULL, 0, NULL, MAXMSG);
	xfrin_t x;
	xfrin_limits_t lim = { .max_records = 50 };
	assert_int_equal(xfrin_init(&x, apex, NULL, QID, NULL, &lim), 0);
	assert_int_equal(feed(&x, &st, st.n), FL_ELIMIT);
	assert_string_equal(x.err, "transfer of more than 50 records");
	assert_int_equal(x.records, 50);
	xfrin_clear(&x);

	lim = (xfrin_limits_t){ .max_bytes = 2000 };
	assert_int_equal(xfrin_init(&x, apex, NULL, QID, NULL, &lim), 0);
	assert_int_equal(feed(&x, &st, st.n), FL_ELIMIT);
	assert_string_equal(x.err, "transfer larger than 2000 octets");
	assert_true(x.bytes <= 2000);
	xfrin_clear(&x);

	/* exactly the size of the transfer is fine */
	size_t total = 0;
	for (size_t i = 0; i < st.n; i++)
		total += st.len[i];
	lim = (xfrin_limits_t){ .max_bytes = total, .max_records = z->nrecords + 1 };
	assert_int_equal(xfrin_init(&x, apex, NULL, QID, NULL, &lim), 0);
	assert_int_equal(feed(&x, &st, st.n), 1);
	assert_int_equal(x.bytes, total);
	xfrin_clear(&x);

	/* init refusals */
	zone_t *other = tu_zone("example.org.",
				"example.org. 3600 IN SOA ns.example.org. h.example.org. 1 1 1 1 1\n"
				"example.org. 3600 IN NS ns.example.org.\nns.example.org. 3600 IN A 192.0.2.1\n",
				NULL);
	assert_non_null(other);
	assert_int_equal(xfrin_init(&x, apex, other, QID, NULL, NULL), FL_EINVAL);
	xfrin_clear(&x);
	zone_free(other);
	stream_free(&st);
	zone_free(z);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_axfr),
		cmocka_unit_test(test_ixfr),
		cmocka_unit_test(test_ixfr_uptodate),
		cmocka_unit_test(test_ixfr_axfr_style),
		cmocka_unit_test(test_names_lowercased),
		cmocka_unit_test(test_compressed_rdata),
		cmocka_unit_test(test_tsig),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_stream_errors),
		cmocka_unit_test(test_ixfr_errors),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests_name("xfrin", tests, NULL, NULL);
}
