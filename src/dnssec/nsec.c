/* SPDX-License-Identifier: MIT */
/**
 * \file
 * NSEC/NSEC3 primitives (see nsec.h). Output goes through the wire cursor,
 * so every writer checks its room once at the end.
 */
#include "dnssec/nsec.h"

#include <limits.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <string.h>

#include "dns/dname.h"
#include "dns/wire.h"
#include "util/err.h"

#define WINDOW_MAXBYTES 32 /* 256 types per window, one bit each */

static const char b32hex_alphabet[] = "0123456789abcdefghijklmnopqrstuv";

int
nsec_bitmap(const uint16_t *types, size_t n, uint8_t *out, size_t cap)
{
	/* Which windows occur; then one pass over the types per window. The
	 * lists a signer passes are short, so this beats sorting a copy and
	 * keeps the stack small (no 8 KiB bit array). */
	uint8_t present[256 / 8] = { 0 };
	for (size_t i = 0; i < n; i++)
		present[types[i] >> 11] |= (uint8_t)(0x80 >> ((types[i] >> 8) & 7));

	wire_t w;
	wire_init(&w, out, cap);
	for (unsigned win = 0; win < 256; win++) {
		if (present[win >> 3] == 0) {
			win |= 7; /* none of these 8 windows: skip them at once */
			continue;
		}
		if (!(present[win >> 3] & (0x80 >> (win & 7))))
			continue;
		uint8_t block[WINDOW_MAXBYTES] = { 0 };
		size_t used = 0;
		for (size_t i = 0; i < n; i++) {
			if ((types[i] >> 8) != win)
				continue;
			size_t octet = (types[i] & 0xff) >> 3;
			block[octet] |= (uint8_t)(0x80 >> (types[i] & 7));
			if (octet + 1 > used)
				used = octet + 1;
		}
		wire_put_u8(&w, (uint8_t)win);
		wire_put_u8(&w, (uint8_t)used);
		wire_put_bytes(&w, block, used);
	}
	if (w.err != 0)
		return w.err;
	return (int)wire_off(&w);
}

bool
nsec_bitmap_has(const uint8_t *bm, size_t len, uint16_t type)
{
	unsigned want = type >> 8;
	size_t octet = (type & 0xff) >> 3;
	size_t pos = 0;
	while (len - pos >= 2) {
		unsigned win = bm[pos];
		size_t blen = bm[pos + 1];
		if (blen == 0 || blen > WINDOW_MAXBYTES || blen > len - pos - 2)
			return false;
		if (win == want)
			return octet < blen && (bm[pos + 2 + octet] & (0x80 >> (type & 7))) != 0;
		pos += 2 + blen;
	}
	return false;
}

int
nsec_bitmap_check(const uint8_t *bm, size_t len)
{
	size_t pos = 0;
	int prev = -1;
	while (pos < len) {
		if (len - pos < 2)
			return FL_EMALF;
		int win = bm[pos];
		size_t blen = bm[pos + 1];
		if (win <= prev || blen == 0 || blen > WINDOW_MAXBYTES || blen > len - pos - 2)
			return FL_EMALF;
		/* RFC 4034 §4.1.2: trailing zero octets MUST NOT be present. */
		if (bm[pos + 1 + blen] == 0)
			return FL_EMALF;
		prev = win;
		pos += 2 + blen;
	}
	return 0;
}

int
nsec3_hash(const uint8_t *name, const uint8_t *salt, size_t saltlen, uint16_t iterations,
	   uint8_t out[NSEC3_HASHLEN])
{
	uint8_t canon[DNAME_MAXLEN];
	int nlen = dname_check(name, DNAME_MAXLEN);
	if (nlen < 0 || saltlen > NSEC3_SALT_MAX)
		return FL_EINVAL;
	/* §5: the hash is over the canonical (lowercase) wire form. */
	memcpy(canon, name, (size_t)nlen);
	dname_lower(canon);

	int ret = FL_ENOMEM; /* EVP calls below fail only for want of memory */
	EVP_MD_CTX *ctx = NULL;
	/* Fetched rather than EVP_sha1() so that a provider without SHA-1
	 * (FIPS) is told apart from an out-of-memory. */
	EVP_MD *md = EVP_MD_fetch(NULL, "SHA1", NULL);
	if (md == NULL) {
		ret = FL_ENOTSUP;
		goto fail;
	}
	if (EVP_MD_get_size(md) != NSEC3_HASHLEN) {
		ret = FL_ENOTSUP;
		goto fail;
	}
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		goto fail;

	const uint8_t *x = canon;
	size_t xlen = (size_t)nlen;
	for (uint32_t k = 0; k <= iterations; k++) {
		if (EVP_DigestInit_ex(ctx, md, NULL) != 1 || EVP_DigestUpdate(ctx, x, xlen) != 1 ||
		    (saltlen > 0 && EVP_DigestUpdate(ctx, salt, saltlen) != 1) ||
		    EVP_DigestFinal_ex(ctx, out, NULL) != 1)
			goto fail;
		x = out; /* IH(salt, x, k) = H(IH(salt, x, k-1) || salt) */
		xlen = NSEC3_HASHLEN;
	}
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(md);
	return 0;
fail:
	/* Nothing logs here; leave no stale error on this thread's queue. */
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(md);
	return ret;
}

int
nsec3_hash_cmp(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, NSEC3_HASHLEN);
}

