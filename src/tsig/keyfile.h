/* SPDX-License-Identifier: MIT */
/**
 * \file
 * TSIG key files in BIND syntax, as tsig-keygen writes them:
 *
 *     key "name" {
 *             algorithm hmac-sha256;
 *             secret "base64==";
 *     };
 *
 * Several keys per file, `#`, `//` and C comments, any whitespace; names
 * and values may be quoted or not. Only `key` statements are allowed.
 * Errors come back as "file:line: reason"; secrets never appear in them.
 * Not a general named.conf parser.
 */
#pragma once

#include <stddef.h>

#include "tsig/tsig.h"

/** Largest key file we read (a keyring, not a zone). */
#define TSIG_KEYFILE_MAX (1024 * 1024)

/**
 * \brief Load the keys of a key file into kr.
 * \param kr      keyring (keys are added to it)
 * \param path    file path
 * \param err     receives "path:line: reason" (or "path: reason") on failure; may be NULL
 * \param errlen  size of err
 * \return 0; FL_ESYNTAX (syntax, bad base64, missing algorithm or secret),
 * FL_EEXIST (duplicate key name), FL_ENOTSUP (unknown or refused algorithm),
 * FL_ELIMIT (file too large), FL_ENOMEM, or -errno from opening/reading.
 * On failure kr holds exactly the keys it held before the call.
 */
int tsig_keyring_load_file(tsig_keyring_t *kr, const char *path, char *err, size_t errlen);

/**
 * \brief As tsig_keyring_load_file(), from text in memory.
 * \param name  used in error messages in place of the path
 * \param text  the text (need not be NUL-terminated)
 */
int tsig_keyring_load_text(tsig_keyring_t *kr, const char *name, const char *text, size_t len, char *err,
			   size_t errlen);
