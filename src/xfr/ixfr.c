/* SPDX-License-Identifier: MIT */
/** \file IXFR message stream (see ixfr.h). */
#include <string.h>

#include "dns/dname.h"
#include "dns/msg.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "util/err.h"
#include "xfr/ixfr.h"

/* Parts of the stream, in order. */
enum { P_HEAD, P_FROM, P_DEL, P_TO, P_ADD, P_TAIL, P_DONE };

int
xfr_ixfr_query_serial(const uint8_t *query, size_t len, const pkt_query_t *q, uint32_t *serial)
{
	size_t pos = q->question_end;
	for (uint32_t i = 0; i < q->ancount; i++)
		if (pkt_skip_rr(query, len, &pos) != 0)
			return FL_EMALF;
	for (uint32_t i = 0; i < q->nscount; i++) {
		uint8_t owner[DNAME_MAXLEN];
		int ol = dname_unpack(query, len, &pos, owner, true);
		if (ol < 0 || len - pos < 10)
			return FL_EMALF;
		uint16_t type = wire_u16(query + pos);
		uint16_t rdlen = wire_u16(query + pos + 8);
		size_t rd = pos + 10;
		if (len - rd < rdlen)
			return FL_EMALF;
		pos = rd + rdlen;
		if (type != RR_SOA || (size_t)ol != q->qname_len || memcmp(owner, q->qname, (size_t)ol) != 0)
			continue;
		/* MNAME and RNAME may be compressed: skip them through the packet. */
		uint8_t tmp[DNAME_MAXLEN];
		size_t p = rd;
		if (dname_unpack(query, len, &p, tmp, false) < 0 || dname_unpack(query, len, &p, tmp, false) < 0 ||
		    p + 20 > rd + rdlen)
			return FL_EMALF;
		*serial = wire_u32(query + p);
		return 0;
	}
	return FL_EMALF;
}

void
xfr_ixfr_begin(xfr_ixfr_t *x, const zone_t *z, const uint8_t *query, const pkt_query_t *q,
	       const changeset_t *const *cs, size_t ncs)
{
	memset(x, 0, sizeof(*x));
	x->z = z;
	x->q = *q;
	x->query = query;
	x->cs = cs;
	x->ncs = ncs;
	x->part = P_HEAD;
}

/* The RR at the current position, or NULL when the part is exhausted. */
static const changeset_rr_t *
current(const xfr_ixfr_t *x, changeset_rr_t *tmp)
{
	const zone_t *z = x->z;
	switch (x->part) {
	case P_HEAD:
	case P_TAIL:
		*tmp = (changeset_rr_t){ z->origin, msg_rd_data(z->soa->rdata), z->soa->ttl, RR_SOA,
					 msg_rd_len(z->soa->rdata) };
		return x->ri == 0 ? tmp : NULL;
	case P_FROM:
		return x->ri == 0 ? &x->cs[x->ci]->soa_from : NULL;
	case P_TO:
		return x->ri == 0 ? &x->cs[x->ci]->soa_to : NULL;
	case P_DEL:
		return x->ri < x->cs[x->ci]->del.count ? &x->cs[x->ci]->del.rr[x->ri] : NULL;
	case P_ADD:
		return x->ri < x->cs[x->ci]->add.count ? &x->cs[x->ci]->add.rr[x->ri] : NULL;
	default:
		return NULL;
	}
}

/* Move to the next part that has an RR (or P_DONE). */
static void
next_part(xfr_ixfr_t *x)
{
	x->ri = 0;
	switch (x->part) {
	case P_HEAD:
		x->part = x->ncs == 0 ? P_DONE : P_FROM; /* no changeset: the single SOA */
		break;
	case P_ADD:
		x->ci++;
		x->part = x->ci < x->ncs ? P_FROM : P_TAIL;
		break;
	case P_TAIL:
		x->part = P_DONE;
		break;
	default:
		x->part++;
		break;
	}
}

long
xfr_ixfr_next(xfr_ixfr_t *x, uint8_t *buf, size_t cap, size_t reserve)
{
	if (x->part == P_DONE)
		return 0;
	if (cap > 65535)
		cap = 65535;
	if (reserve >= cap)
		return FL_ESPACE;
	msg_t m;
	pkt_query_t q = x->q;
	q.has_question = (x->messages == 0);
	if (msg_init(&m, buf, cap, cap - reserve, x->query, &q, false) != 0)
		return FL_ESPACE;
	m.ncomp = 0; /* the client's letter case must not leak into the data (see axfr.c) */
	msg_set_flag(&m, PKT_AA);
	unsigned in_msg = 0;
	while (x->part != P_DONE) {
		changeset_rr_t tmp;
		const changeset_rr_t *rr = current(x, &tmp);
		if (rr == NULL) {
			next_part(x);
			continue;
		}
		if (msg_put_rr(&m, MSG_ANSWER, rr->owner, rr->type, RR_CLASS_IN, rr->ttl, rr->rdata, rr->rdlen) != 0) {
			if (in_msg == 0)
				return FL_ESPACE;
			break;
		}
		in_msg++;
		x->records++;
		x->ri++;
	}
	x->messages++;
	return (long)msg_finish(&m);
}

bool
xfr_ixfr_done(const xfr_ixfr_t *x)
{
	return x->part == P_DONE;
}
