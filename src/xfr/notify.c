/* SPDX-License-Identifier: MIT */
/** \file NOTIFY out, RFC 1996 (see notify.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dns/dname.h"
#include "dns/msg.h"
#include "dns/pkt.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "util/err.h"
#include "util/grow.h"
#include "util/log.h"
#include "xfr/notify.h"

/* Two names of at most 255 octets and five 32-bit fields (RFC 1035 §3.3.13). */
#define NOTIFY_SOA_MAX (2 * DNAME_MAXLEN + 20)
/* Datagrams read per wake-up, so one busy socket cannot starve the loop. */
#define NOTIFY_RX_BATCH 64

/** One exchange: a NOTIFY of one zone to one target. */
typedef struct {
	bool busy;
	uint32_t serial;   /* serial in flight */
	uint16_t id;
	unsigned tries;    /* datagrams sent so far */
	uint64_t first_us; /* first try */
	uint64_t next_us;  /* next try, or the end of the wait after the last one */
	tsig_ctx_t tsig;   /* verifies the response of a signed request */
	unsigned ki;       /* index of the key in use in the target's list */
	const tsig_key_t *key; /* that key, held (tsig_key_hold) until the end */
	uint8_t *msg;      /* the request, resent as is (malloc while busy) */
	size_t len;
} notify_slot_t;

/** A zone we have notified about: its newest SOA and one slot per target. */
typedef struct {
	uint8_t origin[DNAME_MAXLEN];
	uint32_t serial;   /* newest published serial */
	uint32_t soa_ttl;
	uint16_t soa_len;
	uint8_t soa[NOTIFY_SOA_MAX];
	notify_slot_t *slots;
} notify_zone_t;

struct notify {
	notify_target_t *targets;
	size_t ntargets;
	unsigned tries;
	unsigned timeout_ms;
	notify_send_fn send;
	void *send_ctx;
	notify_outcome_fn outcome;
	void *outcome_ctx;
	/* Sorted by origin (canonical order) for a binary search: a full
	 * reload may report every zone. Entries live as long as notify_t. */
	notify_zone_t **zones;
	size_t nzones, capzones;
	size_t busy;
	/* libevent side (notify_start) */
	struct event_base *base;
	int fd4, fd6;
	struct event *ev4, *ev6, *timer;
};

static void notify_on_read(evutil_socket_t fd, short what, void *arg);
static int notify_socket(notify_t *n, int family, int *fd, struct event **ev);
static void notify_fanout(notify_t *n, notify_zone_t *z, uint64_t now_us);
static void notify_schedule(notify_t *n, uint64_t next_us, uint64_t now_us);
static uint64_t notify_next_deadline(const notify_t *n);
static void notify_on_timer(evutil_socket_t fd, short what, void *arg);
static void notify_start_exchange(notify_t *n, notify_zone_t *z, size_t ti, unsigned ki, uint64_t now_us);

static uint64_t
notify_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t
notify_backoff_us(unsigned timeout_ms, unsigned try)
{
	/* Capped shift: a large tries setting must not overflow into a tiny gap. */
	unsigned shift = try > 0 ? try - 1 : 0;
	if (shift > 16)
		shift = 16;
	return (uint64_t)timeout_ms * 1000u << shift;
}

bool
notify_addr_eq(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)a, *y = (const struct sockaddr_in *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a, *y = (const struct sockaddr_in6 *)b;
		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return false;
}

