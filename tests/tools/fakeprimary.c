/* SPDX-License-Identifier: MIT */
/**
 * \file
 * fakeprimary: a scriptable, misbehaving primary for the secondary's
 * integration tests (tests/integration/secondary-bad.sh). Real primaries
 * never send bad transfers; this one does, on request.
 *
 * usage: fakeprimary --port P --zone ORIGIN --file ZONEFILE [--key KEYFILE]
 *                    [--serial N] [--mode MODE] [--mode-file PATH]
 *                    [--per-msg N] [--notify ADDR@PORT]
 *
 * One thread, 127.0.0.1@P, UDP and TCP. The zone is read once with our
 * zone loader; its SOA serial is replaced by the served serial. It answers
 *  - SOA queries for the zone (UDP and TCP) with the served serial;
 *  - AXFR and IXFR over TCP with a stream of SOA, the zone's records, SOA,
 *    --per-msg records per message (default 3), shaped by the MODE;
 *    an IXFR whose SOA is not older than ours gets the single SOA, other
 *    IXFRs are answered AXFR-style (except in mode ixfr-mismatch);
 *  - anything else with REFUSED (other zones: NOTAUTH).
 * With --key, the request's TSIG is verified like a real server does
 * (errors answered with NOTAUTH and the TSIG error) and every response
 * message is signed (RFC 8945 §5.3.1), unless the mode says otherwise;
 * unsigned AXFR/IXFR requests are REFUSED.
 *
 * The mode file (re-read for every request, and every 100 ms) holds one line
 * "MODE [SERIAL [XFR-SERIAL]]": SERIAL is what SOA answers carry (default
 * --serial, else the file's), XFR-SERIAL what the transfer carries (default
 * SERIAL; a different value makes a primary whose SOA answer lies).
 * When its content changes, and on SIGUSR1, a NOTIFY for the zone (signed
 * with the key) is sent to the --notify address; its answer is logged.
 *
 * Modes:
 *   good           correct transfer
 *   cut            the first half of the messages, then the connection is closed
 *   stall          the first half of the messages, then silence (connection kept
 *                  open until the mode changes)
 *   badmac         the MAC of the 2nd message has one byte flipped
 *   badtime        every message signed with a clock one hour behind (BADTIME)
 *   badid          the 2nd message carries another message ID
 *   nosig          no message is signed
 *   lastunsigned   every message but the last is signed
 *   unsigned99     one RR per message: the 1st signed, 99 unsigned, then one signed
 *                  with the rest: valid per RFC 8945 §5.3.1 (a positive control)
 *   unsigned100    the same with 100 unsigned messages in a row: invalid
 *   outzone        an A record owned by evil.example.org. in the 2nd message
 *   soa-mismatch   the closing SOA carries the serial plus one
 *   oldserial      like good; meant with a SERIAL lower than the secondary's
 *   ixfr-mismatch  IXFR answered incrementally (RFC 1995) with a deletion of
 *                  a record that does not exist; AXFR answered correctly
 *   zonemd-bad     an apex ZONEMD (SIMPLE, SHA-384) with a digest of zeros
 *   zonemd-good    an apex ZONEMD (SIMPLE, SHA-384) with the right digest
 *   refuse         AXFR/IXFR answered REFUSED
 * The unsigned modes pad the zone with TXT records fill-NNN.<zone> so that
 * there are enough RRs for one per message.
 *
 * Log lines go to stderr: "fakeprimary: ready", one line per request and
 * per NOTIFY. SIGTERM/SIGINT end it with exit 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "dns/dname.h"
#include "dns/msg.h"
#include "dns/pkt.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "tsig/keyfile.h"
#include "tsig/tsig.h"
#include "util/err.h"
#include "zone/zonefile.h"
#include "zone/zonemd.h"

#define MSG_CAP 65535
#define MAX_PARKED 16
#define TCP_IDLE_MS 3000

typedef enum {
	M_GOOD, M_CUT, M_STALL, M_BADMAC, M_BADID, M_NOSIG, M_LASTUNSIGNED, M_UNSIGNED99, M_UNSIGNED100,
	M_OUTZONE, M_OLDSERIAL, M_IXFR_MISMATCH, M_ZONEMD_BAD, M_ZONEMD_GOOD, M_REFUSE, M_BADTIME, M_SOA_MISMATCH,
} mode_t_;

static const char *const mode_names[] = {
	"good", "cut", "stall", "badmac", "badid", "nosig", "lastunsigned", "unsigned99", "unsigned100",
	"outzone", "oldserial", "ixfr-mismatch", "zonemd-bad", "zonemd-good", "refuse", "badtime", "soa-mismatch", NULL,
};

/* What the mode file (or the command line) says right now. */
typedef struct {
	mode_t_ mode;
	uint32_t serial;     /* SOA answers */
	uint32_t xfr_serial; /* the transfer */
} setting_t;

/* One RR of a stream (owned copies). */
typedef struct {
	uint8_t owner[DNAME_MAXLEN];
	uint16_t type;
	uint32_t ttl;
	uint8_t *rd;
	uint16_t rdlen;
} rr_t;

typedef struct {
	rr_t *v;
	size_t n, cap;
} rrlist_t;

