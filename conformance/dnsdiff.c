/* SPDX-License-Identifier: MIT */
/**
 * \file
 * dnsdiff: differential conformance tester. Reads the zone files of a
 * directory, generates queries from their content (every owner name and
 * empty non-terminal times a list of types, names below each node, below
 * delegations and DNAMEs, names in no served zone, CHAOS, mixed case, EDNS
 * sizes that force TC, DO, TCP), sends each one to a reference server (A,
 * knotd) and to the server under test (B, flame-dnsd), and compares the
 * answers field by field: RCODE, header flags, OPT presence and DO echo,
 * the question (exactly, letter case included) and each section as a
 * multiset of RRs (owner lowercased, TTL, class, type, rdata; OPT ignored),
 * and whether a section repeats an RR (RFC 2181 §5: RRsets are sets).
 *
 * Differences are matched against a known-differences file; only
 * unlisted differences make the exit status non-zero.
 * Not a load generator: one query at a time, fresh TCP connection each.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "dns/pkt.h"
#include "dns/wire.h"

#define MAXNAME 1100          /*!< presentation names, escapes included */
#define UDP_TIMEOUT_MS 1000
#define TCP_TIMEOUT_MS 3000
#define RESP_MAX 65535

/* ---- data ------------------------------------------------------------ */

/** One name seen in a zone (owner or empty non-terminal). */
typedef struct {
	char name[MAXNAME];  /*!< lowercased, trailing dot */
	int zone;            /*!< index into zones */
	uint16_t types[64];
	int ntypes;
	unsigned maxrrset;   /*!< largest RRset at the name */
	bool apex, deleg, dname, wildcard;
} zname_t;

typedef struct {
	char qname[MAXNAME]; /*!< as sent (mixed case possible) */
	uint16_t qtype, qclass;
	uint16_t edns;       /*!< 0 = no OPT, else advertised UDP size */
	bool dobit, tcp, rd;
} query_t;

/** A parsed response, normalised for comparison. */
typedef struct {
	bool ok;             /*!< got a parsable answer */
	char err[128];       /*!< why not */
	unsigned rcode;      /*!< extended (OPT bits included) */
	unsigned opcode;
	bool qr, aa, tc, rd, ra, ad, cd;
	bool edns, dobit;
	size_t wirelen;
	char **sec[4];       /*!< question, answer, authority, additional; sorted strings */
	size_t nsec[4];
	bool dup;            /*!< a section holds the same RR twice (RFC 2181 §5) */
} resp_t;

enum { F_TRANSPORT, F_ID, F_RCODE, F_OPCODE, F_QR, F_AA, F_TC, F_RD, F_RA, F_AD, F_CD, F_EDNS, F_DO,
       F_QUESTION, F_ANSWER, F_AUTHORITY, F_ADDITIONAL, F_DUP, F_COUNT };
static const char *const field_names[F_COUNT] = {
	"transport", "id", "rcode", "opcode", "qr", "aa", "tc", "rd", "ra", "ad", "cd", "edns", "do",
	"question", "answer", "authority", "additional", "duplicates",
};

/* Relation of B's section to A's when they differ. */
#define REL_CASE 1u     /*!< equal when lowercased */
#define REL_SUBSET 2u   /*!< B's RRs are all in A */
#define REL_SUPERSET 4u /*!< A's RRs are all in B */

typedef struct {
	char id[64];
	char glob[MAXNAME];
	uint16_t qtype;      /*!< 0 = any */
	int proto;           /*!< -1 any, 0 udp, 1 tcp */
	unsigned fieldmask;  /*!< fields covered */
	unsigned mode[F_COUNT]; /*!< 0 = any difference, else REL_* needed */
	char reason[512];
	unsigned hits;
} rule_t;

typedef struct {
	struct sockaddr_in addr;
	const char *label;
} server_t;

static zname_t *names;
static size_t nnames, capnames;
static char **zones;          /*!< origins, lowercased */
static size_t nzones;
static query_t *queries;
static size_t nqueries, capqueries;
static rule_t *rules;
static size_t nrules;
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static bool verbose;
/* -D: every query asks for DNSSEC records (EDNS with DO=1), for signed zones */
static bool dnssec_all;

static int load_zone_dir(const char *dir);
static int load_zone(const char *path, const char *origin);
static zname_t *name_get(const char *name, int zone);
static void gen_queries(void);
static int add_query(const char *qname, uint16_t qtype, uint16_t qclass, int variant);
static int load_rules(const char *path);
static int run_one(const server_t *srv, const query_t *q, uint16_t id, resp_t *r);
static void resp_free(resp_t *r);

/* ---- helpers ----------------------------------------------------------- */

