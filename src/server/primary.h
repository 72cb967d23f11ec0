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
