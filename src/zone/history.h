/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Zone history: the recent changesets that lead up to a zone version, kept
 * in memory beside it so IXFR is answered from the very version being
 * served, by any worker, without touching the journal (which is the
 * control thread's, for persistence across restarts).
 *
 * A history is immutable and reference counted; extending it builds a new
 * one that shares the changesets (each changeset is reference counted too),
 * so publishing a version costs one small array copy.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "zone/changeset.h"

typedef struct zone_history zone_history_t;

/** Bounds of a history (0 = unlimited). */
typedef struct {
	size_t max_changesets;
	size_t max_bytes; /*!< sum of changeset_wire_size */
} zone_history_limits_t;

/**
 * \brief New history = old + cs, oldest changesets dropped to fit the limits
 * (the newest is always kept). cs must chain from old's last serial (when
 * old is non-empty); it is moved into the history (the caller's cs is left
 * empty, as after changeset_init).
 * \param old may be NULL (then a history of just cs)
 * \return new history with one reference (zone_history_unref), NULL on OOM
 *   or FL-style misuse (serials do not chain); cs is untouched on failure.
 */
zone_history_t *zone_history_extend(const zone_history_t *old, changeset_t *cs,
				    const zone_history_limits_t *lim);

/** \brief Take / drop a reference (NULL is fine for unref). */
void zone_history_ref(zone_history_t *h);
void zone_history_unref(zone_history_t *h);

/** \brief Number of changesets held; serial of the oldest start and of the newest end. */
size_t zone_history_count(const zone_history_t *h);
uint32_t zone_history_first_serial(const zone_history_t *h);
uint32_t zone_history_last_serial(const zone_history_t *h);

/**
 * \brief The chain of changesets from serial `from` to the newest.
 * \param out  receives a pointer into the history (valid while a reference is held)
 * \param n    receives its length
 * \return 0, or FL_ENOENT when `from` is not the start of a held changeset.
 */
int zone_history_from(const zone_history_t *h, uint32_t from, const changeset_t *const **out, size_t *n);
