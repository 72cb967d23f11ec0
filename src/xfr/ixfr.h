/* SPDX-License-Identifier: MIT */
/**
 * \file
 * IXFR out (RFC 1995): the response messages of an incremental transfer
 * built from changesets (the journal's), and the query side helper that
 * reads the client's serial. The stream is
 *   SOA(current), then per changeset: SOA(old) deletions SOA(new) additions,
 *   then SOA(current)
 * or, with no changeset, the single current SOA ("you are up to date",
 * RFC 1995 §2). An AXFR-style answer (history missing) is the AXFR stream
 * (axfr.h). Pure: no I/O, no allocation; the caller keeps the zone version
 * and the changesets alive until the last message is built.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/pkt.h"
#include "zone/changeset.h"
#include "zone/zone.h"

typedef struct xfr_ixfr {
	const zone_t *z;
	pkt_query_t q;
	const uint8_t *query;
	const changeset_t *const *cs;
	size_t ncs;
	size_t ci;          /*!< changeset being sent */
	size_t ri;          /*!< RR inside the current part */
	uint8_t part;       /*!< see ixfr.c */
	uint32_t messages;
	uint64_t records;
} xfr_ixfr_t;

/**
 * \brief Serial of the client's SOA in the authority section of an IXFR query.
 * \return 0, or FL_EMALF when there is no SOA for the zone there (RFC 1995 §3: FORMERR).
 */
int xfr_ixfr_query_serial(const uint8_t *query, size_t len, const pkt_query_t *q, uint32_t *serial);

/**
 * \brief Start an incremental answer: cs[0..ncs) must chain from the
 * client's serial to z's serial. ncs == 0 gives the single-SOA answer.
 */
void xfr_ixfr_begin(xfr_ixfr_t *x, const zone_t *z, const uint8_t *query, const pkt_query_t *q,
		    const changeset_t *const *cs, size_t ncs);

/**
 * \brief Next message, as xfr_axfr_next: length, 0 when complete, FL_ESPACE
 * when one RR does not fit an empty message of cap - reserve bytes.
 */
long xfr_ixfr_next(xfr_ixfr_t *x, uint8_t *buf, size_t cap, size_t reserve);

/** \brief True once the last message has been built. */
bool xfr_ixfr_done(const xfr_ixfr_t *x);
