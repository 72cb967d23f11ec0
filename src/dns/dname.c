/* SPDX-License-Identifier: MIT */
/** \file Domain name parsing, comparison and conversion (see dname.h). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "dns/dname.h"
#include "util/err.h"

static inline uint8_t
lc(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

int
dname_unpack(const uint8_t *pkt, size_t pktlen, size_t *pos, uint8_t *out, bool lower)
{
	size_t p = *pos;
	size_t len = 0;
	size_t after = 0; /* where the caller continues: set at the first pointer */
	size_t limit = p; /* pointers must go strictly below the lowest place seen */

	for (;;) {
		if (p >= pktlen)
			return FL_EMALF;
		uint8_t l = pkt[p];
		if ((l & 0xC0) == 0xC0) {
			if (p + 1 >= pktlen)
				return FL_EMALF;
			size_t target = (size_t)(l & 0x3F) << 8 | pkt[p + 1];
			if (after == 0)
				after = p + 2;
			if (target >= limit)
				return FL_ELOOP;
			limit = target;
			p = target;
			continue;
		}
		if (l & 0xC0)
			return FL_EMALF; /* 0x40/0x80 label types are obsolete */
		if (len + 1 + l > DNAME_MAXLEN)
			return FL_ENAMELEN;
		if (p + 1 + l > pktlen)
			return FL_EMALF;
		out[len++] = l;
		if (l == 0)
			break;
		if (lower) {
			for (size_t i = 0; i < l; i++)
				out[len + i] = lc(pkt[p + 1 + i]);
		} else {
			memcpy(out + len, pkt + p + 1, l);
		}
		len += l;
		p += 1 + (size_t)l;
	}
	*pos = after ? after : p + 1;
	return (int)len;
}

int
dname_check(const uint8_t *buf, size_t maxlen)
{
	size_t len = 0;
	for (;;) {
		if (len >= maxlen)
			return FL_EMALF;
		uint8_t l = buf[len];
		if (l & 0xC0)
			return FL_EMALF;
		if (len + 1 + l > DNAME_MAXLEN)
			return FL_ENAMELEN;
		if (len + 1 + l > maxlen)
			return FL_EMALF;
		len += 1 + (size_t)l;
		if (l == 0)
			return (int)len;
	}
}

size_t
dname_len(const uint8_t *n)
{
	size_t len = 0;
	while (n[len] != 0)
		len += 1 + (size_t)n[len];
	return len + 1;
}

int
dname_labels(const uint8_t *n)
{
	int c = 0;
	while (*n != 0) {
		c++;
		n += 1 + *n;
	}
	return c;
}

void
dname_lower(uint8_t *n)
{
	while (*n != 0) {
		uint8_t l = *n++;
		for (uint8_t i = 0; i < l; i++, n++)
			*n = lc(*n);
	}
}

bool
dname_eq(const uint8_t *a, const uint8_t *b)
{
	size_t la = dname_len(a);
	return la == dname_len(b) && memcmp(a, b, la) == 0;
}

bool
dname_eq_nocase(const uint8_t *a, const uint8_t *b)
{
	for (;;) {
		if (*a != *b)
			return false;
		uint8_t l = *a;
		if (l == 0)
			return true;
		for (uint8_t i = 1; i <= l; i++)
			if (lc(a[i]) != lc(b[i]))
				return false;
		a += 1 + l;
		b += 1 + l;
	}
}

bool
dname_is_sub(const uint8_t *child, size_t child_len, const uint8_t *parent, size_t parent_len)
{
	if (child_len < parent_len)
		return false;
	/* Walk labels of child until the remaining suffix has parent's length;
	 * it must start on a label boundary. */
	size_t off = 0;
	while (child_len - off > parent_len)
		off += 1 + (size_t)child[off];
	return child_len - off == parent_len && memcmp(child + off, parent, parent_len) == 0;
}

const uint8_t *
dname_strip(const uint8_t *n, int strip)
{
	while (strip-- > 0 && *n != 0)
		n += 1 + *n;
	return n;
}

int
dname_canon_cmp(const uint8_t *a, const uint8_t *b)
{
	const uint8_t *la[DNAME_MAXLABELS], *lb[DNAME_MAXLABELS];
	int na = 0, nb = 0;
	for (const uint8_t *p = a; *p != 0 && na < DNAME_MAXLABELS; p += 1 + *p)
		la[na++] = p;
	for (const uint8_t *p = b; *p != 0 && nb < DNAME_MAXLABELS; p += 1 + *p)
		lb[nb++] = p;
	while (na > 0 && nb > 0) {
		const uint8_t *x = la[--na], *y = lb[--nb];
		uint8_t lx = x[0], ly = y[0];
		uint8_t m = lx < ly ? lx : ly;
		int c = memcmp(x + 1, y + 1, m);
		if (c != 0)
			return c;
		if (lx != ly)
			return lx < ly ? -1 : 1;
	}
	return na - nb;
}

