/* SPDX-License-Identifier: MIT */
/**
 * \file
 * The control protocol codec (see ctlproto.h): request lines, answers built
 * record by record, answers parsed back, and their JSON form. Text only.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctlproto.h"
#include "util/err.h"

#define CTL_MAGIC "FLAMECTL"
#define CTL_END "\n.\n"

static bool
is_word_char(unsigned char c)
{
	/* Requests are split on spaces: whitespace and control characters
	 * (DEL included) would change the framing or be invisible in logs. */
	return c > 0x20 && c != 0x7f;
}

static bool
is_key_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static bool
is_key(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_key_char((unsigned char)s[i]))
			return false;
	return true;
}


/* Decimal version number: 1 to 9 digits, no sign, no leading zero. */
static bool
parse_version(const char *s, size_t len, unsigned *out)
{
	if (len == 0 || len > 9 || (s[0] == '0' && len > 1))
		return false;
	unsigned v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return true;
}

/* ---- requests ---- */

int
ctl_req_parse(const char *line, size_t len, ctl_req_t *out, char *err, size_t errlen)
{
	if (len > 0 && line[len - 1] == '\n')
		len--;
	memset(out, 0, offsetof(ctl_req_t, buf));
	if (len + 1 > CTL_REQ_MAX) {
		fl_errf(err, errlen, "request longer than %d bytes", CTL_REQ_MAX);
		return FL_ESYNTAX;
	}
	for (size_t i = 0; i < len; i++)
		if (!is_word_char((unsigned char)line[i]) && line[i] != ' ') {
			fl_errf(err, errlen, "control character in request");
			return FL_ESYNTAX;
		}
	memcpy(out->buf, line, len);
	out->buf[len] = '\0';

	/* Split on single spaces; an empty word (two spaces, a space at either
	 * end) is refused so that every side agrees on the argument count. */
	char *words[CTL_MAX_ARGS + 2];
	int n = 0;
	char *p = out->buf, *end = out->buf + len;
	for (;;) {
		char *sp = memchr(p, ' ', (size_t)(end - p));
		char *wend = sp != NULL ? sp : end;
		if (wend == p) {
			fl_errf(err, errlen, len == 0 ? "empty request" : "empty argument (two spaces, or a space at an end)");
			return FL_ESYNTAX;
		}
		if (n == CTL_MAX_ARGS + 2) {
			fl_errf(err, errlen, "too many arguments (at most %d words after the version)", CTL_MAX_ARGS);
			return FL_ESYNTAX;
		}
		*wend = '\0';
		words[n++] = p;
		if (sp == NULL)
			break;
		p = sp + 1;
	}
	if (strcmp(words[0], CTL_MAGIC) != 0) {
		fl_errf(err, errlen, "not a FLAMECTL request");
		return FL_ESYNTAX;
	}
	if (n < 2 || !parse_version(words[1], strlen(words[1]), &out->version)) {
		fl_errf(err, errlen, "bad protocol version");
		return FL_ESYNTAX;
	}
	if (n < 3) {
		fl_errf(err, errlen, "missing command");
		return FL_ESYNTAX;
	}
	out->argc = n - 2;
	for (int i = 0; i < out->argc; i++)
		out->argv[i] = words[i + 2];
	return 0;
}

int
ctl_req_format(int argc, const char *const *argv, char *buf, size_t cap)
{
	if (argc < 1 || argc > CTL_MAX_ARGS)
		return FL_EINVAL;
	size_t len = strlen(CTL_MAGIC " 1");
	for (int i = 0; i < argc; i++) {
		size_t l = strlen(argv[i]);
		if (l == 0)
			return FL_EINVAL;
		for (size_t k = 0; k < l; k++)
			if (!is_word_char((unsigned char)argv[i][k]))
				return FL_EINVAL;
		len += 1 + l;
		if (len >= CTL_REQ_MAX)
			return FL_ESPACE;
	}
	len++; /* newline */
	if (len > CTL_REQ_MAX || len + 1 > cap)
		return FL_ESPACE;
	size_t pos = (size_t)snprintf(buf, cap, "%s %d", CTL_MAGIC, CTL_PROTO_VERSION);
	for (int i = 0; i < argc; i++) {
		size_t l = strlen(argv[i]);
		buf[pos++] = ' ';
		memcpy(buf + pos, argv[i], l);
		pos += l;
	}
	buf[pos++] = '\n';
	buf[pos] = '\0';
	assert(pos == len);
	return (int)len;
}

