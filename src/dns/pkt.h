/* SPDX-License-Identifier: MIT */
/**
 * \file
 * DNS message header constants and parsing of an incoming query: header,
 * the single question, and the EDNS(0) OPT record (RFC 6891). Anything the
 * query path needs to decide the answer ends up in pkt_query_t.
 * Pure: no allocation, no I/O.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/dname.h"

#define PKT_HDRLEN 12

/* Header flag bits in the 16-bit flags word. */
#define PKT_QR 0x8000
#define PKT_AA 0x0400
#define PKT_TC 0x0200
#define PKT_RD 0x0100
#define PKT_RA 0x0080
#define PKT_AD 0x0020
#define PKT_CD 0x0010
#define PKT_OPCODE(f) (((f) >> 11) & 0xF)
#define PKT_RCODE(f) ((f) & 0xF)

enum { OPCODE_QUERY = 0, OPCODE_IQUERY = 1, OPCODE_STATUS = 2, OPCODE_NOTIFY = 4, OPCODE_UPDATE = 5 };

enum {
	RCODE_NOERROR = 0, RCODE_FORMERR = 1, RCODE_SERVFAIL = 2, RCODE_NXDOMAIN = 3,
	RCODE_NOTIMP = 4, RCODE_REFUSED = 5, RCODE_YXDOMAIN = 6, RCODE_YXRRSET = 7,
	RCODE_NXRRSET = 8, RCODE_NOTAUTH = 9, RCODE_NOTZONE = 10, RCODE_BADVERS = 16,
	RCODE_BADSIG = 16, RCODE_BADKEY = 17, RCODE_BADTIME = 18,
};

#define EDNS_MIN_UDP 512
#define EDNS_DO 0x8000
#define EDNS_OPT_EXPIRE 9 /* RFC 7314 */

/** Result of parsing a query. */
typedef struct pkt_query {
	uint16_t id;
	uint16_t flags;          /*!< raw header flags word */
	uint8_t opcode;
	uint16_t qdcount, ancount, nscount, arcount;
	bool has_question;       /*!< question parsed (qname/qtype/qclass valid) */
	uint8_t qname[DNAME_MAXLEN]; /*!< lowercased */
	uint8_t qname_len;
	uint16_t qtype, qclass;
	size_t question_end;     /*!< offset just past the question in the query */
	bool has_edns;           /*!< an OPT record was present */
	uint8_t edns_version;
	uint16_t edns_udp;       /*!< requestor's payload size, raised to 512 */
	uint16_t edns_flags;     /*!< DO is EDNS_DO */
	uint8_t edns_ext_rcode;
	bool edns_expire;        /*!< the OPT carries an EXPIRE option (RFC 7314) */
	bool has_tsig;           /*!< a TSIG RR is in ADDITIONAL (verified by the caller) */
} pkt_query_t;

/** What to do with a message after pkt_parse_query. */
typedef enum {
	PKT_PARSE_OK = 0,    /*!< a query to answer normally */
	PKT_PARSE_DROP = -1, /*!< no answer at all (too short for a header, QR=1) */
	/* > 0: answer with this RCODE (FORMERR, NOTIMP, BADVERS); the fields
	 * that could be read (id, opcode, question, EDNS) are valid. */
} pkt_parse_t;

/**
 * \brief Parse a query message.
 * \return PKT_PARSE_OK, PKT_PARSE_DROP, or an RCODE (> 0) to answer with:
 *  FORMERR for QDCOUNT != 1 (RFC 9619), malformed question or records,
 *  several OPT records, OPT outside ADDITIONAL or not at the root;
 *  NOTIMP for opcodes other than QUERY (and NOTIFY, which callers handle
 *  later); BADVERS for EDNS version > 0.
 */
int pkt_parse_query(const uint8_t *buf, size_t len, pkt_query_t *q);

/**
 * \brief Skip one resource record (owner, fixed fields and rdata) at *pos.
 * \return 0 and *pos advanced, or FL_EMALF.
 */
int pkt_skip_rr(const uint8_t *buf, size_t len, size_t *pos);
