/* SPDX-License-Identifier: MIT */
/** \file The transfer client: SOA query, then IXFR/AXFR over TCP (see xfrclient.h). */
#include <errno.h>
#include <stdarg.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "dns/dname.h"
#include "dns/msg.h"
#include "dns/pkt.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "util/err.h"
#include "xfr/xfrclient.h"
#include "zone/serial.h"

/* A request is a question plus our SOA plus TSIG: far below this. */
#define XFRC_WBUF 2048

typedef enum { PH_CONNECT, PH_SOA, PH_XFR, PH_END } xfrc_phase_t;

struct xfrc {
	struct event_base *base;
	xfrc_req_t req;
	xfrc_done_fn done;
	void *arg;
	int fd;
	struct event *ev_w, *ev_r, *ev_end;
	xfrc_phase_t phase;
	uint16_t qid;
	bool xfr_axfr;            /* the transfer request is an AXFR */
	tsig_ctx_t tsig;
	bool tsig_on;
	xfrin_t xin;
	bool xin_on;
	uint8_t wbuf[XFRC_WBUF];
	size_t wlen, woff;
	uint8_t *rbuf;            /* 2 + 65535 */
	size_t rlen;
	struct timespec t0;
	xfrc_result_t res;
};

static uint64_t
now_s(void)
{
	return (uint64_t)time(NULL);
}

/* End the exchange: the callback runs from the loop, never re-entrantly. */
static void
finish(xfrc_t *c, xfrc_status_t st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void
finish(xfrc_t *c, xfrc_status_t st, const char *fmt, ...)
{
	if (c->phase == PH_END)
		return;
	c->phase = PH_END;
	c->res.status = st;
	/* The caller may try its next key for this primary (a rotation in progress). */
	c->res.badkey = st == XFRC_FAILED && c->tsig_on && c->tsig.peer_error == TSIG_BADKEY;
	if (fmt != NULL) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->res.err, sizeof(c->res.err), fmt, ap);
		va_end(ap);
	}
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	c->res.ms = (double)(t1.tv_sec - c->t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - c->t0.tv_nsec) / 1e6;
	if (c->xin_on) {
		c->res.messages = c->xin.messages;
		c->res.records = c->xin.records;
		c->res.bytes = c->xin.bytes;
	}
	if (c->ev_w != NULL)
		event_del(c->ev_w);
	if (c->ev_r != NULL)
		event_del(c->ev_r);
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	event_active(c->ev_end, EV_TIMEOUT, 0);
}

static void
on_end(evutil_socket_t fd, short what, void *arg)
{
	xfrc_t *c = arg;
	c->done(c->arg, c);
}

static struct timeval
tv_of(unsigned ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
	return tv;
}

/* Header + question (+ our SOA in AUTHORITY for IXFR) + TSIG, length-prefixed in wbuf. */
static int
build_request(xfrc_t *c, uint16_t qtype)
{
	uint8_t *m = c->wbuf + 2;
	size_t cap = sizeof(c->wbuf) - 2;
	const zone_t *cur = c->req.current;
	size_t olen = dname_len(c->req.origin);
	bool with_soa = qtype == RR_IXFR;
	uint16_t id;
	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		id = (uint16_t)(rand() ^ (int)c->t0.tv_nsec);
	c->qid = id;
	memset(m, 0, 12);
	wire_set_u16(m, id);
	wire_set_u16(m + 4, 1);
	wire_set_u16(m + 8, with_soa ? 1 : 0);
	size_t len = 12;
	memcpy(m + len, c->req.origin, olen);
	len += olen;
	wire_set_u16(m + len, qtype);
	wire_set_u16(m + len + 2, 1);
	len += 4;
	if (qtype == RR_SOA) {
		/* OPT with an empty EXPIRE option (RFC 7314 §2). */
		static const uint8_t opt[] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 4, 0, EDNS_OPT_EXPIRE, 0, 0 };
		memcpy(m + len, opt, sizeof(opt));
		len += sizeof(opt);
		wire_set_u16(m + 10, 1);
	}
	if (with_soa) {
		const uint8_t *rd = cur->soa->rdata;
		uint16_t rdlen = msg_rd_len(rd);
		if (len + olen + 10 + rdlen > cap)
			return FL_ESPACE;
		memcpy(m + len, c->req.origin, olen);
		len += olen;
		wire_set_u16(m + len, RR_SOA);
		wire_set_u16(m + len + 2, 1);
		wire_set_u32(m + len + 4, cur->soa->ttl);
		wire_set_u16(m + len + 8, rdlen);
		memcpy(m + len + 10, msg_rd_data(rd), rdlen);
		len += 10u + rdlen;
	}
	c->tsig_on = false;
	if (c->req.key != NULL) {
		int r = tsig_sign_request(c->req.key, m, &len, cap, now_s(), 0, &c->tsig);
		if (r != 0)
			return r;
		c->tsig_on = true;
	}
	wire_set_u16(c->wbuf, (uint16_t)len);
	c->wlen = len + 2;
	c->woff = 0;
	c->rlen = 0;
	return 0;
}

