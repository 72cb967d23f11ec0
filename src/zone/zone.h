/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Zone versions: the immutable, in-memory form of one zone that queries
 * read. A version is built once with a zone_builder (from a zone file, later
 * from a transfer or a changeset), validated, and never modified afterwards;
 * replacing a zone means building a new version and swapping a pointer
 * (see zonedb.h). All data of a version lives in one arena and is freed as a
 * unit by zone_free().
 *
 * Layout: nodes (one per owner name, plus empty non-terminals) in an array
 * sorted in canonical DNS order (RFC 4034 §6.1), so predecessors and ranges
 * are a binary search away (NSEC, closest encloser); an open-addressing hash
 * of node indices answers exact-match lookups in O(1). Names are lowercased
 * wire format; rdata is packed wire format, so answering is copying.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "util/arena.h"

/** One RRset. rdata: count × (16-bit host-order length, wire bytes), canonically sorted, no duplicates. */
typedef struct zone_rrset {
	uint16_t type;
	uint16_t count;
	uint32_t ttl;
	uint8_t *rdata;
} zone_rrset_t;

/* Node flags. */
#define ZN_APEX 0x01      /*!< the zone apex */
#define ZN_DELEG 0x02     /*!< a zone cut: NS here, not the apex (authoritative only for DS/NSEC) */
#define ZN_NONAUTH 0x04   /*!< below a zone cut or a DNAME: glue/occluded, never answered */
#define ZN_WILDCHILD 0x08 /*!< has a child named '*' */
/** An NSEC3 owner holding nothing but its NSEC3 and RRSIGs: answered as a
 *  name that does not exist (RFC 5155 §7.2.8), as knotd and BIND do. */
#define ZN_NSEC3ONLY 0x10

typedef struct zone_node {
	const uint8_t *name;  /*!< lowercased wire name, in the zone arena */
	zone_rrset_t *rrsets; /*!< sorted by type; NULL for an empty non-terminal */
	uint32_t parent;      /*!< index of the parent node; UINT32_MAX for the apex */
	uint16_t nrrsets;
	uint8_t name_len;
	uint8_t flags;
} zone_node_t;

typedef struct zone zone_t;
struct acl;

struct zone {
	uint8_t origin[255];
	uint8_t origin_len;
	uint8_t origin_labels;
	uint32_t serial;
	const zone_rrset_t *soa;
	zone_node_t *apex;
	zone_node_t *nodes;  /*!< canonical order; nodes[0] is the apex */
	uint32_t nnodes;
	uint32_t *hash;      /*!< node index + 1, 0 = empty slot */
	uint32_t hash_mask;
	uint64_t nrecords;   /*!< RRs after duplicate removal */
	char *source;        /*!< file it came from (arena) or NULL */
	time_t loaded;
	uint32_t refs;       /*!< snapshots holding this version (zone_ref/zone_unref, atomic) */
	struct zone_history *history; /*!< changesets leading here (IXFR), owned reference or NULL */
	/** Secondary: past the SOA expire without a successful refresh, so
	 * answered with SERVFAIL (RFC 1034 §4.3.5). The one field that changes
	 * after publication: read and written with zone_expired/zone_set_expired. */
	uint8_t expired;
	/** Secondary zone with no copy yet: a stand-in (SOA and NS only,
	 * expired) so queries get SERVFAIL, not REFUSED, until the first
	 * transfer replaces it. Never transferred, never counted as data. */
	uint8_t placeholder;
	/** Secondary: when the zone expires (seconds since the epoch), for
	 * EDNS EXPIRE (RFC 7314); 0 on a primary. Written like expired. */
	uint64_t expire_at;
	/** Secondary zones: who may NOTIFY it (owned by the secondary role, which
	 * outlives every snapshot holding the version); NULL elsewhere. Set
	 * before publication, read by the query workers. */
	const struct acl_slot *notify_allow;
	/** An RFC 9432 catalog: not meant to be queried (queries get REFUSED). */
	uint8_t catalog;
	/** dname_hash of the origin + 1, 0 = not computed yet: set by the control
	 * thread the first time the version enters a snapshot (before it is
	 * published), so a snapshot of 10,000 zones rebuilds its index
	 * without hashing every name again. */
	uint32_t origin_hash;
	/* DNSSEC denial index, built with the version (empty when unsigned):
	 * the nodes that own an NSEC RRset, in canonical order, and the NSEC3
	 * owners (one hashed label below the apex), in hash order, so the
	 * record covering a name is a binary search away rather than a walk
	 * back over glue, empty non-terminals and unrelated subtrees. */
	uint32_t *nsec_idx;          /*!< node indices (arena) */
	uint32_t *nsec3_idx;         /*!< node indices (arena) */
	uint32_t nnsec, nnsec3;
	/** The NSEC3 parameters answers hash names with: the apex NSEC3PARAM's
	 *  rdata (algorithm, flags, iterations, salt length, salt), or NULL. */
	const uint8_t *nsec3param;
	uint16_t nsec3param_len;
	arena_t arena;
};

/**
 * \brief Exact-match lookup. name is lowercased wire, len its length.
 * \return the node or NULL.
 */
const zone_node_t *zone_find(const zone_t *z, const uint8_t *name, size_t len);

/**
 * \brief Closest encloser of name: the deepest existing node that is name
 * or an ancestor of it (empty non-terminals exist as nodes, so this is the
 * RFC 4592 closest encloser). name must be at or below the origin.
 * \param labels_below  out: how many labels name has below the encloser (0 = exact match)
 */
const zone_node_t *zone_find_encloser(const zone_t *z, const uint8_t *name, size_t len,
				      int *labels_below);

