/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Applying changesets (see apply.h).
 *
 * Each deletion and addition is resolved to its node in old by one hash
 * probe, then both lists are sorted by (node, type, rdata): the order of
 * old's own data. One walk over old then merges every RRset with its
 * deletions and additions, which checks the changeset against old and feeds
 * the builder in the same pass: O(zone + changes · log changes), no lookup
 * inside RRsets. Changeset lists from IXFR come in any order, hence the sort.
 */
#include <ldns/ldns.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dname.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "util/err.h"
#include "zone/apply.h"

#define NO_NODE UINT32_MAX

/* A deletion or addition resolved against old. */
typedef struct {
	const uint8_t *owner; /* lowercased copy */
	const uint8_t *rd;
	uint32_t node;        /* index in old->nodes, NO_NODE when old lacks the name */
	uint32_t pred;        /* NO_NODE names: index of their canonical predecessor in old */
	uint32_t ttl;
	uint16_t type;
	uint16_t rdlen;
	uint8_t owner_len;
} ent_t;

typedef struct {
	ent_t *e;
	size_t n;
} ents_t;

static int ent_cmp(const void *pa, const void *pb);
static void fail_rr(zone_error_t *err, const char *what, const ent_t *e, const char *tail, ...)
	__attribute__((format(printf, 4, 5)));
