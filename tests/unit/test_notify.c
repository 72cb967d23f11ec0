/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Tests for src/xfr/notify.c without sockets or a clock: the message
 * (parsed back with ldns, TSIG verified with our server-side code), the
 * response matching (wrong ID, wrong source, not a response, wrong
 * question, bad TSIG), the retry schedule with time passed in, and the
 * coalescing of changes while a NOTIFY is in flight.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <time.h>

#include "dns/msg.h"
#include "dns/pkt.h"
#include "dns/wire.h"
#include "tsig/tsig.h"
#include "tu.h"
#include "xfr/notify.h"

static const uint8_t secret[] = "0123456789abcdef0123456789abcdef";

#define ZONE_TEXT(serial)                                                                          \
	"example.com. 300 IN SOA ns1.example.com. hostmaster.example.com. " serial " 3600 900 604800 300\n" \
	"example.com. 300 IN NS ns1.example.com.\n"                                                 \
	"ns1.example.com. 300 IN A 192.0.2.1\n"

/** What the fake transport saw. */
typedef struct {
	size_t nsent;
	uint8_t last[NOTIFY_MSG_MAX];
	size_t last_len;
	uint32_t serials[64];
	size_t nresults;
	notify_result_t results[16];
} rec_t;

static uint32_t
soa_serial_of(const uint8_t *msg, size_t len)
{
	ldns_pkt *p = NULL;
	uint32_t s = 0;
	if (ldns_wire2pkt(&p, msg, len) != LDNS_STATUS_OK)
		return 0;
	ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_answer(p), 0);
	if (rr != NULL)
		s = ldns_rdf2native_int32(ldns_rr_rdf(rr, 2));
	ldns_pkt_free(p);
	return s;
}

static int
fake_send(void *ctx, const notify_target_t *t, const uint8_t *msg, size_t len)
{
	rec_t *r = ctx;
	if (r->nsent < 64)
		r->serials[r->nsent] = soa_serial_of(msg, len);
	r->nsent++;
	memcpy(r->last, msg, len);
	r->last_len = len;
	return 0;
}

static void
fake_outcome(void *ctx, const notify_result_t *res)
{
	rec_t *r = ctx;
	if (r->nresults < 16)
		r->results[r->nresults++] = *res;
}

static void
target(notify_target_t *t, const char *ip, uint16_t port, const tsig_key_t *key)
{
	memset(t, 0, sizeof(*t));
	struct sockaddr_in *s = (struct sockaddr_in *)&t->addr;
	s->sin_family = AF_INET;
	s->sin_port = htons(port);
	inet_pton(AF_INET, ip, &s->sin_addr);
	t->addrlen = sizeof(*s);
	snprintf(t->text, sizeof(t->text), "%s@%u", ip, port);
	t->key[0] = key;
	t->nkeys = key != NULL;
}

static tsig_keyring_t *
ring(const uint8_t *sec, size_t len)
{
	uint8_t n[DNAME_MAXLEN];
	tu_name("transfer-key.", n);
	tsig_keyring_t *kr = tsig_keyring_new();
	assert_non_null(kr);
	assert_int_equal(tsig_keyring_add(kr, n, TSIG_ALG_HMAC_SHA256, sec, len), 0);
	return kr;
}

static const tsig_key_t *
key_of(const tsig_keyring_t *kr)
{
	uint8_t n[DNAME_MAXLEN];
	tu_name("transfer-key.", n);
	return tsig_keyring_find(kr, n);
}

/* The secondary's side: a NOTIFY response to req, signed with kr when given. */
static size_t
respond(const uint8_t *req, size_t len, const tsig_keyring_t *kr, uint16_t rcode, uint8_t *out, size_t cap)
{
	pkt_query_t q;
	tsig_ctx_t ctx;
	msg_t m;
	tsig_ctx_init(&ctx);
	(void)pkt_parse_query(req, len, &q); /* NOTIMP for NOTIFY: the fields are read all the same */
	assert_true(q.has_question);
	if (kr != NULL)
		assert_int_equal(tsig_verify_request(kr, req, len, (uint64_t)time(NULL), &ctx), TSIG_OK);
	size_t reserve = kr != NULL ? tsig_reserve(&ctx) : 0;
	assert_int_equal(msg_init(&m, out, cap, cap - reserve, req, &q, false), 0);
	msg_set_flag(&m, PKT_AA);
	msg_set_rcode(&m, rcode);
	size_t n = msg_finish(&m);
	if (kr != NULL)
		assert_int_equal(tsig_sign_response(&ctx, out, &n, cap, (uint64_t)time(NULL)), 0);
	tsig_ctx_clear(&ctx);
	return n;
}

