/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Full signing of a zone version (RFC 4033-4035, RFC 5155, RFC 7344): the unsigned
 * version's records (its own RRSIG, NSEC, NSEC3 and NSEC3PARAM dropped),
 * the keys' DNSKEYs at the apex, an NSEC chain (default) or an NSEC3 chain
 * with NSEC3PARAM (RFC 9276 defaults: SHA-1, 0 extra iterations, empty
 * salt; opt-out on request), and an RRSIG over every authoritative RRset:
 * not over delegation NS or glue, but over DS and the chain records at a
 * cut. Keys with the SEP flag (KSK) sign the DNSKEY RRset (and CDS and
 * CDNSKEY, RFC 7344 §4.1); the others
 * (ZSK) sign everything else; when there is no ZSK the SEP keys sign
 * everything (a CSK, our default: one ECDSAP256SHA256 key).
 *
 * The signatures are computed on several threads (o->threads), each with
 * its own scratch space; the result is a new version built like any other
 * (zone_builder), so it is validated by the same checks. With the previous
 * signed version (o->prev) the signatures of unchanged RRsets are reused.
 *
 * ZONEMD (o->zonemd_hash): a placeholder ZONEMD of the final length goes
 * into the first build, so the chain lists it; after the third build the
 * digest (which leaves out the apex ZONEMD and the RRSIGs over it) is
 * computed and written over the placeholder's digest, and the ZONEMD
 * RRset's RRSIGs are made again over it. Those bytes are replaced in place,
 * in the version sign_zone just built and nobody else has seen: same
 * lengths, and no key set with two keys of one algorithm and tag is
 * accepted, so the order of the RRSIG RRset cannot change.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dnssec/dkey.h"
#include "zone/zone.h"

typedef struct sign_opts {
	uint32_t inception;       /*!< RRSIG inception (seconds since the epoch) */
	uint32_t expiration;      /*!< RRSIG expiration, after inception */
	/** Each RRSIG made expires at expiration - sigtime_jitter(owner, type,
	 *  jitter): deterministic per RRset, so re-signing spreads out over time
	 *  and signing the same input twice gives the same output. 0: none;
	 *  must be less than expiration - inception. */
	uint32_t jitter;
	bool nsec3;               /*!< NSEC3 instead of NSEC */
	uint16_t iterations;      /*!< NSEC3 extra iterations (RFC 9276: 0) */
	const uint8_t *salt;      /*!< NSEC3 salt (RFC 9276: none) */
	uint8_t saltlen;
	bool optout;              /*!< NSEC3 opt-out: no NSEC3 for delegations without DS */
	uint32_t dnskey_ttl;      /*!< 0: the SOA's TTL */
	/** RFC 8976: 0, or ZONEMD_HASH_SHA384 / ZONEMD_HASH_SHA512: an apex
	 *  ZONEMD RRset (scheme SIMPLE, serial = the SOA's, TTL the SOA's)
	 *  over the signed version, listed in the apex NSEC/NSEC3 bitmap and
	 *  signed like any apex RRset. Signing always drops the unsigned
	 *  version's own apex ZONEMD: its digest cannot match the signed zone. */
	uint8_t zonemd_hash;
	/** RFC 7344, RFC 8078: a CDNSKEY and a CDS (SHA-256) at the apex for
	 *  each SEP key (KSK, CSK), signed like any apex RRset and listed in
	 *  the chain, so the parent can take the DS from the child. The
	 *  unsigned version's own apex CDS and CDNSKEY are then dropped;
	 *  without cds they are kept as they are (an RFC 8078 delete request). */
	bool cds;
	unsigned threads;         /*!< signing threads, 0 or 1: the calling thread only */
	/** Incremental signing: the previous signed version. An RRset whose
	 *  owner, type, TTL and rdata are unchanged there keeps its RRSIG (made
	 *  by the same key) when that one is valid at now for longer than
	 *  refresh seconds; everything else is signed anew. So a one-record
	 *  change costs the signatures of that RRset, the SOA and the chain
	 *  records around it, and the difference between the two signed
	 *  versions (the IXFR) stays that small. NULL: sign everything. */
	const zone_t *prev;
	uint32_t now;             /*!< with prev: the time the reused signatures are checked at */
	uint32_t refresh;         /*!< with prev: re-sign when less validity than this is left */
} sign_opts_t;

/** What a signing did. */
typedef struct sign_stats {
	size_t rrsigs;            /*!< signatures made */
	size_t reused;            /*!< signatures kept from o->prev */
	size_t chain;             /*!< NSEC or NSEC3 records made */
	double ms;                /*!< wall time */
} sign_stats_t;

/**
 * \brief Does key k sign RRsets of this type, in a key set that has
 * non-SEP keys (any_zsk) and SEP keys (any_ksk)? The rule above: SEP keys
 * sign DNSKEY, CDS and CDNSKEY, the others the rest, a lone kind all.
 * (The validator checks signed versions by the same rule.)
 */
bool sign_key_signs(const dkey_t *k, uint16_t type, bool any_zsk, bool any_ksk);

/**
 * \brief Does the RRset of this type at n carry RRSIGs? Authoritative data
 * only: nothing below a cut, and at a cut only the parent's side, DS and
 * NSEC (RFC 4035 §2.2); never the RRSIGs themselves.
 */
bool sign_rrset_signed(const zone_node_t *n, uint16_t type);

/** \brief Which kinds a key set has (for sign_key_signs). */
void sign_key_kinds(dkey_t *const *keys, size_t nkeys, bool *any_zsk, bool *any_ksk);

/**
 * \brief Sign z whole.
 * \param keys   at least one key of z's zone
 * \param out    receives the signed version (free with zone_free)
 * \param err    one line on failure
 * \return 0, FL_EINVAL (no key, a key of another zone, two keys with one
 * algorithm and key tag, bad times, an unsupported zonemd_hash), FL_ENOMEM,
 * FL_ENOTSUP (a signature failed), FL_ESEMANTIC (the signed version did not build).
 */
int sign_zone(const zone_t *z, dkey_t *const *keys, size_t nkeys, const sign_opts_t *o, zone_t **out,
	      sign_stats_t *stats, char *err, size_t errlen);