size_t
b32hex_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
	if (cap > 0)
		out[0] = '\0';
	if (len > (SIZE_MAX - 4) / 8)
		return 0;
	size_t olen = (len * 8 + 4) / 5;
	if (olen >= cap)
		return 0;

	uint32_t acc = 0; /* holds fewer than 5 + 8 pending bits */
	unsigned bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = b32hex_alphabet[(acc >> bits) & 31];
		}
		acc &= (1u << bits) - 1;
	}
	if (bits > 0)
		out[o++] = b32hex_alphabet[(acc << (5 - bits)) & 31];
	out[o] = '\0';
	return o;
}

/* Value of a base32hex digit in either case, or -1. */
static int
b32hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'v')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'V')
		return c - 'A' + 10;
	return -1;
}

int
b32hex_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
	/* 1, 3 or 6 trailing characters carry less than one whole octet:
	 * no encoder produces them. */
	switch (len % 8) {
	case 1:
	case 3:
	case 6:
		return FL_ESYNTAX;
	default:
		break;
	}
	if (len > (size_t)INT_MAX)
		return FL_ESPACE;
	size_t olen = len * 5 / 8;
	if (olen > cap)
		return FL_ESPACE;

	wire_t w;
	wire_init(&w, out, cap);
	uint32_t acc = 0;
	unsigned bits = 0;
	for (size_t i = 0; i < len; i++) {
		int v = b32hex_value(in[i]);
		if (v < 0)
			return FL_ESYNTAX;
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			wire_put_u8(&w, (uint8_t)(acc >> bits));
			acc &= (1u << bits) - 1;
		}
	}
	/* RFC 4648 §3.5: reject non-zero pad bits, so the text is canonical. */
	if (acc != 0)
		return FL_ESYNTAX;
	if (w.err != 0)
		return w.err;
	return (int)wire_off(&w);
}

int
nsec3_owner(const uint8_t hash[NSEC3_HASHLEN], const uint8_t *origin, uint8_t *out)
{
	int olen = dname_check(origin, DNAME_MAXLEN);
	if (olen == FL_ENAMELEN)
		return FL_ENAMELEN;
	if (olen < 0)
		return FL_EINVAL;
	if (1 + NSEC3_B32LEN + (size_t)olen > DNAME_MAXLEN)
		return FL_ENAMELEN;

	char label[NSEC3_B32LEN + 1];
	if (b32hex_encode(hash, NSEC3_HASHLEN, label, sizeof(label)) != NSEC3_B32LEN)
		return FL_EINVAL; /* cannot happen: the label buffer is sized for it */

	wire_t w;
	wire_init(&w, out, DNAME_MAXLEN);
	wire_put_u8(&w, NSEC3_B32LEN);
	wire_put_bytes(&w, (const uint8_t *)label, NSEC3_B32LEN);
	wire_put_bytes(&w, origin, (size_t)olen);
	if (w.err != 0)
		return w.err;
	dname_lower(out);
	return (int)wire_off(&w);
}

int
nsec_rdata(const uint8_t *next, const uint8_t *bm, size_t bmlen, uint8_t *out, size_t cap)
{
	int nlen = dname_check(next, DNAME_MAXLEN);
	if (nlen < 0 || nsec_bitmap_check(bm, bmlen) != 0)
		return FL_EINVAL;

	wire_t w;
	wire_init(&w, out, cap);
	/* As given: RFC 6840 §5.1, NSEC RDATA is not lowercased. */
	wire_put_bytes(&w, next, (size_t)nlen);
	wire_put_bytes(&w, bm, bmlen);
	if (w.err != 0)
		return w.err;
	return (int)wire_off(&w);
}

/* The fields NSEC3 and NSEC3PARAM share (RFC 5155 §3.2 and §4.2). */
static void
put_params(wire_t *w, uint8_t flags, uint16_t iterations, const uint8_t *salt, size_t saltlen)
{
	wire_put_u8(w, NSEC3_HASH_SHA1);
	wire_put_u8(w, flags);
	wire_put_u16(w, iterations);
	wire_put_u8(w, (uint8_t)saltlen);
	wire_put_bytes(w, salt, saltlen);
}

int
nsec3_rdata(uint8_t flags, uint16_t iterations, const uint8_t *salt, size_t saltlen, const uint8_t *next_hash,
	    size_t hashlen, const uint8_t *bm, size_t bmlen, uint8_t *out, size_t cap)
{
	if ((flags & ~NSEC3_FLAG_OPTOUT) != 0 || saltlen > NSEC3_SALT_MAX || hashlen == 0 || hashlen > 255 ||
	    nsec_bitmap_check(bm, bmlen) != 0)
		return FL_EINVAL;

	wire_t w;
	wire_init(&w, out, cap);
	put_params(&w, flags, iterations, salt, saltlen);
	wire_put_u8(&w, (uint8_t)hashlen);
	wire_put_bytes(&w, next_hash, hashlen);
	wire_put_bytes(&w, bm, bmlen);
	if (w.err != 0)
		return w.err;
	return (int)wire_off(&w);
}

int
nsec3param_rdata(uint8_t flags, uint16_t iterations, const uint8_t *salt, size_t saltlen, uint8_t *out,
		 size_t cap)
{
	if (flags != 0 || saltlen > NSEC3_SALT_MAX)
		return FL_EINVAL;

	wire_t w;
	wire_init(&w, out, cap);
	put_params(&w, flags, iterations, salt, saltlen);
	if (w.err != 0)
		return w.err;
	return (int)wire_off(&w);
}
