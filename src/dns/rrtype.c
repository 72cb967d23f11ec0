/* SPDX-License-Identifier: MIT */
/** \file RR type table (see rrtype.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns/dname.h"
#include "dns/rrtype.h"
#include "util/err.h"

#define F(n) { RDF_FIXED, n }
#define CN { RDF_CNAME, 0 }
#define LN { RDF_LNAME, 0 }
#define NM { RDF_NAME, 0 }
#define ST { RDF_STRING, 0 }
#define RE { RDF_REST, 0 }

/* Sorted by type so rrtype_desc can bisect. */
static const rrtype_desc_t types[] = {
	{ RR_A, "A", { F(4) } },
	{ RR_NS, "NS", { CN } },
	{ RR_MD, "MD", { CN } },
	{ RR_MF, "MF", { CN } },
	{ RR_CNAME, "CNAME", { CN } },
	{ RR_SOA, "SOA", { CN, CN, F(20) } },
	{ RR_MB, "MB", { CN } },
	{ RR_MG, "MG", { CN } },
	{ RR_MR, "MR", { CN } },
	{ RR_NULL, "NULL", { RE } },
	{ RR_WKS, "WKS", { F(5), RE } },
	{ RR_PTR, "PTR", { CN } },
	{ RR_HINFO, "HINFO", { ST, ST } },
	{ RR_MINFO, "MINFO", { CN, CN } },
	{ RR_MX, "MX", { F(2), CN } },
	{ RR_TXT, "TXT", { RE } },
	{ RR_RP, "RP", { LN, LN } },
	{ RR_AFSDB, "AFSDB", { F(2), LN } },
	{ RR_X25, "X25", { RE } },
	{ RR_ISDN, "ISDN", { RE } },
	{ RR_RT, "RT", { F(2), LN } },
	{ RR_NSAP, "NSAP", { RE } },
	{ RR_SIG, "SIG", { F(18), LN, RE } },
	{ RR_KEY, "KEY", { RE } },
	{ RR_PX, "PX", { F(2), LN, LN } },
	{ RR_GPOS, "GPOS", { RE } },
	{ RR_AAAA, "AAAA", { F(16) } },
	{ RR_LOC, "LOC", { RE } },
	{ RR_NXT, "NXT", { LN, RE } },
	{ RR_SRV, "SRV", { F(6), LN } },
	{ RR_NAPTR, "NAPTR", { F(4), ST, ST, ST, LN } },
	{ RR_KX, "KX", { F(2), LN } },
	{ RR_CERT, "CERT", { RE } },
	{ RR_A6, "A6", { RE } },
	{ RR_DNAME, "DNAME", { LN } },
	{ RR_OPT, "OPT", { RE } },
	{ RR_APL, "APL", { RE } },
	{ RR_DS, "DS", { F(4), RE } },
	{ RR_SSHFP, "SSHFP", { F(2), RE } },
	{ RR_IPSECKEY, "IPSECKEY", { RE } },
	{ RR_RRSIG, "RRSIG", { F(18), LN, RE } },
	{ RR_NSEC, "NSEC", { NM, RE } },
	{ RR_DNSKEY, "DNSKEY", { F(4), RE } },
	{ RR_DHCID, "DHCID", { RE } },
	{ RR_NSEC3, "NSEC3", { RE } },
	{ RR_NSEC3PARAM, "NSEC3PARAM", { RE } },
	{ RR_TLSA, "TLSA", { F(3), RE } },
	{ RR_SMIMEA, "SMIMEA", { F(3), RE } },
	{ RR_HIP, "HIP", { RE } },
	{ RR_CDS, "CDS", { F(4), RE } },
	{ RR_CDNSKEY, "CDNSKEY", { F(4), RE } },
	{ RR_OPENPGPKEY, "OPENPGPKEY", { RE } },
	{ RR_CSYNC, "CSYNC", { F(6), RE } },
	{ RR_ZONEMD, "ZONEMD", { F(6), RE } },
	{ RR_SVCB, "SVCB", { F(2), NM, RE } },
	{ RR_HTTPS, "HTTPS", { F(2), NM, RE } },
	{ RR_SPF, "SPF", { RE } },
	{ RR_NID, "NID", { F(10) } },
	{ RR_L32, "L32", { F(6) } },
	{ RR_L64, "L64", { F(10) } },
	{ RR_LP, "LP", { F(2), LN } },
	{ RR_EUI48, "EUI48", { F(6) } },
	{ RR_EUI64, "EUI64", { F(8) } },
	{ RR_TKEY, "TKEY", { RE } },
	{ RR_TSIG, "TSIG", { RE } },
	{ RR_IXFR, "IXFR", { RE } },
	{ RR_AXFR, "AXFR", { RE } },
	{ RR_MAILB, "MAILB", { RE } },
	{ RR_MAILA, "MAILA", { RE } },
	{ RR_ANY, "ANY", { RE } },
	{ RR_URI, "URI", { F(4), RE } },
	{ RR_CAA, "CAA", { F(1), ST, RE } },
};

