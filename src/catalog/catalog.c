/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Catalog zones (see catalog.h). The zone's nodes are in canonical order,
 * so everything below zones.<cat> is one contiguous run right after that
 * node, each member node followed by its own subtree: one pass reads the
 * members and their properties, a sort by member name finds duplicates,
 * and lookups are binary searches. Everything the catalog returns is
 * copied into its arena, so the zone version may go away first.
 */
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "dns/dname.h"
#include "dns/msg.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "util/err.h"

#define NAME_TEXT 1024 /* dname_to_str() always fits */

/* A member and the zone node it came from (for error messages while parsing). */
typedef struct {
	catalog_member_t pub;
	uint32_t node;
} member_t;

struct catalog {
	arena_t arena;
	member_t *m;
	size_t n;
};

/* The property whose subtree the parse is in: names below coo and group are refused. */
typedef enum { PROP_NONE, PROP_COO, PROP_GROUP, PROP_OTHER } prop_t;

typedef struct {
	const zone_t *z;
	catalog_t *c;
	char *err;
	size_t errlen;
	prop_t prop; /* kind of the last property node read */
} parse_t;

/* ---- Messages ---- */

/* prefix followed by a wire name as text; the root alone is "." but "version." + root is "version.". */
static void
name_text(const char *prefix, const uint8_t *name, char *out, size_t outlen)
{
	char n[NAME_TEXT];
	if (dname_to_str(name, n, sizeof(n)) < 0)
		snprintf(n, sizeof(n), "(name)");
	bool root = name[0] == 0 && prefix[0] != '\0';
	snprintf(out, outlen, "%s%s", prefix, root ? "" : n);
}