int
notify_build(uint8_t *buf, size_t cap, size_t *len, uint16_t id, const uint8_t *origin, uint32_t soa_ttl,
	     const uint8_t *soa_rdata, uint16_t soa_len, const tsig_key_t *key, uint64_t now_s, tsig_ctx_t *ctx)
{
	wire_t w;
	size_t olen = dname_len(origin);

	wire_init(&w, buf, cap);
	wire_put_u16(&w, id);
	wire_put_u16(&w, (uint16_t)(OPCODE_NOTIFY << 11) | PKT_AA);
	wire_put_u16(&w, 1); /* QDCOUNT */
	wire_put_u16(&w, 1); /* ANCOUNT: the SOA hint, RFC 1996 §3.7 */
	wire_put_u16(&w, 0);
	wire_put_u16(&w, 0);
	wire_put_bytes(&w, origin, olen);
	wire_put_u16(&w, RR_SOA);
	wire_put_u16(&w, 1); /* IN */
	/* Uncompressed: the message is small and this keeps it trivially parseable. */
	wire_put_bytes(&w, origin, olen);
	wire_put_u16(&w, RR_SOA);
	wire_put_u16(&w, 1);
	wire_put_u32(&w, soa_ttl);
	wire_put_u16(&w, soa_len);
	wire_put_bytes(&w, soa_rdata, soa_len);
	if (w.err != 0)
		return w.err;
	*len = wire_off(&w);
	if (key == NULL)
		return 0;
	return tsig_sign_request(key, buf, len, cap, now_s, 0, ctx);
}

bool
notify_response_matches(const uint8_t *msg, size_t len, uint16_t id, const uint8_t *origin, int *rcode)
{
	wire_t w;
	uint8_t qname[DNAME_MAXLEN];

	wire_init_ro(&w, msg, len);
	uint16_t rid = wire_get_u16(&w);
	uint16_t flags = wire_get_u16(&w);
	uint16_t qd = wire_get_u16(&w);
	wire_skip(&w, 6);
	if (w.err != 0 || rid != id || !(flags & PKT_QR) || PKT_OPCODE(flags) != OPCODE_NOTIFY || qd != 1)
		return false;
	size_t pos = PKT_HDRLEN;
	if (dname_unpack(msg, len, &pos, qname, true) < 0)
		return false;
	wire_seek(&w, pos);
	uint16_t qtype = wire_get_u16(&w);
	uint16_t qclass = wire_get_u16(&w);
	if (w.err != 0 || qtype != RR_SOA || qclass != 1 || !dname_eq(qname, origin))
		return false;
	*rcode = PKT_RCODE(flags);
	return true;
}

/* ---- state ---- */

notify_t *
notify_new(const notify_opts_t *opts)
{
	if (opts->tries == 0)
		return NULL;
	notify_t *n = calloc(1, sizeof(*n));
	if (n == NULL)
		return NULL;
	n->fd4 = n->fd6 = -1;
	if (opts->ntargets > 0) {
		n->targets = malloc(opts->ntargets * sizeof(*n->targets));
		if (n->targets == NULL)
			goto fail;
		memcpy(n->targets, opts->targets, opts->ntargets * sizeof(*n->targets));
	}
	n->ntargets = opts->ntargets;
	n->tries = opts->tries;
	n->timeout_ms = opts->timeout_ms;
	n->send = opts->send;
	n->send_ctx = opts->send_ctx;
	n->outcome = opts->outcome;
	n->outcome_ctx = opts->outcome_ctx;
	return n;
fail:
	free(n);
	return NULL;
}

static void
notify_slot_clear(notify_slot_t *s)
{
	tsig_ctx_clear(&s->tsig);
	tsig_key_release(s->key);
	free(s->msg);
	memset(s, 0, sizeof(*s));
}

void
notify_free(notify_t *n)
{
	if (n == NULL)
		return;
	notify_stop(n);
	for (size_t i = 0; i < n->nzones; i++) {
		for (size_t t = 0; t < n->ntargets; t++)
			notify_slot_clear(&n->zones[i]->slots[t]);
		free(n->zones[i]->slots);
		free(n->zones[i]);
	}
	free(n->zones);
	free(n->targets);
	free(n);
}

size_t
notify_targets(const notify_t *n)
{
	return n->ntargets;
}

const notify_target_t *
notify_target_at(const notify_t *n, size_t i)
{
	return i < n->ntargets ? &n->targets[i] : NULL;
}

