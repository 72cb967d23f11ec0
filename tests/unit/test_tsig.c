/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Tests for src/tsig/tsig.c and keyfile.c: key files (good and bad, with
 * exact line numbers), sign/verify round trips for every algorithm, the
 * error verdicts (BADKEY, BADSIG, BADTIME, FORMERR, BADTRUNC) on both
 * sides, multi-message exchanges with unsigned messages in between (the
 * §5.3.1 digest is recomputed here independently with OpenSSL), queries
 * captured from kdig and dig (tests/unit/data/tsig/README.md), ldns as an
 * independent verifier of what we sign, and seeded mutation fuzzing.
 * Paths are derived from __FILE__: run from the repository root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>
#include <openssl/evp.h>

#include "dns/dname.h"
#include "dns/pkt.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "tsig/keyfile.h"
#include "tsig/tsig.h"
#include "util/err.h"

static char datadir[PATH_MAX / 2]; /* tests/unit/data/tsig */

/* A secret for generated keys: "0123456789abcdef0123456789abcdef" as base64
 * is MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY= (used with ldns). */
static const uint8_t secret[] = "0123456789abcdef0123456789abcdef";
#define SECRET_LEN 32
#define SECRET_B64 "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
#define T0 1700000000ull

static const tsig_alg_t all_algs[] = { TSIG_ALG_HMAC_SHA1, TSIG_ALG_HMAC_SHA224, TSIG_ALG_HMAC_SHA256,
				       TSIG_ALG_HMAC_SHA384, TSIG_ALG_HMAC_SHA512 };

static int
setup(void **state)
{
	(void)state;
	char f[PATH_MAX];
	snprintf(f, sizeof(f), "%s", __FILE__);
	snprintf(datadir, sizeof(datadir), "%s/data/tsig", dirname(f));
	return 0;
}

static size_t
name(const char *s, uint8_t *out)
{
	int n = dname_from_str(s, strlen(s), NULL, out);
	assert_true(n > 0);
	return (size_t)n;
}

static tsig_keyring_t *
ring1(const char *keyname, tsig_alg_t alg, const uint8_t *sec, size_t len)
{
	uint8_t n[DNAME_MAXLEN];
	name(keyname, n);
	tsig_keyring_t *kr = tsig_keyring_new();
	assert_non_null(kr);
	assert_int_equal(tsig_keyring_add(kr, n, alg, sec, len), 0);
	return kr;
}

static const tsig_key_t *
find(const tsig_keyring_t *kr, const char *keyname)
{
	uint8_t n[DNAME_MAXLEN];
	name(keyname, n);
	return tsig_keyring_find(kr, n);
}

/* A query: header + one question. */
static size_t
mk_query(uint8_t *buf, uint16_t id, const char *qname, uint16_t qtype)
{
	wire_t w;
	uint8_t n[DNAME_MAXLEN];
	size_t nl = name(qname, n);
	wire_init(&w, buf, 512);
	wire_put_u16(&w, id);
	wire_put_u16(&w, PKT_RD);
	wire_put_u16(&w, 1);
	wire_put_u16(&w, 0);
	wire_put_u16(&w, 0);
	wire_put_u16(&w, 0);
	wire_put_bytes(&w, n, nl);
	wire_put_u16(&w, qtype);
	wire_put_u16(&w, RR_CLASS_IN);
	assert_int_equal(w.err, 0);
	return wire_off(&w);
}

/* A response to the query at q (question only, no TSIG): nrr A records
 * pointing at the qname, the last octet of each address = seq. */
static size_t
mk_answer(uint8_t *buf, const uint8_t *q, int nrr, int seq)
{
	size_t pos = PKT_HDRLEN;
	uint8_t n[DNAME_MAXLEN];
	assert_true(dname_unpack(q, 512, &pos, n, false) > 0);
	pos += 4;
	memcpy(buf, q, pos);
	wire_set_u16(buf + 2, PKT_QR | PKT_AA);
	wire_set_u16(buf + 6, (uint16_t)nrr);
	wire_set_u16(buf + 8, 0);
	wire_set_u16(buf + 10, 0);
	wire_t w;
	wire_init(&w, buf + pos, 60000);
	for (int i = 0; i < nrr; i++) {
		wire_put_u16(&w, 0xc00c);
		wire_put_u16(&w, RR_A);
		wire_put_u16(&w, RR_CLASS_IN);
		wire_put_u32(&w, 3600);
		wire_put_u16(&w, 4);
		wire_put_u8(&w, 192);
		wire_put_u8(&w, 0);
		wire_put_u8(&w, (uint8_t)i);
		wire_put_u8(&w, (uint8_t)seq);
	}
	return pos + wire_off(&w);
}

static uint8_t *
read_file(const char *file, size_t *len)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", datadir, file);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	uint8_t *buf = malloc(65536);
	assert_non_null(buf);
	*len = fread(buf, 1, 65536, f);
	fclose(f);
	return buf;
}

/* Offset of the TSIG rdata MAC size field of a message whose last RR is a
 * TSIG with the given key name and algorithm name lengths. */
static size_t
tsig_rr_start(const uint8_t *msg, size_t len)
{
	size_t pos = PKT_HDRLEN, last = 0;
	uint8_t n[DNAME_MAXLEN];
	for (int i = 0; i < wire_u16(msg + 4); i++) {
		assert_true(dname_unpack(msg, len, &pos, n, false) > 0);
		pos += 4;
	}
	int total = wire_u16(msg + 6) + wire_u16(msg + 8) + wire_u16(msg + 10);
	for (int i = 0; i < total; i++) {
		last = pos;
		assert_int_equal(pkt_skip_rr(msg, len, &pos), 0);
	}
	return last;
}

/* ---------------------------------------------------------------- */

static void
test_alg(void **state)
{
	assert_int_equal(tsig_alg_from_str("hmac-sha256", 11), TSIG_ALG_HMAC_SHA256);
	assert_int_equal(tsig_alg_from_str("HMAC-SHA512.", 12), TSIG_ALG_HMAC_SHA512);
	assert_int_equal(tsig_alg_from_str("hmac-sha1", 9), TSIG_ALG_HMAC_SHA1);
	assert_int_equal(tsig_alg_from_str("hmac-md5", 8), TSIG_ALG_NONE);
	assert_true(tsig_alg_is_md5("hmac-md5", 8));
	assert_true(tsig_alg_is_md5("HMAC-MD5.SIG-ALG.REG.INT.", 25));
	assert_int_equal(tsig_alg_from_str("hmac-sha256-128", 15), TSIG_ALG_NONE);
	assert_int_equal(tsig_alg_maclen(TSIG_ALG_HMAC_SHA224), 28);
	assert_int_equal(tsig_alg_maclen(TSIG_ALG_HMAC_SHA384), 48);
	assert_string_equal(tsig_alg_name(TSIG_ALG_HMAC_SHA384), "hmac-sha384");
	assert_int_equal(tsig_result_rcode(TSIG_FORMERR), RCODE_FORMERR);
	assert_int_equal(tsig_result_rcode(TSIG_BADTIME), RCODE_NOTAUTH);
	assert_int_equal(tsig_result_rcode(TSIG_NONE), 0);
	assert_string_equal(tsig_result_str(TSIG_BADKEY), "BADKEY (unknown key or algorithm)");

	/* keyring basics */
	tsig_keyring_t *kr = tsig_keyring_new();
	uint8_t n[DNAME_MAXLEN];
	name("Key.Example.", n);
	assert_int_equal(tsig_keyring_add(kr, n, TSIG_ALG_HMAC_SHA256, secret, SECRET_LEN), 0);
	assert_int_equal(tsig_keyring_add(kr, n, TSIG_ALG_HMAC_SHA1, secret, SECRET_LEN), FL_EEXIST);
	name("key.example.", n); /* dname_from_str lowercases; add() lowercases too */
	assert_int_equal(tsig_keyring_add(kr, n, TSIG_ALG_NONE, secret, SECRET_LEN), FL_EINVAL);
	name("other.", n);
	assert_int_equal(tsig_keyring_add(kr, n, TSIG_ALG_HMAC_SHA1, secret, 0), FL_EINVAL);
	const uint8_t upper[] = "\3KEY\7EXAMPLE";
	assert_int_equal(tsig_keyring_add(kr, upper, TSIG_ALG_HMAC_SHA1, secret, 4), FL_EEXIST);
	const tsig_key_t *k = find(kr, "key.example.");
	assert_non_null(k);
	assert_int_equal(tsig_key_alg(k), TSIG_ALG_HMAC_SHA256);
	assert_memory_equal(tsig_key_name(k), "\3key\7example", 13);
	assert_null(find(kr, "example."));
	assert_int_equal(tsig_keyring_count(kr), 1);
	tsig_keyring_free(kr);
	tsig_keyring_free(NULL);
}