static struct {
	uint8_t origin[DNAME_MAXLEN];
	char origin_str[1024];
	zone_t *zone;
	tsig_keyring_t *kr;
	const tsig_key_t *key; /* the first key of the file: for NOTIFY */
	setting_t def;
	const char *mode_file;
	char mode_text[256];   /* last content seen (change detection) */
	unsigned per_msg;
	struct sockaddr_in notify_to;
	bool notify_on;
	int notify_fd;
	uint16_t notify_id;
	tsig_ctx_t notify_ctx;
	bool notify_pending;
	int parked[MAX_PARKED];
	size_t nparked;
	uint8_t *buf;          /* one message being built, 2-octet length prefix first */
	uint8_t *cat;          /* unsigned messages since the last signed one, then the signed one */
} g;

static volatile sig_atomic_t stop_flag, usr1_flag;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		usr1_flag = 1;
	else
		stop_flag = 1;
}

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void
logf_(const char *fmt, ...)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(stderr, "%lld.%03ld fakeprimary: ", (long long)ts.tv_sec, ts.tv_nsec / 1000000);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

static bool
serial_newer(uint32_t a, uint32_t b)
{
	return a != b && (uint32_t)(a - b) < 0x80000000u;
}

static uint64_t
now_s(void)
{
	return (uint64_t)time(NULL);
}

/* ---- settings ---- */

static int
mode_from_str(const char *s, mode_t_ *out)
{
	for (int i = 0; mode_names[i] != NULL; i++)
		if (strcmp(s, mode_names[i]) == 0) {
			*out = (mode_t_)i;
			return 0;
		}
	return -1;
}

/* The mode file's first line, else the defaults. */
static setting_t
setting_now(void)
{
	setting_t st = g.def;
	if (g.mode_file == NULL)
		return st;
	char line[256] = "";
	FILE *f = fopen(g.mode_file, "r");
	if (f == NULL)
		return st;
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	char name[64] = "";
	unsigned long s1 = 0, s2 = 0;
	int n = sscanf(line, "%63s %lu %lu", name, &s1, &s2);
	if (n < 1)
		return st;
	if (mode_from_str(name, &st.mode) != 0) {
		logf_("mode file: unknown mode '%s', using %s", name, mode_names[g.def.mode]);
		st.mode = g.def.mode;
	}
	if (n >= 2)
		st.serial = st.xfr_serial = (uint32_t)s1;
	if (n >= 3)
		st.xfr_serial = (uint32_t)s2;
	return st;
}

/* ---- RR lists ---- */

static int
rr_push(rrlist_t *l, const uint8_t *owner, uint16_t type, uint32_t ttl, const uint8_t *rd, uint16_t rdlen)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 64;
		rr_t *v = realloc(l->v, nc * sizeof(*v));
		if (v == NULL)
			return FL_ENOMEM;
		l->v = v;
		l->cap = nc;
	}
	rr_t *r = &l->v[l->n];
	memcpy(r->owner, owner, dname_len(owner));
	r->type = type;
	r->ttl = ttl;
	r->rdlen = rdlen;
	r->rd = malloc(rdlen ? rdlen : 1);
	if (r->rd == NULL)
		return FL_ENOMEM;
	memcpy(r->rd, rd, rdlen);
	l->n++;
	return 0;
}

static void
rr_free(rrlist_t *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].rd);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* The zone's SOA with another serial. */
static int
push_soa(rrlist_t *l, uint32_t serial)
{
	const zone_rrset_t *soa = g.zone->soa;
	uint16_t len = msg_rd_len(soa->rdata);
	uint8_t rd[1024];
	if (len < 22 || len > sizeof(rd))
		return FL_EMALF;
	memcpy(rd, msg_rd_data(soa->rdata), len);
	wire_set_u32(rd + len - 20, serial);
	return rr_push(l, g.origin, RR_SOA, soa->ttl, rd, len);
}

/* Every record of the zone except the SOA and any apex ZONEMD. */
static int
push_body(rrlist_t *l)
{
	const zone_t *z = g.zone;
	for (uint32_t i = 0; i < z->nnodes; i++) {
		const zone_node_t *n = &z->nodes[i];
		for (uint16_t k = 0; k < n->nrrsets; k++) {
			const zone_rrset_t *rs = &n->rrsets[k];
			if (rs->type == RR_SOA || (i == 0 && rs->type == RR_ZONEMD))
				continue;
			const uint8_t *rd = rs->rdata;
			for (uint16_t j = 0; j < rs->count; j++) {
				int r = rr_push(l, n->name, rs->type, rs->ttl, msg_rd_data(rd), msg_rd_len(rd));
				if (r != 0)
					return r;
				rd = msg_rd_next(rd);
			}
		}
	}
	return 0;
}

static int
push_named(rrlist_t *l, const char *name, uint16_t type, uint32_t ttl, const uint8_t *rd, uint16_t rdlen)
{
	uint8_t owner[DNAME_MAXLEN];
	if (dname_from_str(name, strlen(name), g.origin, owner) < 0)
		return FL_EINVAL;
	return rr_push(l, owner, type, ttl, rd, rdlen);
}