/* Same destinations for the same zones: only keys differ. */
static bool
notify_same_shape(const notify_t *n, const notify_target_t *t, size_t nt)
{
	if (nt != n->ntargets)
		return false;
	for (size_t i = 0; i < nt; i++)
		if (t[i].addrlen != n->targets[i].addrlen ||
		    !notify_addr_eq((const struct sockaddr *)&t[i].addr, (const struct sockaddr *)&n->targets[i].addr) ||
		    t[i].scoped != n->targets[i].scoped || (t[i].scoped && !dname_eq(t[i].zone, n->targets[i].zone)))
			return false;
	return true;
}

int
notify_reconfigure(notify_t *n, const notify_target_t *targets, size_t ntargets, uint64_t now_us)
{
	notify_target_t *copy = NULL;
	if (ntargets > 0 && (copy = malloc(ntargets * sizeof(*copy))) == NULL)
		return FL_ENOMEM;
	if (ntargets > 0)
		memcpy(copy, targets, ntargets * sizeof(*copy));
	if (notify_same_shape(n, targets, ntargets)) {
		/* Exchanges in flight hold their own key. */
		free(n->targets);
		n->targets = copy;
		return 0;
	}
	/* New slot arrays first, so a failure changes nothing. */
	notify_slot_t **slots = calloc(n->nzones + 1, sizeof(*slots));
	bool *pending = calloc(n->nzones + 1, sizeof(*pending));
	bool ok = slots != NULL && pending != NULL;
	for (size_t i = 0; ok && i < n->nzones; i++)
		ok = ntargets == 0 || (slots[i] = calloc(ntargets, sizeof(**slots))) != NULL;
	if (!ok) {
		for (size_t i = 0; slots != NULL && i < n->nzones; i++)
			free(slots[i]);
		free(slots);
		free(pending);
		free(copy);
		return FL_ENOMEM;
	}
	for (size_t i = 0; i < n->nzones; i++) {
		notify_zone_t *z = n->zones[i];
		for (size_t t = 0; t < n->ntargets; t++) {
			if (z->slots[t].busy) {
				pending[i] = true;
				n->busy--;
			}
			notify_slot_clear(&z->slots[t]);
		}
		free(z->slots);
		z->slots = slots[i];
	}
	free(n->targets);
	n->targets = copy;
	n->ntargets = ntargets;
	/* Sockets for an address family the old list did not use. */
	if (n->base != NULL)
		for (size_t i = 0; i < ntargets; i++) {
			int fam = copy[i].addr.ss_family;
			if (fam == AF_INET6 && n->fd6 < 0 && notify_socket(n, AF_INET6, &n->fd6, &n->ev6) != 0)
				log_error("notify: out of memory opening an IPv6 socket");
			if (fam != AF_INET6 && n->fd4 < 0 && notify_socket(n, AF_INET, &n->fd4, &n->ev4) != 0)
				log_error("notify: out of memory opening an IPv4 socket");
		}
	if (n->base != NULL && n->timer == NULL && (n->timer = evtimer_new(n->base, notify_on_timer, n)) == NULL)
		log_error("notify: out of memory creating the retransmission timer");
	/* Changes announced to the old list only: announce them to the new one. */
	for (size_t i = 0; i < n->nzones; i++)
		if (pending[i])
			notify_fanout(n, n->zones[i], now_us);
	free(slots);
	free(pending);
	notify_schedule(n, notify_next_deadline(n), now_us);
	return 0;
}

size_t
notify_in_flight(const notify_t *n)
{
	return n->busy;
}