/* Characters that must be escaped in presentation format. */
static bool
needs_escape(uint8_t c)
{
	return c == '.' || c == '\\' || c == '"' || c == ';' || c == '(' || c == ')' ||
	       c == '@' || c == '$' || c == ' ';
}

int
dname_to_str(const uint8_t *n, char *out, size_t outlen)
{
	size_t o = 0;
#define PUT(ch)                            \
	do {                               \
		if (o + 1 >= outlen)       \
			return FL_ESPACE;  \
		out[o++] = (char)(ch);     \
	} while (0)
	if (*n == 0) {
		PUT('.');
		out[o] = '\0';
		return (int)o;
	}
	while (*n != 0) {
		uint8_t l = *n++;
		for (uint8_t i = 0; i < l; i++, n++) {
			uint8_t c = *n;
			if (c <= 0x20 || c >= 0x7f) {
				if (o + 5 >= outlen)
					return FL_ESPACE;
				o += (size_t)snprintf(out + o, outlen - o, "\\%03u", c);
			} else if (needs_escape(c)) {
				PUT('\\');
				PUT(c);
			} else {
				PUT(c);
			}
		}
		PUT('.');
	}
#undef PUT
	out[o] = '\0';
	return (int)o;
}

int
dname_from_str(const char *s, size_t slen, const uint8_t *origin, uint8_t *out)
{
	if (slen == 1 && s[0] == '@') {
		if (origin == NULL)
			return FL_ESYNTAX;
		size_t ol = dname_len(origin);
		memcpy(out, origin, ol);
		return (int)ol;
	}
	if (slen == 0)
		return FL_ESYNTAX;
	if (slen == 1 && s[0] == '.') {
		out[0] = 0;
		return 1;
	}
	size_t len = 0;       /* bytes written */
	size_t lstart = 0;    /* offset of the current label's length byte */
	bool absolute = false;
	out[0] = 0;
	len = 1;
	for (size_t i = 0; i < slen; i++) {
		uint8_t c = (uint8_t)s[i];
		if (c == '.') {
			if (len - lstart - 1 == 0)
				return FL_ESYNTAX; /* empty label */
			if (i == slen - 1) {
				absolute = true;
				break;
			}
			lstart = len;
			if (len >= DNAME_MAXLEN)
				return FL_ENAMELEN;
			out[len++] = 0;
			continue;
		}
		if (c == '\\') {
			if (i + 1 >= slen)
				return FL_ESYNTAX;
			if (isdigit((unsigned char)s[i + 1])) {
				if (i + 3 >= slen)
					return FL_ESYNTAX;
				if (!isdigit((unsigned char)s[i + 2]) || !isdigit((unsigned char)s[i + 3]))
					return FL_ESYNTAX;
				int v = (s[i + 1] - '0') * 100 + (s[i + 2] - '0') * 10 + (s[i + 3] - '0');
				if (v > 255)
					return FL_ESYNTAX;
				c = (uint8_t)v;
				i += 3;
			} else {
				c = (uint8_t)s[++i];
			}
		}
		if (len - lstart - 1 >= DNAME_LABELMAX)
			return FL_ELABEL;
		if (len >= DNAME_MAXLEN - 1)
			return FL_ENAMELEN;
		out[len++] = lc(c);
		out[lstart]++;
	}
	if (out[lstart] == 0)
		return FL_ESYNTAX;
	if (absolute) {
		if (len + 1 > DNAME_MAXLEN)
			return FL_ENAMELEN;
		out[len++] = 0;
		return (int)len;
	}
	if (origin == NULL)
		return FL_ESYNTAX;
	size_t ol = dname_len(origin);
	if (len + ol > DNAME_MAXLEN)
		return FL_ENAMELEN;
	memcpy(out + len, origin, ol);
	return (int)(len + ol);
}

uint32_t
dname_hash(const uint8_t *n, size_t len)
{
	/* FNV-1a, 32-bit: short keys, good enough spread for open addressing. */
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++) {
		h ^= n[i];
		h *= 16777619u;
	}
	return h ^ (h >> 15);
}
