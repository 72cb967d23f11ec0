/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Transfers in (the secondary side): a parser for the response messages of
 * an AXFR (RFC 5936) or IXFR (RFC 1995) that the caller received over TCP,
 * fed one message at a time. At the end it yields a complete new zone
 * version: built with a zone_builder (AXFR, AXFR-style IXFR answer), or the
 * current version with the received changesets applied in order with
 * zone_apply() (incremental IXFR); or "up to date" (single SOA answer).
 *
 * Checked: message ID, QR, opcode, RCODE, the question (zone, class IN,
 * the requested type), the SOA framing of the stream (RFC 5936 §2.2,
 * RFC 1995 §4), the serial chain of an incremental answer, every RR (class
 * IN, owner inside the zone, no meta types, well-formed rdata; compressed
 * names in rdata are expanded, CNAME/LNAME fields lowercased like the zone
 * loader does), TSIG on every message when a context is given (RFC 8945
 * §5.3.1), and limits on records and bytes.
 *
 * Pure: no sockets, no logging; every refusal comes back as a negative
 * FL_* code with a reason in x->err. Not thread-safe; one owner.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/dname.h"
#include "tsig/tsig.h"
#include "zone/changeset.h"
#include "zone/zone.h"

/** Default limits (used for 0 fields of xfrin_limits_t). */
#define XFRIN_DEFAULT_MAX_RECORDS 50000000ULL
#define XFRIN_DEFAULT_MAX_BYTES (4ULL << 30)

/** Limits of one transfer; 0 means the default. */
typedef struct xfrin_limits {
	uint64_t max_records; /*!< RRs in the answer sections, all SOAs included */
	uint64_t max_bytes;   /*!< sum of the message lengths */
} xfrin_limits_t;

/** What a complete transfer turned out to be. */
typedef enum {
	XFRIN_NONE = 0,         /*!< not known yet */
	XFRIN_AXFR,             /*!< full transfer requested and received */
	XFRIN_IXFR,             /*!< incremental answer: changesets applied */
	XFRIN_IXFR_AXFR_STYLE,  /*!< IXFR answered with the whole zone */
	XFRIN_UPTODATE,         /*!< IXFR answered with a single SOA not newer than ours */
} xfrin_kind_t;

typedef struct xfrin {
	uint8_t origin[DNAME_MAXLEN]; /*!< lowercased wire */
	uint8_t origin_len;
	const zone_t *current;  /*!< version the IXFR starts from; NULL for AXFR */
	uint16_t qid;
	tsig_ctx_t *tsig;       /*!< client ctx from tsig_sign_request, or NULL */
	xfrin_limits_t lim;
	int state;              /*!< see xfrin.c */
	int result;             /*!< 0, or the sticky error */
	xfrin_kind_t kind;
	uint32_t serial;        /*!< serial of the first SOA (the version transferred) */
	uint8_t *soa_rd;        /*!< IXFR: the first SOA, kept until the second RR tells the style */
	uint16_t soa_rdlen;
	uint32_t soa_ttl;
	zone_builder_t *b;      /*!< AXFR / AXFR-style: the new version being built */
	changeset_t **cs;       /*!< incremental: received changesets, in order */
	size_t ncs, cscap;
	uint8_t *rdbuf;         /*!< rdata with names expanded */
	uint64_t messages;      /*!< messages accepted */
	uint64_t records;       /*!< RRs in the answer sections */
	uint64_t bytes;         /*!< message bytes */
	char err[256];          /*!< reason of the failure ("" when none) */
} xfrin_t;

/**
 * \brief Start parsing a transfer.
 * \param origin   zone name (wire; lowercased here)
 * \param current  the served version for an IXFR (must be of origin; kept
 *                 alive by the caller until xfrin_finish), NULL for an AXFR
 * \param qid      message ID of the request
 * \param tsig     the ctx tsig_sign_request() set up for the request, or
 *                 NULL when the request was unsigned (caller owns it)
 * \param lim      limits, or NULL for the defaults
 * \return 0, FL_EINVAL (bad origin, current of another zone), FL_ENOMEM.
 *   xfrin_clear() is needed in every case.
 */
int xfrin_init(xfrin_t *x, const uint8_t *origin, const zone_t *current, uint16_t qid, tsig_ctx_t *tsig,
	       const xfrin_limits_t *lim);

/**
 * \brief Consume the next response message.
 * \param now  current time (seconds since the epoch), for TSIG
 * \return 0 (need more), 1 (complete: call xfrin_finish), or a negative code
 *   with the reason in x->err: FL_EMALF (malformed or out-of-protocol answer,
 *   server error RCODE, TSIG failure), FL_EOUTZONE (owner outside the zone),
 *   FL_ELIMIT, FL_ESEMANTIC / FL_EINVAL (the builder refused an RR), FL_ENOMEM.
 *   Errors are sticky; a message after completion is an error.
 */
int xfrin_feed(xfrin_t *x, const uint8_t *msg, size_t len, uint64_t now);

/**
 * \brief Produce the result of a complete transfer.
 * \param out   receives the new version (free with zone_free), or NULL for
 *              XFRIN_UPTODATE
 * \param kind  receives the kind (may be NULL)
 * \return 0; the sticky error; FL_EMALF when the transfer is incomplete;
 *   FL_ESEMANTIC when the zone fails validation or the changesets do not
 *   apply ("IXFR does not apply: ...", the caller falls back to AXFR);
 *   FL_ENOMEM. Call once.
 */
int xfrin_finish(xfrin_t *x, zone_t **out, xfrin_kind_t *kind);

/** \brief Free everything the parser holds (safe after a failed init, twice too). */
void xfrin_clear(xfrin_t *x);