/* Apex ZONEMD (SIMPLE, SHA-384): the right digest of [SOA(serial), body], or zeros. */
static int
push_zonemd(rrlist_t *l, uint32_t serial, bool good)
{
	uint8_t rd[6 + ZONEMD_DIGEST_MAX];
	size_t dlen = 48;
	memset(rd, 0, sizeof(rd));
	wire_set_u32(rd, serial);
	rd[4] = ZONEMD_SCHEME_SIMPLE;
	rd[5] = ZONEMD_HASH_SHA384;
	if (good) {
		/* Build the version the secondary will build (the apex ZONEMD does not enter the digest). */
		zone_builder_t *b = zone_builder_new(g.origin);
		if (b == NULL)
			return FL_ENOMEM;
		for (size_t i = 0; i < l->n; i++) {
			const rr_t *r = &l->v[i];
			int ret = zone_builder_add(b, r->owner, dname_len(r->owner), r->type, RR_CLASS_IN, r->ttl, r->rd,
						   r->rdlen, 0);
			if (ret != 0) {
				zone_builder_abort(b);
				return ret;
			}
		}
		zone_t *z = NULL;
		zone_error_t *e = malloc(sizeof(*e));
		if (e == NULL) {
			zone_builder_abort(b);
			return FL_ENOMEM;
		}
		int ret = zone_builder_finish(b, &z, e);
		if (ret != 0) {
			logf_("zonemd-good: the zone does not build: %s", e->msg);
			free(e);
			return ret;
		}
		free(e);
		ret = zonemd_digest(z, ZONEMD_SCHEME_SIMPLE, ZONEMD_HASH_SHA384, rd + 6, &dlen);
		zone_free(z);
		if (ret != 0)
			return ret;
	}
	return rr_push(l, g.origin, RR_ZONEMD, g.zone->soa->ttl, rd, (uint16_t)(6 + dlen));
}

/* The AXFR stream of the mode: SOA, records (+ the mode's extras), SOA. */
static int
build_axfr(rrlist_t *l, const setting_t *st)
{
	int r = push_soa(l, st->xfr_serial);
	if (r == 0)
		r = push_body(l);
	if (r != 0)
		return r;
	if (st->mode == M_OUTZONE) {
		/* Into the 2nd message: after the records of the 1st. */
		static const uint8_t a[4] = { 192, 0, 2, 66 };
		uint8_t owner[DNAME_MAXLEN];
		int ol = dname_from_str("evil.example.org.", 17, NULL, owner);
		if (ol > 0 && dname_is_sub(owner, (size_t)ol, g.origin, dname_len(g.origin)))
			ol = dname_from_str("evil.invalid.", 13, NULL, owner); /* the zone is example.org or above */
		if (ol < 0)
			return FL_EINVAL;
		if ((r = rr_push(l, owner, RR_A, 300, a, 4)) != 0)
			return r;
		size_t at = g.per_msg < l->n ? g.per_msg : l->n - 1;
		rr_t t = l->v[l->n - 1];
		memmove(&l->v[at + 1], &l->v[at], (l->n - 1 - at) * sizeof(rr_t));
		l->v[at] = t;
	}
	if (st->mode == M_UNSIGNED99 || st->mode == M_UNSIGNED100) {
		/* One RR per message: 1 signed + N unsigned + a last one, SOAs included. */
		size_t need = (st->mode == M_UNSIGNED99 ? 99 : 100) + 2;
		for (unsigned i = 0; l->n + 1 < need; i++) {
			char name[32];
			static const uint8_t txt[] = "\006filler";
			snprintf(name, sizeof(name), "fill-%03u", i);
			if ((r = push_named(l, name, RR_TXT, 300, txt, 7)) != 0)
				return r;
		}
	}
	if (st->mode == M_ZONEMD_BAD || st->mode == M_ZONEMD_GOOD)
		if ((r = push_zonemd(l, st->xfr_serial, st->mode == M_ZONEMD_GOOD)) != 0)
			return r;
	return push_soa(l, st->mode == M_SOA_MISMATCH ? st->xfr_serial + 1 : st->xfr_serial);
}

/* RFC 1995 incremental answer from `from` to the served serial, whose
 * deletion names a record nobody has. */
static int
build_ixfr_mismatch(rrlist_t *l, const setting_t *st, uint32_t from)
{
	static const uint8_t gone[4] = { 192, 0, 2, 99 }, added[4] = { 192, 0, 2, 100 };
	int r = push_soa(l, st->xfr_serial);
	if (r == 0)
		r = push_soa(l, from);
	if (r == 0)
		r = push_named(l, "no-such-record", RR_A, 300, gone, 4);
	if (r == 0)
		r = push_soa(l, st->xfr_serial);
	if (r == 0)
		r = push_named(l, "added", RR_A, 300, added, 4);
	if (r == 0)
		r = push_soa(l, st->xfr_serial);
	return r;
}

/* ---- messages ---- */

/* Header (ID, QR AA, rcode) and the question echoed. */
static size_t
msg_head(uint8_t *m, uint16_t id, const uint8_t *qname, uint16_t qtype, unsigned rcode)
{
	memset(m, 0, PKT_HDRLEN);
	wire_set_u16(m, id);
	wire_set_u16(m + 2, (uint16_t)(PKT_QR | PKT_AA | (rcode & 0xF)));
	size_t len = PKT_HDRLEN;
	if (qname != NULL) {
		wire_set_u16(m + 4, 1);
		size_t ql = dname_len(qname);
		memcpy(m + len, qname, ql);
		len += ql;
		wire_set_u16(m + len, qtype);
		wire_set_u16(m + len + 2, RR_CLASS_IN);
		len += 4;
	}
	return len;
}

