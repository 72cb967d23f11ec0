/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Master-file lexer and rdata text -> wire converters (see zscan.h).
 * The converters for the types that make up nearly every hosting zone are
 * written here because going through ldns costs an allocation per field and
 * a text re-parse per record (about 3.5 s per million records); the rest
 * goes through ldns_rr_new_frm_str, which knows every registered type.
 * This file does not know about files, $-directives or the zone builder.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dname.h"
#include "dns/rrtype.h"
#include "util/err.h"
#include "zone/zscan.h"

#define TOK_MAX_LEN (1u << 20)   /* longest token; bigger than any base64 rdata */
#define TOK_MAX_COUNT (1u << 20) /* tokens per entry; rdata is at most 64 KiB anyway */
#define RDATA_MAX 65535u

/* Characters that end an unquoted token (plus '\\', which escapes). */
enum { C_PLAIN = 0, C_DELIM = 1, C_ESC = 2 };
static const uint8_t cclass[256] = {
	[' '] = C_DELIM, ['\t'] = C_DELIM, ['\r'] = C_DELIM, ['\n'] = C_DELIM, [';'] = C_DELIM,
	['('] = C_DELIM, [')'] = C_DELIM, ['"'] = C_DELIM, ['\0'] = C_DELIM, ['\\'] = C_ESC,
};

