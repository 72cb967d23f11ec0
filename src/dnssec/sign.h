/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Full signing of a zone version (RFC 4033-4035, RFC 5155): the unsigned
 * version's records (its own RRSIG, NSEC, NSEC3 and NSEC3PARAM dropped),
 * the keys' DNSKEYs at the apex, an NSEC chain (default) or an NSEC3 chain
 * with NSEC3PARAM (RFC 9276 defaults: SHA-1, 0 extra iterations, empty
 * salt; opt-out on request), and an RRSIG over every authoritative RRset:
 * not over delegation NS or glue, but over DS and the chain records at a
 * cut. Keys with the SEP flag (KSK) sign the DNSKEY RRset; the others
 * (ZSK) sign everything else; when there is no ZSK the SEP keys sign
 * everything (a CSK, our default: one ECDSAP256SHA256 key).
 *
 * The signatures are computed on several threads (o->threads), each with
 * its own scratch space; the result is a new version built like any other
 * (zone_builder), so it is validated by the same checks. With the previous
 * signed version (o->prev) the signatures of unchanged RRsets are reused.
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
 * \brief Sign z whole.
 * \param keys   at least one key of z's zone
 * \param out    receives the signed version (free with zone_free)
 * \param err    one line on failure
 * \return 0, FL_EINVAL (no key, a key of another zone, bad times), FL_ENOMEM,
 * FL_ENOTSUP (a signature failed), FL_ESEMANTIC (the signed version did not build).
 */
int sign_zone(const zone_t *z, dkey_t *const *keys, size_t nkeys, const sign_opts_t *o, zone_t **out,
	      sign_stats_t *stats, char *err, size_t errlen);
