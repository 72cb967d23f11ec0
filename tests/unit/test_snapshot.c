/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Tests for src/zone/snapshot.c and src/util/crc32c.c: round trips (many RR
 * types, a 50,000-record zone), the file format checked by the test's own
 * reader, truncation at every length, a flipped bit or byte at every
 * offset, files crafted with valid checksums but lying lengths or bad
 * records (plus a mutation sweep over every byte with the checksums fixed
 * up, so that the bounds checks and not only the CRC are exercised), wrong
 * origin, missing file, and atomic replacement with a stale "<path>.tmp".
 * The test has its own bitwise CRC32C and its own encoder of the format
 * (from snapshot.h), so the format is checked independently of the module.
 */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "tu.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "util/crc32c.h"
#include "zone/apply.h"
#include "zone/snapshot.h"
#include "zone/zonefile.h"

static char dir[64];
static uint8_t origin[DNAME_MAXLEN];

/* A zone with many RR types, ENTs, a delegation with glue, a wildcard,
 * a DNAME with occluded data, mixed-case rdata names and an unknown type. */
static const char *zone_text =
	"$TTL 3600\n"
	"@ SOA ns1 hostmaster 2024061501 7200 3600 1209600 300\n"
	"@ NS ns1\n"
	"@ NS ns2.example.net.\n"
	"@ MX 10 mail\n"
	"@ MX 20 Mail2.Example.NET.\n"
	"@ TXT \"v=spf1 -all\" \"second string\"\n"
	"@ CAA 0 issue \"ca.example.net\"\n"
	"@ 300 DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==\n"
	"@ NSEC3PARAM 1 0 0 -\n"
	"ns1 A 198.51.100.1\n"
	"ns1 AAAA 2001:db8::1\n"
	"mail 60 A 198.51.100.2\n"
	"www CNAME @\n"
	"a.b.c A 198.51.100.3\n"
	"a.b.c A 198.51.100.4\n"
	"*.wild TXT \"wildcard\"\n"
	"_sip._tcp SRV 10 60 5060 sip.example.com.\n"
	"sip A 198.51.100.5\n"
	"_443._tcp.www TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
	"host SSHFP 4 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
	"host HINFO \"PC\" \"Linux\"\n"
	"host LOC 52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m\n"
	"host RP hostmaster.example.com. .\n"
	"4.100.51.198 PTR host\n"
	"naptr NAPTR 100 10 \"U\" \"E2U+sip\" \"!^.*$!sip:info@example.com!\" .\n"
	"svc HTTPS 1 . alpn=h2\n"
	"sub NS ns.sub\n"
	"sub NS ns.example.net.\n"
	"sub DS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
	"ns.sub A 198.51.100.6\n"
	"dn DNAME example.org.\n"
	"unk TYPE65280 \\# 4 deadbeef\n"
	"empty TXT \"\"\n";

/* --- helpers ----------------------------------------------------------- */

static uint32_t
crc32c_bitwise(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
	}
	return c ^ 0xffffffffu;
}

static void
path_of(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", dir, name);
}

static zone_t *
load_text(const char *text)
{
	zone_t *z = NULL;
	zonefile_error_t err;
	int r = zonefile_load_mem(text, strlen(text), "t.zone", origin, NULL, &z, &err);
	if (r != 0) {
		print_error("zone text refused: %s:%u: %s\n", err.file, err.line, err.msg);
		fail();
	}
	return z;
}

static void
write_ok(const zone_t *z, const char *path)
{
	char err[512] = "x";
	int r = snapshot_write(z, path, err, sizeof(err));
	if (r != 0) {
		print_error("snapshot_write: %d %s\n", r, err);
		fail();
	}
	assert_string_equal(err, "");
}

static zone_t *
read_ok(const char *path)
{
	char err[2048] = "x";
	zone_t *z = NULL;
	int r = snapshot_read(path, origin, &z, err, sizeof(err));
	if (r != 0) {
		print_error("snapshot_read: %d %s\n", r, err);
		fail();
	}
	assert_non_null(z);
	assert_string_equal(err, "");
	return z;
}

