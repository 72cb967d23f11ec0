/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Shared helpers for unit tests (header only: each test is one binary).
 * Zones for the builder and query tests are written as RR text lines and
 * converted with ldns, an independent parser, so the tests do not rely on
 * our own zone file reader.
 */
#pragma once

#include <ldns/ldns.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dname.h"
#include "util/err.h"
#include "zone/zone.h"

/* A fresh directory /tmp/<name>.XXXXXX into dir (at least 64 octets); 0 or -1. */
static inline int
tu_tmpdir(char *dir, size_t len, const char *name)
{
	snprintf(dir, len, "/tmp/%s.XXXXXX", name);
	return mkdtemp(dir) == NULL ? -1 : 0;
}

/* Remove a directory made by tu_tmpdir and everything in it; 0 or the shell's status. */
static inline int
tu_rmtree(const char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* Name from text (absolute), asserts on syntax errors. */
static inline size_t
tu_name(const char *s, uint8_t *out)
{
	int n = dname_from_str(s, strlen(s), NULL, out);
	if (n < 0) {
		fprintf(stderr, "bad test name %s\n", s);
		abort();
	}
	return (size_t)n;
}

/*
 * Feed newline-separated RR lines (absolute names, ldns syntax) into a
 * builder; src = line number (1-based). Returns the builder's add() result
 * of the first failing line, or 0.
 */
static inline int
tu_feed(zone_builder_t *b, const char *text)
{
	char *copy = strdup(text);
	int ret = 0;
	uint32_t line = 0;
	for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		line++;
		while (*l == ' ' || *l == '\t')
			l++;
		if (*l == '\0' || *l == ';')
			continue;
		ldns_rr *rr = NULL;
		ldns_status st = ldns_rr_new_frm_str(&rr, l, 3600, NULL, NULL);
		if (st != LDNS_STATUS_OK) {
			fprintf(stderr, "ldns cannot parse test line '%s': %s\n", l, ldns_get_errorstr_by_id(st));
			abort();
		}
		ldns_buffer *buf = ldns_buffer_new(4096);
		for (size_t i = 0; i < ldns_rr_rd_count(rr); i++)
			ldns_rdf2buffer_wire_canonical(buf, ldns_rr_rdf(rr, i));
		ldns_rdf *owner = ldns_rr_owner(rr);
		ret = zone_builder_add(b, ldns_rdf_data(owner), ldns_rdf_size(owner), (uint16_t)ldns_rr_get_type(rr),
				       (uint16_t)ldns_rr_get_class(rr), ldns_rr_ttl(rr), ldns_buffer_begin(buf),
				       (uint16_t)ldns_buffer_position(buf), line);
		ldns_buffer_free(buf);
		ldns_rr_free(rr);
		if (ret != 0)
			break;
	}
	free(copy);
	return ret;
}

/* Build a zone from text; on failure returns NULL and fills err. */
static inline zone_t *
tu_zone(const char *origin, const char *text, zone_error_t *err)
{
	uint8_t o[DNAME_MAXLEN];
	tu_name(origin, o);
	zone_builder_t *b = zone_builder_new(o);
	int r = tu_feed(b, text);
	if (r != 0) {
		zone_builder_abort(b);
		if (err != NULL) {
			err->src = 0;
			snprintf(err->msg, sizeof(err->msg), "add: %s", fl_strerror(r));
		}
		return NULL;
	}
	zone_t *z = NULL;
	if (zone_builder_finish(b, &z, err) != 0)
		return NULL;
	return z;
}
