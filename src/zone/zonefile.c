/* SPDX-License-Identifier: MIT */
/**
 * \file
 * RFC 1035 master file reader (see zonefile.h): reads whole files, walks
 * their entries with the zscan lexer, handles the $-directives ($ORIGIN,
 * $TTL, $INCLUDE, BIND's $GENERATE), resolves owners and TTLs, converts
 * rdata with zscan_rdata and feeds each record to the zone builder, which
 * owns every zone-level rule (one SOA, apex NS, CNAME exclusivity, glue...).
 * It does not keep records itself and does not serve anything.
 *
 * Source positions: the builder only carries an opaque 32-bit cookie per
 * record. Cookies are a global line counter: every stretch of lines read
 * from one file without interruption (a "segment") gets a base, so a cookie
 * maps back to (file, line) through a short sorted table, whatever the
 * number of files or lines (up to 2^32 lines in total).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dns/dname.h"
#include "dns/rrtype.h"
#include "util/err.h"
#include "zone/zonefile.h"
#include "zone/zscan.h"

#define DEFAULT_INCLUDE_DEPTH 8
#define MAX_INCLUDE_DEPTH 64          /* keeps the recursion on the C stack small */
#define GENERATE_MAX (1u << 24)      /* records per $GENERATE line */
#define GENERATE_TEXT 8192           /* expanded lhs or rhs */

/* One stretch of lines of one file; see the file comment. */
typedef struct {
	uint32_t gstart; /* cookie of line0 */
	uint32_t line0;
	uint32_t file;   /* index into ctx.files */
} seg_t;

/* Parser state that $INCLUDE copies into the included file and that never
 * flows back (RFC 1035 §5.1: the origin and, as BIND does, $TTL and the
 * previous owner are restored after the include). */
typedef struct {
	uint8_t origin[DNAME_MAXLEN];
	uint8_t prev[DNAME_MAXLEN]; /* previous owner, for blank owners */
	size_t prev_len;            /* 0: none yet */
	uint32_t ttl_dir;           /* $TTL */
	uint32_t ttl_prev;          /* TTL of the previous record */
	bool have_ttl_dir;
	bool have_ttl_prev;
} state_t;

/* One file being read. */
typedef struct {
	zscan_src_t src;
	uint32_t file;
	state_t st;
} file_t;

typedef struct {
	const zonefile_opts_t *opts;
	zonefile_error_t *err;
	zone_builder_t *b;
	uint8_t origin[DNAME_MAXLEN]; /* the zone's */
	size_t origin_len;
	const char *base_disp;        /* base dir as the user named it (messages) */
	char *rbase;                  /* realpath of it; NULL: $INCLUDE refused */
	int max_depth;
	uint32_t default_ttl;
	char **files;                 /* names for messages; [0] is the zone file */
	size_t nfiles, files_cap;
	seg_t *segs;
	size_t nsegs, segs_cap;
	uint64_t gnext;               /* next free cookie */
	const char *stack[MAX_INCLUDE_DEPTH + 2]; /* realpaths being read, for cycles */
	int nstack;
	zscan_entry_t ent;
	zscan_rdata_t *rd;
	uint32_t soa_min;
	bool have_soa_min;
	bool warned_prev, warned_soa, warned_default;
	char gen_lhs[GENERATE_TEXT];
	char gen_rhs[GENERATE_TEXT];
} ctx_t;

static int process(ctx_t *c, file_t *f, int depth);
static void builder_warn(void *ctx, uint32_t src, const char *msg);