/* Append one RR to ANSWER (names uncompressed). */
static int
msg_rr(uint8_t *m, size_t *len, size_t cap, const rr_t *r)
{
	wire_t w;
	wire_init(&w, m + *len, cap - *len);
	wire_put_bytes(&w, r->owner, dname_len(r->owner));
	wire_put_u16(&w, r->type);
	wire_put_u16(&w, RR_CLASS_IN);
	wire_put_u32(&w, r->ttl);
	wire_put_u16(&w, r->rdlen);
	wire_put_bytes(&w, r->rd, r->rdlen);
	if (w.err != 0)
		return FL_ESPACE;
	*len += wire_off(&w);
	wire_set_u16(m + 6, (uint16_t)(wire_u16(m + 6) + 1));
	return 0;
}

static int
send_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Length-prefixed over TCP, or one datagram. */
static int
send_msg(int fd, bool tcp, const struct sockaddr *peer, socklen_t plen, const uint8_t *m, size_t len)
{
	if (!tcp)
		return sendto(fd, m, len, 0, peer, plen) == (ssize_t)len ? 0 : -errno;
	uint8_t lp[2];
	wire_set_u16(lp, (uint16_t)len);
	int r = send_all(fd, lp, 2);
	return r == 0 ? send_all(fd, m, len) : r;
}

/*
 * Sign a transfer message that follows `pend` octets of unsigned messages
 * (kept in g.cat, the message itself right after them). RFC 8945 §5.3.1:
 * the MAC covers the prior MAC, the unsigned messages as sent, this message
 * and the timers. tsig_sign_response() digests the prior MAC, then the
 * buffer it is given (ID replaced by the Original ID: every message of the
 * stream carries the request's ID, so the first unsigned header is
 * unchanged), then the timers; so handing it the concatenation gives
 * exactly that digest. It bumps ARCOUNT at the start of the buffer: that
 * is moved to this message's header afterwards.
 */
static int
sign_after(tsig_ctx_t *ctx, size_t pend, size_t *mlen, uint64_t when)
{
	size_t len = pend + *mlen;
	int r = tsig_sign_response(ctx, g.cat, &len, MSG_CAP + pend, when);
	if (r != 0)
		return r;
	if (pend > 0) {
		wire_set_u16(g.cat + 10, (uint16_t)(wire_u16(g.cat + 10) - 1));
		wire_set_u16(g.cat + pend + 10, (uint16_t)(wire_u16(g.cat + pend + 10) + 1));
	}
	*mlen = len - pend;
	return 0;
}

static void
park(int fd)
{
	if (g.nparked < MAX_PARKED)
		g.parked[g.nparked++] = fd;
	else
		close(fd);
}

static void
unpark_all(void)
{
	for (size_t i = 0; i < g.nparked; i++)
		close(g.parked[i]);
	g.nparked = 0;
}

/*
 * Send a transfer stream as the mode says. Returns 0 when the connection
 * stays usable, 1 when it was closed or parked (the caller forgets fd).
 */
static int
send_stream(int fd, const pkt_query_t *q, tsig_ctx_t *ctx, bool tsig_on, const rrlist_t *l, mode_t_ mode,
	    char *what, size_t wlen)
{
	bool one_per_msg = mode == M_UNSIGNED99 || mode == M_UNSIGNED100;
	size_t nunsigned = mode == M_UNSIGNED99 ? 99 : 100;
	/* Message boundaries. */
	size_t nmsg = one_per_msg ? nunsigned + 2 : (l->n + g.per_msg - 1) / g.per_msg;
	if (nmsg == 0)
		nmsg = 1;
	size_t stop_after = nmsg;
	if (mode == M_CUT || mode == M_STALL)
		stop_after = nmsg / 2 > 0 ? nmsg / 2 : 1;
	size_t ri = 0, pend = 0, sent = 0, rrs = 0, nsig = 0;
	for (size_t mi = 0; mi < stop_after; mi++) {
		size_t take = one_per_msg ? (mi + 1 < nmsg ? 1 : l->n - ri) : g.per_msg;
		uint8_t *m = g.cat + pend;
		size_t len = msg_head(m, q->id, q->qname, q->qtype, RCODE_NOERROR);
		size_t in_msg = 0;
		for (size_t k = 0; k < take && ri < l->n; k++, ri++, in_msg++) {
			if (msg_rr(m, &len, MSG_CAP - 200, &l->v[ri]) != 0) {
				snprintf(what, wlen, "message %zu too large", mi + 1);
				return 0;
			}
		}
		bool last = mi + 1 == nmsg;
		bool sign = tsig_on;
		if (mode == M_NOSIG)
			sign = false;
		else if (mode == M_LASTUNSIGNED && last)
			sign = false;
		else if (one_per_msg && mi != 0 && !last)
			sign = false;
		if (sign) {
			int r = sign_after(ctx, pend, &len, mode == M_BADTIME ? now_s() - 3600 : now_s());
			if (r != 0) {
				snprintf(what, wlen, "signing message %zu: %s", mi + 1, fl_strerror(r));
				return 0;
			}
			nsig++;
			/* The TSIG RR ends with MAC, Original ID, Error, Other Len (0): flip the MAC's last octet. */
			if (mode == M_BADMAC && mi == 1)
				m[len - 7] ^= 0x5a;
			memmove(g.cat, m, len);
			m = g.cat;
			pend = 0;
		} else {
			pend += len;
		}
		if (mode == M_BADID && mi == 1)
			wire_set_u16(m, (uint16_t)(q->id ^ 0x5555));
		if (send_msg(fd, true, NULL, 0, m, len) != 0) {
			snprintf(what, wlen, "%zu of %zu messages sent (%zu RRs, %zu signed), then: %s", sent, nmsg, rrs,
				 nsig, strerror(errno));
			close(fd);
			return 1;
		}
		sent++;
		rrs += in_msg;
		if (pend > MSG_CAP * 3) /* never with the modes above; keeps g.cat in bounds */
			pend = 0;
	}
	snprintf(what, wlen, "%zu of %zu messages sent (%zu RRs, %zu signed)%s", sent, nmsg, rrs, nsig,
		 mode == M_CUT ? ", connection closed" : mode == M_STALL ? ", connection left open and silent" : "");
	if (mode == M_CUT) {
		close(fd);
		return 1;
	}
	if (mode == M_STALL) {
		park(fd);
		return 1;
	}
	return 0;
}