static const rrtype_desc_t unknown_desc = { 0, NULL, { RE } };

const rrtype_desc_t *
rrtype_desc(uint16_t type)
{
	size_t lo = 0, hi = sizeof(types) / sizeof(types[0]);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (types[mid].type == type)
			return &types[mid];
		if (types[mid].type < type)
			lo = mid + 1;
		else
			hi = mid;
	}
	return &unknown_desc;
}

bool
rrtype_compressible(uint16_t type)
{
	switch (type) {
	case RR_NS: case RR_MD: case RR_MF: case RR_CNAME: case RR_SOA: case RR_MB:
	case RR_MG: case RR_MR: case RR_PTR: case RR_MINFO: case RR_MX:
		return true;
	default:
		return false;
	}
}

bool
rrtype_is_meta(uint16_t type)
{
	return type == RR_OPT || (type >= 128 && type <= 255) || type == 0;
}

const char *
rrtype_to_str(uint16_t type, char *buf, size_t buflen)
{
	const rrtype_desc_t *d = rrtype_desc(type);
	if (d->name != NULL)
		snprintf(buf, buflen, "%s", d->name);
	else
		snprintf(buf, buflen, "TYPE%u", type);
	return buf;
}

static int
parse_num_suffix(const char *s, size_t len, size_t prefix, uint16_t *out)
{
	if (len <= prefix || len - prefix > 5)
		return FL_ESYNTAX;
	unsigned long v = 0;
	for (size_t i = prefix; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return FL_ESYNTAX;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return FL_ESYNTAX;
	*out = (uint16_t)v;
	return 0;
}

int
rrtype_from_str(const char *s, size_t len, uint16_t *type)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		const char *n = types[i].name;
		if (strlen(n) == len && strncasecmp(n, s, len) == 0) {
			*type = types[i].type;
			return 0;
		}
	}
	if (len > 4 && strncasecmp(s, "TYPE", 4) == 0)
		return parse_num_suffix(s, len, 4, type);
	return FL_ESYNTAX;
}

int
rrclass_from_str(const char *s, size_t len, uint16_t *rclass)
{
	static const struct { const char *n; uint16_t c; } classes[] = {
		{ "IN", RR_CLASS_IN }, { "CH", RR_CLASS_CH }, { "CHAOS", RR_CLASS_CH },
		{ "HS", RR_CLASS_HS }, { "NONE", RR_CLASS_NONE }, { "ANY", RR_CLASS_ANY },
	};
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (strlen(classes[i].n) == len && strncasecmp(classes[i].n, s, len) == 0) {
			*rclass = classes[i].c;
			return 0;
		}
	if (len > 5 && strncasecmp(s, "CLASS", 5) == 0)
		return parse_num_suffix(s, len, 5, rclass);
	return FL_ESYNTAX;
}

int
rrtype_rdata_check(uint16_t type, const uint8_t *rdata, size_t len)
{
	const rrtype_desc_t *d = rrtype_desc(type);
	size_t off = 0;
	for (int i = 0; i < RRTYPE_MAXFIELDS && d->fields[i].kind != RDF_END; i++) {
		const rdf_t *f = &d->fields[i];
		switch (f->kind) {
		case RDF_CNAME:
		case RDF_LNAME:
		case RDF_NAME: {
			int n = dname_check(rdata + off, len - off);
			if (n < 0)
				return FL_EMALF;
			off += (size_t)n;
			break;
		}
		case RDF_FIXED:
			if (len - off < f->len)
				return FL_EMALF;
			off += f->len;
			break;
		case RDF_STRING:
			if (off >= len || len - off < 1u + rdata[off])
				return FL_EMALF;
			off += 1u + rdata[off];
			break;
		case RDF_REST:
			off = len;
			break;
		}
	}
	return off == len ? 0 : FL_EMALF;
}

void
rrtype_lower_names(uint16_t type, uint8_t *rd, size_t len, bool all)
{
	const rrtype_desc_t *d = rrtype_desc(type);
	size_t off = 0;
	for (int i = 0; i < RRTYPE_MAXFIELDS && d->fields[i].kind != RDF_END; i++) {
		const rdf_t *f = &d->fields[i];
		switch (f->kind) {
		case RDF_CNAME:
		case RDF_LNAME:
		case RDF_NAME: {
			int k = off < len ? dname_check(rd + off, len - off) : -1;
			if (k < 0)
				return;
			if (all || f->kind != RDF_NAME)
				dname_lower(rd + off);
			off += (size_t)k;
			break;
		}
		case RDF_FIXED:
			if (len - off < f->len)
				return;
			off += f->len;
			break;
		case RDF_STRING:
			if (off >= len || len - off < 1u + rd[off])
				return;
			off += 1u + rd[off];
			break;
		default:
			return; /* RDF_REST: no name after it */
		}
	}
}
