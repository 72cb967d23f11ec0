/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Zone snapshot files (format and guarantees in snapshot.h).
 *
 * Writing streams the records through a 1 MiB buffer, extending the CRC as
 * the buffer is flushed; the header carries the body length, so a first
 * pass over the zone counts records and bytes. Reading validates the
 * header (so a foreign or mismatched file is refused before its body is
 * read), reads the whole file, checks the trailing CRC, then feeds the
 * records to a zone_builder: the file is already in canonical order, so
 * the builder's owner interning hits its same-as-previous fast path and
 * its sorts run over sorted input.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dns/dname.h"
#include "dns/msg.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "util/crc32c.h"
#include "util/err.h"
#include "util/fileio.h"
#include "zone/snapshot.h"

#define FORMAT_VERSION 1u
#define FILE_HDR_LEN 16u /* magic, version, CRC of both */
#define HDR_FIXED 37u    /* up to and including the origin length */
#define HDR_MAX (HDR_FIXED + DNAME_MAXLEN + 4u)
#define REC_FIXED 8u     /* type, TTL, rdlength after the owner */
#define CRC_LEN 4u
#define OUT_BUF ((size_t)1 << 20) /* > the largest record (255 + 8 + 65535) */

static const uint8_t magic[8] = { 'F', 'L', 'A', 'M', 'E', 'S', 'N', 'P' };

/** Decoded header; origin points into the caller's buffer. */
typedef struct hdr {
	uint32_t version;
	uint32_t serial;
	uint64_t count; /*!< records */
	uint64_t body;  /*!< body bytes */
	const uint8_t *origin;
	uint8_t origin_len;
	size_t len;     /*!< header bytes = offset of the body */
} hdr_t;

/** Buffered writer of the body; the CRC covers every byte flushed. */
typedef struct out {
	int fd;
	uint8_t *buf;
	size_t len;
	uint32_t crc;
	uint64_t total; /*!< bytes flushed */
	int err;        /*!< sticky: the first write error */
} out_t;

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

/* ---- writing ---- */

static void
out_flush(out_t *o)
{
	if (o->err == 0 && o->len > 0) {
		o->crc = crc32c_extend(o->crc, o->buf, o->len);
		o->err = fio_write_all(o->fd, o->buf, o->len);
		o->total += o->len;
	}
	o->len = 0;
}

/* Room for n bytes (n <= OUT_BUF) at the end of the buffer. */
static uint8_t *
out_room(out_t *o, size_t n)
{
	if (OUT_BUF - o->len < n)
		out_flush(o);
	return o->buf + o->len;
}

static size_t
hdr_put(uint8_t *b, uint32_t serial, uint64_t count, uint64_t body, const uint8_t *origin, uint8_t olen)
{
	memcpy(b, magic, sizeof(magic));
	wire_set_u32(b + 8, FORMAT_VERSION);
	wire_set_u32(b + 12, crc32c(b, 12));
	wire_set_u32(b + 16, serial);
	wire_set_u32(b + 20, (uint32_t)(count >> 32));
	wire_set_u32(b + 24, (uint32_t)count);
	wire_set_u32(b + 28, (uint32_t)(body >> 32));
	wire_set_u32(b + 32, (uint32_t)body);
	b[36] = olen;
	memcpy(b + HDR_FIXED, origin, olen);
	wire_set_u32(b + HDR_FIXED + olen, crc32c(b, HDR_FIXED + olen));
	return HDR_FIXED + olen + 4u;
}

/* Records and body bytes of z, for the header (written before the body). */
static void
body_size(const zone_t *z, uint64_t *count, uint64_t *bytes)
{
	uint64_t n = 0, b = 0;
	for (uint32_t i = 0; i < z->nnodes; i++) {
		const zone_node_t *nd = &z->nodes[i];
		for (uint16_t k = 0; k < nd->nrrsets; k++) {
			const zone_rrset_t *rs = &nd->rrsets[k];
			const uint8_t *rd = rs->rdata;
			for (uint16_t j = 0; j < rs->count; j++, rd = msg_rd_next(rd))
				b += (uint64_t)nd->name_len + REC_FIXED + msg_rd_len(rd);
			n += rs->count;
		}
	}
	*count = n;
	*bytes = b;
}

