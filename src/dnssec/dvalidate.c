/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Validate before publish (see dvalidate.h). One pass over the nodes checks
 * the RRSIGs' presence, keys and times and collects the signatures to
 * verify; the chain is checked next (NSEC from the nodes' canonical order,
 * NSEC3 by hashing every name and looking its hash up among the chain's
 * owners, which the canonical order keeps sorted by hash); the signatures
 * are verified last, on threads, since that is the expensive part. The
 * first problem found is the one reported.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/dname.h"
#include "dns/msg.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "dnssec/dvalidate.h"
#include "dnssec/nsec.h"
#include "dnssec/rrsig.h"
#include "dnssec/sign.h"
#include "util/err.h"

#define DVAL_MAX_THREADS 64

/* One signature to verify: the RRSIG rdata over an RRset, by a key. */
typedef struct {
	uint32_t node;
	uint16_t rrset;
	uint16_t key;
	const uint8_t *sig;
	uint16_t len;
} vtask_t;

typedef struct {
	const zone_t *z;
	dkey_t *const *keys;
	size_t nkeys;
	const dval_opts_t *o;
	dval_stats_t st;
	bool any_zsk, any_ksk;
	bool reuse;          /* o->prev usable: same DNSKEY RRset */
	uint32_t prev_hint;  /* zone_find_near() in o->prev */
	vtask_t *tasks;
	size_t ntask, cap;
	char *why;
	size_t whylen;
} dval_t;

/* "owner TYPE: what" into why; always FL_ESEMANTIC. */
__attribute__((format(printf, 4, 5))) static int
fail(dval_t *v, const uint8_t *owner, uint16_t type, const char *fmt, ...)
{
	char name[1024], tb[24], msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (dname_to_str(owner, name, sizeof(name)) < 0)
		snprintf(name, sizeof(name), "?");
	snprintf(v->why, v->whylen, "%s %s: %s", name, rrtype_to_str(type, tb, sizeof(tb)), msg);
	return FL_ESEMANTIC;
}

static const char *
type_str(uint16_t t, char *buf, size_t len)
{
	return rrtype_to_str(t, buf, len);
}

/* YYYYMMDDHHMMSS, as RRSIG times are written. */
static const char *
time_str(uint32_t t, char buf[24])
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, 24, "%Y%m%d%H%M%S", &tm) == 0)
		snprintf(buf, 24, "%u", t);
	return buf;
}

static int
key_index(const dval_t *v, uint8_t alg, uint16_t tag)
{
	for (size_t k = 0; k < v->nkeys; k++)
		if ((uint8_t)dkey_alg(v->keys[k]) == alg && dkey_tag(v->keys[k]) == tag)
			return (int)k;
	return -1;
}

static bool
rrset_has(const zone_rrset_t *rs, const uint8_t *d, size_t len)
{
	const uint8_t *rd = rs != NULL ? rs->rdata : NULL;
	for (uint16_t i = 0; rs != NULL && i < rs->count; i++, rd = msg_rd_next(rd))
		if (msg_rd_len(rd) == len && memcmp(msg_rd_data(rd), d, len) == 0)
			return true;
	return false;
}

static int
check_dnskeys(dval_t *v)
{
	const zone_rrset_t *ks = zone_node_rrset(v->z->apex, RR_DNSKEY);
	for (size_t k = 0; k < v->nkeys; k++) {
		size_t len;
		const uint8_t *rd = dkey_rdata(v->keys[k], &len);
		if (!rrset_has(ks, rd, len))
			return fail(v, v->z->origin, RR_DNSKEY, "key %u (%s) is not in the DNSKEY RRset",
				    (unsigned)dkey_tag(v->keys[k]), dkey_alg_name(dkey_alg(v->keys[k])));
	}
	return 0;
}

static int
add_task(dval_t *v, vtask_t t)
{
	if (v->ntask == v->cap) {
		size_t nc = v->cap == 0 ? 4096 : v->cap * 2;
		vtask_t *g = realloc(v->tasks, nc * sizeof(*g));
		if (g == NULL)
			return FL_ENOMEM;
		v->tasks = g;
		v->cap = nc;
	}
	v->tasks[v->ntask++] = t;
	return 0;
}

