/* SPDX-License-Identifier: MIT */
/** \file Tests for src/zone/zone.c (builder, index, validation) and zonedb.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tu.h"
#include "dns/rrtype.h"
#include "zone/apply.h"
#include "zone/changeset.h"
#include "zone/zonedb.h"

static const char *base =
	"example.com. 3600 IN SOA ns1.example.com. h.example.com. 7 3600 900 604800 300\n"
	"example.com. 3600 IN NS ns1.example.com.\n"
	"ns1.example.com. 3600 IN A 198.51.100.53\n";

static zone_t *
zone_with(const char *extra, zone_error_t *err)
{
	char text[8192];
	snprintf(text, sizeof(text), "%s%s", base, extra);
	return tu_zone("example.com.", text, err);
}

static const zone_node_t *
find(const zone_t *z, const char *name)
{
	uint8_t n[DNAME_MAXLEN];
	size_t l = tu_name(name, n);
	return zone_find(z, n, l);
}

static void
test_build_and_find(void **state)
{
	zone_error_t err;
	zone_t *z = zone_with("a.b.c.example.com. 60 IN A 198.51.100.1\n"
			      "A.B.C.EXAMPLE.COM. 60 IN A 198.51.100.1\n" /* duplicate, other case */
			      "a.b.c.example.com. 60 IN A 198.51.100.2\n"
			      "*.w.example.com. 60 IN TXT \"wild\"\n"
			      "sub.example.com. 60 IN NS ns.sub.example.com.\n"
			      "sub.example.com. 60 IN DS 1 8 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
			      "ns.sub.example.com. 60 IN A 198.51.100.9\n"
			      "dn.example.com. 60 IN DNAME example.net.\n"
			      "x.dn.example.com. 60 IN A 198.51.100.10\n",
			      &err);
	assert_non_null(z);
	assert_int_equal(z->serial, 7);
	assert_int_equal(z->nrecords, 11); /* the duplicate is dropped */
	const zone_node_t *n = find(z, "a.b.c.example.com.");
	assert_non_null(n);
	const zone_rrset_t *a = zone_node_rrset(n, RR_A);
	assert_non_null(a);
	assert_int_equal(a->count, 2);
	/* empty non-terminals exist as nodes without data */
	const zone_node_t *ent = find(z, "b.c.example.com.");
	assert_non_null(ent);
	assert_int_equal(ent->nrrsets, 0);
	assert_non_null(find(z, "c.example.com."));
	assert_null(find(z, "d.example.com."));
	/* flags */
	assert_true(find(z, "w.example.com.")->flags & ZN_WILDCHILD);
	assert_true(find(z, "sub.example.com.")->flags & ZN_DELEG);
	assert_true(find(z, "ns.sub.example.com.")->flags & ZN_NONAUTH);
	assert_true(find(z, "x.dn.example.com.")->flags & ZN_NONAUTH);
	assert_false(find(z, "dn.example.com.")->flags & ZN_NONAUTH);
	assert_true(z->apex->flags & ZN_APEX);
	/* canonical order and parents */
	for (uint32_t i = 1; i < z->nnodes; i++) {
		assert_true(dname_canon_cmp(z->nodes[i - 1].name, z->nodes[i].name) < 0);
		const zone_node_t *p = &z->nodes[z->nodes[i].parent];
		assert_true(dname_is_sub(z->nodes[i].name, z->nodes[i].name_len, p->name, p->name_len));
		assert_int_equal(dname_labels(p->name) + 1, dname_labels(z->nodes[i].name));
	}
	/* closest encloser and predecessor */
	uint8_t q[DNAME_MAXLEN];
	int below;
	size_t ql = tu_name("x.y.b.c.example.com.", q);
	const zone_node_t *enc = zone_find_encloser(z, q, ql, &below);
	assert_ptr_equal(enc, ent);
	assert_int_equal(below, 2);
	tu_name("aa.example.com.", q);
	const zone_node_t *le = zone_find_le(z, q);
	assert_true(dname_canon_cmp(le->name, q) <= 0);
	assert_true(le + 1 == z->nodes + z->nnodes || dname_canon_cmp((le + 1)->name, q) > 0);
	zone_free(z);
}

