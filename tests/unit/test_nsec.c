/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Tests for src/dnssec/nsec.c: Type Bit Maps, NSEC3 hashes, base32hex,
 * NSEC3 owner names and the NSEC/NSEC3/NSEC3PARAM RDATA builders.
 * Expected values come from the RFCs (RFC 5155 Appendix A hashes and
 * records, RFC 4648 §10 vectors), from bytes written out by hand from
 * RFC 4034 §4.1.2, or from ldns, an independent implementation; none was
 * computed by the code under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <ctype.h>

#include "tu.h"
#include "dnssec/nsec.h"

/* RFC 5155 Appendix A: salt aabbccdd, 12 additional iterations. */
static const uint8_t rfc_salt[] = { 0xaa, 0xbb, 0xcc, 0xdd };
#define RFC_ITER 12
static const struct {
	const char *name, *hash;
} rfc_hashes[] = {
	{ "example.", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom" },
	{ "a.example.", "35mthgpgcu1qg68fab165klnsnk3dpvl" },
	{ "ai.example.", "gjeqe526plbf1g8mklp59enfd789njgi" },
	{ "ns1.example.", "2t7b4g4vsa5smi47k61mv5bv1a22bojr" },
	{ "ns2.example.", "q04jkcevqvmu85r014c7dkba38o0ji5r" },
	{ "w.example.", "k8udemvp1j2f7eg6jebps17vp3n8i58h" },
	{ "*.w.example.", "r53bq7cc2uvmubfu5ocmm6pers9tk9en" },
	{ "x.w.example.", "b4um86eghhds6nea196smvmlo4ors995" },
	{ "y.w.example.", "ji6neoaepv8b5o6k4ev33abha8ht9fgc" },
	{ "x.y.w.example.", "2vptu5timamqttgl4luu9kg21e0aor3s" },
	{ "xx.example.", "t644ebqk9bibcna874givr6joj62mlhv" },
	{ "2t7b4g4vsa5smi47k61mv5bv1a22bojr.example.", "kohar7mbb8dc2ce8a9qvl8hon4k53uhi" },
};
#define NRFC (sizeof(rfc_hashes) / sizeof(rfc_hashes[0]))

/* Reproducible pseudo-random numbers (xorshift64). */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint32_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 32);
}

/* Bitmap of a type list computed by ldns (caller frees). */
static ldns_rdf *
ldns_bitmap(const uint16_t *types, size_t n)
{
	ldns_rr_type *lt = malloc((n ? n : 1) * sizeof(*lt));
	assert_non_null(lt);
	for (size_t i = 0; i < n; i++)
		lt[i] = (ldns_rr_type)types[i];
	ldns_rdf *r = ldns_dnssec_create_nsec_bitmap(lt, n, LDNS_RR_TYPE_NSEC);
	free(lt);
	assert_non_null(r);
	return r;
}

/* Ours must equal ldns's bitmap, byte for byte; returns our length. */
static int
bitmap_vs_ldns(const uint16_t *types, size_t n, uint8_t *out, size_t cap)
{
	int len = nsec_bitmap(types, n, out, cap);
	assert_true(len > 0);
	ldns_rdf *ref = ldns_bitmap(types, n);
	assert_int_equal(ldns_rdf_size(ref), (size_t)len);
	assert_memory_equal(ldns_rdf_data(ref), out, (size_t)len);
	ldns_rdf_deep_free(ref);
	assert_int_equal(nsec_bitmap_check(out, (size_t)len), 0);
	return len;
}

