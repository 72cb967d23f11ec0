/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Full zone signing (see sign.h). Three builds, each a validated version:
 * the records plus the DNSKEYs; that plus the NSEC/NSEC3 chain (computed
 * from the second's nodes, which are in canonical order with their empty
 * non-terminals and cut flags); that plus the RRSIGs. The signatures are
 * the expensive part and the only one spread over threads.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/dname.h"
#include "dns/msg.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "dnssec/nsec.h"
#include "dnssec/rrsig.h"
#include "dnssec/sign.h"
#include "dnssec/sigtime.h"
#include "util/err.h"
#include "zone/zonemd.h"

#define SIGN_MAX_THREADS 64

static bool
chain_type(uint16_t t)
{
	return t == RR_RRSIG || t == RR_NSEC || t == RR_NSEC3 || t == RR_NSEC3PARAM;
}

/* Apex RRsets of the unsigned version that signing replaces with its own:
 * the ZONEMD (stale once the zone is signed), and with o->cds the CDS and CDNSKEY. */
static bool
replaced_at_apex(const zone_node_t *n, uint16_t t, const sign_opts_t *o)
{
	return (n->flags & ZN_APEX) && (t == RR_ZONEMD || (o->cds && (t == RR_CDS || t == RR_CDNSKEY)));
}

/* Node n's records into b, except the ones signing regenerates: all of
 * them (RRSIG, NSEC, NSEC3, NSEC3PARAM, and from the unsigned version,
 * unsigned_o given, the apex RRsets of replaced_at_apex), or with
 * keep_chain only the RRSIGs. */
static int
copy_node(zone_builder_t *b, const zone_node_t *n, bool keep_chain, const sign_opts_t *unsigned_o)
{
	for (uint16_t r = 0; r < n->nrrsets; r++) {
		const zone_rrset_t *rs = &n->rrsets[r];
		if (keep_chain ? rs->type == RR_RRSIG : chain_type(rs->type))
			continue;
		if (unsigned_o != NULL && replaced_at_apex(n, rs->type, unsigned_o))
			continue;
		const uint8_t *rd = rs->rdata;
		for (uint16_t k = 0; k < rs->count; k++, rd = msg_rd_next(rd)) {
			int ret = zone_builder_add(b, n->name, n->name_len, rs->type, RR_CLASS_IN, rs->ttl, msg_rd_data(rd),
						   msg_rd_len(rd), 0);
			if (ret != 0)
				return ret;
		}
	}
	return 0;
}

static int
finish(zone_builder_t *b, zone_t **out, const char *stage, char *err, size_t errlen)
{
	zone_error_t zerr;
	memset(&zerr, 0, sizeof(zerr));
	int ret = zone_builder_finish(b, out, &zerr);
	if (ret != 0)
		snprintf(err, errlen, "signing (%s): %s", stage, ret == FL_ENOMEM ? "out of memory" : zerr.msg);
	return ret;
}

/* RFC 9077: the negative-answer TTL, min(SOA TTL, MINIMUM). */
static uint32_t
nsec_ttl(const zone_t *z)
{
	const uint8_t *rd = z->soa->rdata;
	uint32_t min = wire_u32(msg_rd_data(rd) + msg_rd_len(rd) - 4);
	return z->soa->ttl < min ? z->soa->ttl : min;
}

/* Types of a node, plus the extras its chain record will claim. */
static size_t
node_types(const zone_node_t *n, uint16_t *t, bool rrsig, uint16_t extra1, uint16_t extra2)
{
	size_t k = 0;
	for (uint16_t r = 0; r < n->nrrsets; r++)
		if (!chain_type(n->rrsets[r].type))
			t[k++] = n->rrsets[r].type;
	if (rrsig)
		t[k++] = RR_RRSIG;
	if (extra1 != 0)
		t[k++] = extra1;
	if (extra2 != 0)
		t[k++] = extra2;
	return k;
}

static bool
has_type(const zone_node_t *n, uint16_t type)
{
	return zone_node_rrset(n, type) != NULL;
}

/* Does this node get an RRSIG (an authoritative RRset other than delegation NS)? */
static bool
signed_node(const zone_node_t *n)
{
	if (n->flags & ZN_NONAUTH)
		return false;
	if (n->flags & ZN_DELEG)
		return has_type(n, RR_DS);
	for (uint16_t r = 0; r < n->nrrsets; r++)
		if (!chain_type(n->rrsets[r].type))
			return true;
	return false;
}