static int
fail(zscan_err_t *err, uint32_t line, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
fail(zscan_err_t *err, uint32_t line, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	err->line = line;
	return code;
}

/* Token text for messages: at most 64 characters. */
#define TOKFMT "%.*s%s"
#define TOKARG(t) (int)((t)->len > 64 ? 64 : (t)->len), (t)->s, ((t)->len > 64 ? "..." : "")

static int
push_tok(zscan_entry_t *e, const char *s, size_t len, uint32_t line, uint32_t flags, zscan_err_t *err)
{
	if (e->n == e->cap) {
		if (e->cap >= TOK_MAX_COUNT)
			return fail(err, line, FL_ELIMIT, "more than %u fields in one record", TOK_MAX_COUNT);
		size_t ncap = e->cap ? e->cap * 2 : 64;
		zscan_tok_t *nt = realloc(e->tok, ncap * sizeof(*nt));
		if (nt == NULL)
			return fail(err, line, FL_ENOMEM, "out of memory");
		e->tok = nt;
		e->cap = ncap;
	}
	if (len > TOK_MAX_LEN)
		return fail(err, line, FL_ELIMIT, "field longer than %u characters", TOK_MAX_LEN);
	if (e->n == 0)
		e->line = line;
	e->tok[e->n++] = (zscan_tok_t){ .s = s, .len = (uint32_t)len, .line = line, .flags = flags };
	return 0;
}

int
zscan_next(zscan_src_t *src, zscan_entry_t *e, zscan_err_t *err)
{
	const char *p = src->p, *end = src->end;
	uint32_t line = src->line;
	int paren = 0;
	uint32_t paren_line = 0;
	bool bol = true; /* at column 0 of a line that starts a new entry */
	int ret;

	e->n = 0;
	e->line = line;
	while (p < end) {
		char c = *p;
		if (c == '\n') {
			p++;
			line++;
			if (paren == 0 && e->n > 0)
				goto done;
			bol = paren == 0;
			continue;
		}
		uint32_t owner = 0;
		if (bol) {
			bol = false;
			/* Only a token in column 0 is an owner; a blank first
			 * column means "same owner as before" (RFC 1035 §5.1). */
			if (c != ' ' && c != '\t' && c != '\r' && c != ';' && c != '(' && c != ')')
				owner = ZSCAN_TOK_OWNER;
		}
		switch (c) {
		case ' ':
		case '\t':
		case '\r':
			p++;
			continue;
		case ';':
			while (p < end && *p != '\n')
				p++;
			continue;
		case '(':
			if (paren++ == 0)
				paren_line = line;
			p++;
			continue;
		case ')':
			if (paren == 0)
				return fail(err, line, FL_ESYNTAX, "unbalanced parenthesis");
			paren--;
			p++;
			continue;
		case '\0':
			return fail(err, line, FL_ESYNTAX, "NUL byte in zone file");
		case '"': {
			const char *q = p + 1;
			uint32_t flags = ZSCAN_TOK_QUOTED | owner;
			while (q < end && *q != '"') {
				if (*q == '\n' || *q == '\0')
					return fail(err, line, FL_ESYNTAX, "unterminated quoted string");
				if (*q == '\\') {
					flags |= ZSCAN_TOK_ESC;
					if (++q >= end || *q == '\n' || *q == '\0')
						return fail(err, line, FL_ESYNTAX, "unterminated quoted string");
				}
				q++;
			}
			if (q >= end)
				return fail(err, line, FL_ESYNTAX, "unterminated quoted string");
			if ((ret = push_tok(e, p + 1, (size_t)(q - p - 1), line, flags, err)) != 0)
				return ret;
			p = q + 1;
			continue;
		}
		default: {
			const char *q = p;
			uint32_t flags = owner;
			for (;;) {
				while (q < end && cclass[(uint8_t)*q] == C_PLAIN)
					q++;
				if (q >= end || cclass[(uint8_t)*q] == C_DELIM)
					break;
				/* A backslash takes the next character whatever it is
				 * (\DDD digits are plain characters anyway). */
				flags |= ZSCAN_TOK_ESC;
				if (q + 1 >= end || q[1] == '\n' || q[1] == '\0')
					return fail(err, line, FL_ESYNTAX, "backslash at the end of a line");
				q += 2;
			}
			if ((ret = push_tok(e, p, (size_t)(q - p), line, flags, err)) != 0)
				return ret;
			p = q;
			continue;
		}
		}
	}
	if (paren != 0)
		return fail(err, paren_line, FL_ESYNTAX, "unbalanced parenthesis");
done:
	src->p = p;
	src->line = line;
	return e->n > 0 ? 1 : 0;
}

void
zscan_entry_free(zscan_entry_t *e)
{
	free(e->tok);
	e->tok = NULL;
	e->n = e->cap = 0;
}

static inline uint8_t
upc(char c)
{
	return (c >= 'a' && c <= 'z') ? (uint8_t)(c - 32) : (uint8_t)c;
}

int
zscan_ttl(const char *s, size_t len, uint32_t *out)
{
	uint64_t total = 0, cur = 0;
	bool digits = false;
	if (len == 0)
		return FL_ESYNTAX;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c >= '0' && c <= '9') {
			cur = cur * 10 + (uint64_t)(c - '0');
			if (cur > UINT32_MAX)
				return FL_ERANGE;
			digits = true;
			continue;
		}
		uint64_t mult;
		switch (upc(c)) {
		case 'S': mult = 1; break;
		case 'M': mult = 60; break;
		case 'H': mult = 3600; break;
		case 'D': mult = 86400; break;
		case 'W': mult = 604800; break;
		default: return FL_ESYNTAX;
		}
		if (!digits)
			return FL_ESYNTAX;
		total += cur * mult;
		if (total > UINT32_MAX)
			return FL_ERANGE;
		cur = 0;
		digits = false;
	}
	total += cur;
	if (total > UINT32_MAX)
		return FL_ERANGE;
	*out = (uint32_t)total;
	return 0;
}

int
zscan_name(const zscan_tok_t *t, const uint8_t *origin, uint8_t *out, const char *what, zscan_err_t *err)
{
	int r = dname_from_str(t->s, t->len, origin, out);
	if (r > 0)
		return r;
	switch (r) {
	case FL_ELABEL:
		return fail(err, t->line, r, "label longer than 63 in %s '" TOKFMT "'", what, TOKARG(t));
	case FL_ENAMELEN:
		return fail(err, t->line, r, "%s '" TOKFMT "' is longer than 255 octets", what, TOKARG(t));
	default:
		return fail(err, t->line, FL_ESYNTAX, "bad %s '" TOKFMT "'", what, TOKARG(t));
	}
}

