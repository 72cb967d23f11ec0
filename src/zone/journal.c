/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Per-zone journal file (format and guarantees in journal.h). The in-memory
 * state is only an index (offset, length, serials) per record; payloads are
 * read from disk when a reader asks for them, so a journal of any size costs
 * 24 bytes of memory per record. Not thread-safe: one owner.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dns/rrtype.h"
#include "dns/wire.h"
#include "util/crc32c.h"
#include "util/err.h"
#include "util/fileio.h"
#include "zone/journal.h"

#define FILE_HDR_LEN 16u
#define REC_HDR_LEN 24u
#define FORMAT_VERSION 1u
#define REC_MAGIC 0x464c5243u /* "FLRC" */
#define SCAN_CHUNK ((size_t)1 << 20) /* read-ahead of the open-time scan */

static const uint8_t file_magic[8] = { 'F', 'L', 'A', 'M', 'E', 'J', 'N', 'L' };

/** Index entry of one record. */
typedef struct rec {
	uint64_t off;  /*!< file offset of the record header */
	uint32_t len;  /*!< payload length */
	uint32_t from; /*!< serial_from */
	uint32_t to;   /*!< serial_to */
} rec_t;

struct journal {
	int fd;               /*!< the journal file, locked with flock */
	char *path;           /*!< journal path */
	char *tmp_path;       /*!< path + ".tmp", for rewrites */
	char *dir_path;       /*!< directory of path, fsynced after a rename */
	journal_limits_t lim; /*!< 0 fields are unlimited */
	rec_t *rec;           /*!< index, oldest first */
	size_t count, cap;
	uint64_t end;         /*!< file size = offset of the next record */
	int broken;           /*!< 0, or the I/O error that made appends unsafe */
};

/** Sequential reader with a read-ahead window, for the open-time scan. */
typedef struct reader {
	int fd;
	uint64_t size; /*!< file size */
	uint8_t *buf;
	size_t cap;
	uint64_t boff; /*!< file offset of buf[0] */
	size_t blen;   /*!< valid bytes in buf */
} reader_t;

/*
 * RFC 1982: a > b, false when undefined (exactly 2^31 apart). Same rule as
 * serial_gt() in zone/serial.h, kept local so the journal has no dependency
 * beyond the changeset.
 */
static bool
serial_increases(uint32_t a, uint32_t b)
{
	uint32_t d = a - b;
	return d != 0 && d < 0x80000000u;
}

static void msg(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
msg(char *buf, size_t len, const char *fmt, ...)
{
	if (buf == NULL || len == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	(void)vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static int
grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : 16;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / elem)
			return FL_ENOMEM;
		ncap *= 2;
	}
	void *n = realloc(*p, ncap * elem);
	if (n == NULL)
		return FL_ENOMEM;
	*p = n;
	*cap = ncap;
	return 0;
}

static void
file_hdr_put(uint8_t *b)
{
	memcpy(b, file_magic, sizeof(file_magic));
	wire_set_u32(b + 8, FORMAT_VERSION);
	wire_set_u32(b + 12, crc32c(b, 12));
}

static void
rec_hdr_put(uint8_t *b, uint32_t len, uint32_t from, uint32_t to, uint32_t pcrc)
{
	wire_set_u32(b, REC_MAGIC);
	wire_set_u32(b + 4, len);
	wire_set_u32(b + 8, from);
	wire_set_u32(b + 12, to);
	wire_set_u32(b + 16, pcrc);
	wire_set_u32(b + 20, crc32c(b, 20));
}

/* Decode a record header; NULL if sound, else the reason (for messages). */
static const char *
rec_hdr_get(const uint8_t *b, rec_t *r, uint32_t *pcrc)
{
	if (wire_u32(b) != REC_MAGIC)
		return "bad record magic";
	if (wire_u32(b + 20) != crc32c(b, 20))
		return "header checksum";
	r->len = wire_u32(b + 4);
	r->from = wire_u32(b + 8);
	r->to = wire_u32(b + 12);
	*pcrc = wire_u32(b + 16);
	return NULL;
}

/*
 * Check a whole record read back from disk (header and payload in rec)
 * against its index entry: both checksums and the header fields. The
 * payload is not parsed here.
 */
