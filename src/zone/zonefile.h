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
	const char *base_dir;  /*!< $INCLUDE paths are relative to it and may not leave it; NULL = dir of the file */
	int max_include_depth; /*!< 0 picks 8 */
	uint32_t default_ttl;  /*!< used before any $TTL / SOA: 0 picks 3600 */
	zonefile_warn_fn warn; /*!< optional */
	void *warn_ctx;
} zonefile_opts_t;

/** Error report: "file:line: reason". */
typedef struct {
	char file[512];
	unsigned line;
	char msg[512];
} zonefile_error_t;

/**
 * \brief Read a zone file and build a validated version.
 * \param path    the file
 * \param origin  lowercased wire name of the zone (from the file name)
 * \param opts    may be NULL
 * \param out     receives the version (zone_free) on success
 * \param err     receives file, line and reason on failure
 * \return 0 or a negative code (err filled).
 */
int zonefile_load(const char *path, const uint8_t *origin, const zonefile_opts_t *opts, zone_t **out,
		  zonefile_error_t *err);

/**
 * \brief Parse zone file text held in memory (for tests and fuzzing).
 * name is used as the file name in errors; $INCLUDE is resolved against opts->base_dir.
 */
int zonefile_load_mem(const char *text, size_t len, const char *name, const uint8_t *origin,
		      const zonefile_opts_t *opts, zone_t **out, zonefile_error_t *err);