/*
 * Chain records waiting for the build, in canonical order of their owners,
 * so the builder sees every owner once and in order (its sorted path, no
 * owner hashing or re-sorting): u8 owner length, owner, u16 type, u32 TTL,
 * u16 rdata length, rdata (host order).
 */
typedef struct {
	uint8_t *buf;
	size_t len, cap;
} recbuf_t;

static int
recbuf_add(recbuf_t *r, const uint8_t *owner, size_t olen, uint16_t type, uint32_t ttl, const uint8_t *rd,
	   uint16_t rdlen)
{
	size_t need = 1 + olen + 8 + rdlen;
	if (r->len + need > r->cap) {
		size_t nc = r->cap == 0 ? 65536 : r->cap * 2;
		while (nc < r->len + need)
			nc *= 2;
		uint8_t *g = realloc(r->buf, nc);
		if (g == NULL)
			return FL_ENOMEM;
		r->buf = g;
		r->cap = nc;
	}
	uint8_t *w = r->buf + r->len;
	w[0] = (uint8_t)olen;
	memcpy(w + 1, owner, olen);
	memcpy(w + 1 + olen, &type, 2);
	memcpy(w + 3 + olen, &ttl, 4);
	memcpy(w + 7 + olen, &rdlen, 2);
	memcpy(w + 9 + olen, rd, rdlen);
	r->len += need;
	return 0;
}

/* Add the buffered record at *pos to b and step over it. */
static int
recbuf_put(zone_builder_t *b, const recbuf_t *r, size_t *pos)
{
	const uint8_t *p = r->buf + *pos;
	uint16_t type, rdlen;
	uint32_t ttl;
	memcpy(&type, p + 1 + p[0], 2);
	memcpy(&ttl, p + 3 + p[0], 4);
	memcpy(&rdlen, p + 7 + p[0], 2);
	*pos += 9u + p[0] + rdlen;
	return zone_builder_add(b, p + 1, p[0], type, RR_CLASS_IN, ttl, p + 9 + p[0], rdlen, 0);
}

/* The records of u merged with the chain records of r (both in canonical
 * order): a chain record goes in before the first node whose name sorts
 * after its owner, or with its node's own records. */
static int
copy_with_chain(zone_builder_t *b, const zone_t *u, const recbuf_t *r)
{
	size_t pos = 0;
	int ret = 0;
	for (uint32_t i = 0; i < u->nnodes && ret == 0; i++) {
		const zone_node_t *n = &u->nodes[i];
		while (ret == 0 && pos < r->len && dname_canon_cmp(r->buf + pos + 1, n->name) < 0)
			ret = recbuf_put(b, r, &pos);
		if (ret == 0)
			ret = copy_node(b, n, false, NULL);
		while (ret == 0 && pos < r->len && r->buf[pos] == n->name_len &&
		       memcmp(r->buf + pos + 1, n->name, n->name_len) == 0)
			ret = recbuf_put(b, r, &pos);
	}
	while (ret == 0 && pos < r->len)
		ret = recbuf_put(b, r, &pos);
	return ret;
}

/* The NSEC chain: one NSEC per authoritative name with data (RFC 4034 §4, 4035 §2.3). */
static int
add_nsec(recbuf_t *b, const zone_t *u, size_t *count)
{
	uint32_t ttl = nsec_ttl(u), first = UINT32_MAX, prev = UINT32_MAX;
	uint16_t types[1024];
	uint8_t bm[NSEC_BITMAP_MAXLEN], rd[DNAME_MAXLEN + NSEC_BITMAP_MAXLEN];
	/* Each NSEC is written when its successor is known; the last points at the first. */
	for (uint32_t i = 0; i <= u->nnodes; i++) {
		uint32_t cur = UINT32_MAX;
		if (i < u->nnodes) {
			const zone_node_t *n = &u->nodes[i];
			if ((n->flags & ZN_NONAUTH) || n->nrrsets == 0)
				continue;
			cur = i;
		} else {
			cur = first;
		}
		if (first == UINT32_MAX)
			first = cur;
		if (prev != UINT32_MAX) {
			const zone_node_t *p = &u->nodes[prev];
			size_t nt = node_types(p, types, true, RR_NSEC, 0);
			int bl = nsec_bitmap(types, nt, bm, sizeof(bm));
			int rl = bl < 0 ? bl : nsec_rdata(u->nodes[cur].name, bm, (size_t)bl, rd, sizeof(rd));
			if (rl < 0)
				return rl;
			int ret = recbuf_add(b, p->name, p->name_len, RR_NSEC, ttl, rd, (uint16_t)rl);
			if (ret != 0)
				return ret;
			(*count)++;
		}
		if (i == u->nnodes)
			break;
		prev = cur;
	}
	return 0;
}

