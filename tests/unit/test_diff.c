/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Tests for src/zone/diff.c and src/zone/apply.c: the changeset of each
 * kind of edit, the SOA kept out of the lists, refusals of inconsistent
 * changesets, random pairs of zones (apply(old, diff(old, cand)) == cand, also
 * through the changeset wire form), and a large zone with one change, which
 * must give exactly that change (NSD once re-added 77k unchanged records in
 * that case) and must be fast. The large zone has 1,000,000 records in the
 * normal build and 200,000 when ASAN_OPTIONS is set (sanitizer builds).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <time.h>

#include "tu.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "zone/apply.h"
#include "zone/diff.h"

static const char *soa7 = "example.com. 3600 IN SOA ns1.example.com. h.example.com. 7 3600 900 604800 300\n";
static const char *soa8 = "example.com. 3600 IN SOA ns1.example.com. h.example.com. 8 3600 900 604800 300\n";
static const char *common =
	"example.com. 3600 IN NS ns1.example.com.\n"
	"ns1.example.com. 3600 IN A 198.51.100.53\n";

static zone_t *
zone_of(const char *soa, const char *extra)
{
	static char text[16384];
	snprintf(text, sizeof(text), "%s%s%s", soa, common, extra);
	zone_error_t err;
	zone_t *z = tu_zone("example.com.", text, &err);
	if (z == NULL)
		fail_msg("test zone does not build: %s", err.msg);
	return z;
}

/* Does the list hold exactly this RR (text, ldns syntax)? */
static bool
has_rr(const changeset_list_t *l, const char *text)
{
	ldns_rr *rr = NULL;
	if (ldns_rr_new_frm_str(&rr, text, 3600, NULL, NULL) != LDNS_STATUS_OK)
		fail_msg("bad test RR %s", text);
	ldns_buffer *buf = ldns_buffer_new(4096);
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++)
		ldns_rdf2buffer_wire_canonical(buf, ldns_rr_rdf(rr, i));
	uint8_t owner[DNAME_MAXLEN];
	memcpy(owner, ldns_rdf_data(ldns_rr_owner(rr)), ldns_rdf_size(ldns_rr_owner(rr)));
	dname_lower(owner);
	bool found = false;
	for (size_t i = 0; i < l->count && !found; i++) {
		const changeset_rr_t *r = &l->rr[i];
		found = dname_eq(r->owner, owner) && r->type == ldns_rr_get_type(rr) && r->ttl == ldns_rr_ttl(rr) &&
			r->rdlen == ldns_buffer_position(buf) && memcmp(r->rdata, ldns_buffer_begin(buf), r->rdlen) == 0;
	}
	ldns_buffer_free(buf);
	ldns_rr_free(rr);
	return found;
}

/* Diff old -> cand, check the counts, check that applying gives cand. */
static void
diff_check(const zone_t *old, const zone_t *cand, changeset_t *cs, size_t ndel, size_t nadd)
{
	changeset_init(cs);
	assert_int_equal(zone_diff(old, cand, cs), 0);
	if (cs->del.count != ndel || cs->add.count != nadd)
		fail_msg("diff: %zu deletions and %zu additions, want %zu and %zu", cs->del.count, cs->add.count,
			 ndel, nadd);
	assert_int_equal(changeset_serial_from(cs), old->serial);
	assert_int_equal(changeset_serial_to(cs), cand->serial);
	for (size_t i = 0; i < cs->del.count; i++)
		assert_int_not_equal(cs->del.rr[i].type, RR_SOA);
	for (size_t i = 0; i < cs->add.count; i++)
		assert_int_not_equal(cs->add.rr[i].type, RR_SOA);
	zone_t *next = NULL;
	zone_error_t err;
	if (zone_apply(old, cs, &next, &err) != 0)
		fail_msg("apply: %s", err.msg);
	assert_true(zone_equal(next, cand));
	zone_free(next);
}