/* One node's RRSIGs: none below a cut, none left over (unknown key, absent
 * or unsigned type), one by each key that signs each signed RRset, every
 * one valid at now; those not identical to prev's become tasks. */
static int
check_node(dval_t *v, uint32_t i)
{
	const zone_node_t *n = &v->z->nodes[i];
	const zone_rrset_t *sigs = zone_node_rrset(n, RR_RRSIG);
	char t1[24];
	if (n->flags & ZN_NONAUTH) {
		if (sigs != NULL)
			return fail(v, n->name, RR_RRSIG, "RRSIG below a zone cut (glue and occluded data are not signed)");
		if (zone_node_rrset(n, RR_NSEC) != NULL)
			return fail(v, n->name, RR_NSEC, "NSEC below a zone cut");
		return 0;
	}
	const uint8_t *rd = sigs != NULL ? sigs->rdata : NULL;
	for (uint16_t s = 0; sigs != NULL && s < sigs->count; s++, rd = msg_rd_next(rd)) {
		const uint8_t *d = msg_rd_data(rd);
		if (msg_rd_len(rd) < RRSIG_FIXED_LEN + 1)
			return fail(v, n->name, RR_RRSIG, "malformed RRSIG (%u octets)", (unsigned)msg_rd_len(rd));
		uint16_t covered = wire_u16(d), tag = wire_u16(d + 16);
		if (zone_node_rrset(n, covered) == NULL)
			return fail(v, n->name, covered, "RRSIG by key %u over a type the name does not have", (unsigned)tag);
		if (!sign_rrset_signed(n, covered))
			return fail(v, n->name, covered, "RRSIG by key %u over an RRset that is not signed (delegation)",
				    (unsigned)tag);
		if (key_index(v, d[2], tag) < 0)
			return fail(v, n->name, covered, "RRSIG by unknown key %u (algorithm %u)", (unsigned)tag, d[2]);
	}
	/* nodes are checked in canonical order, like prev's */
	const zone_node_t *pn = v->reuse ? zone_find_near(v->o->prev, n->name, n->name_len, &v->prev_hint) : NULL;
	const zone_rrset_t *psigs = pn != NULL ? zone_node_rrset(pn, RR_RRSIG) : NULL;
	for (uint16_t r = 0; r < n->nrrsets; r++) {
		const zone_rrset_t *rs = &n->rrsets[r];
		if (!sign_rrset_signed(n, rs->type))
			continue;
		v->st.rrsets++;
		bool unchanged = psigs != NULL && zone_rrset_equal(rs, zone_node_rrset(pn, rs->type));
		for (size_t k = 0; k < v->nkeys; k++) {
			const dkey_t *key = v->keys[k];
			bool wanted = sign_key_signs(key, rs->type, v->any_zsk, v->any_ksk);
			bool seen = false;
			rd = sigs != NULL ? sigs->rdata : NULL;
			for (uint16_t s = 0; sigs != NULL && s < sigs->count; s++, rd = msg_rd_next(rd)) {
				const uint8_t *d = msg_rd_data(rd);
				if (wire_u16(d) != rs->type || d[2] != (uint8_t)dkey_alg(key) || wire_u16(d + 16) != dkey_tag(key))
					continue;
				seen = true;
				uint32_t exp = wire_u32(d + 8), inc = wire_u32(d + 12);
				if ((int32_t)(exp - v->o->now) < 0)
					return fail(v, n->name, rs->type, "RRSIG by key %u expired at %s", (unsigned)dkey_tag(key),
						    time_str(exp, t1));
				if ((int32_t)(v->o->now - inc) < 0)
					return fail(v, n->name, rs->type, "RRSIG by key %u not valid before %s",
						    (unsigned)dkey_tag(key), time_str(inc, t1));
				if (unchanged && rrset_has(psigs, d, msg_rd_len(rd))) {
					v->st.skipped++;
					continue;
				}
				int ret = add_task(v, (vtask_t){ i, r, (uint16_t)k, d, msg_rd_len(rd) });
				if (ret != 0)
					return ret;
			}
			if (wanted && !seen)
				return fail(v, n->name, rs->type, "no RRSIG by key %u (%s)", (unsigned)dkey_tag(key),
					    dkey_alg_name(dkey_alg(key)));
		}
	}
	return 0;
}