static bool
rec_matches(const uint8_t *rec, const rec_t *want)
{
	rec_t got;
	uint32_t pcrc;
	if (rec_hdr_get(rec, &got, &pcrc) != NULL)
		return false;
	return got.len == want->len && got.from == want->from && got.to == want->to &&
	       crc32c(rec + REC_HDR_LEN, want->len) == pcrc;
}

/* Parse a payload and check its SOAs against the header; NULL or reason. */
static const char *
payload_check(changeset_t *cs, const uint8_t *p, uint32_t len, const rec_t *r, int *err)
{
	*err = changeset_from_wire(cs, p, len);
	if (*err == FL_ENOMEM)
		return "out of memory";
	if (*err != 0)
		return "unparsable changeset";
	if (changeset_serial_from(cs) != r->from || changeset_serial_to(cs) != r->to) {
		*err = FL_EMALF;
		return "header serials differ from the changeset";
	}
	return NULL;
}

/* Make file bytes [off, off + len) available at *p; off + len <= size. */
static int
reader_get(reader_t *r, uint64_t off, size_t len, const uint8_t **p)
{
	if (off >= r->boff && off - r->boff <= r->blen && len <= r->blen - (off - r->boff)) {
		*p = r->buf + (off - r->boff);
		return 0;
	}
	size_t want = len > SCAN_CHUNK ? len : SCAN_CHUNK;
	if (want > r->size - off)
		want = (size_t)(r->size - off);
	void *b = r->buf;
	int ret = grow(&b, &r->cap, want, 1);
	r->buf = b;
	if (ret != 0)
		return ret;
	r->blen = 0;
	ret = fio_pread_all(r->fd, r->buf, want, off);
	if (ret != 0)
		return ret;
	r->boff = off;
	r->blen = want;
	*p = r->buf;
	return 0;
}

/*
 * Count what lies from the damaged record at off to the end of the file by
 * walking headers that still look sound. Only for the message: exact when
 * the walk lands on the end of the file, else a lower bound.
 */
static size_t
count_dropped(reader_t *r, uint64_t off, bool *exact)
{
	const uint8_t *h;
	rec_t x;
	uint32_t pcrc;
	size_t n = 1;
	*exact = false;
	if (r->size - off < REC_HDR_LEN) {
		*exact = true; /* a torn header */
		return 1;
	}
	if (reader_get(r, off, REC_HDR_LEN, &h) != 0 || rec_hdr_get(h, &x, &pcrc) != NULL)
		return 1;
	for (;;) {
		if (x.len > r->size - off - REC_HDR_LEN) {
			*exact = true; /* a torn payload */
			return n;
		}
		off += REC_HDR_LEN + (uint64_t)x.len;
		if (off == r->size) {
			*exact = true;
			return n;
		}
		if (r->size - off < REC_HDR_LEN) {
			*exact = true;
			return n + 1;
		}
		if (reader_get(r, off, REC_HDR_LEN, &h) != 0 || rec_hdr_get(h, &x, &pcrc) != NULL)
			return n + 1;
		n++;
	}
}

/*
 * Scan every record from the file header on, building the index. At the
 * first bad record, cut the file there (ftruncate + fsync) and warn.
 */