static void
send_request(xfrc_t *c, uint16_t qtype)
{
	int r = build_request(c, qtype);
	if (r != 0) {
		finish(c, XFRC_FAILED, "cannot build the %s request: %s", qtype == RR_SOA ? "SOA" : qtype == RR_IXFR ? "IXFR" : "AXFR",
		       fl_strerror(r));
		return;
	}
	struct timeval tv = tv_of(c->req.timeout_ms);
	event_add(c->ev_w, &tv);
}

static void
start_transfer(xfrc_t *c)
{
	c->phase = PH_XFR;
	c->xfr_axfr = c->req.axfr || c->req.current == NULL;
	send_request(c, c->xfr_axfr ? RR_AXFR : RR_IXFR);
	if (c->phase == PH_END)
		return;
	int r = xfrin_init(&c->xin, c->req.origin, c->xfr_axfr ? NULL : c->req.current, c->qid,
			   c->tsig_on ? &c->tsig : NULL, &c->req.lim);
	c->xin_on = true;
	if (r != 0)
		finish(c, XFRC_FAILED, "transfer parser: %s", fl_strerror(r));
}

/* EDNS EXPIRE in the answer's OPT, if any (RFC 7314 §3). */
static void
find_expire(xfrc_t *c, const uint8_t *m, size_t len)
{
	uint16_t counts = (uint16_t)(wire_u16(m + 4) + wire_u16(m + 6) + wire_u16(m + 8)), ar = wire_u16(m + 10);
	size_t pos = 12;
	uint8_t name[DNAME_MAXLEN];
	for (uint32_t i = 0; i < (uint32_t)counts + ar; i++) {
		if (i < wire_u16(m + 4)) {
			if (dname_unpack(m, len, &pos, name, false) < 0 || len - pos < 4)
				return;
			pos += 4;
			continue;
		}
		if (dname_unpack(m, len, &pos, name, false) < 0 || len - pos < 10)
			return;
		uint16_t type = wire_u16(m + pos), rdlen = wire_u16(m + pos + 8);
		pos += 10;
		if (len - pos < rdlen)
			return;
		if (type == RR_OPT && i >= counts) {
			for (size_t o = pos; o + 4 <= pos + rdlen;) {
				uint16_t code = wire_u16(m + o), olen = wire_u16(m + o + 2);
				if (o + 4 + olen > pos + rdlen)
					break;
				if (code == EDNS_OPT_EXPIRE && olen == 4) {
					c->res.have_expire = true;
					c->res.expire = wire_u32(m + o + 4);
				}
				o += 4u + olen;
			}
		}
		pos += rdlen;
	}
}

/* The SOA answer: id, QR, NOERROR, TSIG, then the zone's SOA serial. */
static void
on_soa_answer(xfrc_t *c, const uint8_t *m, size_t len)
{
	if (len < 12 || wire_u16(m) != c->qid || !(m[2] & 0x80)) {
		finish(c, XFRC_FAILED, "SOA query: malformed answer or wrong message ID");
		return;
	}
	if (c->tsig_on) {
		int tr = tsig_verify_response(&c->tsig, m, len, now_s());
		if (tr == TSIG_OK)
			tr = tsig_verify_end(&c->tsig);
		if (tr != TSIG_OK) {
			finish(c, XFRC_FAILED, "SOA query: TSIG %s (rcode %u)", tsig_result_str(tr), m[3] & 0xF);
			return;
		}
	}
	unsigned rc = m[3] & 0xF;
	if (rc != RCODE_NOERROR) {
		finish(c, XFRC_FAILED, "SOA query: the primary answered rcode %u%s", rc,
		       rc == RCODE_NOTAUTH ? " (not authoritative, or TSIG refused)" : "");
		return;
	}
	uint16_t qd = wire_u16(m + 4), an = wire_u16(m + 6);
	size_t pos = 12;
	uint8_t name[DNAME_MAXLEN];
	find_expire(c, m, len);
	for (uint16_t i = 0; i < qd; i++) {
		if (dname_unpack(m, len, &pos, name, true) < 0 || len - pos < 4)
			goto bad;
		pos += 4;
	}
	for (uint16_t i = 0; i < an; i++) {
		if (dname_unpack(m, len, &pos, name, true) < 0 || len - pos < 10)
			goto bad;
		uint16_t type = wire_u16(m + pos), rdlen = wire_u16(m + pos + 8);
		pos += 10;
		if (len - pos < rdlen)
			goto bad;
		size_t end = pos + rdlen, p = pos;
		pos = end;
		if (type != RR_SOA || !dname_eq(name, c->req.origin))
			continue;
		uint8_t n2[DNAME_MAXLEN];
		if (dname_unpack(m, end, &p, n2, false) < 0 || dname_unpack(m, end, &p, n2, false) < 0 || end - p < 20)
			goto bad;
		c->res.have_primary_serial = true;
		c->res.primary_serial = wire_u32(m + p);
		if (c->req.current != NULL && !serial_gt(c->res.primary_serial, c->req.current->serial)) {
			finish(c, XFRC_UPTODATE, NULL);
			return;
		}
		tsig_ctx_clear(&c->tsig);
		tsig_ctx_init(&c->tsig);
		start_transfer(c);
		return;
	}
bad:
	finish(c, XFRC_FAILED, "SOA query: no SOA of the zone in the answer");
}