/* Reading must fail with code want (and, if needle, a reason containing it); *out stays untouched. */
static void
read_fails(const char *path, const uint8_t *o, int want, const char *needle)
{
	char err[2048] = "";
	zone_t *z = (zone_t *)&z; /* sentinel */
	int r = snapshot_read(path, o, &z, err, sizeof(err));
	if (r != want || (needle != NULL && strstr(err, needle) == NULL) || err[0] == '\0' ||
	    z != (zone_t *)&z || strchr(err, '\n') != NULL) {
		print_error("want %d '%s', got %d '%s'\n", want, needle ? needle : "", r, err);
		if (r == 0)
			zone_free(z);
		fail();
	}
}

static uint8_t *
slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	uint8_t *b = malloc((size_t)st.st_size + 1);
	assert_non_null(b);
	assert_int_equal(read(fd, b, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return b;
}

static void
spit(const char *path, const uint8_t *b, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b, len), (ssize_t)len);
	close(fd);
}

static uint64_t
u64_at(const uint8_t *p)
{
	return (uint64_t)wire_u32(p) << 32 | wire_u32(p + 4);
}

static void
set_u64(uint8_t *p, uint64_t v)
{
	wire_set_u32(p, (uint32_t)(v >> 32));
	wire_set_u32(p + 4, (uint32_t)v);
}

/* Recompute the three checksums of a (possibly mutated) file where they can be located. */
static void
fix_crcs(uint8_t *b, size_t len)
{
	if (len >= 16)
		wire_set_u32(b + 12, crc32c_bitwise(b, 12));
	if (len >= 37 && len >= 41u + b[36])
		wire_set_u32(b + 37 + b[36], crc32c_bitwise(b, 37u + b[36]));
	if (len >= 4)
		wire_set_u32(b + len - 4, crc32c_bitwise(b, len - 4));
}

/* Our own encoder: header for origin o, serial, count and the body, then the trailer. */
static size_t
encode(uint8_t *out, uint32_t version, const uint8_t *o, uint32_t serial, uint64_t count, const uint8_t *body,
       size_t blen)
{
	size_t ol = dname_len(o);
	memcpy(out, "FLAMESNP", 8);
	wire_set_u32(out + 8, version);
	wire_set_u32(out + 16, serial);
	set_u64(out + 20, count);
	set_u64(out + 28, blen);
	out[36] = (uint8_t)ol;
	memcpy(out + 37, o, ol);
	memcpy(out + 41 + ol, body, blen);
	size_t len = 41 + ol + blen + 4;
	fix_crcs(out, len);
	return len;
}

/* Append one record to a body. */
static void
rec(uint8_t *body, size_t *n, const char *owner, uint16_t type, uint32_t ttl, const void *rd, uint16_t rdlen)
{
	uint8_t name[DNAME_MAXLEN];
	size_t l = tu_name(owner, name);
	memcpy(body + *n, name, l);
	*n += l;
	wire_set_u16(body + *n, type);
	wire_set_u32(body + *n + 2, ttl);
	wire_set_u16(body + *n + 6, rdlen);
	memcpy(body + *n + 8, rd, rdlen);
	*n += 8u + rdlen;
}

static const uint8_t soa_rd[] = "\3ns1\7example\3com\0\12hostmaster\7example\3com\0"
				"\0\0\0\11" "\0\0\34\40" "\0\0\16\20" "\0\22\165\0" "\0\0\1\54";
#define SOA_RDLEN (sizeof(soa_rd) - 1)
static const uint8_t ns_rd[] = "\3ns1\7example\3com";
static const uint8_t a_rd[4] = { 198, 51, 100, 1 };

/* A minimal valid body: SOA (serial 9), NS, glue. Returns the record count. */
static uint64_t
min_body(uint8_t *body, size_t *n)
{
	*n = 0;
	rec(body, n, "example.com.", RR_SOA, 3600, soa_rd, SOA_RDLEN);
	rec(body, n, "example.com.", RR_NS, 3600, ns_rd, sizeof(ns_rd));
	rec(body, n, "ns1.example.com.", RR_A, 3600, a_rd, 4);
	return 3;
}