static void
body_put(out_t *o, const zone_t *z)
{
	for (uint32_t i = 0; i < z->nnodes; i++) {
		const zone_node_t *nd = &z->nodes[i];
		for (uint16_t k = 0; k < nd->nrrsets; k++) {
			const zone_rrset_t *rs = &nd->rrsets[k];
			const uint8_t *rd = rs->rdata;
			for (uint16_t j = 0; j < rs->count; j++, rd = msg_rd_next(rd)) {
				uint16_t rdlen = msg_rd_len(rd);
				size_t n = (size_t)nd->name_len + REC_FIXED + rdlen;
				uint8_t *p = out_room(o, n);
				memcpy(p, nd->name, nd->name_len);
				p += nd->name_len;
				wire_set_u16(p, rs->type);
				wire_set_u32(p + 2, rs->ttl);
				wire_set_u16(p + 6, rdlen);
				memcpy(p + REC_FIXED, msg_rd_data(rd), rdlen);
				o->len += n;
			}
		}
	}
}

/* "<path>.tmp" (malloc), or NULL. */
static char *
tmp_name(const char *path)
{
	size_t pl = strlen(path);
	char *tmp = malloc(pl + 5);
	if (tmp != NULL) {
		memcpy(tmp, path, pl);
		memcpy(tmp + pl, ".tmp", 5);
	}
	return tmp;
}

/* Write z to tmp (fsynced when sync); on failure tmp is removed. */
static int
write_tmp(const zone_t *z, const char *path, const char *tmp, bool sync, char *err, size_t errlen)
{
	int ret = FL_ENOMEM;
	out_t o = { .fd = -1 };
	uint64_t count, body;
	size_t hlen;
	int fd;
	o.buf = malloc(OUT_BUF);
	if (o.buf == NULL) {
		msg(err, errlen, "snapshot %s: out of memory", path);
		return ret;
	}
	body_size(z, &count, &body);
	/* O_TRUNC: a leftover of a crashed write is simply overwritten. */
	o.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (o.fd < 0) {
		ret = -errno;
		msg(err, errlen, "snapshot %s: cannot create %s (%s)", path, tmp, fl_strerror(ret));
		goto fail;
	}
	o.len = hdr_put(o.buf, z->serial, count, body, z->origin, z->origin_len);
	hlen = o.len;
	body_put(&o, z);
	out_flush(&o);
	if (o.err == 0) {
		uint8_t c[CRC_LEN];
		wire_set_u32(c, o.crc);
		o.err = fio_write_all(o.fd, c, sizeof(c));
	}
	if ((ret = o.err) != 0) {
		msg(err, errlen, "snapshot %s: cannot write %s (%s)", path, tmp, fl_strerror(ret));
		goto fail_tmp;
	}
	if (o.total != hlen + body) { /* the zone changed between the passes: a caller bug */
		ret = FL_EINVAL;
		msg(err, errlen, "snapshot %s: zone size changed while writing", path);
		goto fail_tmp;
	}
	if (sync && fsync(o.fd) != 0) {
		ret = -errno;
		msg(err, errlen, "snapshot %s: cannot fsync %s (%s)", path, tmp, fl_strerror(ret));
		goto fail_tmp;
	}
	fd = o.fd;
	o.fd = -1;
	if (close(fd) != 0) {
		ret = -errno;
		msg(err, errlen, "snapshot %s: cannot close %s (%s)", path, tmp, fl_strerror(ret));
		goto fail_tmp;
	}
	free(o.buf);
	return 0;
fail_tmp:
	(void)unlink(tmp);
fail:
	if (o.fd >= 0)
		(void)close(o.fd);
	free(o.buf);
	return ret;
}

