/* SPDX-License-Identifier: MIT */
/** \file Immutable zone-set snapshots (see zonedb.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dname.h"
#include "zone/zonedb.h"

struct zonedb {
	size_t n;
	zone_t **zones;   /* sorted by canonical origin */
	uint32_t *hash;   /* index + 1 by origin */
	uint32_t mask;
	uint8_t max_labels; /* deepest origin, bounds the suffix walk in find */
};

void
zone_ref(zone_t *z)
{
	__atomic_add_fetch(&z->refs, 1, __ATOMIC_RELAXED);
}

void
zone_unref(zone_t *z)
{
	if (z != NULL && __atomic_sub_fetch(&z->refs, 1, __ATOMIC_ACQ_REL) == 0)
		zone_free(z);
}

static int
cmp_zone(const void *a, const void *b)
{
	const zone_t *x = *(zone_t *const *)a, *y = *(zone_t *const *)b;
	return dname_canon_cmp(x->origin, y->origin);
}

/* Takes ownership of zones[] (n entries, references already counted);
 * sorts them unless they already are in canonical order. */
static zonedb_t *db_make(zone_t **zones, size_t n, bool sort);

static zonedb_t *
db_build(zone_t **zones, size_t n)
{
	return db_make(zones, n, true);
}

static zonedb_t *
db_index_build(zone_t **zones, size_t n)
{
	return db_make(zones, n, false);
}

static zonedb_t *
db_make(zone_t **zones, size_t n, bool sort)
{
	zonedb_t *db = calloc(1, sizeof(*db));
	size_t cap = 8;
	while (cap < n * 2)
		cap *= 2;
	uint32_t *hash = calloc(cap, sizeof(uint32_t));
	if (db == NULL || hash == NULL) {
		free(db);
		free(hash);
		/* Undo our references without freeing: on failure the caller
		 * still owns every zone it passed in. */
		for (size_t i = 0; i < n; i++)
			__atomic_sub_fetch(&zones[i]->refs, 1, __ATOMIC_ACQ_REL);
		free(zones);
		return NULL;
	}
	/* Callers mostly pass an order they kept from a snapshot (a reload
	 * replaces versions in place): one pass to see that, not a sort. */
	bool sorted = true;
	for (size_t i = 1; sort && sorted && i < n; i++)
		sorted = dname_canon_cmp(zones[i - 1]->origin, zones[i]->origin) < 0;
	if (n > 1 && sort && !sorted)
		qsort(zones, n, sizeof(*zones), cmp_zone);
	db->n = n;
	db->zones = zones;
	db->hash = hash;
	db->mask = (uint32_t)(cap - 1);
	for (size_t i = 0; i < n; i++) {
		if (zones[i]->origin_hash == 0)
			zones[i]->origin_hash = dname_hash(zones[i]->origin, zones[i]->origin_len) + 1;
		uint32_t j = (zones[i]->origin_hash - 1) & db->mask;
		while (hash[j] != 0)
			j = (j + 1) & db->mask;
		hash[j] = (uint32_t)i + 1;
		if (zones[i]->origin_labels > db->max_labels)
			db->max_labels = zones[i]->origin_labels;
	}
	return db;
}

zonedb_t *
zonedb_new(void)
{
	return db_build(NULL, 0);
}

zonedb_t *
zonedb_from(zone_t *const *zones, size_t n)
{
	zone_t **copy = malloc((n + 1) * sizeof(*copy));
	if (copy == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		zone_ref(zones[i]);
		copy[i] = zones[i];
	}
	return db_build(copy, n);
}

zonedb_t *
zonedb_with(const zonedb_t *old, zone_t *z)
{
	size_t n = old ? old->n : 0;
	zone_t **zones = malloc((n + 1) * sizeof(*zones));
	if (zones == NULL)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (dname_eq(old->zones[i]->origin, z->origin))
			continue;
		zone_ref(old->zones[i]);
		zones[k++] = old->zones[i];
	}
	zone_ref(z);
	zones[k++] = z;
	return db_build(zones, k);
}

