/* SPDX-License-Identifier: MIT */
/** \file Changesets and their serialized form (see changeset.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dname.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "util/err.h"
#include "util/grow.h"
#include "zone/changeset.h"

void
changeset_init(changeset_t *c)
{
	memset(c, 0, sizeof(*c));
	/* Most changesets are a few records, and up to history-max of them
	 * stay in memory per zone (a signed zone makes one at each re-sign). */
	arena_init_growing(&c->arena, 1024, 16384);
}

void
changeset_clear(changeset_t *c)
{
	free(c->del.rr);
	free(c->add.rr);
	arena_free(&c->arena);
	memset(c, 0, sizeof(*c));
}

static uint32_t
soa_serial(const changeset_rr_t *soa)
{
	if (soa->type != RR_SOA)
		return 0;
	size_t off = dname_len(soa->rdata);
	off += dname_len(soa->rdata + off);
	return wire_u32(soa->rdata + off);
}

uint32_t
changeset_serial_from(const changeset_t *c)
{
	return soa_serial(&c->soa_from);
}

uint32_t
changeset_serial_to(const changeset_t *c)
{
	return soa_serial(&c->soa_to);
}

bool
changeset_empty(const changeset_t *c)
{
	return c->del.count == 0 && c->add.count == 0;
}

static int
rr_copy(changeset_t *c, changeset_rr_t *out, const uint8_t *owner, uint16_t type, uint32_t ttl,
	const uint8_t *rdata, uint16_t rdlen)
{
	size_t ol = dname_len(owner);
	uint8_t *o = arena_memdup(&c->arena, owner, ol);
	uint8_t *r = arena_memdup(&c->arena, rdata, rdlen);
	if (o == NULL || r == NULL)
		return FL_ENOMEM;
	*out = (changeset_rr_t){ o, r, ttl, type, rdlen };
	return 0;
}

static int
list_push(changeset_t *c, changeset_list_t *l, const uint8_t *owner, uint16_t type, uint32_t ttl,
	  const uint8_t *rdata, uint16_t rdlen)
{
	/* Checked here so that everything downstream (journal, IXFR writer)
	 * can trust the rdata layout. */
	if (type == RR_SOA || rrtype_is_meta(type) || rrtype_rdata_check(type, rdata, rdlen) != 0 ||
	    dname_check(owner, DNAME_MAXLEN) < 0)
		return FL_EINVAL;
	if (fl_grow(&l->rr, &l->cap, l->count, sizeof(*l->rr), 16) != 0)
		return FL_ENOMEM;
	int r = rr_copy(c, &l->rr[l->count], owner, type, ttl, rdata, rdlen);
	if (r == 0)
		l->count++;
	return r;
}

int
changeset_del(changeset_t *c, const uint8_t *owner, uint16_t type, uint32_t ttl, const uint8_t *rdata,
	      uint16_t rdlen)
{
	return list_push(c, &c->del, owner, type, ttl, rdata, rdlen);
}

int
changeset_add(changeset_t *c, const uint8_t *owner, uint16_t type, uint32_t ttl, const uint8_t *rdata,
	      uint16_t rdlen)
{
	return list_push(c, &c->add, owner, type, ttl, rdata, rdlen);
}

int
changeset_set_soa(changeset_t *c, bool to, const uint8_t *owner, uint32_t ttl, const uint8_t *rdata,
		  uint16_t rdlen)
{
	if (rrtype_rdata_check(RR_SOA, rdata, rdlen) != 0 || dname_check(owner, DNAME_MAXLEN) < 0)
		return FL_EINVAL;
	return rr_copy(c, to ? &c->soa_to : &c->soa_from, owner, RR_SOA, ttl, rdata, rdlen);
}

static size_t
rr_size(const changeset_rr_t *r)
{
	return dname_len(r->owner) + 10u + r->rdlen;
}

size_t
changeset_wire_size(const changeset_t *c)
{
	size_t n = rr_size(&c->soa_from) + rr_size(&c->soa_to) + 8;
	for (size_t i = 0; i < c->del.count; i++)
		n += rr_size(&c->del.rr[i]);
	for (size_t i = 0; i < c->add.count; i++)
		n += rr_size(&c->add.rr[i]);
	return n;
}

