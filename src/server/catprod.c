/* SPDX-License-Identifier: MIT */
/** \file Catalog producer (see catprod.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog/catalog.h"
#include "dns/dname.h"
#include "server/catprod.h"
#include "util/err.h"
#include "util/log.h"
#include "zone/snapshot.h"

typedef struct {
	uint8_t origin[DNAME_MAXLEN];
	const char *group; /* the conf's string, copied below */
} cp_group_t;

struct catprod {
	uint8_t origin[DNAME_MAXLEN];
	char name[1024];
	char *snap_path;    /* labels across restarts; NULL without storage */
	cp_group_t *groups; /* sorted by origin (canonical) */
	char **group_text;
	size_t ngroups;
	catalog_t *cur;     /* members and labels of the last generated catalog */
	uint32_t cur_serial; /* the version cur was read from */
	uint32_t snap_serial;
	bool loaded;        /* the snapshot was looked at (first update) */
};

static int
group_cmp(const void *a, const void *b)
{
	return dname_canon_cmp(((const cp_group_t *)a)->origin, ((const cp_group_t *)b)->origin);
}

int
catprod_new(const conf_t *conf, catprod_t **out)
{
	const conf_zone_t *cz = NULL;
	*out = NULL;
	for (size_t i = 0; i < conf->nzone; i++)
		if (conf->zone[i].catalog == CONF_CATALOG_PRODUCER)
			cz = &conf->zone[i];
	if (cz == NULL)
		return 0;
	catprod_t *p = calloc(1, sizeof(*p));
	uint8_t root = 0;
	if (p == NULL)
		return FL_ENOMEM;
	if (dname_from_str(cz->domain, strlen(cz->domain), &root, p->origin) < 0)
		goto fail; /* conf_load checked it */
	dname_lower(p->origin);
	dname_to_str(p->origin, p->name, sizeof(p->name));
	if (conf->zones.storage != NULL) {
		size_t len = strlen(conf->zones.storage) + strlen(p->name) + 16;
		if ((p->snap_path = malloc(len)) == NULL)
			goto fail;
		snprintf(p->snap_path, len, "%s/%ssnapshot", conf->zones.storage, p->origin[0] == 0 ? "root." : p->name);
	}
	p->groups = calloc(conf->nzone + 1, sizeof(*p->groups));
	p->group_text = calloc(conf->nzone + 1, sizeof(*p->group_text));
	if (p->groups == NULL || p->group_text == NULL)
		goto fail;
	for (size_t i = 0; i < conf->nzone; i++) {
		const conf_zone_t *z = &conf->zone[i];
		cp_group_t *g = &p->groups[p->ngroups];
		if (z->catalog_group == NULL || dname_from_str(z->domain, strlen(z->domain), &root, g->origin) < 0)
			continue;
		dname_lower(g->origin);
		if ((p->group_text[p->ngroups] = strdup(z->catalog_group)) == NULL)
			goto fail;
		g->group = p->group_text[p->ngroups++];
	}
	qsort(p->groups, p->ngroups, sizeof(*p->groups), group_cmp);
	*out = p;
	return 0;
fail:
	catprod_free(p);
	return FL_ENOMEM;
}

void
catprod_free(catprod_t *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->ngroups; i++)
		free(p->group_text[i]);
	free(p->group_text);
	free(p->groups);
	catalog_free(p->cur);
	free(p->snap_path);
	free(p);
}

const uint8_t *
catprod_origin(const catprod_t *p)
{
	return p->origin;
}

static const char *
group_of(const catprod_t *p, const uint8_t *origin)
{
	cp_group_t key;
	memcpy(key.origin, origin, dname_len(origin));
	const cp_group_t *g = bsearch(&key, p->groups, p->ngroups, sizeof(*g), group_cmp);
	return g != NULL ? g->group : NULL;
}

/* The labels of the catalog served before the restart. */
static void
load_previous(catprod_t *p)
{
	zone_t *z = NULL;
	char err[600];
	p->loaded = true;
	if (p->snap_path == NULL)
		return;
	int ret = snapshot_read(p->snap_path, p->origin, &z, err, sizeof(err));
	if (ret == FL_ENOENT)
		return;
	if (ret != 0 || catalog_parse(z, &p->cur, err, sizeof(err)) != 0) {
		log_error("catalog %s: previous copy %s unusable (%s): every member gets a new label", p->name,
			  p->snap_path, err);
		p->cur = NULL;
	} else {
		p->snap_serial = p->cur_serial = z->serial;
	}
	zone_free(z);
}

static bool
same_group(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* Is the member list the one of p->cur? */
static bool
unchanged(const catprod_t *p, const catalog_entry_t *e, size_t n)
{
	if (p->cur == NULL || catalog_count(p->cur) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		const catalog_member_t *m = catalog_find(p->cur, e[i].name);
		if (m == NULL || m->label != e[i].label || !same_group(m->group, e[i].group))
			return false;
	}
	return true;
}

/* Do two snapshots hold the same zones (origins, in order)? Then the
 * member list cannot differ: the common case of a reload that edits zones. */
static bool
same_origins(const zonedb_t *a, const zonedb_t *b)
{
	size_t n = zonedb_count(a);
	if (a == NULL || n != zonedb_count(b))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!dname_eq(zonedb_at(a, i)->origin, zonedb_at(b, i)->origin))
			return false;
	return true;
}

