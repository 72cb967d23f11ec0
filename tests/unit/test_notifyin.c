/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Tests for src/xfr/notifyin.c, NOTIFY in on the secondary side (RFC 1996,
 * TSIG per RFC 8945). Every request is written here octet by octet (names
 * as wire literals), TSIG-signed ones with the client side of tsig.c; the
 * expected verdicts, response octets, events and TSIG error codes are
 * written in the test, responses are also parsed with ldns, and signed
 * responses are verified with tsig_verify_response(). Robustness: every
 * truncation and seeded random mutations of a signed NOTIFY are fed in
 * from exact-size heap copies, so the ASan build catches any over-read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dname.h"
#include "tsig/tsig.h"
#include "tu.h"
#include "xfr/acl.h"
#include "xfr/notifyin.h"

#define T0 1700000000ull
#define ID 0xbeef
#define OUTCAP 512 /* the documented minimum response buffer */

/* Header flags written by hand: opcode NOTIFY (4 << 11) + AA, as primaries send them (RFC 1996 §3.7). */
#define F_NOTIFY 0x2400
#define F_QR 0x8000
#define F_AA 0x0400
#define F_TC 0x0200
#define F_RD 0x0100

/* rcodes and TSIG errors, written out (RFC 1035, 2136, 8945). */
#define R_NOERROR 0
#define R_FORMERR 1
#define R_REFUSED 5
#define R_NOTAUTH 9
#define E_BADSIG 16
#define E_BADKEY 17
#define E_BADTIME 18

#define T_A 1
#define T_SOA 6
#define C_IN 1
#define C_CH 3

/* Names in wire form; the literal's terminating NUL is the root label, so
 * sizeof() is the wire length. Literals are split so that a letter after
 * \xNN is not read as a hex digit. */
#define W_COM "\x07" "example" "\x03" "com"
static const uint8_t com_w[] = W_COM;
static const uint8_t COM_w[] = "\x07" "EXAMPLE" "\x03" "COM";
static const uint8_t net_w[] = "\x07" "example" "\x03" "net";
static const uint8_t org_w[] = "\x07" "example" "\x03" "org";
static const uint8_t edu_w[] = "\x07" "example" "\x03" "edu";
static const uint8_t www_com_w[] = "\x03" "www" W_COM;
static const uint8_t ns1_com_w[] = "\x03" "ns1" W_COM;
static const uint8_t hm_com_w[] = "\x0a" "hostmaster" W_COM;

static const uint8_t secret[] = "0123456789abcdef0123456789abcdef";
static const uint8_t secret2[] = "another secret, 32 octets long!!";

/* ---- fixture: the server's keyring and policy, a rogue client keyring ---- */

static struct {
	tsig_keyring_t *kr;    /* server: ns-key., other-key. */
	tsig_keyring_t *rogue; /* client only: unknown-key., and ns-key. with a wrong secret */
	acl_rule_t rules[3];
	notifyin_zone_t zones[3];
	notifyin_policy_t pol;
} fx;

static void
add_key(tsig_keyring_t *kr, const char *name, const uint8_t *sec)
{
	uint8_t n[DNAME_MAXLEN];
	tu_name(name, n);
	assert_int_equal(tsig_keyring_add(kr, n, TSIG_ALG_HMAC_SHA256, sec, 32), 0);
}

static const tsig_key_t *
key(const tsig_keyring_t *kr, const char *name)
{
	uint8_t n[DNAME_MAXLEN];
	tu_name(name, n);
	const tsig_key_t *k = tsig_keyring_find(kr, n);
	assert_non_null(k);
	return k;
}

static void
rule(acl_rule_t *r, int family, const char *ip, uint8_t prefix, const char *keyname)
{
	memset(r, 0, sizeof(*r));
	r->family = family;
	assert_int_equal(inet_pton(family, ip, r->addr), 1);
	r->prefix = prefix;
	if (keyname != NULL) {
		r->has_key = true;
		tu_name(keyname, r->key);
	}
}

/*
 * example.com.: 192.0.2.0/24 and 2001:db8::/32, no key needed;
 * example.net.: 198.51.100.7 with key ns-key. only;
 * example.org.: empty ACL (nobody).
 */
static int
setup(void **state)
{
	(void)state;
	memset(&fx, 0, sizeof(fx));
	fx.kr = tsig_keyring_new();
	fx.rogue = tsig_keyring_new();
	assert_non_null(fx.kr);
	assert_non_null(fx.rogue);
	add_key(fx.kr, "ns-key.", secret);
	add_key(fx.kr, "other-key.", secret2);
	add_key(fx.rogue, "unknown-key.", secret);
	add_key(fx.rogue, "ns-key.", secret2);

	rule(&fx.rules[0], AF_INET, "192.0.2.0", 24, NULL);
	rule(&fx.rules[1], AF_INET6, "2001:db8::", 32, NULL);
	rule(&fx.rules[2], AF_INET, "198.51.100.7", 32, "ns-key.");
	memcpy(fx.zones[0].origin, com_w, sizeof(com_w));
	fx.zones[0].allow = (acl_t){ &fx.rules[0], 2 };
	memcpy(fx.zones[1].origin, net_w, sizeof(net_w));
	fx.zones[1].allow = (acl_t){ &fx.rules[2], 1 };
	memcpy(fx.zones[2].origin, org_w, sizeof(org_w));
	fx.zones[2].allow = (acl_t){ NULL, 0 };
	fx.pol = (notifyin_policy_t){ fx.kr, fx.zones, 3, NULL, NULL };
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tsig_keyring_free(fx.kr);
	tsig_keyring_free(fx.rogue);
	return 0;
}

