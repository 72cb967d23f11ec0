/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Canonical form and order of an RRset's rdata (RFC 4034 §6.2 and §6.3),
 * which both ZONEMD digests (RFC 8976 §3.3) and DNSSEC signatures (RFC 4034
 * §3.1.8.1) are computed over: embedded names lowercased for the types of
 * §6.2 (minus NSEC, RFC 6840 §5.1), RRs sorted as left-justified octet
 * strings, duplicates removed. Versions keep their rdata sorted already;
 * only RRsets whose lowercasing changes a byte are copied and re-sorted.
 * No I/O, no globals: the scratch space belongs to the caller.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zone/zone.h"

/** One RR's rdata in canonical form (points into the zone or into canon_t's buffer). */
typedef struct canon_rr {
	const uint8_t *rd;
	uint16_t len;
} canon_rr_t;

/** Scratch space reused across RRsets; a zeroed struct is an empty one. Free with canon_free. */
typedef struct canon {
	uint8_t *buf;       /*!< lowercased copies of one RRset's rdata */
	size_t bufcap;
	canon_rr_t *rr;     /*!< the RRs of the last canon_rrset() */
	size_t cap;
} canon_t;

/** \brief Are rdata names of this type lowercased in canonical form? */
bool canon_lowers(uint16_t type);

/**
 * \brief The rdata of rs in canonical form and order, duplicates removed, in c->rr.
 * \return the number of RRs (>= 1 for a non-empty RRset) or FL_ENOMEM. The
 * entries are valid until the next call on c, canon_free, or the zone's end.
 */
int canon_rrset(canon_t *c, const zone_rrset_t *rs);

/** \brief Free the scratch space and zero c. */
void canon_free(canon_t *c);
