/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Zone versions and their builder (see zone.h).
 *
 * Building: records are appended to a temporary arena with their owner
 * interned in a hash table (owners repeat a lot). finish() adds the empty
 * non-terminals, sorts the distinct owners in canonical order through a
 * memcmp-able key, sorts the records by (owner rank, type, rdata), merges
 * RRsets while dropping duplicates, and copies everything into the final,
 * compact arena of the version. The temporary arena is freed at the end, so
 * a version holds no builder leftovers.
 *
 * Sorted input fast path: as long as new owners arrive in strictly
 * increasing canonical order (a snapshot, zone_apply's walk, an AXFR from
 * a server that sends canonical order), no owner hash is built, the empty
 * non-terminals come from one stack walk and neither sort runs (records are
 * only sorted inside an owner when they need it). The first owner out of
 * order switches the builder to the hashed path for good.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dname.h"
#include "dns/rrtype.h"
#include "dns/msg.h"
#include "dns/wire.h"
#include "util/err.h"
#include "zone/history.h"
#include "zone/zone.h"

#define NO_PARENT UINT32_MAX

/* ---- lookup ---- */

const zone_node_t *
zone_find(const zone_t *z, const uint8_t *name, size_t len)
{
	uint32_t h = dname_hash(name, len);
	for (uint32_t i = h & z->hash_mask;; i = (i + 1) & z->hash_mask) {
		uint32_t v = z->hash[i];
		if (v == 0)
			return NULL;
		const zone_node_t *n = &z->nodes[v - 1];
		if (n->name_len == len && memcmp(n->name, name, len) == 0)
			return n;
	}
}

const zone_node_t *
zone_find_near(const zone_t *z, const uint8_t *name, size_t len, uint32_t *hint)
{
	uint32_t from = *hint == UINT32_MAX ? 0 : *hint;
	for (uint32_t j = from; j < z->nnodes && j < from + 3u; j++)
		if (z->nodes[j].name_len == len && memcmp(z->nodes[j].name, name, len) == 0) {
			*hint = j;
			return &z->nodes[j];
		}
	const zone_node_t *n = zone_find(z, name, len);
	if (n != NULL)
		*hint = zone_node_index(z, n);
	return n;
}

const zone_node_t *
zone_find_encloser(const zone_t *z, const uint8_t *name, size_t len, int *labels_below)
{
	int below = 0;
	while (len >= z->origin_len) {
		const zone_node_t *n = zone_find(z, name, len);
		if (n != NULL) {
			*labels_below = below;
			return n;
		}
		if (*name == 0)
			break;
		len -= 1u + *name;
		name += 1u + *name;
		below++;
	}
	*labels_below = below;
	return z->apex;
}

const zone_rrset_t *
zone_node_rrset(const zone_node_t *n, uint16_t type)
{
	/* Nodes hold few RRsets: a linear scan beats bisecting. */
	for (uint16_t i = 0; i < n->nrrsets; i++) {
		if (n->rrsets[i].type == type)
			return &n->rrsets[i];
		if (n->rrsets[i].type > type)
			break;
	}
	return NULL;
}

bool
zone_rrset_equal(const zone_rrset_t *a, const zone_rrset_t *b)
{
	if (a == NULL || b == NULL || a->type != b->type || a->ttl != b->ttl || a->count != b->count)
		return false;
	const uint8_t *x = a->rdata, *y = b->rdata;
	for (uint16_t i = 0; i < a->count; i++, x = msg_rd_next(x), y = msg_rd_next(y))
		if (msg_rd_len(x) != msg_rd_len(y) || memcmp(msg_rd_data(x), msg_rd_data(y), msg_rd_len(x)) != 0)
			return false;
	return true;
}

uint32_t
zone_rr_ttl(const zone_rrset_t *rs, const uint8_t *data, uint16_t len)
{
	if (rs->type != RR_RRSIG || len < 8)
		return rs->ttl;
	const uint8_t *rd = rs->rdata;
	for (uint16_t i = 0; i < rs->count; i++, rd = msg_rd_next(rd))
		if (msg_rd_len(rd) >= 8 && wire_u32(msg_rd_data(rd) + 4) != wire_u32(data + 4))
			return wire_u32(data + 4); /* they differ: each its own */
	return rs->ttl;
}

