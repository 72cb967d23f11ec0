/* SPDX-License-Identifier: MIT */
/** \file Transfer requests and sessions (see xfrout.h). */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dname.h"
#include "dns/msg.h"
#include "dns/pkt.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "util/err.h"
#include "xfr/axfr.h"
#include "xfr/ixfr.h"
#include "xfr/xfrout.h"
#include "zone/history.h"
#include "zone/serial.h"

struct xfrout {
	zone_t *z;               /* referenced for the whole session */
	zone_history_t *hist;    /* referenced when streaming IXFR */
	bool ixfr_stream;        /* incremental (else AXFR or AXFR-style) */
	bool ixfr_query;         /* the client asked for IXFR */
	bool uptodate;           /* IXFR answered with the single SOA */
	uint32_t from;           /* client serial (IXFR) */
	tsig_ctx_t tsig;
	bool signed_;
	bool key_retiring;         /* signed with a key marked for retirement */
	const tsig_key_t *held;    /* the key whose keyring we hold a reference to */
	xfr_axfr_t ax;
	xfr_ixfr_t ix;
	char peer[64];
	size_t bytes;
	uint8_t query[];         /* the request, kept for the first message's question */
};

/* A reply with no records: rcode, AA when we are authoritative, TSIG when verified. */
static size_t
reply(const uint8_t *q, const pkt_query_t *pq, uint16_t rcode, bool aa, tsig_ctx_t *ctx, uint64_t now,
      uint8_t *ans, size_t anscap)
{
	msg_t m;
	size_t reserve = ctx != NULL ? tsig_reserve(ctx) : 0;
	if (anscap < 512 || msg_init(&m, ans, anscap, anscap - reserve, q, pq, false) != 0)
		return 0;
	msg_set_rcode(&m, rcode);
	if (aa)
		msg_set_flag(&m, PKT_AA);
	size_t len = msg_finish(&m);
	if (ctx != NULL && tsig_sign_response(ctx, ans, &len, anscap, now) != 0)
		return 0;
	return len;
}

