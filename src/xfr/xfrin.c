/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Transfers in: parsing AXFR/IXFR response streams (see xfrin.h).
 *
 * The stream is a sequence of RRs over all answer sections; a small state
 * machine reads it:
 *   XS_START   nothing yet: the first RR must be the zone's SOA (serial N);
 *   XS_SECOND  IXFR after the first SOA: an SOA starts an incremental
 *              answer, anything else makes it AXFR-style;
 *   XS_BODY    AXFR (or AXFR-style) body until the SOA of serial N;
 *   XS_DEL     incremental: deletions of the current changeset until its new SOA;
 *   XS_ADD     incremental: additions until the next old SOA or the final SOA;
 *   XS_DONE    complete (the end of the message that completed it was seen);
 *   XS_FAILED  an error happened (x->result);
 *   XS_FINISHED  xfrin_finish() handed out the result.
 */
#include "xfr/xfrin.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/pkt.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "util/err.h"
#include "zone/apply.h"
#include "zone/serial.h"

enum { XS_START, XS_SECOND, XS_BODY, XS_DEL, XS_ADD, XS_DONE, XS_FAILED, XS_FINISHED };

/* Room for expanded rdata: 65535 octets of wire plus the growth of up to
 * RRTYPE_MAXFIELDS names (a 2-octet pointer becomes at most 255 octets). */
#define RDBUF_SIZE (65535 + RRTYPE_MAXFIELDS * DNAME_MAXLEN)

/* One RR of the stream, names expanded. */
typedef struct {
	uint8_t owner[DNAME_MAXLEN];
	size_t owner_len;
	uint16_t type;
	uint32_t ttl;
	const uint8_t *rdata;
	uint16_t rdlen;
} xrr_t;

static int fail(xfrin_t *x, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
fail(xfrin_t *x, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->err, sizeof(x->err), fmt, ap);
	va_end(ap);
	x->result = code;
	x->state = XS_FAILED;
	return code;
}

static const char *
rcode_str(unsigned rc)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
					     "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
					     "NOTZONE" };
	if (rc < sizeof(names) / sizeof(names[0]))
		return names[rc];
	return "RCODE?";
}

static uint32_t
soa_serial(const uint8_t *rd, uint16_t rdlen)
{
	return wire_u32(rd + rdlen - 20); /* rdata checked: the five counters end it */
}

int
xfrin_init(xfrin_t *x, const uint8_t *origin, const zone_t *current, uint16_t qid, tsig_ctx_t *tsig,
	   const xfrin_limits_t *lim)
{
	memset(x, 0, sizeof(*x));
	x->state = XS_FAILED;
	int n = dname_check(origin, DNAME_MAXLEN);
	if (n < 0)
		return fail(x, FL_EINVAL, "bad zone name");
	memcpy(x->origin, origin, (size_t)n);
	x->origin_len = (uint8_t)n;
	dname_lower(x->origin);
	if (current != NULL && (current->origin_len != x->origin_len ||
				memcmp(current->origin, x->origin, x->origin_len) != 0))
		return fail(x, FL_EINVAL, "current version is of another zone");
	x->current = current;
	x->qid = qid;
	x->tsig = tsig;
	x->lim.max_records = XFRIN_DEFAULT_MAX_RECORDS;
	x->lim.max_bytes = XFRIN_DEFAULT_MAX_BYTES;
	if (lim != NULL && lim->max_records != 0)
		x->lim.max_records = lim->max_records;
	if (lim != NULL && lim->max_bytes != 0)
		x->lim.max_bytes = lim->max_bytes;
	x->rdbuf = malloc(RDBUF_SIZE);
	if (x->rdbuf == NULL)
		return fail(x, FL_ENOMEM, "out of memory");
	x->state = XS_START;
	return 0;
}

void
xfrin_clear(xfrin_t *x)
{
	if (x->b != NULL)
		zone_builder_abort(x->b);
	x->b = NULL;
	for (size_t i = 0; i < x->ncs; i++) {
		changeset_clear(x->cs[i]);
		free(x->cs[i]);
	}
	free(x->cs);
	x->cs = NULL;
	x->ncs = x->cscap = 0;
	free(x->soa_rd);
	x->soa_rd = NULL;
	free(x->rdbuf);
	x->rdbuf = NULL;
	x->current = NULL;
	x->tsig = NULL;
}

/* Name for error messages. */
static void
name_str(const uint8_t *n, char *buf, size_t len)
{
	if (dname_to_str(n, buf, len) < 0)
		snprintf(buf, len, "?");
}