static void
test_rdata_sorted_dedup(void **state)
{
	zone_error_t err;
	zone_t *z = zone_with("m.example.com. 60 IN TXT \"b\"\n"
			      "m.example.com. 60 IN TXT \"a\"\n"
			      "m.example.com. 60 IN TXT \"ab\"\n"
			      "m.example.com. 60 IN TXT \"a\"\n",
			      &err);
	assert_non_null(z);
	const zone_rrset_t *t = zone_node_rrset(find(z, "m.example.com."), RR_TXT);
	assert_int_equal(t->count, 3);
	/* canonical: "\1a" < "\1b" < "\2ab" */
	const uint8_t *rd = t->rdata;
	uint16_t l;
	memcpy(&l, rd, 2);
	assert_memory_equal(rd + 2, "\1a", 2);
	rd += 2 + l;
	assert_memory_equal(rd + 2, "\1b", 2);
	zone_free(z);
}

typedef struct {
	const char *extra;
	const char *needle;
	uint32_t src; /* expected line (1-based in the combined text), 0 = don't care */
} bad_t;

static void
test_validation_errors(void **state)
{
	static const bad_t cases[] = {
		{ "www.example.com. 60 IN CNAME web.example.com.\nwww.example.com. 60 IN A 198.51.100.1\n",
		  "CNAME and other data at www.example.com.", 4 },
		{ "www.example.com. 60 IN CNAME a.example.com.\nwww.example.com. 60 IN CNAME b.example.com.\n",
		  "more than one CNAME record at www.example.com.", 4 },
		{ "example.com. 60 IN CNAME a.example.com.\n", "CNAME and other data at example.com.", 0 },
		{ "d.example.com. 60 IN DNAME a.example.net.\nd.example.com. 60 IN DNAME b.example.net.\n",
		  "more than one DNAME record at d.example.com.", 4 },
		{ "sub.example.com. 60 IN SOA ns1.example.com. h.example.com. 1 1 1 1 1\n",
		  "SOA record at sub.example.com., not at the zone apex", 4 },
		{ "example.com. 60 IN SOA ns2.example.com. h.example.com. 1 1 1 1 1\n",
		  "more than one SOA record at example.com.", 0 },
		{ "sub.example.com. 60 IN NS ns.sub.example.com.\n",
		  "NS record at sub.example.com. points to ns.sub.example.com. inside the zone, which has no A or AAAA record (missing glue)", 4 },
		{ "example.com. 60 IN NS ns9.example.com.\n",
		  "NS record at example.com. points to ns9.example.com.", 0 },
		{ "big.example.com. 2147483648 IN A 198.51.100.1\n", "exceeds 2147483647", 4 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		zone_error_t err;
		zone_t *z = zone_with(cases[i].extra, &err);
		if (z != NULL)
			fail_msg("case %zu loaded but must fail: %s", i, cases[i].extra);
		if (strstr(err.msg, cases[i].needle) == NULL)
			fail_msg("case %zu: got '%s', want '%s'", i, err.msg, cases[i].needle);
		if (cases[i].src != 0 && err.src != cases[i].src)
			fail_msg("case %zu: src %u, want %u", i, err.src, cases[i].src);
	}
	/* no SOA, no NS */
	zone_error_t err;
	assert_null(tu_zone("example.com.", "example.com. 60 IN NS ns.example.net.\n", &err));
	assert_non_null(strstr(err.msg, "no SOA record at the zone apex example.com."));
	assert_null(tu_zone("example.com.", "example.com. 60 IN SOA a.example.net. b.example.net. 1 1 1 1 1\n", &err));
	assert_non_null(strstr(err.msg, "no NS records at the zone apex"));
	/* out of zone and bad class are refused at add */
	uint8_t o[DNAME_MAXLEN], n[DNAME_MAXLEN];
	tu_name("example.com.", o);
	zone_builder_t *b = zone_builder_new(o);
	size_t nl = tu_name("www.example.org.", n);
	assert_int_equal(zone_builder_add(b, n, nl, RR_A, RR_CLASS_IN, 60, (const uint8_t *)"\1\2\3\4", 4, 1), FL_EOUTZONE);
	nl = tu_name("www.example.com.", n);
	assert_int_equal(zone_builder_add(b, n, nl, RR_A, RR_CLASS_CH, 60, (const uint8_t *)"\1\2\3\4", 4, 1), FL_EINVAL);
	assert_int_equal(zone_builder_add(b, n, nl, RR_A, RR_CLASS_IN, 60, (const uint8_t *)"\1\2\3", 3, 1), FL_EMALF);
	assert_int_equal(zone_builder_add(b, n, nl, RR_OPT, RR_CLASS_IN, 60, NULL, 0, 1), FL_EINVAL);
	zone_builder_abort(b);
}

static int warnings;
static void
count_warn(void *ctx, uint32_t src, const char *msg)
{
	(void)ctx;
	(void)src;
	assert_non_null(strstr(msg, "TTLs differ"));
	warnings++;
}

static void
test_ttl_mismatch_warns(void **state)
{
	uint8_t o[DNAME_MAXLEN];
	tu_name("example.com.", o);
	zone_builder_t *b = zone_builder_new(o);
	zone_builder_set_warn(b, count_warn, NULL);
	assert_int_equal(tu_feed(b, base), 0);
	assert_int_equal(tu_feed(b, "t.example.com. 60 IN A 198.51.100.1\nt.example.com. 30 IN A 198.51.100.2\n"), 0);
	zone_t *z = NULL;
	zone_error_t err;
	warnings = 0;
	assert_int_equal(zone_builder_finish(b, &z, &err), 0);
	assert_int_equal(warnings, 1);
	assert_int_equal(zone_node_rrset(find(z, "t.example.com."), RR_A)->ttl, 30);
	zone_free(z);
}

static void
test_zonedb(void **state)
{
	zone_error_t err;
	zone_t *parent = zone_with("", &err);
	zone_t *child = tu_zone("sub.example.com.",
				"sub.example.com. 60 IN SOA ns.sub.example.com. h.example.com. 1 1 1 1 1\n"
				"sub.example.com. 60 IN NS ns.sub.example.com.\n"
				"ns.sub.example.com. 60 IN A 198.51.100.9\n",
				&err);
	assert_non_null(parent);
	assert_non_null(child);
	zonedb_t *db1 = zonedb_with(NULL, parent);
	zonedb_t *db2 = zonedb_with(db1, child);
	uint8_t n[DNAME_MAXLEN];
	size_t l = tu_name("a.b.sub.example.com.", n);
	assert_ptr_equal(zonedb_find(db2, n, l), child);
	assert_ptr_equal(zonedb_find(db1, n, l), parent);
	l = tu_name("example.org.", n);
	assert_null(zonedb_find(db2, n, l));
	assert_int_equal(zonedb_count(db2), 2);
	/* replacing a version: the old one stays alive while db2 holds it */
	zone_t *parent2 = zone_with("new.example.com. 60 IN A 198.51.100.7\n", &err);
	zonedb_t *db3 = zonedb_with(db2, parent2);
	assert_ptr_equal(zonedb_get(db3, parent->origin), parent2);
	zonedb_release(db1);
	zonedb_release(db2);
	zonedb_t *db4 = zonedb_without(db3, child->origin);
	assert_int_equal(zonedb_count(db4), 1);
	zonedb_release(db3);
	zonedb_release(db4); /* frees everything: ASan checks */
}

/* A zone with only SOA and NS at origin (text, absolute). */
static zone_t *
tiny_zone(const char *origin)
{
	char text[1024];
	zone_error_t err;
	snprintf(text, sizeof(text), "%s 60 IN SOA ns.%s h.%s 1 1 1 1 1\n%s 60 IN NS ns.%s\nns.%s 60 IN A 192.0.2.1\n",
		 origin, origin, origin, origin, origin, origin);
	zone_t *z = tu_zone(origin, text, &err);
	assert_non_null(z);
	return z;
}

/* zonedb_update: one call adds, replaces and removes many zones, and the
 * result is the snapshot zonedb_from would build from the expected set
 * (same canonical order, every lookup right). */
static void
test_zonedb_update(void **state)
{
	enum { N = 300, BASE = 200 };
	zone_t *v1[N], *v2[N];
	bool in_new[N], added2[N];
	char name[64];
	srand(7);
	for (int i = 0; i < N; i++) {
		/* Names that interleave in canonical order (and some nested ones). */
		if (i % 7 == 0)
			snprintf(name, sizeof(name), "z%d.a%d.test.", i, i % 5);
		else
			snprintf(name, sizeof(name), "a%d.test.", (i * 7919) % N); /* a permutation: distinct */
		v1[i] = tiny_zone(name);
		v2[i] = tiny_zone(name);
	}
	zonedb_t *old = zonedb_from(v1, BASE);
	assert_non_null(old);
	zone_t *add[N];
	const uint8_t *del[N];
	size_t nadd = 0, ndel = 0;
	zone_t *expect[N];
	size_t nexp = 0;
	for (int i = 0; i < N; i++) {
		int r = rand() % 4;
		added2[i] = (i >= BASE && r != 0) || (i < BASE && r == 1);
		if (i >= BASE) {
			in_new[i] = r != 0; /* new zones, some not added */
			if (in_new[i])
				add[nadd++] = v2[i];
		} else if (r == 0) {
			in_new[i] = false; /* removed */
			del[ndel++] = v1[i]->origin;
		} else if (r == 1) {
			in_new[i] = true; /* replaced */
			add[nadd++] = v2[i];
		} else {
			in_new[i] = true; /* kept */
		}
		if (in_new[i])
			expect[nexp++] = (i >= BASE || r == 1) ? v2[i] : v1[i];
	}
	/* Removing a name that is not there is harmless. */
	del[ndel++] = v1[N - 1]->origin;
	zonedb_t *next = zonedb_update(old, add, nadd, del, ndel);
	assert_non_null(next);
	zonedb_t *ref = zonedb_from(expect, nexp);
	assert_int_equal(zonedb_count(next), nexp);
	for (size_t i = 0; i < nexp; i++)
		assert_ptr_equal(zonedb_at(next, i), zonedb_at(ref, i));
	for (int i = 0; i < N; i++) {
		const zone_t *got = zonedb_get(next, v1[i]->origin);
		if (!in_new[i])
			assert_null(got);
		else
			assert_non_null(got);
	}
	uint8_t n[DNAME_MAXLEN];
	size_t l = tu_name("www.z7.a2.test.", n);
	assert_ptr_equal(zonedb_find(next, n, l), zonedb_get(next, v1[7]->origin));
	/* The old snapshot is untouched. */
	assert_int_equal(zonedb_count(old), BASE);
	for (int i = 0; i < BASE; i++)
		assert_ptr_equal(zonedb_get(old, v1[i]->origin), v1[i]);
	zonedb_release(old);
	zonedb_release(ref);
	zonedb_release(next); /* frees every version that was in a snapshot */
	for (int i = 0; i < N; i++) {
		if (i >= BASE)
			zone_free(v1[i]); /* never in a snapshot */
		if (!added2[i])
			zone_free(v2[i]);
	}
}

/* Node by node: names, flags, parents, RRsets, byte for byte. */
static void
assert_same_zone(const zone_t *a, const zone_t *b)
{
	assert_int_equal(a->nnodes, b->nnodes);
	assert_int_equal(a->nrecords, b->nrecords);
	assert_int_equal(a->serial, b->serial);
	for (uint32_t i = 0; i < a->nnodes; i++) {
		const zone_node_t *x = &a->nodes[i], *y = &b->nodes[i];
		assert_int_equal(x->name_len, y->name_len);
		assert_memory_equal(x->name, y->name, x->name_len);
		assert_int_equal(x->flags, y->flags);
		assert_int_equal(x->parent, y->parent);
		assert_int_equal(x->nrrsets, y->nrrsets);
		for (uint16_t k = 0; k < x->nrrsets; k++) {
			const zone_rrset_t *r = &x->rrsets[k], *t = &y->rrsets[k];
			assert_int_equal(r->type, t->type);
			assert_int_equal(r->ttl, t->ttl);
			assert_int_equal(r->count, t->count);
			const uint8_t *p = r->rdata, *q = t->rdata;
			for (uint16_t c = 0; c < r->count; c++) {
				uint16_t lp, lq;
				memcpy(&lp, p, 2);
				memcpy(&lq, q, 2);
				assert_int_equal(lp, lq);
				assert_memory_equal(p + 2, q + 2, lp);
				p += 2u + lp;
				q += 2u + lq;
			}
		}
		assert_non_null(zone_find(b, x->name, x->name_len));
	}
}

/* Feed every RR of z to a new builder in the order given by idx (node indices). */
static zone_t *
rebuild(const zone_t *z, const uint32_t *idx, bool reverse_types)
{
	zone_builder_t *b = zone_builder_new(z->origin);
	assert_non_null(b);
	for (uint32_t i = 0; i < z->nnodes; i++) {
		const zone_node_t *n = &z->nodes[idx[i]];
		for (uint16_t k0 = 0; k0 < n->nrrsets; k0++) {
			uint16_t k = reverse_types ? (uint16_t)(n->nrrsets - 1 - k0) : k0;
			const zone_rrset_t *rs = &n->rrsets[k];
			const uint8_t *p = rs->rdata;
			for (uint16_t c = 0; c < rs->count; c++) {
				uint16_t l;
				memcpy(&l, p, 2);
				assert_int_equal(zone_builder_add(b, n->name, n->name_len, rs->type, 1, rs->ttl, p + 2, l, 0), 0);
				p += 2u + l;
			}
		}
	}
	zone_t *out = NULL;
	zone_error_t err;
	assert_int_equal(zone_builder_finish(b, &out, &err), 0);
	return out;
}

/* The builder's sorted-input path (owners in canonical order: no hash, no
 * sort, ENTs and parents from a stack) builds exactly what the hashed path
 * builds: the same zone fed in canonical order, in reverse, and shuffled,
 * with empty non-terminals, a delegation with glue below it, occluded
 * data, a DNAME, wildcards and several types per name. */
static void
test_sorted_input(void **state)
{
	char text[32768];
	size_t o = (size_t)snprintf(text, sizeof(text),
				    "s.test. 300 IN SOA ns.s.test. h.s.test. 5 1 1 1 1\n"
				    "s.test. 300 IN NS ns.s.test.\ns.test. 300 IN MX 10 mx.s.test.\n"
				    "ns.s.test. 300 IN A 192.0.2.1\nns.s.test. 300 IN AAAA 2001:db8::1\n"
				    "sub.s.test. 300 IN NS ns.sub.s.test.\nns.sub.s.test. 300 IN A 192.0.2.2\n"
				    "deep.below.sub.s.test. 300 IN A 192.0.2.3\n"
				    "dn.s.test. 300 IN DNAME example.net.\nx.dn.s.test. 300 IN A 192.0.2.4\n"
				    "*.w.s.test. 300 IN A 192.0.2.5\na.b.c.d.e.s.test. 300 IN TXT \"ents\"\n");
	for (int i = 0; i < 300; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "h%d.l%d.s.test. 300 IN A 10.%d.%d.1\nh%d.l%d.s.test. 60 IN TXT \"t%d\"\n",
				      i, i % 7, i % 5, i % 250, i, i % 7, i);
	zone_error_t err;
	zone_t *ref = tu_zone("s.test.", text, &err); /* file order: the hashed path */
	assert_non_null(ref);
	uint32_t *idx = malloc(ref->nnodes * sizeof(*idx));
	assert_non_null(idx);
	for (uint32_t i = 0; i < ref->nnodes; i++)
		idx[i] = i;
	zone_t *sorted = rebuild(ref, idx, false);
	assert_same_zone(ref, sorted);
	zone_t *types_rev = rebuild(ref, idx, true); /* owners sorted, types not */
	assert_same_zone(ref, types_rev);
	for (uint32_t i = 0; i < ref->nnodes; i++)
		idx[i] = ref->nnodes - 1 - i;
	zone_t *rev = rebuild(ref, idx, false);
	assert_same_zone(ref, rev);
	uint32_t seed = 7;
	for (uint32_t i = ref->nnodes - 1; i > 0; i--) {
		seed = seed * 1103515245u + 12345u;
		uint32_t j = (seed >> 8) % (i + 1), t = idx[i];
		idx[i] = idx[j];
		idx[j] = t;
	}
	zone_t *shuf = rebuild(ref, idx, false);
	assert_same_zone(ref, shuf);

	/* zone_apply with the same names reuses the old index (a copy): every
	 * name must still be found at its own node, in the new version. */
	changeset_t cs;
	changeset_init(&cs);
	const uint8_t *soa = ref->soa->rdata;
	uint16_t sl;
	memcpy(&sl, soa, 2);
	uint8_t soa2[512];
	memcpy(soa2, soa + 2, sl);
	soa2[sl - 17] = 6; /* serial 5 -> 6 */
	assert_int_equal(changeset_set_soa(&cs, false, ref->origin, ref->soa->ttl, soa + 2, sl), 0);
	assert_int_equal(changeset_set_soa(&cs, true, ref->origin, ref->soa->ttl, soa2, sl), 0);
	uint8_t h[DNAME_MAXLEN];
	size_t hl = tu_name("h1.l1.s.test.", h);
	assert_int_equal(changeset_del(&cs, h, RR_A, 300, (const uint8_t *)"\12\1\1\1", 4), 0);
	assert_int_equal(changeset_add(&cs, h, RR_A, 300, (const uint8_t *)"\12\1\1\2", 4), 0);
	zone_t *applied = NULL;
	assert_int_equal(zone_apply(ref, &cs, &applied, &err), 0);
	assert_int_equal(applied->serial, 6);
	assert_int_equal(applied->nnodes, ref->nnodes);
	assert_ptr_not_equal(applied->hash, ref->hash);
	for (uint32_t i = 0; i < applied->nnodes; i++)
		assert_ptr_equal(zone_find(applied, applied->nodes[i].name, applied->nodes[i].name_len), &applied->nodes[i]);
	const zone_node_t *hn = zone_find(applied, h, hl);
	assert_non_null(hn);
	assert_memory_equal(zone_node_rrset(hn, RR_A)->rdata + 2, "\12\1\1\2", 4);
	zone_free(applied);
	changeset_clear(&cs);
	zone_free(sorted);
	zone_free(types_rev);
	zone_free(rev);
	zone_free(shuf);
	zone_free(ref);
	free(idx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_and_find), cmocka_unit_test(test_rdata_sorted_dedup),
		cmocka_unit_test(test_validation_errors), cmocka_unit_test(test_ttl_mismatch_warns),
		cmocka_unit_test(test_zonedb),
		cmocka_unit_test(test_zonedb_update),
		cmocka_unit_test(test_sorted_input),
	};
	return cmocka_run_group_tests_name("zone", tests, NULL, NULL);
}
