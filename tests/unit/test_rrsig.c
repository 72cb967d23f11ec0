/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Tests for src/dnssec/rrsig.c (and src/zone/canon.c through it): every
 * RRset of a zone (several RRs given unsorted and twice, a wildcard, names
 * in rdata, SOA, a delegation's NS) signed with keys of the three
 * algorithms, and each RRSIG verified by ldns (ldns_verify_rrsig_time); the
 * other way round, ldns signs with our key files and rrsig_check accepts
 * its signatures; a changed RRset, another key, a time outside the window
 * or a mangled field are refused with the right verdict.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns/msg.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "dnssec/rrsig.h"
#include "tu.h"
#include "util/err.h"

#define NOW 1800000000u

static const char zone_text[] =
	"example.com. 300 IN SOA ns1.example.com. hostmaster.example.com. 7 3600 900 604800 300\n"
	"example.com. 300 IN NS ns1.example.com.\n"
	"example.com. 300 IN NS ns2.example.com.\n"
	"example.com. 300 IN MX 20 mail2.example.com.\n"
	"example.com. 300 IN MX 10 mail.example.com.\n"
	"www.example.com. 60 IN A 192.0.2.9\n"
	"www.example.com. 60 IN A 192.0.2.1\n"
	"www.example.com. 60 IN A 192.0.2.5\n"
	"www.example.com. 60 IN A 192.0.2.1\n"
	"*.wild.example.com. 120 IN TXT \"any\" \"thing\"\n"
	"sub.example.com. 300 IN NS ns.sub.example.com.\n"
	"ns.sub.example.com. 300 IN A 192.0.2.53\n"
	"ns1.example.com. 300 IN A 192.0.2.2\n"
	"ns2.example.com. 300 IN AAAA 2001:db8::2\n"
	"_sip._tcp.example.com. 300 IN SRV 10 5 5060 sip.example.com.\n";

static const dkey_alg_t algs[] = { DKEY_ALG_ECDSAP256SHA256, DKEY_ALG_ED25519, DKEY_ALG_RSASHA256 };

/* An RR in wire form (owner, type, IN, ttl, rdata) parsed by ldns. */
static ldns_rr *
ldns_of(const uint8_t *owner, uint16_t type, uint32_t ttl, const uint8_t *rd, size_t len)
{
	uint8_t w[70000];
	size_t ol = dname_len(owner), pos = 0;
	memcpy(w, owner, ol);
	wire_set_u16(w + ol, type);
	wire_set_u16(w + ol + 2, RR_CLASS_IN);
	wire_set_u32(w + ol + 4, ttl);
	wire_set_u16(w + ol + 8, (uint16_t)len);
	memcpy(w + ol + 10, rd, len);
	ldns_rr *rr = NULL;
	assert_int_equal(ldns_wire2rr(&rr, w, ol + 10 + len, &pos, LDNS_SECTION_ANSWER), LDNS_STATUS_OK);
	return rr;
}

static ldns_rr_list *
ldns_rrset(const zone_node_t *n, const zone_rrset_t *rs)
{
	ldns_rr_list *l = ldns_rr_list_new();
	const uint8_t *rd = rs->rdata;
	for (uint16_t i = 0; i < rs->count; i++, rd = msg_rd_next(rd))
		ldns_rr_list_push_rr(l, ldns_of(n->name, rs->type, rs->ttl, msg_rd_data(rd), msg_rd_len(rd)));
	return l;
}

static ldns_rr *
ldns_dnskey(const dkey_t *k)
{
	size_t len;
	const uint8_t *rd = dkey_rdata(k, &len);
	return ldns_of(dkey_zone(k), RR_DNSKEY, 3600, rd, len);
}

static void
test_labels(void **state)
{
	uint8_t n[DNAME_MAXLEN];
	tu_name(".", n);
	assert_int_equal(rrsig_labels(n), 0);
	tu_name("a.b.example.com.", n);
	assert_int_equal(rrsig_labels(n), 4);
	tu_name("*.wild.example.com.", n);
	assert_int_equal(rrsig_labels(n), 3);
	tu_name("x.*.example.com.", n); /* only a leading * is the wildcard label */
	assert_int_equal(rrsig_labels(n), 4);
}

/* Ours verified by ldns, for every RRset and algorithm; and refusals of changed data. */
static void
test_sign_ldns_verifies(void **state)
{
	zone_error_t zerr;
	zone_t *z = tu_zone("example.com.", zone_text, &zerr);
	assert_non_null(z);
	rrsig_ctx_t c = { 0 };
	for (size_t a = 0; a < 3; a++) {
		dkey_t *k = NULL;
		assert_int_equal(dkey_generate(z->origin, algs[a], DKEY_FLAGS_ZSK, &k), 0);
		ldns_rr_list *keys = ldns_rr_list_new();
		ldns_rr_list_push_rr(keys, ldns_dnskey(k));
		size_t signed_sets = 0;
		for (uint32_t i = 0; i < z->nnodes; i++) {
			const zone_node_t *n = &z->nodes[i];
			for (uint16_t r = 0; r < n->nrrsets; r++) {
				const zone_rrset_t *rs = &n->rrsets[r];
				uint8_t sig[1024];
				int len = rrsig_make(&c, k, n->name, rs, NOW - 3600, NOW + 86400 * 14, sig, sizeof(sig));
				assert_true(len > RRSIG_FIXED_LEN);
				ldns_rr_list *set = ldns_rrset(n, rs);
				ldns_rr *rrsig = ldns_of(n->name, RR_RRSIG, rs->ttl, sig, (size_t)len);
				ldns_status st = ldns_verify_rrsig_time(set, rrsig, ldns_rr_list_rr(keys, 0), NOW);
				if (st != LDNS_STATUS_OK)
					print_error("alg %d type %u: %s\n", (int)algs[a], rs->type, ldns_get_errorstr_by_id(st));
				assert_int_equal(st, LDNS_STATUS_OK);
				/* and by ourselves */
				assert_int_equal(rrsig_check(&c, k, n->name, rs, sig, (size_t)len, NOW), RRSIG_OK);
				/* fields: labels, original TTL, key tag, times */
				assert_int_equal(sig[3], rrsig_labels(n->name));
				assert_int_equal(wire_u32(sig + 4), rs->ttl);
				assert_int_equal(wire_u16(sig + 16), dkey_tag(k));
				assert_int_equal(wire_u32(sig + 8), NOW + 86400 * 14);
				/* outside the window; mangled; another RRset's TTL */
				assert_int_equal(rrsig_check(&c, k, n->name, rs, sig, (size_t)len, NOW - 7200), RRSIG_NOT_YET);
				assert_int_equal(rrsig_check(&c, k, n->name, rs, sig, (size_t)len, NOW + 86400 * 15), RRSIG_EXPIRED);
				sig[len - 1] ^= 0x40;
				assert_int_equal(rrsig_check(&c, k, n->name, rs, sig, (size_t)len, NOW), RRSIG_BAD);
				sig[len - 1] ^= 0x40;
				zone_rrset_t other = *rs;
				other.ttl++;
				assert_int_equal(rrsig_check(&c, k, n->name, &other, sig, (size_t)len, NOW), RRSIG_MALFORMED);
				assert_int_equal(rrsig_check(&c, k, n->name, rs, sig, 10, NOW), RRSIG_MALFORMED);
				ldns_rr_list_deep_free(set);
				ldns_rr_free(rrsig);
				signed_sets++;
			}
		}
		assert_int_equal(signed_sets, 10); /* SOA NS MX, A, wildcard TXT, delegation NS, glue A, A, AAAA, SRV */
		/* A changed RRset no longer verifies (ldns and us). */
		const zone_node_t *www = zone_find(z, (const uint8_t *)"\3www\7example\3com", 17);
		assert_non_null(www);
		const zone_rrset_t *a_set = zone_node_rrset(www, RR_A);
		assert_int_equal(a_set->count, 3); /* the duplicate is merged */
		uint8_t sig[1024];
		int len = rrsig_make(&c, k, www->name, a_set, NOW - 3600, NOW + 3600, sig, sizeof(sig));
		zone_t *z2 = tu_zone("example.com.", "example.com. 300 IN SOA ns1 h 7 1 1 1 1\nexample.com. 300 IN NS ns1\n"
						    "www.example.com. 60 IN A 192.0.2.9\nwww.example.com. 60 IN A 192.0.2.1\n"
						    "www.example.com. 60 IN A 192.0.2.6\n", &zerr);
		const zone_node_t *www2 = zone_find(z2, (const uint8_t *)"\3www\7example\3com", 17);
		assert_int_equal(rrsig_check(&c, k, www2->name, zone_node_rrset(www2, RR_A), sig, (size_t)len, NOW), RRSIG_BAD);
		/* Another key of the same algorithm. */
		dkey_t *k2 = NULL;
		assert_int_equal(dkey_generate(z->origin, algs[a], DKEY_FLAGS_ZSK, &k2), 0);
		if (dkey_tag(k2) != dkey_tag(k))
			assert_int_equal(rrsig_check(&c, k2, www->name, a_set, sig, (size_t)len, NOW), RRSIG_WRONG_KEY);
		assert_int_equal(rrsig_make(&c, k, www->name, a_set, NOW, NOW, sig, sizeof(sig)), FL_EINVAL);
		assert_int_equal(rrsig_make(&c, k, www->name, a_set, NOW, NOW + 1, sig, 20), FL_ESPACE);
		zone_free(z2);
		dkey_free(k2);
		ldns_rr_list_deep_free(keys);
		dkey_free(k);
	}
	rrsig_ctx_free(&c);
	zone_free(z);
}

/* ldns signs with our key file; our check accepts its RRSIGs. */
static void
test_ldns_signs_we_verify(void **state)
{
	zone_error_t zerr;
	zone_t *z = tu_zone("example.com.", zone_text, &zerr);
	assert_non_null(z);
	char dir[64], err[256], path[4096];
	assert_int_equal(tu_tmpdir(dir, sizeof(dir), "test_rrsig"), 0);
	rrsig_ctx_t c = { 0 };
	for (size_t a = 0; a < 3; a++) {
		dkey_t *k = NULL;
		assert_int_equal(dkey_generate(z->origin, algs[a], DKEY_FLAGS_ZSK, &k), 0);
		assert_int_equal(dkey_save(k, dir, path, sizeof(path), err, sizeof(err)), 0);
		FILE *f = fopen(path, "r");
		ldns_key *lk = NULL;
		assert_int_equal(ldns_key_new_frm_fp(&lk, f), LDNS_STATUS_OK);
		fclose(f);
		ldns_key_set_flags(lk, dkey_flags(k));
		ldns_key_set_pubkey_owner(lk, ldns_dname_new_frm_str("example.com."));
		ldns_key_set_inception(lk, NOW - 60);
		ldns_key_set_expiration(lk, NOW + 3600);
		ldns_key_set_keytag(lk, dkey_tag(k));
		ldns_key_list *kl = ldns_key_list_new();
		ldns_key_list_push_key(kl, lk);
		for (uint32_t i = 0; i < z->nnodes; i++) {
			const zone_node_t *n = &z->nodes[i];
			for (uint16_t r = 0; r < n->nrrsets; r++) {
				const zone_rrset_t *rs = &n->rrsets[r];
				ldns_rr_list *set = ldns_rrset(n, rs);
				ldns_rr_list *sigs = ldns_sign_public(set, kl);
				assert_non_null(sigs);
				assert_int_equal(ldns_rr_list_rr_count(sigs), 1);
				ldns_buffer *b = ldns_buffer_new(2048);
				assert_int_equal(ldns_rr_rdata2buffer_wire(b, ldns_rr_list_rr(sigs, 0)), LDNS_STATUS_OK);
				assert_int_equal(rrsig_check(&c, k, n->name, rs, ldns_buffer_begin(b), ldns_buffer_position(b), NOW),
						 RRSIG_OK);
				ldns_buffer_free(b);
				ldns_rr_list_deep_free(sigs);
				ldns_rr_list_deep_free(set);
			}
		}
		ldns_key_list_free(kl); /* and its keys */
		dkey_free(k);
	}
	rrsig_ctx_free(&c);
	zone_free(z);
	assert_int_equal(tu_rmtree(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_sign_ldns_verifies),
		cmocka_unit_test(test_ldns_signs_we_verify),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
