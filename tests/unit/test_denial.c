/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Tests for src/query/denial.c on zones signed by sign_zone (NSEC, NSEC3,
 * NSEC3 opt-out). Each proof is checked for what a validator checks, not
 * for record names written down here: an NSEC "covers" a name when owner <
 * name < next in canonical order (the last one wraps), an NSEC3 covers a
 * hash when owner hash < hash < next hash (wrapping), a "match" is the
 * record owned by the name or its hash, and a NODATA record's bitmap lacks
 * the type. Cases: NXDOMAIN (below the apex, below an empty non-terminal,
 * several labels down), NODATA, empty non-terminal NODATA, wildcard answer,
 * wildcard NODATA, referral without DS (with opt-out: the closest provable
 * encloser and an opt-out next closer), NSEC3 owners hidden (RFC 5155
 * §7.2.8), an unsigned zone (no proof).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dname.h"
#include "dns/msg.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "dnssec/nsec.h"
#include "dnssec/sign.h"
#include "query/denial.h"
#include "tu.h"
#include "util/err.h"

#define NOW 1800000000u

static const char base[] =
	"example.com. 300 IN SOA ns1.example.com. h.example.com. 1 3600 900 604800 120\n"
	"example.com. 300 IN NS ns1.example.com.\n"
	"ns1.example.com. 300 IN A 192.0.2.1\n"
	"www.example.com. 300 IN A 192.0.2.80\n"
	"a.b.c.ent.example.com. 300 IN A 192.0.2.9\n"
	"*.wild.example.com. 300 IN TXT \"w\"\n"
	"insecure.example.com. 300 IN NS ns.insecure.example.com.\n"
	"ns.insecure.example.com. 300 IN A 192.0.2.53\n"
	"secure.example.com. 300 IN NS ns.other.test.\n"
	"secure.example.com. 300 IN DS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n";

typedef struct {
	zone_t *z;
	dkey_t *k;
} fx_t;

static zone_t *
signed_zone(bool nsec3, bool optout, dkey_t **k)
{
	zone_error_t err;
	zone_t *u = tu_zone("example.com.", base, &err);
	assert_non_null(u);
	if (*k == NULL)
		assert_int_equal(dkey_generate(u->origin, DKEY_ALG_ED25519, DKEY_FLAG_ZONE | DKEY_FLAG_SEP, k), 0);
	sign_opts_t o = { .inception = NOW - 3600, .expiration = NOW + 86400 * 14, .nsec3 = nsec3, .optout = optout,
			  .threads = 1 };
	zone_t *s = NULL;
	char e[256];
	assert_int_equal(sign_zone(u, k, 1, &o, &s, NULL, e, sizeof(e)), 0);
	zone_free(u);
	return s;
}

static size_t
nm(const char *s, uint8_t *w)
{
	return tu_name(s, w);
}

/* ---- NSEC checks ---- */

static const uint8_t *
nsec_next(const zone_node_t *n)
{
	const zone_rrset_t *rs = zone_node_rrset(n, RR_NSEC);
	assert_non_null(rs);
	return msg_rd_data(rs->rdata);
}

static bool
nsec_covers(const zone_t *z, const zone_node_t *n, const uint8_t *name)
{
	const uint8_t *next = nsec_next(n);
	if (dname_canon_cmp(n->name, name) >= 0)
		return false;
	/* The last NSEC points back at the apex: it covers everything after it. */
	return dname_eq(next, z->origin) || dname_canon_cmp(name, next) < 0;
}

static bool
bitmap_has(const zone_node_t *n, uint16_t chain, uint16_t type)
{
	const zone_rrset_t *rs = zone_node_rrset(n, chain);
	assert_non_null(rs);
	const uint8_t *d = msg_rd_data(rs->rdata);
	uint16_t l = msg_rd_len(rs->rdata);
	size_t off;
	if (chain == RR_NSEC) {
		off = dname_len(d);
	} else {
		off = 5u + d[4];
		off += 1u + d[off];
	}
	return nsec_bitmap_has(d + off, l - off, type);
}