/* The bitmap lists exactly the types of node n (owner names the chain record in the reason). */
static int
check_bitmap(dval_t *v, const zone_node_t *n, uint16_t chain, const uint8_t *bm, size_t bl)
{
	char tb[24];
	if (nsec_bitmap_check(bm, bl) != 0)
		return fail(v, n->name, chain, "malformed type bitmap");
	for (uint16_t r = 0; r < n->nrrsets; r++)
		if (!nsec_bitmap_has(bm, bl, n->rrsets[r].type))
			return fail(v, n->name, chain, "type bitmap lacks %s", type_str(n->rrsets[r].type, tb, sizeof(tb)));
	for (size_t off = 0; off + 2 <= bl; off += 2u + bm[off + 1])
		for (unsigned j = 0; j < bm[off + 1] && off + 2 + j < bl; j++)
			for (unsigned b = 0; b < 8; b++) {
				uint16_t t = (uint16_t)(bm[off] * 256u + j * 8u + b);
				if ((bm[off + 2 + j] & (0x80u >> b)) && zone_node_rrset(n, t) == NULL)
					return fail(v, n->name, chain, "type bitmap lists %s, which the name does not have",
						    type_str(t, tb, sizeof(tb)));
			}
	return 0;
}

/* A name with data of its own (not an empty non-terminal, not a chain leftover). */
static bool
has_data(const zone_node_t *n)
{
	for (uint16_t r = 0; r < n->nrrsets; r++)
		if (n->rrsets[r].type != RR_RRSIG && n->rrsets[r].type != RR_NSEC)
			return true;
	return false;
}

/* NSEC's next name (lowercased) into next; the bitmap after it. */
static int
nsec_parse(dval_t *v, const zone_node_t *n, uint8_t *next, const uint8_t **bm, size_t *bl)
{
	const zone_rrset_t *ns = zone_node_rrset(n, RR_NSEC);
	size_t pos = 0;
	if (dname_unpack(msg_rd_data(ns->rdata), msg_rd_len(ns->rdata), &pos, next, true) < 0)
		return fail(v, n->name, RR_NSEC, "malformed next name");
	*bm = msg_rd_data(ns->rdata) + pos;
	*bl = msg_rd_len(ns->rdata) - pos;
	return 0;
}

static int
check_next(dval_t *v, const zone_node_t *a, const zone_node_t *b)
{
	uint8_t next[DNAME_MAXLEN];
	const uint8_t *bm;
	size_t bl;
	int ret = nsec_parse(v, a, next, &bm, &bl);
	if (ret != 0)
		return ret;
	if (!dname_eq(next, b->name)) {
		char x[1024], y[1024];
		dname_to_str(next, x, sizeof(x));
		dname_to_str(b->name, y, sizeof(y));
		return fail(v, a->name, RR_NSEC, "next name %s, expected %s", x, y);
	}
	return 0;
}

/* RFC 4034 §4, 4035 §2.3: one NSEC per authoritative name with data, a cycle in canonical order. */
static int
check_nsec(dval_t *v)
{
	const zone_t *z = v->z;
	const zone_node_t *first = NULL, *last = NULL;
	int ret;
	for (uint32_t i = 0; i < z->nnodes; i++) {
		const zone_node_t *n = &z->nodes[i];
		const zone_rrset_t *ns = zone_node_rrset(n, RR_NSEC);
		if (zone_node_rrset(n, RR_NSEC3) != NULL)
			return fail(v, n->name, RR_NSEC3, "NSEC3 in a zone without NSEC3PARAM");
		if ((n->flags & ZN_NONAUTH) || !has_data(n)) {
			if (ns != NULL)
				return fail(v, n->name, RR_NSEC, "NSEC at a name without authoritative data");
			continue;
		}
		if (ns == NULL)
			return fail(v, n->name, RR_NSEC, "no NSEC");
		if (ns->count != 1)
			return fail(v, n->name, RR_NSEC, "%u NSEC records", (unsigned)ns->count);
		uint8_t next[DNAME_MAXLEN];
		const uint8_t *bm;
		size_t bl;
		if ((ret = nsec_parse(v, n, next, &bm, &bl)) != 0 || (ret = check_bitmap(v, n, RR_NSEC, bm, bl)) != 0)
			return ret;
		if (last != NULL && (ret = check_next(v, last, n)) != 0)
			return ret;
		if (first == NULL)
			first = n;
		last = n;
		v->st.chain++;
	}
	return last != NULL ? check_next(v, last, first) : 0;
}