/* ---- peers ---- */

typedef struct {
	struct sockaddr_storage ss;
	socklen_t len;
} peer_t;

static peer_t
peer4(const char *ip, uint16_t port)
{
	peer_t p;
	memset(&p, 0, sizeof(p));
	struct sockaddr_in *s = (struct sockaddr_in *)&p.ss;
	s->sin_family = AF_INET;
	s->sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, ip, &s->sin_addr), 1);
	p.len = sizeof(*s);
	return p;
}

static peer_t
peer6(const char *ip, uint16_t port)
{
	peer_t p;
	memset(&p, 0, sizeof(p));
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)&p.ss;
	s->sin6_family = AF_INET6;
	s->sin6_port = htons(port);
	assert_int_equal(inet_pton(AF_INET6, ip, &s->sin6_addr), 1);
	p.len = sizeof(*s);
	return p;
}

/* ---- messages, octet by octet ---- */

typedef struct {
	uint8_t b[1024];
	size_t len;
} m_t;

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
put(m_t *m, const void *p, size_t n)
{
	assert_true(m->len + n <= sizeof(m->b));
	memcpy(m->b + m->len, p, n);
	m->len += n;
}

static void
put16(m_t *m, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	put(m, b, 2);
}

static void
put32(m_t *m, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	put(m, b, 4);
}

static void
set16(m_t *m, size_t off, uint16_t v)
{
	m->b[off] = (uint8_t)(v >> 8);
	m->b[off + 1] = (uint8_t)v;
}

static void
hdr(m_t *m, uint16_t id, uint16_t flags, uint16_t qd)
{
	m->len = 0;
	put16(m, id);
	put16(m, flags);
	put16(m, qd);
	put16(m, 0);
	put16(m, 0);
	put16(m, 0);
}

/* A NOTIFY: header + one question. Returns the question's length. */
static size_t
notify_q(m_t *m, uint16_t flags, const uint8_t *zone, size_t zlen, uint16_t qtype, uint16_t qclass)
{
	hdr(m, ID, flags, 1);
	put(m, zone, zlen);
	put16(m, qtype);
	put16(m, qclass);
	return zlen + 4;
}

static size_t
notify(m_t *m, const uint8_t *zone, size_t zlen)
{
	return notify_q(m, F_NOTIFY, zone, zlen, T_SOA, C_IN);
}

/* Append an ANSWER record: an SOA of that serial (uncompressed rdata), or an A record. */
static void
answer(m_t *m, const uint8_t *owner, size_t olen, uint16_t type, uint32_t serial)
{
	set16(m, 6, (uint16_t)(get16(m->b + 6) + 1));
	put(m, owner, olen);
	put16(m, type);
	put16(m, C_IN);
	put32(m, 3600);
	if (type == T_SOA) {
		put16(m, (uint16_t)(sizeof(ns1_com_w) + sizeof(hm_com_w) + 20));
		put(m, ns1_com_w, sizeof(ns1_com_w));
		put(m, hm_com_w, sizeof(hm_com_w));
		put32(m, serial);
		put32(m, 3600);
		put32(m, 900);
		put32(m, 604800);
		put32(m, 300);
	} else {
		put16(m, 4);
		put32(m, 0xc0000201);
	}
}

static void
sign(m_t *m, const tsig_key_t *k, tsig_ctx_t *c)
{
	tsig_ctx_init(c);
	assert_int_equal(tsig_sign_request(k, m->b, &m->len, sizeof(m->b), T0, 0, c), 0);
	assert_int_equal(get16(m->b + 10), 1);
}

/* ---- running the handler and checking what comes out ---- */

typedef struct {
	notifyin_verdict_t v;
	uint8_t out[OUTCAP];
	size_t outlen;
	notifyin_event_t ev;
	char log[512];
} res_t;

/* The message goes in as an exact-size heap copy: ASan sees any over-read. */
static void
handle_pol(const notifyin_policy_t *pol, const uint8_t *msg, size_t len, const peer_t *p, uint64_t now, res_t *r)
{
	uint8_t *copy = malloc(len > 0 ? len : 1);
	assert_non_null(copy);
	memcpy(copy, msg, len);
	memset(r, 0, sizeof(*r));
	r->outlen = 9999;
	r->v = notifyin_handle(pol, copy, len, (const struct sockaddr *)&p->ss, p->len, now, r->out, sizeof(r->out),
			       &r->outlen, &r->ev, r->log, sizeof(r->log));
	free(copy);
	assert_true(r->outlen <= sizeof(r->out));
	/* non-empty, one line */
	assert_true(r->log[0] != '\0');
	assert_null(strchr(r->log, '\n'));
}

static void
handle(const m_t *m, const peer_t *p, uint64_t now, res_t *r)
{
	handle_pol(&fx.pol, m->b, m->len, p, now, r);
}

