/* SPDX-License-Identifier: MIT */
/**
 * \file
 * TSIG (RFC 8945) on OpenSSL 3 HMAC: keyring, the TSIG RR on the wire,
 * the digest of §4.3 (request MAC, message, TSIG variables) and of §5.3.1
 * (prior MAC, messages, timers), server and client sides. No logging, no
 * globals: callers log the verdicts.
 *
 * Each key keeps an HMAC context initialised with its secret; we keep no
 * copy of the secret ourselves (OpenSSL's context holds one and cleanses it
 * on free). Every MAC computation duplicates that context: the key schedule
 * is done once per key, and duplicating only reads the template, so the
 * keyring stays read-only and shareable between worker threads.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <stdatomic.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "dns/dname.h"
#include "dns/pkt.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "tsig/tsig.h"
#include "util/err.h"

/* Fixed part of the TSIG rdata after the algorithm name: time (6), fudge
 * (2), MAC size (2), then after the MAC: original ID (2), error (2), other
 * length (2). */
#define TSIG_RDATA_FIXED 16
/* Type, class, TTL, rdlength. */
#define RR_FIXED 10
/* Other Data of a BADTIME response: our 48-bit time. */
#define TSIG_BADTIME_OTHER 6

typedef struct {
	tsig_alg_t alg;
	const char *name;       /* configuration name */
	const uint8_t *wire;    /* algorithm name in wire format */
	uint8_t wire_len;
	const char *digest;     /* OpenSSL digest name */
	uint8_t maclen;
} alg_desc_t;

static const alg_desc_t alg_table[] = {
	{ TSIG_ALG_HMAC_SHA1, "hmac-sha1", (const uint8_t *)"\011hmac-sha1", 11, "SHA1", 20 },
	{ TSIG_ALG_HMAC_SHA224, "hmac-sha224", (const uint8_t *)"\013hmac-sha224", 13, "SHA224", 28 },
	{ TSIG_ALG_HMAC_SHA256, "hmac-sha256", (const uint8_t *)"\013hmac-sha256", 13, "SHA256", 32 },
	{ TSIG_ALG_HMAC_SHA384, "hmac-sha384", (const uint8_t *)"\013hmac-sha384", 13, "SHA384", 48 },
	{ TSIG_ALG_HMAC_SHA512, "hmac-sha512", (const uint8_t *)"\013hmac-sha512", 13, "SHA512", 64 },
};
#define ALG_COUNT (sizeof(alg_table) / sizeof(alg_table[0]))

struct tsig_key {
	uint8_t name[DNAME_MAXLEN]; /* lowercased wire */
	uint8_t name_len;
	const alg_desc_t *alg;
	EVP_MAC_CTX *tmpl; /* HMAC initialised with the secret; only duplicated */
	tsig_keyring_t *ring; /* for tsig_key_hold(): a key lives as long as its ring */
	char *file;        /* where it was read, NULL = added by hand */
	unsigned line;
	bool retiring;
	/* Use counters (flamectl key list): a rotation is done when the old
	 * key's counters stop moving. Relaxed atomics: workers bump them. */
	atomic_uint_fast64_t verified;  /* requests verified with it (inbound) */
	atomic_uint_fast64_t signed_;   /* requests signed with it (outbound) */
	atomic_int_fast64_t last_used;  /* seconds since the epoch, 0 = never */
};

struct tsig_keyring {
	tsig_key_t **keys;
	size_t count, cap;
	/* Shared by the workers, the transfers in flight and the control loop:
	 * a reload drops the loop's reference and the last holder frees it. */
	atomic_uint refs;
};

/* A TSIG RR found in a message. Pointers point into the message. */
typedef struct {
	size_t rr_start; /* offset of the TSIG RR (= length of the unsigned message) */
	uint16_t arcount;
	uint8_t name[DNAME_MAXLEN];
	uint8_t name_len;
	uint8_t alg[DNAME_MAXLEN];
	uint8_t alg_len;
	uint64_t time_signed;
	uint16_t fudge;
	uint16_t mac_len;
	const uint8_t *mac;
	uint16_t orig_id;
	uint16_t error;
	uint16_t other_len;
	const uint8_t *other;
} tsig_rr_t;

typedef enum { FIND_NONE = 0, FIND_FOUND = 1, FIND_FORMERR = 2 } find_t;

static const alg_desc_t *alg_by_id(tsig_alg_t alg);
static const alg_desc_t *alg_by_wire(const uint8_t *wire, size_t len);
static void key_free(tsig_key_t *key);
static find_t find_tsig(const uint8_t *msg, size_t len, tsig_rr_t *rr);
static int mac_compute(EVP_MAC_CTX *c, const uint8_t *msg, size_t msg_len, uint16_t id, bool dec_arcount,
		       const uint8_t *vars, size_t vars_len, const uint8_t *other, size_t other_len, uint8_t *out,
		       size_t *out_len);
static EVP_MAC_CTX *mac_start(const tsig_key_t *key, const uint8_t *prior, size_t prior_len);