const zone_node_t *
zone_find_le(const zone_t *z, const uint8_t *name)
{
	uint32_t lo = 0, hi = z->nnodes; /* invariant: nodes[lo-1] <= name < nodes[hi] */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (dname_canon_cmp(z->nodes[mid].name, name) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == 0 ? &z->nodes[0] : &z->nodes[lo - 1];
}

void
zone_free(zone_t *z)
{
	if (z == NULL)
		return;
	zone_history_unref(z->history);
	arena_free(&z->arena);
	free(z->hash);
	free(z);
}

/* ---- builder ---- */

typedef struct {
	const uint8_t *name; /* lowercased, in the temp arena */
	uint32_t hash;       /* dname_hash, kept for rehashing and cheap compares */
	uint32_t rank;       /* canonical position after sorting */
	uint8_t len;
	uint8_t ent;         /* added as an empty non-terminal */
	uint32_t src;        /* first record, for error reports */
} bowner_t;

typedef struct {
	uint32_t owner;  /* index into owners, later replaced by rank */
	uint16_t type;
	uint16_t rdlen;
	uint32_t ttl;
	uint32_t src;
	const uint8_t *rdata;
} brec_t;

struct zone_builder {
	uint8_t origin[DNAME_MAXLEN];
	size_t origin_len;
	arena_t tmp;
	bowner_t *owners;
	size_t nowners, owners_cap;
	uint32_t *ohash; /* owner index + 1 */
	size_t ohash_cap;
	brec_t *recs;
	size_t nrecs, recs_cap;
	zone_warn_fn warn;
	void *warn_ctx;
	size_t data_bytes; /* owner and rdata bytes, to size the version's arena */
	long last_owner;   /* owner of the previous record: files group records by owner */
	bool unsorted;     /* an owner came out of canonical order: hashed path */
	const zone_t *like; /* a version likely to have the same names (zone_apply's old) */
	int err; /* sticky OOM */
};

zone_builder_t *
zone_builder_new(const uint8_t *origin)
{
	zone_builder_t *b = calloc(1, sizeof(*b));
	if (b == NULL)
		return NULL;
	b->origin_len = dname_len(origin);
	memcpy(b->origin, origin, b->origin_len);
	dname_lower(b->origin);
	arena_init(&b->tmp, 256 << 10);
	b->last_owner = -1;
	return b;
}

void
zone_builder_set_like(zone_builder_t *b, const zone_t *like)
{
	b->like = like;
}

void
zone_builder_set_warn(zone_builder_t *b, zone_warn_fn fn, void *ctx)
{
	b->warn = fn;
	b->warn_ctx = ctx;
}

void
zone_builder_abort(zone_builder_t *b)
{
	if (b == NULL)
		return;
	arena_free(&b->tmp);
	free(b->owners);
	free(b->ohash);
	free(b->recs);
	free(b);
}

static int
grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 1024;
	while (ncap < need)
		ncap *= 2;
	void *p = realloc(*arr, ncap * elem);
	if (p == NULL)
		return FL_ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

static int
ohash_rehash(zone_builder_t *b)
{
	size_t ncap = b->ohash_cap ? b->ohash_cap * 2 : 4096;
	while (ncap < (b->nowners + 1) * 2)
		ncap *= 2;
	uint32_t *nh = calloc(ncap, sizeof(*nh));
	if (nh == NULL)
		return FL_ENOMEM;
	for (size_t i = 0; i < b->nowners; i++) {
		if (b->owners[i].hash == 0) /* left out on the sorted path */
			b->owners[i].hash = dname_hash(b->owners[i].name, b->owners[i].len);
		size_t j = b->owners[i].hash & (ncap - 1);
		while (nh[j] != 0)
			j = (j + 1) & (ncap - 1);
		nh[j] = (uint32_t)i + 1;
	}
	free(b->ohash);
	b->ohash = nh;
	b->ohash_cap = ncap;
	return 0;
}

/* A new owner at the end of the list (hash: its dname_hash, 0 = not computed yet). */
static long
owner_append(zone_builder_t *b, const uint8_t *name, size_t len, uint32_t src, bool ent, bool *created, uint32_t h)
{
	if (grow((void **)&b->owners, &b->owners_cap, b->nowners + 1, sizeof(bowner_t)) != 0)
		return FL_ENOMEM;
	uint8_t *copy = arena_memdup(&b->tmp, name, len);
	b->data_bytes += len;
	if (copy == NULL)
		return FL_ENOMEM;
	bowner_t *o = &b->owners[b->nowners];
	o->name = copy;
	o->hash = h;
	o->len = (uint8_t)len;
	o->ent = ent;
	o->src = src;
	o->rank = 0;
	*created = true;
	return (long)b->nowners++;
}

/* Index of the owner `name` (lowercased), interning it when new.
 * Returns < 0 on OOM. *created tells whether it was new. */
static long
owner_intern(zone_builder_t *b, const uint8_t *name, size_t len, uint32_t src, bool ent, bool *created)
{
	*created = false;
	if (!b->unsorted) {
		/* Still in canonical order? Then no lookup is needed at all. */
		const bowner_t *last = b->nowners > 0 ? &b->owners[b->nowners - 1] : NULL;
		int c = last != NULL ? dname_canon_cmp(last->name, name) : -1;
		if (c == 0)
			return (long)(b->nowners - 1);
		if (c < 0 && !ent)
			return owner_append(b, name, len, src, ent, created, 0);
		/* Out of order: index what we have and go the hashed way. */
		b->unsorted = true;
		if (ohash_rehash(b) != 0)
			return FL_ENOMEM;
	}
	if ((b->nowners + 1) * 2 > b->ohash_cap && ohash_rehash(b) != 0)
		return FL_ENOMEM;
	size_t mask = b->ohash_cap - 1;
	uint32_t h = dname_hash(name, len);
	size_t j = h & mask;
	for (; b->ohash[j] != 0; j = (j + 1) & mask) {
		const bowner_t *o = &b->owners[b->ohash[j] - 1];
		if (o->hash == h && o->len == len && memcmp(o->name, name, len) == 0)
			return (long)(b->ohash[j] - 1);
	}
	long oi = owner_append(b, name, len, src, ent, created, h);
	if (oi >= 0)
		b->ohash[j] = (uint32_t)oi + 1;
	return oi;
}

int
zone_builder_add(zone_builder_t *b, const uint8_t *owner, size_t owner_len, uint16_t type,
		 uint16_t rclass, uint32_t ttl, const uint8_t *rdata, uint16_t rdlen, uint32_t src)
{
	if (b->err != 0)
		return b->err;
	if (rclass != RR_CLASS_IN || rrtype_is_meta(type))
		return FL_EINVAL;
	uint8_t name[DNAME_MAXLEN];
	if (owner_len > DNAME_MAXLEN || dname_check(owner, owner_len) != (int)owner_len)
		return FL_EMALF;
	memcpy(name, owner, owner_len);
	dname_lower(name);
	if (!dname_is_sub(name, owner_len, b->origin, b->origin_len))
		return FL_EOUTZONE;
	if (rrtype_rdata_check(type, rdata, rdlen) != 0)
		return FL_EMALF;

	bool created;
	long oi = b->last_owner;
	if (oi < 0 || b->owners[oi].len != owner_len || memcmp(b->owners[oi].name, name, owner_len) != 0)
		oi = owner_intern(b, name, owner_len, src, false, &created);
	if (oi < 0)
		goto oom;
	b->last_owner = oi;
	if (b->owners[oi].ent) { /* cannot happen before finish, kept for safety */
		b->owners[oi].ent = 0;
		b->owners[oi].src = src;
	}
	if (grow((void **)&b->recs, &b->recs_cap, b->nrecs + 1, sizeof(brec_t)) != 0)
		goto oom;
	const uint8_t *rd = rdlen ? arena_memdup(&b->tmp, rdata, rdlen) : (const uint8_t *)"";
	if (rd == NULL)
		goto oom;
	b->data_bytes += 2u + rdlen;
	b->recs[b->nrecs++] = (brec_t){ .owner = (uint32_t)oi, .type = type, .rdlen = rdlen,
					.ttl = ttl, .src = src, .rdata = rd };
	return 0;
oom:
	b->err = FL_ENOMEM;
	return FL_ENOMEM;
}

/* Canonical sort key: labels right to left, each followed by 0x00, with
 * bytes 0x00/0x01 escaped as 0x01 0x01 / 0x01 0x02 so memcmp on keys is
 * exactly RFC 4034 §6.1 order (shorter label first when one is a prefix). */
static size_t
canon_key(const uint8_t *name, uint8_t *key)
{
	const uint8_t *lab[DNAME_MAXLABELS];
	int n = 0;
	for (const uint8_t *p = name; *p != 0; p += 1 + *p)
		lab[n++] = p;
	size_t k = 0;
	while (n-- > 0) {
		const uint8_t *l = lab[n];
		for (uint8_t i = 1; i <= l[0]; i++) {
			uint8_t c = l[i];
			if (c <= 1) {
				key[k++] = 1;
				key[k++] = (uint8_t)(c + 1);
			} else {
				key[k++] = c;
			}
		}
		key[k++] = 0;
	}
	return k;
}

typedef struct {
	const uint8_t *key;
	uint16_t klen;
	uint32_t owner;
} okey_t;

static int
okey_cmp(const void *pa, const void *pb)
{
	const okey_t *a = pa, *b = pb;
	size_t m = a->klen < b->klen ? a->klen : b->klen;
	int c = memcmp(a->key, b->key, m);
	if (c != 0)
		return c;
	return (int)a->klen - (int)b->klen;
}

int
zone_rdata_cmp(const uint8_t *a, uint16_t alen, const uint8_t *b, uint16_t blen)
{
	size_t m = alen < blen ? alen : blen;
	int c = m ? memcmp(a, b, m) : 0;
	if (c != 0)
		return c;
	return (int)alen - (int)blen;
}

static int
brec_cmp(const void *pa, const void *pb)
{
	const brec_t *a = pa, *b = pb;
	if (a->owner != b->owner)
		return a->owner < b->owner ? -1 : 1;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	int c = zone_rdata_cmp(a->rdata, a->rdlen, b->rdata, b->rdlen);
	if (c != 0)
		return c;
	return a->src < b->src ? -1 : (a->src > b->src);
}

static void
set_err(zone_error_t *err, uint32_t src, const char *fmt, const uint8_t *name, const char *extra)
{
	if (err == NULL)
		return;
	char n[1024];
	if (name != NULL)
		dname_to_str(name, n, sizeof(n));
	else
		n[0] = '\0';
	err->src = src;
	snprintf(err->msg, sizeof(err->msg), fmt, n, extra ? extra : "");
}

static void
warn(zone_builder_t *b, uint32_t src, const char *fmt, const uint8_t *name)
{
	if (b->warn == NULL)
		return;
	char n[1024], msg[1200];
	dname_to_str(name, n, sizeof(n));
	snprintf(msg, sizeof(msg), fmt, n);
	b->warn(b->warn_ctx, src, msg);
}

/* Add every missing ancestor (down to the origin) as an empty non-terminal. */
static int
add_ents(zone_builder_t *b)
{
	/* ENTs appended while looping are visited too (nowners grows). */
	for (size_t i = 0; i < b->nowners; i++) {
		const uint8_t *name = b->owners[i].name;
		size_t len = b->owners[i].len;
		uint32_t src = b->owners[i].src;
		while (len > b->origin_len) {
			len -= 1u + name[0];
			name += 1u + name[0];
			bool created;
			long oi = owner_intern(b, name, len, src, true, &created);
			if (oi < 0)
				return FL_ENOMEM;
			if (!created)
				break;
			name = b->owners[oi].name; /* owners may have moved: re-read */
		}
	}
	return 0;
}

/* Does z have exactly like's node names, in the same order? */
static bool
same_names(const zone_t *z, const zone_t *like)
{
	if (like == NULL || like->nnodes != z->nnodes)
		return false;
	for (uint32_t i = 0; i < z->nnodes; i++)
		if (z->nodes[i].name_len != like->nodes[i].name_len ||
		    memcmp(z->nodes[i].name, like->nodes[i].name, z->nodes[i].name_len) != 0)
			return false;
	return true;
}

static int
build_hash(zone_t *z)
{
	size_t cap = 16;
	while (cap < (size_t)z->nnodes * 2)
		cap *= 2;
	z->hash = calloc(cap, sizeof(uint32_t));
	if (z->hash == NULL)
		return FL_ENOMEM;
	z->hash_mask = (uint32_t)(cap - 1);
	for (uint32_t i = 0; i < z->nnodes; i++) {
		uint32_t j = dname_hash(z->nodes[i].name, z->nodes[i].name_len) & z->hash_mask;
		while (z->hash[j] != 0)
			j = (j + 1) & z->hash_mask;
		z->hash[j] = i + 1;
	}
	return 0;
}

static bool
has_addr(const zone_t *z, const uint8_t *name)
{
	const zone_node_t *n = zone_find(z, name, dname_len(name));
	return n != NULL && (zone_node_rrset(n, RR_A) != NULL || zone_node_rrset(n, RR_AAAA) != NULL);
}

/* NSEC3 owners are one 32-character label (base32hex of SHA-1) below the apex. */
static bool
is_nsec3_owner(const zone_node_t *n)
{
	return n->parent == 0 && n->name[0] == 32 && zone_node_rrset(n, RR_NSEC3) != NULL;
}

static bool
holds_only_nsec3(const zone_node_t *n)
{
	for (uint16_t i = 0; i < n->nrrsets; i++)
		if (n->rrsets[i].type != RR_NSEC3 && n->rrsets[i].type != RR_RRSIG)
			return false;
	return true;
}

/* The denial index (see zone.h). Equal-length labels under one origin sort
 * canonically in the order of their bytes, which for base32hex is hash
 * order, so the NSEC3 owners come out of the node array already sorted. */
static int
build_denial_index(zone_t *z)
{
	uint32_t n1 = 0, n3 = 0;
	for (uint32_t i = 0; i < z->nnodes; i++) {
		if (zone_node_rrset(&z->nodes[i], RR_NSEC) != NULL)
			n1++;
		if (is_nsec3_owner(&z->nodes[i])) {
			n3++;
			if (holds_only_nsec3(&z->nodes[i]))
				z->nodes[i].flags |= ZN_NSEC3ONLY;
		}
	}
	if (n1 > 0 && (z->nsec_idx = arena_alloc_array(&z->arena, n1, sizeof(uint32_t))) == NULL)
		return FL_ENOMEM;
	if (n3 > 0 && (z->nsec3_idx = arena_alloc_array(&z->arena, n3, sizeof(uint32_t))) == NULL)
		return FL_ENOMEM;
	for (uint32_t i = 0; i < z->nnodes; i++) {
		if (zone_node_rrset(&z->nodes[i], RR_NSEC) != NULL)
			z->nsec_idx[z->nnsec++] = i;
		if (is_nsec3_owner(&z->nodes[i]))
			z->nsec3_idx[z->nnsec3++] = i;
	}
	/* RFC 5155 §4: NSEC3PARAM with hash algorithm 1 and flags 0. */
	const zone_rrset_t *p = zone_node_rrset(z->apex, RR_NSEC3PARAM);
	const uint8_t *rd = p != NULL ? p->rdata : NULL;
	for (uint16_t k = 0; p != NULL && k < p->count; k++, rd = msg_rd_next(rd)) {
		const uint8_t *d = msg_rd_data(rd);
		uint16_t l = msg_rd_len(rd);
		if (l >= 5 && d[0] == 1 && d[1] == 0 && 5u + d[4] <= l) {
			z->nsec3param = d;
			z->nsec3param_len = (uint16_t)(5u + d[4]);
			break;
		}
	}
	return 0;
}

/* Zone-level checks on the finished version; node_src holds the source of
 * the first record of each node for error reports. */
static int
validate(zone_builder_t *b, zone_t *z, const uint32_t *node_src, zone_error_t *err)
{
	const zone_node_t *apex = z->apex;
	const zone_rrset_t *soa = zone_node_rrset(apex, RR_SOA);
	if (soa == NULL) {
		set_err(err, 0, "no SOA record at the zone apex %s%s", z->origin, NULL);
		return FL_ESEMANTIC;
	}
	if (soa->count != 1) {
		set_err(err, node_src[0], "more than one SOA record at %s%s", z->origin, NULL);
		return FL_ESEMANTIC;
	}
	if (zone_node_rrset(apex, RR_NS) == NULL) {
		set_err(err, node_src[0], "no NS records at the zone apex %s%s", z->origin, NULL);
		return FL_ESEMANTIC;
	}
	for (uint32_t i = 0; i < z->nnodes; i++) {
		const zone_node_t *n = &z->nodes[i];
		if (i != 0 && zone_node_rrset(n, RR_SOA) != NULL) {
			set_err(err, node_src[i], "SOA record at %s, not at the zone apex%s", n->name, NULL);
			return FL_ESEMANTIC;
		}
		const zone_rrset_t *cname = zone_node_rrset(n, RR_CNAME);
		if (cname != NULL) {
			if (cname->count > 1) {
				set_err(err, node_src[i], "more than one CNAME record at %s%s", n->name, NULL);
				return FL_ESEMANTIC;
			}
			for (uint16_t k = 0; k < n->nrrsets; k++) {
				uint16_t t = n->rrsets[k].type;
				if (t != RR_CNAME && t != RR_RRSIG && t != RR_NSEC) {
					set_err(err, node_src[i], "CNAME and other data at %s%s", n->name, NULL);
					return FL_ESEMANTIC;
				}
			}
		}
		const zone_rrset_t *dn = zone_node_rrset(n, RR_DNAME);
		if (dn != NULL && dn->count > 1) {
			set_err(err, node_src[i], "more than one DNAME record at %s%s", n->name, NULL);
			return FL_ESEMANTIC;
		}
		for (uint16_t k = 0; k < n->nrrsets; k++) {
			if (n->rrsets[k].ttl > 0x7fffffffu) {
				set_err(err, node_src[i], "TTL of a record at %s exceeds 2147483647 (RFC 2181 section 8)%s",
					n->name, NULL);
				return FL_ESEMANTIC;
			}
		}
		/* In-zone NS targets need addresses: glue below a cut, or
		 * authoritative A/AAAA elsewhere in the zone. */
		const zone_rrset_t *ns = zone_node_rrset(n, RR_NS);
		if (ns != NULL && (n->flags & ZN_NONAUTH) == 0) {
			const uint8_t *rd = ns->rdata;
			for (uint16_t k = 0; k < ns->count; k++) {
				uint16_t l;
				memcpy(&l, rd, 2);
				const uint8_t *target = rd + 2;
				size_t tlen = dname_len(target);
				if (dname_is_sub(target, tlen, z->origin, z->origin_len) && !has_addr(z, target)) {
					char t[1024];
					dname_to_str(target, t, sizeof(t));
					set_err(err, node_src[i], "NS record at %s points to %s inside the zone, which has no A or AAAA record (missing glue)",
						n->name, t);
					return FL_ESEMANTIC;
				}
				rd += 2u + l;
			}
		}
	}
	(void)b;
	return 0;
}

/*
 * Owners in canonical order with the missing ancestors added, for input
 * that came sorted: one walk with a stack of the current name's ancestors.
 * An ancestor of a name sorts before it and every name in between is its
 * descendant, so an existing ancestor is always on the stack when needed;
 * the missing ones sort between the previous name and this one.
 */
static int
sorted_order(zone_builder_t *b, okey_t **keys_out)
{
	size_t n0 = b->nowners, n = 0, cap = n0 + 16, depth = 0;
	okey_t *keys = malloc(cap * sizeof(*keys));
	uint32_t stack[DNAME_MAXLABELS + 1];
	if (keys == NULL)
		return FL_ENOMEM;
	for (size_t i = 0; i < n0; i++) {
		const uint8_t *name = b->owners[i].name;
		size_t len = b->owners[i].len;
		while (depth > 0) {
			const bowner_t *top = &b->owners[stack[depth - 1]];
			if (top->len < len && dname_is_sub(name, len, top->name, top->len))
				break;
			depth--;
		}
		/* Missing ancestors between the stack top (or the apex) and name. */
		size_t have = depth > 0 ? b->owners[stack[depth - 1]].len : 0;
		const uint8_t *anc[DNAME_MAXLABELS];
		size_t nanc = 0;
		if (depth > 0) {
			for (const uint8_t *p = name + 1 + name[0]; (size_t)(name + len - p) > have; p += 1 + p[0])
				anc[nanc++] = p;
		}
		for (size_t k = nanc; k-- > 0;) {
			bool created;
			long oi = owner_append(b, anc[k], (size_t)(name + len - anc[k]), b->owners[i].src, true, &created, 0);
			if (oi < 0 || grow((void **)&keys, &cap, n + 1, sizeof(*keys)) != 0) {
				free(keys);
				return FL_ENOMEM;
			}
			name = b->owners[i].name; /* owners may have moved */
			anc[k] = b->owners[oi].name;
			keys[n++].owner = (uint32_t)oi;
			stack[depth++] = (uint32_t)oi;
		}
		if (grow((void **)&keys, &cap, n + 1, sizeof(*keys)) != 0) {
			free(keys);
			return FL_ENOMEM;
		}
		keys[n++].owner = (uint32_t)i;
		if (depth < DNAME_MAXLABELS)
			stack[depth++] = (uint32_t)i;
	}
	for (size_t i = 0; i < n; i++)
		b->owners[keys[i].owner].rank = (uint32_t)i;
	*keys_out = keys;
	return 0;
}

/* Records by (owner rank, type, rdata). When the owners already come in
 * order (zone files group records by owner, the signer adds them in
 * canonical order) only the owners whose own records are out of order are
 * sorted, each on its own: zone files list SOA before NS, the signer adds
 * RRSIGs after NSEC, and one such owner must not cost a sort of the zone. */
static void
sort_recs(zone_builder_t *b)
{
	for (size_t i = 1; i < b->nrecs; i++)
		if (b->recs[i - 1].owner > b->recs[i].owner) {
			qsort(b->recs, b->nrecs, sizeof(brec_t), brec_cmp);
			return;
		}
	for (size_t start = 0, end; start < b->nrecs; start = end) {
		bool sorted = true;
		for (end = start + 1; end < b->nrecs && b->recs[end].owner == b->recs[start].owner; end++)
			if (sorted && brec_cmp(&b->recs[end - 1], &b->recs[end]) > 0)
				sorted = false;
		if (!sorted)
			qsort(b->recs + start, end - start, sizeof(brec_t), brec_cmp);
	}
}

int
zone_builder_finish(zone_builder_t *b, zone_t **out, zone_error_t *err)
{
	int ret = FL_ENOMEM;
	okey_t *keys = NULL;
	uint32_t *node_src = NULL;
	zone_t *z = NULL;
	arena_t keyarena;
	arena_init(&keyarena, 1 << 20);
	if (err != NULL) {
		err->src = 0;
		err->msg[0] = '\0';
	}
	if (b->err != 0)
		goto fail;
	if (b->nrecs == 0) {
		set_err(err, 0, "no records in zone %s%s", b->origin, NULL);
		ret = FL_ESEMANTIC;
		goto fail;
	}
	/* The sorted path needs the apex first; anything else goes the hashed way. */
	if (!b->unsorted && (b->owners[0].len != b->origin_len || memcmp(b->owners[0].name, b->origin, b->origin_len) != 0)) {
		b->unsorted = true;
		if (ohash_rehash(b) != 0)
			goto fail;
	}
	if (!b->unsorted) {
		if (sorted_order(b, &keys) != 0)
			goto fail;
	} else {
		/* The apex must exist as a node even if only as ENT (then the SOA check fails). */
		bool created;
		if (owner_intern(b, b->origin, b->origin_len, 0, true, &created) < 0)
			goto fail;
		if (add_ents(b) != 0)
			goto fail;

		/* Canonical order of owners. */
		keys = malloc(b->nowners * sizeof(*keys));
		if (keys == NULL)
			goto fail;
		for (size_t i = 0; i < b->nowners; i++) {
			uint8_t k[DNAME_MAXLEN * 2];
			size_t kl = canon_key(b->owners[i].name, k);
			keys[i].key = arena_memdup(&keyarena, k, kl);
			if (keys[i].key == NULL)
				goto fail;
			keys[i].klen = (uint16_t)kl;
			keys[i].owner = (uint32_t)i;
		}
		qsort(keys, b->nowners, sizeof(*keys), okey_cmp);
		for (size_t i = 0; i < b->nowners; i++)
			b->owners[keys[i].owner].rank = (uint32_t)i;
	}
	for (size_t i = 0; i < b->nrecs; i++)
		b->recs[i].owner = b->owners[b->recs[i].owner].rank;
	sort_recs(b);

	z = calloc(1, sizeof(*z));
	if (z == NULL)
		goto fail;
	/* One chunk holds a small zone exactly (thousands of zones must stay
	 * small); big zones get 4 MiB chunks. */
	size_t need = b->nowners * sizeof(zone_node_t) + b->nrecs * sizeof(zone_rrset_t) +
		      b->data_bytes + (b->nowners + b->nrecs) * 8 + 64; /* + alignment */
	arena_init(&z->arena, need < (4u << 20) ? need : (4u << 20));
	memcpy(z->origin, b->origin, b->origin_len);
	z->origin_len = (uint8_t)b->origin_len;
	z->origin_labels = (uint8_t)dname_labels(b->origin);
	z->nnodes = (uint32_t)b->nowners;
	z->nodes = arena_alloc_array(&z->arena, z->nnodes, sizeof(zone_node_t));
	node_src = calloc(z->nnodes, sizeof(uint32_t));
	if (z->nodes == NULL || node_src == NULL)
		goto fail;

	size_t r = 0; /* record cursor, records are in node order */
	for (uint32_t i = 0; i < z->nnodes; i++) {
		const bowner_t *o = &b->owners[keys[i].owner];
		zone_node_t *n = &z->nodes[i];
		memset(n, 0, sizeof(*n));
		n->name = arena_memdup(&z->arena, o->name, o->len);
		if (n->name == NULL)
			goto fail;
		n->name_len = o->len;
		n->parent = NO_PARENT;
		node_src[i] = o->src;
		/* Count distinct types and unique rdata per type. */
		size_t start = r;
		uint16_t ntypes = 0;
		while (r < b->nrecs && b->recs[r].owner == i) {
			if (r == start || b->recs[r].type != b->recs[r - 1].type)
				ntypes++;
			r++;
		}
		if (ntypes == 0)
			continue;
		n->rrsets = arena_alloc_array(&z->arena, ntypes, sizeof(zone_rrset_t));
		if (n->rrsets == NULL)
			goto fail;
		size_t s = start;
		while (s < r) {
			size_t e = s;
			size_t bytes = 0;
			uint16_t count = 0;
			uint32_t ttl = b->recs[s].ttl;
			bool ttl_mismatch = false;
			for (; e < r && b->recs[e].type == b->recs[s].type; e++) {
				const brec_t *rec = &b->recs[e];
				if (e > s && zone_rdata_cmp(rec->rdata, rec->rdlen, b->recs[e - 1].rdata, b->recs[e - 1].rdlen) == 0)
					continue; /* duplicate RR: RRsets are sets (RFC 2181 §5) */
				if (rec->ttl != ttl) {
					ttl_mismatch = true;
					if (rec->ttl < ttl)
						ttl = rec->ttl;
				}
				bytes += 2u + rec->rdlen;
				count++;
			}
			if (ttl_mismatch)
				warn(b, b->recs[s].src, "TTLs differ inside an RRset at %s, using the lowest (RFC 2181 section 5.2)", o->name);
			zone_rrset_t *rs = &n->rrsets[n->nrrsets++];
			rs->type = b->recs[s].type;
			rs->count = count;
			rs->ttl = ttl;
			rs->rdata = arena_alloc_bytes(&z->arena, bytes);
			if (rs->rdata == NULL)
				goto fail;
			uint8_t *p = rs->rdata;
			for (size_t k = s; k < e; k++) {
				const brec_t *rec = &b->recs[k];
				if (k > s && zone_rdata_cmp(rec->rdata, rec->rdlen, b->recs[k - 1].rdata, b->recs[k - 1].rdlen) == 0)
					continue;
				memcpy(p, &rec->rdlen, 2);
				memcpy(p + 2, rec->rdata, rec->rdlen);
				p += 2u + rec->rdlen;
				z->nrecords++;
			}
			if (i == 0 && rs->type == RR_SOA)
				node_src[0] = b->recs[s].src;
			s = e;
		}
	}
	z->apex = &z->nodes[0];
	z->apex->flags |= ZN_APEX;
	if (same_names(z, b->like)) {
		/* Same names in the same order: the same index, copied. */
		size_t bytes = ((size_t)b->like->hash_mask + 1) * sizeof(uint32_t);
		z->hash = malloc(bytes);
		if (z->hash == NULL)
			goto fail;
		memcpy(z->hash, b->like->hash, bytes);
		z->hash_mask = b->like->hash_mask;
	} else if (build_hash(z) != 0) {
		goto fail;
	}

	/* Parents, cuts, occlusion, wildcard children: parents precede children.
	 * The parent of node i is on the stack of node i-1's ancestors (every
	 * name between them in canonical order is the parent's descendant), so
	 * no lookup is needed. */
	uint32_t pstack[DNAME_MAXLABELS + 1];
	size_t pdepth = 1;
	pstack[0] = 0;
	for (uint32_t i = 1; i < z->nnodes; i++) {
		zone_node_t *n = &z->nodes[i];
		const uint8_t *pname = n->name + 1 + n->name[0];
		size_t plen = n->name_len - 1u - n->name[0];
		while (pdepth > 0 && (z->nodes[pstack[pdepth - 1]].name_len != plen ||
				      memcmp(z->nodes[pstack[pdepth - 1]].name, pname, plen) != 0))
			pdepth--;
		if (pdepth == 0)
			goto fail; /* cannot happen: every ancestor was added */
		const zone_node_t *p = &z->nodes[pstack[pdepth - 1]];
		n->parent = zone_node_index(z, p);
		if (pdepth <= DNAME_MAXLABELS)
			pstack[pdepth++] = i;
		if ((p->flags & (ZN_DELEG | ZN_NONAUTH)) || zone_node_rrset(p, RR_DNAME) != NULL)
			n->flags |= ZN_NONAUTH;
		else if (zone_node_rrset(n, RR_NS) != NULL)
			n->flags |= ZN_DELEG;
		if (dname_is_wildcard(n->name))
			z->nodes[n->parent].flags |= ZN_WILDCHILD;
	}
	z->soa = zone_node_rrset(z->apex, RR_SOA);
	ret = validate(b, z, node_src, err);
	if (ret != 0)
		goto fail;
	ret = FL_ENOMEM;
	if (build_denial_index(z) != 0)
		goto fail;
	{
		/* serial: after MNAME and RNAME */
		const uint8_t *rd = z->soa->rdata + 2;
		size_t off = dname_len(rd);
		off += dname_len(rd + off);
		z->serial = wire_u32(rd + off);
	}
	z->loaded = time(NULL);
	*out = z;
	z = NULL;
	ret = 0;
fail:
	if (ret == FL_ENOMEM && err != NULL && err->msg[0] == '\0')
		snprintf(err->msg, sizeof(err->msg), "out of memory");
	zone_free(z);
	free(keys);
	free(node_src);
	arena_free(&keyarena);
	zone_builder_abort(b);
	return ret;
}

uint32_t
zone_expire_value(const zone_t *z, uint64_t now)
{
	uint64_t at = __atomic_load_n(&z->expire_at, __ATOMIC_RELAXED);
	if (at != 0)
		return at > now ? (uint32_t)(at - now > UINT32_MAX ? UINT32_MAX : at - now) : 0;
	/* SOA rdata: two uncompressed names, serial, refresh, retry, expire, minimum. */
	uint16_t len = msg_rd_len(z->soa->rdata);
	const uint8_t *d = msg_rd_data(z->soa->rdata);
	return len >= 20 ? wire_u32(d + len - 8) : 0;
}
