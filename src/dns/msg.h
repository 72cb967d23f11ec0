/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Response writer: header, question, whole RRsets with name compression,
 * and the OPT record. An RRset is written whole or not at all, so a caller
 * that hits the size limit knows to set TC (answer/authority) or just stop
 * adding (additional, RFC 2181 §9). Pure: writes into a caller buffer.
 *
 * Names handed to the writer (owners, rdata of zone RRsets) are lowercased
 * wire names that must stay valid until msg_finish(): the compression table
 * keeps pointers to them rather than re-reading the packet.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/pkt.h"

#define MSG_COMP_MAX 64

enum { MSG_ANSWER = 0, MSG_AUTHORITY = 1, MSG_ADDITIONAL = 2 };

typedef struct {
	const uint8_t *name; /*!< lowercased uncompressed name (suffix) */
	uint16_t off;        /*!< offset of that suffix in the message */
} msg_comp_t;

typedef struct msg {
	uint8_t *buf;
	size_t cap;       /*!< buffer size */
	size_t limit;     /*!< size the message may reach, OPT space already taken off */
	size_t len;       /*!< bytes written */
	uint16_t qdcount;
	uint16_t count[3];
	int section;      /*!< sections must be written in order */
	uint16_t flags;
	int ncomp;
	msg_comp_t comp[MSG_COMP_MAX];
	/* OPT to append in msg_finish */
	bool edns;
	uint16_t edns_udp;
	uint16_t edns_flags;
	uint8_t ext_rcode;
	bool has_expire;  /*!< EDNS EXPIRE option (RFC 7314) in the OPT */
	uint32_t expire;
} msg_t;

/** A rollback point. */
typedef struct {
	size_t len;
	uint16_t count[3];
	int ncomp;
} msg_mark_t;

/**
 * \brief Start a response to q in buf.
 * Copies ID, opcode and RD from the query, sets QR, and copies the question
 * with the query's letter case (RFC 4343), when q->has_question.
 * \param limit   maximum message size (UDP payload limit or 65535 for TCP)
 * \param edns    append an OPT record (space for it is reserved now)
 * \return 0 or FL_ESPACE.
 */
int msg_init(msg_t *m, uint8_t *buf, size_t cap, size_t limit, const uint8_t *query,
	     const pkt_query_t *q, bool edns);

/** \brief Set header flags (PKT_AA, PKT_TC ...) in addition to those set. */
static inline void msg_set_flag(msg_t *m, uint16_t f) { m->flags |= f; }

/**
 * \brief Add an EDNS EXPIRE option (RFC 7314) to the OPT record. Call before
 * writing records (it takes 8 octets off the limit); ignored without EDNS.
 */
void msg_set_expire(msg_t *m, uint32_t expire);

/** \brief Set the RCODE; values > 15 go to the OPT extended RCODE. */
void msg_set_rcode(msg_t *m, uint16_t rcode);

/** \brief Set the OPT record's advertised UDP size and flags (DO echo). */
void msg_set_edns(msg_t *m, uint16_t udp, uint16_t flags);

/**
 * \brief Append an RRset to a section (sections in order: answer, authority, additional).
 * \param owner   lowercased owner name
 * \param rdata   packed rdata: count × (16-bit host-order length, bytes)
 * \return 0, or FL_ESPACE when it did not fit (nothing written).
 */
int msg_put_rrset(msg_t *m, int section, const uint8_t *owner, uint16_t type, uint16_t rclass,
		  uint32_t ttl, const uint8_t *rdata, uint16_t count);

/**
 * \brief Append one RR with raw wire rdata, compressing names inside it as
 * msg_put_rrset does. rdata (like owner) must stay valid until msg_finish.
 * \return 0 or FL_ESPACE (nothing written).
 */
int msg_put_rr(msg_t *m, int section, const uint8_t *owner, uint16_t type, uint16_t rclass,
	       uint32_t ttl, const uint8_t *rdata, uint16_t rdlen);

/**
 * \brief Append one RR with raw wire rdata (no compression inside rdata).
 * \return 0 or FL_ESPACE (nothing written).
 */
int msg_put_rr_raw(msg_t *m, int section, const uint8_t *owner, uint16_t type, uint16_t rclass,
		   uint32_t ttl, const uint8_t *rdata, uint16_t rdlen);

msg_mark_t msg_mark(const msg_t *m);
void msg_rollback(msg_t *m, msg_mark_t mark);

/**
 * \brief Write header counts and flags, append OPT if requested.
 * \return final message length.
 */
size_t msg_finish(msg_t *m);

/**
 * \brief Packed rdata iteration helpers: rdata points at a 16-bit host-order
 * length followed by that many bytes.
 */
static inline uint16_t
msg_rd_len(const uint8_t *rd)
{
	uint16_t l;
	__builtin_memcpy(&l, rd, 2);
	return l;
}
static inline const uint8_t *msg_rd_data(const uint8_t *rd) { return rd + 2; }
static inline const uint8_t *msg_rd_next(const uint8_t *rd) { return rd + 2 + msg_rd_len(rd); }