/* ---- algorithms ---- */

static const alg_desc_t *
alg_by_id(tsig_alg_t alg)
{
	for (size_t i = 0; i < ALG_COUNT; i++)
		if (alg_table[i].alg == alg)
			return &alg_table[i];
	return NULL;
}

/* wire is lowercased */
static const alg_desc_t *
alg_by_wire(const uint8_t *wire, size_t len)
{
	for (size_t i = 0; i < ALG_COUNT; i++)
		if (alg_table[i].wire_len == len && memcmp(alg_table[i].wire, wire, len) == 0)
			return &alg_table[i];
	return NULL;
}

/* Length of s without one trailing dot. */
static size_t
strip_dot(const char *s, size_t len)
{
	return (len > 0 && s[len - 1] == '.') ? len - 1 : len;
}

tsig_alg_t
tsig_alg_from_str(const char *s, size_t len)
{
	len = strip_dot(s, len);
	for (size_t i = 0; i < ALG_COUNT; i++)
		if (strlen(alg_table[i].name) == len && strncasecmp(alg_table[i].name, s, len) == 0)
			return alg_table[i].alg;
	return TSIG_ALG_NONE;
}

bool
tsig_alg_is_md5(const char *s, size_t len)
{
	static const char *const md5[] = { "hmac-md5", "hmac-md5.sig-alg.reg.int" };
	len = strip_dot(s, len);
	for (size_t i = 0; i < 2; i++)
		if (strlen(md5[i]) == len && strncasecmp(md5[i], s, len) == 0)
			return true;
	return false;
}

const char *
tsig_alg_name(tsig_alg_t alg)
{
	const alg_desc_t *d = alg_by_id(alg);
	return d != NULL ? d->name : "unknown";
}

size_t
tsig_alg_maclen(tsig_alg_t alg)
{
	const alg_desc_t *d = alg_by_id(alg);
	return d != NULL ? d->maclen : 0;
}

const char *
tsig_result_str(int result)
{
	switch (result) {
	case TSIG_OK: return "ok";
	case TSIG_FORMERR: return "malformed or misplaced TSIG";
	case TSIG_BADSIG: return "BADSIG (MAC does not verify)";
	case TSIG_BADKEY: return "BADKEY (unknown key or algorithm)";
	case TSIG_BADTIME: return "BADTIME (time outside the fudge window)";
	case TSIG_BADTRUNC: return "BADTRUNC (truncated MAC not accepted)";
	case TSIG_NONE: return "no TSIG";
	case TSIG_UNSIGNED: return "required TSIG missing";
	default: return fl_strerror(result);
	}
}

int
tsig_result_rcode(int result)
{
	switch (result) {
	case TSIG_OK:
	case TSIG_NONE:
		return RCODE_NOERROR;
	case TSIG_FORMERR:
		return RCODE_FORMERR;
	case TSIG_BADSIG:
	case TSIG_BADKEY:
	case TSIG_BADTIME:
	case TSIG_BADTRUNC:
		return RCODE_NOTAUTH;
	default:
		return RCODE_SERVFAIL;
	}
}

/* ---- keyring ---- */

tsig_keyring_t *
tsig_keyring_new(void)
{
	tsig_keyring_t *kr = calloc(1, sizeof(tsig_keyring_t));
	if (kr != NULL)
		atomic_init(&kr->refs, 1);
	return kr;
}

static void
key_used(tsig_key_t *k, atomic_uint_fast64_t *counter, uint64_t now)
{
	atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
	atomic_store_explicit(&k->last_used, (int_fast64_t)now, memory_order_relaxed);
}

tsig_keyring_t *
tsig_keyring_ref(const tsig_keyring_t *ckr)
{
	tsig_keyring_t *kr = (tsig_keyring_t *)ckr;
	if (kr != NULL)
		atomic_fetch_add_explicit(&kr->refs, 1, memory_order_relaxed);
	return kr;
}

void
tsig_key_hold(const tsig_key_t *key)
{
	if (key != NULL)
		tsig_keyring_ref(key->ring);
}

void
tsig_key_release(const tsig_key_t *key)
{
	if (key != NULL)
		tsig_keyring_free(key->ring);
}

/* By name in any case (the callers have names as written in files). */
static tsig_key_t *
key_find_mut(tsig_keyring_t *kr, const uint8_t *name_wire)
{
	uint8_t low[DNAME_MAXLEN];
	int nl = dname_check(name_wire, DNAME_MAXLEN);
	if (nl < 0)
		return NULL;
	memcpy(low, name_wire, (size_t)nl);
	dname_lower(low);
	return (tsig_key_t *)tsig_keyring_find(kr, low);
}

int
tsig_keyring_set_source(tsig_keyring_t *kr, const uint8_t *name_wire, const char *file, unsigned line)
{
	tsig_key_t *k = key_find_mut(kr, name_wire);
	if (k == NULL)
		return FL_ENOENT;
	char *dup = strdup(file);
	if (dup == NULL)
		return FL_ENOMEM;
	free(k->file);
	k->file = dup;
	k->line = line;
	return 0;
}

