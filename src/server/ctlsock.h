/* SPDX-License-Identifier: MIT */
/**
 * \file
 * The control socket flamectl talks to (protocol: src/ctl/ctlproto.h,
 * docs/control-protocol.md). A Unix stream socket served on the control
 * loop, one request per connection. Who may use it is decided twice: by
 * the file mode (0600, or 0660 and a configured group) and by the peer's
 * credentials (SO_PEERCRED): root, our own uid, or a member of the group.
 * A refused peer gets one ERR line and a warning in the log.
 *
 * Requests run on the control loop, one at a time, so a command sees the
 * same state as reloads and transfers (no locking); answers are written
 * without blocking the loop.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "ctl/ctlproto.h"

struct event_base;
typedef struct ctlsock ctlsock_t;

/**
 * Runs one request (control loop). Fill out with records, or set err and
 * return non-zero for an ERR answer.
 */
typedef int (*ctlsock_handler_fn)(void *arg, const ctl_req_t *req, ctl_out_t *out, char *err, size_t errlen);

/**
 * \brief Create, bind and listen (before dropping privileges: the path may
 * be in a root-owned directory). A stale socket file nobody answers on is
 * replaced; a live one is an error (another daemon).
 * \param path   socket path
 * \param group  NULL: mode 0600; else 0660 and this group
 * \param owner  uid/gid to give the socket file ((uid_t)-1: keep ours), the
 *               user we drop privileges to
 * \param err    one line on failure
 * \return the socket state (not yet served), or NULL.
 */
ctlsock_t *ctlsock_open(const char *path, const char *group, uid_t owner, gid_t owner_gid, char *err,
			size_t errlen);

/** \brief Serve on base; handler runs each request. \return 0 or FL_ENOMEM. */
int ctlsock_start(ctlsock_t *c, struct event_base *base, ctlsock_handler_fn handler, void *arg);

/** \brief Stop serving (connections in progress are closed), keep the socket. Idempotent. */
void ctlsock_stop(ctlsock_t *c);

/** \brief Close, remove the socket file, free. NULL is a no-op. */
void ctlsock_free(ctlsock_t *c);
