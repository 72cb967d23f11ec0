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
	/** Wait until no query worker can still read what was unpublished (a replaced NOTIFY ACL). */
	void (*sync)(void *arg);
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

/**
 * \brief Reload: the primaries (with their keys), sources and NOTIFY ACLs of
 * the configured zones and templates, from conf and the new keyring. Built
 * completely before anything changes: on error nothing does. Transfers in
 * flight finish with the key they started with. A zone new in the config
 * is added (placeholder, transfer at once); one gone from it is dropped
 * with its files. Consumed catalogs added or removed wait for a restart
 * (logged).
 * \param kr   the new keyring (a reference is taken, the old one dropped)
 * \return 0, FL_EINVAL (err: which zone, what), FL_ENOMEM.
 */
int secondary_reconfigure(secondary_t *s, const conf_t *conf, const tsig_keyring_t *kr, char *err, size_t errlen);

/** What `flamectl zones` shows of a secondary zone. */
typedef struct secondary_zone_info {
	const char *name;
	bool member;                  /*!< a catalog member (not in the config) */
	bool consumer;                /*!< a catalog we consume */
	bool has_copy;                /*!< a version is served */
	bool expired;
	bool refreshing;              /*!< a refresh is queued or running */
	time_t last_ok;               /*!< last successful refresh (0 = never) */
	time_t last_xfr;              /*!< last transfer that brought a version (0 = none since start) */
	const char *last_kind;        /*!< "AXFR", "IXFR", "-" */
	time_t next_refresh;          /*!< 0 = none scheduled */
	time_t expire_at;             /*!< 0 = no copy */
	const char *primary;          /*!< "ADDR@PORT key NAME" of the first primary */
	const char *last_err;         /*!< "" when none */
} secondary_zone_info_t;

/** \brief Number of secondary zones (configured and members). */
size_t secondary_count(const secondary_t *s);

/**
 * \brief Zone i (0..secondary_count-1) or the zone named origin (i ignored
 * when origin != NULL). Strings point into s and a static buffer of buf.
 * \return 0 or FL_ENOENT.
 */
int secondary_zone_info(const secondary_t *s, size_t i, const uint8_t *origin, secondary_zone_info_t *out, char *buf,
			size_t buflen);

/**
 * \brief Refresh now (SOA check, IXFR or AXFR as needed), or with axfr a
 * fresh AXFR whatever the serials say (flamectl refresh / retransfer).
 * \return 0 (queued), FL_ENOENT (not a secondary zone here).
 */
int secondary_refresh(secondary_t *s, const uint8_t *origin, bool axfr);

/** \brief Journal of a secondary zone (NULL: none yet, or not ours). */
struct journal *secondary_journal(secondary_t *s, const uint8_t *origin);

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
