/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Denial-of-existence proofs (see denial.h). Every lookup is a binary
 * search in the version's denial index; NSEC3 names are hashed with the
 * zone's own parameters at answer time, as a validator will.
 */
#include <string.h>

#include "dns/dname.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "dnssec/nsec.h"
#include "query/denial.h"
#include "util/err.h"

static void
add(denial_t *d, const zone_node_t *n)
{
	if (n == NULL)
		return;
	for (int i = 0; i < d->n; i++)
		if (d->node[i] == n)
			return;
	if (d->n < DENIAL_MAX)
		d->node[d->n++] = n;
}

static void
reset(const zone_t *z, denial_t *d)
{
	d->mode = denial_mode(z);
	d->n = 0;
}

denial_mode_t
denial_mode(const zone_t *z)
{
	if (z->nnsec3 > 0 && z->nsec3param != NULL)
		return DENIAL_NSEC3;
	return z->nnsec > 0 ? DENIAL_NSEC : DENIAL_NONE;
}

/* ---- NSEC ---- */

/* The NSEC owner at or before name in canonical order: the NSEC that
 * matches or covers it. The apex owns one and sorts first, so the search
 * never runs off the front; for safety the last one (which covers the
 * space after the last name, wrapping) is the fallback. */
static const zone_node_t *
nsec_le(const zone_t *z, const uint8_t *name)
{
	uint32_t lo = 0, hi = z->nnsec;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (dname_canon_cmp(z->nodes[z->nsec_idx[mid]].name, name) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return &z->nodes[z->nsec_idx[lo == 0 ? z->nnsec - 1 : lo - 1]];
}

/* The wildcard label on top of an encloser name. */
static size_t
wild_of(const uint8_t *ce, uint8_t *buf)
{
	size_t l = dname_len(ce);
	if (l + 2 > DNAME_MAXLEN)
		return 0;
	buf[0] = 1;
	buf[1] = '*';
	memcpy(buf + 2, ce, l);
	return l + 2;
}

/* ---- NSEC3 ---- */

/* The hashed owner label of name: 32 base32hex characters. */
static int
n3_label(const zone_t *z, const uint8_t *name, char label[NSEC3_B32LEN + 1])
{
	const uint8_t *p = z->nsec3param;
	uint8_t h[NSEC3_HASHLEN];
	int ret = nsec3_hash(name, p + 5, p[4], wire_u16(p + 2), h);
	if (ret != 0)
		return ret;
	return b32hex_encode(h, sizeof(h), label, NSEC3_B32LEN + 1) == NSEC3_B32LEN ? 0 : FL_EINVAL;
}

/* The NSEC3 owner matching or covering a hashed label; *exact says which. */
static const zone_node_t *
n3_le(const zone_t *z, const char *label, bool *exact)
{
	uint32_t lo = 0, hi = z->nnsec3;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (memcmp(z->nodes[z->nsec3_idx[mid]].name + 1, label, NSEC3_B32LEN) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Before the first hash: the last NSEC3 covers it (the chain wraps). */
	const zone_node_t *n = &z->nodes[z->nsec3_idx[lo == 0 ? z->nnsec3 - 1 : lo - 1]];
	*exact = memcmp(n->name + 1, label, NSEC3_B32LEN) == 0;
	return n;
}

/* The NSEC3 matching name, or NULL; *ret set on a hashing failure. */
static const zone_node_t *
n3_match(const zone_t *z, const uint8_t *name, int *ret)
{
	char label[NSEC3_B32LEN + 1];
	bool exact;
	if ((*ret = n3_label(z, name, label)) != 0)
		return NULL;
	const zone_node_t *n = n3_le(z, label, &exact);
	return exact ? n : NULL;
}

/* The NSEC3 covering name (a name that does not exist). */
static const zone_node_t *
n3_cover(const zone_t *z, const uint8_t *name, int *ret)
{
	char label[NSEC3_B32LEN + 1];
	bool exact;
	if ((*ret = n3_label(z, name, label)) != 0)
		return NULL;
	return n3_le(z, label, &exact);
}

/*
 * Closest (provable) encloser proof for qname (RFC 5155 §7.2.1): starting
 * at `from` (an ancestor-or-self of qname, strictly above qname unless it
 * is to be tested itself), the first ancestor whose hash has an NSEC3 is
 * the encloser; the name one label longer toward qname is the next closer,
 * which an NSEC3 covers. *ce_out receives the encloser so the caller can
 * add the wildcard proof below it.
 */
static int
n3_encloser_proof(const zone_t *z, const uint8_t *qname, size_t qlen, const uint8_t *from, denial_t *d,
		  const uint8_t **ce_out)
{
	int ret = 0;
	const uint8_t *cand = from;
	size_t clen = dname_len(from);
	for (;;) {
		const zone_node_t *m = n3_match(z, cand, &ret);
		if (ret != 0)
			return ret;
		if (m != NULL || clen <= z->origin_len) {
			add(d, m);
			break;
		}
		clen -= 1u + *cand;
		cand += 1u + *cand;
	}
	if (ce_out != NULL)
		*ce_out = cand;
	if (clen < qlen) {
		/* next closer: qname minus all but one of the labels below cand */
		int strip = dname_labels(qname) - dname_labels(cand) - 1;
		const zone_node_t *c = n3_cover(z, dname_strip(qname, strip), &ret);
		if (ret != 0)
			return ret;
		add(d, c);
	}
	return 0;
}

/* ---- the proofs ---- */

int
denial_nxdomain(const zone_t *z, const uint8_t *qname, size_t qlen, denial_t *d)
{
	reset(z, d);
	int below = 0, ret = 0;
	const zone_node_t *ce = zone_find_encloser(z, qname, qlen, &below);
	uint8_t wc[DNAME_MAXLEN];
	if (d->mode == DENIAL_NSEC) {
		add(d, nsec_le(z, qname));
		if (wild_of(ce->name, wc) > 0)
			add(d, nsec_le(z, wc));
	} else if (d->mode == DENIAL_NSEC3) {
		const uint8_t *cpe = NULL;
		if ((ret = n3_encloser_proof(z, qname, qlen, ce->name, d, &cpe)) != 0)
			goto fail;
		if (wild_of(cpe, wc) > 0) {
			add(d, n3_cover(z, wc, &ret));
			if (ret != 0)
				goto fail;
		}
	}
	return 0;
fail:
	d->n = 0;
	return ret;
}

int
denial_nodata(const zone_t *z, const uint8_t *qname, size_t qlen, const zone_node_t *n, denial_t *d)
{
	reset(z, d);
	int ret = 0;
	if (d->mode == DENIAL_NSEC) {
		/* An empty non-terminal owns no NSEC: the one covering it proves
		 * it has no types (its next name is below it). */
		add(d, zone_node_rrset(n, RR_NSEC) != NULL ? n : nsec_le(z, qname));
	} else if (d->mode == DENIAL_NSEC3) {
		const zone_node_t *m = n3_match(z, qname, &ret);
		if (ret != 0)
			goto fail;
		if (m != NULL)
			add(d, m);
		else if (qlen > z->origin_len &&
			 (ret = n3_encloser_proof(z, qname, qlen, qname + 1 + qname[0], d, NULL)) != 0)
			goto fail;
	}
	return 0;
fail:
	d->n = 0;
	return ret;
}

int
denial_wildcard(const zone_t *z, const uint8_t *qname, size_t qlen, const zone_node_t *ce, denial_t *d)
{
	reset(z, d);
	int ret = 0;
	if (d->mode == DENIAL_NSEC) {
		add(d, nsec_le(z, qname));
	} else if (d->mode == DENIAL_NSEC3) {
		int strip = dname_labels(qname) - dname_labels(ce->name) - 1;
		if (strip >= 0) {
			add(d, n3_cover(z, dname_strip(qname, strip), &ret));
			if (ret != 0)
				goto fail;
		}
	}
	(void)qlen;
	return 0;
fail:
	d->n = 0;
	return ret;
}

int
denial_wildcard_nodata(const zone_t *z, const uint8_t *qname, size_t qlen, const zone_node_t *ce,
		       const zone_node_t *wc, denial_t *d)
{
	reset(z, d);
	int ret = 0;
	if (d->mode == DENIAL_NSEC) {
		add(d, nsec_le(z, qname));
		add(d, zone_node_rrset(wc, RR_NSEC) != NULL ? wc : NULL);
	} else if (d->mode == DENIAL_NSEC3) {
		if ((ret = n3_encloser_proof(z, qname, qlen, ce->name, d, NULL)) != 0)
			goto fail;
		add(d, n3_match(z, wc->name, &ret));
		if (ret != 0)
			goto fail;
	}
	return 0;
fail:
	d->n = 0;
	return ret;
}

int
denial_no_ds(const zone_t *z, const zone_node_t *cut, denial_t *d)
{
	return denial_nodata(z, cut->name, cut->name_len, cut, d);
}