int
tsig_keyring_mark_retiring(tsig_keyring_t *kr, const uint8_t *name_wire)
{
	tsig_key_t *k = key_find_mut(kr, name_wire);
	if (k == NULL)
		return FL_ENOENT;
	k->retiring = true;
	return 0;
}

const tsig_key_t *
tsig_keyring_at(const tsig_keyring_t *kr, size_t i)
{
	return i < kr->count ? kr->keys[i] : NULL;
}

const char *
tsig_key_file(const tsig_key_t *key, unsigned *line)
{
	if (line != NULL)
		*line = key->line;
	return key->file;
}

bool
tsig_key_retiring(const tsig_key_t *key)
{
	return key->retiring;
}

void
tsig_key_stats(const tsig_key_t *key, uint64_t *verified, uint64_t *signed_out, int64_t *last_used)
{
	tsig_key_t *k = (tsig_key_t *)key;
	*verified = atomic_load_explicit(&k->verified, memory_order_relaxed);
	*signed_out = atomic_load_explicit(&k->signed_, memory_order_relaxed);
	*last_used = atomic_load_explicit(&k->last_used, memory_order_relaxed);
}

static void
key_free(tsig_key_t *key)
{
	if (key == NULL)
		return;
	EVP_MAC_CTX_free(key->tmpl); /* OpenSSL cleanses the HMAC state */
	free(key->file);
	OPENSSL_cleanse(key, sizeof(*key));
	free(key);
}

void
tsig_keyring_truncate(tsig_keyring_t *kr, size_t count)
{
	while (kr->count > count)
		key_free(kr->keys[--kr->count]);
}

void
tsig_keyring_free(tsig_keyring_t *kr)
{
	if (kr == NULL || atomic_fetch_sub_explicit(&kr->refs, 1, memory_order_acq_rel) != 1)
		return;
	tsig_keyring_truncate(kr, 0);
	free(kr->keys);
	free(kr);
}

size_t
tsig_keyring_count(const tsig_keyring_t *kr)
{
	return kr->count;
}

const tsig_key_t *
tsig_keyring_find(const tsig_keyring_t *kr, const uint8_t *name_wire)
{
	/* Linear: a server has a handful of keys, and lookups happen once
	 * per signed request. */
	size_t len = dname_len(name_wire);
	for (size_t i = 0; i < kr->count; i++)
		if (kr->keys[i]->name_len == len && memcmp(kr->keys[i]->name, name_wire, len) == 0)
			return kr->keys[i];
	return NULL;
}

const uint8_t *
tsig_key_name(const tsig_key_t *key)
{
	return key->name;
}

tsig_alg_t
tsig_key_alg(const tsig_key_t *key)
{
	return key->alg->alg;
}

int
tsig_keyring_add(tsig_keyring_t *kr, const uint8_t *name, tsig_alg_t alg, const uint8_t *secret, size_t len)
{
	EVP_MAC *hmac = NULL;
	tsig_key_t *key = NULL;
	int ret;

	const alg_desc_t *d = alg_by_id(alg);
	int nl = dname_check(name, DNAME_MAXLEN);
	if (d == NULL || nl < 0 || secret == NULL || len == 0)
		return FL_EINVAL;
	key = calloc(1, sizeof(*key));
	if (key == NULL)
		return FL_ENOMEM;
	memcpy(key->name, name, (size_t)nl);
	key->name_len = (uint8_t)nl;
	dname_lower(key->name);
	key->alg = d;
	key->ring = kr;
	if (tsig_keyring_find(kr, key->name) != NULL) {
		ret = FL_EEXIST;
		goto fail;
	}

	hmac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
	if (hmac == NULL) {
		ret = FL_ENOTSUP;
		goto fail;
	}
	key->tmpl = EVP_MAC_CTX_new(hmac);
	if (key->tmpl == NULL) {
		ret = FL_ENOMEM;
		goto fail;
	}
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)d->digest, 0),
		OSSL_PARAM_construct_end(),
	};
	if (EVP_MAC_init(key->tmpl, secret, len, params) != 1) {
		ret = FL_ENOTSUP;
		goto fail;
	}

	if (kr->count == kr->cap) {
		size_t ncap = kr->cap == 0 ? 8 : kr->cap * 2;
		tsig_key_t **nk = reallocarray(kr->keys, ncap, sizeof(*nk));
		if (nk == NULL) {
			ret = FL_ENOMEM;
			goto fail;
		}
		kr->keys = nk;
		kr->cap = ncap;
	}
	kr->keys[kr->count++] = key;
	EVP_MAC_free(hmac); /* the context keeps its own reference */
	return 0;
fail:
	key_free(key);
	EVP_MAC_free(hmac);
	return ret;
}

/* ---- context ---- */

void
tsig_ctx_init(tsig_ctx_t *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
}

void
tsig_ctx_clear(tsig_ctx_t *ctx)
{
	EVP_MAC_CTX_free((EVP_MAC_CTX *)ctx->run);
	OPENSSL_cleanse(ctx, sizeof(*ctx));
}

