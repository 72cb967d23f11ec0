/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Whole reads and writes on file descriptors (retrying short transfers and
 * EINTR) and the directory fsync that makes a create or rename durable:
 * what the journal and the snapshots need to be crash-safe.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** \brief Write all len bytes at the current offset. \return 0 or -errno (-EIO when nothing moves). */
int fio_write_all(int fd, const uint8_t *buf, size_t len);

/** \brief Write all len bytes at off. \return 0 or -errno. */
int fio_pwrite_all(int fd, const uint8_t *buf, size_t len, uint64_t off);

/**
 * \brief Read exactly len bytes at off.
 * \return 0, -errno, or FL_EMALF when the file ends first (it shrank or
 *   is not what its header said).
 */
int fio_pread_all(int fd, uint8_t *buf, size_t len, uint64_t off);

/**
 * \brief syncfs() the filesystem holding dir: every file written there so
 * far becomes durable at once (a batch of temp files, before their renames).
 * \return true when done; false: fsync each file instead.
 */
bool fio_syncfs(const char *dir);

/** \brief fsync a directory. \return 0 or -errno. */
int fio_fsync_dir(const char *dir);

/** \brief fsync the directory holding path ("." when it has no slash). \return 0, -errno, FL_ENOMEM. */
int fio_fsync_parent(const char *path);

/**
 * \brief The names in dir that begin with prefix (any case) and end with
 * suffix, dot files left out, in strcmp order (a stable order: a duplicate
 * key in two files always blames the same one).
 * \param names  receives a malloc'ed array of n malloc'ed names (fio_names_free)
 * \return 0, -errno (the directory cannot be read), FL_ENOMEM.
 */
int fio_list_dir(const char *dir, const char *prefix, const char *suffix, char ***names, size_t *n);

/** \brief Free what fio_list_dir returned. */
void fio_names_free(char **names, size_t n);
