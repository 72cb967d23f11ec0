/* SPDX-License-Identifier: MIT */
/**
 * \file
 * The first keys of a signed zone, and what its parent needs of them.
 * Shared by the daemon (a signed zone whose key directory is empty) and
 * flamectl dnssec-keygen, so both make the same keys the same way:
 *  - csk: one key with the SEP flag (DNSKEY flags 257) that signs every
 *    RRset: one DS at the parent, one key to keep safe;
 *  - ksk-zsk: a KSK (257) that signs only the DNSKEY RRset, and a ZSK (256)
 *    that signs the rest (the signer picks them by the SEP flag, sign.h).
 * The DS is digest type 2 (SHA-256, RFC 4509), the one every parent accepts.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dnssec/dkey.h"

/** Longest path keyset_make returns (the directory plus the key file name). */
#define KEYSET_PATH_MAX 4200

/**
 * \brief Make and save a zone's first keys in dir (which must exist): one
 * CSK, or with ksk_zsk a KSK then a ZSK. Files are created exclusively
 * (dkey_save); when the second key cannot be saved the first one's files
 * are removed again, so the directory never holds half a key set.
 * \param keys   receives the keys (KSK or CSK first); free each with dkey_free
 * \param paths  receives the .private file of each key
 * \param n      receives 1 or 2
 * \param err    one line on failure
 * \return 0, or an error of dkey_generate / dkey_save.
 */
int keyset_make(const uint8_t *zone, dkey_alg_t alg, bool ksk_zsk, const char *dir, dkey_t *keys[2],
		char paths[2][KEYSET_PATH_MAX], size_t *n, char *err, size_t errlen);

/**
 * \brief The DS record as zone file text, "example.com. 3600 IN DS 12345 13 2 HEX" (no newline).
 * \param ttl  written as given
 * \return 0, FL_ESPACE or FL_ENOMEM.
 */
int keyset_ds_text(const dkey_t *k, uint32_t ttl, char *out, size_t len);
