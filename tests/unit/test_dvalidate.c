/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Tests for src/dnssec/dvalidate.c (validate before publish): signed
 * versions as the signer makes them pass (NSEC, NSEC3, opt-out, CSK,
 * KSK + ZSK, ZONEMD and CDS); damaged copies fail with a reason naming the
 * owner and type: a signature byte flipped, an RRSIG removed, an NSEC
 * removed, an NSEC next name pointing wrong, a bitmap missing a type, an
 * expired signature, an NSEC3 missing, an RRSIG by a key not in the set;
 * the incremental path (prev given) verifies only the new signatures and
 * still catches a damaged one; and the pipeline refuses a signed version
 * that fails (PIPELINE_REFUSED, the reason in its message).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/msg.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "dnssec/dvalidate.h"
#include "dnssec/nsec.h"
#include "dnssec/rrsig.h"
#include "dnssec/sign.h"
#include "tu.h"
#include "util/err.h"
#include "zone/pipeline.h"
#include "zone/zonemd.h"

#define NOW 1800000000u

static const char base[] =
	"example.com. 300 IN SOA ns1.example.com. h.example.com. 1 3600 900 604800 120\n"
	"example.com. 300 IN NS ns1.example.com.\n"
	"example.com. 300 IN MX 10 mail.example.com.\n"
	"ns1.example.com. 300 IN A 192.0.2.1\n"
	"mail.example.com. 300 IN A 192.0.2.25\n"
	"www.example.com. 300 IN A 192.0.2.80\n"
	"www.example.com. 600 IN TXT \"x\"\n"
	"a.b.c.ent.example.com. 300 IN A 192.0.2.9\n"
	"*.wild.example.com. 300 IN TXT \"w\"\n"
	"insecure.example.com. 300 IN NS ns.insecure.example.com.\n"
	"ns.insecure.example.com. 300 IN A 192.0.2.53\n"
	"secure.example.com. 300 IN NS ns.other.test.\n"
	"secure.example.com. 300 IN DS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n";

static dkey_t *
key(const zone_t *z, uint16_t flags)
{
	dkey_t *k = NULL;
	assert_int_equal(dkey_generate(z->origin, DKEY_ALG_ECDSAP256SHA256, flags, &k), 0);
	return k;
}

static zone_t *
sign_o(const zone_t *z, dkey_t **keys, size_t n, sign_opts_t o)
{
	o.inception = NOW - 3600;
	o.expiration = NOW + 86400 * 14;
	o.threads = 2;
	o.now = NOW;
	o.refresh = 86400 * 7;
	zone_t *s = NULL;
	char err[256];
	int r = sign_zone(z, keys, n, &o, &s, NULL, err, sizeof(err));
	if (r != 0)
		print_error("%s\n", err);
	assert_int_equal(r, 0);
	return s;
}

static zone_t *
sign(const zone_t *z, dkey_t **keys, size_t n, bool nsec3, const zone_t *prev)
{
	return sign_o(z, keys, n, (sign_opts_t){ .nsec3 = nsec3, .prev = prev });
}

static int
check(const zone_t *s, dkey_t **keys, size_t n, const zone_t *prev, uint32_t now, dval_stats_t *st, char *why,
      size_t len)
{
	dval_opts_t o = { .now = now, .prev = prev, .threads = 2 };
	return dval_check(s, keys, n, &o, st, why, len);
}

/* ---- damaged copies: every RR of s through a callback that may drop or change it ---- */

typedef bool (*damage_fn)(const uint8_t *owner, uint16_t type, uint8_t *rd, uint16_t *len, void *ctx);

