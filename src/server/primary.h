/* SPDX-License-Identifier: MIT */
/**
 * \file
 * The primary role's state across reloads: one journal per zone under the
 * storage directory, the serial policy, and the commit of every reloaded
 * zone through the pipeline (zone/pipeline.h) before it is published.
 * Control thread only.
 *
 * Restarts: beside each journal a small state file records the serial and a
 * content digest (SHA-256 over every RR, the SOA serial left out) of the
 * last published version. At start-up a zone file with the same content is
 * served at that serial with its journal history, so IXFR and the serial
 * survive a restart under every serial policy; different content gets a
 * new serial (never going backwards) and a fresh journal.
 */
#pragma once

#include <stdbool.h>
#include <time.h>

#include "conf/conf.h"
#include "zone/zonedb.h"

typedef struct primary primary_t;

/** \brief From the config (zones.storage, zones.serial-policy, journal limits). NULL on OOM. */
primary_t *primary_new(const conf_t *conf);
void primary_free(primary_t *p);

/**
 * \brief First load: returns the snapshot to serve (serials fixed up, IXFR
 * histories restored from the journals). Consumes loaded. Logs per zone.
 * \return the snapshot, or NULL on out of memory (loaded released).
 */
zonedb_t *primary_startup(primary_t *p, zonedb_t *loaded);

/**
 * \brief Zones primary_startup() served at another serial than before the
 * restart (their file changed while we were down): the secondaries do not
 * know yet, so they are NOTIFYed once the control loop runs. Zones without
 * a recorded state (first start, no storage) are not listed.
 * \return the count; primary_startup_changed_at(p, i) is the i-th origin.
 */
size_t primary_startup_changed(const primary_t *p);
const uint8_t *primary_startup_changed_at(const primary_t *p, size_t i);

/**
 * \brief A reload: every zone of next that is not the served version is
 * committed (serial policy, diff, journal, history) or falls back to the
 * served version. Consumes next; returns the snapshot to publish, or NULL
 * when nothing changed (then nothing needs publishing). Logs per zone.
 */
zonedb_t *primary_commit(primary_t *p, const zonedb_t *served, zonedb_t *next);

/**
 * \brief When the served version z of a zone we sign needs re-signing: its
 * earliest RRSIG expiration minus the zone's effective refresh, never
 * sooner than SIGTIME_MIN_DELAY from now (dnssec/sigtime.h).
 * \return false when we do not sign z (nothing to arm).
 */
bool primary_resign_at(primary_t *p, const zone_t *z, time_t now, time_t *at);

/**
 * \brief The re-sign timer fired for the served version old: its records
 * signed again, the signatures that are due (less than refresh + the batch
 * window left) remade and the others kept, serial + 1 (policy keep) or the
 * zone's serial policy, committed like an edit (journal, history; the
 * caller publishes and NOTIFYs). Logs "zone Z: re-signed N signatures
 * before expiry, serial A -> B" at notice (N counts the SOA's too).
 * \param out  receives the version to publish (owned by the caller, zone_free if never published)
 * \return 1 published, 0 nothing due yet (re-arm with primary_resign_at), negative on failure (logged).
 */
int primary_resign(primary_t *p, const zone_t *old, zone_t **out);