/* Build old and cand from text, diff, check, return the changeset. */
static void
pair_check(const char *old_extra, const char *cand_extra, changeset_t *cs, size_t ndel, size_t nadd)
{
	zone_t *old = zone_of(soa7, old_extra);
	zone_t *cand = zone_of(soa8, cand_extra);
	diff_check(old, cand, cs, ndel, nadd);
	zone_free(old);
	zone_free(cand);
}

static void
test_no_change(void **state)
{
	const char *x = "www.example.com. 300 IN A 198.51.100.1\n"
			"www.example.com. 300 IN TXT \"hello\"\n"
			"a.b.c.example.com. 300 IN A 198.51.100.2\n";
	changeset_t cs;
	pair_check(x, x, &cs, 0, 0);
	assert_true(changeset_empty(&cs));
	changeset_clear(&cs);
	/* same serial, same data: still only the SOA pair */
	zone_t *a = zone_of(soa7, x), *b = zone_of(soa7, x);
	assert_true(zone_equal(a, b));
	diff_check(a, b, &cs, 0, 0);
	changeset_clear(&cs);
	/* a diff into a changeset that is not empty is refused */
	changeset_init(&cs);
	assert_int_equal(zone_diff(a, b, &cs), 0);
	assert_int_equal(zone_diff(a, b, &cs), FL_EINVAL);
	changeset_clear(&cs);
	zone_free(a);
	zone_free(b);
}

static void
test_add_delete_name(void **state)
{
	const char *x = "www.example.com. 300 IN A 198.51.100.1\n";
	const char *y = "www.example.com. 300 IN A 198.51.100.1\n"
			"NEW.Example.com. 300 IN A 198.51.100.7\n"; /* owners come out lowercased */
	changeset_t cs;
	pair_check(x, y, &cs, 0, 1);
	assert_true(has_rr(&cs.add, "new.example.com. 300 IN A 198.51.100.7"));
	changeset_clear(&cs);
	/* and back: one deletion */
	zone_t *old = zone_of(soa8, y), *cand = zone_of(soa7, x);
	diff_check(old, cand, &cs, 1, 0);
	assert_true(has_rr(&cs.del, "new.example.com. 300 IN A 198.51.100.7"));
	changeset_clear(&cs);
	zone_free(old);
	zone_free(cand);
	/* a name with several RRsets goes whole */
	pair_check("", "m.example.com. 60 IN A 198.51.100.9\nm.example.com. 60 IN TXT \"t\"\n"
		   "m.example.com. 60 IN MX 10 mail.example.net.\n", &cs, 0, 3);
	changeset_clear(&cs);
}

static void
test_change_ttl(void **state)
{
	changeset_t cs;
	pair_check("w.example.com. 300 IN A 198.51.100.1\nw.example.com. 300 IN A 198.51.100.2\n"
		   "w.example.com. 300 IN TXT \"same\"\n",
		   "w.example.com. 600 IN A 198.51.100.1\nw.example.com. 600 IN A 198.51.100.2\n"
		   "w.example.com. 300 IN TXT \"same\"\n",
		   &cs, 2, 2);
	assert_true(has_rr(&cs.del, "w.example.com. 300 IN A 198.51.100.1"));
	assert_true(has_rr(&cs.del, "w.example.com. 300 IN A 198.51.100.2"));
	assert_true(has_rr(&cs.add, "w.example.com. 600 IN A 198.51.100.1"));
	assert_true(has_rr(&cs.add, "w.example.com. 600 IN A 198.51.100.2"));
	changeset_clear(&cs);
	/* the apex NS set too (not only leaves) */
	zone_t *old = zone_of(soa7, "");
	zone_t *cand = tu_zone("example.com.",
			       "example.com. 3600 IN SOA ns1.example.com. h.example.com. 8 3600 900 604800 300\n"
			       "example.com. 7200 IN NS ns1.example.com.\n"
			       "ns1.example.com. 3600 IN A 198.51.100.53\n", NULL);
	assert_non_null(cand);
	diff_check(old, cand, &cs, 1, 1);
	assert_true(has_rr(&cs.add, "example.com. 7200 IN NS ns1.example.com."));
	changeset_clear(&cs);
	zone_free(old);
	zone_free(cand);
}