/*
 * The response: ID echoed, QR, opcode NOTIFY, AA only on NOERROR, TC
 * clear, the rcode, QDCOUNT 1 with the request's question octets (qlen of
 * them; 0: no question), no answer or authority, arcount records in
 * ADDITIONAL (the TSIG). ldns must parse it and agree.
 */
static void
check_reply(const res_t *r, const m_t *req, size_t qlen, uint16_t rcode, uint16_t arcount)
{
	assert_true(r->outlen >= 12 + qlen);
	assert_int_equal(get16(r->out), get16(req->b));
	uint16_t f = get16(r->out + 2);
	assert_int_equal(f & F_QR, F_QR);
	assert_int_equal((f >> 11) & 0xf, 4);
	assert_int_equal((f & F_AA) != 0, rcode == R_NOERROR);
	assert_int_equal(f & F_TC, 0);
	assert_int_equal(f & 0xf, rcode);
	assert_int_equal(get16(r->out + 4), qlen > 0 ? 1 : 0);
	assert_int_equal(get16(r->out + 6), 0);
	assert_int_equal(get16(r->out + 8), 0);
	assert_int_equal(get16(r->out + 10), arcount);
	if (qlen > 0)
		assert_memory_equal(r->out + 12, req->b + 12, qlen);
	if (arcount == 0)
		assert_int_equal(r->outlen, 12 + qlen);

	ldns_pkt *p = NULL;
	assert_int_equal(ldns_wire2pkt(&p, r->out, r->outlen), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_id(p), get16(req->b));
	assert_true(ldns_pkt_qr(p));
	assert_int_equal(ldns_pkt_get_opcode(p), LDNS_PACKET_NOTIFY);
	assert_int_equal(ldns_pkt_get_rcode(p), rcode);
	assert_int_equal(ldns_pkt_aa(p), rcode == R_NOERROR);
	ldns_pkt_free(p);
}

/* TSIG error field of a response, read by ldns (rdata field 5, RFC 8945 §4.2). */
static uint16_t
tsig_error_of(const res_t *r)
{
	ldns_pkt *p = NULL;
	assert_int_equal(ldns_wire2pkt(&p, r->out, r->outlen), LDNS_STATUS_OK);
	ldns_rr *t = ldns_pkt_tsig(p);
	assert_non_null(t);
	assert_int_equal(ldns_rr_get_type(t), LDNS_RR_TYPE_TSIG);
	uint16_t e = ldns_rdf2native_int16(ldns_rr_rdf(t, 5));
	ldns_pkt_free(p);
	return e;
}

static void
log_has(const res_t *r, const char *what)
{
	if (strstr(r->log, what) == NULL) {
		print_error("log line '%s' lacks '%s'\n", r->log, what);
		fail();
	}
}

/* ---- accepted ---- */

static void
test_accept_unsigned(void **state)
{
	m_t m;
	res_t r;
	size_t ql = notify(&m, com_w, sizeof(com_w));
	peer_t p = peer4("192.0.2.1", 5300);
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_ACCEPTED);
	check_reply(&r, &m, ql, R_NOERROR, 0);
	assert_memory_equal(r.ev.origin, com_w, sizeof(com_w));
	assert_false(r.ev.has_serial);
	assert_int_equal(r.ev.fromlen, sizeof(struct sockaddr_in));
	assert_memory_equal(&r.ev.from, &p.ss, sizeof(struct sockaddr_in));
	log_has(&r, "example.com.");
	log_has(&r, "192.0.2.1@5300");
	log_has(&r, "accepted");

	/* IPv6 sender: the event carries the whole sockaddr_in6. */
	p = peer6("2001:db8::53", 53);
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_ACCEPTED);
	check_reply(&r, &m, ql, R_NOERROR, 0);
	assert_int_equal(r.ev.fromlen, sizeof(struct sockaddr_in6));
	assert_memory_equal(&r.ev.from, &p.ss, sizeof(struct sockaddr_in6));
	assert_int_equal(((struct sockaddr_in6 *)&r.ev.from)->sin6_port, htons(53));
	log_has(&r, "2001:db8::53@53");

	/* Names compare case-insensitively: the event has the lowercased
	 * origin, the response echoes the question as sent. */
	p = peer4("192.0.2.200", 53);
	ql = notify(&m, COM_w, sizeof(COM_w));
	set16(&m, 0, 0x0001);
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_ACCEPTED);
	check_reply(&r, &m, ql, R_NOERROR, 0);
	assert_memory_equal(r.out + 12, COM_w, sizeof(COM_w));
	assert_memory_equal(r.ev.origin, com_w, sizeof(com_w));

	/* RD is copied into the response (RFC 1035 §4.1.1), AA of the request is not needed. */
	ql = notify_q(&m, 0x2000 | F_RD, com_w, sizeof(com_w), T_SOA, C_IN);
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_ACCEPTED);
	check_reply(&r, &m, ql, R_NOERROR, 0);
	assert_int_equal(get16(r.out + 2) & F_RD, F_RD);
}

