/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Tests for src/dnssec/sign.c: the NSEC chain (one per authoritative name
 * with data, none at glue or empty non-terminals, a cycle in canonical
 * order, bitmaps of exactly the node's types plus RRSIG and NSEC, the two
 * kinds of delegation), the NSEC3 chain (empty non-terminals included,
 * hash order, opt-out, NSEC3PARAM), which RRsets are signed and by which
 * key (KSK: DNSKEY only), every RRSIG checked with rrsig_check, and
 * incremental signing: after adding or removing a name only the changed
 * RRsets, the SOA and the neighbouring chain records get new signatures,
 * all others are byte-for-byte the previous ones. ZONEMD on a signed zone:
 * listed in the apex bitmap, signed, verified by zonemd_verify, a changed
 * byte elsewhere is a mismatch, an unchanged zone signs into the same bytes.
 * CDS/CDNSKEY: one each per SEP key, signed by it, the CDS digest equal to
 * the DS of BIND's dnssec-dsfromkey -2 (or ldns-key2ds -2) for the same key.
 * The jitter of expiration times (bounds, determinism, spread).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/msg.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "dnssec/nsec.h"
#include "dnssec/rrsig.h"
#include "dnssec/sign.h"
#include "dnssec/sigtime.h"
#include "tu.h"
#include "util/err.h"
#include "zone/apply.h"
#include "zone/zonemd.h"

#define NOW 1800000000u

static const char base[] =
	"example.com. 300 IN SOA ns1.example.com. h.example.com. 1 3600 900 604800 120\n"
	"example.com. 300 IN NS ns1.example.com.\n"
	"example.com. 300 IN MX 10 mail.example.com.\n"
	"ns1.example.com. 300 IN A 192.0.2.1\n"
	"mail.example.com. 300 IN A 192.0.2.25\n"
	"www.example.com. 300 IN A 192.0.2.80\n"
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
	assert_int_equal(dkey_generate(z->origin, DKEY_ALG_ED25519, flags, &k), 0);
	return k;
}

static zone_t *
sign_md(const zone_t *z, dkey_t **keys, size_t n, bool nsec3, bool optout, const zone_t *prev, sign_stats_t *st,
	uint8_t zonemd)
{
	sign_opts_t o = { .inception = NOW - 3600, .expiration = NOW + 86400 * 14, .nsec3 = nsec3, .optout = optout,
			  .threads = 2, .prev = prev, .now = NOW, .refresh = 86400 * 7, .zonemd_hash = zonemd };
	zone_t *s = NULL;
	char err[256];
	int r = sign_zone(z, keys, n, &o, &s, st, err, sizeof(err));
	if (r != 0)
		print_error("%s\n", err);
	assert_int_equal(r, 0);
	return s;
}

static zone_t *
sign(const zone_t *z, dkey_t **keys, size_t n, bool nsec3, bool optout, const zone_t *prev, sign_stats_t *st)
{
	return sign_md(z, keys, n, nsec3, optout, prev, st, 0);
}

static const zone_node_t *
node(const zone_t *z, const char *name)
{
	uint8_t w[DNAME_MAXLEN];
	tu_name(name, w);
	return zone_find(z, w, dname_len(w));
}

/* The RRSIG rdata at n covering type by key tag, or NULL. */
static const uint8_t *
sig_of(const zone_node_t *n, uint16_t type, uint16_t tag, uint16_t *len)
{
	const zone_rrset_t *s = zone_node_rrset(n, RR_RRSIG);
	const uint8_t *rd = s != NULL ? s->rdata : NULL;
	for (uint16_t i = 0; s != NULL && i < s->count; i++, rd = msg_rd_next(rd))
		if (wire_u16(msg_rd_data(rd)) == type && wire_u16(msg_rd_data(rd) + 16) == tag) {
			*len = msg_rd_len(rd);
			return msg_rd_data(rd);
		}
	return NULL;
}

