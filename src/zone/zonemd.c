/* SPDX-License-Identifier: MIT */
/**
 * \file
 * ZONEMD digest and verification (see zonemd.h). The zone is already in
 * canonical order (nodes by RFC 4034 §6.1, RRsets by type, rdata by
 * zone_rdata_cmp()), so the digest is one pass that feeds each RR in wire
 * form to EVP; only RRsets whose rdata names must be lowercased are copied,
 * and re-sorted when lowercasing changed a byte.
 */
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dname.h"
#include "dns/msg.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "util/err.h"
#include "zone/canon.h"
#include "zone/zonemd.h"

#define RRSIG_FIXED 18 /* type covered .. key tag: the octets before the signer's name */

typedef struct {
	EVP_MD_CTX *md;
	canon_t canon;
} dctx_t;

static const EVP_MD *
hash_md(uint8_t alg)
{
	switch (alg) {
	case ZONEMD_HASH_SHA384: return EVP_sha384();
	case ZONEMD_HASH_SHA512: return EVP_sha512();
	default: return NULL;
	}
}

static const char *
hash_name(uint8_t alg)
{
	return alg == ZONEMD_HASH_SHA384 ? "SHA-384" : "SHA-512";
}

static int
put_rr(EVP_MD_CTX *md, const zone_node_t *n, uint16_t type, uint32_t ttl, const canon_rr_t *rr)
{
	uint8_t hdr[10];
	wire_set_u16(hdr, type);
	wire_set_u16(hdr + 2, RR_CLASS_IN);
	wire_set_u32(hdr + 4, ttl);
	wire_set_u16(hdr + 8, rr->len);
	if (EVP_DigestUpdate(md, n->name, n->name_len) != 1 || EVP_DigestUpdate(md, hdr, sizeof(hdr)) != 1 ||
	    EVP_DigestUpdate(md, rr->rd, rr->len) != 1)
		return FL_ENOMEM; /* EVP fails only for want of memory here */
	return 0;
}

static int
digest_rrset(dctx_t *c, const zone_node_t *n, const zone_rrset_t *rs, bool apex)
{
	if (apex && rs->type == RR_ZONEMD)
		return 0; /* RFC 8976 §3.3.1.1: the apex ZONEMD RRset is not digested */
	int nrr = canon_rrset(&c->canon, rs);
	if (nrr < 0)
		return nrr;
	int ret;
	for (int i = 0; i < nrr; i++) { /* duplicate RRs are digested once: canon_rrset removed them */
		const canon_rr_t *rr = &c->canon.rr[i];
		if (rs->type == RR_RRSIG && rr->len >= RRSIG_FIXED && apex && wire_u16(rr->rd) == RR_ZONEMD)
			continue; /* §3.3.1.1: nor are the apex RRSIGs covering it */
		/* The TTL the RR is transferred with (merged RRSIGs: see zone_rr_ttl). */
		uint32_t ttl = zone_rr_ttl(rs, rr->rd, rr->len);
		ret = put_rr(c->md, n, rs->type, ttl, rr);
		if (ret != 0)
			return ret;
	}
	return 0;
}

int
zonemd_digest(const zone_t *z, uint8_t scheme, uint8_t alg, uint8_t *out, size_t *outlen)
{
	const EVP_MD *type = hash_md(alg);
	if (scheme != ZONEMD_SCHEME_SIMPLE || type == NULL)
		return FL_EINVAL;
	int ret = FL_ENOMEM;
	dctx_t c = { .md = EVP_MD_CTX_new() };
	if (c.md == NULL || EVP_DigestInit_ex(c.md, type, NULL) != 1)
		goto fail;
	for (uint32_t i = 0; i < z->nnodes; i++) {
		const zone_node_t *n = &z->nodes[i];
		for (uint16_t k = 0; k < n->nrrsets; k++) {
			ret = digest_rrset(&c, n, &n->rrsets[k], n == z->apex);
			if (ret != 0)
				goto fail;
		}
	}
	unsigned int len = 0;
	ret = FL_ENOMEM;
	if (EVP_DigestFinal_ex(c.md, out, &len) != 1)
		goto fail;
	*outlen = len;
	ret = 0;
fail:
	EVP_MD_CTX_free(c.md);
	canon_free(&c.canon);
	return ret;
}

/* ---- verification ---- */