static bool
any_covers(const zone_t *z, const denial_t *d, const char *name)
{
	uint8_t w[DNAME_MAXLEN];
	nm(name, w);
	for (int i = 0; i < d->n; i++)
		if (nsec_covers(z, d->node[i], w))
			return true;
	return false;
}

/* ---- NSEC3 checks ---- */

static void
hash_of(const char *name, uint8_t h[NSEC3_HASHLEN])
{
	uint8_t w[DNAME_MAXLEN];
	nm(name, w);
	assert_int_equal(nsec3_hash(w, NULL, 0, 0, h), 0);
}

static void
owner_hash(const zone_node_t *n, uint8_t h[NSEC3_HASHLEN])
{
	assert_int_equal(b32hex_decode((const char *)n->name + 1, n->name[0], h, NSEC3_HASHLEN), NSEC3_HASHLEN);
}

static const uint8_t *
n3_next(const zone_node_t *n, uint8_t *flags)
{
	const zone_rrset_t *rs = zone_node_rrset(n, RR_NSEC3);
	assert_non_null(rs);
	const uint8_t *d = msg_rd_data(rs->rdata);
	*flags = d[1];
	size_t off = 5u + d[4];
	assert_int_equal(d[off], NSEC3_HASHLEN);
	return d + off + 1;
}

/* Does one record of d match (m) or cover (!m) the hash of name? With
 * optout_needed, the covering record must have the opt-out flag. */
static const zone_node_t *
n3_find(const denial_t *d, const char *name, bool m, bool optout_needed)
{
	uint8_t h[NSEC3_HASHLEN], o[NSEC3_HASHLEN];
	hash_of(name, h);
	for (int i = 0; i < d->n; i++) {
		uint8_t fl;
		owner_hash(d->node[i], o);
		const uint8_t *nx = n3_next(d->node[i], &fl);
		if (m) {
			if (nsec3_hash_cmp(o, h) == 0)
				return d->node[i];
			continue;
		}
		bool wraps = nsec3_hash_cmp(nx, o) <= 0;
		bool in = wraps ? (nsec3_hash_cmp(h, o) > 0 || nsec3_hash_cmp(h, nx) < 0)
				: (nsec3_hash_cmp(h, o) > 0 && nsec3_hash_cmp(h, nx) < 0);
		if (in && (!optout_needed || (fl & NSEC3_FLAG_OPTOUT)))
			return d->node[i];
	}
	return NULL;
}

/* ---- tests ---- */