static uint64_t
rng_next(void)
{
	/* xorshift64*: reproducible for a given seed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static unsigned
rng_below(unsigned n)
{
	return (unsigned)(rng_next() % n);
}

static void
str_lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

static void *
xrealloc_array(void *p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return p;
	size_t ncap = *cap ? *cap * 2 : 64;
	while (ncap < need)
		ncap *= 2;
	if (ncap > SIZE_MAX / elem)
		return NULL;
	void *n = realloc(p, ncap * elem);
	if (n == NULL)
		return NULL;
	*cap = ncap;
	return n;
}

static const char *
type_str(uint16_t t, char *buf, size_t len)
{
	char *s = ldns_rr_type2str((ldns_rr_type)t);
	if (s == NULL) {
		snprintf(buf, len, "TYPE%u", t);
		return buf;
	}
	snprintf(buf, len, "%s", s);
	free(s);
	return buf;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- zones --------------------------------------------------------------- */

static zname_t *
name_get(const char *name, int zone)
{
	for (size_t i = 0; i < nnames; i++)
		if (names[i].zone == zone && strcmp(names[i].name, name) == 0)
			return &names[i];
	zname_t *n = xrealloc_array(names, &capnames, nnames + 1, sizeof(*names));
	if (n == NULL)
		return NULL;
	names = n;
	zname_t *z = &names[nnames++];
	memset(z, 0, sizeof(*z));
	snprintf(z->name, sizeof(z->name), "%s", name);
	z->zone = zone;
	return z;
}

static void
name_add_type(zname_t *z, uint16_t t)
{
	for (int i = 0; i < z->ntypes; i++)
		if (z->types[i] == t)
			return;
	if (z->ntypes < (int)(sizeof(z->types) / sizeof(z->types[0])))
		z->types[z->ntypes++] = t;
}

static int
load_zone(const char *path, const char *origin)
{
	int ret = -1;
	int line = 0;
	ldns_zone *z = NULL;
	ldns_rdf *orig = NULL;
	char **nz = NULL;
	FILE *fp = fopen(path, "r");
	if (fp == NULL) {
		fprintf(stderr, "dnsdiff: %s: %s\n", path, strerror(errno));
		goto fail;
	}
	orig = ldns_dname_new_frm_str(origin);
	if (orig == NULL) {
		fprintf(stderr, "dnsdiff: %s: bad origin '%s'\n", path, origin);
		goto fail;
	}
	ldns_status st = ldns_zone_new_frm_fp_l(&z, fp, orig, 3600, LDNS_RR_CLASS_IN, &line);
	if (st != LDNS_STATUS_OK) {
		fprintf(stderr, "dnsdiff: %s:%d: %s\n", path, line, ldns_get_errorstr_by_id(st));
		goto fail;
	}
	size_t zcap = nzones;
	nz = realloc(zones, (zcap + 1) * sizeof(*zones));
	if (nz == NULL)
		goto fail;
	zones = nz;
	nz = NULL;
	zones[nzones] = strdup(origin);
	if (zones[nzones] == NULL)
		goto fail;
	str_lower(zones[nzones]);
	int zi = (int)nzones++;

	ldns_rr_list *rrs = ldns_zone_rrs(z);
	size_t n = ldns_rr_list_rr_count(rrs);
	for (size_t i = 0; i <= n; i++) {
		ldns_rr *rr = i < n ? ldns_rr_list_rr(rrs, i) : ldns_zone_soa(z);
		if (rr == NULL)
			continue;
		ldns_rdf *owner = ldns_rdf_clone(ldns_rr_owner(rr));
		if (owner == NULL)
			goto fail;
		ldns_dname2canonical(owner);
		char *os = ldns_rdf2str(owner);
		if (os == NULL) {
			ldns_rdf_deep_free(owner);
			goto fail;
		}
		zname_t *zn = name_get(os, zi);
		if (zn == NULL) {
			free(os);
			ldns_rdf_deep_free(owner);
			goto fail;
		}
		uint16_t t = (uint16_t)ldns_rr_get_type(rr);
		name_add_type(zn, t);
		zn->apex = strcmp(os, zones[zi]) == 0;
		if (t == LDNS_RR_TYPE_NS && !zn->apex)
			zn->deleg = true;
		if (t == LDNS_RR_TYPE_DNAME)
			zn->dname = true;
		zn->wildcard = os[0] == '*' && os[1] == '.';
		/* RRset size: count RRs with the same owner and type */
		unsigned cnt = 0;
		for (size_t j = 0; j < n; j++) {
			ldns_rr *o = ldns_rr_list_rr(rrs, j);
			if (ldns_rr_get_type(o) == (ldns_rr_type)t &&
			    ldns_dname_compare(ldns_rr_owner(o), owner) == 0)
				cnt++;
		}
		if (cnt > zn->maxrrset)
			zn->maxrrset = cnt;
		/* empty non-terminals between the owner and the apex */
		ldns_rdf *p = owner;
		while (ldns_dname_label_count(p) > ldns_dname_label_count(orig)) {
			ldns_rdf *up = ldns_dname_left_chop(p);
			if (p != owner)
				ldns_rdf_deep_free(p);
			if (up == NULL)
				break;
			p = up;
			char *ps = ldns_rdf2str(p);
			if (ps == NULL)
				break;
			zname_t *ent = name_get(ps, zi);
			free(ps);
			if (ent == NULL)
				break;
		}
		if (p != owner)
			ldns_rdf_deep_free(p);
		ldns_rdf_deep_free(owner);
		free(os);
	}
	ret = 0;
fail:
	if (z != NULL)
		ldns_zone_deep_free(z);
	if (orig != NULL)
		ldns_rdf_deep_free(orig);
	if (fp != NULL)
		fclose(fp);
	return ret;
}

static int
load_zone_dir(const char *dir)
{
	int ret = -1;
	struct dirent **ents = NULL;
	int n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "dnsdiff: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const char *f = ents[i]->d_name;
		size_t l = strlen(f);
		if (l <= 5 || strcmp(f + l - 5, ".zone") != 0)
			continue;
		char origin[MAXNAME], path[4096];
		snprintf(origin, sizeof(origin), "%.*s.", (int)(l - 5), f);
		snprintf(path, sizeof(path), "%s/%s", dir, f);
		if (load_zone(path, origin) != 0)
			goto fail;
	}
	ret = nzones > 0 ? 0 : -1;
	if (ret != 0)
		fprintf(stderr, "dnsdiff: no *.zone files in %s\n", dir);
fail:
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return ret;
}

/* ---- query generation ---------------------------------------------------- */

enum { V_RANDOM = 0, V_UDP_NOEDNS, V_UDP_512, V_UDP_600, V_UDP_1232, V_UDP_4096, V_TCP, V_UDP_DO };

static int
add_query(const char *qname, uint16_t qtype, uint16_t qclass, int variant)
{
	query_t *nq = xrealloc_array(queries, &capqueries, nqueries + 1, sizeof(*queries));
	if (nq == NULL)
		return -1;
	queries = nq;
	query_t *q = &queries[nqueries];
	memset(q, 0, sizeof(*q));
	if (strlen(qname) >= sizeof(q->qname))
		return 0;
	snprintf(q->qname, sizeof(q->qname), "%s", qname);
	/* check the name is encodable; too long names are skipped */
	ldns_rdf *r = NULL;
	if (ldns_str2rdf_dname(&r, qname) != LDNS_STATUS_OK)
		return 0;
	ldns_rdf_deep_free(r);
	q->qtype = qtype;
	q->qclass = qclass;
	q->rd = rng_below(10) < 3;
	switch (variant) {
	case V_UDP_NOEDNS: break;
	case V_UDP_512: q->edns = 512; break;
	case V_UDP_600: q->edns = 600; break;
	case V_UDP_1232: q->edns = 1232; break;
	case V_UDP_4096: q->edns = 4096; break;
	case V_TCP: q->edns = 1232; q->tcp = true; break;
	case V_UDP_DO: q->edns = 1232; q->dobit = true; break;
	default: {
		unsigned e = rng_below(100);
		if (e < 15)
			q->edns = 0;
		else if (e < 25)
			q->edns = 512;
		else if (e < 30)
			q->edns = 600;
		else if (e < 70)
			q->edns = 1232;
		else
			q->edns = 4096;
		q->dobit = q->edns != 0 && rng_below(100) < 15;
		q->tcp = rng_below(100) < 20;
		/* mixed case (RFC 4343): the question must come back as sent */
		if (rng_below(2) == 0 && strchr(q->qname, '\\') == NULL)
			for (char *c = q->qname; *c != '\0'; c++)
				if (rng_below(2) == 0)
					*c = (char)toupper((unsigned char)*c);
		break;
	}
	}
	if (dnssec_all && qclass == LDNS_RR_CLASS_IN) {
		if (q->edns == 0)
			q->edns = 1232;
		q->dobit = true;
	}
	nqueries++;
	return 0;
}