/* ---- wire ---- */

/*
 * Walk the message to find a TSIG RR: it must be the last RR of the
 * additional section and the only one (RFC 8945 §5.1, §5.2). Anything the
 * walk cannot parse is FORMERR: without the record boundaries we cannot
 * tell what the MAC covers.
 */
static find_t
find_tsig(const uint8_t *msg, size_t len, tsig_rr_t *rr)
{
	uint8_t name[DNAME_MAXLEN];
	if (len < PKT_HDRLEN)
		return FIND_FORMERR;
	uint16_t qd = wire_u16(msg + 4);
	uint32_t an_ns = (uint32_t)wire_u16(msg + 6) + wire_u16(msg + 8);
	uint16_t ar = wire_u16(msg + 10);
	uint32_t total = an_ns + ar;
	size_t pos = PKT_HDRLEN;

	for (uint16_t i = 0; i < qd; i++) {
		if (dname_unpack(msg, len, &pos, name, false) < 0 || len - pos < 4)
			return FIND_FORMERR;
		pos += 4;
	}
	bool found = false;
	for (uint32_t i = 0; i < total; i++) {
		size_t start = pos;
		int nl = dname_unpack(msg, len, &pos, name, true);
		if (nl < 0 || len - pos < RR_FIXED)
			return FIND_FORMERR;
		uint16_t type = wire_u16(msg + pos);
		uint16_t rclass = wire_u16(msg + pos + 2);
		uint32_t ttl = wire_u32(msg + pos + 4);
		uint16_t rdlen = wire_u16(msg + pos + 8);
		pos += RR_FIXED;
		if (len - pos < rdlen)
			return FIND_FORMERR;
		size_t rdend = pos + rdlen;
		if (type != RR_TSIG) {
			pos = rdend;
			continue;
		}
		/* Not in ADDITIONAL, not last, or a second one. */
		if (i < an_ns || i != total - 1 || found)
			return FIND_FORMERR;
		if (rclass != RR_CLASS_ANY || ttl != 0)
			return FIND_FORMERR;
		found = true;
		rr->rr_start = start;
		rr->arcount = ar;
		memcpy(rr->name, name, (size_t)nl);
		rr->name_len = (uint8_t)nl;
		/* rdata; the algorithm name is read with dname_unpack (which
		 * tolerates compression) and must end inside the rdata. */
		int al = dname_unpack(msg, rdend, &pos, rr->alg, true);
		if (al < 0 || rdend - pos < TSIG_RDATA_FIXED)
			return FIND_FORMERR;
		rr->alg_len = (uint8_t)al;
		rr->time_signed = (uint64_t)wire_u16(msg + pos) << 32 | wire_u32(msg + pos + 2);
		rr->fudge = wire_u16(msg + pos + 6);
		rr->mac_len = wire_u16(msg + pos + 8);
		pos += 10;
		if (rdend - pos < (size_t)rr->mac_len + 6)
			return FIND_FORMERR;
		rr->mac = msg + pos;
		pos += rr->mac_len;
		rr->orig_id = wire_u16(msg + pos);
		rr->error = wire_u16(msg + pos + 2);
		rr->other_len = wire_u16(msg + pos + 4);
		pos += 6;
		if (rdend - pos != rr->other_len)
			return FIND_FORMERR;
		rr->other = msg + pos;
		pos = rdend;
	}
	if (found && pos != len)
		return FIND_FORMERR; /* trailing octets after the TSIG RR */
	return found ? FIND_FOUND : FIND_NONE;
}

/* Full TSIG variables (§4.3.3) without Other Data, into buf (>= 530 octets). */
static size_t
vars_write(uint8_t *buf, size_t cap, const uint8_t *name, size_t name_len, const uint8_t *alg, size_t alg_len,
	   uint64_t time_signed, uint16_t fudge, uint16_t error, uint16_t other_len)
{
	wire_t w;
	wire_init(&w, buf, cap);
	wire_put_bytes(&w, name, name_len);
	wire_put_u16(&w, RR_CLASS_ANY);
	wire_put_u32(&w, 0);
	wire_put_bytes(&w, alg, alg_len);
	wire_put_u16(&w, (uint16_t)(time_signed >> 32));
	wire_put_u32(&w, (uint32_t)time_signed);
	wire_put_u16(&w, fudge);
	wire_put_u16(&w, error);
	wire_put_u16(&w, other_len);
	return w.err == 0 ? wire_off(&w) : 0;
}

/* Timers only (§5.3.1): Time Signed and Fudge. */
static size_t
timers_write(uint8_t *buf, uint64_t time_signed, uint16_t fudge)
{
	wire_t w;
	wire_init(&w, buf, 8);
	wire_put_u16(&w, (uint16_t)(time_signed >> 32));
	wire_put_u32(&w, (uint32_t)time_signed);
	wire_put_u16(&w, fudge);
	return wire_off(&w);
}

#define VARS_MAX (2 * DNAME_MAXLEN + 20)