static void
test_change_rdata(void **state)
{
	changeset_t cs;
	pair_check("w.example.com. 300 IN A 198.51.100.1\nw.example.com. 300 IN A 198.51.100.2\n"
		   "w.example.com. 300 IN A 198.51.100.3\n",
		   "w.example.com. 300 IN A 198.51.100.1\nw.example.com. 300 IN A 198.51.100.4\n"
		   "w.example.com. 300 IN A 198.51.100.3\n",
		   &cs, 1, 1);
	assert_true(has_rr(&cs.del, "w.example.com. 300 IN A 198.51.100.2"));
	assert_true(has_rr(&cs.add, "w.example.com. 300 IN A 198.51.100.4"));
	changeset_clear(&cs);
	/* rdata that is a prefix of other rdata (canonical order: shorter first) */
	pair_check("t.example.com. 300 IN TXT \"ab\"\nt.example.com. 300 IN TXT \"ab\" \"c\"\n",
		   "t.example.com. 300 IN TXT \"ab\" \"c\"\nt.example.com. 300 IN TXT \"ab\" \"d\"\n", &cs, 1, 1);
	assert_true(has_rr(&cs.del, "t.example.com. 300 IN TXT \"ab\""));
	assert_true(has_rr(&cs.add, "t.example.com. 300 IN TXT \"ab\" \"d\""));
	changeset_clear(&cs);
	/* the SOA alone: lists empty, soa_to carries the new SOA */
	zone_t *old = zone_of(soa7, "");
	zone_t *cand = zone_of("example.com. 60 IN SOA ns1.example.com. other.example.com. 9 1 2 3 4\n", "");
	diff_check(old, cand, &cs, 0, 0);
	assert_int_equal(cs.soa_to.ttl, 60);
	assert_int_equal(changeset_serial_to(&cs), 9);
	changeset_clear(&cs);
	zone_free(old);
	zone_free(cand);
}

static void
test_replace_rrset(void **state)
{
	changeset_t cs;
	/* same type, all rdata new */
	pair_check("mx.example.com. 300 IN MX 10 a.example.net.\nmx.example.com. 300 IN MX 20 b.example.net.\n",
		   "mx.example.com. 300 IN MX 5 c.example.net.\n", &cs, 2, 1);
	changeset_clear(&cs);
	/* another type at the same name */
	pair_check("x.example.com. 300 IN A 198.51.100.1\nx.example.com. 300 IN A 198.51.100.2\n",
		   "x.example.com. 300 IN AAAA 2001:db8::1\n", &cs, 2, 1);
	assert_true(has_rr(&cs.add, "x.example.com. 300 IN AAAA 2001:db8::1"));
	changeset_clear(&cs);
	/* A replaced by CNAME: the applied result must pass validation */
	pair_check("x.example.com. 300 IN A 198.51.100.1\n", "x.example.com. 300 IN CNAME www.example.net.\n", &cs,
		   1, 1);
	changeset_clear(&cs);
}