typedef struct {
	uint8_t hash[NSEC3_HASHLEN];
	uint32_t node;
} h3_t;

static int
h3_cmp(const void *a, const void *b)
{
	return nsec3_hash_cmp(((const h3_t *)a)->hash, ((const h3_t *)b)->hash);
}

/* The NSEC3 chain and NSEC3PARAM (RFC 5155 §7.1): every authoritative name,
 * empty non-terminals included; with opt-out, delegations without DS left out. */
static int
add_nsec3(recbuf_t *b, const zone_t *u, const sign_opts_t *o, size_t *count)
{
	uint32_t ttl = nsec_ttl(u);
	uint8_t flags = o->optout ? NSEC3_FLAG_OPTOUT : 0;
	uint16_t types[1024];
	uint8_t bm[NSEC_BITMAP_MAXLEN], rd[NSEC_BITMAP_MAXLEN + 600], owner[DNAME_MAXLEN];
	h3_t *h = calloc(u->nnodes + 1, sizeof(*h));
	size_t n = 0;
	int ret = 0;
	if (h == NULL)
		return FL_ENOMEM;
	int pl = nsec3param_rdata(0, o->iterations, o->salt, o->saltlen, rd, sizeof(rd));
	if (pl < 0 || (ret = recbuf_add(b, u->origin, u->origin_len, RR_NSEC3PARAM, 0, rd, (uint16_t)pl)) != 0) {
		ret = pl < 0 ? pl : ret;
		goto done;
	}
	for (uint32_t i = 0; i < u->nnodes; i++) {
		const zone_node_t *nd = &u->nodes[i];
		if (nd->flags & ZN_NONAUTH)
			continue;
		if (o->optout && (nd->flags & ZN_DELEG) && !has_type(nd, RR_DS))
			continue;
		if ((ret = nsec3_hash(nd->name, o->salt, o->saltlen, o->iterations, h[n].hash)) != 0)
			goto done;
		h[n++].node = i;
	}
	qsort(h, n, sizeof(*h), h3_cmp);
	for (size_t i = 0; i < n; i++) {
		const zone_node_t *nd = &u->nodes[h[i].node];
		size_t nt = node_types(nd, types, signed_node(nd) || (nd->flags & ZN_APEX), (nd->flags & ZN_APEX) ? RR_NSEC3PARAM : 0, 0);
		int bl = nsec_bitmap(types, nt, bm, sizeof(bm));
		int ol = bl < 0 ? bl : nsec3_owner(h[i].hash, u->origin, owner);
		int rl = ol < 0 ? ol
				: nsec3_rdata(flags, o->iterations, o->salt, o->saltlen, h[(i + 1) % n].hash, NSEC3_HASHLEN, bm,
					      (size_t)bl, rd, sizeof(rd));
		if (rl < 0) {
			ret = rl;
			goto done;
		}
		if ((ret = recbuf_add(b, owner, dname_len(owner), RR_NSEC3, ttl, rd, (uint16_t)rl)) != 0)
			goto done;
		(*count)++;
	}
done:
	free(h);
	return ret;
}

/* ---- signatures, on threads ---- */

typedef struct {
	uint32_t node;
	uint16_t rrset;
} task_t;

typedef struct {
	const zone_t *v;
	const task_t *tasks;
	size_t from, to;
	dkey_t *const *keys;
	size_t nkeys;
	bool any_zsk, any_ksk;
	const sign_opts_t *o;
	uint8_t *out;         /* records: u32 task index, u16 length, rdata */
	size_t len, cap;
	size_t nsigs, reused;
	uint32_t pj;          /* o->prev's node matched last (UINT32_MAX: none) */
	int ret;
} worker_t;

