/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Re-sign timers of the signed primary zones, on the control loop: one
 * libevent timer per zone, armed for the moment its earliest signature has
 * refresh validity left (primary_resign_at). Control thread only.
 *
 * Why one timer per zone and not one timer over our own min-heap: libevent
 * already keeps its timers in a min-heap (O(log n) to add, move or remove),
 * so re-arming a zone after each publish is one event_add that replaces
 * its deadline, with no second heap and index to keep in step. A zone costs
 * one struct event and its name (about 200 octets; 2 MB for 10,000 zones).
 *
 * What a shared heap would buy, batching, is kept: a timer that fires only
 * queues its zone, and one deferred event hands the queue to the callback
 * in batches of at most RESIGN_BATCH zones, so zones due together (10,000
 * signed at the same start-up are due at about the same time) are re-signed
 * into one published snapshot per batch, not one snapshot swap each, and
 * the loop serves other events (reloads, flamectl, NOTIFY) between batches.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct event_base;

/** Zones handed to the callback at once. */
#define RESIGN_BATCH 64

typedef struct resign resign_t;

/** Called on the loop with zones whose timers fired (n <= RESIGN_BATCH). */
typedef void (*resign_fn)(void *arg, const uint8_t *const *origins, size_t n);

/** \brief Timers on base; fn gets the due zones. NULL on out of memory. */
resign_t *resign_new(struct event_base *base, resign_fn fn, void *arg);

/** \brief Free every timer (pending ones are cancelled). NULL is a no-op. */
void resign_free(resign_t *r);

/**
 * \brief Arm origin's timer for wall-clock time at (the past: as soon as
 * possible), replacing the time it had.
 * \return 0 or FL_ENOMEM (logged by the caller; the zone is then not re-signed on time).
 */
int resign_arm(resign_t *r, const uint8_t *origin, time_t at);

/** \brief Forget origin's timer (zone removed or no longer signed). Unknown names are fine. */
void resign_disarm(resign_t *r, const uint8_t *origin);

/** \brief Zones with an armed timer. */
size_t resign_armed(const resign_t *r);

/** \brief When origin's timer fires (wall clock); 0 when it is not armed. */
time_t resign_when(const resign_t *r, const uint8_t *origin);