static void
test_ent_and_delegation(void **state)
{
	changeset_t cs;
	/* a deep name brings empty non-terminals (b.c, c) which add nothing */
	pair_check("", "a.b.c.example.com. 300 IN A 198.51.100.1\n", &cs, 0, 1);
	changeset_clear(&cs);
	pair_check("a.b.c.example.com. 300 IN A 198.51.100.1\n", "", &cs, 1, 0);
	changeset_clear(&cs);
	/* an empty non-terminal that gets data, and data that becomes an ENT */
	pair_check("a.b.c.example.com. 300 IN A 198.51.100.1\n",
		   "a.b.c.example.com. 300 IN A 198.51.100.1\nc.example.com. 300 IN TXT \"now data\"\n", &cs, 0, 1);
	changeset_clear(&cs);
	pair_check("a.b.c.example.com. 300 IN A 198.51.100.1\nb.c.example.com. 300 IN TXT \"x\"\n",
		   "a.b.c.example.com. 300 IN A 198.51.100.1\n", &cs, 1, 0);
	changeset_clear(&cs);
	/* the ENT chain moves: x.y.z -> x.y.w */
	pair_check("x.y.z.example.com. 300 IN A 198.51.100.1\n", "x.y.w.example.com. 300 IN A 198.51.100.1\n", &cs,
		   1, 1);
	changeset_clear(&cs);
	/* a delegation with glue comes and goes */
	const char *deleg = "sub.example.com. 3600 IN NS ns.sub.example.com.\n"
			    "sub.example.com. 3600 IN DS 1 8 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
			    "ns.sub.example.com. 3600 IN A 198.51.100.9\n"
			    "deep.ns.sub.example.com. 3600 IN A 198.51.100.10\n";
	pair_check("", deleg, &cs, 0, 4);
	changeset_clear(&cs);
	pair_check(deleg, "", &cs, 4, 0);
	changeset_clear(&cs);
	/* glue changes below the cut are changes too */
	pair_check(deleg,
		   "sub.example.com. 3600 IN NS ns.sub.example.com.\n"
		   "sub.example.com. 3600 IN DS 1 8 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
		   "ns.sub.example.com. 3600 IN A 198.51.100.99\n"
		   "deep.ns.sub.example.com. 3600 IN A 198.51.100.10\n",
		   &cs, 1, 1);
	changeset_clear(&cs);
}

/* Changesets are in canonical order: owner, type, rdata. */
static void
test_order(void **state)
{
	changeset_t cs;
	pair_check("",
		   "z.example.com. 300 IN A 198.51.100.1\n"
		   "a.example.com. 300 IN TXT \"x\"\n"
		   "a.example.com. 300 IN A 198.51.100.2\n"
		   "b.a.example.com. 300 IN A 198.51.100.3\n"
		   "example.com. 300 IN TXT \"apex\"\n"
		   "a.example.com. 300 IN A 198.51.100.1\n",
		   &cs, 0, 6);
	for (size_t i = 1; i < cs.add.count; i++) {
		const changeset_rr_t *p = &cs.add.rr[i - 1], *r = &cs.add.rr[i];
		int c = dname_canon_cmp(p->owner, r->owner);
		assert_true(c < 0 || (c == 0 && (p->type < r->type ||
						  (p->type == r->type && memcmp(p->rdata, r->rdata, 4) < 0))));
	}
	assert_true(dname_eq(cs.add.rr[0].owner, (const uint8_t *)"\7example\3com"));
	changeset_clear(&cs);
}

/* Apply a changeset given as text lists to a zone; returns the code and the message. */
static int
apply_text(const zone_t *old, uint32_t from, const char *const *del, const char *const *add, zone_t **out,
	   zone_error_t *err)
{
	changeset_t cs;
	changeset_init(&cs);
	const zone_rrset_t *soa = old->soa;
	uint16_t l;
	memcpy(&l, soa->rdata, 2);
	uint8_t rd[600];
	memcpy(rd, soa->rdata + 2, l);
	size_t off = dname_len(rd);
	off += dname_len(rd + off);
	wire_set_u32(rd + off, from);
	assert_int_equal(changeset_set_soa(&cs, false, old->origin, soa->ttl, rd, l), 0);
	wire_set_u32(rd + off, from + 1);
	assert_int_equal(changeset_set_soa(&cs, true, old->origin, soa->ttl, rd, l), 0);
	for (int pass = 0; pass < 2; pass++) {
		const char *const *list = pass == 0 ? del : add;
		for (; list != NULL && *list != NULL; list++) {
			ldns_rr *rr = NULL;
			assert_int_equal(ldns_rr_new_frm_str(&rr, *list, 3600, NULL, NULL), LDNS_STATUS_OK);
			ldns_buffer *buf = ldns_buffer_new(4096);
			for (size_t i = 0; i < ldns_rr_rd_count(rr); i++)
				ldns_rdf2buffer_wire_canonical(buf, ldns_rr_rdf(rr, i));
			const uint8_t *owner = ldns_rdf_data(ldns_rr_owner(rr));
			int r = pass == 0 ? changeset_del(&cs, owner, (uint16_t)ldns_rr_get_type(rr), ldns_rr_ttl(rr),
							  ldns_buffer_begin(buf), (uint16_t)ldns_buffer_position(buf))
					  : changeset_add(&cs, owner, (uint16_t)ldns_rr_get_type(rr), ldns_rr_ttl(rr),
							  ldns_buffer_begin(buf), (uint16_t)ldns_buffer_position(buf));
			assert_int_equal(r, 0);
			ldns_buffer_free(buf);
			ldns_rr_free(rr);
		}
	}
	int ret = zone_apply(old, &cs, out, err);
	changeset_clear(&cs);
	return ret;
}

