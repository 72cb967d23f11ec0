/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Per-zone journal: an append-only file of changesets, the "commit" step of
 * the zone pipeline (a changeset is durable in the journal before the new
 * version is published) and the source of IXFR answers. One file per zone;
 * the caller chooses the path (e.g. `<storage>/<zone>.journal`).
 *
 * It is not a zone snapshot, not an IXFR encoder and not a logger: it
 * returns codes (util/err.h) and fills a message buffer that the caller
 * logs with its own context. No globals; one journal_t per file and per
 * process (the file is locked with flock), not thread-safe.
 *
 * File format (all integers big-endian):
 *
 *   file header, 16 bytes:
 *     0  8  magic "FLAMEJNL"
 *     8  4  format version (1)
 *    12  4  CRC32C of bytes 0..11
 *   then records, back to back until the end of the file:
 *     0  4  record magic 0x464c5243 ("FLRC")
 *     4  4  payload length L
 *     8  4  serial_from (old SOA serial)
 *    12  4  serial_to   (new SOA serial)
 *    16  4  CRC32C of the payload
 *    20  4  CRC32C of header bytes 0..19
 *    24  L  payload: changeset_to_wire() (see zone/changeset.h)
 *
 * CRC32C is the Castagnoli polynomial (reflected 0x82F63B78, initial value
 * and final xor 0xffffffff, as in iSCSI/ext4; check value of "123456789" is
 * 0xe3069283), shared with the snapshot format (util/crc32c.h).
 *
 * Invariants kept by journal_append() and checked by journal_open(): every
 * record's serials match its payload's SOAs, serial_to is greater than
 * serial_from in RFC 1982 terms, and each record's serial_from equals the
 * previous record's serial_to (a contiguous chain).
 *
 * Durability: a record is appended with one write and fdatasync. When an
 * append would exceed the limits, the kept tail plus the new record are
 * written to `<path>.tmp` in the same directory, fsynced, renamed over the
 * journal and the directory is fsynced, so a crash leaves either the old or
 * the new file. A crash during a plain append leaves a torn last record,
 * which journal_open() cuts off.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "zone/changeset.h"

/** Default limits (used when journal_open() gets lim == NULL). */
#define JOURNAL_DEFAULT_MAX_RECORDS 100u
#define JOURNAL_DEFAULT_MAX_BYTES ((size_t)64 << 20) /* 64 MiB */

/**
 * Size limits of one journal. 0 in a field means unlimited. max_bytes is
 * the whole file size (file header included). The newest record is always
 * kept, even when it alone is larger than max_bytes.
 */
typedef struct journal_limits {
	size_t max_records;
	size_t max_bytes;
} journal_limits_t;

/** Opaque handle of one open journal file. */
typedef struct journal journal_t;

/**
 * \brief Called by journal_read_from() once per changeset, oldest first.
 * \param ctx the caller's pointer, passed through.
 * \param cs the changeset; valid only during the call (the journal frees it).
 * \return 0 to continue, anything else stops the walk and is returned.
 */
typedef int (*journal_read_fn)(void *ctx, const changeset_t *cs);

/**
 * \brief Open (or create) the journal file at path.
 *
 * A missing file is created (written as `<path>.tmp` and renamed, then the
 * directory is fsynced). An existing file is scanned completely: both
 * checksums of every record, the payload must parse (changeset_from_wire)
 * and the serials must form a contiguous chain. At the first bad, torn or
 * truncated record the file is cut back to the last good record (ftruncate
 * and fsync) and a warning describes what was dropped; nothing after the
 * damage is ever served. An empty (0-byte) file, or one holding only a
 * prefix of a file header (a torn creation), is reset to an empty journal
 * with a warning.
 *
 * A file that is not a journal (wrong magic, bad file header checksum) is
 * refused with FL_EMALF and left untouched: it may be something else that a
 * wrong path points at, so the operator must move it away. A journal of
 * another format version is refused with FL_ENOTSUP.
 *
 * \param path file path (not NULL); its directory must exist.
 * \param lim limits, copied; NULL selects the defaults above.
 * \param out receives the journal (not NULL); the caller owns it and frees
 *        it with journal_close(). Set to NULL on failure.
 * \param warn buffer for a message to log (may be NULL); set to "" when
 *        there is nothing to say. On success it may hold a warning (damage
 *        cut off, file reset); on failure it says why, when known.
 * \param warnlen size of warn.
 * \return 0; FL_EMALF (not a journal); FL_ENOTSUP (other format version);
 *         -EBUSY (locked by another open handle); FL_ENOMEM; -errno for I/O
 *         errors (then nothing was cut).
 */