static void
test_bitmap_known(void **state)
{
	(void)state;
	uint8_t bm[NSEC_BITMAP_MAXLEN];

	/* RFC 4034 §4.3: A MX RRSIG NSEC TYPE1234 */
	static const uint16_t ex[] = { 1, 15, 46, 47, 1234 };
	static const uint8_t ex_bm[] = { 0x00, 0x06, 0x40, 0x01, 0x00, 0x00, 0x00, 0x03, 0x04, 0x1b, 0x00, 0x00,
					 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
					 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
					 0x20 };
	assert_int_equal(nsec_bitmap(ex, 5, bm, sizeof(bm)), sizeof(ex_bm));
	assert_memory_equal(bm, ex_bm, sizeof(ex_bm));

	/* Several windows, out of order, with duplicates:
	 * A NS SOA RRSIG NSEC DNSKEY TYPE1234 CAA TYPE65534 */
	static const uint16_t many[] = { 65534, 257, 48, 1, 6, 2, 1234, 47, 46, 1, 65534, 48 };
	static const uint8_t many_head[] = { 0x00, 0x07, 0x62, 0x00, 0x00, 0x00, 0x00, 0x03, 0x80,
					     0x01, 0x01, 0x40, /* window 1: CAA = 257 */
					     0x04, 0x1b };
	int len = bitmap_vs_ldns(many, sizeof(many) / sizeof(many[0]), bm, sizeof(bm));
	assert_int_equal(len, 9 + 3 + 29 + 34);
	assert_memory_equal(bm, many_head, sizeof(many_head));
	assert_int_equal(bm[len - 34], 0xff);   /* window 255 */
	assert_int_equal(bm[len - 33], 32);     /* up to octet 31 */
	assert_int_equal(bm[len - 1], 0x02);    /* 65534 = bit 6 of octet 31 */
	for (size_t i = 0; i < sizeof(many) / sizeof(many[0]); i++)
		assert_true(nsec_bitmap_has(bm, (size_t)len, many[i]));
	for (uint32_t t = 0; t < 65536; t++) {
		bool in = false;
		for (size_t i = 0; i < sizeof(many) / sizeof(many[0]); i++)
			in = in || many[i] == t;
		assert_int_equal(nsec_bitmap_has(bm, (size_t)len, (uint16_t)t), in);
	}

	/* Duplicates only: the same as once. */
	static const uint16_t dup[] = { 2, 2, 2, 2 };
	assert_int_equal(nsec_bitmap(dup, 4, bm, sizeof(bm)), 3);
	assert_int_equal(bm[0], 0);
	assert_int_equal(bm[1], 1);
	assert_int_equal(bm[2], 0x20);

	/* Type 0 is bit 0 of window 0 (the caller's job to leave it out). */
	static const uint16_t zero[] = { 0 };
	assert_int_equal(nsec_bitmap(zero, 1, bm, sizeof(bm)), 3);
	assert_int_equal(bm[2], 0x80);
	assert_true(nsec_bitmap_has(bm, 3, 0));
	assert_false(nsec_bitmap_has(bm, 3, 1));
	bitmap_vs_ldns(zero, 1, bm, sizeof(bm));
	static const uint16_t edges[] = { 0, 255, 256, 65535 };
	len = bitmap_vs_ldns(edges, 4, bm, sizeof(bm));
	assert_int_equal(len, 34 + 3 + 34);

	/* Empty list: empty field, even with no buffer. */
	assert_int_equal(nsec_bitmap(NULL, 0, NULL, 0), 0);
	assert_int_equal(nsec_bitmap_check(NULL, 0), 0);
	assert_false(nsec_bitmap_has(NULL, 0, 1));

	/* Exactly enough room, one less. */
	assert_int_equal(nsec_bitmap(ex, 5, bm, sizeof(ex_bm)), sizeof(ex_bm));
	assert_int_equal(nsec_bitmap(ex, 5, bm, sizeof(ex_bm) - 1), FL_ESPACE);
	assert_int_equal(nsec_bitmap(ex, 5, bm, 0), FL_ESPACE);
}

static void
test_bitmap_maximal(void **state)
{
	(void)state;
	uint16_t *all = malloc(65536 * sizeof(*all));
	uint8_t *bm = malloc(NSEC_BITMAP_MAXLEN);
	assert_non_null(all);
	assert_non_null(bm);
	for (uint32_t t = 0; t < 65536; t++)
		all[t] = (uint16_t)(65535 - t);
	int len = bitmap_vs_ldns(all, 65536, bm, NSEC_BITMAP_MAXLEN);
	assert_int_equal(len, NSEC_BITMAP_MAXLEN);
	for (int w = 0; w < 256; w++) {
		assert_int_equal(bm[w * 34], w);
		assert_int_equal(bm[w * 34 + 1], 32);
		for (int i = 0; i < 32; i++)
			assert_int_equal(bm[w * 34 + 2 + i], 0xff);
	}
	assert_int_equal(nsec_bitmap(all, 65536, bm, NSEC_BITMAP_MAXLEN - 1), FL_ESPACE);
	free(bm);
	free(all);
}

/* Random type sets: equal to ldns, has() equal to membership and to ldns. */
static void
test_bitmap_random(void **state)
{
	(void)state;
	uint8_t bm[NSEC_BITMAP_MAXLEN];
	uint16_t types[64];
	for (int it = 0; it < 300; it++) {
		size_t n = 1 + rnd() % 64;
		for (size_t i = 0; i < n; i++) {
			switch (rnd() % 3) {
			case 0: types[i] = (uint16_t)(rnd() % 300); break;
			case 1: types[i] = (uint16_t)rnd(); break;
			default: types[i] = i > 0 ? types[rnd() % i] : 1; break; /* duplicate */
			}
		}
		int len = bitmap_vs_ldns(types, n, bm, sizeof(bm));
		ldns_rdf *rdf = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_BITMAP, (size_t)len, bm);
		assert_non_null(rdf);
		for (int k = 0; k < 200; k++) {
			uint16_t t = k < (int)n ? types[k] : (uint16_t)(k % 2 ? rnd() : rnd() % 300);
			bool in = false;
			for (size_t i = 0; i < n; i++)
				in = in || types[i] == t;
			assert_int_equal(nsec_bitmap_has(bm, (size_t)len, t), in);
			assert_int_equal(ldns_nsec_bitmap_covers_type(rdf, (ldns_rr_type)t), in);
		}
		ldns_rdf_deep_free(rdf);
	}
}

/* Check/has on an exact-size heap copy, so ASan sees any overread. */
static int
check_copy(const uint8_t *bm, size_t len, uint16_t probe, bool *has)
{
	uint8_t *c = malloc(len ? len : 1);
	assert_non_null(c);
	memcpy(c, bm, len);
	int r = nsec_bitmap_check(c, len);
	*has = nsec_bitmap_has(c, len, probe);
	free(c);
	return r;
}