static int
scan(journal_t *j, uint64_t size, char *warn, size_t warnlen)
{
	reader_t r = { .fd = j->fd, .size = size };
	changeset_t cs;
	changeset_init(&cs);
	uint64_t off = FILE_HDR_LEN;
	const char *why = NULL;
	int ret = 0;
	while (off < size) {
		const uint8_t *p;
		rec_t x;
		uint32_t pcrc;
		if (size - off < REC_HDR_LEN) {
			why = "truncated header";
			break;
		}
		if ((ret = reader_get(&r, off, REC_HDR_LEN, &p)) != 0)
			goto fail;
		if ((why = rec_hdr_get(p, &x, &pcrc)) != NULL)
			break;
		if (x.len > size - off - REC_HDR_LEN) {
			why = "truncated payload";
			break;
		}
		if ((ret = reader_get(&r, off + REC_HDR_LEN, x.len, &p)) != 0)
			goto fail;
		if (crc32c(p, x.len) != pcrc) {
			why = "checksum";
			break;
		}
		why = payload_check(&cs, p, x.len, &x, &ret);
		changeset_clear(&cs);
		changeset_init(&cs);
		if (ret == FL_ENOMEM)
			goto fail;
		if (why != NULL)
			break;
		if (!serial_increases(x.to, x.from)) {
			why = "serial does not increase";
			break;
		}
		if (j->count > 0 && x.from != j->rec[j->count - 1].to) {
			why = "serial chain gap";
			break;
		}
		void *idx = j->rec;
		ret = grow(&idx, &j->cap, j->count + 1, sizeof(rec_t));
		j->rec = idx;
		if (ret != 0)
			goto fail;
		x.off = off;
		j->rec[j->count++] = x;
		off += REC_HDR_LEN + (uint64_t)x.len;
	}
	ret = 0;
	if (why != NULL) {
		bool exact;
		size_t dropped = count_dropped(&r, off, &exact);
		if (ftruncate(j->fd, (off_t)off) != 0 || fsync(j->fd) != 0) {
			ret = -errno;
			msg(warn, warnlen, "journal %s: record %zu at offset %llu is corrupt (%s), cutting it off failed (%s)",
			    j->path, j->count + 1, (unsigned long long)off, why, fl_strerror(ret));
			goto fail;
		}
		char to[64];
		if (j->count > 0)
			snprintf(to, sizeof(to), "serial %u", j->rec[j->count - 1].to);
		else
			snprintf(to, sizeof(to), "an empty journal");
		msg(warn, warnlen,
		    "journal %s: record %zu at offset %llu is corrupt (%s), cut back to %s; %s%zu record%s (%llu bytes) dropped",
		    j->path, j->count + 1, (unsigned long long)off, why, to, exact ? "" : "at least ", dropped,
		    dropped == 1 ? "" : "s", (unsigned long long)(size - off));
	}
	j->end = off;
fail:
	if (ret != 0 && why == NULL)
		msg(warn, warnlen, "journal %s: cannot read record %zu at offset %llu (%s)", j->path, j->count + 1,
		    (unsigned long long)off, fl_strerror(ret));
	changeset_clear(&cs);
	free(r.buf);
	return ret;
}

/* Open <path>.tmp fresh, lock it and write the file header. */
static int
tmp_create(journal_t *j, int *fdp)
{
	uint8_t h[FILE_HDR_LEN];
	int ret;
	int fd = open(j->tmp_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		ret = -errno;
		goto fail;
	}
	file_hdr_put(h);
	if ((ret = fio_pwrite_all(fd, h, sizeof(h), 0)) != 0)
		goto fail;
	*fdp = fd;
	return 0;
fail:
	(void)close(fd);
	(void)unlink(j->tmp_path);
	return ret;
}

/*
 * Make the fully written temporary file the journal: fsync it, rename it
 * over the journal, fsync the directory. *renamed tells whether the rename
 * happened (then the journal path names the new file even if the directory
 * fsync failed). On failure before the rename the temp file is removed; fd
 * is never closed here.
 */
static int
tmp_commit(journal_t *j, int fd, bool *renamed)
{
	*renamed = false;
	if (fsync(fd) != 0 || rename(j->tmp_path, j->path) != 0) {
		int ret = -errno;
		(void)unlink(j->tmp_path);
		return ret;
	}
	*renamed = true;
	return fio_fsync_dir(j->dir_path);
}

/*
 * Replace the journal by records keep..count-1 followed by the new record
 * rec (rec_len bytes, header included; NULL for none), through the
 * temporary file. The index and fd switch to the new file once it is in
 * place. Each kept record is checked while copied so that damage on disk is
 * never carried into the new file.
 */