typedef struct {
	uint8_t hash[NSEC3_HASHLEN];
	uint32_t node;
	bool used;
} vh3_t;

static int
vh3_cmp(const void *a, const void *b)
{
	return nsec3_hash_cmp(((const vh3_t *)a)->hash, ((const vh3_t *)b)->hash);
}

/* An NSEC3 rdata's fields (RFC 5155 §3.2); false when malformed. */
typedef struct {
	uint8_t alg, flags, saltlen, hashlen;
	uint16_t iterations;
	const uint8_t *salt, *next, *bm;
	size_t bl;
} n3_t;

static bool
n3_parse(const uint8_t *d, size_t len, n3_t *p)
{
	if (len < 6)
		return false;
	p->alg = d[0];
	p->flags = d[1];
	p->iterations = wire_u16(d + 2);
	p->saltlen = d[4];
	p->salt = d + 5;
	if (len < 6u + p->saltlen)
		return false;
	p->hashlen = d[5 + p->saltlen];
	p->next = d + 6 + p->saltlen;
	if (len < 6u + p->saltlen + p->hashlen)
		return false;
	p->bm = p->next + p->hashlen;
	p->bl = len - 6u - p->saltlen - p->hashlen;
	return true;
}

static const char *
b32(const uint8_t *h, char out[40])
{
	b32hex_encode(h, NSEC3_HASHLEN, out, 40);
	return out;
}

/* RFC 5155 §7.1: NSEC3PARAM, one NSEC3 per authoritative name (ENTs too,
 * opt-out may leave insecure delegations out), a cycle in hash order. */
