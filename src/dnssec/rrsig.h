/* SPDX-License-Identifier: MIT */
/**
 * \file
 * RRSIG records (RFC 4034 §3): make one for an RRset with a key, and check
 * one. The data signed is the RRSIG rdata without its signature, then every
 * RR of the RRset in canonical form and order with the Original TTL
 * (§3.1.8.1); the owner is the RRset's owner as stored (lowercase), a
 * wildcard owner included, its "*" label not counted in Labels (§3.1.3).
 * The signer is the key's zone. Pure: no I/O; the scratch space belongs to
 * the caller, so threads sign in parallel with one rrsig_ctx_t each.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "dnssec/dkey.h"
#include "zone/canon.h"
#include "zone/zone.h"

/** Octets of the RRSIG rdata before the signer's name. */
#define RRSIG_FIXED_LEN 18

/** Scratch space of one signing thread (a zeroed struct is an empty one). */
typedef struct rrsig_ctx {
	canon_t canon;
	uint8_t *buf;    /*!< the data being signed */
	size_t cap;
} rrsig_ctx_t;

/** \brief Free the scratch space and zero it. */
void rrsig_ctx_free(rrsig_ctx_t *c);

/** \brief The Labels field for an owner: its labels, minus a leading "*" (RFC 4034 §3.1.3). */
uint8_t rrsig_labels(const uint8_t *owner);

/**
 * \brief Sign an RRset.
 * \param owner        the RRset's owner (lowercase wire)
 * \param inception    seconds since the epoch (RFC 1982 arithmetic applies when compared)
 * \param expiration   ditto, after inception
 * \param out          receives the RRSIG rdata (at least RRSIG_FIXED_LEN + 255 + DKEY_SIG_MAX octets)
 * \return the rdata length, FL_ESPACE, FL_EINVAL (expiration not after inception), FL_ENOMEM, FL_ENOTSUP.
 */
int rrsig_make(rrsig_ctx_t *c, const dkey_t *k, const uint8_t *owner, const zone_rrset_t *rs, uint32_t inception,
	       uint32_t expiration, uint8_t *out, size_t cap);

/** Verdicts of rrsig_check (negative FL_* codes are internal failures). */
typedef enum {
	RRSIG_OK = 0,
	RRSIG_MALFORMED = 1,  /*!< too short, or the fields disagree with the RRset (type, labels, signer) */
	RRSIG_WRONG_KEY = 2,  /*!< algorithm or key tag are not this key's */
	RRSIG_NOT_YET = 3,    /*!< now is before inception */
	RRSIG_EXPIRED = 4,    /*!< now is after expiration */
	RRSIG_BAD = 5,        /*!< the signature does not verify */
} rrsig_verdict_t;

/**
 * \brief Check one RRSIG rdata over rs with k at time now (validate before
 * publish, tests). The RRset's TTL must equal the Original TTL.
 * \return an rrsig_verdict_t, or FL_ENOMEM.
 */
int rrsig_check(rrsig_ctx_t *c, const dkey_t *k, const uint8_t *owner, const zone_rrset_t *rs, const uint8_t *rd,
		size_t len, uint32_t now);

/** \brief Text of a verdict (static). */
const char *rrsig_verdict_str(int v);