/* Keep the first reason only: it names the first offending RR. */
__attribute__((format(printf, 3, 4))) static void
note(char *buf, size_t len, const char *fmt, ...)
{
	if (buf[0] != '\0')
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* First 8 octets in hex and "..." when there is more. */
static const char *
hex_prefix(const uint8_t *d, size_t len, char out[20])
{
	size_t n = len < 8 ? len : 8;
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
	snprintf(out + 2 * n, 4, "%s", len > n ? "..." : "");
	return out;
}

/* How many RRs of the ZONEMD RRset have this scheme and hash algorithm. */
static unsigned
pair_count(const zone_rrset_t *rs, uint8_t scheme, uint8_t alg)
{
	unsigned n = 0;
	const uint8_t *rd = rs->rdata;
	for (uint16_t i = 0; i < rs->count; i++, rd = msg_rd_next(rd))
		if (msg_rd_len(rd) >= 6 && msg_rd_data(rd)[4] == scheme && msg_rd_data(rd)[5] == alg)
			n++;
	return n;
}

int
zonemd_verify(const zone_t *z, zonemd_status_t *status, char *why, size_t whylen)
{
	char fail[256] = "", unsup[256] = "", ok[256] = "";
	int ret = 0;
	*status = ZONEMD_ABSENT;
	const zone_rrset_t *rs = zone_node_rrset(z->apex, RR_ZONEMD);
	if (rs == NULL || rs->count == 0) {
		snprintf(ok, sizeof(ok), "no ZONEMD RRset at the apex");
		goto out;
	}
	uint8_t digest[2][ZONEMD_DIGEST_MAX]; /* by hash algorithm - 1, each computed once */
	bool have[2] = { false, false };
	const uint8_t *rd = rs->rdata;
	for (uint16_t i = 0; i < rs->count; i++, rd = msg_rd_next(rd)) {
		uint16_t len = msg_rd_len(rd);
		const uint8_t *d = msg_rd_data(rd);
		if (len < 6) {
			note(fail, sizeof(fail), "malformed ZONEMD: %u octets of rdata", len);
			continue;
		}
		uint32_t serial = wire_u32(d);
		uint8_t scheme = d[4], alg = d[5];
		size_t dlen = len - 6u;
		/* RFC 8976 §4 step 4, then 5a-5f for each RR. */
		if (pair_count(rs, scheme, alg) > 1) {
			note(fail, sizeof(fail), "ZONEMD RRset has more than one RR with scheme %u and hash algorithm %u",
			     scheme, alg);
			continue;
		}
		if (serial != z->serial) {
			note(unsup, sizeof(unsup), "ZONEMD serial %u differs from the SOA serial %u", serial, z->serial);
			continue;
		}
		if (scheme != ZONEMD_SCHEME_SIMPLE || hash_md(alg) == NULL) {
			note(unsup, sizeof(unsup),
			     "ZONEMD scheme %u hash algorithm %u not supported (only scheme 1 with SHA-384 or SHA-512)",
			     scheme, alg);
			continue;
		}
		size_t want = alg == ZONEMD_HASH_SHA384 ? 48 : 64;
		if (dlen != want) {
			note(fail, sizeof(fail), "malformed ZONEMD: %s digest of %zu octets, not %zu", hash_name(alg), dlen,
			     want);
			continue;
		}
		uint8_t *mine = digest[alg - 1];
		if (!have[alg - 1]) {
			size_t mlen;
			ret = zonemd_digest(z, scheme, alg, mine, &mlen);
			if (ret != 0) {
				snprintf(fail, sizeof(fail), "ZONEMD digest: %s", fl_strerror(ret));
				goto out;
			}
			have[alg - 1] = true;
		}
		if (memcmp(mine, d + 6, want) == 0) {
			snprintf(ok, sizeof(ok), "ZONEMD %s digest matches (serial %u)", hash_name(alg), serial);
			*status = ZONEMD_VALID;
			goto out;
		}
		char h1[20], h2[20];
		note(fail, sizeof(fail), "ZONEMD mismatch: %s digest computed %s differs from the zone's %s (serial %u)",
		     hash_name(alg), hex_prefix(mine, want, h1), hex_prefix(d + 6, want, h2), serial);
	}
	if (fail[0] != '\0')
		ret = FL_ESEMANTIC;
	else
		*status = ZONEMD_UNSUPPORTED;
out:
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "%s", ok[0] != '\0' ? ok : fail[0] != '\0' ? fail : unsup);
	return ret;
}

const char *
zonemd_status_str(zonemd_status_t s)
{
	switch (s) {
	case ZONEMD_ABSENT: return "absent";
	case ZONEMD_VALID: return "valid";
	case ZONEMD_UNSUPPORTED: return "unsupported";
	default: return "?";
	}
}