/* Every RRSIG of s verifies (rrsig_check) and every signed RRset has one per signing key. */
static void
check_sigs(const zone_t *s, dkey_t **keys, size_t n, size_t *signed_sets)
{
	rrsig_ctx_t c = { 0 };
	*signed_sets = 0;
	for (uint32_t i = 0; i < s->nnodes; i++) {
		const zone_node_t *nd = &s->nodes[i];
		for (uint16_t r = 0; r < nd->nrrsets; r++) {
			const zone_rrset_t *rs = &nd->rrsets[r];
			if (rs->type == RR_RRSIG)
				continue;
			bool should = !(nd->flags & ZN_NONAUTH) &&
				      (!(nd->flags & ZN_DELEG) || rs->type == RR_DS || rs->type == RR_NSEC);
			for (size_t k = 0; k < n; k++) {
				uint16_t len = 0;
				bool sep = dkey_flags(keys[k]) & DKEY_FLAG_SEP;
				bool ksk_type = rs->type == RR_DNSKEY || rs->type == RR_CDS || rs->type == RR_CDNSKEY;
				bool by_this = n == 1 || (ksk_type ? sep : !sep);
				const uint8_t *sig = sig_of(nd, rs->type, dkey_tag(keys[k]), &len);
				if (!should || !by_this) {
					assert_null(sig);
					continue;
				}
				assert_non_null(sig);
				assert_int_equal(rrsig_check(&c, keys[k], nd->name, rs, sig, len, NOW), RRSIG_OK);
				(*signed_sets)++;
			}
		}
	}
	rrsig_ctx_free(&c);
}

/* The NSEC owners in order, the cycle, and the bitmaps. */
static void
test_nsec_chain(void **state)
{
	zone_error_t zerr;
	zone_t *z = tu_zone("example.com.", base, &zerr);
	dkey_t *k = key(z, DKEY_FLAGS_KSK);
	sign_stats_t st;
	zone_t *s = sign(z, &k, 1, false, false, NULL, &st);
	size_t nsig;
	check_sigs(s, &k, 1, &nsig);
	assert_int_equal(nsig, st.rrsigs);
	/* one NSEC per authoritative name with data: apex, ns1, mail, www, a.b.c.ent, *.wild, insecure, secure */
	assert_int_equal(st.chain, 8);
	static const char *const none[] = { "c.ent.example.com.", "b.c.ent.example.com.", "ns.insecure.example.com.",
					    "ent.example.com.", "wild.example.com." };
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		const zone_node_t *n = node(s, none[i]);
		assert_non_null(n);
		assert_null(zone_node_rrset(n, RR_NSEC));
		assert_null(zone_node_rrset(n, RR_RRSIG));
	}
	/* The cycle: from the apex, following Next, every NSEC once and back, in canonical order. */
	const zone_node_t *n = node(s, "example.com.");
	size_t steps = 0;
	do {
		const zone_rrset_t *ns = zone_node_rrset(n, RR_NSEC);
		assert_non_null(ns);
		assert_int_equal(ns->ttl, 120); /* min(SOA TTL, MINIMUM) */
		size_t pos = 0;
		uint8_t next[DNAME_MAXLEN];
		assert_true(dname_unpack(msg_rd_data(ns->rdata), msg_rd_len(ns->rdata), &pos, next, false) > 0);
		const zone_node_t *nx = zone_find(s, next, dname_len(next));
		assert_non_null(nx);
		if (nx->flags & ZN_APEX)
			assert_true(dname_canon_cmp(n->name, next) > 0); /* the last wraps to the apex */
		else
			assert_true(dname_canon_cmp(n->name, next) < 0);
		/* bitmap: exactly the node's types, RRSIG and NSEC */
		const uint8_t *bm = msg_rd_data(ns->rdata) + pos;
		size_t bl = msg_rd_len(ns->rdata) - pos;
		assert_int_equal(nsec_bitmap_check(bm, bl), 0);
		for (uint32_t t = 1; t < 300; t++) {
			bool want = zone_node_rrset(n, (uint16_t)t) != NULL || t == RR_RRSIG || t == RR_NSEC;
			assert_int_equal(nsec_bitmap_has(bm, bl, (uint16_t)t), want);
		}
		n = nx;
		steps++;
	} while (!(n->flags & ZN_APEX) && steps < 100);
	assert_int_equal(steps, 8);
	/* the delegations: NS RRSIG NSEC, and NS DS RRSIG NSEC */
	const zone_rrset_t *ins = zone_node_rrset(node(s, "insecure.example.com."), RR_NSEC);
	const zone_rrset_t *sec = zone_node_rrset(node(s, "secure.example.com."), RR_NSEC);
	assert_non_null(ins);
	assert_non_null(sec);
	size_t pi = 0, ps = 0;
	uint8_t nm[DNAME_MAXLEN];
	assert_true(dname_unpack(msg_rd_data(ins->rdata), msg_rd_len(ins->rdata), &pi, nm, false) > 0);
	assert_true(dname_unpack(msg_rd_data(sec->rdata), msg_rd_len(sec->rdata), &ps, nm, false) > 0);
	assert_false(nsec_bitmap_has(msg_rd_data(ins->rdata) + pi, msg_rd_len(ins->rdata) - pi, RR_DS));
	assert_true(nsec_bitmap_has(msg_rd_data(ins->rdata) + pi, msg_rd_len(ins->rdata) - pi, RR_NS));
	assert_true(nsec_bitmap_has(msg_rd_data(sec->rdata) + ps, msg_rd_len(sec->rdata) - ps, RR_DS));
	zone_free(s);
	zone_free(z);
	dkey_free(k);
}

