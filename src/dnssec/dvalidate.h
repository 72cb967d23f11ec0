/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Validate before publish: a signed version is checked the way a validator
 * and a zone checker would see it, before the primary serves it (the
 * pipeline refuses a version that fails and keeps serving the previous one).
 *
 * Checked, against the zone's active keys at a time now:
 *  - the apex DNSKEY RRset holds every key;
 *  - every authoritative RRset (not delegation NS, not glue or occluded
 *    data) has an RRSIG by each key that signs its type (sign_key_signs:
 *    SEP keys for DNSKEY, CDS, CDNSKEY, the others for the rest, a lone
 *    kind for all), valid at now, that verifies (rrsig_check);
 *  - no RRSIG is left over: none by a key not in the set, none over a type
 *    the name lacks or over an RRset that is not signed, none below a cut;
 *  - NSEC (no NSEC3PARAM at the apex): every authoritative name with data
 *    (delegations included, glue and empty non-terminals not) has exactly
 *    one NSEC, the next names form one cycle in canonical order, and each
 *    bitmap lists exactly the name's types; no NSEC elsewhere, no NSEC3;
 *  - NSEC3 (NSEC3PARAM at the apex): one NSEC3PARAM; every authoritative
 *    name, empty non-terminals included, has the NSEC3 of its hash (with
 *    opt-out set, delegations without DS may have none), its bitmap lists
 *    exactly the name's types; the NSEC3 records share the NSEC3PARAM's
 *    hash, iterations and salt and one flags value, their next hashes form
 *    one cycle in hash order, none is left that hashes no name; no NSEC.
 *
 * Speed: with the previous signed version (validated when it was
 * published) and the same DNSKEY RRset, a signature byte-identical to one
 * there over an identical RRset (owner, type, TTL, rdata) is not verified
 * again (its validity at now still is). The signatures that are verified
 * are spread over threads. Pure: no I/O, no logging.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "dnssec/dkey.h"
#include "zone/zone.h"

typedef struct dval_opts {
	uint32_t now;         /*!< signatures must be valid at now (RFC 1982 arithmetic) */
	const zone_t *prev;   /*!< the previous signed version, validated, or NULL: verify every signature */
	unsigned threads;     /*!< signature-checking threads; 0 or 1: the calling thread only */
} dval_opts_t;

typedef struct dval_stats {
	size_t rrsets;        /*!< signed RRsets checked */
	size_t verified;      /*!< signatures verified */
	size_t skipped;       /*!< signatures identical to prev's, not verified again */
	size_t chain;         /*!< NSEC or NSEC3 records checked */
	double ms;            /*!< wall time */
} dval_stats_t;

/**
 * \brief Check a signed version.
 * \param z      the signed version
 * \param keys   the active keys of z's zone (at least one)
 * \param st     receives counts and time (may be NULL)
 * \param why    on FL_ESEMANTIC one line naming the owner and type, e.g.
 *               "www.example.com. A: no RRSIG by key 12345 (ECDSAP256SHA256)"
 * \return 0 (valid), FL_ESEMANTIC (why says the first problem in canonical
 *   order of checks), FL_EINVAL (no key), FL_ENOMEM.
 */
int dval_check(const zone_t *z, dkey_t *const *keys, size_t nkeys, const dval_opts_t *o, dval_stats_t *st,
	       char *why, size_t whylen);