static void fail_msg(zone_error_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* (node, owner, type, rdata); the owner only orders names old lacks. */
static int
ent_cmp(const void *pa, const void *pb)
{
	const ent_t *a = pa, *b = pb;
	if (a->node != b->node)
		return a->node < b->node ? -1 : 1;
	if (a->owner_len != b->owner_len)
		return a->owner_len < b->owner_len ? -1 : 1;
	int c = memcmp(a->owner, b->owner, a->owner_len);
	if (c != 0)
		return c;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	return zone_rdata_cmp(a->rd, a->rdlen, b->rd, b->rdlen);
}

/* Same RR: owner, type, rdata (ent_cmp equal). */
static bool
ent_same(const ent_t *a, const ent_t *b)
{
	return ent_cmp(a, b) == 0;
}

/* Presentation form of an RR for messages: ldns prints it; the generic
 * RFC 3597 form when ldns cannot. */
static void
rr_str(const uint8_t *owner, uint16_t type, uint32_t ttl, const uint8_t *rd, uint16_t rdlen, char *out,
       size_t outlen)
{
	char name[1024], tname[16];
	if (dname_to_str(owner, name, sizeof(name)) < 0)
		snprintf(name, sizeof(name), "?");
	size_t olen = dname_len(owner);
	uint8_t *wire = malloc(olen + 10u + rdlen);
	ldns_rr *rr = NULL;
	if (wire != NULL) {
		wire_t w;
		wire_init(&w, wire, olen + 10u + rdlen);
		wire_put_bytes(&w, owner, olen);
		wire_put_u16(&w, type);
		wire_put_u16(&w, RR_CLASS_IN);
		wire_put_u32(&w, ttl);
		wire_put_u16(&w, rdlen);
		wire_put_bytes(&w, rd, rdlen);
		size_t pos = 0;
		if (w.err != 0 || ldns_wire2rr(&rr, wire, wire_off(&w), &pos, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK)
			rr = NULL;
		free(wire);
	}
	char *s = rr != NULL ? ldns_rr2str(rr) : NULL;
	ldns_rr_free(rr);
	if (s != NULL) {
		/* ldns separates fields by tabs and ends with a newline */
		size_t k = 0;
		for (const char *p = s; *p != '\0' && *p != '\n' && k + 1 < outlen; p++)
			out[k++] = *p == '\t' ? ' ' : *p;
		if (outlen > 0)
			out[k] = '\0';
		free(s);
		return;
	}
	size_t k = (size_t)snprintf(out, outlen, "%s %u IN %s \\# %u ", name, ttl,
				    rrtype_to_str(type, tname, sizeof(tname)), rdlen);
	for (uint16_t i = 0; i < rdlen && i < 64 && k + 3 < outlen; i++, k += 2)
		snprintf(out + k, outlen - k, "%02x", rd[i]);
}

static void
fail_rr(zone_error_t *err, const char *what, const ent_t *e, const char *tail, ...)
{
	if (err == NULL)
		return;
	char rr[1400], t[512];
	va_list ap;
	va_start(ap, tail);
	vsnprintf(t, sizeof(t), tail, ap);
	va_end(ap);
	rr_str(e->owner, e->type, e->ttl, e->rd, e->rdlen, rr, sizeof(rr));
	err->src = 0;
	snprintf(err->msg, sizeof(err->msg), "the changeset %s %s, %s", what, rr, t);
}

static void
fail_msg(zone_error_t *err, const char *fmt, ...)
{
	if (err == NULL)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	err->src = 0;
}

/* Resolve one list against old; the owners are lowercased into tmp. */
static int
resolve(const zone_t *old, const changeset_list_t *l, arena_t *tmp, ents_t *out)
{
	out->n = 0;
	out->e = NULL;
	if (l->count == 0)
		return 0;
	out->e = malloc(l->count * sizeof(ent_t));
	if (out->e == NULL)
		return FL_ENOMEM;
	for (size_t i = 0; i < l->count; i++) {
		const changeset_rr_t *r = &l->rr[i];
		size_t len = dname_len(r->owner);
		uint8_t *o = arena_memdup(tmp, r->owner, len);
		if (o == NULL)
			return FL_ENOMEM;
		dname_lower(o);
		const zone_node_t *n = zone_find(old, o, len);
		uint32_t pred = 0;
		if (n == NULL && dname_is_sub(o, len, old->origin, old->origin_len))
			pred = zone_node_index(old, zone_find_le(old, o));
		out->e[i] = (ent_t){ .owner = o, .rd = r->rdata, .node = n ? zone_node_index(old, n) : NO_NODE,
				     .pred = pred, .ttl = r->ttl, .type = r->type, .rdlen = r->rdlen,
				     .owner_len = (uint8_t)len };
	}
	out->n = l->count;
	qsort(out->e, out->n, sizeof(ent_t), ent_cmp);
	return 0;
}

/* Serial field of SOA rdata (already checked by changeset_set_soa). */
static uint32_t
soa_rdata_serial(const uint8_t *rd)
{
	size_t off = dname_len(rd);
	off += dname_len(rd + off);
	return wire_u32(rd + off);
}

/* The SOAs and the lists on their own, before touching old's data. */
static int
check_lists(const zone_t *old, const changeset_t *cs, const ents_t *del, const ents_t *add,
	    zone_error_t *err)
{
	char o[1024];
	dname_to_str(old->origin, o, sizeof(o));
	if (cs->soa_from.type != RR_SOA || cs->soa_to.type != RR_SOA) {
		fail_msg(err, "the changeset lacks the %s SOA", cs->soa_from.type != RR_SOA ? "old" : "new");
		return FL_ESEMANTIC;
	}
	uint32_t from = soa_rdata_serial(cs->soa_from.rdata);
	if (from != old->serial) {
		fail_msg(err, "the changeset starts at serial %u but zone %s is at serial %u", from, o,
			 old->serial);
		return FL_ESEMANTIC;
	}
	if (!dname_eq_nocase(cs->soa_from.owner, old->origin) || !dname_eq_nocase(cs->soa_to.owner, old->origin)) {
		fail_msg(err, "the changeset has an SOA whose owner is not the origin %s", o);
		return FL_ESEMANTIC;
	}
	for (size_t i = 0; i < del->n; i++) {
		const ent_t *e = &del->e[i];
		if (e->type == RR_SOA) {
			fail_rr(err, "deletes", e, "an SOA outside soa_from");
			return FL_ESEMANTIC;
		}
		if (e->node == NO_NODE) {
			fail_rr(err, "deletes", e, "but serial %u of %s has no such name", old->serial, o);
			return FL_ESEMANTIC;
		}
		if (i > 0 && ent_same(e, &del->e[i - 1])) {
			fail_rr(err, "deletes", e, "twice");
			return FL_ESEMANTIC;
		}
	}
	for (size_t i = 0; i < add->n; i++) {
		const ent_t *e = &add->e[i];
		if (e->type == RR_SOA) {
			fail_rr(err, "adds", e, "an SOA outside soa_to");
			return FL_ESEMANTIC;
		}
		if (i > 0 && ent_same(e, &add->e[i - 1])) {
			fail_rr(err, "adds", e, "twice");
			return FL_ESEMANTIC;
		}
	}
	return 0;
}

/* Walk state: the next unconsumed deletion and addition. */
typedef struct {
	const zone_t *old;
	const ents_t *del, *add;
	size_t di, ai;
	const ent_t **newn;   /* additions at names old lacks, by (pred, canonical name, type, rdata) */
	size_t nnew, ni_new;
	const changeset_rr_t *soa_to;
	zone_builder_t *b;
	zone_error_t *err;
	char origin[1024];
} walk_t;

/* Everything goes to the builder in canonical order (owner, type, rdata),
 * so it takes its sorted fast path: no hashing, no sorting. */
static int
emit(walk_t *w, const ent_t *e)
{
	int ret = zone_builder_add(w->b, e->owner, e->owner_len, e->type, RR_CLASS_IN, e->ttl, e->rd, e->rdlen, 0);
	if (ret == 0 || ret == FL_ENOMEM)
		return ret;
	fail_rr(w->err, "adds", e, "which cannot be added to %s (%s)", w->origin, fl_strerror(ret));
	return FL_ESEMANTIC;
}

static int
newn_cmp(const void *pa, const void *pb)
{
	const ent_t *a = *(const ent_t *const *)pa, *b = *(const ent_t *const *)pb;
	if (a->pred != b->pred)
		return a->pred < b->pred ? -1 : 1;
	int c = dname_canon_cmp(a->owner, b->owner);
	if (c != 0)
		return c;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	return zone_rdata_cmp(a->rd, a->rdlen, b->rd, b->rdlen);
}

/* Additions at names old lacks that sort right after old's node ni. */
static int
emit_new_after(walk_t *w, uint32_t ni)
{
	while (w->ni_new < w->nnew && w->newn[w->ni_new]->pred == ni) {
		int ret = emit(w, w->newn[w->ni_new++]);
		if (ret != 0)
			return ret;
	}
	return 0;
}

static bool
at(const ents_t *l, size_t i, uint32_t node, uint16_t type)
{
	return i < l->n && l->e[i].node == node && l->e[i].type == type;
}

static int
not_in_old(walk_t *w)
{
	fail_rr(w->err, "deletes", &w->del->e[w->di], "which serial %u of %s does not have", w->old->serial,
		w->origin);
	return FL_ESEMANTIC;
}

/* One RRset of old against its deletions and additions, merged in rdata order. */
static int
walk_rrset(walk_t *w, uint32_t ni, const zone_node_t *n, const zone_rrset_t *rs)
{
	const uint8_t *p = rs->rdata;
	for (uint16_t k = 0; k < rs->count; k++) {
		uint16_t rdlen;
		memcpy(&rdlen, p, 2);
		const uint8_t *rd = p + 2;
		p += 2u + rdlen;
		if (at(w->del, w->di, ni, rs->type) &&
		    zone_rdata_cmp(w->del->e[w->di].rd, w->del->e[w->di].rdlen, rd, rdlen) < 0)
			return not_in_old(w); /* sorts before this RR: old lacks it */
		bool deleted = false;
		if (at(w->del, w->di, ni, rs->type) &&
		    zone_rdata_cmp(w->del->e[w->di].rd, w->del->e[w->di].rdlen, rd, rdlen) == 0) {
			deleted = true;
			w->di++;
		}
		while (at(w->add, w->ai, ni, rs->type) &&
		       zone_rdata_cmp(w->add->e[w->ai].rd, w->add->e[w->ai].rdlen, rd, rdlen) < 0) {
			int ret = emit(w, &w->add->e[w->ai++]);
			if (ret != 0)
				return ret;
		}
		if (at(w->add, w->ai, ni, rs->type) &&
		    zone_rdata_cmp(w->add->e[w->ai].rd, w->add->e[w->ai].rdlen, rd, rdlen) == 0) {
			if (!deleted) {
				fail_rr(w->err, "adds", &w->add->e[w->ai], "which serial %u of %s already has",
					w->old->serial, w->origin);
				return FL_ESEMANTIC;
			}
			int ret = emit(w, &w->add->e[w->ai++]); /* deleted and added back (a TTL change) */
			if (ret != 0)
				return ret;
			continue;
		}
		if (deleted)
			continue;
		int ret = zone_builder_add(w->b, n->name, n->name_len, rs->type, RR_CLASS_IN, rs->ttl, rd, rdlen, 0);
		if (ret != 0)
			return ret;
	}
	if (at(w->del, w->di, ni, rs->type))
		return not_in_old(w);
	while (at(w->add, w->ai, ni, rs->type)) { /* new rdata beyond old's last */
		int ret = emit(w, &w->add->e[w->ai++]);
		if (ret != 0)
			return ret;
	}
	return 0;
}

/* Copy old minus the deletions plus the additions into the builder, in
 * canonical order, checking both lists. */
static int
walk_old(walk_t *w)
{
	int ret;
	for (uint32_t ni = 0; ni < w->old->nnodes; ni++) {
		const zone_node_t *n = &w->old->nodes[ni];
		for (uint16_t k = 0; k < n->nrrsets; k++) {
			const zone_rrset_t *rs = &n->rrsets[k];
			/* Deletions of a type old lacks here sort before it. */
			if (w->di < w->del->n && w->del->e[w->di].node == ni && w->del->e[w->di].type < rs->type)
				return not_in_old(w);
			/* Additions of a type old lacks here come first. */
			while (w->ai < w->add->n && w->add->e[w->ai].node == ni && w->add->e[w->ai].type < rs->type)
				if ((ret = emit(w, &w->add->e[w->ai++])) != 0)
					return ret;
			if (rs->type == RR_SOA) {
				/* soa_to replaces it; the lists hold no SOA (checked) */
				const changeset_rr_t *soa = w->soa_to;
				ret = zone_builder_add(w->b, soa->owner, dname_len(soa->owner), RR_SOA, RR_CLASS_IN, soa->ttl,
						       soa->rdata, soa->rdlen, 0);
			} else {
				ret = walk_rrset(w, ni, n, rs);
			}
			if (ret != 0)
				return ret;
		}
		if (w->di < w->del->n && w->del->e[w->di].node == ni)
			return not_in_old(w);
		while (w->ai < w->add->n && w->add->e[w->ai].node == ni)
			if ((ret = emit(w, &w->add->e[w->ai++])) != 0)
				return ret;
		if ((ret = emit_new_after(w, ni)) != 0)
			return ret;
	}
	/* Out-of-zone additions (pred 0 but not placed): the builder refuses them. */
	while (w->ni_new < w->nnew)
		if ((ret = emit(w, w->newn[w->ni_new++])) != 0)
			return ret;
	return 0;
}

int
zone_apply(const zone_t *old, const changeset_t *cs, zone_t **out, zone_error_t *err)
{
	int ret = FL_ENOMEM;
	ents_t del = { 0 }, add = { 0 };
	zone_t *z = NULL;
	arena_t tmp;
	arena_init(&tmp, 64 << 10);
	walk_t w = { .old = old, .del = &del, .add = &add, .err = err };
	dname_to_str(old->origin, w.origin, sizeof(w.origin));
	if (err != NULL) {
		err->src = 0;
		err->msg[0] = '\0';
	}

	ret = resolve(old, &cs->del, &tmp, &del);
	if (ret == 0)
		ret = resolve(old, &cs->add, &tmp, &add);
	if (ret == 0)
		ret = check_lists(old, cs, &del, &add, err);
	if (ret != 0)
		goto fail;
	/* Additions at new names: the tail of add (NO_NODE sorts last). */
	size_t first_new = add.n;
	while (first_new > 0 && add.e[first_new - 1].node == NO_NODE)
		first_new--;
	w.nnew = add.n - first_new;
	if (w.nnew > 0) {
		w.newn = malloc(w.nnew * sizeof(*w.newn));
		if (w.newn == NULL) {
			ret = FL_ENOMEM;
			goto fail;
		}
		for (size_t i = 0; i < w.nnew; i++)
			w.newn[i] = &add.e[first_new + i];
		qsort(w.newn, w.nnew, sizeof(*w.newn), newn_cmp);
	}
	w.soa_to = &cs->soa_to;
	w.b = zone_builder_new(old->origin);
	if (w.b == NULL) {
		ret = FL_ENOMEM;
		goto fail;
	}
	zone_builder_set_like(w.b, old);
	ret = walk_old(&w);
	if (ret != 0)
		goto fail;
	ret = zone_builder_finish(w.b, &z, err); /* consumes the builder */
	w.b = NULL;
	if (ret != 0)
		goto fail;
	/* What the zone is, not what it holds, carries over to the next version. */
	z->catalog = old->catalog;
	z->notify_allow = old->notify_allow;
	if (old->source != NULL) {
		z->source = arena_memdup(&z->arena, old->source, strlen(old->source) + 1);
		if (z->source == NULL) {
			ret = FL_ENOMEM;
			goto fail;
		}
	}
	*out = z;
	z = NULL;
	ret = 0;
fail:
	if (ret == FL_ENOMEM && err != NULL)
		fail_msg(err, "out of memory");
	zone_free(z);
	zone_builder_abort(w.b);
	free(w.newn);
	free(del.e);
	free(add.e);
	arena_free(&tmp);
	return ret;
}

bool
zone_equal(const zone_t *a, const zone_t *b)
{
	if (a->origin_len != b->origin_len || memcmp(a->origin, b->origin, a->origin_len) != 0 ||
	    a->nnodes != b->nnodes || a->nrecords != b->nrecords)
		return false;
	for (uint32_t i = 0; i < a->nnodes; i++) {
		const zone_node_t *x = &a->nodes[i], *y = &b->nodes[i];
		if (x->name_len != y->name_len || memcmp(x->name, y->name, x->name_len) != 0 ||
		    x->nrrsets != y->nrrsets)
			return false;
		for (uint16_t k = 0; k < x->nrrsets; k++)
			if (!zone_rrset_equal(&x->rrsets[k], &y->rrsets[k]))
				return false;
	}
	return true;
}

int
zone_set_serial(const zone_t *z, uint32_t serial, zone_t **out)
{
	uint16_t rdlen;
	memcpy(&rdlen, z->soa->rdata, 2);
	const uint8_t *rd = z->soa->rdata + 2;
	uint8_t buf[2 * DNAME_MAXLEN + 20]; /* MNAME, RNAME, five numbers */
	if (rdlen > sizeof(buf))
		return FL_EINVAL; /* cannot happen: the builder checked the SOA */
	memcpy(buf, rd, rdlen);
	size_t off = dname_len(buf);
	off += dname_len(buf + off);
	wire_set_u32(buf + off, serial);
	changeset_t cs;
	changeset_init(&cs);
	int ret = changeset_set_soa(&cs, false, z->origin, z->soa->ttl, rd, rdlen);
	if (ret == 0)
		ret = changeset_set_soa(&cs, true, z->origin, z->soa->ttl, buf, rdlen);
	if (ret == 0)
		ret = zone_apply(z, &cs, out, NULL);
	changeset_clear(&cs);
	return ret;
}