static const uint16_t probe_types[] = {
	LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA, LDNS_RR_TYPE_NS, LDNS_RR_TYPE_SOA, LDNS_RR_TYPE_MX,
	LDNS_RR_TYPE_TXT, LDNS_RR_TYPE_CNAME, LDNS_RR_TYPE_DNAME, LDNS_RR_TYPE_SRV, LDNS_RR_TYPE_PTR,
	LDNS_RR_TYPE_CAA, LDNS_RR_TYPE_DS, LDNS_RR_TYPE_HINFO, LDNS_RR_TYPE_NAPTR, LDNS_RR_TYPE_SSHFP,
	LDNS_RR_TYPE_TLSA, LDNS_RR_TYPE_ANY, LDNS_RR_TYPE_RRSIG, LDNS_RR_TYPE_DNSKEY, 65280, 65281, 65535,
};

static void
gen_queries(void)
{
	char buf[MAXNAME + 64];
	size_t base = nnames;
	int fail = 0;

	for (size_t i = 0; i < base; i++) {
		const zname_t *z = &names[i];
		/* every type at the name, and the probe list (NODATA elsewhere) */
		for (int t = 0; t < z->ntypes; t++)
			fail |= add_query(z->name, z->types[t], LDNS_RR_CLASS_IN, V_RANDOM);
		for (size_t t = 0; t < sizeof(probe_types) / sizeof(probe_types[0]); t++) {
			bool has = false;
			for (int k = 0; k < z->ntypes; k++)
				has |= z->types[k] == probe_types[t];
			if (!has)
				fail |= add_query(z->name, probe_types[t], LDNS_RR_CLASS_IN, V_RANDOM);
		}
		/* ANY over both transports (RFC 8482 allows a subset) */
		fail |= add_query(z->name, LDNS_RR_TYPE_ANY, LDNS_RR_CLASS_IN, V_TCP);
		fail |= add_query(z->name, LDNS_RR_TYPE_ANY, LDNS_RR_CLASS_IN, V_UDP_DO);
		/* names that do not exist below each node: NXDOMAIN, wildcard, referral, DNAME */
		snprintf(buf, sizeof(buf), "nx-%u.%s", rng_below(1000), z->name);
		fail |= add_query(buf, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, V_RANDOM);
		fail |= add_query(buf, LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_IN, V_RANDOM);
		fail |= add_query(buf, LDNS_RR_TYPE_MX, LDNS_RR_CLASS_IN, V_RANDOM);
		snprintf(buf, sizeof(buf), "a.b-%u.%s", rng_below(1000), z->name);
		fail |= add_query(buf, LDNS_RR_TYPE_AAAA, LDNS_RR_CLASS_IN, V_RANDOM);
		fail |= add_query(buf, LDNS_RR_TYPE_CNAME, LDNS_RR_CLASS_IN, V_RANDOM);
		/* the same name with a zone-relative prefix that is close but different */
		snprintf(buf, sizeof(buf), "%s", z->name);
		if (buf[0] != '*' && buf[0] != '.') {
			buf[0] = buf[0] == 'z' ? 'y' : 'z';
			fail |= add_query(buf, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, V_RANDOM);
		}
		if (z->deleg || z->dname) {
			static const char *const pre[] = { "www", "ns1", "mail", "a.b.c", "*", "x" };
			static const uint16_t ty[] = { LDNS_RR_TYPE_A, LDNS_RR_TYPE_NS, LDNS_RR_TYPE_MX,
						       LDNS_RR_TYPE_DS, LDNS_RR_TYPE_ANY, LDNS_RR_TYPE_TXT };
			for (size_t p = 0; p < sizeof(pre) / sizeof(pre[0]); p++) {
				snprintf(buf, sizeof(buf), "%s.%s", pre[p], z->name);
				fail |= add_query(buf, ty[p], LDNS_RR_CLASS_IN, V_RANDOM);
				fail |= add_query(buf, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, V_RANDOM);
			}
			/* a label long enough that DNAME substitution may overflow (RFC 6672 §2.2) */
			snprintf(buf, sizeof(buf), "%.63s.%s",
				 "lllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll", z->name);
			fail |= add_query(buf, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, V_UDP_4096);
		}
		/* big RRsets: every EDNS size and TCP */
		if (z->maxrrset >= 15) {
			for (int t = 0; t < z->ntypes; t++)
				for (int v = V_UDP_NOEDNS; v <= V_UDP_DO; v++)
					fail |= add_query(z->name, z->types[t], LDNS_RR_CLASS_IN, v);
			fail |= add_query(z->name, LDNS_RR_TYPE_ANY, LDNS_RR_CLASS_IN, V_UDP_512);
		}
		/* class ANY and CHAOS on zone data */
		if (z->apex) {
			fail |= add_query(z->name, LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_ANY, V_RANDOM);
			fail |= add_query(z->name, LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_CH, V_RANDOM);
			fail |= add_query(z->name, LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_CH, V_RANDOM);
			fail |= add_query(z->name, LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_HS, V_RANDOM);
			/* names that share a suffix string but not a label boundary */
			snprintf(buf, sizeof(buf), "x%s", z->name);
			fail |= add_query(buf, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, V_RANDOM);
			snprintf(buf, sizeof(buf), "%sexample.org.", z->name);
			fail |= add_query(buf, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, V_RANDOM);
			/* the longest possible name (255 octets) below the apex */
			size_t zl = strlen(z->name);
			char longn[MAXNAME];
			size_t pos = 0;
			size_t wire = zl + 1; /* wire length of the apex */
			while (wire + 64 <= 255) {
				memset(longn + pos, 'a' + (int)rng_below(26), 63);
				longn[pos + 63] = '.';
				pos += 64;
				wire += 64;
			}
			if (wire + 2 <= 255) {
				size_t last = 255 - wire - 1;
				memset(longn + pos, 'q', last);
				longn[pos + last] = '.';
				pos += last + 1;
			}
			snprintf(longn + pos, sizeof(longn) - pos, "%s", z->name);
			fail |= add_query(longn, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, V_TCP);
			fail |= add_query(longn, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, V_UDP_512);
		}
	}
	/* outside every served zone: REFUSED, no AA */
	static const char *const outside[] = {
		".", "test.", "example.org.", "www.example.com.", "nonexistent-zone.test.",
		"xample.test.", "arpa.", "1.0.0.127.in-addr.arpa.",
	};
	for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
		fail |= add_query(outside[i], LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, V_RANDOM);
		fail |= add_query(outside[i], LDNS_RR_TYPE_NS, LDNS_RR_CLASS_IN, V_RANDOM);
		fail |= add_query(outside[i], LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, V_TCP);
		fail |= add_query(outside[i], LDNS_RR_TYPE_ANY, LDNS_RR_CLASS_IN, V_UDP_NOEDNS);
	}
	/* CHAOS identity queries (RFC 4892) */
	static const char *const chaos[] = {
		"id.server.", "hostname.bind.", "version.bind.", "version.server.", "authors.bind.",
	};
	for (size_t i = 0; i < sizeof(chaos) / sizeof(chaos[0]); i++) {
		fail |= add_query(chaos[i], LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_CH, V_UDP_NOEDNS);
		fail |= add_query(chaos[i], LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_CH, V_TCP);
		fail |= add_query(chaos[i], LDNS_RR_TYPE_A, LDNS_RR_CLASS_CH, V_RANDOM);
	}
	if (fail != 0) {
		fprintf(stderr, "dnsdiff: out of memory generating queries\n");
		exit(2);
	}
}

