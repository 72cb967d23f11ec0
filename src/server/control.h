/* SPDX-License-Identifier: MIT */
/**
 * \file
 * The control loop of the main thread: signals arrive here as libevent
 * evsignal events and the real work runs in the loop, never in a handler.
 * SIGTERM/SIGINT end the loop; SIGHUP reloads the zone directory (build a
 * new snapshot beside the served one, swap, wait for the workers, free the
 * old one). Later: inotify, timers, the control socket, metrics.
 */
#pragma once

#include "server/server.h"

/**
 * \brief Run the loop until SIGTERM or SIGINT. The caller should block
 * SIGTERM, SIGINT and SIGHUP early at start-up; the loop unblocks them once
 * it handles them, so an early signal is delayed, not fatal.
 * \param srv       started server
 * \param zone_dir  directory reloaded on SIGHUP
 * \return 0 on a clean stop, a negative code when the loop could not be set up.
 */
int control_run(server_t *srv, const char *zone_dir);
