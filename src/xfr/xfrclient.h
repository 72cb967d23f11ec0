/* SPDX-License-Identifier: MIT */
/**
 * \file
 * The transfer client: one non-blocking TCP exchange with one primary, run
 * on a libevent base (the control loop). Optionally an SOA query first
 * (RFC 1996 §3.11: a NOTIFY is only a hint; RFC 1034 §4.3.5 refresh), then
 * an IXFR carrying our SOA (RFC 1995) or an AXFR (RFC 5936), every message
 * TSIG-signed and verified when a key is given, parsed by xfrin (xfrin.h).
 *
 * The SOA query asks for EDNS EXPIRE (RFC 7314), so a secondary that
 * refreshes from another secondary can count its expiry from the primary.
 *
 * The client decides nothing about fallback: it says what happened
 * (xfrc_status_t) and the caller (the secondary) chooses AXFR or the next
 * primary. Owner: the caller; xfrc_free() cancels a running exchange.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "tsig/tsig.h"
#include "xfr/xfrin.h"
#include "zone/zone.h"

struct event_base;

typedef struct xfrc_req {
	struct sockaddr_storage addr;   /*!< the primary */
	socklen_t addrlen;
	struct sockaddr_storage source; /*!< bind here first when sourcelen > 0 (port 0 usually) */
	socklen_t sourcelen;
	const tsig_key_t *key;          /*!< sign and verify with it; NULL = unsigned (the client
					     holds its keyring until xfrc_free: tsig_key_hold) */
	uint8_t origin[DNAME_MAXLEN];   /*!< zone (lowercased wire) */
	const zone_t *current;          /*!< served version (kept alive by the caller until done), or NULL */
	bool soa_first;                 /*!< ask the SOA and transfer only when it is newer than current */
	bool axfr;                      /*!< AXFR even when current is set */
	xfrin_limits_t lim;
	unsigned timeout_ms;            /*!< without progress (connect, each read) */
} xfrc_req_t;

typedef enum {
	XFRC_RUNNING = 0,
	XFRC_DONE,          /*!< a new version: result.zone (caller takes it), changesets for IXFR */
	XFRC_UPTODATE,      /*!< the primary's serial is not newer than ours */
	XFRC_IXFR_REFUSED,  /*!< the IXFR was refused or did not apply: try AXFR (same primary) */
	XFRC_FAILED,        /*!< network, protocol, TSIG, limits: try the next primary */
} xfrc_status_t;

typedef struct xfrc_result {
	xfrc_status_t status;
	xfrin_kind_t kind;              /*!< XFRC_DONE / XFRC_UPTODATE after a transfer */
	zone_t *zone;                   /*!< XFRC_DONE: the new version; set to NULL when taken */
	bool have_primary_serial;
	uint32_t primary_serial;        /*!< from the SOA query, or the transfer's SOA */
	bool have_expire;
	uint32_t expire;                /*!< EDNS EXPIRE of the SOA answer (RFC 7314): the
					     time left on the server's own expire timer */
	uint64_t messages, records, bytes;
	double ms;                      /*!< from start to the end */
	bool badkey;                    /*!< XFRC_FAILED because the primary answered TSIG BADKEY */
	char err[600];                  /*!< why, for everything but DONE/UPTODATE */
} xfrc_result_t;

typedef struct xfrc xfrc_t;

/** Called once, from the event loop, when the exchange ended (never from xfrc_start). */
typedef void (*xfrc_done_fn)(void *arg, xfrc_t *c);

/** \brief Start an exchange. \return the client, or NULL on out of memory. */
xfrc_t *xfrc_start(struct event_base *base, const xfrc_req_t *req, xfrc_done_fn done, void *arg);

/** \brief The outcome (meaningful in the done callback and after). */
xfrc_result_t *xfrc_result(xfrc_t *c);

/** \brief Changesets of an incremental transfer, in order (valid until xfrc_free;
 * the caller may move them into a history, see zone_history_extend). */
changeset_t *const *xfrc_changesets(const xfrc_t *c, size_t *n);

/** \brief Cancel if running, free everything (a result zone not taken is freed). NULL is fine. */
void xfrc_free(xfrc_t *c);