static int
rewrite(journal_t *j, size_t keep, const uint8_t *rec, size_t rec_len)
{
	int fd = -1, ret;
	uint8_t *buf = NULL;
	size_t bcap = 0;
	size_t n = j->count - keep + (rec != NULL ? 1 : 0);
	rec_t *idx = malloc((n ? n : 1) * sizeof(*idx));
	if (idx == NULL)
		return FL_ENOMEM;
	if ((ret = tmp_create(j, &fd)) != 0)
		goto fail;
	uint64_t off = FILE_HDR_LEN;
	size_t k = 0;
	for (size_t i = keep; i < j->count; i++, k++) {
		const rec_t *o = &j->rec[i];
		size_t rl = REC_HDR_LEN + (size_t)o->len;
		void *b = buf;
		ret = grow(&b, &bcap, rl, 1);
		buf = b;
		if (ret != 0)
			goto fail_tmp;
		if ((ret = fio_pread_all(j->fd, buf, rl, o->off)) != 0)
			goto fail_tmp;
		if (!rec_matches(buf, o)) {
			ret = FL_EMALF;
			goto fail_tmp;
		}
		if ((ret = fio_pwrite_all(fd, buf, rl, off)) != 0)
			goto fail_tmp;
		idx[k] = *o;
		idx[k].off = off;
		off += rl;
	}
	if (rec != NULL) {
		if ((ret = fio_pwrite_all(fd, rec, rec_len, off)) != 0)
			goto fail_tmp;
		rec_t x;
		uint32_t pcrc;
		(void)rec_hdr_get(rec, &x, &pcrc); /* built by us, sound */
		x.off = off;
		idx[k++] = x;
		off += rec_len;
	}
	bool renamed;
	ret = tmp_commit(j, fd, &renamed);
	if (!renamed)
		goto fail_close;
	/* The path names the new file now: adopt it even if the directory fsync failed. */
	(void)close(j->fd);
	j->fd = fd;
	free(j->rec);
	j->rec = idx;
	j->count = n;
	j->cap = n ? n : 1;
	j->end = off;
	free(buf);
	if (ret != 0)
		j->broken = ret;
	return ret;
fail_tmp:
	(void)unlink(j->tmp_path);
fail_close:
	(void)close(fd);
fail:
	free(buf);
	free(idx);
	return ret;
}

/* Is a journal of n records and bytes file size over the limits? */
static bool
over_limits(const journal_limits_t *lim, size_t n, uint64_t bytes)
{
	return (lim->max_records != 0 && n > lim->max_records) || (lim->max_bytes != 0 && bytes > lim->max_bytes);
}

/*
 * Open the file (creating an empty journal if missing), lock it and check
 * the file header. *size receives the file size.
 */
static int
open_file(journal_t *j, uint64_t *size, char *warn, size_t warnlen)
{
	int ret;
	uint8_t want[FILE_HDR_LEN], got[FILE_HDR_LEN];
	file_hdr_put(want);
	j->fd = open(j->path, O_RDWR | O_CLOEXEC);
	if (j->fd < 0 && errno == ENOENT) {
		int fd;
		bool renamed;
		if ((ret = tmp_create(j, &fd)) == 0) {
			ret = tmp_commit(j, fd, &renamed);
			if (renamed)
				j->fd = fd;
			else
				(void)close(fd);
		}
		if (ret != 0) {
			msg(warn, warnlen, "journal %s: cannot create (%s)", j->path, fl_strerror(ret));
			return ret;
		}
		*size = FILE_HDR_LEN;
		return 0;
	}
	if (j->fd < 0) {
		ret = -errno;
		msg(warn, warnlen, "journal %s: cannot open (%s)", j->path, fl_strerror(ret));
		return ret;
	}
	if (flock(j->fd, LOCK_EX | LOCK_NB) != 0) {
		ret = errno == EWOULDBLOCK ? -EBUSY : -errno;
		msg(warn, warnlen, "journal %s: cannot lock, in use by another process or handle (%s)", j->path,
		    fl_strerror(ret));
		return ret;
	}
	/* A leftover of a rewrite that crashed before its rename; we hold the lock. */
	(void)unlink(j->tmp_path);
	struct stat st;
	if (fstat(j->fd, &st) != 0) {
		ret = -errno;
		msg(warn, warnlen, "journal %s: cannot stat (%s)", j->path, fl_strerror(ret));
		return ret;
	}
	*size = (uint64_t)st.st_size;
	size_t have = *size < FILE_HDR_LEN ? (size_t)*size : FILE_HDR_LEN;
	if ((ret = fio_pread_all(j->fd, got, have, 0)) != 0) {
		msg(warn, warnlen, "journal %s: cannot read the file header (%s)", j->path, fl_strerror(ret));
		return ret;
	}
	if (have < FILE_HDR_LEN) {
		/*
		 * Empty, or a prefix of our own header: a file we were creating
		 * in place (older layouts) or one the operator touched. Safe to
		 * reset since it holds no record. Anything else is not ours.
		 */
		if (memcmp(got, want, have) != 0) {
			msg(warn, warnlen, "journal %s: not a journal file (%zu bytes, bad magic); refusing to touch it, "
			    "move it away to start a new journal", j->path, have);
			return FL_EMALF;
		}
		ret = fio_pwrite_all(j->fd, want, sizeof(want), 0);
		if (ret == 0 && fsync(j->fd) != 0)
			ret = -errno;
		if (ret != 0) {
			msg(warn, warnlen, "journal %s: cannot reset a torn file header (%s)", j->path, fl_strerror(ret));
			return ret;
		}
		msg(warn, warnlen, "journal %s: file was empty or held a torn file header (%zu bytes), reset to an "
		    "empty journal", j->path, have);
		*size = FILE_HDR_LEN;
		return 0;
	}
	if (memcmp(got, file_magic, sizeof(file_magic)) != 0) {
		msg(warn, warnlen, "journal %s: not a journal file (bad magic); refusing to touch it, move it away "
		    "to start a new journal", j->path);
		return FL_EMALF;
	}
	if (wire_u32(got + 12) != crc32c(got, 12)) {
		msg(warn, warnlen, "journal %s: file header checksum mismatch; refusing to touch it, move it away "
		    "to start a new journal", j->path);
		return FL_EMALF;
	}
	if (wire_u32(got + 8) != FORMAT_VERSION) {
		msg(warn, warnlen, "journal %s: format version %u is not supported (this build reads version %u)",
		    j->path, wire_u32(got + 8), FORMAT_VERSION);
		return FL_ENOTSUP;
	}
	return 0;
}