/* ---- building answers ---- */

void
ctl_out_init(ctl_out_t *o)
{
	memset(o, 0, sizeof(*o));
}

void
ctl_out_free(ctl_out_t *o)
{
	free(o->buf);
	free(o->final);
	memset(o, 0, sizeof(*o));
}

/* Room for n more bytes; on failure the answer is marked and nothing more is added. */
static bool
out_reserve(ctl_out_t *o, size_t n)
{
	if (o->oom)
		return false;
	if (n <= o->cap - o->len)
		return true;
	size_t cap = o->cap != 0 ? o->cap : 256;
	while (cap - o->len < n) {
		if (cap > SIZE_MAX / 2) {
			o->oom = true;
			return false;
		}
		cap *= 2;
	}
	char *b = realloc(o->buf, cap);
	if (b == NULL) {
		o->oom = true;
		return false;
	}
	o->buf = b;
	o->cap = cap;
	return true;
}

static void
out_raw(ctl_out_t *o, const char *s, size_t n)
{
	if (!out_reserve(o, n))
		return;
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

void
ctl_out_rec(ctl_out_t *o, const char *type)
{
	assert(is_key(type, strlen(type)));
	/* A record ends when the next one starts (or at finish), so fields can
	 * be added until then without looking back. */
	if (o->len > 0)
		out_raw(o, "\n", 1);
	out_raw(o, type, strlen(type));
}

void
ctl_out_str(ctl_out_t *o, const char *key, const char *val)
{
	size_t klen = strlen(key);
	assert(is_key(key, klen));
	if (o->oom)
		return;
	assert(o->len > 0 && "ctl_out_rec() first");
	if (val == NULL)
		val = "-";
	size_t vlen = strlen(val);
	/* Worst case every byte is escaped: reserve once, then write in place. */
	if (vlen > (SIZE_MAX - klen - 2) / 2 || !out_reserve(o, klen + 2 + 2 * vlen))
		return;
	char *p = o->buf + o->len;
	*p++ = '\t';
	memcpy(p, key, klen);
	p += klen;
	*p++ = '=';
	for (size_t i = 0; i < vlen; i++) {
		char c = val[i];
		switch (c) {
		case '\\': *p++ = '\\'; *p++ = '\\'; break;
		case '\t': *p++ = '\\'; *p++ = 't'; break;
		case '\n': *p++ = '\\'; *p++ = 'n'; break;
		case '\r': *p++ = '\\'; *p++ = 'r'; break;
		default: *p++ = c; break;
		}
	}
	o->len = (size_t)(p - o->buf);
}

void
ctl_out_fmt(ctl_out_t *o, const char *key, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		o->oom = true; /* only an encoding error: the answer would be wrong */
		return;
	}
	if ((size_t)n < sizeof(small)) {
		ctl_out_str(o, key, small);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (big == NULL) {
		o->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	ctl_out_str(o, key, big);
	free(big);
}

void
ctl_out_u64(ctl_out_t *o, const char *key, uint64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "%" PRIu64, v);
	ctl_out_str(o, key, b);
}

void
ctl_out_bool(ctl_out_t *o, const char *key, bool v)
{
	ctl_out_str(o, key, v ? "true" : "false");
}

void
ctl_out_time(ctl_out_t *o, const char *key, time_t t)
{
	char b[32];
	struct tm tm;
	if (t == 0 || gmtime_r(&t, &tm) == NULL || strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		ctl_out_str(o, key, NULL);
	else
		ctl_out_str(o, key, b);
}

int
ctl_out_finish(ctl_out_t *o, const char *errmsg, const char **data, size_t *len)
{
	*data = NULL;
	*len = 0;
	free(o->final);
	o->final = NULL;
	o->final_len = 0;
	if (o->oom)
		return FL_ENOMEM;
	char head[64];
	int hl = snprintf(head, sizeof(head), "%s %d %s", CTL_MAGIC, CTL_PROTO_VERSION, errmsg != NULL ? "ERR " : "OK\n");
	size_t mlen = errmsg != NULL ? strlen(errmsg) : 0;
	size_t body = errmsg != NULL ? 1 : (o->len > 0 ? o->len + 1 : 0);
	size_t total = (size_t)hl + mlen + body + 2;
	char *f = malloc(total + 1);
	if (f == NULL)
		return FL_ENOMEM;
	size_t pos = (size_t)hl;
	memcpy(f, head, pos);
	if (errmsg != NULL) {
		/* The error is one line: any control character would break framing. */
		for (size_t i = 0; i < mlen; i++) {
			unsigned char c = (unsigned char)errmsg[i];
			f[pos++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
		}
		f[pos++] = '\n';
	} else if (o->len > 0) {
		memcpy(f + pos, o->buf, o->len);
		pos += o->len;
		f[pos++] = '\n';
	}
	f[pos++] = '.';
	f[pos++] = '\n';
	f[pos] = '\0';
	assert(pos == total);
	o->final = f;
	o->final_len = total;
	*data = f;
	*len = total;
	return 0;
}

/* ---- parsing answers ---- */

void
ctl_resp_free(ctl_resp_t *r)
{
	/* Each record is one block: its fields array, then its strings (see parse_record). */
	for (size_t i = 0; i < r->nrec; i++)
		free(r->rec[i].f);
	free(r->rec);
	free(r->error);
	memset(r, 0, sizeof(*r));
}

/* Unescape s[0..len) into dst (NUL-terminated). false on a bad escape. */
static bool
unescape(const char *s, size_t len, char *dst)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '\\') {
			*dst++ = s[i];
			continue;
		}
		if (++i == len)
			return false;
		switch (s[i]) {
		case '\\': *dst++ = '\\'; break;
		case 't': *dst++ = '\t'; break;
		case 'n': *dst++ = '\n'; break;
		case 'r': *dst++ = '\r'; break;
		default: return false;
		}
	}
	*dst = '\0';
	return true;
}