static void
put_rr(wire_t *w, const changeset_rr_t *r)
{
	wire_put_bytes(w, r->owner, dname_len(r->owner));
	wire_put_u16(w, r->type);
	wire_put_u16(w, RR_CLASS_IN);
	wire_put_u32(w, r->ttl);
	wire_put_u16(w, r->rdlen);
	wire_put_bytes(w, r->rdata, r->rdlen);
}

long
changeset_to_wire(const changeset_t *c, uint8_t *buf, size_t len)
{
	if (c->soa_from.type != RR_SOA || c->soa_to.type != RR_SOA)
		return FL_EINVAL;
	wire_t w;
	wire_init(&w, buf, len);
	put_rr(&w, &c->soa_from);
	wire_put_u32(&w, (uint32_t)c->del.count);
	for (size_t i = 0; i < c->del.count; i++)
		put_rr(&w, &c->del.rr[i]);
	put_rr(&w, &c->soa_to);
	wire_put_u32(&w, (uint32_t)c->add.count);
	for (size_t i = 0; i < c->add.count; i++)
		put_rr(&w, &c->add.rr[i]);
	return w.err ? w.err : (long)wire_off(&w);
}

/* Read one uncompressed RR; the pointers point into buf. */
static int
get_rr(wire_t *w, changeset_rr_t *r, uint16_t *rclass)
{
	int nl = dname_check(w->pos, wire_left(w));
	if (nl < 0)
		return FL_EMALF;
	r->owner = w->pos;
	wire_skip(w, (size_t)nl);
	r->type = wire_get_u16(w);
	*rclass = wire_get_u16(w);
	r->ttl = wire_get_u32(w);
	r->rdlen = wire_get_u16(w);
	r->rdata = w->pos;
	wire_skip(w, r->rdlen);
	if (w->err != 0 || rrtype_rdata_check(r->type, r->rdata, r->rdlen) != 0 || rrtype_is_meta(r->type))
		return FL_EMALF;
	return 0;
}

static int
get_list(wire_t *w, changeset_t *c, bool add)
{
	uint32_t n = wire_get_u32(w);
	if (w->err != 0 || n > wire_left(w) / 11u) /* an RR takes at least 11 bytes */
		return FL_EMALF;
	for (uint32_t i = 0; i < n; i++) {
		changeset_rr_t r;
		uint16_t cls;
		if (get_rr(w, &r, &cls) != 0 || cls != RR_CLASS_IN)
			return FL_EMALF;
		int ret = add ? changeset_add(c, r.owner, r.type, r.ttl, r.rdata, r.rdlen)
			      : changeset_del(c, r.owner, r.type, r.ttl, r.rdata, r.rdlen);
		if (ret != 0)
			return ret == FL_EINVAL ? FL_EMALF : ret;
	}
	return 0;
}

int
changeset_from_wire(changeset_t *c, const uint8_t *buf, size_t len)
{
	wire_t w;
	wire_init_ro(&w, buf, len);
	changeset_rr_t soa;
	uint16_t cls;
	int ret = get_rr(&w, &soa, &cls);
	if (ret == 0 && (soa.type != RR_SOA || cls != RR_CLASS_IN))
		ret = FL_EMALF;
	if (ret == 0)
		ret = changeset_set_soa(c, false, soa.owner, soa.ttl, soa.rdata, soa.rdlen);
	if (ret == 0)
		ret = get_list(&w, c, false);
	if (ret == 0)
		ret = get_rr(&w, &soa, &cls);
	if (ret == 0 && (soa.type != RR_SOA || cls != RR_CLASS_IN))
		ret = FL_EMALF;
	if (ret == 0)
		ret = changeset_set_soa(c, true, soa.owner, soa.ttl, soa.rdata, soa.rdlen);
	if (ret == 0)
		ret = get_list(&w, c, true);
	if (ret == 0 && wire_left(&w) != 0)
		ret = FL_EMALF;
	if (ret != 0) {
		changeset_clear(c);
		changeset_init(c);
	}
	return ret;
}

/* ---- condensing a chain ---- */

