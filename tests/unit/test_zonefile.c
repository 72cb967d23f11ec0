/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Tests for src/zone/zonefile.c and zscan.c: the master file reader, end to
 * end through zonefile_load_mem / zonefile_load into the real builder.
 * Wire output of our fast paths is compared with ldns (an independent
 * parser); every error case checks the reported file, line and reason.
 * Data files live in tests/unit/data/zones/; paths are derived from
 * __FILE__, so run the binary from the repository root (as make check does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <libgen.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tu.h"
#include "dns/rrtype.h"
#include "zone/zonefile.h"

#define HDR "$TTL 3600\n@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n@ NS ns1\nns1 A 198.51.100.1\n"
#define HDR_LINES 4

static uint8_t origin[DNAME_MAXLEN];
static char datadir[PATH_MAX];  /* tests/unit/data/zones */
static char rootdir[PATH_MAX];  /* repository root */

static int nwarn;
static char lastwarn[600];

static void
count_warn(void *ctx, const char *file, unsigned line, const char *msg)
{
	(void)ctx;
	nwarn++;
	snprintf(lastwarn, sizeof(lastwarn), "%s:%u: %s", file, line, msg);
}

static zonefile_opts_t opts;

static int
setup(void **state)
{
	(void)state;
	tu_name("example.com.", origin);
	char f[PATH_MAX];
	snprintf(f, sizeof(f), "%s", __FILE__);
	snprintf(datadir, sizeof(datadir), "%s/data/zones", dirname(f));
	snprintf(f, sizeof(f), "%s", __FILE__);
	char *d = dirname(dirname(f)); /* tests/unit/x.c -> tests */
	snprintf(rootdir, sizeof(rootdir), "%s", dirname(d));
	opts = (zonefile_opts_t){ .base_dir = datadir, .warn = count_warn };
	return 0;
}

static zone_t *
load_ok(const char *text)
{
	zone_t *z = NULL;
	zonefile_error_t err;
	int r = zonefile_load_mem(text, strlen(text), "t.zone", origin, &opts, &z, &err);
	if (r != 0) {
		print_error("unexpected failure: %s:%u: %s\n", err.file, err.line, err.msg);
		fail();
	}
	assert_non_null(z);
	return z;
}

/* Loading must fail at file:line with a message containing needle. */
static void
expect_fail_in(const char *text, const char *file, unsigned line, const char *needle)
{
	zone_t *z = (zone_t *)1;
	zonefile_error_t err;
	int r = zonefile_load_mem(text, strlen(text), "t.zone", origin, &opts, &z, &err);
	if (r == 0 || err.line != line || strstr(err.msg, needle) == NULL ||
	    (file != NULL && strstr(err.file, file) == NULL)) {
		print_error("want %s:%u: '%s'\n got r=%d %s:%u: %s\n", file ? file : "t.zone", line, needle, r,
			    err.file, err.line, err.msg);
		if (r == 0)
			zone_free(z);
		fail();
	}
	assert_null(z);
}

static void
expect_fail(const char *text, unsigned line, const char *needle)
{
	expect_fail_in(text, "t.zone", line, needle);
}

/* rdata #idx (canonical order) of name/type, or NULL. */
static const uint8_t *
rr(const zone_t *z, const char *name, uint16_t type, unsigned idx, uint16_t *len, uint32_t *ttl)
{
	uint8_t n[DNAME_MAXLEN];
	size_t l = tu_name(name, n);
	const zone_node_t *node = zone_find(z, n, l);
	if (node == NULL)
		return NULL;
	const zone_rrset_t *s = zone_node_rrset(node, type);
	if (s == NULL || idx >= s->count)
		return NULL;
	if (ttl != NULL)
		*ttl = s->ttl;
	const uint8_t *p = s->rdata;
	for (unsigned i = 0;; i++) {
		uint16_t rl;
		memcpy(&rl, p, 2);
		if (i == idx) {
			*len = rl;
			return p + 2;
		}
		p += 2u + rl;
	}
}

/* rdata of a single-record RRset must equal ldns' canonical wire form of
 * the same text (an independent implementation). */
static void
check_vs_ldns(const zone_t *z, const char *name, uint16_t type, const char *ldns_text)
{
	uint16_t len = 0;
	const uint8_t *got = rr(z, name, type, 0, &len, NULL);
	if (got == NULL) {
		print_error("no %u record at %s\n", type, name);
		fail();
	}
	ldns_rr *lr = NULL;
	ldns_status st = ldns_rr_new_frm_str(&lr, ldns_text, 3600, NULL, NULL);
	if (st != LDNS_STATUS_OK) {
		print_error("ldns: %s: %s\n", ldns_text, ldns_get_errorstr_by_id(st));
		fail();
	}
	ldns_buffer *buf = ldns_buffer_new(65536);
	for (size_t i = 0; i < ldns_rr_rd_count(lr); i++)
		ldns_rdf2buffer_wire_canonical(buf, ldns_rr_rdf(lr, i));
	size_t wl = ldns_buffer_position(buf);
	bool same = wl == len && memcmp(ldns_buffer_begin(buf), got, len) == 0;
	if (!same) {
		print_error("%s: rdata differs from ldns (%u vs %zu octets)\n", ldns_text, len, wl);
	}
	ldns_buffer_free(buf);
	ldns_rr_free(lr);
	assert_true(same);
}

/* ---- good input ---- */

static void
test_fast_path_types(void **state)
{
	(void)state;
	zone_t *z = load_ok(HDR
			    "a A 198.51.100.7\n"
			    "a AAAA 2001:db8::1\n"
			    "v4m AAAA ::ffff:203.0.113.5\n"
			    "mx MX 10 Mail.Example.NET.\n"
			    "c CNAME Target\n"
			    "p PTR host.example.org.\n"
			    "d DNAME example.net.\n"
			    "ns2 NS NS.Other.ORG.\n"
			    "t TXT \"v=spf1 -all\" plain \"with \\\"quote\\\" and ; semi\"\n"
			    "s SPF \"v=spf1 mx -all\"\n"
			    "_sip._tcp SRV 10 60 5060 SIP\n"
			    "caa CAA 0 issue \"letsencrypt.org\"\n"
			    "caa2 CAA 128 iodef \"mailto:security@example.com\"\n"
			    "e TXT \"\"\n"
			    "esc TXT \"a\\065\\\\b\"\n");
	check_vs_ldns(z, "a.example.com.", RR_A, "a.example.com. IN A 198.51.100.7");
	check_vs_ldns(z, "a.example.com.", RR_AAAA, "a.example.com. IN AAAA 2001:db8::1");
	check_vs_ldns(z, "v4m.example.com.", RR_AAAA, "x. IN AAAA ::ffff:203.0.113.5");
	check_vs_ldns(z, "mx.example.com.", RR_MX, "x. IN MX 10 mail.example.net.");
	check_vs_ldns(z, "c.example.com.", RR_CNAME, "x. IN CNAME target.example.com.");
	check_vs_ldns(z, "p.example.com.", RR_PTR, "x. IN PTR host.example.org.");
	check_vs_ldns(z, "d.example.com.", RR_DNAME, "x. IN DNAME example.net.");
	check_vs_ldns(z, "ns2.example.com.", RR_NS, "x. IN NS ns.other.org.");
	check_vs_ldns(z, "t.example.com.", RR_TXT, "x. IN TXT \"v=spf1 -all\" \"plain\" \"with \\\"quote\\\" and ; semi\"");
	check_vs_ldns(z, "s.example.com.", RR_SPF, "x. IN SPF \"v=spf1 mx -all\"");
	check_vs_ldns(z, "_sip._tcp.example.com.", RR_SRV, "x. IN SRV 10 60 5060 sip.example.com.");
	check_vs_ldns(z, "caa.example.com.", RR_CAA, "x. IN CAA 0 issue \"letsencrypt.org\"");
	check_vs_ldns(z, "caa2.example.com.", RR_CAA, "x. IN CAA 128 iodef \"mailto:security@example.com\"");
	check_vs_ldns(z, "e.example.com.", RR_TXT, "x. IN TXT \"\"");
	check_vs_ldns(z, "esc.example.com.", RR_TXT, "x. IN TXT \"aA\\\\b\"");
	check_vs_ldns(z, "example.com.", RR_SOA,
		      "x. IN SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300");
	zone_free(z);
}

static void
test_ldns_types(void **state)
{
	(void)state;
	zone_t *z = load_ok(HDR
			    "s SSHFP 1 1 dd465c09cfa51fb45020cc83316fff21b9ec74ac\n"
			    "_443._tcp TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
			    "sub DS 12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\n"
			    "sub NS ns.sub\n"
			    "ns.sub A 198.51.100.8\n"
			    "n NAPTR 100 10 \"S\" \"SIP+D2U\" \"\" _SIP._udp\n"
			    "h HTTPS 1 . alpn=h2,h3\n"
			    "sv SVCB 1 Svc ( port=8443 )\n"
			    "rp RP Admin.Example.COM. TXT.Example.com.\n"
			    "loc LOC 52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m\n"
			    "hi HINFO \"PC\" \"Linux\"\n");
	check_vs_ldns(z, "s.example.com.", RR_SSHFP, "x. IN SSHFP 1 1 dd465c09cfa51fb45020cc83316fff21b9ec74ac");
	check_vs_ldns(z, "_443._tcp.example.com.", RR_TLSA,
		      "x. IN TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	check_vs_ldns(z, "sub.example.com.", RR_DS,
		      "x. IN DS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	/* RDF_LNAME fields are lowercased (canonical form) */
	check_vs_ldns(z, "n.example.com.", RR_NAPTR, "x. IN NAPTR 100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.com.");
	check_vs_ldns(z, "rp.example.com.", RR_RP, "x. IN RP admin.example.com. txt.example.com.");
	check_vs_ldns(z, "h.example.com.", RR_HTTPS, "x. IN HTTPS 1 . alpn=h2,h3");
	check_vs_ldns(z, "loc.example.com.", RR_LOC,
		      "x. IN LOC 52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m");
	check_vs_ldns(z, "hi.example.com.", RR_HINFO, "x. IN HINFO \"PC\" \"Linux\"");
	/* SVCB target is RDF_NAME: relative, resolved against the origin, case kept */
	uint16_t len;
	const uint8_t *rd = rr(z, "sv.example.com.", RR_SVCB, 0, &len, NULL);
	assert_non_null(rd);
	assert_memory_equal(rd, "\x00\x01\x03Svc\x07" "example\x03" "com\x00", 19);
	zone_free(z);
}

static void
test_owners_and_origin(void **state)
{
	(void)state;
	zone_t *z = load_ok(HDR
			    "WWW A 198.51.100.10\n"
			    "    A 198.51.100.11\n"          /* blank owner: WWW again */
			    "\tAAAA 2001:db8::10\n"
			    "*.apps A 198.51.100.12\n"
			    "abs.example.com. A 198.51.100.13\n"
			    "$ORIGIN sub.example.com.\n"
			    "x A 198.51.100.14\n"
			    "@ TXT \"at sub\"\n"
			    "$ORIGIN deeper\n"               /* relative to the current origin */
			    "y A 198.51.100.15\n"
			    "a\\.b A 198.51.100.16\n"
			    "\\$dollar A 198.51.100.17\n");
	uint16_t len;
	const uint8_t *rd = rr(z, "www.example.com.", RR_A, 1, &len, NULL);
	assert_non_null(rd);
	assert_memory_equal(rd, "\xc6\x33\x64\x0b", 4);
	assert_non_null(rr(z, "www.example.com.", RR_AAAA, 0, &len, NULL));
	assert_non_null(rr(z, "*.apps.example.com.", RR_A, 0, &len, NULL));
	assert_non_null(rr(z, "abs.example.com.", RR_A, 0, &len, NULL));
	assert_non_null(rr(z, "x.sub.example.com.", RR_A, 0, &len, NULL));
	assert_non_null(rr(z, "sub.example.com.", RR_TXT, 0, &len, NULL));
	assert_non_null(rr(z, "y.deeper.sub.example.com.", RR_A, 0, &len, NULL));
	assert_non_null(rr(z, "a\\.b.deeper.sub.example.com.", RR_A, 0, &len, NULL));
	assert_non_null(rr(z, "\\$dollar.deeper.sub.example.com.", RR_A, 0, &len, NULL));
	zone_free(z);
}

static void
test_ttl(void **state)
{
	(void)state;
	uint16_t len;
	uint32_t ttl;
	zone_t *z = load_ok(HDR
			    "a 1h30m A 198.51.100.1\n"
			    "b IN 1w A 198.51.100.1\n"
			    "c 2D IN A 198.51.100.1\n"
			    "d 90 A 198.51.100.1\n"
			    "e A 198.51.100.1\n"
			    "$TTL 1m\n"
			    "f A 198.51.100.1\n"
			    "g CLASS1 A 198.51.100.1\n");
	assert_non_null(rr(z, "a.example.com.", RR_A, 0, &len, &ttl));
	assert_int_equal(ttl, 5400);
	rr(z, "b.example.com.", RR_A, 0, &len, &ttl);
	assert_int_equal(ttl, 604800);
	rr(z, "c.example.com.", RR_A, 0, &len, &ttl);
	assert_int_equal(ttl, 172800);
	rr(z, "d.example.com.", RR_A, 0, &len, &ttl);
	assert_int_equal(ttl, 90);
	rr(z, "e.example.com.", RR_A, 0, &len, &ttl);
	assert_int_equal(ttl, 3600); /* $TTL, not the previous record */
	rr(z, "f.example.com.", RR_A, 0, &len, &ttl);
	assert_int_equal(ttl, 60);
	assert_non_null(rr(z, "g.example.com.", RR_A, 0, &len, &ttl));
	zone_free(z);

	/* No $TTL: the SOA takes its MINIMUM, then the previous record's TTL. */
	nwarn = 0;
	z = load_ok("@ SOA ns1 hostmaster 1 7200 3600 1209600 1h\n"
		    "@ NS ns1\n"
		    "ns1 120 A 198.51.100.1\n"
		    "x A 198.51.100.2\n");
	rr(z, "example.com.", RR_SOA, 0, &len, &ttl);
	assert_int_equal(ttl, 3600);
	rr(z, "example.com.", RR_NS, 0, &len, &ttl);
	assert_int_equal(ttl, 3600);
	rr(z, "x.example.com.", RR_A, 0, &len, &ttl);
	assert_int_equal(ttl, 120);
	assert_int_equal(nwarn, 2); /* once per fallback kind, not per record */
	zone_free(z);

	/* Nothing at all before the first record: the configured default. */
	nwarn = 0;
	opts.default_ttl = 77;
	z = load_ok("ns1 A 198.51.100.1\n@ 600 SOA ns1 hostmaster 1 2 3 4 5\n@ 600 NS ns1\n");
	opts.default_ttl = 0;
	rr(z, "ns1.example.com.", RR_A, 0, &len, &ttl);
	assert_int_equal(ttl, 77);
	assert_int_equal(nwarn, 1);
	assert_non_null(strstr(lastwarn, "t.zone:1: "));
	zone_free(z);
}

static void
test_parens_comments_escapes(void **state)
{
	(void)state;
	uint16_t len;
	zone_t *z = load_ok("$TTL 300 ; comment\r\n"
			    "@ IN SOA ns1.example.com. ( ; primary\r\n"
			    "        hostmaster   ; rname\r\n"
			    "        2024010101   ; serial\r\n"
			    "        2h 1h (2w) 5m )\r\n"
			    "; a full line comment\r\n"
			    "\r\n"
			    "@ NS ns1\r\n"
			    "ns1 A 198.51.100.1\r\n"
			    "t TXT ( \"one\" ; first\n"
			    "        \"two\" )\n"
			    "q TXT \"(not a paren)\" \\(esc\\) \\032x\n"
			    "o\\032wner A 198.51.100.2\n");
	const uint8_t *rd = rr(z, "example.com.", RR_SOA, 0, &len, NULL);
	assert_non_null(rd);
	assert_memory_equal(rd + len - 20, "\x78\xa3\xf1\x75\x00\x00\x1c\x20\x00\x00\x0e\x10\x00\x12\x75\x00"
					  "\x00\x00\x01\x2c", 20);
	check_vs_ldns(z, "t.example.com.", RR_TXT, "x. IN TXT \"one\" \"two\"");
	check_vs_ldns(z, "q.example.com.", RR_TXT, "x. IN TXT \"(not a paren)\" \"(esc)\" \" x\"");
	assert_non_null(rr(z, "o\\032wner.example.com.", RR_A, 0, &len, NULL));
	zone_free(z);
}

static void
test_txt_long(void **state)
{
	(void)state;
	char text[4096], s600[601];
	memset(s600, 'k', 600);
	s600[600] = '\0';
	snprintf(text, sizeof(text), HDR "dkim TXT \"%s\"\n", s600);
	zone_t *z = load_ok(text);
	uint16_t len;
	const uint8_t *rd = rr(z, "dkim.example.com.", RR_TXT, 0, &len, NULL);
	assert_non_null(rd);
	/* a 600-octet string becomes 255 + 255 + 90 */
	assert_int_equal(len, 603);
	assert_int_equal(rd[0], 255);
	assert_int_equal(rd[256], 255);
	assert_int_equal(rd[512], 90);
	zone_free(z);
}

static void
test_generic_rdata(void **state)
{
	(void)state;
	zone_t *z = load_ok(HDR
			    "g A \\# 4 C6336407\n"
			    "u TYPE65534 \\# 6 0102 03 ( 04 0506 )\n"
			    "e TYPE65280 \\# 0\n"
			    "n TYPE2 \\# 16 024E5307 6578616d706c65 03636f6d00\n"
			    "ns A 198.51.100.3\n"
			    "t TYPE16 \"typed\"\n");
	check_vs_ldns(z, "g.example.com.", RR_A, "x. IN A 198.51.100.7");
	uint16_t len;
	const uint8_t *rd = rr(z, "u.example.com.", 65534, 0, &len, NULL);
	assert_non_null(rd);
	assert_int_equal(len, 6);
	assert_memory_equal(rd, "\x01\x02\x03\x04\x05\x06", 6);
	rd = rr(z, "e.example.com.", 65280, 0, &len, NULL);
	assert_non_null(rd);
	assert_int_equal(len, 0);
	/* names in RFC 3597 rdata of known types are lowercased too */
	check_vs_ldns(z, "n.example.com.", RR_NS, "x. IN NS ns.example.com.");
	check_vs_ldns(z, "t.example.com.", RR_TXT, "x. IN TXT \"typed\"");
	zone_free(z);
}

static void
test_generate(void **state)
{
	(void)state;
	uint16_t len;
	uint32_t ttl;
	zone_t *z = load_ok(HDR
			    "$GENERATE 1-3 host$ A 198.51.100.$\n"
			    "$GENERATE 10-20/5 dec${0,3,d} 600 IN A 198.51.100.${1}\n"
			    "$GENERATE 10-11 hex${0,4,x}-${0,2,X}-${8,3,o} IN 700 A 198.51.100.1\n"
			    "$GENERATE 255-256 ${0,0,n}.nib A 198.51.100.1\n"
			    "$GENERATE 7-7 ${0,3,N}.nibw A 198.51.100.1\n"
			    "$GENERATE 1-2 lit$$x\\$y$ A 198.51.100.1\n"
			    "$GENERATE 1-2 mx$ MX \"10 mail$\"\n"
			    "$GENERATE 1-1 txt$ TXT \"hello $\"\n"
			    "$GENERATE 20-21 neg${-20} CNAME t${-19}\n"
			    "mail1 A 198.51.100.1\n");
	const uint8_t *rd = rr(z, "host2.example.com.", RR_A, 0, &len, NULL);
	assert_non_null(rd);
	assert_memory_equal(rd, "\xc6\x33\x64\x02", 4);
	assert_non_null(rr(z, "host1.example.com.", RR_A, 0, &len, NULL));
	assert_non_null(rr(z, "host3.example.com.", RR_A, 0, &len, NULL));
	assert_null(rr(z, "host4.example.com.", RR_A, 0, &len, NULL));
	rd = rr(z, "dec015.example.com.", RR_A, 0, &len, &ttl);
	assert_non_null(rd);
	assert_int_equal(rd[3], 16);
	assert_int_equal(ttl, 600);
	assert_non_null(rr(z, "dec010.example.com.", RR_A, 0, &len, NULL));
	assert_non_null(rr(z, "dec020.example.com.", RR_A, 0, &len, NULL));
	assert_null(rr(z, "dec011.example.com.", RR_A, 0, &len, NULL));
	assert_non_null(rr(z, "hex000a-0A-022.example.com.", RR_A, 0, &len, &ttl));
	assert_int_equal(ttl, 700);
	assert_non_null(rr(z, "hex000b-0B-023.example.com.", RR_A, 0, &len, NULL));
	assert_non_null(rr(z, "f.f.nib.example.com.", RR_A, 0, &len, NULL));
	assert_non_null(rr(z, "0.0.1.nib.example.com.", RR_A, 0, &len, NULL));
	assert_non_null(rr(z, "7.0.nibw.example.com.", RR_A, 0, &len, NULL));
	assert_non_null(rr(z, "lit$x$y1.example.com.", RR_A, 0, &len, NULL));
	check_vs_ldns(z, "mx2.example.com.", RR_MX, "x. IN MX 10 mail2.example.com.");
	check_vs_ldns(z, "txt1.example.com.", RR_TXT, "x. IN TXT \"hello\" \"1\"");
	check_vs_ldns(z, "neg0.example.com.", RR_CNAME, "x. IN CNAME t1.example.com.");
	zone_free(z);
}

static void
test_include(void **state)
{
	(void)state;
	uint16_t len;
	uint32_t ttl;
	/* ns.inc sets $ORIGIN and $TTL; neither leaks back here */
	zone_t *z = load_ok("$TTL 300\n"
			    "@ SOA ns1 hostmaster 1 2 3 4 5\n"
			    "$INCLUDE ns.inc\n"
			    "after A 198.51.100.20\n"
			    "$INCLUDE \"hosts.inc\" hosts.example.com.\n"
			    "$INCLUDE sub/../sub/more.inc\n"
			    "last A 198.51.100.21\n");
	assert_non_null(rr(z, "example.com.", RR_NS, 0, &len, NULL));
	assert_non_null(rr(z, "ns1.example.com.", RR_A, 0, &len, &ttl));
	assert_int_equal(ttl, 60);
	assert_non_null(rr(z, "changed.example.com.", RR_TXT, 0, &len, NULL));
	assert_non_null(rr(z, "after.example.com.", RR_A, 0, &len, &ttl));
	assert_int_equal(ttl, 300);
	assert_non_null(rr(z, "www.hosts.example.com.", RR_A, 0, &len, NULL));
	assert_non_null(rr(z, "more.example.com.", RR_A, 0, &len, NULL));
	assert_non_null(rr(z, "last.example.com.", RR_A, 0, &len, NULL));
	zone_free(z);

	/* zonefile_load: the base directory defaults to the file's directory */
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/main.zone", datadir);
	zonefile_opts_t o = { 0 };
	zonefile_error_t err;
	z = NULL;
	int r = zonefile_load(path, origin, &o, &z, &err);
	if (r != 0)
		print_error("%s:%u: %s\n", err.file, err.line, err.msg);
	assert_int_equal(r, 0);
	assert_non_null(rr(z, "www.hosts.example.com.", RR_A, 0, &len, NULL));
	zone_free(z);
}

static void
test_include_errors(void **state)
{
	(void)state;
	/* errors inside an included file name that file and its line */
	expect_fail_in(HDR "$INCLUDE bad.inc\n", "bad.inc", 3, "bad IPv4 address '1.2.3'");
	expect_fail(HDR "$INCLUDE ../../test_zonefile.c\n", 5, "leaves the zone directory");
	expect_fail(HDR "\n$INCLUDE sub/../../zones/../../test_zonefile.c\n", 6, "leaves the zone directory");
	expect_fail(HDR "$INCLUDE /etc/passwd\n", 5, "leaves the zone directory");
	expect_fail(HDR "$INCLUDE missing.inc\n", 5, "No such file");
	expect_fail(HDR "$INCLUDE\n", 5, "missing argument");
	expect_fail(HDR "$INCLUDE a b c\n", 5, "unexpected 'c'");
	expect_fail(HDR "$INCLUDE sub\n", 5, "$INCLUDE 'sub': Is a directory");
	expect_fail(HDR "$INCLUDE /dev/null\n", 5, "leaves the zone directory");
	expect_fail_in(HDR "$INCLUDE cycle-a.inc\n", "cycle-b.inc", 2, "include cycle");
	expect_fail_in(HDR "$INCLUDE self.inc\n", "self.inc", 1, "include cycle");
}

static void
test_include_depth(void **state)
{
	(void)state;
	zonefile_opts_t saved = opts;
	opts.max_include_depth = 3; /* depth1 -> depth2 -> depth3 is allowed */
	zone_t *z = load_ok(HDR "$INCLUDE depth1.inc\n");
	uint16_t len;
	assert_non_null(rr(z, "deep.example.com.", RR_A, 0, &len, NULL));
	zone_free(z);
	opts.max_include_depth = 2;
	expect_fail_in(HDR "$INCLUDE depth1.inc\n", "depth2.inc", 1, "nested deeper than 2");
	opts = saved;
	/* default depth 8; the cycle is caught before that */
	expect_fail_in(HDR "$INCLUDE cycle-a.inc\n", "cycle-b.inc", 2, "include cycle");
	/* no base directory in memory mode: $INCLUDE is refused */
	opts.base_dir = NULL;
	expect_fail(HDR "$INCLUDE ns.inc\n", 5, "no base directory");
	opts = saved;
}

static void
test_include_symlink(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/zftest.XXXXXX";
	char *dir = mkdtemp(tmpl);
	assert_non_null(dir);
	char link[PATH_MAX], inc[PATH_MAX];
	snprintf(link, sizeof(link), "%s/etc", dir);
	assert_int_equal(symlink("/etc", link), 0);
	snprintf(inc, sizeof(inc), "%s/ok.inc", dir);
	FILE *f = fopen(inc, "w");
	assert_non_null(f);
	fputs("okhost A 198.51.100.30\n", f);
	fclose(f);
	zonefile_opts_t saved = opts;
	opts.base_dir = dir;
	expect_fail(HDR "$INCLUDE etc/passwd\n", 5, "leaves the zone directory");
	zone_t *z = load_ok(HDR "$INCLUDE ok.inc\n");
	zone_free(z);
	/* absolute path that resolves inside the base directory is fine */
	char text[PATH_MAX + 256];
	snprintf(text, sizeof(text), HDR "$INCLUDE %s\n", inc);
	z = load_ok(text);
	zone_free(z);
	opts = saved;
	unlink(inc);
	unlink(link);
	rmdir(dir);
}

static void
test_include_cookies(void **state)
{
	(void)state;
	/* Builder errors carry the source of the offending node's first
	 * record: check it maps back through include segments. */
	expect_fail_in(HDR "$INCLUDE cname.inc\n"
			   "www CNAME elsewhere.example.net.\n",
		       "cname.inc", 2, "CNAME and other data");
	expect_fail(HDR "$INCLUDE ns.inc\n"
			"\n"
			"dup CNAME a.example.net.\n"
			"dup CNAME b.example.net.\n",
		    7, "more than one CNAME");
}

/* ---- errors ---- */

static void
test_semantic_errors(void **state)
{
	(void)state;
	expect_fail("$TTL 300\n@ NS ns1\nns1 A 198.51.100.1\n", 0, "no SOA");
	expect_fail("", 0, "no records");
	expect_fail(HDR "@ SOA ns2 hostmaster 2 7200 3600 1209600 300\n", 2, "more than one SOA");
	expect_fail(HDR "sub SOA ns1 hostmaster 1 7200 3600 1209600 300\n", 5, "not at the zone apex");
	expect_fail("$TTL 300\n@ SOA ns1 hostmaster 1 2 3 4 5\nns1 A 198.51.100.1\n", 2, "no NS");
	expect_fail(HDR "x.other.org. A 198.51.100.1\n", 5, "name 'x.other.org.' is outside the zone example.com.");
	expect_fail(HDR "$ORIGIN org.\nx A 198.51.100.1\n", 6, "outside the zone");
	expect_fail(HDR "www A 198.51.100.2\nwww CNAME x.example.net.\n", 5, "CNAME and other data");
	expect_fail(HDR "\nwww CNAME a.example.net.\nwww CNAME b.example.net.\n", 6, "more than one CNAME");
	expect_fail(HDR "sub NS ns.sub\n", 5, "missing glue");
	expect_fail(HDR "big 2147483648 A 198.51.100.1\n", 5, "exceeds 2147483647");
	expect_fail(HDR "big 4294967296 A 198.51.100.1\n", 5, "TTL out of range");
	expect_fail(HDR "$TTL 5000000000\n", 5, "TTL out of range");
	expect_fail(HDR "q ANY \\# 0\n", 5, "cannot appear in zone data");
}

static void
test_syntax_errors(void **state)
{
	(void)state;
	expect_fail(HDR "a A 1.2.3\n", 5, "bad IPv4 address '1.2.3'");
	expect_fail(HDR "a A 1.2.3.256\n", 5, "bad IPv4 address");
	expect_fail(HDR "a A 01.2.3.4\n", 5, "bad IPv4 address");
	expect_fail(HDR "a A 1.2.3.4 5\n", 5, "trailing data '5'");
	expect_fail(HDR "a A\n", 5, "missing fields in A rdata");
	expect_fail(HDR "a AAAA 2001:db8::g\n", 5, "bad IPv6 address '2001:db8::g'");
	expect_fail(HDR "a AAAA 198.51.100.1\n", 5, "bad IPv6 address");
	expect_fail(HDR "a NS bad..name\n", 5, "bad NS target 'bad..name'");
	expect_fail(HDR "a CNAME\n", 5, "missing fields in CNAME");
	expect_fail(HDR "a PTR a b\n", 5, "trailing data 'b'");
	expect_fail(HDR "a DNAME a..b\n", 5, "bad target");
	expect_fail(HDR "a MX x mail\n", 5, "bad preference 'x'");
	expect_fail(HDR "a MX 65536 mail\n", 5, "bad preference '65536'");
	expect_fail(HDR "a MX 10\n", 5, "missing fields in MX");
	expect_fail(HDR "a TXT\n", 5, "missing TXT rdata");
	expect_fail(HDR "a TXT \"bad \\99x\"\n", 5, "bad escape");
	expect_fail(HDR "a TXT \"unterminated\n", 5, "unterminated quoted string");
	expect_fail(HDR "a SRV 1 2 mail\n", 5, "missing fields in SRV");
	expect_fail(HDR "a SRV 1 2 99999 mail\n", 5, "bad port '99999'");
	expect_fail(HDR "a CAA 256 issue \"x\"\n", 5, "bad flags '256'");
	expect_fail(HDR "a CAA 0 is-sue \"x\"\n", 5, "bad CAA tag 'is-sue'");
	expect_fail(HDR "a CAA 0 issue\n", 5, "missing fields in CAA");
	expect_fail("$TTL 1\n@ SOA ns1 hostmaster 1 2 3 4\n", 2, "missing fields in SOA rdata (6 of 7)");
	expect_fail("$TTL 1\n@ SOA ns1 hostmaster x 2 3 4 5\n", 2, "bad SOA serial 'x'");
	expect_fail("$TTL 1\n@ SOA ns1 ( hostmaster 1\n 2 3 4 5x )\n", 3, "bad SOA MINIMUM '5x'");
	expect_fail(HDR "a AAA 198.51.100.1\n", 5, "unknown type 'AAA'");
	expect_fail(HDR "a CH TXT \"x\"\n", 5, "class 'CH' is not supported");
	expect_fail(HDR "a 300 IN\n", 5, "missing type");
	expect_fail(HDR "a 300 400 A 198.51.100.1\n", 5, "two TTLs");
	expect_fail(HDR "a 1x A 198.51.100.1\n", 5, "bad TTL '1x'");
	expect_fail(HDR "a TXT ( \"x\"\n\n", 5, "unbalanced parenthesis");
	expect_fail(HDR "\na TXT \"x\" )\n", 6, "unbalanced parenthesis");
	expect_fail(HDR "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa A 198.51.100.1\n", 5,
		    "label longer than 63");
	expect_fail(" A 198.51.100.1\n", 1, "no owner name");
	expect_fail(HDR "$FOO bar\n", 5, "unknown directive '$FOO'");
	expect_fail(HDR "$ORIGIN\n", 5, "missing argument");
	expect_fail(HDR "$TTL abc\n", 5, "bad TTL 'abc'");
	expect_fail(HDR "s SSHFP 1 1 zz\n", 5, "bad SSHFP rdata:");
	expect_fail(HDR "u TYPE65534 01 02\n", 5, "use RFC 3597");
	expect_fail(HDR "u TYPE65534 \\# 3 0102\n", 5, "length 3 needs 6");
	expect_fail(HDR "u TYPE65534 \\# 1 0102\n", 5, "longer than its length");
	expect_fail(HDR "u A \\# 3 010203\n", 5, "malformed A rdata");
	expect_fail(HDR "a A 198.51.100.1\\\n", 5, "backslash at the end");
	/* a NUL byte inside the text (strlen would stop there) */
	static const char nul[] = HDR "a A 198.51.\000100.1\n";
	zone_t *z = NULL;
	zonefile_error_t err;
	assert_int_not_equal(zonefile_load_mem(nul, sizeof(nul) - 1, "t.zone", origin, &opts, &z, &err), 0);
	assert_int_equal(err.line, 5);
	assert_non_null(strstr(err.msg, "NUL byte"));
}

static void
test_generate_errors(void **state)
{
	(void)state;
	expect_fail(HDR "$GENERATE 1-x h$ A 198.51.100.$\n", 5, "bad range '1-x'");
	expect_fail(HDR "$GENERATE 5-1 h$ A 198.51.100.$\n", 5, "bad range");
	expect_fail(HDR "$GENERATE 1-5/0 h$ A 198.51.100.$\n", 5, "bad range");
	expect_fail(HDR "$GENERATE 1-5 h$ A\n", 5, "expected range");
	expect_fail(HDR "$GENERATE 1-5 h$ AAA x\n", 5, "unknown type 'AAA'");
	expect_fail(HDR "$GENERATE 1-5 h${0,3,q} A 198.51.100.1\n", 5, "bad ${offset,width,base}");
	expect_fail(HDR "$GENERATE 1-5 h${0 A 198.51.100.1\n", 5, "bad ${offset");
	expect_fail(HDR "$GENERATE 1-5 h${-2} A 198.51.100.1\n", 5, "negative value");
	expect_fail(HDR "$GENERATE 1-5 h$ A 198.51.100.$ extra\n", 5, "unexpected 'extra'");
	expect_fail(HDR "\n$GENERATE 250-260 h$ A 198.51.100.$\n", 6, "bad IPv4 address '198.51.100.256'");
	expect_fail(HDR "$GENERATE 0-16777216 h$ A 198.51.100.1\n", 5, "more than");
	expect_fail(HDR "$GENERATE 1-2 h$ CNAME x.other.org.\nh1 A 198.51.100.1\n", 5, "CNAME and other data");
}

/* ---- files ---- */

static void
test_load_file_errors(void **state)
{
	(void)state;
	zone_t *z = (zone_t *)1;
	zonefile_error_t err;
	int r = zonefile_load("/nonexistent/x.zone", origin, NULL, &z, &err);
	assert_int_not_equal(r, 0);
	assert_null(z);
	assert_string_equal(err.file, "/nonexistent/x.zone");
	assert_non_null(strstr(err.msg, "No such file"));
	r = zonefile_load(datadir, origin, NULL, &z, &err); /* a directory */
	assert_int_not_equal(r, 0);
	assert_non_null(strstr(err.msg, "Is a directory"));
	r = zonefile_load("/dev/null", origin, NULL, &z, &err); /* not a regular file */
	assert_int_not_equal(r, 0);
	assert_non_null(strstr(err.msg, "not a regular file"));
	/* an error in a file names the file and line */
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/broken.zone", datadir);
	r = zonefile_load(path, origin, NULL, &z, &err);
	assert_int_not_equal(r, 0);
	assert_string_equal(err.file, path);
	assert_int_equal(err.line, 4);
	assert_non_null(strstr(err.msg, "unknown type"));
}

/* Every shipped example zone loads (zonefiles/<zone>.zone). */
static void
test_example_zones(void **state)
{
	(void)state;
	char dir[PATH_MAX + 16];
	snprintf(dir, sizeof(dir), "%s/zonefiles", rootdir);
	DIR *d = opendir(dir);
	assert_non_null(d);
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l < 6 || strcmp(de->d_name + l - 5, ".zone") != 0 || de->d_name[0] == '.')
			continue;
		char name[300], path[PATH_MAX * 2];
		snprintf(name, sizeof(name), "%.*s.", (int)(l - 5), de->d_name);
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		uint8_t o[DNAME_MAXLEN];
		tu_name(name, o);
		zone_t *z = NULL;
		zonefile_error_t err;
		int r = zonefile_load(path, o, NULL, &z, &err);
		if (r != 0)
			print_error("%s:%u: %s\n", err.file, err.line, err.msg);
		assert_int_equal(r, 0);
		zone_free(z);
		n++;
	}
	closedir(d);
	assert_true(n >= 3);
}