/* Walk a snapshot with the test's own reader: checks every documented field. */
static void
check_format(const uint8_t *b, size_t len, const zone_t *z)
{
	assert_true(len >= 45);
	assert_memory_equal(b, "FLAMESNP", 8);
	assert_int_equal(wire_u32(b + 8), 1);
	assert_int_equal(wire_u32(b + 12), crc32c_bitwise(b, 12));
	assert_int_equal(wire_u32(b + 16), z->serial);
	uint64_t count = u64_at(b + 20), blen = u64_at(b + 28);
	size_t ol = b[36];
	assert_int_equal(ol, z->origin_len);
	assert_memory_equal(b + 37, z->origin, ol);
	size_t h = 37 + ol;
	assert_int_equal(wire_u32(b + h), crc32c_bitwise(b, h));
	h += 4;
	assert_int_equal(len, h + blen + 4);
	assert_int_equal(wire_u32(b + len - 4), crc32c_bitwise(b, len - 4));
	assert_int_equal(count, z->nrecords);
	/* Records in the zone's order, each equal to the zone's. */
	size_t p = h;
	uint64_t n = 0;
	for (uint32_t i = 0; i < z->nnodes; i++) {
		const zone_node_t *nd = &z->nodes[i];
		for (uint16_t k = 0; k < nd->nrrsets; k++) {
			const zone_rrset_t *rs = &nd->rrsets[k];
			const uint8_t *rd = rs->rdata;
			for (uint16_t j = 0; j < rs->count; j++, n++) {
				uint16_t rl;
				memcpy(&rl, rd, 2);
				assert_memory_equal(b + p, nd->name, nd->name_len);
				p += nd->name_len;
				assert_int_equal(wire_u16(b + p), rs->type);
				assert_int_equal(wire_u32(b + p + 2), rs->ttl);
				assert_int_equal(wire_u16(b + p + 6), rl);
				assert_memory_equal(b + p + 8, rd + 2, rl);
				p += 8u + rl;
				rd += 2u + rl;
			}
		}
	}
	assert_int_equal(n, count);
	assert_int_equal(p, h + blen);
}

/* --- tests ------------------------------------------------------------- */

/* Both implementations (the CPU instruction when present, the table) against the bitwise one. */
static void
test_crc32c(void **state)
{
	(void)state;
	assert_int_equal(crc32c("123456789", 9), 0xe3069283u);
	assert_int_equal(crc32c_extend_portable(0, "123456789", 9), 0xe3069283u);
	assert_int_equal(crc32c(NULL, 0), 0);
	uint8_t buf[1100];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 131 + 7 + (i >> 5));
	for (size_t off = 0; off < 8; off++) { /* every alignment of the start */
		for (size_t n = 0; n <= 1000; n += (n < 40 ? 1 : 37)) {
			uint32_t want = crc32c_bitwise(buf + off, n);
			assert_int_equal(crc32c(buf + off, n), want);
			assert_int_equal(crc32c_extend_portable(0, buf + off, n), want);
			for (size_t cut = 0; cut <= n; cut += 11) {
				assert_int_equal(crc32c_extend(crc32c(buf + off, cut), buf + off + cut, n - cut), want);
				assert_int_equal(crc32c_extend_portable(crc32c(buf + off, cut), buf + off + cut, n - cut),
						 want);
			}
		}
	}
}

static void
test_roundtrip(void **state)
{
	(void)state;
	char p[128];
	path_of(p, sizeof(p), "rt.snap");
	zone_t *z = load_text(zone_text);
	assert_true(z->nrecords >= 30);
	time_t before = time(NULL);
	write_ok(z, p);
	size_t len;
	uint8_t *b = slurp(p, &len);
	check_format(b, len, z);
	free(b);
	char tmp[160];
	snprintf(tmp, sizeof(tmp), "%s.tmp", p);
	assert_int_equal(access(tmp, F_OK), -1); /* renamed away */

	zone_t *y = read_ok(p);
	assert_true(zone_equal(z, y));
	assert_int_equal(y->serial, 2024061501u);
	assert_int_equal(y->nrecords, z->nrecords);
	assert_int_equal(y->nnodes, z->nnodes);
	assert_string_equal(y->source, p);
	assert_true(y->loaded >= before && y->loaded <= time(NULL));
	assert_null(y->history);
	/* Flags and index were rebuilt, not copied: spot-check them. */
	uint8_t n[DNAME_MAXLEN];
	size_t l = tu_name("ns.sub.example.com.", n);
	assert_true(zone_find(y, n, l)->flags & ZN_NONAUTH);
	l = tu_name("sub.example.com.", n);
	assert_true(zone_find(y, n, l)->flags & ZN_DELEG);
	l = tu_name("b.c.example.com.", n); /* empty non-terminal */
	assert_int_equal(zone_find(y, n, l)->nrrsets, 0);
	/* Case of rdata names survives. */
	l = tu_name("example.com.", n);
	const zone_rrset_t *mx = zone_node_rrset(zone_find(y, n, l), RR_MX);
	assert_non_null(mx);
	assert_int_equal(mx->count, 2);

	uint32_t serial = 0;
	assert_int_equal(snapshot_serial(p, &serial), 0);
	assert_int_equal(serial, 2024061501u);

	/* Writing the read-back version gives the same bytes. */
	char p2[128];
	path_of(p2, sizeof(p2), "rt2.snap");
	write_ok(y, p2);
	size_t len2;
	b = slurp(p, &len);
	uint8_t *b2 = slurp(p2, &len2);
	assert_int_equal(len, len2);
	assert_memory_equal(b, b2, len);
	free(b);
	free(b2);

	/* Mixed-case origin argument is the same zone. */
	uint8_t upper[DNAME_MAXLEN];
	tu_name("EXAMPLE.Com.", upper);
	zone_t *u = NULL;
	assert_int_equal(snapshot_read(p, upper, &u, NULL, 0), 0);
	assert_true(zone_equal(z, u));
	zone_free(u);

	zone_free(y);
	zone_free(z);
	unlink(p);
	unlink(p2);
}