/* ---- transport --------------------------------------------------------- */

static int
build_query(const query_t *q, uint16_t id, uint8_t *buf, size_t cap, size_t *len)
{
	ldns_rdf *name = NULL;
	if (ldns_str2rdf_dname(&name, q->qname) != LDNS_STATUS_OK)
		return -1;
	wire_t w;
	wire_init(&w, buf, cap);
	wire_put_u16(&w, id);
	wire_put_u16(&w, q->rd ? PKT_RD : 0);
	wire_put_u16(&w, 1);
	wire_put_u16(&w, 0);
	wire_put_u16(&w, 0);
	wire_put_u16(&w, q->edns ? 1 : 0);
	wire_put_bytes(&w, ldns_rdf_data(name), ldns_rdf_size(name));
	wire_put_u16(&w, q->qtype);
	wire_put_u16(&w, q->qclass);
	if (q->edns) {
		wire_put_u8(&w, 0);          /* root owner */
		wire_put_u16(&w, LDNS_RR_TYPE_OPT);
		wire_put_u16(&w, q->edns);   /* class = UDP payload size */
		wire_put_u32(&w, q->dobit ? EDNS_DO : 0);
		wire_put_u16(&w, 0);
	}
	ldns_rdf_deep_free(name);
	if (w.err != 0)
		return -1;
	*len = wire_off(&w);
	return 0;
}

static long
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/** Wait until fd is readable/writable or the deadline passes; 1 ready, 0 timeout, -1 error. */
static int
wait_fd(int fd, short ev, long deadline)
{
	for (;;) {
		long left = deadline - now_ms();
		if (left <= 0)
			return 0;
		struct pollfd p = { .fd = fd, .events = ev };
		int r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		return r < 0 ? -1 : (r > 0 ? 1 : 0);
	}
}

static ssize_t
udp_exchange(const server_t *srv, const uint8_t *msg, size_t len, uint16_t id, uint8_t *out, size_t cap,
	     char *err, size_t errlen)
{
	ssize_t ret = -1;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto fail;
	}
	if (connect(fd, (const struct sockaddr *)&srv->addr, sizeof(srv->addr)) != 0) {
		snprintf(err, errlen, "connect: %s", strerror(errno));
		goto fail;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		if (send(fd, msg, len, 0) != (ssize_t)len) {
			snprintf(err, errlen, "send: %s", strerror(errno));
			goto fail;
		}
		long deadline = now_ms() + UDP_TIMEOUT_MS;
		for (;;) {
			int w = wait_fd(fd, POLLIN, deadline);
			if (w <= 0)
				break;
			ssize_t n = recv(fd, out, cap, 0);
			if (n < 0) {
				/* ICMP port unreachable: nobody listens */
				snprintf(err, errlen, "recv: %s", strerror(errno));
				goto fail;
			}
			if (n >= 2 && wire_u16(out) == id) {
				ret = n;
				goto fail;
			}
		}
	}
	snprintf(err, errlen, "timeout (UDP, 2 tries)");
fail:
	if (fd >= 0)
		close(fd);
	return ret;
}

static int
io_full(int fd, uint8_t *buf, size_t len, bool wr, long deadline)
{
	size_t done = 0;
	while (done < len) {
		if (wait_fd(fd, wr ? POLLOUT : POLLIN, deadline) <= 0)
			return -1;
		ssize_t n = wr ? send(fd, buf + done, len - done, MSG_NOSIGNAL) : recv(fd, buf + done, len - done, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

static ssize_t
tcp_exchange(const server_t *srv, const uint8_t *msg, size_t len, uint8_t *out, size_t cap, char *err,
	     size_t errlen)
{
	ssize_t ret = -1;
	uint8_t pre[2 + 512];
	long deadline = now_ms() + TCP_TIMEOUT_MS;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0 || len > sizeof(pre) - 2) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto fail;
	}
	if (connect(fd, (const struct sockaddr *)&srv->addr, sizeof(srv->addr)) != 0 && errno != EINPROGRESS) {
		snprintf(err, errlen, "connect: %s", strerror(errno));
		goto fail;
	}
	if (wait_fd(fd, POLLOUT, deadline) <= 0) {
		snprintf(err, errlen, "connect timeout");
		goto fail;
	}
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0) {
		snprintf(err, errlen, "connect: %s", strerror(soerr));
		goto fail;
	}
	/* length prefix and message in one write (RFC 7766 §8) */
	wire_set_u16(pre, (uint16_t)len);
	memcpy(pre + 2, msg, len);
	if (io_full(fd, pre, len + 2, true, deadline) != 0) {
		snprintf(err, errlen, "TCP send failed");
		goto fail;
	}
	uint8_t lp[2];
	if (io_full(fd, lp, 2, false, deadline) != 0) {
		snprintf(err, errlen, "TCP: no answer (closed or timeout)");
		goto fail;
	}
	size_t rl = wire_u16(lp);
	if (rl > cap || io_full(fd, out, rl, false, deadline) != 0) {
		snprintf(err, errlen, "TCP: short answer");
		goto fail;
	}
	ret = (ssize_t)rl;
fail:
	if (fd >= 0)
		close(fd);
	return ret;
}