static int
emit(worker_t *w, size_t task, const uint8_t *rd, int len)
{
	if (w->len + 6 + (size_t)len > w->cap) {
		size_t nc = w->cap == 0 ? 65536 : w->cap * 2;
		while (nc < w->len + 6 + (size_t)len)
			nc *= 2;
		uint8_t *g = realloc(w->out, nc);
		if (g == NULL)
			return FL_ENOMEM;
		w->out = g;
		w->cap = nc;
	}
	wire_set_u32(w->out + w->len, (uint32_t)task);
	wire_set_u16(w->out + w->len + 4, (uint16_t)len);
	memcpy(w->out + w->len + 6, rd, (size_t)len);
	w->len += 6 + (size_t)len;
	w->nsigs++;
	return 0;
}

/* KSKs sign the DNSKEY RRset, and the CDS and CDNSKEY RRsets (RFC 7344
 * §4.1: signed by a key the parent's DS points at), ZSKs the rest; a lone
 * kind signs everything. */
bool
sign_key_signs(const dkey_t *k, uint16_t type, bool any_zsk, bool any_ksk)
{
	bool sep = dkey_flags(k) & DKEY_FLAG_SEP;
	bool ksk_type = type == RR_DNSKEY || type == RR_CDS || type == RR_CDNSKEY;
	return ksk_type ? (sep || !any_ksk) : (!sep || !any_zsk);
}

/* The previous version's RRSIG over this unchanged RRset by key k, still
 * valid for longer than refresh at now (RFC 1982 arithmetic), or NULL. */
static const uint8_t *
reusable(const sign_opts_t *o, const zone_node_t *pn, const zone_rrset_t *rs, const dkey_t *k, uint16_t *len)
{
	const zone_rrset_t *prs = pn != NULL ? zone_node_rrset(pn, rs->type) : NULL;
	const zone_rrset_t *sigs = pn != NULL ? zone_node_rrset(pn, RR_RRSIG) : NULL;
	if (prs == NULL || sigs == NULL || !zone_rrset_equal(prs, rs))
		return NULL;
	const uint8_t *rd = sigs->rdata;
	for (uint16_t i = 0; i < sigs->count; i++, rd = msg_rd_next(rd)) {
		const uint8_t *d = msg_rd_data(rd);
		if (msg_rd_len(rd) < RRSIG_FIXED_LEN || wire_u16(d) != rs->type || d[2] != (uint8_t)dkey_alg(k) ||
		    wire_u16(d + 16) != dkey_tag(k) || wire_u32(d + 4) != rs->ttl)
			continue;
		if ((int32_t)(o->now - wire_u32(d + 12)) < 0 || (int32_t)(wire_u32(d + 8) - o->now) <= (int32_t)o->refresh)
			continue;
		*len = msg_rd_len(rd);
		return d;
	}
	return NULL;
}

static void *
sign_worker(void *arg)
{
	worker_t *w = arg;
	rrsig_ctx_t c = { 0 };
	uint8_t rd[RRSIG_FIXED_LEN + DNAME_MAXLEN + DKEY_SIG_MAX];
	for (size_t t = w->from; t < w->to && w->ret == 0; t++) {
		const zone_node_t *n = &w->v->nodes[w->tasks[t].node];
		const zone_rrset_t *rs = &n->rrsets[w->tasks[t].rrset];
		/* tasks come in canonical order, like prev's nodes */
		const zone_node_t *pn = w->o->prev != NULL ? zone_find_near(w->o->prev, n->name, n->name_len, &w->pj) : NULL;
		for (size_t k = 0; k < w->nkeys && w->ret == 0; k++) {
			if (!sign_key_signs(w->keys[k], rs->type, w->any_zsk, w->any_ksk))
				continue;
			uint16_t ol = 0;
			const uint8_t *old = reusable(w->o, pn, rs, w->keys[k], &ol);
			if (old != NULL) {
				w->ret = emit(w, t, old, ol);
				w->nsigs--; /* counted as reused, not made */
				w->reused++;
				continue;
			}
			uint32_t exp = w->o->expiration - sigtime_jitter(n->name, rs->type, w->o->jitter);
			int len = rrsig_make(&c, w->keys[k], n->name, rs, w->o->inception, exp, rd, sizeof(rd));
			w->ret = len < 0 ? len : emit(w, t, rd, len);
		}
	}
	rrsig_ctx_free(&c);
	return NULL;
}

