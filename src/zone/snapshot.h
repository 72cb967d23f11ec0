/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Zone snapshots: one zone version in a file, so that a secondary can
 * serve its zones after a restart without a transfer (the snapshot, then
 * the journal's changesets since its serial). One file per zone; the
 * caller chooses the path (e.g. `<storage>/<zone>.snapshot`).
 *
 * Like the journal it returns codes (util/err.h) and fills a message
 * buffer that the caller logs; no globals, no logging. Separate calls may
 * run on separate threads, but only one writer per path at a time (the
 * temporary file name is fixed).
 *
 * File format, version 1 (all integers big-endian):
 *
 *     0  8  magic "FLAMESNP"
 *     8  4  format version (1)
 *    12  4  CRC32C of bytes 0..11 (the version is trusted before anything else is read)
 *    16  4  SOA serial
 *    20  8  record count N
 *    28  8  body length B in bytes
 *    36  1  origin length L (1..255)
 *    37  L  origin, lowercased wire form
 *  37+L  4  CRC32C of bytes 0..36+L (the header; lets snapshot_serial() trust it alone)
 *  41+L  B  body: N records back to back, in the zone's canonical order,
 *           RRsets by type, rdata in canonical RR order:
 *             owner (uncompressed lowercased wire name), type (2), TTL (4),
 *             rdlength (2), rdata; class IN is implied
 *  end   4  CRC32C of every byte before it (header and body)
 *
 * The file size is exactly 41 + L + B + 4. CRC32C is util/crc32c.h (the
 * journal's checksum).
 *
 * Durability: the file is written as `<path>.tmp`, fsynced, renamed over
 * path and the directory is fsynced, so a crash leaves either the old file
 * or the new one under path, never a torn file. A `<path>.tmp` left by a
 * crash is ignored by readers and replaced by the next write.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zone/zone.h"

/**
 * \brief Write version z to path atomically (see above).
 * \param z       the version (not NULL; not modified)
 * \param path    the snapshot file; its directory must exist
 * \param err     receives a one-line reason on failure (may be NULL); "" on success
 * \param errlen  size of err
 * \return 0; FL_ENOMEM; -errno for I/O errors (then `<path>.tmp` is
 *   removed and path is untouched). If only the directory fsync after the
 *   rename failed, the new file is in place but may not survive a crash.
 */
int snapshot_write(const zone_t *z, const char *path, char *err, size_t errlen);

/**
 * \brief Batched writes (thousands of zones): write z to `<path>.tmp`
 * without any fsync. Make a batch durable with one syncfs() of the
 * filesystem, then snapshot_install() each path and fsync the directory
 * once. Same return codes as snapshot_write (tmp removed on failure).
 */
int snapshot_stage(const zone_t *z, const char *path, char *err, size_t errlen);

/**
 * \brief Rename a staged `<path>.tmp` over path; fsync it first unless
 * synced (the caller ran syncfs() after staging). The directory is not
 * fsynced: the caller does it once per batch.
 * \return 0; -errno (the temp file is removed, path untouched); FL_ENOMEM.
 */
int snapshot_install(const char *path, bool synced, char *err, size_t errlen);

/**
 * \brief Read a snapshot back as a new zone version, built and validated by
 * zone_builder_finish() like a loaded zone. Every length and count in the
 * file is bounds-checked against the real file size; a corrupt file is
 * refused, never trusted. The version's loaded time is now, its source is
 * a copy of path, its history is empty.
 * \param path    the snapshot file
 * \param origin  the zone expected (wire; compared case-insensitively)
 * \param out     receives the version (free with zone_free); set only on success
 * \param err     receives a one-line reason on failure (may be NULL); "" on success
 * \param errlen  size of err
 * \return 0; FL_ENOENT (no file); FL_EMALF (bad magic, checksum mismatch,
 *   truncated or overlong file, malformed record, header serial or count
 *   differing from the records); FL_ENOTSUP (another format version);
 *   FL_EINVAL (a snapshot of another zone, or not a regular file);
 *   FL_ESEMANTIC (the builder refused the records: no SOA, CNAME and other
 *   data, ...); FL_ENOMEM; -errno for I/O errors.
 */
int snapshot_read(const char *path, const uint8_t *origin, zone_t **out, char *err, size_t errlen);

/**
 * \brief Read only the header and return the serial it records: a cheap
 * check of which version a snapshot holds. The header has its own
 * checksum and gives the file size, but the records are not read:
 * snapshot_read() may still refuse the file.
 * \return 0 (*serial set); FL_ENOENT; FL_EMALF (not a snapshot, bad header
 *   checksum, file size other than the header gives); FL_ENOTSUP;
 *   FL_EINVAL (not a regular file); -errno.
 */
int snapshot_serial(const char *path, uint32_t *serial);