/* NSEC3: ENTs hashed, hash order, opt-out, NSEC3PARAM; a KSK + ZSK split. */
static void
test_nsec3_chain(void **state)
{
	zone_error_t zerr;
	zone_t *z = tu_zone("example.com.", base, &zerr);
	dkey_t *k[2] = { key(z, DKEY_FLAGS_KSK), key(z, DKEY_FLAGS_ZSK) };
	sign_stats_t st, st2;
	zone_t *s = sign(z, k, 2, true, false, NULL, &st);
	zone_t *so = sign(z, k, 2, true, true, NULL, &st2);
	size_t nsig;
	check_sigs(s, k, 2, &nsig);
	assert_int_equal(nsig, st.rrsigs);
	/* authoritative names: apex ns1 mail www a.b.c.ent b.c.ent c.ent ent *.wild wild insecure secure = 12 */
	assert_int_equal(st.chain, 12);
	assert_int_equal(st2.chain, 11); /* opt-out: not the insecure delegation */
	const zone_rrset_t *p = zone_node_rrset(node(s, "example.com."), RR_NSEC3PARAM);
	assert_non_null(p);
	assert_int_equal(msg_rd_len(p->rdata), 5); /* SHA-1, flags 0, 0 iterations, empty salt */
	assert_memory_equal(msg_rd_data(p->rdata), "\x01\x00\x00\x00\x00", 5);
	/* Each name's hash is an NSEC3 owner; the chain follows the hash order and cycles. */
	static const char *const names[] = { "example.com.", "ns1.example.com.", "mail.example.com.", "www.example.com.",
					     "a.b.c.ent.example.com.", "b.c.ent.example.com.", "c.ent.example.com.",
					     "ent.example.com.", "*.wild.example.com.", "wild.example.com.",
					     "insecure.example.com.", "secure.example.com." };
	uint8_t hashes[12][NSEC3_HASHLEN];
	for (size_t i = 0; i < 12; i++) {
		uint8_t w[DNAME_MAXLEN];
		tu_name(names[i], w);
		assert_int_equal(nsec3_hash(w, NULL, 0, 0, hashes[i]), 0);
	}
	for (size_t i = 0; i < 12; i++) {
		uint8_t owner[DNAME_MAXLEN];
		assert_true(nsec3_owner(hashes[i], z->origin, owner) > 0);
		const zone_node_t *n = zone_find(s, owner, dname_len(owner));
		assert_non_null(n);
		const zone_rrset_t *r3 = zone_node_rrset(n, RR_NSEC3);
		assert_non_null(r3);
		/* next hashed owner: the smallest hash greater than ours, or the smallest of all */
		const uint8_t *nx = msg_rd_data(r3->rdata) + 5; /* alg, flags, iterations, salt length 0 */
		assert_int_equal(nx[0], NSEC3_HASHLEN);
		const uint8_t *want = NULL, *lowest = NULL;
		for (size_t j = 0; j < 12; j++) {
			if (lowest == NULL || nsec3_hash_cmp(hashes[j], lowest) < 0)
				lowest = hashes[j];
			if (nsec3_hash_cmp(hashes[j], hashes[i]) > 0 && (want == NULL || nsec3_hash_cmp(hashes[j], want) < 0))
				want = hashes[j];
		}
		assert_memory_equal(nx + 1, want != NULL ? want : lowest, NSEC3_HASHLEN); /* the last wraps */
		/* an ENT's bitmap is empty */
		bool ent = strstr(names[i], "c.ent") == names[i] || strcmp(names[i], "ent.example.com.") == 0 ||
			   strcmp(names[i], "wild.example.com.") == 0 || strcmp(names[i], "b.c.ent.example.com.") == 0;
		if (ent)
			assert_int_equal(msg_rd_len(r3->rdata), 5 + 1 + NSEC3_HASHLEN);
	}
	/* The KSK signs the DNSKEY RRset only; the ZSK the rest (check_sigs checked it). */
	uint16_t len;
	assert_non_null(sig_of(node(s, "example.com."), RR_DNSKEY, dkey_tag(k[0]), &len));
	assert_null(sig_of(node(s, "example.com."), RR_SOA, dkey_tag(k[0]), &len));
	zone_free(s);
	zone_free(so);
	zone_free(z);
	dkey_free(k[0]);
	dkey_free(k[1]);
}

