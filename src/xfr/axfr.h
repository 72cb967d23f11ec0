/* SPDX-License-Identifier: MIT */
/**
 * \file
 * AXFR out (RFC 5936): turns one zone version into the sequence of response
 * messages of a full transfer. The first and the last RR are the zone's SOA;
 * every other RR of the version follows exactly once, glue and occluded
 * data included (§3). Messages carry as many RRs as fit (up to 64 KiB, name
 * compression), the question only in the first one (§2.2.1).
 *
 * It is an iterator, so a transfer of a big zone streams with the socket's
 * pace instead of being built in memory at once. The caller keeps the zone
 * version alive (zone_ref) for the whole transfer: a version published in
 * the middle does not change what this transfer sends.
 * Pure: no I/O, no allocation.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/pkt.h"
#include "zone/zone.h"

typedef struct xfr_axfr {
	const zone_t *z;
	pkt_query_t q;          /*!< the query (copied: the writer points at its qname) */
	const uint8_t *query;   /*!< query bytes, valid until the first message is built */
	uint32_t node;          /*!< position: node, RRset, RR */
	uint16_t rrset;
	uint16_t rr;
	const uint8_t *rd;      /*!< packed rdata of RR number rr in the current RRset */
	uint8_t phase;          /*!< 0 leading SOA, 1 body, 2 trailing SOA, 3 done */
	uint32_t messages;      /*!< messages built so far */
	uint64_t records;       /*!< RRs sent so far (SOA counted twice) */
} xfr_axfr_t;

/**
 * \brief Start a transfer of z answering query (parsed as q).
 */
void xfr_axfr_begin(xfr_axfr_t *x, const zone_t *z, const uint8_t *query, const pkt_query_t *q);

/**
 * \brief Build the next message into buf.
 * \param cap      buffer size (65535 for full-size messages)
 * \param reserve  bytes to leave free at the end (for a TSIG RR added by the caller)
 * \return message length; 0 when the transfer is complete; FL_ESPACE when a
 *   single RR cannot fit in an empty message of this size.
 */
long xfr_axfr_next(xfr_axfr_t *x, uint8_t *buf, size_t cap, size_t reserve);

/** \brief True once the last message has been built. */
static inline bool xfr_axfr_done(const xfr_axfr_t *x) { return x->phase == 3; }