/* ---- key files ---- */

static void
test_keyfile_good(void **state)
{
	char path[PATH_MAX], err[256];
	snprintf(path, sizeof(path), "%s/interop.key", datadir);
	tsig_keyring_t *kr = tsig_keyring_new();
	assert_int_equal(tsig_keyring_load_file(kr, path, err, sizeof(err)), 0);
	assert_int_equal(tsig_keyring_count(kr), 4);
	assert_int_equal(tsig_key_alg(find(kr, "testkey.")), TSIG_ALG_HMAC_SHA256);
	assert_int_equal(tsig_key_alg(find(kr, "key384.")), TSIG_ALG_HMAC_SHA384);
	assert_int_equal(tsig_key_alg(find(kr, "KEY512.example.")), TSIG_ALG_HMAC_SHA512);
	assert_int_equal(tsig_key_alg(find(kr, "key1.")), TSIG_ALG_HMAC_SHA1);

	/* Comments of all three kinds, unquoted and quoted tokens, odd
	 * spacing, a secret split by whitespace, keyword case. */
	const char *text = "# hash comment\n"
			   "// slash comment\n"
			   "/* block\n comment */ key a.example. {algorithm \"hmac-sha224\";secret\n"
			   "  \"MDEy MzQ1\nNjc4\";};\n"
			   "KEY \"B\" { Secret MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=; # trailing\n"
			   "   algorithm hmac-sha512.; } ; // done\n";
	/* "MDEy MzQ1\nNjc4" spans a newline inside a string: not allowed */
	assert_int_equal(tsig_keyring_load_text(kr, "t.key", text, strlen(text), err, sizeof(err)), FL_ESYNTAX);
	assert_string_equal(err, "t.key:5: unterminated string");
	assert_int_equal(tsig_keyring_count(kr), 4);
	text = "# hash comment\n"
	       "// slash comment\n"
	       "/* block\n comment */ key a.example. {algorithm \"hmac-sha224\";secret\n"
	       "  \"MDEy MzQ1 Njc4\";};\n"
	       "KEY \"B\" { Secret MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=; # trailing\n"
	       "   algorithm hmac-sha512.; } ; // done\n";
	assert_int_equal(tsig_keyring_load_text(kr, "t.key", text, strlen(text), err, sizeof(err)), 0);
	assert_int_equal(tsig_keyring_count(kr), 6);
	assert_int_equal(tsig_key_alg(find(kr, "a.example.")), TSIG_ALG_HMAC_SHA224);
	assert_int_equal(tsig_key_alg(find(kr, "b.")), TSIG_ALG_HMAC_SHA512);
	/* empty file is fine */
	assert_int_equal(tsig_keyring_load_text(kr, "e", "", 0, err, sizeof(err)), 0);

	/* The key from the file works: "MDEyMzQ1Njc4" is "012345678"; sign
	 * with a key added by hand and verify against the file's. */
	tsig_keyring_t *kr2 = ring1("a.example.", TSIG_ALG_HMAC_SHA224, (const uint8_t *)"012345678", 9);
	uint8_t msg[512];
	size_t len = mk_query(msg, 7, "example.com.", RR_SOA);
	tsig_ctx_t c, s;
	tsig_ctx_init(&c);
	assert_int_equal(tsig_sign_request(find(kr2, "a.example."), msg, &len, sizeof(msg), T0, 0, &c), 0);
	assert_int_equal(tsig_verify_request(kr, msg, len, T0, &s), TSIG_OK);
	tsig_ctx_clear(&c);
	tsig_keyring_free(kr2);
	tsig_keyring_free(kr);
}

