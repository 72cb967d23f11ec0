/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Zone directory loader: every "<zone-name>.zone" file in one flat
 * directory is a zone whose origin is the file name without ".zone"
 * ("example.com.zone" serves example.com.; "..zone" is the root zone).
 * Other files, hidden files and subdirectories are skipped.
 *
 * Used at start-up and on reload. A reload builds a new snapshot on top of
 * the served one: zones that load replace their previous version, zones that
 * fail keep the version being served, zones whose file is gone are dropped.
 * Failures are logged here as "file:line: reason"; the other zones still load.
 * Runs on the control thread; never touches the published snapshot.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "zone/zonedb.h"

/** What one pass over the directory did. */
typedef struct zonedir_stats {
	size_t files;    /*!< zone files found (valid names) */
	size_t loaded;   /*!< loaded and (re)placed in the snapshot */
	size_t failed;   /*!< failed to load (old version kept if there was one) */
	size_t removed;  /*!< dropped because their file is gone */
	size_t skipped;  /*!< *.zone entries refused: bad name, not a regular file */
} zonedir_stats_t;

/**
 * \brief Load the zone directory on top of a snapshot.
 * \param dir    the directory; also the base for $INCLUDE
 * \param old    snapshot being served, or NULL at start-up; neither modified nor released
 * \param out    receives a new snapshot (calls malloc; zonedb_release), or NULL when the
 *               result would be identical to old (nothing loaded, nothing removed).
 *               With old == NULL an (possibly empty) snapshot is always returned on success.
 * \param stats  receives counts (may be NULL)
 * \return 0 (even when some zones failed: see stats->failed), or a negative code when the
 *         directory cannot be read or memory ran out (logged; *out is NULL).
 */
int zonedir_load(const char *dir, const zonedb_t *old, zonedb_t **out, zonedir_stats_t *stats);

/**
 * \brief Origin of a zone file name ("example.com.zone" -> example.com.).
 * \param fname  file name without directory
 * \param out    DNAME_MAXLEN bytes: lowercased wire name
 * \return name length, or a negative code when fname does not end in ".zone" or the rest is
 *         not a valid domain name (escapes, empty labels, a trailing dot are refused).
 */
int zonedir_origin(const char *fname, uint8_t *out);
