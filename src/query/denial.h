/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Authenticated denial of existence for answers to DO queries: which NSEC
 * (RFC 4035 §3.1.3) or NSEC3 (RFC 5155 §7.2) records prove a name, a type
 * or a closer match absent. Selection only: the result is a short list of
 * zone nodes whose NSEC or NSEC3 RRset (and the RRSIGs over it) the answer
 * puts in the authority section; query.c writes them.
 *
 * Works on any version that carries a chain (signed here or transferred
 * in), through the denial index of zone.h. A zone without a chain gives
 * empty lists. Pure: reads the immutable version, no allocation, no I/O;
 * NSEC3 hashes are computed here with the zone's NSEC3PARAM (at most a
 * handful of SHA-1 runs per answer).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "zone/zone.h"

#define DENIAL_MAX 4 /*!< the most records one proof needs (NSEC3 wildcard NODATA: 3) */

typedef enum { DENIAL_NONE = 0, DENIAL_NSEC = 1, DENIAL_NSEC3 = 2 } denial_mode_t;

/** The nodes whose chain record (NSEC or NSEC3, per mode) proves the denial, no repeats. */
typedef struct {
	denial_mode_t mode;
	int n;
	const zone_node_t *node[DENIAL_MAX];
} denial_t;

/** \brief Which chain the version has: NSEC3 (with a usable NSEC3PARAM), NSEC, or none. */
denial_mode_t denial_mode(const zone_t *z);

/**
 * \brief NXDOMAIN: qname does not exist and no wildcard matches it.
 * NSEC: the NSEC covering qname and the one covering the wildcard at the
 * closest encloser. NSEC3: the closest encloser proof (the NSEC3 matching
 * the closest provable encloser, the one covering the next closer name)
 * and the NSEC3 covering the wildcard at that encloser.
 * \param qname  lowercased wire name at or below the origin, qlen its length
 * \return 0, or a negative FL_ code when hashing failed (d is then empty).
 */
int denial_nxdomain(const zone_t *z, const uint8_t *qname, size_t qlen, denial_t *d);

/**
 * \brief NODATA at an existing name n (qname itself; an empty non-terminal
 * is fine). NSEC: the NSEC at n, or for an empty non-terminal the NSEC
 * covering it. NSEC3: the NSEC3 matching qname; when there is none (an
 * opt-out span: a DS query at an insecure delegation), the closest
 * provable encloser proof (RFC 5155 §7.2.4).
 */
int denial_nodata(const zone_t *z, const uint8_t *qname, size_t qlen, const zone_node_t *n, denial_t *d);

/**
 * \brief A wildcard expansion answered qname from *.ce: prove that no
 * closer name exists (RFC 4035 §3.1.3.3, RFC 5155 §7.2.6). NSEC: the NSEC
 * covering qname; NSEC3: the NSEC3 covering the next closer name.
 */
int denial_wildcard(const zone_t *z, const uint8_t *qname, size_t qlen, const zone_node_t *ce, denial_t *d);

/**
 * \brief Wildcard NODATA (RFC 4035 §3.1.3.4, RFC 5155 §7.2.5): qname does
 * not exist, *.ce (wc) does but lacks the type. The no-closer-match proof
 * of denial_wildcard() plus the wildcard's own NSEC, or for NSEC3 the
 * closest encloser proof plus the NSEC3 matching the wildcard.
 */
int denial_wildcard_nodata(const zone_t *z, const uint8_t *qname, size_t qlen, const zone_node_t *ce,
			   const zone_node_t *wc, denial_t *d);

/**
 * \brief A referral to a delegation without DS (RFC 4035 §3.1.4, RFC 5155
 * §7.2.7): the NSEC at the cut, or the NSEC3 matching it, or (opt-out) the
 * closest provable encloser proof whose next closer NSEC3 has opt-out set.
 */
int denial_no_ds(const zone_t *z, const zone_node_t *cut, denial_t *d);
