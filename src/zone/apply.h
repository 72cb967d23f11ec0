/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Applying changesets: the next version of a zone from the served one plus
 * an RFC 1995 changeset (what a secondary does with IXFR, and what the tests
 * use to check the differ), a new serial for an otherwise identical version,
 * and RR-for-RR equality of two versions. Every new version goes through a
 * zone_builder, so it is validated exactly like a loaded zone. Pure: no
 * logging; refusals come back as a code and a reason.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "zone/changeset.h"
#include "zone/zone.h"

/**
 * \brief Build the version that results from applying cs to old.
 *
 * The result holds every RR of old except the deleted ones, plus the added
 * ones, with old's SOA replaced by cs->soa_to. An RR is identified by owner
 * (compared case-insensitively), type and rdata; the TTL of a deletion is
 * not compared (RFC 2181 §5: the TTL belongs to the RRset). An RR added to
 * an RRset that keeps other RRs with another TTL makes the builder use the
 * lowest TTL for the RRset (as when loading a file). The serial of soa_to
 * is not checked against old's: the caller decides which serials it accepts.
 * The result's source is a copy of old's; old is not modified.
 *
 * \param old  the version the changeset starts from (not NULL)
 * \param cs   the changeset (not NULL); its lists may be in any order
 * \param out  receives the new version (calls malloc; free with zone_free);
 *             set only on success
 * \param err  receives the reason on FL_ESEMANTIC (may be NULL); err->src is 0
 * \return 0; FL_ESEMANTIC when the changeset does not fit old (no SOA in it,
 *   soa_from's serial is not old's serial, an SOA owner other than the
 *   origin, a deletion of an RR that old does not have or of the same RR
 *   twice, an addition of an RR that old keeps or of the same RR twice, an
 *   SOA in the lists, an addition outside the zone or with bad rdata) or when
 *   the result fails validation (CNAME and other data, missing glue, ...);
 *   FL_ENOMEM.
 */
int zone_apply(const zone_t *old, const changeset_t *cs, zone_t **out, zone_error_t *err);

/**
 * \brief RR-for-RR equality: same origin, same names, same RRsets with the
 * same TTLs and the same rdata. Build time, source and reference counts are
 * not compared.
 * \param a, b  versions (not NULL)
 */
bool zone_equal(const zone_t *a, const zone_t *b);

/**
 * \brief A new version identical to z except for the SOA serial (for the
 * serial policies). Goes through zone_apply() with an SOA-only changeset,
 * so it costs a rebuild of the zone.
 * \param z       the version to copy (not NULL; not modified)
 * \param serial  the new serial (any value; the caller applies RFC 1982)
 * \param out     receives the new version (calls malloc; free with zone_free)
 * \return 0 or FL_ENOMEM (FL_ESEMANTIC / FL_EINVAL only if z were not a
 *   valid version).
 */
int zone_set_serial(const zone_t *z, uint32_t serial, zone_t **out);
