/* SPDX-License-Identifier: MIT */
/**
 * \file
 * RFC 1035 master file reader: text -> zone_builder. Our own scanner
 * (directives, owners, TTL/class/type, quoting, parentheses, escapes) with
 * fast paths for the common types and ldns for the rest; $INCLUDE (confined
 * to the zone directory, bounded depth) and BIND's $GENERATE.
 * Not thread-safe per call; separate calls may run on separate threads.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "zone/zone.h"

/** Non-fatal findings (TTL mismatch, ...), "file:line: msg" parts. */
typedef void (*zonefile_warn_fn)(void *ctx, const char *file, unsigned line, const char *msg);

/** Reader options. */
typedef struct {
	const char *base_dir;  /*!< $INCLUDE paths are relative to it and may not leave it (after
				    resolving "..", symlinks and absolute paths); NULL = dir of the file */
	int max_include_depth; /*!< nested $INCLUDE levels allowed; 0 picks 8, capped at 64 */
	uint32_t default_ttl;  /*!< used before any $TTL / SOA: 0 picks 3600 */
	zonefile_warn_fn warn; /*!< optional */
	void *warn_ctx;
	/*! optional: called with the resolved path (realpath, inside base_dir) of each file
	    pulled in by $INCLUDE, before it is read, so callers can track the dependency even
	    when the included file then fails to load; ctx is warn_ctx */
	void (*included)(void *ctx, const char *path);
} zonefile_opts_t;

/**
 * Error report, printed by callers as "file:line: msg". file is the zone file
 * or, for errors inside an $INCLUDEd file, that file (as base_dir/path).
 * line is where the offending token is for syntax errors, where the record
 * starts for errors about a whole record, the first record of the offending
 * name for zone-level errors from the builder, and 0 when no line applies
 * (missing SOA, unreadable file). msg is the reason alone, e.g.
 * "unknown type 'AAA'" or "name 'x.other.org.' is outside the zone example.com.".
 */
typedef struct {
	char file[512];
	unsigned line;
	char msg[512];
} zonefile_error_t;

/**
 * \brief Read a zone file and build a validated version.
 *
 * Syntax: RFC 1035 §5 master files (blank owner = previous owner, '@',
 * relative names, TTL and class in either order, TTL units such as 1h30m,
 * parentheses, quoted strings, \X and \DDD escapes), $ORIGIN, $TTL,
 * $INCLUDE file [origin] (RFC 1035 §5.1: $ORIGIN and $TTL changes inside the
 * include do not flow back), BIND's $GENERATE, RFC 3597 TYPEnnn and
 * "\# len hex". Class IN only. TTL of a record without one: $TTL, else the
 * previous record's, else the SOA MINIMUM, else opts->default_ttl (each
 * fallback warned once). A TXT string longer than 255 octets is split into
 * 255-octet strings instead of being refused. The first error stops loading.
 *
 * \param path    the file (read whole into memory; must be a regular file)
 * \param origin  wire name of the zone (from the file name); lowercased here
 * \param opts    may be NULL (all defaults, no warnings)
 * \param out     receives the version (calls malloc; free with zone_free) on success, NULL on failure
 * \param err     receives file, line and reason on failure
 * \return 0, or FL_ESYNTAX (bad text), FL_ERANGE (TTL or number out of range),
 *   FL_EOUTZONE, FL_ENOTSUP (class other than IN), FL_ELIMIT ($INCLUDE depth or
 *   cycle, sizes), FL_EINVAL ($INCLUDE outside base_dir, bad origin),
 *   FL_ESEMANTIC (zone-level validation by the builder), FL_ENOMEM, or -errno
 *   for I/O; err is filled in every failure case.
 */
int zonefile_load(const char *path, const uint8_t *origin, const zonefile_opts_t *opts, zone_t **out,
		  zonefile_error_t *err);

/**
 * \brief Parse zone file text held in memory (for tests and fuzzing).
 * text need not be NUL-terminated (a NUL byte inside is a syntax error).
 * name is used as the file name in errors (NULL: "(memory)"); $INCLUDE is
 * resolved against opts->base_dir and refused when that is NULL.
 * Same results and ownership as zonefile_load().
 */
int zonefile_load_mem(const char *text, size_t len, const char *name, const uint8_t *origin,
		      const zonefile_opts_t *opts, zone_t **out, zonefile_error_t *err);