static void
test_accept_signed(void **state)
{
	m_t m;
	res_t r;
	tsig_ctx_t c;
	peer_t p = peer4("198.51.100.7", 53);

	/* example.net. needs ns-key: signed with it from the right address. */
	size_t ql = notify(&m, net_w, sizeof(net_w));
	answer(&m, net_w, sizeof(net_w), T_SOA, 2024010101);
	sign(&m, key(fx.kr, "ns-key."), &c);
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_ACCEPTED);
	check_reply(&r, &m, ql, R_NOERROR, 1);
	assert_int_equal(tsig_verify_response(&c, r.out, r.outlen, T0), TSIG_OK);
	assert_int_equal(tsig_verify_end(&c), TSIG_OK);
	tsig_ctx_clear(&c);
	assert_memory_equal(r.ev.origin, net_w, sizeof(net_w));
	assert_true(r.ev.has_serial);
	assert_int_equal(r.ev.serial, 2024010101u);
	assert_int_equal(r.ev.fromlen, sizeof(struct sockaddr_in));
	assert_memory_equal(&r.ev.from, &p.ss, sizeof(struct sockaddr_in));
	log_has(&r, "example.net.");
	log_has(&r, "ns-key");
	log_has(&r, "serial 2024010101");

	/* The response is bound to this request: another request's context refuses it. */
	tsig_ctx_t c2;
	m_t m2;
	notify(&m2, net_w, sizeof(net_w));
	sign(&m2, key(fx.kr, "ns-key."), &c2);
	assert_int_equal(tsig_verify_response(&c2, r.out, r.outlen, T0), TSIG_BADSIG);
	tsig_ctx_clear(&c2);

	/* A keyless rule takes signed NOTIFYs too, and the answer is signed. */
	p = peer4("192.0.2.9", 53);
	ql = notify(&m, com_w, sizeof(com_w));
	sign(&m, key(fx.kr, "other-key."), &c);
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_ACCEPTED);
	check_reply(&r, &m, ql, R_NOERROR, 1);
	assert_int_equal(tsig_verify_response(&c, r.out, r.outlen, T0), TSIG_OK);
	tsig_ctx_clear(&c);
	assert_false(r.ev.has_serial);
	log_has(&r, "example.com.");
	log_has(&r, "other-key");

	/* Within the fudge (300 s) the server's clock may differ. */
	p = peer4("198.51.100.7", 53);
	ql = notify(&m, net_w, sizeof(net_w));
	sign(&m, key(fx.kr, "ns-key."), &c);
	handle(&m, &p, T0 + 299, &r);
	assert_int_equal(r.v, NOTIFYIN_ACCEPTED);
	check_reply(&r, &m, ql, R_NOERROR, 1);
	tsig_ctx_clear(&c);
}

/* ---- REFUSED ---- */

static void
test_refused_acl(void **state)
{
	m_t m;
	res_t r;
	tsig_ctx_t c;

	/* Address outside every rule. */
	size_t ql = notify(&m, com_w, sizeof(com_w));
	peer_t p = peer4("203.0.113.9", 53);
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_REFUSED);
	check_reply(&r, &m, ql, R_REFUSED, 0);
	log_has(&r, "example.com.");
	log_has(&r, "203.0.113.9@53");
	/* just outside the /24 and the /32 (IPv6) */
	p = peer4("192.0.3.1", 53);
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_REFUSED);
	check_reply(&r, &m, ql, R_REFUSED, 0);
	p = peer6("2001:db9::1", 53);
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_REFUSED);
	check_reply(&r, &m, ql, R_REFUSED, 0);

	/* Empty ACL: nobody. */
	ql = notify(&m, org_w, sizeof(org_w));
	p = peer4("192.0.2.1", 53);
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_REFUSED);
	check_reply(&r, &m, ql, R_REFUSED, 0);
	log_has(&r, "example.org.");

	/* The rule needs ns-key: unsigned from the right address is refused. */
	ql = notify(&m, net_w, sizeof(net_w));
	p = peer4("198.51.100.7", 53);
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_REFUSED);
	check_reply(&r, &m, ql, R_REFUSED, 0);
	log_has(&r, "example.net.");

	/* Signed with another valid key: refused, and the refusal is signed. */
	sign(&m, key(fx.kr, "other-key."), &c);
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_REFUSED);
	check_reply(&r, &m, ql, R_REFUSED, 1);
	assert_int_equal(tsig_verify_response(&c, r.out, r.outlen, T0), TSIG_OK);
	tsig_ctx_clear(&c);

	/* Signed with the right key from the wrong address. */
	notify(&m, net_w, sizeof(net_w));
	sign(&m, key(fx.kr, "ns-key."), &c);
	p = peer4("198.51.100.8", 53);
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_REFUSED);
	check_reply(&r, &m, ql, R_REFUSED, 1);
	assert_int_equal(tsig_verify_response(&c, r.out, r.outlen, T0), TSIG_OK);
	tsig_ctx_clear(&c);
}

/* ---- NOTAUTH ---- */

