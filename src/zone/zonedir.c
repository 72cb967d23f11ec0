/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Zone directory loader (see zonedir.h). It reads file names and calls
 * zonefile_load(); parsing and validation belong to zonefile.c and zone.c.
 * The published snapshot is never modified: every step builds a new one.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "dns/dname.h"
#include "util/err.h"
#include "util/log.h"
#include "zone/zonedir.h"
#include "zone/zonefile.h"

#define ZONEDIR_SUFFIX ".zone"

/** One zone file found in the directory. */
typedef struct {
	char *fname;
	uint8_t origin[DNAME_MAXLEN];
} zonedir_entry_t;

static void zonedir_warn(void *ctx, const char *file, unsigned line, const char *msg);

int
zonedir_origin(const char *fname, uint8_t *out)
{
	const size_t slen = sizeof(ZONEDIR_SUFFIX) - 1;
	size_t len = strlen(fname);
	if (len <= slen || strcmp(fname + len - slen, ZONEDIR_SUFFIX) != 0)
		return FL_EINVAL;
	len -= slen;
	/* Escapes would make two file names mean one zone, and a trailing dot
	 * would give "example.com.zone" a second spelling; "." alone is the root. */
	if (memchr(fname, '\\', len) != NULL)
		return FL_ESYNTAX;
	if (len == 1 && fname[0] == '.')
		return dname_from_str(".", 1, NULL, out);
	if (fname[len - 1] == '.')
		return FL_ESYNTAX;
	char text[DNAME_MAXLEN * 4 + 2];
	if (len + 1 >= sizeof(text))
		return FL_ENAMELEN;
	memcpy(text, fname, len);
	text[len] = '.';
	return dname_from_str(text, len + 1, NULL, out);
}

static void
zonedir_warn(void *ctx, const char *file, unsigned line, const char *msg)
{
	log_warning("%s:%u: %s", file, line, msg);
}

static int
zonedir_entry_cmp(const void *a, const void *b)
{
	const zonedir_entry_t *x = a, *y = b;
	return dname_canon_cmp(x->origin, y->origin);
}

static double
zonedir_ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/** List the zone files of dir, sorted by origin. */
static int
zonedir_scan(const char *dir, zonedir_entry_t **out, size_t *nout, zonedir_stats_t *st)
{
	zonedir_entry_t *v = NULL, *grown;
	size_t n = 0, cap = 0;
	int ret = 0;

	DIR *d = opendir(dir);
	if (d == NULL) {
		ret = -errno;
		log_error("zone directory '%s': %s", dir, strerror(errno));
		return ret;
	}
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (de == NULL) {
			if (errno != 0) {
				ret = -errno;
				log_error("zone directory '%s': %s", dir, strerror(errno));
				goto fail;
			}
			break;
		}
		const char *name = de->d_name;
		size_t len = strlen(name);
		/* Hidden files are editor and tool leftovers, not zones. */
		if (name[0] == '.' && strcmp(name, "..zone") != 0)
			continue;
		if (len <= sizeof(ZONEDIR_SUFFIX) - 1 ||
		    strcmp(name + len - (sizeof(ZONEDIR_SUFFIX) - 1), ZONEDIR_SUFFIX) != 0)
			continue;
		struct stat sb;
		if (fstatat(dirfd(d), name, &sb, 0) != 0) {
			log_warning("%s/%s: %s, skipped", dir, name, strerror(errno));
			st->skipped++;
			continue;
		}
		if (!S_ISREG(sb.st_mode)) {
			log_debug("%s/%s: not a regular file, skipped", dir, name);
			st->skipped++;
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			grown = realloc(v, cap * sizeof(*v));
			if (grown == NULL) {
				ret = FL_ENOMEM;
				goto fail;
			}
			v = grown;
		}
		if (zonedir_origin(name, v[n].origin) < 0) {
			log_error("%s/%s: file name is not a valid zone name, skipped", dir, name);
			st->skipped++;
			continue;
		}
		v[n].fname = strdup(name);
		if (v[n].fname == NULL) {
			ret = FL_ENOMEM;
			goto fail;
		}
		n++;
	}
	closedir(d);
	d = NULL;
	if (n > 1)
		qsort(v, n, sizeof(*v), zonedir_entry_cmp);
	/* "Example.com.zone" and "example.com.zone" name one zone: refuse the pair. */
	for (size_t i = 1; i < n; i++) {
		if (dname_eq(v[i - 1].origin, v[i].origin)) {
			log_error("%s/%s: same zone as '%s', skipped", dir, v[i].fname, v[i - 1].fname);
			free(v[i].fname);
			memmove(&v[i], &v[i + 1], (n - i - 1) * sizeof(*v));
			n--;
			i--;
			st->skipped++;
		}
	}
	*out = v;
	*nout = n;
	return 0;
fail:
	if (ret == FL_ENOMEM)
		log_error("zone directory '%s': out of memory", dir);
	if (d != NULL)
		closedir(d);
	for (size_t i = 0; i < n; i++)
		free(v[i].fname);
	free(v);
	return ret;
}