/* The serial of the SOA in the AUTHORITY section of an IXFR request. */
static bool
ixfr_client_serial(const uint8_t *m, size_t len, const pkt_query_t *q, uint32_t *serial)
{
	if (q->nscount < 1)
		return false;
	size_t pos = q->question_end;
	for (uint16_t i = 0; i < q->ancount; i++)
		if (pkt_skip_rr(m, len, &pos) != 0)
			return false;
	uint8_t n[DNAME_MAXLEN];
	if (dname_unpack(m, len, &pos, n, true) < 0 || len - pos < 10 || wire_u16(m + pos) != RR_SOA)
		return false;
	size_t end = pos + 10 + wire_u16(m + pos + 8);
	pos += 10;
	if (end > len || dname_unpack(m, end, &pos, n, false) < 0 || dname_unpack(m, end, &pos, n, false) < 0 ||
	    end - pos < 20)
		return false;
	*serial = wire_u32(m + pos);
	return true;
}

static const char *
qtype_str(uint16_t t)
{
	static char buf[16];
	switch (t) {
	case RR_SOA: return "SOA";
	case RR_AXFR: return "AXFR";
	case RR_IXFR: return "IXFR";
	default: snprintf(buf, sizeof(buf), "TYPE%u", t); return buf;
	}
}

/* Answer a header-and-question-only response (error or refusal), signed when the request verified. */
static int
answer_rcode(int fd, bool tcp, const struct sockaddr *peer, socklen_t plen, const pkt_query_t *q, tsig_ctx_t *ctx,
	     unsigned rcode)
{
	size_t len = msg_head(g.buf, q->id, q->has_question ? q->qname : NULL, q->qtype, rcode);
	if (tsig_sign_response(ctx, g.buf, &len, MSG_CAP, now_s()) != 0)
		return -1;
	return send_msg(fd, tcp, peer, plen, g.buf, len);
}

/*
 * One request. Returns 0 when a TCP connection stays usable, 1 when it was
 * closed or parked here.
 */
