/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Zone differ (see diff.h). Three nested merges: nodes in canonical order,
 * RRsets by type inside a node, RRs by rdata inside an RRset (the builder
 * sorts rdata with zone_rdata_cmp(), which we merge by). Unchanged data
 * costs one memcmp per name and per rdata and allocates nothing, so a
 * one-record change in a big zone produces exactly one changeset entry.
 */
#include <string.h>

#include "dns/dname.h"
#include "dns/rrtype.h"
#include "util/err.h"
#include "zone/diff.h"

/* One RR inside a packed RRset: (u16 host-order length, wire bytes). */
typedef struct {
	const uint8_t *pos; /* next entry */
	uint16_t left;      /* entries left */
	const uint8_t *rd;  /* current rdata */
	uint16_t rdlen;
} rr_iter_t;

static void
iter_init(rr_iter_t *it, const zone_rrset_t *rs)
{
	it->pos = rs->rdata;
	it->left = rs->count;
	it->rd = NULL;
	it->rdlen = 0;
}

/* Advance to the next RR; false at the end. */
static bool
iter_next(rr_iter_t *it)
{
	if (it->left == 0)
		return false;
	memcpy(&it->rdlen, it->pos, 2);
	it->rd = it->pos + 2;
	it->pos += 2u + it->rdlen;
	it->left--;
	return true;
}

/* The order the builder sorts rdata in: memcmp, then shorter first
 * (RFC 4034 §6.3 canonical RR order). */
static int
emit(changeset_t *cs, bool add, const uint8_t *owner, uint16_t type, uint32_t ttl,
     const uint8_t *rd, uint16_t rdlen)
{
	return add ? changeset_add(cs, owner, type, ttl, rd, rdlen)
		   : changeset_del(cs, owner, type, ttl, rd, rdlen);
}

/* Every RR of an RRset as a deletion or an addition. */
static int
emit_rrset(changeset_t *cs, bool add, const uint8_t *owner, const zone_rrset_t *rs)
{
	rr_iter_t it;
	iter_init(&it, rs);
	while (iter_next(&it)) {
		int ret = emit(cs, add, owner, rs->type, zone_rr_ttl(rs, it.rd, it.rdlen), it.rd, it.rdlen);
		if (ret != 0)
			return ret;
	}
	return 0;
}

/* Every RRset of a node except the SOA (which only the apex has). */
static int
emit_node(changeset_t *cs, bool add, const zone_node_t *n)
{
	for (uint16_t i = 0; i < n->nrrsets; i++) {
		if (n->rrsets[i].type == RR_SOA)
			continue;
		int ret = emit_rrset(cs, add, n->name, &n->rrsets[i]);
		if (ret != 0)
			return ret;
	}
	return 0;
}

/* Two RRsets of the same owner and type. */
static int
diff_rrset(changeset_t *cs, const uint8_t *owner, const zone_rrset_t *o, const zone_rrset_t *c)
{
	int ret;
	if (o->ttl != c->ttl) {
		/* RFC 1995 has no "change TTL": the RRs go out and come back. */
		ret = emit_rrset(cs, false, owner, o);
		if (ret == 0)
			ret = emit_rrset(cs, true, owner, c);
		return ret;
	}
	rr_iter_t a, b;
	iter_init(&a, o);
	iter_init(&b, c);
	bool ha = iter_next(&a), hb = iter_next(&b);
	while (ha || hb) {
		int cmp = !ha ? 1 : !hb ? -1 : zone_rdata_cmp(a.rd, a.rdlen, b.rd, b.rdlen);
		ret = 0;
		if (cmp < 0)
			ret = emit(cs, false, owner, o->type, zone_rr_ttl(o, a.rd, a.rdlen), a.rd, a.rdlen);
		else if (cmp > 0)
			ret = emit(cs, true, owner, c->type, zone_rr_ttl(c, b.rd, b.rdlen), b.rd, b.rdlen);
		if (ret != 0)
			return ret;
		if (cmp <= 0)
			ha = iter_next(&a);
		if (cmp >= 0)
			hb = iter_next(&b);
	}
	return 0;
}

/* Two nodes with the same owner: merge their RRsets by type. */
static int
diff_node(changeset_t *cs, const zone_node_t *o, const zone_node_t *c)
{
	uint16_t i = 0, j = 0;
	while (i < o->nrrsets || j < c->nrrsets) {
		const zone_rrset_t *ro = i < o->nrrsets ? &o->rrsets[i] : NULL;
		const zone_rrset_t *rc = j < c->nrrsets ? &c->rrsets[j] : NULL;
		int cmp = ro == NULL ? 1 : rc == NULL ? -1 : (int)ro->type - (int)rc->type;
		int ret = 0;
		uint16_t type = cmp <= 0 ? ro->type : rc->type;
		if (type == RR_SOA) {
			/* soa_from / soa_to carry it */
		} else if (cmp < 0)
			ret = emit_rrset(cs, false, o->name, ro);
		else if (cmp > 0)
			ret = emit_rrset(cs, true, c->name, rc);
		else
			ret = diff_rrset(cs, o->name, ro, rc);
		if (ret != 0)
			return ret;
		if (cmp <= 0)
			i++;
		if (cmp >= 0)
			j++;
	}
	return 0;
}

static int
node_cmp(const zone_node_t *a, const zone_node_t *b)
{
	/* Versions of one zone share nearly all names: equality first. */
	if (a->name_len == b->name_len && memcmp(a->name, b->name, a->name_len) == 0)
		return 0;
	return dname_canon_cmp(a->name, b->name);
}

static int
soa_set(changeset_t *cs, bool to, const zone_t *z)
{
	uint16_t rdlen;
	memcpy(&rdlen, z->soa->rdata, 2);
	return changeset_set_soa(cs, to, z->origin, z->soa->ttl, z->soa->rdata + 2, rdlen);
}

int
zone_diff(const zone_t *old, const zone_t *cand, changeset_t *out)
{
	if (old->origin_len != cand->origin_len || memcmp(old->origin, cand->origin, old->origin_len) != 0)
		return FL_EINVAL;
	if (out->soa_from.type != 0 || out->soa_to.type != 0 || !changeset_empty(out))
		return FL_EINVAL;
	int ret = soa_set(out, false, old);
	if (ret == 0)
		ret = soa_set(out, true, cand);
	if (ret != 0)
		goto fail;
	uint32_t i = 0, j = 0;
	while (i < old->nnodes || j < cand->nnodes) {
		const zone_node_t *o = i < old->nnodes ? &old->nodes[i] : NULL;
		const zone_node_t *c = j < cand->nnodes ? &cand->nodes[j] : NULL;
		int cmp = o == NULL ? 1 : c == NULL ? -1 : node_cmp(o, c);
		/* A name only on one side goes or comes whole; an empty
		 * non-terminal has no RRsets and emits nothing. */
		if (cmp < 0)
			ret = emit_node(out, false, o);
		else if (cmp > 0)
			ret = emit_node(out, true, c);
		else
			ret = diff_node(out, o, c);
		if (ret != 0)
			goto fail;
		if (cmp <= 0)
			i++;
		if (cmp >= 0)
			j++;
	}
	return 0;
fail:
	changeset_clear(out);
	changeset_init(out);
	return ret;
}