/*
 * One record line into one allocation: nf ctl_field_t, then the type, keys
 * and values as C strings. Unescaped text is never longer than the line, so
 * len + 1 bytes of strings suffice (the tabs and '=' become the NULs).
 */
static int
parse_record(const char *line, size_t len, unsigned lineno, ctl_rec_t *rec, char *err, size_t errlen)
{
	size_t nf = 0;
	for (size_t i = 0; i < len; i++)
		nf += line[i] == '\t';
	char *blk = malloc(nf * sizeof(ctl_field_t) + len + 1);
	if (blk == NULL)
		return FL_ENOMEM;
	ctl_field_t *f = (ctl_field_t *)(void *)blk;
	char *s = blk + nf * sizeof(ctl_field_t);
	const char *p = line, *end = line + len;
	const char *tab = memchr(p, '\t', len);
	size_t tlen = (size_t)((tab != NULL ? tab : end) - p);
	if (!is_key(p, tlen)) {
		fl_errf(err, errlen, "line %u: bad record type (expected [a-z0-9-]+)", lineno);
		goto fail;
	}
	memcpy(s, p, tlen);
	s[tlen] = '\0';
	rec->type = s;
	s += tlen + 1;
	for (size_t k = 0; k < nf; k++) {
		p = tab + 1;
		tab = memchr(p, '\t', (size_t)(end - p));
		const char *fend = tab != NULL ? tab : end;
		const char *eq = memchr(p, '=', (size_t)(fend - p));
		if (eq == NULL) {
			fl_errf(err, errlen, "line %u: field %zu without '='", lineno, k + 1);
			goto fail;
		}
		if (!is_key(p, (size_t)(eq - p))) {
			fl_errf(err, errlen, "line %u: bad key in field %zu (expected [a-z0-9-]+)", lineno, k + 1);
			goto fail;
		}
		f[k].key = s;
		memcpy(s, p, (size_t)(eq - p));
		s += eq - p;
		*s++ = '\0';
		f[k].val = s;
		if (!unescape(eq + 1, (size_t)(fend - eq - 1), s)) {
			fl_errf(err, errlen, "line %u: bad escape in the value of '%s'", lineno, f[k].key);
			goto fail;
		}
		s += strlen(s) + 1;
	}
	rec->f = f;
	rec->nf = nf;
	return 0;
fail:
	free(blk);
	return FL_ESYNTAX;
}

