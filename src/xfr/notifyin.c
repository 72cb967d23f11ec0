/* SPDX-License-Identifier: MIT */
/** \file NOTIFY in: verdict and response (see notifyin.h). */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "dns/pkt.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "xfr/notifyin.h"

/* Header + question echoed, QR and AA set, no records: RFC 1996 §4.7. */
static size_t
reply(const uint8_t *msg, const pkt_query_t *q, uint16_t rcode, uint8_t *out, size_t cap)
{
	size_t qlen = q->has_question ? q->question_end - 12 : 0;
	if (cap < 12 + qlen)
		return 0;
	memcpy(out, msg, 2);
	uint16_t flags = (uint16_t)(PKT_QR | (OPCODE_NOTIFY << 11) | (q->flags & PKT_RD) | (rcode & 0xF));
	if (rcode == RCODE_NOERROR)
		flags |= PKT_AA;
	wire_set_u16(out + 2, flags);
	wire_set_u16(out + 4, qlen ? 1 : 0);
	memset(out + 6, 0, 6);
	memcpy(out + 12, msg + 12, qlen);
	return 12 + qlen;
}

/* The SOA serial in the first ANSWER record, when it is the zone's SOA. */
static bool
hint_serial(const uint8_t *msg, size_t len, const pkt_query_t *q, uint32_t *serial)
{
	if (q->ancount == 0 || !q->has_question)
		return false;
	size_t pos = q->question_end;
	uint8_t owner[DNAME_MAXLEN];
	if (dname_unpack(msg, len, &pos, owner, true) < 0 || len - pos < 10)
		return false;
	uint16_t type = wire_u16(msg + pos), rdlen = wire_u16(msg + pos + 8);
	pos += 10;
	if (type != RR_SOA || !dname_eq(owner, q->qname) || len - pos < rdlen)
		return false;
	size_t end = pos + rdlen;
	uint8_t n[DNAME_MAXLEN];
	if (dname_unpack(msg, end, &pos, n, false) < 0 || dname_unpack(msg, end, &pos, n, false) < 0 ||
	    end - pos < 20)
		return false;
	*serial = wire_u32(msg + pos);
	return true;
}

static const acl_t *
find_zone(const notifyin_policy_t *pol, const uint8_t *origin)
{
	for (size_t i = 0; i < pol->nzones; i++)
		if (dname_eq(pol->zones[i].origin, origin))
			return &pol->zones[i].allow;
	return pol->lookup != NULL ? pol->lookup(pol->ctx, origin) : NULL;
}

notifyin_verdict_t
notifyin_handle(const notifyin_policy_t *pol, const uint8_t *msg, size_t len, const struct sockaddr *peer,
		socklen_t peerlen, uint64_t now, uint8_t *out, size_t cap, size_t *outlen, notifyin_event_t *ev,
		char *log, size_t loglen)
{
	pkt_query_t q;
	char from[80], zname[1024] = "?", keyinfo[1100] = "";
	tsig_ctx_t ctx;
	bool signed_ok = false;
	notifyin_verdict_t v = NOTIFYIN_REFUSED;
	uint16_t rcode;

	*outlen = 0;
	tsig_ctx_init(&ctx);
	acl_addr_str(peer, from, sizeof(from));
	int pr = pkt_parse_query(msg, len, &q);
	if (pr == PKT_PARSE_DROP || (q.flags & PKT_QR)) {
		snprintf(log, loglen, "NOTIFY from %s: not a request, dropped", from);
		return NOTIFYIN_DROP;
	}
	if (q.has_question)
		dname_to_str(q.qname, zname, sizeof(zname));
	/* pkt_parse_query answers NOTIMP to every opcode but QUERY: only its
	 * other verdicts (FORMERR, BADVERS) concern us. */
	if ((pr != PKT_PARSE_OK && pr != RCODE_NOTIMP) || q.opcode != OPCODE_NOTIFY || q.qdcount != 1 ||
	    !q.has_question) {
		rcode = RCODE_FORMERR;
		snprintf(log, loglen, "NOTIFY from %s: malformed, FORMERR", from);
		goto answer;
	}
	if (q.qclass != 1 || q.qtype != RR_SOA) {
		rcode = RCODE_FORMERR;
		snprintf(log, loglen, "NOTIFY for %s from %s: class %u type %u is not IN SOA, FORMERR", zname, from,
			 q.qclass, q.qtype);
		goto answer;
	}
	if (q.has_tsig) {
		int tr = pol->keyring != NULL ? tsig_verify_request(pol->keyring, msg, len, now, &ctx) : TSIG_BADKEY;
		char kn[1024] = "?";
		if (ctx.key_name_len > 0)
			dname_to_str(ctx.key_name, kn, sizeof(kn));
		if (tr != TSIG_OK) {
			rcode = tr == TSIG_FORMERR ? RCODE_FORMERR : tr < 0 ? RCODE_SERVFAIL : RCODE_NOTAUTH;
			snprintf(log, loglen, "NOTIFY for %s from %s (key %s): TSIG %s, ignored", zname, from, kn,
				 tsig_result_str(tr));
			signed_ok = rcode == RCODE_NOTAUTH && pol->keyring != NULL; /* BADTIME goes out signed */
			goto answer;
		}
		signed_ok = true;
		snprintf(keyinfo, sizeof(keyinfo), " (key %s)", kn);
	}
	const acl_t *allow = find_zone(pol, q.qname);
	if (allow == NULL) {
		rcode = RCODE_NOTAUTH;
		snprintf(log, loglen, "NOTIFY for %s from %s%s: not a secondary zone here, NOTAUTH", zname, from,
			 keyinfo);
		goto answer;
	}
	if (!acl_match(allow, peer, signed_ok ? ctx.key_name : NULL)) {
		rcode = RCODE_REFUSED;
		snprintf(log, loglen, "NOTIFY for %s from %s%s: not allowed by notify-allow, REFUSED", zname, from,
			 keyinfo[0] ? keyinfo : " (unsigned)");
		goto answer;
	}
	memset(ev, 0, sizeof(*ev));
	memcpy(ev->origin, q.qname, q.qname_len);
	ev->key_retiring = signed_ok && ctx.key != NULL && tsig_key_retiring(ctx.key);
	ev->has_serial = hint_serial(msg, len, &q, &ev->serial);
	if (peerlen <= sizeof(ev->from)) {
		memcpy(&ev->from, peer, peerlen);
		ev->fromlen = peerlen;
	}
	rcode = RCODE_NOERROR;
	v = NOTIFYIN_ACCEPTED;
	if (ev->has_serial)
		snprintf(log, loglen, "NOTIFY for %s from %s%s: accepted, serial %u", zname, from, keyinfo, ev->serial);
	else
		snprintf(log, loglen, "NOTIFY for %s from %s%s: accepted", zname, from, keyinfo);
answer:
	*outlen = reply(msg, &q, rcode, out, cap);
	if (*outlen > 0 && signed_ok) {
		size_t l = *outlen;
		if (tsig_sign_response(&ctx, out, &l, cap, now) == 0)
			*outlen = l;
		else if (v == NOTIFYIN_ACCEPTED)
			*outlen = 0; /* an unsigned answer to a signed NOTIFY is useless */
	}
	tsig_ctx_clear(&ctx);
	if (*outlen == 0 && v != NOTIFYIN_ACCEPTED)
		return NOTIFYIN_DROP;
	return v;
}