static void
test_keyfile_bad(void **state)
{
	static const struct {
		const char *text;
		int code;
		const char *msg;
	} cases[] = {
		{ "key \"k\" {\n algorithm hmac-foo;\n secret \"AAAA\";\n};\n", FL_ENOTSUP,
		  "bad.key:2: unknown algorithm 'hmac-foo'" },
		{ "\n\nkey k { algorithm hmac-md5; secret \"AAAA\"; };\n", FL_ENOTSUP,
		  "bad.key:3: algorithm hmac-md5 refused (RFC 8945: MUST NOT use)" },
		{ "key k {\n algorithm hmac-sha256;\n secret \"AA*A\";\n};\n", FL_ESYNTAX,
		  "bad.key:3: bad base64 in secret" },
		{ "key k { algorithm hmac-sha256; secret \"AAA\"; };\n", FL_ESYNTAX, "bad.key:1: bad base64 in secret" },
		{ "key k { algorithm hmac-sha256; secret \"AB==\"; };\n", FL_ESYNTAX,
		  "bad.key:1: bad base64 in secret" }, /* non-zero unused bits */
		{ "key k { algorithm hmac-sha256; secret \"\"; };\n", FL_ESYNTAX, "bad.key:1: bad base64 in secret" },
		{ "# c\nkey \"k\" {\n algorithm hmac-sha256;\n};\n", FL_ESYNTAX, "bad.key:2: key 'k': missing secret" },
		{ "key \"k\" {\n secret \"AAAA\";\n};\n", FL_ESYNTAX, "bad.key:1: key 'k': missing algorithm" },
		{ "key a { algorithm hmac-sha256; secret \"AAAA\"; };\n/* x\n*/\nkey \"A.\" {\n algorithm hmac-sha1; "
		  "secret \"AAAA\"; };\n",
		  FL_EEXIST, "bad.key:4: duplicate key name 'A.'" },
		{ "key k {\n algorithm hmac-sha256\n secret \"AAAA\";\n};\n", FL_ESYNTAX,
		  "bad.key:3: expected ';', got 'secret'" },
		{ "key k { algorithm hmac-sha256; secret \"AAAA\"; }\n", FL_ESYNTAX,
		  "bad.key:2: expected ';' after '}', got end of file" },
		{ "options {\n};\n", FL_ESYNTAX, "bad.key:1: expected 'key', got 'options'" },
		{ "key k {\n algorithm hmac-sha256;\n secret \"AAAA\";\n owner x;\n};\n", FL_ESYNTAX,
		  "bad.key:4: expected 'algorithm', 'secret' or '}', got 'owner'" },
		{ "key k { algorithm hmac-sha256; algorithm hmac-sha1; secret \"AAAA\"; };\n", FL_ESYNTAX,
		  "bad.key:1: duplicate algorithm" },
		{ "key k { algorithm hmac-sha256; secret \"AAAA\";\nsecret \"AAAA\"; };\n", FL_ESYNTAX,
		  "bad.key:2: duplicate secret" },
		{ "key k { algorithm hmac-sha256; /* never\nclosed", FL_ESYNTAX, "bad.key:1: unterminated comment" },
		{ "key { algorithm hmac-sha256; };\n", FL_ESYNTAX, "bad.key:1: expected key name, got '{'" },
		{ "key a..b { algorithm hmac-sha256; secret \"AAAA\"; };\n", FL_ESYNTAX,
		  "bad.key:1: invalid key name 'a..b'" },
		{ "key k { algorithm ; };\n", FL_ESYNTAX, "bad.key:1: expected a value after 'algorithm', got ';'" },
		{ "key k [ };\n", FL_ESYNTAX, "bad.key:1: expected '{', got '['" },
	};
	char err[256];
	tsig_keyring_t *kr = ring1("pre.existing.", TSIG_ALG_HMAC_SHA256, secret, SECRET_LEN);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(err, 'X', sizeof(err));
		int r = tsig_keyring_load_text(kr, "bad.key", cases[i].text, strlen(cases[i].text), err, sizeof(err));
		if (r != cases[i].code || strcmp(err, cases[i].msg) != 0)
			fail_msg("case %zu: got %d '%s', want %d '%s'", i, r, err, cases[i].code, cases[i].msg);
		/* rolled back: only the pre-existing key is left */
		assert_int_equal(tsig_keyring_count(kr), 1);
	}
	/* A clash with a key loaded before is a duplicate too. */
	const char *dup = "key pre.existing { algorithm hmac-sha256; secret \"AAAA\"; };";
	assert_int_equal(tsig_keyring_load_text(kr, "d", dup, strlen(dup), err, sizeof(err)), FL_EEXIST);
	assert_string_equal(err, "d:1: duplicate key name 'pre.existing'");
	/* Secrets never show up in messages. */
	const char *s2 = "key k { secret \"c2VjcmV0c2VjcmV0\"; algorithm hmac-foo; };";
	assert_int_equal(tsig_keyring_load_text(kr, "s", s2, strlen(s2), err, sizeof(err)), FL_ENOTSUP);
	assert_null(strstr(err, "c2VjcmV0"));
	/* Missing file. */
	assert_int_equal(tsig_keyring_load_file(kr, "/nonexistent/x.key", err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "/nonexistent/x.key: No such file or directory");
	/* NULL err is allowed */
	assert_int_equal(tsig_keyring_load_text(kr, "n", "key", 3, NULL, 0), FL_ESYNTAX);
	tsig_keyring_free(kr);
}

/* ---- round trips ---- */

static void
test_roundtrip(void **state)
{
	for (size_t a = 0; a < sizeof(all_algs) / sizeof(all_algs[0]); a++) {
		tsig_keyring_t *kr = ring1("xfr.key.", all_algs[a], secret, SECRET_LEN);
		const tsig_key_t *key = find(kr, "xfr.key.");
		uint8_t q[512], r[1024];
		size_t qlen = mk_query(q, 0x1234, "example.com.", RR_AXFR), qlen0 = qlen;
		tsig_ctx_t c, s;
		tsig_ctx_init(&c);
		size_t reserve = tsig_key_reserve(key);
		assert_int_equal(tsig_sign_request(key, q, &qlen, sizeof(q), T0, 0, &c), 0);
		assert_int_equal(qlen - qlen0, reserve);
		assert_int_equal(wire_u16(q + 10), 1);
		assert_int_equal(c.mac_len, tsig_alg_maclen(all_algs[a]));

		assert_int_equal(tsig_verify_request(kr, q, qlen, T0 + 5, &s), TSIG_OK);
		assert_int_equal(s.orig_id, 0x1234);
		assert_int_equal(s.fudge, 300);
		assert_int_equal(s.time_signed, T0);
		assert_ptr_equal(s.key, key);

		/* a 3-message transfer, each message signed */
		for (int m = 0; m < 3; m++) {
			size_t rlen = mk_answer(r, q, 2 + m, m), rlen0 = rlen;
			size_t res = tsig_reserve(&s);
			assert_int_equal(tsig_sign_response(&s, r, &rlen, sizeof(r), T0 + 6), 0);
			assert_int_equal(rlen - rlen0, res);
			assert_int_equal(tsig_verify_response(&c, r, rlen, T0 + 7), TSIG_OK);
		}
		assert_int_equal(s.nsigned, 3);
		assert_int_equal(tsig_verify_end(&c), TSIG_OK);
		tsig_ctx_clear(&c);
		tsig_ctx_clear(&s);
		tsig_keyring_free(kr);
	}
}

static void
test_space(void **state)
{
	tsig_keyring_t *kr = ring1("k.", TSIG_ALG_HMAC_SHA256, secret, SECRET_LEN);
	uint8_t q[512], copy[512];
	size_t qlen = mk_query(q, 1, "example.com.", RR_SOA), l2;
	memcpy(copy, q, qlen);
	tsig_ctx_t c;
	tsig_ctx_init(&c);
	l2 = qlen;
	size_t need = tsig_key_reserve(find(kr, "k."));
	assert_int_equal(tsig_sign_request(find(kr, "k."), q, &l2, qlen + need - 1, T0, 0, &c), FL_ESPACE);
	assert_int_equal(l2, qlen);
	assert_memory_equal(q, copy, qlen);
	assert_int_equal(tsig_sign_request(find(kr, "k."), q, &l2, qlen + need, T0, 0, &c), 0);
	l2 = 5;
	assert_int_equal(tsig_sign_request(find(kr, "k."), q, &l2, sizeof(q), T0, 0, &c), FL_EMALF);
	assert_int_equal(tsig_sign_request(NULL, q, &l2, sizeof(q), T0, 0, &c), FL_EINVAL);
	/* ARCOUNT full */
	qlen = mk_query(q, 1, "example.com.", RR_SOA);
	wire_set_u16(q + 10, 0xffff);
	assert_int_equal(tsig_sign_request(find(kr, "k."), q, &qlen, sizeof(q), T0, 0, &c), FL_ELIMIT);
	tsig_ctx_clear(&c);
	tsig_keyring_free(kr);
}

/* ---- server verdicts ---- */

/* A signed query with key k. (sha256) */
static size_t
signed_query(const tsig_keyring_t *kr, uint8_t *q, uint64_t t)
{
	tsig_ctx_t c;
	tsig_ctx_init(&c);
	size_t qlen = mk_query(q, 0xbeef, "example.com.", RR_SOA);
	assert_int_equal(tsig_sign_request(find(kr, "k."), q, &qlen, 512, t, 0, &c), 0);
	tsig_ctx_clear(&c);
	return qlen;
}