/* ---- responses ------------------------------------------------------- */

/**
 * Presentation of one RR: owner (lowercased unless question), TTL, class,
 * type, rdata. Names inside rdata are lowercased too: they compare
 * case-insensitively (RFC 4343 §3), and servers that compress them against
 * the question copy its letter case into them.
 */
static char *
rr_text(const ldns_rr *rr, bool question)
{
	char *ret = NULL, *owner = NULL, *cls = NULL, *typ = NULL, *s = NULL;
	size_t cap, len = 0;
	owner = ldns_rdf2str(ldns_rr_owner(rr));
	cls = ldns_rr_class2str(ldns_rr_get_class(rr));
	typ = ldns_rr_type2str(ldns_rr_get_type(rr));
	if (owner == NULL || cls == NULL || typ == NULL)
		goto fail;
	if (!question)
		str_lower(owner);
	cap = strlen(owner) + strlen(cls) + strlen(typ) + 64;
	s = malloc(cap);
	if (s == NULL)
		goto fail;
	if (question)
		len = (size_t)snprintf(s, cap, "%s %s %s", owner, cls, typ);
	else
		len = (size_t)snprintf(s, cap, "%s %u %s %s", owner, ldns_rr_ttl(rr), cls, typ);
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);
		char *rd = ldns_rdf2str(f);
		if (rd == NULL)
			goto fail;
		if (ldns_rdf_get_type(f) == LDNS_RDF_TYPE_DNAME)
			str_lower(rd);
		size_t rl = strlen(rd);
		if (len + rl + 2 > cap) {
			size_t ncap = (len + rl + 2) * 2;
			char *n = realloc(s, ncap);
			if (n == NULL) {
				free(rd);
				goto fail;
			}
			s = n;
			cap = ncap;
		}
		s[len++] = ' ';
		memcpy(s + len, rd, rl + 1);
		len += rl;
		free(rd);
	}
	ret = s;
	s = NULL;
fail:
	free(s);
	free(owner);
	free(cls);
	free(typ);
	return ret;
}

static int
section_texts(ldns_rr_list *l, bool question, bool skip_opt, char ***out, size_t *nout)
{
	size_t n = ldns_rr_list_rr_count(l);
	*nout = 0;
	*out = calloc(n + 1, sizeof(char *));
	if (*out == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		if (skip_opt && ldns_rr_get_type(rr) == LDNS_RR_TYPE_OPT)
			continue;
		char *t = rr_text(rr, question);
		if (t == NULL)
			return -1;
		(*out)[(*nout)++] = t;
	}
	qsort(*out, *nout, sizeof(char *), cmp_str);
	return 0;
}

/** Skip a possibly compressed name; 0 or -1. Pointers end the name. */
static int
skip_name(const uint8_t *buf, size_t len, size_t *pos)
{
	size_t p = *pos;
	while (p < len) {
		uint8_t l = buf[p];
		if ((l & 0xC0) == 0xC0) {
			*pos = p + 2;
			return p + 2 <= len ? 0 : -1;
		}
		if (l & 0xC0)
			return -1;
		p += 1 + (size_t)l;
		if (l == 0) {
			*pos = p;
			return 0;
		}
	}
	return -1;
}

/** Skip one RR (owner, fixed fields, rdata); 0 or -1. */
static int
skip_rr(const uint8_t *buf, size_t len, size_t *pos)
{
	if (skip_name(buf, len, pos) != 0 || *pos + 10 > len)
		return -1;
	size_t rdlen = wire_u16(buf + *pos + 8);
	*pos += 10 + rdlen;
	return *pos <= len ? 0 : -1;
}

static int
parse_resp(const uint8_t *buf, size_t len, uint16_t id, resp_t *r)
{
	ldns_pkt *p = NULL;
	ldns_status st = ldns_wire2pkt(&p, buf, len);
	if (st != LDNS_STATUS_OK) {
		snprintf(r->err, sizeof(r->err), "malformed answer (%zu bytes): %s", len,
			 ldns_get_errorstr_by_id(st));
		return -1;
	}
	r->wirelen = len;
	r->qr = ldns_pkt_qr(p);
	r->aa = ldns_pkt_aa(p);
	r->tc = ldns_pkt_tc(p);
	r->rd = ldns_pkt_rd(p);
	r->ra = ldns_pkt_ra(p);
	r->ad = ldns_pkt_ad(p);
	r->cd = ldns_pkt_cd(p);
	r->opcode = (unsigned)ldns_pkt_get_opcode(p);
	/* OPT presence straight from the wire: ldns folds it into the packet */
	r->edns = false;
	size_t pos = PKT_HDRLEN;
	uint16_t qd = wire_u16(buf + 4), an = wire_u16(buf + 6), ns = wire_u16(buf + 8),
		 ar = wire_u16(buf + 10);
	bool walk_ok = true;
	for (unsigned i = 0; i < qd && walk_ok; i++) {
		if (skip_name(buf, len, &pos) != 0 || pos + 4 > len)
			walk_ok = false;
		pos += 4;
	}
	for (unsigned i = 0; i < (unsigned)an + ns + ar && walk_ok; i++) {
		size_t start = pos;
		if (skip_rr(buf, len, &pos) != 0) {
			walk_ok = false;
			break;
		}
		if (i >= (unsigned)an + ns && buf[start] == 0 && start + 3 <= len &&
		    start + 11 <= len && wire_u16(buf + start + 1) == LDNS_RR_TYPE_OPT) {
			r->edns = true;
			r->dobit = (wire_u16(buf + start + 7) & EDNS_DO) != 0;
			r->rcode = (unsigned)buf[start + 5] << 4;
		}
	}
	r->rcode |= (unsigned)ldns_pkt_get_rcode(p);
	(void)id;
	if (section_texts(ldns_pkt_question(p), true, false, &r->sec[0], &r->nsec[0]) != 0 ||
	    section_texts(ldns_pkt_answer(p), false, false, &r->sec[1], &r->nsec[1]) != 0 ||
	    section_texts(ldns_pkt_authority(p), false, false, &r->sec[2], &r->nsec[2]) != 0 ||
	    section_texts(ldns_pkt_additional(p), false, true, &r->sec[3], &r->nsec[3]) != 0) {
		snprintf(r->err, sizeof(r->err), "out of memory");
		ldns_pkt_free(p);
		return -1;
	}
	ldns_pkt_free(p);
	for (int sct = 1; sct < 4; sct++)
		for (size_t i = 1; i < r->nsec[sct]; i++)
			r->dup |= strcmp(r->sec[sct][i - 1], r->sec[sct][i]) == 0;
	r->ok = true;
	return 0;
}