static void
expect_refused(const zone_t *old, uint32_t from, const char *const *del, const char *const *add,
	       const char *needle)
{
	zone_t *out = NULL;
	zone_error_t err;
	int r = apply_text(old, from, del, add, &out, &err);
	if (r != FL_ESEMANTIC)
		fail_msg("apply returned %d (%s), want refusal '%s'", r, fl_strerror(r), needle);
	assert_null(out);
	if (strstr(err.msg, needle) == NULL)
		fail_msg("refusal '%s' lacks '%s'", err.msg, needle);
}

static void
test_apply_refusals(void **state)
{
	zone_t *old = zone_of(soa7, "w.example.com. 300 IN A 198.51.100.1\nw.example.com. 300 IN A 198.51.100.3\n"
				    "w.example.com. 300 IN TXT \"t\"\na.b.example.com. 300 IN A 198.51.100.5\n");
	const char *absent_rdata[] = { "w.example.com. 300 IN A 198.51.100.2", NULL };
	const char *absent_rdata_last[] = { "w.example.com. 300 IN A 198.51.100.9", NULL };
	const char *absent_name[] = { "nope.example.com. 300 IN A 198.51.100.1", NULL };
	const char *absent_type[] = { "w.example.com. 300 IN AAAA 2001:db8::1", NULL };
	const char *absent_type_between[] = { "w.example.com. 300 IN NS ns.example.net.", NULL };
	const char *at_ent[] = { "b.example.com. 300 IN A 198.51.100.1", NULL };
	const char *present[] = { "W.example.com. 999 IN A 198.51.100.1", NULL };
	const char *twice[] = { "w.example.com. 300 IN A 198.51.100.1", "w.example.com. 300 IN A 198.51.100.1", NULL };
	const char *new2[] = { "n.example.com. 300 IN A 198.51.100.1", "n.example.com. 300 IN A 198.51.100.1", NULL };
	const char *outside[] = { "www.example.org. 300 IN A 198.51.100.1", NULL };
	const char *cname[] = { "w.example.com. 300 IN CNAME x.example.net.", NULL };

	expect_refused(old, 6, NULL, NULL, "starts at serial 6 but zone example.com. is at serial 7");
	expect_refused(old, 7, absent_rdata, NULL,
		       "deletes w.example.com. 300 IN A 198.51.100.2, which serial 7 of example.com. does not have");
	expect_refused(old, 7, absent_rdata_last, NULL, "does not have");
	expect_refused(old, 7, absent_name, NULL, "has no such name");
	expect_refused(old, 7, absent_type, NULL, "does not have");
	expect_refused(old, 7, absent_type_between, NULL, "does not have");
	expect_refused(old, 7, at_ent, NULL, "does not have");
	expect_refused(old, 7, NULL, present, "adds w.example.com. 999 IN A 198.51.100.1, which serial 7 of example.com. already has");
	expect_refused(old, 7, twice, NULL, "twice");
	expect_refused(old, 7, NULL, new2, "twice");
	expect_refused(old, 7, NULL, outside, "cannot be added");
	expect_refused(old, 7, NULL, cname, "CNAME and other data at w.example.com.");

	/* an SOA smuggled into a list (changeset_add refuses it; a hand-made list may not) */
	changeset_t cs;
	changeset_init(&cs);
	assert_int_equal(zone_diff(old, old, &cs), 0);
	assert_int_equal(changeset_add(&cs, old->origin, RR_A, 1, (const uint8_t *)"\1\2\3\4", 4), 0);
	cs.add.rr[0].type = RR_SOA;
	cs.add.rr[0].rdata = cs.soa_to.rdata;
	cs.add.rr[0].rdlen = cs.soa_to.rdlen;
	zone_t *out = NULL;
	zone_error_t err;
	assert_int_equal(zone_apply(old, &cs, &out, &err), FL_ESEMANTIC);
	assert_non_null(strstr(err.msg, "an SOA outside soa_to"));
	changeset_clear(&cs);

	/* deleting and re-adding the same RR is fine (a TTL change), TTLs of deletions are not compared */
	const char *del_ttl[] = { "w.example.com. 1 IN A 198.51.100.1", "w.example.com. 1 IN A 198.51.100.3", NULL };
	const char *add_ttl[] = { "w.example.com. 60 IN A 198.51.100.3", "w.example.com. 60 IN A 198.51.100.1", NULL };
	assert_int_equal(apply_text(old, 7, del_ttl, add_ttl, &out, &err), 0);
	assert_int_equal(out->serial, 8);
	assert_int_equal(zone_node_rrset(zone_find(out, (const uint8_t *)"\1w\7example\3com", 15), RR_A)->ttl, 60);
	zone_free(out);
	/* lists in any order (IXFR peers do not sort) */
	const char *del_any[] = { "a.b.example.com. 300 IN A 198.51.100.5", "w.example.com. 300 IN A 198.51.100.3",
				  "example.com. 3600 IN NS ns1.example.com.", NULL };
	const char *add_any[] = { "z.example.com. 300 IN A 198.51.100.1", "example.com. 3600 IN NS ns.example.net.",
				  "c.example.com. 300 IN TXT \"c\"", "a.example.com. 300 IN TXT \"a\"", NULL };
	assert_int_equal(apply_text(old, 7, del_any, add_any, &out, &err), 0);
	zone_t *want = tu_zone("example.com.",
			       "example.com. 3600 IN SOA ns1.example.com. h.example.com. 8 3600 900 604800 300\n"
			       "example.com. 3600 IN NS ns.example.net.\n"
			       "ns1.example.com. 3600 IN A 198.51.100.53\n"
			       "w.example.com. 300 IN A 198.51.100.1\n"
			       "w.example.com. 300 IN TXT \"t\"\n"
			       "z.example.com. 300 IN A 198.51.100.1\n"
			       "c.example.com. 300 IN TXT \"c\"\n"
			       "a.example.com. 300 IN TXT \"a\"\n",
			       NULL);
	assert_non_null(want);
	assert_true(zone_equal(out, want));
	zone_free(want);
	zone_free(out);
	zone_free(old);
}

