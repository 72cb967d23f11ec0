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
#include "util/grow.h"
#include "util/log.h"
#include "zone/zonedir.h"
#include "zone/zonefile.h"

#define ZONEDIR_SUFFIX ".zone"

/** One zone file found in the directory. */
typedef struct {
	char *fname;
	uint8_t origin[DNAME_MAXLEN];
} zonedir_entry_t;

/** A growable set of strings (owned), deduplicated on insertion. */
typedef struct {
	char **v;
	size_t n, cap;
	bool oom;   /*!< an insertion failed: the set is incomplete */
} zonedir_strv_t;

/** One zone file and the files it includes. */
typedef struct {
	char *fname;
	zonedir_strv_t paths;
} zonedir_dep_t;

/* Sorted by fname, so a partial reload finds a zone's entry by bsearch. Only
 * zones that include something have an entry: a directory of plain zones
 * costs nothing here. */
struct zonedir_deps {
	zonedir_dep_t *v;
	size_t n, cap;
};

static void zonedir_warn(void *ctx, const char *file, unsigned line, const char *msg);
static void zonedir_included(void *ctx, const char *path);

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

/* ---- include dependencies ---- */

static int
zonedir_strv_add(zonedir_strv_t *s, const char *str)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], str) == 0)
			return 0;
	if (fl_grow(&s->v, &s->cap, s->n, sizeof(*s->v), 4) != 0)
		goto oom;
	s->v[s->n] = strdup(str);
	if (s->v[s->n] == NULL)
		goto oom;
	s->n++;
	return 0;
oom:
	s->oom = true;
	return FL_ENOMEM;
}

static void
zonedir_strv_free(zonedir_strv_t *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* zonefile's $INCLUDE callback: ctx is the load's zonedir_strv_t. */
static void
zonedir_included(void *ctx, const char *path)
{
	if (ctx != NULL)
		(void)zonedir_strv_add(ctx, path); /* oom is recorded in the set */
}

zonedir_deps_t *
zonedir_deps_new(void)
{
	return calloc(1, sizeof(zonedir_deps_t));
}

static void
zonedir_deps_clear(zonedir_deps_t *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].fname);
		zonedir_strv_free(&d->v[i].paths);
	}
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}

void
zonedir_deps_free(zonedir_deps_t *d)
{
	if (d == NULL)
		return;
	zonedir_deps_clear(d);
	free(d);
}

static int
zonedir_dep_cmp(const void *a, const void *b)
{
	const zonedir_dep_t *x = a, *y = b;
	return strcmp(x->fname, y->fname);
}

/* Index of fname's entry, or -1 with *pos = where it would go. */
static ssize_t
zonedir_deps_find(const zonedir_deps_t *d, const char *fname, size_t *pos)
{
	size_t lo = 0, hi = d->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(d->v[mid].fname, fname);
		if (c == 0)
			return (ssize_t)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (pos != NULL)
		*pos = lo;
	return -1;
}

/* Make room for one more entry at the end. */
static int
zonedir_deps_grow(zonedir_deps_t *d)
{
	if (d->n < d->cap)
		return 0;
	size_t ncap = d->cap ? d->cap * 2 : 16;
	zonedir_dep_t *grown = realloc(d->v, ncap * sizeof(*grown));
	if (grown == NULL)
		return FL_ENOMEM;
	d->v = grown;
	d->cap = ncap;
	return 0;
}

/* What a zone depends on after a load attempt: what this attempt reached
 * and, when the attempt failed (the served version stays), what the served
 * version was built from too, so that fixing either file reloads the zone.
 * paths is consumed. */
static int
zonedir_deps_merge(const zonedir_deps_t *prev, const char *fname, bool ok, zonedir_strv_t *paths)
{
	ssize_t i = prev != NULL ? zonedir_deps_find(prev, fname, NULL) : -1;
	if ((!ok || paths->oom) && i >= 0) {
		const zonedir_strv_t *o = &prev->v[i].paths;
		for (size_t k = 0; k < o->n; k++)
			if (zonedir_strv_add(paths, o->v[k]) != 0)
				return FL_ENOMEM;
	}
	return paths->oom ? FL_ENOMEM : 0;
}