/* A new HMAC from the key's template, fed with a prior MAC (size + MAC) if any. */
static EVP_MAC_CTX *
mac_start(const tsig_key_t *key, const uint8_t *prior, size_t prior_len)
{
	EVP_MAC_CTX *c = EVP_MAC_CTX_dup(key->tmpl);
	if (c == NULL)
		return NULL;
	if (prior != NULL) {
		uint8_t sz[2];
		wire_set_u16(sz, (uint16_t)prior_len);
		if (EVP_MAC_update(c, sz, 2) != 1 || (prior_len > 0 && EVP_MAC_update(c, prior, prior_len) != 1)) {
			EVP_MAC_CTX_free(c);
			return NULL;
		}
	}
	return c;
}

/*
 * Feed the rest of a digest into c (already holding any prior MAC and
 * unsigned messages) and finish: the message with its ID replaced by the
 * Original ID and, when verifying, ARCOUNT decremented (§4.3.2); then the
 * variables or timers; then Other Data. Frees nothing: c belongs to the caller.
 */
static int
mac_compute(EVP_MAC_CTX *c, const uint8_t *msg, size_t msg_len, uint16_t id, bool dec_arcount,
	    const uint8_t *vars, size_t vars_len, const uint8_t *other, size_t other_len, uint8_t *out,
	    size_t *out_len)
{
	uint8_t hdr[PKT_HDRLEN];
	memcpy(hdr, msg, PKT_HDRLEN);
	wire_set_u16(hdr, id);
	if (dec_arcount)
		wire_set_u16(hdr + 10, (uint16_t)(wire_u16(hdr + 10) - 1));
	if (EVP_MAC_update(c, hdr, PKT_HDRLEN) != 1 ||
	    EVP_MAC_update(c, msg + PKT_HDRLEN, msg_len - PKT_HDRLEN) != 1 ||
	    EVP_MAC_update(c, vars, vars_len) != 1 ||
	    (other_len > 0 && EVP_MAC_update(c, other, other_len) != 1))
		return FL_ENOTSUP;
	if (EVP_MAC_final(c, out, out_len, TSIG_MAXMAC) != 1)
		return FL_ENOTSUP;
	return 0;
}

/* ---- server side ---- */

static bool
time_ok(uint64_t now, uint64_t signed_at, uint16_t fudge)
{
	uint64_t d = now > signed_at ? now - signed_at : signed_at - now;
	return d <= fudge;
}

/* MAC size rules of §5.2.2.1 for a hash of hlen octets. */
static bool
maclen_ok(size_t mac_len, size_t hlen)
{
	size_t min = hlen / 2 > 10 ? hlen / 2 : 10;
	return mac_len >= min && mac_len <= hlen;
}

int
tsig_verify_request(const tsig_keyring_t *kr, const uint8_t *msg, size_t len, uint64_t now, tsig_ctx_t *ctx)
{
	tsig_rr_t rr;
	EVP_MAC_CTX *c = NULL;
	int ret;

	/* Server contexts never hold OpenSSL state: plain reset. */
	memset(ctx, 0, sizeof(*ctx));
	find_t f = find_tsig(msg, len, &rr);
	if (f == FIND_NONE)
		return ctx->result = TSIG_NONE;
	if (f == FIND_FORMERR)
		return ctx->result = TSIG_FORMERR;

	ctx->orig_id = rr.orig_id;
	ctx->fudge = rr.fudge;
	ctx->time_signed = rr.time_signed;
	memcpy(ctx->key_name, rr.name, rr.name_len);
	ctx->key_name_len = rr.name_len;
	memcpy(ctx->alg_name, rr.alg, rr.alg_len);
	ctx->alg_name_len = rr.alg_len;

	/* §5.2.1: unknown key, or an algorithm that is not the key's. */
	const tsig_key_t *key = tsig_keyring_find(kr, rr.name);
	if (key == NULL || alg_by_wire(rr.alg, rr.alg_len) != key->alg) {
		ctx->error = TSIG_BADKEY;
		return ctx->result = TSIG_BADKEY;
	}
	ctx->key = key;

	/* §5.2.2.1: MAC size out of the allowed range is FORMERR. */
	size_t hlen = key->alg->maclen;
	if (!maclen_ok(rr.mac_len, hlen))
		return ctx->result = TSIG_FORMERR;

	uint8_t vars[VARS_MAX], mac[TSIG_MAXMAC];
	size_t vl = vars_write(vars, sizeof(vars), rr.name, rr.name_len, rr.alg, rr.alg_len, rr.time_signed,
			       rr.fudge, rr.error, rr.other_len);
	size_t ml = 0;
	c = mac_start(key, NULL, 0);
	if (c == NULL) {
		ret = FL_ENOMEM;
		goto fail;
	}
	ret = mac_compute(c, msg, rr.rr_start, rr.orig_id, true, vars, vl, rr.other, rr.other_len, mac,
			  &ml);
	EVP_MAC_CTX_free(c);
	c = NULL;
	if (ret != 0)
		goto fail;

	/* §5.2.2: compare the (possibly truncated) MAC in constant time. */
	if (ml != hlen || CRYPTO_memcmp(mac, rr.mac, rr.mac_len) != 0) {
		ctx->error = TSIG_BADSIG;
		return ctx->result = TSIG_BADSIG;
	}
	/* Validated: the response digest will include it (§4.3.1). */
	memcpy(ctx->mac, rr.mac, rr.mac_len);
	ctx->mac_len = rr.mac_len;
	OPENSSL_cleanse(mac, sizeof(mac));

	/* §5.2.3 */
	if (!time_ok(now, rr.time_signed, rr.fudge)) {
		ctx->error = TSIG_BADTIME;
		return ctx->result = TSIG_BADTIME;
	}
	/* §5.2.4: our policy accepts only full-length MACs. */
	if (rr.mac_len < hlen) {
		ctx->error = TSIG_BADTRUNC;
		return ctx->result = TSIG_BADTRUNC;
	}
	key_used((tsig_key_t *)key, &((tsig_key_t *)key)->verified, now);
	return ctx->result = TSIG_OK;
fail:
	EVP_MAC_CTX_free(c);
	ctx->result = ret;
	return ret;
}