static void
on_xfr_message(xfrc_t *c, const uint8_t *m, size_t len)
{
	unsigned rc = len >= 4 ? (m[3] & 0xF) : 0;
	/* A refused IXFR (RFC 1995 leaves it to the server) is the cue for AXFR. */
	if (c->xin.messages == 0 && !c->xfr_axfr && len >= 12 && wire_u16(m) == c->qid &&
	    (rc == RCODE_FORMERR || rc == RCODE_SERVFAIL || rc == RCODE_NOTIMP || rc == RCODE_REFUSED)) {
		finish(c, XFRC_IXFR_REFUSED, "the primary answered the IXFR with rcode %u", rc);
		return;
	}
	int r = xfrin_feed(&c->xin, m, len, now_s());
	if (r < 0) {
		finish(c, XFRC_FAILED, "%s transfer rejected: %s", c->xfr_axfr ? "AXFR" : "IXFR", c->xin.err);
		return;
	}
	if (r == 0)
		return;
	zone_t *z = NULL;
	xfrin_kind_t kind = XFRIN_NONE;
	r = xfrin_finish(&c->xin, &z, &kind);
	c->res.kind = kind != XFRIN_NONE ? kind : c->xin.kind;
	c->res.have_primary_serial = true;
	c->res.primary_serial = c->xin.serial;
	if (r == FL_ESEMANTIC && !c->xfr_axfr) {
		finish(c, XFRC_IXFR_REFUSED, "IXFR rejected: %s", c->xin.err);
		return;
	}
	if (r != 0) {
		finish(c, XFRC_FAILED, "%s transfer rejected: %s", c->xfr_axfr ? "AXFR" : "IXFR", c->xin.err);
		return;
	}
	if (kind == XFRIN_UPTODATE) {
		finish(c, XFRC_UPTODATE, NULL);
		return;
	}
	c->res.zone = z;
	finish(c, XFRC_DONE, NULL);
}

static void
on_read(evutil_socket_t fd, short what, void *arg)
{
	xfrc_t *c = arg;
	if (what & EV_TIMEOUT) {
		finish(c, XFRC_FAILED, "%s: no data for %u ms (%llu messages received)",
		       c->phase == PH_SOA ? "SOA query" : "transfer", c->req.timeout_ms,
		       (unsigned long long)(c->xin_on ? c->xin.messages : 0));
		return;
	}
	/* Bounded work per callback so one big transfer cannot starve the loop. */
	for (int rounds = 0; rounds < 64 && c->phase != PH_END; rounds++) {
		size_t need = c->rlen < 2 ? 2 : 2u + wire_u16(c->rbuf);
		ssize_t n = read(c->fd, c->rbuf + c->rlen, need - c->rlen);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			finish(c, XFRC_FAILED, "read: %s", strerror(errno));
			return;
		}
		if (n == 0) {
			finish(c, XFRC_FAILED, "%s: the primary closed the connection %s(%llu messages received)",
			       c->phase == PH_SOA ? "SOA query" : "transfer",
			       c->rlen > 0 ? "in the middle of a message " : "before the end ",
			       (unsigned long long)(c->xin_on ? c->xin.messages : 0));
			return;
		}
		c->rlen += (size_t)n;
		if (c->rlen < 2 || c->rlen < 2u + wire_u16(c->rbuf))
			continue;
		size_t mlen = wire_u16(c->rbuf);
		c->rlen = 0;
		if (c->phase == PH_SOA)
			on_soa_answer(c, c->rbuf + 2, mlen);
		else
			on_xfr_message(c, c->rbuf + 2, mlen);
	}
}