static inline bool
ci_eq(const char *s, const char *up, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (upc(s[i]) != (uint8_t)up[i])
			return false;
	return true;
}

int
zscan_type(const char *s, size_t len, uint16_t *type)
{
	/* rrtype_from_str walks the whole table with strncasecmp; a million
	 * records make that visible, so answer the usual suspects first. */
	switch (len) {
	case 1:
		if (upc(s[0]) == 'A') {
			*type = RR_A;
			return 0;
		}
		break;
	case 2:
		if (ci_eq(s, "NS", 2)) { *type = RR_NS; return 0; }
		if (ci_eq(s, "MX", 2)) { *type = RR_MX; return 0; }
		break;
	case 3:
		if (ci_eq(s, "TXT", 3)) { *type = RR_TXT; return 0; }
		if (ci_eq(s, "SOA", 3)) { *type = RR_SOA; return 0; }
		if (ci_eq(s, "PTR", 3)) { *type = RR_PTR; return 0; }
		if (ci_eq(s, "SRV", 3)) { *type = RR_SRV; return 0; }
		if (ci_eq(s, "CAA", 3)) { *type = RR_CAA; return 0; }
		break;
	case 4:
		if (ci_eq(s, "AAAA", 4)) { *type = RR_AAAA; return 0; }
		break;
	case 5:
		if (ci_eq(s, "CNAME", 5)) { *type = RR_CNAME; return 0; }
		break;
	}
	return rrtype_from_str(s, len, type);
}

const char *
zscan_type_str(uint16_t type, char *buf, size_t len)
{
	return rrtype_to_str(type, buf, len);
}

/* ---- rdata ---- */

/* Decimal number token, no sign, no units. */
static int
num_tok(const zscan_tok_t *t, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	if (t->len == 0 || t->len > 10)
		return FL_ESYNTAX;
	for (uint32_t i = 0; i < t->len; i++) {
		char c = t->s[i];
		if (c < '0' || c > '9')
			return FL_ESYNTAX;
		v = v * 10 + (uint64_t)(c - '0');
	}
	if (v > max)
		return FL_ERANGE;
	*out = (uint32_t)v;
	return 0;
}

static int
ipv4_tok(const zscan_tok_t *t, uint8_t *out)
{
	const char *s = t->s, *e = t->s + t->len;
	for (int part = 0; part < 4; part++) {
		if (part > 0) {
			if (s >= e || *s != '.')
				return FL_ESYNTAX;
			s++;
		}
		unsigned v = 0, nd = 0;
		while (s < e && *s >= '0' && *s <= '9') {
			/* leading zeros are refused as BIND does: 010 may be read as octal elsewhere */
			if (nd == 1 && v == 0)
				return FL_ESYNTAX;
			v = v * 10 + (unsigned)(*s - '0');
			if (++nd > 3 || v > 255)
				return FL_ESYNTAX;
			s++;
		}
		if (nd == 0)
			return FL_ESYNTAX;
		out[part] = (uint8_t)v;
	}
	return s == e ? 0 : FL_ESYNTAX;
}

/* Decode a token's escapes (\X, \DDD) into out (room for t->len bytes);
 * returns the decoded length or FL_ESYNTAX. */