/* Size of a TSIG RR with these parts. */
static size_t
rr_size(size_t name_len, size_t alg_len, size_t mac_len, size_t other_len)
{
	return name_len + RR_FIXED + alg_len + TSIG_RDATA_FIXED + mac_len + other_len;
}

size_t
tsig_key_reserve(const tsig_key_t *key)
{
	return rr_size(key->name_len, key->alg->wire_len, key->alg->maclen, 0);
}

size_t
tsig_reserve(const tsig_ctx_t *ctx)
{
	if (ctx->client)
		return ctx->key != NULL ? tsig_key_reserve(ctx->key) : 0;
	switch (ctx->result) {
	case TSIG_OK:
	case TSIG_BADTRUNC:
		return tsig_key_reserve(ctx->key);
	case TSIG_BADTIME:
		return rr_size(ctx->key->name_len, ctx->key->alg->wire_len, ctx->key->alg->maclen,
			       TSIG_BADTIME_OTHER);
	case TSIG_BADKEY:
	case TSIG_BADSIG:
		return rr_size(ctx->key_name_len, ctx->alg_name_len, 0, 0);
	default:
		return 0;
	}
}

/* Append a TSIG RR and bump ARCOUNT; checks room first, so on error the
 * message is unchanged. */
static int
rr_append(uint8_t *msg, size_t *len, size_t cap, const uint8_t *name, size_t name_len, const uint8_t *alg,
	  size_t alg_len, uint64_t time_signed, uint16_t fudge, const uint8_t *mac, size_t mac_len,
	  uint16_t orig_id, uint16_t error, const uint8_t *other, size_t other_len)
{
	uint16_t ar = wire_u16(msg + 10);
	if (ar == UINT16_MAX)
		return FL_ELIMIT;
	size_t need = rr_size(name_len, alg_len, mac_len, other_len);
	if (*len > cap || cap - *len < need)
		return FL_ESPACE;
	wire_t w;
	wire_init(&w, msg + *len, cap - *len);
	wire_put_bytes(&w, name, name_len);
	wire_put_u16(&w, RR_TSIG);
	wire_put_u16(&w, RR_CLASS_ANY);
	wire_put_u32(&w, 0);
	wire_put_u16(&w, (uint16_t)(alg_len + TSIG_RDATA_FIXED + mac_len + other_len));
	wire_put_bytes(&w, alg, alg_len);
	wire_put_u16(&w, (uint16_t)(time_signed >> 32));
	wire_put_u32(&w, (uint32_t)time_signed);
	wire_put_u16(&w, fudge);
	wire_put_u16(&w, (uint16_t)mac_len);
	wire_put_bytes(&w, mac, mac_len);
	wire_put_u16(&w, orig_id);
	wire_put_u16(&w, error);
	wire_put_u16(&w, (uint16_t)other_len);
	wire_put_bytes(&w, other, other_len);
	if (w.err != 0)
		return FL_ESPACE;
	*len += wire_off(&w);
	wire_set_u16(msg + 10, (uint16_t)(ar + 1));
	return 0;
}

/* Time as 48 bits (Time Signed, BADTIME Other Data). */
static uint64_t
time48(uint64_t t)
{
	return t & 0xFFFFFFFFFFFFull;
}

