/* SPDX-License-Identifier: MIT */
/**
 * \file
 * The answer algorithm (see query.h). One pass per query over the immutable
 * zone version: find the zone, then RFC 1034 §4.3.2 step 3 with the node
 * flags computed at load time (cuts, occlusion, wildcard children), so the
 * common case (a name that exists, no cut above it) is one hash probe.
 * Nothing here allocates; all state is on the stack.
 */
#include <string.h>
#include <time.h>

#include "dns/dname.h"
#include "dns/msg.h"
#include "dns/pkt.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "query/denial.h"
#include "query/query.h"
#include "zone/zone.h"

#define CHAIN_MAX 12   /* CNAME/DNAME hops followed inside a zone */
#define ANS_MAX 32     /* answer RRsets remembered for additional processing */
#define ADDL_MAX 32    /* target names already given addresses */
#define PROOF_MAX 12   /* NSEC/NSEC3 owners queued for the authority section */
#define DEFAULT_UDP_MAX 1232

typedef struct {
	const uint8_t *owner;
	const zone_rrset_t *rs;
} ans_t;

typedef struct {
	msg_t m;
	tsig_ctx_t *tsig;  /* sign the answer (verified request), or NULL */
	const zone_t *z;
	bool tcp;
	bool truncated;
	/* names reached during the query (CNAME and DNAME targets), each kept
	 * as packed rdata (16-bit length, then the name) so a synthesized CNAME
	 * can point at it; msg keeps pointers into it until msg_finish */
	uint8_t names[CHAIN_MAX + 2][2 + DNAME_MAXLEN];
	int nnames;
	ans_t ans[ANS_MAX];
	int nans;
	const uint8_t *addl[ADDL_MAX];
	int naddl;
	/* DNSSEC (DO=1 on a signed zone): RRSIGs go with every RRset, and the
	 * denial proofs met along the way are queued here, because the answer
	 * section must be complete before authority records are written. */
	bool dnssec;
	denial_mode_t mode;
	const zone_node_t *proof[PROOF_MAX];
	int nproof;
	const zone_node_t *cut; /* a referral's cut: glue goes in last */
} qctx_t;

static void
truncate_here(qctx_t *c)
{
	c->truncated = true;
	msg_set_flag(&c->m, PKT_TC);
}

/*
 * RRSIGs at node n. With type: those covering it (picked by Type Covered,
 * the node's RRSIGs being one RRset in the version), with the TTL the
 * covered RRset went out with (RFC 4034 §3). With type 0: all of them, as
 * data (QTYPE=RRSIG, ANY), each with the TTL a transfer gives it
 * (zone_rr_ttl). All or none: when they do not fit, the answer is
 * truncated (RFC 4035 §3.1.1), unless optional (additional data).
 */
static bool
put_sigs(qctx_t *c, int section, const uint8_t *owner, const zone_node_t *n, uint16_t type, uint32_t ttl,
	 bool optional)
{
	const zone_rrset_t *sig = zone_node_rrset(n, RR_RRSIG);
	if (sig == NULL)
		return true;
	msg_mark_t mark = msg_mark(&c->m);
	const uint8_t *rd = sig->rdata;
	for (uint16_t k = 0; k < sig->count; k++, rd = msg_rd_next(rd)) {
		const uint8_t *d = msg_rd_data(rd);
		uint16_t l = msg_rd_len(rd);
		if (type != 0 && (l < 18 || wire_u16(d) != type))
			continue;
		if (msg_put_rr(&c->m, section, owner, RR_RRSIG, RR_CLASS_IN, type != 0 ? ttl : zone_rr_ttl(sig, d, l), d,
			       l) != 0) {
			msg_rollback(&c->m, mark);
			if (!optional)
				truncate_here(c);
			return false;
		}
	}
	return true;
}

/* Queue the records of a denial proof (written by flush_proofs). */
static void
queue_proof(qctx_t *c, int ret, const denial_t *d)
{
	if (ret != 0)
		return; /* hashing failed: the answer goes out without the proof */
	for (int i = 0; i < d->n; i++) {
		bool dup = false;
		for (int k = 0; k < c->nproof; k++)
			dup |= (c->proof[k] == d->node[i]);
		if (!dup && c->nproof < PROOF_MAX)
			c->proof[c->nproof++] = d->node[i];
	}
}