/*
 * Read one RR of the answer section at *pos into rr, expanding the names
 * of the rdata into x->rdbuf (lowercased for CNAME/LNAME fields), and check it.
 */
static int
read_rr(xfrin_t *x, const uint8_t *msg, size_t len, size_t *pos, xrr_t *rr)
{
	int n = dname_unpack(msg, len, pos, rr->owner, true);
	if (n < 0)
		return fail(x, FL_EMALF, "malformed owner name (%s)", fl_strerror(n));
	rr->owner_len = (size_t)n;
	if (len - *pos < 10)
		return fail(x, FL_EMALF, "record truncated");
	rr->type = wire_u16(msg + *pos);
	uint16_t rclass = wire_u16(msg + *pos + 2);
	rr->ttl = wire_u32(msg + *pos + 4);
	size_t rdlen = wire_u16(msg + *pos + 8);
	*pos += 10;
	if (len - *pos < rdlen)
		return fail(x, FL_EMALF, "rdata truncated");
	size_t start = *pos, end = start + rdlen;
	*pos = end;

	char name[1024], tbuf[16];
	if (rclass != RR_CLASS_IN) {
		name_str(rr->owner, name, sizeof(name));
		return fail(x, FL_EMALF, "record of class %u at %s (only IN)", rclass, name);
	}
	if (rrtype_is_meta(rr->type)) {
		name_str(rr->owner, name, sizeof(name));
		return fail(x, FL_EMALF, "meta type %s at %s in the answer",
			    rrtype_to_str(rr->type, tbuf, sizeof(tbuf)), name);
	}
	if (!dname_is_sub(rr->owner, rr->owner_len, x->origin, x->origin_len)) {
		name_str(rr->owner, name, sizeof(name));
		return fail(x, FL_EOUTZONE, "owner %s is outside the zone", name);
	}

	/* expand names of the rdata fields; everything else is copied */
	const rrtype_desc_t *d = rrtype_desc(rr->type);
	size_t in = start, out = 0;
	bool bad = false;
	for (int i = 0; i < RRTYPE_MAXFIELDS && d->fields[i].kind != RDF_END && !bad; i++) {
		const rdf_t *f = &d->fields[i];
		size_t k;
		switch (f->kind) {
		case RDF_CNAME:
		case RDF_LNAME:
		case RDF_NAME: {
			size_t p = in;
			int m = dname_unpack(msg, end, &p, x->rdbuf + out, f->kind != RDF_NAME);
			if (m < 0) {
				bad = true;
				break;
			}
			in = p;
			out += (size_t)m;
			continue;
		}
		case RDF_FIXED:
			k = f->len;
			break;
		case RDF_STRING:
			k = in < end ? 1u + msg[in] : 1;
			break;
		default: /* RDF_REST */
			k = end - in;
			break;
		}
		if (bad)
			break;
		if (end - in < k) {
			bad = true;
			break;
		}
		memcpy(x->rdbuf + out, msg + in, k);
		in += k;
		out += k;
	}
	if (!bad && in != end)
		bad = true;
	if (!bad && out > UINT16_MAX)
		bad = true;
	if (!bad && rrtype_rdata_check(rr->type, x->rdbuf, out) != 0)
		bad = true;
	if (bad) {
		name_str(rr->owner, name, sizeof(name));
		return fail(x, FL_EMALF, "malformed %s rdata at %s", rrtype_to_str(rr->type, tbuf, sizeof(tbuf)),
			    name);
	}
	rr->rdata = x->rdbuf;
	rr->rdlen = (uint16_t)out;
	if (rr->type == RR_SOA && (rr->owner_len != x->origin_len ||
				   memcmp(rr->owner, x->origin, x->origin_len) != 0)) {
		name_str(rr->owner, name, sizeof(name));
		return fail(x, FL_EMALF, "SOA at %s, not at the zone apex", name);
	}
	return 0;
}

static int
builder_add(xfrin_t *x, const uint8_t *owner, size_t owner_len, uint16_t type, uint32_t ttl,
	    const uint8_t *rd, uint16_t rdlen)
{
	int r = zone_builder_add(x->b, owner, owner_len, type, RR_CLASS_IN, ttl, rd, rdlen,
				 (uint32_t)(x->records > UINT32_MAX ? UINT32_MAX : x->records));
	if (r != 0) {
		char name[1024], tbuf[16];
		name_str(owner, name, sizeof(name));
		return fail(x, r, "record %s %s refused: %s", name, rrtype_to_str(type, tbuf, sizeof(tbuf)),
			    fl_strerror(r));
	}
	return 0;
}