int
journal_open(const char *path, const journal_limits_t *lim, journal_t **out, char *warn, size_t warnlen)
{
	int ret = FL_ENOMEM;
	uint64_t size = 0;
	*out = NULL;
	msg(warn, warnlen, "%s", "");
	journal_t *j = calloc(1, sizeof(*j));
	if (j == NULL)
		return FL_ENOMEM;
	j->fd = -1;
	j->lim = lim != NULL ? *lim
			     : (journal_limits_t){ JOURNAL_DEFAULT_MAX_RECORDS, JOURNAL_DEFAULT_MAX_BYTES };
	size_t pl = strlen(path);
	j->path = strdup(path);
	j->tmp_path = malloc(pl + 5);
	const char *slash = strrchr(path, '/');
	j->dir_path = slash == NULL ? strdup(".") : strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (j->path == NULL || j->tmp_path == NULL || j->dir_path == NULL)
		goto fail;
	memcpy(j->tmp_path, path, pl);
	memcpy(j->tmp_path + pl, ".tmp", 5);
	if ((ret = open_file(j, &size, warn, warnlen)) != 0)
		goto fail;
	/* Keep a reset warning from open_file; scan overwrites only on damage. */
	if ((ret = scan(j, size, warn, warnlen)) != 0)
		goto fail;
	*out = j;
	return 0;
fail:
	journal_close(j);
	return ret;
}

/* Append one record; sync: make it durable now (else the caller syncs). */
static int
append_one(journal_t *j, const changeset_t *cs, bool sync)
{
	uint8_t *buf = NULL;
	int ret;
	if (j->broken != 0)
		return -EIO;
	if (cs->soa_from.type != RR_SOA || cs->soa_to.type != RR_SOA)
		return FL_EINVAL;
	rec_t x = { .from = changeset_serial_from(cs), .to = changeset_serial_to(cs) };
	if (!serial_increases(x.to, x.from))
		return FL_EINVAL;
	if (j->count > 0 && x.from != j->rec[j->count - 1].to)
		return FL_EINVAL;
	size_t plen = changeset_wire_size(cs);
	if (plen > UINT32_MAX || plen > SIZE_MAX - REC_HDR_LEN)
		return FL_ELIMIT;
	size_t rlen = REC_HDR_LEN + plen;
	buf = malloc(rlen);
	if (buf == NULL)
		return FL_ENOMEM;
	long n = changeset_to_wire(cs, buf + REC_HDR_LEN, plen);
	if (n < 0 || (size_t)n != plen) {
		ret = n < 0 ? (int)n : FL_EINVAL;
		goto fail;
	}
	x.len = (uint32_t)plen;
	rec_hdr_put(buf, x.len, x.from, x.to, crc32c(buf + REC_HDR_LEN, plen));

	/* Drop the oldest records until the journal with the new one fits. */
	size_t keep = 0;
	uint64_t bytes = j->end + rlen;
	while (keep < j->count && over_limits(&j->lim, j->count - keep + 1, bytes)) {
		bytes -= REC_HDR_LEN + (uint64_t)j->rec[keep].len;
		keep++;
	}
	if (keep > 0) {
		/* One commit point (the rename) for the trim and the append. */
		ret = rewrite(j, keep, buf, rlen);
		goto fail;
	}
	/* Index room first, so that nothing can fail after the write is durable. */
	void *idx = j->rec;
	ret = grow(&idx, &j->cap, j->count + 1, sizeof(rec_t));
	j->rec = idx;
	if (ret != 0)
		goto fail;
	ret = fio_pwrite_all(j->fd, buf, rlen, j->end);
	if (ret != 0) {
		/* A failed write (ENOSPC, EFBIG) is clean once the tail is cut off. */
		if (ftruncate(j->fd, (off_t)j->end) != 0)
			j->broken = ret;
		goto fail;
	}
	if (sync && fdatasync(j->fd) != 0) {
		/*
		 * After a failed fdatasync the page cache no longer tells what
		 * reached the disk: cut the tail (best effort, ret already
		 * reports the failure) and refuse appends until a reopen.
		 */
		ret = -errno;
		if (ftruncate(j->fd, (off_t)j->end) != 0) {
			/* nothing more to do */
		}
		j->broken = ret;
		goto fail;
	}
	x.off = j->end;
	j->rec[j->count++] = x;
	j->end += rlen;
fail:
	free(buf);
	return ret;
}