static void
test_bitmap_malformed(void **state)
{
	(void)state;
	bool has;
	/* good ones */
	static const uint8_t good1[] = { 0x00, 0x01, 0x40 };
	static const uint8_t good2[] = { 0x00, 0x01, 0x40, 0x01, 0x01, 0x40, 0xff, 0x20, [39] = 0x01 };
	assert_int_equal(check_copy(good1, sizeof(good1), 1, &has), 0);
	assert_true(has);
	assert_int_equal(check_copy(good2, sizeof(good2), 257, &has), 0);
	assert_true(has);
	assert_int_equal(check_copy(good2, sizeof(good2), 65535, &has), 0);
	assert_true(has);
	assert_int_equal(check_copy(good2, sizeof(good2), 65534, &has), 0);
	assert_false(has);

	static const struct {
		const char *what;
		uint8_t bm[40];
		size_t len;
	} bad[] = {
		{ "truncated window header", { 0x00, 0x01, 0x40, 0x01 }, 4 },
		{ "bitmap length 0", { 0x00, 0x00 }, 2 },
		{ "bitmap length 33", { 0x00, 33, [34] = 0x01 }, 35 },
		{ "block beyond the field", { 0x00, 0x03, 0x40, 0x01 }, 4 },
		{ "windows descending", { 0x01, 0x01, 0x40, 0x00, 0x01, 0x40 }, 6 },
		{ "window repeated", { 0x00, 0x01, 0x40, 0x00, 0x01, 0x20 }, 6 },
		{ "trailing zero octet", { 0x00, 0x02, 0x40, 0x00 }, 4 },
		{ "all-zero block", { 0x00, 0x01, 0x00 }, 3 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = check_copy(bad[i].bm, bad[i].len, 1, &has);
		if (r != FL_EMALF) {
			print_error("%s: check returned %d\n", bad[i].what, r);
			fail();
		}
		/* has() is bounded on garbage; probe a type past each end */
		check_copy(bad[i].bm, bad[i].len, 255, &has);
		assert_false(has);
	}
	/* RDATA builders refuse malformed bitmaps */
	uint8_t out[512], next[DNAME_MAXLEN];
	tu_name("example.", next);
	assert_int_equal(nsec_rdata(next, bad[6].bm, bad[6].len, out, sizeof(out)), FL_EINVAL);
	assert_int_equal(nsec3_rdata(0, 0, NULL, 0, out, 20, bad[1].bm, bad[1].len, out + 100, 400), FL_EINVAL);
}

static void
test_hash_rfc5155(void **state)
{
	(void)state;
	uint8_t name[DNAME_MAXLEN], h[NSEC3_HASHLEN];
	char b32[NSEC3_B32LEN + 1];
	for (size_t i = 0; i < NRFC; i++) {
		tu_name(rfc_hashes[i].name, name);
		assert_int_equal(nsec3_hash(name, rfc_salt, sizeof(rfc_salt), RFC_ITER, h), 0);
		assert_int_equal(b32hex_encode(h, sizeof(h), b32, sizeof(b32)), NSEC3_B32LEN);
		assert_string_equal(b32, rfc_hashes[i].hash);
	}
	/* The chain order of Appendix A (hashes ascending). */
	static const char *chain[] = { "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom", "2t7b4g4vsa5smi47k61mv5bv1a22bojr",
				       "2vptu5timamqttgl4luu9kg21e0aor3s", "35mthgpgcu1qg68fab165klnsnk3dpvl",
				       "b4um86eghhds6nea196smvmlo4ors995", "gjeqe526plbf1g8mklp59enfd789njgi",
				       "ji6neoaepv8b5o6k4ev33abha8ht9fgc", "k8udemvp1j2f7eg6jebps17vp3n8i58h",
				       "kohar7mbb8dc2ce8a9qvl8hon4k53uhi", "q04jkcevqvmu85r014c7dkba38o0ji5r",
				       "r53bq7cc2uvmubfu5ocmm6pers9tk9en", "t644ebqk9bibcna874givr6joj62mlhv" };
	uint8_t prev[NSEC3_HASHLEN];
	for (size_t i = 0; i < sizeof(chain) / sizeof(chain[0]); i++) {
		assert_int_equal(b32hex_decode(chain[i], NSEC3_B32LEN, h, sizeof(h)), NSEC3_HASHLEN);
		if (i > 0)
			assert_true(nsec3_hash_cmp(prev, h) < 0);
		memcpy(prev, h, sizeof(h));
	}
}

/* Our hash as text, ldns's hash as text, for the same wire name. */
static void
hash_vs_ldns(const uint8_t *name, size_t nlen, const uint8_t *salt, size_t saltlen, uint16_t iter)
{
	uint8_t h[NSEC3_HASHLEN];
	char ours[NSEC3_B32LEN + 1];
	assert_int_equal(nsec3_hash(name, salt, saltlen, iter, h), 0);
	assert_int_equal(b32hex_encode(h, sizeof(h), ours, sizeof(ours)), NSEC3_B32LEN);
	ldns_rdf *n = ldns_dname_new_frm_data((uint16_t)nlen, name);
	assert_non_null(n);
	ldns_rdf *ref = ldns_nsec3_hash_name(n, NSEC3_HASH_SHA1, iter, (uint8_t)saltlen, salt);
	assert_non_null(ref);
	/* one label: length octet 32, the label, the root */
	assert_int_equal(ldns_rdf_size(ref), 34);
	assert_int_equal(ldns_rdf_data(ref)[0], 32);
	assert_memory_equal(ldns_rdf_data(ref) + 1, ours, NSEC3_B32LEN);
	ldns_rdf_deep_free(ref);
	ldns_rdf_deep_free(n);
}

static void
test_hash_ldns_and_case(void **state)
{
	(void)state;
	uint8_t name[DNAME_MAXLEN], upper[DNAME_MAXLEN], h1[NSEC3_HASHLEN], h2[NSEC3_HASHLEN];
	/* case-insensitive: the hash is over the lowercased name */
	size_t len = tu_name("www.example.", name);
	memcpy(upper, name, len);
	upper[1] = 'W';
	upper[3] = 'w';
	upper[5] = 'E';
	upper[11] = 'E';
	assert_int_equal(nsec3_hash(name, rfc_salt, 4, 1, h1), 0);
	assert_int_equal(nsec3_hash(upper, rfc_salt, 4, 1, h2), 0);
	assert_memory_equal(h1, h2, sizeof(h1));
	assert_int_equal(upper[1], 'W'); /* the caller's name is left alone */
	/* and it differs from any other name */
	uint8_t other[DNAME_MAXLEN];
	tu_name("wwx.example.", other);
	assert_int_equal(nsec3_hash(other, rfc_salt, 4, 1, h2), 0);
	assert_memory_not_equal(h1, h2, sizeof(h1));
	/* RFC 5155 vector in capitals */
	tu_name("example.", name);
	name[1] = 'E';
	name[7] = 'E';
	assert_int_equal(nsec3_hash(name, rfc_salt, 4, RFC_ITER, h1), 0);
	assert_int_equal(b32hex_decode("0P9MHAVEQVM6T7VBL5LOP2U3T2RP3TOM", 32, h2, sizeof(h2)), 20);
	assert_memory_equal(h1, h2, sizeof(h1));

	/* the root, no salt, no iterations (RFC 9276 defaults), long salt */
	uint8_t salt[255];
	for (size_t i = 0; i < sizeof(salt); i++)
		salt[i] = (uint8_t)rnd();
	hash_vs_ldns((const uint8_t *)"", 1, NULL, NSEC3_DEFAULT_SALTLEN, NSEC3_DEFAULT_ITERATIONS);
	hash_vs_ldns((const uint8_t *)"", 1, salt, 255, 0);
	hash_vs_ldns(upper, len, salt, 255, 150); /* ldns lowercases too */
	/* random names, salts and iteration counts */
	for (int it = 0; it < 200; it++) {
		char text[200];
		size_t p = 0;
		int labels = 1 + (int)(rnd() % 5);
		for (int l = 0; l < labels; l++) {
			int ll = 1 + (int)(rnd() % 12);
			for (int c = 0; c < ll; c++)
				text[p++] = "abcdefghijXYZ0123-_"[rnd() % 19];
			text[p++] = '.';
		}
		text[p] = '\0';
		len = (size_t)dname_from_str(text, p, NULL, name);
		/* dname_from_str lowercases: put some capitals back */
		for (size_t i = 0; i < len; i++)
			if (name[i] >= 'a' && name[i] <= 'z' && rnd() % 2)
				name[i] = (uint8_t)(name[i] - 32);
		size_t sl = rnd() % 2 ? 0 : rnd() % 256;
		hash_vs_ldns(name, len, salt, sl, (uint16_t)(rnd() % 40));
	}

	/* errors */
	uint8_t bad[] = { 0xc0, 0x0c };
	assert_int_equal(nsec3_hash(bad, NULL, 0, 0, h1), FL_EINVAL);
	assert_int_equal(nsec3_hash(other, salt, 256, 0, h1), FL_EINVAL);
}

static void
test_b32hex(void **state)
{
	(void)state;
	/* RFC 4648 §10, BASE32-HEX, lowercased and without padding */
	static const struct {
		const char *in, *out;
	} v[] = {
		{ "", "" },
		{ "f", "co" },
		{ "fo", "cpng" },
		{ "foo", "cpnmu" },
		{ "foob", "cpnmuog" },
		{ "fooba", "cpnmuoj1" },
		{ "foobar", "cpnmuoj1e8" },
	};
	char txt[128];
	uint8_t bin[128];
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t l = strlen(v[i].in), ol = strlen(v[i].out);
		assert_int_equal(b32hex_encode((const uint8_t *)v[i].in, l, txt, sizeof(txt)), ol);
		assert_string_equal(txt, v[i].out);
		assert_int_equal(b32hex_decode(v[i].out, ol, bin, sizeof(bin)), (int)l);
		assert_memory_equal(bin, v[i].in, l);
		/* upper case decodes the same */
		for (size_t k = 0; k < ol; k++)
			txt[k] = (char)(txt[k] >= 'a' ? txt[k] - 32 : txt[k]);
		assert_int_equal(b32hex_decode(txt, ol, bin, sizeof(bin)), (int)l);
		assert_memory_equal(bin, v[i].in, l);
	}

	/* random data against ldns, both ways */
	for (int it = 0; it < 500; it++) {
		uint8_t data[64], back[64];
		size_t l = rnd() % 65;
		for (size_t i = 0; i < l; i++)
			data[i] = (uint8_t)rnd();
		size_t ol = b32hex_encode(data, l, txt, sizeof(txt));
		assert_int_equal(ol, (l * 8 + 4) / 5);
		assert_int_equal(strlen(txt), ol);
		char ref[256];
		int rl = ldns_b32_ntop_extended_hex(data, l, ref, sizeof(ref));
		assert_true(rl >= (int)ol);
		for (int k = (int)ol; k < rl; k++)
			assert_int_equal(ref[k], '='); /* ldns pads */
		for (size_t k = 0; k < ol; k++)
			assert_int_equal(txt[k], tolower((unsigned char)ref[k]));
		assert_int_equal(b32hex_decode(txt, ol, back, sizeof(back)), (int)l);
		assert_memory_equal(back, data, l);
		/* exact room decodes, one less does not */
		if (l > 0)
			assert_int_equal(b32hex_decode(txt, ol, back, l - 1), FL_ESPACE);
		assert_int_equal(b32hex_decode(txt, ol, back, l), (int)l);
	}

	/* encode: cap must hold the NUL */
	static const uint8_t five[] = { 1, 2, 3, 4, 5 };
	memset(txt, 'x', sizeof(txt));
	assert_int_equal(b32hex_encode(five, 5, txt, 8), 0);
	assert_int_equal(txt[0], '\0');
	assert_int_equal(b32hex_encode(five, 5, txt, 9), 8);
	assert_string_equal(txt, "04106105");
	assert_int_equal(b32hex_encode(five, 5, NULL, 0), 0);

	/* decode errors */
	static const char *syn[] = {
		"cw",       /* w is past the alphabet */
		"CW",       /* and in capitals */
		"co======", /* padding is not accepted */
		"c o",      /* whitespace (and length 3) */
		"c",        /* length 1: less than an octet */
		"cpn",      /* length 3 */
		"cpnmuo",   /* length 6 */
		"cp",       /* non-zero unused bits (f would be "co") */
		"cpnmuoj1e9",
		"c-",
	};
	for (size_t i = 0; i < sizeof(syn) / sizeof(syn[0]); i++) {
		int r = b32hex_decode(syn[i], strlen(syn[i]), bin, sizeof(bin));
		if (r != FL_ESYNTAX) {
			print_error("'%s' decoded to %d\n", syn[i], r);
			fail();
		}
	}
	assert_int_equal(b32hex_decode("cpnmuoj1", 8, bin, 4), FL_ESPACE);
	assert_int_equal(b32hex_decode(NULL, 0, NULL, 0), 0);
}