/* Start a full zone: a builder holding the first SOA. */
static int
start_zone(xfrin_t *x, uint32_t ttl, const uint8_t *rd, uint16_t rdlen)
{
	x->b = zone_builder_new(x->origin);
	if (x->b == NULL)
		return fail(x, FL_ENOMEM, "out of memory");
	return builder_add(x, x->origin, x->origin_len, RR_SOA, ttl, rd, rdlen);
}

/* Start a new changeset whose old SOA is rr. */
static int
start_changeset(xfrin_t *x, const xrr_t *rr)
{
	uint32_t s = soa_serial(rr->rdata, rr->rdlen);
	uint32_t want = x->ncs == 0 ? x->current->serial : changeset_serial_to(x->cs[x->ncs - 1]);
	if (s != want) {
		if (x->ncs == 0)
			return fail(x, FL_EMALF, "IXFR starts at serial %u, ours is %u", s, want);
		return fail(x, FL_EMALF, "IXFR chain broken: changeset %zu starts at serial %u, the previous "
			    "one ended at %u", x->ncs + 1, s, want);
	}
	if (x->ncs == x->cscap) {
		size_t cap = x->cscap == 0 ? 8 : x->cscap * 2;
		changeset_t **a = realloc(x->cs, cap * sizeof(*a));
		if (a == NULL)
			return fail(x, FL_ENOMEM, "out of memory");
		x->cs = a;
		x->cscap = cap;
	}
	changeset_t *c = malloc(sizeof(*c));
	if (c == NULL)
		return fail(x, FL_ENOMEM, "out of memory");
	changeset_init(c);
	x->cs[x->ncs++] = c;
	if (changeset_set_soa(c, false, rr->owner, rr->ttl, rr->rdata, rr->rdlen) != 0)
		return fail(x, FL_ENOMEM, "out of memory");
	x->state = XS_DEL;
	return 0;
}

/* Advance the state machine by one RR. */
static int
step(xfrin_t *x, const xrr_t *rr)
{
	bool soa = rr->type == RR_SOA;
	uint32_t s = soa ? soa_serial(rr->rdata, rr->rdlen) : 0;
	changeset_t *c = x->ncs > 0 ? x->cs[x->ncs - 1] : NULL;
	int r;

	switch (x->state) {
	case XS_START:
		if (!soa)
			return fail(x, FL_EMALF, "the first record is not the SOA of the zone");
		x->serial = s;
		if (x->current == NULL) {
			x->kind = XFRIN_AXFR;
			x->state = XS_BODY;
			return start_zone(x, rr->ttl, rr->rdata, rr->rdlen);
		}
		if (!serial_gt(s, x->current->serial)) {
			x->kind = XFRIN_UPTODATE;
			x->state = XS_DONE;
			return 0;
		}
		x->soa_rd = malloc(rr->rdlen);
		if (x->soa_rd == NULL)
			return fail(x, FL_ENOMEM, "out of memory");
		memcpy(x->soa_rd, rr->rdata, rr->rdlen);
		x->soa_rdlen = rr->rdlen;
		x->soa_ttl = rr->ttl;
		x->state = XS_SECOND;
		return 0;
	case XS_SECOND:
		if (soa) {
			x->kind = XFRIN_IXFR;
			return start_changeset(x, rr);
		}
		x->kind = XFRIN_IXFR_AXFR_STYLE;
		x->state = XS_BODY;
		r = start_zone(x, x->soa_ttl, x->soa_rd, x->soa_rdlen);
		if (r != 0)
			return r;
		return builder_add(x, rr->owner, rr->owner_len, rr->type, rr->ttl, rr->rdata, rr->rdlen);
	case XS_BODY:
		if (!soa)
			return builder_add(x, rr->owner, rr->owner_len, rr->type, rr->ttl, rr->rdata, rr->rdlen);
		if (s != x->serial)
			return fail(x, FL_EMALF, "SOA of serial %u inside the transfer of serial %u", s, x->serial);
		x->state = XS_DONE;
		return 0;
	case XS_DEL:
		if (soa) {
			if (changeset_set_soa(c, true, rr->owner, rr->ttl, rr->rdata, rr->rdlen) != 0)
				return fail(x, FL_ENOMEM, "out of memory");
			x->state = XS_ADD;
			return 0;
		}
		r = changeset_del(c, rr->owner, rr->type, rr->ttl, rr->rdata, rr->rdlen);
		if (r != 0)
			return fail(x, r, "changeset: %s", fl_strerror(r));
		return 0;
	case XS_ADD:
		if (soa) {
			if (s == x->serial && changeset_serial_to(c) == x->serial) {
				x->state = XS_DONE;
				return 0;
			}
			return start_changeset(x, rr);
		}
		r = changeset_add(c, rr->owner, rr->type, rr->ttl, rr->rdata, rr->rdlen);
		if (r != 0)
			return fail(x, r, "changeset: %s", fl_strerror(r));
		return 0;
	default:
		return fail(x, FL_EMALF, "record after the end of the transfer");
	}
}