int
snapshot_write(const zone_t *z, const char *path, char *err, size_t errlen)
{
	char *tmp = tmp_name(path);
	int ret = FL_ENOMEM;
	msg(err, errlen, "%s", "");
	if (tmp == NULL) {
		msg(err, errlen, "snapshot %s: out of memory", path);
		return ret;
	}
	if ((ret = write_tmp(z, path, tmp, true, err, errlen)) != 0)
		goto out;
	if (rename(tmp, path) != 0) {
		ret = -errno;
		msg(err, errlen, "snapshot %s: cannot rename %s over it (%s)", path, tmp, fl_strerror(ret));
		(void)unlink(tmp);
		goto out;
	}
	/* Only the directory entry makes the rename durable. */
	if ((ret = fio_fsync_parent(path)) != 0)
		msg(err, errlen, "snapshot %s: written, but the directory fsync failed (%s)", path, fl_strerror(ret));
out:
	free(tmp);
	return ret;
}

int
snapshot_stage(const zone_t *z, const char *path, char *err, size_t errlen)
{
	char *tmp = tmp_name(path);
	msg(err, errlen, "%s", "");
	if (tmp == NULL) {
		msg(err, errlen, "snapshot %s: out of memory", path);
		return FL_ENOMEM;
	}
	int ret = write_tmp(z, path, tmp, false, err, errlen);
	free(tmp);
	return ret;
}

int
snapshot_install(const char *path, bool synced, char *err, size_t errlen)
{
	char *tmp = tmp_name(path);
	int ret = 0;
	msg(err, errlen, "%s", "");
	if (tmp == NULL) {
		msg(err, errlen, "snapshot %s: out of memory", path);
		return FL_ENOMEM;
	}
	if (!synced) {
		int fd = open(tmp, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fsync(fd) != 0) {
			ret = -errno;
			msg(err, errlen, "snapshot %s: cannot fsync %s (%s)", path, tmp, fl_strerror(ret));
		}
		if (fd >= 0)
			(void)close(fd);
	}
	if (ret == 0 && rename(tmp, path) != 0) {
		ret = -errno;
		msg(err, errlen, "snapshot %s: cannot rename %s over it (%s)", path, tmp, fl_strerror(ret));
	}
	if (ret != 0)
		(void)unlink(tmp);
	free(tmp);
	return ret;
}

/* ---- reading ---- */

static uint64_t
get_u64(const uint8_t *p)
{
	return (uint64_t)wire_u32(p) << 32 | wire_u32(p + 4);
}

/*
 * Decode and check the header from the first `have` bytes of a file of
 * `size` bytes (have = min(size, HDR_MAX)): magic, version, header CRC,
 * origin syntax, and that the file is exactly as long as the header says.
 * Returns 0, FL_EMALF or FL_ENOTSUP with the reason in why.
 */
static int
hdr_get(const uint8_t *b, size_t have, uint64_t size, hdr_t *h, char *why, size_t whylen)
{
	size_t m = have < sizeof(magic) ? have : sizeof(magic);
	if (memcmp(b, magic, m) != 0) {
		msg(why, whylen, "not a snapshot file (bad magic)");
		return FL_EMALF;
	}
	if (have < FILE_HDR_LEN) {
		msg(why, whylen, "truncated file header (%zu bytes)", have);
		return FL_EMALF;
	}
	if (wire_u32(b + 12) != crc32c(b, 12)) {
		msg(why, whylen, "file header checksum mismatch");
		return FL_EMALF;
	}
	h->version = wire_u32(b + 8);
	if (h->version != FORMAT_VERSION) {
		msg(why, whylen, "format version %" PRIu32 " is not supported (this build reads version %u)",
		    h->version, FORMAT_VERSION);
		return FL_ENOTSUP;
	}
	if (have < HDR_FIXED || have < HDR_FIXED + (size_t)b[36] + 4u) {
		msg(why, whylen, "truncated header (%zu bytes)", have);
		return FL_EMALF;
	}
	h->origin_len = b[36];
	h->origin = b + HDR_FIXED;
	h->len = HDR_FIXED + (size_t)h->origin_len + 4u;
	if (wire_u32(b + h->len - 4) != crc32c(b, h->len - 4)) {
		msg(why, whylen, "header checksum mismatch");
		return FL_EMALF;
	}
	/* Sound from here on, but still not trusted to be sane. */
	if (dname_check(h->origin, h->origin_len) != (int)h->origin_len) {
		msg(why, whylen, "malformed origin in the header");
		return FL_EMALF;
	}
	h->serial = wire_u32(b + 16);
	h->count = get_u64(b + 20);
	h->body = get_u64(b + 28);
	uint64_t left = size - h->len; /* have <= size */
	if (left < CRC_LEN || h->body != left - CRC_LEN) {
		/* Compared without adding up header fields, which could overflow. */
		bool shorter = left < CRC_LEN || h->body > left - CRC_LEN;
		msg(why, whylen, "%s file (%" PRIu64 " bytes for a %zu-byte header and %" PRIu64 " bytes of records)",
		    shorter ? "truncated" : "overlong", size, h->len, h->body);
		return FL_EMALF;
	}
	return 0;
}