static void
test_build(void **state)
{
	tsig_keyring_t *kr = ring(secret, 32);
	zone_error_t zerr;
	zone_t *z = tu_zone("example.com.", ZONE_TEXT("12"), &zerr);
	assert_non_null(z);
	uint8_t buf[NOTIFY_MSG_MAX];
	size_t len = 0;
	tsig_ctx_t ctx;
	tsig_ctx_init(&ctx);
	const uint8_t *rd = z->soa->rdata;
	assert_int_equal(notify_build(buf, sizeof(buf), &len, 4242, z->origin, z->soa->ttl, msg_rd_data(rd),
				      msg_rd_len(rd), key_of(kr), (uint64_t)time(NULL), &ctx),
			 0);

	ldns_pkt *p = NULL;
	assert_int_equal(ldns_wire2pkt(&p, buf, len), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_id(p), 4242);
	assert_int_equal(ldns_pkt_get_opcode(p), LDNS_PACKET_NOTIFY);
	assert_true(ldns_pkt_aa(p));
	assert_false(ldns_pkt_qr(p));
	assert_int_equal(ldns_pkt_qdcount(p), 1);
	ldns_rr *qr = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	char *qs = ldns_rdf2str(ldns_rr_owner(qr));
	assert_string_equal(qs, "example.com.");
	free(qs);
	assert_int_equal(ldns_rr_get_type(qr), LDNS_RR_TYPE_SOA);
	assert_int_equal(ldns_rr_get_class(qr), LDNS_RR_CLASS_IN);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	ldns_rr *an = ldns_rr_list_rr(ldns_pkt_answer(p), 0);
	assert_int_equal(ldns_rr_get_type(an), LDNS_RR_TYPE_SOA);
	assert_int_equal(ldns_rdf2native_int32(ldns_rr_rdf(an, 2)), 12);
	assert_non_null(ldns_pkt_tsig(p));
	char *ks = ldns_rdf2str(ldns_rr_owner(ldns_pkt_tsig(p)));
	assert_string_equal(ks, "transfer-key.");
	free(ks);
	ldns_pkt_free(p);

	/* The secondary verifies it with the same key, and not with another secret. */
	tsig_ctx_t sv;
	assert_int_equal(tsig_verify_request(kr, buf, len, (uint64_t)time(NULL), &sv), TSIG_OK);
	tsig_ctx_clear(&sv);
	tsig_keyring_t *other = ring((const uint8_t *)"another secret, 32 octets long!!", 32);
	assert_int_equal(tsig_verify_request(other, buf, len, (uint64_t)time(NULL), &sv), TSIG_BADSIG);
	tsig_ctx_clear(&sv);

	/* Unsigned: no additional records at all. */
	size_t ulen = 0;
	assert_int_equal(notify_build(buf, sizeof(buf), &ulen, 1, z->origin, z->soa->ttl, msg_rd_data(rd),
				      msg_rd_len(rd), NULL, 0, NULL),
			 0);
	assert_true(ulen < len);
	assert_int_equal(wire_u16(buf + 10), 0);
	/* Too small a buffer is an error, not an overrun. */
	assert_int_equal(notify_build(buf, 40, &ulen, 1, z->origin, z->soa->ttl, msg_rd_data(rd), msg_rd_len(rd),
				      NULL, 0, NULL),
			 FL_ESPACE);

	tsig_ctx_clear(&ctx);
	tsig_keyring_free(other);
	tsig_keyring_free(kr);
	zone_free(z);
}