/* How many RRSIGs of b are not byte-for-byte in a (new signatures). */
static size_t
new_sigs(const zone_t *a, const zone_t *b)
{
	size_t n = 0;
	for (uint32_t i = 0; i < b->nnodes; i++) {
		const zone_rrset_t *s = zone_node_rrset(&b->nodes[i], RR_RRSIG);
		const zone_node_t *an = zone_find(a, b->nodes[i].name, b->nodes[i].name_len);
		const zone_rrset_t *as = an != NULL ? zone_node_rrset(an, RR_RRSIG) : NULL;
		const uint8_t *rd = s != NULL ? s->rdata : NULL;
		for (uint16_t k = 0; s != NULL && k < s->count; k++, rd = msg_rd_next(rd)) {
			bool found = false;
			const uint8_t *ard = as != NULL ? as->rdata : NULL;
			for (uint16_t j = 0; as != NULL && j < as->count && !found; j++, ard = msg_rd_next(ard))
				found = msg_rd_len(ard) == msg_rd_len(rd) && memcmp(msg_rd_data(ard), msg_rd_data(rd), msg_rd_len(rd)) == 0;
			n += !found;
		}
	}
	return n;
}

/* Incremental: a name added, then removed: only the changed RRsets, the SOA and the chain neighbours get new signatures. */
static void
test_incremental(void **state)
{
	zone_error_t zerr;
	zone_t *z0 = tu_zone("example.com.", base, &zerr);
	char text[4096];
	snprintf(text, sizeof(text), "%s", base);
	char *serial = strstr(text, " 1 3600");
	serial[1] = '2';
	strcat(text, "new.example.com. 300 IN A 192.0.2.77\n"); /* between mail and ns1 */
	zone_t *z1 = tu_zone("example.com.", text, &zerr);
	dkey_t *k = key(z0, DKEY_FLAGS_KSK);
	sign_stats_t st0, st1, st2, st3;
	zone_t *s0 = sign(z0, &k, 1, false, false, NULL, &st0);
	zone_t *s1 = sign(z1, &k, 1, false, false, s0, &st1);
	size_t nsig;
	check_sigs(s1, &k, 1, &nsig);
	/* new: SOA, new's A, new's NSEC, mail's NSEC (its next changed) */
	assert_int_equal(st1.rrsigs, 4);
	assert_int_equal(new_sigs(s0, s1), 4);
	assert_int_equal(st1.reused, st0.rrsigs - 2); /* the SOA and mail's NSEC were redone */
	/* and back: new removed, serial 3 */
	serial[1] = '3';
	*strstr(text, "new.example.com.") = '\0';
	zone_t *z2 = tu_zone("example.com.", text, &zerr);
	zone_t *s2 = sign(z2, &k, 1, false, false, s1, &st2);
	check_sigs(s2, &k, 1, &nsig);
	assert_int_equal(st2.rrsigs, 2); /* SOA, mail's NSEC */
	assert_null(node(s2, "new.example.com."));
	/* signatures close to expiry are redone even when the RRset did not change */
	sign_opts_t o = { .inception = NOW - 3600, .expiration = NOW + 86400 * 14, .threads = 1, .prev = s2,
			  .now = NOW + 86400 * 10, .refresh = 86400 * 7 };
	zone_t *s3 = NULL;
	char err[256];
	assert_int_equal(sign_zone(z2, &k, 1, &o, &s3, &st3, err, sizeof(err)), 0);
	assert_int_equal(st3.reused, 0);
	assert_int_equal(st3.rrsigs, st0.rrsigs);
	zone_free(s0);
	zone_free(s1);
	zone_free(s2);
	zone_free(s3);
	zone_free(z0);
	zone_free(z1);
	zone_free(z2);
	dkey_free(k);
}

