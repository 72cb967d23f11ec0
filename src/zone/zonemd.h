/* SPDX-License-Identifier: MIT */
/**
 * \file
 * ZONEMD (RFC 8976): the message digest of a whole zone version, and the
 * check of a zone's own apex ZONEMD RRs against it. Only the SIMPLE scheme
 * (1) with SHA-384 (1) and SHA-512 (2) is implemented (OpenSSL EVP).
 * Reads a zone_t and never changes it; no I/O, no logging.
 *
 * Canonical form (RFC 4034 §6.2) is applied here rather than trusted from
 * the zone: names inside rdata are lowercased for the RFC 4034 §6.2 types
 * except NSEC (RFC 6840 §5.1), as ldns and Knot do, so rdata with mixed case
 * (from a transfer, say) digests like its lowercase form.
 *
 * RRSIG TTLs: the builder merges the RRSIGs of a name into one RRset with
 * the lowest TTL. When the RRSIGs of a name carry different Original TTL
 * fields, each is digested with its Original TTL (RFC 4034 §3: an RRSIG's
 * TTL equals the TTL of the RRset it covers); otherwise with the RRset TTL:
 * the TTL AXFR and IXFR send each RRSIG with (zone_rr_ttl), so a verifier
 * downstream digests what it received.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "zone/zone.h"

#define ZONEMD_SCHEME_SIMPLE 1
#define ZONEMD_HASH_SHA384 1
#define ZONEMD_HASH_SHA512 2
#define ZONEMD_DIGEST_MAX 64 /*!< bytes of the longest digest we compute (SHA-512) */

/**
 * \brief Digest of the zone per RFC 8976 §3 (scheme SIMPLE): every RR in
 * canonical order and canonical form (RFC 4034 §6), excluding the apex
 * ZONEMD RRset and apex RRSIGs covering ZONEMD; duplicate RRs once.
 * Occluded data, glue and non-apex ZONEMD RRs are included.
 * \param out     ZONEMD_DIGEST_MAX (64) bytes
 * \param outlen  receives 48 (SHA-384) or 64 (SHA-512)
 * \return 0, FL_EINVAL (unsupported scheme or hash algorithm), FL_ENOMEM.
 */
int zonemd_digest(const zone_t *z, uint8_t scheme, uint8_t alg, uint8_t *out, size_t *outlen);

typedef enum { ZONEMD_ABSENT = 0, ZONEMD_VALID = 1, ZONEMD_UNSUPPORTED = 2 } zonemd_status_t;

/**
 * \brief Verify the zone's apex ZONEMD RRs per RFC 8976 §4.
 *
 * Each RR is checked in the §4 order: its scheme and hash algorithm must be
 * unique in the RRset (step 4), its serial must be the SOA serial (5a), its
 * scheme and algorithm supported (5b, 5c), its digest 48/64 octets (5d), and
 * equal to zonemd_digest() (5f). One RR passing every step verifies the zone.
 *
 * \param status  receives ZONEMD_ABSENT (no apex ZONEMD), ZONEMD_VALID (one
 *   supported RR matched) or ZONEMD_UNSUPPORTED (every RR has a serial other
 *   than the SOA's or an unsupported scheme/algorithm); only meaningful
 *   when 0 is returned
 * \param why     receives a one-line reason in every case, e.g. "ZONEMD
 *   mismatch: SHA-384 digest computed 62e6cf51b02e54b9... differs from the
 *   zone's c68090d90a7aed71..." (may be NULL)
 * \return 0 (see status); FL_ESEMANTIC when no RR verified and at least one
 *   supported RR failed (digest mismatch, wrong digest length) or a scheme
 *   and algorithm pair occurs twice (§4 step 4); FL_ENOMEM.
 */
int zonemd_verify(const zone_t *z, zonemd_status_t *status, char *why, size_t whylen);

/** \brief "absent", "valid", "unsupported" (static storage). */
const char *zonemd_status_str(zonemd_status_t s);