int
tsig_sign_response(tsig_ctx_t *ctx, uint8_t *msg, size_t *len, size_t cap, uint64_t now)
{
	if (*len < PKT_HDRLEN)
		return FL_EMALF;
	int res = ctx->result;
	if (ctx->client || res == TSIG_NONE || res == TSIG_FORMERR || res < 0)
		return 0;
	if (res == TSIG_BADKEY || res == TSIG_BADSIG) {
		/* §5.3.2: unsigned error response, MAC size 0. */
		return rr_append(msg, len, cap, ctx->key_name, ctx->key_name_len, ctx->alg_name, ctx->alg_name_len,
				 time48(now), TSIG_FUDGE_DEFAULT, NULL, 0, ctx->orig_id, (uint16_t)res, NULL, 0);
	}

	const tsig_key_t *key = ctx->key;
	uint8_t other[TSIG_BADTIME_OTHER];
	size_t other_len = 0;
	uint64_t ts = time48(now);
	uint16_t error = 0;
	if (res == TSIG_BADTIME) {
		/* §5.2.3: signed; our time goes into Other Data, Time Signed
		 * stays the request's so the client's time check passes. */
		wire_set_u16(other, (uint16_t)(ts >> 32));
		wire_set_u32(other + 2, (uint32_t)ts);
		other_len = TSIG_BADTIME_OTHER;
		ts = ctx->time_signed;
		error = TSIG_BADTIME;
	} else if (res == TSIG_BADTRUNC) {
		error = TSIG_BADTRUNC;
	}
	/* Check room before the (costly) MAC. */
	size_t need = rr_size(key->name_len, key->alg->wire_len, key->alg->maclen, other_len);
	if (*len > cap || cap - *len < need)
		return FL_ESPACE;

	uint8_t vars[VARS_MAX], mac[TSIG_MAXMAC];
	size_t vl;
	if (ctx->nsigned == 0)
		vl = vars_write(vars, sizeof(vars), key->name, key->name_len, key->alg->wire, key->alg->wire_len, ts,
				TSIG_FUDGE_DEFAULT, error, (uint16_t)other_len);
	else
		vl = timers_write(vars, ts, TSIG_FUDGE_DEFAULT);
	/* First message: the validated request MAC (§4.3.1); later ones: our prior MAC (§5.3.1). */
	EVP_MAC_CTX *c = mac_start(key, ctx->mac, ctx->mac_len);
	if (c == NULL)
		return FL_ENOMEM;
	size_t ml = 0;
	int ret = mac_compute(c, msg, *len, ctx->orig_id, false, vars, vl, other,
			      ctx->nsigned == 0 ? other_len : 0, mac, &ml);
	EVP_MAC_CTX_free(c);
	if (ret != 0)
		return ret;
	ret = rr_append(msg, len, cap, key->name, key->name_len, key->alg->wire, key->alg->wire_len, ts,
			TSIG_FUDGE_DEFAULT, mac, ml, ctx->orig_id, error, other, other_len);
	if (ret != 0)
		return ret;
	memcpy(ctx->mac, mac, ml);
	ctx->mac_len = (uint16_t)ml;
	ctx->nsigned++;
	OPENSSL_cleanse(mac, sizeof(mac));
	return 0;
}

/* ---- client side ---- */

int
tsig_sign_request(const tsig_key_t *key, uint8_t *msg, size_t *len, size_t cap, uint64_t now, uint16_t fudge,
		  tsig_ctx_t *ctx)
{
	tsig_ctx_clear(ctx);
	if (key == NULL)
		return FL_EINVAL;
	if (*len < PKT_HDRLEN)
		return FL_EMALF;
	if (fudge == 0)
		fudge = TSIG_FUDGE_DEFAULT;
	uint64_t ts = time48(now);
	uint16_t id = wire_u16(msg);
	size_t need = tsig_key_reserve(key);
	if (*len > cap || cap - *len < need)
		return FL_ESPACE;

	uint8_t vars[VARS_MAX], mac[TSIG_MAXMAC];
	size_t vl = vars_write(vars, sizeof(vars), key->name, key->name_len, key->alg->wire, key->alg->wire_len, ts,
			       fudge, 0, 0);
	EVP_MAC_CTX *c = mac_start(key, NULL, 0);
	if (c == NULL)
		return FL_ENOMEM;
	size_t ml = 0;
	int ret = mac_compute(c, msg, *len, id, false, vars, vl, NULL, 0, mac, &ml);
	EVP_MAC_CTX_free(c);
	if (ret != 0)
		return ret;
	ret = rr_append(msg, len, cap, key->name, key->name_len, key->alg->wire, key->alg->wire_len, ts, fudge, mac,
			ml, id, 0, NULL, 0);
	if (ret != 0)
		return ret;
	ctx->client = true;
	ctx->key = key;
	ctx->orig_id = id;
	ctx->fudge = fudge;
	ctx->time_signed = ts;
	memcpy(ctx->key_name, key->name, key->name_len);
	ctx->key_name_len = key->name_len;
	memcpy(ctx->alg_name, key->alg->wire, key->alg->wire_len);
	ctx->alg_name_len = key->alg->wire_len;
	memcpy(ctx->mac, mac, ml);
	ctx->mac_len = (uint16_t)ml;
	ctx->result = TSIG_OK;
	OPENSSL_cleanse(mac, sizeof(mac));
	key_used((tsig_key_t *)key, &((tsig_key_t *)key)->signed_, now);
	return 0;
}

/* Record a client verdict; errors are sticky. */
static int
client_fail(tsig_ctx_t *ctx, int verdict)
{
	EVP_MAC_CTX_free((EVP_MAC_CTX *)ctx->run);
	ctx->run = NULL;
	ctx->last_signed = false;
	ctx->result = verdict;
	return verdict;
}

