/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Tests for src/zone/journal.c: append/read/reopen, reading from every
 * serial, chain refusals, limits by count and bytes, recovery from torn and
 * corrupted records, foreign files, locking, a 50,000-record open.
 * The test has its own bitwise CRC32C and its own reader and writer of the
 * file format (from journal.h), so the format is checked independently of
 * the module's code.
 */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "tu.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "zone/changeset.h"
#include "zone/journal.h"

static char dir[64];

static const uint8_t apex[] = "\7example\3com";

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

static size_t
soa_rdata(uint8_t *rd, uint32_t serial)
{
	memcpy(rd, "\2ns\7example\3com\0\1h\7example\3com", 31);
	size_t n = 31;
	uint32_t v[5] = { serial, 3600, 900, 604800, 300 };
	for (int i = 0; i < 5; i++, n += 4)
		wire_set_u32(rd + n, v[i]);
	return n;
}

/* Changeset from -> to deleting one A and adding one A plus a TXT of pad bytes. */
static void
make_cs(changeset_t *c, uint32_t from, uint32_t to, size_t pad)
{
	uint8_t rd[256];
	changeset_init(c);
	size_t l = soa_rdata(rd, from);
	assert_int_equal(changeset_set_soa(c, false, apex, 3600, rd, (uint16_t)l), 0);
	l = soa_rdata(rd, to);
	assert_int_equal(changeset_set_soa(c, true, apex, 3600, rd, (uint16_t)l), 0);
	uint8_t a[4] = { 192, 0, 2, 0 };
	wire_set_u32(a, from);
	assert_int_equal(changeset_del(c, (const uint8_t *)"\3www\7example\3com", RR_A, 300, a, 4), 0);
	wire_set_u32(a, to);
	assert_int_equal(changeset_add(c, (const uint8_t *)"\3www\7example\3com", RR_A, 300, a, 4), 0);
	if (pad > 0) {
		assert_true(pad < 255);
		rd[0] = (uint8_t)pad;
		memset(rd + 1, 'x', pad);
		assert_int_equal(changeset_add(c, (const uint8_t *)"\3txt\7example\3com", RR_TXT, 60, rd,
					       (uint16_t)(pad + 1)), 0);
	}
}

static int
append_one(journal_t *j, uint32_t from, uint32_t to, size_t pad)
{
	changeset_t c;
	make_cs(&c, from, to, pad);
	int r = journal_append(j, &c);
	changeset_clear(&c);
	return r;
}

/* Append serials s -> s+1 for s in [first, first + n). */
static void
append_range(journal_t *j, uint32_t first, size_t n, size_t pad)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(append_one(j, first + (uint32_t)i, first + (uint32_t)i + 1, pad), 0);
}

static off_t
fsize(const char *p)
{
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	return st.st_size;
}

