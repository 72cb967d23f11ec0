/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Arena: a bump allocator for data that lives and dies together (a zone
 * version, a parse). Allocations are never freed one by one; arena_free()
 * releases everything. Not thread-safe: one owner at a time.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

typedef struct arena_chunk arena_chunk_t;

typedef struct arena {
	arena_chunk_t *head;  /*!< current chunk (list of all chunks) */
	size_t chunk_size;    /*!< default size of a new chunk (the cap when growing) */
	size_t next;          /*!< growing arenas: size of the next chunk (doubles up to chunk_size); 0: fixed */
	size_t total;         /*!< bytes obtained from malloc, for statistics */
} arena_t;

/** \brief Initialise an empty arena; chunk_size 0 picks 64 KiB. Allocates nothing. */
void arena_init(arena_t *a, size_t chunk_size);

/**
 * \brief An arena whose chunks start at first bytes and double up to max:
 * for the many small arenas that usually hold little (changesets kept as
 * IXFR history) but sometimes a lot.
 */
void arena_init_growing(arena_t *a, size_t first, size_t max);

/**
 * \brief Allocate len bytes aligned to 8 (or to 1 with arena_alloc_bytes).
 * \return pointer owned by the arena, or NULL when out of memory.
 */
void *arena_alloc(arena_t *a, size_t len);
void *arena_alloc_bytes(arena_t *a, size_t len);

/** \brief Allocate n*size bytes, NULL on overflow or out of memory. */
void *arena_alloc_array(arena_t *a, size_t n, size_t size);

/** \brief Copy len bytes into the arena (byte aligned). NULL on out of memory. */
void *arena_memdup(arena_t *a, const void *src, size_t len);

/** \brief Release every chunk; the arena can be reused after arena_init. */
void arena_free(arena_t *a);
