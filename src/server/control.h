/* SPDX-License-Identifier: MIT */
/**
 * \file
 * The control loop of the main thread: signals arrive here as libevent
 * evsignal events and the real work runs in the loop, never in a handler.
 * SIGTERM/SIGINT end the loop; SIGHUP and `flamectl reload` reload the
 * configuration and the TSIG keys (built beside the ones in force, swapped
 * only when all of it is valid) and then the zone directory (build a new
 * snapshot beside the served one, swap, wait for the workers, free the old
 * one); the zone watcher (watch.h) reloads just the zones whose files
 * changed; every zone published with a new serial is NOTIFYed to the
 * configured targets (notify.h), whose sockets and timer live in this loop.
 * The control socket (ctlsock.h, ctlcmd.h) is served here too.
 */
#pragma once

#include <stdbool.h>
#include <time.h>

#include "server/catprod.h"
#include "server/primary.h"
#include "server/secondary.h"
#include "server/server.h"
#include "xfr/notify.h"
#include "zone/zonedir.h"

struct ctlsock;

/**
 * Reads the configuration again (file plus command-line overrides) for a
 * reload. Fills c (all zero on entry) or returns non-zero with err set.
 */
typedef int (*control_load_fn)(void *arg, conf_t *c, char *err, size_t errlen);

/** How the loop keeps the zones current. */
typedef struct control_opts {
	bool watch;                        /*!< reload changed zone files (inotify) */
	zonedir_deps_t *deps;              /*!< $INCLUDE dependencies of the served zones
					        (zonedir_load_deps); kept up to date by the
					        loop, still owned by the caller; may be NULL */
	const struct timespec *loaded_at;  /*!< CLOCK_REALTIME_COARSE taken before the served
					        zones were read (changes after it are caught
					        up when the watch starts); may be NULL */
	primary_t *primary;                /*!< commit step of reloaded zones; NULL = publish as loaded */
	catprod_t *catprod;                /*!< catalog generated from the served zones; NULL = none */
	secondary_t *secondary;            /*!< secondary zones kept current on this loop; NULL = none.
					        Started on the loop's base and stopped (snapshots
					        written) before control_run returns */
	const conf_t *conf;                /*!< configuration in force at start (caller's; outlives the loop) */
	const char *config_path;           /*!< NULL: command line only */
	control_load_fn load;              /*!< reload reads the config with it; NULL: zones only */
	void *load_arg;
	struct ctlsock *ctl;               /*!< control socket (opened by the caller), served on the loop; may be NULL */
	const char *version;
	notify_t *notify;                  /*!< NOTIFY out after each published change; NULL = none.
					        Started on the loop's base and stopped before
					        control_run returns; still owned by the caller */
} control_opts_t;

/**
 * \brief Run the loop until SIGTERM or SIGINT. The caller should block
 * SIGTERM, SIGINT and SIGHUP early at start-up; the loop unblocks them once
 * it handles them, so an early signal is delayed, not fatal.
 * \param srv       started server
 * \param zone_dir  directory reloaded on SIGHUP and watched
 * \param opts      may be NULL (no watching, no include tracking)
 * \return 0 on a clean stop, a negative code when the loop could not be set up.
 *         A watch that cannot be set up is logged and the loop runs without it.
 */
int control_run(server_t *srv, const char *zone_dir, const control_opts_t *opts);

/**
 * \brief NOTIFY targets of a configuration (notify.targets, then every
 * zone's own list, scoped to it), keys looked up in kr.
 * \param out  receives a malloc'ed array (free it), *n entries
 * \return 0, FL_ENOENT (a key kr lacks: err says where), FL_EINVAL, FL_ENOMEM.
 */
int control_notify_targets(const conf_t *conf, const tsig_keyring_t *kr, notify_target_t **out, size_t *n, char *err,
			   size_t errlen);
