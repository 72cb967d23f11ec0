/* SPDX-License-Identifier: MIT */
/** \file Query message parsing (see pkt.h). */
#include <string.h>

#include "dns/pkt.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "util/err.h"

int
pkt_skip_rr(const uint8_t *buf, size_t len, size_t *pos)
{
	uint8_t name[DNAME_MAXLEN];
	if (dname_unpack(buf, len, pos, name, false) < 0)
		return FL_EMALF;
	if (len - *pos < 10)
		return FL_EMALF;
	uint16_t rdlen = wire_u16(buf + *pos + 8);
	if (len - *pos - 10 < rdlen)
		return FL_EMALF;
	*pos += 10u + rdlen;
	return 0;
}

/* EDNS options must tile the OPT rdata exactly (RFC 6891 §6.1.2). */
/* Options well formed? Notes the ones we act on. */
static bool
opt_rdata_ok(const uint8_t *rd, size_t len, pkt_query_t *q)
{
	size_t off = 0;
	while (off < len) {
		if (len - off < 4)
			return false;
		uint16_t code = wire_u16(rd + off), olen = wire_u16(rd + off + 2);
		if (len - off - 4 < olen)
			return false;
		if (code == EDNS_OPT_EXPIRE)
			q->edns_expire = true;
		off += 4u + olen;
	}
	return true;
}

int
pkt_parse_query(const uint8_t *buf, size_t len, pkt_query_t *q)
{
	memset(q, 0, offsetof(pkt_query_t, qname));
	q->has_question = false;
	q->has_edns = false;
	q->has_tsig = false;
	q->edns_expire = false;
	q->qname_len = 0;
	if (len < PKT_HDRLEN)
		return PKT_PARSE_DROP;
	q->id = wire_u16(buf);
	q->flags = wire_u16(buf + 2);
	q->opcode = (uint8_t)PKT_OPCODE(q->flags);
	q->qdcount = wire_u16(buf + 4);
	q->ancount = wire_u16(buf + 6);
	q->nscount = wire_u16(buf + 8);
	q->arcount = wire_u16(buf + 10);
	q->edns_udp = 0;
	q->edns_version = 0;
	q->edns_flags = 0;
	q->edns_ext_rcode = 0;
	q->question_end = PKT_HDRLEN;
	/* Never answer a response: that is how reflection loops start. */
	if (q->flags & PKT_QR)
		return PKT_PARSE_DROP;

	size_t pos = PKT_HDRLEN;
	if (q->qdcount == 1) {
		int n = dname_unpack(buf, len, &pos, q->qname, true);
		if (n < 0 || len - pos < 4)
			return RCODE_FORMERR;
		q->qname_len = (uint8_t)n;
		q->qtype = wire_u16(buf + pos);
		q->qclass = wire_u16(buf + pos + 2);
		pos += 4;
		q->question_end = pos;
		q->has_question = true;
	}

	/* Answer and authority of a query carry nothing we use, but they must be well formed. */
	for (uint32_t i = 0; i < (uint32_t)q->ancount + q->nscount; i++) {
		size_t at = pos;
		if (pkt_skip_rr(buf, len, &pos) != 0)
			return RCODE_FORMERR;
		uint8_t name[DNAME_MAXLEN];
		size_t p2 = at;
		int nl = dname_unpack(buf, len, &p2, name, false);
		if (nl > 0 && wire_u16(buf + p2) == RR_OPT)
			return RCODE_FORMERR; /* OPT only in ADDITIONAL */
	}
	for (uint16_t i = 0; i < q->arcount; i++) {
		uint8_t name[DNAME_MAXLEN];
		int nl = dname_unpack(buf, len, &pos, name, false);
		if (nl < 0 || len - pos < 10)
			return RCODE_FORMERR;
		uint16_t type = wire_u16(buf + pos);
		uint16_t rclass = wire_u16(buf + pos + 2);
		uint32_t ttl = wire_u32(buf + pos + 4);
		uint16_t rdlen = wire_u16(buf + pos + 8);
		pos += 10;
		if (len - pos < rdlen)
			return RCODE_FORMERR;
		if (type == RR_OPT) {
			if (q->has_edns || nl != 1 || !opt_rdata_ok(buf + pos, rdlen, q))
				return RCODE_FORMERR; /* two OPTs, or not owned by the root (RFC 6891 §6.1.1) */
			q->has_edns = true;
			q->edns_udp = rclass < EDNS_MIN_UDP ? EDNS_MIN_UDP : rclass;
			q->edns_ext_rcode = (uint8_t)(ttl >> 24);
			q->edns_version = (uint8_t)(ttl >> 16);
			q->edns_flags = (uint16_t)ttl;
		} else if (type == RR_TSIG) {
			q->has_tsig = true;
		}
		pos += rdlen;
	}

	if (q->opcode != OPCODE_QUERY)
		return RCODE_NOTIMP;
	if (q->qdcount != 1)
		return RCODE_FORMERR; /* RFC 9619 */
	if (q->has_edns && q->edns_version > 0)
		return RCODE_BADVERS;
	return PKT_PARSE_OK;
}
