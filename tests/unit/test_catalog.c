/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Tests for src/catalog/catalog.c: catalog zones (RFC 9432). Catalogs are
 * written as RR text and read with ldns (tu.h), an independent parser; the
 * built catalogs are written back as text by ldns and read again, and the
 * labels are checked against ldns's own SHA-256.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <ldns/sha2.h>

#include "tu.h"
#include "catalog/catalog.h"
#include "dns/msg.h"
#include "dns/rrtype.h"
#include "dns/wire.h"

#define CAT "catalog.invalid."
#define APEX                                                                \
	CAT " 0 IN SOA invalid. invalid. 1 3600 600 2147483646 0\n" CAT " 0 IN NS invalid.\n"
#define V2 "version." CAT " 0 IN TXT \"2\"\n"

static zone_t *
zone_text(const char *origin, const char *text)
{
	zone_error_t zerr;
	zone_t *z = tu_zone(origin, text, &zerr);
	if (z == NULL) {
		print_error("test zone refused: %s\n", zerr.msg);
		fail();
	}
	return z;
}

/* Parse a catalog given as text; the zone is freed before the caller looks at the result. */
static int
parse_text(const char *text, catalog_t **c, char *err, size_t errlen)
{
	zone_t *z = zone_text(CAT, text);
	*c = (catalog_t *)&z; /* not NULL: catalog_parse must set it */
	int r = catalog_parse(z, c, err, errlen);
	zone_free(z);
	return r;
}

/* Wire name from text keeping the case (plain labels only: no escapes). */
static size_t
raw_name(const char *s, uint8_t *out)
{
	size_t o = 0;
	while (*s != '\0' && strcmp(s, ".") != 0) {
		const char *dot = strchr(s, '.');
		assert_non_null(dot);
		size_t l = (size_t)(dot - s);
		out[o++] = (uint8_t)l;
		memcpy(out + o, s, l);
		o += l;
		s = dot + 1;
	}
	out[o++] = 0;
	return o;
}

static void
assert_name(const uint8_t *got, const char *want)
{
	uint8_t w[DNAME_MAXLEN];
	tu_name(want, w);
	assert_non_null(got);
	if (!dname_eq(got, w)) {
		char g[1024];
		dname_to_str(got, g, sizeof(g));
		print_error("name %s, want %s\n", g, want);
		fail();
	}
}

static void
assert_label(const uint8_t *got, const char *want)
{
	assert_non_null(got);
	assert_int_equal(got[0], strlen(want));
	assert_memory_equal(got + 1, want, strlen(want));
}

static const catalog_member_t *
find(const catalog_t *c, const char *name)
{
	uint8_t n[DNAME_MAXLEN];
	tu_name(name, n);
	return catalog_find(c, n);
}