static int
unescape(const zscan_tok_t *t, uint8_t *out)
{
	if (!(t->flags & ZSCAN_TOK_ESC)) {
		memcpy(out, t->s, t->len);
		return (int)t->len;
	}
	size_t o = 0;
	for (uint32_t i = 0; i < t->len; i++) {
		uint8_t c = (uint8_t)t->s[i];
		if (c == '\\') {
			if (i + 1 >= t->len)
				return FL_ESYNTAX;
			c = (uint8_t)t->s[++i];
			if (c >= '0' && c <= '9') {
				if (i + 2 >= t->len)
					return FL_ESYNTAX;
				uint8_t d1 = (uint8_t)t->s[i + 1], d2 = (uint8_t)t->s[i + 2];
				if (d1 < '0' || d1 > '9' || d2 < '0' || d2 > '9')
					return FL_ESYNTAX;
				unsigned v = (unsigned)(c - '0') * 100 + (unsigned)(d1 - '0') * 10 + (d2 - '0');
				if (v > 255)
					return FL_ESYNTAX;
				c = (uint8_t)v;
				i += 2;
			}
		}
		out[o++] = c;
	}
	return (int)o;
}

/* Append <character-string>s for one token at rd+*off: strings longer
 * than 255 octets are cut into 255-octet pieces instead of refused. */
static int
put_strings(uint8_t *rd, size_t *off, const zscan_tok_t *t, uint8_t *tmp, zscan_err_t *err, const char *tname)
{
	int len = unescape(t, tmp);
	if (len < 0)
		return fail(err, t->line, FL_ESYNTAX, "bad escape in %s string '" TOKFMT "'", tname, TOKARG(t));
	size_t pos = 0;
	do {
		size_t chunk = (size_t)len - pos > 255 ? 255 : (size_t)len - pos;
		if (*off + 1 + chunk > RDATA_MAX)
			return fail(err, t->line, FL_ELIMIT, "%s rdata longer than 65535 octets", tname);
		rd[(*off)++] = (uint8_t)chunk;
		memcpy(rd + *off, tmp + pos, chunk);
		*off += chunk;
		pos += chunk;
	} while (pos < (size_t)len);
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* RFC 3597 §5: \# <length> <hex>..., hex may be split across fields. */
static int
rdata_generic(zscan_rdata_t *r, const zscan_tok_t *t, size_t n, const char *tname, zscan_err_t *err)
{
	uint32_t want;
	if (n < 2 || num_tok(&t[1], RDATA_MAX, &want) != 0)
		return fail(err, n > 1 ? t[1].line : t[0].line, FL_ESYNTAX,
			    "bad RFC 3597 length in %s rdata", tname);
	size_t nib = 0;
	for (size_t i = 2; i < n; i++) {
		for (uint32_t k = 0; k < t[i].len; k++) {
			int v = hexval(t[i].s[k]);
			if (v < 0 || (t[i].flags & ZSCAN_TOK_QUOTED))
				return fail(err, t[i].line, FL_ESYNTAX, "bad hex '" TOKFMT "' in %s rdata",
					    TOKARG(&t[i]), tname);
			if (nib / 2 >= want)
				return fail(err, t[i].line, FL_ESYNTAX,
					    "RFC 3597 rdata longer than its length %u", want);
			if (nib % 2 == 0)
				r->rd[nib / 2] = (uint8_t)(v << 4);
			else
				r->rd[nib / 2] |= (uint8_t)v;
			nib++;
		}
	}
	if (nib != (size_t)want * 2)
		return fail(err, t[n - 1].line, FL_ESYNTAX, "RFC 3597 rdata has %zu hex digits, length %u needs %u",
			    nib, want, want * 2);
	return (int)want;
}

/* Everything without a fast path: let ldns parse "name ttl IN TYPE rdata"
 * and concatenate its rdata fields, which ldns keeps in uncompressed wire
 * form. Slow (allocations per field), but only for rare types. */
static int
rdata_ldns(zscan_rdata_t *r, uint16_t type, const zscan_tok_t *t, size_t n, const uint8_t *origin,
	   const char *tname, uint32_t line, zscan_err_t *err)
{
	const ldns_rr_descriptor *d = ldns_rr_descript(type);
	if (d == NULL || d->_name == NULL || d->_type != type)
		return fail(err, line, FL_ESYNTAX, "no text format known for %s: use RFC 3597 \\# rdata", tname);
	size_t need = 64 + strlen(d->_name);
	for (size_t i = 0; i < n; i++)
		need += t[i].len + 3;
	if (need > r->text_cap) {
		char *nt = realloc(r->text, need);
		if (nt == NULL)
			return fail(err, line, FL_ENOMEM, "out of memory");
		r->text = nt;
		r->text_cap = need;
	}
	/* The owner and TTL are placeholders: only the rdata is used. */
	size_t o = (size_t)snprintf(r->text, r->text_cap, ". 0 IN %s", d->_name);
	for (size_t i = 0; i < n; i++) {
		bool q = (t[i].flags & ZSCAN_TOK_QUOTED) != 0;
		r->text[o++] = ' ';
		if (q)
			r->text[o++] = '"';
		memcpy(r->text + o, t[i].s, t[i].len);
		o += t[i].len;
		if (q)
			r->text[o++] = '"';
	}
	r->text[o] = '\0';

	size_t olen = dname_len(origin);
	ldns_rdf *org = ldns_dname_new_frm_data((uint16_t)olen, origin);
	if (org == NULL)
		return fail(err, line, FL_ENOMEM, "out of memory");
	ldns_rr *rr = NULL;
	ldns_status st = ldns_rr_new_frm_str(&rr, r->text, 0, org, NULL);
	ldns_rdf_deep_free(org);
	if (st != LDNS_STATUS_OK) {
		if (rr != NULL)
			ldns_rr_free(rr);
		return fail(err, line, FL_ESYNTAX, "bad %s rdata: %s", tname, ldns_get_errorstr_by_id(st));
	}
	int ret;
	size_t off = 0;
	if (ldns_rr_get_type(rr) != type) {
		ret = fail(err, line, FL_ESYNTAX, "bad %s rdata", tname);
		goto fail;
	}
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);
		size_t sz = ldns_rdf_size(f);
		if (off + sz > RDATA_MAX) {
			ret = fail(err, line, FL_ELIMIT, "%s rdata longer than 65535 octets", tname);
			goto fail;
		}
		if (sz > 0)
			memcpy(r->rd + off, ldns_rdf_data(f), sz);
		off += sz;
	}
	ldns_rr_free(rr);
	rrtype_lower_names(type, r->rd, off, false);
	return (int)off;
