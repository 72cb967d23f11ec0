/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Response writer with name compression (see msg.h).
 *
 * Compression: every name suffix written literally is remembered as
 * (pointer to its lowercased bytes, offset). To write a name, its suffixes
 * are tried longest first against the table; the first hit becomes a
 * pointer. The table is small (answers are small) so a linear scan with a
 * length pre-check is cheaper than hashing.
 */
#include <string.h>

#include "dns/dname.h"
#include "dns/msg.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "util/err.h"

#define OPT_RR_LEN 11

int
msg_init(msg_t *m, uint8_t *buf, size_t cap, size_t limit, const uint8_t *query,
	 const pkt_query_t *q, bool edns)
{
	if (limit > cap)
		limit = cap;
	if (limit > 65535)
		limit = 65535;
	m->buf = buf;
	m->cap = cap;
	m->edns = edns;
	m->edns_udp = 0;
	m->edns_flags = 0;
	m->has_expire = false;
	m->expire = 0;
	m->ext_rcode = 0;
	m->limit = edns ? (limit > OPT_RR_LEN ? limit - OPT_RR_LEN : 0) : limit;
	memset(m->count, 0, sizeof(m->count));
	m->section = MSG_ANSWER;
	m->ncomp = 0;
	if (m->limit < PKT_HDRLEN)
		return FL_ESPACE;
	m->flags = PKT_QR | (uint16_t)(q->opcode << 11) | (q->flags & (PKT_RD | PKT_CD));
	wire_set_u16(buf, q->id);
	memset(buf + 2, 0, PKT_HDRLEN - 2);
	m->len = PKT_HDRLEN;
	m->qdcount = 0;
	if (q->has_question) {
		size_t qlen = q->question_end - PKT_HDRLEN;
		if (m->len + qlen > m->limit)
			return FL_ESPACE;
		/* Copy as received: the question keeps the client's letter case. */
		memcpy(buf + PKT_HDRLEN, query + PKT_HDRLEN, qlen);
		m->len += qlen;
		m->qdcount = 1;
		/* The question name and its suffixes (the zone's origin is one)
		 * are the targets most later names point at. A few at most, so
		 * a name of many labels leaves room in the table for the rest. */
		size_t off = 0;
		for (const uint8_t *s = q->qname; *s != 0 && m->ncomp < 16; s += 1u + *s) {
			m->comp[m->ncomp++] = (msg_comp_t){ s, (uint16_t)(PKT_HDRLEN + off) };
			off += 1u + *s;
		}
	}
	return 0;
}

void
msg_set_rcode(msg_t *m, uint16_t rcode)
{
	m->flags = (uint16_t)((m->flags & ~0xF) | (rcode & 0xF));
	m->ext_rcode = (uint8_t)(rcode >> 4);
}

void
msg_set_edns(msg_t *m, uint16_t udp, uint16_t flags)
{
	m->edns_udp = udp;
	m->edns_flags = flags;
}

msg_mark_t
msg_mark(const msg_t *m)
{
	msg_mark_t k = { m->len, { m->count[0], m->count[1], m->count[2] }, m->ncomp };
	return k;
}

void
msg_rollback(msg_t *m, msg_mark_t k)
{
	m->len = k.len;
	memcpy(m->count, k.count, sizeof(m->count));
	m->ncomp = k.ncomp;
}

static int
comp_find(const msg_t *m, const uint8_t *name, size_t len)
{
	for (int i = 0; i < m->ncomp; i++) {
		const uint8_t *c = m->comp[i].name;
		/* cheap reject on the first label length before comparing bytes */
		if (c[0] == name[0] && dname_len(c) == len && memcmp(c, name, len) == 0)
			return m->comp[i].off;
	}
	return -1;
}

static void
comp_add(msg_t *m, const uint8_t *name, size_t off)
{
	if (m->ncomp < MSG_COMP_MAX && off < 0x4000)
		m->comp[m->ncomp++] = (msg_comp_t){ name, (uint16_t)off };
}

/* Write a lowercased name at the cursor, compressed when allowed. */
static void
put_name(msg_t *m, wire_t *w, const uint8_t *name, bool compress)
{
	size_t len = dname_len(name);
	const uint8_t *s = name;
	size_t slen = len;
	int ptr = -1;
	if (compress) {
		while (*s != 0) {
			ptr = comp_find(m, s, slen);
			if (ptr >= 0)
				break;
			slen -= 1u + *s;
			s += 1 + *s;
		}
	}
	/* Literal labels up to s, remembering each suffix for later names. */
	const uint8_t *p = name;
	while (p != s && *p != 0) {
		if (compress)
			comp_add(m, p, wire_off(w));
		wire_put_bytes(w, p, 1u + *p);
		p += 1 + *p;
	}
	if (ptr >= 0)
		wire_put_u16(w, (uint16_t)(0xC000 | ptr));
	else
		wire_put_u8(w, 0);
}