static void
resp_free(resp_t *r)
{
	for (int s = 0; s < 4; s++) {
		for (size_t i = 0; i < r->nsec[s]; i++)
			free(r->sec[s][i]);
		free(r->sec[s]);
	}
	memset(r, 0, sizeof(*r));
}

static int
run_one(const server_t *srv, const query_t *q, uint16_t id, resp_t *r)
{
	static uint8_t out[RESP_MAX];
	uint8_t msg[600];
	size_t len = 0;
	memset(r, 0, sizeof(*r));
	if (build_query(q, id, msg, sizeof(msg), &len) != 0) {
		snprintf(r->err, sizeof(r->err), "cannot build query");
		return -1;
	}
	ssize_t n = q->tcp ? tcp_exchange(srv, msg, len, out, sizeof(out), r->err, sizeof(r->err))
			   : udp_exchange(srv, msg, len, id, out, sizeof(out), r->err, sizeof(r->err));
	if (n < 0)
		return -1;
	if (n < PKT_HDRLEN) {
		snprintf(r->err, sizeof(r->err), "short answer (%zd bytes)", n);
		return -1;
	}
	if (wire_u16(out) != id) {
		snprintf(r->err, sizeof(r->err), "wrong ID %u (sent %u)", wire_u16(out), id);
		return -1;
	}
	return parse_resp(out, (size_t)n, id, r);
}

/* ---- comparison ------------------------------------------------------ */

/** Is every string of a (sorted) also in b (sorted), as multisets? */
static bool
ms_included(char **a, size_t na, char **b, size_t nb)
{
	size_t j = 0;
	for (size_t i = 0; i < na; i++) {
		while (j < nb && strcmp(b[j], a[i]) < 0)
			j++;
		if (j >= nb || strcmp(b[j], a[i]) != 0)
			return false;
		j++;
	}
	return true;
}

static bool
ms_equal_nocase(char **a, size_t na, char **b, size_t nb)
{
	if (na != nb)
		return false;
	bool ok = true;
	char **la = calloc(na + 1, sizeof(char *)), **lb = calloc(nb + 1, sizeof(char *));
	if (la == NULL || lb == NULL) {
		ok = false;
		goto fail;
	}
	for (size_t i = 0; i < na; i++) {
		la[i] = strdup(a[i]);
		lb[i] = strdup(b[i]);
		if (la[i] == NULL || lb[i] == NULL) {
			ok = false;
			goto fail;
		}
		str_lower(la[i]);
		str_lower(lb[i]);
	}
	qsort(la, na, sizeof(char *), cmp_str);
	qsort(lb, nb, sizeof(char *), cmp_str);
	for (size_t i = 0; i < na && ok; i++)
		ok = strcmp(la[i], lb[i]) == 0;
fail:
	for (size_t i = 0; i < na; i++) {
		if (la != NULL)
			free(la[i]);
		if (lb != NULL)
			free(lb[i]);
	}
	free(la);
	free(lb);
	return ok;
}

/**
 * Compare two responses. Sets bit f of *diff for each differing field and
 * rel[f] to the REL_* relations that hold for differing sections.
 */
static void
compare(const resp_t *a, const resp_t *b, unsigned *diff, unsigned rel[F_COUNT])
{
	*diff = 0;
	memset(rel, 0, sizeof(unsigned) * F_COUNT);
	if (!a->ok || !b->ok) {
		if (a->ok != b->ok)
			*diff |= 1u << F_TRANSPORT;
		return;
	}
#define CMP(f, x) do { if (a->x != b->x) *diff |= 1u << (f); } while (0)
	CMP(F_RCODE, rcode);
	CMP(F_OPCODE, opcode);
	CMP(F_QR, qr);
	CMP(F_AA, aa);
	CMP(F_TC, tc);
	CMP(F_RD, rd);
	CMP(F_RA, ra);
	CMP(F_AD, ad);
	CMP(F_CD, cd);
	CMP(F_EDNS, edns);
	if (a->edns && b->edns)
		CMP(F_DO, dobit);
	CMP(F_DUP, dup);
#undef CMP
	for (int s = 0; s < 4; s++) {
		int f = F_QUESTION + s;
		/* DNSSEC answers that both servers truncated: what each fitted
		 * before setting TC differs (RFC 4035 §3.1.1 asks only for TC,
		 * and the resolver retries over TCP, RFC 2181 §9); the question
		 * and the header are still compared. */
		if (dnssec_all && s > 0 && a->tc && b->tc)
			continue;
		bool same = a->nsec[s] == b->nsec[s];
		for (size_t i = 0; same && i < a->nsec[s]; i++)
			same = strcmp(a->sec[s][i], b->sec[s][i]) == 0;
		if (same)
			continue;
		*diff |= 1u << f;
		if (ms_equal_nocase(a->sec[s], a->nsec[s], b->sec[s], b->nsec[s]))
			rel[f] |= REL_CASE;
		if (ms_included(b->sec[s], b->nsec[s], a->sec[s], a->nsec[s]))
			rel[f] |= REL_SUBSET;
		if (ms_included(a->sec[s], a->nsec[s], b->sec[s], b->nsec[s]))
			rel[f] |= REL_SUPERSET;
	}
}