static zone_t *
damaged(const zone_t *s, damage_fn fn, void *ctx)
{
	zone_builder_t *b = zone_builder_new(s->origin);
	uint8_t rd[65535];
	for (uint32_t i = 0; i < s->nnodes; i++) {
		const zone_node_t *n = &s->nodes[i];
		for (uint16_t r = 0; r < n->nrrsets; r++) {
			const zone_rrset_t *rs = &n->rrsets[r];
			const uint8_t *x = rs->rdata;
			for (uint16_t k = 0; k < rs->count; k++, x = msg_rd_next(x)) {
				uint16_t len = msg_rd_len(x);
				memcpy(rd, msg_rd_data(x), len);
				if (!fn(n->name, rs->type, rd, &len, ctx))
					continue;
				assert_int_equal(zone_builder_add(b, n->name, n->name_len, rs->type, RR_CLASS_IN,
								  rs->type == RR_RRSIG ? wire_u32(rd + 4) : rs->ttl, rd, len, 0), 0);
			}
		}
	}
	zone_t *d = NULL;
	zone_error_t zerr;
	assert_int_equal(zone_builder_finish(b, &d, &zerr), 0);
	return d;
}

typedef struct {
	const char *owner;   /* the RR to damage: owner, */
	uint16_t type;       /* its type (RR_RRSIG: the one covering `covered`), */
	uint16_t covered;
	int what;            /* 0 drop, 1 flip the last byte, 2 next name := `next`, 3 bitmap := `types` */
	const char *next;
	uint16_t types[4];
	size_t ntypes;
	int hits;
} dmg_t;

static bool
is_owner(const uint8_t *owner, const char *name)
{
	uint8_t w[DNAME_MAXLEN];
	tu_name(name, w);
	return dname_eq(owner, w);
}

static bool
dmg(const uint8_t *owner, uint16_t type, uint8_t *rd, uint16_t *len, void *ctx)
{
	dmg_t *d = ctx;
	if (!is_owner(owner, d->owner) || type != d->type || (type == RR_RRSIG && wire_u16(rd) != d->covered))
		return true;
	d->hits++;
	switch (d->what) {
	case 0: return false;
	case 1: rd[*len - 1] ^= 0x01; return true;
	case 2: {
		uint8_t next[DNAME_MAXLEN], bm[64];
		size_t pos = 0;
		assert_true(dname_unpack(rd, *len, &pos, next, false) > 0);
		size_t bl = *len - pos;
		memcpy(bm, rd + pos, bl);
		tu_name(d->next, next);
		*len = (uint16_t)nsec_rdata(next, bm, bl, rd, 65535);
		return true;
	}
	default: {
		uint8_t next[DNAME_MAXLEN], bm[64];
		size_t pos = 0;
		assert_true(dname_unpack(rd, *len, &pos, next, false) > 0);
		int bl = nsec_bitmap(d->types, d->ntypes, bm, sizeof(bm));
		assert_true(bl > 0);
		*len = (uint16_t)nsec_rdata(next, bm, (size_t)bl, rd, 65535);
		return true;
	}
	}
}

/* Check s damaged by d: it must fail with a reason that contains want. */
static void
expect_fail(const zone_t *s, dkey_t **keys, size_t n, dmg_t d, const char *want)
{
	zone_t *bad = damaged(s, dmg, &d);
	assert_true(d.hits > 0);
	char why[1024];
	int r = check(bad, keys, n, NULL, NOW, NULL, why, sizeof(why));
	if (r != FL_ESEMANTIC || strstr(why, want) == NULL)
		print_error("want '%s', got %d '%s'\n", want, r, why);
	assert_int_equal(r, FL_ESEMANTIC);
	assert_non_null(strstr(why, want));
	zone_free(bad);
}

/* The versions the signer makes pass, in every configuration. */
static void
test_good(void **state)
{
	zone_error_t zerr;
	zone_t *z = tu_zone("example.com.", base, &zerr);
	dkey_t *k[2] = { key(z, DKEY_FLAGS_KSK), key(z, DKEY_FLAGS_ZSK) };
	for (int v = 0; v < 8; v++) {
		sign_opts_t o = { .nsec3 = v & 1, .optout = (v & 3) == 3, .zonemd_hash = (v & 4) ? ZONEMD_HASH_SHA384 : 0,
				  .cds = (v & 4) != 0 };
		size_t nk = (v & 2) ? 2 : 1;
		zone_t *s = sign_o(z, k, nk, o);
		dval_stats_t st;
		char why[1024] = "";
		int r = check(s, k, nk, NULL, NOW, &st, why, sizeof(why));
		if (r != 0)
			print_error("configuration %d: %s\n", v, why);
		assert_int_equal(r, 0);
		assert_true(st.verified >= st.rrsets);
		assert_int_equal(st.skipped, 0);
		assert_true(st.chain >= 8);
		/* at the edges of the validity window */
		assert_int_equal(check(s, k, nk, NULL, NOW - 3600, NULL, why, sizeof(why)), 0);
		assert_int_equal(check(s, k, nk, NULL, NOW + 86400 * 14, NULL, why, sizeof(why)), 0);
		zone_free(s);
	}
	zone_free(z);
	dkey_free(k[0]);
	dkey_free(k[1]);
}