bool
sign_rrset_signed(const zone_node_t *n, uint16_t type)
{
	if (type == RR_RRSIG || (n->flags & ZN_NONAUTH))
		return false;
	if (n->flags & ZN_DELEG)
		return type == RR_DS || type == RR_NSEC;
	return true;
}

void
sign_key_kinds(dkey_t *const *keys, size_t nkeys, bool *any_zsk, bool *any_ksk)
{
	*any_zsk = *any_ksk = false;
	for (size_t k = 0; k < nkeys; k++) {
		if (dkey_flags(keys[k]) & DKEY_FLAG_SEP)
			*any_ksk = true;
		else
			*any_zsk = true;
	}
}

/* v's records and their RRSIGs (made on threads, or reused from o->prev) into b. */
static int
add_signatures(zone_builder_t *b, const zone_t *v, dkey_t *const *keys, size_t nkeys, const sign_opts_t *o,
	       size_t *count, size_t *reused)
{
	size_t ntask = 0;
	int ret = 0;
	for (uint32_t i = 0; i < v->nnodes; i++)
		ntask += v->nodes[i].nrrsets;
	task_t *tasks = calloc(ntask + 1, sizeof(*tasks));
	unsigned nt = o->threads > 1 ? o->threads : 1;
	if (nt > SIGN_MAX_THREADS)
		nt = SIGN_MAX_THREADS;
	worker_t *w = calloc(nt, sizeof(*w));
	if (tasks == NULL || w == NULL) {
		ret = FL_ENOMEM;
		goto done;
	}
	ntask = 0;
	for (uint32_t i = 0; i < v->nnodes; i++) {
		const zone_node_t *n = &v->nodes[i];
		for (uint16_t r = 0; r < n->nrrsets; r++) {
			if (!sign_rrset_signed(n, n->rrsets[r].type))
				continue;
			tasks[ntask++] = (task_t){ i, r };
		}
	}
	bool any_zsk, any_ksk;
	sign_key_kinds(keys, nkeys, &any_zsk, &any_ksk);
	pthread_t th[SIGN_MAX_THREADS];
	bool started[SIGN_MAX_THREADS] = { false };
	for (unsigned i = 0; i < nt; i++) {
		w[i] = (worker_t){ .v = v, .tasks = tasks, .from = ntask * i / nt, .to = ntask * (i + 1) / nt, .keys = keys,
				   .nkeys = nkeys, .any_zsk = any_zsk, .any_ksk = any_ksk, .o = o, .pj = UINT32_MAX };
		if (i > 0 && pthread_create(&th[i], NULL, sign_worker, &w[i]) == 0)
			started[i] = true;
		else if (i > 0)
			sign_worker(&w[i]); /* no thread: do its share here */
	}
	sign_worker(&w[0]);
	for (unsigned i = 1; i < nt; i++)
		if (started[i])
			pthread_join(th[i], NULL);
	for (unsigned i = 0; i < nt && ret == 0; i++) {
		ret = w[i].ret;
		*count += w[i].nsigs;
		*reused += w[i].reused;
	}
	/* The version's records, each node's followed by its new RRSIGs: the
	 * workers' outputs are in task order, which is node order, so the
	 * builder gets every owner once and in canonical order. */
	unsigned wi = 0;
	size_t off = 0;
	for (uint32_t i = 0; i < v->nnodes && ret == 0; i++) {
		const zone_node_t *n = &v->nodes[i];
		ret = copy_node(b, n, true, NULL);
		for (;;) {
			while (wi < nt && off >= w[wi].len) {
				wi++;
				off = 0;
			}
			if (ret != 0 || wi == nt)
				break;
			const task_t *t = &tasks[wire_u32(w[wi].out + off)];
			if (t->node != i)
				break;
			uint16_t len = wire_u16(w[wi].out + off + 4);
			ret = zone_builder_add(b, n->name, n->name_len, RR_RRSIG, RR_CLASS_IN, n->rrsets[t->rrset].ttl,
					       w[wi].out + off + 6, len, 0);
			off += 6u + len;
		}
	}
done:
	for (unsigned i = 0; w != NULL && i < nt; i++)
		free(w[i].out);
	free(w);
	free(tasks);
	return ret;
}