/* Set (or, with an empty set, drop) fname's entry in a sorted table. paths is consumed. */
static int
zonedir_deps_set(zonedir_deps_t *d, const char *fname, zonedir_strv_t *paths)
{
	size_t pos = 0;
	ssize_t i = zonedir_deps_find(d, fname, &pos);
	if (i >= 0) {
		zonedir_strv_free(&d->v[i].paths);
		if (paths->n > 0) {
			d->v[i].paths = *paths;
			memset(paths, 0, sizeof(*paths));
			return 0;
		}
		free(d->v[i].fname);
		memmove(&d->v[i], &d->v[i + 1], (d->n - (size_t)i - 1) * sizeof(*d->v));
		d->n--;
		return 0;
	}
	if (paths->n == 0)
		return 0;
	char *f = strdup(fname);
	if (f == NULL || zonedir_deps_grow(d) != 0) {
		free(f);
		zonedir_strv_free(paths);
		return FL_ENOMEM;
	}
	memmove(&d->v[pos + 1], &d->v[pos], (d->n - pos) * sizeof(*d->v));
	d->v[pos].fname = f;
	d->v[pos].paths = *paths;
	memset(paths, 0, sizeof(*paths));
	d->n++;
	return 0;
}

size_t
zonedir_deps_users(const zonedir_deps_t *d, const char *path, void (*cb)(void *ctx, const char *fname),
		   void *ctx)
{
	size_t calls = 0;
	for (size_t i = 0; d != NULL && i < d->n; i++) {
		for (size_t k = 0; k < d->v[i].paths.n; k++) {
			if (strcmp(d->v[i].paths.v[k], path) == 0) {
				cb(ctx, d->v[i].fname);
				calls++;
				break;
			}
		}
	}
	return calls;
}

static int
zonedir_str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
zonedir_deps_paths(const zonedir_deps_t *d, const char ***out, size_t *nout)
{
	size_t total = 0, n = 0;
	*out = NULL;
	*nout = 0;
	for (size_t i = 0; d != NULL && i < d->n; i++)
		total += d->v[i].paths.n;
	if (total == 0)
		return 0;
	const char **v = malloc(total * sizeof(*v));
	if (v == NULL)
		return FL_ENOMEM;
	for (size_t i = 0; i < d->n; i++)
		for (size_t k = 0; k < d->v[i].paths.n; k++)
			v[n++] = d->v[i].paths.v[k];
	/* Many zones usually include the same few files: sort, then unique. */
	qsort(v, n, sizeof(*v), zonedir_str_cmp);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (u == 0 || strcmp(v[u - 1], v[i]) != 0)
			v[u++] = v[i];
	*out = v;
	*nout = u;
	return 0;
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
zonedir_load_one(const char *dir, const zonedir_entry_t *e, const zonedb_t *old, zonedir_stats_t *st,
		 zonedir_strv_t *incl)
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
	/* warn ignores its ctx, so the ctx carries the include collector. */
	const zonefile_opts_t opts = { .base_dir = dir, .warn = zonedir_warn, .warn_ctx = incl,
				       .included = zonedir_included };
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
	/* The file's serial: the served one is decided by the commit step
	 * (serial policy), which logs what it publishes. */
	if (prev != NULL)
		log_info("zone %s read: file serial %u, %llu records, %.1f ms", oname, serial,
			 (unsigned long long)records, zonedir_ms_since(&t0));
	else
		log_notice("zone %s loaded: serial %u, %llu records, %.1f ms", oname, serial,
			   (unsigned long long)records, zonedir_ms_since(&t0));
	return z;
}

int
zonedir_load(const char *dir, const zonedb_t *old, zonedb_t **out, zonedir_stats_t *stats)
{
	return zonedir_load_deps(dir, old, out, stats, NULL);
}

