/* SPDX-License-Identifier: MIT */
/** \file RRSIG records (see rrsig.h). */
#include <stdlib.h>
#include <string.h>

#include "dns/dname.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "dnssec/rrsig.h"
#include "util/err.h"

void
rrsig_ctx_free(rrsig_ctx_t *c)
{
	canon_free(&c->canon);
	free(c->buf);
	memset(c, 0, sizeof(*c));
}

uint8_t
rrsig_labels(const uint8_t *owner)
{
	uint8_t n = 0;
	for (const uint8_t *p = owner; *p != 0; p += 1 + *p)
		n++;
	if (n > 0 && owner[0] == 1 && owner[1] == '*')
		n--;
	return n;
}

/* The signed data: the RRSIG rdata without signature (hdr, hlen) and the RRset in canonical form. */
static int
signed_data(rrsig_ctx_t *c, const uint8_t *owner, const zone_rrset_t *rs, uint32_t ttl, const uint8_t *hdr,
	    size_t hlen, size_t *len)
{
	int n = canon_rrset(&c->canon, rs);
	if (n < 0)
		return n;
	size_t ol = dname_len(owner), need = hlen;
	for (int i = 0; i < n; i++)
		need += ol + 10 + c->canon.rr[i].len;
	if (need > c->cap) {
		uint8_t *b = realloc(c->buf, need);
		if (b == NULL)
			return FL_ENOMEM;
		c->buf = b;
		c->cap = need;
	}
	uint8_t *p = c->buf;
	memcpy(p, hdr, hlen);
	p += hlen;
	for (int i = 0; i < n; i++) {
		memcpy(p, owner, ol);
		dname_lower(p); /* stored lowercase already; cheap insurance for callers */
		p += ol;
		wire_set_u16(p, rs->type);
		wire_set_u16(p + 2, RR_CLASS_IN);
		wire_set_u32(p + 4, ttl);
		wire_set_u16(p + 8, c->canon.rr[i].len);
		memcpy(p + 10, c->canon.rr[i].rd, c->canon.rr[i].len);
		p += 10 + c->canon.rr[i].len;
	}
	*len = (size_t)(p - c->buf);
	return 0;
}

int
rrsig_make(rrsig_ctx_t *c, const dkey_t *k, const uint8_t *owner, const zone_rrset_t *rs, uint32_t inception,
	   uint32_t expiration, uint8_t *out, size_t cap)
{
	const uint8_t *signer = dkey_zone(k);
	size_t sl = dname_len(signer), hlen = RRSIG_FIXED_LEN + sl, dlen = 0, siglen = 0;
	if ((int32_t)(expiration - inception) <= 0)
		return FL_EINVAL;
	if (cap < hlen + dkey_siglen(k))
		return FL_ESPACE;
	wire_set_u16(out, rs->type);
	out[2] = (uint8_t)dkey_alg(k);
	out[3] = rrsig_labels(owner);
	wire_set_u32(out + 4, rs->ttl);
	wire_set_u32(out + 8, expiration);
	wire_set_u32(out + 12, inception);
	wire_set_u16(out + 16, dkey_tag(k));
	memcpy(out + RRSIG_FIXED_LEN, signer, sl); /* lowercase: dkey keeps it so (RFC 6840 §5.1) */
	int ret = signed_data(c, owner, rs, rs->ttl, out, hlen, &dlen);
	if (ret != 0)
		return ret;
	ret = dkey_sign(k, c->buf, dlen, out + hlen, &siglen);
	return ret != 0 ? ret : (int)(hlen + siglen);
}

int
rrsig_check(rrsig_ctx_t *c, const dkey_t *k, const uint8_t *owner, const zone_rrset_t *rs, const uint8_t *rd,
	    size_t len, uint32_t now)
{
	if (len < RRSIG_FIXED_LEN + 1)
		return RRSIG_MALFORMED;
	size_t pos = RRSIG_FIXED_LEN;
	uint8_t signer[DNAME_MAXLEN];
	if (dname_unpack(rd, len, &pos, signer, false) < 0 || pos >= len)
		return RRSIG_MALFORMED;
	if (wire_u16(rd) != rs->type || rd[3] != rrsig_labels(owner) || wire_u32(rd + 4) != rs->ttl ||
	    !dname_eq(signer, dkey_zone(k)))
		return RRSIG_MALFORMED;
	if (rd[2] != (uint8_t)dkey_alg(k) || wire_u16(rd + 16) != dkey_tag(k))
		return RRSIG_WRONG_KEY;
	uint32_t exp = wire_u32(rd + 8), inc = wire_u32(rd + 12);
	/* Serial arithmetic (RFC 4034 §3.1.5): the window may cross 2106. */
	if ((int32_t)(now - inc) < 0)
		return RRSIG_NOT_YET;
	if ((int32_t)(exp - now) < 0)
		return RRSIG_EXPIRED;
	size_t dlen = 0;
	int ret = signed_data(c, owner, rs, rs->ttl, rd, pos, &dlen);
	if (ret != 0)
		return ret;
	return dkey_verify(k, c->buf, dlen, rd + pos, len - pos) ? RRSIG_OK : RRSIG_BAD;
}

const char *
rrsig_verdict_str(int v)
{
	switch (v) {
	case RRSIG_OK: return "valid";
	case RRSIG_MALFORMED: return "malformed or not for this RRset";
	case RRSIG_WRONG_KEY: return "made with another key";
	case RRSIG_NOT_YET: return "not yet valid (inception in the future)";
	case RRSIG_EXPIRED: return "expired";
	case RRSIG_BAD: return "signature does not verify";
	default: return fl_strerror(v);
	}
}