static void
put_rdata(msg_t *m, wire_t *w, uint16_t type, const uint8_t *rd, uint16_t rdlen)
{
	if (!rrtype_compressible(type)) {
		wire_put_bytes(w, rd, rdlen);
		return;
	}
	const rrtype_desc_t *d = rrtype_desc(type);
	size_t off = 0;
	for (int i = 0; i < RRTYPE_MAXFIELDS && d->fields[i].kind != RDF_END && off < rdlen; i++) {
		const rdf_t *f = &d->fields[i];
		switch (f->kind) {
		case RDF_CNAME:
			put_name(m, w, rd + off, true);
			off += dname_len(rd + off);
			break;
		case RDF_LNAME:
		case RDF_NAME: {
			size_t nl = dname_len(rd + off);
			wire_put_bytes(w, rd + off, nl);
			off += nl;
			break;
		}
		case RDF_FIXED:
			wire_put_bytes(w, rd + off, f->len);
			off += f->len;
			break;
		case RDF_STRING:
			wire_put_bytes(w, rd + off, 1u + rd[off]);
			off += 1u + rd[off];
			break;
		default:
			wire_put_bytes(w, rd + off, rdlen - off);
			off = rdlen;
			break;
		}
	}
}

static int
put_rr(msg_t *m, wire_t *w, const uint8_t *owner, uint16_t type, uint16_t rclass, uint32_t ttl,
       const uint8_t *rd, uint16_t rdlen, bool compress_rdata)
{
	put_name(m, w, owner, true);
	wire_put_u16(w, type);
	wire_put_u16(w, rclass);
	wire_put_u32(w, ttl);
	uint8_t *lenp = w->pos;
	wire_put_u16(w, 0);
	size_t start = wire_off(w);
	if (compress_rdata)
		put_rdata(m, w, type, rd, rdlen);
	else
		wire_put_bytes(w, rd, rdlen);
	if (w->err != 0)
		return w->err;
	wire_set_u16(lenp, (uint16_t)(wire_off(w) - start));
	return 0;
}

int
msg_put_rrset(msg_t *m, int section, const uint8_t *owner, uint16_t type, uint16_t rclass,
	      uint32_t ttl, const uint8_t *rdata, uint16_t count)
{
	if (section < m->section)
		return FL_EINVAL;
	msg_mark_t mark = msg_mark(m);
	wire_t w;
	wire_init(&w, m->buf, m->limit);
	wire_seek(&w, m->len);
	const uint8_t *rd = rdata;
	for (uint16_t i = 0; i < count; i++) {
		uint16_t l = msg_rd_len(rd);
		if (put_rr(m, &w, owner, type, rclass, ttl, msg_rd_data(rd), l, true) != 0 ||
		    m->count[section] == 0xFFFF) {
			msg_rollback(m, mark);
			return FL_ESPACE;
		}
		m->count[section]++;
		rd = msg_rd_next(rd);
	}
	m->len = wire_off(&w);
	m->section = section;
	return 0;
}

static int
put_single(msg_t *m, int section, const uint8_t *owner, uint16_t type, uint16_t rclass, uint32_t ttl,
	   const uint8_t *rdata, uint16_t rdlen, bool compress_rdata)
{
	if (section < m->section)
		return FL_EINVAL;
	msg_mark_t mark = msg_mark(m);
	wire_t w;
	wire_init(&w, m->buf, m->limit);
	wire_seek(&w, m->len);
	if (put_rr(m, &w, owner, type, rclass, ttl, rdata, rdlen, compress_rdata) != 0 ||
	    m->count[section] == 0xFFFF) {
		msg_rollback(m, mark);
		return FL_ESPACE;
	}
	m->count[section]++;
	m->len = wire_off(&w);
	m->section = section;
	return 0;
}

int
msg_put_rr(msg_t *m, int section, const uint8_t *owner, uint16_t type, uint16_t rclass, uint32_t ttl,
	   const uint8_t *rdata, uint16_t rdlen)
{
	return put_single(m, section, owner, type, rclass, ttl, rdata, rdlen, true);
}

int
msg_put_rr_raw(msg_t *m, int section, const uint8_t *owner, uint16_t type, uint16_t rclass,
	       uint32_t ttl, const uint8_t *rdata, uint16_t rdlen)
{
	return put_single(m, section, owner, type, rclass, ttl, rdata, rdlen, false);
}

void
msg_set_expire(msg_t *m, uint32_t expire)
{
	if (!m->edns || m->has_expire || m->limit < m->len + 8)
		return;
	m->limit -= 8;
	m->has_expire = true;
	m->expire = expire;
}

size_t
msg_finish(msg_t *m)
{
	uint8_t *h = m->buf;
	wire_set_u16(h + 2, m->flags);
	wire_set_u16(h + 4, m->qdcount);
	wire_set_u16(h + 6, m->count[0]);
	wire_set_u16(h + 8, m->count[1]);
	if (m->edns) {
		/* Space was reserved in msg_init (limit excludes it). */
		uint8_t *o = m->buf + m->len;
		o[0] = 0;
		wire_set_u16(o + 1, RR_OPT);
		wire_set_u16(o + 3, m->edns_udp);
		wire_set_u32(o + 5, (uint32_t)m->ext_rcode << 24 | m->edns_flags);
		wire_set_u16(o + 9, m->has_expire ? 8 : 0);
		m->len += OPT_RR_LEN;
		if (m->has_expire) {
			wire_set_u16(o + 11, EDNS_OPT_EXPIRE);
			wire_set_u16(o + 13, 4);
			wire_set_u32(o + 15, m->expire);
			m->len += 8;
		}
		m->count[2]++;
	}
	wire_set_u16(h + 10, m->count[2]);
	return m->len;
}