static int
handle(int fd, bool tcp, const struct sockaddr *peer, socklen_t plen, const uint8_t *m, size_t len)
{
	pkt_query_t q;
	tsig_ctx_t ctx;
	char from[80], what[300] = "", tsigs[64] = "unsigned";
	int ret = 0;
	tsig_ctx_init(&ctx);
	{
		char ip[INET_ADDRSTRLEN] = "?";
		const struct sockaddr_in *sin = (const struct sockaddr_in *)peer;
		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
		snprintf(from, sizeof(from), "%s@%u", ip, ntohs(sin->sin_port));
	}
	int pr = pkt_parse_query(m, len, &q);
	if (pr == PKT_PARSE_DROP)
		return 0;
	setting_t st = setting_now();
	const char *proto = tcp ? "TCP" : "UDP";
	char zname[1024] = "?";
	if (q.has_question)
		dname_to_str(q.qname, zname, sizeof(zname));
	/* Always: it sets ctx up for tsig_sign_response() (TSIG_NONE when unsigned). */
	int tr = tsig_verify_request(g.kr, m, len, now_s(), &ctx);
	if (tr != TSIG_NONE) {
		snprintf(tsigs, sizeof(tsigs), "TSIG %s", tsig_result_str(tr));
		if (tr != TSIG_OK) {
			answer_rcode(fd, tcp, peer, plen, &q, &ctx, (unsigned)tsig_result_rcode(tr));
			logf_("%s %s %s from %s: %s: answered rcode %d", proto, qtype_str(q.qtype), zname, from, tsigs,
			      tsig_result_rcode(tr));
			goto out;
		}
	}
	if (pr != PKT_PARSE_OK) {
		answer_rcode(fd, tcp, peer, plen, &q, &ctx, (unsigned)pr);
		logf_("%s opcode %u from %s (%s): answered rcode %d", proto, q.opcode, from, tsigs, pr);
		goto out;
	}
	if (!dname_eq(q.qname, g.origin) || q.qclass != RR_CLASS_IN) {
		answer_rcode(fd, tcp, peer, plen, &q, &ctx, RCODE_NOTAUTH);
		logf_("%s %s %s from %s (%s): not our zone, NOTAUTH", proto, qtype_str(q.qtype), zname, from, tsigs);
		goto out;
	}
	if (q.qtype == RR_SOA) {
		rrlist_t l = { 0 };
		if (push_soa(&l, st.serial) == 0) {
			size_t alen = msg_head(g.buf, q.id, q.qname, q.qtype, RCODE_NOERROR);
			msg_rr(g.buf, &alen, MSG_CAP - 200, &l.v[0]);
			tsig_sign_response(&ctx, g.buf, &alen, MSG_CAP, now_s());
			send_msg(fd, tcp, peer, plen, g.buf, alen);
		}
		rr_free(&l);
		logf_("%s SOA %s from %s (%s): mode %s, serial %u", proto, zname, from, tsigs, mode_names[st.mode],
		      st.serial);
		goto out;
	}
	if (q.qtype != RR_AXFR && q.qtype != RR_IXFR) {
		answer_rcode(fd, tcp, peer, plen, &q, &ctx, RCODE_REFUSED);
		logf_("%s %s %s from %s (%s): REFUSED", proto, qtype_str(q.qtype), zname, from, tsigs);
		goto out;
	}
	if (!tcp || (g.key != NULL && tr != TSIG_OK) || st.mode == M_REFUSE) {
		answer_rcode(fd, tcp, peer, plen, &q, &ctx, RCODE_REFUSED);
		logf_("%s %s %s from %s (%s): REFUSED (%s)", proto, qtype_str(q.qtype), zname, from, tsigs,
		      !tcp ? "UDP" : st.mode == M_REFUSE ? "mode refuse" : "unsigned request");
		goto out;
	}
	uint32_t cs = 0;
	bool have_cs = q.qtype == RR_IXFR && ixfr_client_serial(m, len, &q, &cs);
	rrlist_t l = { 0 };
	int r;
	const char *style;
	if (have_cs && !serial_newer(st.xfr_serial, cs)) {
		r = push_soa(&l, st.xfr_serial);
		style = "up to date: single SOA";
	} else if (have_cs && st.mode == M_IXFR_MISMATCH) {
		r = build_ixfr_mismatch(&l, &st, cs);
		style = "incremental, deleting a record that does not exist";
	} else {
		r = build_axfr(&l, &st);
		style = q.qtype == RR_IXFR ? "AXFR-style" : "full";
	}
	if (r != 0) {
		answer_rcode(fd, tcp, peer, plen, &q, &ctx, RCODE_SERVFAIL);
		logf_("%s %s %s from %s (%s): cannot build the stream (%s): SERVFAIL", proto, qtype_str(q.qtype), zname,
		      from, tsigs, fl_strerror(r));
		rr_free(&l);
		goto out;
	}
	ret = send_stream(fd, &q, &ctx, tr == TSIG_OK, &l, st.mode, what, sizeof(what));
	char csb[32] = "";
	if (have_cs)
		snprintf(csb, sizeof(csb), " (theirs %u)", cs);
	logf_("%s %s %s from %s (%s): mode %s, serial %u%s, %s: %s", proto, qtype_str(q.qtype), zname, from, tsigs,
	      mode_names[st.mode], st.xfr_serial, csb, style, what);
	rr_free(&l);
out:
	tsig_ctx_clear(&ctx);
	return ret;
}