static void
test_backoff(void **state)
{
	assert_int_equal(notify_backoff_us(1000, 1), 1000000);
	assert_int_equal(notify_backoff_us(1000, 2), 2000000);
	assert_int_equal(notify_backoff_us(1000, 5), 16000000);
	/* Capped: no overflow for absurd try numbers. */
	assert_true(notify_backoff_us(60000, 100) > notify_backoff_us(60000, 5));
}

/* One zone, one target, silent: tries at 0, T, 3T, 7T; gives up at 15T. */
static void
test_schedule(void **state)
{
	rec_t r = { 0 };
	notify_target_t t;
	target(&t, "192.0.2.53", 53, NULL);
	notify_opts_t o = { &t, 1, 4, 100, fake_send, &r, fake_outcome, &r };
	notify_t *n = notify_new(&o);
	assert_non_null(n);
	zone_error_t zerr;
	zone_t *z = tu_zone("example.com.", ZONE_TEXT("7"), &zerr);
	const uint64_t T = 100000, t0 = 5000000;

	assert_int_equal(notify_zone_changed(n, z, t0), 0);
	assert_int_equal(r.nsent, 1);
	assert_int_equal(notify_in_flight(n), 1);
	assert_int_equal(notify_tick(n, t0 + T - 1), t0 + T); /* not due yet */
	assert_int_equal(r.nsent, 1);
	assert_int_equal(notify_tick(n, t0 + T), t0 + 3 * T);
	assert_int_equal(r.nsent, 2);
	assert_int_equal(notify_tick(n, t0 + 3 * T), t0 + 7 * T);
	assert_int_equal(notify_tick(n, t0 + 7 * T), t0 + 15 * T);
	assert_int_equal(r.nsent, 4);
	assert_int_equal(r.nresults, 0);
	assert_int_equal(notify_tick(n, t0 + 15 * T), 0); /* out of tries */
	assert_int_equal(r.nsent, 4);
	assert_int_equal(r.nresults, 1);
	assert_int_equal(r.results[0].outcome, NOTIFY_TIMEOUT);
	assert_int_equal(r.results[0].tries, 4);
	assert_int_equal(r.results[0].serial, 7);
	assert_int_equal(notify_in_flight(n), 0);
	notify_free(n);
	zone_free(z);

	/* No targets: nothing at all. */
	notify_opts_t none = { NULL, 0, 3, 100, fake_send, &r, NULL, NULL };
	n = notify_new(&none);
	z = tu_zone("example.com.", ZONE_TEXT("8"), &zerr);
	assert_int_equal(notify_zone_changed(n, z, t0), 0);
	assert_int_equal(r.nsent, 4);
	assert_int_equal(notify_in_flight(n), 0);
	notify_free(n);
	zone_free(z);
	/* Zero tries is refused. */
	none.tries = 0;
	assert_null(notify_new(&none));
}