/* Put an RRset in answer or authority, with its RRSIGs from node n when
 * DNSSEC is on (n NULL: unsigned, as a delegation's NS); on overflow the
 * reply is truncated. */
static bool
put(qctx_t *c, int section, const uint8_t *owner, const zone_node_t *n, const zone_rrset_t *rs, uint32_t ttl)
{
	if (c->truncated)
		return false;
	/* A DNAME met twice on a chain is written once: RRsets are sets (RFC 2181 §5). */
	for (int i = 0; section == MSG_ANSWER && i < c->nans; i++)
		if (c->ans[i].rs == rs && dname_eq(c->ans[i].owner, owner))
			return true;
	if (rs->type == RR_RRSIG && n != NULL)
		return put_sigs(c, section, owner, n, 0, 0, false);
	msg_mark_t mark = msg_mark(&c->m);
	if (msg_put_rrset(&c->m, section, owner, rs->type, RR_CLASS_IN, ttl, rs->rdata, rs->count) != 0) {
		truncate_here(c);
		return false;
	}
	if (c->dnssec && n != NULL && rs->type != RR_RRSIG && !put_sigs(c, section, owner, n, rs->type, ttl, false)) {
		msg_rollback(&c->m, mark);
		return false;
	}
	if (section == MSG_ANSWER && c->nans < ANS_MAX)
		c->ans[c->nans++] = (ans_t){ owner, rs };
	return true;
}

static void
put_soa_negative(qctx_t *c)
{
	const zone_rrset_t *soa = c->z->soa;
	/* RFC 2308 §3: TTL of the SOA in a negative answer is min(SOA TTL, MINIMUM). */
	const uint8_t *rd = msg_rd_data(soa->rdata);
	size_t off = dname_len(rd);
	off += dname_len(rd + off);
	uint32_t minimum = wire_u32(rd + off + 16);
	put(c, MSG_AUTHORITY, c->z->origin, c->z->apex, soa, soa->ttl < minimum ? soa->ttl : minimum);
}

/* The queued NSEC/NSEC3 RRsets and their RRSIGs, in authority. */
static void
flush_proofs(qctx_t *c)
{
	uint16_t type = c->mode == DENIAL_NSEC3 ? RR_NSEC3 : RR_NSEC;
	for (int i = 0; i < c->nproof; i++) {
		const zone_rrset_t *rs = zone_node_rrset(c->proof[i], type);
		if (rs != NULL && !put(c, MSG_AUTHORITY, c->proof[i]->name, c->proof[i], rs, rs->ttl))
			return;
	}
}

/* Additional A/AAAA for a target name, if it is in this zone. */
static void
add_addresses(qctx_t *c, const uint8_t *target, bool glue_ok)
{
	size_t tlen = dname_len(target);
	if (!dname_is_sub(target, tlen, c->z->origin, c->z->origin_len))
		return;
	for (int i = 0; i < c->naddl; i++)
		if (dname_eq(c->addl[i], target))
			return;
	const zone_node_t *n = zone_find(c->z, target, tlen);
	if (n == NULL || ((n->flags & ZN_NONAUTH) && !glue_ok))
		return;
	if (c->naddl < ADDL_MAX)
		c->addl[c->naddl++] = n->name;
	static const uint16_t types[] = { RR_A, RR_AAAA };
	for (int t = 0; t < 2; t++) {
		const zone_rrset_t *rs = zone_node_rrset(n, types[t]);
		if (rs == NULL)
			continue;
		/* Skip what the answer already holds. */
		bool dup = false;
		for (int i = 0; i < c->nans; i++)
			if (c->ans[i].rs == rs)
				dup = true;
		if (dup)
			continue;
		/* May not fit: optional (RFC 2181 §9). Authoritative addresses
		 * go with their RRSIGs or not at all; glue is never signed. */
		msg_mark_t mark = msg_mark(&c->m);
		if (msg_put_rrset(&c->m, MSG_ADDITIONAL, n->name, rs->type, RR_CLASS_IN, rs->ttl, rs->rdata,
				  rs->count) == 0 &&
		    c->dnssec && !(n->flags & ZN_NONAUTH) &&
		    !put_sigs(c, MSG_ADDITIONAL, n->name, n, rs->type, rs->ttl, true))
			msg_rollback(&c->m, mark);
	}
}