/* Rewrite the MAC of the TSIG (last RR) to its first n octets. */
static size_t
truncate_mac(uint8_t *msg, size_t len, size_t n)
{
	size_t st = tsig_rr_start(msg, len);
	size_t rd = st + 3 + 10; /* owner "\1k\0", type, class, TTL, rdlength */
	size_t ms = rd + 13 + 8; /* alg name "hmac-sha256.", time, fudge */
	uint16_t old = wire_u16(msg + ms);
	assert_true(n <= old || n == (size_t)old + 1);
	if (n > old) { /* one octet more: insert a zero */
		memmove(msg + ms + 2 + old + 1, msg + ms + 2 + old, len - (ms + 2 + old));
		msg[ms + 2 + old] = 0;
		len++;
	} else {
		memmove(msg + ms + 2 + n, msg + ms + 2 + old, len - (ms + 2 + old));
		len -= old - n;
	}
	wire_set_u16(msg + ms, (uint16_t)n);
	wire_set_u16(msg + rd - 2, (uint16_t)(wire_u16(msg + rd - 2) + n - old));
	return len;
}

static void
test_server_errors(void **state)
{
	tsig_keyring_t *kr = ring1("k.", TSIG_ALG_HMAC_SHA256, secret, SECRET_LEN);
	tsig_keyring_t *wrong = ring1("k.", TSIG_ALG_HMAC_SHA256, (const uint8_t *)"another secret", 14);
	tsig_keyring_t *other = ring1("j.", TSIG_ALG_HMAC_SHA256, secret, SECRET_LEN);
	tsig_keyring_t *algmis = ring1("k.", TSIG_ALG_HMAC_SHA512, secret, SECRET_LEN);
	uint8_t q[600], m[600], r[1024];
	size_t qlen = signed_query(kr, q, T0), mlen, rlen;
	tsig_ctx_t s;

	/* unsigned query */
	size_t ulen = mk_query(m, 1, "example.com.", RR_SOA);
	assert_int_equal(tsig_verify_request(kr, m, ulen, T0, &s), TSIG_NONE);
	rlen = mk_answer(r, m, 1, 0);
	size_t before = rlen;
	assert_int_equal(tsig_reserve(&s), 0);
	assert_int_equal(tsig_sign_response(&s, r, &rlen, sizeof(r), T0), 0);
	assert_int_equal(rlen, before);

	assert_int_equal(tsig_verify_request(kr, q, qlen, T0, &s), TSIG_OK);
	assert_int_equal(tsig_verify_request(wrong, q, qlen, T0, &s), TSIG_BADSIG);
	assert_int_equal(s.error, TSIG_BADSIG);
	assert_int_equal(s.mac_len, 0); /* not validated: not kept */
	assert_int_equal(tsig_verify_request(other, q, qlen, T0, &s), TSIG_BADKEY);
	assert_null(s.key);
	assert_int_equal(tsig_verify_request(algmis, q, qlen, T0, &s), TSIG_BADKEY);
	/* time: exactly fudge is fine, one more is not, both directions */
	assert_int_equal(tsig_verify_request(kr, q, qlen, T0 + 300, &s), TSIG_OK);
	assert_int_equal(tsig_verify_request(kr, q, qlen, T0 - 300, &s), TSIG_OK);
	assert_int_equal(tsig_verify_request(kr, q, qlen, T0 + 301, &s), TSIG_BADTIME);
	assert_int_equal(tsig_verify_request(kr, q, qlen, T0 - 301, &s), TSIG_BADTIME);
	assert_int_equal(tsig_verify_request(kr, q, qlen, 0, &s), TSIG_BADTIME);

	/* Any modified octet of the signed part is BADSIG. */
	for (size_t i = 0; i < qlen - 20; i++) {
		memcpy(m, q, qlen);
		m[i] ^= 0x20;
		int v = tsig_verify_request(kr, m, qlen, T0, &s);
		if (i >= 2 && i < 4) /* flags: still a message, MAC fails */
			assert_int_equal(v, TSIG_BADSIG);
		assert_true(v == TSIG_BADSIG || v == TSIG_FORMERR || v == TSIG_BADKEY || v == TSIG_NONE ||
			    v == TSIG_OK /* case change in names: canonical form */);
	}
	/* Header ID changed (forwarded): the Original ID is used, still OK. */
	memcpy(m, q, qlen);
	wire_set_u16(m, 0x1111);
	assert_int_equal(tsig_verify_request(kr, m, qlen, T0, &s), TSIG_OK);
	assert_int_equal(s.orig_id, 0xbeef);
	/* Key name in upper case on the wire: canonical form is lowercase. */
	memcpy(m, q, qlen);
	m[tsig_rr_start(m, qlen) + 1] = 'K';
	assert_int_equal(tsig_verify_request(kr, m, qlen, T0, &s), TSIG_OK);

	/* TSIG not last: append an A record after it. */
	memcpy(m, q, qlen);
	mlen = qlen;
	memcpy(m + mlen, "\0\0\1\0\1\0\0\0\0\0\4\1\2\3\4", 15);
	mlen += 15;
	wire_set_u16(m + 10, 2);
	assert_int_equal(tsig_verify_request(kr, m, mlen, T0, &s), TSIG_FORMERR);
	assert_int_equal(tsig_reserve(&s), 0);
	rlen = before;
	assert_int_equal(tsig_sign_response(&s, r, &rlen, sizeof(r), T0), 0);
	assert_int_equal(rlen, before); /* FORMERR answers carry no TSIG */
	/* Two TSIGs. */
	size_t st = tsig_rr_start(q, qlen);
	memcpy(m, q, qlen);
	memcpy(m + qlen, q + st, qlen - st);
	mlen = qlen + (qlen - st);
	wire_set_u16(m + 10, 2);
	assert_int_equal(tsig_verify_request(kr, m, mlen, T0, &s), TSIG_FORMERR);
	/* TSIG in the answer section. */
	memcpy(m, q, qlen);
	wire_set_u16(m + 6, 1);
	wire_set_u16(m + 10, 0);
	assert_int_equal(tsig_verify_request(kr, m, qlen, T0, &s), TSIG_FORMERR);
	/* Trailing octet after the TSIG RR. */
	memcpy(m, q, qlen);
	m[qlen] = 0;
	assert_int_equal(tsig_verify_request(kr, m, qlen + 1, T0, &s), TSIG_FORMERR);
	/* Class not ANY, TTL not 0. */
	memcpy(m, q, qlen);
	wire_set_u16(m + st + 5, RR_CLASS_IN);
	assert_int_equal(tsig_verify_request(kr, m, qlen, T0, &s), TSIG_FORMERR);
	memcpy(m, q, qlen);
	m[st + 9] = 1;
	assert_int_equal(tsig_verify_request(kr, m, qlen, T0, &s), TSIG_FORMERR);
	/* rdlength one short / truncated message */
	memcpy(m, q, qlen);
	wire_set_u16(m + st + 11, (uint16_t)(wire_u16(m + st + 11) - 1));
	assert_int_equal(tsig_verify_request(kr, m, qlen - 1, T0, &s), TSIG_FORMERR);
	assert_int_equal(tsig_verify_request(kr, q, qlen - 1, T0, &s), TSIG_FORMERR);
	assert_int_equal(tsig_verify_request(kr, q, 11, T0, &s), TSIG_FORMERR);

	/* MAC sizes (§5.2.2.1, sha256: 16..32): truncated but allowed ->
	 * verified, then BADTRUNC (our policy: full length only); too short,
	 * under half, too long -> FORMERR. */
	memcpy(m, q, qlen);
	mlen = truncate_mac(m, qlen, 16);
	assert_int_equal(tsig_verify_request(kr, m, mlen, T0, &s), TSIG_BADTRUNC);
	assert_int_equal(s.mac_len, 16);
	memcpy(m, q, qlen);
	mlen = truncate_mac(m, qlen, 20);
	m[mlen - 8] ^= 1; /* corrupt the truncated MAC: BADSIG comes first */
	assert_int_equal(tsig_verify_request(kr, m, mlen, T0, &s), TSIG_BADSIG);
	memcpy(m, q, qlen);
	mlen = truncate_mac(m, qlen, 15);
	assert_int_equal(tsig_verify_request(kr, m, mlen, T0, &s), TSIG_FORMERR);
	memcpy(m, q, qlen);
	mlen = truncate_mac(m, qlen, 8);
	assert_int_equal(tsig_verify_request(kr, m, mlen, T0, &s), TSIG_FORMERR);
	memcpy(m, q, qlen);
	mlen = truncate_mac(m, qlen, 0);
	assert_int_equal(tsig_verify_request(kr, m, mlen, T0, &s), TSIG_FORMERR);
	memcpy(m, q, qlen);
	mlen = truncate_mac(m, qlen, 33);
	assert_int_equal(tsig_verify_request(kr, m, mlen, T0, &s), TSIG_FORMERR);
	/* sha1 (20 octets): 10 is the minimum */
	tsig_keyring_t *k1 = ring1("k.", TSIG_ALG_HMAC_SHA1, secret, SECRET_LEN);
	tsig_ctx_t c;
	tsig_ctx_init(&c);
	qlen = mk_query(m, 3, "example.com.", RR_SOA);
	assert_int_equal(tsig_sign_request(find(k1, "k."), m, &qlen, sizeof(m), T0, 0, &c), 0);
	assert_int_equal(tsig_verify_request(k1, m, qlen, T0, &s), TSIG_OK);
	tsig_ctx_clear(&c);

	tsig_keyring_free(k1);
	tsig_keyring_free(kr);
	tsig_keyring_free(wrong);
	tsig_keyring_free(other);
	tsig_keyring_free(algmis);
}