zonedb_t *
zonedb_without(const zonedb_t *old, const uint8_t *origin)
{
	size_t n = old ? old->n : 0;
	zone_t **zones = malloc((n + 1) * sizeof(*zones));
	if (zones == NULL)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (dname_eq(old->zones[i]->origin, origin))
			continue;
		zone_ref(old->zones[i]);
		zones[k++] = old->zones[i];
	}
	return db_build(zones, k);
}

/* Index of the zone named origin in db, or -1. */
static long
db_index(const zonedb_t *db, const uint8_t *origin)
{
	size_t len = dname_len(origin);
	for (uint32_t j = dname_hash(origin, len) & db->mask; db->hash[j] != 0; j = (j + 1) & db->mask) {
		const zone_t *z = db->zones[db->hash[j] - 1];
		if (z->origin_len == len && memcmp(z->origin, origin, len) == 0)
			return (long)db->hash[j] - 1;
	}
	return -1;
}

zonedb_t *
zonedb_update(const zonedb_t *old, zone_t *const *add, size_t nadd, const uint8_t *const *del, size_t ndel)
{
	size_t n = old ? old->n : 0;
	zone_t **zones = malloc((n + nadd + 1) * sizeof(*zones));
	zone_t **adds = malloc((nadd + 1) * sizeof(*adds));
	uint8_t *drop = calloc(n + 1, 1);
	if (zones == NULL || adds == NULL || drop == NULL) {
		free(zones);
		free(adds);
		free(drop);
		return NULL;
	}
	for (size_t i = 0; old != NULL && i < nadd + ndel; i++) {
		long at = db_index(old, i < nadd ? add[i]->origin : del[i - nadd]);
		if (at >= 0)
			drop[at] = 1;
	}
	/* old is sorted: merge the (few, sorted) additions into it instead of
	 * sorting everything again (one transfer done among 10,000 zones). */
	if (nadd > 0)
		memcpy(adds, add, nadd * sizeof(*adds));
	if (nadd > 1)
		qsort(adds, nadd, sizeof(*adds), cmp_zone);
	size_t k = 0, a = 0;
	for (size_t i = 0; i <= n; i++) {
		while (a < nadd && (i == n || dname_canon_cmp(adds[a]->origin, old->zones[i]->origin) < 0)) {
			zone_ref(adds[a]);
			zones[k++] = adds[a++];
		}
		if (i == n)
			break;
		if (drop[i])
			continue;
		zone_ref(old->zones[i]);
		zones[k++] = old->zones[i];
	}
	free(drop);
	free(adds);
	return db_index_build(zones, k);
}

const zone_t *
zonedb_get(const zonedb_t *db, const uint8_t *origin)
{
	size_t len = dname_len(origin);
	for (uint32_t j = dname_hash(origin, len) & db->mask; db->hash[j] != 0; j = (j + 1) & db->mask) {
		const zone_t *z = db->zones[db->hash[j] - 1];
		if (z->origin_len == len && memcmp(z->origin, origin, len) == 0)
			return z;
	}
	return NULL;
}

const zone_t *
zonedb_find(const zonedb_t *db, const uint8_t *name, size_t len)
{
	if (db == NULL || db->n == 0)
		return NULL;
	/* Skip labels that are deeper than any origin, then try each suffix. */
	int labels = dname_labels(name);
	while (labels > db->max_labels) {
		len -= 1u + *name;
		name += 1u + *name;
		labels--;
	}
	for (;;) {
		for (uint32_t j = dname_hash(name, len) & db->mask; db->hash[j] != 0; j = (j + 1) & db->mask) {
			const zone_t *z = db->zones[db->hash[j] - 1];
			if (z->origin_len == len && memcmp(z->origin, name, len) == 0)
				return z;
		}
		if (*name == 0)
			return NULL;
		len -= 1u + *name;
		name += 1u + *name;
	}
}

size_t
zonedb_count(const zonedb_t *db)
{
	return db ? db->n : 0;
}

const zone_t *
zonedb_at(const zonedb_t *db, size_t i)
{
	return db->zones[i];
}

void
zonedb_release(zonedb_t *db)
{
	if (db == NULL)
		return;
	for (size_t i = 0; i < db->n; i++)
		zone_unref(db->zones[i]);
	free(db->zones);
	free(db->hash);
	free(db);
}