/* Offset of the name in rdata that gets additional processing, or -1. */
static int
target_offset(uint16_t type)
{
	switch (type) {
	case RR_NS: return 0;
	case RR_MX: return 2;
	case RR_SRV: return 6;
	default: return -1;
	}
}

static void
additional_for_answers(qctx_t *c)
{
	int n = c->nans;
	for (int i = 0; i < n; i++) {
		const zone_rrset_t *rs = c->ans[i].rs;
		int off = target_offset(rs->type);
		if (off < 0)
			continue;
		const uint8_t *rd = rs->rdata;
		for (uint16_t k = 0; k < rs->count; k++, rd = msg_rd_next(rd))
			if (msg_rd_len(rd) > off)
				add_addresses(c, msg_rd_data(rd) + off, false);
	}
}

/* A referral: the cut's NS (never signed), and with DNSSEC its signed DS
 * or the proof that there is none (RFC 4035 §3.1.4). Glue comes after the
 * authority section is complete (referral_glue). */
static void
referral(qctx_t *c, const zone_node_t *cut)
{
	const zone_rrset_t *ns = zone_node_rrset(cut, RR_NS);
	if (c->nans == 0)
		c->m.flags &= (uint16_t)~PKT_AA;
	if (!put(c, MSG_AUTHORITY, cut->name, NULL, ns, ns->ttl))
		return;
	c->cut = cut;
	if (!c->dnssec)
		return;
	const zone_rrset_t *ds = zone_node_rrset(cut, RR_DS);
	if (ds != NULL) {
		put(c, MSG_AUTHORITY, cut->name, cut, ds, ds->ttl);
	} else {
		denial_t d;
		queue_proof(c, denial_no_ds(c->z, cut, &d), &d);
	}
}

static void
referral_glue(qctx_t *c, const zone_node_t *cut)
{
	const zone_rrset_t *ns = zone_node_rrset(cut, RR_NS);
	const uint8_t *rd = ns->rdata;
	for (uint16_t k = 0; k < ns->count; k++, rd = msg_rd_next(rd))
		add_addresses(c, msg_rd_data(rd), true);
}

/* Replace the suffix `owner` of name by `target` (DNAME substitution). */
static int
dname_subst(const uint8_t *name, size_t name_len, size_t owner_len, const uint8_t *target, uint8_t *out)
{
	size_t prefix = name_len - owner_len;
	size_t tlen = dname_len(target);
	if (prefix + tlen > DNAME_MAXLEN)
		return -1;
	memcpy(out, name, prefix);
	memcpy(out + prefix, target, tlen);
	return (int)(prefix + tlen);
}

static const uint8_t *
keep_name(qctx_t *c, const uint8_t *name, size_t len)
{
	if (c->nnames >= (int)(sizeof(c->names) / sizeof(c->names[0])))
		return NULL;
	uint16_t l16 = (uint16_t)len;
	memcpy(c->names[c->nnames], &l16, 2);
	memcpy(c->names[c->nnames] + 2, name, len);
	return c->names[c->nnames++] + 2;
}