/* Members, labels, groups, coo; ext., unknown properties and names outside zones. ignored. */
static void
test_parse_valid(void **state)
{
	(void)state;
	static const char text[] =
		APEX V2
		"5960775ba382e7a4e09263fc06e7c00569b6a05c.zones." CAT " 0 IN PTR example.com.\n"
		"uniq2.zones." CAT " 0 IN PTR Example.NET.\n"
		/* canonical RR order compares rdata octets: "\7b-first" sorts before "\12operator-x" */
		"group.uniq2.zones." CAT " 0 IN TXT \"operator-x\" \"second\"\n"
		"group.uniq2.zones." CAT " 0 IN TXT \"b-first\"\n"
		"coo.uniq2.zones." CAT " 0 IN PTR other.catalog.\n"
		"uniq3.zones." CAT " 0 IN PTR a.example.org.\n"
		"ext.uniq3.zones." CAT " 0 IN TXT \"custom\"\n"
		"x.ext.uniq3.zones." CAT " 0 IN A 192.0.2.1\n"
		"unknownprop.uniq3.zones." CAT " 0 IN A 192.0.2.1\n"
		"deep.unknownprop.uniq3.zones." CAT " 0 IN TXT \"x\"\n"
		"uniq4.zones." CAT " 0 IN PTR empty-group.test.\n"
		"uniq4.zones." CAT " 0 IN TXT \"other data beside the PTR\"\n"
		"group.uniq4.zones." CAT " 0 IN TXT \"\"\n"
		"group.uniq4.zones." CAT " 0 IN A 192.0.2.2\n"
		"ext." CAT " 0 IN TXT \"catalog-wide custom property\"\n"
		"serial.ext." CAT " 0 IN TXT \"x\"\n"
		"elsewhere." CAT " 0 IN A 192.0.2.9\n"
		"zzz." CAT " 0 IN PTR example.com.\n";
	catalog_t *c = NULL;
	char err[512] = "";
	assert_int_equal(parse_text(text, &c, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_non_null(c);
	assert_int_equal(catalog_count(c), 4);

	/* canonical order: com < net < org < test */
	const catalog_member_t *m = catalog_at(c, 0);
	assert_name(m->name, "example.com.");
	assert_label(m->label, "5960775ba382e7a4e09263fc06e7c00569b6a05c");
	assert_null(m->group);
	assert_null(m->coo);
	m = catalog_at(c, 1);
	assert_name(m->name, "example.net.");
	assert_label(m->label, "uniq2");
	assert_string_equal(m->group, "b-first");
	assert_name(m->coo, "other.catalog.");
	m = catalog_at(c, 2);
	assert_name(m->name, "a.example.org.");
	assert_label(m->label, "uniq3");
	assert_null(m->group);
	assert_null(m->coo);
	m = catalog_at(c, 3);
	assert_name(m->name, "empty-group.test.");
	assert_label(m->label, "uniq4");
	assert_null(m->group); /* "" is no group */
	assert_null(catalog_at(c, 4));

	assert_ptr_equal(find(c, "example.com."), catalog_at(c, 0));
	assert_ptr_equal(find(c, "EXAMPLE.net."), catalog_at(c, 1));
	assert_ptr_equal(find(c, "a.example.org."), catalog_at(c, 2));
	assert_ptr_equal(find(c, "empty-group.test."), catalog_at(c, 3));
	assert_null(find(c, "example.org."));
	assert_null(find(c, "b.example.org."));
	assert_null(find(c, CAT));
	assert_null(find(c, "other.catalog."));
	assert_null(find(c, "."));
	catalog_free(c);
	catalog_free(NULL);
}

/* Version present, no members (with and without a zones. node): valid and empty. */
static void
test_parse_empty(void **state)
{
	(void)state;
	static const char *texts[] = {
		APEX V2,
		APEX V2 "zones." CAT " 0 IN TXT \"no members\"\n",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		catalog_t *c = NULL;
		char err[512];
		assert_int_equal(parse_text(texts[i], &c, err, sizeof(err)), 0);
		assert_int_equal(catalog_count(c), 0);
		assert_null(catalog_at(c, 0));
		assert_null(find(c, "example.com."));
		catalog_free(c);
	}
}

/* Every broken catalog is refused as a whole, naming the offending owner. */
static void
test_parse_broken(void **state)
{
	(void)state;
	static const char M1[] = "m1.zones." CAT " 0 IN PTR example.com.\n";
	static const struct {
		const char *what, *text, *needle;
	} cases[] = {
		{ "missing version", APEX "m1.zones." CAT " 0 IN PTR example.com.\n",
		  "version." CAT " TXT missing: not a catalog (RFC 9432 §4.2.1)" },
		{ "version node without TXT", APEX "version." CAT " 0 IN A 192.0.2.1\n",
		  "version." CAT " TXT missing" },
		{ "version 1", APEX "version." CAT " 0 IN TXT \"1\"\n", "version." CAT " TXT \"1\": unsupported version" },
		{ "two version RRs", APEX V2 "version." CAT " 0 IN TXT \"1\"\n",
		  "version." CAT " has 2 TXT RRs: unsupported version" },
		{ "version 2 x", APEX "version." CAT " 0 IN TXT \"2\" \"x\"\n",
		  "version." CAT " TXT \"2\" \"x\": unsupported version" },
		{ "two PTRs at a member", APEX V2 "m1.zones." CAT " 0 IN PTR example.com.\n"
		  "m1.zones." CAT " 0 IN PTR example.net.\n", "m1.zones." CAT " has 2 PTR RRs" },
		{ "member with other data, no PTR", APEX V2 "m1.zones." CAT " 0 IN TXT \"x\"\n",
		  "m1.zones." CAT " has no PTR" },
		{ "member with only properties", APEX V2 "group.m1.zones." CAT " 0 IN TXT \"g\"\n",
		  "m1.zones." CAT " has no PTR" },
		{ "member name twice", APEX V2 "m2.zones." CAT " 0 IN PTR a.example.\n"
		  "m1.zones." CAT " 0 IN PTR b.example.\n" "m3.zones." CAT " 0 IN PTR A.example.\n",
		  "m2.zones." CAT " and m3.zones." CAT " both name member a.example." },
		{ "PTR to the catalog", APEX V2 "m1.zones." CAT " 0 IN PTR " CAT "\n",
		  "m1.zones." CAT " PTR " CAT " is the catalog or below it" },
		{ "PTR below the catalog", APEX V2 "m1.zones." CAT " 0 IN PTR sub.zones." CAT "\n",
		  "m1.zones." CAT " PTR sub.zones." CAT " is the catalog or below it" },
		{ "PTR at zones.", APEX V2 "zones." CAT " 0 IN PTR example.com.\n",
		  "zones." CAT " has a PTR" },
		{ "two coo PTRs", APEX V2 "m1.zones." CAT " 0 IN PTR example.com.\n"
		  "coo.m1.zones." CAT " 0 IN PTR new1.invalid.\n" "coo.m1.zones." CAT " 0 IN PTR new2.invalid.\n",
		  "coo.m1.zones." CAT " has 2 PTR RRs" },
		{ "coo without PTR", APEX V2 "m1.zones." CAT " 0 IN PTR example.com.\n"
		  "coo.m1.zones." CAT " 0 IN TXT \"new.invalid.\"\n", "coo.m1.zones." CAT " has 0 PTR RRs" },
		{ "below coo", APEX V2 "m1.zones." CAT " 0 IN PTR example.com.\n"
		  "coo.m1.zones." CAT " 0 IN PTR new.invalid.\n" "x.coo.m1.zones." CAT " 0 IN A 192.0.2.1\n",
		  "x.coo.m1.zones." CAT " lies below a coo property" },
		{ "below group", APEX V2 "m1.zones." CAT " 0 IN PTR example.com.\n"
		  "deep.x.group.m1.zones." CAT " 0 IN TXT \"g\"\n", "x.group.m1.zones." CAT " lies below a group" },
		{ "NUL in group", APEX V2 "m1.zones." CAT " 0 IN PTR example.com.\n"
		  "group.m1.zones." CAT " 0 IN TXT \"a\\000b\"\n", "group.m1.zones." CAT " TXT holds a NUL" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		catalog_t *c = NULL;
		char err[512] = "";
		int r = parse_text(cases[i].text, &c, err, sizeof(err));
		if (r != FL_EINVAL || c != NULL || strstr(err, cases[i].needle) == NULL ||
		    strncmp(err, "catalog " CAT ": ", strlen("catalog " CAT ": ")) != 0) {
			print_error("%s: got %d '%s', want FL_EINVAL with '%s'\n", cases[i].what, r, err, cases[i].needle);
			fail();
		}
		assert_null(strchr(err, '\n'));
	}
	/* the valid form of the same member parses: the failures above are the changes */
	catalog_t *c = NULL;
	char text[256];
	snprintf(text, sizeof(text), "%s%s%s", APEX, V2, M1);
	assert_int_equal(parse_text(text, &c, NULL, 0), 0);
	assert_int_equal(catalog_count(c), 1);
	catalog_free(c);
}

static void
add(zone_builder_t *b, const char *owner, uint16_t type, const void *rd, size_t len)
{
	uint8_t o[DNAME_MAXLEN];
	size_t ol = raw_name(owner, o); /* case kept: the builder and we lowercase */
	assert_int_equal(zone_builder_add(b, o, ol, type, RR_CLASS_IN, 0, rd, (uint16_t)len, 0), 0);
}

static zone_t *
finish(zone_builder_t *b)
{
	zone_t *z = NULL;
	zone_error_t zerr;
	if (zone_builder_finish(b, &z, &zerr) != 0) {
		print_error("builder: %s\n", zerr.msg);
		fail();
	}
	return z;
}

static zone_builder_t *
builder_with_apex(void)
{
	uint8_t o[DNAME_MAXLEN];
	tu_name(CAT, o);
	zone_builder_t *b = zone_builder_new(o);
	assert_non_null(b);
	static const uint8_t soa[] = "\7invalid\0\7invalid\0\0\0\0\1\0\0\x0e\x10\0\0\x02\x58\x7f\xff\xff\xfe\0\0\0\0";
	add(b, CAT, RR_SOA, soa, sizeof(soa) - 1);
	add(b, CAT, RR_NS, "\7invalid", 9);
	return b;
}

/* Names in rdata keep their case in a zone (a transfer may carry any): we lowercase them. Odd TXT rdata
 * that ldns would not write is refused, not read out of bounds. */
static void
test_parse_case_and_odd_rdata(void **state)
{
	(void)state;
	zone_builder_t *b = builder_with_apex();
	add(b, "VERSION.Catalog.Invalid.", RR_TXT, "\1" "2", 2);
	add(b, "M1.ZONES.catalog.invalid.", RR_PTR, "\7EXAMPLE\3Com", 13);
	add(b, "Coo.M1.ZONES.catalog.invalid.", RR_PTR, "\3NEW\7Invalid", 13);
	add(b, "GROUP.m1.zones.catalog.invalid.", RR_TXT, "\3Ops", 4);
	zone_t *z = finish(b);
	catalog_t *c = NULL;
	assert_int_equal(catalog_parse(z, &c, NULL, 0), 0);
	assert_int_equal(catalog_count(c), 1);
	assert_name(catalog_at(c, 0)->name, "example.com.");
	assert_memory_equal(catalog_at(c, 0)->name, "\7example\3com", 13);
	assert_memory_equal(catalog_at(c, 0)->coo, "\3new\7invalid", 13);
	assert_label(catalog_at(c, 0)->label, "m1");
	assert_string_equal(catalog_at(c, 0)->group, "Ops"); /* a group is data: case kept */
	assert_ptr_equal(find(c, "Example.COM."), catalog_at(c, 0));
	catalog_free(c);
	zone_free(z);

	static const struct {
		const char *owner;
		const char *rd;
		size_t len;
		const char *needle;
	} odd[] = {
		{ "version." CAT, "", 0, "version." CAT " TXT (empty): unsupported version" },
		{ "version." CAT, "\5" "2", 2, "unsupported version" },
		{ "group.m1.zones." CAT, "", 0, "group.m1.zones." CAT " TXT rdata is malformed" },
		{ "group.m1.zones." CAT, "\5abc", 4, "group.m1.zones." CAT " TXT rdata is malformed" },
	};
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		b = builder_with_apex();
		if (strncmp(odd[i].owner, "version.", 8) != 0)
			add(b, "version." CAT, RR_TXT, "\1" "2", 2);
		add(b, "m1.zones." CAT, RR_PTR, "\7example\3com", 13);
		add(b, odd[i].owner, RR_TXT, odd[i].rd, odd[i].len);
		z = finish(b);
		char err[512] = "";
		c = (catalog_t *)z;
		assert_int_equal(catalog_parse(z, &c, err, sizeof(err)), FL_EINVAL);
		assert_null(c);
		if (strstr(err, odd[i].needle) == NULL) {
			print_error("case %zu: '%s' lacks '%s'\n", i, err, odd[i].needle);
			fail();
		}
		zone_free(z);
	}
}

/* Random catalogs from a pool of lines, good and bad: 0 with a catalog or FL_EINVAL with NULL and a message,
 * never anything else (ASan watches the reads). */
static void
test_parse_random_mixes(void **state)
{
	(void)state;
	static const char *pool[] = {
		V2,
		"version." CAT " 0 IN TXT \"1\"\n",
		"m1.zones." CAT " 0 IN PTR a.example.\n",
		"m1.zones." CAT " 0 IN PTR b.example.\n",
		"m2.zones." CAT " 0 IN PTR a.example.\n",
		"m2.zones." CAT " 0 IN PTR " CAT "\n",
		"m3.zones." CAT " 0 IN PTR c.example.\n",
		"zones." CAT " 0 IN PTR d.example.\n",
		"zones." CAT " 0 IN TXT \"x\"\n",
		"coo.m1.zones." CAT " 0 IN PTR new.invalid.\n",
		"coo.m1.zones." CAT " 0 IN PTR new2.invalid.\n",
		"coo.m3.zones." CAT " 0 IN TXT \"x\"\n",
		"group.m1.zones." CAT " 0 IN TXT \"g1\"\n",
		"group.m2.zones." CAT " 0 IN TXT \"\" \"g2\"\n",
		"x.group.m3.zones." CAT " 0 IN TXT \"deep\"\n",
		"ext.m1.zones." CAT " 0 IN TXT \"e\"\n",
		"a.b.c.ext.m2.zones." CAT " 0 IN A 192.0.2.1\n",
		"ext." CAT " 0 IN TXT \"e\"\n",
		"*.zones." CAT " 0 IN PTR wild.example.\n",
		"m4.zones." CAT " 0 IN A 192.0.2.1\n",
	};
	const size_t np = sizeof(pool) / sizeof(pool[0]);
	unsigned seed = 9432;
	size_t ok = 0, refused = 0;
	char *text = malloc(4096);
	assert_non_null(text);
	for (int round = 0; round < 300; round++) {
		strcpy(text, APEX);
		for (size_t i = 0; i < np; i++)
			if (rand_r(&seed) % 3 == 0)
				strcat(text, pool[i]);
		catalog_t *c = NULL;
		char err[512] = "";
		int r = parse_text(text, &c, err, sizeof(err));
		if (r == 0) {
			assert_non_null(c);
			assert_string_equal(err, "");
			for (size_t i = 0; i < catalog_count(c); i++)
				assert_ptr_equal(catalog_find(c, catalog_at(c, i)->name), catalog_at(c, i));
			catalog_free(c);
			ok++;
		} else {
			assert_int_equal(r, FL_EINVAL);
			assert_null(c);
			assert_true(strncmp(err, "catalog " CAT ": ", strlen("catalog " CAT ": ")) == 0);
			refused++;
		}
	}
	free(text);
	assert_true(ok > 0 && refused > 0);
}

/* ---- Producer side ---- */

typedef struct {
	uint8_t name[DNAME_MAXLEN];
	uint8_t label[17];
	char group[16];
} gen_t;

/* n entries with distinct random names (mixed case, 2..4 labels), labels from catalog_new_label, some groups. */
static catalog_entry_t *
generate(size_t n, uint64_t salt, gen_t **store)
{
	static const char *tld[] = { "com", "NET", "org", "example", "Test" };
	gen_t *g = calloc(n, sizeof(*g));
	catalog_entry_t *e = calloc(n, sizeof(*e));
	assert_true(g != NULL && e != NULL);
	unsigned seed = (unsigned)n;
	for (size_t i = 0; i < n; i++) {
		char text[128], rnd[24];
		int rl = 1 + rand_r(&seed) % 20;
		for (int j = 0; j < rl; j++) {
			int r = rand_r(&seed) % 36;
			char ch = r < 26 ? (char)('a' + r) : (char)('0' + r - 26);
			rnd[j] = rand_r(&seed) % 4 == 0 && r < 26 ? (char)(ch - 32) : ch;
		}
		rnd[rl] = '\0';
		/* the index keeps names distinct; the random part varies length, case and depth */
		if (rand_r(&seed) % 2)
			snprintf(text, sizeof(text), "%s.z%zu.%s.", rnd, i, tld[rand_r(&seed) % 5]);
		else
			snprintf(text, sizeof(text), "z%zu-%s.%s.", i, rnd, tld[rand_r(&seed) % 5]);
		raw_name(text, g[i].name); /* case kept: the builder must lowercase */
		catalog_new_label(g[i].name, salt, g[i].label);
		e[i].name = g[i].name;
		e[i].label = g[i].label;
		if (i % 3 == 0) {
			snprintf(g[i].group, sizeof(g[i].group), "group-%zu", i % 7);
			e[i].group = g[i].group;
		}
	}
	*store = g;
	return e;
}

/* Each entry is found with its label and group, and the order is strictly canonical. */
static void
assert_same_set(const catalog_t *c, const catalog_entry_t *e, size_t n)
{
	assert_int_equal(catalog_count(c), n);
	for (size_t i = 0; i < n; i++) {
		const catalog_member_t *m = catalog_find(c, e[i].name);
		assert_non_null(m);
		assert_true(dname_eq_nocase(m->name, e[i].name));
		assert_memory_equal(m->label, e[i].label, 17);
		if (e[i].group == NULL)
			assert_null(m->group);
		else
			assert_string_equal(m->group, e[i].group);
		assert_null(m->coo);
	}
	for (size_t i = 1; i < n; i++)
		assert_true(dname_canon_cmp(catalog_at(c, i - 1)->name, catalog_at(c, i)->name) < 0);
}

static void
test_build_round_trip(void **state)
{
	(void)state;
	const size_t n = 1000;
	gen_t *g;
	catalog_entry_t *e = generate(n, 42, &g);
	uint8_t o[DNAME_MAXLEN];
	tu_name("Catalog.Example.", o);
	zone_t *z = NULL;
	char err[512] = "x";
	assert_int_equal(catalog_build(o, 2024010203, e, n, &z, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_non_null(z);
	assert_int_equal(z->serial, 2024010203);
	assert_int_equal(z->soa->ttl, 0);
	assert_int_equal(z->nrecords, 3 + n + (n + 2) / 3);
	for (uint32_t i = 0; i < z->nnodes; i++)
		for (uint16_t t = 0; t < z->nodes[i].nrrsets; t++)
			assert_int_equal(z->nodes[i].rrsets[t].ttl, 0);

	catalog_t *c = NULL;
	assert_int_equal(catalog_parse(z, &c, err, sizeof(err)), 0);
	zone_free(z);
	assert_same_set(c, e, n);
	catalog_free(c);

	/* entries in another order: the same zone */
	zone_t *z1 = NULL, *z2 = NULL;
	catalog_entry_t *rev = malloc(n * sizeof(*rev));
	assert_non_null(rev);
	for (size_t i = 0; i < n; i++)
		rev[i] = e[n - 1 - i];
	assert_int_equal(catalog_build(o, 1, e, n, &z1, NULL, 0), 0);
	assert_int_equal(catalog_build(o, 1, rev, n, &z2, NULL, 0), 0);
	assert_int_equal(z1->nnodes, z2->nnodes);
	for (uint32_t i = 0; i < z1->nnodes; i++) {
		assert_true(dname_eq(z1->nodes[i].name, z2->nodes[i].name));
		assert_int_equal(z1->nodes[i].nrrsets, z2->nodes[i].nrrsets);
	}
	zone_free(z1);
	zone_free(z2);
	free(rev);

	/* no entries: a valid empty catalog */
	assert_int_equal(catalog_build(o, 7, NULL, 0, &z, NULL, 0), 0);
	assert_int_equal(catalog_parse(z, &c, NULL, 0), 0);
	assert_int_equal(catalog_count(c), 0);
	catalog_free(c);
	zone_free(z);
	free(e);
	free(g);
}

static void
expect_build_refused(const char *origin, const catalog_entry_t *e, size_t n, const char *needle)
{
	uint8_t o[DNAME_MAXLEN];
	tu_name(origin, o);
	zone_t *z = (zone_t *)o; /* not NULL: catalog_build must set it */
	char err[512] = "";
	int r = catalog_build(o, 1, e, n, &z, err, sizeof(err));
	if (r != FL_EINVAL || z != NULL || strstr(err, needle) == NULL) {
		print_error("got %d '%s', want FL_EINVAL with '%s'\n", r, err, needle);
		fail();
	}
}

static void
test_build_refusals(void **state)
{
	(void)state;
	uint8_t a[DNAME_MAXLEN], b[DNAME_MAXLEN], aa[DNAME_MAXLEN], A[DNAME_MAXLEN], self[DNAME_MAXLEN];
	uint8_t below[DNAME_MAXLEN];
	tu_name("a.example.", a);
	tu_name("b.example.", b);
	tu_name("aa.example.", aa);
	tu_name("a.example.", A);
	A[1] = 'A'; /* "A.example." */
	tu_name(CAT, self);
	tu_name("x.zones." CAT, below);
	static const uint8_t l1[] = "\2l1", l2[] = "\2l2", L1[] = "\2L1", l0[] = "\0", l64[65] = { 64 };

	/* labels compare case-insensitively, like the owner names they become; aa sorts between a and b */
	catalog_entry_t dup_label[] = { { a, l1, NULL }, { b, L1, NULL }, { aa, l2, NULL } };
	expect_build_refused(CAT, dup_label, 3, "entries 0 and 1 share the label l1");
	catalog_entry_t dup_name[] = { { a, l1, NULL }, { b, l2, "g" }, { A, (const uint8_t *)"\2l3", NULL } };
	expect_build_refused(CAT, dup_name, 3, "entries 0 and 2 both name member a.example.");
	catalog_entry_t is_self[] = { { self, l1, NULL } };
	expect_build_refused(CAT, is_self, 1, "entry 0: member " CAT " is the catalog or below it");
	catalog_entry_t is_below[] = { { a, l1, NULL }, { below, l2, NULL } };
	expect_build_refused(CAT, is_below, 2, "entry 1: member x.zones." CAT " is the catalog or below it");
	catalog_entry_t bad_label[] = { { a, l0, NULL } };
	expect_build_refused(CAT, bad_label, 1, "entry 0: label of 0 octets");
	catalog_entry_t long_label[] = { { a, l64, NULL } };
	expect_build_refused(CAT, long_label, 1, "entry 0: label of 64 octets");

	/* owner length: a 63-octet label + "\5zones" + origin must fit 255 octets, + "\5group" with a group */
	char origin[300] = "";
	for (int i = 0; i < 3; i++)
		strcat(origin, "ooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo."); /* 59+1 */
	strcat(origin, "oooooooooooooooooooooooo."); /* origin: 3*60 + 25 + 1 = 206 octets */
	uint8_t l63[64] = { 63 };
	memset(l63 + 1, 'x', 63);
	uint8_t l31[32] = { 31 }, l37[38] = { 37 };
	memset(l31 + 1, 'y', 31);
	memset(l37 + 1, 'z', 37);
	uint8_t o[DNAME_MAXLEN];
	assert_int_equal(tu_name(origin, o), 206);
	catalog_entry_t too_long[] = { { a, l63, NULL } }; /* 64 + 6 + 206 = 276 */
	expect_build_refused(origin, too_long, 1, "entry 0: member a.example. does not fit: <label>.zones.");
	/* 38 + 6 + 206 = 250 octets, 256 with "\5group" in front; 32 + 6 + 206 + 6 = 250 */
	catalog_entry_t group_too_long[] = { { a, l31, "g" }, { b, l37, "g" } };
	expect_build_refused(origin, group_too_long, 2, "entry 1: member b.example. does not fit: group.<label>");
	catalog_entry_t fits[] = { { a, l31, "g" }, { b, l37, NULL } };
	zone_t *z = NULL;
	assert_int_equal(catalog_build(o, 1, fits, 2, &z, NULL, 0), 0);
	catalog_t *c = NULL;
	assert_int_equal(catalog_parse(z, &c, NULL, 0), 0);
	assert_int_equal(catalog_count(c), 2);
	catalog_free(c);
	zone_free(z);

	char group[300];
	memset(group, 'g', 256);
	group[256] = '\0';
	catalog_entry_t long_group[] = { { a, l1, group } };
	expect_build_refused(CAT, long_group, 1, "entry 0: member a.example. has a group longer than 255 octets");
	group[255] = '\0';
	assert_int_equal(catalog_build(self, 1, long_group, 1, &z, NULL, 0), 0);
	assert_int_equal(catalog_parse(z, &c, NULL, 0), 0);
	assert_int_equal(strlen(catalog_at(c, 0)->group), 255);
	catalog_free(c);
	zone_free(z);
}

/* Hex of ldns's own SHA-256 (an independent implementation) over name || salt. */
static void
ldns_label(const char *name, uint64_t salt, uint8_t out[18])
{
	uint8_t buf[DNAME_MAXLEN + 8], md[32];
	size_t len = tu_name(name, buf);
	for (int i = 0; i < 8; i++)
		buf[len + (size_t)i] = (uint8_t)(salt >> (56 - 8 * i));
	ldns_sha256(buf, (unsigned)(len + 8), md);
	out[0] = 16;
	for (int i = 0; i < 8; i++)
		sprintf((char *)out + 1 + 2 * i, "%02x", md[i]); /* the last NUL lands in the caller's slack */
}

static void
test_new_label(void **state)
{
	(void)state;
	uint8_t n1[DNAME_MAXLEN], n1u[DNAME_MAXLEN], n2[DNAME_MAXLEN];
	tu_name("example.com.", n1);
	tu_name("example.com.", n1u);
	memcpy(n1u + 1, "EXAMPLE", 7);
	tu_name("example.net.", n2);
	uint8_t a[17], b[17], c[17], d[17], ref[18];
	catalog_new_label(n1, 1, a);
	catalog_new_label(n1u, 1, b);
	assert_memory_equal(a, b, 17);
	assert_int_equal(a[0], 16);
	for (int i = 1; i <= 16; i++)
		assert_true((a[i] >= '0' && a[i] <= '9') || (a[i] >= 'a' && a[i] <= 'f'));
	catalog_new_label(n1, 2, c);
	assert_memory_not_equal(a, c, 17);
	catalog_new_label(n2, 1, d);
	assert_memory_not_equal(a, d, 17);
	ldns_label("example.com.", 1, ref);
	assert_memory_equal(a, ref, 17);
	ldns_label("example.net.", 0x0102030405060708ull, ref);
	catalog_new_label(n2, 0x0102030405060708ull, d);
	assert_memory_equal(d, ref, 17);
}

/* ---- Cross-checks with ldns ---- */

/* The catalog of the RFC 9432 examples' style, as ldns reads it. */
static void
test_rfc_style_text(void **state)
{
	(void)state;
	static const char text[] =
		"catalog.invalid. 0 IN SOA invalid. invalid. 1 3600 600 2147483646 0\n"
		"catalog.invalid. 0 IN NS invalid.\n"
		"version.catalog.invalid. 0 IN TXT \"2\"\n"
		"5960775ba382e7a4e09263fc06e7c00569b6a05c.zones.catalog.invalid. 0 IN PTR example.com.\n"
		"unique2.zones.catalog.invalid. 0 IN PTR example.net.\n"
		"group.unique2.zones.catalog.invalid. 0 IN TXT \"operator-x\"\n"
		"unique3.zones.catalog.invalid. 0 IN PTR example.org.\n"
		"coo.unique3.zones.catalog.invalid. 0 IN PTR newcatz.invalid.\n"
		"ext.unique3.zones.catalog.invalid. 0 IN TXT \"vendor-specific\"\n";
	catalog_t *c = NULL;
	char err[512];
	assert_int_equal(parse_text(text, &c, err, sizeof(err)), 0);
	assert_int_equal(catalog_count(c), 3);
	const catalog_member_t *m = find(c, "example.com.");
	assert_non_null(m);
	assert_label(m->label, "5960775ba382e7a4e09263fc06e7c00569b6a05c");
	m = find(c, "example.net.");
	assert_non_null(m);
	assert_string_equal(m->group, "operator-x");
	m = find(c, "example.org.");
	assert_non_null(m);
	assert_name(m->coo, "newcatz.invalid.");
	assert_null(m->group);
	catalog_free(c);
}

/* The built zone written as text by ldns (from our wire records) and read back by ldns: the same catalog.
 * Also pins the fixed records as ldns prints them. */
static void
test_build_as_ldns_text(void **state)
{
	(void)state;
	const size_t n = 50;
	gen_t *g;
	catalog_entry_t *e = generate(n, 7, &g);
	uint8_t o[DNAME_MAXLEN];
	tu_name(CAT, o);
	zone_t *z = NULL;
	assert_int_equal(catalog_build(o, 9432, e, n, &z, NULL, 0), 0);

	size_t cap = 1 << 16, used = 0;
	char *text = malloc(cap);
	assert_non_null(text);
	text[0] = '\0';
	for (uint32_t i = 0; i < z->nnodes; i++) {
		const zone_node_t *nd = &z->nodes[i];
		for (uint16_t t = 0; t < nd->nrrsets; t++) {
			const zone_rrset_t *rs = &nd->rrsets[t];
			const uint8_t *rd = rs->rdata;
			for (uint16_t k = 0; k < rs->count; k++, rd = msg_rd_next(rd)) {
				uint8_t w[1024];
				size_t wl = nd->name_len;
				memcpy(w, nd->name, wl);
				wire_set_u16(w + wl, rs->type);
				wire_set_u16(w + wl + 2, RR_CLASS_IN);
				wire_set_u32(w + wl + 4, rs->ttl);
				wire_set_u16(w + wl + 8, msg_rd_len(rd));
				memcpy(w + wl + 10, msg_rd_data(rd), msg_rd_len(rd));
				ldns_rr *rr = NULL;
				size_t pos = 0;
				assert_int_equal(ldns_wire2rr(&rr, w, wl + 10 + msg_rd_len(rd), &pos,
							      LDNS_SECTION_ANSWER), LDNS_STATUS_OK);
				char *line = ldns_rr2str(rr);
				assert_non_null(line);
				size_t ll = strlen(line);
				assert_true(used + ll + 1 < cap);
				memcpy(text + used, line, ll + 1);
				used += ll;
				free(line);
				ldns_rr_free(rr);
			}
		}
	}
	zone_free(z);
	assert_non_null(strstr(text, CAT "\t0\tIN\tSOA\tinvalid. invalid. 9432 3600 600 2147483646 0\n"));
	assert_non_null(strstr(text, CAT "\t0\tIN\tNS\tinvalid.\n"));
	assert_non_null(strstr(text, "version." CAT "\t0\tIN\tTXT\t\"2\"\n"));
	char want[1200], nm[1024];
	dname_to_str(g[3].name, nm, sizeof(nm));
	for (char *p = nm; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	snprintf(want, sizeof(want), "%.16s.zones.%s\t0\tIN\tPTR\t%s\n", (const char *)g[3].label + 1, CAT, nm);
	assert_non_null(strstr(text, want));
	snprintf(want, sizeof(want), "group.%.16s.zones.%s\t0\tIN\tTXT\t\"group-3\"\n", (const char *)g[3].label + 1,
		 CAT);
	assert_non_null(strstr(text, want));

	catalog_t *c = NULL;
	char err[512];
	assert_int_equal(parse_text(text, &c, err, sizeof(err)), 0);
	assert_same_set(c, e, n);
	catalog_free(c);
	free(text);
	free(e);
	free(g);
}

/* 100,000 members: built, parsed and looked up in well under a second (no quadratic step). */
static void
test_scale(void **state)
{
	(void)state;
	const size_t n = 100000;
	gen_t *g;
	catalog_entry_t *e = generate(n, 1, &g);
	uint8_t o[DNAME_MAXLEN];
	tu_name(CAT, o);
	zone_t *z = NULL;
	assert_int_equal(catalog_build(o, 1, e, n, &z, NULL, 0), 0);
	catalog_t *c = NULL;
	assert_int_equal(catalog_parse(z, &c, NULL, 0), 0);
	zone_free(z);
	assert_same_set(c, e, n);
	catalog_free(c);
	free(e);
	free(g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_empty),
		cmocka_unit_test(test_parse_broken),
		cmocka_unit_test(test_parse_case_and_odd_rdata),
		cmocka_unit_test(test_parse_random_mixes),
		cmocka_unit_test(test_build_round_trip),
		cmocka_unit_test(test_build_refusals),
		cmocka_unit_test(test_new_label),
		cmocka_unit_test(test_rfc_style_text),
		cmocka_unit_test(test_build_as_ldns_text),
		cmocka_unit_test(test_scale),
	};
	return cmocka_run_group_tests_name("catalog", tests, NULL, NULL);
}
