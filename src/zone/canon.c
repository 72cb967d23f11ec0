/* SPDX-License-Identifier: MIT */
/** \file Canonical RRsets (see canon.h). */
#include <stdlib.h>
#include <string.h>

#include "dns/msg.h"
#include "dns/rrtype.h"
#include "util/err.h"
#include "zone/canon.h"

bool
canon_lowers(uint16_t type)
{
	/* RFC 4034 §6.2 without NSEC (RFC 6840 §5.1), the list ldns and Knot use.
	 * Not taken from the rrtype descriptor, whose RDF_LNAME is about how we
	 * store names (LP targets are lowercased there but not here). */
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
	const canon_rr_t *x = a, *y = b;
	return zone_rdata_cmp(x->rd, x->len, y->rd, y->len);
}

static int
grow(canon_t *c, size_t bytes, size_t count)
{
	if (bytes > c->bufcap) {
		size_t nc = bytes < 4096 ? 4096 : bytes;
		uint8_t *b = realloc(c->buf, nc);
		if (b == NULL)
			return FL_ENOMEM;
		c->buf = b;
		c->bufcap = nc;
	}
	if (count > c->cap) {
		size_t nc = count < 64 ? 64 : count;
		canon_rr_t *r = realloc(c->rr, nc * sizeof(*r));
		if (r == NULL)
			return FL_ENOMEM;
		c->rr = r;
		c->cap = nc;
	}
	return 0;
}

int
canon_rrset(canon_t *c, const zone_rrset_t *rs)
{
	bool lower = canon_lowers(rs->type), resort = false;
	size_t bytes = 0;
	const uint8_t *rd = rs->rdata;
	for (uint16_t i = 0; lower && i < rs->count; i++, rd = msg_rd_next(rd))
		bytes += msg_rd_len(rd);
	int ret = grow(c, bytes, rs->count);
	if (ret != 0)
		return ret;
	uint8_t *p = c->buf;
	rd = rs->rdata;
	for (uint16_t i = 0; i < rs->count; i++, rd = msg_rd_next(rd)) {
		canon_rr_t *rr = &c->rr[i];
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
		qsort(c->rr, rs->count, sizeof(canon_rr_t), crr_cmp);
	size_t n = 0;
	for (uint16_t i = 0; i < rs->count; i++)
		if (n == 0 || crr_cmp(&c->rr[n - 1], &c->rr[i]) != 0)
			c->rr[n++] = c->rr[i];
	return (int)n;
}

void
canon_free(canon_t *c)
{
	free(c->buf);
	free(c->rr);
	memset(c, 0, sizeof(*c));
}