/* RFC 7344 §3: the CDNSKEY (the DNSKEY rdata) and the CDS (SHA-256, RFC
 * 7344 §3.1 as DS) of a SEP key, with the DNSKEY TTL. */
static int
add_cds(zone_builder_t *b, const zone_t *z, const dkey_t *k, uint32_t ttl)
{
	size_t len;
	const uint8_t *rd = dkey_rdata(k, &len);
	uint8_t ds[DKEY_DS_MAX];
	int dl = dkey_ds(k, DKEY_DS_SHA256, ds, sizeof(ds));
	if (dl < 0)
		return dl;
	int ret = zone_builder_add(b, z->origin, z->origin_len, RR_CDNSKEY, RR_CLASS_IN, ttl, rd, (uint16_t)len, 0);
	return ret != 0 ? ret : zone_builder_add(b, z->origin, z->origin_len, RR_CDS, RR_CLASS_IN, ttl, ds, (uint16_t)dl, 0);
}

/* ---- ZONEMD (RFC 8976) ---- */

static size_t
zonemd_len(uint8_t alg)
{
	return alg == ZONEMD_HASH_SHA384 ? 48 : 64;
}

/* The first build's apex ZONEMD: the final serial, scheme and length, a
 * zero digest. It makes the chain list ZONEMD; zonemd_fill writes the digest. */
static int
add_zonemd_placeholder(zone_builder_t *b, const zone_t *z, uint8_t alg)
{
	uint8_t rd[6 + ZONEMD_DIGEST_MAX] = { 0 };
	wire_set_u32(rd, z->serial);
	rd[4] = ZONEMD_SCHEME_SIMPLE;
	rd[5] = alg;
	return zone_builder_add(b, z->origin, z->origin_len, RR_ZONEMD, RR_CLASS_IN, z->soa->ttl, rd,
				(uint16_t)(6 + zonemd_len(alg)), 0);
}

static int
rdp_cmp(const void *a, const void *b)
{
	const uint8_t *x = *(const uint8_t *const *)a, *y = *(const uint8_t *const *)b;
	return zone_rdata_cmp(msg_rd_data(x), msg_rd_len(x), msg_rd_data(y), msg_rd_len(y));
}

/* Restore the canonical order of an RRset whose rdata were replaced in place
 * (same total length): only when it was broken, which takes ZONEMD RRSIGs
 * of different keys, some reused and some new (their times differ). */
static int
resort_rrset(zone_rrset_t *rs)
{
	const uint8_t *last = NULL, *rd = rs->rdata;
	bool sorted = true;
	for (uint16_t i = 0; i < rs->count; i++, rd = msg_rd_next(rd)) {
		if (last != NULL && rdp_cmp(&last, &rd) >= 0)
			sorted = false;
		last = rd;
	}
	if (sorted)
		return 0;
	size_t total = (size_t)(rd - rs->rdata);
	const uint8_t **v = calloc(rs->count, sizeof(*v));
	uint8_t *copy = malloc(total);
	if (v == NULL || copy == NULL) {
		free(v);
		free(copy);
		return FL_ENOMEM;
	}
	memcpy(copy, rs->rdata, total);
	rd = copy;
	for (uint16_t i = 0; i < rs->count; i++, rd = msg_rd_next(rd))
		v[i] = rd;
	qsort(v, rs->count, sizeof(*v), rdp_cmp);
	uint8_t *w = rs->rdata;
	for (uint16_t i = 0; i < rs->count; i++) {
		size_t l = 2u + msg_rd_len(v[i]);
		memcpy(w, v[i], l);
		w += l;
	}
	free(v);
	free(copy);
	return 0;
}

/* The placeholder RRSIG over the apex ZONEMD by k (covered type, algorithm, key tag), or NULL. */
static uint8_t *
zonemd_sig_slot(zone_rrset_t *sigs, const dkey_t *k)
{
	uint8_t *rd = sigs->rdata;
	for (uint16_t i = 0; i < sigs->count; i++, rd += 2u + msg_rd_len(rd)) {
		const uint8_t *d = msg_rd_data(rd);
		if (msg_rd_len(rd) >= RRSIG_FIXED_LEN && wire_u16(d) == RR_ZONEMD && d[2] == (uint8_t)dkey_alg(k) &&
		    wire_u16(d + 16) == dkey_tag(k))
			return rd;
	}
	return NULL;
}