/* Feed the body's records to the builder, bounds-checking every field. */
static int
feed(zone_builder_t *b, const hdr_t *h, const uint8_t *file, const uint8_t *end, char *why, size_t whylen)
{
	const uint8_t *p = file + h->len;
	for (uint64_t i = 0; i < h->count; i++) {
		size_t off = (size_t)(p - file);
		int nl = dname_check(p, (size_t)(end - p));
		if (nl < 0) {
			msg(why, whylen, "record %" PRIu64 " at offset %zu: %s owner name", i + 1, off,
			    p == end ? "missing (fewer records than the header says)" : "malformed");
			return FL_EMALF;
		}
		const uint8_t *owner = p;
		p += nl;
		if ((size_t)(end - p) < REC_FIXED || (size_t)(end - p) - REC_FIXED < wire_u16(p + 6)) {
			msg(why, whylen, "record %" PRIu64 " at offset %zu: truncated", i + 1, off);
			return FL_EMALF;
		}
		uint16_t type = wire_u16(p), rdlen = wire_u16(p + 6);
		uint32_t ttl = wire_u32(p + 2);
		/* Source cookie = record number, so builder errors can name the record. */
		uint32_t src = i < UINT32_MAX ? (uint32_t)(i + 1) : UINT32_MAX;
		int r = zone_builder_add(b, owner, (size_t)nl, type, RR_CLASS_IN, ttl, p + REC_FIXED, rdlen, src);
		if (r != 0) {
			char n[1024];
			dname_to_str(owner, n, sizeof(n));
			msg(why, whylen, "record %" PRIu64 " at offset %zu (%s type %u): %s", i + 1, off, n,
			    type, fl_strerror(r));
			return r == FL_ENOMEM ? r : FL_EMALF;
		}
		p += REC_FIXED + rdlen;
	}
	if (p != end) {
		msg(why, whylen, "%zu bytes after the last of %" PRIu64 " records", (size_t)(end - p), h->count);
		return FL_EMALF;
	}
	return 0;
}

/* Open path for reading: 0, FL_ENOENT, FL_EINVAL (not a regular file) or -errno; *size set. */
static int
open_file(const char *path, int *fdp, uint64_t *size, char *why, size_t whylen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int ret = -errno;
		if (ret == FL_ENOENT)
			msg(why, whylen, "no snapshot");
		else
			msg(why, whylen, "cannot open (%s)", fl_strerror(ret));
		return ret;
	}
	struct stat st;
	int ret = 0;
	if (fstat(fd, &st) != 0) {
		ret = -errno;
		msg(why, whylen, "cannot stat (%s)", fl_strerror(ret));
	} else if (!S_ISREG(st.st_mode)) {
		ret = FL_EINVAL;
		msg(why, whylen, "not a regular file");
	}
	if (ret != 0) {
		(void)close(fd);
		return ret;
	}
	*fdp = fd;
	*size = (uint64_t)st.st_size;
	return 0;
}

/* Read the first min(size, HDR_MAX) bytes and check the header. */
static int
read_hdr(int fd, uint64_t size, uint8_t *buf, hdr_t *h, char *why, size_t whylen)
{
	size_t have = size < HDR_MAX ? (size_t)size : HDR_MAX;
	int ret = fio_pread_all(fd, buf, have, 0);
	if (ret != 0) {
		msg(why, whylen, "cannot read the header (%s)", ret == FL_EMALF ? "file shrank" : fl_strerror(ret));
		return ret;
	}
	return hdr_get(buf, have, size, h, why, whylen);
}