/* Responses: only the right one, from the right place, with a good TSIG, ends the exchange. */
static void
test_match(void **state)
{
	rec_t r = { 0 };
	tsig_keyring_t *kr = ring(secret, 32);
	tsig_keyring_t *wrong = ring((const uint8_t *)"another secret, 32 octets long!!", 32);
	notify_target_t t;
	target(&t, "127.0.0.1", 5353, key_of(kr));
	notify_opts_t o = { &t, 1, 3, 100, fake_send, &r, fake_outcome, &r };
	notify_t *n = notify_new(&o);
	zone_error_t zerr;
	zone_t *z = tu_zone("example.com.", ZONE_TEXT("12"), &zerr);
	uint8_t resp[1024], bad[1024];
	struct sockaddr_in from = *(struct sockaddr_in *)&t.addr, other = from;
	other.sin_port = htons(5354);
	const struct sockaddr *f = (const struct sockaddr *)&from;

	assert_int_equal(notify_zone_changed(n, z, 1000), 0);
	assert_int_equal(r.nsent, 1);
	size_t rl = respond(r.last, r.last_len, kr, RCODE_NOERROR, resp, sizeof(resp));
	int rc;
	uint16_t id = wire_u16(r.last);
	assert_true(notify_response_matches(resp, rl, id, z->origin, &rc));
	assert_int_equal(rc, 0);

	/* wrong ID */
	memcpy(bad, resp, rl);
	wire_set_u16(bad, (uint16_t)(id + 1));
	assert_int_equal(notify_receive(n, bad, rl, f, sizeof(from), 2000), NOTIFY_RX_IGNORED);
	/* wrong source port, and wrong source address */
	assert_int_equal(notify_receive(n, resp, rl, (struct sockaddr *)&other, sizeof(other), 2000),
			 NOTIFY_RX_IGNORED);
	other = from;
	inet_pton(AF_INET, "127.0.0.2", &other.sin_addr);
	assert_int_equal(notify_receive(n, resp, rl, (struct sockaddr *)&other, sizeof(other), 2000),
			 NOTIFY_RX_IGNORED);
	/* not a response (QR=0: our own request reflected), wrong opcode, short */
	assert_int_equal(notify_receive(n, r.last, r.last_len, f, sizeof(from), 2000), NOTIFY_RX_IGNORED);
	memcpy(bad, resp, rl);
	bad[2] = (uint8_t)((bad[2] & 0x87) | (OPCODE_QUERY << 3));
	assert_int_equal(notify_receive(n, bad, rl, f, sizeof(from), 2000), NOTIFY_RX_IGNORED);
	assert_int_equal(notify_receive(n, resp, 11, f, sizeof(from), 2000), NOTIFY_RX_IGNORED);
	assert_int_equal(notify_in_flight(n), 1);
	assert_int_equal(r.nresults, 0);

	/* The right one ends it: answered after 1 try. */
	assert_int_equal(notify_receive(n, resp, rl, f, sizeof(from), 3000), NOTIFY_RX_ANSWERED);
	assert_int_equal(r.nresults, 1);
	assert_int_equal(r.results[0].outcome, NOTIFY_ANSWERED);
	assert_int_equal(r.results[0].tries, 1);
	assert_int_equal(r.results[0].elapsed_us, 2000);
	assert_int_equal(r.results[0].tsig, TSIG_OK);
	/* A duplicate afterwards matches nothing. */
	assert_int_equal(notify_receive(n, resp, rl, f, sizeof(from), 3000), NOTIFY_RX_IGNORED);
	zone_free(z);

	/* Signed with another secret: a failure (BADSIG), logged and reported. */
	z = tu_zone("example.com.", ZONE_TEXT("13"), &zerr);
	assert_int_equal(notify_zone_changed(n, z, 10000), 0);
	tsig_ctx_t sv;
	assert_int_equal(tsig_verify_request(kr, r.last, r.last_len, (uint64_t)time(NULL), &sv), TSIG_OK);
	tsig_ctx_clear(&sv);
	/* The request does not verify under the other secret. */
	assert_int_equal(tsig_verify_request(wrong, r.last, r.last_len, (uint64_t)time(NULL), &sv), TSIG_BADSIG);
	tsig_ctx_clear(&sv);
	rl = respond(r.last, r.last_len, NULL, RCODE_NOERROR, resp, sizeof(resp));
	/* unsigned response to a signed request */
	assert_int_equal(notify_receive(n, resp, rl, f, sizeof(from), 11000), NOTIFY_RX_FAILED);
	assert_int_equal(r.nresults, 2);
	assert_int_equal(r.results[1].outcome, NOTIFY_REFUSED);
	assert_int_equal(r.results[1].tsig, TSIG_UNSIGNED);
	zone_free(z);

	/* A response signed with a different secret under the same key name. */
	z = tu_zone("example.com.", ZONE_TEXT("14"), &zerr);
	assert_int_equal(notify_zone_changed(n, z, 20000), 0);
	/* Make the request verifiable by the wrong ring: sign a copy with its key,
	 * then answer that one; the response MAC then uses the wrong secret. */
	uint8_t req2[NOTIFY_MSG_MAX];
	size_t l2 = 0;
	tsig_ctx_t c2;
	tsig_ctx_init(&c2);
	const uint8_t *rd = z->soa->rdata;
	assert_int_equal(notify_build(req2, sizeof(req2), &l2, wire_u16(r.last), z->origin, z->soa->ttl,
				      msg_rd_data(rd), msg_rd_len(rd), key_of(wrong), (uint64_t)time(NULL), &c2),
			 0);
	rl = respond(req2, l2, wrong, RCODE_NOERROR, resp, sizeof(resp));
	assert_int_equal(notify_receive(n, resp, rl, f, sizeof(from), 21000), NOTIFY_RX_FAILED);
	assert_int_equal(r.results[2].outcome, NOTIFY_REFUSED);
	assert_int_equal(r.results[2].tsig, TSIG_BADSIG);
	tsig_ctx_clear(&c2);
	zone_free(z);

	/* A signed error RCODE is a refusal too. */
	z = tu_zone("example.com.", ZONE_TEXT("15"), &zerr);
	assert_int_equal(notify_zone_changed(n, z, 30000), 0);
	rl = respond(r.last, r.last_len, kr, RCODE_NOTAUTH, resp, sizeof(resp));
	assert_int_equal(notify_receive(n, resp, rl, f, sizeof(from), 31000), NOTIFY_RX_FAILED);
	assert_int_equal(r.results[3].outcome, NOTIFY_REFUSED);
	assert_int_equal(r.results[3].rcode, RCODE_NOTAUTH);
	assert_int_equal(r.results[3].tsig, TSIG_OK);
	zone_free(z);

	notify_free(n);
	tsig_keyring_free(wrong);
	tsig_keyring_free(kr);
}