static void
test_truncated_every_length(void **state)
{
	(void)state;
	char p[128], t[128];
	path_of(p, sizeof(p), "full.snap");
	path_of(t, sizeof(t), "trunc.snap");
	zone_t *z = load_text(zone_text);
	write_ok(z, p);
	size_t len;
	uint8_t *b = slurp(p, &len);
	for (size_t n = 0; n < len; n++) {
		spit(t, b, n);
		/* Short of the magic is still "ours, torn"; anything else names the truncation. */
		read_fails(t, origin, FL_EMALF, "truncated");
		/* The header alone also knows the file size it needs. */
		uint32_t serial = 0;
		assert_int_equal(snapshot_serial(t, &serial), FL_EMALF);
	}
	/* And one byte too many. */
	b = realloc(b, len + 1);
	b[len] = 0;
	spit(t, b, len + 1);
	read_fails(t, origin, FL_EMALF, "overlong");
	spit(t, b, len);
	zone_t *y = read_ok(t);
	assert_true(zone_equal(z, y));
	zone_free(y);
	zone_free(z);
	free(b);
	unlink(p);
	unlink(t);
}

static void
test_flip_every_byte(void **state)
{
	(void)state;
	char p[128], t[128];
	path_of(p, sizeof(p), "good.snap");
	path_of(t, sizeof(t), "flip.snap");
	zone_t *z = load_text(zone_text);
	write_ok(z, p);
	size_t len;
	uint8_t *b = slurp(p, &len);
	static const uint8_t masks[] = { 0x01, 0x80, 0xff };
	for (size_t i = 0; i < len; i++) {
		for (size_t m = 0; m < sizeof(masks); m++) {
			b[i] ^= masks[m];
			spit(t, b, len);
			read_fails(t, origin, FL_EMALF, i < 8 ? "magic" : "checksum");
			b[i] ^= masks[m];
		}
	}
	spit(t, b, len);
	zone_t *y = read_ok(t);
	zone_free(y);
	zone_free(z);
	free(b);
	unlink(p);
	unlink(t);
}