/* Each kind of damage, with its reason. */
static void
test_damage(void **state)
{
	zone_error_t zerr;
	zone_t *z = tu_zone("example.com.", base, &zerr);
	dkey_t *k = key(z, DKEY_FLAGS_KSK);
	zone_t *s = sign(z, &k, 1, false, NULL);
	char tag[64], why[1024];
	snprintf(tag, sizeof(tag), "key %u", (unsigned)dkey_tag(k));
	char want[256];

	/* a signature byte flipped */
	snprintf(want, sizeof(want), "www.example.com. A: RRSIG by %s (ECDSAP256SHA256): signature does not verify", tag);
	expect_fail(s, &k, 1, (dmg_t){ .owner = "www.example.com.", .type = RR_RRSIG, .covered = RR_A, .what = 1 }, want);
	/* an RRSIG removed */
	snprintf(want, sizeof(want), "www.example.com. TXT: no RRSIG by %s (ECDSAP256SHA256)", tag);
	expect_fail(s, &k, 1, (dmg_t){ .owner = "www.example.com.", .type = RR_RRSIG, .covered = RR_TXT, .what = 0 }, want);
	/* an NSEC removed (with its RRSIG: a leftover RRSIG is a reason of its own, below) */
	dmg_t d = { .owner = "mail.example.com.", .type = RR_RRSIG, .covered = RR_NSEC, .what = 0 };
	zone_t *nosig = damaged(s, dmg, &d);
	expect_fail(nosig, &k, 1, (dmg_t){ .owner = "mail.example.com.", .type = RR_NSEC, .what = 0 },
		    "mail.example.com. NSEC: no NSEC");
	/* ... and with its RRSIG left over */
	expect_fail(s, &k, 1, (dmg_t){ .owner = "mail.example.com.", .type = RR_NSEC, .what = 0 },
		    "mail.example.com. NSEC: RRSIG by key");
	zone_free(nosig);
	/* an NSEC next name pointing wrong (mail is followed by ns1) */
	expect_fail(s, &k, 1, (dmg_t){ .owner = "mail.example.com.", .type = RR_NSEC, .what = 2, .next = "www.example.com." },
		    "mail.example.com. NSEC: next name www.example.com., expected ns1.example.com.");
	/* a bitmap missing a type, and one listing a type the name lacks */
	expect_fail(s, &k, 1,
		    (dmg_t){ .owner = "mail.example.com.", .type = RR_NSEC, .what = 3, .types = { RR_RRSIG, RR_NSEC }, .ntypes = 2 },
		    "mail.example.com. NSEC: type bitmap lacks A");
	expect_fail(s, &k, 1,
		    (dmg_t){ .owner = "mail.example.com.", .type = RR_NSEC, .what = 3, .types = { RR_A, RR_MX, RR_RRSIG, RR_NSEC },
			     .ntypes = 4 },
		    "mail.example.com. NSEC: type bitmap lists MX, which the name does not have");
	/* an expired signature: the version checked a day after its signatures end */
	assert_int_equal(check(s, &k, 1, NULL, NOW + 86400 * 15, NULL, why, sizeof(why)), FL_ESEMANTIC);
	assert_non_null(strstr(why, "expired at 2027"));
	assert_non_null(strstr(why, "example.com. "));
	assert_int_equal(check(s, &k, 1, NULL, NOW - 7200, NULL, why, sizeof(why)), FL_ESEMANTIC);
	assert_non_null(strstr(why, "not valid before"));
	/* an RRSIG by a key that is not in the set */
	dkey_t *k2[2] = { k, key(z, DKEY_FLAGS_KSK) };
	zone_t *two = sign(z, k2, 2, false, NULL);
	assert_int_equal(check(two, k2, 2, NULL, NOW, NULL, why, sizeof(why)), 0);
	assert_int_equal(check(two, &k, 1, NULL, NOW, NULL, why, sizeof(why)), FL_ESEMANTIC);
	snprintf(want, sizeof(want), "RRSIG by unknown key %u (algorithm 13)", (unsigned)dkey_tag(k2[1]));
	assert_non_null(strstr(why, want));
	/* a key missing from the DNSKEY RRset */
	assert_int_equal(check(s, k2, 2, NULL, NOW, NULL, why, sizeof(why)), FL_ESEMANTIC);
	snprintf(want, sizeof(want), "example.com. DNSKEY: key %u (ECDSAP256SHA256) is not in the DNSKEY RRset",
		 (unsigned)dkey_tag(k2[1]));
	assert_string_equal(why, want);
	zone_free(two);
	zone_free(s);

	/* NSEC3: one missing (www's, with its RRSIG) */
	s = sign(z, &k, 1, true, NULL);
	uint8_t w[DNAME_MAXLEN], h[NSEC3_HASHLEN], owner[DNAME_MAXLEN];
	char oname[300];
	tu_name("www.example.com.", w);
	assert_int_equal(nsec3_hash(w, NULL, 0, 0, h), 0);
	assert_true(nsec3_owner(h, z->origin, owner) > 0);
	dname_to_str(owner, oname, sizeof(oname));
	d = (dmg_t){ .owner = oname, .type = RR_RRSIG, .covered = RR_NSEC3, .what = 0 };
	nosig = damaged(s, dmg, &d);
	expect_fail(nosig, &k, 1, (dmg_t){ .owner = oname, .type = RR_NSEC3, .what = 0 }, "www.example.com. NSEC3: no NSEC3 (hash ");
	zone_free(nosig);
	/* and one whose bitmap lacks a type: flip a bit of the last bitmap octet */
	expect_fail(s, &k, 1, (dmg_t){ .owner = oname, .type = RR_NSEC3, .what = 1 }, "www.example.com. NSEC3: type bitmap");
	zone_free(s);
	zone_free(z);
	dkey_free(k);
	dkey_free(k2[1]);
}