/* Server error responses as the client sees them. */
static void
test_error_responses(void **state)
{
	tsig_keyring_t *kr = ring1("k.", TSIG_ALG_HMAC_SHA256, secret, SECRET_LEN);
	tsig_keyring_t *wrong = ring1("k.", TSIG_ALG_HMAC_SHA256, (const uint8_t *)"another secret", 14);
	tsig_keyring_t *none = tsig_keyring_new();
	const tsig_key_t *key = find(kr, "k.");
	uint8_t q[512], r[1024];
	tsig_ctx_t c, s;
	size_t qlen, rlen;
	struct {
		tsig_keyring_t *server_kr;
		uint64_t server_now;
		int verdict;
		bool signed_;
	} cases[] = {
		{ wrong, T0, TSIG_BADSIG, false },
		{ none, T0, TSIG_BADKEY, false },
		{ kr, T0 + 1000, TSIG_BADTIME, true },
	};
	for (size_t i = 0; i < 3; i++) {
		tsig_ctx_init(&c);
		qlen = mk_query(q, 0x4242, "example.com.", RR_SOA);
		assert_int_equal(tsig_sign_request(key, q, &qlen, sizeof(q), T0, 0, &c), 0);
		assert_int_equal(tsig_verify_request(cases[i].server_kr, q, qlen, cases[i].server_now, &s),
				 cases[i].verdict);
		rlen = mk_answer(r, q, 0, 0);
		wire_set_u16(r + 2, PKT_QR | RCODE_NOTAUTH);
		size_t res = tsig_reserve(&s), r0 = rlen;
		assert_int_equal(tsig_sign_response(&s, r, &rlen, sizeof(r), cases[i].server_now), 0);
		assert_int_equal(rlen - r0, res);
		size_t st = tsig_rr_start(r, rlen);
		/* owner "\1k\0", 10, alg 13, time 6, fudge 2 -> MAC size */
		uint16_t macsize = wire_u16(r + st + 3 + 10 + 13 + 8);
		assert_int_equal(macsize, cases[i].signed_ ? 32 : 0);
		assert_int_equal(tsig_verify_response(&c, r, rlen, T0 + 1), cases[i].verdict);
		assert_int_equal(c.peer_error, cases[i].verdict);
		if (cases[i].verdict == TSIG_BADTIME) {
			assert_int_equal(c.peer_time, T0 + 1000);
			/* Time Signed of a BADTIME answer is the request's */
			assert_int_equal(wire_u32(r + st + 3 + 10 + 13 + 2), (uint32_t)T0);
		}
		/* sticky */
		assert_int_equal(tsig_verify_response(&c, r, rlen, T0 + 1), cases[i].verdict);
		assert_int_equal(tsig_verify_end(&c), cases[i].verdict);
		tsig_ctx_clear(&c);
	}
	/* BADTRUNC answers are signed, with the error. */
	tsig_ctx_init(&c);
	qlen = mk_query(q, 0x4243, "example.com.", RR_SOA);
	assert_int_equal(tsig_sign_request(key, q, &qlen, sizeof(q), T0, 0, &c), 0);
	qlen = truncate_mac(q, qlen, 16);
	assert_int_equal(tsig_verify_request(kr, q, qlen, T0, &s), TSIG_BADTRUNC);
	rlen = mk_answer(r, q, 0, 0);
	assert_int_equal(tsig_sign_response(&s, r, &rlen, sizeof(r), T0), 0);
	/* the client's request MAC was the full one, so the digest differs:
	 * set the truncated one as the client would have sent it */
	c.mac_len = 16;
	assert_int_equal(tsig_verify_response(&c, r, rlen, T0), TSIG_BADTRUNC);
	assert_int_equal(c.peer_error, TSIG_BADTRUNC);
	tsig_ctx_clear(&c);

	tsig_keyring_free(kr);
	tsig_keyring_free(wrong);
	tsig_keyring_free(none);
}

/* ---- client side, multi-message ---- */

/* Test-side signer for §5.3.1, independent of tsig.c: HMAC over prior MAC
 * (size + MAC), the unsigned messages as sent, this message, the timers.
 * Appends the TSIG RR (key "k.", hmac-sha256) and returns the new length;
 * *mac receives the MAC. */
static size_t
ref_sign_next(uint8_t *msg, size_t len, const uint8_t *prior, size_t prior_len, const uint8_t *unsig,
	      size_t unsig_len, uint64_t t, uint8_t *mac)
{
	static uint8_t buf[200000];
	size_t n = 0;
	wire_set_u16(buf, (uint16_t)prior_len);
	memcpy(buf + 2, prior, prior_len);
	n = 2 + prior_len;
	memcpy(buf + n, unsig, unsig_len);
	n += unsig_len;
	memcpy(buf + n, msg, len);
	n += len;
	wire_set_u16(buf + n, (uint16_t)(t >> 32));
	wire_set_u32(buf + n + 2, (uint32_t)t);
	wire_set_u16(buf + n + 6, 300);
	n += 8;
	size_t ml = 0;
	assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, SECRET_LEN, buf, n, mac, 64, &ml));
	assert_int_equal(ml, 32);
	wire_t w;
	wire_init(&w, msg + len, 200);
	wire_put_bytes(&w, (const uint8_t *)"\1k\0", 3);
	wire_put_u16(&w, RR_TSIG);
	wire_put_u16(&w, RR_CLASS_ANY);
	wire_put_u32(&w, 0);
	wire_put_u16(&w, 13 + 16 + 32);
	wire_put_bytes(&w, (const uint8_t *)"\013hmac-sha256\0", 13);
	wire_put_u16(&w, (uint16_t)(t >> 32));
	wire_put_u32(&w, (uint32_t)t);
	wire_put_u16(&w, 300);
	wire_put_u16(&w, 32);
	wire_put_bytes(&w, mac, 32);
	wire_put_u16(&w, wire_u16(msg));
	wire_put_u16(&w, 0);
	wire_put_u16(&w, 0);
	wire_set_u16(msg + 10, (uint16_t)(wire_u16(msg + 10) + 1));
	return len + wire_off(&w);
}