static int
check_nsec3(dval_t *v, const zone_rrset_t *param)
{
	const zone_t *z = v->z;
	char h1[40], h2[40];
	if (param->count != 1)
		return fail(v, z->origin, RR_NSEC3PARAM, "%u NSEC3PARAM records, expected 1", (unsigned)param->count);
	const uint8_t *pd = msg_rd_data(param->rdata);
	size_t pl = msg_rd_len(param->rdata);
	if (pl < 5 || pl != 5u + pd[4])
		return fail(v, z->origin, RR_NSEC3PARAM, "malformed");
	if (pd[0] != NSEC3_HASH_SHA1 || pd[1] != 0)
		return fail(v, z->origin, RR_NSEC3PARAM, "hash algorithm %u, flags %u (expected 1, 0)", pd[0], pd[1]);
	uint16_t iterations = wire_u16(pd + 2);
	const uint8_t *salt = pd + 5;
	uint8_t saltlen = pd[4];
	vh3_t *h = calloc(z->nnodes + 1, sizeof(*h));
	n3_t *p3 = calloc(z->nnodes + 1, sizeof(*p3));
	size_t m = 0;
	int flags = -1, ret = 0;
	if (h == NULL || p3 == NULL) {
		ret = FL_ENOMEM;
		goto done;
	}
	/* The chain's records: owners directly below the apex, one label of base32hex. */
	for (uint32_t i = 0; i < z->nnodes; i++) {
		const zone_node_t *n = &z->nodes[i];
		if (zone_node_rrset(n, RR_NSEC) != NULL) {
			ret = fail(v, n->name, RR_NSEC, "NSEC in an NSEC3-signed zone");
			goto done;
		}
		const zone_rrset_t *r3 = zone_node_rrset(n, RR_NSEC3);
		if (r3 == NULL)
			continue;
		n3_t *p = &p3[m];
		if (r3->count != 1 || n->parent != 0 || n->name[0] != NSEC3_B32LEN ||
		    b32hex_decode((const char *)n->name + 1, NSEC3_B32LEN, h[m].hash, NSEC3_HASHLEN) != NSEC3_HASHLEN ||
		    !n3_parse(msg_rd_data(r3->rdata), msg_rd_len(r3->rdata), p)) {
			ret = fail(v, n->name, RR_NSEC3, "malformed, more than one, or not at a hashed name below the apex");
			goto done;
		}
		if (p->alg != pd[0] || p->iterations != iterations || p->saltlen != saltlen ||
		    memcmp(p->salt, salt, saltlen) != 0 || p->hashlen != NSEC3_HASHLEN) {
			ret = fail(v, n->name, RR_NSEC3, "hash, iterations or salt differ from the NSEC3PARAM's");
			goto done;
		}
		if ((p->flags & ~NSEC3_FLAG_OPTOUT) != 0 || (flags >= 0 && p->flags != flags)) {
			ret = fail(v, n->name, RR_NSEC3, "flags %u differ from the chain's %d", p->flags, flags);
			goto done;
		}
		for (uint16_t r = 0; r < n->nrrsets; r++)
			if (n->rrsets[r].type != RR_NSEC3 && n->rrsets[r].type != RR_RRSIG) {
				ret = fail(v, n->name, n->rrsets[r].type, "data at a hashed owner name of the NSEC3 chain");
				goto done;
			}
		flags = p->flags;
		h[m++].node = i;
		v->st.chain++;
	}
	/* Every name that needs one has its NSEC3, with its types. bsearch
	 * needs h sorted by hash: canonical order of the owners is hash order
	 * (nsec.h), and an owner out of that order is caught here or below. */
	for (uint32_t i = 0; i < z->nnodes; i++) {
		const zone_node_t *n = &z->nodes[i];
		if ((n->flags & ZN_NONAUTH) || zone_node_rrset(n, RR_NSEC3) != NULL)
			continue;
		bool optional = flags >= 0 && (flags & NSEC3_FLAG_OPTOUT) && (n->flags & ZN_DELEG) &&
				zone_node_rrset(n, RR_DS) == NULL;
		vh3_t key;
		if ((ret = nsec3_hash(n->name, salt, saltlen, iterations, key.hash)) != 0)
			goto done;
		vh3_t *f = m > 0 ? bsearch(&key, h, m, sizeof(*h), vh3_cmp) : NULL;
		if (f == NULL) {
			if (optional)
				continue;
			ret = fail(v, n->name, RR_NSEC3, "no NSEC3 (hash %s)", b32(key.hash, h1));
			goto done;
		}
		f->used = true;
		const n3_t *p = &p3[f - h];
		if ((ret = check_bitmap(v, n, RR_NSEC3, p->bm, p->bl)) != 0)
			goto done;
	}
	/* Then the cycle (a missing NSEC3 is reported as such, above, not as
	 * a break in the chain): each next hash is the following owner's. */
	for (size_t k = 0; k < m; k++) {
		const vh3_t *want = &h[(k + 1) % m];
		if (memcmp(p3[k].next, want->hash, NSEC3_HASHLEN) != 0) {
			ret = fail(v, z->nodes[h[k].node].name, RR_NSEC3, "next hashed owner %s, expected %s",
				   b32(p3[k].next, h1), b32(want->hash, h2));
			goto done;
		}
	}
	for (size_t k = 0; k < m; k++)
		if (!h[k].used) {
			ret = fail(v, z->nodes[h[k].node].name, RR_NSEC3, "hashes no name of the zone");
			goto done;
		}
done:
	free(h);
	free(p3);
	return ret;
}

/* ---- signatures, on threads ---- */

typedef struct {
	const dval_t *v;
	size_t from, to;
	size_t bad;         /* first failing task, or SIZE_MAX */
	int verdict;
} vworker_t;