/* The apex NSEC or NSEC3 bitmap of s lists type. */
static bool
apex_bitmap_has(const zone_t *s, uint16_t type)
{
	const zone_rrset_t *ns = zone_node_rrset(s->apex, RR_NSEC);
	if (ns != NULL) {
		size_t pos = 0;
		uint8_t nm[DNAME_MAXLEN];
		assert_true(dname_unpack(msg_rd_data(ns->rdata), msg_rd_len(ns->rdata), &pos, nm, false) > 0);
		return nsec_bitmap_has(msg_rd_data(ns->rdata) + pos, msg_rd_len(ns->rdata) - pos, type);
	}
	uint8_t h[NSEC3_HASHLEN], owner[DNAME_MAXLEN];
	assert_int_equal(nsec3_hash(s->origin, NULL, 0, 0, h), 0);
	assert_true(nsec3_owner(h, s->origin, owner) > 0);
	const zone_node_t *n = zone_find(s, owner, dname_len(owner));
	assert_non_null(n);
	const zone_rrset_t *r3 = zone_node_rrset(n, RR_NSEC3);
	assert_non_null(r3);
	const uint8_t *d = msg_rd_data(r3->rdata);
	size_t off = 5 + d[4]; /* alg, flags, iterations, salt */
	off += 1 + d[off];     /* hash */
	return nsec_bitmap_has(d + off, msg_rd_len(r3->rdata) - off, type);
}