static void
test_set_serial_and_equal(void **state)
{
	zone_t *z = zone_of(soa7, "w.example.com. 300 IN A 198.51.100.1\n");
	zone_t *s = NULL;
	assert_int_equal(zone_set_serial(z, 4000000000u, &s), 0);
	assert_int_equal(s->serial, 4000000000u);
	assert_false(zone_equal(z, s)); /* the SOA differs */
	changeset_t cs;
	diff_check(z, s, &cs, 0, 0);
	changeset_clear(&cs);
	zone_t *back = NULL;
	assert_int_equal(zone_set_serial(s, 7, &back), 0);
	assert_true(zone_equal(z, back));
	zone_free(back);
	zone_free(s);
	/* equality sees TTLs and rdata */
	zone_t *t = zone_of(soa7, "w.example.com. 301 IN A 198.51.100.1\n");
	zone_t *r = zone_of(soa7, "w.example.com. 300 IN A 198.51.100.2\n");
	assert_false(zone_equal(z, t));
	assert_false(zone_equal(z, r));
	zone_free(t);
	zone_free(r);
	zone_free(z);
}

/* ---- random pairs ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

/* A random valid zone over a small universe of names, types and rdata, so
 * that two random zones overlap a lot. */
static zone_t *
random_zone(uint32_t serial)
{
	static const char *labels[] = { "a", "b", "c", "*", "d-e" };
	uint8_t origin[DNAME_MAXLEN];
	tu_name("example.com.", origin);
	zone_builder_t *b = zone_builder_new(origin);
	char text[512];
	snprintf(text, sizeof(text),
		 "example.com. 3600 IN SOA ns1.example.com. h.example.com. %u 3600 900 604800 300\n"
		 "example.com. %u IN NS ns1.example.com.\nns1.example.com. 3600 IN A 198.51.100.53\n",
		 serial, 3600 + rng() % 2);
	assert_int_equal(tu_feed(b, text), 0);
	int n = (int)(rng() % 40);
	for (int i = 0; i < n; i++) {
		char name[64] = "";
		int depth = 1 + (int)(rng() % 3);
		for (int d = 0; d < depth; d++) {
			strcat(name, labels[rng() % 5]);
			strcat(name, ".");
		}
		strcat(name, "example.com.");
		uint32_t ttl = 300 + (rng() % 4 == 0); /* an occasional TTL change */
		switch (rng() % 4) {
		case 0:
			snprintf(text, sizeof(text), "%s %u IN A 198.51.100.%u", name, ttl, rng() % 4);
			break;
		case 1:
			snprintf(text, sizeof(text), "%s %u IN TXT \"%.*s\"", name, ttl, (int)(rng() % 3), "xyz");
			break;
		case 2:
			snprintf(text, sizeof(text), "%s %u IN MX %u mx.example.net.", name, ttl, rng() % 3);
			break;
		default:
			snprintf(text, sizeof(text), "%s %u IN AAAA 2001:db8::%u", name, ttl, rng() % 3);
			break;
		}
		assert_int_equal(tu_feed(b, text), 0);
	}
	zone_t *z = NULL;
	zone_error_t err;
	if (zone_builder_finish(b, &z, &err) != 0)
		fail_msg("random zone: %s", err.msg);
	return z;
}