int
journal_append(journal_t *j, const changeset_t *cs)
{
	return append_one(j, cs, true);
}

int
journal_append_many(journal_t *j, changeset_t *const *cs, size_t n, size_t *appended)
{
	int ret = 0;
	size_t i = 0;
	for (; i < n && ret == 0; i++)
		ret = append_one(j, cs[i], false);
	if (ret != 0)
		i--;
	/* One fdatasync for the lot (a trim in between synced by its rename). */
	if (i > 0 && j->broken == 0 && fdatasync(j->fd) != 0) {
		/* Unknown what reached the disk (each record is CRC-checked at
		 * reopen, so what survives is a prefix of the chain). */
		int e = -errno;
		j->broken = e;
		*appended = 0;
		return e;
	}
	*appended = i;
	return ret;
}

int
journal_first_serial(const journal_t *j, uint32_t *serial)
{
	if (j->count == 0)
		return FL_ENOENT;
	*serial = j->rec[0].from;
	return 0;
}

int
journal_last_serial(const journal_t *j, uint32_t *serial)
{
	if (j->count == 0)
		return FL_ENOENT;
	*serial = j->rec[j->count - 1].to;
	return 0;
}

size_t
journal_count(const journal_t *j)
{
	return j->count;
}

int
journal_read_from(journal_t *j, uint32_t from, journal_read_fn fn, void *ctx)
{
	/*
	 * Newest match first: serials only repeat in a chain that wrapped
	 * around 2^32, and then the newer occurrence is the reader's.
	 */
	size_t i = j->count;
	while (i > 0 && j->rec[i - 1].from != from)
		i--;
	if (i == 0)
		return FL_ENOENT;
	i--;
	uint8_t *buf = NULL;
	size_t bcap = 0;
	int ret = 0;
	changeset_t cs;
	changeset_init(&cs);
	for (; i < j->count; i++) {
		const rec_t *r = &j->rec[i];
		size_t rl = REC_HDR_LEN + (size_t)r->len;
		void *b = buf;
		ret = grow(&b, &bcap, rl, 1);
		buf = b;
		if (ret != 0)
			goto fail;
		if ((ret = fio_pread_all(j->fd, buf, rl, r->off)) != 0)
			goto fail;
		if (!rec_matches(buf, r)) {
			ret = FL_EMALF;
			goto fail;
		}
		if (payload_check(&cs, buf + REC_HDR_LEN, r->len, r, &ret) != NULL)
			goto fail;
		ret = fn(ctx, &cs);
		changeset_clear(&cs);
		changeset_init(&cs);
		if (ret != 0)
			goto fail;
	}
fail:
	changeset_clear(&cs);
	free(buf);
	return ret;
}

void
journal_close(journal_t *j)
{
	if (j == NULL)
		return;
	if (j->fd >= 0)
		(void)close(j->fd); /* read-only use from here: every append was synced */
	free(j->rec);
	free(j->path);
	free(j->tmp_path);
	free(j->dir_path);
	free(j);
}