static void
test_multi_unsigned(void **state)
{
	tsig_keyring_t *kr = ring1("k.", TSIG_ALG_HMAC_SHA256, secret, SECRET_LEN);
	const tsig_key_t *key = find(kr, "k.");
	static uint8_t unsig[150 * 600];
	uint8_t q[512], r[1024], prior[64];
	tsig_ctx_t c, s;

	/* Message 1 signed by our server, then n unsigned, then one signed
	 * by the reference signer. n = 0, 1, 5, 99 pass; 100 fails. */
	const int ns[] = { 0, 1, 5, 99, 100 };
	for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
		int n = ns[k];
		tsig_ctx_init(&c);
		size_t qlen = mk_query(q, 0x7777, "example.com.", RR_AXFR);
		assert_int_equal(tsig_sign_request(key, q, &qlen, sizeof(q), T0, 0, &c), 0);
		assert_int_equal(tsig_verify_request(kr, q, qlen, T0, &s), TSIG_OK);
		size_t rlen = mk_answer(r, q, 3, 0);
		assert_int_equal(tsig_sign_response(&s, r, &rlen, sizeof(r), T0), 0);
		assert_int_equal(tsig_verify_response(&c, r, rlen, T0), TSIG_OK);
		memcpy(prior, s.mac, 32);
		size_t ulen = 0;
		int v = TSIG_NONE;
		for (int i = 0; i < n; i++) {
			rlen = mk_answer(r, q, 2, i + 1);
			memcpy(unsig + ulen, r, rlen);
			ulen += rlen;
			v = tsig_verify_response(&c, r, rlen, T0);
			if (i < TSIG_MAX_UNSIGNED)
				assert_int_equal(v, TSIG_NONE);
			else
				assert_int_equal(v, TSIG_UNSIGNED);
		}
		if (n > 0 && n <= TSIG_MAX_UNSIGNED)
			assert_int_equal(tsig_verify_end(&c), TSIG_UNSIGNED); /* last was unsigned */
		rlen = mk_answer(r, q, 1, 200);
		uint8_t mac[64];
		rlen = ref_sign_next(r, rlen, prior, 32, unsig, ulen, T0 + 1, mac);
		v = tsig_verify_response(&c, r, rlen, T0 + 1);
		if (n <= TSIG_MAX_UNSIGNED) {
			assert_int_equal(v, TSIG_OK);
			assert_int_equal(tsig_verify_end(&c), TSIG_OK);
			assert_memory_equal(c.mac, mac, 32);
		} else {
			assert_int_equal(v, TSIG_UNSIGNED);
			assert_int_equal(tsig_verify_end(&c), TSIG_UNSIGNED);
		}
		tsig_ctx_clear(&c);
	}

	/* A tampered unsigned message breaks the next MAC. */
	tsig_ctx_init(&c);
	size_t qlen = mk_query(q, 0x7778, "example.com.", RR_AXFR);
	assert_int_equal(tsig_sign_request(key, q, &qlen, sizeof(q), T0, 0, &c), 0);
	assert_int_equal(tsig_verify_request(kr, q, qlen, T0, &s), TSIG_OK);
	size_t rlen = mk_answer(r, q, 3, 0);
	assert_int_equal(tsig_sign_response(&s, r, &rlen, sizeof(r), T0), 0);
	assert_int_equal(tsig_verify_response(&c, r, rlen, T0), TSIG_OK);
	memcpy(prior, s.mac, 32);
	rlen = mk_answer(r, q, 2, 1);
	memcpy(unsig, r, rlen);
	size_t ulen = rlen;
	r[rlen - 1] ^= 1; /* the client receives a modified copy */
	assert_int_equal(tsig_verify_response(&c, r, rlen, T0), TSIG_NONE);
	uint8_t mac[64];
	rlen = mk_answer(r, q, 1, 2);
	rlen = ref_sign_next(r, rlen, prior, 32, unsig, ulen, T0, mac);
	assert_int_equal(tsig_verify_response(&c, r, rlen, T0), TSIG_BADSIG);
	assert_int_equal(tsig_verify_end(&c), TSIG_BADSIG);
	tsig_ctx_clear(&c);

	/* First response unsigned: error. */
	tsig_ctx_init(&c);
	qlen = mk_query(q, 0x7779, "example.com.", RR_SOA);
	assert_int_equal(tsig_sign_request(key, q, &qlen, sizeof(q), T0, 0, &c), 0);
	rlen = mk_answer(r, q, 1, 0);
	assert_int_equal(tsig_verify_response(&c, r, rlen, T0), TSIG_UNSIGNED);
	assert_int_equal(tsig_verify_end(&c), TSIG_UNSIGNED);
	tsig_ctx_clear(&c);
	/* No response at all. */
	tsig_ctx_init(&c);
	qlen = mk_query(q, 0x7779, "example.com.", RR_SOA);
	assert_int_equal(tsig_sign_request(key, q, &qlen, sizeof(q), T0, 0, &c), 0);
	assert_int_equal(tsig_verify_end(&c), TSIG_UNSIGNED);
	tsig_ctx_clear(&c);
	/* Not a client context. */
	tsig_ctx_init(&c);
	assert_int_equal(tsig_verify_response(&c, r, rlen, T0), FL_EINVAL);

	/* Response signed by a different key, and a skewed response. */
	tsig_keyring_t *kr2 = ring1("j.", TSIG_ALG_HMAC_SHA256, secret, SECRET_LEN);
	qlen = mk_query(q, 0x777a, "example.com.", RR_SOA);
	assert_int_equal(tsig_sign_request(key, q, &qlen, sizeof(q), T0, 0, &c), 0);
	uint8_t q2[512];
	memcpy(q2, q, qlen);
	tsig_ctx_t c2;
	tsig_ctx_init(&c2);
	size_t q2len = mk_query(q2, 0x777a, "example.com.", RR_SOA);
	assert_int_equal(tsig_sign_request(find(kr2, "j."), q2, &q2len, sizeof(q2), T0, 0, &c2), 0);
	assert_int_equal(tsig_verify_request(kr2, q2, q2len, T0, &s), TSIG_OK);
	rlen = mk_answer(r, q2, 1, 0);
	assert_int_equal(tsig_sign_response(&s, r, &rlen, sizeof(r), T0), 0);
	assert_int_equal(tsig_verify_response(&c, r, rlen, T0), TSIG_BADKEY);
	assert_int_equal(c.peer_error, 0);
	assert_int_equal(tsig_verify_response(&c2, r, rlen, T0 + 301), TSIG_BADTIME);
	assert_int_equal(c2.peer_error, 0);
	tsig_ctx_clear(&c);
	tsig_ctx_clear(&c2);
	tsig_keyring_free(kr2);
	tsig_keyring_free(kr);
}