int
zonedir_load_deps(const char *dir, const zonedb_t *old, zonedb_t **out, zonedir_stats_t *stats,
		  zonedir_deps_t *deps)
{
	zonedir_stats_t st;
	zonedir_entry_t *ents = NULL;
	size_t nents = 0;
	zone_t **zones = NULL;
	bool *fresh = NULL;
	size_t nzones = 0;
	zonedir_deps_t ndeps = { NULL, 0, 0 };
	bool deps_oom = false;
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
		zonedir_strv_t incl = { NULL, 0, 0, false };
		zone_t *z = zonedir_load_one(dir, &ents[i], old, &st, deps != NULL ? &incl : NULL);
		if (z != NULL) {
			fresh[nzones] = true;
			zones[nzones++] = z;
		} else if (old != NULL) {
			const zone_t *prev = zonedb_get(old, ents[i].origin);
			if (prev != NULL)
				zones[nzones++] = (zone_t *)prev;
		}
		/* The table is rebuilt from this pass (zones whose file is gone
		 * simply do not appear); entries come in origin order and are
		 * sorted by file name once at the end. */
		if (deps != NULL && !deps_oom &&
		    (zonedir_deps_merge(deps, ents[i].fname, z != NULL, &incl) != 0 ||
		     (incl.n > 0 && zonedir_deps_grow(&ndeps) != 0)))
			deps_oom = true;
		if (deps != NULL && !deps_oom && incl.n > 0) {
			ndeps.v[ndeps.n].fname = strdup(ents[i].fname);
			if (ndeps.v[ndeps.n].fname == NULL) {
				deps_oom = true;
			} else {
				ndeps.v[ndeps.n++].paths = incl;
				memset(&incl, 0, sizeof(incl));
			}
		}
		zonedir_strv_free(&incl);
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
	if (deps != NULL) {
		/* Losing track of includes only costs automatic reloads: the
		 * zones still load and SIGHUP still works, so keep the old table. */
		if (deps_oom) {
			log_warning("zone directory '%s': out of memory while recording $INCLUDE "
				    "dependencies, keeping the previous ones", dir);
		} else {
			if (ndeps.n > 1)
				qsort(ndeps.v, ndeps.n, sizeof(*ndeps.v), zonedir_dep_cmp);
			zonedir_deps_clear(deps);
			*deps = ndeps;
			memset(&ndeps, 0, sizeof(ndeps));
		}
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
	zonedir_deps_clear(&ndeps);
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

/** One file of a partial reload and what became of it. */
typedef struct {
	zonedir_entry_t e;      /*!< fname borrowed from the caller */
	zone_t *z;              /*!< new version, or NULL */
	bool remove;            /*!< drop the served zone */
} zonedir_change_t;

static int
zonedir_change_cmp(const void *a, const void *b)
{
	const zonedir_change_t *x = a, *y = b;
	return dname_canon_cmp(x->e.origin, y->e.origin);
}

int
zonedir_reload_files(const char *dir, const zonedb_t *old, const char *const *fnames, size_t n,
		     zonedir_deps_t *deps, zonedb_t **out, zonedir_stats_t *stats)
{
	zonedir_stats_t st;
	zonedir_change_t *ch = NULL;
	zone_t **zones = NULL;
	size_t nch = 0, nzones = 0, nold = zonedb_count(old);
	bool deps_oom = false;
	int ret = 0;

	memset(&st, 0, sizeof(st));
	st.files = n;
	*out = NULL;
	ch = calloc(n + 1, sizeof(*ch));
	zones = calloc(nold + n + 1, sizeof(*zones));
	if (ch == NULL || zones == NULL)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		if (zonedir_origin(fnames[i], ch[nch].e.origin) < 0) {
			log_error("%s/%s: file name is not a valid zone name, skipped", dir, fnames[i]);
			st.skipped++;
			continue;
		}
		ch[nch++].e.fname = (char *)fnames[i];
	}
	/* Sorted by origin: duplicates (the same file twice) become
	 * neighbours, and the merge with the served snapshot is one pass. */
	if (nch > 1)
		qsort(ch, nch, sizeof(*ch), zonedir_change_cmp);
	size_t u = 0;
	for (size_t i = 0; i < nch; i++)
		if (u == 0 || !dname_eq(ch[u - 1].e.origin, ch[i].e.origin))
			ch[u++] = ch[i];
	nch = u;

	for (size_t i = 0; i < nch; i++) {
		zonedir_change_t *c = &ch[i];
		char path[4096];
		struct stat sb;
		const zone_t *prev = zonedb_get(old, c->e.origin);
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, c->e.fname) >= sizeof(path)) {
			log_error("%s/%s: path too long, skipped", dir, c->e.fname);
			st.failed++;
			continue;
		}
		/* stat, then load: if the file vanishes in between, the load
		 * fails (served version kept) and the deletion's own event
		 * brings us back here to remove the zone. */
		int sr = stat(path, &sb);
		int en = sr != 0 ? errno : 0;
		if (sr != 0 && en != ENOENT && en != ENOTDIR) {
			log_error("%s: %s (zone kept as served)", path, strerror(en));
			st.failed++;
			continue;
		}
		if (sr != 0 || !S_ISREG(sb.st_mode)) {
			zonedir_strv_t none = { NULL, 0, 0, false };
			if (deps != NULL && zonedir_deps_set(deps, c->e.fname, &none) != 0)
				deps_oom = true;
			if (prev == NULL)
				continue;
			char oname[1024];
			if (dname_to_str(c->e.origin, oname, sizeof(oname)) < 0)
				snprintf(oname, sizeof(oname), "?");
			log_notice("zone %s removed: its file %s %s", oname, path,
				   sr != 0 ? "is gone" : "is not a regular file");
			c->remove = true;
			st.removed++;
			continue;
		}
		zonedir_strv_t incl = { NULL, 0, 0, false };
		c->z = zonedir_load_one(dir, &c->e, old, &st, deps != NULL ? &incl : NULL);
		if (deps != NULL && (zonedir_deps_merge(deps, c->e.fname, c->z != NULL, &incl) != 0 ||
				     zonedir_deps_set(deps, c->e.fname, &incl) != 0))
			deps_oom = true;
		zonedir_strv_free(&incl);
	}
	if (deps_oom)
		log_warning("zone directory '%s': out of memory while recording $INCLUDE dependencies",
			    dir);
	if (st.loaded == 0 && st.removed == 0)
		goto done; /* identical to the served snapshot: *out stays NULL */

	/* Merge the sorted changes into the served zones (also sorted in
	 * canonical order): everything not named in the batch is shared. */
	size_t i = 0, j = 0;
	while (i < nold || j < nch) {
		const zone_t *oz = i < nold ? zonedb_at(old, i) : NULL;
		int cmp = oz == NULL ? 1 : j == nch ? -1 : dname_canon_cmp(oz->origin, ch[j].e.origin);
		if (cmp < 0) {
			zones[nzones++] = (zone_t *)oz;
			i++;
			continue;
		}
		if (ch[j].z != NULL)
			zones[nzones++] = ch[j].z;
		else if (cmp == 0 && !ch[j].remove)
			zones[nzones++] = (zone_t *)oz;
		if (cmp == 0)
			i++;
		j++;
	}
	/* One snapshot for the whole batch: one sort, however many files. */
	*out = zonedb_from(zones, nzones);
	if (*out == NULL)
		goto oom;
	/* The snapshot holds references to the new versions now. */
	for (size_t k = 0; k < nch; k++)
		ch[k].z = NULL;
	goto done;
oom:
	ret = FL_ENOMEM;
	log_error("zone directory '%s': out of memory, reload of %zu files abandoned", dir, n);
done:
	for (size_t k = 0; ch != NULL && k < nch; k++)
		if (ch[k].z != NULL)
			zone_free(ch[k].z);
	free(zones);
	free(ch);
	if (stats != NULL)
		*stats = st;
	return ret;
}