/* Changes while in flight: one exchange per (zone, target), then one with the newest serial. */
static void
test_coalesce(void **state)
{
	rec_t r = { 0 };
	notify_target_t t[2];
	target(&t[0], "192.0.2.1", 53, NULL);
	target(&t[1], "192.0.2.2", 53, NULL);
	notify_opts_t o = { t, 2, 3, 100, fake_send, &r, fake_outcome, &r };
	notify_t *n = notify_new(&o);
	zone_error_t zerr;
	char text[512];
	uint8_t resp[1024];
	struct sockaddr_in from = *(struct sockaddr_in *)&t[0].addr;

	zone_t *z = tu_zone("example.com.", ZONE_TEXT("1"), &zerr);
	assert_int_equal(notify_zone_changed(n, z, 0), 0);
	zone_free(z);
	assert_int_equal(r.nsent, 2);
	assert_int_equal(notify_in_flight(n), 2);
	/* 20 quick changes: nothing new is sent while both are in flight. */
	for (int s = 2; s <= 21; s++) {
		snprintf(text, sizeof(text), ZONE_TEXT("%d"), s);
		z = tu_zone("example.com.", text, &zerr);
		assert_int_equal(notify_zone_changed(n, z, (uint64_t)s), 0);
		zone_free(z);
	}
	assert_int_equal(r.nsent, 2);
	assert_int_equal(notify_in_flight(n), 2);
	/* Target 2 answers: its next NOTIFY goes out at once, with serial 21. */
	size_t rl = respond(r.last, r.last_len, NULL, RCODE_NOERROR, resp, sizeof(resp));
	from = *(struct sockaddr_in *)&t[1].addr;
	assert_int_equal(notify_receive(n, resp, rl, (struct sockaddr *)&from, sizeof(from), 50), NOTIFY_RX_ANSWERED);
	assert_int_equal(r.results[0].serial, 1);
	assert_int_equal(r.nsent, 3);
	assert_int_equal(r.serials[2], 21);
	assert_int_equal(notify_in_flight(n), 2);
	/* Target 1 never answers: after its tries, one more exchange with 21. */
	notify_tick(n, 100000);
	notify_tick(n, 300000);
	notify_tick(n, 700000);
	assert_true(r.nresults >= 2);
	assert_int_equal(r.results[1].outcome, NOTIFY_TIMEOUT);
	assert_int_equal(r.results[1].serial, 1);
	assert_int_equal(r.serials[r.nsent - 1], 21);
	assert_int_equal(notify_in_flight(n), 2);
	/* At most one in flight per (zone, target), whatever happens. */
	assert_true(notify_in_flight(n) <= 2);
	notify_free(n); /* drops what is in flight, frees everything (ASan checks) */
}