static void
test_random_pairs(void **state)
{
	for (int i = 0; i < 2000; i++) {
		zone_t *old = random_zone(7), *cand = random_zone(8);
		changeset_t cs;
		changeset_init(&cs);
		assert_int_equal(zone_diff(old, cand, &cs), 0);
		assert_int_equal(old->nrecords - 1 - cs.del.count + cs.add.count, cand->nrecords - 1);
		/* through the journal form, then applied */
		size_t n = changeset_wire_size(&cs);
		uint8_t *buf = malloc(n);
		assert_int_equal(changeset_to_wire(&cs, buf, n), (long)n);
		changeset_t back;
		changeset_init(&back);
		assert_int_equal(changeset_from_wire(&back, buf, n), 0);
		zone_t *next = NULL;
		zone_error_t err;
		if (zone_apply(old, &back, &next, &err) != 0)
			fail_msg("pair %d: apply: %s", i, err.msg);
		if (!zone_equal(next, cand))
			fail_msg("pair %d: apply(old, diff(old, cand)) != cand", i);
		/* and a zone against itself is empty */
		changeset_t self;
		changeset_init(&self);
		assert_int_equal(zone_diff(cand, next, &self), 0);
		assert_true(changeset_empty(&self));
		changeset_clear(&self);
		zone_free(next);
		changeset_clear(&back);
		free(buf);
		changeset_clear(&cs);
		zone_free(old);
		zone_free(cand);
	}
}

/* ---- a large zone with one change ---- */

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* nrec A records below 1000 empty non-terminals, plus SOA/NS/glue.
 * change: 0 none, 1 one rdata changed, 2 one record added, 3 one removed. */