/* Valid checksums, lying contents: every length and record field is checked. */
static void
test_crafted(void **state)
{
	(void)state;
	char p[128];
	path_of(p, sizeof(p), "craft.snap");
	uint8_t body[4096], file[8192];
	size_t n, len;
	uint64_t cnt;

	/* The encoder agrees with the module: a minimal zone reads back. */
	cnt = min_body(body, &n);
	len = encode(file, 1, origin, 9, cnt, body, n);
	spit(p, file, len);
	zone_t *z = read_ok(p);
	assert_int_equal(z->serial, 9);
	assert_int_equal(z->nrecords, 3);
	zone_free(z);

	/* Another format version: refused as such (its header checksum is valid). */
	len = encode(file, 2, origin, 9, cnt, body, n);
	spit(p, file, len);
	read_fails(p, origin, FL_ENOTSUP, "version 2");
	uint32_t serial;
	assert_int_equal(snapshot_serial(p, &serial), FL_ENOTSUP);

	/* Record count larger / smaller than the body holds. */
	len = encode(file, 1, origin, 9, cnt + 1, body, n);
	spit(p, file, len);
	read_fails(p, origin, FL_EMALF, "fewer records");
	len = encode(file, 1, origin, 9, UINT64_MAX, body, n);
	spit(p, file, len);
	read_fails(p, origin, FL_EMALF, "fewer records");
	len = encode(file, 1, origin, 9, cnt - 1, body, n);
	spit(p, file, len);
	read_fails(p, origin, FL_EMALF, "after the last");

	/* Body length larger / smaller than the file (header checksum fixed up). */
	const uint64_t longer[] = { n + 1, n + 4, n + 1000, UINT32_MAX, (uint64_t)1 << 40, UINT64_MAX - 50,
				    UINT64_MAX };
	const uint64_t shorter[] = { 0, 1, n / 2, n - 1 };
	len = encode(file, 1, origin, 9, cnt, body, n);
	for (size_t i = 0; i < sizeof(longer) / sizeof(longer[0]); i++) {
		set_u64(file + 28, longer[i]);
		fix_crcs(file, len);
		spit(p, file, len);
		read_fails(p, origin, FL_EMALF, "truncated file");
	}
	for (size_t i = 0; i < sizeof(shorter) / sizeof(shorter[0]); i++) {
		set_u64(file + 28, shorter[i]);
		fix_crcs(file, len);
		spit(p, file, len);
		read_fails(p, origin, FL_EMALF, "overlong file");
	}

	/* rdlength past the end of the body. */
	min_body(body, &n);
	wire_set_u16(body + n - 4 - 2, 5); /* last record: A with rdlen 5 */
	len = encode(file, 1, origin, 9, cnt, body, n);
	spit(p, file, len);
	read_fails(p, origin, FL_EMALF, "truncated");
	wire_set_u16(body + n - 4 - 2, 0xffff);
	len = encode(file, 1, origin, 9, cnt, body, n);
	spit(p, file, len);
	read_fails(p, origin, FL_EMALF, "truncated");
	/* A record cut inside its fixed fields. */
	len = encode(file, 1, origin, 9, cnt, body, n - 4 - 3);
	spit(p, file, len);
	read_fails(p, origin, FL_EMALF, "truncated");

	/* Owner label running past the end, a compression pointer, a name over 255. */
	min_body(body, &n);
	body[n++] = 60;
	len = encode(file, 1, origin, 9, cnt + 1, body, n);
	spit(p, file, len);
	read_fails(p, origin, FL_EMALF, "malformed owner");
	min_body(body, &n);
	body[n++] = 0xc0;
	body[n++] = 0x0c;
	len = encode(file, 1, origin, 9, cnt + 1, body, n);
	spit(p, file, len);
	read_fails(p, origin, FL_EMALF, "malformed owner");
	min_body(body, &n);
	for (int i = 0; i < 5; i++) {
		body[n++] = 63;
		memset(body + n, 'a', 63);
		n += 63;
	}
	body[n++] = 0;
	memset(body + n, 0, 8);
	n += 8;
	len = encode(file, 1, origin, 9, cnt + 1, body, n);
	spit(p, file, len);
	read_fails(p, origin, FL_EMALF, "malformed owner");

	/* Records the builder refuses while adding: out of zone, bad rdata, meta type. */
	min_body(body, &n);
	rec(body, &n, "www.example.net.", RR_A, 60, a_rd, 4);
	len = encode(file, 1, origin, 9, cnt + 1, body, n);
	spit(p, file, len);
	read_fails(p, origin, FL_EMALF, "record 4 at offset");
	min_body(body, &n);
	rec(body, &n, "www.example.com.", RR_A, 60, a_rd, 3);
	len = encode(file, 1, origin, 9, cnt + 1, body, n);
	spit(p, file, len);
	read_fails(p, origin, FL_EMALF, "www.example.com.");
	min_body(body, &n);
	rec(body, &n, "www.example.com.", 41 /* OPT */, 60, "", 0);
	len = encode(file, 1, origin, 9, cnt + 1, body, n);
	spit(p, file, len);
	read_fails(p, origin, FL_EMALF, "record 4");

	/* Zone-level refusals by the builder: no NS at the apex, CNAME and other data. */
	n = 0;
	rec(body, &n, "example.com.", RR_SOA, 3600, soa_rd, SOA_RDLEN);
	len = encode(file, 1, origin, 9, 1, body, n);
	spit(p, file, len);
	read_fails(p, origin, FL_ESEMANTIC, "no NS");
	min_body(body, &n);
	rec(body, &n, "www.example.com.", RR_A, 60, a_rd, 4);
	rec(body, &n, "www.example.com.", RR_CNAME, 60, ns_rd, sizeof(ns_rd));
	len = encode(file, 1, origin, 9, cnt + 2, body, n);
	spit(p, file, len);
	read_fails(p, origin, FL_ESEMANTIC, "CNAME and other data");

	/* Header serial or count differing from the records. */
	cnt = min_body(body, &n);
	len = encode(file, 1, origin, 10, cnt, body, n);
	spit(p, file, len);
	read_fails(p, origin, FL_EMALF, "serial 10");
	assert_int_equal(snapshot_serial(p, &serial), 0); /* the header alone cannot tell */
	assert_int_equal(serial, 10);
	rec(body, &n, "ns1.example.com.", RR_A, 3600, a_rd, 4); /* a duplicate */
	len = encode(file, 1, origin, 9, cnt + 1, body, n);
	spit(p, file, len);
	read_fails(p, origin, FL_EMALF, "4 records");

	/* Malformed origin in a checksummed header, and an empty origin. */
	cnt = min_body(body, &n);
	len = encode(file, 1, origin, 9, cnt, body, n);
	file[37] = 50; /* first label length now runs past the origin */
	fix_crcs(file, len);
	spit(p, file, len);
	read_fails(p, origin, FL_EMALF, "origin");
	size_t ol = file[36];
	memmove(file + 37, file + 37 + ol, len - 37 - ol);
	file[36] = 0;
	len -= ol;
	fix_crcs(file, len);
	spit(p, file, len);
	read_fails(p, origin, FL_EMALF, "origin");

	/* Not a snapshot at all; a directory. */
	spit(p, (const uint8_t *)"$TTL 3600\n@ SOA ns1 h 1 2 3 4 5\n", 32);
	read_fails(p, origin, FL_EMALF, "magic");
	assert_int_equal(snapshot_serial(p, &serial), FL_EMALF);
	read_fails(dir, origin, FL_EINVAL, "regular");
	unlink(p);
}