/* A zone with targets of its own notifies only those; other zones the global ones. */
static void
test_scoped_targets(void **state)
{
	rec_t r = { 0 };
	notify_target_t t[3];
	target(&t[0], "192.0.2.1", 53, NULL); /* global */
	target(&t[1], "192.0.2.2", 53, NULL); /* example.com only */
	target(&t[2], "192.0.2.3", 53, NULL); /* example.com only */
	t[1].scoped = t[2].scoped = true;
	tu_name("example.com.", t[1].zone);
	tu_name("example.com.", t[2].zone);
	notify_opts_t o = { t, 3, 3, 100, fake_send, &r, fake_outcome, &r };
	notify_t *n = notify_new(&o);
	zone_error_t zerr;
	zone_t *z = tu_zone("example.com.", ZONE_TEXT("5"), &zerr);
	assert_int_equal(notify_zone_changed(n, z, 0), 0);
	zone_free(z);
	assert_int_equal(r.nsent, 2);               /* the zone's two, not the global one */
	assert_int_equal(notify_in_flight(n), 2);
	const char *other =
		"example.org. 3600 IN SOA ns1.example.org. h.example.org. 9 3600 900 604800 300\n"
		"example.org. 3600 IN NS ns1.example.org.\nns1.example.org. 3600 IN A 198.51.100.1\n";
	z = tu_zone("example.org.", other, &zerr);
	assert_non_null(z);
	assert_int_equal(notify_zone_changed(n, z, 0), 0);
	zone_free(z);
	assert_int_equal(r.nsent, 3);               /* the global target only */
	assert_int_equal(r.serials[2], 9);
	notify_free(n);
}

/* A keyring with one key of this name and secret. */
static tsig_keyring_t *
ring_named(const char *name, const uint8_t *sec)
{
	uint8_t n[DNAME_MAXLEN];
	tu_name(name, n);
	tsig_keyring_t *kr = tsig_keyring_new();
	assert_non_null(kr);
	assert_int_equal(tsig_keyring_add(kr, n, TSIG_ALG_HMAC_SHA256, sec, 32), 0);
	return kr;
}

/* The secondary's answer to a request signed with a key it does not know:
 * NOTAUTH and an unsigned TSIG with error BADKEY (RFC 8945 5.2.2). */
static size_t
respond_badkey(const uint8_t *req, size_t len, const tsig_keyring_t *peer, uint8_t *out, size_t cap)
{
	pkt_query_t q;
	tsig_ctx_t ctx;
	msg_t m;
	(void)pkt_parse_query(req, len, &q);
	assert_int_equal(tsig_verify_request(peer, req, len, (uint64_t)time(NULL), &ctx), TSIG_BADKEY);
	assert_int_equal(msg_init(&m, out, cap, cap - tsig_reserve(&ctx), req, &q, false), 0);
	msg_set_rcode(&m, RCODE_NOTAUTH);
	size_t n = msg_finish(&m);
	assert_int_equal(tsig_sign_response(&ctx, out, &n, cap, (uint64_t)time(NULL)), 0);
	tsig_ctx_clear(&ctx);
	return n;
}

/* Rotation: "key new,old" to a secondary that knows only old. BADKEY for
 * new, the same NOTIFY again signed with old, answered: one exchange, no
 * failure reported. BADKEY for the last key is a failure. A reload that
 * only changes keys keeps the exchange; one that adds a target announces
 * the zone in flight to it. */