static void
test_owner(void **state)
{
	(void)state;
	uint8_t origin[DNAME_MAXLEN], owner[DNAME_MAXLEN], want[DNAME_MAXLEN], name[DNAME_MAXLEN];
	uint8_t h[NSEC3_HASHLEN];

	/* RFC 5155 Appendix A: H(ns1.example) owner, from a capitalised origin */
	size_t olen = tu_name("example.", origin);
	tu_name("ns1.example.", name);
	assert_int_equal(nsec3_hash(name, rfc_salt, 4, RFC_ITER, h), 0);
	origin[1] = 'E';
	int n = nsec3_owner(h, origin, owner);
	size_t wl = tu_name("2t7b4g4vsa5smi47k61mv5bv1a22bojr.example.", want);
	assert_int_equal(n, (int)wl);
	assert_int_equal(n, 1 + 32 + (int)olen);
	assert_memory_equal(owner, want, wl);

	/* longest origin that fits: 222 octets -> 255 */
	char text[300];
	memset(text, 0, sizeof(text));
	/* three 63-octet labels (192 octets) + one of 28 + root = 222 */
	for (int l = 0, p = 0; l < 4; l++) {
		int ll = l < 3 ? 63 : 28;
		memset(text + p, 'a' + l, (size_t)ll);
		p += ll;
		text[p++] = '.';
	}
	assert_int_equal(tu_name(text, origin), 222);
	n = nsec3_owner(h, origin, owner);
	assert_int_equal(n, DNAME_MAXLEN);
	assert_int_equal(dname_check(owner, DNAME_MAXLEN), DNAME_MAXLEN);
	char str[1024];
	assert_true(dname_to_str(owner, str, sizeof(str)) > 0);
	assert_memory_equal(str, "2t7b4g4vsa5smi47k61mv5bv1a22bojr.", 33);
	assert_string_equal(str + 33, text);

	/* one octet more: 256 */
	text[3 * 64 + 28] = 'd';
	text[3 * 64 + 29] = '.';
	assert_int_equal(tu_name(text, origin), 223);
	assert_int_equal(nsec3_owner(h, origin, owner), FL_ENAMELEN);

	/* the root as origin */
	assert_int_equal(nsec3_owner(h, (const uint8_t *)"", owner), 34);
	uint8_t bad[] = { 0xc0, 0x0c };
	assert_int_equal(nsec3_owner(h, bad, owner), FL_EINVAL);
}