/* ZONEMD (RFC 8976) on signed zones, NSEC and NSEC3, CSK and KSK + ZSK, SHA-384 and SHA-512. */
static void
test_zonemd(void **state)
{
	zone_error_t zerr;
	zone_t *z = tu_zone("example.com.", base, &zerr);
	/* the unsigned zone's own apex ZONEMD is dropped and replaced */
	char text[4096];
	snprintf(text, sizeof(text), "%sexample.com. 300 IN ZONEMD 1 1 1 %0*d\n", base, 96, 0);
	zone_t *zmd = tu_zone("example.com.", text, &zerr);
	assert_non_null(zmd);
	dkey_t *k[2] = { key(z, DKEY_FLAGS_KSK), key(z, DKEY_FLAGS_ZSK) };
	for (int v = 0; v < 4; v++) {
		bool nsec3 = v & 1;
		size_t nk = (v & 2) ? 2 : 1;
		uint8_t alg = (v & 2) ? ZONEMD_HASH_SHA512 : ZONEMD_HASH_SHA384;
		sign_stats_t st, st2;
		zone_t *s = sign_md(v == 0 ? zmd : z, k, nk, nsec3, false, NULL, &st, alg);
		size_t nsig;
		check_sigs(s, k, nk, &nsig); /* the ZONEMD RRSIG included */
		const zone_rrset_t *md = zone_node_rrset(s->apex, RR_ZONEMD);
		assert_non_null(md);
		assert_int_equal(md->count, 1);
		assert_int_equal(md->ttl, 300);
		assert_int_equal(msg_rd_len(md->rdata), 6 + (alg == ZONEMD_HASH_SHA384 ? 48 : 64));
		assert_int_equal(wire_u32(msg_rd_data(md->rdata)), 1);
		assert_true(apex_bitmap_has(s, RR_ZONEMD));
		zonemd_status_t zs;
		char why[256];
		assert_int_equal(zonemd_verify(s, &zs, why, sizeof(why)), 0);
		assert_int_equal(zs, ZONEMD_VALID);
		/* re-signed unchanged with s as prev: the same bytes, ZONEMD RRSIG reused */
		zone_t *again = sign_md(z, k, nk, nsec3, false, s, &st2, alg);
		assert_true(zone_equal(s, again));
		assert_int_equal(st2.rrsigs, 1); /* only the placeholder's, thrown away */
		zone_free(again);
		/* one byte of another record (unsigned glue, so only ZONEMD can tell) changed: a mismatch */
		const zone_node_t *g = node(s, "ns.insecure.example.com.");
		zone_rrset_t *a = (zone_rrset_t *)zone_node_rrset(g, RR_A);
		a->rdata[2 + 3] ^= 1;
		assert_int_equal(zonemd_verify(s, &zs, why, sizeof(why)), FL_ESEMANTIC);
		assert_non_null(strstr(why, "mismatch"));
		zone_free(s);
	}
	/* incremental: a changed record changes the ZONEMD and its RRSIG, and little else */
	snprintf(text, sizeof(text), "%s", base);
	strstr(text, " 1 3600")[1] = '2';
	strcat(text, "new.example.com. 300 IN A 192.0.2.77\n");
	zone_t *z1 = tu_zone("example.com.", text, &zerr);
	sign_stats_t st0, st1;
	zone_t *s0 = sign_md(z, k, 1, false, false, NULL, &st0, ZONEMD_HASH_SHA384);
	zone_t *s1 = sign_md(z1, k, 1, false, false, s0, &st1, ZONEMD_HASH_SHA384);
	/* SOA, new's A, new's NSEC, mail's NSEC, and the ZONEMD: the placeholder's and the final one */
	assert_int_equal(st1.rrsigs, 6);
	assert_int_equal(new_sigs(s0, s1), 5);
	zonemd_status_t zs;
	assert_int_equal(zonemd_verify(s1, &zs, NULL, 0), 0);
	assert_int_equal(zs, ZONEMD_VALID);
	assert_int_equal(wire_u32(msg_rd_data(zone_node_rrset(s1->apex, RR_ZONEMD)->rdata)), 2);
	size_t nsig;
	check_sigs(s1, k, 1, &nsig);
	zone_free(s0);
	zone_free(s1);
	zone_free(z1);
	zone_free(zmd);
	zone_free(z);
	dkey_free(k[0]);
	dkey_free(k[1]);
}

/* The DS digest (hex, lowercase) another tool computes from the key's .key file, or "". */
static void
tool_ds(const char *keyfile, char *hex, size_t len)
{
	static const char *const cmds[] = { "dnssec-dsfromkey -2 '%s' 2>/dev/null", "ldns-key2ds -n -2 '%s' 2>/dev/null" };
	hex[0] = '\0';
	for (size_t c = 0; c < 2 && hex[0] == '\0'; c++) {
		char cmd[1024], line[1024];
		snprintf(cmd, sizeof(cmd), cmds[c], keyfile);
		FILE *p = popen(cmd, "r");
		if (p == NULL)
			continue;
		/* "example.com. [TTL] IN DS TAG ALG 2 DIGEST": the last field */
		if (fgets(line, sizeof(line), p) != NULL) {
			char *last = strrchr(line, ' ');
			char *tab = strrchr(line, '\t');
			if (tab != NULL && (last == NULL || tab > last))
				last = tab;
			if (last != NULL) {
				snprintf(hex, len, "%s", last + 1);
				hex[strcspn(hex, "\r\n")] = '\0';
				for (char *x = hex; *x; x++)
					*x = (char)tolower((unsigned char)*x);
			}
		}
		pclose(p);
	}
}