/* Digest the signed version s and write it over the placeholder's, then
 * replace the RRSIGs over the ZONEMD RRset (reused from o->prev when that
 * has the same ZONEMD, so an unchanged zone signs into the same bytes).
 * s was built by sign_zone and is not published yet: nobody reads these
 * bytes, whose lengths do not change (same digest length; an RRSIG by one
 * key over one RRset has one length). */
static int
zonemd_fill(zone_t *s, dkey_t *const *keys, size_t nkeys, const sign_opts_t *o, sign_stats_t *st, char *err,
	    size_t errlen)
{
	uint8_t d[ZONEMD_DIGEST_MAX], rd[RRSIG_FIXED_LEN + DNAME_MAXLEN + DKEY_SIG_MAX];
	size_t dl = 0;
	rrsig_ctx_t c = { 0 };
	bool any_zsk, any_ksk;
	int ret = zonemd_digest(s, ZONEMD_SCHEME_SIMPLE, o->zonemd_hash, d, &dl);
	if (ret != 0)
		return ret;
	zone_rrset_t *zm = (zone_rrset_t *)zone_node_rrset(s->apex, RR_ZONEMD);
	zone_rrset_t *sigs = (zone_rrset_t *)zone_node_rrset(s->apex, RR_RRSIG);
	if (zm == NULL || zm->count != 1 || msg_rd_len(zm->rdata) != 6 + dl || sigs == NULL) {
		snprintf(err, errlen, "signing (ZONEMD): the placeholder ZONEMD is not in the signed version");
		return FL_ESEMANTIC;
	}
	memcpy(zm->rdata + 2 + 6, d, dl);
	sign_key_kinds(keys, nkeys, &any_zsk, &any_ksk);
	for (size_t k = 0; k < nkeys && ret == 0; k++) {
		if (!sign_key_signs(keys[k], RR_ZONEMD, any_zsk, any_ksk))
			continue;
		uint8_t *slot = zonemd_sig_slot(sigs, keys[k]);
		uint16_t len = 0;
		const uint8_t *sig = reusable(o, o->prev != NULL ? o->prev->apex : NULL, zm, keys[k], &len);
		if (sig != NULL) {
			st->reused++;
		} else {
			int l = rrsig_make(&c, keys[k], s->origin, zm, o->inception, o->expiration, rd, sizeof(rd));
			if (l < 0) {
				ret = l;
				break;
			}
			sig = rd;
			len = (uint16_t)l;
			st->rrsigs++;
		}
		if (slot == NULL || msg_rd_len(slot) != len) {
			snprintf(err, errlen, "signing (ZONEMD): no placeholder RRSIG of the same length by key %u",
				 (unsigned)dkey_tag(keys[k]));
			ret = FL_ESEMANTIC;
			break;
		}
		memcpy(slot + 2, sig, len);
	}
	rrsig_ctx_free(&c);
	return ret != 0 ? ret : resort_rrset(sigs);
}