static void
test_nsec(void **state)
{
	(void)state;
	dkey_t *k = NULL;
	zone_t *z = signed_zone(false, false, &k);
	assert_int_equal(denial_mode(z), DENIAL_NSEC);
	denial_t d;
	uint8_t w[DNAME_MAXLEN];
	size_t l;

	/* NXDOMAIN: the name and the wildcard at its closest encloser. */
	static const struct {
		const char *q, *wild;
	} nx[] = {
		{ "nx.example.com.", "*.example.com." },
		{ "a.b.nx.example.com.", "*.example.com." },
		{ "zzzz.example.com.", "*.example.com." },
		{ "x.c.ent.example.com.", "*.c.ent.example.com." },
		{ "0.example.com.", "*.example.com." },
	};
	for (size_t i = 0; i < sizeof(nx) / sizeof(nx[0]); i++) {
		l = nm(nx[i].q, w);
		assert_int_equal(denial_nxdomain(z, w, l, &d), 0);
		assert_true(d.n >= 1 && d.n <= 2);
		assert_true(any_covers(z, &d, nx[i].q));
		assert_true(any_covers(z, &d, nx[i].wild));
	}

	/* NODATA at www (the NSEC there, without AAAA). */
	l = nm("www.example.com.", w);
	assert_int_equal(denial_nodata(z, w, l, zone_find(z, w, l), &d), 0);
	assert_int_equal(d.n, 1);
	assert_true(dname_eq(d.node[0]->name, w));
	assert_false(bitmap_has(d.node[0], RR_NSEC, RR_AAAA));
	assert_true(bitmap_has(d.node[0], RR_NSEC, RR_A));

	/* An empty non-terminal: covered, and the next name is below it. */
	l = nm("c.ent.example.com.", w);
	assert_int_equal(denial_nodata(z, w, l, zone_find(z, w, l), &d), 0);
	assert_int_equal(d.n, 1);
	assert_true(nsec_covers(z, d.node[0], w));
	assert_true(dname_is_sub(nsec_next(d.node[0]), dname_len(nsec_next(d.node[0])), w, l));

	/* Wildcard answer: no closer name; wildcard NODATA adds *.wild's NSEC. */
	l = nm("foo.wild.example.com.", w);
	const zone_node_t *ce = zone_find(z, w + 4, l - 4);
	assert_non_null(ce);
	assert_int_equal(denial_wildcard(z, w, l, ce, &d), 0);
	assert_int_equal(d.n, 1);
	assert_true(nsec_covers(z, d.node[0], w));
	uint8_t wc[DNAME_MAXLEN];
	size_t wl = nm("*.wild.example.com.", wc);
	const zone_node_t *wn = zone_find(z, wc, wl);
	assert_int_equal(denial_wildcard_nodata(z, w, l, ce, wn, &d), 0);
	/* Every name below wild sorts between *.wild and www: *.wild's NSEC does both jobs. */
	assert_true(d.n >= 1 && d.n <= 2);
	assert_true(any_covers(z, &d, "foo.wild.example.com."));
	assert_true(d.node[d.n - 1] == wn && !bitmap_has(wn, RR_NSEC, RR_A) && bitmap_has(wn, RR_NSEC, RR_TXT));
	l = nm("zzz.wild.example.com.", w);
	assert_int_equal(denial_wildcard_nodata(z, w, l, ce, wn, &d), 0);
	assert_true(any_covers(z, &d, "zzz.wild.example.com."));
	assert_true(d.node[d.n - 1] == wn);

	/* Referral without DS: the cut's NSEC lists NS, not DS. */
	l = nm("insecure.example.com.", w);
	assert_int_equal(denial_no_ds(z, zone_find(z, w, l), &d), 0);
	assert_int_equal(d.n, 1);
	assert_true(dname_eq(d.node[0]->name, w));
	assert_true(bitmap_has(d.node[0], RR_NSEC, RR_NS) && !bitmap_has(d.node[0], RR_NSEC, RR_DS));
	zone_free(z);
	dkey_free(k);
}

