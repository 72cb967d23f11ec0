/* SPDX-License-Identifier: MIT */
/** \file Chunked bump allocator. */
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"

struct arena_chunk {
	arena_chunk_t *next;
	size_t used;
	size_t size;
	_Alignas(8) uint8_t data[];
};

void
arena_init(arena_t *a, size_t chunk_size)
{
	a->head = NULL;
	a->chunk_size = chunk_size ? chunk_size : 65536;
	a->next = 0;
	a->total = 0;
}

void
arena_init_growing(arena_t *a, size_t first, size_t max)
{
	arena_init(a, max);
	a->next = first != 0 && first < a->chunk_size ? first : 0;
}

static void *
arena_take(arena_t *a, size_t len, size_t align)
{
	arena_chunk_t *c = a->head;
	if (c != NULL) {
		size_t off = (c->used + align - 1) & ~(align - 1);
		if (off <= c->size && len <= c->size - off) {
			c->used = off + len;
			return c->data + off;
		}
	}
	/* Big requests get a chunk of their own behind the current one, so the
	 * free space of the current chunk is not wasted. */
	size_t base = a->next != 0 ? a->next : a->chunk_size;
	size_t size = len > base / 4 ? len : base;
	arena_chunk_t *n = malloc(sizeof(*n) + size);
	if (n == NULL)
		return NULL;
	n->size = size;
	n->used = len;
	a->total += sizeof(*n) + size;
	if (size == base && a->next != 0)
		a->next = a->next * 2 < a->chunk_size ? a->next * 2 : 0;
	if (size != base && c != NULL) {
		n->next = c->next;
		c->next = n;
	} else {
		n->next = c;
		a->head = n;
	}
	return n->data;
}

void *
arena_alloc(arena_t *a, size_t len)
{
	return arena_take(a, len ? len : 1, 8);
}

void *
arena_alloc_bytes(arena_t *a, size_t len)
{
	return arena_take(a, len ? len : 1, 1);
}

void *
arena_alloc_array(arena_t *a, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	return arena_alloc(a, n * size);
}

void *
arena_memdup(arena_t *a, const void *src, size_t len)
{
	void *p = arena_alloc_bytes(a, len);
	if (p != NULL && len > 0)
		memcpy(p, src, len);
	return p;
}

void
arena_free(arena_t *a)
{
	arena_chunk_t *c = a->head;
	while (c != NULL) {
		arena_chunk_t *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
	a->total = 0;
}