/* Incremental: with prev, only the new signatures are verified, and a damaged one is still caught. */
static void
test_incremental(void **state)
{
	zone_error_t zerr;
	zone_t *z0 = tu_zone("example.com.", base, &zerr);
	char text[4096];
	snprintf(text, sizeof(text), "%s", base);
	strstr(text, " 1 3600")[1] = '2';
	strcat(text, "new.example.com. 300 IN A 192.0.2.77\n");
	zone_t *z1 = tu_zone("example.com.", text, &zerr);
	dkey_t *k = key(z0, DKEY_FLAGS_KSK);
	zone_t *s0 = sign(z0, &k, 1, false, NULL);
	zone_t *s1 = sign(z1, &k, 1, false, s0);
	dval_stats_t full, inc;
	char why[1024];
	assert_int_equal(check(s1, &k, 1, NULL, NOW, &full, why, sizeof(why)), 0);
	assert_int_equal(check(s1, &k, 1, s0, NOW, &inc, why, sizeof(why)), 0);
	/* new: SOA, new's A, new's NSEC, mail's NSEC */
	assert_int_equal(inc.verified, 4);
	assert_int_equal(inc.skipped + inc.verified, full.verified);
	print_message("validation of the signed test zone: %zu signatures %.3f ms; with prev: %zu verified, %zu skipped, %.3f ms\n",
		      full.verified, full.ms, inc.verified, inc.skipped, inc.ms);
	/* a damaged new signature, and a damaged old one, are caught with prev too */
	dmg_t d = { .owner = "new.example.com.", .type = RR_RRSIG, .covered = RR_A, .what = 1 };
	zone_t *bad = damaged(s1, dmg, &d);
	assert_int_equal(check(bad, &k, 1, s0, NOW, &inc, why, sizeof(why)), FL_ESEMANTIC);
	assert_non_null(strstr(why, "new.example.com. A: RRSIG by key"));
	assert_non_null(strstr(why, "signature does not verify"));
	zone_free(bad);
	d = (dmg_t){ .owner = "www.example.com.", .type = RR_RRSIG, .covered = RR_TXT, .what = 1 };
	bad = damaged(s1, dmg, &d);
	assert_int_equal(check(bad, &k, 1, s0, NOW, &inc, why, sizeof(why)), FL_ESEMANTIC);
	assert_non_null(strstr(why, "www.example.com. TXT: RRSIG by key"));
	zone_free(bad);
	/* prev with other DNSKEYs: its signatures prove nothing here, all are verified */
	dkey_t *k2[2] = { k, key(z0, DKEY_FLAGS_KSK) };
	zone_t *other = sign(z0, k2, 2, false, NULL);
	assert_int_equal(check(s1, &k, 1, other, NOW, &inc, why, sizeof(why)), 0);
	assert_int_equal(inc.skipped, 0);
	zone_free(other);
	dkey_free(k2[1]);
	zone_free(s0);
	zone_free(s1);
	zone_free(z0);
	zone_free(z1);
	dkey_free(k);
}