typedef struct {
	const changeset_rr_t *rr; /* key: owner, type, rdata (TTL not part of it) */
	uint32_t del_ttl, add_ttl;
	bool has_del, has_add;
	bool used;
} cond_ent_t;

static uint64_t
cond_hash(const changeset_rr_t *r)
{
	uint64_t h = 1469598103934665603ULL;
	size_t ol = dname_len(r->owner);
	for (size_t i = 0; i < ol; i++)
		h = (h ^ r->owner[i]) * 1099511628211ULL;
	h = (h ^ r->type) * 1099511628211ULL;
	for (size_t i = 0; i < r->rdlen; i++)
		h = (h ^ r->rdata[i]) * 1099511628211ULL;
	return h;
}

static bool
cond_same(const changeset_rr_t *a, const changeset_rr_t *b)
{
	return a->type == b->type && a->rdlen == b->rdlen && dname_eq(a->owner, b->owner) &&
	       memcmp(a->rdata, b->rdata, a->rdlen) == 0;
}

static cond_ent_t *
cond_find(cond_ent_t *t, size_t mask, const changeset_rr_t *r)
{
	for (size_t i = (size_t)cond_hash(r) & mask;; i = (i + 1) & mask)
		if (!t[i].used || cond_same(t[i].rr, r)) {
			if (!t[i].used) {
				t[i].used = true;
				t[i].rr = r;
			}
			return &t[i];
		}
}

int
changeset_condense(const changeset_t *const *cs, size_t n, changeset_t *out, char *err, size_t errlen)
{
	size_t total = 0, cap = 16;
	int ret = 0;
	if (n == 0)
		return FL_EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && changeset_serial_from(cs[i]) != changeset_serial_to(cs[i - 1]))
			return FL_EINVAL;
		total += cs[i]->del.count + cs[i]->add.count;
	}
	while (cap < 2 * total + 2)
		cap *= 2;
	cond_ent_t *t = calloc(cap, sizeof(*t));
	if (t == NULL)
		return FL_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < cs[i]->del.count; k++) {
			cond_ent_t *e = cond_find(t, cap - 1, &cs[i]->del.rr[k]);
			if (e->has_add) {
				e->has_add = false; /* added by an earlier changeset: gone again */
			} else if (e->has_del) {
				char name[1024] = "?";
				dname_to_str(e->rr->owner, name, sizeof(name));
				snprintf(err, errlen, "changeset %zu (serial %u to %u) deletes an RR of %s type %u that an earlier one already deleted",
					 i + 1, changeset_serial_from(cs[i]), changeset_serial_to(cs[i]), name, e->rr->type);
				ret = FL_ESEMANTIC;
				goto done;
			} else {
				e->has_del = true;
				e->del_ttl = cs[i]->del.rr[k].ttl;
			}
		}
		for (size_t k = 0; k < cs[i]->add.count; k++) {
			cond_ent_t *e = cond_find(t, cap - 1, &cs[i]->add.rr[k]);
			e->has_add = true;
			e->add_ttl = cs[i]->add.rr[k].ttl;
		}
	}
	if ((ret = changeset_set_soa(out, false, cs[0]->soa_from.owner, cs[0]->soa_from.ttl, cs[0]->soa_from.rdata,
				     cs[0]->soa_from.rdlen)) != 0 ||
	    (ret = changeset_set_soa(out, true, cs[n - 1]->soa_to.owner, cs[n - 1]->soa_to.ttl, cs[n - 1]->soa_to.rdata,
				     cs[n - 1]->soa_to.rdlen)) != 0)
		goto done;
	for (size_t i = 0; i < cap && ret == 0; i++) {
		const cond_ent_t *e = &t[i];
		if (!e->used || (e->has_del && e->has_add && e->del_ttl == e->add_ttl))
			continue; /* untouched in the end */
		if (e->has_del)
			ret = changeset_del(out, e->rr->owner, e->rr->type, e->del_ttl, e->rr->rdata, e->rr->rdlen);
		if (ret == 0 && e->has_add)
			ret = changeset_add(out, e->rr->owner, e->rr->type, e->add_ttl, e->rr->rdata, e->rr->rdlen);
	}
done:
	free(t);
	return ret;
}