xfrout_begin_t
xfrout_begin(const xfrout_policy_t *pol, const zonedb_t *db, const uint8_t *q, size_t qlen,
	     const struct sockaddr *peer, uint64_t now, xfrout_t **out, uint8_t *ans, size_t anscap,
	     size_t *anslen, char *log, size_t loglen)
{
	char who[64], zname[1024] = "?";
	pkt_query_t pq;
	tsig_ctx_t ctx;
	xfrout_t *x = NULL;
	*out = NULL;
	*anslen = 0;
	acl_addr_str(peer, who, sizeof(who));
	tsig_ctx_init(&ctx);

	int pr = pkt_parse_query(q, qlen, &pq);
	if (pr == PKT_PARSE_DROP)
		goto done_noreply;
	if (pq.has_question)
		dname_to_str(pq.qname, zname, sizeof(zname));
	const char *kind = pq.qtype == RR_IXFR ? "IXFR" : "AXFR";
	if (pr != PKT_PARSE_OK) {
		*anslen = reply(q, &pq, (uint16_t)pr, false, NULL, now, ans, anscap);
		snprintf(log, loglen, "%s of %s from %s refused: malformed request", kind, zname, who);
		goto done;
	}

	/* TSIG first: a bad signature is answered before anything is revealed. */
	tsig_keyring_t *empty = NULL;
	const tsig_keyring_t *kr = pol->keyring;
	if (kr == NULL)
		kr = empty = tsig_keyring_new();
	int tr = kr != NULL ? tsig_verify_request(kr, q, qlen, now, &ctx) : FL_ENOMEM;
	tsig_keyring_free(empty); /* only its absence of keys was used */
	if (tr == TSIG_FORMERR || tr < 0) {
		*anslen = reply(q, &pq, tr < 0 ? RCODE_SERVFAIL : RCODE_FORMERR, false, NULL, now, ans, anscap);
		snprintf(log, loglen, "%s of %s from %s refused: %s", kind, zname, who, tsig_result_str(tr));
		goto done;
	}
	if (tr != TSIG_OK && tr != TSIG_NONE) {
		/* BADKEY/BADSIG go out unsigned, BADTIME signed: tsig_sign_response knows. */
		*anslen = reply(q, &pq, RCODE_NOTAUTH, false, &ctx, now, ans, anscap);
		snprintf(log, loglen, "%s of %s from %s refused: TSIG %s", kind, zname, who, tsig_result_str(tr));
		goto done;
	}
	tsig_ctx_t *sig = tr == TSIG_OK ? &ctx : NULL;
	const uint8_t *keyname = sig != NULL ? tsig_key_name(ctx.key) : NULL;
	char kname[1100] = "";
	if (keyname != NULL) {
		char k[1024];
		dname_to_str(keyname, k, sizeof(k));
		snprintf(kname, sizeof(kname), " key %s", k);
	}

	const zone_t *z = zonedb_get(db, pq.qname);
	if (z == NULL) {
		*anslen = reply(q, &pq, RCODE_NOTAUTH, false, sig, now, ans, anscap);
		snprintf(log, loglen, "%s of %s from %s%s refused: not a zone we serve", kind, zname, who, kname);
		goto done;
	}
	if (zone_expired(z)) {
		*anslen = reply(q, &pq, RCODE_SERVFAIL, false, sig, now, ans, anscap);
		snprintf(log, loglen, "%s of %s from %s%s refused: the zone has expired (SERVFAIL)", kind, zname, who,
			 kname);
		goto done;
	}
	/* A zone's own list replaces the global one for that zone. */
	const acl_t *acl = &pol->transfer;
	for (size_t i = 0; i < pol->nzones; i++)
		if (dname_eq(pol->zones[i].origin, z->origin))
			acl = &pol->zones[i].acl;
	if (!acl_match(acl, peer, keyname)) {
		*anslen = reply(q, &pq, RCODE_REFUSED, true, sig, now, ans, anscap);
		snprintf(log, loglen, "%s of %s from %s%s refused: not allowed by the transfer ACL", kind, zname,
			 who, kname);
		goto done;
	}

	x = calloc(1, sizeof(*x) + qlen);
	if (x == NULL) {
		*anslen = reply(q, &pq, RCODE_SERVFAIL, false, sig, now, ans, anscap);
		snprintf(log, loglen, "%s of %s from %s: out of memory", kind, zname, who);
		goto done;
	}
	memcpy(x->query, q, qlen);
	memcpy(x->peer, who, sizeof(who));
	x->z = (zone_t *)z;
	zone_ref(x->z);
	x->tsig = ctx;
	x->signed_ = sig != NULL;
	tsig_ctx_init(&ctx); /* moved into the session */
	/* The keyring may be replaced by a reload while we stream: the
	 * transfer finishes with the key it started with. */
	if (x->signed_) {
		tsig_key_hold(x->tsig.key);
		x->held = x->tsig.key;
		x->key_retiring = tsig_key_retiring(x->tsig.key);
	}

	x->ixfr_query = pq.qtype == RR_IXFR;
	if (x->ixfr_query) {
		if (xfr_ixfr_query_serial(x->query, qlen, &pq, &x->from) != 0) {
			*anslen = reply(x->query, &pq, RCODE_FORMERR, false, x->signed_ ? &x->tsig : NULL, now,
					ans, anscap);
			snprintf(log, loglen, "IXFR of %s from %s%s refused: no SOA in the request", zname, who, kname);
			goto done;
		}
		const changeset_t *const *list = NULL;
		size_t n = 0;
		if (!serial_gt(z->serial, x->from)) {
			/* Up to date (or newer than us): the single SOA (RFC 1995 §2). */
			xfr_ixfr_begin(&x->ix, z, x->query, &pq, NULL, 0);
			x->ixfr_stream = true;
			x->uptodate = true;
		} else if (zone_history_from(z->history, x->from, &list, &n) == 0) {
			x->hist = z->history;
			zone_history_ref(x->hist);
			xfr_ixfr_begin(&x->ix, z, x->query, &pq, list, n);
			x->ixfr_stream = true;
		} else {
			/* History does not reach back: AXFR-style answer (RFC 1995 §4). */
			xfr_axfr_begin(&x->ax, z, x->query, &pq);
		}
	} else {
		xfr_axfr_begin(&x->ax, z, x->query, &pq);
	}
	snprintf(log, loglen, "%s of %s serial %u to %s%s started%s", kind, zname, z->serial, who, kname,
		 !x->ixfr_query ? ""
		 : x->uptodate  ? " (client is up to date: single SOA)"
		 : x->ixfr_stream ? " (incremental)"
				  : " (AXFR-style: history does not reach the client's serial)");
	*out = x;
	return XFROUT_STREAM;
done:
	if (x != NULL)
		xfrout_end(x, NULL, 0);
done_noreply:
	tsig_ctx_clear(&ctx);
	return XFROUT_REPLY;
}

