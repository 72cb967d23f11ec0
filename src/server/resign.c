/* SPDX-License-Identifier: MIT */
/** \file Re-sign timers (see resign.h). */
#include <event2/event.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dname.h"
#include "server/resign.h"
#include "util/err.h"
#include "util/grow.h"

typedef struct resign_zone {
	resign_t *r;
	struct event *ev;
	time_t at;                /* 0: not armed */
	bool queued;              /* in r->due, not handed out yet */
	uint8_t origin[];         /* lowercase wire name */
} resign_zone_t;

struct resign {
	struct event_base *base;
	resign_fn fn;
	void *arg;
	resign_zone_t **zones;    /* every zone ever armed (entries are reused) */
	size_t n, cap;
	uint32_t *tab;            /* index + 1 into zones by origin hash (open addressing) */
	size_t mask;
	resign_zone_t **due;      /* fired, waiting for the next batch */
	size_t ndue, capdue;
	struct event *run;        /* hands due zones to fn, RESIGN_BATCH at a time */
	size_t armed;
};

static void
resign_on_timer(evutil_socket_t fd, short what, void *arg)
{
	resign_zone_t *z = arg;
	resign_t *r = z->r;
	z->at = 0;
	r->armed--;
	if (z->queued)
		return;
	if (fl_grow(&r->due, &r->capdue, r->ndue, sizeof(*r->due), 64) != 0) {
		/* Out of memory: try this zone again in a few seconds. */
		resign_arm(r, z->origin, time(NULL) + 5);
		return;
	}
	z->queued = true;
	r->due[r->ndue++] = z;
	event_active(r->run, 0, 0);
}

static void
resign_on_run(evutil_socket_t fd, short what, void *arg)
{
	resign_t *r = arg;
	const uint8_t *batch[RESIGN_BATCH];
	size_t n = r->ndue < RESIGN_BATCH ? r->ndue : RESIGN_BATCH;
	for (size_t i = 0; i < n; i++) {
		r->due[i]->queued = false;
		batch[i] = r->due[i]->origin;
	}
	memmove(r->due, r->due + n, (r->ndue - n) * sizeof(*r->due));
	r->ndue -= n;
	/* The rest after other events had their turn. */
	if (r->ndue > 0)
		event_active(r->run, 0, 0);
	if (n > 0)
		r->fn(r->arg, batch, n);
}

resign_t *
resign_new(struct event_base *base, resign_fn fn, void *arg)
{
	resign_t *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->base = base;
	r->fn = fn;
	r->arg = arg;
	if ((r->run = event_new(base, -1, 0, resign_on_run, r)) == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

void
resign_free(resign_t *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++) {
		event_free(r->zones[i]->ev);
		free(r->zones[i]);
	}
	free(r->zones);
	free(r->tab);
	free(r->due);
	event_free(r->run);
	free(r);
}

static int
resign_tab_grow(resign_t *r)
{
	size_t n = r->tab != NULL ? (r->mask + 1) * 2 : 64;
	uint32_t *t = calloc(n, sizeof(*t));
	if (t == NULL)
		return FL_ENOMEM;
	for (size_t i = 0; i < r->n; i++) {
		size_t h = dname_hash(r->zones[i]->origin, dname_len(r->zones[i]->origin)) & (n - 1);
		while (t[h] != 0)
			h = (h + 1) & (n - 1);
		t[h] = (uint32_t)i + 1;
	}
	free(r->tab);
	r->tab = t;
	r->mask = n - 1;
	return 0;
}

static resign_zone_t *
resign_find(const resign_t *r, const uint8_t *origin)
{
	if (r->tab == NULL)
		return NULL;
	for (size_t h = dname_hash(origin, dname_len(origin)) & r->mask; r->tab[h] != 0; h = (h + 1) & r->mask)
		if (dname_eq(r->zones[r->tab[h] - 1]->origin, origin))
			return r->zones[r->tab[h] - 1];
	return NULL;
}

int
resign_arm(resign_t *r, const uint8_t *origin, time_t at)
{
	resign_zone_t *z = resign_find(r, origin);
	if (z == NULL) {
		size_t len = dname_len(origin);
		if ((r->tab == NULL || (r->n + 1) * 2 > r->mask + 1) && resign_tab_grow(r) != 0)
			return FL_ENOMEM;
		if (fl_grow(&r->zones, &r->cap, r->n, sizeof(*r->zones), 64) != 0 ||
		    (z = calloc(1, sizeof(*z) + len)) == NULL)
			return FL_ENOMEM;
		z->r = r;
		memcpy(z->origin, origin, len);
		if ((z->ev = evtimer_new(r->base, resign_on_timer, z)) == NULL) {
			free(z);
			return FL_ENOMEM;
		}
		size_t h = dname_hash(origin, len) & r->mask;
		while (r->tab[h] != 0)
			h = (h + 1) & r->mask;
		r->zones[r->n] = z;
		r->tab[h] = (uint32_t)++r->n;
	}
	time_t now = time(NULL);
	struct timeval tv = { at > now ? at - now : 0, 0 };
	if (evtimer_add(z->ev, &tv) != 0)
		return FL_ENOMEM;
	if (z->at == 0)
		r->armed++;
	z->at = at > now ? at : now;
	return 0;
}

void
resign_disarm(resign_t *r, const uint8_t *origin)
{
	resign_zone_t *z = resign_find(r, origin);
	if (z == NULL || z->at == 0)
		return;
	evtimer_del(z->ev);
	z->at = 0;
	r->armed--;
}

size_t
resign_armed(const resign_t *r)
{
	return r->armed;
}

time_t
resign_when(const resign_t *r, const uint8_t *origin)
{
	const resign_zone_t *z = resign_find(r, origin);
	return z != NULL ? z->at : 0;
}
