/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Error codes shared by every module: 0 is success, negative is failure.
 * Codes -1..-999 are -errno values; our own codes live below FL_ERR_FLOOR.
 */
#pragma once

#include <errno.h>
#include <stddef.h>

#define FL_OK 0
#define FL_ENOMEM (-ENOMEM)
#define FL_EINVAL (-EINVAL)
#define FL_ENOENT (-ENOENT)
#define FL_ERANGE (-ERANGE)
#define FL_EEXIST (-EEXIST)

enum {
	FL_ERR_FLOOR = -1000,
	FL_EMALF = -1000,     /*!< malformed wire data */
	FL_ESPACE = -1001,    /*!< output buffer too small */
	FL_ELABEL = -1002,    /*!< label longer than 63 octets */
	FL_ENAMELEN = -1003,  /*!< name longer than 255 octets */
	FL_ELOOP = -1004,     /*!< compression pointer loop or forward pointer */
	FL_ESYNTAX = -1005,   /*!< text syntax error */
	FL_EOUTZONE = -1006,  /*!< name outside the zone */
	FL_ESEMANTIC = -1007, /*!< zone or config content is inconsistent */
	FL_ENOTSUP = -1008,   /*!< not supported */
	FL_ELIMIT = -1009,    /*!< a configured or built-in limit was hit */
};

/**
 * \brief Message for an error code (never NULL, static storage).
 */
const char *fl_strerror(int code);

/**
 * \brief printf into a caller's one-line error buffer; err NULL or errlen 0: nothing.
 */
void fl_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
