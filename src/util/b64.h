/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Strict base64 decoding (RFC 4648 §4) of key material: TSIG secrets in key
 * files, DNSSEC private key fields. Whitespace between characters is
 * skipped; padding is required, nothing may follow it, and the unused bits
 * of the last quantum must be zero (one canonical encoding per value).
 * Encoding is OpenSSL's EVP_EncodeBlock. No allocation, no globals.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/**
 * \brief Decode s (len characters) into out.
 * \return the decoded length, or -1 for bad base64 or more than cap octets.
 */
int b64_decode(const char *s, size_t len, uint8_t *out, size_t cap);
