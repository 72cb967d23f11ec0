/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Changeset: the difference between two versions of one zone, in RFC 1995
 * terms: the old SOA, the RRs deleted, the new SOA, the RRs added. It is
 * what the differ produces, what the journal stores, what IXFR sends and
 * (later) what a secondary applies. RRs are kept in uncompressed wire form
 * with lowercased owners; all memory belongs to the changeset's arena.
 *
 * Serialized form (journal payload, also handy for tests): the RRs in DNS
 * wire format without compression, in this order:
 *   SOA(old)  u32 ndel  ndel RRs  SOA(new)  u32 nadd  nadd RRs
 * (counts big-endian). Not thread-safe; one owner.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "zone/zone.h"

/** One RR. owner and rdata point into the changeset arena (or a zone's). */
typedef struct changeset_rr {
	const uint8_t *owner; /*!< lowercased wire name */
	const uint8_t *rdata;
	uint32_t ttl;
	uint16_t type;
	uint16_t rdlen;
} changeset_rr_t;

typedef struct changeset_list {
	changeset_rr_t *rr;
	size_t count, cap;
} changeset_list_t;

typedef struct changeset {
	changeset_rr_t soa_from; /*!< old SOA (type 0 until set) */
	changeset_rr_t soa_to;   /*!< new SOA */
	changeset_list_t del;    /*!< RRs removed (never the SOA) */
	changeset_list_t add;    /*!< RRs added (never the SOA) */
	arena_t arena;
} changeset_t;

/** \brief Empty changeset. Allocates nothing until used. */
void changeset_init(changeset_t *c);

/** \brief Free everything the changeset owns; it can be reused after changeset_init. */
void changeset_clear(changeset_t *c);

/** \brief Serial of the old / new SOA (0 when unset). */
uint32_t changeset_serial_from(const changeset_t *c);
uint32_t changeset_serial_to(const changeset_t *c);

/** \brief True when nothing but (possibly) the SOA changes. */
bool changeset_empty(const changeset_t *c);

/**
 * \brief Copy an RR into the changeset: into the deletions, the additions,
 * or as the old/new SOA (type must be SOA for those).
 * \return 0 or FL_ENOMEM / FL_EINVAL.
 */
int changeset_del(changeset_t *c, const uint8_t *owner, uint16_t type, uint32_t ttl,
		  const uint8_t *rdata, uint16_t rdlen);
int changeset_add(changeset_t *c, const uint8_t *owner, uint16_t type, uint32_t ttl,
		  const uint8_t *rdata, uint16_t rdlen);
int changeset_set_soa(changeset_t *c, bool to, const uint8_t *owner, uint32_t ttl,
		      const uint8_t *rdata, uint16_t rdlen);

/**
 * \brief Serialized size in bytes (see the file comment for the layout).
 */
/**
 * \brief Condense a chain of changesets (each starting where the previous
 * ended, deletions before additions within each) into one from the first
 * one's old SOA to the last one's new SOA: an RR added then deleted
 * vanishes, one deleted then re-added unchanged vanishes, one whose TTL
 * changed stays deleted and added. Applying the result once equals
 * applying the chain in order (zone_apply rebuilds a version per call, so
 * an IXFR of 100 changesets costs one rebuild, not 100).
 * \param out  initialised, empty changeset; filled here
 * \param err  receives the reason on FL_ESEMANTIC (an RR deleted twice
 *              without being added in between: the chain cannot apply)
 * \return 0, FL_ESEMANTIC, FL_EINVAL (n == 0, serials do not chain), FL_ENOMEM.
 */
int changeset_condense(const changeset_t *const *cs, size_t n, changeset_t *out, char *err, size_t errlen);

size_t changeset_wire_size(const changeset_t *c);

/**
 * \brief Serialize into buf (at least changeset_wire_size bytes).
 * \return bytes written or FL_ESPACE.
 */
long changeset_to_wire(const changeset_t *c, uint8_t *buf, size_t len);

/**
 * \brief Parse a serialized changeset into c (initialized, empty); every name
 * and rdata is checked (rrtype_rdata_check); nothing is kept on failure.
 * \return 0, FL_EMALF or FL_ENOMEM.
 */
int changeset_from_wire(changeset_t *c, const uint8_t *buf, size_t len);