/*
 * Every byte of a small snapshot set to several values, with the checksums
 * recomputed so that the parser (not the CRC) has to cope. Reads must
 * succeed or fail cleanly; ASan/UBSan watch the rest.
 */
static void
test_mutations_with_valid_crc(void **state)
{
	(void)state;
	char p[128];
	path_of(p, sizeof(p), "mut.snap");
	uint8_t body[4096], file[8192], m[8192];
	size_t n;
	uint64_t cnt = min_body(body, &n);
	rec(body, &n, "*.w.example.com.", RR_TXT, 60, "\3abc", 4);
	rec(body, &n, "x.example.com.", RR_MX, 60, "\0\12\3ns1\7example\3com", 19);
	size_t len = encode(file, 1, origin, 9, cnt + 2, body, n);
	static const uint8_t vals[] = { 0x00, 0x01, 0x3f, 0x40, 0xc0, 0xff };
	unsigned ok = 0, refused = 0;
	for (size_t i = 8; i < len - 4; i++) {
		for (size_t v = 0; v < sizeof(vals) + 1; v++) {
			memcpy(m, file, len);
			m[i] = v < sizeof(vals) ? vals[v] : (uint8_t)(m[i] + 1);
			if (m[i] == file[i])
				continue;
			fix_crcs(m, len);
			spit(p, m, len);
			char err[2048] = "";
			zone_t *z = NULL;
			int r = snapshot_read(p, origin, &z, err, sizeof(err));
			if (r == 0) {
				assert_non_null(z);
				zone_free(z);
				ok++;
			} else {
				assert_null(z);
				assert_true(err[0] != '\0');
				refused++;
			}
		}
	}
	assert_true(refused > 0);
	assert_true(ok > 0); /* e.g. a changed TTL or address is a valid zone */
	unlink(p);
}