static void *
verify_worker(void *arg)
{
	vworker_t *w = arg;
	const dval_t *v = w->v;
	rrsig_ctx_t c = { 0 };
	w->bad = SIZE_MAX;
	for (size_t t = w->from; t < w->to; t++) {
		const vtask_t *k = &v->tasks[t];
		const zone_node_t *n = &v->z->nodes[k->node];
		int r = rrsig_check(&c, v->keys[k->key], n->name, &n->rrsets[k->rrset], k->sig, k->len, v->o->now);
		if (r != RRSIG_OK) {
			w->bad = t;
			w->verdict = r;
			break;
		}
	}
	rrsig_ctx_free(&c);
	return NULL;
}

static int
verify_all(dval_t *v)
{
	unsigned nt = v->o->threads > 1 ? v->o->threads : 1;
	if (nt > DVAL_MAX_THREADS)
		nt = DVAL_MAX_THREADS;
	vworker_t w[DVAL_MAX_THREADS];
	pthread_t th[DVAL_MAX_THREADS];
	bool started[DVAL_MAX_THREADS] = { false };
	for (unsigned i = 0; i < nt; i++) {
		w[i] = (vworker_t){ .v = v, .from = v->ntask * i / nt, .to = v->ntask * (i + 1) / nt };
		if (i > 0 && pthread_create(&th[i], NULL, verify_worker, &w[i]) == 0)
			started[i] = true;
		else if (i > 0)
			verify_worker(&w[i]); /* no thread: its share here */
	}
	verify_worker(&w[0]);
	for (unsigned i = 1; i < nt; i++)
		if (started[i])
			pthread_join(th[i], NULL);
	v->st.verified = v->ntask;
	/* Each worker stops at its first failure: the lowest of those is the first of all. */
	for (unsigned i = 0; i < nt; i++) {
		if (w[i].bad == SIZE_MAX)
			continue;
		const vtask_t *k = &v->tasks[w[i].bad];
		const zone_node_t *n = &v->z->nodes[k->node];
		if (w[i].verdict < 0)
			return w[i].verdict;
		return fail(v, n->name, n->rrsets[k->rrset].type, "RRSIG by key %u (%s): %s",
			    (unsigned)dkey_tag(v->keys[k->key]), dkey_alg_name(dkey_alg(v->keys[k->key])),
			    rrsig_verdict_str(w[i].verdict));
	}
	return 0;
}

int
dval_check(const zone_t *z, dkey_t *const *keys, size_t nkeys, const dval_opts_t *o, dval_stats_t *st, char *why,
	   size_t whylen)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	dval_t v = { .z = z, .keys = keys, .nkeys = nkeys, .o = o, .why = why, .whylen = whylen, .prev_hint = UINT32_MAX };
	int ret = 0;
	why[0] = '\0';
	if (nkeys == 0) {
		snprintf(why, whylen, "validation: no key");
		return FL_EINVAL;
	}
	sign_key_kinds(keys, nkeys, &v.any_zsk, &v.any_ksk);
	/* prev's signatures were verified with its DNSKEYs: reusable only when they are these. */
	v.reuse = o->prev != NULL && dname_eq(o->prev->origin, z->origin) &&
		  zone_rrset_equal(zone_node_rrset(o->prev->apex, RR_DNSKEY), zone_node_rrset(z->apex, RR_DNSKEY));
	if ((ret = check_dnskeys(&v)) != 0)
		goto done;
	for (uint32_t i = 0; i < z->nnodes && ret == 0; i++)
		ret = check_node(&v, i);
	if (ret != 0)
		goto done;
	const zone_rrset_t *param = zone_node_rrset(z->apex, RR_NSEC3PARAM);
	if ((ret = param != NULL ? check_nsec3(&v, param) : check_nsec(&v)) != 0)
		goto done;
	ret = verify_all(&v);
done:
	if (ret == FL_ENOMEM)
		snprintf(why, whylen, "validation: out of memory");
	free(v.tasks);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	v.st.ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	if (st != NULL)
		*st = v.st;
	return ret;
}