static void
test_nsec3(void **state)
{
	(void)state;
	dkey_t *k = NULL;
	zone_t *z = signed_zone(true, false, &k);
	assert_int_equal(denial_mode(z), DENIAL_NSEC3);
	denial_t d;
	uint8_t w[DNAME_MAXLEN];
	size_t l;

	/* NXDOMAIN: closest encloser matched, next closer and wildcard covered. */
	static const struct {
		const char *q, *ce, *nc, *wild;
	} nx[] = {
		{ "nx.example.com.", "example.com.", "nx.example.com.", "*.example.com." },
		{ "a.b.nx.example.com.", "example.com.", "nx.example.com.", "*.example.com." },
		{ "x.c.ent.example.com.", "c.ent.example.com.", "x.c.ent.example.com.", "*.c.ent.example.com." },
		{ "q.x.www.example.com.", "www.example.com.", "x.www.example.com.", "*.www.example.com." },
	};
	for (size_t i = 0; i < sizeof(nx) / sizeof(nx[0]); i++) {
		l = nm(nx[i].q, w);
		assert_int_equal(denial_nxdomain(z, w, l, &d), 0);
		assert_true(d.n >= 2 && d.n <= 3);
		assert_non_null(n3_find(&d, nx[i].ce, true, false));
		assert_non_null(n3_find(&d, nx[i].nc, false, false));
		assert_non_null(n3_find(&d, nx[i].wild, false, false));
	}

	/* NODATA, at a name and at an empty non-terminal: the matching NSEC3. */
	l = nm("www.example.com.", w);
	assert_int_equal(denial_nodata(z, w, l, zone_find(z, w, l), &d), 0);
	assert_int_equal(d.n, 1);
	assert_non_null(n3_find(&d, "www.example.com.", true, false));
	assert_false(bitmap_has(d.node[0], RR_NSEC3, RR_AAAA));
	l = nm("c.ent.example.com.", w);
	assert_int_equal(denial_nodata(z, w, l, zone_find(z, w, l), &d), 0);
	assert_int_equal(d.n, 1);
	assert_non_null(n3_find(&d, "c.ent.example.com.", true, false));

	/* Wildcard: next closer covered; NODATA: encloser, next closer, wildcard. */
	l = nm("foo.wild.example.com.", w);
	const zone_node_t *ce = zone_find(z, w + 4, l - 4);
	assert_int_equal(denial_wildcard(z, w, l, ce, &d), 0);
	assert_int_equal(d.n, 1);
	assert_non_null(n3_find(&d, "foo.wild.example.com.", false, false));
	uint8_t wc[DNAME_MAXLEN];
	size_t wl = nm("*.wild.example.com.", wc);
	assert_int_equal(denial_wildcard_nodata(z, w, l, ce, zone_find(z, wc, wl), &d), 0);
	assert_non_null(n3_find(&d, "wild.example.com.", true, false));
	assert_non_null(n3_find(&d, "foo.wild.example.com.", false, false));
	const zone_node_t *m = n3_find(&d, "*.wild.example.com.", true, false);
	assert_non_null(m);
	assert_true(bitmap_has(m, RR_NSEC3, RR_TXT) && !bitmap_has(m, RR_NSEC3, RR_A));

	/* Referral without DS: the NSEC3 of the cut. */
	l = nm("insecure.example.com.", w);
	assert_int_equal(denial_no_ds(z, zone_find(z, w, l), &d), 0);
	assert_int_equal(d.n, 1);
	m = n3_find(&d, "insecure.example.com.", true, false);
	assert_non_null(m);
	assert_true(bitmap_has(m, RR_NSEC3, RR_NS) && !bitmap_has(m, RR_NSEC3, RR_DS));

	/* An NSEC3 owner is hidden (RFC 5155 §7.2.8); real names are not. */
	assert_true(z->nnsec3 > 0);
	assert_true(z->nodes[z->nsec3_idx[0]].flags & ZN_NSEC3ONLY);
	l = nm("www.example.com.", w);
	assert_false(zone_find(z, w, l)->flags & ZN_NSEC3ONLY);
	assert_false(z->apex->flags & ZN_NSEC3ONLY);
	zone_free(z);
	dkey_free(k);
}

static void
test_nsec3_optout(void **state)
{
	(void)state;
	dkey_t *k = NULL;
	zone_t *z = signed_zone(true, true, &k);
	denial_t d;
	uint8_t w[DNAME_MAXLEN];
	size_t l = nm("insecure.example.com.", w);
	/* No NSEC3 for the insecure cut: the apex matched, the cut covered by an opt-out NSEC3. */
	assert_int_equal(denial_no_ds(z, zone_find(z, w, l), &d), 0);
	assert_null(n3_find(&d, "insecure.example.com.", true, false));
	assert_non_null(n3_find(&d, "example.com.", true, false));
	assert_non_null(n3_find(&d, "insecure.example.com.", false, true));
	/* The secure delegation keeps its NSEC3 (it has a DS). */
	l = nm("secure.example.com.", w);
	assert_int_equal(denial_nodata(z, w, l, zone_find(z, w, l), &d), 0);
	assert_non_null(n3_find(&d, "secure.example.com.", true, false));
	zone_free(z);
	dkey_free(k);
}

static void
test_unsigned(void **state)
{
	(void)state;
	zone_error_t err;
	zone_t *z = tu_zone("example.com.", base, &err);
	assert_non_null(z);
	assert_int_equal(denial_mode(z), DENIAL_NONE);
	assert_int_equal(z->nnsec + z->nnsec3, 0);
	denial_t d;
	uint8_t w[DNAME_MAXLEN];
	size_t l = nm("nx.example.com.", w);
	assert_int_equal(denial_nxdomain(z, w, l, &d), 0);
	assert_int_equal(d.n, 0);
	zone_free(z);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nsec),
		cmocka_unit_test(test_nsec3),
		cmocka_unit_test(test_nsec3_optout),
		cmocka_unit_test(test_unsigned),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