/* Index of origin in n->zones, or where to insert it (*found false). */
static size_t
notify_zone_find(const notify_t *n, const uint8_t *origin, bool *found)
{
	size_t lo = 0, hi = n->nzones;
	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = dname_canon_cmp(n->zones[mid]->origin, origin);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static notify_zone_t *
notify_zone_get(notify_t *n, const uint8_t *origin)
{
	bool found;
	size_t at = notify_zone_find(n, origin, &found);
	if (found)
		return n->zones[at];
	if (fl_grow(&n->zones, &n->capzones, n->nzones, sizeof(*n->zones), 8) != 0)
		return NULL;
	notify_zone_t *z = calloc(1, sizeof(*z));
	if (z == NULL)
		return NULL;
	z->slots = calloc(n->ntargets, sizeof(*z->slots));
	if (z->slots == NULL) {
		free(z);
		return NULL;
	}
	memcpy(z->origin, origin, dname_len(origin));
	memmove(&n->zones[at + 1], &n->zones[at], (n->nzones - at) * sizeof(*n->zones));
	n->zones[at] = z;
	n->nzones++;
	return z;
}

static const char *
notify_rcode_str(int rcode)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
					     "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE" };
	if (rcode >= 0 && (size_t)rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	return "RCODE?";
}

static const char *
notify_tsig_str(int tr)
{
	switch (tr) {
	case TSIG_FORMERR: return "FORMERR";
	case TSIG_BADSIG: return "BADSIG";
	case TSIG_BADKEY: return "BADKEY";
	case TSIG_BADTIME: return "BADTIME";
	case TSIG_BADTRUNC: return "BADTRUNC";
	case TSIG_UNSIGNED: return "missing";
	default: return tsig_result_str(tr);
	}
}

/* "notify example.com. serial 12 to 198.51.100.2@53 key transfer-key" */
static void
notify_describe(const notify_zone_t *z, uint32_t serial, const notify_target_t *t, const tsig_key_t *key, char *out,
		size_t len)
{
	char zname[1024] = "?", kname[1024] = "";
	dname_to_str(z->origin, zname, sizeof(zname));
	if (key != NULL && dname_to_str(tsig_key_name(key), kname, sizeof(kname)) > 0) {
		size_t kl = strlen(kname);
		if (kl > 1 && kname[kl - 1] == '.')
			kname[kl - 1] = '\0'; /* key names are written without the dot in configs */
	}
	snprintf(out, len, "notify %s serial %u to %s%s%s", zname, serial, t->text, kname[0] ? " key " : "",
		 kname);
}

/* End an exchange: log, report, and start the next one if the zone moved on meanwhile. */
static void
notify_finish(notify_t *n, notify_zone_t *z, size_t ti, notify_outcome_t oc, int rcode, int tr, uint64_t now_us)
{
	notify_slot_t *s = &z->slots[ti];
	const notify_target_t *t = &n->targets[ti];
	char who[1400];
	uint64_t el = now_us > s->first_us ? now_us - s->first_us : 0;
	double ms = (double)el / 1e3;

	notify_describe(z, s->serial, t, s->key, who, sizeof(who));
	switch (oc) {
	case NOTIFY_ANSWERED:
		log_notice("%s: answered (%s) after %u tr%s, %.1f ms", who, notify_rcode_str(rcode), s->tries,
			   s->tries == 1 ? "y" : "ies", ms);
		break;
	case NOTIFY_REFUSED:
		if (tr != TSIG_OK && tr != TSIG_NONE)
			log_warning("%s: refused (%s, TSIG %s) after %u tr%s, %.1f ms", who, notify_rcode_str(rcode),
				    notify_tsig_str(tr), s->tries, s->tries == 1 ? "y" : "ies", ms);
		else
			log_warning("%s: refused (%s) after %u tr%s, %.1f ms", who, notify_rcode_str(rcode), s->tries,
				    s->tries == 1 ? "y" : "ies", ms);
		break;
	case NOTIFY_TIMEOUT:
		log_warning("%s: no answer after %u tr%s", who, s->tries, s->tries == 1 ? "y" : "ies");
		break;
	case NOTIFY_SENDFAIL:
		log_error("%s: cannot build the message (%s)", who, tsig_result_str(tr));
		break;
	}
	if (n->outcome != NULL) {
		notify_result_t r = { z->origin, s->serial, t, oc, s->tries, el, rcode, tr };
		n->outcome(n->outcome_ctx, &r);
	}
	uint32_t sent = s->serial;
	bool was_busy = s->busy;
	notify_slot_clear(s);
	if (was_busy)
		n->busy--;
	/* Coalesced changes: one more exchange, with the newest serial only.
	 * A build failure is not retried here, or it would loop. */
	if (z->serial != sent && oc != NOTIFY_SENDFAIL)
		notify_start_exchange(n, z, ti, 0, now_us);
}