/* RDATA in a whole RR (owner ".", class IN, TTL 0) parsed by ldns's wire
 * parser (caller frees). */
static ldns_rr *
ldns_parse_rdata(ldns_rr_type type, const uint8_t *rd, size_t len)
{
	uint8_t *buf = malloc(len + 11);
	assert_non_null(buf);
	static const uint8_t hdr[] = { 0, 0, 0, 0, 1, 0, 0, 0, 0 };
	memcpy(buf, hdr, sizeof(hdr));
	buf[1] = (uint8_t)(type >> 8);
	buf[2] = (uint8_t)type;
	buf[9] = (uint8_t)(len >> 8);
	buf[10] = (uint8_t)len;
	memcpy(buf + 11, rd, len);
	ldns_rr *rr = NULL;
	size_t pos = 0;
	assert_int_equal(ldns_wire2rr(&rr, buf, len + 11, &pos, LDNS_SECTION_ANSWER), LDNS_STATUS_OK);
	assert_int_equal(pos, len + 11);
	assert_int_equal(ldns_rr_get_type(rr), type);
	free(buf);
	return rr;
}

/* Wire RDATA of an ldns RR (case kept); returns its length. */
static size_t
ldns_rdata(const ldns_rr *rr, uint8_t *out, size_t cap)
{
	ldns_buffer *b = ldns_buffer_new(cap);
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++)
		assert_int_equal(ldns_rdf2buffer_wire(b, ldns_rr_rdf(rr, i)), LDNS_STATUS_OK);
	size_t len = ldns_buffer_position(b);
	assert_true(len <= cap);
	memcpy(out, ldns_buffer_begin(b), len);
	ldns_buffer_free(b);
	return len;
}

