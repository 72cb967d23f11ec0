/* SPDX-License-Identifier: MIT */
/**
 * \file
 * NSEC and NSEC3 primitives for a DNSSEC signer: the Type Bit Maps field
 * (RFC 4034 §4.1.2), the NSEC3 hash (RFC 5155 §5), base32hex without
 * padding (RFC 4648 §7, RFC 5155 §3.3), NSEC3 owner names, and the NSEC,
 * NSEC3 and NSEC3PARAM RDATA in wire format.
 *
 * Not here: building or walking a chain over a zone, choosing which types
 * a node lists, signing. Names are uncompressed wire format everywhere.
 * No allocation except inside OpenSSL (nsec3_hash), no I/O, no globals.
 *
 * Chain order: the NSEC3 chain is ordered by the raw hash octets
 * (nsec3_hash_cmp()). Base32hex keeps the bit order of its input and its
 * alphabet (0-9 then a-v) is ascending in ASCII, and every hashed label has
 * the same length (32), so under one origin the canonical order of the
 * owner names (RFC 4034 §6.1, dname_canon_cmp()) is the order of the hashes.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NSEC3_HASH_SHA1 1      /*!< the only NSEC3 hash algorithm (RFC 5155 §11) */
#define NSEC3_FLAG_OPTOUT 0x01 /*!< Opt-Out flag in NSEC3 Flags (RFC 5155 §3.1.2.1) */
#define NSEC3_HASHLEN 20       /*!< SHA-1 digest length */
#define NSEC3_B32LEN 32        /*!< base32hex length of a 20-octet hash (the hashed label) */
#define NSEC3_SALT_MAX 255     /*!< Salt Length is one octet */

/** RFC 9276 §3.1: zones SHOULD use 0 additional iterations. */
#define NSEC3_DEFAULT_ITERATIONS 0
/** RFC 9276 §3.1: zones SHOULD NOT use a salt (salt length 0, "-" in text). */
#define NSEC3_DEFAULT_SALTLEN 0

/**
 * Longest Type Bit Maps field: 256 windows (the high octet of a type) of
 * 2 + 32 octets each. (A window's bitmap is at most 32 octets; there can be
 * 256 windows, not 32.)
 */
#define NSEC_BITMAP_MAXLEN (256 * 34)

/**
 * \brief Build the Type Bit Maps field (RFC 4034 §4.1.2) from a type list.
 *
 * Types may come in any order and repeat. Every type given is encoded,
 * including 0 and the meta/pseudo-types: deciding which types a node lists
 * (RFC 4034 §4.1.2 says pseudo-types MUST be clear) is the caller's job.
 * Windows are written in ascending order, each as short as its highest set
 * bit allows (no trailing zero octets).
 *
 * \param types  the types (may be NULL when n is 0)
 * \param n      number of types
 * \param out    receives the field (may be NULL when cap is 0)
 * \param cap    room in out; NSEC_BITMAP_MAXLEN always fits
 * \return its length (0 for an empty list) or FL_ESPACE.
 */
int nsec_bitmap(const uint16_t *types, size_t n, uint8_t *out, size_t cap);

/**
 * \brief Is the bit for type set in a Type Bit Maps field?
 * \param bm   the field (may be NULL when len is 0)
 * \param len  its length
 * \param type the type to look up
 * \return true when set. A malformed field is read only as far as it is
 *   well-formed and never beyond len (check it with nsec_bitmap_check()).
 */
bool nsec_bitmap_has(const uint8_t *bm, size_t len, uint16_t type);

/**
 * \brief Validate a Type Bit Maps field (RFC 4034 §4.1.2).
 * \param bm   the field (may be NULL when len is 0)
 * \param len  its length; 0 (no types) is valid
 * \return 0, or FL_EMALF when a window header or block is truncated, a
 *   bitmap length is 0 or above 32, windows are not strictly ascending, or
 *   a window's last octet is zero.
 */
int nsec_bitmap_check(const uint8_t *bm, size_t len);

/**
 * \brief The NSEC3 hash of a name (RFC 5155 §5), algorithm 1 (SHA-1):
 * IH(salt, x, 0) = H(x || salt), IH(salt, x, k) = H(IH(salt, x, k-1) || salt).
 * \param name        uncompressed wire name in any case; it is lowercased
 *                    here (on a copy) as §5 requires
 * \param salt        the salt (may be NULL when saltlen is 0)
 * \param saltlen     0..255
 * \param iterations  additional iterations (RFC 9276: use 0)
 * \param out         receives the 20-octet digest
 * \return 0, FL_EINVAL (invalid name, saltlen > 255), FL_ENOTSUP (SHA-1
 *   unavailable in this OpenSSL, e.g. a FIPS-only provider), FL_ENOMEM.
 */
int nsec3_hash(const uint8_t *name, const uint8_t *salt, size_t saltlen, uint16_t iterations,
	       uint8_t out[NSEC3_HASHLEN]);

/**
 * \brief Order of two NSEC3 hashes, which is the NSEC3 chain order.
 * \param a, b  NSEC3_HASHLEN octets each
 * \return <0, 0, >0 as memcmp.
 */