int journal_open(const char *path, const journal_limits_t *lim, journal_t **out, char *warn,
		 size_t warnlen);

/**
 * \brief Append a changeset and make it durable before returning.
 *
 * On success the record is on disk (fdatasync, or rename plus directory
 * fsync when the limits made the journal drop its oldest records); only then
 * may the caller publish the new version. On failure nothing was added.
 * A failed write (e.g. -ENOSPC) is cut off again and a later append may
 * succeed. After a failed fdatasync, or a failed directory fsync after the
 * rename, the state on disk is unknown: the journal then refuses further
 * appends with -EIO and must be closed and reopened; the caller compares
 * journal_last_serial() with the served serial after reopening (the record
 * may or may not be there).
 *
 * \param j the journal (not NULL).
 * \param cs the changeset (not NULL), both SOAs set; not modified.
 * \return 0; FL_EINVAL if a SOA is missing, serial_to is not greater than
 *         serial_from (RFC 1982), or the journal is not empty and
 *         serial_from differs from journal_last_serial(); FL_ELIMIT if the
 *         changeset is larger than the format allows (4 GiB); FL_EMALF if a
 *         kept record no longer reads back correctly while trimming;
 *         FL_ENOMEM; -errno for I/O errors.
 */
int journal_append(journal_t *j, const changeset_t *cs);

/**
 * \brief Append n chained changesets with a single fdatasync at the end
 * (an IXFR of 100 changesets costs one disk flush, not 100). Same checks
 * as journal_append for each one; on a failure the ones before it stay
 * (they chain) and *appended says how many; after a failed fdatasync the
 * journal is broken as with journal_append.
 * \return 0 (all appended and durable) or the first error.
 */
int journal_append_many(journal_t *j, changeset_t *const *cs, size_t n, size_t *appended);

/**
 * \brief Serial_from of the oldest record / serial_to of the newest record.
 * \param j the journal (not NULL).
 * \param serial receives the serial (not NULL).
 * \return 0, or FL_ENOENT when the journal is empty.
 */
int journal_first_serial(const journal_t *j, uint32_t *serial);
int journal_last_serial(const journal_t *j, uint32_t *serial);

/** \brief Number of records in the journal. */
size_t journal_count(const journal_t *j);

/**
 * \brief Call fn for every changeset from the one whose serial_from is from
 * up to the newest, in order.
 *
 * Payloads are read from disk now and checked again (both checksums, parse,
 * serials). If a record fails, FL_EMALF is returned and fn is not called for
 * it or anything after it; the changesets before it were already passed to
 * fn, so an IXFR server must buffer its answer or abort the transfer.
 * If from equals journal_last_serial() the client is up to date; that is not
 * a serial_from, so the caller checks for it first.
 *
 * \param j the journal (not NULL).
 * \param from the serial the reader has.
 * \param fn callback (not NULL). \param ctx passed to fn.
 * \return 0; FL_ENOENT if from is no record's serial_from (unknown or
 *         already dropped: answer with a full transfer); FL_EMALF; FL_ENOMEM;
 *         -errno for read errors; or fn's non-zero return value.
 */
int journal_read_from(journal_t *j, uint32_t from, journal_read_fn fn, void *ctx);

/** \brief Close the file and free the journal. NULL is allowed. */
void journal_close(journal_t *j);