static void
test_notauth_zone(void **state)
{
	m_t m;
	res_t r;
	tsig_ctx_t c;
	peer_t p = peer4("192.0.2.1", 53);

	size_t ql = notify(&m, edu_w, sizeof(edu_w));
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_REFUSED);
	check_reply(&r, &m, ql, R_NOTAUTH, 0);
	log_has(&r, "example.edu.");

	/* A name below a secondary zone is not that zone. */
	ql = notify(&m, www_com_w, sizeof(www_com_w));
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_REFUSED);
	check_reply(&r, &m, ql, R_NOTAUTH, 0);
	log_has(&r, "www.example.com.");

	/* No secondary zones at all. */
	notifyin_policy_t none = { fx.kr, NULL, 0, NULL, NULL };
	ql = notify(&m, com_w, sizeof(com_w));
	handle_pol(&none, m.b, m.len, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_REFUSED);
	check_reply(&r, &m, ql, R_NOTAUTH, 0);

	/* Signed with a good key for a zone we do not serve: NOTAUTH, signed. */
	ql = notify(&m, edu_w, sizeof(edu_w));
	sign(&m, key(fx.kr, "ns-key."), &c);
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_REFUSED);
	check_reply(&r, &m, ql, R_NOTAUTH, 1);
	assert_int_equal(tsig_error_of(&r), 0);
	assert_int_equal(tsig_verify_response(&c, r.out, r.outlen, T0), TSIG_OK);
	tsig_ctx_clear(&c);
}

/* ---- TSIG failures: NOTAUTH with the TSIG error (RFC 8945 §5.2) ---- */

static void
test_tsig_errors(void **state)
{
	m_t m;
	res_t r;
	tsig_ctx_t c;
	peer_t p = peer4("198.51.100.7", 53);

	/* Unknown key: BADKEY. */
	size_t ql = notify(&m, net_w, sizeof(net_w));
	sign(&m, key(fx.rogue, "unknown-key."), &c);
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_REFUSED);
	check_reply(&r, &m, ql, R_NOTAUTH, 1);
	assert_int_equal(tsig_error_of(&r), E_BADKEY);
	assert_int_equal(tsig_verify_response(&c, r.out, r.outlen, T0), TSIG_BADKEY);
	assert_int_equal(c.peer_error, E_BADKEY);
	tsig_ctx_clear(&c);
	log_has(&r, "example.net.");
	log_has(&r, "BADKEY");

	/* Known key name, wrong secret: BADSIG. */
	notify(&m, net_w, sizeof(net_w));
	sign(&m, key(fx.rogue, "ns-key."), &c);
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_REFUSED);
	check_reply(&r, &m, ql, R_NOTAUTH, 1);
	assert_int_equal(tsig_error_of(&r), E_BADSIG);
	assert_int_equal(tsig_verify_response(&c, r.out, r.outlen, T0), TSIG_BADSIG);
	assert_int_equal(c.peer_error, E_BADSIG);
	tsig_ctx_clear(&c);
	log_has(&r, "example.net.");
	log_has(&r, "BADSIG");

	/* Right key, one MAC octet flipped: BADSIG. The TSIG RR starts after
	 * the question: owner ns-key. (8), type..rdlen (10), algorithm
	 * hmac-sha256. (13), time (6), fudge (2), MAC size (2), MAC. */
	size_t pre = 12 + ql;
	notify(&m, net_w, sizeof(net_w));
	sign(&m, key(fx.kr, "ns-key."), &c);
	size_t mac = pre + 8 + 10 + 13 + 6 + 2 + 2;
	assert_int_equal(get16(m.b + mac - 2), 32);
	m.b[mac + 7] ^= 0x01;
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_REFUSED);
	check_reply(&r, &m, ql, R_NOTAUTH, 1);
	assert_int_equal(tsig_error_of(&r), E_BADSIG);
	tsig_ctx_clear(&c);

	/* A signed message changed after signing (AA cleared): BADSIG. */
	notify(&m, net_w, sizeof(net_w));
	sign(&m, key(fx.kr, "ns-key."), &c);
	m.b[2] &= (uint8_t)~(F_AA >> 8);
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_REFUSED);
	check_reply(&r, &m, ql, R_NOTAUTH, 1);
	assert_int_equal(tsig_error_of(&r), E_BADSIG);
	tsig_ctx_clear(&c);

	/* Clock 1000 s ahead, fudge 300: BADTIME, answered signed with our time. */
	notify(&m, net_w, sizeof(net_w));
	sign(&m, key(fx.kr, "ns-key."), &c);
	handle(&m, &p, T0 + 1000, &r);
	assert_int_equal(r.v, NOTIFYIN_REFUSED);
	check_reply(&r, &m, ql, R_NOTAUTH, 1);
	assert_int_equal(tsig_error_of(&r), E_BADTIME);
	assert_int_equal(tsig_verify_response(&c, r.out, r.outlen, T0), TSIG_BADTIME);
	assert_int_equal(c.peer_error, E_BADTIME);
	assert_int_equal(c.peer_time, T0 + 1000);
	tsig_ctx_clear(&c);
	log_has(&r, "example.net.");

	/* A TSIG failure wins over the ACL and the zone: nothing is learnt
	 * about the zones from a bad signature. */
	ql = notify(&m, edu_w, sizeof(edu_w));
	sign(&m, key(fx.rogue, "unknown-key."), &c);
	p = peer4("203.0.113.1", 53);
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_REFUSED);
	check_reply(&r, &m, ql, R_NOTAUTH, 1);
	assert_int_equal(tsig_error_of(&r), E_BADKEY);
	tsig_ctx_clear(&c);

	/* No keyring: every signed NOTIFY is BADKEY (NOTAUTH). */
	notifyin_policy_t nokeys = fx.pol;
	nokeys.keyring = NULL;
	ql = notify(&m, com_w, sizeof(com_w));
	sign(&m, key(fx.kr, "ns-key."), &c);
	p = peer4("192.0.2.1", 53);
	handle_pol(&nokeys, m.b, m.len, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_REFUSED);
	assert_true(r.outlen >= 12 + ql);
	assert_int_equal(get16(r.out), ID);
	assert_int_equal(get16(r.out + 2) & 0xf, R_NOTAUTH);
	assert_int_equal(get16(r.out + 2) & F_AA, 0);
	log_has(&r, "BADKEY");
	tsig_ctx_clear(&c);
}

