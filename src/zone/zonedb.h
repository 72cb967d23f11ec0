/* SPDX-License-Identifier: MIT */
/**
 * \file
 * The set of zones a server answers for: an immutable snapshot mapping zone
 * names to zone versions. Workers read the current snapshot under
 * qsbr_enter/qsbr_exit; the control thread builds a new snapshot (sharing
 * unchanged zone versions), publishes it with one atomic pointer store and
 * frees the old snapshot after qsbr_synchronize().
 *
 * Zone versions are reference counted per snapshot (not per query), so a
 * version shared by two snapshots is freed with the last one.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "zone/zone.h"

typedef struct zonedb zonedb_t;

/** \brief Empty snapshot. Calls malloc; free with zonedb_release. NULL on OOM. */
zonedb_t *zonedb_new(void);

/**
 * \brief Snapshot of n zone versions (distinct origins), built in one go
 * (a reload of thousands of zones is one sort, not one per zone).
 * Takes a reference to each zone. On failure (NULL) no reference is taken.
 */
zonedb_t *zonedb_from(zone_t *const *zones, size_t n);

/**
 * \brief New snapshot = old one with zone z added or replacing the zone of the same origin.
 * The new snapshot takes a reference to z (and to every shared version).
 * \param old may be NULL (then a snapshot with just z).
 * \return new snapshot or NULL on OOM (old untouched, no reference taken:
 *   the caller still owns z).
 */
zonedb_t *zonedb_with(const zonedb_t *old, zone_t *z);

/**
 * \brief New snapshot = old minus the zones named in del, plus add (which
 * replace zones of the same origin): a batch of membership changes costs
 * one snapshot, not one per zone. Same reference rules as zonedb_with.
 * \return new snapshot or NULL on OOM (old untouched, no reference taken).
 */
zonedb_t *zonedb_update(const zonedb_t *old, zone_t *const *add, size_t nadd, const uint8_t *const *del, size_t ndel);

/** \brief New snapshot without the zone named origin. NULL on OOM. */
zonedb_t *zonedb_without(const zonedb_t *old, const uint8_t *origin);

/** \brief Deepest zone whose origin is name or an ancestor of it, or NULL. */
const zone_t *zonedb_find(const zonedb_t *db, const uint8_t *name, size_t len);

/** \brief Exact zone by origin, or NULL. */
const zone_t *zonedb_get(const zonedb_t *db, const uint8_t *origin);

/** \brief Number of zones and i-th zone (sorted by origin in canonical order). */
size_t zonedb_count(const zonedb_t *db);
const zone_t *zonedb_at(const zonedb_t *db, size_t i);

/**
 * \brief Take a zone version reference (the zone stays valid while held).
 * A version not yet in any snapshot starts with no references.
 */
void zone_ref(zone_t *z);
/** \brief Drop a reference; frees the zone at zero. */
void zone_unref(zone_t *z);

/** \brief Free a snapshot and drop its zone references. NULL is fine. */
void zonedb_release(zonedb_t *db);
