/* SPDX-License-Identifier: MIT */
/**
 * \file
 * The commands of the control socket (flamectl): each reads the daemon's
 * state on the control loop and answers with ctlproto records; reload and
 * the zone actions call back into the control loop. The record types and
 * fields of every command are listed in docs/control-protocol.md.
 */
#pragma once

#include <stddef.h>
#include <time.h>

#include "conf/conf.h"
#include "ctl/ctlproto.h"
#include "server/catprod.h"
#include "server/primary.h"
#include "server/resign.h"
#include "server/secondary.h"
#include "server/server.h"
#include "xfr/notify.h"

/** What the commands see (owned by the control loop; pointers may be NULL where a role is absent). */
typedef struct ctlcmd_env {
	server_t *srv;
	secondary_t *secondary;
	notify_t *notify;
	catprod_t *catprod;
	const conf_t *conf;             /*!< the configuration in force */
	const char *config_path;        /*!< NULL: none (command line only) */
	const char *version;
	time_t started;
	time_t last_reload;             /*!< 0: none yet */
	char last_reload_result[1200];  /*!< "ok ..." or the error */
	const resign_t *resign;         /*!< re-sign timers of signed zones, NULL: none */
	/** Full reload (config, keys, zones); err gets the reason on failure. */
	int (*reload)(void *arg, char *err, size_t errlen);
	void *arg;
} ctlcmd_env_t;

/**
 * \brief Run one request.
 * \return 0 (records in out) or non-zero with err set (one line).
 */
int ctlcmd_run(ctlcmd_env_t *env, const ctl_req_t *req, ctl_out_t *out, char *err, size_t errlen);
