/* SPDX-License-Identifier: MIT */
/**
 * \file
 * The answer algorithm: one query message in, one response message out,
 * no I/O. RFC 1034 §4.3.2 lookup with CNAME/DNAME (RFC 6672), wildcards
 * (RFC 4592), referrals, negative answers (RFC 2308), additional-section
 * addresses, minimal ANY (RFC 8482), EDNS(0) (RFC 6891) and truncation.
 * A query that carries TSIG (RFC 8945) is verified first: FORMERR, or
 * NOTAUTH with BADKEY/BADSIG (unsigned) or BADTIME (signed); a verified
 * query gets a signed answer. IXFR over UDP is answered with the single
 * current SOA (RFC 1995 §2: "use TCP"); AXFR over UDP is refused; both are
 * served over TCP by src/xfr/xfrout.c.
 * Thread-safe: reads only the immutable snapshot and the options.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsig/tsig.h"
#include "zone/zonedb.h"

typedef struct {
	uint16_t edns_udp_max;   /*!< our UDP payload limit advertised and enforced (default 1232) */
	const char *identity;    /*!< CHAOS id.server / hostname.bind answer, NULL = REFUSED */
	const char *version;     /*!< CHAOS version.bind / version.server answer, NULL = REFUSED */
	const tsig_keyring_t *keyring; /*!< verifies TSIG-signed queries; NULL: every key unknown */
} query_opts_t;

/** Transport the query came in on. */
typedef enum { QUERY_UDP = 0, QUERY_TCP = 1 } query_proto_t;

/**
 * \brief Answer a query.
 * \param db     zone snapshot (may be NULL: everything REFUSED)
 * \param opts   options (NULL = defaults)
 * \param in     query message, inlen its size
 * \param proto  UDP answers are limited by EDNS/512 and truncated (TC)
 * \param out    response buffer, outcap >= 512 (65535 for TCP answers to fit)
 * \return response length, or 0 when nothing must be sent (drop).
 */
size_t query_answer(const zonedb_t *db, const query_opts_t *opts, const uint8_t *in, size_t inlen,
		    query_proto_t proto, uint8_t *out, size_t outcap);
