/* SPDX-License-Identifier: MIT */
/** \file Reference-counted, immutable changeset histories (see history.h). */
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "zone/history.h"

typedef struct {
	changeset_t cs;  /* first member: a changeset_t * points here too */
	uint32_t refs;
	size_t bytes;
} hist_cs_t;

struct zone_history {
	uint32_t refs;
	size_t n;
	size_t bytes;
	hist_cs_t **cs;              /* oldest first */
	const changeset_t **view;    /* the same, as changeset pointers, for zone_history_from */
};

static void
cs_unref(hist_cs_t *c)
{
	if (__atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		changeset_clear(&c->cs);
		free(c);
	}
}

zone_history_t *
zone_history_extend(const zone_history_t *old, changeset_t *cs, const zone_history_limits_t *lim)
{
	size_t oldn = old ? old->n : 0;
	if (oldn > 0 && changeset_serial_from(cs) != changeset_serial_to(&old->cs[oldn - 1]->cs))
		return NULL;
	zone_history_t *h = calloc(1, sizeof(*h));
	hist_cs_t *nc = calloc(1, sizeof(*nc));
	if (h != NULL) {
		h->cs = malloc((oldn + 1) * sizeof(*h->cs));
		h->view = malloc((oldn + 1) * sizeof(*h->view));
	}
	if (h == NULL || nc == NULL || h->cs == NULL || h->view == NULL) {
		if (h != NULL) {
			free(h->cs);
			free(h->view);
		}
		free(h);
		free(nc);
		return NULL;
	}
	/* Move the changeset in: its arena and lists now belong to nc. */
	nc->cs = *cs;
	changeset_init(cs);
	nc->refs = 1;
	nc->bytes = changeset_wire_size(&nc->cs);

	/* Keep the newest changesets that fit, walking back from the new one. */
	size_t keep = 0, bytes = nc->bytes;
	size_t max_n = lim && lim->max_changesets ? lim->max_changesets : SIZE_MAX;
	size_t max_b = lim && lim->max_bytes ? lim->max_bytes : SIZE_MAX;
	while (keep < oldn && keep + 1 < max_n && bytes + old->cs[oldn - 1 - keep]->bytes <= max_b) {
		bytes += old->cs[oldn - 1 - keep]->bytes;
		keep++;
	}
	for (size_t i = 0; i < keep; i++) {
		hist_cs_t *c = old->cs[oldn - keep + i];
		__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
		h->cs[i] = c;
	}
	h->cs[keep] = nc;
	h->n = keep + 1;
	h->bytes = bytes;
	for (size_t i = 0; i < h->n; i++)
		h->view[i] = &h->cs[i]->cs;
	h->refs = 1;
	return h;
}

void
zone_history_ref(zone_history_t *h)
{
	__atomic_add_fetch(&h->refs, 1, __ATOMIC_RELAXED);
}

void
zone_history_unref(zone_history_t *h)
{
	if (h == NULL || __atomic_sub_fetch(&h->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (size_t i = 0; i < h->n; i++)
		cs_unref(h->cs[i]);
	free(h->cs);
	free(h->view);
	free(h);
}

size_t
zone_history_count(const zone_history_t *h)
{
	return h ? h->n : 0;
}

uint32_t
zone_history_first_serial(const zone_history_t *h)
{
	return h && h->n ? changeset_serial_from(&h->cs[0]->cs) : 0;
}

uint32_t
zone_history_last_serial(const zone_history_t *h)
{
	return h && h->n ? changeset_serial_to(&h->cs[h->n - 1]->cs) : 0;
}

int
zone_history_from(const zone_history_t *h, uint32_t from, const changeset_t *const **out, size_t *n)
{
	for (size_t i = 0; h != NULL && i < h->n; i++) {
		if (changeset_serial_from(&h->cs[i]->cs) == from) {
			*out = &h->view[i];
			*n = h->n - i;
			return 0;
		}
	}
	return FL_ENOENT;
}