static void
answer_any(qctx_t *c, const uint8_t *owner, const zone_node_t *n)
{
	/* RFC 8482 §4.1: over UDP answer one RRset; TCP gets everything. */
	if (!c->tcp) {
		/* With DNSSEC the one RRset is the first that holds data (not
		 * the signatures or the chain), with its RRSIGs. */
		uint16_t pick = 0;
		for (uint16_t i = 0; c->dnssec && i < n->nrrsets; i++) {
			uint16_t t = n->rrsets[i].type;
			if (t != RR_RRSIG && t != RR_NSEC && t != RR_NSEC3) {
				pick = i;
				break;
			}
		}
		put(c, MSG_ANSWER, owner, n, &n->rrsets[pick], n->rrsets[pick].ttl);
		return;
	}
	for (uint16_t i = 0; i < n->nrrsets; i++) {
		/* With DNSSEC each RRset brings its own RRSIGs. */
		if (c->dnssec && n->rrsets[i].type == RR_RRSIG && n->nrrsets > 1)
			continue;
		put(c, MSG_ANSWER, owner, n, &n->rrsets[i], n->rrsets[i].ttl);
	}
}

/* Returns the RCODE. Follows CNAME and DNAME inside the zone. */
static uint16_t
resolve(qctx_t *c, const uint8_t *qname, size_t qlen, uint16_t qtype)
{
	const zone_t *z = c->z;
	const uint8_t *name = qname;
	size_t len = qlen;

	for (int hop = 0; hop <= CHAIN_MAX; hop++) {
		if (!dname_is_sub(name, len, z->origin, z->origin_len))
			return RCODE_NOERROR; /* chain leaves the zone: the resolver continues */
		int below = 0;
		const zone_node_t *n = zone_find(c->z, name, len);
		const zone_node_t *enc = n;
		if (n != NULL && (n->flags & ZN_NSEC3ONLY)) {
			/* An NSEC3 owner is answered as a name that does not exist
			 * (RFC 5155 §7.2.8): the chain itself covers it. */
			n = NULL;
			enc = z->apex;
			below = 1;
		} else if (n == NULL) {
			enc = zone_find_encloser(z, name, len, &below);
		}

		/* Topmost cut or DNAME above the name (or a cut at it). */
		const zone_node_t *stop = NULL;
		for (const zone_node_t *p = enc;; p = &z->nodes[p->parent]) {
			bool exact = (p == n);
			if ((p->flags & ZN_DELEG) && !(exact && qtype == RR_DS))
				stop = p;
			else if (!exact && zone_node_rrset(p, RR_DNAME) != NULL)
				stop = p;
			/* Only occluded nodes can have a cut or DNAME above them. */
			if (!(p->flags & ZN_NONAUTH))
				break;
		}
		if (stop != NULL && (stop->flags & ZN_DELEG) && !(stop == n && qtype == RR_DS)) {
			referral(c, stop);
			return RCODE_NOERROR;
		}
		if (stop != NULL) {
			/* DNAME (RFC 6672 §3.1): DNAME RRset, synthesized CNAME, continue. */
			const zone_rrset_t *dn = zone_node_rrset(stop, RR_DNAME);
			if (!put(c, MSG_ANSWER, stop->name, stop, dn, dn->ttl))
				return RCODE_NOERROR;
			uint8_t next[DNAME_MAXLEN];
			int nl = dname_subst(name, len, stop->name_len, msg_rd_data(dn->rdata), next);
			if (nl < 0)
				return RCODE_YXDOMAIN;
			const uint8_t *kept_next = keep_name(c, next, (size_t)nl);
			if (kept_next == NULL)
				return RCODE_NOERROR;
			/* The synthesized CNAME's rdata is the kept name in packed
			 * form: it must outlive this loop (compression points at it). */
			if (msg_put_rrset(&c->m, MSG_ANSWER, name, RR_CNAME, RR_CLASS_IN, dn->ttl,
					  kept_next - 2, 1) != 0) {
				truncate_here(c);
				return RCODE_NOERROR;
			}
			/* The CNAME answers a CNAME query; anything else follows it. */
			if (qtype == RR_CNAME)
				return RCODE_NOERROR;
			name = kept_next;
			len = (size_t)nl;
			continue;
		}

		/* An answer synthesized from a wildcard proves that no closer
		 * name exists (RFC 4035 §3.1.3.3). */
		const zone_node_t *data = n;
		bool wild = (n == NULL);
		if (n == NULL) {
			/* RFC 4592: the source of synthesis is '*' below the closest encloser. */
			if (!(enc->flags & ZN_WILDCHILD))
				goto nxdomain;
			uint8_t wc[DNAME_MAXLEN];
			wc[0] = 1;
			wc[1] = '*';
			memcpy(wc + 2, enc->name, enc->name_len);
			data = zone_find(z, wc, (size_t)enc->name_len + 2);
			if (data == NULL)
				goto nxdomain;
		}

		if (qtype == RR_ANY) {
			if (data->nrrsets == 0)
				goto nodata;
			answer_any(c, name, data);
			if (wild && c->dnssec) {
				denial_t d;
				queue_proof(c, denial_wildcard(z, name, len, enc, &d), &d);
			}
			return RCODE_NOERROR;
		}
		const zone_rrset_t *rs = zone_node_rrset(data, qtype);
		const zone_rrset_t *cn = rs == NULL ? zone_node_rrset(data, RR_CNAME) : NULL;
		if ((rs != NULL || cn != NULL) && wild && c->dnssec) {
			denial_t d;
			queue_proof(c, denial_wildcard(z, name, len, enc, &d), &d);
		}
		if (rs != NULL) {
			put(c, MSG_ANSWER, name, data, rs, rs->ttl);
			return RCODE_NOERROR;
		}
		if (cn != NULL) {
			if (!put(c, MSG_ANSWER, name, data, cn, cn->ttl))
				return RCODE_NOERROR;
			const uint8_t *target = msg_rd_data(cn->rdata);
			/* Loop protection: stop at a name already visited. */
			if (dname_eq(target, qname))
				return RCODE_NOERROR;
			for (int i = 0; i < c->nnames; i++)
				if (dname_eq(target, c->names[i] + 2))
					return RCODE_NOERROR;
			const uint8_t *kept = keep_name(c, target, dname_len(target));
			if (kept == NULL)
				return RCODE_NOERROR;
			name = kept;
			len = dname_len(kept);
			continue;
		}
	nodata:
		put_soa_negative(c);
		if (c->dnssec) {
			denial_t d;
			int r = wild ? denial_wildcard_nodata(z, name, len, enc, data, &d) : denial_nodata(z, name, len, n, &d);
			queue_proof(c, r, &d);
		}
		return RCODE_NOERROR;
	nxdomain:
		put_soa_negative(c);
		if (c->dnssec) {
			denial_t d;
			queue_proof(c, denial_nxdomain(z, name, len, &d), &d);
		}
		return RCODE_NXDOMAIN;
	}
	return RCODE_NOERROR;
}

