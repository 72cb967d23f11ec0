/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Reader for BIND-syntax TSIG key files (key statements only). A small
 * tokenizer (words, quoted strings, braces, semicolons; `#`, `//` and
 * C comments) feeds a recursive-descent parser; each complete key is added
 * to the keyring, and a failure rolls the keyring back to where it was.
 * Secret octets live in a stack buffer that is cleansed on every path.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "dns/dname.h"
#include "tsig/keyfile.h"
#include "tsig/tsig.h"
#include "util/b64.h"
#include "util/err.h"

/* Longest secret we take (decoded). HMAC hashes longer keys anyway. */
#define SECRET_MAX 512

typedef enum { T_EOF, T_WORD, T_STRING, T_LBRACE, T_RBRACE, T_SEMI } tok_kind_t;

typedef struct {
	tok_kind_t kind;
	const char *s; /* WORD/STRING: text (STRING without the quotes) */
	size_t len;
	unsigned line;
} token_t;

typedef struct {
	const char *p, *end;
	unsigned line;
	const char *name; /* for messages */
	char *err;
	size_t errlen;
} lexer_t;

static int lex_error(lexer_t *lx, unsigned line, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
lex_error(lexer_t *lx, unsigned line, int code, const char *fmt, ...)
{
	if (lx->err == NULL || lx->errlen == 0)
		return code;
	int n = snprintf(lx->err, lx->errlen, "%s:%u: ", lx->name, line);
	if (n >= 0 && (size_t)n < lx->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(lx->err + n, lx->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return code;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Skip whitespace and comments. 0 or FL_ESYNTAX (unterminated comment). */
static int
skip_blank(lexer_t *lx)
{
	while (lx->p < lx->end) {
		char c = *lx->p;
		if (is_space(c)) {
			if (c == '\n')
				lx->line++;
			lx->p++;
		} else if (c == '#' || (c == '/' && lx->end - lx->p >= 2 && lx->p[1] == '/')) {
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
		} else if (c == '/' && lx->end - lx->p >= 2 && lx->p[1] == '*') {
			unsigned start = lx->line;
			lx->p += 2;
			for (;;) {
				if (lx->end - lx->p < 2)
					return lex_error(lx, start, FL_ESYNTAX, "unterminated comment");
				if (lx->p[0] == '*' && lx->p[1] == '/')
					break;
				if (*lx->p == '\n')
					lx->line++;
				lx->p++;
			}
			lx->p += 2;
		} else {
			break;
		}
	}
	return 0;
}

static int
lex_next(lexer_t *lx, token_t *t)
{
	int ret = skip_blank(lx);
	if (ret != 0)
		return ret;
	t->line = lx->line;
	t->s = lx->p;
	t->len = 0;
	if (lx->p == lx->end) {
		t->kind = T_EOF;
		return 0;
	}
	char c = *lx->p;
	if (c == '{' || c == '}' || c == ';') {
		t->kind = c == '{' ? T_LBRACE : c == '}' ? T_RBRACE : T_SEMI;
		t->len = 1;
		lx->p++;
		return 0;
	}
	if (c == '"') {
		const char *s = ++lx->p;
		while (lx->p < lx->end && *lx->p != '"' && *lx->p != '\n')
			lx->p++;
		if (lx->p == lx->end || *lx->p != '"')
			return lex_error(lx, t->line, FL_ESYNTAX, "unterminated string");
		t->kind = T_STRING;
		t->s = s;
		t->len = (size_t)(lx->p - s);
		lx->p++;
		return 0;
	}
	while (lx->p < lx->end && !is_space(*lx->p) && *lx->p != '{' && *lx->p != '}' && *lx->p != ';' &&
	       *lx->p != '"' && *lx->p != '#' &&
	       !(*lx->p == '/' && lx->end - lx->p >= 2 && (lx->p[1] == '/' || lx->p[1] == '*')))
		lx->p++;
	t->kind = T_WORD;
	t->len = (size_t)(lx->p - t->s);
	return 0;
}

static bool
tok_is(const token_t *t, const char *word)
{
	return t->kind == T_WORD && strlen(word) == t->len && strncasecmp(t->s, word, t->len) == 0;
}

/* Printable description of a token for messages (never a secret: the
 * callers only describe tokens that are out of place). */
static const char *
tok_desc(const token_t *t, char *buf, size_t len)
{
	switch (t->kind) {
	case T_EOF: return "end of file";
	case T_LBRACE: return "'{'";
	case T_RBRACE: return "'}'";
	case T_SEMI: return "';'";
	default:
		snprintf(buf, len, "'%.*s'", (int)(t->len > 40 ? 40 : t->len), t->s);
		return buf;
	}
}

static int
expect(lexer_t *lx, tok_kind_t kind, const char *what)
{
	token_t t;
	char d[64];
	int ret = lex_next(lx, &t);
	if (ret != 0)
		return ret;
	if (t.kind != kind)
		return lex_error(lx, t.line, FL_ESYNTAX, "expected %s, got %s", what, tok_desc(&t, d, sizeof(d)));
	return 0;
}

/* One `key name { ... };` statement, the `key` word already read. */
static int
parse_key(lexer_t *lx, tsig_keyring_t *kr, unsigned key_line)
{
	token_t t, name_tok, v;
	char d[64];
	uint8_t name[DNAME_MAXLEN], secret[SECRET_MAX];
	int secret_len = -1;
	tsig_alg_t alg = TSIG_ALG_NONE;
	int ret;

	ret = lex_next(lx, &name_tok);
	if (ret != 0)
		goto fail;
	if (name_tok.kind != T_WORD && name_tok.kind != T_STRING) {
		ret = lex_error(lx, name_tok.line, FL_ESYNTAX, "expected key name, got %s",
				tok_desc(&name_tok, d, sizeof(d)));
		goto fail;
	}
	/* Names in key files are absolute, with or without the final dot. */
	if (name_tok.len == 0 || dname_from_str(name_tok.s, name_tok.len, (const uint8_t *)"", name) < 0) {
		ret = lex_error(lx, name_tok.line, FL_ESYNTAX, "invalid key name %s",
				tok_desc(&name_tok, d, sizeof(d)));
		goto fail;
	}
	ret = expect(lx, T_LBRACE, "'{'");
	if (ret != 0)
		goto fail;
	for (;;) {
		ret = lex_next(lx, &t);
		if (ret != 0)
			goto fail;
		if (t.kind == T_RBRACE)
			break;
		bool is_alg = tok_is(&t, "algorithm"), is_secret = tok_is(&t, "secret");
		if (!is_alg && !is_secret) {
			ret = lex_error(lx, t.line, FL_ESYNTAX, "expected 'algorithm', 'secret' or '}', got %s",
					tok_desc(&t, d, sizeof(d)));
			goto fail;
		}
		ret = lex_next(lx, &v);
		if (ret != 0)
			goto fail;
		if (v.kind != T_WORD && v.kind != T_STRING) {
			ret = lex_error(lx, v.line, FL_ESYNTAX, "expected a value after '%s', got %s",
					is_alg ? "algorithm" : "secret", tok_desc(&v, d, sizeof(d)));
			goto fail;
		}
		if (is_alg) {
			if (alg != TSIG_ALG_NONE) {
				ret = lex_error(lx, t.line, FL_ESYNTAX, "duplicate algorithm");
				goto fail;
			}
			alg = tsig_alg_from_str(v.s, v.len);
			if (alg == TSIG_ALG_NONE && tsig_alg_is_md5(v.s, v.len)) {
				ret = lex_error(lx, v.line, FL_ENOTSUP,
						"algorithm hmac-md5 refused (RFC 8945: MUST NOT use)");
				goto fail;
			}
			if (alg == TSIG_ALG_NONE) {
				ret = lex_error(lx, v.line, FL_ENOTSUP, "unknown algorithm %s",
						tok_desc(&v, d, sizeof(d)));
				goto fail;
			}
		} else {
			if (secret_len >= 0) {
				ret = lex_error(lx, t.line, FL_ESYNTAX, "duplicate secret");
				goto fail;
			}
			secret_len = b64_decode(v.s, v.len, secret, sizeof(secret));
			if (secret_len <= 0) {
				ret = lex_error(lx, v.line, FL_ESYNTAX, "bad base64 in secret");
				goto fail;
			}
		}
		ret = expect(lx, T_SEMI, "';'");
		if (ret != 0)
			goto fail;
	}
	ret = expect(lx, T_SEMI, "';' after '}'");
	if (ret != 0)
		goto fail;
	char kn[64];
	snprintf(kn, sizeof(kn), "%.*s", (int)(name_tok.len > 40 ? 40 : name_tok.len), name_tok.s);
	if (alg == TSIG_ALG_NONE) {
		ret = lex_error(lx, key_line, FL_ESYNTAX, "key '%s': missing algorithm", kn);
		goto fail;
	}
	if (secret_len < 0) {
		ret = lex_error(lx, key_line, FL_ESYNTAX, "key '%s': missing secret", kn);
		goto fail;
	}
	ret = tsig_keyring_add(kr, name, alg, secret, (size_t)secret_len);
	if (ret == 0)
		ret = tsig_keyring_set_source(kr, name, lx->name, key_line);
	if (ret == FL_EEXIST)
		ret = lex_error(lx, name_tok.line, FL_EEXIST, "duplicate key name '%s'", kn);
	else if (ret != 0)
		ret = lex_error(lx, key_line, ret, "key '%s': %s", kn, fl_strerror(ret));
fail:
	OPENSSL_cleanse(secret, sizeof(secret));
	return ret;
}

int
tsig_keyring_load_text(tsig_keyring_t *kr, const char *name, const char *text, size_t len, char *err,
		       size_t errlen)
{
	lexer_t lx = { .p = text, .end = text + len, .line = 1, .name = name, .err = err, .errlen = errlen };
	size_t before = tsig_keyring_count(kr);
	token_t t;
	char d[64];
	int ret;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	for (;;) {
		ret = lex_next(&lx, &t);
		if (ret != 0)
			goto fail;
		if (t.kind == T_EOF)
			break;
		if (!tok_is(&t, "key")) {
			ret = lex_error(&lx, t.line, FL_ESYNTAX, "expected 'key', got %s", tok_desc(&t, d, sizeof(d)));
			goto fail;
		}
		ret = parse_key(&lx, kr, t.line);
		if (ret != 0)
			goto fail;
	}
	return 0;
fail:
	tsig_keyring_truncate(kr, before);
	return ret;
}

int
tsig_keyring_load_file(tsig_keyring_t *kr, const char *path, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	int ret;

	FILE *f = fopen(path, "r");
	if (f == NULL) {
		ret = -errno;
		goto fail;
	}
	buf = malloc(TSIG_KEYFILE_MAX + 1);
	if (buf == NULL) {
		ret = FL_ENOMEM;
		goto fail;
	}
	len = fread(buf, 1, TSIG_KEYFILE_MAX + 1, f);
	if (ferror(f)) {
		ret = -EIO;
		goto fail;
	}
	if (len > TSIG_KEYFILE_MAX) {
		ret = FL_ELIMIT;
		goto fail;
	}
	fclose(f);
	f = NULL;
	ret = tsig_keyring_load_text(kr, path, buf, len, err, errlen);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return ret;
fail:
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", path, ret == FL_ELIMIT ? "file too large" : fl_strerror(ret));
	if (f != NULL)
		fclose(f);
	if (buf != NULL)
		OPENSSL_cleanse(buf, len);
	free(buf);
	return ret;
}