/* The header line: "FLAMECTL <version> OK" or "FLAMECTL <version> ERR[ <text>]". */
static int
parse_header(const char *line, size_t len, ctl_resp_t *out, char *err, size_t errlen)
{
	const size_t ml = strlen(CTL_MAGIC);
	if (len < ml + 1 || memcmp(line, CTL_MAGIC " ", ml + 1) != 0) {
		fl_errf(err, errlen, "bad header line (not a FLAMECTL answer)");
		return FL_ESYNTAX;
	}
	const char *v = line + ml + 1, *end = line + len;
	const char *sp = memchr(v, ' ', (size_t)(end - v));
	if (sp == NULL || !parse_version(v, (size_t)(sp - v), &out->version)) {
		fl_errf(err, errlen, "bad header line (bad version)");
		return FL_ESYNTAX;
	}
	const char *st = sp + 1;
	size_t stlen = (size_t)(end - st);
	if (stlen == 2 && memcmp(st, "OK", 2) == 0) {
		out->ok = true;
		return 0;
	}
	if (stlen >= 3 && memcmp(st, "ERR", 3) == 0 && (stlen == 3 || st[3] == ' ')) {
		size_t tl = stlen > 3 ? stlen - 4 : 0;
		out->error = malloc(tl + 1);
		if (out->error == NULL)
			return FL_ENOMEM;
		memcpy(out->error, st + stlen - tl, tl);
		out->error[tl] = '\0';
		return 0;
	}
	fl_errf(err, errlen, "bad header line (expected OK or ERR)");
	return FL_ESYNTAX;
}

int
ctl_resp_parse(const char *data, size_t len, ctl_resp_t *out, char *err, size_t errlen)
{
	int ret = FL_ESYNTAX;
	size_t cap = 0;
	memset(out, 0, sizeof(*out));
	if (len > CTL_RESP_MAX) {
		fl_errf(err, errlen, "answer longer than %u bytes", CTL_RESP_MAX);
		return FL_ESYNTAX;
	}
	if (memchr(data, '\0', len) != NULL) {
		fl_errf(err, errlen, "NUL byte in the answer");
		return FL_ESYNTAX;
	}
	/* The end line is what tells a complete answer from a cut one. */
	if (len < strlen(CTL_END) || memcmp(data + len - strlen(CTL_END), CTL_END, strlen(CTL_END)) != 0) {
		fl_errf(err, errlen, "truncated answer (no end line)");
		return FL_ESYNTAX;
	}
	const char *end = data + len - 2; /* the "." line */
	const char *nl = memchr(data, '\n', len);
	if ((ret = parse_header(data, (size_t)(nl - data), out, err, errlen)) != 0)
		goto fail;
	unsigned lineno = 1;
	for (const char *p = nl + 1; p < end; p = nl + 1) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!out->ok)
			continue; /* an ERR answer has no records; ignore any */
		if (out->nrec == cap) {
			size_t ncap = cap != 0 ? cap * 2 : 16;
			ctl_rec_t *r = realloc(out->rec, ncap * sizeof(*r));
			if (r == NULL) {
				ret = FL_ENOMEM;
				goto fail;
			}
			out->rec = r;
			cap = ncap;
		}
		if ((ret = parse_record(p, (size_t)(nl - p), lineno, &out->rec[out->nrec], err, errlen)) != 0)
			goto fail;
		out->nrec++;
	}
	return 0;
fail:
	if (ret == FL_ENOMEM)
		fl_errf(err, errlen, "out of memory");
	ctl_resp_free(out);
	return ret;
}

const char *
ctl_rec_get(const ctl_rec_t *r, const char *key)
{
	for (size_t i = 0; i < r->nf; i++)
		if (strcmp(r->f[i].key, key) == 0)
			return r->f[i].val;
	return NULL;
}

/* ---- JSON ---- */

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no
 * surrogates, at most U+10FFFF), 0 when invalid. */