int
snapshot_read(const char *path, const uint8_t *origin, zone_t **out, char *err, size_t errlen)
{
	char why[sizeof(((zone_error_t *)0)->msg) + 100]; /* room for a builder reason */
	int fd = -1, ret;
	uint8_t *buf = NULL;
	zone_t *z = NULL;
	zone_builder_t *b = NULL;
	uint64_t size;
	hdr_t h;
	uint8_t hb[HDR_MAX];
	why[0] = '\0';
	msg(err, errlen, "%s", "");
	if ((ret = open_file(path, &fd, &size, why, sizeof(why))) != 0)
		goto fail;
	if ((ret = read_hdr(fd, size, hb, &h, why, sizeof(why))) != 0)
		goto fail;
	if (h.origin_len != dname_len(origin) || !dname_eq_nocase(h.origin, origin)) {
		char a[1024], o[1024];
		dname_to_str(h.origin, a, sizeof(a));
		dname_to_str(origin, o, sizeof(o));
		msg(why, sizeof(why), "a snapshot of zone %s, not of %s", a, o);
		ret = FL_EINVAL;
		goto fail;
	}
	/* The whole file, not the header's lengths, sizes the buffer (hdr_get matched them). */
	if (size > SIZE_MAX || (buf = malloc((size_t)size)) == NULL) {
		ret = FL_ENOMEM;
		msg(why, sizeof(why), "out of memory for %" PRIu64 " bytes", size);
		goto fail;
	}
	/* The checked header bytes are the ones parsed; a rename over path does not affect our fd. */
	memcpy(buf, hb, h.len);
	h.origin = buf + HDR_FIXED;
	if ((ret = fio_pread_all(fd, buf + h.len, (size_t)size - h.len, h.len)) != 0) {
		msg(why, sizeof(why), "cannot read (%s)", ret == FL_EMALF ? "file shrank" : fl_strerror(ret));
		goto fail;
	}
	size_t end = (size_t)size - CRC_LEN;
	if (wire_u32(buf + end) != crc32c(buf, end)) {
		ret = FL_EMALF;
		msg(why, sizeof(why), "checksum mismatch (corrupt file)");
		goto fail;
	}
	if ((b = zone_builder_new(origin)) == NULL) {
		ret = FL_ENOMEM;
		msg(why, sizeof(why), "out of memory");
		goto fail;
	}
	if ((ret = feed(b, &h, buf, buf + end, why, sizeof(why))) != 0)
		goto fail;
	/* The builder holds its own copies now: drop the file before building. */
	free(buf);
	buf = NULL;
	zone_error_t zerr;
	ret = zone_builder_finish(b, &z, &zerr);
	b = NULL; /* consumed either way */
	if (ret != 0) {
		if (zerr.src != 0)
			msg(why, sizeof(why), "record %" PRIu32 ": %s", zerr.src, zerr.msg);
		else
			msg(why, sizeof(why), "%s", zerr.msg[0] ? zerr.msg : fl_strerror(ret));
		goto fail;
	}
	if (z->serial != h.serial || z->nrecords != h.count) {
		msg(why, sizeof(why), "header says serial %" PRIu32 " and %" PRIu64 " records, the records give %" PRIu32
		    " and %" PRIu64, h.serial, h.count, z->serial, z->nrecords);
		ret = FL_EMALF;
		goto fail;
	}
	z->source = arena_memdup(&z->arena, path, strlen(path) + 1);
	if (z->source == NULL) {
		ret = FL_ENOMEM;
		msg(why, sizeof(why), "out of memory");
		goto fail;
	}
	*out = z;
	z = NULL;
fail:
	if (ret != 0)
		msg(err, errlen, "snapshot %s: %s", path, why);
	zone_builder_abort(b);
	zone_free(z);
	free(buf);
	if (fd >= 0)
		(void)close(fd);
	return ret;
}

int
snapshot_serial(const char *path, uint32_t *serial)
{
	int fd = -1, ret;
	uint64_t size;
	hdr_t h;
	uint8_t hb[HDR_MAX];
	if ((ret = open_file(path, &fd, &size, NULL, 0)) != 0)
		return ret;
	ret = read_hdr(fd, size, hb, &h, NULL, 0);
	if (ret == 0)
		*serial = h.serial;
	(void)close(fd);
	return ret;
}