static uint8_t *
slurp(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	uint8_t *b = malloc((size_t)n + 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

static void
spill(const char *p, const uint8_t *b, size_t len)
{
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static bool
file_exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

/* Independent reader: returns the record count, -1 on any format error. */
static long
check_file(const char *p, uint32_t *first, uint32_t *last)
{
	size_t len;
	uint8_t *b = slurp(p, &len);
	long n = -1;
	if (len < 16 || memcmp(b, "FLAMEJNL", 8) != 0 || wire_u32(b + 8) != 1 ||
	    wire_u32(b + 12) != crc32c_bitwise(b, 12))
		goto out;
	size_t off = 16;
	long cnt = 0;
	uint32_t prev_to = 0;
	while (off < len) {
		if (len - off < 24)
			goto out;
		const uint8_t *h = b + off;
		uint32_t pl = wire_u32(h + 4), from = wire_u32(h + 8), to = wire_u32(h + 12);
		if (wire_u32(h) != 0x464c5243u || wire_u32(h + 20) != crc32c_bitwise(h, 20) ||
		    pl > len - off - 24 || wire_u32(h + 16) != crc32c_bitwise(h + 24, pl))
			goto out;
		changeset_t c;
		changeset_init(&c);
		int r = changeset_from_wire(&c, h + 24, pl);
		bool ok = r == 0 && changeset_serial_from(&c) == from && changeset_serial_to(&c) == to;
		changeset_clear(&c);
		if (!ok || (cnt > 0 && from != prev_to))
			goto out;
		if (cnt == 0 && first != NULL)
			*first = from;
		prev_to = to;
		cnt++;
		off += 24 + pl;
	}
	if (last != NULL)
		*last = prev_to;
	n = cnt;
out:
	free(b);
	return n;
}

/* Independent writer: appends one record; hdr_from/hdr_to go into the header. */
static void
tw_record(FILE *f, uint32_t from, uint32_t to, uint32_t hdr_from, uint32_t hdr_to)
{
	changeset_t c;
	make_cs(&c, from, to, 0);
	size_t n = changeset_wire_size(&c);
	uint8_t *b = malloc(24 + n);
	assert_non_null(b);
	assert_int_equal(changeset_to_wire(&c, b + 24, n), (long)n);
	wire_set_u32(b, 0x464c5243u);
	wire_set_u32(b + 4, (uint32_t)n);
	wire_set_u32(b + 8, hdr_from);
	wire_set_u32(b + 12, hdr_to);
	wire_set_u32(b + 16, crc32c_bitwise(b + 24, n));
	wire_set_u32(b + 20, crc32c_bitwise(b, 20));
	assert_int_equal(fwrite(b, 1, 24 + n, f), 24 + n);
	free(b);
	changeset_clear(&c);
}

static FILE *
tw_open(const char *p, uint32_t version)
{
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	uint8_t h[16];
	memcpy(h, "FLAMEJNL", 8);
	wire_set_u32(h + 8, version);
	wire_set_u32(h + 12, crc32c_bitwise(h, 12));
	assert_int_equal(fwrite(h, 1, 16, f), 16);
	return f;
}

typedef struct collect {
	uint32_t from[64], to[64];
	size_t n;
	size_t stop_after; /* 0: never */
} collect_t;

static int
collect_cb(void *ctx, const changeset_t *cs)
{
	collect_t *c = ctx;
	assert_true(c->n < 64);
	c->from[c->n] = changeset_serial_from(cs);
	c->to[c->n] = changeset_serial_to(cs);
	/* the content came back too: the added A holds the new serial */
	assert_int_equal(cs->add.count >= 1, 1);
	assert_int_equal(wire_u32(cs->add.rr[0].rdata), c->to[c->n]);
	c->n++;
	return (c->stop_after != 0 && c->n == c->stop_after) ? 42 : 0;
}

static journal_t *
open_ok(const char *p, const journal_limits_t *lim, char *warn, size_t wl)
{
	journal_t *j = NULL;
	int r = journal_open(p, lim, &j, warn, wl);
	if (r != 0)
		fprintf(stderr, "journal_open(%s): %s [%s]\n", p, fl_strerror(r), warn);
	assert_int_equal(r, 0);
	assert_non_null(j);
	return j;
}

static void
assert_serials(const journal_t *j, uint32_t first, uint32_t last)
{
	uint32_t s;
	assert_int_equal(journal_first_serial(j, &s), 0);
	assert_int_equal(s, first);
	assert_int_equal(journal_last_serial(j, &s), 0);
	assert_int_equal(s, last);
}

/* --- tests ------------------------------------------------------------- */

static void
test_crc_and_format(void **state)
{
	assert_int_equal(crc32c_bitwise((const uint8_t *)"123456789", 9), 0xe3069283u);
	char p[128], warn[512];
	path_of(p, sizeof(p), "fmt.journal");
	journal_t *j = open_ok(p, NULL, warn, sizeof(warn));
	assert_string_equal(warn, "");
	assert_int_equal(journal_count(j), 0);
	uint32_t s;
	assert_int_equal(journal_first_serial(j, &s), FL_ENOENT);
	assert_int_equal(journal_last_serial(j, &s), FL_ENOENT);
	assert_int_equal(fsize(p), 16);
	append_range(j, 1000, 3, 17);
	journal_close(j);
	uint32_t first = 0, last = 0;
	assert_int_equal(check_file(p, &first, &last), 3);
	assert_int_equal(first, 1000);
	assert_int_equal(last, 1003);
}

static void
test_roundtrip(void **state)
{
	char p[128], warn[512];
	path_of(p, sizeof(p), "rt.journal");
	journal_t *j = open_ok(p, NULL, warn, sizeof(warn));
	append_range(j, 1, 5, 40);
	assert_int_equal(journal_count(j), 5);
	assert_serials(j, 1, 6);
	collect_t c = { 0 };
	assert_int_equal(journal_read_from(j, 1, collect_cb, &c), 0);
	assert_int_equal(c.n, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(c.from[i], 1 + i);
		assert_int_equal(c.to[i], 2 + i);
	}
	journal_close(j);

	j = open_ok(p, NULL, warn, sizeof(warn));
	assert_string_equal(warn, "");
	assert_int_equal(journal_count(j), 5);
	assert_serials(j, 1, 6);
	memset(&c, 0, sizeof(c));
	assert_int_equal(journal_read_from(j, 1, collect_cb, &c), 0);
	assert_int_equal(c.n, 5);
	/* and it keeps growing after a reopen */
	assert_int_equal(append_one(j, 6, 7, 0), 0);
	journal_close(j);
	j = open_ok(p, NULL, warn, sizeof(warn));
	assert_serials(j, 1, 7);
	journal_close(j);
	assert_int_equal(check_file(p, NULL, NULL), 6);
}

static void
test_read_each_serial(void **state)
{
	char p[128], warn[512];
	path_of(p, sizeof(p), "each.journal");
	journal_t *j = open_ok(p, NULL, warn, sizeof(warn));
	/* serials wrap around 2^32 inside the journal */
	uint32_t base = 0xfffffffcu;
	append_range(j, base, 8, 0);
	for (uint32_t i = 0; i < 8; i++) {
		collect_t c = { 0 };
		assert_int_equal(journal_read_from(j, base + i, collect_cb, &c), 0);
		assert_int_equal(c.n, 8 - i);
		for (size_t k = 0; k < c.n; k++) {
			assert_int_equal(c.from[k], base + i + (uint32_t)k);
			assert_int_equal(c.to[k], base + i + (uint32_t)k + 1);
		}
	}
	collect_t c = { 0 };
	/* up to date (last serial_to), unknown, older than the journal */
	assert_int_equal(journal_read_from(j, base + 8, collect_cb, &c), FL_ENOENT);
	assert_int_equal(journal_read_from(j, 12345, collect_cb, &c), FL_ENOENT);
	assert_int_equal(journal_read_from(j, base - 1, collect_cb, &c), FL_ENOENT);
	assert_int_equal(c.n, 0);
	/* the callback can stop the walk and its value comes back */
	c.stop_after = 3;
	assert_int_equal(journal_read_from(j, base, collect_cb, &c), 42);
	assert_int_equal(c.n, 3);
	journal_close(j);
}

static void
test_chain_refused(void **state)
{
	char p[128], warn[512];
	path_of(p, sizeof(p), "chain.journal");
	journal_t *j = open_ok(p, NULL, warn, sizeof(warn));
	assert_int_equal(append_one(j, 10, 11, 0), 0);
	off_t sz = fsize(p);
	assert_int_equal(append_one(j, 12, 13, 0), FL_EINVAL); /* gap */
	assert_int_equal(append_one(j, 10, 11, 0), FL_EINVAL); /* replay */
	assert_int_equal(append_one(j, 11, 11, 0), FL_EINVAL); /* no increase */
	assert_int_equal(append_one(j, 11, 5, 0), FL_EINVAL);  /* decrease */
	assert_int_equal(append_one(j, 11, 11 + 0x80000000u, 0), FL_EINVAL); /* undefined in RFC 1982 */
	changeset_t c;
	changeset_init(&c); /* no SOA at all */
	assert_int_equal(journal_append(j, &c), FL_EINVAL);
	changeset_clear(&c);
	assert_int_equal(fsize(p), sz);
	assert_int_equal(journal_count(j), 1);
	assert_int_equal(append_one(j, 11, 12, 0), 0);
	assert_serials(j, 10, 12);
	journal_close(j);
}

static bool
no_tmp_left(void)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	bool ok = true;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (strstr(e->d_name, ".tmp") != NULL)
			ok = false;
	closedir(d);
	return ok;
}

static void
test_limit_records(void **state)
{
	char p[128], warn[512];
	path_of(p, sizeof(p), "lim-count.journal");
	journal_limits_t lim = { 5, 0 };
	journal_t *j = open_ok(p, &lim, warn, sizeof(warn));
	append_range(j, 1, 12, 10);
	assert_int_equal(journal_count(j), 5);
	assert_serials(j, 8, 13);
	collect_t c = { 0 };
	assert_int_equal(journal_read_from(j, 8, collect_cb, &c), 0);
	assert_int_equal(c.n, 5);
	assert_int_equal(journal_read_from(j, 7, collect_cb, &c), FL_ENOENT); /* dropped */
	assert_int_equal(journal_read_from(j, 1, collect_cb, &c), FL_ENOENT);
	memset(&c, 0, sizeof(c));
	assert_int_equal(journal_read_from(j, 12, collect_cb, &c), 0); /* the newest */
	assert_int_equal(c.n, 1);
	assert_int_equal(c.to[0], 13);
	journal_close(j);
	assert_true(no_tmp_left());
	uint32_t first, last;
	assert_int_equal(check_file(p, &first, &last), 5);
	assert_int_equal(first, 8);
	assert_int_equal(last, 13);

	j = open_ok(p, &lim, warn, sizeof(warn));
	assert_string_equal(warn, "");
	assert_int_equal(journal_count(j), 5);
	assert_serials(j, 8, 13);
	/* appending after the reopen trims again and stays readable */
	append_range(j, 13, 2, 10);
	assert_serials(j, 10, 15);
	memset(&c, 0, sizeof(c));
	assert_int_equal(journal_read_from(j, 10, collect_cb, &c), 0);
	assert_int_equal(c.n, 5);
	journal_close(j);
	assert_int_equal(check_file(p, NULL, NULL), 5);
}

static void
test_limit_bytes(void **state)
{
	char p[128], warn[512];
	path_of(p, sizeof(p), "lim-bytes.journal");
	journal_t *j = open_ok(p, NULL, warn, sizeof(warn));
	assert_int_equal(append_one(j, 1, 2, 100), 0);
	size_t rec = (size_t)fsize(p) - 16;
	journal_close(j);
	assert_int_equal(unlink(p), 0);

	journal_limits_t lim = { 0, 16 + 3 * rec + rec / 2 }; /* room for three */
	j = open_ok(p, &lim, warn, sizeof(warn));
	append_range(j, 1, 10, 100);
	assert_int_equal(journal_count(j), 3);
	assert_serials(j, 8, 11);
	assert_true((size_t)fsize(p) <= lim.max_bytes);
	collect_t c = { 0 };
	assert_int_equal(journal_read_from(j, 10, collect_cb, &c), 0);
	assert_int_equal(c.n, 1);
	journal_close(j);
	assert_int_equal(check_file(p, NULL, NULL), 3);
	j = open_ok(p, &lim, warn, sizeof(warn));
	assert_string_equal(warn, "");
	assert_int_equal(journal_count(j), 3);

	/* a changeset larger than the limit still goes in, alone */
	journal_close(j);
	lim.max_bytes = 100;
	j = open_ok(p, &lim, warn, sizeof(warn));
	assert_int_equal(journal_count(j), 3); /* opening does not trim */
	assert_int_equal(append_one(j, 11, 12, 200), 0);
	assert_int_equal(journal_count(j), 1);
	assert_serials(j, 11, 12);
	assert_int_equal(append_one(j, 12, 13, 200), 0);
	assert_int_equal(journal_count(j), 1);
	assert_serials(j, 12, 13);
	assert_true(fsize(p) > 100);
	memset(&c, 0, sizeof(c));
	assert_int_equal(journal_read_from(j, 12, collect_cb, &c), 0);
	assert_int_equal(c.n, 1);
	journal_close(j);
	assert_int_equal(check_file(p, NULL, NULL), 1);
	assert_true(no_tmp_left());
}

static void
test_truncate_every_offset(void **state)
{
	char p[128], warn[512], want[256];
	path_of(p, sizeof(p), "torn.journal");
	journal_t *j = open_ok(p, NULL, warn, sizeof(warn));
	append_range(j, 1, 3, 20);
	size_t last_off = (size_t)fsize(p);
	assert_int_equal(append_one(j, 4, 5, 150), 0);
	journal_close(j);
	size_t len;
	uint8_t *orig = slurp(p, &len);
	assert_true(len - last_off > 200);

	/* a cut exactly at a record boundary is a clean, shorter journal */
	spill(p, orig, last_off);
	j = open_ok(p, NULL, warn, sizeof(warn));
	assert_string_equal(warn, "");
	assert_int_equal(journal_count(j), 3);
	journal_close(j);

	for (size_t cut = last_off + 1; cut < len; cut++) {
		spill(p, orig, cut);
		j = open_ok(p, NULL, warn, sizeof(warn));
		assert_int_equal(journal_count(j), 3);
		assert_serials(j, 1, 4);
		snprintf(want, sizeof(want),
			 "journal %s: record 4 at offset %zu is corrupt (truncated %s), cut back to serial 4; 1 record (%zu "
			 "bytes) dropped",
			 p, last_off, cut - last_off < 24 ? "header" : "payload", cut - last_off);
		assert_string_equal(warn, want);
		assert_int_equal((size_t)fsize(p), last_off); /* cut on disk */
		journal_close(j);
	}
	/* the cut journal is clean and takes the next record again */
	j = open_ok(p, NULL, warn, sizeof(warn));
	assert_string_equal(warn, "");
	assert_int_equal(append_one(j, 4, 5, 0), 0);
	journal_close(j);
	assert_int_equal(check_file(p, NULL, NULL), 4);
	free(orig);
}

static void
test_flip_middle(void **state)
{
	char p[128], warn[512], want[256];
	path_of(p, sizeof(p), "flip.journal");
	size_t off[6];
	journal_t *j = open_ok(p, NULL, warn, sizeof(warn));
	for (uint32_t i = 0; i < 5; i++) {
		off[i] = (size_t)fsize(p);
		assert_int_equal(append_one(j, 1 + i, 2 + i, 30), 0);
	}
	off[5] = (size_t)fsize(p);
	journal_close(j);
	size_t len;
	uint8_t *orig = slurp(p, &len);

	/* payload byte of record 3: cut back to record 2, three records dropped */
	uint8_t *m = malloc(len);
	memcpy(m, orig, len);
	m[off[2] + 24 + (off[3] - off[2] - 24) / 2] ^= 0x10;
	spill(p, m, len);
	j = open_ok(p, NULL, warn, sizeof(warn));
	assert_int_equal(journal_count(j), 2);
	assert_serials(j, 1, 3);
	snprintf(want, sizeof(want),
		 "journal %s: record 3 at offset %zu is corrupt (checksum), cut back to serial 3; 3 records (%zu bytes) "
		 "dropped",
		 p, off[2], len - off[2]);
	assert_string_equal(warn, want);
	collect_t c = { 0 };
	assert_int_equal(journal_read_from(j, 3, collect_cb, &c), FL_ENOENT);
	journal_close(j);
	assert_int_equal((size_t)fsize(p), off[2]);

	/* header byte of record 3: what follows cannot be counted exactly */
	memcpy(m, orig, len);
	m[off[2] + 9] ^= 0x01; /* serial_from */
	spill(p, m, len);
	j = open_ok(p, NULL, warn, sizeof(warn));
	assert_int_equal(journal_count(j), 2);
	assert_non_null(strstr(warn, "(header checksum), cut back to serial 3; at least 1 record"));
	journal_close(j);

	/* first record damaged: nothing is left */
	memcpy(m, orig, len);
	m[off[0] + 30] ^= 0xff;
	spill(p, m, len);
	j = open_ok(p, NULL, warn, sizeof(warn));
	assert_int_equal(journal_count(j), 0);
	assert_non_null(strstr(warn, "record 1 at offset 16 is corrupt (checksum), cut back to an empty journal; 5 "
				     "records"));
	journal_close(j);
	assert_int_equal(fsize(p), 16);
	free(m);
	free(orig);
}

/* Records with sound checksums but a broken chain or lying headers. */
static void
test_semantic_damage(void **state)
{
	char p[128], warn[512];
	path_of(p, sizeof(p), "sem.journal");

	FILE *f = tw_open(p, 1);
	tw_record(f, 1, 2, 1, 2);
	tw_record(f, 2, 3, 2, 3);
	tw_record(f, 4, 5, 4, 5); /* gap */
	tw_record(f, 5, 6, 5, 6);
	assert_int_equal(fclose(f), 0);
	journal_t *j = open_ok(p, NULL, warn, sizeof(warn));
	assert_int_equal(journal_count(j), 2);
	assert_non_null(strstr(warn, "record 3 at offset"));
	assert_non_null(strstr(warn, "(serial chain gap), cut back to serial 3; 2 records"));
	journal_close(j);

	f = tw_open(p, 1);
	tw_record(f, 1, 2, 1, 2);
	tw_record(f, 2, 3, 2, 4); /* header says 4, payload says 3 */
	assert_int_equal(fclose(f), 0);
	j = open_ok(p, NULL, warn, sizeof(warn));
	assert_int_equal(journal_count(j), 1);
	assert_non_null(strstr(warn, "(header serials differ from the changeset)"));
	journal_close(j);

	f = tw_open(p, 1);
	tw_record(f, 7, 7, 7, 7); /* no increase */
	assert_int_equal(fclose(f), 0);
	j = open_ok(p, NULL, warn, sizeof(warn));
	assert_int_equal(journal_count(j), 0);
	assert_non_null(strstr(warn, "(serial does not increase)"));
	journal_close(j);

	/* trailing garbage after good records */
	f = tw_open(p, 1);
	tw_record(f, 1, 2, 1, 2);
	assert_int_equal(fwrite("garbage-garbage-garbage-garbage", 1, 31, f), 31);
	assert_int_equal(fclose(f), 0);
	j = open_ok(p, NULL, warn, sizeof(warn));
	assert_int_equal(journal_count(j), 1);
	assert_non_null(strstr(warn, "(bad record magic), cut back to serial 2; at least 1 record (31 bytes)"));
	journal_close(j);
}

static void
test_foreign_files(void **state)
{
	char p[128], warn[512];
	journal_t *j = (journal_t *)&j;
	path_of(p, sizeof(p), "foreign.journal");

	/* garbage is refused and left untouched */
	uint8_t junk[4096];
	uint32_t seed = 1;
	for (size_t i = 0; i < sizeof(junk); i++) {
		seed = seed * 1103515245u + 12345u;
		junk[i] = (uint8_t)(seed >> 16);
	}
	spill(p, junk, sizeof(junk));
	assert_int_equal(journal_open(p, NULL, &j, warn, sizeof(warn)), FL_EMALF);
	assert_null(j);
	assert_non_null(strstr(warn, "not a journal file (bad magic); refusing to touch it"));
	size_t len;
	uint8_t *back = slurp(p, &len);
	assert_int_equal(len, sizeof(junk));
	assert_memory_equal(back, junk, len);
	free(back);

	/* short garbage too */
	spill(p, (const uint8_t *)"hello", 5);
	assert_int_equal(journal_open(p, NULL, &j, warn, sizeof(warn)), FL_EMALF);
	assert_non_null(strstr(warn, "not a journal file (5 bytes"));
	assert_int_equal(fsize(p), 5);

	/* right magic, broken file header checksum */
	FILE *f = tw_open(p, 1);
	assert_int_equal(fclose(f), 0);
	back = slurp(p, &len);
	back[13] ^= 1;
	spill(p, back, len);
	free(back);
	assert_int_equal(journal_open(p, NULL, &j, warn, sizeof(warn)), FL_EMALF);
	assert_non_null(strstr(warn, "file header checksum mismatch"));

	/* another format version */
	f = tw_open(p, 2);
	tw_record(f, 1, 2, 1, 2);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(journal_open(p, NULL, &j, warn, sizeof(warn)), FL_ENOTSUP);
	assert_non_null(strstr(warn, "format version 2 is not supported"));

	/* empty file, or a torn prefix of our header: reset with a warning */
	spill(p, (const uint8_t *)"", 0);
	j = open_ok(p, NULL, warn, sizeof(warn));
	assert_non_null(strstr(warn, "reset to an empty journal"));
	assert_int_equal(journal_count(j), 0);
	journal_close(j);
	assert_int_equal(check_file(p, NULL, NULL), 0);
	spill(p, (const uint8_t *)"FLAMEJ", 6);
	j = open_ok(p, NULL, warn, sizeof(warn));
	assert_non_null(strstr(warn, "(6 bytes), reset to an empty journal"));
	assert_int_equal(append_one(j, 1, 2, 0), 0);
	journal_close(j);
	assert_int_equal(check_file(p, NULL, NULL), 1);

	/* a missing directory is an error with a message */
	path_of(p, sizeof(p), "no/such/dir.journal");
	assert_int_equal(journal_open(p, NULL, &j, warn, sizeof(warn)), -ENOENT);
	assert_non_null(strstr(warn, "cannot create"));
}

static void
test_lock_and_stale_tmp(void **state)
{
	char p[128], t[160], warn[512];
	path_of(p, sizeof(p), "lock.journal");
	journal_t *j = open_ok(p, NULL, warn, sizeof(warn));
	journal_t *k = NULL;
	assert_int_equal(journal_open(p, NULL, &k, warn, sizeof(warn)), -EBUSY);
	assert_null(k);
	assert_non_null(strstr(warn, "in use"));
	assert_int_equal(append_one(j, 1, 2, 0), 0);
	journal_close(j);

	/* a rewrite that crashed before its rename left a temp file behind */
	snprintf(t, sizeof(t), "%s.tmp", p);
	spill(t, (const uint8_t *)"half a rewrite", 14);
	j = open_ok(p, NULL, warn, sizeof(warn));
	assert_string_equal(warn, "");
	assert_false(file_exists(t));
	assert_int_equal(journal_count(j), 1);
	journal_close(j);
}

static void
test_disk_changed(void **state)
{
	char p[128], warn[512];
	path_of(p, sizeof(p), "changed.journal");
	size_t off[5];
	journal_t *j = open_ok(p, NULL, warn, sizeof(warn));
	for (uint32_t i = 0; i < 4; i++) {
		off[i] = (size_t)fsize(p);
		assert_int_equal(append_one(j, 1 + i, 2 + i, 8), 0);
	}
	off[4] = (size_t)fsize(p);

	/*
	 * Damage record 3 behind the journal's back: the last TXT byte, so that
	 * only the checksum can tell; then a byte that also breaks the parse.
	 */
	int fd = open(p, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "X", 1, (off_t)(off[3] - 1)), 1);
	collect_t c = { 0 };
	assert_int_equal(journal_read_from(j, 1, collect_cb, &c), FL_EMALF);
	assert_int_equal(c.n, 2); /* records 1 and 2, nothing after the damage */
	assert_int_equal(pwrite(fd, "x", 1, (off_t)(off[3] - 1)), 1);
	memset(&c, 0, sizeof(c));
	assert_int_equal(journal_read_from(j, 1, collect_cb, &c), 0); /* repaired */
	assert_int_equal(c.n, 4);
	assert_int_equal(pwrite(fd, "\x40", 1, (off_t)(off[2] + 24)), 1); /* label length 64 */
	memset(&c, 0, sizeof(c));
	assert_int_equal(journal_read_from(j, 2, collect_cb, &c), FL_EMALF);
	assert_int_equal(c.n, 1);
	/* the file shrank under us */
	assert_int_equal(ftruncate(fd, (off_t)(off[4] - 5)), 0);
	memset(&c, 0, sizeof(c));
	assert_int_equal(journal_read_from(j, 4, collect_cb, &c), FL_EMALF);
	assert_int_equal(c.n, 0);
	journal_close(j);
	assert_int_equal(close(fd), 0);
}

static void
test_damage_during_trim(void **state)
{
	char p[128], warn[512];
	path_of(p, sizeof(p), "trimdmg.journal");
	journal_limits_t lim = { 3, 0 };
	size_t off[4];
	journal_t *j = open_ok(p, &lim, warn, sizeof(warn));
	for (uint32_t i = 0; i < 3; i++) {
		off[i] = (size_t)fsize(p);
		assert_int_equal(append_one(j, 1 + i, 2 + i, 8), 0);
	}
	off[3] = (size_t)fsize(p);
	int fd = open(p, O_RDWR);
	assert_true(fd >= 0);
	uint8_t b = 0xee;
	assert_int_equal(pwrite(fd, &b, 1, (off_t)(off[2] + 30)), 1);
	assert_int_equal(close(fd), 0);
	/* the trim would copy record 3: refused, file and index unchanged */
	assert_int_equal(append_one(j, 4, 5, 8), FL_EMALF);
	assert_int_equal(journal_count(j), 3);
	assert_int_equal((size_t)fsize(p), off[3]);
	assert_true(no_tmp_left());
	journal_close(j);
	/* reopening cuts the damage off; appending works again */
	j = open_ok(p, &lim, warn, sizeof(warn));
	assert_int_equal(journal_count(j), 2);
	assert_non_null(strstr(warn, "record 3"));
	assert_int_equal(append_one(j, 3, 4, 8), 0);
	journal_close(j);
}

/* Writes that fail (file size limit, like a full disk) leave the journal as it was. */
static void
test_write_failure(void **state)
{
	char p[128], warn[512];
	path_of(p, sizeof(p), "efbig.journal");
	journal_limits_t lim = { 3, 0 };
	journal_t *j = open_ok(p, &lim, warn, sizeof(warn));
	append_range(j, 1, 2, 50);
	off_t sz = fsize(p);

	struct rlimit old, small;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
	small = old;
	small.rlim_cur = (rlim_t)sz + 40; /* room for a torn part of the next record */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	assert_int_equal(append_one(j, 3, 4, 50), -EFBIG); /* in place */
	assert_int_equal(fsize(p), sz);
	assert_int_equal(journal_count(j), 2);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(append_one(j, 3, 4, 50), 0); /* not broken: works again */
	assert_int_equal(journal_count(j), 3);

	/* the next append trims; its temp file cannot be written */
	sz = fsize(p);
	small.rlim_cur = 100;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	assert_int_equal(append_one(j, 4, 5, 50), -EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(fsize(p), sz);
	assert_int_equal(journal_count(j), 3);
	assert_true(no_tmp_left());
	assert_int_equal(append_one(j, 4, 5, 50), 0);
	assert_serials(j, 2, 5);
	journal_close(j);
	assert_int_equal(check_file(p, NULL, NULL), 3);
	signal(SIGXFSZ, prev);
}

static double
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
test_large_open(void **state)
{
	char p[128], warn[512];
	path_of(p, sizeof(p), "large.journal");
	const uint32_t n = 50000;
	FILE *f = tw_open(p, 1);
	for (uint32_t i = 0; i < n; i++)
		tw_record(f, 100 + i, 101 + i, 100 + i, 101 + i);
	assert_int_equal(fclose(f), 0);

	journal_limits_t unlimited = { 0, 0 };
	double t0 = now_ms();
	journal_t *j = open_ok(p, &unlimited, warn, sizeof(warn));
	double t1 = now_ms();
	printf("    journal of %u records (%lld bytes) opened and verified in %.1f ms\n", n, (long long)fsize(p),
	       t1 - t0);
	assert_string_equal(warn, "");
	assert_int_equal(journal_count(j), n);
	assert_serials(j, 100, 100 + n);
	assert_true(t1 - t0 < 20000.0); /* generous: sanitizer builds, shared machine */
	collect_t c = { 0 };
	assert_int_equal(journal_read_from(j, 100 + n - 3, collect_cb, &c), 0);
	assert_int_equal(c.n, 3);
	journal_close(j);

	/* the default limits trim it to the newest 100 on the next append */
	j = open_ok(p, NULL, warn, sizeof(warn));
	assert_int_equal(journal_count(j), n);
	t0 = now_ms();
	assert_int_equal(append_one(j, 100 + n, 101 + n, 0), 0);
	t1 = now_ms();
	printf("    appending trimmed it to %zu records in %.1f ms\n", journal_count(j), t1 - t0);
	assert_int_equal(journal_count(j), JOURNAL_DEFAULT_MAX_RECORDS);
	assert_serials(j, 101 + n - 100, 101 + n);
	journal_close(j);
	uint32_t first, last;
	assert_int_equal(check_file(p, &first, &last), 100);
	assert_int_equal(first, 101 + n - 100);
	assert_int_equal(last, 101 + n);
	assert_int_equal(unlink(p), 0);
}

static int
setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test_journal-XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return -1;
	struct dirent *e;
	char p[512];
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (unlink(p) != 0)
			fprintf(stderr, "cannot remove %s\n", p);
	}
	closedir(d);
	return rmdir(dir);
}