static void
test_wrong_origin_and_missing(void **state)
{
	(void)state;
	char p[128];
	path_of(p, sizeof(p), "origin.snap");
	zone_t *z = load_text(zone_text);
	write_ok(z, p);
	uint8_t other[DNAME_MAXLEN];
	tu_name("example.net.", other);
	read_fails(p, other, FL_EINVAL, "not of example.net.");
	tu_name("com.", other);
	read_fails(p, other, FL_EINVAL, "example.com.");
	tu_name("www.example.com.", other);
	read_fails(p, other, FL_EINVAL, "example.com.");
	zone_free(z);
	unlink(p);

	read_fails(p, origin, FL_ENOENT, "no snapshot");
	uint32_t serial;
	assert_int_equal(snapshot_serial(p, &serial), FL_ENOENT);
	zone_t *out = NULL;
	assert_int_equal(snapshot_read(p, origin, &out, NULL, 0), FL_ENOENT);
	assert_null(out);

	/* Writing into a missing directory fails cleanly. */
	z = load_text(zone_text);
	char err[512] = "";
	path_of(p, sizeof(p), "no-such-dir/x.snap");
	assert_int_equal(snapshot_write(z, p, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot create"));
	zone_free(z);
}

static void
test_atomic_replace(void **state)
{
	(void)state;
	char p[128], tmp[160];
	path_of(p, sizeof(p), "atomic.snap");
	snprintf(tmp, sizeof(tmp), "%s.tmp", p);
	zone_t *z = load_text(zone_text);
	write_ok(z, p);

	/* A crash mid-write leaves a torn "<path>.tmp": readers never look at it. */
	spit(tmp, (const uint8_t *)"FLAMESNP\0\0\0\1garbage", 20);
	zone_t *y = read_ok(p);
	assert_int_equal(y->serial, z->serial);
	assert_true(zone_equal(z, y));
	zone_free(y);

	/* A crash after the temp file was complete but before the rename: same. */
	zone_t *z2 = NULL;
	assert_int_equal(zone_set_serial(z, z->serial + 1, &z2), 0);
	char p2[128];
	path_of(p2, sizeof(p2), "other.snap");
	write_ok(z2, p2);
	assert_int_equal(rename(p2, tmp), 0);
	y = read_ok(p);
	assert_int_equal(y->serial, z->serial);
	zone_free(y);

	/* The next write replaces the leftover and the file. */
	write_ok(z2, p);
	assert_int_equal(access(tmp, F_OK), -1);
	y = read_ok(p);
	assert_int_equal(y->serial, z->serial + 1);
	assert_true(zone_equal(z2, y));
	zone_free(y);

	/* A write that cannot create its temp file leaves the old snapshot alone. */
	assert_int_equal(mkdir(tmp, 0700), 0);
	char err[512] = "";
	assert_int_equal(snapshot_write(z, p, err, sizeof(err)), -EISDIR);
	assert_non_null(strstr(err, ".tmp"));
	assert_int_equal(rmdir(tmp), 0);
	y = read_ok(p);
	assert_int_equal(y->serial, z->serial + 1);
	zone_free(y);

	zone_free(z2);
	zone_free(z);
	unlink(p);
}

/* Batched writes: staging writes only the temp file; install makes it the
 * snapshot (with or without its own fsync); a missing temp file is an error
 * that leaves the snapshot alone. */
static void
test_stage_install(void **state)
{
	(void)state;
	char p[128], tmp[160], err[512] = "";
	path_of(p, sizeof(p), "staged.snap");
	snprintf(tmp, sizeof(tmp), "%s.tmp", p);
	zone_t *z = load_text(zone_text);
	zone_t *z2 = NULL;
	assert_int_equal(zone_set_serial(z, z->serial + 1, &z2), 0);

	assert_int_equal(snapshot_stage(z, p, err, sizeof(err)), 0);
	assert_int_equal(access(p, F_OK), -1); /* nothing installed yet */
	assert_int_equal(access(tmp, F_OK), 0);
	assert_int_equal(snapshot_install(p, true, err, sizeof(err)), 0);
	assert_int_equal(access(tmp, F_OK), -1);
	zone_t *y = read_ok(p);
	assert_true(zone_equal(z, y));
	zone_free(y);

	/* A second stage replaces the first before install; fsync by install. */
	assert_int_equal(snapshot_stage(z, p, err, sizeof(err)), 0);
	assert_int_equal(snapshot_stage(z2, p, err, sizeof(err)), 0);
	y = read_ok(p); /* still the installed one */
	assert_int_equal(y->serial, z->serial);
	zone_free(y);
	assert_int_equal(snapshot_install(p, false, err, sizeof(err)), 0);
	y = read_ok(p);
	assert_int_equal(y->serial, z2->serial);
	assert_true(zone_equal(z2, y));
	zone_free(y);

	/* Nothing staged: refused, the snapshot stays. */
	assert_int_equal(snapshot_install(p, true, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "staged.snap"));
	assert_int_equal(snapshot_install(p, false, err, sizeof(err)), -ENOENT);
	y = read_ok(p);
	assert_int_equal(y->serial, z2->serial);
	zone_free(y);

	zone_free(z2);
	zone_free(z);
	unlink(p);
}

/* A generated zone of about n records: A, AAAA, MX, TXT, CNAME and delegations with glue. */
static zone_t *
big_zone(unsigned n)
{
	size_t cap = (size_t)n * 64 + 4096, len = 0;
	char *t = malloc(cap);
	assert_non_null(t);
	len += (size_t)snprintf(t, cap, "$TTL 3600\n@ SOA ns1 hostmaster 77 7200 3600 1209600 300\n@ NS ns1\n"
					"ns1 A 192.0.2.1\n");
	for (unsigned i = 0; len < cap - 200 && i < n - 4; i++) {
		switch (i % 6) {
		case 0: len += (size_t)snprintf(t + len, cap - len, "h%u.d%u A 10.%u.%u.%u\n", i, i % 97, i >> 16 & 255, i >> 8 & 255, i & 255); break;
		case 1: len += (size_t)snprintf(t + len, cap - len, "h%u AAAA 2001:db8::%x\n", i, i); break;
		case 2: len += (size_t)snprintf(t + len, cap - len, "h%u MX %u mx%u.example.net.\n", i, i % 50, i); break;
		case 3: len += (size_t)snprintf(t + len, cap - len, "h%u TXT \"record %u\"\n", i, i); break;
		case 4: len += (size_t)snprintf(t + len, cap - len, "c%u CNAME h%u\n", i, i - 1); break;
		default: len += (size_t)snprintf(t + len, cap - len, "s%u NS ns.s%u\nns.s%u A 10.9.%u.%u\n", i, i, i, i >> 8 & 255, i & 255); i++; break;
		}
	}
	zone_t *z = NULL;
	zonefile_error_t err;
	int r = zonefile_load_mem(t, len, "big.zone", origin, NULL, &z, &err);
	free(t);
	if (r != 0) {
		print_error("%s:%u: %s\n", err.file, err.line, err.msg);
		fail();
	}
	return z;
}

static void
test_large(void **state)
{
	(void)state;
	char p[128];
	path_of(p, sizeof(p), "large.snap");
	zone_t *z = big_zone(50000);
	assert_true(z->nrecords >= 49990);
	write_ok(z, p);
	zone_t *y = read_ok(p);
	assert_true(zone_equal(z, y));
	assert_int_equal(y->serial, 77);
	assert_int_equal(y->nrecords, z->nrecords);
	size_t len;
	uint8_t *b = slurp(p, &len);
	check_format(b, len, z);
	/* One flipped bit in the middle is caught. */
	b[len / 2] ^= 0x10;
	spit(p, b, len);
	read_fails(p, origin, FL_EMALF, "checksum");
	free(b);
	zone_free(y);
	zone_free(z);
	unlink(p);
}

static int
setup(void **state)
{
	(void)state;
	tu_name("example.com.", origin);
	snprintf(dir, sizeof(dir), "/tmp/snap-test-XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	DIR *d = opendir(dir);
	if (d == NULL)
		return -1;
	struct dirent *e;
	char p[512];
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (unlink(p) != 0 && rmdir(p) != 0)
			fprintf(stderr, "cannot remove %s\n", p);
	}
	closedir(d);
	return rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_truncated_every_length),
		cmocka_unit_test(test_flip_every_byte),
		cmocka_unit_test(test_crafted),
		cmocka_unit_test(test_mutations_with_valid_crc),
		cmocka_unit_test(test_wrong_origin_and_missing),
		cmocka_unit_test(test_atomic_replace),
		cmocka_unit_test(test_stage_install),
		cmocka_unit_test(test_large),
	};
	return cmocka_run_group_tests_name("snapshot", tests, setup, teardown);
}
