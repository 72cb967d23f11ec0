/* SPDX-License-Identifier: MIT */
/** \file Per-reader epoch slots; see qsbr.h. */
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "util/qsbr.h"

/* One slot per reader on its own cache line: 0 = quiescent, otherwise the
 * global epoch seen when the read section started. */
typedef struct {
	alignas(64) _Atomic uint64_t epoch;
} qsbr_slot_t;

struct qsbr {
	alignas(64) _Atomic uint64_t epoch;
	int nreaders;
	qsbr_slot_t *slots;
};

qsbr_t *
qsbr_new(int nreaders)
{
	qsbr_t *q = aligned_alloc(64, sizeof(*q));
	if (q == NULL)
		return NULL;
	q->slots = aligned_alloc(64, sizeof(qsbr_slot_t) * (size_t)(nreaders > 0 ? nreaders : 1));
	if (q->slots == NULL) {
		free(q);
		return NULL;
	}
	atomic_init(&q->epoch, 1);
	q->nreaders = nreaders;
	for (int i = 0; i < nreaders; i++)
		atomic_init(&q->slots[i].epoch, 0);
	return q;
}

void
qsbr_free(qsbr_t *q)
{
	if (q == NULL)
		return;
	free(q->slots);
	free(q);
}

void
qsbr_enter(qsbr_t *q, int id)
{
	/* seq_cst store: must be visible before the reader loads the shared pointer. */
	atomic_store(&q->slots[id].epoch, atomic_load_explicit(&q->epoch, memory_order_relaxed));
}

void
qsbr_exit(qsbr_t *q, int id)
{
	atomic_store_explicit(&q->slots[id].epoch, 0, memory_order_release);
}

void
qsbr_synchronize(qsbr_t *q)
{
	uint64_t target = atomic_fetch_add(&q->epoch, 1) + 1;
	for (int i = 0; i < q->nreaders; i++) {
		for (;;) {
			uint64_t e = atomic_load(&q->slots[i].epoch);
			if (e == 0 || e >= target)
				break;
			struct timespec ts = { 0, 100000 };
			nanosleep(&ts, NULL);
		}
	}
}