/* ldns text with each run of blanks made one space, trimmed (in place). */
static char *
squeeze(char *s)
{
	size_t o = 0;
	for (size_t i = 0; s[i] != '\0'; i++) {
		if (isspace((unsigned char)s[i])) {
			if (o > 0 && s[o - 1] != ' ')
				s[o++] = ' ';
		} else {
			s[o++] = s[i];
		}
	}
	if (o > 0 && s[o - 1] == ' ')
		o--;
	s[o] = '\0';
	return s;
}

static ldns_rr *
ldns_text(const char *s)
{
	ldns_rr *rr = NULL;
	assert_int_equal(ldns_rr_new_frm_str(&rr, s, 3600, NULL, NULL), LDNS_STATUS_OK);
	return rr;
}

static void
test_nsec_rdata(void **state)
{
	(void)state;
	uint8_t next[DNAME_MAXLEN], bm[NSEC_BITMAP_MAXLEN], rd[2048], ref[2048];
	/* RFC 4034 §4.3 example, next name in mixed case (kept as given) */
	size_t nl = tu_name("host.example.com.", next);
	next[1] = 'H';
	next[6] = 'E';
	static const uint16_t types[] = { 1, 15, 46, 47, 1234 };
	int bl = nsec_bitmap(types, 5, bm, sizeof(bm));
	int len = nsec_rdata(next, bm, (size_t)bl, rd, sizeof(rd));
	assert_int_equal(len, (int)nl + bl);
	assert_memory_equal(rd, next, nl);
	assert_memory_equal(rd + nl, bm, (size_t)bl);

	/* field by field through ldns's wire parser */
	ldns_rr *rr = ldns_parse_rdata(LDNS_RR_TYPE_NSEC, rd, (size_t)len);
	assert_int_equal(ldns_rr_rd_count(rr), 2);
	ldns_rdf *f = ldns_rr_rdf(rr, 0);
	assert_int_equal(ldns_rdf_get_type(f), LDNS_RDF_TYPE_DNAME);
	assert_int_equal(ldns_rdf_size(f), nl);
	assert_memory_equal(ldns_rdf_data(f), next, nl);
	char *s = ldns_rdf2str(ldns_rr_rdf(rr, 1));
	assert_string_equal(squeeze(s), "A MX RRSIG NSEC TYPE1234");
	free(s);
	s = ldns_rdf2str(f);
	assert_string_equal(s, "Host.Example.com.");
	free(s);
	ldns_rr_free(rr);

	/* the presentation form, parsed by ldns, gives our bytes */
	rr = ldns_text("alfa.example.com. 86400 IN NSEC Host.Example.com. A MX RRSIG NSEC TYPE1234");
	assert_int_equal(ldns_rdata(rr, ref, sizeof(ref)), (size_t)len);
	assert_memory_equal(ref, rd, (size_t)len);
	ldns_rr_free(rr);

	/* empty bitmap, the root as next name */
	assert_int_equal(nsec_rdata((const uint8_t *)"", NULL, 0, rd, sizeof(rd)), 1);
	assert_int_equal(rd[0], 0);

	/* room */
	assert_int_equal(nsec_rdata(next, bm, (size_t)bl, rd, (size_t)len), len);
	assert_int_equal(nsec_rdata(next, bm, (size_t)bl, rd, (size_t)len - 1), FL_ESPACE);
	assert_int_equal(nsec_rdata(next, bm, (size_t)bl, rd, nl - 1), FL_ESPACE);
	/* invalid next name */
	uint8_t bad[] = { 0xc0, 0x0c };
	assert_int_equal(nsec_rdata(bad, bm, (size_t)bl, rd, sizeof(rd)), FL_EINVAL);
}