static int
notify_transmit(notify_t *n, notify_slot_t *s, const notify_target_t *t, uint64_t now_us)
{
	int ret;
	s->tries++;
	s->next_us = now_us + notify_backoff_us(n->timeout_ms, s->tries);
	if (n->send != NULL) {
		ret = n->send(n->send_ctx, t, s->msg, s->len);
	} else {
		int fd = t->addr.ss_family == AF_INET6 ? n->fd6 : n->fd4;
		ret = fd < 0 ? FL_EINVAL : 0;
		if (fd >= 0 && sendto(fd, s->msg, s->len, 0, (const struct sockaddr *)&t->addr, t->addrlen) < 0)
			ret = -errno;
	}
	/* A lost send is a lost datagram: the next try comes on schedule. */
	if (ret != 0)
		log_info("notify to %s: send failed (try %u): %s", t->text, s->tries, fl_strerror(ret));
	return ret;
}

static uint16_t
notify_random_id(void)
{
	uint16_t id;
	/* An unpredictable ID makes an off-path forged response harder (RFC 5452 spirit). */
	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != (ssize_t)sizeof(id))
		id = (uint16_t)(notify_now_us() * 2654435761u >> 7);
	return id;
}

static void
notify_start_exchange(notify_t *n, notify_zone_t *z, size_t ti, unsigned ki, uint64_t now_us)
{
	notify_slot_t *s = &z->slots[ti];
	const notify_target_t *t = &n->targets[ti];

	s->serial = z->serial;
	s->id = notify_random_id();
	s->first_us = now_us;
	s->tries = 0;
	s->ki = ki;
	/* A reload may replace the keyring meanwhile: the exchange keeps this key. */
	s->key = ki < t->nkeys ? t->key[ki] : NULL;
	tsig_key_hold(s->key);
	tsig_ctx_init(&s->tsig);
	s->msg = malloc(NOTIFY_MSG_MAX);
	int ret = s->msg == NULL ? FL_ENOMEM
				 : notify_build(s->msg, NOTIFY_MSG_MAX, &s->len, s->id, z->origin, z->soa_ttl, z->soa,
						z->soa_len, s->key, (uint64_t)time(NULL), &s->tsig);
	if (ret != 0) {
		notify_finish(n, z, ti, NOTIFY_SENDFAIL, -1, ret, now_us);
		return;
	}
	s->busy = true;
	n->busy++;
	notify_transmit(n, s, t, now_us);
}

/* Re-arm the timer for the earliest deadline (libevent side only). */
static void
notify_schedule(notify_t *n, uint64_t next_us, uint64_t now_us)
{
	if (n->timer == NULL)
		return;
	evtimer_del(n->timer);
	if (next_us == 0)
		return;
	uint64_t d = next_us > now_us ? next_us - now_us : 0;
	struct timeval tv = { (time_t)(d / 1000000u), (suseconds_t)(d % 1000000u) };
	if (evtimer_add(n->timer, &tv) != 0)
		log_error("notify: cannot arm the retransmission timer");
}

static uint64_t
notify_next_deadline(const notify_t *n)
{
	uint64_t next = 0;
	for (size_t i = 0; i < n->nzones && n->busy > 0; i++)
		for (size_t t = 0; t < n->ntargets; t++) {
			const notify_slot_t *s = &n->zones[i]->slots[t];
			if (s->busy && (next == 0 || s->next_us < next))
				next = s->next_us;
		}
	return next;
}

/* Start an exchange with z's newest serial to every target of z that has
 * none in flight (those follow up with it when they end). */