/* ---- FORMERR ---- */

static void
test_formerr(void **state)
{
	m_t m;
	res_t r;
	peer_t p = peer4("192.0.2.1", 53);

	/* QDCOUNT 0: a bare header. */
	hdr(&m, ID, F_NOTIFY, 0);
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_REFUSED);
	check_reply(&r, &m, 0, R_FORMERR, 0);

	/* QDCOUNT 2: two SOA questions for our zone. */
	hdr(&m, ID, F_NOTIFY, 2);
	for (int i = 0; i < 2; i++) {
		put(&m, com_w, sizeof(com_w));
		put16(&m, T_SOA);
		put16(&m, C_IN);
	}
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_REFUSED);
	assert_true(r.outlen >= 12);
	assert_int_equal(get16(r.out), ID);
	assert_int_equal(get16(r.out + 2) & F_QR, F_QR);
	assert_int_equal((get16(r.out + 2) >> 11) & 0xf, 4);
	assert_int_equal(get16(r.out + 2) & (F_AA | 0xf), R_FORMERR);
	assert_int_equal(get16(r.out + 6), 0);
	assert_int_equal(get16(r.out + 8), 0);
	assert_int_equal(get16(r.out + 10), 0);

	/* Not SOA: FORMERR (RFC 1996 §3.7: QTYPE SOA), question echoed, zone named. */
	size_t ql = notify_q(&m, F_NOTIFY, com_w, sizeof(com_w), T_A, C_IN);
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_REFUSED);
	check_reply(&r, &m, ql, R_FORMERR, 0);
	log_has(&r, "example.com.");

	/* Not IN. */
	ql = notify_q(&m, F_NOTIFY, com_w, sizeof(com_w), T_SOA, C_CH);
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_REFUSED);
	check_reply(&r, &m, ql, R_FORMERR, 0);
	log_has(&r, "example.com.");

	/* Question cut short: the name runs past the end. */
	hdr(&m, ID, F_NOTIFY, 1);
	put(&m, com_w, 6);
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_REFUSED);
	assert_true(r.outlen >= 12);
	assert_int_equal(get16(r.out), ID);
	assert_int_equal(get16(r.out + 2) & (F_QR | F_AA | 0xf), F_QR | R_FORMERR);

	/* ANCOUNT says 1, no record follows. */
	ql = notify(&m, com_w, sizeof(com_w));
	set16(&m, 6, 1);
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_REFUSED);
	check_reply(&r, &m, ql, R_FORMERR, 0);
}

/* ---- DROP ---- */

static void
test_drop(void **state)
{
	m_t m;
	res_t r;
	tsig_ctx_t c;
	peer_t p = peer4("192.0.2.1", 53);

	/* A NOTIFY response (QR=1) gets no answer: no loops between servers. */
	notify_q(&m, F_NOTIFY | F_QR, com_w, sizeof(com_w), T_SOA, C_IN);
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_DROP);
	assert_int_equal(r.outlen, 0);
	notify_q(&m, F_NOTIFY | F_QR, com_w, sizeof(com_w), T_SOA, C_IN);
	sign(&m, key(fx.kr, "ns-key."), &c);
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_DROP);
	assert_int_equal(r.outlen, 0);
	tsig_ctx_clear(&c);
	/* even malformed ones */
	hdr(&m, ID, F_NOTIFY | F_QR, 7);
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_DROP);
	assert_int_equal(r.outlen, 0);

	/* Shorter than a header. */
	notify(&m, com_w, sizeof(com_w));
	for (size_t n = 0; n < 12; n++) {
		handle_pol(&fx.pol, m.b, n, &p, T0, &r);
		assert_int_equal(r.v, NOTIFYIN_DROP);
		assert_int_equal(r.outlen, 0);
	}
}

/* ---- the serial hint ---- */