/* Read one length-prefixed message within the idle time: 1 got one, 0 EOF/timeout/error. */
static int
tcp_read_msg(int fd, uint8_t *buf, size_t *len)
{
	size_t need = 2, got = 0;
	bool have_len = false;
	while (got < need) {
		struct pollfd p = { fd, POLLIN, 0 };
		int pr = poll(&p, 1, TCP_IDLE_MS);
		if (pr < 0 && errno == EINTR) {
			if (stop_flag)
				return 0;
			continue;
		}
		if (pr <= 0)
			return 0;
		ssize_t n = recv(fd, buf + got, need - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		got += (size_t)n;
		if (!have_len && got == 2) {
			have_len = true;
			need = 2u + wire_u16(buf);
		}
	}
	*len = need - 2;
	return 1;
}

static void
serve_tcp(int lfd)
{
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	int fd = accept(lfd, (struct sockaddr *)&peer, &plen);
	if (fd < 0)
		return;
	struct timeval tv = { 3, 0 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	uint8_t *rb = malloc(2 + 65535);
	if (rb == NULL) {
		close(fd);
		return;
	}
	size_t len;
	/* Several requests per connection (the SOA query, then the transfer). */
	while (!stop_flag && tcp_read_msg(fd, rb, &len) == 1) {
		if (handle(fd, true, (struct sockaddr *)&peer, plen, rb + 2, len) != 0) {
			fd = -1;
			break;
		}
	}
	if (fd >= 0)
		close(fd);
	free(rb);
}

/* ---- NOTIFY out ---- */

static void
notify_send(const char *why)
{
	if (!g.notify_on)
		return;
	setting_t st = setting_now();
	rrlist_t l = { 0 };
	if (push_soa(&l, st.serial) != 0) {
		rr_free(&l);
		return;
	}
	uint16_t id;
	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		id = (uint16_t)rand();
	size_t len = msg_head(g.buf, id, g.origin, RR_SOA, 0);
	wire_set_u16(g.buf + 2, (uint16_t)(OPCODE_NOTIFY << 11 | PKT_AA));
	msg_rr(g.buf, &len, MSG_CAP - 200, &l.v[0]);
	rr_free(&l);
	tsig_ctx_clear(&g.notify_ctx);
	if (g.key != NULL && tsig_sign_request(g.key, g.buf, &len, MSG_CAP, now_s(), 0, &g.notify_ctx) != 0) {
		logf_("NOTIFY: cannot sign");
		return;
	}
	g.notify_id = id;
	g.notify_pending = true;
	char ip[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &g.notify_to.sin_addr, ip, sizeof(ip));
	if (sendto(g.notify_fd, g.buf, len, 0, (struct sockaddr *)&g.notify_to, sizeof(g.notify_to)) != (ssize_t)len)
		logf_("NOTIFY to %s@%u: %s", ip, ntohs(g.notify_to.sin_port), strerror(errno));
	else
		logf_("NOTIFY %s serial %u (%s) sent to %s@%u, id %u%s", g.origin_str, st.serial, why, ip,
		      ntohs(g.notify_to.sin_port), id, g.key != NULL ? ", signed" : "");
}

static void
notify_answer(void)
{
	uint8_t m[4096];
	ssize_t n = recv(g.notify_fd, m, sizeof(m), 0);
	if (n < 12 || !g.notify_pending || wire_u16(m) != g.notify_id)
		return;
	g.notify_pending = false;
	const char *ts = "unsigned";
	if (g.key != NULL) {
		int tr = tsig_verify_response(&g.notify_ctx, m, (size_t)n, now_s());
		if (tr == TSIG_OK)
			tr = tsig_verify_end(&g.notify_ctx);
		ts = tsig_result_str(tr);
	}
	logf_("NOTIFY answer: rcode %u, TSIG %s", m[3] & 0xF, ts);
}

/* The mode file changed since last time? */
static bool
mode_changed(void)
{
	char text[256] = "";
	if (g.mode_file == NULL)
		return false;
	FILE *f = fopen(g.mode_file, "r");
	if (f != NULL) {
		size_t n = fread(text, 1, sizeof(text) - 1, f);
		text[n] = '\0';
		fclose(f);
	}
	if (strcmp(text, g.mode_text) == 0)
		return false;
	memcpy(g.mode_text, text, sizeof(text));
	return true;
}

/* ---- set-up ---- */

static int
listen_on(int type, uint16_t port)
{
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0), one = 1;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || (type == SOCK_STREAM && listen(fd, 16) != 0)) {
		fprintf(stderr, "fakeprimary: 127.0.0.1@%u: %s\n", port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void
usage(void)
{
	fprintf(stderr, "usage: fakeprimary --port P --zone ORIGIN --file ZONEFILE [--key KEYFILE] [--serial N]\n"
			"                   [--mode MODE] [--mode-file PATH] [--per-msg N] [--notify ADDR@PORT]\n"
			"modes:");
	for (int i = 0; mode_names[i] != NULL; i++)
		fprintf(stderr, " %s", mode_names[i]);
	fprintf(stderr, "\n");
}

/* The first key of the file (for NOTIFY): the keyring has no iterator, so read its name here. */
static const tsig_key_t *
first_key(const char *path)
{
	char text[4096] = "", name[300];
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	const char *p = strstr(text, "key");
	if (p == NULL || sscanf(p, "key \"%255[^\"]\"", name) != 1)
		return NULL;
	uint8_t wire[DNAME_MAXLEN];
	if (dname_from_str(name, strlen(name), (const uint8_t *)"", wire) < 0)
		return NULL;
	return tsig_keyring_find(g.kr, wire);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },   { "zone", required_argument, NULL, 'z' },
		{ "file", required_argument, NULL, 'f' },   { "key", required_argument, NULL, 'k' },
		{ "serial", required_argument, NULL, 's' }, { "mode", required_argument, NULL, 'm' },
		{ "mode-file", required_argument, NULL, 'M' }, { "per-msg", required_argument, NULL, 'n' },
		{ "notify", required_argument, NULL, 'N' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *zone = NULL, *file = NULL, *keyfile = NULL, *notify = NULL;
	long port = 0;
	bool have_serial = false;
	int c, rc = 1, ufd = -1, tfd = -1;
	g.per_msg = 3;
	g.notify_fd = -1;
	g.def.mode = M_GOOD;
	while ((c = getopt_long(argc, argv, "p:z:f:k:s:m:M:n:N:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': port = strtol(optarg, NULL, 10); break;
		case 'z': zone = optarg; break;
		case 'f': file = optarg; break;
		case 'k': keyfile = optarg; break;
		case 's': g.def.serial = (uint32_t)strtoul(optarg, NULL, 10); have_serial = true; break;
		case 'm':
			if (mode_from_str(optarg, &g.def.mode) != 0) {
				usage();
				return 2;
			}
			break;
		case 'M': g.mode_file = optarg; break;
		case 'n': g.per_msg = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'N': notify = optarg; break;
		default: usage(); return 2;
		}
	}
	if (port <= 0 || port > 65535 || zone == NULL || file == NULL || g.per_msg < 1 || g.per_msg > 1000) {
		usage();
		return 2;
	}
	if (dname_from_str(zone, strlen(zone), (const uint8_t *)"", g.origin) < 0) {
		fprintf(stderr, "fakeprimary: bad zone name %s\n", zone);
		return 2;
	}
	dname_to_str(g.origin, g.origin_str, sizeof(g.origin_str));
	if (notify != NULL) {
		const char *at = strchr(notify, '@');
		char ip[64];
		if (at == NULL || (size_t)(at - notify) >= sizeof(ip)) {
			fprintf(stderr, "fakeprimary: --notify wants ADDR@PORT\n");
			return 2;
		}
		memcpy(ip, notify, (size_t)(at - notify));
		ip[at - notify] = '\0';
		g.notify_to.sin_family = AF_INET;
		g.notify_to.sin_port = htons((uint16_t)atoi(at + 1));
		if (inet_pton(AF_INET, ip, &g.notify_to.sin_addr) != 1) {
			fprintf(stderr, "fakeprimary: --notify: bad IPv4 address %s\n", ip);
			return 2;
		}
		g.notify_on = true;
	}

	zonefile_error_t zerr;
	int r = zonefile_load(file, g.origin, NULL, &g.zone, &zerr);
	if (r != 0) {
		fprintf(stderr, "fakeprimary: %s:%u: %s\n", zerr.file, zerr.line, zerr.msg);
		return 2;
	}
	if (!have_serial)
		g.def.serial = g.zone->serial;
	g.def.xfr_serial = g.def.serial;
	g.kr = tsig_keyring_new();
	g.buf = malloc(MSG_CAP);
	g.cat = malloc(MSG_CAP * 4 + 4096);
	if (g.kr == NULL || g.buf == NULL || g.cat == NULL)
		goto out;
	if (keyfile != NULL) {
		char err[600];
		if (tsig_keyring_load_file(g.kr, keyfile, err, sizeof(err)) != 0) {
			fprintf(stderr, "fakeprimary: %s\n", err);
			goto out;
		}
		g.key = first_key(keyfile);
		if (g.key == NULL) {
			fprintf(stderr, "fakeprimary: %s: cannot find the name of its first key\n", keyfile);
			goto out;
		}
	}
	tsig_ctx_init(&g.notify_ctx);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	ufd = listen_on(SOCK_DGRAM, (uint16_t)port);
	tfd = listen_on(SOCK_STREAM, (uint16_t)port);
	if (ufd < 0 || tfd < 0)
		goto out;
	if (g.notify_on) {
		g.notify_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in src = { .sin_family = AF_INET };
		inet_pton(AF_INET, "127.0.0.1", &src.sin_addr);
		if (g.notify_fd < 0 || bind(g.notify_fd, (struct sockaddr *)&src, sizeof(src)) != 0) {
			perror("fakeprimary: notify socket");
			goto out;
		}
	}
	mode_changed(); /* the initial content is no change */
	logf_("ready on 127.0.0.1@%ld, zone %s, %llu records, mode %s, serial %u%s", port, g.origin_str,
	      (unsigned long long)g.zone->nrecords, mode_names[setting_now().mode], setting_now().serial,
	      g.key != NULL ? ", TSIG on" : "");

	uint8_t *ub = malloc(65535);
	if (ub == NULL)
		goto out;
	while (!stop_flag) {
		struct pollfd p[3] = { { ufd, POLLIN, 0 }, { tfd, POLLIN, 0 }, { g.notify_fd, POLLIN, 0 } };
		int pr = poll(p, g.notify_on ? 3 : 2, 100);
		if (stop_flag)
			break;
		if (mode_changed()) {
			char line[256];
			snprintf(line, sizeof(line), "%s", g.mode_text);
			line[strcspn(line, "\n")] = '\0';
			logf_("mode file now: %s", line[0] ? line : "(empty)");
			unpark_all();
			notify_send("mode change");
		}
		if (usr1_flag) {
			usr1_flag = 0;
			notify_send("SIGUSR1");
		}
		if (pr <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			struct sockaddr_in peer;
			socklen_t plen = sizeof(peer);
			ssize_t n = recvfrom(ufd, ub, 65535, 0, (struct sockaddr *)&peer, &plen);
			if (n > 0)
				handle(ufd, false, (struct sockaddr *)&peer, plen, ub, (size_t)n);
		}
		if (p[1].revents & POLLIN)
			serve_tcp(tfd);
		if (g.notify_on && (p[2].revents & POLLIN))
			notify_answer();
	}
	free(ub);
	logf_("stopped");
	rc = 0;
out:
	unpark_all();
	if (ufd >= 0)
		close(ufd);
	if (tfd >= 0)
		close(tfd);
	if (g.notify_fd >= 0)
		close(g.notify_fd);
	tsig_ctx_clear(&g.notify_ctx);
	tsig_keyring_free(g.kr);
	zone_free(g.zone);
	free(g.buf);
	free(g.cat);
	return rc;
}