static void
notify_fanout(notify_t *n, notify_zone_t *z, uint64_t now_us)
{
	/* A zone with targets of its own notifies those; the others get the global ones. */
	bool own = false;
	for (size_t t = 0; t < n->ntargets; t++)
		if (n->targets[t].scoped && dname_eq(n->targets[t].zone, z->origin))
			own = true;
	for (size_t t = 0; t < n->ntargets; t++) {
		const notify_target_t *tg = &n->targets[t];
		if (own ? !(tg->scoped && dname_eq(tg->zone, z->origin)) : tg->scoped)
			continue;
		if (z->slots[t].busy) {
			char who[1400];
			notify_describe(z, z->slots[t].serial, tg, z->slots[t].key, who, sizeof(who));
			log_info("%s: in flight, serial %u will follow", who, z->serial);
			continue;
		}
		notify_start_exchange(n, z, t, 0, now_us);
	}
}

int
notify_zone_changed(notify_t *n, const zone_t *zone, uint64_t now_us)
{
	if (n->ntargets == 0 || zone->soa == NULL || zone->soa->count < 1)
		return 0;
	notify_zone_t *z = notify_zone_get(n, zone->origin);
	if (z == NULL) {
		char zname[1024] = "?";
		dname_to_str(zone->origin, zname, sizeof(zname));
		log_error("notify %s serial %u: out of memory, targets not notified", zname, zone->serial);
		return FL_ENOMEM;
	}
	const uint8_t *rd = zone->soa->rdata;
	uint16_t rdlen = msg_rd_len(rd);
	if (rdlen > sizeof(z->soa))
		return FL_EMALF; /* the zone builder validated it: cannot happen */
	z->serial = zone->serial;
	z->soa_ttl = zone->soa->ttl;
	z->soa_len = rdlen;
	memcpy(z->soa, msg_rd_data(rd), rdlen);
	notify_fanout(n, z, now_us);
	notify_schedule(n, notify_next_deadline(n), now_us);
	return 0;
}

uint64_t
notify_tick(notify_t *n, uint64_t now_us)
{
	for (size_t i = 0; i < n->nzones && n->busy > 0; i++) {
		notify_zone_t *z = n->zones[i];
		for (size_t t = 0; t < n->ntargets; t++) {
			notify_slot_t *s = &z->slots[t];
			if (!s->busy || s->next_us > now_us)
				continue;
			if (s->tries >= n->tries)
				notify_finish(n, z, t, NOTIFY_TIMEOUT, -1, TSIG_NONE, now_us);
			else
				notify_transmit(n, s, &n->targets[t], now_us);
		}
	}
	uint64_t next = notify_next_deadline(n);
	notify_schedule(n, next, now_us);
	return next;
}

/* The target does not know the key (BADKEY): the same NOTIFY again, once,
 * with its next key. A rotation in progress, not a failure. */
static void
notify_next_key(notify_t *n, notify_zone_t *z, size_t ti, uint64_t now_us)
{
	notify_slot_t *s = &z->slots[ti];
	const notify_target_t *t = &n->targets[ti];
	char who[1400], next[1024] = "?";
	unsigned ki = s->ki + 1;
	notify_describe(z, s->serial, t, s->key, who, sizeof(who));
	dname_to_str(tsig_key_name(t->key[ki]), next, sizeof(next));
	log_notice("%s: BADKEY (the target does not know this key): trying its next key %s", who, next);
	notify_slot_clear(s);
	n->busy--;
	notify_start_exchange(n, z, ti, ki, now_us); /* with the newest SOA */
	notify_schedule(n, notify_next_deadline(n), now_us);
}