/* msg_finish, then the TSIG RR when the request was signed. */
static size_t
finish(qctx_t *c)
{
	size_t len = msg_finish(&c->m);
	if (c->tsig != NULL && tsig_sign_response(c->tsig, c->m.buf, &len, c->m.cap, (uint64_t)time(NULL)) != 0)
		return 0; /* cannot happen: room was reserved */
	return len;
}

static size_t answer(const zonedb_t *db, const query_opts_t *o, const uint8_t *in, query_proto_t proto,
		     uint8_t *out, size_t outcap, const pkt_query_t *q, int pr, tsig_ctx_t *tsig);

/* A TSIG-signed query (RFC 8945 §5.2): verify, then answer signed, or refuse. */
static size_t
answer_signed(const zonedb_t *db, const query_opts_t *o, const uint8_t *in, size_t inlen,
	      query_proto_t proto, uint8_t *out, size_t outcap, pkt_query_t *q)
{
	tsig_ctx_t ctx;
	tsig_ctx_init(&ctx);
	int tr = o->keyring != NULL ? tsig_verify_request(o->keyring, in, inlen, (uint64_t)time(NULL), &ctx)
				    : TSIG_BADKEY;
	size_t len;
	if (tr == TSIG_OK || tr == TSIG_NONE) {
		len = answer(db, o, in, proto, out, outcap, q, PKT_PARSE_OK, tr == TSIG_OK ? &ctx : NULL);
	} else if (tr < 0 || tr == TSIG_FORMERR) {
		len = answer(db, o, in, proto, out, outcap, q, tr < 0 ? RCODE_SERVFAIL : RCODE_FORMERR, NULL);
	} else {
		/* NOTAUTH; BADKEY/BADSIG go out unsigned, BADTIME signed (tsig_sign_response decides).
		 * Without a keyring there is no context to sign with: plain NOTAUTH. */
		len = answer(db, o, in, proto, out, outcap, q, RCODE_NOTAUTH,
			     o->keyring != NULL ? &ctx : NULL);
	}
	tsig_ctx_clear(&ctx);
	return len;
}