static void
set_err(ctx_t *c, uint32_t file, uint32_t line, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
set_err(ctx_t *c, uint32_t file, uint32_t line, const char *fmt, ...)
{
	va_list ap;
	snprintf(c->err->file, sizeof(c->err->file), "%s", file < c->nfiles ? c->files[file] : "?");
	c->err->line = line;
	va_start(ap, fmt);
	vsnprintf(c->err->msg, sizeof(c->err->msg), fmt, ap);
	va_end(ap);
}

static void
warn(ctx_t *c, uint32_t file, uint32_t line, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
warn(ctx_t *c, uint32_t file, uint32_t line, const char *fmt, ...)
{
	if (c->opts == NULL || c->opts->warn == NULL)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->opts->warn(c->opts->warn_ctx, file < c->nfiles ? c->files[file] : "?", line, msg);
}

/* ---- source cookies ---- */

static int
seg_begin(ctx_t *c, uint32_t file, uint32_t line)
{
	if (c->nsegs == c->segs_cap) {
		size_t ncap = c->segs_cap ? c->segs_cap * 2 : 16;
		seg_t *n = realloc(c->segs, ncap * sizeof(*n));
		if (n == NULL)
			return FL_ENOMEM;
		c->segs = n;
		c->segs_cap = ncap;
	}
	if (c->gnext > UINT32_MAX)
		return FL_ELIMIT;
	c->segs[c->nsegs++] = (seg_t){ .gstart = (uint32_t)c->gnext, .line0 = line, .file = file };
	return 0;
}

/* Cookie of a line of the current segment; 0 when out of range (the
 * position is then simply not reported). */
static uint32_t
cookie(const ctx_t *c, uint32_t line)
{
	const seg_t *s = &c->segs[c->nsegs - 1];
	uint64_t v = (uint64_t)s->gstart + (line - s->line0);
	return v > UINT32_MAX ? 0 : (uint32_t)v;
}

/* Close the current segment at `line` (the furthest line read in it). */
static void
seg_end(ctx_t *c, uint32_t line)
{
	const seg_t *s = &c->segs[c->nsegs - 1];
	c->gnext = (uint64_t)s->gstart + (line - s->line0) + 1;
}

static void
cookie_lookup(const ctx_t *c, uint32_t ck, uint32_t *file, uint32_t *line)
{
	*file = 0;
	*line = 0;
	if (ck == 0 || c->nsegs == 0)
		return;
	size_t lo = 0, hi = c->nsegs;
	while (hi - lo > 1) { /* last segment with gstart <= ck */
		size_t mid = (lo + hi) / 2;
		if (c->segs[mid].gstart <= ck)
			lo = mid;
		else
			hi = mid;
	}
	*file = c->segs[lo].file;
	*line = c->segs[lo].line0 + (ck - c->segs[lo].gstart);
}

static int
add_file(ctx_t *c, const char *name, uint32_t *idx)
{
	if (c->nfiles == c->files_cap) {
		size_t ncap = c->files_cap ? c->files_cap * 2 : 8;
		char **n = realloc(c->files, ncap * sizeof(*n));
		if (n == NULL)
			return FL_ENOMEM;
		c->files = n;
		c->files_cap = ncap;
	}
	char *d = strdup(name);
	if (d == NULL)
		return FL_ENOMEM;
	c->files[c->nfiles] = d;
	*idx = (uint32_t)c->nfiles++;
	return 0;
}

static void
builder_warn(void *ctx, uint32_t src, const char *msg)
{
	ctx_t *c = ctx;
	uint32_t file, line;
	cookie_lookup(c, src, &file, &line);
	warn(c, file, line, "%s", msg);
}

/* ---- records ---- */

#define TOKFMT "%.*s%s"
#define TOKARG(t) (int)((t)->len > 64 ? 64 : (t)->len), (t)->s, ((t)->len > 64 ? "..." : "")

static int
zerr(ctx_t *c, const file_t *f, uint32_t line, int code, const zscan_err_t *e)
{
	set_err(c, f->file, e->line ? e->line : line, "%s", e->msg);
	return code;
}

/* [ttl] [class] type, in either order (RFC 1035 §5.1). */
static int
ttl_class_type(ctx_t *c, const file_t *f, const zscan_tok_t *t, size_t n, size_t *i, bool *has_ttl,
	       uint32_t *ttl, uint16_t *type, uint32_t line)
{
	bool has_class = false;
	*has_ttl = false;
	for (; *i < n; (*i)++) {
		const zscan_tok_t *k = &t[*i];
		char c0 = k->len ? k->s[0] : 0;
		if (k->flags & ZSCAN_TOK_QUOTED) {
			set_err(c, f->file, k->line, "unexpected quoted string \"" TOKFMT "\" (type expected)",
				TOKARG(k));
			return FL_ESYNTAX;
		}
		if (c0 >= '0' && c0 <= '9') {
			if (*has_ttl) {
				set_err(c, f->file, k->line, "two TTLs in one record");
				return FL_ESYNTAX;
			}
			int r = zscan_ttl(k->s, k->len, ttl);
			if (r == FL_ERANGE) {
				set_err(c, f->file, k->line, "TTL out of range '" TOKFMT "'", TOKARG(k));
				return FL_ERANGE;
			}
			if (r != 0) {
				set_err(c, f->file, k->line, "bad TTL '" TOKFMT "'", TOKARG(k));
				return FL_ESYNTAX;
			}
			*has_ttl = true;
			continue;
		}
		uint16_t cl;
		if (k->len == 2 && (c0 | 0x20) == 'i' && (k->s[1] | 0x20) == 'n') {
			cl = RR_CLASS_IN;
		} else if (zscan_type(k->s, k->len, type) == 0) {
			(*i)++;
			return 0;
		} else if (rrclass_from_str(k->s, k->len, &cl) != 0) {
			set_err(c, f->file, k->line, "unknown type '" TOKFMT "'", TOKARG(k));
			return FL_ESYNTAX;
		}
		if (cl != RR_CLASS_IN) {
			set_err(c, f->file, k->line, "class '" TOKFMT "' is not supported (only IN)", TOKARG(k));
			return FL_ENOTSUP;
		}
		if (has_class) {
			set_err(c, f->file, k->line, "two classes in one record");
			return FL_ESYNTAX;
		}
		has_class = true;
	}
	set_err(c, f->file, n ? t[n - 1].line : line, "missing type");
	return FL_ESYNTAX;
}

static void
name_str(const uint8_t *n, char *buf, size_t len)
{
	if (dname_to_str(n, buf, len) < 0)
		snprintf(buf, len, "(name)");
}

/* Convert the rdata, settle the TTL and hand the record to the builder.
 * line is where the record starts: it becomes the source cookie. */
static int
add_rr(ctx_t *c, file_t *f, const uint8_t *owner, size_t olen, bool has_ttl, uint32_t ttl, uint16_t type,
       const zscan_tok_t *t, size_t n, uint32_t line)
{
	char tn[24], nb[1024], ob[1024];
	zscan_err_t ze = { 0 };
	int rdlen = zscan_rdata(c->rd, type, t, n, f->st.origin, &ze);
	if (rdlen < 0)
		return zerr(c, f, line, rdlen, &ze);

	/* TTL precedence as in BIND: explicit > $TTL > previous record >
	 * SOA MINIMUM > the configured default (RFC 2308 §4 wants $TTL). */
	if (!has_ttl) {
		if (f->st.have_ttl_dir) {
			ttl = f->st.ttl_dir;
		} else if (f->st.have_ttl_prev) {
			ttl = f->st.ttl_prev;
			if (!c->warned_prev) {
				c->warned_prev = true;
				warn(c, f->file, line, "no TTL and no $TTL: using the previous record's TTL %u", ttl);
			}
		} else if (type == RR_SOA || c->have_soa_min) {
			ttl = type == RR_SOA ? c->rd->soa_minimum : c->soa_min;
			if (!c->warned_soa) {
				c->warned_soa = true;
				warn(c, f->file, line, "no TTL and no $TTL: using the SOA MINIMUM %u", ttl);
			}
		} else {
			ttl = c->default_ttl;
			if (!c->warned_default) {
				c->warned_default = true;
				warn(c, f->file, line, "no TTL and no $TTL: using the default TTL %u", ttl);
			}
		}
	}
	f->st.ttl_prev = ttl;
	f->st.have_ttl_prev = true;
	if (type == RR_SOA) {
		c->soa_min = c->rd->soa_minimum;
		c->have_soa_min = true;
	}

	if (!dname_is_sub(owner, olen, c->origin, c->origin_len)) {
		name_str(owner, nb, sizeof(nb));
		name_str(c->origin, ob, sizeof(ob));
		set_err(c, f->file, line, "name '%s' is outside the zone %s", nb, ob);
		return FL_EOUTZONE;
	}
	if (rrtype_is_meta(type)) {
		set_err(c, f->file, line, "type %s cannot appear in zone data", zscan_type_str(type, tn, sizeof(tn)));
		return FL_EINVAL;
	}
	uint32_t ck = cookie(c, line);
	int r = zone_builder_add(c->b, owner, olen, type, RR_CLASS_IN, ttl, c->rd->rd, (uint16_t)rdlen, ck);
	if (r == 0)
		return 0;
	zscan_type_str(type, tn, sizeof(tn));
	switch (r) {
	case FL_EMALF:
		set_err(c, f->file, line, "malformed %s rdata", tn);
		break;
	case FL_EOUTZONE:
		name_str(owner, nb, sizeof(nb));
		name_str(c->origin, ob, sizeof(ob));
		set_err(c, f->file, line, "name '%s' is outside the zone %s", nb, ob);
		break;
	case FL_ENOMEM:
		set_err(c, f->file, line, "out of memory");
		break;
	default:
		set_err(c, f->file, line, "cannot add %s record: %s", tn, fl_strerror(r));
		break;
	}
	return r;
}

/* ---- directives ---- */

static int
want_args(ctx_t *c, const file_t *f, const zscan_entry_t *e, size_t min, size_t max, const char *dir)
{
	if (e->n < min) {
		set_err(c, f->file, e->line, "%s: missing argument", dir);
		return FL_ESYNTAX;
	}
	if (e->n > max) {
		set_err(c, f->file, e->tok[max].line, "%s: unexpected '" TOKFMT "'", dir, TOKARG(&e->tok[max]));
		return FL_ESYNTAX;
	}
	return 0;
}

static int
name_arg(ctx_t *c, const file_t *f, const zscan_tok_t *t, const uint8_t *origin, uint8_t *out, const char *what)
{
	zscan_err_t ze = { 0 };
	int r = zscan_name(t, origin, out, what, &ze);
	if (r < 0)
		return zerr(c, f, t->line, r, &ze);
	return r;
}

/* Read a regular file whole. *buf gets malloc'ed memory (caller frees).
 * nofollow is for $INCLUDE: the path was just resolved by realpath, so a
 * symlink there now means it was swapped in since the containment check. */
static int
read_whole(const char *path, bool nofollow, char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
	char *b = NULL;
	struct stat sb;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) != 0)
		goto fail;
	if (!S_ISREG(sb.st_mode)) { /* a FIFO or /dev/zero would never end */
		errno = S_ISDIR(sb.st_mode) ? EISDIR : EINVAL;
		goto fail;
	}
	size_t size = (size_t)sb.st_size, got = 0;
	b = malloc(size + 1);
	if (b == NULL) {
		errno = ENOMEM;
		goto fail;
	}
	while (got < size) {
		ssize_t r = read(fd, b + got, size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			break; /* shrank under us: take what is there */
		got += (size_t)r;
	}
	close(fd);
	b[got] = '\0';
	*buf = b;
	*len = got;
	return 0;
fail:;
	int e = errno;
	free(b);
	close(fd);
	return -e;
}

/* Unescape a file name token into out (PATH_MAX). */
static int
path_arg(const zscan_tok_t *t, char *out, size_t cap)
{
	size_t o = 0;
	for (uint32_t i = 0; i < t->len; i++) {
		char ch = t->s[i];
		if (ch == '\\' && i + 1 < t->len)
			ch = t->s[++i];
		if (o + 1 >= cap)
			return FL_ENAMELEN;
		out[o++] = ch;
	}
	out[o] = '\0';
	return o > 0 ? 0 : FL_ESYNTAX;
}

static int
do_include(ctx_t *c, file_t *f, int depth)
{
	const zscan_entry_t *e = &c->ent;
	char path[PATH_MAX], joined[PATH_MAX + 512], real[PATH_MAX];
	char *text = NULL;
	size_t len = 0;
	uint32_t line = e->line, idx;
	int r;
	file_t child;

	if ((r = want_args(c, f, e, 2, 3, "$INCLUDE")) != 0)
		return r;
	if (path_arg(&e->tok[1], path, sizeof(path)) != 0) {
		set_err(c, f->file, line, "$INCLUDE: bad file name");
		return FL_ESYNTAX;
	}
	child.st = f->st;
	if (e->n == 3 && (r = name_arg(c, f, &e->tok[2], f->st.origin, child.st.origin, "$INCLUDE origin")) < 0)
		return r;
	if (c->rbase == NULL) {
		set_err(c, f->file, line, "$INCLUDE '%s': no base directory to resolve it against", path);
		return FL_EINVAL;
	}
	if (depth + 1 > c->max_depth) {
		set_err(c, f->file, line, "$INCLUDE '%s': nested deeper than %d", path, c->max_depth);
		return FL_ELIMIT;
	}
	if (path[0] == '/')
		snprintf(joined, sizeof(joined), "%s", path);
	else if (strcmp(c->base_disp, ".") == 0)
		snprintf(joined, sizeof(joined), "%s", path);
	else
		snprintf(joined, sizeof(joined), "%s/%s", c->base_disp, path);
	/* Resolve against the real base (not the display name, which may be
	 * relative to a cwd that is the same; both are equivalent here). */
	char abs[PATH_MAX + 512];
	if (path[0] == '/')
		snprintf(abs, sizeof(abs), "%s", path);
	else
		snprintf(abs, sizeof(abs), "%s/%s", c->rbase, path);
	/* realpath resolves "..", and symlinks in every component, so a
	 * prefix test on its result is the containment check. */
	if (realpath(abs, real) == NULL) {
		int en = errno;
		set_err(c, f->file, line, "$INCLUDE '%s': %s", path, strerror(en));
		return en == ENOENT ? FL_ENOENT : -en;
	}
	size_t bl = strlen(c->rbase);
	bool inside = strcmp(c->rbase, "/") == 0 ||
		      (strncmp(real, c->rbase, bl) == 0 && real[bl] == '/');
	if (!inside) {
		set_err(c, f->file, line, "$INCLUDE '%s' leaves the zone directory", path);
		return FL_EINVAL;
	}
	if (c->opts != NULL && c->opts->included != NULL)
		c->opts->included(c->opts->warn_ctx, real);
	for (int i = 0; i < c->nstack; i++) {
		if (c->stack[i] != NULL && strcmp(c->stack[i], real) == 0) {
			set_err(c, f->file, line, "$INCLUDE '%s': include cycle (file is already being read)", path);
			return FL_ELIMIT;
		}
	}
	if ((r = read_whole(real, true, &text, &len)) != 0) {
		set_err(c, f->file, line, "$INCLUDE '%s': %s", path,
			r == -EINVAL ? "not a regular file" : strerror(-r));
		return r;
	}
	if ((r = add_file(c, joined, &idx)) != 0) {
		set_err(c, f->file, line, "out of memory");
		goto fail;
	}
	/* Cookies: close the parent's stretch, open one for the child, and
	 * a new stretch for the parent once the child is done. */
	seg_end(c, f->src.line);
	if ((r = seg_begin(c, idx, 1)) != 0) {
		set_err(c, f->file, line, "too many lines in the zone");
		goto fail;
	}
	child.src = (zscan_src_t){ .p = text, .end = text + len, .line = 1 };
	child.file = idx;
	c->stack[c->nstack++] = real;
	r = process(c, &child, depth + 1);
	c->nstack--;
	if (r != 0)
		goto fail;
	seg_end(c, child.src.line);
	if ((r = seg_begin(c, f->file, f->src.line)) != 0) {
		set_err(c, f->file, line, "too many lines in the zone");
		goto fail;
	}
	free(text);
	return 0;
fail:
	free(text);
	return r;
}

static int
num_part(const char **p, const char *end, uint32_t *v)
{
	uint64_t x = 0;
	const char *s = *p;
	if (s >= end || *s < '0' || *s > '9')
		return FL_ESYNTAX;
	while (s < end && *s >= '0' && *s <= '9') {
		x = x * 10 + (uint64_t)(*s - '0');
		if (x > INT32_MAX)
			return FL_ERANGE;
		s++;
	}
	*p = s;
	*v = (uint32_t)x;
	return 0;
}

/* Reversed nibbles joined by dots; width counts output characters
 * (dots included) and may leave a trailing dot, as in BIND. */
static size_t
fmt_nibbles(char *out, size_t cap, uint64_t v, unsigned width, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	size_t o = 0;
	for (;;) {
		if (o + 2 >= cap)
			return cap;
		out[o++] = digits[v & 15];
		v >>= 4;
		if (v == 0 && o >= width)
			break;
		out[o++] = '.';
		if (v == 0 && o >= width)
			break;
	}
	return o;
}

/* Expand a $GENERATE template: $ and ${offset[,width[,base]]} take the
 * iterator, $$ is a literal $, and \X pairs are copied as they are for the
 * name or rdata parser to decode. */
static int
gen_expand(const zscan_tok_t *t, uint32_t v, char *out, size_t cap, size_t *olen, const char **why)
{
	const char *s = t->s, *end = t->s + t->len;
	size_t o = 0;
	*why = "text too long";
	while (s < end) {
		if (*s == '\\' && s + 1 < end) {
			if (o + 2 > cap)
				return FL_ELIMIT;
			out[o++] = s[0];
			out[o++] = s[1];
			s += 2;
			continue;
		}
		if (*s != '$') {
			if (o + 1 > cap)
				return FL_ELIMIT;
			out[o++] = *s++;
			continue;
		}
		s++;
		if (s < end && *s == '$') {
			if (o + 1 > cap)
				return FL_ELIMIT;
			out[o++] = '$';
			s++;
			continue;
		}
		int64_t off = 0;
		uint32_t width = 0;
		char base = 'd';
		if (s < end && *s == '{') {
			*why = "bad ${offset,width,base} modifier";
			s++;
			bool neg = false;
			uint32_t x;
			if (s < end && (*s == '-' || *s == '+'))
				neg = *s++ == '-';
			if (num_part(&s, end, &x) != 0)
				return FL_ESYNTAX;
			off = neg ? -(int64_t)x : (int64_t)x;
			if (s < end && *s == ',') {
				s++;
				if (num_part(&s, end, &width) != 0 || width > 255)
					return FL_ESYNTAX;
				if (s < end && *s == ',') {
					s++;
					if (s >= end || strchr("doxXnN", *s) == NULL || *s == '\0')
						return FL_ESYNTAX;
					base = *s++;
				}
			}
			if (s >= end || *s != '}')
				return FL_ESYNTAX;
			s++;
		}
		int64_t val = (int64_t)v + off;
		if (val < 0) {
			*why = "negative value";
			return FL_ERANGE;
		}
		char num[600];
		size_t nl;
		switch (base) {
		case 'o': nl = (size_t)snprintf(num, sizeof(num), "%0*llo", (int)width, (unsigned long long)val); break;
		case 'x': nl = (size_t)snprintf(num, sizeof(num), "%0*llx", (int)width, (unsigned long long)val); break;
		case 'X': nl = (size_t)snprintf(num, sizeof(num), "%0*llX", (int)width, (unsigned long long)val); break;
		case 'n':
		case 'N': nl = fmt_nibbles(num, sizeof(num), (uint64_t)val, width, base == 'N'); break;
		default: nl = (size_t)snprintf(num, sizeof(num), "%0*lld", (int)width, (long long)val); break;
		}
		*why = "text too long";
		if (nl >= sizeof(num) || o + nl > cap)
			return FL_ELIMIT;
		memcpy(out + o, num, nl);
		o += nl;
	}
	*olen = o;
	return 0;
}

/* $GENERATE start-stop[/step] lhs [ttl] [class] type rhs */
static int
do_generate(ctx_t *c, file_t *f)
{
	zscan_entry_t *e = &c->ent;
	uint32_t line = e->line, start, stop, step = 1;
	int r;
	if (e->n < 5) {
		set_err(c, f->file, line, "$GENERATE: expected range, lhs, type and rhs");
		return FL_ESYNTAX;
	}
	const zscan_tok_t *rt = &e->tok[1];
	const char *p = rt->s, *end = rt->s + rt->len;
	if (num_part(&p, end, &start) != 0 || p >= end || *p++ != '-' || num_part(&p, end, &stop) != 0 ||
	    (p < end && (*p++ != '/' || num_part(&p, end, &step) != 0)) || p != end || step == 0 ||
	    start > stop) {
		set_err(c, f->file, rt->line, "$GENERATE: bad range '" TOKFMT "'", TOKARG(rt));
		return FL_ESYNTAX;
	}
	if ((stop - start) / step >= GENERATE_MAX) {
		set_err(c, f->file, rt->line, "$GENERATE: more than %u records", GENERATE_MAX);
		return FL_ELIMIT;
	}
	size_t i = 3;
	bool has_ttl;
	uint32_t ttl = 0;
	uint16_t type = 0;
	if ((r = ttl_class_type(c, f, e->tok, e->n, &i, &has_ttl, &ttl, &type, line)) != 0)
		return r;
	if (i >= e->n) {
		set_err(c, f->file, line, "$GENERATE: missing rhs");
		return FL_ESYNTAX;
	}
	if (i + 1 < e->n) {
		set_err(c, f->file, e->tok[i + 1].line, "$GENERATE: unexpected '" TOKFMT "' after rhs",
			TOKARG(&e->tok[i + 1]));
		return FL_ESYNTAX;
	}
	/* The templates point into the file buffer, which outlives this
	 * call; the token array itself is reused for each expanded rhs. */
	zscan_tok_t lhs = e->tok[2], rhs = e->tok[i];
	for (uint64_t v = start; v <= stop; v += step) {
		size_t ll, rl;
		const char *why;
		if (gen_expand(&lhs, (uint32_t)v, c->gen_lhs, sizeof(c->gen_lhs), &ll, &why) != 0) {
			set_err(c, f->file, line, "$GENERATE: %s in lhs '" TOKFMT "'", why, TOKARG(&lhs));
			return FL_ESYNTAX;
		}
		/* a leading blank keeps the re-lexed rhs from looking like an owner */
		c->gen_rhs[0] = ' ';
		if (gen_expand(&rhs, (uint32_t)v, c->gen_rhs + 1, sizeof(c->gen_rhs) - 1, &rl, &why) != 0) {
			set_err(c, f->file, line, "$GENERATE: %s in rhs '" TOKFMT "'", why, TOKARG(&rhs));
			return FL_ESYNTAX;
		}
		zscan_tok_t ot = { .s = c->gen_lhs, .len = (uint32_t)ll, .line = line, .flags = ZSCAN_TOK_ESC };
		uint8_t owner[DNAME_MAXLEN];
		int olen = name_arg(c, f, &ot, f->st.origin, owner, "$GENERATE owner");
		if (olen < 0)
			return olen;
		zscan_src_t s = { .p = c->gen_rhs, .end = c->gen_rhs + 1 + rl, .line = line };
		zscan_err_t ze = { 0 };
		r = zscan_next(&s, e, &ze);
		if (r < 0)
			return zerr(c, f, line, r, &ze);
		if (r == 1 && s.p != s.end) {
			set_err(c, f->file, line, "$GENERATE: bad rhs '" TOKFMT "'", TOKARG(&rhs));
			return FL_ESYNTAX;
		}
		if ((r = add_rr(c, f, owner, (size_t)olen, has_ttl, ttl, type, e->tok, r == 1 ? e->n : 0, line)) != 0)
			return r;
		memcpy(f->st.prev, owner, (size_t)olen);
		f->st.prev_len = (size_t)olen;
	}
	return 0;
}

static int
do_directive(ctx_t *c, file_t *f, int depth)
{
	const zscan_entry_t *e = &c->ent;
	const zscan_tok_t *d = &e->tok[0];
	int r;
	if (d->len == 7 && strncasecmp(d->s, "$ORIGIN", 7) == 0) {
		if ((r = want_args(c, f, e, 2, 2, "$ORIGIN")) != 0)
			return r;
		uint8_t n[DNAME_MAXLEN];
		if ((r = name_arg(c, f, &e->tok[1], f->st.origin, n, "$ORIGIN")) < 0)
			return r;
		memcpy(f->st.origin, n, (size_t)r);
		return 0;
	}
	if (d->len == 4 && strncasecmp(d->s, "$TTL", 4) == 0) {
		if ((r = want_args(c, f, e, 2, 2, "$TTL")) != 0)
			return r;
		const zscan_tok_t *t = &e->tok[1];
		r = zscan_ttl(t->s, t->len, &f->st.ttl_dir);
		if (r != 0) {
			set_err(c, f->file, t->line, r == FL_ERANGE ? "$TTL: TTL out of range '" TOKFMT "'"
								   : "$TTL: bad TTL '" TOKFMT "'", TOKARG(t));
			return r;
		}
		f->st.have_ttl_dir = true;
		return 0;
	}
	if (d->len == 8 && strncasecmp(d->s, "$INCLUDE", 8) == 0)
		return do_include(c, f, depth);
	if (d->len == 9 && strncasecmp(d->s, "$GENERATE", 9) == 0)
		return do_generate(c, f);
	set_err(c, f->file, d->line, "unknown directive '" TOKFMT "'", TOKARG(d));
	return FL_ESYNTAX;
}

static int
process(ctx_t *c, file_t *f, int depth)
{
	zscan_err_t ze = { 0 };
	int r;
	for (;;) {
		r = zscan_next(&f->src, &c->ent, &ze);
		if (r == 0)
			return 0;
		if (r < 0)
			return zerr(c, f, f->src.line, r, &ze);
		const zscan_entry_t *e = &c->ent;
		const zscan_tok_t *t = e->tok;
		if (t[0].len > 0 && t[0].s[0] == '$' && !(t[0].flags & ZSCAN_TOK_QUOTED)) {
			if ((r = do_directive(c, f, depth)) != 0)
				return r;
			continue;
		}
		size_t i = 0;
		if (t[0].flags & ZSCAN_TOK_OWNER) {
			int l = name_arg(c, f, &t[0], f->st.origin, f->st.prev, "owner");
			if (l < 0)
				return l;
			f->st.prev_len = (size_t)l;
			i = 1;
		} else if (f->st.prev_len == 0) {
			set_err(c, f->file, e->line, "no owner name (blank first column and no previous record)");
			return FL_ESYNTAX;
		}
		bool has_ttl;
		uint32_t ttl = 0;
		uint16_t type = 0;
		if ((r = ttl_class_type(c, f, t, e->n, &i, &has_ttl, &ttl, &type, e->line)) != 0)
			return r;
		if ((r = add_rr(c, f, f->st.prev, f->st.prev_len, has_ttl, ttl, type, t + i, e->n - i, e->line)) != 0)
			return r;
	}
}

/* Shared by both entry points: text is the zone file (name for messages,
 * real its realpath or NULL), base the $INCLUDE directory or NULL. */
static int
load(const char *text, size_t len, const char *name, const char *real, const char *base,
     const uint8_t *origin, const zonefile_opts_t *opts, zone_t **out, zonefile_error_t *err)
{
	ctx_t *c = calloc(1, sizeof(*c));
	int r = FL_ENOMEM;
	uint32_t idx;
	zone_error_t zerr_b;

	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", name);
	*out = NULL;
	if (c == NULL) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return FL_ENOMEM;
	}
	c->err = err;
	c->opts = opts;
	c->max_depth = opts && opts->max_include_depth > 0 ? opts->max_include_depth : DEFAULT_INCLUDE_DEPTH;
	if (c->max_depth > MAX_INCLUDE_DEPTH)
		c->max_depth = MAX_INCLUDE_DEPTH;
	c->default_ttl = opts && opts->default_ttl ? opts->default_ttl : 3600;
	c->gnext = 1; /* cookie 0 means "no position" */
	int ol = dname_check(origin, DNAME_MAXLEN);
	if (ol < 0) {
		snprintf(err->msg, sizeof(err->msg), "bad zone origin");
		r = FL_EINVAL;
		goto fail;
	}
	memcpy(c->origin, origin, (size_t)ol);
	c->origin_len = (size_t)ol;
	dname_lower(c->origin);
	c->rd = malloc(sizeof(*c->rd));
	if (c->rd == NULL || add_file(c, name, &idx) != 0 || seg_begin(c, 0, 1) != 0)
		goto oom;
	c->rd->text = NULL;
	c->rd->text_cap = 0;
	c->rd->soa_minimum = 0;
	if (base != NULL) {
		c->base_disp = base;
		c->rbase = realpath(base, NULL);
		if (c->rbase == NULL) {
			snprintf(err->msg, sizeof(err->msg), "base directory '%s': %s", base, strerror(errno));
			r = FL_EINVAL;
			goto fail;
		}
	}
	if (real != NULL)
		c->stack[c->nstack++] = real;
	c->b = zone_builder_new(c->origin);
	if (c->b == NULL)
		goto oom;
	zone_builder_set_warn(c->b, builder_warn, c);

	file_t top = { .src = { .p = text, .end = text + len, .line = 1 }, .file = 0 };
	memcpy(top.st.origin, c->origin, c->origin_len);
	if ((r = process(c, &top, 0)) != 0)
		goto fail;

	r = zone_builder_finish(c->b, out, &zerr_b);
	c->b = NULL; /* consumed either way */
	if (r != 0) {
		uint32_t file, line;
		cookie_lookup(c, zerr_b.src, &file, &line);
		set_err(c, file, line, "%s", zerr_b.msg[0] ? zerr_b.msg : fl_strerror(r));
		goto fail;
	}
	goto done;
oom:
	r = FL_ENOMEM;
	snprintf(err->msg, sizeof(err->msg), "out of memory");
fail:
	zone_builder_abort(c->b);
	*out = NULL;
done:
	if (c->rd != NULL)
		zscan_rdata_free(c->rd);
	free(c->rd);
	zscan_entry_free(&c->ent);
	for (size_t i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->files);
	free(c->segs);
	free(c->rbase);
	free(c);
	return r;
}