/* Verdict for an error code a server put in its TSIG. */
static int
peer_verdict(uint16_t error)
{
	switch (error) {
	case TSIG_BADSIG:
	case TSIG_BADKEY:
	case TSIG_BADTIME:
	case TSIG_BADTRUNC:
		return error;
	default:
		return TSIG_FORMERR;
	}
}

int
tsig_verify_response(tsig_ctx_t *ctx, const uint8_t *msg, size_t len, uint64_t now)
{
	tsig_rr_t rr;
	if (!ctx->client || ctx->key == NULL)
		return FL_EINVAL;
	if (ctx->result != TSIG_OK && ctx->result != TSIG_NONE)
		return ctx->result;
	const tsig_key_t *key = ctx->key;

	find_t f = find_tsig(msg, len, &rr);
	if (f == FIND_FORMERR)
		return client_fail(ctx, TSIG_FORMERR);
	if (f == FIND_NONE) {
		/* §5.3.1: the first message must be signed; then up to 99
		 * unsigned ones, covered by the next MAC. */
		if (ctx->nsigned == 0 || ctx->nunsigned >= TSIG_MAX_UNSIGNED)
			return client_fail(ctx, TSIG_UNSIGNED);
		if (ctx->run == NULL) {
			ctx->run = (struct evp_mac_ctx_st *)mac_start(key, ctx->mac, ctx->mac_len);
			if (ctx->run == NULL)
				return client_fail(ctx, FL_ENOMEM);
		}
		if (EVP_MAC_update((EVP_MAC_CTX *)ctx->run, msg, len) != 1)
			return client_fail(ctx, FL_ENOTSUP);
		ctx->nunsigned++;
		ctx->last_signed = false;
		return ctx->result = TSIG_NONE;
	}

	ctx->peer_error = rr.error;
	if (rr.name_len != key->name_len || memcmp(rr.name, key->name, rr.name_len) != 0 ||
	    alg_by_wire(rr.alg, rr.alg_len) != key->alg)
		return client_fail(ctx, TSIG_BADKEY);
	if (rr.mac_len == 0 && rr.error != 0)
		return client_fail(ctx, peer_verdict(rr.error)); /* unsigned error (BADKEY, BADSIG) */
	size_t hlen = key->alg->maclen;
	if (!maclen_ok(rr.mac_len, hlen))
		return client_fail(ctx, TSIG_FORMERR);

	uint8_t vars[VARS_MAX], mac[TSIG_MAXMAC];
	size_t vl;
	if (ctx->nsigned == 0)
		vl = vars_write(vars, sizeof(vars), rr.name, rr.name_len, rr.alg, rr.alg_len, rr.time_signed,
				rr.fudge, rr.error, rr.other_len);
	else
		vl = timers_write(vars, rr.time_signed, rr.fudge);
	EVP_MAC_CTX *c = (EVP_MAC_CTX *)ctx->run;
	ctx->run = NULL;
	if (c == NULL)
		c = mac_start(key, ctx->mac, ctx->mac_len);
	if (c == NULL)
		return client_fail(ctx, FL_ENOMEM);
	size_t ml = 0;
	int ret = mac_compute(c, msg, rr.rr_start, rr.orig_id, true, vars, vl, rr.other,
			      ctx->nsigned == 0 ? rr.other_len : 0, mac, &ml);
	EVP_MAC_CTX_free(c);
	if (ret != 0)
		return client_fail(ctx, ret);
	if (ml != hlen || CRYPTO_memcmp(mac, rr.mac, rr.mac_len) != 0) {
		ctx->peer_error = 0;
		return client_fail(ctx, TSIG_BADSIG);
	}
	OPENSSL_cleanse(mac, sizeof(mac));
	if (rr.error != 0) {
		if (rr.error == TSIG_BADTIME && rr.other_len == TSIG_BADTIME_OTHER)
			ctx->peer_time = (uint64_t)wire_u16(rr.other) << 32 | wire_u32(rr.other + 2);
		return client_fail(ctx, peer_verdict(rr.error));
	}
	if (!time_ok(now, rr.time_signed, rr.fudge))
		return client_fail(ctx, TSIG_BADTIME);
	if (rr.mac_len < hlen)
		return client_fail(ctx, TSIG_BADTRUNC);
	memcpy(ctx->mac, rr.mac, rr.mac_len);
	ctx->mac_len = rr.mac_len;
	ctx->nsigned++;
	ctx->nunsigned = 0;
	ctx->last_signed = true;
	return ctx->result = TSIG_OK;
}

int
tsig_verify_end(const tsig_ctx_t *ctx)
{
	if (!ctx->client)
		return FL_EINVAL;
	if (ctx->result != TSIG_OK && ctx->result != TSIG_NONE)
		return ctx->result;
	if (ctx->nsigned == 0 || !ctx->last_signed)
		return TSIG_UNSIGNED;
	return TSIG_OK;
}
