/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Catalog producer (RFC 9432): on a primary, the zone configured with
 * `catalog: producer` is generated from the zones of zones.directory. Every
 * served primary zone is a member, under a unique label kept for as long as
 * the zone stays (labels survive restarts: the last catalog is kept as a
 * snapshot in zones.storage); a zone that leaves and comes back gets a new
 * label, which tells consumers to drop what they held (§5.4). The optional
 * group property comes from the member's zone entry (catalog-group).
 *
 * The generated version goes through the primary's own commit like a zone
 * file would (serial, diff, journal, IXFR history, NOTIFY), so consumers get
 * IXFRs of the member changes. Control thread only.
 */
#pragma once

#include "conf/conf.h"
#include "zone/zonedb.h"

typedef struct catprod catprod_t;

/** \brief From the config; *out NULL when no zone is `catalog: producer`. 0 or FL_ENOMEM. */
int catprod_new(const conf_t *conf, catprod_t **out);
void catprod_free(catprod_t *p);

/**
 * \brief Keep the catalog in step with a candidate snapshot, before the
 * primary's commit: a version of the catalog zone loaded from a file is
 * dropped (logged), and when the member set differs from the served
 * catalog's, a new catalog version (serial + 1, or the current time at the
 * very first start) takes its place in the candidate.
 * \param served  the served snapshot, NULL at start-up
 * \param next    candidate (consumed)
 * \return the candidate to commit, NULL on out of memory (logged).
 */
zonedb_t *catprod_update(catprod_t *p, const zonedb_t *served, zonedb_t *next);

/**
 * \brief After the commit: keep the committed catalog (its labels) on disk,
 * when it is a new version.
 */
void catprod_save(catprod_t *p, const zonedb_t *next);

/** \brief The catalog's origin (lowercased wire). */
const uint8_t *catprod_origin(const catprod_t *p);
