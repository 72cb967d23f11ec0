/* SPDX-License-Identifier: MIT */
/**
 * \file
 * The TSIG keys a configuration uses: read every key file it names
 * (keys.files, then the *.key files of keys.directory in name order) into
 * a new keyring, mark the keys listed in keys.retiring, and check that
 * every key the configuration refers to (notify targets, primaries,
 * transfer and NOTIFY ACLs, templates) exists. The daemon calls it at
 * start-up and on every reload (building beside the keyring in use, so a
 * bad file changes nothing); `flamectl check-config` calls it too.
 */
#pragma once

#include <stddef.h>

#include "conf/conf.h"
#include "tsig/tsig.h"

/**
 * \brief Build the keyring of a configuration.
 * \param out  receives a new keyring (tsig_keyring_free) on success, NULL otherwise
 * \param err  "file:line: reason" for a bad key file, "where: reason" for a
 *             reference to a key that no file defines
 * \return 0, FL_ESYNTAX / FL_ENOTSUP / FL_EEXIST (a key file), FL_ENOENT
 * (unknown key), FL_ENOMEM, or -errno (a file or the directory unreadable).
 */
int keys_load(const conf_t *conf, tsig_keyring_t **out, char *err, size_t errlen);