static int refuse(const parse_t *p, const char *prefix, const uint8_t *owner, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Fill the error line "catalog <origin>: <prefix><owner> <why>" and return FL_EINVAL. */
static int
refuse(const parse_t *p, const char *prefix, const uint8_t *owner, const char *fmt, ...)
{
	if (p->err == NULL || p->errlen == 0)
		return FL_EINVAL;
	char cat[NAME_TEXT], own[NAME_TEXT + 16];
	name_text("", p->z->origin, cat, sizeof(cat));
	name_text(prefix, owner, own, sizeof(own));
	int n = snprintf(p->err, p->errlen, "catalog %s: %s ", cat, own);
	if (n >= 0 && (size_t)n < p->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return FL_EINVAL;
}

/* The character-strings of TXT rdata for a message: "1" "x", non-printables as \DDD. */
static void
txt_text(const uint8_t *rd, size_t len, char *out, size_t outlen)
{
	size_t o = 0, i = 0;
	snprintf(out, outlen, "%s", len == 0 ? "(empty)" : "");
	while (i < len && o + 8 < outlen) {
		size_t s = rd[i++], end = i + s;
		if (end > len)
			end = len; /* malformed: show what is there */
		o += (size_t)snprintf(out + o, outlen - o, "%s\"", o ? " " : "");
		for (; i < end && o + 6 < outlen; i++) {
			uint8_t ch = rd[i];
			if (ch < 0x20 || ch > 0x7e || ch == '"' || ch == '\\')
				o += (size_t)snprintf(out + o, outlen - o, "\\%03u", ch);
			else
				out[o++] = (char)ch;
		}
		i = end;
		o += (size_t)snprintf(out + o, outlen - o, "\"");
	}
}

/* ---- Consumer side ---- */

/* label (C string) + parent as a wire name into out; its length, or -1 when longer than 255 octets. */
static int
child_name(uint8_t *out, const char *label, const uint8_t *parent, size_t plen)
{
	size_t l = strlen(label);
	if (1 + l + plen > DNAME_MAXLEN)
		return -1;
	out[0] = (uint8_t)l;
	memcpy(out + 1, label, l);
	memcpy(out + 1 + l, parent, plen);
	return (int)(1 + l + plen);
}

/* Is the node's first label this property label ("coo", "group")? Node names are lowercased. */
static bool
first_label_is(const zone_node_t *n, const char *label)
{
	size_t l = strlen(label);
	return n->name[0] == l && memcmp(n->name + 1, label, l) == 0;
}

/* The target of a one-RR PTR RRset, lowercased into out: its length, or -1 when the rdata is not one name. */
static int
ptr_target(const zone_rrset_t *rs, uint8_t *out)
{
	uint16_t len = msg_rd_len(rs->rdata);
	const uint8_t *rd = msg_rd_data(rs->rdata);
	int n = dname_check(rd, len);
	if (n < 0 || n != len)
		return -1;
	memcpy(out, rd, len);
	dname_lower(out);
	return n;
}

/* RFC 9432 §4.2.1: exactly one TXT RR at version.<cat>, holding exactly the one string "2". */
static int
check_version(const parse_t *p)
{
	const zone_t *z = p->z;
	uint8_t name[DNAME_MAXLEN];
	int len = child_name(name, "version", z->origin, z->origin_len);
	const zone_node_t *n = len < 0 ? NULL : zone_find(z, name, (size_t)len);
	const zone_rrset_t *rs = n == NULL ? NULL : zone_node_rrset(n, RR_TXT);
	if (rs == NULL)
		return refuse(p, "version.", z->origin, "TXT missing: not a catalog (RFC 9432 §4.2.1)");
	if (rs->count != 1)
		return refuse(p, "version.", z->origin,
			      "has %u TXT RRs: unsupported version (RFC 9432 §4.2.1 wants exactly one, \"2\")",
			      rs->count);
	uint16_t rdlen = msg_rd_len(rs->rdata);
	const uint8_t *rd = msg_rd_data(rs->rdata);
	if (rdlen == 2 && rd[0] == 1 && rd[1] == '2')
		return 0;
	char val[128];
	txt_text(rd, rdlen, val, sizeof(val));
	return refuse(p, "version.", z->origin, "TXT %s: unsupported version (RFC 9432 §4.2.1 wants \"2\")", val);
}

/* A member node (one label below zones.<cat>): exactly one PTR RR naming a zone outside the catalog. */
static int
read_member(parse_t *p, uint32_t i)
{
	const zone_t *z = p->z;
	const zone_node_t *n = &z->nodes[i];
	const zone_rrset_t *rs = zone_node_rrset(n, RR_PTR);
	if (rs == NULL)
		return refuse(p, "", n->name, "has no PTR: a member node holds exactly one (RFC 9432 §4.1)");
	if (rs->count != 1)
		return refuse(p, "", n->name, "has %u PTR RRs: a member node holds exactly one (RFC 9432 §4.1)",
			      rs->count);
	uint8_t t[DNAME_MAXLEN];
	int tl = ptr_target(rs, t);
	if (tl < 0)
		return refuse(p, "", n->name, "PTR rdata is not a domain name");
	if (dname_is_sub(t, (size_t)tl, z->origin, z->origin_len)) {
		char tt[NAME_TEXT];
		name_text("", t, tt, sizeof(tt));
		return refuse(p, "", n->name, "PTR %s is the catalog or below it: not a member zone", tt);
	}
	member_t *m = &p->c->m[p->c->n];
	m->pub.name = arena_memdup(&p->c->arena, t, (size_t)tl);
	m->pub.label = arena_memdup(&p->c->arena, n->name, 1u + n->name[0]);
	if (m->pub.name == NULL || m->pub.label == NULL)
		return FL_ENOMEM;
	m->node = i;
	p->c->n++;
	p->prop = PROP_NONE;
	return 0;
}

/* coo.<member> (§4.3.1): exactly one PTR RR; its target is kept for the consumer to judge. */
static int
read_coo(parse_t *p, const zone_node_t *n, member_t *m)
{
	const zone_rrset_t *rs = zone_node_rrset(n, RR_PTR);
	if (rs == NULL || rs->count != 1)
		return refuse(p, "", n->name, "has %u PTR RRs: the coo property holds exactly one (RFC 9432 §4.3.1)",
			      rs == NULL ? 0u : rs->count);
	uint8_t t[DNAME_MAXLEN];
	int tl = ptr_target(rs, t);
	if (tl < 0)
		return refuse(p, "", n->name, "PTR rdata is not a domain name");
	m->pub.coo = arena_memdup(&p->c->arena, t, (size_t)tl);
	return m->pub.coo == NULL ? FL_ENOMEM : 0;
}

/* group.<member> (§4.3.2): the first string of the first TXT RR; other types here are ignored. */
static int
read_group(parse_t *p, const zone_node_t *n, member_t *m)
{
	const zone_rrset_t *rs = zone_node_rrset(n, RR_TXT);
	if (rs == NULL)
		return 0;
	uint16_t rdlen = msg_rd_len(rs->rdata);
	const uint8_t *rd = msg_rd_data(rs->rdata);
	if (rdlen == 0 || 1u + rd[0] > rdlen)
		return refuse(p, "", n->name, "TXT rdata is malformed");
	if (memchr(rd + 1, 0, rd[0]) != NULL)
		return refuse(p, "", n->name, "TXT holds a NUL octet: not usable as a group name");
	if (rd[0] == 0)
		return 0; /* an empty group name groups nothing */
	char *g = arena_alloc_bytes(&p->c->arena, rd[0] + 1u);
	if (g == NULL)
		return FL_ENOMEM;
	memcpy(g, rd + 1, rd[0]);
	g[rd[0]] = '\0';
	m->pub.group = g;
	return 0;
}

/* A node two labels below zones.<cat>: a property of the member read last (canonical order). */
static int
read_property(parse_t *p, uint32_t i)
{
	const zone_node_t *n = &p->z->nodes[i];
	member_t *m = &p->c->m[p->c->n - 1]; /* its parent came first and was read, or refused */
	if (first_label_is(n, "coo")) {
		p->prop = PROP_COO;
		return read_coo(p, n, m);
	}
	if (first_label_is(n, "group")) {
		p->prop = PROP_GROUP;
		return read_group(p, n, m);
	}
	p->prop = PROP_OTHER; /* ext. (§4.4) and properties we do not know are ignored */
	return 0;
}

/* Read the contiguous run of nodes below zones.<cat>. */
static int
read_members(parse_t *p)
{
	const zone_t *z = p->z;
	uint8_t name[DNAME_MAXLEN];
	int len = child_name(name, "zones", z->origin, z->origin_len);
	const zone_node_t *zn = len < 0 ? NULL : zone_find(z, name, (size_t)len);
	if (zn == NULL)
		return 0; /* no members */
	if (zone_node_rrset(zn, RR_PTR) != NULL)
		return refuse(p, "", zn->name, "has a PTR: members are one label below it (RFC 9432 §4.1)");
	uint32_t zi = zone_node_index(z, zn), end = zi + 1;
	/* Descendants follow zones.<cat> contiguously; the first node whose parent comes before it is outside. */
	while (end < z->nnodes && z->nodes[end].parent >= zi)
		end++;
	if (end == zi + 1)
		return 0;
	p->c->m = arena_alloc_array(&p->c->arena, end - zi - 1, sizeof(member_t));
	if (p->c->m == NULL)
		return FL_ENOMEM;
	memset(p->c->m, 0, (end - zi - 1) * sizeof(member_t));
	for (uint32_t i = zi + 1; i < end; i++) {
		const zone_node_t *n = &z->nodes[i];
		int ret;
		if (n->parent == zi)
			ret = read_member(p, i);
		else if (z->nodes[n->parent].parent == zi)
			ret = read_property(p, i);
		else if (p->prop == PROP_COO || p->prop == PROP_GROUP)
			ret = refuse(p, "", n->name, "lies below a %s property, which has no subtree (RFC 9432 §4.4)",
				     p->prop == PROP_COO ? "coo" : "group");
		else
			ret = 0; /* below ext. or an unknown property */
		if (ret != 0)
			return ret;
	}
	return 0;
}

static int
member_cmp(const void *a, const void *b)
{
	const member_t *x = a, *y = b;
	return dname_canon_cmp(x->pub.name, y->pub.name);
}

/* Sort by member name; a zone under two labels is refused (both owners named, in zone order). */
static int
sort_members(const parse_t *p)
{
	catalog_t *c = p->c;
	if (c->n > 1)
		qsort(c->m, c->n, sizeof(member_t), member_cmp);
	for (size_t i = 1; i < c->n; i++) {
		if (member_cmp(&c->m[i - 1], &c->m[i]) != 0)
			continue;
		uint32_t a = c->m[i - 1].node, b = c->m[i].node;
		if (a > b) {
			uint32_t t = a;
			a = b;
			b = t;
		}
		char other[NAME_TEXT], zone[NAME_TEXT];
		name_text("", p->z->nodes[b].name, other, sizeof(other));
		name_text("", c->m[i].pub.name, zone, sizeof(zone));
		return refuse(p, "", p->z->nodes[a].name, "and %s both name member %s: a zone is a member once",
			      other, zone);
	}
	return 0;
}

int
catalog_parse(const zone_t *z, catalog_t **out, char *err, size_t errlen)
{
	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	catalog_t *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return FL_ENOMEM;
	arena_init(&c->arena, 0);
	parse_t p = { .z = z, .c = c, .err = err, .errlen = errlen };
	int ret = check_version(&p);
	if (ret != 0)
		goto fail;
	ret = read_members(&p);
	if (ret != 0)
		goto fail;
	ret = sort_members(&p);
	if (ret != 0)
		goto fail;
	*out = c;
	return 0;
fail:
	if (ret == FL_ENOMEM && err != NULL && errlen > 0)
		snprintf(err, errlen, "catalog: out of memory");
	catalog_free(c);
	return ret;
}

size_t
catalog_count(const catalog_t *c)
{
	return c->n;
}

const catalog_member_t *
catalog_at(const catalog_t *c, size_t i)
{
	return i < c->n ? &c->m[i].pub : NULL;
}

const catalog_member_t *
catalog_find(const catalog_t *c, const uint8_t *name)
{
	uint8_t key[DNAME_MAXLEN];
	int len = dname_check(name, DNAME_MAXLEN);
	if (len < 0)
		return NULL;
	memcpy(key, name, (size_t)len);
	dname_lower(key);
	size_t lo = 0, hi = c->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = dname_canon_cmp(key, c->m[mid].pub.name);
		if (r == 0)
			return &c->m[mid].pub;
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

void
catalog_free(catalog_t *c)
{
	if (c == NULL)
		return;
	arena_free(&c->arena);
	free(c);
}

/* ---- Producer side ---- */

#define OWNER_EXTRA 6 /* "\5zones" and "\5group": the octets each adds to an owner name */

/* An entry, lowercased, with its position (for sorting and messages). */
typedef struct {
	const uint8_t *name; /* in build_t.tmp */
	uint8_t label[DNAME_LABELMAX + 1];
	size_t idx;
} bkey_t;

typedef struct {
	const uint8_t *origin; /* lowercased */
	size_t olen;
	char *err;
	size_t errlen;
	arena_t tmp; /* lowercased member names while checking */
} build_t;

static int bfail(const build_t *b, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Fill the error line "catalog <origin>: <why>" and return code. */
static int
bfail(const build_t *b, int code, const char *fmt, ...)
{
	if (b->err == NULL || b->errlen == 0)
		return code;
	char cat[NAME_TEXT];
	name_text("", b->origin, cat, sizeof(cat));
	int n = snprintf(b->err, b->errlen, "catalog %s: ", cat);
	if (n >= 0 && (size_t)n < b->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(b->err + n, b->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* The label as text for messages (escaped like a name, without the trailing dot). */
static void
label_text(const uint8_t *label, char *out, size_t outlen)
{
	uint8_t n[DNAME_LABELMAX + 2];
	memcpy(n, label, 1u + label[0]);
	n[1 + label[0]] = 0;
	name_text("", n, out, outlen);
	size_t l = strlen(out);
	if (l > 1 && out[l - 1] == '.')
		out[l - 1] = '\0';
}

/* Refuse two entries that clash, naming them in input order. */
static int
clash(const build_t *b, const bkey_t *x, const bkey_t *y, const char *what, const char *text)
{
	size_t i = x->idx < y->idx ? x->idx : y->idx, j = x->idx < y->idx ? y->idx : x->idx;
	return bfail(b, FL_EINVAL, "entries %zu and %zu %s %s", i, j, what, text);
}

/* One entry on its own: a valid label and name, outside the catalog, owners that fit. */
static int
check_entry(build_t *b, const catalog_entry_t *e, size_t i, bkey_t *k)
{
	if (e->name == NULL || e->label == NULL)
		return bfail(b, FL_EINVAL, "entry %zu: no name or label", i);
	if (e->label[0] < 1 || e->label[0] > DNAME_LABELMAX)
		return bfail(b, FL_EINVAL, "entry %zu: label of %u octets (1..63 allowed)", i, e->label[0]);
	int nl = dname_check(e->name, DNAME_MAXLEN);
	if (nl < 0)
		return bfail(b, FL_EINVAL, "entry %zu: member name is not a valid wire name", i);
	uint8_t *name = arena_memdup(&b->tmp, e->name, (size_t)nl);
	if (name == NULL)
		return FL_ENOMEM;
	dname_lower(name);
	k->name = name;
	memcpy(k->label, e->label, 1u + e->label[0]);
	for (uint8_t j = 1; j <= k->label[0]; j++)
		if (k->label[j] >= 'A' && k->label[j] <= 'Z')
			k->label[j] = (uint8_t)(k->label[j] + 32);
	k->idx = i;
	size_t owner = 1u + k->label[0] + OWNER_EXTRA + b->olen;
	bool group = e->group != NULL && e->group[0] != '\0';
	const char *why = NULL;
	if (dname_is_sub(name, (size_t)nl, b->origin, b->olen))
		why = "is the catalog or below it";
	else if (owner > DNAME_MAXLEN)
		why = "does not fit: <label>.zones.<origin> is longer than 255 octets";
	else if (group && owner + OWNER_EXTRA > DNAME_MAXLEN)
		why = "does not fit: group.<label>.zones.<origin> is longer than 255 octets";
	else if (group && strlen(e->group) > 255)
		why = "has a group longer than 255 octets";
	if (why == NULL)
		return 0;
	char nt[NAME_TEXT];
	name_text("", name, nt, sizeof(nt));
	return bfail(b, FL_EINVAL, "entry %zu: member %s %s", i, nt, why);
}

static int
key_name_cmp(const void *a, const void *b)
{
	return dname_canon_cmp(((const bkey_t *)a)->name, ((const bkey_t *)b)->name);
}

static int
key_label_cmp(const void *a, const void *b)
{
	const uint8_t *x = ((const bkey_t *)a)->label, *y = ((const bkey_t *)b)->label;
	return x[0] != y[0] ? (int)x[0] - (int)y[0] : memcmp(x + 1, y + 1, x[0]);
}

/* Every entry valid, no member name and no label twice (labels case-insensitively, like owner names). */
static int
check_entries(build_t *b, const catalog_entry_t *e, size_t n)
{
	if (n == 0)
		return 0;
	bkey_t *k = malloc(n * sizeof(*k));
	if (k == NULL)
		return FL_ENOMEM;
	int ret = 0;
	for (size_t i = 0; i < n && ret == 0; i++)
		ret = check_entry(b, &e[i], i, &k[i]);
	if (ret != 0)
		goto done;
	qsort(k, n, sizeof(*k), key_name_cmp);
	for (size_t i = 1; i < n; i++) {
		if (key_name_cmp(&k[i - 1], &k[i]) == 0) {
			char nt[NAME_TEXT];
			name_text("", k[i].name, nt, sizeof(nt));
			ret = clash(b, &k[i - 1], &k[i], "both name member", nt);
			goto done;
		}
	}
	qsort(k, n, sizeof(*k), key_label_cmp);
	for (size_t i = 1; i < n; i++) {
		if (key_label_cmp(&k[i - 1], &k[i]) == 0) {
			char lt[NAME_TEXT];
			label_text(k[i].label, lt, sizeof(lt));
			ret = clash(b, &k[i - 1], &k[i], "share the label", lt);
			goto done;
		}
	}
done:
	free(k);
	return ret;
}

static const uint8_t INVALID[] = "\7invalid"; /* with its terminating NUL: the wire name "invalid." */

/* Apex SOA and NS, version TXT "2" (RFC 9432 §4.1, §4.2.1). */
static int
add_fixed(zone_builder_t *zb, const build_t *b, uint32_t serial)
{
	uint8_t soa[2 * sizeof(INVALID) + 20], *p = soa;
	memcpy(p, INVALID, sizeof(INVALID));
	p += sizeof(INVALID);
	memcpy(p, INVALID, sizeof(INVALID));
	p += sizeof(INVALID);
	const uint32_t v[5] = { serial, 3600, 600, 2147483646, 0 };
	for (int i = 0; i < 5; i++, p += 4)
		wire_set_u32(p, v[i]);
	int ret = zone_builder_add(zb, b->origin, b->olen, RR_SOA, RR_CLASS_IN, 0, soa, sizeof(soa), 0);
	if (ret == 0)
		ret = zone_builder_add(zb, b->origin, b->olen, RR_NS, RR_CLASS_IN, 0, INVALID, sizeof(INVALID), 0);
	uint8_t vname[DNAME_MAXLEN];
	int vl = child_name(vname, "version", b->origin, b->olen); /* fits: checked by catalog_build */
	if (ret == 0)
		ret = zone_builder_add(zb, vname, (size_t)vl, RR_TXT, RR_CLASS_IN, 0, (const uint8_t *)"\1" "2", 2, 0);
	return ret;
}

/* <label>.zones.<origin> PTR <name>, and group.<label>.zones.<origin> TXT "<group>" (checked to fit). */
static int
add_entry(zone_builder_t *zb, const build_t *b, const catalog_entry_t *e, uint32_t src)
{
	uint8_t owner[DNAME_MAXLEN + OWNER_EXTRA], name[DNAME_MAXLEN];
	uint8_t *o = owner + OWNER_EXTRA; /* room for "\5group" in front */
	size_t ll = 1u + e->label[0];
	memcpy(o, e->label, ll);
	memcpy(o + ll, "\5zones", OWNER_EXTRA);
	memcpy(o + ll + OWNER_EXTRA, b->origin, b->olen);
	size_t olen = ll + OWNER_EXTRA + b->olen;
	size_t nl = dname_len(e->name);
	memcpy(name, e->name, nl);
	dname_lower(name);
	int ret = zone_builder_add(zb, o, olen, RR_PTR, RR_CLASS_IN, 0, name, (uint16_t)nl, src);
	if (ret != 0 || e->group == NULL || e->group[0] == '\0')
		return ret;
	memcpy(owner, "\5group", OWNER_EXTRA);
	uint8_t txt[256];
	size_t gl = strlen(e->group);
	txt[0] = (uint8_t)gl;
	memcpy(txt + 1, e->group, gl);
	return zone_builder_add(zb, owner, olen + OWNER_EXTRA, RR_TXT, RR_CLASS_IN, 0, txt, (uint16_t)(gl + 1), src);
}

int
catalog_build(const uint8_t *origin, uint32_t serial, const catalog_entry_t *e, size_t n, zone_t **out,
	      char *err, size_t errlen)
{
	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	uint8_t o[DNAME_MAXLEN];
	int ol = dname_check(origin, DNAME_MAXLEN);
	if (ol < 0) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "catalog: origin is not a valid wire name");
		return FL_EINVAL;
	}
	memcpy(o, origin, (size_t)ol);
	dname_lower(o);
	build_t b = { .origin = o, .olen = (size_t)ol, .err = err, .errlen = errlen };
	if (b.olen + sizeof("version") > DNAME_MAXLEN)
		return bfail(&b, FL_EINVAL, "version.<origin> is longer than 255 octets");
	arena_init(&b.tmp, 0);
	int ret = check_entries(&b, e, n);
	arena_free(&b.tmp);
	if (ret != 0)
		return ret == FL_ENOMEM ? bfail(&b, ret, "out of memory") : ret;
	zone_builder_t *zb = zone_builder_new(o);
	if (zb == NULL)
		return bfail(&b, FL_ENOMEM, "out of memory");
	ret = add_fixed(zb, &b, serial);
	for (size_t i = 0; i < n && ret == 0; i++)
		ret = add_entry(zb, &b, &e[i], (uint32_t)(i + 1));
	if (ret != 0) {
		zone_builder_abort(zb);
		return bfail(&b, ret, "cannot add a record: %s", fl_strerror(ret));
	}
	zone_error_t *zerr = malloc(sizeof(*zerr)); /* 2.6 KB: kept off the stack */
	if (zerr == NULL) {
		zone_builder_abort(zb);
		return bfail(&b, FL_ENOMEM, "out of memory");
	}
	ret = zone_builder_finish(zb, out, zerr);
	if (ret != 0)
		bfail(&b, ret, "%s", ret == FL_ENOMEM ? "out of memory" : zerr->msg);
	free(zerr);
	return ret;
}

void
catalog_new_label(const uint8_t *name, uint64_t salt, uint8_t out[17])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t buf[DNAME_MAXLEN + 8], md[SHA256_DIGEST_LENGTH];
	int nl = dname_check(name, DNAME_MAXLEN);
	size_t len = nl < 0 ? 0 : (size_t)nl; /* not a name: the salt alone (the contract wants a valid name) */
	memcpy(buf, name, len);
	if (len > 0)
		dname_lower(buf);
	for (int i = 0; i < 8; i++)
		buf[len + (size_t)i] = (uint8_t)(salt >> (56 - 8 * i));
	SHA256(buf, len + 8, md);
	out[0] = 16;
	for (int i = 0; i < 8; i++) {
		out[1 + 2 * i] = (uint8_t)hex[md[i] >> 4];
		out[2 + 2 * i] = (uint8_t)hex[md[i] & 15];
	}
}
