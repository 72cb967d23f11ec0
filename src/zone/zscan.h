/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Private to the zone file reader (zonefile.c): the master-file lexer and
 * the rdata converters (presentation text -> uncompressed wire). The lexer
 * cuts one entry (a line, or several lines joined by parentheses) into
 * tokens that point into the file buffer, with escapes left in place: each
 * consumer decodes only what it needs, so the common path never copies.
 * Not part of any public API; nothing here logs or allocates per record.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZSCAN_TOK_QUOTED 0x01 /*!< was "..." (s/len exclude the quotes) */
#define ZSCAN_TOK_ESC 0x02    /*!< contains a backslash: must be decoded */
#define ZSCAN_TOK_OWNER 0x04  /*!< started in column 0 of the entry's first line */

/** One token of an entry; s points into the buffer being scanned. */
typedef struct {
	const char *s;
	uint32_t len;
	uint32_t line;
	uint32_t flags;
} zscan_tok_t;

/** Cursor over one buffer (a file or generated text). */
typedef struct {
	const char *p;   /*!< next character */
	const char *end; /*!< one past the last character */
	uint32_t line;   /*!< line of *p, from 1 */
} zscan_src_t;

/** Token array reused for every entry (grows, never shrinks until freed). */
typedef struct {
	zscan_tok_t *tok;
	size_t n;
	size_t cap;
	uint32_t line; /*!< line where the entry starts (its first token) */
} zscan_entry_t;

/** Where a failure is, and why. */
typedef struct {
	uint32_t line;  /*!< 0 = use the entry's line */
	char msg[400];
} zscan_err_t;

/**
 * \brief Cut the next non-empty entry out of src into e.
 * \return 1 when an entry was read, 0 at the end of the buffer, or
 *   FL_ESYNTAX / FL_ELIMIT / FL_ENOMEM (err filled).
 * Calls realloc on e->tok when an entry has more tokens than ever before;
 * free with zscan_entry_free().
 */
int zscan_next(zscan_src_t *src, zscan_entry_t *e, zscan_err_t *err);

/** \brief Free the token array of e. */
void zscan_entry_free(zscan_entry_t *e);

/**
 * \brief Parse a TTL: decimal seconds or a sequence of number+unit (s m h d w),
 * e.g. "3600", "1h30m", "1W".
 * \return 0, FL_ESYNTAX, or FL_ERANGE when above 2^32-1.
 */
int zscan_ttl(const char *s, size_t len, uint32_t *out);

/**
 * \brief Parse a name token (escapes, '@', relative to origin), lowercased.
 * \param what  used in error messages ("owner", "NS target", ...)
 * \return the wire length, or a negative code (err filled).
 */
int zscan_name(const zscan_tok_t *t, const uint8_t *origin, uint8_t *out, const char *what,
	       zscan_err_t *err);

/** \brief Recognise the common types fast (case-insensitive); falls back to rrtype_from_str. */
int zscan_type(const char *s, size_t len, uint16_t *type);

/** Scratch state of the rdata converters (one per load). */
typedef struct {
	uint8_t rd[65536 + 512]; /*!< rdata being built */
	char *text;              /*!< text handed to ldns (malloc, grown) */
	size_t text_cap;
	uint32_t soa_minimum;    /*!< MINIMUM of the last SOA converted */
} zscan_rdata_t;

/**
 * \brief Convert the rdata tokens of one record to wire in r->rd.
 * Fast paths for A AAAA NS CNAME PTR DNAME MX TXT SPF SOA SRV CAA; RFC 3597
 * "\# len hex" for any type; ldns for the other known types. Names in
 * RDF_CNAME / RDF_LNAME fields come out lowercased (RFC 4034 §6.2).
 * \param origin  lowercased wire origin for relative names
 * \return rdata length (>= 0) or a negative code (err filled).
 */
int zscan_rdata(zscan_rdata_t *r, uint16_t type, const zscan_tok_t *t, size_t n,
		const uint8_t *origin, zscan_err_t *err);

/** \brief Release what zscan_rdata allocated (the ldns text buffer). */
void zscan_rdata_free(zscan_rdata_t *r);

/** \brief Type mnemonic for messages ("AAAA", "TYPE65534"). buf >= 16 bytes. */
const char *zscan_type_str(uint16_t type, char *buf, size_t len);