int nsec3_hash_cmp(const uint8_t *a, const uint8_t *b);

/**
 * \brief Base32hex (RFC 4648 §7), lowercase, without padding, as in NSEC3
 * owner labels and presentation form (RFC 5155 §3.3).
 * \param in   data (may be NULL when len is 0)
 * \param out  receives ceil(len * 8 / 5) characters and a NUL
 * \param cap  room in out, NUL included
 * \return characters written (NUL not counted), or 0 when cap is too small
 *   (then out[0] is NUL if cap > 0). An empty input also returns 0.
 */
size_t b32hex_encode(const uint8_t *in, size_t len, char *out, size_t cap);

/**
 * \brief Decode base32hex without padding, in either case.
 *
 * Strict: '=' padding, whitespace, a length that no input encodes to
 * (len mod 8 of 1, 3 or 6) and non-zero unused bits in the last character
 * (RFC 4648 §3.5 lets decoders reject those) are all FL_ESYNTAX, so each
 * octet string has exactly one accepted text per case.
 *
 * \param in   text (need not be NUL-terminated; may be NULL when len is 0)
 * \param len  its length
 * \param out  receives len * 5 / 8 octets
 * \param cap  room in out
 * \return octets written, FL_ESYNTAX, or FL_ESPACE.
 */
int b32hex_decode(const char *in, size_t len, uint8_t *out, size_t cap);

/**
 * \brief The NSEC3 owner name <base32hex(hash)>.<origin> (RFC 5155 §3).
 * \param hash    NSEC3_HASHLEN octets
 * \param origin  the zone apex, uncompressed wire name; copied lowercased
 * \param out     DNAME_MAXLEN bytes; receives the lowercased name
 * \return name length, FL_ENAMELEN when the origin is longer than 222
 *   octets (the result would exceed 255), FL_EINVAL for an invalid origin.
 */
int nsec3_owner(const uint8_t hash[NSEC3_HASHLEN], const uint8_t *origin, uint8_t *out);

/**
 * \brief NSEC RDATA (RFC 4034 §4.2): Next Domain Name | Type Bit Maps.
 *
 * The next name is copied as given, uncompressed and NOT lowercased:
 * RFC 4034 §6.2 listed NSEC among the types whose RDATA names are
 * lowercased in canonical form, but RFC 6840 §5.1 corrects that list: NSEC
 * RDATA names are not converted to lowercase (for ordering or signing).
 * Inside flame-dns names are already lowercase, so a signer that passes
 * zone names writes lowercase next names anyway.
 *
 * \param next   uncompressed wire name
 * \param bm     Type Bit Maps field (nsec_bitmap()); may be NULL when bmlen is 0
 * \param bmlen  its length
 * \param out    receives the RDATA
 * \param cap    room in out
 * \return RDATA length, FL_EINVAL (invalid next name or bitmap), FL_ESPACE.
 */
int nsec_rdata(const uint8_t *next, const uint8_t *bm, size_t bmlen, uint8_t *out, size_t cap);

/**
 * \brief NSEC3 RDATA (RFC 5155 §3.2): Hash Algorithm (1 = SHA-1) | Flags |
 * Iterations | Salt Length | Salt | Hash Length | Next Hashed Owner Name |
 * Type Bit Maps.
 * \param flags      0 or NSEC3_FLAG_OPTOUT; other bits are reserved and
 *                   MUST be zero (§3.1.2), so they are refused
 * \param iterations additional iterations
 * \param salt       may be NULL when saltlen is 0
 * \param saltlen    0..255
 * \param next_hash  the next hashed owner name, raw octets (not base32hex)
 * \param hashlen    1..255 (NSEC3_HASHLEN for SHA-1)
 * \param bm         Type Bit Maps field; may be NULL when bmlen is 0 (an
 *                   empty non-terminal's NSEC3 lists no types)
 * \param bmlen      its length
 * \param out        receives the RDATA
 * \param cap        room in out
 * \return RDATA length, FL_EINVAL (flags, salt or hash length out of range,
 *   malformed bitmap), FL_ESPACE.
 */
int nsec3_rdata(uint8_t flags, uint16_t iterations, const uint8_t *salt, size_t saltlen, const uint8_t *next_hash,
		size_t hashlen, const uint8_t *bm, size_t bmlen, uint8_t *out, size_t cap);

/**
 * \brief NSEC3PARAM RDATA (RFC 5155 §4.2): Hash Algorithm (1) | Flags |
 * Iterations | Salt Length | Salt.
 * \param flags      must be 0: §4.1.2 says the Opt-Out flag is zero here and
 *                   the other bits are reserved (servers ignore NSEC3PARAM
 *                   with flags set, §4), so anything else is FL_EINVAL
 * \param iterations additional iterations
 * \param salt       may be NULL when saltlen is 0
 * \param saltlen    0..255
 * \param out        receives the RDATA
 * \param cap        room in out
 * \return RDATA length, FL_EINVAL, FL_ESPACE.
 */
int nsec3param_rdata(uint8_t flags, uint16_t iterations, const uint8_t *salt, size_t saltlen, uint8_t *out,
		     size_t cap);