/* Header, TSIG and question checks; *pos is left after the question. */
static int
check_header(xfrin_t *x, const uint8_t *msg, size_t len, uint64_t now, size_t *pos)
{
	if (len < PKT_HDRLEN)
		return fail(x, FL_EMALF, "message shorter than a header (%zu octets)", len);
	uint16_t id = wire_u16(msg), flags = wire_u16(msg + 2);
	if (id != x->qid)
		return fail(x, FL_EMALF, "message ID %u, expected %u", id, x->qid);
	if (!(flags & PKT_QR))
		return fail(x, FL_EMALF, "message is not a response (QR=0)");
	if (PKT_OPCODE(flags) != OPCODE_QUERY)
		return fail(x, FL_EMALF, "response opcode %u", PKT_OPCODE(flags));
	unsigned rc = PKT_RCODE(flags);
	if (x->tsig != NULL) {
		int t = tsig_verify_response(x->tsig, msg, len, now);
		if (t != TSIG_OK && t != TSIG_NONE) {
			if (rc != RCODE_NOERROR)
				return fail(x, FL_EMALF, "server answered %s; TSIG: %s", rcode_str(rc),
					    tsig_result_str(t));
			return fail(x, t < 0 ? t : FL_EMALF, "TSIG: %s", tsig_result_str(t));
		}
	}
	if (rc != RCODE_NOERROR)
		return fail(x, FL_EMALF, "server answered %s (rcode %u)", rcode_str(rc), rc);
	if (flags & PKT_TC)
		return fail(x, FL_EMALF, "truncated response (TC=1)");
	uint16_t qd = wire_u16(msg + 4);
	*pos = PKT_HDRLEN;
	if (qd > 1)
		return fail(x, FL_EMALF, "%u questions in a response", qd);
	if (qd == 1) {
		uint8_t qn[DNAME_MAXLEN];
		int n = dname_unpack(msg, len, pos, qn, true);
		if (n < 0 || len - *pos < 4)
			return fail(x, FL_EMALF, "malformed question");
		uint16_t qt = wire_u16(msg + *pos), qc = wire_u16(msg + *pos + 2);
		*pos += 4;
		uint16_t want = x->current != NULL ? RR_IXFR : RR_AXFR;
		char name[1024];
		if ((size_t)n != x->origin_len || memcmp(qn, x->origin, x->origin_len) != 0) {
			name_str(qn, name, sizeof(name));
			return fail(x, FL_EMALF, "question for %s, not for the zone", name);
		}
		if (qc != RR_CLASS_IN)
			return fail(x, FL_EMALF, "question of class %u (only IN)", qc);
		if (qt != want)
			return fail(x, FL_EMALF, "question of type %u, expected %s", qt,
				    want == RR_IXFR ? "IXFR" : "AXFR");
	}
	return 0;
}

