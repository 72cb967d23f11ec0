/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Serving zone transfers over TCP: the policy decision for an AXFR/IXFR
 * request (TSIG, access list, zone, IXFR history) and the session that
 * streams the answer. A session holds a reference to the zone version it
 * started with, so a version published mid-transfer changes nothing in it
 * (RFC 5936 §2.2: one coherent version). Every message of a signed
 * transfer is signed (RFC 8945 §5.3.1 allows gaps; kdig expects none).
 * The caller (a TCP connection) writes the messages with its own pace.
 * Thread-safe per session; the policy is read-only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "tsig/tsig.h"
#include "xfr/acl.h"
#include "zone/zonedb.h"

/** A zone's own transfer ACL (replaces the global one for that zone). */
typedef struct xfrout_zone_acl {
	uint8_t origin[DNAME_MAXLEN];  /*!< lowercased wire */
	acl_t acl;
} xfrout_zone_acl_t;

/** What a server allows (read-only, shared by workers). */
typedef struct xfrout_policy {
	const tsig_keyring_t *keyring; /*!< keys we verify with; NULL = none (signed requests: BADKEY) */
	acl_t transfer;                /*!< who may transfer; empty = nobody */
	const xfrout_zone_acl_t *zones; /*!< per-zone ACLs (checked first), nzones entries */
	size_t nzones;
} xfrout_policy_t;

typedef struct xfrout xfrout_t;

/** Outcome of xfrout_begin. */
typedef enum {
	XFROUT_REPLY = 0,  /*!< one reply in ans (refusal, error); no session */
	XFROUT_STREAM = 1, /*!< *out is a session: call xfrout_next until it returns 0 */
} xfrout_begin_t;

/**
 * \brief Decide on a transfer request and start it.
 * \param q, qlen  the request (QTYPE AXFR or IXFR), received over TCP
 * \param peer     client address (for the access list and logs)
 * \param now      seconds since the epoch (TSIG time checks)
 * \param db       the snapshot; call inside the QSBR read section: the
 *                 session takes its own reference to the zone version
 * \param ans      buffer for a single reply (at least 512 octets)
 * \param anslen   receives its length (0: send nothing)
 * \param log      receives a one-line description for the caller to log
 * \return XFROUT_REPLY or XFROUT_STREAM; never fails otherwise (out of memory
 *   becomes a SERVFAIL reply).
 */
xfrout_begin_t xfrout_begin(const xfrout_policy_t *pol, const zonedb_t *db, const uint8_t *q, size_t qlen,
			    const struct sockaddr *peer, uint64_t now, xfrout_t **out, uint8_t *ans,
			    size_t anscap, size_t *anslen, char *log, size_t loglen);

/**
 * \brief Next message of the transfer into buf (cap >= 65535 recommended).
 * \return length, 0 when the transfer is complete, negative on failure (the
 *   caller closes the connection: a transfer cut short is detected by the
 *   client because the final SOA never arrives).
 */
long xfrout_next(xfrout_t *x, uint8_t *buf, size_t cap, uint64_t now);

/**
 * \brief Cheap check of a raw message: the QTYPE when it is a transfer
 * request (QUERY, one question, AXFR or IXFR), else 0. For routing only.
 */
uint16_t xfrout_request_type(const uint8_t *m, size_t len);

/** \brief The session's TSIG key is marked for retirement (the caller warns: the peer must move on). */
bool xfrout_key_retiring(const xfrout_t *x);

/** \brief True once the last message of the session has been built. */
bool xfrout_done(const xfrout_t *x);

/**
 * \brief End a session (complete or not) and free it; log receives a summary
 * ("AXFR of example.com. serial 7 to 192.0.2.1: 3 messages, 1200 records").
 */
void xfrout_end(xfrout_t *x, char *log, size_t loglen);