/* RFC 7344: CDS and CDNSKEY for the SEP key, signed by it, the CDS equal to other tools' DS. */
static void
test_cds(void **state)
{
	zone_error_t zerr;
	char text[4096];
	/* an RFC 8078 delete request in the file: kept without cds, replaced with it */
	snprintf(text, sizeof(text), "%sexample.com. 300 IN CDS 0 0 0 00\n", base);
	zone_t *z = tu_zone("example.com.", text, &zerr);
	assert_non_null(z);
	dkey_t *k[2] = { NULL, NULL };
	assert_int_equal(dkey_generate(z->origin, DKEY_ALG_ECDSAP256SHA256, DKEY_FLAGS_KSK, &k[0]), 0);
	assert_int_equal(dkey_generate(z->origin, DKEY_ALG_ECDSAP256SHA256, DKEY_FLAGS_ZSK, &k[1]), 0);
	sign_opts_t o = { .inception = NOW - 3600, .expiration = NOW + 86400 * 14, .threads = 2, .now = NOW, .cds = true };
	zone_t *s = NULL, *plain = NULL;
	char err[256];
	assert_int_equal(sign_zone(z, k, 2, &o, &s, NULL, err, sizeof(err)), 0);
	o.cds = false;
	assert_int_equal(sign_zone(z, k, 2, &o, &plain, NULL, err, sizeof(err)), 0);
	const zone_rrset_t *cds = zone_node_rrset(plain->apex, RR_CDS);
	assert_non_null(cds);
	assert_int_equal(msg_rd_len(cds->rdata), 5); /* the file's delete request */
	assert_null(zone_node_rrset(plain->apex, RR_CDNSKEY));
	size_t nsig;
	check_sigs(s, k, 2, &nsig); /* CDS and CDNSKEY by the KSK only */
	cds = zone_node_rrset(s->apex, RR_CDS);
	const zone_rrset_t *cdnskey = zone_node_rrset(s->apex, RR_CDNSKEY);
	assert_non_null(cds);
	assert_non_null(cdnskey);
	assert_int_equal(cds->count, 1);
	assert_int_equal(cdnskey->count, 1);
	size_t klen;
	const uint8_t *krd = dkey_rdata(k[0], &klen);
	assert_int_equal(msg_rd_len(cdnskey->rdata), klen);
	assert_memory_equal(msg_rd_data(cdnskey->rdata), krd, klen);
	const uint8_t *d = msg_rd_data(cds->rdata);
	assert_int_equal(msg_rd_len(cds->rdata), 4 + 32);
	assert_int_equal(wire_u16(d), dkey_tag(k[0]));
	assert_int_equal(d[2], DKEY_ALG_ECDSAP256SHA256);
	assert_int_equal(d[3], DKEY_DS_SHA256);
	assert_true(apex_bitmap_has(s, RR_CDS));
	assert_true(apex_bitmap_has(s, RR_CDNSKEY));
	/* the same digest as BIND's (or ldns') DS for the key's files */
	char dir[128], path[512], hex[256], mine[80];
	assert_int_equal(tu_tmpdir(dir, sizeof(dir), "test_cds"), 0);
	assert_int_equal(dkey_save(k[0], dir, path, sizeof(path), err, sizeof(err)), 0);
	snprintf(path + strlen(path) - strlen("private"), sizeof(path) - (strlen(path) - strlen("private")), "key");
	tool_ds(path, hex, sizeof(hex));
	tu_rmtree(dir);
	for (int i = 0; i < 32; i++)
		snprintf(mine + 2 * i, 3, "%02x", d[4 + i]);
	/* bind9-utils and ldnsutils are project dependencies (scripts/deps.sh) */
	assert_string_not_equal(hex, "");
	assert_string_equal(mine, hex);
	zone_free(s);
	zone_free(plain);
	zone_free(z);
	dkey_free(k[0]);
	dkey_free(k[1]);
}

/* Jitter: each RRSIG expires at expiration - sigtime_jitter(owner, type),
 * within (expiration - jitter, expiration]; the same input signs into the
 * same output (reproducible incremental IXFRs); expirations differ across RRsets. */