int
xfrin_feed(xfrin_t *x, const uint8_t *msg, size_t len, uint64_t now)
{
	if (x->state == XS_FAILED)
		return x->result != 0 ? x->result : FL_EINVAL;
	if (x->state == XS_DONE || x->state == XS_FINISHED)
		return fail(x, FL_EMALF, "message after the end of the transfer");
	if (len > x->lim.max_bytes || x->bytes > x->lim.max_bytes - len)
		return fail(x, FL_ELIMIT, "transfer larger than %llu octets",
			    (unsigned long long)x->lim.max_bytes);
	x->bytes += len;

	size_t pos;
	int r = check_header(x, msg, len, now, &pos);
	if (r != 0)
		return r;
	uint16_t an = wire_u16(msg + 6);
	if (an == 0)
		return fail(x, FL_EMALF, "response without records");
	for (uint16_t i = 0; i < an; i++) {
		if (x->state == XS_DONE)
			return fail(x, FL_EMALF, "records after the end of the transfer");
		if (x->records >= x->lim.max_records)
			return fail(x, FL_ELIMIT, "transfer of more than %llu records",
				    (unsigned long long)x->lim.max_records);
		x->records++;
		xrr_t rr;
		r = read_rr(x, msg, len, &pos, &rr);
		if (r != 0)
			return r;
		r = step(x, &rr);
		if (r != 0)
			return r;
	}
	/* authority and additional (OPT, TSIG): only their form matters here */
	uint32_t rest = (uint32_t)wire_u16(msg + 8) + wire_u16(msg + 10);
	for (uint32_t i = 0; i < rest; i++)
		if (pkt_skip_rr(msg, len, &pos) != 0)
			return fail(x, FL_EMALF, "malformed record after the answer section");
	if (pos != len)
		return fail(x, FL_EMALF, "%zu octets of garbage after the records", len - pos);
	x->messages++;
	if (x->state != XS_DONE)
		return 0;
	if (x->tsig != NULL) {
		int t = tsig_verify_end(x->tsig);
		if (t != TSIG_OK)
			return fail(x, t < 0 ? t : FL_EMALF, "TSIG: %s", tsig_result_str(t));
	}
	return 1;
}

/* Apply the changesets in order on top of the current version. */
static int
apply_all(xfrin_t *x, zone_t **out)
{
	zone_error_t *zerr = malloc(sizeof(*zerr));
	changeset_t cond;
	const changeset_t *cs = x->cs[0];
	int r = 0;
	changeset_init(&cond);
	if (zerr == NULL)
		return fail(x, FL_ENOMEM, "out of memory");
	zerr->msg[0] = '\0';
	/* Several changesets: one rebuild of the zone, not one per changeset. */
	if (x->ncs > 1) {
		r = changeset_condense((const changeset_t *const *)x->cs, x->ncs, &cond, zerr->msg, sizeof(zerr->msg));
		if (r != 0) {
			if (r == FL_ESEMANTIC)
				fail(x, r, "IXFR does not apply: %s", zerr->msg);
			else
				fail(x, r, "IXFR does not apply: %s", fl_strerror(r));
			goto done;
		}
		cs = &cond;
	}
	r = zone_apply(x->current, cs, out, zerr);
	if (r == FL_ESEMANTIC)
		fail(x, r, "IXFR does not apply: %s (serial %u to %u%s)", zerr->msg, changeset_serial_from(cs),
		     changeset_serial_to(cs), x->ncs > 1 ? ", the changesets condensed" : "");
	else if (r != 0)
		fail(x, r, "IXFR does not apply: %s", fl_strerror(r));
done:
	changeset_clear(&cond);
	free(zerr);
	return r;
}

int
xfrin_finish(xfrin_t *x, zone_t **out, xfrin_kind_t *kind)
{
	*out = NULL;
	if (kind != NULL)
		*kind = XFRIN_NONE;
	if (x->state == XS_FAILED)
		return x->result != 0 ? x->result : FL_EINVAL;
	if (x->state == XS_FINISHED)
		return fail(x, FL_EINVAL, "transfer already finished");
	if (x->state != XS_DONE)
		return fail(x, FL_EMALF, "transfer incomplete: the stream ended before the final SOA "
			    "(%llu records in %llu messages)", (unsigned long long)x->records,
			    (unsigned long long)x->messages);
	int r = 0;
	zone_t *z = NULL;
	switch (x->kind) {
	case XFRIN_UPTODATE:
		break;
	case XFRIN_IXFR:
		r = apply_all(x, &z);
		if (r != 0)
			return r;
		break;
	default: {
		zone_error_t *zerr = malloc(sizeof(*zerr));
		if (zerr == NULL)
			return fail(x, FL_ENOMEM, "out of memory");
		zerr->msg[0] = '\0';
		r = zone_builder_finish(x->b, &z, zerr);
		x->b = NULL;
		if (r != 0)
			fail(x, r, "transferred zone is not valid: %s", r == FL_ESEMANTIC ? zerr->msg : fl_strerror(r));
		free(zerr);
		if (r != 0)
			return r;
		break;
	}
	}
	*out = z;
	if (kind != NULL)
		*kind = x->kind;
	x->state = XS_FINISHED;
	return 0;
}