static size_t
utf8_seq(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	size_t n;
	unsigned min;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, min = 0x10000;
	else
		return 0;
	if (left < n)
		return 0;
	unsigned cp = c & (0x3fu >> (n - 1));
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* A JSON string; bytes that are not UTF-8 become U+FFFD so the output always parses. */
static void
json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s);
	fputc('"', f);
	while (left > 0) {
		unsigned char c = *p;
		size_t n;
		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
			n = 1;
		} else if (c < 0x20) {
			switch (c) {
			case '\n': fputs("\\n", f); break;
			case '\t': fputs("\\t", f); break;
			case '\r': fputs("\\r", f); break;
			case '\b': fputs("\\b", f); break;
			case '\f': fputs("\\f", f); break;
			default: fprintf(f, "\\u%04x", c); break;
			}
			n = 1;
		} else if ((n = utf8_seq(p, left)) == 0) {
			fputs("\\ufffd", f);
			n = 1;
		} else {
			fwrite(p, 1, n, f);
		}
		p += n;
		left -= n;
	}
	fputc('"', f);
}

/* -?(0|[1-9][0-9]{0,17}): fits an int64 and is a valid JSON number (JSON
 * has no leading zeros, so "007" stays a string). */
static bool
is_json_int(const char *s)
{
	if (*s == '-')
		s++;
	size_t n = strlen(s);
	if (n == 0 || n > 18 || (s[0] == '0' && n > 1))
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static void
json_val(FILE *f, const char *v)
{
	if (strcmp(v, "-") == 0)
		fputs("null", f);
	else if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0 || is_json_int(v))
		fputs(v, f);
	else
		json_str(f, v);
}

/* Record indices ordered by (type, position): each type's records become
 * contiguous in their original order, in O(n log n) for any number of types. */
static int
cmp_by_type(const void *a, const void *b, void *arg)
{
	const ctl_resp_t *r = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(r->rec[x].type, r->rec[y].type);
	if (c != 0)
		return c;
	return x < y ? -1 : x > y;
}

static int
cmp_groups(const void *a, const void *b)
{
	/* group = its first record index (the smallest of the type) */
	size_t x = ((const size_t *)a)[0], y = ((const size_t *)b)[0];
	return x < y ? -1 : x > y;
}

int
ctl_resp_json(const ctl_resp_t *r, FILE *f)
{
	size_t *idx = NULL, *grp = NULL;
	errno = 0;
	if (!r->ok) {
		fputs("{\"ok\":false,\"error\":", f);
		json_str(f, r->error != NULL ? r->error : "");
		fputs("}\n", f);
		goto out;
	}
	fputs("{\"ok\":true", f);
	if (r->nrec > 0) {
		idx = malloc(r->nrec * sizeof(*idx));
		grp = malloc(r->nrec * 2 * sizeof(*grp)); /* pairs: first index, start in idx */
		if (idx == NULL || grp == NULL) {
			free(idx);
			free(grp);
			return FL_ENOMEM;
		}
		for (size_t i = 0; i < r->nrec; i++)
			idx[i] = i;
		qsort_r(idx, r->nrec, sizeof(*idx), cmp_by_type, (void *)r);
		size_t ng = 0;
		for (size_t i = 0; i < r->nrec; i++)
			if (i == 0 || strcmp(r->rec[idx[i]].type, r->rec[idx[i - 1]].type) != 0) {
				grp[2 * ng] = idx[i];
				grp[2 * ng + 1] = i;
				ng++;
			}
		qsort(grp, ng, 2 * sizeof(*grp), cmp_groups);
		for (size_t g = 0; g < ng; g++) {
			size_t i = grp[2 * g + 1];
			const char *type = r->rec[idx[i]].type;
			fputc(',', f);
			json_str(f, type);
			fputs(":[", f);
			for (size_t k = i; k < r->nrec && strcmp(r->rec[idx[k]].type, type) == 0; k++) {
				const ctl_rec_t *rec = &r->rec[idx[k]];
				fputs(k == i ? "{" : ",{", f);
				for (size_t j = 0; j < rec->nf; j++) {
					if (j > 0)
						fputc(',', f);
					json_str(f, rec->f[j].key);
					fputc(':', f);
					json_val(f, rec->f[j].val);
				}
				fputc('}', f);
			}
			fputc(']', f);
		}
	}
	fputs("}\n", f);
out:
	free(idx);
	free(grp);
	if (fflush(f) != 0 || ferror(f))
		return errno != 0 ? -errno : -EIO;
	return 0;
}