static void
test_jitter(void **state)
{
	zone_error_t zerr;
	zone_t *z = tu_zone("example.com.", base, &zerr);
	dkey_t *k = key(z, DKEY_FLAGS_KSK);
	const uint32_t exp = NOW + 86400 * 14, jitter = 86400;
	sign_opts_t o = { .inception = NOW - 3600, .expiration = exp, .jitter = jitter, .threads = 2 };
	zone_t *a = NULL, *b = NULL;
	char err[256];
	assert_int_equal(sign_zone(z, &k, 1, &o, &a, NULL, err, sizeof(err)), 0);
	o.threads = 1;
	assert_int_equal(sign_zone(z, &k, 1, &o, &b, NULL, err, sizeof(err)), 0);
	size_t nsig = 0, distinct = 0;
	uint32_t seen[64];
	check_sigs(a, &k, 1, &nsig);
	for (uint32_t i = 0; i < a->nnodes; i++) {
		const zone_rrset_t *sa = zone_node_rrset(&a->nodes[i], RR_RRSIG);
		const zone_rrset_t *sb = zone_node_rrset(&b->nodes[i], RR_RRSIG);
		if (sa == NULL) {
			assert_null(sb);
			continue;
		}
		assert_non_null(sb);
		assert_int_equal(sa->count, sb->count);
		const uint8_t *ra = sa->rdata, *rb = sb->rdata;
		for (uint16_t r = 0; r < sa->count; r++, ra = msg_rd_next(ra), rb = msg_rd_next(rb)) {
			const uint8_t *d = msg_rd_data(ra);
			uint32_t e = wire_u32(d + 8);
			/* Ed25519 signatures are deterministic: the whole rdata matches */
			assert_int_equal(msg_rd_len(ra), msg_rd_len(rb));
			assert_memory_equal(d, msg_rd_data(rb), msg_rd_len(ra));
			assert_true(e <= exp && e > exp - jitter);
			assert_int_equal(e, exp - sigtime_jitter(a->nodes[i].name, wire_u16(d), jitter));
			assert_int_equal(wire_u32(d + 12), NOW - 3600);
			bool dup = false;
			for (size_t x = 0; x < distinct; x++)
				dup |= seen[x] == e;
			if (!dup && distinct < 64)
				seen[distinct++] = e;
		}
	}
	/* 14 signed RRsets over a day: a collision or two at most */
	assert_true(distinct >= nsig - 2);
	assert_true(nsig >= 10);
	/* a jitter as long as the validity is refused */
	zone_t *c = (zone_t *)1;
	o.jitter = exp - o.inception;
	assert_int_equal(sign_zone(z, &k, 1, &o, &c, NULL, err, sizeof(err)), FL_EINVAL);
	assert_non_null(strstr(err, "jitter"));
	zone_free(a);
	zone_free(b);
	zone_free(z);
	dkey_free(k);
}

static void
test_refusals(void **state)
{
	zone_error_t zerr;
	zone_t *z = tu_zone("example.com.", base, &zerr);
	zone_t *other = tu_zone("example.net.", "example.net. 300 IN SOA ns1.example.net. h.example.net. 1 1 1 1 1\n"
						"example.net. 300 IN NS ns1.example.net.\nns1.example.net. 300 IN A 192.0.2.1\n", &zerr);
	dkey_t *k = key(other, DKEY_FLAGS_KSK);
	sign_opts_t o = { .inception = NOW, .expiration = NOW + 10 };
	zone_t *s = (zone_t *)1;
	char err[256];
	assert_int_equal(sign_zone(z, &k, 1, &o, &s, NULL, err, sizeof(err)), FL_EINVAL);
	assert_null(s);
	assert_non_null(strstr(err, "another zone"));
	assert_int_equal(sign_zone(z, NULL, 0, &o, &s, NULL, err, sizeof(err)), FL_EINVAL);
	o.expiration = NOW;
	assert_int_equal(sign_zone(other, &k, 1, &o, &s, NULL, err, sizeof(err)), FL_EINVAL);
	zone_free(z);
	zone_free(other);
	dkey_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nsec_chain),
		cmocka_unit_test(test_nsec3_chain),
		cmocka_unit_test(test_incremental),
		cmocka_unit_test(test_zonemd),
		cmocka_unit_test(test_cds),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_jitter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
