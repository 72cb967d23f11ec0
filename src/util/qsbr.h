/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Quiescent-state based reclamation for read-mostly shared snapshots (the
 * served zone database). Each reader (a worker thread) brackets the time it
 * holds a snapshot pointer with qsbr_enter/qsbr_exit; these are two stores
 * to the reader's own cache line, no shared counter is touched per query.
 * The writer publishes a new pointer, then qsbr_synchronize() waits until
 * every reader has left any read section that may have seen the old one,
 * after which the old snapshot can be freed.
 */
#pragma once

#include <stdint.h>

typedef struct qsbr qsbr_t;

/** \brief Create a domain for nreaders readers (ids 0..nreaders-1). Calls malloc; free with qsbr_free. */
qsbr_t *qsbr_new(int nreaders);
void qsbr_free(qsbr_t *q);

/** \brief Reader id enters a read section (may now load shared pointers). */
void qsbr_enter(qsbr_t *q, int id);
/** \brief Reader id leaves its read section (holds no shared pointer any more). */
void qsbr_exit(qsbr_t *q, int id);

/**
 * \brief Wait until no reader can still hold a pointer loaded before this call.
 * Call after swapping the shared pointer and before freeing the old object.
 * Blocks (sleeping in short steps); read sections are short so it is quick.
 */
void qsbr_synchronize(qsbr_t *q);