fail:
	ldns_rr_free(rr);
	return ret;
}

/* Check the field count for fixed-layout types. */
static int
want_fields(const zscan_tok_t *t, size_t n, size_t k, const char *tname, uint32_t line, zscan_err_t *err)
{
	if (n < k)
		return fail(err, n ? t[n - 1].line : line, FL_ESYNTAX, "missing fields in %s rdata (%zu of %zu)",
			    tname, n, k);
	if (n > k)
		return fail(err, t[k].line, FL_ESYNTAX, "trailing data '" TOKFMT "' after %s rdata", TOKARG(&t[k]),
			    tname);
	return 0;
}

static int
rd_num(const zscan_tok_t *t, uint32_t max, const char *what, const char *tname, uint32_t *v, zscan_err_t *err)
{
	if (num_tok(t, max, v) != 0)
		return fail(err, t->line, FL_ESYNTAX, "bad %s '" TOKFMT "' in %s rdata (0..%u)", what, TOKARG(t),
			    tname, max);
	return 0;
}

static int
rd_name(zscan_rdata_t *r, size_t *off, const zscan_tok_t *t, const uint8_t *origin, const char *what,
	zscan_err_t *err)
{
	int k = zscan_name(t, origin, r->rd + *off, what, err);
	if (k < 0)
		return k;
	*off += (size_t)k;
	return 0;
}

