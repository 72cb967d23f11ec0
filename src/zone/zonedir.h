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
 * Per-zone $INCLUDE dependencies: for each zone file name, the resolved
 * paths (realpath) of the files its last load pulled in. Kept by the caller
 * across reloads so a change to an included file can be mapped back to the
 * zones that include it. Opaque; only the control thread touches it.
 */
typedef struct zonedir_deps zonedir_deps_t;

/** \brief Empty dependency table. Calls malloc; zonedir_deps_free. NULL on OOM. */
zonedir_deps_t *zonedir_deps_new(void);

/** \brief Free the table. NULL is fine. */
void zonedir_deps_free(zonedir_deps_t *d);

/**
 * \brief Zone files that include path.
 * \param path  resolved path of an included file
 * \param cb    called once per zone file name (file name only, no directory); the
 *              string is valid during the call only
 * \return number of calls made.
 */
size_t zonedir_deps_users(const zonedir_deps_t *d, const char *path,
			  void (*cb)(void *ctx, const char *fname), void *ctx);

/**
 * \brief Every distinct included file, in no particular order.
 * \param out  receives an array of n borrowed strings (calls malloc: free the array
 *             only); valid until the next call that changes d
 * \return 0 or FL_ENOMEM (*out NULL, *n 0).
 */
int zonedir_deps_paths(const zonedir_deps_t *d, const char ***out, size_t *n);

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

/**
 * \brief Same as zonedir_load, and rebuild deps from this pass: zones that
 * loaded record what they include now, zones that failed keep what they
 * included before plus what this attempt reached, removed zones are dropped.
 * \param deps  may be NULL (then identical to zonedir_load)
 */
int zonedir_load_deps(const char *dir, const zonedb_t *old, zonedb_t **out, zonedir_stats_t *stats,
		      zonedir_deps_t *deps);

/**
 * \brief Reload only some zone files on top of the served snapshot; every
 * other zone version is shared with old. For each named file: loaded and
 * valid replaces (or adds) its zone; a parse or validation failure keeps the
 * served version and logs "file:line: reason"; a missing file (or one that
 * is no longer a regular file) drops the zone and logs it. The batch becomes
 * one snapshot (one zonedb_from call), however many files it names.
 * \param dir     the zone directory (base for $INCLUDE)
 * \param old     snapshot being served (not NULL); neither modified nor released
 * \param fnames  zone file names without directory ("example.com.zone"); names that are
 *                not valid zone file names are logged and skipped; duplicates are fine
 * \param deps    updated for the zones in the batch as in zonedir_load_deps (may be NULL)
 * \param out     receives the new snapshot (calls malloc; zonedb_release), or NULL when
 *                nothing changed (every file failed or named no served zone)
 * \param stats   receives counts (may be NULL); files = names in the batch
 * \return 0 (even when some zones failed), or FL_ENOMEM (logged; *out NULL, deps unchanged
 *         for the zones not yet handled).
 */
int zonedir_reload_files(const char *dir, const zonedb_t *old, const char *const *fnames, size_t n,
			 zonedir_deps_t *deps, zonedb_t **out, zonedir_stats_t *stats);
