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
#include "zone/zonemd.h"

#define RRSIG_FIXED 18 /* type covered .. key tag: the octets before the signer's name */

/* One RR of the RRset being digested, in canonical form. */
typedef struct {
	const uint8_t *rd;
	uint16_t len;
} crr_t;

typedef struct {
	EVP_MD_CTX *md;
	uint8_t *buf; /* canonical copies of one RRset's rdata */
	size_t bufcap;
	crr_t *rrs;
	size_t rrcap;
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

/* Types whose rdata names are lowercased in canonical form: RFC 4034 §6.2
 * without NSEC (RFC 6840 §5.1), the list ldns and Knot use. Not taken from
 * the rrtype descriptor, whose RDF_LNAME is about how we store names (LP
 * targets are lowercased there but not here). */
static bool
lowers_rdata(uint16_t type)
{
	switch (type) {
	case RR_NS: case RR_MD: case RR_MF: case RR_CNAME: case RR_SOA: case RR_MB: case RR_MG:
	case RR_MR: case RR_PTR: case RR_MINFO: case RR_MX: case RR_RP: case RR_AFSDB: case RR_RT:
	case RR_SIG: case RR_PX: case RR_NXT: case RR_NAPTR: case RR_KX: case RR_SRV: case RR_DNAME:
	case RR_RRSIG:
		return true;
	default:
		return false; /* A6 too: its prefix name is not located by our descriptor */
	}
}

static int
crr_cmp(const void *a, const void *b)
{
	const crr_t *x = a, *y = b;
	return zone_rdata_cmp(x->rd, x->len, y->rd, y->len);
}

/* True when the RRSIGs of an RRset carry different Original TTLs: then the
 * builder merged RRSIGs of different TTLs and kept only the lowest. */
static bool
rrsig_ttls_differ(const zone_rrset_t *rs)
{
	const uint8_t *rd = rs->rdata;
	uint32_t first = 0;
	bool seen = false;
	for (uint16_t i = 0; i < rs->count; i++, rd = msg_rd_next(rd)) {
		if (msg_rd_len(rd) < RRSIG_FIXED)
			continue;
		uint32_t t = wire_u32(msg_rd_data(rd) + 4);
		if (seen && t != first)
			return true;
		first = t;
		seen = true;
	}
	return false;
}

static int
grow(dctx_t *c, size_t bytes, size_t count)
{
	if (bytes > c->bufcap) {
		uint8_t *b = realloc(c->buf, bytes);
		if (b == NULL)
			return FL_ENOMEM;
		c->buf = b;
		c->bufcap = bytes;
	}
	if (count > c->rrcap) {
		crr_t *r = realloc(c->rrs, count * sizeof(*r));
		if (r == NULL)
			return FL_ENOMEM;
		c->rrs = r;
		c->rrcap = count;
	}
	return 0;
}

static int
put_rr(EVP_MD_CTX *md, const zone_node_t *n, uint16_t type, uint32_t ttl, const crr_t *rr)
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
	bool lower = lowers_rdata(rs->type), resort = false;
	size_t bytes = 0; /* room for canonical copies */
	const uint8_t *rd = rs->rdata;
	for (uint16_t i = 0; lower && i < rs->count; i++, rd = msg_rd_next(rd))
		bytes += msg_rd_len(rd);
	int ret = grow(c, bytes, rs->count);
	if (ret != 0)
		return ret;

	uint8_t *p = c->buf;
	rd = rs->rdata;
	for (uint16_t i = 0; i < rs->count; i++, rd = msg_rd_next(rd)) {
		crr_t *rr = &c->rrs[i];
		rr->len = msg_rd_len(rd);
		rr->rd = msg_rd_data(rd);
		if (lower) {
			memcpy(p, rr->rd, rr->len);
			rrtype_lower_names(rs->type, p, rr->len, true);
			resort |= memcmp(p, rr->rd, rr->len) != 0;
			rr->rd = p;
			p += rr->len;
		}
	}
	/* Lowercasing can reorder rdata and make two RRs equal (RFC 4034 §6.3). */
	if (resort)
		qsort(c->rrs, rs->count, sizeof(crr_t), crr_cmp);

	bool orig_ttl = rs->type == RR_RRSIG && rrsig_ttls_differ(rs);
	for (uint16_t i = 0; i < rs->count; i++) {
		const crr_t *rr = &c->rrs[i];
		if (i > 0 && crr_cmp(&c->rrs[i - 1], rr) == 0)
			continue; /* duplicate RRs are digested once */
		uint32_t ttl = rs->ttl;
		if (rs->type == RR_RRSIG && rr->len >= RRSIG_FIXED) {
			if (apex && wire_u16(rr->rd) == RR_ZONEMD)
				continue; /* §3.3.1.1: nor are the apex RRSIGs covering it */
			if (orig_ttl)
				ttl = wire_u32(rr->rd + 4);
		}
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
	/* Start with room for typical RRsets so buffers are never empty (no memcpy to NULL). */
	dctx_t c = { .md = EVP_MD_CTX_new(), .bufcap = 4096, .rrcap = 64 };
	c.buf = malloc(c.bufcap);
	c.rrs = malloc(c.rrcap * sizeof(crr_t));
	if (c.md == NULL || c.buf == NULL || c.rrs == NULL || EVP_DigestInit_ex(c.md, type, NULL) != 1)
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
	free(c.buf);
	free(c.rrs);
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