int
sign_zone(const zone_t *z, dkey_t *const *keys, size_t nkeys, const sign_opts_t *o, zone_t **out, sign_stats_t *stats,
	  char *err, size_t errlen)
{
	zone_t *u = NULL, *v = NULL;
	zone_builder_t *b = NULL;
	recbuf_t chain = { 0 };
	sign_stats_t st = { 0 };
	struct timespec t0, t1;
	int ret;
	*out = NULL;
	err[0] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (nkeys == 0 || (int32_t)(o->expiration - o->inception) <= 0 || z->soa == NULL ||
	    o->jitter >= o->expiration - o->inception) {
		snprintf(err, errlen, "signing: %s", nkeys == 0 ? "no key" : z->soa == NULL ? "no SOA"
				     : (int32_t)(o->expiration - o->inception) <= 0 ? "expiration not after inception"
										   : "jitter not less than the validity");
		return FL_EINVAL;
	}
	for (size_t k = 0; k < nkeys; k++) {
		if (!dname_eq(dkey_zone(keys[k]), z->origin)) {
			snprintf(err, errlen, "signing: key %u belongs to another zone", (unsigned)dkey_tag(keys[k]));
			return FL_EINVAL;
		}
		/* Signatures are told apart by algorithm and key tag (reuse, ZONEMD, validation). */
		for (size_t j = 0; j < k; j++)
			if (dkey_alg(keys[j]) == dkey_alg(keys[k]) && dkey_tag(keys[j]) == dkey_tag(keys[k])) {
				snprintf(err, errlen, "signing: two keys with algorithm %u and key tag %u", (unsigned)dkey_alg(keys[k]),
					 (unsigned)dkey_tag(keys[k]));
				return FL_EINVAL;
			}
	}
	if (o->zonemd_hash != 0 && o->zonemd_hash != ZONEMD_HASH_SHA384 && o->zonemd_hash != ZONEMD_HASH_SHA512) {
		snprintf(err, errlen, "signing: ZONEMD hash algorithm %u not supported", (unsigned)o->zonemd_hash);
		return FL_EINVAL;
	}
	/* 1. The records and the DNSKEYs. The apex's new records go first, so
	 * the records come in canonical order (the builder's fast path). */
	ret = FL_ENOMEM;
	if ((b = zone_builder_new(z->origin)) == NULL)
		goto fail;
	if (o->zonemd_hash != 0 && (ret = add_zonemd_placeholder(b, z, o->zonemd_hash)) != 0)
		goto fail;
	uint32_t kttl = o->dnskey_ttl != 0 ? o->dnskey_ttl : z->soa->ttl;
	for (size_t k = 0; k < nkeys; k++) {
		size_t len;
		const uint8_t *rd = dkey_rdata(keys[k], &len);
		ret = zone_builder_add(b, z->origin, z->origin_len, RR_DNSKEY, RR_CLASS_IN, kttl, rd, (uint16_t)len, 0);
		if (ret == 0 && o->cds && (dkey_flags(keys[k]) & DKEY_FLAG_SEP))
			ret = add_cds(b, z, keys[k], kttl);
		if (ret != 0)
			goto fail;
	}
	for (uint32_t i = 0; i < z->nnodes && ret == 0; i++)
		ret = copy_node(b, &z->nodes[i], false, o);
	if (ret != 0)
		goto fail;
	ret = finish(b, &u, "keys", err, errlen);
	b = NULL;
	if (ret != 0)
		goto done;
	/* 2. The chain, from that version's nodes, merged in canonical order. */
	ret = o->nsec3 ? add_nsec3(&chain, u, o, &st.chain) : add_nsec(&chain, u, &st.chain);
	if (ret != 0)
		goto fail;
	ret = FL_ENOMEM;
	if ((b = zone_builder_new(z->origin)) == NULL || (ret = copy_with_chain(b, u, &chain)) != 0)
		goto fail;
	free(chain.buf);
	chain.buf = NULL;
	ret = finish(b, &v, "chain", err, errlen);
	b = NULL;
	if (ret != 0)
		goto done;
	/* 3. The signatures. */
	ret = FL_ENOMEM;
	if ((b = zone_builder_new(z->origin)) == NULL)
		goto fail;
	if (o->prev != NULL)
		zone_builder_set_like(b, o->prev); /* an edit that kept the names: the same index */
	if ((ret = add_signatures(b, v, keys, nkeys, o, &st.rrsigs, &st.reused)) != 0)
		goto fail;
	ret = finish(b, out, "signatures", err, errlen);
	b = NULL;
	/* 4. The ZONEMD digest over the signed version, and its signatures. */
	if (ret == 0 && o->zonemd_hash != 0 && (ret = zonemd_fill(*out, keys, nkeys, o, &st, err, errlen)) != 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "signing (ZONEMD): %s", fl_strerror(ret));
		zone_free(*out);
		*out = NULL;
	}
	goto done;
fail:
	if (err[0] == '\0' || ret == FL_ENOMEM)
		snprintf(err, errlen, "signing: %s", fl_strerror(ret));
	zone_builder_abort(b);
done:
	free(chain.buf);
	zone_free(u);
	zone_free(v);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	st.ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	if (stats != NULL)
		*stats = st;
	return ret;
}