static const char *
rcode_str(unsigned rc, char *buf, size_t len)
{
	static const char *const n[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
					 "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE" };
	if (rc < sizeof(n) / sizeof(n[0]))
		return n[rc];
	if (rc == 16)
		return "BADVERS";
	snprintf(buf, len, "RCODE%u", rc);
	return buf;
}

static void
print_resp(FILE *o, const char *label, const resp_t *r)
{
	char rb[32];
	if (!r->ok) {
		fprintf(o, "  %-6s %s\n", label, r->err);
		return;
	}
	fprintf(o, "  %-6s %s%s%s%s%s%s%s%s%s%s opcode=%u %zuB\n", label, rcode_str(r->rcode, rb, sizeof(rb)),
		r->qr ? " qr" : "", r->aa ? " aa" : "", r->tc ? " tc" : "", r->rd ? " rd" : "",
		r->ra ? " ra" : "", r->ad ? " ad" : "", r->cd ? " cd" : "", r->edns ? " edns" : " noedns",
		r->dobit ? " do" : "", r->opcode, r->wirelen);
	static const char *const sn[4] = { "QD", "AN", "NS", "AR" };
	for (int s = 0; s < 4; s++)
		for (size_t i = 0; i < r->nsec[s]; i++)
			fprintf(o, "         %s %s\n", sn[s], r->sec[s][i]);
}

static void
query_desc(const query_t *q, char *buf, size_t len)
{
	char tb[32];
	char *cls = ldns_rr_class2str((ldns_rr_class)q->qclass);
	snprintf(buf, len, "%s %s %s %s%s%s%s", q->qname, cls != NULL ? cls : "?", type_str(q->qtype, tb, sizeof(tb)),
		 q->tcp ? "tcp" : "udp", q->edns ? "" : " noedns", q->rd ? " rd" : "", q->dobit ? " do" : "");
	if (q->edns) {
		size_t l = strlen(buf);
		snprintf(buf + l, len - l, " bufsize=%u", q->edns);
	}
	free(cls);
}

/* ---- known differences ------------------------------------------------- */

static int
load_rules(const char *path)
{
	int ret = -1;
	char line[2048];
	unsigned lineno = 0;
	FILE *fp = fopen(path, "r");
	if (fp == NULL) {
		fprintf(stderr, "dnsdiff: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		char *s = line;
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '#' || *s == '\0')
			continue;
		rule_t r;
		memset(&r, 0, sizeof(r));
		char glob[MAXNAME], type[32], proto[16], fields[512];
		int off = 0;
		if (sscanf(s, "%63s %1099s %31s %15s %511s %n", r.id, glob, type, proto, fields, &off) != 5 ||
		    off <= 0) {
			fprintf(stderr, "dnsdiff: %s:%u: expected 'id glob type proto fields reason'\n", path, lineno);
			goto fail;
		}
		snprintf(r.glob, sizeof(r.glob), "%s", glob);
		snprintf(r.reason, sizeof(r.reason), "%s", s + off);
		r.reason[strcspn(r.reason, "\n")] = '\0';
		if (r.reason[0] == '\0') {
			fprintf(stderr, "dnsdiff: %s:%u: a rule needs a reason\n", path, lineno);
			goto fail;
		}
		if (strcmp(type, "*") != 0) {
			ldns_rr_type t = ldns_get_rr_type_by_name(type);
			if (t == 0) {
				fprintf(stderr, "dnsdiff: %s:%u: unknown type '%s'\n", path, lineno, type);
				goto fail;
			}
			r.qtype = (uint16_t)t;
		}
		r.proto = strcmp(proto, "udp") == 0 ? 0 : strcmp(proto, "tcp") == 0 ? 1 : -1;
		if (r.proto == -1 && strcmp(proto, "*") != 0) {
			fprintf(stderr, "dnsdiff: %s:%u: proto is udp, tcp or *\n", path, lineno);
			goto fail;
		}
		for (char *save = NULL, *tok = strtok_r(fields, ",", &save); tok != NULL;
		     tok = strtok_r(NULL, ",", &save)) {
			char *colon = strchr(tok, ':');
			unsigned mode = 0;
			if (colon != NULL) {
				*colon++ = '\0';
				if (strcmp(colon, "subset") == 0)
					mode = REL_SUBSET;
				else if (strcmp(colon, "superset") == 0)
					mode = REL_SUPERSET;
				else if (strcmp(colon, "case") == 0)
					mode = REL_CASE;
				else {
					fprintf(stderr, "dnsdiff: %s:%u: mode is subset, superset or case\n", path,
						lineno);
					goto fail;
				}
			}
			int f;
			for (f = 0; f < F_COUNT; f++)
				if (strcmp(tok, field_names[f]) == 0)
					break;
			if (f == F_COUNT) {
				fprintf(stderr, "dnsdiff: %s:%u: unknown field '%s'\n", path, lineno, tok);
				goto fail;
			}
			r.fieldmask |= 1u << f;
			r.mode[f] = mode;
		}
		rule_t *nr = realloc(rules, (nrules + 1) * sizeof(*rules));
		if (nr == NULL)
			goto fail;
		rules = nr;
		rules[nrules++] = r;
	}
	ret = 0;
fail:
	fclose(fp);
	return ret;
}

/**
 * A difference is known when every differing field is covered by a rule
 * that matches the query (name glob, type, transport) and whose mode, if
 * any, holds. Rules are counted when used.
 */
static bool
diff_known(const query_t *q, unsigned diff, const unsigned rel[F_COUNT], char *used, size_t usedlen)
{
	unsigned covered = 0;
	size_t hit[64];
	size_t nhit = 0;
	used[0] = '\0';
	for (size_t i = 0; i < nrules; i++) {
		const rule_t *r = &rules[i];
		if (r->qtype != 0 && r->qtype != q->qtype)
			continue;
		if (r->proto >= 0 && r->proto != (q->tcp ? 1 : 0))
			continue;
		if (fnmatch(r->glob, q->qname, FNM_CASEFOLD) != 0)
			continue;
		unsigned c = 0;
		for (int f = 0; f < F_COUNT; f++) {
			if (!(diff & r->fieldmask & (1u << f)))
				continue;
			if (r->mode[f] != 0 && !(rel[f] & r->mode[f]))
				continue;
			c |= 1u << f;
		}
		if (c != 0 && nhit < sizeof(hit) / sizeof(hit[0])) {
			covered |= c;
			hit[nhit++] = i;
		}
	}
	if ((covered & diff) != diff)
		return false;
	for (size_t i = 0; i < nhit; i++) {
		rules[hit[i]].hits++;
		size_t l = strlen(used);
		snprintf(used + l, usedlen - l, "%s%s", l ? "," : "", rules[hit[i]].id);
	}
	return true;
}