static void
test_serial_hint(void **state)
{
	m_t m;
	res_t r;
	peer_t p = peer4("192.0.2.1", 53);

	/* Owner written out. */
	size_t ql = notify(&m, com_w, sizeof(com_w));
	answer(&m, com_w, sizeof(com_w), T_SOA, 77);
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_ACCEPTED);
	check_reply(&r, &m, ql, R_NOERROR, 0); /* the SOA is not echoed */
	assert_true(r.ev.has_serial);
	assert_int_equal(r.ev.serial, 77);
	log_has(&r, "serial 77");

	/* Owner as a pointer to the question, a serial above 2^31. */
	notify(&m, com_w, sizeof(com_w));
	answer(&m, (const uint8_t *)"\xc0\x0c", 2, T_SOA, 4294967294u);
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_ACCEPTED);
	assert_true(r.ev.has_serial);
	assert_int_equal(r.ev.serial, 4294967294u);
	log_has(&r, "serial 4294967294");

	/* Owner in another case. */
	notify(&m, com_w, sizeof(com_w));
	answer(&m, COM_w, sizeof(COM_w), T_SOA, 5);
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_ACCEPTED);
	assert_true(r.ev.has_serial);
	assert_int_equal(r.ev.serial, 5);

	/* SOA rdata with compressed MNAME and RNAME (allowed for SOA, RFC 3597 §4). */
	notify(&m, com_w, sizeof(com_w));
	set16(&m, 6, 1);
	put16(&m, 0xc00c);
	put16(&m, T_SOA);
	put16(&m, C_IN);
	put32(&m, 3600);
	put16(&m, 2 + 1 + 10 + 2 + 20);
	put16(&m, 0xc00c);
	put(&m, "\x0a" "hostmaster", 11);
	put16(&m, 0xc00c);
	put32(&m, 4242);
	put32(&m, 1);
	put32(&m, 2);
	put32(&m, 3);
	put32(&m, 4);
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_ACCEPTED);
	assert_true(r.ev.has_serial);
	assert_int_equal(r.ev.serial, 4242);

	/* No hint unless the first ANSWER record is the zone's own SOA; the
	 * NOTIFY is accepted all the same. */
	static const struct {
		const uint8_t *owner;
		size_t len;
		uint16_t type;
	} no[] = {
		{ www_com_w, sizeof(www_com_w), T_SOA },
		{ net_w, sizeof(net_w), T_SOA },
		{ (const uint8_t *)"", 1, T_SOA }, /* the root */
		{ com_w, sizeof(com_w), T_A },
	};
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		ql = notify(&m, com_w, sizeof(com_w));
		answer(&m, no[i].owner, no[i].len, no[i].type, 99);
		handle(&m, &p, T0, &r);
		assert_int_equal(r.v, NOTIFYIN_ACCEPTED);
		check_reply(&r, &m, ql, R_NOERROR, 0);
		if (r.ev.has_serial) {
			print_error("case %zu: serial hint %u taken from a record that is not the zone's SOA\n", i,
				    r.ev.serial);
			fail();
		}
		assert_null(strstr(r.log, "serial"));
	}

	/* An SOA whose rdata is too short for the five numbers: no hint. */
	notify(&m, com_w, sizeof(com_w));
	set16(&m, 6, 1);
	put(&m, com_w, sizeof(com_w));
	put16(&m, T_SOA);
	put16(&m, C_IN);
	put32(&m, 3600);
	put16(&m, 2 + 16);
	put(&m, "\0\0", 2);
	for (int i = 0; i < 4; i++)
		put32(&m, 7);
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_ACCEPTED);
	assert_false(r.ev.has_serial);
}

/* ---- small helpers of the header ---- */