/**
 * \brief Exact-match lookup for callers that walk names in canonical order
 * (comparing two versions node by node): the nodes right after *hint, the
 * last one found, are tried before the hash. *hint starts at UINT32_MAX
 * and is updated on a match.
 */
const zone_node_t *zone_find_near(const zone_t *z, const uint8_t *name, size_t len, uint32_t *hint);

/** \brief RRset of a type at a node, or NULL. */
const zone_rrset_t *zone_node_rrset(const zone_node_t *n, uint16_t type);

/** \brief Same type, TTL and rdata, byte for byte? NULL equals nothing. */
bool zone_rrset_equal(const zone_rrset_t *a, const zone_rrset_t *b);

/**
 * \brief The TTL one RR of rs goes out with (AXFR, IXFR, ZONEMD digest).
 * The builder merges the RRSIGs of a name into one RRset with the lowest
 * TTL; when their Original TTL fields differ, each RRSIG carries its own
 * Original TTL (RFC 4034 §3: an RRSIG's TTL is the TTL of the RRset it
 * covers), as signers write them and as validators and ZONEMD verifiers
 * downstream expect; otherwise, and for every other type, the RRset's TTL.
 * \param data, len  the RR's rdata (one of rs's)
 */
uint32_t zone_rr_ttl(const zone_rrset_t *rs, const uint8_t *data, uint16_t len);

/** \brief Index of a node in z->nodes. */
static inline uint32_t zone_node_index(const zone_t *z, const zone_node_t *n) { return (uint32_t)(n - z->nodes); }

/** \brief Canonical predecessor of a name: the last node whose name sorts <= name (apex at least). */
const zone_node_t *zone_find_le(const zone_t *z, const uint8_t *name);

/**
 * \brief The order of RRs inside an RRset (RFC 4034 §6.3: rdata as left-justified
 * octet strings, a shorter prefix first). The builder sorts by it, and the
 * differ and zone_apply() merge by it.
 */
int zone_rdata_cmp(const uint8_t *a, uint16_t alen, const uint8_t *b, uint16_t blen);

/** \brief Has the version expired (secondary)? Any thread. */
static inline bool zone_expired(const zone_t *z) { return __atomic_load_n(&z->expired, __ATOMIC_RELAXED) != 0; }
/** \brief Mark or clear expiry (control thread). */
static inline void zone_set_expired(const zone_t *z, bool on)
{
	__atomic_store_n(&((zone_t *)z)->expired, (uint8_t)on, __ATOMIC_RELAXED);
}

/** \brief Set when a secondary's version expires (control thread). */
static inline void zone_set_expire_at(const zone_t *z, uint64_t t)
{
	__atomic_store_n(&((zone_t *)z)->expire_at, t, __ATOMIC_RELAXED);
}

/**
 * \brief The EDNS EXPIRE value to answer with (RFC 7314 §3): the SOA expire
 * on a primary, the time left before expiry on a secondary. Any thread.
 */
uint32_t zone_expire_value(const zone_t *z, uint64_t now);

/** \brief Free a version and everything it owns. NULL is fine. */
void zone_free(zone_t *z);

/* ---- Building ---- */

typedef struct zone_builder zone_builder_t;

/** Validation outcome of zone_builder_finish. */
typedef struct {
	uint32_t src;     /*!< source cookie of the offending record (0 when none) */
	char msg[2600];   /*!< reason, e.g. "CNAME and other data at www.example.com." */
} zone_error_t;

/**
 * Called for each non-fatal finding (TTL mismatch inside an RRset, ...).
 */
typedef void (*zone_warn_fn)(void *ctx, uint32_t src, const char *msg);

/**
 * \brief Start building a version of the zone at origin (lowercased wire).
 * \return builder (calls malloc; freed by zone_builder_finish or zone_builder_abort), NULL on OOM.
 */
zone_builder_t *zone_builder_new(const uint8_t *origin);

/**
 * \brief Hint: the version being built probably has the same names as like
 * (a changeset applied to it). When it does, like's lookup index is copied
 * instead of rebuilt. like must outlive zone_builder_finish.
 */
void zone_builder_set_like(zone_builder_t *b, const zone_t *like);

/** \brief Receive warnings (optional). */
void zone_builder_set_warn(zone_builder_t *b, zone_warn_fn fn, void *ctx);

/**
 * \brief Add one record. The owner is lowercased by the builder. Names inside
 * rdata are kept as given (case preserved; the loader passes them lowercased).
 * \param src  opaque source position (the loader encodes file and line); reported in errors
 * \return 0; FL_EOUTZONE when owner is not at/below the origin; FL_EMALF for
 *   bad rdata for the type; FL_EINVAL for a meta type or class != IN; FL_ENOMEM.
 */
int zone_builder_add(zone_builder_t *b, const uint8_t *owner, size_t owner_len, uint16_t type,
		     uint16_t rclass, uint32_t ttl, const uint8_t *rdata, uint16_t rdlen, uint32_t src);

/**
 * \brief Sort, merge into RRsets, drop duplicates, add empty non-terminals,
 * mark cuts and occluded names, build the index, and validate: exactly one
 * SOA and only at the apex, NS at the apex, no CNAME beside other data (RRSIG
 * and NSEC excepted), at most one CNAME / DNAME per name, glue present for NS
 * targets inside the zone, TTLs <= 2^31-1 (RFC 2181 §8).
 * Consumes the builder in every case.
 * \param out  receives the new version (free with zone_free)
 * \param err  receives the reason and source on failure (may be NULL)
 * \return 0, FL_ESEMANTIC (err filled) or FL_ENOMEM.
 */
int zone_builder_finish(zone_builder_t *b, zone_t **out, zone_error_t *err);

/** \brief Drop a builder without building. */
void zone_builder_abort(zone_builder_t *b);