/* The pipeline: a signed candidate that fails validation is refused, the reason in the message. */
static void
test_pipeline(void **state)
{
	zone_error_t zerr;
	zone_t *z0 = tu_zone("example.com.", base, &zerr);
	dkey_t *k[2] = { key(z0, DKEY_FLAGS_KSK), key(z0, DKEY_FLAGS_KSK) };
	/* The served version: signed with k[0] and k[1]; its RRSIG by k[0] over www TXT is
	 * damaged. The next version is signed with k[0] alone, so the DNSKEY RRset changes
	 * (the served signatures prove nothing) while the signer reuses the damaged one. */
	zone_t *good = sign(z0, k, 2, false, NULL);
	dmg_t d = { .owner = "www.example.com.", .type = RR_RRSIG, .covered = RR_TXT, .what = 1 };
	zone_t *old = damaged(good, dmg, &d); /* both keys' RRSIGs over www TXT: the one reused is k[0]'s */
	for (int policy = 0; policy < 2; policy++) {
		char text[4096];
		snprintf(text, sizeof(text), "%s", base);
		strstr(text, " 1 3600")[1] = policy == 0 ? '2' : '7';
		strcat(text, "new.example.com. 300 IN A 192.0.2.77\n");
		pipeline_opts_t o = { .policy = policy == 0 ? SERIAL_KEEP : SERIAL_INCREMENT,
				      .history = { .max_changesets = 10, .max_bytes = 1 << 20 },
				      .now = NOW, .keys = k, .nkeys = 1, .validate = true };
		zone_t *cand = tu_zone("example.com.", text, &zerr);
		zone_t *out = NULL;
		char msg[2048];
		int r = pipeline_commit(old, cand, NULL, &o, &out, msg, sizeof(msg));
		if (r != PIPELINE_REFUSED)
			print_error("policy %d: %d %s\n", policy, r, msg);
		assert_int_equal(r, PIPELINE_REFUSED);
		assert_null(out);
		assert_non_null(strstr(msg, "validation failed: www.example.com. TXT: RRSIG by key"));
		assert_non_null(strstr(msg, "still serving serial 1"));
		/* the undamaged served version: published */
		r = pipeline_commit(good, cand, NULL, &o, &out, msg, sizeof(msg));
		if (r != PIPELINE_PUBLISH)
			print_error("policy %d: %d %s\n", policy, r, msg);
		assert_int_equal(r, PIPELINE_PUBLISH);
		assert_int_equal(out->serial, 2);
		if (out != cand)
			zone_free(out);
		/* dnssec-validate: false publishes what the signer made, damage included */
		o.validate = false;
		r = pipeline_commit(old, cand, NULL, &o, &out, msg, sizeof(msg));
		assert_int_equal(r, PIPELINE_PUBLISH);
		if (out != cand)
			zone_free(out);
		zone_free(cand);
	}
	zone_free(old);
	zone_free(good);
	zone_free(z0);
	dkey_free(k[0]);
	dkey_free(k[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_damage),
		cmocka_unit_test(test_incremental),
		cmocka_unit_test(test_pipeline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
