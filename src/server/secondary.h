/* SPDX-License-Identifier: MIT */
/**
 * \file
 * The secondary role: for every zone configured `role: secondary`, keep a
 * copy current from its primaries. Control thread only, except
 * secondary_post_notify() which the query workers call.
 *
 * A refresh (NOTIFY, SOA refresh/retry timer, start-up) asks the primary
 * for its SOA and transfers only when the serial is newer (RFC 1982): IXFR
 * with our SOA, AXFR when the primary refuses IXFR or the IXFR does not
 * apply, the next primary when a primary fails. Transfers run through
 * xfrclient on the control loop, at most secondary.max-transfers at once;
 * NOTIFY-triggered refreshes queue ahead of timer ones, and NOTIFYs for a
 * zone already queued or being refreshed coalesce.
 *
 * A received version goes through the same commit as the primary's (zone
 * checks in xfrin, ZONEMD verification, journal append with fsync, IXFR
 * history for downstream secondaries) before it is published. On disk,
 * under zones.storage: <zone>journal (changesets), <zone>snapshot (the
 * whole zone, written atomically every snapshot-interval when changed,
 * at once when the journal no longer reaches back to the last snapshot,
 * and at shutdown) and <zone>timers (time of the last good refresh, so an
 * expired zone stays expired across restarts).
 */
#pragma once

#include <stdbool.h>

#include "conf/conf.h"
#include "tsig/tsig.h"
#include "xfr/notifyin.h"
#include "zone/zonedb.h"

struct event_base;
typedef struct secondary secondary_t;

/** How the secondary reaches the served snapshot (the control loop). */
typedef struct secondary_hooks {
	/** The served version of a zone, or NULL. */
	const zone_t *(*current)(void *arg, const uint8_t *origin);
	/** One new snapshot: add (new versions, distinct origins, replacing the
	 *  served ones; the snapshot takes its own references; on failure the
	 *  served snapshot stays and the caller still owns them) minus the zones
	 *  named in del. */
	void (*update)(void *arg, zone_t *const *add, size_t nadd, const uint8_t *const *del, size_t ndel);
	void *arg;
} secondary_hooks_t;

/**
 * \brief From the config: every zone: entry whose role is secondary.
 * \param kr   keys for the primaries and for NOTIFY verification (must outlive s)
 * \param out  receives the secondary, or NULL when no zone is secondary
 * \param err  one line on a configuration error (zone without primaries,
 *             unknown key, bad source address)
 * \return 0, FL_EINVAL (config), FL_ENOMEM.
 */
int secondary_new(const conf_t *conf, const tsig_keyring_t *kr, secondary_t **out, char *err, size_t errlen);

/** \brief Who may NOTIFY what: for the query workers (valid while s lives). */
const notifyin_policy_t *secondary_notify_policy(const secondary_t *s);

/**
 * \brief Start-up: every zone with a snapshot on disk is read back, the
 * journal replayed on top of it, and added to db, so it is served at once.
 * Consumes db; returns the new snapshot (db itself when nothing was
 * restored), NULL on out of memory.
 */
zonedb_t *secondary_restore(secondary_t *s, zonedb_t *db);

/**
 * \brief A reloaded zone directory replaces the served snapshot: keep our
 * zones in it (they have no file; a file named like one of them is
 * ignored with a warning). Consumes next; NULL on out of memory.
 */
zonedb_t *secondary_merge(const secondary_t *s, const zonedb_t *served, zonedb_t *next);

/** \brief Run on the control loop: schedule the first refresh of every zone. */
int secondary_start(secondary_t *s, struct event_base *base, const secondary_hooks_t *hooks);

/** \brief An accepted NOTIFY (any thread): queued for the control loop. arg is the secondary_t. */
void secondary_post_notify(void *arg, const notifyin_event_t *ev);

/** \brief Stop: cancel transfers, snapshot changed zones (before the loop's base is freed). */
void secondary_stop(secondary_t *s);

void secondary_free(secondary_t *s);