static size_t
answer_chaos(qctx_t *c, const pkt_query_t *q, const query_opts_t *o)
{
	static const uint8_t id_server[] = "\2id\6server";
	static const uint8_t hostname_bind[] = "\10hostname\4bind";
	static const uint8_t version_bind[] = "\7version\4bind";
	static const uint8_t version_server[] = "\7version\6server";
	const char *text = NULL;
	if (dname_eq(q->qname, id_server) || dname_eq(q->qname, hostname_bind))
		text = o->identity;
	else if (dname_eq(q->qname, version_bind) || dname_eq(q->qname, version_server))
		text = o->version;
	if (text == NULL || (q->qtype != RR_TXT && q->qtype != RR_ANY)) {
		msg_set_rcode(&c->m, RCODE_REFUSED);
		return finish(c);
	}
	uint8_t rd[2 + 256];
	size_t tl = strlen(text);
	if (tl > 255)
		tl = 255;
	uint16_t l16 = (uint16_t)(tl + 1);
	memcpy(rd, &l16, 2);
	rd[2] = (uint8_t)tl;
	memcpy(rd + 3, text, tl);
	msg_set_flag(&c->m, PKT_AA);
	if (msg_put_rrset(&c->m, MSG_ANSWER, q->qname, RR_TXT, RR_CLASS_CH, 0, rd, 1) != 0)
		msg_set_flag(&c->m, PKT_TC);
	return finish(c);
}

size_t
query_answer(const zonedb_t *db, const query_opts_t *opts, const uint8_t *in, size_t inlen,
	     query_proto_t proto, uint8_t *out, size_t outcap)
{
	static const query_opts_t defaults = { DEFAULT_UDP_MAX, NULL, NULL, NULL };
	const query_opts_t *o = opts ? opts : &defaults;
	pkt_query_t q;
	int pr = pkt_parse_query(in, inlen, &q);
	if (pr == PKT_PARSE_DROP)
		return 0;
	if (pr == PKT_PARSE_OK && q.has_tsig)
		return answer_signed(db, o, in, inlen, proto, out, outcap, &q);
	return answer(db, o, in, proto, out, outcap, &q, pr, NULL);
}