/* ---- ldns as an independent verifier (hmac-sha256, hmac-sha512) ---- */

static void
test_ldns_oracle(void **state)
{
	const struct {
		tsig_alg_t alg;
		const char *alg_name;
	} algs[] = { { TSIG_ALG_HMAC_SHA256, "hmac-sha256." }, { TSIG_ALG_HMAC_SHA512, "hmac-sha512." } };
	for (size_t a = 0; a < 2; a++) {
		tsig_keyring_t *kr = ring1("oracle.key.", algs[a].alg, secret, SECRET_LEN);
		const tsig_key_t *key = find(kr, "oracle.key.");
		uint8_t q[512], r[1024], macbuf[2 + TSIG_MAXMAC];
		tsig_ctx_t c, s;
		tsig_ctx_init(&c);
		size_t qlen = mk_query(q, 0x5151, "example.com.", RR_AXFR);
		assert_int_equal(tsig_sign_request(key, q, &qlen, sizeof(q), T0, 0, &c), 0);

		ldns_pkt *p = NULL;
		assert_int_equal(ldns_wire2pkt(&p, q, qlen), LDNS_STATUS_OK);
		assert_true(ldns_pkt_tsig_verify(p, q, qlen, "oracle.key.", SECRET_B64, NULL));
		ldns_pkt_free(p);

		/* And ldns signs a request we verify. */
		p = NULL;
		size_t q0 = mk_query(q, 0x5152, "example.com.", RR_AXFR);
		assert_int_equal(ldns_wire2pkt(&p, q, q0), LDNS_STATUS_OK);
		assert_int_equal(ldns_pkt_tsig_sign(p, "oracle.key.", SECRET_B64, 300, algs[a].alg_name, NULL),
				 LDNS_STATUS_OK);
		uint8_t *lw = NULL;
		size_t lwlen = 0;
		assert_int_equal(ldns_pkt2wire(&lw, p, &lwlen), LDNS_STATUS_OK);
		uint64_t ts = (uint64_t)time(NULL);
		assert_int_equal(tsig_verify_request(kr, lw, lwlen, ts, &s), TSIG_OK);
		free(lw);
		ldns_pkt_free(p);

		/* Our 3-message signed transfer, checked message by message. */
		qlen = mk_query(q, 0x5151, "example.com.", RR_AXFR);
		assert_int_equal(tsig_sign_request(key, q, &qlen, sizeof(q), T0, 0, &c), 0);
		assert_int_equal(tsig_verify_request(kr, q, qlen, T0, &s), TSIG_OK);
		for (int m = 0; m < 3; m++) {
			wire_set_u16(macbuf, s.mac_len);
			memcpy(macbuf + 2, s.mac, s.mac_len);
			ldns_rdf *prior = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, 2u + s.mac_len, macbuf);
			size_t rlen = mk_answer(r, q, 3, m);
			assert_int_equal(tsig_sign_response(&s, r, &rlen, sizeof(r), T0), 0);
			p = NULL;
			assert_int_equal(ldns_wire2pkt(&p, r, rlen), LDNS_STATUS_OK);
			assert_true(ldns_pkt_tsig_verify_next(p, r, rlen, "oracle.key.", SECRET_B64, prior, m > 0));
			ldns_pkt_free(p);
			ldns_rdf_deep_free(prior);
			assert_int_equal(tsig_verify_response(&c, r, rlen, T0), TSIG_OK);
		}
		assert_int_equal(tsig_verify_end(&c), TSIG_OK);
		tsig_ctx_clear(&c);
		tsig_keyring_free(kr);
	}
}

/* ---- captured from kdig and dig ---- */

/* The base64 secret of a key in interop.key (name with the final dot). */
static void
key_secret_b64(const char *keyname, char *out, size_t outlen)
{
	size_t len;
	char pat[80];
	uint8_t *text = read_file("interop.key", &len);
	text[len < 65535 ? len : 65535] = '\0';
	snprintf(pat, sizeof(pat), "key \"%.*s\"", (int)strlen(keyname) - 1, keyname);
	const char *k = strstr((const char *)text, pat);
	assert_non_null(k);
	const char *sec = strstr(k, "secret \"");
	assert_non_null(sec);
	sec += 8;
	const char *end = strchr(sec, '"');
	assert_non_null(end);
	snprintf(out, outlen, "%.*s", (int)(end - sec), sec);
	free(text);
}

static void
test_interop_captured(void **state)
{
	static const struct {
		const char *file, *key;
		uint64_t t;
	} caps[] = {
		{ "kdig-sha256.bin", "testkey.", 1795651319 }, { "dig-sha256.bin", "testkey.", 1795651320 },
		{ "kdig-sha384.bin", "key384.", 1795651322 },  { "dig-sha512.bin", "key512.example.", 1795651323 },
		{ "dig-sha1.bin", "key1.", 1795651325 },
	};
	char path[PATH_MAX], err[256];
	snprintf(path, sizeof(path), "%s/interop.key", datadir);
	tsig_keyring_t *kr = tsig_keyring_new();
	assert_int_equal(tsig_keyring_load_file(kr, path, err, sizeof(err)), 0);
	tsig_keyring_t *empty = tsig_keyring_new();
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		size_t len;
		uint8_t *msg = read_file(caps[i].file, &len);
		tsig_ctx_t s;
		int v = tsig_verify_request(kr, msg, len, caps[i].t, &s);
		if (v != TSIG_OK)
			fail_msg("%s: %s", caps[i].file, tsig_result_str(v));
		assert_int_equal(s.time_signed, caps[i].t);
		assert_ptr_equal(s.key, find(kr, caps[i].key));
		assert_int_equal(tsig_verify_request(kr, msg, len, caps[i].t + 301, &s), TSIG_BADTIME);
		assert_int_equal(tsig_verify_request(empty, msg, len, caps[i].t, &s), TSIG_BADKEY);
		/* same name, wrong secret */
		tsig_keyring_t *wrong =
			ring1(caps[i].key, tsig_key_alg(find(kr, caps[i].key)), (const uint8_t *)"nope", 4);
		assert_int_equal(tsig_verify_request(wrong, msg, len, caps[i].t, &s), TSIG_BADSIG);
		tsig_keyring_free(wrong);
		/* one flipped bit in the question */
		msg[14] ^= 1;
		assert_int_equal(tsig_verify_request(kr, msg, len, caps[i].t, &s), TSIG_BADSIG);
		msg[14] ^= 1;

		/* Sign a response and check it with ldns where ldns can. */
		assert_int_equal(tsig_verify_request(kr, msg, len, caps[i].t, &s), TSIG_OK);
		uint8_t r[1024], macbuf[2 + TSIG_MAXMAC];
		wire_set_u16(macbuf, s.mac_len);
		memcpy(macbuf + 2, s.mac, s.mac_len);
		size_t rlen = mk_answer(r, msg, 1, 0);
		assert_int_equal(tsig_sign_response(&s, r, &rlen, sizeof(r), caps[i].t), 0);
		tsig_alg_t alg = tsig_key_alg(s.key);
		if (alg == TSIG_ALG_HMAC_SHA256 || alg == TSIG_ALG_HMAC_SHA512 || alg == TSIG_ALG_HMAC_SHA1) {
			char b64[200];
			key_secret_b64(caps[i].key, b64, sizeof(b64));
			ldns_rdf *prior = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, 2u + s.mac_len, macbuf);
			ldns_pkt *p = NULL;
			assert_int_equal(ldns_wire2pkt(&p, r, rlen), LDNS_STATUS_OK);
			assert_true(ldns_pkt_tsig_verify(p, r, rlen, caps[i].key, b64, prior));
			ldns_pkt_free(p);
			ldns_rdf_deep_free(prior);
		}
		tsig_ctx_clear(&s);
		free(msg);
	}
	tsig_keyring_free(empty);
	tsig_keyring_free(kr);
}