/* ---- robustness ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static const char *corpus =
	"$TTL 1h\n$ORIGIN example.com.\n"
	"@ IN SOA ns1 hostmaster ( 1 2h 1h 2w 5m )\n"
	"  NS ns1\n ns1 A 198.51.100.1\n ns1 AAAA 2001:db8::1\n"
	"mx MX 10 mail\nt TXT \"a\\\"b\" c \\065\n_s._tcp SRV 1 2 3 t\n"
	"c CAA 0 issue \"ca\"\nw CNAME t\n$INCLUDE ns.inc\n$GENERATE 1-4 g${0,2,x} PTR h$\n"
	"s SSHFP 1 1 00ff\nu TYPE999 \\# 2 abcd\n";

/* Random bytes, truncations and mutations: must never crash or leak
 * (run under ASan), and must always fill the error on failure. */
static void
test_fuzz(void **state)
{
	(void)state;
	size_t clen = strlen(corpus);
	char buf[1024];
	const char alphabet[] = " \t\n;()\"\\$@.0123456789AaINSOXTMC#{},-/*";
	opts.warn = NULL;
	for (int iter = 0; iter < 4000; iter++) {
		size_t len;
		int mode = iter % 4;
		if (mode == 0) { /* truncation */
			len = rnd() % (clen + 1);
			memcpy(buf, corpus, len);
		} else if (mode == 1 || mode == 2) { /* mutations */
			len = clen;
			memcpy(buf, corpus, len);
			int k = 1 + (int)(rnd() % 8);
			for (int i = 0; i < k; i++) {
				size_t pos = rnd() % len;
				buf[pos] = mode == 1 ? (char)rnd() : alphabet[rnd() % (sizeof(alphabet) - 1)];
			}
		} else { /* noise made of zone file characters */
			len = rnd() % sizeof(buf);
			for (size_t i = 0; i < len; i++)
				buf[i] = alphabet[rnd() % (sizeof(alphabet) - 1)];
		}
		zone_t *z = NULL;
		zonefile_error_t err;
		int r = zonefile_load_mem(buf, len, "fuzz", origin, &opts, &z, &err);
		if (r == 0) {
			assert_non_null(z);
			zone_free(z);
		} else {
			assert_null(z);
			assert_true(err.msg[0] != '\0');
		}
	}
	opts.warn = count_warn;
}