/* ---- main ---------------------------------------------------------------- */

static int
parse_server(const char *s, server_t *srv)
{
	char host[64];
	const char *at = strchr(s, '@');
	if (at == NULL || (size_t)(at - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(at - s));
	host[at - s] = '\0';
	char *end = NULL;
	long port = strtol(at + 1, &end, 10);
	if (*end != '\0' || port <= 0 || port > 65535)
		return -1;
	memset(&srv->addr, 0, sizeof(srv->addr));
	srv->addr.sin_family = AF_INET;
	srv->addr.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &srv->addr.sin_addr) != 1)
		return -1;
	return 0;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: dnsdiff [-v] [-s seed] [-k known.txt] [-m substring] [-A label] [-B label]\n"
		"               ZONEDIR REF_ADDR@PORT TEST_ADDR@PORT\n"
		"       dnsdiff -l [-s seed] ZONEDIR   (print the generated queries as dnsperf input)\n"
		"  Sends generated queries to both servers and compares the answers.\n"
		"  -m  only queries whose name contains substring (case-insensitive)\n"
		"  -v  print every query and both answers\n"
		"  -D  DNSSEC: every IN query with EDNS and DO=1 (for signed zones)\n");
}

int
main(int argc, char **argv)
{
	int ret = 2;
	const char *known = NULL, *match = NULL;
	bool list_only = false;
	server_t srv[2] = { { .label = "ref" }, { .label = "test" } };
	unsigned long seed = 1;
	int c;
	while ((c = getopt(argc, argv, "lvDs:k:m:A:B:h")) != -1) {
		switch (c) {
		case 'l': list_only = true; break;
		case 'v': verbose = true; break;
		case 'D': dnssec_all = true; break;
		case 's': seed = strtoul(optarg, NULL, 0); break;
		case 'k': known = optarg; break;
		case 'm': match = optarg; break;
		case 'A': srv[0].label = optarg; break;
		case 'B': srv[1].label = optarg; break;
		default: usage(); return 2;
		}
	}
	if (list_only && argc - optind == 1) {
		rng_state ^= (uint64_t)seed * 0x100000001b3ULL;
		if (load_zone_dir(argv[optind]) != 0)
			goto fail;
		gen_queries();
		/* dnsperf input: "name type", class IN only */
		for (size_t i = 0; i < nqueries; i++) {
			char tb[32];
			if (queries[i].qclass == LDNS_RR_CLASS_IN)
				printf("%s %s\n", queries[i].qname, type_str(queries[i].qtype, tb, sizeof(tb)));
		}
		ret = 0;
		goto fail;
	}
	if (argc - optind != 3) {
		usage();
		return 2;
	}
	if (parse_server(argv[optind + 1], &srv[0]) != 0 || parse_server(argv[optind + 2], &srv[1]) != 0) {
		fprintf(stderr, "dnsdiff: servers are given as IPv4@port\n");
		return 2;
	}
	rng_state ^= (uint64_t)seed * 0x100000001b3ULL;
	if (load_zone_dir(argv[optind]) != 0)
		goto fail;
	if (known != NULL && load_rules(known) != 0)
		goto fail;
	gen_queries();

	size_t nsent = 0, nsame = 0, ndiff = 0, nknown = 0, nfail_both = 0;
	unsigned fieldhist[F_COUNT] = { 0 };
	for (size_t i = 0; i < nqueries; i++) {
		const query_t *q = &queries[i];
		if (match != NULL && strcasestr(q->qname, match) == NULL)
			continue;
		nsent++;
		resp_t ra, rb;
		uint16_t id = (uint16_t)rng_next();
		run_one(&srv[0], q, id, &ra);
		run_one(&srv[1], q, id, &rb);
		unsigned diff, rel[F_COUNT];
		compare(&ra, &rb, &diff, rel);
		if (!ra.ok && !rb.ok)
			nfail_both++;
		char desc[MAXNAME + 128], used[512];
		query_desc(q, desc, sizeof(desc));
		if (diff == 0) {
			nsame++;
			if (verbose) {
				printf("SAME #%zu %s\n", i, desc);
				print_resp(stdout, srv[0].label, &ra);
			}
		} else {
			bool k = diff_known(q, diff, rel, used, sizeof(used));
			char fl[256] = "";
			for (int f = 0; f < F_COUNT; f++) {
				if (!(diff & (1u << f)))
					continue;
				fieldhist[f] += k ? 0 : 1;
				size_t l = strlen(fl);
				snprintf(fl + l, sizeof(fl) - l, "%s%s%s%s%s", l ? "," : "", field_names[f],
					 rel[f] & REL_CASE ? "(case)" : "", rel[f] & REL_SUBSET ? "(subset)" : "",
					 rel[f] & REL_SUPERSET ? "(superset)" : "");
			}
			if (k) {
				nknown++;
				if (verbose)
					printf("KNOWN #%zu %s: %s [%s]\n", i, desc, fl, used);
			} else {
				ndiff++;
				printf("DIFF #%zu %s: %s\n", i, desc, fl);
				print_resp(stdout, srv[0].label, &ra);
				print_resp(stdout, srv[1].label, &rb);
			}
		}
		resp_free(&ra);
		resp_free(&rb);
	}
	if (nrules > 0) {
		for (size_t i = 0; i < nrules; i++)
			printf("known rule %-28s matched %u\n", rules[i].id, rules[i].hits);
	}
	if (ndiff > 0) {
		printf("differing fields:");
		for (int f = 0; f < F_COUNT; f++)
			if (fieldhist[f])
				printf(" %s=%u", field_names[f], fieldhist[f]);
		printf("\n");
	}
	if (nfail_both > 0)
		printf("warning: %zu queries got no usable answer from either server\n", nfail_both);
	printf("conformance: %zu queries, %zu identical, %zu differ, %zu known\n", nsent, nsame, ndiff, nknown);
	ret = ndiff == 0 && nfail_both * 10 < nsent + 1 ? 0 : 1;
fail:
	for (size_t i = 0; i < nzones; i++)
		free(zones[i]);
	free(zones);
	free(names);
	free(queries);
	free(rules);
	return ret;
}