int
zonefile_load_mem(const char *text, size_t len, const char *name, const uint8_t *origin,
		  const zonefile_opts_t *opts, zone_t **out, zonefile_error_t *err)
{
	return load(text, len, name ? name : "(memory)", NULL, opts ? opts->base_dir : NULL, origin, opts, out,
		    err);
}

int
zonefile_load(const char *path, const uint8_t *origin, const zonefile_opts_t *opts, zone_t **out,
	      zonefile_error_t *err)
{
	char *text = NULL, *real = NULL, *dir = NULL;
	size_t len = 0;
	int r = read_whole(path, false, &text, &len);
	if (r != 0) {
		memset(err, 0, sizeof(*err));
		snprintf(err->file, sizeof(err->file), "%s", path);
		snprintf(err->msg, sizeof(err->msg), "cannot read: %s",
			 r == -EINVAL ? "not a regular file" : strerror(-r));
		*out = NULL;
		return r;
	}
	real = realpath(path, NULL);
	const char *base = opts ? opts->base_dir : NULL;
	if (base == NULL) {
		dir = strdup(path);
		if (dir == NULL) {
			memset(err, 0, sizeof(*err));
			snprintf(err->file, sizeof(err->file), "%s", path);
			snprintf(err->msg, sizeof(err->msg), "out of memory");
			r = FL_ENOMEM;
			goto out;
		}
		base = dirname(dir); /* "." when the path has no slash */
	}
	r = load(text, len, path, real, base, origin, opts, out, err);
out:
	free(dir);
	free(real);
	free(text);
	return r;
}