static void
test_many_lines(void **state)
{
	(void)state;
	/* a big file with an error far down: line numbers stay exact */
	size_t n = 200000, cap = n * 40 + 256;
	char *text = malloc(cap);
	assert_non_null(text);
	size_t o = (size_t)snprintf(text, cap, HDR);
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(text + o, cap - o, "h%zu A 198.51.%zu.%zu\n", i, (i >> 8) & 255, i & 255);
	o += (size_t)snprintf(text + o, cap - o, "h5 CNAME x.example.net.\n");
	zone_t *z = NULL;
	zonefile_error_t err;
	int r = zonefile_load_mem(text, o, "big", origin, &opts, &z, &err);
	assert_int_not_equal(r, 0);
	assert_int_equal(err.line, HDR_LINES + 6); /* first record of the node h5 */
	assert_non_null(strstr(err.msg, "CNAME and other data"));
	memcpy(text + o - 24, "h5 TXT \"fine\"          \n", 24);
	r = zonefile_load_mem(text, o, "big", origin, &opts, &z, &err);
	assert_int_equal(r, 0);
	assert_int_equal(z->nrecords, n + 4);
	zone_free(z);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fast_path_types),
		cmocka_unit_test(test_ldns_types),
		cmocka_unit_test(test_owners_and_origin),
		cmocka_unit_test(test_ttl),
		cmocka_unit_test(test_parens_comments_escapes),
		cmocka_unit_test(test_txt_long),
		cmocka_unit_test(test_generic_rdata),
		cmocka_unit_test(test_generate),
		cmocka_unit_test(test_generate_errors),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_include_errors),
		cmocka_unit_test(test_include_depth),
		cmocka_unit_test(test_include_symlink),
		cmocka_unit_test(test_include_cookies),
		cmocka_unit_test(test_semantic_errors),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_load_file_errors),
		cmocka_unit_test(test_example_zones),
		cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_many_lines),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