static zone_t *
big_zone(uint32_t nrec, uint32_t serial, int change)
{
	uint8_t origin[DNAME_MAXLEN];
	tu_name("example.com.", origin);
	zone_builder_t *b = zone_builder_new(origin);
	char text[256];
	snprintf(text, sizeof(text),
		 "example.com. 3600 IN SOA ns1.example.com. h.example.com. %u 3600 900 604800 300\n"
		 "example.com. 3600 IN NS ns1.example.com.\nns1.example.com. 3600 IN A 198.51.100.53\n",
		 serial);
	assert_int_equal(tu_feed(b, text), 0);
	uint32_t victim = nrec / 2;
	for (uint32_t i = 0; i < nrec; i++) {
		if (change == 3 && i == victim)
			continue;
		uint8_t name[DNAME_MAXLEN];
		int l = snprintf(text, sizeof(text), "h%u.g%u.example.com.", i, i % 1000);
		size_t nl = (size_t)dname_from_str(text, (size_t)l, NULL, name);
		uint8_t rd[4];
		wire_set_u32(rd, 0x0a000000u + i);
		if (change == 1 && i == victim)
			rd[0] = 11;
		assert_int_equal(zone_builder_add(b, name, nl, RR_A, RR_CLASS_IN, 300, rd, 4, i + 4), 0);
	}
	if (change == 2) {
		uint8_t name[DNAME_MAXLEN];
		size_t nl = tu_name("new.g7.example.com.", name);
		assert_int_equal(zone_builder_add(b, name, nl, RR_A, RR_CLASS_IN, 300, (const uint8_t *)"\1\2\3\4", 4, 1), 0);
	}
	zone_t *z = NULL;
	zone_error_t err;
	if (zone_builder_finish(b, &z, &err) != 0)
		fail_msg("big zone: %s", err.msg);
	return z;
}

static void
test_big_zone_one_change(void **state)
{
	uint32_t nrec = getenv("ASAN_OPTIONS") != NULL ? 200000 : 1000000;
	double t0 = now_s();
	zone_t *old = big_zone(nrec, 7, 0);
	double t_build = now_s() - t0;
	assert_int_equal(old->nrecords, nrec + 3);
	static const struct {
		int change;
		size_t ndel, nadd;
		const char *what;
	} cases[] = {
		{ 1, 1, 1, "one rdata changed" },
		{ 2, 0, 1, "one record added" },
		{ 3, 1, 0, "one record removed" },
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		zone_t *cand = big_zone(nrec, 8, cases[k].change);
		changeset_t cs;
		changeset_init(&cs);
		t0 = now_s();
		assert_int_equal(zone_diff(old, cand, &cs), 0);
		double t_diff = now_s() - t0;
		if (cs.del.count != cases[k].ndel || cs.add.count != cases[k].nadd)
			fail_msg("%s: %zu deletions, %zu additions", cases[k].what, cs.del.count, cs.add.count);
		t0 = now_s();
		zone_t *next = NULL;
		zone_error_t err;
		if (zone_apply(old, &cs, &next, &err) != 0)
			fail_msg("apply: %s", err.msg);
		double t_apply = now_s() - t0;
		assert_true(zone_equal(next, cand));
		printf("    %u records, %s: diff %.1f ms (%zu del, %zu add), apply %.0f ms, build %.0f ms\n", nrec,
		       cases[k].what, t_diff * 1e3, cs.del.count, cs.add.count, t_apply * 1e3, t_build * 1e3);
		/* well under a second even in a sanitizer build */
		assert_true(t_diff < 0.5);
		zone_free(next);
		changeset_clear(&cs);
		zone_free(cand);
	}
	zone_free(old);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_change),
		cmocka_unit_test(test_add_delete_name),
		cmocka_unit_test(test_change_ttl),
		cmocka_unit_test(test_change_rdata),
		cmocka_unit_test(test_replace_rrset),
		cmocka_unit_test(test_ent_and_delegation),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_apply_refusals),
		cmocka_unit_test(test_set_serial_and_equal),
		cmocka_unit_test(test_random_pairs),
		cmocka_unit_test(test_big_zone_one_change),
	};
	return cmocka_run_group_tests_name("diff", tests, NULL, NULL);
}