/* journal_append_many: a chain in one flush, durable across a reopen; a
 * break in the chain stops there, the ones before it kept; trimming to the
 * limits still happens inside the batch. */
static void
test_append_many(void **state)
{
	char p[128], warn[512];
	path_of(p, sizeof(p), "many.journal");
	journal_t *j = open_ok(p, NULL, warn, sizeof(warn));
	changeset_t cs[6];
	changeset_t *pc[6];
	for (int i = 0; i < 6; i++) {
		make_cs(&cs[i], 100 + (uint32_t)i, 101 + (uint32_t)i, 0);
		pc[i] = &cs[i];
	}
	size_t done = 99;
	assert_int_equal(journal_append_many(j, pc, 4, &done), 0);
	assert_int_equal(done, 4);
	assert_serials(j, 100, 104);
	journal_close(j);
	j = open_ok(p, NULL, warn, sizeof(warn));
	assert_int_equal(journal_count(j), 4);
	assert_serials(j, 100, 104);
	/* 104->105, then 100->101 again: the second breaks the chain */
	changeset_t *bad[] = { pc[4], pc[0], pc[5] };
	assert_int_equal(journal_append_many(j, bad, 3, &done), FL_EINVAL);
	assert_int_equal(done, 1);
	assert_serials(j, 100, 105);
	journal_close(j);
	j = open_ok(p, NULL, warn, sizeof(warn));
	assert_serials(j, 100, 105);
	journal_close(j);
	/* limits: 3 records kept of 6 appended in one call */
	path_of(p, sizeof(p), "many-trim.journal");
	journal_limits_t lim = { 3, 1 << 20 };
	j = open_ok(p, &lim, warn, sizeof(warn));
	assert_int_equal(journal_append_many(j, pc, 6, &done), 0);
	assert_int_equal(done, 6);
	assert_int_equal(journal_count(j), 3);
	assert_serials(j, 103, 106);
	journal_close(j);
	j = open_ok(p, &lim, warn, sizeof(warn));
	assert_serials(j, 103, 106);
	journal_close(j);
	for (int i = 0; i < 6; i++)
		changeset_clear(&cs[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc_and_format),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_read_each_serial),
		cmocka_unit_test(test_chain_refused),
		cmocka_unit_test(test_append_many),
		cmocka_unit_test(test_limit_records),
		cmocka_unit_test(test_limit_bytes),
		cmocka_unit_test(test_truncate_every_offset),
		cmocka_unit_test(test_flip_middle),
		cmocka_unit_test(test_semantic_damage),
		cmocka_unit_test(test_foreign_files),
		cmocka_unit_test(test_lock_and_stale_tmp),
		cmocka_unit_test(test_disk_changed),
		cmocka_unit_test(test_damage_during_trim),
		cmocka_unit_test(test_write_failure),
		cmocka_unit_test(test_large_open),
	};
	return cmocka_run_group_tests_name("journal", tests, setup, teardown);
}