static void
on_write(evutil_socket_t fd, short what, void *arg)
{
	xfrc_t *c = arg;
	if (what & EV_TIMEOUT) {
		finish(c, XFRC_FAILED, c->phase == PH_CONNECT ? "connect: timed out after %u ms" : "send: timed out after %u ms",
		       c->req.timeout_ms);
		return;
	}
	if (c->phase == PH_CONNECT) {
		int err = 0;
		socklen_t el = sizeof(err);
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
			err = errno;
		if (err != 0) {
			finish(c, XFRC_FAILED, "connect: %s", strerror(err));
			return;
		}
		if (c->req.soa_first && c->req.current != NULL) {
			c->phase = PH_SOA;
			send_request(c, RR_SOA);
		} else {
			start_transfer(c);
		}
		return;
	}
	while (c->woff < c->wlen) {
		ssize_t n = write(c->fd, c->wbuf + c->woff, c->wlen - c->woff);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				struct timeval tv = tv_of(c->req.timeout_ms);
				event_add(c->ev_w, &tv);
				return;
			}
			finish(c, XFRC_FAILED, "send: %s", strerror(errno));
			return;
		}
		c->woff += (size_t)n;
	}
	struct timeval tv = tv_of(c->req.timeout_ms);
	event_add(c->ev_r, &tv);
}

xfrc_t *
xfrc_start(struct event_base *base, const xfrc_req_t *req, xfrc_done_fn done, void *arg)
{
	xfrc_t *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->base = base;
	c->req = *req;
	/* The exchange finishes with this key even if a reload replaces the keyring. */
	tsig_key_hold(c->req.key);
	if (c->req.timeout_ms == 0)
		c->req.timeout_ms = 30000;
	c->done = done;
	c->arg = arg;
	c->fd = -1;
	tsig_ctx_init(&c->tsig);
	clock_gettime(CLOCK_MONOTONIC, &c->t0);
	c->rbuf = malloc(2 + 65535);
	c->ev_end = evtimer_new(base, on_end, c);
	if (c->rbuf == NULL || c->ev_end == NULL) {
		xfrc_free(c);
		return NULL;
	}
	c->fd = socket(req->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		finish(c, XFRC_FAILED, "socket: %s", strerror(errno));
		return c;
	}
	c->ev_w = event_new(base, c->fd, EV_WRITE, on_write, c);
	c->ev_r = event_new(base, c->fd, EV_READ | EV_PERSIST, on_read, c);
	if (c->ev_w == NULL || c->ev_r == NULL) {
		xfrc_free(c);
		return NULL;
	}
	if (req->sourcelen > 0 && bind(c->fd, (const struct sockaddr *)&req->source, req->sourcelen) != 0) {
		finish(c, XFRC_FAILED, "bind to the source address: %s", strerror(errno));
		return c;
	}
	if (connect(c->fd, (const struct sockaddr *)&req->addr, req->addrlen) != 0 && errno != EINPROGRESS) {
		finish(c, XFRC_FAILED, "connect: %s", strerror(errno));
		return c;
	}
	c->phase = PH_CONNECT;
	struct timeval tv = tv_of(c->req.timeout_ms);
	event_add(c->ev_w, &tv);
	return c;
}

xfrc_result_t *
xfrc_result(xfrc_t *c)
{
	return &c->res;
}

changeset_t *const *
xfrc_changesets(const xfrc_t *c, size_t *n)
{
	if (!c->xin_on || c->res.kind != XFRIN_IXFR) {
		*n = 0;
		return NULL;
	}
	*n = c->xin.ncs;
	return c->xin.cs;
}

void
xfrc_free(xfrc_t *c)
{
	if (c == NULL)
		return;
	if (c->ev_w != NULL)
		event_free(c->ev_w);
	if (c->ev_r != NULL)
		event_free(c->ev_r);
	if (c->ev_end != NULL)
		event_free(c->ev_end);
	if (c->fd >= 0)
		close(c->fd);
	if (c->xin_on)
		xfrin_clear(&c->xin);
	tsig_ctx_clear(&c->tsig);
	tsig_key_release(c->req.key);
	zone_free(c->res.zone);
	free(c->rbuf);
	free(c);
}