static void
test_nsec3_rdata(void **state)
{
	(void)state;
	uint8_t name[DNAME_MAXLEN], next[NSEC3_HASHLEN], bm[NSEC_BITMAP_MAXLEN], rd[2048], ref[2048];

	/* RFC 5155 Appendix A, the NSEC3 of the apex:
	 * 0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example. NSEC3 1 1 12 aabbccdd (
	 *     2t7b4g4vsa5smi47k61mv5bv1a22bojr MX DNSKEY NS SOA NSEC3PARAM RRSIG ) */
	tu_name("ns1.example.", name);
	assert_int_equal(nsec3_hash(name, rfc_salt, 4, RFC_ITER, next), 0);
	static const uint16_t types[] = { 15, 48, 2, 6, 51, 46 };
	int bl = nsec_bitmap(types, 6, bm, sizeof(bm));
	assert_true(bl > 0);
	int len = nsec3_rdata(NSEC3_FLAG_OPTOUT, RFC_ITER, rfc_salt, 4, next, NSEC3_HASHLEN, bm, (size_t)bl, rd,
			      sizeof(rd));
	assert_int_equal(len, 1 + 1 + 2 + 1 + 4 + 1 + 20 + bl);
	static const uint8_t head[] = { 1, 1, 0, 12, 4, 0xaa, 0xbb, 0xcc, 0xdd, 20 };
	assert_memory_equal(rd, head, sizeof(head));

	ldns_rr *rr = ldns_text("0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example. 3600 IN NSEC3 1 1 12 aabbccdd "
				"2t7b4g4vsa5smi47k61mv5bv1a22bojr MX DNSKEY NS SOA NSEC3PARAM RRSIG");
	assert_int_equal(ldns_rdata(rr, ref, sizeof(ref)), (size_t)len);
	assert_memory_equal(ref, rd, (size_t)len);
	ldns_rr_free(rr);

	/* field by field through ldns's wire parser */
	rr = ldns_parse_rdata(LDNS_RR_TYPE_NSEC3, rd, (size_t)len);
	assert_int_equal(ldns_nsec3_algorithm(rr), 1);
	assert_int_equal(ldns_nsec3_flags(rr), 1);
	assert_true(ldns_nsec3_optout(rr));
	assert_int_equal(ldns_nsec3_iterations(rr), 12);
	assert_int_equal(ldns_nsec3_salt_length(rr), 4);
	uint8_t *sd = ldns_nsec3_salt_data(rr);
	assert_memory_equal(sd, rfc_salt, 4);
	LDNS_FREE(sd);
	ldns_rdf *nx = ldns_nsec3_next_owner(rr);
	assert_int_equal(ldns_rdf_size(nx), 21);
	assert_int_equal(ldns_rdf_data(nx)[0], 20);
	assert_memory_equal(ldns_rdf_data(nx) + 1, next, 20);
	ldns_rdf *b = ldns_nsec3_bitmap(rr);
	assert_int_equal(ldns_rdf_size(b), (size_t)bl);
	assert_memory_equal(ldns_rdf_data(b), bm, (size_t)bl);
	char *s = ldns_rr2str(rr);
	assert_string_equal(squeeze(s), ". 0 IN NSEC3 1 1 12 aabbccdd 2t7b4g4vsa5smi47k61mv5bv1a22bojr NS SOA MX "
					 "RRSIG DNSKEY NSEC3PARAM");
	free(s);
	ldns_rr_free(rr);

	/* RFC 9276 defaults, no opt-out, empty bitmap (an empty non-terminal) */
	len = nsec3_rdata(0, NSEC3_DEFAULT_ITERATIONS, NULL, NSEC3_DEFAULT_SALTLEN, next, NSEC3_HASHLEN, NULL, 0,
			  rd, sizeof(rd));
	assert_int_equal(len, 6 + 20);
	rr = ldns_text("x.example. 3600 IN NSEC3 1 0 0 - 2t7b4g4vsa5smi47k61mv5bv1a22bojr");
	assert_int_equal(ldns_rdata(rr, ref, sizeof(ref)), (size_t)len);
	assert_memory_equal(ref, rd, (size_t)len);
	ldns_rr_free(rr);

	/* longest salt */
	uint8_t salt[255];
	for (size_t i = 0; i < sizeof(salt); i++)
		salt[i] = (uint8_t)i;
	len = nsec3_rdata(0, 65535, salt, 255, next, 20, bm, (size_t)bl, rd, sizeof(rd));
	assert_int_equal(len, 5 + 255 + 21 + bl);
	rr = ldns_parse_rdata(LDNS_RR_TYPE_NSEC3, rd, (size_t)len);
	assert_int_equal(ldns_nsec3_iterations(rr), 65535);
	assert_int_equal(ldns_nsec3_salt_length(rr), 255);
	sd = ldns_nsec3_salt_data(rr);
	assert_memory_equal(sd, salt, 255);
	LDNS_FREE(sd);
	ldns_rr_free(rr);

	/* errors */
	assert_int_equal(nsec3_rdata(0x02, 0, NULL, 0, next, 20, NULL, 0, rd, sizeof(rd)), FL_EINVAL);
	assert_int_equal(nsec3_rdata(0x80, 0, NULL, 0, next, 20, NULL, 0, rd, sizeof(rd)), FL_EINVAL);
	assert_int_equal(nsec3_rdata(0, 0, salt, 256, next, 20, NULL, 0, rd, sizeof(rd)), FL_EINVAL);
	assert_int_equal(nsec3_rdata(0, 0, NULL, 0, next, 0, NULL, 0, rd, sizeof(rd)), FL_EINVAL);
	assert_int_equal(nsec3_rdata(0, 0, NULL, 0, rd, 256, NULL, 0, rd + 300, 1000), FL_EINVAL);
	assert_int_equal(nsec3_rdata(0, 0, NULL, 0, next, 20, bm, (size_t)bl, rd, 26 + (size_t)bl), 26 + bl);
	assert_int_equal(nsec3_rdata(0, 0, NULL, 0, next, 20, bm, (size_t)bl, rd, 25 + (size_t)bl), FL_ESPACE);
	assert_int_equal(nsec3_rdata(0, 0, NULL, 0, next, 20, NULL, 0, rd, 3), FL_ESPACE);
}

