/* SPDX-License-Identifier: MIT */
/** \file AXFR message stream (see axfr.h). */
#include <string.h>

#include "dns/msg.h"
#include "dns/rrtype.h"
#include "util/err.h"
#include "xfr/axfr.h"

void
xfr_axfr_begin(xfr_axfr_t *x, const zone_t *z, const uint8_t *query, const pkt_query_t *q)
{
	memset(x, 0, sizeof(*x));
	x->z = z;
	x->q = *q;
	x->query = query;
}

/* Advance to the next RR of the body, skipping the apex SOA (sent first and last). */
static void
advance(xfr_axfr_t *x)
{
	const zone_t *z = x->z;
	for (;;) {
		if (x->node >= z->nnodes) {
			x->phase = 2;
			return;
		}
		const zone_node_t *n = &z->nodes[x->node];
		if (x->rrset >= n->nrrsets) {
			x->node++;
			x->rrset = 0;
			x->rr = 0;
			x->rd = NULL;
			continue;
		}
		const zone_rrset_t *rs = &n->rrsets[x->rrset];
		if (x->rr >= rs->count || (x->node == 0 && rs->type == RR_SOA)) {
			x->rrset++;
			x->rr = 0;
			x->rd = NULL;
			continue;
		}
		if (x->rd == NULL)
			x->rd = rs->rdata;
		return;
	}
}

long
xfr_axfr_next(xfr_axfr_t *x, uint8_t *buf, size_t cap, size_t reserve)
{
	if (x->phase == 3)
		return 0;
	if (cap > 65535)
		cap = 65535;
	if (reserve >= cap)
		return FL_ESPACE;
	msg_t m;
	pkt_query_t q = x->q;
	/* RFC 5936 §2.2.1: the question only in the first message. */
	q.has_question = (x->messages == 0);
	if (msg_init(&m, buf, cap, cap - reserve, x->query, &q, false) != 0)
		return FL_ESPACE;
	/* The zone's names must not take the letter case of the client's
	 * question through compression pointers: transferred data is copied
	 * as is by secondaries. */
	m.ncomp = 0;
	msg_set_flag(&m, PKT_AA);
	unsigned in_msg = 0;
	const zone_t *z = x->z;
	for (;;) {
		int r;
		if (x->phase == 0 || x->phase == 2) {
			r = msg_put_rrset(&m, MSG_ANSWER, z->origin, RR_SOA, RR_CLASS_IN, z->soa->ttl,
					  z->soa->rdata, 1);
		} else {
			advance(x);
			if (x->phase == 2)
				continue;
			const zone_node_t *n = &z->nodes[x->node];
			const zone_rrset_t *rs = &n->rrsets[x->rrset];
			r = msg_put_rrset(&m, MSG_ANSWER, n->name, rs->type, RR_CLASS_IN,
					  zone_rr_ttl(rs, msg_rd_data(x->rd), msg_rd_len(x->rd)), x->rd, 1);
		}
		if (r != 0) {
			if (in_msg == 0)
				return FL_ESPACE; /* one RR larger than a message */
			break;            /* full: this RR starts the next message */
		}
		in_msg++;
		x->records++;
		if (x->phase == 0)
			x->phase = 1;
		else if (x->phase == 1) {
			x->rr++;
			x->rd = msg_rd_next(x->rd);
		}
		else {
			x->phase = 3;
			break;
		}
	}
	x->messages++;
	return (long)msg_finish(&m);
}