static void
test_helpers(void **state)
{
	m_t m;
	notify(&m, com_w, sizeof(com_w));
	assert_true(notifyin_is_notify(m.b, m.len));
	assert_true(notifyin_is_notify(m.b, 12));
	assert_false(notifyin_is_notify(m.b, 11));
	m.b[2] = 0x01; /* opcode QUERY, RD */
	assert_false(notifyin_is_notify(m.b, m.len));
	m.b[2] = 0x28; /* opcode UPDATE */
	assert_false(notifyin_is_notify(m.b, m.len));
	m.b[2] = 0xa4; /* a NOTIFY response is still a NOTIFY (notifyin_handle drops it) */
	assert_true(notifyin_is_notify(m.b, m.len));

	char buf[64];
	peer_t p = peer4("192.0.2.1", 5300);
	acl_addr_str((const struct sockaddr *)&p.ss, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.1@5300");
	p = peer6("2001:db8::1", 53);
	acl_addr_str((const struct sockaddr *)&p.ss, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::1@53");
	/* truncated to the buffer, still terminated */
	memset(buf, 'x', sizeof(buf));
	acl_addr_str((const struct sockaddr *)&p.ss, buf, 6);
	assert_string_equal(buf, "2001:");

	/* A tiny log buffer is filled, not overrun. */
	res_t r;
	memset(&r, 0, sizeof(r));
	memset(r.log, 'x', sizeof(r.log));
	p = peer4("192.0.2.1", 53);
	r.v = notifyin_handle(&fx.pol, m.b, 0, (const struct sockaddr *)&p.ss, p.len, T0, r.out, sizeof(r.out),
			      &r.outlen, &r.ev, r.log, 4);
	assert_int_equal(r.v, NOTIFYIN_DROP);
	assert_int_equal(r.log[3], '\0');
	assert_int_equal(r.log[4], 'x');
	notify(&m, com_w, sizeof(com_w));
	r.v = notifyin_handle(&fx.pol, m.b, m.len, (const struct sockaddr *)&p.ss, p.len, T0, r.out, sizeof(r.out),
			      &r.outlen, &r.ev, r.log, 4);
	assert_int_equal(r.v, NOTIFYIN_ACCEPTED);
	assert_int_equal(r.log[3], '\0');
	assert_int_equal(r.log[4], 'x');
}

/* ---- robustness ---- */

/* A signed NOTIFY with an SOA hint, accepted as a whole. */
static void
signed_notify(m_t *m, tsig_ctx_t *c)
{
	notify(m, net_w, sizeof(net_w));
	answer(m, (const uint8_t *)"\xc0\x0c", 2, T_SOA, 12345);
	sign(m, key(fx.kr, "ns-key."), c);
}

static void
test_truncations(void **state)
{
	m_t m;
	res_t r;
	tsig_ctx_t c;
	peer_t p = peer4("198.51.100.7", 53);
	signed_notify(&m, &c);
	tsig_ctx_clear(&c);
	handle(&m, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_ACCEPTED);
	assert_int_equal(r.ev.serial, 12345);

	/* Every prefix: dropped below a header, else FORMERR (the counts no
	 * longer match the octets), never accepted, never signed. */
	for (size_t n = 0; n < m.len; n++) {
		handle_pol(&fx.pol, m.b, n, &p, T0, &r);
		if (n < 12) {
			assert_int_equal(r.v, NOTIFYIN_DROP);
			assert_int_equal(r.outlen, 0);
			continue;
		}
		if (r.v != NOTIFYIN_REFUSED || r.outlen < 12 || (get16(r.out + 2) & 0xf) != R_FORMERR) {
			print_error("prefix of %zu/%zu octets: verdict %d, %zu octets, rcode %d (%s)\n", n, m.len,
				    (int)r.v, r.outlen, r.outlen >= 12 ? get16(r.out + 2) & 0xf : -1, r.log);
			fail();
		}
		assert_int_equal(get16(r.out), ID);
		assert_int_equal(get16(r.out + 2) & F_QR, F_QR);
		assert_int_equal(get16(r.out + 10), 0);
	}
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static void
test_mutations(void **state)
{
	m_t m, mut;
	res_t r;
	tsig_ctx_t c;
	peer_t p = peer4("198.51.100.7", 53);
	signed_notify(&m, &c);
	tsig_ctx_clear(&c);
	size_t accepted = 0;
	for (int it = 0; it < 20000; it++) {
		mut = m;
		int flips = 1 + (int)(rnd() % 4);
		for (int k = 0; k < flips; k++)
			mut.b[rnd() % mut.len] = (uint8_t)rnd();
		if (rnd() % 4 == 0)
			mut.len = rnd() % (mut.len + 1);
		handle(&mut, &p, T0, &r);
		if (r.v == NOTIFYIN_DROP) {
			assert_int_equal(r.outlen, 0);
			continue;
		}
		/* Any answer is a NOTIFY response to this message. */
		assert_true(r.outlen >= 12);
		assert_int_equal(get16(r.out), get16(mut.b));
		assert_int_equal(get16(r.out + 2) & F_QR, F_QR);
		assert_int_equal((get16(r.out + 2) >> 11) & 0xf, 4);
		assert_int_equal(get16(r.out + 6), 0);
		assert_int_equal(get16(r.out + 8), 0);
		if (r.v == NOTIFYIN_ACCEPTED) {
			/* only for example.net. (the only zone this sender may NOTIFY) */
			accepted++;
			assert_memory_equal(r.ev.origin, net_w, sizeof(net_w));
			assert_int_equal(get16(r.out + 2) & 0xf, R_NOERROR);
		}
	}
	/* Some mutations (the ID, say) keep the message valid: the loop did see accepts. */
	assert_true(accepted > 0);
}

/* Zones that come and go (catalog members) are found through the lookup
 * callback: its ACL applies, and no answer from it means NOTAUTH. */
static const acl_t *
lookup_net(const void *ctx, const uint8_t *origin)
{
	const acl_t *net = ctx;
	return dname_eq(origin, net_w) ? net : NULL;
}

static void
test_lookup(void **state)
{
	m_t m;
	res_t r;
	acl_t net = { &fx.rules[0], 2 }; /* 192.0.2.0/24 */
	notifyin_policy_t pol = { fx.kr, NULL, 0, lookup_net, &net };
	peer_t p = peer4("192.0.2.1", 5300);
	size_t ql = notify(&m, net_w, sizeof(net_w));
	handle_pol(&pol, m.b, m.len, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_ACCEPTED);
	check_reply(&r, &m, ql, R_NOERROR, 0);
	assert_memory_equal(r.ev.origin, net_w, sizeof(net_w));
	/* the callback's ACL, not the static one of example.net. (198.51.100.7 with a key) */
	p = peer4("198.51.100.7", 53);
	handle_pol(&pol, m.b, m.len, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_REFUSED);
	check_reply(&r, &m, ql, R_REFUSED, 0);
	/* a zone the callback does not know */
	ql = notify(&m, com_w, sizeof(com_w));
	p = peer4("192.0.2.1", 5300);
	handle_pol(&pol, m.b, m.len, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_REFUSED);
	check_reply(&r, &m, ql, R_NOTAUTH, 0);
	/* the static list is searched first */
	pol.zones = fx.zones;
	pol.nzones = 1; /* example.com.: 192.0.2.0/24 */
	handle_pol(&pol, m.b, m.len, &p, T0, &r);
	assert_int_equal(r.v, NOTIFYIN_ACCEPTED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept_unsigned), cmocka_unit_test(test_accept_signed),
		cmocka_unit_test(test_refused_acl),     cmocka_unit_test(test_notauth_zone),
		cmocka_unit_test(test_tsig_errors),     cmocka_unit_test(test_formerr),
		cmocka_unit_test(test_drop),            cmocka_unit_test(test_serial_hint),
		cmocka_unit_test(test_helpers),         cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_mutations),       cmocka_unit_test(test_lookup),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
