/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Wire cursor with a sticky error, the one way we read and write DNS
 * messages. After any overrun every further operation is a no-op and
 * w->err stays FL_ESPACE (writing) or FL_EMALF (reading); check it once at
 * the end. Pure: no allocation, no I/O.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/err.h"

typedef struct wire {
	uint8_t *base; /*!< start of the buffer */
	uint8_t *pos;  /*!< read/write position */
	uint8_t *end;  /*!< one past the last usable byte */
	int err;       /*!< 0 or the first error */
} wire_t;

static inline void
wire_init(wire_t *w, uint8_t *buf, size_t len)
{
	w->base = buf;
	w->pos = buf;
	w->end = buf + len;
	w->err = 0;
}

/** Read-only view of const data; the cursor never writes through it. */
static inline void
wire_init_ro(wire_t *w, const uint8_t *buf, size_t len)
{
	wire_init(w, (uint8_t *)buf, len);
}

static inline size_t wire_left(const wire_t *w) { return (size_t)(w->end - w->pos); }
static inline size_t wire_off(const wire_t *w) { return (size_t)(w->pos - w->base); }

static inline bool
wire_need(wire_t *w, size_t n, int err)
{
	if (w->err != 0)
		return false;
	if (wire_left(w) < n) {
		w->err = err;
		return false;
	}
	return true;
}

static inline void
wire_seek(wire_t *w, size_t off)
{
	if (w->err == 0 && off <= (size_t)(w->end - w->base))
		w->pos = w->base + off;
	else if (w->err == 0)
		w->err = FL_ERANGE;
}

static inline void
wire_skip(wire_t *w, size_t n)
{
	if (wire_need(w, n, FL_EMALF))
		w->pos += n;
}

static inline uint8_t
wire_get_u8(wire_t *w)
{
	if (!wire_need(w, 1, FL_EMALF))
		return 0;
	return *w->pos++;
}

static inline uint16_t
wire_get_u16(wire_t *w)
{
	if (!wire_need(w, 2, FL_EMALF))
		return 0;
	uint16_t v = (uint16_t)(w->pos[0] << 8 | w->pos[1]);
	w->pos += 2;
	return v;
}

static inline uint32_t
wire_get_u32(wire_t *w)
{
	if (!wire_need(w, 4, FL_EMALF))
		return 0;
	uint32_t v = (uint32_t)w->pos[0] << 24 | (uint32_t)w->pos[1] << 16 |
		     (uint32_t)w->pos[2] << 8 | w->pos[3];
	w->pos += 4;
	return v;
}

static inline void
wire_get_bytes(wire_t *w, uint8_t *dst, size_t n)
{
	if (!wire_need(w, n, FL_EMALF))
		return;
	memcpy(dst, w->pos, n);
	w->pos += n;
}

static inline void
wire_put_u8(wire_t *w, uint8_t v)
{
	if (wire_need(w, 1, FL_ESPACE))
		*w->pos++ = v;
}

static inline void
wire_put_u16(wire_t *w, uint16_t v)
{
	if (!wire_need(w, 2, FL_ESPACE))
		return;
	w->pos[0] = (uint8_t)(v >> 8);
	w->pos[1] = (uint8_t)v;
	w->pos += 2;
}

static inline void
wire_put_u32(wire_t *w, uint32_t v)
{
	if (!wire_need(w, 4, FL_ESPACE))
		return;
	w->pos[0] = (uint8_t)(v >> 24);
	w->pos[1] = (uint8_t)(v >> 16);
	w->pos[2] = (uint8_t)(v >> 8);
	w->pos[3] = (uint8_t)v;
	w->pos += 4;
}

static inline void
wire_put_bytes(wire_t *w, const uint8_t *src, size_t n)
{
	if (!wire_need(w, n, FL_ESPACE))
		return;
	if (n > 0)
		memcpy(w->pos, src, n);
	w->pos += n;
}

/** Big-endian helpers for data already bounds-checked by the caller. */
static inline uint16_t wire_u16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t
wire_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void
wire_set_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static inline void
wire_set_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}