/* Load one file. Returns the new version (no reference taken), or NULL
 * when it failed (logged; the caller keeps the served version). */
static zone_t *
zonedir_load_one(const char *dir, const zonedir_entry_t *e, const zonedb_t *old, zonedir_stats_t *st)
{
	char path[4096];
	char oname[1024];
	zonefile_error_t zerr;
	zone_t *z = NULL;
	struct timespec t0;

	if (dname_to_str(e->origin, oname, sizeof(oname)) < 0)
		snprintf(oname, sizeof(oname), "?");
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->fname) >= sizeof(path)) {
		log_error("%s/%s: path too long, skipped", dir, e->fname);
		st->failed++;
		return NULL;
	}
	const zonefile_opts_t opts = { .base_dir = dir, .warn = zonedir_warn };
	const zone_t *prev = old != NULL ? zonedb_get(old, e->origin) : NULL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&zerr, 0, sizeof(zerr));
	int r = zonefile_load(path, e->origin, &opts, &z, &zerr);
	if (r != 0) {
		char keep[64] = "not served";
		if (prev != NULL)
			snprintf(keep, sizeof(keep), "keeping serial %u", prev->serial);
		const char *file = zerr.file[0] ? zerr.file : path;
		const char *msg = zerr.msg[0] ? zerr.msg : fl_strerror(r);
		if (zerr.line > 0)
			log_error("%s:%u: %s (zone %s %s)", file, zerr.line, msg, oname, keep);
		else
			log_error("%s: %s (zone %s %s)", file, msg, oname, keep);
		st->failed++;
		return NULL;
	}
	uint32_t serial = z->serial;
	uint64_t records = z->nrecords;
	st->loaded++;
	if (prev != NULL && prev->serial == serial)
		log_notice("zone %s reloaded: serial %u (unchanged), %llu records, %.1f ms", oname,
			   serial, (unsigned long long)records, zonedir_ms_since(&t0));
	else if (prev != NULL)
		log_notice("zone %s reloaded: serial %u -> %u, %llu records, %.1f ms", oname,
			   prev->serial, serial, (unsigned long long)records, zonedir_ms_since(&t0));
	else
		log_notice("zone %s loaded: serial %u, %llu records, %.1f ms", oname, serial,
			   (unsigned long long)records, zonedir_ms_since(&t0));
	return z;
}

int
zonedir_load(const char *dir, const zonedb_t *old, zonedb_t **out, zonedir_stats_t *stats)
{
	zonedir_stats_t st;
	zonedir_entry_t *ents = NULL;
	size_t nents = 0;
	zone_t **zones = NULL;
	bool *fresh = NULL;
	size_t nzones = 0;
	int ret;

	memset(&st, 0, sizeof(st));
	*out = NULL;
	ret = zonedir_scan(dir, &ents, &nents, &st);
	if (ret != 0)
		goto fail;
	st.files = nents;
	zones = calloc(nents + 1, sizeof(*zones));
	fresh = calloc(nents + 1, sizeof(*fresh));
	if (zones == NULL || fresh == NULL) {
		ret = FL_ENOMEM;
		log_error("zone directory '%s': out of memory", dir);
		goto fail;
	}

	/* The new snapshot is built beside the served one: a zone that loads
	 * replaces its version, a zone that fails keeps the served version,
	 * and a zone whose file is gone is left out. */
	for (size_t i = 0; i < nents; i++) {
		zone_t *z = zonedir_load_one(dir, &ents[i], old, &st);
		if (z != NULL) {
			fresh[nzones] = true;
			zones[nzones++] = z;
		} else if (old != NULL) {
			const zone_t *prev = zonedb_get(old, ents[i].origin);
			if (prev != NULL)
				zones[nzones++] = (zone_t *)prev;
		}
	}
	for (size_t i = 0; old != NULL && i < zonedb_count(old); i++) {
		const zone_t *z = zonedb_at(old, i);
		zonedir_entry_t key;
		memcpy(key.origin, z->origin, z->origin_len);
		if (nents > 0 &&
		    bsearch(&key, ents, nents, sizeof(*ents), zonedir_entry_cmp) != NULL)
			continue;
		char oname[1024];
		if (dname_to_str(z->origin, oname, sizeof(oname)) < 0)
			snprintf(oname, sizeof(oname), "?");
		log_notice("zone %s removed: its file is gone", oname);
		st.removed++;
	}

	if (old != NULL && st.loaded == 0 && st.removed == 0)
		goto fail; /* identical to the served snapshot: *out stays NULL */
	/* One snapshot for the whole directory: one sort, not one per zone. */
	*out = zonedb_from(zones, nzones);
	if (*out == NULL) {
		ret = FL_ENOMEM;
		log_error("zone directory '%s': out of memory", dir);
		goto fail;
	}
	nzones = 0; /* the snapshot holds them now */
fail:
	for (size_t i = 0; i < nzones; i++)
		if (fresh[i])
			zone_free(zones[i]);
	free(zones);
	free(fresh);
	for (size_t i = 0; i < nents; i++)
		free(ents[i].fname);
	free(ents);
	if (stats != NULL)
		*stats = st;
	return ret;
}