/* The answer, with room kept for a TSIG RR when tsig is set (then signed). */
static size_t
answer(const zonedb_t *db, const query_opts_t *o, const uint8_t *in, query_proto_t proto, uint8_t *out,
       size_t outcap, const pkt_query_t *q, int pr, tsig_ctx_t *tsig)
{
	uint16_t our_udp = o->edns_udp_max ? o->edns_udp_max : DEFAULT_UDP_MAX;
	size_t limit = 65535;
	if (proto == QUERY_UDP) {
		limit = EDNS_MIN_UDP;
		if (q->has_edns)
			limit = q->edns_udp < our_udp ? q->edns_udp : our_udp;
	}
	size_t reserve = tsig != NULL ? tsig_reserve(tsig) : 0;
	if (limit > outcap)
		limit = outcap;
	if (limit < 512 + reserve)
		limit = 512 + reserve > outcap ? outcap : 512 + reserve;
	limit -= reserve;
	qctx_t c;
	c.tsig = tsig;
	c.tcp = (proto == QUERY_TCP);
	c.truncated = false;
	c.nnames = 0;
	c.nans = 0;
	c.naddl = 0;
	c.z = NULL;
	c.dnssec = false;
	c.mode = DENIAL_NONE;
	c.nproof = 0;
	c.cut = NULL;
	if (msg_init(&c.m, out, outcap, limit, in, q, q->has_edns) != 0) {
		/* The question alone does not fit (cannot happen with 512+): drop. */
		return 0;
	}
	if (q->has_edns)
		msg_set_edns(&c.m, our_udp, q->edns_flags & EDNS_DO);
	if (pr > 0) {
		msg_set_rcode(&c.m, (uint16_t)pr);
		return finish(&c);
	}
	if (q->qclass == RR_CLASS_CH)
		return answer_chaos(&c, q, o);
	/* QCLASS * (RFC 1035 §3.2.5) matches our only data class, IN. */
	if (q->qclass != RR_CLASS_IN && q->qclass != RR_CLASS_ANY) {
		msg_set_rcode(&c.m, RCODE_REFUSED);
		return finish(&c);
	}
	if (q->qtype == RR_AXFR || (q->qtype == RR_IXFR && proto == QUERY_TCP)) {
		/* Over TCP the server hands transfers to xfrout before we are
		 * called; AXFR over UDP is not defined (RFC 5936 §4.2). */
		msg_set_rcode(&c.m, RCODE_REFUSED);
		return finish(&c);
	}
	if (q->qtype == RR_IXFR) {
		/* UDP: the single current SOA tells the client to use TCP (RFC 1995 §2). */
		const zone_t *zx = zonedb_get(db, q->qname);
		if (zx == NULL || zone_expired(zx)) {
			msg_set_rcode(&c.m, zx == NULL ? RCODE_NOTAUTH : RCODE_SERVFAIL);
			return finish(&c);
		}
		msg_set_flag(&c.m, PKT_AA);
		msg_put_rrset(&c.m, MSG_ANSWER, zx->origin, RR_SOA, RR_CLASS_IN, zx->soa->ttl, zx->soa->rdata, 1);
		return finish(&c);
	}
	if (q->qtype == RR_OPT || q->qtype == RR_TSIG || q->qtype == RR_TKEY || q->qtype == RR_MAILA ||
	    q->qtype == RR_MAILB) {
		msg_set_rcode(&c.m, RCODE_NOTIMP);
		return finish(&c);
	}

	const zone_t *z = zonedb_find(db, q->qname, q->qname_len);
	if (z != NULL && q->qtype == RR_DS && z->origin_len == q->qname_len && q->qname_len > 1) {
		/* DS lives in the parent (RFC 4035 §3.1.4.1): use it when we serve it. */
		const uint8_t *pn = q->qname + 1 + q->qname[0];
		const zone_t *parent = zonedb_find(db, pn, q->qname_len - 1u - q->qname[0]);
		if (parent != NULL)
			z = parent;
	}
	if (z == NULL) {
		msg_set_rcode(&c.m, RCODE_REFUSED);
		return finish(&c);
	}
	if (z->catalog && !(q->qtype == RR_SOA && z->origin_len == q->qname_len)) {
		/* A catalog (RFC 9432 §7) is for transfers; its SOA stays
		 * visible because secondaries poll it. */
		msg_set_rcode(&c.m, RCODE_REFUSED);
		return finish(&c);
	}
	if (zone_expired(z)) {
		/* A secondary past its SOA expire: no data rather than stale data. */
		msg_set_rcode(&c.m, RCODE_SERVFAIL);
		return finish(&c);
	}
	c.z = z;
	/* DNSSEC records only for DO queries (RFC 3225) on signed zones. */
	c.dnssec = q->has_edns && (q->edns_flags & EDNS_DO) && zone_node_rrset(z->apex, RR_RRSIG) != NULL;
	c.mode = c.dnssec ? denial_mode(z) : DENIAL_NONE;
	msg_set_flag(&c.m, PKT_AA);
	if (q->edns_expire)
		msg_set_expire(&c.m, zone_expire_value(z, (uint64_t)time(NULL)));
	uint16_t rcode = resolve(&c, q->qname, q->qname_len, q->qtype);
	msg_set_rcode(&c.m, rcode);
	if (!c.truncated)
		flush_proofs(&c);
	if (!c.truncated && c.cut != NULL)
		referral_glue(&c, c.cut);
	if (!c.truncated)
		additional_for_answers(&c);
	return finish(&c);
}