notify_rx_t
notify_receive(notify_t *n, const uint8_t *msg, size_t len, const struct sockaddr *from, socklen_t fromlen,
	       uint64_t now_us)
{
	if (len < PKT_HDRLEN || n->busy == 0)
		return NOTIFY_RX_IGNORED;
	uint16_t id = wire_u16(msg);
	for (size_t i = 0; i < n->nzones; i++) {
		notify_zone_t *z = n->zones[i];
		for (size_t t = 0; t < n->ntargets; t++) {
			notify_slot_t *s = &z->slots[t];
			const notify_target_t *tg = &n->targets[t];
			int rcode = -1;
			if (!s->busy || s->id != id || fromlen < tg->addrlen ||
			    !notify_addr_eq(from, (const struct sockaddr *)&tg->addr) ||
			    !notify_response_matches(msg, len, id, z->origin, &rcode))
				continue;
			int tr = TSIG_NONE;
			if (s->key != NULL)
				tr = tsig_verify_response(&s->tsig, msg, len, (uint64_t)time(NULL));
			if (tr == TSIG_BADKEY && s->ki + 1 < tg->nkeys) {
				notify_next_key(n, z, t, now_us);
				return NOTIFY_RX_FAILED;
			}
			bool ok = rcode == RCODE_NOERROR && (s->key == NULL || tr == TSIG_OK);
			notify_finish(n, z, t, ok ? NOTIFY_ANSWERED : NOTIFY_REFUSED, rcode, tr, now_us);
			notify_schedule(n, notify_next_deadline(n), now_us);
			return ok ? NOTIFY_RX_ANSWERED : NOTIFY_RX_FAILED;
		}
	}
	return NOTIFY_RX_IGNORED;
}

/* ---- libevent side ---- */

static void
notify_on_read(evutil_socket_t fd, short what, void *arg)
{
	notify_t *n = arg;
	uint8_t buf[4096];
	for (int i = 0; i < NOTIFY_RX_BATCH; i++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t r = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (r < 0)
			return; /* EAGAIN, or an ICMP error reported on the socket: retries cover it */
		notify_receive(n, buf, (size_t)r, (struct sockaddr *)&from, fl, notify_now_us());
	}
}

static void
notify_on_timer(evutil_socket_t fd, short what, void *arg)
{
	notify_tick(arg, notify_now_us());
}

static int
notify_socket(notify_t *n, int family, int *fd, struct event **ev)
{
	*fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (*fd < 0) {
		log_error("notify: cannot open a UDP socket (%s): %s; NOTIFYs to %s targets will time out",
			  family == AF_INET6 ? "IPv6" : "IPv4", strerror(errno), family == AF_INET6 ? "IPv6" : "IPv4");
		return 0;
	}
	*ev = event_new(n->base, *fd, EV_READ | EV_PERSIST, notify_on_read, n);
	if (*ev == NULL || event_add(*ev, NULL) != 0)
		return FL_ENOMEM;
	return 0;
}

int
notify_start(notify_t *n, struct event_base *base)
{
	bool v4 = false, v6 = false;
	n->base = base;
	if (n->ntargets == 0)
		return 0;
	for (size_t i = 0; i < n->ntargets; i++) {
		if (n->targets[i].addr.ss_family == AF_INET6)
			v6 = true;
		else
			v4 = true;
	}
	n->timer = evtimer_new(base, notify_on_timer, n);
	if (n->timer == NULL)
		goto fail;
	if (v4 && notify_socket(n, AF_INET, &n->fd4, &n->ev4) != 0)
		goto fail;
	if (v6 && notify_socket(n, AF_INET6, &n->fd6, &n->ev6) != 0)
		goto fail;
	return 0;
fail:
	notify_stop(n);
	return FL_ENOMEM;
}

void
notify_stop(notify_t *n)
{
	if (n->busy > 0 && n->base != NULL)
		log_notice("notify: %zu NOTIFY exchange%s in flight dropped at shutdown", n->busy,
			   n->busy == 1 ? "" : "s");
	/* Reverse order of creation. */
	if (n->ev6 != NULL)
		event_free(n->ev6);
	if (n->fd6 >= 0)
		close(n->fd6);
	if (n->ev4 != NULL)
		event_free(n->ev4);
	if (n->fd4 >= 0)
		close(n->fd4);
	if (n->timer != NULL)
		event_free(n->timer);
	n->ev6 = n->ev4 = n->timer = NULL;
	n->fd4 = n->fd6 = -1;
	n->base = NULL;
}