zonedb_t *
catprod_update(catprod_t *p, const zonedb_t *served, zonedb_t *next)
{
	const zone_t *sz = served != NULL ? zonedb_get(served, p->origin) : NULL;
	const zone_t *fz = zonedb_get(next, p->origin);
	if (sz != NULL && fz == sz && same_origins(served, next))
		return next;
	size_t n = zonedb_count(next);
	catalog_entry_t *e = calloc(n + 1, sizeof(*e));
	uint8_t (*labels)[17] = calloc(n + 1, sizeof(*labels));
	zone_t *cand = NULL;
	char err[1600];
	if (!p->loaded)
		load_previous(p);
	if (e == NULL || labels == NULL)
		goto oom;
	/* What is served is the reference (a candidate the commit refused
	 * never was): read it again when it is not the one cur came from. */
	if (sz != NULL && (p->cur == NULL || p->cur_serial != sz->serial)) {
		catalog_t *c = NULL;
		if (catalog_parse(sz, &c, err, sizeof(err)) == 0) {
			catalog_free(p->cur);
			p->cur = c;
			p->cur_serial = sz->serial;
		}
	}
	if (fz != NULL && fz != sz)
		log_warning("zone %s is generated here (catalog: producer): the file %s is ignored", p->name,
			    fz->source != NULL ? fz->source : "?");
	/* The serial a changed catalog gets: the next one, or the clock at the
	 * very first start (above anything an old copy elsewhere may hold). */
	uint32_t serial = sz != NULL ? sz->serial + 1 : p->cur != NULL ? p->snap_serial + 1 : (uint32_t)time(NULL);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const zone_t *z = zonedb_at(next, i);
		/* Members: the primary zones; secondary zones carry a NOTIFY ACL. */
		if (dname_eq(z->origin, p->origin) || z->notify_allow != NULL || z->placeholder)
			continue;
		const catalog_member_t *m = p->cur != NULL ? catalog_find(p->cur, z->origin) : NULL;
		e[k].name = z->origin;
		e[k].group = group_of(p, z->origin);
		if (m != NULL) {
			e[k].label = m->label;
		} else {
			catalog_new_label(z->origin, serial, labels[k]);
			e[k].label = labels[k];
		}
		k++;
	}
	if (unchanged(p, e, k)) {
		if (sz != NULL && fz == sz)
			goto done;
		/* Same members (start-up, or a reload that dropped our version):
		 * the same content at the same serial, so the commit keeps it. */
		if (sz != NULL) {
			zonedb_t *n2 = zonedb_with(next, (zone_t *)sz);
			if (n2 == NULL)
				goto oom;
			zonedb_release(next);
			next = n2;
			goto done;
		}
		serial = p->snap_serial;
	}
	int ret = catalog_build(p->origin, serial, e, k, &cand, err, sizeof(err));
	if (ret != 0) {
		log_error("catalog %s: %s: the catalog stays as it was", p->name, ret == FL_ENOMEM ? "out of memory" : err);
		goto keep;
	}
	catalog_t *nc = NULL;
	if (catalog_parse(cand, &nc, err, sizeof(err)) != 0) {
		log_error("catalog %s: the generated version does not parse (%s): the catalog stays as it was", p->name,
			  err);
		zone_free(cand);
		goto keep;
	}
	cand->catalog = 1;
	zonedb_t *n2 = zonedb_with(next, cand);
	if (n2 == NULL) {
		catalog_free(nc);
		zone_free(cand);
		goto oom;
	}
	log_notice("catalog %s: %zu member zones, candidate serial %u", p->name, k, serial);
	zonedb_release(next);
	next = n2;
	catalog_free(p->cur);
	p->cur = nc;
	p->cur_serial = serial;
	goto done;
keep:
	/* Whatever the directory held under that name, the served catalog stays. */
	if (fz != sz) {
		zonedb_t *n3 = sz != NULL ? zonedb_with(next, (zone_t *)sz) : zonedb_without(next, p->origin);
		if (n3 == NULL)
			goto oom;
		zonedb_release(next);
		next = n3;
	}
done:
	free(e);
	free(labels);
	return next;
oom:
	log_error("catalog %s: out of memory: nothing published", p->name);
	free(e);
	free(labels);
	zonedb_release(next);
	return NULL;
}

void
catprod_save(catprod_t *p, const zonedb_t *next)
{
	const zone_t *z = next != NULL ? zonedb_get(next, p->origin) : NULL;
	char err[600];
	if (z == NULL || p->snap_path == NULL || (z->serial == p->snap_serial && p->loaded))
		return;
	if (snapshot_write(z, p->snap_path, err, sizeof(err)) != 0)
		log_error("catalog %s: %s not written (%s): labels may change at the next start", p->name, p->snap_path,
			  err);
	else
		p->snap_serial = z->serial;
}