static void
test_key_fallback(void **state)
{
	static const uint8_t snew[] = "new secret, thirty-two octets!!!", sold[] = "old secret, thirty-two octets!!!";
	rec_t r = { 0 };
	tsig_keyring_t *ours = tsig_keyring_new(), *peer = ring_named("old.", sold);
	uint8_t nn[DNAME_MAXLEN], on[DNAME_MAXLEN];
	tu_name("new.", nn);
	tu_name("old.", on);
	assert_int_equal(tsig_keyring_add(ours, nn, TSIG_ALG_HMAC_SHA256, snew, 32), 0);
	assert_int_equal(tsig_keyring_add(ours, on, TSIG_ALG_HMAC_SHA256, sold, 32), 0);
	notify_target_t t[2];
	target(&t[0], "127.0.0.1", 5353, tsig_keyring_find(ours, nn));
	t[0].key[1] = tsig_keyring_find(ours, on);
	t[0].nkeys = 2;
	notify_opts_t o = { t, 1, 3, 100, fake_send, &r, fake_outcome, &r };
	notify_t *n = notify_new(&o);
	zone_error_t zerr;
	zone_t *z = tu_zone("example.com.", ZONE_TEXT("20"), &zerr);
	struct sockaddr_in from = *(struct sockaddr_in *)&t[0].addr;
	const struct sockaddr *f = (const struct sockaddr *)&from;
	uint8_t resp[1024];
	tsig_ctx_t sv;

	assert_int_equal(notify_zone_changed(n, z, 1000), 0);
	assert_int_equal(r.nsent, 1);
	size_t rl = respond_badkey(r.last, r.last_len, peer, resp, sizeof(resp));
	assert_int_equal(notify_receive(n, resp, rl, f, sizeof(from), 2000), NOTIFY_RX_FAILED);
	/* Resent at once with the next key, which the peer knows; nothing reported yet. */
	assert_int_equal(r.nsent, 2);
	assert_int_equal(r.serials[1], 20);
	assert_int_equal(tsig_verify_request(peer, r.last, r.last_len, (uint64_t)time(NULL), &sv), TSIG_OK);
	tsig_ctx_clear(&sv);
	assert_int_equal(r.nresults, 0);
	assert_int_equal(notify_in_flight(n), 1);
	rl = respond(r.last, r.last_len, peer, RCODE_NOERROR, resp, sizeof(resp));
	assert_int_equal(notify_receive(n, resp, rl, f, sizeof(from), 3000), NOTIFY_RX_ANSWERED);
	assert_int_equal(r.nresults, 1);
	assert_int_equal(r.results[0].outcome, NOTIFY_ANSWERED);
	assert_int_equal(r.results[0].tsig, TSIG_OK);
	zone_free(z);

	/* Only old listed now (a reload, same target): BADKEY from a peer that
	 * knows neither is the end: refused, no further try. */
	t[0].key[0] = tsig_keyring_find(ours, on);
	t[0].nkeys = 1;
	assert_int_equal(notify_reconfigure(n, t, 1, 4000), 0);
	tsig_keyring_t *stranger = ring_named("other.", snew);
	z = tu_zone("example.com.", ZONE_TEXT("21"), &zerr);
	assert_int_equal(notify_zone_changed(n, z, 5000), 0);
	assert_int_equal(r.nsent, 3);
	rl = respond_badkey(r.last, r.last_len, stranger, resp, sizeof(resp));
	assert_int_equal(notify_receive(n, resp, rl, f, sizeof(from), 6000), NOTIFY_RX_FAILED);
	assert_int_equal(r.nsent, 3);
	assert_int_equal(r.nresults, 2);
	assert_int_equal(r.results[1].outcome, NOTIFY_REFUSED);
	assert_int_equal(r.results[1].tsig, TSIG_BADKEY);
	zone_free(z);

	/* An exchange in flight, then a reload that adds a target: the zone is
	 * announced to the new list (both targets), the old exchange dropped. */
	z = tu_zone("example.com.", ZONE_TEXT("22"), &zerr);
	assert_int_equal(notify_zone_changed(n, z, 7000), 0);
	assert_int_equal(r.nsent, 4);
	target(&t[1], "127.0.0.2", 5353, NULL);
	assert_int_equal(notify_reconfigure(n, t, 2, 8000), 0);
	assert_int_equal(notify_targets(n), 2);
	assert_int_equal(r.nsent, 6);
	assert_int_equal(r.serials[4], 22);
	assert_int_equal(r.serials[5], 22);
	assert_int_equal(notify_in_flight(n), 2);
	zone_free(z);

	/* The keyring may go away (a reload) while exchanges hold their key. */
	tsig_keyring_free(ours);
	notify_free(n);
	tsig_keyring_free(peer);
	tsig_keyring_free(stranger);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scoped_targets),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_schedule),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_coalesce),
		cmocka_unit_test(test_key_fallback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