static int
rd_timer(const zscan_tok_t *t, const char *what, uint32_t *v, zscan_err_t *err)
{
	int r = zscan_ttl(t->s, t->len, v);
	if (r == FL_ERANGE)
		return fail(err, t->line, FL_ERANGE, "SOA %s '" TOKFMT "' out of range", what, TOKARG(t));
	if (r != 0)
		return fail(err, t->line, FL_ESYNTAX, "bad SOA %s '" TOKFMT "'", what, TOKARG(t));
	return 0;
}

int
zscan_rdata(zscan_rdata_t *r, uint16_t type, const zscan_tok_t *t, size_t n, const uint8_t *origin,
	    zscan_err_t *err)
{
	char tbuf[24];
	uint32_t line = n > 0 ? t[0].line : 0;
	size_t off = 0;
	uint32_t v;
	int ret;

	/* The mnemonic is only for messages: no snprintf per record. */
	const char *tname = rrtype_desc(type)->name;
	if (tname == NULL)
		tname = zscan_type_str(type, tbuf, sizeof(tbuf));
	if (n > 0 && t[0].len == 2 && t[0].s[0] == '\\' && t[0].s[1] == '#' && !(t[0].flags & ZSCAN_TOK_QUOTED)) {
		ret = rdata_generic(r, t, n, tname, err);
		if (ret > 0)
			rrtype_lower_names(type, r->rd, (size_t)ret, false);
		return ret;
	}
	switch (type) {
	case RR_A:
		if ((ret = want_fields(t, n, 1, tname, line, err)) != 0)
			return ret;
		if (ipv4_tok(&t[0], r->rd) != 0)
			return fail(err, t[0].line, FL_ESYNTAX, "bad IPv4 address '" TOKFMT "'", TOKARG(&t[0]));
		return 4;
	case RR_AAAA: {
		if ((ret = want_fields(t, n, 1, tname, line, err)) != 0)
			return ret;
		char buf[INET6_ADDRSTRLEN + 1];
		if (t[0].len >= sizeof(buf) || (t[0].flags & ZSCAN_TOK_ESC))
			return fail(err, t[0].line, FL_ESYNTAX, "bad IPv6 address '" TOKFMT "'", TOKARG(&t[0]));
		memcpy(buf, t[0].s, t[0].len);
		buf[t[0].len] = '\0';
		if (inet_pton(AF_INET6, buf, r->rd) != 1)
			return fail(err, t[0].line, FL_ESYNTAX, "bad IPv6 address '" TOKFMT "'", TOKARG(&t[0]));
		return 16;
	}
	case RR_NS:
	case RR_CNAME:
	case RR_PTR:
	case RR_DNAME:
		if ((ret = want_fields(t, n, 1, tname, line, err)) != 0)
			return ret;
		if ((ret = rd_name(r, &off, &t[0], origin, type == RR_NS ? "NS target" : "target", err)) != 0)
			return ret;
		return (int)off;
	case RR_MX:
		if ((ret = want_fields(t, n, 2, tname, line, err)) != 0 ||
		    (ret = rd_num(&t[0], 65535, "preference", tname, &v, err)) != 0)
			return ret;
		r->rd[0] = (uint8_t)(v >> 8);
		r->rd[1] = (uint8_t)v;
		off = 2;
		if ((ret = rd_name(r, &off, &t[1], origin, "mail exchanger", err)) != 0)
			return ret;
		return (int)off;
	case RR_SRV: {
		if ((ret = want_fields(t, n, 4, tname, line, err)) != 0)
			return ret;
		static const char *what[3] = { "priority", "weight", "port" };
		for (int i = 0; i < 3; i++) {
			if ((ret = rd_num(&t[i], 65535, what[i], tname, &v, err)) != 0)
				return ret;
			r->rd[off++] = (uint8_t)(v >> 8);
			r->rd[off++] = (uint8_t)v;
		}
		if ((ret = rd_name(r, &off, &t[3], origin, "SRV target", err)) != 0)
			return ret;
		return (int)off;
	}
	case RR_SOA: {
		if ((ret = want_fields(t, n, 7, tname, line, err)) != 0)
			return ret;
		if ((ret = rd_name(r, &off, &t[0], origin, "SOA MNAME", err)) != 0 ||
		    (ret = rd_name(r, &off, &t[1], origin, "SOA RNAME", err)) != 0)
			return ret;
		if (num_tok(&t[2], UINT32_MAX, &v) != 0)
			return fail(err, t[2].line, FL_ESYNTAX, "bad SOA serial '" TOKFMT "'", TOKARG(&t[2]));
		static const char *what[4] = { "REFRESH", "RETRY", "EXPIRE", "MINIMUM" };
		for (int i = 0; i < 5; i++) {
			if (i > 0 && (ret = rd_timer(&t[2 + i], what[i - 1], &v, err)) != 0)
				return ret;
			r->rd[off++] = (uint8_t)(v >> 24);
			r->rd[off++] = (uint8_t)(v >> 16);
			r->rd[off++] = (uint8_t)(v >> 8);
			r->rd[off++] = (uint8_t)v;
		}
		r->soa_minimum = v;
		return (int)off;
	}
	case RR_TXT:
	case RR_SPF:
		if (n == 0)
			return fail(err, line, FL_ESYNTAX, "missing %s rdata", tname);
		for (size_t i = 0; i < n; i++) {
			/* Decode into the tail of rd: the output never outgrows
			 * the input, and off+len is checked before copying. */
			uint8_t tmp[4096];
			uint8_t *buf = t[i].len <= sizeof(tmp) ? tmp : NULL;
			if (buf == NULL) {
				/* a >4 KiB single string: decode in place is not
				 * possible, so bound it by the rdata limit first */
				if (t[i].len > RDATA_MAX)
					return fail(err, t[i].line, FL_ELIMIT, "%s rdata longer than 65535 octets", tname);
				buf = malloc(t[i].len ? t[i].len : 1);
				if (buf == NULL)
					return fail(err, t[i].line, FL_ENOMEM, "out of memory");
			}
			ret = put_strings(r->rd, &off, &t[i], buf, err, tname);
			if (buf != tmp)
				free(buf);
			if (ret != 0)
				return ret;
		}
		return (int)off;
	case RR_CAA: {
		if ((ret = want_fields(t, n, 3, tname, line, err)) != 0 ||
		    (ret = rd_num(&t[0], 255, "flags", tname, &v, err)) != 0)
			return ret;
		r->rd[off++] = (uint8_t)v;
		const zscan_tok_t *tag = &t[1];
		if (tag->len == 0 || tag->len > 255 || (tag->flags & (ZSCAN_TOK_ESC | ZSCAN_TOK_QUOTED)))
			return fail(err, tag->line, FL_ESYNTAX, "bad CAA tag '" TOKFMT "'", TOKARG(tag));
		for (uint32_t i = 0; i < tag->len; i++) {
			char c = tag->s[i];
			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
				return fail(err, tag->line, FL_ESYNTAX, "bad CAA tag '" TOKFMT "'", TOKARG(tag));
		}
		r->rd[off++] = (uint8_t)tag->len;
		memcpy(r->rd + off, tag->s, tag->len);
		off += tag->len;
		if (t[2].len > RDATA_MAX - off)
			return fail(err, t[2].line, FL_ELIMIT, "CAA rdata longer than 65535 octets");
		int k = unescape(&t[2], r->rd + off);
		if (k < 0)
			return fail(err, t[2].line, FL_ESYNTAX, "bad escape in CAA value '" TOKFMT "'", TOKARG(&t[2]));
		return (int)(off + (size_t)k);
	}
	default:
		return rdata_ldns(r, type, t, n, origin, tname, line, err);
	}
}

void
zscan_rdata_free(zscan_rdata_t *r)
{
	free(r->text);
	r->text = NULL;
	r->text_cap = 0;
}
