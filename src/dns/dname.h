/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Domain names in uncompressed wire format (length-prefixed labels ending
 * with the root label). Inside flame-dns names are stored lowercased, so
 * equality is memcmp. Pure: no allocation, no I/O.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNAME_MAXLEN 255   /*!< octets including the root label */
#define DNAME_MAXLABELS 128
#define DNAME_LABELMAX 63

/**
 * \brief Read a possibly compressed name from a message.
 * \param pkt     the whole message (pointers are offsets into it)
 * \param pktlen  its length
 * \param pos     in: offset of the name; out: offset just after the name as
 *                it appears at that place (after the first pointer, if any)
 * \param out     receives the uncompressed name (DNAME_MAXLEN bytes)
 * \param lower   lowercase ASCII letters while copying
 * \return name length (>= 1) or FL_EMALF / FL_ELOOP / FL_ENAMELEN / FL_ELABEL.
 * Pointers must point backwards (strictly before the current label), which
 * rules out loops.
 */
int dname_unpack(const uint8_t *pkt, size_t pktlen, size_t *pos, uint8_t *out, bool lower);

/**
 * \brief Validate an uncompressed name at buf (at most maxlen bytes available).
 * \return its length, or a negative code (compression pointers are refused).
 */
int dname_check(const uint8_t *buf, size_t maxlen);

/** \brief Length of a valid uncompressed name (including the root label). */
size_t dname_len(const uint8_t *n);

/** \brief Number of labels, not counting the root (root = 0). */
int dname_labels(const uint8_t *n);

/** \brief Lowercase ASCII letters in place. */
void dname_lower(uint8_t *n);

/** \brief Equality of two lowercased names. */
bool dname_eq(const uint8_t *a, const uint8_t *b);

/** \brief Case-insensitive equality. */
bool dname_eq_nocase(const uint8_t *a, const uint8_t *b);

/**
 * \brief Is child equal to or below parent? Both lowercased, lengths known.
 */
bool dname_is_sub(const uint8_t *child, size_t child_len, const uint8_t *parent, size_t parent_len);

/**
 * \brief The name with its first `strip` labels removed (points into n).
 */
const uint8_t *dname_strip(const uint8_t *n, int strip);

/**
 * \brief RFC 4034 §6.1 canonical order of two lowercased names: <0, 0, >0.
 */
int dname_canon_cmp(const uint8_t *a, const uint8_t *b);

/** \brief True when the first label is the wildcard label '*'. */
static inline bool dname_is_wildcard(const uint8_t *n) { return n[0] == 1 && n[1] == '*'; }

/**
 * \brief Presentation format to wire (lowercased).
 * \param s       text, e.g. "www", "www.example.com.", "@", with \DDD and \X escapes
 * \param slen    its length (the text need not be NUL-terminated)
 * \param origin  lowercased wire name appended to relative names, or NULL
 *                (then relative names are an error)
 * \param out     DNAME_MAXLEN bytes
 * \return name length or FL_ESYNTAX / FL_ELABEL / FL_ENAMELEN.
 */
int dname_from_str(const char *s, size_t slen, const uint8_t *origin, uint8_t *out);

/**
 * \brief Wire to presentation format with a trailing dot, escaping
 * special characters as \X and non-printables as \DDD.
 * \return characters written (without NUL) or FL_ESPACE. outlen >= 1024 always fits.
 */
int dname_to_str(const uint8_t *n, char *out, size_t outlen);

/** \brief Hash of len bytes of a lowercased name (for hash tables). */
uint32_t dname_hash(const uint8_t *n, size_t len);