long
xfrout_next(xfrout_t *x, uint8_t *buf, size_t cap, uint64_t now)
{
	size_t reserve = x->signed_ ? tsig_reserve(&x->tsig) : 0;
	long n = x->ixfr_stream ? xfr_ixfr_next(&x->ix, buf, cap, reserve) : xfr_axfr_next(&x->ax, buf, cap, reserve);
	if (n <= 0)
		return n;
	size_t len = (size_t)n;
	if (x->signed_ && tsig_sign_response(&x->tsig, buf, &len, cap, now) != 0)
		return FL_ESPACE;
	x->bytes += len;
	return (long)len;
}

void
xfrout_end(xfrout_t *x, char *log, size_t loglen)
{
	if (x == NULL)
		return;
	if (log != NULL && loglen > 0) {
		char zname[1024];
		dname_to_str(x->z->origin, zname, sizeof(zname));
		uint32_t msgs = x->ixfr_stream ? x->ix.messages : x->ax.messages;
		uint64_t recs = x->ixfr_stream ? x->ix.records : x->ax.records;
		bool complete = x->ixfr_stream ? xfr_ixfr_done(&x->ix) : xfr_axfr_done(&x->ax);
		snprintf(log, loglen, "%s of %s serial %u to %s %s: %u messages, %llu records, %zu bytes",
			 x->ixfr_query ? (x->ixfr_stream ? "IXFR" : "IXFR (AXFR-style)") : "AXFR", zname,
			 x->z->serial, x->peer, complete ? "done" : "cut short", msgs, (unsigned long long)recs,
			 x->bytes);
	}
	tsig_ctx_clear(&x->tsig);
	tsig_key_release(x->held);
	zone_history_unref(x->hist);
	zone_unref(x->z);
	free(x);
}

uint16_t
xfrout_request_type(const uint8_t *m, size_t len)
{
	if (len < PKT_HDRLEN + 5 || (m[2] & 0x80) || PKT_OPCODE(wire_u16(m + 2)) != OPCODE_QUERY ||
	    wire_u16(m + 4) != 1)
		return 0;
	size_t p = PKT_HDRLEN;
	while (p < len && m[p] != 0 && (m[p] & 0xC0) == 0)
		p += 1u + m[p];
	if (p >= len || m[p] != 0 || len - p < 5)
		return 0;
	uint16_t qtype = wire_u16(m + p + 1);
	return qtype == RR_AXFR || qtype == RR_IXFR ? qtype : 0;
}

bool
xfrout_key_retiring(const xfrout_t *x)
{
	return x->key_retiring;
}

bool
xfrout_done(const xfrout_t *x)
{
	return x->ixfr_stream ? xfr_ixfr_done(&x->ix) : xfr_axfr_done(&x->ax);
}