/* ---- fuzzing ---- */

static uint32_t rng_state;

static uint32_t
rng(void)
{
	/* xorshift32: deterministic across libcs */
	uint32_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return rng_state = x;
}

static size_t
mutate(uint8_t *m, size_t len, size_t cap)
{
	int n = 1 + (int)(rng() % 4);
	for (int i = 0; i < n; i++) {
		switch (rng() % 6) {
		case 0: /* flip a bit */
			if (len > 0)
				m[rng() % len] ^= (uint8_t)(1u << (rng() % 8));
			break;
		case 1: /* random octet */
			if (len > 0)
				m[rng() % len] = (uint8_t)rng();
			break;
		case 2: /* truncate */
			if (len > 0)
				len = rng() % len;
			break;
		case 3: /* extend */
			for (int k = (int)(rng() % 16); k > 0 && len < cap; k--)
				m[len++] = (uint8_t)rng();
			break;
		case 4: /* interesting values in counts and lengths */
			if (len >= 2) {
				static const uint16_t vals[] = { 0, 1, 2, 0xff, 0x100, 0x7fff, 0xffff, 0xc00c };
				size_t at = rng() % (len - 1);
				wire_set_u16(m + at, vals[rng() % 8]);
			}
			break;
		default: /* duplicate a slice at the end */
			if (len > 4 && len < cap) {
				size_t from = rng() % len, n2 = rng() % (len - from);
				if (n2 > cap - len)
					n2 = cap - len;
				memmove(m + len, m + from, n2);
				len += n2;
			}
			break;
		}
	}
	return len;
}

static void
test_fuzz(void **state)
{
	tsig_keyring_t *kr = ring1("k.", TSIG_ALG_HMAC_SHA256, secret, SECRET_LEN);
	const tsig_key_t *key = find(kr, "k.");
	uint8_t q[512], r[1024], m[2048];
	tsig_ctx_t c, s;
	/* seeds: a signed query, a signed first and second response, an
	 * unsigned error response */
	tsig_ctx_init(&c);
	size_t qlen = mk_query(q, 0x9999, "example.com.", RR_AXFR);
	assert_int_equal(tsig_sign_request(key, q, &qlen, sizeof(q), T0, 0, &c), 0);
	tsig_ctx_t c0 = c; /* client state before any response (run == NULL) */
	assert_int_equal(tsig_verify_request(kr, q, qlen, T0, &s), TSIG_OK);
	uint8_t r1[1024], r2[1024];
	size_t r1len = mk_answer(r1, q, 3, 0), r2len;
	assert_int_equal(tsig_sign_response(&s, r1, &r1len, sizeof(r1), T0), 0);
	r2len = mk_answer(r2, q, 2, 1);
	assert_int_equal(tsig_sign_response(&s, r2, &r2len, sizeof(r2), T0), 0);
	const uint8_t *seeds[] = { q, r1, r2 };
	const size_t seedlen[] = { qlen, r1len, r2len };

	rng_state = 0x7515eedu;
	int counts[300] = { 0 };
	for (int it = 0; it < 20000; it++) {
		int sd = (int)(rng() % 3);
		memcpy(m, seeds[sd], seedlen[sd]);
		size_t len = mutate(m, seedlen[sd], sizeof(m));
		int v = tsig_verify_request(kr, m, len, T0, &s);
		assert_true(v == TSIG_OK || v == TSIG_NONE || v == TSIG_FORMERR || v == TSIG_BADKEY ||
			    v == TSIG_BADSIG || v == TSIG_BADTIME || v == TSIG_BADTRUNC);
		counts[v]++;
		if (v != TSIG_NONE && v != TSIG_FORMERR) {
			/* signing the answer must work whatever came in */
			size_t rlen = mk_answer(r, q, 1, 0);
			assert_int_equal(tsig_sign_response(&s, r, &rlen, sizeof(r), T0), 0);
		}
		/* client: as first message, and as a later one */
		c = c0;
		if (sd == 2)
			assert_int_equal(tsig_verify_response(&c, r1, r1len, T0), TSIG_OK);
		v = tsig_verify_response(&c, m, len, T0);
		assert_true(v == TSIG_OK || v == TSIG_NONE || v == TSIG_UNSIGNED || v == TSIG_FORMERR ||
			    v == TSIG_BADKEY || v == TSIG_BADSIG || v == TSIG_BADTIME || v == TSIG_BADTRUNC);
		tsig_verify_end(&c);
		tsig_ctx_clear(&c);
	}
	print_message("fuzz verdicts (server side): ok %d none %d formerr %d badsig %d badkey %d badtime %d "
		      "badtrunc %d\n",
		      counts[TSIG_OK], counts[TSIG_NONE], counts[TSIG_FORMERR], counts[TSIG_BADSIG],
		      counts[TSIG_BADKEY], counts[TSIG_BADTIME], counts[TSIG_BADTRUNC]);
	/* the mutations reach every branch class */
	assert_true(counts[TSIG_OK] > 0 && counts[TSIG_FORMERR] > 0 && counts[TSIG_BADSIG] > 0 &&
		    counts[TSIG_NONE] > 0 && counts[TSIG_BADKEY] > 0);

	/* key file parser: mutations of a valid file never crash, never
	 * leave a half-loaded keyring */
	const char *kt = "key \"a\" {\n algorithm hmac-sha256; /* c */\n secret \"" SECRET_B64 "\";\n};\n"
			 "key b { algorithm hmac-sha1; secret \"AAAA\"; }; # x\n";
	char text[512], err[256];
	for (int it = 0; it < 5000; it++) {
		size_t len = strlen(kt);
		memcpy(text, kt, len);
		len = mutate((uint8_t *)text, len, sizeof(text));
		tsig_keyring_t *k2 = tsig_keyring_new();
		int v = tsig_keyring_load_text(k2, "f", text, len, err, sizeof(err));
		if (v != 0)
			assert_int_equal(tsig_keyring_count(k2), 0);
		tsig_keyring_free(k2);
	}
	tsig_ctx_clear(&s);
	tsig_keyring_free(kr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alg),
		cmocka_unit_test(test_keyfile_good),
		cmocka_unit_test(test_keyfile_bad),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_space),
		cmocka_unit_test(test_server_errors),
		cmocka_unit_test(test_error_responses),
		cmocka_unit_test(test_multi_unsigned),
		cmocka_unit_test(test_ldns_oracle),
		cmocka_unit_test(test_interop_captured),
		cmocka_unit_test(test_fuzz),
	};
	return cmocka_run_group_tests_name("tsig", tests, setup, NULL);
}
