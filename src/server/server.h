/* SPDX-License-Identifier: MIT */
/**
 * \file
 * The network server: query worker threads, each with its own libevent
 * event_base and its own SO_REUSEPORT UDP and TCP sockets for every listen
 * address, answering from the zone snapshot the control thread publishes.
 *
 * Lifecycle (all calls from the main thread):
 *   server_new()   opens and binds every socket (do it while still root)
 *   server_start() starts the workers
 *   server_swap_db() publishes a new snapshot (reload)
 *   server_stop()  stops and joins the workers
 *   server_free()  closes sockets, frees the workers and the snapshot
 * Not here: signals and reload policy (control.h), privileges (the daemon's main).
 */
#pragma once

#include <stddef.h>

#include "conf/conf.h"
#include "tsig/tsig.h"
#include "xfr/notifyin.h"
#include "zone/zonedb.h"

typedef struct server server_t;

/**
 * \brief Create the workers and open every socket of conf->server.listen.
 * Uses server.workers, udp-max-payload, tcp-idle-timeout, tcp-max-clients,
 * identity and version (copied: conf may be freed afterwards).
 * \param keys TSIG keyring (keys_load; the server takes its own reference),
 *             or NULL: no keys (every signed request gets BADKEY)
 * \param db   initial snapshot; the server owns it from now on, even on failure
 * \param err  receives one line saying what failed (e.g. which address did not bind)
 * \return server (calls malloc; server_free), or NULL on failure.
 */
server_t *server_new(const conf_t *conf, const tsig_keyring_t *keys, zonedb_t *db, char *err, size_t errlen);

/**
 * \brief Start the worker threads. Signals are blocked in the workers, so
 * they reach the calling thread.
 * \return 0, or a negative code (err filled; workers already started are stopped).
 */
int server_start(server_t *s, char *err, size_t errlen);

/**
 * \brief NOTIFY in: who may NOTIFY which zone, and where accepted NOTIFYs
 * go (called from worker threads). Before server_start; pol must outlive
 * the server. Without it every NOTIFY is answered NOTAUTH.
 */
void server_set_notify_in(server_t *s, const notifyin_policy_t *pol,
			  void (*post)(void *arg, const notifyin_event_t *ev), void *arg);

/** \brief The snapshot being served (for the control thread only). */
const zonedb_t *server_db(const server_t *s);

/**
 * \brief Publish db and wait until no worker can still read the previous
 * snapshot (QSBR grace period).
 * \return the previous snapshot, now unused: the caller releases it.
 */
zonedb_t *server_swap_db(server_t *s, zonedb_t *db);

/**
 * \brief Reload: the keyring and the transfer ACLs of conf replace the ones
 * in force, atomically for the workers (control thread; waits for a grace
 * period, then frees the old ones). keys: a reference is taken.
 * \return 0 or FL_ENOMEM / FL_EINVAL (err filled; nothing changed).
 */
int server_reconfigure(server_t *s, const conf_t *conf, const tsig_keyring_t *keys, char *err, size_t errlen);

/** \brief The keyring in force (control thread). */
const tsig_keyring_t *server_keyring(const server_t *s);

/** \brief Wait until every worker has passed a quiescent state (frees after a swap). */
void server_synchronize(server_t *s);

/** \brief Number of query workers. */
int server_workers(const server_t *s);

/** \brief Stop the workers and wait for them (idempotent). */
void server_stop(server_t *s);

/** \brief Stop if needed, close everything, free the snapshot. NULL is fine. */
void server_free(server_t *s);