static void
test_nsec3param_rdata(void **state)
{
	(void)state;
	uint8_t rd[512], ref[512];
	/* RFC 5155 Appendix A: example. NSEC3PARAM 1 0 12 aabbccdd */
	int len = nsec3param_rdata(0, RFC_ITER, rfc_salt, 4, rd, sizeof(rd));
	static const uint8_t want[] = { 1, 0, 0, 12, 4, 0xaa, 0xbb, 0xcc, 0xdd };
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(rd, want, sizeof(want));
	ldns_rr *rr = ldns_text("example. 3600 IN NSEC3PARAM 1 0 12 aabbccdd");
	assert_int_equal(ldns_rdata(rr, ref, sizeof(ref)), (size_t)len);
	assert_memory_equal(ref, rd, (size_t)len);
	ldns_rr_free(rr);
	rr = ldns_parse_rdata(LDNS_RR_TYPE_NSEC3PARAM, rd, (size_t)len);
	assert_int_equal(ldns_rr_rd_count(rr), 4);
	assert_int_equal(ldns_rdf2native_int8(ldns_rr_rdf(rr, 0)), 1);
	assert_int_equal(ldns_rdf2native_int8(ldns_rr_rdf(rr, 1)), 0);
	assert_int_equal(ldns_rdf2native_int16(ldns_rr_rdf(rr, 2)), 12);
	char *s = ldns_rdf2str(ldns_rr_rdf(rr, 3));
	assert_string_equal(squeeze(s), "aabbccdd");
	free(s);
	ldns_rr_free(rr);

	/* RFC 9276 defaults: "1 0 0 -" */
	len = nsec3param_rdata(0, NSEC3_DEFAULT_ITERATIONS, NULL, NSEC3_DEFAULT_SALTLEN, rd, sizeof(rd));
	assert_int_equal(len, 5);
	rr = ldns_text("example. 0 IN NSEC3PARAM 1 0 0 -");
	assert_int_equal(ldns_rdata(rr, ref, sizeof(ref)), 5);
	assert_memory_equal(ref, rd, 5);
	ldns_rr_free(rr);

	/* errors */
	uint8_t salt[256] = { 0 };
	assert_int_equal(nsec3param_rdata(NSEC3_FLAG_OPTOUT, 0, NULL, 0, rd, sizeof(rd)), FL_EINVAL);
	assert_int_equal(nsec3param_rdata(0, 0, salt, 256, rd, sizeof(rd)), FL_EINVAL);
	assert_int_equal(nsec3param_rdata(0, 0, salt, 255, rd, 260), 260);
	assert_int_equal(nsec3param_rdata(0, 0, salt, 255, rd, 259), FL_ESPACE);
	assert_int_equal(nsec3param_rdata(0, 0, NULL, 0, rd, 4), FL_ESPACE);
}

typedef struct {
	uint8_t hash[NSEC3_HASHLEN];
	uint8_t owner[DNAME_MAXLEN];
	size_t owner_len;
} hashed_t;

static int
by_hash(const void *a, const void *b)
{
	return nsec3_hash_cmp(((const hashed_t *)a)->hash, ((const hashed_t *)b)->hash);
}

/* The chain order (hashes) is the canonical order of the owner names. */
static void
test_order(void **state)
{
	(void)state;
	enum { N = 1000 };
	hashed_t *h = calloc(N, sizeof(*h));
	assert_non_null(h);
	uint8_t origin[DNAME_MAXLEN], name[DNAME_MAXLEN];
	size_t olen = tu_name("zone.example.", origin);
	for (int i = 0; i < N; i++) {
		char text[128];
		int p = snprintf(text, sizeof(text), "n%d-%u", i, rnd() % 1000);
		int extra = (int)(rnd() % 3);
		for (int l = 0; l < extra; l++)
			p += snprintf(text + p, sizeof(text) - (size_t)p, ".%c%u", 'a' + (int)(rnd() % 26), rnd() % 100);
		assert_true(dname_from_str(text, (size_t)p, origin, name) > 0);
		assert_int_equal(nsec3_hash(name, NULL, 0, 0, h[i].hash), 0);
		int n = nsec3_owner(h[i].hash, origin, h[i].owner);
		assert_int_equal(n, 33 + (int)olen);
		h[i].owner_len = (size_t)n;
	}
	qsort(h, N, sizeof(*h), by_hash);
	for (int i = 0; i + 1 < N; i++) {
		assert_true(nsec3_hash_cmp(h[i].hash, h[i + 1].hash) < 0);
		assert_true(dname_canon_cmp(h[i].owner, h[i + 1].owner) < 0);
		assert_true(dname_canon_cmp(h[i + 1].owner, h[i].owner) > 0);
		/* and by ldns's RFC 4034 §6.1 comparison */
		ldns_rdf *a = ldns_dname_new_frm_data((uint16_t)h[i].owner_len, h[i].owner);
		ldns_rdf *b = ldns_dname_new_frm_data((uint16_t)h[i + 1].owner_len, h[i + 1].owner);
		assert_int_equal(ldns_dname_compare(a, b), -1);
		ldns_rdf_deep_free(a);
		ldns_rdf_deep_free(b);
	}
	assert_int_equal(nsec3_hash_cmp(h[0].hash, h[0].hash), 0);
	free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bitmap_known),
		cmocka_unit_test(test_bitmap_maximal),
		cmocka_unit_test(test_bitmap_random),
		cmocka_unit_test(test_bitmap_malformed),
		cmocka_unit_test(test_hash_rfc5155),
		cmocka_unit_test(test_hash_ldns_and_case),
		cmocka_unit_test(test_b32hex),
		cmocka_unit_test(test_owner),
		cmocka_unit_test(test_nsec_rdata),
		cmocka_unit_test(test_nsec3_rdata),
		cmocka_unit_test(test_nsec3param_rdata),
		cmocka_unit_test(test_order),
	};
	return cmocka_run_group_tests_name("nsec", tests, NULL, NULL);
}
